#!/bin/sh
# SPDX-License-Identifier: ISC
# Reload (wslctl reload and SIGHUP): listeners the file adds are created
# and opened, removed ones closed and freed, changed ones replaced in the
# same state (an OPEN one on the same address hands its socket over),
# unchanged ones untouched: socket, state, counters.  Under load, not one
# connection to an unchanged or replaced listener is refused.  A broken
# file changes nothing and says where it is broken.
. "${top_srcdir:-.}/tests/integration/lib.sh"

A=$("$WSL_PROBE" port)
B=$("$WSL_PROBE" port)
D=$("$WSL_PROBE" port)
C=$("$WSL_PROBE" port)
conf() { # conf B-BACKLOG [EXTRA-LISTENERS [A-OPEN]]
	cat >"$T/wsld.json" <<EOF
{"listeners": {
  "a": {"url": "net.tcp://127.0.0.1:$A/", "handler": {"type": "echo"},
        "open": ${3:-true}},
  "b": {"url": "net.tcp://127.0.0.1:$B/", "handler": {"type": "echo"},
        "properties": {"listen-backlog": $1}, "open": true},
  "down": {"url": "net.tcp://127.0.0.1:$D/", "handler": {"type": "echo"},
           "properties": {"listen-backlog": $1}, "open": true},
  "acc": {"url": "net.tcp://127.0.0.1:$C/",
          "properties": {"listen-backlog": $1}, "open": true}${2:-}
}}
EOF
}
conf 64 ', "c": {"url": "net.tcp://127.0.0.1:0/"}'
wsld_start -c "$T/wsld.json"
"$WSLCTL" create mine net.tcp://127.0.0.1:0/ >/dev/null
"$WSLCTL" abort down >/dev/null

# Clients connect in loops to a (unchanged) and b (changed) throughout.
"$WSL_PROBE" -e -j 2 -u "$T/stop" load "$A" 100000000 ping >"$T/load-a" &
LA=$!
"$WSL_PROBE" -e -j 2 -u "$T/stop" load "$B" 100000000 ping >"$T/load-b" &
LB=$!
above() { [ "$(counter "$1" accepted)" -gt "$2" ]; }
until_true above a 200
until_true above b 200
# And someone waits in accept on a listener the reload replaces.
"$WSLCTL" accept acc >/dev/null 2>"$T/acc.err" &
ACC=$!
until_true pending_accepts_are acc 1

conf 128 ', "e": {"url": "net.tcp://127.0.0.1:0/", "open": true}'
run "$WSLCTL" reload
expect "wslctl reload exits 0" 0 "$RC"
expect "it reports each listener it looked at" \
    "a unchanged OPEN|b changed OPEN|down changed FAULTED|acc changed OPEN|e added OPEN|c removed -" \
    "$(printf '%s\n' "$OUT" | awk 'NF == 3 { print $1, $2, $3 }' | paste -sd'|')"
expect_match "... and a summary" \
    "^reloaded $T/wsld.json: 1 added, 1 removed, 3 changed, 1 unchanged$" \
    "$(printf '%s\n' "$OUT" | tail -1)"
base_a=$(counter a accepted)
base_b=$(counter b accepted)
until_true above a $((base_a + 200))
until_true above b $((base_b + 200))
touch "$T/stop"
wait $LA $LB
expect_match "unchanged listener: not one connection refused or broken" \
    '^ok=[1-9][0-9]* refused=0 reset=0 empty=0 timeout=0 other=0$' \
    "$(cat "$T/load-a")"
expect_match "replaced listener: not one connection refused or broken" \
    '^ok=[1-9][0-9]* refused=0 reset=0 empty=0 timeout=0 other=0$' \
    "$(cat "$T/load-b")"
diag "a: $(cat "$T/load-a")" "b: $(cat "$T/load-b")"
expect "a kept its counters (nothing was reset)" yes \
    "$([ "$(counter a accepted)" -gt "$base_a" ] && echo yes)"
