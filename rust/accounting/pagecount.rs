// SPDX-License-Identifier: GPL-2.0

//! A page_ext-style table of IOMMU mapping refcounts, owned by the module
//! (the kernel's page_ext accessors are not exported).
//!
//! Three levels indexed by the number of the 4 KiB unit (`pa / UNIT`, the
//! "pfn" below, whatever `PAGE_SIZE` is): a root of `ROOT` pointers
//! allocated at load, mid nodes of `MID` pointers and leaves of `LEAF`
//! 16-bit counters (2 bytes per 4 KiB unit), both made the first time a
//! page in their range is counted, installed with a compare-and-exchange,
//! and freed only when the table is dropped. Lookups and updates take no
//! lock. The counters are packed four to a 64-bit word (`pure::lanes`):
//! one compare-and-exchange updates up to four units, first expecting
//! their usual counts (0 before a map, 1 before an unmap), so that the
//! usual update is one atomic operation per 16 KiB.
//!
//! Hooks cannot allocate (they run with preemption off, on PREEMPT_RT
//! too), so they take new nodes from pools filled ahead of time in process
//! context (`refill`, from a work item the caller queues when `wants_refill`
//! says so). A hook that finds its pool empty does not count (`NoMemory`,
//! shown as `untracked`) and the pool's target doubles at the next refill,
//! up to `POOL_SLOTS`; memory still grows only where pages get mapped.
//! Process-context callers (the seeding walk) allocate directly.
//!
//! Owns: the counters' memory and their atomic updates, the node pools
//! and the memory they use. Must not: know about domains or hooks, or do
//! the lane arithmetic itself (`pure::lanes` does).

use core::ptr::null_mut;

use kernel::{
    alloc::flags::__GFP_NOWARN,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Full, Relaxed, Release},
};

use crate::pure::lanes::{self, LaneUpdate, LANES, MAX_COUNT};

/// Bits of PFN resolved by a leaf: 4096 counters (8 KiB) per 16 MiB.
const LEAF_BITS: u32 = 12;
/// Bits resolved by a mid node: 4096 leaves (32 KiB of pointers) per 64 GiB.
const MID_BITS: u32 = 12;
/// Bits resolved by the root: 4096 mids, so 48-bit physical addresses.
const ROOT_BITS: u32 = 12;
const LEAF: usize = 1 << LEAF_BITS;
const MID: usize = 1 << MID_BITS;
const ROOT: usize = 1 << ROOT_BITS;

/// Bytes of physical memory one counter stands for: a fixed 4 KiB unit,
/// whatever the kernel's page size (a counter index is `pa / UNIT`).
pub(crate) const UNIT: u64 = 4096;

/// A word of four counters (`pure::lanes`): the units `4 * w` to
/// `4 * w + 3` of its leaf, one per 16-bit lane, each with its count in
/// bits 0-14 and the reported flag in bit 15. Every update is a
/// compare-and-exchange of the word, so up to four units cost one atomic
/// operation.
type Word = Atomic<u64>;

/// Words per leaf.
const WORDS: usize = LEAF / LANES;

struct Leaf {
    words: [Word; WORDS],
}

/// Applies `f` to `word` until its compare-and-exchange succeeds, from
/// `old`, a value read from the word (a load, or what a failed
/// compare-and-exchange returned); `f` returns the new value and a result,
/// or `None` to leave the word as it is. Returns `f`'s result for the
/// value finally seen.
fn update_word<R>(word: &Word, mut old: u64, mut f: impl FnMut(u64) -> (Option<u64>, R)) -> R {
    loop {
        let (new, r) = f(old);
        match new {
            // Nothing to change (only overflows or underflows).
            None => return r,
            Some(new) if new == old => return r,
            Some(new) => match word.cmpxchg(old, new, Relaxed) {
                Ok(_) => return r,
                Err(cur) => old = cur,
            },
        }
    }
}

/// The outcome of a lane update as the callers see it.
fn outcome(u: LaneUpdate) -> Update {
    match u {
        LaneUpdate::Done { old } => Update::Done { old: old.into() },
        LaneUpdate::Overflow => Update::Overflow,
        LaneUpdate::Underflow => Update::Underflow,
    }
}

/// Where a new node comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alloc {
    /// From the pools only (hooks: any context, never sleeps).
    Pool,
    /// `GFP_KERNEL` (process context only).
    Kernel,
}

