// SPDX-License-Identifier: GPL-2.0

//! The accounting hooks on the generic iommu core:
//!
//! - the `iommu:map` tracepoint (a direct call inside `iommu_map_nosync`,
//!   with the IOVA, physical address and size actually mapped): one
//!   reference per 4 KiB unit (`Accounting::mapped`). A map that fails
//!   part-way still fires it with what it mapped, then unmaps exactly that:
//!   the unmap hook releases it like any other.
//! - `iommu_map_nosync` (entry and return), armed only while it is needed
//!   (`MapCtl`): while a domain found at load settles (`seed.rs`: each call
//!   may count only below the domain's cursor, and must say when it
//!   returns) or once an IOMMU or a domain whose table the module cannot
//!   read was seen (its maps must not be counted: their unmaps could not
//!   be released). It leaves a note per call for the tracepoint.
//! - `__iommu_unmap` (entry only): the range's leaves are found (a few
//!   granules with the driver's own lookup, more with one walk of the
//!   table) and every unit is released, up to the end of a generic_pt
//!   entry the range ends inside (cleared whole); the call leaves a note
//!   (`notes.rs`) that the `iommu:unmap` tracepoint takes back.
//! - `iommu:unmap` (a direct call at the end of `__iommu_unmap`, with the
//!   size really unmapped): what was released and not unmapped is walked
//!   again and taken back ("remap"). Cheaper than a return probe on
//!   `__iommu_unmap`.
//! - `iommu_domain_free` (entry): a freed domain maps nothing any more, so
//!   whatever is still in its table is released.
//! - `iommu_device_register` (entry): an IOMMU that is not an arm-smmu-v3
//!   instance arrives; maps are no longer counted without the map probe,
//!   which is armed again.
//!
//! One probe per kernel function: the unmap probe also counts the unmaps
//! in flight for the page-table dumps' consistency marks
//! (`ptdump::registry::UnmapCounters`), which then install no probe of
//! their own.
//!
//! Owns: which functions and tracepoints are probed for accounting, when
//! the map probe is armed, and how their arguments are read. Must not:
//! sleep, allocate or take a sleeping lock in a handler (handlers run in
//! any context; fprobe handlers with preemption off, tracepoint handlers
//! under SRCU, so they may be preempted and migrate: nothing here is
//! per-CPU; the settling lock is a raw one).

use kernel::{
    new_mutex, pr_warn_once,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed, Release},
        Arc, ArcBorrow, Mutex,
    },
    workqueue::{impl_has_work, new_work, Work, WorkItem},
};

use super::notes::{Note, UnmapNotes, NO_BUCKET};
use super::seed::Decision;
use super::state::Accounting;
use crate::ptdump::registry::UnmapCounters;
use crate::pure::table::Table;
use crate::sys::domain::Domain;
use crate::sys::fprobe::{Args, EntryData, Fprobe, Handler};
use crate::sys::map_trace::{self, MapHandler, MapTrace, UnmapHandler, UnmapTrace};
use crate::sys::phys::SequentialPhys;
use crate::sys::{task, work};

/// The `iommu:map` tracepoint: counts the map (and has the map probe armed
/// when something unreadable was seen since it was disarmed).
pub(crate) struct MapCount(Arc<MapCtl>);

impl MapHandler for MapCount {
    fn mapped(this: ArcBorrow<'_, Self>, iova: u64, pa: u64, size: u64) {
        if this.0.acc.mapped(iova, pa, size) {
            this.0.queue();
        }
    }
}

/// `iommu_map_nosync(domain, iova, paddr, size, prot, gfp)`, while armed:
/// tells the tracepoint what it may count of this call.
pub(crate) struct MapHook(Arc<Accounting>);

/// Marks a map into a domain whose table the module cannot read; never an
/// encoded `Decision`.
const NO_TABLE: usize = usize::MAX - 1;

