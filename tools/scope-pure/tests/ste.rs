// SPDX-License-Identifier: GPL-2.0
//! Host tests of the SMMUv3 STE and CD decoders (`rust/pure/ste.rs`),
//! against entries built here from the architecture's field layouts
//! (Arm IHI 0070 "STE" and "CD"), written out bit by bit rather than with
//! the decoder's own constants, the way the driver's
//! `arm_smmu_make_*_ste` / `arm_smmu_make_s1_cd` build them.
//!
//! Owns: these tests only. Must not: touch anything outside this file.

use proptest::prelude::*;
use scope_pure::ste::{
    cd_table, decode_cd, decode_ste, ste_table, write_cd, write_ste, write_words, CdFormat, Config,
    Field, MasterFlags, Owner,
};

/// Bits `v` placed at `lo` (width implied by the caller's value).
fn at(v: u64, lo: u32) -> u64 {
    v << lo
}

/// STE word 0 of a stage-1 STE: V, Config=0b101, S1Fmt, S1ContextPtr, S1CDMax.
fn s1_w0(ctx: u64, fmt: u64, cdmax: u64) -> u64 {
    1 | at(0b101, 1) | at(fmt, 4) | (ctx & 0x000f_ffff_ffff_ffc0) | at(cdmax, 59)
}

fn text_ste(sid: u32, dev: &str, words: [u64; 8], m: MasterFlags, torn: bool, o: Owner) -> String {
    let mut s = String::new();
    write_ste(&mut s, sid, dev, &decode_ste(words), m, torn).unwrap();
    s.push(' ');
    s.push_str(&o.to_string());
    s
}

#[test]
fn invalid_abort_bypass() {
    let e = decode_ste([0; 8]);
    assert_eq!(e.config, Config::Invalid);
    // Config bits without V: still invalid.
    assert_eq!(
        decode_ste([at(0b100, 1), 0, 0, 0, 0, 0, 0, 0]).config,
        Config::Invalid
    );
    assert_eq!(decode_ste([1, 0, 0, 0, 0, 0, 0, 0]).config, Config::Abort);
    // arm_smmu_make_bypass_ste: V, Config=0b100, SHCFG=incoming (bits 45:44 = 1).
    let bypass = [1 | at(0b100, 1), at(1, 44), 0, 0, 0, 0, 0, 0];
    let e = decode_ste(bypass);
    assert_eq!(e.config, Config::Bypass);
    assert_eq!(e.shcfg, 1);
    assert_eq!(ste_table(&e), None);
    for r in 1..4u64 {
        assert_eq!(
            decode_ste([1 | at(r, 1), 0, 0, 0, 0, 0, 0, 0]).config,
            Config::Reserved(r as u8)
        );
    }
    assert_eq!(
        text_ste(
            0x10,
            "0000:00:02.0",
            bypass,
            MasterFlags::default(),
            false,
            Owner::None
        ),
        "sid=0x10 dev=0000:00:02.0 ste=bypass stall=0 ats=0 pri=0 domain=-"
    );
    assert_eq!(
        text_ste(
            0x10,
            "d",
            [1 | at(2, 1), 0, 0, 0, 0, 0, 0, 0],
            MasterFlags::default(),
            true,
            Owner::None
        ),
        "sid=0x10 dev=d ste=reserved(2) torn stall=0 ats=0 pri=0 domain=-"
    );
}

