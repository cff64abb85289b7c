// SPDX-License-Identifier: GPL-2.0

//! IOMMU mapping accounting: a refcount per physical page, kept by hooks on
//! the generic iommu core, like the kernel's CONFIG_IOMMU_DEBUG_PAGEALLOC but
//! without a build option or boot parameter.
//!
//! - `iommu_map_nosync` (entry and return): on success, one reference per
//!   granule (the domain's smallest page size) of `[paddr, paddr + size)`.
//!   A map that fails part-way rolls itself back with an unmap; that unmap
//!   is recognised (same task, same domain, inside the failed range) and not
//!   counted, so the counts are exactly as before.
//! - `__iommu_unmap` (entry and return): at entry the range's leaves are
//!   found with one walk of the domain's table and every granule is
//!   released; at return, what was not unmapped is walked again and taken
//!   back ("remap").
//!
//! Owns: those hooks, the `PageCounts` table, the counters of the
//! `accounting` file. Must not: sleep or take a lock in a hook (they run in
//! any context, softirq and hardirq included).

use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

use crate::domain_files::{table_of, KernelMemory};
use crate::fprobe::{Args, EntryData, Fprobe, Handler};
use crate::pagecount::{PageCounts, Update};
use crate::pure::walk::{walk, Limits, Step};

/// Upper bound of descriptors one unmap walk reads.
const MAX_UNMAP_READS: u64 = 1 << 22;

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

/// A map in progress: the task and the range it maps.
struct InMap {
    task: Atomic<usize>,
    domain: Atomic<usize>,
    iova: Atomic<u64>,
    size: Atomic<u64>,
}

/// The accounting state shared by the hooks and the files.
///
/// # Invariants
///
/// An `in_map` slot whose `task` is nonzero belongs to that task, which
/// is inside `iommu_map_nosync` on `domain` for `[iova, iova + size)`.
pub(crate) struct Accounting {
    pub(crate) counts: PageCounts,
    pub(crate) stats: Stats,
    in_map: [InMap; IN_MAP_SLOTS],
}

fn granule(d: *mut bindings::iommu_domain) -> u64 {
    // SAFETY: callers pass a domain the iommu core is operating on.
    let bitmap = unsafe { (*d).pgsize_bitmap } as u64;
    if bitmap == 0 {
        4096
    } else {
        1 << bitmap.trailing_zeros()
    }
}

fn current_task() -> usize {
    kernel::task::Task::current_raw() as usize
}

