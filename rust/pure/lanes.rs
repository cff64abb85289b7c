// SPDX-License-Identifier: GPL-2.0

//! Mapping refcounts packed four to a 64-bit word: lane `i` (bits
//! `16 * i` to `16 * i + 15`) is the counter of the `i`-th 4 KiB unit the
//! word covers, its count in bits 0-14 and a "reported" flag in bit 15
//! (the unit was reported freed while mapped). Updating up to four units
//! is one compare-and-exchange of the word: every atomic operation of the
//! kernel crate is a call into a C helper on kernels built with GCC, and a
//! map or unmap updates every 4 KiB unit it covers.
//!
//! Owns: the lane arithmetic (overflow, underflow, the reported flag).
//! Must not: read or write memory (`accounting::pagecount` does, with the
//! word's atomic operations).

/// Counters per word.
pub const LANES: usize = 4;

/// Set in a counter once its page was reported as freed while mapped.
pub const REPORTED: u16 = 1 << 15;
/// Largest count: the next increment is an overflow, never a wrap.
pub const MAX_COUNT: u16 = REPORTED - 1;

/// Every lane's reported flag.
const REPORTED_BITS: u64 = 0x8000_8000_8000_8000;

/// The part of one word in a run of counters (see `chunks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Index of the word.
    pub word: usize,
    /// Its first lane in the run.
    pub lane: usize,
    /// Lanes of the run in it (1 to `LANES`).
    pub n: usize,
    /// Counters of the run before it.
    pub offset: u64,
}

/// The words that the `n` counters from index `first` on cover, in order,
/// each with the lanes of the run it holds.
pub fn chunks(first: u64, n: u64) -> impl Iterator<Item = Chunk> {
    let mut offset = 0u64;
    core::iter::from_fn(move || {
        if offset >= n {
            return None;
        }
        let i = first.checked_add(offset)?;
        let lane = (i % LANES as u64) as usize;
        let k = (LANES as u64 - lane as u64).min(n - offset);
        let c = Chunk {
            word: usize::try_from(i / LANES as u64).ok()?,
            lane,
            n: k as usize,
            offset,
        };
        offset += k;
        Some(c)
    })
}

/// What an update did to one lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneUpdate {
    /// Changed; the count before.
    Done {
        /// Count before the update.
        old: u16,
    },
    /// An increment at `MAX_COUNT`: the lane is unchanged.
    Overflow,
    /// A decrement at zero: the lane is unchanged.
    Underflow,
}

/// Lane `i` of `word` (0 beyond the last lane).
pub fn lane(word: u64, i: usize) -> u16 {
    if i >= LANES {
        return 0;
    }
    (word >> (16 * i)) as u16
}

fn with_lane(word: u64, i: usize, v: u16) -> u64 {
    let shift = 16 * i;
    (word & !(0xffffu64 << shift)) | (u64::from(v) << shift)
}

/// One more reference (`inc`) or one less on the lanes `[first, first +
/// n)` of `word` (clipped to the word): the new word and what happened to
/// each lane in range (`None` outside it). An increment at `MAX_COUNT`
/// overflows and a decrement at zero underflows, leaving the lane as it
/// was; a decrement to zero clears the reported flag.
pub fn update(word: u64, first: usize, n: usize, inc: bool) -> (u64, [Option<LaneUpdate>; LANES]) {
    let mut out = [None; LANES];
    let mut w = word;
    let end = first.saturating_add(n).min(LANES);
    for (i, o) in out.iter_mut().enumerate().take(end).skip(first) {
        let v = lane(w, i);
        let count = v & MAX_COUNT;
        let (new, u) = if inc {
            if count == MAX_COUNT {
                (v, LaneUpdate::Overflow)
            } else {
                (v + 1, LaneUpdate::Done { old: count })
            }
        } else if count == 0 {
            (v, LaneUpdate::Underflow)
        } else if count == 1 {
            (0, LaneUpdate::Done { old: 1 })
        } else {
            (v - 1, LaneUpdate::Done { old: count })
        };
        w = with_lane(w, i, new);
        *o = Some(u);
    }
    (w, out)
}

/// The word with a count of 1 in each lane of `[first, first + n)`
/// (clipped to the word) and 0 elsewhere: the usual case of an update,
/// which turns 0 into it (a map of pages mapped nowhere else) or it into
/// 0 (their unmap). A compare-and-exchange that expects it needs no load,
/// and its outcome is known for every lane at once.
pub fn ones(first: usize, n: usize) -> u64 {
    let end = first.saturating_add(n).min(LANES);
    (first..end).fold(0, |w, i| with_lane(w, i, 1))
}

/// Sets lane `i`'s reported flag if it counts references and has none
/// yet: the new word and the count, or `None` (nothing to change).
pub fn mark_reported(word: u64, i: usize) -> Option<(u64, u16)> {
    let v = lane(word, i);
    if i >= LANES || v & MAX_COUNT == 0 || v & REPORTED != 0 {
        return None;
    }
    Some((with_lane(word, i, v | REPORTED), v & MAX_COUNT))
}

/// `mark_reported` of every lane of `[first, first + n)` (clipped to the
/// word): the new word and the largest count among the lanes it flagged,
/// or `None` if it flagged none.
pub fn mark_reported_lanes(word: u64, first: usize, n: usize) -> Option<(u64, u16)> {
    let end = first.saturating_add(n).min(LANES);
    let mut out: Option<(u64, u16)> = None;
    for i in first..end {
        let w = out.map_or(word, |(w, _)| w);
        if let Some((nw, c)) = mark_reported(w, i) {
            out = Some((nw, out.map_or(c, |(_, m)| m.max(c))));
        }
    }
    out
}

/// `word` with every reported flag cleared.
pub fn clear_reported(word: u64) -> u64 {
    word & !REPORTED_BITS
}

/// Whether any lane of `word` has its reported flag.
pub fn any_reported(word: u64) -> bool {
    word & REPORTED_BITS != 0
}
