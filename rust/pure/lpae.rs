// SPDX-License-Identifier: GPL-2.0

//! Arm LPAE (VMSAv8-64) IO page tables as io-pgtable-arm builds them for
//! SMMUv3: geometry, descriptor decoding and a bounded, allocation-free walk.
//!
//! Owns: the descriptor bit layout for stage 1 and stage 2, 4K/16K/64K
//! granules, every level count, concatenated stage-2 roots, 52-bit output
//! addresses with the 64K granule, and HTTU dirty states (DBM + AP[2] /
//! S2AP[1]).
//! Also the LPAE `ptdump` line (`write_run`, `write_decoded`).
//! Must not: read memory itself (the caller supplies a `walk::Memory`) or
//! walk (the common `walk::walk` does, through this file's `Layout`).

use core::fmt::{self, Write};

use super::coalesce::Run;
use super::ptdump::{write_run_head, write_runs, DumpStats, RunFormat};
use super::text::Chunk;
use super::walk::{Class, Layout, Limits, Memory};

/// Translation stage of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Stage 1 (VA -> IPA/PA), AArch64 long descriptors.
    S1,
    /// Stage 2 (IPA -> PA).
    S2,
}

/// Errors in a table's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryError {
    /// Granule is not 4K, 16K or 64K.
    Granule,
    /// Input address size out of range for the granule.
    Ias,
    /// Stage-2 start level / concatenation not representable.
    StartLevel,
}

/// The shape of one table hierarchy.
///
/// # Invariants
///
/// `granule_shift` is 12, 14 or 16; `bits_per_level == granule_shift - 3`;
/// `start_level <= 3`; `1 <= pgd_bits <= bits_per_level + 4` (a root of at
/// most 16 concatenated tables); `ias == granule_shift + pgd_bits +
/// bits_per_level * (3 - start_level)` and `ias <= 52`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Stage of the table.
    pub stage: Stage,
    /// log2 of the granule (page) size.
    pub granule_shift: u32,
    /// Index bits resolved per level below the root.
    pub bits_per_level: u32,
    /// Level of the root table (0..=3).
    pub start_level: u32,
    /// Index bits resolved by the root table (may exceed
    /// `bits_per_level` for concatenated stage-2 roots).
    pub pgd_bits: u32,
    /// Input address size in bits.
    pub ias: u32,
    /// Output address size in bits (52 enables the packed PA[51:48] bits
    /// with the 64K granule).
    pub oas: u32,
}

/// Granule 4K/16K/64K, IAS above the granule and at most 52 bits, OAS 32
/// to 52 bits.
fn check_sizes(granule_shift: u32, ias: u32, oas: u32) -> Result<(), GeometryError> {
    if !matches!(granule_shift, 12 | 14 | 16) {
        return Err(GeometryError::Granule);
    }
    if ias <= granule_shift || ias > 52 || !(32..=52).contains(&oas) {
        return Err(GeometryError::Ias);
    }
    Ok(())
}

/// Maximum number of tables concatenated at a stage-2 root
/// (io-pgtable-arm's ARM_LPAE_S2_MAX_CONCAT_PAGES).
pub const S2_MAX_CONCAT: u32 = 16;

