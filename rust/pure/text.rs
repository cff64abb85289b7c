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

/// Capacity of a `Chunk`: the longest unit of streamed text (a dump line
/// is under 160 bytes, a dump's footer two lines).
pub const CHUNK_MAX: usize = 512;

/// One unit of a streamed file's text, never split between two reads: a
/// line, or a few lines that belong together. Owns its buffer, so a stream
/// can hold a chunk that did not fit into a read until the next one.
///
/// # Invariants
///
/// `buf[..len]` is valid UTF-8 and `len <= CHUNK_MAX`.
pub struct Chunk {
    buf: [u8; CHUNK_MAX],
    len: usize,
}

impl Default for Chunk {
    fn default() -> Self {
        Self::new()
    }
}

impl Chunk {
    /// An empty chunk.
    pub const fn new() -> Self {
        Chunk {
            buf: [0; CHUNK_MAX],
            len: 0,
        }
    }

    /// Empties it.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Whether it holds no text.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A write that does not fit fails (and writes nothing of itself): a
/// formatter that gets the error stops, and the caller replaces the chunk
/// (see `set_str`).
impl fmt::Write for Chunk {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        // INVARIANT: `s` is UTF-8 and is appended whole, within the buffer.
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Chunk {
    /// Writes one piece with `w`; if it does not fit (pieces are far
    /// shorter than a chunk, so never in practice), the chunk holds a
    /// `#` line saying so instead of a cut piece.
    pub fn write_or_mark(&mut self, w: impl FnOnce(&mut Chunk) -> fmt::Result) {
        if w(self).is_err() {
            self.set_str("# line too long: cut\n");
        }
    }

    /// Replaces the text with `s` (cut to the capacity at a character
    /// boundary).
    pub fn set_str(&mut self, s: &str) {
        let mut n = s.len().min(CHUNK_MAX);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        // INVARIANT: a whole-character prefix, within the buffer.
        self.buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        self.len = n;
    }
}

/// Appending without `core::fmt` (one bounds check and a copy per field):
/// the dump lines, written a quarter of a million times per large dump.
/// Each fails if the text does not fit; what a failed call appended before
/// (padding) stays, so a caller replaces a chunk whose writing failed.
impl Chunk {
    /// Appends ASCII or UTF-8 text.
    pub fn put(&mut self, s: &str) -> fmt::Result {
        fmt::Write::write_str(self, s)
    }

    /// Appends `n` spaces.
    fn put_spaces(&mut self, mut n: usize) -> fmt::Result {
        while n > 0 {
            let s = spaces(n);
            self.put(s)?;
            n -= s.len();
        }
        Ok(())
    }

    /// Appends `s` right-aligned in `width` columns.
    pub fn put_right(&mut self, s: &str, width: usize) -> fmt::Result {
        self.put_spaces(width.saturating_sub(s.len()))?;
        self.put(s)
    }

    /// Appends `s` left-aligned in `width` columns.
    pub fn put_left(&mut self, s: &str, width: usize) -> fmt::Result {
        self.put(s)?;
        self.put_spaces(width.saturating_sub(s.len()))
    }

    /// Appends `0x` and `v` in 16 lower-case hex digits.
    pub fn put_hex16(&mut self, v: u64) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let end = self.len.checked_add(18).ok_or(fmt::Error)?;
        let b = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        b[0] = b'0';
        b[1] = b'x';
        for (i, d) in b[2..].iter_mut().enumerate() {
            *d = DIGITS[((v >> (60 - 4 * i)) & 0xf) as usize];
        }
        // INVARIANT: ASCII (UTF-8) was written within the buffer.
        self.len = end;
        Ok(())
    }

    /// Appends `v` in decimal.
    pub fn put_dec(&mut self, v: u64) -> fmt::Result {
        let mut b = [0u8; 20];
        self.put(dec(&mut b, v))
    }

    /// Appends `v` in decimal, zero-padded to at least `width` digits.
    pub fn put_dec0(&mut self, v: u64, width: usize) -> fmt::Result {
        let mut b = [0u8; 20];
        let d = dec(&mut b, v);
        for _ in d.len()..width {
            self.put("0")?;
        }
        self.put(d)
    }
}

/// `n` spaces, at most 16 (callers loop).
fn spaces(n: usize) -> &'static str {
    const SPACES: &str = "                ";
    &SPACES[..n.min(SPACES.len())]
}

/// `v` in decimal, written at the end of `buf`.
pub fn dec(buf: &mut [u8; 20], mut v: u64) -> &str {
    let mut i = buf.len();
    loop {
        // A u64 has at most 20 decimal digits, the length of `buf`: `i`
        // never goes below 0.
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Digits only: always UTF-8.
    core::str::from_utf8(&buf[i..]).unwrap_or("")
}

/// What one `Pending::pump` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pumped {
    /// Put at least one chunk; more may follow.
    Wrote,
    /// Put nothing: the text is over.
    Ended,
    /// Put nothing: the next chunk does not fit where it was offered (it
    /// is kept for the next pump).
    NoRoom,
}

/// Moves a stream's chunks into a bounded output (a read's buffer), whole
/// chunks only, keeping the one that did not fit for the next call, so
/// nothing is produced twice or lost however the text is cut into reads.
///
/// # Invariants
///
/// `held` is true when `chunk` holds text produced and not yet put.
#[derive(Default)]
pub struct Pending {
    chunk: Chunk,
    held: bool,
    ended: bool,
}

impl Pending {
    /// Starts over (the stream was rewound): drops a held chunk.
    pub fn reset(&mut self) {
        self.chunk.clear();
        self.held = false;
        self.ended = false;
    }

    /// Puts chunks while `put` takes them: `next` writes the next chunk
    /// into an empty `Chunk` (false: no more), `put` copies one whole
    /// chunk or refuses it (false, having taken nothing of it).
    pub fn pump(
        &mut self,
        mut next: impl FnMut(&mut Chunk) -> bool,
        mut put: impl FnMut(&[u8]) -> bool,
    ) -> Pumped {
        let mut wrote = false;
        loop {
            if !self.held {
                if self.ended {
                    break;
                }
                self.chunk.clear();
                if !next(&mut self.chunk) {
                    self.ended = true;
                    break;
                }
                if self.chunk.is_empty() {
                    continue;
                }
                self.held = true;
            }
            if !put(self.chunk.as_bytes()) {
                return if wrote { Pumped::Wrote } else { Pumped::NoRoom };
            }
            self.held = false;
            wrote = true;
        }
        if wrote {
            Pumped::Wrote
        } else {
            Pumped::Ended
        }
    }
}
