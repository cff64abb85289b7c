// SPDX-License-Identifier: GPL-2.0

//! The text of the per-domain `ptdump` and `ptdump_raw` files, for any
//! page-table format: the walk -> coalesce -> line loop, the anomaly lines,
//! the raw view, and the `Size` unit printer.
//!
//! Owns: the format-independent line layouts documented in
//! `Documentation/debugfs.rst`.
//! Must not: know a descriptor bit (each format's file writes its own run
//! line: `lpae::write_run`, `genpt::write_run`) or read memory (a
//! `walk::Memory` is passed in).

use core::fmt::{self, Write};

use super::coalesce::{Coalescer, Leaf, Run};
use super::text::{self, Chunk};
use super::walk::{Layout, Limits, Memory, Step, WalkStats, Walker};

/// A size in bytes, printed with the largest binary unit that divides it
/// ("4K", "2M", "1G", "1536K", "512").
#[derive(Clone, Copy)]
pub struct Size(pub u64);

impl Size {
    /// The text, written into `buf` ("4K", "1536K", "512").
    pub fn text(self, buf: &mut [u8; 24]) -> &str {
        let v = self.0;
        let unit = [
            (50u32, b'P'),
            (40, b'T'),
            (30, b'G'),
            (20, b'M'),
            (10, b'K'),
        ]
        .into_iter()
        .find(|&(shift, _)| v >= 1 << shift && v & ((1u64 << shift) - 1) == 0);
        let (n, u) = match unit {
            Some((shift, u)) => (v >> shift, Some(u)),
            None => (v, None),
        };
        let mut d = [0u8; 20];
        let digits = text::dec(&mut d, n).as_bytes();
        let len = digits.len();
        buf[..len].copy_from_slice(digits);
        let len = match u {
            Some(u) => {
                buf[len] = u;
                len + 1
            }
            None => len,
        };
        // Digits and an ASCII letter: always UTF-8.
        core::str::from_utf8(&buf[..len]).unwrap_or("")
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        f.pad(self.text(&mut buf))
    }
}

/// The columns every format's run line starts with:
/// `<start>-<end> <size> pa=<pa> L<level> <kind> <R|-><W|-><X|->`.
pub fn write_run_head<A>(
    w: &mut Chunk,
    r: &Run<A>,
    level: u32,
    kind: &str,
    rwx: (bool, bool, bool),
) -> fmt::Result {
    let mut size = [0u8; 24];
    w.put_hex16(r.iova)?;
    w.put("-")?;
    w.put_hex16(r.iova.wrapping_add(r.size))?;
    w.put(" ")?;
    w.put_right(Size(r.size).text(&mut size), 6)?;
    w.put(" pa=")?;
    w.put_hex16(r.pa)?;
    w.put(" L")?;
    w.put_dec(level.into())?;
    w.put(" ")?;
    w.put_left(kind, 6)?;
    w.put(" ")?;
    w.put(if rwx.0 { "R" } else { "-" })?;
    w.put(if rwx.1 { "W" } else { "-" })?;
    w.put(if rwx.2 { "X" } else { "-" })
}

/// Counters of one decoded dump.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DumpStats {
    /// The walk's own counters.
    pub walk: WalkStats,
    /// Lines (runs) printed.
    pub runs: u64,
    /// Leaves found.
    pub leaves: u64,
    /// Bytes mapped.
    pub bytes: u64,
}

/// How one table format's decoded dump groups and prints leaves.
pub trait RunFormat {
    /// The layout walked.
    type Layout: Layout;
    /// What must be equal for leaves to share a line.
    type Key: PartialEq + Copy;
    /// The layout.
    fn layout(&self) -> &Self::Layout;
    /// A leaf's key, from its level, whether it is a block, and its
    /// descriptor.
    fn key(&self, level: u32, block: bool, desc: u64) -> Self::Key;
    /// Writes the line of a run.
    fn line(&self, w: &mut Chunk, r: &Run<Self::Key>) -> fmt::Result;
}

/// The body of a dump, produced one `Chunk` (line) at a time, so a reader
/// can take it in pieces: the walk stops after each line and resumes from
/// where it was.
pub trait Body {
    /// Writes the next line into `out` (empty on entry); false when the
    /// body is over (and `out` left empty).
    fn next_chunk<M: Memory>(&mut self, mem: &mut M, out: &mut Chunk) -> bool;
    /// Before going on after a pause: drops what left the table meanwhile
    /// (`Walker::revalidate`).
    fn resume<M: Memory>(&mut self, mem: &mut M);
    /// The counters so far (final after `next_chunk` returned false).
    fn stats(&self) -> DumpStats;
}

