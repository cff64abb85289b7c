# SPDX-License-Identifier: GPL-2.0
# Scenario: the iommu-scope CLI (static aarch64 binary, copied to /usr/bin
# by the "# guest: cli" line) against the live module: every command, text
# and --json output checked field by field against what the test caused
# (one leaked page with leak_maker, N faulting edu reads with edu_dma, IO
# page faults with iopf_inject), the events command's private tracefs
# instance, the Prometheus file, and the three environment errors (module
# not loaded, debugfs not mounted, not root) with exit status 3. The
# stream views (streams, who-translates) are checked against oracles
# outside the stream table: each PCI device's stream ID is its requester
# ID (bus << 8 | devfn, QEMU's SMMUv3), its domain the directory whose
# devices file lists it, a stage-2 domain the one whose info says
# nest_parent (s2_domain).
#
# Owns: these checks. Must not: test the cross build (cli_static.sh does).
# guest: cli
. /root/lib/check.sh
. /root/lib/iopt.sh
page_granule
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
echo 'nogroup:x:65534:' >> /etc/group

# run ARGS...: iommu-scope ARGS; exit status in $rc, stdout in /tmp/o,
# stderr in /tmp/e.
run() { iommu-scope "$@" > /tmp/o 2> /tmp/e; rc=$?; }
lines() { wc -l < "$1" | tr -d ' '; }

# --- module not loaded --------------------------------------------------
for c in status domains leaks "ptdump nvme0" "who-maps 0x1000" "iopf top --iterations 1" streams "who-translates 0x8"; do
	run $c
	check_eq "$c without the module: exit 3" 3 "$rc"
	check "$c without the module: says to load it" grep -q "module is not loaded.*modprobe iommu_scope" /tmp/e
done
run events --count 1 --timeout 1
check_eq "events without the module: exit 3" 3 "$rc"
check "events without the module: says to load it" grep -q "module is not loaded" /tmp/e

check "insmod" insmod /lib/modules/iommu_scope.ko
sleep 1
for i in 1 2; do
	dd if=/dev/vda of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
	dd if=/dev/nvme0n1 of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
done

# --- status ---------------------------------------------------------------
run status
check_eq "status: exit 0" 0 "$rc"
check_eq "status: first line" "module iommu_scope loaded" "$(head -n1 /tmp/o)"
for f in accounting leak_detection smmu_evtq_event iopf io_page_tables smmu_streams; do
	check "status: feature $f listed" grep -qE "^$f +(active|unavailable)" /tmp/o
done
run --json status
check_eq "status --json: one line" 1 "$(lines /tmp/o)"
check "status --json: module" grep -q '^{"module":"iommu_scope","features":\[' /tmp/o
check_eq "status --json: 6 features" 6 "$(grep -o '"name":"[a-z_]*","state":"[a-z]*","values"' /tmp/o | wc -l)"
nprobe=$(grep -c '^probe ' $IOPT/status)
check_eq "status --json: every probe line ($nprobe)" "$nprobe" "$(grep -o '"function":' /tmp/o | wc -l)"
ev0=$(sed -n 's/^feature smmu_evtq_event: active events=\([0-9]*\) .*/\1/p' $IOPT/status)
check "status --json: the events counter as the file has it" grep -q "\"name\":\"smmu_evtq_event\",\"state\":\"active\",\"values\":{\"events\":$ev0," /tmp/o

# --- domains --------------------------------------------------------------
ndom=$(ls -d $IOPT/domain_* | wc -l)
run domains
check_eq "domains: exit 0" 0 "$rc"
check_eq "domains: a header and one row per domain directory ($ndom)" $((ndom + 1)) "$(lines /tmp/o)"
NV=$(basename $(dom_of 0000:00:02.0))
EDU=$(basename $(dom_of 0000:00:01.0))
nvmapped=$(sed -n 's/^# runs=\([0-9]*\) leaves=[0-9]* mapped=\([0-9]*\) .*/\2 \1/p' $IOPT/$NV/ptdump)
check "domains: the nvme row (driver nvme, mapped bytes and runs of its dump: $nvmapped)" \
	sh -c "grep -E '^$NV +arm-smmu-v3 +DMA +ARM_64_LPAE_S1 +$GRAN +$(echo $nvmapped | tr ' ' '+' | sed 's/+/ +/') +0000:00:02.0\(nvme\)$' /tmp/o"
