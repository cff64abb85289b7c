// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_ptdump`: the page-table walker against real
//! io-pgtable-arm tables built with `alloc_io_pgtable_ops`, for every stage,
//! granule and a range of input sizes (so every level count and the
//! concatenated stage-2 roots), plus HTTU dirty states (DBM quirk, AP[2] or
//! S2AP[1] flipped by the test as the SMMU would) and contiguous hints.
//!
//! Owns: that suite (built into `iommu_scope_kunit.ko` only). Must not:
//! leave a table allocated.

#[kernel::macros::kunit_tests(iommu_scope_ptdump)]
mod tests {
    use kernel::prelude::*;

    use crate::pure::lpae::{self, bits, DirtyState, Kind, Stage};
    use crate::pure::walk::Memory;
    use crate::pure::walk::{walk, Limits, Step};
    use crate::sys::phys::PhysMemory;
    use crate::sys::testing::{ctx, write_desc, Buf, IoPgtable, PROT_RO as RO, PROT_RW as RW};

    /// A leaf as the tests see it: (iova, pa, size, level, table_pa,
    /// index, desc).
    type LeafRec = (u64, u64, u64, u32, u64, usize, u64);

    /// A test table and the walker's view of it.
    struct Table(IoPgtable);

    impl core::ops::Deref for Table {
        type Target = IoPgtable;

        fn deref(&self) -> &IoPgtable {
            &self.0
        }
    }

    impl Table {
        fn new(stage: Stage, granule_shift: u32, ias: u32, oas: u32, dirty: bool) -> Result<Self> {
            IoPgtable::new(stage, granule_shift, ias, oas, dirty).map(Self)
        }

        /// Every leaf: (iova, pa, size, level, table_pa, index, desc).
        fn leaves(&self) -> Result<KVec<LeafRec>> {
            let mut v = KVec::new();
            let mut err: Result = Ok(());
            let st = walk(
                &self.g,
                self.root(),
                &mut PhysMemory,
                Limits::default(),
                |s| {
                    if let Step::Leaf {
                        iova,
                        pa,
                        size,
                        level,
                        table_pa,
                        index,
                        desc,
                        ..
                    } = *s
                    {
                        if let Err(e) =
                            v.push((iova, pa, size, level, table_pa, index, desc), GFP_KERNEL)
                        {
                            err = Err(e.into());
                        }
                    }
                },
            );
            err?;
            if st.unreadable != 0 || st.reserved != 0 {
                return Err(EIO);
            }
            Ok(v)
        }
    }

