// SPDX-License-Identifier: GPL-2.0

//! Who owns the table an SMMU's STE or CD points at, from two copies of
//! the live domains' tables: one taken before the stream table was copied,
//! one after (`Documentation/streams.rst`, the `domain=` field).
//!
//! A domain is named only if the same incarnation of it (its registry key
//! and incarnation number, unique for the module's lifetime) owns the
//! table's address in both copies: a domain live at two moments was live
//! in between, and its root table does not move while it lives, so it
//! owned the table when the STE or CD was read. A table owned in neither
//! copy was no registered domain's at either moment (a domain registered
//! and freed wholly between them is not seen); anything else (a domain freed, and
//! perhaps its table page reused by a new domain, while the stream table
//! was copied) is `Changed`, shown as `?`.
//!
//! Owns: that rule. Must not: read anything (the caller passes the
//! copies), or allocate.

/// One table owner as one copy of the registry saw it.
pub trait TableOf {
    /// The physical address of the table's root.
    fn root_pa(&self) -> u64;
    /// The owner's identity: registry key and incarnation.
    fn identity(&self) -> (usize, u64);
}

/// What `join` found for a table address.
#[derive(Debug, PartialEq, Eq)]
pub enum Join<'a, T> {
    /// The same owner, in both copies.
    Owner(&'a T),
    /// No owner in either copy.
    Unowned,
    /// The copies disagree: the owner changed while the stream table was
    /// copied.
    Changed,
}

fn sort_key<T: TableOf>(o: &T) -> (u64, usize, u64) {
    let (k, id) = o.identity();
    (o.root_pa(), k, id)
}

/// Sorts a copy for `join` (by address, then identity).
pub fn sort<T: TableOf>(owners: &mut [T]) {
    owners.sort_unstable_by_key(sort_key);
}

/// The entries of a sorted copy whose table is at `pa`.
fn at<T: TableOf>(owners: &[T], pa: u64) -> &[T] {
    let lo = owners.partition_point(|o| o.root_pa() < pa);
    let n = owners[lo..].partition_point(|o| o.root_pa() == pa);
    &owners[lo..lo + n]
}

/// The owner of the table at `pa` per the rule above; `before` and
/// `after` sorted with `sort`. Several owners may share a table (SVA
/// domains of one process share its page table): any one present in both
/// copies is named.
pub fn join<'a, T: TableOf>(before: &'a [T], after: &[T], pa: u64) -> Join<'a, T> {
    let b = at(before, pa);
    let a = at(after, pa);
    if b.is_empty() && a.is_empty() {
        return Join::Unowned;
    }
    for o in b {
        let k = sort_key(o);
        if a.binary_search_by_key(&k, sort_key).is_ok() {
            return Join::Owner(o);
        }
    }
    Join::Changed
}
