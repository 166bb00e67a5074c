#!/bin/sh
# SPDX-License-Identifier: ISC
# Races: three control clients open, abort, close, reset and reopen the
# same listeners at once, while other clients connect as fast as they can
# and others wait in accept.  No crash, no deadlock (every control request
# is answered within its timeout), no sanitizer report, every pending
# accept is answered exactly once, every connection is accounted for, and
# the descriptor count comes back to its baseline.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start
ROUNDS=${RACE_ROUNDS:-20}
P1=$("$WSL_PROBE" port)
P2=$("$WSL_PROBE" port)
base=$(fd_count)
"$WSLCTL" create echo "net.tcp://127.0.0.1:$P1/" --echo --open >/dev/null
"$WSLCTL" create hand "net.tcp://127.0.0.1:$P2/" --open >/dev/null

# The operators: each round walks every transition, racing the others.
operator() { # ID
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		for l in echo hand; do
			for verb in abort close reset open; do
				"$WSLCTL" -t 20 "$verb" "$l" >/dev/null 2>&1
				[ $? -eq 124 ] && echo "timeout: $verb $l"
			done
		done
		r=$((r + 1))
	done >"$T/op-$1"
}
# The accept waiters: one accept at a time, many times over.
acceptor() { # ID
	r=0
	while [ $r -lt $((ROUNDS * 2)) ]; do
		"$WSLCTL" accept hand -- true >/dev/null 2>&1
		echo "$?"
		r=$((r + 1))
	done >"$T/acc-$1"
}
"$WSL_PROBE" -e -t 2000 -j 1 -u "$T/stop" load "$P1" 100000000 x \
    >"$T/load1" &
L1=$!
"$WSL_PROBE" -e -t 2000 -j 1 -u "$T/stop" load "$P2" 100000000 x \
    >"$T/load2" &
L2=$!
acceptor 1 &
A1=$!
acceptor 2 &
A2=$!
operator 1 &
O1=$!
operator 2 &
O2=$!
operator 3 &
O3=$!
wait $O1 $O2 $O3
ok "three operators walked every transition $ROUNDS times, racing"
expect "no control request went unanswered (no deadlock)" "" \
    "$(cat "$T/op-1" "$T/op-2" "$T/op-3")"
# Let the acceptors finish: the listener stays open for them now.
"$WSLCTL" close hand >/dev/null 2>&1
"$WSLCTL" reset hand >/dev/null 2>&1
"$WSLCTL" open hand >/dev/null
wait $A1 $A2
n=$(cat "$T/acc-1" "$T/acc-2" | wc -l)
expect "every accept was answered exactly once" $((ROUNDS * 4)) "$n"
expect "... each with a result, never a timeout or a lost daemon" "" \
    "$(cat "$T/acc-1" "$T/acc-2" | grep -vxE '0|1|4' | sort -u)"
touch "$T/stop"
wait $L1 $L2
diag "load on echo: $(cat "$T/load1")" "load on hand: $(cat "$T/load2")"
expect_equation echo
expect_equation hand
expect "wsld still answers" 0 "$("$WSLCTL" -q version; echo $?)"
freed() { "$WSLCTL" free "$1" >/dev/null 2>&1; }
for l in echo hand; do
	"$WSLCTL" close "$l" >/dev/null 2>&1
	until_true freed "$l" || unfreed="$unfreed $l"
done
expect "both listeners close and are freed" "" "${unfreed:-}"
expect_fds_back "$base"

finish
