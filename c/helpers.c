// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: C wrappers for static inline kernel functions and macros that
 * Rust cannot call directly (bindgen gives no symbol for them).
 *
 * Owns: nothing but these thin wrappers.
 * Must not: keep state, take locks, or allocate.
 */
#include <linux/ftrace.h>
#include <linux/pci.h>

#include "iommu_scope_helpers.h"

unsigned long iommu_scope_fregs_arg(struct ftrace_regs *fregs, unsigned int n)
{
	return ftrace_regs_get_argument(fregs, n);
}

unsigned long iommu_scope_fregs_ret(struct ftrace_regs *fregs)
{
	return ftrace_regs_get_return_value(fregs);
}

phys_addr_t iommu_scope_page_to_phys(struct page *page)
{
	return page_to_phys(page);
}

struct pci_walk {
	iommu_scope_dev_fn_t fn;
	void *data;
};

static int pci_walk_one(struct device *dev, void *data)
{
	struct pci_walk *w = data;

	return w->fn(dev, w->data);
}

int iommu_scope_walk_pci_devs(iommu_scope_dev_fn_t cb, void *data)
{
	struct pci_walk w = { .fn = cb, .data = data };

	return bus_for_each_dev(&pci_bus_type, NULL, &w, pci_walk_one);
}
