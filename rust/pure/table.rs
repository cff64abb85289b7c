// SPDX-License-Identifier: GPL-2.0

//! A live domain's page table, whatever its format: the `Layout` that
//! dispatches to Arm LPAE (io-pgtable-arm, SMMUv3) or to a generic_pt
//! format, and the physical address of its root.
//!
//! Owns: `AnyLayout`, `Table`. Must not: know a descriptor bit (the format
//! files do) or read memory.

use super::genpt::PtGeometry;
use super::lpae::Geometry;
use super::walk::{Class, Layout};

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

    fn classify(&self, level: u32, index: usize, desc: u64) -> Class {
        match self {
            AnyLayout::Lpae(g) => g.classify(level, index, desc),
            AnyLayout::Pt(g) => g.classify(level, index, desc),
        }
    }
}
