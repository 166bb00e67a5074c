#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench-loops: the same echo listener on one loop and spread over two
# ("loops": 2), in one wsld whose pool has two loops, rounds interleaved.
# Reports short connections per second (connect, send, read the echo,
# close; -j WORKERS client processes), wsld's CPU per connection and the
# cores wsld used (its CPU time over the wall time), as medians.  On a
# machine whose client shares the cores, the rate is bounded by the
# client too: the cores column shows whether the listener used more than
# one.
set -eu
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-10000}
WORKERS=${WORKERS:-4}
BYTES=${BYTES:-4}     # sent and echoed per connection
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-bench.XXXXXX")
pid=
trap '[ -z "$pid" ] || kill $pid 2>/dev/null; rm -rf "$T"' EXIT
printf '{"loops": 2}\n' >"$T/pool.json"
./wsld -f -s "$T/w.sock" -c "$T/pool.json" 2>"$T/w.log" &
pid=$!
up() { ./wslctl -s "$T/w.sock" -q version 2>/dev/null; }
wait_for up
./wslctl -s "$T/w.sock" create one net.tcp://127.0.0.1:0/ --echo --open >/dev/null
./wslctl -s "$T/w.sock" create two net.tcp://127.0.0.1:0/ --echo --loops 2 --open >/dev/null
port_of() { ./wslctl -s "$T/w.sock" status "$1" | awk '$1 == "port" { print $2 }'; }
ONE=$(port_of one) TWO=$(port_of two)
MSG=$(head -c "$BYTES" /dev/zero | tr '\0' x)
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
HZ=$(getconf CLK_TCK)

run() { # PORT OUT: one round, "conn/s us-per-conn cores"
	c0=$(ticks) t0=$(date +%s%N)
	out=$(./tests/tools/wsl-probe -j "$WORKERS" load "$1" "$CONNS" "$MSG")
	t1=$(date +%s%N) c1=$(ticks)
	case "$out" in ok=$CONNS\ *) ;; *) echo "bench: $out" >&2; exit 1 ;; esac
	awk -v n="$CONNS" -v ns=$((t1 - t0)) -v ticks=$((c1 - c0)) -v hz="$HZ" \
	    'BEGIN { cpu = ticks / hz; wall = ns / 1e9;
	        printf "%d %.1f %.2f\n", n / wall, cpu * 1e6 / n, cpu / wall }' >>"$2"
}
median() { # COLUMN FILE
	awk -v c="$1" '{ print $c }' "$2" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
: >"$T/one"; : >"$T/two"
r=0
while [ $r -lt "$ROUNDS" ]; do
	run "$ONE" "$T/one"; run "$TWO" "$T/two"
	r=$((r + 1))
done
echo "echo listener, one loop vs two, $ROUNDS interleaved rounds of $CONNS connections of $BYTES bytes each way, $WORKERS client workers, $(nproc) cores, medians:"
printf '  %-10s %10s %14s %12s\n' "" "conn/s" "wsld us/conn" "wsld cores"
for x in one two; do
	printf '  %-10s %10s %14s %12s\n' "$x loop$([ $x = one ] || echo s)" \
	    "$(median 1 "$T/$x")" "$(median 2 "$T/$x")" "$(median 3 "$T/$x")"
done
echo "  ratio two/one: $(awk -v a="$(median 1 "$T/two")" -v b="$(median 1 "$T/one")" 'BEGIN { printf "%.2f", a / b }')"
echo "  lanes of two: $(./wslctl -s "$T/w.sock" status two | awk '$1 == "lane" { printf "loop %s took %s; ", $4, $6 }')"