run --json domains
check_eq "domains --json: one object per domain" "$ndom" "$(grep -o '"id":"domain_[0-9a-f]*"' /tmp/o | wc -l)"
check "domains --json: the edu domain, its device and SID" grep -q "\"id\":\"$EDU\",\"driver\":\"arm-smmu-v3\",\"type\":\"DMA\",\"smmu\":\"[^\"]*\",\"format\":\"ARM_64_LPAE_S1\",\"granule\":\"$GRAN\",\"ias\":[0-9]*,\"oas\":[0-9]*,\"devices\":\[{\"name\":\"0000:00:01.0\",\"driver\":null,\"group\":[0-9]*,\"sids\":\[[0-9]*\],\"pasid\":null}\]" /tmp/o

# --- streams and who-translates ---------------------------------------------
# The oracles: the requester ID of the PCI name, and dom_of (the domain
# directory whose devices file lists the device).
rid() { pci_rid $1; }
SMMU=$(ls -d $IOPT/smmu_* | head -n1); SMMU=${SMMU##*/smmu_}
NDEV=0
for d in /sys/bus/pci/devices/*; do [ -e $d/iommu_group ] && NDEV=$((NDEV + 1)); done
check "the guest has PCI devices behind the SMMU ($NDEV)" test $NDEV -ge 4
run streams
check_eq "streams: exit 0" 0 "$rc"
check_eq "streams: the header" "SMMU SID DEVICE CONFIG CDTABLE SSID ASID VMID TABLE DOMAIN" "$(head -n1 /tmp/o | tr -s ' ')"
check_eq "streams: a header and one row per device ($NDEV: one CD each)" $((NDEV + 1)) "$(lines /tmp/o)"
cp /tmp/o /tmp/streams.txt
run --json streams
cp /tmp/o /tmp/streams.json
check_eq "streams --json: one line" 1 "$(lines /tmp/streams.json)"
check "streams --json: the SMMU" grep -q "^{\"smmus\":\[{\"smmu\":\"$SMMU\",\"sids_in_use\":$NDEV,\"cds\":$NDEV,\"truncated\":null,\"error\":null,\"streams\":\[" /tmp/streams.json
ok=0; bad=0
for d in /sys/bus/pci/devices/*; do
	[ -e $d/iommu_group ] || continue
	dev=${d##*/}
	sid=$(rid $dev)
	dom=$(basename "$(dom_of $dev)")
	if grep -Eq "^$SMMU +$(printf '0x%x' $sid) +$dev +s1 +single/1 +0 +0x[0-9a-f]+ +- +0x[0-9a-f]{16} +$dom$" /tmp/streams.txt &&
	   grep -q "{\"sid\":$sid,\"device\":\"$dev\",\"config\":\"s1\",\"torn\":false,\"cfg\":null,\"cd_table\":{\"address\":\"0x[0-9a-f]\{16\}\",\"format\":\"single\",\"s1cdmax\":0,\"substreams\":1,\"s1dss\":\"[a-z0-9]*\",\"s1stalld\":[a-z]*},\"stage2\":null,\"eats\":\"abort\",\"strw\":\"nsel1\",\"stall\":false,\"ats\":false,\"pri\":false,\"owner\":\"domain\",\"domain\":\"$dom\",\"mm\":null,\"cds\":\[{\"ssid\":0,\"asid\":[0-9]*,\"torn\":false,\"ttb0\":\"0x[0-9a-f]\{16\}\",\"t0sz\":[0-9]*,\"granule\":\"$GRAN\",[^]]*,\"owner\":\"domain\",\"domain\":\"$dom\",\"mm\":null}\],\"notes\":\[\]}" /tmp/streams.json; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1)); echo "streams: $dev (sid $sid, $dom) not as expected"
	fi
