// SPDX-License-Identifier: GPL-2.0

//! iommu-scope: makes the IOMMU of arm64 hosts (SMMUv3) observable.
//!
//! Owns: the module entry points, the `io_page_tables` debugfs root and the
//! order in which features are started and stopped.
//! Must not: implement a feature itself; each feature has its own file.

use kernel::{debugfs::Dir, prelude::*};

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
    _accounting: Pin<KBox<kernel::debugfs::File<()>>>,
    _lookup: Pin<KBox<kernel::debugfs::File<accounting_files::LookupState>>>,
    _pages: Pin<KBox<kernel::debugfs::File<()>>>,
    _iopf_files: KVec<Pin<KBox<kernel::debugfs::File<()>>>>,
    _iopf_dir: Dir,
    _leaks: Pin<KBox<kernel::debugfs::File<()>>>,
    _reset: Pin<KBox<kernel::debugfs::File<()>>>,
    _status: Pin<KBox<kernel::debugfs::File<status::Status>>>,
    _root: Dir,
}

impl kernel::Module for IommuScope {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let root = Dir::new(c"io_page_tables");
        let status = KBox::pin_init(
            root.read_callback_file(c"status", status::Status::new(&root), &status::Status::show),
            GFP_KERNEL,
        )?;
        let accounting = KBox::pin_init(
            root.read_callback_file(c"accounting", (), &accounting_files::show_accounting),
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
        let pages = KBox::pin_init(
            root.read_callback_file(c"pages", (), &accounting_files::show_pages),
            GFP_KERNEL,
        )?;
        let leaks = KBox::pin_init(
            root.read_callback_file(c"leaks", (), &leaks::show_leaks),
            GFP_KERNEL,
        )?;
        let reset = KBox::pin_init(
            root.write_callback_file(c"reset", (), &leaks::write_reset),
            GFP_KERNEL,
        )?;
        let iopf_dir = root.subdir(c"iopf");
        let mut iopf_files = KVec::new();
        iopf_files.push(
            KBox::pin_init(
                iopf_dir.read_callback_file(c"devices", (), &iopf::show_devices),
                GFP_KERNEL,
            )?,
            GFP_KERNEL,
        )?;
        iopf_files.push(
            KBox::pin_init(
                iopf_dir.read_callback_file(c"pasids", (), &iopf::show_pasids),
                GFP_KERNEL,
            )?,
            GFP_KERNEL,
        )?;
        iopf_files.push(
            KBox::pin_init(
                iopf_dir.read_callback_file(c"processes", (), &iopf::show_processes),
                GFP_KERNEL,
            )?,
            GFP_KERNEL,
        )?;
        iopf_files.push(
            KBox::pin_init(
                iopf_dir.write_callback_file(c"reset", (), &iopf::write_reset),
                GFP_KERNEL,
            )?,
            GFP_KERNEL,
        )?;
        pr_info!("loaded; debugfs: /sys/kernel/debug/io_page_tables/\n");
        Ok(Self {
            _iopf_files: iopf_files,
            _iopf_dir: iopf_dir,
            _leaks: leaks,
            _reset: reset,
            _accounting: accounting,
            _lookup: lookup,
            _pages: pages,
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
