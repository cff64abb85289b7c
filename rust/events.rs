// SPDX-License-Identifier: GPL-2.0

//! Feature: SMMUv3 events and IO page faults. Every record the SMMUv3 event
//! queue delivers becomes an `arm_smmu_v3:smmu_evtq_event` tracepoint event
//! (`evtq.rs`); every IO page fault reported to the iommu core is counted
//! per device, PASID and process under `iopf/` and traced as
//! `iommu_scope:iopf_fault` (`iopf.rs`).
//!
//! Owns: the two parts' lifecycle and status; each works without the
//! other. Must not: decode (`pure::evtq` does) or read driver state
//! (`sys::smmu`, `sys::iopf` do).

use kernel::{fmt, prelude::*};

use crate::sys::debugfs::Dir;

mod evtq;
mod iopf;

/// The running feature: each part, or why it could not start.
pub(crate) struct Events {
    evtq: Result<evtq::Evtq>,
    iopf: Result<iopf::IopfFeature>,
}

impl Events {
    /// Starts both parts; one that cannot start is said once in the kernel
    /// log.
    pub(crate) fn start(root: &Dir) -> Self {
        let evtq = evtq::Evtq::start();
        if let Err(e) = &evtq {
            pr_warn!(
                "smmu_evtq_event: cannot probe arm_smmu_evtq_thread (error {}); event tracing disabled\n",
                e.to_errno()
            );
        }
        let iopf = iopf::IopfFeature::start(root);
        match &iopf {
            // No such probe-able function: usually the kernel has no IO
            // page fault support (CONFIG_IOMMU_IOPF is off, as in kernels
            // without SVA, where it is a static inline stub), so there is
            // nothing to count.
            Err(e) if *e == ENOENT => pr_info!(
                "iopf: no probe-able iommu_report_device_fault (a kernel without IO page fault support: CONFIG_IOMMU_IOPF off); IOPF accounting unavailable\n"
            ),
            Err(e) => pr_warn!(
                "iopf: cannot probe iommu_report_device_fault (error {}); IOPF accounting disabled\n",
                e.to_errno()
            ),
            Ok(_) => {}
        }
        Self { evtq, iopf }
    }

    /// Writes the parts' `status` lines; `clients_dropped` counts stream
    /// IDs whose client the event path cannot name.
    pub(crate) fn write_status(
        &self,
        f: &mut fmt::Formatter<'_>,
        clients_dropped: u32,
    ) -> fmt::Result {
        match &self.evtq {
            Ok(e) => e.write_status(f, clients_dropped)?,
            Err(e) => writeln!(
                f,
                "feature smmu_evtq_event: unavailable error={}",
                e.to_errno()
            )?,
        }
        match &self.iopf {
            Ok(i) => i.write_status(f),
            Err(e) => writeln!(f, "feature iopf: unavailable error={}", e.to_errno()),
        }
    }
}
