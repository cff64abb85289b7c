// SPDX-License-Identifier: GPL-2.0
//! Host tests of the LPAE geometry, descriptor decoding and walker, against
//! an in-memory table builder that encodes descriptors the way
//! io-pgtable-arm does.

use std::collections::BTreeMap;

use proptest::prelude::*;
use scope_pure::lpae::*;
use scope_pure::walk::{
    leaf_part, leaves_in_range, walk, walk_rest, words_in_page, Gap, Limits, Step, MAX_WALK_READS,
};

mod common;
use common::*;

#[test]
fn geometry_matches_io_pgtable_arm() {
    // SMMUv3 stage 1, 48-bit, 4K: 4 levels from level 0, 512-entry root.
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    assert_eq!((g.start_level, g.pgd_bits, g.levels()), (0, 9, 4));
    // 39-bit IAS, 4K: 3 levels.
    let g = Geometry::io_pgtable(Stage::S1, 12, 39, 48).unwrap();
    assert_eq!((g.start_level, g.pgd_bits), (1, 9));
    // 64K granule, 48-bit: 3 levels, root of 64 entries (6 bits) at level 1.
    let g = Geometry::io_pgtable(Stage::S1, 16, 48, 48).unwrap();
    assert_eq!((g.start_level, g.pgd_bits), (1, 6));
    // 16K, 48-bit: 4 levels, level-0 root of 2 entries.
    let g = Geometry::io_pgtable(Stage::S1, 14, 48, 48).unwrap();
    assert_eq!((g.start_level, g.pgd_bits), (0, 1));
    // Stage 2, 4K, 40-bit IAS, 40-bit OAS: concatenation is mandatory, the
    // 2-entry level-0 root becomes 2 level-1 tables (10 bits at level 1).
    let g = Geometry::io_pgtable(Stage::S2, 12, 40, 40).unwrap();
    assert_eq!((g.start_level, g.pgd_bits, g.root_concat()), (1, 10, 2));
    // Same with a 48-bit OAS: not mandatory, io-pgtable keeps level 0.
    let g = Geometry::io_pgtable(Stage::S2, 12, 40, 48).unwrap();
    assert_eq!((g.start_level, g.pgd_bits, g.root_concat()), (0, 1, 1));
    // Stage 2, 4K, 48-bit: 512-entry level-0 root, no concatenation.
    let g = Geometry::io_pgtable(Stage::S2, 12, 48, 48).unwrap();
    assert_eq!((g.start_level, g.pgd_bits, g.root_concat()), (0, 9, 1));
    // Mandatory but impossible (512 entries > 16): io-pgtable refuses.
    assert!(Geometry::io_pgtable(Stage::S2, 12, 48, 40).is_err());
    // From a known start level (VTCR.SL0).
    let g = Geometry::with_start_level(Stage::S2, 12, 40, 48, 1).unwrap();
    assert_eq!((g.pgd_bits, g.root_concat()), (10, 2));
    assert!(Geometry::with_start_level(Stage::S2, 12, 48, 48, 3).is_err());
    // Stage 2, 16K, 48 bits: 2 level-0 entries -> 2 concatenated level-1.
    let g = Geometry::io_pgtable(Stage::S2, 14, 48, 48).unwrap();
    assert_eq!((g.start_level, g.pgd_bits), (1, 12));
    assert!(Geometry::io_pgtable(Stage::S1, 13, 48, 48).is_err());
    assert!(Geometry::io_pgtable(Stage::S1, 12, 53, 48).is_err());
}

#[test]
fn pa52_packing_round_trips() {
    let g = Geometry::io_pgtable(Stage::S1, 16, 48, 52).unwrap();
    let pa = 0x000f_1234_5678_0000u64;
    let d = pa_to_desc_bits(&g, pa) | 3;
    assert_eq!(d & 0xf000, 0xf000, "PA[51:48] packed in bits 15:12");
    assert_eq!(desc_to_pa(&g, d), pa);
}

