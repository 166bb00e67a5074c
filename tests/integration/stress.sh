#!/bin/sh
# SPDX-License-Identifier: ISC
# Stress: wsl-stress drives wsld with many control clients at once, each
# sending random commands about a few shared listeners, while load
# connects to their ports and reloads rewrite the configuration.  Every
# reply must be one that the listener state machine allows and come within
# 20 s, every state change that wsld logs must be a legal edge, and at the
# end every listener must close and be freed; after all seeds, wsld still
# answers and has given back every descriptor.  A failure names its seed:
# wsl-stress -S SEED replays the same choices (the timing differs).
. "${top_srcdir:-.}/tests/integration/lib.sh"
: "${WSL_STRESS:?}"
SEEDS=${STRESS_SEEDS:-1 2 3}
MS=${STRESS_MS:-5000}
echo '{"listeners": {}}' >"$T/wsld.json"
wsld_start -c "$T/wsld.json"
base=$(fd_count)
alive() { [ -d "/proc/$WSLD_PID" ] && ! grep -q '^State:.*Z' \
    "/proc/$WSLD_PID/status" 2>/dev/null; }

for seed in $SEEDS; do
	if ! alive; then
		not_ok "seed $seed: wsld is still running (an earlier seed ended it)"
		continue
	fi
	"$WSL_STRESS" -s "$SOCK" -c "$T/wsld.json" -p "$WSLD_PID" \
	    -l "$T/wsld.log" -S "$seed" -d "$MS" >"$T/stress-$seed" 2>&1
	rc=$?
	diag "seed $seed:"
	grep -E '^# (load|log|port races|walked)|^wsl-stress:' "$T/stress-$seed" |
	    sed 's/^# //' | while IFS= read -r l; do diag "  $l"; done
	if [ "$rc" -eq 0 ]; then
		ok "seed $seed: every reply followed the state machine, nothing stuck"
		continue
	fi
	not_ok "seed $seed: every reply followed the state machine, nothing stuck"
	grep '^violation: ' "$T/stress-$seed" | head -n 20 |
	    while IFS= read -r l; do diag "$l"; done
	diag "wsl-stress exited $rc; to replay: start wsld -f -s SOCK -c FILE" \
	    "with FILE holding {\"listeners\": {}}, then" \
	    "wsl-stress -s SOCK -c FILE -p PID -l WSLD_LOG -S $seed -d $MS" \
	    "(WSL_KEEP_TMP=1 keeps $T/stress-$seed and wsld.log)"
done

if alive; then
	expect "wsld still answers" 0 "$("$WSLCTL" -q version; echo $?)"
	expect_fds_back "$base"
else
	not_ok "wsld still answers (it is gone)"
fi

finish
