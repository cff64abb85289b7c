// SPDX-License-Identifier: GPL-2.0

//! `smmu_<device>/streams` (`Documentation/streams.rst`, written by
//! `rust/streams/files.rs` with `rust/pure/ste.rs`'s line writers): a
//! `# smmu <name> sids_in_use=<n> cds=<n>` header; one line per stream ID,
//! `sid=0x.. dev=<name> ste=<config> [torn] <key=value>...
//! <owner>`; under a stage-1 stream one indented line per valid CD,
//! `  ssid=<n> asid=0x.. [torn] <key=value>... <owner>`, or an indented
//! `  # ...` note; a `# truncated: <shown> of <total> stream IDs shown`
//! footer. The owner is `domain=domain_<id>`, `domain=-`, `domain=- mm=<mm>`
//! or `domain=?`. A stream without a level-2 table reads `ste=missing (no
//! level-2 stream table) domain=-`; a failed read is one `# stream table
//! not read: error <n>` line.
//!
//! Fields are kept by name (the writer's order is not relied on); the
//! known ones are checked to be numbers of the right base, so the typed
//! getters cannot meet a malformed value.
//!
//! Owns: the streams model. Must not: join it with the domain directories
//! (the commands do).

use super::{dec, for_each_line, hex, kv};
use crate::error::{Error, Result};
use std::io::BufRead;

/// What owns the table an STE or CD points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A registered domain: its directory name (`domain_<id>`).
    Domain(String),
    /// No registered domain; a process's CPU page table (`mm_<id>`).
    Mm(String),
    /// No registered domain owns it (`domain=-`).
    None,
    /// Not looked up: the page-table dumps are not running (`domain=?`).
    Unknown,
}

impl Owner {
    /// `domain`, `mm`, `none` or `unknown` (the JSON `owner`).
    pub fn kind(&self) -> &'static str {
        match self {
            Owner::Domain(_) => "domain",
            Owner::Mm(_) => "mm",
            Owner::None => "none",
            Owner::Unknown => "unknown",
        }
    }

    /// The domain directory name, if a domain owns the table.
    pub fn domain(&self) -> Option<&str> {
        match self {
            Owner::Domain(d) => Some(d),
            _ => None,
        }
    }

    /// The process (`mm_<id>`), if its page table is the table.
    pub fn mm(&self) -> Option<&str> {
        match self {
            Owner::Mm(m) => Some(m),
            _ => None,
        }
    }

    /// Short text for a table cell: the domain, `mm=<mm>`, `-` or `?`.
    pub fn cell(&self) -> String {
        match self {
            Owner::Domain(d) => d.clone(),
            Owner::Mm(m) => format!("mm={}", m),
            Owner::None => "-".to_string(),
            Owner::Unknown => "?".to_string(),
        }
    }
}

/// `key=value` fields of a line, in file order, the known ones checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `key` as a `0x` hex number.
    pub fn hex(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(hex)
    }

    /// `key` as a decimal number.
    pub fn dec(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(dec)
    }

    /// `key` as a 0/1 flag.
    pub fn flag(&self, key: &str) -> Option<bool> {
        match self.get(key) {
            Some("0") => Some(false),
            Some("1") => Some(true),
            _ => None,
        }
    }
}

/// One valid CD of a stream's stage-1 table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cd {
    /// The substream ID (PASID; 0 the device's own translation).
    pub ssid: u32,
    /// CD.ASID.
    pub asid: u16,
    /// The CD kept changing while it was read.
    pub torn: bool,
    /// The other fields (`ttb0`, `t0sz`, `tg0`, `ips`, `epd0`, ...).
    pub fields: Fields,
    /// What owns the table its TTB0 points at.
    pub owner: Owner,
}

impl Cd {
    /// CD.TTB0, the stage-1 table's physical address.
    pub fn ttb0(&self) -> Option<u64> {
        self.fields.hex("ttb0")
    }
}

