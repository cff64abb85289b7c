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
//! Owns: which functions are probed for accounting and how their arguments
//! are read. Must not: sleep or take a lock (handlers run with preemption
//! off, in any context).

use kernel::{
    prelude::*,
    sync::{atomic::Relaxed, Arc},
};

use super::pagecount::Alloc;
use super::seed::{Decision, MAX_SETTLING};
use super::state::Accounting;
use crate::sys::domain::Domain;
use crate::sys::fprobe::{Args, EntryData, Fprobe, Handler};

/// `iommu_map_nosync(domain, iova, paddr, size, prot, gfp)`.
pub(crate) struct MapHook(pub(crate) Arc<Accounting>);

impl Handler for MapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        let (d, iova, pa, size) = (args.arg(0), args.arg(1), args.arg(2), args.arg(3));
        let slot = self.0.claim_in_map(d, iova as u64, size as u64);
        let settle = encode(self.0.settling.enter(d));
        [settle, pa, size, slot]
    }

    fn exit(&self, e: &EntryData, ret: usize) {
        let [settle, pa, size, slot] = *e;
        self.0.release_in_map(slot);
        let dec = decode(settle);
        self.0.settling.exit(dec);
        if dec != Decision::Count {
            return;
        }
        if ret as i32 != 0 {
            self.0.stats.maps_failed.add(1, Relaxed);
            return;
        }
        self.0.stats.maps.add(1, Relaxed);
        self.0
            .account_pa_range(pa as u64, size as u64, true, Alloc::Pool);
        self.0.refill_if_low();
    }
}

/// Marks an unmap that was not accounted (rollback of a failed map).
const SKIPPED: usize = usize::MAX;

/// Marks an unmap of a settling domain: `SETTLING + slot`.
const SETTLING: usize = 1 << 16;

/// A hook's settling decision in one word of entry data: `usize::MAX - 1`
/// to count, the slot otherwise.
fn encode(d: Decision) -> usize {
    match d {
        Decision::Count => usize::MAX - 1,
        Decision::Skip(i) => i,
    }
}

fn decode(v: usize) -> Decision {
    if v == usize::MAX - 1 {
        Decision::Count
    } else {
        Decision::Skip(v)
    }
}

/// `__iommu_unmap(domain, iova, size, gather)`.
pub(crate) struct UnmapHook(pub(crate) Arc<Accounting>);

impl Handler for UnmapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: the iommu core holds the domain it unmaps from for the
        // whole call.
        let Some(d) = (unsafe { args.domain(0) }) else {
            return [0, 0, 0, SKIPPED];
        };
        let (iova, size) = (args.arg(1) as u64, args.arg(2) as u64);
        let key = d.key().index();
        if self.0.is_rollback(key, iova, size) {
            self.0.stats.rollbacks_skipped.add(1, Relaxed);
            return [key, iova as usize, size as usize, SKIPPED];
        }
        if let Decision::Skip(i) = self.0.settling.enter(key) {
            // Not counted until the domain is seeded; `exit` says it
            // returned.
            return [key, iova as usize, size as usize, SETTLING + i];
        }
        self.0.stats.unmaps.add(1, Relaxed);
        self.0
            .account_range(&d, iova, iova.saturating_add(size), false);
        [key, iova as usize, size as usize, 0]
    }

    fn exit(&self, e: &EntryData, unmapped: usize) {
        let [d, iova, size, flag] = *e;
        if let Some(i) = flag.checked_sub(SETTLING).filter(|&i| i < MAX_SETTLING) {
            self.0.settling.exit(Decision::Skip(i));
            return;
        }
        if flag == SKIPPED || unmapped >= size {
            return;
        }
        self.0.stats.remaps.add(1, Relaxed);
        // SAFETY: `d` is the domain `entry` saw; the iommu core is returning
        // from the unmap on it and still holds it.
        let Some(d) = (unsafe { Domain::from_raw(d as *mut _) }) else {
            return;
        };
        let (iova, size) = (iova as u64, size as u64);
        let from = iova.saturating_add(unmapped as u64);
        self.0
            .account_range(&d, from, iova.saturating_add(size), true);
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
        if self.0.settling.freed(d.key().index()) {
            // Never seeded: nothing of it was counted.
            return [0; 4];
        }
        let before = st.refs.load(Relaxed);
        self.0.account_range(&d, 0, u64::MAX, false);
        let after = st.refs.load(Relaxed);
        st.released_on_free
            .add(before.saturating_sub(after), Relaxed);
        [0; 4]
    }
}

/// The registered hooks.
pub(crate) struct Hooks {
    map: Pin<KBox<Fprobe<MapHook>>>,
    unmap: Pin<KBox<Fprobe<UnmapHook>>>,
    free: Pin<KBox<Fprobe<FreeHook>>>,
}

impl Hooks {
    /// Installs all three; without one of them the counts would drift, so
    /// none is kept if one fails.
    pub(crate) fn install(state: &Arc<Accounting>) -> Result<Self> {
        Ok(Self {
            map: KBox::pin_init(
                Fprobe::new(c"iommu_map_nosync", MapHook(state.clone())),
                GFP_KERNEL,
            )?,
            unmap: KBox::pin_init(
                Fprobe::new(c"__iommu_unmap", UnmapHook(state.clone())),
                GFP_KERNEL,
            )?,
            free: KBox::pin_init(
                Fprobe::new(c"iommu_domain_free", FreeHook(state.clone())),
                GFP_KERNEL,
            )?,
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
