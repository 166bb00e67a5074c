#!/bin/sh
# SPDX-License-Identifier: ISC
# Out of memory while requests are buffered: wsld neither crashes nor
# misreads.  jansson 2.14 drops a byte it has no memory to save and parses
# on (load.c, lex_save); when that byte is a string's closing quote, it
# copies the string on past the end of its buffer.  wsld parses a request
# only with a reserve of memory in hand, serves an allocation that fails
# in mid-parse from it and ends the parse there (E_OUTOFMEMORY); and all
# control connections together buffer at most 32 MiB beyond 128 KiB each,
# an unfinished request past that being refused (WS_E_QUOTA_EXCEEDED).
#  1. Injected: allocations of 1 MiB and more fail, and a request holds a
#     string whose closing quote is the byte that makes jansson's buffer
#     grow to 1 MiB.
#  2. Injected, the k-th allocation for every k in turn: each reply is the
#     right one or E_OUTOFMEMORY (or the client is dropped, counted), never
#     a request read wrong nor a reply that lost a byte (jansson 2.14 also
#     ignores a failure to write an object key's quote).
#  3. Real (not under a sanitizer, which cannot run with RLIMIT_AS):
#     200 clients hold 600 KiB requests without their newline while a
#     fresh wsld's address space is limited to 250 MB; then the limit is
#     cut to what wsld uses plus 800 KiB, and the clients send their
#     newlines.  (Before the budget and the reserve, wsld held all 200,
#     and died of heap corruption.)
. "${top_srcdir:-.}/tests/integration/lib.sh"
: "${WSL_FLOOD:?}"
wsld_start --fault-injection
inject() { "$WSLCTL" call inject "$1" >/dev/null 2>&1; }

# 1. 2^19 bytes from quote to quote: saving the last one grows the buffer.
{
	printf '{"id":1,"command":"version","arguments":{"pad":"'
	head -c $((524288 - 2)) /dev/zero | tr '\0' x
	printf '"}}\n{"id":2,"command":"version"}\n{"id":3,"command":"version"}\n'
} >"$T/big"
inject '{"fault": "alloc-fail", "count": 2, "size": 1048576}'
"$WSL_PROBE" ctl "$SOCK" <"$T/big" >"$T/replies" 2>&1
wsld_alive || bail "wsld died reading a request that met a failed allocation"
expect_match "a request whose parse meets a failed allocation: E_OUTOFMEMORY" \
    '"id":1,.*"error":"E_OUTOFMEMORY","text":"out of memory while reading the request"' \
    "$(sed -n 1p "$T/replies")"
expect_match "... the next one, with the reserve not to be had again: not read" \
    '"id":null,.*"error":"E_OUTOFMEMORY","text":"out of memory: the request was not read"' \
    "$(sed -n 2p "$T/replies")"
expect_match "... and the one after is answered" '"id":3,"result":0' \
    "$(sed -n 3p "$T/replies")"

# 2. sweep ID NAME: a status request, failing at each allocation in turn.
sweep() {
	REQ='{"id":"'$1'","command":"status","arguments":{"name":"'$2'"}}'
	RIGHT='{"id":"'$1'","result":5,"hresult":"0x80070490","error":"ERROR_NOT_FOUND","text":"no listener named '\'$2\''","arguments":'
	k=0 right=0 oom=0 dropped=0 wrong=0 streak=0
	while [ $streak -lt 10 ] && [ $k -lt 300 ]; do
		inject "{\"fault\": \"alloc-fail\", \"skip\": $k, \"count\": 1}"
		printf '%s\n' "$REQ" | "$WSL_PROBE" ctl "$SOCK" >"$T/one" 2>/dev/null
		until_true inject '{"fault": "alloc-fail", "count": 0}'
		wsld_alive || bail "wsld died at allocation $k of a request"
		r=$(sed -n 1p "$T/one")
		# Byte for byte: a reply that lost a byte is wrong.
		case $r in
		"fds=0 $RIGHT"'{"name":"'$2'"}}' | "fds=0 $RIGHT{}}")
			right=$((right + 1))
			streak=$((streak + 1)) ;;
		'fds=0 {"id":'*',"result":1,"hresult":"0x8007000E","error":"E_OUTOFMEMORY","text":"out of memory'*'","arguments":{}}')
			oom=$((oom + 1))
			streak=0 ;;
		eof | reset)
			dropped=$((dropped + 1))
			streak=0 ;;
		*)
			wrong=$((wrong + 1))
			streak=0
			[ $wrong -le 5 ] && diag "allocation $k: $(printf '%s' "$r" |
			    cut -c1-400)" ;;
		esac
		k=$((k + 1))
	done
	diag "$k failure points: $right answered, $oom E_OUTOFMEMORY, $dropped dropped"
	expect "an allocation failing anywhere never makes a request read wrong, nor a reply ($3)" \
	    0 "$wrong"
	expect "... and some parses met one (E_OUTOFMEMORY)" yes \
	    "$([ "$oom" -gt 0 ] && echo yes)"
}
sweep abc nn "short strings"
sweep "$(head -c 300 /dev/zero | tr '\0' i)" "$(head -c 60 /dev/zero |
    tr '\0' n)" "long strings"

