# SPDX-License-Identifier: GPL-2.0
# Scenario: IO page faults reported through iommu_report_device_fault by the
# test module iopf_inject show up in the iopf/ counters (per device, PASID,
# process) and in the iommu_scope:iopf_fault tracepoint, with the right
# values; faults for a device without IOPF support are counted as refused
# and failed; a burst of 5000 leaves the counts exact and the machine
# responsive; reset and bad input.
. /root/lib/check.sh
. /root/lib/iopt.sh
F=$IOPT/iopf

check "insmod" insmod /lib/modules/iommu_scope.ko
if ! kernel_has_iopf; then
	# A kernel without IO page fault support (Debian's stock arm64
	# kernels: no SVA, so no CONFIG_IOMMU_IOPF): the feature says so once
	# and the rest serves. The reference kernels must have it.
	check "only a stock kernel lacks IOPF support" test -n "$STOCK"
	check "status: iopf unavailable (no such function)" grep -qx "feature iopf: unavailable error=-2" $IOPT/status
	check_eq "said once in the kernel log" 1 "$(dmesg | grep -c 'iopf: no probe-able iommu_report_device_fault')"
	check "no iopf/ directory" test ! -e $F
	check "the page tables still serve" grep -q "^feature io_page_tables: active" $IOPT/status
	check "accounting still serves" grep -q "^feature accounting: active" $IOPT/status
	check "the iopf_fault tracepoint still exists" test -d $TR/events/iommu_scope/iopf_fault
	check "a fault reported anyway" insmod /lib/modules/iopf_inject.ko count=3 pasid=7
	rmmod iopf_inject
	check "is refused by the kernel" sh -c "dmesg | grep -q 'iopf_inject: 3 faults reported for 0000:00:01.0, 3 refused'"
	check "rmmod" rmmod iommu_scope
	check "loaded again" insmod /lib/modules/iommu_scope.ko
	check_eq "said once per load" 2 "$(dmesg | grep -c 'iopf: no probe-able iommu_report_device_fault')"
	check "rmmod again" rmmod iommu_scope
	no_splat "no kernel splat"
	finish
	exit $?
fi
check "status lists iopf active" grep -q "^feature iopf: active reports=0 handler_outcome=tracked" $IOPT/status
echo 16384 > $TR/buffer_size_kb
echo 1 > $TR/events/iommu_scope/iopf_fault/enable
echo > $TR/trace
check "inject 10 faults with PASID 7" insmod /lib/modules/iopf_inject.ko count=10 pasid=7
rmmod iopf_inject
check_eq "device: 10 faults" "0000:00:01.0.faults 10" "$(grep '^0000:00:01.0.faults ' $F/devices)"
check_eq "device: 5 reads" "0000:00:01.0.read 5" "$(grep '^0000:00:01.0.read ' $F/devices)"
check_eq "device: 5 writes" "0000:00:01.0.write 5" "$(grep '^0000:00:01.0.write ' $F/devices)"
check_eq "device without IOPF: all refused" "0000:00:01.0.refused 10" "$(grep '^0000:00:01.0.refused ' $F/devices)"
check_eq "device without IOPF: all failed" "0000:00:01.0.failed 10" "$(grep '^0000:00:01.0.failed ' $F/devices)"
check_eq "device: none handled" "0000:00:01.0.handled 0" "$(grep '^0000:00:01.0.handled ' $F/devices)"
check_eq "PASID 7: 10 faults" "7.faults 10" "$(grep '^7.faults ' $F/pasids)"
check_eq "process: no SVA mm, 10 faults under -" "-.faults 10" "$(grep '^-.faults ' $F/processes)"
grep "iopf_fault:" $TR/trace > /tmp/tp
check_eq "10 tracepoint events" 10 "$(wc -l < /tmp/tp)"
check "tracepoint fields: dev, pasid, perm, addr, result" grep -q "dev=0000:00:01.0 mm=- type=0 pasid=7 grpid=1 perm=write addr=0x101000 result=-22 " /tmp/tp

check "inject 3 faults without PASID" insmod /lib/modules/iopf_inject.ko count=3 pasid=-1
rmmod iopf_inject
check_eq "no-PASID faults under none" "none.faults 3" "$(grep '^none.faults ' $F/pasids)"
check "inject a fault with a bad PASID" insmod /lib/modules/iopf_inject.ko count=1 pasid=1048575
rmmod iopf_inject
check_eq "bad PASID counted as failed" "1048575.failed 1" "$(grep '^1048575.failed ' $F/pasids)"

echo 0 > $TR/events/iommu_scope/iopf_fault/enable
check "reset" sh -c "echo 1 > $F/reset"
check_eq "reset clears the counters" "" "$(cat $F/devices)"
t0=$(date +%s)
check "a burst of 5000 faults" insmod /lib/modules/iopf_inject.ko count=5000 pasid=9
rmmod iopf_inject
check_eq "burst: exact count" "0000:00:01.0.faults 5000" "$(grep '^0000:00:01.0.faults ' $F/devices)"
check_eq "burst: per PASID" "9.faults 5000" "$(grep '^9.faults ' $F/pasids)"
check "the machine stays responsive (burst took under 60 s)" test $(( $(date +%s) - t0 )) -lt 60
check "status counts every report" grep -q "^feature iopf: active reports=5014 " $IOPT/status
expect_fail "reset refuses other input" sh -c "echo 2 > $F/reset"
check_eq "a refused reset changes nothing" "9.faults 5000" "$(grep '^9.faults ' $F/pasids)"
expect_fail "counters are read-only" sh -c "echo 1 > $F/devices"
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
