// SPDX-License-Identifier: GPL-2.0

//! The accounting state: the refcount table and what the hooks do with
//! it. References are counted per 4 KiB unit of physical memory
//! (`pagecount::UNIT`), whatever the kernel's page size and the domain's
//! granule, so a 16K or 64K page is several units and a 2M block 512.
//!
//! Owns: `Accounting` (counts, counters of the `accounting` file, the maps
//! in progress that recognise a failed map's own rollback). Must not: sleep,
//! allocate or take a lock: everything here runs in the hooks, in any
//! context, softirq and hardirq included.

use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    workqueue::{impl_has_work, new_work, Work, WorkItem},
};

use super::pagecount::{Alloc, PageCounts, Update, UNIT};
use super::seed::{SeedStats, Settling};
use crate::pure::walk::{leaf_part, walk, Limits, Step};
use crate::sys::domain::Domain;
use crate::sys::phys::PhysMemory;
use crate::sys::{task, work};

/// Slots for maps in progress (per task), to recognise their rollback.
const IN_MAP_SLOTS: usize = 64;

/// Counters of the `accounting` file.
pub(crate) struct Stats {
    pub(crate) maps: Atomic<u64>,
    pub(crate) maps_failed: Atomic<u64>,
    pub(crate) unmaps: Atomic<u64>,
    pub(crate) remaps: Atomic<u64>,
    pub(crate) rollbacks_skipped: Atomic<u64>,
    pub(crate) pages_mapped: Atomic<u64>,
    pub(crate) refs: Atomic<u64>,
    pub(crate) pages_multi: Atomic<u64>,
    pub(crate) overflows: Atomic<u64>,
    pub(crate) underflows: Atomic<u64>,
    pub(crate) untracked: Atomic<u64>,
    pub(crate) seeded_pages: Atomic<u64>,
    pub(crate) freed_domains: Atomic<u64>,
    pub(crate) released_on_free: Atomic<u64>,
}

/// The changes one call makes to the shared counters, added up before
/// they are applied (one atomic operation per counter and call).
#[derive(Default)]
struct Delta {
    /// Counters changed.
    done: u64,
    /// Counters that went 0 -> 1 (inc) or 1 -> 0 (dec).
    first: u64,
    /// Counters that went 1 -> 2 (inc) or 2 -> 1 (dec).
    second: u64,
    /// Overflows (inc) or underflows (dec), and the first one's address.
    flows: u64,
    flow_pa: Option<u64>,
    /// Units without a counter (no node, or beyond 48 bits).
    untracked: u64,
}

impl Delta {
    /// Adds up the outcome `u` of the update of the unit at `pa`.
    fn note(&mut self, u: Update, inc: bool, pa: u64) {
        match u {
            Update::Done { old } => {
                self.done += 1;
                let (first, second) = if inc { (0, 1) } else { (1, 2) };
                if old == first {
                    self.first += 1;
                } else if old == second {
                    self.second += 1;
                }
            }
            Update::Overflow | Update::Underflow => {
                self.flows += 1;
                let _ = self.flow_pa.get_or_insert(pa);
            }
            Update::NoMemory | Update::OutOfRange => self.untracked += 1,
        }
    }
}

/// A map in progress: the context (`task::context_id`) and the range it
/// maps.
struct InMap {
    task: Atomic<usize>,
    domain: Atomic<usize>,
    iova: Atomic<u64>,
    size: Atomic<u64>,
}

/// The accounting state shared by the hooks and the files (through an
/// `Arc` each).
///
/// # Invariants
///
/// An `in_map` slot whose `task` is nonzero belongs to that context
/// (`task::context_id`), which is inside `iommu_map_nosync` on `domain`
/// for `[iova, iova + size)`. The work item (refilling the table's node
/// pools) is only queued while `stopping` is false, and `stop` flushes it.
#[pin_data]
pub(crate) struct Accounting {
    pub(crate) counts: PageCounts,
    pub(crate) stats: Stats,
    /// Domains found at load, counted by the hooks only below their seeding
    /// cursor (`seed.rs`).
    #[pin]
    pub(crate) settling: Settling,
    pub(crate) seed: SeedStats,
    in_map: [InMap; IN_MAP_SLOTS],
    stopping: Atomic<bool>,
    #[pin]
    work: Work<Accounting>,
}

impl_has_work! {
    impl HasWork<Self> for Accounting { self.work }
}

impl WorkItem for Accounting {
    type Pointer = Arc<Accounting>;

    fn run(this: Arc<Accounting>) {
        if !this.stopping.load(Relaxed) {
            this.counts.refill();
        }
    }
}

