#!/bin/bash
# SPDX-License-Identifier: ISC
# Running out of descriptors is a refusal someone can read, never an exit
# from inside libevent, and never one party starving the rest: a create or
# a reload without room fails with "out of descriptors" and changes
# nothing; a start that cannot fit them all starts with those that fit and
# says why for the others; remote UDP peers cannot take
# the descriptors a TCP listener or the control socket need; a forward
# client whose upstream refused keeps its place among max-channels until
# it is let go, however it trickles.  Every wsld here runs under a hard
# limit of 1024 descriptors (soft = hard, so raising the soft one gives
# nothing more).
. "${top_srcdir:-.}/tests/integration/lib.sh"
if ! command -v prlimit >/dev/null 2>&1; then
	skip "prlimit is not installed"
	finish
fi
LIMIT=1024

# limited_start [WSLD-ARGS...]: wsld_start under the limit.
limited_start() {
	prlimit --nofile=$LIMIT:$LIMIT "$WSLD" -f -s "$SOCK" "$@" \
	    >>"$T/wsld.log" 2>&1 &
	WSLD_PID=$!
	until_true "$WSLCTL" -q version 2>/dev/null ||
	    bail "wsld did not start under a limit of $LIMIT descriptors"
}
descriptors() { # descriptors KEY: from version's "descriptors" object
	"$WSLCTL" -j version | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2
}
listeners() { "$WSLCTL" -j list | grep -o '"name":' | wc -l; }

# --- a start that cannot fit its listeners
{
	echo '{"listeners": {'
	for i in $(seq 1 1000); do
		[ "$i" -gt 1 ] && echo ','
		printf '"l%d": {"url": "net.tcp://127.0.0.1:0/"}' "$i"
	done
	echo '}}'
} >"$T/big.json"
limited_start -c "$T/big.json"
n=$(listeners)
diag "1000 listeners configured, $n created under a limit of $LIMIT"
[ "$n" -gt 0 ] && [ "$n" -lt 1000 ] &&
    ok "a start with more listeners than descriptors starts with those that fit" ||
    not_ok "a start with more listeners than descriptors starts with those that fit ($n)"
if grep -q 'out of descriptors: the listener needs 1' "$T/wsld.log" &&
    ! grep -q 'evsig\|socketpair\|libevent' "$T/wsld.log"; then
	ok "... saying why for each of the others, before libevent could exit"
else
	not_ok "... saying why for each of the others, before libevent could exit"
	tail -5 "$T/wsld.log" | sed 's/^/# /'
fi
wsld_stop
expect "wsld stops cleanly" 0 "$WSLD_STATUS"
: >"$T/wsld.log"

# --- the soft limit is raised to the hard one at start
prlimit --nofile=512:$LIMIT "$WSLD" -f -s "$SOCK" >>"$T/wsld.log" 2>&1 &
WSLD_PID=$!
until_true "$WSLCTL" -q version 2>/dev/null || bail "wsld did not start"
expect "a soft limit of 512 under a hard one of $LIMIT is raised to $LIMIT" \
    "$LIMIT $LIMIT" "$(awk '/^Max open files/ { print $4, $5 }' "/proc/$WSLD_PID/limits")"
expect "... and version says so" "$LIMIT" "$(descriptors limit)"
wsld_stop
: >"$T/wsld.log"

# --- create until refused, then reload
printf '{"read-only-socket": "%s"}\n' "$T/ro.sock" >"$T/wsld.json"
limited_start -c "$T/wsld.json"
made=0
while [ $made -lt 1000 ]; do
	run "$WSLCTL" create "c$made" net.tcp://127.0.0.1:0/
	[ "$RC" = 0 ] || break
	made=$((made + 1))
done
diag "created $made listeners under a limit of $LIMIT"
expect "a create past the limit is refused (exit 1)" 1 "$RC"
expect_match "... with the reason and the figures" \
    "out of descriptors: the listener needs 1 and 0 are left \(limit $LIMIT" \
    "$ERR"
wsld_alive || bail "wsld died creating listeners"
ok "wsld is alive after $made creates and a refusal"
expect "... and the refused create changed nothing" "$made" "$(listeners)"
run "$WSLCTL" version
expect "... the control socket answers" 0 "$RC"
"$WSLCTL" free c0 >/dev/null
run "$WSLCTL" create again net.tcp://127.0.0.1:0/ --open
expect "a freed listener's descriptors serve the next create" 0 "$RC"
"$WSLCTL" free again >/dev/null 2>&1 || "$WSLCTL" abort again >/dev/null
"$WSLCTL" close again >/dev/null 2>&1
"$WSLCTL" free again >/dev/null 2>&1

