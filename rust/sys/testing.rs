// SPDX-License-Identifier: GPL-2.0

//! Test-only wrappers for the KUnit suites (compiled into
//! `iommu_scope_kunit.ko` only, never into the product module): real
//! SMMUv3 paging domains, real io-pgtable-arm and generic_pt tables owned
//! by a test, writing a descriptor as hardware would, and the `ctx!` and
//! `Buf` helpers.
//!
//! Owns: every resource a test allocates, freed on drop. Must not: be
//! reachable from the product crate (`#[cfg(iommu_scope_kunit)]`), or touch
//! memory the test does not own.

use core::ptr::NonNull;

use kernel::{bindings, prelude::*};

use super::domain::Domain;
use super::ffi;
use crate::pure::genpt::Format;
use crate::pure::lpae::{Geometry, Stage};

/// Evaluates a `Result`; on error logs the formatted context and the errno,
/// then returns the error from the enclosing test.
macro_rules! ctx {
    ($e:expr, $($arg:tt)+) => {
        match $e {
            Ok(v) => v,
            Err(err) => {
                pr_err!("{}: error {}\n", format_args!($($arg)+), err.to_errno());
                return Err(err);
            }
        }
    };
}
pub(crate) use ctx;

/// A value the current KUnit test owns until it ends, however it ends:
/// dropped at the end of its scope like any value, or, when a failed
/// assertion aborts the test first (a KUnit assertion ends the test's
/// thread: no destructor runs), by KUnit's cleanup of that test. So a
/// failed test never leaves what it started (registered hooks) running
/// under the tests after it.
///
/// It is neither `Send` nor `Sync` (raw pointers): `drop` runs on the
/// test's thread, while `test` is running.
///
/// # Invariants
///
/// `ptr` came from `KBox::into_raw` of a `T`, and a deferred action
/// `drop_action::<T>` with `ptr` is registered on `test`, the test that
/// made it: that action is the only one to free `ptr`, once (run by
/// `kunit_release_action` in `drop`, or by KUnit when `test` ends).
pub(crate) struct UntilTestEnd<T> {
    test: *mut bindings::kunit,
    ptr: *mut T,
}

/// Frees a value of an `UntilTestEnd` (KUnit's deferred action).
///
/// # Safety
///
/// `p` is the `ptr` of an `UntilTestEnd<T>`, and this is its one call.
unsafe extern "C" fn drop_action<T>(p: *mut core::ffi::c_void) {
    // SAFETY: `p` came from `KBox::into_raw` of a `T` and is freed only
    // here (caller's contract).
    drop(unsafe { KBox::from_raw(p.cast::<T>()) });
}

impl<T: Send + 'static> UntilTestEnd<T> {
    /// Hands `v` to the current test (`EINVAL` outside a KUnit test). `T`
    /// is `Send` and `'static`: KUnit's cleanup may drop it on another
    /// thread, after the test's stack is gone.
    pub(crate) fn new(v: T) -> Result<Self> {
        // SAFETY: always safe to call; null outside a KUnit test.
        let test = unsafe { bindings::kunit_get_current_test() };
        if test.is_null() {
            return Err(EINVAL);
        }
        let ptr = KBox::into_raw(KBox::new(v, GFP_KERNEL)?);
        // SAFETY: `test` is the running test; `drop_action::<T>` frees
        // `ptr` once, which `kunit_add_action_or_reset` runs at once if it
        // cannot register it.
        let r = unsafe {
            bindings::kunit_add_action_or_reset(test, Some(drop_action::<T>), ptr.cast())
        };
        if r != 0 {
            return Err(Error::from_errno(r));
        }
        // INVARIANT: the action with `ptr` is registered on `test`.
        Ok(Self { test, ptr })
    }
}

impl<T> core::ops::Deref for UntilTestEnd<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `ptr` is freed only by the action: in `drop`, after every
        // borrow of `self`, or, when an assertion aborted the test, by
        // KUnit's cleanup, which starts only once the test's thread has
        // exited (`lib/kunit/test.c`), so no borrow is ever used again
        // (the caveat every Rust KUnit assertion has).
        unsafe { &*self.ptr }
    }
}

