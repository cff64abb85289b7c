// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope events`: the module's events, decoded as they arrive.
//!
//! On a live system the events are read from a private tracefs instance
//! (`instances/iommu-scope-<pid>`, made and removed by the command, with
//! only `arm_smmu_v3:smmu_evtq_event`, `arm_smmu_v3:smmu_evtq_overflow`
//! and `iommu_scope:iopf_fault` enabled), so the global trace buffer and
//! its readers are left alone. A tracefs without `instances/` (a captured
//! tree given with `--tracefs`) is read from its `trace_pipe`, to its end.
//!
//! Owns: the event source, the filters, the events command's output.
//! Must not: enable or disable events outside its own instance.

use super::Out;
use crate::env::{io_error, name, Env};
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::trace::{self, Event, Kind};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `O_NONBLOCK` (the same value on every Linux architecture the CLI is
/// built for: x86_64, aarch64).
const O_NONBLOCK: i32 = 0o4000;

/// The module's events an instance enables: (system, event).
pub const EVENTS: [(&str, &str); 3] = [
    ("arm_smmu_v3", "smmu_evtq_event"),
    ("arm_smmu_v3", "smmu_evtq_overflow"),
    ("iommu_scope", "iopf_fault"),
];

/// The instance's ring buffer size per CPU, in KiB.
pub const INSTANCE_BUFFER_KB: &str = "256";

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: i32) {
    STOP.store(true, Ordering::Relaxed);
}

/// glibc's `struct sigaction` (the same layout on x86_64 and aarch64,
/// the CLI's targets): handler, 1024-bit mask, flags, restorer.
#[repr(C)]
struct SigAction {
    handler: usize,
    mask: [u64; 16],
    flags: i32,
    restorer: usize,
}

extern "C" {
    fn sigaction(signum: i32, act: *const SigAction, old: *mut SigAction) -> i32;
}

/// The signals that end a run cleanly: SIGHUP (terminal or ssh session
/// gone), SIGINT, SIGQUIT, SIGTERM. (SIGPIPE is ignored by the Rust
/// runtime: a closed output is EPIPE, which ends the run quietly too.)
pub const STOP_SIGNALS: [i32; 4] = [1, 2, 3, 15];

/// Makes the stop signals end the read loop (so the instance is
/// removed) instead of killing the process. Installed without
/// SA_RESTART: a signal interrupts a blocked write (a reader that stopped
/// reading) with EINTR, which the output sink turns into a stop.
pub fn catch_signals() {
    let act = SigAction {
        handler: on_signal as extern "C" fn(i32) as usize,
        mask: [0; 16],
        flags: 0,
        restorer: 0,
    };
    for sig in STOP_SIGNALS {
        // SAFETY: `sigaction` is the C library's, given a valid struct of
        // its layout; the handler only stores to an atomic, which is
        // async-signal-safe.
        unsafe {
            sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Whether a signal asked to stop.
pub fn stopped() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Removes the instances of earlier runs whose process is gone (killed
/// before it could remove its own).
fn remove_stale(inst_root: &std::path::Path) {
    let Ok(rd) = fs::read_dir(inst_root) else {
        return;
    };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = n.strip_prefix("iommu-scope-").and_then(crate::parse::dec) {
            if !std::path::Path::new("/proc").join(pid.to_string()).exists() {
                let _ = fs::remove_dir(e.path());
            }
        }
    }
}

/// A reader of the module's trace events.
pub struct TraceSource {
    /// `None` only while dropping (closed before the instance is
    /// removed: an instance whose `trace_pipe` is open cannot be).
    file: Option<File>,
    name: String,
    pending: Vec<u8>,
    line_no: usize,
    instance: Option<PathBuf>,
    eof: bool,
}

impl TraceSource {
    /// Opens the source (making the instance on a live tracefs).
    pub fn open(env: &Env) -> Result<Self> {
        // Before the instance exists: no window where a signal kills the
        // process with the instance left behind.
        catch_signals();
        let root = env.tracefs()?;
        let inst_root = root.join("instances");
        let mut instance = None;
        let pipe = if inst_root.is_dir() {
            if !root.join("events").join("arm_smmu_v3").is_dir() {
                return Err(Error::Env(format!(
                    "the iommu_scope module is not loaded (no {}/events/arm_smmu_v3): load it with \"modprobe iommu_scope\"",
                    root.display()
                )));
            }
            remove_stale(&inst_root);
            let dir = inst_root.join(format!("iommu-scope-{}", std::process::id()));
            fs::create_dir(&dir).map_err(|e| io_error(&name(&dir), &e))?;
            instance = Some(dir.clone());
            // A small ring (per CPU): the reader drains it every 20 ms;
            // the default would hold megabytes per CPU for nothing.
            let _ = fs::write(dir.join("buffer_size_kb"), INSTANCE_BUFFER_KB);
            for (sys, ev) in EVENTS {
                let en = dir.join("events").join(sys).join(ev).join("enable");
                if en.exists() {
                    if let Err(e) = fs::write(&en, "1") {
                        let _ = fs::remove_dir(&dir);
                        return Err(io_error(&name(&en), &e));
                    }
                }
            }
            dir.join("trace_pipe")
        } else {
            root.join("trace_pipe")
        };
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&pipe)
            .map_err(|e| {
                if let Some(d) = &instance {
                    let _ = fs::remove_dir(d);
                }
                io_error(&name(&pipe), &e)
            })?;
        Ok(TraceSource {
            file: Some(file),
            name: name(&pipe),
            pending: Vec::new(),
            line_no: 0,
            instance,
            eof: false,
        })
    }

    /// Whether the source ended (a captured file read to its end).
    pub fn ended(&self) -> bool {
        self.eof
    }

    /// The events available now (waits up to `wait` for the first).
    pub fn poll(&mut self, wait: Duration) -> Result<Vec<Event>> {
        let t0 = Instant::now();
        let mut buf = [0u8; 16384];
        let mut got = false;
        while let Some(file) = self.file.as_mut() {
            match file.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    if !self.pending.is_empty() {
                        self.pending.push(b'\n');
                    }
                    break;
                }
                Ok(n) => {
                    self.pending.extend_from_slice(&buf[..n]);
                    got = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if got || t0.elapsed() >= wait || stopped() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20).min(wait));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {
                    if stopped() {
                        break;
                    }
                }
                Err(e) => return Err(io_error(&self.name, &e)),
            }
        }
        let mut v = Vec::new();
        while let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            self.line_no += 1;
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            if let Some(e) = trace::parse_line(&text, &self.name, self.line_no)? {
                v.push(e);
            }
        }
        Ok(v)
    }
}

