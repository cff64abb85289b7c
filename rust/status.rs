// SPDX-License-Identifier: GPL-2.0

//! The hooks the module installed, and the `status` debugfs file that says
//! which features are active on this kernel.
//!
//! Owns: the skeleton's probe on `iommu_map_nosync` (a call counter) and the
//! text of `/sys/kernel/debug/io_page_tables/status`.
//! Must not: print kernel addresses.

use kernel::{
    fmt,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

use crate::fprobe::{Args, Fprobe, Handler};

/// The kernel function the map counter probes.
pub(crate) const MAP_FN: &CStr = c"iommu_map_nosync";

/// Calls of `iommu_map_nosync` seen since load (all domains).
pub(crate) static MAP_CALLS: Atomic<u64> = Atomic::new(0);

/// Bytes requested by those calls (argument `size`).
pub(crate) static MAP_BYTES: Atomic<u64> = Atomic::new(0);

/// Counts calls of `iommu_map_nosync(domain, iova, paddr, size, prot, gfp)`.
pub(crate) struct MapCounter;

impl Handler for MapCounter {
    fn entry(&self, args: &Args) {
        MAP_CALLS.add(1, Relaxed);
        MAP_BYTES.add(args.arg(3) as u64, Relaxed);
    }
}

/// What the `status` file reports.
///
/// # Invariants
///
/// `map_probe` is `Ok` exactly when the probe is registered.
#[pin_data]
pub(crate) struct Status {
    map_probe: Result<Pin<KBox<Fprobe<MapCounter>>>>,
}

impl Status {
    /// Installs the hooks; a hook that cannot be installed is reported once
    /// in the kernel log and shown as unavailable, the rest still works.
    pub(crate) fn new() -> Self {
        let map_probe = KBox::pin_init(Fprobe::new(MAP_FN, MapCounter), GFP_KERNEL);
        if let Err(e) = &map_probe {
            pr_warn!(
                "cannot probe {}: error {}; map counting disabled\n",
                MAP_FN.to_str().unwrap_or("?"),
                e.to_errno()
            );
        }
        Self { map_probe }
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
            ),
            Err(e) => writeln!(
                f,
                "probe {}: unavailable error={}",
                MAP_FN.to_str().unwrap_or("?"),
                e.to_errno()
            ),
        }
    }
}
