#!/bin/sh
# SPDX-License-Identifier: ISC
# Text from a client or a configuration is shown escaped wherever wsld or
# wslctl shows it: C0 and C1 controls (U+009B, the 8-bit CSI, as UTF-8 and
# as a raw byte), the bidi format characters and bytes that are not UTF-8
# never reach the log, a reply's sentence or wslctl's human output raw;
# -j keeps the text exact.  A net.pipe peer bound at a path that is not
# UTF-8 is accepted and shown escaped, in the reply and in WSL_PEER.
. "${top_srcdir:-.}/tests/integration/lib.sh"

C1=$(printf '\302\233')       # U+009B as UTF-8
RAW=$(printf '\233')          # the same as one raw byte
RLO=$(printf '\342\200\256')  # U+202E RIGHT-TO-LEFT OVERRIDE
LRI=$(printf '\342\201\246')  # U+2066 LEFT-TO-RIGHT ISOLATE
RLM=$(printf '\342\200\217')  # U+200F RIGHT-TO-LEFT MARK
ALM=$(printf '\330\234')      # U+061C ARABIC LETTER MARK
ESC=$(printf '\033')
# Any of them raw in a file or a string?
raw_in() { grep -c -e "$C1" -e "$RAW" -e "$RLO" -e "$LRI" -e "$RLM" -e "$ALM" -e "$ESC" "$@"; }

# From the configuration (JSON escapes), shown at start.
cat >"$T/wsld.json" <<'EOF'
{"listeners": {"conf": {"url": "net.tcp://127.0.0.1:0/c\u009b[2J\u202eevil\u2069"}}}
EOF
wsld_start -v -c "$T/wsld.json"
expect_match "a configured URL is logged escaped" \
    'conf.*net\.tcp://127\.0\.0\.1:0/c\\u009b\[2J\\u202eevil\\u2069' \
    "$(cat "$T/wsld.log")"

# From a request.
URL="net.tcp://127.0.0.1:0/a${C1}[2Jb${RLO}c${LRI}d${RLM}e${ALM}f${ESC}[0m"
SHOWN='net.tcp://127.0.0.1:0/a\u009b[2Jb\u202ec\u2066d\u200fe\u061cf\x1b[0m'
run "$WSLCTL" create web "$URL"
expect "create with such a URL works" 0 "$RC"
run "$WSLCTL" list
expect_match "wslctl list shows the URL escaped" \
    "^web +CREATED +$(printf '%s' "$SHOWN" | sed 's/[][\\.]/\\&/g')$" \
    "$(printf '%s\n' "$OUT" | grep '^web')"
expect "... and nothing of it raw" 0 "$(printf '%s\n' "$OUT" | raw_in)"
run "$WSLCTL" status web
expect "wslctl status neither" 0 "$(printf '%s\n' "$OUT" | raw_in)"
run "$WSLCTL" -j status web
expect "wslctl -j keeps the URL exact" \
    "$URL" "$(printf '%s' "$OUT" | sed 's/.*"url":"//; s/".*//' | sed 's/\\u001[bB]/\x1b/g')"
expect_match "the log shows the URL escaped" \
    "created $(printf '%s' "$SHOWN" | sed 's/[][\\.]/\\&/g')" \
    "$(cat "$T/wsld.log")"

# An unknown command: the reply's sentence, wslctl's error and the log.
printf '{"command":"no%sthing%s"}\n{"command":"raw%s"}\n' "$C1" "$RLO" "$RAW" |
    "$WSL_PROBE" ctl "$SOCK" >"$T/raw"
expect_match "the reply to an unknown command quotes it escaped" \
    "unknown command 'no\\\\\\\\u009bthing\\\\\\\\u202e'" "$(sed -n 1p "$T/raw")"
expect_match "a raw C1 byte is malformed JSON, and said so" \
    '"error":"WS_E_INVALID_FORMAT".*0x9b' "$(sed -n 2p "$T/raw")"
run "$WSLCTL" call "fr${C1}ob${RLO}"
expect_match "wslctl's error shows it escaped" \
    "unknown command 'fr\\\\u009bob\\\\u202e'" "$ERR"
expect "... and nothing raw" 0 "$(printf '%s\n' "$ERR" | raw_in)"
expect_match "the log too" "bad request .*unknown command 'fr\\\\u009bob\\\\u202e'" \
    "$(cat "$T/wsld.log")"

# A sentence cut inside a character is still a reply (it was dropped).
NAME=a
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	NAME="${NAME}éé"
done
run "$WSLCTL" status "$NAME"
expect "a name cut inside a character in the reply: ERROR_NOT_FOUND (exit 5)" \
    5 "$RC"
expect_match "... saying so, the cut byte escaped" \
    "no listener named 'aé+\\\\xc3'" "$ERR"

# A configuration error quotes the file escaped.
cat >"$T/bad.json" <<'EOF'
{"listeners": {"x": {"url": "net.tcp://127.0.0.1:0/", "bad\u009bkey\u202e": 1}}}
EOF
run "$WSLD" -n -c "$T/bad.json"
expect "a bad key in the configuration: exit 1" 1 "$RC"
expect_match "... quoted escaped" "bad\\\\u009bkey\\\\u202e" "$ERR"
expect "... and nothing raw" 0 "$(printf '%s\n' "$ERR" | raw_in)"

expect "nothing raw anywhere in wsld's log" 0 "$(raw_in "$T/wsld.log")"

# A net.pipe peer bound at a path that is not UTF-8 (and at an abstract
# name that is not either): the reply has the channel, WSL_PEER is set.
"$WSLCTL" create pipe net.pipe://localhost/p.sock --open >/dev/null
peer_of() { # peer_of BIND-PATH: what wslctl accept -- CMD is told
	: >"$T/peer"
	# (accept execs the command: when it is gone, so is the command)
	"$WSLCTL" -j -t 10 accept pipe -- sh -c 'printf %s "$WSL_PEER" >"$0"' \
	    "$T/peer" 2>"$T/accept.json" &
	_acc=$!
	until_true pending_accepts_are pipe 1 ||
	    bail "the accept never became pending"
	"$WSL_PROBE" -b "$1" unix "$T/p.sock" >/dev/null
	wait $_acc
	ACCEPT_RC=$?
}
BAD=$(printf '%s/c\377\376%s' "$T" "$RAW")
peer_of "$BAD"
expect "accept from a peer at a non-UTF-8 path works" 0 "$ACCEPT_RC"
expect "WSL_PEER is the path, escaped" "$T/c\\xff\\xfe\\x9b" "$(cat "$T/peer")"
expect_match "the reply has the channel object" \
    "\"channel\":\\{\"peer\":\"$T/c\\\\\\\\xff\\\\\\\\xfe\\\\\\\\x9b\"\\}" \
    "$(cat "$T/accept.json")"
expect_match "... and names the peer" \
    "accepted a channel from $T/c\\\\\\\\xff" "$(cat "$T/accept.json")"
rm -f "$BAD"
peer_of "@wsl-$$-$(printf '\377')${C1}"
expect "an abstract name: @ and the name, escaped" \
    "@wsl-$$-\\xff\\u009b" "$(cat "$T/peer")"
finish
