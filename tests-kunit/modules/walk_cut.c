// SPDX-License-Identifier: GPL-2.0
/*
 * walk_cut: a test module for iommu-scope (never part of the product).
 * In a paging domain of its own for the edu device's IOMMU (never
 * attached), it maps one 4K page in each of SLOTS 2M slots (an unused
 * physical address above RAM in all but the last, a page it allocated in
 * the last), so the range holds more lowest-level descriptors than one
 * release walk of iommu-scope reads (4,194,304), then unmaps the whole
 * range in one call, frees the page (correctly: after the unmap) and the
 * domain. iommu-scope's walk of that unmap stops at its bound before the
 * last slot, so the page stays counted: its free must be reported as
 * unconfirmed, never as a plain DMA use-after-free.
 */
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include "edu_domain.h"

#define SLOTS		8200UL
#define BASE_IOVA	0x100000000UL
/* 512 GiB: far above the test machine's RAM, never accessed. */
#define FAKE_PA		0x8000000000ULL

static int __init walk_cut_init(void)
{
	struct iommu_domain *d = edu_domain_alloc();
	size_t size = SLOTS * SZ_2M;
	struct page *page;
	phys_addr_t pa;
	unsigned long i;
	size_t unmapped;
	int ret = 0;

	if (IS_ERR(d))
		return PTR_ERR(d);
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		iommu_domain_free(d);
		return -ENOMEM;
	}
	pa = page_to_phys(page);
	for (i = 0; i < SLOTS && !ret; i++)
		ret = iommu_map(d, BASE_IOVA + i * SZ_2M,
				i == SLOTS - 1 ? pa : FAKE_PA + i * SZ_4K, SZ_4K,
				IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	unmapped = iommu_unmap(d, BASE_IOVA, size);
	__free_page(page);
	iommu_domain_free(d);
	if (ret)
		return ret;
	if (unmapped != size)
		return -EIO;
	pr_info("walk_cut: unmapped %lu slots, freed pa=0x%llx after its unmap\n",
		SLOTS, (unsigned long long)pa);
	return 0;
}

static void __exit walk_cut_exit(void)
{
}

module_init(walk_cut_init);
module_exit(walk_cut_exit);
MODULE_DESCRIPTION("iommu-scope test: an unmap longer than one release walk");
MODULE_LICENSE("GPL");
