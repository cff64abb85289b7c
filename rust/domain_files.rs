// SPDX-License-Identifier: GPL-2.0

//! The files of one `io_page_tables/domain_<id>/` directory: `info`,
//! `devices`, `ptdump`, `ptdump_raw`.
//!
//! Owns: reading a domain's configuration (through `DomainEntry::with_domain`
//! and the SMMUv3 record of `c/smmu_v3.c`) and walking its table with
//! never-faulting reads.
//! Must not: hold the domain's lock while walking, or print a kernel
//! virtual address.

use core::fmt::Write;

use kernel::{bindings, debugfs::ScopedDir, fmt, prelude::*, sync::Arc};

use crate::domains::DomainEntry;
use crate::ffi;
use crate::pure::genpt::{self, Format, PtGeometry};
use crate::pure::lpae::{self, Geometry, Limits, Stage, WalkStats};
use crate::pure::ptdump::{self, DumpStats, Size};

/// Upper bound on descriptors read by one dump (4M: 32 MiB of tables).
const MAX_READS: u64 = 4 << 20;

/// Upper bound on attached devices listed by `devices`.
const MAX_MASTERS: usize = 64;

/// Creates the files of a domain directory.
pub(crate) fn create<'a>(d: &'a Arc<DomainEntry>, dir: &ScopedDir<'a, '_>) {
    dir.read_callback_file(c"info", d, &show_info);
    dir.read_callback_file(c"devices", d, &show_devices);
    dir.read_callback_file(c"ptdump", d, &show_ptdump);
    dir.read_callback_file(c"ptdump_raw", d, &show_ptdump_raw);
}

/// Reads tables through the kernel's linear map without ever faulting.
pub(crate) struct KernelMemory;

impl lpae::Memory for KernelMemory {
    fn read(&mut self, table_pa: u64, _size: u64, index: usize) -> Option<u64> {
        let mut v = 0u64;
        // SAFETY: the helper validates the address and reads with
        // `copy_from_kernel_nofault`; `v` is a valid destination.
        let r = unsafe { ffi::iommu_scope_read_phys_u64(table_pa + 8 * index as u64, &mut v) };
        (r == 0).then_some(v)
    }

    fn table_ok(&mut self, pa: u64, size: u64) -> bool {
        // SAFETY: the helper only inspects `struct page`s of valid PFNs.
        unsafe { ffi::iommu_scope_table_ok(pa, size) }
    }
}

/// A snapshot of what a dump needs, taken under the domain's lock.
struct Snapshot {
    ty: u32,
    smmu: Option<ffi::iommu_scope_smmu_domain>,
    pt: Option<ffi::iommu_scope_pt_domain>,
    pgsize_bitmap: u64,
    unmaps_started: u64,
    unmaps_finished: u64,
}

fn snapshot(e: &DomainEntry) -> Result<Snapshot> {
    let (started, finished) = e.unmap_counts();
    e.with_domain(|d| {
        let mut rec = ffi::iommu_scope_smmu_domain::default();
        // SAFETY: `d` is live (with_domain); the helper only reads it and
        // fails with -ENODEV for a domain arm-smmu-v3 did not allocate.
        let smmu = (unsafe { ffi::iommu_scope_smmu_domain_get(d, &mut rec) } == 0).then_some(rec);
        let mut pt = ffi::iommu_scope_pt_domain::default();
        // SAFETY: `d` is live; the helper only reads a generic_pt domain's
        // top-of-table word and fails with -ENODEV for any other domain.
        let pt = (unsafe { ffi::iommu_scope_pt_domain_get(d, &mut pt) } == 0).then_some(pt);
        Snapshot {
            // SAFETY: `d` is live (with_domain).
            ty: unsafe { (*d).type_ },
            smmu,
            pt,
            // SAFETY: as above.
            pgsize_bitmap: unsafe { (*d).pgsize_bitmap } as u64,
            unmaps_started: started,
            unmaps_finished: finished,
        }
    })
}

