/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: the C helpers only the KUnit test module has
 * (tests-kunit/kunit-module/test_helpers.c). bindgen sees them only when
 * it generates the test crate's bindings (-DIOMMU_SCOPE_KUNIT).
 *
 * Owns: those prototypes. Must not: be included by the product module.
 */
#ifndef _IOMMU_SCOPE_KUNIT_H
#define _IOMMU_SCOPE_KUNIT_H

#include <linux/types.h>
#include <linux/io-pgtable.h>

struct device;
struct iommu_domain;
struct page;

/* io-pgtable quirk values, for Rust (bindgen does not expand BIT()). */
enum iommu_scope_pgtbl_quirks {
	IOMMU_SCOPE_QUIRK_ARM_HD = IO_PGTABLE_QUIRK_ARM_HD,
};

/*
 * Overwrite the u64 at @pa (a page-table page the test owns), to stand for
 * a hardware update (HTTU dirty) or a contiguous hint; -EINVAL unless @pa
 * is aligned, allocated RAM.
 */
int iommu_scope_test_write_phys_u64(phys_addr_t pa, u64 val);

/* Mark the running KUnit case skipped, with @reason (a C string). */
void iommu_scope_test_skip(const char *reason);

/* The physical address of a page the test allocated. */
u64 iommu_scope_test_page_to_phys(struct page *page);

/* A real generic_pt table of @fmt (enum iommu_scope_pt_fmt), with a domain. */
struct iommu_scope_pt_test;
struct iommu_scope_pt_test *iommu_scope_pt_test_alloc(u32 fmt, u32 vasz_lg2,
						      u32 top_level,
						      struct device *dev);
struct iommu_domain *iommu_scope_pt_test_domain(struct iommu_scope_pt_test *t);
int iommu_scope_pt_test_map(struct iommu_scope_pt_test *t, u64 iova, u64 pa,
			    u64 len, int prot);
u64 iommu_scope_pt_test_iova_to_phys(struct iommu_scope_pt_test *t, u64 iova);
void iommu_scope_pt_test_free(struct iommu_scope_pt_test *t);

#endif /* _IOMMU_SCOPE_KUNIT_H */
