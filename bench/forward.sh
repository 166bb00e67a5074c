#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench-forward: the forward handler against systemd-socket-proxyd (the
# event-driven proxy every systemd host has) and against no proxy at all,
# in the same run, rounds interleaved.  The upstream is an echo listener
# of a separate wsld.  Reports connections per second (each connection:
# connect, send, read the echo, close: socket-proxyd does not carry a
# half-close through, so the client does not half-close) and bulk throughput,
# as medians and ratios.  Only the ratios mean anything on a shared box.
set -eu
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-4000}
BYTES=${BYTES:-100000000}
PROXYD=${PROXYD:-/lib/systemd/systemd-socket-proxyd}
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-bench.XXXXXX")
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
start_wsld() { # NAME
	./wsld -f -s "$T/$1.sock" 2>"$T/$1.log" &
	pids="$pids $!"
	wait_for up "$1"
}
up() { ./wslctl -s "$T/$1.sock" -q version 2>/dev/null; }
port_of() { ./wslctl -s "$T/$1.sock" status "$2" | awk '$1 == "port" { print $2 }'; }
start_wsld up
./wslctl -s "$T/up.sock" create echo net.tcp://127.0.0.1:0/ --echo --open >/dev/null
UP=$(port_of up echo)
start_wsld fw
./wslctl -s "$T/fw.sock" create fw net.tcp://127.0.0.1:0/ --handler \
    "{\"type\":\"forward\",\"upstream\":\"tcp://127.0.0.1:$UP\"}" --open >/dev/null
FW=$(port_of fw fw)
PEER=
if [ -x "$PROXYD" ] && command -v systemd-socket-activate >/dev/null; then
	PEER=$(./tests/tools/wsl-probe port)
	systemd-socket-activate -l 127.0.0.1:$PEER "$PROXYD" 127.0.0.1:$UP \
	    2>"$T/proxyd.log" &
	pids="$pids $!"
	answers() { ./tests/tools/wsl-probe -e tcp "$PEER" "x" | grep -q '^eof x'; }
	wait_for answers # no readiness signal: until it answers
fi

rate() { # PORT: connections per second
	t0=$(date +%s%N)
	out=$(./tests/tools/wsl-probe -e -j 4 load "$1" "$CONNS" "ping")
	t1=$(date +%s%N)
	case "$out" in ok=$CONNS\ *) ;; *) echo "bench: $out" >&2; exit 1 ;; esac
	echo $((CONNS * 1000000000 / (t1 - t0)))
}
bulk() { # PORT: MB/s each way
	t0=$(date +%s%N)
	out=$(./tests/tools/wsl-probe -e -n "$BYTES" tcp "$1" | tail -1)
	t1=$(date +%s%N)
	case "$out" in *match) ;; *) echo "bench: $out" >&2; exit 1 ;; esac
	echo $((BYTES * 1000 / (t1 - t0)))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$T/d.rate"; : >"$T/w.rate"; : >"$T/p.rate"
: >"$T/d.bulk"; : >"$T/w.bulk"; : >"$T/p.bulk"
r=0
while [ $r -lt "$ROUNDS" ]; do
	rate "$UP" >>"$T/d.rate"; rate "$FW" >>"$T/w.rate"
	[ -z "$PEER" ] || rate "$PEER" >>"$T/p.rate"
	bulk "$UP" >>"$T/d.bulk"; bulk "$FW" >>"$T/w.bulk"
	[ -z "$PEER" ] || bulk "$PEER" >>"$T/p.bulk"
	r=$((r + 1))
done
D=$(median <"$T/d.rate") W=$(median <"$T/w.rate")
DB=$(median <"$T/d.bulk") WB=$(median <"$T/w.bulk")
echo "forward, $ROUNDS interleaved rounds, medians:"
echo "  connections/s: direct $D, wsld forward $W (ratio $(echo "$W $D" | awk '{ printf "%.2f", $1 / $2 }'))"
echo "  bulk MB/s each way: direct $DB, wsld forward $WB (ratio $(echo "$WB $DB" | awk '{ printf "%.2f", $1 / $2 }'))"
if [ -n "$PEER" ]; then
	P=$(median <"$T/p.rate") PB=$(median <"$T/p.bulk")
	echo "  systemd-socket-proxyd: $P connections/s, $PB MB/s"
	echo "  wsld/proxyd: connections $(echo "$W $P" | awk '{ printf "%.2f", $1 / $2 }'), bulk $(echo "$WB $PB" | awk '{ printf "%.2f", $1 / $2 }')"
fi