/// One stream ID's line, with its CDs and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The stream ID.
    pub sid: u32,
    /// The client device (`dev_name`).
    pub dev: String,
    /// `invalid`, `abort`, `reserved`, `bypass`, `s1`, `s2`, `nested`,
    /// `missing`.
    pub config: String,
    /// The STE kept changing while it was read.
    pub torn: bool,
    /// The other fields (`cdtab`, `s1fmt`, `vmid`, `vttbr`, `stall`, ...).
    pub fields: Fields,
    /// What owns the table the stream translates through.
    pub owner: Owner,
    /// The CDs shown (stage 1 only).
    pub cds: Vec<Cd>,
    /// Text in parentheses on the line (`no level-2 stream table`) and the
    /// indented `#` notes under it (`CD table at an IPA ...`), without the
    /// parentheses and `# `.
    pub notes: Vec<String>,
}

impl Stream {
    /// Whether stage 1 translates (its CD table fields are present).
    pub fn has_s1(&self) -> bool {
        matches!(self.config.as_str(), "s1" | "nested")
    }

    /// Whether stage 2 translates.
    pub fn has_s2(&self) -> bool {
        matches!(self.config.as_str(), "s2" | "nested")
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streams {
    /// The SMMU's name from the header.
    pub smmu: Option<String>,
    /// The header's `sids_in_use`: every stream ID in use (may exceed the
    /// lines shown).
    pub sids_in_use: Option<u64>,
    /// The header's `cds`: the CD lines shown.
    pub cds: Option<u64>,
    /// The stream lines, in file (stream ID) order.
    pub streams: Vec<Stream>,
    /// `(shown, total)` of a `# truncated:` footer.
    pub truncated: Option<(u64, u64)>,
    /// `# stream table not read: error <n>`: the errno.
    pub error: Option<i64>,
    /// Other top-level `#` lines, without the `# `.
    pub comments: Vec<String>,
}

/// Fields whose values are `0x` hex numbers.
const HEX_KEYS: [&str; 6] = ["cdtab", "vttbr", "vmid", "cfg", "ttb0", "mair"];
/// Fields whose values are decimal numbers.
const DEC_KEYS: [&str; 26] = [
    "s1cdmax",
    "substreams",
    "s1stalld",
    "s2t0sz",
    "s2sl0",
    "s2ps",
    "s2aa64",
    "s2ptw",
    "s2s",
    "s2r",
    "s2fwb",
    "stall",
    "ats",
    "pri",
    "t0sz",
    "ips",
    "epd0",
    "epd1",
    "ha",
    "hd",
    "haft",
    "s",
    "r",
    "a",
    "aset",
    "ssid",
];

fn bad(file: &str, n: usize, what: impl Into<String>) -> Error {
    Error::parse(file, n, format!("malformed streams line ({})", what.into()))
}

/// The owner tokens at the end of a line (`domain=...` and, after
/// `domain=-`, `mm=...`); returns the owner and how many tokens it took.
fn owner(t: &[&str], file: &str, n: usize) -> Result<(Owner, usize)> {
    let (last, before) = match t {
        [.., b, l] => (*l, Some(*b)),
        [l] => (*l, None),
        [] => {
            return Err(bad(
                file,
                n,
                "the line does not end with domain=<domain_id|-|?>",
            ))
        }
    };
    if let (Some(("mm", mm)), Some("domain=-")) = (kv(last), before) {
        if mm.is_empty() {
            return Err(bad(file, n, "empty mm="));
        }
        return Ok((Owner::Mm(mm.to_string()), 2));
    }
    match kv(last) {
        Some(("domain", "-")) => Ok((Owner::None, 1)),
        Some(("domain", "?")) => Ok((Owner::Unknown, 1)),
        Some(("domain", d))
            if d.strip_prefix("domain_")
                .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())) =>
        {
            Ok((Owner::Domain(d.to_string()), 1))
        }
        _ => Err(bad(
            file,
            n,
            "the line does not end with domain=<domain_id|-|?>",
        )),
    }
}

