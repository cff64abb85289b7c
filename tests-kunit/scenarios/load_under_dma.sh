# SPDX-License-Identifier: GPL-2.0
# Scenario: loading the module while both disks do DMA (O_DIRECT and
# buffered, sizes from 512 bytes to 1 MiB) never reports a DMA
# use-after-free that did not happen, and once DMA stops, `pages` equals
# the expansion of every domain's dump exactly. Repeated load/unload.
. /root/lib/check.sh
. /root/lib/iopt.sh
KO=/lib/modules/iommu_scope.ko
ROUNDS=4

dma() {
	while [ -e /tmp/dma ]; do
		for bs in 512 4k 16k 64k 1M; do
			dd if=$1 of=/dev/null bs=$bs count=8 iflag=direct 2>/dev/null
			dd if=/dev/zero of=$1 bs=$bs count=4 oflag=direct 2>/dev/null
			dd if=$1 of=/dev/null bs=$bs count=16 2>/dev/null
		done
	done
}
reports=0; mismatches=0; underflows=0; seeded=0; r=0
while [ $r -lt $ROUNDS ]; do
	r=$((r + 1))
	touch /tmp/dma
	dma /dev/vda & dma /dev/nvme0n1 &
	sleep 1
	insmod $KO || { echo "insmod failed"; break; }
	sleep 2
	# The seeding finishes while the DMA goes on (it never waits for a
	# quiet domain, only for a quiet window of one).
	if wait_seeded 180; then seeded=$((seeded + 1)); fi
	rm -f /tmp/dma
	wait
	sync
	sleep 1
	grep -E '^(seed|seeded)' $IOPT/accounting | tr '\n' ' '; echo
	n=$(dmesg | grep -c "DMA use-after-free")
	[ "$n" = 0 ] || { reports=$n; dmesg | grep "DMA use-after-free" | head -5; }
	grep -v '^#' $IOPT/pages > /tmp/acct_pages
	dump_pa_pages > /tmp/dump_pages
	if ! cmp -s /tmp/acct_pages /tmp/dump_pages; then
		mismatches=$((mismatches + 1))
		echo "round $r: pages differ from the dumps:"; diff /tmp/acct_pages /tmp/dump_pages | head -10
	fi
	u=$(awk '/^underflows /{print $2}' $IOPT/accounting)
	underflows=$((underflows + u))
	echo "round $r: $(wc -l < /tmp/dump_pages) pages mapped, underflows=$u"
	rmmod iommu_scope || break
done
check_eq "$ROUNDS loads under DMA" $ROUNDS $r
check_eq "no DMA use-after-free reported" 0 $reports
check_eq "the seeding finished under DMA in every round" $ROUNDS $seeded
check_eq "pages equal the dumps after every round" 0 $mismatches
check_eq "no underflow (no mapping missed by the seeding)" 0 $underflows
no_splat "no kernel splat"
finish
