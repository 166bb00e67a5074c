#!/bin/sh
# SPDX-License-Identifier: ISC
# What wsld tells systemd (wsl-sysd plays systemd's part and records every
# message): READY=1 only once every listener configured to open has opened
# or failed, with a STATUS= summary that then follows each state change;
# RELOADING=1 (with MONOTONIC_USEC) then READY=1 around each reload, also a
# failed one; STOPPING=1 last; all from wsld's own pid; no fd store
# messages without --fd-store.
. "${top_srcdir:-.}/tests/integration/lib.sh"

BUSY=$("$WSL_PROBE" port)
# Something else holds BUSY, so "taken" fails to open.
"$WSLD" -f -s "$T/other.sock" >>"$T/other.log" 2>&1 &
OTHER=$!
until_true "$WSLCTL" -s "$T/other.sock" -q version 2>/dev/null
"$WSLCTL" -s "$T/other.sock" create hog "net.tcp://127.0.0.1:$BUSY/" \
    --open >/dev/null
cat >"$T/wsld.json" <<EOF
{"listeners": {
  "a": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"},
        "open": true},
  "b": {"url": "net.pipe://localhost/b.sock", "open": true},
  "taken": {"url": "net.tcp://127.0.0.1:$BUSY/", "open": true},
  "idle": {"url": "net.tcp://127.0.0.1:0/"}
}}
EOF
mkdir "$T/pipes"
sysd_start -- -c "$T/wsld.json" -p "$T/pipes"
until_true sysd_has READY=1

ready=$(sysd_msgs | grep READY=1 | head -1)
expect "READY=1 comes once, with the start-up summary" \
    "READY=1|STATUS=4 listeners: 2 created, 2 open" "$ready"
expect "... after the failed open was reported (it stays CREATED)" \
    "CREATED WS_E_ADDRESS_IN_USE" \
    "$(state taken) $("$WSLCTL" -j status taken | grep -o 'WS_E_ADDRESS_IN_USE' | head -1)"
expect "nothing is stored without --fd-store" 0 \
    "$(sysd_msgs | grep -c FDSTORE)"

"$WSLCTL" abort a >/dev/null
expect_eventually "STATUS= follows an abort: 4 listeners: 2 created, 1 open, 1 faulted" \
    sysd_has "STATUS=4 listeners: 2 created, 1 open, 1 faulted"

# A reload, by SIGHUP (wsl-sysd passes it on) and by wslctl.
sed 's/"idle"/"spare"/' "$T/wsld.json" >"$T/new.json"
mv "$T/new.json" "$T/wsld.json"
kill -HUP "$WSLD_PID"
until_true "$WSLCTL" -q status spare
after=$(sysd_msgs | sed -n '/RELOADING=1/,$p')
expect_match "SIGHUP: RELOADING=1 with MONOTONIC_USEC" \
    '^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|STATUS=reloading' "$after"
until_true sysd_has "READY=1|STATUS=4 listeners: 2 created, 1 open, 1 faulted"
expect "... then READY=1 with the summary, in that order" \
    "RELOADING=1 READY=1" \
    "$(sysd_msgs | grep -oE '^(RELOADING|READY)=1' | tail -2 | tr '\n' ' ' | sed 's/ $//')"

echo '{"listeners": {' >"$T/wsld.json"
run "$WSLCTL" reload
expect "a reload of a broken file fails (exit 2)" 2 "$RC"
expect_eventually "... and systemd hears READY=1 with the reason in STATUS=" \
    sysd_has "READY=1|STATUS=reload failed: $T/wsld.json:2:0"
expect "RELOADING=1 and READY=1 come in pairs" \
    "$(sysd_msgs | grep -c RELOADING=1)" "$(sysd_msgs | grep -c READY=1 | awk '{ print $1 - 1 }')"

wsld_stop
expect "wsld exits 0" 0 "$WSLD_STATUS"
expect "STOPPING=1 is the last message" "STOPPING=1|STATUS=stopping" \
    "$(sysd_msgs | tail -1)"
expect "every message came from wsld itself (NotifyAccess=main)" 0 \
    "$(awk -F'\t' '$1 == "MSG" && $4 != "main"' "$SYSD_LOG" | wc -l)"
WSLD_PID=

kill -TERM "$OTHER"
wait "$OTHER"

# Under systemd (stderr is the journal's stream) wsld writes to the journal
# with structured fields; with no journald here, it says so on the stream
# with the priority prefix journald reads.
if [ -S /run/systemd/journal/socket ]; then
	skip "a journald runs here: the journal test would write to it"
else
	: >"$T/stream"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$T/stream") "$WSLD" -f \
	    -s "$T/j.sock" 2>>"$T/stream" &
	J=$!
	until_true "$WSLCTL" -s "$T/j.sock" -q version 2>/dev/null
	kill -TERM $J
	wait $J
	expect_match "with JOURNAL_STREAM naming its stderr, wsld logs for journald" \
	    '^<6>wsld [0-9.]+: control socket' "$(cat "$T/stream")"
fi
finish
