#!/bin/sh
# SPDX-License-Identifier: ISC
# The forward handler: bytes both ways (large transfers, half-close),
# Unix, IPv6 and UDP upstreams, an upstream that refuses, one that never
# answers, one that dies, back-pressure from a slow side; counters that
# reconcile and descriptors back to their baseline.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start -p "$T"
"$WSLCTL" create up net.tcp://127.0.0.1:0/ --echo --open >/dev/null
UP=$(field up port)

forward() { # NAME UPSTREAM [extra handler JSON]
	"$WSLCTL" create "$1" net.tcp://127.0.0.1:0/ \
	    --handler "{\"type\":\"forward\",\"upstream\":\"$2\"${3:-}}" \
	    --open >/dev/null
}

forward fw "tcp://127.0.0.1:$UP"
FW=$(field fw port)
expect "status shows where it forwards" "handler forward upstream=tcp://127.0.0.1:$UP" \
    "$("$WSLCTL" status fw | grep '^handler ')"
BASE=$(fd_count)
run "$WSL_PROBE" -n 8000000 tcp "$FW"
expect "8 MB each way through the proxy, byte for byte, after a half-close" \
    "connected sent 8000000 received 8000000 match" "$(oneline "$OUT" | sed 's/ $//')"
run "$WSL_PROBE" -j 8 load "$FW" 500 "hello"
expect "500 connections from 8 workers: every one served" \
    "ok=500 refused=0 reset=0 empty=0 timeout=0 other=0" "$OUT"
until_true counter_is fw active 0
expect "afterwards no channel is active" 0 "$(counter fw active)"
expect_fds_back "$BASE"
expect_equation fw

# Other upstreams.
"$WSLCTL" create pipeup net.pipe://localhost/up.sock --echo --open >/dev/null
forward fwunix "unix://$T/up.sock"
run "$WSL_PROBE" tcp "$(field fwunix port)" "via a unix socket"
expect "a unix:// upstream" "connected eof via a unix socket" "$(oneline "$OUT")"
if "$WSLCTL" create up6 'net.tcp://[::1]:0/' --echo --open >/dev/null 2>&1; then
	forward fw6 "tcp://[::1]:$(field up6 port)"
	run "$WSL_PROBE" tcp "$(field fw6 port)" "over IPv6"
	expect "a tcp://[::1] upstream" "connected eof over IPv6" "$(oneline "$OUT")"
else
	skip "no IPv6 loopback here"
fi
"$WSLCTL" create uup soap.udp://127.0.0.1:0/ --echo --open >/dev/null
"$WSLCTL" create ufw soap.udp://127.0.0.1:0/ --handler \
    "{\"type\":\"forward\",\"upstream\":\"udp://127.0.0.1:$(field uup port)\"}" \
    --open >/dev/null
run "$WSL_PROBE" udp "$(field ufw port)" "a datagram"
expect "soap.udp forward relays a datagram and its reply" "reply a datagram" "$OUT"
run "$WSL_PROBE" udp "$(field ufw port)" "another"
expect "... for every peer" "reply another" "$OUT"
run "$WSLCTL" create bad soap.udp://127.0.0.1:0/ --handler '{"type":"forward","upstream":"tcp://127.0.0.1:1"}'
expect_match "a tcp:// upstream for a soap.udp listener is refused" "expected udp://HOST:PORT" "$ERR"

# An upstream that refuses: the client gets an orderly end, counted.
forward refusing "tcp://127.0.0.1:1"
run "$WSL_PROBE" tcp "$(field refusing port)" "anyone?"
expect "a refused upstream: the client sees an orderly end, not a reset" \
    "connected eof" "$(oneline "$OUT" | sed 's/ $//')"
expect "counted as upstream-refused" 1 "$(counter refusing upstream-refused)"
expect "... and not delivered" 0 "$(counter refusing delivered)"
expect_equation refusing

