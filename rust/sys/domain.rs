// SPDX-License-Identifier: GPL-2.0

//! IOMMU domains as the module sees them
//! ([`include/linux/iommu.h`](srctree/include/linux/iommu.h)): a `Domain`
//! handle that only exists where the domain is known to be alive, and the
//! plain records `c/smmu_v3.c` and `c/generic_pt.c` copy out of a domain
//! (its SMMUv3 or generic_pt page table, its attached devices).
//!
//! Owns: every read of a `struct iommu_domain`. Must not: keep a domain
//! pointer beyond the borrow it was handed for, modify a domain, or give a
//! kernel virtual address to anything that prints (`DomainKey` has no
//! `Display`; directory names use the hashed `%p` value).

use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Release},
};

use super::ffi;
use crate::pure::genpt::{Format, PtGeometry};
use crate::pure::lpae::{Geometry, Stage};
use crate::pure::table::{AnyLayout, Table};

/// The identity of a domain: its address, as a number. Used to find a
/// registered domain again; never dereferenced by itself and never shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DomainKey(usize);

impl DomainKey {
    /// The key as an index (for an `XArray`).
    pub(crate) fn index(self) -> usize {
        self.0
    }

    /// One of `n` buckets, spread over the bits that differ between
    /// domains (slab objects are at least 64-byte aligned).
    pub(crate) fn bucket(self, n: usize) -> usize {
        ((self.0 >> 6) ^ (self.0 >> 14)) % n.max(1)
    }

    /// The key of a registered domain, from `index`.
    pub(crate) fn from_index(index: usize) -> Self {
        Self(index)
    }

    /// Copies up to `out.len()` of the devices attached to the domain
    /// `self` (arm-smmu-v3's list of its masters); returns how many are
    /// attached (possibly more than copied). The domain is only read while
    /// an iommu group it is attached to is locked, which keeps it alive, so
    /// the key may be stale: `NotAttached` then, and also for a domain
    /// attached to PASIDs only. Process context (takes group mutexes and
    /// walks the buses).
    pub(crate) fn masters(self, out: &mut [Master]) -> core::result::Result<usize, Masters> {
        let max = i32::try_from(out.len()).unwrap_or(i32::MAX);
        // SAFETY: `out` has room for `max` records (`Master` is a
        // transparent wrapper of the record); the helper dereferences the
        // key only under the mutex of a group attached to it.
        let n = unsafe {
            ffi::iommu_scope_domain_masters_by_group(
                self.0 as *mut bindings::iommu_domain,
                out.as_mut_ptr().cast(),
                max,
            )
        };
        match usize::try_from(n) {
            Ok(n) => Ok(n),
            Err(_) if n == -(bindings::ENODEV as i32) => Err(Masters::NotSmmu),
            Err(_) => Err(Masters::NotAttached),
        }
    }

    /// The debugfs directory name of the domain: `domain_` and the hashed
    /// value `%p` prints for its address (never the address itself).
    pub(crate) fn dir_name(self) -> DirName {
        let mut name = [0u8; DIR_NAME_LEN];
        name[..7].copy_from_slice(b"domain_");
        // SAFETY: the buffer after the prefix is writable for the length
        // given; `%p` only hashes the pointer value, it does not dereference
        // it; the helper NUL-terminates.
        unsafe {
            ffi::iommu_scope_hashed_ptr(
                self.0 as *const core::ffi::c_void,
                name[7..].as_mut_ptr().cast(),
                DIR_NAME_LEN - 7,
            )
        };
        // INVARIANT: the helper NUL-terminated within the buffer.
        DirName(name)
    }
}

/// Why `DomainKey::masters` has no list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Masters {
    /// arm-smmu-v3 did not allocate the domain.
    NotSmmu,
    /// No iommu group has the domain attached (freed, or PASIDs only).
    NotAttached,
}

