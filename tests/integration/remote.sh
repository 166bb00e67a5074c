#!/bin/sh
# SPDX-License-Identifier: ISC
# wslctl -H: a command run on another host's wsld over ssh, against real
# sshds on loopback (each its own "host", with its own wsld): the same
# output and exit status as locally; -s names the socket there and only
# -s; access decided by the remote wsld from the ssh user's uid; accept
# refused before ssh is started; ssh's failures reported with ssh's
# words and exit 3, and escaped; -t end to end, ssh included, and no ssh
# left behind; several -H in turn, labelled, with the highest status;
# wslctl --bridge relaying, and ending when its ssh session does.
# Skipped, saying why, where sshd cannot run.
. "${top_srcdir:-.}/tests/integration/lib.sh"

SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || SSHD=$(command -v sshd 2>/dev/null)
if [ -z "$SSHD" ] || [ ! -x "$SSHD" ] || ! command -v ssh >/dev/null ||
    ! command -v ssh-keygen >/dev/null; then
	skip "no sshd, ssh or ssh-keygen here (apt-get install openssh-server openssh-client)"
	finish
fi
if ! ME=$(id -un 2>/dev/null); then
	skip "uid $(id -u) has no name: ssh cannot log in as it"
	finish
fi
# sshd started by root wants its privilege separation directory, which
# the Debian package only makes at boot (tmpfiles.d).
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
	mkdir -m 755 /run/sshd
fi