impl Handler for MapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        let (d, iova, pa, size) = (args.arg(0), args.arg(1), args.arg(2), args.arg(3));
        let (iova, size, pa) = (iova as u64, size as u64, pa as u64);
        // SAFETY: the iommu core holds the domain it maps into for the
        // whole call.
        let readable =
            unsafe { args.domain(0) }.is_some_and(|d| d.check_readable() && d.is_paging());
        if !readable {
            // Its unmaps and its free could not be released: never count
            // it (armed, a map without a note is not counted).
            return [NO_TABLE, 0, 0, usize::MAX];
        }
        let (dec, end) = self.0.settling.enter(d, iova, iova.saturating_add(size));
        // What the tracepoint may count: the part below a settling
        // domain's cursor (all of it otherwise).
        let slot = self.0.claim_in_map(iova, pa, end.saturating_sub(iova));
        [dec.encode(), 0, 0, slot]
    }

    fn exit(&self, e: &EntryData, _ret: usize) {
        let [dec, _, _, slot] = *e;
        self.0.release_in_map(slot);
        if dec != NO_TABLE {
            self.0.settling.exit(Decision::decode(dec));
        }
    }
}

/// `iommu_device_register(iommu, ops, hwdev)`: an IOMMU that is not an
/// arm-smmu-v3 instance stops the counting of maps without a note (before
/// it has a domain) and arms the map probe.
struct RegisterHook(Arc<MapCtl>);

impl Handler for RegisterHook {
    fn entry(&self, args: &Args) -> EntryData {
        // Argument 1: the ops the IOMMU registers with (only compared).
        if !map_trace::is_smmu_v3_ops(args.arg(1)) {
            self.0.acc.saw_foreign();
            self.0.queue();
        }
        [0; 4]
    }
}

/// Arms and disarms the map probe (process context, from a work item).
///
/// # Invariants
///
/// `probe` is only changed under its lock, by `run` while `stopping` is
/// false or by `stop`. The work item is queued by the hooks and the
/// seeder; `stop` is called once none of them can run any more (see
/// `Hooks::drop`) and flushes it.
#[pin_data]
pub(crate) struct MapCtl {
    acc: Arc<Accounting>,
    #[pin]
    probe: Mutex<Option<Pin<KBox<Fprobe<MapHook>>>>>,
    /// The last registration error (0: none).
    error: Atomic<i32>,
    stopping: Atomic<bool>,
    #[pin]
    work: Work<MapCtl>,
}

impl_has_work! {
    impl HasWork<Self> for MapCtl { self.work }
}

impl WorkItem for MapCtl {
    type Pointer = Arc<MapCtl>;

    fn run(this: Arc<MapCtl>) {
        this.reconcile();
    }
}

impl MapCtl {
    /// Registers the map probe (process context).
    fn arm(acc: &Arc<Accounting>) -> Result<Pin<KBox<Fprobe<MapHook>>>> {
        KBox::pin_init(
            Fprobe::new(c"iommu_map_nosync", MapHook(acc.clone())),
            GFP_KERNEL,
        )
    }

    /// With the map probe armed (process context).
    fn new(acc: &Arc<Accounting>) -> Result<Arc<Self>> {
        let probe = Self::arm(acc)?;
        Arc::pin_init(
            pin_init!(Self {
                acc: acc.clone(),
                probe <- new_mutex!(Some(probe)),
                error: Atomic::new(0),
                stopping: Atomic::new(false),
                work <- new_work!("iommu_scope::MapCtl::work"),
            }),
            GFP_KERNEL,
        )
    }

    /// Asks for the probe to be armed or disarmed as needed (any context).
    pub(crate) fn queue(self: &Arc<Self>) {
        if !self.stopping.load(Relaxed) {
            // Already queued is fine.
            let _ = work::queue().enqueue(self.clone());
        }
    }

    /// Arms the probe while a domain settles or a domain the module cannot
    /// read may exist, disarms it otherwise.
    fn reconcile(&self) {
        let mut probe = self.probe.lock();
        if self.stopping.load(Relaxed) {
            return;
        }
        let a = &self.acc;
        let needed = a.settling.active() > 0 || a.any_foreign();
        match (needed, probe.is_some()) {
            (true, false) => {
                a.unnoted_counted.store(false, Release);
                match Self::arm(a) {
                    Ok(p) => {
                        self.error.store(0, Relaxed);
                        *probe = Some(p);
                    }
                    Err(e) => {
                        self.error.store(e.to_errno(), Relaxed);
                        pr_warn!(
                            "accounting: cannot arm the map probe (error {}); maps are not counted\n",
                            e.to_errno()
                        );
                    }
                }
            }
            (false, true) => {
                // Maps without a note are counted from now on; a call the
                // probe saw still finds its note until the probe is gone.
                a.unnoted_counted.store(true, Release);
                *probe = None;
            }
            _ => {}
        }
    }

    /// Whether the map probe is armed.
    pub(crate) fn armed(&self) -> bool {
        self.probe.lock().is_some()
    }

