// SPDX-License-Identifier: GPL-2.0

//! A probe on the iommu core's own `iommu:map` tracepoint
//! ([`include/trace/events/iommu.h`](srctree/include/trace/events/iommu.h),
//! found by name in `c/map_trace.c`), delivering each map's IOVA, physical
//! address and mapped size to a handler the registration owns. The core
//! fires it in `iommu_map_nosync()` once the page table is written, with
//! the size really mapped (also when the call then fails and unmaps that
//! much again): a direct call, cheaper than a function-return probe.
//!
//! Owns: `MapTrace`, which keeps its handler alive while the probe can run.
//! Must not: decide anything about the map (the handler does).

use core::ffi::c_void;

use kernel::{
    prelude::*,
    sync::{Arc, ArcBorrow},
};

use super::ffi;

/// What runs at each map: inside `iommu_map_nosync()`, in any context, so
/// it must not sleep, allocate or take a sleeping lock.
pub(crate) trait MapHandler: Send + Sync + 'static {
    /// `size` bytes at `iova` now translate to `pa` (a contiguous range).
    fn mapped(this: ArcBorrow<'_, Self>, iova: u64, pa: u64, size: u64);
}

/// The C probe callback: hands the map to `T::mapped`.
///
/// # Safety
///
/// Called by `c/map_trace.c` only, with the `data` a `MapTrace<T>`
/// registered: a pointer from `Arc::<T>::into_raw` that stays valid until
/// the probe is unregistered and waited for.
unsafe extern "C" fn trampoline<T: MapHandler>(
    data: *mut c_void,
    iova: kernel::ffi::c_ulong,
    pa: ffi::phys_addr_t,
    size: usize,
) {
    // SAFETY: `data` comes from `Arc::<T>::into_raw` (function contract),
    // and that reference is held until the probe is unregistered and
    // waited for, so it outlives this call.
    let h = unsafe { ArcBorrow::<T>::from_raw(data.cast::<T>()) };
    T::mapped(h, iova as u64, pa, size as u64);
}

/// The registered probe and its handler.
///
/// # Invariants
///
/// `handler` comes from `Arc::into_raw`; while `self` exists the probe is
/// registered with it as its data, and that reference is only given back
/// in `drop`, after the probe is unregistered and waited for. One probe
/// exists at a time per module: the C side refuses a second with `EBUSY`.
pub(crate) struct MapTrace<T: MapHandler> {
    handler: *const T,
}

// SAFETY: the probe only shares its handler, which is `Send + Sync`.
unsafe impl<T: MapHandler> Send for MapTrace<T> {}
// SAFETY: as above; `&MapTrace` gives no access at all.
unsafe impl<T: MapHandler> Sync for MapTrace<T> {}

impl<T: MapHandler> MapTrace<T> {
    /// Registers the probe with `handler`; `EBUSY` if a probe is
    /// registered already.
    pub(crate) fn register(handler: Arc<T>) -> Result<Self> {
        let raw = Arc::into_raw(handler);
        // SAFETY: `trampoline::<T>` matches the callback type and reads
        // only `raw`, which stays valid until `drop` (or just below on
        // failure).
        let r = unsafe {
            ffi::iommu_scope_map_trace_register(Some(trampoline::<T>), raw.cast_mut().cast())
        };
        if r != 0 {
            // SAFETY: `raw` came from `Arc::into_raw` above and no probe is
            // registered with it.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(Error::from_errno(r));
        }
        // INVARIANT: registered with `raw` as data.
        Ok(Self { handler: raw })
    }
}

impl<T: MapHandler> Drop for MapTrace<T> {
    fn drop(&mut self) {
        // SAFETY: the probe is registered (invariant); this unregisters it
        // and waits (`tracepoint_synchronize_unregister`) until it no
        // longer runs.
        unsafe { ffi::iommu_scope_map_trace_unregister() };
        // SAFETY: from `Arc::into_raw` in `register`; no probe can use it
        // any more.
        drop(unsafe { Arc::from_raw(self.handler) });
    }
}

/// IOMMUs, and devices behind one, that are not arm-smmu-v3 (1 if there
/// is no arm-smmu-v3 instance at all; process context: walks the buses).
pub(crate) fn foreign_iommu_devices() -> u32 {
    // SAFETY: process context, after `smmu::SmmuSupport::init`; the walks
    // pin each device they visit (`bus_for_each_dev`,
    // `class_for_each_device`); the `dev->iommu` chain of a device being
    // removed at that moment is the load-time race documented in the C.
    let n = unsafe { ffi::iommu_scope_foreign_iommu_devices() };
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Whether `ops`, the ops an IOMMU is being registered with, are
/// arm-smmu-v3's (false if no arm-smmu-v3 instance was found at load).
pub(crate) fn is_smmu_v3_ops(ops: usize) -> bool {
    // SAFETY: the helper only compares the pointer with the ops recorded
    // at load; it never dereferences it.
    unsafe { ffi::iommu_scope_is_smmu_v3_ops(ops as *const _) }
}
