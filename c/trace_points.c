// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: creates the module's tracepoints and the small functions
 * through which Rust fires them.
 *
 * Owns: CREATE_TRACE_POINTS for the headers in include/trace/.
 * Must not: keep state or decide anything; callers decode and filter.
 */
#define CREATE_TRACE_POINTS
#include "iommu_scope_trace.h"

#include "iommu_scope_helpers.h"

void iommu_scope_trace_selftest(const char *what, u64 value)
{
	trace_scope_selftest(what, value);
}
