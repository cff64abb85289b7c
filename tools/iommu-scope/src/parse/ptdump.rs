// SPDX-License-Identifier: GPL-2.0

//! `domain_<id>/ptdump` and `ptdump_raw`, one line at a time (the dumps
//! are streamed, so are the parsers): run lines `<start>-<end> <size>
//! pa=<pa> L<n> <kind> <RWX> <attributes...> [x<n>]`, raw lines
//! `L<n>[<index>] iova=0x.. desc=0x.. <table -> 0x..|page|block|reserved>`
//! indented by level, and `#` lines (header, anomalies, counters,
//! consistency mark).
//!
//! Owns: the dump line model. Must not: hold a whole dump.

use super::{dec, hex, kv, size, size_text};
use crate::error::{Error, Result};

/// One run of leaves (a decoded dump line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// First IOVA.
    pub iova: u64,
    /// Bytes covered (the end is `iova + size`, exclusive).
    pub size: u64,
    /// Physical address of the first byte.
    pub pa: u64,
    /// Leaf level.
    pub level: u32,
    /// `page`, `block`, `contig`.
    pub kind: String,
    /// Permissions, three characters (`RW-`).
    pub perms: String,
    /// The format's attribute columns (LPAE: `user AF Normal-WB ISH -`
    /// then optional `ns`, `ng`; generic_pt: `user A D coherent` then `g`).
    pub attrs: Vec<String>,
    /// Leaves in the run (`x<n>`, 1 when absent).
    pub leaves: u64,
}

impl Run {
    /// The exclusive end (wraps to 0 for a run ending at 2^64).
    pub fn end(&self) -> u64 {
        self.iova.wrapping_add(self.size)
    }

    /// The line as the module prints it.
    pub fn to_line(&self) -> String {
        let mut s = format!(
            "0x{:016x}-0x{:016x} {:>6} pa=0x{:016x} L{} {:<6} {}",
            self.iova,
            self.end(),
            size_text(self.size),
            self.pa,
            self.level,
            self.kind,
            self.perms
        );
        for a in &self.attrs {
            s.push(' ');
            s.push_str(a);
        }
        if self.leaves > 1 {
            s.push_str(&format!(" x{}", self.leaves));
        }
        s
    }
}

/// One `ptdump_raw` descriptor line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDesc {
    /// Level.
    pub level: u32,
    /// Index in its table.
    pub index: u64,
    /// IOVA it covers from.
    pub iova: u64,
    /// The raw 64-bit descriptor.
    pub desc: u64,
    /// `table`, `page`, `block`, `reserved`.
    pub kind: String,
    /// For `table`: the next table's physical address.
    pub next: Option<u64>,
    /// Indentation depth (two spaces per level below the root).
    pub depth: usize,
}

/// The header line: `# domain_<id> <key> <value>...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `domain_<id>`.
    pub domain: String,
    /// `stage 1`, `granule 4K`, ... (or `generic_pt amdv1`, ...).
    pub fields: Vec<(String, String)>,
}

/// The counters line: `# runs=.. leaves=.. mapped=.. reads=..` (decoded)
/// or `# reads=..` (raw).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Runs printed (decoded dump only).
    pub runs: Option<u64>,
    /// Leaves found (decoded only).
    pub leaves: Option<u64>,
    /// Bytes mapped (decoded only).
    pub mapped: Option<u64>,
    /// Descriptors read.
    pub reads: u64,
}

/// One line of either dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The first `#` line naming the domain.
    Header(Header),
    /// A decoded run.
    Run(Run),
    /// A raw descriptor.
    Raw(RawDesc),
    /// The counters.
    Totals(Totals),
    /// `# consistent: ...` (true) or `# INCONSISTENT: ...` (false), with
    /// the text after the colon.
    Consistency(bool, String),
    /// Any other `#` line (anomalies, "SVA domain", "domain freed").
    Comment(String),
}

fn bad(file: &str, n: usize, what: &str) -> Error {
    Error::parse(file, n, format!("malformed {} line", what))
}

fn parse_totals(body: &str) -> Option<Totals> {
    let mut t = Totals::default();
    let mut reads = None;
    for tok in body.split(' ') {
        let (k, v) = kv(tok)?;
        let v = dec(v)?;
        match k {
            "runs" => t.runs = Some(v),
            "leaves" => t.leaves = Some(v),
            "mapped" => t.mapped = Some(v),
            "reads" => reads = Some(v),
            _ => return None,
        }
    }
    t.reads = reads?;
    Some(t)
}

