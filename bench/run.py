#!/usr/bin/env python3
"""Benchmarks of handover-relay against a reference lws echo server (issue #6).

    bench/run.py [idle|bot-echo|handover|fanout|storm|stream-append|stream-replay|stream-fanout|all ...]
                 [--quick] [--repeat N] [--max-load L]

Each scenario starts the servers it needs on free loopback ports, drives them
with the C load generator (.build-bench/loadgen: all the load is C; this file
only orchestrates, stdlib only), samples the servers' RSS and CPU from /proc,
and prints one table: metric | relay | reference | ratio | target | result.
Relay and reference are measured one after the other in the same invocation,
each on a freshly started process. Every step is bounded in time; every
process started here is stopped at the end, on errors and on Ctrl-C.

Results (tables and raw loadgen JSON) go to .build-bench/results/.
See docs/BENCHMARKS.md.
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, ".build-bench")
LOADGEN = os.path.join(OUT, "loadgen")
ECHO = os.path.join(OUT, "echo_server")
# `make bench-build` builds the relay into .build-bench-relay/; a release build made by hand for
# benchmarks goes to .build-release-bench/ (never .build/, the debug build of the tests).
RELAY_CANDIDATES = [os.path.join(ROOT, d, "release", "handover-relay") for d in (".build-bench-relay", ".build-release-bench")]
DEFAULT_RELAY = max((c for c in RELAY_CANDIDATES if os.access(c, os.X_OK)), key=os.path.getmtime,
                    default=RELAY_CANDIDATES[0])  # the most recently built
STOREBENCH_PKG = os.path.join(ROOT, "bench", "StoreBench")
STOREBENCH = os.path.join(OUT, "release", "StoreBench")  # scratch path .build-bench (see its Package.swift)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

SCENARIOS = ["idle", "bot-echo", "handover", "fanout", "storm", "stream-append", "stream-replay", "stream-fanout", "cluster"]

# ----------------------------------------------------------------- processes

_children = []


def _raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


class Server:
    """A server process we started: relay or reference."""

    def __init__(self, name, argv, port, env=None, log=None, data_dir=None):
        self.name, self.port, self.data_dir = name, port, data_dir
        self.log = open(log, "w") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, preexec_fn=_raise_nofile, start_new_session=True, cwd=ROOT)
        _children.append(self.proc)
        wait_port(port, self.proc)

    @property
    def pid(self):
        return self.proc.pid

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_s(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def schedstat(self):
        """(ns on a CPU, ns runnable but waiting for a CPU) from /proc/<pid>/schedstat."""
        try:
            with open(f"/proc/{self.pid}/schedstat") as f:
                run, wait, _ = f.read().split()
            return int(run), int(wait)
        except (OSError, ValueError):
            return 0, 0

    def established_to(self, remote_port):
        """ESTABLISHED TCP connections of this process whose peer port is remote_port."""
        inodes = set()
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                link = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        n = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    next(f)
                    for line in f:
                        p = line.split()
                        if p[3] == "01" and int(p[2].rsplit(":", 1)[1], 16) == remote_port and p[9] in inodes:
                            n += 1
            except FileNotFoundError:
                pass
        return n

    def data_bytes(self):
        """Size of the relay's SQLite log (database + WAL) on disk."""
        if not self.data_dir:
            return 0
        return sum(os.path.getsize(os.path.join(self.data_dir, f)) for f in os.listdir(self.data_dir)
                   if f.startswith("relay.sqlite3"))

    def stop(self):
        stop_process(self.proc)
        if self.log is not subprocess.DEVNULL:
            self.log.close()
        if self.data_dir:  # each relay gets a fresh data directory; a stopped one is not reused
            shutil.rmtree(self.data_dir, ignore_errors=True)


class SyscallCount:
    """Counts some system calls of a process over a window with `perf stat` (tracepoints;
    works without hardware counters). start()/stop(); counts() -> {name: n} or {} when
    perf is missing or not permitted."""

    def __init__(self, pid, calls, log):
        self.pid, self.calls, self.log, self.proc = pid, calls, log, None

    def start(self):
        if not shutil.which("perf"):
            return
        events = ",".join(f"syscalls:sys_enter_{c}" for c in self.calls)
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(["perf", "stat", "-x,", "-e", events, "-p", str(self.pid)], stdout=self.out,
                                     stderr=self.out, stdin=subprocess.DEVNULL, start_new_session=True)
        _children.append(self.proc)
        self.t0 = time.time()

    def stop(self):
        if not self.proc:
            return
        self.seconds = time.time() - self.t0
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        stop_process(self.proc)
        self.out.close()

    def counts(self):
        found = {}
        try:
            with open(self.log) as f:
                for line in f:
                    parts = line.strip().split(",")
                    if len(parts) > 2 and parts[2].startswith("syscalls:sys_enter_") and parts[0].isdigit():
                        found[parts[2][len("syscalls:sys_enter_"):]] = int(parts[0])
        except OSError:
            pass
        return found


class PerfRecord:
    """`perf record -g` of a process over a window (--perf): where its CPU goes.
    Read with `perf report -i <file> --no-children` (or --children)."""

    def __init__(self, pid, path):
        self.pid, self.path, self.proc = pid, path, None

    def start(self):
        if self.proc or not shutil.which("perf"):
            return
        self.log = open(self.path + ".log", "w")
        self.proc = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "--call-graph", "dwarf,16384",
                                      "-p", str(self.pid), "-o", self.path], stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        _children.append(self.proc)

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)  # writing a DWARF profile takes a while
        except subprocess.TimeoutExpired:
            pass
        stop_process(self.proc)
        self.log.close()


def stop_process(proc, grace=5.0):
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc in _children:
        _children.remove(proc)


def stop_all():
    for proc in list(_children):
        try:
            stop_process(proc, grace=3.0)
        except Exception:
            pass


def _on_signal(signum, frame):
    raise KeyboardInterrupt


# ------------------------------------------------------------------ servers

