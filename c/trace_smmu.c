// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: creates the arm_smmu_v3 tracepoints and the functions
 * through which Rust fires them.
 *
 * Owns: CREATE_TRACE_POINTS for include/trace/arm_smmu_v3_trace.h.
 * Must not: decode anything (Rust does).
 */
#define CREATE_TRACE_POINTS
#include "arm_smmu_v3_trace.h"

void iommu_scope_trace_evtq_event(const char *smmu, const char *client,
				  const struct iommu_scope_evt *e)
{
	trace_smmu_evtq_event(smmu, client, e);
}

void iommu_scope_trace_evtq_overflow(const char *smmu, u64 overflows)
{
	trace_smmu_evtq_overflow(smmu, overflows);
}
