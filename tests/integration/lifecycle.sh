#!/bin/sh
# SPDX-License-Identifier: ISC
# A listener's life has one owner (daemon/lifecycle.c): reload, free,
# restart and shutdown meet on the same listeners without a crash, a hang
# or a hole.  Each case below once failed:
#  1. a reload removing a listener while an admin frees it (a double free);
#  2. a reload replacing a listener left its name without a listener while
#     the old one finished its channels;
#  3. SIGTERM while `wslctl reload` waits for a channel: 30 s, exit 1, no
#     state saved, READY=1 after STOPPING=1; and a listener being changed
#     came back in the wrong state;
#  4. a listener OPEN a moment before SIGTERM, its OPEN not yet heard of,
#     was left out of the fd store and closed with its queue;
#  5. SIGTERM while an operator's close waits for a channel;
#  6. transitions logged that never happened, under concurrent commands;
#  7. a reset, open and close arriving before the first close's answer
#     started a second drain, and the first close was never answered.
# Channels are held by a client until a file exists, and the close
# timeouts are long, so every "meanwhile" below is a state the test waits
# for, not a race with a timer.
. "${top_srcdir:-.}/tests/integration/lib.sh"

hold_channel() { # GO-FILE PORT OUTPUT; HOLD is the client's pid
	"$WSL_PROBE" -t 60000 -w "$1" tcp "$2" hi >"$3" &
	HOLD=$!
	until_true file_has "$3" connected
}
# The reload (pid $2) is still running and listener $1 is CLOSED: the
# reload waits for that listener's channels.
reload_waits() { [ "$(state "$1")" = CLOSED ] && kill -0 "$2" 2>/dev/null; }
lines() { grep -c -- "$1" "$T/wsld.log" || true; }
# lines_are N PATTERN: the log has N lines with PATTERN now.  A condition
# to poll must be a command that reads the log each time: `test "$(lines
# P)" -eq N` as arguments of expect_eventually reads it once, before the
# first poll, and a free made a moment after the channel ended was missed.
lines_are() { [ "$(lines "$2")" -eq "$1" ]; }
alive_or_bail() { wsld_alive || bail "wsld died in case $1"; }

X=$("$WSL_PROBE" port)
Y=$("$WSL_PROBE" port)
Z=$("$WSL_PROBE" port)
H=$("$WSL_PROBE" port)

# 1. A listener a reload removes cannot be freed (nor opened, closed or
# reset) by an operator meanwhile; abort works; the reload finishes.
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "x": {"url": "net.tcp://127.0.0.1:$X/", "handler": {"type": "echo"}},
  "y": {"url": "net.tcp://127.0.0.1:$Y/", "handler": {"type": "echo"},
        "open": true, "properties": {"close-timeout": 60000}}
}}
EOF
wsld_start -c "$T/wsld.json"
hold_channel "$T/go1" "$Y" "$T/chan1"
echo '{"listeners": {}}' >"$T/wsld.json"
"$WSLCTL" reload >"$T/reload1" 2>&1 &
R=$!
until_true reload_waits y $R
refused=
for verb in free open close reset; do
	run "$WSLCTL" "$verb" x
	refused="$refused$verb $RC $(printf '%s' "$ERR" |
	    grep -c "listener 'x' is being changed by a reload");"
done
expect "while a reload removes x: free, open, close, reset refused (exit 4), saying why" \
    "free 4 1;open 4 1;close 4 1;reset 4 1;" "$refused"
run "$WSLCTL" abort x
expect "... but abort works" 0 "$RC"
expect "... and the reload is still waiting for y's channel" yes \
    "$(kill -0 $R 2>/dev/null && echo yes)"
touch "$T/go1"
wait $R
expect "once the channel ends, the reload finishes (exit 0)" 0 $?
expect "... having removed both" "x removed -|y removed -" \
    "$(awk 'NF == 3 { print $1, $2, $3 }' "$T/reload1" | paste -sd'|')"
expect_eventually "... and freed both" \
    lines_are 2 "freed (as removed by a reload"
alive_or_bail 1
expect "wsld is alive and has no listener left" "0 " \
    "$("$WSLCTL" -q version; echo "$? $("$WSLCTL" list)")"

# 2. A name never goes without its listener while a reload replaces it.
# Not on the same address (no hand-over): the old one closes, waiting for
# its channel as long as it takes ("infinite"), and keeps the name until
# the new one takes it.
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "z": {"url": "net.tcp://127.0.0.1:$X/", "handler": {"type": "echo"},
        "open": true, "properties": {"close-timeout": "infinite"}}
}}
EOF
"$WSLCTL" reload >/dev/null
hold_channel "$T/go2" "$X" "$T/chan2"
sed "s/:$X\//:$Y\//" "$T/wsld.json" >"$T/wsld.new" &&
    mv "$T/wsld.new" "$T/wsld.json"
