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
//! a hook.

use kernel::{
    bindings, fmt, new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        SpinLockIrq,
    },
    uaccess::UserSliceReader,
};

use crate::ffi;
use crate::fprobe::{Args, EntryData, Fprobe, Handler};

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
            if self.keys.push(c, GFP_ATOMIC).is_ok() {
                let last = self.keys.len() - 1;
                return &mut self.keys[last];
            }
        }
        &mut self.other
    }
}

/// Scopes.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
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
    #[pin]
    tables: SpinLockIrq<[Table; 3]>,
    pub(crate) reports: Atomic<u64>,
}

const PERM_READ: u32 = 1;
const PERM_WRITE: u32 = 2;
const PERM_EXEC: u32 = 4;
const PASID_VALID: u32 = 1;

/// Copies a C string field into a key (`c_char` is `u8` on arm64 but `i8`
/// elsewhere, hence the cast).
#[allow(clippy::unnecessary_cast)]
fn copy_key(dst: &mut [u8; KEY_LEN], src: &[kernel::ffi::c_char]) {
    for (d, s) in dst.iter_mut().zip(src.iter()) {
        *d = *s as u8;
    }
}

fn keys_of(r: &ffi::iommu_scope_iopf_rec) -> [[u8; KEY_LEN]; 3] {
    let mut dev = [0u8; KEY_LEN];
    copy_key(&mut dev, &r.dev);
    let mut pasid = [0u8; KEY_LEN];
    let mut w = Cursor {
        buf: &mut pasid,
        len: 0,
    };
    let _ = if r.flags & PASID_VALID != 0 {
        core::fmt::Write::write_fmt(&mut w, format_args!("{}", r.pasid))
    } else {
        core::fmt::Write::write_str(&mut w, "none")
    };
    let mut mm = [0u8; KEY_LEN];
    copy_key(&mut mm, &r.mm);
    [dev, pasid, mm]
}

struct Cursor<'a> {
    buf: &'a mut [u8; KEY_LEN],
    len: usize,
}

