#!/bin/sh
# SPDX-License-Identifier: ISC
# accept from the shell: a channel handed over with its descriptor, a
# pending `wslctl accept` cancelled by `wslctl abort` from another process,
# accepts after the abort failing at once, timeouts, several accepts
# pending at once, and the raw reply carrying exactly one descriptor.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start
"$WSLCTL" create web net.tcp://127.0.0.1:0/ --open >/dev/null
PORT=$(field web port)

# A channel, served by a command with the connection on stdin/stdout.
"$WSLCTL" accept web -- sh -c 'echo "hello $WSL_PEER_ADDRESS via $WSL_LISTENER"; cat' \
    >"$T/acc1" 2>&1 &
ACC=$!
until_true pending_accepts_are web 1
run "$WSL_PROBE" tcp "$PORT" "ping"
expect "the command answers the client through the channel" \
    "connected eof hello 127.0.0.1 via web\nping" "$(oneline "$OUT")"
wait $ACC
expect "accept -- COMMAND exits with the command's status" 0 $?

# The command gets the connection in blocking mode, as accept(2) gives it
# (wsld accepts non-blocking for its own loops): O_NONBLOCK (04000) clear.
"$WSLCTL" accept web -- sh -c 'f=$(awk "/^flags/ { print \$2 }" /proc/self/fdinfo/0); echo "nonblock=$(( 0$f & 04000 ))"' \
    >"$T/accb" 2>&1 &
ACC=$!
until_true pending_accepts_are web 1
run "$WSL_PROBE" tcp "$PORT" ""
expect "the command's stdin is blocking" "connected eof nonblock=0\n" "$(oneline "$OUT")"
wait $ACC

# Without a command: the connection's bytes on stdout, stdin to it.
echo "from stdin" | "$WSLCTL" accept web >"$T/acc2" 2>"$T/acc2.err" &
ACC=$!
until_true pending_accepts_are web 1
run "$WSL_PROBE" tcp "$PORT" "from the client"
expect "stdin reaches the client, which then sees EOF" \
    "connected eof from stdin\n" "$(oneline "$OUT")"
wait $ACC
expect "accept exits 0 when the peer closes" 0 $?
expect "stdout carries only the connection's bytes" "from the client" "$(cat "$T/acc2")"

# A pending accept, cancelled by an abort from another process.
"$WSLCTL" accept web >"$T/acc3" 2>"$T/acc3.err" &
ACC=$!
until_true pending_accepts_are web 1
run "$WSLCTL" abort web
expect "abort answers with the state" "web FAULTED 0" "$OUT $RC"
wait $ACC
expect "the pending accept exits 1" 1 $?
expect_match "... with WS_E_OPERATION_ABORTED" \
    '^wslctl: accept web: WS_E_OPERATION_ABORTED \(0x803D0004\): ' \
    "$(cat "$T/acc3.err")"
run "$WSLCTL" accept web
expect "a new accept fails at once: exit 4" 4 "$RC"
expect_match "... with WS_E_OBJECT_FAULTED" 'WS_E_OBJECT_FAULTED \(0x803D0001\)' "$ERR"
run "$WSL_PROBE" tcp "$PORT"
expect "the aborted listener refuses connections" "refused" "$OUT"

# Several accepts pending at once: abort completes every one of them.
"$WSLCTL" close web >/dev/null
"$WSLCTL" reset web >/dev/null
"$WSLCTL" open web >/dev/null
PORT=$(field web port)
for i in 1 2 3; do
	"$WSLCTL" accept web >/dev/null 2>"$T/many$i.err" &
	eval "PID$i=\$!"
done
until_true pending_accepts_are web 3
run "$WSLCTL" -j abort web
expect_match "abort reports 3 cancelled accepts" '"cancelled":\{"pending-accepts":3,' "$OUT"
for i in 1 2 3; do
	eval "wait \$PID$i"
	expect "pending accept $i exits 1" 1 $?
	expect_match "... WS_E_OPERATION_ABORTED" 'WS_E_OPERATION_ABORTED' "$(cat "$T/many$i.err")"
done
run "$WSLCTL" status web
expect_match "counters: 4 aborted accepts in all" 'aborted-accepts=4' "$OUT"

