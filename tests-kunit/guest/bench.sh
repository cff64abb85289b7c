# SPDX-License-Identifier: GPL-2.0
# Guest side of make bench (scripts/bench), sourced after ROUNDS, SECS,
# BOOT (module: base and module rounds, P2-P4; intree: the kernel's
# iommu.debug_pagealloc only), CONFIGS ("pages/threads" list) and P1ONLY
# (1: stop after P1) are set.
# Prints machine-readable lines:
#   BENCH <side> <pages> <threads> <map us> <unmap us>   (side: base,
#     floor (hook_floor.ko), module, intree)
#   P2 <layout> <file> bytes=<n> ns=<t> mem_kb=<k>    FLOOR <layout> reads=... ns=...
#   P3 <key> <value>                                  P4 <state> events=<n> ms=<t>
IOPT=/sys/kernel/debug/io_page_tables
KO=/lib/modules/iommu_scope.ko
echo dma_map_benchmark > /sys/bus/pci/devices/0000:00:01.0/driver_override
echo 0000:00:01.0 > /sys/bus/pci/drivers/dma_map_benchmark/bind

run() { # pages threads -> "map unmap"
	dma_map_benchmark -t "$2" -s "$SECS" -g "$1" | sed -n 's/^average .*map latency(us):\([0-9.]*\).*/\1/p' | tr '\n' ' '
}

if [ "$BOOT" = intree ]; then
	grep -q 'iommu.debug_pagealloc=1' /proc/cmdline || { echo "BENCH-ERROR no iommu.debug_pagealloc"; exit 1; }
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		for c in $CONFIGS; do
			echo "BENCH intree ${c%/*} ${c#*/} $(run ${c%/*} ${c#*/})"
		done
		i=$((i + 1))
	done
	exit 0
fi

# P1: alternating rounds without the module, with hook_floor (the same
# hook points, empty handlers: the least a module can add) and with the
# module.
i=0
while [ $i -lt "$ROUNDS" ]; do
	for c in $CONFIGS; do
		echo "BENCH base ${c%/*} ${c#*/} $(run ${c%/*} ${c#*/})"
	done
	insmod /lib/modules/hook_floor.ko || exit 1
	for c in $CONFIGS; do
		echo "BENCH floor ${c%/*} ${c#*/} $(run ${c%/*} ${c#*/})"
	done
	hits=$(cat /sys/module/hook_floor/parameters/hits)
	rmmod hook_floor || exit 1
	[ "$hits" -gt 0 ] || { echo "BENCH-ERROR hook_floor saw no unmap"; exit 1; }
	insmod $KO || exit 1
	# Steady state: the domains found at load have settled (the seeding
	# is a one-off after insmod; see accounting.rst).
	w=0
	while [ $w -lt 100 ] && [ "$(sed -n 's/^seed_settling //p' $IOPT/accounting)" != 0 ]; do
		sleep 0.1; w=$((w + 1))
	done
	echo "STATE $(grep '^probe iommu_map_nosync' $IOPT/status)"
	for c in $CONFIGS; do
		echo "BENCH module ${c%/*} ${c#*/} $(run ${c%/*} ${c#*/})"
	done
	rmmod iommu_scope || exit 1
	i=$((i + 1))
done

if [ "${P1ONLY:-0}" = 1 ]; then
	echo BENCH-DONE
	exit 0
fi

# P2 and P3: a domain of 262,144 4K mappings, as one run and as 262,144.
insmod $KO || exit 1
for layout in contiguous scattered; do
	insmod /lib/modules/bench_domain.ko layout=$layout || exit 1
	id=$(dmesg | sed -n 's/.*bench_domain: domain \([0-9a-f]*\) .*/\1/p' | tail -1)
	dmesg | grep 'bench_domain: domain' | tail -1
	echo "FLOOR $layout $(cat /sys/module/bench_domain/parameters/walk)"
	for f in ptdump ptdump_raw; do
		echo "P2 $layout $f $(bench_read $IOPT/domain_$id/$f)"
	done
	tail -2 $IOPT/domain_$id/ptdump
	echo "FLOOR $layout $(cat /sys/module/bench_domain/parameters/walk)"
	if [ $layout = scattered ]; then
		awk '{ print "P3", $1, $2 }' $IOPT/accounting
	fi
	rmmod bench_domain
done
rmmod iommu_scope

# P4: a burst of N SMMU events: without the module, with it and the
# tracepoint off, with it and the tracepoint on. The burst is over when the
# event queue's interrupt count has not moved for 500 ms.
NIC=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = "0x8086:0x100e" ] && basename $d; done | head -1)
evtq_irqs() { awk '/evtq/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts; }
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
burst() { # state
	EV0=0
	[ -e $IOPT/status ] && EV0=$(sed -n 's/^feature smmu_evtq_event: .* events=\([0-9]*\).*/\1/p' $IOPT/status)
	t0=$(ms)
	insmod /lib/modules/evtq_flood.ko count=$NEV iova=0x10000000 || exit 1
	last=$(evtq_irqs); lt=$(ms)
	while :; do
		sleep 0.05
		n=$(evtq_irqs); t=$(ms)
		if [ "$n" != "$last" ]; then last=$n; lt=$t; elif [ $((t - lt)) -ge 500 ]; then break; fi
	done
	ev=-
	[ -e $IOPT/status ] && ev=$(( $(sed -n 's/^feature smmu_evtq_event: .* events=\([0-9]*\).*/\1/p' $IOPT/status) - EV0 ))
	echo "P4 $1 events=$ev ms=$((lt - t0))"
	rmmod evtq_flood
}
NEV=16384
TR=/sys/kernel/tracing
echo 16384 > $TR/buffer_size_kb
i=0
while [ $i -lt 3 ]; do
	burst base
	insmod $KO || exit 1
	burst tracepoint_off
	echo 1 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
	burst tracepoint_on
	echo 0 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
	echo > $TR/trace
	rmmod iommu_scope
	i=$((i + 1))
done
echo BENCH-DONE
