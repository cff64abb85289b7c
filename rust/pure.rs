// SPDX-License-Identifier: GPL-2.0

//! Pure logic of iommu-scope: no kernel, no allocation, no `unsafe`.
//!
//! Owns: algorithms and formats that can be tested on the host (range
//! coalescing, descriptor and event decoding, text formats). Compiled both
//! into the module (`rust/iommu_scope.rs`, and the test module) and into
//! the host crate `tools/scope-pure`, where `cargo test` and property tests
//! run on it.
//! Must not: use `kernel::`, `std::`, `alloc::` or `unsafe`; depend on a
//! file outside `pure/`.

pub mod coalesce;
pub mod evtq;
pub mod genpt;
pub mod idr;
pub mod input;
pub mod lanes;
pub mod liveset;
pub mod lpae;
pub mod owners;
pub mod ptdump;
pub mod settle;
pub mod ste;
pub mod table;
pub mod text;
pub mod walk;
