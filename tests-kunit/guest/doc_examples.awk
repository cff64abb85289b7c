# SPDX-License-Identifier: GPL-2.0
# usage: awk -v OUT=DIR -f doc_examples.awk FILE...
#
# Every example command in the literal blocks of the files given (reST
# "::" blocks and code directives; Markdown code blocks, indented or
# fenced): a line, at any indentation, with an optional "$ " prompt and
# "sudo", that runs perf, bpftrace or trace-cmd, or cat or echo on a
# tracefs path; with its continuation lines (indented deeper). Each is
# written, dedented and without prompt or sudo, to OUT/NN, and
# "NN FILE:LINE" to OUT/index. Used by the clients scenario, which runs
# each; a prose line that merely looks like a command is not extracted
# (the scenario's independent grep of the same files catches it).
#
# Owns: what counts as a documented trace example. Must not: run them.
function indent(s) { match(s, /^[ \t]*/); return RLENGTH }
# The column of a paragraph's text (after a list item's bullet).
function textcol(s) {
	if (match(s, /^[ \t]*([-*+]|[0-9]+\.|#\.)[ \t]+/)) return RLENGTH
	return indent(s)
}
function is_cmd(s) {
	sub(/^[ \t]*/, "", s); sub(/^\$[ \t]+/, "", s); sub(/^sudo[ \t]+/, "", s)
	return s ~ /^(perf|bpftrace|trace-cmd)([ \t]|$)/ ||
		s ~ /^(cat|echo)([ \t].*)?\/sys\/kernel\/(debug\/)?tracing(\/|[ \t]|$)/
}
function start(s) {
	n++; cur = sprintf("%s/%02d", OUT, n); ci = indent(s)
	sub(/^[ \t]*/, "", s); sub(/^\$[ \t]+/, "", s); sub(/^sudo[ \t]+/, "", s)
	print s > cur; close(cur)
	printf "%02d %s:%d\n", n, FILENAME, FNR >> (OUT "/index")
}
FNR == 1 { lit = 0; pend = 0; fence = 0; cur = ""; prevblank = 1; md = FILENAME ~ /\.md$/ }
{
	blank = $0 ~ /^[ \t]*$/
	in_lit = 0
	if (md) {
		if ($0 ~ /^[ \t]*(```|~~~)/) { fence = !fence; cur = ""; prevblank = 0; next }
		if (fence) in_lit = 1
		else if (!blank && indent($0) >= 4 && (prevblank || lit)) in_lit = 1
		lit = in_lit || (lit && blank)
	} else {
		if (!blank && (pend || lit) && indent($0) > pbase) { lit = 1; pend = 0 }
		else if (!blank && (pend || lit)) { lit = 0; pend = 0 }
		in_lit = lit && !blank
		if (!blank && !in_lit && ($0 ~ /::[ \t]*$/ || $0 ~ /^[ \t]*\.\. (code-block|code|sourcecode)::/)) {
			pend = 1; pbase = textcol($0)
		}
	}
	prevblank = blank
	if (!in_lit) { if (!blank) cur = ""; next }
	if (is_cmd($0)) { start($0); next }
	if (cur != "" && indent($0) > ci) { s = $0; s = substr(s, ci + 1); print s >> cur; close(cur); next }
	cur = ""
}
