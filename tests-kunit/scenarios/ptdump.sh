# SPDX-License-Identifier: GPL-2.0
# Scenario: io_page_tables/domain_<id>/ for the real SMMUv3 domains of the
# QEMU machine. The ptdump of the nvme and virtio-blk domains must equal a
# replay of the kernel's own iommu:map / iommu:unmap events recorded while
# the driver is bound again and DMA runs; directories follow domains as
# they are freed and allocated; bad input gets clear errors.
. /root/lib/check.sh
. /root/lib/iopt.sh
page_granule

check "insmod" insmod /lib/modules/iommu_scope.ko
sleep 1
echo 16384 > $TR/buffer_size_kb

# One domain per IOMMU group (the kernel's own list), one group per PCI
# device here.
NG=$(ls /sys/kernel/iommu_groups | wc -l)
check_eq "one directory per PCI device's domain" $NG "$(ls -d $IOPT/domain_* | wc -l)"
check "directory names are domain_<16 hex digits>" sh -c "ls $IOPT | grep '^domain_' | grep -qvE '^domain_[0-9a-f]{16}$' && exit 1 || exit 0"
check "status lists the feature active" grep -q "^feature io_page_tables: active smmu_v3_devices=$NG" $IOPT/status
check "the dumps' unmap marks use the accounting's probe" grep -qx "probe __iommu_unmap: active (dump consistency marks, the accounting's probe)" $IOPT/status
check_eq "one __iommu_unmap probe with a missed count" 1 "$(grep -c '^probe __iommu_unmap: active .* missed=' $IOPT/status)"

for dev in 0000:00:00.0 0000:00:01.0 0000:00:02.0 0000:00:03.0; do
	D=$(dom_of $dev)
	check "$dev has a domain directory" test -n "$D"
	[ -n "$D" ] || continue
	grp=$(basename $(readlink /sys/bus/pci/devices/$dev/iommu_group))
	check "$dev devices line names group $grp and a stream ID" grep -qE "^$dev group=$grp sid=0x[0-9a-f]+ pasid=none$" $D/devices
	check "$dev info: arm-smmu-v3 stage 1 $GRAN $LEVELS levels" sh -c "grep -qx 'driver: arm-smmu-v3' $D/info && grep -qx 'format: ARM_64_LPAE_S1 (stage 1)' $D/info && grep -qx 'granule: $GRAN' $D/info && grep -q '^levels: $LEVELS ' $D/info && grep -qx 'type: DMA' $D/info"
	check "$dev ptdump ends consistent" sh -c "tail -n1 $D/ptdump | grep -q '^# consistent'"
	check "$dev ptdump lines are well-formed" sh -c "grep -v '^#' $D/ptdump | grep -vqE '^0x[0-9a-f]{16}-0x[0-9a-f]{16} +[0-9]+[KMGTP]? pa=0x[0-9a-f]{16} L[0-3] (page|block|contig) +[R-][W-][X-] (priv|user) (AF|--) [A-Za-z-]+ (NSH|OSH|ISH) (-|clean|dirty)( ns)?( ng)?( x[0-9]+)?$' && exit 1 || exit 0"
done

