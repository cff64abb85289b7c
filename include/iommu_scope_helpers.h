/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: C helpers called from Rust (rust/sys/ only). Each one wraps
 * a static inline function or a macro that bindgen cannot turn into a
 * callable symbol.
 *
 * Owns: the prototypes of c/helpers.c and c/page_free_hooks.c.
 * Must not: hold state, or declare anything only tests use
 * (iommu_scope_kunit.h does).
 */
#ifndef _IOMMU_SCOPE_HELPERS_H
#define _IOMMU_SCOPE_HELPERS_H

#include <linux/types.h>
#include <linux/spinlock_types.h>

struct ftrace_regs;
struct device;
struct iommu_domain;

unsigned long iommu_scope_fregs_arg(struct ftrace_regs *fregs, unsigned int n);
unsigned long iommu_scope_fregs_ret(struct ftrace_regs *fregs);

/* Callback of iommu_scope_walk_devs: non-zero stops the walk. */
typedef int (*iommu_scope_dev_fn_t)(struct device *dev, void *data);

/*
 * Iterate over every PCI device, then every platform device (process
 * context); stops at the first non-zero return and returns it.
 */
int iommu_scope_walk_devs(iommu_scope_dev_fn_t cb, void *data);

/*
 * Call @cb with the domain @dev's iommu group is attached to, under the
 * group's mutex (so the domain cannot be detached, hence freed, during the
 * call); nothing if @dev has no group or domain. Process context.
 */
typedef void (*iommu_scope_domain_fn_t)(struct iommu_domain *domain,
					void *data);
void iommu_scope_with_dev_domain(struct device *dev, iommu_scope_domain_fn_t cb,
				 void *data);

/*
 * Read the u64 at physical address @pa without ever faulting: -EINVAL if
 * @pa is not 8-byte aligned RAM with a struct page, -EFAULT if the linear
 * map has no valid mapping for it (freed and unmapped, ...).
 */
int iommu_scope_read_phys_u64(phys_addr_t pa, u64 *out);
/*
 * Read @n (>= 1) u64 words at physical address @pa, all within one page,
 * the same way: -EINVAL or -EFAULT and @out undefined on failure.
 */
int iommu_scope_read_phys_block(phys_addr_t pa, u64 *out, unsigned int n);

/*
 * Whether @size bytes at @pa can be a live page table: RAM with struct
 * pages, each page allocated (refcount > 0) and not reserved.
 */
bool iommu_scope_table_ok(phys_addr_t pa, u64 size);
/*
 * The driver's translation of @iova in @domain (0: none), as the iommu core
 * looks it up itself before an unmap (iommu_debug_unmap_begin). The caller
 * must hold @domain, and no table covering @iova may be freed meanwhile
 * (true at the entry of __iommu_unmap for the range it unmaps).
 */
phys_addr_t iommu_scope_iova_to_phys(struct iommu_domain *domain,
				     unsigned long iova);
/*
 * Whether this CPU is online: a tracepoint does not fire on a CPU that is
 * not (yet, or any more) online (any context).
 */
bool iommu_scope_cpu_online(void);
/* The number of possible CPU ids. */
unsigned int iommu_scope_nr_cpu_ids(void);

/* Write the hashed value %p prints for @ptr into @buf (NUL-terminated). */
void iommu_scope_hashed_ptr(const void *ptr, char *buf, size_t len);

/*
 * raw_spinlock_t with interrupts saved, for rust/sys/rawlock.rs: the lock
 * hooks may take in any context, PREEMPT_RT included (where spinlock_t
 * sleeps). @name and @key are the lockdep class (static).
 */
struct lock_class_key;
void iommu_scope_raw_spin_lock_init(raw_spinlock_t *lock, const char *name,
				    struct lock_class_key *key);
unsigned long iommu_scope_raw_spin_lock_irqsave(raw_spinlock_t *lock);
void iommu_scope_raw_spin_unlock_irqrestore(raw_spinlock_t *lock,
					    unsigned long flags);
bool iommu_scope_raw_spin_trylock_irqsave(raw_spinlock_t *lock,
					  unsigned long *flags);
void iommu_scope_raw_spin_assert_held(raw_spinlock_t *lock);

/*
 * Waits until every call that was running or preempted when it was called
 * has returned, in any context (process context; may take a while): a
 * tasks-RCU grace period where tasks can be preempted, then a normal one.
 */
void iommu_scope_wait_for_callers(void);

/* Called for every freed range of pages (any context) with @data. */
typedef void (*iommu_scope_free_cb_t)(void *data, unsigned long pfn,
				      unsigned int nr);

/*
 * Probe kmem:mm_page_free and kmem:mm_page_free_batched, calling @cb with
 * @data; -ENOENT if either tracepoint does not exist, -EBUSY while a
 * registration exists (one at a time; process context, serialised by the
 * caller: module init and exit).
 */
int iommu_scope_page_free_register(iommu_scope_free_cb_t cb, void *data);
/* Unregister both probes and wait until none runs. */
void iommu_scope_page_free_unregister(void);
/* Called for every map that reached a page table (any context). */
typedef void (*iommu_scope_map_cb_t)(void *data, unsigned long iova,
				     phys_addr_t paddr, size_t size);

/*
 * Probe iommu:map, calling @cb with @data; -EBUSY while a registration
 * exists (one at a time; process context, serialised by the caller).
 */
int iommu_scope_map_trace_register(iommu_scope_map_cb_t cb, void *data);
/* Unregister the probe and wait until it no longer runs. */
void iommu_scope_map_trace_unregister(void);
/* Called as every __iommu_unmap() that passed its checks ends (any context). */
typedef void (*iommu_scope_unmap_cb_t)(void *data, unsigned long iova,
				       size_t size, size_t unmapped);

/* As iommu_scope_map_trace_register(), for iommu:unmap. */
int iommu_scope_unmap_trace_register(iommu_scope_unmap_cb_t cb, void *data);
/* Unregister the probe and wait until it no longer runs. */
void iommu_scope_unmap_trace_unregister(void);
/*
 * The identity of the current execution context: the address of current
 * with the interrupt level in bits 0-1 (0 task, 1 serving a softirq, also
 * PREEMPT_RT's, 2 hardirq, 3 NMI level). Unique among the contexts running
 * at one time below the NMI level (NMI-level contexts may nest). One call:
 * the hooks ask on every unmap (any context).
 */
unsigned long iommu_scope_context_id(void);

/* The current task's comm (@len >= TASK_COMM_LEN) and pid. */
void iommu_scope_current_comm(char *buf, size_t len, int *pid);

#endif /* _IOMMU_SCOPE_HELPERS_H */
