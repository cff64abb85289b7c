// SPDX-License-Identifier: GPL-2.0

//! Feature: IOMMU mapping accounting and DMA use-after-free detection, like
//! the kernel's CONFIG_IOMMU_DEBUG_PAGEALLOC but without a build option or
//! boot parameter: a refcount per 4 KiB of physical memory
//! (`pagecount.rs`), kept by hooks on the iommu core (`hooks.rs`, logic in
//! `state.rs`), shown in `accounting`, `pages`, `lookup` (`files.rs`); a
//! page freed while still mapped is reported (`leaks.rs`: `leaks`,
//! `reset`).
//!
//! Owns: the feature's lifecycle: start (hooks, then seeding from the live
//! domains, then files and leak detection), status, stop. Must not: know a
//! page-table format or how a hook reads its arguments.

use kernel::{fmt, prelude::*, sync::Arc};

use crate::sys::debugfs::Dir;

mod files;
mod hooks;
mod leaks;
mod notes;
mod pagecount;
mod seed;
pub(crate) mod state;

#[cfg(iommu_scope_kunit)]
mod kunit;

use crate::ptdump::registry::Registry;
use state::Accounting;

/// The running feature.
///
/// # Invariants
///
/// `drop` stops the seeding work item, removes the leak detector (its files and probes), then the hooks
/// (unregistered and waited for), then stops the state's work item, which
/// only the hooks queue; the files go after that, the state with its last
/// `Arc`.
pub(crate) struct AccountingFeature {
    seeder: Option<Arc<seed::Seeder>>,
    leaks: Option<Result<leaks::Detector>>,
    _files: files::Files,
    hooks: Option<hooks::Hooks>,
    state: Arc<Accounting>,
}

impl Drop for AccountingFeature {
    fn drop(&mut self) {
        if let Some(s) = self.seeder.take() {
            s.stop();
        }
        self.leaks = None;
        self.hooks = None;
        self.state.stop();
    }
}

impl AccountingFeature {
    /// Installs the hooks, seeds the counts with what every live domain of
    /// `registry` maps already, and creates the files under `root`. Leak
    /// detection is optional: without it the rest still works.
    pub(crate) fn start(root: &Dir, registry: Option<&Arc<Registry>>) -> Result<Self> {
        let state = Accounting::new()?;
        // The domains that exist now settle (see `seed.rs`): the hooks do
        // not count them until a quiet walk has counted their tables.
        if let Some(reg) = registry {
            reg.flush();
            seed::snapshot(&state, reg);
        }
        let hooks = match hooks::Hooks::install(&state, registry.map(|r| r.unmaps.clone())) {
            Ok(h) => h,
            Err(e) => {
                state.stop();
                return Err(e);
            }
        };
        // The seeding runs in the background: `insmod` does not wait for
        // a quiet moment of every domain.
        let seeder = match registry {
            Some(reg) => match seed::Seeder::start(&state, reg, hooks.ctl()) {
                Ok(s) => Some(s),
                Err(e) => {
                    drop(hooks);
                    state.stop();
                    return Err(e);
                }
            },
            None => {
                pr_warn!(
                    "accounting: no domain registry; mappings older than the module are not seeded\n"
                );
                None
            }
        };
        let files = match files::Files::create(root, &state) {
            Ok(f) => f,
            Err(e) => {
                if let Some(s) = &seeder {
                    s.stop();
                }
                drop(hooks);
                state.stop();
                return Err(e);
            }
        };
        let leaks = leaks::Detector::start(root, &state, registry.cloned());
        if let Err(e) = &leaks {
            pr_warn!("leak detection: disabled (error {})\n", e.to_errno());
        }
        Ok(Self {
            seeder,
            leaks: Some(leaks),
            _files: files,
            hooks: Some(hooks),
            state,
        })
    }

    /// The state, for the KUnit suite.
    #[cfg(iommu_scope_kunit)]
    pub(crate) fn state(&self) -> &Arc<Accounting> {
        &self.state
    }

    /// Writes the feature's `status` lines.
    pub(crate) fn write_status(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "feature accounting: active table_memory={}",
            self.state.counts.memory()
        )?;
        if let Some(h) = &self.hooks {
            h.write_status(f)?;
        }
        match &self.leaks {
            None => Ok(()),
            Some(Ok(d)) => writeln!(
                f,
                "feature leak_detection: active leaks_found={}",
                d.found()
            ),
            Some(Err(e)) => writeln!(
                f,
                "feature leak_detection: unavailable error={}",
                e.to_errno()
            ),
        }
    }
}
