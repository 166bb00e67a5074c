# SPDX-License-Identifier: ISC
# Shared by the integration tests: TAP output, a private wsld on a private
# control socket in a temporary directory, and waiting for conditions
# (bounded polling of an observable state, never a blind sleep).
set -u

: "${WSLD:?}" "${WSLCTL:?}" "${WSL_PROBE:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-it.XXXXXX")
SOCK=$T/control.sock
WSLCTL_SOCKET=$SOCK
export WSLCTL_SOCKET
unset XDG_RUNTIME_DIR
WSLD_PID=
_n=0
_failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=1; echo "not ok $_n - $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }
diag() { printf '# %s\n' "$@"; }

# expect DESCRIPTION EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected: $2" "got:      $3"
	fi
}

# expect_match DESCRIPTION PATTERN(grep -E) ACTUAL
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected to match: $2" "got: $3"
	fi
}

# run CMD...: sets OUT, ERR and RC.
run() {
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# until_true CMD...: poll for up to 10 seconds.
until_true() {
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -gt 1000 ] && return 1
		sleep 0.01
	done
	return 0
}

wsld_start() {
	"$WSLD" -f -s "$SOCK" "$@" >>"$T/wsld.log" 2>&1 &
	WSLD_PID=$!
	if ! until_true "$WSLCTL" -q version 2>/dev/null; then
		echo "Bail out! wsld did not start"
		cat "$T/wsld.log" >&2
		exit 1
	fi
}

# sysd_start [-w WATCHDOG_MS] [-S NAME=PORT]... -- WSLD-ARGS...: wsld
# under wsl-sysd, the test playing systemd's part (-S: a socket unit);
# WSLD_PID is wsl-sysd's (SIGTERM stops wsld and it exits with wsld's
# status), SYSD_LOG what it recorded.
SYSD_LOG=$T/sysd.log
sysd_start() {
	_w=
	while [ "${1:-}" = -w ] || [ "${1:-}" = -S ]; do
		_w="$_w $1 $2"
		shift 2
	done
	[ "${1:-}" = -- ] && shift
	# shellcheck disable=SC2086
	"$WSL_SYSD" -n "$T/notify" -l "$SYSD_LOG" $_w -- "$WSLD" -f -s "$SOCK" \
	    "$@" >>"$T/wsld.log" 2>&1 &
	WSLD_PID=$!
	if ! until_true "$WSLCTL" -q version 2>/dev/null; then
		echo "Bail out! wsld did not start under wsl-sysd"
		cat "$T/wsld.log" "$SYSD_LOG" >&2
		exit 1
	fi
}
# The payloads of the notify messages of generation G (1 by default).
sysd_msgs() { awk -F'\t' -v g="${1:-1}" '$1 == "MSG" && $2 == g { print $6 }' "$SYSD_LOG"; }
sysd_has() { sysd_msgs "${2:-1}" | grep -q -- "$1"; }
# How many WATCHDOG=1 pings have been recorded.
pings() { grep -c 'WATCHDOG=1' "$SYSD_LOG" || true; }
pings_at_least() { [ "$(pings)" -ge "$1" ]; }

wsld_stop() {
	[ -n "$WSLD_PID" ] || return 0
	kill -TERM "$WSLD_PID" 2>/dev/null
	wait "$WSLD_PID"
	WSLD_STATUS=$?
	WSLD_PID=
}

oneline() { printf '%s' "$1" | tr '\n' ' '; }

field() { # field NAME KEY: a line of `wslctl status` ("port 8808")
	"$WSLCTL" status "$1" | awk -v k="$2" '$1 == k { print $2 }'
}

# counter NAME KEY: one of the listener's counters (from the JSON reply)
counter() {
	"$WSLCTL" -j status "$1" | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}

# The accounting equation, from one reply (one snapshot).
equation_holds() {
	_j=$("$WSLCTL" -j status "$1")
	_v() { printf '%s' "$_j" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
	_a=$(_v accepted) _d=$(_v delivered) _f=$(_v failed)
	_c=$(_v closed-on-abort) _i=$(_v in-flight)
	EQUATION="accepted $_a = delivered $_d + failed $_f + closed-on-abort $_c + in-flight $_i"
	[ "$_a" -eq $((_d + _f + _c + _i)) ]
}

# expect_equation NAME: the equation holds, and say it in the output
expect_equation() {
	if equation_holds "$1"; then
		ok "$1: $EQUATION"
	else
		not_ok "$1: the accounting equation holds"
		diag "$EQUATION"
	fi
}

fd_count() { ls "/proc/$WSLD_PID/fd" | wc -l; }
# expect_eventually DESCRIPTION CMD...: CMD succeeds within until_true's
# time; a test point either way.
expect_eventually() {
	_what=$1
	shift
	if until_true "$@"; then
		ok "$_what"
	else
		not_ok "$_what"
		diag "never true: $*"
	fi
}

# expect_fds_back BASE: wsld's descriptor count comes back to at most BASE
# (a control connection still closing may have counted in BASE).
expect_fds_back() {
	_base=$1
	_back() { [ "$(fd_count)" -le "$_base" ]; }
	until_true _back
	if _back; then
		ok "the descriptor count is back to its baseline ($(fd_count) <= $_base)"
	else
		not_ok "the descriptor count is back to its baseline"
		diag "baseline $_base, now $(fd_count)"
	fi
}
zombies() { ps --ppid "$WSLD_PID" -o stat= | grep -c '^Z' || true; }
counter_is() { [ "$(counter "$1" "$2")" = "$3" ]; }

pending_accepts_are() { [ "$(field "$1" pending-accepts)" = "$2" ]; }
state() { "$WSLCTL" status "$1" | awk 'NR == 1 { print $2 }'; }
state_is() { [ "$(state "$1")" = "$2" ]; }
origin() { # where a listener's socket came from: bound, socket-activation, ...
	"$WSLCTL" -j status "$1" | grep -o '"socket-origin":"[a-z-]*"' | cut -d'"' -f4
}
file_has() { grep -q -- "$2" "$1" 2>/dev/null; }

# Every test ends by checking that the daemon logged no sanitizer report
# and stopped cleanly.
finish() {
	if [ -n "$WSLD_PID" ]; then
		wsld_stop
		expect "wsld exits 0 on SIGTERM" 0 "$WSLD_STATUS"
	fi
	if grep -Eq 'Sanitizer|runtime error|LeakSanitizer' "$T/wsld.log" \
	    2>/dev/null; then
		not_ok "no sanitizer report in wsld's log"
		sed 's/^/# /' "$T/wsld.log"
	else
		ok "no sanitizer report in wsld's log"
	fi
	[ -n "${WSL_KEEP_TMP:-}" ] || rm -rf "$T"
	echo "1..$_n"
	exit $_failed
}

# wsld is still there (not exited, not a zombie).
wsld_alive() {
	[ -n "$WSLD_PID" ] && [ -d "/proc/$WSLD_PID" ] &&
	    ! grep -q '^State:.*Z' "/proc/$WSLD_PID/status" 2>/dev/null
}

# bail WHY: the test cannot go on (wsld died); say so once and stop.
bail() {
	echo "Bail out! $*"
	sed 's/^/# /' "$T/wsld.log" 2>/dev/null | tail -20
	exit 1
}

# Whatever happens, no daemon outlives its test; a signal (the deadline's
# TERM, an interrupt) ends the test too, not just the command it was in.
trap '[ -n "$WSLD_PID" ] && kill -KILL "$WSLD_PID" 2>/dev/null; [ -n "${WSL_KEEP_TMP:-}" ] || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
