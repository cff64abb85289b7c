# SPDX-License-Identifier: GPL-2.0
# make bench: the report from the guests' raw lines (see scripts/bench and
# tests-kunit/guest/bench.sh for their format).
function median(key,   n, i, j, t, v) {
	n = cnt[key]
	if (n == 0) return -1
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function add(key, x) { val[key, ++cnt[key]] = x + 0 }
function kv(s, k,   a) { if (match(s, k "=[0-9]+")) return substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1) + 0; return -1 }
function verdict(r, goal) { return (r < 0) ? "n/a" : (r <= goal ? "ok" : "MISSED") }
function ratio(a, b) { return (b > 0) ? a / b : -1 }
$1 == "BENCH" { add($2 SUBSEP $3 SUBSEP $4 SUBSEP "map", $5); add($2 SUBSEP $3 SUBSEP $4 SUBSEP "unmap", $6)
	cfg[$3 "/" $4] = 1; order[++nord] = $3 "/" $4 }
$1 == "FLOOR" { add("floor" SUBSEP $2, kv($0, "ns")); reads[$2] = kv($0, "reads") }
$1 == "P2" { add("p2" SUBSEP $2 SUBSEP $3, kv($0, "ns")); bytes[$2, $3] = kv($0, "bytes")
	if (kv($0, "mem_kb") > mem[$2, $3]) mem[$2, $3] = kv($0, "mem_kb") }
$1 == "P3" { p3[$2] = $3 }
$1 == "P4" { add("p4" SUBSEP $2, kv($0, "ms")); ev[$2] = $3 }
END {
	print "P1: latency one DMA map / unmap call adds (us; medians; added = side - base)"
	print "(base: without; +floor: hook_floor.ko, the same hook points with empty handlers; ratio: +module / +in-tree)"
	printf "%-6s %-3s | %-6s %-8s %-7s %-8s %-6s %-6s | %-6s %-8s %-7s %-8s %-6s %-6s\n", "pages", "thr",
		"map", "+module", "+floor", "+in-tree", "ratio", "goal", "unmap", "+module", "+floor", "+in-tree", "ratio", "goal"
	for (i = 1; i <= nord; i++) {
		c = order[i]; if (done[c]++) continue
		split(c, pc, "/"); p = pc[1]; t = pc[2]; goal = (p == 1) ? 1 : 0.25
		line = sprintf("%-6s %-3s |", p, t)
		for (k = 1; k <= 2; k++) {
			op = (k == 1) ? "map" : "unmap"
			b = median("base" SUBSEP p SUBSEP t SUBSEP op)
			m = median("module" SUBSEP p SUBSEP t SUBSEP op) - b
			f = median("floor" SUBSEP p SUBSEP t SUBSEP op)
			fs = (f < 0) ? "-" : sprintf("%+.1f", f - b)
			n = median("intree" SUBSEP p SUBSEP t SUBSEP op)
			if (n < 0) { r = -1; ns = "-" } else { n -= b; ns = sprintf("%+.1f", n); r = ratio(m, n) }
			if (r >= 0 && m <= 0) r = 0
			line = line sprintf(" %-6.1f %-+8.1f %-7s %-8s %-6s %-6s |", b, m, fs, ns,
				(r < 0) ? "n/a" : sprintf("%.2f", r), verdict(r, goal) "<=" goal)
		}
		print line
	}
	print ""
	print "P2: dumping a domain of 262,144 4K mappings (goal: <= 3x the walk floor; reader memory a few pages)"
	printf "%-11s %-10s %10s %12s %10s %8s %8s\n", "layout", "file", "seconds", "bytes", "floor s", "ratio", "mem KiB"
	for (l = 1; l <= 2; l++) {
		lay = (l == 1) ? "contiguous" : "scattered"
		fl = median("floor" SUBSEP lay) / 1e9
		for (f = 1; f <= 2; f++) {
			file = (f == 1) ? "ptdump" : "ptdump_raw"
			s = median("p2" SUBSEP lay SUBSEP file) / 1e9
			if (s < 0) continue
			printf "%-11s %-10s %10.3f %12d %10.3f %8.2f %8d\n", lay, file, s, bytes[lay, file], fl, ratio(s, fl), mem[lay, file]
		}
		if (reads[lay] > 0) printf "%-11s floor: %d descriptors read\n", lay, reads[lay]
	}
	print ""
	print "P3: refcount table memory (goal: <= 4 bytes per 4K page mapped)"
	if (p3["pages_mapped"] > 0)
		printf "pages_mapped %d, table_memory_bytes %d: %.2f bytes per page\n", p3["pages_mapped"],
			p3["table_memory_bytes"], p3["table_memory_bytes"] / p3["pages_mapped"]
	print ""
	print "P4: a burst of 16384 SMMU events (medians; drain time seen by the event queue's interrupt count)"
	for (s = 1; s <= 3; s++) {
		st = (s == 1) ? "base" : (s == 2) ? "tracepoint_off" : "tracepoint_on"
		m = median("p4" SUBSEP st)
		if (m > 0) printf "%-15s %7d ms  %8.0f events/s  (module counted %s)\n", st, m, 16384 * 1000 / m, ev[st]
	}
}