impl<T> Drop for UntilTestEnd<T> {
    fn drop(&mut self) {
        // SAFETY: runs the registered action now (freeing `ptr`) and
        // removes it, so KUnit does not run it again.
        unsafe {
            bindings::kunit_release_action(self.test, Some(drop_action::<T>), self.ptr.cast())
        };
    }
}

/// A text sink backed by a `KVec`, for `core::fmt::Write` users.
pub(crate) struct Buf(pub(crate) KVec<u8>);

impl core::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

/// Read and write permission for a test mapping.
pub(crate) const PROT_RW: i32 = (bindings::IOMMU_READ | bindings::IOMMU_WRITE) as i32;
/// Read-only permission for a test mapping.
pub(crate) const PROT_RO: i32 = bindings::IOMMU_READ as i32;

/// A counted reference to a device behind an IOMMU.
///
/// # Invariants
///
/// `ptr` is a valid device on which this object holds one reference
/// (`get_device`), dropped with `put_device`.
pub(crate) struct DeviceRef {
    ptr: NonNull<bindings::device>,
}

// SAFETY: a device reference may be taken and dropped on any thread.
unsafe impl Send for DeviceRef {}
// SAFETY: `&DeviceRef` gives no access but the pointer for calls that take
// their own references or only read.
unsafe impl Sync for DeviceRef {}

impl DeviceRef {
    fn as_raw(&self) -> *mut bindings::device {
        self.ptr.as_ptr()
    }
}

impl Drop for DeviceRef {
    fn drop(&mut self) {
        // SAFETY: we hold one reference (invariant).
        unsafe { bindings::put_device(self.as_raw()) };
    }
}

/// The first device (PCI bus first) that sits behind an IOMMU.
pub(crate) fn first_iommu_device() -> Result<DeviceRef> {
    let mut found: Option<DeviceRef> = None;
    let mut pick = |dev: *mut bindings::device| {
        if found.is_some() {
            return;
        }
        // SAFETY: the bus walk holds a reference on `dev` for the callback;
        // `get_device` takes ours.
        unsafe {
            if (*dev).iommu_group.is_null() {
                return;
            }
            // INVARIANT: one reference taken here.
            found = NonNull::new(bindings::get_device(dev)).map(|ptr| DeviceRef { ptr });
        }
    };
    super::for_each_device(&mut pick);
    found.ok_or(ENODEV)
}

/// `iommu_map` through the iommu core (so the module's hooks see it).
///
/// # Safety
///
/// `d` must be a live paging domain owned by the test.
unsafe fn core_map(
    d: *mut bindings::iommu_domain,
    iova: u64,
    pa: u64,
    size: u64,
    prot: i32,
) -> Result {
    // SAFETY: `d` is live (caller's contract).
    let r = unsafe {
        bindings::iommu_map(
            d,
            iova as usize,
            pa,
            size as usize,
            prot,
            bindings::GFP_KERNEL,
        )
    };
    if r < 0 {
        return Err(Error::from_errno(r));
    }
    Ok(())
}

/// `iommu_unmap` through the iommu core; the bytes unmapped.
///
/// # Safety
///
/// As for `core_map`.
unsafe fn core_unmap(d: *mut bindings::iommu_domain, iova: u64, size: u64) -> usize {
    // SAFETY: `d` is live (caller's contract).
    unsafe { bindings::iommu_unmap(d, iova as usize, size as usize) }
}

/// A paging domain the test allocated for a device (never attached).
///
/// # Invariants
///
/// `ptr` is a paging domain returned by `iommu_paging_domain_alloc_flags`,
/// owned by this object, freed on drop.
pub(crate) struct PagingDomain {
    ptr: NonNull<bindings::iommu_domain>,
    _dev: DeviceRef,
}

impl PagingDomain {
    /// Allocates a paging domain for `first_iommu_device()`.
    pub(crate) fn alloc() -> Result<Self> {
        let dev = first_iommu_device()?;
        // SAFETY: `dev` is a valid device for the call.
        let p = unsafe { bindings::iommu_paging_domain_alloc_flags(dev.as_raw(), 0) };
        let ptr = NonNull::new(kernel::error::from_err_ptr(p)?).ok_or(ENOMEM)?;
        Ok(Self { ptr, _dev: dev })
    }

