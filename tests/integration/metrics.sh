#!/bin/bash
# SPDX-License-Identifier: ISC
# metrics and the metrics handler: `wslctl metrics` and a scrape of GET
# /metrics give the OpenMetrics text, which an OpenMetrics 1.0 parser
# (python3-prometheus-client's, strict) and `promtool check metrics`
# (Prometheus's linter) both accept; exact values after N connections,
# the state gauges after an abort, every counter `status` and `version`
# show, a URL escaped as a label value; the HTTP side's answers (200,
# HEAD, 400, 404, 405, 408, 414, 431, 505), its own counting, a
# metrics listener on a Unix socket, and one that is aborted (FAULTED,
# scrapes refused) and reopened; allocation failures and closes under
# scrapes leave no partial text, no hang and no descriptor behind.
# bash: $'...' for the raw requests, /dev/tcp for a client that sends
# nothing.
. "${top_srcdir:-.}/tests/integration/lib.sh"

PY=/usr/bin/python3
have_om() { [ -x "$PY" ] && "$PY" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; }
have_promtool() { command -v promtool >/dev/null 2>&1; }
have_curl() { command -v curl >/dev/null 2>&1; }
have_om || diag "no OpenMetrics parser: apt-get install python3-prometheus-client"
have_promtool || diag "no promtool: apt-get install prometheus"

