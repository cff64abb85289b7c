# SPDX-License-Identifier: GPL-2.0
# Scenario: a burst of 16384 SMMU translation faults (the test driver
# evtq_flood makes QEMU's e1000 read 16384 unmapped buffers with one
# register write). Every record reaches the arm_smmu_v3:smmu_evtq_event
# tracepoint exactly once, with the NIC as client and its buffer IOVAs in
# order, and the module's counters say the same (or report an overflow of
# the hardware queue); the machine stays responsive (a heartbeat keeps
# ticking) and no soft lockup, RCU stall or hung task is reported.
. /root/lib/check.sh
. /root/lib/iopt.sh
N=16384
BASE=0x10000000
NIC=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = "0x8086:0x100e" ] && basename $d; done | head -1)

check "an e1000 NIC is present" test -n "$NIC"
check "insmod" insmod /lib/modules/iommu_scope.ko
SID=$(sed -n "s/^$NIC group=[0-9]* sid=\(0x[0-9a-f]*\).*/\1/p" $(dom_of $NIC)/devices)
check "the NIC has a stream ID" test -n "$SID"
echo 16384 > $TR/buffer_size_kb
echo 1 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
echo > $TR/trace
# Heartbeat: the uptime every 100 ms while the burst is handled.
rm -f /tmp/stop /tmp/beats
( while [ ! -e /tmp/stop ]; do cut -d' ' -f1 /proc/uptime >> /tmp/beats; sleep 0.1; done ) &
t0=$(date +%s)
check "evtq_flood issues $N faulting reads" insmod /lib/modules/evtq_flood.ko count=$N iova=$BASE
# Wait until the events stop arriving.
last=-1; n=0
for i in $(seq 1 120); do
	n=$(awk '/^feature smmu_evtq_event:/ { for (i = 1; i <= NF; i++) if ($i ~ /^events=/) { sub(/^events=/, "", $i); print $i } }' $IOPT/status)
	[ "$n" = "$last" ] && [ "$n" -ge $N ] && break
	last=$n
	sleep 1
done
t1=$(date +%s)
touch /tmp/stop; wait
gap=$(awk 'NR > 1 { g = $1 - p; if (g > m) m = g } { p = $1 } END { printf "%d", m * 1000 }' /tmp/beats)
echo 0 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
echo "burst handled in about $((t1 - t0)) s; longest heartbeat gap ${gap} ms ($(wc -l < /tmp/beats) beats)"
klog | grep evtq_flood:
grep "^feature smmu_evtq_event" $IOPT/status
grep "smmu_evtq_event:" $TR/trace > /tmp/ev
ov=$(sed -n 's/^feature smmu_evtq_event: .*overflows=\([0-9]*\).*/\1/p' $IOPT/status)
if [ "$ov" = 0 ]; then
	check_eq "status counts exactly $N events" $N "$n"
	check_eq "exactly $N trace events" $N "$(wc -l < /tmp/ev)"
else
	echo "the hardware event queue overflowed $ov time(s): the count is a lower bound"
	check "status reports the overflow and fewer events" test "$n" -lt $N
fi
check_eq "every event is an F_TRANSLATION from the NIC's stream ID $SID" "$(wc -l < /tmp/ev)" "$(grep -c " F_TRANSLATION(0x10) sid=$SID " /tmp/ev)"
check_eq "every event names the NIC as client" "$(wc -l < /tmp/ev)" "$(grep -c " client=$NIC " /tmp/ev)"
ok=$(sed -n 's/.* iova=\(0x[0-9a-f]*\) .*/\1/p' /tmp/ev | awk -v base=$(( BASE )) '
	function hex(s,   v, i) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	{ a = hex($1); if (a <= prev) bad++; if ((a - base) % 4096) bad++; prev = a }
	END { print (NR > 0 && bad == 0) ? 1 : 0 }')
check_eq "IOVAs are the buffers read, in increasing order" 1 "$ok"
check "the machine stayed responsive (no heartbeat gap above 5 s)" test "$gap" -le 5000
check "rmmod evtq_flood" rmmod evtq_flood
check "rmmod" rmmod iommu_scope
no_splat "no soft lockup, RCU stall, hung task or other splat"
finish