fn type_name(t: u32) -> &'static str {
    match t {
        bindings::IOMMU_DOMAIN_BLOCKED => "blocked",
        bindings::IOMMU_DOMAIN_IDENTITY => "identity",
        bindings::IOMMU_DOMAIN_UNMANAGED => "unmanaged",
        bindings::IOMMU_DOMAIN_DMA => "DMA",
        bindings::IOMMU_DOMAIN_DMA_FQ => "DMA-FQ",
        bindings::IOMMU_DOMAIN_SVA => "SVA",
        bindings::IOMMU_DOMAIN_PLATFORM => "platform",
        bindings::IOMMU_DOMAIN_NESTED => "nested",
        _ => "other",
    }
}

fn cstr_field(b: &[u8]) -> &str {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    core::str::from_utf8(&b[..n]).unwrap_or("?")
}

/// The LPAE geometry of an SMMUv3 io-pgtable, cross-checked against the
/// TCR/VTCR fields io-pgtable-arm programmed.
fn geometry(r: &ffi::iommu_scope_smmu_domain) -> core::result::Result<Geometry, &'static str> {
    let stage = if r.fmt == bindings::io_pgtable_fmt_ARM_64_LPAE_S2 {
        Stage::S2
    } else if r.fmt == bindings::io_pgtable_fmt_ARM_64_LPAE_S1 {
        Stage::S1
    } else {
        return Err("unsupported io-pgtable format");
    };
    if r.pgsize_bitmap == 0 {
        return Err("empty pgsize_bitmap");
    }
    let granule_shift = r.pgsize_bitmap.trailing_zeros();
    let g = Geometry::io_pgtable(stage, granule_shift, r.ias, r.oas.max(32))
        .map_err(|_| "unsupported geometry")?;
    if r.tcr_tsz != 64 - r.ias {
        return Err("T0SZ does not match IAS");
    }
    if stage == Stage::S2 {
        // io-pgtable-arm: sl = start_level (+1 for 4K); field = ~sl & 3.
        let sl = (!r.vtcr_sl) & 3;
        let start = if granule_shift == 12 {
            sl.wrapping_sub(1)
        } else {
            sl
        };
        if start != g.start_level {
            return Err("VTCR.SL0 does not match the computed start level");
        }
    }
    Ok(g)
}

fn write_pgsizes(f: &mut fmt::Formatter<'_>, bitmap: u64) -> fmt::Result {
    write!(f, "0x{:x} (", bitmap)?;
    let mut first = true;
    for b in 0..64 {
        if bitmap & (1 << b) != 0 {
            write!(f, "{}{}", if first { "" } else { " " }, Size(1 << b))?;
            first = false;
        }
    }
    writeln!(f, ")")
}

fn freed(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "# domain freed: this directory is being removed")
}

fn show_info(e: &Arc<DomainEntry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Ok(s) = snapshot(e) else {
        return freed(f);
    };
    writeln!(f, "name: {}", e.name().to_str().unwrap_or("?"))?;
    writeln!(f, "type: {}", type_name(s.ty))?;
    if let Some(p) = &s.pt {
        writeln!(f, "driver: generic_pt")?;
        match pt_geometry(p) {
            Some(g) => {
                writeln!(f, "format: {}", g.fmt.name())?;
                writeln!(f, "granule: 4K")?;
                writeln!(f, "levels: {} (top level {})", g.top_level + 1, g.top_level)?;
            }
            None => writeln!(f, "format: unknown generic_pt format")?,
        }
        writeln!(f, "ias: {}", p.max_vasz_lg2)?;
        writeln!(f, "oas: {}", p.max_oasz_lg2)?;
        writeln!(f, "features: 0x{:x}", p.features)?;
        write!(f, "pgsize_bitmap: ")?;
        return write_pgsizes(f, s.pgsize_bitmap);
    }
    let Some(r) = &s.smmu else {
        writeln!(
            f,
            "driver: other (not arm-smmu-v3, not generic_pt): no page-table access"
        )?;
        write!(f, "pgsize_bitmap: ")?;
        return write_pgsizes(f, s.pgsize_bitmap);
    };
    writeln!(f, "driver: arm-smmu-v3")?;
    writeln!(f, "smmu: {}", cstr_field(&r.smmu_name))?;
    writeln!(
        f,
        "httu: ha={} hd={}",
        if r.httu_ha != 0 { "yes" } else { "no" },
        if r.httu_hd != 0 { "yes" } else { "no" }
    )?;
    if r.has_pgtbl == 0 {
        writeln!(f, "format: none (SVA: uses the process's CPU page table)")?;
        return Ok(());
    }
    match geometry(r) {
        Ok(g) => {
            writeln!(
                f,
                "format: ARM_64_LPAE_S{} (stage {})",
                if g.stage == Stage::S1 { 1 } else { 2 },
                if g.stage == Stage::S1 { 1 } else { 2 }
            )?;
            writeln!(f, "granule: {}", Size(g.granule()))?;
            writeln!(
                f,
                "levels: {} (start level {}, root {} entries in {} table{})",
                g.levels(),
                g.start_level,
                g.entries(g.start_level),
                g.root_concat(),
                if g.root_concat() > 1 {
                    "s, concatenated"
                } else {
                    ""
                }
            )?;
        }
        Err(why) => writeln!(f, "format: fmt {} ({})", r.fmt, why)?,
    }
    writeln!(f, "ias: {}", r.ias)?;
    writeln!(f, "oas: {}", r.oas)?;
    write!(f, "pgsize_bitmap: ")?;
    write_pgsizes(f, r.pgsize_bitmap)?;
    writeln!(
        f,
        "dirty_tracking: {}",
        if r.dirty_tracking != 0 {
            "enabled (DBM set on writable entries)"
        } else {
            "disabled"
        }
    )?;
    writeln!(
        f,
        "nest_parent: {}",
        if r.nest_parent != 0 { "yes" } else { "no" }
    )?;
    writeln!(
        f,
        "unmaps_in_bucket: started={} finished={}",
        s.unmaps_started, s.unmaps_finished
    )
}

