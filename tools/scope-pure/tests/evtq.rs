// SPDX-License-Identifier: GPL-2.0
//! Host tests of the SMMUv3 event record decoder, against records built
//! from the architecture's field layout.

use proptest::prelude::*;
use scope_pure::evtq::{bits, decode, event_type, TYPES};

/// Builds a record the way the SMMU writes one.
#[allow(clippy::too_many_arguments)]
fn record(id: u8, sid: u32, ssid: Option<u32>, w1: u64, addr: u64, w3: u64) -> [u64; 4] {
    let mut w0 = u64::from(id) | (u64::from(sid) << 32);
    if let Some(s) = ssid {
        w0 |= bits::SSV | (u64::from(s) << 12);
    }
    [w0, w1, addr, w3]
}

#[test]
fn translation_fault_read_data_unpriv() {
    let e = decode(record(
        0x10,
        0x8,
        None,
        bits::RNW | (2 << bits::CLASS_SHIFT),
        0xdead_b000,
        0x1234_5000,
    ));
    assert_eq!(e.name, "F_TRANSLATION");
    assert_eq!(e.sid, 8);
    assert_eq!(e.ssid, None);
    assert_eq!(e.addr, Some(0xdead_b000));
    assert_eq!(e.ipa, Some(0x1234_5000));
    assert_eq!(
        (e.read, e.instruction, e.privileged, e.stage2),
        (Some(true), Some(false), Some(false), Some(false))
    );
    assert_eq!(e.class, Some(2));
    assert_eq!((e.stall, e.stag), (Some(false), None));
    assert_eq!(e.fetch_addr, None);
    assert_eq!(
        e.to_string(),
        "F_TRANSLATION(0x10) sid=0x8 ssid=- iova=0xdeadb000 ipa=0x12345000 read data unpriv s1 class=IN"
    );
}

#[test]
fn permission_fault_stalled_with_ssid_and_tt_write() {
    let w1 = bits::STALL | 0x42 | bits::PNU | bits::IND | bits::S2 | (1 << bits::CLASS_SHIFT);
    let e = decode(record(0x13, 0x10, Some(0x5), w1, 0x1000, 0));
    assert_eq!(e.name, "F_PERMISSION");
    assert_eq!(e.ssid, Some(5));
    assert_eq!(
        (e.read, e.instruction, e.privileged, e.stage2),
        (Some(false), Some(true), Some(true), Some(true))
    );
    assert_eq!(
        (e.stall, e.stag, e.tt_read),
        (Some(true), Some(0x42), Some(false))
    );
    assert_eq!(e.class, Some(1));
}

#[test]
fn configuration_errors_carry_no_address() {
    for id in [0x02u8, 0x04, 0x08, 0x0a, 0x21] {
        let e = decode(record(id, 0x20, Some(3), u64::MAX, u64::MAX, u64::MAX));
        assert!(
            e.name.starts_with("C_") || e.name == "F_CFG_CONFLICT",
            "{}",
            e.name
        );
        assert_eq!(
            (e.addr, e.ipa, e.read, e.stage2, e.stag),
            (None, None, None, None, None)
        );
        assert_eq!(e.ssid, Some(3));
    }
}

#[test]
fn fetch_faults_carry_the_fetch_address() {
    for id in [0x03u8, 0x09, 0x0b, 0x25] {
        let e = decode(record(id, 1, None, 0, 0, 0xffff_ffff_ffff_ffff));
        assert_eq!(e.fetch_addr, Some(((1u64 << 52) - 1) & !7), "{}", e.name);
    }
}

#[test]
fn stream_disabled_has_only_the_stream() {
    let e = decode(record(0x06, 0x77, Some(1), u64::MAX, u64::MAX, u64::MAX));
    assert_eq!(e.name, "F_STREAM_DISABLED");
    assert_eq!(e.sid, 0x77);
    assert_eq!(e.ssid, None);
    assert_eq!(e.to_string(), "F_STREAM_DISABLED(0x06) sid=0x77 ssid=-");
}

#[test]
fn every_known_type_has_a_unique_name_and_id() {
    for t in TYPES {
        assert_eq!(event_type(t.id).unwrap().name, t.name);
        assert_eq!(TYPES.iter().filter(|u| u.name == t.name).count(), 1);
        assert_eq!(decode(record(t.id, 0, None, 0, 0, 0)).name, t.name);
    }
    assert_eq!(decode([0xe3, 0, 0, 0]).name, "IMPDEF");
    assert_eq!(decode([0x7f, 0, 0, 0]).name, "UNKNOWN");
}

proptest! {
    /// Any four words decode without panicking, keep the raw words and the
    /// stream ID, and give a text line.
    #[test]
    fn any_record_decodes(w in any::<[u64; 4]>()) {
        let e = decode(w);
        prop_assert_eq!(e.raw, w);
        prop_assert_eq!(e.sid, (w[0] >> 32) as u32);
        prop_assert_eq!(e.id, w[0] as u8);
        let s = e.to_string();
        prop_assert!(s.starts_with(e.name));
        if let Some(ssid) = e.ssid {
            prop_assert!(ssid < 1 << 20);
        }
    }

    /// Fields round-trip for every fault of the translation family.
    #[test]
    fn translation_family_round_trips(
        id in prop_oneof![Just(0x10u8), Just(0x11), Just(0x12), Just(0x13)],
        sid in any::<u32>(), ssid in proptest::option::of(0u32..1 << 20),
        addr in any::<u64>(), ipa in 0u64..1 << 40, read: bool, s2: bool, class in 0u8..4
    ) {
        let w1 = if read { bits::RNW } else { 0 } | if s2 { bits::S2 } else { 0 } | (u64::from(class) << bits::CLASS_SHIFT);
        let e = decode(record(id, sid, ssid, w1, addr, ipa << 12));
        prop_assert_eq!((e.sid, e.ssid, e.addr, e.ipa), (sid, ssid, Some(addr), Some(ipa << 12)));
        prop_assert_eq!((e.read, e.stage2, e.class), (Some(read), Some(s2), Some(class)));
    }
}
