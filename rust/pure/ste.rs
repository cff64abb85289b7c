// SPDX-License-Identifier: GPL-2.0

//! Decoding of SMMUv3 Stream Table Entries and Context Descriptors (Arm IHI
//! 0070, "STE, Stream Table Entry" and "CD, Context Descriptor"), with the
//! field layouts of the driver's `STRTAB_STE_*` / `CTXDESC_CD_*` definitions
//! ([`arm-smmu-v3.h`](srctree/drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h)):
//! eight little-endian 64-bit words each. Also the text of one stream's
//! `streams` line and one CD's line (`Documentation/streams.rst`).
//!
//! Owns: the STE and CD layouts, their names and the line formats.
//! Must not: read an entry (the caller passes words it read), or know a
//! domain (the caller passes the name of whatever owns a table).

use core::fmt;

/// 64-bit words of an STE (`STRTAB_STE_DWORDS`).
pub const STE_DWORDS: usize = 8;
/// 64-bit words of a CD (`CTXDESC_CD_DWORDS`).
pub const CD_DWORDS: usize = 8;
/// CDs per level-2 table of the 64 KiB two-level format (`CTXDESC_L2_ENTRIES`).
pub const CD_L2_ENTRIES: u32 = 1024;

/// The bits, as the driver's header names them.
pub mod bits {
    /// Word 0: valid.
    pub const STE_0_V: u64 = 1 << 0;
    /// Word 0: Config, bits 3:1.
    pub const STE_0_CFG_SHIFT: u32 = 1;
    /// Word 0: S1Fmt, bits 5:4.
    pub const STE_0_S1FMT_SHIFT: u32 = 4;
    /// Word 0: S1ContextPtr, bits 51:6.
    pub const STE_0_S1CTXPTR_MASK: u64 = genmask(51, 6);
    /// Word 0: S1CDMax, bits 63:59.
    pub const STE_0_S1CDMAX_SHIFT: u32 = 59;
    /// Word 1: S1DSS, bits 1:0.
    pub const STE_1_S1DSS_MASK: u64 = 3;
    /// Word 1: S1CIR, bits 3:2.
    pub const STE_1_S1CIR_SHIFT: u32 = 2;
    /// Word 1: S1COR, bits 5:4.
    pub const STE_1_S1COR_SHIFT: u32 = 4;
    /// Word 1: S1CSH, bits 7:6.
    pub const STE_1_S1CSH_SHIFT: u32 = 6;
    /// Word 1: MEV (merge events).
    pub const STE_1_MEV: u64 = 1 << 19;
    /// Word 1: S2FWB.
    pub const STE_1_S2FWB: u64 = 1 << 25;
    /// Word 1: S1STALLD (stall disable).
    pub const STE_1_S1STALLD: u64 = 1 << 27;
    /// Word 1: EATS, bits 29:28.
    pub const STE_1_EATS_SHIFT: u32 = 28;
    /// Word 1: STRW, bits 31:30.
    pub const STE_1_STRW_SHIFT: u32 = 30;
    /// Word 1: SHCFG, bits 45:44.
    pub const STE_1_SHCFG_SHIFT: u32 = 44;
    /// Word 2: S2VMID, bits 15:0.
    pub const STE_2_S2VMID_MASK: u64 = 0xffff;
    /// Word 2: VTCR, bits 50:32.
    pub const STE_2_VTCR_SHIFT: u32 = 32;
    /// Word 2: S2AA64.
    pub const STE_2_S2AA64: u64 = 1 << 51;
    /// Word 2: S2ENDI.
    pub const STE_2_S2ENDI: u64 = 1 << 52;
    /// Word 2: S2PTW.
    pub const STE_2_S2PTW: u64 = 1 << 54;
    /// Word 2: S2S (stall).
    pub const STE_2_S2S: u64 = 1 << 57;
    /// Word 2: S2R (record faults).
    pub const STE_2_S2R: u64 = 1 << 58;
    /// Word 3: S2TTB, bits 51:4.
    pub const STE_3_S2TTB_MASK: u64 = genmask(51, 4);

