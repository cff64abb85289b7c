// SPDX-License-Identifier: GPL-2.0

//! The generic_pt IOMMU page-table formats of Linux 7.3
//! (drivers/iommu/generic_pt/): what they share (512-entry 4K tables, level
//! 0 holding 4K leaves, the `ptdump` line), and the dispatch to the file of
//! each format under `genpt/`: AMDv1, VT-d second stage, x86_64 and RISC-V
//! 64 (Sv39/48/57).
//!
//! Owns: `PtGeometry`, the common line layout. Must not: know a format's
//! descriptor bits (its own file does) or read memory (a `walk::Memory` is
//! passed in).

pub mod amdv1;
pub mod riscv64;
pub mod vtdss;
pub mod x86_64;

use core::fmt::{self, Write};

use super::coalesce::Run;
use super::ptdump::{write_run_head, write_runs, DumpStats, RunFormat};
use super::text::Chunk;
use super::walk::{Class, Layout, Limits, Memory};

/// A generic_pt format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// AMD IOMMU v1 host page table.
    AmdV1,
    /// Intel VT-d second-stage table.
    VtdSs,
    /// x86-64 4/5-level (AMD v2 / VT-d first stage).
    X86_64,
    /// RISC-V 64 Sv39/Sv48/Sv57.
    Riscv64,
}

impl Format {
    /// The format's name as the kernel's Kconfig names it.
    pub fn name(self) -> &'static str {
        match self {
            Format::AmdV1 => "amdv1",
            Format::VtdSs => "vtdss",
            Format::X86_64 => "x86_64",
            Format::Riscv64 => "riscv_64",
        }
    }
}

/// A generic_pt table: its format and top level (level 0 holds 4K leaves;
/// each level above resolves 9 more bits).
///
/// # Invariants
///
/// `top_level <= 5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtGeometry {
    /// Format of the descriptors.
    pub fmt: Format,
    /// Level of the top table.
    pub top_level: u32,
}

/// Bits 51:12: the output address of x86_64, VT-d SS and AMDv1 entries.
pub const OA_51_12: u64 = ((1 << 52) - 1) & !((1 << 12) - 1);

/// Bytes one entry at `level` covers (level 0: 4K, 9 more bits per level).
pub fn item_size(level: u32) -> u64 {
    1u64 << (12 + 9 * level.min(5))
}

impl PtGeometry {
    /// Input bytes the whole entry holding leaf `desc` at `level` covers:
    /// what the kernel's `__unmap_range` clears at once (an entry with its
    /// replicas, `pt_entry_num_contig_lg2`). A power of two, at least the
    /// level's item size.
    pub fn entry_span(&self, level: u32, desc: u64) -> u64 {
        match self.fmt {
            Format::AmdV1 => amdv1::entry_span(level, desc),
            Format::Riscv64 => riscv64::entry_span(level, desc),
            Format::VtdSs | Format::X86_64 => item_size(level),
        }
    }

    /// Decodes a leaf's attributes.
    pub fn attrs(&self, desc: u64) -> PtAttrs {
        match self.fmt {
            Format::AmdV1 => amdv1::attrs(desc),
            Format::VtdSs => vtdss::attrs(desc),
            Format::X86_64 => x86_64::attrs(desc),
            Format::Riscv64 => riscv64::attrs(desc),
        }
    }
}

impl Layout for PtGeometry {
    fn root_level(&self) -> u32 {
        self.top_level
    }

    fn next_level(&self, level: u32) -> Option<u32> {
        level.checked_sub(1)
    }

    fn entries(&self, _level: u32) -> usize {
        512
    }

    fn entry_size(&self, level: u32) -> u64 {
        item_size(level)
    }

    fn table_bytes(&self, _level: u32) -> u64 {
        4096
    }

    fn classify(&self, level: u32, index: usize, desc: u64) -> Class {
        match self.fmt {
            Format::AmdV1 => amdv1::classify(level, index, desc),
            Format::VtdSs => vtdss::classify(level, desc),
            Format::X86_64 => x86_64::classify(level, desc),
            Format::Riscv64 => riscv64::classify(level, index, desc),
        }
    }
}

/// Attributes of a generic_pt leaf shown by `ptdump`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtAttrs {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
    /// User (x86 U, RISC-V U); true where the format has no such bit.
    pub user: bool,
    /// Accessed bit.
    pub accessed: bool,
    /// Dirty bit.
    pub dirty: bool,
    /// Memory type or coherency marker of the format.
    pub mem: &'static str,
    /// Global bit.
    pub global: bool,
}

/// What makes two generic_pt leaves one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtLineKey {
    /// Level of the leaves.
    pub level: u32,
    /// A large leaf above level 0.
    pub block: bool,
    /// Decoded attributes.
    pub attrs: PtAttrs,
}

/// Writes one `ptdump` line of a generic_pt run:
/// `<start>-<end> <size> pa=<pa> L<level> <page|block> <perm> <user|priv>
/// <A|-> <D|-> <mem> [g] [x<n>]`.
pub fn write_run(w: &mut Chunk, r: &Run<PtLineKey>) -> fmt::Result {
    let a = &r.attrs.attrs;
    write_run_head(
        w,
        r,
        r.attrs.level,
        if r.attrs.block { "block" } else { "page" },
        (a.read, a.write, a.exec),
    )?;
    w.put(if a.user { " user " } else { " priv " })?;
    w.put(if a.accessed { "A " } else { "- " })?;
    w.put(if a.dirty { "D " } else { "- " })?;
    w.put(a.mem)?;
    if a.global {
        w.put(" g")?;
    }
    if r.leaves > 1 {
        w.put(" x")?;
        w.put_dec(r.leaves)?;
    }
    w.put("\n")
}

/// The generic_pt decoded dump's grouping and line (a
/// `ptdump::RunFormat`).
#[derive(Clone, Copy, Debug)]
pub struct PtRuns {
    /// The table's geometry.
    pub g: PtGeometry,
}

impl RunFormat for PtRuns {
    type Layout = PtGeometry;
    type Key = PtLineKey;

    fn layout(&self) -> &PtGeometry {
        &self.g
    }

    fn key(&self, level: u32, block: bool, desc: u64) -> PtLineKey {
        PtLineKey {
            level,
            block,
            attrs: self.g.attrs(desc),
        }
    }

    fn line(&self, w: &mut Chunk, r: &Run<PtLineKey>) -> fmt::Result {
        write_run(w, r)
    }
}

/// Walks a generic_pt table and writes its decoded `ptdump`.
pub fn write_decoded<M: Memory, W: Write>(
    w: &mut W,
    g: &PtGeometry,
    root_pa: u64,
    mem: &mut M,
    limits: Limits,
) -> Result<DumpStats, fmt::Error> {
    write_runs(w, PtRuns { g: *g }, root_pa, mem, limits)
}
