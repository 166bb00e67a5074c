#!/bin/sh
# SPDX-License-Identifier: ISC
# The control socket's limits: a request must arrive whole within the
# request timeout of its first byte (a client that trickles one is told
# WS_E_OPERATION_TIMED_OUT and closed) while a client that keeps sending
# whole requests, or reads its replies slowly, is never cut; a client that
# reads none of its replies is dropped at the timeout, and wsld holds at
# most 256 KiB of replies for it; objects and arrays nest 32 deep at most;
# past control-max-clients, clients are told WS_E_QUOTA_EXCEEDED and
# closed, never left hanging, while root still gets in, listeners keep
# serving, and the descriptors come back.
. "${top_srcdir:-.}/tests/integration/lib.sh"

cat >"$T/wsld.json" <<EOF
{"control-request-timeout-ms": 300, "control-max-clients": 100,
 "control-socket-group": "daemon", "access": {"daemon": "read"},
 "listeners": {"web": {"url": "net.tcp://127.0.0.1:0/",
                       "handler": {"type": "echo"}, "open": true}}}
EOF
wsld_start -c "$T/wsld.json"
WEB=$(field web port)

# Half a request, then silence.
printf '{"command":"li' | "$WSL_PROBE" -k ctl "$SOCK" >"$T/slow" &
P=$!
wait $P
expect_match "a partial request is cut at the timeout, with a reason" \
    '"error":"WS_E_OPERATION_TIMED_OUT","text":"the request did not arrive whole within 300 ms' \
    "$(head -1 "$T/slow")"
expect_match "the daemon logs who it was" \
    "control: uid 0 pid [0-9]+: the request did not arrive whole" \
    "$(cat "$T/wsld.log")"

# Whole requests, one every 100 ms for a second: never cut.
i=0
while [ $i -lt 10 ]; do
	echo '{"command":"version"}'
	sleep 0.1 # the client's own pace, not a wait for the daemon
	i=$((i + 1))
done | "$WSL_PROBE" ctl "$SOCK" >"$T/steady"
expect "a client sending whole requests for longer than the timeout is served" \
    10 "$(grep -c '"result":0' "$T/steady")"

nest=$(printf '%.0s[' $(seq 40))
run "$WSL_PROBE" ctl "$SOCK" <<EOF
{"command":"version","id":$nest}
EOF
expect_match "nesting 40 deep: WS_E_INVALID_FORMAT" \
    '"error":"WS_E_INVALID_FORMAT","text":"the message nests objects and arrays deeper than 32 levels"' \
    "$OUT"

# Replies that a client takes slowly: all of them come, the client is not
# cut (wsld stops reading while the replies wait, and that time does not
# count against a request), and wsld answers no more while 256 KiB wait.
yes '{"command":"commands"}' | head -3000 >"$T/many"
"$WSL_PROBE" -r 20 ctl "$SOCK" <"$T/many" >"$T/slowreader"
expect "a client reading its 3000 replies slowly gets every one" 3000 \
    "$(grep -c '"result":0' "$T/slowreader")"
expect "... and is never cut: the connection ends at its EOF" "eof" \
    "$(grep -v '"result":0' "$T/slowreader")"

# Clients that never read their replies: each holds at most 256 KiB of
# replies (and a reply), and is dropped at the timeout.
timed_out() { "$WSLCTL" -j version | sed 's/.*"timed-out":\([0-9]*\).*/\1/'; }
before=$(timed_out)
yes '{"command":"commands"}' | head -20000 >"$T/many"
pids=
for i in 1 2 3 4; do
	"$WSL_PROBE" -S ctl "$SOCK" <"$T/many" >"$T/stalled$i" 2>/dev/null &
	pids="$pids $!"
done
wait $pids
expect "4 clients that never read are dropped" "dropped dropped dropped dropped" \
    "$(cat "$T"/stalled? | tr '\n' ' ' | sed 's/ $//')"
expect_match "... and logged" \
    "control: uid 0 pid [0-9]+ read none of its replies for 300 ms; the client is dropped" \
    "$(cat "$T/wsld.log")"
expect "... and counted as timed out" $((before + 4)) "$(timed_out)"
peak=$("$WSLCTL" -j version | sed 's/.*"reply-bytes-queued-peak":\([0-9]*\).*/\1/')
expect "at most 4 x (256 KiB + a reply) of replies were ever queued" yes \
    "$([ "$peak" -le $((4 * (256 + 8) * 1024)) ] && echo yes)"
diag "reply bytes queued at the peak: $peak"
expect "nothing is queued now" 0 \
    "$("$WSLCTL" -j version | sed 's/.*"reply-bytes-queued":\([0-9]*\).*/\1/')"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	skip "the client limit needs root and setpriv (root is never turned away)"
	finish
fi
chmod 755 "$T"
base=$(fd_count)
# Thousands of idle clients of an ordinary user: 100 held, the rest
# turned away (1000 when the descriptor limit cannot be raised).
N=3000
(ulimit -n 4096) 2>/dev/null || N=1000
(
	ulimit -n 4096 2>/dev/null
	exec setpriv --reuid=60001 \
	    --regid="$(getent group daemon | cut -d: -f3)" --clear-groups \
	    "$WSL_PROBE" -w "$T/go" idle "$SOCK" $N 100
) >"$T/idle" 2>&1 &
IDLE=$!
until_true file_has "$T/idle" held=
expect "$N idle clients: 100 held, $((N - 100)) told and closed" \
    "held=100 turned-away=$((N - 100))" "$(head -1 "$T/idle")"
expect_match "... with WS_E_QUOTA_EXCEEDED" \
    '"error":"WS_E_QUOTA_EXCEEDED","text":"too many control clients \(100\); try again later"' \
    "$(sed -n 2p "$T/idle")"
run "$WSLCTL" list
expect "root still gets in" 0 "$RC"
expect "the listeners still serve" "connected eof hi " \
    "$("$WSL_PROBE" -t 5000 tcp "$WEB" hi | tr '\n' ' ')"
expect "the first 5 refusals are logged in full" 5 \
    "$(grep -c 'uid 60001 pid [0-9]* turned away' "$T/wsld.log")"
turned_away_told() { # the rest in summaries, once a second
	[ $(($(sed -n 's/.*control: \([0-9]*\) more turned away from uid 60001$/\1/p' \
	    "$T/wsld.log" | awk '{ s += $1 } END { print s + 0 }') + 5)) \
	    -eq $((N - 100)) ]
}
expect_eventually "... the rest summed up, every one counted" turned_away_told
touch "$T/go"
wait $IDLE
expect "the 100 held clients were not closed meanwhile" \
    "closed-while-held=0" "$(tail -1 "$T/idle")"
expect_fds_back "$base"

finish
