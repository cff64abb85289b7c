// SPDX-License-Identifier: GPL-2.0

//! IO page fault (IOPF, SVA) accounting: vmstat-like counters per device,
//! per PASID and per process (the SVA domain's mm), kept from
//! `iommu_report_device_fault` (every report, its permissions, whether the
//! core accepted it, how long the report took) and `iopf_group_response`
//! (the handler's outcome), plus the `iommu_scope:iopf_fault` tracepoint.
//!
//! Counters are kept until `iopf/reset`, whatever happens to the process;
//! each scope keeps at most `MAX_KEYS` keys, later ones are added to the
//! `other` key, so memory is bounded.
//!
//! Owns: the hooks, the counters and the `iopf/` files. Must not: sleep in
//! a hook (they run with preemption off).

use kernel::{
    fmt,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    uaccess::UserSliceReader,
};

use crate::pure::text::FixedBuf;
use crate::sys::debugfs::{self, Dir, File};
use crate::sys::fprobe::{Args, EntryData, Fprobe, Handler};
use crate::sys::iopf::{self, Fault};
use crate::sys::rawlock::{new_raw_spinlock_irq, RawSpinLockIrq};
use crate::sys::{task, trace};

/// Keys kept per scope.
const MAX_KEYS: usize = 64;
const KEY_LEN: usize = 48;

/// The counters of one key.
#[derive(Clone, Copy)]
pub(crate) struct Counts {
    key: [u8; KEY_LEN],
    pub(crate) faults: u64,
    pub(crate) read: u64,
    pub(crate) write: u64,
    pub(crate) exec: u64,
    pub(crate) accepted: u64,
    pub(crate) refused: u64,
    pub(crate) handled: u64,
    pub(crate) failed: u64,
    pub(crate) report_ns: u64,
}

impl Counts {
    const fn zero() -> Self {
        Counts {
            key: [0; KEY_LEN],
            faults: 0,
            read: 0,
            write: 0,
            exec: 0,
            accepted: 0,
            refused: 0,
            handled: 0,
            failed: 0,
            report_ns: 0,
        }
    }

    fn key(&self) -> &str {
        let n = self.key.iter().position(|&c| c == 0).unwrap_or(KEY_LEN);
        core::str::from_utf8(&self.key[..n]).unwrap_or("?")
    }
}

/// One scope's table.
///
/// # Invariants
///
/// `keys` has capacity `MAX_KEYS` from the start, so adding a key never
/// allocates; `other` collects keys beyond it.
struct Table {
    keys: KVec<Counts>,
    other: Counts,
}

impl Table {
    fn new() -> Result<Self> {
        let mut other = Counts::zero();
        other.key[..5].copy_from_slice(b"other");
        Ok(Table {
            keys: KVec::with_capacity(MAX_KEYS, GFP_KERNEL)?,
            other,
        })
    }

    fn get(&mut self, key: &[u8]) -> &mut Counts {
        let key = &key[..key
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(key.len())
            .min(KEY_LEN - 1)];
        if let Some(i) = self
            .keys
            .iter()
            .position(|c| &c.key[..key.len()] == key && c.key[key.len()] == 0)
        {
            return &mut self.keys[i];
        }
        if self.keys.len() < MAX_KEYS {
            let mut c = Counts::zero();
            c.key[..key.len()].copy_from_slice(key);
            // Within the reserved capacity: no allocation.
            if self.keys.push_within_capacity(c).is_ok() {
                let last = self.keys.len() - 1;
                return &mut self.keys[last];
            }
        }
        &mut self.other
    }
}

/// Scopes.
#[derive(Clone, Copy)]
enum Scope {
    /// Per device name.
    Device,
    /// Per PASID (`none` without a valid PASID).
    Pasid,
    /// Per process: the SVA domain's mm (`-` if none).
    Process,
}

/// The counters of every scope.
#[pin_data]
pub(crate) struct Iopf {
    /// Taken by the hooks in any context: a raw lock (never a sleeping one
    /// on PREEMPT_RT), held for at most `MAX_KEYS` comparisons per scope.
    #[pin]
    tables: RawSpinLockIrq<[Table; 3]>,
    pub(crate) reports: Atomic<u64>,
}

