// SPDX-License-Identifier: GPL-2.0

//! A bounded, allocation-free walk of radix IO page tables, for any format
//! described by a `Layout` (Arm LPAE, the generic_pt formats), and
//! `leaves_in_range`, the cheaper leaf finder of the accounting's range
//! walks, which leaves anomalies to the walk.
//!
//! Owns: the traversal order, the bounds, the anomaly reporting, and how a
//! run read is split at page ends (`words_in_page`).
//! Must not: know descriptor bits (the `Layout` does) or read memory itself
//! (the `Memory` does).

/// Reads descriptors of tables. Implementations must never fault: a read
/// that cannot be done safely returns `None` (`read_run`: false).
pub trait Memory {
    /// Reads descriptor `index` of the table at physical address
    /// `table_pa` (which is `size` bytes long).
    fn read(&mut self, table_pa: u64, size: u64, index: usize) -> Option<u64>;
    /// Whether `pa` may be followed as a table of `size` bytes (for
    /// example: backed by RAM the kernel maps). Called before any read.
    fn table_ok(&mut self, pa: u64, size: u64) -> bool;
    /// Reads descriptors `index..index + out.len()` of the table at
    /// `table_pa` into `out`; false if one of them cannot be read (`out`
    /// is then unspecified). The default reads them one by one.
    fn read_run(&mut self, table_pa: u64, size: u64, index: usize, out: &mut [u64]) -> bool {
        for (i, o) in out.iter_mut().enumerate() {
            match index
                .checked_add(i)
                .and_then(|at| self.read(table_pa, size, at))
            {
                Some(v) => *o = v,
                None => return false,
            }
        }
        true
    }
}

/// What a descriptor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Not present.
    Invalid,
    /// Points to a next-level table at this physical address.
    Table(u64),
    /// Maps `size` bytes of input at output address `pa`.
    Leaf {
        /// Output address of this entry's first byte.
        pa: u64,
        /// Bytes covered by this entry.
        size: u64,
        /// A block (large leaf above the lowest level) rather than a page.
        block: bool,
    },
    /// An encoding the format reserves; never followed.
    Reserved,
}

/// The shape of a table format, level by level. Levels are named as the
/// format names them (LPAE counts down from the root 0..3 towards leaves at
/// 3; generic_pt counts from leaves at 0 up to the top).
pub trait Layout {
    /// Level of the root table.
    fn root_level(&self) -> u32;
    /// The level below `level`, if any.
    fn next_level(&self, level: u32) -> Option<u32>;
    /// Descriptors in a table at `level`.
    fn entries(&self, level: u32) -> usize;
    /// Input bytes one descriptor at `level` covers.
    fn entry_size(&self, level: u32) -> u64;
    /// Bytes of a table at `level`.
    fn table_bytes(&self, level: u32) -> u64;
    /// Classifies descriptor `index` of a table at `level`.
    fn classify(&self, level: u32, index: usize, desc: u64) -> Class;
}

/// One thing the walk met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A table descriptor at `level`, index `index` of its table, whose
    /// next-level table is at `next_pa`.
    Table {
        /// Level of the descriptor.
        level: u32,
        /// Index within its table.
        index: usize,
        /// First IOVA it covers.
        iova: u64,
        /// The raw descriptor.
        desc: u64,
        /// Physical address of the next-level table.
        next_pa: u64,
    },
    /// A valid leaf (page or block).
    Leaf {
        /// Level of the descriptor.
        level: u32,
        /// Physical address of the table holding it.
        table_pa: u64,
        /// Index within its table.
        index: usize,
        /// First IOVA.
        iova: u64,
        /// Output address.
        pa: u64,
        /// Bytes covered.
        size: u64,
        /// The raw descriptor.
        desc: u64,
        /// A block (a large leaf above the lowest level) rather than a page.
        block: bool,
    },
    /// A descriptor with a reserved encoding (not followed).
    Reserved {
        /// Level.
        level: u32,
        /// Index.
        index: usize,
        /// First IOVA it would cover.
        iova: u64,
        /// The raw descriptor.
        desc: u64,
    },
    /// A table that could not be followed or read: the walk skipped it.
    Unreadable {
        /// Level of the table.
        level: u32,
        /// Its physical address.
        table_pa: u64,
        /// First IOVA it covers.
        iova: u64,
    },
    /// The walk stopped early because it reached `Limits::max_steps`.
    Truncated {
        /// The next IOVA that was not walked.
        iova: u64,
    },
}

