// SPDX-License-Identifier: GPL-2.0

//! iommu-scope: makes the IOMMU of arm64 hosts (SMMUv3) observable.
//!
//! Owns: the module entry points, the `io_page_tables` debugfs root and the
//! order in which features are started and stopped.
//! Must not: implement a feature itself; each feature has its own file.

use kernel::{
    debugfs::{Dir, File},
    prelude::*,
};

mod accounting;
mod accounting_files;
mod accounting_kunit;
mod domain_files;
mod domains;
mod evtq;
mod ffi;
mod fprobe;
mod genpt_kunit;
mod iommu;
mod iopf;
#[cfg(CONFIG_KUNIT = "y")]
mod kunit_util;
mod leaks;
mod pagecount;
mod ptdump_kunit;
mod pure;
mod selftest;
mod status;
mod trace;

module! {
    type: IommuScope,
    name: "iommu_scope",
    authors: ["iommu-scope developers"],
    description: "IOMMU (SMMUv3) observability: page-table dumps, DMA accounting, event tracing",
    license: "GPL",
}

/// The loaded module.
///
/// # Invariants
///
/// Fields drop in declaration order: the files that read feature state go
/// first, then the hooks (unregistered and waited for), then the root
/// directory.
struct IommuScope {
    _files: KVec<DebugFile>,
    _lookup: Pin<KBox<File<accounting_files::LookupState>>>,
    _iopf_dir: Dir,
    _status: Pin<KBox<File<status::Status>>>,
    _root: Dir,
}

/// A stateless debugfs file of the module.
type DebugFile = Pin<KBox<File<()>>>;

/// A read-only file shown by `f` (it reads the features' global state).
fn ro<F>(dir: &Dir, name: &'static CStr, f: &'static F) -> Result<DebugFile>
where
    F: Fn(&(), &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result + Send + Sync,
{
    KBox::pin_init(dir.read_callback_file(name, (), f), GFP_KERNEL)
}

/// A write-only file handled by `w`.
fn wo<W>(dir: &Dir, name: &'static CStr, w: &'static W) -> Result<DebugFile>
where
    W: Fn(&(), &mut kernel::uaccess::UserSliceReader) -> Result + Send + Sync,
{
    KBox::pin_init(dir.write_callback_file(name, (), w), GFP_KERNEL)
}

impl kernel::Module for IommuScope {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let root = Dir::new(c"io_page_tables");
        let status = KBox::pin_init(
            root.read_callback_file(c"status", status::Status::new(&root), &status::Status::show),
            GFP_KERNEL,
        )?;
        let lookup = KBox::pin_init(
            root.read_write_callback_file(
                c"lookup",
                kernel::new_mutex!(None),
                &accounting_files::show_lookup,
                &accounting_files::write_lookup,
            ),
            GFP_KERNEL,
        )?;
        let iopf_dir = root.subdir(c"iopf");
        let mut files = KVec::new();
        files.push(
            ro(&root, c"accounting", &accounting_files::show_accounting)?,
            GFP_KERNEL,
        )?;
        files.push(
            ro(&root, c"pages", &accounting_files::show_pages)?,
            GFP_KERNEL,
        )?;
        files.push(ro(&root, c"leaks", &leaks::show_leaks)?, GFP_KERNEL)?;
        files.push(wo(&root, c"reset", &leaks::write_reset)?, GFP_KERNEL)?;
        files.push(ro(&iopf_dir, c"devices", &iopf::show_devices)?, GFP_KERNEL)?;
        files.push(ro(&iopf_dir, c"pasids", &iopf::show_pasids)?, GFP_KERNEL)?;
        files.push(
            ro(&iopf_dir, c"processes", &iopf::show_processes)?,
            GFP_KERNEL,
        )?;
        files.push(wo(&iopf_dir, c"reset", &iopf::write_reset)?, GFP_KERNEL)?;
        pr_info!("loaded; debugfs: /sys/kernel/debug/io_page_tables/\n");
        Ok(Self {
            _files: files,
            _lookup: lookup,
            _iopf_dir: iopf_dir,
            _status: status,
            _root: root,
        })
    }
}

impl Drop for IommuScope {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
