// SPDX-License-Identifier: GPL-2.0
/*
 * unmap_loop: a test module for iommu-scope's dump consistency marks. On
 * load it allocates a paging domain of its own (for the edu device's
 * IOMMU, never attached), maps STABLE pages at every other page of IOVA
 * from STABLE_IOVA (so each is a run of its own in a dump), and starts a
 * thread that, while the "run" parameter is 1, maps one more page at
 * TOGGLE_IOVA, sleeps, unmaps it, sleeps, and so on. "unmaps" counts the
 * unmaps that returned. The domain's hashed address (%p, the name of its
 * io_page_tables directory) is in the kernel log. Test VMs only.
 */
#include <linux/delay.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "edu_domain.h"

/*
 * Enough runs that a dump (about 100 bytes a run) is more than one
 * read(2)'s fill of the seq_file buffer (one page): the test holds a dump
 * between two fills. 512 with 4K and 16K pages, 1024 with 64K.
 */
#define STABLE		(PAGE_SIZE / 64 > 512 ? PAGE_SIZE / 64 : 512)
/* Physical pages they map (one block, used round-robin). */
#define NR_PAGES	512
#define STABLE_IOVA	0x1000000UL
#define TOGGLE_IOVA	0x40000000UL

static bool run;
module_param(run, bool, 0644);
MODULE_PARM_DESC(run, "map and unmap the toggle page in a loop");
static unsigned long unmaps;
module_param(unmaps, ulong, 0444);
MODULE_PARM_DESC(unmaps, "unmaps of the toggle page that returned");
static unsigned int period_ms = 10;
module_param(period_ms, uint, 0644);
MODULE_PARM_DESC(period_ms, "sleep after each map and each unmap");

static struct iommu_domain *domain;
static struct page *pages;
static struct page *toggle;
static struct task_struct *thread;
static unsigned int mapped;

static int loop(void *unused)
{
	while (!kthread_should_stop()) {
		if (!READ_ONCE(run)) {
			msleep(20);
			continue;
		}
		if (iommu_map(domain, TOGGLE_IOVA, page_to_phys(toggle),
			      PAGE_SIZE, IOMMU_READ, GFP_KERNEL))
			break;
		msleep(READ_ONCE(period_ms));
		iommu_unmap(domain, TOGGLE_IOVA, PAGE_SIZE);
		WRITE_ONCE(unmaps, unmaps + 1);
		msleep(READ_ONCE(period_ms));
	}
	return 0;
}

static void cleanup(void)
{
	unsigned int i;

	for (i = 0; i < mapped; i++)
		iommu_unmap(domain, STABLE_IOVA + 2 * i * PAGE_SIZE, PAGE_SIZE);
	if (domain)
		iommu_domain_free(domain);
	if (toggle)
		__free_page(toggle);
	if (pages)
		__free_pages(pages, get_order(NR_PAGES * PAGE_SIZE));
}

static int __init unmap_loop_init(void)
{
	unsigned int i;
	int ret = 0;

	domain = edu_domain_alloc();
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		domain = NULL;
		return ret;
	}
	pages = alloc_pages(GFP_KERNEL, get_order(NR_PAGES * PAGE_SIZE));
	toggle = alloc_page(GFP_KERNEL);
	if (!pages || !toggle) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < STABLE; i++) {
		/* Every other IOVA page, physical pages in reverse order. */
		ret = iommu_map(domain, STABLE_IOVA + 2 * i * PAGE_SIZE,
				page_to_phys(pages + NR_PAGES - 1 - i % NR_PAGES),
				PAGE_SIZE,
				IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
		if (ret)
			goto err;
		mapped = i + 1;
	}
	thread = kthread_run(loop, NULL, "unmap_loop");
	if (IS_ERR(thread)) {
		ret = PTR_ERR(thread);
		goto err;
	}
	pr_info("unmap_loop: domain %p stable=%lu toggle_iova=0x%lx\n", domain,
		(unsigned long)STABLE, TOGGLE_IOVA);
	return 0;
err:
	cleanup();
	return ret;
}

static void __exit unmap_loop_exit(void)
{
	kthread_stop(thread);
	cleanup();
}

module_init(unmap_loop_init);
module_exit(unmap_loop_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iommu-scope test: unmaps in a loop on a domain of its own");
