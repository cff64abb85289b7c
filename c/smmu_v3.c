// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: the one place that reads the SMMUv3 driver's private
 * structures (struct arm_smmu_domain, arm_smmu_master, ...). Everything is
 * copied out into the plain records of iommu_scope_smmu.h.
 *
 * Owns: recognising arm-smmu-v3 domains and reading them.
 * Must not: modify driver state, or take locks the driver does not offer
 * for readers (only the domain's devices_lock, as the driver's own
 * invalidation paths do).
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/io-pgtable.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/string.h>

#include "arm-smmu-v3.h"

#include "iommu_scope_helpers.h"
#include "iommu_scope_smmu.h"
#include "iommu_scope_evtq.h"

static_assert(IOMMU_SCOPE_EVTQ_ENT_DWORDS == EVTQ_ENT_DWORDS,
	      "the event record layout shared with Rust");

/* The iommu_ops of arm-smmu-v3, found at init from a device it manages. */
static const struct iommu_ops *smmu_v3_ops;

/*
 * The SMMUv3 instances, found by the same walk at init (process context,
 * before any hook is registered); read-only afterwards.
 */
#define MAX_SMMUS 8
static struct arm_smmu_device *smmus[MAX_SMMUS];

static void note_smmu(struct arm_smmu_device *smmu)
{
	int i;

	for (i = 0; i < MAX_SMMUS; i++) {
		if (smmus[i] == smmu)
			return;
		if (!smmus[i]) {
			smmus[i] = smmu;
			return;
		}
	}
}

static bool is_smmu_v3_dev(struct device *dev)
{
	return dev && dev->driver && !strcmp(dev->driver->name, "arm-smmu-v3");
}

static int find_smmu_ops(struct device *dev, void *data)
{
	struct iommu_device *iommu;
	int *count = data;

	if (!dev->iommu || !dev->iommu->iommu_dev)
		return 0;
	iommu = dev->iommu->iommu_dev;
	/* iommu->dev is the iommu class device; its parent is the SMMU. */
	if (!iommu->dev || !(is_smmu_v3_dev(iommu->dev) ||
			     is_smmu_v3_dev(iommu->dev->parent)))
		return 0;
	smmu_v3_ops = iommu->ops;
	note_smmu(container_of(iommu, struct arm_smmu_device, iommu));
	(*count)++;
	return 0;
}

int iommu_scope_smmu_init(void)
{
	int count = 0;

	iommu_scope_walk_devs(find_smmu_ops, &count);
	return count;
}

bool iommu_scope_smmu_owns(struct iommu_domain *domain)
{
	return smmu_v3_ops && domain && domain->owner == smmu_v3_ops &&
	       (domain->type & __IOMMU_DOMAIN_PAGING ||
		domain->type == IOMMU_DOMAIN_SVA);
}

int iommu_scope_smmu_domain_get(struct iommu_domain *domain,
				struct iommu_scope_smmu_domain *out)
{
	struct arm_smmu_domain *sd;
	struct io_pgtable *iop;
	struct arm_smmu_device *smmu;

	if (!iommu_scope_smmu_owns(domain))
		return -ENODEV;
	sd = to_smmu_domain(domain);
	memset(out, 0, sizeof(*out));
	smmu = sd->smmu;
	if (smmu) {
		out->httu_ha = !!(smmu->features & ARM_SMMU_FEAT_HA);
		out->httu_hd = !!(smmu->features & ARM_SMMU_FEAT_HD);
		strscpy(out->smmu_name, dev_name(smmu->dev), sizeof(out->smmu_name));
	}
	out->nest_parent = sd->nest_parent;
	switch (sd->stage) {
	case ARM_SMMU_DOMAIN_S1:
		out->stage = 1;
		break;
	case ARM_SMMU_DOMAIN_S2:
		out->stage = 2;
		break;
	default:
		out->stage = 0;
		return 0;
	}
	if (!sd->pgtbl_ops)
		return 0;
	iop = io_pgtable_ops_to_pgtable(sd->pgtbl_ops);
	out->has_pgtbl = 1;
	out->fmt = iop->fmt;
	out->ias = iop->cfg.ias;
	out->oas = iop->cfg.oas;
	out->pgsize_bitmap = iop->cfg.pgsize_bitmap;
	out->quirks = iop->cfg.quirks;
	out->dirty_tracking = !!(iop->cfg.quirks & IO_PGTABLE_QUIRK_ARM_HD);
	if (iop->fmt == ARM_64_LPAE_S2) {
		out->root_pa = iop->cfg.arm_lpae_s2_cfg.vttbr;
		out->tcr_tg = iop->cfg.arm_lpae_s2_cfg.vtcr.tg;
		out->tcr_tsz = iop->cfg.arm_lpae_s2_cfg.vtcr.tsz;
		out->vtcr_sl = iop->cfg.arm_lpae_s2_cfg.vtcr.sl;
	} else {
		out->root_pa = iop->cfg.arm_lpae_s1_cfg.ttbr;
		out->tcr_tg = iop->cfg.arm_lpae_s1_cfg.tcr.tg;
		out->tcr_tsz = iop->cfg.arm_lpae_s1_cfg.tcr.tsz;
		out->mair = iop->cfg.arm_lpae_s1_cfg.mair;
	}
	return 0;
}

