// SPDX-License-Identifier: GPL-2.0

//! The files of one `io_page_tables/domain_<id>/` directory: `info`,
//! `devices`, `ptdump`, `ptdump_raw` (formats in
//! `Documentation/debugfs.rst`). The two dumps are streamed: each open
//! file walks the table once, a read's worth at a time, whatever the
//! number of lines.
//!
//! Owns: what a domain's files show, and the consistency footer of a dump.
//! Must not: hold the domain's lock while walking, or print a kernel
//! virtual address.

use core::fmt::Write;

use kernel::{fmt, prelude::*, sync::Arc};

use super::registry::DomainEntry;
use crate::pure::genpt::PtRuns;
use crate::pure::lpae::{LpaeRuns, Stage};
use crate::pure::ptdump::{Body, DumpStats, Raw, Runs, Size};
use crate::pure::table::{AnyLayout, Table};
use crate::pure::text::Chunk;
use crate::pure::walk::{Limits, WalkStats};
use crate::sys::debugfs::{self, Dir, File, Stream};
use crate::sys::domain::{DomainType, Master, Masters, PtDomain, SmmuDomain};
use crate::sys::phys::SequentialPhys;

/// Upper bound on attached devices listed by `devices`.
const MAX_MASTERS: usize = 64;

/// A domain's directory and its files, each holding the entry (and the
/// directory, which goes with the last of them).
pub(crate) struct DomainDir {
    _files: [File<Arc<DomainEntry>>; 4],
    entry: Arc<DomainEntry>,
}

impl DomainDir {
    /// Creates `domain_<id>/` under `root` with its files.
    pub(crate) fn create(root: &Dir, e: Arc<DomainEntry>) -> Result<Self> {
        let dir = root.subdir(e.dir_name())?;
        let files = [
            debugfs::read_only(&dir, c"info", e.clone(), &show_info)?,
            debugfs::read_only(&dir, c"devices", e.clone(), &show_devices)?,
            debugfs::streamed::<DumpStream<false>>(&dir, c"ptdump", e.clone())?,
            debugfs::streamed::<DumpStream<true>>(&dir, c"ptdump_raw", e.clone())?,
        ];
        Ok(Self {
            _files: files,
            entry: e,
        })
    }

    /// The domain's entry.
    pub(crate) fn entry(&self) -> &Arc<DomainEntry> {
        &self.entry
    }
}

/// What the files need of a domain, copied under its lock.
struct Snapshot {
    ty: DomainType,
    smmu: Option<SmmuDomain>,
    pt: Option<PtDomain>,
    pgsize_bitmap: u64,
    unmaps_started: u64,
    unmaps_finished: u64,
}