fn show_devices(e: &Arc<DomainEntry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut recs: KVec<ffi::iommu_scope_smmu_master> = KVec::new();
    if recs
        .extend_with(
            MAX_MASTERS,
            ffi::iommu_scope_smmu_master::default(),
            GFP_KERNEL,
        )
        .is_err()
    {
        return writeln!(f, "# out of memory");
    }
    let n = e.with_domain(|d| {
        // SAFETY: `d` is live (with_domain); `recs` has room for
        // `MAX_MASTERS` records; the helper copies names and numbers only.
        unsafe { ffi::iommu_scope_smmu_domain_masters(d, recs.as_mut_ptr(), MAX_MASTERS as i32) }
    });
    let n = match n {
        Err(_) => return freed(f),
        Ok(n) if n < 0 => return writeln!(f, "# not an arm-smmu-v3 domain: devices unknown"),
        Ok(n) => n as usize,
    };
    for r in recs.iter().take(n.min(MAX_MASTERS)) {
        write!(f, "{} group={} sid=", cstr_field(&r.name), r.group_id)?;
        for (i, sid) in r
            .sids
            .iter()
            .take((r.num_sids as usize).min(r.sids.len()))
            .enumerate()
        {
            write!(f, "{}0x{:x}", if i == 0 { "" } else { "," }, sid)?;
        }
        if r.ssid == 0 {
            writeln!(f, " pasid=none")?;
        } else {
            writeln!(f, " pasid={}", r.ssid)?;
        }
    }
    if n > MAX_MASTERS {
        writeln!(f, "# ... and {} more", n - MAX_MASTERS)?;
    }
    Ok(())
}

/// Adapts the seq_file formatter to `core::fmt::Write` for the pure code.
struct W<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl Write for W<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(s)
    }
}

/// The generic_pt geometry of a pt_iommu domain, if its format is known.
pub(crate) fn pt_geometry(p: &ffi::iommu_scope_pt_domain) -> Option<PtGeometry> {
    let fmt = match p.fmt {
        ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_AMDV1 => Format::AmdV1,
        ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_VTDSS => Format::VtdSs,
        ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_X86_64 => Format::X86_64,
        ffi::iommu_scope_pt_fmt_IOMMU_SCOPE_PT_RISCV64 => Format::Riscv64,
        _ => return None,
    };
    (p.top_level <= 5).then_some(PtGeometry {
        fmt,
        top_level: p.top_level,
    })
}

