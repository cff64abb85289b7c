// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope streams [SMMU|DEVICE]`: one row per stream ID (and per
//! further valid CD) of every SMMUv3 instance's `smmu_<device>/streams`,
//! or of one SMMU, or of one device's stream IDs: the STE's configuration,
//! its CD table format, each CD's substream, ASID, table and the domain
//! directory that owns it, a stage-2 STE's VMID, VTTBR and domain. Also
//! the reading of every SMMU's `streams` and the stream JSON that
//! `who-translates` shares.
//!
//! Owns: the streams command's output and the stream object's JSON. Must
//! not: read a domain's dump (`who-translates` does, for the domains it
//! names).

use super::{hex16, Out};
use crate::env::{self, Env};
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::streams::{self, Cd, Owner, Stream, Streams};
use crate::resolve;
use std::path::Path;

/// One SMMU's parsed `streams`.
pub struct Smmu {
    /// The SMMU's device name (the directory's name without `smmu_`).
    pub name: String,
    /// Its `streams`.
    pub streams: Streams,
}

/// Why there are no `smmu_<device>` directories: the module's
/// `smmu_streams` feature says (environment error, exit 3).
fn no_smmu(env: &Env) -> Error {
    let f = match super::status::read(env) {
        Ok(s) => s.features.into_iter().find(|f| f.name == "smmu_streams"),
        Err(e) => return e,
    };
    match f {
        Some(f) if !f.active() => Error::Env(format!(
            "no SMMUv3 stream table to show: the module's feature smmu_streams is {}{} (no SMMUv3 instance was found at load)",
            f.state,
            f.values
                .iter()
                .map(|(k, v)| format!(" {}={}", k, v))
                .collect::<String>()
        )),
        Some(_) => Error::Env(
            "no smmu_<device> directory although feature smmu_streams is active: the module is being unloaded?"
                .to_string(),
        ),
        None => Error::Env(
            "this iommu_scope module has no SMMUv3 stream table view (no smmu_streams feature in its status): it is older than this CLI"
                .to_string(),
        ),
    }
}

/// Every SMMU's `streams`, in directory name order; an environment error
/// if there is none.
pub fn read_all(env: &Env) -> Result<Vec<Smmu>> {
    let iopt = env.iopt()?;
    let dirs = env::smmu_dirs(&iopt)?;
    if dirs.is_empty() {
        return Err(no_smmu(env));
    }
    let mut v = Vec::new();
    for d in dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = name.strip_prefix("smmu_").unwrap_or(&name).to_string();
        v.push(Smmu {
            streams: read(&d)?,
            name,
        });
    }
    Ok(v)
}

/// One SMMU directory's `streams`.
pub fn read(dir: &Path) -> Result<Streams> {
    let f = dir.join("streams");
    streams::parse(env::open(&f)?, &env::name(&f))
}

/// What a `streams` argument selects.
enum Select {
    /// Every stream of every SMMU.
    All,
    /// One SMMU's streams.
    Smmu(String),
    /// The streams of these devices.
    Devices(Vec<String>),
}

/// Resolves the argument: an SMMU (`9050000.smmuv3` or
/// `smmu_9050000.smmuv3`), else a device as `resolve::stream_devices`
/// names it.
fn select(smmus: &[Smmu], sysfs: &Path, target: Option<&str>) -> Result<Select> {
    let Some(t) = target else {
        return Ok(Select::All);
    };
    let bare = t.strip_prefix("smmu_").unwrap_or(t);
    if let Some(s) = smmus.iter().find(|s| s.name == bare) {
        return Ok(Select::Smmu(s.name.clone()));
    }
    let devs: Vec<&str> = smmus
        .iter()
        .flat_map(|s| s.streams.streams.iter().map(|st| st.dev.as_str()))
        .collect();
    resolve::stream_devices(sysfs, t, &devs).map(Select::Devices)
}

/// An address as the module prints it, or null.
fn hex_json(v: Option<u64>) -> J {
    v.map_or(J::Null, J::hex)
}

fn u_json(v: Option<u64>) -> J {
    v.map_or(J::Null, J::U)
}

fn b_json(v: Option<bool>) -> J {
    v.map_or(J::Null, J::Bool)
}

