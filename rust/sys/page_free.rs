// SPDX-License-Identifier: GPL-2.0

//! Probes on the page allocator's free tracepoints (`kmem:mm_page_free`,
//! `kmem:mm_page_free_batched` of
//! [`include/trace/events/kmem.h`](srctree/include/trace/events/kmem.h),
//! found by name in `c/page_free_hooks.c`),
//! delivering every freed range to a handler the registration owns.
//!
//! Owns: `PageFreeHook`, which keeps its handler alive while the probes can
//! run. Must not: decide anything about the pages (the handler does).

use core::ffi::c_void;

use kernel::{
    prelude::*,
    sync::{Arc, ArcBorrow},
};

use super::ffi;

/// What runs when pages are freed: in any context (the free paths run in
/// hardirq and softirq too), so it must not sleep, allocate or take a
/// sleeping lock.
pub(crate) trait PageFreeHandler: Send + Sync + 'static {
    /// `nr` pages (of `PAGE_SIZE`) starting at physical address `pa` are
    /// being freed.
    fn freed(this: ArcBorrow<'_, Self>, pa: u64, nr: u32);
}

/// The C probe callback: hands the range to `T::freed`.
///
/// # Safety
///
/// Called by `c/page_free_hooks.c` only, with the `data` a
/// `PageFreeHook<T>` registered: a pointer from `Arc::<T>::into_raw` that
/// stays valid until the hook is dropped.
unsafe extern "C" fn trampoline<T: PageFreeHandler>(
    data: *mut c_void,
    pfn: kernel::ffi::c_ulong,
    nr: kernel::ffi::c_uint,
) {
    // SAFETY: `data` comes from `Arc::<T>::into_raw` (function contract),
    // and that reference is held until the hook is unregistered and waited
    // for, so it outlives this call.
    let h = unsafe { ArcBorrow::<T>::from_raw(data.cast::<T>()) };
    if let Some(pa) = (pfn as u64).checked_mul(kernel::page::PAGE_SIZE as u64) {
        T::freed(h, pa, nr);
    }
}

/// The registered probes and their handler.
///
/// # Invariants
///
/// `handler` comes from `Arc::into_raw`; while `self` exists the probes are
/// registered with it as their data, and that reference is only given back
/// in `drop`, after the probes are unregistered and waited for. Only one
/// hook exists at a time per module: the C side keeps one registration and
/// refuses a second with `EBUSY`.
pub(crate) struct PageFreeHook<T: PageFreeHandler> {
    handler: *const T,
}

// SAFETY: the hook only shares its handler, which is `Send + Sync`.
unsafe impl<T: PageFreeHandler> Send for PageFreeHook<T> {}
// SAFETY: as above; `&PageFreeHook` gives no access at all.
unsafe impl<T: PageFreeHandler> Sync for PageFreeHook<T> {}

impl<T: PageFreeHandler> PageFreeHook<T> {
    /// Registers the probes with `handler`; `ENOENT` if the kernel has no
    /// such tracepoints, `EBUSY` if a hook is registered already.
    pub(crate) fn register(handler: Arc<T>) -> Result<Self> {
        let raw = Arc::into_raw(handler);
        // SAFETY: `trampoline::<T>` matches the callback type and reads
        // only `raw`, which stays valid until `drop` (or just below on
        // failure).
        let r = unsafe {
            ffi::iommu_scope_page_free_register(Some(trampoline::<T>), raw.cast_mut().cast())
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

impl<T: PageFreeHandler> Drop for PageFreeHook<T> {
    fn drop(&mut self) {
        // SAFETY: the probes are registered (invariant); this unregisters
        // them and waits (`tracepoint_synchronize_unregister`) until no
        // probe runs.
        unsafe { ffi::iommu_scope_page_free_unregister() };
        // SAFETY: from `Arc::into_raw` in `register`; no probe can use it
        // any more.
        drop(unsafe { Arc::from_raw(self.handler) });
    }
}
