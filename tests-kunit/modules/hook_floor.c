// SPDX-License-Identifier: GPL-2.0
/*
 * hook_floor: a test module for make bench. It registers, with empty
 * handlers, the hooks iommu-scope's accounting puts on the map/unmap path
 * of every DMA: an fprobe at the entry of __iommu_unmap and probes on the
 * iommu core's iommu:map and iommu:unmap tracepoints. What it adds to a
 * map or unmap is the least any module can add with the hook points the
 * kernel offers it (the in-tree iommu.debug_pagealloc is called from
 * static keys instead). "hits" counts the unmap entries seen, so that a
 * probe that never fired cannot pass for a cheap one. Test VMs only; not
 * part of the product.
 */
#include <linux/fprobe.h>
#include <linux/module.h>
#include <linux/tracepoint.h>
#include <trace/events/iommu.h>

static unsigned long hits;
module_param(hits, ulong, 0444);
MODULE_PARM_DESC(hits, "__iommu_unmap entries seen (racy; 0 means the probe never fired)");

static int floor_unmap_entry(struct fprobe *fp, unsigned long ip,
			     unsigned long ret_ip, struct ftrace_regs *fregs,
			     void *data)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return 0;
}

static struct fprobe floor_fp = {
	.entry_handler = floor_unmap_entry,
};

static void floor_map(void *data, unsigned long iova, phys_addr_t paddr,
		      size_t size)
{
}

static void floor_unmap(void *data, unsigned long iova, size_t size,
			size_t unmapped)
{
}

static int __init hook_floor_init(void)
{
	int ret;

	ret = register_fprobe(&floor_fp, "__iommu_unmap", NULL);
	if (ret)
		return ret;
	ret = register_trace_map(floor_map, NULL);
	if (ret)
		goto out_fprobe;
	ret = register_trace_unmap(floor_unmap, NULL);
	if (ret)
		goto out_map;
	return 0;
out_map:
	unregister_trace_map(floor_map, NULL);
	tracepoint_synchronize_unregister();
out_fprobe:
	unregister_fprobe(&floor_fp);
	return ret;
}

static void __exit hook_floor_exit(void)
{
	unregister_trace_unmap(floor_unmap, NULL);
	unregister_trace_map(floor_map, NULL);
	tracepoint_synchronize_unregister();
	unregister_fprobe(&floor_fp);
}

module_init(hook_floor_init);
module_exit(hook_floor_exit);
MODULE_DESCRIPTION("make bench: empty hooks where iommu-scope's accounting hooks the DMA path");
MODULE_LICENSE("GPL");
