// SPDX-License-Identifier: GPL-2.0

//! The loaded module: the `io_page_tables` debugfs root, the features in
//! the order they depend on each other, and the `status` file that says
//! which of them run on this kernel.
//!
//! Owns: start and stop order. Must not: implement a feature, or print a
//! kernel address.

use kernel::{fmt, prelude::*, sync::Arc};

use crate::accounting::AccountingFeature;
use crate::events::Events;
use crate::ptdump::PtDump;
use crate::streams::Streams;
use crate::sys::debugfs::{self, Dir, File};
use crate::sys::smmu::SmmuSupport;

/// Every feature, or why it could not start. Shared with the `status` file.
///
/// # Invariants
///
/// Fields drop in declaration order, the reverse of their start order:
/// events, the stream table view (its files read the registry's live
/// domains), then accounting (its hooks read domains the registry tracks),
/// then the page-table dumps (their registry).
pub(crate) struct Features {
    events: Events,
    streams: Result<Streams>,
    accounting: Result<AccountingFeature>,
    ptdump: Result<PtDump>,
    /// Last: the features read the SMMUv3 instances and their clients.
    smmu: SmmuSupport,
}

impl Features {
    /// Starts the features; one that cannot start is reported once in the
    /// kernel log and shown as unavailable, the rest still work.
    fn start(root: &Dir) -> Self {
        // Every feature that reads an SMMUv3 domain needs the driver's
        // instances first (accounting walks their tables on unmap).
        let smmu = SmmuSupport::init();
        if smmu.devices() == 0 {
            pr_info!("no device behind arm-smmu-v3; only other drivers' domains are seen\n");
        }
        let mut ptdump = PtDump::start(root, smmu.devices());
        if let Err(e) = &ptdump {
            pr_warn!(
                "io_page_tables: per-domain directories disabled (error {})\n",
                e.to_errno()
            );
        }
        let accounting = AccountingFeature::start(root, ptdump.as_ref().ok().map(|p| p.registry()));
        if let Err(e) = &accounting {
            pr_warn!("accounting: disabled (error {})\n", e.to_errno());
        }
        // One probe per kernel function: the accounting's unmap probe
        // counts the unmaps in flight for the dumps too.
        if let Ok(p) = &mut ptdump {
            if let Err(e) = p.track_unmaps(accounting.is_ok()) {
                pr_warn!(
                    "io_page_tables: unmaps not tracked, dumps cannot be consistent (error {})\n",
                    e.to_errno()
                );
            }
        }
        let streams = Streams::start(root, ptdump.as_ref().ok().map(|p| p.registry().clone()));
        if let Err(e) = &streams {
            pr_warn!("smmu_streams: disabled (error {})\n", e.to_errno());
        }
        let events = Events::start(root);
        Self {
            events,
            streams,
            accounting,
            ptdump,
            smmu,
        }
    }
}

/// Formats the `status` file.
fn show_status(s: &Arc<Features>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "module: iommu_scope")?;
    match &s.accounting {
        Ok(a) => a.write_status(f)?,
        Err(e) => {
            writeln!(f, "feature accounting: unavailable error={}", e.to_errno())?;
            writeln!(
                f,
                "feature leak_detection: unavailable error={}",
                e.to_errno()
            )?;
        }
    }
    s.events.write_status(f, s.smmu.clients_dropped())?;
    match &s.streams {
        Ok(st) => st.write_status(f)?,
        Err(e) => writeln!(
            f,
            "feature smmu_streams: unavailable error={}",
            e.to_errno()
        )?,
    }
    match &s.ptdump {
        Ok(p) => p.write_status(f),
        Err(e) => writeln!(
            f,
            "feature io_page_tables: unavailable error={}",
            e.to_errno()
        ),
    }
}

/// The loaded module.
///
/// # Invariants
///
/// Fields drop in declaration order: the `status` file first, then the
/// features (each stops its hooks before its state goes), then the root
/// directory and whatever is left in it.
pub(crate) struct IommuScope {
    _status: File<Arc<Features>>,
    _features: Arc<Features>,
    _root: Dir,
}

impl kernel::Module for IommuScope {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let root = Dir::root(c"io_page_tables")?;
        let features = Arc::new(Features::start(&root), GFP_KERNEL)?;
        let status = debugfs::read_only(&root, c"status", features.clone(), &show_status)?;
        pr_info!("loaded; debugfs: /sys/kernel/debug/io_page_tables/\n");
        Ok(Self {
            _status: status,
            _features: features,
            _root: root,
        })
    }
}

impl Drop for IommuScope {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
