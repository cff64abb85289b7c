// SPDX-License-Identifier: GPL-2.0

//! The AMD IOMMU v1 host page-table format as generic_pt writes it
//! (drivers/iommu/generic_pt/fmt/amdv1.h): present bit, next-level field,
//! size-encoded leaves (next level 7) and the IR/IW/FC bits.
//!
//! Owns: that format's descriptor bits. Must not: walk or print (the
//! common `walk` and `genpt::write_run` do).

use super::super::walk::Class;
use super::{item_size, PtAttrs, OA_51_12};

/// Present.
pub const AMD_PR: u64 = 1 << 0;
/// Dirty.
pub const AMD_D: u64 = 1 << 6;
/// Next-level field shift (bits 11:9).
pub const AMD_NL_SHIFT: u32 = 9;
/// Next level 0: a leaf of the level's size.
pub const AMD_NL_DEFAULT: u64 = 0;
/// Next level 7: a leaf whose size is encoded in the address.
pub const AMD_NL_SIZE: u64 = 7;
/// Force coherent.
pub const AMD_FC: u64 = 1 << 60;
/// Read permission.
pub const AMD_IR: u64 = 1 << 61;
/// Write permission.
pub const AMD_IW: u64 = 1 << 62;

/// Classifies descriptor `index` of a table at `level`.
pub fn classify(level: u32, index: usize, desc: u64) -> Class {
    if desc & AMD_PR == 0 {
        return Class::Invalid;
    }
    let isz = item_size(level);
    let nl = (desc >> AMD_NL_SHIFT) & 7;
    let oa = desc & OA_51_12;
    match nl {
        AMD_NL_DEFAULT => Class::Leaf {
            pa: oa,
            size: isz,
            block: level > 0,
        },
        AMD_NL_SIZE => {
            // Size in the address: trailing ones of OA[51:12] give the page
            // size; each of the replicated entries covers its own item of
            // the page.
            let field = oa >> 12;
            let ones = (!field).trailing_zeros();
            let page = 1u64 << (12 + ones + 1).min(63);
            if page <= isz {
                return Class::Reserved;
            }
            let base = (field & !((1u64 << (ones + 1)) - 1)) << 12;
            let n = page / isz;
            Class::Leaf {
                pa: base + (index as u64 % n) * isz,
                size: isz,
                block: level > 0,
            }
        }
        _ if level == 0 => Class::Reserved,
        _ => Class::Table(oa),
    }
}

/// Input bytes the whole entry holding leaf `desc` at `level` covers:
/// the level's item size, or the size encoded in the address for a
/// size-encoded leaf (its replicated entries are one entry to the kernel:
/// `amdv1pt_entry_num_contig_lg2`). Never below the item size.
pub fn entry_span(level: u32, desc: u64) -> u64 {
    let isz = item_size(level);
    if (desc >> AMD_NL_SHIFT) & 7 != AMD_NL_SIZE {
        return isz;
    }
    let ones = (!((desc & OA_51_12) >> 12)).trailing_zeros();
    (1u64 << (12 + ones + 1).min(63)).max(isz)
}

/// The attributes of a leaf.
pub fn attrs(desc: u64) -> PtAttrs {
    PtAttrs {
        read: desc & AMD_IR != 0,
        write: desc & AMD_IW != 0,
        exec: false,
        user: true,
        accessed: false,
        dirty: desc & AMD_D != 0,
        mem: if desc & AMD_FC != 0 { "coherent" } else { "-" },
        global: false,
    }
}
