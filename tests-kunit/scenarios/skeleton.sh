# SPDX-License-Identifier: GPL-2.0
# Scenario: the module skeleton loads (running its KUnit suite), creates
# its debugfs folder and tracepoint, unloads cleanly, and survives 20
# load/unload cycles with lockdep on.
. /root/lib/check.sh
KO=/lib/modules/iommu_scope.ko

check "guest has iommu groups" test -n "$(ls /sys/kernel/iommu_groups)"
ktap_mark
check "insmod" insmod $KO
ktap_dump
check "debugfs io_page_tables exists" test -d $IOPT
check "status reports the fprobe active" grep -q "^probe iommu_map_nosync: active" $IOPT/status
check "status is root-only (0400)" test "$(stat -c %a $IOPT/status)" = 400
check "tracepoint iommu_scope:scope_selftest exists" test -f $TR/events/iommu_scope/scope_selftest/format
check "tracepoint format has fields" grep -q "field:u64 value" $TR/events/iommu_scope/scope_selftest/format
expect_fail "write to status is refused" sh -c "echo 1 > $IOPT/status"
check "rmmod" rmmod iommu_scope
check "debugfs io_page_tables removed" test ! -e $IOPT
check "tracepoint removed" test ! -e $TR/events/iommu_scope

# The cycles run only the light self-test suite on each load.
echo 'iommu_scope_selftest' > /sys/module/kunit/parameters/filter_glob
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
no_leak "no leak after 20 load/unload cycles (kmemleak)"
no_splat "no kernel splat"
finish
