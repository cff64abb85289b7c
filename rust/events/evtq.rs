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
//! Owns: the probe, its counters and the queue arithmetic. Must not: touch
//! the driver's queue state (`sys::smmu` only reads indexes and entries).

use kernel::{
    fmt,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
};

use crate::pure::evtq;
use crate::sys::fprobe::{Args, EntryData, Fprobe, Handler};
use crate::sys::smmu::Smmu;
use crate::sys::trace;

/// Counters of the feature.
pub(crate) struct Stats {
    events: Atomic<u64>,
    overflows: Atomic<u64>,
    threads: Atomic<u64>,
}

/// `arm_smmu_evtq_thread(irq, dev)`.
struct EvtqHook(Arc<Stats>);

impl Handler for EvtqHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        let dev_id = args.arg(1);
        let Some(pos) = Smmu::from_evtq_dev(dev_id).and_then(|s| s.evtq_pos()) else {
            return [0; 4];
        };
        [dev_id, pos.cons as usize, usize::from(pos.cons_ovf), 1]
    }

    fn exit(&self, e: &EntryData, _ret: usize) {
        let [dev_id, cons0, cons0_ovf, ok] = *e;
        if ok != 1 {
            return;
        }
        self.0.threads.add(1, Relaxed);
        let Some(smmu) = Smmu::from_evtq_dev(dev_id) else {
            return;
        };
        let Some(pos) = smmu.evtq_pos().filter(|p| p.shift <= 24) else {
            return;
        };
        let mut name = [0u8; 48];
        let name = smmu.name(&mut name);
        // Positions carry a wrap bit above the index: arithmetic modulo
        // 2^(shift+1) gives the number of records between two of them.
        let modulo = 1u32 << (pos.shift + 1);
        let size = 1u32 << pos.shift;
        let cons0 = cons0 as u32;
        let consumed = pos.cons.wrapping_sub(cons0) & (modulo - 1);
        let ahead = pos.prod.wrapping_sub(cons0) & (modulo - 1);
        // The producer toggles its overflow flag when it overwrote records
        // the consumer had not read; the driver copies it to the consumer.
        let overflow = pos.prod_ovf != (cons0_ovf != 0) || consumed > size || ahead > size;
        if overflow {
            let n = self.0.overflows.fetch_add(1, Relaxed).wrapping_add(1);
            trace::evtq_overflow(name, n);
            return;
        }
        for i in 0..consumed {
            let Some(raw) = smmu.evtq_read(cons0.wrapping_add(i)) else {
                return;
            };
            let ev = evtq::decode(raw);
            let mut client = [0u8; 48];
            let client = smmu.sid_name(ev.sid, &mut client);
            trace::evtq_event(name, client, raw, &ev);
            self.0.events.add(1, Relaxed);
        }
    }
}

/// The running feature: its probe and counters.
pub(crate) struct Evtq {
    _probe: Pin<KBox<Fprobe<EvtqHook>>>,
    stats: Arc<Stats>,
}

impl Evtq {
    /// Installs the probe on `arm_smmu_evtq_thread`.
    pub(crate) fn start() -> Result<Self> {
        let stats = Arc::new(
            Stats {
                events: Atomic::new(0),
                overflows: Atomic::new(0),
                threads: Atomic::new(0),
            },
            GFP_KERNEL,
        )?;
        let probe = KBox::pin_init(
            Fprobe::new(c"arm_smmu_evtq_thread", EvtqHook(stats.clone())),
            GFP_KERNEL,
        )?;
        Ok(Self {
            _probe: probe,
            stats,
        })
    }

    /// Writes the feature's `status` line.
    pub(crate) fn write_status(
        &self,
        f: &mut fmt::Formatter<'_>,
        clients_dropped: u32,
    ) -> fmt::Result {
        let s = &self.stats;
        writeln!(
            f,
            "feature smmu_evtq_event: active events={} overflows={} thread_runs={} unnamed_sids={}",
            s.events.load(Relaxed),
            s.overflows.load(Relaxed),
            s.threads.load(Relaxed),
            clients_dropped
        )
    }
}
