#!/bin/sh
# SPDX-License-Identifier: ISC
# Restart through the systemd fd store, the test (wsl-sysd) playing
# systemd's part: wsld stores each OPEN listener's socket under its name,
# and at the stop its listeners' states and counters; the next wsld gets
# them back.  A client connecting in a loop all along sees not one refused
# or broken connection; a FAULTED listener stays FAULTED, a CLOSED one
# CLOSED, one made with `create` comes back, counters go on.  A stop that
# empties the store (SIGUSR2) starts from the configuration instead.
. "${top_srcdir:-.}/tests/integration/lib.sh"

mkdir "$T/pipes"
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "web": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"},
          "open": true},
  "pipe": {"url": "net.pipe://localhost/p.sock",
           "handler": {"type": "echo"}, "open": true},
  "down": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"},
           "open": true},
  "off": {"url": "net.tcp://127.0.0.1:0/", "open": true}
}}
EOF
sysd_start -- --fd-store -c "$T/wsld.json" -p "$T/pipes"
until_true sysd_has READY=1
"$WSLCTL" create extra net.tcp://127.0.0.1:0/ --echo --open >/dev/null
expect_eventually "an OPEN listener's socket goes to the fd store under its name" \
    sysd_has "FDSTORE=1|FDNAME=extra"
WEB=$(field web port)
DOWN=$(field down port)
"$WSLCTL" abort down >/dev/null
"$WSLCTL" close off >/dev/null
expect_eventually "... and leaves it when the listener closes" \
    sysd_has "FDSTOREREMOVE=1|FDNAME=off"
expect "an aborted listener's socket leaves the store too" 1 \
    "$(sysd_msgs | grep -c 'FDSTOREREMOVE=1|FDNAME=down')"

# A client connects in a loop across the restart.
"$WSL_PROBE" -e -j 4 -u "$T/stop" load "$WEB" 100000000 ping >"$T/load" &
LOAD=$!
above() { [ "$(counter web accepted)" -gt "$1" ]; }
until_true above 300
kill -USR1 "$WSLD_PID"
until_true sysd_has READY=1 2
base=$(counter web accepted)
until_true above $((base + 300))
touch "$T/stop"
wait $LOAD
expect_match "not one connection refused or broken across the restart" \
    '^ok=[1-9][0-9]* refused=0 reset=0 empty=0 timeout=0 other=0$' \
    "$(cat "$T/load")"
diag "$(cat "$T/load")"

expect "the first wsld stored its state as the stop began, and again at its end" \
    "FDSTORE=1|FDNAME=_wsld_state STOPPING=1|STATUS=stopping FDSTORE=1|FDNAME=_wsld_state_end FDSTOREREMOVE=1|FDNAME=_wsld_state" \
    "$(sysd_msgs 1 | grep -E '_wsld_state|STOPPING' | tr '\n' ' ' |
    sed 's/ $//')"
expect "the second one got the open listeners' sockets and the final state" \
    "_wsld_state_end extra pipe web" \
    "$(awk -F'\t' '$1 == "START" && $2 == 2 { print $5 }' "$SYSD_LOG" |
    tr ':' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
expect "... and took the state out of the store" 1 \
    "$(sysd_msgs 2 | grep -c 'FDSTOREREMOVE=1|FDNAME=_wsld_state_end$')"
expect "web is OPEN on the stored socket, same port" "OPEN fd-store $WEB" \
    "$(state web) $(origin web) $(field web port)"
expect "pipe is OPEN on its stored socket" "OPEN fd-store" \
    "$(state pipe) $(origin pipe)"
expect "the FAULTED listener stays FAULTED" FAULTED "$(state down)"
expect "... and refuses connections" "refused " \
    "$("$WSL_PROBE" -t 5000 tcp "$DOWN" hi | tr '\n' ' ')"
expect "the CLOSED listener stays CLOSED (though the file says open)" \
    CLOSED "$(state off)"
expect "the listener made with create comes back OPEN" "OPEN fd-store" \
    "$(state extra) $(origin extra)"
expect "counters go on: accepted = delivered, and more than before" \
    "yes" "$([ "$(counter web accepted)" -gt "$base" ] &&
    [ "$(counter web accepted)" = "$(counter web delivered)" ] && echo yes)"
expect_equation web

# Stop, then start with an empty store: the configuration decides.
kill -USR2 "$WSLD_PID"
until_true sysd_has READY=1 3
expect "after a stop and start, listeners open as configured" \
    "OPEN OPEN" "$(state down) $(state off)"
expect "... and the one made with create is gone" "" \
    "$("$WSLCTL" status extra 2>/dev/null)"

expect "storing the state never logged a failure" 0 \
    "$(grep -c 'fd store: writing the state' "$T/wsld.log")"

finish
