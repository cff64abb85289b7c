// SPDX-License-Identifier: GPL-2.0

//! The current task and the monotonic clock, for hooks: no lock, no
//! allocation, any context.
//!
//! Owns: nothing but these reads. Must not: keep a task reference.

use kernel::bindings;

use super::ffi;

/// The current task's name (NUL-padded) and pid.
pub(crate) fn current_comm_pid() -> ([u8; 16], i32) {
    let mut comm = [0u8; 16];
    let mut pid = 0;
    // SAFETY: `comm` has room for TASK_COMM_LEN (16) bytes; the helper
    // copies `current->comm` with `strscpy` and reads its pid.
    unsafe { ffi::iommu_scope_current_comm(comm.as_mut_ptr().cast(), comm.len(), &mut pid) };
    (comm, pid)
}

/// Whether the current CPU is online: tracepoints do not fire on a CPU
/// that is not (during hotplug, early in a secondary's start); any context.
pub(crate) fn cpu_online() -> bool {
    // SAFETY: reads this CPU's bit of the online mask; callable anywhere.
    unsafe { ffi::iommu_scope_cpu_online() }
}

/// The number of possible CPU ids (any context).
pub(crate) fn nr_cpu_ids() -> usize {
    // SAFETY: reads a variable set at boot.
    unsafe { ffi::iommu_scope_nr_cpu_ids() as usize }
}

/// Nanoseconds of the monotonic clock.
pub(crate) fn monotonic_ns() -> u64 {
    // SAFETY: `ktime_get` reads the clock; callable in any context.
    let t = unsafe { bindings::ktime_get() };
    u64::try_from(t).unwrap_or(0)
}

/// An identity of the current execution context: the task, plus the
/// interrupt level in its low two bits (0 task, 1 softirq, 2 hardirq, 3
/// NMI), so that work an interrupt does is never taken for the interrupted
/// task's own, nor a hardirq's for the softirq it interrupted. A
/// `task_struct` is aligned to at least 8 bytes: bits 0-1 are free.
pub(crate) fn context_id() -> usize {
    // SAFETY: reads `current` and the preempt count of this CPU; callable
    // anywhere.
    unsafe { ffi::iommu_scope_context_id() as usize }
}

/// Waits until every call that was running, or preempted, when this was
/// called has returned (process context: sleeps for an RCU and a tasks-RCU
/// grace period). Used after installing hooks, so that work that began
/// before them is over.
pub(crate) fn wait_for_callers() {
    // SAFETY: the helper only waits for grace periods; the caller is in
    // process context (it may sleep), as the callers' contract says.
    unsafe { ffi::iommu_scope_wait_for_callers() };
}
