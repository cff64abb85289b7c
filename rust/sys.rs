// SPDX-License-Identifier: GPL-2.0

//! The kernel-facing layer: the only part of the crate that uses
//! `kernel::bindings` or the module's own bindgen output (`sys/ffi.rs`, for
//! `include/iommu_scope_ffi.h`). Everything the features need from the
//! kernel is here as a typed, safe wrapper:
//!
//! - `domain`: `Domain<'a>`, a handle on an `iommu_domain` that can only be
//!   made where the domain is known to be alive, and the plain records of
//!   its SMMUv3 or generic_pt page table and attached devices;
//! - `fprobe`: function entry/exit probes owning their handler;
//! - `page_free`: the probes on the page allocator's free tracepoints;
//! - `map_trace`: the probe on the iommu core's `iommu:map` tracepoint;
//! - `smmu`: the SMMUv3 driver's event queue and instances;
//! - `iopf`: IO page fault reports as plain records;
//! - `trace`: firing the module's tracepoints;
//! - `phys`: never-faulting reads of page-table memory;
//! - `rawlock`: a raw spinlock for state shared with hooks (PREEMPT_RT);
//! - `debugfs`, `work`, `task`: small helpers over the kernel crate.
//!
//! Owns: every `unsafe` call into C. Must not: hold feature state or
//! decide what a feature does with what it reads.

pub(crate) mod debugfs;
pub(crate) mod domain;
mod ffi;
pub(crate) mod fprobe;
// The product's tracepoints and IOPF records: not in the test module,
// which links none of their C.
#[cfg(not(iommu_scope_kunit))]
pub(crate) mod iopf;
#[cfg(iommu_scope_kunit)]
mod kunit;
pub(crate) mod map_trace;
pub(crate) mod page_free;
pub(crate) mod phys;
pub(crate) mod rawlock;
pub(crate) mod smmu;
pub(crate) mod task;
#[cfg(iommu_scope_kunit)]
pub(crate) mod testing;
#[cfg(not(iommu_scope_kunit))]
pub(crate) mod trace;
pub(crate) mod work;

/// Copies a NUL-terminated C `char` array into a `&str` view of it (up to
/// the first NUL, or the whole array; `?` if it is not UTF-8).
pub(crate) fn c_chars(b: &[kernel::ffi::c_char]) -> &str {
    // SAFETY: `c_char` is `u8` or `i8`, both one byte with the same layout,
    // so the same memory may be viewed as bytes for the same length.
    let bytes = unsafe { core::slice::from_raw_parts(b.as_ptr().cast::<u8>(), b.len()) };
    let n = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    core::str::from_utf8(&bytes[..n]).unwrap_or("?")
}

/// Calls `f` for every device on the PCI bus, then on the platform bus
/// (process context: the bus walk takes the buses' klist locks).
fn for_each_device(f: &mut dyn FnMut(*mut kernel::bindings::device)) {
    /// # Safety
    ///
    /// Called by the bus walk with a live `dev` (it holds a reference for
    /// the call) and the `data` given below.
    unsafe extern "C" fn one(
        dev: *mut kernel::bindings::device,
        data: *mut core::ffi::c_void,
    ) -> core::ffi::c_int {
        // SAFETY: `data` is the `&mut dyn FnMut` of `for_each_device`,
        // alive and not otherwise used during the walk.
        let f = unsafe { &mut *data.cast::<&mut dyn FnMut(*mut kernel::bindings::device)>() };
        f(dev);
        0
    }
    let mut f = f;
    // SAFETY: `one` matches the callback contract and `f` outlives the walk.
    unsafe { ffi::iommu_scope_walk_devs(Some(one), (&raw mut f).cast()) };
}
