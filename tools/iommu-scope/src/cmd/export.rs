// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope export --prometheus DIR [--interval SEC [--iterations N]]`:
//! writes `DIR/iommu_scope.prom` for node_exporter's textfile collector,
//! atomically (a temporary file in DIR, then rename). Once without
//! `--interval`; with it, it stays, counts the module's events by type
//! from a private tracefs instance and rewrites the file every interval.
//!
//! Owns: the metric names and labels (documented in
//! `Documentation/cli.rst`). Must not: write outside DIR, or leave a
//! half-written file where the collector reads.

use super::events::{self, TraceSource};
use super::Out;
use crate::env::{self, Env};
use crate::error::{Error, Result};
use crate::json::{obj, J};
use crate::parse::{accounting, leaks, status, trace::Kind};
use crate::prom::{render, Family, Type, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The help of `iommu_scope_up`.
pub const UP_HELP: &str = "1 when the iommu_scope module's files were read, 0 when they could not be (the reason is the comment line after it)";

/// The file written in DIR.
pub const FILE: &str = "iommu_scope.prom";

/// The accounting counters exported: (file counter, metric, type, help).
pub const ACCOUNTING: [(&str, &str, Type, &str); 11] = [
    (
        "pages_mapped",
        "iommu_scope_mapped_pages",
        Type::Gauge,
        "4 KiB units of physical memory with a nonzero IOMMU mapping count",
    ),
    (
        "bytes_mapped",
        "iommu_scope_mapped_bytes",
        Type::Gauge,
        "Sum of the IOMMU mapping counts times 4096 bytes",
    ),
    (
        "refs",
        "iommu_scope_mapping_refs",
        Type::Gauge,
        "Sum of the per-4 KiB IOMMU mapping counts",
    ),
    (
        "pages_mapped_more_than_once",
        "iommu_scope_pages_mapped_more_than_once",
        Type::Gauge,
        "4 KiB units mapped more than once",
    ),
    (
        "maps",
        "iommu_scope_maps_total",
        Type::Counter,
        "IOMMU maps counted since load",
    ),
    (
        "unmaps",
        "iommu_scope_unmaps_total",
        Type::Counter,
        "__iommu_unmap calls since load",
    ),
    (
        "overflows",
        "iommu_scope_refcount_overflows_total",
        Type::Counter,
        "Mapping count increments refused at the maximum",
    ),
    (
        "underflows",
        "iommu_scope_refcount_underflows_total",
        Type::Counter,
        "Mapping count decrements refused at zero",
    ),
    (
        "untracked",
        "iommu_scope_untracked_units_total",
        Type::Counter,
        "4 KiB units whose maps could not be counted",
    ),
    (
        "table_memory_bytes",
        "iommu_scope_accounting_table_bytes",
        Type::Gauge,
        "Memory of the accounting's count table",
    ),
    (
        "release_walks_cut",
        "iommu_scope_release_walks_cut_total",
        Type::Counter,
        "Release walks cut short: every DMA use-after-free report since is unconfirmed",
    ),
];

/// The IOPF counters exported: (file counter, metric, help).
pub const IOPF: [(&str, &str, &str); 8] = [
    (
        "faults",
        "iommu_scope_iopf_faults_total",
        "IO page faults reported",
    ),
    (
        "read",
        "iommu_scope_iopf_read_faults_total",
        "IO page faults asking read permission",
    ),
    (
        "write",
        "iommu_scope_iopf_write_faults_total",
        "IO page faults asking write permission",
    ),
    (
        "exec",
        "iommu_scope_iopf_exec_faults_total",
        "IO page faults asking execute permission",
    ),
    (
        "accepted",
        "iommu_scope_iopf_accepted_total",
        "IO page fault reports the iommu core accepted",
    ),
    (
        "refused",
        "iommu_scope_iopf_refused_total",
        "IO page fault reports the iommu core refused",
    ),
    (
        "handled",
        "iommu_scope_iopf_handled_total",
        "IO page faults answered with success",
    ),
    (
        "failed",
        "iommu_scope_iopf_failed_total",
        "Refused reports plus faults answered with failure",
    ),
];

/// Event counts seen by a running exporter: ((smmu, client, name), n) and
/// ((dev, result class), n).
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// SMMUv3 events by SMMU, client device and event name.
    pub evtq: BTreeMap<(String, String, String), u64>,
    /// Event queue overflows by SMMU.
    pub overflows: BTreeMap<String, u64>,
    /// IO page fault events by device.
    pub iopf: BTreeMap<String, u64>,
}

