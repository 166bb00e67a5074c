#!/bin/sh
# SPDX-License-Identifier: ISC
# A peer cannot flood the log: thousands of pipelined denied requests from
# nobody on the read-only socket, from two processes at once, are logged
# as the first few lines in full and then "N more denied from uid U" once
# a second, the counts adding up exactly to what was denied, as does
# version's denied counter.  A hundred uids at once cannot grow what is
# kept about them, and their counts add up too.  Acts as other users with
# setpriv, so it needs root.
. "${top_srcdir:-.}/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	skip "needs root and setpriv to act as other users"
	finish
fi
chmod 755 "$T"
mkdir -m 755 "$T/run"
cp "$WSL_PROBE" "$T/run/wsl-probe"
RO=$T/run/ro.sock
printf '{"read-only-socket": "%s"}\n' "$RO" >"$T/wsld.json"
wsld_start -c "$T/wsld.json"
"$WSLCTL" create web net.tcp://127.0.0.1:0/ --open >/dev/null

denied_counter() {
	"$WSLCTL" -j version | sed 's/.*"denied":\([0-9]*\).*/\1/'
}
# flood UID COUNT: COUNT pipelined aborts as UID on the read-only socket;
# prints how many were answered E_ACCESSDENIED.
flood() {
	awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++)
	    print "{\"command\":\"abort\",\"arguments\":{\"name\":\"web\"}}" }' |
	    setpriv --reuid="$1" --regid="$1" --clear-groups \
	    "$T/run/wsl-probe" -t 60000 ctl "$RO" | grep -c '"E_ACCESSDENIED"'
}
# logged UID: the denials of UID the log tells, in full or summed up
# ("other uids" for UID "other").
logged() {
	if [ "$1" = other ]; then _who="other uids"; _full=; else
		_who="uid $1"
		_full=$(grep -c "control: denied by uid $1 pid" "$T/wsld.log")
	fi
	sed -n "s/.*control: \([0-9]*\) more denied from $_who\$/\1/p" \
	    "$T/wsld.log" | awk -v f="${_full:-0}" '{ s += $1 } END { print s + f }'
}
logged_is() { [ "$(logged "$1")" = "$2" ]; }

# One user, two processes, 6000 denied requests.
N=3000
base=$(denied_counter)
lines0=$(wc -l <"$T/wsld.log")
flood 65534 $N >"$T/a" &
A=$!
flood 65534 $N >"$T/b" &
B=$!
wait $A $B
expect "all $((2 * N)) requests were denied" $((2 * N)) \
    $(($(cat "$T/a") + $(cat "$T/b")))
expect "version counts each denial" $((2 * N)) $(($(denied_counter) - base))
expect_eventually "the log accounts for every one, in full or summed up" \
    logged_is 65534 $((2 * N))
full=$(grep -c 'control: denied by uid 65534' "$T/wsld.log")
expect "the first 5 are logged in full (two processes, one uid)" 5 "$full"
expect_match "... with the uid, the pid and why" \
    "control: denied by uid 65534 pid [0-9]+: 'abort' needs the operate level; uid 65534 has read \(on the read-only socket\)" \
    "$(cat "$T/wsld.log")"
summaries=$(grep -c 'control: [0-9]* more denied from uid 65534$' "$T/wsld.log")
lines=$(($(wc -l <"$T/wsld.log") - lines0))
diag "$((2 * N)) denied: $lines log lines ($full in full, $summaries summaries)"
expect "the rest in a summary a second: at most 30 lines for it all" yes \
    "$([ "$lines" -le 30 ] && echo yes)"

# A hundred uids at once, 50 each: what is kept about them is fixed
# (64 uids tracked, the rest share one count), and every one is told.
base=$(denied_counter)
lines0=$(wc -l <"$T/wsld.log")
pids=
for u in $(seq 61001 61100); do
	flood "$u" 50 >/dev/null &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
expect "version counts the 5000 denials" 5000 $(($(denied_counter) - base))
all_told() {
	_t=$(logged other)
	for u in $(seq 61001 61100); do _t=$((_t + $(logged "$u"))); done
	[ "$_t" = 5000 ]
}
expect_eventually "the log accounts for all 5000, in full or summed up" all_told
lines=$(($(wc -l <"$T/wsld.log") - lines0))
diag "100 uids, 5000 denied: $lines log lines"
expect "... in at most 65 x 5 lines in full and a summary each" yes \
    "$([ "$lines" -le $((65 * 5 + 200)) ] && echo yes)"
expect "wsld still answers" 0 "$("$WSLCTL" -q version; echo $?)"
finish
