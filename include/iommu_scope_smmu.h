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

#define IOMMU_SCOPE_NAME_LEN	48
#define IOMMU_SCOPE_MAX_SIDS	4

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
};

/* One device attached to an arm-smmu-v3 domain. */
struct iommu_scope_smmu_master {
	char name[IOMMU_SCOPE_NAME_LEN];
	int group_id;		/* -1 if none */
	u32 ssid;		/* IOMMU_NO_PASID (0) for the RID */
	u32 num_sids;
	u32 sids[IOMMU_SCOPE_MAX_SIDS];
};

/* Find the arm-smmu-v3 instances' ops; returns how many devices use them. */
int iommu_scope_smmu_init(void);
/* Whether the domain was allocated by arm-smmu-v3. */
bool iommu_scope_smmu_owns(struct iommu_domain *domain);
/* Fill @out for an arm-smmu-v3 domain; -ENODEV if not one. */
int iommu_scope_smmu_domain_get(struct iommu_domain *domain,
				struct iommu_scope_smmu_domain *out);
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

#endif /* _IOMMU_SCOPE_SMMU_H */
