# SPDX-License-Identifier: GPL-2.0
# Scenario: the SMMUv3 stream table view, io_page_tables/smmu_<device>/.
# Every PCI device behind the SMMU has exactly one stream line, whose
# stream ID is its requester ID (QEMU's virt machine maps RID to SID one
# to one: computed here from the PCI name, not read from the module) and
# is the one its domain directory's devices file lists, with that
# domain_<id>, and whose CD (substream 0) points at that domain's table;
# the decoded capabilities agree with the raw IDR words, with what the
# driver logged at probe, with the stream table format the driver
# programmed (STRTAB_BASE_CFG) and with QEMU's model; switching a group to
# identity makes its STE bypass, and back; an open streams file keeps the
# copy of its first read; removing and rescanning a device removes and
# restores its line, and reads while a device comes and goes show every
# other stream ID exactly once, in order; a stage-2 domain (the s2_domain
# test module: a nesting parent attached to edu) shows the STE's stage-2
# fields and its domain; no kernel virtual address shows; a modular
# arm-smmu-v3 is pinned while the module is loaded. (Nested STEs need
# arm-smmu-v3's iommufd support, which the reference kernel does not
# build: not tested.)
. /root/lib/check.sh
. /root/lib/iopt.sh

# A modular arm-smmu-v3 (stock kernels) gets one reference per SMMU from
# the module while it is loaded; a built-in one has no reference count.
REFCNT=/sys/module/arm_smmu_v3/refcnt
REF0=$(cat $REFCNT 2>/dev/null)
check "insmod" insmod /lib/modules/iommu_scope.ko
sleep 1
if [ -n "$REF0" ]; then
	check_eq "arm_smmu_v3.ko pinned once for its one SMMU" "$((REF0 + 1))" "$(cat $REFCNT)"
else
	echo "arm-smmu-v3 is built in: no module to pin"
fi
S=$(ls -d $IOPT/smmu_* 2>/dev/null)
check_eq "one SMMU directory, named after the SMMU device" "$IOPT/smmu_9050000.smmuv3" "$S"
check "status lists the feature" grep -q "^feature smmu_streams: active smmus=1$" $IOPT/status
for f in capabilities streams streams_raw; do
	check_eq "$f is root's, mode 0400" "0 400" "$(stat -c '%u %a' $S/$f)"
done

# --- capabilities: the decoded lines follow from the raw IDR words.
cat $S/capabilities > /tmp/caps
check "capabilities names the SMMU" grep -q "^smmu: 9050000.smmuv3$" /tmp/caps
idr() { sed -n "s/^idr: .*$1=\(0x[0-9a-f]*\).*/\1/p" /tmp/caps; }
I0=$(idr idr0); I1=$(idr idr1); I5=$(idr idr5)
check "the raw IDR0, IDR1 and IDR5 words are shown" test -n "$I0" -a -n "$I1" -a -n "$I5"
yn() { [ $(( $1 )) != 0 ] && echo yes || echo no; }
check_eq "stages from IDR0.S1P/S2P" "stages: s1=$(yn "I0 & 2") s2=$(yn "I0 & 1")" "$(grep '^stages:' /tmp/caps)"
check_eq "sid_bits from IDR1.SIDSIZE" "sid_bits: $(( I1 & 63 ))" "$(grep '^sid_bits:' /tmp/caps)"
check_eq "ssid_bits from IDR1.SSIDSIZE" "ssid_bits: $(( (I1 >> 6) & 31 ))" "$(grep '^ssid_bits:' /tmp/caps)"
check_eq "asid_bits from IDR0.ASID16" "asid_bits: $( [ $(( I0 & 4096 )) != 0 ] && echo 16 || echo 8)" "$(grep '^asid_bits:' /tmp/caps)"
check_eq "2-level stream table from IDR0.ST_LEVEL" "stream_table_2lvl: $(yn "((I0 >> 27) & 3) == 1")" "$(grep '^stream_table_2lvl:' /tmp/caps)"
g=""; [ $(( I5 & 16 )) != 0 ] && g="$g 4K"; [ $(( I5 & 32 )) != 0 ] && g="$g 16K"; [ $(( I5 & 64 )) != 0 ] && g="$g 64K"
check_eq "granules from IDR5" "granules:$g" "$(grep '^granules:' /tmp/caps)"
check "the driver translates stage 1 and 2 on this SMMU" grep -q "^driver_features: .*trans_s1 trans_s2" /tmp/caps
check "the driver's stream table" grep -Eq "^driver_stream_table: (linear|2lvl) entries=[1-9][0-9]* base=0x[0-9a-f]{16} " /tmp/caps

