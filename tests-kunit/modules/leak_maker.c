// SPDX-License-Identifier: GPL-2.0
/*
 * leak_maker: a deliberately buggy module for iommu-scope's tests. On load
 * it maps one page into the DMA domain of the edu device (which has no
 * driver) at a fixed IOVA, then frees the page while it is still mapped: a
 * DMA use-after-free. It unmaps on unload. Never load it outside a test VM.
 */
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>

#define LEAK_IOVA	0x10000000UL

static struct pci_dev *pdev;
static struct iommu_domain *domain;

static int __init leak_maker_init(void)
{
	struct page *page;
	phys_addr_t pa;
	int ret;

	pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pdev)
		return -ENODEV;
	domain = iommu_get_domain_for_dev(&pdev->dev);
	if (!domain) {
		pci_dev_put(pdev);
		return -ENODEV;
	}
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		pci_dev_put(pdev);
		return -ENOMEM;
	}
	pa = page_to_phys(page);
	ret = iommu_map(domain, LEAK_IOVA, pa, PAGE_SIZE,
			IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (ret) {
		__free_page(page);
		pci_dev_put(pdev);
		return ret;
	}
	pr_info("leak_maker: mapped pa=0x%llx at iova=0x%lx for %s, freeing it now\n",
		(unsigned long long)pa, LEAK_IOVA, pci_name(pdev));
	__free_page(page);
	return 0;
}

static void __exit leak_maker_exit(void)
{
	iommu_unmap(domain, LEAK_IOVA, PAGE_SIZE);
	pci_dev_put(pdev);
}

module_init(leak_maker_init);
module_exit(leak_maker_exit);
MODULE_DESCRIPTION("iommu-scope test: frees a page that is still IOMMU-mapped");
MODULE_LICENSE("GPL");
