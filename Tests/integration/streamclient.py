"""A small `handover.stream.v1` client for the integration tests, plus helpers
for integrator tokens, the read API and a subscriber that stops reading.

Same rules as chatclient: every wait is bounded and fails with the frames seen
so far.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
from typing import Any, Optional

from chatclient import TIMEOUT, ChatClient, close_code, masked_frame
from copilotclient import relay_secret, sign_token
from websockets.exceptions import ConnectionClosed

SUBPROTOCOL = "handover.stream.v1"
STREAM_SCOPE = "stream:read"


def stream_url(relay) -> str:
    return f"ws://127.0.0.1:{relay.port}/ws/stream"


class StreamClient(ChatClient):
    """One WebSocket connection to /ws/stream. Keeps every frame it received in `frames`."""

    @classmethod
    async def connect(cls, url: str, subprotocols=(SUBPROTOCOL,), timeout: float = TIMEOUT,
                      label: str = "stream", **kwargs) -> "StreamClient":
        return await super().connect(url, subprotocols=subprotocols, timeout=timeout, label=label, **kwargs)

    @classmethod
    async def open(cls, relay, label: str = "stream") -> "StreamClient":
        return await cls.connect(stream_url(relay), label=label)

    async def subscribe(self, token: Optional[str], filter: Optional[dict] = None, from_: Any = None,
                        timeout: float = TIMEOUT, **extra) -> dict:
        """Sends the subscribe frame; returns the first answer (`subscribed` or `error`)."""
        frame: dict = {"type": "subscribe"}
        if token is not None:
            frame["token"] = token
        if filter is not None:
            frame["filter"] = filter
        if from_ is not None:
            frame["from"] = from_
        frame.update(extra)
        await self.send(frame)
        return await self.recv(timeout)

    async def subscribed(self, token: str, filter: Optional[dict] = None, from_: Any = None,
                         timeout: float = TIMEOUT) -> dict:
        """Subscribes and fails unless the relay answered `subscribed`."""
        first = await self.subscribe(token, filter, from_, timeout)
        assert first.get("type") == "subscribed", f"[{self.label}] subscribe refused: {first}"
        return first

    async def until_live(self, timeout: float = TIMEOUT) -> dict:
        """Reads (keeping every frame) up to and including the `live` frame; returns it."""
        return await self.expect("live", timeout=timeout)

    async def until_offset(self, offset: int, timeout: float = TIMEOUT) -> dict:
        """Reads up to and including the event with `offset` (or a later one: then it was skipped)."""
        frame = await self.expect("event", predicate=lambda f: f["offset"] >= offset, timeout=timeout)
        assert frame["offset"] == offset, f"[{self.label}] offset {offset} skipped: got {frame['offset']} next"
        return frame

    async def expect_refused(self, code: str, close: int, timeout: float = TIMEOUT) -> dict:
        """The error frame already received (or the next one), then the close with `close`. Returns the error."""
        error = next((f for f in self.frames if f.get("type") == "error"), None)
        if error is None:
            error = await self.expect("error", timeout=timeout)
        assert error["code"] == code and isinstance(error.get("message"), str) and error["message"], \
            f"[{self.label}] expected error {code}, got {error}"
        got, _ = await self.expect_closed(timeout)
        assert got == close, f"[{self.label}] expected close {close} after {code}, got {got}; frames: {self.frames}"
        extra = [f for f in self.frames if f.get("type") in ("event", "live", "subscribed")]
        assert not extra, f"[{self.label}] refused subscriber got stream frames: {extra}"
        return error

    async def quiet(self, seconds: float = 0.3) -> list[dict]:
        """Frames that arrive within `seconds` (for asserting that nothing more comes after a known last one)."""
        got = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except asyncio.TimeoutError:
                break
            except ConnectionClosed as e:
                got.append({"closed": close_code(e)})
                break
            frame = json.loads(raw)
            self.frames.append(frame)
            got.append(frame)
        return got

    def stream_events(self) -> list[dict]:
        """`event` frames received so far, in arrival order."""
        return [f for f in self.frames if f.get("type") == "event"]

    def offsets(self) -> list[int]:
        return [f["offset"] for f in self.stream_events()]


def assert_increasing(events: list[dict]):
    offsets = [e["offset"] for e in events]
    assert all(a < b for a, b in zip(offsets, offsets[1:])), f"offsets not strictly increasing: {offsets}"


# -- integrator tokens --------------------------------------------------------------

def integrator_token(relay, scopes=(STREAM_SCOPE,), expires_in: int = 3600, sessions=None, providers=None,
                     types=None, subject: str = "itest") -> str:
    """An integrator token signed with the relay's secret, with limits the `token` command cannot set
    (providers, types, an expiry in the past)."""
    payload: dict = {"typ": "integrator", "sub": subject, "scopes": list(scopes), "exp": int(time.time()) + expires_in}
    for key, value in (("sessions", sessions), ("providers", providers), ("types", types)):
        if value is not None:
            payload[key] = list(value)
    return sign_token(payload, relay_secret(relay))


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


# -- the read API --------------------------------------------------------------------

def read_log(relay, token: str, limit: int = 1000, **params) -> tuple[list[dict], dict]:
    """Every envelope of GET /api/events, following `next` until the end; returns (events, last page)."""
    query = "".join(f"&{k}={v}" for k, v in params.items())
    after = 0
    events: list[dict] = []
    for _ in range(10_000):
        r = relay.get(f"/api/events?after={after}&limit={limit}{query}", headers=bearer(token))
        assert r.status == 200, r
        page = r.json()
        events += page["events"]
        if page["next"] >= page["lastOffset"]:
            return events, page
        assert page["next"] > after, f"next does not advance: after={after} page={page}"
        after = page["next"]
    raise AssertionError("GET /api/events never reached the end")


def last_offset(relay, token: str) -> int:
    r = relay.get("/api/events?limit=1", headers=bearer(token))
    assert r.status == 200, r
    return r.json()["lastOffset"]


# -- slow readers --------------------------------------------------------------------

def narrow_socket(port: int, mss: int = 536, rcvbuf: int = 4096, timeout: float = TIMEOUT) -> socket.socket:
    """A TCP connection to the relay that advertises a small MSS and a small receive buffer, so the kernel
    buffers between the relay and this client hold only a few tens of kilobytes: once the client stops
    reading, the relay's own queue for it starts to grow after little data."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    return sock


