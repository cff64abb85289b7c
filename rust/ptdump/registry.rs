// SPDX-License-Identifier: GPL-2.0

//! The registry of live IOMMU domains and their debugfs directories.
//!
//! Domains enter the registry when the module loads (the domain of every
//! device on the PCI and platform buses), when the iommu core allocates a
//! paging domain, and when any domain is attached; they leave it when
//! `iommu_domain_free` is entered.
//!
//! The hooks run with preemption off, in any context, on PREEMPT_RT too:
//! they neither allocate nor take a sleeping lock. What they share with the
//! readers is the *live set* (`pure::liveset`): the key of every live
//! domain with an incarnation number, in a preallocated table under one
//! raw spinlock. A hook adds or removes a key under it in a bounded number
//! of steps; a reader checks its key and incarnation under it before it
//! reads the domain, and the free hook removes the key under it before the
//! domain is released. Everything that allocates or sleeps (growing the
//! table, the directories) is done by a work item that reconciles debugfs
//! with the live set.
//!
//! Owns: the live set, `DomainEntry` (the way to read a registered
//! domain's memory; `DomainKey::masters` is the other, under a group
//! mutex), the `domain_<id>` directories, and `UnmapCounters`,
//! the per-bucket unmap counts that mark dumps inconsistent.
//! Must not: format file contents (`files.rs` does), install hooks
//! (`hooks.rs` does), or give out a domain after the free hook has run.

use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex,
    },
    workqueue::{impl_has_work, new_work, Work, WorkItem},
};

use super::files::DomainDir;
use crate::pure::liveset::{self, Occupancy, Slot};
use crate::pure::table::Table;
use crate::sys::debugfs::Dir;
use crate::sys::domain::{DirName, Domain, DomainKey, MmName};
use crate::sys::rawlock::{new_raw_spinlock_irq, RawSpinLockIrq};
use crate::sys::work;

/// A live domain as `Registry::live` copied it.
pub(crate) struct LiveDomain {
    /// Its identity.
    pub(crate) key: DomainKey,
    /// Its directory name.
    pub(crate) name: DirName,
    /// Its page table, if the module can walk it.
    pub(crate) table: Option<Table>,
}

/// A table a live domain owns, for finding what an SMMU's STE or CD
/// points at.
pub(crate) struct TableOwner {
    /// The physical address of the table's root (an SVA domain: its
    /// process's pgd).
    pub(crate) root_pa: u64,
    /// The domain's identity: its key (an address, never shown) and
    /// incarnation, unique for the module's lifetime, so two copies can
    /// tell a domain from a new one that reused its key or its table.
    pub(crate) key: usize,
    /// The incarnation.
    pub(crate) id: u64,
    /// The domain's directory name.
    pub(crate) name: DirName,
    /// For an SVA domain, its process (the table is the process's, not
    /// the domain's).
    pub(crate) mm: Option<MmName>,
}

/// Number of unmap counter buckets.
pub(crate) const UNMAP_BUCKETS: usize = 256;

/// Slots of the live set at load (it grows in the work item).
const INITIAL_SLOTS: usize = 256;

/// What the hooks and the readers share, under the raw lock.
///
/// # Invariants
///
/// `slots` has a valid length for `pure::liveset` and `occ` is its
/// occupancy. A key is in `slots` only from a moment its domain was alive
/// (a hook or the scan held it) until the free hook removes it, which
/// happens before the domain is released; its incarnation is unique
/// (`next_id` only grows).
struct Live {
    slots: KVec<Slot>,
    occ: Occupancy,
    next_id: u64,
}

impl Live {
    /// Adds the live domain `key` unless it is in already; true if it was
    /// added (a full table drops it: `dropped`).
    fn add(&mut self, key: DomainKey, stats: &RegistryStats) -> bool {
        if liveset::find(&self.slots, key.index()).is_some() {
            return false;
        }
        let id = self.next_id;
        match liveset::insert(&mut self.slots, &mut self.occ, key.index(), id) {
            Ok(()) => {
                self.next_id += 1;
                stats.registered.add(1, Relaxed);
                true
            }
            Err(_) => {
                stats.dropped.add(1, Relaxed);
                false
            }
        }
    }
}

