// SPDX-License-Identifier: GPL-2.0

//! What a `ptdump` argument names: a domain id (`domain_<16 hex>` or the
//! 16 hex digits), a PCI device (`0000:00:02.0`, or `00:02.0` in segment
//! 0), or any other device or driver name resolved through sysfs (a class
//! device such as `nvme0`, `nvme0n1`, `vda`, `eth0`: the first ancestor in
//! its sysfs path that a domain lists, or for a stacked block device with
//! no such ancestor (an NVMe multipath head, a dm or md device) the one
//! device behind its `multipath/` or `slaves/` links; a driver such as
//! `nvme`: the device bound to it); what a `streams` argument names among
//! the devices with stream IDs. Also the driver bound to a device, for the
//! listings.
//!
//! Owns: name resolution. Must not: guess when a name is ambiguous.

use crate::env::{self, name};
use crate::error::{Error, Result};
use crate::parse::devices::{self, Devices};
use std::path::{Path, PathBuf};

/// A domain directory with its parsed `devices`.
#[derive(Debug, Clone)]
pub struct DomainDevices {
    /// `<io_page_tables>/domain_<id>`.
    pub dir: PathBuf,
    /// Its `devices`.
    pub devices: Devices,
}

impl DomainDevices {
    /// `domain_<id>`.
    pub fn id(&self) -> String {
        self.dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// One domain directory and its devices; `None` if the domain was freed
/// (its files gone, or saying so).
pub fn read_domain(dir: PathBuf) -> Result<Option<DomainDevices>> {
    let f = dir.join("devices");
    let devices = match env::open(&f).and_then(|r| devices::parse(r, &name(&f))) {
        Ok(d) if d.comments.iter().any(|c| c == env::DOMAIN_FREED) => return Ok(None),
        Ok(d) => d,
        Err(e) if env::domain_gone(&dir, &e) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(DomainDevices { dir, devices }))
}

/// Every domain and its devices.
pub fn all_domains(iopt: &Path) -> Result<Vec<DomainDevices>> {
    let mut v = Vec::new();
    for dir in env::domain_dirs(iopt)? {
        // Freed between the listing and the read: skipped.
        if let Some(d) = read_domain(dir)? {
            v.push(d);
        }
    }
    Ok(v)
}

fn is_domain_id(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `0000:00:02.0` (or `00:02.0`, made `0000:00:02.0`) if `s` is a PCI
/// device name.
pub fn pci_name(s: &str) -> Option<String> {
    let full = if s.matches(':').count() == 1 {
        format!("0000:{}", s)
    } else {
        s.to_string()
    };
    let b = full.as_bytes();
    let ok = b.len() == 12
        && b[4] == b':'
        && b[7] == b':'
        && b[10] == b'.'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_hexdigit())
        && (b'0'..=b'7').contains(&b[11]);
    ok.then(|| full.to_ascii_lowercase())
}

/// The domains a device is attached to (RID attachments first).
fn domains_of<'a>(doms: &'a [DomainDevices], dev: &str) -> Vec<&'a DomainDevices> {
    let mut v: Vec<&DomainDevices> = doms
        .iter()
        .filter(|d| d.devices.devices.iter().any(|x| x.name == dev))
        .collect();
    v.sort_by_key(|d| {
        !d.devices
            .devices
            .iter()
            .any(|x| x.name == dev && x.pasid.is_none())
    });
    v
}

/// The device names bound to driver `drv` on any bus.
pub fn driver_devices(sysfs: &Path, drv: &str) -> Vec<String> {
    let mut v = Vec::new();
    let Ok(buses) = std::fs::read_dir(sysfs.join("bus")) else {
        return v;
    };
    for b in buses.flatten() {
        let Ok(rd) = std::fs::read_dir(b.path().join("drivers").join(drv)) else {
            continue;
        };
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let is_link = e.file_type().map(|t| t.is_symlink()).unwrap_or(false);
            if is_link && n != "module" && !n.starts_with("bind") {
                v.push(n);
            }
        }
    }
    v.sort();
    v
}

