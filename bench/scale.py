#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# make bench-scale: what N listeners cost wsld, for N = 10, 100, 1,000 and
# 10,000 TCP echo listeners on loopback from one configuration, all opened
# at start.  For each N, a private wsld (run from the build directory):
#   start     spawn to the "ready:" log line (every listener OPEN)
#   RSS, fds  /proc/PID after start
#   list      one `list` request on a kept connection (median of 3)
#   status    p50 of 200 `status` requests for one listener
#   abort     p50 of 50 `abort` requests (each followed, untimed, by
#             close, reset and open)
#   reload    one `reload` of the unchanged file (median of 3)
#   stop      SIGTERM to exit
# Printed as one table; only ratios within one run mean much on a shared
# machine.
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def request(sock, buf, command, **args):
    request.id += 1
    line = json.dumps({"id": request.id, "command": command,
                       "arguments": args}) + "\n"
    sock.sendall(line.encode())
    while b"\n" not in buf[0]:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("bench: wsld closed the connection")
        buf[0] += chunk
    reply, buf[0] = buf[0].split(b"\n", 1)
    r = json.loads(reply)
    if r.get("result", 1) != 0 and command not in ("abort",):
        raise SystemExit("bench: %s failed: %s" % (command, r.get("text")))
    return r


request.id = 0


def timed(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000.0


def one(n, tmp):
    conf = os.path.join(tmp, "wsld-%d.json" % n)
    sock_path = os.path.join(tmp, "c-%d.sock" % n)
    log = os.path.join(tmp, "wsld-%d.log" % n)
    with open(conf, "w") as f:
        json.dump({"listeners": {"l%d" % i: {
            "url": "net.tcp://127.0.0.1:0/", "handler": {"type": "echo"},
            "open": True} for i in range(n)}}, f)
    t0 = time.perf_counter()
    with open(log, "w") as lf:
        p = subprocess.Popen(["./wsld", "-f", "-s", sock_path, "-c", conf],
                             stdout=lf, stderr=lf)
    deadline = time.time() + 60
    while True:
        with open(log) as lf:
            if "ready:" in lf.read():
                break
        if time.time() > deadline or p.poll() is not None:
            raise SystemExit("bench: wsld with %d listeners never got "
                             "ready" % n)
        time.sleep(0.005)
    start = (time.perf_counter() - t0) * 1000.0
    rss = 0
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024.0
    fds = len(os.listdir("/proc/%d/fd" % p.pid))
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    buf = [b""]
    lst = statistics.median(timed(lambda: request(s, buf, "list"))
                            for _ in range(3))
    st = statistics.median(timed(lambda: request(s, buf, "status",
                                                 name="l0"))
                           for _ in range(200))
    aborts = []
    for _ in range(50):
        aborts.append(timed(lambda: request(s, buf, "abort", name="l0")))
        request(s, buf, "close", name="l0")
        request(s, buf, "reset", name="l0")
        request(s, buf, "open", name="l0")
    rel = statistics.median(timed(lambda: request(s, buf, "reload"))
                            for _ in range(3))
    s.close()
    t = time.perf_counter()
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=120)
    stop = (time.perf_counter() - t) * 1000.0
    return (n, start, rss, fds, lst, st, statistics.median(aborts), rel,
            stop)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 1000, 10000]
    rows = []
    with tempfile.TemporaryDirectory(prefix="wsl-scale.") as tmp:
        for n in sizes:
            rows.append(one(n, tmp))
    print("| N | start ms | RSS MB | fds | list ms | status p50 ms "
          "| abort p50 ms | reload ms | stop ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %d | %.0f | %.1f | %d | %.1f | %.3f | %.3f | %.1f | %.0f |"
              % r)


main()
