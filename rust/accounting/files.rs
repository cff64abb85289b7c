// SPDX-License-Identifier: GPL-2.0

//! The debugfs files of the accounting: `accounting`, `pages`, `lookup`
//! (formats in `Documentation/debugfs.rst`).
//!
//! Owns: their text, and what `lookup` remembers (the last address written
//! to it). Must not: change a count.

use kernel::{
    fmt, new_mutex,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex,
    },
    uaccess::UserSliceReader,
};

use super::pagecount::UNIT;
use super::state::Accounting;
use crate::pure::input;
use crate::sys::debugfs::{self, Dir, File};

/// The files, removed when dropped.
pub(crate) struct Files {
    _accounting: File<Arc<Accounting>>,
    _pages: File<Arc<Accounting>>,
    _lookup: File<Lookup>,
}

impl Files {
    /// Creates them under `root`.
    pub(crate) fn create(root: &Dir, a: &Arc<Accounting>) -> Result<Self> {
        let lookup = Lookup {
            state: a.clone(),
            last: Arc::pin_init(new_mutex!(None), GFP_KERNEL)?,
        };
        Ok(Self {
            _accounting: debugfs::read_only(root, c"accounting", a.clone(), &show_accounting)?,
            _pages: debugfs::read_only(root, c"pages", a.clone(), &show_pages)?,
            _lookup: debugfs::read_write(root, c"lookup", lookup, &show_lookup, &write_lookup)?,
        })
    }
}

/// Formats the `accounting` file.
fn show_accounting(a: &Arc<Accounting>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let s = &a.stats;
    let l = |x: &Atomic<u64>| x.load(Relaxed);
    // Each hook applies its changes to these once per call: a reader can
    // see one CPU's decrement before another's increment of the same pages
    // is applied, a value just below zero for a moment; shown as 0.
    let c = |x: &Atomic<u64>| {
        let v = x.load(Relaxed);
        if v > u64::MAX / 2 {
            0
        } else {
            v
        }
    };
    writeln!(f, "maps {}", l(&s.maps))?;
    writeln!(f, "unmaps {}", l(&s.unmaps))?;
    writeln!(f, "remaps {}", l(&s.remaps))?;
    writeln!(f, "pages_mapped {}", c(&s.pages_mapped))?;
    writeln!(f, "refs {}", c(&s.refs))?;
    writeln!(f, "bytes_mapped {}", c(&s.refs).saturating_mul(UNIT))?;
    writeln!(f, "pages_mapped_more_than_once {}", c(&s.pages_multi))?;
    writeln!(f, "overflows {}", l(&s.overflows))?;
    writeln!(f, "underflows {}", l(&s.underflows))?;
    writeln!(f, "untracked {}", l(&s.untracked))?;
    writeln!(f, "seeded_refs {}", l(&s.seeded_pages))?;
    let sd = &a.seed;
    writeln!(f, "seeded_domains {}", l(&sd.domains))?;
    writeln!(f, "seed_settling {}", a.settling.active())?;
    writeln!(f, "seed_windows {}", l(&sd.windows))?;
    writeln!(f, "seed_windows_cut {}", l(&sd.cut))?;
    writeln!(f, "seed_given_up {}", l(&sd.given_up))?;
    writeln!(f, "seed_skipped {}", l(&sd.skipped))?;
    writeln!(f, "freed_domains {}", l(&s.freed_domains))?;
    writeln!(f, "refs_released_on_domain_free {}", l(&s.released_on_free))?;
    writeln!(f, "release_walks_cut {}", l(&s.release_walks_cut))?;
    writeln!(f, "table_memory_bytes {}", a.counts.memory())?;
    writeln!(
        f,
        "table_alloc_failures {}",
        l(&a.counts.stats.alloc_failures)
    )?;
    writeln!(
        f,
        "table_nodes_spilled {}",
        l(&a.counts.stats.nodes_spilled)
    )
}

/// Formats `pages`: one line `0x<physical address> <count>` per 4 KiB unit
/// with a nonzero count, in address order.
fn show_pages(a: &Arc<Accounting>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut r = Ok(());
    a.counts.for_each_mapped(|pfn, n| {
        if r.is_ok() {
            r = writeln!(f, "0x{:016x} {}", pfn.saturating_mul(UNIT), n);
        }
    });
    r
}

/// The state of `lookup`: the counts, and the last address written.
struct Lookup {
    state: Arc<Accounting>,
    last: Arc<Mutex<Option<u64>>>,
}

/// Formats `lookup`: `pa=0x... pfn=0x... count=N` for the address last
/// written, or a usage line.
fn show_lookup(l: &Lookup, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(pa) = *l.last.lock() else {
        return writeln!(
            f,
            "# write a physical address (hex 0x... or decimal), then read"
        );
    };
    let pfn = pa / UNIT;
    let count = l.state.counts.get(pfn);
    writeln!(f, "pa=0x{:016x} pfn=0x{:x} count={}", pa, pfn, count)
}

/// Largest physical address `lookup` accepts (52 bits, the Arm maximum).
const MAX_PA: u64 = (1 << 52) - 1;

/// Takes a physical address written to `lookup`; anything else is `EINVAL`
/// and changes nothing.
fn write_lookup(l: &Lookup, r: &mut UserSliceReader) -> Result {
    let pa = debugfs::read_input(r, |b| input::number(input::token(b)?))?;
    if pa > MAX_PA {
        return Err(EINVAL);
    }
    *l.last.lock() = Some(pa);
    Ok(())
}
