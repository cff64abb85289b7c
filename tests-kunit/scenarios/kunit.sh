# SPDX-License-Identifier: GPL-2.0
# Scenario: the KUnit suites of iommu-scope, in their own test module
# iommu_scope_kunit.ko (never the product): loading it runs every suite on
# the real SMMUv3 driver, io-pgtable-arm and generic_pt of this kernel, with
# DMA running on both disks meanwhile. The host judges the console with
# the kernel's KTAP parser (kunit.py parse). Booted as the skeleton
# scenario is (built-in suites filtered out), so the TAINT_TEST check that
# proves the product runs no test is shown to fire for a module that does.
# qemu-append: kunit.filter_glob=iommu_scope*
# stock: no (needs the reference kernels' KUnit and kmemleak)
. /root/lib/check.sh
taint_test() { echo $(( ($(cat /proc/sys/kernel/tainted) >> 18) & 1 )); }
check_eq "kernel not TEST-tainted before" 0 "$(taint_test)"

end=$(( $(date +%s) + 600 ))
dma() {
	while [ -e /tmp/dma ] && [ $(date +%s) -lt $end ]; do
		dd if=$1 of=/dev/null bs=4k count=32 iflag=direct 2>/dev/null
		dd if=/dev/zero of=$1 bs=64k count=4 oflag=direct 2>/dev/null
	done
}
touch /tmp/dma
dma /dev/vda & dma /dev/nvme0n1 &
ktap_mark
check "insmod iommu_scope_kunit (runs the suites)" insmod /lib/modules/iommu_scope_kunit.ko
ktap_dump
check_eq "the test module taints TEST (the skeleton's check can fail)" 1 "$(taint_test)"
rm -f /tmp/dma
wait
all_ok=1
for s in iommu_scope_selftest iommu_scope_ptdump iommu_scope_genpt iommu_scope_accounting iommu_scope_smmu_streams; do
	# A suite's own line: "ok N name" at the start, after an optional
	# timestamp ("not ok" and the indented test cases do not match).
	# A suite whose every case skipped (a kernel without what it tests,
	# e.g. generic_pt) ends "# SKIP": that is ok too.
	dmesg | grep -qE "^(\[[^]]*\] *)?ok [0-9]+ $s( # SKIP.*)?\$" || { all_ok=0; echo "suite $s not ok"; }
done
check_eq "every suite reported ok" 1 $all_ok
check "rmmod iommu_scope_kunit" rmmod iommu_scope_kunit
no_splat "no kernel splat"
finish
