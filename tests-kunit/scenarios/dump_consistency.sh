# SPDX-License-Identifier: GPL-2.0
# The dumps' consistency mark, tested against a domain whose every change
# the test knows: unmap_loop owns a domain with N fixed pages (512, 1024
# with 64K pages: more than one read's fill of text) and maps
# and unmaps one more page in a loop. Paused, every dump is consistent and
# identical. Running, every dump that says "consistent" is exactly the
# fixed pages with or without the toggled one, and every dump during which
# no unmap returned during it (the loop sleeps period_ms after each map and
# unmap, and the counter is read with shell builtins just before and after
# the one cat whose reads make the dump) is consistent: that oracle is only
# applied with a 400 ms period, where neither the shell nor cat's start and
# exit can plausibly be held off a CPU for a whole cycle (with 2 ms they
# can: QEMU TCG on a busy host). That a dump with an unmap inside says
# INCONSISTENT is checked deterministically: the dump is streamed, from its
# first read(2) to its last, so a dump held between two reads until two
# unmaps returned must say so (a read fills a page of text: the dump is
# longer) (on a fast kernel a one-cat dump of 512 runs
# is over too soon for the loop to race it reliably).
. /root/lib/check.sh
. /root/lib/iopt.sh
P=/sys/module/unmap_loop/parameters

check "insmod" insmod /lib/modules/iommu_scope.ko
check "insmod unmap_loop" insmod /lib/modules/unmap_loop.ko
sleep 1
hash=$(dmesg | sed -n 's/.*unmap_loop: domain \([0-9a-f]*\) .*/\1/p' | tail -n1)
N=$(dmesg | sed -n 's/.*unmap_loop: domain [0-9a-f]* stable=\([0-9]*\) .*/\1/p' | tail -n1)
D=$IOPT/domain_$hash
check "the test domain has a directory" test -n "$hash" -a -d "$D"

# dump FILE: one dump, read by one cat; prints "u0 u1", the unmap counter
# read with builtins just before and just after it.
dump() {
	read u0 < $P/unmaps
	cat $D/ptdump > "$1"
	read u1 < $P/unmaps
	echo "$u0 $u1"
}
body() { grep -v '^#' "$1" | grep -v "^$toggle_re"; }

toggle_re=0x0000000040000000-
dump /tmp/base >/dev/null
check_eq "paused: the dump is consistent" "# consistent: no unmap ran during the dump" "$(tail -n1 /tmp/base)"
check_eq "paused: $N fixed runs" "$N" "$(body /tmp/base | wc -l)"
check "paused: the dump is longer than one read's fill" test "$(wc -c < /tmp/base)" -gt "$(page_size)"
same=0
for i in 1 2 3 4 5; do
	dump /tmp/p >/dev/null
	tail -n1 /tmp/p | grep -q '^# consistent' && [ "$(body /tmp/p)" = "$(body /tmp/base)" ] && same=$((same + 1))
done
check_eq "paused: every dump consistent and identical" 5 "$same"

