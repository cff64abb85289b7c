// SPDX-License-Identifier: GPL-2.0

//! Notes of unmaps in progress: what the entry probe of `__iommu_unmap`
//! leaves for the `iommu:unmap` tracepoint of the same call, which says
//! how much was really unmapped (`hooks.rs`). An entry-only probe plus the
//! tracepoint (a direct call) cost less than a function-return probe,
//! which pushes a frame on the task's return stack and traps the return.
//!
//! A note belongs to the execution context that left it
//! (`task::context_id`): a context is in at most one `__iommu_unmap` at a
//! time (it does not recurse, and an interrupt is another context), and
//! the core fires the tracepoint on every path past the checks the probe
//! repeats, so the context that left a note takes it back. Slots are
//! probed from a hash of the context, so the context usually finds its
//! slot first, on whatever CPU it runs when the call ends.
//!
//! Owns: the slots and the count of notes that could not be left. Must
//! not: sleep, allocate or take a lock after `new` (notes are left and
//! taken in the hooks, in any context), or decide what a note means.

use core::cell::UnsafeCell;

use kernel::{
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
};

use crate::sys::task;

/// What one unmap leaves for its end (see `hooks.rs` for the meaning).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Note {
    pub(crate) iova: u64,
    pub(crate) size: u64,
    /// The domain's address (it is alive until the call returns).
    pub(crate) domain: usize,
    /// Bytes from `iova` released at entry.
    pub(crate) counted: u64,
    /// The settling decision (`seed::Decision::encode`), or a marker.
    pub(crate) dec: usize,
    /// The dumps' unmap bucket, or `NO_BUCKET`.
    pub(crate) bucket: usize,
}

/// `Note::bucket` when the dumps do not count unmaps.
pub(crate) const NO_BUCKET: usize = usize::MAX;

/// An empty note (a free slot's payload).
const EMPTY: Note = Note {
    iova: 0,
    size: 0,
    domain: 0,
    counted: 0,
    dec: 0,
    bucket: 0,
};

/// The interrupt level of an NMI-level context in `task::context_id`.
const NMI_LEVEL: usize = 3;

/// One slot: its owner and its note. The note is plain memory, not
/// atomics: only the owner touches it (see `UnmapNotes`), and every atomic
/// operation of the kernel crate is a call into a C helper on kernels
/// built with GCC, which this runs for on every unmap.
#[repr(align(64))]
struct Slot {
    /// The owning context, 0 when free (a cache line per slot: contexts
    /// on other CPUs claim the others).
    ctx: Atomic<usize>,
    note: UnsafeCell<Note>,
}

/// The slots.
///
/// # Invariants
///
/// `slots.len()` is a power of two. A slot whose `ctx` is nonzero belongs
/// to that context, which claimed it with a compare-and-exchange from 0
/// (acquire), then wrote its note; only that context reads or writes the
/// note, or frees the slot (in `take`, with a release store after reading
/// the note, so that the next owner's accesses come after those), so it
/// reads it back in program order (a task that migrates is ordered by the
/// scheduler). No two contexts running at the same time have the same
/// `task::context_id` below the NMI level (a task runs on one CPU at a
/// time; arm64 does not nest hardirqs; a softirq, also PREEMPT_RT's, is
/// its own level; `__iommu_unmap` does not recurse), and NMI-level
/// contexts, which may nest, leave no note: no slot has two owners.
pub(crate) struct UnmapNotes {
    slots: KVVec<Slot>,
    /// Notes that found no free slot.
    pub(crate) lost: Atomic<u64>,
}

// SAFETY: the notes are shared between contexts only through `ctx`, an
// atomic; a note is accessed by the one context that owns its slot (type
// invariant: ids are unique among the contexts that leave notes), with the
// ownership handed over by the acquire claim and the release free.
unsafe impl Sync for UnmapNotes {}

impl UnmapNotes {
    /// Room for four contexts per possible CPU (task, softirq, hardirq,
    /// NMI) plus 64 (tasks preempted inside an unmap), rounded up to a
    /// power of two, at least 256 (process context). More preempted tasks
    /// than that lose their notes (see `hooks.rs`).
    pub(crate) fn new() -> Result<Self> {
        let n = task::nr_cpu_ids()
            .saturating_mul(4)
            .saturating_add(64)
            .max(256)
            .checked_next_power_of_two()
            .ok_or(EINVAL)?;
        let mut slots = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            slots.push(
                Slot {
                    ctx: Atomic::new(0),
                    note: UnsafeCell::new(EMPTY),
                },
                GFP_KERNEL,
            )?;
        }
        // INVARIANT: `n` is a power of two; every slot is free.
        Ok(Self {
            slots,
            lost: Atomic::new(0),
        })
    }

    /// The slots in the order `ctx` probes them (all of them, once).
    fn probe_order(&self, ctx: usize) -> impl Iterator<Item = &Slot> {
        let n = self.slots.len();
        // Fibonacci hashing of the whole id, the level bits included, so
        // that a task's interrupt contexts start elsewhere than the task
        // (the top bits of the product, as `hash_64`).
        let h = (ctx as u64).wrapping_mul(0x61c8_8646_80b5_83eb);
        let start = (h >> 32) as usize & (n - 1);
        Iterator::chain(self.slots[start..].iter(), self.slots[..start].iter())
    }

    /// Leaves `note` for the current context (any context, at most one
    /// pass over the slots); false (counted in `lost`) if no slot was free.
    pub(crate) fn leave(&self, note: Note) -> bool {
        let me = task::context_id();
        // NMI-level contexts (NMIs, and debug exceptions or SDEI events
        // that may nest in them) can share an id: they leave no note.
        if me & 3 == NMI_LEVEL {
            self.lost.add(1, Relaxed);
            return false;
        }
        for s in self.probe_order(me) {
            // No load first: the context's own slot is usually free, and
            // each atomic operation is a call (see `Slot`).
            if s.ctx.cmpxchg(0, me, Acquire).is_ok() {
                // SAFETY: this context just claimed the slot, after its
                // previous owner's last access (acquire on the release
                // that freed it); no one else accesses the note until this
                // context frees the slot (type invariant).
                unsafe { *s.note.get() = note };
                return true;
            }
        }
        self.lost.add(1, Relaxed);
        false
    }

    /// Takes back the current context's note for the unmap of `size` bytes
    /// at `iova` (any context, at most one pass over the slots).
    pub(crate) fn take(&self, iova: u64, size: u64) -> Option<Note> {
        let me = task::context_id();
        if me & 3 == NMI_LEVEL {
            return None;
        }
        for s in self.probe_order(me) {
            if s.ctx.load(Relaxed) != me {
                continue;
            }
            // SAFETY: the slot is this context's (only a context sets `ctx`
            // to its own id, when it claims a free slot), which wrote the
            // note before, in program order; no other context accesses it
            // (type invariant).
            let note = unsafe { *s.note.get() };
            if note.iova == iova && note.size == size {
                // Only this context frees its slot, once it read it.
                s.ctx.store(0, Release);
                return Some(note);
            }
        }
        None
    }

    /// The number of slots.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }
}
