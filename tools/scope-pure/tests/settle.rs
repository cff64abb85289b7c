// SPDX-License-Identifier: GPL-2.0

//! Host tests of the seeding protocol (`rust/pure/settle.rs`) against a
//! model of a domain under DMA: a table of pages that maps and unmaps
//! change at any moment of a hook's life (entry, the change itself, exit),
//! interleaved step by step with a seeder that reads the table one entry
//! at a time. After every step no counter is above the truth (so no false
//! DMA use-after-free report) or below zero (no underflow); once every
//! operation returned and the seeding finished, the counts equal the
//! table exactly.

use std::collections::HashMap;

use proptest::prelude::*;
use scope_pure::settle::{Slot, Track, TRACKED};

/// Pages (IOVA units) of the model domain.
const PAGES: u64 = 24;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Map { pa: u64 },
    Unmap,
}

#[derive(Clone, Copy, Debug)]
struct Op {
    kind: Kind,
    a: u64,
    b: u64,
    track: Track,
    end: u64,
    /// The table change happened (a map that found a page in use fails).
    done: bool,
    ok: bool,
}

#[derive(Default)]
struct Seeder {
    walking: bool,
    pos: u64,
    stop: u64,
    found: Vec<(u64, u64)>,
}

struct Model {
    /// Addresses per page (the slot's grain): ops may start inside a page.
    g: u64,
    table: Vec<Option<u64>>,
    counts: HashMap<u64, i64>,
    slot: Slot,
    ops: Vec<Op>,
    seeder: Seeder,
}

impl Model {
    fn truth(&self) -> HashMap<u64, i64> {
        let mut t = HashMap::new();
        for pa in self.table.iter().flatten() {
            *t.entry(*pa).or_default() += 1;
        }
        t
    }

    fn check_bounds(&self) {
        let t = self.truth();
        for (pa, &c) in &self.counts {
            assert!(c >= 0, "underflow at pa {pa}");
            assert!(
                c <= t.get(pa).copied().unwrap_or(0),
                "pa {pa} counted {c} times, mapped {:?}",
                t.get(pa)
            );
        }
    }

    fn add(&mut self, pa: u64, d: i64) {
        *self.counts.entry(pa).or_default() += d;
    }

    /// Starts an operation on pages `[page, page + n)`, at `off` addresses
    /// into the first page (an unaligned call: the core refuses it, so it
    /// changes nothing, but its hooks run).
    fn start(&mut self, kind: Kind, page: u64, n: u64, off: u64) {
        let g = self.g;
        let off = off % g;
        let (a, b) = (page * g + off, ((page + n).min(PAGES)) * g + off);
        if page >= PAGES || a >= b || self.ops.iter().any(|o| o.a < b && a < o.b) {
            // The caller owns its IOVA range: no two operations overlap.
            return;
        }
        let (track, end) = self.slot.enter(a, b);
        assert!(end <= b);
        if let (Kind::Unmap, 0) = (kind, off) {
            // The unmap hook releases every leaf overlapping its counted
            // part (an unaligned one gets it all back at exit: net zero).
            for p in (a / g)..end.max(a).div_ceil(g) {
                if let Some(pa) = self.table[p as usize] {
                    self.add(pa, -1);
                }
            }
        }
        self.ops.push(Op {
            kind,
            a,
            b,
            track,
            end,
            done: off != 0,
            ok: false,
        });
    }

    fn effect(&mut self, i: usize) {
        let o = &mut self.ops[i];
        if o.done {
            return;
        }
        o.done = true;
        let (pa0, pb) = (o.a / self.g, o.b / self.g);
        match o.kind {
            Kind::Map { pa } => {
                if (pa0..pb).all(|p| self.table[p as usize].is_none()) {
                    for p in pa0..pb {
                        self.table[p as usize] = Some(pa + (p - pa0));
                    }
                    o.ok = true;
                }
            }
            Kind::Unmap => {
                for p in pa0..pb {
                    self.table[p as usize] = None;
                }
                o.ok = true;
            }
        }
    }

    fn exit(&mut self, i: usize) {
        self.effect(i);
        let o = self.ops.remove(i);
        if let (Kind::Map { pa }, true) = (o.kind, o.ok) {
            // By physical address: one unit per page the counted part
            // touches, from the first.
            for k in 0..o.end.saturating_sub(o.a).div_ceil(self.g) {
                self.add(pa + k, 1);
            }
        }
        self.slot.exit(o.track);
    }

    /// One step of the seeder; returns whether it is finished.
    fn seed_step(&mut self, window: u64) -> bool {
        if self.slot.seeded() {
            return true;
        }
        let g = self.g;
        let s = &mut self.seeder;
        if !s.walking {
            // The walk starts at the leaf holding the cursor.
            let c = self.slot.begin_window();
            s.pos = c / g;
            s.stop = s.pos.saturating_add(window.max(1));
            s.walking = true;
            s.found.clear();
            return false;
        }
        if s.pos < PAGES && s.pos < s.stop {
            if let Some(pa) = self.table[s.pos as usize] {
                s.found.push((s.pos, pa));
            }
            s.pos += 1;
            return false;
        }
        let walked_to = if s.pos >= PAGES { u64::MAX } else { s.pos * g };
        s.walking = false;
        let before = self.slot.cursor();
        let peek = self.slot.peek_window(walked_to);
        let e = self.slot.end_window(walked_to);
        assert!(e >= before && e <= peek);
        assert!(
            e == u64::MAX || e.is_multiple_of(g),
            "the cursor stops on a unit"
        );
        let found = std::mem::take(&mut self.seeder.found);
        for (page, pa) in found {
            // The leaf's part from the old cursor, counted from its first
            // unit, if it starts below the commit end.
            let from = (page * g).max(before);
            if from < e {
                self.add(pa, 1);
            }
        }
        self.slot.seeded()
    }
}

