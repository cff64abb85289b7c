// SPDX-License-Identifier: GPL-2.0

//! Parsers of the module's files, one file per format, each following
//! `Documentation/debugfs.rst` and `Documentation/tracepoints.rst` (and the
//! module's writers in `rust/` where the documentation leaves a detail
//! open). Every parser takes text line by line, reports a malformed line
//! as an `Error::Parse` with its number, and never panics; where the
//! documentation says a format may grow (new `status` lines, new
//! `accounting` counters, `#` comments) unknown lines are kept, not
//! refused.
//!
//! Owns: the shared number and size syntax. Must not: read files (the
//! callers pass text or a reader).

pub mod accounting;
pub mod devices;
pub mod info;
pub mod iopf;
pub mod leaks;
pub mod mounts;
pub mod ptdump;
pub mod status;
pub mod streams;
pub mod trace;

use crate::error::{Error, Result};
use std::io::BufRead;

/// `0x<hex>` (any number of digits, at most 16 significant).
pub fn hex(s: &str) -> Option<u64> {
    let d = s.strip_prefix("0x")?;
    if d.is_empty() || d.len() > 16 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(d, 16).ok()
}

/// A decimal u64 (digits only).
pub fn dec(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A decimal i64 (optional leading `-`).
pub fn int(s: &str) -> Option<i64> {
    let (neg, d) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = dec(d)?;
    if neg {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// A size as the module prints it (`4K`, `2M`, `1536K`, `512`): digits and
/// an optional binary unit K, M, G, T, P.
pub fn size(s: &str) -> Option<u64> {
    let (digits, shift) = match s.as_bytes().last()? {
        b'K' => (&s[..s.len() - 1], 10),
        b'M' => (&s[..s.len() - 1], 20),
        b'G' => (&s[..s.len() - 1], 30),
        b'T' => (&s[..s.len() - 1], 40),
        b'P' => (&s[..s.len() - 1], 50),
        _ => (s, 0),
    };
    let n = dec(digits)?;
    n.checked_mul(1u64 << shift)
}

/// A size in the module's notation (the inverse of `size`): the largest
/// binary unit that divides it.
pub fn size_text(v: u64) -> String {
    for (shift, u) in [(50u32, 'P'), (40, 'T'), (30, 'G'), (20, 'M'), (10, 'K')] {
        if v >= 1 << shift && v & ((1u64 << shift) - 1) == 0 {
            return format!("{}{}", v >> shift, u);
        }
    }
    v.to_string()
}

/// `key=value` split of a token.
pub fn kv(tok: &str) -> Option<(&str, &str)> {
    tok.split_once('=')
}

/// Reads `r` line by line, calling `f(line_number, line)` (1-based, without
/// the newline); I/O errors become environment errors naming `file`.
/// Stops early (returns `Ok(false)`) when `f` returns `Ok(false)`.
pub fn for_each_line<R: BufRead>(
    mut r: R,
    file: &str,
    mut f: impl FnMut(usize, &str) -> Result<bool>,
) -> Result<bool> {
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        let got = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| crate::env::io_error(file, &e))?;
        if got == 0 {
            return Ok(true);
        }
        n += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let line =
            std::str::from_utf8(&buf).map_err(|_| Error::parse(file, n, "not UTF-8 text"))?;
        if !f(n, line)? {
            return Ok(false);
        }
    }
}
