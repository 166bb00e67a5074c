#!/bin/sh
# SPDX-License-Identifier: ISC
# Who may control wsld: the control socket is 0660 and of the configured
# group; peers are known by SO_PEERCRED and SO_PEERGROUPS; the "access"
# object gives groups the read, operate or admin level (root and wsld's own
# user are admin); a denied command gets E_ACCESSDENIED and wslctl exits 6;
# someone outside the group cannot even connect (exit 6); the read-only
# socket (0666) takes read commands only, from anyone.  Runs other users'
# wslctl with setpriv, so it needs root.
. "${top_srcdir:-.}/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	skip "needs root and setpriv to act as other users"
	finish
fi
gid() { getent group "$1" | cut -d: -f3; }
DAEMON=$(gid daemon) STAFF=$(gid staff) ADM=$(gid adm)
# Other users must reach the sockets (and wslctl): a directory they can
# enter, sockets of their own modes in it.
chmod 755 "$T"
mkdir -m 755 "$T/run"
cp "$WSLCTL" "$T/run/wslctl"
SOCK=$T/run/control.sock
RO=$T/run/ro.sock
WSLCTL_SOCKET=$SOCK
write_conf() { # LEVEL-OF-daemon
	cat >"$T/wsld.json" <<EOF
{"control-socket-group": "daemon", "read-only-socket": "$RO",
 "access": {"daemon": "$1", "staff": "operate", "adm": "admin"},
 "listeners": {"web": {"url": "net.tcp://127.0.0.1:0/", "open": true}}}
EOF
}
write_conf read
wsld_start -c "$T/wsld.json"

# as UID GID [SUPPLEMENTARY-GIDS] -- wslctl ARGS...
as() {
	_u=$1 _g=$2
	shift 2
	_sup=--clear-groups
	if [ "$1" != -- ]; then _sup="--groups=$1"; shift; fi
	shift
	setpriv --reuid="$_u" --regid="$_g" "$_sup" "$T/run/wslctl" "$@"
}

expect "the control socket is 0660, of the configured group" \
    "660 daemon" "$(stat -c '%a %G' "$SOCK")"
expect "the read-only socket is 0666" "666" "$(stat -c '%a' "$RO")"

run as 60001 "$DAEMON" -- list
expect "read level (group daemon): list works" 0 "$RC"
run as 60001 "$DAEMON" -- abort web
expect "read level: abort is denied (exit 6)" 6 "$RC"
expect_match "... with E_ACCESSDENIED, saying which level it needs" \
    "E_ACCESSDENIED.*'abort' needs the operate level; uid 60001 has read" \
    "$ERR"
expect "... and nothing changed" OPEN \
    "$(state web)"
expect_match "the denial is logged with the peer's uid and pid" \
    "control: denied by uid 60001 pid [0-9]+: 'abort' needs" \
    "$(cat "$T/wsld.log")"

# Every command, as the read-level user: above read, each is denied.
wrong=
for c in $("$WSLCTL" commands | awk '{ print $1 ":" $2 }'); do
	name=${c%%:*} level=${c#*:}
	as 60001 "$DAEMON" -- -t 10 call "$name" '{"name": "web"}' \
	    >/dev/null 2>&1
	rc=$?
	if [ "$level" = read ] && [ $rc -eq 6 ]; then
		wrong="$wrong $name(read, denied)"
	elif [ "$level" != read ] && [ $rc -ne 6 ]; then
		wrong="$wrong $name($level, exit $rc)"
	fi
done
expect "every command above read is denied to a read-level peer, and no read command is" \
    "" "$wrong"
expect "... and nothing changed" OPEN \
    "$(state web)"

run as 60002 "$DAEMON" "$STAFF" -- abort web
expect "operate level (supplementary group staff): abort works" 0 "$RC"
expect_match "the state change is logged with the peer's uid and pid" \
    "OPEN -> FAULTED \(abort by uid 60002 pid [0-9]+\)" "$(cat "$T/wsld.log")"
# A peer in more groups than a first guess holds: all of them count.
many=$(seq -s, 70001 70069),$STAFF
run as 60005 "$DAEMON" "$many" -- status web
expect "a peer in 70 supplementary groups is known by all of them" 0 "$RC"
run as 60005 "$DAEMON" "$many" -- abort web
expect "... its 70th (staff) gives it operate" 0 "$RC"
run as 60002 "$DAEMON" "$STAFF" -- create x net.tcp://127.0.0.1:0/
expect "operate level: create is denied (exit 6)" 6 "$RC"
run as 60003 "$DAEMON" "$ADM" -- create x net.tcp://127.0.0.1:0/
expect "admin level (group adm): create works" 0 "$RC"

run as 60004 60004 -- list
expect "outside the socket's group: cannot even connect (exit 6)" 6 "$RC"
expect_match "... and wslctl says why" "Permission denied" "$ERR"

run as 60004 60004 -- -s "$RO" list
expect "anyone may read on the read-only socket" 0 "$RC"
run as 60004 60004 -- -s "$RO" reset web
expect "... but not operate" 6 "$RC"
expect_match "... which the error names" "on the read-only socket" "$ERR"
run "$WSLCTL" -s "$RO" free x
expect "not even root operates through the read-only socket" 6 "$RC"

# A reload changes the levels at once, for connections already open too.
write_conf operate
"$WSLCTL" reload >/dev/null
run as 60001 "$DAEMON" -- close web
expect "after a reload giving daemon operate, uid 60001 may close" 0 "$RC"

# The levels in the file are checked like everything else.
printf '{"access": {"no-such-group-x": "read"}}\n' >"$T/bad.json"
run "$WSLD" -n -c "$T/bad.json"
expect_match "an unknown group is a configuration error, located" \
    "bad.json:1:32: access: no group named 'no-such-group-x'" "$ERR"
printf '{"access": {"daemon": "root"}}\n' >"$T/bad.json"
run "$WSLD" -n -c "$T/bad.json"
expect_match "so is an unknown level" \
    "bad.json:1:23: access.daemon: the level must be" "$ERR"
long=$(printf '/%0120d' 0)
printf '{"read-only-socket": "%s"}\n' "$long" >"$T/bad.json"
run "$WSLD" -n -c "$T/bad.json"
expect_match "and a socket path longer than sun_path" \
    "bad.json:1:22: \"read-only-socket\" must be an absolute path of at most 107 bytes" "$ERR"

finish