fn parse_comment(body: &str, n: usize) -> Line {
    if let Some(rest) = body.strip_prefix("consistent:") {
        return Line::Consistency(true, rest.trim().to_string());
    }
    if let Some(rest) = body.strip_prefix("INCONSISTENT:") {
        return Line::Consistency(false, rest.trim().to_string());
    }
    if body.starts_with("runs=") || body.starts_with("reads=") {
        if let Some(t) = parse_totals(body) {
            return Line::Totals(t);
        }
    }
    if n == 1 && body.starts_with("domain_") {
        let mut toks = body.split(' ');
        let domain = toks.next().unwrap_or("").to_string();
        let rest: Vec<&str> = toks.collect();
        if rest.len() % 2 == 0 {
            return Line::Header(Header {
                domain,
                fields: rest
                    .chunks(2)
                    .map(|c| (c[0].to_string(), c[1].to_string()))
                    .collect(),
            });
        }
    }
    Line::Comment(body.to_string())
}

fn parse_run(line: &str, file: &str, n: usize) -> Result<Run> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() < 6 {
        return Err(bad(file, n, "run"));
    }
    let (s, e) = t[0].split_once('-').ok_or_else(|| bad(file, n, "run"))?;
    let (iova, end) = match (hex(s), hex(e)) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(bad(file, n, "run (IOVA range)")),
    };
    let sz = size(t[1]).ok_or_else(|| bad(file, n, "run (size)"))?;
    if sz == 0 || iova.wrapping_add(sz) != end || (end != 0 && end < iova) {
        return Err(Error::parse(
            file,
            n,
            format!("run size {} does not match its range {}", t[1], t[0]),
        ));
    }
    let pa = t[2]
        .strip_prefix("pa=")
        .and_then(hex)
        .ok_or_else(|| bad(file, n, "run (pa=)"))?;
    let level = t[3]
        .strip_prefix('L')
        .and_then(dec)
        .filter(|&l| l < 8)
        .ok_or_else(|| bad(file, n, "run (level)"))? as u32;
    let kind = t[4];
    if !matches!(kind, "page" | "block" | "contig") {
        return Err(bad(file, n, "run (kind)"));
    }
    let p = t[5].as_bytes();
    if p.len() != 3
        || !matches!(p[0], b'R' | b'-')
        || !matches!(p[1], b'W' | b'-')
        || !matches!(p[2], b'X' | b'-')
    {
        return Err(bad(file, n, "run (permissions)"));
    }
    let mut attrs: Vec<String> = t[6..].iter().map(|a| a.to_string()).collect();
    let mut leaves = 1;
    if let Some(last) = attrs.last() {
        if let Some(x) = last.strip_prefix('x').and_then(dec) {
            if x < 2 {
                return Err(bad(file, n, "run (x<n> below 2)"));
            }
            leaves = x;
            attrs.pop();
        }
    }
    Ok(Run {
        iova,
        size: sz,
        pa,
        level,
        kind: kind.to_string(),
        perms: t[5].to_string(),
        attrs,
        leaves,
    })
}

fn parse_raw(line: &str, file: &str, n: usize) -> Result<RawDesc> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    if indent % 2 != 0 {
        return Err(bad(file, n, "raw (indentation)"));
    }
    let t: Vec<&str> = trimmed.split(' ').collect();
    if t.len() < 4 {
        return Err(bad(file, n, "raw"));
    }
    let (lv, idx) = t[0]
        .strip_prefix('L')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.split_once('['))
        .ok_or_else(|| bad(file, n, "raw (L<n>[<index>])"))?;
    let level = dec(lv)
        .filter(|&l| l < 8)
        .ok_or_else(|| bad(file, n, "raw (level)"))? as u32;
    let index = dec(idx).ok_or_else(|| bad(file, n, "raw (index)"))?;
    let iova = t[1]
        .strip_prefix("iova=")
        .and_then(hex)
        .ok_or_else(|| bad(file, n, "raw (iova=)"))?;
    let desc = t[2]
        .strip_prefix("desc=")
        .and_then(hex)
        .ok_or_else(|| bad(file, n, "raw (desc=)"))?;
    let (kind, next) = match &t[3..] {
        ["table", "->", pa] => (
            "table",
            Some(hex(pa).ok_or_else(|| bad(file, n, "raw (table ->)"))?),
        ),
        [k @ ("page" | "block" | "reserved")] => (*k, None),
        _ => return Err(bad(file, n, "raw (kind)")),
    };
    Ok(RawDesc {
        level,
        index,
        iova,
        desc,
        kind: kind.to_string(),
        next,
        depth: indent / 2,
    })
}

/// Parses line `n` (1-based) of a dump.
pub fn parse_line(line: &str, file: &str, n: usize) -> Result<Line> {
    if let Some(body) = line.strip_prefix('#') {
        return Ok(parse_comment(body.trim_start(), n));
    }
    if line.starts_with("0x") {
        return parse_run(line, file, n).map(Line::Run);
    }
    if line.trim_start().starts_with('L') {
        return parse_raw(line, file, n).map(Line::Raw);
    }
    Err(Error::parse(file, n, "not a dump line"))
}