#[test]
fn kinds_by_level() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    assert_eq!(kind(&g, 3, 0x1003), Kind::Page);
    assert_eq!(kind(&g, 3, 0x1001), Kind::Reserved);
    assert_eq!(kind(&g, 2, 0x1001), Kind::Block);
    assert_eq!(kind(&g, 1, 0x1001), Kind::Block);
    assert_eq!(kind(&g, 0, 0x1001), Kind::Reserved);
    assert_eq!(kind(&g, 2, 0x1003), Kind::Table);
    assert_eq!(kind(&g, 2, 0x1002), Kind::Invalid);
    let g64 = Geometry::io_pgtable(Stage::S1, 16, 48, 48).unwrap();
    assert_eq!(kind(&g64, 1, 0x10001), Kind::Reserved);
    assert_eq!(kind(&g64, 2, 0x10001), Kind::Block);
    // With an output size above 48 bits io-pgtable-arm maps 4T blocks at
    // level 1 of a 64K table (its pgsize_bitmap gets bit 42).
    let g64pa52 = Geometry::io_pgtable(Stage::S1, 16, 48, 52).unwrap();
    assert_eq!(kind(&g64pa52, 1, 0x10001), Kind::Block);
    assert_eq!(g64pa52.entry_size(1), 1 << 42);
    assert_eq!(kind(&g64pa52, 2, 0x10001), Kind::Block);
    let g16 = Geometry::io_pgtable(Stage::S1, 14, 48, 52).unwrap();
    assert_eq!(kind(&g16, 1, 0x4001), Kind::Reserved);
}

#[test]
fn dirty_states_stage1_and_stage2() {
    let g1 = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let base = 0x1000 | 3 | bits::AF;
    let a = attrs(&g1, base | bits::DBM | bits::AP_RDONLY, 0);
    assert_eq!((a.dirty, a.write), (DirtyState::Clean, true));
    let a = attrs(&g1, base | bits::DBM, 0);
    assert_eq!((a.dirty, a.write), (DirtyState::Dirty, true));
    let a = attrs(&g1, base | bits::AP_RDONLY, 0);
    assert_eq!((a.dirty, a.write), (DirtyState::NotTracked, false));
    let g2 = Geometry::io_pgtable(Stage::S2, 12, 48, 48).unwrap();
    let a = attrs(&g2, base | bits::DBM | bits::S2AP_READ, 0);
    assert_eq!((a.dirty, a.write, a.read), (DirtyState::Clean, true, true));
    let a = attrs(
        &g2,
        base | bits::DBM | bits::S2AP_READ | bits::S2AP_WRITE,
        0,
    );
    assert_eq!(a.dirty, DirtyState::Dirty);
}

#[test]
fn s1_memtype_from_mair() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    // io-pgtable-arm's MAIR: idx0 NC (0x44), idx1 WBRWA (0xff), idx2 DEV (0x04).
    let mair = 0x44 | 0xff << 8 | 0x04 << 16;
    let a = attrs(&g, 0x1003 | (2 << 2), mair);
    assert_eq!(
        a.mem,
        MemType::S1 {
            index: 2,
            mair: 0x04
        }
    );
    assert_eq!(mair_name(0x04), "Device-nGnRE");
}

#[test]
fn unreadable_tables_are_reported_not_followed() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    m.map(0x1000, 0x8000_0000, 0x1000, io_prot(Stage::S1, true));
    // Corrupt the level-0 descriptor to point nowhere.
    let root = m.root;
    m.tables.get_mut(&root).unwrap()[0] = 0xdead_0000 | 3;
    let mut unreadable = 0;
    let st = walk(&g, root, &mut m, Limits::default(), |s| {
        if matches!(s, Step::Unreadable { .. }) {
            unreadable += 1;
        }
    });
    assert_eq!((st.unreadable, unreadable), (1, 1));
}

#[test]
fn walk_is_bounded() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    for i in 0..100 {
        m.map(
            i * 0x1000,
            0x8000_0000 + i * 0x1000,
            0x1000,
            io_prot(Stage::S1, true),
        );
    }
    let root = m.root;
    let mut truncated = false;
    let st = walk(&g, root, &mut m, Limits::steps(10), |s| {
        truncated |= matches!(s, Step::Truncated { .. });
    });
    assert!(st.truncated && truncated);
    assert_eq!(st.reads, 10);
}