/// A live `struct iommu_domain`, borrowed for `'a`.
///
/// # Invariants
///
/// `ptr` points to a `struct iommu_domain` that stays allocated for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Domain<'a> {
    ptr: NonNull<bindings::iommu_domain>,
    _life: PhantomData<&'a bindings::iommu_domain>,
}

/// Domain types, as the iommu core names them (`IOMMU_DOMAIN_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DomainType {
    /// Blocks all DMA.
    Blocked,
    /// DMA addresses are physical addresses.
    Identity,
    /// Managed by a driver or iommufd.
    Unmanaged,
    /// DMA API, strict invalidation.
    Dma,
    /// DMA API, flush queue.
    DmaFq,
    /// Shared with a process's page table.
    Sva,
    /// Driver-internal platform domain.
    Platform,
    /// Nested (stage 1 on a parent).
    Nested,
    /// Anything else.
    Other,
}

impl DomainType {
    /// The name shown in `info`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            DomainType::Blocked => "blocked",
            DomainType::Identity => "identity",
            DomainType::Unmanaged => "unmanaged",
            DomainType::Dma => "DMA",
            DomainType::DmaFq => "DMA-FQ",
            DomainType::Sva => "SVA",
            DomainType::Platform => "platform",
            DomainType::Nested => "nested",
            DomainType::Other => "other",
        }
    }
}

