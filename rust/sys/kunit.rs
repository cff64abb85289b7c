// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_selftest`: the kernel-facing layer's building
//! blocks on the running kernel: an fprobe on the iommu core sees exactly
//! the maps of a real SMMUv3 paging domain, the `Domain` handle reads that
//! domain, and a probe on a missing function fails cleanly.
//!
//! Owns: that suite (built into `iommu_scope_kunit.ko` only). Must not:
//! leave anything mapped or allocated.

#[kernel::macros::kunit_tests(iommu_scope_selftest)]
mod tests {
    use kernel::prelude::*;
    use kernel::sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    };

    use crate::pure::table::AnyLayout;
    use crate::sys::fprobe::{Args, EntryData, Fprobe, Handler};
    use crate::sys::testing::{ctx, page_phys, PagingDomain, PROT_RW};

    /// Counts `iommu_map_nosync` calls on one domain.
    struct CountMaps {
        domain: usize,
        hits: Arc<Atomic<u64>>,
    }

    impl Handler for CountMaps {
        fn entry(&self, args: &Args) -> EntryData {
            if args.arg(0) == self.domain {
                self.hits.add(1, Relaxed);
            }
            [0; 4]
        }
    }

    /// A real SMMUv3 paging domain maps one page; the fprobe on
    /// `iommu_map_nosync` sees exactly that one call on it; the translation
    /// is the one made; the `Domain` handle finds its LPAE table; unmapping
    /// removes the translation.
    #[test]
    fn map_is_probed_and_translated() -> Result {
        let domain = ctx!(PagingDomain::alloc(), "alloc domain");
        let d = domain.domain().ok_or(ENODEV)?;
        // One granule (the kernel's page size where the SMMU has it, as
        // arm-smmu-v3 prefers): within the page allocated below.
        let g = domain.granule()?;
        let hits = Arc::new(Atomic::new(0u64), GFP_KERNEL)?;
        let probe = ctx!(
            KBox::pin_init(
                Fprobe::new(
                    c"iommu_map_nosync",
                    CountMaps {
                        domain: d.key().index(),
                        hits: hits.clone(),
                    },
                ),
                GFP_KERNEL,
            ),
            "probe iommu_map_nosync"
        );
        let page = kernel::page::Page::alloc_page(GFP_KERNEL)?;
        let pa = page_phys(&page);
        let iova: u64 = 0x1000_0000;
        ctx!(domain.map(iova, pa, g, PROT_RW), "map");
        assert_eq!(hits.load(Relaxed), 1);
        assert_eq!(domain.iova_to_phys(iova), pa);
        assert_eq!(domain.iova_to_phys(iova + 0x123), pa + 0x123);
        assert_eq!(domain.iova_to_phys(iova + g - 8), pa + g - 8);
        assert_eq!(domain.iova_to_phys(iova + g), 0);
        assert!(d.smmu().is_some());
        assert!(matches!(
            d.table().map(|t| t.layout),
            Some(AnyLayout::Lpae(_))
        ));
        assert_eq!(domain.unmap(iova, g), g as usize);
        assert_eq!(domain.iova_to_phys(iova), 0);
        drop(probe);
        assert_eq!(hits.load(Relaxed), 1);
        Ok(())
    }

    /// A probe on a function that does not exist fails cleanly with the
    /// kernel's error, so features can degrade instead of crashing.
    #[test]
    fn probe_on_missing_function_fails_cleanly() {
        struct Nop;
        impl Handler for Nop {
            fn entry(&self, _args: &Args) -> EntryData {
                [0; 4]
            }
        }
        let r = KBox::pin_init(
            Fprobe::new(c"iommu_scope_no_such_function", Nop),
            GFP_KERNEL,
        );
        assert!(r.is_err());
    }
}
