// SPDX-License-Identifier: GPL-2.0
//! Host tests of the ptdump text formats: exact lines, and for random
//! tables, the decoded dump parsed back gives exactly the mapped pages.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use scope_pure::lpae::*;
use scope_pure::ptdump::{write_raw, Size};
use scope_pure::walk::Limits;

fn decoded(m: &mut Mem, mair: u64) -> String {
    let mut s = String::new();
    let (g, root) = (m.g, m.root);
    write_decoded(&mut s, &g, root, mair, m, Limits::default()).unwrap();
    s
}

#[test]
fn sizes() {
    assert_eq!(Size(4096).to_string(), "4K");
    assert_eq!(Size(3 << 20).to_string(), "3M");
    assert_eq!(Size(1 << 30).to_string(), "1G");
    assert_eq!(Size(1536 << 10).to_string(), "1536K");
    assert_eq!(Size(100).to_string(), "100");
}

#[test]
fn exact_lines_stage1() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    for i in 0..16 {
        m.map(
            0xfffc_0000 + i * 0x1000,
            0x4268_4000 + i * 0x1000,
            0x1000,
            io_prot(Stage::S1, true),
        );
    }
    m.map(
        0x4000_0000,
        0x8000_0000,
        0x20_0000,
        io_prot(Stage::S1, false),
    );
    let mair = 0x44 | 0xff << 8 | 0x04 << 16;
    let out = decoded(&mut m, mair);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "0x0000000040000000-0x0000000040200000     2M pa=0x0000000080000000 L2 block  R-X user AF Normal-WB ISH - ng"
    );
    assert_eq!(
        lines[1],
        "0x00000000fffc0000-0x00000000fffd0000    64K pa=0x0000000042684000 L3 page   RWX user AF Normal-WB ISH - ng x16"
    );
    assert_eq!(lines.len(), 2);
}

#[test]
fn raw_view_lists_tables_and_leaves() {
    let g = Geometry::io_pgtable(Stage::S1, 12, 48, 48).unwrap();
    let mut m = Mem::new(g);
    m.map(0xffff_f000, 0x0809_0000, 0x1000, io_prot(Stage::S1, true));
    let mut s = String::new();
    let root = m.root;
    write_raw(&mut s, &g, root, &mut m, Limits::default()).unwrap();
    let l: Vec<&str> = s.lines().collect();
    assert_eq!(l.len(), 4);
    assert!(l[0].starts_with("L0[000] iova=0x0000000000000000 desc=0x"));
    assert!(l[0].contains(" table -> 0x"));
    assert!(l[1].starts_with("  L1[003] iova=0x00000000c0000000"));
    assert!(l[3].starts_with("      L3[511] iova=0x00000000fffff000"));
    assert!(l[3].ends_with(" page"));
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// The decoded dump, expanded back to pages, is exactly the set of
    /// pages mapped (IOVA -> PA), for random maps of pages and blocks.
    #[test]
    fn decoded_dump_round_trips(
        picks in proptest::collection::vec((0u64..1024, 0u64..4096, any::<bool>(), 0u8..4), 1..60)
    ) {
        let g = Geometry::io_pgtable(Stage::S1, 12, 40, 48).unwrap();
        let mut m = Mem::new(g);
        let mut model = BTreeMap::new();
        for (slot, pa_slot, w, kind) in picks {
            let (size, iova) = if kind == 0 { (0x20_0000u64, slot << 21) } else { (0x1000u64, (slot << 12) | (1 << 32)) };
            let pa = pa_slot * size;
            if (0..size / 0x1000).any(|p| model.contains_key(&(iova / 0x1000 + p))) { continue; }
            m.map(iova, pa, size, io_prot(Stage::S1, w));
            for p in 0..size / 0x1000 { model.insert(iova / 0x1000 + p, pa / 0x1000 + p); }
        }
        let out = decoded(&mut m, 0);
        let mut got = BTreeMap::new();
        for line in out.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (s, e) = f[0].split_once('-').unwrap();
            let (s, e) = (hex(s), hex(e));
            let pa = hex(f[2].trim_start_matches("pa="));
            for a in (s..e).step_by(0x1000) {
                prop_assert!(got.insert(a / 0x1000, (pa + a - s) / 0x1000).is_none());
            }
        }
        prop_assert_eq!(got, model);
    }
}

#[test]
fn leaf_part_clips_to_the_range() {
    use scope_pure::walk::leaf_part;
    // A 2M block at IOVA 0x20_0000 -> PA 0x4000_0000.
    let (iova, pa, size) = (0x20_0000u64, 0x4000_0000u64, 0x20_0000u64);
    assert_eq!(
        leaf_part(iova, pa, size, 0, u64::MAX),
        Some((iova, pa, size))
    );
    assert_eq!(
        leaf_part(iova, pa, size, 0x20_1000, 0x20_3000),
        Some((0x20_1000, 0x4000_1000, 0x2000))
    );
    assert_eq!(leaf_part(iova, pa, size, 0x40_0000, u64::MAX), None);
    assert_eq!(leaf_part(iova, pa, size, 0, 0x20_0000), None);
    // At the top of the address spaces: no overflow.
    assert_eq!(
        leaf_part(u64::MAX - 0xfff, 0x1000, 0x1000, 0, u64::MAX),
        Some((u64::MAX - 0xfff, 0x1000, 0xfff))
    );
    assert_eq!(leaf_part(0, u64::MAX, 0x2000, 0x1000, u64::MAX), None);
}
