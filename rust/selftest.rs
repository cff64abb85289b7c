// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_selftest`: proves the building blocks of the
//! module work on the running kernel (fprobe on the iommu core, a real
//! SMMUv3 paging domain, the module's tracepoint).
//!
//! Owns: that suite. Must not: leave anything mapped or allocated.

#[kernel::macros::kunit_tests(iommu_scope_selftest)]
mod tests {
    use kernel::prelude::*;
    use kernel::sync::atomic::Relaxed;

    use crate::iommu::{first_iommu_pci_device, page_phys, PagingDomain, IOMMU_READ, IOMMU_WRITE};
    use crate::status::{MAP_BYTES, MAP_CALLS};

    /// A real SMMUv3 paging domain maps one page; the fprobe on
    /// `iommu_map_nosync` sees exactly that call; the translation is the one
    /// made; unmapping removes it.
    #[test]
    fn map_is_probed_and_translated() -> Result {
        let dev = first_iommu_pci_device().ok_or(ENODEV)?;
        let domain = PagingDomain::alloc(&dev)?;
        let page = kernel::page::Page::alloc_page(GFP_KERNEL)?;
        let pa = page_phys(&page);
        let iova: u64 = 0x1000_0000;

        let before = MAP_CALLS.load(Relaxed);
        let bytes_before = MAP_BYTES.load(Relaxed);
        domain.map(iova, pa, 4096, IOMMU_READ | IOMMU_WRITE)?;
        let after = MAP_CALLS.load(Relaxed);
        assert!(MAP_BYTES.load(Relaxed) - bytes_before >= 4096);
        // The domain is private to this test and nothing else maps through
        // the module's probe with it, but other DMA may run concurrently:
        // at least our call must have been seen.
        assert!(after > before);
        assert_eq!(domain.iova_to_phys(iova), pa);
        assert_eq!(domain.iova_to_phys(iova + 0x123), pa + 0x123);
        assert_eq!(domain.iova_to_phys(iova + 4096), 0);
        crate::trace::selftest(c"kunit_map_probe_hits", after - before);

        assert_eq!(domain.unmap(iova, 4096), 4096);
        assert_eq!(domain.iova_to_phys(iova), 0);
        Ok(())
    }

    /// A probe on a function that does not exist fails cleanly with the
    /// kernel's error, so features can degrade instead of crashing.
    #[test]
    fn probe_on_missing_function_fails_cleanly() {
        struct Nop;
        impl crate::fprobe::Handler for Nop {
            fn entry(&self, _args: &crate::fprobe::Args) -> crate::fprobe::EntryData {
                [0; 4]
            }
        }
        let r = KBox::pin_init(
            crate::fprobe::Fprobe::new(c"iommu_scope_no_such_function", Nop),
            GFP_KERNEL,
        );
        assert!(r.is_err());
    }
}
