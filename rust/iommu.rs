// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers around the exported iommu core API, for the module's own
//! use: finding devices behind an IOMMU and owning test domains.
//!
//! Owns: `PagingDomain` (a domain the module allocated itself) and device
//! lookup on the PCI bus.
//! Must not: touch domains that belong to other drivers except through the
//! read-only lookups here.

use core::ffi::{c_int, c_void};

use kernel::{bindings, prelude::*};

use crate::ffi;

/// Read permission for `PagingDomain::map`.
pub(crate) const IOMMU_READ: i32 = bindings::IOMMU_READ as i32;
/// Write permission for `PagingDomain::map`.
pub(crate) const IOMMU_WRITE: i32 = bindings::IOMMU_WRITE as i32;

/// Whether `dev` sits behind an IOMMU (has an iommu group).
fn has_iommu(dev: *mut bindings::device) -> bool {
    // SAFETY: `dev` is a live device handed to us by the bus iterator.
    !unsafe { (*dev).iommu_group }.is_null()
}

/// A counted reference to a `struct device`.
///
/// # Invariants
///
/// `ptr` is a valid device on which this object holds one reference
/// (`get_device`), dropped with `put_device`.
pub(crate) struct DeviceRef {
    ptr: *mut bindings::device,
}

// SAFETY: a device reference may be taken and dropped on any thread.
unsafe impl Send for DeviceRef {}
// SAFETY: `&DeviceRef` only gives read access to the device's name.
unsafe impl Sync for DeviceRef {}

impl DeviceRef {
    /// Takes a reference on `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be a valid device for the duration of the call.
    pub(crate) unsafe fn get(dev: *mut bindings::device) -> Self {
        // SAFETY: `dev` is valid (caller's contract).
        let ptr = unsafe { bindings::get_device(dev) };
        Self { ptr }
    }

    /// The raw pointer, valid while `self` lives.
    pub(crate) fn as_raw(&self) -> *mut bindings::device {
        self.ptr
    }
}

impl Drop for DeviceRef {
    fn drop(&mut self) {
        // SAFETY: we hold one reference (invariant).
        unsafe { bindings::put_device(self.ptr) };
    }
}

/// The first PCI device (in bus order) that sits behind an IOMMU, with a
/// reference held.
pub(crate) fn first_iommu_pci_device() -> Option<DeviceRef> {
    /// # Safety
    ///
    /// Called by the bus iterator with a live `dev` and the `data` given
    /// below (a `*mut Option<DeviceRef>`).
    unsafe extern "C" fn pick(dev: *mut bindings::device, data: *mut c_void) -> c_int {
        if !has_iommu(dev) {
            return 0;
        }
        // SAFETY: `data` points to the `Option` in the caller's frame, alive
        // for the whole walk; `dev` is live during the callback, and
        // `DeviceRef::get` takes the reference that keeps it alive after.
        unsafe { *data.cast::<Option<DeviceRef>>() = Some(DeviceRef::get(dev)) };
        1
    }
    let mut found: Option<DeviceRef> = None;
    // SAFETY: `pick` matches the callback contract and `found` outlives the
    // call.
    unsafe { ffi::iommu_scope_walk_pci_devs(Some(pick), (&raw mut found).cast()) };
    found
}

/// A paging domain allocated by the module for a device (not attached).
///
/// # Invariants
///
/// `ptr` is a valid paging domain returned by
/// `iommu_paging_domain_alloc_flags`, owned by this object, freed on drop.
pub(crate) struct PagingDomain {
    ptr: *mut bindings::iommu_domain,
}

// SAFETY: the iommu core allows map/unmap/iova_to_phys on a domain from any
// thread; the module never relies on thread affinity.
unsafe impl Send for PagingDomain {}
// SAFETY: as above, the core's operations take `&self` safely concurrently.
unsafe impl Sync for PagingDomain {}

impl PagingDomain {
    /// Allocates a paging domain suitable for `dev`.
    pub(crate) fn alloc(dev: &DeviceRef) -> Result<Self> {
        // SAFETY: `dev.as_raw()` is a valid device for the call's duration.
        let ptr = unsafe { bindings::iommu_paging_domain_alloc_flags(dev.as_raw(), 0) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        // IS_ERR: the top 4095 values of the address space are errnos.
        let v = ptr as isize;
        if (-4095..0).contains(&v) {
            return Err(Error::from_errno(v as i32));
        }
        Ok(Self { ptr })
    }

    /// Maps `[iova, iova + size)` to `paddr` with `prot` (IOMMU_READ|WRITE).
    pub(crate) fn map(&self, iova: u64, paddr: u64, size: usize, prot: i32) -> Result {
        // SAFETY: `self.ptr` is a valid paging domain (invariant).
        let ret = unsafe {
            bindings::iommu_map(
                self.ptr,
                iova as usize,
                paddr as bindings::phys_addr_t,
                size,
                prot,
                bindings::GFP_KERNEL,
            )
        };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// Unmaps `[iova, iova + size)`; returns the number of bytes unmapped.
    pub(crate) fn unmap(&self, iova: u64, size: usize) -> usize {
        // SAFETY: `self.ptr` is a valid paging domain (invariant).
        unsafe { bindings::iommu_unmap(self.ptr, iova as usize, size) }
    }

    /// The physical address `iova` translates to, 0 if unmapped.
    pub(crate) fn iova_to_phys(&self, iova: u64) -> u64 {
        // SAFETY: `self.ptr` is a valid paging domain (invariant).
        unsafe { bindings::iommu_iova_to_phys(self.ptr, iova as bindings::dma_addr_t) as u64 }
    }
}

impl Drop for PagingDomain {
    fn drop(&mut self) {
        // SAFETY: owned, valid, never attached by this module (invariant).
        unsafe { bindings::iommu_domain_free(self.ptr) };
    }
}

/// Physical address of a page.
pub(crate) fn page_phys(page: &kernel::page::Page) -> u64 {
    // SAFETY: `page` is a live page owned by the caller.
    unsafe { ffi::iommu_scope_page_to_phys(page.as_ptr().cast()) as u64 }
}
