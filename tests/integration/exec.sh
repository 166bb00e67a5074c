#!/bin/sh
# SPDX-License-Identifier: ISC
# The exec handler: a real command on the connection, its environment, no
# descriptor of wsld's in the child, the concurrent-children limit (accepts
# deferred, clients wait in the kernel's queue), spawn failures counted,
# children outliving an abort, and no zombie or descriptor left behind.
. "${top_srcdir:-.}/tests/integration/lib.sh"
# A variable of the same name in wsld's environment must not win.
WSL_LISTENER=stale wsld_start
BASE=$(fd_count)

exec_listener() { # NAME COMMAND-JSON [extra]
	"$WSLCTL" create "$1" net.tcp://127.0.0.1:0/ \
	    --handler "{\"type\":\"exec\",\"command\":$2${3:-}}" --open >/dev/null
}

exec_listener cat '["/bin/cat"]'
expect "status shows the command" 'handler exec command=["/bin/cat"]' \
    "$("$WSLCTL" status cat | grep '^handler ')"
run "$WSL_PROBE" tcp "$(field cat port)" "through cat"
expect "a command serves the connection on stdin and stdout" \
    "connected eof through cat" "$(oneline "$OUT")"
exec_listener env '["/bin/sh","-c","echo $WSL_LISTENER $WSL_PEER_ADDRESS $PROTO $TCPREMOTEIP $TCPLOCALPORT"]'
run "$WSL_PROBE" tcp "$(field env port)"
expect "the child knows its listener and peer (wsld's stale WSL_LISTENER replaced)" \
    "connected eof env 127.0.0.1 TCP 127.0.0.1 $(field env port)\n" "$(oneline "$OUT")"
exec_listener fds '["/bin/ls","/proc/self/fd"]'
run "$WSL_PROBE" tcp "$(field fds port)"
expect "the child holds no descriptor of wsld's (3 is ls's own)" \
    "connected eof 0\n1\n2\n3\n" "$(oneline "$OUT")"

# The limit: two children at once; a third client waits in the kernel.
exec_listener two '["/bin/sh","-c","read x; echo $x"]' ',"max-channels":2'
PORT=$(field two port)
for i in 1 2 3; do
	"$WSL_PROBE" -w "$T/go$i" tcp "$PORT" "client $i" >"$T/c$i" &
	eval "P$i=\$!"
	until_true file_has "$T/c$i" connected
done
until_true counter_is two active 2
expect "at the limit: two children run" 2 "$(counter two active)"
expect "... no accept is pending (accepting is deferred)" 0 "$(field two pending-accepts)"
until_true counter_is two depth 1
expect "... and the third client waits in the kernel's queue" 1 "$(counter two depth)"
touch "$T/go1"
wait $P1
expect "the first child answers" "connected eof client 1\n" "$(oneline "$(cat "$T/c1")")"
until_true counter_is two depth 0
expect "when it exits, the third client is accepted" 0 "$(counter two depth)"
touch "$T/go2" "$T/go3"
wait $P2 $P3
expect "... and served" "connected eof client 3\n" "$(oneline "$(cat "$T/c3")")"
until_true counter_is two active 0
expect_equation two

# A command that cannot start.
exec_listener missing '["/nonexistent/command"]'
run "$WSL_PROBE" tcp "$(field missing port)" "anyone?"
expect_match "a command that cannot run: the client sees the end" "^connected (eof|reset)" "$(oneline "$OUT")"
expect "counted as a spawn failure" 1 "$(counter missing spawn)"
run "$WSL_PROBE" -t 5000 tcp "$(field missing port)" "again?"
expect_match "the next client is accepted too (the loop goes on after a failure)" \
    "^connected (eof|reset)" "$(oneline "$OUT")"
expect "counted again" 2 "$(counter missing spawn)"
expect_equation missing

# Children outlive an abort of their listener.
exec_listener long '["/bin/sh","-c","read x; echo still $x"]'
"$WSL_PROBE" -w "$T/golong" tcp "$(field long port)" "here" >"$T/long" &
PL=$!
until_true counter_is long active 1
"$WSLCTL" abort long >/dev/null
touch "$T/golong"
wait $PL
expect "a child started before the abort carries on" "connected eof still here\n" \
    "$(oneline "$(cat "$T/long")")"
until_true counter_is long active 0
expect "... and is reaped" 0 "$(zombies)"

for l in cat env fds two missing long; do
	"$WSLCTL" close $l >/dev/null
	"$WSLCTL" free $l >/dev/null
done
expect_fds_back "$BASE" # with every listener freed
run "$WSLCTL" create bad net.tcp://127.0.0.1:0/ --handler '{"type":"exec","command":"cat"}'
expect_match "a command must be an array" '"command" must be an array of non-empty strings' "$ERR"
expect "no zombie" 0 "$(zombies)"
finish
