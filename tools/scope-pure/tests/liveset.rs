// SPDX-License-Identifier: GPL-2.0

//! Host tests of the live-domain set the hooks keep under a raw lock:
//! against a `HashMap` model, through random inserts, removals, refusals
//! and rehashes.

use std::collections::HashMap;

use proptest::prelude::*;
use scope_pure::liveset::{
    find, insert, rehash, remove, wants_rehash, Full, Occupancy, Slot, EMPTY, TOMBSTONE,
};

fn table(len: usize) -> Vec<Slot> {
    vec![Slot::default(); len]
}

fn occupancy(slots: &[Slot]) -> Occupancy {
    Occupancy {
        live: slots.iter().filter(|s| s.key > TOMBSTONE).count(),
        used: slots.iter().filter(|s| s.key != EMPTY).count(),
    }
}

#[test]
fn basic() {
    let mut t = table(8);
    let mut occ = Occupancy::default();
    assert_eq!(find(&t, 0x1000), None);
    insert(&mut t, &mut occ, 0x1000, 7).unwrap();
    assert_eq!(find(&t, 0x1000), Some(7));
    insert(&mut t, &mut occ, 0x1000, 8).unwrap();
    assert_eq!(find(&t, 0x1000), Some(8), "a re-insert replaces the id");
    assert_eq!(occ, Occupancy { live: 1, used: 1 });
    assert_eq!(remove(&mut t, &mut occ, 0x1000), Some(8));
    assert_eq!(find(&t, 0x1000), None);
    assert_eq!(remove(&mut t, &mut occ, 0x1000), None);
    assert_eq!(occ, Occupancy { live: 0, used: 1 });
    // Keys 0 and 1 are the slot markers, never domains.
    assert_eq!(insert(&mut t, &mut occ, EMPTY, 1), Err(Full));
    assert_eq!(insert(&mut t, &mut occ, TOMBSTONE, 1), Err(Full));
    // A bad table size refuses everything.
    let mut bad = table(6);
    assert_eq!(
        insert(&mut bad, &mut Occupancy::default(), 0x40, 1),
        Err(Full)
    );
}

#[test]
fn refuses_beyond_three_quarters() {
    let mut t = table(16);
    let mut occ = Occupancy::default();
    for k in 0..12 {
        insert(&mut t, &mut occ, 0x1000 + k * 0x40, k as u64).unwrap();
    }
    assert_eq!(insert(&mut t, &mut occ, 0x9000, 99), Err(Full));
    assert_eq!(wants_rehash(16, &occ), Some(32));
    // A tombstone on the key's probe chain is reused even when the table
    // is at its limit.
    remove(&mut t, &mut occ, 0x1000).unwrap();
    insert(&mut t, &mut occ, 0x1000, 99).unwrap();
    assert_eq!(find(&t, 0x1000), Some(99));
    assert_eq!(occ, Occupancy { live: 12, used: 12 });
}

#[derive(Clone, Debug)]
enum Op {
    Insert(usize, u64),
    Remove(usize),
    Rehash,
}

fn op() -> impl Strategy<Value = Op> {
    // Few distinct keys (slab-like addresses) so that removals and
    // re-inserts hit, and collide.
    let key = (0usize..48).prop_map(|k| 0xffff_0000_0000 + k * 0x80);
    prop_oneof![
        4 => (key.clone(), any::<u64>()).prop_map(|(k, i)| Op::Insert(k, i)),
        3 => key.prop_map(Op::Remove),
        1 => Just(Op::Rehash),
    ]
}

proptest! {
    #[test]
    fn matches_a_map(ops in proptest::collection::vec(op(), 1..400)) {
        let mut t = table(8);
        let mut occ = Occupancy::default();
        let mut model: HashMap<usize, u64> = HashMap::new();
        for o in ops {
            match o {
                Op::Insert(k, id) => match insert(&mut t, &mut occ, k, id) {
                    Ok(()) => { model.insert(k, id); }
                    Err(Full) => {
                        // Refused only when a new key would pass 3/4 used.
                        prop_assert!(!model.contains_key(&k));
                        prop_assert!((occ.used + 1) * 4 > t.len() * 3);
                    }
                },
                Op::Remove(k) => {
                    prop_assert_eq!(remove(&mut t, &mut occ, k), model.remove(&k));
                }
                Op::Rehash => {
                    if let Some(len) = wants_rehash(t.len(), &occ) {
                        let mut n = table(len);
                        occ = rehash(&t, &mut n).unwrap();
                        t = n;
                        prop_assert_eq!(occ.used, occ.live);
                    }
                }
            }
            prop_assert_eq!(occ, occupancy(&t));
            prop_assert_eq!(occ.live, model.len());
            for (k, id) in &model {
                prop_assert_eq!(find(&t, *k), Some(*id));
            }
            // Probes always end: some slot stays EMPTY.
            prop_assert!(t.iter().any(|s| s.key == EMPTY));
        }
    }
}
