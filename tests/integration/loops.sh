#!/bin/sh
# SPDX-License-Identifier: ISC
# A listener spread over the pool's loops ("loops") is still one listener:
# its lanes run on distinct loops and both serve; one abort under load
# stops both, and the accounting equation holds across them, the lanes'
# "accepted" summing to the listener's; close, reset and open bring both
# back; max-channels is the listener's, shared by its lanes, not each
# lane's.  Bad values are refused with a message naming the rule.
. "${top_srcdir:-.}/tests/integration/lib.sh"

check_config() { # FILE: wsld --check-config, bounded; ERR without "wsld: "
	run timeout 10 "$WSLD" --check-config -c "$1"
	ERR=$(printf '%s' "$ERR" | sed 's/^wsld: //')
}
spread() { # spread LOOPS-VALUE [MORE-KEYS]: a file with one listener
	printf '{"loops": 2, "listeners": {"s": {"url": "%s",\n "handler": %s, "loops": %s%s}}}\n' \
	    "${URL:-net.tcp://127.0.0.1:0/}" "${HANDLER:-{\"type\": \"echo\"\}}" "$1" "${2:-}" >"$T/s.json"
}
for v in 0 257 '"two"' 1.5 true; do
	spread "$v"
	check_config "$T/s.json"
	expect "loops $v: refused, saying what it must be" \
	    "1 $T/s.json:2:40: listeners.s: \"loops\" must be an integer from 1 to 256, or \"all\"" \
	    "$RC $(printf '%s' "$ERR" | sed 's/:2:[0-9]*:/:2:40:/')"
done
URL=soap.udp://127.0.0.1:0/ spread 2
check_config "$T/s.json"
expect_match "a UDP listener is not spread" '"loops": a UDP listener runs on one loop' "$RC $ERR"
spread 2 ', "loop": "dedicated"'
check_config "$T/s.json"
expect_match "nor one on a dedicated loop" '"loops": a listener on a dedicated loop runs on that loop only' "$ERR"
HANDLER='{"type": "accept"}' spread 2
check_config "$T/s.json"
expect_match "nor one whose channels go to accept requests" \
    '"loops" needs a handler that accepts on its loops' "$ERR"
spread '"all"'
check_config "$T/s.json"
expect "\"all\" is accepted" 0 "$RC"

printf '{"loops": 2}\n' >"$T/pool.json"
wsld_start -c "$T/pool.json"
run "$WSLCTL" create bad net.tcp://127.0.0.1:0/ --echo --loops 300
expect_match "create --loops 300: refused" '"loops" must be an integer from 1 to 256' "$RC $ERR"
"$WSLCTL" create up net.tcp://127.0.0.1:0/ --echo --open >/dev/null
"$WSLCTL" create front net.tcp://127.0.0.1:0/ --loops all --handler \
    "{\"type\":\"forward\",\"upstream\":\"tcp://127.0.0.1:$(field up port)\"}" \
    --open >/dev/null
lanes() { "$WSLCTL" status front | awk '$1 == "lane" { printf "%s ", $4 }'; }
expect "its two lanes run on the pool's two loops" "0 1 " \
    "$("$WSLCTL" status front | awk '$1 == "lane" { print $4 }' | sort | tr '\n' ' ')"

# Abort under load: both lanes were serving, and nothing is lost.
PORT=$(field front port)
N=3000
"$WSL_PROBE" -j 8 -t 10000 load "$PORT" $N "payload" >"$T/tally" &
LOAD=$!
above() { [ "$(counter front accepted)" -ge "$1" ]; }
until_true above 600
run "$WSLCTL" abort front
expect "one abort faults the listener" "front FAULTED" "$OUT"
wait $LOAD
TALLY=$(cat "$T/tally")
diag "client tally: $TALLY"
get() { echo "$TALLY" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
until_true counter_is front active 0
expect_equation front
expect "every client that got its bytes back was delivered" \
    "$(counter front delivered)" "$(get ok)"
expect "none hung, none saw anything else" "0 0" "$(get timeout) $(get other)"
accepted_by_lanes() { "$WSLCTL" status front | awk '$1 == "lane" { n += $6 } END { print n }'; }
expect "the lanes' accepted add up to the listener's" \
    "$(counter front accepted)" "$(accepted_by_lanes)"
expect "both lanes took connections" yes \
    "$("$WSLCTL" status front | awk '$1 == "lane" && $6 > 0 { n++ } END { print (n == 2 ? "yes" : "no") }')"
expect "in flight: nothing" 0 "$(counter front in-flight)"
expect "after the abort no lane accepts: refused at once" "refused" \
    "$("$WSL_PROBE" -t 2000 tcp "$PORT" hi)"
before=$(counter front accepted)
expect "... and nothing more was accepted" "$before" "$(counter front accepted)"

# The way back serves on both lanes again.
for c in close reset open; do "$WSLCTL" $c front >/dev/null; done
PORT=$(field front port)
run "$WSL_PROBE" -j 4 -t 10000 load "$PORT" 400 again
expect "reopened: every connection served" "ok=400 refused=0 reset=0 empty=0 timeout=0 other=0" "$OUT"
expect_equation front

# max-channels 3 over two lanes: the third connection fills the listener,
# the fourth waits in the kernel's queue until one ends.
"$WSLCTL" create cap net.tcp://127.0.0.1:0/ --loops 2 \
    --handler '{"type": "echo", "max-channels": 3}' --open >/dev/null
PORT=$(field cap port)
HELD=
for i in 1 2 3; do
	"$WSL_PROBE" -t 10000 -w "$T/go" tcp "$PORT" "c$i" >"$T/held$i" &
	HELD="$HELD $!"
done
held() { [ "$(counter cap active)" = 3 ]; }
until_true held
"$WSL_PROBE" -t 10000 tcp "$PORT" fourth >"$T/fourth" &
FOURTH=$!
queued() { [ "$("$WSLCTL" status cap | awk '$1 == "kernel-queue" { print $2 }')" = 1/4096 ]; }
if until_true queued; then
	ok "at max-channels the fourth connection waits in the kernel's queue"
else
	not_ok "at max-channels the fourth connection waits in the kernel's queue"
	diag "$("$WSLCTL" status cap)"
fi
expect "three channels, not three per lane" 3 "$(counter cap accepted)"
touch "$T/go"
wait $FOURTH
expect "once one ends, the fourth is served" "connected eof fourth " \
    "$(tr '\n' ' ' <"$T/fourth")"
wait $HELD
expect_equation cap
finish
