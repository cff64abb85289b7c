// SPDX-License-Identifier: GPL-2.0

//! The command line: options, usage text, dispatch, and the exit status
//! with its one-line message on standard error.
//!
//! Owns: the option syntax (documented in `Documentation/cli.rst`). Must
//! not: do a command's work (see `cmd`).

use crate::cmd::{self, events::Filter, Out};
use crate::env::{Env, Roots};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The usage text.
pub const USAGE: &str = "\
usage: iommu-scope [--json] [--debugfs DIR] [--tracefs DIR] [--sysfs DIR] COMMAND [ARGS]

Reads the iommu_scope module's files (debugfs io_page_tables/, tracefs events).

commands:
  status                      what the module runs on this kernel
  domains                     one row per IOMMU domain: driver, type, format,
                              granule, devices, mapped bytes, runs
  ptdump [--raw] TARGET       a domain's page-table dump, streamed; TARGET is a
                              domain id, a PCI name (0000:00:02.0), a device
                              (nvme0, nvme0n1, vda) or a driver name (nvme)
  diff A B                    what changed between two saved ptdump files
  who-maps PA                 refcount, domains, IOVAs and devices of a
                              physical address
  streams [SMMU|DEVICE]       one row per SMMUv3 stream ID (and CD): STE
                              config, CD table, ASID, VMID, table, domain
  who-translates SID [--smmu NAME]
                              the path a DMA from stream ID SID takes: STE,
                              CDs, the domains that own the tables
  leaks                       DMA use-after-free reports
  events [--device NAME] [--type TYPE] [--count N] [--timeout SEC]
                              SMMUv3 events and IO page faults as they come
  iopf top [--interval SEC] [--iterations N]
                              IO page fault counters and rates per device,
                              PASID and process
  export --prometheus DIR [--interval SEC] [--iterations N]
                              write DIR/iommu_scope.prom for node_exporter's
                              textfile collector

options:
  --json          JSON output (one object, or one per line for ptdump,
                  events, iopf top); schema in Documentation/cli.rst
  --debugfs DIR   debugfs root (default: from /proc/mounts)
  --tracefs DIR   tracefs root (default: from /proc/mounts)
  --sysfs DIR     sysfs root for device names (default: /sys)
  -h, --help      this text

exit status: 0 ok, 1 error in the request, 2 usage, 3 environment (module
not loaded, debugfs not mounted, not root)";

/// Parsed options.
#[derive(Debug, Default)]
struct Opts {
    json: bool,
    help: bool,
    roots: Roots,
    raw: bool,
    device: Option<String>,
    kind: Option<String>,
    count: Option<u64>,
    timeout: Option<Duration>,
    interval: Option<Duration>,
    iterations: Option<u64>,
    prometheus: Option<PathBuf>,
    smmu: Option<String>,
    /// Which command-specific options were given (for checking).
    given: Vec<&'static str>,
    args: Vec<String>,
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(format!("{} (see iommu-scope --help)", msg.into()))
}

fn secs(opt: &str, v: &str) -> Result<Duration> {
    match v.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=1e9).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(usage(format!(
            "{} needs a number of seconds, got {:?}",
            opt, v
        ))),
    }
}

/// The SMMUv3 event names the module prints (`TYPES` in
/// rust/pure/evtq.rs; a host test checks this list against it), plus
/// `IMPDEF` and `UNKNOWN`.
pub const EVENT_NAMES: [&str; 21] = [
    "F_UUT",
    "C_BAD_STREAMID",
    "F_STE_FETCH",
    "C_BAD_STE",
    "F_BAD_ATS_TREQ",
    "F_STREAM_DISABLED",
    "F_TRANSL_FORBIDDEN",
    "C_BAD_SUBSTREAMID",
    "F_CD_FETCH",
    "C_BAD_CD",
    "F_WALK_EABT",
    "F_TRANSLATION",
    "F_ADDR_SIZE",
    "F_ACCESS",
    "F_PERMISSION",
    "F_TLB_CONFLICT",
    "F_CFG_CONFLICT",
    "E_PAGE_REQUEST",
    "F_VMS_FETCH",
    "IMPDEF",
    "UNKNOWN",
];

/// `--type`: an event name (any case), a type id `0x00`-`0xff`, `evtq`,
/// `overflow`, `iopf` or `iopf_fault`; anything else would wait forever
/// for an event that cannot come.
fn event_type(v: &str) -> Result<String> {
    let id = v
        .strip_prefix("0x")
        .filter(|d| (1..=2).contains(&d.len()))
        .and_then(|d| u8::from_str_radix(d, 16).ok());
    if let Some(id) = id {
        return Ok(format!("0x{:02x}", id));
    }
    let known = ["evtq", "overflow", "iopf", "iopf_fault"];
    if EVENT_NAMES
        .iter()
        .chain(known.iter())
        .any(|n| n.eq_ignore_ascii_case(v))
    {
        return Ok(v.to_string());
    }
    Err(usage(format!(
        "--type {:?} is no event type: an SMMUv3 event name ({}), a type id (0x10), evtq, overflow or iopf",
        v,
        EVENT_NAMES.join(", ")
    )))
}

