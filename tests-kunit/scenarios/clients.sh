# SPDX-License-Identifier: GPL-2.0
# guest: clients
# Scenario: the users' own tools on the module's tracepoints, Debian's
# perf, trace-cmd and bpftrace (the guest's clients userland). Every perf,
# trace-cmd and bpftrace example of Documentation/tracepoints.rst is taken
# from that file and run verbatim around faults this test makes (edu_dma:
# translation faults at known IOVAs; iopf_inject: IO page faults), and its
# output is checked against those faults and against the tracefs trace
# buffer recording the same events: exact counts and fields. An example
# the test does not know fails it. Then perf record/script/stat with the
# faults as the workload.
. /root/lib/check.sh
. /root/lib/iopt.sh
N=6
BASE=0x8000000
M=10
EV=$TR/events/arm_smmu_v3/smmu_evtq_event
IEV=$TR/events/iommu_scope/iopf_fault
BTF=0; [ -e /sys/kernel/btf/vmlinux ] && BTF=1

check "perf, trace-cmd and bpftrace are in the guest" sh -c \
	"perf --version && bpftrace --version && trace-cmd --version 2>&1 | grep '^trace-cmd version'"
check "insmod" insmod /lib/modules/iommu_scope.ko
SID=$(sed -n 's/^0000:00:01.0 group=[0-9]* sid=\(0x[0-9a-f]*\).*/\1/p' $(dom_of 0000:00:01.0)/devices)
check "edu's stream ID known" test -n "$SID"
# The driver's own event log would flood the console.
echo 1 > /proc/sys/kernel/printk
echo 16384 > $TR/buffer_size_kb

