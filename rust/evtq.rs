// SPDX-License-Identifier: GPL-2.0

//! SMMUv3 event visibility: every record the event queue delivers becomes
//! an `arm_smmu_v3:smmu_evtq_event` tracepoint event.
//!
//! The driver consumes records in `arm_smmu_evtq_thread` (its decode and
//! handle functions are inlined and cannot be probed). The module probes
//! that thread function: at entry it notes the software consumer index, at
//! return the records between the two indexes are the ones the driver
//! consumed; they are still in the queue memory, read and traced then. The
//! producer can only write a consumed slot again after wrapping the whole
//! queue; the module checks the hardware producer index at return and, if
//! it went that far, or the queue's overflow flag toggled, reports an
//! overflow instead of possibly rewritten records.
//!
//! Owns: the probe and the decoding glue. Must not: touch the driver's
//! queue state (it only reads indexes and entries).

use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

use crate::ffi;
use crate::fprobe::{Args, EntryData, Fprobe, Handler};
use crate::pure::evtq;

/// Counters of the feature.
pub(crate) struct Stats {
    pub(crate) events: Atomic<u64>,
    pub(crate) overflows: Atomic<u64>,
    pub(crate) threads: Atomic<u64>,
}

/// `arm_smmu_evtq_thread(irq, dev)`.
pub(crate) struct EvtqHook(&'static Stats);

const OVF: u32 = 1 << 31;

impl Handler for EvtqHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        let smmu = args.arg(1);
        let mut pos = ffi::iommu_scope_evtq_pos::default();
        // SAFETY: the helper only accepts a pointer it knows as an SMMUv3
        // device and reads its queue indexes.
        if unsafe { ffi::iommu_scope_evtq_pos(smmu as *mut c_void, &mut pos) } != 0 {
            return [0; 4];
        }
        [smmu, pos.cons as usize, pos.prod as usize, 1]
    }

    fn exit(&self, e: &EntryData, _ret: usize) {
        let [smmu, cons0, _prod0, ok] = *e;
        if ok != 1 {
            return;
        }
        self.0.threads.add(1, Relaxed);
        let p = smmu as *mut c_void;
        let mut pos = ffi::iommu_scope_evtq_pos::default();
        // SAFETY: as in `entry`.
        if unsafe { ffi::iommu_scope_evtq_pos(p, &mut pos) } != 0 || pos.shift > 24 {
            return;
        }
        let mut name = [0u8; 48];
        // SAFETY: `name` has room for its length.
        unsafe { ffi::iommu_scope_smmu_name(p, name.as_mut_ptr().cast(), name.len()) };
        // Positions carry a wrap bit above the index: arithmetic modulo
        // 2^(shift+1) gives the number of records between two of them.
        let modulo = 1u32 << (pos.shift + 1);
        let size = 1u32 << pos.shift;
        let cons0 = cons0 as u32;
        let consumed = (pos.cons & !OVF).wrapping_sub(cons0 & !OVF) & (modulo - 1);
        let ahead = (pos.prod & !OVF).wrapping_sub(cons0 & !OVF) & (modulo - 1);
        let overflow = (pos.prod & OVF) != (cons0 & OVF) || consumed > size || ahead > size;
        if overflow {
            self.0.overflows.add(1, Relaxed);
            // SAFETY: `name` is NUL-terminated.
            unsafe {
                ffi::iommu_scope_trace_evtq_overflow(
                    name.as_ptr().cast(),
                    self.0.overflows.load(Relaxed),
                )
            };
            return;
        }
        for i in 0..consumed {
            let mut raw = [0u64; 4];
            // SAFETY: the helper masks the index into the queue and copies
            // one record into `raw`.
            if unsafe { ffi::iommu_scope_evtq_read(p, cons0.wrapping_add(i), raw.as_mut_ptr()) }
                != 0
            {
                return;
            }
            let ev = evtq::decode(raw);
            let mut client = [0u8; 48];
            // SAFETY: `client` has room for its length.
            unsafe {
                ffi::iommu_scope_sid_name(p, ev.sid, client.as_mut_ptr().cast(), client.len())
            };
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
            // SAFETY: the strings are NUL-terminated and `rec` is valid for
            // the call; the tracepoint copies everything.
            unsafe {
                ffi::iommu_scope_trace_evtq_event(
                    name.as_ptr().cast(),
                    client.as_ptr().cast(),
                    &rec,
                )
            };
            self.0.events.add(1, Relaxed);
        }
    }
}

/// The feature: its counters and probe.
///
/// # Invariants
///
/// `stats` comes from `KBox::leak`; the probe references it and is dropped
/// before it is freed.
pub(crate) struct Feature {
    pub(crate) probe: Option<Pin<KBox<Fprobe<EvtqHook>>>>,
    stats: *mut Stats,
}

// SAFETY: `stats` is only shared as `&Stats` (atomics).
unsafe impl Send for Feature {}
// SAFETY: as above.
unsafe impl Sync for Feature {}

impl Feature {
    /// Installs the probe on `arm_smmu_evtq_thread`.
    pub(crate) fn start() -> Result<Self> {
        let stats: &'static Stats = KBox::leak(KBox::new(
            Stats {
                events: Atomic::new(0),
                overflows: Atomic::new(0),
                threads: Atomic::new(0),
            },
            GFP_KERNEL,
        )?);
        let ptr = core::ptr::from_ref(stats).cast_mut();
        let probe = KBox::pin_init(
            Fprobe::new(c"arm_smmu_evtq_thread", EvtqHook(stats)),
            GFP_KERNEL,
        );
        match probe {
            Ok(p) => Ok(Self {
                probe: Some(p),
                stats: ptr,
            }),
            Err(e) => {
                // SAFETY: `ptr` came from `KBox::leak` above, never shared.
                drop(unsafe { KBox::from_raw(ptr) });
                Err(e)
            }
        }
    }

    /// The counters.
    pub(crate) fn stats(&self) -> &Stats {
        // SAFETY: valid until drop (invariant).
        unsafe { &*self.stats }
    }
}

impl Drop for Feature {
    fn drop(&mut self) {
        // Unregister (and wait for) the probe first.
        self.probe = None;
        // SAFETY: `stats` came from `KBox::leak`; nothing references it now.
        drop(unsafe { KBox::from_raw(self.stats) });
    }
}
