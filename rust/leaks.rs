// SPDX-License-Identifier: GPL-2.0

//! DMA use-after-free detection: a page freed while it is still IOMMU
//! mapped. Probes on `kmem:mm_page_free` and `kmem:mm_page_free_batched`
//! check the freed pages' refcounts; a page with a nonzero count is
//! reported once (until its count drops to zero, or `reset`): a `pr_warn`
//! line at once, and an entry in the `leaks` file whose owners (domains,
//! IOVAs, devices that still map it) a work item finds afterwards by
//! walking every live domain.
//!
//! Owns: the probes, the leak log and its files (`leaks`, `reset`).
//! Must not: allocate or sleep in the probes (they run in any context).

use kernel::{
    bindings, fmt, new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, ArcBorrow, SpinLockIrq,
    },
    uaccess::UserSliceReader,
    workqueue::{self, impl_has_work, new_work, Work, WorkItem},
};

use crate::accounting;
use crate::domain_files::{table_of, KernelMemory};
use crate::domains::Registry;
use crate::ffi;
use crate::pure::walk::{walk, Limits, Step};

/// Leaks kept in the log; later ones are counted, not kept.
const MAX_LEAKS: usize = 64;
/// Owners text per leak.
const OWNERS_LEN: usize = 240;

/// One leak.
#[derive(Clone, Copy)]
struct Leak {
    pfn: u64,
    order: u32,
    count: u32,
    pid: i32,
    comm: [u8; 16],
    resolved: bool,
    owners_len: usize,
    owners: [u8; OWNERS_LEN],
}

/// The log of leaks.
///
/// # Invariants
///
/// `leaks` holds the leaks found since the last reset, in order; its
/// capacity of `MAX_LEAKS` is allocated up front, so recording never
/// allocates.
struct LogData {
    leaks: KVec<Leak>,
}

/// The leak detector.
#[pin_data]
pub(crate) struct LeakLog {
    #[pin]
    log: SpinLockIrq<LogData>,
    /// Leaks found (including those not kept).
    pub(crate) found: Atomic<u64>,
    registry: Option<Arc<Registry>>,
    stopping: Atomic<bool>,
    #[pin]
    work: Work<LeakLog>,
}

impl_has_work! {
    impl HasWork<Self> for LeakLog { self.work }
}

impl WorkItem for LeakLog {
    type Pointer = Arc<LeakLog>;

    fn run(this: Arc<LeakLog>) {
        this.resolve();
    }
}

/// The running detector, for the probe callback.
static CURRENT: Atomic<*const LeakLog> = Atomic::new(core::ptr::null());

/// The probe callback: `nr` pages from `pfn` are being freed.
///
/// # Safety
///
/// Called by the page free probes of `c/page_free_hooks.c` only, while the
/// detector is registered.
unsafe extern "C" fn page_freed(pfn: kernel::ffi::c_ulong, nr: kernel::ffi::c_uint) {
    let raw = CURRENT.load(Relaxed);
    let Some(acct) = accounting::current() else {
        return;
    };
    if raw.is_null() {
        return;
    }
    // SAFETY: `CURRENT` holds a pointer from `Arc::into_raw` whose reference
    // is only given back in `Detector::drop`, after the probes are
    // unregistered and waited for.
    let log = unsafe { ArcBorrow::from_raw(raw) };
    for p in pfn as u64..pfn as u64 + u64::from(nr) {
        if let Some(count) = acct.counts.mark_reported(p) {
            log.record(p, nr.trailing_zeros(), count);
            if !log.stopping.load(Relaxed) {
                // Already queued is fine: the run resolves every leak.
                let _ = workqueue::system().enqueue(Arc::<LeakLog>::from(log));
            }
        }
    }
}

