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
echo "--- status"
cat /sys/kernel/debug/io_page_tables/status
section "DMA on the disks"
dd if=/dev/vda of=/dev/null bs=64k count=64 2>/dev/null
dd if=/dev/nvme0n1 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null || true
cat /sys/kernel/debug/io_page_tables/status
for d in /sys/kernel/debug/io_page_tables/domain_*; do
	if grep -q "^0000:00:02.0 " $d/devices; then
		section "$d (the nvme disk's domain)"
		echo "--- info"; cat $d/info
		echo "--- devices"; cat $d/devices
		echo "--- ptdump"; cat $d/ptdump
		echo "--- ptdump_raw (first 12 lines)"; head -12 $d/ptdump_raw
	fi
done
section "mapping accounting"
cat /sys/kernel/debug/io_page_tables/accounting
echo "--- pages (first 5)"; head -5 /sys/kernel/debug/io_page_tables/pages
if [ -f /lib/modules/edu_dma.ko ]; then
	section "SMMUv3 events: the edu device reads 3 unmapped IOVAs"
	echo 1 > /sys/kernel/tracing/events/arm_smmu_v3/smmu_evtq_event/enable
	insmod /lib/modules/edu_dma.ko count=3
	sleep 1
	grep smmu_evtq_event: /sys/kernel/tracing/trace
	rmmod edu_dma
fi
section "the module's tracepoints"
ls /sys/kernel/tracing/events/iommu_scope/ /sys/kernel/tracing/events/arm_smmu_v3/
for e in /sys/kernel/tracing/events/arm_smmu_v3/smmu_evtq_event/format; do
	echo "--- $e"; cat "$e"
done
# The CLI (scripts/build-cli, copied to /usr/bin by scripts/demo): the same
# views, read and decoded by iommu-scope from debugfs and tracefs.
# cli CMD...: print the command line, run it, say a non-zero exit status.
cli() {
	echo "\$ iommu-scope $*"
	iommu-scope "$@" || echo "(exit status $?)"
}
if command -v iommu-scope >/dev/null; then
	section "the iommu-scope CLI (static aarch64, /usr/bin/iommu-scope)"
	cli status
	echo; cli domains
	echo; cli ptdump nvme0
	if [ -f /lib/modules/edu_dma.ko ]; then
		echo
		echo "--- events while the edu device reads 3 unmapped IOVAs"
		cli events --count 3 --timeout 20 > /tmp/cli-events.txt 2>&1 &
		sleep 1
		insmod /lib/modules/edu_dma.ko count=3
		wait $!
		rmmod edu_dma
		cat /tmp/cli-events.txt
	fi
else
	section "the iommu-scope CLI: not in this guest (no tools/iommu-scope crate to build)"
fi
section "rmmod"
rmmod iommu_scope
dmesg | tail -n 2
