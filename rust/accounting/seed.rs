// SPDX-License-Identifier: GPL-2.0

//! Seeding the counts with what the domains that exist at load already
//! map, exactly, while DMA goes on, without holding up `insmod`.
//!
//! A domain found at load *settles* (protocol and its proof obligations in
//! `pure/settle.rs`): below its cursor the hooks count every change, at or
//! above it they leave changes to the seeding walk. A work item (`Seeder`)
//! walks each settling domain in windows from its cursor (at most
//! `MAX_WINDOW_READS` descriptors and `WINDOW_UNITS` units each), makes the
//! counter nodes for what it found, and then, under the settling lock that
//! every hook decision takes, counts what lies below the window's commit
//! end and moves the cursor there in the same step. An operation that was
//! in flight in the window, or entered it during the walk, cuts the window
//! at its start; the rest is walked again, with smaller windows and a
//! growing pause (up to `MAX_PAUSE_MS`) while nothing progresses. So a
//! mapping is counted once, never twice (no false DMA use-after-free
//! report), none is missed, and the seeding never gives up while DMA goes
//! on: it needs no quiet moment of the whole domain, only one of each
//! window.
//!
//! Relies on: an operation only frees or replaces a table that its own
//! range covers (io-pgtable-arm and generic_pt both do), so the tables a
//! window reads at or above the cursor change only under operations that
//! cut the window.
//!
//! Not seeded (their older mappings' unmaps show as `underflows`, never as
//! leaks): more than `MAX_SETTLING` domains at load (`seed_skipped`); a
//! domain allocated in the microseconds between the snapshot and the
//! installation of the hooks; a domain the registry no longer knows while
//! it lives (`seed_given_up`). Until a domain is seeded, a page freed while
//! mapped only there above the cursor is not reported.
//!
//! Owns: the settling slots, their lock, the seeding work item. Must not:
//! sleep, allocate or loop unboundedly in the hooks' half (`enter`, `exit`,
//! `freed`).

use kernel::{
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc,
    },
    time::{delay::fsleep, Delta},
    workqueue::{impl_has_work, new_work, Work, WorkItem},
};

use super::hooks::MapCtl;
use super::pagecount::{Alloc, UNIT};
use super::state::Accounting;
use crate::ptdump::registry::Registry;
use crate::pure::settle::{Slot, Track, TRACKED};
use crate::pure::table::Table;
use crate::pure::walk::{leaf_part, walk, Limits, Step};
use crate::sys::domain::DomainKey;
use crate::sys::phys::PhysMemory;
use crate::sys::rawlock::{new_raw_spinlock_irq, RawSpinLockIrq};
use crate::sys::work;

/// Domains that can settle at once; more are counted from load on, without
/// their older mappings (`seed_skipped`).
pub(crate) const MAX_SETTLING: usize = 64;

/// Units (4 KiB) one window counts at most: the work done under the lock
/// with interrupts off.
const WINDOW_UNITS: u64 = 256;
/// Descriptors one window reads at most (and the runs it can find).
const MAX_WINDOW_READS: usize = 2048;
/// Smallest window after conflicts.
const MIN_WINDOW_READS: usize = 8;
/// Longest pause between rounds that made no progress.
const MAX_PAUSE_MS: u64 = 64;
/// Rounds without finding a settling domain in the registry before giving
/// it up (a domain being freed is released by the free hook first).
const MAX_MISSES: u32 = 200;

/// A hook's decision, in one word of fprobe entry data.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Not a settling domain, or entirely below its cursor.
    Count,
    /// Ahead of a settling domain's cursor: call `exit` when it returns.
    Ahead { slot: usize, track: Track },
}

/// `Decision::Count` as a word; the words below `MAX_SETTLING *
/// (TRACKED + 1)` are the others, so callers may use the values between as
/// markers of their own.
const COUNT_WORD: usize = usize::MAX;

