// SPDX-License-Identifier: GPL-2.0

//! DMA use-after-free detection: a page freed while it is still IOMMU
//! mapped. The page-free probes (`sys::page_free`) check the freed pages'
//! refcounts; a page with a nonzero count is reported once (until its count
//! drops to zero, or `reset`): a `pr_warn` line at once, and an entry in the
//! `leaks` file whose owners (domains, IOVAs, devices that still map it) a
//! work item finds afterwards by walking every live domain.
//!
//! Owns: the leak log, its work item and its files (`leaks`, `reset`).
//! Must not: allocate or sleep in the probe (it runs in any context).

use kernel::{
    fmt,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, ArcBorrow,
    },
    uaccess::UserSliceReader,
    workqueue::{impl_has_work, new_work, Work, WorkItem},
};

use super::pagecount::UNIT;
use super::state::Accounting;
use crate::ptdump::registry::Registry;
use crate::pure::text::FixedBuf;
use crate::pure::walk::{walk, Limits, Step};
use crate::sys::debugfs::{self, Dir, File};
use crate::sys::domain::DeviceNames;
use crate::sys::page_free::{PageFreeHandler, PageFreeHook};
use crate::sys::phys::PhysMemory;
use crate::sys::rawlock::{new_raw_spinlock_irq, RawSpinLockIrq};
use crate::sys::{task, work};

/// Leaks kept in the log; later ones are counted, not kept.
const MAX_LEAKS: usize = 64;
/// Leaks said in the kernel log per reset; later ones only in `leaks`.
const MAX_WARNINGS: u64 = 10;
/// Owners text per leak.
const OWNERS_LEN: usize = 240;

