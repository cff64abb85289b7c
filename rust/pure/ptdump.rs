// SPDX-License-Identifier: GPL-2.0

//! Text formats of the per-domain `ptdump` and `ptdump_raw` files.
//!
//! Owns: the exact line layouts documented in `Documentation/debugfs.rst`,
//! and the glue walker -> coalescer -> lines for LPAE tables.
//! Must not: read memory (a `lpae::Memory` is passed in).

use core::fmt::{self, Write};

use super::coalesce::{Coalescer, Leaf, Run};
use super::lpae::{self, Attrs, DirtyState, Geometry, Kind, Limits, MemType, Step, WalkStats};
use super::walk::{self, Layout};

/// A size in bytes, printed with the largest binary unit that divides it
/// ("4K", "2M", "1G", "1536K", "512").
#[derive(Clone, Copy)]
pub struct Size(pub u64);

/// A small stack buffer for formatting without allocation.
struct StackBuf {
    buf: [u8; 24],
    len: usize,
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        let mut b = StackBuf {
            buf: [0; 24],
            len: 0,
        };
        let unit = [(50u32, "P"), (40, "T"), (30, "G"), (20, "M"), (10, "K")]
            .into_iter()
            .find(|&(shift, _)| v >= 1 << shift && v & ((1u64 << shift) - 1) == 0);
        match unit {
            Some((shift, u)) => write!(b, "{}{}", v >> shift, u)?,
            None => write!(b, "{}", v)?,
        }
        // Only ASCII digits and unit letters were written.
        f.pad(core::str::from_utf8(&b.buf[..b.len]).map_err(|_| fmt::Error)?)
    }
}

/// What makes two leaves of a dump line the same: level, kind, attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineKey {
    /// Level of the leaves.
    pub level: u32,
    /// Page or block.
    pub kind: Kind,
    /// Decoded attributes.
    pub attrs: Attrs,
}

fn sh_name(sh: u8) -> &'static str {
    match sh {
        0 => "NSH",
        2 => "OSH",
        3 => "ISH",
        _ => "SH?",
    }
}

/// Writes one `ptdump` line for a run.
///
/// Layout (columns separated by single spaces):
/// `<iova_start>-<iova_end> <size> pa=<pa_start> L<level> <kind> <perm>
/// <priv|user> <AF|--> <memtype> <sh> <clean|dirty|-> [ns] [ng] [x<n>]`
pub fn write_run<W: Write>(w: &mut W, r: &Run<LineKey>) -> fmt::Result {
    let a = &r.attrs.attrs;
    let kind = match (r.attrs.kind, a.cont) {
        (_, true) => "contig",
        (Kind::Block, _) => "block",
        _ => "page",
    };
    let mem = match a.mem {
        MemType::S1 { mair, .. } => lpae::mair_name(mair),
        MemType::S2(m) => lpae::s2_memattr_name(m),
    };
    write!(
        w,
        "0x{:016x}-0x{:016x} {:>6} pa=0x{:016x} L{} {:<6} {}{}{} {} {} {} {} {}",
        r.iova,
        r.iova.wrapping_add(r.size),
        Size(r.size),
        r.pa,
        r.attrs.level,
        kind,
        if a.read { 'R' } else { '-' },
        if a.write { 'W' } else { '-' },
        if a.exec { 'X' } else { '-' },
        if a.privileged { "priv" } else { "user" },
        if a.af { "AF" } else { "--" },
        mem,
        sh_name(a.sh),
        match a.dirty {
            DirtyState::NotTracked => "-",
            DirtyState::Clean => "clean",
            DirtyState::Dirty => "dirty",
        },
    )?;
    if a.ns {
        w.write_str(" ns")?;
    }
    if a.ng {
        w.write_str(" ng")?;
    }
    if r.leaves > 1 {
        write!(w, " x{}", r.leaves)?;
    }
    w.write_char('\n')
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
/// walk itself is bounded by `limits` even if the writer fails.
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
    M: lpae::Memory,
    W: Write,
    FK: Fn(u32, Kind, u64) -> K,
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
                kind,
                ..
            } => {
                st.leaves += 1;
                st.bytes = st.bytes.wrapping_add(size);
                let closed = c.push(Leaf {
                    iova,
                    pa,
                    size,
                    attrs: key(level, kind, desc),
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

/// Walks an LPAE table and writes its decoded `ptdump` (see `write_runs`).
pub fn write_decoded<M: lpae::Memory, W: Write>(
    w: &mut W,
    g: &Geometry,
    root_pa: u64,
    mair: u64,
    mem: &mut M,
    limits: Limits,
) -> Result<DumpStats, fmt::Error> {
    write_runs(
        w,
        g,
        root_pa,
        mem,
        limits,
        |level, kind, desc| LineKey {
            level,
            kind,
            attrs: lpae::attrs(g, desc, mair),
        },
        write_run,
    )
}

/// Writes the `ptdump_raw` view: one line per valid descriptor, indented
/// by depth: `L<level>[<index>] iova=0x.. desc=0x.. <table -> 0x..|page|block|reserved>`;
/// unreadable tables get a `#` line.
pub fn write_raw<L: Layout, M: lpae::Memory, W: Write>(
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
                kind,
                ..
            } => indent(w, level).and_then(|()| {
                writeln!(
                    w,
                    "L{}[{:03}] iova=0x{:016x} desc=0x{:016x} {}",
                    level,
                    index,
                    iova,
                    desc,
                    if kind == Kind::Page { "page" } else { "block" }
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