/// The driver bound to device `dev` (on any bus), if any.
pub fn driver_of(sysfs: &Path, dev: &str) -> Option<String> {
    let buses = std::fs::read_dir(sysfs.join("bus")).ok()?;
    for b in buses.flatten() {
        let Ok(drivers) = std::fs::read_dir(b.path().join("drivers")) else {
            continue;
        };
        for d in drivers.flatten() {
            if std::fs::symlink_metadata(d.path().join(dev)).is_ok() {
                return Some(d.file_name().to_string_lossy().into_owned());
            }
        }
    }
    None
}

/// The canonical sysfs directory of class device `n` (`/sys/class/*/<n>`).
fn class_device(sysfs: &Path, n: &str) -> Option<PathBuf> {
    let classes = std::fs::read_dir(sysfs.join("class")).ok()?;
    for c in classes.flatten() {
        let p = c.path().join(n);
        if std::fs::symlink_metadata(&p).is_ok() {
            return std::fs::canonicalize(&p).ok();
        }
    }
    None
}

/// The components of sysfs device path `real`, from the device up.
fn ancestors(real: &Path) -> Vec<String> {
    let mut v: Vec<String> = real
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    v.reverse();
    v
}

/// How deep `backing_devices` follows stacked block devices (a dm device
/// over an NVMe multipath head over its paths is 2).
const MAX_STACK: usize = 4;

