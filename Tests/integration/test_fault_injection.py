"""8x8 misbehaving in every way the issue names — 500, 429, a timeout, connection refused, garbage — while
a conversation is created and the user writes: the relay retries with backoff, the conversation completes
once 8x8 recovers, and 8x8 gets every user message exactly once, in order."""

import asyncio
import itertools
import json
import threading

import pytest

from prometheus_text import scrape

from chatclient import ChatClient, run
from conftest import Fake8x8, free_port, poll_until

CREATE = "POST /chat-gateway/v1/conversations"
MESSAGES = "POST /chat-gateway/v1/conversations/"  # …/{id}/messages (also typing, which this test never sends)
# Garbage: an HTML page where JSON belongs. On the create call with a 200 (so only the missing
# conversationId tells), on message calls with the 502 a proxy would give.
GARBAGE = {CREATE: (200, b"<html><body>Bad Gateway</body></html>"),
           MESSAGES: (502, b"<html><body>Bad Gateway</body></html>")}


def relay_against(start_relay, base: str, breaker: dict = {}):
    return start_relay("serve", "--8x8-base-url", base, "--8x8-api-key", "test-key", "--8x8-channel-id", "chan-1",
                       "--8x8-queue-id", "queue-1", "--8x8-tenant", "test-tenant",
                       config={"retry": {"maxAttempts": 8, "baseDelayMs": 50, "maxDelayMs": 200, **breaker},
                               "providers": {"default": {"baseUrl": base, "apiKey": "test-key", "tenant": "test-tenant",
                                                         "timeoutMs": 300}},
                               "handovers": {"default": {"channelId": "chan-1", "queueId": "queue-1"}}})


def inject(fake: Fake8x8, key: str, fault: str, times: int = 2):
    """The next `times` answers to `key` are the fault (a timeout is an answer held past the relay's 300 ms)."""
    if fault == "timeout":
        for _ in range(times):
            fake.hold(key)  # released when the fake closes; the relay has given up on it by then
        return
    answer = {"500": (500, {"message": "internal error"}), "429": (429, {"message": "slow down"})}.get(fault) or GARBAGE[key]
    fake.responses.setdefault(key, []).extend([answer] * times)


async def complete_a_conversation(relay, fake: Fake8x8):
    """The user asks for an agent, the agent joins, both write, the agent leaves: returns the chat client."""
    c = await ChatClient.connect(relay.ws_url)
    await c.hello(user={"name": "Faulty"})
    await c.message("I want an agent", id="ask")
    await poll_until(lambda: fake.calls("POST", "/chat-gateway/v1/conversations"), bool, "the create call", timeout=20)
    cid = fake.conversation_id

    def webhook(kind: str, data: dict, eid: str):
        r = relay.post_webhook({"eventType": kind, "conversationId": cid, "timestamp": 1, "data": data}, eid)
        assert r.status == 200, r
        return r.json()["status"]

    # 8x8 only sends webhooks once the conversation exists; the relay registers it when the create succeeds.
    ids = itertools.count(1)
    await poll_until(lambda: webhook("QUEUED", {"queueId": "queue-1", "queueName": "Q"}, f"queued-{next(ids)}"),
                     lambda status: status == "accepted", "the conversation to be created despite the faults", timeout=20)
    webhook("MEMBERS_CHANGED", {"memberType": "agent", "change": "joined", "id": "agent-1"}, "joined")
    await c.expect_event("handover", state="active", timeout=20)
    return c, webhook


@pytest.mark.parametrize("fault", ["500", "429", "timeout", "garbage"])
def test_the_conversation_completes_once_8x8_recovers(start_relay, fault):
    fake = Fake8x8().start()
    try:
        inject(fake, CREATE, fault)
        relay = relay_against(start_relay, fake.base)

        async def scenario():
            c, webhook = await complete_a_conversation(relay, fake)
            async with c:
                inject(fake, MESSAGES, fault)
                for i in range(1, 4):
                    await c.message(f"message {i}", id=f"m{i}")
                await poll_until(lambda: user_texts(fake), lambda texts: len(texts) >= 3, "three messages at 8x8", timeout=20)
                webhook("MESSAGE", {"isEcho": False, "sender": {"id": "agent-1", "type": "agent"}, "text": "Solved!"}, "a1")
                await c.expect_event("message", **{"from": "agent", "text": "Solved!"})
                webhook("MEMBERS_CHANGED", {"memberType": "agent", "change": "left", "id": "agent-1"}, "left")
                await c.expect_event("handover", state="ended")
                back = await c.expect_event("message")
                assert back["from"] == "bot", back
            assert user_texts(fake) == ["message 1", "message 2", "message 3"]  # once each, in order
            assert "retrying in" in relay.stderr()
            assert not [f for f in c.frames if f.get("state") == "failed"], c.frames

        run(scenario(), timeout=90)
    finally:
        fake.close()


def circuit_open(relay) -> float:
    return scrape(relay).get("relay_8x8_circuit_open", provider="default")


