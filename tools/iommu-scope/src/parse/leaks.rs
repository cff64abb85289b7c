// SPDX-License-Identifier: GPL-2.0

//! `leaks`: one line per DMA use-after-free, `pa=0x.. pfn=0x.. order=<n>
//! mapcount=<n>[ unconfirmed] freed_by=<comm>[<pid>] owners=<owners>`
//! (`unconfirmed` after a release walk of the module was cut short),
//! where owners is
//! `(resolving)`, empty, or `<domain> iova=0x.. devices=<names>;` entries
//! (the module cuts the text at a fixed length: a last entry without `;`
//! is kept and marked truncated); a `# <n> more not kept` line.
//!
//! Owns: the leak model. Must not: look the owners up elsewhere.

use super::{dec, for_each_line, hex, kv};
use crate::error::{Error, Result};
use std::io::BufRead;

/// A domain that still maps a leaked page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// `domain_<id>`.
    pub domain: String,
    /// The IOVA of the page's mapping there, if the text was not cut
    /// before it.
    pub iova: Option<u64>,
    /// The devices attached (names; empty if `-`).
    pub devices: Vec<String>,
    /// The entry was cut by the module's length limit.
    pub truncated: bool,
}

/// One leak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    /// Physical address of the freed page.
    pub pa: u64,
    /// Its kernel page frame number.
    pub pfn: u64,
    /// Order of the freed block.
    pub order: u32,
    /// Largest count among its 4 KiB units when freed.
    pub mapcount: u64,
    /// Reported after a release walk was cut short: the count may
    /// be one the module failed to release, not a use-after-free.
    pub unconfirmed: bool,
    /// Task that freed it.
    pub comm: String,
    /// Its pid.
    pub pid: u64,
    /// `false` while the module still resolves the owners.
    pub resolved: bool,
    /// The domains that map it.
    pub owners: Vec<Owner>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leaks {
    /// Leaks in file order.
    pub leaks: Vec<Leak>,
    /// Leaks found but not kept (`# <n> more not kept`).
    pub more_not_kept: u64,
    /// Other `#` lines.
    pub comments: Vec<String>,
}

fn bad(file: &str, n: usize, what: &str) -> Error {
    Error::parse(file, n, format!("malformed leak line ({})", what))
}

/// The owner entries `domain_<id> iova=0x.. devices=<names>; ...`; the
/// last entry lacks its `;` when the module's buffer cut the text (kept,
/// marked `truncated`, its cut fields left out). A complete entry with a
/// malformed `iova=` is an error.
fn owners(text: &str, file: &str, n: usize) -> Result<Vec<Owner>> {
    let mut v = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (entry, more, truncated) = match rest.find(';') {
            Some(i) => (&rest[..i], &rest[i + 1..], false),
            None => (rest, "", true),
        };
        let mut toks = entry.split_whitespace();
        let domain = toks.next().unwrap_or("").to_string();
        let mut iova = None;
        let mut devices = Vec::new();
        for t in toks {
            match kv(t) {
                Some(("iova", x)) => {
                    iova = hex(x);
                    if iova.is_none() && !truncated {
                        return Err(bad(file, n, "owner iova="));
                    }
                }
                Some(("devices", d)) if d != "-" => {
                    devices = d
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                _ => {}
            }
        }
        if !domain.is_empty() {
            v.push(Owner {
                domain,
                iova,
                devices,
                truncated,
            });
        }
        rest = more.trim_start();
    }
    Ok(v)
}

/// Parses one leak line.
pub fn parse_line(line: &str, file: &str, n: usize) -> Result<Leak> {
    // The task name may hold " owners=" (and anything printable): the
    // last one is the field's (the module's owner text never holds it:
    // domain names, iova=, devices= with device names).
    let (head, own) = line
        .rsplit_once(" owners=")
        .ok_or_else(|| bad(file, n, "no owners="))?;
    let (head, freed_by) = head
        .split_once(" freed_by=")
        .ok_or_else(|| bad(file, n, "no freed_by="))?;
    let mut t: Vec<&str> = head.split(' ').collect();
    let unconfirmed = t.len() == 5 && t[4] == "unconfirmed";
    if unconfirmed {
        t.pop();
    }
    if t.len() != 4 {
        return Err(bad(file, n, "pa= pfn= order= mapcount= [unconfirmed]"));
    }
    let get = |i: usize, k: &str| t[i].strip_prefix(k).and_then(|v| v.strip_prefix('='));
    let pa = get(0, "pa")
        .and_then(hex)
        .ok_or_else(|| bad(file, n, "pa"))?;
    let pfn = get(1, "pfn")
        .and_then(hex)
        .ok_or_else(|| bad(file, n, "pfn"))?;
    let order = get(2, "order")
        .and_then(dec)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| bad(file, n, "order"))?;
    let mapcount = get(3, "mapcount")
        .and_then(dec)
        .ok_or_else(|| bad(file, n, "mapcount"))?;
    let open = freed_by
        .rfind('[')
        .ok_or_else(|| bad(file, n, "freed_by"))?;
    let pid = freed_by[open + 1..]
        .strip_suffix(']')
        .and_then(dec)
        .ok_or_else(|| bad(file, n, "freed_by pid"))?;
    let resolved = own != "(resolving)";
    Ok(Leak {
        pa,
        pfn,
        order,
        mapcount,
        unconfirmed,
        comm: freed_by[..open].to_string(),
        pid,
        resolved,
        owners: if resolved {
            owners(own, file, n)?
        } else {
            Vec::new()
        },
    })
}

/// Parses `leaks` text.
pub fn parse<R: BufRead>(r: R, file: &str) -> Result<Leaks> {
    let mut l = Leaks::default();
    for_each_line(r, file, |n, line| {
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim();
            match c.strip_suffix(" more not kept").and_then(dec) {
                Some(m) => l.more_not_kept = m,
                None => l.comments.push(c.to_string()),
            }
        } else if !line.is_empty() {
            l.leaks.push(parse_line(line, file, n)?);
        }
        Ok(true)
    })?;
    Ok(l)
}
