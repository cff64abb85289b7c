// SPDX-License-Identifier: GPL-2.0

//! The generic_pt IOMMU page-table formats of Linux 7.3
//! (drivers/iommu/generic_pt/fmt/): AMDv1, VT-d second stage, x86_64 and
//! RISC-V 64 (Sv39/48/57), their descriptors, and their `ptdump` lines.
//!
//! Owns: the bit layouts of those formats as generic_pt writes them.
//! Must not: read memory (a `walk::Memory` is passed in).

use core::fmt::{self, Write};

use super::coalesce::Run;
use super::ptdump::{write_runs, DumpStats, Size};
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

/// Descriptor bits (as in the format headers).
pub mod bits {
    /// Bits 51:12: output address of x86_64, VT-d SS and AMDv1.
    pub const OA_51_12: u64 = ((1 << 52) - 1) & !((1 << 12) - 1);
    /// x86_64 present.
    pub const X86_P: u64 = 1 << 0;
    /// x86_64 writable.
    pub const X86_RW: u64 = 1 << 1;
    /// x86_64 user.
    pub const X86_U: u64 = 1 << 2;
    /// x86_64 accessed.
    pub const X86_A: u64 = 1 << 5;
    /// x86_64 dirty.
    pub const X86_D: u64 = 1 << 6;
    /// x86_64 and VT-d SS page size (large leaf at levels 1 and 2).
    pub const PS: u64 = 1 << 7;
    /// x86_64 global.
    pub const X86_G: u64 = 1 << 8;
    /// x86_64 execute disable.
    pub const X86_XD: u64 = 1 << 63;
    /// VT-d SS read.
    pub const VTD_R: u64 = 1 << 0;
    /// VT-d SS write.
    pub const VTD_W: u64 = 1 << 1;
    /// VT-d SS accessed.
    pub const VTD_A: u64 = 1 << 8;
    /// VT-d SS dirty.
    pub const VTD_D: u64 = 1 << 9;
    /// VT-d SS snoop.
    pub const VTD_SNP: u64 = 1 << 11;
    /// AMDv1 present.
    pub const AMD_PR: u64 = 1 << 0;
    /// AMDv1 dirty.
    pub const AMD_D: u64 = 1 << 6;
    /// AMDv1 next-level field shift (bits 11:9).
    pub const AMD_NL_SHIFT: u32 = 9;
    /// AMDv1 next level 0: a leaf of the level's size.
    pub const AMD_NL_DEFAULT: u64 = 0;
    /// AMDv1 next level 7: a leaf whose size is encoded in the address.
    pub const AMD_NL_SIZE: u64 = 7;
    /// AMDv1 force coherent.
    pub const AMD_FC: u64 = 1 << 60;
    /// AMDv1 read permission.
    pub const AMD_IR: u64 = 1 << 61;
    /// AMDv1 write permission.
    pub const AMD_IW: u64 = 1 << 62;
    /// RISC-V valid.
    pub const RV_V: u64 = 1 << 0;
    /// RISC-V read.
    pub const RV_R: u64 = 1 << 1;
    /// RISC-V write.
    pub const RV_W: u64 = 1 << 2;
    /// RISC-V execute.
    pub const RV_X: u64 = 1 << 3;
    /// RISC-V user.
    pub const RV_U: u64 = 1 << 4;
    /// RISC-V global.
    pub const RV_G: u64 = 1 << 5;
    /// RISC-V accessed.
    pub const RV_A: u64 = 1 << 6;
    /// RISC-V dirty.
    pub const RV_D: u64 = 1 << 7;
    /// RISC-V PPN, bits 53:10.
    pub const RV_PPN: u64 = ((1 << 54) - 1) & !((1 << 10) - 1);
    /// RISC-V Svnapot 64K PPN, bits 53:14.
    pub const RV_PPN_64K: u64 = ((1 << 54) - 1) & !((1 << 14) - 1);
    /// RISC-V PBMT bits 62:61.
    pub const RV_PBMT_SHIFT: u32 = 61;
    /// RISC-V Svnapot.
    pub const RV_N: u64 = 1 << 63;
}

impl PtGeometry {
    /// Bytes one entry at `level` covers.
    pub fn item_size(level: u32) -> u64 {
        1u64 << (12 + 9 * level.min(5))
    }