    /// CD word 0: T0SZ, bits 5:0.
    pub const CD_0_T0SZ_MASK: u64 = 0x3f;
    /// CD word 0: TG0, bits 7:6.
    pub const CD_0_TG0_SHIFT: u32 = 6;
    /// CD word 0: IRGN0, bits 9:8.
    pub const CD_0_IRGN0_SHIFT: u32 = 8;
    /// CD word 0: ORGN0, bits 11:10.
    pub const CD_0_ORGN0_SHIFT: u32 = 10;
    /// CD word 0: SH0, bits 13:12.
    pub const CD_0_SH0_SHIFT: u32 = 12;
    /// CD word 0: EPD0.
    pub const CD_0_EPD0: u64 = 1 << 14;
    /// CD word 0: ENDI.
    pub const CD_0_ENDI: u64 = 1 << 15;
    /// CD word 0: EPD1.
    pub const CD_0_EPD1: u64 = 1 << 30;
    /// CD word 0: valid.
    pub const CD_0_V: u64 = 1 << 31;
    /// CD word 0: IPS, bits 34:32.
    pub const CD_0_IPS_SHIFT: u32 = 32;
    /// CD word 0: TBI0.
    pub const CD_0_TBI0: u64 = 1 << 38;
    /// CD word 0: AA64.
    pub const CD_0_AA64: u64 = 1 << 41;
    /// CD word 0: HD (hardware dirty state update).
    pub const CD_0_HD: u64 = 1 << 42;
    /// CD word 0: HA (hardware access flag update).
    pub const CD_0_HA: u64 = 1 << 43;
    /// CD word 0: S (stall).
    pub const CD_0_S: u64 = 1 << 44;
    /// CD word 0: R (record faults).
    pub const CD_0_R: u64 = 1 << 45;
    /// CD word 0: A (abort on fault).
    pub const CD_0_A: u64 = 1 << 46;
    /// CD word 0: ASET (shared ASID set).
    pub const CD_0_ASET: u64 = 1 << 47;
    /// CD word 0: ASID, bits 63:48.
    pub const CD_0_ASID_SHIFT: u32 = 48;
    /// CD word 1: HAFT.
    pub const CD_1_HAFT: u64 = 1 << 3;
    /// CD word 1: TTB0, bits 51:4.
    pub const CD_1_TTB0_MASK: u64 = genmask(51, 4);
    /// L1 CD descriptor: valid.
    pub const L1CD_V: u64 = 1 << 0;
    /// L1 CD descriptor: L2Ptr, bits 51:12.
    pub const L1CD_L2PTR_MASK: u64 = genmask(51, 12);

    /// Bits `hi` down to `lo` set.
    pub const fn genmask(hi: u32, lo: u32) -> u64 {
        (u64::MAX >> (63 - hi)) & !((1u64 << lo) - 1)
    }
}

use bits::*;

fn field(w: u64, shift: u32, width: u32) -> u64 {
    (w >> shift) & ((1u64 << width) - 1)
}

/// STE.Config (with V): what the stream does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// V = 0: every transaction aborts (C_BAD_STE).
    Invalid,
    /// Config 0b000: abort without an event.
    Abort,
    /// Config 0b001-0b011: reserved encodings (shown as `reserved(<n>)`).
    Reserved(u8),
    /// Config 0b100: both stages bypass.
    Bypass,
    /// Config 0b101: stage 1 translates.
    S1,
    /// Config 0b110: stage 2 translates.
    S2,
    /// Config 0b111: both stages translate.
    Nested,
}

impl Config {
    /// The name in `streams`: `reserved(<Config>)` for a reserved encoding.
    pub fn name(self) -> Field {
        Field::Name(match self {
            Config::Invalid => "invalid",
            Config::Abort => "abort",
            Config::Reserved(r) => return Field::Reserved(u32::from(r)),
            Config::Bypass => "bypass",
            Config::S1 => "s1",
            Config::S2 => "s2",
            Config::Nested => "nested",
        })
    }

    /// Whether stage 1 fields are used.
    pub fn has_s1(self) -> bool {
        matches!(self, Config::S1 | Config::Nested)
    }

    /// Whether stage 2 fields are used.
    pub fn has_s2(self) -> bool {
        matches!(self, Config::S2 | Config::Nested)
    }
}

/// Stage-1 context table format (STE.S1Fmt), with the number of CDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CdFormat {
    /// S1CDMax = 0: one CD, no substreams (S1Fmt is ignored).
    Single,
    /// S1Fmt 0b00: a linear table.
    Linear,
    /// S1Fmt 0b01: two levels, 4 KiB leaf tables of 64 CDs.
    TwoLevel4K,
    /// S1Fmt 0b10: two levels, 64 KiB leaf tables of 1024 CDs.
    TwoLevel64K,
    /// S1Fmt 0b11: reserved (the architecture gives it no layout).
    Reserved(u8),
}

