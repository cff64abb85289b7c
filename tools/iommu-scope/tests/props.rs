// SPDX-License-Identifier: GPL-2.0

//! Property tests of the parsers: lines printed by the module's own
//! writers (`scope-pure`, the same source files the module compiles) or
//! by the module's format strings parse back to what was printed, and
//! arbitrary input never panics (an error or a value, nothing else).
//!
//! Owns: the parsers' property tests. Must not: change `scope-pure`'s
//! test helpers it borrows (`tests/common`).

use std::io::Cursor;

use iommu_scope::parse::{
    self, accounting, devices, info, iopf, leaks, mounts, ptdump, status, streams, trace,
};
use proptest::prelude::*;
use scope_pure::lpae::{write_decoded, Geometry, Stage};
use scope_pure::ptdump::write_raw;
use scope_pure::walk::Limits;

#[path = "../../scope-pure/tests/common/mod.rs"]
mod common;
use common::{io_prot, Mem};

fn geometries() -> impl Strategy<Value = Geometry> {
    (
        prop_oneof![Just(Stage::S1), Just(Stage::S2)],
        prop_oneof![Just(12u32), Just(14), Just(16)],
        32u32..=48,
    )
        .prop_filter_map("valid", |(s, gs, ias)| {
            Geometry::io_pgtable(s, gs, ias, 48).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The module's decoded dump of random mappings (its real writer)
    /// parses line by line; each run prints back to the same line; the
    /// runs add up to the counters line.
    #[test]
    fn module_dump_round_trips(
        g in geometries(),
        picks in proptest::collection::vec((any::<u64>(), 0usize..3, any::<u64>(), any::<bool>()), 1..40),
        mair in any::<u64>(),
    ) {
        let mut m = Mem::new(g);
        let sizes: Vec<u64> = (g.start_level.max(1)..=3u32).map(|l| g.entry_size(l)).filter(|&s| s <= 1 << 30).collect();
        let span = 1u64 << g.ias;
        let mut taken: Vec<(u64, u64)> = Vec::new();
        for (iova_r, si, pa_r, w) in picks {
            let size = sizes[si % sizes.len()];
            if size >= span { continue; }
            let iova = (iova_r % span) & !(size - 1);
            let pa = (pa_r % (1u64 << 40)) & !(size - 1);
            if taken.iter().any(|&(s, z)| s < iova + size && iova < s + z) { continue; }
            m.map(iova, pa, size, io_prot(g.stage, w));
            taken.push((iova, size));
        }
        let root = m.root;
        let mut text = String::new();
        let st = write_decoded(&mut text, &g, root, mair, &mut m, Limits::default()).unwrap();
        let (mut runs, mut bytes, mut leaves) = (0u64, 0u64, 0u64);
        for (i, line) in text.lines().enumerate() {
            match ptdump::parse_line(line, "dump", i + 1).unwrap() {
                ptdump::Line::Run(r) => {
                    prop_assert_eq!(r.to_line(), line);
                    runs += 1;
                    bytes += r.size;
                    leaves += r.leaves;
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!((runs, bytes, leaves), (st.runs, st.bytes, st.leaves));
        prop_assert_eq!(bytes, taken.iter().map(|&(_, z)| z).sum::<u64>());
        // The footer the module adds parses to the same counters.
        let foot = format!("# runs={} leaves={} mapped={} reads={}", st.runs, st.leaves, st.bytes, st.walk.reads);
        prop_assert_eq!(
            ptdump::parse_line(&foot, "dump", 1).unwrap(),
            ptdump::Line::Totals(ptdump::Totals { runs: Some(st.runs), leaves: Some(st.leaves), mapped: Some(st.bytes), reads: st.walk.reads })
        );
        // The raw dump of the same table: one descriptor per line.
        let mut raw = String::new();
        let root = m.root;
        write_raw(&mut raw, &g, root, &mut m, Limits::default()).unwrap();
        let mut pages = 0u64;
        for (i, line) in raw.lines().enumerate() {
            match ptdump::parse_line(line, "raw", i + 1).unwrap() {
                ptdump::Line::Raw(d) => {
                    prop_assert_eq!(d.depth as u32, d.level - g.start_level);
                    if d.kind != "table" { pages += 1; }
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!(pages, st.leaves);
    }

    /// Leak lines as the module prints them parse back, whatever the
    /// task name (spaces and brackets included) and owners.
    #[test]
    fn leak_lines_round_trip(
        pa in 0u64..(1 << 52), order in 0u32..11, count in 1u64..32768,
        comm in prop_oneof!["[ -~]{0,15}", "[ a-z=]{0,3} owners=[ a-z=;]{0,4}", "[a ]{0,2} freed_by=[a-z]{0,3}"], pid in 1u64..4_000_000,
        owners in proptest::collection::vec((any::<u64>(), any::<u64>(), proptest::collection::vec("[0-9a-f:.]{4,12}", 0..3)), 0..3),
        unconfirmed in any::<bool>(),
    ) {
        let mut text = String::new();
        for (d, iova, devs) in &owners {
            text.push_str(&format!("domain_{:016x} iova=0x{:x} devices={}; ", d, iova, if devs.is_empty() { "-".to_string() } else { devs.join(",") }));
        }
        let mark = if unconfirmed { " unconfirmed" } else { "" };
        let line = format!("pa=0x{:016x} pfn=0x{:x} order={} mapcount={}{} freed_by={}[{}] owners={}", pa, pa / 4096, order, count, mark, comm, pid, text.trim_end());
        let l = leaks::parse_line(&line, "leaks", 1).unwrap();
        prop_assert_eq!((l.pa, l.pfn, l.order, l.mapcount, l.pid), (pa, pa / 4096, order, count, pid));
        prop_assert_eq!(l.unconfirmed, unconfirmed);
        prop_assert_eq!(&l.comm, &comm);
        prop_assert_eq!(l.owners.len(), owners.len());
        for (o, (d, iova, devs)) in l.owners.iter().zip(&owners) {
            prop_assert_eq!(&o.domain, &format!("domain_{:016x}", d));
            prop_assert_eq!(o.iova, Some(*iova));
            prop_assert_eq!(&o.devices, devs);
            prop_assert!(!o.truncated);
        }
    }

    /// IOPF counter lines (keys with dots) parse back.
    #[test]
    fn iopf_lines_round_trip(keys in proptest::collection::vec(("[0-9a-z:._-]{1,20}", proptest::collection::vec(any::<u64>(), 9)), 1..5)) {
        let names = ["faults", "read", "write", "exec", "accepted", "refused", "handled", "failed", "report_ns"];
        let mut text = String::new();
        let mut dedup: Vec<(String, Vec<u64>)> = Vec::new();
        for (k, v) in keys {
            if dedup.last().is_some_and(|(p, _)| *p == k) { continue; }
            for (n, x) in names.iter().zip(&v) {
                text.push_str(&format!("{}.{} {}\n", k, n, x));
            }
            dedup.push((k, v));
        }
        let c = iopf::parse(Cursor::new(text), "iopf").unwrap();
        prop_assert_eq!(c.len(), dedup.len());
        for (c, (k, v)) in c.iter().zip(&dedup) {
            prop_assert_eq!(&c.key, k);
            for (n, x) in names.iter().zip(v) {
                prop_assert_eq!(c.get(n), *x);
            }
        }
    }

    /// Device lines parse back.
    #[test]
    fn device_lines_round_trip(name in "[0-9a-z:.]{1,16}", group in -1i64..1000, sids in proptest::collection::vec(any::<u32>(), 1..4), pasid in proptest::option::of(0u32..(1 << 20))) {
        let line = format!("{} group={} sid={} pasid={}", name, group,
            sids.iter().map(|s| format!("0x{:x}", s)).collect::<Vec<_>>().join(","),
            pasid.map_or("none".to_string(), |p| p.to_string()));
        let d = devices::parse_line(&line, "devices", 1).unwrap();
        prop_assert_eq!(d, devices::Device { name, group, sids, pasid });
    }

    /// Stream and CD lines printed by the module's own writers
    /// (`rust/pure/ste.rs`) from random STE and CD words parse back to
    /// the fields of the words, read here from the architecture's bit
    /// positions (Arm IHI 0070), not through the decoder.
    #[test]
    fn stream_lines_round_trip(
        sid in any::<u32>(), dev in "[0-9a-z:._-]{1,20}",
        ste in proptest::array::uniform8(any::<u64>()), cd in proptest::array::uniform8(any::<u64>()),
        ssid in any::<u32>(), flags in any::<(bool, bool, bool, bool, bool)>(),
        owner in 0u8..4, oid in any::<u64>(),
    ) {
        use scope_pure::ste::{decode_cd, decode_ste, write_cd, write_ste, MasterFlags, Owner};
        let (stall, ats, pri, torn, cd_torn) = flags;
        let dname = format!("domain_{:016x}", oid);
        let mname = format!("mm_{:016x}", oid);
        let o = match owner {
            0 => Owner::Domain(&dname),
            1 => Owner::Mm(&mname),
            2 => Owner::None,
            _ => Owner::Unknown,
        };
        let want_owner = match owner {
            0 => streams::Owner::Domain(dname.clone()),
            1 => streams::Owner::Mm(mname.clone()),
            2 => streams::Owner::None,
            _ => streams::Owner::Unknown,
        };
        let mut line = String::new();
        write_ste(&mut line, sid, &dev, &decode_ste(ste), MasterFlags { stall, ats, pri }, torn).unwrap();
        line.push_str(&format!(" {}", o));
        let st = streams::parse_stream(&line, "streams", 1).unwrap();
        let bits = |w: u64, hi: u32, lo: u32| (w >> lo) & (u64::MAX >> (63 - hi + lo));
        let config = if ste[0] & 1 == 0 { "invalid" } else {
            ["abort", "reserved", "reserved", "reserved", "bypass", "s1", "s2", "nested"][bits(ste[0], 3, 1) as usize]
        };
        prop_assert_eq!((st.sid, st.dev.as_str(), st.config.as_str(), st.torn), (sid, dev.as_str(), config, torn));
        prop_assert_eq!(&st.owner, &want_owner);
        prop_assert_eq!((st.fields.flag("stall"), st.fields.flag("ats"), st.fields.flag("pri")), (Some(stall), Some(ats), Some(pri)));
        let s1 = matches!(config, "s1" | "nested");
        let s2 = matches!(config, "s2" | "nested");
        prop_assert_eq!(st.has_s1(), s1);
        prop_assert_eq!(st.has_s2(), s2);
        prop_assert_eq!(st.fields.hex("cdtab"), s1.then_some(ste[0] & 0x000f_ffff_ffff_ffc0));
        prop_assert_eq!(st.fields.dec("s1cdmax"), s1.then_some(bits(ste[0], 63, 59)));
        // (Substream IDs have at most 20 bits: a larger S1CDMax counts 2^20.)
        prop_assert_eq!(st.fields.dec("substreams"), s1.then_some(1u64 << bits(ste[0], 63, 59).min(20)));
        prop_assert_eq!(st.fields.hex("vmid"), s2.then_some(ste[2] & 0xffff));
        prop_assert_eq!(st.fields.hex("vttbr"), s2.then_some(ste[3] & 0x000f_ffff_ffff_fff0));
        prop_assert_eq!(st.fields.dec("s2t0sz"), s2.then_some(bits(ste[2], 37, 32)));
        prop_assert_eq!(st.fields.get("s2tg"), s2.then_some(["4K", "64K", "16K", "reserved(3)"][bits(ste[2], 47, 46) as usize]));
        prop_assert_eq!(st.fields.get("cfg").is_some(), config == "reserved");
        prop_assert!(st.cds.is_empty() && st.notes.is_empty());

        let mut line = String::new();
        write_cd(&mut line, ssid, &decode_cd(cd), cd_torn).unwrap();
        line.push_str(&format!(" {}", o));
        let c = streams::parse_cd(&line, "streams", 2).unwrap();
        prop_assert_eq!((c.ssid, u64::from(c.asid), c.torn), (ssid, bits(cd[0], 63, 48), cd_torn));
        prop_assert_eq!(c.ttb0(), Some(cd[1] & 0x000f_ffff_ffff_fff0));
        prop_assert_eq!(c.fields.dec("t0sz"), Some(bits(cd[0], 5, 0)));
        prop_assert_eq!(c.fields.get("tg0"), Some(["4K", "64K", "16K", "reserved(3)"][bits(cd[0], 7, 6) as usize]));
        prop_assert_eq!(c.fields.flag("epd0"), Some(cd[0] & (1 << 14) != 0));
        prop_assert_eq!(c.fields.flag("ha"), Some(cd[0] & (1 << 43) != 0));
        prop_assert_eq!(c.fields.flag("hd"), Some(cd[0] & (1 << 42) != 0));
        prop_assert_eq!(c.fields.hex("mair"), Some(cd[3]));
        prop_assert_eq!(&c.owner, &want_owner);
        // A whole file of them: the stream with its CD, under a header.
        let text = format!("# smmu x sids_in_use=1 cds=1\n{}\n  ssid={} asid=0x0 ttb0=0x0 domain=-\n  # a note\n",
            { let mut l = String::new(); write_ste(&mut l, sid, &dev, &decode_ste(ste), MasterFlags::default(), false).unwrap(); l.push_str(" domain=?"); l }, ssid);
        let f = streams::parse(Cursor::new(text), "streams").unwrap();
        prop_assert_eq!((f.smmu.as_deref(), f.sids_in_use, f.cds), (Some("x"), Some(1), Some(1)));
        prop_assert_eq!(f.streams.len(), 1);
        prop_assert_eq!(f.streams[0].cds.len(), 1);
        prop_assert_eq!(&f.streams[0].notes, &vec!["a note".to_string()]);
    }

    /// Event lines in the tracepoints' print formats parse back.
    #[test]
    fn trace_lines_round_trip(
        ty in any::<u8>(), sid in any::<u32>(), ssid in any::<u32>(), ssv in any::<bool>(),
        iova in any::<u64>(), ipa in any::<u64>(), fetch in any::<u64>(), flags in any::<[bool; 5]>(),
        class in 0u8..3, stag in any::<u16>(), raw in any::<[u64; 4]>(),
        pasid in any::<u32>(), perm in 0u32..32, result in any::<i32>(), ns in any::<u64>(), task in "[ -~]{1,16}",
        comm in prop_oneof!["[ -~]{0,15}", "[-0-9 \\[\\]:a-z]{0,15}", Just("-1 [0] 1: a: ".to_string()), Just("a: iopf_fault: ".to_string()), Just("x-1 [000] 1.0: ".to_string())],
        pid_t in 1u32..4_000_000,
    ) {
        let line = format!(
            "{:>16}-12 [001] ...2. 123.456789: smmu_evtq_event: smmu=9050000.smmuv3 client=- F_TEST(0x{:02x}) sid=0x{:x} ssid=0x{:x} ssv={} iova=0x{:x} ipa=0x{:x} fetch=0x{:x} {} {} {} {} class={} stall={} stag=0x{:x} raw={:016x}:{:016x}:{:016x}:{:016x}",
            task, ty, sid, ssid, ssv as u8, iova, ipa, fetch,
            if flags[0] { "read" } else { "write" }, if flags[1] { "insn" } else { "data" },
            if flags[2] { "priv" } else { "unpriv" }, if flags[3] { "s2" } else { "s1" },
            class, flags[4] as u8, stag, raw[0], raw[1], raw[2], raw[3]);
        let e = trace::parse_line(&line, "t", 1).unwrap().unwrap();
        let trace::Kind::Evtq(x) = e.kind else { panic!() };
        prop_assert_eq!(e.ts, "123.456789");
        prop_assert_eq!((x.type_id, x.sid, x.ssid, x.ssv, x.iova, x.ipa, x.fetch), (ty, sid, ssid, ssv, iova, ipa, fetch));
        prop_assert_eq!((x.read, x.insn, x.privileged, x.s2, x.class, x.stall, x.stag, x.raw), (flags[0], flags[1], flags[2], flags[3], class, flags[4], stag, raw));
        let names = ["read", "write", "exec", "priv"];
        let pnames: Vec<String> = (0..4).filter(|b| perm & (1 << b) != 0).map(|b| names[b].to_string()).collect();
        // The format ftrace prints (%16s-%-7d, record-tgid or not, flags
        // or not), the task name up to 15 bytes, any printable text.
        let hdr = [
            format!("{:>16}-{:<7} [001] ...2. {:>5}.{:06}: ", comm, pid_t, 7, 123),
            format!("{:>16}-{:<7} (-------) [001] {:>5}.{:06}: ", comm, pid_t, 7, 123),
            format!("{:>16}-{:<7} ({:>7}) [001] d.h1. {:>5}.{:06}: ", comm, pid_t, pid_t, 7, 123),
        ];
        for h in hdr {
            let line = format!("{}iopf_fault: dev=0000:00:01.0 mm=- type=1 pasid=3 grpid=2 perm=read addr=0x{:x} result=0 duration_ns=5", h, iova);
            let e = trace::parse_line(&line, "t", 1).unwrap().unwrap();
            prop_assert_eq!(e.ts, "7.000123");
            let trace::Kind::Iopf(x) = e.kind else { panic!() };
            prop_assert_eq!(x.addr, iova);
            let line = format!("{}sched_switch: prev_comm=a prev_pid=1", h);
            prop_assert!(trace::parse_line(&line, "t", 1).unwrap().is_none());
        }
        let line = format!("{:>16}-12 [001] ...2. 9.5: iopf_fault: dev=0000:00:01.0 mm=- type=1 pasid={}{} grpid=3 perm={} addr=0x{:x} result={} duration_ns={}",
            task, pasid, if perm & 16 != 0 { "(invalid)" } else { "" }, pnames.join("|"), iova, result, ns);
        let e = trace::parse_line(&line, "t", 1).unwrap().unwrap();
        let trace::Kind::Iopf(x) = e.kind else { panic!() };
        prop_assert_eq!((x.pasid, x.pasid_valid, x.addr, x.result, x.duration_ns), (pasid, perm & 16 == 0, iova, result, ns));
        prop_assert_eq!(x.perm, pnames);
    }

    /// Sizes print and parse back.
    #[test]
    fn sizes_round_trip(v in 1u64..u64::MAX) {
        prop_assert_eq!(parse::size(&parse::size_text(v)), Some(v));
        prop_assert_eq!(parse::size_text(v), scope_pure::ptdump::Size(v).to_string());
    }

    /// No parser panics on arbitrary text (an error or a value).
    #[test]
    fn arbitrary_text_never_panics(s in "(?s).{0,300}", t in proptest::collection::vec(prop_oneof![
        proptest::sample::select(vec!["0x", "-", " ", "\n", "#", "=", "L3[", "]", "pa=", "x", "K", "feature ", "probe ", ": ", "(", ")", "smmu_evtq_event: ", "iopf_fault: ", "owners=", " freed_by=", ";", "ffffffffffffffff", "18446744073709551616", ".", "table -> ", "module: x\n", "# domain_1 stage 1\n", "8192P", "0x8000000000000000-0x0000000000000000 ", " L1 block RW- a\n", "sid=0x8 dev=a ste=s1 ", "  ssid=0 asid=0x1 ", "domain=- ", "mm=", "domain=domain_1", "domain=?", "(no ", "torn ", "# smmu x sids_in_use=1 cds=0\n", "  # ", "cdtab=", "vmid="]).prop_map(|s: &str| s.to_string()),
        "[0-9a-fx]{1,20}",
    ], 0..40)) {
        let mixed: String = t.concat();
        for input in [s.as_str(), mixed.as_str()] {
            let _ = status::parse(Cursor::new(input), "f");
            let _ = info::parse(Cursor::new(input), "f");
            let _ = devices::parse(Cursor::new(input), "f");
            let _ = accounting::parse(Cursor::new(input), "f");
            let _ = leaks::parse(Cursor::new(input), "f");
            let _ = iopf::parse(Cursor::new(input), "f");
            let _ = streams::parse(Cursor::new(input), "f");
            let _ = mounts::find(input, "debugfs");
            for other in [s.as_str(), mixed.as_str()] {
                let _ = iommu_scope::diff::diff(Cursor::new(input), "a", Cursor::new(other), "b", |_| Ok(()));
            }
            for (i, l) in input.lines().enumerate() {
                let _ = ptdump::parse_line(l, "f", i + 1);
                let _ = trace::parse_line(l, "f", i + 1);
                let _ = accounting::parse_page(l, "f", i + 1);
                let _ = streams::parse_stream(l, "f", i + 1);
                let _ = streams::parse_cd(l, "f", i + 1);
                let _ = parse::size(l);
            }
        }
    }

    /// Prometheus label values are escaped: no raw newline or unescaped
    /// quote survives.
    #[test]
    fn prom_labels_escaped(v in "(?s).{0,40}") {
        let e = iommu_scope::prom::escape_label(&v);
        prop_assert!(!e.contains('\n'));
        let mut chars = e.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let n = chars.next();
                prop_assert!(matches!(n, Some('\\') | Some('"') | Some('n')));
            } else {
                prop_assert!(c != '"');
            }
        }
    }
}

#[test]
fn mounts_with_escapes() {
    let t = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/guest/proc_mounts"
    ))
    .unwrap();
    assert_eq!(
        mounts::find(&t, "debugfs").as_deref(),
        Some("/sys/kernel/debug")
    );
    assert_eq!(
        mounts::find(&t, "tracefs").as_deref(),
        Some("/sys/kernel/tracing")
    );
    let without: String = t
        .lines()
        .filter(|l| !l.starts_with("debugfs "))
        .map(|l| format!("{}\n", l))
        .collect();
    assert_eq!(mounts::find(&without, "debugfs"), None);
    assert_eq!(
        mounts::find("none /mnt/my\\040debug debugfs rw 0 0\n", "debugfs").as_deref(),
        Some("/mnt/my debug")
    );
}

#[test]
fn leak_line_fields_are_strict() {
    let ok = "pa=0x0000000000001000 pfn=0x1 order=0 mapcount=2 freed_by=a owners=b[7] owners=domain_0000000000000001 iova=0x10 devices=x;";
    let l = leaks::parse_line(ok, "leaks", 1).unwrap();
    assert_eq!(
        (l.comm.as_str(), l.pid, l.owners.len()),
        ("a owners=b", 7, 1)
    );
    assert_eq!(l.owners[0].iova, Some(0x10));
    for (line, what) in [
        (
            "pa===0x1 pfn=0x1 order=0 mapcount=2 freed_by=a[7] owners=",
            "pa",
        ),
        (
            "pa0x1 pfn=0x1 order=0 mapcount=2 freed_by=a[7] owners=",
            "pa",
        ),
        (
            "pa=0x1 pfn==0x1 order=0 mapcount=2 freed_by=a[7] owners=",
            "pfn",
        ),
        (
            "pa=0x1 pfn=0x1 order=0 mapcount=2 unconfirmd freed_by=a[7] owners=",
            "pa= pfn= order= mapcount= [unconfirmed]",
        ),
        (
            "pa=0x1 pfn=0x1 order=0 unconfirmed mapcount=2 freed_by=a[7] owners=",
            "pa= pfn= order= mapcount= [unconfirmed]",
        ),
        (
            "pa=0x1 pfn=0x1 order=0 mapcount=2 freed_by=a[7] owners=domain_1 iova=0xzz devices=x; ",
            "owner iova=",
        ),
        (
            "pa=0x1 pfn=0x1 order=0 mapcount=2 freed_by=a[7] owners=domain_1 iova=12 devices=x; ",
            "owner iova=",
        ),
    ] {
        let e = leaks::parse_line(line, "leaks", 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("leaks:4: malformed leak line ({})", what),
            "{}",
            line
        );
    }
    // A cut last entry may have lost its iova's digits: kept, marked.
    let l = leaks::parse_line(
        "pa=0x1 pfn=0x1 order=0 mapcount=2 freed_by=a[7] owners=domain_1 iova=0x",
        "leaks",
        1,
    )
    .unwrap();
    assert!(l.owners[0].truncated && l.owners[0].iova.is_none());
}

#[test]
fn comment_lines_the_module_prints_are_accepted() {
    // rust/events/iopf.rs writes "# out of memory" when it cannot
    // snapshot the counters.
    assert_eq!(
        iopf::parse(Cursor::new("# out of memory\n"), "iopf/device")
            .unwrap()
            .len(),
        0
    );
    let c = iopf::parse(
        Cursor::new("a.faults 3\n# line too long: cut\na.read 1\n"),
        "iopf/device",
    )
    .unwrap();
    assert_eq!((c.len(), c[0].get("faults"), c[0].get("read")), (1, 3, 1));
    let a =
        accounting::parse(Cursor::new("maps 4\n# a comment\nunmaps 2\n"), "accounting").unwrap();
    assert_eq!((a.get("maps"), a.get("unmaps")), (Some(4), Some(2)));
    // Still strict on other lines.
    assert_eq!(
        iopf::parse(Cursor::new("out of memory\n"), "iopf")
            .unwrap_err()
            .to_string(),
        "iopf:1: expected \"<key>.<counter> <value>\""
    );
}

#[test]
fn task_names_that_look_like_headers() {
    // Task names of at most 15 bytes that hold a false ftrace header or
    // the event separator: the real event is found, with its timestamp.
    for comm in [
        "-1 [0] 1: a: ",
        "a: iopf_fault: ",
        "x-1 [000] 1.0: ",
        "k-9 [1] 2: b:",
    ] {
        let line = format!("{:>16}-{:<7} [000] ...1. {:>5}.{:06}: iopf_fault: dev=0000:00:01.0 mm=- type=1 pasid=3 grpid=2 perm=read addr=0x1000 result=-22 duration_ns=5", comm, 77, 12, 5);
        let e = trace::parse_line(&line, "t", 1)
            .unwrap()
            .unwrap_or_else(|| panic!("{:?}", comm));
        assert_eq!(e.ts, "12.000005", "{:?}", comm);
        let trace::Kind::Iopf(x) = e.kind else {
            panic!()
        };
        assert_eq!((x.addr, x.result), (0x1000, -22));
        // Another event with such a name is not the module's.
        let line = format!(
            "{:>16}-{:<7} [000] ...1. {:>5}.{:06}: sched_waking: comm=a pid=1",
            comm, 77, 12, 5
        );
        assert_eq!(
            trace::parse_line(&line, "t", 1).unwrap(),
            None,
            "{:?}",
            comm
        );
    }
}

#[test]
fn truncated_owner_is_kept_and_marked() {
    let l = leaks::parse_line("pa=0x0000000000001000 pfn=0x1 order=0 mapcount=2 freed_by=a b[7] owners=domain_0000000000000001 iova=0x10 devices=x; domain_0000000000000002 iova=0x2", "leaks", 3).unwrap();
    assert_eq!(l.comm, "a b");
    assert_eq!(l.owners.len(), 2);
    assert!(!l.owners[0].truncated && l.owners[1].truncated);
    assert_eq!(l.owners[1].iova, Some(2));
    let e = leaks::parse_line(
        "pa=0x1 pfn=0x1 order=x mapcount=2 freed_by=a[7] owners=",
        "leaks",
        3,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "leaks:3: malformed leak line (order)");
}

#[test]
fn json_strings_escaped() {
    let j = iommu_scope::json::J::s("a\"b\\c\nd\u{1}");
    assert_eq!(j.to_text(), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

/// The streams file's rarer lines, written as `rust/streams/files.rs`
/// prints them (a stream without a level-2 table, torn entries, an SVA
/// CD's `mm=`, `domain=?`, the notes, the truncation footer, a failed
/// read): each kept with its meaning.
#[test]
fn streams_special_lines() {
    let text = "\
# smmu 9050000.smmuv3 sids_in_use=600 cds=2
sid=0x0 dev=0000:00:00.0 ste=missing (no level-2 stream table) domain=-
sid=0x8 dev=0000:00:01.0 ste=s1 torn cdtab=0x0000000042405000 s1fmt=2lvl-64k s1cdmax=20 substreams=1048576 s1dss=bypass s1stalld=1 eats=abort strw=nsel1 stall=1 ats=0 pri=1 domain=?
  ssid=0 asid=0x1 torn ttb0=0x0000000042404000 t0sz=16 tg0=64K ips=48 epd0=0 epd1=1 ha=1 hd=1 haft=0 s=1 r=1 a=0 aset=0 mair=0xfffffffff404ff44 domain=?
  ssid=7 asid=0x2 ttb0=0x0000000042400000 t0sz=16 tg0=4K ips=48 epd0=0 epd1=1 ha=0 hd=0 haft=0 s=0 r=1 a=1 aset=0 mair=0x0 domain=- mm=mm_00000000deadbeef
  # CDs cut: scan or record limit reached after 65536 slots
sid=0x10 dev=0000:00:02.0 ste=nested cdtab=0x0000000040000000 s1fmt=linear s1cdmax=1 substreams=2 s1dss=ssid0 s1stalld=0 vmid=0x1 vttbr=0x0000000043916000 s2t0sz=20 s2sl0=2 s2tg=16K s2ps=44 s2aa64=1 s2ptw=1 s2s=0 s2r=1 s2fwb=0 eats=abort strw=nsel1 stall=0 ats=0 pri=0 domain=domain_0000000093afc1e8
  # CD table at an IPA (nested, the guest's): not read
sid=0x18 dev=0000:00:03.0 ste=reserved(2) stall=0 ats=0 pri=0 domain=-
# truncated: 4 of 600 stream IDs shown
";
    let s = streams::parse(Cursor::new(text), "streams").unwrap();
    assert_eq!(
        (
            s.smmu.as_deref(),
            s.sids_in_use,
            s.cds,
            s.truncated,
            s.error
        ),
        (
            Some("9050000.smmuv3"),
            Some(600),
            Some(2),
            Some((4, 600)),
            None
        )
    );
    assert_eq!(s.streams.len(), 4);
    let m = &s.streams[0];
    assert_eq!(
        (m.sid, m.config.as_str(), &m.owner, &m.notes),
        (
            0,
            "missing",
            &streams::Owner::None,
            &vec!["no level-2 stream table".to_string()]
        )
    );
    assert!(m.fields.0.is_empty() && m.cds.is_empty());
    let t = &s.streams[1];
    assert_eq!(
        (
            t.torn,
            &t.owner,
            t.fields.dec("substreams"),
            t.fields.flag("pri")
        ),
        (true, &streams::Owner::Unknown, Some(1 << 20), Some(true))
    );
    assert_eq!(t.cds.len(), 2);
    assert_eq!(
        (t.cds[0].torn, t.cds[0].asid, &t.cds[0].owner),
        (true, 1, &streams::Owner::Unknown)
    );
    assert_eq!(
        (t.cds[1].ssid, t.cds[1].ttb0(), &t.cds[1].owner),
        (
            7,
            Some(0x4240_0000),
            &streams::Owner::Mm("mm_00000000deadbeef".into())
        )
    );
    assert_eq!(
        t.notes,
        ["CDs cut: scan or record limit reached after 65536 slots"]
    );
    let n = &s.streams[2];
    assert!(n.has_s1() && n.has_s2());
    assert_eq!(
        (
            n.fields.hex("vmid"),
            n.fields.hex("vttbr"),
            n.fields.get("s2tg")
        ),
        (Some(1), Some(0x4391_6000), Some("16K"))
    );
    assert_eq!(
        n.owner,
        streams::Owner::Domain("domain_0000000093afc1e8".into())
    );
    assert_eq!(
        n.notes,
        ["CD table at an IPA (nested, the guest's): not read"]
    );
    let r = &s.streams[3];
    assert_eq!(
        (r.config.as_str(), r.fields.hex("cfg")),
        ("reserved", Some(2))
    );
    // A failed read.
    let e = streams::parse(
        Cursor::new("# stream table not read: error -12\n"),
        "streams",
    )
    .unwrap();
    assert_eq!((e.error, e.streams.len(), e.smmu), (Some(-12), 0, None));
    // mm= only after domain=-; an unclosed parenthesis; no owner.
    for bad in [
        "sid=0x0 dev=a ste=s1 domain=domain_1 mm=mm_1",
        "sid=0x0 dev=a ste=missing (no level-2 domain=-",
        "sid=0x0 dev=a ste=bypass stall=0",
        "sid=0x100000000 dev=a ste=bypass domain=-",
        "sid=0x0 dev= ste=bypass domain=-",
    ] {
        assert!(streams::parse_stream(bad, "f", 1).is_err(), "{}", bad);
    }
}