def test_8x8_refusing_connections_then_coming_back(start_relay):
    port = free_port()  # nothing listens here yet: connections are refused
    relay = relay_against(start_relay, f"http://127.0.0.1:{port}", breaker={"circuitBreakerFailures": 2, "circuitBreakerOpenSeconds": 1, "circuitBreakerMinFailureMs": 0})

    async def scenario():
        c = await ChatClient.connect(relay.ws_url)
        async with c:
            await c.hello(user={"name": "Patient"})
            await c.message("I want an agent", id="ask")
            notice = await c.expect("message", predicate=lambda f: "seq" in f and f["from"] == "system", timeout=10)
            assert "keep trying" in notice["text"], notice
            await poll_until(lambda: circuit_open(relay), lambda v: v == 1, "the circuit to open after two refused connects")
            fake = Fake8x8(port=port).start()  # 8x8 is back
            try:
                await poll_until(lambda: fake.calls("POST", "/chat-gateway/v1/conversations"), bool,
                                 "the create call to reach 8x8 once it listens", timeout=20)
                r = relay.post_webhook({"eventType": "QUEUED", "conversationId": fake.conversation_id, "timestamp": 1,
                                        "data": {"queueId": "queue-1", "queueName": "Q"}}, "q1")
                assert r.json()["status"] == "accepted", r
                queued = await c.expect_event("handover", state="queued")
                assert queued["queueId"] == "queue-1"
                assert len(fake.calls("POST", "/chat-gateway/v1/conversations")) == 1
                assert circuit_open(relay) == 0  # the probe succeeded: calls flow again
            finally:
                fake.close()

    run(scenario(), timeout=60)


def user_texts(fake: Fake8x8) -> list[str]:
    """User messages 8x8 accepted (answered 2xx), in arrival order."""
    return [json.loads(r["body"])["text"] for r in fake.calls("POST", "/messages")
            if 200 <= r.get("status", 0) < 300 and json.loads(r["body"]).get("authorType") == "user"]


class HoldingFake(Fake8x8):
    """Holds every create call until released; each conversation gets its own id."""

    def __init__(self):
        super().__init__()
        self.holding = True
        self.held: list[tuple[dict, threading.Event]] = []
        self.created = 0

    def _gate(self, method, path):  # under self.lock, right after the request was recorded
        if self.holding and method == "POST" and path.endswith("/chat-gateway/v1/conversations"):
            gate = threading.Event()
            self.held.append((self.requests[-1], gate))
            return gate
        return super()._gate(method, path)

    def answer(self, record):
        if record["method"] == "POST" and record["path"].endswith("/chat-gateway/v1/conversations"):
            self.created += 1
            return 202, {"conversationId": f"conv-{self.created}", "createdAt": "2026-01-01T00:00:00Z"}
        return super().answer(record)


def test_calls_queued_on_a_dropped_keep_alive_connection_are_sent_again_at_once(start_relay):
    """lws queues calls to one host on a lane's keep-alive connection, one exchange at a time. When
    that connection dies under the exchange in progress, the calls queued behind it were never sent:
    they go out again at once on another connection, not as failures with a retry delay. Only the
    exchange in progress (which 8x8 may have processed) fails and is retried."""
    sessions = 100  # several calls per lane (32 lanes): each lane has one queued in lws behind its first
    fake = HoldingFake().start()
    try:
        relay = start_relay("serve", "--8x8-base-url", fake.base, "--8x8-api-key", "test-key", "--8x8-channel-id",
                            "chan-1", "--8x8-queue-id", "queue-1",
                            config={"retry": {"maxAttempts": 8, "baseDelayMs": 50, "maxDelayMs": 200},
                                    "limits": {"messagesPerSecond": 0, "maxConnectionsPerAddress": 0}})

        async def ask(i):
            c = await ChatClient.connect(relay.ws_url)
            await c.hello(user={"name": f"Queued {i}"})
            await c.message("I want an agent", id=f"ask-{i}")  # acked once the create call is made
            return c

        async def scenario():
            clients = await asyncio.gather(*(ask(i) for i in range(sessions)))
            try:
                await poll_until(lambda: len(fake.held), bool, "a create call to reach 8x8")
                with fake.lock:
                    fake.held[0][0]["drop"] = True  # the first exchange's connection dies
                    fake.holding = False
                    gates = [gate for _, gate in fake.held]
                for gate in gates:
                    gate.set()
                answered = lambda: [r for r in fake.calls("POST", "/chat-gateway/v1/conversations") if r.get("status") == 202]
                await poll_until(answered, lambda a: len(a) == sessions, "every conversation to be created", timeout=30)
                # The dropped call is made twice (8x8 may have created that one); no other call twice.
                assert len(fake.calls("POST", "/chat-gateway/v1/conversations")) == sessions + 1
                failures = [line for line in relay.stderr().splitlines() if "8x8 call failed" in line]
                assert len(failures) == 1, failures  # only the exchange in progress, not the calls behind it
                # Each request went out once: no body written twice (read by 8x8 as a bad next request).
                assert "answered 400" not in relay.stderr(), relay.stderr()
            finally:
                for c in clients:
                    await c.__aexit__(None, None, None)

        run(scenario(), timeout=90)
    finally:
        fake.close()
