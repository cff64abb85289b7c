// SPDX-License-Identifier: GPL-2.0

//! `trace_pipe` lines of the module's events (`Documentation/
//! tracepoints.rst`): `<task>-<pid> [<cpu>] <flags> <timestamp>: <event>:
//! <fields>` with the event `smmu_evtq_event`, `smmu_evtq_overflow` or
//! `iopf_fault`. Lines of other events are not the CLI's business
//! (`Ok(None)`); ftrace's `CPU:<n> [LOST <m> EVENTS]` lines are reported
//! as lost events.
//!
//! Owns: the event model. Must not: read tracefs (see `cmd::events`).

use super::{dec, hex, int, kv};
use crate::error::{Error, Result};

/// `arm_smmu_v3:smmu_evtq_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evtq {
    /// The SMMU's device name.
    pub smmu: String,
    /// The device with this stream ID, or `-`.
    pub client: String,
    /// Architectural event name (`F_TRANSLATION`).
    pub name: String,
    /// Event type id.
    pub type_id: u8,
    /// StreamID.
    pub sid: u32,
    /// SubstreamID.
    pub ssid: u32,
    /// Whether the SubstreamID is valid.
    pub ssv: bool,
    /// Input address.
    pub iova: u64,
    /// Intermediate physical address.
    pub ipa: u64,
    /// Address of a failed fetch.
    pub fetch: u64,
    /// Read (true) or write.
    pub read: bool,
    /// Instruction (true) or data.
    pub insn: bool,
    /// Privileged (true) or not.
    pub privileged: bool,
    /// Stage 2 (true) or stage 1.
    pub s2: bool,
    /// 0 CD, 1 TT, 2 IN.
    pub class: u8,
    /// Stalled.
    pub stall: bool,
    /// Stall tag.
    pub stag: u16,
    /// The record's four words.
    pub raw: [u64; 4],
}

/// `iommu_scope:iopf_fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iopf {
    /// The faulting device.
    pub dev: String,
    /// `mm_<hash>` or `-`.
    pub mm: String,
    /// `iommu_fault.type`.
    pub fault_type: u32,
    /// PASID.
    pub pasid: u32,
    /// Whether the PASID is valid (no `(invalid)` suffix).
    pub pasid_valid: bool,
    /// Page request group.
    pub grpid: u32,
    /// Permission names (`read`, `write`, `exec`, `priv`, or a hex rest).
    pub perm: Vec<String>,
    /// Faulting address.
    pub addr: u64,
    /// 0 accepted, negative errno refused.
    pub result: i32,
    /// Time the report took.
    pub duration_ns: u64,
}

/// What an event line carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An SMMUv3 event record.
    Evtq(Evtq),
    /// `smmu_evtq_overflow`: the SMMU and the module's overflow count.
    Overflow {
        /// The SMMU's device name.
        smmu: String,
        /// Overflows since load.
        overflows: u64,
    },
    /// An IO page fault.
    Iopf(Iopf),
    /// ftrace lost events on a CPU.
    Lost {
        /// The CPU.
        cpu: u32,
        /// How many.
        events: u64,
    },
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The trace timestamp (seconds, as printed: `17.004255`), empty for
    /// `Lost`.
    pub ts: String,
    /// The event.
    pub kind: Kind,
}

fn bad(file: &str, n: usize, what: &str) -> Error {
    Error::parse(file, n, format!("malformed {} event", what))
}

fn fields(body: &str) -> Vec<(&str, &str)> {
    body.split(' ').filter_map(kv).collect()
}

fn field<'a>(f: &[(&str, &'a str)], k: &str) -> Option<&'a str> {
    f.iter().find(|(x, _)| *x == k).map(|(_, v)| *v)
}

fn u32_hex(s: Option<&str>) -> Option<u32> {
    s.and_then(hex).and_then(|v| u32::try_from(v).ok())
}

fn u32_dec(s: Option<&str>) -> Option<u32> {
    s.and_then(dec).and_then(|v| u32::try_from(v).ok())
}

