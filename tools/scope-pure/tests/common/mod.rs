// SPDX-License-Identifier: GPL-2.0
//! Shared by the host tests: an in-memory LPAE table builder that encodes
//! descriptors the way io-pgtable-arm does.
#![allow(dead_code)]

use std::collections::HashMap;

use scope_pure::lpae::*;
use scope_pure::walk::{walk, Limits, Memory, Step};

/// Tables in "physical memory": pa -> descriptors.
pub struct Mem {
    pub tables: HashMap<u64, Vec<u64>>,
    pub next: u64,
    pub g: Geometry,
    pub root: u64,
    /// Descriptors read so far.
    pub reads: u64,
}

impl Memory for Mem {
    fn read(&mut self, pa: u64, _size: u64, index: usize) -> Option<u64> {
        self.reads += 1;
        self.tables.get(&pa).and_then(|t| t.get(index).copied())
    }
    fn table_ok(&mut self, pa: u64, _size: u64) -> bool {
        self.tables.contains_key(&pa)
    }
}

impl Mem {
    pub fn new(g: Geometry) -> Self {
        let mut m = Mem {
            tables: HashMap::new(),
            next: 0x4000_0000,
            g,
            root: 0,
            reads: 0,
        };
        m.root = m.alloc(g.entries(g.start_level));
        m
    }
    pub fn alloc(&mut self, n: usize) -> u64 {
        let pa = self.next;
        // Keep tables aligned to their size (at least a granule).
        let sz = ((n * 8) as u64).max(self.g.granule());
        self.next += sz;
        self.tables.insert(pa, vec![0; n]);
        pa
    }
    /// Maps one leaf of `size` (an entry size of some level) like
    /// io-pgtable-arm's __arm_lpae_map, with stage-appropriate attributes.
    pub fn map(&mut self, iova: u64, pa: u64, size: u64, prot: u64) {
        let g = self.g;
        let mut table = self.root;
        let mut level = g.start_level;
        loop {
            let esize = g.entry_size(level);
            let idx_bits = if level == g.start_level {
                g.pgd_bits
            } else {
                g.bits_per_level
            };
            let idx = ((iova / esize) & ((1 << idx_bits) - 1)) as usize;
            if esize == size {
                let ty = if level == 3 { 0b11 } else { 0b01 };
                self.tables.get_mut(&table).unwrap()[idx] = pa_to_desc_bits(&g, pa) | prot | ty;
                return;
            }
            let d = self.tables[&table][idx];
            let next = if d & 3 == 3 {
                desc_to_pa(&g, d)
            } else {
                assert_eq!(d, 0, "overlapping map in test");
                let n = self.alloc(g.entries(level + 1));
                self.tables.get_mut(&table).unwrap()[idx] = pa_to_desc_bits(&g, n) | 0b11;
                n
            };
            table = next;
            level += 1;
        }
    }
    pub fn leaves(&mut self) -> Vec<(u64, u64, u64, u64)> {
        let mut v = vec![];
        let g = self.g;
        let root = self.root;
        let st = walk(&g, root, self, Limits::default(), |s| {
            if let Step::Leaf {
                iova,
                pa,
                size,
                desc,
                ..
            } = *s
            {
                v.push((iova, pa, size, desc));
            }
        });
        assert_eq!(st.unreadable, 0);
        assert_eq!(st.reserved, 0);
        v
    }
}

pub fn io_prot(stage: Stage, write: bool) -> u64 {
    // io-pgtable-arm: AF, inner shareable, cacheable attr index 1 (s1) or
    // MemAttr 0xf (s2), read/write per prot.
    let sh = 3 << 8;
    match stage {
        Stage::S1 => {
            bits::AF
                | sh
                | (1 << 2)
                | bits::AP_UNPRIV
                | if write { 0 } else { bits::AP_RDONLY }
                | bits::NG
        }
        Stage::S2 => {
            bits::AF | sh | (0xf << 2) | bits::S2AP_READ | if write { bits::S2AP_WRITE } else { 0 }
        }
    }
}