# --- capabilities against what the module does not read: the driver's
# probe messages, the stream table format the driver programmed from its
# SID width, and QEMU's SMMUv3 model.
log2() { _n=$1; _l=0; while [ $_n -gt 1 ]; do _n=$((_n / 2)); _l=$((_l + 1)); done; echo $_l; }
probe_msg() { klog | sed -n "s/.*arm-smmu-v3 9050000.smmuv3: $1/\1/p" | tail -n1; }
CQ=$(probe_msg 'allocated \([0-9]*\) entries for cmdq$')
EQ=$(probe_msg 'allocated \([0-9]*\) entries for evtq$')
OAS=$(probe_msg 'oas \([0-9]*\)-bit .*')
check "the driver's probe messages are in the log (cmdq=$CQ evtq=$EQ oas=$OAS)" test -n "$CQ" -a -n "$EQ" -a -n "$OAS"
check_eq "driver_queues: the queue sizes the driver logged" "cmdq=$(log2 ${CQ:-0}) evtq=$(log2 ${EQ:-0})" "$(sed -n 's/^driver_queues: \(cmdq=[0-9]* evtq=[0-9]*\) .*/\1/p' /tmp/caps)"
check_eq "oas and driver_bits' oas: the output size the driver logged" "oas: $OAS oas=$OAS" "$(grep '^oas:' /tmp/caps | cut -d' ' -f1-2) $(sed -n 's/^driver_bits: .* \(oas=[0-9]*\)$/\1/p' /tmp/caps)"
CFG=$(sed -n 's/^driver_stream_table: .* base_cfg=\(0x[0-9a-f]*\)$/\1/p' /tmp/caps)
# STRTAB_BASE_CFG: LOG2SIZE [5:0] (the driver writes its SID width, from
# IDR1), SPLIT [10:6], FMT [17:16] (1: two levels).
check_eq "sid_bits (IDR1.SIDSIZE) is STRTAB_BASE_CFG.LOG2SIZE" "sid_bits: $(( CFG & 63 ))" "$(grep '^sid_bits:' /tmp/caps)"
check_eq "driver_bits' sid too" "sid=$(( CFG & 63 ))" "$(sed -n 's/^driver_bits: .* \(sid=[0-9]*\) .*/\1/p' /tmp/caps)"
if [ $(( (CFG >> 16) & 3 )) = 1 ]; then
	check_eq "two-level table: 2^(LOG2SIZE - SPLIT) level-1 entries" "2lvl entries=$(( 1 << ((CFG & 63) - ((CFG >> 6) & 31)) ))" "$(sed -n 's/^driver_stream_table: \(2lvl entries=[0-9]*\) .*/\1/p' /tmp/caps)"
else
	check_eq "linear table: 2^LOG2SIZE entries" "linear entries=$(( 1 << (CFG & 63) ))" "$(sed -n 's/^driver_stream_table: \(linear entries=[0-9]*\) .*/\1/p' /tmp/caps)"
fi
# QEMU's model (hw/arm/smmuv3.c): 16-bit stream IDs, no substream IDs
# unless asked for (pasid=on, which the harness does not set), SMMUv3.1.
check_eq "QEMU's SMMUv3: 16 SID bits, no SSIDs, SMMUv3.1" "sid_bits: 16 ssid_bits: 0 architecture: SMMUv3.1" "$(grep '^sid_bits:' /tmp/caps) $(grep '^ssid_bits:' /tmp/caps) $(grep '^architecture:' /tmp/caps)"
check_eq "and the driver uses no SSIDs" "ssid=0" "$(sed -n 's/^driver_bits: .* \(ssid=[0-9]*\) .*/\1/p' /tmp/caps)"

