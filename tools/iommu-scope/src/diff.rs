// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope diff A B`: what changed between two saved decoded dumps
//! (`ptdump` text, as the module or `iommu-scope ptdump` prints it). Both
//! are read as streams and merged by IOVA (dumps are in IOVA order), so
//! memory does not grow with their size: each IOVA range is `added`
//! (mapped in B only), `removed` (A only) or `changed` (another physical
//! address, permissions or attributes); adjacent pieces of the same
//! change are joined. Totals are u128 (a dump may map all 2^64 bytes of
//! an address space, and a diff sums two); `--json` is streamed too, one
//! object per line.
//!
//! Owns: the diff rule and output. Must not: hold either dump whole.

use crate::cmd::{hex16, ptdump::run_json, Out};
use crate::env;
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::ptdump::{self, Line, Run};
use crate::parse::size_text;
use std::io::BufRead;
use std::path::Path;

/// How a range differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Mapped in B only.
    Added,
    /// Mapped in A only.
    Removed,
    /// Mapped in both, differently.
    Changed,
}

/// One differing range, with A's and B's view of it (runs cut to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The change.
    pub change: Change,
    /// A's mapping of the range.
    pub a: Option<Run>,
    /// B's mapping of the range.
    pub b: Option<Run>,
}

impl Piece {
    /// A's run `r`, which B does not map.
    fn removed(r: Run) -> Self {
        Piece {
            change: Change::Removed,
            a: Some(r),
            b: None,
        }
    }

    /// B's run `r`, which A does not map.
    fn added(r: Run) -> Self {
        Piece {
            change: Change::Added,
            a: None,
            b: Some(r),
        }
    }

    fn range(&self) -> (u64, u64) {
        let r = self
            .a
            .as_ref()
            .or(self.b.as_ref())
            .map_or((0, 0), |r| (r.iova, r.size));
        r
    }
}

/// Totals of a diff (u128: one dump maps at most 2^64 bytes, which does
/// not fit a u64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Bytes mapped in B only.
    pub added: u128,
    /// Bytes mapped in A only.
    pub removed: u128,
    /// Bytes mapped differently.
    pub changed: u128,
    /// Bytes mapped identically.
    pub same: u128,
}

/// A run cut to `[from, from + size)`. The cut's `leaves` is meaningless
/// (a cut may split a leaf), so the diff's output never shows it.
fn cut(r: &Run, from: u64, size: u64) -> Run {
    let off = from - r.iova;
    Run {
        iova: from,
        size,
        pa: r.pa.wrapping_add(off),
        level: r.level,
        kind: r.kind.clone(),
        perms: r.perms.clone(),
        attrs: r.attrs.clone(),
        leaves: 1,
    }
}

fn same_mapping(a: &Run, b: &Run) -> bool {
    a.pa == b.pa && a.perms == b.perms && a.attrs == b.attrs
}

/// End of a run as u128 (a run may end at 2^64).
fn end(r: &Run) -> u128 {
    r.iova as u128 + r.size as u128
}

const NOT_A_DUMP: &str = "not a decoded dump: the first line is not the \"# domain_<id> ...\" header the module's ptdump starts with";

/// The runs of a saved dump, in order, checked ascending; the first line
/// must be the dump's header.
struct Runs<R: BufRead> {
    r: R,
    file: String,
    n: usize,
    last_end: u128,
    buf: String,
}

