// SPDX-License-Identifier: GPL-2.0

//! A safe wrapper around the kernel's fprobe (function entry and exit
//! probes, [`include/linux/fprobe.h`](srctree/include/linux/fprobe.h)).
//!
//! Owns: registration and unregistration of fprobes, and the trampolines
//! from the C callbacks to a Rust `Handler` that the probe owns, so a
//! handler (and the state it holds, an `Arc`) lives exactly as long as the
//! registration.
//! Must not: know what is being probed; handlers live with their features.

use core::ffi::c_void;
use core::marker::PhantomPinned;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::types::Opaque;

use super::domain::Domain;
use super::ffi;

/// The arguments of a probed function, valid for the duration of a handler.
pub(crate) struct Args {
    fregs: *mut ffi::ftrace_regs,
}

impl Args {
    /// The `n`-th integer or pointer argument (0-based) of the probed call.
    pub(crate) fn arg(&self, n: u32) -> usize {
        // SAFETY: `fregs` is the live `ftrace_regs` passed to the fprobe
        // callback (type invariant of `Args`, which only `entry_trampoline`
        // builds); reading an argument register has no side effect.
        unsafe { ffi::iommu_scope_fregs_arg(self.fregs, n) as usize }
    }

    /// Argument `n` as the domain the probed function operates on.
    ///
    /// # Safety
    ///
    /// Argument `n` of the probed function must be a `struct iommu_domain *`
    /// that is alive for the whole call (the iommu core holds it while it
    /// maps, unmaps, attaches or frees it), so for the handler's duration.
    /// `NULL` and `ERR_PTR` values give `None`.
    pub(crate) unsafe fn domain(&self, n: u32) -> Option<Domain<'_>> {
        // SAFETY: the pointer is live for the handler (caller's contract),
        // which outlives the borrow of `self`.
        unsafe { Domain::from_raw(self.arg(n) as *mut _) }
    }
}

/// What an entry handler passes to the exit handler of the same call.
pub(crate) type EntryData = [usize; 4];

/// What the entry trampoline stores for the exit: the handler's data and
/// the registration's cookie.
type Stored = (EntryData, u64);

/// What a probe does when the probed function is entered.
///
/// The handler runs in the probed function's context with preemption
/// disabled: it must not sleep, allocate with `GFP_KERNEL`, or take locks
/// that the probed function's callers may hold.
pub(crate) trait Handler: Sync + Send + 'static {
    /// Whether `exit` must be called when the probed function returns.
    const WANTS_EXIT: bool = false;

    /// Called on entry of the probed function. The value returned is handed
    /// to `exit` for the same call (if `WANTS_EXIT`).
    fn entry(&self, args: &Args) -> EntryData;

    /// Called when the probed function returns `ret` (its return register),
    /// with the value `entry` returned for this call.
    fn exit(&self, _entry: &EntryData, _ret: usize) {}
}

/// An fprobe registered on the kernel functions matching a filter.
///
/// # Invariants
///
/// `fp` is the first field of a `repr(C)` struct, so a pointer to it is a
/// pointer to the `Fprobe<H>`. While `registered` is true the fprobe is
/// registered with the kernel, and `self` is pinned, so its address stays
/// valid for the kernel until `drop` has unregistered it and waited for
/// every handler call in flight; only then is `handler` dropped. `cookie`
/// is nonzero and differs between registrations (a clock reading), so an
/// exit of a call that entered under an earlier registration at the same
/// address (fgraph keeps only the fprobe's address) is recognised and
/// skipped.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct Fprobe<H: Handler> {
    #[pin]
    fp: Opaque<ffi::fprobe>,
    handler: H,
    registered: Atomic<bool>,
    cookie: u64,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the kernel's fprobe state is only touched by the fprobe core
// under its own locking (registration) or RCU (dispatch); this wrapper only
// reads the `nmissed` counter. The handler is `Send + Sync` itself.
unsafe impl<H: Handler> Send for Fprobe<H> {}
// SAFETY: see `Send`; `&Fprobe` gives no access to the C struct but
// `missed`, a racy read of a counter.
unsafe impl<H: Handler> Sync for Fprobe<H> {}

