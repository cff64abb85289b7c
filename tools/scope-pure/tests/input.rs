// SPDX-License-Identifier: GPL-2.0

//! Host tests of the write parser shared by `lookup`, `reset` and
//! `iopf/reset`.

use proptest::prelude::*;
use scope_pure::input::{keyword, number, token, InputError, MAX_WRITE};

#[test]
fn tokens() {
    assert_eq!(token(b"leaks\n"), Ok("leaks"));
    assert_eq!(token(b"  0x10 \t\n"), Ok("0x10"));
    assert_eq!(token(b""), Err(InputError::Empty));
    assert_eq!(token(b" \n\t"), Err(InputError::Empty));
    assert_eq!(token(b"a b"), Err(InputError::Malformed));
    assert_eq!(token(b"a\0"), Err(InputError::Malformed));
    assert_eq!(token("\u{e9}".as_bytes()), Err(InputError::Malformed));
    assert_eq!(
        token(&[b'1'; MAX_WRITE]),
        Ok(core::str::from_utf8(&[b'1'; MAX_WRITE]).unwrap())
    );
    assert_eq!(token(&[b'1'; MAX_WRITE + 1]), Err(InputError::TooLong));
}

#[test]
fn numbers() {
    assert_eq!(number("0"), Ok(0));
    assert_eq!(number("4096"), Ok(4096));
    assert_eq!(number("0x1000"), Ok(4096));
    assert_eq!(number("0XfF"), Ok(255));
    assert_eq!(number("18446744073709551615"), Ok(u64::MAX));
    assert_eq!(number("0xffffffffffffffff"), Ok(u64::MAX));
    for bad in [
        "",
        "0x",
        "+5",
        "-5",
        "0x+5",
        "0x-5",
        "1_000",
        "18446744073709551616",
        "0x10000000000000000",
        "12a",
        "0xg",
        " 5",
    ] {
        assert_eq!(number(bad), Err(InputError::BadNumber), "{bad:?}");
    }
}

#[test]
fn keywords() {
    assert_eq!(keyword(b"leaks\n", "leaks"), Ok(()));
    assert_eq!(
        keyword(b"leaks leaks\n", "leaks"),
        Err(InputError::Malformed)
    );
    assert_eq!(keyword(b"leak\n", "leaks"), Err(InputError::Malformed));
    assert_eq!(keyword(b"\n", "leaks"), Err(InputError::Empty));
}

proptest! {
    /// Any bytes: no panic, and an accepted token is printable ASCII found
    /// in the input between white space only.
    #[test]
    fn any_bytes(input in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(t) = token(&input) {
            prop_assert!(!t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()));
            let trimmed: Vec<u8> = input.iter().copied().skip_while(|b| b.is_ascii_whitespace()).collect();
            prop_assert!(trimmed.starts_with(t.as_bytes()));
            prop_assert!(trimmed[t.len()..].iter().all(|b| b.is_ascii_whitespace()));
            let _ = number(t);
        }
    }

    /// Every u64 written in decimal or hex, with white space around, reads
    /// back as itself.
    #[test]
    fn numbers_round_trip(v in any::<u64>(), hex in any::<bool>(), pre in "[ \t]{0,3}", post in "[ \t\n]{0,3}") {
        let s = if hex { format!("{pre}0x{v:x}{post}") } else { format!("{pre}{v}{post}") };
        prop_assert_eq!(number(token(s.as_bytes()).unwrap()), Ok(v));
    }
}