/// Slots of a node pool.
const POOL_SLOTS: usize = 96;
/// The largest target a pool grows to: the other slots take back nodes a
/// hook took but did not install (it lost the race for the same slot).
const POOL_MAX_TARGET: usize = 64;
/// Leaves (8 KiB each) a pool holds ahead at first.
const LEAF_POOL_START: usize = 8;
/// Mid nodes (32 KiB each) a pool holds ahead at first.
const MID_POOL_START: usize = 2;

/// Zeroed nodes allocated ahead for the hooks.
///
/// # Invariants
///
/// Every non-null slot holds a zeroed node from `KBox::into_raw` that no
/// one else references: whoever swaps it out of the slot owns it. `ready`
/// follows the number of non-null slots (it may lag a take or put in
/// progress by one each). `spilled` heads a list of nodes from
/// `KBox::into_raw` that no one else references, each holding the next
/// one's address (unaligned) in its first bytes; nodes are only pushed
/// (any context) or the whole list taken (process context), so a push
/// never races the removal of a single node.
struct Pool<T> {
    slots: [Atomic<*mut T>; POOL_SLOTS],
    /// Nodes a hook took, could not install and found no free slot for:
    /// freed at the next refill.
    spilled: Atomic<*mut T>,
    ready: Atomic<usize>,
    /// How many nodes `refill` keeps ready.
    target: Atomic<usize>,
    /// A hook found the pool empty since the last refill.
    ran_dry: Atomic<bool>,
}

impl<T> Pool<T> {
    const fn new(target: usize) -> Self {
        Self {
            slots: [const { Atomic::new(null_mut()) }; POOL_SLOTS],
            spilled: Atomic::new(null_mut()),
            ready: Atomic::new(0),
            target: Atomic::new(target),
            ran_dry: Atomic::new(false),
        }
    }

    /// Takes a node (any context, at most `POOL_SLOTS` loads).
    fn take(&self) -> Option<*mut T> {
        for s in self.slots.iter() {
            let p = s.load(Relaxed);
            if !p.is_null() && s.cmpxchg(p, null_mut(), Acquire).is_ok() {
                let _ = self.ready.fetch_sub(1, Relaxed);
                return Some(p);
            }
        }
        self.ran_dry.store(true, Relaxed);
        None
    }

    /// Gives an unused, zeroed node from `KBox::into_raw` to the pool;
    /// gives it back (`Err`) if every slot is taken.
    fn put(&self, p: *mut T) -> core::result::Result<(), *mut T> {
        for s in self.slots.iter() {
            if s.cmpxchg(null_mut(), p, Release).is_ok() {
                self.ready.add(1, Relaxed);
                return Ok(());
            }
        }
        Err(p)
    }

    /// Keeps a node `put` gave back until process context frees it (any
    /// context: a compare-and-exchange loop that only retries when another
    /// push raced).
    fn spill(&self, p: *mut T) {
        let mut head = self.spilled.load(Relaxed);
        loop {
            // SAFETY: `p` is a node from `KBox::into_raw` that only the
            // caller references (and at least pointer-sized: a node is an
            // array of 4096 words); its first bytes now hold the link.
            unsafe { p.cast::<*mut T>().write_unaligned(head) };
            match self.spilled.cmpxchg(head, p, Release) {
                Ok(_) => return,
                Err(cur) => head = cur,
            }
        }
    }

    /// Frees the spilled nodes (process context, or `drop`); returns how
    /// many.
    fn free_spilled(&self) -> u64 {
        let mut p = self.spilled.xchg(null_mut(), Acquire);
        let mut n = 0;
        while !p.is_null() {
            // SAFETY: a listed node holds the next one's address (type
            // invariant); the list was taken whole, so only we reach it.
            let next = unsafe { p.cast::<*mut T>().read_unaligned() };
            // SAFETY: a listed node comes from `KBox::into_raw` and is
            // referenced by no one else (type invariant).
            drop(unsafe { KBox::from_raw(p) });
            p = next;
            n += 1;
        }
        n
    }

    /// Nodes in the pool (any context: one load).
    fn ready(&self) -> usize {
        self.ready.load(Relaxed)
    }

    /// Whether a refill would add nodes.
    fn low(&self) -> bool {
        self.ran_dry.load(Relaxed)
            || self.ready() < self.target.load(Relaxed)
            || !self.spilled.load(Relaxed).is_null()
    }

