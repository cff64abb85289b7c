// SPDX-License-Identifier: GPL-2.0

//! Host tests of the fixed-buffer writer, `Chunk` and `Pending` (how a
//! streamed file's chunks are cut into reads).

use core::fmt::Write;

use proptest::prelude::*;
use scope_pure::text::{Chunk, FixedBuf, Pending, Pumped, CHUNK_MAX};

#[test]
fn cuts_and_remembers() {
    let mut b = [0u8; 8];
    let mut w = FixedBuf::new(&mut b);
    write!(w, "abc{}", 12345).unwrap();
    assert_eq!(w.as_str(), "abc12345");
    assert!(!w.truncated());
    write!(w, "x").unwrap();
    assert_eq!(w.as_str(), "abc12345");
    assert!(w.truncated());
}

#[test]
fn never_splits_a_character() {
    let mut b = [0u8; 4];
    let mut w = FixedBuf::new(&mut b);
    w.write_str("ab\u{e9}\u{e9}").unwrap();
    assert_eq!(w.as_str(), "ab\u{e9}");
    assert_eq!(w.len(), 4);
}

proptest! {
    /// Whatever is written, the buffer holds the longest whole-character
    /// prefix of the concatenation that fits.
    #[test]
    fn prefix_of_what_was_written(parts in proptest::collection::vec(".{0,12}", 0..8), cap in 0usize..40) {
        let mut b = vec![0u8; cap];
        let mut w = FixedBuf::new(&mut b);
        let all: String = parts.concat();
        for p in &parts {
            w.write_str(p).unwrap();
        }
        prop_assert!(all.starts_with(w.as_str()));
        prop_assert!(w.len() <= cap);
        prop_assert_eq!(w.truncated(), w.len() < all.len());
        if w.truncated() {
            // The next character would not have fit.
            let next = all[w.len()..].chars().next().unwrap();
            prop_assert!(w.len() + next.len_utf8() > cap);
        }
    }
}

#[test]
fn chunk_refuses_what_does_not_fit() {
    let mut c = Chunk::new();
    let long = "x".repeat(CHUNK_MAX);
    assert!(c.write_str(&long).is_ok());
    assert!(c.write_str("y").is_err());
    assert_eq!(c.as_bytes().len(), CHUNK_MAX);
    c.set_str("ab");
    assert_eq!(c.as_bytes(), b"ab");
}

/// A read as `seq_read` does one: a buffer of `size` bytes, filled by
/// pumps until one puts nothing (a chunk fits only while `count + len <
/// size`, as `seq_write` has it).
fn read_once(p: &mut Pending, src: &[String], at: &mut usize, size: usize) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    loop {
        let r = p.pump(
            |c| match src.get(*at) {
                Some(s) => {
                    *at += 1;
                    c.write_str(s).unwrap();
                    true
                }
                None => false,
            },
            |b| {
                if buf.len() + b.len() < size {
                    buf.extend_from_slice(b);
                    true
                } else {
                    false
                }
            },
        );
        match r {
            Pumped::Wrote => continue,
            Pumped::Ended => return (buf, true),
            Pumped::NoRoom => {
                assert!(!buf.is_empty(), "a chunk did not fit an empty buffer");
                return (buf, false);
            }
        }
    }
}

proptest! {
    /// However the chunks are cut into reads (of any size that holds the
    /// longest chunk), the reads put together are the chunks in order,
    /// each once, and a rewind starts the same text over.
    #[test]
    fn pump_loses_and_repeats_nothing(
        src in prop::collection::vec("[a-z]{0,40}\n", 0..60),
        sizes in prop::collection::vec(42usize..300, 1..20),
        rewind_after in 0usize..5,
    ) {
        let whole: String = src.concat();
        let mut p = Pending::default();
        for pass in 0..2 {
            let mut at = 0;
            let mut out = Vec::new();
            let mut reads = 0;
            loop {
                let size = sizes[reads % sizes.len()];
                let (b, ended) = read_once(&mut p, &src, &mut at, size);
                out.extend_from_slice(&b);
                reads += 1;
                if ended {
                    break;
                }
                if pass == 0 && reads == rewind_after {
                    // A rewind (lseek to 0) in the middle: the first pass
                    // is dropped and the second must be whole.
                    break;
                }
            }
            if pass == 1 || reads != rewind_after {
                prop_assert_eq!(String::from_utf8(out).unwrap(), whole.clone());
                // Over: every further pump says so.
                let (b, ended) = read_once(&mut p, &src, &mut at, 64);
                prop_assert!(ended && b.is_empty());
            }
            p.reset();
        }
    }
}
