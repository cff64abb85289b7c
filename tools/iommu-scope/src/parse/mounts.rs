// SPDX-License-Identifier: GPL-2.0

//! `/proc/mounts`: where debugfs and tracefs are mounted.
//!
//! Owns: the mount table lookup. Must not: read files (the caller passes
//! the text).

/// The mount point of the first mount of type `fstype` in `/proc/mounts`
/// text (octal escapes such as `\040` decoded).
pub fn find(text: &str, fstype: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let mut t = l.split(' ');
        let (_, dir, ty) = (t.next()?, t.next()?, t.next()?);
        (ty == fstype).then(|| unescape(dir))
    })
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
