#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# make bench: wsld side by side with the programs it should be measured
# against, on loopback, in the same run, rounds interleaved.
#
# Started once, kept for the whole run:
#   bare-echo        the upstream of every proxy, and the floor for wsld's
#                    echo handler (bench/bare-echo.c)
#   bare-echo -x     a bare accept loop: the floor for a hand-off
#   wsld             one private daemon with four listeners: echo, forward
#                    (to bare-echo), accept (the default handler) and exec
#                    (/bin/cat)
#   haproxy          bench/haproxy.cfg: mode tcp, 1 thread, to bare-echo
#   nginx            bench/nginx.conf: stream, 1 worker, to bare-echo
#   socket-proxyd    systemd-socket-proxyd under systemd-socket-activate,
#                    to bare-echo
#   socket-activate  systemd-socket-activate -a --inetd /bin/cat
#   socat            socat TCP-LISTEN:...,fork EXEC:/bin/cat
# A peer that is not installed is skipped with the reason.  As root, the
# missing Debian packages (haproxy, nginx-light, libnginx-mod-stream,
# socat) are installed with apt-get first, unless BENCH_INSTALL=0.
#
# Scenarios (the load is bench/wsl-load, which reports its own CPU):
#   short        CONNS connections from CONC clients: connect, MSG bytes
#                each way, close; connections/s and the server's CPU per
#                connection
#   ping         PINGS round trips of MSG bytes on one kept connection;
#                p50 and p99
#   bulk         BULK bytes each way over one connection; MB/s each way
#                and the server's CPU-seconds per GB each way
#   many         MANY_CONNS connections of MANY_BYTES each way, 64 at a
#                time; the same
#   accept       ACCEPTS connections to wsld's accept listener, every
#                channel fetched by accept requests on the control socket
#                and closed: 1 control connection with one request at a
#                time, 1 with 16 pipelined, 16 with one each; against the
#                bare accept loop
#   exec         EXECS connections of MSG bytes through /bin/cat, 16
#                clients
# Each scenario runs on wsld's echo and bare-echo, and again on wsld's
# forward, HAProxy, nginx and socket-proxyd (all to bare-echo).  CPU is
# that of the server and every process under it, before and after each
# run: the run time of each thread (/proc/PID/task/TID/schedstat, the
# utime+stime of /proc/PID/stat to the nanosecond) plus the
# cutime+cstime of /proc/PID/stat (the children it reaped).
#
# ROUNDS (5) rounds; in each, every scenario runs each of its subjects
# once, the subjects' order rotated by one from round to round.  Then:
# the medians per subject, the wsld/peer ratio of every round with its
# median and range (min-max), a separate pass (not timed) of `strace -c
# -f` for the syscalls per connection (STRACE_CONNS short connections),
# per hand-off and per MB (STRACE_BULK bytes over one connection), and
# the control round trip and abort latency of bench/wsl-bench.  QUICK=1
# makes everything small, for a smoke test (about 15 s).
#
# Only ratios within one run mean much on a shared machine.
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

QUICK = os.environ.get("QUICK", "0") not in ("", "0")


def env_int(name, full, quick):
    return int(os.environ.get(name, quick if QUICK else full))


ROUNDS = env_int("ROUNDS", 5, 2)
CONNS = env_int("CONNS", 10000, 1000)
CONC = env_int("CONC", 64, 64)
MSG = env_int("MSG", 64, 64)
PINGS = env_int("PINGS", 10000, 1000)
BULK = env_int("BULK", 1000000000, 50000000)
MANY_CONNS = env_int("MANY_CONNS", 256, 64)
MANY_BYTES = env_int("MANY_BYTES", 1 << 20, 1 << 20)
ACCEPTS = env_int("ACCEPTS", 5000, 500)
EXECS = env_int("EXECS", 1000, 100)
STRACE_CONNS = env_int("STRACE_CONNS", 3000, 300)
STRACE_BULK = env_int("STRACE_BULK", 100000000, 10000000)
CONTROL_ROUNDS = env_int("CONTROL_ROUNDS", 20000, 1000)
HZ = os.sysconf("SC_CLK_TCK")
SRC = os.path.dirname(os.path.abspath(__file__))
PROXYD = "/lib/systemd/systemd-socket-proxyd"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"

