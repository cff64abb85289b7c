// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the module's KUnit suites (built with CONFIG_KUNIT
//! only).
//!
//! Owns: `ctx!` (log which step of a test failed) and `Buf` (a growable
//! text sink for dumps). Must not: hold state between tests.

use kernel::prelude::*;

/// Evaluates a `Result`; on error logs the formatted context and the errno,
/// then returns the error from the enclosing test.
macro_rules! ctx {
    ($e:expr, $($arg:tt)+) => {
        match $e {
            Ok(v) => v,
            Err(err) => {
                pr_err!("{}: error {}\n", format_args!($($arg)+), err.to_errno());
                return Err(err);
            }
        }
    };
}
pub(crate) use ctx;

/// A text sink backed by a `KVec`, for `core::fmt::Write` users.
pub(crate) struct Buf(pub(crate) KVec<u8>);

impl core::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}