class Bench:
    def __init__(self, args):
        self.args = args
        self.relay_bin = args.relay_bin
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.results_dir = os.path.join(OUT, "results", self.stamp)
        os.makedirs(self.results_dir, exist_ok=True)
        self.raw = {}
        self.runs = 0

    def log(self, name):
        return os.path.join(self.results_dir, name)

    def relay_supports(self, flag):
        if not hasattr(self, "_relay_help"):
            self._relay_help = subprocess.run([self.relay_bin, "demo", "--help"], capture_output=True, text=True,
                                              timeout=30).stdout
        return flag in self._relay_help

    def relay(self, mode="demo", fake_port=None, store=None, synchronous=None, redis=None):
        """A fresh relay. Each gets its own new data directory (the durable log and the token
        secret), removed when it stops: a relay never restores sessions of an earlier
        measurement. store: sqlite (default) | memory; synchronous: normal (default) | full."""
        port = free_port()
        argv = [self.relay_bin, "serve" if mode == "fake" else "demo", "--port", str(port), "--bind", "127.0.0.1",
                "--web-root", os.path.join(ROOT, "web"), "--log-level", "warning"]
        data_dir = None
        if self.relay_supports("--data-dir"):
            data_dir = os.path.join(OUT, "data", f"{self.stamp}-{self.runs + 1}")
            shutil.rmtree(data_dir, ignore_errors=True)
            os.makedirs(data_dir)
            argv += ["--data-dir", data_dir]
        if store:
            argv += ["--store", store]
        # The load generator is one client address driving thousands of sessions at full speed:
        # the per-client limits that protect a production relay are lifted for the measurement.
        config = {"limits": {"messagesPerSecond": 0, "maxConnectionsPerAddress": 0}}
        if synchronous:
            config["store"] = {"synchronous": synchronous}
        if redis:
            config["store"] = {"backend": "redis", "redis": redis}
            # Every node of a cluster must sign and check copilot links with one secret.
            argv += ["--copilot-secret", "bench-cluster-secret-0123456789abcdef"]
        path = self.log(f"relay-{self.runs + 1}-config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        argv += ["--config", path]
        env = dict(os.environ)
        if mode == "fake":
            # The C fake upstream does not sign its webhooks (the embedded simulator does): verification off, loopback only.
            argv += ["--8x8-base-url", f"http://127.0.0.1:{fake_port}", "--8x8-channel-id", "bench-channel",
                     "--8x8-queue-id", "bench-queue", "--8x8-webhook-signatures", "off"]
            env["RELAY_8X8_API_KEY"] = "bench-api-key"
        self.runs += 1
        srv = Server("relay", argv, port, env=env, log=self.log(f"relay-{self.runs}.log"), data_dir=data_dir)
        time.sleep(0.5)  # let start-up allocations settle before the baseline RSS
        return srv

    def stream_token(self, srv):
        """A stream:read token signed with srv's secret (minted with the same data directory)."""
        out = subprocess.run([self.relay_bin, "token", "--scope", "stream:read", "--subject", "bench", "--data-dir",
                              srv.data_dir], capture_output=True, text=True, timeout=30, check=True)
        return out.stdout.strip()

    def stream_token_or_none(self, srv):
        """The token when srv serves the integrator stream and its read API, else None (an older relay)."""
        try:
            token = self.stream_token(srv)
            self.last_offset(srv, token)
            return token
        except (subprocess.SubprocessError, OSError, ValueError, KeyError):
            return None

    def last_offset(self, srv, token):
        """(time, lastOffset) of srv's log from the read API; time is the middle of the request."""
        req = urllib.request.Request(f"http://127.0.0.1:{srv.port}/api/events?after=0&limit=1",
                                     headers={"Authorization": f"Bearer {token}"})
        t0 = time.time()
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = json.load(resp)
        return (t0 + time.time()) / 2, body["lastOffset"]

    def wait_quiet(self, what):
        """With --max-load L: before a measured run, waits (polling every 30 s, at most
        --max-wait s) until the 1-minute load average is at most L. Returns (load, waited s)."""
        load, waited = os.getloadavg()[0], 0.0
        limit = self.args.max_load
        while limit > 0 and load > limit and waited < self.args.max_wait:
            print(f"    (load average {load:.2f} > {limit:.2f}: waiting before {what}, {waited:.0f} s so far)",
                  flush=True)
            time.sleep(30)
            waited += 30
            load = os.getloadavg()[0]
        if limit > 0 and load > limit:
            print(f"    ! load average still {load:.2f} after {waited:.0f} s: measuring anyway", flush=True)
        return round(load, 2), waited

    def reference(self, loop="poll", extra=()):
        port = free_port()
        self.runs += 1
        srv = Server("reference", [ECHO, "--port", str(port), "--bind", "127.0.0.1", "--loop", loop] + [str(a) for a in extra], port,
                     log=self.log(f"reference-{self.runs}.log"))
        time.sleep(0.2)
        return srv

    def python_reference(self):
        """The optional Python `websockets` echo server, or None when .venv lacks it."""
        py = os.path.join(ROOT, ".venv", "bin", "python")
        if not os.access(py, os.X_OK) or subprocess.run([py, "-c", "import websockets.asyncio.server"],
                                                        capture_output=True).returncode:
            return None
        port = free_port()
        self.runs += 1
        return Server("python-reference", [py, os.path.join(ROOT, "bench", "reference", "echo_server.py"), "--port",
                                           str(port)], port, log=self.log(f"python-reference-{self.runs}.log"))

    def loadgen(self, label, server, argv, on_event=None, timeout=240, quiet=True, cpu_events=("measure", "measured")):
        """Runs the load generator against server; returns its result JSON plus the
        server's CPU use over the measurement window (between the two cpu_events).
        quiet: wait for a quiet machine first (--max-load); False for runs that only fill."""
        self.seq = getattr(self, "seq", 0) + 1
        label = f"{self.seq:02d}-{label}"
        load_before, waited = self.wait_quiet(label) if quiet else (round(os.getloadavg()[0], 2), 0.0)
        cmd = [LOADGEN, "--port", str(server.port), "--timeout", str(timeout - 20)] + [str(a) for a in argv]
        print(f"  · {label}: {' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))}", flush=True)
        errlog = open(self.log(f"loadgen-{label}.log"), "w")
        prof = PerfRecord(server.pid, self.log(f"perf-{label}.data")) if self.args.perf and server.name == "relay" else None
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errlog, stdin=subprocess.DEVNULL, text=True,
                                preexec_fn=_raise_nofile, start_new_session=True, cwd=ROOT)
        _children.append(proc)
        result, cpu = None, {}
        deadline = time.time() + timeout
        try:
            for line in proc.stdout:
                if time.time() > deadline:
                    break
                line = line.strip()
                if not line.startswith("{"):
                    continue
                ev = json.loads(line)
                kind = ev.get("event")
                if kind == cpu_events[0] and "c0" not in cpu:
                    cpu["t0"], cpu["c0"], cpu["s0"] = time.time(), server.cpu_s(), server.schedstat()
                    if prof:
                        prof.start()
                elif kind == cpu_events[1] and "c0" in cpu and "c1" not in cpu:
                    cpu["t1"], cpu["c1"], cpu["s1"] = time.time(), server.cpu_s(), server.schedstat()
                    if prof:
                        prof.stop()
                elif kind == "result":
                    result = ev
                if on_event:
                    on_event(ev)
            proc.wait(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
        finally:
            stop_process(proc)
            errlog.close()
            if prof:
                prof.stop()
        if result is None:
            result = {"timeout": f"no result (exit {proc.returncode}); see {self.log('loadgen-' + label + '.log')}"}
        if "c1" in cpu and cpu["t1"] > cpu["t0"]:
            span = cpu["t1"] - cpu["t0"]
            result["server_cpu_pct"] = round(100 * (cpu["c1"] - cpu["c0"]) / span, 1)
            # Time the server was runnable but other processes held the CPUs: high
            # values mean the machine, not the server, limited the figure.
            result["server_runqueue_wait_pct"] = round(100 * (cpu["s1"][1] - cpu["s0"][1]) / 1e9 / span, 1)
        result["load_average"] = round(os.getloadavg()[0], 2)
        result["load_before"], result["load_wait_s"] = load_before, waited
        self.raw[label] = result
        if result.get("timeout"):
            print(f"    ! {label}: {result['timeout']}", flush=True)
        return result


# ------------------------------------------------------------------- tables

class Table:
    def __init__(self, title, heads=("relay", "reference")):
        self.title, self.rows, self.notes, self.heads = title, [], [], heads

    def add(self, metric, relay, ref=None, target=None, check=None, ratio=True, fmt="{:,.1f}"):
        """check(relay, ref, ratio) -> bool decides pass/miss when a target is given."""
        def show(v):
            if v is None:
                return "—"
            if isinstance(v, str):
                return v
            return fmt.format(v)
        r = None
        if ratio and isinstance(relay, (int, float)) and isinstance(ref, (int, float)) and ref:
            r = relay / ref
        verdict = ""
        if check is not None and relay is not None:
            try:
                verdict = "pass" if check(relay, ref, r) else "MISS"
            except TypeError:
                verdict = "n/a"
        self.rows.append((metric, show(relay), show(ref), f"{r:.2f}×" if r is not None else "—", target or "", verdict))

    def note(self, text):
        self.notes.append(text)

    def render(self):
        head = ("metric",) + tuple(self.heads) + ("ratio", "target", "result")
        widths = [max(len(str(row[i])) for row in self.rows + [head]) for i in range(6)]
        lines = [f"\n== {self.title} ==", "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
                 "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        for row in self.rows:
            lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)


def cpu(result):
    """'CPU% (waited W%)' of the server over the measurement window."""
    if result.get("server_cpu_pct") is None:
        return None
    return f"{result['server_cpu_pct']:.0f}% (waited {result.get('server_runqueue_wait_pct', 0):.0f}%)"


def lat(result, key, q):
    v = result.get("latency", {}).get(key, {})
    return v.get(q) / 1000.0 if v.get("count") and v.get(q) is not None else None  # ms


# ---------------------------------------------------------------- scenarios

def scenario_idle(b, quick):
    sizes = [2000] if quick else [10000, 50000]
    t = Table("idle: end-user sessions held after hello")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    for n in sizes:
        if n + 200 > hard:
            t.note(f"idle {n:,}: skipped — RLIMIT_NOFILE hard limit is {hard:,} per process, {n + 200:,} needed "
                   f"(the relay and the load generator each hold one descriptor per session); raise the hard limit "
                   f"(limits.conf / systemd LimitNOFILE) to run it")
            continue
        local = []
        if n > 25000:  # one source address has ~28k ephemeral ports towards one server port
            local = ["--local-addrs", ",".join(f"127.0.0.{i}" for i in range(1, 2 + n // 25000))]
        per = {}
        for target in ("relay", "reference"):
            srv = b.relay() if target == "relay" else b.reference()
            try:
                base = srv.rss_kb()
                sample = {}

                def on_event(ev, srv=srv, sample=sample):
                    if ev.get("event") == "ready":
                        time.sleep(2.0)  # the loadgen holds the sessions meanwhile
                        sample["rss"] = srv.rss_kb()
                        sample["cpu"] = srv.cpu_s()

                r = b.loadgen(f"idle-{n}-{target}", srv,
                              ["--scenario", "idle", "--target", target, "--conns", n, "--hold", 5,
                               "--connect-concurrency", 500] + local, on_event=on_event, timeout=240)
                held = r.get("connections", {}).get("sessions_ready", 0)
                rss = sample.get("rss", base)
                per[target] = dict(held=held, base=base, rss=rss, per=(rss - base) / held if held else None,
                                   ready_s=r.get("ready_after_s"))
            finally:
                srv.stop()
        # The same relay holding bare WebSocket connections (no hello, no session):
        # splits the per-session figure into lws + shell vs the session itself.
        srv = b.relay()
        try:
            base, sample = srv.rss_kb(), {}

            def on_bare(ev, srv=srv, sample=sample):
                if ev.get("event") == "ready":
                    time.sleep(2.0)
                    sample["rss"] = srv.rss_kb()

            r = b.loadgen(f"idle-{n}-relay-bare", srv, ["--scenario", "idle", "--target", "relay", "--conns", n,
                                                       "--hold", 5, "--connect-concurrency", 500, "--no-hello"] + local,
                          on_event=on_bare, timeout=240)
            held = r.get("connections", {}).get("sessions_ready", 0)
            bare = (sample.get("rss", base) - base) / held if held else None
        finally:
            srv.stop()
        R, F = per["relay"], per["reference"]
        t.add(f"sessions held (of {n:,})", R["held"], F["held"], ratio=False, fmt="{:,.0f}",
              target=f"{n:,}", check=lambda a, b_, r: a == n)
        t.add("time to open all (s)", R["ready_s"], F["ready_s"], fmt="{:.2f}")
        t.add("RSS before (MiB)", R["base"] / 1024, F["base"] / 1024, ratio=False)
        t.add("RSS holding them (MiB)", R["rss"] / 1024, F["rss"] / 1024)
        t.add("RSS per session (KiB)", R["per"], F["per"], target="≤ 8 KiB and ≤ 2× ref",
              check=lambda a, b_, r: a <= 8 and (r is None or r <= 2))
        t.add("  of which: bare WebSocket, no hello (KiB)", bare, F["per"])
        t.add("  of which: the session after hello (KiB)", R["per"] - bare if R["per"] and bare else None, None,
              ratio=False)
    return t


def scenario_bot_echo(b, quick):
    n = 300 if quick else 1000
    dur = 4 if quick else 10
    t = Table(f"bot echo: {n:,} sessions chatting with the embedded rule bot")
    common = ["--scenario", "echo", "--conns", n, "--warmup", 2, "--duration", dur, "--drain", 5]
    sat = {}
    for target in ("relay", "reference"):
        srv = b.relay() if target == "relay" else b.reference()
        try:
            sat[target] = b.loadgen(f"echo-sat-{target}", srv, common + ["--target", target, "--window", 1])
        finally:
            srv.stop()
    relay_max = sat["relay"].get("messages", {}).get("replies_per_s", 0)
    rate = args_rate = b.args.rate
    if not rate:  # same offered load for both: half of what the relay sustained, at least 100/s
        rate = max(100, int(relay_max * 0.5 / 100) * 100)
    low = max(100, int(relay_max * 0.2 / 100) * 100)
    fixed, light = {}, {}
    for target in ("relay", "reference"):
        for r_, into in ((rate, fixed), (low, light)):
            srv = b.relay() if target == "relay" else b.reference()
            try:
                into[target] = b.loadgen(f"echo-{int(r_)}-{target}", srv, common + ["--target", target, "--rate", r_])
            finally:
                srv.stop()
    S, SR = sat["relay"], sat["reference"]
    t.add("saturation: replies/s (1 in flight per session)", S.get("messages", {}).get("replies_per_s"),
          SR.get("messages", {}).get("replies_per_s"), target="≥ 0.7× ref", check=lambda a, b_, r: r >= 0.7)
    t.add("saturation: p50 reply latency (ms)", lat(S, "reply", "p50_us"), lat(SR, "reply", "p50_us"), fmt="{:.2f}")
    t.add("saturation: p99 reply latency (ms)", lat(S, "reply", "p99_us"), lat(SR, "reply", "p99_us"), fmt="{:.2f}")
    t.add("saturation: server CPU (run-queue wait)", cpu(S), cpu(SR), ratio=False)
    F, FR = fixed["relay"], fixed["reference"]
    t.add(f"fixed {rate:,.0f}/s: replies/s", F.get("messages", {}).get("replies_per_s"),
          FR.get("messages", {}).get("replies_per_s"))
    for q in ("p50_us", "p90_us", "p99_us", "max_us"):
        chk = (lambda a, b_, r: r <= 1.5) if q == "p99_us" else None
        t.add(f"fixed {rate:,.0f}/s: {q[:-3]} reply latency (ms)", lat(F, "reply", q), lat(FR, "reply", q),
              fmt="{:.2f}", target="≤ 1.5× ref" if chk else None, check=chk)
    t.add(f"fixed {rate:,.0f}/s: relay ack p99 (ms)", lat(F, "ack", "p99_us"), None, fmt="{:.2f}", ratio=False)
    t.add(f"fixed {rate:,.0f}/s: server CPU (run-queue wait)", cpu(F), cpu(FR), ratio=False)
    L, LR = light["relay"], light["reference"]
    t.add(f"light {low:,.0f}/s: replies/s", L.get("messages", {}).get("replies_per_s"),
          LR.get("messages", {}).get("replies_per_s"))
    for q in ("p50_us", "p99_us"):
        t.add(f"light {low:,.0f}/s: {q[:-3]} reply latency (ms)", lat(L, "reply", q), lat(LR, "reply", q), fmt="{:.2f}")
    t.add(f"light {low:,.0f}/s: server CPU (run-queue wait)", cpu(L), cpu(LR), ratio=False)
    py = {}
    for kind, extra in (("sat", ["--window", 1]), ("fixed", ["--rate", rate])):
        srv = b.python_reference()
        if srv is None:
            break
        try:
            py[kind] = b.loadgen(f"echo-{kind}-python", srv, common + ["--target", "reference"] + extra)
        finally:
            srv.stop()
    if py:
        t.add("saturation replies/s vs Python websockets echo", S.get("messages", {}).get("replies_per_s"),
              py["sat"].get("messages", {}).get("replies_per_s"))
        t.add(f"fixed {rate:,.0f}/s: p99 (ms) vs Python websockets echo", lat(F, "reply", "p99_us"),
              lat(py["fixed"], "reply", "p99_us"), fmt="{:.2f}")
        t.add("Python websockets echo CPU at saturation", cpu(py["sat"]), None, ratio=False)
    t.note("reply = the bot's answer (relay: ack, echo and bot reply are 3 frames) / the echoed frame (reference); "
           "latency from the send timestamp inside each message")
    if not args_rate:
        t.note(f"fixed rate = half the relay's saturation throughput, rounded down to 100/s ({rate:,.0f}/s); "
               f"light = a fifth of it ({low:,.0f}/s)")
    for label, r in (("relay", F), ("reference", FR)):
        if r.get("loadgen_cpu_pct", 0) > 80:
            t.note(f"warning: the load generator used {r['loadgen_cpu_pct']}% CPU against the {label}")
    return t


def scenario_handover(b, quick):
    n = 300 if quick else 1000
    dur = 4 if quick else 10
    rate = b.args.rate or 2000
    t = Table(f"handover path: {n:,} sessions in active handover (fast fake 8x8 in the load generator)")
    rows = {}
    for offered in ([rate] if quick else [rate, rate * 3]):
        fake = free_port()
        srv = b.relay("fake", fake_port=fake)
        conns_seen = {}

        def on_event(ev, srv=srv, fake=fake, seen=conns_seen):
            if ev.get("event") == "measured":
                seen["open"] = srv.established_to(fake)

        try:
            rows[offered] = r = b.loadgen(
                f"handover-{offered}-relay", srv,
                ["--scenario", "handover", "--target", "relay", "--conns", n, "--upstream", "fake", "--fake-port", fake,
                 "--http-conns", b.args.webhook_conns, "--rate", offered, "--agent-rate", offered, "--warmup", 2, "--duration", dur,
                 "--drain", 10], on_event=on_event)
            r["open_8x8_connections"] = conns_seen.get("open")
        finally:
            srv.stop()
    ref = b.reference()
    try:
        echo = b.loadgen(f"handover-{rate}-reference", ref, ["--scenario", "echo", "--target", "reference",
                                                           "--conns", n, "--rate", rate, "--warmup", 2,
                                                           "--duration", dur])
    finally:
        ref.stop()
    r = rows[rate]
    up = r.get("upstream", {})
    t.add("sessions in active handover", r.get("protocol", {}).get("handover_active"), None, ratio=False,
          fmt="{:,.0f}", target=f"{n:,}", check=lambda a, b_, x: a == n)
    t.add(f"user→8x8 delivered/s (offered {rate:,}/s)", up.get("user_messages_per_s"), None, ratio=False,
          target="≥ 2,000/s", check=lambda a, b_, x: a >= 2000)
    t.add(f"agent→user delivered/s (offered {rate:,}/s)", r.get("messages", {}).get("agent_per_s"), None,
          ratio=False, target="≥ 2,000/s", check=lambda a, b_, x: a >= 2000)
    for q in ("p50_us", "p99_us", "max_us"):
        t.add(f"user→8x8 {q[:-3]} latency (ms) vs one echo hop", lat(r, "user_to_8x8", q), lat(echo, "reply", q),
              fmt="{:.2f}")
    for q in ("p50_us", "p99_us", "max_us"):
        t.add(f"agent→user {q[:-3]} latency (ms) vs one echo hop", lat(r, "agent_to_user", q), lat(echo, "reply", q),
              fmt="{:.2f}")
    sent = r.get("messages", {}).get("sent") or 0
    t.add("user messages of the window that reached 8x8 by the end of the drain (%)",
          100.0 * up.get("user_messages_of_window", 0) / sent if sent else None, None, ratio=False,
          target="100 %", check=lambda a, b_, x: a >= 99.9)
    asent = up.get("agent_sent") or 0
    t.add("agent messages of the window that reached the user by the end of the drain (%)",
          100.0 * r.get("latency", {}).get("agent_to_user", {}).get("count", 0) / asent if asent else None, None,
          ratio=False, target="100 %", check=lambda a, b_, x: a >= 99.9)
    t.add("user ack p99 (ms)", lat(r, "ack", "p99_us"), None, fmt="{:.2f}", ratio=False)
    t.add("webhook round trip p99 (ms)", lat(r, "upstream_http", "p99_us"), None, fmt="{:.2f}", ratio=False)
    t.add("server CPU (run-queue wait)", cpu(r), cpu(echo), ratio=False)
    t.add("outbound 8x8 connections opened (whole run)", up.get("relay_connections_accepted"), None, ratio=False,
          fmt="{:,.0f}", target="reused (≤ 32 lanes)", check=lambda a, b_, x: a <= 32)
    t.add("outbound 8x8 connections open at end of window", r.get("open_8x8_connections"), None, ratio=False,
          fmt="{:,.0f}")
    t.add("8x8 calls in window (messages)", up.get("user_messages_in_window"), None, ratio=False, fmt="{:,.0f}")
    if len(rows) > 1:
        hi = max(rows)
        h = rows[hi]
        t.add(f"overload {hi:,}/s each way: user→8x8 delivered/s", h.get("upstream", {}).get("user_messages_per_s"),
              None, ratio=False)
        t.add(f"overload {hi:,}/s each way: agent→user delivered/s", h.get("messages", {}).get("agent_per_s"), None,
              ratio=False)
        t.add(f"overload {hi:,}/s: outbound 8x8 connections opened", h.get("upstream", {}).get("relay_connections_accepted"),
              None, ratio=False, fmt="{:,.0f}")
    # The same traffic through the relay's embedded simulator (demo mode): the agent
    # side is driven over its agent API; user->8x8 is counted by the simulator.
    srv = b.relay()
    try:
        stats = {}

        def sim_stats(srv=srv):
            with urllib.request.urlopen(f"http://127.0.0.1:{srv.port}/sim/admin/stats", timeout=10) as resp:
                return json.load(resp)

        def on_sim(ev, stats=stats):
            if ev.get("event") in ("measure", "measured"):
                stats[ev["event"]] = (time.time(), sim_stats())

        sim = b.loadgen(f"handover-{rate}-sim", srv,
                        ["--scenario", "handover", "--target", "relay", "--conns", n, "--upstream", "sim",
                         "--http-conns", 8, "--rate", rate, "--agent-rate", rate, "--warmup", 2, "--duration", dur,
                         "--drain", 10], on_event=on_sim)
        u2a = None
        if "measure" in stats and "measured" in stats:
            (t0, a), (t1, z) = stats["measure"], stats["measured"]
            key = "POST /conversations/{id}/messages"
            u2a = (z["calls"].get(key, 0) - a["calls"].get(key, 0)) / (t1 - t0)
            wh = (z["webhooks"]["delivered"] - a["webhooks"]["delivered"]) / (t1 - t0)
            sim["sim_webhooks_per_s"] = wh
        sim["sim_user_messages_per_s"] = u2a
    finally:
        srv.stop()
    t.add("embedded simulator: sessions in active handover", sim.get("protocol", {}).get("handover_active"), None,
          ratio=False, fmt="{:,.0f}")
    t.add(f"embedded simulator: user→8x8 calls/s (offered {rate:,}/s)", sim.get("sim_user_messages_per_s"), None,
          ratio=False, target="≥ 2,000/s", check=lambda a, b_, x: a >= 2000)
    t.add(f"embedded simulator: agent→user delivered/s (offered {rate:,}/s)", sim.get("messages", {}).get("agent_per_s"),
          None, ratio=False, target="≥ 2,000/s", check=lambda a, b_, x: a >= 2000)
    t.add("embedded simulator: webhooks delivered/s", sim.get("sim_webhooks_per_s"), None, ratio=False)
    t.add("embedded simulator: agent→user p99 (ms)", lat(sim, "agent_to_user", "p99_us"), lat(echo, "reply", "p99_us"),
          fmt="{:.2f}")
    t.add("embedded simulator: server CPU (run-queue wait)", cpu(sim), None, ratio=False)
    t.note("the fake 8x8 answers at once and sends webhooks over 8 keep-alive connections; the reference column is "
           "one WebSocket echo hop at the same rate (the floor for any relayed message)")
    t.note("embedded simulator: relay in demo mode; agent messages go through the simulator's agent API "
           "(8 keep-alive connections) and come back as webhooks, which the simulator delivers "
           "one at a time per conversation, up to 8 at once")
    return t


def copilot_available(port):
    """True when the relay upgrades GET /ws/copilot with handover.copilot.v1."""
    req = (f"GET /ws/copilot HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: handover.copilot.v1\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(req.encode())
        s.settimeout(3)
        try:
            head = s.recv(200).decode("latin-1")
        except socket.timeout:
            return False
    return head.startswith("HTTP/1.1 101")


def scenario_fanout(b, quick):
    subs = 200 if quick else 1000
    dur = 4 if quick else 10
    rate = b.args.rate or 20
    t = Table(f"fan-out: one busy session watched by {subs:,} copilot subscribers")
    fake = free_port()
    srv = b.relay("fake", fake_port=fake)
    try:
        if not copilot_available(srv.port):
            t.add("copilot frames delivered/s", "not available yet", None, ratio=False)
            t.note("fan-out: not available yet — this relay binary does not serve /ws/copilot "
                   "(handover.copilot.v1); the scenario runs once it does")
            return t
        results = {}
        for offered in ([rate] if quick else [rate, rate * 10]):
            if offered != rate:
                srv.stop()
                fake = free_port()
                srv = b.relay("fake", fake_port=fake)
            results[offered] = b.loadgen(
                f"fanout-{offered}-relay", srv,
                ["--scenario", "fanout", "--target", "relay", "--subs", subs, "--upstream", "fake", "--fake-port", fake,
                 "--rate", offered, "--warmup", 2, "--duration", dur, "--drain", 10, "--connect-concurrency", 200])
    finally:
        srv.stop()
    refs = {}
    for offered in results:
        ref = b.reference()
        try:
            refs[offered] = b.loadgen(f"fanout-{offered}-reference", ref,
                                      ["--scenario", "fanout", "--target", "reference", "--subs", subs, "--rate",
                                       offered, "--warmup", 2, "--duration", dur, "--connect-concurrency", 200])
        finally:
            ref.stop()
    for offered in results:
        r, f = results[offered], refs[offered]
        t.add(f"{offered}/s: subscribers ready", r.get("connections", {}).get("subscribers_ready"),
              f.get("connections", {}).get("subscribers_ready"), ratio=False, fmt="{:,.0f}")
        t.add(f"{offered}/s: frames delivered/s", r.get("fanout", {}).get("frames_per_s"),
              f.get("fanout", {}).get("frames_per_s"))
        t.add(f"{offered}/s: bytes delivered/s (MB)", r.get("fanout", {}).get("bytes_per_s", 0) / 1e6,
              f.get("fanout", {}).get("bytes_per_s", 0) / 1e6, fmt="{:.2f}")
        t.add(f"{offered}/s: transcript frames per message per subscriber",
              r.get("fanout", {}).get("marked", 0) / max(1, r.get("messages", {}).get("sent", 1)) / subs,
              f.get("fanout", {}).get("marked", 0) / max(1, f.get("messages", {}).get("sent", 1)) / subs,
              fmt="{:.2f}", target="1.00", check=lambda a, b_, x: a >= 0.99)
        for q in ("p50_us", "p99_us", "max_us"):
            t.add(f"{offered}/s: {q[:-3]} message→subscriber (ms)", lat(r, "fanout", q), lat(f, "fanout", q),
                  fmt="{:.2f}")
        t.add(f"{offered}/s: server CPU (run-queue wait)", cpu(r), cpu(f), ratio=False)
    t.note("relay: each user message of the watched session yields a transcript event plus tile updates per "
           "subscriber; reference: the echo server copies each message to every subscriber once")
    return t


def scenario_storm(b, quick):
    n = 2000 if quick else 10000
    t = Table(f"reconnect storm: {n:,} sessions drop and resume with lastSeq at once")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if n + 200 > hard:
        t.note(f"skipped: RLIMIT_NOFILE hard limit {hard:,} is below {n + 200:,}")
        return t
    res = {}
    for target in ("relay", "reference"):
        srv = b.relay() if target == "relay" else b.reference()
        try:
            res[target] = b.loadgen(f"storm-{n}-{target}", srv,
                                    ["--scenario", "storm", "--target", target, "--conns", n,
                                     "--connect-concurrency", 1000], timeout=240)
        finally:
            srv.stop()
    srv = b.reference(loop="ev")
    try:
        res["reference-ev"] = b.loadgen(f"storm-{n}-reference-ev", srv,
                                        ["--scenario", "storm", "--target", "reference", "--conns", n,
                                         "--connect-concurrency", 1000], timeout=240)
    finally:
        srv.stop()
    R, F = res["relay"].get("storm", {}), res["reference"].get("storm", {})
    t.add("sessions dropped", R.get("dropped"), F.get("dropped"), ratio=False, fmt="{:,.0f}")
    t.add("sessions resumed", R.get("resumed"), F.get("resumed"), ratio=False, fmt="{:,.0f}", target=f"{n:,}",
          check=lambda a, b_, x: a == n)
    t.add("time until all resumed and caught up (s)", R.get("all_resumed_s"), F.get("all_resumed_s"), fmt="{:.2f}",
          target="< 5 s", check=lambda a, b_, x: 0 <= a < 5)
    t.add("  same, reference on libev/epoll instead of lws's poll() (s)", R.get("all_resumed_s"),
          res["reference-ev"].get("storm", {}).get("all_resumed_s"), fmt="{:.2f}")
    t.add("time until the resent message is acked everywhere (s)", R.get("all_acked_s"), None, fmt="{:.2f}",
          ratio=False)
    t.add("first connect of all sessions (s)", res["relay"].get("ready_after_s"), res["reference"].get("ready_after_s"),
          fmt="{:.2f}")
    t.add("server CPU during the storm (run-queue wait)", cpu(res["relay"]), cpu(res["reference"]), ratio=False)
    t.add("load generator CPU during the storm", res["relay"].get("loadgen_cpu_pct"),
          res["reference"].get("loadgen_cpu_pct"), ratio=False, fmt="{:.0f}%")
    t.add("resume latency p50 (ms)", lat(res["relay"], "resume", "p50_us"), lat(res["reference"], "resume", "p50_us"),
          fmt="{:.1f}")
    t.add("resume latency p99 (ms)", lat(res["relay"], "resume", "p99_us"), lat(res["reference"], "resume", "p99_us"),
          fmt="{:.1f}")
    t.add("sessions that lost messages", R.get("lost_sessions"), None, ratio=False, fmt="{:,.0f}", target="0",
          check=lambda a, b_, x: a == 0)
    t.add("sessions with duplicated messages", R.get("duplicated_sessions"), None, ratio=False, fmt="{:,.0f}",
          target="0", check=lambda a, b_, x: a == 0)
    p = res["relay"].get("protocol", {})
    t.add("seq gaps / duplicate seqs seen", f"{p.get('seq_gaps', '?')} / {p.get('seq_duplicates', '?')}", None,
          ratio=False)
    t.note("each session: hello, one message answered by the bot, then a message 'p2' sent immediately before the "
           "socket drops; on resume the client sends lastSeq, must get every later event once, and resends p2, "
           "which must be acked with its original seq and not stored twice. Reference: reconnect + hello echo.")
    return t


# ------------------------------------------------------------ stream scenarios

def storebench(b):
    """Runs bench/StoreBench (built first unless --no-build and already built); returns
    {label: (events, seconds, events/s)} or a string saying why not."""
    if not (b.args.no_build and os.access(STOREBENCH, os.X_OK)):
        print("  · building bench/StoreBench (swift build -c release --scratch-path .build-bench)", flush=True)
        try:
            built = subprocess.run(["swift", "build", "-c", "release", "--package-path", STOREBENCH_PKG, "--scratch-path",
                                    OUT], capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"StoreBench not built: {e}"
        with open(b.log("storebench-build.log"), "w") as f:
            f.write(built.stdout + built.stderr)
        if built.returncode:
            return f"StoreBench did not build; see {b.log('storebench-build.log')}"
    # On the same file system as the relay's data directories (not a tmpfs: fsync must cost what it costs).
    tmp = os.path.join(OUT, "data", f"{b.stamp}-storebench")
    os.makedirs(tmp, exist_ok=True)
    load, waited = b.wait_quiet("StoreBench")
    print(f"  · StoreBench {tmp}", flush=True)
    try:
        run = subprocess.run([STOREBENCH, tmp], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return "StoreBench timed out (600 s)"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(b.log("storebench.txt"), "w") as f:
        f.write(run.stdout + run.stderr)
    rows = {}
    for line in run.stdout.splitlines():
        m = re.match(r"^(\S.*?)\s+(\d+)\s+([\d.]+)\s+(\d+)\s*$", line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), float(m.group(3)), float(m.group(4)))
    b.raw[f"storebench-{b.stamp}-{len(b.raw)}"] = {"rows": rows, "load_before": load, "load_wait_s": waited}
    return rows or f"StoreBench printed no table (exit {run.returncode}); see {b.log('storebench.txt')}"


def scenario_stream_append(b, quick):
    n = 300 if quick else 1000
    dur = 4 if quick else 10
    t = Table("stream append: events appended per second to the durable log (SQLite, WAL)",
              heads=("durable (SQLite)", "--store memory"))
    # (a) the store alone: bench/StoreBench, a separate Swift package on SQLiteStore
    rows = storebench(b)
    if isinstance(rows, str):
        t.add("StoreBench", rows, None, ratio=False)
    else:
        for label, (events, secs_, rate) in rows.items():
            if not label.startswith("append"):
                continue
            batched = "batch 1," not in label
            t.add(f"StoreBench {label}: events/s", rate, None, ratio=False,
                  target="≥ 20,000/s" if batched else None, check=(lambda a, b_, x: a >= 20000) if batched else None,
                  fmt="{:,.0f}")
        for label, (events, secs_, rate) in rows.items():
            if label.startswith("read"):
                t.add(f"StoreBench {label}: events/s", rate, None, ratio=False, fmt="{:,.0f}")
    # (b) end to end: the relay's commits under the bot-echo load (one commit per service turn)
    common = ["--scenario", "echo", "--target", "relay", "--conns", n, "--warmup", 2, "--duration", dur, "--drain", 5,
              "--window", 1]
    res = {}
    for key, store, sync in (("normal", None, None), ("full", None, "full"), ("memory", "memory", None)):
        srv = b.relay(store=store, synchronous=sync)
        try:
            token = b.stream_token_or_none(srv)
            if token is None:
                t.add("relay events committed/s", "not available", None, ratio=False)
                t.note("this relay binary has no integrator stream / read API (handover.stream.v1, GET /api/events); "
                       "build a current one")
                return t
            marks = {}
            # fdatasync/fsync: with synchronous=full one per commit (plus checkpoints): commits/s.
            sc = SyscallCount(srv.pid, ("fdatasync", "fsync", "pwrite64"), b.log(f"perf-stat-{key}.txt"))

            def on_event(ev, srv=srv, token=token, marks=marks, sc=sc):
                if ev.get("event") in ("measure", "measured"):
                    marks[ev["event"]] = b.last_offset(srv, token)
                    (sc.start if ev["event"] == "measure" else sc.stop)()

            r = b.loadgen(f"stream-append-{key}", srv, common, on_event=on_event)
            calls = sc.counts()
            if calls and getattr(sc, "seconds", 0):
                r["syscalls_per_s"] = {k: v / sc.seconds for k, v in calls.items()}
            if "measure" in marks and "measured" in marks:
                (t0, o0), (t1, o1) = marks["measure"], marks["measured"]
                r["events_committed"] = o1 - o0
                r["events_per_s"] = (o1 - o0) / (t1 - t0)
            r["log_bytes"] = srv.data_bytes()
            res[key] = r
        finally:
            srv.stop()
    M = res["memory"]
    for key, label in (("normal", "synchronous=normal (default)"), ("full", "synchronous=full")):
        R = res[key]
        t.add(f"relay, bot echo at saturation, {label}: events committed/s", R.get("events_per_s"),
              M.get("events_per_s"), target="≥ 20,000/s", check=lambda a, b_, x: a >= 20000, fmt="{:,.0f}")
        t.add(f"  {label}: user messages answered/s", R.get("messages", {}).get("replies_per_s"),
              M.get("messages", {}).get("replies_per_s"), fmt="{:,.0f}")
        t.add(f"  {label}: events per answered message",
              R["events_per_s"] / R["messages"]["replies_per_s"] if R.get("events_per_s") and R.get("messages", {}).get("replies_per_s") else None,
              M["events_per_s"] / M["messages"]["replies_per_s"] if M.get("events_per_s") and M.get("messages", {}).get("replies_per_s") else None,
              ratio=False, fmt="{:.2f}")
        t.add(f"  {label}: p50 / p99 reply latency (ms)",
              f"{lat(R, 'reply', 'p50_us') or 0:.2f} / {lat(R, 'reply', 'p99_us') or 0:.2f}",
              f"{lat(M, 'reply', 'p50_us') or 0:.2f} / {lat(M, 'reply', 'p99_us') or 0:.2f}", ratio=False)
        t.add(f"  {label}: relay CPU (run-queue wait)", cpu(R), cpu(M), ratio=False)
        sys_ = R.get("syscalls_per_s") or {}
        if sys_:
            syncs = sys_.get("fdatasync", 0) + sys_.get("fsync", 0)
            t.add(f"  {label}: fsync+fdatasync/s (full: ≈ commits/s) · pwrite/s", f"{syncs:,.0f} · {sys_.get('pwrite64', 0):,.0f}",
                  None, ratio=False)
            if key == "full" and syncs and R.get("events_per_s"):
                t.add(f"  {label}: events per commit (events/s ÷ syncs/s)", R["events_per_s"] / syncs, None, ratio=False,
                      fmt="{:.1f}")
    t.add("log files on disk after the run (MB, database + WAL, synchronous=normal)", res["normal"].get("log_bytes", 0) / 1e6,
          None, ratio=False, fmt="{:.1f}")
    t.note("StoreBench: NewEvents of ~130-byte payloads over 1,000 sessions appended in batches of 1/10/100 events per "
           "transaction into a new database; durable = every commit survives a crash of the process (normal) or "
           "also power loss (full, an fsync per commit)")
    t.note(f"relay: {n:,} sessions chatting with the rule bot, one message in flight per session; events committed "
           "= lastOffset of the log (GET /api/events) at the end minus at the start of the window; the relay commits "
           "all changes of one service-loop turn in one transaction; '--store memory' = the same relay on "
           "InMemoryStore, which is NOT a zero-cost baseline: its transaction() copies the whole log for rollback, "
           "so each commit costs O(events in the log) — the cost of durability is read from a profile instead "
           "(docs/BENCHMARKS.md)")
    return t


def scenario_stream_replay(b, quick):
    want = 20000 if quick else 100000
    n = 300 if quick else 1000
    t = Table(f"stream replay: one subscriber reads a log of ≥ {want:,} events from the start",
              heads=("relay", "reference"))
    srv = b.relay()
    try:
        token = b.stream_token_or_none(srv)
        if token is None:
            t.add("replay events/s", "not available", None, ratio=False)
            t.note("this relay binary has no integrator stream / read API (handover.stream.v1, GET /api/events); "
                   "build a current one")
            return t
        # Fill the log honestly: real sessions chatting with the bot (each message: 2 events).
        rate, passes = 12000.0, 0
        _, last = b.last_offset(srv, token)
        fill_started = time.time()
        while last < want and passes < 8:
            passes += 1
            dur = min(60, max(3, (want - last) / rate * 1.1))
            r = b.loadgen(f"stream-replay-fill-{passes}", srv,
                          ["--scenario", "echo", "--target", "relay", "--conns", n, "--window", 4, "--warmup", 0.5,
                           "--duration", round(dur, 1), "--drain", 5], quiet=False)
            t0 = last
            _, last = b.last_offset(srv, token)
            rate = max(500.0, (last - t0) / (dur + 1))
        fill_s = time.time() - fill_started
        log_bytes = srv.data_bytes()
        time.sleep(2)  # let the relay settle (checkpoint, closes) after the fill
        r = b.loadgen("stream-replay-relay", srv,
                      ["--scenario", "fanout", "--target", "relay", "--conns", 0, "--subs", 1, "--sub-protocol", "stream",
                       "--stream-token", token, "--stream-from", "start", "--warmup", 0.1, "--duration", 0.5,
                       "--drain", 0.1], timeout=400, cpu_events=("ready", "live"))
    finally:
        srv.stop()
    rs = r.get("stream", {})
    events = rs.get("events_before_live") or 0
    size = int(rs.get("bytes_before_live", 0) / events) if events else 300
    ref = b.reference(extra=["--replay-events", max(1, events or want), "--replay-bytes", size])
    try:
        f = b.loadgen("stream-replay-reference", ref,
                      ["--scenario", "fanout", "--target", "reference", "--conns", 0, "--subs", 1, "--sub-protocol",
                       "stream", "--stream-from", "start", "--warmup", 0.1, "--duration", 0.5, "--drain", 0.1],
                      timeout=400, cpu_events=("ready", "live"))
    finally:
        ref.stop()
    fs = f.get("stream", {})
    t.add("events in the log when subscribing (lastOffset)", rs.get("last_offset_at_subscribe"), None, ratio=False,
          fmt="{:,.0f}", target=f"≥ {want:,}", check=lambda a, b_, x: a >= want)
    t.add("events received before 'live'", events, fs.get("events_before_live"), ratio=False, fmt="{:,.0f}")
    t.add("**replay rate until 'live' (events/s)**", rs.get("replay_events_per_s"), fs.get("replay_events_per_s"),
          fmt="{:,.0f}")
    t.add("time from subscribe to 'live' (s)", (lat(r, "subscribe_to_live", "max_us") or 0) / 1000 or None,
          (lat(f, "subscribe_to_live", "max_us") or 0) / 1000 or None, fmt="{:.2f}")
    t.add("MB/s until 'live'", rs.get("bytes_before_live", 0) / 1e6 / rs["replay_s"] if rs.get("replay_s") else None,
          fs.get("bytes_before_live", 0) / 1e6 / fs["replay_s"] if fs.get("replay_s") else None, fmt="{:.1f}")
    t.add("average event frame (bytes)", size, size, ratio=False, fmt="{:,.0f}")
    t.add("events out of order / subscribers closed", f"{rs.get('out_of_order', '?')} / {rs.get('closed_by_server', '?')}",
          f"{fs.get('out_of_order', '?')} / {fs.get('closed_by_server', '?')}", ratio=False, target="0 / 0",
          check=lambda a, b_, x: a == "0 / 0")
    t.add("server CPU during the replay (run-queue wait)", cpu(r), cpu(f), ratio=False)
    t.add("log on disk (MB, database + WAL)", log_bytes / 1e6, None, ratio=False, fmt="{:.1f}")
    t.note(f"the log was filled by driving the relay itself: {passes} run(s) of {n:,} sessions chatting with the rule "
           f"bot (4 messages in flight each), {fill_s:.0f} s in all; then one handover.stream.v1 subscriber with "
           "from 'start' and no filter, on the same relay process, idle otherwise")
    t.note("reference: the lws echo server replays the same number of synthetic event frames of the relay's average "
           "size to one connection, formatted on the fly, one frame per WRITEABLE (what lws can push to one socket; "
           "no log read)")
    return t


def scenario_stream_fanout(b, quick):
    subs = 200 if quick else 1000
    dur = 4 if quick else 10
    rate = b.args.rate or 20
    t = Table(f"stream fan-out: one busy session watched by {subs:,} handover.stream.v1 subscribers")
    results, refs = {}, {}
    for offered in ([rate] if quick else [rate, rate * 10]):
        srv = b.relay()
        try:
            token = b.stream_token_or_none(srv)
            if token is None:
                t.add("stream frames delivered/s", "not available", None, ratio=False)
                t.note("this relay binary has no integrator stream / read API (handover.stream.v1, GET /api/events); "
                       "build a current one")
                return t
            results[offered] = b.loadgen(
                f"stream-fanout-{offered}-relay", srv,
                ["--scenario", "fanout", "--target", "relay", "--subs", subs, "--sub-protocol", "stream",
                 "--stream-token", token, "--rate", offered, "--warmup", 2, "--duration", dur, "--drain", 10,
                 "--connect-concurrency", 200])
        finally:
            srv.stop()
    for offered in results:
        ref = b.reference()
        try:
            refs[offered] = b.loadgen(f"stream-fanout-{offered}-reference", ref,
                                      ["--scenario", "fanout", "--target", "reference", "--subs", subs, "--sub-protocol",
                                       "stream", "--rate", offered, "--warmup", 2, "--duration", dur,
                                       "--connect-concurrency", 200])
        finally:
            ref.stop()
    for offered in results:
        r, f = results[offered], refs[offered]
        rsent, fsent = max(1, r.get("messages", {}).get("sent", 1)), max(1, f.get("messages", {}).get("sent", 1))
        t.add(f"{offered}/s: messages sent/s by the publisher (≤ 64 unanswered)", r.get("messages", {}).get("sent_per_s"),
              f.get("messages", {}).get("sent_per_s"), fmt="{:,.1f}")
        t.add(f"{offered}/s: subscribers live", r.get("stream", {}).get("subscribers_live"),
              f.get("stream", {}).get("subscribers_live"), ratio=False, fmt="{:,.0f}", target=f"{subs:,}",
              check=lambda a, b_, x: a == subs)
        t.add(f"{offered}/s: **frames delivered/s**", r.get("fanout", {}).get("frames_per_s"),
              f.get("fanout", {}).get("frames_per_s"), fmt="{:,.0f}")
        t.add(f"{offered}/s: bytes delivered/s (MB)", r.get("fanout", {}).get("bytes_per_s", 0) / 1e6,
              f.get("fanout", {}).get("bytes_per_s", 0) / 1e6, fmt="{:.2f}")
        t.add(f"{offered}/s: frames per message per subscriber", r.get("fanout", {}).get("frames_in_window", 0) / rsent / subs,
              f.get("fanout", {}).get("frames_in_window", 0) / fsent / subs, ratio=False, fmt="{:.2f}")
        t.add(f"{offered}/s: user messages of the window delivered per subscriber by the end of the drain",
              r.get("fanout", {}).get("marked", 0) / rsent / subs, f.get("fanout", {}).get("marked", 0) / fsent / subs,
              ratio=False, fmt="{:.2f}", target="1.00", check=lambda a, b_, x: a >= 0.99)
        for q in ("p50_us", "p99_us", "max_us"):
            t.add(f"{offered}/s: {q[:-3]} message→subscriber (ms)", lat(r, "fanout", q), lat(f, "fanout", q),
                  fmt="{:.2f}")
        t.add(f"{offered}/s: subscribers closed by the server (too_slow)", r.get("stream", {}).get("closed_by_server"),
              f.get("stream", {}).get("closed_by_server"), ratio=False, fmt="{:,.0f}", target="0",
              check=lambda a, b_, x: a == 0)
        t.add(f"{offered}/s: events out of order", r.get("stream", {}).get("out_of_order"), None, ratio=False,
              fmt="{:,.0f}", target="0", check=lambda a, b_, x: a == 0)
        t.add(f"{offered}/s: server CPU (run-queue wait)", cpu(r), cpu(f), ratio=False)
        t.add(f"{offered}/s: load generator CPU", r.get("loadgen_cpu_pct"), f.get("loadgen_cpu_pct"), ratio=False,
              fmt="{:.0f}%")
    t.note("the publisher keeps at most 64 messages unanswered (bot reply / echo): when the server falls behind, the "
           "offered rate is not reached and the run measures the server's fan-out at saturation (closed loop)")
    t.note("relay: the publisher chats with the rule bot (no handover), so each user message makes two events of its "
           "session, the message and the bot's answer, and each subscriber (filter.sessions = that session, from "
           "'now') gets two event frames per message; latency is measured on the user's message (its timestamp "
           "marker). Reference: the echo server copies each chat message once to every subscriber (the fan-out "
           "reference of the copilot scenario)")
    return t


def scenario_cluster(b, quick):
    """Issue 8: the cost of running on Redis, and of the hop between two nodes. Users chat on node A;
    the fake 8x8 posts its webhooks to node B, which relays them to A through Redis (the worst case of a
    load balancer without affinity). Compared at the same offered load with one node on SQLite (the
    default) and one node on Redis (the store's own cost)."""
    redis_bin = shutil.which("redis-server")
    if not redis_bin:
        t = Table("cluster: 1 vs 2 relay nodes on Redis")
        t.note("redis-server is not installed (make deps installs it): scenario skipped")
        return t
    n = 300 if quick else 1000
    dur = 4 if quick else 10
    rate = b.args.rate or 1000
    rport = free_port()
    redis = Server("redis", [redis_bin, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                   rport, log=b.log("redis.log"))
    results = {}
    try:
        for name in ("sqlite", "redis-1", "redis-2"):
            fake = free_port()
            shared = {"url": f"redis://127.0.0.1:{rport}", "prefix": f"bench-{name}-{b.runs}"} if name != "sqlite" else None
            a = b.relay("fake", fake_port=fake, redis=shared)
            nodes = [a] + ([b.relay("fake", fake_port=fake, redis=shared)] if name == "redis-2" else [])
            try:
                results[name] = b.loadgen(
                    f"cluster-{name}", a,
                    ["--scenario", "handover", "--target", "relay", "--conns", n, "--upstream", "fake", "--fake-port", fake,
                     "--webhook-port", nodes[-1].port, "--http-conns", b.args.webhook_conns, "--rate", rate, "--agent-rate", rate,
                     "--warmup", 2, "--duration", dur, "--drain", 10])
            finally:
                for node in nodes:
                    node.stop()
    finally:
        redis.stop()
    one, solo, two = results["sqlite"], results["redis-1"], results["redis-2"]
    t = Table(f"cluster: {n:,} sessions in handover at {rate:,} msg/s each way; users on node A, 8x8 webhooks to node B",
              heads=("Redis", "1 node SQLite"))
    for label, r in (("2 nodes", two), ("1 node", solo)):
        t.add(f"{label}: user→8x8 delivered/s", r.get("upstream", {}).get("user_messages_per_s"),
              one.get("upstream", {}).get("user_messages_per_s"))
        t.add(f"{label}: agent→user delivered/s", r.get("messages", {}).get("agent_per_s"), one.get("messages", {}).get("agent_per_s"))
        for key, what in (("user_to_8x8", "user→8x8"), ("agent_to_user", "agent→user")):
            t.add(f"{label}: {what} p50 (ms)", lat(r, key, "p50_us"), lat(one, key, "p50_us"), fmt="{:.2f}")
            t.add(f"{label}: {what} p99 (ms)", lat(r, key, "p99_us"), lat(one, key, "p99_us"), fmt="{:.2f}",
                  target="≤ 2× single node" if label == "2 nodes" else None,
                  check=(lambda a, b_, x: x is not None and x <= 2.0) if label == "2 nodes" else None)
        t.add(f"{label}: server CPU of node A", cpu(r), cpu(one), ratio=False)
    t.note("relay column: on Redis (1 node: users and webhooks on one node; 2 nodes: webhooks cross to the session's owner); "
           "reference column: the default single node on SQLite, same load, same run. agent→user on 2 nodes includes "
           "B's forward to A through A's Redis inbox and A's answer back, before 8x8's webhook gets its 200.")
    return t


RUNNERS = {"cluster": scenario_cluster, "idle": scenario_idle, "bot-echo": scenario_bot_echo, "handover": scenario_handover,
           "fanout": scenario_fanout, "storm": scenario_storm, "stream-append": scenario_stream_append,
           "stream-replay": scenario_stream_replay, "stream-fanout": scenario_stream_fanout}


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    load = os.getloadavg()
    return (f"{os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}, RLIMIT_NOFILE hard {hard}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", default=["all"], help=" | ".join(SCENARIOS + ["all"]))
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test (about a minute)")
    ap.add_argument("--repeat", type=int, default=1, help="run each scenario N times (report every run)")
    ap.add_argument("--relay-bin", default=os.environ.get("RELAY_BIN", DEFAULT_RELAY))
    ap.add_argument("--rate", type=float, default=0, help="override the fixed offered rate of bot-echo/handover/fanout")
    ap.add_argument("--webhook-conns", type=int, default=8,
                    help="handover/cluster: keep-alive connections the fake 8x8 posts webhooks on, one request at a time each")
    ap.add_argument("--no-build", action="store_true",
                    help="do not run `make -C bench build` (nor build bench/StoreBench when it is built already)")
    ap.add_argument("--max-load", type=float, default=0,
                    help="before each measured run, wait until the 1-minute load average is at most this (0: don't)")
    ap.add_argument("--max-wait", type=float, default=600, help="…but wait at most this many seconds per run (600)")
    ap.add_argument("--perf", action="store_true",
                    help="record the relay with `perf record -g` over each measurement window (perf-*.data in the "
                         "results directory; costs the relay some CPU: do not report those runs' figures)")
    args = ap.parse_args()
    chosen = SCENARIOS if "all" in args.scenarios else args.scenarios
    for s in chosen:
        if s not in RUNNERS:
            ap.error(f"unknown scenario {s!r}; choose from {', '.join(SCENARIOS)} or all")
    if not args.no_build:
        subprocess.run(["make", "--no-print-directory", "-C", os.path.join(ROOT, "bench"), "build"], check=True)
    args.relay_bin = os.path.abspath(args.relay_bin)  # servers run with cwd = the repository root
    if not os.access(args.relay_bin, os.X_OK):
        sys.exit(f"relay binary not found: {args.relay_bin}\nbuild it with `make bench-build` or pass --relay-bin")
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)  # also when started in the background (SIGINT ignored there)
    b = Bench(args)
    print(f"machine: {machine()}\nrelay: {args.relay_bin}\nresults: {b.results_dir}", flush=True)
    tables = []
    try:
        for s in chosen:
            for i in range(args.repeat):
                title = f"{s} (run {i + 1}/{args.repeat})" if args.repeat > 1 else s
                print(f"\n>> {title}", flush=True)
                started = time.time()
                t = RUNNERS[s](b, args.quick)
                t.title += f" — run {i + 1}/{args.repeat}" if args.repeat > 1 else ""
                t.note(f"({time.time() - started:.0f} s; load average now {os.getloadavg()[0]:.2f})")
                print(t.render(), flush=True)
                tables.append(t)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process started here", file=sys.stderr)
    finally:
        stop_all()
        for d in os.listdir(os.path.join(OUT, "data")) if os.path.isdir(os.path.join(OUT, "data")) else []:
            if d.startswith(b.stamp):  # data directories of relays this run started
                shutil.rmtree(os.path.join(OUT, "data", d), ignore_errors=True)
        with open(os.path.join(b.results_dir, "loadgen.json"), "w") as f:
            json.dump(b.raw, f, indent=1)
        with open(os.path.join(b.results_dir, "tables.md"), "w") as f:
            f.write(f"machine: {machine()}\n")
            for t in tables:
                f.write(t.render() + "\n")
    if tables:
        print(f"\nsaved {os.path.join(b.results_dir, 'tables.md')}")


if __name__ == "__main__":
    main()
