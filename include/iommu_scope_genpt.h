/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: domains that use the generic_pt page tables (struct
 * pt_iommu), seen through plain records. c/generic_pt.c is the only file
 * that reads struct pt_iommu / struct pt_common.
 *
 * Owns: the record layout exchanged with Rust.
 */
#ifndef _IOMMU_SCOPE_GENPT_H
#define _IOMMU_SCOPE_GENPT_H

#include <linux/types.h>

struct iommu_domain;

enum iommu_scope_pt_fmt {
	IOMMU_SCOPE_PT_NONE = 0,
	IOMMU_SCOPE_PT_AMDV1 = 1,
	IOMMU_SCOPE_PT_VTDSS = 2,
	IOMMU_SCOPE_PT_X86_64 = 3,
	IOMMU_SCOPE_PT_RISCV64 = 4,
};

struct iommu_scope_pt_domain {
	u32 fmt;		/* enum iommu_scope_pt_fmt */
	u32 top_level;		/* level of the top table (0 = 4K leaves) */
	u32 max_vasz_lg2;
	u32 max_oasz_lg2;
	u32 features;		/* enum pt_features bitmap */
	u64 root_pa;		/* physical address of the top table */
};

/* Fill @out for a generic_pt domain; -ENODEV if it is not one. */
int iommu_scope_pt_domain_get(struct iommu_domain *domain,
			      struct iommu_scope_pt_domain *out);

#endif /* _IOMMU_SCOPE_GENPT_H */
