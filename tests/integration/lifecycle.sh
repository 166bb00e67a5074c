#!/bin/sh
# SPDX-License-Identifier: ISC
# A listener's life has one owner (daemon/lifecycle.c): reload, free,
# restart and shutdown meet on the same listeners without a crash, a hang
# or a hole.  Each case below once failed:
#  - a reload removing a listener while an admin frees it (a double free);
#  - a reload replacing a listener leaves its name without a listener
#    while the old one finishes its channels;
#  - SIGTERM while `wslctl reload` waits for a channel (30 s, exit 1, no
#    state saved, READY=1 after STOPPING=1);
#  - a listener OPEN a moment before SIGTERM, its OPEN not yet told, left
#    out of the fd store and closed with its queue;
#  - SIGTERM while an operator's close waits for a channel;
#  - transitions logged that never happened, under concurrent commands.
. "${top_srcdir:-.}/tests/integration/lib.sh"

# A channel that stays open until the file $1 exists: the close of its
# listener has to wait for it (up to the close timeout).
hold_channel() { # GO-FILE PORT OUTPUT; HOLD is the client's pid
	"$WSL_PROBE" -t 60000 -w "$1" tcp "$2" hi >"$3" &
	HOLD=$!
	until_true file_has "$3" connected
}
reload_waits() { [ "$(state "$1")" = CLOSED ] && kill -0 "$2" 2>/dev/null; }

# 1. free of a listener a reload is removing: refused while the reload
# waits for another listener's channel, and the reload finishes.
X=$("$WSL_PROBE" port)
Y=$("$WSL_PROBE" port)
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "x": {"url": "net.tcp://127.0.0.1:$X/", "handler": {"type": "echo"}},
  "y": {"url": "net.tcp://127.0.0.1:$Y/", "handler": {"type": "echo"},
        "open": true, "properties": {"close-timeout": 3000}}
}}
EOF
wsld_start -c "$T/wsld.json"
hold_channel "$T/go1" "$Y" "$T/chan1"
echo '{"listeners": {}}' >"$T/wsld.json"
"$WSLCTL" reload >"$T/reload1" 2>&1 &
R=$!
until_true reload_waits y $R
run "$WSLCTL" free x
expect "free of a listener a reload removes is refused meanwhile (exit 4)" \
    4 "$RC"
expect_match "... saying why" "listener 'x' is being changed by a reload" \
    "$ERR"
run "$WSLCTL" open x
expect "... as is open" 4 "$RC"
run "$WSLCTL" abort x
expect "... but abort works, whatever happens" 0 "$RC"
wait $R
expect "the reload finishes (exit 0)" 0 $?
expect "... having removed both" "x removed -|y removed -" \
    "$(awk 'NF == 3 { print $1, $2, $3 }' "$T/reload1" | paste -sd'|')"
expect "wsld is alive and both are gone" "0 " \
    "$("$WSLCTL" -q version; echo "$? $("$WSLCTL" list)")"
touch "$T/go1"

# 2. A name never goes without its listener while a reload replaces it.
# Not on the same address (no hand-over): the old one closes, waiting for
# its channel, and keeps the name until the new one takes it.
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "z": {"url": "net.tcp://127.0.0.1:$X/", "handler": {"type": "echo"},
        "open": true, "properties": {"close-timeout": 3000}}
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
run "$WSLCTL" create z net.tcp://127.0.0.1:0/
expect "... and create cannot take the name (exit 1, ERROR_ALREADY_EXISTS)" \
    "1 ERROR_ALREADY_EXISTS" "$RC $(printf '%s' "$ERR" |
    grep -o ERROR_ALREADY_EXISTS)"
wait $R
expect "the reload replaces it (exit 0)" "0 z changed OPEN" \
    "$? $(awk 'NF == 3 { print $1, $2, $3 }' "$T/reload2")"
expect "the name leads to the new listener, on its new port" "OPEN $Y" \
    "$(state z) $(field z port)"
touch "$T/go2"
# On the same address, the new listener takes the socket and the name at
# once; the old one finishes its channel aside.
hold_channel "$T/go3" "$Y" "$T/chan3"
sed 's/"close-timeout": 3000/"close-timeout": 3000, "listen-backlog": 32/' \
    "$T/wsld.json" >"$T/wsld.new" && mv "$T/wsld.new" "$T/wsld.json"
"$WSLCTL" reload >"$T/reload3" 2>&1 &
R=$!
wait $R
expect "a hand-over answers at once, with the new listener OPEN" \
    "0 z changed OPEN" "$? $(awk 'NF == 3 { print $1, $2, $3 }' "$T/reload3")"
expect "... which has the name, the socket and the new backlog" \
    "OPEN reload 32" "$(state z) $(origin z) $("$WSLCTL" get z listen-backlog)"
