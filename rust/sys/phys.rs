// SPDX-License-Identifier: GPL-2.0

//! Reading page-table memory by physical address without ever faulting
//! (`c/helpers.c`: `copy_from_kernel_nofault` of
//! [`include/linux/uaccess.h`](srctree/include/linux/uaccess.h) through the
//! linear map, after checking that the address is RAM with a
//! `struct page`).
//!
//! Owns: `PhysMemory`, the `walk::Memory` every walk of a live table uses
//! (runs of descriptors in one copy per page, for
//! `walk::leaves_in_range`), and `SequentialPhys`, the one the hooks'
//! fallback walks, `Table::unmap_end` and the streamed dumps use (it reads
//! a run of descriptors at once once a walk reads a table in order).
//! Must not: write memory, or promise more than it does: a table freed and
//! reused during a walk is read as whatever the page held when it was read
//! (for `SequentialPhys`, when its block was read; the dumps detect that
//! with the unmap counters, see `ptdump`).

use super::ffi;
use crate::pure::walk::{words_in_page, Memory};

/// Reads tables through the kernel's linear map without ever faulting.
pub(crate) struct PhysMemory;

impl Memory for PhysMemory {
    fn read(&mut self, table_pa: u64, _size: u64, index: usize) -> Option<u64> {
        let pa = table_pa.checked_add(8u64.checked_mul(index as u64)?)?;
        let mut v = 0u64;
        // SAFETY: the helper validates the address (aligned, RAM with a
        // struct page) and reads with `copy_from_kernel_nofault`; `v` is a
        // valid destination.
        let r = unsafe { ffi::iommu_scope_read_phys_u64(pa, &mut v) };
        (r == 0).then_some(v)
    }

    fn table_ok(&mut self, pa: u64, size: u64) -> bool {
        // SAFETY: the helper only inspects `struct page`s of valid PFNs.
        unsafe { ffi::iommu_scope_table_ok(pa, size) }
    }

    /// One never-faulting copy per page the run spans.
    fn read_run(&mut self, table_pa: u64, size: u64, index: usize, out: &mut [u64]) -> bool {
        let Some(end) = index.checked_add(out.len()) else {
            return false;
        };
        if (end as u64) > size / 8 {
            return false;
        }
        let mut done = 0;
        while done < out.len() {
            let Some(pa) = (index + done)
                .checked_mul(8)
                .and_then(|o| table_pa.checked_add(o as u64))
            else {
                return false;
            };
            let n = words_in_page(pa, kernel::page::PAGE_SIZE as u64, out.len() - done);
            let Some(dst) = out.get_mut(done..done + n) else {
                return false;
            };
            // SAFETY: the helper validates the range (aligned, within one
            // page, a valid PFN) and reads it with
            // `copy_from_kernel_nofault`; `dst` has room for `n` words.
            let r = unsafe { ffi::iommu_scope_read_phys_block(pa, dst.as_mut_ptr(), n as u32) };
            if r != 0 {
                return false;
            }
            done += n;
        }
        true
    }
}

/// Descriptors `SequentialPhys` reads at once (256 bytes, on the stack of
/// a hook's walk, in the open file's state for a dump).
const BLOCK: usize = 32;

/// `PhysMemory` for walks that read tables in order (the hooks' fallback
/// walks of an unmapped range, the streamed dumps): once two descriptors of a table were read one after
/// the other, the next ones come `BLOCK` at a time (one check and one
/// never-faulting copy, within the table and its page), so a long range
/// costs a fraction of a read per descriptor and a short one what it did.
/// Like `PhysMemory` it reads only inside the table (`index` below
/// `size / 8`).
///
/// # Invariants
///
/// `buf[..n]` are the descriptors at `base`, `base + 8`, ... as read from
/// memory during this walk: a view up to one walk old, so it serves one
/// walk, or one stretch of a paused walk (a streamed dump makes a new one
/// at each resume, before `Walker::revalidate`), never two walks.
pub(crate) struct SequentialPhys {
    base: u64,
    n: usize,
    /// The physical address of the last descriptor read one at a time.
    last: u64,
    buf: [u64; BLOCK],
}

impl SequentialPhys {
    /// Nothing read yet.
    pub(crate) fn new() -> Self {
        Self {
            base: 0,
            n: 0,
            last: u64::MAX,
            buf: [0; BLOCK],
        }
    }
}

impl Memory for SequentialPhys {
    /// A descriptor already in the block is returned here (inlined into
    /// the walk: it runs for every descriptor); the others are read by
    /// `read_memory`.
    #[inline]
    fn read(&mut self, table_pa: u64, size: u64, index: usize) -> Option<u64> {
        if (index as u64) >= size / 8 {
            return None;
        }
        let pa = table_pa.checked_add(8u64.checked_mul(index as u64)?)?;
        if let Some(off) = pa.checked_sub(self.base) {
            if off % 8 == 0 && ((off / 8) as usize) < self.n {
                return self.buf.get((off / 8) as usize).copied();
            }
        }
        self.read_memory(table_pa, size, index, pa)
    }

    fn table_ok(&mut self, pa: u64, size: u64) -> bool {
        PhysMemory.table_ok(pa, size)
    }
}

impl SequentialPhys {
    /// `read` of descriptor `index` (at `pa`) of the table at `table_pa`,
    /// not in the block: one at a time, or the next block once two were
    /// read in order.
    #[inline(never)]
    fn read_memory(&mut self, table_pa: u64, size: u64, index: usize, pa: u64) -> Option<u64> {
        let sequential = self.last.checked_add(8) == Some(pa);
        self.last = pa;
        if !sequential {
            return PhysMemory.read(table_pa, size, index);
        }
        // The rest of the table, within `BLOCK` and this page.
        let table_end = table_pa.checked_add(size)?;
        let in_table = (table_end.saturating_sub(pa) / 8).min(BLOCK as u64) as usize;
        let n = words_in_page(pa, kernel::page::PAGE_SIZE as u64, in_table);
        if n == 0 {
            return None;
        }
        self.n = 0;
        // SAFETY: the helper validates the range (aligned, one page, a
        // valid PFN) and reads it with `copy_from_kernel_nofault`; `buf`
        // has room for `n <= BLOCK` words.
        let r = unsafe { ffi::iommu_scope_read_phys_block(pa, self.buf.as_mut_ptr(), n as u32) };
        if r != 0 {
            return None;
        }
        // INVARIANT: `buf[..n]` was just read from `pa` on.
        self.base = pa;
        self.n = n;
        // The read after the block is in order too.
        self.last = pa.saturating_add(8 * (n as u64 - 1));
        self.buf.first().copied()
    }
}
