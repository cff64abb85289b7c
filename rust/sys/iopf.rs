// SPDX-License-Identifier: GPL-2.0

//! IO page faults as plain records (`c/iopf.c` reads `struct iopf_fault`
//! and `struct iopf_group`; [`include/linux/iommu.h`](srctree/include/linux/iommu.h)).
//!
//! Owns: `Fault`, the copy of one fault the IOPF accounting keeps.
//! Must not: change a fault or a group.

use kernel::bindings;

use super::ffi;

/// One IO page fault (a copy).
#[derive(Clone, Copy, Default)]
pub(crate) struct Fault(ffi::iommu_scope_iopf_rec);

impl Fault {
    /// The fault `iommu_report_device_fault(dev, evt)` reported.
    ///
    /// # Safety
    ///
    /// `dev` and `evt` must be the arguments of a report in progress or
    /// just returned, still owned by the reporting IOMMU driver.
    pub(crate) unsafe fn of_report(dev: usize, evt: usize) -> Option<Self> {
        let mut r = ffi::iommu_scope_iopf_rec::default();
        // SAFETY: both are alive (caller's contract); the helper copies
        // numbers and names.
        let ret = unsafe { ffi::iommu_scope_iopf_read(dev as *mut _, evt as *mut _, &mut r) };
        (ret == 0).then_some(Self(r))
    }

    /// The fault `iopf_group_response(group, ...)` answers.
    ///
    /// # Safety
    ///
    /// `group` must be the live group being answered.
    pub(crate) unsafe fn of_group(group: usize) -> Option<Self> {
        let mut r = ffi::iommu_scope_iopf_rec::default();
        // SAFETY: the group is alive (caller's contract); the helper copies
        // its last fault.
        let ret = unsafe { ffi::iommu_scope_iopf_group_read(group as *mut _, &mut r) };
        (ret == 0).then_some(Self(r))
    }

    /// The faulting device's name.
    pub(crate) fn device(&self) -> &[u8] {
        bytes(&self.0.dev)
    }

    /// The SVA domain's process key (`mm_<hashed %p>`), or `-`.
    pub(crate) fn process(&self) -> &[u8] {
        bytes(&self.0.mm)
    }

    /// The PASID, if valid.
    pub(crate) fn pasid(&self) -> Option<u32> {
        (self.0.flags & bindings::IOMMU_FAULT_PAGE_REQUEST_PASID_VALID != 0).then_some(self.0.pasid)
    }

    /// Read access requested.
    pub(crate) fn read(&self) -> bool {
        self.0.perm & bindings::IOMMU_FAULT_PERM_READ != 0
    }

    /// Write access requested.
    pub(crate) fn write(&self) -> bool {
        self.0.perm & bindings::IOMMU_FAULT_PERM_WRITE != 0
    }

    /// Execute access requested.
    pub(crate) fn exec(&self) -> bool {
        self.0.perm & bindings::IOMMU_FAULT_PERM_EXEC != 0
    }

    /// The record for the tracepoint.
    pub(super) fn raw(&self) -> &ffi::iommu_scope_iopf_rec {
        &self.0
    }
}

/// Whether a page response status means the fault was handled.
pub(crate) fn response_ok(status: usize) -> bool {
    status as u32 == bindings::iommu_page_response_code_IOMMU_PAGE_RESP_SUCCESS
}

/// The bytes of a NUL-terminated C `char` array, up to the NUL.
fn bytes(b: &[kernel::ffi::c_char]) -> &[u8] {
    super::c_chars(b).as_bytes()
}
