// SPDX-License-Identifier: GPL-2.0

//! `domain_<id>/info`: `key: value` lines (new keys may appear; a `#`
//! line says the domain is being freed).
//!
//! Owns: the info model. Must not: give meaning to a key (the commands
//! pick the ones they show).

use super::for_each_line;
use crate::error::{Error, Result};
use std::io::BufRead;

/// A domain's `info`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// Pairs in file order.
    pub fields: Vec<(String, String)>,
    /// `#` lines (`# domain freed: ...`).
    pub comments: Vec<String>,
}

impl Info {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first word of the value of `key` (`format: ARM_64_LPAE_S1 (stage
    /// 1)` gives `ARM_64_LPAE_S1`).
    pub fn word(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.split_whitespace().next())
    }
}

/// Parses `info` text.
pub fn parse<R: BufRead>(r: R, file: &str) -> Result<Info> {
    let mut info = Info::default();
    for_each_line(r, file, |n, line| {
        if let Some(c) = line.strip_prefix('#') {
            info.comments.push(c.trim().to_string());
        } else if !line.is_empty() {
            let (k, v) = line
                .split_once(": ")
                .filter(|(k, _)| !k.is_empty() && !k.contains(' '))
                .ok_or_else(|| Error::parse(file, n, "expected \"key: value\""))?;
            info.fields.push((k.to_string(), v.to_string()));
        }
        Ok(true)
    })?;
    Ok(info)
}
