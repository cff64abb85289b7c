// SPDX-License-Identifier: GPL-2.0

//! The set of live domains as the hooks see it: an open-addressing hash
//! table from a domain key (its address, never 0 or 1) to the incarnation
//! number the registry gave it, in a caller-provided slice of slots.
//!
//! Every operation is bounded by the slice length and allocates nothing,
//! so a hook may call it under a raw spinlock; growing (a bigger slice,
//! `rehash`) is the caller's business, in process context. Removal leaves a
//! tombstone, so a probe chain is never cut; `rehash` drops them.
//!
//! Owns: the slot layout, hashing and probing. Must not: know what a key
//! points to, or lock.

/// A slot: `key == EMPTY` free, `key == TOMBSTONE` freed, else a live key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    /// The key, or `EMPTY` / `TOMBSTONE`.
    pub key: usize,
    /// The incarnation number of the key's domain.
    pub id: u64,
}

/// A never-used slot.
pub const EMPTY: usize = 0;
/// A slot whose key was removed.
pub const TOMBSTONE: usize = 1;

/// The set could not take the key: the table is too full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Occupancy of a table (what `insert` and `wants_rehash` decide on).
///
/// # Invariants
///
/// `live` slots hold a key, `used - live` hold a tombstone, the others are
/// `EMPTY`, for the slice these counts were kept with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Slots holding a live key.
    pub live: usize,
    /// Slots holding a live key or a tombstone.
    pub used: usize,
}

/// Where `key` starts probing in a table of `len` slots (a power of two).
fn home(key: usize, len: usize) -> usize {
    // Fibonacci hashing of the address without its alignment bits.
    let h = ((key >> 4) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 32) as usize & (len - 1)
}

/// Whether `len` is a usable table size.
pub fn valid_len(len: usize) -> bool {
    len.is_power_of_two() && len >= 8
}

/// The incarnation of `key` if it is in the set.
pub fn find(slots: &[Slot], key: usize) -> Option<u64> {
    if key <= TOMBSTONE || !valid_len(slots.len()) {
        return None;
    }
    let mask = slots.len() - 1;
    let mut i = home(key, slots.len());
    for _ in 0..slots.len() {
        let s = &slots[i];
        if s.key == key {
            return Some(s.id);
        }
        if s.key == EMPTY {
            return None;
        }
        i = (i + 1) & mask;
    }
    None
}

/// Adds `key` with incarnation `id` (replacing the incarnation if the key
/// is already in). Refuses (`Full`) rather than fill more than three
/// quarters of the slots, so probes stay short and always meet an `EMPTY`.
pub fn insert(slots: &mut [Slot], occ: &mut Occupancy, key: usize, id: u64) -> Result<(), Full> {
    if key <= TOMBSTONE || !valid_len(slots.len()) {
        return Err(Full);
    }
    let mask = slots.len() - 1;
    let mut i = home(key, slots.len());
    let mut grave = None;
    for _ in 0..slots.len() {
        let k = slots[i].key;
        if k == key {
            slots[i].id = id;
            return Ok(());
        }
        if k == TOMBSTONE && grave.is_none() {
            grave = Some(i);
        }
        if k == EMPTY {
            break;
        }
        i = (i + 1) & mask;
    }
    let at = match grave {
        // Reusing a tombstone does not raise `used`.
        Some(g) => g,
        None => {
            if (occ.used + 1) * 4 > slots.len() * 3 || slots[i].key != EMPTY {
                return Err(Full);
            }
            occ.used += 1;
            i
        }
    };
    slots[at] = Slot { key, id };
    occ.live += 1;
    Ok(())
}

/// Removes `key`; returns its incarnation if it was in the set.
pub fn remove(slots: &mut [Slot], occ: &mut Occupancy, key: usize) -> Option<u64> {
    if key <= TOMBSTONE || !valid_len(slots.len()) {
        return None;
    }
    let mask = slots.len() - 1;
    let mut i = home(key, slots.len());
    for _ in 0..slots.len() {
        let s = slots[i];
        if s.key == key {
            slots[i] = Slot {
                key: TOMBSTONE,
                id: 0,
            };
            occ.live -= 1;
            return Some(s.id);
        }
        if s.key == EMPTY {
            return None;
        }
        i = (i + 1) & mask;
    }
    None
}

/// The table size a rehash should move to, if one is due: twice as big
/// when more than a quarter of the slots are live, the same size (to drop
/// tombstones) when more than half are used, else none.
pub fn wants_rehash(len: usize, occ: &Occupancy) -> Option<usize> {
    if occ.live * 4 > len {
        len.checked_mul(2)
    } else if occ.used * 2 > len {
        Some(len)
    } else {
        None
    }
}

/// Moves every live key of `from` into `to` (all `EMPTY`, a valid length
/// with room for them); returns the new occupancy, or `Full` (then `to` is
/// unusable and `from` unchanged).
pub fn rehash(from: &[Slot], to: &mut [Slot]) -> Result<Occupancy, Full> {
    let mut occ = Occupancy::default();
    for s in from.iter().filter(|s| s.key > TOMBSTONE) {
        insert(to, &mut occ, s.key, s.id)?;
    }
    Ok(occ)
}
