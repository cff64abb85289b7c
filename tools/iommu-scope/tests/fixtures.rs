// SPDX-License-Identifier: GPL-2.0

//! Every command against the fixture tree captured from a real guest
//! (`tests/fixtures/guest`, made by `tests/fixtures/capture-host.sh`):
//! exact values of what the guest did (facts: the leaked page, the edu
//! domain and stream ID; 10 faulting edu reads; 10 + 3 + 4 IO page
//! faults), exit statuses of the error cases.
//!
//! Owns: the end-to-end host tests. Must not: edit the fixtures.

use iommu_scope::cli;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guest")
}

/// A scratch directory `NAME` of this test process, under cargo's
/// per-target temporary directory (`target/tmp/<pid>/NAME`, not /tmp).
/// The first call removes the directories of earlier test processes that
/// are gone (the tests cannot remove theirs at exit).
fn scratch(name: &str) -> PathBuf {
    static CLEANED: OnceLock<()> = OnceLock::new();
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("iommu-scope-tests");
    CLEANED.get_or_init(|| {
        if let Ok(rd) = std::fs::read_dir(&base) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.parse::<u32>().is_ok() && !std::path::Path::new("/proc").join(&n).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    });
    let d = base.join(std::process::id().to_string()).join(name);
    std::fs::create_dir_all(d.parent().unwrap()).unwrap();
    d
}

/// The captured sysfs links and directories (`sysfs.txt`) made into a
/// tree once per test run (a source tree with symlinks to directories
/// would not survive a plain copy).
fn sysfs() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let text = std::fs::read_to_string(fixture().join("sysfs.txt")).unwrap();
        sysfs_tree("sysfs", &text)
    })
    .clone()
}

/// A sysfs tree in scratch directory `name` from lines `dir PATH` and
/// `link PATH TARGET` (the format of `sysfs.txt`).
fn sysfs_tree(name: &str, text: &str) -> PathBuf {
    let root = scratch(name);
    let _ = std::fs::remove_dir_all(&root);
    for l in text.lines() {
        let t: Vec<&str> = l.split(' ').collect();
        match t.as_slice() {
            ["dir", p] => std::fs::create_dir_all(root.join(p)).unwrap(),
            ["link", p, target] => {
                let p = root.join(p);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(target, &p).unwrap();
            }
            _ => panic!("bad sysfs.txt line {:?}", l),
        }
    }
    root
}

