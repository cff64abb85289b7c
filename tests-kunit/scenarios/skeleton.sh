# SPDX-License-Identifier: GPL-2.0
# Scenario: the product module loads on a KUnit kernel without running a
# test or tainting the kernel with TAINT_TEST, creates its debugfs folder
# and tracepoints, unloads cleanly, and survives 20 load/unload cycles with
# lockdep on and no leak (kmemleak).
#
# The kernel's built-in KUnit suites are filtered out at boot (they would
# taint it themselves); a suite named iommu_scope* would still run.
# qemu-append: kunit.filter_glob=iommu_scope*
# stock: no (needs the reference kernels' KUnit and kmemleak)
. /root/lib/check.sh
KO=/lib/modules/iommu_scope.ko
# TAINT_TEST is bit 18 of /proc/sys/kernel/tainted ('N' in taint flags).
taint_test() { echo $(( ($(cat /proc/sys/kernel/tainted) >> 18) & 1 )); }

check "guest has iommu groups" test -n "$(ls /sys/kernel/iommu_groups)"
check_eq "kernel not TEST-tainted before" 0 "$(taint_test)"
ktap_mark
check "insmod" insmod $KO
check "loading runs no KUnit suite" sh -c "! dmesg | grep -qE 'KTAP version|# Subtest|kunit'"
check_eq "taint stays without TEST (N)" 0 "$(taint_test)"
check "the module's own taint flags have no N" sh -c "! grep -q N /sys/module/iommu_scope/taint"
check "debugfs io_page_tables exists" test -d $IOPT
check "status reports the map tracepoint probe active" grep -qx "probe iommu:map: active (map accounting)" $IOPT/status
# The domains found at load settle in the background; then, on this
# SMMUv3-only machine, the map function probe is no longer needed.
i=0
while [ $i -lt 100 ] && ! grep -qx "probe iommu_map_nosync: disarmed (not needed)" $IOPT/status; do
	sleep 0.1; i=$((i + 1))
done
check "the map function probe is disarmed once every domain settled" grep -qx "probe iommu_map_nosync: disarmed (not needed)" $IOPT/status
check_eq "no domain settles any more" 0 "$(sed -n 's/^seed_settling //p' $IOPT/accounting)"
check "status reports the IOMMU registration probe" grep -q "^probe iommu_device_register: active (IOMMUs registered later) missed=0$" $IOPT/status
check "status is root-only (0400)" test "$(stat -c %a $IOPT/status)" = 400
for ev in iommu_scope/iopf_fault arm_smmu_v3/smmu_evtq_event arm_smmu_v3/smmu_evtq_overflow; do
	check "tracepoint $ev exists" test -f $TR/events/$ev/format
done
check "smmu_evtq_event format has the raw record" grep -q "field:u64 raw\[4\]" $TR/events/arm_smmu_v3/smmu_evtq_event/format
expect_fail "write to status is refused" sh -c "echo 1 > $IOPT/status"
check "rmmod" rmmod iommu_scope
check "debugfs io_page_tables removed" test ! -e $IOPT
check "tracepoints removed" test ! -e $TR/events/iommu_scope

kmemleak_clear
i=0; ok=1
while [ $i -lt 20 ]; do
	insmod $KO >/dev/null 2>&1 || { ok=0; echo "insmod $i failed"; break; }
	cat $IOPT/status >/dev/null || ok=0
	rmmod iommu_scope || { ok=0; echo "rmmod $i failed"; break; }
	i=$((i + 1))
done
check_eq "20 load/unload cycles" 1 $ok
check "lsmod clean" sh -c "! grep -q iommu_scope /proc/modules"
check_eq "still not TEST-tainted" 0 "$(taint_test)"
no_leak "no leak after 20 load/unload cycles (kmemleak)"
no_splat "no kernel splat"
finish
