# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo`: show the guest's IOMMU view with iommu-scope.
set -e
section() { echo; echo "===== $* ====="; }
section "iommu groups (one per PCI device, SMMUv3)"
for g in /sys/kernel/iommu_groups/*; do
	printf '%s: ' "group $(basename $g)"
	for d in $g/devices/*; do
		printf '%s (%s) ' "$(basename $d)" "$(cat $d/vendor):$(cat $d/device)"
	done
	echo "type=$(cat $g/type)"
done
section "insmod iommu_scope.ko"
insmod /lib/modules/iommu_scope.ko
dmesg | grep -E "iommu_scope" | grep -v "^\s*$" | tail -20
section "/sys/kernel/debug/io_page_tables/"
ls -l /sys/kernel/debug/io_page_tables/
for f in /sys/kernel/debug/io_page_tables/*; do
	[ -f "$f" ] || continue
	echo "--- $f"
	cat "$f"
done
section "DMA on the disks, then the status again"
dd if=/dev/vda of=/dev/null bs=64k count=64 2>/dev/null
dd if=/dev/nvme0n1 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null || true
cat /sys/kernel/debug/io_page_tables/status
section "the module's tracepoints"
ls /sys/kernel/tracing/events/iommu_scope/
for e in /sys/kernel/tracing/events/iommu_scope/*/format; do
	echo "--- $e"; cat "$e"
done
section "rmmod"
rmmod iommu_scope
dmesg | tail -n 2
