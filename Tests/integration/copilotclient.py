"""A small `handover.copilot.v1` client for the integration tests, plus helpers
to reach a session's copilot link and to build (forged) tokens.

Same rules as chatclient: every wait is bounded and fails with the frames seen
so far.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from chatclient import TIMEOUT, ChatClient

SUBPROTOCOL = "handover.copilot.v1"
BUILTIN_TILES = ["identity", "summary", "sentiment", "transcript", "knowledge", "next-best-action"]
FEED_TYPES = {"tile", "tile_removed", "transcript", "handover"}


class CopilotClient(ChatClient):
    """One WebSocket connection to /ws/copilot. Keeps every frame it received in `frames`."""

    @classmethod
    async def connect(cls, url: str, subprotocols=(SUBPROTOCOL,), timeout: float = TIMEOUT,
                      label: str = "copilot", **kwargs) -> "CopilotClient":
        return await super().connect(url, subprotocols=subprotocols, timeout=timeout, label=label, **kwargs)

    @classmethod
    async def open(cls, relay, label: str = "copilot") -> "CopilotClient":
        return await cls.connect(relay.copilot_ws_url, label=label)

    async def subscribe(self, session_id: str, token: Optional[str], last_pos: Optional[int] = None,
                        timeout: float = TIMEOUT) -> dict:
        """Sends subscribe; returns the first answer (snapshot, resumed or error)."""
        frame = {"type": "subscribe", "sessionId": session_id}
        if token is not None:
            frame["token"] = token
        if last_pos is not None:
            frame["lastPos"] = last_pos
        await self.send(frame)
        return await self.recv(timeout)

    async def next_feed(self, timeout: float = TIMEOUT) -> dict:
        """The next frame, which must be a feed event (it has a `pos`)."""
        frame = await self.recv(timeout)
        assert frame.get("type") in FEED_TYPES and isinstance(frame.get("pos"), int), \
            f"[{self.label}] expected a feed event, got {frame}"
        return frame

    async def feed_until(self, predicate, what: str, timeout: float = TIMEOUT) -> list[dict]:
        """Feed frames up to and including the first that satisfies `predicate` (all must be feed events)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        got = []
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"[{self.label}] no frame for {what} within {timeout}s; got: {got}"[:4000])
            try:
                frame = await self.next_feed(remaining)
            except AssertionError as e:
                raise AssertionError(f"[{self.label}] waiting for {what}: {e}; got before: {got}"[:4000]) from None
            got.append(frame)
            if predicate(frame):
                return got

    async def until_transcript(self, seq: int, timeout: float = TIMEOUT) -> list[dict]:
        """Feed frames up to and including the transcript event of chat seq `seq`."""
        return await self.feed_until(lambda f: f["type"] == "transcript" and f["message"]["seq"] == seq,
                                     f"the transcript event of seq {seq}", timeout)

    async def until_handover(self, state: str, timeout: float = TIMEOUT) -> list[dict]:
        return await self.feed_until(lambda f: f["type"] == "handover" and f["handover"]["state"] == state,
                                     f"the handover event {state}", timeout)

    def feed(self) -> list[dict]:
        """Feed events received so far (not the snapshot/resumed/error frames), in arrival order."""
        return [f for f in self.frames if f.get("type") in FEED_TYPES]


def assert_consecutive(frames: list[dict], start: int):
    """`pos` of the frames is start, start+1, … (no gaps, no duplicates)."""
    positions = [f["pos"] for f in frames]
    assert positions == list(range(start, start + len(positions))), \
        f"pos not consecutive from {start}: {positions}"


