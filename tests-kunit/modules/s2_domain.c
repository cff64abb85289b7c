// SPDX-License-Identifier: GPL-2.0
/*
 * s2_domain: a test-only module (part of iommu-scope's test suite, never
 * the product). On load it allocates a stage-2 paging domain for the edu
 * device, as iommufd does for a nesting parent
 * (iommu_paging_domain_alloc_flags with IOMMU_HWPT_ALLOC_NEST_PARENT, which
 * arm-smmu-v3 makes a stage-2 domain with a VMID), maps one page of its own
 * at S2_IOVA and attaches the domain to the edu device, whose STE then
 * translates through stage 2 only. On unload it detaches (the group goes
 * back to its default domain) and frees everything. The edu device must
 * have no driver bound (edu_dma not loaded).
 *
 * Owns: its domain and page. Must not: be loaded outside a test VM.
 */
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <uapi/linux/iommufd.h>

#define S2_IOVA	0x100000UL

static struct pci_dev *pdev;
static struct iommu_domain *domain;
static struct page *page;

static int __init s2_domain_init(void)
{
	int ret;

	pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pdev)
		return -ENODEV;
	domain = iommu_paging_domain_alloc_flags(&pdev->dev,
						 IOMMU_HWPT_ALLOC_NEST_PARENT);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		pr_err("s2_domain: no stage-2 domain: %d\n", ret);
		goto put_dev;
	}
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page) {
		ret = -ENOMEM;
		goto free_domain;
	}
	ret = iommu_map(domain, S2_IOVA, page_to_phys(page), PAGE_SIZE,
			IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (ret)
		goto free_page;
	ret = iommu_attach_device(domain, &pdev->dev);
	if (ret) {
		pr_err("s2_domain: attach failed: %d\n", ret);
		goto unmap;
	}
	pr_info("s2_domain: edu attached to a stage-2 domain\n");
	return 0;

unmap:
	iommu_unmap(domain, S2_IOVA, PAGE_SIZE);
free_page:
	__free_page(page);
free_domain:
	iommu_domain_free(domain);
put_dev:
	pci_dev_put(pdev);
	return ret;
}

static void __exit s2_domain_exit(void)
{
	iommu_detach_device(domain, &pdev->dev);
	iommu_unmap(domain, S2_IOVA, PAGE_SIZE);
	iommu_domain_free(domain);
	__free_page(page);
	pci_dev_put(pdev);
}

module_init(s2_domain_init);
module_exit(s2_domain_exit);
MODULE_DESCRIPTION("iommu-scope test: the edu device on a stage-2 domain");
MODULE_LICENSE("GPL");
