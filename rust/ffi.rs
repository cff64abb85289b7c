// SPDX-License-Identifier: GPL-2.0

//! Raw FFI: the C declarations the kernel crate does not bind.
//!
//! Owns: the bindgen output for `include/iommu_scope_ffi.h` (generated at
//! module build time into `rust/ffi_generated.rs`, see `Kbuild`).
//! Must not: contain logic. Every use of these items is wrapped in a safe
//! abstraction in another file (`fprobe.rs`, `trace.rs`, ...).

#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    unnecessary_transmutes,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::cast_lossless
)]

#[allow(unused_imports)]
use kernel::bindings::{device, iommu_domain};
#[allow(unused_imports)]
use kernel::ffi;

include!("ffi_generated.rs");
