// SPDX-License-Identifier: GPL-2.0
//! Host tests of the generic_pt formats: tables built in memory with the
//! descriptor encodings of drivers/iommu/generic_pt/fmt/*.h are walked back
//! exactly.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use scope_pure::genpt::amdv1::*;
use scope_pure::genpt::riscv64::*;
use scope_pure::genpt::vtdss::*;
use scope_pure::genpt::x86_64::*;
use scope_pure::genpt::{item_size, Format, PtGeometry, OA_51_12};
use scope_pure::walk::{leaf_part, leaves_in_range, walk, Limits, Memory, Step, MAX_WALK_READS};

struct Mem {
    tables: HashMap<u64, Vec<u64>>,
    next: u64,
    g: PtGeometry,
    root: u64,
}

impl Memory for Mem {
    fn read(&mut self, pa: u64, _size: u64, index: usize) -> Option<u64> {
        self.tables.get(&pa).and_then(|t| t.get(index).copied())
    }
    fn table_ok(&mut self, pa: u64, _size: u64) -> bool {
        self.tables.contains_key(&pa)
    }
}

fn table_desc(f: Format, pa: u64, level: u32) -> u64 {
    match f {
        Format::X86_64 => pa | X86_P | X86_RW | X86_U | X86_A,
        Format::VtdSs => pa | VTD_R | VTD_W,
        Format::AmdV1 => pa | AMD_PR | AMD_IR | AMD_IW | (u64::from(level) << AMD_NL_SHIFT),
        Format::Riscv64 => ((pa >> 12) << 10) | RV_V,
    }
}

fn leaf_desc(f: Format, pa: u64, level: u32, w: bool) -> u64 {
    match f {
        Format::X86_64 => {
            pa | X86_P
                | X86_U
                | X86_A
                | if w { X86_RW | X86_D } else { 0 }
                | if level > 0 { PS } else { 0 }
        }
        Format::VtdSs => pa | VTD_R | if w { VTD_W } else { 0 } | if level > 0 { PS } else { 0 },
        Format::AmdV1 => pa | AMD_PR | AMD_IR | if w { AMD_IW } else { 0 },
        Format::Riscv64 => {
            ((pa >> 12) << 10) | RV_V | RV_R | RV_A | if w { RV_W | RV_D } else { 0 }
        }
    }
}

impl Mem {
    fn new(g: PtGeometry) -> Self {
        let mut m = Mem {
            tables: HashMap::new(),
            next: 0x1_0000_0000,
            g,
            root: 0,
        };
        m.root = m.alloc();
        m
    }
    fn alloc(&mut self) -> u64 {
        let pa = self.next;
        self.next += 4096;
        self.tables.insert(pa, vec![0; 512]);
        pa
    }
    fn map(&mut self, iova: u64, pa: u64, level: u32, w: bool) {
        let f = self.g.fmt;
        let mut table = self.root;
        let mut l = self.g.top_level;
        loop {
            let idx = ((iova >> (12 + 9 * l)) & 511) as usize;
            if l == level {
                self.tables.get_mut(&table).unwrap()[idx] = leaf_desc(f, pa, level, w);
                return;
            }
            let d = self.tables[&table][idx];
            table = if d == 0 {
                let n = self.alloc();
                self.tables.get_mut(&table).unwrap()[idx] = table_desc(f, n, l);
                n
            } else {
                match f {
                    Format::Riscv64 => ((d & RV_PPN) >> 10) << 12,
                    _ => d & OA_51_12,
                }
            };
            l -= 1;
        }
    }
    fn leaves(&mut self) -> Vec<(u64, u64, u64, u64)> {
        let mut v = vec![];
        let (g, root) = (self.g, self.root);
        let st = walk(&g, root, self, Limits::default(), |s| {
            if let Step::Leaf {
                iova,
                pa,
                size,
                desc,
                ..
            } = *s
            {
                v.push((iova, pa, size, desc));
            }
        });
        assert_eq!((st.unreadable, st.reserved), (0, 0));
        v
    }
}

