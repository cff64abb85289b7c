// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs directories and files
//! ([`include/linux/debugfs.h`](srctree/include/linux/debugfs.h)), on the
//! `file_operations` of `c/debugfs.c`, whose owner is this module: while a
//! file is open, `rmmod` fails with "in use", so closing or reading a file
//! later never runs freed module code. Modes are root-only: 0400 read,
//! 0200 write, 0600 both.
//!
//! Owns: `Dir` and `File<T>`: a file owns its state `T` (usually an `Arc`
//! of a feature's state) and holds its parent directory, so a directory is
//! removed only after everything in it; removing a file waits until no
//! read or write of it runs, then drops `T`. Streamed files
//! (`streamed`, a `Stream` per open file) for text of any length: the
//! kernel buffer stays one page and each read resumes where the last one
//! stopped. Also the one write path (`read_input`, then `pure::input`).
//! Must not: format a file's text.

use core::ffi::{c_char, c_int, c_void};
use core::ptr::NonNull;

use kernel::{
    fmt,
    prelude::*,
    sync::Arc,
    uaccess::{UserPtr, UserSlice, UserSliceReader},
};

use super::ffi;
use crate::pure::input::{self, InputError, MAX_WRITE};
use crate::pure::text::{Chunk, Pending, Pumped, CHUNK_MAX};

// A piece always fits an empty seq_file buffer (at least a 4 KiB page), so
// seq_read never grows it for a streamed file.
const _: () = assert!(CHUNK_MAX < 4096);

/// A debugfs directory.
///
/// # Invariants
///
/// `dentry` is a directory this object created and removes when dropped;
/// `parent` (if any) is kept until then, so a directory is removed only
/// after its children (which hold it the same way).
struct DirInner {
    dentry: NonNull<ffi::dentry>,
    _parent: Option<Dir>,
}

// SAFETY: the dentry is only passed to debugfs calls, which may be made
// from any thread.
unsafe impl Send for DirInner {}
// SAFETY: as above; `&DirInner` gives no access to the dentry.
unsafe impl Sync for DirInner {}

impl Drop for DirInner {
    fn drop(&mut self) {
        // SAFETY: the directory is ours and not yet removed (invariant);
        // every file or subdirectory holds this object, so none is left.
        unsafe { ffi::iommu_scope_debugfs_remove(self.dentry.as_ptr()) };
    }
}

/// A shared handle on a debugfs directory; removed when the last handle
/// (including those its files and subdirectories hold) goes.
#[derive(Clone)]
pub(crate) struct Dir(Arc<DirInner>);

/// Turns a debugfs return value into a dentry, or the error.
fn dentry_of(p: *mut ffi::dentry) -> Result<NonNull<ffi::dentry>> {
    NonNull::new(kernel::error::from_err_ptr(p)?).ok_or(ENOMEM)
}

impl Dir {
    fn create(name: &CStr, parent: Option<&Dir>) -> Result<Self> {
        let p = parent.map_or(core::ptr::null_mut(), |d| d.0.dentry.as_ptr());
        // SAFETY: `name` is NUL-terminated; `p` is NULL (the debugfs root)
        // or a live directory of ours, held by `parent`.
        let dentry = dentry_of(unsafe { ffi::iommu_scope_debugfs_dir(name.as_char_ptr(), p) })?;
        // INVARIANT: created here; the parent handle is kept.
        Ok(Self(Arc::new(
            DirInner {
                dentry,
                _parent: parent.cloned(),
            },
            GFP_KERNEL,
        )?))
    }

    /// A directory at the top of debugfs.
    pub(crate) fn root(name: &CStr) -> Result<Self> {
        Self::create(name, None)
    }

    /// A subdirectory.
    pub(crate) fn subdir(&self, name: &CStr) -> Result<Self> {
        Self::create(name, Some(self))
    }
}

/// How a file shows its state.
type ShowFn<T> = dyn Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync;
/// How a file takes a write.
type WriteFn<T> = dyn Fn(&T, &mut UserSliceReader) -> Result + Send + Sync;

/// What the C side of a file points to.
///
/// # Invariants
///
/// `c.ctx` points to this object, which is boxed and never moved while the
/// file exists.
struct Inner<T: 'static> {
    c: ffi::iommu_scope_file,
    data: T,
    show: Option<&'static ShowFn<T>>,
    write: Option<&'static WriteFn<T>>,
}

/// A debugfs file owning its state `T`.
///
/// # Invariants
///
/// `dentry` is a file this object created with `_inner.c`, removed in
/// `drop` before `_inner` is freed; `_parent` outlives it.
pub(crate) struct File<T: Send + Sync + 'static> {
    dentry: NonNull<ffi::dentry>,
    /// Read by the C side only, through `c.ctx`.
    _inner: KBox<Inner<T>>,
    _parent: Dir,
}

// SAFETY: the state is `Send + Sync`; the dentry is only passed to debugfs.
unsafe impl<T: Send + Sync + 'static> Send for File<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync + 'static> Sync for File<T> {}