impl<'a> Domain<'a> {
    /// A handle on the domain at `ptr`; `None` for `NULL` or an `ERR_PTR`.
    ///
    /// # Safety
    ///
    /// Unless it is `NULL` or an `ERR_PTR`, `ptr` must point to a
    /// `struct iommu_domain` that stays allocated for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::iommu_domain) -> Option<Self> {
        let ptr = kernel::error::from_err_ptr(ptr).ok()?;
        // INVARIANT: not NULL, and alive for `'a` (caller's contract).
        Some(Self {
            ptr: NonNull::new(ptr)?,
            _life: PhantomData,
        })
    }

    /// A handle on the domain whose key is `key`.
    ///
    /// # Safety
    ///
    /// The domain `key` was taken from must still be allocated, and stay so
    /// for `'a`.
    pub(crate) unsafe fn from_key(key: DomainKey) -> Option<Self> {
        // SAFETY: the key is the address of a domain alive for `'a`
        // (caller's contract).
        unsafe { Self::from_raw(key.0 as *mut bindings::iommu_domain) }
    }

    fn raw(&self) -> *mut bindings::iommu_domain {
        self.ptr.as_ptr()
    }

    /// The domain's identity.
    pub(crate) fn key(&self) -> DomainKey {
        DomainKey(self.ptr.as_ptr() as usize)
    }

    fn type_bits(&self) -> u32 {
        // SAFETY: the domain is alive (type invariant); `type` is set at
        // allocation and never changes.
        unsafe { (*self.raw()).type_ }
    }

    /// The domain's type.
    pub(crate) fn domain_type(&self) -> DomainType {
        match self.type_bits() {
            bindings::IOMMU_DOMAIN_BLOCKED => DomainType::Blocked,
            bindings::IOMMU_DOMAIN_IDENTITY => DomainType::Identity,
            bindings::IOMMU_DOMAIN_UNMANAGED => DomainType::Unmanaged,
            bindings::IOMMU_DOMAIN_DMA => DomainType::Dma,
            bindings::IOMMU_DOMAIN_DMA_FQ => DomainType::DmaFq,
            bindings::IOMMU_DOMAIN_SVA => DomainType::Sva,
            bindings::IOMMU_DOMAIN_PLATFORM => DomainType::Platform,
            bindings::IOMMU_DOMAIN_NESTED => DomainType::Nested,
            _ => DomainType::Other,
        }
    }

    /// Whether the domain is a paging domain (the iommu core maps into it).
    pub(crate) fn is_paging(&self) -> bool {
        self.type_bits() & bindings::__IOMMU_DOMAIN_PAGING != 0
    }

    /// Whether the module can read the domain's table if it is a paging
    /// domain; a paging domain it cannot read is remembered for
    /// `unreadable_seen` (any context: no lock, no allocation).
    pub(crate) fn check_readable(&self) -> bool {
        if self.is_paging() && self.table().is_none() {
            UNREADABLE_SEEN.store(true, Release);
            return false;
        }
        true
    }

    /// Whether the domain translates through a page table (paging) or a
    /// process's (SVA): the domains the module shows.
    pub(crate) fn has_translations(&self) -> bool {
        let t = self.type_bits();
        t & bindings::__IOMMU_DOMAIN_PAGING != 0 || t == bindings::IOMMU_DOMAIN_SVA
    }

    /// The page sizes the domain supports.
    pub(crate) fn pgsize_bitmap(&self) -> u64 {
        // SAFETY: the domain is alive (type invariant); a plain read.
        unsafe { (*self.raw()).pgsize_bitmap as u64 }
    }

    /// The SMMUv3 view of the domain, if arm-smmu-v3 allocated it.
    pub(crate) fn smmu(&self) -> Option<SmmuDomain> {
        let mut rec = ffi::iommu_scope_smmu_domain::default();
        // SAFETY: the domain is alive (type invariant); the helper checks
        // that arm-smmu-v3 owns it before reading the driver's structures,
        // and only copies numbers and names into `rec`.
        let r = unsafe { ffi::iommu_scope_smmu_domain_get(self.raw(), &mut rec) };
        (r == 0).then_some(SmmuDomain(rec))
    }

    /// The geometry and root of the arm-smmu-v3 io-pgtable of the domain:
    /// what `table` needs in the hooks, from a record of a few numbers (no
    /// names copied). `None` for another driver's domain or one without
    /// an io-pgtable; `Some(None)` for a table this code does not walk.
    fn smmu_pgtbl(&self) -> Option<Option<Table>> {
        let mut rec = ffi::iommu_scope_smmu_pgtbl::default();
        // SAFETY: the domain is alive (type invariant); the helper checks
        // that arm-smmu-v3 owns it before reading the driver's structures,
        // and only writes numbers into `rec`.
        let r = unsafe { ffi::iommu_scope_smmu_domain_pgtbl(self.raw(), &mut rec) };
        if r != 0 {
            return None;
        }
        let Ok(stage) = lpae_stage(rec.fmt) else {
            return Some(None);
        };
        let g = Geometry::programmed(
            stage,
            rec.pgsize_bitmap,
            rec.ias,
            rec.oas,
            rec.tcr_tsz,
            rec.vtcr_sl,
        );
        Some(g.ok().map(|g| Table {
            layout: AnyLayout::Lpae(g),
            root_pa: rec.root_pa,
        }))
    }

    /// The physical address `iova` translates to, as the driver looks it up
    /// (`iommu_iova_to_phys`); 0 if it does not translate (or to 0).
    ///
    /// # Safety
    ///
    /// No table that translates `iova` may be freed during the call: true
    /// for the range an unmap covers, at the entry of `__iommu_unmap`
    /// (only an operation on a range frees the tables under it). The
    /// driver's `iova_to_phys` must take no lock, since the caller may be a
    /// hook in any context: true of the tables this module reads
    /// (io-pgtable-arm's and generic_pt's are lockless walks), and the
    /// kernel's own `iommu_debug_unmap_begin` calls it at the same point
    /// for every domain.
    pub(crate) unsafe fn iova_to_phys(&self, iova: u64) -> u64 {
        let Ok(iova) = usize::try_from(iova) else {
            return 0;
        };
        // SAFETY: the domain is alive (type invariant), and its tables for
        // `iova` stay (caller's contract), as `iommu_debug_unmap_begin`
        // relies on at the same point.
        unsafe { ffi::iommu_scope_iova_to_phys(self.raw(), iova as kernel::ffi::c_ulong) }
    }

    /// The generic_pt view of the domain, if it uses a generic_pt table.
    pub(crate) fn generic_pt(&self) -> Option<PtDomain> {
        let mut rec = ffi::iommu_scope_pt_domain::default();
        // SAFETY: the domain is alive (type invariant); the helper only
        // reads a `pt_iommu` domain's top-of-table word and fails with
        // -ENODEV for any other domain.
        let r = unsafe { ffi::iommu_scope_pt_domain_get(self.raw(), &mut rec) };
        (r == 0).then_some(PtDomain(rec))
    }

    /// The domain's page table, if it has one the module can walk. Reads
    /// no lock: any context.
    pub(crate) fn table(&self) -> Option<Table> {
        // arm-smmu-v3's io-pgtable first: the domains the hooks see most.
        if let Some(t) = self.smmu_pgtbl() {
            return t;
        }
        let p = self.generic_pt()?;
        p.geometry().map(|g| Table {
            layout: AnyLayout::Pt(g),
            root_pa: p.root_pa(),
        })
    }
}