# A reload that adds more than fits changes nothing.
before=$(listeners)
sed "s|^{|{\"read-only-socket\": \"$T/ro.sock\",|" "$T/big.json" >"$T/wsld.json"
run "$WSLCTL" reload
expect "a reload adding 1000 listeners is refused (exit 1)" 1 "$RC"
expect_match "... out of descriptors" "out of descriptors" "$ERR"
expect "... and changes nothing" "$before" "$(listeners)"
wsld_stop
expect "wsld stops cleanly" 0 "$WSLD_STATUS"

# --- remote UDP peers cannot starve a TCP listener or the control socket
printf '{"read-only-socket": "%s"}\n' "$T/ro.sock" >"$T/wsld.json"
limited_start -c "$T/wsld.json"
"$WSLCTL" create udp soap.udp://127.0.0.1:0/ --echo --open >/dev/null
"$WSLCTL" create tcp net.tcp://127.0.0.1:0/ --echo --open >/dev/null
UPORT=$(field udp port)
TPORT=$(field tcp port)
PEERS=600
seen() { # every datagram so far was either given a channel or turned away
	[ $(($(counter udp accepted) + $(counter udp refused) +
	    $(counter udp datagrams-dropped))) -ge "$1" ]
}
# One datagram from each of 600 source ports (a socket each, all kept
# open so that no port comes twice), in batches the listener's receive
# buffer holds, each seen before the next.
sent=0 peers=
while [ $sent -lt $PEERS ]; do
	for i in $(seq 1 20); do
		exec {fd}>/dev/udp/127.0.0.1/"$UPORT"
		printf 'p%d' "$i" >&"$fd"
		peers="$peers $fd"
	done
	sent=$((sent + 20))
	until_true seen $sent || break
done
expect "all $PEERS UDP peers were given a channel or turned away" \
    "$PEERS" "$(($(counter udp accepted) + $(counter udp refused)))"
diag "udp: accepted $(counter udp accepted), refused $(counter udp refused), wsld holds $(fd_count) descriptors; channels $(descriptors channels) of $(descriptors channels-max), refused $(descriptors channels-refused)"
[ "$(descriptors channels)" -le "$(descriptors channels-max)" ] &&
    ok "channels hold no more descriptors than they may" ||
    not_ok "channels hold no more descriptors than they may"
[ "$(counter udp accepted)" -lt $PEERS ] && ok "... fewer than $PEERS channels" ||
    not_ok "... fewer than $PEERS channels"
[ "$(descriptors channels-refused)" -gt 0 ] &&
    ok "... the rest were refused for lack of descriptors, and counted" ||
    not_ok "... the rest were refused for lack of descriptors, and counted"
run "$WSL_PROBE" -t 3000 tcp "$TPORT" "still-here"
expect "the TCP echo on the same daemon still serves at once" \
    "connected eof still-here" "$(oneline "$OUT")"
run "$WSLCTL" create late net.tcp://127.0.0.1:0/ --echo --open
expect "... a new listener can still be created and opened" 0 "$RC"
run "$WSL_PROBE" -t 3000 tcp "$(field late port)" "late"
expect "... and serves" "connected eof late" "$(oneline "$OUT")"
expect_equation udp
for fd in $peers; do exec {fd}>&-; done
wsld_stop
expect "wsld stops cleanly" 0 "$WSLD_STATUS"

# --- forward: a client whose upstream refused keeps its place until let go
limited_start
"$WSLCTL" create fwd net.tcp://127.0.0.1:0/ --handler \
    "{\"type\":\"forward\",\"upstream\":\"unix://$T/nobody-home\",\"max-channels\":4,\"connect-timeout-ms\":3000}" \
    --open >/dev/null
FPORT=$(field fwd port)
BASE=$(fd_count)
CLIENTS=8
fds=
for i in $(seq 1 $CLIENTS); do
	exec {fd}<>/dev/tcp/127.0.0.1/"$FPORT"
	fds="$fds $fd"
done
# They trickle: a byte each every 200 ms, so no idle timeout lets them go.
( while :; do
	for fd in $fds; do printf x >&"$fd" 2>/dev/null; done
	sleep 0.2
done ) &
TRICKLE=$!
until_true counter_is fwd failed 4
expect "four clients, refused upstream: four failed at once" 4 "$(counter fwd failed)"
expect "... and, being let go, they keep their places: no fifth accepted" 4 \
    "$(counter fwd accepted)"
held=$(($(fd_count) - BASE))
[ $held -le 4 ] && ok "... wsld holds one descriptor each ($held)" ||
    not_ok "... wsld holds one descriptor each ($held)"
accepted_all() { counter_is fwd failed $CLIENTS; }
expect_eventually "though they trickle, they are let go after the connect timeout and the rest are served" accepted_all
kill $TRICKLE
wait $TRICKLE 2>/dev/null
for fd in $fds; do exec {fd}>&-; done
expect_fds_back "$BASE"
expect_equation fwd
finish