int iommu_scope_smmu_domain_masters(struct iommu_domain *domain,
				    struct iommu_scope_smmu_master *out,
				    int max)
{
	struct arm_smmu_master_domain *md;
	struct arm_smmu_domain *sd;
	unsigned long flags;
	int n = 0;

	if (!iommu_scope_smmu_owns(domain))
		return -ENODEV;
	sd = to_smmu_domain(domain);
	spin_lock_irqsave(&sd->devices_lock, flags);
	list_for_each_entry(md, &sd->devices, devices_elm) {
		struct arm_smmu_master *m = md->master;
		struct iommu_scope_smmu_master *r;
		unsigned int i;

		if (n >= max) {
			n++;
			continue;
		}
		r = &out[n++];
		memset(r, 0, sizeof(*r));
		strscpy(r->name, dev_name(m->dev), sizeof(r->name));
		r->group_id = m->dev->iommu_group ?
			      iommu_group_id(m->dev->iommu_group) : -1;
		r->ssid = md->ssid;
		r->num_sids = m->num_streams;
		for (i = 0; i < m->num_streams && i < IOMMU_SCOPE_MAX_SIDS; i++)
			r->sids[i] = m->streams[i].id;
	}
	spin_unlock_irqrestore(&sd->devices_lock, flags);
	return n;
}

/* --- event queue ---------------------------------------------------- */

static struct arm_smmu_device *known(void *p)
{
	int i;

	for (i = 0; i < MAX_SMMUS && smmus[i]; i++)
		if (smmus[i] == p)
			return smmus[i];
	return NULL;
}

bool iommu_scope_smmu_known(void *smmu)
{
	return smmu_v3_ops && known(smmu);
}

int iommu_scope_evtq_pos(void *p, struct iommu_scope_evtq_pos *pos)
{
	struct arm_smmu_device *smmu = known(p);
	struct arm_smmu_queue *q;
	u32 cons, prod;

	if (!smmu)
		return -ENODEV;
	q = &smmu->evtq.q;
	cons = READ_ONCE(q->llq.cons);
	prod = readl_relaxed(q->prod_reg);
	pos->cons = cons & ~Q_OVERFLOW_FLAG;
	pos->prod = prod & ~Q_OVERFLOW_FLAG;
	pos->cons_ovf = !!(cons & Q_OVERFLOW_FLAG);
	pos->prod_ovf = !!(prod & Q_OVERFLOW_FLAG);
	pos->shift = q->llq.max_n_shift;
	return 0;
}

int iommu_scope_evtq_read(void *p, u32 idx, u64 *out)
{
	struct arm_smmu_device *smmu = known(p);
	struct arm_smmu_queue *q;
	__le64 *ent;
	int i;

	if (!smmu)
		return -ENODEV;
	q = &smmu->evtq.q;
	idx &= (1U << q->llq.max_n_shift) - 1;
	ent = q->base + (size_t)idx * q->ent_dwords;
	for (i = 0; i < IOMMU_SCOPE_EVTQ_ENT_DWORDS; i++)
		out[i] = le64_to_cpu(READ_ONCE(ent[i]));
	return 0;
}

void iommu_scope_smmu_name(void *p, char *buf, size_t len)
{
	struct arm_smmu_device *smmu = known(p);

	strscpy(buf, smmu ? dev_name(smmu->dev) : "?", len);
}

struct sid_lookup {
	struct arm_smmu_device *smmu;
	u32 sid;
	char *buf;
	size_t len;
};

static int match_sid(struct device *dev, void *data)
{
	struct sid_lookup *l = data;
	struct iommu_fwspec *fw = dev_iommu_fwspec_get(dev);
	unsigned int i;

	if (!fw || !dev->iommu->iommu_dev ||
	    dev->iommu->iommu_dev != &l->smmu->iommu)
		return 0;
	for (i = 0; i < fw->num_ids; i++) {
		if (fw->ids[i] == l->sid) {
			strscpy(l->buf, dev_name(dev), l->len);
			return 1;
		}
	}
	return 0;
}

void iommu_scope_sid_name(void *p, u32 sid, char *buf, size_t len)
{
	struct sid_lookup l = { .smmu = known(p), .sid = sid, .buf = buf,
				.len = len };

	strscpy(buf, "-", len);
	if (!l.smmu)
		return;
	iommu_scope_walk_devs(match_sid, &l);
}