done
check_eq "streams: every device's row and object: its requester ID, s1, its $GRAN CD, the domain whose devices file lists it" "$NDEV 0" "$ok $bad"
ESID=$(rid 0000:00:01.0)
ESIDX=$(printf '0x%x' $ESID)
run streams 0000:00:01.0
check_eq "streams 0000:00:01.0: the header and edu's row" 2 "$(lines /tmp/o)"
check "streams 0000:00:01.0: edu's row" grep -Eq "^$SMMU +$ESIDX +0000:00:01.0 +s1 " /tmp/o
for t in nvme0 nvme0n1 nvme 00:02.0; do
	run streams $t
	v=$(sed -n 2p /tmp/o | awk '{print $2}')
	check_eq "streams $t: nvme's row alone" "2 $(rid 0000:00:02.0)" "$(lines /tmp/o) $(( ${v:-0} ))"
done
run streams smmu_$SMMU
check_eq "streams smmu_$SMMU: every row" $((NDEV + 1)) "$(lines /tmp/o)"
run streams nosuchdevice
check_eq "streams of an unknown name: exit 1" 1 "$rc"
check_eq "streams of an unknown name: one line on stderr" 1 "$(lines /tmp/e)"
run streams a b
check_eq "streams with two arguments: exit 2" 2 "$rc"

# who-translates: edu's stream ID (hex and decimal) -> s1 -> its CD -> the
# domain that lists edu, with that domain's format, granule, mapped bytes
# and runs (its dump's counters line) and devices.
ecount=$(sed -n 's/^# runs=\([0-9]*\) leaves=[0-9]* mapped=\([0-9]*\) .*/\2 bytes (\1 runs)/p' $IOPT/$EDU/ptdump)
for s in $ESIDX $ESID; do
	run who-translates $s
	check_eq "who-translates $s: exit 0" 0 "$rc"
	check_eq "who-translates $s: the stream" "sid $ESIDX smmu $SMMU device 0000:00:01.0" "$(sed -n 1p /tmp/o)"
	check "who-translates $s: the STE" sh -c "sed -n 2p /tmp/o | grep -q '^  STE: s1 (stage 1): CD table at 0x[0-9a-f]\{16\} (single, 1 substream(s), s1dss='"
	check "who-translates $s: its CD, $GRAN" sh -c "sed -n 3p /tmp/o | grep -q '^    CD ssid=0 asid=0x[0-9a-f]* ttb0=0x[0-9a-f]\{16\} granule $GRAN$'"
	check_eq "who-translates $s: the domain that lists edu" "      -> $EDU: type DMA, format ARM_64_LPAE_S1, granule $GRAN, mapped $ecount, devices 0000:00:01.0" "$(sed -n 4p /tmp/o)"
	check_eq "who-translates $s: nothing else" 4 "$(lines /tmp/o)"
done
run --json who-translates $ESIDX
check "who-translates --json: the path to edu's domain" grep -q "^{\"sid\":$ESID,\"smmu\":\"$SMMU\",\"device\":\"0000:00:01.0\",\"config\":\"s1\",\"effect\":\"translate\",\"stream\":{\"sid\":$ESID,.*},\"path\":\[{\"stage\":1,\"ssid\":0,\"asid\":[0-9]*,\"vmid\":null,\"table\":\"0x[0-9a-f]\{16\}\",\"granule\":\"$GRAN\",\"owner\":\"domain\",\"domain\":\"$EDU\",\"mm\":null}\],\"domains\":\[{\"id\":\"$EDU\",\"driver\":\"arm-smmu-v3\",\"type\":\"DMA\",\"smmu\":\"$SMMU\",\"format\":\"ARM_64_LPAE_S1\",\"granule\":\"$GRAN\",.*\"mapped_bytes\":$(echo $ecount | cut -d' ' -f1),\"runs\":[0-9]*,.*}\]}$" /tmp/o
run --smmu $SMMU who-translates $ESIDX
check_eq "who-translates --smmu $SMMU: exit 0" 0 "$rc"
run who-translates 0xfff0
check_eq "who-translates of a stream ID not in use: exit 1" 1 "$rc"
check "who-translates of a stream ID not in use: says so" grep -q "stream ID 0xfff0 is not in use on any SMMUv3" /tmp/e
run who-translates 0x1zz
check_eq "who-translates of a bad stream ID: exit 1" 1 "$rc"
run who-translates $ESIDX --smmu nosuchsmmu
check_eq "who-translates --smmu of an unknown SMMU: exit 1" 1 "$rc"
run who-translates
check_eq "who-translates without a stream ID: exit 2" 2 "$rc"

