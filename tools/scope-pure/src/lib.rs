// SPDX-License-Identifier: GPL-2.0

//! Host build of `rust/pure.rs` and `rust/pure/`: the same source files the
//! module compiles, built as a `no_std` library so that `cargo test`
//! exercises them.

#![no_std]

// An inline module with a `path` makes `rust/` the directory in which
// `pure` is looked up, so `pure.rs` finds its children in `rust/pure/` as
// it does in the kernel build (no `mod.rs`).
#[path = "../../../rust"]
mod module_src {
    pub mod pure;
}

pub use module_src::pure::*;
