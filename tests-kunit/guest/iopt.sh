# SPDX-License-Identifier: GPL-2.0
# Guest helpers for the io_page_tables scenarios (busybox sh + awk).

IOPT=/sys/kernel/debug/io_page_tables

# dom_of PCI_DEV: the domain directory whose devices file lists PCI_DEV.
dom_of() {
	for f in $IOPT/domain_*/devices; do
		if grep -q "^$1 " "$f" 2>/dev/null; then
			echo "${f%/devices}"
			return 0
		fi
	done
	return 1
}

# pt_pages DIR: the decoded ptdump expanded to "iova_page pa_page" lines
# (4K pages, decimal page numbers), sorted.
pt_pages() {
	cat "$1/ptdump" | awk '
	function hex(s,   v, i) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	/^0x/ { split($1, r, "-"); s = hex(r[1]); e = hex(r[2]); p = $3; sub(/^pa=/, "", p); p = hex(p)
		for (a = s; a < e; a += 4096) printf "%.0f %.0f\n", a / 4096, (p + a - s) / 4096 }' | sort
}

# replay BASE_PAGES TRACE: apply the iommu:map / iommu:unmap events of
# TRACE (tracefs text) to the page set BASE_PAGES; print the result sorted.
replay() {
	awk '
	function hex(s,   v, i) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	FNR == NR { m[$1] = $2; next }
	/ map: IOMMU:/ { for (i = 1; i <= NF; i++) {
			if ($i ~ /^iova=/) { s = $i; sub(/^iova=/, "", s); s = hex(s) }
			if ($i ~ /^paddr=/) { p = $i; sub(/^paddr=/, "", p); p = hex(p) }
			if ($i ~ /^size=/) { z = $i; sub(/^size=/, "", z); z = z + 0 } }
		for (a = 0; a < z; a += 4096) m[sprintf("%.0f", (s + a) / 4096)] = sprintf("%.0f", (p + a) / 4096)
		next }
	/ unmap: IOMMU:/ { for (i = 1; i <= NF; i++) {
			if ($i ~ /^iova=/) { s = $i; sub(/^iova=/, "", s); s = hex(s) }
			if ($i ~ /^unmapped_size=/) { z = $i; sub(/^unmapped_size=/, "", z); z = z + 0 } }
		for (a = 0; a < z; a += 4096) delete m[sprintf("%.0f", (s + a) / 4096)]
		next }
	END { for (k in m) print k, m[k] }' "$1" "$2" | sort
}

trace_iommu_on() {
	echo 0 > $TR/tracing_on
	echo > $TR/trace
	echo 1 > $TR/events/iommu/map/enable
	echo 1 > $TR/events/iommu/unmap/enable
	echo 1 > $TR/tracing_on
}

trace_iommu_off() {
	echo 0 > $TR/tracing_on
	echo 0 > $TR/events/iommu/map/enable
	echo 0 > $TR/events/iommu/unmap/enable
}

# dump_pa_pages: every mapped 4K page of every domain's ptdump, as
# "0x<16 hex pa> <number of mappings>", sorted: what `pages` must show.
dump_pa_pages() {
	cat $IOPT/domain_*/ptdump | awk '
	function hex(s,   v, i) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	function tohex(v,   s, d) { s = ""; while (v > 0) { d = v % 16; s = substr("0123456789abcdef", d + 1, 1) s; v = (v - d) / 16 }
		while (length(s) < 16) s = "0" s; return "0x" s }
	/^0x/ { split($1, r, "-"); s = hex(r[1]); e = hex(r[2]); p = $3; sub(/^pa=/, "", p); p = hex(p)
		for (a = s; a < e; a += 4096) n[tohex(p + a - s)]++ }
	END { for (k in n) print k, n[k] }' | sort
}

# wait_seeded [SECONDS]: wait until the accounting has seeded every domain
# found at load (`seed_settling 0`); fails after SECONDS (default 120).
wait_seeded() {
	local n=$(( ${1:-120} * 10 ))
	while [ $n -gt 0 ]; do
		grep -q '^seed_settling 0$' $IOPT/accounting 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	grep '^seed' $IOPT/accounting
	return 1
}
