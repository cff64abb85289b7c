/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: tracepoints of system "iommu_scope".
 *
 * Owns: the event layouts of the iommu_scope trace system. The format of
 * each event is documented in Documentation/tracepoints.rst.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iommu_scope

#if !defined(_IOMMU_SCOPE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IOMMU_SCOPE_TRACE_H

#include <linux/tracepoint.h>

/*
 * scope_selftest: fired by the module's own checks (load-time self-test and
 * KUnit), so that a test can verify the module's tracepoints reach tracefs.
 */
TRACE_EVENT(scope_selftest,
	TP_PROTO(const char *what, u64 value),
	TP_ARGS(what, value),
	TP_STRUCT__entry(
		__string(what, what)
		__field(u64, value)
	),
	TP_fast_assign(
		__assign_str(what);
		__entry->value = value;
	),
	TP_printk("%s=%llu", __get_str(what), __entry->value)
);

#endif /* _IOMMU_SCOPE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iommu_scope_trace
#include <trace/define_trace.h>
