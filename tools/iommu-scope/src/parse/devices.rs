// SPDX-License-Identifier: GPL-2.0

//! `domain_<id>/devices`: `<name> group=<id> sid=0x<sid>[,0x<sid>...]
//! pasid=<n|none>` lines; `#` lines say why devices are not listed.
//!
//! Owns: the devices model. Must not: resolve names (see `resolve`).

use super::{dec, for_each_line, hex, int, kv};
use crate::error::{Error, Result};
use std::io::BufRead;

/// One attached device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The device's name (`0000:00:02.0`).
    pub name: String,
    /// Its iommu group (-1: none).
    pub group: i64,
    /// Its stream IDs.
    pub sids: Vec<u32>,
    /// The PASID of a PASID attachment, `None` for the RID attachment.
    pub pasid: Option<u32>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Devices {
    /// Devices in file order.
    pub devices: Vec<Device>,
    /// `#` lines, without the `# `.
    pub comments: Vec<String>,
}

fn line_err(file: &str, n: usize) -> Error {
    Error::parse(
        file,
        n,
        "expected \"<device> group=<n> sid=0x<sid>[,...] pasid=<n|none>\"",
    )
}

/// Parses one device line.
pub fn parse_line(line: &str, file: &str, n: usize) -> Result<Device> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() != 4 {
        return Err(line_err(file, n));
    }
    let group = match kv(t[1]) {
        Some(("group", g)) => int(g).ok_or_else(|| line_err(file, n))?,
        _ => return Err(line_err(file, n)),
    };
    let sids = match kv(t[2]) {
        Some(("sid", s)) if !s.is_empty() => s
            .split(',')
            .map(|x| hex(x).and_then(|v| u32::try_from(v).ok()))
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(|| line_err(file, n))?,
        Some(("sid", _)) => Vec::new(),
        _ => return Err(line_err(file, n)),
    };
    let pasid = match kv(t[3]) {
        Some(("pasid", "none")) => None,
        Some(("pasid", p)) => Some(
            dec(p)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| line_err(file, n))?,
        ),
        _ => return Err(line_err(file, n)),
    };
    Ok(Device {
        name: t[0].to_string(),
        group,
        sids,
        pasid,
    })
}

/// Parses `devices` text.
pub fn parse<R: BufRead>(r: R, file: &str) -> Result<Devices> {
    let mut d = Devices::default();
    for_each_line(r, file, |n, line| {
        if let Some(c) = line.strip_prefix('#') {
            d.comments.push(c.trim().to_string());
        } else if !line.is_empty() {
            d.devices.push(parse_line(line, file, n)?);
        }
        Ok(true)
    })?;
    Ok(d)
}
