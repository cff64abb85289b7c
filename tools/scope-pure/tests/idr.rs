// SPDX-License-Identifier: GPL-2.0
//! Host tests of the SMMUv3 IDR decoder and the `capabilities` text
//! (`rust/pure/idr.rs`), with registers built here from the architecture's
//! field layouts (Arm IHI 0070, SMMU_IDR0/1/3/5), bit by bit.
//!
//! Owns: these tests only. Must not: touch anything outside this file.

use scope_pure::idr::{write_caps, write_flags, Caps, FEATURES, OPTIONS};

fn caps_text(c: &Caps) -> String {
    let mut s = String::new();
    write_caps(&mut s, c).unwrap();
    s
}

fn line<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{}: ", key)))
        .unwrap_or_else(|| panic!("no {} line in\n{}", key, text))
}

#[test]
fn full_featured_smmu() {
    // IDR0: S2P, S1P, TTF=AArch64 (2), COHACC, BTM, HTTU=access+dirty (2),
    // HYP, ATS, ASID16, MSI, SEV, PRI, VMID16, CD2L, TTENDIAN=LE (2),
    // STALL_MODEL=stall-forced (2), ST_LEVEL=2lvl (1).
    let idr0 = 1
        | 1 << 1
        | 2 << 2
        | 1 << 4
        | 1 << 5
        | 2 << 6
        | 1 << 9
        | 1 << 10
        | 1 << 12
        | 1 << 13
        | 1 << 14
        | 1 << 16
        | 1 << 18
        | 1 << 19
        | 2 << 21
        | 2 << 24
        | 1 << 27;
    // IDR1: SIDSIZE=16, SSIDSIZE=20, PRIQS=19, EVTQS=19, CMDQS=19.
    let idr1 = 16 | 20 << 6 | 19 << 11 | 19 << 16 | 19 << 21;
    // IDR3: FWB, RIL, BBML=2.
    let idr3 = 1 << 8 | 1 << 10 | 2 << 11;
    // IDR5: OAS=48 bits (5), 4K and 64K granules, VAX=52 bits, STALL_MAX=64.
    let idr5 = 5 | 1 << 4 | 1 << 6 | 1 << 10 | 64 << 16;
    let c = Caps {
        idr: [idr0, idr1, 0, idr3, 0, idr5],
        iidr: 0x43b,
        aidr: 2,
        strtab_base: 1 << 62 | 0x4800_0000,
        strtab_base_cfg: 1 << 16 | 8 << 6 | 16,
        features: 1 | 1 << 17 | 1 << 21 | 1 << 22,
        options: 1 << 2,
        asid_bits: 16,
        vmid_bits: 16,
        ssid_bits: 20,
        sid_bits: 16,
        oas: 48,
        pgsize_bitmap: 0x2001_0000 | 0x4020_1000,
        cmdq_shift: 19,
        evtq_shift: 19,
        priq_shift: 19,
        max_stalls: 64,
        strtab_entries: 256,
    };
    let t = caps_text(&c);
    assert_eq!(line(&t, "idr"), format!("idr: idr0=0x{:08x} idr1=0x{:08x} idr2=0x00000000 idr3=0x{:08x} idr4=0x00000000 idr5=0x{:08x} iidr=0x0000043b aidr=0x00000002", idr0, idr1, idr3, idr5));
    assert_eq!(line(&t, "architecture"), "architecture: SMMUv3.2");
    assert_eq!(line(&t, "stages"), "stages: s1=yes s2=yes");
    assert_eq!(line(&t, "table_formats"), "table_formats: aarch64");
    assert_eq!(line(&t, "table_endianness"), "table_endianness: le");
    assert_eq!(line(&t, "granules"), "granules: 4K 64K");
    assert_eq!(line(&t, "oas"), "oas: 48 (idr5.oas=5)");
    assert_eq!(line(&t, "va_bits"), "va_bits: 52 (idr5.vax=1) ds=no");
    assert_eq!(line(&t, "asid_bits"), "asid_bits: 16");
    assert_eq!(line(&t, "vmid_bits"), "vmid_bits: 16");
    assert_eq!(line(&t, "sid_bits"), "sid_bits: 16");
    assert_eq!(line(&t, "ssid_bits"), "ssid_bits: 20");
    assert_eq!(line(&t, "stream_table_2lvl"), "stream_table_2lvl: yes");
    assert_eq!(line(&t, "cd_2lvl"), "cd_2lvl: yes");
    assert_eq!(line(&t, "httu"), "httu: access+dirty");
    assert_eq!(line(&t, "btm"), "btm: yes");
    assert_eq!(line(&t, "coherent_walks"), "coherent_walks: yes");
    assert_eq!(line(&t, "ats"), "ats: yes");
    assert_eq!(line(&t, "pri"), "pri: yes");
    assert_eq!(
        line(&t, "stall_model"),
        "stall_model: stall-forced stall_max=64"
    );
    assert_eq!(line(&t, "msi"), "msi: yes");
    assert_eq!(line(&t, "range_inv"), "range_inv: yes");
    assert_eq!(line(&t, "s2fwb"), "s2fwb: yes");
    assert_eq!(line(&t, "bbml"), "bbml: 2");
    assert_eq!(
        line(&t, "queues"),
        "queues: cmdq=19 evtq=19 priq=19 (log2 of the entries the hardware offers)"
    );
    assert_eq!(
        line(&t, "driver_features"),
        "driver_features: 2lvl_strtab sva ha hd"
    );
    assert_eq!(line(&t, "driver_options"), "driver_options: msipoll");
    assert_eq!(line(&t, "driver_sva"), "driver_sva: yes");
    assert_eq!(
        line(&t, "driver_bits"),
        "driver_bits: asid=16 vmid=16 ssid=20 sid=16 oas=48"
    );
    assert_eq!(
        line(&t, "driver_stream_table"),
        "driver_stream_table: 2lvl entries=256 base=0x0000000048000000 base_cfg=0x00010210"
    );
    // Every line is "key: value".
    assert!(t.lines().all(|l| l.contains(": ")), "{}", t);
}