impl CdFormat {
    /// The name in `streams`.
    pub fn name(self) -> Field {
        Field::Name(match self {
            CdFormat::Single => "single",
            CdFormat::Linear => "linear",
            CdFormat::TwoLevel4K => "2lvl-4k",
            CdFormat::TwoLevel64K => "2lvl-64k",
            CdFormat::Reserved(r) => return Field::Reserved(u32::from(r)),
        })
    }

    /// CDs per leaf table (the whole table for the one-level formats; 0
    /// for a reserved format, which has no known layout).
    pub fn leaf_entries(self, cdmax: u32) -> u32 {
        match self {
            CdFormat::Single => 1,
            CdFormat::Linear => 1 << cdmax.min(20),
            CdFormat::TwoLevel4K => 64,
            CdFormat::TwoLevel64K => CD_L2_ENTRIES,
            CdFormat::Reserved(_) => 0,
        }
    }

    /// Entries of the level-1 table (1 for the one-level formats, 0 for a
    /// reserved one).
    pub fn l1_entries(self, cdmax: u32) -> u32 {
        let n = 1u32 << cdmax.min(20);
        match self {
            CdFormat::Single | CdFormat::Linear => 1,
            CdFormat::Reserved(_) => 0,
            _ => n.div_ceil(self.leaf_entries(cdmax)),
        }
    }
}

/// A field's value as `streams` and `capabilities` show it: its name (or
/// number), or `reserved(<value>)` for an encoding the architecture
/// reserves, never a guess at what it might mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// An architectural name.
    Name(&'static str),
    /// A number the encoding stands for (address bits).
    Num(u32),
    /// A reserved encoding, with its raw value.
    Reserved(u32),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Name(n) => f.write_str(n),
            Field::Num(v) => write!(f, "{}", v),
            Field::Reserved(v) => write!(f, "reserved({})", v),
        }
    }
}

/// A decoded STE. Fields the configuration ignores are still decoded; the
/// text shows only those it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ste {
    /// The raw words.
    pub raw: [u64; STE_DWORDS],
    /// V and Config.
    pub config: Config,
    /// S1Fmt as stored.
    pub s1fmt: u8,
    /// S1ContextPtr (a PA, or an IPA when stage 2 translates too).
    pub s1_ctx_ptr: u64,
    /// S1CDMax: log2 of the number of CDs.
    pub s1_cdmax: u8,
    /// S1DSS: 0 terminate, 1 bypass, 2 substream 0.
    pub s1dss: u8,
    /// S1CIR, S1COR, S1CSH: the CD fetch attributes.
    pub s1_cir: u8,
    /// S1COR.
    pub s1_cor: u8,
    /// S1CSH.
    pub s1_csh: u8,
    /// S1STALLD: stage-1 stalls disabled.
    pub s1_stalld: bool,
    /// EATS: 0 abort, 1 translate, 2 stage-1 check (ATS).
    pub eats: u8,
    /// STRW: 0 NS-EL1, 2 EL2.
    pub strw: u8,
    /// SHCFG: 1 incoming shareability.
    pub shcfg: u8,
    /// MEV: merge events.
    pub mev: bool,
    /// S2FWB.
    pub s2fwb: bool,
    /// S2VMID.
    pub vmid: u16,
    /// VTCR (19 bits).
    pub vtcr: u32,
    /// S2AA64.
    pub s2aa64: bool,
    /// S2ENDI: big-endian stage-2 walks.
    pub s2endi: bool,
    /// S2PTW: protected table walk.
    pub s2ptw: bool,
    /// S2S: stage-2 faults stall.
    pub s2s: bool,
    /// S2R: stage-2 faults recorded.
    pub s2r: bool,
    /// S2TTB: the stage-2 table's physical address (the VTTBR).
    pub s2ttb: u64,
}

