# SPDX-License-Identifier: GPL-2.0
# Scenario: DMA use-after-free reports. With no buggy module, DMA on both
# disks reports nothing; the test module leak_maker frees a page that is
# still mapped in the edu device's domain: exactly one report names its
# physical address, the domain, the IOVA and the device.
. /root/lib/check.sh
. /root/lib/iopt.sh

check "insmod" insmod /lib/modules/iommu_scope.ko
sleep 1
check "status lists leak detection active" grep -q "^feature leak_detection: active leaks_found=0" $IOPT/status
for i in 1 2 3; do
	dd if=/dev/vda of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
	dd if=/dev/nvme0n1 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
done
check_eq "no report without a buggy module" "" "$(grep -v '^#' $IOPT/leaks)"

D=$(basename $(dom_of 0000:00:01.0))
check "insmod leak_maker" insmod /lib/modules/leak_maker.ko
PA=$(dmesg | sed -n 's/.*leak_maker: mapped pa=\(0x[0-9a-f]*\) .*/\1/p' | tail -n1)
PA16=$(printf '0x%016x' $PA)
sleep 1
cat $IOPT/leaks
check_eq "exactly one leak reported" 1 "$(grep -c '^pa=' $IOPT/leaks)"
check "it names the physical address" grep -q "^pa=$PA16 " $IOPT/leaks
check "it names the domain, the IOVA and the device" grep -q "owners=$D iova=0x10000000 devices=0000:00:01.0;" $IOPT/leaks
check "it names the task that freed it" grep -q "freed_by=insmod\[" $IOPT/leaks
check_eq "one kernel log line" 1 "$(dmesg | grep -c "DMA use-after-free: page pa=$PA ")"
echo $PA > $IOPT/lookup
check "the page is still counted as mapped" grep -q "count=1$" $IOPT/lookup
check "rmmod leak_maker (unmaps)" rmmod leak_maker
echo $PA > $IOPT/lookup
check "the page is no longer counted" grep -q "count=0$" $IOPT/lookup
expect_fail "reset refuses other words" sh -c "echo everything > $IOPT/reset"
check "a refused reset changes nothing" grep -q "^pa=$PA16 " $IOPT/leaks
check "reset leaks" sh -c "echo leaks > $IOPT/reset"
check_eq "the log is empty after reset" "" "$(grep -v '^#' $IOPT/leaks)"
expect_fail "leaks is read-only" sh -c "echo 1 > $IOPT/leaks"
check "reset is write-only (0200)" test "$(stat -c %a $IOPT/reset)" = 200
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
