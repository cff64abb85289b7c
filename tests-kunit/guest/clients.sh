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
		read -r _c 2>/dev/null < $_d/comm || continue
		[ "$_c" = "$1" ] && { echo ${_d#/proc/}; return 0; }
	done
	return 1
}
# ppid_state PID: "PPID STATE" of PID.
ppid_state() {
	read -r _s 2>/dev/null < /proc/$1/stat || return 1
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
		read -r _c 2>/dev/null < $_d/comm || continue
		[ "$_c" = sleep ] || continue
		read -r _s 2>/dev/null < $_d/stat || continue
		set -- "$1" ${_s##*) }
		read -r _c 2>/dev/null < /proc/$3/comm && [ "$_c" = "$1" ] && return 0
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
# bpftrace_attached EVENT: a bpftrace process has attached its program to
# the tracepoint EVENT (category/name) and runs its event loop. bpftrace
# 0.23 attaches with bcc's bpf_attach_tracepoint: perf_event_open of the
# tracepoint (its perf probe is registered then), then the ioctls
# PERF_EVENT_IOC_SET_BPF and ENABLE; no BPF link. So: it holds that perf
# event (/proc/PID/fdinfo: type 2, PERF_TYPE_TRACEPOINT, config the
# event's id; its own output buffers are software events, opened
# earlier), and its main thread waits in its poll loop (/proc/PID/syscall:
# epoll_pwait 22, ppoll 73 or epoll_pwait2 441 on arm64), which it enters
# only once every probe is attached.
bpftrace_attached() {
	_p=$(pid_of bpftrace) || return 1
	read -r _id 2>/dev/null < $TR/events/$1/id || return 1
	_id=$(printf '0x%x' $_id)
	read -r _nr _rest 2>/dev/null < /proc/$_p/syscall || return 1
	case $_nr in 22|73|441) ;; *) return 1;; esac
	for _f in /proc/$_p/fdinfo/*; do
		_ty=; _cf=
		while read -r _k _v; do
			case $_k in
			perf_event_attr.type:) _ty=$_v;;
			perf_event_attr.config:) _cf=$_v;;
			esac
		done 2>/dev/null < $_f
		[ "$_ty" = 2 ] && [ "$_cf" = "$_id" ] && return 0
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
