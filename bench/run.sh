#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench: a private wsld, then wsl-bench against it (see wsl-bench.c).
# Figures are only comparable as ratios within one run.
set -eu
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-bench.XXXXXX")
./wsld -f -s "$T/control.sock" 2>"$T/wsld.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT
up() { ./wslctl -s "$T/control.sock" -q version 2>/dev/null; }
wait_for up
./bench/wsl-bench "$T/control.sock" "${ROUNDS:-20000}"
