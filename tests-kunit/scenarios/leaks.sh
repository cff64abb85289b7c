# SPDX-License-Identifier: GPL-2.0
# Scenario: DMA use-after-free reports. With no buggy module, DMA on both
# disks reports nothing; the test module leak_maker frees a page that is
# still mapped in the edu device's domain: exactly one report names its
# physical address, the domain, the IOVA and the device. An unmap longer
# than one release walk makes a later report unconfirmed (walk_cut).
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

# Last (it makes every later report unconfirmed until rmmod): an unmap of
# more lowest-level descriptors than one release walk reads. walk_cut maps
# one page per slot that one lowest table covers (8200 of 2M with 4K
# pages), its own page in the last, unmaps them all in one call, then
# frees its page, after the unmap. The walk stopped before the last slot,
# so the page stayed counted: its free is reported, marked unconfirmed,
# never as a plain use-after-free. Only the kernel log after the insmod is
# searched (the allocator may hand out leak_maker's page again). 4194304 is
# the module's MAX_WALK_READS.
check_eq "no release walk cut yet" "release_walks_cut 0" "$(grep '^release_walks_cut ' $IOPT/accounting)"
echo "leaks scenario: walk_cut follows" > /dev/kmsg
check "insmod walk_cut" insmod /lib/modules/walk_cut.ko
dmesg | sed -n '/leaks scenario: walk_cut follows/,$p' > /tmp/cut.log
PA=$(sed -n 's/.*walk_cut: unmapped [0-9]* slots of 0x[0-9a-f]* up to iova 0x[0-9a-f]*, freed pa=\(0x[0-9a-f]*\) .*/\1/p' /tmp/cut.log)
END=$(sed -n 's/.*walk_cut: unmapped [0-9]* slots of 0x[0-9a-f]* up to iova \(0x[0-9a-f]*\), .*/\1/p' /tmp/cut.log)
PA16=$(printf '0x%016x' $PA)
check "walk_cut says which page it freed and where its range ends" test -n "$PA" -a -n "$END"
sleep 1
cat /tmp/cut.log $IOPT/leaks
check_eq "the cut is counted" "release_walks_cut 1" "$(grep '^release_walks_cut ' $IOPT/accounting)"
check_eq "the cut is logged once, with the range it left" 1 \
	"$(grep -c "accounting: a release walk stopped at its bound of 4194304 descriptors: iova 0x[0-9a-f]*-$END stays counted" /tmp/cut.log)"
check_eq "no plain report of the page freed after its unmap" 0 "$(grep -c "DMA use-after-free: page pa=$PA " /tmp/cut.log)"
check_eq "one unconfirmed report in the kernel log" 1 \
	"$(grep -c "possible DMA use-after-free (unconfirmed: release_walks_cut in accounting): page pa=$PA " /tmp/cut.log)"
check "leaks marks it unconfirmed" grep -q "^pa=$PA16 pfn=0x[0-9a-f]* order=0 mapcount=1 unconfirmed freed_by=insmod\[" $IOPT/leaks
check "rmmod walk_cut" rmmod walk_cut
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
