#!/bin/sh
# SPDX-License-Identifier: ISC
# pause and resume: a paused listener stays OPEN and bound, new clients
# wait in the kernel's queue (kernel-queue shows them) and are served on
# resume; abort still works while paused, resets the waiting clients and
# ends the pause; pause is refused outside OPEN.  reopen: close, reset and
# open as one command from any settled state, each step reported, stopping
# at the first failure with the step named.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start
"$WSLCTL" create web net.tcp://127.0.0.1:0/ --echo --open >/dev/null
PORT=$(field web port)

run "$WSLCTL" pause web
expect "pause: still OPEN, paused" "0 web OPEN paused" "$RC $OUT"
expect_match "status says so, and the way back" \
    "^paused yes \(new connections wait in the kernel's queue; wslctl resume web\)$" \
    "$("$WSLCTL" status web)"
before=$(counter web accepted)
"$WSL_PROBE" -t 10000 tcp "$PORT" waited >"$T/waited" &
CLIENT=$!
queued() { [ "$("$WSLCTL" status web | awk '$1 == "kernel-queue" { print $2 }' | cut -d/ -f1)" = 1 ]; }
expect_eventually "a new client waits in the kernel's queue" queued
expect "... and is not accepted" "$before" "$(counter web accepted)"
run "$WSLCTL" pause web
expect "pause again: still paused, no error" "0 web OPEN paused" "$RC $OUT"
run "$WSLCTL" resume web
expect "resume: OPEN, not paused" "0 web OPEN" "$RC $OUT"
wait $CLIENT
expect "the waiting client is served" "connected eof waited " "$(tr '\n' ' ' <"$T/waited")"
expect "... and counted" $((before + 1)) "$(counter web accepted)"

# Abort while paused: the waiting clients are reset, the pause ends.
"$WSLCTL" pause web >/dev/null
"$WSL_PROBE" -t 10000 tcp "$PORT" never >"$T/never" &
CLIENT=$!
expect_eventually "paused again, a client waits" queued
run "$WSLCTL" -j abort web
expect "abort works while paused" 0 "$RC"
expect_match "... resetting the waiting client" '"queued-connections-reset":1' "$OUT"
wait $CLIENT
expect "the client saw the reset" "connected reset " "$(tr '\n' ' ' <"$T/never")"
expect "the pause ended with the open" "" "$("$WSLCTL" -j status web | grep -o '"paused":true')"
run "$WSLCTL" pause web
expect "pause is refused when not OPEN (exit 4, an invalid operation)" 4 "$RC"
expect_match "... saying why" "pause is not allowed when the listener is FAULTED" "$ERR"
run "$WSLCTL" resume web
expect_match "resume too" "resume is not allowed when the listener is FAULTED" "$ERR"

# status says why: the last change, who made it and when, and for a
# FAULTED listener the way back as its last line.
run "$WSLCTL" status web
expect_match "status shows the last change: the abort, by whom, when" \
    '^last-transition OPEN -> FAULTED \(abort by uid [0-9]+ pid [0-9]+, 20[0-9-]+T[0-9:]+Z\): S_OK$' "$OUT"
expect "... and ends with the way back" "way back: wslctl reopen web" \
    "$(printf '%s\n' "$OUT" | tail -1)"
expect_match "-j has it as an object" \
    '"last-transition":\{"from":"OPEN","to":"FAULTED","operation":"abort","actor":"by uid [0-9]+ pid [0-9]+",' \
    "$("$WSLCTL" -j status web)"

# reopen from FAULTED: each step, and it serves again.
run "$WSLCTL" reopen web
expect "reopen from FAULTED: close, reset, open" \
    "0 web CLOSED (close) web CREATED (reset) web OPEN (open) " \
    "$RC $(printf '%s\n' "$OUT" | tr '\n' ' ')"
expect "... and it echoes again" "connected eof hi " \
    "$("$WSL_PROBE" -t 5000 tcp "$(field web port)" hi | tr '\n' ' ')"
"$WSLCTL" close web >/dev/null
run "$WSLCTL" reopen web
expect "from CLOSED: reset, open" "0 web CREATED (reset) web OPEN (open) " \
    "$RC $(printf '%s\n' "$OUT" | tr '\n' ' ')"
run "$WSLCTL" reopen web
expect "from OPEN: close, reset, open" \
    "0 web CLOSED (close) web CREATED (reset) web OPEN (open) " \
    "$RC $(printf '%s\n' "$OUT" | tr '\n' ' ')"
run "$WSLCTL" -j reopen web
expect_match "-j: the steps, with their HRESULTs" \
    '"steps":\[\{"operation":"close","state":"CLOSED","hresult":"0x00000000"\}' "$OUT"

# A failing step stops it: the port is someone else's.
"$WSLCTL" create other "net.tcp://127.0.0.1:$(field web port)/" --echo >/dev/null
run "$WSLCTL" reopen other
expect "reopen of a listener that cannot open fails" yes "$([ "$RC" -ne 0 ] && echo yes)"
expect_match "... at the open, saying why" "reopen stopped at the open: .*(in use|EADDRINUSE)" "$ERR"
expect "... and leaves it CREATED" CREATED "$(state other)"
expect_match "... whose status says the open failed, and why" \
    '^last-transition OPENING -> CREATED \(open by uid [0-9]+ pid [0-9]+, [^)]*\): WS_E_ADDRESS_IN_USE$' \
    "$("$WSLCTL" status other)"
expect "a listener not FAULTED has no way back to show" "" \
    "$("$WSLCTL" status other | grep '^way back')"
finish
