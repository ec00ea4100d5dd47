"""8x8 webhook signatures (issue 7, security 1), end to end with verification on.

The embedded simulator signs its own webhooks with an RSA key made at start and
serves its JWK; the tests also play 8x8 themselves with test keys
(Tests/support/webhook_signing.py, the `cryptography` package) registered with
the simulator, so the relay fetches them by `kid` exactly as it fetches 8x8's.
"""

import json

from chatclient import run, start_active_handover
from conftest import poll_until
from webhook_signing import SigningKey, now_ms, shared_key

JWK_CALLS = "GET /jwk/{kid}/public"


def message_event(cid: str, text: str) -> dict:
    return {"eventType": "MESSAGE", "conversationId": cid, "timestamp": 1,
            "data": {"isEcho": False, "sender": {"id": "agent-7", "type": "agent"}, "text": text}}


def assert_refused(r, status: int, code: str):
    assert r.status == status, r
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    problem = r.json()
    assert (problem["status"], problem["code"]) == (status, code), problem


def jwk_fetches(relay) -> int:
    return relay.sim_stats()["calls"].get(JWK_CALLS, 0)


def test_signed_webhooks_accepted_and_forgeries_refused(demo):
    async def scenario():
        # The whole handover runs on the simulator's signed webhooks.
        c, cid = await start_active_handover(demo, "agent-7")
        async with c:
            demo.sim_agent(cid, "messages", {"text": "signed by the simulator"})
            await c.expect_event("message", text="signed by the simulator", agentId="agent-7")

            # A valid webhook signed with a test key is accepted.
            r = demo.post_webhook(message_event(cid, "valid"), "sig-valid")
            assert (r.status, r.json()["status"]) == (200, "accepted"), r
            await c.expect_event("message", text="valid")

            body = json.dumps(message_event(cid, "body-text-forged")).encode()
            key = shared_key()

            # Unsigned.
            r = demo.request("POST", "/webhooks/8x8", raw=body, headers={"x-8x8-event-id": "sig-unsigned"})
            assert_refused(r, 401, "unsigned_webhook")

            # Forged: another key claiming the registered key's kid.
            forger = SigningKey(kid=key.kid)
            headers = forger.headers(body, "sig-forged", tenant="demo-tenant")
            assert_refused(demo.request("POST", "/webhooks/8x8", raw=body, headers=headers), 401, "bad_signature")

            # Forged: a key 8x8 (here the simulator) does not have.
            stranger = SigningKey()
            headers = stranger.headers(body, "sig-unknown-kid", tenant="demo-tenant")
            assert_refused(demo.request("POST", "/webhooks/8x8", raw=body, headers=headers), 401, "bad_signature")

            # Tampered: a genuine signature over another body.
            headers = key.headers(json.dumps(message_event(cid, "body-text-original")).encode(), "sig-tampered", tenant="demo-tenant")
            assert_refused(demo.request("POST", "/webhooks/8x8", raw=body, headers=headers), 401, "bad_signature")

            # Malformed signature header.
            headers = key.headers(body, "sig-malformed", tenant="demo-tenant")
            headers["x-8x8-signature"] = "not-a-jws"
            assert_refused(demo.request("POST", "/webhooks/8x8", raw=body, headers=headers), 401, "bad_signature")

            # Replayed: genuinely signed, but transmitted 10 minutes ago.
            r = demo.post_webhook(None, "sig-replayed", raw=body, sent_ms=now_ms() - 600_000)
            assert_refused(r, 401, "stale_webhook")

            # Another tenant's event.
            r = demo.post_webhook(None, "sig-tenant", raw=body, tenant="other-tenant")
            assert_refused(r, 403, "wrong_tenant")

            # None of them reached the user (every frame received so far is in c.frames).
            ack = await c.message("still here")
            assert ack["type"] == "ack", ack
            assert not [f for f in c.frames if "body-text" in (f.get("text") or "")], c.frames

    run(scenario())
    # Refusals are logged at warning, without the body.
    log = demo.stderr()
    assert "refused 8x8 webhook" in log and "code=bad_signature" in log and "code=stale_webhook" in log, log[-3000:]
    assert "body-text" not in log


def test_unknown_kid_is_fetched_once(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-7")
        async with c:
            key = SigningKey()
            before = jwk_fetches(demo)
            for n in range(3):
                r = demo.post_webhook(message_event(cid, f"new key {n}"), f"kid-once-{n}", key=key)
                assert (r.status, r.json()["status"]) == (200, "accepted"), r
                await c.expect_event("message", text=f"new key {n}")
            assert jwk_fetches(demo) == before + 1

    run(scenario())


def test_jwk_endpoint_down_answers_503_and_live_conversations_go_on(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-7")
        async with c:
            key = SigningKey()
            before = jwk_fetches(demo)
            demo.sim_fault(503, 1, "GET /jwk/")  # the next key fetch fails

            r = demo.post_webhook(message_event(cid, "first try"), "down-1", key=key)
            assert_refused(r, 503, "signing_key_unavailable")
            assert int(r.headers["retry-after"]) >= 1, r.headers

            # The running conversation is unaffected: the simulator's key stays cached.
            demo.sim_agent(cid, "messages", {"text": "still talking"})
            await c.expect_event("message", text="still talking", agentId="agent-7")

            # 8x8 redelivers (same event id); once the backoff is over the key is fetched and the event accepted.
            answer = await poll_until(lambda: demo.post_webhook(message_event(cid, "first try"), "down-1", key=key),
                                      lambda r: r.status != 503, "the redelivery to be accepted",
                                      timeout=10, interval=0.25)
            assert (answer.status, answer.json()["status"]) == (200, "accepted"), answer
            await c.expect_event("message", text="first try")
            # One failed fetch and one good one: the redeliveries during the backoff did not reach 8x8.
            assert jwk_fetches(demo) == before + 2

    run(scenario())


def test_signatures_off_only_with_a_warning_off_loopback(start_relay, fake_8x8):
    # A loopback provider with verification off accepts unsigned events, silently.
    local = start_relay("serve", "--8x8-base-url", fake_8x8.base, "--8x8-api-key", "k", "--8x8-channel-id", "c",
                        "--8x8-queue-id", "q", "--8x8-webhook-signatures", "off")
    r = local.post("/webhooks/8x8", {"eventType": "WEB_HOOK_VERIFY"}, headers={"x-8x8-event-id": "off-1"})
    assert r.status == 200, r
    assert "webhook signatures are OFF" not in local.stderr()

    # A remote one starts, loudly.
    remote = start_relay("serve", "--8x8-base-url", "https://api.8x8.invalid", "--8x8-api-key", "k",
                         "--8x8-channel-id", "c", "--8x8-queue-id", "q", env={"RELAY_8X8_WEBHOOK_SIGNATURES": "off"})
    assert "webhook signatures are OFF" in remote.stderr(), remote.stderr()

    # Required (the default) refuses unsigned events.
    signed = start_relay("serve", "--8x8-base-url", fake_8x8.base, "--8x8-api-key", "k", "--8x8-channel-id", "c",
                         "--8x8-queue-id", "q")
    r = signed.post("/webhooks/8x8", {"eventType": "WEB_HOOK_VERIFY"}, headers={"x-8x8-event-id": "on-1"})
    assert_refused(r, 401, "unsigned_webhook")
    r = signed.post_webhook({"eventType": "WEB_HOOK_VERIFY"}, "on-2")
    assert r.status == 200, r
    assert fake_8x8.calls("GET", f"/jwk/{shared_key().kid}/public"), "the key was fetched from the provider"
