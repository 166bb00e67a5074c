#!/bin/sh
# SPDX-License-Identifier: ISC
# Every binding end to end through the echo handler: net.tcp over IPv4 and
# IPv6, the wildcard host, http, soap.udp (a relay channel per peer) and
# net.pipe; bind errors mapped to their HRESULTs with the errno text; and
# what the socket does once its listener is aborted.
. "${top_srcdir:-.}/tests/integration/lib.sh"
PIPES=$T/pipes
mkdir "$PIPES"
wsld_start -p "$PIPES"

echo_over() { # NAME URL MODE: create an echo listener and talk to it
	"$WSLCTL" create "$1" "$2" --echo --open >/dev/null
}

echo_over tcp4 net.tcp://127.0.0.1:0/
run "$WSL_PROBE" tcp "$(field tcp4 port)" "hello"
expect "net.tcp on 127.0.0.1 echoes" "connected eof hello" "$(oneline "$OUT")"

if "$WSL_PROBE" -6 tcp 1 >/dev/null 2>&1 &&
    "$WSLCTL" create tcp6 'net.tcp://[::1]:0/' --echo --open >/dev/null 2>&1; then
	run "$WSL_PROBE" -6 tcp "$(field tcp6 port)" "hello6"
	expect "net.tcp on [::1] echoes" "connected eof hello6" "$(oneline "$OUT")"
	expect "its address is ::1" "::1" "$(field tcp6 address)"
else
	skip "no IPv6 loopback here"
	skip "no IPv6 loopback here"
fi

echo_over any 'net.tcp://+:0/'
PORT=$(field any port)
expect_match "the wildcard with port 0 reports the real port" '^[1-9][0-9]*$' "$PORT"
run "$WSL_PROBE" tcp "$PORT" "v4"
expect "the wildcard answers on 127.0.0.1" "connected eof v4" "$(oneline "$OUT")"
if [ "$(field any address)" = "::" ]; then
	run "$WSL_PROBE" -6 tcp "$PORT" "v6"
	expect "... and on [::1] (dual stack)" "connected eof v6" "$(oneline "$OUT")"
else
	skip "the wildcard is IPv4 only here"
fi

echo_over web http://127.0.0.1:0/
run "$WSL_PROBE" tcp "$(field web port)" "GET / HTTP/1.0"
expect "http echoes" "connected eof GET / HTTP/1.0" "$(oneline "$OUT")"
run "$WSLCTL" get web channel-type
expect "an http listener's channel type is REPLY" "REPLY" "$OUT"

echo_over udp soap.udp://127.0.0.1:0/
run "$WSL_PROBE" udp "$(field udp port)" "datagram"
expect "soap.udp echoes a datagram" "reply datagram" "$OUT"
run "$WSL_PROBE" udp "$(field udp port)" "another"
expect "... and the next peer's too" "reply another" "$OUT"
run "$WSLCTL" get udp channel-type
expect "a soap.udp listener's channel type is DUPLEX" "DUPLEX" "$OUT"

echo_over pipe net.pipe://localhost/echo.sock
expect "net.pipe lives in the pipe directory" "$PIPES/echo.sock" "$(field pipe path)"
run "$WSL_PROBE" unix "$PIPES/echo.sock" "piped"
expect "net.pipe echoes" "connected eof piped" "$(oneline "$OUT")"
"$WSLCTL" close pipe >/dev/null
expect "close removes the socket file" "gone" "$([ -e "$PIPES/echo.sock" ] && echo there || echo gone)"

# An echo listener aborted: new connections refused, an already accepted
# channel carries on; after close, reset, open it echoes again.
"$WSLCTL" create again net.tcp://127.0.0.1:0/ --echo --open >/dev/null
PORT=$(field again port)
"$WSL_PROBE" -w "$T/go" tcp "$PORT" "still here" >"$T/live" &
LIVE=$!
until_true file_has "$T/live" connected
until_true pending_accepts_are again 1 # the echo loop accepted it
"$WSLCTL" abort again >/dev/null
touch "$T/go"
wait $LIVE
expect "a channel accepted before the abort carries on" \
    "connected eof still here" "$(oneline "$(cat "$T/live")")"
run "$WSL_PROBE" tcp "$PORT" "x"
expect "the aborted echo listener refuses new connections" "refused" "$OUT"
expect_match "the echo handler stopped on WS_E_OBJECT_FAULTED" \
    "listener 'again': echo: the listener is faulted, stopped accepting" \
    "$(cat "$T/wsld.log")"