#[test]
fn amdv1_size_encoded_leaf_covers_its_replicas() {
    // A 64K page at level 0: 16 replicated entries whose OA field has the
    // size encoded as trailing ones (bits 12..15 of the address = 0b0111).
    let g = PtGeometry {
        fmt: Format::AmdV1,
        top_level: 2,
    };
    let mut m = Mem::new(g);
    let base = 0x4000_0000u64;
    let enc = base | (0b0111 << 12) | AMD_PR | AMD_IR | (AMD_NL_SIZE << AMD_NL_SHIFT);
    let t1 = m.alloc();
    let t0 = m.alloc();
    let root = m.root;
    m.tables.get_mut(&root).unwrap()[0] = table_desc(Format::AmdV1, t1, 2);
    m.tables.get_mut(&t1).unwrap()[0] = table_desc(Format::AmdV1, t0, 1);
    for i in 0..16 {
        m.tables.get_mut(&t0).unwrap()[16 + i] = enc;
    }
    let l = m.leaves();
    assert_eq!(l.len(), 16);
    for (i, &(iova, pa, size, _)) in l.iter().enumerate() {
        assert_eq!(
            (iova, pa, size),
            (
                0x10000 + i as u64 * 0x1000,
                base + i as u64 * 0x1000,
                0x1000
            )
        );
    }
    let mut s = String::new();
    scope_pure::genpt::write_decoded(&mut s, &g, root, &mut m, Limits::default()).unwrap();
    assert_eq!(s.lines().count(), 1, "{s}");
    assert!(s.starts_with("0x0000000000010000-0x0000000000020000    64K pa=0x0000000040000000 L0 page   R-- user - - - x16"), "{s}");
}

#[test]
fn riscv_svnapot_64k() {
    let g = PtGeometry {
        fmt: Format::Riscv64,
        top_level: 2,
    };
    let mut m = Mem::new(g);
    m.map(0x20_0000, 0, 0, true); // build the path
    let l = m.leaves();
    let (tp, _) = (l[0].0, 0);
    let _ = tp;
    // Find the level-0 table and write 16 Svnapot entries for 64K at pa 0x8001_0000.
    let t0 = *m
        .tables
        .iter()
        .find(|(_, t)| t[0] != 0 && t[0] & (RV_R) != 0)
        .unwrap()
        .0;
    let napot = (((0x8001_0000u64 >> 12) | 0b1000) << 10) | RV_V | RV_R | RV_N;
    for i in 0..16 {
        m.tables.get_mut(&t0).unwrap()[16 + i] = napot;
    }
    let l = m.leaves();
    assert_eq!(l.len(), 17);
    assert_eq!(l[1].1, 0x8001_0000);
    assert_eq!(l[16].1, 0x8001_f000);
}

fn formats() -> impl Strategy<Value = PtGeometry> {
    (
        prop_oneof![
            Just(Format::AmdV1),
            Just(Format::VtdSs),
            Just(Format::X86_64),
            Just(Format::Riscv64)
        ],
        2u32..=4,
    )
        .prop_map(|(fmt, top_level)| PtGeometry { fmt, top_level })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random pages and large leaves (2M, and 1G where the format allows)
    /// are walked back exactly with their write permission.
    #[test]
    fn walker_finds_exactly_the_mappings(
        g in formats(),
        picks in proptest::collection::vec((any::<u64>(), 0u32..3, any::<u64>(), any::<bool>()), 1..40)
    ) {
        let mut m = Mem::new(g);
        let span = 1u64 << (12 + 9 * (g.top_level + 1)).min(48);
        let mut model: BTreeMap<u64, (u64, u64, bool)> = BTreeMap::new();
        for (iova_r, level, pa_r, w) in picks {
            let level = level.min(g.top_level - 1);
            let size = item_size(level);
            let iova = (iova_r % span) & !(size - 1);
            let pa = (pa_r % (1u64 << 44)) & !(size - 1);
            let overlaps = model.range(..iova + size).next_back().is_some_and(|(&s, &(_, sz, _))| s + sz > iova)
                || model.range(iova..iova + size).next().is_some();
            if overlaps { continue; }
            // Skip if a smaller leaf already needs a table where this would go.
            m.map(iova, pa, level, w);
            model.insert(iova, (pa, size, w));
        }
        let leaves = m.leaves();
        prop_assert_eq!(leaves.len(), model.len());
        for ((iova, pa, size, desc), (miova, &(mpa, msize, w))) in leaves.iter().zip(model.iter()) {
            prop_assert_eq!((*iova, *pa, *size), (*miova, mpa, msize));
            let a = g.attrs(*desc);
            prop_assert_eq!(a.write, w);
            prop_assert!(a.read);
        }
    }
}

