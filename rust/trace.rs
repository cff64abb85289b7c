// SPDX-License-Identifier: GPL-2.0

//! Safe calls into the module's C tracepoints (`c/trace_points.c`).
//!
//! Owns: the Rust side of every tracepoint the module fires.
//! Must not: decode or filter; callers pass final values.

use kernel::prelude::*;

use crate::ffi;

/// Fires `iommu_scope:scope_selftest` with a label and a value.
pub(crate) fn selftest(what: &CStr, value: u64) {
    // SAFETY: `what` is a NUL-terminated string valid for the call; the
    // tracepoint copies it.
    unsafe { ffi::iommu_scope_trace_selftest(what.as_char_ptr(), value) };
}
