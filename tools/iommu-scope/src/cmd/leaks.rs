// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope leaks`: the DMA use-after-free log, decoded.
//!
//! Owns: the leaks command's output. Must not: write `reset`.

use super::{hex16, Out};
use crate::env::{self, Env};
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::leaks::{self, Leaks};

/// The parsed `leaks` file.
pub fn read(env: &Env) -> Result<Leaks> {
    let f = env.iopt()?.join("leaks");
    if !f.exists() {
        return Err(Error::Env(format!(
            "{} does not exist: leak detection is not active on this kernel (see \"iommu-scope status\")",
            f.display()
        )));
    }
    leaks::parse(env::open(&f)?, &env::name(&f))
}

/// The JSON of the log.
pub fn to_json(l: &Leaks) -> J {
    obj([
        (
            "leaks",
            J::A(
                l.leaks
                    .iter()
                    .map(|x| {
                        obj([
                            ("pa", J::hex(x.pa)),
                            ("pfn", J::U(x.pfn)),
                            ("order", J::U(x.order.into())),
                            ("mapcount", J::U(x.mapcount)),
                            (
                                "freed_by",
                                obj([("comm", J::s(&x.comm)), ("pid", J::U(x.pid))]),
                            ),
                            ("resolved", J::Bool(x.resolved)),
                            (
                                "owners",
                                J::A(
                                    x.owners
                                        .iter()
                                        .map(|o| {
                                            obj([
                                                ("domain", J::s(&o.domain)),
                                                ("iova", o.iova.map_or(J::Null, J::hex)),
                                                (
                                                    "devices",
                                                    J::A(o.devices.iter().map(J::s).collect()),
                                                ),
                                                ("truncated", J::Bool(o.truncated)),
                                            ])
                                        })
                                        .collect(),
                                ),
                            ),
                            ("unconfirmed", J::Bool(x.unconfirmed)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("more_not_kept", J::U(l.more_not_kept)),
    ])
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out) -> Result<()> {
    let l = read(env)?;
    if out.json {
        return out.json(&to_json(&l));
    }
    let unconfirmed = l.leaks.iter().filter(|x| x.unconfirmed).count();
    out.line(&format!(
        "{} DMA use-after-free report(s){}{}",
        l.leaks.len(),
        if unconfirmed > 0 {
            format!(", {} of them unconfirmed", unconfirmed)
        } else {
            String::new()
        },
        if l.more_not_kept > 0 {
            format!(" ({} more not kept)", l.more_not_kept)
        } else {
            String::new()
        }
    ))?;
    for x in &l.leaks {
        out.line(&format!(
            "pa {} (pfn 0x{:x}, order {}) mapped {} time(s), freed by {}[{}]{}",
            hex16(x.pa),
            x.pfn,
            x.order,
            x.mapcount,
            x.comm,
            x.pid,
            if x.unconfirmed {
                " (unconfirmed: the module's count may be stale, see release_walks_cut)"
            } else {
                ""
            }
        ))?;
        if !x.resolved {
            out.line("  owners: (being resolved by the module)")?;
        } else if x.owners.is_empty() && x.unconfirmed {
            out.line("  owners: none (unmapped since, or a count the module left)")?;
        } else if x.owners.is_empty() {
            out.line("  owners: none (unmapped since)")?;
        }
        for o in &x.owners {
            out.line(&format!(
                "  {} iova={} devices={}{}",
                o.domain,
                o.iova.map_or("?".to_string(), hex16),
                if o.devices.is_empty() {
                    "-".to_string()
                } else {
                    o.devices.join(",")
                },
                if o.truncated {
                    " (cut by the module)"
                } else {
                    ""
                }
            ))?;
        }
    }
    Ok(())
}
