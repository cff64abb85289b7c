/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: tracepoints of system "arm_smmu_v3". Field meanings are in
 * Documentation/tracepoints.rst.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM arm_smmu_v3

#if !defined(_IOMMU_SCOPE_SMMU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IOMMU_SCOPE_SMMU_TRACE_H

#include <linux/tracepoint.h>

#include "iommu_scope_evtq.h"

/*
 * smmu_evtq_event: one record of an SMMUv3 event queue, raw and decoded.
 * Fields a record type does not carry are 0; "valid" says which are set.
 */
TRACE_EVENT(smmu_evtq_event,
	TP_PROTO(const char *smmu, const char *client,
		 const struct iommu_scope_evt *e),
	TP_ARGS(smmu, client, e),
	TP_STRUCT__entry(
		__string(smmu, smmu)
		__string(client, client)
		__string(name, e->name)
		__array(u64, raw, IOMMU_SCOPE_EVTQ_ENT_DWORDS)
		__field(u8, type)
		__field(u32, sid)
		__field(u32, ssid)
		__field(u64, iova)
		__field(u64, ipa)
		__field(u64, fetch_addr)
		__field(u16, stag)
		__field(u8, read)
		__field(u8, insn)
		__field(u8, priv)
		__field(u8, s2)
		__field(u8, class)
		__field(u8, stall)
		__field(u16, valid)
	),
	TP_fast_assign(
		__assign_str(smmu);
		__assign_str(client);
		__assign_str(name);
		memcpy(__entry->raw, e->raw, sizeof(__entry->raw));
		__entry->type = e->type;
		__entry->sid = e->sid;
		__entry->ssid = e->ssid;
		__entry->iova = e->iova;
		__entry->ipa = e->ipa;
		__entry->fetch_addr = e->fetch_addr;
		__entry->stag = e->stag;
		__entry->read = e->read;
		__entry->insn = e->insn;
		__entry->priv = e->priv;
		__entry->s2 = e->s2;
		__entry->class = e->class;
		__entry->stall = e->stall;
		__entry->valid = e->valid;
	),
	TP_printk("smmu=%s client=%s %s(0x%02x) sid=0x%x ssid=0x%x ssv=%u iova=0x%llx ipa=0x%llx fetch=0x%llx %s %s %s %s class=%u stall=%u stag=0x%x raw=%016llx:%016llx:%016llx:%016llx",
		  __get_str(smmu), __get_str(client), __get_str(name),
		  __entry->type, __entry->sid, __entry->ssid,
		  !!(__entry->valid & IOMMU_SCOPE_EVT_SSID), __entry->iova,
		  __entry->ipa, __entry->fetch_addr,
		  __entry->read ? "read" : "write",
		  __entry->insn ? "insn" : "data",
		  __entry->priv ? "priv" : "unpriv",
		  __entry->s2 ? "s2" : "s1", __entry->class,
		  __entry->stall, __entry->stag,
		  __entry->raw[0], __entry->raw[1], __entry->raw[2],
		  __entry->raw[3])
);

/* smmu_evtq_overflow: the queue overflowed; records were lost. */
TRACE_EVENT(smmu_evtq_overflow,
	TP_PROTO(const char *smmu, u64 overflows),
	TP_ARGS(smmu, overflows),
	TP_STRUCT__entry(
		__string(smmu, smmu)
		__field(u64, overflows)
	),
	TP_fast_assign(
		__assign_str(smmu);
		__entry->overflows = overflows;
	),
	TP_printk("smmu=%s overflows=%llu", __get_str(smmu), __entry->overflows)
);

#endif /* _IOMMU_SCOPE_SMMU_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE arm_smmu_v3_trace
#include <trace/define_trace.h>