# An upstream that never answers: its accept queue is full, so SYNs are
# dropped and the connect times out.
"$WSLCTL" create sink net.tcp://127.0.0.1:0/ -p listen-backlog=1 --open >/dev/null
SINK=$(field sink port)
"$WSL_PROBE" -t 20000 tcp "$SINK" >"$T/s1" &
S1=$!
"$WSL_PROBE" -t 20000 tcp "$SINK" >"$T/s2" &
S2=$!
until_true file_has "$T/s1" connected
until_true file_has "$T/s2" connected
forward slow "tcp://127.0.0.1:$SINK" ',"connect-timeout-ms":300'
run "$WSL_PROBE" tcp "$(field slow port)" "hello"
expect "an upstream that never answers: the client sees an orderly end" \
    "connected eof" "$(oneline "$OUT" | sed 's/ $//')"
expect "counted as upstream-timeout" 1 "$(counter slow upstream-timeout)"
expect_equation slow

# A close whose timeout ends a channel still waiting for that upstream:
# counted (its upstream did not connect in the time the close left it),
# and its place is free again (max-channels 1).
"$WSLCTL" create hang net.tcp://127.0.0.1:0/ -p close-timeout=300 --handler \
    "{\"type\":\"forward\",\"upstream\":\"tcp://127.0.0.1:$SINK\",\"connect-timeout-ms\":60000,\"max-channels\":1}" \
    --open >/dev/null
"$WSL_PROBE" -t 20000 tcp "$(field hang port)" "hello" >"$T/h1" &
H1=$!
until_true counter_is hang in-flight 1
run "$WSLCTL" close hang
expect "closing with a channel that waits for its upstream" "hang CLOSED" "$OUT"
expect "... it is counted when the close timeout ends it" "0 1" \
    "$(counter hang in-flight) $(counter hang upstream-timeout)"
expect_equation hang
wait $H1
# Cut with its bytes unread (nothing is read before the upstream is there).
expect "... and its client sees the cut, a reset" "connected reset" \
    "$(oneline "$(cat "$T/h1")" | sed 's/ $//')"
"$WSLCTL" reset hang >/dev/null
"$WSLCTL" open hang >/dev/null
"$WSL_PROBE" -t 20000 tcp "$(field hang port)" "again" >"$T/h2" &
H2=$!
until_true counter_is hang accepted 2
expect "reopened, the listener takes a channel again (its place was freed)" \
    2 "$(counter hang accepted)"
"$WSLCTL" close hang >/dev/null
wait $H2
"$WSLCTL" free hang >/dev/null
"$WSLCTL" close sink >/dev/null
wait $S1 $S2

# An upstream that dies after a few bytes.
"$WSLCTL" create brief net.tcp://127.0.0.1:0/ --open >/dev/null
"$WSLCTL" accept brief -- sh -c 'head -c 5' >/dev/null &
ACC=$!
until_true pending_accepts_are brief 1
forward fwbrief "tcp://127.0.0.1:$(field brief port)"
run "$WSL_PROBE" tcp "$(field fwbrief port)" "hello world"
expect "an upstream that dies: the client gets what it sent, then the end" \
    "connected eof hello" "$(oneline "$OUT" | sed 's/ $//')"
wait $ACC
until_true counter_is fwbrief active 0
expect "... and the channel is no longer active" 0 "$(counter fwbrief active)"
expect_equation fwbrief

# Back-pressure: an upstream that accepts but never reads.  The client
# cannot push everything, and wsld does not buffer it all.
"$WSLCTL" create deaf net.tcp://127.0.0.1:0/ --open >/dev/null
forward fwdeaf "tcp://127.0.0.1:$(field deaf port)"
RSS0=$(awk '/^VmRSS/ { print $2 }' "/proc/$WSLD_PID/status")
run "$WSL_PROBE" -t 1500 -n 200000000 tcp "$(field fwdeaf port)"
SENT=$(echo "$OUT" | awk '/^sent/ { print $2 }')
RSS1=$(awk '/^VmRSS/ { print $2 }' "/proc/$WSLD_PID/status")
expect_match "a slow side pushes back: the client could not send 200 MB" \
    '^sent [0-9]+ received 0 timeout$' "$(echo "$OUT" | tail -1)"
expect "... and wsld grew by less than 8 MB meanwhile (sent: $SENT bytes)" yes \
    "$([ $((RSS1 - RSS0)) -lt 8192 ] && echo yes || echo "no: $((RSS1 - RSS0)) kB")"

expect "no zombie" 0 "$(zombies)"
finish