    /// The table of `d`, a domain a hook holds; a paging domain without
    /// one that the module can read, the first seen, has the map probe
    /// armed (maps into it must not be counted). Any context.
    fn table_of(self: &Arc<Self>, d: &Domain<'_>) -> Option<Table> {
        let t = d.table();
        if t.is_none() && d.is_paging() && !self.acc.any_foreign() {
            self.acc.saw_foreign();
            self.queue();
        }
        t
    }

    /// Waits for the work item (tests).
    #[cfg(iommu_scope_kunit)]
    pub(crate) fn flush(&self) {
        work::flush(&self.work);
    }

    /// Stops the work item and disarms the probe (process context).
    fn stop(&self) {
        self.stopping.store(true, Relaxed);
        work::flush(&self.work);
        *self.probe.lock() = None;
    }
}

/// Marks an unmap that was not accounted (a table the module cannot
/// read); never an encoded `Decision`.
const SKIPPED: usize = usize::MAX - 2;

/// What the unmap probe and the `iommu:unmap` tracepoint share: the
/// accounting, the dumps' counters of unmaps in flight (if the page-table
/// dumps run) and the notes the first leaves for the second.
pub(crate) struct UnmapState {
    ctl: Arc<MapCtl>,
    dumps: Option<Arc<UnmapCounters>>,
    notes: UnmapNotes,
}

/// `__iommu_unmap(domain, iova, size, gather)`, at entry (no return
/// probe): releases the range, leaves a note for the tracepoint.
pub(crate) struct UnmapHook(Arc<UnmapState>);

impl Handler for UnmapHook {
    fn entry(&self, args: &Args) -> EntryData {
        let s = &self.0;
        // SAFETY: the iommu core holds the domain it unmaps from for the
        // whole call.
        let Some(d) = (unsafe { args.domain(0) }) else {
            return [0; 4];
        };
        // `__iommu_unmap` returns without reaching its tracepoint (after a
        // warning) for these: nothing to note.
        if !d.is_paging() || d.pgsize_bitmap() == 0 {
            return [0; 4];
        }
        let key = d.key().index();
        let bucket = s.dumps.as_ref().map_or(NO_BUCKET, |c| c.started(d.key()));
        let (iova, size) = (args.arg(1) as u64, args.arg(2) as u64);
        let a = &s.ctl.acc;
        a.stats.unmaps.add(1, Relaxed);
        let mut note = Note {
            iova,
            size,
            domain: key,
            counted: 0,
            dec: SKIPPED,
            bucket,
        };
        if let Some(t) = s.ctl.table_of(&d) {
            // generic_pt clears the whole entry the range ends inside (and
            // says so in `unmapped`): all of it is released, or it would
            // stay counted once unmapped. What is not unmapped after all
            // is taken back at the tracepoint like any short unmap.
            let mut stop = iova.saturating_add(size);
            if t.clears_whole_entries() {
                stop = t.unmap_end(&mut SequentialPhys::new(), iova, stop);
            }
            let (dec, end) = a.settling.enter(key, iova, stop);
            // Released here: the part below a settling domain's cursor (all
            // of it otherwise); the rest is the seeding walk's.
            if end > iova {
                // SAFETY: at the entry of `__iommu_unmap`, whose range
                // covers `[iova, end)`: no table under it is freed before
                // this returns.
                let _ = unsafe { a.release_unmap(&d, &t, iova, end) };
            }
            note.counted = end.saturating_sub(iova);
            note.dec = dec.encode();
        }
        // Without a note (every slot taken, or a CPU not online, where the
        // core's tracepoint does not fire: counted in `lost`), a partial
        // unmap is not taken back, a settling domain keeps this operation
        // in flight (it stays settling: its older mappings are never
        // counted, so never reported), and the dumps of this bucket stay
        // marked inconsistent: never a false report. A note is only left
        // where the tracepoint will take it: one never taken could be
        // taken by a later call of the same context.
        if !task::cpu_online() {
            s.notes.lost.add(1, Relaxed);
        } else if !s.notes.leave(note) {
            pr_warn_once!(
                "accounting: no free unmap note (status: notes_lost); a short unmap is not taken back\n"
            );
        }
        [0; 4]
    }
}

