#!/bin/sh
# SPDX-License-Identifier: ISC
# The watchdog is fed only while every listener's loop answers: stall one
# loop (fault injection) and the WATCHDOG=1 pings stop, the listener's
# status says its loop stalls, the other listeners go on serving; when the
# loop is back the pings resume.  Fault injection is refused unless wsld
# was started with --fault-injection.
. "${top_srcdir:-.}/tests/integration/lib.sh"

wsld_start
run "$WSLCTL" call inject '{"name": "x", "fault": "stall", "ms": 1}'
expect "inject is refused without --fault-injection (exit 6)" 6 "$RC"
expect_match "... saying how to enable it" "fault injection is disabled" "$ERR"
wsld_stop

# WatchdogSec=400ms: a ping every 100 ms while all is well.
sysd_start -w 400 -- --fault-injection
# slow has a loop of its own, so that its stall holds up no other
# listener however many loops the pool has.
run "$WSLCTL" call create '{"name": "slow", "url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true, "loop": "dedicated"}'
expect "a listener with a loop of its own is created" 0 "$RC"
expect "... and its status says so" '"dedicated"' \
    "$("$WSLCTL" -j status slow | grep -o '"loop":"[a-z]*"' | cut -d: -f2)"
run "$WSLCTL" call create '{"name": "odd", "url": "net.tcp://127.0.0.1:0/", "loop": "own"}'
expect_match "another \"loop\" is refused, saying what it may be" \
    'must be "pool" or "dedicated"' "$ERR"
"$WSLCTL" create fast net.tcp://127.0.0.1:0/ --echo --open >/dev/null
FAST=$(field fast port)
expect_eventually "WATCHDOG=1 is sent while every loop answers (3 times or more)" \
    pings_at_least 3

stalled_ms() { "$WSLCTL" -j status slow | grep -o '"loop-stalled-ms":[0-9]*' | cut -d: -f2; }
stalled_at_least() { _s=$(stalled_ms); [ -n "$_s" ] && [ "$_s" -ge "$1" ]; }
run "$WSLCTL" call inject '{"name": "slow", "fault": "stall", "ms": 3000}'
expect "inject stalls the loop of 'slow' for 3 s" 0 "$RC"
expect_eventually "the stall is noticed: status shows loop-stalled-ms" \
    stalled_at_least 1
before=$(pings)
until_true stalled_at_least 1500
expect "no WATCHDOG=1 while the loop stalls (1.5 s, 15 periods)" \
    "$before" "$(pings)"
expect "the other listener's loop serves meanwhile" "connected eof hi " \
    "$("$WSL_PROBE" -t 5000 tcp "$FAST" hi | tr '\n' ' ')"
expect_match "the log names the stalled listener" \
    "listener 'slow': its event loop has not answered" "$(cat "$T/wsld.log")"
expect_eventually "pings resume once the loop answers again" \
    pings_at_least $((before + 1))
expect "... and the status no longer shows a stall" "" "$(stalled_ms)"
expect_match "... and the log says it is back" \
    "listener 'slow': its event loop answers again" "$(cat "$T/wsld.log")"

finish
