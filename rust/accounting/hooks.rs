// SPDX-License-Identifier: GPL-2.0

//! The accounting hooks on the generic iommu core:
//!
//! - `iommu_map_nosync` (entry and return): on success, one reference per
//!   4 KiB unit of `[paddr, paddr + size)`. A map that fails part-way rolls
//!   itself back with an unmap; that unmap is recognised (same task, same
//!   domain, inside the failed range) and not counted, so the counts are
//!   exactly as before.
//! - `__iommu_unmap` (entry and return): at entry the range's leaves are
//!   found with one walk of the domain's table and every unit is released;
//!   at return, what was not unmapped is walked again and taken back
//!   ("remap").
//! - `iommu_domain_free` (entry): a freed domain maps nothing any more, so
//!   whatever is still in its table is released.
//!
//! One probe per kernel function: the unmap probe also counts the unmaps
//! in flight for the page-table dumps' consistency marks
//! (`ptdump::registry::UnmapCounters`), which then install no probe of
//! their own.
//!
//! On a domain that still settles (`seed.rs`), each hook counts only the
//! part of its range below the seeding cursor and says when it returns;
//! a map into a domain whose table the module cannot read is not counted.
//!
//! Owns: which functions are probed for accounting and how their arguments
//! are read. Must not: sleep, allocate or take a sleeping lock (handlers run
//! with preemption off, in any context; the settling lock is a raw one).

use kernel::{
    prelude::*,
    sync::{atomic::Relaxed, Arc},
};

use super::pagecount::{Alloc, UNIT};
use super::seed::Decision;
use super::state::Accounting;
use crate::ptdump::registry::UnmapCounters;
use crate::sys::domain::{Domain, DomainKey};
use crate::sys::fprobe::{Args, EntryData, Fprobe, Handler};

/// `iommu_map_nosync(domain, iova, paddr, size, prot, gfp)`.
pub(crate) struct MapHook(pub(crate) Arc<Accounting>);

/// Marks a map into a domain whose table the module cannot read; never an
/// encoded `Decision`.
const NO_TABLE: usize = usize::MAX - 1;

impl Handler for MapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        let (d, iova, pa, size) = (args.arg(0), args.arg(1), args.arg(2), args.arg(3));
        let (iova, size64) = (iova as u64, size as u64);
        let slot = self.0.claim_in_map(d, iova, size64);
        // SAFETY: the iommu core holds the domain it maps into for the
        // whole call.
        let readable = unsafe { args.domain(0) }.is_some_and(|d| d.table().is_some());
        if !readable {
            // Its unmaps and its free could not be counted: never count it.
            return [NO_TABLE, pa, size, slot];
        }
        let (dec, end) = self.0.settling.enter(d, iova, iova.saturating_add(size64));
        // What this hook counts: the part below a settling domain's cursor
        // (all of it otherwise).
        let counted = end.saturating_sub(iova) as usize;
        [dec.encode(), pa, counted, slot]
    }

    fn exit(&self, e: &EntryData, ret: usize) {
        let [dec, pa, counted, slot] = *e;
        self.0.release_in_map(slot);
        if dec != NO_TABLE {
            self.0.settling.exit(Decision::decode(dec));
        }
        if ret as i32 != 0 {
            self.0.stats.maps_failed.add(1, Relaxed);
            return;
        }
        self.0.stats.maps.add(1, Relaxed);
        if dec == NO_TABLE {
            self.0
                .stats
                .untracked
                .add((counted as u64).div_ceil(UNIT), Relaxed);
            return;
        }
        if counted == 0 {
            return;
        }
        self.0
            .account_pa_range(pa as u64, counted as u64, true, Alloc::Pool);
        self.0.refill_if_low();
    }
}

/// Marks an unmap that was not accounted (rollback of a failed map); never
/// an encoded `Decision`.
const SKIPPED: usize = usize::MAX - 2;

/// `__iommu_unmap(domain, iova, size, gather)`; with the dumps' counters
/// of unmaps in flight, if the page-table dumps run.
pub(crate) struct UnmapHook(pub(crate) Arc<Accounting>, Option<Arc<UnmapCounters>>);

impl Handler for UnmapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: the iommu core holds the domain it unmaps from for the
        // whole call.
        let Some(d) = (unsafe { args.domain(0) }) else {
            return [0, 0, 0, SKIPPED];
        };
        if let Some(c) = &self.1 {
            let _ = c.started(d.key());
        }
        let (iova, size) = (args.arg(1) as u64, args.arg(2) as u64);
        let key = d.key().index();
        if self.0.is_rollback(key, iova, size) {
            self.0.stats.rollbacks_skipped.add(1, Relaxed);
            return [key, iova as usize, 0, SKIPPED];
        }
        let (dec, end) = self.0.settling.enter(key, iova, iova.saturating_add(size));
        self.0.stats.unmaps.add(1, Relaxed);
        // Released here: the part below a settling domain's cursor (all of
        // it otherwise); the rest is the seeding walk's.
        if end > iova {
            let _ = self.0.account_range(&d, iova, end, false);
        }
        [
            key,
            iova as usize,
            end.saturating_sub(iova) as usize,
            dec.encode(),
        ]
    }

    fn exit(&self, e: &EntryData, unmapped: usize) {
        self.account_exit(e, unmapped);
        // `e[0]` is the key of the domain `entry` counted as started (0:
        // none).
        if let (Some(c), true) = (&self.1, e[0] != 0) {
            c.finished_on(DomainKey::from_index(e[0]));
        }
    }
}

