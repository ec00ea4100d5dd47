"""8x8 misbehaving: transient 5xx (retried), permanent 4xx (not retried), unreachable."""

from chatclient import BOT, USER, ChatClient, assert_contiguous, run, start_active_handover, start_chat, user_texts
from conftest import free_port, poll_until

CREATE = "POST /conversations"
SHORT_RETRY = {"retry": {"maxAttempts": 2, "baseDelayMs": 50, "maxDelayMs": 100}}


def test_create_500_then_202_is_retried(start_relay):
    relay = start_relay("demo", config=SHORT_RETRY)

    async def scenario():
        relay.sim_fault(500, 1, CREATE)
        c = await start_chat(relay)
        async with c:
            await c.message("agent please")
            await c.expect_event("handover", state="requested")
            queued = await c.expect("handover")
            assert (queued["state"], queued["queueId"]) == ("queued", "support"), queued
            conversation = await relay.sim_wait_conversation(0)
            assert len(relay.sim_conversations()) == 1
            assert relay.sim_stats()["calls"].get(CREATE) == 2
            assert relay.get("/sim/admin/faults").json() == {"faults": []}
            relay.sim_agent(conversation["id"], "accept", {"agentId": "agent-4"})
            await c.expect_event("handover", state="active", agentId="agent-4")
            assert_contiguous(c.events())

    run(scenario())


def test_create_400_fails_without_retrying(start_relay):
    relay = start_relay("demo", config=SHORT_RETRY)

    async def scenario():
        relay.sim_fault(400, 1000, CREATE)
        c = await start_chat(relay)
        async with c:
            await c.message("agent please")
            requested = await c.expect_event("handover", state="requested")
            failed = await c.recv()
            assert (failed["type"], failed["state"], failed["seq"]) == ("handover", "failed", requested["seq"] + 1), failed
            assert "400" in failed["reason"], failed
            bot = await c.recv()
            assert (bot["type"], bot["from"], bot["seq"]) == ("message", "bot", failed["seq"] + 1), bot

            # Back with the bot, and 8x8 was asked exactly once.
            await c.message("how long does delivery take?")
            await c.expect_event("message", **USER)
            reply = await c.recv()
            assert reply["from"] == "bot" and "delivery" in reply["text"].lower(), reply
            assert relay.sim_stats()["calls"].get(CREATE) == 1
            assert relay.sim_conversations() == []
            assert_contiguous(c.events())

    run(scenario())


def test_8x8_unreachable(start_relay):
    closed_port = free_port()  # bound, read and closed again: nothing listens there
    relay = start_relay(
        "serve", "--8x8-base-url", f"http://127.0.0.1:{closed_port}", "--8x8-api-key", "test-key",
        "--8x8-channel-id", "chan-1", "--8x8-queue-id", "queue-1",
        config={"retry": {"maxAttempts": 3, "baseDelayMs": 50, "maxDelayMs": 100}})

    async def scenario():
        c = await start_chat(relay)
        sid, token = c.welcome["sessionId"], c.welcome["resumeToken"]
        # The user keeps typing while the relay tries to reach 8x8 (sent back to back with "agent",
        # so they arrive while the create call and its retries are under way).
        await c.send({"type": "message", "id": "ask", "text": "I need a human"})
        await c.send({"type": "message", "id": "while-1", "text": "my order number is 1234"})
        await c.send({"type": "message", "id": "while-2", "text": "hello?"})

        requested = await c.expect_event("handover", state="requested")
        assert requested["queueId"] == "queue-1"
        failed = await c.expect("handover")
        assert failed["state"] == "failed", failed
        acks = {f["id"]: f["seq"] for f in c.frames if f["type"] == "ack"}
        assert set(acks) == {"ask", "while-1", "while-2"}, c.frames
        assert "unreachable" in failed["reason"], failed
        bot = await c.recv()
        assert (bot["type"], bot["from"], bot["seq"]) == ("message", "bot", failed["seq"] + 1), bot

        # maxAttempts 3: two retries were scheduled, then the relay gave up.
        assert relay.stderr().count("retrying in") == 2, relay.stderr()

        events = c.events()
        assert_contiguous(events)
        during = [e for e in events if requested["seq"] < e["seq"] < failed["seq"]]
        # The user's messages, and once (after the first failed attempt) the truth about 8x8.
        assert [(e["from"], e.get("id")) for e in during if e["from"] == "user"] == [("user", "while-1"), ("user", "while-2")], during
        notices = [e["text"] for e in during if e["from"] == "system"]
        assert notices == ["Our agents can't be reached right now. We'll keep trying and connect you as soon as we can."], during
        await c.message("ok, thanks")
        await c.expect_event("message", **BOT)
        await c.close()

        r = await ChatClient.connect(relay.ws_url, label="replay")
        async with r:
            welcome = await r.hello(sessionId=sid, resumeToken=token, lastSeq=0)
            assert welcome["mode"] == "bot" and "handover" not in welcome, welcome
            replay = [await r.recv() for _ in range(welcome["lastSeq"])]
            assert_contiguous(replay)
            ids = [e.get("id") for e in replay if e.get("from") == "user"]
            assert ids[:3] == ["ask", "while-1", "while-2"], ids

    run(scenario())