#[test]
fn minimal_smmu() {
    // Stage 1 only, AArch64 tables, 8-bit ASIDs, linear stream table,
    // no HTTU, terminate-only stall model (1), OAS 32 bits, 4K only.
    let idr0 = 1 << 1 | 2 << 2 | 1 << 24;
    let c = Caps {
        idr: [idr0, 8, 0, 0, 0, 1 << 4],
        strtab_entries: 256,
        ..Caps::default()
    };
    let t = caps_text(&c);
    assert_eq!(line(&t, "stages"), "stages: s1=yes s2=no");
    assert_eq!(line(&t, "httu"), "httu: none");
    assert_eq!(
        line(&t, "stall_model"),
        "stall_model: terminate stall_max=0"
    );
    assert_eq!(line(&t, "asid_bits"), "asid_bits: 8");
    assert_eq!(line(&t, "oas"), "oas: 32 (idr5.oas=0)");
    assert_eq!(line(&t, "granules"), "granules: 4K");
    assert_eq!(line(&t, "stream_table_2lvl"), "stream_table_2lvl: no");
    assert_eq!(line(&t, "driver_features"), "driver_features: -");
    assert_eq!(
        line(&t, "driver_stream_table"),
        "driver_stream_table: linear entries=256 base=0x0000000000000000 base_cfg=0x00000000"
    );
}

#[test]
fn flag_names() {
    assert_eq!(FEATURES.len(), 27);
    assert_eq!(OPTIONS.len(), 5);
    let mut s = String::new();
    write_flags(&mut s, 1 << 9 | 1 << 10 | 1 << 31, FEATURES).unwrap();
    assert_eq!(s, "trans_s1 trans_s2 bit31");
}

/// Reserved encodings of the ID registers are shown as `reserved(<value>)`
/// (Arm IHI 0070: IDR0.TTF 0b00, TTENDIAN 0b01, STALL_MODEL 0b11; IDR5.OAS
/// 0b111, VAX 0b10 and 0b11; AIDR.ArchMajorRev other than 0), never as a
/// guessed value.
#[test]
fn reserved_encodings_are_named_reserved() {
    // TTF=0, TTENDIAN=1, STALL_MODEL=3; OAS=7, VAX=2; AIDR major 1.
    let c = Caps {
        idr: [1 << 21 | 3 << 24, 0, 0, 0, 0, 7 | 2 << 10],
        aidr: 0x12,
        ..Caps::default()
    };
    let t = caps_text(&c);
    assert_eq!(line(&t, "table_formats"), "table_formats: reserved(0)");
    assert_eq!(
        line(&t, "table_endianness"),
        "table_endianness: reserved(1)"
    );
    assert_eq!(
        line(&t, "stall_model"),
        "stall_model: reserved(3) stall_max=0"
    );
    assert_eq!(line(&t, "oas"), "oas: reserved(7) (idr5.oas=7)");
    assert_eq!(
        line(&t, "va_bits"),
        "va_bits: reserved(2) (idr5.vax=2) ds=no"
    );
    assert_eq!(line(&t, "architecture"), "architecture: reserved(0x12)");
    // The defined ones next to them: OAS 0b110 is 52 bits, VAX 0b01 52.
    let c = Caps {
        idr: [0, 0, 0, 0, 0, 6 | 1 << 10],
        aidr: 3,
        ..Caps::default()
    };
    let t = caps_text(&c);
    assert_eq!(line(&t, "oas"), "oas: 52 (idr5.oas=6)");
    assert_eq!(line(&t, "va_bits"), "va_bits: 52 (idr5.vax=1) ds=no");
    assert_eq!(line(&t, "architecture"), "architecture: SMMUv3.3");
}
