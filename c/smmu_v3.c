// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: the one place that reads the SMMUv3 driver's private
 * structures (struct arm_smmu_device, arm_smmu_domain, arm_smmu_master,
 * the stream and CD tables, the event queue). Everything is copied out
 * into the plain records of iommu_scope_smmu.h.
 *
 * Owns: finding the arm-smmu-v3 instances at load and pinning their
 * driver's module until unload; recognising arm-smmu-v3 domains and
 * reading them; the stream ID -> client table; the copies of the stream
 * table, CD tables and ID registers for io_page_tables/smmu_<dev>/.
 * Must not: modify driver state, keep a pointer into the driver's stream
 * tree across an unlock, or take locks the driver does not offer for
 * readers (only the domain's devices_lock, as the driver's own
 * invalidation paths do, the iommu group mutex at load, and
 * streams_mutex, as arm_smmu_find_master does).
 */
#include <linux/device.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/iommu.h>
#include <linux/io-pgtable.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
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
 * before any hook is registered); read-only until iommu_scope_smmu_exit(),
 * which runs after every user stopped. smmu_owners[i] is the module of
 * smmus[i]'s driver, on which init took a reference: while it is held,
 * arm-smmu-v3 (when built as a module) cannot be unloaded, so it stays
 * bound to its devices and every smmus[i] stays allocated and mapped.
 */
#define MAX_SMMUS 8
static struct arm_smmu_device *smmus[MAX_SMMUS];
static struct module *smmu_owners[MAX_SMMUS];

/*
 * Records the instance behind @iommu and pins its driver's module. Caller
 * holds the group mutex of a device @iommu probed: the iommu core then
 * holds its own reference on @iommu->ops->owner (taken in
 * __iommu_probe_device, dropped under that mutex when the device is
 * released), so the ops and the module are alive while we take ours.
 */
static void note_smmu(struct iommu_device *iommu)
{
	struct arm_smmu_device *smmu =
		container_of(iommu, struct arm_smmu_device, iommu);
	struct module *owner = iommu->ops->owner;
	int i;

	for (i = 0; i < MAX_SMMUS && smmus[i]; i++)
		if (smmus[i] == smmu)
			return;
	if (i == MAX_SMMUS) {
		pr_warn_once("iommu_scope: more than %d arm-smmu-v3 instances: %s and later ones are not shown\n",
			     MAX_SMMUS, dev_name(smmu->dev));
		return;
	}
	/* Fails only while the driver's module is being unloaded. */
	if (!try_module_get(owner)) {
		pr_info("iommu_scope: arm-smmu-v3 instance %s skipped: its driver is being unloaded\n",
			dev_name(smmu->dev));
		return;
	}
	smmu_owners[i] = owner;
	smmus[i] = smmu;
	smmu_v3_ops = iommu->ops;
}

static bool is_smmu_v3_dev(struct device *dev)
{
	return dev && dev->driver && !strcmp(dev->driver->name, "arm-smmu-v3");
}

/* The IOMMU @dev is behind, or NULL; *@smmu says if it is an arm-smmu-v3. */
static struct iommu_device *dev_iommu_of(struct device *dev, bool *smmu)
{
	struct iommu_device *iommu;

	if (!dev->iommu || !dev->iommu->iommu_dev)
		return NULL;
	iommu = dev->iommu->iommu_dev;
	/* iommu->dev is the iommu class device; its parent is the SMMU. */
	*smmu = iommu->dev && (is_smmu_v3_dev(iommu->dev) ||
			       is_smmu_v3_dev(iommu->dev->parent));
	return iommu;
}

struct find_smmu {
	struct device *dev;
	int count;
};

/* Called under the mutex of @dev's group, for each of its devices. */
static int find_smmu_in_group(struct device *gdev, void *data)
{
	struct find_smmu *f = data;
	struct iommu_device *iommu;
	bool smmu;

	if (gdev != f->dev)
		return 0;
	iommu = dev_iommu_of(gdev, &smmu);
	if (iommu && smmu) {
		note_smmu(iommu);
		f->count++;
	}
	return 1;
}

static int find_smmu_ops(struct device *dev, void *data)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct find_smmu *f = data;

	if (!group)
		return 0;
	f->dev = dev;
	iommu_group_for_each_dev(group, f, find_smmu_in_group);
	iommu_group_put(group);
	return 0;
}