#[test]
fn walk_from_start_skips_lower_iovas() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    m.map(0x1000, 0x8000_0000, 0x1000, io_prot(Stage::S1, true));
    m.map(0x5000_0000, 0x9000_0000, 0x1000, io_prot(Stage::S1, true));
    let root = m.root;
    let mut leaves = vec![];
    walk(
        &g,
        root,
        &mut m,
        Limits::range(0x4000_0000, u64::MAX),
        |s| {
            if let Step::Leaf { iova, .. } = s {
                leaves.push(*iova);
            }
        },
    );
    assert_eq!(leaves, vec![0x5000_0000]);
}

#[test]
fn walk_stops_at_end() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    for i in 0..8 {
        m.map(
            0x10_0000 + i * 0x1000,
            0x8000_0000 + i * 0x1000,
            0x1000,
            io_prot(Stage::S1, true),
        );
    }
    m.map(
        0x8000_0000,
        0x9000_0000,
        0x20_0000,
        io_prot(Stage::S1, true),
    );
    let root = m.root;
    let mut leaves = vec![];
    let st = walk(&g, root, &mut m, Limits::range(0x10_2000, 0x10_5000), |s| {
        if let Step::Leaf { iova, .. } = s {
            leaves.push(*iova);
        }
    });
    assert_eq!(leaves, vec![0x10_2000, 0x10_3000, 0x10_4000]);
    // Only the path down and the three entries (plus the one that ends it).
    assert!(st.reads < 12, "{}", st.reads);
}