/// The `#` line of a step that is not a leaf or a table (both dumps share
/// the truncation line).
fn anomaly_text(w: &mut Chunk, s: &Step) -> fmt::Result {
    match *s {
        Step::Reserved {
            level, iova, desc, ..
        } => writeln!(
            w,
            "# 0x{:016x} L{} reserved descriptor 0x{:016x}",
            iova, level, desc
        ),
        Step::Unreadable { level, iova, .. } => writeln!(
            w,
            "# 0x{:016x} L{} table unreadable (freed or invalid): skipped",
            iova, level
        ),
        Step::Truncated { iova } => {
            writeln!(w, "# truncated at 0x{:016x}: walk limit reached", iova)
        }
        Step::Leaf { .. } | Step::Table { .. } => Ok(()),
    }
}

/// The decoded dump: one line per run of leaves (`RunFormat::key` says
/// what must be equal for leaves to share one), with a `#` line where an
/// anomaly is (unreadable table, reserved encoding, truncation).
pub struct Runs<F: RunFormat> {
    fmt: F,
    walker: Walker,
    c: Coalescer<F::Key>,
    /// An anomaly met while a run was open: its line follows the run's.
    deferred: Option<Step>,
    st: DumpStats,
    done: bool,
}

impl<F: RunFormat> Runs<F> {
    /// The dump of the table at `root_pa`, bounded by `limits`.
    pub fn new(fmt: F, root_pa: u64, limits: Limits) -> Self {
        Runs {
            fmt,
            walker: Walker::new(root_pa, limits),
            c: Coalescer::new(),
            deferred: None,
            st: DumpStats::default(),
            done: false,
        }
    }

    /// One leaf into the dump: counted, then added to the open run or
    /// closing it (the run it closed, if any). The leaf loop and a leaf
    /// step from `Walker::next` both take their leaves here (inlined into
    /// both: a call per leaf doubles the time of a dump that coalesces).
    #[inline(always)]
    fn take_leaf(
        st: &mut DumpStats,
        c: &mut Coalescer<F::Key>,
        leaf: Leaf<F::Key>,
    ) -> Option<Run<F::Key>> {
        st.leaves += 1;
        st.bytes = st.bytes.wrapping_add(leaf.size);
        if c.extend(&leaf) {
            return None;
        }
        c.push(leaf)
    }

    fn run_line(&mut self, r: &Run<F::Key>, out: &mut Chunk) {
        self.st.runs += 1;
        let fmt = &self.fmt;
        out.write_or_mark(|w| fmt.line(w, r));
    }
}

impl<F: RunFormat> Body for Runs<F> {
    fn next_chunk<M: Memory>(&mut self, mem: &mut M, out: &mut Chunk) -> bool {
        if let Some(s) = self.deferred.take() {
            out.write_or_mark(|w| anomaly_text(w, &s));
            return true;
        }
        if self.done {
            return false;
        }
        loop {
            // The leaves that follow in the current table, in one loop.
            let mut closed = None;
            let (st, c, fmt) = (&mut self.st, &mut self.c, &self.fmt);
            self.walker
                .leaves(fmt.layout(), mem, |level, iova, pa, size, desc, block| {
                    let leaf = Leaf {
                        iova,
                        pa,
                        size,
                        attrs: fmt.key(level, block, desc),
                    };
                    closed = Self::take_leaf(st, c, leaf);
                    closed.is_none()
                });
            if let Some(r) = closed {
                self.run_line(&r, out);
                return true;
            }
            // Whatever stopped them, one step at a time.
            let Some(s) = self.walker.next(self.fmt.layout(), mem) else {
                self.done = true;
                return match self.c.finish() {
                    Some(r) => {
                        self.run_line(&r, out);
                        true
                    }
                    None => false,
                };
            };
            match s {
                Step::Leaf {
                    level,
                    iova,
                    pa,
                    size,
                    desc,
                    block,
                    ..
                } => {
                    let leaf = Leaf {
                        iova,
                        pa,
                        size,
                        attrs: self.fmt.key(level, block, desc),
                    };
                    if let Some(r) = Self::take_leaf(&mut self.st, &mut self.c, leaf) {
                        self.run_line(&r, out);
                        return true;
                    }
                }
                Step::Table { .. } => {}
                Step::Reserved { .. } | Step::Unreadable { .. } | Step::Truncated { .. } => {
                    match self.c.finish() {
                        Some(r) => {
                            self.deferred = Some(s);
                            self.run_line(&r, out);
                        }
                        None => out.write_or_mark(|w| anomaly_text(w, &s)),
                    }
                    return true;
                }
            }
        }
    }

