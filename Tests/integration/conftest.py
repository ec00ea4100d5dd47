"""Shared fixtures: relay processes on free loopback ports, HTTP helpers for the
relay and its embedded 8x8 simulator, and a scriptable fake 8x8 Chat Gateway.

Every relay is started by a fixture, awaited by polling /healthz with a
deadline, stopped with SIGTERM (then SIGKILL) at teardown; its stdout/stderr go
to files that are attached to the report of a failing test.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

SUPPORT = str(Path(__file__).resolve().parents[1] / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)
# The relay process (shared with Tests/browser); re-exported for the test modules.
from relayproc import (REPO_ROOT, RELAY_BIN, START_TIMEOUT, STOP_TIMEOUT, TOKEN_TIMEOUT,  # noqa: E402,F401
                       WEB_ROOT, RelayProcess, free_port, spawn)
from webhook_signing import SigningKey, shared_key  # noqa: E402

HTTP_TIMEOUT = 5.0


class HTTPResult:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self):
        return f"HTTPResult({self.status}, {self.body[:300]!r})"


def http(method: str, url: str, body: Any = None, headers: Optional[dict] = None,
         raw: Optional[bytes] = None, timeout: float = HTTP_TIMEOUT, context=None) -> HTTPResult:
    """One HTTP request; never raises for error statuses. `context`: an ssl.SSLContext for https:// URLs."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"content-type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return HTTPResult(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as e:
        return HTTPResult(e.code, dict(e.headers), e.read())


