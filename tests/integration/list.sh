#!/bin/sh
# SPDX-License-Identifier: ISC
# list: --fields (those fields only, in that order, with --state and a
# glob; an unknown one refused as a usage error), and a large list made
# as it is sent: a client that does not read its list of 2,000 listeners
# holds at most the high-water mark of replies (not the whole list), and
# meanwhile other clients are answered, listeners change, and the list,
# once read, is whole and shows each listener as it was when its turn came.
. "${top_srcdir:-.}/tests/integration/lib.sh"

N=2000
# CREATED listeners cost no descriptor: 2,000 fit any limit.
{
	printf '{"listeners": {\n'
	i=0
	while [ $i -lt $N ]; do
		printf '"l%d": {"url": "net.tcp://127.0.0.1:0/"},\n' $i
		i=$((i + 1))
	done
	printf '"y-opened": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}},\n'
	printf '"z-freed": {"url": "net.tcp://127.0.0.1:0/"}\n'
	printf '}}\n'
} >"$T/wsld.json"
wsld_start -c "$T/wsld.json"
"$WSLCTL" create web net.tcp://127.0.0.1:0/ --open >/dev/null

# --fields: those fields, in the order asked for.
run "$WSLCTL" -j list --fields state,name 'l1?'
expect "-j list --fields state,name: only those, in that order" \
    '[{"state":"CREATED","name":"l10"},{"state":"CREATED","name":"l11"},{"state":"CREATED","name":"l12"},{"state":"CREATED","name":"l13"},{"state":"CREATED","name":"l14"},{"state":"CREATED","name":"l15"},{"state":"CREATED","name":"l16"},{"state":"CREATED","name":"l17"},{"state":"CREATED","name":"l18"},{"state":"CREATED","name":"l19"}]' \
    "$(printf '%s' "$OUT" | sed 's/.*"listeners"://; s/}}$//')"
run "$WSLCTL" -j list --fields=name,port,bound --state OPEN
expect_match "... with --state: the open one, with its port" \
    '"listeners":\[\{"name":"web","port":[1-9][0-9]*,"bound":true\}\]' "$OUT"
run "$WSLCTL" list --fields name,handler,state 'web'
expect_match "... for a person: a column per field, in that order" \
    '^web  \{"type":"accept"\} OPEN$' "$OUT"
run "$WSLCTL" list 'l199?'
expect "list without --fields prints name, state and URL as before" \
    "$(printf 'l1990 CREATED  net.tcp://127.0.0.1:0/\nl1991 CREATED  net.tcp://127.0.0.1:0/')" \
    "$(printf '%s\n' "$OUT" | head -2)"
run "$WSLCTL" list --fields name,bogus
expect "an unknown field: exit 2, as other usage errors" 2 "$RC"
expect_match "... naming it and the fields there are" \
    "unknown field 'bogus' \(name, url, binding, state, .*counters, lanes\)" "$ERR"
run "$WSLCTL" list --fields ''
expect "an empty field name: exit 2" 2 "$RC"
run "$WSLCTL" call list '{"fields": "name"}'
expect "\"fields\" not an array: exit 2" 2 "$RC"
expect_match "... saying what it must be" '"fields" must be an array' "$ERR"
run "$WSLCTL" call list '{"fields": []}'
expect "no fields at all: exit 2" 2 "$RC"

# A client asks for the whole list (about 1.4 MB) and reads nothing
# until told to.
queued() {
	"$WSLCTL" -j version | grep -o '"reply-bytes-queued":[0-9]*' | cut -d: -f2
}
held() { [ "$(queued)" -ge 262144 ]; }
printf '%s\n' '{"id":1,"command":"list"}' |
    "$WSL_PROBE" -t 20000 -w "$T/go" ctl "$SOCK" >"$T/big" 2>&1 &
BIG=$!
expect_eventually "a client that does not read its list holds the high-water mark of replies" held
q=$(queued)
expect "... and no more than that and a slice, not the whole list (${q} bytes queued)" \
    yes "$([ "$q" -le 400000 ] && echo yes)"
run "$WSLCTL" -t 5 status l1000
expect "meanwhile, status from another client is answered" "0 l1000 CREATED" \
    "$RC $(printf '%s\n' "$OUT" | head -1 | awk '{ print $1, $2 }')"
run "$WSLCTL" -t 5 list 'l100?'
expect "... and so is another list" 10 "$(printf '%s\n' "$OUT" | grep -c CREATED)"
run "$WSLCTL" -t 5 open y-opened
expect "... an open" 0 "$RC"
run "$WSLCTL" -t 5 free z-freed
expect "... and a free" 0 "$RC"
touch "$T/go"
wait $BIG
big=$(cat "$T/big")
expect_match "once read, the list is one whole reply" '^fds=0 \{"id":1,"result":0,.*\]\}\}$' "$big"
expect "... of every listener" $((N + 2)) \
    "$(printf '%s\n' "$big" | grep -o '"name":"[^"]*"' | wc -l)"
names=$(printf '%s\n' "$big" | grep -o '"name":"[^"]*"' | cut -d'"' -f4)
expect "... sorted by name" "$(printf '%s\n' "$names" | LC_ALL=C sort)" "$names"
expect_match "... the one opened meanwhile as it was when its turn came: OPEN" \
    '"name":"y-opened","url":"[^"]*","binding":"net.tcp","state":"OPEN"' "$big"
expect "... the one freed meanwhile left out" 0 \
    "$(printf '%s\n' "$big" | grep -c '"name":"z-freed"')"

# A client that goes away in the middle of its list: the rest is dropped.
printf '%s\n' '{"id":1,"command":"list"}' |
    "$WSL_PROBE" -t 20000 -w "$T/never" -k ctl "$SOCK" >/dev/null 2>&1 &
GONE=$!
expect_eventually "another client holding its list" held
kill -KILL $GONE
wait $GONE 2>/dev/null
nothing_queued() { [ "$(queued)" -eq 0 ]; }
expect_eventually "once it has gone, nothing of its list is left queued" nothing_queued
run "$WSLCTL" -t 5 status web
expect "wsld serves on" 0 "$RC"

finish