# Stage 2: edu on s2_domain's nesting-parent domain (the one whose info
# says nest_parent: yes), which maps one page of the kernel's page size.
check "insmod s2_domain (edu on a stage-2 domain)" insmod /lib/modules/s2_domain.ko
sleep 1
S2DOM=$(basename "$(dirname "$(grep -l '^nest_parent: yes$' $IOPT/domain_*/info)")")
check "a nesting-parent domain lists edu" grep -q "^0000:00:01.0 group=[0-9]* sid=$ESIDX pasid=none$" $IOPT/$S2DOM/devices
run who-translates $ESIDX
check "who-translates, stage 2: the STE" sh -c "sed -n 2p /tmp/o | grep -q '^  STE: s2 (stage 2): vmid 0x[0-9a-f]*, vttbr 0x[0-9a-f]\{16\}, granule $GRAN$'"
check_eq "who-translates, stage 2: the stage-2 domain, its one page" "      -> $S2DOM: type unmanaged, format ARM_64_LPAE_S2, granule $GRAN, mapped $PS bytes (1 runs), devices 0000:00:01.0" "$(sed -n 4p /tmp/o)"
run streams 0000:00:01.0
check "streams, stage 2: edu's row with its VMID and VTTBR" grep -Eq "^$SMMU +$ESIDX +0000:00:01.0 +s2 +- +- +- +0x[0-9a-f]+ +0x[0-9a-f]{16} +$S2DOM$" /tmp/o
check "rmmod s2_domain" rmmod s2_domain
sleep 1
run who-translates $ESIDX
check_eq "who-translates: edu back on its DMA domain" "      -> $EDU: type DMA, format ARM_64_LPAE_S1, granule $GRAN, mapped $ecount, devices 0000:00:01.0" "$(sed -n 4p /tmp/o)"

# --- ptdump -----------------------------------------------------------------
for t in nvme0 nvme0n1 nvme 0000:00:02.0 00:02.0 $NV; do
	run ptdump $t
	check_eq "ptdump $t: exit 0" 0 "$rc"
	check_eq "ptdump $t: the nvme domain's header" "# $NV stage 1 granule $GRAN levels $LEVELS ias 48 oas 44" "$(head -n1 /tmp/o)"
done
check "ptdump: ends with the consistency mark" sh -c "tail -n1 /tmp/o | grep -q '^# consistent: '"
run ptdump --raw vda
check_eq "ptdump --raw vda: the virtio-blk domain" "# $(basename $(dom_of 0000:00:03.0)) stage 1 granule $GRAN levels $LEVELS ias 48 oas 44" "$(head -n1 /tmp/o)"
# (The root level: L0 of 4 levels, L1 of the 3 levels of 64K tables.)
check "ptdump --raw: raw descriptor lines" grep -q "^L$((4 - LEVELS))\[[0-9]*\] iova=0x0000000000000000 desc=0x[0-9a-f]* table -> " /tmp/o
run ptdump nosuchdevice
check_eq "ptdump of an unknown name: exit 1" 1 "$rc"
check_eq "ptdump of an unknown name: one line on stderr" 1 "$(lines /tmp/e)"
iommu-scope ptdump 0000:00:01.0 > /tmp/before.ptdump