impl Geometry {
    /// The geometry of a table io-pgtable-arm built for an SMMUv3 domain,
    /// from its configuration (`pgsize_bitmap`, `ias`, `oas`) cross-checked
    /// against the TCR/VTCR fields it programmed (`t0sz`, and the raw
    /// `VTCR.SL0` for stage 2): a mismatch means the table is not what this
    /// code expects, and it is not walked. The error says why.
    pub fn programmed(
        stage: Stage,
        pgsize_bitmap: u64,
        ias: u32,
        oas: u32,
        t0sz: u32,
        vtcr_sl0: u32,
    ) -> Result<Self, &'static str> {
        if pgsize_bitmap == 0 {
            return Err("empty pgsize_bitmap");
        }
        let granule_shift = pgsize_bitmap.trailing_zeros();
        // io-pgtable-arm widens an OAS below 32 bits to 32 for the walk.
        let g = Geometry::io_pgtable(stage, granule_shift, ias, oas.max(32))
            .map_err(|_| "unsupported geometry")?;
        if Some(t0sz) != 64u32.checked_sub(ias) {
            return Err("T0SZ does not match IAS");
        }
        if stage == Stage::S2 {
            // io-pgtable-arm: sl = start_level (+1 for 4K); field = ~sl & 3.
            let sl = (!vtcr_sl0) & 3;
            let start = if granule_shift == 12 {
                sl.wrapping_sub(1)
            } else {
                sl
            };
            if start != g.start_level {
                return Err("VTCR.SL0 does not match the computed start level");
            }
        }
        Ok(g)
    }

    /// The geometry io-pgtable-arm (Linux 7.3) computes for `ias`, `oas`
    /// and a granule (`arm_lpae_alloc_pgtable`), including the stage-2 root
    /// concatenation that `arm_lpae_concat_mandatory` requires.
    pub fn io_pgtable(
        stage: Stage,
        granule_shift: u32,
        ias: u32,
        oas: u32,
    ) -> Result<Self, GeometryError> {
        check_sizes(granule_shift, ias, oas)?;
        let bits_per_level = granule_shift - 3;
        let va_bits = ias - granule_shift;
        let levels = va_bits.div_ceil(bits_per_level);
        if levels > 4 {
            return Err(GeometryError::Ias);
        }
        let mut start_level = 4 - levels;
        let mut pgd_bits = va_bits - bits_per_level * (levels - 1);
        if stage == Stage::S2 && concat_mandatory(granule_shift, start_level, ias, oas) {
            if (1u32 << pgd_bits) > S2_MAX_CONCAT {
                return Err(GeometryError::StartLevel);
            }
            pgd_bits += bits_per_level;
            start_level += 1;
        }
        Ok(Geometry {
            stage,
            granule_shift,
            bits_per_level,
            start_level,
            pgd_bits,
            ias,
            oas,
        })
    }

    /// The geometry of a table whose root level is known (for stage 2, from
    /// VTCR.SL0), whatever rule chose it.
    pub fn with_start_level(
        stage: Stage,
        granule_shift: u32,
        ias: u32,
        oas: u32,
        start_level: u32,
    ) -> Result<Self, GeometryError> {
        check_sizes(granule_shift, ias, oas)?;
        if start_level > 3 {
            return Err(GeometryError::StartLevel);
        }
        let bits_per_level = granule_shift - 3;
        let below = bits_per_level * (3 - start_level);
        let pgd_bits = (ias - granule_shift)
            .checked_sub(below)
            .ok_or(GeometryError::StartLevel)?;
        if pgd_bits == 0 || pgd_bits > bits_per_level + 4 {
            return Err(GeometryError::StartLevel);
        }
        Ok(Geometry {
            stage,
            granule_shift,
            bits_per_level,
            start_level,
            pgd_bits,
            ias,
            oas,
        })
    }

    /// Granule size in bytes.
    pub fn granule(&self) -> u64 {
        1 << self.granule_shift
    }

    /// Number of descriptors in a table at `level`.
    pub fn entries(&self, level: u32) -> usize {
        if level == self.start_level {
            1 << self.pgd_bits
        } else {
            1 << self.bits_per_level
        }
    }

    /// Bytes of input address space one descriptor at `level` covers.
    pub fn entry_size(&self, level: u32) -> u64 {
        1u64 << (self.granule_shift + self.bits_per_level * (3 - level))
    }

    /// Root table size in bytes.
    pub fn root_bytes(&self) -> u64 {
        8u64 << self.pgd_bits
    }

    /// Number of granule-sized tables concatenated at the root (1 unless a
    /// stage-2 root was concatenated).
    pub fn root_concat(&self) -> u64 {
        self.root_bytes().div_ceil(self.granule()).max(1)
    }

    /// Number of levels walked.
    pub fn levels(&self) -> u32 {
        4 - self.start_level
    }
}

/// io-pgtable-arm's `arm_lpae_concat_mandatory` (Linux 7.3): when a stage-2
/// root must be concatenated tables one level down (Arm ARM R_SRKBC).
pub fn concat_mandatory(granule_shift: u32, start_level: u32, ias: u32, oas: u32) -> bool {
    match (granule_shift, start_level) {
        (14, 0) => oas == 48 || ias == 48,
        (12, 0) => oas == 40 || oas == 42,
        (14, 1) => oas == 40,
        _ => false,
    }
}