    /// Decodes a leaf's attributes.
    pub fn attrs(&self, desc: u64) -> PtAttrs {
        use bits::*;
        match self.fmt {
            Format::X86_64 => PtAttrs {
                read: true,
                write: desc & X86_RW != 0,
                exec: desc & X86_XD == 0,
                user: desc & X86_U != 0,
                accessed: desc & X86_A != 0,
                dirty: desc & X86_D != 0,
                mem: "-",
                global: desc & X86_G != 0,
            },
            Format::VtdSs => PtAttrs {
                read: desc & VTD_R != 0,
                write: desc & VTD_W != 0,
                exec: false,
                user: true,
                accessed: desc & VTD_A != 0,
                dirty: desc & VTD_D != 0,
                mem: if desc & VTD_SNP != 0 { "snoop" } else { "-" },
                global: false,
            },
            Format::AmdV1 => PtAttrs {
                read: desc & AMD_IR != 0,
                write: desc & AMD_IW != 0,
                exec: false,
                user: true,
                accessed: false,
                dirty: desc & AMD_D != 0,
                mem: if desc & AMD_FC != 0 { "coherent" } else { "-" },
                global: false,
            },
            Format::Riscv64 => PtAttrs {
                read: desc & RV_R != 0,
                write: desc & RV_W != 0,
                exec: desc & RV_X != 0,
                user: desc & RV_U != 0,
                accessed: desc & RV_A != 0,
                dirty: desc & RV_D != 0,
                mem: match (desc >> RV_PBMT_SHIFT) & 3 {
                    0 => "PMA",
                    1 => "NC",
                    2 => "IO",
                    _ => "PBMT?",
                },
                global: desc & RV_G != 0,
            },
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
        Self::item_size(level)
    }

    fn table_bytes(&self, _level: u32) -> u64 {
        4096
    }

    fn classify(&self, level: u32, index: usize, desc: u64) -> Class {
        use bits::*;
        let isz = Self::item_size(level);
        let leaf = |pa: u64| Class::Leaf {
            pa,
            size: isz,
            block: level > 0,
        };
        match self.fmt {
            Format::X86_64 | Format::VtdSs => {
                let present = match self.fmt {
                    Format::X86_64 => desc & X86_P != 0,
                    _ => desc & (VTD_R | VTD_W) != 0,
                };
                if !present {
                    return Class::Invalid;
                }
                let oa = desc & OA_51_12;
                if level == 0 {
                    leaf(oa)
                } else if desc & PS != 0 {
                    if level > 2 {
                        Class::Reserved
                    } else {
                        // Bit 12 of a large leaf is PAT, not address.
                        leaf(oa & !(isz - 1))
                    }
                } else {
                    Class::Table(oa)
                }
            }
            Format::AmdV1 => {
                if desc & AMD_PR == 0 {
                    return Class::Invalid;
                }
                let nl = (desc >> AMD_NL_SHIFT) & 7;
                let oa = desc & OA_51_12;
                match nl {
                    AMD_NL_DEFAULT => leaf(oa),
                    AMD_NL_SIZE => {
                        // Size in the address: trailing ones of OA[51:12]
                        // give the page size; each of the replicated
                        // entries covers its own item of the page.
                        let field = oa >> 12;
                        let ones = (!field).trailing_zeros();
                        let page = 1u64 << (12 + ones + 1).min(63);
                        if page <= isz {
                            return Class::Reserved;
                        }
                        let base = (field & !((1u64 << (ones + 1)) - 1)) << 12;
                        let n = page / isz;
                        leaf(base + (index as u64 % n) * isz)
                    }
                    _ if level == 0 => Class::Reserved,
                    _ => Class::Table(oa),
                }
            }
            Format::Riscv64 => {
                if desc & RV_V == 0 {
                    return Class::Invalid;
                }
                let pa = ((desc & RV_PPN) >> 10) << 12;
                let is_leaf = desc & (RV_R | RV_W | RV_X) != 0;
                if desc & RV_N != 0 {
                    if level != 0 || !is_leaf {
                        return Class::Reserved;
                    }
                    // Svnapot 64K: 16 replicated entries.
                    let base = ((desc & RV_PPN_64K) >> 14) << 16;
                    return leaf(base + (index as u64 % 16) * 4096);
                }
                if is_leaf {
                    leaf(pa)
                } else if level == 0 {
                    Class::Reserved
                } else {
                    Class::Table(pa)
                }
            }
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
pub fn write_run<W: Write>(w: &mut W, r: &Run<PtLineKey>) -> fmt::Result {
    let a = &r.attrs.attrs;
    write!(
        w,
        "0x{:016x}-0x{:016x} {:>6} pa=0x{:016x} L{} {:<6} {}{}{} {} {} {} {}",
        r.iova,
        r.iova.wrapping_add(r.size),
        Size(r.size),
        r.pa,
        r.attrs.level,
        if r.attrs.block { "block" } else { "page" },
        if a.read { 'R' } else { '-' },
        if a.write { 'W' } else { '-' },
        if a.exec { 'X' } else { '-' },
        if a.user { "user" } else { "priv" },
        if a.accessed { "A" } else { "-" },
        if a.dirty { "D" } else { "-" },
        a.mem,
    )?;
    if a.global {
        w.write_str(" g")?;
    }
    if r.leaves > 1 {
        write!(w, " x{}", r.leaves)?;
    }
    w.write_char('\n')
}

/// Walks a generic_pt table and writes its decoded `ptdump`.
pub fn write_decoded<M: Memory, W: Write>(
    w: &mut W,
    g: &PtGeometry,
    root_pa: u64,
    mem: &mut M,
    limits: Limits,
) -> Result<DumpStats, fmt::Error> {
    write_runs(
        w,
        g,
        root_pa,
        mem,
        limits,
        |level, _kind, desc| PtLineKey {
            level,
            block: level > 0,
            attrs: g.attrs(desc),
        },
        write_run,
    )
}