impl<R: BufRead> Runs<R> {
    fn next(&mut self) -> Result<Option<Run>> {
        loop {
            self.buf.clear();
            let got = self
                .r
                .read_line(&mut self.buf)
                .map_err(|e| env::io_error(&self.file, &e))?;
            if got == 0 {
                if self.n == 0 {
                    return Err(Error::parse(&self.file, 1, NOT_A_DUMP));
                }
                return Ok(None);
            }
            self.n += 1;
            let line = self.buf.trim_end_matches('\n');
            let parsed = ptdump::parse_line(line, &self.file, self.n)?;
            if self.n == 1 && !matches!(parsed, Line::Header(_)) {
                return Err(Error::parse(&self.file, 1, NOT_A_DUMP));
            }
            match parsed {
                Line::Run(r) => {
                    if (r.iova as u128) < self.last_end {
                        return Err(Error::parse(
                            &self.file,
                            self.n,
                            "runs out of IOVA order: not a dump as the module prints it",
                        ));
                    }
                    self.last_end = end(&r);
                    return Ok(Some(r));
                }
                Line::Raw(_) => return Err(Error::parse(
                    &self.file,
                    self.n,
                    "a ptdump_raw line: diff compares decoded dumps (save ptdump, not ptdump_raw)",
                )),
                _ => {}
            }
        }
    }
}

/// Merges two dumps; calls `emit` for each differing piece (joined) and
/// returns the totals.
pub fn diff<A: BufRead, B: BufRead>(
    a: A,
    a_name: &str,
    b: B,
    b_name: &str,
    mut emit: impl FnMut(&Piece) -> Result<()>,
) -> Result<Summary> {
    let mut ra = Runs {
        r: a,
        file: a_name.to_string(),
        n: 0,
        last_end: 0,
        buf: String::new(),
    };
    let mut rb = Runs {
        r: b,
        file: b_name.to_string(),
        n: 0,
        last_end: 0,
        buf: String::new(),
    };
    let mut ca = ra.next()?;
    let mut cb = rb.next()?;
    let mut sum = Summary::default();
    let mut open: Option<Piece> = None;
    let mut push = |p: Piece, sum: &mut Summary, open: &mut Option<Piece>| -> Result<()> {
        let (_, size) = p.range();
        match p.change {
            Change::Added => sum.added += size as u128,
            Change::Removed => sum.removed += size as u128,
            Change::Changed => sum.changed += size as u128,
        }
        if let Some(o) = open.as_mut() {
            if join(o, &p) {
                return Ok(());
            }
            emit(o)?;
        }
        *open = Some(p);
        Ok(())
    };
    loop {
        match (ca.take(), cb.take()) {
            (None, None) => break,
            (Some(x), None) => {
                push(Piece::removed(x), &mut sum, &mut open)?;
                ca = ra.next()?;
            }
            (None, Some(y)) => {
                push(Piece::added(y), &mut sum, &mut open)?;
                cb = rb.next()?;
            }
            (Some(x), Some(y)) => {
                if end(&x) <= y.iova as u128 {
                    push(Piece::removed(x), &mut sum, &mut open)?;
                    ca = ra.next()?;
                    cb = Some(y);
                } else if end(&y) <= x.iova as u128 {
                    push(Piece::added(y), &mut sum, &mut open)?;
                    cb = rb.next()?;
                    ca = Some(x);
                } else if x.iova < y.iova {
                    let head = y.iova - x.iova;
                    push(Piece::removed(cut(&x, x.iova, head)), &mut sum, &mut open)?;
                    ca = Some(cut(&x, y.iova, x.size - head));
                    cb = Some(y);
                } else if y.iova < x.iova {
                    let head = x.iova - y.iova;
                    push(Piece::added(cut(&y, y.iova, head)), &mut sum, &mut open)?;
                    cb = Some(cut(&y, x.iova, y.size - head));
                    ca = Some(x);
                } else {
                    let common = x.size.min(y.size);
                    let pa = cut(&x, x.iova, common);
                    let pb = cut(&y, y.iova, common);
                    if same_mapping(&pa, &pb) {
                        sum.same += common as u128;
                    } else {
                        push(
                            Piece {
                                change: Change::Changed,
                                a: Some(pa),
                                b: Some(pb),
                            },
                            &mut sum,
                            &mut open,
                        )?;
                    }
                    ca = if x.size > common {
                        Some(cut(&x, x.iova + common, x.size - common))
                    } else {
                        ra.next()?
                    };
                    cb = if y.size > common {
                        Some(cut(&y, y.iova + common, y.size - common))
                    } else {
                        rb.next()?
                    };
                }
            }
        }
    }
    if let Some(o) = open {
        emit(&o)?;
    }
    Ok(sum)
}