/// The leaf parts of `[start, end)`: by `walk` (the oracle), and by
/// `leaves_in_range` finished by `walk` where it stops (with where).
#[allow(clippy::type_complexity)]
fn both_parts(
    m: &mut Mem,
    start: u64,
    end: u64,
) -> (
    Vec<(u64, u64, u64)>,
    Vec<(u64, u64, u64)>,
    Option<(u64, u64)>,
) {
    let (g, root) = (m.g, m.root);
    let walked = |m: &mut Mem, from: u64| {
        let mut v = vec![];
        walk(&g, root, m, Limits::range(from, end), |s| {
            if let Step::Leaf { iova, pa, size, .. } = *s {
                v.extend(leaf_part(iova, pa, size, from, end));
            }
        });
        v
    };
    let mut fast = vec![];
    let r = leaves_in_range(&g, root, m, start, end, MAX_WALK_READS, |i, p, l| {
        fast.push((i, p, l))
    });
    if let Err((at, _)) = r {
        fast.extend(walked(m, at));
    }
    (walked(m, start), fast, r.err())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every format: `leaves_in_range` (finished by `walk` where it stops)
    /// finds exactly what `walk` finds in random ranges over random pages,
    /// large leaves and AMDv1 size-encoded replicas, and stops only on a
    /// reserved descriptor or a table it cannot follow.
    #[test]
    fn leaves_in_range_finds_what_walk_finds(
        g in formats(),
        picks in proptest::collection::vec((0u64..1 << 24, 0u32..3, any::<u64>(), 0u64..3), 1..40),
        amd_64k in proptest::option::of(0u64..1 << 24),
        ranges in proptest::collection::vec((0u64..1 << 25, 0u64..1 << 24, 0u64..3, 0u64..2), 1..8),
        corrupt in proptest::option::of((any::<prop::sample::Index>(), 0usize..512)),
    ) {
        let mut m = Mem::new(g);
        let mut model: BTreeMap<u64, u64> = BTreeMap::new();
        let free = |model: &BTreeMap<u64, u64>, iova: u64, size: u64| {
            !(model.range(..iova + size).next_back().is_some_and(|(&s, &sz)| s + sz > iova)
                || model.range(iova..iova + size).next().is_some())
        };
        // Entries 0 to 2 of the root (its index bits start there).
        let root_entry = 1u64 << (12 + 9 * g.top_level);
        for (iova_r, level, pa_r, hi) in picks {
            let level = level.min(g.top_level - 1).min(1);
            let size = item_size(level);
            let iova = (iova_r + hi * root_entry) & !(size - 1);
            let pa = (pa_r % (1u64 << 44)) & !(size - 1);
            if !free(&model, iova, size) { continue; }
            m.map(iova, pa, level, true);
            model.insert(iova, size);
        }
        if let (Format::AmdV1, Some(at)) = (g.fmt, amd_64k) {
            // 16 replicas of a size-encoded 64K page at level 0.
            let at = at & !0xffff;
            if free(&model, at, 0x10000) {
                m.map(at, 0, 0, true);
                let enc = 0x4000_0000u64 | (0b0111 << 12) | AMD_PR | AMD_IR | (AMD_NL_SIZE << AMD_NL_SHIFT);
                // The level-0 table holding `at`, as the walk finds it.
                let mut t0 = None;
                let root = m.root;
                walk(&g, root, &mut m, Limits::range(at, at + 1), |s| {
                    if let Step::Leaf { level: 0, table_pa, .. } = *s {
                        t0 = Some(table_pa);
                    }
                });
                if let Some(t0) = t0 {
                    for i in 0..16 {
                        m.tables.get_mut(&t0).unwrap()[(((at >> 12) & 511) as usize & !15) + i] = enc;
                    }
                }
            }
        }
        let mut corrupted = false;
        if let Some((t, i)) = corrupt {
            let pas: Vec<u64> = m.tables.keys().copied().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let pa = pas[t.index(pas.len())];
            // A table descriptor pointing to no table.
            m.tables.get_mut(&pa).unwrap()[i] = table_desc(g.fmt, 0xdead_0000, 1);
            corrupted = true;
        }
        for (start, len, hi, wide) in ranges {
            // Some across root entries.
            let start = start + hi * root_entry;
            let len = len + wide * root_entry;
            let (walked, fast, stop) = both_parts(&mut m, start, start + len);
            prop_assert_eq!(&fast, &walked);
            if !corrupted {
                prop_assert_eq!(stop, None);
            }
        }
    }
}

