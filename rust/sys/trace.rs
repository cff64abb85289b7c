// SPDX-License-Identifier: GPL-2.0

//! Firing the module's tracepoints (`c/trace_smmu.c`: the
//! `arm_smmu_v3:smmu_evtq_event` and `smmu_evtq_overflow` events; `c/iopf.c`:
//! `iommu_scope:iopf_fault`), as
//! [`include/linux/tracepoint.h`](srctree/include/linux/tracepoint.h)
//! defines them. Their formats are in `include/trace/*.h` and
//! `Documentation/tracepoints.rst`.
//!
//! Owns: the marshalling of decoded values into the C records the
//! tracepoints copy. Must not: decode or filter (callers pass final values).

use kernel::prelude::*;

use super::ffi;
use super::iopf::Fault;
use crate::pure::evtq::{Event, RECORD_DWORDS};

/// Fires `arm_smmu_v3:smmu_evtq_event` for one decoded event record.
pub(crate) fn evtq_event(smmu: &CStr, client: &CStr, raw: [u64; RECORD_DWORDS], ev: &Event) {
    let mut tname = [0u8; 24];
    let n = ev.name.len().min(tname.len() - 1);
    tname[..n].copy_from_slice(&ev.name.as_bytes()[..n]);
    let valid = [
        (ev.ssid.is_some(), ffi::IOMMU_SCOPE_EVT_SSID),
        (ev.addr.is_some(), ffi::IOMMU_SCOPE_EVT_IOVA),
        (ev.ipa.is_some(), ffi::IOMMU_SCOPE_EVT_IPA),
        (ev.fetch_addr.is_some(), ffi::IOMMU_SCOPE_EVT_FETCH),
        (ev.read.is_some(), ffi::IOMMU_SCOPE_EVT_ACCESS),
        (ev.stage2.is_some(), ffi::IOMMU_SCOPE_EVT_STAGE),
        (ev.stall == Some(true), ffi::IOMMU_SCOPE_EVT_STALL),
    ]
    .iter()
    .filter(|(b, _)| *b)
    .fold(0u16, |acc, &(_, bit)| acc | bit as u16);
    let rec = ffi::iommu_scope_evt {
        raw,
        name: tname.as_ptr().cast(),
        iova: ev.addr.unwrap_or(0),
        ipa: ev.ipa.unwrap_or(0),
        fetch_addr: ev.fetch_addr.unwrap_or(0),
        sid: ev.sid,
        ssid: ev.ssid.unwrap_or(0),
        stag: ev.stag.unwrap_or(0),
        valid,
        type_: ev.id,
        read: u8::from(ev.read.unwrap_or(false)),
        insn: u8::from(ev.instruction.unwrap_or(false)),
        priv_: u8::from(ev.privileged.unwrap_or(false)),
        s2: u8::from(ev.stage2.unwrap_or(false)),
        class: ev.class.unwrap_or(0),
        stall: u8::from(ev.stall.unwrap_or(false)),
    };
    // SAFETY: the strings are NUL-terminated and `rec` (with `tname`) is
    // valid for the call; the tracepoint copies everything.
    unsafe { ffi::iommu_scope_trace_evtq_event(smmu.as_char_ptr(), client.as_char_ptr(), &rec) };
}

/// Fires `arm_smmu_v3:smmu_evtq_overflow`.
pub(crate) fn evtq_overflow(smmu: &CStr, overflows: u64) {
    // SAFETY: `smmu` is NUL-terminated and valid for the call.
    unsafe { ffi::iommu_scope_trace_evtq_overflow(smmu.as_char_ptr(), overflows) };
}

/// Fires `iommu_scope:iopf_fault`.
pub(crate) fn iopf_fault(f: &Fault, result: i32, duration_ns: u64) {
    // SAFETY: the record is valid for the call; the tracepoint copies it.
    unsafe { ffi::iommu_scope_trace_iopf(f.raw(), result, duration_ns) };
}
