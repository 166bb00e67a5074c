#!/bin/sh
# SPDX-License-Identifier: ISC
# A flood of lines stalls no one.  16 clients (nobody on the read-only
# socket when the test runs as root) each put a request in progress (a
# wait that runs out after 500 ms) and meanwhile send a megabyte of empty
# lines, then of lines of blanks, then 32 Ki small malformed requests,
# which wsld buffers and works through once the waits end: in linear time,
# a bounded number of lines per client per turn of its loop.  All the
# while another client asks for the version on a fresh connection again
# and again: 99% of the round trips take less than 100 ms and none a
# second (make check runs another test beside this one on two cores, so
# one round trip may wait for a CPU; a stall of the control thread, as the
# old framing caused, is seconds); every request of the flood is
# answered.  (With framing that moved the rest of the buffer
# at every line, 8 such megabytes of empty lines took 97 s, and the
# version waited for all of it.)
. "${top_srcdir:-.}/tests/integration/lib.sh"
: "${WSL_FLOOD:?}"

FLOOD_SOCK=$SOCK
AS=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$T"
	FLOOD_SOCK=$T/ro.sock
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
cat >"$T/wsld.json" <<EOF
{"read-only-socket": "$T/ro.sock",
 "listeners": {"web": {"url": "net.tcp://127.0.0.1:0/"}}}
EOF
wsld_start -c "$T/wsld.json"
if [ -n "$AS" ]; then
	diag "flooding as nobody on the read-only socket"
else
	diag "flooding as $(id -un) on the control socket"
fi

# flood KIND BYTES: 16 clients, each BYTES of KIND lines; a test point for
# the flood being answered, one for the version round trips.
flood() {
	# shellcheck disable=SC2086
	run $AS "$WSL_FLOOD" -n 16 -b "$2" -w 500 -t 30000 "$1" "$FLOOD_SOCK" web
	printf '%s\n%s\n' "$OUT" "$ERR" | grep -v '^$' | while IFS= read -r l; do
		diag "$l"
	done
	expect "16 clients flooding $2 bytes of $1 lines: every request answered" \
	    0 "$RC"
	p99=$(printf '%s\n' "$OUT" | sed -n 's/^version:.*p99 \([0-9]*\).*/\1/p')
	max=$(printf '%s\n' "$OUT" | sed -n 's/^version:.*max \([0-9]*\).*/\1/p')
	expect "... and a version from another client: 99% under 100 ms, none a second" \
	    yes "$([ -n "$p99" ] && [ "$p99" -lt 100 ] && [ "$max" -lt 1000 ] &&
	    echo yes)"
}
flood newline 1048576
flood blank 1048576
flood bad 65536

expect "wsld still answers" 0 "$("$WSLCTL" -q version; echo $?)"
finish