impl Drop for TraceSource {
    fn drop(&mut self) {
        // Closed first: tracefs refuses to remove an instance whose
        // trace_pipe is open (EBUSY).
        self.file = None;
        if let Some(d) = &self.instance {
            // Removing the instance disables its events.
            let _ = fs::remove_dir(d);
        }
    }
}

/// What `--type` and `--device` keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `--device NAME`: the event's client / dev.
    pub device: Option<String>,
    /// `--type T`: an event name (`F_TRANSLATION`), a type id (`0x10`),
    /// `iopf` or `overflow`.
    pub kind: Option<String>,
}

impl Filter {
    /// Whether `e` passes.
    pub fn keep(&self, e: &Event) -> bool {
        let (dev, names): (Option<&str>, Vec<String>) = match &e.kind {
            Kind::Evtq(x) => (
                Some(&x.client),
                vec![
                    x.name.clone(),
                    format!("0x{:02x}", x.type_id),
                    "evtq".into(),
                ],
            ),
            Kind::Overflow { .. } => (None, vec!["overflow".into()]),
            Kind::Iopf(x) => (Some(&x.dev), vec!["iopf".into(), "iopf_fault".into()]),
            Kind::Lost { .. } => return true,
        };
        if let Some(d) = &self.device {
            if dev != Some(d.as_str()) {
                return false;
            }
        }
        if let Some(k) = &self.kind {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(k)) {
                return false;
            }
        }
        true
    }
}

