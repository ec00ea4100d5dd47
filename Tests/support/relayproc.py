"""A handover-relay process for the Python test suites (Tests/integration,
Tests/browser): free loopback ports, start with a bounded /healthz readiness
poll, stop with SIGTERM (then SIGKILL), stdout/stderr captured to files, and
integrator tokens minted with the relay's own secret.

Each suite's conftest.py puts this folder on sys.path and subclasses
`RelayProcess` with what only it needs.

Environment override: RELAY_BIN (relay binary, relative to the repository root
unless absolute).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_ROOT = REPO_ROOT / "web"
RELAY_BIN = Path(os.environ.get("RELAY_BIN", ".build/debug/handover-relay"))
if not RELAY_BIN.is_absolute():
    RELAY_BIN = REPO_ROOT / RELAY_BIN

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
TOKEN_TIMEOUT = 10.0


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(cmd: list[str], stdout_path: Path, stderr_path: Path, env: Optional[dict] = None) -> subprocess.Popen:
    """Starts a process from the repository root, output to files.

    A `swift build` elsewhere may be rewriting the binary at this very moment (ETXTBSY): retried, bounded.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
                return subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        except OSError as e:
            if e.errno != errno.ETXTBSY or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class RelayProcess:
    """A handover-relay process on a loopback port.

    `args` are the relay's own arguments (e.g. ["demo"]); port, bind address,
    web root and data directory are added by `start`, and the whole command
    line is kept in `command`.
    """

    token_timeout = TOKEN_TIMEOUT
    # Set to the client side's ssl.SSLContext for a relay serving TLS: URLs become https://.
    ssl_context = None

    def __init__(self, args: list[str], log_dir: Path, name: str, env: Optional[dict] = None):
        self.args = args
        self.name = name
        self.log_dir = log_dir
        self.env = env
        self.port: int = 0
        self.proc: Optional[subprocess.Popen] = None
        self.command: list[str] = []
        self.stdout_path = log_dir / f"{name}.stdout"
        self.stderr_path = log_dir / f"{name}.stderr"
        # Its own data directory (the generated token secret lives there), never the repository's ./.data.
        self.data_dir = log_dir / f"{name}-data"

    # -- lifecycle -------------------------------------------------------------

    def _env(self) -> dict:
        env = dict(os.environ)
        env.update(self.env or {})
        return env

    def start(self, attempts: int = 3, port: Optional[int] = None):
        """Starts on a free port, or on `port` (one attempt: a fixed port cannot be re-drawn)."""
        if not RELAY_BIN.is_file():
            raise RuntimeError(f"relay binary {RELAY_BIN} is missing: run `swift build` or set RELAY_BIN")
        last_error = ""
        for _ in range(1 if port else attempts):
            self.port = port or free_port()
            self.command = [str(RELAY_BIN), *self.args, "--port", str(self.port), "--bind", "127.0.0.1",
                            "--web-root", str(WEB_ROOT), "--data-dir", str(self.data_dir)]
            self.proc = spawn(self.command, self.stdout_path, self.stderr_path, self._env())
            if self._await_ready():
                return self
            last_error = self.output()
            self.stop()
            if "in use" not in last_error.lower():
                break  # not a port race: retrying will not help
        raise RuntimeError(f"relay {self.name} did not become ready within {START_TIMEOUT}s: "
                           f"{' '.join(self.command)}\n{last_error}")

    def _await_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=1.0, context=self.ssl_context) as r:
                    if r.status == 200 and json.loads(r.read()).get("status") == "ok":
                        return True
            except (OSError, ValueError):  # urllib's URLError and HTTPError are OSErrors
                pass
            time.sleep(0.05)  # start-up has no event to await: bounded readiness poll
        return False

    def stop(self) -> Optional[int]:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(STOP_TIMEOUT)

    def kill(self) -> int:
        """SIGKILL: no shutdown, no drain — what a crash looks like to clients and to the data directory."""
        assert self.proc is not None and self.proc.poll() is None, f"relay {self.name} is not running"
        self.proc.kill()
        return self.proc.wait(STOP_TIMEOUT)

    def restart(self):
        """Starts again on the same port with the same data directory (after `stop` or `kill`)."""
        assert self.proc is None or self.proc.poll() is not None, f"relay {self.name} is still running"
        # Keep the previous run's output next to the new one (a failing test shows both).
        for path in (self.stdout_path, self.stderr_path):
            if path.exists():
                path.replace(path.with_name(path.name + ".before-restart"))
        return self.start(port=self.port)

    def output(self) -> str:
        before = ""
        for path in (self.stdout_path, self.stderr_path):
            old = path.with_name(path.name + ".before-restart")
            if old.exists():
                before += f"--- {old.name} ---\n{old.read_text(errors='replace')}\n"
        return before + f"--- stdout ---\n{self.stdout()}\n--- stderr ---\n{self.stderr()}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- captured output --------------------------------------------------------

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""


    # -- URLs -------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    # -- integrator tokens ------------------------------------------------------

    def mint_token(self, *args: str) -> str:
        """`handover-relay token <args>` with this relay's data directory, config file, secret flag and
        environment, i.e. with its token secret."""
        argv = [str(RELAY_BIN), "token", *args, "--data-dir", str(self.data_dir)]
        for flag in ("--config", "--copilot-secret"):
            if flag in self.args:
                argv += [flag, self.args[self.args.index(flag) + 1]]
        out = self.log_dir / f"{self.name}-token.stdout"
        err = self.log_dir / f"{self.name}-token.stderr"
        proc = spawn(argv, out, err, self._env())
        try:
            code = proc.wait(self.token_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
            raise AssertionError(f"`{' '.join(argv)}` did not finish within {self.token_timeout}s")
        token = out.read_text().strip()
        assert code == 0 and token and "\n" not in token, \
            f"`{' '.join(argv)}` exited with {code}: {token!r} {err.read_text()!r}"
        return token