fn model(prefill: &[(u64, u64)], g: u64) -> Model {
    let mut table = vec![None; PAGES as usize];
    for &(iova, pa) in prefill {
        table[(iova % PAGES) as usize] = Some(pa % 8);
    }
    Model {
        g,
        table,
        counts: HashMap::new(),
        slot: Slot::settling(0x1000, g),
        ops: Vec::new(),
        seeder: Seeder::default(),
    }
}

fn run(prefill: &[(u64, u64)], steps: &[(u8, u64, u64, u64)], g: u64) {
    let mut m = model(prefill, g);
    for &(what, x, y, z) in steps {
        // One operation in eight starts inside a page.
        let off = if z % 8 == 7 { 1 + y % 3 } else { 0 };
        match what % 6 {
            0 => m.start(Kind::Map { pa: z % 8 }, x % PAGES, 1 + y % 4, off),
            1 => m.start(Kind::Unmap, x % PAGES, 1 + y % 4, off),
            2 if !m.ops.is_empty() => {
                let i = (x as usize) % m.ops.len();
                m.effect(i)
            }
            3 if !m.ops.is_empty() => {
                let i = (x as usize) % m.ops.len();
                m.exit(i)
            }
            _ => {
                let _ = m.seed_step(1 + y % 8);
            }
        }
        m.check_bounds();
    }
    // DMA stops: every operation returns; the seeder finishes.
    while !m.ops.is_empty() {
        m.exit(0);
        m.check_bounds();
    }
    let mut n = 0;
    while !m.seed_step(4) {
        m.check_bounds();
        n += 1;
        assert!(n < 10_000, "seeding does not finish once DMA stopped");
    }
    let truth = m.truth();
    let counts: HashMap<u64, i64> = m.counts.into_iter().filter(|&(_, c)| c != 0).collect();
    assert_eq!(counts, truth, "the counts equal the table once DMA stopped");
    assert_eq!(m.slot.ahead_in_flight(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn seeding_under_dma_is_exact(
        prefill in proptest::collection::vec((0u64..PAGES, 0u64..8), 0..20),
        steps in proptest::collection::vec((0u8..6, 0u64..64, 0u64..64, 0u64..64), 0..200),
    ) {
        run(&prefill, &steps, 1);
    }

    #[test]
    fn seeding_under_dma_is_exact_with_unaligned_calls(
        prefill in proptest::collection::vec((0u64..PAGES, 0u64..8), 0..20),
        steps in proptest::collection::vec((0u8..6, 0u64..64, 0u64..64, 0u64..64), 0..200),
    ) {
        run(&prefill, &steps, 4);
    }
}

#[test]
fn quiet_domain_seeds_in_one_window() {
    let mut m = model(&[(0, 1), (5, 2), (23, 3)], 1);
    let mut steps = 0;
    while !m.seed_step(100) {
        steps += 1;
    }
    assert_eq!(steps, PAGES as usize + 1);
    assert_eq!(m.counts.get(&1), Some(&1));
    assert_eq!(m.counts.get(&3), Some(&1));
}

#[test]
fn operation_in_flight_holds_the_cursor_back() {
    let mut s = Slot::settling(7, 1);
    let (t, end) = s.enter(10, 12);
    assert_eq!((t, end), (Track::Entry(0), 10));
    assert_eq!(s.begin_window(), 0);
    assert_eq!(
        s.end_window(u64::MAX),
        10,
        "never past an operation in flight"
    );
    // Straddling the cursor: counts below it, records the cursor.
    let (t2, end2) = s.enter(8, 11);
    assert_eq!(end2, 10);
    s.exit(t);
    assert_eq!(s.begin_window(), 10);
    assert_eq!(s.end_window(u64::MAX), 10);
    s.exit(t2);
    s.begin_window();
    // One entering during the window cuts it at its start.
    let (t3, _) = s.enter(40, 41);
    assert_eq!(s.end_window(u64::MAX), 40);
    s.exit(t3);
    s.begin_window();
    assert_eq!(s.end_window(u64::MAX), u64::MAX);
    assert!(s.seeded());
    // Behind the cursor: nothing recorded.
    assert_eq!(s.enter(0, 5), (Track::Behind, 5));
}

#[test]
fn more_operations_than_records_hold_the_cursor_at_their_lowest_start() {
    let mut s = Slot::settling(7, 1);
    let tracks: Vec<_> = (0..=TRACKED as u64)
        .map(|i| s.enter(100 + i, 101 + i).0)
        .collect();
    assert_eq!(tracks[TRACKED], Track::Untracked);
    s.begin_window();
    assert_eq!(s.end_window(u64::MAX), 100);
    // With every recorded one returned, the shared record still holds the
    // cursor at the lowest start of its operations.
    for &t in &tracks[..TRACKED] {
        s.exit(t);
    }
    s.begin_window();
    assert_eq!(s.end_window(u64::MAX), 100 + TRACKED as u64);
    s.exit(tracks[TRACKED]);
    s.begin_window();
    assert_eq!(s.end_window(u64::MAX), u64::MAX);
}

#[test]
fn an_unaligned_start_holds_its_whole_unit_back() {
    let mut s = Slot::settling(7, 0x1000);
    let (t, end) = s.enter(0x1234, 0x2234);
    assert_eq!(end, 0x1000, "nothing of it counted by the hook");
    s.begin_window();
    assert_eq!(s.end_window(0x1800), 0x1000, "never inside a unit");
    s.exit(t);
    s.begin_window();
    assert_eq!(s.end_window(0x3800), 0x3000);
}