/// The live set, shared by the registry, its entries and the hooks.
#[pin_data]
pub(crate) struct LiveSet {
    #[pin]
    inner: RawSpinLockIrq<Live>,
}

impl LiveSet {
    fn new() -> Result<Arc<Self>> {
        let mut slots = KVec::with_capacity(INITIAL_SLOTS, GFP_KERNEL)?;
        slots.extend_with(INITIAL_SLOTS, Slot::default(), GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Self {
                inner <- new_raw_spinlock_irq!(
                    Live {
                        slots,
                        occ: Occupancy::default(),
                        next_id: 1,
                    },
                    "iommu_scope::LiveSet"
                ),
            }),
            GFP_KERNEL,
        )
    }

    /// Runs `f` with the domain `key` if incarnation `id` of it is still
    /// live, under the raw lock: `f` must be short, must not allocate,
    /// sleep or take a `spinlock_t`, and should only copy what it needs.
    fn with<R>(&self, key: DomainKey, id: u64, f: impl FnOnce(Domain<'_>) -> R) -> Option<R> {
        let g = self.inner.lock();
        if liveset::find(&g.slots, key.index()) != Some(id) {
            return None;
        }
        // SAFETY: incarnation `id` of the domain is in the set, so it has
        // not been freed: the free hook removes it under the lock we hold
        // before `iommu_domain_free` releases it (`Live` invariant). The
        // handle does not outlive the closure.
        let d = unsafe { Domain::from_key(key) }?;
        Some(f(d))
    }

    /// The incarnation of `key` if it is live.
    fn id_of(&self, key: DomainKey) -> Option<u64> {
        liveset::find(&self.inner.lock().slots, key.index())
    }

    /// Every live (key, incarnation), copied (process context).
    fn members(&self) -> Result<KVec<Slot>> {
        loop {
            let n = self.inner.lock().occ.live;
            let mut v = KVec::with_capacity(n + 16, GFP_KERNEL)?;
            let g = self.inner.lock();
            if g.occ.live > v.capacity() {
                continue; // grew meanwhile: size again
            }
            for s in g.slots.iter().filter(|s| s.key > liveset::TOMBSTONE) {
                // Within the capacity reserved above: no allocation.
                v.push_within_capacity(*s).map_err(|_| ENOMEM)?;
            }
            return Ok(v);
        }
    }

    /// Moves the set to a bigger (or tombstone-free) table if it is due
    /// (process context).
    fn grow(&self) -> Result {
        let len = {
            let g = self.inner.lock();
            match liveset::wants_rehash(g.slots.len(), &g.occ) {
                Some(l) => l,
                None => return Ok(()),
            }
        };
        let mut new = KVec::with_capacity(len, GFP_KERNEL)?;
        new.extend_with(len, Slot::default(), GFP_KERNEL)?;
        let old = {
            let mut g = self.inner.lock();
            // Bounded by the table's length; hooks wait for it rarely.
            match liveset::rehash(&g.slots, &mut new) {
                Ok(occ) => {
                    g.occ = occ;
                    core::mem::replace(&mut g.slots, new)
                }
                Err(_) => new, // filled up meanwhile: the next run retries
            }
        };
        drop(old);
        Ok(())
    }
}

/// One registered domain: the key and incarnation of a domain that was
/// live when the entry was made.
///
/// # Invariants
///
/// The domain `key` is reached only through `live.with(key, id, ..)`.
pub(crate) struct DomainEntry {
    key: DomainKey,
    id: u64,
    name: DirName,
    live: Arc<LiveSet>,
    /// The unmap counters, for the entry's bucket.
    unmaps: Arc<UnmapCounters>,
}

