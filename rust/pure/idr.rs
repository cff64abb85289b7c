// SPDX-License-Identifier: GPL-2.0

//! Decoding of the SMMUv3 identification registers SMMU_IDR0-5 (Arm IHI
//! 0070, "SMMU_IDR0" ...), with the field layouts of the driver's `IDR*`
//! definitions
//! ([`arm-smmu-v3.h`](srctree/drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h)),
//! and the text of the `capabilities` file (`Documentation/streams.rst`):
//! what the hardware offers, then what the driver enabled.
//!
//! Owns: the IDR layouts, the names of the driver's feature and option
//! flags (in the stable order `c/smmu_v3.c` translates them to), the
//! `capabilities` format. Must not: read a register (the caller passes
//! the words).

use core::fmt;

use super::ste::{ps_bits, Field};

/// IDR0 bits.
pub mod idr0 {
    /// Stage-2 translation.
    pub const S2P: u32 = 1 << 0;
    /// Stage-1 translation.
    pub const S1P: u32 = 1 << 1;
    /// TTF, bits 3:2: translation table formats.
    pub const TTF_SHIFT: u32 = 2;
    /// Coherent table walks and queue accesses.
    pub const COHACC: u32 = 1 << 4;
    /// Broadcast TLB maintenance.
    pub const BTM: u32 = 1 << 5;
    /// HTTU, bits 7:6.
    pub const HTTU_SHIFT: u32 = 6;
    /// Hypervisor stage 1 contexts (EL2).
    pub const HYP: u32 = 1 << 9;
    /// PCIe ATS.
    pub const ATS: u32 = 1 << 10;
    /// 16-bit ASIDs.
    pub const ASID16: u32 = 1 << 12;
    /// MSIs.
    pub const MSI: u32 = 1 << 13;
    /// WFE wake-up events.
    pub const SEV: u32 = 1 << 14;
    /// PCIe PRI.
    pub const PRI: u32 = 1 << 16;
    /// 16-bit VMIDs.
    pub const VMID16: u32 = 1 << 18;
    /// Two-level CD tables.
    pub const CD2L: u32 = 1 << 19;
    /// TTENDIAN, bits 22:21.
    pub const TTENDIAN_SHIFT: u32 = 21;
    /// STALL_MODEL, bits 25:24.
    pub const STALL_MODEL_SHIFT: u32 = 24;
    /// ST_LEVEL, bits 28:27.
    pub const ST_LEVEL_SHIFT: u32 = 27;
}

/// IDR1 bits.
pub mod idr1 {
    /// SIDSIZE, bits 5:0.
    pub const SIDSIZE_SHIFT: u32 = 0;
    /// SSIDSIZE, bits 10:6.
    pub const SSIDSIZE_SHIFT: u32 = 6;
    /// PRIQS, bits 15:11.
    pub const PRIQS_SHIFT: u32 = 11;
    /// EVTQS, bits 20:16.
    pub const EVTQS_SHIFT: u32 = 16;
    /// CMDQS, bits 25:21.
    pub const CMDQS_SHIFT: u32 = 21;
    /// ATTR_TYPES_OVR.
    pub const ATTR_TYPES_OVR: u32 = 1 << 27;
    /// REL: base addresses are relative.
    pub const REL: u32 = 1 << 28;
    /// QUEUES_PRESET.
    pub const QUEUES_PRESET: u32 = 1 << 29;
    /// TABLES_PRESET.
    pub const TABLES_PRESET: u32 = 1 << 30;
}

/// IDR3 bits.
pub mod idr3 {
    /// Stage-2 forced write-back.
    pub const FWB: u32 = 1 << 8;
    /// Range invalidation.
    pub const RIL: u32 = 1 << 10;
    /// BBML, bits 12:11.
    pub const BBML_SHIFT: u32 = 11;
}