/// The `key=value` tokens between the line's head and its owner; `torn`
/// (the entry kept changing) and parenthesised text are taken out.
fn fields(
    t: &[&str],
    file: &str,
    n: usize,
    torn: &mut bool,
    notes: &mut Vec<String>,
) -> Result<Fields> {
    let mut f = Fields::default();
    let mut it = t.iter();
    while let Some(&tok) = it.next() {
        if tok == "torn" {
            *torn = true;
            continue;
        }
        if let Some(open) = tok.strip_prefix('(') {
            let mut words = vec![open];
            let mut last = tok;
            while !last.ends_with(')') {
                match it.next() {
                    Some(&w) => {
                        words.push(w);
                        last = w;
                    }
                    None => return Err(bad(file, n, "unclosed parenthesis")),
                }
            }
            let text = words.join(" ");
            notes.push(text.strip_suffix(')').unwrap_or(&text).to_string());
            continue;
        }
        let Some((k, v)) = kv(tok).filter(|(k, _)| !k.is_empty()) else {
            return Err(bad(file, n, format!("{:?} is not key=value", tok)));
        };
        // A reserved encoding of any field (`ips=reserved(7)`): no number
        // (its typed getters give `None`).
        let reserved = v
            .strip_prefix("reserved(")
            .and_then(|r| r.strip_suffix(')'))
            .is_some_and(|r| dec(r).is_some());
        let ok = if reserved {
            true
        } else if HEX_KEYS.contains(&k) {
            hex(v).is_some()
        } else if DEC_KEYS.contains(&k) {
            dec(v).is_some()
        } else {
            !v.is_empty()
        };
        if !ok {
            return Err(bad(file, n, format!("bad value in {:?}", tok)));
        }
        f.0.push((k.to_string(), v.to_string()));
    }
    Ok(f)
}

fn hex_u32(v: &str) -> Option<u32> {
    hex(v).and_then(|v| u32::try_from(v).ok())
}

/// Parses one stream line (`sid=0x.. dev=.. ste=.. ...`).
pub fn parse_stream(line: &str, file: &str, n: usize) -> Result<Stream> {
    let t: Vec<&str> = line.split_whitespace().collect();
    let (sid, dev, config) = match t.as_slice() {
        [s, d, c, ..] => match (kv(s), kv(d), kv(c)) {
            (Some(("sid", s)), Some(("dev", d)), Some(("ste", c)))
                if !d.is_empty() && !c.is_empty() =>
            {
                (hex_u32(s).ok_or_else(|| bad(file, n, "bad sid="))?, d, c)
            }
            _ => {
                return Err(bad(
                    file,
                    n,
                    "expected \"sid=0x<sid> dev=<name> ste=<config>\"",
                ))
            }
        },
        _ => {
            return Err(bad(
                file,
                n,
                "expected \"sid=0x<sid> dev=<name> ste=<config>\"",
            ))
        }
    };
    let (owner, k) = owner(&t[3..], file, n)?;
    let mut torn = false;
    let mut notes = Vec::new();
    // A reserved Config encoding, `ste=reserved(<n>)`: config `reserved`,
    // its value as the field `cfg`.
    let (config, cfg) = match config
        .strip_prefix("reserved(")
        .and_then(|r| r.strip_suffix(')'))
    {
        Some(v) => {
            let v: u8 = v
                .parse()
                .map_err(|_| bad(file, n, "bad ste=reserved(<n>)"))?;
            ("reserved", Some(format!("cfg={:#x}", v)))
        }
        None => (config, None),
    };
    let mut toks: Vec<&str> = t[3..t.len() - k].to_vec();
    if let Some(c) = &cfg {
        toks.push(c);
    }
    let fields = fields(&toks, file, n, &mut torn, &mut notes)?;
    Ok(Stream {
        sid,
        dev: dev.to_string(),
        config: config.to_string(),
        torn,
        fields,
        owner,
        cds: Vec::new(),
        notes,
    })
}