async def poll_until(fetch: Callable[[], Any], check: Callable[[Any], bool], what: str,
                     timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Polls an HTTP state endpoint (only where no event exists) until `check` holds, bounded by `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while True:
        last = fetch()
        if check(last):
            return last
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}"[:3000])
        await asyncio.sleep(interval)


class Relay(RelayProcess):
    """A handover-relay process on a loopback port, with HTTP and embedded-simulator helpers."""

    # -- HTTP -------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.ssl_context else 'ws'}://127.0.0.1:{self.port}/ws/chat"

    @property
    def copilot_ws_url(self) -> str:
        return f"{'wss' if self.ssl_context else 'ws'}://127.0.0.1:{self.port}/ws/copilot"

    def request(self, method: str, path: str, body: Any = None, **kw) -> HTTPResult:
        try:
            return http(method, self.url(path), body, context=self.ssl_context, **kw)
        except OSError as e:
            state = "running" if self.alive else f"exited with {self.proc.returncode}"
            raise AssertionError(f"{method} {path}: relay not answering ({e!r}); the relay process is {state}") from None

    def get(self, path: str, **kw) -> HTTPResult:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw) -> HTTPResult:
        return self.request("POST", path, body, **kw)

    # -- 8x8 webhooks, signed like 8x8 (Tests/support/webhook_signing.py) --------

    @property
    def webhook_tenant(self) -> str:
        """The x-8x8-tenant-id the relay's provider expects."""
        if "--8x8-tenant" in self.args:
            return self.args[self.args.index("--8x8-tenant") + 1]
        return "demo-tenant" if self.args[:1] == ["demo"] else "test-tenant"

    def post_webhook(self, event: Any, event_id: str, raw: Optional[bytes] = None, key: Optional[SigningKey] = None,
                     **sign) -> HTTPResult:
        """POSTs /webhooks/8x8 as 8x8 would: signed with `key` (the session's test key by default). With the
        embedded simulator the key is first registered there (idempotent; a restarted simulator forgets it),
        so the relay can fetch it like 8x8's."""
        body = raw if raw is not None else json.dumps(event).encode()
        key = key or shared_key()
        if self.args[:1] == ["demo"]:
            r = self.request("PUT", f"/sim/admin/keys/{key.kid}", key.jwk)
            assert r.status == 204, r
        sign.setdefault("tenant", self.webhook_tenant)
        headers = {"content-type": "application/json", **key.headers(body, event_id, **sign)}
        return self.request("POST", "/webhooks/8x8", raw=body, headers=headers)

    def healthy(self) -> bool:
        r = self.get("/healthz")
        return r.status == 200 and r.json() == {"status": "ok"}

    # -- embedded simulator (demo) ---------------------------------------------

    def sim_state(self) -> dict:
        r = self.get("/sim/agent/state")
        assert r.status == 200, r
        return r.json()

    def sim_conversations(self) -> list[dict]:
        return self.sim_state()["conversations"]

    def sim_conversation(self, cid: str) -> dict:
        r = self.get(f"/sim/agent/conversations/{cid}")
        assert r.status == 200, r
        return r.json()

    def sim_agent(self, cid: str, action: str, body: Optional[dict] = None) -> dict:
        r = self.post(f"/sim/agent/conversations/{cid}/{action}", body or {})
        assert r.status == 200, f"agent {action} on {cid}: {r}"
        return r.json()

    def sim_stats(self) -> dict:
        r = self.get("/sim/admin/stats")
        assert r.status == 200, r
        return r.json()

    def sim_fault(self, status: int, count: int, match: str):
        r = self.post("/sim/admin/faults", {"status": status, "count": count, "match": match})
        assert r.status == 200, r

    async def sim_wait_conversation(self, index: int = 0, timeout: float = 5.0) -> dict:
        """The index-th conversation the simulator knows (appears once the create call landed)."""
        state = await poll_until(self.sim_state, lambda s: len(s["conversations"]) > index,
                                 f"simulator conversation #{index}", timeout)
        return state["conversations"][index]

    async def sim_wait(self, cid: str, check: Callable[[dict], bool], what: str, timeout: float = 5.0) -> dict:
        return await poll_until(lambda: self.sim_conversation(cid), check, what, timeout)

    async def sim_webhooks_settled(self, min_delivered: int, timeout: float = 5.0) -> dict:
        """Waits until the simulator has delivered at least `min_delivered` webhooks and has none pending."""
        def check(stats):
            w = stats["webhooks"]
            return w["pending"] == 0 and w["delivered"] >= min_delivered
        return await poll_until(self.sim_stats, check, f">= {min_delivered} webhooks delivered, none pending", timeout)


@pytest.fixture
def start_relay(request, tmp_path):
    """Factory: start_relay("demo", "--log-level", "debug", config={...}) -> a ready Relay.
    `ssl_context`: for a relay serving TLS, the client context its helpers use (https://, wss://)."""
    relays: list[Relay] = []
    request.node._relays = relays

    def start(*args: str, config: Optional[dict] = None, env: Optional[dict] = None, ssl_context=None) -> Relay:
        argv = list(args)
        name = f"relay{len(relays) + 1}"
        if config is not None:
            path = tmp_path / f"{name}-config.json"
            path.write_text(json.dumps(config))
            argv += ["--config", str(path)]
        relay = Relay(argv, tmp_path, name, env)
        relay.ssl_context = ssl_context  # a relay serving TLS, reached with this client context
        relays.append(relay)
        relay.start()
        return relay

    yield start
    for relay in relays:
        relay.stop()


@pytest.fixture
def demo(start_relay) -> Relay:
    """relay + rule bot + embedded 8x8 simulator."""
    return start_relay("demo")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches each relay's stdout/stderr to the report of a failing test."""
    report = yield
    if report.failed:
        for relay in getattr(item, "_relays", []):
            report.sections.append((f"{relay.name} ({' '.join(relay.args)}) port {relay.port}", relay.output()))
    return report


# -- fake peers: a scriptable 8x8 Chat Gateway and an external bot --------------------------

class RecordingServer:
    """A threaded HTTP server on 127.0.0.1 that records every request and answers via `answer()`."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.gates: dict[str, list[threading.Event]] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {"method": self.command, "path": self.path,
                          "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with fake.lock:
                    fake.requests.append(record)
                    gate = fake._gate(self.command, self.path)
                if gate is not None:
                    gate.wait(HTTP_TIMEOUT)  # bounded: a forgotten gate cannot hang the relay's call forever
                if record.get("drop"):  # the connection dies without an answer (a crashed peer, a reset)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                with fake.lock:
                    status, payload = fake.answer(record)
                    record["status"] = status  # absent while held: what the relay may have given up on
                if isinstance(payload, bytes):
                    data, ctype = payload, "text/html"  # raw (garbage) answers
                else:
                    data = json.dumps(payload).encode() if payload is not None else b""
                    ctype = "application/problem+json" if status >= 400 else "application/json"
                self.send_response(status)
                if data:
                    self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # socketserver's default listen backlog (5) resets bursts of new connections

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def close(self):
        with self.lock:
            for gates in self.gates.values():
                for gate in gates:
                    gate.set()
        self.server.shutdown()
        self.server.server_close()

    def hold(self, key: str) -> threading.Event:
        """Holds the answer to the next "METHOD /path-prefix" call until the returned event is set."""
        gate = threading.Event()
        with self.lock:
            self.gates.setdefault(key, []).append(gate)
        return gate

    def _gate(self, method: str, path: str) -> Optional[threading.Event]:
        for key, gates in self.gates.items():
            m, _, prefix = key.partition(" ")
            if m == method and path.startswith(prefix) and gates:
                return gates.pop(0)
        return None

    def answer(self, record: dict) -> tuple[int, Any]:
        raise NotImplementedError

    def calls(self, method: str, suffix: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["method"] == method and r["path"].split("?")[0].endswith(suffix)]


class Fake8x8(RecordingServer):
    """Answers Chat Gateway v1 calls with success, any API key accepted.

    `responses` maps "METHOD /path-prefix" to a list of (status, body) consumed
    in order before the default answers.
    """

    def __init__(self, port: int = 0):
        super().__init__(port)
        self.responses: dict[str, list[tuple[int, Any]]] = {}
        self.conversation_id = "conv-fake-1"
        # Webhook signing keys served at GET /chat-gateway/v1/jwk/{kid}/public, like 8x8's.
        self.keys: dict[str, SigningKey] = {shared_key().kid: shared_key()}

    def answer(self, record: dict) -> tuple[int, Any]:
        method, path = record["method"], record["path"]
        for key, queue in self.responses.items():
            m, _, prefix = key.partition(" ")
            if m == method and path.startswith(prefix) and queue:
                return queue.pop(0)
        if method == "GET" and path.startswith("/chat-gateway/v1/jwk/") and path.endswith("/public"):
            key = self.keys.get(path.split("/")[-2])
            return (200, key.jwk) if key else (404, {"message": "no such key"})
        if method == "POST" and path.endswith("/chat-gateway/v1/conversations"):
            return 202, {"conversationId": self.conversation_id, "createdAt": "2026-01-01T00:00:00Z"}
        if method == "POST" and path.endswith("/messages"):
            return 202, {"messageId": f"msg-{len(self.requests)}"}
        if path.endswith("/typing") or path.endswith("/participants/user") or path.endswith("/read-receipt"):
            return 204, None
        return 404, {"message": "no such route in the fake"}


class FakeBot(RecordingServer):
    """An external bot: `reply(event_json) -> (status, body)`; records the events it got."""

    def __init__(self):
        super().__init__()
        self.reply: Callable[[dict], tuple[int, Any]] = lambda event: (200, {"replies": []})

    def answer(self, record: dict) -> tuple[int, Any]:
        return self.reply(json.loads(record["body"]))

    def events(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def fake_8x8():
    fake = Fake8x8().start()
    yield fake
    fake.close()


@pytest.fixture
def fake_bot():
    bot = FakeBot().start()
    yield bot
    bot.close()