impl LeakLog {
    fn record(&self, pfn: u64, order: u32, count: u32) {
        self.found.add(1, Relaxed);
        let mut comm = [0u8; 16];
        let mut pid = 0;
        // SAFETY: `comm` has room for TASK_COMM_LEN bytes.
        unsafe { ffi::iommu_scope_current_comm(comm.as_mut_ptr().cast(), 16, &mut pid) };
        let n = comm.iter().position(|&c| c == 0).unwrap_or(16);
        pr_warn!(
            "DMA use-after-free: page pa=0x{:x} (order {}) freed by {}[{}] while IOMMU-mapped {} time(s); see /sys/kernel/debug/io_page_tables/leaks\n",
            pfn << 12,
            order,
            core::str::from_utf8(&comm[..n]).unwrap_or("?"),
            pid,
            count
        );
        {
            let mut g = self.log.lock();
            if g.leaks.len() < MAX_LEAKS {
                // Within the capacity reserved at start: no allocation.
                let _ = g.leaks.push(
                    Leak {
                        pfn,
                        order,
                        count,
                        pid,
                        comm,
                        resolved: false,
                        owners_len: 0,
                        owners: [0; OWNERS_LEN],
                    },
                    GFP_ATOMIC,
                );
            }
        }
    }

    /// Finds the owners of every unresolved leak (process context).
    fn resolve(&self) {
        if self.stopping.load(Relaxed) {
            return;
        }
        let Some(reg) = &self.registry else {
            return;
        };
        let pending: KVec<(usize, u64)> = {
            let g = self.log.lock();
            let mut v = KVec::new();
            for (i, l) in g.leaks.iter().enumerate() {
                if !l.resolved {
                    let _ = v.push((i, l.pfn), GFP_ATOMIC);
                }
            }
            v
        };
        for (i, pfn) in pending.into_iter() {
            let mut text = [0u8; OWNERS_LEN];
            let mut w = TextBuf {
                buf: &mut text,
                len: 0,
            };
            let pa = pfn << 12;
            reg.for_each_live(|e, d| {
                // SAFETY: `d` is live (for_each_live holds its lock).
                let Some((layout, root)) = (unsafe { table_of(d) }) else {
                    return;
                };
                walk(
                    &layout,
                    root,
                    &mut KernelMemory,
                    Limits::steps(1 << 22),
                    |s| {
                        if let Step::Leaf {
                            iova,
                            pa: lpa,
                            size,
                            ..
                        } = *s
                        {
                            if pa >= lpa && pa < lpa + size {
                                let _ = core::fmt::Write::write_fmt(
                                    &mut w,
                                    format_args!(
                                        "{} iova=0x{:x} devices={}; ",
                                        e.name().to_str().unwrap_or("?"),
                                        iova + (pa - lpa),
                                        // SAFETY: `d` is live (for_each_live).
                                        unsafe { crate::domain_files::DeviceNames::of(d) }
                                    ),
                                );
                            }
                        }
                    },
                );
            });
            let len = w.len;
            let mut g = self.log.lock();
            if let Some(l) = g.leaks.get_mut(i) {
                if l.pfn == pfn && !l.resolved {
                    l.owners = text;
                    l.owners_len = len;
                    l.resolved = true;
                }
            }
        }
    }
}

/// A `core::fmt::Write` into a fixed buffer; output past its end is cut.
struct TextBuf<'a> {
    buf: &'a mut [u8; OWNERS_LEN],
    len: usize,
}

