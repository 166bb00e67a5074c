#!/bin/sh
# SPDX-License-Identifier: ISC
# The benchmark's own tools (bench/bare-echo, bench/wsl-load), briefly, so
# that `make bench` never finds them broken: against each other, against
# wsld's echo, forward and accept handlers (bytes checked, counters that
# reconcile), and a server that changes bytes, which the load generator
# must catch.  Every run has its deadline (-T, -d).
. "${top_srcdir:-.}/tests/integration/lib.sh"
BARE=$top_builddir/bench/bare-echo
LOAD=$top_builddir/bench/wsl-load
kv() { printf '%s\n' "$OUT" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

"$BARE" -d 30 >"$T/bare.port" &
BARE_PID=$!
"$BARE" -x -d 30 >"$T/accept.port" &
ACCEPT_PID=$!
has_port() { [ -s "$1" ]; }
until_true has_port "$T/bare.port" && until_true has_port "$T/accept.port" ||
    bail "bare-echo did not start"
BP=$(cat "$T/bare.port") XP=$(cat "$T/accept.port")

run "$LOAD" conn -n 2000 -c 64 -T 20 "$BP"
expect "2,000 short connections to bare-echo, each echoed" "0 2000 0" "$RC $(kv ok) $(kv failed)"
run "$LOAD" bulk -n 16 -c 8 -b 1048576 -T 20 "$BP"
expect "16 x 1 MiB each way, 8 at a time, byte for byte" "0 16 0" "$RC $(kv ok) $(kv mismatched)"
run "$LOAD" ping -n 500 -s 100 -T 20 "$BP"
expect_match "ping-pong: percentiles of 500 round trips" '^0 [0-9.]+ [0-9.]+$' "$RC $(kv p50_us) $(kv p99_us)"
run "$LOAD" conn -s 0 -n 1000 -T 20 "$XP"
expect "the bare accept loop: 1,000 connections closed by the server" "0 1000" "$RC $(kv ok)"
run "$LOAD" conn -n 10 -T 5 "$XP"
expect "a connection closed before its echo is counted as failed" "1 10" "$RC $(kv failed)"

wsld_start
"$WSLCTL" create echo net.tcp://127.0.0.1:0/ --echo --open >/dev/null
"$WSLCTL" create fw net.tcp://127.0.0.1:0/ --handler \
    "{\"type\":\"forward\",\"upstream\":\"tcp://127.0.0.1:$BP\"}" --open >/dev/null
"$WSLCTL" create acc net.tcp://127.0.0.1:0/ --open >/dev/null
"$WSLCTL" create tr net.tcp://127.0.0.1:0/ --handler \
    '{"type":"exec","command":["tr","\\000","\\001"],"stderr":"null"}' --open >/dev/null
run "$LOAD" bulk -n 8 -c 8 -b 1048576 -T 20 "$(field echo port)"
expect "wsld echo: 8 x 1 MiB, byte for byte" "0 8" "$RC $(kv ok)"
run "$LOAD" bulk -n 1 -b 20000000 -T 20 "$(field fw port)"
expect "wsld forward to bare-echo: 20 MB, byte for byte" "0 1" "$RC $(kv ok)"
run "$LOAD" accept -S "$SOCK" -L acc -k 2 -w 4 -n 500 -T 20 "$(field acc port)"
expect "accept: 500 channels fetched on 2 control connections, 4 requests each in flight" \
    "0 500 500 500 0" "$RC $(kv ok) $(kv accepted) $(kv fds) $(kv reply_errors)"
expect_eventually "acc: every channel delivered" counter_is acc delivered 500
expect_equation acc
run "$LOAD" bulk -n 1 -b 1048576 -T 20 "$(field tr port)"
expect "a server that changes bytes is caught" "1 1" "$RC $(kv mismatched)"
expect_match "and said so" 'differs' "$ERR"

kill "$BARE_PID" "$ACCEPT_PID"
wait "$BARE_PID"
expect "bare-echo exits 0 on SIGTERM" 0 "$?"
wait "$ACCEPT_PID"
finish
