#!/bin/sh
# SPDX-License-Identifier: ISC
# "include": drop-in files of listeners (wsld.conf(5), INCLUDED FILES).
# Their listeners are merged with the main file's, patterns in order and
# each pattern's files in name order, relative patterns relative to the
# including file; a name defined twice is an error naming both places;
# an error in an included file names that file, line and column; a
# non-regular file is refused unread; a reload matches the patterns anew.
. "${top_srcdir:-.}/tests/integration/lib.sh"

check() { run "$WSLD" -n -c "$1"; }

# --- Merging -----------------------------------------------------------
mkdir -p "$T/etc/conf.d" "$T/etc/more" "$T/conf.d"
cat >"$T/etc/wsld.json" <<'JSON'
{
  "include": ["conf.d/*.json", "more/*.json", "nowhere/*.json"],
  "listeners": {
    "main": {"url": "net.tcp://127.0.0.1:0/"}
  }
}
JSON
cat >"$T/etc/conf.d/20-b.json" <<'JSON'
{
  "listeners": {
    "b": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true}
  }
}
JSON
cat >"$T/etc/conf.d/10-a.json" <<'JSON'
{"listeners": {"a": {"url": "net.tcp://127.0.0.1:0/"},
               "a2": {"url": "net.pipe://localhost/a2.sock"}}}
JSON
echo '{}' >"$T/etc/more/empty.json"
# Not included: a hidden file, an editor's backup, another suffix, and a
# conf.d beside the working directory rather than beside the file.
echo 'not json' >"$T/etc/conf.d/.hidden.json"
echo 'not json' >"$T/etc/conf.d/10-a.json~"
echo 'not json' >"$T/etc/conf.d/10-a.json.dpkg-old"
echo 'not json' >"$T/conf.d/decoy.json"
(cd "$T" && "$WSLD" -n -c etc/wsld.json) >"$T/out" 2>&1
expect "wsld -n counts the listeners of every included file, and the files" \
    "wsld: $T/etc/wsld.json: configuration OK (4 listeners, 3 included files)" \
    "$(cat "$T/out")"

echo '{"include": []}' >"$T/none.json"
check "$T/none.json"
expect "an empty include is valid" \
    "wsld: $T/none.json: configuration OK (0 listeners, 0 included files)" "$OUT"
check "$top_srcdir/etc/wsld.default.json"
expect "the shipped default includes conf.d beside it, which need not exist" \
    "wsld: $top_srcdir/etc/wsld.default.json: configuration OK (1 listener, 0 included files)" \
    "$OUT"

# The including file's directory is taken literally, glob characters and
# all.
mkdir -p "$T/odd[1]*?/conf.d"
cp "$T/etc/wsld.json" "$T/odd[1]*?/wsld.json"
cp "$T/etc/conf.d/10-a.json" "$T/odd[1]*?/conf.d/"
check "$T/odd[1]*?/wsld.json"
expect "a directory named with [, *, ?: its own conf.d is included" \
    "wsld: $T/odd[1]*?/wsld.json: configuration OK (3 listeners, 1 included file)" \
    "$OUT"

mkdir "$T/pipes"
wsld_start -c "$T/etc/wsld.json" -p "$T/pipes"
until_true state_is b OPEN
run "$WSLCTL" list
expect "the running wsld has every listener, as each file defines it" \
    "a CREATED|a2 CREATED|b OPEN|main CREATED|" \
    "$(echo "$OUT" | awk '{ printf "%s %s|", $1, $2 }')"
run "$WSL_PROBE" tcp "$(field b port)" "drop-in"
expect "the included echo serves" "connected eof drop-in" "$(oneline "$OUT")"

# --- A reload matches the patterns anew ------------------------------
cat >"$T/etc/conf.d/30-c.json" <<'JSON'
{"listeners": {"c": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true}}}
JSON
run "$WSLCTL" reload
expect "a file dropped in: reload exits 0" 0 "$RC"
expect "... its listener is added and opened, the others unchanged" \
    "a unchanged CREATED|a2 unchanged CREATED|b unchanged OPEN|c added OPEN|main unchanged CREATED" \
    "$(printf '%s\n' "$OUT" | awk 'NF == 3 { print $1, $2, $3 }' | sort | paste -sd'|')"
run "$WSL_PROBE" tcp "$(field c port)" "new"
expect "... and serves" "connected eof new" "$(oneline "$OUT")"

printf '{"listeners": {\n  "d": {"url": "net.tcp://127.0.0.1:0/",\n        "open": "yes"}}}\n' \
    >"$T/etc/conf.d/40-d.json"
