// SPDX-License-Identifier: GPL-2.0

//! `iommu-scope status`: what the module runs on this kernel (the
//! `status` file, parsed).
//!
//! Owns: the status command's output. Must not: write any file.

use super::{values_json, Out};
use crate::env::{self, Env};
use crate::error::Result;
use crate::json::{obj, J};
use crate::parse::status::{self, Status};

/// The parsed `status` file.
pub fn read(env: &Env) -> Result<Status> {
    let f = env.iopt()?.join("status");
    status::parse(env::open(&f)?, &env::name(&f))
}

/// The JSON of a status.
pub fn to_json(s: &Status) -> J {
    obj([
        ("module", J::s(&s.module)),
        (
            "features",
            J::A(
                s.features
                    .iter()
                    .map(|f| {
                        obj([
                            ("name", J::s(&f.name)),
                            ("state", J::s(&f.state)),
                            ("values", values_json(&f.values)),
                            (
                                "probes",
                                J::A(
                                    f.probes
                                        .iter()
                                        .map(|p| {
                                            obj([
                                                ("function", J::s(&p.func)),
                                                ("state", J::s(&p.state)),
                                                ("what", J::s(&p.what)),
                                                ("values", values_json(&p.values)),
                                            ])
                                        })
                                        .collect(),
                                ),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("other", J::A(s.other.iter().map(J::s).collect())),
    ])
}

/// Runs the command.
pub fn run(env: &Env, out: &mut Out) -> Result<()> {
    let s = read(env)?;
    if out.json {
        return out.json(&to_json(&s));
    }
    out.line(&format!("module {} loaded", s.module))?;
    for f in &s.features {
        let vals: Vec<String> = f
            .values
            .iter()
            .map(|(k, v)| format!("{}={}", k, v))
            .collect();
        out.line(format!("{:<16} {:<12} {}", f.name, f.state, vals.join(" ")).trim_end())?;
        for p in &f.probes {
            let vals: Vec<String> = p
                .values
                .iter()
                .map(|(k, v)| format!("{}={}", k, v))
                .collect();
            out.line(
                format!(
                    "  probe {:<36} {:<12} {} {}",
                    p.func,
                    p.state,
                    p.what,
                    vals.join(" ")
                )
                .trim_end(),
            )?;
        }
    }
    for o in &s.other {
        out.line(o)?;
    }
    Ok(())
}