int iommu_scope_smmu_init(void)
{
	struct find_smmu f = { };

	might_sleep();
	iommu_scope_walk_devs(find_smmu_ops, &f);
	return f.count;
}

void iommu_scope_smmu_exit(void)
{
	int i;

	smmu_v3_ops = NULL;
	for (i = 0; i < MAX_SMMUS; i++) {
		if (!smmus[i])
			continue;
		smmus[i] = NULL;
		module_put(smmu_owners[i]);
		smmu_owners[i] = NULL;
	}
}

static int count_foreign(struct device *dev, void *data)
{
	int *count = data;
	bool smmu;

	if (dev_iommu_of(dev, &smmu) && !smmu)
		(*count)++;
	return 0;
}

/* An IOMMU's sysfs device (class "iommu") that is not an arm-smmu-v3. */
static int count_foreign_iommu(struct device *dev, void *data)
{
	struct iommu_device *iommu = dev_get_drvdata(dev);
	int *count = data;

	if (!iommu || iommu->ops != smmu_v3_ops)
		(*count)++;
	return 0;
}

/*
 * Racy by nature (a device can go while the buses are walked); only used
 * at load to decide whether maps may be counted without the map probe, and
 * every IOMMU registered later is seen by the iommu_device_register probe.
 */
int iommu_scope_foreign_iommu_devices(void)
{
	int count = 0;

	if (!smmu_v3_ops || !smmus[0])
		return 1;
	iommu_scope_walk_devs(count_foreign, &count);
	/* Every IOMMU with a sysfs device, whatever bus its clients are on. */
	if (smmus[0]->iommu.dev && smmus[0]->iommu.dev->class)
		class_for_each_device(smmus[0]->iommu.dev->class, NULL, &count,
				      count_foreign_iommu);
	return count;
}

bool iommu_scope_is_smmu_v3_ops(const struct iommu_ops *ops)
{
	return smmu_v3_ops && ops == smmu_v3_ops;
}

bool iommu_scope_smmu_owns(struct iommu_domain *domain)
{
	return smmu_v3_ops && domain && domain->owner == smmu_v3_ops &&
	       (domain->type & __IOMMU_DOMAIN_PAGING ||
		domain->type == IOMMU_DOMAIN_SVA);
}

/*
 * What a walk of @sd's io-pgtable needs, into @out; its io_pgtable, or NULL
 * if it has none (a stage other than 1 or 2, not finalised yet, or SVA).
 */
static struct io_pgtable *smmu_pgtbl(struct arm_smmu_domain *sd,
				     struct iommu_scope_smmu_pgtbl *out)
{
	struct io_pgtable_ops *ops = READ_ONCE(sd->pgtbl_ops);
	struct io_pgtable *iop;

	if ((sd->stage != ARM_SMMU_DOMAIN_S1 &&
	     sd->stage != ARM_SMMU_DOMAIN_S2) || !ops)
		return NULL;
	iop = io_pgtable_ops_to_pgtable(ops);
	out->fmt = iop->fmt;
	out->ias = iop->cfg.ias;
	out->oas = iop->cfg.oas;
	out->pgsize_bitmap = iop->cfg.pgsize_bitmap;
	if (iop->fmt == ARM_64_LPAE_S2) {
		out->root_pa = iop->cfg.arm_lpae_s2_cfg.vttbr;
		out->tcr_tsz = iop->cfg.arm_lpae_s2_cfg.vtcr.tsz;
		out->vtcr_sl = iop->cfg.arm_lpae_s2_cfg.vtcr.sl;
	} else {
		out->root_pa = iop->cfg.arm_lpae_s1_cfg.ttbr;
		out->tcr_tsz = iop->cfg.arm_lpae_s1_cfg.tcr.tsz;
		out->vtcr_sl = 0;
	}
	return iop;
}

/* The table fields of @out (stage to mair), from an arm-smmu-v3 domain. */
static void smmu_domain_table(struct arm_smmu_domain *sd,
			      struct iommu_scope_smmu_domain *out)
{
	struct iommu_scope_smmu_pgtbl p = {};
	struct io_pgtable *iop;

