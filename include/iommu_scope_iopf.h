/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: IO page faults as plain records (c/iopf.c).
 *
 * Owns: the record layout exchanged with Rust.
 */
#ifndef _IOMMU_SCOPE_IOPF_H
#define _IOMMU_SCOPE_IOPF_H

#include <linux/types.h>

struct device;
struct iopf_fault;
struct iopf_group;

struct iommu_scope_iopf_rec {
	char dev[48];
	char mm[32];		/* "mm_<hashed %p>" of the SVA domain, or "-" */
	u32 type;
	u32 flags;		/* IOMMU_FAULT_PAGE_REQUEST_* */
	u32 pasid;
	u32 grpid;
	u32 perm;		/* IOMMU_FAULT_PERM_* */
	u64 addr;
};

int iommu_scope_iopf_read(struct device *dev, struct iopf_fault *evt,
			  struct iommu_scope_iopf_rec *out);
int iommu_scope_iopf_group_read(struct iopf_group *group,
				struct iommu_scope_iopf_rec *out);
void iommu_scope_trace_iopf(const struct iommu_scope_iopf_rec *r, int result,
			    u64 duration_ns);

#endif /* _IOMMU_SCOPE_IOPF_H */