/// IDR5 bits.
pub mod idr5 {
    /// OAS, bits 2:0.
    pub const OAS_MASK: u32 = 7;
    /// 4K granule.
    pub const GRAN4K: u32 = 1 << 4;
    /// 16K granule.
    pub const GRAN16K: u32 = 1 << 5;
    /// 64K granule.
    pub const GRAN64K: u32 = 1 << 6;
    /// DS: 52-bit addresses with 4K/16K granules.
    pub const DS: u32 = 1 << 7;
    /// VAX, bits 11:10.
    pub const VAX_SHIFT: u32 = 10;
    /// STALL_MAX, bits 31:16.
    pub const STALL_MAX_SHIFT: u32 = 16;
}

/// The driver's feature flags (`ARM_SMMU_FEAT_*`), in the stable bit order
/// of `IOMMU_SCOPE_SMMU_FEAT_*` (`include/iommu_scope_smmu.h`).
pub const FEATURES: &[&str] = &[
    "2lvl_strtab",
    "2lvl_cdtab",
    "tt_le",
    "tt_be",
    "pri",
    "ats",
    "sev",
    "msi",
    "coherency",
    "trans_s1",
    "trans_s2",
    "stalls",
    "hyp",
    "stall_force",
    "vax",
    "range_inv",
    "btm",
    "sva",
    "e2h",
    "nesting",
    "attr_types_ovr",
    "ha",
    "hd",
    "s2fwb",
    "bbml2",
    "haft",
    "ds",
];

/// `FEATURES` bit: two-level stream table.
pub const FEAT_2LVL_STRTAB: u32 = 1 << 0;
/// `FEATURES` bit: SVA.
pub const FEAT_SVA: u32 = 1 << 17;

/// The driver's option flags (`ARM_SMMU_OPT_*`), in their stable order.
pub const OPTIONS: &[&str] = &[
    "skip_prefetch",
    "page0_regs_only",
    "msipoll",
    "cmdq_force_sync",
    "tegra241_cmdqv",
];

/// What `capabilities` shows: the registers and the driver's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// SMMU_IDR0 to SMMU_IDR5.
    pub idr: [u32; 6],
    /// SMMU_IIDR.
    pub iidr: u32,
    /// SMMU_AIDR.
    pub aidr: u32,
    /// SMMU_STRTAB_BASE (the stream table's physical address and RA).
    pub strtab_base: u64,
    /// SMMU_STRTAB_BASE_CFG.
    pub strtab_base_cfg: u32,
    /// Stable feature bits (`FEATURES`).
    pub features: u32,
    /// Stable option bits (`OPTIONS`).
    pub options: u32,
    /// The driver's ASID, VMID, SSID and SID widths.
    pub asid_bits: u32,
    /// VMID width.
    pub vmid_bits: u32,
    /// SubstreamID width.
    pub ssid_bits: u32,
    /// StreamID width.
    pub sid_bits: u32,
    /// The driver's output address size (bits).
    pub oas: u32,
    /// Page sizes the driver offers.
    pub pgsize_bitmap: u64,
    /// log2 of the command, event and PRI queue entries the driver uses
    /// (PRI: 0 when there is no PRI queue).
    pub cmdq_shift: u32,
    /// Event queue.
    pub evtq_shift: u32,
    /// PRI queue.
    pub priq_shift: u32,
    /// Outstanding stalls the driver allows.
    pub max_stalls: u32,
    /// Stream table entries (linear) or level-1 entries (two levels).
    pub strtab_entries: u32,
}

fn f(v: u32, shift: u32, width: u32) -> u32 {
    (v >> shift) & ((1 << width) - 1)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// SMMU_AIDR as an architecture name: `SMMUv3.<ArchMinorRev>` when
/// ArchMajorRev (bits 7:4) is 0, the only major revision defined;
/// `reserved(<aidr>)` otherwise.
pub fn architecture(aidr: u32) -> ArchRev {
    if f(aidr, 4, 4) == 0 {
        ArchRev::V3(aidr & 0xf)
    } else {
        ArchRev::Reserved(aidr & 0xff)
    }
}

/// What `architecture` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchRev {
    /// SMMUv3.minor.
    V3(u32),
    /// A major revision the architecture does not define (AIDR[7:0]).
    Reserved(u32),
}

impl fmt::Display for ArchRev {
    fn fmt(&self, w: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchRev::V3(m) => write!(w, "SMMUv3.{}", m),
            ArchRev::Reserved(a) => write!(w, "reserved(0x{:02x})", a),
        }
    }
}