/// The stage of an io-pgtable-arm LPAE format; `Err(fmt)` for another.
fn lpae_stage(fmt: u32) -> core::result::Result<Stage, u32> {
    match fmt {
        bindings::io_pgtable_fmt_ARM_64_LPAE_S1 => Ok(Stage::S1),
        bindings::io_pgtable_fmt_ARM_64_LPAE_S2 => Ok(Stage::S2),
        f => Err(f),
    }
}

/// A paging domain whose table the module cannot read was seen by
/// `Domain::check_readable` (sticky, for this load of the module).
static UNREADABLE_SEEN: Atomic<bool> = Atomic::new(false);

/// Whether a paging domain whose table the module cannot read was seen
/// (any context: one load).
pub(crate) fn unreadable_seen() -> bool {
    UNREADABLE_SEEN.load(Acquire)
}

/// Length of a directory name buffer: "domain_" + 16 hex digits + NUL.
const DIR_NAME_LEN: usize = 32;

/// A `domain_<hashed id>` directory name.
///
/// # Invariants
///
/// The buffer holds a NUL within its length.
#[derive(Clone, Copy)]
pub(crate) struct DirName([u8; DIR_NAME_LEN]);

impl DirName {
    /// The name as a C string.
    pub(crate) fn as_cstr(&self) -> &CStr {
        // The invariant guarantees a NUL; the fallback is never taken.
        CStr::from_bytes_until_nul(&self.0).unwrap_or(c"domain_?")
    }

    /// The name as text.
    pub(crate) fn as_str(&self) -> &str {
        self.as_cstr().to_str().unwrap_or("domain_?")
    }
}

/// A process's `mm_<hashed %p>` name, as `iopf/` shows it.
#[derive(Clone, Copy)]
pub(crate) struct MmName([kernel::ffi::c_char; ffi::IOMMU_SCOPE_MM_LEN as usize]);

impl MmName {
    /// The name as text.
    pub(crate) fn as_str(&self) -> &str {
        super::c_chars(&self.0)
    }
}

/// The SMMUv3 driver's view of one domain (a copy).
#[derive(Clone, Copy)]
pub(crate) struct SmmuDomain(ffi::iommu_scope_smmu_domain);

impl SmmuDomain {
    /// The io-pgtable stage, if the domain has an LPAE page table of a
    /// format the module knows; `Err` carries the raw format number.
    pub(crate) fn stage(&self) -> core::result::Result<Option<Stage>, u32> {
        if self.0.has_pgtbl == 0 {
            return Ok(None);
        }
        lpae_stage(self.0.fmt).map(Some)
    }