# --- a DMA use-after-free: who-maps, leaks, diff ------------------------------
check "insmod leak_maker" insmod /lib/modules/leak_maker.ko
PA=$(dmesg | sed -n 's/.*leak_maker: mapped pa=\(0x[0-9a-f]*\) .*/\1/p' | tail -n1)
PA16=$(printf '0x%016x' $PA)
sleep 1
run who-maps $PA
check_eq "who-maps: exit 0" 0 "$rc"
check_eq "who-maps: refcount 1" "pa $PA16: refcount 1 (4 KiB unit $PA16)" "$(head -n1 /tmp/o)"
check_eq "who-maps: the edu domain, IOVA and device" "$EDU iova=0x0000000010000000 devices=0000:00:01.0" "$(sed -n 2p /tmp/o)"
check_eq "who-maps: nothing else" 2 "$(lines /tmp/o)"
run --json who-maps $(printf '%d' $PA)
check_eq "who-maps --json (decimal address)" "{\"pa\":\"$PA16\",\"unit\":\"$PA16\",\"refcount\":1,\"mappings\":[{\"domain\":\"$EDU\",\"iova\":\"0x0000000010000000\",\"devices\":[{\"name\":\"0000:00:01.0\",\"driver\":null,\"group\":$(sed -n 's/^0000:00:01.0 group=\([0-9]*\) .*/\1/p' $IOPT/$EDU/devices),\"sids\":[$(( $(sed -n 's/^0000:00:01.0 group=[0-9]* sid=\(0x[0-9a-f]*\) .*/\1/p' $IOPT/$EDU/devices) ))],\"pasid\":null}],\"consistent\":true}]}" "$(cat /tmp/o)"
run who-maps 0x12zz
check_eq "who-maps of a bad address: exit 1" 1 "$rc"
run leaks
check_eq "leaks: one report" "1 DMA use-after-free report(s)" "$(head -n1 /tmp/o)"
check "leaks: the page, its order and count, the freeing task" grep -q "^pa $PA16 (pfn 0x[0-9a-f]*, order 0) mapped 1 time(s), freed by insmod\[[0-9]*\]$" /tmp/o
check_eq "leaks: its owner" "  $EDU iova=0x0000000010000000 devices=0000:00:01.0" "$(sed -n 3p /tmp/o)"
run --json leaks
check "leaks --json: the page and owner" grep -q "^{\"leaks\":\[{\"pa\":\"$PA16\",\"pfn\":[0-9]*,\"order\":0,\"mapcount\":1,\"freed_by\":{\"comm\":\"insmod\",\"pid\":[0-9]*},\"resolved\":true,\"owners\":\[{\"domain\":\"$EDU\",\"iova\":\"0x0000000010000000\",\"devices\":\[\"0000:00:01.0\"\],\"truncated\":false}\],\"unconfirmed\":false}\],\"more_not_kept\":0}$" /tmp/o
iommu-scope ptdump 0000:00:01.0 > /tmp/after.ptdump
run diff /tmp/before.ptdump /tmp/after.ptdump
check "diff: the leaked page's mapping added" sh -c "head -n1 /tmp/o | grep -q '^+ 0x0000000010000000-$(printf '0x%016x' $((0x10000000 + PS))) $(printf '%6s' $GRAN) pa=$PA16 RWX user AF '"
check_eq "diff: one change and the sums" 2 "$(lines /tmp/o)"
check_eq "diff: the sums" "# added=$PS removed=0 changed=0 unchanged=$(sed -n 's/^# runs=[0-9]* leaves=[0-9]* mapped=\([0-9]*\) .*/\1/p' /tmp/before.ptdump) (bytes)" "$(tail -n1 /tmp/o)"
run --json diff /tmp/after.ptdump /tmp/before.ptdump
check "diff --json: removed in the other direction" sh -c "head -n1 /tmp/o | grep -q '^{\"type\":\"change\",\"change\":\"removed\",\"iova\":\"0x0000000010000000\",\"end\":\"$(printf '0x%016x' $((0x10000000 + PS)))\",\"size\":$PS,'"
check_eq "diff --json: one change line and the summary line" 2 "$(lines /tmp/o)"
check "diff --json: the summary" sh -c "tail -n1 /tmp/o | grep -q '^{\"type\":\"summary\",.*\"added_bytes\":0,\"removed_bytes\":$PS,\"changed_bytes\":0,'"
run diff /tmp/before.ptdump /dev/null
check_eq "diff against /dev/null (not a dump): exit 1" 1 "$rc"
run diff /tmp/before.ptdump /nonexistent
check_eq "diff of a missing file: exit 1" 1 "$rc"

