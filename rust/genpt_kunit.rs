// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_genpt`: the walker against real generic_pt
//! tables (AMDv1, VT-d second stage, x86_64, RISC-V 64) built with the
//! kernel's own `pt_iommu_<fmt>_init` and `map_range`, read through the
//! same domain path the `ptdump` file uses.
//!
//! Owns: that suite. Must not: leave a table allocated.

#[kernel::macros::kunit_tests(iommu_scope_genpt)]
mod tests {
    use kernel::{bindings, prelude::*};

    use crate::domain_files::{pt_geometry, KernelMemory};
    use crate::ffi;
    use crate::iommu::first_iommu_pci_device;
    use crate::kunit_util::{ctx, Buf};
    use crate::pure::genpt::{Format, PtGeometry};
    use crate::pure::walk::{walk, Limits, Step};

    /// A generic_pt table owned by the test.
    ///
    /// # Invariants
    ///
    /// `t` was returned by `iommu_scope_pt_test_alloc` and is freed on drop.
    struct Table {
        t: *mut ffi::iommu_scope_pt_test,
    }

    impl Table {
        fn new(fmt: u32, vasz: u32, top: u32) -> Result<Self> {
            let dev = first_iommu_pci_device().ok_or(ENODEV)?;
            // SAFETY: `dev` is a live device for the call; the helper
            // allocates and initialises a table, or returns an ERR_PTR.
            let t = unsafe { ffi::iommu_scope_pt_test_alloc(fmt, vasz, top, dev.as_raw()) };
            let v = t as isize;
            if t.is_null() || (-4095..0).contains(&v) {
                return Err(Error::from_errno(if t.is_null() { -12 } else { v as i32 }));
            }
            Ok(Self { t })
        }

        fn map(&self, iova: u64, pa: u64, len: u64, prot: i32) -> Result {
            // SAFETY: `t` is live (invariant).
            let r = unsafe { ffi::iommu_scope_pt_test_map(self.t, iova, pa, len, prot) };
            if r < 0 {
                return Err(Error::from_errno(r));
            }
            Ok(())
        }

        fn iova_to_phys(&self, iova: u64) -> u64 {
            // SAFETY: `t` is live (invariant).
            unsafe { ffi::iommu_scope_pt_test_iova_to_phys(self.t, iova) }
        }

        /// The geometry and root, read as `ptdump` reads a domain.
        fn geometry(&self) -> Result<(PtGeometry, u64)> {
            let mut rec = ffi::iommu_scope_pt_domain::default();
            // SAFETY: the table's domain is live (invariant).
            let r = unsafe {
                ffi::iommu_scope_pt_domain_get(ffi::iommu_scope_pt_test_domain(self.t), &mut rec)
            };
            if r != 0 {
                return Err(Error::from_errno(r));
            }
            let g = pt_geometry(&rec).ok_or(EINVAL)?;
            Ok((g, rec.root_pa))
        }

        /// Every mapped 4K page as (iova, pa), from the walker.
        fn pages(&self) -> Result<KVec<(u64, u64)>> {
            let (g, root) = self.geometry()?;
            let mut v = KVec::new();
            let mut err: Result = Ok(());
            let st = walk(&g, root, &mut KernelMemory, Limits::default(), |s| {
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
    }

    impl Drop for Table {
        fn drop(&mut self) {
            // SAFETY: allocated by `iommu_scope_pt_test_alloc` (invariant).
            unsafe { ffi::iommu_scope_pt_test_free(self.t) };
        }
    }

    const RW: i32 = (bindings::IOMMU_READ | bindings::IOMMU_WRITE) as i32;

    /// For every generic_pt format: ranges of various sizes and
    /// alignments (so map_range picks 4K pages, large leaves and, for
    /// AMDv1, size-encoded contiguous entries) are found by the walker page
    /// for page, and agree with the format's own iova_to_phys.
    #[test]
    fn walker_finds_exactly_what_was_mapped() -> Result {
        let formats = [
            (
                ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_AMDV1,
                Format::AmdV1,
                48u32,
                3u32,
            ),
            (
                ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_VTDSS,
                Format::VtdSs,
                48,
                3,
            ),
            (
                ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_X86_64,
                Format::X86_64,
                48,
                3,
            ),
            (
                ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_RISCV64,
                Format::Riscv64,
                48,
                3,
            ),
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
        for (fmt, want, vasz, top) in formats {
            let t = ctx!(Table::new(fmt, vasz, top), "alloc {:?}", want);
            let (g, _) = ctx!(t.geometry(), "geometry {:?}", want);
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
            let pages = ctx!(t.pages(), "walk {:?}", want);
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
        let t = ctx!(
            Table::new(ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_AMDV1, 48, 3),
            "alloc amdv1"
        );
        ctx!(t.map(0x10_0000, 0x4100_0000, 0x1_0000, RW), "map 64K");
        let (g, root) = t.geometry()?;
        let mut b = Buf(KVec::new());
        crate::pure::genpt::write_decoded(&mut b, &g, root, &mut KernelMemory, Limits::default())
            .map_err(|_| ENOMEM)?;
        let want = b"0x0000000000100000-0x0000000000110000    64K pa=0x0000000041000000 L0 page   RW- user ";
        assert!(b.0.starts_with(want));
        assert_eq!(b.0.iter().filter(|&&c| c == b'\n').count(), 1);
        Ok(())
    }
}