# validate DESCRIPTION FILE: both parsers read it.
validate() {
	if have_om; then
		if _o=$("$PY" - "$2" 2>&1 <<'EOF'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
print(sum(len(m.samples) for m in text_string_to_metric_families(text)))
EOF
		); then
			ok "$1: an OpenMetrics 1.0 parser reads it ($_o samples)"
		else
			not_ok "$1: an OpenMetrics 1.0 parser reads it"
			diag "$_o"
		fi
	else
		skip "$1: no OpenMetrics parser (python3-prometheus-client)"
	fi
	# promtool lints the 0.0.4 text format, whose counter families are
	# named with their _total (OpenMetrics names them without it, their
	# samples with it): their HELP and TYPE lines are renamed so, as
	# Prometheus does when it reads OpenMetrics; all else goes as it is.
	if have_promtool; then
		if _o=$(awk 'NR == FNR { if ($1 == "#" && $2 == "TYPE" && $4 == "counter") c[$3] = 1; next }
		    $1 == "#" && ($2 == "HELP" || $2 == "TYPE") && ($3 in c) { sub($3, $3 "_total") }
		    { print }' "$2" "$2" | promtool check metrics 2>&1); then
			ok "$1: promtool check metrics finds nothing"
		else
			not_ok "$1: promtool check metrics finds nothing"
			diag "$_o"
		fi
	else
		skip "$1: no promtool (prometheus)"
	fi
}

# value FILE SERIES: the value of one series ("name{labels}"), or "none".
value() {
	awk -v s="$2" 'index($0, s " ") == 1 { print substr($0, length(s) + 2); f = 1 } END { if (!f) print "none" }' "$1"
}

# equation FILE NAME: accepted = delivered + failed + closed-on-abort +
# in-flight, all read from the text.
equation() {
	awk -v l="listener=\"$2\"" '
	function v() { return $NF + 0 }
	index($0, "{" l) == 0 { next }
	/^wsld_listener_accepted_total/ { a = v() }
	/^wsld_listener_delivered_total/ { d = v() }
	/^wsld_listener_failed_total/ { f += v() }
	/^wsld_listener_closed_on_abort_total/ { c = v() }
	/^wsld_listener_in_flight_channels/ { i = v() }
	END { printf "%d = %d + %d + %d + %d", a, d, f, c, i; exit !(a == d + f + c + i) }' "$1"
}

wsld_start --fault-injection
BASE=$(fd_count)

# --- wslctl metrics ---
"$WSLCTL" create web net.tcp://127.0.0.1:0/ --echo --open >/dev/null
PORT=$(field web port)
run "$WSL_PROBE" -j 2 load "$PORT" 5 hello
expect "5 clients of the echo listener" "ok=5 refused=0 reset=0 empty=0 timeout=0 other=0" "$OUT"
ESC=$(printf '\033')
"$WSLCTL" create odd.url-1 "net.tcp://127.0.0.1:0/q\"b\\s${ESC}[0m" >/dev/null

run "$WSLCTL" metrics
printf '%s\n' "$OUT" >"$T/m1"
expect "wslctl metrics succeeds" 0 "$RC"
expect "... ends with # EOF" "# EOF" "$(tail -n 1 "$T/m1")"
validate "wslctl metrics" "$T/m1"
expect "accepted after 5 connections" 5 "$(value "$T/m1" 'wsld_listener_accepted_total{listener="web"}')"
expect "... all delivered" 5 "$(value "$T/m1" 'wsld_listener_delivered_total{listener="web"}')"
for s in CREATED OPENING OPEN FAULTED CLOSING CLOSED; do
	want=0
	[ $s = OPEN ] && want=1
	states="${states:-}$s=$(value "$T/m1" "wsld_listener_state{listener=\"web\",state=\"$s\"}") "
	wants="${wants:-}$s=$want "
done
expect "the state gauges: 1 for OPEN, 0 for the others" "$wants" "$states"
expect "a created listener's state" 1 "$(value "$T/m1" 'wsld_listener_state{listener="odd.url-1",state="CREATED"}')"
expect "the listeners by state" "1 1" \
    "$(value "$T/m1" 'wsld_listeners{state="OPEN"}') $(value "$T/m1" 'wsld_listeners{state="CREATED"}')"
expect "the URL label: made fit to show, then escaped (quote, backslash)" \
    'wsld_listener_info{listener="odd.url-1",url="net.tcp://127.0.0.1:0/q\"b\\s\\x1b[0m",handler="accept"} 1' \
    "$(grep -F 'listener="odd.url-1",url=' "$T/m1")"
if e=$(equation "$T/m1" web); then ok "the equation holds in the text: $e"; else not_ok "the equation holds in the text"; diag "$e"; fi

# Every counter status shows, and every figure version shows, is there.
missing=
J=$("$WSLCTL" -j status web)
for k in $(printf '%s' "$J" | jq -r '.arguments.counters | keys[] | select(. != "failed" and . != "accept-errors" and . != "failed-by-reason" and . != "accept-errors-by-errno")'); do
	grep -q "(status: counters\.$k[.)]" "$T/m1" || missing="$missing counters.$k"
done
for r in $(printf '%s' "$J" | jq -r '.arguments.counters["failed-by-reason"] | keys[]'); do
	[ "$(value "$T/m1" "wsld_listener_failed_total{listener=\"web\",reason=\"$r\"}")" = 0 ] || missing="$missing reason=$r"
done
for r in $(printf '%s' "$J" | jq -r '.arguments.counters["accept-errors-by-errno"] | keys[]'); do
	[ "$(value "$T/m1" "wsld_listener_accept_errors_total{listener=\"web\",errno=\"$r\"}")" = 0 ] || missing="$missing errno=$r"
done
for k in pending-accepts pending-waits paused; do
	grep -q "(status: $k)" "$T/m1" || missing="$missing $k"
done
for k in $("$WSLCTL" -j version | jq -r '.arguments | to_entries[] | select(.value | type == "object") | .key as $s | .value | keys[] | "\($s).\(.)"'); do
	grep -q "(version: $k)" "$T/m1" || missing="$missing $k"
done
expect "every counter of status and figure of version has its metric" "" "$missing"

run "$WSLCTL" -j metrics
expect "-j: the reply's content type" "application/openmetrics-text; version=1.0.0; charset=utf-8" \
    "$(printf '%s' "$OUT" | jq -r .arguments[\"content-type\"])"
printf '%s' "$OUT" | jq -j .arguments.metrics >"$T/mj"
expect "-j: the same text (the listeners' part, which has not changed)" \
    "$(grep '^wsld_listener' "$T/m1")" "$(grep '^wsld_listener' "$T/mj")"
run "$WSLCTL" metrics extra
expect "metrics takes no argument" 2 "$RC"

# --- the metrics handler ---
"$WSLCTL" create m net.tcp://127.0.0.1:0/ --handler metrics --open >/dev/null
MP=$(field m port)
scrape() { # scrape N: GET /metrics into $T/bN, headers in $T/hN
	curl -sS --max-time 10 -D "$T/h$1" -o "$T/b$1" "http://127.0.0.1:$MP/metrics"
}
if have_curl; then
	run scrape 1
	expect "a scrape with curl" 0 "$RC"
	expect "... 200" "HTTP/1.1 200 OK" "$(head -n 1 "$T/h1" | tr -d '\r')"
	expect "... its content type" "Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8" \
	    "$(grep -i '^content-type:' "$T/h1" | tr -d '\r')"
	expect "... and length" "Content-Length: $(wc -c <"$T/b1")" "$(grep -i '^content-length:' "$T/h1" | tr -d '\r')"
	validate "a scrape" "$T/b1"
	expect "the scrape counted itself: accepted, delivered, being served" "1 1 1" \
	    "$(value "$T/b1" 'wsld_listener_accepted_total{listener="m"}') $(value "$T/b1" 'wsld_listener_delivered_total{listener="m"}') $(value "$T/b1" 'wsld_listener_active_channels{listener="m"}')"
	expect "... and the others as wslctl does" "$(grep -F '{listener="web"' "$T/m1" | grep -v -e queue -e pending)" \
	    "$(grep -F '{listener="web"' "$T/b1" | grep -v -e queue -e pending)"
	scrape 2
	expect "the second scrape: accepted 2" 2 "$(value "$T/b2" 'wsld_listener_accepted_total{listener="m"}')"
	expect "404 for another path" 404 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/other")"
	expect "a query is no other path" 200 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/metrics?x=1")"
	run curl -sS --max-time 10 -X POST -D - -o /dev/null "http://127.0.0.1:$MP/metrics"
	expect "405 for another method, with Allow" "HTTP/1.1 405 Method Not Allowed Allow: GET, HEAD" \
	    "$(printf '%s\n' "$OUT" | tr -d '\r' | grep -e '^HTTP' -e '^Allow' | tr '\n' ' ' | sed 's/ $//')"
else
	skip "curl is missing (apt-get install curl): the scrapes by curl"
fi
probe() { # probe REQUEST: what a raw client gets
	"$WSL_PROBE" -t 10000 tcp "$MP" "$1" | tr '\n' ' '
}
expect_match "a raw GET /metrics" '^connected eof HTTP/1.1 200 OK\\x0d' "$(probe $'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')"
expect_match "HEAD: the headers, no body" 'Content-Length: [0-9]+\\x0d\\n.*Connection: close\\x0d\\n\\x0d\\n $' \
    "$(probe $'HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n')"
expect_match "HTTP/1.0, bare newlines" '^connected eof HTTP/1.1 200 OK' "$(probe $'GET /metrics HTTP/1.0\n\n')"
expect_match "400 for garbage" '^connected eof HTTP/1.1 400 Bad Request' "$(probe $'garbage\r\n\r\n')"
expect_match "400 for HTTP/1.1 without Host" '^connected eof HTTP/1.1 400 ' "$(probe $'GET /metrics HTTP/1.1\r\n\r\n')"
expect_match "400 for a malformed header" '^connected eof HTTP/1.1 400 ' "$(probe $'GET /metrics HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n')"
expect_match "400 for a head cut short" '^connected eof HTTP/1.1 400 ' "$(probe $'GET /metrics HTTP/1.1\r\nHost')"
expect_match "505 for HTTP/2" '^connected eof HTTP/1.1 505 ' "$(probe $'GET /metrics HTTP/2.0\r\n\r\n')"
long=$(head -c 9000 /dev/zero | tr '\0' a)
expect_match "414 for a request line over 8 KiB" '^connected eof HTTP/1.1 414 ' "$(probe "GET /$long HTTP/1.1")"
expect_match "431 for a head over 8 KiB" '^connected eof HTTP/1.1 431 ' \
    "$(probe "GET /metrics HTTP/1.1"$'\r\n'"X: $long")"

# A client that says nothing: 408 at request-timeout-ms, then closed.
"$WSLCTL" create slow net.tcp://127.0.0.1:0/ --handler '{"type":"metrics","request-timeout-ms":300}' --open >/dev/null
exec 3<>"/dev/tcp/127.0.0.1/$(field slow port)"
got=$(timeout 10 cat <&3 | head -n 1 | tr -d '\r')
exec 3<&-
expect "408 for a client that sends nothing, and the end" "HTTP/1.1 408 Request Timeout" "$got"

expect_eventually "every scrape connection has ended" counter_is m active 0
expect_equation m
expect "none failed" 0 "$(counter m failed)"

# On a Unix socket.
"$WSLCTL" create mp net.pipe://localhost/metrics.sock --handler metrics --open >/dev/null
if have_curl; then
	run curl -sS --max-time 10 --unix-socket "$(field mp path)" -o "$T/bp" http://localhost/metrics
	expect "a scrape over a Unix socket" "0 # EOF" "$RC $(tail -n 1 "$T/bp")"
else
	skip "curl is missing: the scrape over a Unix socket"
fi

# Spread over two loops: each lane serves its own scrapes.
"$WSLCTL" create ml net.tcp://127.0.0.1:0/ --handler metrics --loops 2 --open >/dev/null
run "$WSL_PROBE" -t 10000 -j 4 load "$(field ml port)" 40 $'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
expect "40 scrapes of a listener on two loops, each answered" \
    "ok=0 refused=0 reset=0 empty=0 timeout=0 other=40" "$OUT"
expect_eventually "... and ended" counter_is ml active 0
expect_equation ml

# What it refuses to be.
run "$WSLCTL" create u soap.udp://127.0.0.1:0/ --handler metrics
expect_match "not on UDP" "2 .*needs a stream listener" "$RC $ERR"
run "$WSLCTL" create bad net.tcp://127.0.0.1:0/ --handler '{"type":"metrics","bogus":1}'
expect_match "no unknown key" "2 .*unknown key 'bogus' for the metrics handler" "$RC $ERR"

# --- abort: FAULTED, refused, and back ---
run "$WSLCTL" abort m
expect "a metrics listener can be aborted" "0 m FAULTED" "$RC $OUT"
"$WSLCTL" metrics >"$T/m2"
expect "the state gauges flip: FAULTED 1, OPEN 0" "1 0" \
    "$(value "$T/m2" 'wsld_listener_state{listener="m",state="FAULTED"}') $(value "$T/m2" 'wsld_listener_state{listener="m",state="OPEN"}')"
expect "... and the count by state" 1 "$(value "$T/m2" 'wsld_listeners{state="FAULTED"}')"
run "$WSL_PROBE" -t 5000 tcp "$MP" $'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
expect "a scrape of the aborted listener is refused" refused "$OUT"
"$WSLCTL" reopen m >/dev/null
MP=$(field m port)
expect_match "reopened, it serves again" '^connected eof HTTP/1.1 200 OK' "$(probe $'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')"

# --- allocation failures: an error or nothing, never a part ---
hung=0 partial=0
k=1
while [ $k -le 12 ]; do
	"$WSLCTL" call inject "{\"fault\": \"alloc-fail\", \"count\": $k}" >/dev/null
	printf '%s\n' '{"id":1,"command":"metrics"}' | "$WSL_PROBE" -t 10000 ctl "$SOCK" >"$T/oom" 2>&1
	grep -q timeout "$T/oom" && hung=$((hung + 1))
	if grep -q '"result":0' "$T/oom" &&
	    ! sed 's/^fds=0 //' "$T/oom" | jq -e '.arguments.metrics | endswith("# EOF\n")' >/dev/null; then
		partial=$((partial + 1))
		diag "round $k: $(head -c 300 "$T/oom")"
	fi
	until_true "$WSLCTL" call inject '{"fault": "alloc-fail", "count": 0}' >/dev/null 2>&1
	k=$((k + 1))
done
expect "12 rounds of allocation failures: no reply hangs, none is partial" "0 0" "$hung $partial"
run "$WSLCTL" metrics
expect "... and metrics works after" "0 # EOF" "$RC $(printf '%s\n' "$OUT" | tail -n 1)"

# --- the text later than request-timeout-ms: 503, or 408 for a head ---
"$WSLCTL" create hasty net.tcp://127.0.0.1:0/ --handler '{"type":"metrics","request-timeout-ms":1}' --open >/dev/null
run "$WSL_PROBE" -t 5000 -j 4 load "$(field hasty port)" 300 $'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
expect "300 scrapes with 1 ms to answer: each is answered, none reset" \
    "ok=0 refused=0 reset=0 empty=0 timeout=0 other=300" "$OUT"
expect_eventually "... and has ended" counter_is hasty active 0
expect_equation hasty

# --- closes and a free while scrapes come and go ---
"$WSLCTL" create tmp net.tcp://127.0.0.1:0/ --open >/dev/null
FIXED=$(field tmp port)
"$WSLCTL" close tmp >/dev/null
"$WSLCTL" free tmp >/dev/null
"$WSLCTL" create churn "net.tcp://127.0.0.1:$FIXED/" --handler metrics -p close-timeout=1 --open >/dev/null
"$WSL_PROBE" -t 5000 -j 4 -u "$T/stop" load "$FIXED" 1000000 \
    $'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >"$T/load" 2>&1 &
LOAD=$!
scraped() { [ "$(counter churn accepted)" -ge "$1" ]; }
expect_eventually "scrapes under way" scraped 20
i=0
while [ $i -lt 5 ]; do
	"$WSLCTL" close churn >/dev/null && "$WSLCTL" reset churn >/dev/null &&
	    "$WSLCTL" open churn >/dev/null
	until_true scraped $((20 + 20 * i))
	i=$((i + 1))
done
touch "$T/stop"
wait $LOAD
diag "the scrapes while closing: $(cat "$T/load")"
expect_equation churn
"$WSLCTL" close churn >/dev/null
run "$WSLCTL" free churn
expect "the churned listener is freed" 0 "$RC"
expect "wsld is still there" yes "$(wsld_alive && echo yes)"
for l in web m mp slow hasty ml; do "$WSLCTL" close $l >/dev/null; done
expect_fds_back "$BASE"
finish