"$WSLCTL" close again >/dev/null
"$WSLCTL" reset again >/dev/null
"$WSLCTL" open again >/dev/null
run "$WSL_PROBE" tcp "$(field again port)" "again"
expect "after close, reset, open the echo handler serves again" \
    "connected eof again" "$(oneline "$OUT")"

# Bind errors.
PORT=$(field tcp4 port)
"$WSLCTL" create taken "net.tcp://127.0.0.1:$PORT/" >/dev/null
run "$WSLCTL" open taken
expect "open on a port in use: exit 1" 1 "$RC"
expect_match "... WS_E_ADDRESS_IN_USE with the errno text" \
    "WS_E_ADDRESS_IN_USE \(0x803D000B\): bind 127\.0\.0\.1:$PORT: Address already in use" "$ERR"
run "$WSLCTL" status taken
expect_match "the failed open leaves CREATED" '^taken CREATED ' "$OUT"
expect_match "status shows the last error" \
    "^last-error WS_E_ADDRESS_IN_USE \(0x803D000B\) in open: bind 127\.0\.0\.1:$PORT" "$OUT"
"$WSLCTL" close tcp4 >/dev/null
run "$WSLCTL" open taken
expect "once the port is free the same listener opens" "taken OPEN 0" "$OUT $RC"
"$WSLCTL" create nowhere net.tcp://192.0.2.1:0/ >/dev/null
run "$WSLCTL" open nowhere
expect_match "an address not on this host: WS_E_ADDRESS_NOT_AVAILABLE" \
    'WS_E_ADDRESS_NOT_AVAILABLE \(0x803D000C\): bind 192\.0\.2\.1:0: Cannot assign requested address' "$ERR"
"$WSLCTL" create v4only 'net.tcp://[::1]:0/' -p ip-version=4 >/dev/null
run "$WSLCTL" open v4only
expect_match "IP version 4 with an IPv6 literal: WS_E_ADDRESS_NOT_AVAILABLE" \
    'WS_E_ADDRESS_NOT_AVAILABLE' "$ERR"
run "$WSLCTL" create bad ftp://127.0.0.1/
expect "an unknown scheme: exit 2" 2 "$RC"
expect_match "... E_INVALIDARG naming the scheme" "E_INVALIDARG .*unknown scheme 'ftp'" "$ERR"
run "$WSLCTL" create tls https://127.0.0.1:0/
run "$WSLCTL" open tls
expect_match "https is refused: WS_E_NOT_SUPPORTED" 'WS_E_NOT_SUPPORTED' "$ERR"

# An aborted TCP listener: queued connections reset, new ones refused.
"$WSLCTL" create queue net.tcp://127.0.0.1:0/ --open >/dev/null
PORT=$(field queue port)
"$WSL_PROBE" tcp "$PORT" >"$T/q1" &
Q1=$!
"$WSL_PROBE" tcp "$PORT" >"$T/q2" &
Q2=$!
until_true file_has "$T/q1" connected
until_true file_has "$T/q2" connected
run "$WSLCTL" -j abort queue
expect_match "abort reset the 2 queued connections" '"queued-connections-reset":2' "$OUT"
wait $Q1 $Q2
expect "a queued client sees a reset" "connected reset" "$(oneline "$(cat "$T/q1")")"
run "$WSL_PROBE" tcp "$PORT"
expect "a new client is refused" "refused" "$OUT"
expect_match "the counters say so" 'reset-on-abort=2' "$("$WSLCTL" status queue)"

# An aborted pipe listener: new connections refused, queued ones closed.
"$WSLCTL" create pq net.pipe://localhost/pq.sock --open >/dev/null
"$WSL_PROBE" unix "$PIPES/pq.sock" >"$T/p1" &
P1=$!
until_true file_has "$T/p1" connected
"$WSLCTL" abort pq >/dev/null
wait $P1
expect "a queued pipe client sees an orderly end" "connected eof" "$(oneline "$(cat "$T/p1")")"
run "$WSL_PROBE" unix "$PIPES/pq.sock"
expect "a new pipe client is refused" "refused" "$OUT"
expect_match "the counters say so" 'closed-on-abort=1' "$("$WSLCTL" status pq)"
finish
