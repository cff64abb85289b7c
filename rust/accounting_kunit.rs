// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_accounting`: the refcounts after real
//! `iommu_map` / `iommu_unmap` calls on a real SMMUv3 paging domain (every
//! page size, the same page in two domains) and on a generic_pt domain (an
//! unmap that stops short, a map that fails part-way).
//!
//! The physical addresses are above the machine's RAM, so no DMA of the
//! running system touches their counters; nothing is ever accessed there.
//!
//! Owns: that suite. Must not: leave anything mapped.

#[kernel::macros::kunit_tests(iommu_scope_accounting)]
mod tests {
    use kernel::{bindings, prelude::*, sync::atomic::Relaxed};

    use crate::accounting;
    use crate::ffi;
    use crate::iommu::{first_iommu_pci_device, PagingDomain, IOMMU_READ, IOMMU_WRITE};
    use crate::kunit_util::ctx;

    const RW: i32 = IOMMU_READ | IOMMU_WRITE;
    /// 512 GiB: far above the QEMU machine's RAM.
    const PA: u64 = 0x80_0000_0000;

    fn count(pa: u64) -> u32 {
        accounting::current().map_or(u32::MAX, |a| a.counts.get(pa >> 12))
    }

    /// Every page size of an SMMUv3 domain: each 4K page of the range gets
    /// exactly one reference, and unmapping returns it to zero.
    #[test]
    fn every_page_size_counts_each_page_once() -> Result {
        let a = accounting::current().ok_or(ENODEV)?;
        let dev = first_iommu_pci_device().ok_or(ENODEV)?;
        let d = ctx!(PagingDomain::alloc(&dev), "alloc domain");
        for (i, size) in [0x1000u64, 0x20_0000, 0x4000_0000].into_iter().enumerate() {
            let iova = 0x1_0000_0000u64 * (i as u64 + 1);
            let pa = PA + 0x1_0000_0000 * i as u64;
            let before = a.stats.refs.load(Relaxed);
            ctx!(d.map(iova, pa, size as usize, RW), "map {:#x}", size);
            assert_eq!(count(pa), 1);
            assert_eq!(count(pa + size / 2), 1);
            assert_eq!(count(pa + size - 0x1000), 1);
            assert_eq!(count(pa + size), 0);
            assert!(a.stats.refs.load(Relaxed) - before >= size / 4096);
            assert_eq!(d.unmap(iova, size as usize), size as usize);
            assert_eq!(count(pa), 0);
            assert_eq!(count(pa + size / 2), 0);
            assert_eq!(count(pa + size - 0x1000), 0);
        }
        Ok(())
    }

    /// The same page mapped in two domains counts twice, and each unmap
    /// takes one reference away.
    #[test]
    fn same_page_in_two_domains() -> Result {
        let dev = first_iommu_pci_device().ok_or(ENODEV)?;
        let d1 = ctx!(PagingDomain::alloc(&dev), "alloc d1");
        let d2 = ctx!(PagingDomain::alloc(&dev), "alloc d2");
        let pa = PA + 0x10_0000_0000;
        ctx!(d1.map(0x10_0000, pa, 0x1000, RW), "map d1");
        ctx!(d2.map(0x20_0000, pa, 0x1000, IOMMU_READ), "map d2");
        assert_eq!(count(pa), 2);
        assert_eq!(d1.unmap(0x10_0000, 0x1000), 0x1000);
        assert_eq!(count(pa), 1);
        assert_eq!(d2.unmap(0x20_0000, 0x1000), 0x1000);
        assert_eq!(count(pa), 0);
        Ok(())
    }

    /// Freeing a domain that still maps a page releases its references.
    #[test]
    fn freeing_a_domain_releases_its_references() -> Result {
        let dev = first_iommu_pci_device().ok_or(ENODEV)?;
        let d = ctx!(PagingDomain::alloc(&dev), "alloc");
        let pa = PA + 0x40_0000_0000;
        ctx!(d.map(0x30_0000, pa, 0x2000, RW), "map");
        assert_eq!(count(pa + 0x1000), 1);
        drop(d);
        assert_eq!(count(pa), 0);
        assert_eq!(count(pa + 0x1000), 0);
        Ok(())
    }