impl DomainEntry {
    /// The directory name, `domain_<hashed %p>`.
    pub(crate) fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The directory name as a C string.
    pub(crate) fn dir_name(&self) -> &CStr {
        self.name.as_cstr()
    }

    /// The domain's key (never shown: it is an address).
    pub(crate) fn key(&self) -> DomainKey {
        self.key
    }

    /// Runs `f` with the domain while it is guaranteed alive, or fails with
    /// `ENODEV` if it has been freed. `f` runs under a raw spinlock with
    /// interrupts off: it must not sleep, allocate or take a `spinlock_t`,
    /// and should only copy what it needs.
    pub(crate) fn with_domain<R>(&self, f: impl FnOnce(Domain<'_>) -> R) -> Result<R> {
        self.live.with(self.key, self.id, f).ok_or(ENODEV)
    }

    /// Whether unmaps are counted (the `__iommu_unmap` hook is installed).
    pub(crate) fn unmaps_tracked(&self) -> bool {
        self.unmaps.tracking()
    }

    /// `__iommu_unmap` calls (started, returned) on domains sharing this
    /// domain's bucket; see `UnmapCounters`.
    pub(crate) fn unmap_counts(&self) -> (u64, u64) {
        self.unmaps.counts(self.key)
    }

    /// Whether the domain is still live (a hint: it may be freed right after).
    pub(crate) fn is_alive(&self) -> bool {
        self.live.id_of(self.key) == Some(self.id)
    }
}

/// `__iommu_unmap` calls started / returned, per bucket of domain keys.
/// The unmap hook runs in any context (softirq and hardirq included), so it
/// takes no lock and looks nothing up: a domain reads its bucket, and a
/// collision can only make a dump be marked inconsistent needlessly.
pub(crate) struct UnmapCounters {
    started: [Atomic<u64>; UNMAP_BUCKETS],
    finished: [Atomic<u64>; UNMAP_BUCKETS],
    /// Whether the unmap hook feeds them (else no dump can be consistent).
    tracking: Atomic<bool>,
}

impl UnmapCounters {
    fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                started: [const { Atomic::new(0) }; UNMAP_BUCKETS],
                finished: [const { Atomic::new(0) }; UNMAP_BUCKETS],
                tracking: Atomic::new(false),
            },
            GFP_KERNEL,
        )?)
    }

    /// An unmap on the domain `key` starts; returns its bucket.
    pub(crate) fn started(&self, key: DomainKey) -> usize {
        let b = key.bucket(UNMAP_BUCKETS);
        self.started[b].add(1, Relaxed);
        b
    }

    /// The unmap that `started` gave bucket `b` returned.
    pub(crate) fn finished(&self, b: usize) {
        if let Some(c) = self.finished.get(b) {
            c.add(1, Relaxed);
        }
    }

    /// The unmap hook is being removed: no dump can be consistent any more.
    pub(crate) fn stop_tracking(&self) {
        self.tracking.store(false, Relaxed);
    }

    /// The unmap hook is installed: counts are meaningful from now on.
    pub(crate) fn set_tracking(&self) {
        self.tracking.store(true, Relaxed);
    }

    /// Whether unmaps are counted at all.
    pub(crate) fn tracking(&self) -> bool {
        self.tracking.load(Relaxed)
    }

    fn counts(&self, key: DomainKey) -> (u64, u64) {
        let b = key.bucket(UNMAP_BUCKETS);
        (
            self.started[b].load(Relaxed),
            self.finished[b].load(Relaxed),
        )
    }
}

/// Counters shown in `status`.
pub(crate) struct RegistryStats {
    pub(crate) registered: Atomic<u64>,
    pub(crate) freed: Atomic<u64>,
    pub(crate) dropped: Atomic<u64>,
    pub(crate) dirs: Atomic<u64>,
}

