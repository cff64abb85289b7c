// SPDX-License-Identifier: GPL-2.0

//! The files of one `io_page_tables/smmu_<device>/` directory:
//! `capabilities`, `streams`, `streams_raw` (formats in
//! `Documentation/streams.rst`). `streams` and `streams_raw` are streamed:
//! each open file copies the stream table once, at its first read (under
//! the driver's `streams_mutex`, a few entries per hold: `sys::smmu`),
//! between two copies of the live domains' tables from the registry, keeps
//! that copy until it is closed, and formats it a line at a time, without
//! any lock, whatever the read size.
//!
//! Owns: what the files show, an open file's copy and its memory bound,
//! and the join of an STE's or CD's table address with the domain that
//! owns it (the rule is `pure::owners`). Must not: print a kernel virtual
//! address (only the tables' physical addresses, device and directory
//! names), hold a lock while formatting, or read the driver's structures
//! (`sys::smmu` does).

use core::fmt::Write as _;

use kernel::{fmt, prelude::*, sync::Arc};

use crate::ptdump::registry::{Registry, TableOwner};
use crate::pure::idr::write_caps;
use crate::pure::owners::{self, Join, TableOf};
use crate::pure::ste::{
    cd_table, decode_cd, decode_ste, ste_table, write_cd, write_ste, write_words, Config, Owner,
    STE_DWORDS,
};
use crate::pure::text::Chunk;
use crate::sys::debugfs::{self, Dir, File, Stream};
use crate::sys::smmu::{CdRec, CdState, SmmuInstance, StreamRec};

/// Stream IDs one copy keeps at most (the rest are counted).
const MAX_STREAMS: usize = 512;
/// Valid CDs one copy keeps at most, over all streams.
const MAX_CDS: usize = 4096;
/// Entries (STEs, CD slots, level-2 CD leaves) read per hold of the
/// driver's `streams_mutex`: the driver's own lookups (device add,
/// fault reports) wait for at most this many, a few microseconds.
const ENTRIES_PER_LOCK: u32 = 8;

/// What the files of an SMMU's directory share.
pub(crate) struct SmmuCtx {
    smmu: SmmuInstance,
    registry: Option<Arc<Registry>>,
}

/// An SMMU's directory and its files (the directory goes with the last).
pub(crate) struct SmmuDir {
    _files: [File<Arc<SmmuCtx>>; 3],
}

impl SmmuDir {
    /// Creates `name/` under `root` with its files.
    pub(crate) fn create(
        root: &Dir,
        name: &CStr,
        smmu: SmmuInstance,
        registry: Option<Arc<Registry>>,
    ) -> Result<Self> {
        let dir = root.subdir(name)?;
        let ctx = Arc::new(SmmuCtx { smmu, registry }, GFP_KERNEL)?;
        Ok(Self {
            _files: [
                debugfs::read_only(&dir, c"capabilities", ctx.clone(), &show_caps)?,
                debugfs::streamed::<StreamsFile<false>>(&dir, c"streams", ctx.clone())?,
                debugfs::streamed::<StreamsFile<true>>(&dir, c"streams_raw", ctx)?,
            ],
        })
    }
}

fn show_caps(c: &Arc<SmmuCtx>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(caps) = c.smmu.caps() else {
        return writeln!(f, "# SMMU gone");
    };
    writeln!(f, "smmu: {}", caps.name())?;
    write_caps(f, &caps.caps())
}

impl TableOf for TableOwner {
    fn root_pa(&self) -> u64 {
        self.root_pa
    }

    fn identity(&self) -> (usize, u64) {
        (self.key, self.id)
    }
}

/// The live domains' tables before and after the stream table was copied,
/// each sorted for `owners::join`.
struct Owners {
    before: KVec<TableOwner>,
    after: KVec<TableOwner>,
}

fn sorted_owners(r: &Registry) -> Result<KVec<TableOwner>> {
    let mut v = r.table_owners()?;
    owners::sort(&mut v);
    Ok(v)
}

/// One copy of the stream table, kept by an open file.
///
/// Memory: while copying, room for `MAX_STREAMS` stream records and
/// `MAX_CDS` CD records (about 360 KiB, `vmalloc` allowed); kept, only
/// the records copied, plus two copies of the live domains' tables (about
/// 100 bytes per live domain each). The records are charged to the
/// reader's memory cgroup (`GFP_KERNEL_ACCOUNT`); the owner copies, made
/// by the registry, are not.
struct Snapshot {
    streams: KVVec<StreamRec>,
    cds: KVVec<CdRec>,
    /// SIDs visited (may exceed `streams.len()`).
    total: usize,
    owners: Option<Owners>,
}