/// Descriptor type bits.
const TYPE_MASK: u64 = 0b11;
const TYPE_BLOCK: u64 = 0b01;
const TYPE_TABLE_OR_PAGE: u64 = 0b11;

/// Bits of the descriptor.
pub mod bits {
    /// Stage 1 AttrIndx[2:0].
    pub const ATTRINDX_SHIFT: u32 = 2;
    /// Stage 1 NS.
    pub const NS: u64 = 1 << 5;
    /// Stage 1 AP[1]: accessible at EL0 (unprivileged).
    pub const AP_UNPRIV: u64 = 1 << 6;
    /// Stage 1 AP[2]: read-only.
    pub const AP_RDONLY: u64 = 1 << 7;
    /// Stage 2 S2AP[0]: read.
    pub const S2AP_READ: u64 = 1 << 6;
    /// Stage 2 S2AP[1]: write.
    pub const S2AP_WRITE: u64 = 1 << 7;
    /// Shareability SH[1:0].
    pub const SH_SHIFT: u32 = 8;
    /// Access flag.
    pub const AF: u64 = 1 << 10;
    /// Stage 1 not-global.
    pub const NG: u64 = 1 << 11;
    /// Dirty bit modifier (HTTU dirty state tracking).
    pub const DBM: u64 = 1 << 51;
    /// Contiguous hint.
    pub const CONT: u64 = 1 << 52;
    /// Stage 1 PXN.
    pub const PXN: u64 = 1 << 53;
    /// Stage 1 UXN/XN, stage 2 XN[1].
    pub const XN: u64 = 1 << 54;
    /// Stage 2 XN[1:0] as io-pgtable-arm sets it.
    pub const S2_XN: u64 = 3 << 53;
    /// Output address bits 47:12.
    pub const ADDR_MASK: u64 = ((1 << 48) - 1) & !((1 << 12) - 1);
}

/// Decoded output address of a descriptor for `g` (the same rule as
/// io-pgtable-arm's `iopte_to_paddr`: with the 64K granule, PA[51:48] is
/// packed in descriptor bits [15:12]).
pub fn desc_to_pa(g: &Geometry, desc: u64) -> u64 {
    let pa = desc & bits::ADDR_MASK;
    if g.granule_shift < 16 {
        return pa & !(g.granule() - 1);
    }
    (pa | (pa << (48 - 12))) & (bits::ADDR_MASK << 4) & !((1u64 << 16) - 1)
}

/// The encoding io-pgtable-arm uses for a PA (`paddr_to_iopte`), for tests.
pub fn pa_to_desc_bits(g: &Geometry, pa: u64) -> u64 {
    if g.granule_shift < 16 {
        return pa & bits::ADDR_MASK;
    }
    (pa | (pa >> (48 - 12))) & bits::ADDR_MASK
}

/// What a descriptor is, at a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Not valid (bit 0 clear).
    Invalid,
    /// Points to a next-level table.
    Table,
    /// A block (levels 0..=2) mapping.
    Block,
    /// A page (level 3) mapping.
    Page,
    /// A reserved encoding (block type at level 3, or a block at a level
    /// where the granule has none); never followed.
    Reserved,
}

/// Classifies `desc` found at `level`.
pub fn kind(g: &Geometry, level: u32, desc: u64) -> Kind {
    match (desc & TYPE_MASK, level) {
        (0 | 2, _) => Kind::Invalid,
        (TYPE_TABLE_OR_PAGE, 3) => Kind::Page,
        (TYPE_TABLE_OR_PAGE, _) => Kind::Table,
        (TYPE_BLOCK, 3) => Kind::Reserved,
        (TYPE_BLOCK, l) => {
            // Level-0 blocks do not exist for these granules; level-1
            // blocks only with 4K (1G), and with 64K and an output size
            // above 48 bits (4T, which io-pgtable-arm maps then).
            let ok = match g.granule_shift {
                12 => l >= 1,
                16 if g.oas > 48 => l >= 1,
                _ => l >= 2,
            };
            if ok {
                Kind::Block
            } else {
                Kind::Reserved
            }
        }
        _ => Kind::Invalid,
    }
}

