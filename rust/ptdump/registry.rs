// SPDX-License-Identifier: GPL-2.0

//! The registry of live IOMMU domains and their debugfs directories.
//!
//! Domains enter the registry when the module loads (the domain of every
//! device on the PCI and platform buses), when the iommu core allocates a
//! paging domain, and when any domain is attached; they leave it when
//! `iommu_domain_free` is entered. Hooks may run where debugfs cannot be
//! touched, so directories are created and removed by a work item that
//! reconciles debugfs with the registry.
//!
//! Owns: `DomainEntry` (the only way to reach a registered domain's memory,
//! under its `alive` lock), the `domain_<id>` directories, and
//! `UnmapCounters`, the per-bucket unmap counts that mark dumps
//! inconsistent.
//! Must not: format file contents (`files.rs` does), install hooks
//! (`hooks.rs` does), or give out a domain after the free hook has run.

use kernel::{
    new_mutex, new_spinlock,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex, SpinLock,
    },
    workqueue::{impl_has_work, new_work, Work, WorkItem},
    xarray::{AllocKind, XArray},
};

use super::files::DomainDir;
use crate::pure::table::Table;
use crate::sys::debugfs::Dir;
use crate::sys::domain::{DeviceNames, DirName, Domain, DomainKey};
use crate::sys::work;

/// A live domain as `Registry::live` copied it.
pub(crate) struct LiveDomain {
    /// Its entry (name, liveness).
    pub(crate) entry: Arc<DomainEntry>,
    /// Its identity.
    pub(crate) key: DomainKey,
    /// Its page table, if the module can walk it.
    pub(crate) table: Option<Table>,
    /// The devices attached to it.
    pub(crate) devices: DeviceNames,
}

/// Number of unmap counter buckets.
pub(crate) const UNMAP_BUCKETS: usize = 256;

/// One live (or just freed) domain.
///
/// # Invariants
///
/// While `*alive.lock()` is true, `key` is the key of a live
/// `struct iommu_domain`: the free hook sets it to false, under the same
/// lock, before `iommu_domain_free` releases anything.
#[pin_data]
pub(crate) struct DomainEntry {
    key: DomainKey,
    name: DirName,
    #[pin]
    alive: SpinLock<bool>,
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

