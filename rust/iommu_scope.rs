// SPDX-License-Identifier: GPL-2.0

//! iommu-scope: makes the IOMMU of arm64 hosts (SMMUv3) observable.
//!
//! The crate, folder by folder (`Documentation/architecture.rst`):
//!
//! - `ptdump`: per-domain page-table dumps (`domain_<id>/`);
//! - `accounting`: mapping refcounts and DMA use-after-free reports;
//! - `events`: SMMUv3 event-queue and IO page fault tracing and counters;
//! - `sys`: the kernel-facing layer, the only code that touches C;
//! - `pure`: kernel-free logic (page-table formats, walker, decoders, text
//!   formats), also built and tested on the host (`tools/scope-pure`);
//! - `streams`: the SMMUv3 stream table view (`smmu_<device>/`);
//! - `scope`: the module object that starts and stops the features.
//!
//! Owns: the module declaration. Must not: contain logic.

mod accounting;
mod events;
mod ptdump;
// Shared with the host crate, where everything is `pub`; here some of it
// (test encoders, host-only helpers) is unused.
#[expect(dead_code, unreachable_pub)]
mod pure;
mod scope;
mod streams;
mod sys;

use kernel::prelude::*;

module! {
    type: scope::IommuScope,
    name: "iommu_scope",
    authors: ["iommu-scope developers"],
    description: "IOMMU (SMMUv3) observability: page-table dumps, DMA accounting, event tracing",
    license: "GPL",
}
