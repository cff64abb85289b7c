// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `iommu_scope_smmu_streams`: the stream table copy of
//! `c/smmu_v3.c` on the running SMMUv3, read in one hold of the driver's
//! `streams_mutex` and again in holds of 1, 2, 3 and 8 entries, so that
//! every resume point is crossed (the next SID's tree search, a CD scan
//! resumed with its STE and CD table checked again): the copies must be
//! the same, SIDs strictly increasing.
//!
//! Owns: that suite (built into `iommu_scope_kunit.ko` only). Must not:
//! change the SMMU's state.

#[kernel::macros::kunit_tests(iommu_scope_smmu_streams)]
mod tests {
    use kernel::prelude::*;

    use crate::sys::smmu::{instances, CdRec, StreamRec};
    use crate::sys::testing::ctx;

    const STREAMS: usize = 512;
    const CDS: usize = 4096;

    /// One copy: (SIDs visited, the streams, the CDs).
    type Snap = (usize, KVVec<StreamRec>, KVVec<CdRec>);

    fn copy(inst: crate::sys::smmu::SmmuInstance, per_lock: u32) -> Result<Snap> {
        let mut s = KVVec::with_capacity(STREAMS, GFP_KERNEL)?;
        s.extend_with(STREAMS, StreamRec::default(), GFP_KERNEL)?;
        let mut c = KVVec::with_capacity(CDS, GFP_KERNEL)?;
        c.extend_with(CDS, CdRec::default(), GFP_KERNEL)?;
        let (total, n) = inst.streams(per_lock, &mut s, &mut c)?;
        s.truncate(total.min(STREAMS));
        c.truncate(n);
        Ok((total, s, c))
    }

    fn same_stream(a: &StreamRec, b: &StreamRec) -> bool {
        a.sid() == b.sid()
            && a.dev() == b.dev()
            && a.ste() == b.ste()
            && a.ste_torn() == b.ste_torn()
            && a.cd_state() == b.cd_state()
            && a.cds_cut() == b.cds_cut()
            && !b.cds_changed()
    }

    fn same_cd(a: &CdRec, b: &CdRec) -> bool {
        a.ssid() == b.ssid() && a.words() == b.words() && a.torn() == b.torn()
    }

    /// Reads in holds of 1, 2, 3 and 8 entries give the one-hold copy:
    /// the same SIDs in increasing order, each once, the same STEs, and
    /// each stream the same CDs (nothing changes streams meanwhile).
    #[test]
    fn batched_copy_is_the_one_hold_copy() -> Result {
        let mut seen = 0;
        for inst in instances() {
            let (total, streams, cds) = ctx!(copy(inst, u32::MAX), "one-hold copy");
            assert!(total > 0);
            assert!(streams.windows(2).all(|w| w[0].sid() < w[1].sid()));
            // The QEMU guests' devices translate through stage 1: CDs read.
            assert!(!cds.is_empty());
            for per_lock in [1u32, 2, 3, 8] {
                let (t, s, c) = ctx!(copy(inst, per_lock), "copy by {}", per_lock);
                assert_eq!(t, total);
                assert_eq!(s.len(), streams.len());
                assert_eq!(c.len(), cds.len());
                for (a, b) in streams.iter().zip(s.iter()) {
                    assert!(same_stream(a, b));
                    let (ca, cb) = (a.cds(&cds), b.cds(&c));
                    assert_eq!(ca.len(), cb.len());
                    assert!(ca.iter().zip(cb.iter()).all(|(x, y)| same_cd(x, y)));
                }
            }
            seen += 1;
        }
        assert!(seen > 0);
        Ok(())
    }

    /// A copy that may hold the lock for no entry at all is refused.
    #[test]
    fn zero_entries_per_hold_is_refused() -> Result {
        for inst in instances() {
            assert!(matches!(copy(inst, 0), Err(e) if e == EINVAL));
        }
        Ok(())
    }
}