/// `v[..n]` in a vector of exactly that size.
fn kept<T: Clone>(v: &[T], n: usize) -> Result<KVVec<T>> {
    let n = n.min(v.len());
    let mut out = KVVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?;
    out.extend_from_slice(&v[..n], GFP_KERNEL_ACCOUNT)?;
    Ok(out)
}

fn snapshot(c: &SmmuCtx) -> Result<Snapshot> {
    let mut streams = KVVec::with_capacity(MAX_STREAMS, GFP_KERNEL_ACCOUNT)?;
    streams.extend_with(MAX_STREAMS, StreamRec::default(), GFP_KERNEL_ACCOUNT)?;
    let mut cds = KVVec::with_capacity(MAX_CDS, GFP_KERNEL_ACCOUNT)?;
    cds.extend_with(MAX_CDS, CdRec::default(), GFP_KERNEL_ACCOUNT)?;
    // The owners before and after the STEs and CDs: a table is named only
    // if one incarnation of a domain owned it at both moments, so through
    // the copy (`pure::owners`).
    let before = c.registry.as_deref().map(sorted_owners).transpose()?;
    let (total, n_cds) = c.smmu.streams(ENTRIES_PER_LOCK, &mut streams, &mut cds)?;
    let after = c.registry.as_deref().map(sorted_owners).transpose()?;
    Ok(Snapshot {
        streams: kept(&streams, total)?,
        cds: kept(&cds, n_cds)?,
        total,
        owners: before
            .zip(after)
            .map(|(before, after)| Owners { before, after }),
    })
}

impl Snapshot {
    /// Who owns the table at `pa`.
    fn owner(&self, pa: Option<u64>) -> Owner<'_> {
        let Some(o) = &self.owners else {
            return Owner::Unknown;
        };
        let Some(pa) = pa else {
            return Owner::None;
        };
        match owners::join(&o.before, &o.after, pa) {
            Join::Owner(TableOwner { mm: Some(mm), .. }) => Owner::Mm(mm.as_str()),
            Join::Owner(t) => Owner::Domain(t.name.as_str()),
            Join::Unowned => Owner::None,
            Join::Changed => Owner::Changed,
        }
    }

    /// The table a stream translates through: stage 2's, or substream 0's.
    fn stream_table(&self, st: &StreamRec, words: [u64; STE_DWORDS]) -> Option<u64> {
        let ste = decode_ste(words);
        match ste.config {
            Config::S2 | Config::Nested => ste_table(&ste),
            Config::S1 => st
                .cds(&self.cds)
                .iter()
                .find(|cd| cd.ssid() == 0)
                .and_then(|cd| cd_table(&decode_cd(cd.words()))),
            _ => None,
        }
    }
}

fn write_header<W: fmt::Write>(w: &mut W, c: &SmmuCtx, s: &Snapshot) -> fmt::Result {
    let name = c.smmu.caps();
    writeln!(
        w,
        "# smmu {} sids_in_use={} cds={}",
        name.as_ref().map_or("?", |n| n.name()),
        s.total,
        s.cds.len()
    )
}

/// The decoded line of a stream.
fn write_stream<W: fmt::Write>(w: &mut W, s: &Snapshot, st: &StreamRec) -> fmt::Result {
    let Some(words) = st.ste() else {
        return writeln!(
            w,
            "sid=0x{:x} dev={} ste=missing (no level-2 stream table) domain=-",
            st.sid(),
            st.dev()
        );
    };
    let ste = decode_ste(words);
    write_ste(
        w,
        st.sid(),
        st.dev(),
        &ste,
        st.master_flags(),
        st.ste_torn(),
    )?;
    writeln!(w, " {}", s.owner(s.stream_table(st, words)))
}

/// The comment lines that end a stream's decoded lines (none for most).
fn write_stream_end<W: fmt::Write>(w: &mut W, st: &StreamRec) -> fmt::Result {
    match st.cd_state() {
        CdState::Ipa => writeln!(w, "  # CD table at an IPA (nested, the guest's): not read")?,
        CdState::Foreign => writeln!(
            w,
            "  # CD table is not the driver's table of this device: not read"
        )?,
        CdState::Read | CdState::None => {}
    }
    if st.cds_changed() {
        writeln!(
            w,
            "  # CDs cut: the STE or CD table changed while they were read, after {} slots",
            st.cd_scanned()
        )?;
    } else if st.cds_cut() {
        writeln!(
            w,
            "  # CDs cut: scan or record limit reached after {} slots",
            st.cd_scanned()
        )?;
    }
    Ok(())
}