# --- helpers -----------------------------------------------------------------
# Process lookups with shell builtins only: a scan that forks per process
# takes seconds under emulation, longer than the tools' windows.
# comm PID: prints the process's name.
comm() { read -r _c < /proc/$1/comm && echo "$_c"; } 2>/dev/null
# pid_of NAME: a process named NAME.
pid_of() {
	for d in /proc/[0-9]*; do
		read -r _c < $d/comm 2>/dev/null || continue
		[ "$_c" = "$1" ] && { echo ${d#/proc/}; return 0; }
	done
	return 1
}
# workload_of TOOL: TOOL's "sleep" child has been exec'd, which perf and
# trace-cmd do once their events are enabled.
workload_of() {
	for d in /proc/[0-9]*; do
		read -r _c < $d/comm 2>/dev/null || continue
		[ "$_c" = sleep ] || continue
		read -r _s < $d/stat 2>/dev/null || continue
		set -- "$1" ${_s##*) }
		read -r _c < /proc/$3/comm 2>/dev/null && [ "$_c" = "$1" ] && return 0
	done
	return 1
}
# bpftrace_attached: a bpftrace holds a perf event (its tracepoint link).
bpftrace_attached() {
	p=$(pid_of bpftrace) || return 1
	ls -l /proc/$p/fd 2>/dev/null | grep -q perf_event
}
# wait_until CMD...: poll CMD for up to 120 s.
wait_until() {
	_i=0
	while ! "$@"; do
		_i=$((_i + 1)); [ $_i -gt 120 ] && return 1
		sleep 1
	done
}
# oracle_on EVENTDIR / oracle_count EVENT: the same events in tracefs.
oracle_on() { echo > $TR/trace; echo 1 > $1/enable; }
oracle_off() { echo 0 > $EV/enable; echo 0 > $IEV/enable; }
oracle_count() { grep -c "$1:" $TR/trace; }
# evtq_fields: the decoded fields of the trace's smmu_evtq_event lines.
trace_fields() { sed -n 's/.*smmu_evtq_event: *//p'; }
# edu_faults N: N translation faults at BASE, BASE + 4K, ...
edu_faults() {
	insmod /lib/modules/edu_dma.ko count=$1 iova=$BASE && rmmod edu_dma
}
iopf_faults() {
	insmod /lib/modules/iopf_inject.ko count=$1 pasid=7 && rmmod iopf_inject
}
# expected_fields N: the field text of N edu faults, as the module prints it.
expected_fields() {
	i=0
	while [ $i -lt $1 ]; do
		a=$(printf '%x' $((BASE + i * 4096)))
		echo "smmu=9050000.smmuv3 client=0000:00:01.0 F_TRANSLATION(0x10) sid=$SID ssid=0x0 ssv=0 iova=0x$a ipa=0x0 fetch=0x0 read data unpriv s1 class=2 stall=0 stag=0x0 raw=$(printf '%016x' $(( (SID << 32) | 0x10 ))):0000020800000000:$(printf '%016x' $((BASE + i * 4096))):0000000000000000"
		i=$((i + 1))
	done
}
expected_fields $N > /tmp/expected
# The expected text itself is checked against the module's own tracefs
# output first (so a change of the line format shows here, once).
oracle_on $EV
edu_faults $N
oracle_off
trace_fields < $TR/trace > /tmp/tracefs.fields
check "tracefs: $N events with the expected fields" cmp /tmp/expected /tmp/tracefs.fields

# --- the documented examples --------------------------------------------------
# Every literal-block line of tracepoints.rst that starts a perf, trace-cmd
# or bpftrace command (with its indented continuation lines) is one example.
rm -rf /tmp/ex; mkdir -p /tmp/ex
awk '
/^  (perf|bpftrace|trace-cmd) / { n++; cur = sprintf("/tmp/ex/%02d", n); sub(/^  /, ""); print > cur; next }
cur != "" && /^    / { sub(/^  /, ""); print >> cur; next }
{ cur = "" }' /root/doc/tracepoints.rst
NEX=$(ls /tmp/ex | wc -l)
check_eq "tracepoints.rst has its 8 perf/trace-cmd/bpftrace examples" 8 "$NEX"

# run_bg EXAMPLE DIR: run the example verbatim (sh), in DIR, output in
# DIR/out; its pid in BG.
run_bg() {
	mkdir -p $2
	(cd $2 && exec sh $1 > $2/out 2>&1) &
	BG=$!
}
# show_failed FILE: after a failed check, what the tool printed.
show_failed() {
	[ $CHECK_FAILED = 1 ] && sed 's/^/    | /' $1 | head -40
	return 0
}
# stop_bpftrace: SIGINT makes bpftrace print its maps and exit.
stop_bpftrace() {
	sleep 1
	p=$(pid_of bpftrace) && kill -INT $p
	wait $BG
}
ran=0
for ex in /tmp/ex/*; do
	first=$(head -n1 $ex)
	text=$(cat $ex)
	name="example '$first'"
	case "$text" in
	"perf record -e arm_smmu_v3:smmu_evtq_event -a -- sleep "*)
		oracle_on $EV
		run_bg $ex /tmp/perf
		check "$name: recording" wait_until workload_of perf
		edu_faults $N
		check "$name: faults made while it records" workload_of perf
		wait $BG; rc=$?
		oracle_off
		check_eq "$name: exit status" 0 "$rc"
		check_eq "$name: tracefs saw $N events meanwhile" $N "$(oracle_count smmu_evtq_event)"
		PERF_RECORDED=1;;
	"perf script -F event,trace")
		check "$name: after the perf record example" test -n "${PERF_RECORDED:-}"
		(cd /tmp/perf && sh $ex > /tmp/perf/script 2> /tmp/perf/script.err)
		check_eq "$name: exit status" 0 "$?"
		check_eq "$name: $N events" $N "$(grep -c '^arm_smmu_v3:smmu_evtq_event:' /tmp/perf/script)"
		trace_fields < /tmp/perf/script > /tmp/perf/fields
		check "$name: every field as in tracefs and as caused (sid, iova, read, client)" \
			cmp /tmp/expected /tmp/perf/fields;;
	"trace-cmd record -e arm_smmu_v3:smmu_evtq_event sleep "*)
		run_bg $ex /tmp/tc
		check "$name: recording" wait_until workload_of trace-cmd
		edu_faults $N
		check "$name: faults made while it records" workload_of trace-cmd
		wait $BG
		check_eq "$name: exit status" 0 "$?"
		check "$name: trace.dat written" test -s /tmp/tc/trace.dat
		TC_RECORDED=1;;
	"trace-cmd report")
		check "$name: after the trace-cmd record example" test -n "${TC_RECORDED:-}"
		(cd /tmp/tc && sh $ex > /tmp/tc/report 2> /tmp/tc/report.err)
		check_eq "$name: exit status" 0 "$?"
		check_eq "$name: $N events" $N "$(grep -c ' smmu_evtq_event: ' /tmp/tc/report)"
		trace_fields < /tmp/tc/report > /tmp/tc/fields
		check "$name: every field as caused (sid, iova, read, client)" \
			cmp /tmp/expected /tmp/tc/fields;;
	"bpftrace -e 'tracepoint:arm_smmu_v3:smmu_evtq_event"*"@faults[args.sid, args.type] = count();"*)
		oracle_on $EV
		run_bg $ex /tmp/bt1
		check "$name: attached" wait_until bpftrace_attached
		edu_faults $N
		stop_bpftrace
		oracle_off
		check_eq "$name: tracefs saw $N events meanwhile" $N "$(oracle_count smmu_evtq_event)"
		check_eq "$name: one count, for edu's stream ID and F_TRANSLATION" \
			"@faults[$((SID)), 16]: $N" "$(grep '^@faults' /tmp/bt1/out)";;
	"bpftrace -e 'tracepoint:arm_smmu_v3:smmu_evtq_event /args.type == 0x10/"*printf*)
		run_bg $ex /tmp/bt2
		if [ $BTF = 0 ]; then
			# Documented: bpftrace 0.23 cannot load printf programs
			# on a kernel without BTF or BPF JIT.
			wait $BG
			check "$name: on a kernel without BTF, refused as documented" \
				grep -q "ERROR: Error loading BPF program" /tmp/bt2/out
			ran=$((ran + 1)); continue
		fi
		oracle_on $EV
		check "$name: attached" wait_until bpftrace_attached
		edu_faults $N
		stop_bpftrace
		oracle_off
		check_eq "$name: tracefs saw $N events meanwhile" $N "$(oracle_count smmu_evtq_event)"
		i=0; : > /tmp/bt2/expected
		while [ $i -lt $N ]; do
			echo "sid=$(printf '%x' $((SID))) iova=$(printf '%x' $((BASE + i * 4096))) read" >> /tmp/bt2/expected
			i=$((i + 1))
		done
		grep '^sid=' /tmp/bt2/out > /tmp/bt2/lines
		check "$name: one line per fault, in order (sid, iova, read)" cmp /tmp/bt2/expected /tmp/bt2/lines;;
	"perf stat -e iommu_scope:iopf_fault -a -- sleep "*)
		oracle_on $IEV
		run_bg $ex /tmp/ps
		check "$name: counting" wait_until workload_of perf
		iopf_faults $M
		check "$name: faults made while it counts" workload_of perf
		wait $BG; rc=$?
		oracle_off
		check_eq "$name: exit status" 0 "$rc"
		want=0; kernel_has_iopf && want=$M
		check_eq "$name: tracefs saw $want events meanwhile" $want "$(oracle_count iopf_fault)"
		check_eq "$name: counts the $want reported faults" $want \
			"$(awk '$2 == "iommu_scope:iopf_fault" { print $1 }' /tmp/ps/out)"
		show_failed /tmp/ps/out;;
	"bpftrace -e 'tracepoint:iommu_scope:iopf_fault"*"@ns[args.pasid] = hist(args.duration_ns);"*)
		oracle_on $IEV
		run_bg $ex /tmp/bt3
		check "$name: attached" wait_until bpftrace_attached
		iopf_faults $M
		stop_bpftrace
		oracle_off
		if kernel_has_iopf; then
			check_eq "$name: tracefs saw $M events meanwhile" $M "$(oracle_count iopf_fault)"
			check_eq "$name: one histogram, PASID 7" "@ns[7]:" "$(grep '^@' /tmp/bt3/out)"
			check_eq "$name: its buckets hold the $M faults" $M \
				"$(sed -n 's/^\[[^]]*[])] *\([0-9]*\) |.*/\1/p' /tmp/bt3/out | awk '{ s += $1 } END { print s + 0 }')"
		else
			# No IOPF support (stock kernels): nothing to report.
			check_eq "$name: no fault reported, no histogram" "" "$(grep '^@' /tmp/bt3/out)"
		fi;;
	*)
		echo "CHECK FAIL $name: a documented example this test does not run"
		CHECK_FAILED=1; continue;;
	esac
	ran=$((ran + 1))
done
check_eq "every documented example ran" "$NEX" "$ran"

# --- perf with the faults as its workload -------------------------------------
oracle_on $EV
check "perf record -a around $N faults" \
	perf record -e arm_smmu_v3:smmu_evtq_event -a -o /tmp/p.data -- \
	insmod /lib/modules/edu_dma.ko count=$N iova=$BASE
rmmod edu_dma
oracle_off
check_eq "tracefs saw the same $N" $N "$(oracle_count smmu_evtq_event)"
perf script -i /tmp/p.data -F event,trace 2>/dev/null | trace_fields > /tmp/p.fields
check "perf script: exactly the $N events, every field as caused" cmp /tmp/expected /tmp/p.fields
perf stat -x, -e arm_smmu_v3:smmu_evtq_event -a -- \
	insmod /lib/modules/edu_dma.ko count=$N iova=$BASE 2> /tmp/p.stat
rmmod edu_dma
check_eq "perf stat counts exactly $N" $N "$(awk -F, '$3 == "arm_smmu_v3:smmu_evtq_event" { print $1 }' /tmp/p.stat)"

# The bpftrace limit the documentation states: __data_loc strings read
# empty with 0.23 (a newer bpftrace fails this: then restore str() in
# the examples).
if [ $BTF = 1 ]; then
	mkdir -p /tmp/bt4
	(bpftrace -e 'tracepoint:arm_smmu_v3:smmu_evtq_event { @c[str(args.client)] = count(); }' > /tmp/bt4/out 2>&1) &
	BG=$!
	check "bpftrace str() probe attached" wait_until bpftrace_attached
	edu_faults 2
	stop_bpftrace
	check_eq "bpftrace 0.23 reads __data_loc strings as empty (documented)" "@c[]: 2" "$(grep '^@c' /tmp/bt4/out)"
fi
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
