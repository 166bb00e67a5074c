#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench: a private wsld, then wsl-bench against it (see wsl-bench.c).
# Figures are only comparable as ratios within one run.
set -eu
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-bench.XXXXXX")
./wsld -f -s "$T/control.sock" 2>"$T/wsld.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT
i=0
until ./wslctl -s "$T/control.sock" -q version 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 500 ] || { echo "wsld did not start"; exit 1; }
	sleep 0.01
done
./bench/wsl-bench "$T/control.sock" "${ROUNDS:-20000}"