impl Accounting {
    /// A new, empty state.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let counts = PageCounts::new()?;
        let slots = Settling::alloc_slots()?;
        Arc::pin_init(
            pin_init!(Self {
            counts,
            settling <- Settling::new(slots),
            seed: SeedStats::new(),
            stats: Stats {
                maps: Atomic::new(0),
                maps_failed: Atomic::new(0),
                unmaps: Atomic::new(0),
                remaps: Atomic::new(0),
                rollbacks_skipped: Atomic::new(0),
                pages_mapped: Atomic::new(0),
                refs: Atomic::new(0),
                pages_multi: Atomic::new(0),
                overflows: Atomic::new(0),
                underflows: Atomic::new(0),
                untracked: Atomic::new(0),
                seeded_pages: Atomic::new(0),
                freed_domains: Atomic::new(0),
                released_on_free: Atomic::new(0),
            },
            in_map: [const {
                InMap {
                    task: Atomic::new(0),
                    domain: Atomic::new(0),
                    iova: Atomic::new(0),
                    size: Atomic::new(0),
                }
            }; IN_MAP_SLOTS],
            stopping: Atomic::new(false),
            work <- new_work!("iommu_scope::Accounting::work"),
            }),
            GFP_KERNEL,
        )
    }

    /// Queues the refill of the table's node pools if a hook drew on them
    /// (any context: a few loads, `queue_work` takes only raw locks).
    pub(crate) fn refill_if_low(self: &Arc<Self>) {
        if !self.stopping.load(Relaxed) && self.counts.wants_refill() {
            // Already queued is fine.
            let _ = work::queue().enqueue(self.clone());
        }
    }

    /// Waits for the work item (tests).
    #[cfg(iommu_scope_kunit)]
    pub(crate) fn flush(&self) {
        work::flush(&self.work);
    }

    /// Stops and waits for the work item; called once no hook can queue it.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Relaxed);
        work::flush(&self.work);
    }

    /// Counts (`inc`) or releases every unit of `[pa, pa + size)`; stops
    /// at the end of the physical address space. New table nodes come from
    /// `alloc` (`Alloc::Pool` in a hook). The shared counters of the
    /// `accounting` file change once per call, not once per unit.
    pub(crate) fn account_pa_range(&self, pa: u64, size: u64, inc: bool, alloc: Alloc) {
        let mut d = Delta::default();
        self.count_pa_range(pa, size, inc, alloc, &mut d);
        self.apply(&d, inc);
    }

    /// `account_pa_range` without applying `d`.
    fn count_pa_range(&self, pa: u64, size: u64, inc: bool, alloc: Alloc, d: &mut Delta) {
        let mut off = 0;
        while off < size {
            let Some(p) = pa.checked_add(off) else {
                break;
            };
            let u = if inc {
                self.counts.inc(p / UNIT, alloc)
            } else {
                self.counts.dec(p / UNIT)
            };
            d.note(u, inc, p);
            off = off.saturating_add(UNIT);
        }
    }

    /// Applies one call's counter changes.
    fn apply(&self, d: &Delta, inc: bool) {
        let s = &self.stats;
        let add = |c: &Atomic<u64>, n: u64| match (n, inc) {
            (0, _) => {}
            (_, true) => c.add(n, Relaxed),
            (_, false) => {
                let _ = c.fetch_sub(n, Relaxed);
            }
        };
        add(&s.refs, d.done);
        add(&s.pages_mapped, d.first);
        add(&s.pages_multi, d.second);
        if d.untracked != 0 {
            s.untracked.add(d.untracked, Relaxed);
        }
        let Some(pa) = d.flow_pa else {
            return;
        };
        if inc {
            if s.overflows.fetch_add(d.flows, Relaxed) == 0 {
                pr_warn!(
                    "accounting: refcount overflow at pa=0x{:x} (kept at the maximum; see accounting)\n",
                    pa
                );
            }
        } else if s.underflows.fetch_add(d.flows, Relaxed) == 0 {
            pr_warn!(
                "accounting: unmap of pa=0x{:x} that was never counted as mapped (first underflow; see accounting)\n",
                pa
            );
        }
    }

    /// Counts (`inc`) or releases every unit mapped in `[iova, end)` of
    /// domain `d`, with one bounded walk of its table (from a hook), and
    /// the shared counters once; returns the counters changed.
    pub(crate) fn account_range(&self, d: &Domain<'_>, iova: u64, end: u64, inc: bool) -> u64 {
        let Some(t) = d.table() else {
            return 0;
        };
        let mut delta = Delta::default();
        let limits = Limits::bounded_range(iova, end);
        walk(&t.layout, t.root_pa, &mut PhysMemory, limits, |s| {
            if let Step::Leaf {
                iova: liova,
                pa,
                size,
                ..
            } = *s
            {
                // The part of the leaf inside `[iova, end)`.
                if let Some((_, p, len)) = leaf_part(liova, pa, size, iova, end) {
                    self.count_pa_range(p, len, inc, Alloc::Pool, &mut delta);
                }
            }
        });
        self.apply(&delta, inc);
        delta.done
    }

    /// Notes that the current task maps `[iova, iova + size)` into domain
    /// `d`; returns the slot to give to `release_in_map`.
    pub(crate) fn claim_in_map(&self, d: usize, iova: u64, size: u64) -> usize {
        let me = task::context_id();
        for (i, s) in self.in_map.iter().enumerate() {
            if s.task.cmpxchg(0, me, Relaxed).is_ok() {
                s.domain.store(d, Relaxed);
                s.iova.store(iova, Relaxed);
                s.size.store(size, Relaxed);
                return i;
            }
        }
        IN_MAP_SLOTS
    }

    /// The map of slot `i` returned.
    pub(crate) fn release_in_map(&self, i: usize) {
        if let Some(s) = self.in_map.get(i) {
            s.task.store(0, Relaxed);
        }
    }

    /// Whether this unmap is the rollback of a failed map of the same task.
    pub(crate) fn is_rollback(&self, d: usize, iova: u64, size: u64) -> bool {
        let me = task::context_id();
        self.in_map.iter().any(|s| {
            s.task.load(Relaxed) == me
                && s.domain.load(Relaxed) == d
                && iova >= s.iova.load(Relaxed)
                && iova.saturating_add(size)
                    <= s.iova.load(Relaxed).saturating_add(s.size.load(Relaxed))
        })
    }
}