impl core::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(KEY_LEN - 1 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

impl Iopf {
    fn update(&self, r: &ffi::iommu_scope_iopf_rec, f: impl Fn(&mut Counts)) {
        let keys = keys_of(r);
        let mut t = self.tables.lock();
        for (table, key) in t.iter_mut().zip(keys.iter()) {
            f(table.get(key));
        }
    }

    /// The counters of `scope` (a copy).
    pub(crate) fn snapshot(&self, scope: Scope) -> Result<KVec<Counts>> {
        let mut v = KVec::with_capacity(MAX_KEYS + 1, GFP_KERNEL)?;
        let t = self.tables.lock();
        let table = &t[scope as usize];
        for c in table.keys.iter() {
            v.push(*c, GFP_ATOMIC)?;
        }
        if table.other.faults != 0 {
            v.push(table.other, GFP_ATOMIC)?;
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
pub(crate) struct ReportHook(&'static Iopf);

impl Handler for ReportHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: reads the monotonic clock.
        let t0 = unsafe { bindings::ktime_get() } as usize;
        [args.arg(0), args.arg(1), t0, 0]
    }

    fn exit(&self, e: &EntryData, ret: usize) {
        let [dev, evt, t0, _] = *e;
        // SAFETY: reads the monotonic clock.
        let dt = (unsafe { bindings::ktime_get() } as usize).wrapping_sub(t0) as u64;
        let mut r = ffi::iommu_scope_iopf_rec::default();
        // SAFETY: `dev` and `evt` are the arguments of the report that just
        // returned; the caller (an IOMMU driver) still owns both.
        if unsafe { ffi::iommu_scope_iopf_read(dev as *mut _, evt as *mut _, &mut r) } != 0 {
            return;
        }
        let result = ret as i32;
        self.0.reports.add(1, Relaxed);
        self.0.update(&r, |c| {
            c.faults += 1;
            c.read += u64::from(r.perm & PERM_READ != 0);
            c.write += u64::from(r.perm & PERM_WRITE != 0);
            c.exec += u64::from(r.perm & PERM_EXEC != 0);
            if result == 0 {
                c.accepted += 1;
            } else {
                c.refused += 1;
                c.failed += 1;
            }
            c.report_ns += dt;
        });
        // SAFETY: `r` is valid for the call; the tracepoint copies it.
        unsafe { ffi::iommu_scope_trace_iopf(&r, result, dt) };
    }
}

/// `iopf_group_response(group, status)`: the handler's outcome.
pub(crate) struct ResponseHook(&'static Iopf);

impl Handler for ResponseHook {
    fn entry(&self, args: &Args) -> EntryData {
        let mut r = ffi::iommu_scope_iopf_rec::default();
        // SAFETY: `group` is the live group being answered.
        if unsafe { ffi::iommu_scope_iopf_group_read(args.arg(0) as *mut _, &mut r) } != 0 {
            return [0; 4];
        }
        // IOMMU_PAGE_RESP_SUCCESS is 0.
        let ok = args.arg(1) as u32 == 0;
        self.0.update(&r, |c| {
            if ok {
                c.handled += 1;
            } else {
                c.failed += 1;
            }
        });
        [0; 4]
    }
}

/// The feature.
///
/// # Invariants
///
/// `state` comes from `KBox::leak`; the probes reference it and are dropped
/// before it is freed.
pub(crate) struct Feature {
    report: Option<Pin<KBox<Fprobe<ReportHook>>>>,
    response: Option<Pin<KBox<Fprobe<ResponseHook>>>>,
    state: *mut Iopf,
}

// SAFETY: `state` is only shared as `&Iopf` (lock and atomics).
unsafe impl Send for Feature {}
// SAFETY: as above.
unsafe impl Sync for Feature {}

static CURRENT: Atomic<*mut Iopf> = Atomic::new(core::ptr::null_mut());

impl Feature {
    /// Installs the hooks; the report hook is required, the response hook
    /// optional (without it `handled` stays 0, said in `status`).
    pub(crate) fn start() -> Result<Self> {
        let tables = [Table::new()?, Table::new()?, Table::new()?];
        let state = KBox::pin_init(
            pin_init!(Iopf {
                tables <- new_spinlock_irq!(tables),
                reports: Atomic::new(0),
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `Iopf` is not moved out of the box: it is leaked and only
        // ever accessed through the pointer until `drop` boxes it again.
        let state: &'static Iopf = KBox::leak(unsafe { Pin::into_inner_unchecked(state) });
        let ptr = core::ptr::from_ref(state).cast_mut();
        let report = KBox::pin_init(
            Fprobe::new(c"iommu_report_device_fault", ReportHook(state)),
            GFP_KERNEL,
        );
        let response = KBox::pin_init(
            Fprobe::new(c"iopf_group_response", ResponseHook(state)),
            GFP_KERNEL,
        )
        .ok();
        match report {
            Ok(r) => {
                CURRENT.store(ptr, Relaxed);
                Ok(Self {
                    report: Some(r),
                    response,
                    state: ptr,
                })
            }
            Err(e) => {
                drop(response);
                // SAFETY: `ptr` came from `KBox::leak`; no probe uses it.
                drop(unsafe { KBox::from_raw(ptr) });
                Err(e)
            }
        }
    }

    /// Whether the handler outcome hook is installed.
    pub(crate) fn has_response_hook(&self) -> bool {
        self.response.is_some()
    }

    /// The counters.
    pub(crate) fn state(&self) -> &Iopf {
        // SAFETY: valid until drop (invariant).
        unsafe { &*self.state }
    }
}

impl Drop for Feature {
    fn drop(&mut self) {
        CURRENT.store(core::ptr::null_mut(), Relaxed);
        self.report = None;
        self.response = None;
        // SAFETY: from `KBox::leak`; no probe references it any more.
        drop(unsafe { KBox::from_raw(self.state) });
    }
}

/// The running feature's counters.
pub(crate) fn current() -> Option<&'static Iopf> {
    let p = CURRENT.load(Relaxed);
    // SAFETY: non-null while the feature runs; files and KUnit finish first.
    (!p.is_null()).then(|| unsafe { &*p })
}

fn show(scope: Scope, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(s) = current() else {
        return writeln!(f, "# iopf accounting unavailable (see status)");
    };
    let Ok(v) = s.snapshot(scope) else {
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

/// `iopf/devices`.
pub(crate) fn show_devices(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    show(Scope::Device, f)
}

/// `iopf/pasids`.
pub(crate) fn show_pasids(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    show(Scope::Pasid, f)
}

/// `iopf/processes`.
pub(crate) fn show_processes(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    show(Scope::Process, f)
}

/// `iopf/reset`: writing `1` clears every counter; anything else is
/// `EINVAL` and changes nothing.
pub(crate) fn write_reset(_: &(), r: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 8];
    let n = r.len();
    if n == 0 || n >= buf.len() {
        return Err(EINVAL);
    }
    r.read_slice(&mut buf[..n])?;
    if core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?.trim() != "1" {
        return Err(EINVAL);
    }
    current().ok_or(ENODEV)?.reset();
    Ok(())
}