/// Input address bits of IDR5.VAX (0b00 48, 0b01 52; others reserved).
pub fn va_bits(vax: u32) -> Field {
    match vax {
        0 => Field::Num(48),
        1 => Field::Num(52),
        r => Field::Reserved(r),
    }
}

/// Name of IDR0.HTTU.
pub fn httu_name(v: u32) -> &'static str {
    match v {
        0 => "none",
        1 => "access",
        2 => "access+dirty",
        _ => "access+dirty+haft",
    }
}

/// Name of IDR0.STALL_MODEL (0b11 reserved).
pub fn stall_model_name(v: u32) -> Field {
    match v {
        0 => Field::Name("stall+terminate"),
        1 => Field::Name("terminate"),
        2 => Field::Name("stall-forced"),
        r => Field::Reserved(r),
    }
}

/// Name of IDR0.TTF (0b00 reserved).
pub fn ttf_name(v: u32) -> Field {
    match v {
        1 => Field::Name("aarch32"),
        2 => Field::Name("aarch64"),
        3 => Field::Name("aarch32+aarch64"),
        r => Field::Reserved(r),
    }
}

/// Name of IDR0.TTENDIAN (0b01 reserved).
pub fn ttendian_name(v: u32) -> Field {
    match v {
        0 => Field::Name("mixed"),
        2 => Field::Name("le"),
        3 => Field::Name("be"),
        r => Field::Reserved(r),
    }
}

/// Writes the names of the set bits of `mask` from `names`, space
/// separated (`-` if none; unnamed bits as `bit<n>`).
pub fn write_flags<W: fmt::Write>(w: &mut W, mask: u32, names: &[&str]) -> fmt::Result {
    if mask == 0 {
        return w.write_str("-");
    }
    let mut first = true;
    for b in 0..32 {
        if mask & (1 << b) == 0 {
            continue;
        }
        if !first {
            w.write_str(" ")?;
        }
        first = false;
        match names.get(b) {
            Some(n) => w.write_str(n)?,
            None => write!(w, "bit{}", b)?,
        }
    }
    Ok(())
}