SSHD_PIDS=
B_PID=
WATCH_PID=
cleanup() {
	for p in $SSHD_PIDS $B_PID $WATCH_PID $WSLD_PID; do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "${WSL_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

S=$T/ssh
mkdir -m 700 "$S"
ssh-keygen -q -t ed25519 -N '' -C wsl-test-host -f "$S/host_key" ||
    bail "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C wsl-test-user -f "$S/user_key" ||
    bail "ssh-keygen failed"
cp "$S/user_key.pub" "$S/authorized_keys"
echo "wsl-test $(cat "$S/host_key.pub")" >"$S/known_hosts"
BIN=$(cd "$(dirname "$WSLCTL")" && pwd)

# Host A's wsld is lib.sh's, with a read-only socket; B's has a socket
# path that needs quoting for the remote shell.
cat >"$T/a.json" <<EOF
{"read-only-socket": "$T/ro.sock",
 "listeners": {"web": {"url": "net.tcp://127.0.0.1:0/", "open": true,
                       "handler": {"type": "echo"}},
               "api": {"url": "net.tcp://127.0.0.1:0/"}}}
EOF
wsld_start -c "$T/a.json"
BSOCK="$T/b it's.sock"
"$WSLD" -f -s "$BSOCK" >>"$T/wsld-b.log" 2>&1 &
B_PID=$!
b() { WSLCTL_SOCKET=$BSOCK "$WSLCTL" "$@"; }
until_true b -q version 2>/dev/null || bail "the second wsld did not start"
b -q create other net.tcp://127.0.0.1:0/ --open --echo

# A port nothing listens on, from the kernel (a listener opened and freed).
free_port() {
	"$WSLCTL" -q create port-probe net.tcp://127.0.0.1:0/ --open &&
	    field port-probe port &&
	    "$WSLCTL" -q close port-probe && "$WSLCTL" -q free port-probe
}

# sshd_start NAME PATH WSLCTL_SOCKET: an sshd on loopback whose sessions
# have that PATH and WSLCTL_SOCKET; sets PORT.  A port taken meanwhile by
# someone else is tried again, five times at most.
sshd_start() {
	_try=0
	while [ $_try -lt 5 ]; do
		_try=$((_try + 1))
		PORT=$(free_port) || bail "no free port from wsld"
		cat >"$S/sshd-$1.conf" <<EOF
ListenAddress 127.0.0.1:$PORT
HostKey $S/host_key
PidFile none
AuthorizedKeysFile $S/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers $ME
SetEnv "PATH=$2" "WSLCTL_SOCKET=$3"
EOF
		_log=$S/sshd-$1.log
		: >"$_log"
		"$SSHD" -D -e -f "$S/sshd-$1.conf" >>"$S/sshd-$1.log" 2>&1 &
		_pid=$!
		SSHD_PIDS="$SSHD_PIDS $_pid"
		_up() {
			file_has "$_log" "Server listening on" ||
			    ! kill -0 "$_pid" 2>/dev/null
		}
		until_true _up
		if kill -0 "$_pid" 2>/dev/null &&
		    file_has "$_log" "Server listening on"; then
			return 0
		fi
	done
	return 1
}

# The first one may find that sshd cannot run here; once one has, the
# others must.
why_no_sshd() {
	skip "sshd cannot run here: $(tail -n 1 "$S/sshd-$1.log" 2>/dev/null)"
	finish
}
sshd_start a "$BIN:/usr/local/bin:/usr/bin:/bin" "$SOCK" || why_no_sshd a
PA=$PORT
sshd_start b "$BIN:/usr/local/bin:/usr/bin:/bin" "$BSOCK" ||
    bail "sshd b did not start: $(tail -n 1 "$S/sshd-b.log")"
PB=$PORT
# c: no wslctl on its PATH.
sshd_start c "/nonexistent" "$SOCK" ||
    bail "sshd c did not start: $(tail -n 1 "$S/sshd-c.log")"
PC=$PORT
cat >"$S/config" <<EOF
Host a
  Port $PA
Host b
  Port $PB
Host c
  Port $PC
Host *
  HostName 127.0.0.1
  User $ME
  IdentityFile $S/user_key
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $S/known_hosts
  GlobalKnownHostsFile /dev/null
  HostKeyAlias wsl-test
  StrictHostKeyChecking yes
  ControlMaster no
  ControlPath none
  ConnectTimeout 10
  LogLevel ERROR
EOF
# What wslctl runs for ssh; it records its pid to show none is left.
cat >"$T/ssh-wrapper" <<EOF
#!/bin/sh
echo \$\$ >>"$T/ssh.pids"
exec ssh -F "$S/config" "\$@"
EOF
chmod 755 "$T/ssh-wrapper"
WSLCTL_SSH=$T/ssh-wrapper
export WSLCTL_SSH
if ! run timeout 20 ssh -F "$S/config" -T -o BatchMode=yes a true; then
	skip "ssh to a private sshd fails here: $ERR"
	finish
fi
pending_waits_are() { [ "$(field "$1" pending-waits)" = "$2" ]; }
no_ssh_left() {
	for p in $(cat "$T/ssh.pids" 2>/dev/null); do
		[ -d "/proc/$p" ] && return 1
	done
	return 0
}

# The same output as locally: stdout, stderr and exit status.  The wall
# time of a listener's last transition is left out: wsld works it out
# again for each reply, in whole seconds, so two replies may differ by
# one second.
no_time() { sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g'; }
same() { # DESCRIPTION ARGS...
	_d=$1
	shift
	run "$WSLCTL" "$@"
	_l=$(printf '%s' "$RC|$OUT|$ERR" | no_time)
	run "$WSLCTL" -H a "$@"
	expect "$_d over -H as locally (exit $RC)" "$_l" \
	    "$(printf '%s' "$RC|$OUT|$ERR" | no_time)"
}
same "list" list
same "status" status web
same "-j list" -j list
same "list with a pattern" list 'a*'
run "$WSLCTL" -H a abort web
expect "abort over -H: web FAULTED, exit 0" "0 web FAULTED" "$RC $OUT"
expect "... and the listener is FAULTED" FAULTED "$(state web)"
same "abort again" abort web
same "status of the aborted listener" status web
same "a refused open (exit 4, the daemon's error line)" open web
same "a listener that does not exist (exit 5)" status nothing
same "version" version
expect_match "... the version has both sides" "^wslctl .*
wsld .*control protocol" "$OUT"

# -s names the socket there (quoted for the remote shell); without it the
# remote default applies, and this host's WSLCTL_SOCKET is not sent.
run "$WSLCTL" -H a -s "$BSOCK" list
expect_match "-H a -s SOCKET: that host's socket of that path (quoted)" \
    "^other +OPEN " "$OUT"
run env WSLCTL_SOCKET="$BSOCK" "$WSLCTL" -H a list
expect_match "WSLCTL_SOCKET of this host is not used over -H" "^web +FAULTED" \
    "$OUT"
run "$WSLCTL" -H "$ME@127.0.0.1:$PA" list
expect_match "-H USER@HOST:PORT" "^web +FAULTED" "$OUT"

# Access: the remote wsld decides, from the ssh user's uid.
expect_match "the remote abort was logged by the ssh user's uid" \
    "OPEN -> FAULTED \\(abort by uid $(id -u) pid [0-9]+\\)" \
    "$(cat "$T/wsld.log")"
run "$WSLCTL" -s "$T/ro.sock" abort api
_l="$RC|$OUT|$ERR"
run "$WSLCTL" -H a -s "$T/ro.sock" abort api
expect "through the read-only socket there: denied as locally (exit 6)" \
    "$_l" "$RC|$OUT|$ERR"
expect_match "... E_ACCESSDENIED" "E_ACCESSDENIED" "$ERR"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	# nobody here, root there: root's level, not nobody's.
	chmod 755 "$T" "$S"
	cp "$S/user_key" "$S/nobody_key"
	chown 65534 "$S/nobody_key"
	chmod 644 "$S/config" "$S/known_hosts"
	sed "s|$S/user_key|$S/nobody_key|" "$S/config" >"$S/nobody_config"
	cp "$WSLCTL" "$T/wslctl-copy"
	chmod 755 "$T/wslctl-copy"
	nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups env \
		    WSLCTL_SSH="ssh -F $S/nobody_config" "$T/wslctl-copy" "$@"
	}
	run nobody -s "$SOCK" abort api
	expect "nobody cannot use this host's socket (exit 6)" 6 "$RC"
	run nobody -H "root@a" abort api
	expect "... but over -H as root it can: root's level there" \
	    "0 api CREATED" "$RC $OUT"
	expect_match "... logged as uid 0" \
	    "listener 'api': abort in CREATED: .*\\(by uid 0 pid" "$(cat "$T/wsld.log")"
else
	skip "acting as another local user needs root and setpriv"
fi

# accept: refused before ssh is even started.
: >"$T/ssh.pids"
run "$WSLCTL" -H a accept web
expect "accept over -H: exit 2" 2 "$RC"
expect_match "... saying why" \
    "^wslctl: accept cannot work over -H: the connection's descriptor cannot cross hosts" \
    "$ERR"
run "$WSLCTL" -H a call accept '{"name":"web"}'
expect "call accept over -H: exit 2 too" 2 "$RC"
run "$WSLCTL" -H a -H b accept web -- cat
expect "accept with several -H: exit 2" 2 "$RC"
expect "... and ssh was never started" "" "$(cat "$T/ssh.pids")"

# Failures: ssh's reason, exit 3.
DEAD=$(free_port)
run "$WSLCTL" -H "127.0.0.1:$DEAD" list
expect "a host that refuses: exit 3" 3 "$RC"
expect "... with ssh's reason, naming the host" \
    "wslctl: 127.0.0.1:$DEAD: ssh: connect to host 127.0.0.1 port $DEAD: Connection refused" \
    "$ERR"
run "$WSLCTL" -H nosuchuser@a list
expect "a user sshd refuses: exit 3" 3 "$RC"
expect_match "... with ssh's reason" "^wslctl: nosuchuser@a: .*Permission denied" \
    "$ERR"
run "$WSLCTL" -H c list
expect "no wslctl on the remote PATH: exit 3" 3 "$RC"
expect_match "... saying so" \
    "wslctl: c: cannot run 'wslctl --bridge' \\(exit status 127" "$ERR"
run "$WSLCTL" -H a -s "$T/none.sock" list
expect "no wsld at the remote socket: exit 3" 3 "$RC"
expect "... in the remote wslctl's words" \
    "wslctl: a: cannot reach wsld at $T/none.sock: No such file or directory (is wsld running? -s or WSLCTL_SOCKET choose the socket)" \
    "$ERR"
run "$WSLCTL" -H 'a b' list
expect "a host with a space: usage error (exit 2)" 2 "$RC"
run "$WSLCTL" -H -oProxyCommand=x list
expect "a host that ssh would take for an option: exit 2" 2 "$RC"
expect_match "... saying so" "a host cannot start with '-'" "$ERR"
# What ssh prints is escaped like everything else wslctl shows, and
# WSLCTL_SSH is a command line that gets ssh's arguments.
cat >"$T/fake-ssh" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >"$T/fake-args"
printf 'evil \033]0;title\007 line\r\n' >&2
exit 255
EOF
chmod 755 "$T/fake-ssh"
run env WSLCTL_SSH="$T/fake-ssh -o X=1" "$WSLCTL" -H 'u@[::1]:2222' \
    -s "/x y/it's" list
expect "WSLCTL_SSH gets: -T -o BatchMode=yes [-p PORT] USER@HOST COMMAND" \
    "-o X=1 -T -o BatchMode=yes -p 2222 u@::1 wslctl --bridge -s '/x y/it'\\''s'" \
    "$(cat "$T/fake-args")"
expect "ssh's control characters escaped" \
    'wslctl: u@[::1]:2222: evil \x1b]0;title\x07 line' "$ERR"
expect "... exit 3" 3 "$RC"

# -t counts from the start, ssh's connection included: a "host" that
# takes the TCP connection and never says a word.
"$WSLCTL" -q create sink net.tcp://127.0.0.1:0/ --open
SINK=$(field sink port)
: >"$T/ssh.pids"
t0=$(date +%s%N)
run "$WSLCTL" -t 1 -H "127.0.0.1:$SINK" list
ms=$((($(date +%s%N) - t0) / 1000000))
expect "-t 1 against a host that never answers: exit 124" 124 "$RC"
expect "... wslctl's timeout message" "wslctl: list: no reply within 1000 ms" \
    "$ERR"
if [ "$ms" -lt 3000 ]; then
	ok "... after ${ms} ms (at most 3000)"
else
	not_ok "... within 3 s"
	diag "took $ms ms"
fi
expect_eventually "... and its ssh is gone" no_ssh_left

# A waiting command whose wslctl is killed: ssh goes, the bridge ends,
# wsld cancels the wait, as for a local wslctl.
: >"$T/ssh.pids"
"$WSLCTL" -H a wait web OPEN >/dev/null 2>&1 &
WATCH_PID=$!
expect_eventually "a wait over -H is pending in wsld" pending_waits_are web 1
kill -TERM "$WATCH_PID"
{ wait "$WATCH_PID"; } 2>/dev/null
WATCH_PID=
expect_eventually "killing wslctl ends ssh" no_ssh_left
expect_eventually "... and the bridge: wsld cancels the wait" \
    pending_waits_are web 0

# Several hosts, in turn, each line labelled; the highest status.
run "$WSLCTL" -H a -H b list
_l=$( { "$WSLCTL" list | sed 's/^/a: /'; b list | sed 's/^/b: /'; } )
expect "-H a -H b list: each host's lines, labelled, in turn" "0|$_l" \
    "$RC|$OUT"
run "$WSLCTL" -H a -H b status web
expect "-H a -H b status web: exit 5, the worst (b has no web)" 5 "$RC"
expect_match "... a's status on stdout" "^a: web FAULTED net\\.tcp://" "$OUT"
expect_match "... b's error on stderr, labelled" \
    "^b: wslctl: status web: ERROR_NOT_FOUND" "$ERR"
run "$WSLCTL" -H "127.0.0.1:$DEAD" -H a -H c version
expect "an unreachable host does not stop the others (exit 3)" 3 "$RC"
expect_match "... the reachable one answered" "^a: wsld " "$OUT"
expect_match "... the others said why" \
    "^127\\.0\\.0\\.1:$DEAD: wslctl: ssh: connect to host .*Connection refused" \
    "$ERR"
if command -v jq >/dev/null 2>&1; then
	run "$WSLCTL" -j -H a -H b -H "127.0.0.1:$DEAD" list
	expect "-j with three hosts: three lines of JSON" \
	    "a|0 b|0 127.0.0.1:$DEAD|3" \
	    "$(printf '%s\n' "$OUT" | jq -r '"\(.host)|\(.result)"' | tr '\n' ' ' |
	    sed 's/ $//')"
	expect "... each reply as it came, but for its host key" \
	    "$("$WSLCTL" -j list | jq -c . | no_time)" \
	    "$(printf '%s\n' "$OUT" | head -n 1 | jq -c 'del(.host)' | no_time)"
	expect "... the unreachable host's line says why" \
	    "ssh: connect to host 127.0.0.1 port $DEAD: Connection refused" \
	    "$(printf '%s\n' "$OUT" | sed -n 3p | jq -r .text)"
	expect "... exit 3" 3 "$RC"
else
	skip "jq is not installed: the -j lines of several hosts are not parsed"
fi

# The bridge itself: a half-close still gets the reply.
run sh -c "printf '{\"command\":\"version\"}\\n' | '$WSLCTL' --bridge"
expect_match "--bridge relays a request and its reply" \
    '^\{"id":null,"result":0,.*"text":"wsld ' "$OUT"
expect "... and exits 0 when wsld has answered" 0 "$RC"
run "$WSLCTL" --bridge list
expect "--bridge with a command: exit 2" 2 "$RC"

run "$WSLCTL" -H a -q list
expect "a quiet run over -H prints nothing" "0|" "$RC|$OUT"
expect_eventually "no ssh is left" no_ssh_left
kill -TERM "$B_PID"
wait "$B_PID"
expect "the second wsld exits 0 on SIGTERM" 0 "$?"
B_PID=
if grep -Eq 'Sanitizer|runtime error' "$T/wsld-b.log"; then
	not_ok "no sanitizer report in the second wsld's log"
	sed 's/^/# /' "$T/wsld-b.log"
fi
for p in $SSHD_PIDS; do
	kill -TERM "$p" 2>/dev/null
done
finish
