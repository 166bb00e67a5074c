#!/bin/sh
# SPDX-License-Identifier: ISC
# The package on a real systemd 252: build wsld_*.deb from this tree
# (dpkg-buildpackage, then lintian), boot a Debian 12 machine with
# systemd-nspawn (tests/system/root.sh, tests/system/container.sh), install
# the package in it and drive it from the host: start and READY, a
# synchronous reload and a broken one, restarts under load through the fd
# store, the watchdog, socket activation of the control socket and of a
# listener on port 80, the journal fields, the sandbox's exposure, the
# exec and forward handlers under that sandbox, and an upgrade.
#
# Needs root, debootstrap, systemd-container and dpkg-dev/debhelper;
# without them, or on a machine that cannot make the namespaces a
# container needs, it is skipped and says why.  WSLD_SYSTEM_DEB=FILE
# installs FILE instead of building the package; WSLD_SYSTEM_CACHE is
# where the root is kept (/var/cache/wsld-system-test).
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/system/root.sh"
. "$top_srcdir/tests/system/container.sh"

trap 'ct_cleanup; [ -n "${WSL_KEEP_TMP:-}" ] || rm -rf "$T"' EXIT

started=$(date +%s)
now_ms() { date +%s%3N; }
elapsed() { echo $(($(date +%s) - $1)); }

why=$(ct_cannot)
if [ -z "$why" ] && [ -z "${WSLD_SYSTEM_DEB:-}" ] &&
    ! command -v dpkg-buildpackage >/dev/null 2>&1; then
	why="dpkg-buildpackage is not installed (apt-get install dpkg-dev debhelper)"
fi
if [ -n "$why" ]; then
	echo "1..0 # SKIP cannot boot a container here: $why"
	exit 0
fi

# within SECONDS CMD...: poll CMD for up to SECONDS (for what systemd
# does on its own clock: a watchdog timeout, a restart).
within() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
}

# --- The package -------------------------------------------------------

t=$(date +%s)
if [ -n "${WSLD_SYSTEM_DEB:-}" ]; then
	deb=$WSLD_SYSTEM_DEB
	diag "installing $deb (WSLD_SYSTEM_DEB), not building the package"
else
	# The files git tracks, as they are in the work tree, in a scratch
	# copy: the source tree may be configured in place, and the package
	# build must not touch it.
	mkdir -p "$T/pkg/wsld"
	if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top_srcdir" && git ls-files -z |
		    tar --null --ignore-failed-read -T - -cf -)
	else
		tar -C "$top_srcdir" --exclude=.git --exclude='./.ci-build-*' \
		    -cf - .
	fi | tar -C "$T/pkg/wsld" -xf -
	# Its own `make check` is the suite CI has just run.
	if (cd "$T/pkg/wsld" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
	    dpkg-buildpackage -us -uc -b) >"$T/pkg/build.log" 2>&1; then
		ok "dpkg-buildpackage -us -uc -b builds the package ($(elapsed "$t") s)"
	else
		not_ok "dpkg-buildpackage -us -uc -b builds the package"
		tail -30 "$T/pkg/build.log" | sed 's/^/# /'
		bail "no package to install"
	fi
	deb=$(ls "$T"/pkg/wsld_*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] || bail "dpkg-buildpackage made no wsld_*.deb"
	if command -v lintian >/dev/null 2>&1; then
		lintian -I --pedantic "$T"/pkg/wsld_*.changes >"$T/pkg/lintian" 2>&1
		tags=$(grep -E '^[EWIPX]: ' "$T/pkg/lintian")
		expect "lintian reports no error and no warning on the package" \
		    "" "$(printf '%s\n' "$tags" | grep -E '^[EW]: ')"
		[ -z "$tags" ] || printf '%s\n' "$tags" | sed 's/^/# lintian: /'
	else
		skip "lintian is not installed"
	fi
fi
build_s=$(elapsed "$t")

# --- The machine -------------------------------------------------------

# The package's dependencies go into the root, so that dpkg -i needs no
# network in the machine (its first alternative, without the version).
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' |
    sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' | grep .)
t=$(date +%s)
# shellcheck disable=SC2086
root_get $deps 2>"$T/root.err" ||
    bail "cannot make the Debian 12 root: $(cat "$T/root.err")"
root_s=$(elapsed "$t")
diag "root $ROOT_DIR: $([ "$ROOT_MADE" = yes ] && echo "made by debootstrap from $(root_mirror) in $root_s s" || echo "cached")"