    /// A generic_pt (AMDv1) domain, used through the iommu core API.
    struct PtDomain {
        t: *mut ffi::iommu_scope_pt_test,
    }

    impl PtDomain {
        fn new() -> Result<Self> {
            let dev = first_iommu_pci_device().ok_or(ENODEV)?;
            // SAFETY: `dev` is live; the helper returns a table or ERR_PTR.
            let t = unsafe {
                ffi::iommu_scope_pt_test_alloc(
                    ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_AMDV1,
                    48,
                    3,
                    dev.as_raw(),
                )
            };
            let v = t as isize;
            if t.is_null() || (-4095..0).contains(&v) {
                return Err(ENOMEM);
            }
            Ok(Self { t })
        }
        fn domain(&self) -> *mut bindings::iommu_domain {
            // SAFETY: `t` is live until drop.
            unsafe { ffi::iommu_scope_pt_test_domain(self.t) }
        }
        fn map(&self, iova: u64, pa: u64, size: u64) -> Result {
            // SAFETY: the domain is a live paging domain owned by the test.
            let r = unsafe {
                bindings::iommu_map(
                    self.domain(),
                    iova as usize,
                    pa,
                    size as usize,
                    RW,
                    bindings::GFP_KERNEL,
                )
            };
            if r < 0 {
                return Err(Error::from_errno(r));
            }
            Ok(())
        }
        fn unmap(&self, iova: u64, size: u64) -> usize {
            // SAFETY: as above.
            unsafe { bindings::iommu_unmap(self.domain(), iova as usize, size as usize) }
        }
    }

    impl Drop for PtDomain {
        fn drop(&mut self) {
            // SAFETY: allocated by `iommu_scope_pt_test_alloc`.
            unsafe { ffi::iommu_scope_pt_test_free(self.t) };
        }
    }

    /// An unmap that cannot take the whole range (here: the middle of a 2M
    /// leaf, which generic_pt will not split) releases the granules at entry
    /// and takes back the part left mapped at return ("remap"): the counts
    /// end exactly as they were.
    #[test]
    fn unmap_that_stops_short_is_remapped() -> Result {
        let a = accounting::current().ok_or(ENODEV)?;
        let t = ctx!(PtDomain::new(), "pt domain");
        let pa = PA + 0x20_0000_0000;
        ctx!(t.map(0x4000_0000, pa, 0x20_0000), "map 2M");
        assert_eq!(count(pa + 0x1000), 1);
        let remaps = a.stats.remaps.load(Relaxed);
        let unmapped = t.unmap(0x4000_1000, 0x1000);
        assert!(unmapped < 0x1000);
        assert_eq!(a.stats.remaps.load(Relaxed), remaps + 1);
        assert_eq!(count(pa), 1);
        assert_eq!(count(pa + 0x1000), 1);
        assert_eq!(t.unmap(0x4000_0000, 0x20_0000), 0x20_0000);
        assert_eq!(count(pa + 0x1000), 0);
        Ok(())
    }

    /// A map that fails part-way (the third page is already mapped) rolls
    /// itself back; the counts are exactly as before it.
    #[test]
    fn map_failing_part_way_changes_nothing() -> Result {
        let a = accounting::current().ok_or(ENODEV)?;
        let t = ctx!(PtDomain::new(), "pt domain");
        let pa = PA + 0x30_0000_0000;
        ctx!(t.map(0x10_2000, pa + 0x9000, 0x1000), "map blocker");
        let refs = a.stats.refs.load(Relaxed);
        let skipped = a.stats.rollbacks_skipped.load(Relaxed);
        assert!(t.map(0x10_0000, pa, 0x3000).is_err());
        assert_eq!(count(pa), 0);
        assert_eq!(count(pa + 0x1000), 0);
        assert_eq!(count(pa + 0x2000), 0);
        assert_eq!(count(pa + 0x9000), 1);
        assert!(a.stats.rollbacks_skipped.load(Relaxed) > skipped);
        // Other DMA in the system may move `refs` meanwhile; ours must not
        // have: the delta is whatever the rest of the system did, and the
        // four pages above are exact.
        let _ = refs;
        assert_eq!(t.unmap(0x10_2000, 0x1000), 0x1000);
        assert_eq!(count(pa + 0x9000), 0);
        Ok(())
    }
}
