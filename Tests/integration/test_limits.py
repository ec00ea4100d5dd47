"""Each limit of `limits` in the config triggers its documented refusal (docs/PROTOCOL.md), and the relay goes on."""

import asyncio
import json
import socket
import struct

import pytest
from websockets.exceptions import InvalidStatus

from chatclient import ChatClient, masked_frame, raw_handshake, run, start_chat
from prometheus_text import scrape


def test_messages_over_the_rate_are_refused_then_the_client_is_closed_with_1008(start_relay):
    # One message per second after a burst of 3: the frames below are sent back to back, far
    # faster than one per second, so exactly the burst is accepted.
    relay = start_relay("demo", config={"limits": {"messagesPerSecond": 1, "messageBurst": 3}})

    async def scenario():
        c = await ChatClient.connect(relay.ws_url)
        async with c:
            frames = [{"type": "hello", "user": {"name": "Flood"}}] + [
                {"type": "message", "id": f"m{i}", "text": f"message {i}"} for i in range(1, 8)]
            for frame in frames:
                await c.send(frame)
            code, reason = await c.expect_closed()
            assert (code, reason) == (1008, "message rate limit exceeded")
            acked = [f["id"] for f in c.frames if f["type"] == "ack"]
            refused = [f for f in c.frames if f["type"] == "error"]
            # hello + m1 + m2 fill the burst; m3..m5 are refused (as many as the burst); m6 closes.
            assert acked == ["m1", "m2"], c.frames
            assert [f["code"] for f in refused] == ["rate_limited"] * 3, refused
            assert "not processed" in refused[0]["message"]
        # The relay goes on serving others, and counted.
        other = await start_chat(relay)
        await other.close()
        assert "kept sending over its rate limit" in relay.stderr()
        counted = scrape(relay)
        assert (counted.get("relay_limit_refusals_total", limit="rate"), counted.get("relay_limit_refusals_total", limit="rate_close")) == (3, 1)

    run(scenario())


def test_a_refused_message_resent_after_the_delay_is_accepted(start_relay):
    relay = start_relay("demo", config={"limits": {"messagesPerSecond": 2, "messageBurst": 2}})

    async def scenario():
        c = await ChatClient.connect(relay.ws_url)
        async with c:
            await c.send({"type": "hello", "user": {"name": "Patient"}})
            await c.send({"type": "message", "id": "a", "text": "first"})
            await c.send({"type": "message", "id": "b", "text": "second"})
            refused = await c.expect("error", code="rate_limited")
            # The ack of "a" waits for its commit; the refusal of "b" does not: either may come first.
            if not any(f.get("type") == "ack" and f.get("id") == "a" for f in c.frames):
                await c.expect("ack", id="a")
            delay_ms = int(refused["message"].split("send it again in ")[1].split(" ms")[0])
            assert 0 < delay_ms <= 500, refused
            await asyncio.sleep(delay_ms / 1000)  # the wait the relay asked for: there is no event to await
            await c.send({"type": "message", "id": "b", "text": "second"})
            ack = await c.expect("ack", id="b")
            await c.expect_event("message", id="b")
            user_events = [f for f in c.frames if f.get("from") == "user" and "seq" in f]
            assert [e["id"] for e in user_events] == ["a", "b"] and ack["seq"] == user_events[-1]["seq"]

    run(scenario())


def test_connections_per_address_are_capped_with_429(start_relay):
    relay = start_relay("demo", config={"limits": {"maxConnectionsPerAddress": 2}})

    async def scenario():
        first = await start_chat(relay, label="first")
        second = await start_chat(relay, label="second")
        with pytest.raises(InvalidStatus) as refused:
            await ChatClient.connect(relay.ws_url, label="third")
        assert refused.value.response.status_code == 429
        assert b"too many connections from this address" in refused.value.response.body
        assert scrape(relay).get("relay_limit_refusals_total", limit="connections_per_address") == 1
        # HTTP is not capped, and a slot frees when a connection closes.
        assert relay.healthy()
        await first.close()
        third = None
        for _ in range(50):  # the relay learns of the close from its own socket: bounded retries
            try:
                third = await ChatClient.connect(relay.ws_url, label="third")
                break
            except InvalidStatus:
                await asyncio.sleep(0.05)
        assert third is not None, "no slot freed after a close"
        await third.close()
        await second.close()

    run(scenario())


def test_sessions_beyond_max_sessions_are_refused_with_server_full_and_1013(start_relay):
    relay = start_relay("demo", config={"limits": {"maxSessions": 1}})

    async def scenario():
        c = await start_chat(relay)
        sid, token = c.welcome["sessionId"], c.welcome["resumeToken"]
        await c.close()
        late = await ChatClient.connect(relay.ws_url, label="late")
        await late.send({"type": "hello", "user": {"name": "Late"}})
        error = await late.expect("error")
        assert error["code"] == "server_full", error
        assert (await late.expect_closed())[0] == 1013
        assert scrape(relay).get("relay_limit_refusals_total", limit="sessions") == 1
        # The existing session can still be resumed.
        again = await ChatClient.connect(relay.ws_url, label="again")
        async with again:
            welcome = await again.hello(sessionId=sid, resumeToken=token, lastSeq=1)
            assert welcome["resumed"] is True

    run(scenario())