impl core::fmt::Write for TextBuf<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(OWNERS_LEN - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The running detector: the log and the registered probes.
///
/// # Invariants
///
/// While it exists the probes are registered and `CURRENT` points to
/// `log`; `drop` unregisters them, waits, clears `CURRENT`, and flushes the
/// work before the last reference to `log` can go.
pub(crate) struct Detector {
    pub(crate) log: Arc<LeakLog>,
}

impl Detector {
    /// Registers the probes. `registry` is used to find the owners.
    pub(crate) fn start(registry: Option<Arc<Registry>>) -> Result<Self> {
        let leaks = KVec::with_capacity(MAX_LEAKS, GFP_KERNEL)?;
        let log = Arc::pin_init(
            pin_init!(LeakLog {
                log <- new_spinlock_irq!(LogData {
                    leaks,
                }),
                found: Atomic::new(0),
                registry,
                stopping: Atomic::new(false),
                work <- new_work!("iommu_scope::LeakLog::work"),
            }),
            GFP_KERNEL,
        )?;
        CURRENT.store(Arc::into_raw(log.clone()), Relaxed);
        // SAFETY: `page_freed` matches the callback type; it only reads
        // `CURRENT` and the accounting state.
        let r = unsafe { ffi::iommu_scope_page_free_register(Some(page_freed)) };
        if r != 0 {
            let raw = CURRENT.xchg(core::ptr::null(), Relaxed);
            // SAFETY: `raw` came from `Arc::into_raw` just above and no
            // probe was registered.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(Error::from_errno(r));
        }
        Ok(Self { log })
    }
}

impl Drop for Detector {
    fn drop(&mut self) {
        // SAFETY: the probes are registered (invariant); this unregisters
        // them and waits for running ones.
        unsafe { ffi::iommu_scope_page_free_unregister() };
        self.log.stopping.store(true, Relaxed);
        // SAFETY: `work` is an initialised, pinned work item of `log`.
        unsafe { bindings::flush_work(Work::raw_get(&self.log.work)) };
        let raw = CURRENT.xchg(core::ptr::null(), Relaxed);
        if !raw.is_null() {
            // SAFETY: `raw` came from `Arc::into_raw` in `start`; no probe
            // and no file can use it any more.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}

/// The running detector's log, for the files.
pub(crate) fn current() -> Option<&'static LeakLog> {
    let p = CURRENT.load(Relaxed);
    // SAFETY: non-null while the detector runs (it holds a reference); the
    // files are removed before it stops.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Formats the `leaks` file: one line per leak.
pub(crate) fn show_leaks(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(log) = current() else {
        return writeln!(f, "# leak detection unavailable (see status)");
    };
    let leaks: KVec<Leak> = {
        let g = log.log.lock();
        let mut v = KVec::new();
        for l in g.leaks.iter() {
            let _ = v.push(*l, GFP_ATOMIC);
        }
        v
    };
    for l in leaks.iter() {
        let n = l.comm.iter().position(|&c| c == 0).unwrap_or(16);
        write!(
            f,
            "pa=0x{:016x} pfn=0x{:x} order={} mapcount={} freed_by={}[{}] owners=",
            l.pfn << 12,
            l.pfn,
            l.order,
            l.count,
            core::str::from_utf8(&l.comm[..n]).unwrap_or("?"),
            l.pid
        )?;
        if l.resolved {
            writeln!(
                f,
                "{}",
                core::str::from_utf8(&l.owners[..l.owners_len])
                    .unwrap_or("?")
                    .trim_end()
            )?;
        } else {
            writeln!(f, "(resolving)")?;
        }
    }
    let found = log.found.load(Relaxed);
    if found > leaks.len() as u64 {
        writeln!(f, "# {} more not kept", found - leaks.len() as u64)?;
    }
    Ok(())
}

/// `reset`: writing `leaks` clears the leak log and the reported flags, so
/// pages still mapped are reported again when freed. Anything else is
/// `EINVAL` and changes nothing.
pub(crate) fn write_reset(_: &(), r: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 16];
    let n = r.len();
    if n == 0 || n >= buf.len() {
        return Err(EINVAL);
    }
    r.read_slice(&mut buf[..n])?;
    if core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?.trim() != "leaks" {
        return Err(EINVAL);
    }
    let log = current().ok_or(ENODEV)?;
    log.log.lock().leaks.clear();
    log.found.store(0, Relaxed);
    if let Some(a) = accounting::current() {
        a.counts.clear_reported();
    }
    Ok(())
}
