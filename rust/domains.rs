// SPDX-License-Identifier: GPL-2.0

//! The registry of live IOMMU domains and their debugfs directories.
//!
//! Domains enter the registry when the module loads (the domain of every
//! device on the PCI and platform buses), when the iommu core allocates a
//! paging domain, and when any domain is attached; they leave it when
//! `iommu_domain_free` is entered. Hooks run in atomic context, so
//! directories are created and removed by a work item that reconciles
//! debugfs with the registry.
//!
//! Owns: `DomainEntry` (the only way to reach a domain's memory, under its
//! `alive` lock), the `domain_<id>` directories, the hooks on domain
//! allocation, attach, free and unmap.
//! Must not: format file contents (`domain_files.rs` does), or keep a domain
//! pointer reachable after the free hook has run.

use kernel::{
    bindings,
    debugfs::{Dir, Scope},
    new_mutex, new_spinlock,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex, SpinLock,
    },
    workqueue::{self, impl_has_work, new_work, Work, WorkItem},
    xarray::{AllocKind, XArray},
};

use crate::domain_files;
use crate::ffi;
use crate::fprobe::{Args, EntryData, Fprobe, Handler};

/// Whether a pointer returned by the iommu core is a domain (not NULL and
/// not an `ERR_PTR`).
fn is_domain_ptr(v: usize) -> bool {
    v != 0 && v < (-4095isize) as usize
}

/// One live (or just freed) domain.
///
/// # Invariants
///
/// While `*alive.lock()` is true, `key` is the address of a live
/// `struct iommu_domain`: the free hook sets it to false, under the same
/// lock, before `iommu_domain_free` releases anything.
#[pin_data]
pub(crate) struct DomainEntry {
    key: usize,
    /// Directory name, `domain_<hashed %p>`, NUL-terminated.
    name: [u8; NAME_LEN],
    #[pin]
    alive: SpinLock<bool>,
}

impl DomainEntry {
    fn new(key: usize) -> Result<impl PinInit<Self>> {
        // No allocation: this runs in the hooks' atomic context.
        let mut name = [0u8; NAME_LEN];
        name[..7].copy_from_slice(b"domain_");
        // SAFETY: the buffer after the prefix is writable for the length
        // given; `%p` only hashes the pointer value, it does not dereference
        // it; the helper NUL-terminates.
        unsafe {
            ffi::iommu_scope_hashed_ptr(
                key as *const c_void,
                name[7..].as_mut_ptr().cast(),
                NAME_LEN - 7,
            )
        };
        CStr::from_bytes_until_nul(&name).map_err(|_| EINVAL)?;
        Ok(pin_init!(Self {
            key,
            name,
            alive <- new_spinlock!(true, "iommu_scope::DomainEntry::alive"),
        }))
    }

    /// The directory name, `domain_<hashed %p>`.
    pub(crate) fn name(&self) -> &CStr {
        // The constructor checked the NUL terminator.
        CStr::from_bytes_until_nul(&self.name).unwrap_or(c"domain_?")
    }

    /// Runs `f` with the domain while it is guaranteed alive, or fails with
    /// `ENODEV` if it has been freed. `f` runs under a spinlock: it must not
    /// sleep, and should only copy what it needs.
    pub(crate) fn with_domain<R>(
        &self,
        f: impl FnOnce(*mut bindings::iommu_domain) -> R,
    ) -> Result<R> {
        let alive = self.alive.lock();
        if !*alive {
            return Err(ENODEV);
        }
        // The pointer is live while `alive` is held true (invariant).
        Ok(f(self.key as *mut bindings::iommu_domain))
    }

    /// `__iommu_unmap` calls (started, returned) on domains sharing this
    /// domain's bucket; see `UNMAP_BUCKETS`.
    pub(crate) fn unmap_counts(&self) -> (u64, u64) {
        let b = bucket(self.key);
        (
            UNMAP_STARTED[b].load(Relaxed),
            UNMAP_FINISHED[b].load(Relaxed),
        )
    }

    /// Whether the domain is still live (a hint: it may be freed right after).
    pub(crate) fn is_alive(&self) -> bool {
        *self.alive.lock()
    }
}

/// Number of unmap counter buckets.
const UNMAP_BUCKETS: usize = 256;

/// Unmap calls started / returned, per bucket of domain addresses. The
/// unmap hook runs in any context (softirq and hardirq included), so it
/// takes no lock and looks nothing up: a domain reads its bucket, and a
/// collision can only make a dump be marked inconsistent needlessly.
static UNMAP_STARTED: [Atomic<u64>; UNMAP_BUCKETS] = [const { Atomic::new(0) }; UNMAP_BUCKETS];
static UNMAP_FINISHED: [Atomic<u64>; UNMAP_BUCKETS] = [const { Atomic::new(0) }; UNMAP_BUCKETS];

