#!/bin/sh
# SPDX-License-Identifier: ISC
# The lifecycle from the shell: create, open, abort, close, reset, open,
# with the state wslctl prints and its exit status at each step; abort in
# every state; free only when CREATED or CLOSED.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start

run "$WSLCTL" create web net.tcp://127.0.0.1:0/
expect "create prints the new state" "web CREATED" "$OUT"
expect "create exits 0" 0 "$RC"
run "$WSLCTL" open web
expect "open prints OPEN" "web OPEN" "$OUT"
run "$WSLCTL" abort web
expect "abort prints FAULTED" "web FAULTED" "$OUT"
expect "abort exits 0" 0 "$RC"
run "$WSLCTL" abort web
expect "abort again: still FAULTED, exit 0" "web FAULTED 0" "$OUT $RC"
run "$WSLCTL" open web
expect "open of a FAULTED listener: exit 4" 4 "$RC"
expect_match "... with WS_E_INVALID_OPERATION on stderr" \
    '^wslctl: open web: WS_E_INVALID_OPERATION \(0x803D0003\): ' "$ERR"
run "$WSLCTL" reset web
expect "reset of a FAULTED listener: exit 4" 4 "$RC"
run "$WSLCTL" free web
expect "free of a FAULTED listener: exit 4" 4 "$RC"
expect_match "... it says why" 'free is not allowed when the listener is FAULTED' "$ERR"
run "$WSLCTL" close web
expect "close prints CLOSED" "web CLOSED" "$OUT"
run "$WSLCTL" abort web
expect "abort in CLOSED changes nothing" "web CLOSED 0" "$OUT $RC"
run "$WSLCTL" reset web
expect "reset prints CREATED" "web CREATED" "$OUT"
run "$WSLCTL" open web
expect "open again prints OPEN" "web OPEN" "$OUT"
run "$WSLCTL" -j abort web
expect_match "abort's reply carries previous-state" '"previous-state":"OPEN"' "$OUT"
expect_match "abort's reply carries what it cancelled" '"cancelled":\{"pending-accepts":0,' "$OUT"
expect_match "abort's reply carries state and state-code" '"state":"FAULTED","state-code":3' "$OUT"
expect_match "hresult is always present" '"hresult":"0x00000000"' "$OUT"

# Abort before open is remembered until reset.
"$WSLCTL" create early net.tcp://127.0.0.1:0/ >/dev/null
run "$WSLCTL" abort early
expect "abort in CREATED leaves CREATED" "early CREATED 0" "$OUT $RC"
run "$WSLCTL" open early
expect "the next open fails: exit 1" 1 "$RC"
expect_match "... with WS_E_OPERATION_ABORTED" 'WS_E_OPERATION_ABORTED \(0x803D0004\)' "$ERR"
run "$WSLCTL" status early
expect_match "status shows the last error" 'last-error WS_E_OPERATION_ABORTED .* in open' "$OUT"
expect_match "status says it was aborted before open" '^aborted-before-open yes' "$OUT"
run "$WSLCTL" open early
expect "and fails again until reset" 1 "$RC"
"$WSLCTL" reset early >/dev/null
run "$WSLCTL" open early
expect "after reset it opens" "early OPEN 0" "$OUT $RC"

# Free, and what is left afterwards.
"$WSLCTL" close early >/dev/null
run "$WSLCTL" free early
expect "free of a CLOSED listener" "early freed 0" "$OUT $RC"
run "$WSLCTL" status early
expect "status of a freed listener: exit 5" 5 "$RC"
expect_match "... ERROR_NOT_FOUND" 'ERROR_NOT_FOUND \(0x80070490\)' "$ERR"
"$WSLCTL" create idle net.tcp://127.0.0.1:0/ >/dev/null
run "$WSLCTL" free idle
expect "free of a CREATED listener" "idle freed 0" "$OUT $RC"
run "$WSLCTL" create web net.tcp://127.0.0.1:0/
expect "a second listener with the same name: exit 1" 1 "$RC"
expect_match "... ERROR_ALREADY_EXISTS" 'ERROR_ALREADY_EXISTS' "$ERR"
run "$WSLCTL" list
expect "list: one line per listener" "web FAULTED net.tcp://127.0.0.1:0/" \
    "$(echo "$OUT" | tr -s ' ')"
finish
