// SPDX-License-Identifier: GPL-2.0

//! Feature: per-domain page-table dumps,
//! `/sys/kernel/debug/io_page_tables/domain_<id>/{info,devices,ptdump,ptdump_raw}`.
//!
//! A registry (`registry.rs`) tracks every live paging or SVA domain, fed
//! by hooks on the iommu core (`hooks.rs`) and a scan of the buses at load;
//! a work item keeps one debugfs directory per domain whose files
//! (`files.rs`) walk the domain's table through `sys::phys` without any
//! lock of the IOMMU driver.
//!
//! Owns: the feature's lifecycle (start, status, stop). Must not: walk or
//! format (the files and `pure::ptdump` do).

use kernel::{fmt, prelude::*, sync::atomic::Relaxed, sync::Arc};

use crate::sys::debugfs::Dir;

mod files;
mod hooks;
pub(crate) mod registry;

#[cfg(iommu_scope_kunit)]
mod genpt_kunit;
#[cfg(iommu_scope_kunit)]
mod kunit;

use registry::Registry;

/// The running feature.
///
/// # Invariants
///
/// `hooks[0]`, the free hook, is registered: without it a directory could
/// outlive its domain. It is the last thing to go: on drop the other hooks
/// are unregistered (waiting for running handlers), then the registry
/// stops and removes the directories (waiting for their readers), and only
/// then the free hook, so no domain can be freed unseen while a directory
/// or entry still reaches it.
pub(crate) struct PtDump {
    hooks: KVec<hooks::HookSlot>,
    registry: Arc<Registry>,
    smmu_devices: u32,
    /// The accounting's unmap probe counts the unmaps in flight.
    unmaps_shared: bool,
}

impl PtDump {
    /// Starts the feature: directories go under `root`. `smmu_devices` is
    /// what `sys::smmu::init` found, for `status`.
    pub(crate) fn start(root: &Dir, smmu_devices: u32) -> Result<Self> {
        let registry = Registry::new(root.clone())?;
        let hooks = match hooks::install_all(&registry) {
            Ok(h) if h.first().is_some_and(|h| h.probe.is_ok()) => h,
            Ok(h) => {
                stop(h, &registry);
                return Err(ENOENT);
            }
            Err(e) => {
                registry.stop();
                return Err(e);
            }
        };
        registry.scan_devices();
        // INVARIANT: the free hook is registered (checked above).
        Ok(Self {
            hooks,
            registry,
            smmu_devices,
            unmaps_shared: false,
        })
    }

    /// Counts the unmaps in flight for the consistency marks: `shared` if
    /// the accounting's unmap probe already does, else with a probe of the
    /// feature's own. Called once, after the accounting started (or not).
    pub(crate) fn track_unmaps(&mut self, shared: bool) -> Result {
        if shared {
            self.unmaps_shared = true;
            return Ok(());
        }
        // Room first: the probe switches tracking on, and a slot that could
        // not be kept would leave it on with no probe counting.
        self.hooks.reserve(1, GFP_KERNEL)?;
        self.hooks
            .push(hooks::install_unmap(&self.registry), GFP_KERNEL)?;
        Ok(())
    }

    /// The registry, for the features that walk every live domain.
    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Writes the feature's `status` lines.
    pub(crate) fn write_status(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = &self.registry.stats;
        writeln!(
            f,
            "feature io_page_tables: active smmu_v3_devices={} domains_registered={} domains_freed={} dirs={} dropped={}",
            self.smmu_devices,
            st.registered.load(Relaxed),
            st.freed.load(Relaxed),
            st.dirs.load(Relaxed),
            st.dropped.load(Relaxed)
        )?;
        hooks::write_status(f, &self.hooks)?;
        if self.unmaps_shared {
            writeln!(
                f,
                "probe __iommu_unmap: active (dump consistency marks, the accounting's probe)"
            )?;
        }
        Ok(())
    }
}

/// Unregisters every hook but the free hook (first in `hooks`), stops the
/// registry (no directory or entry is left), then drops the free hook.
fn stop(mut hooks: KVec<hooks::HookSlot>, registry: &Registry) {
    // The unmap probe may go first: no dump may say consistent after.
    registry.unmaps.stop_tracking();
    while hooks.len() > 1 {
        drop(hooks.pop());
    }
    registry.stop();
    drop(hooks);
    // The free hook may have queued the work item after `stop` flushed
    // it; it is unregistered now (in-flight handlers waited for), so this
    // flush is the last.
    registry.flush();
}

impl Drop for PtDump {
    fn drop(&mut self) {
        stop(core::mem::take(&mut self.hooks), &self.registry);
    }
}