# --- export --prometheus ----------------------------------------------------
mkdir -p /tmp/prom
run export --prometheus /tmp/prom
check_eq "export: exit 0" 0 "$rc"
P=/tmp/prom/iommu_scope.prom
check "export: leaks_found_total 1" grep -qx 'iommu_scope_leaks_found_total 1' $P
check "export: mapped bytes as the accounting file has them" grep -qx "iommu_scope_mapped_bytes $(sed -n 's/^bytes_mapped //p' $IOPT/accounting)" $P
check "export: domains" grep -qx "iommu_scope_domains $ndom" $P
check "export: every family has HELP and TYPE" sh -c "[ \$(grep -c '^# HELP ' $P) = \$(grep -c '^# TYPE ' $P) ]"
check_eq "export: every sample line is name{labels} value" 0 "$(grep -v '^#' $P | grep -cvE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [0-9.e+-]+$')"
check_eq "export: no temporary file left" "iommu_scope.prom" "$(ls -A /tmp/prom)"
check_eq "export: mode 0644 whatever the umask" 644 "$(umask 077; iommu-scope export --prometheus /tmp/prom > /dev/null; stat -c %a $P)"
check "export: up 1" grep -qx 'iommu_scope_up 1' $P
run export --prometheus /nonexistent
check_eq "export to a missing directory: exit 1" 1 "$rc"
check "rmmod leak_maker" rmmod leak_maker
run who-maps $PA
check_eq "who-maps after the unmap: refcount 0" "pa $PA16: refcount 0 (4 KiB unit $PA16)" "$(head -n1 /tmp/o)"

# --- events: SMMUv3 faults from edu_dma ---------------------------------------
N=10
SID=$(sed -n 's/^0000:00:01.0 group=[0-9]* sid=\(0x[0-9a-f]*\).*/\1/p' $IOPT/$EDU/devices)
# The global buffer must be left alone: a marker written there before
# stays, and no event of the module's is added to it.
echo 1 > $TR/tracing_on
echo iommu-scope-cli-marker > $TR/trace_marker
iommu-scope events --count $N --timeout 60 > /tmp/ev 2> /tmp/ev.err &
pid=$!
sleep 2
check "events: its own tracefs instance while it runs" test -d $TR/instances/iommu-scope-$pid
# 256 KiB asked, rounded up to whole sub-buffers (their data size is in
# events/header_page: 4080 bytes with 4 KiB pages, so 65 of them, 258 KiB).
sub=$(sed -n 's/.*field: char data;.*size:\([0-9]*\);.*/\1/p' $TR/events/header_page)
check_eq "events: the instance's ring is 256 KiB per CPU (in sub-buffers of $sub bytes)" $(( (262144 + sub - 1) / sub * sub / 1024 )) "$(cut -d' ' -f1 $TR/instances/iommu-scope-$pid/buffer_size_kb)"
check_eq "events: the global trace event stays disabled" 0 "$(cat $TR/events/arm_smmu_v3/smmu_evtq_event/enable)"
check "edu_dma issues $N faulting reads" insmod /lib/modules/edu_dma.ko count=$N iova=0x8000000
wait $pid
check_eq "events: exit 0 after --count $N" 0 "$?"
check_eq "events: exactly $N events" $N "$(lines /tmp/ev)"
check_eq "events: all F_TRANSLATION from edu's stream ID, reads" $N "$(grep -c " smmu [^ ]* 0000:00:01.0 F_TRANSLATION(0x10) sid=$SID iova=0x[0-9a-f]* read data unpriv s1$" /tmp/ev)"
i=0; ok=1
for a in $(sed -n 's/.* iova=\(0x[0-9a-f]*\) .*/\1/p' /tmp/ev); do
	[ $(( a )) = $(( 0x8000000 + i * 4096 )) ] || ok=0
	i=$((i + 1))