	switch (sd->stage) {
	case ARM_SMMU_DOMAIN_S1:
		out->stage = 1;
		break;
	case ARM_SMMU_DOMAIN_S2:
		out->stage = 2;
		break;
	default:
		out->stage = 0;
		return;
	}
	iop = smmu_pgtbl(sd, &p);
	if (!iop)
		return;
	out->has_pgtbl = 1;
	out->fmt = p.fmt;
	out->ias = p.ias;
	out->oas = p.oas;
	out->pgsize_bitmap = p.pgsize_bitmap;
	out->root_pa = p.root_pa;
	out->tcr_tsz = p.tcr_tsz;
	out->vtcr_sl = p.vtcr_sl;
	out->quirks = iop->cfg.quirks;
	out->dirty_tracking = !!(iop->cfg.quirks & IO_PGTABLE_QUIRK_ARM_HD);
	if (iop->fmt == ARM_64_LPAE_S2) {
		out->tcr_tg = iop->cfg.arm_lpae_s2_cfg.vtcr.tg;
	} else {
		out->tcr_tg = iop->cfg.arm_lpae_s1_cfg.tcr.tg;
		out->mair = iop->cfg.arm_lpae_s1_cfg.mair;
	}
}

int iommu_scope_smmu_domain_get(struct iommu_domain *domain,
				struct iommu_scope_smmu_domain *out)
{
	struct arm_smmu_domain *sd;
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
	/*
	 * An SVA domain holds its mm (mmgrab) until iommu_domain_free, so the
	 * pgd stays allocated while the domain is alive (our caller's
	 * contract); its CDs point at it (arm_smmu_make_sva_cd).
	 */
	if (domain->type == IOMMU_DOMAIN_SVA && domain->mm) {
		out->mm_pgd_pa = virt_to_phys(domain->mm->pgd);
		snprintf(out->mm, sizeof(out->mm), "mm_%p", domain->mm);
	}
	smmu_domain_table(sd, out);
	return 0;
}