impl Decision {
    /// As one word (`slot * (TRACKED + 1) + record`).
    pub(crate) fn encode(self) -> usize {
        match self {
            Decision::Count => COUNT_WORD,
            Decision::Ahead { slot, track } => {
                let t = match track {
                    Track::Entry(i) => i,
                    // `Behind` never comes with `Ahead`; both are
                    // harmless in `exit`.
                    Track::Untracked | Track::Behind => TRACKED,
                };
                slot * (TRACKED + 1) + t
            }
        }
    }

    /// From `encode`'s word.
    pub(crate) fn decode(w: usize) -> Self {
        if w == COUNT_WORD || w >= MAX_SETTLING * (TRACKED + 1) {
            return Decision::Count;
        }
        let (slot, t) = (w / (TRACKED + 1), w % (TRACKED + 1));
        let track = if t == TRACKED {
            Track::Untracked
        } else {
            Track::Entry(t)
        };
        Decision::Ahead { slot, track }
    }
}

/// The settling domains.
///
/// # Invariants
///
/// `active` is the number of slots with a nonzero key and `keys[i]` is
/// slot `i`'s key; both only drop once the hooks are installed (slots are
/// filled before). Every change of a slot, and of its `keys` copy, is made
/// under `slots`.
#[pin_data]
pub(crate) struct Settling {
    /// `MAX_SETTLING` slots (on the heap: 11 KiB would not fit on the
    /// kernel stack the initialiser builds them on).
    #[pin]
    slots: RawSpinLockIrq<KVec<Slot>>,
    /// The slots' keys, for a lock-free "is it settling?" in the hooks.
    keys: [Atomic<usize>; MAX_SETTLING],
    /// Settling slots: the hooks' lock-free fast path when 0.
    active: Atomic<usize>,
}

impl Settling {
    /// `MAX_SETTLING` free slots, for `new` (process context).
    pub(crate) fn alloc_slots() -> Result<KVec<Slot>> {
        let mut v = KVec::with_capacity(MAX_SETTLING, GFP_KERNEL)?;
        for _ in 0..MAX_SETTLING {
            v.push(Slot::FREE, GFP_KERNEL)?;
        }
        Ok(v)
    }

    /// No domain settles; `slots` from `alloc_slots`.
    pub(crate) fn new(slots: KVec<Slot>) -> impl PinInit<Self> {
        pin_init!(Self {
            slots <- new_raw_spinlock_irq!(slots, "iommu_scope::Settling::slots"),
            keys: [const { Atomic::new(0) }; MAX_SETTLING],
            active: Atomic::new(0),
        })
    }

    /// Domains still settling.
    pub(crate) fn active(&self) -> usize {
        self.active.load(Acquire)
    }

    /// Makes `key` settle (before the hooks are installed); false if no
    /// slot is free.
    fn add(&self, key: DomainKey) -> bool {
        let mut slots = self.slots.lock();
        let Some((i, s)) = slots.iter_mut().enumerate().find(|(_, s)| s.key() == 0) else {
            return false;
        };
        *s = Slot::settling(key.index(), UNIT);
        self.keys[i].store(key.index(), Release);
        let _ = self.active.fetch_add(1, Release);
        true
    }

    /// Frees slot `i` (called with `slots` locked, which `s` is from).
    fn release(&self, i: usize, s: &mut Slot) {
        *s = Slot::FREE;
        if let Some(k) = self.keys.get(i) {
            k.store(0, Release);
        }
        let _ = self.active.fetch_sub(1, Release);
    }

    /// Whether domain `key` may still settle, without the lock (any
    /// context): false means it does not, nor will again (a slot's key only
    /// goes to 0 once the hooks are installed); true is confirmed under
    /// the lock.
    fn may_settle(&self, key: usize) -> bool {
        key != 0
            && self.active.load(Acquire) != 0
            && self.keys.iter().any(|k| k.load(Acquire) == key)
    }