t=$(date +%s)
if ! ct_boot "$ROOT_DIR" >"$T/boot" 2>&1; then
	sed 's/^/# /' "$T/boot"
	bail "the machine did not boot"
fi
boot_s=$(elapsed "$t")
cat "$T/boot"
expect_match "the machine runs systemd 252 (booted in $boot_s s)" \
    '^systemd 252 ' "$(ct systemctl --version | head -1)"

# --- Installing the package --------------------------------------------

ct sh -c 'cat >/root/wsld.deb' <"$deb"
run ct dpkg -i /root/wsld.deb
expect "dpkg -i installs the package in the running machine" 0 "$RC"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
expect "... its postinst made the user wsld (sysusers.d)" "wsld" \
    "$(ct id -un wsld 2>&1)"
expect "... and /run/wsld, owned by wsld (tmpfiles.d)" "wsld wsld 755" \
    "$(ct stat -c '%U %G %a' /run/wsld 2>&1)"
expect "... enabled and started wsld.service and wsld.socket" \
    "enabled enabled active active" \
    "$(ct systemctl is-enabled wsld.service wsld.socket | tr '\n' ' ')$(ct systemctl is-active wsld.service wsld.socket | tr '\n' ' ' | sed 's/ $//')"
expect_match "/etc/wsld/wsld.json is a conffile" '^ */etc/wsld/wsld.json [0-9a-f]{32}' \
    "$(ct dpkg-query -W -f='${Conffiles}' wsld)"
expect "the manual pages are installed" "5" \
    "$(ct dpkg -L wsld | grep -c '^/usr/share/man/man[13578]/ws.*\.gz$')"
expect_match "wslctl answers with the shipped default: one listener, not opened" \
    '^echo +CREATED +net.tcp://127.0.0.1:8808/' "$(ct wslctl list 2>&1)"
expect "... and the example beside it" "present" \
    "$(ct test -f /etc/wsld/wsld.json.example && echo present)"

# --- The test's configuration ------------------------------------------

# Listeners on the machine's own loopback: an echo, one to abort, one on
# port 81 that fails to open (no privilege), one whose loop the watchdog
# test stalls, an exec handler and a forward to the echo.  Port 80's
# listener comes later, with its socket unit.
write_config() {
	ct sh -c 'cat >/etc/wsld/wsld.json' <<EOF
{"listeners": {
  "echo": {"url": "net.tcp://127.0.0.1:8808/", "handler": {"type": "echo"}, "open": true},
  "down": {"url": "net.tcp://127.0.0.1:8811/", "handler": {"type": "echo"}, "open": true},
  "low": {"url": "http://127.0.0.1:81/", "handler": {"type": "echo"}, "open": true},
  "slow": {"url": "net.tcp://127.0.0.1:8814/", "handler": {"type": "echo"}, "open": true},
  "greet": {"url": "net.tcp://127.0.0.1:8812/", "open": true,
            "handler": {"type": "exec", "command": ["/bin/sh", "-c", "echo hello \$WSL_PEER"]}},
  "proxy": {"url": "net.tcp://127.0.0.1:8813/", "open": true,
            "handler": {"type": "forward", "upstream": "tcp://127.0.0.1:8808"}},
  "spare": {"url": "net.tcp://127.0.0.1:8816/"}${1:-}
}}
EOF
}
write_config
# A drop-in: the shipped unit's command line with --fault-injection, a
# short watchdog, and no start limit (the test starts wsld more often than
# 5 times in 10 s, which would fail the unit, and wsld.socket with it).
ct mkdir -p /etc/systemd/system/wsld.service.d
ct sh -c "{ printf '[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=\n'
    sed -n 's/^\(ExecStart=.* --fd-store\)/\1 --fault-injection/p' /lib/systemd/system/wsld.service
    echo 'WatchdogSec=3s'; } >/etc/systemd/system/wsld.service.d/test.conf"
ct systemctl daemon-reload
ct systemctl stop wsld.service 2>/dev/null