    /// xorshift64: deterministic, good enough to spread test mappings.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// For every stage, granule and input size: random mappings of every
    /// page and block size are found by the walker exactly (IOVA, PA, size,
    /// permissions), and `iova_to_phys` agrees at each mapping's first and
    /// last byte and just outside it.
    #[test]
    fn walker_finds_exactly_what_was_mapped() -> Result {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut tables = 0;
        for stage in [Stage::S1, Stage::S2] {
            for gs in [12u32, 14, 16] {
                for ias in [32u32, 36, 40, 42, 44, 48] {
                    let t = ctx!(
                        Table::new(stage, gs, ias, 48, false),
                        "alloc {:?} gs {} ias {}",
                        stage,
                        gs,
                        ias
                    );
                    tables += 1;
                    let sizes = [1u64 << gs, t.pgsize_bitmap() & !(1u64 << gs)];
                    let mut model: KVec<(u64, u64, u64, i32)> = KVec::new();
                    for _ in 0..24 {
                        let r = rng.next();
                        let size = if r & 3 == 0 && sizes[1] != 0 {
                            // A block size that fits the input space.
                            let b = 1u64 << (63 - sizes[1].leading_zeros());
                            let b2 = 1u64 << sizes[1].trailing_zeros();
                            if r & 4 == 0 {
                                b2
                            } else {
                                b
                            }
                        } else {
                            sizes[0]
                        };
                        if size >= 1u64 << ias {
                            continue;
                        }
                        let iova = (rng.next() % (1u64 << ias)) & !(size - 1);
                        let pa = (rng.next() % (1u64 << 40)) & !(size - 1);
                        if model
                            .iter()
                            .any(|&(i, _, s, _)| iova < i + s && i < iova + size)
                        {
                            continue;
                        }
                        let prot = if r & 8 == 0 { RW } else { RO };
                        ctx!(
                            t.map(iova, pa, size, prot),
                            "map {:?}/{}/{} iova {:#x} pa {:#x} size {:#x}",
                            stage,
                            gs,
                            ias,
                            iova,
                            pa,
                            size
                        );
                        model.push((iova, pa, size, prot), GFP_KERNEL)?;
                    }
                    let leaves = ctx!(t.leaves(), "walk {:?}/{}/{}", stage, gs, ias);
                    assert_eq!(leaves.len(), model.len());
                    for &(iova, pa, size, prot) in model.iter() {
                        let found = leaves.iter().find(|l| l.0 == iova);
                        assert!(found.is_some());
                        if let Some(&(_, lpa, lsize, _, _, _, desc)) = found {
                            assert_eq!(lpa, pa);
                            assert_eq!(lsize, size);
                            let a = lpae::attrs(&t.g, desc, 0);
                            assert_eq!(a.write, prot == RW);
                            assert!(a.read);
                        }
                        assert_eq!(t.iova_to_phys(iova), pa);
                        assert_eq!(t.iova_to_phys(iova + size - 1), pa + size - 1);
                        for out in [iova.wrapping_sub(1), iova + size] {
                            let owner = model.iter().find(|&&(i, _, s, _)| out >= i && out < i + s);
                            let expect = owner.map_or(0, |&(i, p, _, _)| p + (out - i));
                            if out < 1u64 << ias {
                                assert_eq!(t.iova_to_phys(out), expect);
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(tables, 36);
        Ok(())
    }

    /// The stage-2 root of a 4K table with 40-bit IAS and OAS is two
    /// concatenated level-1 tables (mandatory in io-pgtable-arm); mappings
    /// in the second one are found, and the geometry agrees with VTCR.SL0.
    #[test]
    fn concatenated_stage2_root() -> Result {
        let t = ctx!(Table::new(Stage::S2, 12, 40, 40, false), "alloc s2 concat");
        let sl = t.vtcr_sl0().ok_or(EINVAL)?;
        assert_eq!(((!sl) & 3) - 1, 1);
        assert_eq!(t.g.start_level, 1);
        assert_eq!(t.g.root_concat(), 2);
        ctx!(
            t.map(0x100_0000_0000 - 0x1000, 0x40_0000, 0x1000, RW),
            "map high"
        );
        ctx!(t.map(0x1000, 0x5000_0000, 0x1000, RW), "map low");
        let l = ctx!(t.leaves(), "walk concat");
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].0, 0x100_0000_0000 - 0x1000);
        assert_eq!(l[1].5, 511);
        // The level-1 descriptor used is entry 1023 of the 1024-entry root,
        // in its second concatenated table.
        let mut root_indices: KVec<usize> = KVec::new();
        walk(&t.g, t.root(), &mut PhysMemory, Limits::default(), |s| {
            if let Step::Table {
                level: 1, index, ..
            } = *s
            {
                let _ = root_indices.push(index, GFP_KERNEL);
            }
        });
        assert_eq!(root_indices.len(), 2);
        assert_eq!(root_indices[0], 0);
        assert_eq!(root_indices[1], 1023);
        Ok(())
    }

    /// Sets a descriptor of one of the test's own tables.
    fn set_desc(table_pa: u64, index: usize, val: u64) -> Result {
        // SAFETY: every caller passes a leaf or root descriptor of a `Table`
        // this test owns and nothing else writes meanwhile.
        unsafe { write_desc(table_pa, index, val) }
    }

    fn dump(t: &Table) -> Result<KVec<u8>> {
        let mut b = Buf(KVec::new());
        lpae::write_decoded(
            &mut b,
            &t.g,
            t.root(),
            0,
            &mut PhysMemory,
            Limits::default(),
        )
        .map_err(|_| ENOMEM)?;
        Ok(b.0)
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// With the DBM quirk (stage 1), io-pgtable-arm makes writable entries
    /// writable-dirty (DBM set, AP[2] clear); setting AP[2], as
    /// `read_and_clear_dirty` does, makes them clean; clearing it again, as
    /// the SMMU does on the next write, dirty. Read-only entries are not
    /// tracked.
    #[test]
    fn httu_dirty_states_stage1() -> Result {
        let t = Table::new(Stage::S1, 12, 48, 48, true)?;
        t.map(0x10_0000, 0x4000_0000, 0x1000, RW)?;
        t.map(0x20_0000, 0x4010_0000, 0x1000, RO)?;
        let l = t.leaves()?;
        assert_eq!(l.len(), 2);
        let (rw, ro) = (l[0], l[1]);
        assert!(rw.6 & bits::DBM != 0);
        assert_eq!(lpae::attrs(&t.g, rw.6, 0).dirty, DirtyState::Dirty);
        assert_eq!(lpae::attrs(&t.g, ro.6, 0).dirty, DirtyState::NotTracked);
        assert!(contains(&dump(&t)?, b" dirty"));
        set_desc(rw.4, rw.5, rw.6 | bits::AP_RDONLY)?;
        let l = t.leaves()?;
        assert_eq!(lpae::attrs(&t.g, l[0].6, 0).dirty, DirtyState::Clean);
        assert!(lpae::attrs(&t.g, l[0].6, 0).write);
        assert!(contains(&dump(&t)?, b" clean"));
        set_desc(rw.4, rw.5, rw.6)?;
        assert_eq!(
            lpae::attrs(&t.g, t.leaves()?[0].6, 0).dirty,
            DirtyState::Dirty
        );
        Ok(())
    }

    /// Stage 2 dirty state: DBM with S2AP[1] clear is clean, set is dirty.
    #[test]
    fn httu_dirty_states_stage2() -> Result {
        let t = Table::new(Stage::S2, 12, 40, 48, false)?;
        t.map(0x10_0000, 0x4000_0000, 0x1000, RO)?;
        let l = t.leaves()?;
        let (tp, idx, d) = (l[0].4, l[0].5, l[0].6);
        set_desc(tp, idx, d | bits::DBM)?;
        assert_eq!(
            lpae::attrs(&t.g, t.leaves()?[0].6, 0).dirty,
            DirtyState::Clean
        );
        set_desc(tp, idx, d | bits::DBM | bits::S2AP_WRITE)?;
        assert_eq!(
            lpae::attrs(&t.g, t.leaves()?[0].6, 0).dirty,
            DirtyState::Dirty
        );
        Ok(())
    }

    /// Sixteen contiguous pages with the contiguous hint set (by the test:
    /// io-pgtable-arm never sets it) are one `contig` run.
    #[test]
    fn contiguous_hint_is_one_run() -> Result {
        let t = Table::new(Stage::S1, 12, 48, 48, false)?;
        for i in 0..16u64 {
            t.map(0x40_0000 + i * 0x1000, 0x4000_0000 + i * 0x1000, 0x1000, RW)?;
        }
        let l = t.leaves()?;
        assert_eq!(l.len(), 16);
        for x in l.iter() {
            set_desc(x.4, x.5, x.6 | bits::CONT)?;
        }
        for x in t.leaves()?.iter() {
            assert_eq!(lpae::kind(&t.g, 3, x.6), Kind::Page);
            assert!(lpae::attrs(&t.g, x.6, 0).cont);
        }
        let d = dump(&t)?;
        assert!(contains(&d, b" contig "));
        assert!(contains(&d, b" x16\n"));
        assert!(contains(&d, b"0x0000000000400000-0x0000000000410000"));
        Ok(())
    }

    /// A table descriptor pointing at memory that is not a live page-table
    /// page (here: an MMIO-like address past RAM) is reported unreadable,
    /// never followed.
    #[test]
    fn bad_table_pointer_is_not_followed() -> Result {
        let t = Table::new(Stage::S1, 12, 48, 48, false)?;
        t.map(0x1000, 0x4000_0000, 0x1000, RW)?;
        let root_desc = PhysMemory.read(t.root(), 8, 0).ok_or(EIO)?;
        // Point the level-0 entry at the GIC's MMIO (no struct page).
        set_desc(t.root(), 0, 0x0800_0000 | 3)?;
        let mut unreadable = 0;
        let st = walk(&t.g, t.root(), &mut PhysMemory, Limits::default(), |s| {
            if matches!(s, Step::Unreadable { .. }) {
                unreadable += 1;
            }
        });
        assert_eq!(st.unreadable, 1);
        assert_eq!(unreadable, 1);
        // Restore, so that free_io_pgtable_ops frees the real level-1 table.
        set_desc(t.root(), 0, root_desc)?;
        assert_eq!(t.leaves()?.len(), 1);
        Ok(())
    }
}
