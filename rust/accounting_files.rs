// SPDX-License-Identifier: GPL-2.0

//! The debugfs files of the accounting feature: `accounting`, `lookup`.
//!
//! Owns: their text formats (Documentation/debugfs.rst) and the parsing of
//! what is written to `lookup`.
//! Must not: change a count.

use kernel::{
    fmt,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Mutex,
    },
    uaccess::UserSliceReader,
};

use crate::accounting;

/// Formats the `accounting` file.
pub(crate) fn show_accounting(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(a) = accounting::current() else {
        return writeln!(f, "# accounting unavailable (see status)");
    };
    let s = &a.stats;
    let l = |x: &Atomic<u64>| x.load(Relaxed);
    writeln!(f, "maps {}", l(&s.maps))?;
    writeln!(f, "maps_failed {}", l(&s.maps_failed))?;
    writeln!(f, "unmaps {}", l(&s.unmaps))?;
    writeln!(f, "remaps {}", l(&s.remaps))?;
    writeln!(f, "rollbacks_skipped {}", l(&s.rollbacks_skipped))?;
    writeln!(f, "pages_mapped {}", l(&s.pages_mapped))?;
    writeln!(f, "refs {}", l(&s.refs))?;
    writeln!(f, "bytes_mapped {}", l(&s.refs) * 4096)?;
    writeln!(f, "pages_mapped_more_than_once {}", l(&s.pages_multi))?;
    writeln!(f, "overflows {}", l(&s.overflows))?;
    writeln!(f, "underflows {}", l(&s.underflows))?;
    writeln!(f, "untracked {}", l(&s.untracked))?;
    writeln!(f, "seeded_refs {}", l(&s.seeded_pages))?;
    writeln!(f, "freed_domains {}", l(&s.freed_domains))?;
    writeln!(f, "refs_released_on_domain_free {}", l(&s.released_on_free))?;
    writeln!(f, "table_memory_bytes {}", a.counts.memory())?;
    writeln!(
        f,
        "table_alloc_failures {}",
        l(&a.counts.stats.alloc_failures)
    )
}

/// What `lookup` shows: the last physical address written to it.
pub(crate) type LookupState = Mutex<Option<u64>>;

/// Formats `lookup`: `pa=0x... pfn=0x... count=N` for the address last
/// written, or a usage line.
pub(crate) fn show_lookup(st: &LookupState, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(pa) = *st.lock() else {
        return writeln!(
            f,
            "# write a physical address (hex 0x... or decimal), then read"
        );
    };
    let count = accounting::current().map_or(0, |a| a.counts.get(pa >> 12));
    writeln!(f, "pa=0x{:016x} pfn=0x{:x} count={}", pa, pa >> 12, count)
}

/// Parses a physical address written to `lookup`. Anything else is
/// `EINVAL` and changes nothing.
pub(crate) fn write_lookup(st: &LookupState, r: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 32];
    let n = r.len();
    if n == 0 || n >= buf.len() {
        return Err(EINVAL);
    }
    r.read_slice(&mut buf[..n])?;
    let s = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?.trim();
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse::<u64>(),
    }
    .map_err(|_| EINVAL)?;
    if v >> 52 != 0 {
        return Err(EINVAL);
    }
    *st.lock() = Some(v);
    Ok(())
}

/// Formats `pages`: one line `0x<physical address> <count>` per page with a
/// nonzero count, in address order.
pub(crate) fn show_pages(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(a) = accounting::current() else {
        return writeln!(f, "# accounting unavailable (see status)");
    };
    let mut r = Ok(());
    a.counts.for_each_mapped(|pfn, n| {
        if r.is_ok() {
            r = writeln!(f, "0x{:016x} {}", pfn << 12, n);
        }
    });
    r
}
