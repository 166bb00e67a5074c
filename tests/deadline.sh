#!/bin/sh
# SPDX-License-Identifier: ISC
# Runs one test with a deadline (make check's LOG_COMPILER): a lost
# completion or reply fails the test, it never hangs `make check`.  The
# deadline is TEST_DEADLINE_S (600 s), plus three times FUZZ_SECONDS for
# the fuzzers' time boxes.  The tests' own waits are bounded much tighter
# and say what they waited for; this is the last line of defence.
limit=$((${TEST_DEADLINE_S:-600} + 3 * ${FUZZ_SECONDS:-0}))
case $1 in
*.sh) # by their own shell: sh, unless they ask for bash (/dev/tcp, {fd})
	case $(head -n 1 "$1") in
	*bash*) set -- /bin/bash "$@" ;;
	*) set -- /bin/sh "$@" ;;
	esac ;;
esac
timeout -k 10 "$limit" "$@"
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "Bail out! $* ran over its deadline of $limit s and was stopped"
fi
exit "$rc"