# split FILE WAIT: one dump read through one open file by two readers: dd
# makes the first read(2) (4 KiB: the header, written with the snapshot,
# and some runs), then the shell holds the dump 200 ms and until the unmap
# counter has advanced by WAIT (polling, at most 10 s), then cat reads the
# rest. Prints the counter's advance while the dump was held; FILE.first
# keeps what the first read returned.
split() {
	exec 3< $D/ptdump
	dd bs=4096 count=1 <&3 > "$1.first" 2>/dev/null
	read ua < $P/unmaps
	sleep 0.2
	n=0
	while read ub < $P/unmaps; [ $((ub - ua)) -lt "$2" ] && [ $n -lt 1000 ]; do
		sleep 0.01; n=$((n + 1))
	done
	cat "$1.first" - <&3 > "$1"
	exec 3<&-
	echo $((ub - ua))
}
# first_read_ok FILE: the first read returned a header and no footer.
first_read_ok() {
	head -n1 "$1.first" | grep -q '^# ' && ! grep -Eq '^# (consistent|INCONSISTENT)' "$1.first"
}
# Deterministic oracle: two unmaps returned after the first read(2) and
# before the second, so one ran entirely inside the dump, which must say so
# and count it; paused, the same held dump is consistent and identical.
sleep 1
held=$(split /tmp/s 0)
check "paused, held dump: the first read was part of it" first_read_ok /tmp/s
check_eq "paused, held dump: no unmap while held" 0 "$held"
check_eq "paused, held dump: consistent" "# consistent: no unmap ran during the dump" "$(tail -n1 /tmp/s)"
check "paused, held dump: identical to the one-read dump" [ "$(body /tmp/s)" = "$(body /tmp/base)" ]
echo 2 > $P/period_ms
echo 1 > $P/run
held=$(split /tmp/s 2)
echo 0 > $P/run
check "running, held dump: the first read was part of it" first_read_ok /tmp/s
check "running, held dump: the loop unmapped twice while it was held" test "$held" -ge 2
tail -n1 /tmp/s
check "running, held dump: says INCONSISTENT and counts the unmaps" grep -q '^# INCONSISTENT: [1-9][0-9]* unmap(s) ran during the dump' /tmp/s
check_eq "running, held dump: every fixed page listed" "$N" "$(body /tmp/s | wc -l)"

cons=0; incons=0; raced=0; bad=0; wrong=0; with_toggle=0
# phase PERIOD_MS SECS: dumps while the loop runs with that period.
phase() {
	echo "$1" > $P/period_ms
	echo 1 > $P/run
	end=$(( $(date +%s) + $2 ))
	while [ $(date +%s) -lt $end ]; do
		set -- $(dump /tmp/r)
		last=$(tail -n1 /tmp/r)
		case "$last" in
		"# consistent"*)
			cons=$((cons + 1))
			# Only sound when a loop period dwarfs how long the shell
			# can be held off a CPU between its reads: the slow phase.
			[ "$strict" = 1 ] && [ $(( $2 - $1 )) -ge 2 ] && { bad=$((bad + 1)); cp /tmp/r /tmp/bad; }
			if [ "$(body /tmp/r)" != "$(body /tmp/base)" ]; then
				wrong=$((wrong + 1)); cp /tmp/r /tmp/wrong
			fi
			t=$(grep -c "^$toggle_re" /tmp/r)
			[ "$t" -gt 1 ] && wrong=$((wrong + 1))
			[ "$t" = 1 ] && with_toggle=$((with_toggle + 1))
			;;
		"# INCONSISTENT"*)
			incons=$((incons + 1))
			[ $(( $2 - $1 )) -ge 2 ] && raced=$((raced + 1))
			;;
		*) wrong=$((wrong + 1)); cp /tmp/r /tmp/wrong;;
		esac
	done
	echo 0 > $P/run
}
# Fast: dumps overlap several unmaps. Slow: most dumps fit between two.
strict=0; phase 2 ${DUMP_SECS:-20}
strict=1; phase 400 ${DUMP_SECS:-20}
echo "dumps: consistent=$cons (with the toggled page: $with_toggle) INCONSISTENT=$incons (with >= 2 unmaps inside: $raced) unmaps=$(cat $P/unmaps)"
check "some dumps while running were consistent" test "$cons" -gt 0
check "some consistent dumps show the toggled page" test "$with_toggle" -gt 0
check_eq "no consistent dump had an unmap inside it (400 ms period)" 0 "$bad"
[ -f /tmp/bad ] && tail -n3 /tmp/bad
check_eq "every consistent dump is exactly the fixed pages (+ toggle)" 0 "$wrong"
[ -f /tmp/wrong ] && diff /tmp/base /tmp/wrong | head -20
sleep 1
dump /tmp/after >/dev/null
check_eq "paused again: consistent" "# consistent: no unmap ran during the dump" "$(tail -n1 /tmp/after)"
check "rmmod unmap_loop" rmmod unmap_loop
check "the domain's directory is gone" test ! -d "$D"
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
