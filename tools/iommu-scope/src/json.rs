// SPDX-License-Identifier: GPL-2.0

//! A minimal JSON value and writer (no dependency): objects keep their
//! keys in insertion order, so the output is stable field by field.
//! Addresses are written as `"0x..."` strings by the commands (a JSON
//! number cannot hold every u64 exactly in most readers).
//!
//! Owns: the JSON text encoding. Must not: decide field names (the
//! commands do, as documented in `Documentation/cli.rst`).

use std::fmt::Write;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An unsigned integer.
    U(u64),
    /// A signed integer.
    I(i64),
    /// A wide unsigned integer (byte totals that may reach 2^64).
    W(u128),
    /// A number with a fraction (rates).
    F(f64),
    /// A string.
    S(String),
    /// An array.
    A(Vec<J>),
    /// An object, keys in order.
    O(Vec<(String, J)>),
}

impl J {
    /// A string value.
    pub fn s(v: impl Into<String>) -> J {
        J::S(v.into())
    }

    /// An address as `"0x%016x"`.
    pub fn hex(v: u64) -> J {
        J::S(format!("0x{:016x}", v))
    }

    /// An optional string: `null` if `None`.
    pub fn opt_s(v: Option<&str>) -> J {
        v.map_or(J::Null, J::s)
    }

    /// The compact text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    /// Appends the compact text to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::U(v) => {
                let _ = write!(out, "{}", v);
            }
            J::I(v) => {
                let _ = write!(out, "{}", v);
            }
            J::W(v) => {
                let _ = write!(out, "{}", v);
            }
            J::F(v) => {
                if v.is_finite() {
                    let _ = write!(out, "{:.3}", v);
                } else {
                    out.push_str("null");
                }
            }
            J::S(s) => write_str(out, s),
            J::A(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            J::O(v) => {
                out.push('{');
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    x.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::O(v) => v.iter().find(|(k, _)| k == key).map(|(_, x)| x),
            _ => None,
        }
    }
}

/// Writes `s` as a JSON string literal.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds an object from `(key, value)` pairs.
pub fn obj<const N: usize>(pairs: [(&str, J); N]) -> J {
    J::O(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
