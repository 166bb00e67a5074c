#!/bin/sh
# SPDX-License-Identifier: ISC
# wait: until a listener reaches a state, with a timeout; and what happens
# when the listener goes away meanwhile.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start
"$WSLCTL" create web net.tcp://127.0.0.1:0/ >/dev/null

run "$WSLCTL" wait web CREATED
expect "waiting for the current state answers at once" "web CREATED 0" "$OUT $RC"
"$WSLCTL" wait web OPEN >"$T/w1" 2>&1 &
W=$!
"$WSLCTL" open web >/dev/null
wait $W
expect "wait returns once the listener is OPEN" "web OPEN" "$(cat "$T/w1")"
expect "... with exit 0" 0 $?
"$WSLCTL" wait web faulted >"$T/w2" 2>&1 &
W=$!
"$WSLCTL" abort web >/dev/null
wait $W
expect "state names are case-insensitive; abort wakes it" "web FAULTED" "$(cat "$T/w2")"
run "$WSLCTL" -t 0.2 wait web OPEN
expect "a wait that times out: exit 124" 124 "$RC"
expect_match "... WS_E_OPERATION_TIMED_OUT" 'WS_E_OPERATION_TIMED_OUT \(0x803D0006\)' "$ERR"
run "$WSLCTL" wait web SLEEPING
expect "an unknown state: exit 2" 2 "$RC"
"$WSLCTL" close web >/dev/null
"$WSLCTL" wait web OPEN >/dev/null 2>"$T/w3" &
W=$!
until_true test -s "$T/w3" -o -n "$(sed -n 1p "$T/w3")" || true
"$WSLCTL" free web >/dev/null
wait $W
expect "a listener freed while waited for: exit 5" 5 $?
expect_match "... ERROR_NOT_FOUND, it was freed" "ERROR_NOT_FOUND .*was freed" "$(cat "$T/w3")"
finish
