// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: a probe on the iommu core's own iommu:map tracepoint
 * (include/trace/events/iommu.h, exported to GPL modules, registered with
 * its typed register_trace_map()), that hands each map's (iova, paddr,
 * mapped size) to a Rust callback. In 7.x the core fires it once per
 * iommu_map_nosync() that passed its argument checks, with the size
 * actually mapped (0 included), also when the call fails (it then unmaps
 * exactly that much), so counting at it needs no return probe.
 *
 * The same for the core's iommu:unmap tracepoint, which __iommu_unmap()
 * fires once the table is written (every call that passed its argument
 * checks), with the size asked for and the size really unmapped: what an
 * entry-only probe of __iommu_unmap needs to learn how the call ended,
 * without a function-return probe.
 *
 * Also: how execution contexts nest (for recognising a call at its
 * tracepoint).
 *
 * Owns: the registration of those probes. Must not: decide anything; the
 * callbacks do.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <trace/events/iommu.h>

#include "iommu_scope_helpers.h"

static iommu_scope_map_cb_t map_cb;
static void *map_data;
static bool map_registered;

static void probe_map(void *data, unsigned long iova, phys_addr_t paddr,
		      size_t size)
{
	map_cb(data, iova, paddr, size);
}

int iommu_scope_map_trace_register(iommu_scope_map_cb_t cb, void *data)
{
	int ret;

	if (map_registered)
		return -EBUSY;
	map_cb = cb;
	map_data = data;
	ret = register_trace_map(probe_map, data);
	if (ret)
		return ret;
	map_registered = true;
	return 0;
}

void iommu_scope_map_trace_unregister(void)
{
	if (!map_registered)
		return;
	map_registered = false;
	unregister_trace_map(probe_map, map_data);
	tracepoint_synchronize_unregister();
}

static iommu_scope_unmap_cb_t unmap_cb;
static void *unmap_data;
static bool unmap_registered;

static void probe_unmap(void *data, unsigned long iova, size_t size,
			size_t unmapped)
{
	unmap_cb(data, iova, size, unmapped);
}

int iommu_scope_unmap_trace_register(iommu_scope_unmap_cb_t cb, void *data)
{
	int ret;

	if (unmap_registered)
		return -EBUSY;
	unmap_cb = cb;
	unmap_data = data;
	ret = register_trace_unmap(probe_unmap, data);
	if (ret)
		return ret;
	unmap_registered = true;
	return 0;
}

void iommu_scope_unmap_trace_unregister(void)
{
	if (!unmap_registered)
		return;
	unmap_registered = false;
	unregister_trace_unmap(probe_unmap, unmap_data);
	tracepoint_synchronize_unregister();
}

unsigned long iommu_scope_context_id(void)
{
	unsigned long id = (unsigned long)current;

	/* A task_struct is aligned to at least 4 bytes: bits 0-1 are free. */
	BUILD_BUG_ON(__alignof__(struct task_struct) < 4);
	/* in_serving_softirq() also counts PREEMPT_RT's per-task softirqs. */
	if (in_nmi())
		return id | 3;
	if (in_hardirq())
		return id | 2;
	if (in_serving_softirq())
		return id | 1;
	return id;
}
