// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs files, on the kernel crate's `debugfs` (root-only
//! modes: 0400 read, 0200 write, 0600 both), and the reading of what a user
//! writes to them.
//!
//! Owns: the one way a file's state is owned (the file holds it, usually an
//! `Arc` of a feature's state) and the one write path (`read_input`, then
//! `pure::input`). Must not: format a file's text.

use kernel::{
    debugfs::{Dir, File},
    fmt,
    prelude::*,
    uaccess::UserSliceReader,
};

use crate::pure::input::{self, InputError, MAX_WRITE};

/// A debugfs file owning its state `T`; removed when dropped (waiting for
/// readers in progress), then `T` is dropped.
pub(crate) type DebugFile<T> = Pin<KBox<File<T>>>;

/// A read-only file (0400) that shows `data` with `show`.
pub(crate) fn read_only<T, F>(
    dir: &Dir,
    name: &CStr,
    data: T,
    show: &'static F,
) -> Result<DebugFile<T>>
where
    T: Send + Sync + 'static,
    F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
{
    KBox::pin_init(dir.read_callback_file(name, data, show), GFP_KERNEL)
}

/// A write-only file (0200) handled by `write`.
pub(crate) fn write_only<T, W>(
    dir: &Dir,
    name: &CStr,
    data: T,
    write: &'static W,
) -> Result<DebugFile<T>>
where
    T: Send + Sync + 'static,
    W: Fn(&T, &mut UserSliceReader) -> Result + Send + Sync,
{
    KBox::pin_init(dir.write_callback_file(name, data, write), GFP_KERNEL)
}

/// A read-write file (0600).
pub(crate) fn read_write<T, F, W>(
    dir: &Dir,
    name: &CStr,
    data: T,
    show: &'static F,
    write: &'static W,
) -> Result<DebugFile<T>>
where
    T: Send + Sync + 'static,
    F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
    W: Fn(&T, &mut UserSliceReader) -> Result + Send + Sync,
{
    KBox::pin_init(
        dir.read_write_callback_file(name, data, show, write),
        GFP_KERNEL,
    )
}

/// Reads what the user wrote and applies `parse` to it; a write longer
/// than `MAX_WRITE` or refused by `parse` fails with `EINVAL` before the
/// caller changes anything.
pub(crate) fn read_input<R>(
    r: &mut UserSliceReader,
    parse: impl FnOnce(&[u8]) -> core::result::Result<R, InputError>,
) -> Result<R> {
    let n = r.len();
    if n > MAX_WRITE {
        return Err(EINVAL);
    }
    let mut buf = [0u8; MAX_WRITE];
    r.read_slice(&mut buf[..n])?;
    parse(&buf[..n]).map_err(|_| EINVAL)
}

/// Reads a write that must be exactly `word` (white space around allowed).
pub(crate) fn read_keyword(r: &mut UserSliceReader, word: &str) -> Result {
    read_input(r, |b| input::keyword(b, word))
}
