// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_genpt`: the walker against real generic_pt
//! tables (AMDv1, VT-d second stage, x86_64, RISC-V 64) built with the
//! kernel's own `pt_iommu_<fmt>_init` and `map_range`, read through the
//! same domain path the `ptdump` file uses.
//!
//! Owns: that suite (built into `iommu_scope_kunit.ko` only). Must not:
//! leave a table allocated.

#[kernel::macros::kunit_tests(iommu_scope_genpt)]
mod tests {
    use kernel::prelude::*;

    use crate::pure::genpt::{Format, PtGeometry};
    use crate::pure::walk::{walk, Limits, Step};
    use crate::sys::phys::PhysMemory;
    use crate::sys::testing::{ctx, Buf, PtTable, PROT_RW as RW};

    /// The table's geometry and root, read as `ptdump` reads a domain.
    fn geometry(t: &PtTable) -> Result<(PtGeometry, u64)> {
        let p = t.domain().and_then(|d| d.generic_pt()).ok_or(ENODEV)?;
        Ok((p.geometry().ok_or(EINVAL)?, p.root_pa()))
    }

    /// Every mapped 4K page as (iova, pa), from the walker.
    fn pages(t: &PtTable) -> Result<KVec<(u64, u64)>> {
        let (g, root) = geometry(t)?;
        let mut v = KVec::new();
        let mut err: Result = Ok(());
        let st = walk(&g, root, &mut PhysMemory, Limits::default(), |s| {
            if let Step::Leaf { iova, pa, size, .. } = *s {
                for off in (0..size).step_by(4096) {
                    if let Err(e) = v.push((iova + off, pa + off), GFP_KERNEL) {
                        err = Err(e.into());
                    }
                }
            }
        });
        err?;
        if st.unreadable != 0 || st.reserved != 0 {
            return Err(EIO);
        }
        Ok(v)
    }

    /// For every generic_pt format: ranges of various sizes and
    /// alignments (so map_range picks 4K pages, large leaves and, for
    /// AMDv1, size-encoded contiguous entries) are found by the walker page
    /// for page, and agree with the format's own iova_to_phys.
    #[test]
    fn walker_finds_exactly_what_was_mapped() -> Result {
        if !cfg!(any(CONFIG_IOMMU_PT, CONFIG_IOMMU_PT = "m")) {
            return crate::sys::testing::skip(
                c"the kernel has no generic_pt formats (CONFIG_IOMMU_PT)",
            );
        }
        let formats = [
            (Format::AmdV1, 48u32, 3u32),
            (Format::VtdSs, 48, 3),
            (Format::X86_64, 48, 3),
            (Format::Riscv64, 48, 3),
        ];
        // (iova, pa, len): 4K pages, a 64K aligned run, a 2M leaf, an
        // unaligned multi-page run crossing a 2M boundary.
        let ranges = [
            (0x1000u64, 0x4000_1000u64, 0x1000u64),
            (0x10_0000, 0x4100_0000, 0x1_0000),
            (0x4000_0000, 0x8000_0000, 0x20_0000),
            (0x1f_e000, 0x4200_3000, 0x5000),
            (0x7f_ffff_f000, 0x4300_0000, 0x1000),
        ];
        for (want, vasz, top) in formats {
            let t = ctx!(PtTable::new(want, vasz, top), "alloc {:?}", want);
            let (g, _) = ctx!(geometry(&t), "geometry {:?}", want);
            assert_eq!(g.fmt, want);
            for &(iova, pa, len) in ranges.iter() {
                ctx!(
                    t.map(iova, pa, len, RW),
                    "map {:?} {:#x}+{:#x}",
                    want,
                    iova,
                    len
                );
            }
            let pages = ctx!(pages(&t), "walk {:?}", want);
            let expected: u64 = ranges.iter().map(|r| r.2 / 4096).sum();
            assert_eq!(pages.len() as u64, expected);
            for &(iova, pa, len) in ranges.iter() {
                for off in (0..len).step_by(4096) {
                    let found = pages.iter().find(|p| p.0 == iova + off).map(|p| p.1);
                    assert_eq!(found, Some(pa + off));
                }
                assert_eq!(t.iova_to_phys(iova), pa);
                assert_eq!(t.iova_to_phys(iova + len - 1), pa + len - 1);
            }
        }
        Ok(())
    }

    /// AMDv1 maps a 64K-aligned 64K range as one size-encoded entry
    /// replicated 16 times; the decoded dump shows it as one run.
    #[test]
    fn amdv1_contiguous_is_one_run() -> Result {
        if !cfg!(any(CONFIG_IOMMU_PT, CONFIG_IOMMU_PT = "m")) {
            return crate::sys::testing::skip(
                c"the kernel has no generic_pt formats (CONFIG_IOMMU_PT)",
            );
        }
        let t = ctx!(PtTable::new(Format::AmdV1, 48, 3), "alloc amdv1");
        ctx!(t.map(0x10_0000, 0x4100_0000, 0x1_0000, RW), "map 64K");
        let (g, root) = geometry(&t)?;
        let mut b = Buf(KVec::new());
        crate::pure::genpt::write_decoded(&mut b, &g, root, &mut PhysMemory, Limits::default())
            .map_err(|_| ENOMEM)?;
        let want = b"0x0000000000100000-0x0000000000110000    64K pa=0x0000000041000000 L0 page   RW- user ";
        assert!(b.0.starts_with(want));
        assert_eq!(b.0.iter().filter(|&&c| c == b'\n').count(), 1);
        Ok(())
    }
}