    /// A hook enters an operation on `[a, b)` of domain `key` (any
    /// context, bounded: one raw lock, `MAX_SETTLING` + `TRACKED` loads).
    /// Returns the decision for `exit` and the end of the part the hook
    /// counts itself (`[a, end)`; empty when `end <= a`).
    pub(crate) fn enter(&self, key: usize, a: u64, b: u64) -> (Decision, u64) {
        if !self.may_settle(key) {
            return (Decision::Count, b);
        }
        let mut slots = self.slots.lock();
        let Some((i, s)) = slots.iter_mut().enumerate().find(|(_, s)| s.key() == key) else {
            return (Decision::Count, b);
        };
        match s.enter(a, b) {
            (Track::Behind, end) => (Decision::Count, end),
            (track, end) => (Decision::Ahead { slot: i, track }, end),
        }
    }

    /// The operation `enter` decided on returned.
    pub(crate) fn exit(&self, d: Decision) {
        if let Decision::Ahead { slot, track } = d {
            if let Some(s) = self.slots.lock().get_mut(slot) {
                s.exit(track);
            }
        }
    }

    /// The domain `key` is being freed: if it still settles, its slot is
    /// released and its cursor returned (only what lies below it was
    /// counted).
    pub(crate) fn freed(&self, key: usize) -> Option<u64> {
        if !self.may_settle(key) {
            return None;
        }
        let mut slots = self.slots.lock();
        let (i, s) = slots.iter_mut().enumerate().find(|(_, s)| s.key() == key)?;
        let cursor = s.cursor();
        self.release(i, s);
        Some(cursor)
    }

    /// The key of slot `i` (0 if free).
    fn key_of(&self, i: usize) -> usize {
        self.keys.get(i).map_or(0, |k| k.load(Acquire))
    }

    /// Gives up seeding slot `i` of `key`: counted from now on, the part
    /// above its cursor without its older mappings.
    fn give_up(&self, i: usize, key: usize) -> bool {
        let mut slots = self.slots.lock();
        match slots.get_mut(i) {
            Some(s) if s.key() == key && s.ahead_in_flight() == 0 => {
                self.release(i, s);
                true
            }
            _ => false,
        }
    }
}

/// Counters of the seeding, shown in `accounting`.
pub(crate) struct SeedStats {
    pub(crate) domains: Atomic<u64>,
    pub(crate) windows: Atomic<u64>,
    pub(crate) cut: Atomic<u64>,
    pub(crate) given_up: Atomic<u64>,
    pub(crate) skipped: Atomic<u64>,
}

impl SeedStats {
    pub(crate) const fn new() -> Self {
        Self {
            domains: Atomic::new(0),
            windows: Atomic::new(0),
            cut: Atomic::new(0),
            given_up: Atomic::new(0),
            skipped: Atomic::new(0),
        }
    }
}

/// Makes every domain `reg` knows settle; call before installing the hooks.
pub(crate) fn snapshot(a: &Accounting, reg: &Registry) {
    let Ok(live) = reg.live() else {
        return;
    };
    for d in live.iter() {
        if !a.settling.add(d.key) {
            a.seed.skipped.add(1, Relaxed);
        }
    }
}

/// One run of a window: `(iova, pa, bytes)`.
type Run = (u64, u64, u64);

/// The seeding work item.
///
/// # Invariants
///
/// Queued once by `start`, it runs until no domain settles or `stopping`
/// is set; `stop` sets that and waits for it.
#[pin_data]
pub(crate) struct Seeder {
    acc: Arc<Accounting>,
    /// Told when the last domain settled (the map probe may go).
    ctl: Arc<MapCtl>,
    reg: Arc<Registry>,
    stopping: Atomic<bool>,
    #[pin]
    work: Work<Seeder>,
}

impl_has_work! {
    impl HasWork<Self> for Seeder { self.work }
}

impl WorkItem for Seeder {
    type Pointer = Arc<Seeder>;