impl UnmapHandler for UnmapState {
    /// The `iommu:unmap` tracepoint: how the call the probe saw ended.
    fn unmapped(this: ArcBorrow<'_, Self>, iova: u64, size: u64, unmapped: u64) {
        // No note: the call began before the probe was registered (nothing
        // was released), or its note was lost.
        let Some(n) = this.notes.take(iova, size) else {
            return;
        };
        this.account_end(&n, unmapped);
        if let (Some(c), true) = (&this.dumps, n.bucket != NO_BUCKET) {
            c.finished(n.bucket);
        }
    }
}

impl UnmapState {
    /// The accounting half of an unmap's end: takes back what was released
    /// at entry and not unmapped.
    fn account_end(&self, n: &Note, unmapped: u64) {
        if n.dec == SKIPPED {
            return;
        }
        let a = &self.ctl.acc;
        a.settling.exit(Decision::decode(n.dec));
        if unmapped >= n.counted {
            return;
        }
        a.stats.remaps.add(1, Relaxed);
        // SAFETY: `n.domain` is the domain the probe saw at the entry of
        // this call, which is still running (this is its tracepoint), so
        // the iommu core still holds it.
        let Some(d) = (unsafe { Domain::from_raw(n.domain as *mut _) }) else {
            return;
        };
        let from = n.iova.saturating_add(unmapped);
        let _ = a.account_range(&d, from, n.iova.saturating_add(n.counted), true);
        a.refill_if_low();
    }
}

/// `iommu_domain_free(domain)`: releases what the freed domain still maps
/// (its table is intact at entry).
pub(crate) struct FreeHook(Arc<MapCtl>);

impl Handler for FreeHook {
    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: `iommu_domain_free` releases the domain only after this
        // entry handler returns.
        let Some(d) = (unsafe { args.domain(0) }) else {
            return [0; 4];
        };
        let a = &self.0.acc;
        let st = &a.stats;
        st.freed_domains.add(1, Relaxed);
        let t = self.0.table_of(&d);
        // A domain still settling had only what lies below its cursor
        // counted.
        let end = a.settling.freed(d.key().index()).unwrap_or(u64::MAX);
        if let (Some(t), true) = (t, end > 0) {
            let released = a.account_table_range(&t, 0, end, false);
            st.released_on_free.add(released, Relaxed);
        }
        [0; 4]
    }
}

/// The registered hooks.
///
/// # Invariants
///
/// The probes are `Some` until `drop`, which unregisters them (the map
/// tracepoint first, see `install`; the unmap probe before the `iommu:unmap`
/// tracepoint that takes its notes), so that nothing can queue `ctl` any
/// more, and only then stops `ctl`. While `unmap` is registered it feeds
/// `unmaps` (if any), which says it no longer tracks once `drop` began.
pub(crate) struct Hooks {
    map: Option<MapTrace<MapCount>>,
    unmap: Option<Pin<KBox<Fprobe<UnmapHook>>>>,
    unmap_end: Option<UnmapTrace<UnmapState>>,
    unmap_state: Arc<UnmapState>,
    free: Option<Pin<KBox<Fprobe<FreeHook>>>>,
    register: Option<Result<Pin<KBox<Fprobe<RegisterHook>>>>>,
    ctl: Arc<MapCtl>,
    unmaps: Option<Arc<UnmapCounters>>,
}

impl Drop for Hooks {
    fn drop(&mut self) {
        // Stop saying the dumps are consistent before the unmap probe
        // stops counting.
        if let Some(u) = &self.unmaps {
            u.stop_tracking();
        }
        self.map = None;
        self.unmap = None;
        self.unmap_end = None;
        self.free = None;
        self.register = None;
        // The seeder, the other one to queue it, was stopped before.
        self.ctl.stop();
    }
}

/// The probes of `Hooks::install`, in the order they are dropped.
type Probes = (
    MapTrace<MapCount>,
    Pin<KBox<Fprobe<UnmapHook>>>,
    UnmapTrace<UnmapState>,
    Pin<KBox<Fprobe<FreeHook>>>,
    Result<Pin<KBox<Fprobe<RegisterHook>>>>,
);