/// Footer shared by both dumps: counters and the consistency mark.
fn footer(
    e: &Arc<DomainEntry>,
    f: &mut fmt::Formatter<'_>,
    s: &Snapshot,
    walk: WalkStats,
    dec: Option<DumpStats>,
) -> fmt::Result {
    if let Some(d) = dec {
        writeln!(
            f,
            "# runs={} leaves={} mapped={} reads={}",
            d.runs, d.leaves, d.bytes, walk.reads
        )?;
    } else {
        writeln!(f, "# reads={}", walk.reads)?;
    }
    let alive = e.is_alive();
    let started = e.unmap_counts().0;
    let in_flight = s.unmaps_started != s.unmaps_finished;
    if !alive {
        writeln!(f, "# INCONSISTENT: the domain was freed during the dump")
    } else if in_flight || started != s.unmaps_started || walk.unreadable > 0 {
        writeln!(
            f,
            "# INCONSISTENT: {} unmap(s) ran during the dump, {} table(s) unreadable",
            started - s.unmaps_finished,
            walk.unreadable
        )
    } else {
        writeln!(f, "# consistent: no unmap ran during the dump")
    }
}

/// Dump of a generic_pt domain.
fn dump_pt(
    e: &Arc<DomainEntry>,
    f: &mut fmt::Formatter<'_>,
    s: &Snapshot,
    p: &ffi::iommu_scope_pt_domain,
    raw: bool,
) -> fmt::Result {
    let Some(g) = pt_geometry(p) else {
        return writeln!(f, "# unknown generic_pt format: cannot walk");
    };
    writeln!(
        f,
        "# {} generic_pt {} levels {} ias {} oas {}",
        e.name().to_str().unwrap_or("?"),
        g.fmt.name(),
        g.top_level + 1,
        p.max_vasz_lg2,
        p.max_oasz_lg2
    )?;
    let limits = Limits::steps(MAX_READS);
    let mut w = W(f);
    let rcu = kernel::sync::rcu::read_lock();
    let res = if raw {
        ptdump::write_raw(&mut w, &g, p.root_pa, &mut KernelMemory, limits).map(|st| (st, None))
    } else {
        genpt::write_decoded(&mut w, &g, p.root_pa, &mut KernelMemory, limits)
            .map(|d| (d.walk, Some(d)))
    };
    drop(rcu);
    let (walk, dec) = res?;
    footer(e, f, s, walk, dec)
}

/// Common part of both dumps: snapshot, header, walk, consistency footer.
fn dump(e: &Arc<DomainEntry>, f: &mut fmt::Formatter<'_>, raw: bool) -> fmt::Result {
    let Ok(s) = snapshot(e) else {
        return freed(f);
    };
    if let Some(p) = &s.pt {
        return dump_pt(e, f, &s, p, raw);
    }
    let Some(r) = &s.smmu else {
        return writeln!(
            f,
            "# not an arm-smmu-v3 or generic_pt domain: no page-table access"
        );
    };
    if r.has_pgtbl == 0 {
        return writeln!(
            f,
            "# SVA domain: translations are the process's CPU page table"
        );
    }
    let g = match geometry(r) {
        Ok(g) => g,
        Err(why) => return writeln!(f, "# cannot walk: {}", why),
    };
    // TTBR/VTTBR as io-pgtable-arm sets it: the root's physical address.
    // The table may be freed from here on: the nofault reads and page checks
    // of `KernelMemory` make that harmless.
    let root = r.root_pa;
    writeln!(
        f,
        "# {} stage {} granule {} levels {} ias {} oas {}",
        e.name().to_str().unwrap_or("?"),
        if g.stage == Stage::S1 { 1 } else { 2 },
        Size(g.granule()),
        g.levels(),
        g.ias,
        g.oas
    )?;
    let limits = Limits::steps(MAX_READS);
    let mut mem = KernelMemory;
    let mut w = W(f);
    let rcu = kernel::sync::rcu::read_lock();
    let res = if raw {
        ptdump::write_raw(&mut w, &g, root, &mut mem, limits).map(|st| (st, None))
    } else {
        ptdump::write_decoded(&mut w, &g, root, r.mair, &mut mem, limits).map(|d| (d.walk, Some(d)))
    };
    drop(rcu);
    let (walk, dec) = res?;
    footer(e, f, &s, walk, dec)
}