fn bucket(key: usize) -> usize {
    ((key >> 6) ^ (key >> 14)) % UNMAP_BUCKETS
}

/// Length of a directory name buffer: "domain_" + 16 hex digits + NUL.
const NAME_LEN: usize = 32;

/// Number of recent frees remembered for the load-time scan.
const FREED_RING: usize = 32;

/// Frees seen while the load-time scan may be registering stale pointers.
///
/// # Invariants
///
/// `keys[i % FREED_RING]` is the domain of the `i`-th free, for the last
/// `FREED_RING` values of `i < count`.
struct FreedRing {
    keys: [usize; FREED_RING],
    count: u64,
}

impl FreedRing {
    /// Whether `key` may have been freed since the `since`-th free.
    fn freed_since(&self, since: u64, key: usize) -> bool {
        if self.count - since > FREED_RING as u64 {
            return true; // ring overflowed: be conservative
        }
        (since..self.count).any(|i| self.keys[(i % FREED_RING as u64) as usize] == key)
    }
}

/// A domain's debugfs directory, owning a reference to its entry.
type DomainDir = Pin<KBox<Scope<Arc<DomainEntry>>>>;

/// Counters shown in `status`.
pub(crate) struct RegistryStats {
    pub(crate) registered: Atomic<u64>,
    pub(crate) freed: Atomic<u64>,
    pub(crate) dropped: Atomic<u64>,
    pub(crate) dirs: Atomic<u64>,
}

/// The registry.
///
/// Its locks are only taken in process context: by the load-time scan, the
/// readers, the work item, and the hooks on domain allocation, attach and
/// free, which the iommu core calls with mutexes held (so never from
/// interrupts).
///
/// # Invariants
///
/// `domains` maps the address of every registered live domain to its entry.
/// Every entry whose state changed since the last reconcile is in `pending`,
/// and the work item is queued. Once `stopping` is set no hook runs any more
/// (they are unregistered first) and the work item does nothing.
#[pin_data]
pub(crate) struct Registry {
    #[pin]
    domains: XArray<Arc<DomainEntry>>,
    #[pin]
    freed: SpinLock<FreedRing>,
    #[pin]
    pending: SpinLock<KVec<Arc<DomainEntry>>>,
    #[pin]
    dirs: Mutex<KVec<DomainDir>>,
    root: Dir,
    stopping: Atomic<bool>,
    pub(crate) stats: RegistryStats,
    #[pin]
    work: Work<Registry>,
}

impl_has_work! {
    impl HasWork<Self> for Registry { self.work }
}

impl WorkItem for Registry {
    type Pointer = Arc<Registry>;

    fn run(this: Arc<Registry>) {
        this.reconcile();
    }
}

