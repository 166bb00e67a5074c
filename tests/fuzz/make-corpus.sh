#!/bin/sh
# SPDX-License-Identifier: ISC
# Seed corpora for the fuzzers, generated from the project itself: a
# request for every command of proto/commands.def (with the arguments it
# takes), sessions that walk the state machine, and the shipped and
# documented configurations, and a reload of fuzz-config's previous one.
# Usage: make-corpus.sh SRCDIR OUTDIR
set -eu
src=$1 out=$2
mkdir -p "$out/control" "$out/config"
seed() { # DIR: stdin is one seed (numbered by the files so far, so
	# that it works at the end of a pipe too)
	_n=$(find "$out" -type f | wc -l)
	cat >"$out/$1/seed-$((_n + 1))"
}
# One request per command, from the table.
for cmd in $(sed -n 's/^WSL_CMD([a-z_]*, "\([a-z]*\)".*/\1/p' \
    "$src/proto/commands.def"); do
	printf '{"id":1,"command":"%s","arguments":{"name":"web"}}\n' "$cmd" |
	    seed control
	printf '{"command":"%s"}\n' "$cmd" | seed control
done
seed control <<'EOS'
{"id":"a","command":"create","arguments":{"name":"web","url":"net.tcp://127.0.0.1:0/","handler":{"type":"echo"},"open":true}}
{"id":"b","command":"abort","arguments":{"name":"web"}}
{"id":"c","command":"accept","arguments":{"name":"web","timeout-ms":0}}
{"id":"d","command":"close","arguments":{"name":"web"}}
{"id":"e","command":"reset","arguments":{"name":"web"}}
{"id":"f","command":"open","arguments":{"name":"web"}}
{"id":"g","command":"status","arguments":{"name":"web"}}
{"id":"h","command":"free","arguments":{"name":"web"}}
EOS
seed control <<'EOS'
{"command":"create","arguments":{"name":"p","url":"net.pipe://localhost/f.sock","open":true}}
{"command":"accept","arguments":{"name":"p"}}
{"command":"wait","arguments":{"name":"p","state":"CLOSED","timeout-ms":10}}
{"command":"set","arguments":{"name":"p","property":"listen-backlog","value":5}}
{"command":"get","arguments":{"name":"p"}}
EOS
seed control <<'EOS'
{"command":"create","arguments":{"name":"u","url":"soap.udp://127.0.0.1:0/","properties":{"ip-version":4},"handler":{"type":"echo","idle-timeout-ms":100},"open":true}}
{"command":"create","arguments":{"name":"f","url":"http://+:0/","handler":{"type":"forward","upstream":"tcp://127.0.0.1:9","connect-timeout-ms":50},"open":true}}
{"command":"create","arguments":{"name":"x","url":"net.tcp://[::1]:0/","handler":{"type":"exec","command":["/bin/true"],"max-channels":2},"open":true}}
{"command":"list"}
EOS
printf '{"command":"list","id":[[[[[[[[]]]]]]]]}\n{"command":\n' | seed control
printf '\377\376{"command":"list"}\n{"command":"list","command":"status"}\n' |
    seed control
# Several clients at once (fuzz-control.c: bytes 1 to 4 switch clients,
# 5 half-closes, 6 drops the client, 7 turns the loop): requests split
# between clients' turns, a pending accept and wait whose client goes,
# the read-only socket, a flood of empty lines.
printf '%s\002%s\001%s\004%s\005\003%s\007\001%s\n' \
    '{"id":1,"command":"create","arguments":{"name":"w",' \
    '{"command":"list"}
' '"url":"net.tcp://127.0.0.1:0/","open":true}}
{"command":"accept","arguments":{"name":"w","timeout-ms":50}}
' \
    '{"command":"create","arguments":{"name":"r","url":"net.tcp://127.0.0.1:0/"}}
{"command":"status","arguments":{"name":"w"}}
' '{"command":"wait","arguments":{"name":"w","state":"CLOSED"}}
' '{"command":"close","arguments":{"name":"w"}}' | seed control
printf '%s\006\002%s\003%s\002%s\n' \
    '{"command":"create","arguments":{"name":"p","url":"net.pipe://localhost/g.sock","open":true}}
{"command":"accept","arguments":{"name":"p"}}
' '{"command":"wait","arguments":{"name":"p","state":"FAULTED","timeout-ms":10000}}
' '{"command":"abort","arguments":{"name":"p"}}
' '









{"command":"version"}' | seed control
# Configurations.
seed config <"$src/etc/wsld.json"
seed config <<'EOS'
{"control-socket": "/run/wsld/control.sock", "control-socket-group": "root",
 "read-only-socket": "/run/wsld/ro.sock", "access": {"root": "operate"},
 "control-max-clients": 10, "control-request-timeout-ms": 500,
 "pipe-directory": "/run/wsld",
 "listeners": {
  "f": {"url": "net.tcp://127.0.0.1:0/",
        "handler": {"type": "forward", "upstream": "unix:/run/x.sock"}},
  "e": {"url": "net.tcp://127.0.0.1:0/", "open": false,
        "handler": {"type": "exec", "command": ["/bin/cat"],
                    "stderr": "null", "env": {"A": "b"}}},
  "u": {"url": "soap.udp://+:0/", "properties": {"close-timeout": 10}}}}
EOS
# Reloads on top of fuzz-config.c's previous configuration (listeners
# a, b, c, d): a unchanged, b changed on the same path (its socket is
# handed over), c changed to another binding, d removed, e added.
seed config <<'EOS'
{"listeners": {
 "a": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true},
 "b": {"url": "net.pipe://localhost/b.sock", "properties": {"listen-backlog": 3}, "open": true},
 "c": {"url": "net.tcp://127.0.0.1:0/", "open": true},
 "e": {"url": "soap.udp://127.0.0.1:0/", "handler": {"type": "forward", "upstream": "udp://127.0.0.1:9"}, "open": true}}}
EOS
printf '{"listeners": {"a": {"url": 5}}}' | seed config
# Included files: parsed only (fuzz-config.c does not reload them).
printf '{"include": ["conf.d/*.json", "/nonexistent/*.json"], "listeners": {}}' | seed config
printf '{"listeners": [' | seed config
