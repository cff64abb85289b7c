# SPDX-License-Identifier: GPL-2.0
# Scenario (stock kernels only): the Debian package made by scripts/distro
# installs with dpkg on a system running that kernel, its postinst runs
# depmod, `modprobe iommu_scope` loads the module from
# /lib/modules/KVER/updates/, the features the stock configuration lacks
# are said once while the rest serves, no kernel warning, and removing the
# package takes the module away again. The package's dependency on the
# kernel is checked against the running kernel's Debian version.
# stock: only
. /root/lib/check.sh
. /root/lib/iopt.sh
KVER=$(uname -r)
check "a stock kernel" test -n "$STOCK"
check_eq "booted the kernel the package is for" "$STOCK" "$KVER"
deb=$(ls /root/debs/iommu-scope-modules-"$KVER"_*_arm64.deb 2>/dev/null | head -n1)
check "the package for $KVER is here" test -f "$deb"
PKG=iommu-scope-modules-$KVER

# Debian's own dpkg, kmod and dash (scripts/distro --guest puts them in
# the guest with a dpkg database listing them), not busybox's: called by
# path (this busybox shell prefers its applets to PATH), and /bin/sh is
# dash from here on, as on Debian, so the maintainer scripts that dpkg
# runs find kmod's depmod through PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
DPKG=/usr/bin/dpkg; DPKGQ=/usr/bin/dpkg-query; MODPROBE=/usr/sbin/modprobe
check "Debian's dpkg" sh -c "$DPKG --version | grep -q 'Debian .dpkg. package management program'"
check "Debian's kmod" sh -c "$MODPROBE --version | grep -q '^kmod version'"
check "Debian's dash as /bin/sh" sh -c "test -x /usr/bin/dash && rm /bin/sh && ln -s /usr/bin/dash /bin/sh"
cp /var/lib/dpkg/status /tmp/status.base
# The dpkg database of a Debian system running this kernel: its image
# package at the version the kernel itself reports (/proc/version ends
# with "Debian <version> (<date>)").
KV=$(sed -n 's/.* Debian \([^ ]*\) ([0-9-]*)$/\1/p' /proc/version)
check "the kernel reports its Debian version ($KV)" test -n "$KV"
dpkg_db() { # dpkg_db IMAGE_VERSION
	{ cat /tmp/status.base
	  printf 'Package: %s\nStatus: install ok installed\nMaintainer: %s\nVersion: %s\nArchitecture: arm64\nDescription: %s\n\n' \
		"linux-image-$KVER" "Debian Kernel Team <debian-kernel@lists.debian.org>" "$1" \
		"Linux for 64-bit ARMv8 machines (the running kernel)"; } > /var/lib/dpkg/status
}
dpkg_db "$KV~older1"
# dpkg unpacks first and then refuses to configure a package whose
# dependency is not met (apt would not even start).
$DPKG -i "$deb" > /tmp/dpkg.out 2>&1; rc=$?
check "dpkg does not configure it for another build of the kernel (exit $rc)" sh -c "[ $rc != 0 ] && grep -q 'dependency problems - leaving unconfigured' /tmp/dpkg.out && grep -q 'depends on linux-image-$KVER (= ' /tmp/dpkg.out"
check_eq "left unpacked, not configured" "install ok unpacked" "$($DPKGQ -W -f='${Status}' $PKG 2>/dev/null)"
check "postinst not run: modules.dep does not list it" sh -c "! grep -q iommu_scope /lib/modules/$KVER/modules.dep"
check "purged again" $DPKG --purge "$PKG"
check "nothing left" sh -c "! ls /lib/modules/$KVER/updates/iommu_scope.ko* 2>/dev/null"
dpkg_db "$KV"
check "dpkg -i installs it" $DPKG -i "$deb"
check "dpkg lists it installed" sh -c "$DPKGQ -W -f='\${Status}' $PKG | grep -qx 'install ok installed'"
ko=$(ls /lib/modules/$KVER/updates/iommu_scope.ko* 2>/dev/null)
check "the module is under /lib/modules/$KVER/updates/ ($ko)" test -f "$ko"
check "postinst ran depmod: modules.dep lists it" grep -q "^updates/iommu_scope.ko[.a-z]*:" /lib/modules/$KVER/modules.dep
check_eq "modprobe would load the packaged file" "insmod $ko" "$($MODPROBE --show-depends iommu_scope 2>&1 | sed 's/ *$//')"
check "modprobe iommu_scope" $MODPROBE iommu_scope
check "loaded" grep -q '^iommu_scope ' /proc/modules
sleep 1
NG=$(ls /sys/kernel/iommu_groups | wc -l)
check "page tables serve every IOMMU group ($NG)" grep -q "^feature io_page_tables: active smmu_v3_devices=$NG" $IOPT/status
check_eq "one domain directory per group" "$NG" "$(ls -d $IOPT/domain_* | wc -l)"
check "accounting serves" grep -q "^feature accounting: active" $IOPT/status
check "SMMUv3 event tracing serves" grep -q "^feature smmu_evtq_event: active" $IOPT/status
check "the event tracepoint is there" test -d $TR/events/arm_smmu_v3/smmu_evtq_event
# Debian's arm64 kernels have no SVA, hence no IO page faults.
if kernel_has_iopf; then
	check "iopf serves" grep -q "^feature iopf: active" $IOPT/status
else
	check "iopf: unavailable in status" grep -qx "feature iopf: unavailable error=-2" $IOPT/status
	check_eq "iopf: said once in the kernel log" 1 "$(dmesg | grep -c 'iopf: no probe-able iommu_report_device_fault')"
fi
check "the nvme domain dumps" grep -q '^0x' "$(dom_of 0000:00:02.0)/ptdump"
check "no 'deprecated workqueue' warning" sh -c "! dmesg | grep -q 'deprecated workqueue'"
check_eq "no other warning from the module" "" "$(dmesg | grep 'iommu_scope' | grep -vE 'loading out-of-tree module taints|module verification failed|iopf: no probe-able iommu_report_device_fault|loaded; debugfs|unloaded' )"
check "modprobe -r iommu_scope" $MODPROBE -r iommu_scope
check "unloaded" sh -c "! grep -q '^iommu_scope ' /proc/modules"
check "dpkg --purge removes the package" $DPKG --purge "$PKG"
check "the module file is gone" sh -c "! ls /lib/modules/$KVER/updates/iommu_scope.ko* 2>/dev/null"
check "postrm ran depmod: modules.dep no longer lists it" sh -c "! grep -q iommu_scope /lib/modules/$KVER/modules.dep"
expect_fail "modprobe iommu_scope fails once removed" $MODPROBE iommu_scope
no_splat "no kernel splat"
finish