    /// Fills the pool up to its target (doubled if it ran dry), process
    /// context; returns the nodes added.
    fn refill(&self) -> u64 {
        let _ = self.free_spilled();
        if self.ran_dry.xchg(false, Relaxed) {
            let t = self.target.load(Relaxed);
            self.target.store((t * 2).min(POOL_MAX_TARGET), Relaxed);
        }
        let mut added = 0;
        while self.ready() < self.target.load(Relaxed) {
            let Some(b) = zeroed_box::<T>(GFP_KERNEL | __GFP_NOWARN) else {
                break;
            };
            if let Err(p) = self.put(KBox::into_raw(b)) {
                // SAFETY: `p` came from `KBox::into_raw` just above and was
                // never shared.
                drop(unsafe { KBox::from_raw(p) });
                break;
            }
            added += 1;
        }
        added
    }
}

impl<T> Drop for Pool<T> {
    fn drop(&mut self) {
        let _ = self.free_spilled();
        for s in self.slots.iter() {
            let p = s.load(Relaxed);
            if !p.is_null() {
                // SAFETY: a non-null slot owns its node (invariant) and no
                // one else can reach the pool any more (`&mut self`).
                drop(unsafe { KBox::from_raw(p) });
            }
        }
    }
}

struct Mid {
    leaves: [Atomic<*mut Leaf>; MID],
}

/// Outcome of one counter update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Update {
    /// Changed from `old` to `old +/- 1` (counts without the flag).
    Done { old: u32 },
    /// Would have passed `MAX_COUNT`: unchanged.
    Overflow,
    /// Was zero: unchanged.
    Underflow,
    /// No node for the counter (the pool was empty, or the allocation
    /// failed): not counted.
    NoMemory,
    /// PFN beyond 48-bit physical addresses: not counted.
    OutOfRange,
}

/// Counters of the table itself.
pub(crate) struct TableStats {
    /// Leaves allocated.
    pub(crate) leaves: Atomic<u64>,
    /// Mid nodes allocated.
    pub(crate) mids: Atomic<u64>,
    /// Nodes a hook could not get (its pool was empty; counts lost).
    pub(crate) alloc_failures: Atomic<u64>,
    /// Nodes a hook could neither install nor give back (see `Pool::put`).
    pub(crate) nodes_spilled: Atomic<u64>,
}

/// The refcount table.
///
/// # Invariants
///
/// `root` has `ROOT` entries. Every non-null pointer in `root` and in a
/// `Mid` was created by `KBox::into_raw` of a zeroed node and is never
/// changed again until `drop`, which frees them; so a pointer loaded with
/// `Acquire` stays valid as long as the table lives.
pub(crate) struct PageCounts {
    root: KVec<Atomic<*mut Mid>>,
    leaf_pool: Pool<Leaf>,
    mid_pool: Pool<Mid>,
    /// A pool was taken from, ran dry or got a spilled node since the last
    /// `refill`.
    refill_wanted: Atomic<bool>,
    pub(crate) stats: TableStats,
}

// SAFETY: all shared state is atomics; nodes are only freed in `drop`.
unsafe impl Send for PageCounts {}
// SAFETY: as above.
unsafe impl Sync for PageCounts {}

/// Allocates a zeroed `T` made only of atomics (all-zero is valid).
fn zeroed_box<T>(flags: kernel::alloc::Flags) -> Option<KBox<T>> {
    let b = KBox::<T>::new_uninit(flags).ok()?;
    let p = KBox::into_raw(b);
    // SAFETY: `p` points to an allocation for one `T`; zeroing it makes a
    // valid `T` because `T` is an array of atomic integers or pointers.
    unsafe {
        core::ptr::write_bytes(p.cast::<u8>(), 0, core::mem::size_of::<T>());
        Some(KBox::from_raw(p.cast::<T>()))
    }
}

impl PageCounts {
    /// An empty table (allocates the 32 KiB root).
    pub(crate) fn new() -> Result<Self> {
        let mut root = KVec::with_capacity(ROOT, GFP_KERNEL)?;
        for _ in 0..ROOT {
            root.push(Atomic::new(null_mut()), GFP_KERNEL)?;
        }
        let t = Self {
            root,
            leaf_pool: Pool::new(LEAF_POOL_START),
            mid_pool: Pool::new(MID_POOL_START),
            refill_wanted: Atomic::new(false),
            stats: TableStats {
                leaves: Atomic::new(0),
                mids: Atomic::new(0),
                alloc_failures: Atomic::new(0),
                nodes_spilled: Atomic::new(0),
            },
        };
        t.refill();
        Ok(t)
    }

