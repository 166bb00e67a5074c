#!/bin/sh
# SPDX-License-Identifier: ISC
# Bad input on the control socket, spoken raw: every kind gets a clear
# error reply (or, past the size limit, an error and the end of the
# connection), the daemon keeps serving, and no listener changes.
. "${top_srcdir:-.}/tests/integration/lib.sh"
wsld_start
"$WSLCTL" create web net.tcp://127.0.0.1:0/ --open >/dev/null
BEFORE=$("$WSLCTL" status web)

raw() { # raw [probe options]: stdin to the socket, replies to $T/raw
	"$WSL_PROBE" "$@" ctl "$SOCK" >"$T/raw"
}
got() { OUT=$(cat "$T/raw"); }

printf '%s\n' '{"id":1,"command":' '{"id":2,"command":"version"}' | raw
got
expect_match "malformed JSON: WS_E_INVALID_FORMAT, result 2" \
    '^fds=0 \{"id":null,"result":2,"hresult":"0x803D0000","error":"WS_E_INVALID_FORMAT","text":"malformed JSON at line 1' \
    "$(echo "$OUT" | sed -n 1p)"
expect_match "... and the next request on the connection is answered" \
    '^fds=0 \{"id":2,"result":0,"hresult":"0x00000000",' "$(echo "$OUT" | sed -n 2p)"
printf '[1,2]\n' | raw
got
expect_match "a JSON array: WS_E_INVALID_FORMAT" '"error":"WS_E_INVALID_FORMAT","text":"a message must be a JSON object"' "$OUT"
printf '{"id":"x","command":"frobnicate"}\n' | raw
got
expect_match "unknown command: E_INVALIDARG, result 2, id echoed" \
    '^fds=0 \{"id":"x","result":2,"hresult":"0x80070057","error":"E_INVALIDARG","text":"unknown command .frobnicate.' "$OUT"
printf '{"command":"status"}\n' | raw
got
expect_match "missing argument: E_INVALIDARG naming it" \
    "\"error\":\"E_INVALIDARG\",\"text\":\"'status' needs the argument 'name'" "$OUT"
printf '{"command":"status","arguments":{"name":5}}\n' | raw
got
expect_match "wrongly typed argument: E_INVALIDARG" \
    "\"error\":\"E_INVALIDARG\",\"text\":\"'status': the argument 'name' must be a string" "$OUT"
printf '{"command":"abort","arguments":{"name":"web","force":true}}\n' | raw
got
expect_match "unknown argument: E_INVALIDARG" "unknown argument 'force' for 'abort'" "$OUT"
printf '{"command":"abort","arguments":"web"}\n' | raw
got
expect_match "arguments not an object: E_INVALIDARG" '"arguments\\" must be an object' "$OUT"
printf '{"command":"abort","arguments":{"name":"nosuch"}}\n' | raw
got
expect_match "unknown listener: ERROR_NOT_FOUND, result 5 (not 4)" \
    '"result":5,"hresult":"0x80070490","error":"ERROR_NOT_FOUND","text":"no listener named .nosuch."' "$OUT"
printf '{"command":"list","command":"list"}\n' | raw
got
expect_match "duplicate keys: WS_E_INVALID_FORMAT" 'duplicate object key' "$OUT"
printf '{"command":"status","arguments":{"name":"\377"}}\n' | raw
got
expect_match "invalid UTF-8: WS_E_INVALID_FORMAT" '"error":"WS_E_INVALID_FORMAT".*(UTF-8|unable to decode)' "$OUT"
printf '{"command":"version","extra":1}\n' | raw
got
expect_match "unknown key in the envelope: E_INVALIDARG" "unknown key 'extra' in request" "$OUT"

# Framing: whatever the pieces, the same replies, in order.
# (Replies that do not change between runs, compared whole.)
REQS='{"id":1,"command":"commands"}
{"id":2,"command":"status","arguments":{"name":"web"}}

{"id":3,"command":"status","arguments":{"name":"none"}}'
printf '%s\n' "$REQS" | raw
got
WHOLE=$OUT
expect "three requests in one write: three replies, then the end" 4 \
    "$(echo "$WHOLE" | wc -l)"
printf '%s\n' "$REQS" | raw -c 1
got
expect "one byte at a time gives the same replies" "$WHOLE" "$OUT"
printf '%s\n' "$REQS" | raw -c 7
got
expect "seven bytes at a time too" "$WHOLE" "$OUT"
expect "pipelined requests are answered in order (blank line ignored)" \
    '1 2 3' "$(echo "$OUT" | grep -o '"id":[0-9]' | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
printf '{"id":9,"command":"version"}' | raw
got
expect_match "EOF ends the last request" '^fds=0 \{"id":9,"result":0' "$OUT"

# The size limit: 1 MiB including the newline.
PREFIX='{"command":"version","id":"'
pad() { head -c "$1" /dev/zero | tr '\0' 'a'; }
N=$((1048576 - ${#PREFIX} - 2 - 1))
{ printf '%s' "$PREFIX"; pad $N; printf '"}\n'; } | raw
got
expect_match "a request of exactly 1 MiB is served" '^fds=0 \{"id":"aaaa.*"result":0' "$(echo "$OUT" | head -1)"
{ printf '%s' "$PREFIX"; pad $((N + 1)); printf '"}\n{"command":"version"}\n'; } | raw
got
expect_match "one byte more: WS_E_INVALID_FORMAT" \
    '^fds=0 \{"id":null,"result":2,"hresult":"0x803D0000","error":"WS_E_INVALID_FORMAT","text":"the request is larger than 1048576 bytes' \
    "$(echo "$OUT" | head -1)"
# (EOF, or a reset when the rest of the request was still unread)
expect_match "... and the connection ends there" '^(eof|reset)$' "$(echo "$OUT" | sed -n 2p)"
{ pad 3000000; } | raw
got
expect_match "3 MB without a newline: the same" '"text":"the request is larger than 1048576 bytes' "$(echo "$OUT" | head -1)"

# A client stuck in the middle of a request does not stall the others.
printf '{"command":"vers' | "$WSL_PROBE" -k -t 3000 ctl "$SOCK" >"$T/stuck" &
STUCK=$!
run "$WSLCTL" status web
expect "another client is served meanwhile" 0 "$RC"
kill $STUCK 2>/dev/null
{ wait $STUCK; } 2>/dev/null

expect "after all of it, the listener is untouched" "$BEFORE" "$("$WSLCTL" status web)"

# What a peer sends never forges a log line or reaches a terminal raw,
# through wsld's log or wslctl's output.
ESC=$(printf '\033')
"$WSLCTL" create esc "net.tcp://127.0.0.1:0/a${ESC}[2J
wsld: forged" >/dev/null
expect_match "control characters from a request are escaped in the log" \
    "created net.tcp://127.0.0.1:0/a.x1b\[2J.nwsld: forged" "$(cat "$T/wsld.log")"
expect "... none reaches it raw" 0 "$(grep -c "$ESC" "$T/wsld.log")"
run "$WSLCTL" list
expect_match "wslctl shows them escaped too" \
    "esc +CREATED +net.tcp://127.0.0.1:0/a.x1b\[2J.nwsld: forged$" "$OUT"
expect "... and never raw" 0 "$(printf '%s\n' "$OUT" | grep -c "$ESC")"
"$WSLCTL" free esc >/dev/null
finish
