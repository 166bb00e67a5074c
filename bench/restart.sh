#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench-restart: what a client connecting in a loop sees across a
# restart of wsld, with the fd store (--fd-store) and without (the
# baseline: the socket is closed and bound again), in the same run, rounds
# interleaved.  wsl-sysd plays systemd.  Reports, per restart, connections
# refused or broken, and how long the restart took (SIGTERM sent to READY=1
# of the next wsld, from wsl-sysd's clock).
set -eu
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-bench.XXXXXX")
SYSD=
trap '[ -n "$SYSD" ] && kill $SYSD 2>/dev/null; rm -rf "$T"' EXIT
has() { grep -q -- "$1" "$T/log" 2>/dev/null; }
count() { ./wslctl -s "$T/ctl.sock" -j status web 2>/dev/null |
    grep -o '"accepted":[0-9]*' | cut -d: -f2; }
above() { c=$(count); [ -n "$c" ] && [ "$c" -gt "$1" ]; }
round() { # --fd-store or ""
	rm -f "$T/log" "$T/stop" "$T/ctl.sock"
	PORT=$(tests/tools/wsl-probe port)
	printf '{"listeners": {"web": {"url": "net.tcp://127.0.0.1:%s/", "handler": {"type": "echo"}, "open": true}}}\n' \
	    "$PORT" >"$T/wsld.json"
	# shellcheck disable=SC2086
	tests/tools/wsl-sysd -n "$T/notify" -l "$T/log" -- ./wsld -f $1 \
	    -c "$T/wsld.json" -s "$T/ctl.sock" 2>/dev/null &
	SYSD=$!
	wait_for has "READY=1"
	tests/tools/wsl-probe -e -j 4 -u "$T/stop" load "$PORT" 100000000 x \
	    >"$T/load" &
	LOAD=$!
	wait_for above 500
	kill -USR1 $SYSD
	wait_for has "START	2"
	wait_for sh -c "grep -q 'MSG	2	.*READY=1' '$T/log'"
	base=$(count)
	wait_for above $((base + 500))
	touch "$T/stop"
	wait $LOAD
	kill $SYSD
	wait $SYSD || true
	SYSD=
	took=$(awk -F'\t' '$1 == "MSG" && $6 ~ /^STOPPING=1/ { s = $3 }
	    $1 == "MSG" && $2 == 2 && $6 ~ /READY=1/ { print $3 - s; exit }' "$T/log")
	bad=$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); n += kv[2] } }
	    END { print n }' "$T/load")
	ok=$(sed 's/^ok=\([0-9]*\).*/\1/' "$T/load")
	echo "${1:-bind-again} $bad $took $ok"
}
for r in $(seq "$ROUNDS"); do
	round --fd-store
	round ""
done >"$T/results"
awk '{ bad[$1] = bad[$1] " " $2; ms[$1] = ms[$1] " " $3; ok[$1] += $4 }
END {
	for (k in bad)
		printf "%-12s refused or broken per restart:%s   restart ms:%s   (%d served)\n",
		    k, bad[k], ms[k], ok[k]
}' "$T/results" | sort
