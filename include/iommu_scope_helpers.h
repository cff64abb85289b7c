/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: C helpers called from Rust. Each one wraps a static inline
 * function or a macro that bindgen cannot turn into a callable symbol, or
 * fires a tracepoint defined in C.
 *
 * Owns: the prototypes of c/helpers.c and c/trace_points.c.
 * Must not: hold state.
 */
#ifndef _IOMMU_SCOPE_HELPERS_H
#define _IOMMU_SCOPE_HELPERS_H

#include <linux/types.h>
#include <linux/io-pgtable.h>

struct ftrace_regs;
struct device;
struct page;

unsigned long iommu_scope_fregs_arg(struct ftrace_regs *fregs, unsigned int n);
unsigned long iommu_scope_fregs_ret(struct ftrace_regs *fregs);

/* Callback of iommu_scope_walk_pci_devs: non-zero stops the walk. */
typedef int (*iommu_scope_dev_fn_t)(struct device *dev, void *data);

/* Iterate over every PCI device. */
int iommu_scope_walk_pci_devs(iommu_scope_dev_fn_t cb, void *data);
/* Iterate over every PCI and platform device. */
int iommu_scope_walk_devs(iommu_scope_dev_fn_t cb, void *data);

phys_addr_t iommu_scope_page_to_phys(struct page *page);

/*
 * Read the u64 at physical address @pa without ever faulting: -EINVAL if
 * @pa is not 8-byte aligned RAM with a struct page, -EFAULT if the linear
 * map has no valid mapping for it (freed and unmapped, ...).
 */
int iommu_scope_read_phys_u64(phys_addr_t pa, u64 *out);

/*
 * Whether @size bytes at @pa can be a live page table: RAM with struct
 * pages, each page allocated (refcount > 0) and not reserved.
 */
bool iommu_scope_table_ok(phys_addr_t pa, u64 size);

/*
 * KUnit only: overwrite the u64 at @pa (a page-table page the test owns),
 * to stand for a hardware update (HTTU dirty) or a contiguous hint.
 */
int iommu_scope_test_write_phys_u64(phys_addr_t pa, u64 val);

/* io-pgtable quirk values, for Rust (bindgen does not expand BIT()). */
enum iommu_scope_pgtbl_quirks {
	IOMMU_SCOPE_QUIRK_ARM_HD = IO_PGTABLE_QUIRK_ARM_HD,
};

/* Write the hashed value %p prints for @ptr into @buf (NUL-terminated). */
void iommu_scope_hashed_ptr(const void *ptr, char *buf, size_t len);

/* Called for every freed range of pages (any context). */
typedef void (*iommu_scope_free_cb_t)(unsigned long pfn, unsigned int nr);

/*
 * Probe kmem:mm_page_free and kmem:mm_page_free_batched; -ENOENT if either
 * tracepoint does not exist.
 */
int iommu_scope_page_free_register(iommu_scope_free_cb_t cb);
/* Unregister both probes and wait until none runs. */
void iommu_scope_page_free_unregister(void);
/* The current task's comm (@len >= TASK_COMM_LEN) and pid. */
void iommu_scope_current_comm(char *buf, size_t len, int *pid);

/* The module's self-check tracepoint, iommu_scope:scope_selftest. */
void iommu_scope_trace_selftest(const char *what, u64 value);

#endif /* _IOMMU_SCOPE_HELPERS_H */
