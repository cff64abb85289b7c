// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: creates the tracepoints of the iommu_scope trace system
 * (include/trace/iommu_scope_trace.h); c/iopf.c fires them.
 *
 * Owns: CREATE_TRACE_POINTS for that header.
 * Must not: keep state or decide anything.
 */
#define CREATE_TRACE_POINTS
#include "iommu_scope_trace.h"
