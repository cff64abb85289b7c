// SPDX-License-Identifier: GPL-2.0

//! The RISC-V 64 Sv39/Sv48/Sv57 format as generic_pt writes it
//! (drivers/iommu/generic_pt/fmt/riscv.h): V/R/W/X leaves at any level,
//! the PPN field, PBMT, and Svnapot 64K leaves.
//!
//! Owns: that format's descriptor bits. Must not: walk or print.

use super::super::walk::Class;
use super::{item_size, PtAttrs};

/// Valid.
pub const RV_V: u64 = 1 << 0;
/// Read.
pub const RV_R: u64 = 1 << 1;
/// Write.
pub const RV_W: u64 = 1 << 2;
/// Execute.
pub const RV_X: u64 = 1 << 3;
/// User.
pub const RV_U: u64 = 1 << 4;
/// Global.
pub const RV_G: u64 = 1 << 5;
/// Accessed.
pub const RV_A: u64 = 1 << 6;
/// Dirty.
pub const RV_D: u64 = 1 << 7;
/// PPN, bits 53:10.
pub const RV_PPN: u64 = ((1 << 54) - 1) & !((1 << 10) - 1);
/// Svnapot 64K PPN, bits 53:14.
pub const RV_PPN_64K: u64 = ((1 << 54) - 1) & !((1 << 14) - 1);
/// PBMT bits 62:61.
pub const RV_PBMT_SHIFT: u32 = 61;
/// Svnapot.
pub const RV_N: u64 = 1 << 63;

/// Classifies descriptor `index` of a table at `level`.
pub fn classify(level: u32, index: usize, desc: u64) -> Class {
    if desc & RV_V == 0 {
        return Class::Invalid;
    }
    let leaf = |pa: u64| Class::Leaf {
        pa,
        size: item_size(level),
        block: level > 0,
    };
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

/// Input bytes the whole entry holding leaf `desc` at `level` covers:
/// 64K for a Svnapot leaf (16 replicated entries,
/// `riscvpt_entry_num_contig_lg2`), the level's item size otherwise.
pub fn entry_span(level: u32, desc: u64) -> u64 {
    if level == 0 && desc & RV_N != 0 {
        16 * item_size(0)
    } else {
        item_size(level)
    }
}

/// The attributes of a leaf.
pub fn attrs(desc: u64) -> PtAttrs {
    PtAttrs {
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
    }
}
