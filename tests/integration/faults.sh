#!/bin/sh
# SPDX-License-Identifier: ISC
# Fault injection (wsld --fault-injection): accept failures (EMFILE,
# ENFILE, ENOBUFS, ECONNABORTED), hand-off failures (sendmsg of the
# descriptor), allocation failures in the control path.  wsld keeps
# serving, every affected connection is counted, nothing leaks (the
# descriptor count comes back; LeakSanitizer checks memory at exit in the
# sanitizer builds).
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start --fault-injection
inject() { "$WSLCTL" call inject "$1" >/dev/null; }
base=$(fd_count)

"$WSLCTL" create e net.tcp://127.0.0.1:0/ --echo --open >/dev/null
E=$(field e port)
for err in EMFILE ENFILE ENOBUFS ECONNABORTED; do
	inject "{\"fault\": \"accept-error\", \"name\": \"e\", \"errno\": \"$err\", \"count\": 3}"
	i=0
	out=
	while [ $i -lt 3 ]; do
		out="$out$("$WSL_PROBE" -t 10000 tcp "$E" "x$i" | tr '\n' ' ')"
		i=$((i + 1))
	done
	expect "$err on accept: every client is still served" \
	    "connected eof x0 connected eof x1 connected eof x2 " "$out"
	expect "... and the three failures are counted as $err" 3 \
	    "$(counter e "$err")"
done
expect_equation e

# A hand-off that fails: the waiting client is dropped, the channel is
# closed and counted; the next hand-off works.
"$WSLCTL" create h net.tcp://127.0.0.1:0/ --open >/dev/null
H=$(field h port)
"$WSLCTL" accept h >"$T/acc1" 2>&1 &
A=$!
until_true pending_accepts_are h 1
inject '{"fault": "sendmsg-error", "errno": "EPIPE", "count": 1}'
"$WSL_PROBE" -t 10000 tcp "$H" >"$T/lost"
wait $A
RC=$?
expect "a failed hand-off drops its client (wsld unreachable: exit 3)" 3 "$RC"
expect "... whose connection is closed cleanly" "connected eof" \
    "$(oneline "$(cat "$T/lost")")"
expect "... and counted as failed.hand-off" 1 "$(counter h hand-off)"
expect_match "... and in the control counters" '"hand-offs-failed":1' \
    "$("$WSLCTL" -j version)"
"$WSLCTL" accept h -- sh -c 'echo served' >"$T/acc2" 2>&1 &
A=$!
until_true pending_accepts_are h 1
expect "the next hand-off works" 'connected eof served\n' \
    "$(oneline "$("$WSL_PROBE" -t 10000 tcp "$H")")"
wait $A
expect_equation h

# Allocation failures on the control thread, at every point the requests
# below allocate: each request is answered or its connection closed,
# never left hanging, and wsld serves on.
hung=0
k=1
while [ $k -le 25 ]; do
	inject "{\"fault\": \"alloc-fail\", \"count\": $k}"
	printf '%s\n' '{"id":1,"command":"status","arguments":{"name":"e"}}' \
	    '{"id":2,"command":"list"}' \
	    '{"id":3,"command":"create","arguments":{"name":"m'$k'","url":"net.tcp://127.0.0.1:0/"}}' |
	    "$WSL_PROBE" -t 10000 ctl "$SOCK" >"$T/oom" 2>&1
	if grep -q timeout "$T/oom"; then
		hung=$((hung + 1))
		diag "round $k:" "$(cat "$T/oom")"
	fi
	# Faults the requests did not meet are still due: each connection
	# that meets one is closed, until the reset gets through.
	until_true inject '{"fault": "alloc-fail", "count": 0}' 2>/dev/null
	k=$((k + 1))
done
expect "25 rounds of allocation failures: no request left hanging" 0 "$hung"
run "$WSLCTL" list
expect "wsld serves on" 0 "$RC"
expect_match "connections it could not answer were counted" \
    '"closed-for-lack-of-memory":[1-9]' "$("$WSLCTL" -j version)"
expect "the echo listener still echoes" "connected eof after " \
    "$("$WSL_PROBE" -t 10000 tcp "$E" after | tr '\n' ' ')"

# Nothing left behind.
for n in $("$WSLCTL" list | awk '$1 ~ /^m[0-9]+$/ { print $1 }'); do
	"$WSLCTL" free "$n" >/dev/null
done
"$WSLCTL" close e >/dev/null
"$WSLCTL" free e >/dev/null
"$WSLCTL" close h >/dev/null
"$WSLCTL" free h >/dev/null
expect_fds_back "$base"

finish
