// SPDX-License-Identifier: GPL-2.0
/*
 * walk_cut: a test module for iommu-scope (never part of the product).
 * In a paging domain of its own for the edu device's IOMMU (never
 * attached), it maps one page of the domain's granule (the kernel's page
 * size) at the start of each of a number of slots, a slot being what one
 * lowest-level table covers (2M with 4K pages, 32M with 16K, 512M with
 * 64K), so that the range holds more lowest-level descriptors than one
 * release walk of iommu-scope reads (4,194,304): an unused physical address
 * above RAM in every slot but the last, a page it allocated in the last.
 * Then it unmaps the whole range in one call, frees the page (correctly:
 * after the unmap) and the domain. iommu-scope's walk of that unmap stops
 * at its bound before the last slot, so the page stays counted: its free
 * must be reported as unconfirmed, never as a plain DMA use-after-free.
 */
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sizes.h>

#include "edu_domain.h"

/* iommu-scope's MAX_WALK_READS. */
#define WALK_BOUND	4194304UL
#define BASE_IOVA	0x100000000UL
/* 512 GiB: far above the test machine's RAM, never accessed. */
#define FAKE_PA		0x8000000000ULL

static int __init walk_cut_init(void)
{
	struct iommu_domain *d = edu_domain_alloc();
	/* Descriptors per lowest-level table and the IOVA one covers. */
	unsigned long entries = PAGE_SIZE / sizeof(u64);
	unsigned long slot = entries * PAGE_SIZE;
	/*
	 * Each lowest-level table costs the walk its entries plus one read
	 * per level above: it stops within the first WALK_BOUND / entries
	 * slots, at least 8 before the last.
	 */
	unsigned long slots = WALK_BOUND / entries + 8;
	size_t size = slots * slot, unmapped;
	struct page *page;
	unsigned long i;
	phys_addr_t pa;
	int ret = 0;

	if (IS_ERR(d))
		return PTR_ERR(d);
	if (!(d->pgsize_bitmap & PAGE_SIZE)) {
		iommu_domain_free(d);
		return -EOPNOTSUPP;
	}
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		iommu_domain_free(d);
		return -ENOMEM;
	}
	pa = page_to_phys(page);
	for (i = 0; i < slots; i++) {
		ret = iommu_map(d, BASE_IOVA + i * slot,
				i == slots - 1 ? pa : FAKE_PA + i * PAGE_SIZE,
				PAGE_SIZE, IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
		if (ret)
			break;
		cond_resched();
	}
	/*
	 * What was mapped (all of it unless a map failed). If the unmap stops
	 * short, the page is freed still mapped: the test fails (-EIO) and
	 * the domain is freed right after, unused by any device.
	 */
	unmapped = i ? iommu_unmap(d, BASE_IOVA, i * slot) : 0;
	__free_page(page);
	iommu_domain_free(d);
	if (ret)
		return ret;
	if (unmapped != size)
		return -EIO;
	pr_info("walk_cut: unmapped %lu slots of 0x%lx up to iova 0x%lx, freed pa=0x%llx after its unmap\n",
		slots, slot, BASE_IOVA + size, (unsigned long long)pa);
	return 0;
}

static void __exit walk_cut_exit(void)
{
}

module_init(walk_cut_init);
module_exit(walk_cut_exit);
MODULE_DESCRIPTION("iommu-scope test: an unmap longer than one release walk");
MODULE_LICENSE("GPL");