done
check_eq "events: the IOVAs read, in order" 1 $ok
check "events: the instance is removed at the end" test ! -e $TR/instances/iommu-scope-$pid
check "events: the global buffer still holds the marker" grep -q 'iommu-scope-cli-marker' $TR/trace
check_eq "events: and no event of the module's" 0 "$(grep -c 'smmu_evtq_event\|iopf_fault' $TR/trace)"
check "rmmod edu_dma" rmmod edu_dma
iommu-scope --json events --type F_TRANSLATION --device 0000:00:01.0 --count 3 --timeout 60 > /tmp/ev &
pid=$!
sleep 2
check "edu_dma issues 3 faulting reads at 0x9000000" insmod /lib/modules/edu_dma.ko count=3 iova=0x9000000
wait $pid
check_eq "events --json: 3 objects" 3 "$(grep -c '^{"event":"smmu_evtq_event","ts":"[0-9.]*","smmu":"[^"]*","client":"0000:00:01.0","name":"F_TRANSLATION","type_id":16,"sid":'$(( SID ))',' /tmp/ev)"
check "events --json: the first IOVA" grep -q '"iova":"0x0000000009000000"' /tmp/ev
check "rmmod edu_dma again" rmmod edu_dma
t0=$(date +%s)
run events --timeout 2
check_eq "events --timeout 2 with nothing happening: exit 0" 0 "$rc"
check_eq "events --timeout 2: no output" 0 "$(lines /tmp/o)"
check "events --timeout 2: returned in time" test $(( $(date +%s) - t0 )) -le 5
check_eq "events: no instance left behind" "" "$(ls $TR/instances | grep iommu-scope)"
# A run killed before it could clean up leaves its instance; the next run
# removes it.
iommu-scope events --timeout 60 > /dev/null &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
check "events killed with SIGKILL: its instance stays" test -d $TR/instances/iommu-scope-$pid
run events --timeout 1
check "the next events run removes it" test ! -e $TR/instances/iommu-scope-$pid
# SIGINT, SIGTERM, SIGHUP (ssh session gone), SIGQUIT end a run cleanly
# (exit 0, instance removed).
for sig in INT TERM HUP QUIT; do
	iommu-scope events --timeout 60 > /dev/null &
	pid=$!
	sleep 2
	check "events before SIG$sig: its instance exists" test -d $TR/instances/iommu-scope-$pid
	kill -$sig $pid
	wait $pid
	check_eq "events ended by SIG$sig: exit 0" 0 "$?"
	check "events ended by SIG$sig: its instance is removed" test ! -e $TR/instances/iommu-scope-$pid
done
# A reader that goes away (| head): the next write ends the run cleanly.
( iommu-scope events --timeout 60; echo $? > /tmp/head.rc ) | head -n 2 > /tmp/head.out &
sleep 2
check "edu_dma issues 10 faulting reads for | head" insmod /lib/modules/edu_dma.ko count=10 iova=0x8000000
rmmod edu_dma
sleep 1
check "edu_dma issues 3 more (written after head left)" insmod /lib/modules/edu_dma.ko count=3 iova=0x8000000
rmmod edu_dma
wait
check_eq "events | head -n 2: two lines" 2 "$(lines /tmp/head.out)"
check_eq "events | head -n 2: exit 0 (SIGPIPE/EPIPE is a clean end)" 0 "$(cat /tmp/head.rc)"
check_eq "events | head -n 2: no instance left behind" "" "$(ls $TR/instances | grep iommu-scope)"

# --- IO page faults: events and iopf top --------------------------------------
if kernel_has_iopf; then
	echo 1 > $IOPT/iopf/reset
	iommu-scope events --type iopf --count 4 --timeout 60 > /tmp/ev &
	pid=$!
	sleep 2
	check "inject 4 faults with PASID 5" insmod /lib/modules/iopf_inject.ko count=4 pasid=5
	rmmod iopf_inject
	wait $pid
	check_eq "events --type iopf: 4 faults" 4 "$(grep -c ' iopf 0000:00:01.0 mm=- pasid=5 grpid=[0-9]* perm=[a-z|]* addr=0x[0-9a-f]* refused(-22) [0-9]*ns$' /tmp/ev)"
	run iopf top --iterations 1
	check_eq "iopf top: exit 0" 0 "$rc"
	check "iopf top: the device row (4 faults, 2 reads, 2 writes, 4 refused)" grep -qE '^device +0000:00:01.0 +- +4 +2 +2 +0 +0 +4 +0 +4 +[0-9]+$' /tmp/o
	check "iopf top: the PASID row" grep -qE '^pasid +5 +- +4 ' /tmp/o
	iommu-scope --json iopf top --interval 4 --iterations 2 > /tmp/top &
	pid=$!
	sleep 1
	check "inject 6 more faults" insmod /lib/modules/iopf_inject.ko count=6 pasid=5
	rmmod iopf_inject
	wait $pid
	check_eq "iopf top --json: two samples" 2 "$(lines /tmp/top)"
	check "iopf top --json: first sample has no rate" grep -q '^{"iteration":1,"interval_s":null,"keys":\[{"scope":"device","key":"0000:00:01.0","counters":{"faults":4,' /tmp/top
	check "iopf top --json: second sample counts 10" sh -c "sed -n 2p /tmp/top | grep -q '\"key\":\"0000:00:01.0\",\"counters\":{\"faults\":10,'"
	# Its rate is the 6 new faults over the measured interval.
	iv=$(sed -n '2s/.*"interval_s":\([0-9.]*\),.*/\1/p' /tmp/top)
	rate=$(sed -n '2s/.*"key":"0000:00:01.0","counters":{[^}]*},"faults_per_s":\([0-9.]*\)}.*/\1/p' /tmp/top)
	check "iopf top --json: rate $rate/s x interval ${iv}s = 6 faults" \
		awk -v r="$rate" -v i="$iv" 'BEGIN { d = r * i - 6; exit !(r > 0 && i >= 4 && d < 0.05 && d > -0.05) }'
	run export --prometheus /tmp/prom
	check "export: IOPF faults per PASID" grep -qx 'iommu_scope_iopf_faults_total{scope="pasid",key="5"} 10' $P
else
	run iopf top --iterations 1
	check_eq "iopf top on a kernel without IOPF: exit 3" 3 "$rc"
fi

# --- not root -------------------------------------------------------------------
su -s /bin/sh nobody -c 'iommu-scope status > /tmp/n.out 2> /tmp/n.err'
check_eq "status as uid 65534: exit 3" 3 "$?"
check "status as uid 65534: says to run as root" grep -q "permission denied.*run iommu-scope as root" /tmp/n.err
mount -o remount,mode=0755 $DBG
su -s /bin/sh nobody -c 'iommu-scope domains > /tmp/n.out 2> /tmp/n.err'
check_eq "domains as uid 65534 with debugfs 0755 (files 0400): exit 3" 3 "$?"
check "domains as uid 65534: says to run as root" grep -q "permission denied.*run iommu-scope as root" /tmp/n.err
mount -o remount,mode=0700 $DBG

# --- debugfs not mounted ----------------------------------------------------------
# (lazily if tracefs was automounted under it)
check "umount debugfs" sh -c "umount $DBG || umount -l $DBG"
check "debugfs is gone from /proc/mounts" sh -c "! grep -q ' debugfs ' /proc/mounts"
run status
check_eq "status without debugfs: exit 3" 3 "$rc"
check "status without debugfs: says to mount it" grep -q "debugfs is not mounted: mount it with \"mount -t debugfs none /sys/kernel/debug\"" /tmp/e
check "mount debugfs again" mount -t debugfs none $DBG
run status
check_eq "status with debugfs back: exit 0" 0 "$rc"

check "rmmod" rmmod iommu_scope
run status
check_eq "status after rmmod: exit 3" 3 "$rc"
run export --prometheus /tmp/prom
check_eq "export after rmmod: exit 3" 3 "$rc"
check "export after rmmod: the file now says up 0" grep -qx 'iommu_scope_up 0' $P
check_eq "export after rmmod: and nothing else but HELP, TYPE and the reason" 4 "$(lines $P)"
check "export after rmmod: the reason" grep -q '^# iommu-scope: the iommu_scope module is not loaded' $P
no_splat "no kernel splat"
finish
