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
use super::text::FixedBuf;
use super::walk::{self, Layout, Limits, Memory, Step, WalkStats};

/// A size in bytes, printed with the largest binary unit that divides it
/// ("4K", "2M", "1G", "1536K", "512").
#[derive(Clone, Copy)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        // At most 20 digits and a unit letter.
        let mut buf = [0u8; 24];
        let mut b = FixedBuf::new(&mut buf);
        let unit = [(50u32, "P"), (40, "T"), (30, "G"), (20, "M"), (10, "K")]
            .into_iter()
            .find(|&(shift, _)| v >= 1 << shift && v & ((1u64 << shift) - 1) == 0);
        match unit {
            Some((shift, u)) => write!(b, "{}{}", v >> shift, u)?,
            None => write!(b, "{}", v)?,
        }
        f.pad(b.as_str())
    }
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

/// Walks any table format and writes one line per run of leaves, where
/// `key` gives what must be equal for leaves to share a line and `line`
/// writes a run. Anomalies (unreadable tables, reserved encodings,
/// truncation) get a `#` line where they occur. Returns the counters; the
/// walk itself is bounded by `limits` even if the writer fails. `key` gets
/// the leaf's level, whether it is a block, and its descriptor.
pub fn write_runs<L, K, M, W, FK, FL>(
    w: &mut W,
    g: &L,
    root_pa: u64,
    mem: &mut M,
    limits: Limits,
    key: FK,
    line: FL,
) -> Result<DumpStats, fmt::Error>
where
    L: Layout,
    K: PartialEq + Copy,
    M: Memory,
    W: Write,
    FK: Fn(u32, bool, u64) -> K,
    FL: Fn(&mut W, &Run<K>) -> fmt::Result,
{
    let mut st = DumpStats::default();
    let mut c: Coalescer<K> = Coalescer::new();
    let mut err = Ok(());
    let walk = walk::walk(g, root_pa, mem, limits, |s| {
        if err.is_err() {
            return;
        }
        let emit = |w: &mut W, st: &mut DumpStats, r: Option<Run<K>>| -> fmt::Result {
            if let Some(r) = r {
                st.runs += 1;
                line(w, &r)?;
            }
            Ok(())
        };
        err = match *s {
            Step::Leaf {
                level,
                iova,
                pa,
                size,
                desc,
                block,
                ..
            } => {
                st.leaves += 1;
                st.bytes = st.bytes.wrapping_add(size);
                let closed = c.push(Leaf {
                    iova,
                    pa,
                    size,
                    attrs: key(level, block, desc),
                });
                emit(w, &mut st, closed)
            }
            Step::Table { .. } => Ok(()),
            Step::Reserved {
                level, iova, desc, ..
            } => emit(w, &mut st, c.finish()).and_then(|()| {
                writeln!(
                    w,
                    "# 0x{:016x} L{} reserved descriptor 0x{:016x}",
                    iova, level, desc
                )
            }),
            Step::Unreadable { level, iova, .. } => emit(w, &mut st, c.finish()).and_then(|()| {
                writeln!(
                    w,
                    "# 0x{:016x} L{} table unreadable (freed or invalid): skipped",
                    iova, level
                )
            }),
            Step::Truncated { iova } => emit(w, &mut st, c.finish())
                .and_then(|()| writeln!(w, "# truncated at 0x{:016x}: walk limit reached", iova)),
        };
    });
    err?;
    if let Some(r) = c.finish() {
        st.runs += 1;
        line(w, &r)?;
    }
    st.walk = walk;
    Ok(st)
}

/// Writes the `ptdump_raw` view: one line per valid descriptor, indented
/// by depth: `L<level>[<index>] iova=0x.. desc=0x.. <table -> 0x..|page|block|reserved>`;
/// unreadable tables get a `#` line.
pub fn write_raw<L: Layout, M: Memory, W: Write>(
    w: &mut W,
    g: &L,
    root_pa: u64,
    mem: &mut M,
    limits: Limits,
) -> Result<WalkStats, fmt::Error> {
    let mut err = Ok(());
    let root = g.root_level();
    let st = walk::walk(g, root_pa, mem, limits, |s| {
        if err.is_err() {
            return;
        }
        let indent = |w: &mut W, level: u32| -> fmt::Result {
            for _ in 0..level.abs_diff(root) {
                w.write_str("  ")?;
            }
            Ok(())
        };
        err = match *s {
            Step::Table {
                level,
                index,
                iova,
                desc,
                next_pa,
            } => indent(w, level).and_then(|()| {
                writeln!(
                    w,
                    "L{}[{:03}] iova=0x{:016x} desc=0x{:016x} table -> 0x{:016x}",
                    level, index, iova, desc, next_pa
                )
            }),
            Step::Leaf {
                level,
                index,
                iova,
                desc,
                block,
                ..
            } => indent(w, level).and_then(|()| {
                writeln!(
                    w,
                    "L{}[{:03}] iova=0x{:016x} desc=0x{:016x} {}",
                    level,
                    index,
                    iova,
                    desc,
                    if block { "block" } else { "page" }
                )
            }),
            Step::Reserved {
                level,
                index,
                iova,
                desc,
            } => indent(w, level).and_then(|()| {
                writeln!(
                    w,
                    "L{}[{:03}] iova=0x{:016x} desc=0x{:016x} reserved",
                    level, index, iova, desc
                )
            }),
            Step::Unreadable {
                level,
                table_pa,
                iova,
            } => writeln!(
                w,
                "# L{} table at 0x{:016x} (iova 0x{:016x}) unreadable: skipped",
                level, table_pa, iova
            ),
            Step::Truncated { iova } => {
                writeln!(w, "# truncated at 0x{:016x}: walk limit reached", iova)
            }
        };
    });
    err?;
    Ok(st)
}
