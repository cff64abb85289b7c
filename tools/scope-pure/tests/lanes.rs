// SPDX-License-Identifier: GPL-2.0
//! Host tests of the packed refcounts (`rust/pure/lanes.rs`) against a
//! model of four independent 16-bit counters with their own overflow,
//! underflow and reported-flag rules.

use proptest::prelude::*;
use scope_pure::lanes::*;

/// The model: one counter, as `accounting::pagecount` had it unpacked.
fn model(v: u16, inc: bool) -> (u16, LaneUpdate) {
    let count = v & MAX_COUNT;
    if inc {
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
    }
}

fn pack(l: [u16; 4]) -> u64 {
    l.iter()
        .enumerate()
        .fold(0, |w, (i, &v)| w | (u64::from(v) << (16 * i)))
}

fn lane_value() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(0u16),
        Just(1),
        Just(2),
        Just(MAX_COUNT),
        Just(MAX_COUNT - 1),
        Just(REPORTED | 1),
        Just(REPORTED | MAX_COUNT),
        Just(REPORTED),
        any::<u16>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Each lane in range changes exactly as one counter would; the others
    /// and the lanes beyond the word are untouched.
    #[test]
    fn update_is_four_counters(
        l in [lane_value(), lane_value(), lane_value(), lane_value()],
        first in 0usize..6,
        n in 0usize..6,
        inc in any::<bool>(),
    ) {
        let (w, out) = update(pack(l), first, n, inc);
        for i in 0..4 {
            if i >= first && i < first + n {
                let (v, u) = model(l[i], inc);
                prop_assert_eq!(lane(w, i), v);
                prop_assert_eq!(out[i], Some(u));
            } else {
                prop_assert_eq!(lane(w, i), l[i]);
                prop_assert_eq!(out[i], None);
            }
        }
    }

    /// `ones` is the usual case: an increment of a word of zeros gives it
    /// and a decrement of it gives zero, every lane in range done (from 0,
    /// from 1), the others zero.
    #[test]
    fn ones_is_the_common_case(first in 0usize..4, n in 1usize..5) {
        let o = ones(first, n);
        let end = (first + n).min(4);
        let (up, out_up) = update(0, first, n, true);
        let (down, out_down) = update(o, first, n, false);
        prop_assert_eq!(up, o);
        prop_assert_eq!(down, 0);
        for i in 0..4 {
            let inside = i >= first && i < end;
            prop_assert_eq!(out_up[i], inside.then_some(LaneUpdate::Done { old: 0 }));
            prop_assert_eq!(out_down[i], inside.then_some(LaneUpdate::Done { old: 1 }));
            prop_assert_eq!(lane(o, i), u16::from(inside));
        }
    }

    /// Reported flags: set once on a counted lane only, cleared all at
    /// once, and counts untouched.
    #[test]
    fn reported_flags(l in [lane_value(), lane_value(), lane_value(), lane_value()], i in 0usize..5) {
        let w = pack(l);
        match mark_reported(w, i) {
            Some((nw, c)) => {
                prop_assert!(i < 4);
                prop_assert_eq!(c, l[i] & MAX_COUNT);
                prop_assert!(c != 0 && l[i] & REPORTED == 0);
                prop_assert_eq!(lane(nw, i), l[i] | REPORTED);
                for j in (0..4).filter(|&j| j != i) {
                    prop_assert_eq!(lane(nw, j), l[j]);
                }
            }
            None => prop_assert!(i >= 4 || l[i] & MAX_COUNT == 0 || l[i] & REPORTED != 0),
        }
        let c = clear_reported(w);
        prop_assert!(!any_reported(c));
        prop_assert_eq!(any_reported(w), l.iter().any(|v| v & REPORTED != 0));
        for (j, v) in l.iter().enumerate() {
            prop_assert_eq!(lane(c, j), v & MAX_COUNT);
        }
    }
}

proptest! {
    /// Flagging a run of lanes is flagging each in turn, reporting the
    /// largest count among those flagged.
    #[test]
    fn reported_runs_are_lane_by_lane(
        l in [lane_value(), lane_value(), lane_value(), lane_value()],
        first in 0usize..5,
        n in 0usize..5,
    ) {
        let mut w = pack(l);
        let mut best: Option<u16> = None;
        for i in first..(first + n).min(4) {
            if let Some((nw, c)) = mark_reported(w, i) {
                w = nw;
                best = Some(best.map_or(c, |b| b.max(c)));
            }
        }
        let expect = best.map(|b| (w, b));
        prop_assert_eq!(mark_reported_lanes(pack(l), first, n), expect);
    }
}

proptest! {
    /// The chunks of a run cover it exactly, in order, one word each.
    #[test]
    fn chunks_cover_the_run(first in 0u64..10_000, n in 0u64..64) {
        let mut next = first;
        for c in chunks(first, n) {
            prop_assert_eq!(first + c.offset, next);
            prop_assert_eq!(c.word as u64, next / 4);
            prop_assert_eq!(c.lane as u64, next % 4);
            prop_assert!(c.n >= 1 && c.lane + c.n <= LANES);
            next += c.n as u64;
        }
        prop_assert_eq!(next, first + n);
    }
}

#[test]
fn examples() {
    // Two lanes in the middle, one at the maximum.
    let w = pack([5, MAX_COUNT, 0, 9]);
    let (nw, out) = update(w, 1, 2, true);
    assert_eq!(nw, pack([5, MAX_COUNT, 1, 9]));
    assert_eq!(
        out,
        [
            None,
            Some(LaneUpdate::Overflow),
            Some(LaneUpdate::Done { old: 0 }),
            None
        ]
    );
    // A decrement to zero clears the flag; one at zero underflows.
    let (nw, out) = update(pack([REPORTED | 1, 0, 0, 0]), 0, 2, false);
    assert_eq!(nw, 0);
    assert_eq!(out[0], Some(LaneUpdate::Done { old: 1 }));
    assert_eq!(out[1], Some(LaneUpdate::Underflow));
    assert_eq!(ones(1, 2), pack([0, 1, 1, 0]));
    assert_eq!(ones(3, 5), pack([0, 0, 0, 1]));
    assert_eq!(lane(w, 4), 0);
}