int iommu_scope_smmu_domain_pgtbl(struct iommu_domain *domain,
				  struct iommu_scope_smmu_pgtbl *out)
{
	if (!iommu_scope_smmu_owns(domain))
		return -ENODEV;
	return smmu_pgtbl(to_smmu_domain(domain), out) ? 0 : -ENOENT;
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

/* --- stream table view ------------------------------------------------ */

int iommu_scope_smmu_count(void)
{
	int n = 0;

	while (n < MAX_SMMUS && smmus[n])
		n++;
	return smmu_v3_ops ? n : 0;
}

static struct arm_smmu_device *smmu_at(int idx)
{
	if (!smmu_v3_ops || idx < 0 || idx >= MAX_SMMUS)
		return NULL;
	return smmus[idx];
}

static const struct { u32 drv, ours; } feat_map[] = {
	{ ARM_SMMU_FEAT_2_LVL_STRTAB, IOMMU_SCOPE_FEAT_2LVL_STRTAB },
	{ ARM_SMMU_FEAT_2_LVL_CDTAB, IOMMU_SCOPE_FEAT_2LVL_CDTAB },
	{ ARM_SMMU_FEAT_TT_LE, IOMMU_SCOPE_FEAT_TT_LE },
	{ ARM_SMMU_FEAT_TT_BE, IOMMU_SCOPE_FEAT_TT_BE },
	{ ARM_SMMU_FEAT_PRI, IOMMU_SCOPE_FEAT_PRI },
	{ ARM_SMMU_FEAT_ATS, IOMMU_SCOPE_FEAT_ATS },
	{ ARM_SMMU_FEAT_SEV, IOMMU_SCOPE_FEAT_SEV },
	{ ARM_SMMU_FEAT_MSI, IOMMU_SCOPE_FEAT_MSI },
	{ ARM_SMMU_FEAT_COHERENCY, IOMMU_SCOPE_FEAT_COHERENCY },
	{ ARM_SMMU_FEAT_TRANS_S1, IOMMU_SCOPE_FEAT_TRANS_S1 },
	{ ARM_SMMU_FEAT_TRANS_S2, IOMMU_SCOPE_FEAT_TRANS_S2 },
	{ ARM_SMMU_FEAT_STALLS, IOMMU_SCOPE_FEAT_STALLS },
	{ ARM_SMMU_FEAT_HYP, IOMMU_SCOPE_FEAT_HYP },
	{ ARM_SMMU_FEAT_STALL_FORCE, IOMMU_SCOPE_FEAT_STALL_FORCE },
	{ ARM_SMMU_FEAT_VAX, IOMMU_SCOPE_FEAT_VAX },
	{ ARM_SMMU_FEAT_RANGE_INV, IOMMU_SCOPE_FEAT_RANGE_INV },
	{ ARM_SMMU_FEAT_BTM, IOMMU_SCOPE_FEAT_BTM },
	{ ARM_SMMU_FEAT_SVA, IOMMU_SCOPE_FEAT_SVA },
	{ ARM_SMMU_FEAT_E2H, IOMMU_SCOPE_FEAT_E2H },
	{ ARM_SMMU_FEAT_NESTING, IOMMU_SCOPE_FEAT_NESTING },
	{ ARM_SMMU_FEAT_ATTR_TYPES_OVR, IOMMU_SCOPE_FEAT_ATTR_TYPES_OVR },
	{ ARM_SMMU_FEAT_HA, IOMMU_SCOPE_FEAT_HA },
	{ ARM_SMMU_FEAT_HD, IOMMU_SCOPE_FEAT_HD },
	{ ARM_SMMU_FEAT_S2FWB, IOMMU_SCOPE_FEAT_S2FWB },
	{ ARM_SMMU_FEAT_BBML2, IOMMU_SCOPE_FEAT_BBML2 },
	{ ARM_SMMU_FEAT_HAFT, IOMMU_SCOPE_FEAT_HAFT },
	{ ARM_SMMU_FEAT_DS, IOMMU_SCOPE_FEAT_DS },
};

static const u32 opt_map[] = {
	ARM_SMMU_OPT_SKIP_PREFETCH, ARM_SMMU_OPT_PAGE0_REGS_ONLY,
	ARM_SMMU_OPT_MSIPOLL, ARM_SMMU_OPT_CMDQ_FORCE_SYNC,
	ARM_SMMU_OPT_TEGRA241_CMDQV,
};

/*
 * The ID registers (IDR0-5, IIDR, AIDR) are read-only and side-effect
 * free; STRTAB_BASE and its CFG are only read. They are read through the
 * driver's own mapping (smmu->base, page 0, ARM_SMMU_REG_SZ bytes: AIDR
 * at 0x1c is in it), which stays mapped while the driver is bound:
 * arm-smmu-v3 cannot be unbound through sysfs (suppress_bind_attrs), and
 * the module reference init took keeps a modular driver from being
 * unloaded. The driver has no runtime PM: a bound SMMU is never powered
 * down under it (system suspend freezes our readers first).
 */
int iommu_scope_smmu_caps(int idx, struct iommu_scope_smmu_caps *out)
{
	struct arm_smmu_device *smmu = smmu_at(idx);
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (!smmu)
		return -ENODEV;
	strscpy(out->name, dev_name(smmu->dev), sizeof(out->name));
	for (i = 0; i < ARRAY_SIZE(out->idr); i++)
		out->idr[i] = readl_relaxed(smmu->base + ARM_SMMU_IDR0 + 4 * i);
	out->iidr = readl_relaxed(smmu->base + ARM_SMMU_IIDR);
	out->aidr = readl_relaxed(smmu->base + ARM_SMMU_AIDR);
	out->strtab_base = readq_relaxed(smmu->base + ARM_SMMU_STRTAB_BASE);
	out->strtab_base_cfg = readl_relaxed(smmu->base + ARM_SMMU_STRTAB_BASE_CFG);
	for (i = 0; i < ARRAY_SIZE(feat_map); i++)
		if (smmu->features & feat_map[i].drv)
			out->features |= BIT(feat_map[i].ours);
	for (i = 0; i < ARRAY_SIZE(opt_map); i++)
		if (smmu->options & opt_map[i])
			out->options |= BIT(i);
	out->asid_bits = smmu->asid_bits;
	out->vmid_bits = smmu->vmid_bits;
	out->ssid_bits = smmu->ssid_bits;
	out->sid_bits = smmu->sid_bits;
	out->oas = smmu->oas;
	out->pgsize_bitmap = smmu->pgsize_bitmap;
	out->cmdq_shift = smmu->cmdq.q.llq.max_n_shift;
	out->evtq_shift = smmu->evtq.q.llq.max_n_shift;
	out->priq_shift = (smmu->features & ARM_SMMU_FEAT_PRI) ?
			  smmu->priq.q.llq.max_n_shift : 0;
	out->max_stalls = smmu->evtq.max_stalls;
	out->strtab_entries = (smmu->features & ARM_SMMU_FEAT_2_LVL_STRTAB) ?
			      smmu->strtab_cfg.l2.num_l1_ents :
			      smmu->strtab_cfg.linear.num_ents;
	return 0;
}

/* Re-reads of an entry that changed before it is called torn. */
#define ENTRY_TRIES	4
/* CD slots read per iommu_scope_smmu_streams call, over all streams. */
#define CD_SCAN_BUDGET	65536

/*
 * One pass over an entry: each 64-bit word with a load-acquire, so word
 * i + 1 is read after word i (and the next pass after this one). Plain
 * READ_ONCE() loads may be satisfied in any order; a pass could then mix
 * a word read before a step of the driver's update with one read after
 * the next step. smp_load_acquire() rather than READ_ONCE() + smp_rmb()
 * between words: the same order with one instruction per word on arm64
 * (LDAR) instead of a load and a DMB per word.
 */
static void read_pass(const __le64 *src, u64 *out)
{
	int i;

	for (i = 0; i < IOMMU_SCOPE_ENT_DWORDS; i++) {
		/* Acquire: the loads of words i + 1... come after word i's. */
		out[i] = le64_to_cpu(smp_load_acquire(&src[i]));
	}
}

/*
 * Copies an STE or CD that the driver may be rewriting, and says whether
 * the copy is a state the entry really had at one moment.
 *
 * The driver (arm_smmu_write_entry) changes an entry in at most three
 * steps, each a set of WRITE_ONCE() stores of whole words followed by a
 * sync command (arm_smmu_cmdq_issue_cmdlist, which issues dma_wmb() after
 * the step's stores and before the next step's: a store-store barrier
 * for every observer). A disruptive update clears word 0 (V=0), writes
 * words 1-7, then writes word 0; a hitless one writes the bits the SMMU
 * ignores, then the one critical word, then clears the bits no longer
 * used. Within one update a word takes a value it had before only in one
 * case: word 0 of a disruptive update whose word 0 does not change
 * (A -> 0 -> A).
 *
 * Two consecutive passes (read_pass: word order kept) that agree prove,
 * for every word whose value did not go and come back between its two
 * reads, that it held that value from its first read to its second, so
 * all of them held the copy at once at the moment between the passes.
 * The one word that can come back within an update is word 0 of a
 * disruptive update: if the second pass read the final word 0 (A again),
 * then by the step barrier and the acquire order it read every word the
 * update rewrote with its new value, so the first pass did too (they
 * agree) -- the copy is the final entry, a real state. Coming back through
 * two or more complete updates between the two reads of one word would
 * take at least two sync commands, each waiting for the SMMU to complete
 * it, within one pass: the passes run with interrupts off, a few dozen
 * loads in all (only a hypervisor descheduling this vCPU could stretch
 * that). Returns false if no two consecutive passes agreed in
 * ENTRY_TRIES re-reads: a torn view (the last pass is kept).
 */
static bool read_entry(const __le64 *src, u64 *out)
{
	u64 again[IOMMU_SCOPE_ENT_DWORDS];
	unsigned long flags;
	bool same = false;
	int t;

	local_irq_save(flags);
	read_pass(src, out);
	for (t = 0; t < ENTRY_TRIES && !same; t++) {
		read_pass(src, again);
		same = !memcmp(again, out, sizeof(again));
		memcpy(out, again, sizeof(again));
	}
	local_irq_restore(flags);
	return same;
}

/* Caller holds streams_mutex (L2 stream tables are added under it). */
static const struct arm_smmu_ste *ste_of(struct arm_smmu_device *smmu, u32 sid)
{
	struct arm_smmu_strtab_cfg *cfg = &smmu->strtab_cfg;
	struct arm_smmu_strtab_l2 *l2;

	if (smmu->features & ARM_SMMU_FEAT_2_LVL_STRTAB) {
		if (arm_smmu_strtab_l1_idx(sid) >= cfg->l2.num_l1_ents)
			return NULL;
		l2 = READ_ONCE(cfg->l2.l2ptrs[arm_smmu_strtab_l1_idx(sid)]);
		return l2 ? &l2->stes[arm_smmu_strtab_l2_idx(sid)] : NULL;
	}
	if (sid >= cfg->linear.num_ents)
		return NULL;
	return &cfg->linear.table[sid];
}

struct cd_sink {
	struct iommu_scope_cd *cds;
	u32 max;
	u32 n;
	u32 budget;
};

/*
 * Where a copy stands between two holds of streams_mutex: SIDs are
 * visited in increasing order, so the next hold resumes at the first SID
 * in the tree not below @next_sid (SIDs are the tree's unique keys). No
 * pointer into the driver's structures is kept across an unlock; @cds_of
 * is our own record of a stream whose CD scan stopped at @next_ssid, and
 * @master the address of its arm_smmu_master then: a value compared, never
 * dereferenced (with the device name, it tells a re-probed device whose
 * new CD table happens to have the old one's DMA address).
 */
struct streams_cursor {
	u64 next_sid;
	bool done;
	struct iommu_scope_stream *cds_of;
	unsigned long master;
	u32 next_ssid;
};

/* Records the CD at @cd (substream @ssid) if valid; false if out of room. */
static bool scan_one_cd(struct cd_sink *k, struct iommu_scope_stream *s,
			const struct arm_smmu_cd *cd, u32 ssid)
{
	u64 w[IOMMU_SCOPE_ENT_DWORDS];
	bool stable;

	if (!k->budget)
		return false;
	k->budget--;
	s->cd_scanned++;
	stable = read_entry(cd->data, w);
	if (!(w[0] & CTXDESC_CD_0_V))
		return true;
	if (k->n >= k->max)
		return false;
	k->cds[k->n].ssid = ssid;
	k->cds[k->n].torn = !stable;
	memcpy(k->cds[k->n].cd, w, sizeof(w));
	k->n++;
	s->cd_count++;
	return true;
}

/*
 * Whether @m's CD table is the one the stage-1 STE word @ste0 points at.
 * The driver fills a master's cd_table (under the group mutex, which we
 * do not take) before the STE that points at it is written, with a
 * dma_wmb() in between (arm_smmu_write_entry); so once the STE has been
 * seen pointing at cdtab_dma, smp_rmb() makes the table's fields visible.
 * The table and its level-2 leaves are freed only at release_device, after
 * the master left the streams tree, which streams_mutex (held) prevents.
 */
static bool cd_table_matches(struct arm_smmu_master *m, u64 ste0)
{
	struct arm_smmu_ctx_desc_cfg *cfg = &m->cd_table;
	u32 fmt = FIELD_GET(STRTAB_STE_0_S1FMT, ste0);
	u32 cdmax = FIELD_GET(STRTAB_STE_0_S1CDMAX, ste0);

	/* Pairs with the dma_wmb() before the STE write (see above). */
	smp_rmb();
	return arm_smmu_cdtab_allocated(cfg) &&
	       READ_ONCE(cfg->cdtab_dma) ==
		       (ste0 & STRTAB_STE_0_S1CTXPTR_MASK) &&
	       READ_ONCE(cfg->s1cdmax) == cdmax &&
	       (!cdmax || READ_ONCE(cfg->s1fmt) == fmt);
}

/*
 * Scans the CD slots of @m's table (checked by cd_table_matches() under
 * this hold of streams_mutex) from c->next_ssid on, at most *@work slots
 * or leaves. True when the scan is over (every slot, or a limit: then
 * CDS_CUT); false when *@work ran out first (c->next_ssid: where to
 * resume).
 *
 * Level-2 leaves added during the scan are seen or not (READ_ONCE); each
 * is only read. The driver publishes a new leaf (arm_smmu_alloc_cd_ptr:
 * dma_alloc_coherent() zeroes it, then l2ptrs[] and the L1 descriptor are
 * stored) with no barrier between the zeroing and the publication; the
 * first one after is in the CFGI_CD sync that follows. Until then another
 * CPU may see the new leaf before its zeroes and read the page's previous
 * contents: a scan that meets a leaf in that window may show CDs that
 * were never written (Documentation/streams.rst, "Concurrent updates").
 * The SMMU is not exposed to this: it fetches a leaf's CD only for a
 * substream whose CD the driver wrote, after a dma_wmb().
 */
static bool scan_cd_table(struct cd_sink *k, struct iommu_scope_stream *s,
			  struct arm_smmu_master *m, struct streams_cursor *c,
			  unsigned int *work)
{
	struct arm_smmu_ctx_desc_cfg *cfg = &m->cd_table;
	u32 cdmax = FIELD_GET(STRTAB_STE_0_S1CDMAX, s->ste[0]);
	u64 slots = 1ULL << cdmax;

	if (cfg->s1fmt == STRTAB_STE_0_S1FMT_LINEAR) {
		const struct arm_smmu_cd *tab = READ_ONCE(cfg->linear.table);

		slots = min_t(u64, slots, cfg->linear.num_ents);
		for (; c->next_ssid < slots; c->next_ssid++) {
			if (!*work)
				return false;
			(*work)--;
			if (!scan_one_cd(k, s, &tab[c->next_ssid], c->next_ssid))
				goto cut;
		}
		return true;
	}
	slots = min_t(u64, slots,
		      (u64)cfg->l2.num_l1_ents * CTXDESC_L2_ENTRIES);
	while (c->next_ssid < slots) {
		u32 i = arm_smmu_cdtab_l1_idx(c->next_ssid);
		struct arm_smmu_cdtab_l2 *l2 = READ_ONCE(cfg->l2.l2ptrs[i]);

		/*
		 * A skipped leaf costs a unit; a valid one none of its own (its
		 * first slot does), so every unit of a hold moves the scan on,
		 * even with holds of one entry.
		 */
		if (!l2 || !(le64_to_cpu(READ_ONCE(cfg->l2.l1tab[i].l2ptr)) &
			     CTXDESC_L1_DESC_V)) {
			if (!*work)
				return false;
			(*work)--;
			c->next_ssid = (i + 1) * CTXDESC_L2_ENTRIES;
			continue;
		}
		for (; c->next_ssid < slots &&
		       arm_smmu_cdtab_l1_idx(c->next_ssid) == i; c->next_ssid++) {
			if (!*work)
				return false;
			(*work)--;
			if (!scan_one_cd(k, s,
					 &l2->cds[arm_smmu_cdtab_l2_idx(c->next_ssid)],
					 c->next_ssid))
				goto cut;
		}
	}
	return true;
cut:
	s->flags |= IOMMU_SCOPE_STREAM_CDS_CUT;
	return true;
}

static void stream_flags(struct iommu_scope_stream *s,
			 struct arm_smmu_master *m)
{
	if (m->stall_enabled)
		s->flags |= IOMMU_SCOPE_STREAM_STALL;
	if (m->ats_enabled)
		s->flags |= IOMMU_SCOPE_STREAM_ATS;
#ifdef CONFIG_PCI_PRI
	if (dev_is_pci(m->dev) && to_pci_dev(m->dev)->pri_enabled)
		s->flags |= IOMMU_SCOPE_STREAM_PRI;
#endif
}

/* The first stream in the tree whose SID is not below @sid, or NULL. */
static struct rb_node *stream_from(struct arm_smmu_device *smmu, u64 sid)
{
	struct rb_node *n = smmu->streams.rb_node, *best = NULL;

