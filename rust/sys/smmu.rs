// SPDX-License-Identifier: GPL-2.0

//! The SMMUv3 driver's instances and event queues, through `c/smmu_v3.c`
//! (the one file that includes the driver's private header
//! [`arm-smmu-v3.h`](srctree/drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h)).
//!
//! Owns: the lifetime of the module's hold on the instances (found and
//! their driver's module pinned at load, released at unload:
//! `SmmuSupport`); recognising an SMMUv3 instance from the pointer the
//! event-queue thread gets, and reading its queue indexes and records;
//! the copies of an instance's ID registers and stream table
//! (`SmmuInstance`) as plain records.
//! Must not: change the driver's state (only registers, indexes and
//! entries are read), or decode what it copies (`pure::ste`,
//! `pure::idr`, `pure::evtq` do).

use kernel::prelude::*;

use super::ffi;
use crate::pure::evtq::RECORD_DWORDS;

#[cfg(iommu_scope_kunit)]
mod kunit;

// The record the C side copies is the one the decoder reads.
const _: () = assert!(ffi::IOMMU_SCOPE_EVTQ_ENT_DWORDS as usize == RECORD_DWORDS);

/// The module's view of the SMMUv3 instances: found once at load, each
/// with a reference on its driver's module (so a modular arm-smmu-v3
/// cannot be unloaded while we hold its pointers), and a stream ID ->
/// client table that bus notifiers keep current while this object lives.
///
/// # Invariants
///
/// `c/smmu_v3.c` holds the instances (and module references) that `init`
/// found until `drop` releases them, after every user: the owner drops
/// this object last. While `clients` is true the C side's notifiers are
/// registered; `drop` unregisters them first.
pub(crate) struct SmmuSupport {
    devices: u32,
    clients: bool,
}

impl SmmuSupport {
    /// Finds the arm-smmu-v3 instances and their clients (process context:
    /// walks the buses and locks iommu groups). Call once per module.
    pub(crate) fn init() -> Self {
        // SAFETY: process context (module init); walks the buses with the
        // driver core's own locking and each device's group mutex, records
        // the driver's ops and instances and takes module references that
        // `drop` releases (invariant).
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
        // SAFETY: every user of the instances stopped before this object
        // is dropped (invariant), the notifiers just above included; the
        // references released are those `init` took.
        unsafe { ffi::iommu_scope_smmu_exit() };
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

/// An SMMUv3 instance by its place among the instances `c/smmu_v3.c`
/// found at load (a small number, never an address), for the stream
/// table view.
///
/// # Invariants
///
/// `0 <= idx < iommu_scope_smmu_count()`; the C helpers check it again.
#[derive(Clone, Copy)]
pub(crate) struct SmmuInstance {
    idx: i32,
}

/// The SMMUv3 instances found at load.
pub(crate) fn instances() -> impl Iterator<Item = SmmuInstance> {
    // SAFETY: reads the instance table filled at init.
    let n = unsafe { ffi::iommu_scope_smmu_count() };
    // INVARIANT: every index below the count.
    (0..n.max(0)).map(|idx| SmmuInstance { idx })
}

/// An SMMU's ID registers and the driver's settings (a copy).
#[derive(Clone, Copy, Default)]
pub(crate) struct SmmuCaps(ffi::iommu_scope_smmu_caps);

impl SmmuCaps {
    /// The SMMU's device name.
    pub(crate) fn name(&self) -> &str {
        super::c_chars(&self.0.name)
    }

    /// The registers and settings, as the decoder takes them.
    pub(crate) fn caps(&self) -> crate::pure::idr::Caps {
        let c = &self.0;
        crate::pure::idr::Caps {
            idr: c.idr,
            iidr: c.iidr,
            aidr: c.aidr,
            strtab_base: c.strtab_base,
            strtab_base_cfg: c.strtab_base_cfg,
            features: c.features,
            options: c.options,
            asid_bits: c.asid_bits,
            vmid_bits: c.vmid_bits,
            ssid_bits: c.ssid_bits,
            sid_bits: c.sid_bits,
            oas: c.oas,
            pgsize_bitmap: c.pgsize_bitmap,
            cmdq_shift: c.cmdq_shift,
            evtq_shift: c.evtq_shift,
            priq_shift: c.priq_shift,
            max_stalls: c.max_stalls,
            strtab_entries: c.strtab_entries,
        }
    }
}

/// Why a stage-1 STE's CDs were read or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CdState {
    /// Not a stage-1 STE (or its STE was torn).
    None,
    /// Read from the driver's CD table of the device.
    Read,
    /// Nested: the CD table's address is a guest IPA, not read.
    Ipa,
    /// The STE points at a table that is not the device's in the driver.
    Foreign,
}

/// One stream ID in use and its STE (a copy).
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
pub(crate) struct StreamRec(ffi::iommu_scope_stream);

impl StreamRec {
    /// The stream ID.
    pub(crate) fn sid(&self) -> u32 {
        self.0.sid
    }

    /// The client device's name.
    pub(crate) fn dev(&self) -> &str {
        super::c_chars(&self.0.dev)
    }

    fn flag(&self, f: u32) -> bool {
        self.0.flags & f != 0
    }

    /// The STE's words, unless the stream has no STE (no level-2 table).
    pub(crate) fn ste(&self) -> Option<[u64; crate::pure::ste::STE_DWORDS]> {
        (!self.flag(ffi::IOMMU_SCOPE_STREAM_NO_STE)).then_some(self.0.ste)
    }