    /// Maps `[iova, iova + size)` to `pa` through the iommu core.
    pub(crate) fn map(&self, iova: u64, pa: u64, size: u64, prot: i32) -> Result {
        // SAFETY: owned and live (invariant).
        unsafe { core_map(self.ptr.as_ptr(), iova, pa, size, prot) }
    }

    /// Unmaps through the iommu core; the bytes unmapped.
    pub(crate) fn unmap(&self, iova: u64, size: u64) -> usize {
        // SAFETY: owned and live (invariant).
        unsafe { core_unmap(self.ptr.as_ptr(), iova, size) }
    }

    /// The physical address `iova` translates to, 0 if unmapped.
    pub(crate) fn iova_to_phys(&self, iova: u64) -> u64 {
        // SAFETY: owned and live (invariant).
        unsafe { bindings::iommu_iova_to_phys(self.ptr.as_ptr(), iova) }
    }

    /// The domain, for the module's own readers.
    pub(crate) fn domain(&self) -> Option<Domain<'_>> {
        // SAFETY: owned and live for as long as `self` is borrowed.
        unsafe { Domain::from_raw(self.ptr.as_ptr()) }
    }

    /// The domain's page sizes (`pgsize_bitmap`): its granule and block
    /// sizes, which depend on the kernel's page size (arm-smmu-v3 picks
    /// the granule that matches it).
    pub(crate) fn page_sizes(&self) -> u64 {
        self.domain().map_or(0, |d| d.pgsize_bitmap())
    }

    /// The domain's smallest page size (4, 16 or 64 KiB), the unit the
    /// tests map in; an error if it has none.
    pub(crate) fn granule(&self) -> Result<u64> {
        match self.page_sizes() {
            0 => Err(EINVAL),
            b => Ok(1u64 << b.trailing_zeros()),
        }
    }
}

impl Drop for PagingDomain {
    fn drop(&mut self) {
        // SAFETY: owned, live, never attached (invariant).
        unsafe { bindings::iommu_domain_free(self.ptr.as_ptr()) };
    }
}

/// An io-pgtable-arm table the test allocated (`alloc_io_pgtable_ops`).
///
/// # Invariants
///
/// `ops` was returned by `alloc_io_pgtable_ops` for `cfg` (boxed so its
/// address is stable; io-pgtable keeps a copy only) and is freed on drop.
pub(crate) struct IoPgtable {
    ops: NonNull<bindings::io_pgtable_ops>,
    cfg: KBox<bindings::io_pgtable_cfg>,
    /// The geometry the table has.
    pub(crate) g: Geometry,
    _dev: DeviceRef,
}

impl IoPgtable {
    /// A table of `stage`, granule `1 << granule_shift`, `ias`/`oas` bits;
    /// `dirty_tracking` sets the DBM quirk (IO_PGTABLE_QUIRK_ARM_HD).
    pub(crate) fn new(
        stage: Stage,
        granule_shift: u32,
        ias: u32,
        oas: u32,
        dirty_tracking: bool,
    ) -> Result<Self> {
        let dev = first_iommu_device()?;
        let g = Geometry::io_pgtable(stage, granule_shift, ias, oas).map_err(|_| EINVAL)?;
        let mut cfg = KBox::new(bindings::io_pgtable_cfg::default(), GFP_KERNEL)?;
        if dirty_tracking {
            cfg.quirks = ffi::iommu_scope_pgtbl_quirks_IOMMU_SCOPE_QUIRK_ARM_HD as usize;
        }
        cfg.pgsize_bitmap = match granule_shift {
            12 => (1 << 12) | (1 << 21) | (1 << 30),
            14 => (1 << 14) | (1 << 25),
            _ => (1 << 16) | (1 << 29),
        };
        cfg.ias = ias;
        cfg.oas = oas;
        cfg.coherent_walk = true;
        cfg.iommu_dev = dev.as_raw();
        let fmt = match stage {
            Stage::S1 => bindings::io_pgtable_fmt_ARM_64_LPAE_S1,
            Stage::S2 => bindings::io_pgtable_fmt_ARM_64_LPAE_S2,
        };
        // SAFETY: `cfg` is a valid, initialised configuration that outlives
        // the table; a NULL cookie is allowed without tlb ops.
        let ops = unsafe { bindings::alloc_io_pgtable_ops(fmt, &mut *cfg, core::ptr::null_mut()) };
        let ops = NonNull::new(ops).ok_or(ENOMEM)?;
        Ok(Self {
            ops,
            cfg,
            g,
            _dev: dev,
        })
    }

