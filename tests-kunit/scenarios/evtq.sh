# SPDX-License-Identifier: GPL-2.0
# Scenario: the test driver edu_dma makes the edu device read N unmapped
# IOVAs; exactly N arm_smmu_v3:smmu_evtq_event events arrive in the trace
# buffer (read through tracefs), with the right type, stream ID, IOVA,
# direction and client device.
. /root/lib/check.sh
. /root/lib/iopt.sh
N=10
BASE=0x8000000

check "insmod" insmod /lib/modules/iommu_scope.ko
check "tracepoint exists" test -f $TR/events/arm_smmu_v3/smmu_evtq_event/format
check "format has every field" sh -c "for f in smmu client name raw type sid ssid iova ipa fetch_addr stag read insn priv s2 class stall valid; do grep -q \"field:.* \$f[;\[]\" $TR/events/arm_smmu_v3/smmu_evtq_event/format || exit 1; done"
SID=$(sed -n 's/^0000:00:01.0 group=[0-9]* sid=\(0x[0-9a-f]*\).*/\1/p' $(dom_of 0000:00:01.0)/devices)
echo 1 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
echo > $TR/trace
check "edu_dma issues $N faulting reads" insmod /lib/modules/edu_dma.ko count=$N iova=$BASE
sleep 1
echo 0 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
grep "smmu_evtq_event:" $TR/trace > /tmp/ev
check_eq "exactly $N events" $N "$(wc -l < /tmp/ev)"
check_eq "all F_TRANSLATION(0x10) from edu's stream ID $SID" $N "$(grep -c " F_TRANSLATION(0x10) sid=$SID " /tmp/ev)"
check_eq "all reads of data" $N "$(grep -c ' read data ' /tmp/ev)"
check_eq "client is the edu device" $N "$(grep -c ' client=0000:00:01.0 ' /tmp/ev)"
i=0; ok=1
for a in $(sed -n 's/.* iova=\(0x[0-9a-f]*\) .*/\1/p' /tmp/ev); do
	[ $(( a )) = $(( BASE + i * 4096 )) ] || ok=0
	i=$((i + 1))
done
check_eq "IOVAs are the ones read, in order" 1 $ok
check "raw words carry the same record" grep -q "raw=0000000800000010:" /tmp/ev
check "status counts the events" grep -q "^feature smmu_evtq_event: active events=$N overflows=0" $IOPT/status
check "rmmod edu_dma" rmmod edu_dma
check "status: every stream ID has a client name" grep -q "^feature smmu_evtq_event: active .* unnamed_sids=0$" $IOPT/status

# The client table follows hotplug: with edu removed while the module
# loads, only the bus notifier can add its stream ID; rescan, fault again,
# and the events must name it.
check "rmmod iommu_scope (to reload without edu)" rmmod iommu_scope
echo 1 > /sys/bus/pci/devices/0000:00:01.0/remove
check "edu removed" test ! -e /sys/bus/pci/devices/0000:00:01.0
check "insmod without edu" insmod /lib/modules/iommu_scope.ko
echo 1 > /sys/bus/pci/rescan
check "edu back after rescan" test -e /sys/bus/pci/devices/0000:00:01.0
echo 1 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
echo > $TR/trace
check "edu_dma issues 3 faulting reads after the rescan" insmod /lib/modules/edu_dma.ko count=3 iova=$BASE
sleep 1
echo 0 > $TR/events/arm_smmu_v3/smmu_evtq_event/enable
check_eq "3 events, naming the hot-added edu device" 3 "$(grep -c 'smmu_evtq_event:.* client=0000:00:01.0 ' $TR/trace)"
check "rmmod edu_dma again" rmmod edu_dma
check "rmmod" rmmod iommu_scope
check "tracepoint removed with the module" test ! -e $TR/events/arm_smmu_v3
no_splat "no kernel splat"
finish
