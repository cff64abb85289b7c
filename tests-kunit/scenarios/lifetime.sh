# SPDX-License-Identifier: GPL-2.0
# Scenario: module lifetime. While any file of the module is open, rmmod
# fails and the module stays; closing it afterwards is harmless, and rmmod
# then succeeds. Load/unload cycles with readers holding files open, DMA in
# flight and domain files read in a loop: no splat, no leak (kmemleak).
. /root/lib/check.sh
. /root/lib/iopt.sh
KO=/lib/modules/iommu_scope.ko
loaded() { grep -q "^iommu_scope " /proc/modules; }

check "insmod" insmod $KO
sleep 1
for f in status lookup accounting "$(basename $(dom_of 0000:00:02.0))/ptdump"; do
	exec 3< $IOPT/$f
	expect_fail "rmmod refused while $f is open" rmmod iommu_scope
	check "module still loaded while $f is open" loaded
	check "the open $f is still readable" sh -c "cat <&3 >/dev/null"
	exec 3<&-
done
exec 4> $IOPT/reset
expect_fail "rmmod refused while reset is open for writing" rmmod iommu_scope
exec 4>&-
check "rmmod after every file is closed" rmmod iommu_scope
check "debugfs folder gone" test ! -e $IOPT

# Cycles: readers keep opening files while the module comes and goes; DMA
# runs on both disks. A reader holding a file makes rmmod fail: retry.
kmemleak_clear
CYCLES=6
end=$(( $(date +%s) + 240 ))
touch /tmp/run
dma() {
	while [ -e /tmp/run ]; do
		dd if=$1 of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
		dd if=/dev/zero of=$1 bs=4k count=64 oflag=direct 2>/dev/null
	done
}
reader() {
	while [ -e /tmp/run ]; do
		for f in $IOPT/status $IOPT/pages $IOPT/leaks $IOPT/domain_*/ptdump $IOPT/domain_*/info; do
			cat $f >/dev/null 2>&1
		done
	done
}
dma /dev/vda & dma /dev/nvme0n1 & reader & reader &
loads=0; unloads=0; refused=0
while [ $loads -lt $CYCLES ] && [ $(date +%s) -lt $end ]; do
	if insmod $KO 2>/dev/null; then loads=$((loads + 1)); fi
	sleep 1
	n=0
	while loaded && [ $n -lt 50 ]; do
		if rmmod iommu_scope 2>/dev/null; then unloads=$((unloads + 1)); else refused=$((refused + 1)); fi
		n=$((n + 1))
	done
done
rm -f /tmp/run
wait
loaded && rmmod iommu_scope
echo "cycles: loads=$loads unloads=$unloads refused_while_open=$refused"
check_eq "$CYCLES load/unload cycles under readers and DMA" $CYCLES $unloads
check_eq "every load was unloaded" $loads $unloads
check "module gone" sh -c "! loaded"
no_leak "no leak after the cycles (kmemleak)"
no_splat "no kernel splat"
finish