"$WSLCTL" reload >"$T/reload2" 2>&1 &
R=$!
until_true reload_waits z $R
run "$WSLCTL" status z
expect "while the old listener finishes its channel, status finds it" \
    "0 CLOSED" "$RC $(printf '%s' "$OUT" | awk 'NR == 1 { print $2 }')"
run "$WSLCTL" abort z
expect "... abort works on it" 0 "$RC"
run "$WSLCTL" free z
expect "... free does not (exit 4)" 4 "$RC"
run "$WSLCTL" create z net.tcp://127.0.0.1:0/
expect "... and create cannot take the name (exit 1, ERROR_ALREADY_EXISTS)" \
    "1 ERROR_ALREADY_EXISTS" "$RC $(printf '%s' "$ERR" |
    grep -o ERROR_ALREADY_EXISTS)"
expect "the reload still waits, as long as the channel lasts" yes \
    "$(kill -0 $R 2>/dev/null && echo yes)"
touch "$T/go2"
wait $R
expect "once it ends, the reload replaces z (exit 0)" "0 z changed OPEN" \
    "$? $(awk 'NF == 3 { print $1, $2, $3 }' "$T/reload2")"
expect "the name leads to the new listener, on its new port" "OPEN $Y" \
    "$(state z) $(field z port)"
expect_eventually "... and the old one is freed, its channel having ended" \
    lines_are 1 "listener 'z': freed (as replaced by a reload"
# On the same address, the new listener takes the socket and the name at
# once, while the old one still finishes its channel aside.
hold_channel "$T/go3" "$Y" "$T/chan3"
before=$(lines "listener 'z': freed (as replaced by a reload")
sed 's/"close-timeout": "infinite"/"close-timeout": "infinite", "listen-backlog": 32/' \
    "$T/wsld.json" >"$T/wsld.new" && mv "$T/wsld.new" "$T/wsld.json"
run "$WSLCTL" reload
expect "a hand-over answers at once, with the new listener OPEN" \
    "0 z changed OPEN" "$RC $(printf '%s\n' "$OUT" |
    awk 'NF == 3 { print $1, $2, $3 }')"
expect "... while the old one still serves its channel" "yes $before" \
    "$(kill -0 $HOLD 2>/dev/null && echo yes) $(lines \
    "listener 'z': freed (as replaced by a reload")"
expect "... the new one has the name, the socket and the new backlog" \
    "OPEN reload 32" "$(state z) $(origin z) $("$WSLCTL" get z listen-backlog)"
expect "... and serves" "connected eof hi" \
    "$(oneline "$("$WSL_PROBE" tcp "$Y" hi)")"
touch "$T/go3"
wait $HOLD
expect_eventually "the replaced listener is freed once its channel has ended" \
    lines_are $((before + 1)) "listener 'z': freed (as replaced by a reload"
alive_or_bail 2
wsld_stop
expect "wsld exits 0" 0 "$WSLD_STATUS"

# 3. SIGTERM (a restart) while `wslctl reload` waits for a channel: the
# reload is answered, the state saved before STOPPING=1 (a listener being
# changed in the state it is to have), nothing but the fd store after
# STOPPING=1, and the stop takes the close timeout, not the 30 s grace.
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "down": {"url": "net.tcp://127.0.0.1:$X/", "handler": {"type": "echo"},
           "open": true},
  "c": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"},
        "open": true},
  "h": {"url": "net.tcp://127.0.0.1:$H/", "handler": {"type": "echo"},
        "open": true},
  "y": {"url": "net.tcp://127.0.0.1:$Y/", "handler": {"type": "echo"},
        "open": true, "properties": {"close-timeout": 2000}}
}}
EOF
sysd_start -- --fd-store -c "$T/wsld.json"
until_true sysd_has READY=1
"$WSLCTL" abort down >/dev/null
hold_channel "$T/go4" "$Y" "$T/chan4"
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "down": {"url": "net.tcp://127.0.0.1:$X/", "handler": {"type": "echo"},
           "open": true},
  "c": {"url": "net.tcp://127.0.0.1:$Z/", "handler": {"type": "echo"},
        "open": true},
  "h": {"url": "net.tcp://127.0.0.1:$H/", "handler": {"type": "echo"},
        "open": true, "properties": {"listen-backlog": 32}}
}}
EOF
"$WSLCTL" reload >"$T/reload4" 2>&1 &
R=$!
until_true reload_waits y $R
expect "c, being changed, is CLOSED while the reload waits for y" CLOSED \
    "$(state c)"
