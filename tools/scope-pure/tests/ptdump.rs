// SPDX-License-Identifier: GPL-2.0
//! Host tests of the ptdump text formats: exact lines, and for random
//! tables, the decoded dump parsed back gives exactly the mapped pages.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use scope_pure::lpae::*;
use scope_pure::ptdump::{write_raw, DumpStats, Size};
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

/// `Mem` with some descriptor reads failing (as a never-faulting read of a
/// page that is not RAM any more would), and its own count of reads.
struct Flaky<'a> {
    m: &'a mut Mem,
    fail: &'a std::collections::HashSet<(u64, usize)>,
    reads: u64,
}

impl scope_pure::walk::Memory for Flaky<'_> {
    fn read(&mut self, pa: u64, size: u64, index: usize) -> Option<u64> {
        self.reads += 1;
        if self.fail.contains(&(pa, index)) {
            return None;
        }
        self.m.read(pa, size, index)
    }
    fn table_ok(&mut self, pa: u64, size: u64) -> bool {
        self.m.table_ok(pa, size)
    }
}

/// The decoded dump as `Walker::next` alone gives it, one step at a time
/// (what `Runs` did before its inner loop took the leaves of a table
/// without a step each), with the anomaly lines as documented
/// (Documentation/ptdump.rst), and its counters.
fn stepwise(mem: &mut Flaky, limits: Limits) -> (Vec<String>, DumpStats) {
    use scope_pure::coalesce::{Coalescer, Leaf, Run};
    use scope_pure::ptdump::RunFormat;
    use scope_pure::text::Chunk;
    use scope_pure::walk::{Step, Walker};
    fn line(lines: &mut Vec<String>, r: &Run<LineKey>, st: &mut DumpStats) {
        let mut ch = Chunk::new();
        write_run(&mut ch, r).unwrap();
        st.runs += 1;
        lines.push(String::from_utf8(ch.as_bytes().to_vec()).unwrap());
    }
    let (g, root) = (mem.m.g, mem.m.root);
    let fmt = LpaeRuns { g, mair: 0 };
    let mut w = Walker::new(root, limits);
    let mut c = Coalescer::new();
    let (mut lines, mut st) = (vec![], DumpStats::default());
    while let Some(s) = w.next(&g, mem) {
        let anomaly = match s {
            Step::Leaf {
                level,
                iova,
                pa,
                size,
                desc,
                block,
                ..
            } => {
                st.leaves += 1;
                st.bytes += size;
                let attrs = fmt.key(level, block, desc);
                if let Some(r) = c.push(Leaf {
                    iova,
                    pa,
                    size,
                    attrs,
                }) {
                    line(&mut lines, &r, &mut st);
                }
                continue;
            }
            Step::Table { .. } => continue,
            Step::Reserved {
                level, iova, desc, ..
            } => format!("# 0x{iova:016x} L{level} reserved descriptor 0x{desc:016x}\n"),
            Step::Unreadable { level, iova, .. } => {
                format!("# 0x{iova:016x} L{level} table unreadable (freed or invalid): skipped\n")
            }
            Step::Truncated { iova } => {
                format!("# truncated at 0x{iova:016x}: walk limit reached\n")
            }
        };
        if let Some(r) = c.finish() {
            line(&mut lines, &r, &mut st);
        }
        lines.push(anomaly);
    }
    if let Some(r) = c.finish() {
        line(&mut lines, &r, &mut st);
    }
    st.walk = w.stats();
    (lines, st)
}

