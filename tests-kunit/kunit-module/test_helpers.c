// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope KUnit test module: the C helpers only the tests use. Real
 * generic_pt tables built with the kernel's own pt_iommu_<fmt>_init (each
 * format's struct has the same layout: struct pt_iommu, then the format's
 * struct with struct pt_common first), a descriptor write standing for a
 * hardware update, and page_to_phys.
 *
 * Owns: the resources it allocates for a test, until the test frees them.
 * Must not: be linked into the product module, or write memory a test
 * does not own.
 */
#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/device.h>
#include <linux/generic_pt/iommu.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "iommu_scope_genpt.h"
#include "iommu_scope_kunit.h"

int iommu_scope_test_write_phys_u64(phys_addr_t pa, u64 val)
{
	struct page *page;
	u64 *p;

	if (!IS_ALIGNED(pa, sizeof(u64)) || !pfn_valid(PHYS_PFN(pa)))
		return -EINVAL;
	page = pfn_to_page(PHYS_PFN(pa));
	if (PageReserved(page) || !folio_ref_count(page_folio(page)))
		return -EINVAL;
	p = phys_to_virt(pa);
	WRITE_ONCE(*p, val);
	return 0;
}

u64 iommu_scope_test_page_to_phys(struct page *page)
{
	return page_to_phys(page);
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

void iommu_scope_test_skip(const char *reason)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_mark_skipped(test, "%s", reason);
}
