// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope who-maps PA`: the 4 KiB unit's refcount (from `pages`,
//! read as a stream up to the address: it is in address order) and every
//! domain whose dump maps the address, with the IOVA and the devices.
//!
//! Owns: the who-maps command's output. Must not: write `lookup` (it
//! is shared by every reader).

use super::{device_json, hex16, Out};
use crate::env::{self, Env};
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::accounting::parse_page;
use crate::parse::ptdump::{self, Line};
use crate::parse::{dec, for_each_line, hex};
use crate::resolve;

/// Largest physical address accepted (52 bits, the Arm maximum).
pub const MAX_PA: u64 = (1 << 52) - 1;

/// Parses a physical address: `0x<hex>` or decimal, below 2^52.
pub fn parse_pa(s: &str) -> Result<u64> {
    let v = if s.starts_with("0x") { hex(s) } else { dec(s) };
    match v {
        Some(v) if v <= MAX_PA => Ok(v),
        _ => Err(Error::Request(format!(
            "bad physical address {:?}: give 0x<hex> or decimal digits, below 2^52",
            s
        ))),
    }
}

/// One mapping of the address.
pub struct Mapping {
    /// `domain_<id>`.
    pub domain: String,
    /// The IOVA of the address there.
    pub iova: u64,
    /// Whether that dump ended consistent.
    pub consistent: Option<bool>,
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out, pa_text: &str) -> Result<()> {
    let pa = parse_pa(pa_text)?;
    let unit = pa & !0xfff;
    let iopt = env.iopt()?;
    let pages = iopt.join("pages");
    let pname = env::name(&pages);
    let mut refcount = 0;
    let counted = pages.exists();
    if counted {
        for_each_line(env::open(&pages)?, &pname, |n, l| {
            let (p, c) = parse_page(l, &pname, n)?;
            if p == unit {
                refcount = c;
            }
            Ok(p < unit)
        })?;
    }
    let sysfs = env.sysfs();
    let mut found = Vec::new();
    for dom in resolve::all_domains(&iopt)? {
        let f = dom.dir.join("ptdump");
        let file = env::name(&f);
        let mut hits = Vec::new();
        let mut consistent = None;
        let read = env::open(&f).and_then(|r| {
            for_each_line(r, &file, |n, l| {
                match ptdump::parse_line(l, &file, n)? {
                    Line::Run(r) if pa >= r.pa && pa - r.pa < r.size => {
                        hits.push(r.iova.wrapping_add(pa - r.pa))
                    }
                    Line::Consistency(c, _) => consistent = Some(c),
                    _ => {}
                }
                Ok(true)
            })
        });
        match read {
            Ok(_) => {}
            // Freed since it was listed (gone, EIO): it maps nothing now.
            // (A dump reading "# domain freed" has no runs: no hit.)
            Err(e) if env::domain_gone(&dom.dir, &e) => continue,
            Err(e) => return Err(e),
        }
        for iova in hits {
            found.push((dom.clone(), iova, consistent));
        }
    }
    if out.json {
        let maps = found
            .iter()
            .map(|(d, iova, c)| {
                obj([
                    ("domain", J::s(d.id())),
                    ("iova", J::hex(*iova)),
                    (
                        "devices",
                        J::A(
                            d.devices
                                .devices
                                .iter()
                                .map(|x| {
                                    device_json(x, resolve::driver_of(&sysfs, &x.name).as_deref())
                                })
                                .collect(),
                        ),
                    ),
                    ("consistent", c.map_or(J::Null, J::Bool)),
                ])
            })
            .collect();
        return out.json(&obj([
            ("pa", J::hex(pa)),
            ("unit", J::hex(unit)),
            ("refcount", if counted { J::U(refcount) } else { J::Null }),
            ("mappings", J::A(maps)),
        ]));
    }
    if counted {
        out.line(&format!(
            "pa {}: refcount {} (4 KiB unit {})",
            hex16(pa),
            refcount,
            hex16(unit)
        ))?;
    } else {
        out.line(&format!(
            "pa {}: refcount unknown (the accounting is not active)",
            hex16(pa)
        ))?;
    }
    if found.is_empty() {
        out.line("mapped by no domain")?;
    }
    for (d, iova, c) in &found {
        let devs: Vec<String> = d.devices.devices.iter().map(|x| x.name.clone()).collect();
        out.line(&format!(
            "{} iova={} devices={}{}",
            d.id(),
            hex16(*iova),
            if devs.is_empty() {
                "-".to_string()
            } else {
                devs.join(",")
            },
            if *c == Some(false) {
                " (dump INCONSISTENT)"
            } else {
                ""
            }
        ))?;
    }
    Ok(())
}
