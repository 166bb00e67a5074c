#!/bin/sh
# SPDX-License-Identifier: ISC
# wsld.conf(5) against the tables wsld checks a configuration with: the
# top-level keys (the list of TOP-LEVEL KEYS, daemon/conf.c), a listener's
# keys (the list of LISTENERS, daemon/spec.c), the listener properties (the
# list of "Listener properties", daemon/props.c), the handler types (a
# subsection of HANDLERS each, daemon/handler.c) and each handler's keys
# (the list of its subsection, daemon/handler-*.c) are the same names as
# in the code, and each item states what a value must be in the words of
# wsld's own message for it ("an integer from 1 to 65536"), as
# tests/tools/wsl-conf-keys prints them.
#
# A lint rather than generating that part of the page: each item is prose
# (what the key does, its default, what a reload does with it) that does
# not belong in a C table, and the page stays readable and whole as
# written; the lint still fails on any drift, both ways.
page=${top_srcdir:-.}/man/wsld.conf.5.in
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
/^\.Sh / { flush(); sh = substr($0, 5); ss = ""; lists = 0; depth = 0; kind = ""; next }
/^\.Ss / {
	flush()
	ss = substr($0, 5)
	lists = 0
	if (sh == "HANDLERS")
		printf "handler\t%s\t-\n", ss
	next
}
/^\.Bl / {
	if (depth++ == 0) {
		lists++
		kind = ""
		if (lists == 1 && sh == "TOP-LEVEL KEYS" && ss == "")
			kind = "config"
		else if (lists == 1 && sh == "LISTENERS" && ss == "")
			kind = "listener"
		else if (lists == 1 && sh == "LISTENERS" &&
		    ss == "Listener properties")
			kind = "property"
		else if (lists == 1 && sh == "HANDLERS" && ss != "")
			kind = "handler-" ss
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
	if ! awk -F'\t' -v k="$kind" -v m="$name" \
	    '$1 == k && $2 == m { found = 1 } END { exit !found }' \
	    "$T/items"; then
		not_ok "wsld.conf(5) has no item for the $kind $name"
	elif [ "$phrase" = - ]; then
		ok "wsld.conf(5) describes the $kind $name"
	elif printf '%s\n' "$text" | grep -qiF -- "$phrase"; then
		ok "wsld.conf(5): $kind $name is $phrase"
	else
		not_ok "wsld.conf(5): $kind $name is $phrase"
		printf '# the item says: %s\n' "$text"
	fi
done <"$T/table"
while IFS=$tab read -r kind name text; do
	if awk -F'\t' -v k="$kind" -v m="$name" \
	    '$1 == k && $2 == m { found = 1 } END { exit !found }' \
	    "$T/table"; then
		:
	else
		not_ok "wsld.conf(5) lists the $kind $name, which wsld does not know"
	fi
done <"$T/items"
echo "1..$n"
exit $failed
