// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers around the exported iommu core API, for the module's own
//! use: finding devices behind an IOMMU and owning test domains.
//!
//! Owns: `PagingDomain` (a domain the module allocated itself) and device
//! lookup on the PCI bus.
//! Must not: touch domains that belong to other drivers except through the
//! read-only lookups here.

use core::ffi::{c_int, c_void};

use kernel::{bindings, device::Device, prelude::*, sync::aref::ARef};

use crate::ffi;

/// Read permission for `PagingDomain::map`.
pub const IOMMU_READ: i32 = bindings::IOMMU_READ as i32;
/// Write permission for `PagingDomain::map`.
pub const IOMMU_WRITE: i32 = bindings::IOMMU_WRITE as i32;

/// Whether `dev` sits behind an IOMMU (has an iommu group).
fn has_iommu(dev: *mut bindings::device) -> bool {
    // SAFETY: `dev` is a live device handed to us by the bus iterator.
    !unsafe { (*dev).iommu_group }.is_null()
}

/// The first PCI device (in bus order) that sits behind an IOMMU, with a
/// reference held.
pub fn first_iommu_pci_device() -> Option<ARef<Device>> {
    unsafe extern "C" fn pick(dev: *mut bindings::device, data: *mut c_void) -> c_int {
        if !has_iommu(dev) {
            return 0;
        }
        // SAFETY: `data` points to the `Option` in the caller's frame, alive
        // for the whole walk; `dev` is live during the callback, and
        // `get_device` takes the reference that keeps it alive afterwards.
        unsafe { *data.cast::<Option<ARef<Device>>>() = Some(Device::get_device(dev)) };
        1
    }
    let mut found: Option<ARef<Device>> = None;
    // SAFETY: `pick` matches the callback contract and `found` outlives the
    // call.
    unsafe { ffi::iommu_scope_for_each_pci_dev(Some(pick), (&raw mut found).cast()) };
    found
}

/// A paging domain allocated by the module for a device (not attached).
///
/// # Invariants
///
/// `ptr` is a valid paging domain returned by
/// `iommu_paging_domain_alloc_flags`, owned by this object, freed on drop.
pub struct PagingDomain {
    ptr: *mut bindings::iommu_domain,
}

// SAFETY: the iommu core allows map/unmap/iova_to_phys on a domain from any
// thread; the module never relies on thread affinity.
unsafe impl Send for PagingDomain {}
// SAFETY: as above, the core's operations take `&self` safely concurrently.
unsafe impl Sync for PagingDomain {}

impl PagingDomain {
    /// Allocates a paging domain suitable for `dev`.
    pub fn alloc(dev: &Device) -> Result<Self> {
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

    /// The raw pointer, for hooks that compare domains.
    pub fn as_raw(&self) -> *mut bindings::iommu_domain {
        self.ptr
    }

    /// Maps `[iova, iova + size)` to `paddr` with `prot` (IOMMU_READ|WRITE).
    pub fn map(&self, iova: u64, paddr: u64, size: usize, prot: i32) -> Result {
        // SAFETY: `self.ptr` is a valid paging domain (invariant).
        let ret = unsafe {
            bindings::iommu_map(self.ptr, iova as _, paddr as _, size, prot, bindings::GFP_KERNEL)
        };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// Unmaps `[iova, iova + size)`; returns the number of bytes unmapped.
    pub fn unmap(&self, iova: u64, size: usize) -> usize {
        // SAFETY: `self.ptr` is a valid paging domain (invariant).
        unsafe { bindings::iommu_unmap(self.ptr, iova as _, size) }
    }

    /// The physical address `iova` translates to, 0 if unmapped.
    pub fn iova_to_phys(&self, iova: u64) -> u64 {
        // SAFETY: `self.ptr` is a valid paging domain (invariant).
        unsafe { bindings::iommu_iova_to_phys(self.ptr, iova as _) as u64 }
    }
}

impl Drop for PagingDomain {
    fn drop(&mut self) {
        // SAFETY: owned, valid, never attached by this module (invariant).
        unsafe { bindings::iommu_domain_free(self.ptr) };
    }
}

/// Physical address of a page.
pub fn page_phys(page: &kernel::page::Page) -> u64 {
    // SAFETY: `page` is a live page owned by the caller.
    unsafe { ffi::iommu_scope_page_to_phys(page.as_ptr().cast()) as u64 }
}
