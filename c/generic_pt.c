// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: the one place that reads generic_pt domains (struct
 * pt_iommu, struct pt_common).
 *
 * Owns: recognising a pt_iommu domain's format and reading its top table.
 * Must not: change a domain.
 */
#include <linux/device.h>
#include <linux/generic_pt/iommu.h>
#include <linux/iommu.h>
#include <linux/module.h>

#include "iommu_scope_genpt.h"

#if IS_ENABLED(CONFIG_IOMMU_PT)
MODULE_IMPORT_NS("GENERIC_PT_IOMMU");

static u32 pt_fmt_of(struct iommu_domain *domain)
{
	phys_addr_t (*fn)(struct iommu_domain *domain, dma_addr_t iova);

	if (!domain->ops)
		return IOMMU_SCOPE_PT_NONE;
	fn = domain->ops->iova_to_phys;
#if IS_ENABLED(CONFIG_IOMMU_PT_AMDV1)
	if (fn == pt_iommu_amdv1_iova_to_phys)
		return IOMMU_SCOPE_PT_AMDV1;
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_VTDSS)
	if (fn == pt_iommu_vtdss_iova_to_phys)
		return IOMMU_SCOPE_PT_VTDSS;
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_X86_64)
	if (fn == pt_iommu_x86_64_iova_to_phys)
		return IOMMU_SCOPE_PT_X86_64;
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_RISCV64)
	if (fn == pt_iommu_riscv_64_iova_to_phys)
		return IOMMU_SCOPE_PT_RISCV64;
#endif
	return IOMMU_SCOPE_PT_NONE;
}
#endif

int iommu_scope_pt_domain_get(struct iommu_domain *domain,
			      struct iommu_scope_pt_domain *out)
{
#if IS_ENABLED(CONFIG_IOMMU_PT)
	struct pt_iommu *pt = iommupt_from_domain(domain);
	struct pt_common *common;
	uintptr_t top;

	memset(out, 0, sizeof(*out));
	if (!pt)
		return -ENODEV;
	out->fmt = pt_fmt_of(domain);
	/*
	 * Every format's table is struct pt_iommu_<fmt> { struct pt_iommu;
	 * struct pt_<fmt> { struct pt_common common; } }: the same layout.
	 */
	common = &container_of(pt, struct pt_iommu_amdv1, iommu)->amdpt.common;
	top = READ_ONCE(common->top_of_table);
	out->top_level = top & PT_TOP_LEVEL_MASK;
	out->max_vasz_lg2 = common->max_vasz_lg2;
	out->max_oasz_lg2 = common->max_oasz_lg2;
	out->features = common->features;
	out->root_pa = virt_to_phys((void *)(top & ~(uintptr_t)PT_TOP_LEVEL_MASK));
	return 0;
#else
	return -ENODEV;
#endif
}
