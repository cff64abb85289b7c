// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: reads IO page fault reports and responses into plain
 * records for the IOPF accounting, and fires the iommu_scope:iopf_fault
 * tracepoint.
 *
 * Owns: the layout of struct iopf_fault / iopf_group as far as the module
 * reads them. Must not: change a fault or a group.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>

#include "iommu-priv.h"

#include "iommu_scope_iopf.h"
#include "iommu_scope_trace.h"

MODULE_IMPORT_NS("IOMMUFD_INTERNAL");

static void fill_mm(struct device *dev, u32 pasid, bool pasid_valid,
		    struct iommu_scope_iopf_rec *out)
{
	struct iommu_attach_handle *h;

	strscpy(out->mm, "-", sizeof(out->mm));
	if (!pasid_valid || !dev->iommu_group)
		return;
	h = iommu_attach_handle_get(dev->iommu_group, pasid, IOMMU_DOMAIN_SVA);
	if (IS_ERR(h) || !h->domain || !h->domain->mm)
		return;
	snprintf(out->mm, sizeof(out->mm), "mm_%p", h->domain->mm);
}

int iommu_scope_iopf_read(struct device *dev, struct iopf_fault *evt,
			  struct iommu_scope_iopf_rec *out)
{
	memset(out, 0, sizeof(*out));
	if (!dev || !evt)
		return -EINVAL;
	strscpy(out->dev, dev_name(dev), sizeof(out->dev));
	out->type = evt->fault.type;
	out->flags = evt->fault.prm.flags;
	out->pasid = evt->fault.prm.pasid;
	out->grpid = evt->fault.prm.grpid;
	out->perm = evt->fault.prm.perm;
	out->addr = evt->fault.prm.addr;
	fill_mm(dev, out->pasid,
		out->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID, out);
	return 0;
}

int iommu_scope_iopf_group_read(struct iopf_group *group,
				struct iommu_scope_iopf_rec *out)
{
	memset(out, 0, sizeof(*out));
	if (!group || !group->fault_param || !group->fault_param->dev)
		return -EINVAL;
	return iommu_scope_iopf_read(group->fault_param->dev,
				     &group->last_fault, out);
}

void iommu_scope_trace_iopf(const struct iommu_scope_iopf_rec *r, int result,
			    u64 duration_ns)
{
	trace_iopf_fault(r, result, duration_ns);
}
