// SPDX-License-Identifier: GPL-2.0

//! Seeding the counts with what the domains that exist at load already
//! map, exactly, while DMA goes on.
//!
//! A domain found at load is *settling*: the hooks do not count its maps,
//! unmaps or free (they bump its generation instead, with a CAS, and mark
//! themselves in flight until they return). The seeder waits until no
//! operation on it is in flight, notes the generation, walks its table into
//! a list of runs, applies the list to the counts, and then moves the
//! domain to *counted* with a CAS from the noted generation. If the CAS
//! fails, an operation entered during the walk: the list is taken back
//! exactly (the same runs, decremented) and the domain is walked again.
//! After the CAS, every operation on the domain is counted by the hooks
//! against counts that already hold its table. So a page is counted once
//! per mapping, never twice (no false DMA use-after-free report), and none
//! is lost unless a domain never becomes quiet within `MAX_ATTEMPTS`
//! walks: it is then counted from that moment on without its older
//! mappings (`seed_given_up`; their later unmaps show as underflows, never
//! as leaks). Domains allocated between the snapshot of live domains and
//! the installation of the hooks are not seeded either (a window of
//! microseconds during `insmod`).
//!
//! Owns: the settling slots and the seeding walk. Must not: sleep, allocate
//! or loop unboundedly in the hooks' half (`enter`, `exit`, `freed`).

use kernel::{
    alloc::flags::__GFP_NOWARN,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Full, Relaxed, Release},
};

use super::pagecount::Alloc;
use super::state::Accounting;
use crate::ptdump::registry::Registry;
use crate::pure::walk::{walk, Limits, Step};
use crate::sys::domain::DomainKey;
use crate::sys::phys::PhysMemory;

/// Domains that can settle at once; more are counted from load on, without
/// their older mappings (`seed_skipped`).
pub(crate) const MAX_SETTLING: usize = 64;

/// Walks tried per domain before giving up on a quiet one.
const MAX_ATTEMPTS: u32 = 200;

/// In a slot's state: the domain is counted by the hooks (seeded, given
/// up, or freed). Below it: the generation.
const COUNTED: u64 = 1 << 63;

/// One settling domain.
///
/// # Invariants
///
/// `key` is 0 for a free slot. While `state` lacks `COUNTED`, every hook
/// entry on the domain has incremented `inflight` and then the generation
/// in `state` (a CAS), and decrements `inflight` when it returns.
struct Slot {
    key: Atomic<usize>,
    state: Atomic<u64>,
    inflight: Atomic<u64>,
}

/// What a hook decided at entry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Count this operation.
    Count,
    /// The domain settles: do not count, and call `exit` with this slot.
    Skip(usize),
}

/// The settling domains.
pub(crate) struct Settling {
    slots: [Slot; MAX_SETTLING],
    /// Slots not yet counted: the hooks' fast path when 0.
    active: Atomic<usize>,
}

impl Settling {
    /// No domain settles.
    pub(crate) const fn new() -> Self {
        Self {
            slots: [const {
                Slot {
                    key: Atomic::new(0),
                    state: Atomic::new(COUNTED),
                    inflight: Atomic::new(0),
                }
            }; MAX_SETTLING],
            active: Atomic::new(0),
        }
    }

    /// Makes `key` settle (process context, before the hooks are
    /// installed); false if no slot is free.
    fn add(&self, key: DomainKey) -> bool {
        for s in self.slots.iter() {
            if s.key.load(Relaxed) == 0 {
                s.state.store(0, Relaxed);
                s.inflight.store(0, Relaxed);
                s.key.store(key.index(), Release);
                let _ = self.active.fetch_add(1, Release);
                return true;
            }
        }
        false
    }

    fn find(&self, key: usize) -> Option<(usize, &Slot)> {
        if self.active.load(Acquire) == 0 || key == 0 {
            return None;
        }
        self.slots
            .iter()
            .enumerate()
            .find(|(_, s)| s.key.load(Acquire) == key)
    }

    /// A hook enters an operation on the domain `key` (any context,
    /// bounded: at most `MAX_SETTLING` loads and a CAS loop that only
    /// retries when another entry raced).
    pub(crate) fn enter(&self, key: usize) -> Decision {
        let Some((i, s)) = self.find(key) else {
            return Decision::Count;
        };
        let _ = s.inflight.fetch_add(1, Full);
        loop {
            let st = s.state.load(Acquire);
            if st & COUNTED != 0 {
                let _ = s.inflight.fetch_sub(1, Release);
                return Decision::Count;
            }
            if s.state
                .cmpxchg(st, st.wrapping_add(1) & !COUNTED, Full)
                .is_ok()
            {
                return Decision::Skip(i);
            }
        }
    }

    /// The operation `enter` skipped returned.
    pub(crate) fn exit(&self, d: Decision) {
        if let Decision::Skip(i) = d {
            if let Some(s) = self.slots.get(i) {
                let _ = s.inflight.fetch_sub(1, Release);
            }
        }
    }

