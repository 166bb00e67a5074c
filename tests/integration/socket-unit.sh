#!/bin/sh
# SPDX-License-Identifier: ISC
# A socket unit's socket outlives wsld. wsl-sysd plays systemd: it binds
# the socket of the listener "web" (-S, as wsld-listener@web.socket does),
# passes it at every start and, while wsld is not running, watches it as
# systemd does, failing it on POLLHUP. An abort shuts the socket down, so
# that it refuses connections while web is FAULTED; when wsld lets go of it
# (the listener is freed, wsld stops), it listens again: the socket unit
# survives, and a connection to it starts wsld.
. "${top_srcdir:-.}/tests/integration/lib.sh"

WEB=$("$WSL_PROBE" port)
cat >"$T/wsld.json" <<EOF2
{"listeners": {
  "web": {"url": "net.tcp://127.0.0.1:$WEB/", "handler": {"type": "echo"},
          "open": true}
}}
EOF2
sysd_start -S "web=$WEB" -- --fd-store -c "$T/wsld.json"

echo_tcp() { "$WSL_PROBE" -t 5000 tcp "$WEB" "${1:-hi}" | tr '\n' ' '; }
tab=$(printf '\t')
# socket_line GEN: what wsl-sysd saw of web's socket once GEN exited.
socket_line() {
	awk -F'\t' -v g="$1" '$1 == "SOCKET" && $2 == g && $3 == "web" {
	    print $4 }' "$SYSD_LOG"
}
has_socket_line() { [ -n "$(socket_line "$1")" ]; }
started() { file_has "$SYSD_LOG" "^START$tab$1$tab"; }
passed() { awk -F'\t' -v g="$1" '$1 == "START" && $2 == g { print $5 }' "$SYSD_LOG"; }

expect "web opens on the socket unit's socket" "OPEN socket-activation" \
    "$(state web) $(origin web)"
expect "... and echoes" "connected eof hi " "$(echo_tcp)"
"$WSLCTL" abort web >/dev/null
expect "aborted, web refuses connections on it" "refused " "$(echo_tcp)"

# A stop (as systemctl stop: the fd store emptied) while web is FAULTED.
kill -QUIT "$WSLD_PID"
until_true has_socket_line 1
expect "wsld stopped with web FAULTED: its socket listens again (no POLLHUP)" \
    listening "$(socket_line 1)"
[ "$(socket_line 1)" = listening ] || sed 's/^/# /' "$SYSD_LOG"
expect "a connection to it is accepted, activates wsld and is echoed" \
    "connected eof again " "$(echo_tcp again)"
expect "... by the next wsld, given the same socket" "yes web" \
    "$(started 2 && echo yes) $(passed 2)"
kill -0 "$WSLD_PID" 2>/dev/null || bail "wsl-sysd has exited: no socket left"
until_true "$WSLCTL" -q version 2>/dev/null
expect "... on which web is OPEN again" "OPEN socket-activation" \
    "$(state web) $(origin web)"

# A restart through the fd store: web stays FAULTED, the socket survives.
"$WSLCTL" abort web >/dev/null
kill -USR1 "$WSLD_PID"
until_true has_socket_line 2
expect "a restart with web FAULTED: the socket listens meanwhile" \
    listening "$(socket_line 2)"
until_true started 3
until_true "$WSLCTL" -q version 2>/dev/null
expect "the next wsld gets it and the state: web is still FAULTED, refusing" \
    "web:_wsld_state_end FAULTED refused " \
    "$(passed 3) $(state web) $(echo_tcp)"
run sh -c '"$WSLCTL" close web && "$WSLCTL" reset web && "$WSLCTL" open web'
expect "close, reset and open: web serves on it again" \
    "0 OPEN socket-activation connected eof hi " \
    "$RC $(state web) $(origin web) $(echo_tcp)"

# Freed while wsld runs: the socket is systemd's alone, listening.
run sh -c '"$WSLCTL" close web && "$WSLCTL" free web'
expect "web closed and freed" 0 "$RC"
expect_match "... its socket listens, for the manager (nobody accepts)" \
    '^connected timeout' "$("$WSL_PROBE" -t 300 tcp "$WEB" hi | tr '\n' ' ')"

finish