/// HTTU dirty state of a writable-by-hardware leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirtyState {
    /// DBM clear: the entry is not tracked.
    NotTracked,
    /// DBM set, write permission not yet granted by hardware: clean.
    Clean,
    /// DBM set and the hardware (or software) made it writable: dirty.
    Dirty,
}

/// Memory type of a leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemType {
    /// Stage 1: the MAIR attribute index (0..=7) and its MAIR byte.
    S1 {
        /// AttrIndx.
        index: u8,
        /// The MAIR byte for that index (0 if unknown).
        mair: u8,
    },
    /// Stage 2: MemAttr[3:0].
    S2(u8),
}

/// The attributes of a leaf that the dump shows (and coalesces on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attrs {
    /// Readable by the device.
    pub read: bool,
    /// Writable by the device now (stage 1: AP[2] clear; stage 2: S2AP[1]).
    pub write: bool,
    /// Executable (instruction fetch allowed) by the device.
    pub exec: bool,
    /// Stage 1: privileged-only (AP[1] clear). Stage 2: always false.
    pub privileged: bool,
    /// Access flag set.
    pub af: bool,
    /// Memory type.
    pub mem: MemType,
    /// Shareability: 0 non, 2 outer, 3 inner.
    pub sh: u8,
    /// Stage 1 NS bit.
    pub ns: bool,
    /// Stage 1 nG bit.
    pub ng: bool,
    /// HTTU dirty state.
    pub dirty: DirtyState,
    /// Contiguous hint set.
    pub cont: bool,
}

/// Decodes the attributes of a leaf descriptor. `mair` is the stage-1 MAIR
/// value the table was configured with (0 if unknown).
pub fn attrs(g: &Geometry, desc: u64, mair: u64) -> Attrs {
    let dbm = desc & bits::DBM != 0;
    let sh = ((desc >> bits::SH_SHIFT) & 3) as u8;
    let af = desc & bits::AF != 0;
    let cont = desc & bits::CONT != 0;
    match g.stage {
        Stage::S1 => {
            let rdonly = desc & bits::AP_RDONLY != 0;
            let index = ((desc >> bits::ATTRINDX_SHIFT) & 7) as u8;
            Attrs {
                read: true,
                // With DBM, AP[2] set means writable-clean: the device may
                // write (the SMMU clears AP[2] on the first write).
                write: !rdonly || dbm,
                exec: desc & bits::XN == 0,
                privileged: desc & bits::AP_UNPRIV == 0,
                af,
                mem: MemType::S1 {
                    index,
                    mair: (mair >> (8 * u32::from(index))) as u8,
                },
                sh,
                ns: desc & bits::NS != 0,
                ng: desc & bits::NG != 0,
                dirty: match (dbm, rdonly) {
                    (false, _) => DirtyState::NotTracked,
                    (true, true) => DirtyState::Clean,
                    (true, false) => DirtyState::Dirty,
                },
                cont,
            }
        }
        Stage::S2 => {
            let w = desc & bits::S2AP_WRITE != 0;
            Attrs {
                read: desc & bits::S2AP_READ != 0,
                write: w || dbm,
                exec: desc & bits::XN == 0,
                privileged: false,
                af,
                mem: MemType::S2(((desc >> 2) & 0xf) as u8),
                sh,
                ns: false,
                ng: false,
                dirty: match (dbm, w) {
                    (false, _) => DirtyState::NotTracked,
                    (true, false) => DirtyState::Clean,
                    (true, true) => DirtyState::Dirty,
                },
                cont,
            }
        }
    }
}

/// Name of a MAIR attribute byte.
pub fn mair_name(attr: u8) -> &'static str {
    match attr {
        0x00 => "Device-nGnRnE",
        0x04 => "Device-nGnRE",
        0x08 => "Device-nGRE",
        0x0c => "Device-GRE",
        0x44 => "Normal-NC",
        0xff => "Normal-WB",
        0xbb => "Normal-WT",
        0xf4 => "Normal-iNC-oWB",
        0x4f => "Normal-iWB-oNC",
        _ => "Normal-other",
    }
}