/// Decodes an STE. Never fails.
pub fn decode_ste(raw: [u64; STE_DWORDS]) -> Ste {
    let [w0, w1, w2, w3, ..] = raw;
    let cfg = field(w0, STE_0_CFG_SHIFT, 3) as u8;
    let config = if w0 & STE_0_V == 0 {
        Config::Invalid
    } else {
        match cfg {
            0 => Config::Abort,
            4 => Config::Bypass,
            5 => Config::S1,
            6 => Config::S2,
            7 => Config::Nested,
            r => Config::Reserved(r),
        }
    };
    Ste {
        raw,
        config,
        s1fmt: field(w0, STE_0_S1FMT_SHIFT, 2) as u8,
        s1_ctx_ptr: w0 & STE_0_S1CTXPTR_MASK,
        s1_cdmax: field(w0, STE_0_S1CDMAX_SHIFT, 5) as u8,
        s1dss: (w1 & STE_1_S1DSS_MASK) as u8,
        s1_cir: field(w1, STE_1_S1CIR_SHIFT, 2) as u8,
        s1_cor: field(w1, STE_1_S1COR_SHIFT, 2) as u8,
        s1_csh: field(w1, STE_1_S1CSH_SHIFT, 2) as u8,
        s1_stalld: w1 & STE_1_S1STALLD != 0,
        eats: field(w1, STE_1_EATS_SHIFT, 2) as u8,
        strw: field(w1, STE_1_STRW_SHIFT, 2) as u8,
        shcfg: field(w1, STE_1_SHCFG_SHIFT, 2) as u8,
        mev: w1 & STE_1_MEV != 0,
        s2fwb: w1 & STE_1_S2FWB != 0,
        vmid: (w2 & STE_2_S2VMID_MASK) as u16,
        vtcr: field(w2, STE_2_VTCR_SHIFT, 19) as u32,
        s2aa64: w2 & STE_2_S2AA64 != 0,
        s2endi: w2 & STE_2_S2ENDI != 0,
        s2ptw: w2 & STE_2_S2PTW != 0,
        s2s: w2 & STE_2_S2S != 0,
        s2r: w2 & STE_2_S2R != 0,
        s2ttb: w3 & STE_3_S2TTB_MASK,
    }
}

impl Ste {
    /// The CD table format the STE gives (stage 1 configurations only).
    pub fn cd_format(&self) -> CdFormat {
        if self.s1_cdmax == 0 {
            return CdFormat::Single;
        }
        match self.s1fmt {
            0 => CdFormat::Linear,
            1 => CdFormat::TwoLevel4K,
            2 => CdFormat::TwoLevel64K,
            r => CdFormat::Reserved(r),
        }
    }

    /// Number of substreams (CDs) the table holds.
    pub fn substreams(&self) -> u32 {
        1 << self.s1_cdmax.min(20)
    }

    /// VTCR.T0SZ.
    pub fn vtcr_t0sz(&self) -> u32 {
        self.vtcr & 0x3f
    }

    /// VTCR.SL0.
    pub fn vtcr_sl0(&self) -> u32 {
        (self.vtcr >> 6) & 3
    }

    /// VTCR.TG0 as a granule name.
    pub fn vtcr_granule(&self) -> Field {
        tg0_name((self.vtcr >> 14) & 3)
    }

    /// VTCR.PS as a number of address bits.
    pub fn vtcr_ps_bits(&self) -> Field {
        ps_bits((self.vtcr >> 16) & 7)
    }
}

/// Name of a TCR TG0 value (4K 0b00, 64K 0b01, 16K 0b10; 0b11 reserved).
pub fn tg0_name(tg: u32) -> Field {
    match tg {
        0 => Field::Name("4K"),
        1 => Field::Name("64K"),
        2 => Field::Name("16K"),
        r => Field::Reserved(r),
    }
}

/// Address bits of a PS / IPS / OAS encoding (0b111 is reserved).
pub fn ps_bits(ps: u32) -> Field {
    match ps {
        0 => Field::Num(32),
        1 => Field::Num(36),
        2 => Field::Num(40),
        3 => Field::Num(42),
        4 => Field::Num(44),
        5 => Field::Num(48),
        6 => Field::Num(52),
        r => Field::Reserved(r),
    }
}

/// Name of S1DSS (0b11 reserved).
pub fn s1dss_name(v: u8) -> Field {
    match v {
        0 => Field::Name("terminate"),
        1 => Field::Name("bypass"),
        2 => Field::Name("ssid0"),
        r => Field::Reserved(u32::from(r)),
    }
}

/// Name of EATS (0b11 reserved).
pub fn eats_name(v: u8) -> Field {
    match v {
        0 => Field::Name("abort"),
        1 => Field::Name("trans"),
        2 => Field::Name("s1chk"),
        r => Field::Reserved(u32::from(r)),
    }
}