c_state() { ct wslctl status "$1" 2>/dev/null | awk 'NR == 1 { print $2 }'; }
c_counter() {
	ct wslctl -j status "$1" | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
c_states() { ct wslctl list 2>&1 | awk '{ printf "%s %s ", $1, $2 }' | sed 's/ $//'; }
main_pid() { ct systemctl show -p MainPID --value wsld.service; }
unit_is() { [ "$(ct systemctl is-active "$1")" = "$2" ]; }
# The journal from here on: mark, then since_mark [JOURNALCTL-ARGS].
mark() {
	MARK=$(ct journalctl -n 1 -o cat --show-cursor --no-pager | sed -n 's/^-- cursor: //p')
}
since_mark() { ct journalctl --no-pager -o cat --after-cursor="$MARK" "$@"; }
# The entries of the running wsld that have FIELD=VALUE...  (journalctl
# 252 finds nothing when matches come with --after-cursor.)
journal_json() {
	ct journalctl --no-pager -o json _SYSTEMD_INVOCATION_ID="$(ct systemctl \
	    show -p InvocationID --value wsld.service)" "$@"
}
# journald stores what it is sent a moment later: wait for a match.
journal_has() { [ -n "$(journal_json "$@")" ]; }
probe() { ct_net "$WSL_PROBE" -t 5000 tcp "$@" | tr '\n' ' ' | sed 's/ $//'; }

# --- Start and READY ---------------------------------------------------

t=$(now_ms)
run ct systemctl start wsld.service
start_ms=$(($(now_ms) - t))
expect "systemctl start wsld returns success ($start_ms ms)" 0 "$RC"
# Type=notify: start returns at READY=1, so every listener configured to
# open has opened or failed by now, without waiting.
expect "... at READY=1 every listener has opened, or failed (low: port 81 refused)" \
    "down OPEN echo OPEN greet OPEN low CREATED proxy OPEN slow OPEN spare CREATED" \
    "$(c_states)"
expect_match "... low keeps its error: E_ACCESSDENIED" 'E_ACCESSDENIED' \
    "$(ct wslctl -j status low)"
expect "... and the unit is active" active "$(ct systemctl is-active wsld.service)"
expect_match "systemctl status shows the STATUS= line" \
    'Status: "7 listeners: (2 created, 5 open|5 open, 2 created)"' \
    "$(ct systemctl status --no-pager -n 0 wsld.service)"
pid=$(main_pid)
expect "wsld runs as user wsld" "wsld" \
    "$(ct ps -o user= -p "$pid" 2>/dev/null || ct stat -c %U "/proc/$pid")"
expect "... with no capability at all" "CapEff:	0000000000000000" \
    "$(ct grep CapEff "/proc/$pid/status")"

# --- Reload ------------------------------------------------------------

write_config ',
  "added": {"url": "net.tcp://127.0.0.1:8815/", "handler": {"type": "echo"}, "open": true}'
run ct systemctl reload wsld.service
expect "systemctl reload applies a new listener" 0 "$RC"
expect "... synchronously: it is OPEN when reload returns" OPEN "$(c_state added)"
before=$(c_states)
ct sh -c 'printf "{\"listeners\": {\n  \"echo\": {\"url\": 8808\n" >/etc/wsld/wsld.json'
run ct systemctl reload wsld.service
expect_match "a broken configuration makes systemctl reload fail" '^[1-9]' "$RC"
expect "... the unit stays active" active "$(ct systemctl is-active wsld.service)"
expect "... and not one listener changed" "$before" "$(c_states)"
expect_match "... the journal names the place of the error" \
    '/etc/wsld/wsld.json:[0-9]+:[0-9]+' \
    "$(ct journalctl -u wsld.service -n 30 --no-pager -o cat)"
write_config
run ct systemctl reload wsld.service
expect "the repaired configuration reloads (added is removed)" "0 " "$RC $(c_state added)"

# --- Restart under load ------------------------------------------------

ct wslctl abort down >/dev/null
expect "down is aborted: FAULTED" FAULTED "$(c_state down)"
ct_net "$WSL_PROBE" -e -j 4 -u "$T/stop" load 8808 100000000 ping \
    >"$T/load" 2>&1 &
LOAD=$!
above() { [ "$(c_counter echo accepted)" -gt "$1" ]; }
until_true above 300 || diag "the load did not start"
restarts=
for i in 1 2 3; do
	pid=$(main_pid)
	mark
	base=$(c_counter echo accepted)
	t=$(now_ms)
	run ct systemctl restart wsld.service
	ms=$(($(now_ms) - t))
	restarts="$restarts ${ms}ms"
	expect "restart $i under load: systemctl restart succeeds ($ms ms)" \
	    "0 yes" "$RC $([ "$(main_pid)" != "$pid" ] && echo yes)"
	now=$(c_counter echo accepted)
	expect "... counters go on from where they were: accepted $now >= $base" \
	    yes "$([ "${now:-0}" -ge "$base" ] && echo yes)"
	expect_eventually "... and keep counting: accepted passes $base + 300" \
	    above $((base + 300))
done
expect_match "the last wsld got the saved state and the sockets from the fd store" \
    "named '_wsld_state_end'.*named 'echo'" \
    "$(since_mark -u wsld.service | grep 'passed at start' | tr '\n' ' ')"
touch "$T/stop"
wait $LOAD
expect_match "4 clients connecting in a loop across 3 restarts: 0 refused, 0 reset" \
    '^ok=[1-9][0-9]* refused=0 reset=0 empty=0 timeout=0 other=0$' \
    "$(cat "$T/load")"
diag "load across 3 restarts: $(cat "$T/load"); systemctl restart took$restarts"
expect "the FAULTED listener is still FAULTED" FAULTED "$(c_state down)"
expect "the OPEN listeners' sockets wait in the fd store (echo greet proxy slow)" 4 \
    "$(ct systemctl show -p NFileDescriptorStore --value wsld.service)"

# --- The watchdog ------------------------------------------------------

pid=$(main_pid)
n=$(ct systemctl show -p NRestarts --value wsld.service)
mark
run ct wslctl call inject '{"name": "slow", "fault": "stall", "ms": 60000}'
expect "inject stalls the loop of slow (--fault-injection from the drop-in)" 0 "$RC"
restarted() {
	[ "$(ct systemctl show -p NRestarts --value wsld.service)" -gt "$n" ] &&
	    unit_is wsld.service active && [ "$(main_pid)" != "$pid" ]
}
if within 30 restarted; then
	ok "the watchdog (WatchdogSec=3s) has systemd kill and restart wsld"
else
	not_ok "the watchdog (WatchdogSec=3s) has systemd kill and restart wsld"
	diag "$(ct systemctl status --no-pager -n 20 wsld.service)"
fi
log=$(since_mark -u wsld.service)
expect_match "... systemd's journal says why: Watchdog timeout" \
    'Watchdog timeout' "$log"
expect_match "... and wsld's names the stalled loop with the listener" \
    "loop [0-9]+ has not answered for [0-9]+ ms: .* it hosts [0-9]+ listeners?: .*'slow'" "$log"
expect_eventually "... and the new wsld serves: echo is OPEN" \
    eval '[ "$(c_state echo)" = OPEN ]'
expect_match "... with the listeners' sockets from the fd store" \
    "named 'echo'" "$(since_mark -u wsld.service | grep 'passed at start')"
# A killed wsld saved no state: its listeners come back as configured.
diag "after the watchdog's restart: $(c_states); echo accepted=$(c_counter echo accepted)"

# --- Socket activation -------------------------------------------------

ct systemctl stop wsld.service 2>/dev/null
mark
expect "wsld.service stopped, wsld.socket still listening" "inactive active" \
    "$(ct systemctl is-active wsld.service wsld.socket | tr '\n' ' ' | sed 's/ $//')"
run ct wslctl version
expect "the first wslctl call starts wsld through wsld.socket, and is answered" \
    "0 active" "$RC $(ct systemctl is-active wsld.service)"
expect_match "... wsld adopted the control socket systemd bound" \
    "passed at start, named 'control'" "$(since_mark -u wsld.service)"

# Port 80 for the listener web, as the template's comment says: a
# drop-in, enable, restart (the restart starts the socket first).
WEB=',
  "web": {"url": "http://+:80/", "handler": {"type": "echo"}, "open": true}'
write_config "$WEB"
ct mkdir -p /etc/systemd/system/wsld-listener@web.socket.d
ct sh -c 'printf "[Socket]\nListenStream=80\n" >/etc/systemd/system/wsld-listener@web.socket.d/port.conf'
ct systemctl daemon-reload
run ct systemctl enable wsld-listener@web.socket
expect "systemctl enable wsld-listener@web.socket (ListenStream=80)" 0 "$RC"
run ct systemctl restart wsld.service
expect "systemctl restart wsld starts it, and it listens" \
    "0 active" "$RC $(ct systemctl is-active wsld-listener@web.socket)"
expect "web adopts port 80 from it: OPEN" "OPEN socket-activation" \
    "$(c_state web) $(ct wslctl -j status web | grep -o '"socket-origin":"[a-z-]*"' | cut -d'"' -f4)"
expect "... though wsld runs as wsld, without capabilities" \
    "wsld CapEff:	0000000000000000" \
    "$(ct stat -c %U "/proc/$(main_pid)") $(ct grep CapEff "/proc/$(main_pid)/status")"
expect "a client gets port 80's echo" "connected eof hi" "$(probe 80 hi)"
run ct wslctl abort web
expect "wslctl abort web: FAULTED" "0 FAULTED" "$RC $(c_state web)"
expect "... port 80 refuses connections" "refused" "$(probe 80 hi)"
until_true journal_has WSLD_LISTENER=web WSLD_STATE=FAULTED
json=$(journal_json WSLD_LISTENER=web WSLD_STATE=FAULTED)
for f in '"WSLD_LISTENER":"web"' '"WSLD_STATE":"FAULTED"' \
    '"WSLD_PREVIOUS_STATE":"OPEN"' '"WSLD_HRESULT":"[^"]+"'; do
	expect_match "journalctl -o json WSLD_LISTENER=web WSLD_STATE=FAULTED: the abort's entry has $f" \
	    "$f" "$json"
done
run ct wslctl reopen web
expect "wslctl reopen web (close, reset, open) brings it back: OPEN" \
    "0 OPEN" "$RC $(c_state web)"
expect "... port 80 serves again" "connected eof hi" "$(probe 80 hi)"

# --- The sandbox -------------------------------------------------------

expect_match "an exec handler's command runs under the shipped sandbox" \
    '^connected eof hello 127\.0\.0\.1' "$(probe 8812)"
expect "a forward listener reaches its upstream under the sandbox" \
    "connected eof hi" "$(probe 8813 hi)"
max=$(sed -n 's/^max_exposure=//p' "$top_srcdir/tests/lint/units.sh")
sec=$(ct systemd-analyze security --no-pager wsld.service 2>&1)
level=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for wsld.service: *\([0-9.]*\).*/\1/p')
if [ -n "$level" ] && [ -n "$max" ] &&
    awk -v l="$level" -v m="$max" 'BEGIN { exit !(l <= m) }'; then
	ok "systemd-analyze security wsld.service in the machine: $level (at most $max)"
else
	not_ok "systemd-analyze security wsld.service in the machine: at most ${max:-?}"
	printf '%s\n' "$sec" | grep -e '✗' -e Overall | sed 's/^/# /'
fi

# --- An upgrade --------------------------------------------------------

# The postinst restarts wsld.service and only starts wsld.socket: a
# restart of the socket, racing wsld's own restart, is refused once wsld
# is starting ("Socket service wsld.service already active") and leaves
# the socket unit down (debian/rules).
pid=$(main_pid)
socket_id=$(ct systemctl show -p InvocationID --value wsld.socket)
before_upgrade=$(c_states)
mark
run ct dpkg -i /root/wsld.deb
expect "installing the package again (an upgrade) succeeds" 0 "$RC"
expect "... restarts wsld, keeps the changed conffile and every state" \
    "yes $before_upgrade" \
    "$([ "$(main_pid)" != "$pid" ] && echo yes) $(c_states)"
units=$(ct systemctl is-active wsld.service wsld.socket | tr '\n' ' ' | sed 's/ $//')
expect "... and both units are active" "active active" "$units"
socket_after=$(ct systemctl show -p InvocationID --value wsld.socket)
expect "... wsld.socket is left as it was, not restarted (the same invocation)" \
    "$socket_id" "$socket_after"
[ "$units" = "active active" ] && [ "$socket_after" = "$socket_id" ] ||
    since_mark -o short-precise -u wsld.service -u wsld.socket | sed 's/^/# journal: /'

# An abort shuts web's socket down (port 80 refuses while web is FAULTED);
# when wsld lets go of it, it listens again: systemd, watching it once wsld
# has stopped, would otherwise get POLLHUP and fail the socket unit,
# closing port 80.
ct wslctl abort web >/dev/null
ct systemctl stop wsld.service 2>/dev/null
r=$(ct systemctl is-active wsld.service wsld-listener@web.socket | tr '\n' ' ' | sed 's/ $//')
expect "abort web, stop wsld: wsld-listener@web.socket stays active" \
    "inactive active" "$r"
[ "$r" = "inactive active" ] ||
    diag "$(ct journalctl -u wsld-listener@web.socket -n 3 --no-pager -o cat | tr '\n' ' ')"
expect "... a client of port 80 starts wsld through it and gets the echo" \
    "connected eof hi" "$(probe 80 hi)"
run ct systemctl start wsld.service
expect "... and wsld runs with web OPEN on the socket again" \
    "0 active active OPEN socket-activation" \
    "$RC $(ct systemctl is-active wsld.service wsld-listener@web.socket | tr '\n' ' ')$(c_state web) $(ct wslctl -j status web | grep -o '"socket-origin":"[a-z-]*"' | cut -d'"' -f4)"

diag "time: $(elapsed "$started") s in all: package $build_s s, root $root_s s ($([ "$ROOT_MADE" = yes ] && echo made || echo cached)), boot $boot_s s"
echo "1..$_n"
exit $_failed