/// Name of a stage-2 MemAttr value.
pub fn s2_memattr_name(m: u8) -> &'static str {
    match m {
        0x0 => "Device-nGnRnE",
        0x1 => "Device-nGnRE",
        0x2 => "Device-nGRE",
        0x3 => "Device-GRE",
        0x5 => "Normal-NC",
        0xf => "Normal-WB",
        0xa => "Normal-WT",
        _ => "Normal-other",
    }
}

impl Layout for Geometry {
    fn root_level(&self) -> u32 {
        self.start_level
    }

    fn next_level(&self, level: u32) -> Option<u32> {
        (level < 3).then_some(level + 1)
    }

    fn entries(&self, level: u32) -> usize {
        Geometry::entries(self, level)
    }

    fn entry_size(&self, level: u32) -> u64 {
        Geometry::entry_size(self, level)
    }

    fn table_bytes(&self, level: u32) -> u64 {
        if level == self.start_level {
            self.root_bytes()
        } else {
            self.granule()
        }
    }

    // Every descriptor a walk reads is classified: inlined into it.
    #[inline(always)]
    fn classify(&self, level: u32, _index: usize, desc: u64) -> Class {
        match kind(self, level, desc) {
            Kind::Invalid => Class::Invalid,
            Kind::Reserved => Class::Reserved,
            Kind::Table => Class::Table(desc_to_pa(self, desc)),
            k => Class::Leaf {
                pa: desc_to_pa(self, desc),
                size: self.entry_size(level),
                block: k == Kind::Block,
            },
        }
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
pub fn write_run(w: &mut Chunk, r: &Run<LineKey>) -> fmt::Result {
    let a = &r.attrs.attrs;
    let kind = match (r.attrs.kind, a.cont) {
        (_, true) => "contig",
        (Kind::Block, _) => "block",
        _ => "page",
    };
    let mem = match a.mem {
        MemType::S1 { mair, .. } => mair_name(mair),
        MemType::S2(m) => s2_memattr_name(m),
    };
    write_run_head(w, r, r.attrs.level, kind, (a.read, a.write, a.exec))?;
    w.put(if a.privileged { " priv " } else { " user " })?;
    w.put(if a.af { "AF " } else { "-- " })?;
    w.put(mem)?;
    w.put(" ")?;
    w.put(sh_name(a.sh))?;
    w.put(match a.dirty {
        DirtyState::NotTracked => " -",
        DirtyState::Clean => " clean",
        DirtyState::Dirty => " dirty",
    })?;
    if a.ns {
        w.put(" ns")?;
    }
    if a.ng {
        w.put(" ng")?;
    }
    if r.leaves > 1 {
        w.put(" x")?;
        w.put_dec(r.leaves)?;
    }
    w.put("\n")
}

/// The LPAE decoded dump's grouping and line (a `ptdump::RunFormat`).
#[derive(Clone, Copy, Debug)]
pub struct LpaeRuns {
    /// The table's geometry.
    pub g: Geometry,
    /// The MAIR the stage-1 attribute indexes select from.
    pub mair: u64,
}

impl RunFormat for LpaeRuns {
    type Layout = Geometry;
    type Key = LineKey;

    fn layout(&self) -> &Geometry {
        &self.g
    }

    fn key(&self, level: u32, block: bool, desc: u64) -> LineKey {
        LineKey {
            level,
            kind: if block { Kind::Block } else { Kind::Page },
            attrs: attrs(&self.g, desc, self.mair),
        }
    }

    fn line(&self, w: &mut Chunk, r: &Run<LineKey>) -> fmt::Result {
        write_run(w, r)
    }
}

/// Walks an LPAE table and writes its decoded `ptdump` (see
/// `ptdump::Runs`).
pub fn write_decoded<M: Memory, W: Write>(
    w: &mut W,
    g: &Geometry,
    root_pa: u64,
    mair: u64,
    mem: &mut M,
    limits: Limits,
) -> Result<DumpStats, fmt::Error> {
    write_runs(w, LpaeRuns { g: *g, mair }, root_pa, mem, limits)
}
