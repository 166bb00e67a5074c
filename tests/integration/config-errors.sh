#!/bin/sh
# SPDX-License-Identifier: ISC
# Configuration errors that used to be wrong or missing: the bounds a
# message states are the bounds checked (and the manual's), an error is
# found where it is whatever the length or the characters of its keys,
# paths must fit in a socket address, and a file that is not a regular
# file (a FIFO) is refused at once by --check-config, at start and by a
# reload, which never blocks the control thread on it.
. "${top_srcdir:-.}/tests/integration/lib.sh"

check_config() { # FILE: wsld --check-config, bounded; ERR without "wsld: "
	run timeout 10 "$WSLD" --check-config -c "$1"
	ERR=$(printf '%s' "$ERR" | sed 's/^wsld: //')
}
repeat() { # repeat N STRING
	awk -v n="$1" -v s="$2" 'BEGIN { while (n-- > 0) printf "%s", s }'
}
backlog() { # backlog VALUE: a file giving a listener that backlog
	printf '{"listeners": {"p": {"url": "net.tcp://127.0.0.1:0/",\n  "properties": {"listen-backlog": %s}}}}\n' "$1" >"$T/backlog.json"
}

# listen-backlog: 1 to 2147483647, as wsld(8) says, one message for all.
for v in 2147483648 -1 0 4294967296; do
	backlog $v
	check_config "$T/backlog.json"
	expect "listen-backlog $v: refused with the documented bounds, at the value" \
	    "1 $T/backlog.json:2:36: listeners.p: \"listen-backlog\" must be an integer from 1 to 2147483647" \
	    "$RC $ERR"
done
backlog 2147483647
check_config "$T/backlog.json"
expect "listen-backlog 2147483647 is valid" 0 "$RC"

# The same table and message for wslctl create.
wsld_start
run "$WSLCTL" create x net.tcp://127.0.0.1:0/ -p listen-backlog=2147483648
expect "create: the same bounds and message" \
    "2 wslctl: create x: E_INVALIDARG (0x80070057): arguments/properties/listen-backlog: \"listen-backlog\" must be an integer from 1 to 2147483647" \
    "$RC $ERR"
wsld_stop

# Top-level keys: the message states the table's bounds.
printf '{"control-max-clients": 65537}' >"$T/max.json"
check_config "$T/max.json"
expect "control-max-clients: out of bounds" \
    "$T/max.json:1:25: \"control-max-clients\" must be an integer from 1 to 65536" "$ERR"

# Long keys are found where they are (they were reported at 1:1).
K=$(repeat 300 k)
printf '{\n  "listeners": {},\n    "%s": 1}\n' "$K" >"$T/longkey.json"
check_config "$T/longkey.json"
expect_match "a 300-byte unknown key: at its real line and column" \
    "^$T/longkey.json:3:309: unknown key 'k{64}\\.\\.\\.' \\(expected listeners, " "$ERR"
printf '{"listeners": {"e": {"url": "net.tcp://127.0.0.1:0/",\n  "handler": {"type": "echo", "%s": 1}}}}\n' \
    "$(repeat 200 'a/~')" >"$T/nested.json"
check_config "$T/nested.json"
expect_match "a 600-byte key with '/' and '~' in a handler: at its position" \
    "^$T/nested.json:2:635: listeners.e: unknown key '(a/~)+a' for the echo handler" "$ERR"
printf '{"access": {"a/b": "read"}}' >"$T/slash.json"
check_config "$T/slash.json"
expect "a group name with '/': at its value" \
    "$T/slash.json:1:20: access: no group named 'a/b'" "$ERR"
printf '{"listeners": {"a": {"url": "net.tcp://127.0.0.1:0/",\n  "\\u0070roperties": {"backlog": 1}}}}' >"$T/escaped.json"
check_config "$T/escaped.json"
expect "a key written with escapes: found all the same" \
    "$T/escaped.json:2:34: listeners.a: unknown property 'backlog' (known: listen-backlog, ip-version, state, async-callback-model, channel-type, channel-binding, connect-timeout, is-multicast, close-timeout, to-header-matching-options, transport-url-matching-options)" \
    "$ERR"