/// Name of STRW for a Non-secure stream (0b01 and 0b11 reserved; 0b11 is
/// EL3 only in a Secure stream table, which the driver never programs).
pub fn strw_name(v: u8) -> Field {
    match v {
        0 => Field::Name("nsel1"),
        2 => Field::Name("el2"),
        r => Field::Reserved(u32::from(r)),
    }
}

/// A decoded CD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cd {
    /// The raw words.
    pub raw: [u64; CD_DWORDS],
    /// V.
    pub valid: bool,
    /// T0SZ.
    pub t0sz: u8,
    /// TG0 (raw).
    pub tg0: u8,
    /// IRGN0, ORGN0, SH0 (raw).
    pub irgn0: u8,
    /// ORGN0.
    pub orgn0: u8,
    /// SH0.
    pub sh0: u8,
    /// EPD0: TTB0 walks disabled.
    pub epd0: bool,
    /// EPD1: TTB1 walks disabled.
    pub epd1: bool,
    /// ENDI: big-endian walks.
    pub endi: bool,
    /// IPS (raw).
    pub ips: u8,
    /// TBI0.
    pub tbi0: bool,
    /// AA64.
    pub aa64: bool,
    /// HA: hardware access flag updates.
    pub ha: bool,
    /// HD: hardware dirty state updates.
    pub hd: bool,
    /// S: faults stall.
    pub stall: bool,
    /// R: faults recorded.
    pub record: bool,
    /// A: faults abort.
    pub abort: bool,
    /// ASET: shared ASID set (broadcast TLB maintenance).
    pub aset: bool,
    /// ASID.
    pub asid: u16,
    /// HAFT (word 1).
    pub haft: bool,
    /// TTB0: the table's physical address.
    pub ttb0: u64,
    /// MAIR (word 3).
    pub mair: u64,
}

/// Decodes a CD. Never fails.
pub fn decode_cd(raw: [u64; CD_DWORDS]) -> Cd {
    let [w0, w1, _, w3, ..] = raw;
    Cd {
        raw,
        valid: w0 & CD_0_V != 0,
        t0sz: (w0 & CD_0_T0SZ_MASK) as u8,
        tg0: field(w0, CD_0_TG0_SHIFT, 2) as u8,
        irgn0: field(w0, CD_0_IRGN0_SHIFT, 2) as u8,
        orgn0: field(w0, CD_0_ORGN0_SHIFT, 2) as u8,
        sh0: field(w0, CD_0_SH0_SHIFT, 2) as u8,
        epd0: w0 & CD_0_EPD0 != 0,
        epd1: w0 & CD_0_EPD1 != 0,
        endi: w0 & CD_0_ENDI != 0,
        ips: field(w0, CD_0_IPS_SHIFT, 3) as u8,
        tbi0: w0 & CD_0_TBI0 != 0,
        aa64: w0 & CD_0_AA64 != 0,
        ha: w0 & CD_0_HA != 0,
        hd: w0 & CD_0_HD != 0,
        stall: w0 & CD_0_S != 0,
        record: w0 & CD_0_R != 0,
        abort: w0 & CD_0_A != 0,
        aset: w0 & CD_0_ASET != 0,
        asid: (w0 >> CD_0_ASID_SHIFT) as u16,
        haft: w1 & CD_1_HAFT != 0,
        ttb0: w1 & CD_1_TTB0_MASK,
        mair: w3,
    }
}

/// What owns a table an STE or CD points at, as `streams` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner<'a> {
    /// A registered domain: its directory name (`domain_<id>`).
    Domain(&'a str),
    /// No registered domain; a process's CPU page table (`mm_<id>`).
    Mm(&'a str),
    /// No registered domain owns it.
    None,
    /// Not looked up (the page-table dumps are not running).
    Unknown,
    /// Its owner changed while the stream table was copied (a domain
    /// freed, or registered, meanwhile: `pure::owners`), so none is named.
    Changed,
}

impl fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Domain(d) => write!(f, "domain={}", d),
            Owner::Mm(m) => write!(f, "domain=- mm={}", m),
            Owner::None => f.write_str("domain=-"),
            Owner::Unknown | Owner::Changed => f.write_str("domain=?"),
        }
    }
}

fn yn(b: bool) -> u8 {
    u8::from(b)
}