fn snapshot(e: &DomainEntry) -> Result<Snapshot> {
    // The counters first: an unmap that starts after this is seen by the
    // footer's second read.
    let (started, finished) = e.unmap_counts();
    e.with_domain(|d| Snapshot {
        ty: d.domain_type(),
        smmu: d.smmu(),
        pt: d.generic_pt(),
        pgsize_bitmap: d.pgsize_bitmap(),
        unmaps_started: started,
        unmaps_finished: finished,
    })
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

fn freed<W: Write>(f: &mut W) -> fmt::Result {
    writeln!(f, "# domain freed: this directory is being removed")
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn stage_number(s: Stage) -> u32 {
    match s {
        Stage::S1 => 1,
        Stage::S2 => 2,
    }
}

fn show_info(e: &Arc<DomainEntry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Ok(s) = snapshot(e) else {
        return freed(f);
    };
    writeln!(f, "name: {}", e.name())?;
    writeln!(f, "type: {}", s.ty.name())?;
    if let Some(p) = &s.pt {
        writeln!(f, "driver: generic_pt")?;
        match p.geometry() {
            Some(g) => {
                writeln!(f, "format: {}", g.fmt.name())?;
                writeln!(f, "granule: 4K")?;
                writeln!(f, "levels: {} (top level {})", g.top_level + 1, g.top_level)?;
            }
            None => writeln!(f, "format: unknown generic_pt format")?,
        }
        writeln!(f, "ias: {}", p.vasz_lg2())?;
        writeln!(f, "oas: {}", p.oasz_lg2())?;
        writeln!(f, "features: 0x{:x}", p.features())?;
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
    writeln!(f, "smmu: {}", r.smmu_name())?;
    let (ha, hd) = r.httu();
    writeln!(f, "httu: ha={} hd={}", yes_no(ha), yes_no(hd))?;
    if !r.has_pgtbl() {
        writeln!(f, "format: none (SVA: uses the process's CPU page table)")?;
        return Ok(());
    }
    match r.geometry() {
        Ok(Some(g)) => {
            let n = stage_number(g.stage);
            writeln!(f, "format: ARM_64_LPAE_S{} (stage {})", n, n)?;
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
        Ok(None) => writeln!(f, "format: none")?,
        Err(why) => writeln!(f, "format: fmt {} ({})", r.fmt(), why)?,
    }
    writeln!(f, "ias: {}", r.ias())?;
    writeln!(f, "oas: {}", r.oas())?;
    write!(f, "pgsize_bitmap: ")?;
    write_pgsizes(f, r.pgsize_bitmap())?;
    writeln!(
        f,
        "dirty_tracking: {}",
        if r.dirty_tracking() {
            "enabled (DBM set on writable entries)"
        } else {
            "disabled"
        }
    )?;
    writeln!(f, "nest_parent: {}", yes_no(r.nest_parent()))?;
    writeln!(
        f,
        "unmaps_in_bucket: started={} finished={}",
        s.unmaps_started, s.unmaps_finished
    )
}

fn show_devices(e: &Arc<DomainEntry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut recs: KVec<Master> = KVec::new();
    if recs
        .extend_with(MAX_MASTERS, Master::default(), GFP_KERNEL)
        .is_err()
    {
        return writeln!(f, "# out of memory");
    }
    let masters = e.key().masters(&mut recs);
    // The key may name a newer domain once this one is freed: the list is
    // this domain's only if it is still live after the walk.
    if !e.is_alive() {
        return freed(f);
    }
    let n = match masters {
        Err(Masters::NotSmmu) => {
            return writeln!(f, "# not an arm-smmu-v3 domain: devices unknown")
        }
        Err(Masters::NotAttached) => {
            return writeln!(
                f,
                "# attached to no iommu group (attachments to PASIDs only are not listed)"
            )
        }
        Ok(n) => n,
    };
    for r in recs.iter().take(n.min(MAX_MASTERS)) {
        write!(f, "{} group=", r.name())?;
        match r.group_id() {
            Some(g) => write!(f, "{}", g)?,
            None => write!(f, "-1")?,
        }
        write!(f, " sid=")?;
        for (i, sid) in r.sids().iter().enumerate() {
            write!(f, "{}0x{:x}", if i == 0 { "" } else { "," }, sid)?;
        }
        match r.pasid() {
            None => writeln!(f, " pasid=none")?,
            Some(p) => writeln!(f, " pasid={}", p)?,
        }
    }
    if n > MAX_MASTERS {
        writeln!(f, "# ... and {} more", n - MAX_MASTERS)?;
    }
    Ok(())
}

/// Footer shared by both dumps: counters and the consistency mark.
fn footer<W: Write>(
    e: &DomainEntry,
    f: &mut W,
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
    } else if !e.unmaps_tracked() {
        writeln!(
            f,
            "# INCONSISTENT: unmaps cannot be tracked (__iommu_unmap is not probed on this kernel, or not now: module loading or unloading)"
        )
    } else if in_flight || started != s.unmaps_started || walk.unreadable > 0 {
        writeln!(
            f,
            "# INCONSISTENT: {} unmap(s) ran during the dump, {} table(s) unreadable",
            started.wrapping_sub(s.unmaps_finished),
            walk.unreadable
        )
    } else {
        writeln!(f, "# consistent: no unmap ran during the dump")
    }
}

/// The header line and table of a domain, or why it cannot be walked.
fn header<W: Write>(
    e: &DomainEntry,
    f: &mut W,
    s: &Snapshot,
) -> core::result::Result<Option<(Table, u64)>, fmt::Error> {
    if let Some(p) = &s.pt {
        let Some(g) = p.geometry() else {
            writeln!(f, "# unknown generic_pt format: cannot walk")?;
            return Ok(None);
        };
        writeln!(
            f,
            "# {} generic_pt {} levels {} ias {} oas {}",
            e.name(),
            g.fmt.name(),
            g.top_level + 1,
            p.vasz_lg2(),
            p.oasz_lg2()
        )?;
        let t = Table {
            layout: AnyLayout::Pt(g),
            root_pa: p.root_pa(),
        };
        return Ok(Some((t, 0)));
    }
    let Some(r) = &s.smmu else {
        writeln!(
            f,
            "# not an arm-smmu-v3 or generic_pt domain: no page-table access"
        )?;
        return Ok(None);
    };
    let g = match r.geometry() {
        Ok(Some(g)) => g,
        Ok(None) => {
            writeln!(
                f,
                "# SVA domain: translations are the process's CPU page table"
            )?;
            return Ok(None);
        }
        Err(why) => {
            writeln!(f, "# cannot walk: {}", why)?;
            return Ok(None);
        }
    };
    writeln!(
        f,
        "# {} stage {} granule {} levels {} ias {} oas {}",
        e.name(),
        stage_number(g.stage),
        Size(g.granule()),
        g.levels(),
        g.ias,
        g.oas
    )?;
    let t = Table {
        layout: AnyLayout::Lpae(g),
        root_pa: r.root_pa(),
    };
    Ok(Some((t, r.mair())))
}

/// The walk and lines of a dump in progress, in one of three forms.
enum Lines {
    Lpae(Runs<LpaeRuns>),
    Pt(Runs<PtRuns>),
    Raw(Raw<AnyLayout>),
}

/// The walk and lines of a dump in progress, and the memory it reads
/// through.
///
/// # Invariants
///
/// `mem` holds only descriptors read since the last `resume` (a fresh
/// `SequentialPhys` there): a block read before a pause is never used
/// after it, so what `Walker::revalidate` dropped is never read from it.
struct DumpBody {
    lines: Lines,
    /// Reads a table's descriptors a block at a time once the walk reads
    /// them in order (the dumps read every descriptor of every table).
    mem: SequentialPhys,
}

impl DumpBody {
    fn new(t: &Table, mair: u64, raw: bool) -> Self {
        let limits = Limits::whole();
        let lines = if raw {
            Lines::Raw(Raw::new(t.layout, t.root_pa, limits))
        } else {
            match t.layout {
                AnyLayout::Lpae(g) => {
                    Lines::Lpae(Runs::new(LpaeRuns { g, mair }, t.root_pa, limits))
                }
                AnyLayout::Pt(g) => Lines::Pt(Runs::new(PtRuns { g }, t.root_pa, limits)),
            }
        };
        // INVARIANT: nothing read yet.
        Self {
            lines,
            mem: SequentialPhys::new(),
        }
    }

    fn next_chunk(&mut self, out: &mut Chunk) -> bool {
        let mem = &mut self.mem;
        match &mut self.lines {
            Lines::Lpae(b) => b.next_chunk(mem, out),
            Lines::Pt(b) => b.next_chunk(mem, out),
            Lines::Raw(b) => b.next_chunk(mem, out),
        }
    }

    fn resume(&mut self) {
        // INVARIANT: what was read before the pause is dropped.
        self.mem = SequentialPhys::new();
        let mem = &mut self.mem;
        match &mut self.lines {
            Lines::Lpae(b) => b.resume(mem),
            Lines::Pt(b) => b.resume(mem),
            Lines::Raw(b) => b.resume(mem),
        }
    }

    /// The walk's counters, and the runs' for a decoded dump.
    fn stats(&self) -> (WalkStats, Option<DumpStats>) {
        let (st, decoded) = match &self.lines {
            Lines::Lpae(b) => (b.stats(), true),
            Lines::Pt(b) => (b.stats(), true),
            Lines::Raw(b) => (b.stats(), false),
        };
        (st.walk, decoded.then_some(st))
    }
}

/// Where a dump stream is.
enum Phase {
    Header,
    Body,
    Footer,
    Done,
}

/// One open `ptdump` (`RAW` false) or `ptdump_raw` (`RAW` true): snapshot
/// and header at the start, then the walk a line at a time, resumed at
/// each read, then the consistency footer, which covers every unmap from
/// the snapshot to the end, however long the reader took. The table may be
/// freed meanwhile: `SequentialPhys` never faults, and the footer says whether
/// an unmap or free ran. A pause between two reads never leaves the walk
/// in a page that left the table: at each resume it stops if the domain
/// was freed, and drops the tables no longer linked from the root.
pub(crate) struct DumpStream<const RAW: bool> {
    e: Arc<DomainEntry>,
    phase: Phase,
    /// The snapshot the header was made from and the walk, from the
    /// header on (none if the domain cannot be walked).
    walk: Option<(Snapshot, DumpBody)>,
}

impl<const RAW: bool> Stream for DumpStream<RAW> {
    type Data = Arc<DomainEntry>;

    fn open(e: &Arc<DomainEntry>) -> Result<Self> {
        Ok(Self {
            e: e.clone(),
            phase: Phase::Header,
            walk: None,
        })
    }

    fn rewind(&mut self) {
        self.phase = Phase::Header;
        self.walk = None;
    }

    /// Between two reads the domain may have been freed (its root table
    /// with it): the walk stops and the footer says so; otherwise the
    /// tables the walk is in are checked to still be linked.
    fn resume(&mut self) {
        if !matches!(self.phase, Phase::Body) {
            return;
        }
        if !self.e.is_alive() {
            self.phase = Phase::Footer;
        } else if let Some((_, b)) = &mut self.walk {
            b.resume();
        }
    }

    fn next_chunk(&mut self, out: &mut Chunk) -> bool {
        loop {
            match self.phase {
                Phase::Header => {
                    self.phase = Phase::Done;
                    let Ok(s) = snapshot(&self.e) else {
                        out.write_or_mark(freed);
                        return true;
                    };
                    let mut table = None;
                    out.write_or_mark(|w| {
                        table = header(&self.e, w, &s)?;
                        Ok(())
                    });
                    if let Some((t, mair)) = table {
                        self.walk = Some((s, DumpBody::new(&t, mair, RAW)));
                        self.phase = Phase::Body;
                    }
                    return true;
                }
                Phase::Body => {
                    if let Some((_, b)) = &mut self.walk {
                        if b.next_chunk(out) {
                            return true;
                        }
                    }
                    self.phase = Phase::Footer;
                }
                Phase::Footer => {
                    self.phase = Phase::Done;
                    let Some((s, b)) = &self.walk else {
                        return false;
                    };
                    let (walk, dec) = b.stats();
                    out.write_or_mark(|w| footer(&self.e, w, s, walk, dec));
                    return true;
                }
                Phase::Done => return false,
            }
        }
    }
}
