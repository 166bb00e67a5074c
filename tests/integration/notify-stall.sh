#!/bin/sh
# SPDX-License-Identifier: ISC
# A service manager that stops reading cannot freeze wsld: messages to it
# never block the control thread.  With wsl-sysd (playing systemd)
# stopped, 200 listeners are created and opened, and then one is closed,
# reset and opened again until messages wait for the manager (a Unix
# socket queues net.unix.max_dgram_qlen datagrams, 512 by default, and
# STATUS= goes at most every 10 ms), while `version` answers at once; the
# waiting STATUS= lines take one place in the queue, and once the manager
# reads again it hears the latest status.
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
waited() { "$WSLCTL" -j version | grep -o '"waited":[0-9]*' | cut -d: -f2; }
j=0
while [ "$(waited)" = 0 ] && [ $j -lt 2000 ]; do
	"$WSLCTL" close s0 >/dev/null && "$WSLCTL" reset s0 >/dev/null &&
	    "$WSLCTL" open s0 >/dev/null || break
	j=$((j + 1))
done
diag "then $j close, reset, open cycles"
run timeout 5 "$WSLCTL" version
expect "... and version answers at once" 0 "$RC"
waited=$(waited)
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
