// SPDX-License-Identifier: GPL-2.0

//! A live domain's page table, whatever its format: the `Layout` that
//! dispatches to Arm LPAE (io-pgtable-arm, SMMUv3) or to a generic_pt
//! format, and the physical address of its root.
//!
//! Owns: `AnyLayout`, `Table`, and how far a driver's unmap reaches in
//! each format. Must not: know a descriptor bit (the format files do) or
//! read memory other than through a `Memory`.

use super::genpt::PtGeometry;
use super::lpae::Geometry;
use super::walk::{walk, Class, Layout, Limits, Memory, Step};

/// The page-table layout of a domain, whatever its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyLayout {
    /// Arm LPAE (io-pgtable-arm, SMMUv3).
    Lpae(Geometry),
    /// A generic_pt format.
    Pt(PtGeometry),
}

/// A page table to walk: its layout and the physical address of its root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    /// How to decode it.
    pub layout: AnyLayout,
    /// Physical address of the root table.
    pub root_pa: u64,
}

impl Table {
    /// Whether the driver's unmap clears a whole entry that a range ends
    /// inside (generic_pt), so that `unmap_end` may reach beyond the range.
    pub fn clears_whole_entries(&self) -> bool {
        matches!(self.layout, AnyLayout::Pt(_))
    }

    /// Where an unmap of `[iova, end)` ends in this table, read through
    /// `mem` before the unmap. io-pgtable-arm never clears beyond the
    /// range (a partial large leaf is refused): `end`. generic_pt clears a
    /// whole entry (with its replicas) that the range ends inside, and
    /// returns the larger size (`__unmap_range`: "the entire entry is
    /// unmapped and the length returned will be larger than requested"):
    /// the end of that entry, unless it also holds `iova` without starting
    /// there (an unmap that starts inside an entry is refused). A hole at
    /// `end - 1` leaves `end`. Saturates at the top of the address space.
    pub fn unmap_end<M: Memory>(&self, mem: &mut M, iova: u64, end: u64) -> u64 {
        let AnyLayout::Pt(g) = self.layout else {
            return end;
        };
        let last = match end.checked_sub(1) {
            Some(last) if end > iova => last,
            _ => return end,
        };
        let mut out = end;
        walk(
            &g,
            self.root_pa,
            mem,
            Limits::bounded_range(last, end),
            |s| {
                if let Step::Leaf {
                    level,
                    iova: at,
                    size,
                    desc,
                    ..
                } = *s
                {
                    if at <= last && last - at < size {
                        // A power of two, at least the item size (which `at` is
                        // aligned to).
                        let span = g.entry_span(level, desc);
                        let start = at & !(span - 1);
                        if start >= iova {
                            out = out.max(start.saturating_add(span));
                        }
                    }
                }
            },
        );
        out
    }
}

impl Layout for AnyLayout {
    fn root_level(&self) -> u32 {
        match self {
            AnyLayout::Lpae(g) => g.root_level(),
            AnyLayout::Pt(g) => g.root_level(),
        }
    }

    fn next_level(&self, level: u32) -> Option<u32> {
        match self {
            AnyLayout::Lpae(g) => g.next_level(level),
            AnyLayout::Pt(g) => g.next_level(level),
        }
    }

    fn entries(&self, level: u32) -> usize {
        match self {
            AnyLayout::Lpae(g) => Layout::entries(g, level),
            AnyLayout::Pt(g) => g.entries(level),
        }
    }

    fn entry_size(&self, level: u32) -> u64 {
        match self {
            AnyLayout::Lpae(g) => Layout::entry_size(g, level),
            AnyLayout::Pt(g) => g.entry_size(level),
        }
    }

    fn table_bytes(&self, level: u32) -> u64 {
        match self {
            AnyLayout::Lpae(g) => g.table_bytes(level),
            AnyLayout::Pt(g) => g.table_bytes(level),
        }
    }

    // Every descriptor a walk reads is classified: inlined into it.
    #[inline(always)]
    fn classify(&self, level: u32, index: usize, desc: u64) -> Class {
        match self {
            AnyLayout::Lpae(g) => g.classify(level, index, desc),
            AnyLayout::Pt(g) => g.classify(level, index, desc),
        }
    }
}
