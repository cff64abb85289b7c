// SPDX-License-Identifier: GPL-2.0

//! Reading page-table memory by physical address without ever faulting
//! (`c/helpers.c`: `copy_from_kernel_nofault` of
//! [`include/linux/uaccess.h`](srctree/include/linux/uaccess.h) through the
//! linear map, after checking that the address is RAM with a
//! `struct page`).
//!
//! Owns: `PhysMemory`, the `walk::Memory` every walk of a live table uses.
//! Must not: write memory, or promise more than it does: a table freed and
//! reused during a walk is read as whatever the page then holds (the dumps
//! detect that with the unmap counters, see `ptdump`).

use super::ffi;
use crate::pure::walk::Memory;

/// Reads tables through the kernel's linear map without ever faulting.
pub(crate) struct PhysMemory;

impl Memory for PhysMemory {
    fn read(&mut self, table_pa: u64, _size: u64, index: usize) -> Option<u64> {
        let pa = table_pa.checked_add(8u64.checked_mul(index as u64)?)?;
        let mut v = 0u64;
        // SAFETY: the helper validates the address (aligned, RAM with a
        // struct page) and reads with `copy_from_kernel_nofault`; `v` is a
        // valid destination.
        let r = unsafe { ffi::iommu_scope_read_phys_u64(pa, &mut v) };
        (r == 0).then_some(v)
    }

    fn table_ok(&mut self, pa: u64, size: u64) -> bool {
        // SAFETY: the helper only inspects `struct page`s of valid PFNs.
        unsafe { ffi::iommu_scope_table_ok(pa, size) }
    }
}