	while (n) {
		if (rb_entry(n, struct arm_smmu_stream, node)->id >= sid) {
			best = n;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/*
 * Resumes the CD scan of c->cds_of in a new hold of streams_mutex: only if
 * its stream is still in the tree, of the same master and device, with the
 * same STE (read again) and the same CD table behind it; otherwise its CDs stop there, marked
 * CDS_CHANGED. True when the scan is over. The STE's re-read is not
 * counted in *@work: the scan itself must get at least one unit of every
 * hold, or a hold of one entry would only ever re-read the STE.
 */
static bool resume_cds(struct arm_smmu_device *smmu, struct cd_sink *k,
		       struct streams_cursor *c, unsigned int *work)
{
	struct iommu_scope_stream *s = c->cds_of;
	u64 w[IOMMU_SCOPE_ENT_DWORDS];
	const struct arm_smmu_ste *ste;
	struct arm_smmu_stream *st;
	struct rb_node *n;

	n = stream_from(smmu, s->sid);
	st = n ? rb_entry(n, struct arm_smmu_stream, node) : NULL;
	ste = st && st->id == s->sid ? ste_of(smmu, s->sid) : NULL;
	if (!ste || (unsigned long)st->master != c->master ||
	    strncmp(dev_name(st->master->dev), s->dev, sizeof(s->dev) - 1) ||
	    !read_entry(ste->data, w) || memcmp(w, s->ste, sizeof(w)) ||
	    !cd_table_matches(st->master, w[0])) {
		s->flags |= IOMMU_SCOPE_STREAM_CDS_CHANGED;
		return true;
	}
	return scan_cd_table(k, s, st->master, c, work);
}

/*
 * Copies streams from c->next_sid on in this hold of streams_mutex, at
 * most *@work entries (STEs, CD slots and leaves).
 */
static void copy_streams(struct arm_smmu_device *smmu, struct cd_sink *k,
			 struct streams_cursor *c,
			 struct iommu_scope_stream *streams, u32 max_streams,
			 int *total, unsigned int *work)
{
	struct rb_node *node;

	for (node = stream_from(smmu, c->next_sid); node; node = rb_next(node)) {
		struct arm_smmu_stream *st =
			rb_entry(node, struct arm_smmu_stream, node);
		struct iommu_scope_stream *s;
		const struct arm_smmu_ste *ste;
		u32 cfg;

		if (!*work)
			return;
		(*work)--;
		c->next_sid = (u64)st->id + 1;
		if ((*total)++ >= max_streams)
			continue;
		s = &streams[*total - 1];
		memset(s, 0, sizeof(*s));
		s->sid = st->id;
		s->cd_first = k->n;
		strscpy(s->dev, dev_name(st->master->dev), sizeof(s->dev));
		stream_flags(s, st->master);
		ste = ste_of(smmu, st->id);
		if (!ste) {
			s->flags |= IOMMU_SCOPE_STREAM_NO_STE;
			continue;
		}
		if (!read_entry(ste->data, s->ste)) {
			s->flags |= IOMMU_SCOPE_STREAM_STE_TORN;
			continue;
		}
		cfg = FIELD_GET(STRTAB_STE_0_CFG, s->ste[0]);
		if (!(s->ste[0] & STRTAB_STE_0_V) ||
		    (cfg != STRTAB_STE_0_CFG_S1_TRANS &&
		     cfg != STRTAB_STE_0_CFG_NESTED))
			continue;
		if (cfg == STRTAB_STE_0_CFG_NESTED) {
			s->cd_state = IOMMU_SCOPE_CDS_IPA;
			continue;
		}
		if (!cd_table_matches(st->master, s->ste[0])) {
			s->cd_state = IOMMU_SCOPE_CDS_FOREIGN;
			continue;
		}
		s->cd_state = IOMMU_SCOPE_CDS_READ;
		c->cds_of = s;
		c->master = (unsigned long)st->master;
		c->next_ssid = 0;
		if (!scan_cd_table(k, s, st->master, c, work))
			return;
		c->cds_of = NULL;
	}
	c->done = true;
}

/*
 * Locking: only the driver's streams_mutex, as arm_smmu_find_master takes
 * it, and for at most @per_lock entries (STEs, CD slots, level-2 leaves;
 * plus the STE read again when a CD scan resumes) at a time, each hold
 * making progress: then it is dropped, the CPU offered to others
 * (cond_resched), and taken again, and the copy resumes at the first SID
 * not yet visited. While it is held, no master leaves the tree, so every
 * master found and its CD table stay allocated (arm_smmu_release_device
 * removes the master under it before freeing either), and no level-2
 * stream table is added. STEs and CDs may still be rewritten (group
 * mutex, or the SVA mm-release path under a spinlock): read_entry copes.
 * Bounded: at most @max_streams STEs and CD_SCAN_BUDGET CD slots are read.
 */
int iommu_scope_smmu_streams(int idx, u32 per_lock,
			     struct iommu_scope_stream *streams,
			     u32 max_streams, struct iommu_scope_cd *cds,
			     u32 max_cds, u32 *n_cds)
{
	struct cd_sink k = { .cds = cds, .max = max_cds, .budget = CD_SCAN_BUDGET };
	struct streams_cursor c = { };
	struct arm_smmu_device *smmu;
	int total = 0;

	might_sleep();
	*n_cds = 0;
	smmu = smmu_at(idx);
	if (!smmu)
		return -ENODEV;
	if (!per_lock)
		return -EINVAL;
	while (!c.done) {
		unsigned int work = per_lock;

		mutex_lock(&smmu->streams_mutex);
		if (c.cds_of && resume_cds(smmu, &k, &c, &work))
			c.cds_of = NULL;
		if (!c.cds_of)
			copy_streams(smmu, &k, &c, streams, max_streams, &total,
				     &work);
		mutex_unlock(&smmu->streams_mutex);
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	*n_cds = k.n;
	return total;
}
