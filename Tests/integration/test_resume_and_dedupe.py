"""Resuming a dropped connection, and retransmitted client message ids."""

from chatclient import (BOT, ChatClient, assert_contiguous, run, start_active_handover, start_chat,
                        user_texts)


def test_resume_replays_exactly_the_missed_events(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-7")
        demo.sim_agent(cid, "messages", {"text": "seen before the drop"})
        await c.expect_event("message", text="seen before the drop")
        seen = c.events()
        assert_contiguous(seen)
        last_seen = seen[-1]["seq"]
        sid, token = c.welcome["sessionId"], c.welcome["resumeToken"]

        settled = await demo.sim_webhooks_settled(0)
        delivered_before = settled["webhooks"]["delivered"]
        c.drop()

        # While the user is away, the agent writes twice.
        demo.sim_agent(cid, "messages", {"text": "missed one"})
        demo.sim_agent(cid, "messages", {"text": "missed two"})
        await demo.sim_webhooks_settled(delivered_before + 2)

        r = await ChatClient.connect(demo.ws_url, label="resumed")
        async with r:
            welcome = await r.hello(sessionId=sid, resumeToken=token, lastSeq=last_seen)
            assert welcome["resumed"] is True and welcome["sessionId"] == sid, welcome
            assert welcome["lastSeq"] == last_seen + 2, welcome
            assert welcome["mode"] == "handover", welcome
            assert welcome["handover"]["state"] == "active" and welcome["handover"]["agentId"] == "agent-7", welcome

            first, second = await r.recv(), await r.recv()
            assert (first["type"], first["from"], first["text"], first["seq"]) == \
                ("message", "agent", "missed one", last_seen + 1), first
            assert (second["type"], second["from"], second["text"], second["seq"]) == \
                ("message", "agent", "missed two", last_seen + 2), second

            # Nothing else was replayed: the next frame is the ack of a new message.
            await r.send({"type": "message", "id": "after-resume", "text": "I'm back"})
            ack = await r.recv()
            assert ack == {"type": "ack", "id": "after-resume", "seq": last_seen + 3}, ack
            echo = await r.recv()
            assert (echo["from"], echo["id"], echo["seq"]) == ("user", "after-resume", last_seen + 3), echo
            # The handover survived the reconnect.
            await demo.sim_wait(cid, lambda conv: "I'm back" in user_texts(conv), "the message after resuming")

    run(scenario())


def test_resume_from_zero_replays_the_whole_log(demo):
    async def scenario():
        c = await start_chat(demo)
        await c.message("how long does shipping take?")
        await c.expect_event("message", **BOT)
        await c.message("and returns?")
        await c.expect_event("message", **BOT)
        transcript = c.events()
        assert_contiguous(transcript)
        await c.close()

        r = await ChatClient.connect(demo.ws_url, label="resumed")
        async with r:
            welcome = await r.hello(sessionId=c.welcome["sessionId"], resumeToken=c.welcome["resumeToken"], lastSeq=0)
            assert welcome["resumed"] is True and welcome["lastSeq"] == len(transcript) and welcome["mode"] == "bot"
            replay = [await r.recv() for _ in transcript]
            assert replay == transcript
            await r.send({"type": "typing", "active": False})  # produces nothing
            await r.send({"type": "message", "id": "next", "text": "thanks"})
            assert await r.recv() == {"type": "ack", "id": "next", "seq": len(transcript) + 1}

    run(scenario())


def test_duplicate_message_id_with_the_bot(demo):
    async def scenario():
        c = await start_chat(demo)
        async with c:
            first = await c.message("what are your opening hours?", id="dup-1")
            await c.expect_event("message", id="dup-1")
            await c.expect_event("message", **BOT)

            # Retransmission (same id, same text), then the same id with other text: ack only.
            await c.send({"type": "message", "id": "dup-1", "text": "what are your opening hours?"})
            assert await c.recv() == {"type": "ack", "id": "dup-1", "seq": first["seq"]}
            await c.send({"type": "message", "id": "dup-1", "text": "something else"})
            assert await c.recv() == {"type": "ack", "id": "dup-1", "seq": first["seq"]}
            # No echo, no bot reply for the duplicates: the next frame belongs to the next message.
            await c.send({"type": "message", "id": "fresh", "text": "thanks"})
            ack = await c.recv()
            assert ack == {"type": "ack", "id": "fresh", "seq": first["seq"] + 2}, ack

        r = await ChatClient.connect(demo.ws_url, label="replay")
        async with r:
            welcome = await r.hello(sessionId=c.welcome["sessionId"], resumeToken=c.welcome["resumeToken"], lastSeq=0)
            replay = [await r.recv() for _ in range(welcome["lastSeq"])]
            assert_contiguous(replay)
            stored = [e for e in replay if e.get("id") == "dup-1"]
            assert len(stored) == 1 and stored[0]["text"] == "what are your opening hours?", stored

    run(scenario())


def test_duplicate_message_id_during_handover(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-7")
        async with c:
            first = await c.message("order 42 is late", id="dup-2")
            await c.expect_event("message", id="dup-2")
            await c.send({"type": "message", "id": "dup-2", "text": "order 42 is late"})
            assert await c.recv() == {"type": "ack", "id": "dup-2", "seq": first["seq"]}
            await c.send({"type": "message", "id": "after-dup", "text": "any news?"})
            assert await c.recv() == {"type": "ack", "id": "after-dup", "seq": first["seq"] + 1}

            # Messages reach 8x8 in order, so once the later one is there a duplicate would be too.
            conv = await demo.sim_wait(cid, lambda conv: "any news?" in user_texts(conv), "the later message")
            assert user_texts(conv) == ["order 42 is late", "any news?"], conv["messages"]
            assert demo.sim_stats()["calls"].get("POST /conversations/{id}/messages") == 2

    run(scenario())


def test_second_tab_sees_the_same_events(demo):
    async def scenario():
        a = await start_chat(demo, label="tab-a")
        b = await ChatClient.connect(demo.ws_url, label="tab-b")
        async with a, b:
            welcome = await b.hello(sessionId=a.welcome["sessionId"], resumeToken=a.welcome["resumeToken"], lastSeq=1)
            assert welcome["lastSeq"] == 1

            await a.message("where is my order?", id="from-a")
            echo = await b.recv()  # the other tab gets the echo, not the ack
            assert (echo["type"], echo["from"], echo["id"], echo["seq"]) == ("message", "user", "from-a", 2), echo
            bot = await b.recv()
            assert (bot["from"], bot["seq"]) == ("bot", 3), bot

            await b.message("thanks", id="from-b")
            echo = await a.expect_event("message", id="from-b")
            assert echo["seq"] == 4
            assert not [f for f in a.frames if f["type"] == "ack" and f["id"] == "from-b"]
            await a.expect_event("message", seq=5)
            await b.expect_event("message", seq=5)
            assert [e["seq"] for e in a.events()] == [1, 2, 3, 4, 5]
            assert [e["seq"] for e in b.events()] == [2, 3, 4, 5]

    run(scenario())