def test_request_bodies_over_the_limit_get_413(start_relay):
    relay = start_relay("demo", config={"limits": {"maxRequestBodyBytes": 1024}})
    body = {"eventType": "MESSAGE", "conversationId": "c", "data": {"text": "x" * 2000}}
    r = relay.post("/webhooks/8x8", body)
    assert r.status == 413, r
    assert r.json()["code"] == "body_too_large"
    small = relay.post("/webhooks/8x8", {"eventType": "WEB_HOOK_VERIFY"})
    assert small.status != 413
    assert relay.healthy()
    assert scrape(relay).get("relay_limit_refusals_total", limit="request_body_bytes") == 1


def read_frame(sock) -> tuple[int, bytes]:
    """One server frame (servers do not mask): (opcode, payload)."""
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "connection closed mid-frame"
            data += chunk
        return data
    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack(">H", exactly(2))[0]
    elif length == 127:
        length = struct.unpack(">Q", exactly(8))[0]
    return first & 0x0F, exactly(length)


def test_a_silent_peer_is_pinged_then_closed_with_1001(start_relay):
    relay = start_relay("demo", config={"limits": {"pingAfterSeconds": 1, "idleTimeoutSeconds": 2}})
    sock, head = raw_handshake(relay.port, timeout=10)
    with sock:
        assert head.startswith(b"HTTP/1.1 101"), head
        opcodes = []
        while True:  # never answers: pings, then the close (each read bounded by the socket timeout)
            opcode, payload = read_frame(sock)
            opcodes.append(opcode)
            if opcode == 0x8:
                assert struct.unpack(">H", payload[:2])[0] == 1001 and b"no answer to pings" in payload, payload
                break
        assert opcodes[0] == 0x9 and opcodes[-1] == 0x8, opcodes
    assert scrape(relay).get("relay_limit_refusals_total", limit="idle") == 1


def test_a_peer_that_answers_pings_stays_connected_past_the_idle_timeout(start_relay):
    relay = start_relay("demo", config={"limits": {"pingAfterSeconds": 1, "idleTimeoutSeconds": 2}})
    sock, head = raw_handshake(relay.port, timeout=10)
    with sock:
        assert head.startswith(b"HTTP/1.1 101"), head
        for _ in range(4):  # four pings answered: well past the 2 s idle timeout
            opcode, payload = read_frame(sock)
            assert opcode == 0x9, (opcode, payload)
            sock.sendall(masked_frame(0xA, payload))
        sock.sendall(masked_frame(0x1, json.dumps({"type": "hello", "user": {"name": "Alive"}}).encode()))
        while True:
            opcode, payload = read_frame(sock)
            if opcode == 0x1:
                assert json.loads(payload)["type"] == "welcome"
                break
            assert opcode == 0x9, opcode  # a ping may still be on its way


def test_a_stalled_reader_is_closed_with_1008_and_loses_nothing(start_relay):
    """A second connection to the session stops reading (a frozen tab) while the first keeps chatting:
    the relay queues at most maxQueuedBytesPerConnection for it, then closes it; it resumes with lastSeq."""
    relay = start_relay("demo", config={"limits": {"messagesPerSecond": 0, "maxQueuedBytesPerConnection": 65536}})

    async def scenario():
        writer = await start_chat(relay, label="writer")
        sid, token = writer.welcome["sessionId"], writer.welcome["resumeToken"]
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small, so the relay's queue has to grow
        stalled.settimeout(10)
        stalled.connect(("127.0.0.1", relay.port))
        stalled.sendall(upgrade_request(relay.port))
        hello = {"type": "hello", "sessionId": sid, "resumeToken": token, "lastSeq": 1}
        stalled.sendall(masked_frame(0x1, json.dumps(hello).encode()))
        async with writer:
            text = "x" * 3000
            for i in range(3000):  # every message and bot reply is also queued for the stalled reader
                await writer.message(text, id=f"w{i}")  # one at a time: the writer itself never falls behind
                if "closing slow WebSocket reader" in relay.stderr():
                    break
            assert "closing slow WebSocket reader" in relay.stderr()
        # The stalled reader finally reads: what the kernel held, then the close.
        with stalled:
            head = b""
            while b"\r\n\r\n" not in head:
                head += stalled.recv(1)
            assert head.startswith(b"HTTP/1.1 101"), head
            while True:
                opcode, payload = read_frame(stalled)
                if opcode == 0x8:
                    assert struct.unpack(">H", payload[:2])[0] == 1008 and b"too slow" in payload, payload
                    break
        # Nothing is lost: a resume from the start returns every event, contiguous.
        again = await ChatClient.connect(relay.ws_url, label="again")
        async with again:
            welcome = await again.hello(sessionId=sid, resumeToken=token, lastSeq=0)
            replay = [await again.recv() for _ in range(welcome["lastSeq"])]
            assert [e["seq"] for e in replay] == list(range(1, welcome["lastSeq"] + 1))
            assert len([e for e in replay if e.get("from") == "user"]) == i + 1

    run(scenario(), timeout=120)


def upgrade_request(port: int) -> bytes:
    return ("GET /ws/chat HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: handover.chat.v1\r\n\r\n" % port).encode()