/// The registry.
///
/// # Invariants
///
/// Every domain whose state changed since the last reconcile has queued
/// the work item. Once `stopping` is set the work item does nothing; the
/// free hook may still queue it until it is unregistered, so the owner
/// flushes it again after that (`PtDump`'s `stop`).
#[pin_data]
pub(crate) struct Registry {
    live: Arc<LiveSet>,
    #[pin]
    dirs: Mutex<KVec<DomainDir>>,
    root: Dir,
    stopping: Atomic<bool>,
    pub(crate) stats: RegistryStats,
    /// Shared with the entries and the unmap hook.
    pub(crate) unmaps: Arc<UnmapCounters>,
    #[pin]
    work: Work<Registry>,
}

impl_has_work! {
    impl HasWork<Self> for Registry { self.work }
}

impl WorkItem for Registry {
    type Pointer = Arc<Registry>;

    fn run(this: Arc<Registry>) {
        this.reconcile();
    }
}

impl Registry {
    /// A registry whose directories go under `root`.
    pub(crate) fn new(root: Dir) -> Result<Arc<Self>> {
        let unmaps = UnmapCounters::new()?;
        let live = LiveSet::new()?;
        Arc::pin_init(
            pin_init!(Self {
                live,
                dirs <- new_mutex!(KVec::new()),
                root,
                stopping: Atomic::new(false),
                stats: RegistryStats {
                    registered: Atomic::new(0),
                    freed: Atomic::new(0),
                    dropped: Atomic::new(0),
                    dirs: Atomic::new(0),
                },
                unmaps,
                work <- new_work!("iommu_scope::Registry::work"),
            }),
            GFP_KERNEL,
        )
    }

    /// Queues the work item (any context: `queue_work` takes only raw
    /// locks).
    fn kick(self: &Arc<Self>) {
        if !self.stopping.load(Relaxed) {
            // Already queued is fine: the run will see every change.
            let _ = work::queue().enqueue(self.clone());
        }
    }

    /// Registers `d` (from a hook: any context, no allocation). Domains
    /// that do not translate (blocked, identity) are ignored.
    pub(crate) fn note(self: &Arc<Self>, d: Domain<'_>) {
        if !d.has_translations() {
            return;
        }
        // Before its first map, for most domains (allocation, attach,
        // load): the accounting stops counting maps without the map probe.
        let _ = d.check_readable();
        let mut g = self.live.inner.lock();
        let new = liveset::find(&g.slots, d.key().index()).is_none();
        if new {
            // Added, or dropped because the table is full: either way the
            // work item runs (and grows the table).
            g.add(d.key(), &self.stats);
        }
        drop(g);
        if new {
            self.kick();
        }
    }

    /// The domain with `key` is being freed (from the free hook, before it
    /// is released; any context, no allocation).
    pub(crate) fn forget(self: &Arc<Self>, key: DomainKey) {
        let removed = {
            let mut g = self.live.inner.lock();
            let Live { slots, occ, .. } = &mut *g;
            liveset::remove(slots, occ, key.index())
        };
        if removed.is_some() {
            self.stats.freed.add(1, Relaxed);
            self.kick();
        }
    }

    /// Brings the live set's table size and debugfs in line with the
    /// registry (process context).
    fn reconcile(&self) {
        if self.stopping.load(Relaxed) {
            return;
        }
        if self.live.grow().is_err() {
            self.stats.dropped.add(1, Relaxed);
        }
        let Ok(mut members) = self.live.members() else {
            self.stats.dropped.add(1, Relaxed);
            return;
        };
        members.sort_unstable_by_key(|s| (s.key, s.id));
        let is_member = |key: DomainKey, id: u64| {
            members
                .binary_search_by_key(&(key.index(), id), |s| (s.key, s.id))
                .is_ok()
        };
        let mut dirs = self.dirs.lock();
        // Remove directories of freed domains (this waits for readers).
        dirs.retain(|s| is_member(s.entry().key, s.entry().id));
        let mut have: KVec<(usize, u64)> = KVec::new();
        for s in dirs.iter() {
            if have
                .push((s.entry().key.index(), s.entry().id), GFP_KERNEL)
                .is_err()
            {
                self.stats.dropped.add(1, Relaxed);
                return;
            }
        }
        have.sort_unstable();
        for m in members.iter() {
            if have.binary_search(&(m.key, m.id)).is_ok() {
                continue;
            }
            let key = DomainKey::from_index(m.key);
            let entry = Arc::new(
                DomainEntry {
                    key,
                    id: m.id,
                    name: key.dir_name(),
                    live: self.live.clone(),
                    unmaps: self.unmaps.clone(),
                },
                GFP_KERNEL,
            );
            let made = entry
                .map_err(Error::from)
                .and_then(|e| DomainDir::create(&self.root, e))
                .and_then(|s| dirs.push(s, GFP_KERNEL).map_err(Error::from));
            if made.is_err() {
                self.stats.dropped.add(1, Relaxed);
            }
        }
        self.stats.dirs.store(dirs.len() as u64, Relaxed);
    }

