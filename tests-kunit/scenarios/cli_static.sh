# SPDX-License-Identifier: GPL-2.0
# Scenario: the plumbing of the CLI's cross build. The static aarch64
# iommu-scope made by scripts/build-cli reaches the guest's /usr/bin
# through the "# guest: cli" line below and runs there (the busybox guest
# of the reference kernels has no dynamic loader) against the live module,
# with the exit statuses the CLI promises: 0 ok, 2 usage, 3 environment
# (module not loaded, not root) with a one-line message on stderr.
#
# Owns: these checks only. Must not: test the CLI's commands and formats
# (tests-kunit/scenarios/cli.sh does).
# guest: cli
. /root/lib/check.sh
KO=/lib/modules/iommu_scope.ko
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
echo 'nogroup:x:65534:' >> /etc/group

# run NAME ARGS...: iommu-scope ARGS, its exit status in $rc, stdout in
# /tmp/cli.out, stderr in /tmp/cli.err.
run() { iommu-scope "$@" > /tmp/cli.out 2> /tmp/cli.err; rc=$?; }
lines() { wc -l < "$1" | tr -d ' '; }

check "iommu-scope is /usr/bin/iommu-scope" test "$(command -v iommu-scope)" = /usr/bin/iommu-scope
[ -n "$STOCK" ] || check "the guest has no dynamic loader (so the CLI is static)" \
	sh -c '! ls /lib/ld-linux-* /lib64/ld-linux-* 2>/dev/null | grep -q .'
run --help
check_eq "iommu-scope --help: exit 0" 0 "$rc"
check "iommu-scope --help names the commands status, domains, ptdump, events" \
	sh -c 'for c in status domains ptdump events; do grep -qw $c /tmp/cli.out || exit 1; done'
run no-such-command
check_eq "an unknown command: exit 2 (usage)" 2 "$rc"

run status
check_eq "status without the module loaded: exit 3 (environment)" 3 "$rc"
check_eq "status without the module loaded: one line on stderr" 1 "$(lines /tmp/cli.err)"
check_eq "status without the module loaded: nothing on stdout" 0 "$(lines /tmp/cli.out)"

check "insmod" insmod $KO
run status
check_eq "status with the module loaded: exit 0" 0 "$rc"
check_eq "status with the module loaded: nothing on stderr" 0 "$(lines /tmp/cli.err)"
check_eq "status with the module loaded: first line" "module iommu_scope loaded" "$(head -n1 /tmp/cli.out)"
# The live module's figures: the io_page_tables feature's SMMUv3 device
# count, as the status file has it (fixed once loaded).
ndev=$(sed -n 's/^feature io_page_tables: active .*\(smmu_v3_devices=[0-9]*\).*/\1/p' $IOPT/status)
check "the status file counts the SMMUv3 devices" test -n "$ndev"
check "status with the module loaded: the io_page_tables row has $ndev" \
	sh -c "grep -E '^io_page_tables +active ' /tmp/cli.out | grep -qw '$ndev'"
su -s /bin/sh nobody -c 'iommu-scope status > /tmp/nobody.out 2> /tmp/nobody.err'
check_eq "status as an unprivileged user: exit 3 (environment)" 3 "$?"
check_eq "status as an unprivileged user: one line on stderr" 1 "$(lines /tmp/nobody.err)"
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
