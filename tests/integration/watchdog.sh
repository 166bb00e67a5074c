#!/bin/sh
# SPDX-License-Identifier: ISC
# The watchdog is fed only while every event loop answers: stall one loop
# (fault injection) and the WATCHDOG=1 pings stop, the listener's status
# says its loop stalls, the other listeners go on serving; when the loop is
# back the pings resume.  A stalled pool loop is named in the log with the
# listeners it hosts, and the status of each (a listener spread over it
# too) says so, while a listener on the other loop's does not.  Fault
# injection is refused unless wsld was started with --fault-injection.
. "${top_srcdir:-.}/tests/integration/lib.sh"

wsld_start
run "$WSLCTL" call inject '{"name": "x", "fault": "stall", "ms": 1}'
expect "inject is refused without --fault-injection (exit 6)" 6 "$RC"
expect_match "... saying how to enable it" "fault injection is disabled" "$ERR"
wsld_stop

# WatchdogSec=400ms: a ping every 100 ms while all is well.
printf '{"loops": 2}\n' >"$T/pool.json"
sysd_start -w 400 -- --fault-injection -c "$T/pool.json"
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
    "listener 'slow': its event loop \(dedicated\) has not answered" "$(cat "$T/wsld.log")"
expect_eventually "pings resume once the loop answers again" \
    pings_at_least $((before + 1))
expect "... and the status no longer shows a stall" "" "$(stalled_ms)"
expect_match "... and the log says it is back" \
    "listener 'slow': its event loop \(dedicated\) answers again" "$(cat "$T/wsld.log")"

# A pool loop: a and b on the pool's two loops, wide spread over both.
# The stalled loop is the one of a and b that is not wide's home, so that
# wide hears of it through its other lane.
for n in a b; do
	"$WSLCTL" create $n net.tcp://127.0.0.1:0/ --echo --open >/dev/null
done
"$WSLCTL" create wide net.tcp://127.0.0.1:0/ --echo --loops 2 --open >/dev/null
LA=$(field a loop) LB=$(field b loop)
expect "a and b are on the two pool loops" "0 1" "$(printf '%s\n' "$LA" "$LB" | sort | tr '\n' ' ' | sed 's/ $//')"
HOME_LOOP=$("$WSLCTL" -j status wide | grep -o '"loop":[0-9]*' | head -1 | cut -d: -f2)
if [ "$LA" = "$HOME_LOOP" ]; then X=b Y=a LX=$LB; else X=a Y=b LX=$LA; fi
has_stall() { "$WSLCTL" -j status "$1" | grep -q '"loop-stalled-ms"'; }
run "$WSLCTL" call inject "{\"name\": \"$X\", \"fault\": \"stall\", \"ms\": 2000}"
expect_eventually "a stalled pool loop: the status of $X, on it, says so" has_stall $X
expect_eventually "... and so does wide's, whose other lane is on it" has_stall wide
expect "... but not $Y's, on the other loop" no "$(has_stall $Y && echo yes || echo no)"
expect "$Y serves meanwhile" "connected eof hi " \
    "$("$WSL_PROBE" -t 5000 tcp "$(field $Y port)" hi | tr '\n' ' ')"
LINE=$(grep "loop $LX has not answered" "$T/wsld.log")
expect_match "the log names the stalled loop" \
    "loop $LX has not answered for [0-9]* ms: the watchdog is not fed while it stalls; it hosts [0-9]+ listeners: " "$LINE"
expect_match "... with the listeners it hosts: $X" "'$X'" "$LINE"
expect_match "... and wide" "'wide'" "$LINE"
not_stalled() { ! has_stall $X && ! has_stall wide; }
expect_eventually "once it answers, no status shows a stall" not_stalled
expect_match "... and the log says it is back" "loop $LX answers again after" \
    "$(cat "$T/wsld.log")"

finish