expect "h, handed over to its successor, never left the fd store" \
    "OPEN reload " "$(state h) $(origin h) $(sysd_msgs |
    grep 'FDSTOREREMOVE=1|FDNAME=h$')"
t0=$(date +%s%N)
kill -USR1 "$WSLD_PID" # restart: SIGTERM, then the next wsld
until_true sysd_has READY=1 2
t1=$(date +%s%N)
wait $R
expect "the reload waiting for a channel is answered (exit 1)" 1 $?
expect_match "... interrupted by the shutdown" \
    "WS_E_OPERATION_ABORTED.*interrupted by the shutdown" "$(cat "$T/reload4")"
expect "the first wsld exited 0" 0 \
    "$(awk -F'\t' '$1 == "EXIT" && $2 == 1 { print $4 }' "$SYSD_LOG")"
expect "... within the close timeout, not the grace" yes \
    "$([ $(((t1 - t0) / 1000000)) -lt 10000 ] && echo yes)"
diag "restart took $(((t1 - t0) / 1000000)) ms"
expect "the state was stored before STOPPING=1, and nothing but it after" \
    "FDSTORE=1|FDNAME=_wsld_state STOPPING=1|STATUS=stopping FDSTORE=1|FDNAME=_wsld_state_end FDSTOREREMOVE=1|FDNAME=_wsld_state" \
    "$(sysd_msgs 1 | sed -n '/_wsld_state/,$p' | tr '\n' ' ' |
    sed 's/ $//')"
expect "after the restart the FAULTED listener is still FAULTED" FAULTED \
    "$(state down)"
expect "... the one being changed is OPEN, as the reload was making it" \
    "OPEN $Z" "$(state c) $(field c port)"
expect "... the one handed over is OPEN on the stored socket" \
    "OPEN fd-store $H" "$(state h) $(origin h) $(field h port)"
touch "$T/go4"
alive_or_bail 3

# 4. A listener OPEN in the core when the stop begins, before the control
# thread has heard of it (here made late on purpose: inject mute), is
# stored and handed over all the same, with what is queued on it.
wsld_stop
: >"$SYSD_LOG"
echo '{"listeners": {}}' >"$T/wsld.json"
sysd_start -- --fd-store --fault-injection -c "$T/wsld.json"
"$WSLCTL" create late "net.tcp://127.0.0.1:$X/" >/dev/null
"$WSLCTL" call inject '{"fault": "mute", "name": "late", "ms": 60000}' \
    >/dev/null
"$WSLCTL" open late >/dev/null
expect "the fd store has not heard of it yet" "" \
    "$(sysd_msgs | grep 'FDNAME=late')"
"$WSL_PROBE" -t 10000 tcp "$X" hi >"$T/queued4" &
Q=$!
until_true file_has "$T/queued4" connected
kill -USR1 "$WSLD_PID"
until_true sysd_has READY=1 2
expect "a listener OPEN when the stop began was stored and handed over" \
    "OPEN fd-store" "$(state late) $(origin late)"
"$WSLCTL" -t 10000 accept late -- cat >/dev/null 2>&1
wait $Q
expect "... with the connection queued on it, served by the next wsld" \
    "connected eof hi" "$(oneline "$(cat "$T/queued4")")"
alive_or_bail 4

# 5. SIGTERM while an operator's close waits for a channel: the close is
# answered once the channel ends, the listener freed, wsld exits 0.
wsld_stop
wsld_start
"$WSLCTL" create w "net.tcp://127.0.0.1:$X/" --echo --open \
    --property close-timeout=60000 >/dev/null
hold_channel "$T/go5" "$X" "$T/chan5"
"$WSLCTL" close w >"$T/close5" 2>&1 &
C=$!
until_true state_is w CLOSED
expect "the close waits for the channel" yes \
    "$(kill -0 $C 2>/dev/null && echo yes)"
kill -TERM "$WSLD_PID"
until_true file_has "$T/wsld.log" "Terminated: closing every listener"
touch "$T/go5"
wait "$WSLD_PID"
expect "SIGTERM during a close that waits for a channel: exit 0" 0 $?
WSLD_PID=
wait $C
expect "... the close is answered" "0 w CLOSED" "$? $(cat "$T/close5")"
expect_match "... and the listener freed" "listener 'w': freed" \
    "$(cat "$T/wsld.log")"