    fn resume<M: Memory>(&mut self, mem: &mut M) {
        self.walker.revalidate(self.fmt.layout(), mem);
    }

    fn stats(&self) -> DumpStats {
        let mut st = self.st;
        st.walk = self.walker.stats();
        st
    }
}

/// Writes a whole body to `w`; returns its counters.
pub fn write_body<B: Body, M: Memory, W: Write>(
    w: &mut W,
    body: &mut B,
    mem: &mut M,
) -> Result<DumpStats, fmt::Error> {
    let mut c = Chunk::new();
    while body.next_chunk(mem, &mut c) {
        // The chunk is UTF-8 (its invariant): the fallback is unreachable.
        w.write_str(core::str::from_utf8(c.as_bytes()).map_err(|_| fmt::Error)?)?;
        c.clear();
    }
    Ok(body.stats())
}

/// Walks a table and writes its decoded dump (see `Runs`).
pub fn write_runs<F: RunFormat, M: Memory, W: Write>(
    w: &mut W,
    fmt: F,
    root_pa: u64,
    mem: &mut M,
    limits: Limits,
) -> Result<DumpStats, fmt::Error> {
    write_body(w, &mut Runs::new(fmt, root_pa, limits), mem)
}

/// The `ptdump_raw` view: one line per valid descriptor, indented by
/// depth: `L<level>[<index>] iova=0x.. desc=0x.. <table -> 0x..|page|block|reserved>`;
/// unreadable tables get a `#` line.
pub struct Raw<L: Layout> {
    g: L,
    walker: Walker,
}

impl<L: Layout> Raw<L> {
    /// The raw dump of the table at `root_pa`, bounded by `limits`.
    pub fn new(g: L, root_pa: u64, limits: Limits) -> Self {
        Raw {
            g,
            walker: Walker::new(root_pa, limits),
        }
    }
}

impl<L: Layout> Body for Raw<L> {
    fn next_chunk<M: Memory>(&mut self, mem: &mut M, out: &mut Chunk) -> bool {
        let Some(s) = self.walker.next(&self.g, mem) else {
            return false;
        };
        let root = self.g.root_level();
        out.write_or_mark(|w| {
            // `L<level>[<index>] iova=0x.. desc=0x.. `, indented by depth.
            let head = |w: &mut Chunk, level: u32, index: usize, iova: u64, desc: u64| {
                for _ in 0..level.abs_diff(root) {
                    w.put("  ")?;
                }
                w.put("L")?;
                w.put_dec(level.into())?;
                w.put("[")?;
                w.put_dec0(index as u64, 3)?;
                w.put("] iova=")?;
                w.put_hex16(iova)?;
                w.put(" desc=")?;
                w.put_hex16(desc)?;
                w.put(" ")
            };
            match s {
                Step::Table {
                    level,
                    index,
                    iova,
                    desc,
                    next_pa,
                } => {
                    head(w, level, index, iova, desc)?;
                    w.put("table -> ")?;
                    w.put_hex16(next_pa)?;
                    w.put("\n")
                }
                Step::Leaf {
                    level,
                    index,
                    iova,
                    desc,
                    block,
                    ..
                } => {
                    head(w, level, index, iova, desc)?;
                    w.put(if block { "block\n" } else { "page\n" })
                }
                Step::Reserved {
                    level,
                    index,
                    iova,
                    desc,
                } => {
                    head(w, level, index, iova, desc)?;
                    w.put("reserved\n")
                }
                Step::Unreadable {
                    level,
                    table_pa,
                    iova,
                } => writeln!(
                    w,
                    "# L{} table at 0x{:016x} (iova 0x{:016x}) unreadable: skipped",
                    level, table_pa, iova
                ),
                Step::Truncated { .. } => anomaly_text(w, &s),
            }
        });
        true
    }

    fn resume<M: Memory>(&mut self, mem: &mut M) {
        self.walker.revalidate(&self.g, mem);
    }

    fn stats(&self) -> DumpStats {
        DumpStats {
            walk: self.walker.stats(),
            ..DumpStats::default()
        }
    }
}

/// Writes the `ptdump_raw` view of a table (see `Raw`).
pub fn write_raw<L: Layout + Copy, M: Memory, W: Write>(
    w: &mut W,
    g: &L,
    root_pa: u64,
    mem: &mut M,
    limits: Limits,
) -> Result<WalkStats, fmt::Error> {
    Ok(write_body(w, &mut Raw::new(*g, root_pa, limits), mem)?.walk)
}
