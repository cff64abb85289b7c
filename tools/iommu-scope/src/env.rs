// SPDX-License-Identifier: GPL-2.0

//! Where the module's files are, and what a failure to read them means:
//! debugfs and tracefs roots from `/proc/mounts` (or `--debugfs`,
//! `--tracefs`), sysfs for device names (`--sysfs`, default `/sys`); the
//! three environment errors (debugfs not mounted, module not loaded, not
//! root) with a message that says what to do.
//!
//! Owns: file access. Must not: write to any file of the module.

use crate::error::{Error, Result};
use crate::parse::mounts;
use std::fs::File;
use std::io::{self, BufReader, ErrorKind};
use std::path::{Path, PathBuf};

/// The module's debugfs directory name.
pub const IOPT: &str = "io_page_tables";

/// Where to look, from the command line.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    /// `--debugfs DIR`.
    pub debugfs: Option<PathBuf>,
    /// `--tracefs DIR`.
    pub tracefs: Option<PathBuf>,
    /// `--sysfs DIR`.
    pub sysfs: Option<PathBuf>,
}

/// The located roots.
#[derive(Debug, Clone)]
pub struct Env {
    roots: Roots,
}

/// The message of an I/O error on `file`: permission errors say to run as
/// root (the module's files are root-only).
pub fn io_error(file: &str, e: &io::Error) -> Error {
    match e.kind() {
        ErrorKind::PermissionDenied => Error::Env(format!(
            "permission denied reading {}: the module's files are root-only; run iommu-scope as root",
            file
        )),
        _ if e.raw_os_error() == Some(5) => Error::Gone(format!(
            "{}: I/O error (the domain was freed while it was read; run the command again)",
            file
        )),
        ErrorKind::NotFound => Error::Gone(format!("{}: {}", file, e)),
        _ => Error::Env(format!("{}: {}", file, e)),
    }
}

fn mount_point(fstype: &str, default: &str) -> Result<PathBuf> {
    let text = std::fs::read_to_string("/proc/mounts")
        .map_err(|e| Error::Env(format!("cannot read /proc/mounts: {}", e)))?;
    match mounts::find(&text, fstype) {
        Some(d) => Ok(PathBuf::from(d)),
        None if fstype == "debugfs" => Err(Error::Env(format!(
            "debugfs is not mounted: mount it with \"mount -t debugfs none {}\" (as root), or pass --debugfs DIR",
            default
        ))),
        None => {
            // tracefs also appears under debugfs/tracing on older set-ups.
            if let Some(d) = mounts::find(&text, "debugfs") {
                let p = Path::new(&d).join("tracing");
                if p.join("trace_pipe").exists() {
                    return Ok(p);
                }
            }
            Err(Error::Env(format!(
                "tracefs is not mounted: mount it with \"mount -t tracefs none {}\" (as root), or pass --tracefs DIR",
                default
            )))
        }
    }
}

impl Env {
    /// The environment for `roots` (nothing is checked yet: each command
    /// checks what it reads).
    pub fn new(roots: Roots) -> Self {
        Env { roots }
    }

    /// `<debugfs>/io_page_tables`, checked to exist: debugfs mounted, the
    /// module loaded, readable by this user.
    pub fn iopt(&self) -> Result<PathBuf> {
        let root = match &self.roots.debugfs {
            Some(d) => d.clone(),
            None => mount_point("debugfs", "/sys/kernel/debug")?,
        };
        let dir = root.join(IOPT);
        match std::fs::metadata(dir.join("status")) {
            Ok(_) => Ok(dir),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                Err(io_error(&dir.display().to_string(), &e))
            }
            Err(_) => {
                // Not found: the module is not loaded, unless this user
                // cannot even look (debugfs is 0700).
                if let Err(e) = std::fs::read_dir(&root) {
                    if e.kind() == ErrorKind::PermissionDenied {
                        return Err(io_error(&root.display().to_string(), &e));
                    }
                    return Err(Error::Env(format!("{}: {}", root.display(), e)));
                }
                Err(Error::Env(format!(
                    "the iommu_scope module is not loaded (no {}): load it with \"modprobe iommu_scope\" (or insmod iommu_scope.ko)",
                    dir.display()
                )))
            }
        }
    }

    /// The tracefs root.
    pub fn tracefs(&self) -> Result<PathBuf> {
        let root = match &self.roots.tracefs {
            Some(d) => d.clone(),
            None => mount_point("tracefs", "/sys/kernel/tracing")?,
        };
        match std::fs::read_dir(&root) {
            Ok(_) => Ok(root),
            Err(e) => Err(io_error(&root.display().to_string(), &e)),
        }
    }

    /// The sysfs root.
    pub fn sysfs(&self) -> PathBuf {
        self.roots
            .sysfs
            .clone()
            .unwrap_or_else(|| PathBuf::from("/sys"))
    }
}

/// Opens `path` for buffered reading, with the module's error messages.
pub fn open(path: &Path) -> Result<BufReader<File>> {
    File::open(path)
        .map(|f| BufReader::with_capacity(64 * 1024, f))
        .map_err(|e| io_error(&path.display().to_string(), &e))
}

/// The name a parse error shows for `path`.
pub fn name(path: &Path) -> String {
    path.display().to_string()
}

/// The comment a freed domain's files hold (`# domain freed: ...`,
/// `freed()` in rust/ptdump/files.rs), without its `# `.
pub const DOMAIN_FREED: &str = "domain freed: this directory is being removed";

/// Whether `e`, met reading a file of the domain directory `dir`, means
/// the domain went away meanwhile (the commands that walk every domain
/// skip it).
pub fn domain_gone(dir: &Path, e: &Error) -> bool {
    matches!(e, Error::Gone(_)) || !dir.exists()
}

/// The directories under `iopt` whose names start with `prefix`, sorted
/// by name.
fn dirs_with_prefix(iopt: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(iopt).map_err(|e| io_error(&name(iopt), &e))?;
    let mut v = Vec::new();
    for e in rd {
        let e = e.map_err(|e| io_error(&name(iopt), &e))?;
        if e.file_name().to_string_lossy().starts_with(prefix) {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

/// The domain directories (`domain_<id>`) under `iopt`, sorted by name.
pub fn domain_dirs(iopt: &Path) -> Result<Vec<PathBuf>> {
    dirs_with_prefix(iopt, "domain_")
}

/// The SMMUv3 directories (`smmu_<device>`, `Documentation/streams.rst`)
/// under `iopt`, sorted by name.
pub fn smmu_dirs(iopt: &Path) -> Result<Vec<PathBuf>> {
    dirs_with_prefix(iopt, "smmu_")
}