/// Bounds of one walk.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum number of descriptors read (valid or not).
    pub max_steps: u64,
    /// First IOVA of interest (walk starts at the table covering it).
    pub start: u64,
    /// End of interest (exclusive): the walk stops at the first entry that
    /// starts at or after it.
    pub end: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: u64::MAX,
            start: 0,
            end: u64::MAX,
        }
    }
}

impl Limits {
    /// The whole table, at most `MAX_WALK_READS` reads.
    pub fn whole() -> Self {
        Self::steps(MAX_WALK_READS)
    }

    /// The entries overlapping `[start, end)`, at most `MAX_WALK_READS`
    /// reads.
    pub fn bounded_range(start: u64, end: u64) -> Self {
        Limits {
            max_steps: MAX_WALK_READS,
            start,
            end,
        }
    }

    /// At most `max_steps` reads, from IOVA 0 to the end.
    pub fn steps(max_steps: u64) -> Self {
        Limits {
            max_steps,
            ..Limits::default()
        }
    }

    /// The entries overlapping `[start, end)`.
    pub fn range(start: u64, end: u64) -> Self {
        Limits {
            max_steps: u64::MAX,
            start,
            end,
        }
    }
}

/// The result of a walk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Descriptors read.
    pub reads: u64,
    /// Tables that could not be read or followed.
    pub unreadable: u64,
    /// Reserved encodings met.
    pub reserved: u64,
    /// Whether the walk ended early (`Limits::max_steps`).
    pub truncated: bool,
}

/// Most descriptors any one walk of a live table reads (4M: 32 MiB of
/// tables): dumps, accounting walks and leak owner searches alike stop
/// there, so a corrupt or cyclic table can never keep a CPU busy longer.
pub const MAX_WALK_READS: u64 = 1 << 22;

/// Deepest hierarchy walked (generic_pt allows 6 levels, LPAE 4).
pub const MAX_DEPTH: usize = 6;

/// The part of a leaf (`iova`, `pa`, `size` bytes) inside `[start, end)`:
/// its first IOVA, the physical address there and its length; `None` if
/// nothing of it is inside (or the physical address would overflow).
pub fn leaf_part(iova: u64, pa: u64, size: u64, start: u64, end: u64) -> Option<(u64, u64, u64)> {
    let from = iova.max(start);
    let to = iova.saturating_add(size).min(end);
    if to <= from {
        return None;
    }
    let p = pa.checked_add(from - iova)?;
    Some((from, p, to - from))
}

#[derive(Clone, Copy)]
struct Frame {
    table_pa: u64,
    level: u32,
    base: u64,
    index: usize,
    entries: usize,
}

const NO_FRAME: Frame = Frame {
    table_pa: 0,
    level: 0,
    base: 0,
    index: 0,
    entries: 0,
};

/// A walk in progress, one `Step` at a time: what `walk` runs to the end,
/// and what a streamed dump keeps between two reads to resume exactly
/// where it stopped (no descriptor is read twice). It borrows nothing: the
/// layout and the memory are passed to each `next`, and must be the same
/// every time.
///
/// # Invariants
///
/// `stack[..depth]` are the tables being walked, root first, each with the
/// index of its next descriptor; `depth <= MAX_DEPTH`. `deferred` is a step
/// already counted in `st` and not yet returned. `peeked` is what `leaves`
/// read of a descriptor it left to `next` (table, index, result), since
/// the last pause (`revalidate` drops it).
#[derive(Clone, Copy)]
pub struct Walker {
    stack: [Frame; MAX_DEPTH],
    depth: usize,
    root_pa: u64,
    limits: Limits,
    st: WalkStats,
    deferred: Option<Step>,
    peeked: Option<(u64, usize, Option<u64>)>,
    started: bool,
}