# Close also aborts pending accepts (and waits for them).
"$WSLCTL" close web >/dev/null
"$WSLCTL" reset web >/dev/null
"$WSLCTL" open web >/dev/null
"$WSLCTL" accept web >/dev/null 2>"$T/closed.err" &
ACC=$!
until_true pending_accepts_are web 1
run "$WSLCTL" close web
expect "close answers CLOSED" "web CLOSED 0" "$OUT $RC"
wait $ACC
expect "the accept pending during close exits 1" 1 $?
expect_match "... WS_E_OPERATION_ABORTED" 'WS_E_OPERATION_ABORTED' "$(cat "$T/closed.err")"

# Timeout, and listeners whose channels go elsewhere.
"$WSLCTL" reset web >/dev/null
"$WSLCTL" open web >/dev/null
run "$WSLCTL" -t 0.2 accept web
expect "accept with -t and no client: exit 124" 124 "$RC"
expect_match "... WS_E_OPERATION_TIMED_OUT" 'WS_E_OPERATION_TIMED_OUT \(0x803D0006\)' "$ERR"
expect "and nothing stays pending" 0 "$(field web pending-accepts)"
"$WSLCTL" create echo net.tcp://127.0.0.1:0/ --echo --open >/dev/null
run "$WSLCTL" accept echo
expect "accept on an echo listener: exit 4" 4 "$RC"
expect_match "... says which handler has the channels" 'echo handler' "$ERR"

# The raw protocol: the reply carries exactly one descriptor.
PORT=$(field web port)
printf '{"id":7,"command":"accept","arguments":{"name":"web"}}\n' |
    "$WSL_PROBE" ctl "$SOCK" >"$T/raw" &
RAW=$!
until_true pending_accepts_are web 1
"$WSL_PROBE" tcp "$PORT" >/dev/null
wait $RAW
expect_match "the accept reply carries one descriptor" \
    '^fds=1 \{"id":7,"result":0,"hresult":"0x00000000","text":"accepted a channel from 127\.0\.0\.1:[0-9]+"' \
    "$(head -1 "$T/raw")"
expect_match "... and describes the channel's peer" '"channel":\{"peer":"127\.0\.0\.1:[0-9]+","peer-address":"127\.0\.0\.1","peer-port":[0-9]+\}' "$(head -1 "$T/raw")"

# The reply has the channel and the listener's name and state only.
expect_match "... and only that: no whole listener object" \
    '"arguments":\{"name":"web","state":"OPEN","channel":\{[^{}]*\}\}\}$' \
    "$(head -1 "$T/raw")"

# Pipelined accepts on one connection: each answered when its channel
# comes, with its id, while a later status is answered at once; one that
# times out among them leaves the others pending; the channels go to the
# accepts in the order they were made.
{
	printf '{"id":1,"command":"accept","arguments":{"name":"web","timeout-ms":20000}}\n'
	printf '{"id":2,"command":"accept","arguments":{"name":"web","timeout-ms":200}}\n'
	printf '{"id":3,"command":"accept","arguments":{"name":"web","timeout-ms":20000}}\n'
	printf '{"id":4,"command":"status","arguments":{"name":"web"}}\n'
} | "$WSL_PROBE" -t 20000 ctl "$SOCK" >"$T/pipe" &
RAW=$!
ids() { sed -n 's/^fds=\([0-9]\) {"id":\([0-9]*\),"result":\([0-9]*\).*/\2:\3:\1/p' "$T/pipe" | tr '\n' ' '; }
ids_are() { [ "$(ids)" = "$1" ]; }
expect_eventually "status (4) is answered at once, the accept that timed out (2, exit class 124) next" \
    ids_are "4:0:0 2:124:0 "
until_true pending_accepts_are web 2
"$WSL_PROBE" tcp "$PORT" >/dev/null
"$WSL_PROBE" tcp "$PORT" >/dev/null
wait $RAW
expect "then the two channels, to 1 and 3 in turn, a descriptor each" \
    "4:0:0 2:124:0 1:0:1 3:0:1 " "$(ids)"
expect_match "the one that timed out says so" \
    '"id":2,.*WS_E_OPERATION_TIMED_OUT' "$(grep '"id":2,' "$T/pipe")"
expect "nothing stays pending" 0 "$(field web pending-accepts)"

# A client that goes away while its accept is pending cancels it.
"$WSLCTL" accept web >/dev/null 2>&1 &
ACC=$!
until_true pending_accepts_are web 1
kill -TERM $ACC
{ wait $ACC; } 2>/dev/null
until_true pending_accepts_are web 0
expect "a vanished client's accept is cancelled" 0 "$(field web pending-accepts)"
finish
