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
    fmt, new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, ArcBorrow, SpinLockIrq,
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
use crate::sys::{task, work};

/// Leaks kept in the log; later ones are counted, not kept.
const MAX_LEAKS: usize = 64;
/// Owners text per leak.
const OWNERS_LEN: usize = 240;

/// One leak.
#[derive(Clone, Copy)]
struct Leak {
    /// The 4 KiB unit (`pa / UNIT`).
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

/// The leak detector's state, shared by the probe, the work item and the
/// files.
#[pin_data]
pub(crate) struct LeakLog {
    #[pin]
    log: SpinLockIrq<LogData>,
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
        let bytes = u64::from(nr).saturating_mul(kernel::page::PAGE_SIZE as u64);
        let mut off = 0;
        while off < bytes {
            let Some(p) = pa.checked_add(off) else {
                return;
            };
            if let Some(count) = this.state.counts.mark_reported(p / UNIT) {
                this.record(p / UNIT, nr.trailing_zeros(), count);
                if !this.stopping.load(Relaxed) {
                    // Already queued is fine: the run resolves every leak.
                    let _ = work::queue().enqueue(Arc::<LeakLog>::from(this));
                }
            }
            off += UNIT;
        }
    }
}

fn comm_str(comm: &[u8; 16]) -> &str {
    let n = comm.iter().position(|&c| c == 0).unwrap_or(comm.len());
    core::str::from_utf8(&comm[..n]).unwrap_or("?")
}

impl LeakLog {
    fn record(&self, pfn: u64, order: u32, count: u32) {
        self.found.add(1, Relaxed);
        let (comm, pid) = task::current_comm_pid();
        pr_warn!(
            "DMA use-after-free: page pa=0x{:x} (order {}) freed by {}[{}] while IOMMU-mapped {} time(s); see /sys/kernel/debug/io_page_tables/leaks\n",
            pfn.saturating_mul(UNIT),
            order,
            comm_str(&comm),
            pid,
            count
        );
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
            let mut w = FixedBuf::new(&mut text);
            let pa = pfn.saturating_mul(UNIT);
            reg.for_each_live(|e, d| {
                let Some(t) = d.table() else {
                    return;
                };
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
                                let _ = core::fmt::Write::write_fmt(
                                    &mut w,
                                    format_args!(
                                        "{} iova=0x{:x} devices={}; ",
                                        e.name(),
                                        iova.wrapping_add(pa - lpa),
                                        DeviceNames::of(&d)
                                    ),
                                );
                            }
                        }
                    },
                );
            });
            let len = w.len();
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
/// Fields drop in declaration order: the files go first, then the probes
/// (unregistered and waited for), then `drop` stops and flushes the work
/// item, so nothing queues it afterwards.
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
                log <- new_spinlock_irq!(LogData { leaks }),
                found: Atomic::new(0),
                state: state.clone(),
                registry,
                stopping: Atomic::new(false),
                work <- new_work!("iommu_scope::LeakLog::work"),
            }),
            GFP_KERNEL,
        )?;
        let hook = PageFreeHook::register(log.clone())?;
        Ok(Self {
            _leaks: debugfs::read_only(root, c"leaks", log.clone(), &show_leaks)?,
            _reset: debugfs::write_only(root, c"reset", log.clone(), &write_reset)?,
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
    let leaks: KVec<Leak> = {
        let g = log.log.lock();
        let mut v = KVec::new();
        for l in g.leaks.iter() {
            let _ = v.push(*l, GFP_ATOMIC);
        }
        v
    };
    for l in leaks.iter() {
        write!(
            f,
            "pa=0x{:016x} pfn=0x{:x} order={} mapcount={} freed_by={}[{}] owners=",
            l.pfn.saturating_mul(UNIT),
            l.pfn,
            l.order,
            l.count,
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
