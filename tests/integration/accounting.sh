#!/bin/sh
# SPDX-License-Identifier: ISC
# Loses nothing: abort a forwarding listener in the middle of a load of
# connections.  Afterwards the counters reconcile exactly, and the
# client-side tally agrees: every attempt either succeeded (and was
# delivered), or saw a refusal, a reset or an orderly end that a counter
# names; none hangs.  Clients that reset as soon as they connect are all
# counted, logged nowhere, and leave the listeners serving.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start
"$WSLCTL" create up net.tcp://127.0.0.1:0/ --echo --open >/dev/null
"$WSLCTL" create front net.tcp://127.0.0.1:0/ --handler \
    "{\"type\":\"forward\",\"upstream\":\"tcp://127.0.0.1:$(field up port)\"}" \
    --open >/dev/null
PORT=$(field front port)
N=3000

"$WSL_PROBE" -j 8 -t 10000 load "$PORT" $N "payload" >"$T/tally" &
LOAD=$!
above() { [ "$(counter front accepted)" -ge "$1" ]; }
until_true above 300
run "$WSLCTL" -j abort front
QUEUED=$(echo "$OUT" | grep -o '"queued-connections-reset":[0-9]*' | cut -d: -f2)
wait $LOAD
TALLY=$(cat "$T/tally")
diag "client tally: $TALLY; queue reset by the abort: $QUEUED"
get() { echo "$TALLY" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
OK=$(get ok) REFUSED=$(get refused) RESET=$(get reset) EMPTY=$(get empty)
expect "every attempt ended one way or another" "$N" \
    "$((OK + REFUSED + RESET + EMPTY))"
expect "none hung, none saw anything else" "0 0" "$(get timeout) $(get other)"
expect "some were served before the abort, some refused after it" yes \
    "$([ "$OK" -gt 0 ] && [ "$REFUSED" -gt 0 ] && echo yes || echo no)"
until_true counter_is front active 0
expect_equation front
expect "every client that got its bytes back was delivered" \
    "$(counter front delivered)" "$OK"
expect "every orderly end without data was closed on abort or failed" \
    "$EMPTY" "$(($(counter front closed-on-abort) + $(counter front failed)))"
expect "every reset the abort counted was seen by a client" yes \
    "$([ "$(counter front reset-on-abort)" -le "$RESET" ] && echo yes || echo no)"
expect "in flight: nothing" 0 "$(counter front in-flight)"

# Clients that reset as soon as they are connected, on an echo listener
# and through forward: every one is counted, nothing is logged for them,
# both listeners stay OPEN and serve, descriptors come back.
"$WSLCTL" close front >/dev/null
"$WSLCTL" reset front >/dev/null
"$WSLCTL" open front >/dev/null
before=$(counter front accepted)
base=$(fd_count)
lines=$(wc -l <"$T/wsld.log")
run "$WSL_PROBE" rst "$(field up port)" 2000
expect "2000 clients reset at once on the echo listener" \
    "connected=2000 refused=0" "$OUT"
run "$WSL_PROBE" rst "$(field front port)" 2000
expect "... and through forward" "connected=2000 refused=0" "$OUT"
settled() { counter_is up in-flight 0 && counter_is up active 0 &&
    counter_is front in-flight 0 && counter_is front active 0; }
until_true settled
expect_equation up
expect_equation front
expect "all of them were accepted and counted" 2000 \
    "$(($(counter front accepted) - before))"
expect "... and none was logged" "$lines" "$(wc -l <"$T/wsld.log")"
expect "both listeners still OPEN and serving" "connected eof hi connected eof hi " \
    "$("$WSL_PROBE" tcp "$(field up port)" hi | tr '\n' ' ')$("$WSL_PROBE" tcp "$(field front port)" hi | tr '\n' ' ')"
expect_fds_back "$base"
finish
