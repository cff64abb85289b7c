// SPDX-License-Identifier: GPL-2.0

//! Probes on the iommu core's own `iommu:map` and `iommu:unmap`
//! tracepoints
//! ([`include/trace/events/iommu.h`](srctree/include/trace/events/iommu.h),
//! registered in `c/map_trace.c`), delivering each call's arguments to a
//! handler the registration owns. The core fires `iommu:map` in
//! `iommu_map_nosync()` once the page table is written, with the size
//! really mapped (also when the call then fails and unmaps that much
//! again), and `iommu:unmap` in `__iommu_unmap()` once the table is
//! written, with the size asked for and the size really unmapped: direct
//! calls, cheaper than function-return probes.
//!
//! Owns: `MapTrace` and `UnmapTrace`, which keep their handler alive while
//! the probe can run. Must not: decide anything about the call (the
//! handler does).

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

/// What runs as an unmap ends: inside `__iommu_unmap()`, in any context,
/// so it must not sleep, allocate or take a sleeping lock. Tracepoint
/// probes run under SRCU, not with preemption off: the handler may be
/// preempted and migrate.
pub(crate) trait UnmapHandler: Send + Sync + 'static {
    /// The unmap of `size` bytes at `iova` removed `unmapped` bytes from
    /// `iova` on (less than `size` if it stopped early).
    fn unmapped(this: ArcBorrow<'_, Self>, iova: u64, size: u64, unmapped: u64);
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

/// The C probe callback: hands the end of an unmap to `T::unmapped`.
///
/// # Safety
///
/// As for `trampoline`, with an `UnmapTrace<T>`'s `data`.
unsafe extern "C" fn unmap_trampoline<T: UnmapHandler>(
    data: *mut c_void,
    iova: kernel::ffi::c_ulong,
    size: usize,
    unmapped: usize,
) {
    // SAFETY: as in `trampoline`.
    let h = unsafe { ArcBorrow::<T>::from_raw(data.cast::<T>()) };
    T::unmapped(h, iova as u64, size as u64, unmapped as u64);
}

/// A registered tracepoint probe and its handler.
///
/// # Invariants
///
/// `handler` comes from `Arc::into_raw`; while `self` exists the probe is
/// registered with it as its data by a C function whose counterpart is
/// `unregister`, and that reference is only given back in `drop`, after
/// the probe is unregistered and waited for. One probe exists at a time
/// per tracepoint: the C side refuses a second with `EBUSY`.
pub(crate) struct TraceProbe<T: Send + Sync + 'static> {
    handler: *const T,
    unregister: unsafe extern "C" fn(),
}

// SAFETY: the probe only shares its handler, which is `Send + Sync`.
unsafe impl<T: Send + Sync + 'static> Send for TraceProbe<T> {}
// SAFETY: as above; `&TraceProbe` gives no access at all.
unsafe impl<T: Send + Sync + 'static> Sync for TraceProbe<T> {}

/// The probe on `iommu:map`.
pub(crate) type MapTrace<T> = TraceProbe<T>;
/// The probe on `iommu:unmap`.
pub(crate) type UnmapTrace<T> = TraceProbe<T>;

impl<T: Send + Sync + 'static> TraceProbe<T> {
    /// Registers with `register(raw handler)`.
    ///
    /// # Safety
    ///
    /// `register` must register a probe that passes the pointer it is
    /// given (as a `T`) to its callback, return 0 once it did (nonzero
    /// otherwise, with nothing registered), and `unregister` must remove
    /// that probe and wait until no callback runs.
    unsafe fn new(
        handler: Arc<T>,
        register: impl FnOnce(*mut c_void) -> i32,
        unregister: unsafe extern "C" fn(),
    ) -> Result<Self> {
        let raw = Arc::into_raw(handler);
        let r = register(raw.cast_mut().cast());
        if r != 0 {
            // SAFETY: `raw` came from `Arc::into_raw` above and no probe is
            // registered with it.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(Error::from_errno(r));
        }
        // INVARIANT: registered with `raw` as data; `unregister` undoes it.
        Ok(Self {
            handler: raw,
            unregister,
        })
    }
}

impl<T: MapHandler> TraceProbe<T> {
    /// Registers the `iommu:map` probe with `handler`; `EBUSY` if one is
    /// registered already.
    pub(crate) fn register(handler: Arc<T>) -> Result<Self> {
        let register = |raw| {
            // SAFETY: `trampoline::<T>` matches the callback type and reads
            // only `raw`, which stays valid until `drop` (or until `new`
            // gives it back on failure).
            unsafe { ffi::iommu_scope_map_trace_register(Some(trampoline::<T>), raw) }
        };
        // SAFETY: `iommu_scope_map_trace_register` registers the iommu:map
        // probe with the pointer as its data (0 on success, nothing
        // registered otherwise); `iommu_scope_map_trace_unregister` removes
        // it and waits (`tracepoint_synchronize_unregister`).
        unsafe { Self::new(handler, register, ffi::iommu_scope_map_trace_unregister) }
    }
}

impl<T: UnmapHandler> TraceProbe<T> {
    /// Registers the `iommu:unmap` probe with `handler`; `EBUSY` if one is
    /// registered already.
    pub(crate) fn register_unmap(handler: Arc<T>) -> Result<Self> {
        let register = |raw| {
            // SAFETY: as in `register`, with `unmap_trampoline::<T>`.
            unsafe { ffi::iommu_scope_unmap_trace_register(Some(unmap_trampoline::<T>), raw) }
        };
        // SAFETY: as in `register`, for the iommu:unmap probe.
        unsafe { Self::new(handler, register, ffi::iommu_scope_unmap_trace_unregister) }
    }
}

impl<T: Send + Sync + 'static> Drop for TraceProbe<T> {
    fn drop(&mut self) {
        // SAFETY: the probe is registered (invariant); this unregisters it
        // and waits (`tracepoint_synchronize_unregister`) until it no
        // longer runs.
        unsafe { (self.unregister)() };
        // SAFETY: from `Arc::into_raw` in `new`; no probe can use it any
        // more.
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
