#!/bin/sh
# SPDX-License-Identifier: ISC
# The systemd files as installed, that is as generated in
# ${top_builddir}/systemd with the paths filled in: the sysusers.d and
# tmpfiles.d snippets parse, wsld.service, wsld.socket and an instance of
# wsld-listener@.socket pass systemd-analyze verify without a single
# complaint, and the exposure score of wsld.service does not get worse.
#
# verify runs against a scratch root (--root=): it holds a copy of the
# distribution's unit directory, the units under test in /etc, the built
# wsld and wslctl at the paths the units run them from, and the user wsld
# made by systemd-sysusers from sysusers.d/wsld.conf. So nothing needs to be
# installed, and no root privilege either.

# The score "systemd-analyze security --offline=true" gave wsld.service
# with systemd 252 (0 is best, 10 worst); a rise fails the test.
max_exposure=1.3

gen=${top_builddir:-.}/systemd
n=0
failed=0

pass() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
fail() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -n "$2" ] && printf '%s\n' "$2" | sed 's/^/# /'
	failed=1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wsld-units.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
root=$tmp/root
etc=$root/etc/systemd/system
mkdir -p "$root/etc" "$etc" "$root/usr/lib/systemd"

# 1: the user and group, written into the scratch root's /etc.
what="sysusers.d/wsld.conf creates user wsld (systemd-sysusers --root)"
if ! command -v systemd-sysusers >/dev/null 2>&1; then
	skip "systemd-sysusers is not installed"
elif [ ! -f "$gen/sysusers.d/wsld.conf" ]; then
	fail "$what" "$gen/sysusers.d/wsld.conf was not generated"
else
	out=$(systemd-sysusers --root="$root" \
	    "$(cd "$gen/sysusers.d" && pwd)/wsld.conf" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^wsld:' "$root/etc/passwd" 2>/dev/null &&
	    grep -q '^wsld:' "$root/etc/group" 2>/dev/null &&
	    ! printf '%s\n' "$out" | grep -v '^Creating ' | grep -q .; then
		pass "$what"
	else
		fail "$what" "exit status $rc
$out"
	fi
fi
# Without systemd-sysusers, or if it failed: a stand-in for the next tests.
if ! grep -q '^wsld:' "$root/etc/passwd" 2>/dev/null; then
	echo 'wsld:x:999:999:wsld listener daemon:/:/usr/sbin/nologin' >>"$root/etc/passwd"
	echo 'wsld:x:999:' >>"$root/etc/group"
fi

# 2: the tmpfiles.d line parses and names a known user (--clean creates
# nothing, so this needs no privilege).
what="tmpfiles.d/wsld.conf parses (systemd-tmpfiles --root --clean)"
if ! command -v systemd-tmpfiles >/dev/null 2>&1; then
	skip "systemd-tmpfiles is not installed"
elif [ ! -f "$gen/tmpfiles.d/wsld.conf" ]; then
	fail "$what" "$gen/tmpfiles.d/wsld.conf was not generated"
else
	out=$(systemd-tmpfiles --root="$root" --clean \
	    "$(cd "$gen/tmpfiles.d" && pwd)/wsld.conf" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		pass "$what"
	else
		fail "$what" "exit status $rc
$out"
	fi
fi

# The scratch root for verify. Its absence skips tests 3 to 5.
why=
if ! command -v systemd-analyze >/dev/null 2>&1; then
	why="systemd-analyze is not installed"
elif ! systemd-analyze --help 2>&1 | grep -q -e '--root='; then
	why="systemd-analyze has no --root="
else
	dist=
	for d in $(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) \
	    /usr/lib/systemd/system /lib/systemd/system; do
		if [ -f "$d/sysinit.target" ]; then
			dist=$d
			break
		fi
	done
	if [ -z "$dist" ]; then
		why="no systemd unit directory (with sysinit.target) to verify against"
	else
		cp -R "$dist" "$root/usr/lib/systemd/system" || why="cannot copy $dist"
	fi
fi
if [ -z "$why" ]; then
	for u in wsld.service wsld.socket wsld-listener@.socket; do
		if [ -f "$gen/$u" ]; then
			cp "$gen/$u" "$etc/$u"
		fi
	done
	# The instance the listener test checks, as an operator would make it.
	mkdir -p "$etc/wsld-listener@web.socket.d"
	printf '[Socket]\nListenStream=127.0.0.1:8080\n' \
	    >"$etc/wsld-listener@web.socket.d/listen.conf"
	# Every command the units run, where they run it from: wsld and
	# wslctl as built, anything else from this system.
	sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\(\/[^ ]*\).*/\1/p' "$etc"/*.service \
	    2>/dev/null | sort -u | while read -r p; do
		b=${p##*/}
		mkdir -p "$root${p%/*}"
		if [ -x "${top_builddir:-.}/$b" ]; then
			cp "${top_builddir:-.}/$b" "$root$p"
		elif [ -x "$p" ]; then
			cp "$p" "$root$p"
		fi
	done
fi

# verify NAME: systemd-analyze verify must succeed and print nothing but
# remarks on the distribution's own units: an unknown key or a bad value
# in ours is only a warning to it, yet a bug to us.
verify() {
	what="$1 passes systemd-analyze verify"
	if [ -n "$why" ]; then
		skip "$why"
		return
	fi
	case $1 in
	*@?*) file=${1%%@*}@.${1##*.} ;;
	*) file=$1 ;;
	esac
	if [ ! -f "$etc/$file" ]; then
		fail "$what" "$gen/$file was not generated"
		return
	fi
	out=$(systemd-analyze verify --man=no --root="$root" "$etc/$1" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && ! printf '%s\n' "$out" |
	    grep -v -F -e "$root/usr/lib/systemd/system/" | grep -q .; then
		pass "$what"
	else
		fail "$what" "exit status $rc
$out"
	fi
}
verify wsld.service
verify wsld.socket
verify wsld-listener@web.socket

# 6: the hardening of wsld.service.
what="wsld.service exposure level is at most $max_exposure"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze is not installed"
elif ! systemd-analyze --help 2>&1 | grep -q -e '--offline='; then
	skip "systemd-analyze security has no --offline="
elif [ ! -f "$gen/wsld.service" ]; then
	fail "$what" "$gen/wsld.service was not generated"
else
	threshold=$(echo "$max_exposure" | awk '{ printf "%d", $1 * 10 + 0.5 }')
	out=$(systemd-analyze security --offline=true --threshold="$threshold" \
	    --no-pager "$gen/wsld.service" 2>&1)
	rc=$?
	level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: *//p')
	if [ $rc -eq 0 ] && [ -n "$level" ]; then
		pass "$what (it is $level)"
	else
		bad=$(printf '%s\n' "$out" | grep -e '✗' -e 'Overall')
		fail "$what" "exit status $rc, level ${level:-unknown}
${bad:-$out}"
	fi
fi

# 7: the descriptor limit, which wsld cannot raise under its sandbox
# (@resources forbids setrlimit): the unit sets it, with room for the
# scale wsld(8) states (10,000 listeners and their channels).
what="wsld.service sets LimitNOFILE= to 20000 or more"
nofile=$(sed -n 's/^LimitNOFILE=//p' "$gen/wsld.service" 2>/dev/null)
if [ -n "$nofile" ] && [ "${nofile%%:*}" -ge 20000 ] 2>/dev/null; then
	pass "$what (it is $nofile)"
else
	fail "$what" "LimitNOFILE=${nofile:-(none)}"
fi

echo "1..$n"
exit $failed
