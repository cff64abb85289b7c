# SPDX-License-Identifier: GPL-2.0
# Stress: readers loop over every file of every domain directory while DMA
# runs on both disks (direct I/O, so every request maps and unmaps), the
# nvme driver is unbound and bound again, and the edu device's domain is
# freed and reallocated, for a bounded time, with lockdep, KFENCE and
# DEBUG_PAGEALLOC on. Nothing may oops, splat or hang.
. /root/lib/check.sh
. /root/lib/iopt.sh
SECS=${STRESS_SECS:-40}

check "insmod" insmod /lib/modules/iommu_scope.ko
sleep 1
end=$(( $(date +%s) + SECS ))
G=$(basename $(readlink /sys/bus/pci/devices/0000:00:01.0/iommu_group))

reader() {
	n=0
	while [ $(date +%s) -lt $end ]; do
		for f in $IOPT/domain_*/ptdump $IOPT/domain_*/ptdump_raw \
			 $IOPT/domain_*/info $IOPT/domain_*/devices $IOPT/status; do
			cat "$f" >/dev/null 2>&1 && n=$((n + 1))
		done
	done
	echo $n > /tmp/reads.$1
}
dma() {
	n=0
	while [ $(date +%s) -lt $end ]; do
		dd if=$1 of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null && n=$((n + 1))
		dd if=/dev/zero of=$1 bs=16k count=8 oflag=direct 2>/dev/null
	done
	echo $n > /tmp/dma.$2
}
churn() {
	n=0
	while [ $(date +%s) -lt $end ]; do
		echo identity > /sys/kernel/iommu_groups/$G/type
		echo DMA > /sys/kernel/iommu_groups/$G/type
		echo 0000:00:02.0 > /sys/bus/pci/drivers/nvme/unbind
		sleep 0.3
		echo 0000:00:02.0 > /sys/bus/pci/drivers/nvme/bind
		sleep 0.7
		n=$((n + 1))
	done
	echo $n > /tmp/churn
}

reader 1 & reader 2 & reader 3 &
dma /dev/vda vda & dma /dev/nvme0n1 nvme &
churn &
wait
check "readers completed reads" test "$(cat /tmp/reads.1)" -gt 10 -a "$(cat /tmp/reads.2)" -gt 10
check "virtio-blk DMA ran" test "$(cat /tmp/dma.vda)" -gt 10
check "domain churn ran" test "$(cat /tmp/churn)" -gt 3
echo "reads: $(cat /tmp/reads.1) $(cat /tmp/reads.2) $(cat /tmp/reads.3); dma: vda=$(cat /tmp/dma.vda) nvme=$(cat /tmp/dma.nvme); churn cycles: $(cat /tmp/churn)"
cat $IOPT/status
cat $IOPT/accounting
check_eq "accounting: no underflow under churn" "underflows 0" "$(grep '^underflows ' $IOPT/accounting)"
check_eq "no DMA use-after-free reported" "" "$(grep -v '^#' $IOPT/leaks)"
check "rmmod" rmmod iommu_scope
no_splat "no oops, lockdep, KFENCE or RCU report"
finish
