// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope KUnit test module: the product's C parts that the Rust code
 * under test calls (the kernel-facing helpers, the SMMUv3 and generic_pt
 * readers, the page-free probes), compiled into the test module from the
 * same sources. Kbuild warns when one object is linked into two modules,
 * hence this file rather than listing the objects of c/ twice. The product's
 * tracepoints are not included: the suites do not fire them, and two
 * modules must not define the same events.
 *
 * Owns: nothing of its own. Must not: add code.
 */
#include "../../c/debugfs.c"
#include "../../c/helpers.c"
#include "../../c/smmu_v3.c"
#include "../../c/generic_pt.c"
#include "../../c/page_free_hooks.c"
#include "../../c/map_trace.c"
