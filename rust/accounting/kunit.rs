// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_accounting`: the refcounts after real
//! `iommu_map` / `iommu_unmap` calls on a real SMMUv3 paging domain (every
//! page size, the same page in two domains, a freed domain, unmaps of 1
//! to 6 pages) and on a generic_pt domain (an unmap that stops short, one
//! that ends inside an entry, one over a hole, a map that fails
//! part-way), and the unmap notes. Each test runs its own accounting
//! (state and hooks), as the product module does.
//!
//! The physical addresses are above the machine's RAM, so no DMA of the
//! running system touches their counters; nothing is ever accessed there.
//!
//! Owns: that suite (built into `iommu_scope_kunit.ko` only). Must not:
//! leave anything mapped.

#[kernel::macros::kunit_tests(iommu_scope_accounting)]
mod tests {
    use kernel::{prelude::*, sync::atomic::Relaxed, sync::Arc};

    use crate::accounting::hooks::Hooks;
    use crate::accounting::notes::{Note, UnmapNotes, NO_BUCKET};
    use crate::accounting::pagecount::{Alloc, PageCounts, Update, UNIT};
    use crate::accounting::state::{Accounting, LOOKUP_GRANULES};
    use crate::pure::genpt::Format;
    use crate::pure::walk::MAX_WALK_READS;
    use crate::sys::testing::{ctx, PagingDomain, PtTable, UntilTestEnd, PROT_RO, PROT_RW as RW};

    /// 512 GiB: far above the QEMU machine's RAM.
    const PA: u64 = 0x80_0000_0000;

    /// The hooks of a running accounting; dropping it unregisters them and
    /// stops the state's work item. Held by the test until it ends
    /// (`UntilTestEnd`): a failed assertion does not leave them running
    /// under the next tests.
    struct Running(Option<Hooks>, Arc<Accounting>);

    impl Drop for Running {
        fn drop(&mut self) {
            self.0 = None;
            self.1.stop();
        }
    }

    /// A running accounting: its state and hooks (the map probe disarmed
    /// or not as the product would: nothing settles here).
    fn start() -> Result<(Arc<Accounting>, UntilTestEnd<Running>)> {
        let a = Accounting::new()?;
        let h = Hooks::install(&a, None)?;
        Ok((a.clone(), UntilTestEnd::new(Running(Some(h), a))?))
    }

    /// A running accounting with the map probe armed (as while domains
    /// settle) or not, once its control work has run.
    fn start_mode(armed: bool) -> Result<(Arc<Accounting>, UntilTestEnd<Running>)> {
        let a = Accounting::new()?;
        if armed {
            a.saw_foreign();
        }
        let h = Hooks::install(&a, None)?;
        h.ctl().flush();
        Ok((a.clone(), UntilTestEnd::new(Running(Some(h), a))?))
    }

    impl Running {
        fn armed(&self) -> bool {
            self.0.as_ref().is_some_and(|h| h.ctl().armed())
        }

        /// Asks the control work to arm or disarm the map probe and waits
        /// for it.
        fn reconcile(&self) {
            if let Some(h) = &self.0 {
                let c = h.ctl();
                c.queue();
                c.flush();
            }
        }
    }

    /// Makes the counter nodes of `[pa, pa + size)` before a map there:
    /// the system's own DMA, counted by the same hooks during a test, draws
    /// on the node pools too, and a map that finds them empty is honestly
    /// not counted (`pool_exhausted_is_untracked`), which is not what these
    /// tests check.
    fn ready(a: &Accounting, pa: u64, size: u64) {
        a.counts.prepare(pa, size);
    }

    fn count(a: &Accounting, pa: u64) -> u32 {
        a.counts.get(pa / UNIT)
    }