/// The keys of a fault in each scope: device, PASID (`none` without a
/// valid PASID), process.
fn keys_of(r: &Fault) -> [[u8; KEY_LEN]; 3] {
    let mut keys = [[0u8; KEY_LEN]; 3];
    let dev = r.device();
    let n = dev.len().min(KEY_LEN - 1);
    keys[0][..n].copy_from_slice(&dev[..n]);
    // Room is left for the NUL of every key.
    let mut w = FixedBuf::new(&mut keys[1][..KEY_LEN - 1]);
    let _ = match r.pasid() {
        Some(p) => core::fmt::Write::write_fmt(&mut w, format_args!("{}", p)),
        None => core::fmt::Write::write_str(&mut w, "none"),
    };
    let mm = r.process();
    let n = mm.len().min(KEY_LEN - 1);
    keys[2][..n].copy_from_slice(&mm[..n]);
    keys
}

impl Iopf {
    /// Applies `f` to the fault's key in each scope `scopes` selects
    /// (device, PASID, process).
    fn update(&self, r: &Fault, scopes: [bool; 3], f: impl Fn(&mut Counts)) {
        let keys = keys_of(r);
        let mut t = self.tables.lock();
        for ((table, key), on) in t.iter_mut().zip(keys.iter()).zip(scopes) {
            if on {
                f(table.get(key));
            }
        }
    }

    /// The counters of `scope` (a copy).
    fn snapshot(&self, scope: Scope) -> Result<KVec<Counts>> {
        let mut v = KVec::with_capacity(MAX_KEYS + 1, GFP_KERNEL)?;
        let t = self.tables.lock();
        let table = &t[scope as usize];
        // At most `MAX_KEYS + 1`: within the capacity.
        for c in table.keys.iter() {
            v.push_within_capacity(*c).map_err(|_| ENOMEM)?;
        }
        if table.other.faults != 0 {
            v.push_within_capacity(table.other).map_err(|_| ENOMEM)?;
        }
        Ok(v)
    }

    fn reset(&self) {
        let mut t = self.tables.lock();
        for table in t.iter_mut() {
            table.keys.clear();
            let key = table.other.key;
            table.other = Counts::zero();
            table.other.key = key;
        }
    }
}

/// `iommu_report_device_fault(dev, evt)`.
struct ReportHook(Arc<Iopf>);

impl Handler for ReportHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        [args.arg(0), args.arg(1), task::monotonic_ns() as usize, 0]
    }

    fn exit(&self, e: &EntryData, ret: usize) {
        let [dev, evt, t0, _] = *e;
        let dt = task::monotonic_ns().saturating_sub(t0 as u64);
        // SAFETY: `dev` and `evt` are the arguments of the report that just
        // returned; the reporting IOMMU driver still owns both.
        let Some(r) = (unsafe { Fault::of_report(dev, evt) }) else {
            return;
        };
        let result = ret as i32;
        self.0.reports.add(1, Relaxed);
        // A report names no process (see `sys::iopf`): an accepted one is
        // counted for its process when its group is answered; a refused
        // one has no SVA domain, so no process (`-`).
        let scopes = [true, true, result != 0];
        self.0.update(&r, scopes, |c| {
            c.faults += 1;
            c.read += u64::from(r.read());
            c.write += u64::from(r.write());
            c.exec += u64::from(r.exec());
            if result == 0 {
                c.accepted += 1;
            } else {
                c.refused += 1;
                c.failed += 1;
            }
            c.report_ns = c.report_ns.saturating_add(dt);
        });
        trace::iopf_fault(&r, result, dt);
    }
}

/// `iopf_group_response(group, status)`: the handler's outcome.
struct ResponseHook(Arc<Iopf>);

