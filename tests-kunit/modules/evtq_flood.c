// SPDX-License-Identifier: GPL-2.0
/*
 * evtq_flood: a test driver for QEMU's e1000 (82540EM) NIC (part of
 * iommu-scope's test suite). On probe it builds a transmit ring of @count
 * legacy descriptors in coherent DMA memory, each pointing at its own
 * 4-byte buffer (one device access) at an IOVA nothing maps (@iova + i * 4K), and starts the
 * transmitter with one tail write: the device reads the descriptors (which
 * translate) and then every buffer (which faults), so the SMMU records
 * exactly @count translation faults in one burst. The guest kernel has no
 * networking, so no other driver claims the NIC.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>

static unsigned int count = 16384;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "number of faulting buffer reads (8..65535)");
static unsigned long iova = 0x10000000;
module_param(iova, ulong, 0444);
MODULE_PARM_DESC(iova, "first unmapped buffer IOVA");

#define E1000_IMC	0x00d8
#define E1000_TCTL	0x0400
#define E1000_TCTL_EN	0x2
#define E1000_TDBAL	0x3800
#define E1000_TDBAH	0x3804
#define E1000_TDLEN	0x3808
#define E1000_TDH	0x3810
#define E1000_TDT	0x3818
#define TXD_CMD_EOP	0x01
#define TXD_CMD_IFCS	0x02

struct tx_desc {
	__le64 buffer_addr;
	__le16 length;
	u8 cso;
	u8 cmd;
	u8 status;
	u8 css;
	__le16 special;
};

static int evtq_flood_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct tx_desc *ring;
	dma_addr_t ring_dma;
	void __iomem *bar;
	unsigned int n, i, tail;
	ktime_t t0;
	int ret;

	/* One slot stays empty: head == tail means an empty ring. */
	n = clamp(count, 8u, 65535u) + 1;
	n = round_up(n, 8);	/* TDLEN is a multiple of 128 bytes */
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret)
		return ret;
	bar = pcim_iomap(pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	ring = dmam_alloc_coherent(&pdev->dev, n * sizeof(*ring), &ring_dma, GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ring[i].buffer_addr = cpu_to_le64(iova + (u64)i * SZ_4K);
		ring[i].length = cpu_to_le16(4);
		ring[i].cmd = TXD_CMD_EOP | TXD_CMD_IFCS;
	}
	writel(~0u, bar + E1000_IMC);
	writel(lower_32_bits(ring_dma), bar + E1000_TDBAL);
	writel(upper_32_bits(ring_dma), bar + E1000_TDBAH);
	writel(n * sizeof(*ring), bar + E1000_TDLEN);
	writel(0, bar + E1000_TDH);
	writel(0, bar + E1000_TDT);
	writel(E1000_TCTL_EN, bar + E1000_TCTL);
	tail = min(count, n - 1);
	t0 = ktime_get();
	/* The device walks the ring from head (0) to the new tail. */
	writel(tail, bar + E1000_TDT);
	dev_info(&pdev->dev,
		 "evtq_flood: %u faulting reads from iova 0x%lx issued in %lld us (head=%u)\n",
		 tail, iova, ktime_us_delta(ktime_get(), t0), readl(bar + E1000_TDH));
	writel(0, bar + E1000_TCTL);
	return 0;
}

static const struct pci_device_id evtq_flood_ids[] = {
	{ PCI_DEVICE(0x8086, 0x100e) },
	{ }
};
MODULE_DEVICE_TABLE(pci, evtq_flood_ids);

static struct pci_driver evtq_flood_driver = {
	.name = "evtq_flood",
	.id_table = evtq_flood_ids,
	.probe = evtq_flood_probe,
};
module_pci_driver(evtq_flood_driver);
MODULE_DESCRIPTION("iommu-scope test: a burst of SMMU translation faults from an e1000 NIC");
MODULE_LICENSE("GPL");