fn count(opt: &str, v: &str) -> Result<u64> {
    crate::parse::dec(v).ok_or_else(|| usage(format!("{} needs a whole number, got {:?}", opt, v)))
}

fn parse(args: &[String]) -> Result<Opts> {
    let mut o = Opts::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |n: &str| -> Result<String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| usage(format!("{} needs a value", n))),
            }
        };
        if matches!(name, "--json" | "--help" | "--raw") {
            if let Some(v) = &inline {
                return Err(usage(format!("{} takes no value (got {:?})", name, v)));
            }
        }
        match name {
            "--json" => o.json = true,
            "-h" | "--help" => o.help = true,
            "--debugfs" => o.roots.debugfs = Some(PathBuf::from(value(name)?)),
            "--tracefs" => o.roots.tracefs = Some(PathBuf::from(value(name)?)),
            "--sysfs" => o.roots.sysfs = Some(PathBuf::from(value(name)?)),
            "--raw" => {
                o.raw = true;
                o.given.push("--raw");
            }
            "--device" => {
                o.device = Some(value(name)?);
                o.given.push("--device");
            }
            "--type" => {
                o.kind = Some(event_type(&value(name)?)?);
                o.given.push("--type");
            }
            "--count" => {
                o.count = Some(count(name, &value(name)?)?);
                o.given.push("--count");
            }
            "--timeout" => {
                o.timeout = Some(secs(name, &value(name)?)?);
                o.given.push("--timeout");
            }
            "--interval" => {
                let v = value(name)?;
                let d = secs(name, &v)?;
                if d < Duration::from_millis(10) {
                    return Err(usage(format!(
                        "--interval needs at least 0.01 seconds, got {:?}",
                        v
                    )));
                }
                o.interval = Some(d);
                o.given.push("--interval");
            }
            "--iterations" => {
                o.iterations = Some(count(name, &value(name)?)?);
                o.given.push("--iterations");
            }
            "--prometheus" => {
                o.prometheus = Some(PathBuf::from(value(name)?));
                o.given.push("--prometheus");
            }
            "--smmu" => {
                o.smmu = Some(value(name)?);
                o.given.push("--smmu");
            }
            "--" => o.args.extend(it.by_ref().cloned()),
            s if s.starts_with('-')
                && s.len() > 1
                && !s[1..].starts_with(|c: char| c.is_ascii_digit()) =>
            {
                return Err(usage(format!("unknown option {}", s)))
            }
            _ => o.args.push(a.clone()),
        }
    }
    Ok(o)
}

fn allow(o: &Opts, cmd: &str, ok: &[&str]) -> Result<()> {
    match o.given.iter().find(|g| !ok.contains(g)) {
        Some(g) => Err(usage(format!("{} does not take {}", cmd, g))),
        None => Ok(()),
    }
}

fn positional(o: &Opts, cmd: &str, n: usize, what: &str) -> Result<()> {
    if o.args.len() != n + 1 {
        return Err(usage(format!("{} takes {}", cmd, what)));
    }
    Ok(())
}

/// Runs the command line `args` (without the program name), writing to
/// `out` and messages to `err`; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match dispatch(args, out) {
        Ok(()) => 0,
        Err(Error::Closed) => 0,
        Err(e) => {
            let _ = writeln!(err, "iommu-scope: {}", e);
            e.exit_code()
        }
    }
}

