// SPDX-License-Identifier: GPL-2.0

//! Host tests of the fixed-buffer writer.

use core::fmt::Write;

use proptest::prelude::*;
use scope_pure::text::FixedBuf;

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