    /// The table's geometry, cross-checked against the TCR/VTCR fields
    /// io-pgtable-arm programmed; `Ok(None)` without a page table (SVA).
    pub(crate) fn geometry(&self) -> core::result::Result<Option<Geometry>, &'static str> {
        let Some(stage) = self.stage().map_err(|_| "unsupported io-pgtable format")? else {
            return Ok(None);
        };
        let r = &self.0;
        Geometry::programmed(stage, r.pgsize_bitmap, r.ias, r.oas, r.tcr_tsz, r.vtcr_sl).map(Some)
    }

    /// Whether the domain has an io-pgtable (SVA domains have none).
    pub(crate) fn has_pgtbl(&self) -> bool {
        self.0.has_pgtbl != 0
    }

    /// The raw io-pgtable format number.
    pub(crate) fn fmt(&self) -> u32 {
        self.0.fmt
    }

    /// TTBR / VTTBR as io-pgtable-arm set it: the root's physical address.
    pub(crate) fn root_pa(&self) -> u64 {
        self.0.root_pa
    }

    /// Stage-1 MAIR.
    pub(crate) fn mair(&self) -> u64 {
        self.0.mair
    }

    /// Input address size.
    pub(crate) fn ias(&self) -> u32 {
        self.0.ias
    }

    /// Output address size.
    pub(crate) fn oas(&self) -> u32 {
        self.0.oas
    }

    /// Page sizes of the io-pgtable.
    pub(crate) fn pgsize_bitmap(&self) -> u64 {
        self.0.pgsize_bitmap
    }

    /// The SMMU supports hardware access-flag / dirty-state updates.
    pub(crate) fn httu(&self) -> (bool, bool) {
        (self.0.httu_ha != 0, self.0.httu_hd != 0)
    }

    /// The table tracks dirty state (io-pgtable quirk ARM_HD).
    pub(crate) fn dirty_tracking(&self) -> bool {
        self.0.dirty_tracking != 0
    }

    /// The domain is a nesting parent.
    pub(crate) fn nest_parent(&self) -> bool {
        self.0.nest_parent != 0
    }

    /// The SMMU instance's device name.
    pub(crate) fn smmu_name(&self) -> &str {
        super::c_chars(&self.0.smmu_name)
    }

    /// For an SVA domain, the physical address of its process's pgd (what
    /// its CDs' TTB0 point at) and the process's `mm_<hashed %p>` name.
    pub(crate) fn sva_mm(&self) -> Option<(u64, MmName)> {
        (self.0.mm_pgd_pa != 0).then_some((self.0.mm_pgd_pa, MmName(self.0.mm)))
    }
}

/// A generic_pt domain's table (a copy).
#[derive(Clone, Copy)]
pub(crate) struct PtDomain(ffi::iommu_scope_pt_domain);

impl PtDomain {
    /// The format, if the module knows it.
    pub(crate) fn format(&self) -> Option<Format> {
        Some(match self.0.fmt {
            ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_AMDV1 => Format::AmdV1,
            ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_VTDSS => Format::VtdSs,
            ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_X86_64 => Format::X86_64,
            ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_RISCV64 => Format::Riscv64,
            _ => return None,
        })
    }

    /// The layout, if the format is known and the top level possible.
    pub(crate) fn geometry(&self) -> Option<PtGeometry> {
        let fmt = self.format()?;
        // INVARIANT: `PtGeometry` needs `top_level <= 5`.
        (self.0.top_level <= 5).then_some(PtGeometry {
            fmt,
            top_level: self.0.top_level,
        })
    }

    /// Physical address of the top table.
    pub(crate) fn root_pa(&self) -> u64 {
        self.0.root_pa
    }

    /// Maximum input address size (log2).
    pub(crate) fn vasz_lg2(&self) -> u32 {
        self.0.max_vasz_lg2
    }

    /// Maximum output address size (log2).
    pub(crate) fn oasz_lg2(&self) -> u32 {
        self.0.max_oasz_lg2
    }

    /// The `enum pt_features` bitmap.
    pub(crate) fn features(&self) -> u32 {
        self.0.features
    }
}

/// One device attached to an SMMUv3 domain (a copy).
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Master(ffi::iommu_scope_smmu_master);

