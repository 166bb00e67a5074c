#!/bin/sh
# SPDX-License-Identifier: ISC
# Out of memory, reload and stop: one policy.  A reload prepares everything
# it needs before it changes anything, so an allocation that fails at any
# point of it (the k-th allocation of the control thread, for every k the
# reload makes: the file, the access table, the plan, the new listeners and
# their operations, the name table) leaves the listeners either exactly as
# they were (answered E_OUTOFMEMORY, or the connection closed for lack of
# memory to answer) or exactly as the file says, never half-changed; wsld
# never dies.  And a stop with every allocation failing still closes and
# frees every listener and exits 0.
. "${top_srcdir:-.}/tests/integration/lib.sh"

P1=$("$WSL_PROBE" port)
P2=$("$WSL_PROBE" port)
A='{"listeners": {
  "keep": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true},
  "change": {"url": "net.tcp://127.0.0.1:'$P1'/", "handler": {"type": "echo"},
             "open": true, "properties": {"listen-backlog": 16}},
  "gone": {"url": "net.tcp://127.0.0.1:0/"}
}}'
B='{"listeners": {
  "keep": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true},
  "change": {"url": "net.tcp://127.0.0.1:'$P1'/", "handler": {"type": "echo"},
             "open": true, "properties": {"listen-backlog": 32}},
  "new": {"url": "net.tcp://127.0.0.1:'$P2'/", "handler": {"type": "echo"}, "open": true}
}}'
echo "$A" >"$T/wsld.json"
wsld_start --fault-injection -c "$T/wsld.json"
base=$(fd_count)
inject() { "$WSLCTL" call inject "$1" >/dev/null 2>&1; }
# What the listeners are: names, states, and change's backlog.
looks() {
	"$WSLCTL" list | awk '{ print $1, $2 }' | paste -sd' '
	"$WSLCTL" get change listen-backlog
}
KEEP=$(field keep port)
# keep is never touched: same socket (port 0 gives a new one if made
# again), whichever file is in force.
is_a() { [ "$(looks | paste -sd' ') $(field keep port)" = "change OPEN gone CREATED keep OPEN 16 $KEEP" ]; }
is_b() { [ "$(looks | paste -sd' ') $(field keep port)" = "change OPEN keep OPEN new OPEN 32 $KEEP" ]; }
expect "the listeners are as the first file says" yes "$(is_a && echo yes)"

k=0
refused=0
applied=0
half=0
streak=0
while [ $streak -lt 25 ] && [ $k -lt 2000 ]; do
	echo "$B" >"$T/wsld.json"
	inject "{\"fault\": \"alloc-fail\", \"skip\": $k, \"count\": 1}"
	run "$WSLCTL" -t 20000 reload
	# A fault the reload did not meet is still due: clear it.
	until_true inject '{"fault": "alloc-fail", "count": 0}'
	if is_b && { [ "$RC" -eq 0 ] || [ "$RC" -eq 3 ]; }; then
		applied=$((applied + 1))
		streak=$((streak + 1))
		echo "$A" >"$T/wsld.json"
		"$WSLCTL" reload >/dev/null || half=$((half + 1))
		is_a || { half=$((half + 1)); diag "k=$k: cannot go back"; }
	elif is_a && { [ "$RC" -eq 3 ] || { [ "$RC" -eq 1 ] &&
	    printf '%s' "$ERR" | grep -q E_OUTOFMEMORY; }; }; then
		refused=$((refused + 1))
		streak=0
	else
		half=$((half + 1))
		streak=0
		diag "k=$k: exit $RC, $ERR" "listeners: $(looks | paste -sd' ')"
		echo "$A" >"$T/wsld.json"
		"$WSLCTL" reload >/dev/null 2>&1
	fi
	k=$((k + 1))
done
diag "$k failure points: $refused reloads refused, $applied applied"
expect "a reload meeting an allocation failure anywhere applies whole or changes nothing" \
    0 "$half"
expect "... and some did meet one (E_OUTOFMEMORY, nothing changed)" yes \
    "$([ "$refused" -gt 10 ] && echo yes)"
expect "wsld serves on" 0 "$("$WSLCTL" -q version; echo $?)"
expect "the listeners echo" "connected eof x" \
    "$(oneline "$("$WSL_PROBE" -t 10000 tcp "$P1" x)")"
expect_fds_back "$base"

# A stop with every allocation of the control thread failing, while
# requests wait for changes the stop makes: their answers cannot be made,
# so their clients are dropped, each once.
"$WSLCTL" wait keep CLOSED >/dev/null 2>&1 &
W1=$!
"$WSLCTL" wait change FAULTED >/dev/null 2>&1 &
W2=$!
waits_pending() { [ "$(field keep pending-waits) $(field change pending-waits)" = "1 1" ]; }
until_true waits_pending
inject '{"fault": "alloc-fail", "count": 1000000000}'
kill -TERM "$WSLD_PID"
wait "$WSLD_PID"
expect "SIGTERM with no memory at all: wsld exits 0" 0 $?
WSLD_PID=
wait $W1
r1=$?
wait $W2
expect "... the waits it could not answer were dropped (exit 3)" "3 3" "$r1 $?"
expect "... having freed every listener" 3 \
    "$(grep -cE "listener '(keep|change|gone)': freed \(at shutdown" \
    "$T/wsld.log")"

finish