fn u(v: u64) -> Value {
    Value::U(v)
}

/// The metric families of the module's files under `iopt` (and of `seen`
/// events, when the exporter runs with an interval).
pub fn families(iopt: &Path, seen: Option<&Seen>) -> Result<Vec<Family>> {
    let sf = iopt.join("status");
    let st = status::parse(env::open(&sf)?, &env::name(&sf))?;
    let mut v = Vec::new();
    let mut up = Family::new("iommu_scope_up", Type::Gauge, UP_HELP);
    up.add(&[], u(1));
    v.push(up);
    let mut fa = Family::new(
        "iommu_scope_feature_active",
        Type::Gauge,
        "1 if the module's feature runs on this kernel, 0 if unavailable",
    );
    for f in &st.features {
        fa.add(&[("feature", &f.name)], u(f.active().into()));
    }
    v.push(fa);

    let af = iopt.join("accounting");
    if af.exists() {
        let a = accounting::parse(env::open(&af)?, &env::name(&af))?;
        for (key, name, kind, help) in ACCOUNTING {
            if let Some(x) = a.get(key) {
                let mut f = Family::new(name, kind, help);
                f.add(&[], u(x));
                v.push(f);
            }
        }
    }
    if let Some(ld) = st.feature("leak_detection").filter(|f| f.active()) {
        let mut f = Family::new(
            "iommu_scope_leaks_found_total",
            Type::Counter,
            "DMA use-after-free reports since load or the last reset of the leak log",
        );
        f.add(
            &[],
            u(ld.value("leaks_found")
                .and_then(crate::parse::dec)
                .unwrap_or(0)),
        );
        v.push(f);
        let lf = iopt.join("leaks");
        if lf.exists() {
            let l = leaks::parse(env::open(&lf)?, &env::name(&lf))?;
            let mut f = Family::new(
                "iommu_scope_leaks_kept",
                Type::Gauge,
                "DMA use-after-free reports kept in the leaks file",
            );
            f.add(&[], u(l.leaks.len() as u64));
            v.push(f);
            let mut f = Family::new(
                "iommu_scope_leaks_unconfirmed",
                Type::Gauge,
                "Reports in the leaks file marked unconfirmed (made after a release walk was cut short)",
            );
            f.add(
                &[],
                u(l.leaks.iter().filter(|x| x.unconfirmed).count() as u64),
            );
            v.push(f);
        }
    }
    if let Some(ev) = st.feature("smmu_evtq_event").filter(|f| f.active()) {
        for (key, name, help) in [
            (
                "events",
                "iommu_scope_smmu_events_total",
                "SMMUv3 event records reported since load",
            ),
            (
                "overflows",
                "iommu_scope_smmu_evtq_overflows_total",
                "SMMUv3 event queue overflows seen since load",
            ),
        ] {
            let mut f = Family::new(name, Type::Counter, help);
            f.add(
                &[],
                u(ev.value(key).and_then(crate::parse::dec).unwrap_or(0)),
            );
            v.push(f);
        }
    }
    if let Some(io) = st.feature("iopf").filter(|f| f.active()) {
        let mut f = Family::new(
            "iommu_scope_iopf_reports_total",
            Type::Counter,
            "IO page fault reports seen since load",
        );
        f.add(
            &[],
            u(io.value("reports").and_then(crate::parse::dec).unwrap_or(0)),
        );
        v.push(f);
        let s = super::iopf_top::sample(iopt)?;
        for (key, name, help) in IOPF {
            let mut f = Family::new(name, Type::Counter, help);
            for (scope, keys) in &s.scopes {
                for c in keys {
                    f.add(&[("scope", scope), ("key", &c.key)], u(c.get(key)));
                }
            }
            v.push(f);
        }
        let mut f = Family::new(
            "iommu_scope_iopf_report_seconds_total",
            Type::Counter,
            "Time spent in iommu_report_device_fault",
        );
        for (scope, keys) in &s.scopes {
            for c in keys {
                f.add(
                    &[("scope", scope), ("key", &c.key)],
                    Value::F(c.get("report_ns") as f64 / 1e9),
                );
            }
        }
        v.push(f);
    }
    let mut d = Family::new(
        "iommu_scope_domains",
        Type::Gauge,
        "IOMMU domains listed under io_page_tables",
    );
    d.add(&[], u(env::domain_dirs(iopt)?.len() as u64));
    v.push(d);
    if let Some(seen) = seen {
        let mut f = Family::new("iommu_scope_smmu_events_seen_total", Type::Counter, "SMMUv3 events read by this exporter since it started, by SMMU, client device and event name");
        for ((smmu, client, name), n) in &seen.evtq {
            f.add(
                &[("smmu", smmu), ("client", client), ("event", name)],
                u(*n),
            );
        }
        v.push(f);
        let mut f = Family::new(
            "iommu_scope_smmu_evtq_overflows_seen_total",
            Type::Counter,
            "smmu_evtq_overflow events read by this exporter since it started",
        );
        for (smmu, n) in &seen.overflows {
            f.add(&[("smmu", smmu)], u(*n));
        }
        v.push(f);
        let mut f = Family::new(
            "iommu_scope_iopf_events_seen_total",
            Type::Counter,
            "iopf_fault events read by this exporter since it started, by device",
        );
        for (dev, n) in &seen.iopf {
            f.add(&[("device", dev)], u(*n));
        }
        v.push(f);
    }
    Ok(v)
}

