#!/bin/bash
# SPDX-License-Identifier: ISC
# bash completion of wslctl, driven as bash drives it (COMP_WORDS,
# COMP_CWORD, the function, COMPREPLY): commands and each command's
# options from wslctl's own table, states, and listener names from the
# running wsld, silently nothing when none runs.
. "${top_srcdir:-.}/tests/integration/lib.sh"
PATH="$(cd "$(dirname "$WSLCTL")" && pwd):$PATH"
. "${top_srcdir:-.}/ctl/completion/wslctl"
comp() { # comp WORD...: what completing the last word offers
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_wslctl 2>"$T/comp.err"
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
expect "a command from its first letters" "status " "$(comp wslctl st)"
expect "every command starting so" "call close commands create " "$(comp wslctl c)"
expect "after global options too" "reload reopen reset resume " "$(comp wslctl -j -t 5 re)"
expect "a command's options, from its usage" "--loops " \
    "$(comp wslctl create web net.tcp://127.0.0.1:0/ --lo)"
expect "global options" "--json " "$(comp wslctl --js)"
expect "states after --state" "FAULTED " "$(comp wslctl list --state F)"
expect "states for wait's second argument" "OPEN OPENING " "$(comp wslctl wait web OP)"
expect "no listener names while no wsld runs" "" \
    "$(WSLCTL_SOCKET="$T/none.sock" comp wslctl abort w)"
expect "... and nothing said" "" "$(cat "$T/comp.err")"
wsld_start
for n in web web2 api; do
	"$WSLCTL" create $n net.tcp://127.0.0.1:0/ >/dev/null
done
expect "listener names from the running wsld" "web web2 " "$(comp wslctl abort w)"
expect "... with -s too" "api " \
    "$(WSLCTL_SOCKET= comp wslctl -s "$SOCK" status a)"
expect "no name where the command takes none" "" "$(comp wslctl version w)"
finish
