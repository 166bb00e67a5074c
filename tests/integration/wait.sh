#!/bin/sh
# SPDX-License-Identifier: ISC
# wait: until a listener reaches a state, with a timeout; and what happens
# when the listener goes away meanwhile.  Each waiter is known to be
# waiting (pending-waits) before the change that should wake it.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start
"$WSLCTL" create web net.tcp://127.0.0.1:0/ >/dev/null
waits_are() { [ "$(field web pending-waits)" = "$1" ]; }

run "$WSLCTL" wait web CREATED
expect "waiting for the current state answers at once" "web CREATED 0" "$OUT $RC"
expect "... and leaves no wait behind" 0 "$(field web pending-waits)"
"$WSLCTL" wait web OPEN >"$T/w1" 2>&1 &
W=$!
until_true waits_are 1
expect "a wait for another state waits" 1 "$(field web pending-waits)"
"$WSLCTL" open web >/dev/null
wait $W
RC=$?
expect "wait returns once the listener is OPEN" "web OPEN" "$(cat "$T/w1")"
expect "... with exit 0" 0 "$RC"
"$WSLCTL" wait web faulted >"$T/w2" 2>&1 &
W=$!
until_true waits_are 1
"$WSLCTL" abort web >/dev/null
wait $W
RC=$?
expect "state names are case-insensitive; abort wakes it" "web FAULTED 0" \
    "$(cat "$T/w2") $RC"
run "$WSLCTL" -t 0.2 wait web OPEN
expect "a wait that times out: exit 124" 124 "$RC"
expect_match "... WS_E_OPERATION_TIMED_OUT" 'WS_E_OPERATION_TIMED_OUT \(0x803D0006\)' "$ERR"
expect "... and is gone" 0 "$(field web pending-waits)"
run "$WSLCTL" wait web SLEEPING
expect "an unknown state: exit 2" 2 "$RC"
expect_match "... named" "SLEEPING" "$ERR"
"$WSLCTL" close web >/dev/null
"$WSLCTL" wait web OPEN >/dev/null 2>"$T/w3" &
W=$!
until_true waits_are 1
"$WSLCTL" free web >/dev/null
wait $W
RC=$?
expect "a listener freed while waited for: exit 5" 5 "$RC"
expect_match "... ERROR_NOT_FOUND, it was freed" "ERROR_NOT_FOUND .*was freed" "$(cat "$T/w3")"
finish
