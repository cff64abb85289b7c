// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dma: a test driver for QEMU's edu device (part of iommu-scope's test
 * suite). On probe it makes the device's DMA engine read from @count IOVAs
 * that nothing maps (@iova, @iova + 4K, ...), one after the other: each
 * 4-byte read is one translation fault the SMMU records in its event
 * queue.
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

static unsigned int count = 8;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "number of faulting DMA reads");
static unsigned long iova = 0x08000000;
module_param(iova, ulong, 0444);
MODULE_PARM_DESC(iova, "first unmapped IOVA (edu has a 28-bit DMA mask)");

#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_BUF		0x40000

static int edu_dma_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	void __iomem *bar;
	unsigned int i;
	int ret, t;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	bar = pcim_iomap(pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		writeq(iova + i * SZ_4K, bar + EDU_DMA_SRC);
		writeq(EDU_BUF, bar + EDU_DMA_DST);
		writeq(4, bar + EDU_DMA_CNT);
		writeq(EDU_CMD_START, bar + EDU_DMA_CMD);
		for (t = 0; t < 200 && (readq(bar + EDU_DMA_CMD) & EDU_CMD_START); t++)
			usleep_range(10000, 20000);
	}
	dev_info(&pdev->dev, "edu_dma: %u DMA reads from iova 0x%lx issued\n",
		 count, iova);
	return 0;
}

static const struct pci_device_id edu_dma_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_dma_ids);

static struct pci_driver edu_dma_driver = {
	.name = "edu_dma",
	.id_table = edu_dma_ids,
	.probe = edu_dma_probe,
};
module_pci_driver(edu_dma_driver);
MODULE_DESCRIPTION("iommu-scope test: make the edu device fault");
MODULE_LICENSE("GPL");
