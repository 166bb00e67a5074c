#!/bin/sh
# SPDX-License-Identifier: ISC
# The manual pages, as installed (paths filled in), pass mandoc's lint
# at the warning level.
n=0
failed=0
for page in man/wsld.8 man/wsld.conf.5 man/wslctl.1 man/wsld-control.7 man/wsl-listener.3; do
	n=$((n + 1))
	if ! command -v mandoc >/dev/null 2>&1; then
		echo "ok $n # SKIP mandoc is not installed"
		continue
	fi
	out=$(mandoc -T lint -W warning "${top_builddir:-.}/$page" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - $page passes mandoc -T lint -W warning"
	else
		echo "not ok $n - $page passes mandoc -T lint -W warning"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=1
	fi
done
echo "1..$n"
exit $failed
