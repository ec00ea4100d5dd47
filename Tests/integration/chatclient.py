"""A small `handover.chat.v1` client for the integration tests.

Every wait is bounded: `recv`/`expect` take a timeout (default 5 s) and fail
with the frames seen so far, so a hanging relay turns into a readable test
failure instead of a stuck run.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import socket
import struct
from typing import Any, Callable, Optional

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

SUBPROTOCOL = "handover.chat.v1"
TIMEOUT = 5.0

_ids = itertools.count(1)


def run(coro, timeout: float = 30.0):
    """Runs one test coroutine on a fresh event loop, bounded as a whole."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def new_id(prefix: str = "m") -> str:
    return f"{prefix}-{next(_ids)}"


class ChatClient:
    """One WebSocket connection to /ws/chat. Keeps every frame it received in `frames`."""

    def __init__(self, ws, label: str = "client"):
        self.ws = ws
        self.label = label
        self.frames: list[dict] = []
        self.welcome: Optional[dict] = None

    # -- connection ---------------------------------------------------------

    @classmethod
    async def connect(cls, url: str, subprotocols=(SUBPROTOCOL,), timeout: float = TIMEOUT,
                      label: str = "client", **kwargs) -> "ChatClient":
        ws = await asyncio.wait_for(
            ws_connect(url, subprotocols=list(subprotocols) if subprotocols else None,
                       open_timeout=timeout, close_timeout=timeout, max_size=None, **kwargs),
            timeout)
        return cls(ws, label)

    async def close(self):
        await asyncio.wait_for(self.ws.close(), TIMEOUT)

    def drop(self):
        """Drops the TCP connection abruptly (no closing handshake), like a lost network."""
        self.ws.transport.abort()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        try:
            await asyncio.wait_for(self.ws.close(), 2)
        except Exception:
            pass

    # -- sending -------------------------------------------------------------

    async def send(self, frame: dict):
        await self.ws.send(json.dumps(frame))

    async def send_raw(self, data):
        """A text (str) or binary (bytes) frame, sent as is."""
        await self.ws.send(data)

    async def hello(self, user: Optional[dict] = None, timeout: float = TIMEOUT, **fields) -> dict:
        """Sends hello and returns the welcome frame (fails on an error frame)."""
        frame = {"type": "hello", "user": user if user is not None else {"name": "Test User"}}
        frame.update(fields)
        await self.send(frame)
        welcome = await self.expect(timeout=timeout, predicate=lambda f: f["type"] in ("welcome", "error"))
        assert welcome["type"] == "welcome", f"hello refused: {welcome}"
        self.welcome = welcome
        return welcome

    async def message(self, text: str, id: Optional[str] = None, timeout: float = TIMEOUT) -> dict:
        """Sends a user message and returns its ack."""
        mid = id or new_id()
        await self.send({"type": "message", "id": mid, "text": text})
        return await self.expect("ack", timeout=timeout, id=mid)

    # -- receiving -----------------------------------------------------------

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        """The next frame, whatever it is."""
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"[{self.label}] no frame within {timeout}s; frames so far: {self._tail()}") from None
        assert isinstance(raw, str), f"[{self.label}] got a binary frame: {raw[:80]!r}"
        frame = json.loads(raw)
        self.frames.append(frame)
        return frame

    async def expect(self, type: Optional[str] = None, predicate: Optional[Callable[[dict], bool]] = None,
                     timeout: float = TIMEOUT, **fields: Any) -> dict:
        """Skips frames until one has `type`, every given field value and satisfies `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        skipped = []
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"[{self.label}] no frame matching type={type} {fields} within {timeout}s; "
                    f"skipped: {skipped}")
            try:
                frame = await self.recv(remaining)
            except AssertionError:
                raise AssertionError(
                    f"[{self.label}] no frame matching type={type} {fields} within {timeout}s; "
                    f"skipped: {skipped}") from None
            except ConnectionClosed as e:
                raise AssertionError(
                    f"[{self.label}] connection closed ({close_code(e)}) while waiting for type={type} {fields}; "
                    f"skipped: {skipped}") from None
            if type is not None and frame.get("type") != type:
                skipped.append(frame)
                continue
            if any(frame.get(k) != v for k, v in fields.items()):
                skipped.append(frame)
                continue
            if predicate is not None and not predicate(frame):
                skipped.append(frame)
                continue
            return frame

    async def expect_event(self, type: str, timeout: float = TIMEOUT, **fields) -> dict:
        """Like expect, for stored events (frames with a seq)."""
        return await self.expect(type, predicate=lambda f: "seq" in f, timeout=timeout, **fields)

    async def expect_closed(self, timeout: float = TIMEOUT) -> tuple[Optional[int], str]:
        """Reads until the server closes; returns (close code, reason). Frames before are kept."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            assert remaining > 0, f"[{self.label}] connection not closed within {timeout}s; frames: {self._tail()}"
            try:
                await self.recv(remaining)
            except ConnectionClosed as e:
                return close_code(e), (e.rcvd.reason if e.rcvd else "")

    def events(self) -> list[dict]:
        """Stored events (frames with a seq) received so far, in arrival order."""
        return [f for f in self.frames if "seq" in f and f.get("type") != "ack"]

    def _tail(self, n: int = 12) -> list:
        return self.frames[-n:]