/// Extends `o` by `p` if `p` continues it (same change, contiguous IOVA
/// and physical addresses, same attributes on each side).
fn join(o: &mut Piece, p: &Piece) -> bool {
    if o.change != p.change {
        return false;
    }
    fn cont(x: &Option<Run>, y: &Option<Run>) -> bool {
        match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                end(x) == y.iova as u128
                    && x.pa.wrapping_add(x.size) == y.pa
                    && x.perms == y.perms
                    && x.attrs == y.attrs
            }
            _ => false,
        }
    }
    if !cont(&o.a, &p.a) || !cont(&o.b, &p.b) {
        return false;
    }
    // A joined piece must still fit a run (below 2^64 bytes): one that
    // would cover the whole address space stays two pieces.
    if o.range().1.checked_add(p.range().1).is_none() {
        return false;
    }
    for (x, y) in [(&mut o.a, &p.a), (&mut o.b, &p.b)] {
        if let (Some(x), Some(y)) = (x.as_mut(), y) {
            x.size += y.size;
        }
    }
    true
}

fn side(r: &Run) -> String {
    format!("pa={} {} {}", hex16(r.pa), r.perms, r.attrs.join(" "))
}

/// A side of a change: the run object of `ptdump` cut to the range,
/// without `leaves` (a cut may split a leaf).
fn side_json(r: &Run) -> J {
    match run_json(r) {
        J::O(v) => J::O(v.into_iter().filter(|(k, _)| k != "leaves").collect()),
        j => j,
    }
}

/// Runs the command.
pub fn run(out: &mut Out, a: &Path, b: &Path) -> Result<()> {
    let an = env::name(a);
    let bn = env::name(b);
    let ra = env::open(a).map_err(Error::into_request)?;
    let rb = env::open(b).map_err(Error::into_request)?;
    let json = out.json;
    let sum = diff(ra, &an, rb, &bn, |p| {
        let (iova, size) = p.range();
        if json {
            return out.json(&obj([
                ("type", J::s("change")),
                (
                    "change",
                    J::s(match p.change {
                        Change::Added => "added",
                        Change::Removed => "removed",
                        Change::Changed => "changed",
                    }),
                ),
                ("iova", J::hex(iova)),
                ("end", J::hex(iova.wrapping_add(size))),
                ("size", J::U(size)),
                ("a", p.a.as_ref().map_or(J::Null, side_json)),
                ("b", p.b.as_ref().map_or(J::Null, side_json)),
            ]));
        }
        let head = format!(
            "{}-{} {:>6}",
            hex16(iova),
            hex16(iova.wrapping_add(size)),
            size_text(size)
        );
        let line = match (p.change, &p.a, &p.b) {
            (Change::Added, _, Some(b)) => format!("+ {} {}", head, side(b)),
            (Change::Removed, Some(a), _) => format!("- {} {}", head, side(a)),
            (_, Some(a), Some(b)) => format!("~ {} {} -> {}", head, side(a), side(b)),
            _ => return Ok(()),
        };
        out.line(line.trim_end())
    })
    .map_err(|e| match e {
        Error::Closed => Error::Closed,
        e => e.into_request(),
    })?;
    if json {
        return out.json(&obj([
            ("type", J::s("summary")),
            ("a", J::s(&an)),
            ("b", J::s(&bn)),
            ("added_bytes", J::W(sum.added)),
            ("removed_bytes", J::W(sum.removed)),
            ("changed_bytes", J::W(sum.changed)),
            ("unchanged_bytes", J::W(sum.same)),
        ]));
    }
    out.line(&format!(
        "# added={} removed={} changed={} unchanged={} (bytes)",
        sum.added, sum.removed, sum.changed, sum.same
    ))
}
