// SPDX-License-Identifier: GPL-2.0

//! iommu-scope, the command-line reader of the iommu-scope module's files:
//! the parsers of every debugfs/tracefs format (`parse`), where the files
//! are (`env`), the commands (`cmd`) and their output encodings (`json`,
//! `prom`).
//!
//! Owns: the CLI's behaviour, documented in `Documentation/cli.rst`.
//! Must not: write to the module's files, or print a kernel address (the
//! module exposes none: physical addresses and IOVAs only).

pub mod cli;
pub mod cmd;
pub mod diff;
pub mod env;
pub mod error;
pub mod json;
pub mod parse;
pub mod prom;
pub mod resolve;
pub mod top;