fn write_raw_stream<W: fmt::Write>(w: &mut W, st: &StreamRec) -> fmt::Result {
    write!(w, "sid=0x{:x} dev={} ste=", st.sid(), st.dev())?;
    match st.ste() {
        Some(words) => write_words(w, &words)?,
        None => w.write_str("-")?,
    }
    writeln!(w, "{}", if st.ste_torn() { " torn" } else { "" })
}

fn write_raw_cd<W: fmt::Write>(w: &mut W, cd: &CdRec) -> fmt::Result {
    write!(w, "  ssid={} cd=", cd.ssid())?;
    write_words(w, &cd.words())?;
    writeln!(w, "{}", if cd.torn() { " torn" } else { "" })
}

/// Where an open file's text is.
#[derive(Clone, Copy)]
enum Phase {
    Header,
    /// Stream `i`: its line (`part` 0), its CD `part - 1`, then its end.
    Body {
        i: usize,
        part: usize,
    },
    Footer,
    Done,
}

/// One open `streams` (`RAW` false) or `streams_raw` (`RAW` true): the
/// copy is made at the first read and kept until the file is closed, so a
/// read of any size, a reread from offset 0 and the seq_file's buffer
/// growth never copy the table again; one piece (a line) at a time.
pub(crate) struct StreamsFile<const RAW: bool> {
    c: Arc<SmmuCtx>,
    /// The copy, or why it could not be made; none before the first read.
    snap: Option<Result<Snapshot>>,
    phase: Phase,
}

impl<const RAW: bool> StreamsFile<RAW> {
    /// The next piece of a stream's text into `out`; false when the
    /// stream has no more.
    fn stream_piece(s: &Snapshot, st: &StreamRec, part: usize, out: &mut Chunk) -> bool {
        let cds = st.cds(&s.cds);
        if part == 0 {
            out.write_or_mark(|w| {
                if RAW {
                    write_raw_stream(w, st)
                } else {
                    write_stream(w, s, st)
                }
            });
            return true;
        }
        if let Some(cd) = cds.get(part - 1) {
            out.write_or_mark(|w| {
                if RAW {
                    write_raw_cd(w, cd)
                } else {
                    let d = decode_cd(cd.words());
                    write_cd(w, cd.ssid(), &d, cd.torn())?;
                    writeln!(w, " {}", s.owner(cd_table(&d)))
                }
            });
            return true;
        }
        if !RAW && part == cds.len() + 1 {
            out.write_or_mark(|w| write_stream_end(w, st));
            // Empty for most streams: then nothing to show.
            return !out.is_empty();
        }
        false
    }
}

impl<const RAW: bool> Stream for StreamsFile<RAW> {
    type Data = Arc<SmmuCtx>;

    fn open(c: &Arc<SmmuCtx>) -> Result<Self> {
        Ok(Self {
            c: c.clone(),
            snap: None,
            phase: Phase::Header,
        })
    }

    /// The same copy again, from the start.
    fn rewind(&mut self) {
        self.phase = Phase::Header;
    }

    fn resume(&mut self) {}

    fn next_chunk(&mut self, out: &mut Chunk) -> bool {
        loop {
            match self.phase {
                Phase::Header => {
                    let c = &self.c;
                    let snap = self.snap.get_or_insert_with(|| snapshot(c));
                    match snap {
                        Ok(s) => {
                            out.write_or_mark(|w| write_header(w, c, s));
                            self.phase = Phase::Body { i: 0, part: 0 };
                        }
                        Err(e) => {
                            let errno = e.to_errno();
                            out.write_or_mark(|w| {
                                writeln!(w, "# stream table not read: error {}", errno)
                            });
                            self.phase = Phase::Done;
                        }
                    }
                    return true;
                }
                Phase::Body { i, part } => {
                    let Some(Ok(s)) = &self.snap else {
                        self.phase = Phase::Done;
                        continue;
                    };
                    let Some(st) = s.streams.get(i) else {
                        self.phase = Phase::Footer;
                        continue;
                    };
                    if Self::stream_piece(s, st, part, out) {
                        self.phase = Phase::Body { i, part: part + 1 };
                        return true;
                    }
                    out.clear();
                    self.phase = Phase::Body { i: i + 1, part: 0 };
                }
                Phase::Footer => {
                    self.phase = Phase::Done;
                    let Some(Ok(s)) = &self.snap else {
                        return false;
                    };
                    if s.total <= s.streams.len() {
                        return false;
                    }
                    out.write_or_mark(|w| {
                        writeln!(
                            w,
                            "# truncated: {} of {} stream IDs shown",
                            s.streams.len(),
                            s.total
                        )
                    });
                    return true;
                }
                Phase::Done => return false,
            }
        }
    }
}
