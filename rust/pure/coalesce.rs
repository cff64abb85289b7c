// SPDX-License-Identifier: GPL-2.0

//! Coalescing of page-table leaves into runs.
//!
//! A walker yields leaves in increasing IOVA order; consecutive leaves that
//! continue each other in IOVA and physical address and have equal
//! attributes form one run, so output grows with the number of runs, not
//! pages.
//!
//! Owns: the merge rule. Must not: know any descriptor format.

/// One mapped leaf (page, block, or one contiguous-hint entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf<A> {
    /// Input (IO virtual) address of the first byte.
    pub iova: u64,
    /// Output (physical) address of the first byte.
    pub pa: u64,
    /// Size in bytes (a power of two, at least 1).
    pub size: u64,
    /// Attributes that must be equal for two leaves to merge.
    pub attrs: A,
}

/// A run of leaves: `[iova, iova + size)` maps to `[pa, pa + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run<A> {
    /// First IOVA of the run.
    pub iova: u64,
    /// First physical address of the run.
    pub pa: u64,
    /// Total size in bytes.
    pub size: u64,
    /// Number of leaves merged into the run.
    pub leaves: u64,
    /// Their common attributes.
    pub attrs: A,
}

impl<A: PartialEq + Copy> Run<A> {
    fn start(l: &Leaf<A>) -> Self {
        Run {
            iova: l.iova,
            pa: l.pa,
            size: l.size,
            leaves: 1,
            attrs: l.attrs,
        }
    }

    /// Whether `l` continues this run (IOVA and PA contiguous, same attrs).
    /// Sizes that would overflow the address space never merge.
    #[inline]
    pub fn continues(&self, l: &Leaf<A>) -> bool {
        self.attrs == l.attrs
            && self.iova.checked_add(self.size) == Some(l.iova)
            && self.pa.checked_add(self.size) == Some(l.pa)
            && self.size.checked_add(l.size).is_some()
    }
}

/// Incremental coalescer: feed leaves in increasing IOVA order, receive
/// finished runs through the sink.
///
/// # Invariants
///
/// `cur`, when set, is the run that the last pushed leaf belongs to; every
/// run handed to the sink before it ends before `cur.iova`.
pub struct Coalescer<A> {
    cur: Option<Run<A>>,
}

impl<A: PartialEq + Copy> Default for Coalescer<A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A: PartialEq + Copy> Coalescer<A> {
    /// An empty coalescer.
    pub const fn new() -> Self {
        Coalescer { cur: None }
    }

    /// Adds `l` to the open run if it continues it (true); otherwise
    /// changes nothing (false), and `l` is for `push`. The common case of a
    /// dump's inner loop, without moving a run.
    #[inline]
    pub fn extend(&mut self, l: &Leaf<A>) -> bool {
        match &mut self.cur {
            Some(r) if r.continues(l) => {
                r.size += l.size;
                r.leaves += 1;
                true
            }
            _ => false,
        }
    }

    /// Adds a leaf; returns the run it closed, if any.
    pub fn push(&mut self, l: Leaf<A>) -> Option<Run<A>> {
        match &mut self.cur {
            Some(r) if r.continues(&l) => {
                r.size += l.size;
                r.leaves += 1;
                None
            }
            _ => self.cur.replace(Run::start(&l)),
        }
    }

    /// Ends the input; returns the last run, if any.
    pub fn finish(&mut self) -> Option<Run<A>> {
        self.cur.take()
    }
}
