// SPDX-License-Identifier: GPL-2.0

//! Feature: the SMMUv3 stream table view,
//! `/sys/kernel/debug/io_page_tables/smmu_<device>/{capabilities,streams,streams_raw}`:
//! for each SMMUv3 instance, its ID registers and the driver's settings,
//! and for each stream ID in use its STE, the CDs of its stage-1 table and
//! the `domain_<id>` directory (or process) whose page table each of them
//! points at (`Documentation/streams.rst`).
//!
//! Owns: the feature's lifecycle (one directory per instance found at
//! load). Must not: read the driver's structures (`sys::smmu` does), decode
//! an entry (`pure::ste`, `pure::idr` do), or outlive the page-table dumps'
//! registry it joins with (it is stopped first: `scope::Features`).

use kernel::{fmt, prelude::*, str::CString, sync::Arc};

use crate::ptdump::registry::Registry;
use crate::sys::debugfs::Dir;
use crate::sys::smmu;

mod files;

use files::SmmuDir;

/// The running feature: one directory per SMMUv3 instance.
pub(crate) struct Streams {
    dirs: KVec<SmmuDir>,
}

impl Streams {
    /// Makes `smmu_<device>/` under `root` for every SMMUv3 instance found
    /// at load. `registry` (the page-table dumps', if they run) names the
    /// domains whose tables STEs and CDs point at.
    pub(crate) fn start(root: &Dir, registry: Option<Arc<Registry>>) -> Result<Self> {
        let mut dirs = KVec::new();
        for inst in smmu::instances() {
            let caps = inst.caps().ok_or(ENODEV)?;
            let name = CString::try_from_fmt(fmt!("smmu_{}", caps.name()))?;
            let d = SmmuDir::create(root, &name, inst, registry.clone())?;
            dirs.push(d, GFP_KERNEL)?;
        }
        if dirs.is_empty() {
            return Err(ENODEV);
        }
        Ok(Self { dirs })
    }

    /// Writes the feature's `status` line.
    pub(crate) fn write_status(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "feature smmu_streams: active smmus={}", self.dirs.len())
    }
}
