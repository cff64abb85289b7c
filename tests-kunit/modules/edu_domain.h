/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test modules only: a paging domain of the test module's own for the edu
 * device's IOMMU (never attached, so no device DMA goes through it).
 */
#ifndef EDU_DOMAIN_H
#define EDU_DOMAIN_H

#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/pci.h>

/* The domain, or an ERR_PTR (-ENODEV without an edu device). */
static inline struct iommu_domain *edu_domain_alloc(void)
{
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);
	struct iommu_domain *d;

	if (!pdev)
		return ERR_PTR(-ENODEV);
	d = iommu_paging_domain_alloc(&pdev->dev);
	pci_dev_put(pdev);
	return d;
}

#endif
