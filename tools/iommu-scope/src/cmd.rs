// SPDX-License-Identifier: GPL-2.0

//! The commands, one file each; this file holds what they share: the
//! output sink, JSON of the parsed models, the small text-table printer.
//!
//! Owns: the text and JSON output of every command (documented in
//! `Documentation/cli.rst`). Must not: write to the module's files.

pub mod domains;
pub mod events;
pub mod export;
pub mod iopf_top;
pub mod leaks;
pub mod ptdump;
pub mod status;
pub mod streams;
pub mod who_maps;
pub mod who_translates;

use crate::error::{out_err, Result};
use crate::json::J;
use crate::parse::devices::Device;
use std::io::Write;

/// Where a command writes: standard output (or a test's buffer), and
/// whether it writes JSON.
pub struct Out<'a> {
    /// The sink.
    pub w: &'a mut dyn Write,
    /// `--json` was given.
    pub json: bool,
}

impl Out<'_> {
    /// Writes one line.
    pub fn line(&mut self, s: &str) -> Result<()> {
        self.w.write_all(s.as_bytes()).map_err(out_err)?;
        self.w.write_all(b"\n").map_err(out_err)
    }

    /// Writes one JSON value as a line.
    pub fn json(&mut self, j: &J) -> Result<()> {
        self.line(&j.to_text())
    }

    /// Flushes (streamed output: after each line a reader may wait for).
    pub fn flush(&mut self) -> Result<()> {
        self.w.flush().map_err(out_err)
    }
}

/// A `key=value` string as a JSON number when it is a decimal integer,
/// else as a string.
pub fn value_json(v: &str) -> J {
    if let Some(u) = crate::parse::dec(v) {
        return J::U(u);
    }
    if let Some(i) = crate::parse::int(v) {
        return J::I(i);
    }
    J::s(v)
}

/// `key=value` pairs as a JSON object.
pub fn values_json(v: &[(String, String)]) -> J {
    J::O(v.iter().map(|(k, x)| (k.clone(), value_json(x))).collect())
}

/// A device of a `devices` file, with the driver bound to it.
pub fn device_json(d: &Device, driver: Option<&str>) -> J {
    crate::json::obj([
        ("name", J::s(&d.name)),
        ("driver", J::opt_s(driver)),
        ("group", J::I(d.group)),
        (
            "sids",
            J::A(d.sids.iter().map(|&s| J::U(s.into())).collect()),
        ),
        ("pasid", d.pasid.map_or(J::Null, |p| J::U(p.into()))),
    ])
}

/// Rows as columns padded to the widest cell (the last column unpadded).
pub fn table(rows: &[Vec<String>]) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut width = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    rows.iter()
        .map(|r| {
            let mut s = String::new();
            for (i, c) in r.iter().enumerate() {
                if i + 1 == r.len() {
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    for _ in c.chars().count()..width[i] + 2 {
                        s.push(' ');
                    }
                }
            }
            s
        })
        .collect()
}

/// A physical address or IOVA as the module prints it.
pub fn hex16(v: u64) -> String {
    format!("0x{:016x}", v)
}
