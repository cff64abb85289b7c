# SPDX-License-Identifier: GPL-2.0
# Guest helpers of the clients scenario (busybox sh): the faults it makes,
# its tracefs oracle and the process lookups it waits with. Sourced by the
# scenario after check.sh, and on its own by the workload it gives perf
# ("perf ... -- sh -c '. /root/lib/clients.sh && faults_and_wait'").
#
# Owns: the clients scenario's fault plan and its tracefs instance
# clients_oracle. Must not: touch the top-level tracefs instance (the
# documented ftrace and trace-cmd examples use it).

TR=/sys/kernel/tracing
# The faults: R faulting edu DMA reads at BASE, BASE + 4K, ..., then R
# faulting writes at WBASE = BASE + R * 4K, ... (N in all, at consecutive
# pages); M IO page faults injected with PASID 7.
R=3
N=$((2 * R))
BASE=0x8000000
WBASE=$((BASE + R * 4096))
M=10
# The oracle: the same events recorded by tracefs in an instance of its
# own, so the examples' use of the top-level buffer does not meet it. It
# is switched on after the tool under test attached: tracepoint probes run
# in the order they were registered, so when the oracle holds an event the
# tool's probe has already run for it.
OR=$TR/instances/clients_oracle
EVT=arm_smmu_v3/smmu_evtq_event
IOPF=iommu_scope/iopf_fault

# oracle_on EVENT: clear the oracle and enable EVENT (category/name) in it;
# fails if either write fails or the event does not read back enabled.
oracle_on() {
	echo > $OR/trace && echo 1 > $OR/events/$1/enable &&
		[ "$(cat $OR/events/$1/enable)" = 1 ]
}
oracle_off() {
	echo 0 > $OR/events/$EVT/enable
	echo 0 > $OR/events/$IOPF/enable
}
# oracle_count NAME: the oracle's NAME events.
oracle_count() { grep -c " $1: " $OR/trace; }
# wait_oracle NAME COUNT: wait (at most 10 s) until the oracle holds COUNT
# NAME events: the SMMU's events reach the tracepoint from the driver's
# event queue IRQ thread, after the DMA that caused them has ended.
wait_oracle() {
	_i=0
	while [ "$(oracle_count $1)" -lt $2 ]; do
		_i=$((_i + 1)); [ $_i -gt 10 ] && return 1
		sleep 1
	done
}

# edu_faults: the N translation faults, each module load checked.
edu_faults() {
	insmod /lib/modules/edu_dma.ko count=$R iova=$BASE && rmmod edu_dma &&
		insmod /lib/modules/edu_dma.ko count=$R iova=$WBASE write=1 &&
		rmmod edu_dma
}
# iopf_faults: the M IO page faults.
iopf_faults() {
	insmod /lib/modules/iopf_inject.ko count=$M pasid=7 && rmmod iopf_inject
}
# faults_and_wait: perf's workload: the oracle on (after perf opened its
# events), the N faults, and the wait for the oracle to hold all N events,
# so that perf stops only after the last one was emitted.
faults_and_wait() {
	oracle_on $EVT && edu_faults && wait_oracle smmu_evtq_event $N
}

# --- processes ---------------------------------------------------------------
# With shell builtins only: a scan that forks per process takes seconds
# under emulation, longer than the tools' windows.
# pid_of NAME: a process named NAME.
pid_of() {
	for _d in /proc/[0-9]*; do
		read -r _c < $_d/comm 2>/dev/null || continue
		[ "$_c" = "$1" ] && { echo ${_d#/proc/}; return 0; }
	done
	return 1
}
# ppid_state PID: "PPID STATE" of PID.
ppid_state() {
	read -r _s < /proc/$1/stat 2>/dev/null || return 1
	set -- ${_s##*) }
	echo "$2 $1"
}
# running PID: PID exists and is not a zombie.
running() {
	_ps=$(ppid_state $1) || return 1
	[ "${_ps#* }" != Z ]
}
# workload_of TOOL: TOOL's "sleep" child has been exec'd, which perf and
# trace-cmd do once their events are enabled.
workload_of() {
	for _d in /proc/[0-9]*; do
		read -r _c < $_d/comm 2>/dev/null || continue
		[ "$_c" = sleep ] || continue
		read -r _s < $_d/stat 2>/dev/null || continue
		set -- "$1" ${_s##*) }
		read -r _c < /proc/$3/comm 2>/dev/null && [ "$_c" = "$1" ] && return 0
	done
	return 1
}
# kill_tree PID [SIG]: PID's descendants, then PID.
kill_tree() {
	for _d in /proc/[0-9]*; do
		_ps=$(ppid_state ${_d#/proc/}) || continue
		[ "${_ps% *}" = "$1" ] && kill_tree ${_d#/proc/} $2
	done
	kill -${2:-TERM} $1 2>/dev/null
	return 0
}
# wait_exit PID SECS: wait at most SECS s for the background job PID to
# end and return its exit status; if it did not, kill it with its
# children and return 124.
wait_exit() {
	_w=0
	while running $1; do
		_w=$((_w + 1))
		if [ $_w -gt $2 ]; then
			kill_tree $1 KILL
			wait $1
			return 124
		fi
		sleep 1
	done
	wait $1
}
# bpftrace_attached TP: a bpftrace process holds a BPF link of type perf
# on the tracepoint TP (/proc/PID/fdinfo: "link_type: perf", "tp_name:
# TP"). libbpf creates that link when it attaches the program to the
# tracepoint's perf event, after opening it (so the tracepoint's perf probe
# is registered) and before enabling it; bpftrace's own perf events
# (its output buffers) are opened earlier and say nothing.
bpftrace_attached() {
	_p=$(pid_of bpftrace) || return 1
	for _f in /proc/$_p/fdinfo/*; do
		_lt=; _tp=
		while read -r _k _v; do
			case $_k in
			link_type:) _lt=$_v;;
			tp_name:) _tp=$_v;;
			esac
		done 2>/dev/null < $_f
		[ "$_lt" = perf ] && [ "$_tp" = "$1" ] && return 0
	done
	return 1
}
# wait_until SECS CMD...: poll CMD once a second, for at most SECS s.
wait_until() {
	_n=$1; shift
	_i=0
	while ! "$@"; do
		_i=$((_i + 1)); [ $_i -gt $_n ] && return 1
		sleep 1
	done
}
