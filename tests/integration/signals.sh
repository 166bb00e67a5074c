#!/bin/sh
# SPDX-License-Identifier: ISC
# SIGTERM and SIGINT close every listener and exit 0: pending accepts are
# answered (aborted), queued connections end cleanly, socket files go.
. "${top_srcdir:-.}/tests/integration/lib.sh"
mkdir "$T/pipes"

for sig in TERM INT; do
	wsld_start -p "$T/pipes"
	"$WSLCTL" create web net.tcp://127.0.0.1:0/ --open >/dev/null
	"$WSLCTL" create pipe net.pipe://localhost/p.sock --echo --open >/dev/null
	"$WSLCTL" create spare net.tcp://127.0.0.1:0/ >/dev/null
	"$WSLCTL" create queue net.tcp://127.0.0.1:0/ --open >/dev/null
	"$WSLCTL" accept web >/dev/null 2>"$T/acc.err" &
	ACC=$!
	until_true pending_accepts_are web 1
	QPORT=$(field queue port)
	rm -f "$T/queued"
	"$WSL_PROBE" tcp "$QPORT" >"$T/queued" &
	Q=$!
	until_true file_has "$T/queued" connected
	kill -$sig "$WSLD_PID"
	wait "$WSLD_PID"
	expect "SIG$sig: wsld exits 0" 0 $?
	WSLD_PID=
	wait $ACC
	expect "SIG$sig: the pending accept was answered (exit 1)" 1 $?
	expect_match "SIG$sig: ... with WS_E_OPERATION_ABORTED" 'WS_E_OPERATION_ABORTED' "$(cat "$T/acc.err")"
	wait $Q
	expect "SIG$sig: a queued connection is closed cleanly, not left hanging" \
	    "connected eof" "$(oneline "$(cat "$T/queued")")"
	expect "SIG$sig: the control socket is removed" "gone" \
	    "$([ -e "$SOCK" ] && echo there || echo gone)"
	expect "SIG$sig: the pipe socket is removed" "gone" \
	    "$([ -e "$T/pipes/p.sock" ] && echo there || echo gone)"
	expect_match "SIG$sig: the log says every listener was freed" \
	    "listener 'spare': freed \(at shutdown \(SIG$sig\)\)" \
	    "$(cat "$T/wsld.log")"
done

# A second wsld on a socket that answers refuses to start.
wsld_start
run "$WSLD" -f -s "$SOCK"
expect "a second wsld on a live socket exits 1" 1 "$RC"
expect_match "... saying so" "another wsld answers on $SOCK" "$ERR"
run "$WSLCTL" version
expect "the first one still answers" 0 "$RC"
wsld_stop
# A stale socket file (nobody answers) is replaced.
leave_stale_socket() { # a wsld killed without a chance to clean up
	"$WSLD" -f -s "$SOCK" >>"$T/wsld.log" 2>&1 &
	p=$!
	until_true "$WSLCTL" -q version 2>/dev/null
	kill -KILL $p
	wait $p 2>/dev/null
}
leave_stale_socket
expect "a killed wsld leaves its socket file behind" "there" \
    "$([ -S "$SOCK" ] && echo there || echo gone)"
wsld_start
run "$WSLCTL" version
expect "a new wsld replaces the stale socket" 0 "$RC"
wsld_stop

# SIGTERM does not wait for clients longer than the close timeout: an
# echo channel whose client never ends is cut, and wsld exits 0.
wsld_start
"$WSLCTL" create slow net.tcp://127.0.0.1:0/ --echo -p close-timeout=300 \
    --open >/dev/null
"$WSL_PROBE" -w "$T/never" -t 60000 tcp "$(field slow port)" x >"$T/held" &
H=$!
until_true counter_is slow active 1
kill -TERM "$WSLD_PID"
wait "$WSLD_PID"
expect "SIGTERM with a channel that never ends: wsld exits 0" 0 $?
WSLD_PID=
expect_match "... having ended it at the close timeout" \
    "close: 0 channels finished, 1 ended at the close timeout" \
    "$(cat "$T/wsld.log")"
touch "$T/never"
wait $H
expect_match "... and its client saw the end" "^connected (eof|reset)" \
    "$(oneline "$(cat "$T/held")")"
finish