# --- streams: one line per PCI device behind the SMMU, joined with its domain.
NDEV=0
for d in /sys/bus/pci/devices/*; do [ -e $d/iommu_group ] && NDEV=$((NDEV + 1)); done
check "the guest has PCI devices behind the SMMU ($NDEV)" test $NDEV -ge 4
cat $S/streams > /tmp/streams
check_eq "header counts every stream ID in use" "$NDEV" "$(sed -n 's/^# smmu 9050000.smmuv3 sids_in_use=\([0-9]*\) .*/\1/p' /tmp/streams)"
check_eq "one sid line per device" "$NDEV" "$(grep -c '^sid=' /tmp/streams)"
# joined DEV: "sid domain cd0_domain" from streams for DEV.
line_of() { grep "^sid=0x[0-9a-f]* dev=$1 " $2; }
# A PCI device's requester ID from its name (dddd:bb:dd.f): bus << 8 | devfn.
rid() { printf '0x%x' $(pci_rid $1); }
ok=0; bad=0; ridok=0
for d in /sys/bus/pci/devices/*; do
	[ -e $d/iommu_group ] || continue
	dev=${d##*/}
	l=$(line_of $dev /tmp/streams)
	sid=$(echo "$l" | sed -n 's/^sid=\(0x[0-9a-f]*\) .*/\1/p')
	dom=$(echo "$l" | sed -n 's/.* domain=\(domain_[0-9a-f]*\)$/\1/p')
	cd0=$(grep -A1 "^sid=$sid dev=$dev " /tmp/streams | sed -n 's/^  ssid=0 .* domain=\(domain_[0-9a-f]*\)$/\1/p')
	if [ "$sid" = "$(rid $dev)" ]; then ridok=$((ridok + 1)); else echo "$dev: sid $sid, requester ID $(rid $dev)"; fi
	if echo "$l" | grep -q " ste=s1 " && [ -n "$dom" ] && [ "$cd0" = "$dom" ] &&
	   grep -q "^$dev group=[0-9]* sid=$sid pasid=none$" $IOPT/$dom/devices; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1)); echo "not joined: $dev: '$l' cd0=$cd0"
	fi
done
check_eq "every device's stream line: ste=s1, its CD 0 and the line name the domain whose devices file lists it with that sid" "$NDEV 0" "$ok $bad"
check_eq "every device's stream ID is its requester ID (bus << 8 | devfn)" "$NDEV" "$ridok"
check_eq "reads of 7 bytes at a time give the same text" "$(cat $S/streams | md5sum)" "$(dd if=$S/streams bs=7 2>/dev/null | md5sum)"
check_eq "every CD is the substream 0 of its stream (no PASIDs here)" "$NDEV" "$(grep -c '^  ssid=0 asid=0x[0-9a-f]* ttb0=0x[0-9a-f]\{16\} t0sz=[0-9]* tg0=[0-9]*K ips=[0-9]* epd0=0 epd1=1 ' /tmp/streams)"
check_eq "ASIDs are distinct" "$NDEV" "$(sed -n 's/^  ssid=0 asid=\(0x[0-9a-f]*\) .*/\1/p' /tmp/streams | sort -u | wc -l)"
check "no torn entry while nothing changes" sh -c "! grep -q ' torn' /tmp/streams"
# Physical addresses only: every table address is below 2^52, and nothing
# looks like a kernel virtual address (0xffff8..., 0xffffc...).
check "table addresses are physical" sh -c "! grep -Eo '(cdtab|ttb0|vttbr)=0x[0-9a-f]{16}' /tmp/streams | grep -qv '=0x000'"
# (MAIR, a CD's word 3, is attributes, not an address: left out.)
sed 's/ mair=0x[0-9a-f]*//' /tmp/streams > /tmp/noattr
sed 's/^\(  ssid=[0-9]* cd=[0-9a-f]*:[0-9a-f]*:[0-9a-f]*:\)[0-9a-f]*/\1-/' $S/streams_raw >> /tmp/noattr
check "no kernel virtual address in streams or streams_raw" sh -c "! grep -Eiq 'ffff[89a-f][0-9a-f]{11}' /tmp/noattr"