/// The JSON of an event.
pub fn event_json(e: &Event) -> J {
    match &e.kind {
        Kind::Evtq(x) => obj([
            ("event", J::s("smmu_evtq_event")),
            ("ts", J::s(&e.ts)),
            ("smmu", J::s(&x.smmu)),
            ("client", J::s(&x.client)),
            ("name", J::s(&x.name)),
            ("type_id", J::U(x.type_id.into())),
            ("sid", J::U(x.sid.into())),
            ("ssid", J::U(x.ssid.into())),
            ("ssv", J::Bool(x.ssv)),
            ("iova", J::hex(x.iova)),
            ("ipa", J::hex(x.ipa)),
            ("fetch", J::hex(x.fetch)),
            ("read", J::Bool(x.read)),
            ("insn", J::Bool(x.insn)),
            ("priv", J::Bool(x.privileged)),
            ("s2", J::Bool(x.s2)),
            ("class", J::U(x.class.into())),
            ("stall", J::Bool(x.stall)),
            ("stag", J::U(x.stag.into())),
            ("raw", J::A(x.raw.iter().map(|&w| J::hex(w)).collect())),
        ]),
        Kind::Overflow { smmu, overflows } => obj([
            ("event", J::s("smmu_evtq_overflow")),
            ("ts", J::s(&e.ts)),
            ("smmu", J::s(smmu)),
            ("overflows", J::U(*overflows)),
        ]),
        Kind::Iopf(x) => obj([
            ("event", J::s("iopf_fault")),
            ("ts", J::s(&e.ts)),
            ("dev", J::s(&x.dev)),
            ("mm", J::s(&x.mm)),
            ("fault_type", J::U(x.fault_type.into())),
            (
                "pasid",
                if x.pasid_valid {
                    J::U(x.pasid.into())
                } else {
                    J::Null
                },
            ),
            ("grpid", J::U(x.grpid.into())),
            ("perm", J::A(x.perm.iter().map(J::s).collect())),
            ("addr", J::hex(x.addr)),
            ("result", J::I(x.result.into())),
            ("duration_ns", J::U(x.duration_ns)),
        ]),
        Kind::Lost { cpu, events } => obj([
            ("event", J::s("lost")),
            ("cpu", J::U((*cpu).into())),
            ("events", J::U(*events)),
        ]),
    }
}

/// The one-line text of an event.
pub fn event_text(e: &Event) -> String {
    match &e.kind {
        Kind::Evtq(x) => format!(
            "{} smmu {} {} {}(0x{:02x}) sid=0x{:x}{} iova=0x{:x}{} {} {} {} {}{}",
            e.ts,
            x.smmu,
            x.client,
            x.name,
            x.type_id,
            x.sid,
            if x.ssv {
                format!(" ssid=0x{:x}", x.ssid)
            } else {
                String::new()
            },
            x.iova,
            if x.ipa != 0 {
                format!(" ipa=0x{:x}", x.ipa)
            } else {
                String::new()
            },
            if x.read { "read" } else { "write" },
            if x.insn { "insn" } else { "data" },
            if x.privileged { "priv" } else { "unpriv" },
            if x.s2 { "s2" } else { "s1" },
            if x.stall {
                format!(" stall stag=0x{:x}", x.stag)
            } else {
                String::new()
            },
        ),
        Kind::Overflow { smmu, overflows } => {
            format!(
                "{} overflow {} records lost (overflows={})",
                e.ts, smmu, overflows
            )
        }
        Kind::Iopf(x) => format!(
            "{} iopf {} mm={} pasid={} grpid={} perm={} addr=0x{:x} {} {}ns",
            e.ts,
            x.dev,
            x.mm,
            if x.pasid_valid {
                x.pasid.to_string()
            } else {
                "none".into()
            },
            x.grpid,
            if x.perm.is_empty() {
                "-".to_string()
            } else {
                x.perm.join("|")
            },
            x.addr,
            if x.result == 0 {
                "accepted".to_string()
            } else {
                format!("refused({})", x.result)
            },
            x.duration_ns
        ),
        Kind::Lost { cpu, events } => format!("# CPU {} lost {} events", cpu, events),
    }
}

/// Runs the command: until `count` events passed the filter, `timeout`
/// passed, a captured source ended, or SIGINT/SIGTERM.
pub fn run(
    env: &Env,
    out: &mut Out,
    filter: &Filter,
    count: Option<u64>,
    timeout: Option<Duration>,
) -> Result<()> {
    let mut src = TraceSource::open(env)?;
    let t0 = Instant::now();
    let mut n = 0u64;
    if count == Some(0) {
        return Ok(());
    }
    loop {
        let wait = match timeout {
            Some(t) => t
                .saturating_sub(t0.elapsed())
                .min(Duration::from_millis(200)),
            None => Duration::from_millis(200),
        };
        for e in src.poll(wait)? {
            if !filter.keep(&e) {
                continue;
            }
            if out.json {
                out.json(&event_json(&e))?;
            } else {
                out.line(&event_text(&e))?;
            }
            if !matches!(e.kind, Kind::Lost { .. }) {
                n += 1;
            }
            if count.is_some_and(|c| n >= c) {
                return out.flush();
            }
        }
        out.flush()?;
        if src.ended() || stopped() || timeout.is_some_and(|t| t0.elapsed() >= t) {
            return Ok(());
        }
    }
}
