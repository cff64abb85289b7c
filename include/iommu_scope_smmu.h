/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: the SMMUv3 driver's private structures, seen through plain
 * records. c/smmu_v3.c is the only file that includes the driver's private
 * header (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h).
 *
 * Owns: the record layouts exchanged with Rust.
 * Must not: expose a kernel pointer to user space (records carry names and
 * numbers only).
 */
#ifndef _IOMMU_SCOPE_SMMU_H
#define _IOMMU_SCOPE_SMMU_H

#include <linux/types.h>

struct iommu_domain;
struct iommu_ops;

#define IOMMU_SCOPE_NAME_LEN	48
#define IOMMU_SCOPE_MAX_SIDS	4
#define IOMMU_SCOPE_MM_LEN	24	/* "mm_" + hashed %p + NUL */
#define IOMMU_SCOPE_ENT_DWORDS	8	/* an STE or a CD */

/* What the module needs to know of one arm-smmu-v3 domain. */
struct iommu_scope_smmu_domain {
	u32 stage;		/* 1, 2, or 0 for SVA (no io-pgtable) */
	u32 fmt;		/* enum io_pgtable_fmt */
	u32 ias;
	u32 oas;
	u32 tcr_tg;		/* raw TG field of TCR / VTCR */
	u32 tcr_tsz;		/* raw T0SZ field */
	u32 vtcr_sl;		/* raw SL0 field (stage 2) */
	u32 has_pgtbl;		/* 1 if the domain has an io-pgtable */
	u64 pgsize_bitmap;
	u64 root_pa;		/* TTBR / VTTBR: physical address of the root */
	u64 mair;		/* stage 1 MAIR */
	u64 quirks;		/* io_pgtable_cfg.quirks */
	u32 httu_ha;		/* SMMU supports hardware access flag updates */
	u32 httu_hd;		/* SMMU supports hardware dirty state updates */
	u32 dirty_tracking;	/* this domain's table tracks dirty (quirk HD) */
	u32 nest_parent;
	char smmu_name[IOMMU_SCOPE_NAME_LEN];
	/* SVA domains: the physical address of the mm's pgd and its name. */
	u64 mm_pgd_pa;
	char mm[IOMMU_SCOPE_MM_LEN];
};

/* One device attached to an arm-smmu-v3 domain. */
struct iommu_scope_smmu_master {
	char name[IOMMU_SCOPE_NAME_LEN];
	int group_id;		/* -1 if none */
	u32 ssid;		/* IOMMU_NO_PASID (0) for the RID */
	u32 num_sids;
	u32 sids[IOMMU_SCOPE_MAX_SIDS];
};

/*
 * Find the arm-smmu-v3 instances and their ops, and take a reference on
 * their driver's module (none is needed when it is built in); returns how
 * many devices use them. Process context: walks the buses and locks each
 * device's iommu group.
 */
int iommu_scope_smmu_init(void);
/*
 * Forget the instances and drop the module references; after every user
 * of them (hooks, files, notifiers) stopped.
 */
void iommu_scope_smmu_exit(void);
/* Whether the domain was allocated by arm-smmu-v3. */
bool iommu_scope_smmu_owns(struct iommu_domain *domain);
/*
 * IOMMUs (class devices) and PCI/platform devices behind an IOMMU that is
 * not an arm-smmu-v3 instance; 1 if no arm-smmu-v3 instance was found
 * (process context: walks the buses and the iommu class).
 */
int iommu_scope_foreign_iommu_devices(void);
/* Whether @ops are arm-smmu-v3's (known since iommu_scope_smmu_init()). */
bool iommu_scope_is_smmu_v3_ops(const struct iommu_ops *ops);
/* Fill @out for an arm-smmu-v3 domain; -ENODEV if not one. */
int iommu_scope_smmu_domain_get(struct iommu_domain *domain,
				struct iommu_scope_smmu_domain *out);
/*
 * Only what a walk of an arm-smmu-v3 domain's io-pgtable needs: the hooks'
 * lookup (any context, no lock, no string copied).
 */
struct iommu_scope_smmu_pgtbl {
	u64 pgsize_bitmap;
	u64 root_pa;		/* TTBR / VTTBR */
	u32 fmt;		/* enum io_pgtable_fmt */
	u32 ias;
	u32 oas;
	u32 tcr_tsz;		/* raw T0SZ field */
	u32 vtcr_sl;		/* raw SL0 field (stage 2; 0 for stage 1) */
};
/*
 * Fill @out from @domain's io-pgtable. -ENODEV if arm-smmu-v3 did not
 * allocate @domain, -ENOENT if it has no io-pgtable (yet, or SVA).
 */
int iommu_scope_smmu_domain_pgtbl(struct iommu_domain *domain,
				  struct iommu_scope_smmu_pgtbl *out);
/*
 * Copy up to @max masters attached to @domain into @out. Returns the total
 * number attached (may exceed @max), or -ENODEV if arm-smmu-v3 did not
 * allocate it. @domain is only a key: it is dereferenced only while the
 * mutex of an iommu group attached to it is held (which keeps it alive);
 * -ENOENT if no group has it attached (freed, or attached to PASIDs only).
 * Process context: walks the PCI and platform buses, locks groups.
 */
int iommu_scope_domain_masters_by_group(struct iommu_domain *domain,
					struct iommu_scope_smmu_master *out,
					int max);

/* --- stream table view (io_page_tables/smmu_<name>/) ------------------- */

/*
 * The driver's feature flags in a stable order (the driver's own
 * ARM_SMMU_FEAT_* values are private and may move): rust/pure/idr.rs names
 * them in this order.
 */
