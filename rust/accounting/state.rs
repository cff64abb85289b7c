// SPDX-License-Identifier: GPL-2.0

//! The accounting state: the refcount table and what the hooks do with
//! it. References are counted per 4 KiB unit of physical memory
//! (`pagecount::UNIT`), whatever the kernel's page size and the domain's
//! granule, so a 16K or 64K page is several units and a 2M block 512.
//!
//! Maps are counted at the iommu core's `iommu:map` tracepoint (`mapped`),
//! which does not say the domain. A domain matters only while it settles
//! (`seed.rs`) or when its table cannot be read (its unmaps could not be
//! released): then a probe on `iommu_map_nosync` is armed (`hooks.rs`),
//! and each call it sees leaves a note in an `in_map` slot (the context,
//! the range, what may be counted) that the tracepoint consumes. Without
//! the probe, maps are counted only while no IOMMU or domain the module
//! cannot read was ever seen (`foreign`).
//!
//! Owns: `Accounting` (counts, counters of the `accounting` file, the
//! notes of maps in progress, the map-counting mode). Must not: sleep,
//! allocate or take a lock: everything here runs in the hooks, in any
//! context, softirq and hardirq included.

use kernel::{
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc,
    },
    workqueue::{impl_has_work, new_work, Work, WorkItem},
};

use super::pagecount::{Alloc, PageCounts, Update, UNIT};
use super::seed::{SeedStats, Settling};
use crate::pure::table::{AnyLayout, Table};
use crate::pure::walk::{leaves_in_range, walk_rest, Gap, Layout, MAX_WALK_READS};
use crate::sys::domain::Domain;
use crate::sys::phys::{PhysMemory, SequentialPhys};
use crate::sys::{task, work};

/// Slots for the notes of maps in progress (while the map probe is armed).
const IN_MAP_SLOTS: usize = 64;

/// Granules an unmap may span for `release_unmap` to look each up with the
/// driver rather than walk the table: the common one-page unmap costs one
/// driver lookup, as the kernel's own `iommu_debug_unmap_begin`.
pub(crate) const LOOKUP_GRANULES: usize = 4;

/// An `in_map` note's limit for a map into a domain whose table the module
/// cannot read: not counted. Any other limit is the number of bytes from
/// the map's IOVA that may be counted.
pub(crate) const UNREADABLE: u64 = u64::MAX;

/// Counters of the `accounting` file.
pub(crate) struct Stats {
    pub(crate) maps: Atomic<u64>,
    pub(crate) unmaps: Atomic<u64>,
    pub(crate) remaps: Atomic<u64>,
    pub(crate) pages_mapped: Atomic<u64>,
    pub(crate) refs: Atomic<u64>,
    pub(crate) pages_multi: Atomic<u64>,
    pub(crate) overflows: Atomic<u64>,
    pub(crate) underflows: Atomic<u64>,
    pub(crate) untracked: Atomic<u64>,
    pub(crate) seeded_pages: Atomic<u64>,
    pub(crate) freed_domains: Atomic<u64>,
    pub(crate) released_on_free: Atomic<u64>,
    /// Walks that released a range (an unmap's, a freed domain's table)
    /// and were cut short (`walk::Gap`: their read bound, a table they
    /// could not read, a reserved descriptor): what they left out stayed
    /// counted (`Accounting::reports_unconfirmed`).
    pub(crate) release_walks_cut: Atomic<u64>,
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
    /// Adds up the outcome `u` of the update of the `k` units from `pa` on
    /// (runs for every word of every map and unmap: inlined).
    #[inline(always)]
    fn note(&mut self, u: Update, inc: bool, pa: u64, k: u64) {
        match u {
            Update::Done { old } => {
                self.done += k;
                let (first, second) = if inc { (0, 1) } else { (1, 2) };
                if old == first {
                    self.first += k;
                } else if old == second {
                    self.second += k;
                }
            }
            Update::Overflow | Update::Underflow => {
                self.flows += k;
                let _ = self.flow_pa.get_or_insert(pa);
            }
            Update::NoMemory | Update::OutOfRange => self.untracked += k,
        }
    }
}

