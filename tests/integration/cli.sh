#!/bin/sh
# SPDX-License-Identifier: ISC
# wslctl's conventions: usage errors, an unreachable daemon, -q, -j, the
# socket from -s or WSLCTL_SOCKET, call, and the error line format.
. "${top_srcdir:-.}/tests/integration/lib.sh"

run "$WSLCTL" status web
expect "no daemon: exit 3" 3 "$RC"
expect_match "... saying where it looked" "cannot reach wsld at $SOCK" "$ERR"
wsld_start
run "$WSLCTL"
expect "no command: exit 2" 2 "$RC"
expect_match "... with the usage" '^usage: wslctl ' "$ERR"
run "$WSLCTL" frobnicate
expect "an unknown verb: exit 2" 2 "$RC"
expect_match "... named" "^wslctl: unknown command 'frobnicate'" "$ERR"
run "$WSLCTL" abort
expect "a missing NAME: exit 2" 2 "$RC"
expect_match "... with the verb's usage" 'usage: wslctl abort NAME' "$ERR"
run "$WSLCTL" create web net.tcp://127.0.0.1:0/ --property nonsense
expect "--property without =: exit 2" 2 "$RC"
expect_match "... saying what it needs" \
    "wslctl: create: --property needs KEY=VALUE, not 'nonsense'" "$ERR"
run "$WSLCTL" -t soon list
expect "-t needs seconds: exit 2" 2 "$RC"
expect_match "... saying so" "wslctl: -t needs seconds, not 'soon'" "$ERR"
run "$WSLCTL" accept web --
expect "accept NAME -- without a command: exit 2" 2 "$RC"
expect_match "... with the verb's usage" \
    'usage: wslctl accept NAME \[-- COMMAND \[ARGS...\]\]' "$ERR"

run "$WSLCTL" -q create web net.tcp://127.0.0.1:0/ --open -p listen-backlog=32
expect "-q prints nothing on stdout" "" "$OUT"
expect "... and exits 0" 0 "$RC"
run "$WSLCTL" -q open web
expect "-q: errors still go to stderr" "4" "$RC"
expect_match "... in the documented format" \
    '^wslctl: open web: WS_E_INVALID_OPERATION \(0x803D0003\): open is not allowed when the listener is OPEN$' "$ERR"
run "$WSLCTL" -j status web
expect_match "-j prints the daemon's reply as it came" \
    '^\{"id":null,"result":0,"hresult":"0x00000000","text":"[^"]*","arguments":\{"name":"web","url":"net\.tcp://127\.0\.0\.1:0/",' "$OUT"
expect_match "... with the port as an integer" '"port":[1-9][0-9]*,' "$OUT"
run "$WSLCTL" get web listen-backlog
expect "create -p sets a property" 32 "$OUT"
run "$WSLCTL" set web listen-backlog 64
expect "set of a create-time property: exit 2" 2 "$RC"
expect_match "... E_INVALIDARG saying why" "can only be given when the listener is created" "$ERR"
run "$WSLCTL" call status '{"name":"web"}'
expect_match "call sends any command with JSON arguments" '"name":"web"' "$OUT"
run env WSLCTL_SOCKET=/nonexistent "$WSLCTL" -s "$SOCK" status web
expect "-s wins over WSLCTL_SOCKET" 0 "$RC"
run "$WSLCTL" -s "$T/nothing.sock" list
expect "-s to nowhere: exit 3" 3 "$RC"
run "$WSLCTL" commands
expect_match "commands lists every command with its level" '^abort +operate ' "$OUT"
# Everything after accept's "--" is the command's, another "--" too.
# (The command's stdout is the connection.)
"$WSLCTL" accept web -- sh -c 'echo "ran with $*"' sh x -- y &
ACC=$!
until_true pending_accepts_are web 1
run "$WSL_PROBE" tcp "$(field web port)"
wait $ACC
expect "accept runs the command after the first --, with a later -- as an argument" \
    "connected eof ran with x -- y\n" "$(oneline "$OUT" | sed 's/ $//')"