/// One leak: a freed page (of `PAGE_SIZE`) that was still mapped.
#[derive(Clone, Copy)]
struct Leak {
    /// The page's physical address.
    pa: u64,
    order: u32,
    count: u32,
    /// Reported after a release walk was cut short
    /// (`Accounting::reports_unconfirmed`): the count may be one that walk
    /// left.
    unconfirmed: bool,
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

/// The leak detector's state, shared by the probe, the work item and the
/// files.
#[pin_data]
pub(crate) struct LeakLog {
    /// Taken by the page-free probe in any context: a raw lock (never a
    /// sleeping one on PREEMPT_RT), held only to copy a record.
    #[pin]
    log: RawSpinLockIrq<LogData>,
    /// Leaks found (including those not kept).
    pub(crate) found: Atomic<u64>,
    state: Arc<Accounting>,
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

impl PageFreeHandler for LeakLog {
    fn freed(this: ArcBorrow<'_, Self>, pa: u64, nr: u32) {
        let page = kernel::page::PAGE_SIZE as u64;
        let order = nr.trailing_zeros();
        for i in 0..u64::from(nr) {
            let Some(p) = i.checked_mul(page).and_then(|o| pa.checked_add(o)) else {
                return;
            };
            // Every 4 KiB unit of the page is marked; the page is reported
            // once, with the largest count among its units.
            if let Some(count) = this.state.counts.mark_reported_range(p / UNIT, page / UNIT) {
                this.record(p, order, count);
                if !this.stopping.load(Relaxed) {
                    // Already queued is fine: the run resolves every leak.
                    let _ = work::queue().enqueue(Arc::<LeakLog>::from(this));
                }
            }
        }
    }
}

fn comm_str(comm: &[u8; 16]) -> &str {
    let n = comm.iter().position(|&c| c == 0).unwrap_or(comm.len());
    core::str::from_utf8(&comm[..n]).unwrap_or("?")
}

impl LeakLog {
    fn record(&self, pa: u64, order: u32, count: u32) {
        let n = self.found.fetch_add(1, Relaxed) + 1;
        let (comm, pid) = task::current_comm_pid();
        let unconfirmed = self.state.reports_unconfirmed();
        if n <= MAX_WARNINGS && unconfirmed {
            pr_warn!(
                "possible DMA use-after-free (unconfirmed: release_walks_cut in accounting): page pa=0x{:x} (order {}) freed by {}[{}] while counted as IOMMU-mapped {} time(s); see /sys/kernel/debug/io_page_tables/leaks\n",
                pa,
                order,
                comm_str(&comm),
                pid,
                count
            );
        } else if n <= MAX_WARNINGS {
            pr_warn!(
                "DMA use-after-free: page pa=0x{:x} (order {}) freed by {}[{}] while IOMMU-mapped {} time(s); see /sys/kernel/debug/io_page_tables/leaks\n",
                pa,
                order,
                comm_str(&comm),
                pid,
                count
            );
        } else if n == MAX_WARNINGS + 1 {
            pr_warn!(
                "DMA use-after-free: more reports only in /sys/kernel/debug/io_page_tables/leaks (until reset)\n"
            );
        }
        let mut g = self.log.lock();
        if g.leaks.len() < MAX_LEAKS {
            // Within the capacity reserved at start: no allocation.
            let _ = g.leaks.push_within_capacity(Leak {
                pa,
                order,
                count,
                unconfirmed,
                pid,
                comm,
                resolved: false,
                owners_len: 0,
                owners: [0; OWNERS_LEN],
            });
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
        let Ok(mut pending) = KVec::<(usize, u64)>::with_capacity(MAX_LEAKS, GFP_KERNEL) else {
            return;
        };
        {
            let g = self.log.lock();
            for (i, l) in g.leaks.iter().enumerate() {
                if !l.resolved {
                    // At most `MAX_LEAKS`: within the capacity.
                    let _ = pending.push_within_capacity((i, l.pa));
                }
            }
        }
        // One copy of the live domains for every pending leak. Walked
        // without locks: a domain freed meanwhile can only make the owners
        // text stale, never the counts wrong.
        let Ok(live) = reg.live() else {
            return;
        };
        for (i, pa) in pending.into_iter() {
            let mut text = [0u8; OWNERS_LEN];
            let mut w = FixedBuf::new(&mut text);
            for d in live.iter() {
                let Some(t) = d.table else {
                    continue;
                };
                // Read once per domain, at its first mapping of the page.
                let mut devices: Option<DeviceNames> = None;
                walk(
                    &t.layout,
                    t.root_pa,
                    &mut PhysMemory,
                    Limits::whole(),
                    |s| {
                        if let Step::Leaf {
                            iova,
                            pa: lpa,
                            size,
                            ..
                        } = *s
                        {
                            if pa >= lpa && pa - lpa < size {
                                let devs = devices.get_or_insert_with(|| DeviceNames::of(d.key));
                                let _ = core::fmt::Write::write_fmt(
                                    &mut w,
                                    format_args!(
                                        "{} iova=0x{:x} devices={}; ",
                                        d.name.as_str(),
                                        iova.wrapping_add(pa - lpa),
                                        devs
                                    ),
                                );
                            }
                        }
                    },
                );
            }
            let len = w.len();
            let mut g = self.log.lock();
            if let Some(l) = g.leaks.get_mut(i) {
                if l.pa == pa && !l.resolved {
                    l.owners = text;
                    l.owners_len = len;
                    l.resolved = true;
                }
            }
        }
    }

    /// Clears the log and the reported flags, so pages still mapped are
    /// reported again when freed.
    fn reset(&self) {
        self.log.lock().leaks.clear();
        self.found.store(0, Relaxed);
        self.state.counts.clear_reported();
    }
}

/// The running detector: its files, the registered probes and the log.
///
/// # Invariants
///
/// `drop` unregisters the probes (waiting for running ones) before it
/// stops and flushes the work item, so nothing queues it afterwards; the
/// files go after that (they only read the log).
pub(crate) struct Detector {
    _leaks: File<Arc<LeakLog>>,
    _reset: File<Arc<LeakLog>>,
    hook: Option<PageFreeHook<LeakLog>>,
    log: Arc<LeakLog>,
}

impl Detector {
    /// Registers the probes and creates the files under `root`. `registry`
    /// is used to find the owners of a leak.
    pub(crate) fn start(
        root: &Dir,
        state: &Arc<Accounting>,
        registry: Option<Arc<Registry>>,
    ) -> Result<Self> {
        let leaks = KVec::with_capacity(MAX_LEAKS, GFP_KERNEL)?;
        let log = Arc::pin_init(
            pin_init!(LeakLog {
                log <- new_raw_spinlock_irq!(LogData { leaks }, "iommu_scope::LeakLog::log"),
                found: Atomic::new(0),
                state: state.clone(),
                registry,
                stopping: Atomic::new(false),
                work <- new_work!("iommu_scope::LeakLog::work"),
            }),
            GFP_KERNEL,
        )?;
        // The files first: if one cannot be made, no probe ran yet and no
        // work can be queued.
        let leaks = debugfs::read_only(root, c"leaks", log.clone(), &show_leaks)?;
        let reset = debugfs::write_only(root, c"reset", log.clone(), &write_reset)?;
        let hook = PageFreeHook::register(log.clone())?;
        Ok(Self {
            _leaks: leaks,
            _reset: reset,
            hook: Some(hook),
            log,
        })
    }

    /// Leaks found since load or the last reset.
    pub(crate) fn found(&self) -> u64 {
        self.log.found.load(Relaxed)
    }
}

impl Drop for Detector {
    fn drop(&mut self) {
        // The probes first (waits for running ones), so nothing queues the
        // work item after it is flushed.
        self.hook = None;
        self.log.stopping.store(true, Relaxed);
        work::flush(&self.log.work);
    }
}

/// Formats the `leaks` file: one line per leak.
fn show_leaks(log: &Arc<LeakLog>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Ok(mut leaks) = KVec::<Leak>::with_capacity(MAX_LEAKS, GFP_KERNEL) else {
        return writeln!(f, "# out of memory");
    };
    {
        let g = log.log.lock();
        for l in g.leaks.iter() {
            // At most `MAX_LEAKS`: within the capacity.
            let _ = leaks.push_within_capacity(*l);
        }
    }
    for l in leaks.iter() {
        write!(
            f,
            "pa=0x{:016x} pfn=0x{:x} order={} mapcount={}{} freed_by={}[{}] owners=",
            l.pa,
            l.pa / kernel::page::PAGE_SIZE as u64,
            l.order,
            l.count,
            if l.unconfirmed { " unconfirmed" } else { "" },
            comm_str(&l.comm),
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

/// `reset`: writing `leaks` clears the leak log and the reported flags.
/// Anything else is `EINVAL` and changes nothing.
fn write_reset(log: &Arc<LeakLog>, r: &mut UserSliceReader) -> Result {
    debugfs::read_keyword(r, "leaks")?;
    log.reset();
    Ok(())
}
