// SPDX-License-Identifier: GPL-2.0

//! The hooks that keep the domain registry current: domain allocation,
//! attach (five entry points of the iommu core), free, and unmap (for the
//! dumps' consistency marks) when the accounting feature does not run: one
//! probe per kernel function, so with accounting its unmap probe counts
//! the unmaps in flight too.
//!
//! Owns: which kernel functions are probed for the page-table dumps and
//! what each hook hands to the registry. Must not: touch debugfs (the
//! registry's work item does) or sleep (handlers run with preemption off).

use kernel::{prelude::*, sync::Arc};

use super::registry::{Registry, UnmapCounters, UNMAP_BUCKETS};
use crate::sys::domain::Domain;
use crate::sys::fprobe::{Args, EntryData, Fprobe, Handler};

/// `domain = __iommu_paging_domain_alloc_flags(...)`: register at return.
struct AllocHook(Arc<Registry>);

impl Handler for AllocHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, _args: &Args) -> EntryData {
        [0; 4]
    }

    fn exit(&self, _v: &EntryData, ret: usize) {
        // SAFETY: the allocator just returned this domain (or an ERR_PTR /
        // NULL, which give `None`); nobody can have freed it yet.
        if let Some(d) = unsafe { Domain::from_raw(ret as *mut _) } {
            self.0.note(d);
        }
    }
}

/// Attach functions: register the domain found in argument `.1`.
struct AttachHook(Arc<Registry>, u32);

impl Handler for AttachHook {
    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: argument `.1` of each attach function hooked below is the
        // domain being attached, which the caller holds for the call.
        if let Some(d) = unsafe { args.domain(self.1) } {
            self.0.note(d);
        }
        [0; 4]
    }
}

/// `iommu_domain_free(domain)`: forget it before it is released.
struct FreeHook(Arc<Registry>);

impl Handler for FreeHook {
    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: `iommu_domain_free` releases its argument only after this
        // entry handler returns.
        if let Some(d) = unsafe { args.domain(0) } {
            self.0.forget(d.key());
        }
        [0; 4]
    }
}

/// `__iommu_unmap(domain, ...)`: counts unmaps in flight per bucket of
/// domains, so a dump can tell whether it may have raced with one. Runs in
/// any context: lock-free.
struct UnmapHook(Arc<UnmapCounters>);

impl Handler for UnmapHook {
    const WANTS_EXIT: bool = true;

    fn entry(&self, args: &Args) -> EntryData {
        // SAFETY: the iommu core holds the domain it unmaps from for the
        // call.
        match unsafe { args.domain(0) } {
            Some(d) => [self.0.started(d.key()), 0, 0, 0],
            None => [UNMAP_BUCKETS, 0, 0, 0],
        }
    }

    fn exit(&self, e: &EntryData, _ret: usize) {
        self.0.finished(e[0]);
    }
}

/// One hook: the function, what it is for, and the probe if it could be
/// installed.
pub(crate) struct HookSlot {
    pub(crate) func: &'static CStr,
    pub(crate) what: &'static str,
    pub(crate) probe: Result<KBox<dyn HookProbe>>,
}

/// A registered probe of any handler type.
pub(crate) trait HookProbe: Send + Sync {
    /// Hits the fprobe could not deliver.
    fn missed(&self) -> u64;
}

impl<H: Handler> HookProbe for Pin<KBox<Fprobe<H>>> {
    fn missed(&self) -> u64 {
        Fprobe::missed(self)
    }
}

/// Installs `h` on `func`; a failure is said once in the kernel log and
/// kept in the slot for `status`.
pub(crate) fn install<H: Handler>(
    feature: &str,
    func: &'static CStr,
    what: &'static str,
    h: H,
) -> HookSlot {
    let probe = KBox::pin_init(Fprobe::new(func, h), GFP_KERNEL)
        .and_then(|p| KBox::new(p, GFP_KERNEL).map_err(Error::from))
        .map(|b| -> KBox<dyn HookProbe> { b });
    if let Err(e) = &probe {
        pr_warn!(
            "{}: cannot probe {} (error {}); {} unavailable\n",
            feature,
            func.to_str().unwrap_or("?"),
            e.to_errno(),
            what
        );
    }
    HookSlot { func, what, probe }
}

/// Writes one `probe <function>: ...` line of `status` per hook.
pub(crate) fn write_status(
    f: &mut kernel::fmt::Formatter<'_>,
    hooks: &[HookSlot],
) -> kernel::fmt::Result {
    for h in hooks {
        let func = h.func.to_str().unwrap_or("?");
        match &h.probe {
            Ok(p) => writeln!(
                f,
                "probe {}: active ({}) missed={}",
                func,
                h.what,
                p.missed()
            )?,
            Err(e) => writeln!(
                f,
                "probe {}: unavailable ({}) error={}",
                func,
                h.what,
                e.to_errno()
            )?,
        }
    }
    Ok(())
}

/// The hooks of the page-table dump feature; the first is the free hook,
/// without which no directory may exist.
pub(crate) fn install_all(reg: &Arc<Registry>) -> Result<KVec<HookSlot>> {
    const F: &str = "io_page_tables";
    let mut v = KVec::new();
    v.push(
        install(
            F,
            c"iommu_domain_free",
            "domain free tracking",
            FreeHook(reg.clone()),
        ),
        GFP_KERNEL,
    )?;
    v.push(
        install(
            F,
            c"__iommu_paging_domain_alloc_flags",
            "new domain discovery at allocation",
            AllocHook(reg.clone()),
        ),
        GFP_KERNEL,
    )?;
    for (func, arg) in [
        (c"__iommu_attach_group", 0u32),
        (c"__iommu_group_set_domain_internal", 1),
        (c"iommu_attach_device_pasid", 0),
        (c"iommu_attach_group_handle", 0),
        (c"iommu_replace_group_handle", 1),
    ] {
        v.push(
            install(
                F,
                func,
                "domain discovery at attach",
                AttachHook(reg.clone(), arg),
            ),
            GFP_KERNEL,
        )?;
    }
    Ok(v)
}

/// The unmap hook of the dumps' consistency marks, for a module whose
/// accounting (whose unmap probe counts them otherwise) does not run.
pub(crate) fn install_unmap(reg: &Arc<Registry>) -> HookSlot {
    let unmap = install(
        "io_page_tables",
        c"__iommu_unmap",
        "dump consistency marks",
        UnmapHook(reg.unmaps.clone()),
    );
    if unmap.probe.is_ok() {
        reg.unmaps.set_tracking();
    }
    unmap
}
