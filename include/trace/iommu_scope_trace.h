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

#include <linux/iommu.h>
#include <linux/tracepoint.h>

#include "iommu_scope_iopf.h"

/*
 * iopf_fault: one IO page fault reported through iommu_report_device_fault,
 * with its outcome (0 accepted for handling, negative errno refused) and
 * the time the report took.
 */
TRACE_EVENT(iopf_fault,
	TP_PROTO(const struct iommu_scope_iopf_rec *r, int result,
		 u64 duration_ns),
	TP_ARGS(r, result, duration_ns),
	TP_STRUCT__entry(
		__string(dev, r->dev)
		__string(mm, r->mm)
		__field(u32, type)
		__field(u32, flags)
		__field(u32, pasid)
		__field(u32, grpid)
		__field(u32, perm)
		__field(u64, addr)
		__field(int, result)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__assign_str(dev);
		__assign_str(mm);
		__entry->type = r->type;
		__entry->flags = r->flags;
		__entry->pasid = r->pasid;
		__entry->grpid = r->grpid;
		__entry->perm = r->perm;
		__entry->addr = r->addr;
		__entry->result = result;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("dev=%s mm=%s type=%u pasid=%u%s grpid=%u perm=%s addr=0x%llx result=%d duration_ns=%llu",
		  __get_str(dev), __get_str(mm), __entry->type, __entry->pasid,
		  (__entry->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) ?
		  "" : "(invalid)", __entry->grpid,
		  __print_flags(__entry->perm, "|",
				{ IOMMU_FAULT_PERM_READ, "read" },
				{ IOMMU_FAULT_PERM_WRITE, "write" },
				{ IOMMU_FAULT_PERM_EXEC, "exec" },
				{ IOMMU_FAULT_PERM_PRIV, "priv" }),
		  __entry->addr, __entry->result, __entry->duration_ns)
);

#endif /* _IOMMU_SCOPE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iommu_scope_trace
#include <trace/define_trace.h>
