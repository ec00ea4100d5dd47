"""The 8x8 API key never shows in the relay's output, even at debug level.

`serve` runs against a fake Chat Gateway (conftest.Fake8x8) that accepts any
key, so the key under test is used for real; the test plays 8x8's side by
posting the webhooks itself.
"""

import itertools
import json

import pytest

from chatclient import BOT, assert_contiguous, run, start_chat
from conftest import poll_until

SECRET = "sk-secret-123"
METRICS_TOKEN = "metrics-token-secret-456789"
_event_ids = itertools.count(1)


def send_webhook(relay, cid: str, event_type: str, data: dict) -> dict:
    body = {"eventType": event_type, "conversationId": cid, "timestamp": 1, "data": data}
    r = relay.post_webhook(body, f"evt-{next(_event_ids)}")
    assert r.status == 200, r
    return r.json()


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_api_key_never_logged(start_relay, fake_8x8, log_format):
    # One transient failure on create, so the retry/warning path is logged too.
    fake_8x8.responses["POST /chat-gateway/v1/conversations"] = [(503, {"message": "try again", "errors": []})]
    relay = start_relay(
        "serve", "--8x8-base-url", fake_8x8.base, "--8x8-api-key", SECRET, "--8x8-channel-id", "chan-1",
        "--8x8-queue-id", "queue-1", "--log-level", "debug", "--log-format", log_format,
        config={"retry": {"maxAttempts": 3, "baseDelayMs": 50, "maxDelayMs": 100}},
        env={"RELAY_METRICS_TOKEN": METRICS_TOKEN})
    cid = fake_8x8.conversation_id

    async def scenario():
        c = await start_chat(relay, user={"name": "Grace", "email": "grace@example.com"})
        async with c:
            await c.message("I want an agent")
            await c.expect_event("handover", state="requested")

            # Until the relay has processed the 202, a webhook for the conversation is "ignored";
            # 8x8 would retry, so the test does too (bounded).
            await poll_until(
                lambda: send_webhook(relay, cid, "QUEUED", {"queueId": "queue-1", "queueName": "Support"}),
                lambda answer: answer["status"] == "accepted", "the relay to know the new conversation")
            await c.expect_event("handover", state="queued", queueId="queue-1")
            creates = fake_8x8.calls("POST", "/chat-gateway/v1/conversations")
            assert len(creates) == 2 and all(r["headers"].get("x-api-key") == SECRET for r in creates), creates

            send_webhook(relay, cid, "MEMBERS_CHANGED", {"memberType": "agent", "change": "joined", "id": "agent-9"})
            await c.expect_event("handover", state="active", agentId="agent-9")
            send_webhook(relay, cid, "MESSAGE", {"isEcho": False, "sender": {"id": "agent-9", "type": "agent"},
                                                 "text": "Hi Grace"})
            await c.expect_event("message", text="Hi Grace", agentId="agent-9")
            send_webhook(relay, cid, "ACTIVITY", {"name": "typing", "value": {"users": [{"id": "agent-9"}]}})
            assert await c.expect("typing") == {"type": "typing", "from": "agent", "active": True}

            await c.message("my parcel never arrived")
            await poll_until(lambda: fake_8x8.calls("POST", f"/conversations/{cid}/messages"), bool,
                             "the user's message at 8x8")
            sent = fake_8x8.calls("POST", f"/conversations/{cid}/messages")[0]
            assert sent["headers"].get("x-api-key") == SECRET
            assert b"my parcel never arrived" in sent["body"]

            send_webhook(relay, cid, "MEMBERS_CHANGED", {"memberType": "agent", "change": "left", "id": "agent-9"})
            await c.expect_event("handover", state="ended", by="agent")
            await c.expect_event("message", **BOT)
            await poll_until(lambda: fake_8x8.calls("PATCH", f"/conversations/{cid}/participants/user"), bool,
                             "the relay to remove the user at 8x8")
            assert_contiguous(c.events())

    run(scenario())
    metrics = relay.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert metrics.status == 200 and METRICS_TOKEN.encode() not in metrics.body and SECRET.encode() not in metrics.body
    assert relay.stop() is not None
    stdout, stderr = relay.stdout(), relay.stderr()
    if log_format == "json":
        # Every line is one JSON object (a secret cannot hide in a line that does not parse).
        lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
        assert any(line["msg"] == "outbound call" and line["level"] == "debug" for line in lines), stderr
    assert METRICS_TOKEN not in stdout + stderr
    # The run did log at debug level, including the outbound calls...
    assert "debug" in stderr and "outbound call" in stderr and fake_8x8.base in stderr, stderr
    assert "retrying" in stderr, stderr
    # ...but never the key.
    assert SECRET not in stdout, stdout
    assert SECRET not in stderr, stderr


def test_api_key_from_environment_never_logged(start_relay, fake_8x8):
    """Same with the key in RELAY_8X8_API_KEY and a create call that fails for good (401)."""
    fake_8x8.responses["POST /chat-gateway/v1/conversations"] = [(401, {"message": "invalid x-api-key"})]
    relay = start_relay(
        "serve", "--8x8-base-url", fake_8x8.base, "--8x8-channel-id", "chan-1", "--8x8-queue-id", "queue-1",
        "--log-level", "trace", env={"RELAY_8X8_API_KEY": SECRET})

    async def scenario():
        c = await start_chat(relay)
        async with c:
            await c.message("agent")
            failed = await c.expect_event("handover", state="failed")
            assert "401" in failed["reason"], failed
            assert SECRET not in failed["reason"]
        assert fake_8x8.calls("POST", "/chat-gateway/v1/conversations")[0]["headers"]["x-api-key"] == SECRET

    run(scenario())
    relay.stop()
    assert SECRET not in relay.stdout() + relay.stderr(), relay.output()