impl<T: Send + Sync + 'static> Drop for File<T> {
    fn drop(&mut self) {
        // SAFETY: the file is ours and not yet removed (invariant);
        // debugfs waits until no operation on it runs, and fails later
        // ones, so `_inner` is unused once this returns.
        unsafe { ffi::iommu_scope_debugfs_remove(self.dentry.as_ptr()) };
    }
}

/// Adapts a `seq_file` to `core::fmt::Write`; a full buffer is an error,
/// which stops the formatting (the seq_file then retries with a larger
/// buffer).
struct SeqWriter(*mut ffi::seq_file);

impl core::fmt::Write for SeqWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: `self.0` is the seq_file of the `show` in progress; the
        // helper copies `s`.
        let r = unsafe { ffi::iommu_scope_seq_write(self.0, s.as_ptr().cast(), s.len()) };
        if r == 0 {
            Ok(())
        } else {
            Err(core::fmt::Error)
        }
    }
}

/// Calls a file's `show` with a `Formatter`.
struct Shown<'a, T: 'static>(&'a Inner<T>);

impl<T> core::fmt::Display for Shown<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0.show {
            Some(show) => show(&self.0.data, f),
            None => Ok(()),
        }
    }
}

/// The C `show` callback.
///
/// # Safety
///
/// Called by `c/debugfs.c` only, with the seq_file of a read and the `ctx`
/// of a live file (an `Inner<T>`).
unsafe extern "C" fn show_trampoline<T: Send + Sync + 'static>(
    m: *mut ffi::seq_file,
    ctx: *mut c_void,
) -> c_int {
    // SAFETY: `ctx` is the `Inner<T>` of a file not yet removed (function
    // contract and `File` invariant).
    let inner = unsafe { &*ctx.cast::<Inner<T>>() };
    // A formatting error is a full buffer: the seq_file notices and calls
    // again with a larger one.
    let _ = core::fmt::write(&mut SeqWriter(m), format_args!("{}", Shown(inner)));
    0
}

/// The C `write` callback: bytes taken, or a negative errno.
///
/// # Safety
///
/// Called by `c/debugfs.c` only, with the `ctx` of a live file (an
/// `Inner<T>`) and a user buffer of `len` bytes.
unsafe extern "C" fn write_trampoline<T: Send + Sync + 'static>(
    ctx: *mut c_void,
    buf: *const c_char,
    len: usize,
) -> isize {
    // SAFETY: as in `show_trampoline`.
    let inner = unsafe { &*ctx.cast::<Inner<T>>() };
    let Some(write) = inner.write else {
        return EPERM.to_errno() as isize;
    };
    let mut r = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), len).reader();
    match write(&inner.data, &mut r) {
        Ok(()) => isize::try_from(len).unwrap_or(isize::MAX),
        Err(e) => e.to_errno() as isize,
    }
}

impl<T: Send + Sync + 'static> File<T> {
    /// A file with the callbacks `show` and `write` and what `set` fills
    /// in of the other C callbacks.
    fn create(
        dir: &Dir,
        name: &CStr,
        mode: u16,
        data: T,
        show: Option<&'static ShowFn<T>>,
        write: Option<&'static WriteFn<T>>,
        set: impl FnOnce(&mut ffi::iommu_scope_file),
    ) -> Result<Self> {
        let mut inner = KBox::new(
            Inner {
                c: ffi::iommu_scope_file::default(),
                data,
                show,
                write,
            },
            GFP_KERNEL,
        )?;
        let ctx: *mut Inner<T> = &raw mut *inner;
        if show.is_some() {
            inner.c.show = Some(show_trampoline::<T>);
        }
        if write.is_some() {
            inner.c.write = Some(write_trampoline::<T>);
        }
        set(&mut inner.c);
        // INVARIANT: `ctx` points to the boxed `Inner`, which is never moved
        // out of its box.
        inner.c.ctx = ctx.cast();
        // SAFETY: `name` is NUL-terminated; the parent directory is live
        // (held by `dir`); `inner.c` stays valid until the file is removed
        // in `drop` (the box is dropped after).
        let dentry = dentry_of(unsafe {
            ffi::iommu_scope_debugfs_file(
                name.as_char_ptr(),
                mode,
                dir.0.dentry.as_ptr(),
                &raw mut inner.c,
            )
        })?;
        Ok(Self {
            dentry,
            _inner: inner,
            _parent: dir.clone(),
        })
    }
}

/// The text of a streamed file, produced piece by piece for one open
/// file. Pieces (`Chunk`s) are never split between reads.
pub(crate) trait Stream: Sized + Send + 'static {
    /// What the file holds (shared by every open file).
    type Data: Send + Sync + 'static;
    /// The state of a new open file.
    fn open(data: &Self::Data) -> Result<Self>;
    /// Starts the text over (a read or seek at offset 0).
    fn rewind(&mut self);
    /// Called at the start of every read's worth of text (the stream may
    /// have been paused for any time since the last one).
    fn resume(&mut self);
    /// Writes the next piece into `out` (empty on entry); false when the
    /// text is over. Runs in process context, under the open file's
    /// seq_file lock.
    fn next_chunk(&mut self, out: &mut Chunk) -> bool;
}