#[test]
fn stage1_linear_cd_table() {
    // arm_smmu_make_cdtable_ste with one CD: S1DSS=ssid0 (0b10), S1CIR/COR
    // write-back RA (1), S1CSH inner shareable (3), S1STALLD, EATS abort,
    // STRW NS-EL1, SHCFG incoming.
    let w0 = s1_w0(0x4512_3440, 0, 0);
    let w1 = 0b10 | at(1, 2) | at(1, 4) | at(3, 6) | at(1, 27) | at(1, 44);
    let e = decode_ste([w0, w1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(e.config, Config::S1);
    assert_eq!(e.s1_ctx_ptr, 0x4512_3440);
    assert_eq!(
        (e.s1_cdmax, e.s1dss, e.s1_cir, e.s1_cor, e.s1_csh),
        (0, 2, 1, 1, 3)
    );
    assert!(e.s1_stalld);
    assert_eq!((e.eats, e.strw), (0, 0));
    assert_eq!(e.cd_format(), CdFormat::Single);
    assert_eq!(e.substreams(), 1);
    assert_eq!(ste_table(&e), None);
    assert_eq!(
        text_ste(0x8, "0000:00:01.0", [w0, w1, 0, 0, 0, 0, 0, 0], MasterFlags::default(), false, Owner::Domain("domain_00000000c0ffee00")),
        "sid=0x8 dev=0000:00:01.0 ste=s1 cdtab=0x0000000045123440 s1fmt=single s1cdmax=0 substreams=1 s1dss=ssid0 s1stalld=1 eats=abort strw=nsel1 stall=0 ats=0 pri=0 domain=domain_00000000c0ffee00"
    );
}

#[test]
fn stage1_substream_formats() {
    // Linear table of 2^4 CDs.
    let e = decode_ste([s1_w0(0x4000_0000, 0, 4), 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!((e.cd_format(), e.substreams()), (CdFormat::Linear, 16));
    assert_eq!(e.cd_format().leaf_entries(4), 16);
    assert_eq!(e.cd_format().l1_entries(4), 1);
    // S1Fmt=0b11 is reserved: shown as such, no layout assumed.
    let e = decode_ste([s1_w0(0, 3, 4), 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(e.cd_format(), CdFormat::Reserved(3));
    assert_eq!(
        (e.cd_format().leaf_entries(4), e.cd_format().l1_entries(4)),
        (0, 0)
    );
    // ... unless S1CDMax is 0 (one CD, S1Fmt ignored).
    assert_eq!(
        decode_ste([s1_w0(0, 3, 0), 0, 0, 0, 0, 0, 0, 0]).cd_format(),
        CdFormat::Single
    );
    // 64K leaves, 2^20 substreams: 1024 L1 entries of 1024 CDs.
    let e = decode_ste([s1_w0(0x8000_0000, 2, 20), 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(e.cd_format(), CdFormat::TwoLevel64K);
    assert_eq!(
        (e.cd_format().leaf_entries(20), e.cd_format().l1_entries(20)),
        (1024, 1024)
    );
    assert_eq!(e.substreams(), 1 << 20);
    // 4K leaves of 64 CDs, 2^8 substreams: 4 L1 entries.
    let e = decode_ste([s1_w0(0x8000_0000, 1, 8), 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(e.cd_format(), CdFormat::TwoLevel4K);
    assert_eq!(e.cd_format().l1_entries(8), 4);
    // S1CDMax bits 63:59 and S1ContextPtr 51:6 do not overlap.
    let e = decode_ste([s1_w0(0x000f_ffff_ffff_ffc0, 0, 31), 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!((e.s1_ctx_ptr, e.s1_cdmax), (0x000f_ffff_ffff_ffc0, 31));
}

#[test]
fn stage2_and_nested() {
    // arm_smmu_make_s2_domain_ste: VMID, VTCR (T0SZ=24, SL0=1, IR0=OR0=WBWA,
    // SH0=ISH, TG=4K, PS=40 bits), S2AA64, S2PTW, S2R; S2TTB.
    let vtcr: u64 = 24 | at(1, 6) | at(1, 8) | at(1, 10) | at(3, 12) | at(0, 14) | at(2, 16);
    let w2 = 0x2a | at(vtcr, 32) | at(1, 51) | at(1, 54) | at(1, 58);
    let w3 = 0x4321_0000u64;
    let w0 = 1 | at(0b110, 1);
    let w1 = at(1, 44) | at(1, 28);
    let e = decode_ste([w0, w1, w2, w3, 0, 0, 0, 0]);
    assert_eq!(e.config, Config::S2);
    assert_eq!((e.vmid, e.s2ttb), (0x2a, 0x4321_0000));
    assert_eq!(
        (
            e.vtcr_t0sz(),
            e.vtcr_sl0(),
            e.vtcr_granule(),
            e.vtcr_ps_bits()
        ),
        (24, 1, Field::Name("4K"), Field::Num(40))
    );
    assert!(e.s2aa64 && e.s2ptw && e.s2r && !e.s2s && !e.s2endi);
    assert_eq!(e.eats, 1);
    assert_eq!(ste_table(&e), Some(0x4321_0000));
    assert_eq!(
        text_ste(0x18, "0000:00:03.0", [w0, w1, w2, w3, 0, 0, 0, 0], MasterFlags { stall: false, ats: true, pri: false }, false, Owner::Domain("domain_1")),
        "sid=0x18 dev=0000:00:03.0 ste=s2 vmid=0x2a vttbr=0x0000000043210000 s2t0sz=24 s2sl0=1 s2tg=4K s2ps=40 s2aa64=1 s2ptw=1 s2s=0 s2r=1 s2fwb=0 eats=trans strw=nsel1 stall=0 ats=1 pri=0 domain=domain_1"
    );
    // Nested: both stages' fields; the CD pointer is an IPA.
    let w0n = 1 | at(0b111, 1) | 0x1000_0000 | at(2, 59);
    let e = decode_ste([w0n, 2, w2, w3 | 0xf, 0, 0, 0, 0]);
    assert_eq!(e.config, Config::Nested);
    assert!(e.config.has_s1() && e.config.has_s2());
    // S2TTB keeps bits 51:4 only.
    assert_eq!(ste_table(&e), Some(0x4321_0000));
    let mut s = String::new();
    write_ste(&mut s, 1, "x", &e, MasterFlags::default(), false).unwrap();
    assert!(s.starts_with("sid=0x1 dev=x ste=nested cdtab=0x0000000010000000 s1fmt=linear s1cdmax=2 substreams=4 s1dss=ssid0 s1stalld=0 vmid=0x2a vttbr=0x0000000043210000 "), "{}", s);
}

/// arm_smmu_make_s1_cd for a 48-bit, 4K table: T0SZ=16, TG0=4K, IRGN0 and
/// ORGN0 write-back (1), SH0 inner (3), EPD1, V, IPS=44 bits (4), AA64, R,
/// A, ASET, ASID.
fn s1_cd(asid: u64, ttb0: u64, hd: bool) -> [u64; 8] {
    let mut w0 = 16
        | at(0, 6)
        | at(1, 8)
        | at(1, 10)
        | at(3, 12)
        | at(1, 30)
        | at(1, 31)
        | at(4, 32)
        | at(1, 41)
        | at(1, 45)
        | at(1, 46)
        | at(1, 47)
        | at(asid, 48);
    if hd {
        w0 |= at(1, 42) | at(1, 43);
    }
    [w0, ttb0, 0, 0x0000_0000_0004_ff44, 0, 0, 0, 0]
}

#[test]
fn s1_cd_fields() {
    let c = decode_cd(s1_cd(0x1234, 0x4567_8000, false));
    assert!(c.valid && c.aa64 && c.epd1 && !c.epd0 && c.record && c.abort && c.aset);
    assert_eq!(
        (c.t0sz, c.tg0, c.irgn0, c.orgn0, c.sh0, c.ips),
        (16, 0, 1, 1, 3, 4)
    );
    assert_eq!((c.asid, c.ttb0, c.mair), (0x1234, 0x4567_8000, 0x4ff44));
    assert!(!c.ha && !c.hd && !c.stall && !c.haft && !c.tbi0 && !c.endi);
    assert_eq!(cd_table(&c), Some(0x4567_8000));
    let mut s = String::new();
    write_cd(&mut s, 0, &c, false).unwrap();
    assert_eq!(
        s,
        "  ssid=0 asid=0x1234 ttb0=0x0000000045678000 t0sz=16 tg0=4K ips=44 epd0=0 epd1=1 ha=0 hd=0 haft=0 s=0 r=1 a=1 aset=1 mair=0x000000000004ff44"
    );
    // Dirty tracking sets HA and HD (bits 43, 42).
    let c = decode_cd(s1_cd(1, 0x1000, true));
    assert!(c.ha && c.hd);
    // TTB0 keeps bits 51:4; HAFT is word 1 bit 3.
    let c = decode_cd([1 << 31, 0xffff_0000_0000_100f, 0, 0, 0, 0, 0, 0]);
    assert_eq!(c.ttb0, 0x000f_0000_0000_1000);
    assert!(c.haft);
}

#[test]
fn sva_cd_after_mm_release_walks_nothing() {
    // arm_smmu_make_sva_cd with mm == NULL (mm released): EPD0 and EPD1
    // set, TTB0 zero: valid, but no table is walked.
    let w0 = at(1, 14) | at(1, 30) | at(1, 31) | at(1, 41) | at(7, 48);
    let c = decode_cd([w0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(c.valid && c.epd0);
    assert_eq!(cd_table(&c), None);
    // An invalid CD has no table either.
    assert_eq!(
        cd_table(&decode_cd([0, 0x4000_0000, 0, 0, 0, 0, 0, 0])),
        None
    );
    let mut s = String::new();
    write_cd(&mut s, 3, &c, true).unwrap();
    assert!(
        s.starts_with("  ssid=3 asid=0x7 torn ttb0=0x0000000000000000 "),
        "{}",
        s
    );
}

/// Every reserved encoding of a field `streams` names is shown as
/// `reserved(<value>)` (Arm IHI 0070: STE.Config 0b001-0b011, S1Fmt 0b11,
/// S1DSS 0b11, EATS 0b11, STRW 0b01 and 0b11 for a Non-secure stream,
/// VTCR.TG / CD.TG0 0b11, VTCR.PS / CD.IPS 0b111), never guessed.
#[test]
fn reserved_encodings_are_named_reserved() {
    let line = |w: [u64; 8]| {
        let mut s = String::new();
        write_ste(
            &mut s,
            1,
            "d",
            &decode_ste(w),
            MasterFlags::default(),
            false,
        )
        .unwrap();
        s
    };
    for cfg in 1..4u64 {
        assert!(line([1 | at(cfg, 1), 0, 0, 0, 0, 0, 0, 0])
            .starts_with(&format!("sid=0x1 dev=d ste=reserved({}) stall=0", cfg)));
    }
    // Stage 1 with S1Fmt=0b11, S1DSS=0b11, EATS=0b11, STRW=0b01.
    let w1 = 3 | at(3, 28) | at(1, 30);
    let s = line([s1_w0(0x4000, 3, 2), w1, 0, 0, 0, 0, 0, 0]);
    assert!(
        s.contains(" s1fmt=reserved(3) s1cdmax=2 substreams=4 s1dss=reserved(3) "),
        "{}",
        s
    );
    assert!(s.contains(" eats=reserved(3) strw=reserved(1) "), "{}", s);
    assert!(line([s1_w0(0x4000, 0, 0), at(3, 30), 0, 0, 0, 0, 0, 0]).contains(" strw=reserved(3) "));
    assert!(line([s1_w0(0x4000, 0, 0), at(2, 30), 0, 0, 0, 0, 0, 0]).contains(" strw=el2 "));
    // Stage 2: VTCR.TG=0b11, VTCR.PS=0b111; PS=0b110 is 52 bits.
    let vtcr = |tg: u64, ps: u64| at(at(tg, 14) | at(ps, 16), 32);
    let s2 = |w2: u64| line([1 | at(0b110, 1), 0, w2, 0, 0, 0, 0, 0]);
    assert!(
        s2(vtcr(3, 7)).contains(" s2tg=reserved(3) s2ps=reserved(7) "),
        "{}",
        s2(vtcr(3, 7))
    );
    assert!(s2(vtcr(2, 6)).contains(" s2tg=16K s2ps=52 "));
    // CD: TG0=0b11, IPS=0b111.
    let mut s = String::new();
    write_cd(
        &mut s,
        0,
        &decode_cd([(1 << 31) | at(3, 6) | at(7, 32), 0, 0, 0, 0, 0, 0, 0]),
        false,
    )
    .unwrap();
    assert!(s.contains(" tg0=reserved(3) ips=reserved(7) "), "{}", s);
}

#[test]
fn owners_and_words() {
    assert_eq!(Owner::Domain("domain_ab").to_string(), "domain=domain_ab");
    assert_eq!(
        Owner::Mm("mm_00000000deadbeef").to_string(),
        "domain=- mm=mm_00000000deadbeef"
    );
    assert_eq!(Owner::None.to_string(), "domain=-");
    assert_eq!(Owner::Unknown.to_string(), "domain=?");
    assert_eq!(Owner::Changed.to_string(), "domain=?");
    let mut s = String::new();
    write_words(&mut s, &[1, u64::MAX, 0]).unwrap();
    assert_eq!(s, "0000000000000001:ffffffffffffffff:0000000000000000");
}

proptest! {
    /// Every field decodes to what was encoded at its architectural place,
    /// whatever the other bits.
    #[test]
    fn ste_fields_roundtrip(
        cfg in 0u64..8, fmt in 0u64..4, ctx in any::<u64>(), cdmax in 0u64..32,
        dss in 0u64..4, eats in 0u64..4, strw in 0u64..4, vmid in any::<u16>(),
        vtcr in 0u64..(1 << 19), ttb in any::<u64>(), noise in any::<u64>(),
    ) {
        let w0 = 1 | at(cfg, 1) | at(fmt, 4) | (ctx & 0x000f_ffff_ffff_ffc0) | at(cdmax, 59);
        let w1 = dss | at(eats, 28) | at(strw, 30) | (noise & 0x0000_ffff_0fff_f000 & !(3 << 44));
        let w2 = u64::from(vmid) | at(vtcr, 32);
        let e = decode_ste([w0, w1, w2, ttb, noise, noise, noise, noise]);
        let want = match cfg { 0 => Config::Abort, 4 => Config::Bypass, 5 => Config::S1,
            6 => Config::S2, 7 => Config::Nested, r => Config::Reserved(r as u8) };
        prop_assert_eq!(e.config, want);
        prop_assert_eq!(u64::from(e.s1fmt), fmt);
        prop_assert_eq!(e.s1_ctx_ptr, ctx & 0x000f_ffff_ffff_ffc0);
        prop_assert_eq!(u64::from(e.s1_cdmax), cdmax);
        prop_assert_eq!((u64::from(e.s1dss), u64::from(e.eats), u64::from(e.strw)), (dss, eats, strw));
        prop_assert_eq!(e.vmid, vmid);
        prop_assert_eq!(u64::from(e.vtcr), vtcr);
        prop_assert_eq!(e.s2ttb, ttb & 0x000f_ffff_ffff_fff0);
        prop_assert_eq!(ste_table(&e).is_some(), cfg >= 6);
    }

    #[test]
    fn cd_fields_roundtrip(asid in any::<u16>(), ttb in any::<u64>(), t0sz in 0u64..64, ips in 0u64..8, v in any::<bool>(), epd0 in any::<bool>()) {
        let w0 = t0sz | at(ips, 32) | at(u64::from(asid), 48) | at(u64::from(v), 31) | at(u64::from(epd0), 14);
        let c = decode_cd([w0, ttb, 0, 0, 0, 0, 0, 0]);
        prop_assert_eq!((c.asid, u64::from(c.t0sz), u64::from(c.ips), c.valid, c.epd0), (asid, t0sz, ips, v, epd0));
        prop_assert_eq!(c.ttb0, ttb & 0x000f_ffff_ffff_fff0);
        prop_assert_eq!(cd_table(&c), (v && !epd0).then_some(ttb & 0x000f_ffff_ffff_fff0));
    }

    /// The longest stream and CD lines (longest device name the records
    /// carry, 47 bytes; longest owner text) fit one streamed piece
    /// (`text::CHUNK_MAX`), so no line of `streams` is ever cut.
    #[test]
    fn longest_lines_fit_a_piece(w in proptest::array::uniform8(any::<u64>()), sid in any::<u32>(), ssid in any::<u32>()) {
        let dev = "d".repeat(47);
        let owner = Owner::Mm("mm_0123456789abcdef");
        let mut s = String::new();
        write_ste(&mut s, sid, &dev, &decode_ste(w), MasterFlags { stall: true, ats: true, pri: true }, true).unwrap();
        s.push_str(&format!(" {}\n", owner));
        prop_assert!(s.len() <= scope_pure::text::CHUNK_MAX, "{} bytes: {}", s.len(), s);
        let mut c = String::new();
        write_cd(&mut c, ssid, &decode_cd(w), true).unwrap();
        c.push_str(&format!(" {}\n", owner));
        prop_assert!(c.len() <= scope_pure::text::CHUNK_MAX, "{} bytes: {}", c.len(), c);
    }

    /// Lines never break and decoding never panics, whatever the words.
    #[test]
    fn any_words_give_one_line(w in proptest::array::uniform8(any::<u64>()), sid in any::<u32>()) {
        let mut s = String::new();
        write_ste(&mut s, sid, "dev", &decode_ste(w), MasterFlags::default(), false).unwrap();
        write_cd(&mut s, 0, &decode_cd(w), false).unwrap();
        prop_assert!(!s.contains('\n'));
    }
}