    /// The root's physical address (TTBR / VTTBR).
    pub(crate) fn root(&self) -> u64 {
        // SAFETY: io-pgtable-arm filled the variant matching the stage.
        unsafe {
            match self.g.stage {
                Stage::S1 => self.cfg.__bindgen_anon_1.arm_lpae_s1_cfg.ttbr,
                Stage::S2 => self.cfg.__bindgen_anon_1.arm_lpae_s2_cfg.vttbr,
            }
        }
    }

    /// The page sizes of the table.
    pub(crate) fn pgsize_bitmap(&self) -> u64 {
        self.cfg.pgsize_bitmap as u64
    }

    /// The raw VTCR.SL0 io-pgtable-arm programmed (stage 2 only).
    pub(crate) fn vtcr_sl0(&self) -> Option<u32> {
        // SAFETY: io-pgtable-arm filled the stage-2 variant for stage 2.
        (self.g.stage == Stage::S2)
            .then(|| unsafe { self.cfg.__bindgen_anon_1.arm_lpae_s2_cfg.vtcr.sl() })
    }

    /// Maps `[iova, iova + size)` (one page or block size) to `pa`.
    pub(crate) fn map(&self, iova: u64, pa: u64, size: u64, prot: i32) -> Result {
        let mut mapped = 0usize;
        let ops = self.ops.as_ptr();
        // SAFETY: `ops` is live (invariant); io-pgtable-arm always sets
        // `map_pages`.
        let r = unsafe {
            let f = (*ops).map_pages.ok_or(EINVAL)?;
            f(
                ops,
                iova as usize,
                pa,
                size as usize,
                1,
                prot,
                bindings::GFP_KERNEL,
                &mut mapped,
            )
        };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// The physical address `iova` translates to, 0 if unmapped.
    pub(crate) fn iova_to_phys(&self, iova: u64) -> u64 {
        let ops = self.ops.as_ptr();
        // SAFETY: `ops` is live (invariant).
        unsafe {
            match (*ops).iova_to_phys {
                Some(f) => f(ops, iova as usize),
                None => 0,
            }
        }
    }
}

impl Drop for IoPgtable {
    fn drop(&mut self) {
        // SAFETY: allocated by `alloc_io_pgtable_ops` (invariant).
        unsafe { bindings::free_io_pgtable_ops(self.ops.as_ptr()) };
    }
}

/// A generic_pt table the test allocated (`pt_iommu_<fmt>_init`, in
/// `tests-kunit/kunit-module/test_helpers.c`), with its domain.
///
/// # Invariants
///
/// `t` was returned by `iommu_scope_pt_test_alloc` and is freed on drop.
pub(crate) struct PtTable {
    t: NonNull<ffi::iommu_scope_pt_test>,
    /// The device the table was made for (the C side keeps a pointer).
    _dev: DeviceRef,
}

impl PtTable {
    /// A table of `fmt` with `vasz_lg2` input bits and its top at
    /// `top_level`.
    pub(crate) fn new(fmt: Format, vasz_lg2: u32, top_level: u32) -> Result<Self> {
        let dev = first_iommu_device()?;
        let f = match fmt {
            Format::AmdV1 => ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_AMDV1,
            Format::VtdSs => ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_VTDSS,
            Format::X86_64 => ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_X86_64,
            Format::Riscv64 => ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_RISCV64,
        };
        // SAFETY: `dev` is a live device for the call; the helper allocates
        // and initialises a table, or returns an ERR_PTR.
        let t = unsafe { ffi::iommu_scope_pt_test_alloc(f, vasz_lg2, top_level, dev.as_raw()) };
        let t = NonNull::new(kernel::error::from_err_ptr(t)?).ok_or(ENOMEM)?;
        Ok(Self { t, _dev: dev })
    }