    /// Makes the nodes of every counter of `[pa, pa + size)` (process
    /// context: allocates with GFP_KERNEL), so that counting that range
    /// needs no pool. Stops at the end of the table's range.
    pub(crate) fn prepare(&self, pa: u64, size: u64) {
        if size == 0 {
            return;
        }
        let first = pa / UNIT;
        let last = pa.saturating_add(size - 1) / UNIT;
        let mut pfn = first;
        loop {
            if matches!(
                self.counter(pfn, Some(Alloc::Kernel)),
                Err(Update::OutOfRange)
            ) {
                return;
            }
            // The first counter of the next leaf.
            match (pfn | (LEAF as u64 - 1)).checked_add(1) {
                Some(next) if next <= last => pfn = next,
                _ => return,
            }
        }
    }

    /// Whether `refill` is due (any context: a few loads).
    pub(crate) fn wants_refill(&self) -> bool {
        // One load, not the pools' eight: this runs after every map.
        self.refill_wanted.load(Relaxed)
    }

    /// Fills the node pools (process context: allocates with GFP_KERNEL).
    pub(crate) fn refill(&self) {
        // Cleared before the pools are read, fully ordered: a hook's take
        // whose request this clears is seen by the reads below (the
        // request is a release after the take), and one it does not clear
        // asks again.
        let _ = self.refill_wanted.xchg(false, Full);
        self.leaf_pool.refill();
        self.mid_pool.refill();
        if self.leaf_pool.low() || self.mid_pool.low() {
            // Short of memory: asked again by the next hook.
            self.refill_wanted.store(true, Relaxed);
        }
    }

    /// Bytes of memory the table uses (with the nodes its pools hold).
    pub(crate) fn memory(&self) -> u64 {
        let mids = self.stats.mids.load(Relaxed) + self.mid_pool.ready() as u64;
        let leaves = self.stats.leaves.load(Relaxed) + self.leaf_pool.ready() as u64;
        (ROOT * core::mem::size_of::<usize>()) as u64
            + mids * core::mem::size_of::<Mid>() as u64
            + leaves * core::mem::size_of::<Leaf>() as u64
    }

    /// The counter of `pfn`, making its nodes from `alloc` if given.
    fn counter(
        &self,
        pfn: u64,
        alloc: Option<Alloc>,
    ) -> core::result::Result<(&Word, usize), Update> {
        let leaf = self.leaf(pfn, alloc)?;
        let i = (pfn as usize) & (LEAF - 1);
        let w = leaf.words.get(i / LANES).ok_or(Update::OutOfRange)?;
        Ok((w, i % LANES))
    }

    /// The leaf holding the counter of `pfn`, making its nodes from `alloc`
    /// if given.
    fn leaf(&self, pfn: u64, alloc: Option<Alloc>) -> core::result::Result<&Leaf, Update> {
        let r = (pfn >> (LEAF_BITS + MID_BITS)) as usize;
        if r >= ROOT {
            return Err(Update::OutOfRange);
        }
        let m = ((pfn >> LEAF_BITS) as usize) & (MID - 1);
        let mid = self.node(&self.root[r], alloc, &self.mid_pool, &self.stats.mids)?;
        // SAFETY: non-null node pointers stay valid while `self` lives
        // (type invariant).
        let mid = unsafe { &*mid };
        let leaf = self.node(&mid.leaves[m], alloc, &self.leaf_pool, &self.stats.leaves)?;
        // SAFETY: as above.
        Ok(unsafe { &*leaf })
    }

