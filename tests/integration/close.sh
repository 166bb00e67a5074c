#!/bin/sh
# SPDX-License-Identifier: ISC
# close is the graceful path: the listener stops accepting at once, the
# channels its handler serves get CLOSE_TIMEOUT to finish, and the reply
# comes when they have (or when the rest were ended at the timeout).
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start

# A channel that finishes within the close timeout.
"$WSLCTL" create e net.tcp://127.0.0.1:0/ --echo -p close-timeout=60000 --open >/dev/null
"$WSL_PROBE" -w "$T/go" tcp "$(field e port)" "late bytes" >"$T/c1" &
P=$!
until_true counter_is e active 1
"$WSLCTL" close e >"$T/close1" 2>&1 &
C=$!
until_true state_is e CLOSED
run "$WSL_PROBE" tcp "$(field e port)"
expect "a closing listener refuses new connections at once" "refused" "$OUT"
expect "the close has not answered while its channel is served" "" "$(cat "$T/close1")"
run "$WSLCTL" free e
expect "free waits for the close too: exit 4" 4 "$RC"
# Found by fuzz-control: a second close, refused, used to start a second
# drain of the same channels, and the first close never answered.
run "$WSLCTL" close e
expect "a second close meanwhile is refused: exit 4" 4 "$RC"
touch "$T/go"
wait $P
expect "the channel finished its work" "connected eof late bytes" "$(oneline "$(cat "$T/c1")")"
until_true file_has "$T/close1" "e CLOSED"
expect "then the close answered" "e CLOSED" "$(cat "$T/close1")"
wait $C
expect_equation e

# Found by races.sh: a reset (then an open and a close) while a close still
# drained made two drains overlap, and the first close never answered.
"$WSLCTL" create d net.tcp://127.0.0.1:0/ --echo -p close-timeout=60000 --open >/dev/null
"$WSL_PROBE" -w "$T/go2" tcp "$(field d port)" "bytes" >"$T/c4" &
P=$!
until_true counter_is d active 1
"$WSLCTL" close d >"$T/close4" 2>&1 &
C=$!
until_true state_is d CLOSED
run "$WSLCTL" reset d
expect "reset while the close waits for its channels: exit 4" 4 "$RC"
expect_match "... saying why" "a close of listener 'd' is still finishing" "$ERR"
touch "$T/go2"
wait $P
until_true file_has "$T/close4" "d CLOSED"
wait $C
run "$WSLCTL" reset d
expect "once the close has answered, reset works" "d CREATED" "$OUT"

# Channels still there at the close timeout are ended.
"$WSLCTL" create slow net.tcp://127.0.0.1:0/ --echo -p close-timeout=200 --open >/dev/null
"$WSL_PROBE" -w "$T/never" -t 20000 tcp "$(field slow port)" "x" >"$T/c2" &
P=$!
until_true counter_is slow active 1
run "$WSLCTL" -j close slow
expect_match "at the close timeout the channel is ended, and the reply says so" \
    '"text":"listener .slow. is CLOSED; 0 channels finished, 1 ended at the close timeout"' "$OUT"
touch "$T/never"
wait $P
expect_match "... its client sees the end" "^connected (eof|reset)" "$(oneline "$(cat "$T/c2")")"
expect "no channel is active afterwards" 0 "$(counter slow active)"
expect_equation slow

# An exec child at the close timeout is asked to stop (SIGTERM) and reaped.
"$WSLCTL" create kids net.tcp://127.0.0.1:0/ -p close-timeout=200 --handler \
    '{"type":"exec","command":["/bin/sleep","600"]}' --open >/dev/null
"$WSL_PROBE" -t 20000 tcp "$(field kids port)" >"$T/c3" &
P=$!
until_true counter_is kids active 1
run "$WSLCTL" close kids
expect_match "the close ends the child at the timeout" "1 ended at the close timeout" \
    "$(cat "$T/wsld.log")"
wait $P
until_true counter_is kids active 0
expect "the child is reaped: none active, no zombie" "0 0" "$(counter kids active) $(zombies)"
finish
