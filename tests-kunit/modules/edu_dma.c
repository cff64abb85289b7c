// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dma: a test driver for QEMU's edu device (part of iommu-scope's test
 * suite). On probe it makes the device's DMA engine read from @count IOVAs
 * that nothing maps (@iova, @iova + 4K, ...), one after the other: each
 * 4-byte read is one translation fault the SMMU records in its event
 * queue. With @write=1 the engine writes to those IOVAs instead (edu's
 * device-to-RAM direction, command bit 0x2): each write is a translation
 * fault with RnW clear.
 *
 * Owns: the edu device while loaded. Must not: map anything, so every
 * access faults.
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

static unsigned int count = 8;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "number of faulting DMA accesses");
static unsigned long iova = 0x08000000;
module_param(iova, ulong, 0444);
MODULE_PARM_DESC(iova, "first unmapped IOVA (edu has a 28-bit DMA mask)");
static bool write;
module_param(write, bool, 0444);
MODULE_PARM_DESC(write, "write to the IOVAs (device to RAM) instead of reading");

#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
/* Direction bit: set, edu's buffer to RAM (DST); clear, RAM (SRC) to the buffer. */
#define EDU_CMD_TO_RAM	0x2
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
		u64 ram = iova + (u64)i * SZ_4K;

		writeq(write ? EDU_BUF : ram, bar + EDU_DMA_SRC);
		writeq(write ? ram : EDU_BUF, bar + EDU_DMA_DST);
		writeq(4, bar + EDU_DMA_CNT);
		writeq(EDU_CMD_START | (write ? EDU_CMD_TO_RAM : 0), bar + EDU_DMA_CMD);
		for (t = 0; t < 200 && (readq(bar + EDU_DMA_CMD) & EDU_CMD_START); t++)
			usleep_range(10000, 20000);
	}
	dev_info(&pdev->dev, "edu_dma: %u DMA %s iova 0x%lx issued\n",
		 count, write ? "writes to" : "reads from", iova);
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