    fn run(this: Arc<Seeder>) {
        this.seed_all();
        this.ctl.queue();
    }
}

/// What one window did.
enum Window {
    /// The cursor moved; `cut` if an operation ended the window early.
    Advanced { cut: bool },
    /// An operation held the cursor where it was.
    Held,
    /// The slot is no longer this domain's (freed).
    Gone,
    /// The registry does not know the domain (being freed, or dropped).
    Unknown,
}

impl Seeder {
    /// Starts seeding the settling domains of `acc` in the background
    /// (after the hooks are installed).
    pub(crate) fn start(
        acc: &Arc<Accounting>,
        reg: &Arc<Registry>,
        ctl: Arc<MapCtl>,
    ) -> Result<Arc<Self>> {
        let s = Arc::pin_init(
            pin_init!(Self {
                acc: acc.clone(),
                ctl,
                reg: reg.clone(),
                stopping: Atomic::new(false),
                work <- new_work!("iommu_scope::Seeder::work"),
            }),
            GFP_KERNEL,
        )?;
        if acc.settling.active() > 0 {
            let _ = work::queue().enqueue(s.clone());
        }
        Ok(s)
    }

    /// Stops the seeding and waits for the work item (process context).
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Relaxed);
        work::flush(&self.work);
    }

    fn seed_all(&self) {
        let a = &*self.acc;
        // Calls that were in flight when the hooks were installed were not
        // seen by them (an unmap preempted half-way would otherwise leave a
        // page the first window counts): wait until they all returned.
        crate::sys::task::wait_for_callers();
        let Ok(mut runs) = KVVec::<Run>::with_capacity(MAX_WINDOW_READS, GFP_KERNEL) else {
            pr_warn!("accounting: no memory to seed the domains found at load\n");
            for i in 0..MAX_SETTLING {
                let key = a.settling.key_of(i);
                while key != 0 && !a.settling.give_up(i, key) {
                    if self.stopping.load(Relaxed) {
                        return;
                    }
                    fsleep(Delta::from_millis(1));
                }
                if key != 0 {
                    a.seed.given_up.add(1, Relaxed);
                }
            }
            return;
        };
        let mut reads = [MAX_WINDOW_READS; MAX_SETTLING];
        let mut misses = [0u32; MAX_SETTLING];
        let mut pause_ms = 0u64;
        while !self.stopping.load(Relaxed) && a.settling.active() > 0 {
            let mut progress = false;
            for i in 0..MAX_SETTLING {
                if self.stopping.load(Relaxed) {
                    return;
                }
                let key = a.settling.key_of(i);
                if key == 0 {
                    continue;
                }
                a.seed.windows.add(1, Relaxed);
                match self.window(i, key, reads[i], &mut runs) {
                    Window::Advanced { cut } => {
                        progress = true;
                        misses[i] = 0;
                        reads[i] = if cut {
                            a.seed.cut.add(1, Relaxed);
                            (reads[i] / 2).max(MIN_WINDOW_READS)
                        } else {
                            (reads[i] * 2).min(MAX_WINDOW_READS)
                        };
                    }
                    Window::Held => {
                        misses[i] = 0;
                        a.seed.cut.add(1, Relaxed);
                        reads[i] = (reads[i] / 2).max(MIN_WINDOW_READS);
                    }
                    Window::Unknown => {
                        misses[i] += 1;
                        if misses[i] >= MAX_MISSES && a.settling.give_up(i, key) {
                            a.seed.given_up.add(1, Relaxed);
                        }
                    }
                    Window::Gone => {}
                }
            }
            // Let others run between rounds; pause longer while an
            // operation keeps holding every window.
            pause_ms = if progress {
                0
            } else {
                (pause_ms * 2).clamp(1, MAX_PAUSE_MS)
            };
            if pause_ms == 0 {
                fsleep(Delta::from_micros(50));
            } else {
                fsleep(Delta::from_millis(pause_ms as i64));
            }
        }
    }

    /// Walks and commits one window of slot `i` (domain `key`).
    fn window(&self, i: usize, key: usize, reads: usize, runs: &mut KVVec<Run>) -> Window {
        let a = &*self.acc;
        let cursor = {
            let mut slots = a.settling.slots.lock();
            match slots.get_mut(i) {
                Some(s) if s.key() == key => s.begin_window(),
                _ => return Window::Gone,
            }
        };
        runs.clear();
        // The table is looked up inside the window: a domain that gets one
        // (first attach) and a map after this is cut by that map.
        let (end, unknown) = match self.reg.live_one(key) {
            // Being freed (the free hook releases the slot), or unknown to
            // the registry: commit nothing.
            None => (cursor, true),
            // No table the module reads: nothing to seed up to the end.
            Some(d) => match d.table {
                None => (u64::MAX, false),
                Some(t) => (Self::walk_window(&t, cursor, reads, runs), false),
            },
        };
        // Counter nodes for what can still be committed, so that the
        // commit needs none (what lies above the limit is never prepared:
        // a walk through a table freed under it reads garbage there).
        let limit = {
            let slots = a.settling.slots.lock();
            match slots.get(i) {
                Some(s) if s.key() == key => s.peek_window(end),
                _ => return Window::Gone,
            }
        };
        for &(iova, pa, len) in runs.iter() {
            if iova >= limit {
                break;
            }
            a.counts.prepare(pa, len.min(limit - iova));
        }
        let mut slots = a.settling.slots.lock();
        let Some(s) = slots.get_mut(i).filter(|s| s.key() == key) else {
            return Window::Gone;
        };
        let e = s.end_window(end);
        let mut seeded = 0u64;
        for &(iova, pa, len) in runs.iter() {
            if iova >= e {
                break;
            }
            let len = len.min(e - iova);
            a.account_pa_range(pa, len, true, Alloc::Pool);
            seeded = seeded.saturating_add(len.div_ceil(UNIT));
        }
        a.stats.seeded_pages.add(seeded, Relaxed);
        if s.seeded() {
            a.settling.release(i, s);
            a.seed.domains.add(1, Relaxed);
        }
        drop(slots);
        if unknown {
            Window::Unknown
        } else if e > cursor {
            Window::Advanced { cut: e < end }
        } else {
            Window::Held
        }
    }

    /// Reads one window of table `t` from `cursor` (at most `reads`
    /// descriptors and `WINDOW_UNITS` units) into `runs`; returns where it
    /// stopped (`u64::MAX`: the end of the table).
    ///
    /// The walk takes no lock: what it reads where an operation acts is not
    /// committed (see `pure/settle.rs`), and a table freed under it belongs
    /// to a freed domain, whose slot is gone at commit.
    fn walk_window(t: &Table, cursor: u64, reads: usize, runs: &mut KVVec<Run>) -> u64 {
        let mut units = 0u64;
        let mut end = u64::MAX;
        let limits = Limits {
            max_steps: reads as u64,
            start: cursor,
            end: u64::MAX,
        };
        walk(&t.layout, t.root_pa, &mut PhysMemory, limits, |st| {
            if end != u64::MAX {
                return;
            }
            match *st {
                Step::Leaf { iova, pa, size, .. } => {
                    let Some((from, p, mut len)) = leaf_part(iova, pa, size, cursor, u64::MAX)
                    else {
                        return;
                    };
                    let room = WINDOW_UNITS.saturating_sub(units).saturating_mul(UNIT);
                    if len >= room {
                        len = room;
                        end = from.saturating_add(room);
                    }
                    if runs.push_within_capacity((from, p, len)).is_err() {
                        end = from;
                        return;
                    }
                    units = units.saturating_add(len.div_ceil(UNIT));
                }
                Step::Truncated { iova } => end = iova.max(cursor),
                _ => {}
            }
        });
        end
    }
}