# Paths must fit in a socket address (sun_path, 107 bytes).
printf '{"pipe-directory": "/%s"}' "$(repeat 4999 d)" >"$T/pipedir.json"
check_config "$T/pipedir.json"
expect "a 5000-byte pipe-directory: refused, saying why" \
    "1 $T/pipedir.json:1:20: \"pipe-directory\" must be an absolute path of at most 105 bytes, leaving room for \"/NAME\" in the 107 bytes of a Unix socket address" \
    "$RC $ERR"
D105=/$(repeat 104 d)
printf '{"pipe-directory": "%s"}' "$D105" >"$T/pipedir.json"
check_config "$T/pipedir.json"
expect "a 105-byte pipe-directory is valid" 0 "$RC"
printf '{"pipe-directory": "%sd"}' "$D105" >"$T/pipedir.json"
check_config "$T/pipedir.json"
expect_match "106 bytes is not" "^$T/pipedir.json:1:20: \"pipe-directory\" must be an absolute path of at most 105 bytes" "$ERR"
printf '{"pipe-directory": "%s",\n "listeners": {"p": {"url": "net.pipe://localhost/pp"}}}' \
    "$D105" >"$T/pipename.json"
check_config "$T/pipename.json"
expect "a net.pipe socket path past 107 bytes: at the listener's url" \
    "$T/pipename.json:2:29: listeners.p: the socket path $D105/pp would be 108 bytes, more than the 107 a Unix socket address holds" \
    "$ERR"
printf '{"control-socket": "/%s"}' "$(repeat 107 s)" >"$T/sock.json"
check_config "$T/sock.json"
expect "a 108-byte control-socket: refused, saying why" \
    "$T/sock.json:1:20: \"control-socket\" must be an absolute path of at most 107 bytes, the most a Unix socket address holds" \
    "$ERR"

# Only a regular file is read: a FIFO (no writer, so reading it would
# block for ever), a device or a directory is refused at once.
mkfifo "$T/fifo.json"
check_config "$T/fifo.json"
expect "--check-config on a FIFO: refused at once" \
    "1 $T/fifo.json: a FIFO, not a regular file: the configuration is not read from it" \
    "$RC $ERR"
check_config /dev/zero
expect "... a device too" \
    "1 /dev/zero: a character device, not a regular file: the configuration is not read from it" \
    "$RC $ERR"
check_config "$T"
expect "... and a directory" \
    "1 $T: a directory, not a regular file: the configuration is not read from it" \
    "$RC $ERR"
run timeout 10 "$WSLD" -f -s "$SOCK" -c "$T/fifo.json"
expect "wsld started on a FIFO: exits 1 at once, saying why" \
    "1 wsld: $T/fifo.json: a FIFO, not a regular file: the configuration is not read from it" \
    "$RC $ERR"

# A reload of a file that became a FIFO fails, and the daemon serves on.
printf '{"listeners": {"a": {"url": "net.tcp://127.0.0.1:0/"}}}' >"$T/wsld.json"
wsld_start -c "$T/wsld.json"
before=$("$WSLCTL" list)
rm "$T/wsld.json"
mkfifo "$T/wsld.json"
run "$WSLCTL" -t 5 reload
expect "reload of a FIFO: refused (exit 2), saying why" \
    "2 wslctl: reload: WS_E_INVALID_FORMAT (0x803D0000): $T/wsld.json: a FIFO, not a regular file: the configuration is not read from it; nothing changed" \
    "$RC $ERR"
t0=$(date +%s%N)
run "$WSLCTL" -t 5 version
t1=$(date +%s%N)
expect "... version is answered at once" 0 "$RC"
diag "version answered in $(((t1 - t0) / 1000000)) ms"
# A wsld stuck on the FIFO would not stop either: end here, killing it.
[ "$RC" = 0 ] || bail "wsld no longer answers: the reload is stuck on the FIFO"
kill -HUP "$WSLD_PID"
expect_eventually "SIGHUP on the FIFO: logged, refused" \
    file_has "$T/wsld.log" "reload (on SIGHUP): $T/wsld.json: a FIFO, not a regular file"
run "$WSLCTL" -t 5 list
expect "... nothing changed, and wsld still answers" "0 $before" "$RC $OUT"
[ "$RC" = 0 ] || bail "wsld no longer answers after SIGHUP on the FIFO"
finish
