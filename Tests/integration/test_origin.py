"""The Origin allowlist of the browser protocols (handover.chat.v1, handover.copilot.v1): a listed
origin and a request without Origin are served, any other origin is refused with 403 before the
upgrade; the integrator stream is not subject to it; no list allows every origin."""

from __future__ import annotations

from typing import Optional

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from chatclient import SUBPROTOCOL, ChatClient, run

SHOP = "https://shop.example.com"
EVIL = "https://evil.example"
COPILOT = "handover.copilot.v1"
STREAM = "handover.stream.v1"


async def handshake(url: str, protocol: str, origin: Optional[str]) -> tuple[int, str]:
    """The upgrade's status (101 when it opened) and the refusal's body."""
    try:
        async with ws_connect(url, subprotocols=[protocol], origin=origin, open_timeout=5, close_timeout=2):
            return 101, ""
    except InvalidStatus as e:
        return e.response.status_code, e.response.body.decode(errors="replace")


def test_allowed_origins(start_relay):
    relay = start_relay("demo", config={"allowedOrigins": [SHOP]})

    async def scenario():
        # A page of the listed origin chats.
        c = await ChatClient.connect(relay.ws_url, origin=SHOP)
        async with c:
            await c.hello()
            await c.message("hi")
        # A client without Origin (not a browser) chats too.
        c = await ChatClient.connect(relay.ws_url)
        async with c:
            await c.hello()

        # Any other origin: 403 before the upgrade, on both browser protocols, with the reason.
        assert await handshake(relay.ws_url, SUBPROTOCOL, EVIL) == (403, f"origin '{EVIL}' is not allowed\n")
        assert (await handshake(relay.copilot_ws_url, COPILOT, EVIL))[0] == 403
        assert (await handshake(relay.ws_url, SUBPROTOCOL, "null"))[0] == 403
        assert (await handshake(relay.ws_url, SUBPROTOCOL, "http://shop.example.com"))[0] == 403  # other scheme
        assert (await handshake(relay.ws_url, SUBPROTOCOL, SHOP + ":8443"))[0] == 403  # other port

        # The relay's own pages (its public URL, http://localhost:<port> by default) keep working.
        assert (await handshake(relay.ws_url, SUBPROTOCOL, f"http://localhost:{relay.port}"))[0] == 101
        # Integrators' stream authenticates by token: the Origin is not checked there.
        assert (await handshake(relay.ws_url.replace("/ws/chat", "/ws/stream"), STREAM, EVIL))[0] == 101

    run(scenario())
    assert relay.healthy()


def test_no_list_allows_any_origin(demo):
    async def scenario():
        assert (await handshake(demo.ws_url, SUBPROTOCOL, EVIL))[0] == 101
        assert (await handshake(demo.copilot_ws_url, COPILOT, EVIL))[0] != 403

    run(scenario())


def test_allowed_origins_from_the_environment(start_relay):
    relay = start_relay("demo", env={"RELAY_ALLOWED_ORIGINS": f"{SHOP}, http://localhost:3000"})

    async def scenario():
        assert (await handshake(relay.ws_url, SUBPROTOCOL, "http://localhost:3000"))[0] == 101
        assert (await handshake(relay.ws_url, SUBPROTOCOL, EVIL))[0] == 403

    run(scenario())
