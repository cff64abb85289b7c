// SPDX-License-Identifier: GPL-2.0

//! The files of one `io_page_tables/smmu_<device>/` directory:
//! `capabilities`, `streams`, `streams_raw` (formats in
//! `Documentation/streams.rst`). Each read copies the stream table under
//! the driver's `streams_mutex` (`sys::smmu`), then the live domains'
//! tables from the registry, and formats without any lock.
//!
//! Owns: what the files show and the join of an STE's or CD's table
//! address with the domain that owns it. Must not: print a kernel virtual
//! address (only the tables' physical addresses, device and directory
//! names), or hold a lock while formatting.

use kernel::{fmt, prelude::*, sync::Arc};

use crate::ptdump::registry::{Registry, TableOwner};
use crate::pure::idr::write_caps;
use crate::pure::ste::{
    cd_table, decode_cd, decode_ste, ste_table, write_cd, write_ste, write_words, Config, Owner,
};
use crate::sys::debugfs::{self, Dir, File};
use crate::sys::smmu::{CdRec, CdState, SmmuInstance, StreamRec};

/// Stream IDs one read shows at most (the rest are counted).
const MAX_STREAMS: usize = 512;
/// Valid CDs one read shows at most, over all streams.
const MAX_CDS: usize = 4096;

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
                debugfs::read_only(&dir, c"streams", ctx.clone(), &show_streams)?,
                debugfs::read_only(&dir, c"streams_raw", ctx, &show_raw)?,
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

/// One copy of the stream table.
struct Snapshot {
    streams: KVVec<StreamRec>,
    cds: KVVec<CdRec>,
    /// SIDs in use (may exceed `streams.len()`).
    total: usize,
    owners: Option<KVec<TableOwner>>,
}

fn snapshot(c: &SmmuCtx) -> Result<Snapshot> {
    let mut streams = KVVec::with_capacity(MAX_STREAMS, GFP_KERNEL)?;
    streams.extend_with(MAX_STREAMS, StreamRec::default(), GFP_KERNEL)?;
    let mut cds = KVVec::with_capacity(MAX_CDS, GFP_KERNEL)?;
    cds.extend_with(MAX_CDS, CdRec::default(), GFP_KERNEL)?;
    let (total, n_cds) = c.smmu.streams(&mut streams, &mut cds)?;
    streams.truncate(total.min(MAX_STREAMS));
    cds.truncate(n_cds);
    // After the STEs and CDs: a table whose domain is freed in between is
    // shown as owned by no domain, never by a freed one.
    let owners = match &c.registry {
        Some(r) => Some(r.table_owners()?),
        None => None,
    };
    Ok(Snapshot {
        streams,
        cds,
        total,
        owners,
    })
}

impl Snapshot {
    /// Who owns the table at `pa`.
    fn owner(&self, pa: Option<u64>) -> Owner<'_> {
        let Some(owners) = &self.owners else {
            return Owner::Unknown;
        };
        let Some(pa) = pa else {
            return Owner::None;
        };
        match owners.iter().find(|o| o.root_pa == pa) {
            Some(TableOwner { mm: Some(mm), .. }) => Owner::Mm(mm.as_str()),
            Some(o) => Owner::Domain(o.name.as_str()),
            None => Owner::None,
        }
    }
}

fn write_header(f: &mut fmt::Formatter<'_>, c: &SmmuCtx, s: &Snapshot) -> fmt::Result {
    let name = c.smmu.caps();
    writeln!(
        f,
        "# smmu {} sids_in_use={} cds={}",
        name.as_ref().map_or("?", |n| n.name()),
        s.total,
        s.cds.len()
    )
}

fn write_footer(f: &mut fmt::Formatter<'_>, s: &Snapshot) -> fmt::Result {
    if s.total > s.streams.len() {
        writeln!(
            f,
            "# truncated: {} of {} stream IDs shown",
            s.streams.len(),
            s.total
        )?;
    }
    Ok(())
}

fn show_streams(c: &Arc<SmmuCtx>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let s = match snapshot(c) {
        Ok(s) => s,
        Err(e) => return writeln!(f, "# stream table not read: error {}", e.to_errno()),
    };
    write_header(f, c, &s)?;
    for st in s.streams.iter() {
        let Some(words) = st.ste() else {
            writeln!(
                f,
                "sid=0x{:x} dev={} ste=missing (no level-2 stream table) domain=-",
                st.sid(),
                st.dev()
            )?;
            continue;
        };
        let ste = decode_ste(words);
        let cds = st.cds(&s.cds);
        // The stream's own translation: stage 2's table, or substream 0's.
        let table = match ste.config {
            Config::S2 | Config::Nested => ste_table(&ste),
            Config::S1 => cds
                .iter()
                .find(|cd| cd.ssid() == 0)
                .and_then(|cd| cd_table(&decode_cd(cd.words()))),
            _ => None,
        };
        write_ste(
            f,
            st.sid(),
            st.dev(),
            &ste,
            st.master_flags(),
            st.ste_torn(),
        )?;
        writeln!(f, " {}", s.owner(table))?;
        match st.cd_state() {
            CdState::Read => {
                for cd in cds {
                    let d = decode_cd(cd.words());
                    write_cd(f, cd.ssid(), &d, cd.torn())?;
                    writeln!(f, " {}", s.owner(cd_table(&d)))?;
                }
            }
            CdState::Ipa => writeln!(f, "  # CD table at an IPA (nested, the guest's): not read")?,
            CdState::Foreign => writeln!(
                f,
                "  # CD table is not the driver's table of this device: not read"
            )?,
            CdState::None => {}
        }
        if st.cds_cut() {
            writeln!(
                f,
                "  # CDs cut: scan or record limit reached after {} slots",
                st.cd_scanned()
            )?;
        }
    }
    write_footer(f, &s)
}

fn show_raw(c: &Arc<SmmuCtx>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let s = match snapshot(c) {
        Ok(s) => s,
        Err(e) => return writeln!(f, "# stream table not read: error {}", e.to_errno()),
    };
    write_header(f, c, &s)?;
    for st in s.streams.iter() {
        write!(f, "sid=0x{:x} dev={} ste=", st.sid(), st.dev())?;
        match st.ste() {
            Some(w) => write_words(f, &w)?,
            None => f.write_str("-")?,
        }
        writeln!(f, "{}", if st.ste_torn() { " torn" } else { "" })?;
        for cd in st.cds(&s.cds) {
            write!(f, "  ssid={} cd=", cd.ssid())?;
            write_words(f, &cd.words())?;
            writeln!(f, "{}", if cd.torn() { " torn" } else { "" })?;
        }
    }
    write_footer(f, &s)
}