fn parse_evtq(body: &str, file: &str, n: usize) -> Result<Evtq> {
    let e = || bad(file, n, "smmu_evtq_event");
    let t: Vec<&str> = body.split(' ').collect();
    // smmu= client= NAME(0xTT) sid= ssid= ssv= iova= ipa= fetch= read|write
    // data|insn priv|unpriv s1|s2 class= stall= stag= raw=
    if t.len() != 17 {
        return Err(e());
    }
    let f = fields(body);
    let (name, ty) = t[2]
        .strip_suffix(')')
        .and_then(|x| x.split_once('('))
        .ok_or_else(e)?;
    let type_id = hex(ty).and_then(|v| u8::try_from(v).ok()).ok_or_else(e)?;
    let word = |i: usize, yes: &str, no: &str| match t[i] {
        x if x == yes => Some(true),
        x if x == no => Some(false),
        _ => None,
    };
    let raw: Vec<u64> = field(&f, "raw")
        .ok_or_else(e)?
        .split(':')
        .map(|w| {
            if w.len() == 16 {
                u64::from_str_radix(w, 16).ok()
            } else {
                None
            }
        })
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(e)?;
    let raw: [u64; 4] = raw.try_into().map_err(|_| e())?;
    Ok(Evtq {
        smmu: field(&f, "smmu").ok_or_else(e)?.to_string(),
        client: field(&f, "client").ok_or_else(e)?.to_string(),
        name: name.to_string(),
        type_id,
        sid: u32_hex(field(&f, "sid")).ok_or_else(e)?,
        ssid: u32_hex(field(&f, "ssid")).ok_or_else(e)?,
        ssv: match field(&f, "ssv") {
            Some("0") => false,
            Some("1") => true,
            _ => return Err(e()),
        },
        iova: field(&f, "iova").and_then(hex).ok_or_else(e)?,
        ipa: field(&f, "ipa").and_then(hex).ok_or_else(e)?,
        fetch: field(&f, "fetch").and_then(hex).ok_or_else(e)?,
        read: word(9, "read", "write").ok_or_else(e)?,
        insn: word(10, "insn", "data").ok_or_else(e)?,
        privileged: word(11, "priv", "unpriv").ok_or_else(e)?,
        s2: word(12, "s2", "s1").ok_or_else(e)?,
        class: u32_dec(field(&f, "class"))
            .and_then(|v| u8::try_from(v).ok())
            .ok_or_else(e)?,
        stall: match field(&f, "stall") {
            Some("0") => false,
            Some("1") => true,
            _ => return Err(e()),
        },
        stag: u32_hex(field(&f, "stag"))
            .and_then(|v| u16::try_from(v).ok())
            .ok_or_else(e)?,
        raw,
    })
}

fn parse_iopf(body: &str, file: &str, n: usize) -> Result<Iopf> {
    let e = || bad(file, n, "iopf_fault");
    let f = fields(body);
    if f.len() != 9 || body.split(' ').count() != 9 {
        return Err(e());
    }
    let p = field(&f, "pasid").ok_or_else(e)?;
    let (p, pasid_valid) = match p.strip_suffix("(invalid)") {
        Some(p) => (p, false),
        None => (p, true),
    };
    let perm = field(&f, "perm").ok_or_else(e)?;
    Ok(Iopf {
        dev: field(&f, "dev").ok_or_else(e)?.to_string(),
        mm: field(&f, "mm").ok_or_else(e)?.to_string(),
        fault_type: u32_dec(field(&f, "type")).ok_or_else(e)?,
        pasid: u32_dec(Some(p)).ok_or_else(e)?,
        pasid_valid,
        grpid: u32_dec(field(&f, "grpid")).ok_or_else(e)?,
        perm: perm
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        addr: field(&f, "addr").and_then(hex).ok_or_else(e)?,
        result: field(&f, "result")
            .and_then(int)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(e)?,
        duration_ns: field(&f, "duration_ns").and_then(dec).ok_or_else(e)?,
    })
}

