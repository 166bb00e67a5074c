#!/bin/sh
# SPDX-License-Identifier: ISC
# Out of memory while a request is read: wsld neither crashes nor
# misreads.  jansson 2.14 drops a byte it has no memory to save and parses
# on (load.c, lex_save); when that byte is a string's closing quote, it
# copies the string on past the end of its buffer.  wsld parses a request
# only with a reserve of memory in hand, serves an allocation that fails
# in mid-parse from it and ends the parse there (E_OUTOFMEMORY).
#  1. Injected: allocations of 1 MiB and more fail, and a request holds a
#     string whose closing quote is the byte that makes jansson's buffer
#     grow to 1 MiB.
#  2. Injected, the k-th allocation for every k in turn: each reply is the
#     right one or E_OUTOFMEMORY (or the client is dropped, counted), never
#     a request read wrong nor a reply that lost a byte (jansson 2.14 also
#     ignores a failure to write an object key's quote).
. "${top_srcdir:-.}/tests/integration/lib.sh"
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

finish