impl Hooks {
    /// Installs them all; without one of them the counts would drift, so
    /// none is kept if one fails (but the probe that notices IOMMUs
    /// registered later: without it, maps are only counted with the map
    /// probe armed). With `unmaps`, the unmap probe also counts the unmaps
    /// in flight for the page-table dumps.
    pub(crate) fn install(
        state: &Arc<Accounting>,
        unmaps: Option<Arc<UnmapCounters>>,
    ) -> Result<Self> {
        let ctl = MapCtl::new(state)?;
        let unmap_state = Arc::new(
            UnmapState {
                ctl: ctl.clone(),
                dumps: unmaps.clone(),
                notes: UnmapNotes::new()?,
            },
            GFP_KERNEL,
        )?;
        match Self::probes(state, &ctl, &unmap_state) {
            Ok((map, unmap, unmap_end, free, register)) => {
                if let Some(u) = &unmaps {
                    u.set_tracking();
                }
                // Disarms the map probe if nothing settles and every IOMMU
                // is readable (the seeder asks again when the last domain
                // settled).
                ctl.queue();
                Ok(Self {
                    map: Some(map),
                    unmap: Some(unmap),
                    unmap_end: Some(unmap_end),
                    unmap_state,
                    free: Some(free),
                    register: Some(register),
                    ctl,
                    unmaps,
                })
            }
            Err(e) => {
                // The probes registered so far are gone: none can queue it.
                ctl.stop();
                Err(e)
            }
        }
    }

    /// Registers the probes (dropped again, in reverse order, on error).
    fn probes(
        state: &Arc<Accounting>,
        ctl: &Arc<MapCtl>,
        unmap_state: &Arc<UnmapState>,
    ) -> Result<Probes> {
        // Registering one takes a while: free and unmap first, so that no
        // map is counted whose unmap or free could still be missed (the
        // other way round, a miss is an underflow, never a false report).
        // The map probe (in `ctl`) is armed before the tracepoint counts:
        // a map is never counted without its note while a domain settles.
        let free = KBox::pin_init(
            Fprobe::new(c"iommu_domain_free", FreeHook(ctl.clone())),
            GFP_KERNEL,
        )?;
        // The tracepoint that takes the unmap probe's notes before the
        // probe: every note left is taken.
        let unmap_end = UnmapTrace::register_unmap(unmap_state.clone())?;
        let unmap = KBox::pin_init(
            Fprobe::new(c"__iommu_unmap", UnmapHook(unmap_state.clone())),
            GFP_KERNEL,
        )?;
        let register = KBox::pin_init(
            Fprobe::new(c"iommu_device_register", RegisterHook(ctl.clone())),
            GFP_KERNEL,
        );
        if register.is_err() || map_trace::foreign_iommu_devices() > 0 {
            state.saw_foreign();
        }
        let map = MapTrace::register(Arc::new(MapCount(ctl.clone()), GFP_KERNEL)?)?;
        Ok((map, unmap, unmap_end, free, register))
    }

    /// What the seeder calls once the last domain settled.
    pub(crate) fn ctl(&self) -> Arc<MapCtl> {
        self.ctl.clone()
    }

    /// Writes one `probe <function>: ...` line per hook.
    pub(crate) fn write_status(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        writeln!(f, "probe iommu:map: active (map accounting)")?;
        let armed = self.ctl.armed();
        let why = if self.ctl.acc.any_foreign() {
            "an IOMMU or domain the module cannot read was seen"
        } else if self.ctl.acc.settling.active() > 0 {
            "domains settle"
        } else {
            "not needed"
        };
        match self.ctl.error.load(Relaxed) {
            0 => writeln!(
                f,
                "probe iommu_map_nosync: {} ({})",
                if armed { "armed" } else { "disarmed" },
                why
            )?,
            e => writeln!(
                f,
                "probe iommu_map_nosync: unavailable ({}) error={}",
                why, e
            )?,
        }
        for (func, what, missed) in [
            (
                "__iommu_unmap",
                "unmap accounting",
                self.unmap.as_ref().map_or(0, |p| p.missed()),
            ),
            (
                "iommu_domain_free",
                "release on domain free",
                self.free.as_ref().map_or(0, |p| p.missed()),
            ),
        ] {
            writeln!(f, "probe {}: active ({}) missed={}", func, what, missed)?;
        }
        let notes = &self.unmap_state.notes;
        writeln!(
            f,
            "probe iommu:unmap: active (end of unmaps) notes={} notes_lost={}",
            notes.capacity(),
            notes.lost.load(Relaxed)
        )?;
        match &self.register {
            None => Ok(()),
            Some(Ok(p)) => writeln!(
                f,
                "probe iommu_device_register: active (IOMMUs registered later) missed={}",
                p.missed()
            ),
            Some(Err(e)) => writeln!(
                f,
                "probe iommu_device_register: unavailable (IOMMUs registered later) error={}",
                e.to_errno()
            ),
        }
    }
}