/// The state of one open streamed file.
struct Open<S> {
    s: S,
    pending: Pending,
}

/// The C `stream_open` callback: a boxed `Open<S>`, or NULL.
///
/// # Safety
///
/// Called by `c/debugfs.c` only, at open, with the `ctx` of a live file
/// (an `Inner<S::Data>`).
unsafe extern "C" fn stream_open_trampoline<S: Stream>(ctx: *mut c_void) -> *mut c_void {
    // SAFETY: `ctx` is the `Inner` of a file not yet removed (function
    // contract: debugfs holds the file active during open).
    let inner = unsafe { &*ctx.cast::<Inner<S::Data>>() };
    let Ok(s) = S::open(&inner.data) else {
        return core::ptr::null_mut();
    };
    match KBox::new(
        Open {
            s,
            pending: Pending::default(),
        },
        GFP_KERNEL_ACCOUNT,
    ) {
        Ok(b) => KBox::into_raw(b).cast(),
        Err(_) => core::ptr::null_mut(),
    }
}

/// The C `stream_fill` callback (an `iommu_scope_fill` value).
///
/// # Safety
///
/// Called by `c/debugfs.c` only, with the seq_file being read and the
/// state `stream_open_trampoline::<S>` made for it, not yet released;
/// seq_file's lock serializes the calls.
unsafe extern "C" fn stream_fill_trampoline<S: Stream>(
    m: *mut ffi::seq_file,
    state: *mut c_void,
    rewind: bool,
) -> c_int {
    // SAFETY: `state` is our live `Open<S>`, used by one read at a time
    // (function contract).
    let o = unsafe { &mut *state.cast::<Open<S>>() };
    if rewind {
        o.s.rewind();
        o.pending.reset();
    }
    o.s.resume();
    let s = &mut o.s;
    let r = o.pending.pump(
        |c| s.next_chunk(c),
        // SAFETY: `m` is the seq_file of this read (function contract);
        // the helper copies the bytes or takes none.
        |b| unsafe { ffi::iommu_scope_seq_try_write(m, b.as_ptr().cast(), b.len()) },
    );
    let f = match r {
        Pumped::Wrote => ffi::iommu_scope_fill_IOMMU_SCOPE_FILL_WROTE,
        Pumped::Ended => ffi::iommu_scope_fill_IOMMU_SCOPE_FILL_END,
        Pumped::NoRoom => ffi::iommu_scope_fill_IOMMU_SCOPE_FILL_NO_ROOM,
    };
    f as c_int
}

/// The C `stream_release` callback.
///
/// # Safety
///
/// Called by `c/debugfs.c` only, once, with a state
/// `stream_open_trampoline::<S>` made; nothing uses it afterwards.
unsafe extern "C" fn stream_release_trampoline<S: Stream>(state: *mut c_void) {
    // SAFETY: `state` came from `KBox::into_raw` in the open trampoline
    // and is released once (function contract).
    drop(unsafe { KBox::from_raw(state.cast::<Open<S>>()) });
}

/// A read-only (0400) streamed file: each open gets an `S`.
pub(crate) fn streamed<S: Stream>(dir: &Dir, name: &CStr, data: S::Data) -> Result<File<S::Data>> {
    File::create(dir, name, 0o400, data, None, None, |c| {
        c.stream_open = Some(stream_open_trampoline::<S>);
        c.stream_fill = Some(stream_fill_trampoline::<S>);
        c.stream_release = Some(stream_release_trampoline::<S>);
    })
}

/// A read-only file (0400) that shows `data` with `show`.
pub(crate) fn read_only<T, F>(dir: &Dir, name: &CStr, data: T, show: &'static F) -> Result<File<T>>
where
    T: Send + Sync + 'static,
    F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
{
    File::create(dir, name, 0o400, data, Some(show), None, |_| {})
}

/// A write-only file (0200) handled by `write`.
pub(crate) fn write_only<T, W>(
    dir: &Dir,
    name: &CStr,
    data: T,
    write: &'static W,
) -> Result<File<T>>
where
    T: Send + Sync + 'static,
    W: Fn(&T, &mut UserSliceReader) -> Result + Send + Sync,
{
    File::create(dir, name, 0o200, data, None, Some(write), |_| {})
}

/// A read-write file (0600).
pub(crate) fn read_write<T, F, W>(
    dir: &Dir,
    name: &CStr,
    data: T,
    show: &'static F,
    write: &'static W,
) -> Result<File<T>>
where
    T: Send + Sync + 'static,
    F: Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
    W: Fn(&T, &mut UserSliceReader) -> Result + Send + Sync,
{
    File::create(dir, name, 0o600, data, Some(show), Some(write), |_| {})
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
