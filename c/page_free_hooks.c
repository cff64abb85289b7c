// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: probes on the kernel's page free tracepoints
 * (kmem:mm_page_free and kmem:mm_page_free_batched), found by name, that
 * hand every freed PFN range to a Rust callback.
 *
 * Owns: the registration of those two probes.
 * Must not: decide anything; the callback checks the refcounts.
 */
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "iommu_scope_helpers.h"

static iommu_scope_free_cb_t free_cb;
static struct tracepoint *tp_free, *tp_free_batched;

static void probe_free(void *data, struct page *page, unsigned int order)
{
	free_cb(data, page_to_pfn(page), 1U << order);
}

static void probe_free_batched(void *data, struct page *page)
{
	free_cb(data, page_to_pfn(page), 1);
}

static void find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "mm_page_free"))
		tp_free = tp;
	else if (!strcmp(tp->name, "mm_page_free_batched"))
		tp_free_batched = tp;
}

static void *free_data;
static bool registered;

int iommu_scope_page_free_register(iommu_scope_free_cb_t cb, void *data)
{
	int ret;

	if (registered)
		return -EBUSY;
	tp_free = NULL;
	tp_free_batched = NULL;
	for_each_kernel_tracepoint(find_tp, NULL);
	if (!tp_free || !tp_free_batched)
		return -ENOENT;
	free_cb = cb;
	free_data = data;
	ret = tracepoint_probe_register(tp_free, probe_free, data);
	if (ret)
		return ret;
	ret = tracepoint_probe_register(tp_free_batched, probe_free_batched,
					data);
	if (ret) {
		tracepoint_probe_unregister(tp_free, probe_free, data);
		tracepoint_synchronize_unregister();
		return ret;
	}
	registered = true;
	return 0;
}

void iommu_scope_page_free_unregister(void)
{
	if (!registered)
		return;
	registered = false;
	tracepoint_probe_unregister(tp_free_batched, probe_free_batched,
				    free_data);
	tracepoint_probe_unregister(tp_free, probe_free, free_data);
	tracepoint_synchronize_unregister();
}

void iommu_scope_current_comm(char *buf, size_t len, int *pid)
{
	strscpy(buf, current->comm, len);
	*pid = task_pid_nr(current);
}
