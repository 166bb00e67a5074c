#!/bin/sh
# SPDX-License-Identifier: ISC
# The examples of wsld.conf(5) are real, run by the real wsld:
# - each example file (a literal display right after a comment
#   '.\" file: PATH') is written, in the page's order, under a temporary
#   configuration directory that stands for @sysconfdir@/wsld, and is a
#   valid configuration by itself (wsld -n) when written;
# - every literal display that holds JSON is such a file, so none escapes;
# - every "$ wsld -n -c FILE" the page shows is run at that point of the
#   page, and prints exactly what the page shows after it (a line that
#   starts with four spaces goes on the line before, as the page says).
page=${top_srcdir:-.}/man/wsld.conf.5.in
WSLD=${WSLD:-${top_builddir:-.}/wsld}
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-examples.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
failed=0
tab=$(printf '\t')
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }

mkdir -p "$T/etc/wsld" "$T/run" "$T/blocks"
# Steps, one a line: "file<TAB>PATH<TAB>BLOCK", "run<TAB>FILE<TAB>BLOCK"
# (BLOCK holding what the page shows it prints), "orphan<TAB>LINE".
awk -v dir="$T/blocks" -v etc="$T/etc" -v run="$T/run" '
function plain(s) {
	gsub(/\\\(dq/, "\"", s)
	gsub(/\\e/, "\\", s)
	gsub(/\\&/, "", s)
	gsub(/\\-/, "-", s)
	gsub(/@sysconfdir@/, etc, s)
	gsub(/@rundir@/, run, s)
	return (s)
}
function end_run() {
	if (out != "") {
		close(out)
		out = ""
	}
}
/^\.\\" file: / { marker = substr($0, 11); next }
/^\.Bd -literal/ {
	inblock = 1
	start = NR
	lines = 0
	if (marker != "") {
		b = dir "/" NR
		printf "file\t%s\t%s\n", marker, b
		kind = "file"
	} else
		kind = "display"
	marker = ""
	next
}
!inblock { marker = ""; next }
/^\.Ed/ {
	inblock = 0
	end_run()
	if (kind == "file")
		close(b)
	next
}
{
	line = plain($0)
	if (kind == "file") {
		print line >b
		next
	}
	if (lines++ == 0 && line ~ /^[ \t]*[{[]/)
		printf "orphan\t%d\n", start
	if (line ~ /^\$ /) {
		end_run()
		if (line ~ /^\$ wsld -n -c /) {
			out = dir "/" NR
			printf "run\t%s\t%s\n", substr(line, 14), out
			printf "" >out
		}
		next
	}
	if (out == "")
		next
	if (line ~ /^    /) {
		sub(/^ +/, " ", line)
		printf "%s", line >out
	} else
		printf "%s%s", (nout[out]++ ? "\n" : ""), line >out
}
END { end_run() }
' "$page" >"$T/steps"

files=0
runs=0
while IFS=$tab read -r what arg block; do
	case $what in
	file)
		files=$((files + 1))
		mkdir -p "$(dirname "$T/etc/wsld/$arg")"
		cp "$block" "$T/etc/wsld/$arg"
		if out=$("$WSLD" -n -c "$T/etc/wsld/$arg" 2>&1); then
			ok "the example $arg is a valid configuration"
		else
			not_ok "the example $arg is a valid configuration"
			printf '%s\n' "$out" | sed 's/^/# /'
		fi
		;;
	run)
		runs=$((runs + 1))
		printf '\n' >>"$block"
		"$WSLD" -n -c "$arg" >"$T/got" 2>&1
		if cmp -s "$block" "$T/got"; then
			ok "wsld -n -c ${arg#"$T/etc/"} prints what the page shows"
		else
			not_ok "wsld -n -c ${arg#"$T/etc/"} prints what the page shows"
			sed 's/^/# page: /' "$block"
			sed 's/^/# got:  /' "$T/got"
		fi
		;;
	orphan)
		not_ok "the JSON display at line $arg is an example file (.\\\" file: PATH)"
		;;
	esac
done <"$T/steps"
[ "$files" -ge 5 ] && ok "the page has $files example files" ||
    not_ok "the page has example files (found $files)"
[ "$runs" -ge 2 ] && ok "the page runs wsld -n $runs times" ||
    not_ok "the page runs wsld -n (found $runs)"
echo "1..$n"
exit $failed