fn dispatch(args: &[String], w: &mut dyn Write) -> Result<()> {
    let o = parse(args)?;
    if o.help {
        let mut out = Out { w, json: false };
        return out.line(USAGE);
    }
    let Some(c) = o.args.first().cloned() else {
        return Err(usage("no command given"));
    };
    let env = Env::new(o.roots.clone());
    let mut out = Out { w, json: o.json };
    match c.as_str() {
        "status" => {
            allow(&o, &c, &[])?;
            positional(&o, &c, 0, "no argument")?;
            cmd::status::run(&env, &mut out)
        }
        "domains" => {
            allow(&o, &c, &[])?;
            positional(&o, &c, 0, "no argument")?;
            cmd::domains::run(&env, &mut out)
        }
        "ptdump" => {
            allow(&o, &c, &["--raw"])?;
            positional(&o, &c, 1, "one DEVICE or DOMAIN")?;
            cmd::ptdump::run(&env, &mut out, &o.args[1], o.raw)
        }
        "diff" => {
            allow(&o, &c, &[])?;
            positional(&o, &c, 2, "two saved dumps: diff A B")?;
            crate::diff::run(&mut out, o.args[1].as_ref(), o.args[2].as_ref())
        }
        "who-maps" => {
            allow(&o, &c, &[])?;
            positional(&o, &c, 1, "one physical address")?;
            cmd::who_maps::run(&env, &mut out, &o.args[1])
        }
        "streams" => {
            allow(&o, &c, &[])?;
            if o.args.len() > 2 {
                return Err(usage("streams takes at most one SMMU or DEVICE"));
            }
            cmd::streams::run(&env, &mut out, o.args.get(1).map(String::as_str))
        }
        "who-translates" => {
            allow(&o, &c, &["--smmu"])?;
            positional(&o, &c, 1, "one stream ID")?;
            cmd::who_translates::run(&env, &mut out, &o.args[1], o.smmu.as_deref())
        }
        "leaks" => {
            allow(&o, &c, &[])?;
            positional(&o, &c, 0, "no argument")?;
            cmd::leaks::run(&env, &mut out)
        }
        "events" => {
            allow(&o, &c, &["--device", "--type", "--count", "--timeout"])?;
            positional(&o, &c, 0, "no argument (filters are options)")?;
            let f = Filter {
                device: o.device.clone(),
                kind: o.kind.clone(),
            };
            cmd::events::run(&env, &mut out, &f, o.count, o.timeout)
        }
        "iopf" => {
            if o.args.get(1).map(String::as_str) != Some("top") {
                return Err(usage("iopf has one subcommand: iopf top"));
            }
            allow(&o, "iopf top", &["--interval", "--iterations"])?;
            positional(&o, "iopf", 1, "one subcommand: top")?;
            cmd::iopf_top::run(
                &env,
                &mut out,
                o.interval.unwrap_or(Duration::from_secs(1)),
                o.iterations,
            )
        }
        "export" => {
            allow(&o, &c, &["--prometheus", "--interval", "--iterations"])?;
            positional(&o, &c, 0, "--prometheus DIR")?;
            let Some(dir) = &o.prometheus else {
                return Err(usage("export needs --prometheus DIR"));
            };
            if o.iterations.is_some() && o.interval.is_none() {
                return Err(usage("--iterations needs --interval"));
            }
            cmd::export::run(&env, &mut out, dir, o.interval, o.iterations)
        }
        other => Err(usage(format!("unknown command {:?}", other))),
    }
}

/// Standard output, buffered (one write per 64 KiB, or per `flush`: the
/// streamed commands flush after each batch a reader may wait for). A
/// write interrupted by a stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
/// caught without SA_RESTART) while the reader does not read fails
/// (as `BrokenPipe`) instead of being retried, so the command can stop and
/// clean up. (`std`'s stdout retries EINTR forever.)
struct Stdout {
    buf: Vec<u8>,
    fd: std::mem::ManuallyDrop<std::fs::File>,
}

impl Stdout {
    fn new() -> Self {
        use std::os::unix::io::FromRawFd;
        Stdout {
            buf: Vec::with_capacity(1 << 16),
            // SAFETY: fd 1 is open for the whole process; ManuallyDrop
            // keeps it from being closed.
            fd: std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) }),
        }
    }
}

/// The error of a write given up on a stop signal: `BrokenPipe` (not
/// `Interrupted`, which `write_all` retries), so the command ends quietly
/// as when its reader closes the pipe.
fn stopped_err() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stopped by a signal")
}

impl Write for Stdout {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut done = 0;
        let res = loop {
            if done == self.buf.len() {
                break Ok(());
            }
            // A signal during a blocking write of part of the buffer
            // returns the part written, not EINTR: checked before each.
            if done > 0 && cmd::events::stopped() {
                break Err(stopped_err());
            }
            match (&*self.fd).write(&self.buf[done..]) {
                Ok(0) => break Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    if cmd::events::stopped() {
                        break Err(stopped_err());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.buf.drain(..done);
        res
    }
}

/// The binary's entry: the arguments (not necessarily UTF-8), standard
/// output and error; returns the exit status.
pub fn main(args: Vec<std::ffi::OsString>) -> i32 {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let mut strs = Vec::with_capacity(args.len());
    for a in args {
        match a.into_string() {
            Ok(s) => strs.push(s),
            Err(a) => {
                let e = usage(format!("argument {:?} is not UTF-8", a));
                let _ = writeln!(err, "iommu-scope: {}", e);
                return e.exit_code();
            }
        }
    }
    let mut out = Stdout::new();
    let code = run(&strs, &mut out, &mut err);
    // After a stop signal the reader may be gone or stuck: nothing more
    // is waited for (the streamed commands flushed what they could).
    if !cmd::events::stopped() {
        let _ = out.flush();
    }
    code
}