fn facts() -> HashMap<String, String> {
    std::fs::read_to_string(fixture().join("facts"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The domain directory of a PCI device (the capture's `dom_of`: the
/// directory whose devices file lists it).
fn dom(dev: &str) -> String {
    facts()[&format!("domain_{}", dev)].clone()
}

/// Runs the CLI on the fixture tree: (status, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let f = fixture();
    let mut a: Vec<String> = vec![
        "--debugfs".into(),
        f.join("debugfs").display().to_string(),
        "--tracefs".into(),
        f.join("tracefs").display().to_string(),
        "--sysfs".into(),
        sysfs().display().to_string(),
    ];
    a.extend(args.iter().map(|s| s.to_string()));
    run_raw(&a)
}

fn run_raw(a: &[String]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = cli::run(a, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Extracts `"key":value` from compact JSON text (first occurrence).
fn jget<'a>(j: &'a str, key: &str) -> &'a str {
    let pat = format!("\"{}\":", key);
    let i = j
        .find(&pat)
        .unwrap_or_else(|| panic!("no {} in {}", key, j))
        + pat.len();
    let rest = &j[i..];
    let end = rest.find([',', '}', ']']).unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn status_text_and_json() {
    let (c, out, err) = run(&["status"]);
    assert_eq!(c, 0, "{}", err);
    assert!(out.starts_with("module iommu_scope loaded\n"));
    assert!(out.contains(
        "smmu_evtq_event  active       events=10 overflows=0 thread_runs=10 unnamed_sids=0\n"
    ));
    let (c, j, _) = run(&["--json", "status"]);
    assert_eq!(c, 0);
    assert!(j.starts_with("{\"module\":\"iommu_scope\",\"features\":[{\"name\":\"accounting\",\"state\":\"active\",\"values\":{\"table_memory\":245760},\"probes\":[{\"function\":\"iommu:map\",\"state\":\"active\",\"what\":\"map accounting\",\"values\":{}}"), "{}", j);
    assert!(j.contains("{\"name\":\"leak_detection\",\"state\":\"active\",\"values\":{\"leaks_found\":1},\"probes\":[]}"));
    assert!(j.contains("{\"name\":\"iopf\",\"state\":\"active\",\"values\":{\"reports\":17,\"handler_outcome\":\"tracked\"},\"probes\":[]}"));
    assert!(j.contains("{\"function\":\"__iommu_unmap\",\"state\":\"active\",\"what\":\"dump consistency marks, the accounting's probe\",\"values\":{}}"));
    assert!(j.contains(
        "{\"name\":\"smmu_streams\",\"state\":\"active\",\"values\":{\"smmus\":1},\"probes\":[]}"
    ));
    // 6 features, 5 + 8 probes.
    assert_eq!(j.matches("\"state\":\"active\"").count(), 6 + 12);
    assert_eq!(j.matches("\"function\":").count(), 13);
}

#[test]
fn domains_rows() {
    let facts = facts();
    let edu = &facts["edu_domain"];
    let (c, out, err) = run(&["domains"]);
    assert_eq!(c, 0, "{}", err);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{}", out);
    assert_eq!(
        lines[0],
        "DOMAIN                   DRIVER       TYPE  FORMAT          GRANULE  MAPPED  RUNS  DEVICES"
    );
    let edu_row = lines.iter().find(|l| l.starts_with(edu.as_str())).unwrap();
    assert_eq!(
        *edu_row,
        format!(
            "{}  arm-smmu-v3  DMA   ARM_64_LPAE_S1  4K       4096    1     0000:00:01.0(edu_dma)",
            edu
        )
    );
    assert!(out.contains(&format!(
        "{}  arm-smmu-v3  DMA   ARM_64_LPAE_S1  4K       184320  9     0000:00:02.0(nvme)",
        dom("0000:00:02.0")
    )));
    let (c, j, _) = run(&["--json", "domains"]);
    assert_eq!(c, 0);
    assert_eq!(j.matches("\"id\":\"domain_").count(), 5);
    assert!(j.contains(&format!("{{\"id\":\"{}\",\"driver\":\"arm-smmu-v3\",\"type\":\"DMA\",\"smmu\":\"9050000.smmuv3\",\"format\":\"ARM_64_LPAE_S1\",\"granule\":\"4K\",\"ias\":48,\"oas\":44,\"devices\":[{{\"name\":\"0000:00:01.0\",\"driver\":\"edu_dma\",\"group\":1,\"sids\":[8],\"pasid\":null}}],\"mapped_bytes\":4096,\"runs\":1,\"leaves\":1,\"consistent\":true}}", edu)), "{}", j);
    // Mapped bytes of all domains: the dumps' own counters.
    let total: u64 = j
        .split("\"mapped_bytes\":")
        .skip(1)
        .map(|s| s[..s.find(',').unwrap()].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 4096 + 20480 + 184320);
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

#[test]
fn domains_and_who_maps_skip_domains_freed_meanwhile() {
    let facts = facts();
    let root = scratch("freed");
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&fixture().join("debugfs"), &root);
    let iopt = root.join("io_page_tables");
    // One domain freed: its files say so, as the module writes them.
    let freed = "# domain freed: this directory is being removed\n";
    let (virtio, other) = (dom("0000:00:03.0"), dom("0000:00:04.0"));
    for f in ["info", "devices", "ptdump"] {
        std::fs::write(iopt.join(&virtio).join(f), freed).unwrap();
    }
    // One whose files are already gone (ENOENT), its directory not yet.
    for f in ["info", "ptdump", "ptdump_raw"] {
        let _ = std::fs::remove_file(iopt.join(&other).join(f));
    }
    let a = |cmd: &[&str]| {
        let mut a = vec![
            "--debugfs".to_string(),
            root.display().to_string(),
            "--sysfs".into(),
            sysfs().display().to_string(),
        ];
        a.extend(cmd.iter().map(|s| s.to_string()));
        run_raw(&a)
    };
    let (c, out, err) = a(&["domains"]);
    assert_eq!((c, err.as_str()), (0, ""));
    assert_eq!(out.lines().count(), 4, "{}", out);
    assert!(!out.contains(&virtio) && !out.contains(&other));
    let (c, out, err) = a(&["who-maps", &facts["leak_pa"]]);
    assert_eq!((c, err.as_str()), (0, ""));
    assert!(out.contains(&facts["edu_domain"]), "{}", out);
    // The devices file alone freed: the domain is skipped too.
    std::fs::write(iopt.join(dom("0000:00:00.0")).join("devices"), freed).unwrap();
    let (c, out, _) = a(&["domains"]);
    assert_eq!((c, out.lines().count()), (0, 3), "{}", out);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn ptdump_by_every_kind_of_name() {
    let nvme = dom("0000:00:02.0");
    let dump = std::fs::read_to_string(
        fixture()
            .join("debugfs/io_page_tables")
            .join(&nvme)
            .join("ptdump"),
    )
    .unwrap();
    for target in [
        nvme.as_str(),
        nvme.trim_start_matches("domain_"),
        "0000:00:02.0",
        "00:02.0",
        "nvme0",
        "nvme0n1",
        "nvme",
    ] {
        let (c, out, err) = run(&["ptdump", target]);
        assert_eq!(c, 0, "{}: {}", target, err);
        assert_eq!(out, dump, "{}", target);
    }
    // vda is behind the virtio-blk device 0000:00:03.0.
    let (c, out, _) = run(&["ptdump", "vda"]);
    assert_eq!(c, 0);
    assert!(out.starts_with(&format!("# {} stage 1 ", dom("0000:00:03.0"))));
    let raw = std::fs::read_to_string(
        fixture()
            .join("debugfs/io_page_tables")
            .join(&nvme)
            .join("ptdump_raw"),
    )
    .unwrap();
    let (c, out, _) = run(&["ptdump", "--raw", "nvme0"]);
    assert_eq!((c, out), (0, raw));
}

#[test]
fn ptdump_json_lines() {
    let facts = facts();
    let pa = u64::from_str_radix(facts["leak_pa"].trim_start_matches("0x"), 16).unwrap();
    let (c, out, _) = run(&["--json", "ptdump", "edu_dma"]);
    assert_eq!(c, 0);
    let l: Vec<&str> = out.lines().collect();
    assert_eq!(l.len(), 4);
    assert_eq!(l[0], format!("{{\"type\":\"header\",\"domain\":\"{}\",\"fields\":{{\"stage\":1,\"granule\":\"4K\",\"levels\":4,\"ias\":48,\"oas\":44}}}}", facts["edu_domain"]));
    assert_eq!(l[1], format!("{{\"type\":\"run\",\"iova\":\"0x0000000010000000\",\"end\":\"0x0000000010001000\",\"size\":4096,\"pa\":\"0x{:016x}\",\"level\":3,\"kind\":\"page\",\"perms\":\"RWX\",\"attrs\":[\"user\",\"AF\",\"Normal-NC\",\"OSH\",\"-\",\"ng\"],\"leaves\":1}}", pa));
    assert_eq!(
        l[2],
        "{\"type\":\"totals\",\"runs\":1,\"leaves\":1,\"mapped\":4096,\"reads\":2048}"
    );
    assert_eq!(
        l[3],
        "{\"type\":\"consistency\",\"consistent\":true,\"text\":\"no unmap ran during the dump\"}"
    );
}

#[test]
fn ptdump_unknown_target_is_a_request_error() {
    for t in ["nosuchdev", "0000:00:09.0", "domain_0123456789abcdef"] {
        let (c, out, err) = run(&["ptdump", t]);
        assert_eq!(c, 1, "{}", t);
        assert_eq!(out, "");
        assert!(
            err.starts_with("iommu-scope: ") && err.ends_with('\n') && err.lines().count() == 1,
            "{}",
            err
        );
    }
}

#[test]
fn who_maps_the_leaked_page() {
    let facts = facts();
    let pa = &facts["leak_pa"];
    let pav = u64::from_str_radix(pa.trim_start_matches("0x"), 16).unwrap();
    // An address inside the page: same unit, IOVA offset kept.
    let inside = format!("0x{:x}", pav + 0x123);
    let (c, out, err) = run(&["who-maps", &inside]);
    assert_eq!(c, 0, "{}", err);
    assert_eq!(
        out,
        format!(
            "pa 0x{:016x}: refcount 1 (4 KiB unit 0x{:016x})\n{} iova=0x0000000010000123 devices=0000:00:01.0\n",
            pav + 0x123,
            pav,
            facts["edu_domain"]
        )
    );
    let (c, j, _) = run(&["--json", "who-maps", pa]);
    assert_eq!(c, 0);
    assert_eq!(j, format!("{{\"pa\":\"0x{:016x}\",\"unit\":\"0x{:016x}\",\"refcount\":1,\"mappings\":[{{\"domain\":\"{}\",\"iova\":\"0x0000000010000000\",\"devices\":[{{\"name\":\"0000:00:01.0\",\"driver\":\"edu_dma\",\"group\":1,\"sids\":[8],\"pasid\":null}}],\"consistent\":true}}]}}\n", pav, pav, facts["edu_domain"]));
    // The page mapped twice (pages_mapped_more_than_once 1 in accounting).
    let pages = std::fs::read_to_string(fixture().join("debugfs/io_page_tables/pages")).unwrap();
    let twice = pages.lines().find(|l| l.ends_with(" 2")).unwrap();
    let (c, j, _) = run(&["--json", "who-maps", twice.split(' ').next().unwrap()]);
    assert_eq!(c, 0);
    assert_eq!(jget(&j, "refcount"), "2");
    // Not mapped anywhere: refcount 0, no domain.
    let (c, out, _) = run(&["who-maps", "0x1000"]);
    assert_eq!(c, 0);
    assert_eq!(
        out,
        "pa 0x0000000000001000: refcount 0 (4 KiB unit 0x0000000000001000)\nmapped by no domain\n"
    );
    for bad in ["0x1zz", "-5", "0x10000000000000", "4503599627370496", ""] {
        let (c, _, err) = run(&["who-maps", bad]);
        assert_eq!(c, 1, "{}: {}", bad, err);
        assert!(err.contains("bad physical address"));
    }
}

#[test]
fn leaks_exact() {
    let facts = facts();
    let pav = u64::from_str_radix(facts["leak_pa"].trim_start_matches("0x"), 16).unwrap();
    let (c, out, _) = run(&["leaks"]);
    assert_eq!(c, 0);
    assert!(out.starts_with(&format!("1 DMA use-after-free report(s)\npa 0x{:016x} (pfn 0x{:x}, order 0) mapped 1 time(s), freed by insmod[", pav, pav >> 12)), "{}", out);
    assert!(out.ends_with(&format!(
        "]\n  {} iova=0x0000000010000000 devices=0000:00:01.0\n",
        facts["edu_domain"]
    )));
    let (c, j, _) = run(&["--json", "leaks"]);
    assert_eq!(c, 0);
    assert!(j.starts_with(&format!("{{\"leaks\":[{{\"pa\":\"0x{:016x}\",\"pfn\":{},\"order\":0,\"mapcount\":1,\"freed_by\":{{\"comm\":\"insmod\",\"pid\":", pav, pav >> 12)));
    assert!(j.ends_with(&format!("\"resolved\":true,\"owners\":[{{\"domain\":\"{}\",\"iova\":\"0x0000000010000000\",\"devices\":[\"0000:00:01.0\"],\"truncated\":false}}],\"unconfirmed\":false}}],\"more_not_kept\":0}}\n", facts["edu_domain"])));
}

#[test]
fn events_decoded_and_filtered() {
    let facts = facts();
    let (c, out, err) = run(&["events"]);
    assert_eq!(c, 0, "{}", err);
    let l: Vec<&str> = out.lines().collect();
    assert_eq!(l.len(), 14);
    for (i, line) in l[..10].iter().enumerate() {
        let tail = format!(
            " smmu 9050000.smmuv3 0000:00:01.0 F_TRANSLATION(0x10) sid={} iova=0x{:x} read data unpriv s1",
            facts["edu_sid"],
            0x800_0000 + i * 4096
        );
        assert!(line.ends_with(&tail), "{} vs {}", line, tail);
    }
    for (i, line) in l[10..].iter().enumerate() {
        let tail = format!(
            " iopf 0000:00:01.0 mm=- pasid=5 grpid={} perm={} addr=0x{:x} refused(-22) ",
            i,
            if i % 2 == 0 { "read" } else { "write" },
            0x10_0000 + i * 4096
        );
        assert!(line.contains(&tail), "{} vs {}", line, tail);
    }
    let (_, out, _) = run(&["events", "--type", "F_TRANSLATION"]);
    assert_eq!(out.lines().count(), 10);
    let (_, out, _) = run(&["events", "--type", "0x10", "--device", "0000:00:01.0"]);
    assert_eq!(out.lines().count(), 10);
    let (_, out, _) = run(&["events", "--type", "iopf"]);
    assert_eq!(out.lines().count(), 4);
    let (_, out, _) = run(&["events", "--device", "0000:00:02.0"]);
    assert_eq!(out, "");
    let (_, out, _) = run(&["events", "--count", "3"]);
    assert_eq!(out.lines().count(), 3);
    let (c, j, _) = run(&["--json", "events", "--count", "1"]);
    assert_eq!(c, 0);
    assert!(j.starts_with("{\"event\":\"smmu_evtq_event\",\"ts\":\""));
    assert!(j.ends_with(&format!(",\"smmu\":\"9050000.smmuv3\",\"client\":\"0000:00:01.0\",\"name\":\"F_TRANSLATION\",\"type_id\":16,\"sid\":{},\"ssid\":0,\"ssv\":false,\"iova\":\"0x0000000008000000\",\"ipa\":\"0x0000000000000000\",\"fetch\":\"0x0000000000000000\",\"read\":true,\"insn\":false,\"priv\":false,\"s2\":false,\"class\":2,\"stall\":false,\"stag\":0,\"raw\":[\"0x0000000800000010\",\"0x0000020800000000\",\"0x0000000008000000\",\"0x0000000000000000\"]}}\n", u64::from_str_radix(facts["edu_sid"].trim_start_matches("0x"), 16).unwrap())), "{}", j);
}

#[test]
fn iopf_top_totals() {
    let (c, out, _) = run(&["iopf", "top", "--iterations", "1"]);
    assert_eq!(c, 0);
    assert_eq!(
        out,
        "iopf top: iteration 1 (5 keys)\n\
SCOPE    KEY           FAULTS/S  FAULTS  READ  WRITE  EXEC  ACCEPTED  REFUSED  HANDLED  FAILED  REPORT_NS\n\
device   0000:00:01.0  -         17      9     8      0     0         17       0        17      2852113\n\
process  -             -         17      9     8      0     0         17       0        17      2852113\n\
pasid    7             -         10      5     5      0     0         10       0        10      1657515\n\
pasid    5             -         4       2     2      0     0         4        0        4       264686\n\
pasid    none          -         3       2     1      0     0         3        0        3       929912\n"
    );
    // Two iterations over unchanged counters: rate 0.0 everywhere.
    let (c, j, _) = run(&[
        "--json",
        "iopf",
        "top",
        "--iterations",
        "2",
        "--interval",
        "0.05",
    ]);
    assert_eq!(c, 0);
    let l: Vec<&str> = j.lines().collect();
    assert_eq!(l.len(), 2);
    assert!(l[0].starts_with("{\"iteration\":1,\"interval_s\":null,\"keys\":[{\"scope\":\"device\",\"key\":\"0000:00:01.0\",\"counters\":{\"faults\":17,\"read\":9,\"write\":8,\"exec\":0,\"accepted\":0,\"refused\":17,\"handled\":0,\"failed\":17,\"report_ns\":2852113},\"faults_per_s\":null}"), "{}", l[0]);
    assert_eq!(l[1].matches("\"faults_per_s\":0.000").count(), 5);
}

#[test]
fn diff_of_the_two_edu_dumps() {
    let facts = facts();
    let d = fixture().join("dumps");
    let a = d.join("edu_before.ptdump").display().to_string();
    let b = d.join("edu_after.ptdump").display().to_string();
    let (c, out, _) = run(&["diff", &a, &b]);
    assert_eq!(c, 0);
    assert_eq!(out, format!("+ 0x0000000010000000-0x0000000010001000     4K pa=0x{:016x} RWX user AF Normal-NC OSH - ng\n# added=4096 removed=0 changed=0 unchanged=0 (bytes)\n", u64::from_str_radix(facts["leak_pa"].trim_start_matches("0x"), 16).unwrap()));
    let (c, out, _) = run(&["diff", &b, &a]);
    assert_eq!(c, 0);
    assert!(out.starts_with("- 0x0000000010000000-0x0000000010001000     4K pa="));
    let (c, j, _) = run(&["--json", "diff", &b, &b]);
    assert_eq!(c, 0);
    assert_eq!(j, format!("{{\"type\":\"summary\",\"a\":\"{}\",\"b\":\"{}\",\"added_bytes\":0,\"removed_bytes\":0,\"changed_bytes\":0,\"unchanged_bytes\":4096}}\n", b, b));
    // JSON is streamed: one change object per line, then the summary;
    // the sides carry no `leaves` (a cut may split a leaf).
    let (c, j, _) = run(&["--json", "diff", &a, &b]);
    assert_eq!(c, 0);
    let lines: Vec<&str> = j.lines().collect();
    assert_eq!(lines.len(), 2, "{}", j);
    let want = format!("{{\"type\":\"change\",\"change\":\"added\",\"iova\":\"0x0000000010000000\",\"end\":\"0x0000000010001000\",\"size\":4096,\"a\":null,\"b\":{{\"type\":\"run\",\"iova\":\"0x0000000010000000\",\"end\":\"0x0000000010001000\",\"size\":4096,\"pa\":\"0x{:016x}\",\"level\":3,\"kind\":\"page\",\"perms\":\"RWX\",\"attrs\":[\"user\",\"AF\",\"Normal-NC\",\"OSH\",\"-\",\"ng\"]}}}}", u64::from_str_radix(facts["leak_pa"].trim_start_matches("0x"), 16).unwrap());
    assert_eq!(lines[0], want);
    assert!(lines[1].starts_with("{\"type\":\"summary\","), "{}", j);
    assert!(
        lines[1].ends_with(
            ",\"added_bytes\":4096,\"removed_bytes\":0,\"changed_bytes\":0,\"unchanged_bytes\":0}"
        ),
        "{}",
        j
    );
    // A raw dump is refused with its line number, as a request error.
    let raw = fixture()
        .join("debugfs/io_page_tables")
        .join(dom("0000:00:02.0"))
        .join("ptdump_raw")
        .display()
        .to_string();
    let (c, _, err) = run(&["diff", &a, &raw]);
    assert_eq!(c, 1);
    assert!(err.contains("ptdump_raw:2: a ptdump_raw line"), "{}", err);
}

/// Writes `text` to a per-test temporary file and returns its path.
fn temp_file(name: &str, text: &str) -> String {
    let dir = scratch("files");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn diff_of_dumps_covering_the_whole_address_space() {
    // Two runs of 2^63 bytes each: the totals reach 2^64 (no overflow,
    // no wrap to 0) and the pieces are not joined into a 2^64-byte run.
    let h = "# domain_0000000000000001 stage 1 granule 4K levels 4 ias 48 oas 44\n";
    let a = temp_file(
        "whole_a",
        &format!("{}0x0000000000000000-0x8000000000000000  8192P pa=0x0000000000000000 L1 block  RW- a\n0x8000000000000000-0x0000000000000000  8192P pa=0x8000000000000000 L1 block  RW- a\n", h),
    );
    let b = temp_file("whole_b", h);
    let (c, out, err) = run(&["diff", &a, &b]);
    assert_eq!(c, 0, "{}", err);
    assert_eq!(out, "- 0x0000000000000000-0x8000000000000000  8192P pa=0x0000000000000000 RW- a\n- 0x8000000000000000-0x0000000000000000  8192P pa=0x8000000000000000 RW- a\n# added=0 removed=18446744073709551616 changed=0 unchanged=0 (bytes)\n");
    let (c, out, _) = run(&["--json", "diff", &a, &a]);
    assert_eq!(c, 0);
    assert!(out.ends_with(",\"added_bytes\":0,\"removed_bytes\":0,\"changed_bytes\":0,\"unchanged_bytes\":18446744073709551616}\n"), "{}", out);
}

#[test]
fn diff_refuses_what_is_not_a_dump() {
    let h = "# domain_0000000000000001 stage 1 granule 4K levels 4 ias 48 oas 44\n";
    let good = temp_file("good", h);
    let comments = temp_file("comments", "# just a comment\n# another\n");
    let sva = temp_file(
        "sva",
        "# SVA domain: translations are the process's CPU page table\n",
    );
    for bad in ["/dev/null", comments.as_str(), sva.as_str()] {
        let (c, out, err) = run(&["diff", &good, bad]);
        assert_eq!((c, out.as_str()), (1, ""), "{}", bad);
        assert_eq!(err, format!("iommu-scope: {}:1: not a decoded dump: the first line is not the \"# domain_<id> ...\" header the module's ptdump starts with\n", bad));
    }
}

#[test]
fn export_prometheus_file() {
    let dir = scratch("test");
    std::fs::create_dir_all(&dir).unwrap();
    let (c, out, err) = run(&["export", "--prometheus", dir.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", err);
    assert_eq!(
        out,
        format!("wrote {}/iommu_scope.prom (69 samples)\n", dir.display())
    );
    let text = std::fs::read_to_string(dir.join("iommu_scope.prom")).unwrap();
    for want in [
        "# TYPE iommu_scope_mapped_pages gauge\niommu_scope_mapped_pages 50\n",
        "iommu_scope_mapped_bytes 208896\n",
        "# TYPE iommu_scope_leaks_found_total counter\niommu_scope_leaks_found_total 1\n",
        "# TYPE iommu_scope_leaks_unconfirmed gauge\niommu_scope_leaks_unconfirmed 0\n",
        "iommu_scope_smmu_events_total 10\n",
        "iommu_scope_iopf_faults_total{scope=\"device\",key=\"0000:00:01.0\"} 17\n",
        "iommu_scope_iopf_faults_total{scope=\"pasid\",key=\"7\"} 10\n",
        "iommu_scope_iopf_faults_total{scope=\"pasid\",key=\"none\"} 3\n",
        "iommu_scope_iopf_faults_total{scope=\"process\",key=\"-\"} 17\n",
        "iommu_scope_iopf_read_faults_total{scope=\"pasid\",key=\"5\"} 2\n",
        "iommu_scope_domains 5\n",
    ] {
        assert!(text.contains(want), "missing {:?}", want);
    }
    assert!(!text.contains("_seen_total"));
    // Every family has HELP then TYPE; every sample line is valid.
    check_exposition(&text);
    // With an interval, the events seen are counted by type.
    let (c, _, err) = run(&[
        "export",
        "--prometheus",
        dir.to_str().unwrap(),
        "--interval",
        "0.01",
        "--iterations",
        "1",
    ]);
    assert_eq!(c, 0, "{}", err);
    let text = std::fs::read_to_string(dir.join("iommu_scope.prom")).unwrap();
    assert!(text.contains("iommu_scope_smmu_events_seen_total{smmu=\"9050000.smmuv3\",client=\"0000:00:01.0\",event=\"F_TRANSLATION\"} 10\n"));
    assert!(text.contains("iommu_scope_iopf_events_seen_total{device=\"0000:00:01.0\"} 4\n"));
    check_exposition(&text);
    // No temporary file is left.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("iommu_scope.prom")]);
    std::fs::remove_dir_all(&dir).unwrap();
    let (c, _, _) = run(&["export", "--prometheus", "/nonexistent/dir"]);
    assert_eq!(c, 1);
}

/// Checks the text exposition format: each family `# HELP name text`,
/// `# TYPE name counter|gauge`, then samples of that name.
fn check_exposition(text: &str) {
    let mut current = String::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        if l.starts_with("# iommu-scope: ") {
            continue;
        }
        if let Some(r) = l.strip_prefix("# HELP ") {
            let name = r.split(' ').next().unwrap();
            let t = lines.next().unwrap();
            assert!(
                t == format!("# TYPE {} counter", name) || t == format!("# TYPE {} gauge", name),
                "{}",
                t
            );
            current = name.to_string();
            continue;
        }
        let (series, value) = l.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{}", l);
        let name = series.split('{').next().unwrap();
        assert_eq!(name, current, "{}", l);
        assert!(iommu_scope::prom::valid_metric_name(name));
        if name.ends_with("_total") {
            assert!(text.contains(&format!("# TYPE {} counter", name)));
        }
    }
}

#[test]
fn export_writes_up_0_when_the_module_cannot_be_read() {
    let dir = scratch("down");
    let empty = scratch("down-debugfs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    let prom = dir.join("iommu_scope.prom");
    std::fs::write(&prom, "iommu_scope_up 1\n").unwrap();
    let why = format!("the iommu_scope module is not loaded (no {}/io_page_tables): load it with \"modprobe iommu_scope\" (or insmod iommu_scope.ko)", empty.display());
    let want = format!("# HELP iommu_scope_up 1 when the iommu_scope module's files were read, 0 when they could not be (the reason is the comment line after it)\n# TYPE iommu_scope_up gauge\niommu_scope_up 0\n# iommu-scope: {}\n", why);
    // Once (cron): the stale "up 1" file is replaced, the status is 3.
    let a = |extra: &[&str]| {
        let mut a = vec![
            "--debugfs".to_string(),
            empty.display().to_string(),
            "--tracefs".into(),
            fixture().join("tracefs").display().to_string(),
            "export".into(),
            "--prometheus".into(),
            dir.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let (c, out, err) = run_raw(&a(&[]));
    assert_eq!(c, 3);
    assert_eq!(
        out,
        format!(
            "wrote {} (1 samples; iommu_scope_up 0: {})\n",
            prom.display(),
            why
        )
    );
    assert_eq!(err, format!("iommu-scope: {}\n", why));
    let text = std::fs::read_to_string(&prom).unwrap();
    assert_eq!(text, want);
    check_exposition(&text);
    // With an interval the exporter keeps going, writing "up 0" each time.
    std::fs::write(&prom, "iommu_scope_up 1\n").unwrap();
    let (c, out, err) = run_raw(&a(&["--json", "--interval", "0.01", "--iterations", "2"]));
    assert_eq!((c, err.as_str()), (0, ""));
    let line = |i: u32| {
        format!("{{\"file\":\"{}\",\"families\":1,\"samples\":1,\"iteration\":{},\"up\":0,\"error\":\"{}\"}}\n", prom.display(), i, why.replace('"', "\\\""))
    };
    assert_eq!(out, format!("{}{}", line(1), line(2)));
    assert_eq!(std::fs::read_to_string(&prom).unwrap(), want);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&empty).unwrap();
}

extern "C" {
    fn umask(mask: u32) -> u32;
}

#[test]
fn export_temporary_file_is_safe() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("tmpsafe");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A victim file and a link planted where a predictable temporary name
    // would be (the pid is this process's: the CLI runs in it).
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let planted = dir.join(format!(".iommu_scope.prom.{}.tmp", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    // SAFETY: umask only changes the process's file creation mask.
    let old = unsafe { umask(0o077) };
    let (c, _, err) = run(&["export", "--prometheus", dir.to_str().unwrap()]);
    unsafe { umask(old) };
    assert_eq!(c, 0, "{}", err);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let mode = std::fs::metadata(dir.join("iommu_scope.prom"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut want = vec![
        "iommu_scope.prom".to_string(),
        "victim".to_string(),
        planted.file_name().unwrap().to_str().unwrap().to_string(),
    ];
    want.sort();
    assert_eq!(left, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn environment_errors() {
    // debugfs without the module's directory: module not loaded.
    let empty = scratch("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for cmd in [
        &["status"][..],
        &["domains"],
        &["leaks"],
        &["ptdump", "nvme0"],
        &["who-maps", "0x1000"],
        &["iopf", "top", "--iterations", "1"],
        &["streams"],
        &["who-translates", "0x8"],
    ] {
        let mut a = vec!["--debugfs".to_string(), empty.display().to_string()];
        a.extend(cmd.iter().map(|s| s.to_string()));
        let (c, out, err) = run_raw(&a);
        assert_eq!(c, 3, "{:?}", cmd);
        assert_eq!(out, "");
        assert_eq!(err, format!("iommu-scope: the iommu_scope module is not loaded (no {}/io_page_tables): load it with \"modprobe iommu_scope\" (or insmod iommu_scope.ko)\n", empty.display()));
    }
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn usage_errors() {
    for a in [
        &[][..],
        &["bogus"],
        &["status", "extra"],
        &["ptdump"],
        &["events", "--count", "x"],
        &["events", "--timeout", "-1"],
        &["status", "--raw"],
        &["iopf"],
        &["export"],
        &["--frob", "status"],
        &["diff", "a"],
        &["--json=no", "status"],
        &["--json=", "status"],
        &["ptdump", "--raw=x", "nvme0"],
        &["--help=1"],
        &["iopf", "top", "--interval", "0"],
        &["export", "--prometheus", "/tmp", "--interval", "0.001"],
        &["events", "--type", "F_TRANSLATOIN"],
        &["events", "--type", "0x100"],
        &["events", "--type", ""],
        &["streams", "a", "b"],
        &["streams", "--smmu", "9050000.smmuv3"],
        &["who-translates"],
        &["who-translates", "1", "2"],
        &["who-translates", "0x8", "--smmu"],
        &["who-translates", "0x8", "--raw"],
    ] {
        let (c, out, err) = run(a);
        assert_eq!(c, 2, "{:?}", a);
        assert_eq!(out, "");
        assert!(
            err.starts_with("iommu-scope: ")
                && err.trim_end().ends_with("(see iommu-scope --help)"),
            "{}",
            err
        );
    }
    let (c, out, _) = run(&["--help"]);
    assert_eq!(c, 0);
    assert!(out.starts_with("usage: iommu-scope "));
    // Every event type the module names, any case, and ids are accepted.
    for t in [
        "f_translation",
        "C_BAD_STE",
        "0x10",
        "0x5",
        "iopf",
        "overflow",
        "evtq",
    ] {
        let (c, _, err) = run(&["events", "--type", t, "--count", "1"]);
        assert_eq!(c, 0, "{} {}", t, err);
    }
    // A non-UTF-8 argument is a usage error, not a panic.
    use std::os::unix::ffi::OsStringExt;
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_iommu-scope"))
        .arg(std::ffi::OsString::from_vec(vec![0xff, b'x']))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "iommu-scope: argument \"\\xFFx\" is not UTF-8 (see iommu-scope --help)\n"
    );
}

#[test]
fn event_names_are_the_modules() {
    let names: Vec<&str> = scope_pure::evtq::TYPES.iter().map(|t| t.name).collect();
    assert_eq!(&iommu_scope::cli::EVENT_NAMES[..names.len()], &names[..]);
    assert_eq!(
        &iommu_scope::cli::EVENT_NAMES[names.len()..],
        &["IMPDEF", "UNKNOWN"]
    );
}

#[test]
fn prometheus_floats() {
    use iommu_scope::prom::float_text;
    assert_eq!(float_text(f64::INFINITY), "+Inf");
    assert_eq!(float_text(f64::NEG_INFINITY), "-Inf");
    assert_eq!(float_text(f64::NAN), "NaN");
    assert_eq!(float_text(0.5), "0.5");
}

#[test]
fn pasid_only_attachments_in_several_domains_are_not_guessed() {
    let root = scratch("pasid");
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&fixture().join("debugfs"), &root);
    let iopt = root.join("io_page_tables");
    let (virtio, other) = (dom("0000:00:03.0"), dom("0000:00:04.0"));
    std::fs::write(
        iopt.join(&virtio).join("devices"),
        "0000:00:07.0 group=7 sid=0x38 pasid=1\n",
    )
    .unwrap();
    std::fs::write(
        iopt.join(&other).join("devices"),
        "0000:00:07.0 group=7 sid=0x38 pasid=2\n",
    )
    .unwrap();
    let a = vec![
        "--debugfs".to_string(),
        root.display().to_string(),
        "--sysfs".into(),
        sysfs().display().to_string(),
        "ptdump".into(),
        "00:07.0".into(),
    ];
    let (c, out, err) = run_raw(&a);
    assert_eq!((c, out.as_str()), (1, ""));
    // The candidates in directory name order.
    let mut both = [virtio.as_str(), other.as_str()];
    both.sort();
    assert_eq!(err, format!("iommu-scope: device 0000:00:07.0 has no RID domain and PASID attachments in 2 domains: name one ({}, {})\n", both[0], both[1]));
    // One PASID domain alone is the device's.
    std::fs::write(
        iopt.join(&other).join("devices"),
        "0000:00:03.0 group=3 sid=0x18 pasid=none\n",
    )
    .unwrap();
    let (c, out, _) = run_raw(&a);
    assert_eq!(c, 0);
    assert!(out.starts_with(&format!("# {} ", virtio)), "{}", out);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn malformed_module_text_is_an_error_with_its_line() {
    // A copy of the fixture tree with one line of the accounting file cut.
    let dir = scratch("bad");
    let iopt = dir.join("io_page_tables");
    std::fs::create_dir_all(&iopt).unwrap();
    let src = fixture().join("debugfs/io_page_tables");
    std::fs::copy(src.join("status"), iopt.join("status")).unwrap();
    let acc = std::fs::read_to_string(src.join("accounting")).unwrap();
    std::fs::write(iopt.join("accounting"), acc.replacen("refs 51", "refs", 1)).unwrap();
    let (c, _, err) = run_raw(&[
        "--debugfs".into(),
        dir.display().to_string(),
        "export".into(),
        "--prometheus".into(),
        dir.display().to_string(),
    ]);
    assert_eq!(c, 3);
    assert_eq!(
        err,
        format!(
            "iommu-scope: {}/accounting:5: expected \"<name> <value>\"\n",
            iopt.display()
        )
    );
    std::fs::write(
        iopt.join("status"),
        "module: iommu_scope\nprobe x: active\n",
    )
    .unwrap();
    let (c, _, err) = run_raw(&[
        "--debugfs".into(),
        dir.display().to_string(),
        "status".into(),
    ]);
    assert_eq!(c, 3);
    assert!(
        err.ends_with("/status:2: a probe line before any feature line\n"),
        "{}",
        err
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn binary_exit_statuses() {
    let bin = env!("CARGO_BIN_EXE_iommu-scope");
    let f = fixture();
    let o = std::process::Command::new(bin)
        .args([
            "--debugfs",
            f.join("debugfs").to_str().unwrap(),
            "--json",
            "status",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.starts_with(b"{\"module\":\"iommu_scope\""));
    let o = std::process::Command::new(bin)
        .arg("nonsense")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = std::process::Command::new(bin)
        .args(["--debugfs", "/nonexistent", "status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
    fn mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
}

/// `events` on a tracefs whose `trace_pipe` is a FIFO this test writes:
/// the command runs until a signal, as on a live system.
fn events_on_a_fifo(
    tag: &str,
    stdout: std::process::Stdio,
) -> (std::process::Child, std::fs::File, PathBuf) {
    let root = scratch(&format!("fifo-{}", tag));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let pipe = root.join("trace_pipe");
    let c = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { mkfifo(c.as_ptr(), 0o600) }, 0);
    // Opened read-write first (does not wait for a reader): the command
    // then never sees a FIFO without a writer, which reads as its end.
    let w = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&pipe)
        .unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_iommu-scope"))
        .args(["--tracefs", root.to_str().unwrap(), "events"])
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    (child, w, root)
}

/// Waits up to 5 s for `child`; its exit code (None: killed by a signal).
fn wait_briefly(child: &mut std::process::Child) -> Option<i32> {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.code();
        }
        if t0.elapsed() > std::time::Duration::from_secs(5) {
            let _ = child.kill();
            panic!("still running 5 s after the signal");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn events_ends_cleanly_on_every_stop_signal() {
    use std::io::Write;
    let line = std::fs::read_to_string(fixture().join("tracefs/trace_pipe")).unwrap();
    let first = line.lines().next().unwrap().to_string();
    for (sig, name) in [(1, "hup"), (2, "int"), (3, "quit"), (15, "term")] {
        let (mut child, mut w, root) = events_on_a_fifo(name, std::process::Stdio::piped());
        writeln!(w, "{}", first).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        // SAFETY: signals the child this test started.
        assert_eq!(unsafe { kill(child.id() as i32, sig) }, 0);
        assert_eq!(wait_briefly(&mut child), Some(0), "signal {}", sig);
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            String::from_utf8(o.stdout).unwrap().lines().count(),
            1,
            "signal {}",
            sig
        );
        drop(w);
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn events_stops_on_sigint_while_its_reader_does_not_read() {
    use std::io::Write;
    let text = std::fs::read_to_string(fixture().join("tracefs/trace_pipe")).unwrap();
    let first = text.lines().next().unwrap().to_string();
    let (mut child, mut w, root) = events_on_a_fifo("stuck", std::process::Stdio::piped());
    // Far more than a pipe holds (64 KiB), never read: the command blocks
    // writing its output.
    let _out = child.stdout.take().unwrap();
    let mut chunk = String::new();
    for _ in 0..2000 {
        chunk.push_str(&first);
        chunk.push('\n');
    }
    // From a thread: the FIFO fills too once the command stops reading.
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(chunk.as_bytes());
        w
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none());
    // SAFETY: signals the child this test started.
    assert_eq!(unsafe { kill(child.id() as i32, 2) }, 0);
    assert_eq!(wait_briefly(&mut child), Some(0));
    // The writer thread may stay blocked on the full FIFO (this process
    // holds its read side too); it ends with the test process.
    drop(writer);
    std::fs::remove_dir_all(&root).unwrap();
}

/// A kernel with CONFIG_NVME_MULTIPATH (Debian's): the namespace's block
/// device `nvme0n1` is a multipath head under the virtual nvme-subsystem
/// device, its path device `nvme0c0n1` under the controller (the layout
/// read off Debian's 7.3.4+deb13-arm64 kernel in the guest); a dm device
/// stacked on it reaches the controller through `slaves/`; a head with
/// paths through two controllers is ambiguous.
#[test]
fn ptdump_of_a_multipath_nvme_namespace() {
    const PCI: &str = "devices/platform/4010000000.pcie/pci0000:00";
    let captured = std::fs::read_to_string(fixture().join("sysfs.txt")).unwrap();
    let mut text: String = captured
        .lines()
        .filter(|l| !l.contains("nvme0n1"))
        .map(|l| format!("{}\n", l))
        .collect();
    text += &format!(
        "dir {PCI}/0000:00:02.0/nvme/nvme0/nvme0c0n1\n\
         link class/block/nvme0c0n1 ../../{PCI}/0000:00:02.0/nvme/nvme0/nvme0c0n1\n\
         dir devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1\n\
         link class/block/nvme0n1 ../../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1\n\
         link devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/multipath/nvme0c0n1 ../../../../../../{PCI}/0000:00:02.0/nvme/nvme0/nvme0c0n1\n\
         dir devices/virtual/block/dm-0\n\
         link class/block/dm-0 ../../devices/virtual/block/dm-0\n\
         link devices/virtual/block/dm-0/slaves/nvme0n1 ../../../nvme-subsystem/nvme-subsys0/nvme0n1\n\
         dir devices/virtual/block/dm-1\n\
         link class/block/dm-1 ../../devices/virtual/block/dm-1\n\
         link devices/virtual/block/dm-1/slaves/nvme0n1 ../../../nvme-subsystem/nvme-subsys0/nvme0n1\n\
         link devices/virtual/block/dm-1/slaves/vda ../../../../../{PCI}/0000:00:03.0/virtio0/block/vda\n"
    );
    let root = sysfs_tree("sysfs-multipath", &text);
    let f = fixture();
    let run_cmd = |cmd: &str, target: &str| {
        run_raw(&[
            "--debugfs".into(),
            f.join("debugfs").display().to_string(),
            "--tracefs".into(),
            f.join("tracefs").display().to_string(),
            "--sysfs".into(),
            root.display().to_string(),
            cmd.into(),
            target.into(),
        ])
    };
    let run_mp = |target: &str| run_cmd("ptdump", target);
    let dump = std::fs::read_to_string(
        fixture()
            .join("debugfs/io_page_tables")
            .join(dom("0000:00:02.0"))
            .join("ptdump"),
    )
    .unwrap();
    for target in ["nvme0n1", "nvme0c0n1", "dm-0"] {
        let (c, out, err) = run_mp(target);
        assert_eq!((c, err.as_str()), (0, ""), "{}", target);
        assert_eq!(out, dump, "{}", target);
    }
    // `streams` resolves the same names: the controller's stream IDs.
    let (c, nvme_streams, err) = run(&["streams", "0000:00:02.0"]);
    assert_eq!((c, err.as_str()), (0, ""));
    assert!(nvme_streams.lines().count() >= 2, "{}", nvme_streams);
    for target in ["nvme0n1", "dm-0"] {
        let (c, out, err) = run_cmd("streams", target);
        assert_eq!((c, err.as_str()), (0, ""), "streams {}", target);
        assert_eq!(out, nvme_streams, "streams {}", target);
    }
    // Over two devices, `streams` shows both (rows of either).
    let (c, out, _) = run_cmd("streams", "dm-1");
    assert_eq!(c, 0);
    let (_, vda_streams, _) = run(&["streams", "0000:00:03.0"]);
    for l in nvme_streams
        .lines()
        .skip(1)
        .chain(vda_streams.lines().skip(1))
    {
        assert!(out.lines().any(|o| o == l), "{} not in {}", l, out);
    }
    let (c, out, err) = run_mp("dm-1");
    assert_eq!((c, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "iommu-scope: dm-1 is backed by several devices (0000:00:02.0, 0000:00:03.0): name one\n"
    );
}

/// The stream-ID facts: (device, stream ID computed by the guest from the
/// PCI name, its domain from `dom_of`), sorted by stream ID.
fn stream_facts() -> Vec<(String, u32, String)> {
    let f = facts();
    let mut v: Vec<(String, u32, String)> = f
        .iter()
        .filter_map(|(k, sid)| {
            let dev = k.strip_prefix("sid_")?;
            Some((
                dev.to_string(),
                sid.parse().unwrap(),
                f[&format!("domain_{}", dev)].clone(),
            ))
        })
        .collect();
    v.sort_by_key(|x| x.1);
    v
}

const SMMU: &str = "9050000.smmuv3";

#[test]
fn streams_rows_are_the_devices_requester_ids_and_domains() {
    let devs = stream_facts();
    assert_eq!(devs.len(), 5);
    let (c, out, err) = run(&["streams"]);
    assert_eq!(c, 0, "{}", err);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["SMMU", "SID", "DEVICE", "CONFIG", "CDTABLE", "SSID", "ASID", "VMID", "TABLE", "DOMAIN"]
    );
    // One row per device (one CD each), in stream ID order.
    assert_eq!(lines.len(), devs.len() + 1, "{}", out);
    for ((dev, sid, dom), l) in devs.iter().zip(&lines[1..]) {
        let c: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(c.len(), 10, "{}", l);
        assert_eq!(
            (c[0], c[1], c[2], c[3], c[4], c[5], c[7], c[9]),
            (
                SMMU,
                format!("0x{:x}", sid).as_str(),
                dev.as_str(),
                "s1",
                "single/1",
                "0",
                "-",
                dom.as_str()
            ),
            "{}",
            l
        );
        assert!(
            c[6].starts_with("0x") && c[8].len() == 18 && c[8].starts_with("0x"),
            "{}",
            l
        );
    }
    // The ASIDs are distinct, the CD tables too.
    let mut asids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(6).unwrap())
        .collect();
    asids.sort();
    asids.dedup();
    assert_eq!(asids.len(), devs.len());
    let (c, j, _) = run(&["--json", "streams"]);
    assert_eq!(c, 0);
    assert!(j.starts_with(&format!("{{\"smmus\":[{{\"smmu\":\"{}\",\"sids_in_use\":5,\"cds\":5,\"truncated\":null,\"error\":null,\"streams\":[{{\"sid\":", SMMU)), "{}", j);
    assert_eq!(j.matches("\"config\":\"s1\"").count(), devs.len());
    for (dev, sid, dom) in &devs {
        let i = j.find(&format!("{{\"sid\":{},\"device\":\"{}\",\"config\":\"s1\",\"torn\":false,\"cfg\":null,\"cd_table\":{{\"address\":\"0x", sid, dev)).unwrap();
        let obj = &j[i..];
        let obj = &obj[..obj.find("\"notes\":[]}").unwrap()];
        assert!(obj.contains(",\"format\":\"single\",\"s1cdmax\":0,\"substreams\":1,\"s1dss\":\"ssid0\",\"s1stalld\":false},\"stage2\":null,\"eats\":\"abort\",\"strw\":\"nsel1\",\"stall\":false,\"ats\":false,\"pri\":false,"), "{}", obj);
        assert!(obj.contains(&format!("\"owner\":\"domain\",\"domain\":\"{}\",\"mm\":null,\"cds\":[{{\"ssid\":0,\"asid\":", dom)), "{}", obj);
        assert!(obj.contains(",\"granule\":\"4K\",\"ips\":44,\"epd0\":false,\"epd1\":true,\"ha\":false,\"hd\":false,\"haft\":false,\"stall\":false,\"record\":true,\"abort\":true,\"aset\":true,\"mair\":\"0x"), "{}", obj);
        assert!(
            obj.ends_with(&format!(
                "\"owner\":\"domain\",\"domain\":\"{}\",\"mm\":null}}],",
                dom
            )),
            "{}",
            obj
        );
    }
}

/// The raw STE and CD words of `sid` in a tree's `streams_raw`.
fn raw_words(tree: &str, sid: u32) -> (Vec<u64>, Vec<u64>) {
    let t = std::fs::read_to_string(
        fixture()
            .join(tree)
            .join("io_page_tables/smmu_9050000.smmuv3/streams_raw"),
    )
    .unwrap();
    let words = |s: &str| {
        s.split(':')
            .map(|w| u64::from_str_radix(w, 16).unwrap())
            .collect::<Vec<u64>>()
    };
    let mut it = t
        .lines()
        .skip_while(|l| !l.starts_with(&format!("sid=0x{:x} ", sid)));
    let ste = words(it.next().unwrap().rsplit("ste=").next().unwrap());
    let cd = it
        .next()
        .filter(|l| l.starts_with("  ssid=0 cd="))
        .map_or(Vec::new(), |l| words(l.rsplit("cd=").next().unwrap()));
    (ste, cd)
}

#[test]
fn streams_of_one_smmu_or_device() {
    let devs = stream_facts();
    let sid_of = |d: &str| devs.iter().find(|x| x.0 == d).unwrap().1;
    // A PCI name (both spellings), a class device, a driver: that
    // device's row alone.
    for (t, dev) in [
        ("0000:00:02.0", "0000:00:02.0"),
        ("00:02.0", "0000:00:02.0"),
        ("nvme0", "0000:00:02.0"),
        ("nvme0n1", "0000:00:02.0"),
        ("nvme", "0000:00:02.0"),
        ("vda", "0000:00:03.0"),
        ("edu_dma", "0000:00:01.0"),
    ] {
        let (c, out, err) = run(&["streams", t]);
        assert_eq!(c, 0, "{} {}", t, err);
        let l: Vec<&str> = out.lines().collect();
        assert_eq!(l.len(), 2, "{}: {}", t, out);
        assert!(
            l[1].starts_with(&format!("{}  0x{:x}  {}  s1 ", SMMU, sid_of(dev), dev)),
            "{}: {}",
            t,
            out
        );
    }
    for t in [SMMU, "smmu_9050000.smmuv3"] {
        let (c, out, _) = run(&["streams", t]);
        assert_eq!((c, out.lines().count()), (0, devs.len() + 1), "{}", t);
    }
    let (c, j, _) = run(&["--json", "streams", "00:01.0"]);
    assert_eq!(c, 0);
    assert_eq!(j.matches("{\"sid\":").count(), 1);
    assert!(j.contains(&format!("\"sids_in_use\":5,\"cds\":5,\"truncated\":null,\"error\":null,\"streams\":[{{\"sid\":{},\"device\":\"0000:00:01.0\",", sid_of("0000:00:01.0"))));
    let (c, out, err) = run(&["streams", "nosuch"]);
    assert_eq!((c, out.as_str()), (1, ""));
    assert!(
        err.starts_with("iommu-scope: unknown SMMU or device \"nosuch\": ")
            && err.lines().count() == 1,
        "{}",
        err
    );
    let (c, _, err) = run(&["streams", "0000:00:09.0"]);
    assert_eq!(c, 1);
    assert_eq!(err, "iommu-scope: device 0000:00:09.0 has no stream ID on any SMMUv3 the module shows (see \"iommu-scope streams\")\n");
}

#[test]
fn who_translates_edu() {
    let f = facts();
    let sid: u32 = f["sid_0000:00:01.0"].parse().unwrap();
    let edu = &f["edu_domain"];
    assert_eq!(&f["domain_0000:00:01.0"], edu);
    let (ste, cd) = raw_words("debugfs", sid);
    for s in [
        format!("0x{:x}", sid),
        sid.to_string(),
        format!("0x{:04X}", sid).replace("0X", "0x"),
    ] {
        let (c, out, err) = run(&["who-translates", &s]);
        assert_eq!(c, 0, "{} {}", s, err);
        // The table addresses from the raw words (STE word 0 bits 51:6, CD
        // word 1 bits 51:4), the granule from CD word 0's TG0 (0: 4K).
        assert_eq!(cd[0] >> 6 & 3, 0);
        assert_eq!(
            out,
            format!(
                "sid 0x{:x} smmu {} device 0000:00:01.0\n  STE: s1 (stage 1): CD table at 0x{:016x} (single, 1 substream(s), s1dss=ssid0)\n    CD ssid=0 asid=0x{:x} ttb0=0x{:016x} granule 4K\n      -> {}: type DMA, format ARM_64_LPAE_S1, granule 4K, mapped 4096 bytes (1 runs), devices 0000:00:01.0(edu_dma)\n",
                sid, SMMU, ste[0] & 0x000f_ffff_ffff_ffc0, cd[0] >> 48, cd[1] & 0x000f_ffff_ffff_fff0, edu
            ),
            "{}",
            s
        );
    }
    let (c, j, _) = run(&["--json", "--smmu", SMMU, "who-translates", &sid.to_string()]);
    assert_eq!(c, 0);
    assert!(j.starts_with(&format!("{{\"sid\":{},\"smmu\":\"{}\",\"device\":\"0000:00:01.0\",\"config\":\"s1\",\"effect\":\"translate\",\"stream\":{{\"sid\":{},", sid, SMMU, sid)), "{}", j);
    assert!(j.ends_with(&format!("\"path\":[{{\"stage\":1,\"ssid\":0,\"asid\":{},\"vmid\":null,\"table\":\"0x{:016x}\",\"granule\":\"4K\",\"owner\":\"domain\",\"domain\":\"{}\",\"mm\":null}}],\"domains\":[{{\"id\":\"{}\",\"driver\":\"arm-smmu-v3\",\"type\":\"DMA\",\"smmu\":\"{}\",\"format\":\"ARM_64_LPAE_S1\",\"granule\":\"4K\",\"ias\":48,\"oas\":44,\"devices\":[{{\"name\":\"0000:00:01.0\",\"driver\":\"edu_dma\",\"group\":1,\"sids\":[{}],\"pasid\":null}}],\"mapped_bytes\":4096,\"runs\":1,\"leaves\":1,\"consistent\":true}}]}}\n", cd[0] >> 48, cd[1] & 0x000f_ffff_ffff_fff0, edu, edu, SMMU, sid)), "{}", j);
}

#[test]
fn who_translates_a_stage_2_stream() {
    let f = facts();
    let sid: u32 = f["sid_0000:00:01.0"].parse().unwrap();
    let s2 = &f["s2_domain"];
    let (ste, cd) = raw_words("debugfs_s2", sid);
    assert!(cd.is_empty());
    // The stage-2 tree was captured after edu_dma was unloaded: the
    // sysfs of the first tree would still show it bound, so none is used.
    let nosys = scratch("nosysfs");
    std::fs::create_dir_all(&nosys).unwrap();
    let args = |json: bool| {
        let mut a = vec![
            "--debugfs".to_string(),
            fixture().join("debugfs_s2").display().to_string(),
            "--sysfs".into(),
            nosys.display().to_string(),
        ];
        if json {
            a.push("--json".into());
        }
        a.extend(["who-translates".to_string(), format!("0x{:x}", sid)]);
        a
    };
    let (c, out, err) = run_raw(&args(false));
    assert_eq!(c, 0, "{}", err);
    // VMID: STE word 2 bits 15:0; VTTBR: word 3 bits 51:4; the granule
    // from VTCR.TG0 (word 2 bits 47:46; 0: 4K); Config (word 0 bits 3:1) 0b110.
    assert_eq!((ste[0] >> 1 & 7, ste[2] >> 46 & 3), (0b110, 0));
    assert_eq!(
        out,
        format!(
            "sid 0x{:x} smmu {} device 0000:00:01.0\n  STE: s2 (stage 2): vmid 0x{:x}, vttbr 0x{:016x}, granule 4K\n    stage 2 vttbr=0x{:016x} granule 4K\n      -> {}: type unmanaged, format ARM_64_LPAE_S2, granule 4K, mapped 4096 bytes (1 runs), devices 0000:00:01.0\n",
            sid, SMMU, ste[2] & 0xffff, ste[3] & 0x000f_ffff_ffff_fff0, ste[3] & 0x000f_ffff_ffff_fff0, s2
        )
    );
    let (c, j, _) = run_raw(&args(true));
    assert_eq!(c, 0);
    assert!(j.contains(&format!("\"config\":\"s2\",\"torn\":false,\"cfg\":null,\"cd_table\":null,\"stage2\":{{\"vmid\":{},\"vttbr\":\"0x{:016x}\",", ste[2] & 0xffff, ste[3] & 0x000f_ffff_ffff_fff0)), "{}", j);
    assert!(j.contains(&format!("\"path\":[{{\"stage\":2,\"ssid\":null,\"asid\":null,\"vmid\":{},\"table\":\"0x{:016x}\",\"granule\":\"4K\",\"owner\":\"domain\",\"domain\":\"{}\",\"mm\":null}}],\"domains\":[{{\"id\":\"{}\",", ste[2] & 0xffff, ste[3] & 0x000f_ffff_ffff_fff0, s2, s2)), "{}", j);
    // streams shows the VMID and VTTBR in edu's row.
    let mut a = args(false);
    a.truncate(4);
    a.extend(["streams".to_string(), "0000:00:01.0".to_string()]);
    let (c, out, _) = run_raw(&a);
    assert_eq!(c, 0);
    assert_eq!(
        out.lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            SMMU.to_string(),
            format!("0x{:x}", sid),
            "0000:00:01.0".into(),
            "s2".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            format!("0x{:x}", ste[2] & 0xffff),
            format!("0x{:016x}", ste[3] & 0x000f_ffff_ffff_fff0),
            s2.clone()
        ]
    );
}

#[test]
fn who_translates_errors() {
    for (a, want) in [
        (&["who-translates", "0xfff0"][..], "iommu-scope: stream ID 0xfff0 is not in use on any SMMUv3 (see \"iommu-scope streams\")\n"),
        (&["who-translates", "0xfff0", "--smmu", SMMU], "iommu-scope: stream ID 0xfff0 is not in use on SMMU 9050000.smmuv3 (see \"iommu-scope streams\")\n"),
        (&["who-translates", "0x1zz"], "iommu-scope: bad stream ID \"0x1zz\": give 0x<hex> or decimal digits, below 2^32\n"),
        (&["who-translates", "4294967296"], "iommu-scope: bad stream ID \"4294967296\": give 0x<hex> or decimal digits, below 2^32\n"),
        (&["who-translates", "-1"], "iommu-scope: bad stream ID \"-1\": give 0x<hex> or decimal digits, below 2^32\n"),
        (&["who-translates", "0x8", "--smmu", "nosuch"], "iommu-scope: no SMMU \"nosuch\": the module shows 9050000.smmuv3\n"),
    ] {
        let (c, out, err) = run(a);
        assert_eq!((c, out.as_str(), err.as_str()), (1, "", want), "{:?}", a);
    }
}

/// A copy of the fixture's debugfs tree to change, under the scratch
/// directory `name`.
fn debugfs_copy(name: &str) -> PathBuf {
    let root = scratch(name);
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&fixture().join("debugfs"), &root);
    root
}

fn run_on(root: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let mut a = vec![
        "--debugfs".to_string(),
        root.display().to_string(),
        "--sysfs".into(),
        sysfs().display().to_string(),
    ];
    a.extend(args.iter().map(|s| s.to_string()));
    run_raw(&a)
}

#[test]
fn a_stream_id_on_two_smmus_needs_smmu() {
    // A second SMMU (a copy of the captured one's directory, renamed:
    // derived from the capture, not captured) with the same stream IDs.
    let root = debugfs_copy("two-smmus");
    let iopt = root.join("io_page_tables");
    copy_tree(
        &iopt.join("smmu_9050000.smmuv3"),
        &iopt.join("smmu_9060000.smmuv3"),
    );
    let (c, out, err) = run_on(&root, &["who-translates", "0x8"]);
    assert_eq!((c, out.as_str()), (1, ""));
    assert_eq!(err, "iommu-scope: stream ID 0x8 is in use on several SMMUs (9050000.smmuv3: 0000:00:01.0, 9060000.smmuv3: 0000:00:01.0): name one with --smmu\n");
    for s in ["9060000.smmuv3", "smmu_9060000.smmuv3"] {
        let (c, out, err) = run_on(&root, &["who-translates", "0x8", "--smmu", s]);
        assert_eq!(c, 0, "{}", err);
        assert!(
            out.starts_with("sid 0x8 smmu 9060000.smmuv3 device 0000:00:01.0\n"),
            "{}",
            out
        );
    }
    let (c, out, _) = run_on(&root, &["streams"]);
    assert_eq!((c, out.lines().count()), (0, 11));
    let (c, out, _) = run_on(&root, &["streams", "9060000.smmuv3"]);
    assert_eq!((c, out.lines().count()), (0, 6));
    assert!(out
        .lines()
        .skip(1)
        .all(|l| l.starts_with("9060000.smmuv3 ")));
    // A device's streams on both.
    let (c, out, _) = run_on(&root, &["streams", "nvme0"]);
    assert_eq!((c, out.lines().count()), (0, 3));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn streams_without_smmu_directories() {
    let root = debugfs_copy("no-smmu");
    let iopt = root.join("io_page_tables");
    std::fs::remove_dir_all(iopt.join("smmu_9050000.smmuv3")).unwrap();
    let status = std::fs::read_to_string(iopt.join("status")).unwrap();
    assert!(
        status.contains("\nfeature smmu_streams: active smmus=1\n"),
        "{}",
        status
    );
    // The feature unavailable (as the module says when it finds no SMMUv3).
    std::fs::write(
        iopt.join("status"),
        status.replace(
            "feature smmu_streams: active smmus=1",
            "feature smmu_streams: unavailable error=-19",
        ),
    )
    .unwrap();
    for cmd in [&["streams"][..], &["who-translates", "0x8"]] {
        let (c, out, err) = run_on(&root, cmd);
        assert_eq!((c, out.as_str()), (3, ""));
        assert_eq!(err, "iommu-scope: no SMMUv3 stream table to show: the module's feature smmu_streams is unavailable error=-19 (no SMMUv3 instance was found at load)\n");
    }
    // A module without the feature.
    let older: String = status
        .lines()
        .filter(|l| !l.starts_with("feature smmu_streams"))
        .map(|l| format!("{}\n", l))
        .collect();
    std::fs::write(iopt.join("status"), older).unwrap();
    let (c, _, err) = run_on(&root, &["streams"]);
    assert_eq!(c, 3);
    assert_eq!(err, "iommu-scope: this iommu_scope module has no SMMUv3 stream table view (no smmu_streams feature in its status): it is older than this CLI\n");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn malformed_streams_text_is_an_error_with_its_line() {
    let root = debugfs_copy("bad-streams");
    let f = root.join("io_page_tables/smmu_9050000.smmuv3/streams");
    let good = std::fs::read_to_string(&f).unwrap();
    for (bad, line, msg) in [
        (
            "sid=0x8 dev=x ste=s1 cdtab=0xzz domain=-\n",
            2,
            "malformed streams line (bad value in \"cdtab=0xzz\")",
        ),
        (
            "sid=0x8 dev=x ste=s1\n",
            2,
            "malformed streams line (the line does not end with domain=<domain_id|-|?>)",
        ),
        (
            "sid=8 dev=x ste=s1 domain=-\n",
            2,
            "malformed streams line (bad sid=)",
        ),
        ("  ssid=0 asid=0x1 domain=?\n", 2, ""),
    ] {
        // The bad line after the header (the last case: a CD line of the
        // first stream would be fine there; it goes before any stream).
        let text = if msg.is_empty() {
            format!("{}\n{}", bad.trim_end(), good)
        } else {
            let (head, rest) = good.split_once('\n').unwrap();
            format!("{}\n{}{}", head, bad, rest)
        };
        std::fs::write(&f, text).unwrap();
        let (c, _, err) = run_on(&root, &["streams"]);
        assert_eq!(c, 3, "{}", bad);
        let want = if msg.is_empty() {
            format!("iommu-scope: {}:1: malformed streams line (an indented line before any sid= line)\n", f.display())
        } else {
            format!("iommu-scope: {}:{}: {}\n", f.display(), line, msg)
        };
        assert_eq!(err, want);
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn unconfirmed_reports_are_said_everywhere() {
    // The captured files, changed as the module writes them after a release
    // walk was cut short: derived from the capture, not captured.
    let root = debugfs_copy("unconfirmed");
    let iopt = root.join("io_page_tables");
    let leaks = std::fs::read_to_string(iopt.join("leaks")).unwrap();
    let marked = leaks.replacen(" mapcount=1 ", " mapcount=1 unconfirmed ", 1);
    assert_ne!(marked, leaks);
    std::fs::write(
        iopt.join("leaks"),
        format!(
            "{}{}",
            marked,
            "pa=0x0000000043605000 pfn=0x43605 order=0 mapcount=1 unconfirmed freed_by=kworker/0:1[12] owners=\n"
        ),
    )
    .unwrap();
    let mut acc = std::fs::read_to_string(iopt.join("accounting")).unwrap();
    acc.push_str("release_walks_cut 1\n");
    std::fs::write(iopt.join("accounting"), acc).unwrap();

    let (c, out, err) = run_on(&root, &["leaks"]);
    assert_eq!(c, 0, "{}", err);
    let l: Vec<&str> = out.lines().collect();
    assert_eq!(
        l[0],
        "2 DMA use-after-free report(s), 2 of them unconfirmed"
    );
    assert!(l[1].ends_with("freed by insmod[77] (unconfirmed: the module's count may be stale, see release_walks_cut)"), "{}", l[1]);
    assert_eq!(
        l[3],
        "pa 0x0000000043605000 (pfn 0x43605, order 0) mapped 1 time(s), freed by kworker/0:1[12] (unconfirmed: the module's count may be stale, see release_walks_cut)"
    );
    assert_eq!(
        l[4],
        "  owners: none (unmapped since, or a count the module left)"
    );
    let (c, j, _) = run_on(&root, &["--json", "leaks"]);
    assert_eq!(c, 0);
    assert_eq!(j.matches("\"unconfirmed\":true").count(), 2);
    let dir = scratch("unconfirmed-prom");
    std::fs::create_dir_all(&dir).unwrap();
    let (c, _, err) = run_on(&root, &["export", "--prometheus", dir.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", err);
    let text = std::fs::read_to_string(dir.join("iommu_scope.prom")).unwrap();
    for want in [
        "# TYPE iommu_scope_release_walks_cut_total counter\niommu_scope_release_walks_cut_total 1\n",
        "# TYPE iommu_scope_leaks_kept gauge\niommu_scope_leaks_kept 2\n",
        "# TYPE iommu_scope_leaks_unconfirmed gauge\niommu_scope_leaks_unconfirmed 2\n",
    ] {
        assert!(text.contains(want), "missing {:?} in {}", want, text);
    }
    check_exposition(&text);
}