    /// Runs `f` with the domain while it is guaranteed alive, or fails with
    /// `ENODEV` if it has been freed. `f` runs under a spinlock: it must not
    /// sleep, and should only copy what it needs.
    pub(crate) fn with_domain<R>(&self, f: impl FnOnce(Domain<'_>) -> R) -> Result<R> {
        let alive = self.alive.lock();
        if !*alive {
            return Err(ENODEV);
        }
        // SAFETY: the domain is alive while `alive` is held true (type
        // invariant), and the handle does not outlive the closure.
        let d = unsafe { Domain::from_key(self.key) }.ok_or(ENODEV)?;
        Ok(f(d))
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
        *self.alive.lock()
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

/// Number of recent frees remembered for the load-time scan.
const FREED_RING: usize = 32;

/// Frees seen while the load-time scan may be registering stale keys.
///
/// # Invariants
///
/// `keys[i % FREED_RING]` is the domain of the `i`-th free, for the last
/// `FREED_RING` values of `i < count`.
struct FreedRing {
    keys: [Option<DomainKey>; FREED_RING],
    count: u64,
}

impl FreedRing {
    /// Whether `key` may have been freed since the `since`-th free.
    fn freed_since(&self, since: u64, key: DomainKey) -> bool {
        if self.count.saturating_sub(since) > FREED_RING as u64 {
            return true; // ring overflowed: be conservative
        }
        (since..self.count).any(|i| self.keys[(i % FREED_RING as u64) as usize] == Some(key))
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
/// Its locks are only taken in process context: by the load-time scan, the
/// readers, the work item, and the hooks on domain allocation, attach and
/// free, which the iommu core calls with mutexes held (so never from
/// interrupts).
///
/// # Invariants
///
/// `domains` maps the key of every registered live domain to its entry.
/// Every entry whose state changed since the last reconcile is in `pending`,
/// and the work item is queued. Once `stopping` is set no hook runs any more
/// (they are unregistered first) and the work item does nothing.
#[pin_data]
pub(crate) struct Registry {
    #[pin]
    domains: XArray<Arc<DomainEntry>>,
    #[pin]
    freed: SpinLock<FreedRing>,
    #[pin]
    pending: SpinLock<KVec<Arc<DomainEntry>>>,
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
        Arc::pin_init(
            pin_init!(Self {
                domains <- XArray::new(AllocKind::Alloc),
                freed <- new_spinlock!(FreedRing { keys: [None; FREED_RING], count: 0 }),
                pending <- new_spinlock!(KVec::new()),
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

    fn kick(self: &Arc<Self>) {
        if !self.stopping.load(Relaxed) {
            // Already queued is fine: the run will see everything pending.
            let _ = work::queue().enqueue(self.clone());
        }
    }

    /// Registers `d`. Domains that do not translate (blocked, identity)
    /// are ignored. Called from hooks (preemption off): no sleeping
    /// allocation.
    pub(crate) fn note(self: &Arc<Self>, d: Domain<'_>) {
        let mut xa = self.domains.lock();
        self.note_locked(&mut xa, d);
    }

    /// Registers the domain of a key found by the load-time scan, unless it
    /// was freed after the `since`-th free (the scan cannot pin domains).
    fn note_scanned(self: &Arc<Self>, key: DomainKey, since: u64) {
        let mut xa = self.domains.lock();
        if xa.get(key.index()).is_some() || self.freed.lock().freed_since(since, key) {
            return;
        }
        // SAFETY: the scan read `key` from a device's group after counting
        // `since` frees; every free records its key under the `domains`
        // lock we hold before the domain is released, and none recorded
        // this key since (checked just above), so the domain is allocated
        // until we drop the lock.
        if let Some(d) = unsafe { Domain::from_key(key) } {
            self.note_locked(&mut xa, d);
        }
    }

    fn note_locked(
        self: &Arc<Self>,
        xa: &mut kernel::xarray::Guard<'_, Arc<DomainEntry>>,
        d: Domain<'_>,
    ) {
        let key = d.key();
        if xa.get(key.index()).is_some() || !d.has_translations() {
            return;
        }
        let entry = Arc::pin_init(
            pin_init!(DomainEntry {
                key,
                name: d.dir_name(),
                alive <- new_spinlock!(true, "iommu_scope::DomainEntry::alive"),
                unmaps: self.unmaps.clone(),
            }),
            GFP_ATOMIC,
        );
        let Ok(entry) = entry else {
            self.stats.dropped.add(1, Relaxed);
            return;
        };
        if xa.store(key.index(), entry.clone(), GFP_ATOMIC).is_err() {
            self.stats.dropped.add(1, Relaxed);
            return;
        }
        self.stats.registered.add(1, Relaxed);
        if self.pending.lock().push(entry, GFP_ATOMIC).is_err() {
            self.stats.dropped.add(1, Relaxed);
        }
        self.kick();
    }

    /// The domain with `key` is being freed (from the free hook).
    pub(crate) fn forget(self: &Arc<Self>, key: DomainKey) {
        let mut xa = self.domains.lock();
        {
            let mut ring = self.freed.lock();
            let i = (ring.count % FREED_RING as u64) as usize;
            ring.keys[i] = Some(key);
            ring.count += 1;
        }
        let entry = xa.remove(key.index());
        drop(xa);
        if let Some(e) = entry {
            *e.alive.lock() = false;
            self.stats.freed.add(1, Relaxed);
            if self.pending.lock().push(e, GFP_ATOMIC).is_err() {
                self.stats.dropped.add(1, Relaxed);
            }
            self.kick();
        }
    }

    /// Brings debugfs in line with the registry (process context).
    fn reconcile(&self) {
        if self.stopping.load(Relaxed) {
            return;
        }
        let mut changed = KVec::new();
        core::mem::swap(&mut changed, &mut *self.pending.lock());
        let mut dirs = self.dirs.lock();
        // Remove directories of freed domains (this waits for readers).
        dirs.retain(|s| s.entry().is_alive());
        for e in changed.into_iter() {
            if !e.is_alive() || dirs.iter().any(|s| Arc::ptr_eq(s.entry(), &e)) {
                continue;
            }
            match DomainDir::create(&self.root, e) {
                Ok(s) => {
                    if dirs.push(s, GFP_KERNEL).is_err() {
                        self.stats.dropped.add(1, Relaxed);
                    }
                }
                Err(_) => self.stats.dropped.add(1, Relaxed),
            }
        }
        self.stats.dirs.store(dirs.len() as u64, Relaxed);
    }

    /// Registers the domain of every device on the PCI and platform buses.
    pub(crate) fn scan_devices(self: &Arc<Self>) {
        crate::sys::domain::for_each_iommu_device(|dev| {
            // The free count first: a free after it is seen by
            // `note_scanned`, whatever the key read next points to.
            let since = self.freed.lock().count;
            if let Some(key) = dev.domain_key() {
                self.note_scanned(key, since);
            }
        });
    }

    /// Waits until the directories of every domain registered so far exist.
    pub(crate) fn flush(&self) {
        work::flush(&self.work);
    }

    /// The registered domain whose key has index `index`, if it is alive
    /// now, copied as `live` copies each (process context).
    pub(crate) fn live_one(&self, index: usize) -> Option<LiveDomain> {
        let entry: Arc<DomainEntry> = self.domains.lock().get(index)?.into();
        let (key, table, devices) = entry
            .with_domain(|d| (d.key(), d.table(), DeviceNames::of(&d)))
            .ok()?;
        Some(LiveDomain {
            entry,
            key,
            table,
            devices,
        })
    }

    /// Every registered domain that is alive now, with what its walkers
    /// need, copied under its lock (process context). The tables are walked
    /// afterwards, without any lock: a domain may be freed meanwhile, and
    /// each caller says why that is harmless for it.
    pub(crate) fn live(&self) -> Result<KVec<LiveDomain>> {
        let entries: KVec<Arc<DomainEntry>> = {
            let dirs = self.dirs.lock();
            let mut v = KVec::with_capacity(dirs.len(), GFP_KERNEL)?;
            for s in dirs.iter() {
                v.push(s.entry().clone(), GFP_KERNEL)?;
            }
            v
        };
        let mut out = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        for e in entries.into_iter() {
            let copied = e.with_domain(|d| (d.key(), d.table(), DeviceNames::of(&d)));
            if let Ok((key, table, devices)) = copied {
                out.push(
                    LiveDomain {
                        entry: e,
                        key,
                        table,
                        devices,
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