def close_code(e: ConnectionClosed) -> Optional[int]:
    return e.rcvd.code if e.rcvd is not None else None


def assert_contiguous(events: list[dict], start: int = 1):
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(start, start + len(seqs))), f"seq not contiguous from {start}: {seqs}"


# -- raw sockets (frames the websockets library will not send) -----------------

def raw_handshake(port: int, path: str = "/ws/chat", protocol: Optional[str] = SUBPROTOCOL,
                  timeout: float = TIMEOUT) -> tuple[socket.socket, bytes]:
    """Opens a TCP connection and sends a WebSocket upgrade; returns the socket and the response head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack(">H", n)
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack(">Q", n)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_close_frame(sock: socket.socket) -> Optional[int]:
    """Reads server frames until a close frame; returns its status code (None if the socket just closed)."""
    buf = b""
    while True:
        while len(buf) >= 2:
            opcode = buf[0] & 0x0F
            length = buf[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buf) < 4:
                    break
                length = struct.unpack(">H", buf[2:4])[0]
                offset = 4
            elif length == 127:
                if len(buf) < 10:
                    break
                length = struct.unpack(">Q", buf[2:10])[0]
                offset = 10
            if len(buf) < offset + length:
                break
            payload = buf[offset:offset + length]
            buf = buf[offset + length:]
            if opcode == 0x8:
                return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
        chunk = sock.recv(4096)  # bounded by the socket timeout
        if not chunk:
            return None
        buf += chunk


# -- scenario helpers (relay: a conftest.Relay running `demo`) -------------------

BOT = {"from": "bot"}
AGENT = {"from": "agent"}
USER = {"from": "user"}


async def start_chat(relay, user: Optional[dict] = None, label: str = "client") -> ChatClient:
    """Connects, says hello, and reads the welcome and the bot's greeting (seq 1)."""
    tls = {"ssl": relay.ssl_context} if relay.ssl_context else {}
    c = await ChatClient.connect(relay.ws_url, label=label, **tls)
    await c.hello(user=user)
    greeting = await c.recv()
    assert greeting["type"] == "message" and greeting["from"] == "bot" and greeting["seq"] == 1, greeting
    return c


async def ask_for_agent(relay, c: ChatClient, conversation_index: int = 0) -> dict:
    """Types "agent", awaits requested then queued, and returns the simulator's conversation."""
    await c.message("I want to talk to an agent please")
    await c.expect_event("handover", state="requested")
    await c.expect_event("handover", state="queued")
    return await relay.sim_wait_conversation(conversation_index)


async def agent_accepts(relay, c: ChatClient, cid: str, agent_id: str) -> dict:
    relay.sim_agent(cid, "accept", {"agentId": agent_id})
    return await c.expect_event("handover", state="active", agentId=agent_id)


async def start_active_handover(relay, agent_id: str = "agent-7", user: Optional[dict] = None,
                                conversation_index: int = 0) -> tuple[ChatClient, str]:
    c = await start_chat(relay, user=user)
    conversation = await ask_for_agent(relay, c, conversation_index)
    await agent_accepts(relay, c, conversation["id"], agent_id)
    return c, conversation["id"]


def user_texts(conversation: dict) -> list[str]:
    """Texts of the user's live messages in a simulator conversation."""
    return [m["text"] for m in conversation["messages"] if m["authorType"] == "user"]
