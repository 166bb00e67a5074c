#!/bin/sh
# SPDX-License-Identifier: ISC
# make install puts the example beside the default configuration, and the
# default only where there is none: an edited wsld.json survives a second
# install and an uninstall, the default as installed does not.
T=$(mktemp -d "${TMPDIR:-/tmp}/wsl-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
failed=0
check() { # WHAT EXPECTED GOT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "# expected: $2"
		echo "# got:      $3"
		failed=1
	fi
}
inst() { ${MAKE:-make} -s -C "${top_builddir:-.}" "$1" DESTDIR="$T/root" >"$T/out" 2>&1; }
conf=$(sed -n 's/^sysconfdir = //p' "${top_builddir:-.}/Makefile")
conf=$(echo "$conf" | sed "s|\${prefix}|$(sed -n 's/^prefix = //p' "${top_builddir:-.}/Makefile")|")/wsld
dir="$T/root$conf"

inst install
check "make install succeeds" 0 "$?"
check "it installs the default and the example" "wsld.json wsld.json.example" \
    "$(ls "$dir" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
check "the default is etc/wsld.default.json" same \
    "$(cmp -s "${top_srcdir:-.}/etc/wsld.default.json" "$dir/wsld.json" && echo same)"
echo '{"listeners": {}}' >"$dir/wsld.json"
inst install
check "a second install keeps an edited wsld.json" '{"listeners": {}}' \
    "$(cat "$dir/wsld.json")"
inst uninstall
check "uninstall keeps it too, and removes the example" "wsld.json" \
    "$(ls "$dir" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
rm -f "$dir/wsld.json"
inst install && inst uninstall
check "the default as installed is uninstalled" "" \
    "$(ls "$dir" 2>/dev/null)"
echo "1..$n"
exit $failed
