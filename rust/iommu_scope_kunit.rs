// SPDX-License-Identifier: GPL-2.0

//! iommu-scope's KUnit test module, `iommu_scope_kunit.ko`: the product's
//! own sources (`sys`, `pure`, `ptdump`, `accounting`) compiled again as a
//! second crate with `--cfg iommu_scope_kunit` (see `Kbuild`), which adds
//! the suites that sit beside the code they test and `sys/testing.rs`.
//! Loading it runs the suites; only the test harness loads it, and it
//! taints the kernel with TAINT_TEST as KUnit modules do. The product
//! module, `iommu_scope.ko`, contains none of this.
//!
//! Owns: the test module's declaration. Must not: contain logic.

// The suites exercise part of the product code only.
#[expect(dead_code)]
mod accounting;
#[expect(dead_code)]
mod ptdump;
#[expect(dead_code, unreachable_pub)]
mod pure;
#[expect(dead_code)]
mod sys;

use kernel::prelude::*;

module! {
    type: IommuScopeKunit,
    name: "iommu_scope_kunit",
    authors: ["iommu-scope developers"],
    description: "KUnit suites of iommu-scope (tests only, not the product)",
    license: "GPL",
}

/// The test module: its suites run when it loads.
struct IommuScopeKunit {
    /// As the product does at load: the suites read SMMUv3 domains and
    /// instances, which stay known (and their driver pinned) until unload.
    _smmu: sys::smmu::SmmuSupport,
}

impl kernel::Module for IommuScopeKunit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _smmu: sys::smmu::SmmuSupport::init(),
        })
    }
}
