#!/bin/sh
# SPDX-License-Identifier: ISC
# Limits: max-channels defers accepting (clients wait in the kernel, none
# is accepted then dropped); running out of descriptors (EMFILE) pauses
# accepting with a back-off instead of spinning, counts the errors, keeps
# spare descriptors for operators, and recovers as soon as descriptors are
# free again.
. "${top_srcdir:-.}/tests/integration/lib.sh"
printf '{"read-only-socket": "%s"}\n' "$T/ro.sock" >"$T/wsld.json"
wsld_start -c "$T/wsld.json"

# max-channels on an echo listener.
"$WSLCTL" create capped net.tcp://127.0.0.1:0/ \
    --handler '{"type":"echo","max-channels":3}' --open >/dev/null
PORT=$(field capped port)
for i in 1 2 3 4 5; do
	"$WSL_PROBE" -w "$T/go" tcp "$PORT" "c$i" >"$T/c$i" &
	eval "P$i=\$!"
done
until_true counter_is capped active 3
until_true counter_is capped depth 2
expect "at max-channels 3: three served" 3 "$(counter capped active)"
expect "... two waiting in the kernel's queue, none refused" "2 0" \
    "$(counter capped depth) $(counter capped refused)"
touch "$T/go"
wait $P1 $P2 $P3 $P4 $P5
ALL=$(for i in 1 2 3 4 5; do oneline "$(cat "$T/c$i")"; echo; done | sort | tr '\n' '|')
expect "all five are served in the end" \
    "connected eof c1|connected eof c2|connected eof c3|connected eof c4|connected eof c5|" "$ALL"
expect_equation capped

# UDP at its limit: a new peer is turned away, and counted as refused.
"$WSLCTL" create u1 soap.udp://127.0.0.1:0/ \
    --handler '{"type":"echo","max-channels":1}' --open >/dev/null
run "$WSL_PROBE" udp "$(field u1 port)" "first"
expect "the first UDP peer gets a channel" "reply first" "$OUT"
run "$WSL_PROBE" -t 300 udp "$(field u1 port)" "second"
expect "at max-channels 1 a second peer gets no answer" "timeout" "$OUT"
until_true counter_is u1 refused 1
expect "... and is counted as refused" 1 "$(counter u1 refused)"

# EMFILE: leave wsld two descriptors to spare, hold two channels open.
if ! command -v prlimit >/dev/null 2>&1; then
	skip "prlimit is not installed"
	finish
fi
"$WSLCTL" create tight net.tcp://127.0.0.1:0/ --echo --open >/dev/null
PORT=$(field tight port)
LIMIT=$(($(fd_count) + 2))
HARD=$(prlimit --pid "$WSLD_PID" --nofile --output HARD --noheadings)
SOFT=$(prlimit --pid "$WSLD_PID" --nofile --output SOFT --noheadings)
prlimit --pid "$WSLD_PID" --nofile=$LIMIT:$HARD
for i in 1 2 3 4 5 6; do
	"$WSL_PROBE" -t 30000 -w "$T/release" tcp "$PORT" "t$i" >"$T/t$i" &
	eval "Q$i=\$!"
done
until_true counter_is tight EMFILE 1
ticks() { awk '{ print $14 + $15 }' "/proc/$WSLD_PID/stat"; }
now_cs() { echo $(($(date +%s%N) / 10000000)); } # centiseconds, like ticks
T0=$(ticks) W0=$(now_cs)
E0=$(counter tight EMFILE)
# Four more back-off rounds (200, 400, 800, 1000 ms): an accept loop that
# spun would burn a core for the whole interval, a paused one almost nothing.
until_true counter_is tight EMFILE $((E0 + 4)) ||
    until_true counter_is tight EMFILE $((E0 + 4))
T1=$(ticks) W1=$(now_cs)
expect "out of descriptors, accepting backs off: 4 more EMFILE, wsld used $((T1 - T0)) of $((W1 - W0)) centiseconds" \
    yes "$([ $(((T1 - T0) * 10)) -lt $((W1 - W0)) ] && echo yes || echo no)"
expect "the errors are counted by errno" yes \
    "$([ "$(counter tight EMFILE)" -ge 5 ] && echo yes || echo no)"
# The control socket's spare descriptors are for those who may operate:
# read-level clients are told and closed, and each one's descriptor is
# taken back, so root still gets in after more of them than there are.
for i in 1 2 3 4 5 6; do
	run "$WSLCTL" -s "$T/ro.sock" list
done
expect_match "out of descriptors, a read-only client is told why" \
    "WS_E_QUOTA_EXCEEDED.*wsld is out of descriptors; only peers who may operate get in" \
    "$ERR"
run "$WSLCTL" list
expect "... and after six of them root still gets in" 0 "$RC"
prlimit --pid "$WSLD_PID" --nofile=$SOFT:$HARD
touch "$T/release"
wait $Q1 $Q2 $Q3 $Q4 $Q5 $Q6
ALL=$(for i in 1 2 3 4 5 6; do oneline "$(cat "$T/t$i")"; echo; done | sort | tr '\n' '|')
expect "once descriptors are free again, every waiting client is served" \
    "connected eof t1|connected eof t2|connected eof t3|connected eof t4|connected eof t5|connected eof t6|" "$ALL"
expect_equation tight
finish