expect "... and serves" "connected eof hi" \
    "$(oneline "$("$WSL_PROBE" tcp "$Y" hi)")"
touch "$T/go3"
wait $HOLD
expect_eventually "the replaced listener is freed once its channel has ended" \
    file_has "$T/wsld.log" "listener 'z': freed (as replaced by a reload"
wsld_stop
expect "wsld exits 0" 0 "$WSLD_STATUS"

# 3. SIGTERM while `wslctl reload` waits for a channel: the reload is
# answered, the state saved first, STOPPING=1 is the last word, and the
# stop takes the close timeout, not the 30 s grace.
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "down": {"url": "net.tcp://127.0.0.1:$X/", "handler": {"type": "echo"},
           "open": true},
  "y": {"url": "net.tcp://127.0.0.1:$Y/", "handler": {"type": "echo"},
        "open": true, "properties": {"close-timeout": 2000}}
}}
EOF
sysd_start -- --fd-store -c "$T/wsld.json"
until_true sysd_has READY=1
"$WSLCTL" abort down >/dev/null
hold_channel "$T/go4" "$Y" "$T/chan4"
printf '{"listeners": {"down": %s}}\n' \
    "{\"url\": \"net.tcp://127.0.0.1:$X/\", \"handler\": {\"type\": \"echo\"}, \"open\": true}" \
    >"$T/wsld.json"
"$WSLCTL" reload >"$T/reload4" 2>&1 &
R=$!
until_true reload_waits y $R
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
    "FDSTORE=1|FDNAME=_wsld_state STOPPING=1|STATUS=stopping FDSTOREREMOVE=1|FDNAME=_wsld_state FDSTORE=1|FDNAME=_wsld_state" \
    "$(sysd_msgs 1 | sed -n '/_wsld_state/,$p' | tr '\n' ' ' |
    sed 's/ $//')"
expect "the FAULTED listener is still FAULTED after the restart" FAULTED \
    "$(state down)"
touch "$T/go4"

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

# 5. SIGTERM while an operator's close waits for a channel: the close is
# answered, the listener freed, wsld exits 0.
wsld_stop
wsld_start
"$WSLCTL" create w "net.tcp://127.0.0.1:$X/" --echo --open \
    --property close-timeout=2000 >/dev/null
hold_channel "$T/go5" "$X" "$T/chan5"
"$WSLCTL" close w >"$T/close5" 2>&1 &
C=$!
until_true state_is w CLOSED
kill -TERM "$WSLD_PID"
wait "$WSLD_PID"
expect "SIGTERM during a close that waits for a channel: exit 0" 0 $?
WSLD_PID=
wait $C
expect "... the close is answered" "0 w CLOSED" "$? $(cat "$T/close5")"
expect_match "... and the listener freed" "listener 'w': freed" \
    "$(cat "$T/wsld.log")"
touch "$T/go5"

# 6. Every transition logged is one the core made: under commands racing
# on one listener, each line is a legal edge by an operation that makes
# it (open, close, abort and reset each have theirs).
wsld_start
"$WSLCTL" create r "net.tcp://127.0.0.1:$X/" --echo --open >/dev/null
"$WSL_PROBE" -e -t 2000 -j 2 -u "$T/stop6" load "$X" 100000000 x \
    >/dev/null &
L=$!
req() { for v in "$@"; do printf '{"command":"%s","arguments":{"name":"r"}}\n' "$v"; done; }
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
done
touch "$T/stop6"
wait $L
expect "every racing request was answered" "" \
    "$(grep -lx timeout "$T"/race.* 2>/dev/null)"
illegal=$(sed -n "s/.*listener 'r': \([A-Z]*\) -> \([A-Z]*\) (\([a-z]*\) .*/\1 \2 \3/p" \
    "$T/wsld.log" | grep -vxE 'CREATED OPENING open|OPENING (OPEN|CREATED|FAULTED) open|CREATED CLOSED close|(OPEN|FAULTED) CLOSING close|CLOSING CLOSED close|OPEN FAULTED abort|CLOSED CREATED reset' | sort | uniq -c)
expect "every logged transition is a legal one, by the right operation" "" \
    "$illegal"
diag "$(grep -c "listener 'r': [A-Z]* -> " "$T/wsld.log") transitions logged"
chain=$(sed -n "s/.*listener 'r': \([A-Z]*\) -> \([A-Z]*\) .*/\1 \2/p" \
    "$T/wsld.log" | awk 'NR > 1 && $1 != last { bad++ } { last = $2 }
    END { print bad + 0 }')
expect "... and each starts where the one before ended" 0 "$chain"
n=0
free_r() {
	"$WSLCTL" close r >/dev/null 2>&1
	"$WSLCTL" reset r >/dev/null 2>&1
	"$WSLCTL" free r >/dev/null 2>&1
}
expect_eventually "nothing is stuck: r closes, resets and is freed" free_r

finish
