#!/bin/sh
# SPDX-License-Identifier: ISC
# A service manager that stops reading cannot freeze wsld: messages to it
# never block the control thread.  With wsl-sysd (playing systemd)
# stopped, 200 listeners are created and opened (600 STATUS= changes,
# more than the 512 datagrams a Unix socket queues), while `version`
# answers at once; the waiting STATUS= lines take one place in the queue,
# and once the manager reads again it hears the latest status.
. "${top_srcdir:-.}/tests/integration/lib.sh"
sysd_start
N=200
kill -STOP "$WSLD_PID" # wsl-sysd, which reads the notify socket
i=0
while [ $i -lt $N ]; do
	"$WSLCTL" create "s$i" net.tcp://127.0.0.1:0/ --open >/dev/null ||
	    break
	i=$((i + 1))
done
expect "$N creates and opens are answered while the manager reads nothing" \
    "$N" "$i"
run timeout 5 "$WSLCTL" version
expect "... and version answers at once" 0 "$RC"
waited=$("$WSLCTL" -j version | grep -o '"waited":[0-9]*' | cut -d: -f2)
dropped=$("$WSLCTL" -j version | grep -o '"dropped":[0-9]*' | cut -d: -f2)
[ "${waited:-0}" -gt 0 ] && ok "messages waited for the manager ($waited)" ||
    not_ok "messages waited for the manager (${waited:-none})"
expect "... none was dropped: the statuses took one place" 0 "$dropped"
kill -CONT "$WSLD_PID"
last_status() { sysd_msgs | grep -o 'STATUS=[^\\]*' | tail -1; }
heard() { [ "$(last_status)" = "STATUS=$N listeners: $N open" ]; }
expect_eventually "once the manager reads again it hears the latest status" heard
diag "last: $(last_status)"
finish
