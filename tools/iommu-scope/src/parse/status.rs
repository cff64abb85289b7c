// SPDX-License-Identifier: GPL-2.0

//! `io_page_tables/status`: `module: <name>`, then `feature <name>: <state>
//! [key=value...]` lines, each followed by its `probe <function>: <state>
//! (<what>) [key=value...]` lines. New lines may appear in later versions:
//! lines of another shape are kept in `other`.
//!
//! Owns: the status model. Must not: interpret a feature's counters.

use super::{for_each_line, kv};
use crate::error::{Error, Result};
use std::io::BufRead;

/// One `probe` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The hooked function or tracepoint (`__iommu_unmap`, `iommu:map`).
    pub func: String,
    /// `active`, `armed`, `disarmed`, `unavailable`.
    pub state: String,
    /// The text in parentheses: what the probe is for (or why not armed).
    pub what: String,
    /// The `key=value` pairs after it (`missed`, `error`).
    pub values: Vec<(String, String)>,
}

/// One `feature` line and its probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// `accounting`, `leak_detection`, `smmu_evtq_event`, `iopf`,
    /// `io_page_tables`.
    pub name: String,
    /// `active` or `unavailable`.
    pub state: String,
    /// The `key=value` pairs (`events=10`, `error=-2`).
    pub values: Vec<(String, String)>,
    /// The probe lines that follow it.
    pub probes: Vec<Probe>,
}

impl Feature {
    /// The value of `key`, if present.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the feature runs.
    pub fn active(&self) -> bool {
        self.state == "active"
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The module's name (`iommu_scope`).
    pub module: String,
    /// Features in file order.
    pub features: Vec<Feature>,
    /// Lines of another shape, kept as they are.
    pub other: Vec<String>,
}

impl Status {
    /// The feature `name`.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }
}

fn values(file: &str, n: usize, toks: &str) -> Result<Vec<(String, String)>> {
    toks.split_whitespace()
        .map(|t| {
            kv(t)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| Error::parse(file, n, format!("expected key=value, got {:?}", t)))
        })
        .collect()
}

/// Parses `status` text.
pub fn parse<R: BufRead>(r: R, file: &str) -> Result<Status> {
    let mut s = Status::default();
    for_each_line(r, file, |n, line| {
        if n == 1 {
            s.module = line
                .strip_prefix("module: ")
                .filter(|m| !m.is_empty() && !m.contains(' '))
                .ok_or_else(|| Error::parse(file, n, "expected \"module: <name>\""))?
                .to_string();
        } else if let Some(rest) = line.strip_prefix("feature ") {
            let (name, rest) = rest
                .split_once(": ")
                .ok_or_else(|| Error::parse(file, n, "expected \"feature <name>: <state>\""))?;
            let (state, vals) = rest.split_once(' ').unwrap_or((rest, ""));
            if name.is_empty() || name.contains(' ') || state.is_empty() {
                return Err(Error::parse(
                    file,
                    n,
                    "expected \"feature <name>: <state>\"",
                ));
            }
            s.features.push(Feature {
                name: name.to_string(),
                state: state.to_string(),
                values: values(file, n, vals)?,
                probes: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("probe ") {
            let (func, rest) = rest
                .split_once(": ")
                .ok_or_else(|| Error::parse(file, n, "expected \"probe <function>: <state>\""))?;
            let (state, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let (what, vals) = match rest.strip_prefix('(') {
                Some(r) => {
                    let close = r
                        .rfind(')')
                        .ok_or_else(|| Error::parse(file, n, "unclosed '(' in a probe line"))?;
                    (&r[..close], &r[close + 1..])
                }
                None => ("", rest),
            };
            if func.is_empty() || func.contains(' ') || state.is_empty() {
                return Err(Error::parse(
                    file,
                    n,
                    "expected \"probe <function>: <state>\"",
                ));
            }
            let p = Probe {
                func: func.to_string(),
                state: state.to_string(),
                what: what.to_string(),
                values: values(file, n, vals)?,
            };
            s.features
                .last_mut()
                .ok_or_else(|| Error::parse(file, n, "a probe line before any feature line"))?
                .probes
                .push(p);
        } else {
            s.other.push(line.to_string());
        }
        Ok(true)
    })?;
    if s.module.is_empty() {
        return Err(Error::parse(
            file,
            1,
            "empty file (expected \"module: <name>\")",
        ));
    }
    Ok(s)
}