impl Accounting {
    /// A new, empty state.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            counts: PageCounts::new()?,
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
        })
    }

    /// Adds one reference to the page at `pa`, keeping the counters.
    pub(crate) fn inc_pa(&self, pa: u64) {
        match self.counts.inc(pa >> 12) {
            Update::Done { old } => {
                self.stats.refs.add(1, Relaxed);
                if old == 0 {
                    self.stats.pages_mapped.add(1, Relaxed);
                } else if old == 1 {
                    self.stats.pages_multi.add(1, Relaxed);
                }
            }
            Update::Overflow => {
                if self.stats.overflows.fetch_add(1, Relaxed) == 0 {
                    pr_warn!(
                        "accounting: refcount overflow at pa=0x{:x} (kept at the maximum; see accounting)\n",
                        pa
                    );
                }
            }
            _ => self.stats.untracked.add(1, Relaxed),
        }
    }

    /// Drops one reference from the page at `pa`, keeping the counters.
    pub(crate) fn dec_pa(&self, pa: u64) {
        match self.counts.dec(pa >> 12) {
            Update::Done { old } => {
                let _ = self.stats.refs.fetch_sub(1, Relaxed);
                if old == 1 {
                    let _ = self.stats.pages_mapped.fetch_sub(1, Relaxed);
                } else if old == 2 {
                    let _ = self.stats.pages_multi.fetch_sub(1, Relaxed);
                }
            }
            Update::Underflow => {
                if self.stats.underflows.fetch_add(1, Relaxed) == 0 {
                    pr_warn!(
                        "accounting: unmap of pa=0x{:x} that was never counted as mapped (first underflow; see accounting)\n",
                        pa
                    );
                }
            }
            _ => self.stats.untracked.add(1, Relaxed),
        }
    }

    /// Counts (`inc`) or releases every granule mapped in `[iova, end)` of
    /// domain `d`, with one walk of its table.
    ///
    /// # Safety
    ///
    /// `d` must be live for the call.
    pub(crate) unsafe fn account_range(
        &self,
        d: *mut bindings::iommu_domain,
        iova: u64,
        end: u64,
        inc: bool,
    ) {
        // SAFETY: `d` is live (caller's contract).
        let Some((layout, root)) = (unsafe { table_of(d) }) else {
            return;
        };
        let gran = granule(d);
        let limits = Limits {
            max_steps: MAX_UNMAP_READS,
            ..Limits::range(iova, end)
        };
        walk(&layout, root, &mut KernelMemory, limits, |s| {
            if let Step::Leaf {
                iova: liova,
                pa,
                size,
                ..
            } = *s
            {
                let from = liova.max(iova);
                let to = liova.saturating_add(size).min(end);
                let mut a = from;
                while a < to {
                    let p = pa + (a - liova);
                    if inc {
                        self.inc_pa(p);
                    } else {
                        self.dec_pa(p);
                    }
                    a += gran;
                }
            }
        });
    }

    fn claim_in_map(&self, d: usize, iova: u64, size: u64) -> usize {
        let me = current_task();
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

    fn release_in_map(&self, i: usize) {
        if let Some(s) = self.in_map.get(i) {
            s.task.store(0, Relaxed);
        }
    }

    /// Whether this unmap is the rollback of a failed map of the same task.
    fn is_rollback(&self, d: usize, iova: u64, size: u64) -> bool {
        let me = current_task();
        self.in_map.iter().any(|s| {
            s.task.load(Relaxed) == me
                && s.domain.load(Relaxed) == d
                && iova >= s.iova.load(Relaxed)
                && iova.saturating_add(size)
                    <= s.iova.load(Relaxed).saturating_add(s.size.load(Relaxed))
        })
    }
}

/// `iommu_map_nosync(domain, iova, paddr, size, prot, gfp)`.
pub(crate) struct MapHook(pub(crate) &'static Accounting);

impl Handler for MapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        let (d, iova, pa, size) = (
            args.arg(0),
            args.arg(1) as u64,
            args.arg(2) as u64,
            args.arg(3) as u64,
        );
        let slot = self.0.claim_in_map(d, iova, size);
        [d, pa as usize, size as usize, slot]
    }

    fn exit(&self, e: &EntryData, ret: usize) {
        let [d, pa, size, slot] = *e;
        self.0.release_in_map(slot);
        if ret as i32 != 0 {
            self.0.stats.maps_failed.add(1, Relaxed);
            return;
        }
        self.0.stats.maps.add(1, Relaxed);
        let gran = granule(d as *mut bindings::iommu_domain);
        let (pa, size) = (pa as u64, size as u64);
        let mut off = 0;
        while off < size {
            self.0.inc_pa(pa + off);
            off += gran;
        }
    }
}

/// `iommu_domain_free(domain)`: a freed domain maps nothing any more, so
/// the references of whatever is still in its table are released (the
/// table is intact at entry).
pub(crate) struct FreeHook(pub(crate) &'static Accounting);

impl Handler for FreeHook {
    fn entry(&self, args: &Args) -> EntryData {
        let d = args.arg(0) as *mut bindings::iommu_domain;
        if d.is_null() {
            return [0; 4];
        }
        self.0.stats.freed_domains.add(1, Relaxed);
        let before = self.0.stats.refs.load(Relaxed);
        // SAFETY: the domain is live until `iommu_domain_free` releases it,
        // which happens after this entry handler returns.
        unsafe { self.0.account_range(d, 0, u64::MAX, false) };
        let after = self.0.stats.refs.load(Relaxed);
        self.0
            .stats
            .released_on_free
            .add(before.saturating_sub(after), Relaxed);
        [0; 4]
    }
}

/// Marks an unmap that was not accounted (rollback of a failed map).
const SKIPPED: usize = usize::MAX;

/// `__iommu_unmap(domain, iova, size, gather)`.
pub(crate) struct UnmapHook(pub(crate) &'static Accounting);

impl Handler for UnmapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        let (d, iova, size) = (args.arg(0), args.arg(1) as u64, args.arg(2) as u64);
        if self.0.is_rollback(d, iova, size) {
            self.0.stats.rollbacks_skipped.add(1, Relaxed);
            return [d, iova as usize, size as usize, SKIPPED];
        }
        self.0.stats.unmaps.add(1, Relaxed);
        // SAFETY: the domain is live: the iommu core is unmapping from it.
        unsafe {
            self.0.account_range(
                d as *mut bindings::iommu_domain,
                iova,
                iova.saturating_add(size),
                false,
            )
        };
        [d, iova as usize, size as usize, 0]
    }

    fn exit(&self, e: &EntryData, unmapped: usize) {
        let [d, iova, size, flag] = *e;
        if flag == SKIPPED || unmapped >= size {
            return;
        }
        self.0.stats.remaps.add(1, Relaxed);
        let (iova, size) = (iova as u64, size as u64);
        // SAFETY: the domain is live: the iommu core is returning from an
        // unmap on it.
        unsafe {
            self.0.account_range(
                d as *mut bindings::iommu_domain,
                iova + unmapped as u64,
                iova.saturating_add(size),
                true,
            )
        };
    }
}

