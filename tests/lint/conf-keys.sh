#!/bin/sh
# SPDX-License-Identifier: ISC
# wsld(8) against the tables wsld checks a configuration with: the
# top-level keys (CONFIGURATION FILE, the first list) and the listener
# properties (its "Listener properties" list) are the same names as in
# daemon/conf.c and daemon/props.c, and each item states what a value must
# be in the words of wsld's own message for it ("an integer from 1 to
# 65536"), as tests/tools/wsl-conf-keys prints them.
#
# A lint rather than generating that part of the page: each item is prose
# (what the key does, its default, what a reload does with it) that does
# not belong in a C table, and the page stays readable and whole as
# written; the lint still fails on any drift, both ways.
page=${top_srcdir:-.}/man/wsld.8.in
tool=${top_builddir:-.}/tests/tools/wsl-conf-keys
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-lint.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
failed=0
tab=$(printf '\t')

if ! "$tool" >"$T/table"; then
	echo "not ok 1 - $tool runs"
	echo "1..1"
	exit 1
fi

# KIND<TAB>NAME<TAB>TEXT for each item of the two lists, its text with
# the mdoc macros taken out (.Qq WORD gives "WORD").
awk '
function flush(i, k, a) {
	if (names != "") {
		k = split(names, a, " ")
		for (i = 1; i <= k; i++)
			if (a[i] != ",")
				printf "%s\t%s\t%s\n", kind, a[i], text
	}
	names = ""
	text = ""
}
function plain(s) {
	gsub(/\\\(dq/, "\"", s)
	gsub(/\\&/, "", s)
	gsub(/\\-/, "-", s)
	return (s)
}
# A macro line as text: macro names out, Qq and Dq quote until a
# delimiter.
function macro_text(line, i, k, a, t, out, quoting) {
	k = split(line, a, " ")
	out = ""
	quoting = 0
	for (i = 1; i <= k; i++) {
		t = a[i]
		if (i == 1)
			t = substr(t, 2)
		if (t == "Qq" || t == "Dq") {
			quoting = 1
			continue
		}
		if (t ~ /^[A-Z][a-z][a-z]?$/)
			continue
		if (t ~ /^[.,;:()]$/) {
			if (quoting == 2)
				out = out "\""
			quoting = 0
			out = out " " t
			continue
		}
		if (quoting == 1) {
			t = "\"" t
			quoting = 2
		}
		out = out " " t
	}
	if (quoting == 2)
		out = out "\""
	return (out)
}
/^\.Sh / { flush(); sh = $0; ss = ""; lists = 0; depth = 0; kind = ""; next }
/^\.Ss / { flush(); ss = $0; lists = 0; next }
sh != ".Sh CONFIGURATION FILE" { next }
/^\.Bl / {
	if (depth++ == 0) {
		lists++
		if (ss == "" && lists == 1)
			kind = "config"
		else if (ss == ".Ss Listener properties" && lists == 1)
			kind = "property"
		else
			kind = ""
	}
	next
}
/^\.El/ {
	if (--depth == 0) {
		flush()
		kind = ""
	}
	next
}
kind == "" { next }
depth == 1 && /^\.It Cm / {
	flush()
	names = substr($0, 8)
	next
}
names == "" { next }
/^\./ { text = text " " plain(macro_text($0)); next }
{ text = text " " plain($0) }
' "$page" | awk -F'\t' -v OFS='\t' '{
	t = $3
	gsub(/  +/, " ", t)
	while (match(t, / [,.;:)]/))
		t = substr(t, 1, RSTART - 1) substr(t, RSTART + 1)
	gsub(/\( /, "(", t)
	sub(/^ /, "", t)
	print $1, $2, t
}' >"$T/items"

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }

while IFS=$tab read -r kind name phrase; do
	text=$(awk -F'\t' -v k="$kind" -v m="$name" \
	    '$1 == k && $2 == m { print $3 }' "$T/items")
	if [ -z "$text" ]; then
		not_ok "wsld(8) has no item for the $kind $name"
	elif printf '%s\n' "$text" | grep -qiF -- "$phrase"; then
		ok "wsld(8): $kind $name is $phrase"
	else
		not_ok "wsld(8): $kind $name is $phrase"
		printf '# the item says: %s\n' "$text"
	fi
done <"$T/table"
while IFS=$tab read -r kind name text; do
	if awk -F'\t' -v k="$kind" -v m="$name" \
	    '$1 == k && $2 == m { found = 1 } END { exit !found }' \
	    "$T/table"; then
		:
	else
		not_ok "wsld(8) lists the $kind $name, which wsld does not know"
	fi
done <"$T/items"
echo "1..$n"
exit $failed