expect "b took over the old socket" "reload" \
    "$(origin b)"
expect "b has its new backlog" 128 "$("$WSLCTL" get b listen-backlog)"
expect "the changed FAULTED listener is still FAULTED" FAULTED "$(state down)"
wait $ACC
expect "the accept waiting on a replaced listener ends (exit 1)" 1 $?
expect_match "... with WS_E_OPERATION_ABORTED" WS_E_OPERATION_ABORTED \
    "$(cat "$T/acc.err")"
expect_eventually "... and the replaced listener is freed once that accept has ended" \
    file_has "$T/wsld.log" "listener 'acc': freed (as replaced by a reload"
expect "the listener made with create is left alone" CREATED "$(state mine)"
run "$WSLCTL" status c
expect "the removed listener is gone" 5 "$RC"

# SIGHUP does the same.
conf 128
kill -HUP "$WSLD_PID"
gone() { ! "$WSLCTL" -q status e 2>/dev/null; }
expect_eventually "SIGHUP reloads: e, no longer in the file, is gone" gone
expect_match "... and the log says what it did" \
    "reloaded $T/wsld.json: 0 added, 1 removed, 0 changed, 4 unchanged" \
    "$(cat "$T/wsld.log")"

# "open" only says what to do at creation: changing it changes nothing.
accepted=$(counter a accepted)
conf 128 "" false
run "$WSLCTL" -t 30 reload
expect "reload takes -t" 0 "$RC"
expect "a listener whose \"open\" changed is unchanged, still OPEN" \
    "a unchanged OPEN" "$(printf '%s\n' "$OUT" | awk '$1 == "a" { print $1, $2, $3 }')"
expect "... with its counters" "$accepted" "$(counter a accepted)"

# A broken file changes nothing, and says where it is broken.
before=$("$WSLCTL" list)
printf '{"listeners": {\n  "a": {"url": 5}\n}}\n' >"$T/wsld.json"
run "$WSLCTL" reload
expect "a wrong file: reload exits 2" 2 "$RC"
expect_match "... naming file, line and column" \
    "$T/wsld.json:2:16: listeners.a: \"url\" must be a string.*; nothing changed" \
    "$ERR"
printf '{"listeners": {\n  "a": {"url": "net.tcp://127.0.0.1:1/",,}\n}}\n' \
    >"$T/wsld.json"
run "$WSLCTL" reload
expect_match "a JSON syntax error too" "^wslctl: reload: .*$T/wsld.json:2:" \
    "$ERR"
expect "nothing changed" "$before" "$("$WSLCTL" list)"

# Applied but not everywhere: an added listener cannot open (its port is
# another's).  The reply, an error, still has the table of what it did.
TAKEN=$(field a port)
printf '{"listeners": {"a": {"url": "net.tcp://127.0.0.1:%s/", "handler": {"type": "echo"}, "open": true},\n "x": {"url": "net.tcp://127.0.0.1:%s/", "open": true}}}\n' \
    "$A" "$TAKEN" >"$T/wsld.json"
: >"$T/wsld.log"
run "$WSLCTL" reload
expect "a reload applied but not everywhere fails (exit 1)" 1 "$RC"
expect_match "... and still prints what it did with each listener" \
    "^x +added +CREATED$" "$OUT"
expect_match "... saying where it failed" "applied, but not everywhere: x: open failed" "$ERR"
expect "one log line for the reload, saying who asked" 1 \
    "$(grep -c "reload of $T/wsld.json applied, but not everywhere: .* (by uid [0-9]* pid [0-9]*)$" "$T/wsld.log")"
expect "... and none at its start" 0 "$(grep -c "^wsld: reload of $T/wsld.json (" "$T/wsld.log")"
wsld_stop

# Nothing to reload without a file.
wsld_start
run "$WSLCTL" reload
expect "without a configuration file, reload exits 4" 4 "$RC"
expect_match "... and says why" "started without a configuration file" "$ERR"

finish
