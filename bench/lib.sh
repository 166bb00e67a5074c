# SPDX-License-Identifier: ISC
# Shared by the benchmark scripts (sourced; they run in the build
# directory).

# wait_for CMD...: until CMD succeeds, for up to 10 s (start-up, not a
# measurement); fails the benchmark otherwise.
wait_for() {
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -lt 1000 ] || { echo "bench: gave up waiting for: $*" >&2; exit 1; }
		sleep 0.01
	done
}