impl Walker {
    /// A walk of the hierarchy rooted at `root_pa`, bounded by `limits`.
    pub fn new(root_pa: u64, limits: Limits) -> Self {
        Walker {
            stack: [NO_FRAME; MAX_DEPTH],
            depth: 0,
            root_pa,
            limits,
            st: WalkStats::default(),
            deferred: None,
            peeked: None,
            started: false,
        }
    }

    /// The counters so far (final once `next` returned `None`).
    pub fn stats(&self) -> WalkStats {
        self.st
    }

    /// Ends the walk: `next` returns `None` from now on.
    fn end(&mut self) {
        self.depth = 0;
    }

    /// Before resuming a walk that was paused (a streamed dump between two
    /// reads): checks, from the root down, that each table the walk is in
    /// is still the one its parent's descriptor points to, and stops
    /// walking the first that is not and every table under it (the rest
    /// of them is reported as one `Unreadable` step, counted). An unmap
    /// that freed a table cleared that descriptor first, so a paused walk
    /// never goes on reading a page that left the table, however long the
    /// pause. These reads are not counted in `WalkStats::reads` (which
    /// counts each descriptor walked once).
    pub fn revalidate<L: Layout, M: Memory>(&mut self, g: &L, mem: &mut M) {
        // Read before the pause: read again.
        self.peeked = None;
        for d in 1..self.depth {
            let parent = self.stack[d - 1];
            let child = self.stack[d];
            let still = parent
                .index
                .checked_sub(1)
                .and_then(|i| {
                    let desc = mem.read(parent.table_pa, g.table_bytes(parent.level), i)?;
                    Some(g.classify(parent.level, i, desc))
                })
                .is_some_and(|c| c == Class::Table(child.table_pa));
            if !still {
                self.st.unreadable += 1;
                // Replaces a deferred step of a table under this one (it
                // stays counted).
                self.deferred = Some(Step::Unreadable {
                    level: child.level,
                    table_pa: child.table_pa,
                    iova: child.base,
                });
                self.depth = d;
                return;
            }
        }
    }

