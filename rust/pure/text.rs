// SPDX-License-Identifier: GPL-2.0

//! Formatting into a fixed buffer, for code that must not allocate (hooks,
//! probes, spinlocked sections): the one bounded writer of the crate.
//!
//! Owns: `FixedBuf`. Must not: allocate, or fail a write (what does not fit
//! is cut and remembered).

use core::fmt;

/// A `fmt::Write` into a fixed byte buffer. What does not fit is cut (at a
/// character boundary, so the text stays valid UTF-8), `truncated` is set
/// and later writes are dropped, so the text is always a prefix of what was
/// written; writing never fails.
///
/// # Invariants
///
/// `buf[..len]` is valid UTF-8 and `len <= buf.len()`.
pub struct FixedBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
    truncated: bool,
}

impl<'a> FixedBuf<'a> {
    /// An empty writer over `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        FixedBuf {
            buf,
            len: 0,
            truncated: false,
        }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // The invariant makes the fallback unreachable.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether some output was cut.
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Write for FixedBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.truncated {
            // Once cut, nothing more: the text stays a prefix of what was
            // written.
            return Ok(());
        }
        let room = self.buf.len() - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        if n < s.len() {
            self.truncated = true;
        }
        // INVARIANT: a whole-character prefix of a `str` is valid UTF-8.
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
