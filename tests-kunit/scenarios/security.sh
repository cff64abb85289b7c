# SPDX-License-Identifier: GPL-2.0
# Scenario: permissions and bad input. Root bypasses mode bits, so the
# permission checks run as an unprivileged user (uid/gid 65534, no
# capabilities), with debugfs remounted 0755 so that only the module's own
# file modes protect its files. Every writable file refuses bad input
# (white space only, signs, overflow, two words, 1 MiB of random bytes) and
# its state stays exactly as it was.
. /root/lib/check.sh
. /root/lib/iopt.sh
# An unprivileged user: uid/gid 65534, no supplementary groups, no
# capabilities (su as root asks no password).
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
echo 'nogroup:x:65534:' >> /etc/group
as_nobody() { su -s /bin/sh nobody -c "$1"; }
# denied CMD: CMD ran as uid 65534 and failed with "Permission denied".
denied() {
	out=$(as_nobody "[ \$(id -u) = 65534 ] || exit 99; $1" 2>&1)
	rc=$?
	[ $rc != 0 ] && [ $rc != 99 ] && echo "$out" | grep -q "Permission denied"
}

check "insmod" insmod /lib/modules/iommu_scope.ko
sleep 1
check "insmod leak_maker (one leak in the log)" insmod /lib/modules/leak_maker.ko
check "inject 3 IO page faults (iopf counters)" insmod /lib/modules/iopf_inject.ko count=3 pasid=7
rmmod iopf_inject 2>/dev/null
sleep 1
mount -o remount,mode=0755 /sys/kernel/debug
check "debugfs is traversable for the test" test "$(stat -c %a /sys/kernel/debug)" = 755
check_eq "the test user is uid/gid 65534" "65534 65534" "$(as_nobody 'echo $(id -u) $(id -g)')"
check "uid 65534 can list io_page_tables" as_nobody "ls $IOPT"
check "the test user's denial is detected (a root-only file outside the module)" denied "cat /proc/kmsg"
denied "cat /proc/version" && ctl=denied || ctl=allowed
check_eq "a world-readable file is not counted as denied" allowed $ctl

# Every file: owned by root, mode 0400/0200/0600, and neither readable nor
# writable by uid 65534.
find $IOPT -type f > /tmp/files
nfiles=$(wc -l < /tmp/files)
check "the module has files to test ($nfiles)" test "$nfiles" -ge 12
bad_mode=0; readable=0; writable=0
while read f; do
	m=$(stat -c '%u %a' $f)
	case "$m" in "0 400"|"0 200"|"0 600") ;; *) bad_mode=$((bad_mode + 1)); echo "mode $m: $f";; esac
	denied "cat $f" || { readable=$((readable + 1)); echo "not refused to uid 65534 for reading: $f"; }
	denied "echo 1 > $f" || { writable=$((writable + 1)); echo "not refused to uid 65534 for writing: $f"; }
done < /tmp/files
check_eq "every file is root's with mode 0400, 0200 or 0600" 0 $bad_mode
check_eq "every file refuses reading to uid 65534 ($nfiles files)" 0 $readable
check_eq "every file refuses writing to uid 65534 ($nfiles files)" 0 $writable

# Bad input to every writable file changes nothing.
echo 0x1000 > $IOPT/lookup
# A kernel without IO page fault support has no iopf/ files (the iopf
# scenario checks that it says so).
if kernel_has_iopf; then
	IOPF_FILES="$IOPT/iopf/devices $IOPT/iopf/pasids $IOPT/iopf/processes"
	WRITABLE="lookup reset iopf/reset"
	check "the state to protect is not empty" sh -c "grep -q '^pa=' $IOPT/leaks && grep -q 'faults 3' $IOPT/iopf/devices"
else
	check "only a stock kernel lacks IOPF support" test -n "$STOCK"
	IOPF_FILES=
	WRITABLE="lookup reset"
	check "the state to protect is not empty" grep -q '^pa=' $IOPT/leaks
fi
state() { cat $IOPT/lookup $IOPT/leaks $IOPF_FILES; }
state > /tmp/before
head -c 1048576 /dev/urandom > /tmp/random
refused=0; taken=0
for f in $WRITABLE; do
	for input in " " "	" "+5" "-5" "+0x10" "0x" "0x-1" "18446744073709551616" "0x10000000000000000" \
	             "1 2" "leaks leaks" "LEAKS" "1x" "0x1000 0x2000" "$(printf 'leaks\001')"; do
		if printf '%s\n' "$input" > $IOPT/$f 2>/dev/null; then
			taken=$((taken + 1)); echo "$f took '$input'"
		else
			refused=$((refused + 1))
		fi
	done
	if cat /tmp/random > $IOPT/$f 2>/dev/null; then taken=$((taken + 1)); echo "$f took 1 MiB of random bytes"; else refused=$((refused + 1)); fi
	printf '' > $IOPT/$f
done
nw=$(echo $WRITABLE | wc -w)
check_eq "every bad write refused ($nw files x 16 inputs)" "$((nw * 16)) 0" "$refused $taken"
state > /tmp/after
check "the state is exactly as before" cmp /tmp/before /tmp/after
check "rmmod leak_maker" rmmod leak_maker
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
