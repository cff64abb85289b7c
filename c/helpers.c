// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: C wrappers for static inline kernel functions and macros that
 * Rust cannot call directly (bindgen gives no symbol for them).
 *
 * Owns: nothing but these thin wrappers.
 * Must not: keep state, take locks, or allocate.
 */
#include <linux/cpumask.h>
#include <linux/ftrace.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "iommu_scope_helpers.h"

unsigned long iommu_scope_fregs_arg(struct ftrace_regs *fregs, unsigned int n)
{
	return ftrace_regs_get_argument(fregs, n);
}

unsigned long iommu_scope_fregs_ret(struct ftrace_regs *fregs)
{
	return ftrace_regs_get_return_value(fregs);
}

struct dev_domain_call {
	struct device *dev;
	iommu_scope_domain_fn_t cb;
	void *data;
};

/* Called with the group mutex held, for each device of the group. */
static int dev_domain_in_group(struct device *dev, void *data)
{
	struct dev_domain_call *c = data;
	struct iommu_domain *domain;

	if (dev != c->dev)
		return 0;
	domain = iommu_driver_get_domain_for_dev(dev);
	if (domain)
		c->cb(domain, c->data);
	return 1;
}

void iommu_scope_with_dev_domain(struct device *dev, iommu_scope_domain_fn_t cb,
				 void *data)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct dev_domain_call c = { .dev = dev, .cb = cb, .data = data };

	if (!group)
		return;
	iommu_group_for_each_dev(group, &c, dev_domain_in_group);
	iommu_group_put(group);
}

int iommu_scope_walk_devs(iommu_scope_dev_fn_t cb, void *data)
{
	int ret;

	ret = bus_for_each_dev(&pci_bus_type, NULL, data, cb);
	if (ret)
		return ret;
	return bus_for_each_dev(&platform_bus_type, NULL, data, cb);
}

/*
 * An allocated RAM page: valid PFN, not reserved, and its folio holds a
 * reference (tail pages of a high-order table have refcount 0 themselves).
 * Racy by nature: the page may be freed right after; callers only use it
 * to refuse obviously wrong pointers and read with nofault accessors.
 */
static bool pfn_is_live_ram(unsigned long pfn)
{
	struct page *page;

	if (!pfn_valid(pfn))
		return false;
	page = pfn_to_page(pfn);
	return !PageReserved(page) && folio_ref_count(page_folio(page)) > 0;
}

int iommu_scope_read_phys_u64(phys_addr_t pa, u64 *out)
{
	if (!IS_ALIGNED(pa, sizeof(u64)) || !pfn_valid(PHYS_PFN(pa)))
		return -EINVAL;
	if (copy_from_kernel_nofault(out, phys_to_virt(pa), sizeof(*out)))
		return -EFAULT;
	return 0;
}

int iommu_scope_read_phys_block(phys_addr_t pa, u64 *out, unsigned int n)
{
	if (!n || !IS_ALIGNED(pa, sizeof(u64)) ||
	    offset_in_page(pa) + (size_t)n * sizeof(u64) > PAGE_SIZE ||
	    !pfn_valid(PHYS_PFN(pa)))
		return -EINVAL;
	if (copy_from_kernel_nofault(out, phys_to_virt(pa), n * sizeof(u64)))
		return -EFAULT;
	return 0;
}

bool iommu_scope_table_ok(phys_addr_t pa, u64 size)
{
	phys_addr_t p;

	if (!size || !IS_ALIGNED(pa, min_t(u64, PAGE_SIZE, size)))
		return false;
	for (p = pa & PAGE_MASK; p < pa + size; p += PAGE_SIZE)
		if (!pfn_is_live_ram(PHYS_PFN(p)))
			return false;
	return true;
}

phys_addr_t iommu_scope_iova_to_phys(struct iommu_domain *domain,
				     unsigned long iova)
{
	/* A driver without the op gives 0: the caller walks the table. */
	if (!domain->ops || !domain->ops->iova_to_phys)
		return 0;
	return iommu_iova_to_phys(domain, iova);
}

bool iommu_scope_cpu_online(void)
{
	return cpu_online(raw_smp_processor_id());
}

unsigned int iommu_scope_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

void iommu_scope_hashed_ptr(const void *ptr, char *buf, size_t len)
{
	snprintf(buf, len, "%p", ptr);
}

/* --- raw spinlocks (rust/sys/rawlock.rs) ----------------------------- */

void iommu_scope_raw_spin_lock_init(raw_spinlock_t *lock, const char *name,
				    struct lock_class_key *key)
{
#ifdef CONFIG_DEBUG_SPINLOCK
	__raw_spin_lock_init(lock, name, key, LD_WAIT_SPIN);
#else
	raw_spin_lock_init(lock);
#endif
}

unsigned long iommu_scope_raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(lock, flags);
	return flags;
}

void iommu_scope_raw_spin_unlock_irqrestore(raw_spinlock_t *lock,
					    unsigned long flags)
{
	raw_spin_unlock_irqrestore(lock, flags);
}

bool iommu_scope_raw_spin_trylock_irqsave(raw_spinlock_t *lock,
					  unsigned long *flags)
{
	return raw_spin_trylock_irqsave(lock, *flags);
}

void iommu_scope_raw_spin_assert_held(raw_spinlock_t *lock)
{
	lockdep_assert_held(lock);
}

void iommu_scope_wait_for_callers(void)
{
	/*
	 * A task preempted inside a probed function has not passed a
	 * voluntary context switch: Tasks RCU waits for it. Code that runs
	 * with preemption or interrupts off is covered by synchronize_rcu().
	 */
	if (IS_ENABLED(CONFIG_TASKS_RCU))
		synchronize_rcu_tasks();
	synchronize_rcu();
}