    /// Maps with the format's own `map_range` (not through the core).
    pub(crate) fn map(&self, iova: u64, pa: u64, len: u64, prot: i32) -> Result {
        // SAFETY: `t` is live (invariant).
        let r = unsafe { ffi::iommu_scope_pt_test_map(self.t.as_ptr(), iova, pa, len, prot) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// The format's own `iova_to_phys`.
    pub(crate) fn iova_to_phys(&self, iova: u64) -> u64 {
        // SAFETY: `t` is live (invariant).
        unsafe { ffi::iommu_scope_pt_test_iova_to_phys(self.t.as_ptr(), iova) }
    }

    fn raw_domain(&self) -> *mut bindings::iommu_domain {
        // SAFETY: `t` is live (invariant); the helper returns its domain.
        unsafe { ffi::iommu_scope_pt_test_domain(self.t.as_ptr()) }
    }

    /// The table's domain, as the module's readers see it.
    pub(crate) fn domain(&self) -> Option<Domain<'_>> {
        // SAFETY: the domain lives as long as the table, borrowed here.
        unsafe { Domain::from_raw(self.raw_domain()) }
    }

    /// Maps through the iommu core (`iommu_map`).
    pub(crate) fn core_map(&self, iova: u64, pa: u64, size: u64, prot: i32) -> Result {
        // SAFETY: the test's own live paging domain.
        unsafe { core_map(self.raw_domain(), iova, pa, size, prot) }
    }

    /// Unmaps through the iommu core (`iommu_unmap`); the bytes unmapped.
    pub(crate) fn core_unmap(&self, iova: u64, size: u64) -> usize {
        // SAFETY: the test's own live paging domain.
        unsafe { core_unmap(self.raw_domain(), iova, size) }
    }
}

impl Drop for PtTable {
    fn drop(&mut self) {
        // SAFETY: allocated by `iommu_scope_pt_test_alloc` (invariant).
        unsafe { ffi::iommu_scope_pt_test_free(self.t.as_ptr()) };
    }
}

/// Overwrites descriptor `index` of a table page the test owns, as the
/// hardware (HTTU) or a driver would.
///
/// # Safety
///
/// `table_pa` must be a page-table page of a table the caller owns (an
/// `IoPgtable`), with `index` inside it, and nothing else may write that
/// descriptor meanwhile; the helper only refuses addresses that are not
/// allocated RAM.
pub(crate) unsafe fn write_desc(table_pa: u64, index: usize, val: u64) -> Result {
    let pa = table_pa
        .checked_add(8u64.checked_mul(index as u64).ok_or(EINVAL)?)
        .ok_or(EINVAL)?;
    // SAFETY: a descriptor of a table the caller owns (function contract);
    // the helper writes one aligned u64 of allocated RAM.
    let r = unsafe { ffi::iommu_scope_test_write_phys_u64(pa, val) };
    if r != 0 {
        return Err(Error::from_errno(r));
    }
    Ok(())
}

/// Marks the running KUnit case skipped (its `Ok` then reads `# SKIP`).
pub(crate) fn skip(reason: &CStr) -> Result {
    // SAFETY: `reason` is a NUL-terminated string alive for the call; the
    // helper copies it into the case's status comment.
    unsafe { ffi::iommu_scope_test_skip(reason.as_char_ptr()) };
    Ok(())
}

/// Skips the running case unless the kernel has generic_pt's AMDv1
/// format (`PtTable::new(Format::AmdV1, ..)`; its granule is 4 KiB
/// whatever the kernel's page size); true if skipped.
pub(crate) fn skip_without_amdv1() -> bool {
    if cfg!(any(CONFIG_IOMMU_PT_AMDV1, CONFIG_IOMMU_PT_AMDV1 = "m")) {
        return false;
    }
    let _ = skip(c"the kernel has no generic_pt AMDv1 format (CONFIG_IOMMU_PT_AMDV1)");
    true
}

/// The physical address of a page the test allocated.
pub(crate) fn page_phys(page: &kernel::page::Page) -> u64 {
    // SAFETY: `page` is a live page owned by the caller; the helper only
    // computes its address.
    unsafe { ffi::iommu_scope_test_page_to_phys(page.as_ptr()) }
}