impl Registry {
    /// A registry whose directories go under `root`.
    pub(crate) fn new(root: Dir) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                domains <- XArray::new(AllocKind::Alloc),
                freed <- new_spinlock!(FreedRing { keys: [0; FREED_RING], count: 0 }),
                pending <- new_spinlock!(KVec::new()),
                dirs <- new_mutex!(KVec::new()),
                root,
                stopping: Atomic::new(false),
                stats: RegistryStats {
                    registered: Atomic::new(0),
                    freed: Atomic::new(0),
                    dropped: Atomic::new(0),
                    dirs: Atomic::new(0),
                },
                work <- new_work!("iommu_scope::Registry::work"),
            }),
            GFP_KERNEL,
        )
    }

    fn kick(self: &Arc<Self>) {
        if !self.stopping.load(Relaxed) {
            // Already queued is fine: the run will see everything pending.
            let _ = workqueue::system().enqueue(self.clone());
        }
    }

    /// Registers the domain at `d` (atomic context allowed). Domains that
    /// are not paging or SVA domains are ignored. With `since_free`, the
    /// registration is skipped if the domain was freed after that many frees
    /// (the load-time scan reads pointers it cannot pin).
    pub(crate) fn note(self: &Arc<Self>, d: usize, since_free: Option<u64>) {
        if !is_domain_ptr(d) {
            return;
        }
        // SAFETY: `d` is a live domain: the callers are the allocation hook
        // (at return, before anyone can free it), attach hooks (attach
        // holds it), and the load-time scan, whose possibly stale pointer is
        // only read after the freed-ring check below.
        let ty = |d: usize| unsafe { (*(d as *const bindings::iommu_domain)).type_ };
        let mut xa = self.domains.lock();
        if xa.get(d).is_some() {
            return;
        }
        if let Some(since) = since_free {
            if self.freed.lock().freed_since(since, d) {
                return;
            }
        }
        let t = ty(d);
        if t & bindings::__IOMMU_DOMAIN_PAGING == 0 && t != bindings::IOMMU_DOMAIN_SVA {
            return;
        }
        let entry = match DomainEntry::new(d).and_then(|i| Arc::pin_init(i, GFP_ATOMIC)) {
            Ok(e) => e,
            Err(_) => {
                self.stats.dropped.add(1, Relaxed);
                return;
            }
        };
        if xa.store(d, entry.clone(), GFP_ATOMIC).is_err() {
            self.stats.dropped.add(1, Relaxed);
            return;
        }
        drop(xa);
        self.stats.registered.add(1, Relaxed);
        if self.pending.lock().push(entry, GFP_ATOMIC).is_err() {
            self.stats.dropped.add(1, Relaxed);
        }
        self.kick();
    }

    /// The domain at `d` is being freed (atomic context allowed).
    fn forget(self: &Arc<Self>, d: usize) {
        let mut xa = self.domains.lock();
        {
            let mut ring = self.freed.lock();
            let i = (ring.count % FREED_RING as u64) as usize;
            ring.keys[i] = d;
            ring.count += 1;
        }
        let entry = xa.remove(d);
        drop(xa);
        if let Some(e) = entry {
            *e.alive.lock() = false;
            self.stats.freed.add(1, Relaxed);
            if self.pending.lock().push(e, GFP_ATOMIC).is_err() {
                self.stats.dropped.add(1, Relaxed);
            }
            self.kick();
        }
    }

    /// The number of frees so far, for `note(.., Some(since))`.
    pub(crate) fn frees_so_far(&self) -> u64 {
        self.freed.lock().count
    }

    /// Brings debugfs in line with the registry (process context).
    fn reconcile(&self) {
        if self.stopping.load(Relaxed) {
            return;
        }
        let mut changed = KVec::new();
        core::mem::swap(&mut changed, &mut *self.pending.lock());
        let mut dirs = self.dirs.lock();
        // Remove directories of freed domains (this waits for readers).
        dirs.retain(|s| s.is_alive());
        for e in changed.into_iter() {
            if !e.is_alive() || dirs.iter().any(|s| Arc::ptr_eq(&**s, &e)) {
                continue;
            }
            let scope = self.root.scope(e.clone(), e.name(), |d, dir| {
                domain_files::create(d, dir);
            });
            match KBox::pin_init(scope, GFP_KERNEL) {
                Ok(s) => {
                    if dirs.push(s, GFP_KERNEL).is_err() {
                        self.stats.dropped.add(1, Relaxed);
                    }
                }
                Err(_) => self.stats.dropped.add(1, Relaxed),
            }
        }
        self.stats.dirs.store(dirs.len() as u64, Relaxed);
    }

    /// Scans the devices on the PCI and platform buses and registers the
    /// domain each is attached to.
    pub(crate) fn scan_devices(self: &Arc<Self>) {
        struct Ctx<'a> {
            reg: &'a Arc<Registry>,
        }
        /// # Safety
        ///
        /// Called by the bus iterator with a live `dev` and `data` pointing
        /// to the `Ctx` below.
        unsafe extern "C" fn one(dev: *mut bindings::device, data: *mut c_void) -> c_int {
            // SAFETY: `data` is the `Ctx` of `scan_devices`, alive during
            // the walk.
            let ctx = unsafe { &*data.cast::<Ctx<'_>>() };
            // SAFETY: `dev` is live during the callback.
            if unsafe { (*dev).iommu_group }.is_null() {
                return 0;
            }
            let since = ctx.reg.frees_so_far();
            // SAFETY: `dev` is live; the call only reads its group's domain.
            let d = unsafe { bindings::iommu_get_domain_for_dev(dev) } as usize;
            ctx.reg.note(d, Some(since));
            0
        }
        let ctx = Ctx { reg: self };
        // SAFETY: `one` matches the callback contract; `ctx` outlives the
        // walk.
        unsafe { ffi::iommu_scope_walk_devs(Some(one), (&raw const ctx).cast_mut().cast()) };
    }

    /// Waits until the directories of every domain registered so far exist.
    pub(crate) fn flush(&self) {
        // SAFETY: `work` is an initialised, pinned work item inside `self`.
        unsafe { bindings::flush_work(Work::raw_get(&self.work)) };
    }

    /// Calls `f` with every registered domain that is still alive, under its
    /// lock (`f` must not sleep).
    pub(crate) fn for_each_live(
        &self,
        mut f: impl FnMut(&DomainEntry, *mut bindings::iommu_domain),
    ) {
        let dirs = self.dirs.lock();
        for s in dirs.iter() {
            let e: &DomainEntry = s;
            let _ = e.with_domain(|d| f(e, d));
        }
    }

    /// Waits for the work item and stops it. Called after every hook that
    /// could queue it is unregistered.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Relaxed);
        // SAFETY: `work` is an initialised, pinned work item inside `self`;
        // `flush_work` waits for a queued or running instance to finish.
        unsafe { bindings::flush_work(Work::raw_get(&self.work)) };
        // Remove every directory now (waits for readers of their files).
        self.dirs.lock().clear();
    }
}

