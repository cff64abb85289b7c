// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope who-translates SID [--smmu NAME]`: the path a DMA from a
//! stream ID takes: the SMMU and device it belongs to, its STE's
//! configuration, each valid CD (substream) of a stage-1 STE or the
//! stage-2 table, and the `domain_<id>` directory that owns each table,
//! with that domain's type, format, granule, mapped bytes and devices (its
//! `info`, `devices` and dump counters).
//!
//! Owns: the who-translates command's output. Must not: guess an SMMU
//! when several have the stream ID.

use super::domains::{self, Row};
use super::streams::{self as cs, Smmu};
use super::{hex16, Out};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::streams::{Owner, Stream};
use crate::parse::{dec, hex};
use crate::resolve;

/// Parses a stream ID: `0x<hex>` or decimal, below 2^32.
pub fn parse_sid(s: &str) -> Result<u32> {
    let v = if s.starts_with("0x") { hex(s) } else { dec(s) };
    v.and_then(|v| u32::try_from(v).ok()).ok_or_else(|| {
        Error::Request(format!(
            "bad stream ID {:?}: give 0x<hex> or decimal digits, below 2^32",
            s
        ))
    })
}

/// What a DMA of the stream gets: `translate`, `bypass` or `abort`.
pub fn effect(config: &str) -> &'static str {
    match config {
        "s1" | "s2" | "nested" => "translate",
        "bypass" => "bypass",
        "abort" | "invalid" | "reserved" | "missing" => "abort",
        _ => "unknown",
    }
}

/// One table on the path: a CD's stage-1 table or the stage-2 table.
struct Step<'a> {
    stage: u8,
    ssid: Option<u32>,
    asid: Option<u16>,
    vmid: Option<u64>,
    table: Option<u64>,
    granule: Option<&'a str>,
    owner: &'a Owner,
}

fn steps(s: &Stream) -> Vec<Step<'_>> {
    let mut v = Vec::new();
    if s.config == "s1" {
        for c in &s.cds {
            v.push(Step {
                stage: 1,
                ssid: Some(c.ssid),
                asid: Some(c.asid),
                vmid: None,
                table: c.ttb0(),
                granule: c.fields.get("tg0"),
                owner: &c.owner,
            });
        }
    }
    if s.has_s2() {
        v.push(Step {
            stage: 2,
            ssid: None,
            asid: None,
            vmid: s.fields.hex("vmid"),
            table: s.fields.hex("vttbr"),
            granule: s.fields.get("s2tg"),
            owner: &s.owner,
        });
    }
    v
}

