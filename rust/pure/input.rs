// SPDX-License-Identifier: GPL-2.0

//! What a user writes to the module's writable debugfs files (`lookup`,
//! `reset`, `iopf/reset`): one token, optionally surrounded by ASCII white
//! space (so `echo word > file` works), and the numbers in it.
//!
//! Owns: the one parser and its one bad-input behaviour: anything that is
//! not exactly one well-formed token is refused as a whole, and the caller
//! changes nothing. Must not: know what a file does with the token.

/// The longest write any file accepts, in bytes.
pub const MAX_WRITE: usize = 64;

/// Why a write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputError {
    /// Nothing but white space.
    Empty,
    /// More than `MAX_WRITE` bytes.
    TooLong,
    /// Not ASCII, or more than one token.
    Malformed,
    /// A number with a sign, a bad digit, or out of range.
    BadNumber,
}

/// The single token of `input`: white space around it is dropped, and
/// anything but one run of printable, non-space ASCII is refused.
pub fn token(input: &[u8]) -> Result<&str, InputError> {
    if input.len() > MAX_WRITE {
        return Err(InputError::TooLong);
    }
    let start = input.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(InputError::Empty);
    };
    let end = input
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    let tok = &input[start..end];
    if !tok.iter().all(|b| b.is_ascii_graphic()) {
        return Err(InputError::Malformed);
    }
    core::str::from_utf8(tok).map_err(|_| InputError::Malformed)
}

/// An unsigned number: `0x` or `0X` and hex digits, or decimal digits. No
/// sign, no separators, no empty digit string, no overflow of `u64`.
pub fn number(tok: &str) -> Result<u64, InputError> {
    let (digits, radix) = match tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (tok, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(InputError::BadNumber);
    }
    // Only digits of the radix are left: the one error is overflow.
    u64::from_str_radix(digits, radix).map_err(|_| InputError::BadNumber)
}

/// The exact keyword `word`, alone.
pub fn keyword(input: &[u8], word: &str) -> Result<(), InputError> {
    if token(input)? == word {
        Ok(())
    } else {
        Err(InputError::Malformed)
    }
}
