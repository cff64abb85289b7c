// SPDX-License-Identifier: GPL-2.0
//! Host tests of the STE/CD table -> domain join (`rust/pure/owners.rs`):
//! the races the two copies exist for (a domain freed during the stream
//! table copy, its root table page reused by a new domain), and a property
//! test against a brute-force statement of the rule.
//!
//! Owns: these tests only. Must not: touch anything outside this file.

use proptest::prelude::*;
use scope_pure::owners::{join, sort, Join, TableOf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct O {
    pa: u64,
    key: usize,
    id: u64,
}

impl TableOf for O {
    fn root_pa(&self) -> u64 {
        self.pa
    }
    fn identity(&self) -> (usize, u64) {
        (self.key, self.id)
    }
}

fn o(pa: u64, key: usize, id: u64) -> O {
    O { pa, key, id }
}

fn sorted(mut v: Vec<O>) -> Vec<O> {
    sort(&mut v);
    v
}

#[test]
fn same_incarnation_in_both_copies_is_named() {
    let before = sorted(vec![o(0x4000, 7, 1), o(0x9000, 8, 2)]);
    let after = sorted(vec![o(0x9000, 8, 2), o(0x4000, 7, 1)]);
    assert_eq!(join(&before, &after, 0x4000), Join::Owner(&o(0x4000, 7, 1)));
    assert_eq!(join(&before, &after, 0x9000), Join::Owner(&o(0x9000, 8, 2)));
    assert_eq!(join(&before, &after, 0x5000), Join::Unowned);
}

#[test]
fn table_page_reused_by_a_new_domain_is_not_named() {
    // Domain (key 7, incarnation 1) freed during the copy; a new domain
    // got the same root page -- even at the same address (key 7), a new
    // incarnation (3).
    let before = sorted(vec![o(0x4000, 7, 1)]);
    let after = sorted(vec![o(0x4000, 7, 3)]);
    assert_eq!(join(&before, &after, 0x4000), Join::Changed);
    let after = sorted(vec![o(0x4000, 9, 3)]);
    assert_eq!(join(&before, &after, 0x4000), Join::Changed);
}

#[test]
fn owner_in_one_copy_only_is_changed() {
    let one = sorted(vec![o(0x4000, 7, 1)]);
    let none: Vec<O> = Vec::new();
    // Freed during the copy.
    assert_eq!(join(&one, &none, 0x4000), Join::Changed);
    // Born during the copy.
    assert_eq!(join(&none, &one, 0x4000), Join::Changed);
    assert_eq!(join(&none, &none, 0x4000), Join::Unowned);
}

#[test]
fn shared_table_named_by_the_owner_that_stayed() {
    // Two SVA domains of one process share its page table; one is freed
    // during the copy, the other stays.
    let before = sorted(vec![o(0x8000, 2, 5), o(0x8000, 1, 4)]);
    let after = sorted(vec![o(0x8000, 2, 5)]);
    assert_eq!(join(&before, &after, 0x8000), Join::Owner(&o(0x8000, 2, 5)));
}

proptest! {
    /// `join` says exactly what the rule says, stated by brute force:
    /// an owner iff some (address, identity) is in both copies; unowned
    /// iff the address is in neither; changed otherwise.
    #[test]
    fn join_is_the_rule(
        b in proptest::collection::vec((0u64..4, 0usize..3, 0u64..3), 0..8),
        a in proptest::collection::vec((0u64..4, 0usize..3, 0u64..3), 0..8),
        pa in 0u64..5,
    ) {
        let before = sorted(b.iter().map(|&(p, k, i)| o(p, k, i)).collect());
        let after = sorted(a.iter().map(|&(p, k, i)| o(p, k, i)).collect());
        let stayed: Vec<O> = before.iter().filter(|x| x.pa == pa && after.contains(x)).copied().collect();
        let seen = before.iter().chain(after.iter()).any(|x| x.pa == pa);
        match join(&before, &after, pa) {
            Join::Owner(x) => prop_assert!(stayed.contains(x)),
            Join::Unowned => prop_assert!(!seen),
            Join::Changed => prop_assert!(seen && stayed.is_empty()),
        }
    }
}