    /// The next table, leaf or anomaly in increasing IOVA order, or `None`
    /// when the walk is over. Uses no allocation, never goes deeper than
    /// `MAX_DEPTH` tables, reads each descriptor once, and stops after
    /// `limits.max_steps` reads (with a `Truncated` step).
    pub fn next<L: Layout, M: Memory>(&mut self, g: &L, mem: &mut M) -> Option<Step> {
        if let Some(s) = self.deferred.take() {
            return Some(s);
        }
        if !self.started {
            self.started = true;
            let root = g.root_level();
            if !mem.table_ok(self.root_pa, g.table_bytes(root)) {
                self.st.unreadable += 1;
                return Some(Step::Unreadable {
                    level: root,
                    table_pa: self.root_pa,
                    iova: 0,
                });
            }
            let root_entries = g.entries(root);
            let first = self.limits.start / g.entry_size(root);
            self.stack[0] = Frame {
                table_pa: self.root_pa,
                level: root,
                base: 0,
                index: first.min(root_entries as u64) as usize,
                entries: root_entries,
            };
            self.depth = 1;
        }
        let limits = self.limits;
        while self.depth > 0 {
            let depth = self.depth;
            let f = &mut self.stack[depth - 1];
            if f.index >= f.entries {
                self.depth -= 1;
                continue;
            }
            let index = f.index;
            f.index += 1;
            let level = f.level;
            let esize = g.entry_size(level);
            let iova = f.base.wrapping_add((index as u64).wrapping_mul(esize));
            if iova >= limits.end {
                // Entries only grow from here: this table and every parent
                // frame are past the end as well.
                self.end();
                return None;
            }
            if self.st.reads >= limits.max_steps {
                self.st.truncated = true;
                self.end();
                return Some(Step::Truncated { iova });
            }
            self.st.reads += 1;
            let table_pa = f.table_pa;
            let base = f.base;
            // What `leaves` read of it already, if it stopped there.
            let read = match self.peeked.take() {
                Some((t, i, r)) if t == table_pa && i == index => r,
                _ => mem.read(table_pa, g.table_bytes(level), index),
            };
            let Some(desc) = read else {
                self.st.unreadable += 1;
                // The rest of this table is unreadable too: pop it.
                self.depth -= 1;
                return Some(Step::Unreadable {
                    level,
                    table_pa,
                    iova: base,
                });
            };
            match g.classify(level, index, desc) {
                Class::Invalid => {}
                Class::Reserved => {
                    self.st.reserved += 1;
                    return Some(Step::Reserved {
                        level,
                        index,
                        iova,
                        desc,
                    });
                }
                Class::Leaf { pa, size, block } => {
                    return Some(Step::Leaf {
                        level,
                        table_pa,
                        index,
                        iova,
                        pa,
                        size,
                        desc,
                        block,
                    })
                }
                Class::Table(next_pa) => {
                    let step = Step::Table {
                        level,
                        index,
                        iova,
                        desc,
                        next_pa,
                    };
                    let next = g.next_level(level);
                    let ok = match next {
                        Some(n) => depth < MAX_DEPTH && mem.table_ok(next_pa, g.table_bytes(n)),
                        None => false,
                    };
                    let Some(n) = next.filter(|_| ok) else {
                        self.st.unreadable += 1;
                        self.deferred = Some(Step::Unreadable {
                            level: next.unwrap_or(level),
                            table_pa: next_pa,
                            iova,
                        });
                        return Some(step);
                    };
                    let nesize = g.entry_size(n);
                    let skip = if limits.start > iova {
                        (limits.start - iova) / nesize
                    } else {
                        0
                    };
                    let entries = g.entries(n);
                    self.stack[depth] = Frame {
                        table_pa: next_pa,
                        level: n,
                        base: iova,
                        index: skip.min(entries as u64) as usize,
                        entries,
                    };
                    self.depth += 1;
                    return Some(step);
                }
            }
        }
        None
    }

    /// The leaves `next` would return next, without a `Step` each (a
    /// decoded dump's inner loop): from the table the walk is in, each
    /// leaf in order goes to `f(level, iova, pa, size, desc, block)` and
    /// empty descriptors are skipped, as `next` does, until `f` returns
    /// false (after its leaf) or a descriptor comes that `next` returns as
    /// another step (a table, a reserved encoding, a read that fails), the
    /// table ends, the range ends or the read bound is reached. Those are
    /// left to `next` (with what was read of that descriptor: it is not
    /// read twice), which then goes on exactly as if every step had come
    /// from it: the same steps and the same counters.
    #[inline]
    pub fn leaves<L, M, F>(&mut self, g: &L, mem: &mut M, mut f: F)
    where
        L: Layout,
        M: Memory,
        F: FnMut(u32, u64, u64, u64, u64, bool) -> bool,
    {
        if self.deferred.is_some() || !self.started || self.depth == 0 {
            return;
        }
        let limits = self.limits;
        let st = &mut self.st;
        let peeked = &mut self.peeked;
        let Some(fr) = self.stack.get_mut(self.depth - 1) else {
            return;
        };
        let level = fr.level;
        let esize = g.entry_size(level);
        let bytes = g.table_bytes(level);
        while fr.index < fr.entries {
            let index = fr.index;
            let iova = fr.base.wrapping_add((index as u64).wrapping_mul(esize));
            if iova >= limits.end || st.reads >= limits.max_steps {
                return;
            }
            let Some(desc) = mem.read(fr.table_pa, bytes, index) else {
                *peeked = Some((fr.table_pa, index, None));
                return;
            };
            match g.classify(level, index, desc) {
                Class::Invalid => {}
                Class::Leaf { pa, size, block } => {
                    fr.index += 1;
                    st.reads += 1;
                    if !f(level, iova, pa, size, desc, block) {
                        return;
                    }
                    continue;
                }
                Class::Table(_) | Class::Reserved => {
                    *peeked = Some((fr.table_pa, index, Some(desc)));
                    return;
                }
            }
            fr.index += 1;
            st.reads += 1;
        }
    }
}