enum {
	IOMMU_SCOPE_FEAT_2LVL_STRTAB, IOMMU_SCOPE_FEAT_2LVL_CDTAB,
	IOMMU_SCOPE_FEAT_TT_LE, IOMMU_SCOPE_FEAT_TT_BE, IOMMU_SCOPE_FEAT_PRI,
	IOMMU_SCOPE_FEAT_ATS, IOMMU_SCOPE_FEAT_SEV, IOMMU_SCOPE_FEAT_MSI,
	IOMMU_SCOPE_FEAT_COHERENCY, IOMMU_SCOPE_FEAT_TRANS_S1,
	IOMMU_SCOPE_FEAT_TRANS_S2, IOMMU_SCOPE_FEAT_STALLS,
	IOMMU_SCOPE_FEAT_HYP, IOMMU_SCOPE_FEAT_STALL_FORCE,
	IOMMU_SCOPE_FEAT_VAX, IOMMU_SCOPE_FEAT_RANGE_INV, IOMMU_SCOPE_FEAT_BTM,
	IOMMU_SCOPE_FEAT_SVA, IOMMU_SCOPE_FEAT_E2H, IOMMU_SCOPE_FEAT_NESTING,
	IOMMU_SCOPE_FEAT_ATTR_TYPES_OVR, IOMMU_SCOPE_FEAT_HA,
	IOMMU_SCOPE_FEAT_HD, IOMMU_SCOPE_FEAT_S2FWB, IOMMU_SCOPE_FEAT_BBML2,
	IOMMU_SCOPE_FEAT_HAFT, IOMMU_SCOPE_FEAT_DS,
};

/* An SMMU's ID registers and what the driver made of them. */
struct iommu_scope_smmu_caps {
	char name[IOMMU_SCOPE_NAME_LEN];
	u32 idr[6];
	u32 iidr;
	u32 aidr;
	u64 strtab_base;	/* SMMU_STRTAB_BASE: a physical address */
	u32 strtab_base_cfg;
	u32 features;		/* BIT(IOMMU_SCOPE_FEAT_*) */
	u32 options;		/* BIT(n) for ARM_SMMU_OPT_* in their order */
	u32 asid_bits;
	u32 vmid_bits;
	u32 ssid_bits;
	u32 sid_bits;
	u32 oas;
	u32 cmdq_shift;
	u32 evtq_shift;
	u32 priq_shift;
	u32 max_stalls;
	u32 strtab_entries;
	u64 pgsize_bitmap;
};

/* iommu_scope_stream.flags */
#define IOMMU_SCOPE_STREAM_STE_TORN	(1U << 0) /* changed under every re-read */
#define IOMMU_SCOPE_STREAM_NO_STE	(1U << 1) /* no L2 stream table for it */
#define IOMMU_SCOPE_STREAM_STALL	(1U << 2) /* master->stall_enabled */
#define IOMMU_SCOPE_STREAM_ATS		(1U << 3) /* master->ats_enabled */
#define IOMMU_SCOPE_STREAM_PRI		(1U << 4) /* PCI PRI enabled */
#define IOMMU_SCOPE_STREAM_CDS_CUT	(1U << 5) /* CD scan or records ran out */
/* The STE or CD table changed between two holds of streams_mutex: CDs stop */
#define IOMMU_SCOPE_STREAM_CDS_CHANGED	(1U << 6)

/* Why a stage-1 STE's CDs were read or not (iommu_scope_stream.cd_state). */
enum iommu_scope_cd_state {
	IOMMU_SCOPE_CDS_NONE,		/* not a stage-1 STE, or torn */
	IOMMU_SCOPE_CDS_READ,		/* read from the driver's CD table */
	IOMMU_SCOPE_CDS_IPA,		/* nested: the CD table is a guest IPA */
	IOMMU_SCOPE_CDS_FOREIGN,	/* not the driver's table for the master */
};

/* One stream ID in use, with its STE. */
struct iommu_scope_stream {
	u32 sid;
	u32 flags;
	u32 cd_state;
	u32 cd_first;		/* index of its first CD record */
	u32 cd_count;		/* valid CDs recorded */
	u32 cd_scanned;		/* CD slots read */
	char dev[IOMMU_SCOPE_NAME_LEN];
	u64 ste[IOMMU_SCOPE_ENT_DWORDS];
};

/* One valid CD. */
struct iommu_scope_cd {
	u32 ssid;
	u32 torn;
	u64 cd[IOMMU_SCOPE_ENT_DWORDS];
};

/* Number of SMMUv3 instances found at init. */
int iommu_scope_smmu_count(void);
/* Instance @idx's registers and driver settings; -ENODEV if none. */
int iommu_scope_smmu_caps(int idx, struct iommu_scope_smmu_caps *out);
/*
 * Copies the stream IDs in use on instance @idx (at most @max_streams, in
 * increasing SID order, each SID at most once) with their STEs, and the
 * valid CDs of their stage-1 tables (at most @max_cds in all) into @cds;
 * *@n_cds says how many. Returns the number of SIDs visited (may exceed
 * @max_streams), -ENODEV, or -EINVAL if @per_lock is 0. Process context:
 * holds the driver's streams_mutex for at most @per_lock entry reads (plus
 * a resumed CD scan's STE) at a time, each hold making progress; between
 * two holds, streams may come and go (a SID present during
 * the whole copy is copied exactly once).
 */
int iommu_scope_smmu_streams(int idx, u32 per_lock,
			     struct iommu_scope_stream *streams,
			     u32 max_streams, struct iommu_scope_cd *cds,
			     u32 max_cds, u32 *n_cds);

#endif /* _IOMMU_SCOPE_SMMU_H */
