#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# make bench-scale: what N listeners cost wsld, for N = 10, 100, 1,000 and
# 10,000 TCP echo listeners on loopback from one configuration, all opened
# at start.  For each N, a private wsld (run from the build directory):
#   start     spawn to the "ready:" log line (every listener OPEN)
#   RSS, fds  /proc/PID after start and a first reply
#   list      `wslctl list` as an operator runs it, the process and all
#             (median of 3)
#   -j list   one `list` request for every field on a kept connection,
#             read and parsed (median of 3)
#   status    p50 of 200 `status` requests for one listener
#   status p99 idle / during list
#             p99 of `status` requests sent one every 0.5 ms, with no
#             other client, and while another process asks for every
#             field of every listener again and again (5 rounds of 500
#             each, alternating; the median of each)
#   abort     p50 of 50 `abort` requests (each followed, untimed, by
#             close, reset and open)
#   reload    one `reload` of the unchanged file (median of 3)
#   stop      SIGTERM to exit
# and open and close p50 of one listener (200 close, reset, open cycles;
# the reset untimed) in that wsld and, interleaved with it, in a second
# wsld started with NOTIFY_SOCKET set: a datagram socket a process of this
# script binds and reads, as a service manager would (every state change
# sends it a STATUS= line).  The second table gives both and their ratio.
#
# The listeners take consecutive ports below the kernel's ephemeral range
# that no TCP socket holds at the start: with port 0, the kernel's search
# for a free port is most of the start at 10,000, and depends on what else
# holds ports on the machine.  Only ratios within one run mean much on a
# shared machine.
import json
import os
import select
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
    # Pieces joined once: adding each to the rest took time quadratic in
    # the size of a list's reply (7 MB at 10,000).
    pieces = [buf[0]]
    while b"\n" not in pieces[-1]:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("bench: wsld closed the connection")
        pieces.append(chunk)
    reply, buf[0] = b"".join(pieces).split(b"\n", 1)
    r = json.loads(reply)
    if r.get("result", 1) != 0 and command not in ("abort",):
        raise SystemExit("bench: %s failed: %s" % (command, r.get("text")))
    return r


request.id = 0


