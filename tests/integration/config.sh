#!/bin/sh
# SPDX-License-Identifier: ISC
# The configuration file: listeners of every binding created and opened at
# start, "{}" valid, --check-config, and errors that name FILE:LINE:COLUMN
# whether the JSON or its meaning is wrong.
. "${top_srcdir:-.}/tests/integration/lib.sh"

check_config() { # FILE: run wsld --check-config on it
	run "$WSLD" --check-config -c "$1"
}

run "$WSLD" --check-config -c "$top_srcdir/etc/wsld.json"
expect "the shipped configuration is valid" 0 "$RC"
expect_match "... and says how many listeners it has" 'configuration OK \(5 listeners\)' "$OUT"

echo '{}' >"$T/empty.json"
check_config "$T/empty.json"
expect "{} is a valid configuration" 0 "$RC"
expect_match "... of 0 listeners" 'configuration OK \(0 listeners\)$' "$OUT"
echo '{"listeners": {"a": {"url": "net.tcp://127.0.0.1:0/"}}}' >"$T/one.json"
check_config "$T/one.json"
expect_match "one listener is one listener" 'configuration OK \(1 listener\)$' "$OUT"

printf '{\n  "listeners": {\n    "a": {"url": "net.tcp://127.0.0.1:0/",}\n  }\n}\n' >"$T/syntax.json"
check_config "$T/syntax.json"
expect "a syntax error: exit 1" 1 "$RC"
expect_match "... reported at FILE:LINE:COLUMN" "^wsld: $T/syntax.json:3:[0-9]+: " "$ERR"

cat >"$T/handler.json" <<'JSON'
{
  "listeners": {
    "ok": {"url": "net.tcp://127.0.0.1:0/"},
    "bad": {
      "url": "net.tcp://127.0.0.1:0/",
      "handler": {"type": "teleport"}
    }
  }
}
JSON
check_config "$T/handler.json"
expect "an unknown handler type: exit 1" 1 "$RC"
expect "... reported at the value's line and column" \
    "wsld: $T/handler.json:6:27: listeners.bad: unknown handler type 'teleport' (one of: accept, echo, forward, exec, metrics)" "$ERR"

cat >"$T/url.json" <<'JSON'
{"listeners": {
  "u": {"open": true,
        "url": "gopher://h/"}}}
JSON
check_config "$T/url.json"
expect_match "a bad URL: at its line and column" \
    "^wsld: $T/url.json:3:16: listeners.u: bad url 'gopher://h/': unknown scheme 'gopher'" "$ERR"

printf '{"listeners": {"p": {"url": "net.tcp://127.0.0.1:0/", "properties": {"listen-backlog": "lots"}}}}' >"$T/prop.json"
check_config "$T/prop.json"
expect_match "a bad property value: at its position, saying what fits" \
    "^wsld: $T/prop.json:1:88: listeners.p: \"listen-backlog\" must be an integer from 1 to 2147483647" "$ERR"

cat >"$T/cmd.json" <<'JSON'
{"listeners": {"x": {"url": "net.tcp://127.0.0.1:0/",
  "handler": {"type": "exec", "command": ["/bin/cat", ""]}}}}
JSON
check_config "$T/cmd.json"
expect_match "an array element is located too" "^wsld: $T/cmd.json:2:55: listeners.x: \"command\" must be an array of non-empty strings such as \\[\"/bin/cat\"\\]" "$ERR"
printf '{"listeners": {"f": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "forward"}}}}' >"$T/noup.json"
check_config "$T/noup.json"
expect_match "a missing key is reported at its object" "^wsld: $T/noup.json:1:66: listeners.f: the forward handler needs an \"upstream\"" "$ERR"

printf '{"listener": {}}' >"$T/key.json"
check_config "$T/key.json"
expect_match "an unknown top-level key" "^wsld: $T/key.json:1:14: unknown key 'listener'" "$ERR"

printf '{"listeners": {"bad name!": {"url": "net.tcp://127.0.0.1:0/"}}}' >"$T/name.json"
check_config "$T/name.json"
expect_match "a bad listener name" "bad listener name 'bad name!'" "$ERR"

run "$WSLD" --check-config -c "$T/missing.json"
expect_match "a missing file" "^wsld: $T/missing.json: No such file or directory" "$ERR"

# Start with a configuration: every binding, opened at start.
mkdir "$T/pipes"
cat >"$T/all.json" <<JSON
{
  "pipe-directory": "$T/pipes",
  "listeners": {
    "tcp": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true},
    "http": {"url": "http://127.0.0.1:0/", "open": true,
             "properties": {"listen-backlog": 8, "connect-timeout": 1000}},
    "udp": {"url": "soap.udp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true},
    "pipe": {"url": "net.pipe://localhost/p.sock", "handler": {"type": "echo"}, "open": true},
    "later": {"url": "net.tcp://127.0.0.1:0/"}
  }
}
JSON
wsld_start -c "$T/all.json"
# The control socket answers before the start-time opens have finished.
for l in tcp http udp pipe; do
	"$WSLCTL" -t 10 wait $l OPEN >/dev/null
done
run "$WSLCTL" list
expect "every listener is there, opened as configured" \
    "http OPEN http://127.0.0.1:0/|later CREATED net.tcp://127.0.0.1:0/|pipe OPEN net.pipe://localhost/p.sock|tcp OPEN net.tcp://127.0.0.1:0/|udp OPEN soap.udp://127.0.0.1:0/|" \
    "$(echo "$OUT" | tr -s ' ' | tr '\n' '|')"
run "$WSLCTL" get http listen-backlog
expect "configured properties apply" 8 "$OUT"
run "$WSL_PROBE" unix "$T/pipes/p.sock" "configured"
expect "the configured pipe directory is used" "connected eof configured" "$(oneline "$OUT")"
run "$WSL_PROBE" udp "$(field udp port)" "dgram"
expect "the configured udp echo answers" "reply dgram" "$OUT"
# Found by fuzz-config: a NUL byte in a value made locating a later error
# loop for ever.
printf '{"listeners": {"a": {"url": "net.tcp://127.0.0.1:1/", "open": true\000 }, "b": {"url": "net.tcp://127.0.0.1:2/", "bad": 1}}}' >"$T/nul.json"
run timeout 10 "$WSLD" -n -c "$T/nul.json"
expect "a NUL byte in the file: the error is still located (no hang)" \
    "1 $T/nul.json:1:118: listeners.b: unknown key 'bad' (expected url, properties, handler, open, loop, loops)" \
    "$RC $(printf '%s' "$ERR" | sed 's/^wsld: //')"
finish