/// The family `iommu_scope_up` alone, at 0, with the reason as a comment
/// line: what the file says when the module's files could not be read.
pub fn down_text(why: &Error) -> String {
    let mut up = Family::new("iommu_scope_up", Type::Gauge, UP_HELP);
    up.add(&[], u(0));
    let mut text = render(&[up]);
    let reason: String = why
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    text.push_str(&format!("# iommu-scope: {}\n", reason));
    text
}

/// `O_NOFOLLOW` and `O_CLOEXEC` (their values differ between the
/// architectures the CLI is built for).
#[cfg(target_arch = "x86_64")]
const O_NOFOLLOW_CLOEXEC: i32 = 0o400000 | 0o2000000;
#[cfg(target_arch = "aarch64")]
const O_NOFOLLOW_CLOEXEC: i32 = 0o100000 | 0o2000000;

/// A random 64-bit value (the standard library's per-process random hash
/// keys, from the kernel's getrandom).
fn random_u64(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish()
}

/// Writes `text` to `dir/FILE` atomically; returns the path. The
/// temporary file has an unpredictable name and is created exclusively
/// (`O_CREAT|O_EXCL|O_NOFOLLOW`: a file or symbolic link planted in a
/// writable directory is never followed or truncated; another name is
/// tried), is made mode 0644 whatever the umask (node_exporter need not
/// run as root), synced, renamed over `FILE`, then the directory is synced
/// so the rename survives a crash.
pub fn write_atomic(dir: &Path, text: &str) -> Result<PathBuf> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !dir.is_dir() {
        return Err(Error::Request(format!(
            "{} is not a directory (give node_exporter's --collector.textfile.directory)",
            dir.display()
        )));
    }
    let path = dir.join(FILE);
    let fail = |e: &std::io::Error| env::io_error(&env::name(&path), e);
    for attempt in 0..16u64 {
        let tmp = dir.join(format!(".{}.{:016x}.tmp", FILE, random_u64(attempt)));
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(O_NOFOLLOW_CLOEXEC)
            .open(&tmp)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fail(&e)),
        };
        let res = (|| -> std::io::Result<()> {
            f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(&e));
        }
        return Ok(path);
    }
    Err(Error::Env(format!(
        "{}: 16 temporary names in a row already exist (something is creating files there)",
        dir.display()
    )))
}