impl Handler for ResponseHook {
    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: argument 0 is the live group being answered.
        let Some(r) = (unsafe { Fault::of_group(args.arg(0)) }) else {
            return [0; 4];
        };
        let ok = iopf::response_ok(args.arg(1));
        let outcome = |c: &mut Counts| {
            if ok {
                c.handled += 1;
            } else {
                c.failed += 1;
            }
        };
        self.0.update(&r, [true, true, false], outcome);
        // The process scope counts the group's (last) fault here, where the
        // group names the SVA domain's process.
        self.0.update(&r, [false, false, true], |c| {
            c.faults += 1;
            c.read += u64::from(r.read());
            c.write += u64::from(r.write());
            c.exec += u64::from(r.exec());
            c.accepted += 1;
            outcome(c);
        });
        [0; 4]
    }
}

/// The running feature: its files, probes and counters.
///
/// # Invariants
///
/// Fields drop in declaration order: the files first, then the probes
/// (unregistered and waited for); the counters go with their last `Arc`.
pub(crate) struct IopfFeature {
    _files: KVec<File<(Arc<Iopf>, Scope)>>,
    _reset: File<Arc<Iopf>>,
    _report: Pin<KBox<Fprobe<ReportHook>>>,
    response: Option<Pin<KBox<Fprobe<ResponseHook>>>>,
    _dir: Dir,
    state: Arc<Iopf>,
}

impl IopfFeature {
    /// Installs the hooks and creates `iopf/` under `root`; the report hook
    /// is required, the response hook optional (without it `handled` stays
    /// 0, said in `status`).
    pub(crate) fn start(root: &Dir) -> Result<Self> {
        let tables = [Table::new()?, Table::new()?, Table::new()?];
        let state = Arc::pin_init(
            pin_init!(Iopf {
                tables <- new_raw_spinlock_irq!(tables, "iommu_scope::Iopf::tables"),
                reports: Atomic::new(0),
            }),
            GFP_KERNEL,
        )?;
        let report = KBox::pin_init(
            Fprobe::new(c"iommu_report_device_fault", ReportHook(state.clone())),
            GFP_KERNEL,
        )?;
        let response = KBox::pin_init(
            Fprobe::new(c"iopf_group_response", ResponseHook(state.clone())),
            GFP_KERNEL,
        )
        .ok();
        let dir = root.subdir(c"iopf")?;
        let mut files = KVec::with_capacity(3, GFP_KERNEL)?;
        for (name, scope) in [
            (c"devices", Scope::Device),
            (c"pasids", Scope::Pasid),
            (c"processes", Scope::Process),
        ] {
            files.push(
                debugfs::read_only(&dir, name, (state.clone(), scope), &show)?,
                GFP_KERNEL,
            )?;
        }
        let reset = debugfs::write_only(&dir, c"reset", state.clone(), &write_reset)?;
        Ok(Self {
            _files: files,
            _reset: reset,
            _report: report,
            response,
            _dir: dir,
            state,
        })
    }

    /// Writes the feature's `status` line.
    pub(crate) fn write_status(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "feature iopf: active reports={} handler_outcome={}",
            self.state.reports.load(Relaxed),
            if self.response.is_some() {
                "tracked"
            } else {
                "untracked"
            }
        )
    }
}

/// `iopf/devices`, `iopf/pasids`, `iopf/processes`: `<key>.<counter>
/// <value>` lines.
fn show((s, scope): &(Arc<Iopf>, Scope), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Ok(v) = s.snapshot(*scope) else {
        return writeln!(f, "# out of memory");
    };
    for c in v.iter() {
        let k = c.key();
        for (name, val) in [
            ("faults", c.faults),
            ("read", c.read),
            ("write", c.write),
            ("exec", c.exec),
            ("accepted", c.accepted),
            ("refused", c.refused),
            ("handled", c.handled),
            ("failed", c.failed),
            ("report_ns", c.report_ns),
        ] {
            writeln!(f, "{}.{} {}", k, name, val)?;
        }
    }
    Ok(())
}

/// `iopf/reset`: writing `1` clears every counter; anything else is
/// `EINVAL` and changes nothing.
fn write_reset(s: &Arc<Iopf>, r: &mut UserSliceReader) -> Result {
    debugfs::read_keyword(r, "1")?;
    s.reset();
    Ok(())
}