class Workspace:
    """What a copilot page holds: a snapshot with every later feed event applied."""

    def __init__(self, snapshot: dict):
        assert snapshot["type"] == "snapshot", snapshot
        self.pos = snapshot["pos"]
        self.session = snapshot["session"]
        self.layout = snapshot["layout"]
        self.tiles = {t["id"]: t for t in snapshot["tiles"]}
        self.transcript = list(snapshot["transcript"])
        self.handover = snapshot["handover"]

    def apply(self, frame: dict):
        assert frame["pos"] == self.pos + 1, f"feed event out of order: have pos {self.pos}, got {frame}"
        self.pos = frame["pos"]
        kind = frame["type"]
        if kind == "tile":
            tile = dict(frame["tile"])
            if tile.get("position") is None:
                tile["position"] = self.layout["tiles"].get(tile["id"])
            self.tiles[tile["id"]] = tile
        elif kind == "tile_removed":
            assert frame["id"] in self.tiles, f"tile_removed for an unknown tile: {frame}"
            del self.tiles[frame["id"]]
        elif kind == "transcript":
            self.transcript.append(frame["message"])
        elif kind == "handover":
            self.handover = frame["handover"]
        else:
            raise AssertionError(f"not a feed event: {frame}")

    def apply_all(self, frames: list[dict]):
        for f in frames:
            self.apply(f)

    def state(self) -> dict:
        """Comparable with another Workspace's. A `handover` event carries the chat event's `seq`/`ts`, the
        snapshot's handover is the bare state object: compared without them."""
        handover = None if self.handover is None else \
            {k: v for k, v in self.handover.items() if k not in ("seq", "ts")}
        return {"pos": self.pos, "session": self.session, "layout": self.layout, "tiles": self.tiles,
                "transcript": self.transcript, "handover": handover}


# -- copilot links ------------------------------------------------------------------

def copilot_url_of(conversation: dict) -> str:
    """The copilotUrl the relay put into the simulator conversation's user properties."""
    props = {p["key"]: p["value"] for p in conversation["user"].get("additionalProperties", [])}
    assert "copilotUrl" in props, f"no copilotUrl in {conversation['user']}"
    return props["copilotUrl"]


def parse_copilot_url(url: str) -> dict:
    """{path_and_query, sessionId, userId, URLToken, netloc}."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return {"netloc": parts.netloc, "path": parts.path, "path_and_query": f"{parts.path}?{parts.query}", **query}


def copilot_link(relay, conversation_index: int = 0) -> dict:
    """The parsed copilot link of the index-th simulator conversation, from GET /sim/agent/state."""
    conversation = relay.sim_state()["conversations"][conversation_index]
    return parse_copilot_url(copilot_url_of(conversation))


async def subscribe_snapshot(relay, link: dict, label: str = "copilot") -> tuple[CopilotClient, dict]:
    """Opens /ws/copilot, subscribes with the link's session and token, returns (client, snapshot)."""
    c = await CopilotClient.open(relay, label=label)
    snapshot = await c.subscribe(link["sessionId"], link["URLToken"])
    assert snapshot["type"] == "snapshot", f"[{label}] subscribe refused: {snapshot}"
    return c, snapshot


# -- tokens -------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(payload: dict, secret: bytes) -> str:
    """The relay's token format: base64url(JSON payload) "." base64url(HMAC-SHA256(secret, first part))."""
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    return body + "." + b64url(hmac.new(secret, body.encode(), hashlib.sha256).digest())


def relay_secret(relay) -> bytes:
    """The token secret the relay generated into its data directory."""
    return b64url_decode((relay.data_dir / "token-secret").read_text().strip())


def copilot_token(session_id: str, secret: bytes, expires_in: int = 3600, role: str = "agent") -> str:
    return sign_token({"sid": session_id, "role": role, "exp": int(time.time()) + expires_in}, secret)


def chat_messages(chat: ChatClient) -> list[dict]:
    """The chat client's stored message events, in seq order."""
    return [e for e in chat.events() if e["type"] == "message"]


def as_transcript(message_event: dict) -> dict:
    """A chat `message` event in the copilot transcript's shape (text unredacted)."""
    out = {k: message_event[k] for k in ("seq", "from", "text", "ts")}
    if "agentId" in message_event:
        out["agentId"] = message_event["agentId"]
    return out