# 3. Under RLIMIT_AS.
if ldd "$WSLD" 2>/dev/null | grep -q 'libasan\|libtsan'; then
	skip "RLIMIT_AS: a sanitizer's shadow memory cannot fit an address-space limit"
	finish
fi
if ! command -v prlimit >/dev/null 2>&1; then
	skip "RLIMIT_AS: no prlimit"
	finish
fi
# hold SLACK_KB: 200 clients hold their requests in a fresh wsld (whose
# heap has no room left over from the above) under 250 MB, then complete
# them with SLACK_KB more than wsld then uses.
hold() {
	wsld_stop
	expect "wsld exits 0 on SIGTERM" 0 "$WSLD_STATUS"
	wsld_start
	# The soft limit only: raising it again needs no privilege.
	prlimit --pid "$WSLD_PID" --as=250000000:
	rm -f "$T/go"
	"$WSL_FLOOD" -n 200 -b 614400 -t 60000 -g "$T/go" hold "$SOCK" \
	    >"$T/hold" 2>&1 &
	F=$!
	expect_eventually "200 clients hold 600 KiB requests" \
	    file_has "$T/hold" sent
	buffered=$("$WSLCTL" -j version |
	    sed 's/.*"request-bytes-buffered":\([0-9]*\).*/\1/')
	expect "... wsld holds 32 MiB of them and more" yes \
	    "$([ "$buffered" -gt 33554432 ] && echo yes)"
	vm=$(awk '/^VmSize/ { print $2 }' "/proc/$WSLD_PID/status")
	diag "wsld's address space: $vm kB; limited to $((vm + $1)) kB"
	prlimit --pid "$WSLD_PID" --as=$(((vm + $1) * 1024)):
	touch "$T/go"
	wait $F
	wsld_alive ||
	    bail "wsld died when the requests were completed under RLIMIT_AS"
	ok "wsld survives the requests completed with $1 KiB to spare"
	tally=$(sed -n 2p "$T/hold")
	diag "$tally"
	case $tally in
	*dropped=0) ;;
	*) tail -5 "$T/wsld.log" | while IFS= read -r l; do diag "$l"; done ;;
	esac
	expect_match "... every client was answered, none dropped" \
	    'dropped=0$' "$tally"
	expect_match "... some refused, for the budget" 'refused=[1-9]' \
	    "$tally"
	expect_match "... with a reason" \
	    '"error":"WS_E_QUOTA_EXCEEDED","text":"wsld holds [0-9]+ bytes of unfinished control requests and may hold no more \(33554432 beyond 131072 per connection\); the request is refused; closing the connection"' \
	    "$(sed -n 3p "$T/hold")"
	expect_match "... the refusals logged" \
	    "control: uid [0-9]+ pid [0-9]+: wsld holds [0-9]+ bytes of unfinished" \
	    "$(cat "$T/wsld.log")"
	prlimit --pid "$WSLD_PID" --as=unlimited:
	expect "... wsld serves on" 0 "$("$WSLCTL" -q version; echo $?)"
	held=$("$WSLCTL" -j version |
	    sed 's/.*"request-bytes-buffered":\([0-9]*\).*/\1/')
	expect "... its input buffers given back (but the asking one's)" yes \
	    "$([ "$held" -le 65536 ] && echo yes)"
}
# Room for the copy of a string (512 KiB) but not for its buffer to grow
# (1 MiB), or for neither.
hold 800
hold 1300
finish