/// How many of `want` 8-byte words from `pa` on lie in `pa`'s page of
/// `page_size` bytes (a power of two): what one copy within a page may
/// read of a run. At least 1 for an aligned `pa` and `want > 0`.
pub fn words_in_page(pa: u64, page_size: u64, want: usize) -> usize {
    let left = page_size.saturating_sub(pa & page_size.wrapping_sub(1)) / 8;
    (left.min(want as u64)) as usize
}

/// Descriptors `leaves_in_range` reads from a table at once (256 bytes on
/// the stack).
pub const RUN: usize = 32;

/// The leaves of `[start, end)` (an unmap's range, what a short unmap
/// takes back, a freed domain's whole table): cheaper than `walk`, which
/// it leaves to report anomalies. For each lowest table
/// the range reaches it descends from the root, one descriptor per level,
/// then reads the range's descriptors of that table `RUN` at a time
/// (`Memory::read_run`; above the lowest level one at a time), and calls
/// `visit(iova, pa, len)` with the part inside the range of each leaf, in
/// increasing IOVA order.
///
/// Returns `Err((at, reads))` at the first thing it leaves to `walk`: a
/// reserved encoding, a table it cannot follow or read, or `max_reads`
/// reads (`MAX_WALK_READS` in the product). Everything below `at` was
/// visited and nothing from `at` on: a `walk` of `[at, end)` (leaves
/// clipped to it) with the reads left (`max_reads - reads`) finishes the
/// job and reports what it meets, within the same bound.
pub fn leaves_in_range<L: Layout, M: Memory, F: FnMut(u64, u64, u64)>(
    g: &L,
    root_pa: u64,
    mem: &mut M,
    start: u64,
    end: u64,
    max_reads: u64,
    mut visit: F,
) -> Result<(), (u64, u64)> {
    let root = g.root_level();
    if start >= end {
        return Ok(());
    }
    if !mem.table_ok(root_pa, g.table_bytes(root)) {
        return Err((start, 0));
    }
    let mut buf = [0u64; RUN];
    let mut reads = 0u64;
    // Invariant: everything below `at` was visited, nothing from it on.
    let mut at = start;
    'descent: while at < end {
        let (mut table, mut level, mut base, mut depth) = (root_pa, root, 0u64, 1usize);
        'level: loop {
            let esize = g.entry_size(level);
            let entries = g.entries(level) as u64;
            let bytes = g.table_bytes(level);
            // `base <= at < end`: the entry holding `at` and the one
            // holding `end - 1`, bounded by the table.
            let first = (at - base) / esize;
            if first >= entries {
                // Beyond the root's reach: nothing is mapped there. (Below
                // the root `at` is inside the parent's entry.)
                return if depth == 1 { Ok(()) } else { Err((at, reads)) };
            }
            let last = ((end - 1 - base) / esize).min(entries - 1);
            let lowest = g.next_level(level).is_none();
            let mut index = first;
            while index <= last {
                // Above the lowest level one at a time: an entry there is
                // mostly a table, gone down into before the next is used.
                let n = if lowest {
                    ((last - index + 1) as usize).min(RUN)
                } else {
                    1
                };
                let Some(out) = buf.get_mut(..n) else {
                    return Err((at, reads));
                };
                if reads.saturating_add(n as u64) > max_reads
                    || !mem.read_run(table, bytes, index as usize, out)
                {
                    return Err((at, reads));
                }
                reads += n as u64;
                for (k, desc) in out.iter().enumerate() {
                    let i = index + k as u64;
                    let Some(iova) = i.checked_mul(esize).and_then(|o| base.checked_add(o)) else {
                        return Err((at, reads));
                    };
                    match g.classify(level, i as usize, *desc) {
                        Class::Table(next_pa) => {
                            // The entry holding `at` (every entry before it
                            // in the run moved `at` past it): go down; the
                            // rest of the run is read again after it.
                            let Some(next) = g.next_level(level) else {
                                return Err((at, reads));
                            };
                            if depth >= MAX_DEPTH || !mem.table_ok(next_pa, g.table_bytes(next)) {
                                return Err((at, reads));
                            }
                            (table, level, base, depth) = (next_pa, next, iova, depth + 1);
                            continue 'level;
                        }
                        Class::Reserved => return Err((at, reads)),
                        Class::Leaf { pa, size, .. } => {
                            if let Some((from, p, len)) = leaf_part(iova, pa, size, at, end) {
                                visit(from, p, len);
                            }
                        }
                        Class::Invalid => {}
                    }
                    match iova.checked_add(esize) {
                        Some(next) => at = next,
                        // The top of the address space.
                        None => return Ok(()),
                    }
                }
                index += n as u64;
            }
            // This table's part of the range is done: `at` is past it.
            continue 'descent;
        }
    }
    Ok(())
}

