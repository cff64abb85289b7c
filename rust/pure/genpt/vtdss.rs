// SPDX-License-Identifier: GPL-2.0

//! The Intel VT-d second-stage format as generic_pt writes it
//! (drivers/iommu/generic_pt/fmt/vtdss.h): x86-style tables whose entries
//! are present when readable or writable, with the A/D/SNP bits.
//!
//! Owns: that format's descriptor bits. Must not: walk or print.

use super::super::walk::Class;
use super::x86_64::classify_present;
use super::PtAttrs;

/// Read.
pub const VTD_R: u64 = 1 << 0;
/// Write.
pub const VTD_W: u64 = 1 << 1;
/// Accessed.
pub const VTD_A: u64 = 1 << 8;
/// Dirty.
pub const VTD_D: u64 = 1 << 9;
/// Snoop.
pub const VTD_SNP: u64 = 1 << 11;

/// Classifies a descriptor at `level`.
pub fn classify(level: u32, desc: u64) -> Class {
    classify_present(level, desc, desc & (VTD_R | VTD_W) != 0)
}

/// The attributes of a leaf.
pub fn attrs(desc: u64) -> PtAttrs {
    PtAttrs {
        read: desc & VTD_R != 0,
        write: desc & VTD_W != 0,
        exec: false,
        user: true,
        accessed: desc & VTD_A != 0,
        dirty: desc & VTD_D != 0,
        mem: if desc & VTD_SNP != 0 { "snoop" } else { "-" },
        global: false,
    }
}
