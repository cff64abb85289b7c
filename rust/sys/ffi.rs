// SPDX-License-Identifier: GPL-2.0

//! Raw FFI: the C declarations the kernel crate does not bind.
//!
//! Owns: the bindgen output for `include/iommu_scope_ffi.h` (generated at
//! module build time into `rust/sys/ffi_generated.rs`, and for the test
//! crate `rust/sys/ffi_kunit_generated.rs`; see `Kbuild`).
//! Must not: contain logic, or be used outside `sys/`: every item is wrapped
//! in a safe abstraction in a sibling file.

// Generated code: which of these lints fire depends on what bindgen emits
// for the header, so they are allowed rather than expected (as the kernel
// crate does for its own bindings, `rust/bindings/lib.rs`).
// `unnecessary_transmutes` is a lint since rustc 1.88: older compilers
// (Debian trixie's 1.85, which built its kernels) must not warn about it.
#![allow(
    unknown_lints,
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

// Types the kernel crate already binds are blocked in
// `include/bindgen_parameters` and taken from it.
#[allow(unused_imports)]
use kernel::bindings::{device, iommu_domain, lock_class_key, page, raw_spinlock, raw_spinlock_t};
#[allow(unused_imports)]
use kernel::ffi;

// The product's bindings, or the test crate's (which add the test-only
// helpers of `include/iommu_scope_kunit.h`).
#[cfg(not(iommu_scope_kunit))]
include!("ffi_generated.rs");
#[cfg(iommu_scope_kunit)]
include!("ffi_kunit_generated.rs");
