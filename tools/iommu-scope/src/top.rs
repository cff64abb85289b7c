// SPDX-License-Identifier: GPL-2.0

//! The arithmetic of `iopf top`: rates per key between two samples of the
//! IO page fault counters.
//!
//! Owns: the sample model and the rate rule (a counter that went down was
//! reset: its rate is taken from zero). Must not: read files.

use crate::parse::iopf::Counters;

/// The three scopes, with their file names under `iopf/`.
pub const SCOPES: [(&str, &str); 3] = [
    ("device", "devices"),
    ("pasid", "pasids"),
    ("process", "processes"),
];

/// One sample: for each scope, its keys' counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// `(scope, counters)` in `SCOPES` order.
    pub scopes: Vec<(String, Vec<Counters>)>,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `device`, `pasid`, `process`.
    pub scope: String,
    /// The key.
    pub key: String,
    /// The counters now.
    pub now: Counters,
    /// Faults per second since the previous sample (`None` for the first).
    pub fault_rate: Option<f64>,
}

/// The rows of `now`, with rates against `prev` taken `secs` earlier;
/// sorted by rate, then faults, descending, then scope and key.
pub fn rows(prev: Option<&Sample>, now: &Sample, secs: f64) -> Vec<Row> {
    let mut v = Vec::new();
    for (scope, keys) in &now.scopes {
        for c in keys {
            let rate = prev.map(|p| {
                let before = p
                    .scopes
                    .iter()
                    .find(|(s, _)| s == scope)
                    .and_then(|(_, ks)| ks.iter().find(|k| k.key == c.key))
                    .map_or(0, |k| k.get("faults"));
                let f = c.get("faults");
                let d = if f >= before { f - before } else { f };
                if secs > 0.0 {
                    d as f64 / secs
                } else {
                    0.0
                }
            });
            v.push(Row {
                scope: scope.clone(),
                key: c.key.clone(),
                now: c.clone(),
                fault_rate: rate,
            });
        }
    }
    v.sort_by(|a, b| {
        let ra = a.fault_rate.unwrap_or(0.0);
        let rb = b.fault_rate.unwrap_or(0.0);
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.now.get("faults").cmp(&a.now.get("faults")))
            .then(a.scope.cmp(&b.scope))
            .then(a.key.cmp(&b.key))
    });
    v
}