/// The owner's three JSON members: `owner` (`domain`, `mm`, `none`,
/// `unknown`), `domain` and `mm` (strings or null).
fn owner_json(o: &Owner) -> [(&'static str, J); 3] {
    [
        ("owner", J::s(o.kind())),
        ("domain", J::opt_s(o.domain())),
        ("mm", J::opt_s(o.mm())),
    ]
}

/// A CD's JSON object.
pub fn cd_json(c: &Cd) -> J {
    let f = &c.fields;
    let mut v = vec![
        ("ssid", J::U(c.ssid.into())),
        ("asid", J::U(c.asid.into())),
        ("torn", J::Bool(c.torn)),
        ("ttb0", hex_json(f.hex("ttb0"))),
        ("t0sz", u_json(f.dec("t0sz"))),
        ("granule", J::opt_s(f.get("tg0"))),
        ("ips", u_json(f.dec("ips"))),
        ("epd0", b_json(f.flag("epd0"))),
        ("epd1", b_json(f.flag("epd1"))),
        ("ha", b_json(f.flag("ha"))),
        ("hd", b_json(f.flag("hd"))),
        ("haft", b_json(f.flag("haft"))),
        ("stall", b_json(f.flag("s"))),
        ("record", b_json(f.flag("r"))),
        ("abort", b_json(f.flag("a"))),
        ("aset", b_json(f.flag("aset"))),
        ("mair", hex_json(f.hex("mair"))),
    ];
    v.extend(owner_json(&c.owner));
    J::O(v.into_iter().map(|(k, x)| (k.to_string(), x)).collect())
}

/// A stream's JSON object (`streams --json`, `who-translates --json`).
pub fn stream_json(s: &Stream) -> J {
    let f = &s.fields;
    let cd_table = if s.has_s1() {
        obj([
            ("address", hex_json(f.hex("cdtab"))),
            ("format", J::opt_s(f.get("s1fmt"))),
            ("s1cdmax", u_json(f.dec("s1cdmax"))),
            ("substreams", u_json(f.dec("substreams"))),
            ("s1dss", J::opt_s(f.get("s1dss"))),
            ("s1stalld", b_json(f.flag("s1stalld"))),
        ])
    } else {
        J::Null
    };
    let stage2 = if s.has_s2() {
        obj([
            ("vmid", u_json(f.hex("vmid"))),
            ("vttbr", hex_json(f.hex("vttbr"))),
            ("t0sz", u_json(f.dec("s2t0sz"))),
            ("sl0", u_json(f.dec("s2sl0"))),
            ("granule", J::opt_s(f.get("s2tg"))),
            ("ps", u_json(f.dec("s2ps"))),
            ("aa64", b_json(f.flag("s2aa64"))),
            ("ptw", b_json(f.flag("s2ptw"))),
            ("stall", b_json(f.flag("s2s"))),
            ("record", b_json(f.flag("s2r"))),
            ("fwb", b_json(f.flag("s2fwb"))),
        ])
    } else {
        J::Null
    };
    let mut v = vec![
        ("sid", J::U(s.sid.into())),
        ("device", J::s(&s.dev)),
        ("config", J::s(&s.config)),
        ("torn", J::Bool(s.torn)),
        ("cfg", u_json(f.hex("cfg"))),
        ("cd_table", cd_table),
        ("stage2", stage2),
        ("eats", J::opt_s(f.get("eats"))),
        ("strw", J::opt_s(f.get("strw"))),
        ("stall", b_json(f.flag("stall"))),
        ("ats", b_json(f.flag("ats"))),
        ("pri", b_json(f.flag("pri"))),
    ];
    v.extend(owner_json(&s.owner));
    v.push(("cds", J::A(s.cds.iter().map(cd_json).collect())));
    v.push(("notes", J::A(s.notes.iter().map(J::s).collect())));
    J::O(v.into_iter().map(|(k, x)| (k.to_string(), x)).collect())
}

/// The header fields of an SMMU's JSON object (`smmus[]`), before its
/// streams.
fn smmu_json(s: &Smmu, streams: Vec<J>) -> J {
    let st = &s.streams;
    obj([
        ("smmu", J::s(&s.name)),
        ("sids_in_use", u_json(st.sids_in_use)),
        ("cds", u_json(st.cds)),
        (
            "truncated",
            st.truncated.map_or(J::Null, |(shown, total)| {
                obj([("shown", J::U(shown)), ("total", J::U(total))])
            }),
        ),
        ("error", st.error.map_or(J::Null, J::I)),
        ("streams", J::A(streams)),
    ])
}

/// `s1` with `,torn` when the entry kept changing.
fn torn_cell(v: String, torn: bool) -> String {
    if torn {
        format!("{},torn", v)
    } else {
        v
    }
}

/// The CD table cell of a stage-1 stream: `<format>/<substreams>`.
pub fn cd_table_cell(s: &Stream) -> String {
    if !s.has_s1() {
        return "-".to_string();
    }
    format!(
        "{}/{}",
        s.fields.get("s1fmt").unwrap_or("?"),
        s.fields.get("substreams").unwrap_or("?")
    )
}

/// The table rows of one stream: one per CD, or one without CD.
fn stream_rows(smmu: &str, s: &Stream) -> Vec<Vec<String>> {
    let head = |config: String| {
        vec![
            smmu.to_string(),
            format!("0x{:x}", s.sid),
            s.dev.clone(),
            config,
            cd_table_cell(s),
        ]
    };
    let config = torn_cell(s.config.clone(), s.torn);
    let vmid = s
        .fields
        .hex("vmid")
        .filter(|_| s.has_s2())
        .map_or("-".to_string(), |v| format!("0x{:x}", v));
    if s.cds.is_empty() {
        let table = if s.has_s2() {
            s.fields.hex("vttbr")
        } else {
            None
        };
        let mut r = head(config);
        r.extend([
            "-".to_string(),
            "-".to_string(),
            vmid,
            table.map_or("-".to_string(), hex16),
            s.owner.cell(),
        ]);
        return vec![r];
    }
    s.cds
        .iter()
        .map(|c| {
            let mut r = head(config.clone());
            r.extend([
                c.ssid.to_string(),
                torn_cell(format!("0x{:x}", c.asid), c.torn),
                vmid.clone(),
                c.ttb0().map_or("-".to_string(), hex16),
                c.owner.cell(),
            ]);
            r
        })
        .collect()
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out, target: Option<&str>) -> Result<()> {
    let smmus = read_all(env)?;
    let sel = select(&smmus, &env.sysfs(), target)?;
    let keep = |smmu: &Smmu, s: &Stream| match &sel {
        Select::All => true,
        Select::Smmu(n) => smmu.name == *n,
        Select::Devices(d) => d.contains(&s.dev),
    };
    let shown = |smmu: &Smmu| match &sel {
        Select::All => true,
        Select::Smmu(n) => smmu.name == *n,
        Select::Devices(_) => smmu.streams.streams.iter().any(|s| keep(smmu, s)),
    };
    if out.json {
        let v = smmus
            .iter()
            .filter(|m| shown(m))
            .map(|m| {
                let st = m
                    .streams
                    .streams
                    .iter()
                    .filter(|s| keep(m, s))
                    .map(stream_json)
                    .collect();
                smmu_json(m, st)
            })
            .collect();
        return out.json(&obj([("smmus", J::A(v))]));
    }
    let mut t = vec![[
        "SMMU", "SID", "DEVICE", "CONFIG", "CDTABLE", "SSID", "ASID", "VMID", "TABLE", "DOMAIN",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>()];
    let mut notes = Vec::new();
    for m in smmus.iter().filter(|m| shown(m)) {
        for s in m.streams.streams.iter().filter(|s| keep(m, s)) {
            t.extend(stream_rows(&m.name, s));
            for n in &s.notes {
                notes.push(format!("# {} sid 0x{:x}: {}", m.name, s.sid, n));
            }
        }
        if let Some((shown, total)) = m.streams.truncated {
            notes.push(format!(
                "# {}: truncated: {} of {} stream IDs shown",
                m.name, shown, total
            ));
        }
        if let Some(e) = m.streams.error {
            notes.push(format!("# {}: stream table not read: error {}", m.name, e));
        }
    }
    for l in super::table(&t) {
        out.line(&l)?;
    }
    for n in notes {
        out.line(&n)?;
    }
    Ok(())
}
