// SPDX-License-Identifier: GPL-2.0

//! The features' state and the `status` debugfs file that says which are
//! active on this kernel.
//!
//! Owns: starting and stopping the features in the right order (hooks
//! before the state they use, and the reverse on unload), the skeleton's
//! call counter on `iommu_map_nosync`, and the text of
//! `/sys/kernel/debug/io_page_tables/status`.
//! Must not: print kernel addresses.

use kernel::{
    debugfs::Dir,
    fmt,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
};

use crate::accounting;
use crate::domains::{self, HookSlot, Registry};
use crate::evtq;
use crate::ffi;
use crate::fprobe::{Args, EntryData, Fprobe, Handler};
use crate::iopf;
use crate::leaks;

/// The kernel function the map counter probes.
pub(crate) const MAP_FN: &CStr = c"iommu_map_nosync";

/// Calls of `iommu_map_nosync` seen since load (all domains).
pub(crate) static MAP_CALLS: Atomic<u64> = Atomic::new(0);

/// Bytes requested by those calls (argument `size`).
pub(crate) static MAP_BYTES: Atomic<u64> = Atomic::new(0);

/// Counts calls of `iommu_map_nosync(domain, iova, paddr, size, prot, gfp)`.
pub(crate) struct MapCounter;

impl Handler for MapCounter {
    fn entry(&self, args: &Args) -> EntryData {
        MAP_CALLS.add(1, Relaxed);
        MAP_BYTES.add(args.arg(3) as u64, Relaxed);
        [0; 4]
    }
}

/// The page-table dump feature: registry plus its hooks.
struct PtDump {
    hooks: KVec<HookSlot>,
    registry: Arc<Registry>,
    smmus: i32,
}

/// Everything the module runs, and what the `status` file reports.
///
/// # Invariants
///
/// `map_probe` is `Ok` exactly when the probe is registered; `ptdump` is
/// `Ok` only if its free hook is registered (without it a directory could
/// outlive its domain). On drop, hooks are unregistered before the state
/// they use is torn down.
pub(crate) struct Status {
    map_probe: Result<Pin<KBox<Fprobe<MapCounter>>>>,
    ptdump: Result<PtDump>,
    accounting: Result<accounting::Feature>,
    leaks: Result<leaks::Detector>,
    evtq: Result<evtq::Feature>,
    iopf: Result<iopf::Feature>,
}

impl Status {
    /// Starts the features; one that cannot start is reported once in the
    /// kernel log and shown as unavailable, the rest still work.
    pub(crate) fn new(root: &Dir) -> Self {
        let map_probe = KBox::pin_init(Fprobe::new(MAP_FN, MapCounter), GFP_KERNEL);
        if let Err(e) = &map_probe {
            pr_warn!(
                "cannot probe {}: error {}; map counting disabled\n",
                MAP_FN.to_str().unwrap_or("?"),
                e.to_errno()
            );
        }
        let ptdump = Self::start_ptdump(root);
        if let Err(e) = &ptdump {
            pr_warn!(
                "io_page_tables: per-domain directories disabled (error {})\n",
                e.to_errno()
            );
        }
        let accounting = accounting::Feature::start();
        match (&accounting, &ptdump) {
            (Err(e), _) => pr_warn!("accounting: disabled (error {})\n", e.to_errno()),
            (Ok(a), Ok(p)) => {
                // Seed the counts with what is mapped already, so that
                // unmaps of mappings older than the module balance.
                p.registry.flush();
                p.registry.for_each_live(|_, d| {
                    // SAFETY: `d` is live (for_each_live holds its lock).
                    unsafe { a.state().account_range(d, 0, u64::MAX, true) };
                });
                let st = &a.state().stats;
                st.seeded_pages.store(st.refs.load(Relaxed), Relaxed);
            }
            (Ok(_), Err(_)) => {
                pr_warn!("accounting: no domain registry; mappings older than the module are not seeded\n")
            }
        }
        let leaks = match (&accounting, &ptdump) {
            (Ok(_), p) => leaks::Detector::start(p.as_ref().ok().map(|p| p.registry.clone())),
            (Err(_), _) => Err(ENOENT),
        };
        if let Err(e) = &leaks {
            pr_warn!("leak detection: disabled (error {})\n", e.to_errno());
        }
        let evtq = evtq::Feature::start();
        if let Err(e) = &evtq {
            pr_warn!(
                "smmu_evtq_event: cannot probe arm_smmu_evtq_thread (error {}); event tracing disabled\n",
                e.to_errno()
            );
        }
        let iopf = iopf::Feature::start();
        if let Err(e) = &iopf {
            pr_warn!(
                "iopf: cannot probe iommu_report_device_fault (error {}); IOPF accounting disabled\n",
                e.to_errno()
            );
        }
        Self {
            map_probe,
            ptdump,
            accounting,
            leaks,
            evtq,
            iopf,
        }
    }