T = tempfile.mkdtemp(prefix="wsl-bench.")
procs = []      # everything started, stopped at the end


def say(*args):
    print(*args, flush=True)


def fail(msg):
    raise SystemExit("bench: " + msg)


def start(name, argv, **kw):
    log = open(os.path.join(T, name + ".log"), "w")
    p = subprocess.Popen(argv, stdout=kw.pop("stdout", log), stderr=log,
                         stdin=subprocess.DEVNULL, **kw)
    procs.append(p)
    return p


def stop_all():
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in reversed(procs):
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    shutil.rmtree(T, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def answers(port, expect_echo=True):
    """True once PORT accepts a connection (and echoes, if asked)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            if not expect_echo:
                return True
            s.sendall(b"ready?")
            return s.recv(64) == b"ready?"
    except OSError:
        return False


def wait_for(what, check, seconds=10):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def tree(pid):
    """PID and every process under it."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, task)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def cpu_seconds(pid):
    """The CPU time of PID and every process under it: each thread's run
    time (/proc/PID/task/TID/schedstat, in ns; utime+stime of
    /proc/PID/stat, in ticks, where there is no schedstat) plus the
    cutime+cstime of the children each has reaped."""
    total = 0.0
    for p in tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                # after the name, the state is field 3: utime is field 14
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = [int(x) for x in fields[11:15]]
            run = None
            try:
                run = sum(int(open("/proc/%d/task/%s/schedstat" % (
                    p, t)).read().split()[0]) / 1e9
                    for t in os.listdir("/proc/%d/task" % p))
            except (OSError, ValueError, IndexError):
                pass
            if run is None:
                run = (ticks[0] + ticks[1]) / HZ
            total += run + (ticks[2] + ticks[3]) / HZ
        except OSError:
            continue
    return total


def load(*args, timeout=300):
    """Runs wsl-load; returns its KEY=VALUE line as a dict, or None."""
    argv = ["./bench/wsl-load"] + [str(a) for a in args]
    try:
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        say("  (wsl-load did not finish in %d s: %s)" % (timeout,
                                                         " ".join(argv)))
        return None
    kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
    if r.returncode != 0:
        say("  (failed: %s: %s %s)" % (" ".join(argv[1:]),
                                       r.stderr.strip(), r.stdout.strip()))
        return None
    return {k: float(v) if v.replace(".", "", 1).isdigit() else v
            for k, v in kv.items()}


# --- the peers --------------------------------------------------------------

def install_missing():
    if os.geteuid() != 0 or os.environ.get("BENCH_INSTALL", "1") == "0" \
            or not shutil.which("apt-get"):
        return
    want = []
    if not shutil.which("haproxy"):
        want.append("haproxy")
    if not shutil.which("nginx"):
        want.append("nginx-light")
    if not os.path.exists(STREAM_MODULE):
        want.append("libnginx-mod-stream")
    if not shutil.which("socat"):
        want.append("socat")
    if not want:
        return
    say("installing the peers' Debian packages: apt-get install %s" %
        " ".join(want))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends"]
    for attempt in (1, 2):
        r = subprocess.run(cmd + want, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode == 0:
            return
        if attempt == 1:
            subprocess.run(["apt-get", "update", "-q"], env=env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    say("  apt-get failed: %s" % r.stderr.strip().splitlines()[-1:])


def version(argv):
    """The first version number a program prints about itself."""
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    m = re.search(r"(?:version|systemd|nginx)[ :/]+([0-9][0-9.]*[0-9])",
                  r.stdout + r.stderr)
    return m.group(1) if m else "?"


class Server:
    def __init__(self, name, port, pid, echo=True):
        self.name, self.port, self.pid, self.echo = name, port, pid, echo


skipped = []


def skip(name, why):
    skipped.append((name, why))
    say("skipping %s: %s" % (name, why))


def start_peer(name, argv, port, echo=True, need=()):
    for path in need:
        if not (shutil.which(path) or os.path.exists(path)):
            skip(name, "%s is not installed" % path)
            return None
    p = start(name, argv)
    if not wait_for(name, lambda: answers(port, echo) or
                    p.poll() is not None) or p.poll() is not None:
        with open(os.path.join(T, name + ".log")) as f:
            skip(name, "did not start: " + f.read().strip()[-300:])
        return None
    return Server(name, port, p.pid, echo)


def configure(template, **subst):
    with open(os.path.join(SRC, template)) as f:
        text = f.read()
    for k, v in subst.items():
        text = text.replace("@%s@" % k, str(v))
    path = os.path.join(T, template)
    with open(path, "w") as f:
        f.write(text)
    return path


def wslctl(*args):
    r = subprocess.run(["./wslctl", "-s", os.path.join(T, "wsld.sock")] +
                       list(args), capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        fail("wslctl %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def wsld_listener(name, handler):
    args = ["create", name, "net.tcp://127.0.0.1:0/"]
    if handler is not None:
        args += ["--handler", handler]
    wslctl(*(args + ["--open"]))
    for line in wslctl("status", name).splitlines():
        if line.split()[:1] == ["port"]:
            return int(line.split()[1])
    fail("no port for " + name)


# --- measuring --------------------------------------------------------------

def measure(server, run, work):
    """Runs RUN() against SERVER; adds its server CPU to the result."""
    c0 = cpu_seconds(server.pid)
    r = run()
    c1 = cpu_seconds(server.pid)
    if r is None:
        return None
    r["server_cpu"] = c1 - c0
    r["work"] = work
    return r


def short(server, conns=None, conc=None):
    n = conns or CONNS
    r = measure(server, lambda: load("conn", "-n", n, "-c", conc or CONC,
                                     "-s", MSG, server.port), n)
    if r:
        r["cpu_us"] = r["server_cpu"] * 1e6 / n
    return r


def ping(server):
    return measure(server, lambda: load("ping", "-n", PINGS, "-s", MSG,
                                        server.port), PINGS)


def bulk(server, conns, nbytes, conc):
    r = measure(server, lambda: load("bulk", "-n", conns, "-c", conc, "-b",
                                     nbytes, server.port),
                conns * nbytes)
    if r:
        r["cpu_per_gb"] = r["server_cpu"] / (conns * nbytes / 1e9)
    return r


def accept(server, ctl, window):
    def run():
        if server.name == "bare accept loop":
            return load("conn", "-s", 0, "-n", ACCEPTS, "-c", CONC,
                        server.port)
        return load("accept", "-S", os.path.join(T, "wsld.sock"), "-L",
                    "acc", "-k", ctl, "-w", window, "-n", ACCEPTS, "-c",
                    CONC, server.port)
    r = measure(server, run, ACCEPTS)
    if r:
        r["cpu_us"] = r["server_cpu"] * 1e6 / ACCEPTS
    return r


def spawn(server):
    r = measure(server, lambda: load("conn", "-n", EXECS, "-c", 16, "-s",
                                     MSG, server.port), EXECS)
    if r:
        r["cpu_us"] = r["server_cpu"] * 1e6 / EXECS
    return r


# --- reporting --------------------------------------------------------------

def fmt(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "{:,.0f}".format(v)
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def size(n):
    for unit, k in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
                    ("GB", 10 ** 9), ("MB", 10 ** 6), ("kB", 1000)):
        if n >= k and n % k == 0:
            return "%d %s" % (n // k, unit)
    return "%d bytes" % n


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    install_missing()
    for tool in ("./wsld", "./wslctl", "./bench/wsl-load",
                 "./bench/bare-echo", "./bench/wsl-bench"):
        if not os.access(tool, os.X_OK):
            fail("%s is missing: run make bench from the build directory"
                 % tool)

    # bare-echo and the bare accept loop
    up = start("bare-echo", ["./bench/bare-echo"], stdout=subprocess.PIPE)
    UP = int(up.stdout.readline())
    bare = Server("bare echo", UP, up.pid)
    xl = start("bare-accept", ["./bench/bare-echo", "-x"],
               stdout=subprocess.PIPE)
    bare_accept = Server("bare accept loop", int(xl.stdout.readline()),
                         xl.pid, echo=False)

    # wsld
    sock = os.path.join(T, "wsld.sock")
    w = start("wsld", ["./wsld", "-f", "-s", sock])
    if not wait_for("wsld", lambda: subprocess.run(
            ["./wslctl", "-s", sock, "-q", "version"],
            capture_output=True).returncode == 0):
        fail("wsld did not start")
    wsld_version = wslctl("version").strip().replace("\n", ", ")
    w_echo = Server("wsld echo", wsld_listener("echo", "echo"), w.pid)
    w_fw = Server("wsld forward", wsld_listener(
        "fw", '{"type":"forward","upstream":"tcp://127.0.0.1:%d"}' % UP),
        w.pid)
    w_acc = Server("wsld accept", wsld_listener("acc", None), w.pid,
                   echo=False)
    w_exec = Server("wsld exec", wsld_listener(
        "ex", '{"type":"exec","command":["/bin/cat"],"max-channels":64,'
        '"stderr":"null"}'), w.pid)

    # the peers
    forwarders, spawners = [], []
    port = free_port()
    haproxy = start_peer("haproxy", ["haproxy", "-db", "-f", configure(
        "haproxy.cfg", PORT=port, UPSTREAM=UP)], port, need=["haproxy"])
    port = free_port()
    nginx = start_peer("nginx", [
        "nginx", "-e", os.path.join(T, "nginx-error.log"), "-p", T, "-c",
        configure("nginx.conf", PORT=port, UPSTREAM=UP, DIR=T), "-g",
        "daemon off;"], port, need=["nginx", STREAM_MODULE])
    port = free_port()
    proxyd = start_peer("socket-proxyd", [
        "systemd-socket-activate", "-l", "127.0.0.1:%d" % port, PROXYD,
        "127.0.0.1:%d" % UP], port,
        need=["systemd-socket-activate", PROXYD])
    forwarders = [s for s in (haproxy, nginx, proxyd) if s]
    port = free_port()
    inetd = start_peer("socket-activate --inetd", [
        "systemd-socket-activate", "-a", "--inetd", "-l",
        "127.0.0.1:%d" % port, "/bin/cat"], port,
        need=["systemd-socket-activate"])
    port = free_port()
    socat = start_peer("socat", [
        "socat", "TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr,backlog=4096"
        % port, "EXEC:/bin/cat"], port, need=["socat"])
    spawners = [s for s in (inetd, socat) if s]

    # Each scenario: (title, metrics, subjects, run). The first subject
    # is wsld's; ratios are wsld / each other subject.  A metric is (key,
    # label, better): better is "higher" or "lower".
    rate = ("rate", "conn/s", "higher")
    cpu_us = ("cpu_us", "CPU us/conn", "lower")
    mbps = ("mbps", "MB/s", "higher")
    per_gb = ("cpu_per_gb", "CPU-s/GB", "lower")
    p50 = ("p50_us", "p50 us", "lower")
    p99 = ("p99_us", "p99 us", "lower")
    client = ("client_cores", "client cores", None)
    accept_subjects = [
        (Server("wsld accept, 1 ctl x 1", w_acc.port, w.pid, False), 1, 1),
        (Server("wsld accept, 1 ctl x 16", w_acc.port, w.pid, False), 1,
         16),
        (Server("wsld accept, 16 ctl x 1", w_acc.port, w.pid, False), 16,
         1),
        (bare_accept, 1, 1)]
    scenarios = []
    for kind, subjects in (("echo", [w_echo, bare]),
                           ("forward", [w_fw] + forwarders)):
        scenarios += [
            ("short connections, %s" % kind, [rate, cpu_us, client],
             subjects, lambda s: short(s)),
            ("ping-pong, %s" % kind, [p50, p99], subjects, ping),
            ("bulk 1 x %s, %s" % (size(BULK), kind),
             [mbps, per_gb, client], subjects,
             lambda s: bulk(s, 1, BULK, 1)),
            ("bulk %d x %s, 64 at a time, %s" % (
                MANY_CONNS, size(MANY_BYTES), kind),
             [mbps, per_gb, client], subjects,
             lambda s: bulk(s, MANY_CONNS, MANY_BYTES, 64)),
        ]
    scenarios.append(("accept hand-off (vs a bare accept loop)",
                      [rate, cpu_us, ("reply_size", "reply bytes", None),
                       client],
                      [s for s, _, _ in accept_subjects],
                      lambda s: accept(s, *next(
                          (k, wnd) for x, k, wnd in accept_subjects
                          if x is s))))
    scenarios.append(("exec /bin/cat", [rate, cpu_us, client],
                      [w_exec] + spawners, spawn))

    say("wsld bench suite, %s" % time.strftime("%Y-%m-%d %H:%M %Z"))
    say("machine: nproc %d, kernel %s, load average %s" % (
        os.cpu_count(), os.uname().release,
        " ".join(open("/proc/loadavg").read().split()[:3])))
    say("wsld: %s; pool of %d loops, each listener on one" % (
        wsld_version, os.cpu_count()))
    say("peers: %s" % "; ".join(
        ["bare-echo (bench/bare-echo.c)"] +
        (["HAProxy %s, 1 thread" % version(["haproxy", "-v"])] if haproxy
         else []) +
        (["nginx %s stream, 1 worker" % version(["nginx", "-v"])] if nginx
         else []) +
        (["systemd-socket-proxyd and -activate, systemd %s" % version(
            ["systemd-socket-activate", "--version"])] if proxyd or inetd
         else []) +
        (["socat %s" % version(["socat", "-V"])] if socat else [])))
    for name, why in skipped:
        say("skipped: %s (%s)" % (name, why))
    say("ROUNDS=%d CONNS=%d CONC=%d MSG=%d PINGS=%d BULK=%d MANY_CONNS=%d "
        "MANY_BYTES=%d ACCEPTS=%d EXECS=%d%s" % (
            ROUNDS, CONNS, CONC, MSG, PINGS, BULK, MANY_CONNS, MANY_BYTES,
            ACCEPTS, EXECS, " QUICK=1" if QUICK else ""))

    results = {}    # (scenario title, subject name) -> [result per round]
    t_start = time.monotonic()
    for rnd in range(ROUNDS):
        for title, _, subjects, run in scenarios:
            k = rnd % len(subjects)
            for s in subjects[k:] + subjects[:k]:
                results.setdefault((title, s.name), []).append(run(s))
        say("round %d of %d done (%.0f s)" % (rnd + 1, ROUNDS,
                                              time.monotonic() - t_start))

    say("")
    say("Medians over %d rounds (CPU: the server's, user+system, with its "
        "children; client cores: wsl-load's own CPU over the wall time):"
        % ROUNDS)
    for title, metrics, subjects, _ in scenarios:
        say("")
        say("%s:" % title)
        say("| subject | " + " | ".join(m[1] for m in metrics) + " |")
        say("|---" * (len(metrics) + 1) + "|")
        for s in subjects:
            rs = results[(title, s.name)]
            say("| %s | " % s.name + " | ".join(
                fmt(med([r.get(m[0]) if r else None for r in rs]))
                for m in metrics) + " |")
            bad = sum(1 for r in rs if r is None)
            if bad:
                say("  (%d of %d runs of %s failed)" % (bad, len(rs),
                                                        s.name))

    say("")
    say("(accept: N ctl x W is N control connections with W accept "
        "requests in flight on each; whether wsld answers them as "
        "channels come or one at a time per connection is in "
        "wsld-control(7), TRANSPORT.)")
    say("")
    say("wsld / peer, the ratio of each round, median [min-max] over %d "
        "rounds (higher is better for conn/s and MB/s, lower for CPU and "
        "latency):" % ROUNDS)
    say("")
    say("| scenario | metric | wsld subject | peer | median | range |")
    say("|---|---|---|---|---|---|")
    for title, metrics, subjects, _ in scenarios:
        wsld_subjects = [s for s in subjects if s.name.startswith("wsld")]
        peers = [s for s in subjects if not s.name.startswith("wsld")]
        for m in metrics:
            if m[2] is None:
                continue
            for ws in wsld_subjects:
                for p in peers:
                    ratios = [a[m[0]] / b[m[0]] for a, b in zip(
                        results[(title, ws.name)], results[(title, p.name)])
                        if a and b and b[m[0]]]
                    if not ratios:
                        continue
                    say("| %s | %s | %s | %s | %.2f | %.2f-%.2f |" % (
                        title, m[1], ws.name, p.name,
                        statistics.median(ratios), min(ratios),
                        max(ratios)))

    syscalls([bare, w_echo, w_fw] + forwarders,
             [bare, w_echo, w_fw] + forwarders, w_acc)
    say("")
    control = subprocess.run(["./bench/wsl-bench", sock, str(CONTROL_ROUNDS)],
                             capture_output=True, text=True, timeout=300)
    say(control.stdout.rstrip() or control.stderr.rstrip())
    say("")
    say("done in %.0f s; load average %s" % (
        time.monotonic() - t_start,
        " ".join(open("/proc/loadavg").read().split()[:3])))


def strace(server, run):
    """strace -c -f on SERVER (and every process under it) while RUN()
    runs; the calls counted, by name, or a string saying why not."""
    out = os.path.join(T, "strace.out")
    err = open(os.path.join(T, "strace.err"), "w+")
    pids = tree(server.pid)
    argv = ["strace", "-f", "-c", "-o", out]
    for p in pids:
        argv += ["-p", str(p)]
    st = subprocess.Popen(argv, stderr=err, stdout=subprocess.DEVNULL)

    def attached():
        err.seek(0)
        return err.read().count("attached") >= len(pids)
    if not wait_for("strace", attached):
        st.kill()
        st.wait()
        return "strace did not attach"
    r = run()
    st.send_signal(signal.SIGINT)
    try:
        st.wait(timeout=30)
    except subprocess.TimeoutExpired:
        st.kill()
        st.wait()
    if r is None:
        return "the load failed"
    calls = {}
    with open(out) as f:
        for line in f:
            parts = line.split()
            # % time, seconds, usecs/call, calls, [errors,] syscall
            if len(parts) >= 5 and parts[0][0].isdigit() and \
                    parts[-1] != "total":
                calls[parts[-1]] = int(parts[3])
    return calls


def calls_row(name, calls, per):
    if isinstance(calls, str):
        say("| %s | - | %s |" % (name, calls))
        return
    top = sorted(calls.items(), key=lambda kv: -kv[1])
    say("| %s | %.1f | %s |" % (
        name, sum(calls.values()) / per,
        ", ".join("%s %.2f" % (k, v / per) for k, v in top
                  if v / per >= 0.05)))


def syscalls(short_subjects, bulk_subjects, accept_subject):
    """The system calls of the servers, in a pass of its own (not timed):
    per short connection, per hand-off, and per MB of bulk."""
    say("")
    if not shutil.which("strace"):
        say("syscalls: skipped, strace is not installed")
        return
    say("System calls per connection (strace -c -f on the server, %d short "
        "connections of %d bytes each way, %d clients; not timed):"
        % (STRACE_CONNS, MSG, CONC))
    say("")
    say("| subject | calls per connection | the main ones |")
    say("|---|---|---|")
    for s in short_subjects:
        calls_row(s.name, strace(s, lambda: load(
            "conn", "-n", STRACE_CONNS, "-c", CONC, "-s", MSG, s.port)),
            STRACE_CONNS)
    calls_row("%s (1 ctl x 16), per hand-off" % accept_subject.name,
              strace(accept_subject, lambda: load(
                  "accept", "-S", os.path.join(T, "wsld.sock"), "-L", "acc",
                  "-w", 16, "-n", STRACE_CONNS, "-c", CONC,
                  accept_subject.port)), STRACE_CONNS)
    say("")
    say("System calls per MB each way (the same, %s over one connection):"
        % size(STRACE_BULK))
    say("")
    say("| subject | calls per MB | the main ones |")
    say("|---|---|---|")
    for s in bulk_subjects:
        calls_row(s.name, strace(s, lambda: load(
            "bulk", "-n", 1, "-b", STRACE_BULK, s.port)),
            STRACE_BULK / 1e6)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        stop_all()
