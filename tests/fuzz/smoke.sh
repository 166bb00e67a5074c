#!/bin/sh
# SPDX-License-Identifier: ISC
# The fuzzers, time-boxed (FUZZ_SECONDS, 20 by default), from the seed
# corpus the project generates: a crash, a leak, a hang (10 s for one
# input) or any sanitizer report fails, and the input that caused it is
# kept in the build directory as fuzz-HARNESS-crash-... .
set -u
secs=${FUZZ_SECONDS:-20}
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-fuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT
sh "${top_srcdir:?}/tests/fuzz/make-corpus.sh" "$top_srcdir" "$T/seeds"
n=0
failed=0
for h in control config; do
	n=$((n + 1))
	mkdir "$T/corpus-$h"
	if "${top_builddir:?}/tests/fuzz/fuzz-$h" -max_total_time="$secs" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$top_builddir/fuzz-$h-" \
	    "$T/corpus-$h" "$T/seeds/$h" >"$T/$h.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$h.log")
		echo "ok $n - fuzz-$h: $runs inputs in $secs s, no finding"
	else
		echo "not ok $n - fuzz-$h found something"
		tail -60 "$T/$h.log" | sed 's/^/# /'
		failed=1
	fi
done
echo "1..$n"
exit $failed