/// Parses one CD line (`  ssid=<n> asid=0x.. ...`, indentation included).
pub fn parse_cd(line: &str, file: &str, n: usize) -> Result<Cd> {
    let t: Vec<&str> = line.split_whitespace().collect();
    let (ssid, asid) = match t.as_slice() {
        [s, a, ..] => match (kv(s), kv(a)) {
            (Some(("ssid", s)), Some(("asid", a))) => (
                dec(s)
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| bad(file, n, "bad ssid="))?,
                hex(a)
                    .and_then(|v| u16::try_from(v).ok())
                    .ok_or_else(|| bad(file, n, "bad asid="))?,
            ),
            _ => return Err(bad(file, n, "expected \"  ssid=<n> asid=0x<asid> ...\"")),
        },
        _ => return Err(bad(file, n, "expected \"  ssid=<n> asid=0x<asid> ...\"")),
    };
    let (owner, k) = owner(&t[2..], file, n)?;
    let mut torn = false;
    let mut notes = Vec::new();
    let fields = fields(&t[2..t.len() - k], file, n, &mut torn, &mut notes)?;
    if !notes.is_empty() {
        return Err(bad(file, n, "parenthesis in a CD line"));
    }
    Ok(Cd {
        ssid,
        asid,
        torn,
        fields,
        owner,
    })
}

/// The header `smmu <name> sids_in_use=<n> cds=<n>` (without `# `).
fn header(c: &str, s: &mut Streams, file: &str, n: usize) -> Result<()> {
    let t: Vec<&str> = c.split_whitespace().collect();
    match t.as_slice() {
        ["smmu", name, rest @ ..] => {
            s.smmu = Some(name.to_string());
            for tok in rest {
                match kv(tok) {
                    Some(("sids_in_use", v)) => {
                        s.sids_in_use =
                            Some(dec(v).ok_or_else(|| bad(file, n, "bad sids_in_use="))?)
                    }
                    Some(("cds", v)) => {
                        s.cds = Some(dec(v).ok_or_else(|| bad(file, n, "bad cds="))?)
                    }
                    _ => return Err(bad(file, n, format!("unknown header field {:?}", tok))),
                }
            }
            Ok(())
        }
        _ => Err(bad(file, n, "bad header")),
    }
}

/// `truncated: <shown> of <total> stream IDs shown` (without `# `).
fn truncated(c: &str) -> Option<(u64, u64)> {
    let rest = c.strip_prefix("truncated: ")?;
    let t: Vec<&str> = rest.split(' ').collect();
    match t.as_slice() {
        [a, "of", b, "stream", "IDs", "shown"] => Some((dec(a)?, dec(b)?)),
        _ => None,
    }
}

/// Parses `streams` text.
pub fn parse<R: BufRead>(r: R, file: &str) -> Result<Streams> {
    let mut s = Streams::default();
    for_each_line(r, file, |n, line| {
        if let Some(rest) = line.strip_prefix("  ") {
            let Some(st) = s.streams.last_mut() else {
                return Err(bad(file, n, "an indented line before any sid= line"));
            };
            if let Some(c) = rest.strip_prefix('#') {
                st.notes.push(c.trim().to_string());
            } else {
                st.cds.push(parse_cd(line, file, n)?);
            }
        } else if let Some(c) = line.strip_prefix('#') {
            let c = c.trim();
            if c.starts_with("smmu ") && s.smmu.is_none() && s.streams.is_empty() {
                header(c, &mut s, file, n)?;
            } else if let Some(t) = truncated(c) {
                s.truncated = Some(t);
            } else if let Some(e) = c.strip_prefix("stream table not read: error ") {
                s.error = Some(super::int(e).ok_or_else(|| bad(file, n, "bad error number"))?);
            } else {
                s.comments.push(c.to_string());
            }
        } else if !line.is_empty() {
            s.streams.push(parse_stream(line, file, n)?);
        }
        Ok(true)
    })?;
    Ok(s)
}