impl Master {
    /// The device's name.
    pub(crate) fn name(&self) -> &str {
        super::c_chars(&self.0.name)
    }

    /// Its iommu group id, if it has a group.
    pub(crate) fn group_id(&self) -> Option<u32> {
        u32::try_from(self.0.group_id).ok()
    }

    /// Its stream IDs (at most the first few).
    pub(crate) fn sids(&self) -> &[u32] {
        let n = (self.0.num_sids as usize).min(self.0.sids.len());
        &self.0.sids[..n]
    }

    /// The PASID it is attached with, if not the RID.
    pub(crate) fn pasid(&self) -> Option<u32> {
        (self.0.ssid != 0).then_some(self.0.ssid)
    }
}

/// The names of (up to 4 of) the devices attached to a domain, as
/// `name,name,...` (`-` for none), read without allocating.
pub(crate) struct DeviceNames {
    recs: [Master; 4],
    n: usize,
}

impl DeviceNames {
    /// Reads them (process context; see `DomainKey::masters`).
    pub(crate) fn of(key: DomainKey) -> Self {
        let mut recs = [Master::default(); 4];
        let n = key.masters(&mut recs).unwrap_or(0).min(recs.len());
        Self { recs, n }
    }
}

impl core::fmt::Display for DeviceNames {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.n == 0 {
            return f.write_str("-");
        }
        for (i, r) in self.recs[..self.n].iter().enumerate() {
            write!(f, "{}{}", if i == 0 { "" } else { "," }, r.name())?;
        }
        Ok(())
    }
}

/// A device behind an IOMMU, borrowed from a bus walk.
///
/// # Invariants
///
/// `dev` is a live device with an iommu group, referenced by the bus walk
/// for `'a`.
pub(crate) struct IommuDevice<'a> {
    dev: NonNull<bindings::device>,
    _life: PhantomData<&'a bindings::device>,
}

impl IommuDevice<'_> {
    /// Calls `f` with the domain the device's group is attached to, while
    /// the group's mutex keeps it attached, hence alive (process context;
    /// `f` may not attach or detach anything in that group).
    pub(crate) fn with_domain(&self, mut f: impl FnMut(Domain<'_>)) {
        /// # Safety
        ///
        /// Called by the helper with a domain attached to a group whose
        /// mutex it holds for the call, and the `data` given below.
        unsafe extern "C" fn one(d: *mut bindings::iommu_domain, data: *mut core::ffi::c_void) {
            // SAFETY: `data` is the `&mut dyn FnMut` passed below, alive
            // for the helper's call.
            let f = unsafe { &mut *data.cast::<&mut dyn FnMut(Domain<'_>)>() };
            // SAFETY: the domain stays attached, so allocated, while the
            // group mutex is held, i.e. during this call.
            if let Some(d) = unsafe { Domain::from_raw(d) } {
                f(d);
            }
        }
        let mut dynf: &mut dyn FnMut(Domain<'_>) = &mut f;
        // SAFETY: the device is live (type invariant); `one` matches the
        // callback type and `data` points to `dynf` for the call.
        unsafe {
            ffi::iommu_scope_with_dev_domain(self.dev.as_ptr(), Some(one), (&raw mut dynf).cast())
        };
    }
}

/// Calls `f` with every device behind an IOMMU on the PCI bus, then the
/// platform bus (process context).
pub(crate) fn for_each_iommu_device(mut f: impl FnMut(&IommuDevice<'_>)) {
    let mut each = |dev: *mut bindings::device| {
        let Some(dev) = NonNull::new(dev) else {
            return;
        };
        // SAFETY: the bus walk holds a reference on `dev` for the callback.
        if unsafe { (*dev.as_ptr()).iommu_group }.is_null() {
            return;
        }
        // INVARIANT: live for the callback, with an iommu group.
        f(&IommuDevice {
            dev,
            _life: PhantomData,
        });
    };
    super::for_each_device(&mut each);
}
