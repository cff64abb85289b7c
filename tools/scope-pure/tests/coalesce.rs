// SPDX-License-Identifier: GPL-2.0
//! Host tests of the leaf coalescer.

use proptest::prelude::*;
use scope_pure::coalesce::{Coalescer, Leaf, Run};

fn coalesce<A: PartialEq + Copy>(leaves: &[Leaf<A>]) -> Vec<Run<A>> {
    let mut c = Coalescer::new();
    let mut out = Vec::new();
    for l in leaves {
        out.extend(c.push(*l));
    }
    out.extend(c.finish());
    out
}

#[test]
fn contiguous_same_attrs_merge() {
    let l = |iova, pa| Leaf {
        iova,
        pa,
        size: 0x1000,
        attrs: 1u8,
    };
    let runs = coalesce(&[l(0x1000, 0x8000), l(0x2000, 0x9000), l(0x3000, 0xa000)]);
    assert_eq!(
        runs,
        vec![Run {
            iova: 0x1000,
            pa: 0x8000,
            size: 0x3000,
            leaves: 3,
            attrs: 1
        }]
    );
}

#[test]
fn pa_gap_attr_change_and_iova_gap_split() {
    let l = |iova, pa, attrs| Leaf {
        iova,
        pa,
        size: 0x1000,
        attrs,
    };
    let runs = coalesce(&[
        l(0x1000, 0x8000, 0u8),
        l(0x2000, 0x10000, 0), // PA jump
        l(0x3000, 0x11000, 1), // attrs change
        l(0x5000, 0x12000, 1), // IOVA gap (and PA would continue)
    ]);
    assert_eq!(runs.len(), 4);
    assert_eq!(runs.iter().map(|r| r.leaves).sum::<u64>(), 4);
}

#[test]
fn top_of_address_space_does_not_overflow() {
    let a = Leaf {
        iova: u64::MAX - 0xfff,
        pa: 0,
        size: 0x1000,
        attrs: (),
    };
    let b = Leaf {
        iova: 0,
        pa: 0x1000,
        size: 0x1000,
        attrs: (),
    };
    assert_eq!(coalesce(&[a, b]).len(), 2);
}

proptest! {
    /// For any set of page mappings, the runs describe exactly the same
    /// IOVA -> PA function, runs are maximal, and no two runs overlap.
    #[test]
    fn runs_describe_exactly_the_mappings(
        pages in proptest::collection::btree_map(0u64..512, (0u64..64, 0u8..3), 0..200)
    ) {
        let leaves: Vec<_> = pages.iter().map(|(&p, &(pa, a))| Leaf {
            iova: p << 12, pa: (pa + p) << 12, size: 0x1000, attrs: a,
        }).collect();
        let runs = coalesce(&leaves);
        // Expand the runs back to pages.
        let mut expanded = std::collections::BTreeMap::new();
        for r in &runs {
            prop_assert!(r.size == r.leaves * 0x1000);
            for i in 0..r.leaves {
                let old = expanded.insert((r.iova >> 12) + i, ((r.pa >> 12) + i - ((r.iova >> 12) + i), r.attrs));
                prop_assert!(old.is_none(), "overlapping runs");
            }
        }
        prop_assert_eq!(&expanded, &pages);
        // Maximal: no two consecutive runs could have merged.
        for w in runs.windows(2) {
            let l = Leaf { iova: w[1].iova, pa: w[1].pa, size: w[1].size, attrs: w[1].attrs };
            prop_assert!(!w[0].continues(&l));
        }
    }
}

/// `extend` only ever grows the open run with a leaf that continues it;
/// otherwise (nothing open, a gap, other attributes) it changes nothing.
#[test]
fn extend_grows_only_a_continued_run() {
    let l = |iova, pa, attrs| Leaf {
        iova,
        pa,
        size: 0x1000,
        attrs,
    };
    let mut c = Coalescer::new();
    assert!(!c.extend(&l(0x1000, 0x8000, 1u8)));
    assert_eq!(c.push(l(0x1000, 0x8000, 1)), None);
    assert!(c.extend(&l(0x2000, 0x9000, 1)));
    assert!(!c.extend(&l(0x3000, 0xa000, 2)));
    assert!(!c.extend(&l(0x3000, 0xb000, 1)));
    assert!(!c.extend(&l(0x4000, 0xa000, 1)));
    assert_eq!(
        c.finish(),
        Some(Run {
            iova: 0x1000,
            pa: 0x8000,
            size: 0x2000,
            leaves: 2,
            attrs: 1
        })
    );
}
