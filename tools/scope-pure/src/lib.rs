// SPDX-License-Identifier: GPL-2.0

//! Host build of `rust/pure/`: the same source files the module compiles,
//! built as a `no_std` library so that `cargo test` exercises them.

#![no_std]

#[path = "../../../rust/pure/mod.rs"]
mod pure;

pub use pure::*;
