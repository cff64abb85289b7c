// SPDX-License-Identifier: GPL-2.0

//! `accounting` (`<name> <value>` lines; new counters may appear) and
//! `pages` (`0x<16 hex digits> <count>` lines, in address order).
//!
//! Owns: both models. Must not: hold the whole `pages` file (callers
//! parse it a line at a time with `parse_page`).

use super::{dec, for_each_line, hex};
use crate::error::{Error, Result};
use std::io::BufRead;

/// The `accounting` counters in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    /// `(name, value)` pairs.
    pub counters: Vec<(String, u64)>,
}

impl Accounting {
    /// The counter `name`.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.counters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
    }
}

/// Parses `accounting` text.
pub fn parse<R: BufRead>(r: R, file: &str) -> Result<Accounting> {
    let mut a = Accounting::default();
    for_each_line(r, file, |n, line| {
        // "#" lines (the documentation allows comments) are skipped.
        if line.starts_with('#') {
            return Ok(true);
        }
        let mut t = line.split(' ');
        match (t.next(), t.next().and_then(dec), t.next()) {
            (Some(k), Some(v), None)
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                a.counters.push((k.to_string(), v));
                Ok(true)
            }
            _ => Err(Error::parse(file, n, "expected \"<name> <value>\"")),
        }
    })?;
    Ok(a)
}

/// One `pages` line: a 4 KiB unit's address and its count.
pub fn parse_page(line: &str, file: &str, n: usize) -> Result<(u64, u64)> {
    let mut t = line.split(' ');
    match (t.next().and_then(hex), t.next().and_then(dec), t.next()) {
        (Some(pa), Some(c), None) => Ok((pa, c)),
        _ => Err(Error::parse(file, n, "expected \"0x<address> <count>\"")),
    }
}
