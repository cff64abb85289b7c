// SPDX-License-Identifier: GPL-2.0

//! The x86-64 4/5-level format as generic_pt writes it
//! (drivers/iommu/generic_pt/fmt/x86_64.h, used by AMD v2 and VT-d first
//! stage): present, PS large leaves at levels 1 and 2, the A/D/U/G/XD bits.
//!
//! Owns: that format's descriptor bits, and the x86-style classification
//! that VT-d second stage shares (`classify_present`). Must not: walk or
//! print.

use super::super::walk::Class;
use super::{item_size, PtAttrs, OA_51_12};

/// Present.
pub const X86_P: u64 = 1 << 0;
/// Writable.
pub const X86_RW: u64 = 1 << 1;
/// User.
pub const X86_U: u64 = 1 << 2;
/// Accessed.
pub const X86_A: u64 = 1 << 5;
/// Dirty.
pub const X86_D: u64 = 1 << 6;
/// Page size: a large leaf at levels 1 and 2 (also VT-d SS).
pub const PS: u64 = 1 << 7;
/// Global.
pub const X86_G: u64 = 1 << 8;
/// Execute disable.
pub const X86_XD: u64 = 1 << 63;

/// Classifies a descriptor of an x86-style table (x86_64, VT-d SS) whose
/// presence the format decides (`present`).
pub fn classify_present(level: u32, desc: u64, present: bool) -> Class {
    if !present {
        return Class::Invalid;
    }
    let isz = item_size(level);
    let oa = desc & OA_51_12;
    if level == 0 {
        Class::Leaf {
            pa: oa,
            size: isz,
            block: false,
        }
    } else if desc & PS != 0 {
        if level > 2 {
            Class::Reserved
        } else {
            // Bit 12 of a large leaf is PAT, not address.
            Class::Leaf {
                pa: oa & !(isz - 1),
                size: isz,
                block: true,
            }
        }
    } else {
        Class::Table(oa)
    }
}

/// Classifies a descriptor at `level`.
pub fn classify(level: u32, desc: u64) -> Class {
    classify_present(level, desc, desc & X86_P != 0)
}

/// The attributes of a leaf.
pub fn attrs(desc: u64) -> PtAttrs {
    PtAttrs {
        read: true,
        write: desc & X86_RW != 0,
        exec: desc & X86_XD == 0,
        user: desc & X86_U != 0,
        accessed: desc & X86_A != 0,
        dirty: desc & X86_D != 0,
        mem: "-",
        global: desc & X86_G != 0,
    }
}