MESSAGES = "POST /conversations/{id}/messages"


def test_user_messages_are_retried_and_delivered_once_in_order(start_relay):
    relay = start_relay("demo", config={"retry": {"maxAttempts": 3, "baseDelayMs": 50, "maxDelayMs": 100}})

    async def scenario():
        c, cid = await start_active_handover(relay, "agent-2")
        async with c:
            relay.sim_fault(503, 2, "POST /conversations/")  # the first message fails twice, then lands
            await c.message("first")
            await c.message("second")
            await c.message("third")
            conv = await relay.sim_wait(cid, lambda conv: len(user_texts(conv)) >= 3, "three user messages at 8x8")
            assert user_texts(conv) == ["first", "second", "third"]
            assert relay.sim_stats()["calls"][MESSAGES] == 5
            assert not [f for f in c.frames if f.get("state") == "failed"]

    run(scenario())


def test_user_message_refused_by_8x8_fails_the_handover(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-2")
        async with c:
            demo.sim_fault(400, 100, "POST /conversations/")
            ack = await c.message("this one is refused", id="refused")
            failed = await c.expect_event("handover")
            assert failed["state"] == "failed" and "400" in failed["reason"], failed
            bot = await c.recv()
            assert (bot["from"], bot["seq"]) == ("bot", failed["seq"] + 1), bot
            assert demo.sim_stats()["calls"][MESSAGES] == 1  # a 4xx is not retried
            # The message stays in the transcript.
            stored = [e for e in c.events() if e.get("id") == "refused"]
            assert len(stored) == 1 and stored[0]["seq"] == ack["seq"], stored
            # Back with the bot: the next message gets a bot answer and goes nowhere near 8x8.
            await c.message("what are your opening hours?")
            await c.expect_event("message", **USER)
            assert (await c.recv())["from"] == "bot"
            assert demo.sim_stats()["calls"][MESSAGES] == 1

    run(scenario())


def serve_against(start_relay, fake, *extra, config=None):
    return start_relay("serve", "--8x8-base-url", fake.base, "--8x8-api-key", "test-key", "--8x8-channel-id", "chan-1",
                       "--8x8-queue-id", "queue-1", *extra, config=config)


def test_cancel_while_the_create_call_is_in_flight(start_relay, fake_8x8):
    gate = fake_8x8.hold("POST /chat-gateway/v1/conversations")
    relay = serve_against(start_relay, fake_8x8)

    async def scenario():
        c = await start_chat(relay)
        async with c:
            await c.message("agent")
            await c.expect_event("handover", state="requested")
            await poll_until(lambda: fake_8x8.calls("POST", "/chat-gateway/v1/conversations"), bool,
                             "the create call to reach 8x8")
            await c.send({"type": "cancel_handover"})
            cancelled = await c.expect_event("handover")
            assert cancelled["state"] == "cancelled", cancelled
            assert (await c.recv())["from"] == "bot"
            assert fake_8x8.calls("PATCH", "/participants/user") == []  # no conversation id yet

            gate.set()  # 8x8 answers 202 now: the relay must leave the conversation it no longer wants
            await poll_until(lambda: fake_8x8.calls("PATCH", f"/conversations/{fake_8x8.conversation_id}/participants/user"),
                             bool, "the user to be removed from the late conversation")
            # A late QUEUED for it changes nothing.
            r = relay.post_webhook({"eventType": "QUEUED", "conversationId": fake_8x8.conversation_id,
                                    "data": {"queueId": "queue-1"}}, "late-q")
            assert r.status == 200
            await c.send({"type": "message", "id": "next", "text": "hi"})
            assert await c.recv() == {"type": "ack", "id": "next", "seq": cancelled["seq"] + 2}

    run(scenario())
