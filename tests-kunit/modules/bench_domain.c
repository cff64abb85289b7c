// SPDX-License-Identifier: GPL-2.0
/*
 * bench_domain: a benchmark-only module (make bench, never the product).
 * On load it allocates a paging domain of its own for the edu device's
 * IOMMU (never attached, so no DMA) and maps "pages" 4K pages at
 * consecutive IOVAs from BENCH_IOVA, one iommu_map() per page so that every
 * page is a leaf of its own. With layout=contiguous the physical addresses
 * are consecutive too (the dump coalesces everything into one run); with
 * layout=scattered they go down (every page is a run of its own). The
 * physical addresses are above the guest's RAM: nothing ever accesses them.
 *
 * Reading the parameter "walk" walks the domain's stage-1 table (4K
 * granule) and reads every valid descriptor once with
 * copy_from_kernel_nofault(), the primitive any safe reader of a live
 * table pays per descriptor: "reads=<n> ns=<t>", the floor of a dump.
 * Test VMs only.
 */
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include "arm-smmu-v3.h"
#include "edu_domain.h"

#define BENCH_IOVA	0x100000000UL
#define BENCH_PA	0x2000000000ULL

static unsigned int pages = 262144;
module_param(pages, uint, 0444);
MODULE_PARM_DESC(pages, "4K pages mapped at load");
static char *layout = "scattered";
module_param(layout, charp, 0444);
MODULE_PARM_DESC(layout, "contiguous or scattered physical addresses");

static struct iommu_domain *domain;
static unsigned int mapped;

static u64 walk_table(u64 table_pa, int level, u64 *reads)
{
	u64 bad = 0;
	int i;

	for (i = 0; i < 512; i++) {
		u64 d;

		if (copy_from_kernel_nofault(&d, phys_to_virt(table_pa + 8 * i), 8))
			return ++bad;
		(*reads)++;
		if ((d & 3) == 3 && level < 3)
			bad += walk_table(d & GENMASK_ULL(47, 12), level + 1, reads);
	}
	return bad;
}

static int walk_get(char *buf, const struct kernel_param *kp)
{
	struct io_pgtable *iop;
	u64 reads = 0, bad, t0, t1;
	unsigned int ias, levels;

	if (!domain)
		return -ENODEV;
	iop = io_pgtable_ops_to_pgtable(to_smmu_domain(domain)->pgtbl_ops);
	if (iop->fmt != ARM_64_LPAE_S1 || !(iop->cfg.pgsize_bitmap & SZ_4K))
		return -EOPNOTSUPP;
	/* A 4K granule resolves 9 bits per level; one root table of 512. */
	ias = iop->cfg.ias;
	levels = DIV_ROUND_UP(ias - 12, 9);
	if (ias != 12 + 9 * levels)
		return -EOPNOTSUPP;
	t0 = ktime_get_ns();
	bad = walk_table(iop->cfg.arm_lpae_s1_cfg.ttbr & GENMASK_ULL(47, 12),
			 4 - levels, &reads);
	t1 = ktime_get_ns();
	return sysfs_emit(buf, "reads=%llu ns=%llu unreadable=%llu\n", reads,
			  t1 - t0, bad);
}

static const struct kernel_param_ops walk_ops = { .get = walk_get };
module_param_cb(walk, &walk_ops, NULL, 0444);
MODULE_PARM_DESC(walk, "read: walk the domain's table once, reads and time");

static void cleanup(void)
{
	if (mapped)
		iommu_unmap(domain, BENCH_IOVA, (size_t)mapped * SZ_4K);
	if (domain)
		iommu_domain_free(domain);
}

static int __init bench_domain_init(void)
{
	bool contiguous = !strcmp(layout, "contiguous");
	u64 t0 = ktime_get_ns();
	unsigned int i;
	int ret = 0;

	if (!contiguous && strcmp(layout, "scattered"))
		return -EINVAL;
	domain = edu_domain_alloc();
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		domain = NULL;
		return ret;
	}
	if (!(domain->pgsize_bitmap & SZ_4K)) {
		ret = -EOPNOTSUPP;
		goto err;
	}
	for (i = 0; i < pages; i++) {
		u64 pa = BENCH_PA + (u64)(contiguous ? i : pages - 1 - i) * SZ_4K;

		ret = iommu_map(domain, BENCH_IOVA + (u64)i * SZ_4K, pa, SZ_4K,
				IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
		if (ret)
			goto err;
		mapped = i + 1;
		cond_resched();
	}
	pr_info("bench_domain: domain %p pages=%u layout=%s map_ms=%llu\n",
		domain, pages, layout, (ktime_get_ns() - t0) / NSEC_PER_MSEC);
	return 0;
err:
	cleanup();
	return ret;
}

static void __exit bench_domain_exit(void)
{
	cleanup();
}

module_init(bench_domain_init);
module_exit(bench_domain_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iommu-scope benchmark: a domain of many 4K mappings");
