/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: the SMMUv3 event queue as the module sees it (positions and
 * records), and the decoded event Rust hands to the tracepoint.
 *
 * Owns: the record layouts exchanged with Rust. Must not: expose kernel
 * pointers to user space.
 */
#ifndef _IOMMU_SCOPE_EVTQ_H
#define _IOMMU_SCOPE_EVTQ_H

#include <linux/types.h>

/* Dwords of one event record (the driver's EVTQ_ENT_DWORDS, checked). */
#define IOMMU_SCOPE_EVTQ_ENT_DWORDS	4

/* Bits of iommu_scope_evt.valid: which decoded fields are meaningful. */
#define IOMMU_SCOPE_EVT_SSID	0x01
#define IOMMU_SCOPE_EVT_IOVA	0x02
#define IOMMU_SCOPE_EVT_IPA	0x04
#define IOMMU_SCOPE_EVT_FETCH	0x08
#define IOMMU_SCOPE_EVT_ACCESS	0x10
#define IOMMU_SCOPE_EVT_STAGE	0x20
#define IOMMU_SCOPE_EVT_STALL	0x40

struct iommu_scope_evt {
	u64 raw[IOMMU_SCOPE_EVTQ_ENT_DWORDS];
	const char *name;
	u64 iova;
	u64 ipa;
	u64 fetch_addr;
	u32 sid;
	u32 ssid;
	u16 stag;
	u16 valid;
	u8 type;
	u8 read;
	u8 insn;
	u8 priv;
	u8 s2;
	u8 class;
	u8 stall;
};

/*
 * Positions of an SMMU's event queue: software cons, hardware prod, each
 * as wrap bit and index (without the overflow flag), and the overflow flag
 * of each apart.
 */
struct iommu_scope_evtq_pos {
	u32 cons;
	u32 prod;
	u32 shift;	/* log2 of the number of entries */
	u8 cons_ovf;
	u8 prod_ovf;
};

/* Whether @smmu (the dev_id of the evtq thread) is a known SMMUv3. */
bool iommu_scope_smmu_known(void *smmu);
/* Read the positions; -ENODEV if @smmu is not a known SMMUv3. */
int iommu_scope_evtq_pos(void *smmu, struct iommu_scope_evtq_pos *pos);
/*
 * Copy record @idx (any value, masked to the queue) into
 * @out[IOMMU_SCOPE_EVTQ_ENT_DWORDS].
 */
int iommu_scope_evtq_read(void *smmu, u32 idx, u64 *out);
/* The SMMU's device name into @buf. */
void iommu_scope_smmu_name(void *smmu, char *buf, size_t len);
/*
 * The stream ID -> client table of the known SMMUs: filled by one bus walk
 * and kept current by bus notifiers (process context); _exit unregisters
 * them. _dropped: entries that did not fit.
 */
int iommu_scope_smmu_clients_init(void);
void iommu_scope_smmu_clients_exit(void);
unsigned int iommu_scope_smmu_clients_dropped(void);
/*
 * The name of the device with stream ID @sid behind @smmu, or "-": a
 * bounded lookup under a raw spinlock, any context.
 */
void iommu_scope_sid_name(void *smmu, u32 sid, char *buf, size_t len);
/* Fire arm_smmu_v3:smmu_evtq_event / smmu_evtq_overflow. */
void iommu_scope_trace_evtq_event(const char *smmu, const char *client,
				  const struct iommu_scope_evt *e);
void iommu_scope_trace_evtq_overflow(const char *smmu, u64 overflows);

#endif /* _IOMMU_SCOPE_EVTQ_H */
