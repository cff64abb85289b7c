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

/*
 * The SVA domain's mm of a fault group being handled: the group holds its
 * attach handle until it is answered, so no lookup (and no lock) is needed.
 * A report has no group yet, and looking its handle up
 * (iommu_attach_handle_get) takes a spinlock_t and gives a handle nothing
 * keeps alive: reports never name a process.
 */
static void fill_mm(struct iopf_group *group, struct iommu_scope_iopf_rec *out)
{
	struct iommu_attach_handle *h = group->attach_handle;

	if (!h || !h->domain || h->domain->type != IOMMU_DOMAIN_SVA ||
	    !h->domain->mm)
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
	strscpy(out->mm, "-", sizeof(out->mm));
	return 0;
}

int iommu_scope_iopf_group_read(struct iopf_group *group,
				struct iommu_scope_iopf_rec *out)
{
	memset(out, 0, sizeof(*out));
	if (!group || !group->fault_param || !group->fault_param->dev)
		return -EINVAL;
	if (iommu_scope_iopf_read(group->fault_param->dev, &group->last_fault,
				  out))
		return -EINVAL;
	fill_mm(group, out);
	return 0;
}

void iommu_scope_trace_iopf(const struct iommu_scope_iopf_rec *r, int result,
			    u64 duration_ns)
{
	trace_iopf_fault(r, result, duration_ns);
}