/// What the driver says of a stream's device, beside its STE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MasterFlags {
    /// The driver enabled stalls for the device (`stall_enabled`).
    pub stall: bool,
    /// ATS enabled on the device.
    pub ats: bool,
    /// PRI enabled on the PCI device.
    pub pri: bool,
}

/// Writes the head of a stream's line (everything but the owner and the
/// end of line): `sid=0x8 dev=0000:00:01.0 ste=s1 ...`. `torn` marks an
/// entry that changed under every re-read.
pub fn write_ste<W: fmt::Write>(
    w: &mut W,
    sid: u32,
    dev: &str,
    ste: &Ste,
    m: MasterFlags,
    torn: bool,
) -> fmt::Result {
    write!(w, "sid=0x{:x} dev={} ste={}", sid, dev, ste.config.name())?;
    if torn {
        w.write_str(" torn")?;
    }
    if ste.config.has_s1() {
        let fmt = ste.cd_format();
        write!(
            w,
            " cdtab=0x{:016x} s1fmt={} s1cdmax={} substreams={} s1dss={} s1stalld={}",
            ste.s1_ctx_ptr,
            fmt.name(),
            ste.s1_cdmax,
            ste.substreams(),
            s1dss_name(ste.s1dss),
            yn(ste.s1_stalld)
        )?;
    }
    if ste.config.has_s2() {
        write!(
            w,
            " vmid=0x{:x} vttbr=0x{:016x} s2t0sz={} s2sl0={} s2tg={} s2ps={} s2aa64={} s2ptw={} s2s={} s2r={} s2fwb={}",
            ste.vmid,
            ste.s2ttb,
            ste.vtcr_t0sz(),
            ste.vtcr_sl0(),
            ste.vtcr_granule(),
            ste.vtcr_ps_bits(),
            yn(ste.s2aa64),
            yn(ste.s2ptw),
            yn(ste.s2s),
            yn(ste.s2r),
            yn(ste.s2fwb)
        )?;
    }
    if matches!(ste.config, Config::S1 | Config::S2 | Config::Nested) {
        write!(
            w,
            " eats={} strw={}",
            eats_name(ste.eats),
            strw_name(ste.strw)
        )?;
    }
    write!(
        w,
        " stall={} ats={} pri={}",
        yn(m.stall),
        yn(m.ats),
        yn(m.pri)
    )
}

/// Writes a CD's line (indented, without the owner and end of line):
/// `  ssid=0 asid=0x1 ttb0=0x... t0sz=16 tg0=4K ips=44 epd0=0 epd1=1 ha=0
/// hd=0 haft=0 s=0 r=1 a=1 aset=1`.
pub fn write_cd<W: fmt::Write>(w: &mut W, ssid: u32, cd: &Cd, torn: bool) -> fmt::Result {
    write!(w, "  ssid={} asid=0x{:x}", ssid, cd.asid)?;
    if torn {
        w.write_str(" torn")?;
    }
    write!(
        w,
        " ttb0=0x{:016x} t0sz={} tg0={} ips={} epd0={} epd1={} ha={} hd={} haft={} s={} r={} a={} aset={} mair=0x{:016x}",
        cd.ttb0,
        cd.t0sz,
        tg0_name(u32::from(cd.tg0)),
        ps_bits(u32::from(cd.ips)),
        yn(cd.epd0),
        yn(cd.epd1),
        yn(cd.ha),
        yn(cd.hd),
        yn(cd.haft),
        yn(cd.stall),
        yn(cd.record),
        yn(cd.abort),
        yn(cd.aset),
        cd.mair
    )
}

/// The table an STE or CD points at, for finding its owner: the stage-2
/// table of an S2 or nested STE, the TTB0 of a CD whose walks are enabled.
pub fn ste_table(ste: &Ste) -> Option<u64> {
    ste.config.has_s2().then_some(ste.s2ttb)
}

/// The table a valid CD's TTB0 walks (none when EPD0 disables them).
pub fn cd_table(cd: &Cd) -> Option<u64> {
    (cd.valid && !cd.epd0).then_some(cd.ttb0)
}

/// Writes eight words as `w0:w1:...:w7`, each in 16 hex digits.
pub fn write_words<W: fmt::Write>(w: &mut W, words: &[u64]) -> fmt::Result {
    for (i, v) in words.iter().enumerate() {
        if i > 0 {
            w.write_str(":")?;
        }
        write!(w, "{:016x}", v)?;
    }
    Ok(())
}
