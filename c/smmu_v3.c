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
#include <linux/hash.h>
#include <linux/log2.h>
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

/* @domain alive, its devices_lock may be taken (process context). */
static int smmu_domain_masters(struct iommu_domain *domain,
			       struct iommu_scope_smmu_master *out, int max)
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

struct masters_walk {
	struct iommu_domain *domain;
	struct iommu_scope_smmu_master *out;
	int max;
	int ret;
};

/* Called under the mutex of @domain's group, which keeps it attached. */
static void masters_of_domain(struct iommu_domain *domain, void *data)
{
	struct masters_walk *w = data;

	if (domain == w->domain)
		w->ret = smmu_domain_masters(domain, w->out, w->max);
}

static int masters_dev(struct device *dev, void *data)
{
	struct masters_walk *w = data;

	iommu_scope_with_dev_domain(dev, masters_of_domain, w);
	return w->ret != -ENOENT;
}

int iommu_scope_domain_masters_by_group(struct iommu_domain *domain,
					struct iommu_scope_smmu_master *out,
					int max)
{
	struct masters_walk w = {
		.domain = domain, .out = out, .max = max, .ret = -ENOENT,
	};

	might_sleep();
	iommu_scope_walk_devs(masters_dev, &w);
	return w.ret;
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

/* --- stream ID -> client name ----------------------------------------- */

/*
 * The clients of every known SMMU by stream ID, filled at init by one bus
 * walk and kept current by bus notifiers (device added / removed), so the
 * event path finds a record's client with a bounded probe of this table
 * instead of walking every device. Open addressing; a full table drops
 * entries (their events show client "-") and counts them.
 */
#define SID_SLOTS	512
struct sid_slot {
	struct arm_smmu_device *smmu;	/* NULL: free */
	struct device *dev;		/* identity only, never dereferenced */
	u32 sid;
	char name[IOMMU_SCOPE_NAME_LEN];
};
static struct sid_slot sid_table[SID_SLOTS];
static unsigned int sid_dropped;
/* Raw: taken by the event thread's probe, also on PREEMPT_RT. */
static DEFINE_RAW_SPINLOCK(sid_lock);

static unsigned int sid_hash(struct arm_smmu_device *smmu, u32 sid)
{
	return hash_32(sid ^ (u32)hash_ptr(smmu, 32), ilog2(SID_SLOTS));
}

/* Caller holds sid_lock. */
static void sid_insert(struct arm_smmu_device *smmu, struct device *dev,
		       u32 sid)
{
	unsigned int i, h = sid_hash(smmu, sid);

	for (i = 0; i < SID_SLOTS; i++) {
		struct sid_slot *e = &sid_table[(h + i) & (SID_SLOTS - 1)];

		if (e->smmu == smmu && e->sid == sid) {
			e->dev = dev;
			strscpy(e->name, dev_name(dev), sizeof(e->name));
			return;
		}
		if (!e->smmu) {
			e->smmu = smmu;
			e->dev = dev;
			e->sid = sid;
			strscpy(e->name, dev_name(dev), sizeof(e->name));
			return;
		}
	}
	sid_dropped++;
}

/*
 * Caller holds sid_lock. @dev's entries become tombstones: they keep their
 * (smmu, sid) so probing stays intact, show "-", and are reused if that
 * stream ID comes back. At most SID_SLOTS steps.
 */
static void sid_remove_dev(struct device *dev)
{
	unsigned int i;

	for (i = 0; i < SID_SLOTS; i++) {
		if (sid_table[i].smmu && sid_table[i].dev == dev) {
			sid_table[i].dev = NULL;
			strscpy(sid_table[i].name, "-",
				sizeof(sid_table[i].name));
		}
	}
}

static struct arm_smmu_device *smmu_of_dev(struct device *dev)
{
	int i;

	if (!dev->iommu || !dev->iommu->iommu_dev)
		return NULL;
	for (i = 0; i < MAX_SMMUS && smmus[i]; i++)
		if (dev->iommu->iommu_dev == &smmus[i]->iommu)
			return smmus[i];
	return NULL;
}

static void sid_add_dev(struct device *dev)
{
	struct iommu_fwspec *fw = dev_iommu_fwspec_get(dev);
	struct arm_smmu_device *smmu = smmu_of_dev(dev);
	unsigned long flags;
	unsigned int i;

	if (!fw || !smmu)
		return;
	raw_spin_lock_irqsave(&sid_lock, flags);
	for (i = 0; i < fw->num_ids; i++)
		sid_insert(smmu, dev, fw->ids[i]);
	raw_spin_unlock_irqrestore(&sid_lock, flags);
}

static int sid_add_one(struct device *dev, void *data)
{
	sid_add_dev(dev);
	return 0;
}

static int sid_notify(struct notifier_block *nb, unsigned long action,
		      void *data)
{
	struct device *dev = data;
	unsigned long flags;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_BOUND_DRIVER:
		sid_add_dev(dev);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		raw_spin_lock_irqsave(&sid_lock, flags);
		sid_remove_dev(dev);
		raw_spin_unlock_irqrestore(&sid_lock, flags);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block sid_pci_nb = { .notifier_call = sid_notify };
static struct notifier_block sid_platform_nb = { .notifier_call = sid_notify };
static bool sid_notifiers;

int iommu_scope_smmu_clients_init(void)
{
	int ret;

	if (!smmus[0] || sid_notifiers)
		return 0;
	ret = bus_register_notifier(&pci_bus_type, &sid_pci_nb);
	if (ret)
		return ret;
	ret = bus_register_notifier(&platform_bus_type, &sid_platform_nb);
	if (ret) {
		bus_unregister_notifier(&pci_bus_type, &sid_pci_nb);
		return ret;
	}
	sid_notifiers = true;
	/* After the notifiers: a device added meanwhile is seen twice, fine. */
	iommu_scope_walk_devs(sid_add_one, NULL);
	return 0;
}

void iommu_scope_smmu_clients_exit(void)
{
	if (!sid_notifiers)
		return;
	bus_unregister_notifier(&platform_bus_type, &sid_platform_nb);
	bus_unregister_notifier(&pci_bus_type, &sid_pci_nb);
	sid_notifiers = false;
}

unsigned int iommu_scope_smmu_clients_dropped(void)
{
	return READ_ONCE(sid_dropped);
}

void iommu_scope_sid_name(void *p, u32 sid, char *buf, size_t len)
{
	struct arm_smmu_device *smmu = known(p);
	unsigned int i, h;
	unsigned long flags;

	strscpy(buf, "-", len);
	if (!smmu)
		return;
	h = sid_hash(smmu, sid);
	raw_spin_lock_irqsave(&sid_lock, flags);
	for (i = 0; i < SID_SLOTS; i++) {
		struct sid_slot *e = &sid_table[(h + i) & (SID_SLOTS - 1)];

		if (!e->smmu)
			break;
		if (e->smmu == smmu && e->sid == sid) {
			strscpy(buf, e->name, len);
			break;
		}
	}
	raw_spin_unlock_irqrestore(&sid_lock, flags);
}