    /// The domain `key` is being freed: if it still settles, it will never
    /// be seeded; its slot is released (a new domain at the same address is
    /// counted normally). Returns whether the domain was settling, in which
    /// case nothing of it was counted.
    pub(crate) fn freed(&self, key: usize) -> bool {
        let Some((_, s)) = self.find(key) else {
            return false;
        };
        loop {
            let st = s.state.load(Acquire);
            if st & COUNTED != 0 {
                return false;
            }
            if s.state.cmpxchg(st, COUNTED, Full).is_ok() {
                self.release(s, key);
                return true;
            }
        }
    }

    /// Frees the slot of a counted domain; whoever clears the key (the
    /// seeder or the free hook) gives the `active` count back, once.
    fn release(&self, s: &Slot, key: usize) {
        if s.key.cmpxchg(key, 0, Full).is_ok() {
            let _ = self.active.fetch_sub(1, Release);
        }
    }
}

/// Counters of the seeding, shown in `accounting`.
pub(crate) struct SeedStats {
    pub(crate) domains: Atomic<u64>,
    pub(crate) attempts: Atomic<u64>,
    pub(crate) given_up: Atomic<u64>,
    pub(crate) skipped: Atomic<u64>,
}

impl SeedStats {
    pub(crate) const fn new() -> Self {
        Self {
            domains: Atomic::new(0),
            attempts: Atomic::new(0),
            given_up: Atomic::new(0),
            skipped: Atomic::new(0),
        }
    }
}

/// Makes every domain `reg` knows settle; call before installing the hooks.
pub(crate) fn snapshot(a: &Accounting, reg: &Registry) {
    let Ok(live) = reg.live() else {
        return;
    };
    for d in live.iter() {
        if !a.settling.add(d.key) {
            a.seed.skipped.add(1, Relaxed);
        }
    }
}

/// Seeds every settling domain (process context, after the hooks are
/// installed): a quiet walk each, or `MAX_ATTEMPTS` tries.
pub(crate) fn run(a: &Accounting, reg: &Registry) {
    for s in a.settling.slots.iter() {
        let key = s.key.load(Acquire);
        if key == 0 || s.state.load(Acquire) & COUNTED != 0 {
            continue;
        }
        let mut done = false;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                kernel::time::delay::fsleep(kernel::time::Delta::from_micros(500));
            }
            a.seed.attempts.add(1, Relaxed);
            match try_seed(a, reg, s, key) {
                Attempt::Seeded => {
                    a.seed.domains.add(1, Relaxed);
                    done = true;
                    break;
                }
                Attempt::Gone => {
                    done = true;
                    break;
                }
                Attempt::Busy => {}
            }
        }
        if !done {
            // Count it from now on, without its older mappings.
            let mut st = s.state.load(Acquire);
            while st & COUNTED == 0 {
                match s.state.cmpxchg(st, COUNTED, Full) {
                    Ok(_) => {
                        a.seed.given_up.add(1, Relaxed);
                        break;
                    }
                    Err(cur) => st = cur,
                }
            }
        }
        if s.state.load(Acquire) & COUNTED != 0 {
            a.settling.release(s, key);
        }
    }
}

enum Attempt {
    /// Walked quietly and counted.
    Seeded,
    /// An operation raced, or one was in flight: try again.
    Busy,
    /// Freed, or counted by another path: nothing to do.
    Gone,
}

/// One run of physical memory a walk found.
type Run = (u64, u64);

fn try_seed(a: &Accounting, reg: &Registry, s: &Slot, key: usize) -> Attempt {
    let g0 = s.state.load(Acquire);
    if g0 & COUNTED != 0 {
        return Attempt::Gone;
    }
    if s.inflight.load(Acquire) != 0 {
        return Attempt::Busy;
    }
    // The table as it is now, as runs of physical memory (merged when
    // contiguous). The walk takes no lock: if the domain is freed during
    // it, the free hook makes the domain counted, the CAS below fails and
    // what the walk found is taken back.
    let Some(d) = reg.live_one(key) else {
        return Attempt::Gone;
    };
    let mut runs: KVec<Run> = KVec::new();
    let mut ok = true;
    if let Some(t) = d.table {
        walk(
            &t.layout,
            t.root_pa,
            &mut PhysMemory,
            Limits::whole(),
            |st| {
                if let Step::Leaf { pa, size, .. } = *st {
                    if let Some(last) = runs.last_mut() {
                        if last.0.checked_add(last.1) == Some(pa) {
                            last.1 = last.1.saturating_add(size);
                            return;
                        }
                    }
                    if runs.push((pa, size), GFP_KERNEL | __GFP_NOWARN).is_err() {
                        ok = false;
                    }
                }
            },
        );
    }
    if !ok {
        return Attempt::Busy;
    }
    for &(pa, size) in runs.iter() {
        a.account_pa_range(pa, size, true, Alloc::Kernel);
    }
    // Counted from here on if no operation entered since `g0`.
    if s.state.cmpxchg(g0, COUNTED, Full).is_ok() {
        let refs: u64 = runs.iter().map(|r| r.1 / super::pagecount::UNIT).sum();
        a.stats.seeded_pages.add(refs, Relaxed);
        return Attempt::Seeded;
    }
    // An operation entered during the walk: take the runs back exactly.
    for &(pa, size) in runs.iter() {
        a.account_pa_range(pa, size, false, Alloc::Kernel);
    }
    Attempt::Busy
}