/// Sleeps until `until` passed or a signal asked to stop.
fn sleep_until(t0: Instant, iv: Duration) {
    while t0.elapsed() < iv && !events::stopped() {
        std::thread::sleep(
            iv.saturating_sub(t0.elapsed())
                .min(Duration::from_millis(100)),
        );
    }
}

/// One iteration: waits out the interval counting events (with an
/// interval), then reads the module's files. An error here is the
/// module's or the system's state (not loaded, unloaded, a domain freed
/// mid-read, unexpected text): it goes into the file as
/// `iommu_scope_up 0`.
fn collect(
    env: &Env,
    src: &mut Option<TraceSource>,
    seen: &mut Seen,
    interval: Option<Duration>,
) -> Result<Vec<Family>> {
    if let Some(iv) = interval {
        let t0 = Instant::now();
        if src.is_none() {
            match TraceSource::open(env) {
                Ok(s) => *src = Some(s),
                Err(e) => {
                    sleep_until(t0, iv);
                    return Err(e);
                }
            }
        }
        let s = src.as_mut().expect("opened above");
        loop {
            let got = match s.poll(iv.saturating_sub(t0.elapsed())) {
                Ok(v) => v,
                Err(e) => {
                    // Reopened next time (a new instance).
                    *src = None;
                    sleep_until(t0, iv);
                    return Err(e);
                }
            };
            for e in got {
                match e.kind {
                    Kind::Evtq(x) => *seen.evtq.entry((x.smmu, x.client, x.name)).or_default() += 1,
                    Kind::Overflow { smmu, .. } => *seen.overflows.entry(smmu).or_default() += 1,
                    Kind::Iopf(x) => *seen.iopf.entry(x.dev).or_default() += 1,
                    Kind::Lost { .. } => {}
                }
            }
            if t0.elapsed() >= iv || s.ended() || events::stopped() {
                break;
            }
        }
    }
    let iopt = env.iopt()?;
    families(&iopt, interval.map(|_| &*seen))
}

/// Runs the command. Once: an error reading the module's files still
/// writes the file (`iommu_scope_up 0`), then is the exit status. With an
/// interval: each iteration writes the file, up or down, and the exporter
/// keeps going.
pub fn run(
    env: &Env,
    out: &mut Out,
    dir: &Path,
    interval: Option<Duration>,
    iterations: Option<u64>,
) -> Result<()> {
    if interval.is_some() {
        events::catch_signals();
    }
    let mut src: Option<TraceSource> = None;
    let mut seen = Seen::default();
    let mut i = 0u64;
    loop {
        i += 1;
        let (text, families_n, samples, err) = match collect(env, &mut src, &mut seen, interval) {
            Ok(fams) => (
                render(&fams),
                fams.iter().filter(|f| !f.samples.is_empty()).count(),
                fams.iter().map(|f| f.samples.len()).sum::<usize>(),
                None,
            ),
            Err(Error::Closed) => return Err(Error::Closed),
            Err(e) => (down_text(&e), 1, 1, Some(e)),
        };
        let path = write_atomic(dir, &text)?;
        if out.json {
            out.json(&obj([
                ("file", J::s(path.display().to_string())),
                ("families", J::U(families_n as u64)),
                ("samples", J::U(samples as u64)),
                ("iteration", J::U(i)),
                ("up", J::U(err.is_none().into())),
                (
                    "error",
                    err.as_ref().map_or(J::Null, |e| J::s(e.to_string())),
                ),
            ]))?;
        } else if let Some(e) = &err {
            out.line(&format!(
                "wrote {} ({} samples; iommu_scope_up 0: {})",
                path.display(),
                samples,
                e
            ))?;
        } else {
            out.line(&format!("wrote {} ({} samples)", path.display(), samples))?;
        }
        out.flush()?;
        if interval.is_none() {
            return err.map_or(Ok(()), Err);
        }
        if iterations.is_some_and(|n| i >= n) || events::stopped() {
            return Ok(());
        }
    }
}
