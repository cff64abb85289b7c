/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: bindgen input for the C declarations that the kernel crate's
 * own bindings lack (fprobe) and the C helpers of the module (c/). With
 * -DIOMMU_SCOPE_KUNIT (the test crate's bindings) also the test helpers.
 *
 * Owns: the list of C declarations visible to rust/sys/ffi.rs.
 * Must not: define anything; it is parsed by bindgen (libclang) only.
 */
#ifndef _IOMMU_SCOPE_FFI_H
#define _IOMMU_SCOPE_FFI_H

#include <linux/fprobe.h>
#include <linux/ftrace.h>
#include <linux/tracepoint.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/device.h>

#include "iommu_scope_debugfs.h"
#include "iommu_scope_helpers.h"
#include "iommu_scope_smmu.h"
#include "iommu_scope_genpt.h"
#include "iommu_scope_evtq.h"
#include "iommu_scope_iopf.h"

#ifdef IOMMU_SCOPE_KUNIT
#include "iommu_scope_kunit.h"
#endif

#endif /* _IOMMU_SCOPE_FFI_H */
