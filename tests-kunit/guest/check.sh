# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers for the scenario tests (busybox sh). Sourced by a
# scenario script: /root/lib/check.sh.
#
# Each check prints "CHECK PASS <name>" or "CHECK FAIL <name>" on the
# console; scripts/check counts those lines. finish returns non-zero if any
# check failed.

CHECK_FAILED=0
# A stock distribution kernel (booted by scripts/qemu-run --distro): its
# release, else empty. Such a kernel lacks the debugging options of the
# reference kernels (kmemleak, lockdep, KUnit).
STOCK=$(cat /etc/iommu-scope-stock 2>/dev/null)
DBG=/sys/kernel/debug
TR=/sys/kernel/tracing
IOPT=$DBG/io_page_tables

# check NAME CMD...: run CMD, pass if it exits 0.
check() {
	_name=$1; shift
	if "$@" >/tmp/check.out 2>&1; then
		echo "CHECK PASS $_name"
	else
		echo "CHECK FAIL $_name"
		sed 's/^/    | /' /tmp/check.out | head -40
		CHECK_FAILED=1
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		echo "CHECK PASS $1"
	else
		echo "CHECK FAIL $1: expected '$2', got '$3'"
		CHECK_FAILED=1
	fi
}

# Kernel log lines that mean a bug: any of them fails the no_splat check.
SPLAT_RE='WARNING:|BUG:|Oops|Unable to handle|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|KFENCE:|list_add corruption|list_del corruption|sleeping function called from invalid context|rcu.*self-detected stall|soft lockup|hung_task|blocked for more than|unreferenced object|Call trace:'

# The kernel log so far, including what ktap_mark cleared from the ring.
klog() {
	cat /tmp/klog.saved 2>/dev/null
	dmesg
}

# no_splat NAME: the kernel log has no bug report.
no_splat() {
	if klog | grep -E "$SPLAT_RE" >/tmp/splat.out; then
		echo "CHECK FAIL $1"
		klog | grep -B5 -A40 -m1 -E "$SPLAT_RE" | head -60 | sed 's/^/    | /'
		CHECK_FAILED=1
	else
		echo "CHECK PASS $1"
	fi
}

# expect_fail NAME CMD...: pass if CMD fails (bad input must be refused).
expect_fail() {
	_name=$1; shift
	if "$@" >/tmp/check.out 2>&1; then
		echo "CHECK FAIL $_name (command succeeded)"
		CHECK_FAILED=1
	else
		echo "CHECK PASS $_name"
	fi
}

# kmemleak_clear: forget every object allocated so far (boot noise).
kmemleak_clear() {
	[ -e $DBG/kmemleak ] && echo clear > $DBG/kmemleak
	return 0
}

# no_leak NAME: kmemleak finds no unreferenced object allocated since
# kmemleak_clear. Objects younger than 5 s are never reported, so wait.
no_leak() {
	if [ ! -e $DBG/kmemleak ] && [ -n "$STOCK" ]; then
		echo "CHECK SKIP $1 (stock kernel $STOCK has no kmemleak)"
		return
	fi
	if [ ! -e $DBG/kmemleak ]; then
		echo "CHECK FAIL $1 (kernel without kmemleak)"
		CHECK_FAILED=1
		return
	fi
	sleep 6
	echo scan > $DBG/kmemleak
	echo scan > $DBG/kmemleak
	cat $DBG/kmemleak > /tmp/leaks
	if [ -s /tmp/leaks ]; then
		echo "CHECK FAIL $1"
		head -60 /tmp/leaks | sed 's/^/    | /'
		CHECK_FAILED=1
	else
		echo "CHECK PASS $1"
	fi
}

# ktap_mark: save and clear the kernel log, so that the next ktap_dump
# shows only what follows (the module's KUnit suites, not the boot's).
ktap_mark() {
	dmesg >> /tmp/klog.saved
	dmesg -c >/dev/null
}

# ktap_dump: print the kernel log since ktap_mark between markers, for the
# host's KTAP parser (kunit.py parse).
ktap_dump() {
	echo "==KTAP-BEGIN=="
	dmesg
	echo "==KTAP-END=="
}

# kernel_has_iopf: the kernel can report IO page faults
# (CONFIG_IOMMU_IOPF: iommu_report_device_fault is a real function).
kernel_has_iopf() {
	grep -q ' iommu_report_device_fault$' /proc/kallsyms
}

finish() {
	return $CHECK_FAILED
}

# page_size: the kernel's page size in bytes (AT_PAGESZ from the auxiliary
# vector, independent of the module).
page_size() {
	od -An -v -t u8 /proc/self/auxv | tr -s ' ' '\n' | grep -v '^$' |
		awk 'NR % 2 == 1 { k = $1; next } k == 6 { print; exit }'
}

# page_granule: sets PS (the kernel's page size), GRAN (its name: the
# SMMU's granule is the kernel's page size) and LEVELS (a 48-bit IOVA
# space takes 4 levels of 4K or 16K tables, 3 of 64K ones).
page_granule() {
	PS=$(page_size)
	case $PS in
	4096) GRAN=4K; LEVELS=4;;
	16384) GRAN=16K; LEVELS=4;;
	65536) GRAN=64K; LEVELS=3;;
	*) GRAN=?; LEVELS=?;;
	esac
}

# pci_rid NAME: the requester ID (bus << 8 | devfn), in decimal, of PCI
# device NAME (dddd:bb:dd.f): on QEMU's virt SMMUv3, whose iommu-map is the
# identity, the device's stream ID. Fails for a name of another form.
pci_rid() {
	case $1 in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) ;;
	*) return 1;;
	esac
	_b=${1#*:}; _df=${_b#*:}
	echo $(( (0x${_b%%:*} << 8) | (0x${_df%.*} << 3) | ${_df#*.} ))
}