/// `domain = __iommu_paging_domain_alloc_flags(...)`: register at return.
struct AllocHook(Arc<Registry>);

impl Handler for AllocHook {
    const WANTS_EXIT: bool = true;
    fn entry(&self, _args: &Args) -> EntryData {
        [0; 4]
    }
    fn exit(&self, _v: &EntryData, ret: usize) {
        self.0.note(ret, None);
    }
}

/// Attach functions: register the domain found in argument `.1`.
struct AttachHook(Arc<Registry>, u32);

impl Handler for AttachHook {
    fn entry(&self, args: &Args) -> EntryData {
        self.0.note(args.arg(self.1), None);
        [0; 4]
    }
}

/// `iommu_domain_free(domain)`: forget it before it is released.
struct FreeHook(Arc<Registry>);

impl Handler for FreeHook {
    fn entry(&self, args: &Args) -> EntryData {
        self.0.forget(args.arg(0));
        [0; 4]
    }
}

/// `__iommu_unmap(domain, ...)`: counts unmaps in flight per bucket of
/// domains, so a dump can tell whether it may have raced with one. Runs in
/// any context: lock-free.
struct UnmapHook;

impl Handler for UnmapHook {
    const WANTS_EXIT: bool = true;
    fn entry(&self, args: &Args) -> EntryData {
        let b = bucket(args.arg(0));
        UNMAP_STARTED[b].add(1, Relaxed);
        [b, 0, 0, 0]
    }
    fn exit(&self, e: &EntryData, _ret: usize) {
        let b = e[0];
        if b < UNMAP_BUCKETS {
            UNMAP_FINISHED[b].add(1, Relaxed);
        }
    }
}

/// One hook: the function, and the probe if it could be installed.
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

/// A pinned fprobe, type-erased for `HookSlot`.
struct Pinned<H: Handler>(Pin<KBox<Fprobe<H>>>);

impl<H: Handler> HookProbe for Pinned<H> {
    fn missed(&self) -> u64 {
        self.0.missed()
    }
}

fn install<H: Handler>(func: &'static CStr, what: &'static str, h: H) -> HookSlot {
    let probe = KBox::pin_init(Fprobe::new(func, h), GFP_KERNEL)
        .and_then(|p| KBox::new(Pinned(p), GFP_KERNEL).map_err(Error::from))
        .map(|b| -> KBox<dyn HookProbe> { b });
    if let Err(e) = &probe {
        pr_warn!(
            "{}: cannot probe {} (error {}); {} unavailable\n",
            "io_page_tables",
            func.to_str().unwrap_or("?"),
            e.to_errno(),
            what
        );
    }
    HookSlot { func, what, probe }
}

/// The hooks of the page-table dump feature.
pub(crate) fn install_hooks(reg: &Arc<Registry>) -> Result<KVec<HookSlot>> {
    let mut v = KVec::new();
    v.push(
        install(
            c"iommu_domain_free",
            "domain free tracking",
            FreeHook(reg.clone()),
        ),
        GFP_KERNEL,
    )?;
    v.push(
        install(
            c"__iommu_paging_domain_alloc_flags",
            "new domain discovery at allocation",
            AllocHook(reg.clone()),
        ),
        GFP_KERNEL,
    )?;
    for (f, arg) in [
        (c"__iommu_attach_group", 0u32),
        (c"__iommu_group_set_domain_internal", 1),
        (c"iommu_attach_device_pasid", 0),
        (c"iommu_attach_group_handle", 0),
        (c"iommu_replace_group_handle", 1),
    ] {
        v.push(
            install(
                f,
                "domain discovery at attach",
                AttachHook(reg.clone(), arg),
            ),
            GFP_KERNEL,
        )?;
    }
    v.push(
        install(c"__iommu_unmap", "dump consistency marks", UnmapHook),
        GFP_KERNEL,
    )?;
    Ok(v)
}