def timed(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000.0


def free_ports(n):
    """The first of the highest n consecutive ports below the ephemeral
    range that no TCP socket holds."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo = int(f.read().split()[0])
    used = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    used.add(int(line.split()[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    run = 0
    for p in range(lo - 1, 1023, -1):
        run = 0 if p in used else run + 1
        if run == n:
            return p
    raise SystemExit("bench: no %d free consecutive ports below %d"
                     % (n, lo))


class Manager:
    """A service manager's notify socket, read by a process of its own as
    systemd would (every datagram at once, so that wsld never waits on
    it, and not competing with this one's timing); READY=1 is passed on
    through a pipe."""

    def __init__(self, path):
        self.path = path
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        r, w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(r)
            told = False
            while True:
                msg = sock.recv(65536)
                if not told and b"READY=1" in msg.split(b"\n"):
                    os.write(w, b"R")
                    told = True
        os.close(w)
        sock.close()
        self.pipe = r

    def wait_ready(self, seconds):
        return bool(select.select([self.pipe], [], [], seconds)[0])

    def close(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.pipe)


def start(n, tmp, tag, notify):
    conf = os.path.join(tmp, "wsld-%d-%s.json" % (n, tag))
    sock_path = os.path.join(tmp, "c-%d-%s.sock" % (n, tag))
    log = os.path.join(tmp, "wsld-%d-%s.log" % (n, tag))
    base = free_ports(n)
    with open(conf, "w") as f:
        json.dump({"listeners": {"l%d" % i: {
            "url": "net.tcp://127.0.0.1:%d/" % (base + i),
            "handler": {"type": "echo"},
            "open": True} for i in range(n)}}, f)
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    manager = None
    if notify:
        manager = Manager(os.path.join(tmp, "notify-%d" % n))
        env["NOTIFY_SOCKET"] = manager.path
    t0 = time.perf_counter()
    with open(log, "w") as lf:
        p = subprocess.Popen(["./wsld", "-f", "-s", sock_path, "-c", conf],
                             stdout=lf, stderr=lf, env=env)
    # The log is read as it grows, not again from the start each time.
    deadline = time.time() + 120
    seen = b""
    with open(log, "rb") as lf:
        while True:
            seen = seen[-64:] + lf.read()
            if b"ready:" in seen:
                break
            if time.time() > deadline or p.poll() is not None:
                raise SystemExit("bench: wsld with %d listeners never got "
                                 "ready" % n)
            time.sleep(0.002)
    ms = (time.perf_counter() - t0) * 1000.0
    if manager is not None and not manager.wait_ready(10):
        raise SystemExit("bench: no READY=1 from wsld with %d listeners"
                         % n)
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    return p, s, ms, manager


def open_close(conns, cycles=200):
    """Open and close p50 of l0 in each wsld of conns, interleaved (the
    order swapped every cycle) so that a shared machine's noise falls on
    all of them alike."""
    opens = [[] for _ in conns]
    closes = [[] for _ in conns]
    for i in range(cycles):
        order = list(range(len(conns)))
        if i % 2:
            order.reverse()
        for k in order:
            s, buf = conns[k]
            closes[k].append(timed(lambda: request(s, buf, "close",
                                                   name="l0")))
        for k in order:
            s, buf = conns[k]
            request(s, buf, "reset", name="l0")
        for k in order:
            s, buf = conns[k]
            opens[k].append(timed(lambda: request(s, buf, "open",
                                                  name="l0")))
    return ([statistics.median(o) for o in opens],
            [statistics.median(c) for c in closes])


def p99(samples):
    samples = sorted(samples)
    return samples[int(len(samples) * 0.99)]


def status_p99(sock, buf):
    out = []
    for _ in range(500):
        time.sleep(0.0005)
        out.append(timed(lambda: request(sock, buf, "status", name="l0")))
    return p99(out)


def lister(sock_path):
    """Asks for the whole list again and again, reading every reply
    without parsing it, until killed."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    line = (json.dumps({"id": 1, "command": "list"}) + "\n").encode()
    while True:
        s.sendall(line)
        while not s.recv(1 << 20).endswith(b"\n"):
            pass


def status_during_list(sock, buf, sock_path):
    idle, during = [], []
    for _ in range(5):
        idle.append(status_p99(sock, buf))
        pid = os.fork()
        if pid == 0:
            try:
                lister(sock_path)
            finally:
                os._exit(0)
        time.sleep(0.05)
        during.append(status_p99(sock, buf))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return statistics.median(idle), statistics.median(during)


def stop(p, s):
    s.close()
    t = time.perf_counter()
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=120)
    return (time.perf_counter() - t) * 1000.0


def one(n, tmp):
    p, s, start_ms, _ = start(n, tmp, "plain", False)
    buf = [b""]
    # After a first reply: the start's last work (the heap trimmed once
    # its plan is freed) is done.
    request(s, buf, "version")
    rss = 0
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024.0
    fds = len(os.listdir("/proc/%d/fd" % p.pid))
    sock_path = s.getpeername()
    wslctl = statistics.median(timed(lambda: subprocess.run(
        ["./wslctl", "-s", sock_path, "list"], stdout=subprocess.DEVNULL,
        check=True)) for _ in range(3))
    lst = statistics.median(timed(lambda: request(s, buf, "list"))
                            for _ in range(3))
    st = statistics.median(timed(lambda: request(s, buf, "status",
                                                 name="l0"))
                           for _ in range(200))
    idle, during = status_during_list(s, buf, sock_path)
    aborts = []
    for _ in range(50):
        aborts.append(timed(lambda: request(s, buf, "abort", name="l0")))
        request(s, buf, "close", name="l0")
        request(s, buf, "reset", name="l0")
        request(s, buf, "open", name="l0")
    rel = statistics.median(timed(lambda: request(s, buf, "reload"))
                            for _ in range(3))
    # The same with a service manager listening, side by side.
    p2, s2, _, manager = start(n, tmp, "notify", True)
    (op, nop), (cl, ncl) = open_close([(s, buf), (s2, [b""])])
    stop(p2, s2)
    manager.close()
    stop_ms = stop(p, s)
    return ((n, start_ms, rss, fds, wslctl, lst, st, idle, during,
             statistics.median(aborts), rel, stop_ms),
            (n, op, nop, nop / op, cl, ncl, ncl / cl))


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 1000, 10000]
    rows = []
    with tempfile.TemporaryDirectory(prefix="wsl-scale.") as tmp:
        for n in sizes:
            rows.append(one(n, tmp))
    print("| N | start ms | RSS MB | fds | list ms | -j list ms "
          "| status p50 ms | status p99 ms idle / during list "
          "| abort p50 ms | reload ms | stop ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r, _ in rows:
        print("| %d | %.0f | %.1f | %d | %.1f | %.1f | %.3f | %.3f / %.3f "
              "| %.3f | %.1f | %.0f |" % r)
    print()
    print("| N | open p50 ms | with NOTIFY_SOCKET | ratio "
          "| close p50 ms | with NOTIFY_SOCKET | ratio |")
    print("|---|---|---|---|---|---|---|")
    for _, r in rows:
        print("| %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |" % r)


main()
