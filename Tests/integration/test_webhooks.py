"""POST /webhooks/8x8 driven directly (as 8x8 would call it)."""

from chatclient import run, start_active_handover


def webhook(relay, event: dict, event_id, raw=None):
    """Signed like 8x8's (verification is on in the demo); tests/integration/test_webhook_signatures.py covers refusals."""
    return relay.post_webhook(event, event_id, raw=raw)


def test_verify_event_is_acknowledged(demo):
    r = webhook(demo, {"notificationVersion": "Chat Gateway v1.0", "eventType": "WEB_HOOK_VERIFY"}, "verify-1")
    assert r.status == 200, r
    assert r.json()["status"] == "verified"


def test_malformed_json_is_a_400_problem(demo):
    r = webhook(demo, None, "bad-1", raw=b'{"eventType": "MESSAGE", ')
    assert r.status == 400, r
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    problem = r.json()
    assert problem["status"] == 400 and problem["message"], problem


def test_event_for_an_unknown_conversation_is_ignored(demo):
    event = {"eventType": "MESSAGE", "conversationId": "no-such-conversation", "timestamp": 1,
             "data": {"isEcho": False, "sender": {"id": "agent-1", "type": "agent"}, "text": "hi"}}
    r = webhook(demo, event, "unknown-1")
    assert r.status == 200, r
    assert r.json()["status"] == "ignored", r


def test_duplicate_event_id_is_delivered_once(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-7")
        async with c:
            event = {"eventType": "MESSAGE", "conversationId": cid, "timestamp": 1,
                     "data": {"isEcho": False, "sender": {"id": "agent-7", "type": "agent"}, "text": "only once"}}
            first = webhook(demo, event, "evt-dup-1")
            assert (first.status, first.json()["status"]) == (200, "accepted"), first
            msg = await c.recv()
            assert (msg["type"], msg["from"], msg["text"], msg["agentId"]) == ("message", "agent", "only once", "agent-7")

            second = webhook(demo, event, "evt-dup-1")
            assert (second.status, second.json()["status"]) == (200, "duplicate"), second

            # The next frame is the ack of a new message, not a second copy.
            await c.send({"type": "message", "id": "probe", "text": "got it"})
            ack = await c.recv()
            assert ack == {"type": "ack", "id": "probe", "seq": msg["seq"] + 1}, ack
            assert [f["text"] for f in c.frames if f.get("text") == "only once"] == ["only once"]

            # A different event id with the same content is a new event.
            third = webhook(demo, event, "evt-dup-2")
            assert third.json()["status"] == "accepted", third
            again = await c.expect_event("message", text="only once")
            assert again["seq"] == msg["seq"] + 2, again

    run(scenario())


def test_webhook_envelope_errors(demo):
    for body, why in [({"conversationId": "c-1", "data": {}}, "eventType"),
                      ({"eventType": "MESSAGE", "data": {"text": "x"}}, "conversationId"),
                      ({"eventType": "MEMBERS_CHANGED", "conversationId": "c-1", "data": {}}, "MEMBERS_CHANGED"),
                      ([1, 2], "object")]:
        r = webhook(demo, body, f"env-{why}")
        assert r.status == 400, (body, r)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "bad_webhook", r
    big = b'{"eventType":"MESSAGE","conversationId":"c-1","data":{"text":"' + b"a" * (1 << 20) + b'"}}'
    r = webhook(demo, None, "big", raw=big)
    assert r.status == 413, r
    assert r.json()["code"] == "body_too_large", r
    r = demo.get("/webhooks/8x8")
    assert r.status == 405, r
    assert demo.healthy()


def test_webhook_event_effects(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-7")
        async with c:
            def event(event_type, data, eid):
                r = webhook(demo, {"eventType": event_type, "conversationId": cid, "timestamp": 1, "data": data}, eid)
                assert r.status == 200, r
                return r.json()["status"]

            assert event("MESSAGE", {"isEcho": False, "sender": {"type": "system"}, "text": "Agent is away"}, "w1") \
                == "accepted"
            system = await c.recv()
            assert (system["type"], system["from"], system["text"]) == ("message", "system", "Agent is away"), system

            assert event("ACTIVITY", {"name": "typing", "value": {"users": [{"id": "agent-7"}]}}, "w2") == "accepted"
            assert await c.recv() == {"type": "typing", "from": "agent", "active": True}
            assert event("ACTIVITY", {"name": "typing", "value": {"users": []}}, "w3") == "accepted"
            assert await c.recv() == {"type": "typing", "from": "agent", "active": False}

            # No visible effect: a stale QUEUED, an unknown event type, an echo of our own message.
            event("QUEUED", {"queueId": "support", "queueName": "Support"}, "w4")
            event("SOMETHING_NEW", {"x": 1}, "w5")
            event("MESSAGE", {"isEcho": True, "sender": {"type": "user"}, "text": "echoed"}, "w6")
            event("ACTIVITY", {"name": "quickReply/action", "value": {}}, "w7")
            await c.send({"type": "message", "id": "probe", "text": "still with the agent?"})
            assert await c.recv() == {"type": "ack", "id": "probe", "seq": system["seq"] + 1}
            await c.recv()  # echo

            # The user left on 8x8's side.
            assert event("MEMBERS_CHANGED", {"memberType": "user", "change": "left"}, "w8") == "accepted"
            ended = await c.recv()
            assert (ended["type"], ended["state"], ended["by"]) == ("handover", "ended", "user"), ended
            back = await c.recv()
            assert back["from"] == "bot", back
            # After the end, the conversation's events change nothing.
            event("MESSAGE", {"isEcho": False, "sender": {"id": "agent-7", "type": "agent"}, "text": "late"}, "w9")
            await c.send({"type": "message", "id": "after", "text": "what are your opening hours?"})
            assert await c.recv() == {"type": "ack", "id": "after", "seq": back["seq"] + 1}

    run(scenario())


def test_api_info_and_static_files(demo, start_relay):
    info = demo.get("/api/info").json()
    assert info["simulator"] is True and info["agentConsoleUrl"] and info["version"], info
    index = demo.get("/")
    assert index.status == 200 and b"<html" in index.body.lower(), index
    assert demo.get("/no-such-file.html").status == 404

    served = start_relay("serve", "--8x8-base-url", "http://127.0.0.1:9", "--8x8-api-key", "k",
                         "--8x8-channel-id", "c", "--8x8-queue-id", "q")
    info = served.get("/api/info").json()
    assert info["simulator"] is False and info.get("agentConsoleUrl") is None, info
    assert served.get("/sim/agent/state").status == 404