/// The accounting feature: its state (leaked to `'static` while the hooks
/// may run, reclaimed on drop after they are gone) and its hooks.
///
/// # Invariants
///
/// `state` comes from `KBox::leak`; `map` and `unmap` reference it and are
/// unregistered (dropped) before it is freed.
pub(crate) struct Feature {
    pub(crate) map: Result<Pin<KBox<Fprobe<MapHook>>>>,
    pub(crate) unmap: Result<Pin<KBox<Fprobe<UnmapHook>>>>,
    pub(crate) free: Result<Pin<KBox<Fprobe<FreeHook>>>>,
    state: *mut Accounting,
}

// SAFETY: `state` is only shared as `&Accounting`, which is `Sync`.
unsafe impl Send for Feature {}
// SAFETY: as above.
unsafe impl Sync for Feature {}

/// The live accounting state, for the KUnit suite and the files.
static CURRENT: Atomic<*mut Accounting> = Atomic::new(core::ptr::null_mut());

impl Feature {
    /// Allocates the table and installs the hooks. All three are needed;
    /// without one of them the counts would drift, so none is kept.
    pub(crate) fn start() -> Result<Self> {
        let state: &'static Accounting = KBox::leak(KBox::new(Accounting::new()?, GFP_KERNEL)?);
        let map = KBox::pin_init(Fprobe::new(c"iommu_map_nosync", MapHook(state)), GFP_KERNEL);
        let unmap = KBox::pin_init(Fprobe::new(c"__iommu_unmap", UnmapHook(state)), GFP_KERNEL);
        let free = KBox::pin_init(
            Fprobe::new(c"iommu_domain_free", FreeHook(state)),
            GFP_KERNEL,
        );
        let ptr = core::ptr::from_ref(state).cast_mut();
        let f = Self {
            map,
            unmap,
            free,
            state: ptr,
        };
        let first_err = [
            f.map.as_ref().err(),
            f.unmap.as_ref().err(),
            f.free.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_errno());
        if let Some(errno) = first_err {
            drop(f);
            return Err(Error::from_errno(errno));
        }
        CURRENT.store(ptr, Relaxed);
        Ok(f)
    }

    /// The state.
    pub(crate) fn state(&self) -> &Accounting {
        // SAFETY: `state` is valid until `drop` (invariant).
        unsafe { &*self.state }
    }
}

/// The live accounting state, if the feature runs.
pub(crate) fn current() -> Option<&'static Accounting> {
    let p = CURRENT.load(Relaxed);
    // SAFETY: a non-null `CURRENT` is the state of the running feature,
    // cleared before it is freed; callers are the module's own files and
    // KUnit suites, which finish before the module is unloaded.
    (!p.is_null()).then(|| unsafe { &*p })
}

impl Drop for Feature {
    fn drop(&mut self) {
        CURRENT.store(core::ptr::null_mut(), Relaxed);
        // Unregister both hooks (waiting for running handlers) first.
        self.map = Err(ENOENT);
        self.unmap = Err(ENOENT);
        self.free = Err(ENOENT);
        // SAFETY: `state` came from `KBox::leak` and no hook can reach it
        // any more (invariant).
        drop(unsafe { KBox::from_raw(self.state) });
    }
}