/// The devices a domain lists that the block device at `real` is backed
/// by, when none of its own ancestors is such a device: an NVMe multipath
/// head (`/sys/devices/virtual/nvme-subsystem/nvme-subsysN/nvmeXnY`, made
/// when the kernel has CONFIG_NVME_MULTIPATH, as Debian's has) reaches its
/// controllers through its `multipath/` links to the path devices; a
/// device-mapper or md device its disks through `slaves/`. Each found
/// device once.
fn backing_devices(
    wanted: &dyn Fn(&str) -> bool,
    real: &Path,
    depth: usize,
    out: &mut Vec<String>,
) {
    if depth > MAX_STACK {
        return;
    }
    for sub in ["multipath", "slaves"] {
        let Ok(rd) = std::fs::read_dir(real.join(sub)) else {
            continue;
        };
        let mut links: Vec<PathBuf> = rd
            .flatten()
            .filter_map(|e| std::fs::canonicalize(e.path()).ok())
            .collect();
        links.sort();
        for l in links {
            match ancestors(&l).into_iter().find(|a| wanted(a)) {
                Some(a) => {
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
                None => backing_devices(wanted, &l, depth + 1, out),
            }
        }
    }
}

/// The domain directory `target` names (see the module docs).
pub fn domain_dir(iopt: &Path, sysfs: &Path, target: &str) -> Result<PathBuf> {
    let id = target.strip_prefix("domain_").unwrap_or(target);
    if is_domain_id(id) {
        let d = iopt.join(format!("domain_{}", id.to_ascii_lowercase()));
        if d.is_dir() {
            return Ok(d);
        }
        return Err(Error::Request(format!(
            "no domain {} (see \"iommu-scope domains\")",
            target
        )));
    }
    let doms = all_domains(iopt)?;
    let pick = |dev: &str, how: &str| -> Result<PathBuf> {
        let all = domains_of(&doms, dev);
        let rid = |d: &DomainDevices| {
            d.devices
                .devices
                .iter()
                .any(|x| x.name == dev && x.pasid.is_none())
        };
        // The RID attachment is the device's domain; with none, PASID
        // attachments in several domains are ambiguous: no guess.
        if all.len() > 1 && !rid(all[0]) {
            return Err(Error::Request(format!(
                "device {}{} has no RID domain and PASID attachments in {} domains: name one ({})",
                dev,
                how,
                all.len(),
                all.iter().map(|d| d.id()).collect::<Vec<_>>().join(", ")
            )));
        }
        match all.first() {
            Some(d) => Ok(d.dir.clone()),
            None => Err(Error::Request(format!(
                "device {}{} is attached to no domain the module lists (see \"iommu-scope domains\")",
                dev, how
            ))),
        }
    };
    if let Some(pci) = pci_name(target) {
        return pick(&pci, "");
    }
    if doms
        .iter()
        .any(|d| d.devices.devices.iter().any(|x| x.name == target))
    {
        return pick(target, "");
    }
    if let Some(real) = class_device(sysfs, target) {
        for a in &ancestors(&real) {
            if !domains_of(&doms, a).is_empty() {
                return pick(a, &format!(" (for {})", target));
            }
        }
        let mut backing = Vec::new();
        backing_devices(
            &|a| !domains_of(&doms, a).is_empty(),
            &real,
            0,
            &mut backing,
        );
        backing.sort();
        return match backing.as_slice() {
            [one] => pick(one, &format!(" (backing {})", target)),
            [] => Err(Error::Request(format!(
                "{} is not behind any device a domain lists",
                target
            ))),
            many => Err(Error::Request(format!(
                "{} is backed by several devices ({}): name one",
                target,
                many.join(", ")
            ))),
        };
    }
    let bound = driver_devices(sysfs, target);
    let with_dom: Vec<&String> = bound
        .iter()
        .filter(|d| !domains_of(&doms, d).is_empty())
        .collect();
    match with_dom.as_slice() {
        [one] => pick(one, &format!(" (bound to {})", target)),
        [] if bound.is_empty() => Err(Error::Request(format!(
            "unknown device or domain {:?}: not a domain id, a PCI name, a device in {}/class or a driver in {}/bus/*/drivers",
            target,
            sysfs.display(),
            sysfs.display()
        ))),
        [] => Err(Error::Request(format!(
            "driver {} has no device attached to a domain",
            target
        ))),
        many => Err(Error::Request(format!(
            "driver {} is bound to several devices ({}): name one",
            target,
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The devices a `streams` argument names, among `devs` (the devices the
/// SMMUs' `streams` files list): a PCI name (`0000:00:02.0`, `00:02.0`),
/// a listed device name, a class device (the nearest device in its sysfs
/// path that is listed, or for a stacked block device the listed devices
/// behind its `multipath/` and `slaves/` links), or a driver (every listed
/// device bound to it).
pub fn stream_devices(sysfs: &Path, target: &str, devs: &[&str]) -> Result<Vec<String>> {
    let listed = |d: &str| devs.contains(&d);
    let none = |d: &str, how: &str| {
        Error::Request(format!(
            "device {}{} has no stream ID on any SMMUv3 the module shows (see \"iommu-scope streams\")",
            d, how
        ))
    };
    if let Some(pci) = pci_name(target) {
        return if listed(&pci) {
            Ok(vec![pci])
        } else {
            Err(none(&pci, ""))
        };
    }
    if listed(target) {
        return Ok(vec![target.to_string()]);
    }
    if let Some(real) = class_device(sysfs, target) {
        if let Some(a) = ancestors(&real).into_iter().find(|a| listed(a)) {
            return Ok(vec![a]);
        }
        // A stacked block device (NVMe multipath head, dm, md): the
        // devices behind it, as for `ptdump`.
        let mut backing = Vec::new();
        backing_devices(&|a| listed(a), &real, 0, &mut backing);
        backing.sort();
        return if backing.is_empty() {
            Err(Error::Request(format!(
                "{} is not behind any device with a stream ID (see \"iommu-scope streams\")",
                target
            )))
        } else {
            Ok(backing)
        };
    }
    let bound = driver_devices(sysfs, target);
    let with: Vec<String> = bound.iter().filter(|d| listed(d)).cloned().collect();
    match (with.is_empty(), bound.is_empty()) {
        (false, _) => Ok(with),
        (true, true) => Err(Error::Request(format!(
            "unknown SMMU or device {:?}: not an SMMU (smmu_<name> directory), a PCI name, a device in {}/class or a driver in {}/bus/*/drivers",
            target,
            sysfs.display(),
            sysfs.display()
        ))),
        (true, false) => Err(none(&bound.join(","), &format!(" (bound to {})", target))),
    }
}
