// SPDX-License-Identifier: GPL-2.0
/*
 * iopf_inject: reports @count IO page faults for the edu device through
 * iommu_report_device_fault (part of iommu-scope's test suite). The faults
 * are not page requests (type 0), so the core refuses them without asking
 * the SMMUv3 driver for a response (edu has neither stall nor PRI). Every
 * other fault alternates read and write; @pasid < 0 means no PASID.
 */
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>

static unsigned int count = 16;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "number of faults to report");
static int pasid = 7;
module_param(pasid, int, 0444);
MODULE_PARM_DESC(pasid, "PASID of the faults, negative for none");

static int __init iopf_inject_init(void)
{
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);
	unsigned int i, refused = 0;

	if (!pdev)
		return -ENODEV;
	for (i = 0; i < count; i++) {
		struct iopf_fault evt = {};

		evt.fault.type = 0;
		evt.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
		if (pasid >= 0) {
			evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
			evt.fault.prm.pasid = pasid;
		}
		evt.fault.prm.grpid = i & 0x1ff;
		evt.fault.prm.perm = (i & 1) ? IOMMU_FAULT_PERM_WRITE :
					       IOMMU_FAULT_PERM_READ;
		evt.fault.prm.addr = 0x100000 + (u64)i * SZ_4K;
		if (iommu_report_device_fault(&pdev->dev, &evt))
			refused++;
		if (!(i % 256))
			cond_resched();
	}
	pr_info("iopf_inject: %u faults reported for %s, %u refused\n",
		count, pci_name(pdev), refused);
	pci_dev_put(pdev);
	return 0;
}

static void __exit iopf_inject_exit(void)
{
}

module_init(iopf_inject_init);
module_exit(iopf_inject_exit);
MODULE_DESCRIPTION("iommu-scope test: report IO page faults");
MODULE_LICENSE("GPL");