/// Where a walk that must find every leaf of a range (a release of an
/// unmapped range or of a freed domain's table) first left something out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// It stopped at its read bound at `iova`: nothing from there on was
    /// visited.
    Bound {
        /// The first IOVA not visited.
        iova: u64,
    },
    /// A table it could not read (freed, not RAM, too deep): what that
    /// table maps was left out.
    Unreadable {
        /// The table's level.
        level: u32,
        /// The first IOVA it covers.
        iova: u64,
    },
    /// A reserved encoding: that entry was left out.
    Reserved {
        /// The descriptor's level.
        level: u32,
        /// The first IOVA of its entry.
        iova: u64,
    },
}

/// The rest of `leaves_in_range`'s job after it returned `Err((at,
/// reads))`: a `walk` of `[at, end)` with what is left of the bound
/// `max_reads`, each leaf part inside given to `add(pa, len)`. Returns the
/// first `Gap` it met, if any. Out of line: its walker is on the stack
/// only when it runs.
#[inline(never)]
pub fn walk_rest<L: Layout, M: Memory>(
    g: &L,
    root_pa: u64,
    mem: &mut M,
    (at, end): (u64, u64),
    (reads, max_reads): (u64, u64),
    add: &mut dyn FnMut(u64, u64),
) -> Option<Gap> {
    let limits = Limits {
        max_steps: max_reads.saturating_sub(reads),
        ..Limits::range(at, end)
    };
    let mut gap = None;
    walk(g, root_pa, mem, limits, |s| {
        let found = match *s {
            Step::Leaf { iova, pa, size, .. } => {
                // The part of the leaf inside `[at, end)`: below `at` was
                // visited by `leaves_in_range`.
                if let Some((_, p, len)) = leaf_part(iova, pa, size, at, end) {
                    add(p, len);
                }
                return;
            }
            Step::Table { .. } => return,
            // The entry it stopped at may begin below `at` (an entry above
            // the lowest level that holds it): below `at` was visited.
            Step::Truncated { iova } => Gap::Bound { iova: iova.max(at) },
            Step::Unreadable { level, iova, .. } => Gap::Unreadable {
                level,
                iova: iova.max(at),
            },
            Step::Reserved { level, iova, .. } => Gap::Reserved {
                level,
                iova: iova.max(at),
            },
        };
        let _ = gap.get_or_insert(found);
    });
    gap
}

/// Walks the hierarchy rooted at `root_pa` in increasing IOVA order and
/// reports every table, leaf and anomaly to `visit` (a `Walker` run to its
/// end).
pub fn walk<L: Layout, M: Memory, F: FnMut(&Step)>(
    g: &L,
    root_pa: u64,
    mem: &mut M,
    limits: Limits,
    mut visit: F,
) -> WalkStats {
    let mut w = Walker::new(root_pa, limits);
    while let Some(s) = w.next(g, mem) {
        visit(&s);
    }
    w.stats()
}
