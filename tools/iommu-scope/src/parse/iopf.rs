// SPDX-License-Identifier: GPL-2.0

//! `iopf/devices`, `iopf/pasids`, `iopf/processes`: `<key>.<counter>
//! <value>` lines, nine counters per key in a fixed order (new counters may
//! appear; the key may itself contain dots: `0000:00:01.0.faults`, so the
//! counter is what follows the last dot).
//!
//! Owns: the counters model. Must not: compute rates (see `top`).

use super::{dec, for_each_line};
use crate::error::{Error, Result};
use std::io::BufRead;

/// The counters of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counters {
    /// The device name, PASID (`7`, `none`), or `mm_<hash>` / `-`.
    pub key: String,
    /// `(counter, value)` in file order.
    pub values: Vec<(String, u64)>,
}

impl Counters {
    /// The counter `name` (0 if absent).
    pub fn get(&self, name: &str) -> u64 {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map_or(0, |(_, v)| *v)
    }
}

/// Parses one scope file: keys in file order.
pub fn parse<R: BufRead>(r: R, file: &str) -> Result<Vec<Counters>> {
    let mut v: Vec<Counters> = Vec::new();
    for_each_line(r, file, |n, line| {
        // The module's "# out of memory" (rust/events/iopf.rs), the
        // debugfs buffer's "# line too long: cut": comments, skipped.
        if line.starts_with('#') {
            return Ok(true);
        }
        let bad = || Error::parse(file, n, "expected \"<key>.<counter> <value>\"");
        let (name, val) = line.split_once(' ').ok_or_else(bad)?;
        let val = dec(val).ok_or_else(bad)?;
        let (key, counter) = name.rsplit_once('.').ok_or_else(bad)?;
        if key.is_empty()
            || counter.is_empty()
            || !counter.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            return Err(bad());
        }
        match v.last_mut() {
            Some(c) if c.key == key => c.values.push((counter.to_string(), val)),
            _ => v.push(Counters {
                key: key.to_string(),
                values: vec![(counter.to_string(), val)],
            }),
        }
        Ok(true)
    })?;
    Ok(v)
}