    /// Adds (`inc`, making nodes from `alloc`) or drops one reference to
    /// each of the `n` counters from `pfn` on, finding each leaf once; calls
    /// `f(outcome, pfn, k)` for the `k` counters from `pfn` on that had
    /// that outcome, in order (`k` is 1 unless the word they share was in
    /// the usual state). Stops at the end of the table.
    pub(crate) fn update_range(
        &self,
        pfn: u64,
        n: u64,
        inc: bool,
        alloc: Alloc,
        mut f: impl FnMut(Update, u64, u64),
    ) {
        let Some(end) = pfn.checked_add(n) else {
            return;
        };
        let mut p = pfn;
        while p < end {
            // This leaf's part of the range.
            let span = (LEAF as u64 - (p & (LEAF as u64 - 1))).min(end - p);
            let leaf = if inc {
                self.leaf(p, Some(alloc))
            } else {
                self.leaf(p, None).map_err(|e| match e {
                    Update::OutOfRange => Update::OutOfRange,
                    _ => Update::Underflow,
                })
            };
            let leaf = match leaf {
                Ok(leaf) => leaf,
                Err(e) => {
                    // No counter (no node, or beyond the table, where every
                    // unit from here on is): one outcome for the span.
                    let beyond = e == Update::OutOfRange;
                    f(e, p, if beyond { end - p } else { span });
                    if beyond {
                        return;
                    }
                    p += span;
                    continue;
                }
            };
            // Word by word: one compare-and-exchange for up to four units,
            // first expecting the usual counts.
            for c in lanes::chunks(p & (LEAF as u64 - 1), span) {
                let Some(word) = leaf.words.get(c.word) else {
                    break;
                };
                let unit = p + c.offset;
                // The usual case first: every lane from 0 to 1 (a map) or
                // from 1 to 0 (an unmap), all done at once.
                let ones = lanes::ones(c.lane, c.n);
                let (old, new) = if inc { (0, ones) } else { (ones, 0) };
                let out = match word.cmpxchg(old, new, Relaxed) {
                    Ok(_) => {
                        f(
                            Update::Done {
                                old: u32::from(!inc),
                            },
                            unit,
                            c.n as u64,
                        );
                        continue;
                    }
                    Err(cur) => update_word(word, cur, |w| {
                        let (new, out) = lanes::update(w, c.lane, c.n, inc);
                        (Some(new), out)
                    }),
                };
                for (k, u) in out.iter().skip(c.lane).take(c.n).enumerate() {
                    if let Some(u) = u {
                        f(outcome(*u), unit + k as u64, 1);
                    }
                }
            }
            p += span;
        }
    }

    /// Loads (or installs) the node a slot points to.
    fn node<T>(
        &self,
        slot: &Atomic<*mut T>,
        alloc: Option<Alloc>,
        pool: &Pool<T>,
        count: &Atomic<u64>,
    ) -> core::result::Result<*mut T, Update> {
        let p = slot.load(Acquire);
        if !p.is_null() {
            return Ok(p);
        }
        let new = match alloc {
            None => return Err(Update::Underflow),
            Some(Alloc::Pool) => {
                let n = pool.take();
                // The pool is below its fill now (or dry); release: a
                // `refill` that sees this sees the take.
                self.refill_wanted.store(true, Release);
                n
            }
            // Process context leaves the pools to the hooks.
            Some(Alloc::Kernel) => zeroed_box::<T>(GFP_KERNEL | __GFP_NOWARN).map(KBox::into_raw),
        };
        let Some(new) = new else {
            self.stats.alloc_failures.add(1, Relaxed);
            return Err(Update::NoMemory);
        };
        match slot.cmpxchg(null_mut(), new, Release) {
            Ok(_) => {
                count.add(1, Relaxed);
                Ok(new)
            }
            Err(_) => {
                // Another CPU installed one first: use it (reloaded with
                // Acquire, as its contents are read next), keep ours for
                // later (it was never shared, so it is still zeroed).
                if let Err(p) = pool.put(new) {
                    // More racing hooks than spare slots: process context
                    // frees it, a hook (which cannot free) leaves it for
                    // the next refill.
                    if alloc == Some(Alloc::Kernel) {
                        // SAFETY: `p` is our node from `KBox::into_raw`,
                        // never shared.
                        drop(unsafe { KBox::from_raw(p) });
                    } else {
                        self.stats.nodes_spilled.add(1, Relaxed);
                        pool.spill(p);
                        self.refill_wanted.store(true, Release);
                    }
                }
                Ok(slot.load(Acquire))
            }
        }
    }

    /// Adds one reference to `pfn`, making its counter's nodes from
    /// `alloc` if needed (tests; the hooks use `update_range`).
    #[cfg(iommu_scope_kunit)]
    pub(crate) fn inc(&self, pfn: u64, alloc: Alloc) -> Update {
        let mut r = Update::NoMemory;
        self.update_range(pfn, 1, true, alloc, |u, _, _| r = u);
        r
    }

    /// Drops one reference from `pfn`. Reaching zero clears the
    /// reported-leak flag, so a later leak of the page is reported again
    /// (tests; the hooks use `update_range`).
    #[cfg(iommu_scope_kunit)]
    pub(crate) fn dec(&self, pfn: u64) -> Update {
        let mut r = Update::Underflow;
        // A decrement makes no node: `alloc` is not used.
        self.update_range(pfn, 1, false, Alloc::Kernel, |u, _, _| r = u);
        r
    }

