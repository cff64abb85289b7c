// SPDX-License-Identifier: GPL-2.0

//! The `iommu-scope` binary: runs `cli::main` and exits with its status.
//! Owns nothing else; must not grow logic (it belongs in the library,
//! where the tests reach it).

fn main() {
    let code = iommu_scope::cli::main(std::env::args_os().skip(1).collect());
    std::process::exit(code);
}
