// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope domains`: one row per domain (id, driver, type,
//! format/granule, devices by name with their drivers, mapped bytes and
//! runs from its dump's counters line; the dump is read as a stream and
//! only its counters are kept).
//!
//! Owns: the domains command's output. Must not: keep a whole dump.

use super::{device_json, Out};
use crate::env::{self, Env};
use crate::error::Result;
use crate::json::{obj, J};
use crate::parse::for_each_line;
use crate::parse::info::{self, Info};
use crate::parse::ptdump::{self, Line, Totals};
use crate::resolve::{self, DomainDevices};
use std::path::Path;

/// The counters and consistency mark of a domain's dump.
#[derive(Debug, Clone, Default)]
pub struct DumpSummary {
    /// The counters line, if the dump has one (none for SVA domains).
    pub totals: Option<Totals>,
    /// The consistency mark.
    pub consistent: Option<bool>,
    /// The dump says `# domain freed: ...`.
    pub freed: bool,
}

/// Reads `dir/ptdump` to its end, keeping only the summary.
pub fn dump_summary(dir: &Path) -> Result<DumpSummary> {
    let f = dir.join("ptdump");
    let file = env::name(&f);
    let mut s = DumpSummary::default();
    for_each_line(env::open(&f)?, &file, |n, l| {
        match ptdump::parse_line(l, &file, n)? {
            Line::Totals(t) => s.totals = Some(t),
            Line::Consistency(c, _) => s.consistent = Some(c),
            Line::Comment(c) if c == env::DOMAIN_FREED => s.freed = true,
            _ => {}
        }
        Ok(true)
    })?;
    Ok(s)
}

/// One domain's row.
pub struct Row {
    /// Its devices.
    pub dom: DomainDevices,
    /// Its info.
    pub info: Info,
    /// Its dump's summary.
    pub dump: DumpSummary,
    /// The driver bound to each device (same order).
    pub drivers: Vec<Option<String>>,
}

/// One domain's row; `None` if the domain was freed meanwhile (its files
/// gone, EIO, or saying `# domain freed`).
pub fn row(dom: DomainDevices, sysfs: &Path) -> Result<Option<Row>> {
    let f = dom.dir.join("info");
    let read = env::open(&f)
        .and_then(|r| info::parse(r, &env::name(&f)))
        .and_then(|info| Ok((info, dump_summary(&dom.dir)?)));
    let (info, dump) = match read {
        Ok((info, _)) if info.comments.iter().any(|c| c == env::DOMAIN_FREED) => return Ok(None),
        Ok((_, dump)) if dump.freed => return Ok(None),
        Ok(x) => x,
        Err(e) if env::domain_gone(&dom.dir, &e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let drivers = dom
        .devices
        .devices
        .iter()
        .map(|d| resolve::driver_of(sysfs, &d.name))
        .collect();
    Ok(Some(Row {
        dom,
        info,
        dump,
        drivers,
    }))
}

/// Every domain's row.
pub fn rows(env: &Env) -> Result<Vec<Row>> {
    let iopt = env.iopt()?;
    let sysfs = env.sysfs();
    let mut v = Vec::new();
    for dom in resolve::all_domains(&iopt)? {
        // A domain freed since it was listed is skipped, not an error.
        if let Some(r) = row(dom, &sysfs)? {
            v.push(r);
        }
    }
    Ok(v)
}

/// A row's JSON object (`domains --json`, `who-translates --json`).
pub fn row_json(r: &Row) -> J {
    let t = r.dump.totals.clone().unwrap_or_default();
    obj([
        ("id", J::s(r.dom.id())),
        ("driver", J::opt_s(r.info.word("driver"))),
        ("type", J::opt_s(r.info.get("type"))),
        ("smmu", J::opt_s(r.info.get("smmu"))),
        ("format", J::opt_s(r.info.word("format"))),
        ("granule", J::opt_s(r.info.get("granule"))),
        (
            "ias",
            r.info
                .get("ias")
                .and_then(crate::parse::dec)
                .map_or(J::Null, J::U),
        ),
        (
            "oas",
            r.info
                .get("oas")
                .and_then(crate::parse::dec)
                .map_or(J::Null, J::U),
        ),
        (
            "devices",
            J::A(
                r.dom
                    .devices
                    .devices
                    .iter()
                    .zip(&r.drivers)
                    .map(|(d, drv)| device_json(d, drv.as_deref()))
                    .collect(),
            ),
        ),
        ("mapped_bytes", t.mapped.map_or(J::Null, J::U)),
        ("runs", t.runs.map_or(J::Null, J::U)),
        ("leaves", t.leaves.map_or(J::Null, J::U)),
        ("consistent", r.dump.consistent.map_or(J::Null, J::Bool)),
    ])
}

/// A row's devices as the text shows them: `name[/pasid=<n>][(driver)]`,
/// comma-separated, or `-`.
pub fn devices_text(r: &Row) -> String {
    let devs: Vec<String> = r
        .dom
        .devices
        .devices
        .iter()
        .zip(&r.drivers)
        .map(|(d, drv)| {
            let mut s = d.name.clone();
            if let Some(p) = d.pasid {
                s.push_str(&format!("/pasid={}", p));
            }
            if let Some(drv) = drv {
                s.push_str(&format!("({})", drv));
            }
            s
        })
        .collect();
    if devs.is_empty() {
        "-".to_string()
    } else {
        devs.join(",")
    }
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out) -> Result<()> {
    let rows = rows(env)?;
    if out.json {
        let doms = rows.iter().map(row_json).collect();
        return out.json(&obj([("domains", J::A(doms))]));
    }
    let mut t = vec![[
        "DOMAIN", "DRIVER", "TYPE", "FORMAT", "GRANULE", "MAPPED", "RUNS", "DEVICES",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>()];
    for r in &rows {
        let tot = r.dump.totals.clone().unwrap_or_default();
        let dash = |o: Option<&str>| o.unwrap_or("-").to_string();
        t.push(vec![
            r.dom.id(),
            dash(r.info.word("driver")),
            dash(r.info.get("type")),
            dash(r.info.word("format")),
            dash(r.info.get("granule")),
            tot.mapped.map_or("-".into(), |m| m.to_string()),
            tot.runs.map_or("-".into(), |m| m.to_string()),
            devices_text(r),
        ]);
    }
    for l in super::table(&t) {
        out.line(&l)?;
    }
    Ok(())
}