impl UnmapHook {
    /// The accounting half of `exit`: takes back what was not unmapped.
    fn account_exit(&self, e: &EntryData, unmapped: usize) {
        let [d, iova, counted, dec] = *e;
        if dec == SKIPPED {
            return;
        }
        self.0.settling.exit(Decision::decode(dec));
        if unmapped >= counted {
            return;
        }
        self.0.stats.remaps.add(1, Relaxed);
        // SAFETY: `d` is the domain `entry` saw; the iommu core is returning
        // from the unmap on it and still holds it.
        let Some(d) = (unsafe { Domain::from_raw(d as *mut _) }) else {
            return;
        };
        let iova = iova as u64;
        let from = iova.saturating_add(unmapped as u64);
        let _ = self
            .0
            .account_range(&d, from, iova.saturating_add(counted as u64), true);
        self.0.refill_if_low();
    }
}

/// `iommu_domain_free(domain)`: releases what the freed domain still maps
/// (its table is intact at entry).
pub(crate) struct FreeHook(pub(crate) Arc<Accounting>);

impl Handler for FreeHook {
    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: `iommu_domain_free` releases the domain only after this
        // entry handler returns.
        let Some(d) = (unsafe { args.domain(0) }) else {
            return [0; 4];
        };
        let st = &self.0.stats;
        st.freed_domains.add(1, Relaxed);
        // A domain still settling had only what lies below its cursor
        // counted.
        let end = self.0.settling.freed(d.key().index()).unwrap_or(u64::MAX);
        if end > 0 {
            let released = self.0.account_range(&d, 0, end, false);
            st.released_on_free.add(released, Relaxed);
        }
        [0; 4]
    }
}

/// The registered hooks.
///
/// # Invariants
///
/// Fields drop in declaration order: map first (see `install`). While
/// `unmap` is registered it feeds `unmaps` (if any), which says it no
/// longer tracks once `drop` has unregistered it.
pub(crate) struct Hooks {
    map: Pin<KBox<Fprobe<MapHook>>>,
    unmap: Pin<KBox<Fprobe<UnmapHook>>>,
    free: Pin<KBox<Fprobe<FreeHook>>>,
    unmaps: Option<Arc<UnmapCounters>>,
}

impl Drop for Hooks {
    fn drop(&mut self) {
        // The map probe goes first (its field is dropped after this body,
        // in order): stop saying the dumps are consistent before the
        // unmap probe stops counting.
        if let Some(u) = &self.unmaps {
            u.stop_tracking();
        }
    }
}

impl Hooks {
    /// Installs all three; without one of them the counts would drift, so
    /// none is kept if one fails.
    /// With `unmaps`, the unmap probe also counts the unmaps in flight for
    /// the page-table dumps.
    pub(crate) fn install(
        state: &Arc<Accounting>,
        unmaps: Option<Arc<UnmapCounters>>,
    ) -> Result<Self> {
        // Registering one takes a while: free and unmap first, so that no
        // map is counted whose unmap or free could still be missed (the
        // other way round, a miss is an underflow, never a false report).
        // Dropped in field order: map first.
        let free = KBox::pin_init(
            Fprobe::new(c"iommu_domain_free", FreeHook(state.clone())),
            GFP_KERNEL,
        )?;
        let unmap = KBox::pin_init(
            Fprobe::new(c"__iommu_unmap", UnmapHook(state.clone(), unmaps.clone())),
            GFP_KERNEL,
        )?;
        let map = KBox::pin_init(
            Fprobe::new(c"iommu_map_nosync", MapHook(state.clone())),
            GFP_KERNEL,
        )?;
        if let Some(u) = &unmaps {
            u.set_tracking();
        }
        Ok(Self {
            map,
            unmap,
            free,
            unmaps,
        })
    }

    /// Writes one `probe <function>: active (...) missed=<n>` line per hook.
    pub(crate) fn write_status(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        for (func, what, missed) in [
            ("iommu_map_nosync", "map accounting", self.map.missed()),
            ("__iommu_unmap", "unmap accounting", self.unmap.missed()),
            (
                "iommu_domain_free",
                "release on domain free",
                self.free.missed(),
            ),
        ] {
            writeln!(f, "probe {}: active ({}) missed={}", func, what, missed)?;
        }
        Ok(())
    }
}
