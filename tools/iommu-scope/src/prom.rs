// SPDX-License-Identifier: GPL-2.0

//! The Prometheus text exposition format (version 0.0.4), as
//! node_exporter's textfile collector reads it: per metric family a
//! `# HELP` and a `# TYPE` line, then its samples; metric and label names
//! checked against `[a-zA-Z_:][a-zA-Z0-9_:]*` / `[a-zA-Z_][a-zA-Z0-9_]*`,
//! label values escaped (`\\`, `\"`, `\n`), HELP text escaped (`\\`,
//! `\n`).
//!
//! Owns: the encoding. Must not: choose metric names (`cmd::export` does,
//! documented in `Documentation/cli.rst`).

use std::fmt::Write;

/// `counter` or `gauge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// Only goes up (until a reset or reload).
    Counter,
    /// Goes up and down.
    Gauge,
}

/// A sample value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An integer.
    U(u64),
    /// A float (seconds).
    F(f64),
}

/// A metric family.
#[derive(Debug, Clone)]
pub struct Family {
    /// Metric name.
    pub name: String,
    /// HELP text.
    pub help: String,
    /// TYPE.
    pub kind: Type,
    /// `(labels, value)` samples.
    pub samples: Vec<(Vec<(String, String)>, Value)>,
}

/// Whether `s` is a valid metric name.
pub fn valid_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

/// Whether `s` is a valid label name (`__` prefixes are reserved).
pub fn valid_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    !s.starts_with("__")
        && matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Escapes a label value.
pub fn escape_label(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

impl Family {
    /// A family without samples.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid metric name: names are constants of the
    /// exporter, checked by its tests.
    pub fn new(name: &str, kind: Type, help: &str) -> Self {
        assert!(valid_metric_name(name), "bad metric name {}", name);
        Family {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            samples: Vec::new(),
        }
    }

    /// Adds a sample.
    pub fn add(&mut self, labels: &[(&str, &str)], v: Value) {
        self.samples.push((
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            v,
        ));
    }

    /// Appends the family's text to `out` (nothing if it has no sample).
    pub fn write(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(&self.help));
        let _ = writeln!(
            out,
            "# TYPE {} {}",
            self.name,
            match self.kind {
                Type::Counter => "counter",
                Type::Gauge => "gauge",
            }
        );
        for (labels, v) in &self.samples {
            out.push_str(&self.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (k, x)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    debug_assert!(valid_label_name(k));
                    let _ = write!(out, "{}=\"{}\"", k, escape_label(x));
                }
                out.push('}');
            }
            let _ = match v {
                Value::U(u) => writeln!(out, " {}", u),
                Value::F(f) => writeln!(out, " {}", float_text(*f)),
            };
        }
    }
}

/// A sample value as the exposition format spells it (`+Inf`, `-Inf`,
/// `NaN`; Rust's `inf` is not accepted).
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        f.to_string()
    }
}

/// The text of `families`.
pub fn render(families: &[Family]) -> String {
    let mut s = String::new();
    for f in families {
        f.write(&mut s);
    }
    s
}