    /// The count of `pfn` (0 if never counted).
    pub(crate) fn get(&self, pfn: u64) -> u32 {
        self.counter(pfn, None).map_or(0, |(w, i)| {
            (lanes::lane(w.load(Relaxed), i) & MAX_COUNT).into()
        })
    }

    /// Sets the reported flag of unit `pfn` if it counts references and
    /// has none yet; returns its count then (tests).
    #[cfg(iommu_scope_kunit)]
    pub(crate) fn mark_reported(&self, pfn: u64) -> Option<u32> {
        self.mark_reported_range(pfn, 1)
    }

    /// Sets the reported flag of each of the `n` units from `pfn` on that
    /// counts references and has none yet; returns the largest count among
    /// them, or `None` if none was flagged (any context: the page-free
    /// hook, for every page the kernel frees). A leaf is found once, a word
    /// read once; a word that counts nothing is left alone.
    pub(crate) fn mark_reported_range(&self, pfn: u64, n: u64) -> Option<u32> {
        let end = pfn.checked_add(n)?;
        let mut best: Option<u32> = None;
        let mut p = pfn;
        while p < end {
            let span = (LEAF as u64 - (p & (LEAF as u64 - 1))).min(end - p);
            match self.leaf(p, None) {
                Ok(leaf) => {
                    for c in lanes::chunks(p & (LEAF as u64 - 1), span) {
                        let Some(word) = leaf.words.get(c.word) else {
                            break;
                        };
                        let v = word.load(Relaxed);
                        if v == 0 {
                            continue;
                        }
                        let flagged = update_word(word, v, |v| {
                            match lanes::mark_reported_lanes(v, c.lane, c.n) {
                                Some((new, count)) => (Some(new), Some(count)),
                                None => (None, None),
                            }
                        });
                        if let Some(count) = flagged {
                            best = Some(best.map_or(count.into(), |b| b.max(count.into())));
                        }
                    }
                }
                // Beyond the table: nothing is counted there.
                Err(Update::OutOfRange) => return best,
                // No leaf: nothing mapped there.
                Err(_) => {}
            }
            p += span;
        }
        best
    }

    /// Clears every reported-leak flag (so leaks are reported again).
    pub(crate) fn clear_reported(&self) {
        self.for_each_word(|_, w| {
            let v = w.load(Relaxed);
            if lanes::any_reported(v) {
                update_word(w, v, |v| (Some(lanes::clear_reported(v)), ()));
            }
        });
    }

    /// Calls `f(pfn, count)` for every page with a nonzero count, in PFN
    /// order.
    pub(crate) fn for_each_mapped(&self, mut f: impl FnMut(u64, u32)) {
        self.for_each_word(|pfn, w| {
            let v = w.load(Relaxed);
            if v == 0 {
                return;
            }
            for i in 0..LANES {
                let n = lanes::lane(v, i) & MAX_COUNT;
                if n != 0 {
                    f(pfn + i as u64, n.into());
                }
            }
        });
    }

    fn for_each_word(&self, mut f: impl FnMut(u64, &Word)) {
        for (r, slot) in self.root.iter().enumerate() {
            let mid = slot.load(Acquire);
            if mid.is_null() {
                continue;
            }
            // SAFETY: non-null nodes are valid while `self` lives.
            let mid = unsafe { &*mid };
            for (m, lslot) in mid.leaves.iter().enumerate() {
                let leaf = lslot.load(Acquire);
                if leaf.is_null() {
                    continue;
                }
                // SAFETY: as above.
                let leaf = unsafe { &*leaf };
                let base = ((r << MID_BITS | m) << LEAF_BITS) as u64;
                for (l, w) in leaf.words.iter().enumerate() {
                    f(base + (l * LANES) as u64, w);
                }
            }
        }
    }
}

impl Drop for PageCounts {
    fn drop(&mut self) {
        for slot in self.root.iter() {
            let mid = slot.load(Acquire);
            if mid.is_null() {
                continue;
            }
            // SAFETY: `mid` came from `KBox::into_raw` (invariant) and no
            // one else can reach it any more (`&mut self`).
            let mid = unsafe { KBox::from_raw(mid) };
            for lslot in mid.leaves.iter() {
                let leaf = lslot.load(Acquire);
                if !leaf.is_null() {
                    // SAFETY: as above.
                    drop(unsafe { KBox::from_raw(leaf) });
                }
            }
        }
    }
}
