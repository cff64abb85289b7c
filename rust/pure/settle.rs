// SPDX-License-Identifier: GPL-2.0

//! The seeding protocol of one *settling* domain: a domain that existed
//! before the accounting hooks, whose older mappings are counted by a
//! walk that runs while DMA goes on, without counting any mapping twice
//! and without missing one.
//!
//! A settling domain has a *cursor*: every IOVA below it is seeded (its
//! mappings are in the counts, and the hooks count every change there);
//! every IOVA at or above it is not yet (the hooks leave changes there to
//! the walk, which will see their result). An operation on `[a, b)`:
//!
//! - counts `[a, min(b, cursor))` itself (`enter` returns that end);
//! - if it reaches past the cursor, it is *ahead*: its first uncounted IOVA
//!   `max(a, cursor)` is recorded until it returns (`exit`), and if a
//!   window is being walked it lowers the window's limit (`win_min`).
//!
//! The seeder walks a *window* `[cursor, end)` of the table
//! (`begin_window`, then its walk, then `end_window(end)`): the window is
//! committed only up to `min(end, limit)`, where the limit is the lowest
//! ahead start of an operation that was in flight when the window began or
//! entered while it was walked. So what is committed was read while no
//! operation could change it, and the cursor moves past it in the same
//! step (the caller commits under the same lock as every `enter`): a
//! later operation there counts itself. The cursor never passes an
//! operation in flight, so the end an operation got at `enter` still holds
//! at `exit`. A window cut short is walked again from the new cursor.
//!
//! Owns: the cursor, the record of operations in flight, the window's
//! limit. Must not: lock, allocate, or know about tables and counters (the
//! caller holds the lock that serialises every call on a slot, walks and
//! counts).

/// Operations in flight past the cursor recorded with their start; more at
/// once share one record (`untracked`, with the lowest of their starts).
pub const TRACKED: usize = 16;

/// No IOVA: a free record, or a window with no limit.
const NONE: u64 = u64::MAX;

/// How an operation in flight is recorded, for `exit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    /// Entirely below the cursor: counted by the hook, nothing recorded.
    Behind,
    /// Ahead, recorded in `ahead[i]`.
    Entry(usize),
    /// Ahead, all records in use: counted in `untracked`.
    Untracked,
}

/// The state of one settling domain (or of a free slot).
///
/// # Invariants
///
/// `cursor` is a multiple of `grain` (or `u64::MAX`); `cursor <= s` for
/// every recorded ahead start `s`, for `untracked_min` while `untracked >
/// 0` and for `win_min` while `walking`; `untracked` counts operations in
/// flight past the cursor without a record of their own, `untracked_min`
/// is at or below each of their starts; a slot with `key == 0` is free and
/// records nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    key: usize,
    grain: u64,
    cursor: u64,
    ahead: [u64; TRACKED],
    untracked: u32,
    untracked_min: u64,
    walking: bool,
    win_min: u64,
}

impl Slot {
    /// A free slot.
    pub const FREE: Slot = Slot {
        key: 0,
        grain: 1,
        cursor: 0,
        ahead: [NONE; TRACKED],
        untracked: 0,
        untracked_min: NONE,
        walking: false,
        win_min: NONE,
    };

    /// A domain `key` (nonzero) that starts settling: nothing seeded yet.
    /// The cursor only stops on multiples of `grain` (a power of two: the
    /// unit the caller counts in), so a unit is never split between the
    /// hooks and the walk.
    pub const fn settling(key: usize, grain: u64) -> Slot {
        let grain = if grain.is_power_of_two() { grain } else { 1 };
        Slot {
            key,
            grain,
            ..Self::FREE
        }
    }

    fn align_down(&self, x: u64) -> u64 {
        if x == u64::MAX {
            x
        } else {
            x & !(self.grain - 1)
        }
    }

    /// The domain's key; 0 for a free slot.
    pub fn key(&self) -> usize {
        self.key
    }

    /// IOVAs below this are seeded; `u64::MAX` once the whole table is.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Whether the whole table is seeded (the slot can be freed).
    pub fn seeded(&self) -> bool {
        self.cursor == u64::MAX
    }

    /// Operations in flight past the cursor.
    pub fn ahead_in_flight(&self) -> usize {
        self.ahead.iter().filter(|&&s| s != NONE).count() + self.untracked as usize
    }

    /// An operation on `[a, b)` enters: returns how it is recorded and the
    /// end of what the hook counts itself (`[a, end)`, empty if `end <= a`).
    pub fn enter(&mut self, a: u64, b: u64) -> (Track, u64) {
        let c = self.cursor;
        if self.key == 0 || b <= c {
            return (Track::Behind, b);
        }
        // A start inside a unit holds the whole unit back.
        let start = self.align_down(a).max(c);
        if self.walking {
            self.win_min = self.win_min.min(start);
        }
        let end = start.min(b);
        for (i, s) in self.ahead.iter_mut().enumerate() {
            if *s == NONE {
                *s = start;
                return (Track::Entry(i), end);
            }
        }
        self.untracked = self.untracked.saturating_add(1);
        self.untracked_min = self.untracked_min.min(start);
        (Track::Untracked, end)
    }

    /// The operation recorded as `t` returned.
    pub fn exit(&mut self, t: Track) {
        match t {
            Track::Behind => {}
            Track::Entry(i) => {
                if let Some(s) = self.ahead.get_mut(i) {
                    *s = NONE;
                }
            }
            Track::Untracked => {
                self.untracked = self.untracked.saturating_sub(1);
                if self.untracked == 0 {
                    self.untracked_min = NONE;
                }
            }
        }
    }

    /// A window starts at the cursor (returned): the walk reads from there.
    pub fn begin_window(&mut self) -> u64 {
        self.walking = true;
        self.win_min = self
            .ahead
            .iter()
            .copied()
            .min()
            .unwrap_or(NONE)
            .min(self.untracked_min);
        self.cursor
    }

    /// Where `end_window(walked_to)` would commit up to if called now; it
    /// can only commit less later (the limit only drops), so the caller
    /// may prepare what lies below this outside its lock.
    pub fn peek_window(&self, walked_to: u64) -> u64 {
        if self.walking {
            self.align_down(walked_to.min(self.win_min))
                .max(self.cursor)
        } else {
            self.cursor
        }
    }

    /// The window's walk read everything in `[cursor, walked_to)`: returns
    /// the end up to which that is committed (the new cursor, never below
    /// the old one). The caller counts what its walk found below it, under
    /// the same lock as this call.
    pub fn end_window(&mut self, walked_to: u64) -> u64 {
        let e = self.peek_window(walked_to);
        self.walking = false;
        self.win_min = NONE;
        self.cursor = e;
        e
    }
}