/// Writes the `capabilities` text after its `smmu:` line.
pub fn write_caps<W: fmt::Write>(w: &mut W, c: &Caps) -> fmt::Result {
    let [i0, i1, i2, i3, i4, i5] = c.idr;
    writeln!(
        w,
        "idr: idr0=0x{:08x} idr1=0x{:08x} idr2=0x{:08x} idr3=0x{:08x} idr4=0x{:08x} idr5=0x{:08x} iidr=0x{:08x} aidr=0x{:08x}",
        i0, i1, i2, i3, i4, i5, c.iidr, c.aidr
    )?;
    writeln!(w, "architecture: {}", architecture(c.aidr))?;
    writeln!(
        w,
        "stages: s1={} s2={}",
        yes_no(i0 & idr0::S1P != 0),
        yes_no(i0 & idr0::S2P != 0)
    )?;
    writeln!(w, "table_formats: {}", ttf_name(f(i0, idr0::TTF_SHIFT, 2)))?;
    writeln!(
        w,
        "table_endianness: {}",
        ttendian_name(f(i0, idr0::TTENDIAN_SHIFT, 2))
    )?;
    w.write_str("granules:")?;
    for (bit, name) in [
        (idr5::GRAN4K, "4K"),
        (idr5::GRAN16K, "16K"),
        (idr5::GRAN64K, "64K"),
    ] {
        if i5 & bit != 0 {
            write!(w, " {}", name)?;
        }
    }
    writeln!(w)?;
    writeln!(
        w,
        "oas: {} (idr5.oas={})",
        ps_bits(i5 & idr5::OAS_MASK),
        i5 & idr5::OAS_MASK
    )?;
    writeln!(
        w,
        "va_bits: {} (idr5.vax={}) ds={}",
        va_bits(f(i5, idr5::VAX_SHIFT, 2)),
        f(i5, idr5::VAX_SHIFT, 2),
        yes_no(i5 & idr5::DS != 0)
    )?;
    writeln!(
        w,
        "asid_bits: {}",
        if i0 & idr0::ASID16 != 0 { 16 } else { 8 }
    )?;
    writeln!(
        w,
        "vmid_bits: {}",
        if i0 & idr0::VMID16 != 0 { 16 } else { 8 }
    )?;
    writeln!(w, "sid_bits: {}", f(i1, idr1::SIDSIZE_SHIFT, 6))?;
    writeln!(w, "ssid_bits: {}", f(i1, idr1::SSIDSIZE_SHIFT, 5))?;
    writeln!(
        w,
        "stream_table_2lvl: {}",
        yes_no(f(i0, idr0::ST_LEVEL_SHIFT, 2) == 1)
    )?;
    writeln!(w, "cd_2lvl: {}", yes_no(i0 & idr0::CD2L != 0))?;
    writeln!(w, "httu: {}", httu_name(f(i0, idr0::HTTU_SHIFT, 2)))?;
    writeln!(w, "btm: {}", yes_no(i0 & idr0::BTM != 0))?;
    writeln!(w, "coherent_walks: {}", yes_no(i0 & idr0::COHACC != 0))?;
    writeln!(w, "ats: {}", yes_no(i0 & idr0::ATS != 0))?;
    writeln!(w, "pri: {}", yes_no(i0 & idr0::PRI != 0))?;
    writeln!(
        w,
        "stall_model: {} stall_max={}",
        stall_model_name(f(i0, idr0::STALL_MODEL_SHIFT, 2)),
        f(i5, idr5::STALL_MAX_SHIFT, 16)
    )?;
    writeln!(w, "msi: {}", yes_no(i0 & idr0::MSI != 0))?;
    writeln!(w, "sev: {}", yes_no(i0 & idr0::SEV != 0))?;
    writeln!(w, "hyp: {}", yes_no(i0 & idr0::HYP != 0))?;
    writeln!(w, "range_inv: {}", yes_no(i3 & idr3::RIL != 0))?;
    writeln!(w, "s2fwb: {}", yes_no(i3 & idr3::FWB != 0))?;
    writeln!(w, "bbml: {}", f(i3, idr3::BBML_SHIFT, 2))?;
    writeln!(
        w,
        "queues: cmdq={} evtq={} priq={} (log2 of the entries the hardware offers)",
        f(i1, idr1::CMDQS_SHIFT, 5),
        f(i1, idr1::EVTQS_SHIFT, 5),
        f(i1, idr1::PRIQS_SHIFT, 5)
    )?;
    writeln!(
        w,
        "presets: tables={} queues={} rel={} attr_types_ovr={}",
        yes_no(i1 & idr1::TABLES_PRESET != 0),
        yes_no(i1 & idr1::QUEUES_PRESET != 0),
        yes_no(i1 & idr1::REL != 0),
        yes_no(i1 & idr1::ATTR_TYPES_OVR != 0)
    )?;
    w.write_str("driver_features: ")?;
    write_flags(w, c.features, FEATURES)?;
    writeln!(w)?;
    w.write_str("driver_options: ")?;
    write_flags(w, c.options, OPTIONS)?;
    writeln!(w)?;
    writeln!(w, "driver_sva: {}", yes_no(c.features & FEAT_SVA != 0))?;
    writeln!(
        w,
        "driver_bits: asid={} vmid={} ssid={} sid={} oas={}",
        c.asid_bits, c.vmid_bits, c.ssid_bits, c.sid_bits, c.oas
    )?;
    writeln!(w, "driver_pgsize_bitmap: 0x{:x}", c.pgsize_bitmap)?;
    writeln!(
        w,
        "driver_queues: cmdq={} evtq={} priq={} max_stalls={}",
        c.cmdq_shift, c.evtq_shift, c.priq_shift, c.max_stalls
    )?;
    let two_level = c.features & FEAT_2LVL_STRTAB != 0;
    writeln!(
        w,
        "driver_stream_table: {} entries={} base=0x{:016x} base_cfg=0x{:08x}",
        if two_level { "2lvl" } else { "linear" },
        c.strtab_entries,
        c.strtab_base & super::ste::bits::genmask(51, 6),
        c.strtab_base_cfg
    )
}