# 6. Every transition logged is one the core made: under commands racing
# on one listener, each line is a legal edge by an operation that makes
# it, and starts where the one before ended.  Every request is answered.
wsld_start
"$WSLCTL" create r "net.tcp://127.0.0.1:$X/" --echo --open >/dev/null
"$WSL_PROBE" -e -t 2000 -j 2 -u "$T/stop6" load "$X" 100000000 x \
    >/dev/null &
L=$!
req() { for v in "$@"; do printf '{"command":"%s","arguments":{"name":"%s"}}\n' "$v" "$NAME"; done; }
NAME=r
unanswered=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	pids=
	for c in 1 2 3 4 5 6 7 8 9 10 11 12; do
		case $((c % 4)) in
		0) req close reset open close reset open ;;
		1) req reset open close reset open close ;;
		2) req open abort close reset open ;;
		3) req abort close reset open close ;;
		esac | "$WSL_PROBE" -t 10000 ctl "$SOCK" >"$T/race.$c" &
		pids="$pids $!"
	done
	wait $pids
	for c in 1 2 3 4 5 6 7 8 9 10 11 12; do
		want=$([ $((c % 4)) -ge 2 ] && echo 5 || echo 6)
		[ "$(grep -c '^fds=0 {' "$T/race.$c")" -eq "$want" ] ||
		    unanswered=$((unanswered + 1))
	done
done
touch "$T/stop6"
wait $L
expect "every racing request was answered, in order, once" 0 "$unanswered"
illegal=$(sed -n "s/.*listener 'r': \([A-Z]*\) -> \([A-Z]*\) (\([a-z]*\) .*/\1 \2 \3/p" \
    "$T/wsld.log" | grep -vxE 'CREATED OPENING open|OPENING (OPEN|CREATED|FAULTED) open|CREATED CLOSED close|(OPEN|FAULTED) CLOSING close|CLOSING CLOSED close|OPEN FAULTED abort|CLOSED CREATED reset' | sort | uniq -c)
expect "every logged transition is a legal one, by the right operation" "" \
    "$illegal"
n=$(grep -c "listener 'r': [A-Z]* -> " "$T/wsld.log")
expect "... of which there were many" yes "$([ "$n" -gt 100 ] && echo yes)"
diag "$n transitions logged"
chain=$(sed -n "s/.*listener 'r': \([A-Z]*\) -> \([A-Z]*\) .*/\1 \2/p" \
    "$T/wsld.log" | awk 'NR > 1 && $1 != last { bad++ } { last = $2 }
    END { print bad + 0 }')
expect "... and each starts where the one before ended" 0 "$chain"
free_r() {
	"$WSLCTL" close r >/dev/null 2>&1
	"$WSLCTL" reset r >/dev/null 2>&1
	"$WSLCTL" free r >/dev/null 2>&1
}
expect_eventually "nothing is stuck: r closes, resets and is freed" free_r
alive_or_bail 6

# 7. A close, and a reset, open and close right behind it from another
# client while the close waits for its channel: the reset is refused
# until that close has answered (even in the moment between CLOSED and
# the answer), so there is only ever one drain, and every request is
# answered.  (The race this closes is tried by stress.sh.)
"$WSLCTL" create d "net.tcp://127.0.0.1:$X/" --echo --open \
    --property close-timeout=60000 >/dev/null
hold_channel "$T/go7" "$X" "$T/chan7"
NAME=d
req close | "$WSL_PROBE" -t 60000 ctl "$SOCK" >"$T/first7" &
A=$!
until_true state_is d CLOSED
req reset open close | "$WSL_PROBE" -t 60000 ctl "$SOCK" >"$T/rest7"
expect "reset, open and close behind a close that has not answered: refused" \
    "WS_E_INVALID_OPERATION WS_E_INVALID_OPERATION WS_E_INVALID_OPERATION" \
    "$(sed -n 's/^fds=[0-9]* {"id":[^,]*,"result":[0-9]*,"hresult":"[^"]*","error":"\([A-Z_]*\)".*/\1/p' "$T/rest7" | paste -sd' ')"
expect "... the reset because the close is still finishing" 1 \
    "$(grep -c "reset is not allowed while a close of listener 'd' is still finishing" "$T/rest7")"
expect "... while the close still waits for its channel" yes \
    "$(kill -0 $A 2>/dev/null && echo yes)"
touch "$T/go7"
wait $A
expect_match "the close is answered once, when the channel has finished" \
    '"text":"listener .d. is CLOSED; 1 channels finished, 0 ended' \
    "$(cat "$T/first7")"
run "$WSLCTL" reset d
expect "then reset works" 0 "$RC"
run "$WSLCTL" free d
expect "... and free" 0 "$RC"

finish
