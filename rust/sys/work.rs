// SPDX-License-Identifier: GPL-2.0

//! Work items of the module: the queue they go on and waiting for them
//! ([`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)).
//!
//! Owns: the choice of workqueue and the one `flush_work` call.
//! Must not: run feature code (the work items' `run` does).

use kernel::{
    bindings,
    workqueue::{Queue, Work},
};

/// The queue for the module's work items: the unbound default queue
/// (`system_dfl_wq`). The older `system_wq` is deprecated in 7.3 and makes
/// the kernel warn ("enqueued on deprecated workqueue").
pub(crate) fn queue() -> &'static Queue {
    // SAFETY: `system_dfl_wq` is a C global set up at boot, never freed.
    unsafe { Queue::from_raw(bindings::system_dfl_wq) }
}

/// Waits until `work` is neither queued nor running (process context).
pub(crate) fn flush<T: ?Sized, const ID: u64>(work: &Work<T, ID>) {
    // SAFETY: `work` is an initialised work item (a `&Work` only exists
    // after its initialiser ran); `flush_work` only waits for it.
    unsafe { bindings::flush_work(Work::raw_get(work)) };
}