    /// The 16-bit counter: counts up to 32,767, where the next increment
    /// is an overflow that leaves it unchanged; the reported flag is kept
    /// by increments and decrements and cleared at zero; a decrement at
    /// zero is an underflow; a 16 MiB chunk costs 8 KiB (2 bytes per 4 KiB).
    #[test]
    fn counter_limits() -> Result {
        let t = PageCounts::new()?;
        let pfn = PA / UNIT;
        let before = t.memory();
        for i in 0..32767u32 {
            assert_eq!(t.inc(pfn, Alloc::Kernel), Update::Done { old: i });
        }
        assert_eq!(t.memory() - before, 2 * 4096 + 8 * 4096);
        assert_eq!(t.get(pfn), 32767);
        assert_eq!(t.inc(pfn, Alloc::Kernel), Update::Overflow);
        assert_eq!(t.get(pfn), 32767);
        assert_eq!(t.mark_reported(pfn), Some(32767));
        assert_eq!(t.mark_reported(pfn), None);
        assert_eq!(t.inc(pfn, Alloc::Kernel), Update::Overflow);
        assert_eq!(t.dec(pfn), Update::Done { old: 32767 });
        assert_eq!(t.get(pfn), 32766);
        assert_eq!(t.mark_reported(pfn), None);
        for _ in 0..32765 {
            let _ = t.dec(pfn);
        }
        assert_eq!(t.dec(pfn), Update::Done { old: 1 });
        assert_eq!(t.dec(pfn), Update::Underflow);
        assert_eq!(t.inc(pfn, Alloc::Kernel), Update::Done { old: 0 });
        assert_eq!(t.mark_reported(pfn), Some(1));
        assert_eq!(t.get(pfn + 1), 0);
        Ok(())
    }

