// SPDX-License-Identifier: GPL-2.0

//! The SMMUv3 driver's instances and event queues, through `c/smmu_v3.c`
//! (the one file that includes the driver's private header
//! [`arm-smmu-v3.h`](srctree/drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h)).
//!
//! Owns: recognising an SMMUv3 instance from the pointer the event-queue
//! thread gets, and reading its queue indexes and records.
//! Must not: change the driver's queue state (only indexes and entries are
//! read).

use kernel::prelude::*;

use super::ffi;
use crate::pure::evtq::RECORD_DWORDS;

// The record the C side copies is the one the decoder reads.
const _: () = assert!(ffi::IOMMU_SCOPE_EVTQ_ENT_DWORDS as usize == RECORD_DWORDS);

/// The module's view of the SMMUv3 instances: found once at load, with a
/// stream ID -> client table that bus notifiers keep current while this
/// object lives.
///
/// # Invariants
///
/// While `clients` is true the C side's notifiers are registered; `drop`
/// unregisters them.
pub(crate) struct SmmuSupport {
    devices: u32,
    clients: bool,
}

impl SmmuSupport {
    /// Finds the arm-smmu-v3 instances and their clients (process context:
    /// walks the buses).
    pub(crate) fn init() -> Self {
        // SAFETY: walks the buses with the driver core's own locking; only
        // records the driver's ops and instances.
        let n = unsafe { ffi::iommu_scope_smmu_init() };
        // SAFETY: process context; registers the bus notifiers (undone in
        // `drop`) and fills the table from one bus walk.
        let r = unsafe { ffi::iommu_scope_smmu_clients_init() };
        if r != 0 {
            pr_warn!(
                "smmu: no stream ID -> client table (error {}); events name no client\n",
                r
            );
        }
        Self {
            devices: u32::try_from(n).unwrap_or(0),
            clients: r == 0,
        }
    }

    /// Devices behind an arm-smmu-v3 instance at load.
    pub(crate) fn devices(&self) -> u32 {
        self.devices
    }

    /// Stream IDs that did not fit the client table.
    pub(crate) fn clients_dropped(&self) -> u32 {
        // SAFETY: reads a counter.
        unsafe { ffi::iommu_scope_smmu_clients_dropped() }
    }
}

impl Drop for SmmuSupport {
    fn drop(&mut self) {
        if self.clients {
            // SAFETY: the notifiers are registered (invariant).
            unsafe { ffi::iommu_scope_smmu_clients_exit() };
        }
    }
}

/// The event-queue positions of an SMMU: the driver's software consumer
/// index and the hardware producer index, each a wrap bit above the index,
/// their overflow flags apart, and log2 of the queue size.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EvtqPos {
    /// Consumer position (wrap bit and index).
    pub(crate) cons: u32,
    /// Producer position (wrap bit and index).
    pub(crate) prod: u32,
    /// The consumer's overflow flag.
    pub(crate) cons_ovf: bool,
    /// The producer's overflow flag.
    pub(crate) prod_ovf: bool,
    /// log2 of the number of entries.
    pub(crate) shift: u32,
}

/// An SMMUv3 instance the module recognised.
///
/// # Invariants
///
/// `dev_id` is the address of an `arm_smmu_device` that `c/smmu_v3.c`
/// found at init; the C helpers check it again on every call and fail for
/// anything else, so the value is never trusted blindly.
#[derive(Clone, Copy)]
pub(crate) struct Smmu {
    dev_id: usize,
}

impl Smmu {
    /// The instance whose event-queue thread got `dev_id`, if it is one.
    pub(crate) fn from_evtq_dev(dev_id: usize) -> Option<Self> {
        // SAFETY: the helper compares the pointer value with the instances
        // it knows and dereferences nothing else.
        let known = unsafe { ffi::iommu_scope_smmu_known(dev_id as *mut _) };
        // INVARIANT: a known instance.
        known.then_some(Self { dev_id })
    }

    fn raw(&self) -> *mut core::ffi::c_void {
        self.dev_id as *mut _
    }

    /// The event queue's positions now.
    pub(crate) fn evtq_pos(&self) -> Option<EvtqPos> {
        let mut p = ffi::iommu_scope_evtq_pos::default();
        // SAFETY: the helper accepts only a known SMMUv3 and reads its queue
        // indexes into `p`.
        let r = unsafe { ffi::iommu_scope_evtq_pos(self.raw(), &mut p) };
        (r == 0).then_some(EvtqPos {
            cons: p.cons,
            prod: p.prod,
            cons_ovf: p.cons_ovf != 0,
            prod_ovf: p.prod_ovf != 0,
            shift: p.shift,
        })
    }

    /// The event record at queue position `idx` (masked to the queue).
    pub(crate) fn evtq_read(&self, idx: u32) -> Option<[u64; RECORD_DWORDS]> {
        let mut raw = [0u64; RECORD_DWORDS];
        // SAFETY: the helper accepts only a known SMMUv3, masks the index
        // into its queue and copies one record into `raw`
        // (`IOMMU_SCOPE_EVTQ_ENT_DWORDS`, checked equal to its length).
        let r = unsafe { ffi::iommu_scope_evtq_read(self.raw(), idx, raw.as_mut_ptr()) };
        (r == 0).then_some(raw)
    }

    /// The SMMU's device name, NUL-terminated, into `buf`.
    pub(crate) fn name<'b>(&self, buf: &'b mut [u8; 48]) -> &'b kernel::str::CStr {
        // SAFETY: `buf` is writable for its length; the helper
        // NUL-terminates.
        unsafe { ffi::iommu_scope_smmu_name(self.raw(), buf.as_mut_ptr().cast(), buf.len()) };
        kernel::str::CStr::from_bytes_until_nul(buf).unwrap_or(c"?")
    }

    /// The name of the device with stream ID `sid` behind this SMMU (`-`
    /// if none), NUL-terminated, into `buf`.
    pub(crate) fn sid_name<'b>(&self, sid: u32, buf: &'b mut [u8; 48]) -> &'b kernel::str::CStr {
        // SAFETY: as in `name`.
        unsafe { ffi::iommu_scope_sid_name(self.raw(), sid, buf.as_mut_ptr().cast(), buf.len()) };
        kernel::str::CStr::from_bytes_until_nul(buf).unwrap_or(c"-")
    }
}