# --- streams_raw: the same STEs and CDs, raw.
cat $S/streams_raw > /tmp/raw
check_eq "streams_raw has one STE line per device" "$NDEV" "$(grep -c '^sid=0x[0-9a-f]* dev=[^ ]* ste=[0-9a-f]\{16\}\(:[0-9a-f]\{16\}\)\{7\}$' /tmp/raw)"
check_eq "and one CD line per CD" "$NDEV" "$(grep -c '^  ssid=0 cd=[0-9a-f]\{16\}\(:[0-9a-f]\{16\}\)\{7\}$' /tmp/raw)"
EDU=0000:00:01.0
ESID=$(line_of $EDU /tmp/streams | sed -n 's/^sid=\(0x[0-9a-f]*\) .*/\1/p')
w0=$(sed -n "s/^sid=$ESID dev=$EDU ste=\([0-9a-f]*\):.*/\1/p" /tmp/raw)
ctx=$(line_of $EDU /tmp/streams | sed -n 's/.* cdtab=\(0x[0-9a-f]*\) .*/\1/p')
check_eq "the decoded CD table address is the raw STE word 0's bits 51:6" "$(( ctx ))" "$(( 0x$w0 & 0x000ffffffffffc0 ))"
check_eq "the raw STE word 0 says V=1, Config=s1 (0b101)" "11" "$(( 0x$w0 & 15 ))"
EDOM=$(line_of $EDU /tmp/streams | sed -n 's/.* domain=\(domain_[0-9a-f]*\)$/\1/p')
check_eq "edu's CD granule is its domain's" "granule: $(grep -A1 "^sid=$ESID dev=$EDU " /tmp/streams | sed -n 's/^  ssid=0 .* tg0=\([0-9]*K\) .*/\1/p')" "$(grep '^granule:' $IOPT/$EDOM/info)"

# --- identity and back (edu has no driver bound).
G=$(basename $(readlink /sys/bus/pci/devices/$EDU/iommu_group))
check "edu's group $G to identity" sh -c "echo identity > /sys/kernel/iommu_groups/$G/type"
check_eq "edu's STE bypasses, owned by no domain" "sid=$ESID dev=$EDU ste=bypass stall=0 ats=0 pri=0 domain=-" "$(line_of $EDU $S/streams)"
check_eq "and has no CD line" "" "$(grep -A1 "^sid=$ESID dev=$EDU " $S/streams | grep '^  ssid=')"
check "edu's group back to DMA" sh -c "echo DMA > /sys/kernel/iommu_groups/$G/type"
sleep 1
l=$(line_of $EDU $S/streams)
dom=$(echo "$l" | sed -n 's/.* domain=\(domain_[0-9a-f]*\)$/\1/p')
check "edu's STE translates stage 1 again" sh -c "echo '$l' | grep -q ' ste=s1 '"
check "through a new DMA domain whose devices file lists edu" grep -q "^$EDU group=$G sid=$ESID pasid=none$" $IOPT/$dom/devices

# --- a device with a driver: unbind, identity, rebind; and back.
DRVDEV=""
for d in /sys/bus/pci/devices/*; do
	[ -e $d/driver ] && [ -e $d/iommu_group ] && case $(basename $(readlink $d/driver)) in
		virtio-pci|nvme) DRVDEV=${d##*/}; DRV=$(basename $(readlink $d/driver)); break;; esac
done
check "a device with a driver to switch ($DRVDEV, $DRV)" test -n "$DRVDEV"
DG=$(basename $(readlink /sys/bus/pci/devices/$DRVDEV/iommu_group))
DSID=$(line_of $DRVDEV /tmp/streams | sed -n 's/^sid=\(0x[0-9a-f]*\) .*/\1/p')
check "unbind $DRVDEV" sh -c "echo $DRVDEV > /sys/bus/pci/drivers/$DRV/unbind"
check "its group to identity" sh -c "echo identity > /sys/kernel/iommu_groups/$DG/type"
check "rebind $DRVDEV" sh -c "echo $DRVDEV > /sys/bus/pci/drivers/$DRV/bind"
check "bound again" test -e /sys/bus/pci/devices/$DRVDEV/driver
check_eq "its STE bypasses while the driver runs" "sid=$DSID dev=$DRVDEV ste=bypass stall=0 ats=0 pri=0 domain=-" "$(line_of $DRVDEV $S/streams)"
check "unbind again" sh -c "echo $DRVDEV > /sys/bus/pci/drivers/$DRV/unbind"
check "its group back to DMA" sh -c "echo DMA > /sys/kernel/iommu_groups/$DG/type"
check "rebind" sh -c "echo $DRVDEV > /sys/bus/pci/drivers/$DRV/bind"
sleep 1
l=$(line_of $DRVDEV $S/streams)
dom=$(echo "$l" | sed -n 's/.* domain=\(domain_[0-9a-f]*\)$/\1/p')
check "its STE translates stage 1 again, through the domain that lists it" sh -c "echo '$l' | grep -q ' ste=s1 ' && grep -q '^$DRVDEV group=$DG sid=$DSID pasid=none$' $IOPT/$dom/devices"