/// The decoded dump through `Runs` as a streamed dump reads it: a chunk
/// (line) at a time, with a pause (`Body::resume`) after each.
fn streamed(mem: &mut Flaky, limits: Limits) -> (Vec<String>, DumpStats) {
    use scope_pure::ptdump::{Body, Runs};
    use scope_pure::text::Chunk;
    let (g, root) = (mem.m.g, mem.m.root);
    let mut b = Runs::new(LpaeRuns { g, mair: 0 }, root, limits);
    let mut ch = Chunk::new();
    let mut lines = vec![];
    while b.next_chunk(mem, &mut ch) {
        lines.push(String::from_utf8(ch.as_bytes().to_vec()).unwrap());
        ch.clear();
        b.resume(mem);
    }
    (lines, b.stats())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `Runs` takes the leaves of a table in one loop (`Walker::leaves`)
    /// and extends the open run in place (`Coalescer::extend`): its dump
    /// and counters are exactly those of the step-by-step walk, read
    /// straight through (each descriptor read once: the memory's own count
    /// of reads is the walk's) and a line at a time with a pause after
    /// each, for random tables of pages and blocks with contiguous and
    /// scattered stretches, reserved descriptors in the lowest tables, a
    /// table unlinked (unreadable), reads that fail, and a range (on an
    /// entry boundary or not) and a read bound that cut anywhere.
    #[test]
    fn leaf_loop_is_the_stepwise_dump(
        picks in proptest::collection::vec((0u64..256, any::<bool>(), 0u8..4, 1u64..24), 1..24),
        reserved in proptest::collection::vec((any::<proptest::sample::Index>(), any::<proptest::sample::Index>()), 0..4),
        failing in proptest::collection::vec((any::<proptest::sample::Index>(), any::<proptest::sample::Index>()), 0..3),
        drop_table in any::<Option<proptest::sample::Index>>(),
        (start, len) in prop_oneof![
            (0u64..(1 << 31), 1u64..(1 << 33)),
            (0u64..(1 << 19), 1u64..(1 << 21)).prop_map(|(s, l)| (s << 12, l << 12)),
            (0u64..64, 1u64..64).prop_map(|(s, l)| ((s << 21) | (1 << 32), l << 21)),
        ],
        max_steps in prop_oneof![Just(u64::MAX), 0u64..3000],
    ) {
        let g = Geometry::io_pgtable(Stage::S1, 12, 40, 48).unwrap();
        let mut m = Mem::new(g);
        let mut used = std::collections::BTreeSet::new();
        for (slot, w, kind, n) in picks {
            // A block, or a stretch of `n` pages, contiguous in PA or not.
            let (size, iova, count) = if kind == 0 {
                (0x20_0000u64, slot << 21, 1)
            } else {
                (0x1000u64, (slot << 16) | (1 << 32), n)
            };
            for k in 0..count {
                let a = iova + k * size;
                let first = a / 0x1000;
                if (0..size / 0x1000).any(|p| used.contains(&(first + p))) {
                    continue;
                }
                let pa = if kind == 1 { 0x8000_0000 + a - (1 << 32) } else { 0x1_0000_0000 + (slot * 977 + k * 13) * size };
                m.map(a, pa, size, io_prot(Stage::S1, w || k % 5 == 4));
                for p in 0..size / 0x1000 {
                    used.insert(first + p);
                }
            }
        }
        // The lowest tables: those that hold pages.
        let mut lowest = vec![];
        let root = m.root;
        scope_pure::walk::walk(&g, root, &mut m, Limits::default(), |s| {
            if let scope_pure::walk::Step::Leaf { level: 3, table_pa, .. } = *s {
                lowest.push(table_pa);
            }
        });
        lowest.sort();
        lowest.dedup();
        let mut fail = std::collections::HashSet::new();
        for (t, i) in failing {
            if lowest.is_empty() { break; }
            fail.insert((lowest[t.index(lowest.len())], i.index(512)));
        }
        for (t, i) in reserved {
            if lowest.is_empty() { break; }
            let pa = lowest[t.index(lowest.len())];
            // Type 0b01 is reserved at level 3.
            m.tables.get_mut(&pa).unwrap()[i.index(512)] = 0b01 | (1 << 10);
        }
        let mut tables: Vec<u64> = m.tables.keys().copied().filter(|&t| t != m.root).collect();
        tables.sort();
        if let (Some(t), false) = (drop_table, tables.is_empty()) {
            let pa = tables[t.index(tables.len())];
            m.tables.remove(&pa);
        }
        let limits = Limits { max_steps, start, end: start.saturating_add(len) };
        let (want, want_st) = stepwise(&mut Flaky { m: &mut m, fail: &fail, reads: 0 }, limits);
        let mut s = String::new();
        let (g, root) = (m.g, m.root);
        let mut mem = Flaky { m: &mut m, fail: &fail, reads: 0 };
        let got_st = write_decoded(&mut s, &g, root, 0, &mut mem, limits).unwrap();
        let got: Vec<String> = s.split_inclusive('\n').map(str::to_string).collect();
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(got_st, want_st);
        prop_assert_eq!(mem.reads, got_st.walk.reads);
        let (paused, paused_st) = streamed(&mut Flaky { m: &mut m, fail: &fail, reads: 0 }, limits);
        prop_assert_eq!(&paused, &want);
        prop_assert_eq!(paused_st, want_st);
    }
}
