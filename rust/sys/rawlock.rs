// SPDX-License-Identifier: GPL-2.0

//! `RawSpinLockIrq<T>`: the kernel crate's `Lock` on a `raw_spinlock_t`,
//! taken with interrupts saved and disabled.
//!
//! A hook (fprobe handler, tracepoint probe) runs with preemption off in
//! any context; on PREEMPT_RT a `spinlock_t` is a sleeping lock there, so
//! the state a hook shares with readers is guarded by this lock instead. A
//! section under it must be short and bounded, must not allocate, and must
//! not take a `spinlock_t` or a mutex (lockdep's raw-lock nesting check
//! says so on every kernel with PROVE_LOCKING).
//!
//! Owns: the lock backend and its C helpers. Must not: hold any state.

use kernel::sync::lock::{Backend, Lock};

use super::ffi;

/// A `raw_spinlock_t` with interrupts disabled while held. Make one with
/// `new_raw_spinlock_irq!`.
pub(crate) type RawSpinLockIrq<T> = Lock<T, RawSpinLockIrqBackend>;

/// The backend of `RawSpinLockIrq`.
pub(crate) struct RawSpinLockIrqBackend;

/// Makes a `RawSpinLockIrq` initialiser with a lockdep class of its own
/// per call site.
macro_rules! new_raw_spinlock_irq {
    ($inner:expr, $name:literal $(,)?) => {
        kernel::sync::lock::Lock::<_, $crate::sys::rawlock::RawSpinLockIrqBackend>::new(
            $inner,
            kernel::c_str!($name),
            kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_raw_spinlock_irq;

// SAFETY: `lock` and `unlock` are `raw_spin_lock_irqsave` and
// `raw_spin_unlock_irqrestore` with the flags the lock returned, so one CPU
// at a time owns the lock between them; `relock` is the default (`lock`).
unsafe impl Backend for RawSpinLockIrqBackend {
    type State = kernel::bindings::raw_spinlock_t;
    type GuardState = kernel::ffi::c_ulong;

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: the caller gives a `ptr` valid for writes, and a `name`
        // and `key` valid forever (trait contract).
        unsafe { ffi::iommu_scope_raw_spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the lock was initialised (trait contract).
        unsafe { ffi::iommu_scope_raw_spin_lock_irqsave(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        let mut flags: kernel::ffi::c_ulong = 0;
        // SAFETY: the lock was initialised (trait contract); `flags` is a
        // valid place for the saved interrupt state.
        if unsafe { ffi::iommu_scope_raw_spin_trylock_irqsave(ptr, &mut flags) } {
            Some(flags)
        } else {
            None
        }
    }

    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        // SAFETY: the caller owns the lock (trait contract) and
        // `guard_state` is the flags its `lock` saved.
        unsafe { ffi::iommu_scope_raw_spin_unlock_irqrestore(ptr, *guard_state) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: the lock was initialised (trait contract).
        unsafe { ffi::iommu_scope_raw_spin_assert_held(ptr) }
    }
}