/// The end of an unmap of `[iova, end)` in a generic_pt table: a range
/// that ends inside an entry (a large leaf, or an entry with replicas)
/// reaches that entry's end, as the kernel's `__unmap_range` clears it
/// whole; an entry that starts before the range is not cleared; a hole
/// leaves the end as it is.
#[test]
fn unmap_end_reaches_the_whole_last_entry() {
    use scope_pure::table::{AnyLayout, Table};
    let g = PtGeometry {
        fmt: Format::AmdV1,
        top_level: 2,
    };
    let mut m = Mem::new(g);
    // A 2M leaf at 0x4000_0000 (level 1) and pages at 0x10_0000 and
    // 0x10_1000.
    m.map(0x4000_0000, 0x8000_0000, 1, true);
    m.map(0x10_0000, 0x9000_0000, 0, true);
    m.map(0x10_1000, 0x9000_1000, 0, true);
    // A 64K size-encoded entry at 0x20_0000: 16 replicas.
    m.map(0x20_0000, 0, 0, true);
    let enc = 0xa000_0000 | (0b0111 << 12) | AMD_PR | AMD_IR | (AMD_NL_SIZE << AMD_NL_SHIFT);
    let t0 = m
        .tables
        .iter()
        .find(|(_, t)| t[0] != 0 && t[0] & AMD_PR != 0 && t[0] & OA_51_12 == 0)
        .map(|(&pa, _)| pa)
        .unwrap();
    for i in 0..16 {
        m.tables.get_mut(&t0).unwrap()[i] = enc;
    }
    let t = Table {
        layout: AnyLayout::Pt(g),
        root_pa: m.root,
    };
    let end = |m: &mut Mem, a: u64, b: u64| t.unmap_end(m, a, b);
    // Ends inside the 2M leaf that the range starts at: its end.
    assert_eq!(end(&mut m, 0x4000_0000, 0x4000_1000), 0x4020_0000);
    assert_eq!(end(&mut m, 0x3ff0_0000, 0x4010_0000), 0x4020_0000);
    // Starts inside it: refused by the kernel, nothing moves.
    assert_eq!(end(&mut m, 0x4000_1000, 0x4000_2000), 0x4000_2000);
    // Ends exactly at its end, or on pages: nothing moves.
    assert_eq!(end(&mut m, 0x4000_0000, 0x4020_0000), 0x4020_0000);
    assert_eq!(end(&mut m, 0x10_0000, 0x10_1000), 0x10_1000);
    assert_eq!(end(&mut m, 0x10_0000, 0x10_2000), 0x10_2000);
    // A hole at the end.
    assert_eq!(end(&mut m, 0x10_0000, 0x10_3000), 0x10_3000);
    // Ends inside the 64K entry: its end, from any replica.
    assert_eq!(end(&mut m, 0x20_0000, 0x20_1000), 0x21_0000);
    assert_eq!(end(&mut m, 0x1f_0000, 0x20_8000), 0x21_0000);
    assert_eq!(end(&mut m, 0x20_4000, 0x20_5000), 0x20_5000);
    // An empty range.
    assert_eq!(end(&mut m, 0x4000_0000, 0x4000_0000), 0x4000_0000);
    // Arm LPAE (io-pgtable-arm) never clears beyond the range.
    let lpae = Table {
        layout: AnyLayout::Lpae(
            scope_pure::lpae::Geometry::io_pgtable(scope_pure::lpae::Stage::S1, 12, 48, 48)
                .unwrap(),
        ),
        root_pa: m.root,
    };
    assert_eq!(
        lpae.unmap_end(&mut m, 0x4000_0000, 0x4000_1000),
        0x4000_1000
    );
}

#[test]
fn entry_span_of_each_format() {
    let amd = |fmt| PtGeometry { fmt, top_level: 3 };
    let g = amd(Format::AmdV1);
    assert_eq!(g.entry_span(0, 0x8000_0000 | AMD_PR | AMD_IR), 0x1000);
    assert_eq!(g.entry_span(1, 0x8000_0000 | AMD_PR | AMD_IR), 0x20_0000);
    // Size encoded: trailing ones of OA[51:12] (0b0 -> 8K, 0b0111 -> 64K).
    let nl7 = AMD_PR | (AMD_NL_SIZE << AMD_NL_SHIFT);
    assert_eq!(g.entry_span(0, 0x8000_0000 | nl7), 0x2000);
    assert_eq!(
        g.entry_span(0, 0x8000_0000 | (0b0111 << 12) | nl7),
        0x1_0000
    );
    assert_eq!(
        g.entry_span(1, 0x8000_0000 | (0x1ff << 12) | nl7),
        0x40_0000
    );
    let rv = amd(Format::Riscv64);
    assert_eq!(rv.entry_span(0, RV_V | RV_R | RV_N), 0x1_0000);
    assert_eq!(rv.entry_span(0, RV_V | RV_R), 0x1000);
    assert_eq!(rv.entry_span(2, RV_V | RV_R), 0x4000_0000);
    assert_eq!(amd(Format::X86_64).entry_span(1, X86_P | PS), 0x20_0000);
    assert_eq!(amd(Format::VtdSs).entry_span(0, VTD_R), 0x1000);
}