# --- device removal and rescan. A file opened before keeps the copy of
# its first read (made before the removal).
exec 3< $S/streams
read -r head <&3
echo 1 > /sys/bus/pci/devices/$EDU/remove
check "edu removed" test ! -e /sys/bus/pci/devices/$EDU
cat <&3 > /tmp/open_rest
exec 3<&-
check "the file opened before still shows edu's line" grep -q "^sid=$ESID dev=$EDU " /tmp/open_rest
check_eq "and as many lines as its header counts" "$(echo "$head" | sed -n 's/.* sids_in_use=\([0-9]*\) .*/\1/p')" "$(grep -c '^sid=' /tmp/open_rest)"
cat $S/streams > /tmp/streams2
check_eq "its stream line is gone" "" "$(grep "^sid=$ESID " /tmp/streams2)"
check_eq "one stream ID fewer in use" "$((NDEV - 1)) $((NDEV - 1))" "$(sed -n 's/^# smmu .* sids_in_use=\([0-9]*\) .*/\1/p' /tmp/streams2) $(grep -c '^sid=' /tmp/streams2)"
echo 1 > /sys/bus/pci/rescan
check "edu back after rescan" test -e /sys/bus/pci/devices/$EDU
sleep 1
l=$(line_of $EDU $S/streams)
dom=$(echo "$l" | sed -n 's/.* domain=\(domain_[0-9a-f]*\)$/\1/p')
G=$(basename $(readlink /sys/bus/pci/devices/$EDU/iommu_group))
check "its line is back, same stream ID, on the domain that lists it" sh -c "echo '$l' | grep -q '^sid=$ESID dev=$EDU ste=s1 ' && grep -q '^$EDU group=$G sid=$ESID pasid=none$' $IOPT/$dom/devices"

# --- reads while edu comes and goes: the copy releases the driver's lock
# every few entries and resumes at the next stream ID, so every other
# device's line is in every read exactly once, all in increasing SID order.
grep '^sid=' $S/streams | grep -v " dev=$EDU " | cut -d' ' -f1-2 > /tmp/others
( i=0; while [ $i -lt 30 ]; do echo 1 > /sys/bus/pci/devices/$EDU/remove; echo 1 > /sys/bus/pci/rescan; i=$((i + 1)); done ) &
RS=$!
n=0; bad=0
while kill -0 $RS 2>/dev/null || [ $n = 0 ]; do
	cat $S/streams > /tmp/during_rs
	prev=-1
	for s in $(sed -n 's/^sid=\(0x[0-9a-f]*\) .*/\1/p' /tmp/during_rs); do
		[ $((s)) -gt $prev ] || { bad=$((bad + 1)); echo "out of order: $s after $prev"; }
		prev=$((s))
	done
	while read -r o; do
		[ "$(grep -c "^$o " /tmp/during_rs)" = 1 ] || { bad=$((bad + 1)); echo "not once: $o"; }
	done < /tmp/others
	n=$((n + 1))
done
wait $RS
check_eq "$n reads while edu is removed and rescanned 30 times: every other stream ID once, in order" 0 $bad
test -e /sys/bus/pci/devices/$EDU || echo 1 > /sys/bus/pci/rescan
sleep 1
check "edu back" test -e /sys/bus/pci/devices/$EDU
G=$(basename $(readlink /sys/bus/pci/devices/$EDU/iommu_group))