/// Parses line `n` of `trace_pipe` text: `Ok(None)` for other events.
pub fn parse_line(line: &str, file: &str, n: usize) -> Result<Option<Event>> {
    if let Some(rest) = line.strip_prefix("CPU:") {
        // "CPU:1 [LOST 12 EVENTS]"
        let (cpu, r) = rest.split_once(' ').unwrap_or((rest, ""));
        let events = r
            .strip_prefix("[LOST ")
            .and_then(|r| r.strip_suffix(" EVENTS]"))
            .and_then(dec);
        if let (Some(cpu), Some(events)) = (u32_dec(Some(cpu)), events) {
            return Ok(Some(Event {
                ts: String::new(),
                kind: Kind::Lost { cpu, events },
            }));
        }
        return Ok(None);
    }
    const OURS: [&str; 3] = ["smmu_evtq_event", "smmu_evtq_overflow", "iopf_fault"];
    let Some((ts, name, body)) = header(line) else {
        // Not an ftrace event line; one that names the module's events
        // is text of another format.
        return match OURS.iter().find(|e| line.contains(&format!(": {}: ", e))) {
            Some(name) => Err(bad(file, n, name)),
            None => Ok(None),
        };
    };
    let kind = match name {
        "smmu_evtq_event" => Kind::Evtq(parse_evtq(body, file, n)?),
        "smmu_evtq_overflow" => {
            let f = fields(body);
            Kind::Overflow {
                smmu: field(&f, "smmu")
                    .ok_or_else(|| bad(file, n, name))?
                    .to_string(),
                overflows: field(&f, "overflows")
                    .and_then(dec)
                    .ok_or_else(|| bad(file, n, name))?,
            }
        }
        "iopf_fault" => Kind::Iopf(parse_iopf(body, file, n)?),
        _ => return Ok(None),
    };
    Ok(Some(Event {
        ts: ts.to_string(),
        kind,
    }))
}

/// The ftrace header of a line, parsed structurally (the task name may
/// hold spaces, colons, dashes, digits and brackets, so no separator
/// search over the line is safe): `<comm>-<pid> [(<tgid>)] [<cpu>]
/// [<flags>] <timestamp>: <event>: `. ftrace prints the name (at most 15
/// bytes, TASK_COMM_LEN 16) right-aligned in 16 columns (`%16s-%-7d`), so
/// the `-` before the pid is byte 16 (later only if invalid UTF-8 was
/// replaced: at most byte 46). Each `-` up to byte 48 is tried and the
/// last from which a whole header parses is taken: a false header made
/// of the name's text always starts before the real `-<pid>`, and none
/// can start after it (the pid, tgid, cpu, flags and timestamp fields
/// hold no `-` followed by digits and a space; the event's fields start
/// after byte 56). Returns the timestamp, the event name and its fields.
fn header(line: &str) -> Option<(&str, &str, &str)> {
    line.match_indices('-')
        .take_while(|(j, _)| *j <= 48)
        .filter_map(|(j, _)| after_pid_dash(&line[j + 1..]))
        .last()
}

fn after_pid_dash(s: &str) -> Option<(&str, &str, &str)> {
    let d = s.bytes().take_while(u8::is_ascii_digit).count();
    if d == 0 {
        return None;
    }
    let mut r = s[d..].strip_prefix(' ')?.trim_start_matches(' ');
    if let Some(t) = r.strip_prefix('(') {
        // record-tgid: "(    123)" or "(-------)".
        let k = t.find(')')?;
        r = t[k + 1..].strip_prefix(' ')?.trim_start_matches(' ');
    }
    let t = r.strip_prefix('[')?;
    let k = t.find(']')?;
    if k == 0 || !t[..k].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut r = t[k + 1..].strip_prefix(' ')?.trim_start_matches(' ');
    // An optional flags field (irq-info: "d..2."), then the timestamp.
    for _ in 0..2 {
        let (tok, rest) = r.split_once(' ')?;
        if let Some(ts) = tok.strip_suffix(':') {
            if ts.is_empty()
                || !ts.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                || !ts.as_bytes()[0].is_ascii_digit()
            {
                return None;
            }
            let (name, body) = rest.split_once(": ")?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            return Some((ts, name, body));
        }
        r = rest.trim_start_matches(' ');
    }
    None
}