/// The note of a map in progress: the context (`task::context_id`), where
/// it maps, and how much of it may be counted (`UNREADABLE`: nothing).
struct InMap {
    task: Atomic<usize>,
    iova: Atomic<u64>,
    pa: Atomic<u64>,
    limit: Atomic<u64>,
}

/// Which way `release_unmap` took for the unmaps of one domain (KUnit
/// only): the driver's lookup of each granule, or the walk of the table.
#[cfg(iommu_scope_kunit)]
pub(crate) struct TestPaths {
    /// The domain counted (`DomainKey::index`; 0: none).
    pub(crate) domain: Atomic<usize>,
    pub(crate) lookups: Atomic<u64>,
    pub(crate) walks: Atomic<u64>,
}

#[cfg(iommu_scope_kunit)]
impl TestPaths {
    fn saw(&self, d: &Domain<'_>, walked: bool) {
        if d.key().index() == self.domain.load(Relaxed) {
            let c = if walked { &self.walks } else { &self.lookups };
            c.add(1, Relaxed);
        }
    }
}

/// The accounting state shared by the hooks and the files (through an
/// `Arc` each).
///
/// # Invariants
///
/// An `in_map` slot whose `task` is nonzero belongs to that context
/// (`task::context_id`), which is inside `iommu_map_nosync` mapping `iova`
/// to `pa`, or returned from it without reaching the tracepoint; only that
/// context clears it (at the tracepoint or at the probe's return).
/// `in_map_busy` is at least the number of slots with a nonzero `task`
/// (incremented before a claim, decremented after a clear). The work item
/// (refilling the table's node pools) is only queued while `stopping` is
/// false, and `stop` flushes it.
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
    in_map_busy: Atomic<usize>,
    /// Maps without a note are counted (the map probe is not needed).
    pub(crate) unnoted_counted: Atomic<bool>,
    /// An IOMMU or a domain whose table the module cannot read was seen:
    /// maps without a note are no longer counted (sticky).
    pub(crate) foreign: Atomic<bool>,
    stopping: Atomic<bool>,
    /// The read bound of the hooks' walks, lowered by a KUnit test to
    /// make one stop (the product always uses `MAX_WALK_READS`).
    #[cfg(iommu_scope_kunit)]
    pub(crate) test_walk_bound: Atomic<u64>,
    /// How `release_unmap` found the leaves of the domain a KUnit test
    /// names (the product has none of it).
    #[cfg(iommu_scope_kunit)]
    pub(crate) test_paths: TestPaths,
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
                unmaps: Atomic::new(0),
                remaps: Atomic::new(0),
                pages_mapped: Atomic::new(0),
                refs: Atomic::new(0),
                pages_multi: Atomic::new(0),
                overflows: Atomic::new(0),
                underflows: Atomic::new(0),
                untracked: Atomic::new(0),
                seeded_pages: Atomic::new(0),
                freed_domains: Atomic::new(0),
                released_on_free: Atomic::new(0),
                release_walks_cut: Atomic::new(0),
            },
            in_map: [const {
                InMap {
                    task: Atomic::new(0),
                    iova: Atomic::new(0),
                    pa: Atomic::new(0),
                    limit: Atomic::new(0),
                }
            }; IN_MAP_SLOTS],
            in_map_busy: Atomic::new(0),
            unnoted_counted: Atomic::new(false),
            foreign: Atomic::new(false),
            stopping: Atomic::new(false),
            #[cfg(iommu_scope_kunit)]
            test_walk_bound: Atomic::new(MAX_WALK_READS),
            #[cfg(iommu_scope_kunit)]
            test_paths: TestPaths {
                domain: Atomic::new(0),
                lookups: Atomic::new(0),
                walks: Atomic::new(0),
            },
            work <- new_work!("iommu_scope::Accounting::work"),
            }),
            GFP_KERNEL,
        )
    }

    /// Queues the refill of the table's node pools if a hook drew on them
    /// (any context: a few loads, `queue_work` takes only raw locks).
    pub(crate) fn refill_if_low(self: &Arc<Self>) {
        if self.counts.wants_refill() && !self.stopping.load(Relaxed) {
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
        // Every 4 KiB unit `[pa, pa + size)` touches (mappings are at least
        // 4 KiB aligned; a part of one that is not counts whole units, the
        // same ones however the range is split).
        let Some(last) = size.checked_sub(1).and_then(|s| pa.checked_add(s)) else {
            return;
        };
        let first = pa / UNIT;
        self.counts
            .update_range(first, last / UNIT - first + 1, inc, alloc, |u, pfn, k| {
                d.note(u, inc, pfn.saturating_mul(UNIT), k)
            });
    }

    /// The read bound of one walk of the hooks.
    fn walk_bound(&self) -> u64 {
        #[cfg(iommu_scope_kunit)]
        return self.test_walk_bound.load(Relaxed);
        #[cfg(not(iommu_scope_kunit))]
        MAX_WALK_READS
    }

    /// A walk releasing `[.., end)` left out what `gap` says (bounded by
    /// `max_reads` descriptors): that part stays counted, and a page of it
    /// freed later would be reported without a use-after-free. So every
    /// report from now on is unconfirmed (`reports_unconfirmed`). Only a
    /// range whose lowest-level tables hold more than `max_reads`
    /// descriptors, mapped or not (an IOVA span of about 15.9 GiB with 4
    /// KiB pages, 64 GiB with 16 KiB, 256 GiB with 64 KiB), or a corrupted
    /// table cuts a walk. Only the first cut is logged.
    #[cold]
    fn release_cut(&self, gap: Gap, end: u64, max_reads: u64) {
        if self.stats.release_walks_cut.fetch_add(1, Relaxed) != 0 {
            return;
        }
        match gap {
            Gap::Bound { iova } => pr_warn!(
                "accounting: a release walk stopped at its bound of {} descriptors: iova 0x{:x}-0x{:x} stays counted; DMA use-after-free reports are unconfirmed from now on (release_walks_cut in accounting)\n",
                max_reads,
                iova,
                end
            ),
            Gap::Unreadable { level, iova } => pr_warn!(
                "accounting: a release walk could not read (all or part of) a level {} table at iova 0x{:x}: what it maps there may stay counted; DMA use-after-free reports are unconfirmed from now on (release_walks_cut in accounting)\n",
                level,
                iova
            ),
            Gap::Reserved { level, iova } => pr_warn!(
                "accounting: a release walk met a reserved level {} descriptor at iova 0x{:x}: what it mapped stays counted; DMA use-after-free reports are unconfirmed from now on (release_walks_cut in accounting)\n",
                level,
                iova
            ),
        }
    }

    /// Whether a release walk was ever cut short (`release_cut`): counts
    /// may then be above the truth, so a freed page with a nonzero count
    /// may not be a use-after-free.
    pub(crate) fn reports_unconfirmed(&self) -> bool {
        self.stats.release_walks_cut.load(Relaxed) != 0
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
        match d.table() {
            Some(t) => self.account_table_range(&t, iova, end, inc),
            None => 0,
        }
    }

    /// Releases every unit mapped in `[iova, end)` of domain `d`, whose
    /// table is `t`, at the entry of an unmap of that range: a few granules
    /// through the driver's own lookup (`Domain::iova_to_phys`, as the
    /// kernel's `iommu_debug_unmap_begin` does), more (or a granule that
    /// does not translate) with one walk of the table. Returns the counters
    /// changed.
    ///
    /// # Safety
    ///
    /// No table under `[iova, end)` may be freed during the call: true at
    /// the entry of `__iommu_unmap` for the range it unmaps.
    pub(crate) unsafe fn release_unmap(
        &self,
        d: &Domain<'_>,
        t: &Table,
        iova: u64,
        end: u64,
    ) -> u64 {
        let bitmap = d.pgsize_bitmap();
        let granule = 1u64.checked_shl(bitmap.trailing_zeros()).unwrap_or(0);
        // The driver's lookup does not check the input range (io-pgtable-arm
        // masks the index bits): an IOVA beyond the table would alias
        // another mapping, so such a range is walked (the walk stops at the
        // table's end).
        let root = t.layout.root_level();
        let inside = t
            .layout
            .entry_size(root)
            .checked_mul(t.layout.entries(root) as u64)
            .is_none_or(|span| end <= span);
        let small = inside
            && granule != 0
            && iova.checked_rem(granule) == Some(0)
            && granule
                .checked_mul(LOOKUP_GRANULES as u64)
                .is_some_and(|max| end.saturating_sub(iova) <= max);
        if small {
            #[cfg(iommu_scope_kunit)]
            self.test_paths.saw(d, false);
            let mut pas = [0u64; LOOKUP_GRANULES];
            let mut n = 0;
            let mut at = iova;
            while at < end && n < LOOKUP_GRANULES {
                // SAFETY: `at` is in `[iova, end)`, whose tables stay
                // (caller's contract).
                let pa = unsafe { d.iova_to_phys(at) };
                if pa == 0 {
                    // A hole (or a page at 0): the walk says which.
                    #[cfg(iommu_scope_kunit)]
                    self.test_paths.saw(d, true);
                    return self.account_table_range(t, iova, end, false);
                }
                pas[n] = pa;
                n += 1;
                at = at.saturating_add(granule);
            }
            let mut delta = Delta::default();
            let mut from = iova;
            for pa in &pas[..n] {
                let len = granule.min(end - from);
                self.count_pa_range(*pa, len, false, Alloc::Pool, &mut delta);
                from = from.saturating_add(granule);
            }
            self.apply(&delta, false);
            return delta.done;
        }
        #[cfg(iommu_scope_kunit)]
        self.test_paths.saw(d, true);
        self.account_table_range(t, iova, end, false)
    }

    /// `account_range` on a table already looked up.
    /// Leaves that map physically contiguous memory (what the DMA API
    /// maps) are counted as one range: one counter-table lookup per 16 MiB
    /// instead of one per leaf.
    pub(crate) fn account_table_range(&self, t: &Table, iova: u64, end: u64, inc: bool) -> u64 {
        // One walk per format (no format dispatch per descriptor).
        match t.layout {
            AnyLayout::Lpae(g) => self.account_walk(&g, t.root_pa, iova, end, inc),
            AnyLayout::Pt(g) => self.account_walk(&g, t.root_pa, iova, end, inc),
        }
    }

    /// `account_table_range` on a table of layout `g` rooted at `root_pa`:
    /// the leaves through `leaves_in_range`, and through `walk` from where
    /// it stopped (a table it cannot read, a reserved descriptor, its read
    /// bound).
    fn account_walk<L: Layout>(&self, g: &L, root_pa: u64, iova: u64, end: u64, inc: bool) -> u64 {
        let mut delta = Delta::default();
        // The run of contiguous memory not yet counted: (pa, bytes).
        let mut run: Option<(u64, u64)> = None;
        let mut add = |p: u64, len: u64, delta: &mut Delta| match run {
            Some((rp, rl)) if rp.checked_add(rl) == Some(p) => {
                run = Some((rp, rl.saturating_add(len)));
            }
            _ => {
                if let Some((rp, rl)) = run.replace((p, len)) {
                    self.count_pa_range(rp, rl, inc, Alloc::Pool, delta);
                }
            }
        };
        let max_reads = self.walk_bound();
        let fast = leaves_in_range(
            g,
            root_pa,
            &mut PhysMemory,
            iova,
            end,
            max_reads,
            |_, p, len| add(p, len, &mut delta),
        );
        if let Err((at, reads)) = fast {
            let gap = walk_rest(
                g,
                root_pa,
                &mut SequentialPhys::new(),
                (at, end),
                (reads, max_reads),
                &mut |p, len| add(p, len, &mut delta),
            );
            if let (Some(gap), false) = (gap, inc) {
                self.release_cut(gap, end, max_reads);
            }
        }
        if let Some((rp, rl)) = run {
            self.count_pa_range(rp, rl, inc, Alloc::Pool, &mut delta);
        }
        self.apply(&delta, inc);
        delta.done
    }

    /// An IOMMU or a domain whose table the module cannot read was seen:
    /// from now on a map is only counted with a note from the map probe
    /// (which the caller has armed again). Any context.
    pub(crate) fn saw_foreign(&self) {
        if !self.foreign.load(Relaxed) {
            self.foreign.store(true, Release);
        }
    }

    /// Whether an IOMMU or a paging domain whose table the module cannot
    /// read was seen (by the hooks here, or by the dumps' registry).
    pub(crate) fn any_foreign(&self) -> bool {
        self.foreign.load(Acquire) || crate::sys::domain::unreadable_seen()
    }

    /// A map of `size` bytes at `iova` to `pa` reached the page table
    /// (the `iommu:map` tracepoint, any context): counts what its note
    /// allows, or all of it if maps without a note are counted. Returns
    /// true if the map probe must be armed (something unreadable was seen
    /// while maps without a note were counted).
    pub(crate) fn mapped(self: &Arc<Self>, iova: u64, pa: u64, size: u64) -> bool {
        self.stats.maps.add(1, Relaxed);
        // Consumed even for an empty map, so that no note outlives its call.
        let note = self.take_in_map(iova, pa);
        let mut arm = false;
        let limit = match note {
            Some(limit) => limit,
            None if self.unnoted_counted.load(Acquire) => {
                if self.any_foreign() {
                    arm = true;
                    UNREADABLE
                } else {
                    size
                }
            }
            // The probe is armed and did not see this call (it began
            // before the probe was registered, or found no free slot).
            None => UNREADABLE,
        };
        if size == 0 {
            return arm;
        }
        if limit == UNREADABLE {
            self.stats.untracked.add(size.div_ceil(UNIT), Relaxed);
            return arm;
        }
        let n = size.min(limit);
        if n == 0 {
            return arm;
        }
        self.account_pa_range(pa, n, true, Alloc::Pool);
        self.refill_if_low();
        arm
    }

    /// Leaves the note that the current context maps `iova` to `pa` and
    /// that `limit` bytes of it may be counted; returns the slot to give to
    /// `release_in_map` (`IN_MAP_SLOTS` if none was free: the map is then
    /// not counted).
    pub(crate) fn claim_in_map(&self, iova: u64, pa: u64, limit: u64) -> usize {
        let me = task::context_id();
        self.in_map_busy.add(1, Relaxed);
        for (i, s) in self.in_map.iter().enumerate() {
            if s.task.load(Relaxed) == 0 && s.task.cmpxchg(0, me, Relaxed).is_ok() {
                s.iova.store(iova, Relaxed);
                s.pa.store(pa, Relaxed);
                s.limit.store(limit, Relaxed);
                return i;
            }
        }
        let _ = self.in_map_busy.fetch_sub(1, Relaxed);
        IN_MAP_SLOTS
    }

    /// The map of slot `i` returned: clears the note if the tracepoint did
    /// not consume it.
    pub(crate) fn release_in_map(&self, i: usize) {
        let Some(s) = self.in_map.get(i) else {
            return;
        };
        if s.task.cmpxchg(task::context_id(), 0, Relaxed).is_ok() {
            let _ = self.in_map_busy.fetch_sub(1, Relaxed);
        }
    }

    /// Consumes the current context's note for a map of `iova` to `pa`:
    /// its limit, or `None` if there is none (one load when no note exists:
    /// a note this context left is seen by it, in program order, on any
    /// CPU).
    fn take_in_map(&self, iova: u64, pa: u64) -> Option<u64> {
        if self.in_map_busy.load(Relaxed) == 0 {
            return None;
        }
        let me = task::context_id();
        for s in self.in_map.iter() {
            // Only this context writes a slot it owns, and it wrote the
            // note before this call (program order): plain loads suffice.
            if s.task.load(Relaxed) == me
                && s.iova.load(Relaxed) == iova
                && s.pa.load(Relaxed) == pa
            {
                let limit = s.limit.load(Relaxed);
                if s.task.cmpxchg(me, 0, Relaxed).is_ok() {
                    let _ = self.in_map_busy.fetch_sub(1, Relaxed);
                    return Some(limit);
                }
            }
        }
        None
    }
}