fn show_ptdump(e: &Arc<DomainEntry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    dump(e, f, false)
}

fn show_ptdump_raw(e: &Arc<DomainEntry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    dump(e, f, true)
}

/// The page-table layout of a live domain, whatever its format.
#[derive(Clone, Copy)]
pub(crate) enum AnyLayout {
    /// Arm LPAE (io-pgtable-arm, SMMUv3).
    Lpae(Geometry),
    /// A generic_pt format.
    Pt(PtGeometry),
}

impl crate::pure::walk::Layout for AnyLayout {
    fn root_level(&self) -> u32 {
        match self {
            AnyLayout::Lpae(g) => g.root_level(),
            AnyLayout::Pt(g) => g.root_level(),
        }
    }
    fn next_level(&self, level: u32) -> Option<u32> {
        match self {
            AnyLayout::Lpae(g) => g.next_level(level),
            AnyLayout::Pt(g) => g.next_level(level),
        }
    }
    fn entries(&self, level: u32) -> usize {
        match self {
            AnyLayout::Lpae(g) => crate::pure::walk::Layout::entries(g, level),
            AnyLayout::Pt(g) => g.entries(level),
        }
    }
    fn entry_size(&self, level: u32) -> u64 {
        match self {
            AnyLayout::Lpae(g) => crate::pure::walk::Layout::entry_size(g, level),
            AnyLayout::Pt(g) => g.entry_size(level),
        }
    }
    fn table_bytes(&self, level: u32) -> u64 {
        match self {
            AnyLayout::Lpae(g) => g.table_bytes(level),
            AnyLayout::Pt(g) => g.table_bytes(level),
        }
    }
    fn classify(&self, level: u32, index: usize, desc: u64) -> crate::pure::walk::Class {
        match self {
            AnyLayout::Lpae(g) => g.classify(level, index, desc),
            AnyLayout::Pt(g) => g.classify(level, index, desc),
        }
    }
}

/// The layout and root of `d`'s page table, read without locks (any
/// context).
///
/// # Safety
///
/// `d` must be a live domain for the duration of the call (the caller is
/// inside an iommu core call on it, or holds `DomainEntry::with_domain`).
pub(crate) unsafe fn table_of(d: *mut bindings::iommu_domain) -> Option<(AnyLayout, u64)> {
    let mut pt = ffi::iommu_scope_pt_domain::default();
    // SAFETY: `d` is live (caller's contract); the helper only reads it.
    if unsafe { ffi::iommu_scope_pt_domain_get(d, &mut pt) } == 0 {
        return pt_geometry(&pt).map(|g| (AnyLayout::Pt(g), pt.root_pa));
    }
    let mut rec = ffi::iommu_scope_smmu_domain::default();
    // SAFETY: as above.
    if unsafe { ffi::iommu_scope_smmu_domain_get(d, &mut rec) } != 0 || rec.has_pgtbl == 0 {
        return None;
    }
    geometry(&rec)
        .ok()
        .map(|g| (AnyLayout::Lpae(g), rec.root_pa))
}

/// The names of (up to 4 of) the devices attached to a domain, as
/// `name,name,...`, without allocating.
pub(crate) struct DeviceNames {
    recs: [ffi::iommu_scope_smmu_master; 4],
    n: usize,
}

impl DeviceNames {
    /// Reads them.
    ///
    /// # Safety
    ///
    /// `d` must be live for the call.
    pub(crate) unsafe fn of(d: *mut bindings::iommu_domain) -> Self {
        let mut recs = [ffi::iommu_scope_smmu_master::default(); 4];
        // SAFETY: `d` is live (caller's contract); `recs` has room for 4.
        let n = unsafe { ffi::iommu_scope_smmu_domain_masters(d, recs.as_mut_ptr(), 4) };
        Self {
            recs,
            n: n.clamp(0, 4) as usize,
        }
    }
}

impl core::fmt::Display for DeviceNames {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.n == 0 {
            return f.write_str("-");
        }
        for (i, r) in self.recs[..self.n].iter().enumerate() {
            write!(
                f,
                "{}{}",
                if i == 0 { "" } else { "," },
                cstr_field(&r.name)
            )?;
        }
        Ok(())
    }
}
