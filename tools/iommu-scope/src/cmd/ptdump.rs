// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope ptdump TARGET [--raw]`: a domain's dump, streamed line by
//! line (a dump of any size costs one line of memory): every line is
//! parsed (a malformed one stops with its number) and written out as the
//! module printed it, or as one JSON object per line with `--json`.
//!
//! Owns: the ptdump command's output, the JSON of a dump line. Must not:
//! keep more than a line of the dump.

use super::Out;
use crate::env::{self, Env};
use crate::error::Result;
use crate::json::{obj, J};
use crate::parse::for_each_line;
use crate::parse::ptdump::{self, Line, Run};
use crate::resolve;

/// The JSON of a run.
pub fn run_json(r: &Run) -> J {
    obj([
        ("type", J::s("run")),
        ("iova", J::hex(r.iova)),
        ("end", J::hex(r.end())),
        ("size", J::U(r.size)),
        ("pa", J::hex(r.pa)),
        ("level", J::U(r.level.into())),
        ("kind", J::s(&r.kind)),
        ("perms", J::s(&r.perms)),
        ("attrs", J::A(r.attrs.iter().map(J::s).collect())),
        ("leaves", J::U(r.leaves)),
    ])
}

/// The JSON of a dump line.
pub fn line_json(l: &Line) -> J {
    match l {
        Line::Header(h) => obj([
            ("type", J::s("header")),
            ("domain", J::s(&h.domain)),
            (
                "fields",
                J::O(
                    h.fields
                        .iter()
                        .map(|(k, v)| (k.clone(), super::value_json(v)))
                        .collect(),
                ),
            ),
        ]),
        Line::Run(r) => run_json(r),
        Line::Raw(d) => obj([
            ("type", J::s("raw")),
            ("level", J::U(d.level.into())),
            ("index", J::U(d.index)),
            ("iova", J::hex(d.iova)),
            ("desc", J::hex(d.desc)),
            ("kind", J::s(&d.kind)),
            ("next", d.next.map_or(J::Null, J::hex)),
        ]),
        Line::Totals(t) => obj([
            ("type", J::s("totals")),
            ("runs", t.runs.map_or(J::Null, J::U)),
            ("leaves", t.leaves.map_or(J::Null, J::U)),
            ("mapped", t.mapped.map_or(J::Null, J::U)),
            ("reads", J::U(t.reads)),
        ]),
        Line::Consistency(c, text) => obj([
            ("type", J::s("consistency")),
            ("consistent", J::Bool(*c)),
            ("text", J::s(text)),
        ]),
        Line::Comment(c) => obj([("type", J::s("comment")), ("text", J::s(c))]),
    }
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out, target: &str, raw: bool) -> Result<()> {
    let iopt = env.iopt()?;
    let dir = resolve::domain_dir(&iopt, &env.sysfs(), target)?;
    let f = dir.join(if raw { "ptdump_raw" } else { "ptdump" });
    let file = env::name(&f);
    for_each_line(env::open(&f)?, &file, |n, l| {
        let parsed = ptdump::parse_line(l, &file, n)?;
        if out.json {
            out.json(&line_json(&parsed))?;
        } else {
            out.line(l)?;
        }
        Ok(true)
    })?;
    out.flush()
}