    fn start_ptdump(root: &Dir) -> Result<PtDump> {
        // SAFETY: walks the buses with the driver core's own locking.
        let smmus = unsafe { ffi::iommu_scope_smmu_init() };
        if smmus == 0 {
            pr_info!("io_page_tables: no device behind arm-smmu-v3; only other drivers' domains are listed\n");
        }
        let registry = Registry::new(root.clone())?;
        let mut hooks = domains::install_hooks(&registry)?;
        if hooks.first().is_none_or(|h| h.probe.is_err()) {
            // Without the free hook a directory could outlive its domain.
            hooks.clear();
            registry.stop();
            return Err(ENOENT);
        }
        registry.scan_devices();
        Ok(PtDump {
            hooks,
            registry,
            smmus,
        })
    }

    /// Formats the `status` file.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "module: iommu_scope")?;
        match &self.map_probe {
            Ok(p) => writeln!(
                f,
                "probe {}: active calls={} bytes={} missed={}",
                MAP_FN.to_str().unwrap_or("?"),
                MAP_CALLS.load(Relaxed),
                MAP_BYTES.load(Relaxed),
                p.missed()
            )?,
            Err(e) => writeln!(
                f,
                "probe {}: unavailable error={}",
                MAP_FN.to_str().unwrap_or("?"),
                e.to_errno()
            )?,
        }
        match &self.accounting {
            Ok(a) => writeln!(
                f,
                "feature accounting: active table_memory={}",
                a.state().counts.memory()
            )?,
            Err(e) => writeln!(f, "feature accounting: unavailable error={}", e.to_errno())?,
        }
        match &self.evtq {
            Ok(e) => {
                let s = e.stats();
                writeln!(
                    f,
                    "feature smmu_evtq_event: active events={} overflows={} thread_runs={}",
                    s.events.load(Relaxed),
                    s.overflows.load(Relaxed),
                    s.threads.load(Relaxed)
                )?
            }
            Err(e) => writeln!(
                f,
                "feature smmu_evtq_event: unavailable error={}",
                e.to_errno()
            )?,
        }
        match &self.iopf {
            Ok(i) => writeln!(
                f,
                "feature iopf: active reports={} handler_outcome={}",
                i.state().reports.load(Relaxed),
                if i.has_response_hook() {
                    "tracked"
                } else {
                    "untracked"
                }
            )?,
            Err(e) => writeln!(f, "feature iopf: unavailable error={}", e.to_errno())?,
        }
        match &self.leaks {
            Ok(d) => writeln!(
                f,
                "feature leak_detection: active leaks_found={}",
                d.log.found.load(Relaxed)
            )?,
            Err(e) => writeln!(
                f,
                "feature leak_detection: unavailable error={}",
                e.to_errno()
            )?,
        }
        match &self.ptdump {
            Err(e) => writeln!(
                f,
                "feature io_page_tables: unavailable error={}",
                e.to_errno()
            ),
            Ok(p) => {
                let st = &p.registry.stats;
                writeln!(
                    f,
                    "feature io_page_tables: active smmu_v3_devices={} domains_registered={} domains_freed={} dirs={} dropped={}",
                    p.smmus,
                    st.registered.load(Relaxed),
                    st.freed.load(Relaxed),
                    st.dirs.load(Relaxed),
                    st.dropped.load(Relaxed)
                )?;
                for h in p.hooks.iter() {
                    match &h.probe {
                        Ok(pr) => writeln!(
                            f,
                            "probe {}: active ({}) missed={}",
                            h.func.to_str().unwrap_or("?"),
                            h.what,
                            pr.missed()
                        )?,
                        Err(e) => writeln!(
                            f,
                            "probe {}: unavailable ({}) error={}",
                            h.func.to_str().unwrap_or("?"),
                            h.what,
                            e.to_errno()
                        )?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        self.iopf = Err(ENOENT);
        self.evtq = Err(ENOENT);
        // Leak probes first (they read the counts), then the accounting
        // hooks (they read domains the registry tracks).
        self.leaks = Err(ENOENT);
        self.accounting = Err(ENOENT);
        if let Ok(p) = &mut self.ptdump {
            // Unregister (and wait for) every hook, then stop the work item
            // and remove the directories.
            p.hooks.clear();
            p.registry.stop();
        }
    }
}