    /// The STE changed under every re-read: the words are a torn view.
    pub(crate) fn ste_torn(&self) -> bool {
        self.flag(ffi::IOMMU_SCOPE_STREAM_STE_TORN)
    }

    /// The driver's stall, ATS and PRI state of the device.
    pub(crate) fn master_flags(&self) -> crate::pure::ste::MasterFlags {
        crate::pure::ste::MasterFlags {
            stall: self.flag(ffi::IOMMU_SCOPE_STREAM_STALL),
            ats: self.flag(ffi::IOMMU_SCOPE_STREAM_ATS),
            pri: self.flag(ffi::IOMMU_SCOPE_STREAM_PRI),
        }
    }

    /// Whether the CD scan or the CD records ran out for this stream.
    pub(crate) fn cds_cut(&self) -> bool {
        self.flag(ffi::IOMMU_SCOPE_STREAM_CDS_CUT)
    }

    /// Whether the stream's STE or CD table changed between two holds of
    /// the driver's lock while its CDs were read (they stop there).
    pub(crate) fn cds_changed(&self) -> bool {
        self.flag(ffi::IOMMU_SCOPE_STREAM_CDS_CHANGED)
    }

    /// What became of the CDs.
    pub(crate) fn cd_state(&self) -> CdState {
        match self.0.cd_state {
            ffi::iommu_scope_cd_state_IOMMU_SCOPE_CDS_READ => CdState::Read,
            ffi::iommu_scope_cd_state_IOMMU_SCOPE_CDS_IPA => CdState::Ipa,
            ffi::iommu_scope_cd_state_IOMMU_SCOPE_CDS_FOREIGN => CdState::Foreign,
            _ => CdState::None,
        }
    }

    /// Its valid CDs among all the records `cds` of the same copy.
    pub(crate) fn cds<'c>(&self, cds: &'c [CdRec]) -> &'c [CdRec] {
        let a = (self.0.cd_first as usize).min(cds.len());
        let b = a.saturating_add(self.0.cd_count as usize).min(cds.len());
        &cds[a..b]
    }

    /// CD slots read.
    pub(crate) fn cd_scanned(&self) -> u32 {
        self.0.cd_scanned
    }
}

/// One valid CD (a copy).
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
pub(crate) struct CdRec(ffi::iommu_scope_cd);

impl CdRec {
    /// Its substream ID.
    pub(crate) fn ssid(&self) -> u32 {
        self.0.ssid
    }

    /// Its words.
    pub(crate) fn words(&self) -> [u64; crate::pure::ste::CD_DWORDS] {
        self.0.cd
    }

    /// The CD changed under every re-read.
    pub(crate) fn torn(&self) -> bool {
        self.0.torn != 0
    }
}

// The records carry the entries the decoders read.
const _: () = assert!(ffi::IOMMU_SCOPE_ENT_DWORDS as usize == crate::pure::ste::STE_DWORDS);
const _: () = assert!(ffi::IOMMU_SCOPE_ENT_DWORDS as usize == crate::pure::ste::CD_DWORDS);

impl SmmuInstance {
    /// The instance's registers and driver settings.
    pub(crate) fn caps(&self) -> Option<SmmuCaps> {
        let mut c = SmmuCaps::default();
        // SAFETY: `c.0` is a writable record the helper fills; it checks
        // the index, and reads registers only through the driver's mapping
        // of an instance whose module we hold (see `SmmuSupport`).
        let r = unsafe { ffi::iommu_scope_smmu_caps(self.idx, &mut c.0) };
        (r == 0).then_some(c)
    }

    /// Copies the stream IDs in use (up to `streams.len()`, in increasing
    /// SID order, each at most once) and their valid CDs (up to
    /// `cds.len()` in all); returns the number of SIDs visited (possibly
    /// more than copied) and of CDs copied. Process context: takes the
    /// driver's `streams_mutex` for at most `per_lock` (at least 1) entry
    /// reads at a time, and may sleep between.
    pub(crate) fn streams(
        &self,
        per_lock: u32,
        streams: &mut [StreamRec],
        cds: &mut [CdRec],
    ) -> Result<(usize, usize)> {
        let ms = u32::try_from(streams.len()).unwrap_or(u32::MAX);
        let mc = u32::try_from(cds.len()).unwrap_or(u32::MAX);
        let mut n_cds = 0u32;
        // SAFETY: the buffers have room for `ms` and `mc` records (the
        // wrappers are `repr(transparent)` over the C records); the helper
        // checks the index, writes only within those counts and `n_cds`,
        // and takes only the driver's mutex, which may sleep: we are in
        // process context (a file read, or a test), holding at most our
        // own file's seq_file mutex, which the driver never takes (so no
        // lock order with its streams_mutex).
        let r = unsafe {
            ffi::iommu_scope_smmu_streams(
                self.idx,
                per_lock,
                streams.as_mut_ptr().cast(),
                ms,
                cds.as_mut_ptr().cast(),
                mc,
                &mut n_cds,
            )
        };
        if r < 0 {
            // -ENODEV, -EINVAL, or -EINTR (a fatal signal between holds).
            return Err(Error::from_errno(r));
        }
        let total = usize::try_from(r).map_err(|_| EINVAL)?;
        Ok((total, (n_cds as usize).min(cds.len())))
    }
}