run "$WSLCTL" reload
expect "a broken drop-in: reload exits 2" 2 "$RC"
expect_match "... naming that file, line and column" \
    "$T/etc/conf.d/40-d.json:3:17: listeners.d: \"open\" must be true or false; nothing changed" \
    "$ERR"
expect "... and nothing changed" "a a2 b c main " \
    "$("$WSLCTL" list | awk '{ printf "%s ", $1 }')"
expect_match "... logged with the same position" \
    "reload \(.*\): $T/etc/conf.d/40-d.json:3:17: " "$(tail -5 "$T/wsld.log")"
rm "$T/etc/conf.d/40-d.json"

rm "$T/etc/conf.d/30-c.json"
run "$WSLCTL" reload
expect "a file removed: reload exits 0" 0 "$RC"
run "$WSLCTL" status c
expect "... its listener is removed" 5 "$RC"

# A definition moved from one file to another is the same listener.
before=$(counter b accepted)
rm "$T/etc/conf.d/20-b.json"
cat >"$T/etc/more/b.json" <<'JSON'
{"listeners": {
    "b": {"url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"}, "open": true}}}
JSON
run "$WSLCTL" reload
expect "a definition moved to another file: unchanged" "b unchanged OPEN" \
    "$(printf '%s\n' "$OUT" | awk '$1 == "b" { print $1, $2, $3 }')"
expect "... with its counters" "$before" "$(counter b accepted)"

# A FIFO dropped in: refused without being read, nothing changes.
mkfifo "$T/etc/conf.d/50-fifo.json"
run timeout 10 "$WSLCTL" reload
expect "a FIFO dropped in: reload refused (exit 2)" 2 "$RC"
expect_match "... saying it is not a regular file" \
    "$T/etc/conf.d/50-fifo.json: a FIFO, not a regular file: the configuration is not read from it" \
    "$ERR"
run timeout 5 "$WSLCTL" version
expect "... and wsld answers at once" 0 "$RC"
rm "$T/etc/conf.d/50-fifo.json"
wsld_stop
expect "wsld stops cleanly" 0 "$WSLD_STATUS"

# --- Duplicates, with both places ------------------------------------
mkdir -p "$T/dup/conf.d" "$T/dup/b" "$T/dup/a"
cat >"$T/dup/wsld.json" <<'JSON'
{
  "include": ["conf.d/*.json"],
  "listeners": {
    "web": {"url": "http://127.0.0.1:0/"}
  }
}
JSON
printf '{"listeners": {\n  "web": {"url": "http://127.0.0.1:0/"}}}\n' >"$T/dup/conf.d/x.json"
check "$T/dup/wsld.json"
expect "a name of the main file defined again: exit 1" 1 "$RC"
expect "... at the second place, naming the first" \
    "wsld: $T/dup/conf.d/x.json:2:10: listeners.web: defined twice: first at $T/dup/wsld.json:4:12" \
    "$ERR"
echo '{"listeners": {}}' >"$T/dup/wsld.json"
printf '{"include": ["b/*.json", "a/*.json"]}' >"$T/dup/order.json"
printf '{"listeners": {"x": {"url": "http://127.0.0.1:0/"}}}' >"$T/dup/a/1.json"
printf '{"listeners": {"x": {"url": "http://127.0.0.1:0/"}}}' >"$T/dup/b/2.json"
check "$T/dup/order.json"
expect "two included files: the pattern listed first is read first" \
    "wsld: $T/dup/a/1.json:1:21: listeners.x: defined twice: first at $T/dup/b/2.json:1:21" \
    "$ERR"
# Made in an order that is neither the names' nor its reverse, so that
# no directory order can pass for the names'.
mkdir "$T/dup/c"
for f in 2 3 1; do cp "$T/dup/a/1.json" "$T/dup/c/$f.json"; done
printf '{"include": ["c/*.json"]}' >"$T/dup/names.json"
check "$T/dup/names.json"
expect "... and within a pattern, the files in name order" \
    "wsld: $T/dup/c/2.json:1:21: listeners.x: defined twice: first at $T/dup/c/1.json:1:21" \
    "$ERR"

# --- Errors in included files ----------------------------------------
mkdir -p "$T/bad/conf.d"
echo '{"include": ["conf.d/*.json"]}' >"$T/bad/wsld.json"
inc() { printf "$1" >"$T/bad/conf.d/x.json"; check "$T/bad/wsld.json"; rm -rf "$T/bad/conf.d/x.json"; }
inc '{\n "listeners": {\n  "p": {"url": "net.tcp://127.0.0.1:0/",\n        "properties": {"listen-backlog": 0}}}}\n'
expect "a bad property in an included file: at its line and column there" \
    "wsld: $T/bad/conf.d/x.json:4:42: listeners.p: \"listen-backlog\" must be an integer from 1 to 2147483647" \
    "$ERR"