fn geometries() -> impl Strategy<Value = Geometry> {
    (
        prop_oneof![Just(Stage::S1), Just(Stage::S2)],
        prop_oneof![Just(12u32), Just(14), Just(16)],
        32u32..=48,
        prop_oneof![Just(48u32), Just(52)],
    )
        .prop_filter_map("valid", |(s, gs, ias, oas)| {
            let oas = if gs == 16 { oas } else { 48 };
            Geometry::io_pgtable(s, gs, ias, oas).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// For every stage, granule and IAS: random non-overlapping mappings of
    /// every leaf size the granule allows are found by the walker exactly,
    /// with the attributes they were made with.
    #[test]
    fn walker_finds_exactly_the_mappings(
        g in geometries(),
        picks in proptest::collection::vec((any::<u64>(), 0usize..3, any::<u64>(), any::<bool>()), 1..40)
    ) {
        let mut m = Mem::new(g);
        // Leaf sizes: page, and the block levels io-pgtable-arm can use.
        let sizes: Vec<u64> = (1..=3u32).filter(|&l| l >= g.start_level && (l == 3 || kind(&g, l, 1) == Kind::Block))
            .map(|l| g.entry_size(l)).collect();
        let span = 1u64 << g.ias;
        let mut model: BTreeMap<u64, (u64, u64, bool)> = BTreeMap::new();
        for (iova_r, si, pa_r, w) in picks {
            let size = sizes[si % sizes.len()];
            if size >= span { continue; }
            let iova = (iova_r % span) & !(size - 1);
            let pa_limit = 1u64 << g.oas;
            let pa = (pa_r % pa_limit) & !(size - 1);
            // Skip overlaps with earlier mappings (io-pgtable refuses them).
            let overlaps = model.range(..iova + size).next_back()
                .is_some_and(|(&s, &(_, sz, _))| s + sz > iova);
            if overlaps { continue; }
            m.map(iova, pa, size, io_prot(g.stage, w));
            model.insert(iova, (pa, size, w));
        }
        let leaves = m.leaves();
        prop_assert_eq!(leaves.len(), model.len());
        for ((iova, pa, size, desc), (miova, &(mpa, msize, w))) in leaves.iter().zip(model.iter()) {
            prop_assert_eq!((*iova, *pa, *size), (*miova, mpa, msize));
            let a = attrs(&g, *desc, 0);
            prop_assert_eq!(a.write, w);
            prop_assert!(a.read && a.af);
        }
    }
}

/// The leaf parts `walk` finds in `[start, end)`: the oracle of
/// `leaves_in_range`.
fn walked_parts(g: &Geometry, m: &mut Mem, start: u64, end: u64) -> Vec<(u64, u64, u64)> {
    let mut v = vec![];
    let root = m.root;
    walk(g, root, m, Limits::range(start, end), |s| {
        if let Step::Leaf { iova, pa, size, .. } = *s {
            if let Some(p) = leaf_part(iova, pa, size, start, end) {
                v.push(p);
            }
        }
    });
    v
}

/// The first IOVA a `Gap` left out.
fn gap_iova(g: Gap) -> u64 {
    match g {
        Gap::Bound { iova } | Gap::Unreadable { iova, .. } | Gap::Reserved { iova, .. } => iova,
    }
}

/// `leaves_in_range`, finished by `walk` from where it stopped, as the
/// hooks use it; and whether it stopped.
#[allow(clippy::type_complexity)]
fn fast_parts(
    g: &Geometry,
    m: &mut Mem,
    start: u64,
    end: u64,
) -> (Vec<(u64, u64, u64)>, Option<(u64, u64)>) {
    let mut v = vec![];
    let root = m.root;
    let r = leaves_in_range(g, root, m, start, end, MAX_WALK_READS, |i, p, l| {
        v.push((i, p, l))
    });
    if let Err((at, reads)) = r {
        assert!(reads <= MAX_WALK_READS);
        // Nothing at or above `at` was visited.
        assert!(v.last().is_none_or(|&(i, _, l)| i + l <= at));
        v.extend(walked_parts(g, m, at, end));
    }
    (v, r.err())
}

/// A run read within each kernel page size: the words up to the page's
/// end, never beyond, at least one.
#[test]
fn runs_are_split_at_each_page_size() {
    for page in [0x1000u64, 0x4000, 0x10000] {
        assert_eq!(words_in_page(0x8000_0000, page, 32), 32);
        assert_eq!(words_in_page(0x8000_0000 + page - 8, page, 32), 1);
        assert_eq!(words_in_page(0x8000_0000 + page - 0x40, page, 32), 8);
        assert_eq!(words_in_page(0x8000_0000 + page - 0x40, page, 3), 3);
        assert_eq!(words_in_page(0x8000_0000, page, 0), 0);
        // A page-sized table read whole from its middle: a piece per page.
        let (mut pa, mut left, mut pieces) = (0x8000_0000 + page / 2, (page / 8) as usize, 0);
        while left > 0 {
            let n = words_in_page(pa, page, left);
            assert!(n > 0 && (pa % page) + 8 * n as u64 <= page);
            pa += 8 * n as u64;
            left -= n;
            pieces += 1;
        }
        assert_eq!(pieces, 2);
    }
}

#[test]
fn leaves_in_range_stops_where_walk_must_report() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    let prot = io_prot(Stage::S1, true);
    for i in 0..16 {
        m.map(
            0x20_0000 + i * 0x1000,
            0x8000_0000 + i * 0x1000,
            0x1000,
            prot,
        );
    }
    m.map(0x40_0000, 0x9000_0000, 0x20_0000, prot);
    // Whole: two leaf runs and a block, no stop.
    let (v, stop) = fast_parts(&g, &mut m, 0x20_1000, 0x50_0000);
    assert_eq!(stop, None);
    assert_eq!(v.len(), 16);
    assert_eq!(v[0], (0x20_1000, 0x8000_1000, 0x1000));
    assert_eq!(v[15], (0x40_0000, 0x9000_0000, 0x10_0000));
    // A reserved encoding (type 0b01 at level 3) in the middle of the run:
    // everything before it is visited, the walk takes the rest.
    let mut lt = 0;
    let root = m.root;
    walk(&g, root, &mut m, Limits::default(), |s| {
        if let Step::Leaf {
            iova: 0x20_0000,
            table_pa,
            ..
        } = *s
        {
            lt = table_pa;
        }
    });
    m.tables.get_mut(&lt).unwrap()[8] = 0x8000_8000 | 0b01;
    let (v, stop) = fast_parts(&g, &mut m, 0x20_0000, 0x21_0000);
    assert_eq!(stop.map(|s| s.0), Some(0x20_8000));
    assert_eq!(v, walked_parts(&g, &mut m, 0x20_0000, 0x21_0000));
    assert_eq!(v.len(), 15);
    // A release walk says what it left out: the reserved entry; a table
    // it cannot read (the level-2 descriptor of the 16 pages pointing to
    // no table); nothing when the range avoids both.
    let gap = |m: &mut Mem, start: u64, end: u64| {
        let root = m.root;
        let mut parts = vec![];
        let r = leaves_in_range(&g, root, m, start, end, MAX_WALK_READS, |_, p, l| {
            parts.push((p, l))
        });
        let gap = match r {
            Ok(()) => None,
            Err((at, reads)) => walk_rest(
                &g,
                root,
                m,
                (at, end),
                (reads, MAX_WALK_READS),
                &mut |p, l| parts.push((p, l)),
            ),
        };
        (gap, parts)
    };
    let (g1, p1) = gap(&mut m, 0x20_0000, 0x21_0000);
    assert_eq!(
        g1,
        Some(Gap::Reserved {
            level: 3,
            iova: 0x20_8000
        })
    );
    // Everything but the reserved entry was given.
    assert_eq!(p1.len(), 15);
    assert_eq!(gap(&mut m, 0x20_9000, 0x50_0000).0, None);
    let (mut t2, mut i2) = (0, 0);
    walk(&g, root, &mut m, Limits::default(), |s| {
        if let Step::Table {
            level: 2,
            index,
            iova: 0x20_0000,
            ..
        } = *s
        {
            i2 = index;
        }
        if let Step::Table {
            level: 1, next_pa, ..
        } = *s
        {
            t2 = next_pa;
        }
    });
    assert_ne!(t2, 0);
    m.tables.get_mut(&t2).unwrap()[i2] = 0xdead_0000 | 0b11;
    let (g2, p2) = gap(&mut m, 0x20_1000, 0x50_0000);
    assert_eq!(
        g2,
        Some(Gap::Unreadable {
            level: 3,
            iova: 0x20_1000
        })
    );
    // The walk goes on past the table it could not read: the block's half
    // inside the range is given.
    assert_eq!(p2, vec![(0x9000_0000, 0x10_0000)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `leaves_in_range` (finished by `walk` where it stops) finds exactly
    /// the leaf parts `walk` finds, for every geometry, random mappings of
    /// every leaf size, random ranges and, sometimes, a corrupted
    /// descriptor (reserved or pointing to no table); and it stops only
    /// on such a descriptor.
    #[test]
    fn leaves_in_range_finds_what_walk_finds(
        g in geometries(),
        picks in proptest::collection::vec((0u64..1 << 26, 0usize..3, any::<u64>()), 1..40),
        ranges in proptest::collection::vec((0u64..1 << 27, 0u64..1 << 26, any::<bool>()), 1..8),
        corrupt in proptest::option::of((any::<prop::sample::Index>(), 0usize..512, any::<bool>())),
    ) {
        let mut m = Mem::new(g);
        let sizes: Vec<u64> = (1..=3u32).filter(|&l| l >= g.start_level && (l == 3 || kind(&g, l, 1) == Kind::Block))
            .map(|l| g.entry_size(l)).collect();
        let span = 1u64 << g.ias;
        let mut model: BTreeMap<u64, u64> = BTreeMap::new();
        for (iova_r, si, pa_r) in picks {
            let size = sizes[si % sizes.len()];
            if size >= span { continue; }
            let iova = (iova_r % span) & !(size - 1);
            let pa = (pa_r % (1u64 << 40)) & !(size - 1);
            let overlaps = model.range(..iova + size).next_back()
                .is_some_and(|(&s, &sz)| s + sz > iova);
            if overlaps { continue; }
            m.map(iova, pa, size, io_prot(g.stage, true));
            model.insert(iova, size);
        }
        let mut corrupted = false;
        if let Some((t, i, reserved)) = corrupt {
            let pas: Vec<u64> = m.tables.keys().copied().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let pa = pas[t.index(pas.len())];
            let table = m.tables.get_mut(&pa).unwrap();
            let i = i % table.len();
            table[i] = if reserved { 0x1000 | 0b01 } else { 0xdead_0000 | 0b11 };
            corrupted = true;
        }
        // Beyond the root's reach: nothing, and no stop.
        let root = m.root;
        prop_assert_eq!(leaves_in_range(&g, root, &mut m, span, u64::MAX, MAX_WALK_READS, |_, _, _| panic!()), Ok(()));
        for (start, len, to_top) in ranges {
            // To the top of the address space, as a domain's free.
            let end = if to_top { u64::MAX } else { (start % span).saturating_add(len).min(span) };
            let start = start % span;
            let (v, stop) = fast_parts(&g, &mut m, start, end);
            prop_assert_eq!(&v, &walked_parts(&g, &mut m, start, end));
            if !corrupted {
                prop_assert_eq!(stop, None);
            }
        }
    }

    /// With a read bound (`MAX_WALK_READS` in the product, small here),
    /// `leaves_in_range` finished by `walk_rest` with the reads left, as
    /// the hooks' release walks do: never more reads than the bound, and
    /// what they find is exactly what an unbounded walk finds below the
    /// IOVA where the bound stopped them (`Gap::Bound`: nothing from there
    /// on), or all of it.
    #[test]
    fn bounded_release_walk_finds_a_prefix(
        g in geometries(),
        picks in proptest::collection::vec((0u64..1 << 16, any::<u64>()), 1..200),
        (start, len) in (0u64..1 << 27, 1u64..1 << 27),
        max in 1u64..400,
    ) {
        let mut m = Mem::new(g);
        let page = g.entry_size(3);
        let span = 1u64 << g.ias;
        let mut seen = std::collections::HashSet::new();
        for (i, pa_r) in picks {
            let iova = (i * page) % span;
            if seen.insert(iova) {
                m.map(iova, (pa_r % (1u64 << 40)) & !(page - 1), page, io_prot(g.stage, true));
            }
        }
        let start = start % span;
        let end = start.saturating_add(len).min(span);
        let root = m.root;
        let mut v = vec![];
        let r = leaves_in_range(&g, root, &mut m, start, end, max, |i, p, l| v.push((i, p, l)));
        let mut gap = None;
        if let Err((at, reads)) = r {
            prop_assert!(reads <= max);
            prop_assert!(v.last().is_none_or(|&(i, _, l)| i + l <= at));
            let before = m.reads;
            let mut rest = vec![];
            gap = walk_rest(&g, root, &mut m, (at, end), (reads, max), &mut |p, l| rest.push((p, l)));
            prop_assert!(m.reads - before <= max - reads);
            // The parts `walk_rest` gives carry no IOVA: they follow in
            // order after `at`, as `walk` finds them.
            let after: Vec<_> = walked_parts(&g, &mut m, at, end).into_iter()
                .filter(|&(i, _, _)| gap.is_none_or(|g| i < gap_iova(g)))
                .collect();
            prop_assert_eq!(rest, after.iter().map(|&(_, p, l)| (p, l)).collect::<Vec<_>>());
            v.extend(after);
            prop_assert!(matches!(gap, None | Some(Gap::Bound { .. })), "{:?}", gap);
        }
        let all = walked_parts(&g, &mut m, start, end);
        match gap {
            None => prop_assert_eq!(&v, &all),
            Some(Gap::Bound { iova: c }) => {
                prop_assert!(c >= start && c < end);
                let below: Vec<_> = all.iter().copied().filter(|&(i, _, _)| i < c).collect();
                prop_assert_eq!(&v, &below);
            }
            Some(other) => prop_assert!(false, "{:?}", other),
        }
    }
}

/// The cross-check of an SMMUv3 domain's programmed TCR/VTCR fields.
#[test]
fn programmed_geometry_is_cross_checked() {
    let bm4k = (1 << 12) | (1 << 21) | (1 << 30);
    let g = Geometry::programmed(Stage::S1, bm4k, 48, 48, 16, 0).unwrap();
    assert_eq!(g, Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap());
    assert_eq!(
        Geometry::programmed(Stage::S1, bm4k, 48, 48, 17, 0),
        Err("T0SZ does not match IAS")
    );
    assert_eq!(
        Geometry::programmed(Stage::S1, 0, 48, 48, 16, 0),
        Err("empty pgsize_bitmap")
    );
    assert_eq!(
        Geometry::programmed(Stage::S1, bm4k, 80, 48, 0, 0),
        Err("unsupported geometry")
    );
    // Stage 2, 4K, 40-bit IPA and OAS: io-pgtable-arm must concatenate
    // level-1 tables (start level 1), so SL0 = ~(1 + 1) & 3 = 1.
    let s2 = Geometry::io_pgtable(Stage::S2, 12, 40, 40).unwrap();
    assert_eq!(s2.start_level, 1);
    let sl0 = !(s2.start_level + 1) & 3;
    assert_eq!(
        Geometry::programmed(Stage::S2, bm4k, 40, 40, 24, sl0),
        Ok(s2)
    );
    assert!(Geometry::programmed(Stage::S2, bm4k, 40, 40, 24, sl0 ^ 1).is_err());
}

/// A paused walk (a streamed dump between two reads) resumes exactly
/// where it stopped; if an unmap unlinked the table it was in meanwhile,
/// `revalidate` drops that table (one counted `Unreadable` step) and the
/// walk goes on with what is still linked, never reading the old page.
#[test]
fn paused_walk_resumes_and_drops_unlinked_tables() {
    use scope_pure::walk::Walker;
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    let rw = io_prot(Stage::S1, true);
    // Two leaf tables: 0x0-0x3000 and 2 MiB-2 MiB+0x3000.
    for i in 0..3u64 {
        m.map(i * 0x1000, 0x8000_0000 + i * 0x1000, 0x1000, rw);
        m.map(0x20_0000 + i * 0x1000, 0x9000_0000 + i * 0x1000, 0x1000, rw);
    }
    let leaf_iovas = |steps: &[Step]| -> Vec<u64> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Leaf { iova, .. } => Some(*iova),
                _ => None,
            })
            .collect()
    };
    // Undisturbed pauses change nothing.
    let mut w = Walker::new(m.root, Limits::default());
    let mut all = vec![];
    while let Some(s) = w.next(&g, &mut m) {
        all.push(s);
        w.revalidate(&g, &mut m);
    }
    assert_eq!(
        leaf_iovas(&all),
        vec![0, 0x1000, 0x2000, 0x20_0000, 0x20_1000, 0x20_2000]
    );
    assert_eq!(w.stats().unreadable, 0);

    // Pause after the first leaf; meanwhile the first leaf table is
    // unlinked (its L2 descriptor cleared) and its page reused with
    // garbage that would read as leaves.
    let mut w = Walker::new(m.root, Limits::default());
    let mut seen = vec![];
    while let Some(s) = w.next(&g, &mut m) {
        seen.push(s);
        if matches!(s, Step::Leaf { .. }) {
            break;
        }
    }
    let Some(Step::Leaf { table_pa, .. }) = seen.last().copied() else {
        panic!("no leaf");
    };
    let (l2, idx) = m
        .tables
        .iter()
        .find_map(|(pa, t)| {
            t.iter()
                .position(|&d| d & 3 == 3 && desc_to_pa(&g, d) == table_pa)
                .map(|i| (*pa, i))
        })
        .unwrap();
    m.tables.get_mut(&l2).unwrap()[idx] = 0;
    for d in m.tables.get_mut(&table_pa).unwrap().iter_mut() {
        *d = pa_to_desc_bits(&g, 0xdead_0000) | rw | 0b11;
    }
    w.revalidate(&g, &mut m);
    let mut rest = vec![];
    while let Some(s) = w.next(&g, &mut m) {
        rest.push(s);
    }
    assert!(matches!(rest[0], Step::Unreadable { table_pa: t, iova: 0, .. } if t == table_pa));
    assert_eq!(leaf_iovas(&rest), vec![0x20_0000, 0x20_1000, 0x20_2000]);
    assert_eq!(w.stats().unreadable, 1);
}