async def open_narrow(relay, label: str = "narrow") -> StreamClient:
    """A StreamClient over `narrow_socket` (websockets also stops reading once 16 frames wait unread)."""
    sock = narrow_socket(relay.port)
    sock.setblocking(False)
    return await StreamClient.connect(stream_url(relay), label=label, sock=sock)


# -- a subscriber that stops reading ------------------------------------------------

class StalledSubscriber:
    """A raw-socket subscriber (over `narrow_socket`) that reads what the test asks for, then stops
    reading: blocking reads, bounded by the socket timeout."""

    def __init__(self, port: int, timeout: float = TIMEOUT):
        self.sock = narrow_socket(port, timeout=timeout)
        self.buf = b""
        self.frames: list[dict] = []
        self.close_code: Optional[int] = None
        key = base64.b64encode(os.urandom(16)).decode()
        head = [f"GET /ws/stream HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
                f"Sec-WebSocket-Protocol: {SUBPROTOCOL}"]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "the relay closed the stream handshake"
            self.buf += chunk
        status, _, self.buf = self.buf.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status

    def send(self, frame: dict):
        self.sock.sendall(masked_frame(0x1, json.dumps(frame).encode()))

    def next_frame(self) -> Optional[dict]:
        """The next text frame (None after the close frame, whose code lands in `close_code`).
        Blocking, bounded by the socket timeout."""
        while True:
            parsed = self._parse()
            if parsed is not None:
                opcode, payload = parsed
                if opcode == 0x8:
                    self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                    return None
                if opcode == 0x1:
                    frame = json.loads(payload)
                    self.frames.append(frame)
                    return frame
                continue  # ping/pong
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def _parse(self) -> Optional[tuple[int, bytes]]:
        buf = self.buf
        if len(buf) < 2:
            return None
        opcode, length, offset = buf[0] & 0x0F, buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, offset = struct.unpack(">H", buf[2:4])[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, offset = struct.unpack(">Q", buf[2:10])[0], 10
        if len(buf) < offset + length:
            return None
        self.buf = buf[offset + length:]
        return opcode, buf[offset:offset + length]

    def read_to_close(self, max_frames: int = 1_000_000) -> Optional[int]:
        """Reads everything the relay queued, up to its close frame; returns the close code."""
        for _ in range(max_frames):
            if self.next_frame() is None:
                return self.close_code
        raise AssertionError("no close frame")

    def close(self):
        self.sock.close()