inc '{"listeners": {\n "s": {"url": "net.tcp://127.0.0.1:0/",}}}'
expect_match "a JSON syntax error in an included file: its position there" \
    "^wsld: $T/bad/conf.d/x.json:2:[0-9]+: " "$ERR"
inc '{"listeners": {},\n "control-socket": "/tmp/x.sock"}'
expect "an included file holds listeners only" \
    "wsld: $T/bad/conf.d/x.json:2:20: unknown key 'control-socket' (an included file holds \"listeners\" only)" \
    "$ERR"
inc '{"include": ["*.json"]}'
expect "... and includes nothing in turn" \
    "wsld: $T/bad/conf.d/x.json:1:13: unknown key 'include' (an included file holds \"listeners\" only)" \
    "$ERR"
inc '[1]'
expect "an included file that is not an object" \
    "wsld: $T/bad/conf.d/x.json:1:1: an included file must be a JSON object, such as {\"listeners\": {}}" \
    "$ERR"
inc '{"listeners": []}'
expect "listeners that are not an object" \
    "wsld: $T/bad/conf.d/x.json:1:15: \"listeners\" must be an object of listener definitions by name" \
    "$ERR"
mkdir "$T/bad/conf.d/dir.json"
check "$T/bad/wsld.json"
expect "a directory that matches: refused as the main file would be" \
    "wsld: $T/bad/conf.d/dir.json: a directory, not a regular file: the configuration is not read from it" \
    "$ERR"
rmdir "$T/bad/conf.d/dir.json"
mkfifo "$T/bad/conf.d/f.json"
run timeout 10 "$WSLD" -n -c "$T/bad/wsld.json"
expect "a FIFO that matches: wsld -n refuses it at once, unread" \
    "1 wsld: $T/bad/conf.d/f.json: a FIFO, not a regular file: the configuration is not read from it" \
    "$RC $ERR"
rm "$T/bad/conf.d/f.json"
ln -s "$T/bad/gone.json" "$T/bad/conf.d/dangling.json"
check "$T/bad/wsld.json"
expect "a dangling symbolic link that matches: an error" \
    "wsld: $T/bad/conf.d/dangling.json: No such file or directory" "$ERR"
rm "$T/bad/conf.d/dangling.json"
printf '{"include": ["conf.d/*.json", ""]}' >"$T/bad/empty.json"
check "$T/bad/empty.json"
expect "an empty pattern: refused, saying what include must be" \
    "wsld: $T/bad/empty.json:1:13: \"include\" must be an array of at most 64 glob patterns, each a non-empty string" \
    "$ERR"

# A directory that cannot be read is an error, not a pattern matching
# nothing (a reload would drop its listeners).
chmod 755 "$T" "$T/bad"
echo '{}' >"$T/bad/conf.d/ok.json"
chmod 644 "$T/bad/wsld.json" "$T/bad/conf.d/ok.json"
chmod 000 "$T/bad/conf.d"
if [ "$(id -u)" != 0 ]; then
	run "$WSLD" -n -c "$T/bad/wsld.json"
elif command -v setpriv >/dev/null 2>&1; then
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$WSLD" -n -c "$T/bad/wsld.json"
else
	RC=skip
fi
if [ "$RC" = skip ]; then
	skip "an unreadable directory (needs setpriv as root)"
else
	expect "an unreadable directory: an error at the pattern" \
	    "1 wsld: $T/bad/wsld.json:1:14: include: $T/bad/conf.d: Permission denied" \
	    "$RC $ERR"
fi
chmod 755 "$T/bad/conf.d"

# --- Bounds ------------------------------------------------------------
mkdir "$T/many"
i=0
while [ $i -lt 1000 ]; do
	echo '{}' >"$T/many/$i.json"
	i=$((i + 1))
done
echo '{"include": ["many/*.json"]}' >"$T/many.json"
check "$T/many.json"
expect "1000 included files are fine" \
    "wsld: $T/many.json: configuration OK (0 listeners, 1000 included files)" "$OUT"
echo '{}' >"$T/many/one-more.json"
check "$T/many.json"
expect "1001 are refused, saying the bound" \
    "wsld: $T/many.json:1:13: include: more than 1000 files match; a configuration includes at most 1000" \
    "$ERR"
mkdir "$T/big"
echo '{"include": ["big/*.json"]}' >"$T/big.json"
truncate -s 16777216 "$T/big/huge.json"
run timeout 10 "$WSLD" -n -c "$T/big.json"
expect_match "more than 16 MiB in all: refused unread" \
    "^wsld: $T/big/huge.json: larger than the [0-9]+ bytes left: a configuration and the files it includes hold at most 16777216 bytes together" \
    "$ERR"
finish
