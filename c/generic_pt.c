// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: the one place that reads generic_pt domains (struct
 * pt_iommu, struct pt_common) and builds real generic_pt tables for the
 * KUnit suite.
 *
 * Owns: recognising a pt_iommu domain's format and reading its top table.
 * Must not: change a domain it did not create.
 */
#include <linux/device.h>
#include <linux/generic_pt/iommu.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "iommu_scope_genpt.h"

#if IS_ENABLED(CONFIG_IOMMU_PT)
MODULE_IMPORT_NS("GENERIC_PT_IOMMU");
#endif

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

#if IS_ENABLED(CONFIG_IOMMU_PT)
/* A test table: every format's struct has the same layout (see above). */
struct iommu_scope_pt_test {
	union {
		struct pt_iommu_amdv1 amdv1;
		struct pt_iommu_vtdss vtdss;
		struct pt_iommu_x86_64 x86_64;
		struct pt_iommu_riscv_64 riscv_64;
	};
	u32 fmt;
	spinlock_t top_lock;
};

static struct pt_iommu *test_pt(struct iommu_scope_pt_test *t)
{
	return &t->amdv1.iommu;
}

static void test_change_top(struct pt_iommu *iommu_table, phys_addr_t top_paddr,
			    unsigned int top_level)
{
}

static spinlock_t *test_get_top_lock(struct pt_iommu *iommu_table)
{
	return &container_of(iommu_table, struct iommu_scope_pt_test,
			     amdv1.iommu)->top_lock;
}

static const struct pt_iommu_driver_ops test_driver_ops = {
	.change_top = test_change_top,
	.get_top_lock = test_get_top_lock,
};

#define TEST_DOMAIN_OPS(fmt) \
	static const struct iommu_domain_ops test_ops_##fmt = { \
		IOMMU_PT_DOMAIN_OPS(fmt), \
	}
#if IS_ENABLED(CONFIG_IOMMU_PT_AMDV1)
TEST_DOMAIN_OPS(amdv1);
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_VTDSS)
TEST_DOMAIN_OPS(vtdss);
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_X86_64)
TEST_DOMAIN_OPS(x86_64);
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_RISCV64)
TEST_DOMAIN_OPS(riscv_64);
#endif
#endif

struct iommu_scope_pt_test *iommu_scope_pt_test_alloc(u32 fmt, u32 vasz_lg2,
						      u32 top_level,
						      struct device *dev)
{
#if IS_ENABLED(CONFIG_IOMMU_PT)
	struct iommu_scope_pt_test *t;
	struct pt_iommu_cfg common = {
		.hw_max_vasz_lg2 = vasz_lg2,
		.hw_max_oasz_lg2 = 48,
	};
	const struct iommu_domain_ops *ops = NULL;
	int ret = -EOPNOTSUPP;

	t = kzalloc_obj(*t, GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&t->top_lock);
	t->fmt = fmt;
	test_pt(t)->nid = NUMA_NO_NODE;
	test_pt(t)->driver_ops = &test_driver_ops;
	test_pt(t)->iommu_device = dev;
	switch (fmt) {
#if IS_ENABLED(CONFIG_IOMMU_PT_AMDV1)
	case IOMMU_SCOPE_PT_AMDV1: {
		struct pt_iommu_amdv1_cfg cfg = {
			.common = common, .starting_level = top_level,
		};

		/* The features the format forces (iommu_amdv1.c). */
		cfg.common.features = BIT(PT_FEAT_DYNAMIC_TOP) |
				      BIT(PT_FEAT_AMDV1_ENCRYPT_TABLES) |
				      BIT(PT_FEAT_AMDV1_FORCE_COHERENCE);

		ret = pt_iommu_amdv1_init(&t->amdv1, &cfg, GFP_KERNEL);
		ops = &test_ops_amdv1;
		break;
	}
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_VTDSS)
	case IOMMU_SCOPE_PT_VTDSS: {
		struct pt_iommu_vtdss_cfg cfg = {
			.common = common, .top_level = top_level,
		};

		ret = pt_iommu_vtdss_init(&t->vtdss, &cfg, GFP_KERNEL);
		ops = &test_ops_vtdss;
		break;
	}
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_X86_64)
	case IOMMU_SCOPE_PT_X86_64: {
		struct pt_iommu_x86_64_cfg cfg = {
			.common = common, .top_level = top_level,
		};

		ret = pt_iommu_x86_64_init(&t->x86_64, &cfg, GFP_KERNEL);
		ops = &test_ops_x86_64;
		break;
	}
#endif
#if IS_ENABLED(CONFIG_IOMMU_PT_RISCV64)
	case IOMMU_SCOPE_PT_RISCV64: {
		struct pt_iommu_riscv_64_cfg cfg = { .common = common };

		/* The feature the format forces (iommu_riscv64.c). */
		cfg.common.features = BIT(PT_FEAT_DETAILED_GATHER);

		ret = pt_iommu_riscv_64_init(&t->riscv_64, &cfg, GFP_KERNEL);
		ops = &test_ops_riscv_64;
		break;
	}
#endif
	default:
		break;
	}
	if (ret) {
		kfree(t);
		return ERR_PTR(ret);
	}
	test_pt(t)->domain.ops = ops;
	/* A paging domain as far as iommu_map()/iommu_unmap() care. */
	test_pt(t)->domain.type = IOMMU_DOMAIN_UNMANAGED;
	return t;
#else
	return ERR_PTR(-EOPNOTSUPP);
#endif
}

struct iommu_domain *iommu_scope_pt_test_domain(struct iommu_scope_pt_test *t)
{
#if IS_ENABLED(CONFIG_IOMMU_PT)
	return &test_pt(t)->domain;
#else
	return NULL;
#endif
}

int iommu_scope_pt_test_map(struct iommu_scope_pt_test *t, u64 iova, u64 pa,
			    u64 len, int prot)
{
#if IS_ENABLED(CONFIG_IOMMU_PT)
	size_t mapped = 0;

	return test_pt(t)->ops->map_range(test_pt(t), iova, pa, len, prot,
					   GFP_KERNEL, &mapped);
#else
	return -EOPNOTSUPP;
#endif
}

u64 iommu_scope_pt_test_iova_to_phys(struct iommu_scope_pt_test *t, u64 iova)
{
#if IS_ENABLED(CONFIG_IOMMU_PT)
	struct iommu_domain *d = &test_pt(t)->domain;

	return d->ops->iova_to_phys(d, iova);
#else
	return 0;
#endif
}

void iommu_scope_pt_test_free(struct iommu_scope_pt_test *t)
{
#if IS_ENABLED(CONFIG_IOMMU_PT)
	test_pt(t)->ops->deinit(test_pt(t));
	kfree(t);
#endif
}