    /// Registers the domain of every device on the PCI and platform buses.
    pub(crate) fn scan_devices(self: &Arc<Self>) {
        crate::sys::domain::for_each_iommu_device(|dev| {
            // Under the group's mutex: the domain is attached, so alive.
            dev.with_domain(|d| self.note(d));
        });
    }

    /// Waits until the directories of every domain registered so far exist.
    pub(crate) fn flush(&self) {
        work::flush(&self.work);
    }

    /// Copies what walkers need of the domain `key` if it is live (process
    /// or any context: no allocation).
    fn copy(&self, key: DomainKey, id: u64) -> Option<LiveDomain> {
        let table = self.live.with(key, id, |d| d.table())?;
        Some(LiveDomain {
            key,
            name: key.dir_name(),
            table,
        })
    }

    /// The registered domain whose key has index `index`, if it is alive
    /// now.
    pub(crate) fn live_one(&self, index: usize) -> Option<LiveDomain> {
        let key = DomainKey::from_index(index);
        let id = self.live.id_of(key)?;
        self.copy(key, id)
    }

    /// Every registered domain that is alive now, with what its walkers
    /// need, copied under the lock (process context). The tables are walked
    /// afterwards, without any lock: a domain may be freed meanwhile, and
    /// each caller says why that is harmless for it.
    pub(crate) fn live(&self) -> Result<KVec<LiveDomain>> {
        let members = self.live.members()?;
        let mut out = KVec::with_capacity(members.len(), GFP_KERNEL)?;
        for m in members.iter() {
            if let Some(d) = self.copy(DomainKey::from_index(m.key), m.id) {
                out.push(d, GFP_KERNEL)?;
            }
        }
        Ok(out)
    }

    /// The table of every live domain that has one: its IO page table, or
    /// for an SVA domain its process's, with the domain's identity
    /// (process context; each copied under the live-set lock, so each was
    /// a live domain's table at that moment).
    pub(crate) fn table_owners(&self) -> Result<KVec<TableOwner>> {
        let members = self.live.members()?;
        let mut out = KVec::with_capacity(members.len(), GFP_KERNEL)?;
        for m in members.iter() {
            let key = DomainKey::from_index(m.key);
            let owner = self.live.with(key, m.id, |d| {
                if let Some(t) = d.table() {
                    return Some((t.root_pa, None));
                }
                d.smmu()?.sva_mm().map(|(pgd, mm)| (pgd, Some(mm)))
            });
            if let Some(Some((root_pa, mm))) = owner {
                out.push(
                    TableOwner {
                        root_pa,
                        key: m.key,
                        id: m.id,
                        name: key.dir_name(),
                        mm,
                    },
                    GFP_KERNEL,
                )?;
            }
        }
        Ok(out)
    }

    /// Waits for the work item and stops it, and removes every directory.
    /// Called after every hook that could queue it is unregistered.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Relaxed);
        work::flush(&self.work);
        // Remove every directory now (waits for readers of their files).
        self.dirs.lock().clear();
    }
}
