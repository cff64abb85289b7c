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
#include <linux/rbtree.h>
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

static int find_smmu_ops(struct device *dev, void *data)
{
	struct iommu_device *iommu;
	int *count = data;
	bool smmu;

	iommu = dev_iommu_of(dev, &smmu);
	if (!iommu || !smmu)
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
	/*
	 * An SVA domain holds its mm (mmgrab) until iommu_domain_free, so the
	 * pgd stays allocated while the domain is alive (our caller's
	 * contract); its CDs point at it (arm_smmu_make_sva_cd).
	 */
	if (domain->type == IOMMU_DOMAIN_SVA && domain->mm) {
		out->mm_pgd_pa = virt_to_phys(domain->mm->pgd);
		snprintf(out->mm, sizeof(out->mm), "mm_%p", domain->mm);
	}
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
 * The ID registers are read-only and side-effect free; STRTAB_BASE and
 * its CFG are only read. The registers stay mapped while the SMMU is
 * bound, and arm-smmu-v3 cannot be unbound (suppress_bind_attrs): the
 * same assumption the instance table makes.
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
 * Copies an STE or CD that the driver may be rewriting: the driver writes
 * it one 64-bit word at a time (WRITE_ONCE, arm_smmu_write_entry) with a
 * sync command between steps, so each word is read single-copy-atomically
 * (READ_ONCE) and the whole entry twice; two passes that agree saw, at the
 * moment between them, one state the entry really had (possibly an
 * intermediate step of the driver's update, which the SMMU may see too).
 * Returns false if no two passes agreed in ENTRY_TRIES: a torn view (the
 * last pass is kept).
 */
static bool read_entry(const __le64 *src, u64 *out)
{
	u64 again[IOMMU_SCOPE_ENT_DWORDS];
	int t, i;

	for (i = 0; i < IOMMU_SCOPE_ENT_DWORDS; i++)
		out[i] = le64_to_cpu(READ_ONCE(src[i]));
	for (t = 0; t < ENTRY_TRIES; t++) {
		bool same = true;

		/* The second pass's reads come after the first pass's. */
		smp_rmb();
		for (i = 0; i < IOMMU_SCOPE_ENT_DWORDS; i++) {
			again[i] = le64_to_cpu(READ_ONCE(src[i]));
			same &= again[i] == out[i];
		}
		memcpy(out, again, sizeof(again));
		if (same)
			return true;
		cpu_relax();
	}
	return false;
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

/* Records the valid CDs of @n slots at @tab for substreams @ssid0... */
static bool scan_cds(struct cd_sink *k, struct iommu_scope_stream *s,
		     const struct arm_smmu_cd *tab, u32 ssid0, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u64 w[IOMMU_SCOPE_ENT_DWORDS];
		bool stable;

		if (!k->budget)
			return false;
		k->budget--;
		s->cd_scanned++;
		stable = read_entry(tab[i].data, w);
		if (!(w[0] & CTXDESC_CD_0_V))
			continue;
		if (k->n >= k->max)
			return false;
		k->cds[k->n].ssid = ssid0 + i;
		k->cds[k->n].torn = !stable;
		memcpy(k->cds[k->n].cd, w, sizeof(w));
		k->n++;
		s->cd_count++;
	}
	return true;
}

/*
 * The CDs of @m's table, if the stage-1 STE just read (@ste0) points at
 * it. The driver fills a master's cd_table (under the group mutex, which we
 * do not take) before the STE that points at it is written, with a
 * dma_wmb() in between (arm_smmu_write_entry); so once the STE has been
 * seen pointing at cdtab_dma, smp_rmb() makes the table's fields visible.
 * The table and its level-2 leaves are freed only at release_device, after
 * the master left the streams tree, which streams_mutex (held) prevents.
 * Leaves added later are seen or not (READ_ONCE); each is only read.
 */
static void read_cds(struct cd_sink *k, struct iommu_scope_stream *s,
		     struct arm_smmu_master *m, u64 ste0)
{
	struct arm_smmu_ctx_desc_cfg *cfg = &m->cd_table;
	u64 ctx = ste0 & STRTAB_STE_0_S1CTXPTR_MASK;
	u32 fmt = FIELD_GET(STRTAB_STE_0_S1FMT, ste0);
	u32 cdmax = FIELD_GET(STRTAB_STE_0_S1CDMAX, ste0);
	bool ok = true;

	s->cd_first = k->n;
	if (FIELD_GET(STRTAB_STE_0_CFG, ste0) == STRTAB_STE_0_CFG_NESTED) {
		s->cd_state = IOMMU_SCOPE_CDS_IPA;
		return;
	}
	/* Pairs with the dma_wmb() before the STE write (see above). */
	smp_rmb();
	if (!arm_smmu_cdtab_allocated(cfg) || READ_ONCE(cfg->cdtab_dma) != ctx ||
	    READ_ONCE(cfg->s1cdmax) != cdmax ||
	    (cdmax && READ_ONCE(cfg->s1fmt) != fmt)) {
		s->cd_state = IOMMU_SCOPE_CDS_FOREIGN;
		return;
	}
	s->cd_state = IOMMU_SCOPE_CDS_READ;
	if (cfg->s1fmt == STRTAB_STE_0_S1FMT_LINEAR) {
		ok = scan_cds(k, s, READ_ONCE(cfg->linear.table), 0,
			      min_t(u32, cfg->linear.num_ents, 1U << cdmax));
	} else {
		u32 i, l1 = min_t(u32, cfg->l2.num_l1_ents,
				  DIV_ROUND_UP(1U << cdmax, CTXDESC_L2_ENTRIES));

		for (i = 0; i < l1 && ok; i++) {
			struct arm_smmu_cdtab_l2 *l2 =
				READ_ONCE(cfg->l2.l2ptrs[i]);

			if (!l2 || !(le64_to_cpu(READ_ONCE(cfg->l2.l1tab[i].l2ptr)) &
				     CTXDESC_L1_DESC_V))
				continue;
			ok = scan_cds(k, s, l2->cds, i * CTXDESC_L2_ENTRIES,
				      CTXDESC_L2_ENTRIES);
		}
	}
	if (!ok)
		s->flags |= IOMMU_SCOPE_STREAM_CDS_CUT;
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

/*
 * Locking: only the driver's streams_mutex, as arm_smmu_find_master takes
 * it. While it is held, no master leaves the tree, so every master found
 * and its CD table stay allocated (arm_smmu_release_device removes the
 * master under it before freeing either), and no level-2 stream table is
 * added. STEs and CDs may still be rewritten (group mutex, or the SVA
 * mm-release path under a spinlock): read_entry copes. Bounded: at most
 * @max_streams STEs and CD_SCAN_BUDGET CD slots are read.
 */
int iommu_scope_smmu_streams(int idx, struct iommu_scope_stream *streams,
			     u32 max_streams, struct iommu_scope_cd *cds,
			     u32 max_cds, u32 *n_cds)
{
	struct arm_smmu_device *smmu = smmu_at(idx);
	struct cd_sink k = { .cds = cds, .max = max_cds, .budget = CD_SCAN_BUDGET };
	struct rb_node *node;
	int total = 0;

	*n_cds = 0;
	if (!smmu)
		return -ENODEV;
	might_sleep();
	mutex_lock(&smmu->streams_mutex);
	for (node = rb_first(&smmu->streams); node; node = rb_next(node)) {
		struct arm_smmu_stream *st =
			rb_entry(node, struct arm_smmu_stream, node);
		struct iommu_scope_stream *s;
		const struct arm_smmu_ste *ste;

		if (total++ >= max_streams)
			continue;
		s = &streams[total - 1];
		memset(s, 0, sizeof(*s));
		s->sid = st->id;
		s->cd_first = k.n;
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
		if ((s->ste[0] & STRTAB_STE_0_V) &&
		    (FIELD_GET(STRTAB_STE_0_CFG, s->ste[0]) ==
			     STRTAB_STE_0_CFG_S1_TRANS ||
		     FIELD_GET(STRTAB_STE_0_CFG, s->ste[0]) ==
			     STRTAB_STE_0_CFG_NESTED))
			read_cds(&k, s, st->master, s->ste[0]);
		cond_resched();
	}
	mutex_unlock(&smmu->streams_mutex);
	*n_cds = k.n;
	return total;
}