# list filters: by state, by a glob on names, both; a bad state is refused.
"$WSLCTL" create flt-a net.tcp://127.0.0.1:0/ >/dev/null
"$WSLCTL" create flt-b net.tcp://127.0.0.1:0/ --open >/dev/null
run "$WSLCTL" list 'flt-*'
expect "list GLOB lists the matching names only" "flt-a flt-b" \
    "$(echo "$OUT" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
run "$WSLCTL" list --state OPEN 'flt-*'
expect "list --state OPEN GLOB: only the open ones" "flt-b" \
    "$(echo "$OUT" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
run "$WSLCTL" list --state OPENED
expect "an unknown state is refused (exit 2, E_INVALIDARG)" 2 "$RC"
expect_match "... saying which states there are" "unknown state 'OPENED'" "$ERR"
"$WSLCTL" close flt-b >/dev/null
"$WSLCTL" free flt-a >/dev/null
"$WSLCTL" free flt-b >/dev/null
run "$WSLCTL" version
expect_match "version names both sides" "^wslctl [0-9.]+ wsld [0-9.]+ \(control protocol 2\)$" "$(oneline "$OUT" | sed 's/ $//')"
# create --open whose open fails is undone as a whole: the name is free
# at once (a create of it right after succeeds); --keep keeps it CREATED.
TAKEN=$(field web port)
run "$WSLCTL" create dup "net.tcp://127.0.0.1:$TAKEN/" --open
expect "create --open on a taken port fails (exit 1)" 1 "$RC"
expect_match "... saying the listener was not kept" \
    "WS_E_ADDRESS_IN_USE .*listener 'dup' was not kept \(create --keep leaves it CREATED\)$" "$ERR"
run "$WSLCTL" create dup net.tcp://127.0.0.1:0/
expect "... and the name is free at once" "0 dup CREATED" "$RC $OUT"
freed() { ! "$WSLCTL" list | grep -q "net.tcp://127.0.0.1:$TAKEN/"; }
expect_eventually "... the failed one is gone" freed
expect_match "... and the log says it was freed" "listener 'dup': freed" "$(cat "$T/wsld.log")"
run "$WSLCTL" create kept "net.tcp://127.0.0.1:$TAKEN/" --open --keep
expect "with --keep the failure is reported (exit 1)" 1 "$RC"
expect "... and the listener stays CREATED" CREATED "$(state kept)"
run "$WSLCTL" call create '{"name": "k2", "url": "net.tcp://127.0.0.1:0/", "keep": "yes"}'
expect_match "keep must be a boolean" 'arguments/keep: "keep" must be true or false' "$ERR"

# A mistyped command or name: the nearest ones are suggested; with no
# near name and few listeners, the names there are.
run "$WSLCTL" lsit
expect "an unknown command: exit 2" 2 "$RC"
expect_match "... suggesting the nearest" "^wslctl: unknown command 'lsit'; did you mean 'list'\?$" "$(printf '%s\n' "$ERR" | head -1)"
run "$WSLCTL" status wbe
expect_match "a mistyped listener name: the near ones" \
    "no listener named 'wbe'; did you mean 'web'\?$" "$ERR"
run "$WSLCTL" status zzzzzzzz
expect_match "no near one: no suggestion" "no listener named 'zzzzzzzz'$" "$ERR"
# -j and -q after the command too; after accept's "--" they are the
# command's.
run "$WSLCTL" list -j
expect_match "list -j prints JSON" '^\{"id":null,"result":0,' "$OUT"
run "$WSLCTL" status web -q
expect "status NAME -q prints nothing" "0 " "$RC $OUT"
run "$WSLCTL" accept nosuch -- echo -j
expect "-j after accept's -- is the command's" "5 " "$RC $OUT"

finish
