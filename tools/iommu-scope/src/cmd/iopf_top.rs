// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope iopf top [--interval SEC] [--iterations N]`: the IO page
//! fault counters per device, PASID and process, with fault rates between
//! samples, printed every interval.
//!
//! Owns: the iopf top command's output. Must not: write `iopf/reset`.

use super::Out;
use crate::env::{self, Env};
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::iopf;
use crate::top::{self, Sample, SCOPES};
use std::path::Path;
use std::time::{Duration, Instant};

/// The counters shown as columns, in order.
pub const COLUMNS: [&str; 8] = [
    "faults", "read", "write", "exec", "accepted", "refused", "handled", "failed",
];

/// Reads one sample of `iopt/iopf/`.
pub fn sample(iopt: &Path) -> Result<Sample> {
    let dir = iopt.join("iopf");
    if !dir.is_dir() {
        let st = iopt.join("status");
        let line = std::fs::read_to_string(&st)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("feature iopf:"))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "feature iopf: unknown".into());
        return Err(Error::Env(format!(
            "IO page fault accounting is not available on this kernel ({}): it needs CONFIG_IOMMU_IOPF (SVA)",
            line
        )));
    }
    let mut s = Sample::default();
    for (scope, file) in SCOPES {
        let f = dir.join(file);
        s.scopes.push((
            scope.to_string(),
            iopf::parse(env::open(&f)?, &env::name(&f))?,
        ));
    }
    Ok(s)
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out, interval: Duration, iterations: Option<u64>) -> Result<()> {
    let iopt = env.iopt()?;
    // SIGINT, SIGTERM, SIGHUP, SIGQUIT end it between samples (and a
    // write blocked on a reader that stopped reading).
    super::events::catch_signals();
    let mut prev: Option<(Sample, Instant)> = None;
    let mut i = 0u64;
    loop {
        i += 1;
        let now = sample(&iopt)?;
        let t = Instant::now();
        let secs = prev
            .as_ref()
            .map_or(0.0, |(_, p)| t.duration_since(*p).as_secs_f64());
        let rows = top::rows(prev.as_ref().map(|(s, _)| s), &now, secs);
        if out.json {
            let keys = rows
                .iter()
                .map(|r| {
                    obj([
                        ("scope", J::s(&r.scope)),
                        ("key", J::s(&r.key)),
                        (
                            "counters",
                            J::O(
                                r.now
                                    .values
                                    .iter()
                                    .map(|(k, v)| (k.clone(), J::U(*v)))
                                    .collect(),
                            ),
                        ),
                        ("faults_per_s", r.fault_rate.map_or(J::Null, J::F)),
                    ])
                })
                .collect();
            out.json(&obj([
                ("iteration", J::U(i)),
                (
                    "interval_s",
                    if prev.is_some() { J::F(secs) } else { J::Null },
                ),
                ("keys", J::A(keys)),
            ]))?;
        } else {
            out.line(&format!(
                "iopf top: iteration {}{} ({} keys)",
                i,
                if prev.is_some() {
                    format!(", {:.1}s since the last", secs)
                } else {
                    String::new()
                },
                rows.len()
            ))?;
            let mut t = vec![{
                let mut h = vec![
                    "SCOPE".to_string(),
                    "KEY".to_string(),
                    "FAULTS/S".to_string(),
                ];
                h.extend(COLUMNS.iter().map(|c| c.to_ascii_uppercase()));
                h.push("REPORT_NS".into());
                h
            }];
            for r in &rows {
                let mut row = vec![
                    r.scope.clone(),
                    r.key.clone(),
                    r.fault_rate
                        .map_or("-".to_string(), |x| format!("{:.1}", x)),
                ];
                row.extend(COLUMNS.iter().map(|c| r.now.get(c).to_string()));
                row.push(r.now.get("report_ns").to_string());
                t.push(row);
            }
            for l in super::table(&t) {
                out.line(&l)?;
            }
        }
        out.flush()?;
        prev = Some((now, t));
        if iterations.is_some_and(|n| i >= n) || super::events::stopped() {
            return Ok(());
        }
        let t0 = Instant::now();
        while t0.elapsed() < interval && !super::events::stopped() {
            std::thread::sleep(
                interval
                    .saturating_sub(t0.elapsed())
                    .min(Duration::from_millis(100)),
            );
        }
        if super::events::stopped() {
            return Ok(());
        }
    }
}