# replay DEV DRIVER DISK: unbind DEV, snapshot, trace while binding it again
# and running DMA on DISK, compare the dump with the replay.
replay_check() {
	dev=$1; drv=$2; disk=$3
	D=$(dom_of $dev)
	echo $dev > /sys/bus/pci/drivers/$drv/unbind
	sleep 1
	pt_pages $D > /tmp/base
	check_eq "$dev: after unbind only the MSI doorbell page stays mapped" $((PS / 4096)) "$(wc -l < /tmp/base)"
	trace_iommu_on
	echo $dev > /sys/bus/pci/drivers/$drv/bind
	i=0; while [ ! -b $disk ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	dd if=$disk of=/dev/null bs=64k count=64 2>/dev/null
	dd if=/dev/zero of=$disk bs=64k count=16 conv=fsync 2>/dev/null
	dd if=$disk of=/dev/null bs=4k count=256 skip=1000 2>/dev/null
	sync
	trace_iommu_off
	cat $TR/trace > /tmp/trace
	check "$dev: map events recorded" grep -q " map: IOMMU:" /tmp/trace
	check "$dev: trace buffer did not overflow" sh -c "! grep -q 'LOST' /tmp/trace"
	replay /tmp/base /tmp/trace > /tmp/expect
	pt_pages $D > /tmp/actual
	check "$dev: ptdump equals the replay of iommu:map/unmap ($(wc -l < /tmp/expect) pages)" cmp /tmp/expect /tmp/actual
	check "$dev: bound again, the dump has more than the doorbell" test "$(wc -l < /tmp/actual)" -gt 1
}
replay_check 0000:00:02.0 nvme /dev/nvme0n1
replay_check 0000:00:03.0 virtio-pci /dev/vda

# Directories follow domains: the edu device has no driver, so its group's
# default domain can be replaced through sysfs.
G=$(basename $(readlink /sys/bus/pci/devices/0000:00:01.0/iommu_group))
D=$(dom_of 0000:00:01.0)
exec 3< $D/ptdump
echo identity > /sys/kernel/iommu_groups/$G/type
sleep 1
check "edu: directory gone after its domain is freed" test ! -e $D
check_eq "edu: one domain directory less" $((NG - 1)) "$(ls -d $IOPT/domain_* | wc -l)"
expect_fail "edu: reading a file held open across the free fails" cat <&3
exec 3<&-
echo DMA-FQ > /sys/kernel/iommu_groups/$G/type
sleep 1
D2=$(dom_of 0000:00:01.0)
check "edu: a new directory appears with the new domain" test -n "$D2"
check "edu: new domain's info says DMA-FQ" grep -qx "type: DMA-FQ" $D2/info
echo DMA > /sys/kernel/iommu_groups/$G/type
sleep 1
check "edu: back to a DMA domain" grep -qx "type: DMA" $(dom_of 0000:00:01.0)/info

# Streamed dumps: a domain of 32,768 4K mappings with scattered physical
# addresses (bench_domain: never attached, nothing accesses them) dumps one
# line per page, reads every descriptor once (the module's own C walk of
# the same table is the oracle), gives the same bytes whatever the read
# size and however two readers interleave, and a reader that holds it open
# after one read holds a page of kernel memory, not the whole text (about
# 3.6 MB here). The test module maps 4K pages: 4K kernels only.
if [ $PS = 4096 ]; then
	N=32768
	check "insmod bench_domain ($N scattered 4K pages)" insmod /lib/modules/bench_domain.ko pages=$N layout=scattered
	id=$(dmesg | sed -n 's/.*bench_domain: domain \([0-9a-f]*\) .*/\1/p' | tail -1)
	B=$IOPT/domain_$id
	check "bench_domain's directory exists" test -d "$B"
	cat $B/ptdump > /tmp/big
	floor=$(sed -n 's/^reads=\([0-9]*\) .*unreadable=0$/\1/p' /sys/module/bench_domain/parameters/walk)
	check_eq "big dump: one line per page" $N "$(grep -vc '^#' /tmp/big)"
	check_eq "big dump: first run" "0x0000000100000000-0x0000000100001000 4K pa=0x0000002007fff000 L3 page" "$(sed -n 2p /tmp/big | awk '{print $1, $2, $3, $4, $5}')"
	check_eq "big dump: last run" "0x0000000107fff000-0x0000000108000000 4K pa=0x0000002000000000 L3 page" "$(grep -v '^#' /tmp/big | tail -n1 | awk '{print $1, $2, $3, $4, $5}')"
	check_eq "big dump: counters, reads equal to a C walk of the table ($floor)" "# runs=$N leaves=$N mapped=$((N * 4096)) reads=$floor" "$(tail -n2 /tmp/big | head -n1)"
	check_eq "big dump: consistent" "# consistent: no unmap ran during the dump" "$(tail -n1 /tmp/big)"
	sum=$(md5sum < /tmp/big)
	for bs in 333 4096 65536 1048576; do
		check_eq "big dump read in $bs-byte reads: the same bytes" "$sum" "$(dd if=$B/ptdump bs=$bs 2>/dev/null | md5sum)"
	done
	exec 3< $B/ptdump 4< $B/ptdump
	dd bs=65536 count=1 <&3 > /tmp/r3 2>/dev/null
	dd bs=65536 count=1 <&4 > /tmp/r4 2>/dev/null
	dd bs=65536 count=3 <&3 >> /tmp/r3 2>/dev/null
	cat <&4 >> /tmp/r4
	cat <&3 >> /tmp/r3
	exec 3<&- 4<&-
	check_eq "two interleaved readers: first gets the whole dump" "$sum" "$(md5sum < /tmp/r3)"
	check_eq "two interleaved readers: second gets the whole dump" "$sum" "$(md5sum < /tmp/r4)"
	kb() { awk '/^(VmallocUsed|Slab):/ {s += $2} END {print s}' /proc/meminfo; }
	before=$(kb)
	exec 3< $B/ptdump
	dd bs=4096 count=1 <&3 > /dev/null 2>&1
	grew=$(( $(kb) - before ))
	exec 3<&-
	check "a reader holding the big dump open after one read holds < 1 MiB of kernel memory (${grew} KiB)" test $grew -lt 1024
	check_eq "a read at an offset pages into the dump returns the same bytes" "$(tail -c +1000001 /tmp/big | head -c 300)" "$(dd if=$B/ptdump bs=100 skip=10000 count=3 2>/dev/null)"
	raw_lines=$(grep -vc '^#' $B/ptdump_raw)
	check_eq "big raw dump: one line per valid descriptor ($N pages, 64 L3 tables, one L2, one L1)" $((N + 64 + 2)) $raw_lines
	# A dump held open part-read while its domain goes: later reads fail
	# (EIO), closing it afterwards is harmless.
	exec 3< $B/ptdump
	dd bs=4096 count=1 <&3 > /dev/null 2>&1
	check "rmmod bench_domain while its dump is open part-read" rmmod bench_domain
	sleep 1
	expect_fail "the part-read dump of the freed domain fails to read on" sh -c "cat <&3 > /dev/null"
	exec 3<&-
fi

# Bad input and odd offsets.
D=$(dom_of 0000:00:02.0)
for f in info devices ptdump ptdump_raw; do
	expect_fail "write to $f is refused" sh -c "echo x > $D/$f"
	check "$f is root-only (0400)" test "$(stat -c %a $D/$f)" = 400
done
cat $D/ptdump_raw > /tmp/raw
check "ptdump_raw has table and page lines" sh -c "grep -q ' table -> 0x' /tmp/raw && grep -q ' page$' /tmp/raw"
dd if=$D/ptdump_raw of=/tmp/part bs=1 skip=13 count=40 2>/dev/null
check "reading at an odd offset returns the same bytes" sh -c "[ \"\$(cat /tmp/part)\" = \"\$(head -c 53 /tmp/raw | tail -c 40)\" ]"
check "rmmod" rmmod iommu_scope
check "all directories removed" test ! -e $IOPT
no_splat "no kernel splat"
finish