/// The stream `sid` on the SMMUs (or the one `--smmu` names).
fn find<'a>(smmus: &'a [Smmu], sid: u32, smmu: Option<&str>) -> Result<(&'a Smmu, &'a Stream)> {
    let pick: Vec<&Smmu> = match smmu {
        None => smmus.iter().collect(),
        Some(n) => {
            let bare = n.strip_prefix("smmu_").unwrap_or(n);
            match smmus.iter().find(|s| s.name == bare) {
                Some(s) => vec![s],
                None => {
                    return Err(Error::Request(format!(
                        "no SMMU {:?}: the module shows {}",
                        n,
                        smmus
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
    };
    let hits: Vec<(&Smmu, &Stream)> = pick
        .iter()
        .flat_map(|m| {
            m.streams
                .streams
                .iter()
                .filter(|s| s.sid == sid)
                .map(move |s| (*m, s))
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => {
            let cut: Vec<String> = pick
                .iter()
                .filter_map(|m| {
                    m.streams.truncated.map(|(a, b)| {
                        format!("{} shows only {} of its {} stream IDs", m.name, a, b)
                    })
                })
                .collect();
            Err(Error::Request(format!(
                "stream ID 0x{:x} is not in use on {}{} (see \"iommu-scope streams\")",
                sid,
                match smmu {
                    Some(_) => format!("SMMU {}", pick[0].name),
                    None => "any SMMUv3".to_string(),
                },
                if cut.is_empty() {
                    String::new()
                } else {
                    format!("; {}", cut.join("; "))
                }
            )))
        }
        many => Err(Error::Request(format!(
            "stream ID 0x{:x} is in use on several SMMUs ({}): name one with --smmu",
            sid,
            many.iter()
                .map(|(m, s)| format!("{}: {}", m.name, s.dev))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The rows of the domains the path names, in path order, each once;
/// freed ones left out.
fn domain_rows(env: &Env, steps: &[Step]) -> Result<Vec<Row>> {
    let iopt = env.iopt()?;
    let sysfs = env.sysfs();
    let mut seen: Vec<&str> = Vec::new();
    let mut v = Vec::new();
    for st in steps {
        let Some(d) = st.owner.domain() else { continue };
        if seen.contains(&d) {
            continue;
        }
        seen.push(d);
        if let Some(dom) = resolve::read_domain(iopt.join(d))? {
            if let Some(r) = domains::row(dom, &sysfs)? {
                v.push(r);
            }
        }
    }
    Ok(v)
}

/// The text of where a table leads.
fn owner_text(o: &Owner, rows: &[Row]) -> String {
    match o {
        Owner::Domain(d) => match rows.iter().find(|r| r.dom.id() == *d) {
            Some(r) => {
                let t = r.dump.totals.clone().unwrap_or_default();
                format!(
                    "-> {}: type {}, format {}, granule {}, mapped {} bytes ({} runs), devices {}",
                    d,
                    r.info.get("type").unwrap_or("?"),
                    r.info.word("format").unwrap_or("?"),
                    r.info.get("granule").unwrap_or("?"),
                    t.mapped.map_or("?".to_string(), |m| m.to_string()),
                    t.runs.map_or("?".to_string(), |m| m.to_string()),
                    domains::devices_text(r)
                )
            }
            None => format!("-> {} (freed since the stream table was read)", d),
        },
        Owner::Mm(m) => format!("-> the CPU page table of process {} (SVA)", m),
        Owner::None => "-> no domain the module tracks owns this table".to_string(),
        Owner::Unknown => {
            "-> ? (the page-table dumps are not running: no domain directories to join with)"
                .to_string()
        }
    }
}

fn step_json(s: &Step) -> J {
    obj([
        ("stage", J::U(s.stage.into())),
        ("ssid", s.ssid.map_or(J::Null, |v| J::U(v.into()))),
        ("asid", s.asid.map_or(J::Null, |v| J::U(v.into()))),
        ("vmid", s.vmid.map_or(J::Null, J::U)),
        ("table", s.table.map_or(J::Null, J::hex)),
        ("granule", J::opt_s(s.granule)),
        ("owner", J::s(s.owner.kind())),
        ("domain", J::opt_s(s.owner.domain())),
        ("mm", J::opt_s(s.owner.mm())),
    ])
}

/// The STE line of the text.
fn ste_text(s: &Stream) -> String {
    let f = &s.fields;
    let torn = if s.torn {
        ", torn: it changed under every re-read"
    } else {
        ""
    };
    let cdtab = || {
        format!(
            "CD table at {} ({}, {} substream(s), s1dss={})",
            f.hex("cdtab").map_or("?".to_string(), hex16),
            f.get("s1fmt").unwrap_or("?"),
            f.get("substreams").unwrap_or("?"),
            f.get("s1dss").unwrap_or("?")
        )
    };
    let s2 = || {
        format!(
            "vmid {}, vttbr {}, granule {}",
            f.hex("vmid")
                .map_or("?".to_string(), |v| format!("0x{:x}", v)),
            f.hex("vttbr").map_or("?".to_string(), hex16),
            f.get("s2tg").unwrap_or("?")
        )
    };
    let what = match s.config.as_str() {
        "s1" => format!("s1 (stage 1{}): {}", torn, cdtab()),
        "s2" => format!("s2 (stage 2{}): {}", torn, s2()),
        "nested" => format!(
            "nested (stage 1 then stage 2{}): {} (an IPA), {}",
            torn,
            cdtab(),
            s2()
        ),
        "bypass" if s.torn => format!(
            "bypass ({}): DMA is not translated (IOVA = physical address)",
            &torn[2..]
        ),
        "bypass" => "bypass: DMA is not translated (IOVA = physical address)".to_string(),
        "missing" => {
            "missing: no level-2 stream table for this stream ID: every DMA is aborted".to_string()
        }
        "invalid" => format!("invalid (V=0{}): every DMA is aborted (C_BAD_STE)", torn),
        c if s.torn => format!("{} ({}): every DMA is aborted", c, &torn[2..]),
        c => format!("{}: every DMA is aborted", c),
    };
    format!("  STE: {}", what)
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out, sid_text: &str, smmu: Option<&str>) -> Result<()> {
    let sid = parse_sid(sid_text)?;
    let smmus = cs::read_all(env)?;
    let (m, s) = find(&smmus, sid, smmu)?;
    let path = steps(s);
    let rows = domain_rows(env, &path)?;
    if out.json {
        return out.json(&obj([
            ("sid", J::U(sid.into())),
            ("smmu", J::s(&m.name)),
            ("device", J::s(&s.dev)),
            ("config", J::s(&s.config)),
            ("effect", J::s(effect(&s.config))),
            ("stream", cs::stream_json(s)),
            ("path", J::A(path.iter().map(step_json).collect())),
            (
                "domains",
                J::A(rows.iter().map(domains::row_json).collect()),
            ),
        ]));
    }
    out.line(&format!("sid 0x{:x} smmu {} device {}", sid, m.name, s.dev))?;
    out.line(&ste_text(s))?;
    for st in &path {
        let head = match st.stage {
            1 => format!(
                "    CD ssid={} asid=0x{:x} ttb0={} granule {}",
                st.ssid.unwrap_or(0),
                st.asid.unwrap_or(0),
                st.table.map_or("?".to_string(), hex16),
                st.granule.unwrap_or("?")
            ),
            _ => format!(
                "    stage 2 vttbr={} granule {}",
                st.table.map_or("?".to_string(), hex16),
                st.granule.unwrap_or("?")
            ),
        };
        out.line(&head)?;
        out.line(&format!("      {}", owner_text(st.owner, &rows)))?;
    }
    if s.config == "s1" && s.cds.is_empty() && s.notes.is_empty() {
        out.line("    no valid CD shown")?;
    }
    for n in &s.notes {
        out.line(&format!("    # {}", n))?;
    }
    Ok(())
}