# --- stage 2: edu on a nesting-parent (stage-2) domain.
check "insmod s2_domain (edu on a stage-2 domain)" insmod /lib/modules/s2_domain.ko
sleep 1
l=$(line_of $EDU $S/streams)
echo "$l"
dom=$(echo "$l" | sed -n 's/.* domain=\(domain_[0-9a-f]*\)$/\1/p')
check "edu's STE translates stage 2 only, with a VMID and its table" sh -c "echo '$l' | grep -Eq '^sid=$ESID dev=$EDU ste=s2 vmid=0x[0-9a-f]+ vttbr=0x000[0-9a-f]{13} s2t0sz=[0-9]+ s2sl0=[0-3] s2tg=[0-9]+K s2ps=[0-9]+ s2aa64=1 s2ptw=[01] s2s=0 s2r=1 s2fwb=[01] eats=abort strw=nsel1 stall=0 ats=0 pri=0 domain=domain_[0-9a-f]{16}$'"
check_eq "the STE's stage-2 granule is the domain's" "granule: $(echo "$l" | sed -n 's/.* s2tg=\([0-9]*K\) .*/\1/p')" "$(grep '^granule:' $IOPT/$dom/info)"
check "the vttbr's domain is a stage-2 nesting parent" sh -c "grep -q '^format: ARM_64_LPAE_S2 (stage 2)$' $IOPT/$dom/info && grep -q '^nest_parent: yes$' $IOPT/$dom/info"
check "whose devices file lists edu" grep -q "^$EDU group=$G sid=$ESID pasid=none$" $IOPT/$dom/devices
# One page of the kernel's page size (4K, 16K on the stock -16k kernel,
# 64K on the rt64k variant).
PS=$(page_size)
pend=$(printf '0x%016x' $((0x100000 + PS)))
check "and whose dump has the module's one page" grep -Eq "^0x0000000000100000-$pend +$((PS / 1024))K pa=" $IOPT/$dom/ptdump
check_eq "no CD line for a stage-2 STE" "" "$(grep -A1 "^sid=$ESID dev=$EDU " $S/streams | grep '^  ')"
W=$(sed -n "s/^sid=$ESID dev=$EDU ste=//p" $S/streams_raw)
w2=$(echo $W | cut -d: -f3); w3=$(echo $W | cut -d: -f4)
vmid=$(echo "$l" | sed -n 's/.* vmid=\(0x[0-9a-f]*\) .*/\1/p')
vttbr=$(echo "$l" | sed -n 's/.* vttbr=\(0x[0-9a-f]*\) .*/\1/p')
check_eq "vmid is the raw word 2's bits 15:0" "$(( vmid ))" "$(( 0x$w2 & 0xffff ))"
check_eq "vttbr is the raw word 3's bits 51:4" "$(( vttbr ))" "$(( 0x$w3 & 0x000ffffffffffff0 ))"
check "rmmod s2_domain" rmmod s2_domain
sleep 1
check "edu back on stage 1" sh -c "line=\$(grep '^sid=$ESID dev=$EDU ' $S/streams); echo \"\$line\" | grep -q ' ste=s1 .* domain=domain_'"

# --- bad input: the files are read-only.
for f in capabilities streams streams_raw; do
	expect_fail "writing $f is refused" sh -c "echo 1 > $S/$f"
done
check "the view is unchanged by refused writes" sh -c "grep -q '^sid=$ESID dev=$EDU ste=s1 ' $S/streams"

# --- concurrent rewrites: reads while edu's group switches back and forth
# (its STE is rewritten each time) all succeed, and edu's line is always
# one of the states it really goes through.
( i=0; while [ $i -lt 100 ]; do echo identity > /sys/kernel/iommu_groups/$G/type; echo DMA > /sys/kernel/iommu_groups/$G/type; i=$((i + 1)); done ) &
SW=$!
n=0; failed=0; odd=0
while kill -0 $SW 2>/dev/null; do
	cat $S/streams > /tmp/during || failed=$((failed + 1))
	cat $S/streams_raw > /dev/null || failed=$((failed + 1))
	l=$(grep "^sid=$ESID dev=$EDU " /tmp/during)
	case "$l" in
	"sid=$ESID dev=$EDU ste=s1 "*" domain=domain_"*|"sid=$ESID dev=$EDU ste=s1 "*" domain=-"|\
	"sid=$ESID dev=$EDU ste=s1 "*" domain=?"|\
	"sid=$ESID dev=$EDU ste=bypass stall=0 ats=0 pri=0 domain=-"|\
	"sid=$ESID dev=$EDU ste=abort stall=0 ats=0 pri=0 domain=-"|"sid=$ESID dev=$EDU ste=invalid"*|*" torn"*) ;;
	*) odd=$((odd + 1)); echo "odd line: '$l'";;
	esac
	n=$((n + 1))
done
wait $SW
check_eq "reads during 200 STE rewrites all succeed ($n reads)" 0 $failed
check_eq "and show edu in a state it goes through" 0 $odd
check "edu ends on stage 1" sh -c "grep -q '^sid=$ESID dev=$EDU ste=s1 .* domain=domain_' $S/streams"
check "rmmod" rmmod iommu_scope
check "the directory is gone with the module" test ! -e $S
[ -n "$REF0" ] && check_eq "arm_smmu_v3.ko's reference dropped at unload" "$REF0" "$(cat $REFCNT)"
no_splat "no kernel splat"
finish