    /// A range update finds each leaf once but behaves as one update per
    /// unit: across a leaf boundary (16 MiB), with the second leaf missing
    /// on a decrement (an underflow per unit), and with an overflowing unit
    /// in the middle (the others still counted).
    #[test]
    fn range_updates_are_per_unit() -> Result {
        let t = PageCounts::new()?;
        // The last two units of one leaf and the first two of the next.
        let pfn = (PA + 0x100_0000) / UNIT - 2;
        let mut seen = KVec::new();
        t.update_range(pfn, 2, false, Alloc::Kernel, |u, p, k| {
            for j in 0..k {
                let _ = seen.push((u, p + j), GFP_KERNEL);
            }
        });
        assert_eq!(seen.len(), 2);
        assert!(seen.iter().all(|(u, _)| *u == Update::Underflow));
        for _ in 0..32767 {
            let _ = t.inc(pfn + 1, Alloc::Kernel);
        }
        seen.clear();
        t.update_range(pfn, 4, true, Alloc::Kernel, |u, p, k| {
            for j in 0..k {
                let _ = seen.push((u, p + j), GFP_KERNEL);
            }
        });
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0], (Update::Done { old: 0 }, pfn));
        assert_eq!(seen[1], (Update::Overflow, pfn + 1));
        assert_eq!(seen[2], (Update::Done { old: 0 }, pfn + 2));
        assert_eq!(seen[3], (Update::Done { old: 0 }, pfn + 3));
        seen.clear();
        t.update_range(pfn, 4, false, Alloc::Kernel, |u, p, k| {
            for j in 0..k {
                let _ = seen.push((u, p + j), GFP_KERNEL);
            }
        });
        assert_eq!(seen[3], (Update::Done { old: 1 }, pfn + 3));
        assert_eq!(t.get(pfn), 0);
        assert_eq!(t.get(pfn + 1), 32766);
        assert_eq!(t.get(pfn + 3), 0);
        Ok(())
    }

    /// The packed counters seen from outside: a range that starts at the
    /// last lane of a word and crosses a 16 MiB leaf is reported unit by
    /// unit in order, whole words in the usual state at once (`k` above 1),
    /// a word with a reported neighbour one lane at a time; the counts and
    /// the reported flag end as four separate counters would.
    #[test]
    fn packed_counters_report_each_unit() -> Result {
        let t = PageCounts::new()?;
        // Lane 3 of the word five units before a leaf boundary.
        let pfn = (PA + 0x100_0000) / UNIT - 5;
        let mut seen = KVec::new();
        let mut batched = false;
        t.update_range(pfn, 10, true, Alloc::Kernel, |u, p, k| {
            batched |= k > 1;
            for j in 0..k {
                let _ = seen.push((u, p + j), GFP_KERNEL);
            }
        });
        assert!(batched);
        assert_eq!(seen.len(), 10);
        for (j, s) in seen.iter().enumerate() {
            assert_eq!(*s, (Update::Done { old: 0 }, pfn + j as u64));
        }
        // A neighbour in the middle reported freed while mapped.
        assert_eq!(t.mark_reported(pfn + 2), Some(1));
        assert_eq!(t.get(pfn + 1), 1);
        assert_eq!(t.get(pfn + 2), 1);
        seen.clear();
        t.update_range(pfn, 10, false, Alloc::Kernel, |u, p, k| {
            for j in 0..k {
                let _ = seen.push((u, p + j), GFP_KERNEL);
            }
        });
        assert_eq!(seen.len(), 10);
        for (j, s) in seen.iter().enumerate() {
            assert_eq!(*s, (Update::Done { old: 1 }, pfn + j as u64));
            assert_eq!(t.get(pfn + j as u64), 0);
        }
        // Back to zero cleared the flag: a new reference can be reported.
        assert_eq!(t.inc(pfn + 2, Alloc::Kernel), Update::Done { old: 0 });
        assert_eq!(t.mark_reported(pfn + 2), Some(1));
        assert_eq!(t.get(pfn + 3), 0);
        // A decrement of a range with no counters at all: one underflow
        // per unit, reported at once.
        let far = (PA + 0x40_0000_0000) / UNIT;
        let (mut calls, mut units) = (0, 0);
        t.update_range(far, 4096 * 3, false, Alloc::Kernel, |u, _, k| {
            assert_eq!(u, Update::Underflow);
            calls += 1;
            units += k;
        });
        assert_eq!((calls, units), (3, 4096 * 3));
        Ok(())
    }

    /// A hook that takes a node from a pool asks for a refill; the refill
    /// fills the pool and clears the request.
    #[test]
    fn taking_a_node_asks_for_a_refill() -> Result {
        let t = PageCounts::new()?;
        assert!(!t.wants_refill());
        assert_eq!(t.inc(PA / UNIT, Alloc::Pool), Update::Done { old: 0 });
        assert!(t.wants_refill());
        t.refill();
        assert!(!t.wants_refill());
        assert_eq!(t.get(PA / UNIT), 1);
        Ok(())
    }

    /// The product's refill, end to end: maps of one granule into fresh
    /// 16 MiB chunks of physical memory take counter leaves from the pool
    /// (8 at first), the map hook queues the work item, which fills the
    /// pool again; so 24 fresh chunks mapped 3 at a time, the work item
    /// let run before each
    /// batch, are all counted (without the refill the third batch would
    /// find the pool empty and be untracked), and unmapping them releases
    /// every count. Batches of 3 leave 5 leaves for the system's own DMA,
    /// counted by the same hooks meanwhile (in memory this new instance
    /// never counted before, so it takes leaves too).
    #[test]
    fn the_work_item_refills_what_the_hooks_took() -> Result {
        let (a, _h) = start()?;
        let d = ctx!(PagingDomain::alloc(), "alloc");
        let g = d.granule()?;
        // Never counted before in this instance: every chunk needs a new
        // leaf (the 24 of them share one mid node).
        let base = PA + 0x50_0000_0000;
        let chunk = |k: u64| base + k * 0x100_0000;
        for batch in 0..8u64 {
            a.flush();
            for k in batch * 3..batch * 3 + 3 {
                ctx!(d.map(0x400_0000 + k * g, chunk(k), g, RW), "map");
            }
        }
        for k in 0..24 {
            assert_eq!(count(&a, chunk(k)), 1);
            assert_eq!(count(&a, chunk(k) + g - UNIT), 1);
        }
        assert_eq!(d.unmap(0x400_0000, 24 * g), 24 * g as usize);
        for k in 0..24 {
            assert_eq!(count(&a, chunk(k)), 0);
            assert_eq!(count(&a, chunk(k) + g - UNIT), 0);
        }
        Ok(())
    }

    /// Every page size of an SMMUv3 domain up to 1 GiB, as its
    /// `pgsize_bitmap` says (arm-smmu-v3 picks the kernel's page size as
    /// the granule where the SMMU has it: 4K, 2M and 1G with 4K pages;
    /// 16K and 32M with 16K pages; 64K and 512M with 64K pages): each 4K
    /// unit of the range gets exactly one reference, and unmapping returns
    /// it to zero.
    #[test]
    fn every_page_size_counts_each_page_once() -> Result {
        let (a, _h) = start()?;
        let d = ctx!(PagingDomain::alloc(), "alloc domain");
        let sizes = d.page_sizes() & (0x4000_0000 | (0x4000_0000 - 1));
        // The granule and at least one block size.
        assert!(sizes.count_ones() >= 2);
        let mut i = 0u64;
        let mut rest = sizes;
        while rest != 0 {
            let size = 1u64 << rest.trailing_zeros();
            rest &= rest - 1;
            let iova = 0x1_0000_0000u64 * (i + 1);
            let pa = PA + 0x1_0000_0000 * i;
            i += 1;
            // A 1 GiB map needs 64 fresh leaves in one hook, more than the
            // pools hold ahead (see `pool_exhausted_is_untracked`).
            a.counts.prepare(pa, size);
            ctx!(d.map(iova, pa, size, RW), "map {:#x}", size);
            assert_eq!(count(&a, pa), 1);
            assert_eq!(count(&a, pa + size / 2), 1);
            assert_eq!(count(&a, pa + size - UNIT), 1);
            assert_eq!(count(&a, pa + size), 0);
            assert_eq!(d.unmap(iova, size), size as usize);
            assert_eq!(count(&a, pa), 0);
            assert_eq!(count(&a, pa + size / 2), 0);
            assert_eq!(count(&a, pa + size - UNIT), 0);
        }
        Ok(())
    }

    /// The same page mapped in two domains counts twice, and each unmap
    /// takes one reference away.
    #[test]
    fn same_page_in_two_domains() -> Result {
        let (a, _h) = start()?;
        let d1 = ctx!(PagingDomain::alloc(), "alloc d1");
        let d2 = ctx!(PagingDomain::alloc(), "alloc d2");
        let g = d1.granule()?;
        let pa = PA + 0x10_0000_0000;
        ready(&a, pa, g);
        ctx!(d1.map(0x10_0000, pa, g, RW), "map d1");
        ctx!(d2.map(0x20_0000, pa, g, PROT_RO), "map d2");
        assert_eq!(count(&a, pa), 2);
        assert_eq!(count(&a, pa + g - UNIT), 2);
        assert_eq!(d1.unmap(0x10_0000, g), g as usize);
        assert_eq!(count(&a, pa), 1);
        assert_eq!(count(&a, pa + g - UNIT), 1);
        assert_eq!(d2.unmap(0x20_0000, g), g as usize);
        assert_eq!(count(&a, pa), 0);
        assert_eq!(count(&a, pa + g - UNIT), 0);
        Ok(())
    }

    /// Freeing a domain that still maps a page releases its references.
    #[test]
    fn freeing_a_domain_releases_its_references() -> Result {
        let (a, _h) = start()?;
        let d = ctx!(PagingDomain::alloc(), "alloc");
        let g = d.granule()?;
        let pa = PA + 0x40_0000_0000;
        ready(&a, pa, 2 * g);
        ctx!(d.map(0x30_0000, pa, 2 * g, RW), "map");
        assert_eq!(count(&a, pa + g), 1);
        assert_eq!(count(&a, pa + 2 * g - UNIT), 1);
        drop(d);
        assert_eq!(count(&a, pa), 0);
        assert_eq!(count(&a, pa + g), 0);
        assert_eq!(count(&a, pa + 2 * g - UNIT), 0);
        Ok(())
    }

    /// A release walk over 32 granules that stops at its read bound
    /// (lowered here to 8 descriptors: only a range of more than about
    /// 15.9 GiB of 4 KiB pages, 256 GiB of 64 KiB pages, or a corrupted
    /// table reaches the product's) leaves the rest of its range counted:
    /// it is counted in `release_walks_cut` and every later
    /// use-after-free report is unconfirmed, since a page it left counted
    /// would be reported once freed. A walk within the bound changes
    /// neither.
    #[test]
    fn release_walk_cut_at_its_bound_makes_reports_unconfirmed() -> Result {
        let (a, _h) = start()?;
        let d = ctx!(PagingDomain::alloc(), "alloc");
        let g = d.granule()?;
        // 64 granules in one lowest-level table (it has 512 to 8192 of
        // them), so no upper descriptor changes between the two unmaps.
        let (iova, pa, half) = (0x600_0000u64, PA + 0x48_0000_0000, 32 * g);
        ready(&a, pa, 2 * half);
        ctx!(d.map(iova, pa, 2 * half, RW), "map 64 granules");
        assert_eq!(d.unmap(iova, half), half as usize);
        assert_eq!(count(&a, pa), 0);
        assert_eq!(count(&a, pa + half - UNIT), 0);
        assert_eq!(a.stats.release_walks_cut.load(Relaxed), 0);
        assert!(!a.reports_unconfirmed());
        a.test_walk_bound.store(8, Relaxed);
        let unmapped = d.unmap(iova + half, half);
        a.test_walk_bound.store(MAX_WALK_READS, Relaxed);
        assert_eq!(unmapped, half as usize);
        // The table no longer maps the range, but the walk stopped within
        // its first descriptors: its last unit stays counted. (Another
        // walk of this instance may have been cut meanwhile too: at least
        // one.)
        assert_eq!(count(&a, pa + 2 * half - UNIT), 1);
        assert!(a.stats.release_walks_cut.load(Relaxed) >= 1);
        assert!(a.reports_unconfirmed());
        Ok(())
    }

    /// An unmap that cannot take the whole range (here: the middle of a 2M
    /// leaf, which generic_pt will not split) releases the units at entry
    /// and takes back the part left mapped at return ("remap"): the counts
    /// end exactly as they were.
    #[test]
    fn unmap_that_stops_short_is_remapped() -> Result {
        if crate::sys::testing::skip_without_amdv1() {
            return Ok(());
        }
        let (a, _h) = start()?;
        let t = ctx!(PtTable::new(Format::AmdV1, 48, 3), "pt domain");
        let pa = PA + 0x20_0000_0000;
        ready(&a, pa, 0x20_0000);
        ctx!(t.core_map(0x4000_0000, pa, 0x20_0000, RW), "map 2M");
        assert_eq!(count(&a, pa + 0x1000), 1);
        let unmapped = t.core_unmap(0x4000_1000, 0x1000);
        assert!(unmapped < 0x1000);
        // This instance started with the test: at least our unmap was
        // remapped (another driver's short unmap could add to it).
        assert!(a.stats.remaps.load(Relaxed) >= 1);
        assert_eq!(count(&a, pa), 1);
        assert_eq!(count(&a, pa + 0x1000), 1);
        assert_eq!(t.core_unmap(0x4000_0000, 0x20_0000), 0x20_0000);
        assert_eq!(count(&a, pa + 0x1000), 0);
        Ok(())
    }

    /// generic_pt clears the whole entry an unmap ends inside (a 2M leaf; a
    /// 64K entry of 16 size-encoded replicas) and returns its size: every
    /// unit of it is released, none stays counted (a false leak once the
    /// pages are freed).
    #[test]
    fn unmap_ending_inside_an_entry_releases_all_of_it() -> Result {
        if crate::sys::testing::skip_without_amdv1() {
            return Ok(());
        }
        let (a, _h) = start()?;
        let t = ctx!(PtTable::new(Format::AmdV1, 48, 3), "pt domain");
        for (iova, size) in [(0x4000_0000u64, 0x20_0000u64), (0x8000_0000, 0x1_0000)] {
            let pa = PA + 0x30_0000_0000 + iova;
            ready(&a, pa, size);
            ctx!(t.core_map(iova, pa, size, RW), "map");
            for off in [0, 0x1000, size - 0x1000] {
                assert_eq!(count(&a, pa + off), 1);
            }
            // One entry: the kernel clears all of it.
            assert_eq!(t.core_unmap(iova, 0x1000), size as usize);
            assert_eq!(t.iova_to_phys(iova + size - 0x1000), 0);
            for off in [0, 0x1000, size - 0x1000] {
                assert_eq!(count(&a, pa + off), 0);
            }
        }
        Ok(())
    }

    /// Unmaps of 1 to 6 granules of an SMMUv3 domain (4K, 16K or 64K, as
    /// the kernel's pages): up to 4 granules the unmap probe looks each
    /// one up with the driver, above that it walks the table (the test
    /// counts which way each unmap of its domain took); both release
    /// exactly the range, and nothing between the granules is touched.
    #[test]
    fn small_and_large_unmaps_release_the_range() -> Result {
        let (a, _h) = start()?;
        let d = ctx!(PagingDomain::alloc(), "alloc domain");
        let g = d.granule()?;
        let key = d.domain().ok_or(ENODEV)?.key().index();
        a.test_paths.domain.store(key, Relaxed);
        for pages in 1..=6u64 {
            let iova = 0x1000_0000 * pages;
            let pa = PA + 0x60_0000_0000 + 0x1000_0000 * pages;
            let size = pages * g;
            // Mapped one granule at a time, each at a discontiguous address
            // (the granules of the range go down).
            let at = |i: u64| pa + (pages - i) * 2 * g;
            for i in 0..pages {
                ready(&a, at(i), g);
                ctx!(d.map(iova + i * g, at(i), g, RW), "map");
            }
            for i in 0..pages {
                assert_eq!(count(&a, at(i)), 1);
                assert_eq!(count(&a, at(i) + g - UNIT), 1);
                // The gap between two of them.
                assert_eq!(count(&a, at(i) + g), 0);
            }
            let paths = |a: &Accounting| {
                let p = &a.test_paths;
                (p.lookups.load(Relaxed), p.walks.load(Relaxed))
            };
            let before = paths(&a);
            assert_eq!(d.unmap(iova, size), size as usize);
            // The way taken: one unmap of this domain, by lookups up to
            // `LOOKUP_GRANULES` (4) granules, by the walk above.
            let (l, w) = paths(&a);
            let small = pages <= LOOKUP_GRANULES as u64;
            assert_eq!(
                (l - before.0, w - before.1),
                (u64::from(small), u64::from(!small))
            );
            for i in 0..pages {
                assert_eq!(count(&a, at(i)), 0);
                assert_eq!(count(&a, at(i) + g - UNIT), 0);
            }
        }
        Ok(())
    }

    /// An unmap of a few pages over a hole in a generic_pt domain: whatever
    /// the table still maps afterwards keeps exactly one reference, what it
    /// no longer maps has none (the table itself is the oracle).
    #[test]
    fn small_unmap_over_a_hole_matches_the_table() -> Result {
        if crate::sys::testing::skip_without_amdv1() {
            return Ok(());
        }
        let (a, _h) = start()?;
        let t = ctx!(PtTable::new(Format::AmdV1, 48, 3), "pt domain");
        let pa = PA + 0x70_0000_0000;
        let iova = 0x20_0000;
        ready(&a, pa, 0x3000);
        ctx!(t.core_map(iova, pa, 0x1000, RW), "map page 0");
        ctx!(
            t.core_map(iova + 0x2000, pa + 0x2000, 0x1000, RW),
            "map page 2"
        );
        let _ = t.core_unmap(iova, 0x3000);
        for i in 0..3u64 {
            let mapped = t.iova_to_phys(iova + i * 0x1000) != 0;
            assert_eq!(count(&a, pa + i * 0x1000), u32::from(mapped));
        }
        let _ = t.core_unmap(iova + 0x2000, 0x1000);
        assert_eq!(count(&a, pa + 0x2000), 0);
        Ok(())
    }

    /// Notes are taken back by the context that left them, for the same
    /// range only; with every slot taken a note is lost and counted.
    #[test]
    fn unmap_notes_belong_to_their_context() -> Result {
        let notes = UnmapNotes::new()?;
        let note = |iova: u64| Note {
            iova,
            size: 0x1000,
            domain: 0x1234_5000,
            counted: 0x1000,
            dec: 7,
            bucket: NO_BUCKET,
        };
        assert!(notes.leave(note(0x1000)));
        assert_eq!(notes.take(0x2000, 0x1000), None);
        assert_eq!(notes.take(0x1000, 0x2000), None);
        assert_eq!(notes.take(0x1000, 0x1000), Some(note(0x1000)));
        assert_eq!(notes.take(0x1000, 0x1000), None);
        let n = notes.capacity() as u64;
        for i in 0..n {
            assert!(notes.leave(note(i * 0x1000)));
        }
        assert!(!notes.leave(note(n * 0x1000)));
        assert_eq!(notes.lost.load(Relaxed), 1);
        for i in (0..n).rev() {
            assert_eq!(notes.take(i * 0x1000, 0x1000), Some(note(i * 0x1000)));
        }
        assert!(notes.leave(note(0)));
        Ok(())
    }

    /// A map that fails part-way (the third page is already mapped) rolls
    /// itself back: the tracepoint counts the two pages it mapped and the
    /// core's unmap of them releases them, so the counts are exactly as
    /// before it. Both with the map probe armed and without it.
    #[test]
    fn map_failing_part_way_changes_nothing() -> Result {
        map_failing_part_way(true)?;
        map_failing_part_way(false)
    }

    fn map_failing_part_way(armed: bool) -> Result {
        if crate::sys::testing::skip_without_amdv1() {
            return Ok(());
        }
        let (a, h) = start_mode(armed)?;
        let t = ctx!(PtTable::new(Format::AmdV1, 48, 3), "pt domain");
        let pa = PA + 0x30_0000_0000;
        ready(&a, pa, 0xa000);
        ctx!(
            t.core_map(0x10_2000, pa + 0x9000, 0x1000, RW),
            "map blocker"
        );
        assert!(t.core_map(0x10_0000, pa, 0x3000, RW).is_err());
        assert_eq!(count(&a, pa), 0);
        assert_eq!(count(&a, pa + 0x1000), 0);
        assert_eq!(count(&a, pa + 0x2000), 0);
        assert_eq!(count(&a, pa + 0x9000), 1);
        assert_eq!(count(&a, pa + 0x3000), 0);
        assert_eq!(t.core_unmap(0x10_2000, 0x1000), 0x1000);
        assert_eq!(count(&a, pa + 0x9000), 0);
        assert_eq!(h.armed(), armed);
        Ok(())
    }

    /// Without a domain that settles or an IOMMU it cannot read, the map
    /// probe is disarmed once the control work ran, and maps are counted
    /// at the tracepoint alone; an IOMMU it cannot read arms it again.
    #[test]
    fn map_probe_armed_only_while_needed() -> Result {
        let (a, h) = start_mode(false)?;
        assert!(!h.armed());
        assert!(a.unnoted_counted.load(Relaxed));
        let d = ctx!(PagingDomain::alloc(), "alloc domain");
        let g = d.granule()?;
        let pa = PA + 0x50_0000_0000;
        ready(&a, pa, 3 * g);
        ctx!(d.map(0x400_0000, pa, 3 * g, RW), "map");
        assert_eq!(count(&a, pa + 2 * g), 1);
        a.saw_foreign();
        h.reconcile();
        assert!(h.armed());
        assert!(!a.unnoted_counted.load(Relaxed));
        // Armed, a readable domain's map is still counted (its note says
        // so) and its unmap released.
        let other = pa + 16 * g;
        ready(&a, other, g);
        ctx!(d.map(0x500_0000, other, g, RW), "map armed");
        assert_eq!(count(&a, other), 1);
        assert_eq!(d.unmap(0x500_0000, g), g as usize);
        assert_eq!(d.unmap(0x400_0000, 3 * g), 3 * g as usize);
        assert_eq!(count(&a, other), 0);
        assert_eq!(count(&a, pa + 2 * g), 0);
        Ok(())
    }

    /// The tracepoint's side of the notes: a map noted as unreadable is not
    /// counted (`untracked`); a noted limit caps what is counted; once
    /// something unreadable was seen, a map without a note is not counted;
    /// a note is consumed once and only by its own context and range.
    #[test]
    fn notes_decide_what_the_tracepoint_counts() -> Result {
        let (a, _h) = start_mode(false)?;
        let pa = PA + 0x60_0000_0000;
        a.counts.prepare(pa, 0x10000);
        let untracked = a.stats.untracked.load(Relaxed);
        let s = a.claim_in_map(0x1000, pa, crate::accounting::state::UNREADABLE);
        a.mapped(0x1000, pa, 0x2000);
        assert_eq!(count(&a, pa), 0);
        assert_eq!(a.stats.untracked.load(Relaxed) - untracked, 2);
        a.release_in_map(s);
        // A limit: the part below a settling domain's cursor.
        let s = a.claim_in_map(0x1000, pa, 0x1000);
        // Another range's map finds no note: counted whole (nothing
        // unreadable was seen).
        a.mapped(0x8000, pa + 0x8000, 0x1000);
        assert_eq!(count(&a, pa + 0x8000), 1);
        a.mapped(0x1000, pa, 0x3000);
        assert_eq!(count(&a, pa), 1);
        assert_eq!(count(&a, pa + 0x1000), 0);
        a.release_in_map(s);
        // Consumed: the same map again is counted whole.
        a.mapped(0x1000, pa, 0x2000);
        assert_eq!(count(&a, pa), 2);
        assert_eq!(count(&a, pa + 0x1000), 1);
        a.saw_foreign();
        a.mapped(0x1000, pa, 0x1000);
        assert_eq!(count(&a, pa), 2);
        // Undo what this test counted by hand.
        a.account_pa_range(pa, 0x2000, false, Alloc::Kernel);
        a.account_pa_range(pa, 0x1000, false, Alloc::Kernel);
        a.account_pa_range(pa + 0x8000, 0x1000, false, Alloc::Kernel);
        assert_eq!(count(&a, pa), 0);
        assert_eq!(count(&a, pa + 0x8000), 0);
        Ok(())
    }

    /// A hook that needs more table nodes than its pool holds counts what
    /// it can and says the rest is `untracked`: never a count above the
    /// truth, and nothing left counted after the unmap.
    #[test]
    fn pool_exhausted_is_untracked() -> Result {
        let (a, _h) = start()?;
        let d = ctx!(PagingDomain::alloc(), "alloc domain");
        // 4 GiB away from every other test's range: 64 fresh leaves.
        let (iova, pa, size) = (0x8_0000_0000u64, PA + 0x10_0000_0000, 0x4000_0000u64);
        let untracked = a.stats.untracked.load(Relaxed);
        ctx!(d.map(iova, pa, size, RW), "map 1G");
        // Usually some counts are lost (the pools hold fewer than 64 leaves
        // at first), but a refill run for other hooks' DMA on the other CPU
        // can keep up: either way every unit is counted at most once, and
        // each one that is not is in `untracked` (which the other CPU's
        // DMA, finding the pools empty, may raise as well: hence `>=`).
        let lost = a.stats.untracked.load(Relaxed) - untracked;
        let mut counted = 0u64;
        let mut off = 0;
        while off < size {
            let c = count(&a, pa + off);
            assert!(c <= 1);
            counted += u64::from(c);
            off += UNIT;
        }
        assert!(counted + lost >= size / UNIT);
        assert_eq!(d.unmap(iova, size), size as usize);
        let mut off = 0;
        while off < size {
            assert_eq!(count(&a, pa + off), 0);
            off += UNIT * 512;
        }
        a.flush();
        Ok(())
    }
}
