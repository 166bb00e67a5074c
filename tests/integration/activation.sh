#!/bin/sh
# SPDX-License-Identifier: ISC
# Socket activation, with systemd-socket-activate in systemd's place: the
# control socket and listener sockets come as named descriptors; the first
# control connection starts wsld; a listener adopts the descriptor of its
# own name instead of binding, and still follows the state machine (abort
# refuses, close/reset/open work again, on the same socket for TCP).
. "${top_srcdir:-.}/tests/integration/lib.sh"

if ! command -v systemd-socket-activate >/dev/null 2>&1; then
	skip "systemd-socket-activate is not installed"
	finish
fi
mkdir "$T/pipes"
WEB=$("$WSL_PROBE" port)
DARK=$("$WSL_PROBE" port)
STRAY=$("$WSL_PROBE" port)
WRONG=$("$WSL_PROBE" port)
OTHER=$("$WSL_PROBE" port)
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "web": {"url": "net.tcp://127.0.0.1:$WEB/", "handler": {"type": "echo"},
          "open": true},
  "pipe": {"url": "net.pipe://localhost/pipe.sock",
           "handler": {"type": "echo"}, "open": true},
  "dark": {"url": "net.tcp://127.0.0.1:$DARK/", "handler": {"type": "echo"}},
  "wrong": {"url": "net.tcp://127.0.0.1:$OTHER/", "open": true}
}}
EOF
systemd-socket-activate -l "127.0.0.1:$WEB" -l "$T/pipes/pipe.sock" \
    -l "127.0.0.1:$DARK" -l "127.0.0.1:$STRAY" -l "127.0.0.1:$WRONG" \
    -l "$SOCK" --fdname=web:pipe:dark:stray:wrong:control \
    "$WSLD" -f -c "$T/wsld.json" -s "$SOCK" -p "$T/pipes" \
    >>"$T/wsld.log" 2>&1 &
WSLD_PID=$!
until_true file_has "$T/wsld.log" "Listening on $SOCK"

# The first control connection starts wsld, and is answered by it.
run "$WSLCTL" -t 10 list
expect "the first control connection starts wsld and is answered" 0 "$RC"
expect_match "wsld took the control socket from systemd" \
    "control socket $SOCK \(from systemd\)" "$(cat "$T/wsld.log")"

echo_tcp() { "$WSL_PROBE" -t 5000 tcp "$1" "${2:-hi}" | tr '\n' ' '; }
echo_pipe() { "$WSL_PROBE" -t 5000 unix "$T/pipes/pipe.sock" hi | tr '\n' ' '; }

expect "web is OPEN" OPEN "$(state web)"
expect "web listens on the descriptor systemd passed" "socket-activation" \
    "$(origin web)"
expect "... on systemd's port" "$WEB" "$(field web port)"
expect "web echoes" "connected eof hi " "$(echo_tcp "$WEB")"
expect "pipe adopted the Unix socket systemd passed" "socket-activation" \
    "$(origin pipe)"
expect "pipe echoes" "connected eof hi " "$(echo_pipe)"

# The state machine on an adopted socket.
"$WSLCTL" abort web >/dev/null
expect "abort: web refuses connections" "refused " "$(echo_tcp "$WEB")"
"$WSLCTL" close web >/dev/null && "$WSLCTL" reset web >/dev/null
expect "closed: still refused" "refused " "$(echo_tcp "$WEB")"
run "$WSLCTL" open web
expect "open again after close and reset" "web OPEN" "$OUT"
expect "... on the same socket" "socket-activation" "$(origin web)"
expect "... which echoes again" "connected eof again " "$(echo_tcp "$WEB" again)"

"$WSLCTL" abort pipe >/dev/null
expect "abort: pipe refuses connections" "refused " "$(echo_pipe)"
"$WSLCTL" close pipe >/dev/null && "$WSLCTL" reset pipe >/dev/null
run "$WSLCTL" open pipe
expect "pipe opens again (a shut-down Unix socket cannot listen again: a \
fresh one is bound)" "pipe OPEN bound" "$OUT $(origin pipe)"
expect "... and echoes" "connected eof hi " "$(echo_pipe)"

# Passed, but its listener is not open: it refuses instead of queueing.
expect "dark (not open) refuses connections on its passed socket" \
    "refused " "$(echo_tcp "$DARK")"
run "$WSLCTL" open dark
expect "dark opens on it when asked" "dark OPEN socket-activation" \
    "$OUT $(origin dark)"
expect "... and echoes" "connected eof hi " "$(echo_tcp "$DARK")"

# A descriptor no listener claims is closed, not left to queue.
expect_match "the unclaimed descriptor is reported" \
    "named 'stray' belongs to no listener; closed" "$(cat "$T/wsld.log")"
expect "... and refuses connections" "refused " "$(echo_tcp "$STRAY")"

# A descriptor that is not what the URL names is not used.
expect "wrong stays CREATED" CREATED \
    "$(state wrong)"
expect_match "... and says why" \
    "does not match the URL: it is bound to port $WRONG, the URL says $OTHER" \
    "$("$WSLCTL" status wrong)"

finish