/// The fprobe entry callback: dispatches to `H::entry`.
///
/// # Safety
///
/// Called by the fprobe core only, for an fprobe set up by `Fprobe::<H>::new`,
/// with the live `ftrace_regs` of the probed call.
unsafe extern "C" fn entry_trampoline<H: Handler>(
    fp: *mut ffi::fprobe,
    _entry_ip: kernel::ffi::c_ulong,
    _ret_ip: kernel::ffi::c_ulong,
    fregs: *mut ffi::ftrace_regs,
    data: *mut c_void,
) -> kernel::ffi::c_int {
    // SAFETY: the kernel calls this only for an fprobe registered by
    // `Fprobe::<H>::new`, whose `fp` is the first field of a live, pinned
    // `repr(C)` `Fprobe<H>` (type invariant), so the cast is valid.
    let this = unsafe { &*fp.cast::<Fprobe<H>>() };
    let args = Args { fregs };
    let v = this.handler.entry(&args);
    if H::WANTS_EXIT && !data.is_null() {
        // SAFETY: with `WANTS_EXIT` the fprobe was registered with
        // `entry_data_size == size_of::<Stored>()`, so `data` points to
        // that many bytes private to this call (not necessarily aligned).
        unsafe { data.cast::<Stored>().write_unaligned((v, this.cookie)) };
    }
    0
}

/// The fprobe exit callback: dispatches to `H::exit`.
///
/// # Safety
///
/// Called by the fprobe core only, for an fprobe set up by `Fprobe::<H>::new`
/// with `WANTS_EXIT`, with the `ftrace_regs` at return of the probed call
/// and the entry data the entry callback wrote.
unsafe extern "C" fn exit_trampoline<H: Handler>(
    fp: *mut ffi::fprobe,
    _entry_ip: kernel::ffi::c_ulong,
    _ret_ip: kernel::ffi::c_ulong,
    fregs: *mut ffi::ftrace_regs,
    data: *mut c_void,
) {
    // SAFETY: as in `entry_trampoline`.
    let this = unsafe { &*fp.cast::<Fprobe<H>>() };
    if data.is_null() {
        return;
    }
    // SAFETY: `data` holds the `Stored` an entry callback wrote for this
    // call (see `entry_trampoline`), of this registration or, at the same
    // address, of an earlier one of the same type (same size).
    let (v, cookie) = unsafe { data.cast::<Stored>().read_unaligned() };
    if cookie != this.cookie {
        // The call entered under another registration.
        return;
    }
    // SAFETY: `fregs` is the live return state of the probed call.
    let ret = unsafe { ffi::iommu_scope_fregs_ret(fregs) } as usize;
    this.handler.exit(&v, ret);
}

impl<H: Handler> Fprobe<H> {
    /// Registers a probe on the function(s) matching `filter` (a glob, as
    /// in `available_filter_functions`). Fails with the kernel's error (for
    /// example `ENOENT` when no such function can be probed).
    pub(crate) fn new(filter: &'static CStr, handler: H) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fp: Opaque::zeroed(),
            handler,
            registered: Atomic::new(false),
            cookie: super::task::monotonic_ns().max(1),
            _pin: PhantomPinned,
        })
        .pin_chain(move |this| {
            let fp = this.fp.get();
            // SAFETY: `this` is pinned and fully initialised, and the fprobe
            // is not registered yet, so nothing else reads it: we write its
            // callback fields, then register it. From then on handlers may
            // run and share `this`, which is only read through `&`.
            let ret = unsafe {
                (*fp).entry_handler = Some(entry_trampoline::<H>);
                if H::WANTS_EXIT {
                    (*fp).exit_handler = Some(exit_trampoline::<H>);
                    (*fp).entry_data_size = core::mem::size_of::<Stored>();
                }
                ffi::register_fprobe(fp, filter.as_char_ptr(), core::ptr::null())
            };
            if ret < 0 {
                return Err(Error::from_errno(ret));
            }
            this.registered.store(true, Relaxed);
            Ok(())
        })
    }

    /// The number of hits the kernel could not deliver (recursion, ...).
    pub(crate) fn missed(&self) -> u64 {
        // SAFETY: `fp` is a valid fprobe; `nmissed` is a plain counter that
        // the kernel only increments, so a racy read gives a recent value.
        unsafe { core::ptr::read_volatile(&raw const (*self.fp.get()).nmissed) as u64 }
    }
}

#[pinned_drop]
impl<H: Handler> PinnedDrop for Fprobe<H> {
    fn drop(self: Pin<&mut Self>) {
        if !self.registered.load(Relaxed) {
            return;
        }
        // SAFETY: the fprobe is registered (invariant); after
        // `unregister_fprobe` returns no new handler call starts.
        unsafe { ffi::unregister_fprobe(self.fp.get()) };
        // Handler calls in flight run with preemption disabled: waiting for
        // a grace period waits for them before the memory is released.
        kernel::sync::rcu::synchronize_rcu();
    }
}
