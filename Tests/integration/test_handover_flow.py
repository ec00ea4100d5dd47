"""The end-user journey against `demo` (relay + rule bot + embedded 8x8 simulator)."""

import re

from chatclient import (AGENT, BOT, USER, ChatClient, agent_accepts, ask_for_agent, assert_contiguous, run,
                        start_active_handover, start_chat, user_texts)

COPILOT_URL = re.compile(
    r"^https?://[^/?#]+/copilot/\?sessionId=(?P<sid>[^&]+)&userId=(?P<uid>[^&]+)&URLToken=(?P<token>[A-Za-z0-9_.\-]+)$")


def test_full_handover_script(demo):
    async def scenario():
        c = await ChatClient.connect(demo.ws_url)
        async with c:
            welcome = await c.hello(user={"name": "Ada", "email": "ada@example.com"})
            assert welcome["resumed"] is False and welcome["lastSeq"] == 0 and welcome["mode"] == "bot", welcome
            sid = welcome["sessionId"]
            assert sid and welcome["resumeToken"]

            greeting = await c.recv()
            assert greeting["type"] == "message" and greeting["from"] == "bot" and greeting["seq"] == 1, greeting
            assert "Ada" in greeting["text"]

            # An FAQ question: ack before the echo, then the bot's answer.
            ack = await c.message("what are your opening hours?", id="faq-1")
            assert ack["seq"] == 2
            echo = await c.recv()
            assert echo == {**echo, "type": "message", "from": "user", "id": "faq-1", "seq": 2,
                            "text": "what are your opening hours?"}, echo
            answer = await c.recv()
            assert answer["type"] == "message" and answer["from"] == "bot" and answer["seq"] == 3, answer
            assert "Monday" in answer["text"], answer

            # "agent": bot confirms, then requested, then queued.
            ack = await c.message("I want an agent", id="ask-agent")
            assert ack["seq"] == 4
            assert (await c.recv())["id"] == "ask-agent"
            reply = await c.recv()
            assert reply["type"] == "message" and reply["from"] == "bot" and reply["seq"] == 5, reply
            requested = await c.recv()
            assert requested["type"] == "handover" and requested["state"] == "requested" and requested["seq"] == 6
            assert requested["queueId"] == "support"
            queued = await c.expect_event("handover")
            assert (queued["state"], queued["seq"], queued["queueId"], queued["queueName"]) == \
                ("queued", 7, "support", "Support"), queued

            # What 8x8 received in the create request.
            conversation = await demo.sim_wait_conversation(0)
            cid = conversation["id"]
            assert conversation["channelId"] == "demo-channel" and conversation["queueId"] == "support"
            user = conversation["user"]
            assert user["name"] == "Ada" and user["email"] == "ada@example.com", user
            history = [(m["authorType"], m["text"]) for m in conversation["history"]]
            assert history == [("bot", greeting["text"]), ("user", "what are your opening hours?"),
                               ("bot", answer["text"]), ("user", "I want an agent"), ("bot", reply["text"])], history
            props = {p["key"]: p["value"] for p in user["additionalProperties"]}
            match = COPILOT_URL.match(props.get("copilotUrl", ""))
            assert match, f"copilotUrl has the wrong shape: {props}"
            assert match["sid"] == sid and match["uid"] == user["userId"], props

            # The agent accepts and writes.
            active = await agent_accepts(demo, c, cid, "agent-7")
            assert active["seq"] == 8
            demo.sim_agent(cid, "messages", {"text": "Hello, I'm Sam"})
            agent_msg = await c.recv()
            assert agent_msg == {**agent_msg, "type": "message", "from": "agent", "agentId": "agent-7",
                                 "text": "Hello, I'm Sam", "seq": 9}, agent_msg

            # The user's message goes to 8x8, not to the bot.
            ack = await c.message("my order 1234 is late", id="to-agent")
            assert ack["seq"] == 10
            assert (await c.recv())["id"] == "to-agent"
            await demo.sim_wait(cid, lambda conv: "my order 1234 is late" in user_texts(conv),
                                "the user's message in the simulator conversation")

            # Agent typing on/off reaches the user (the very next frames: no bot reply slipped in).
            demo.sim_agent(cid, "typing", {"active": True})
            assert await c.recv() == {"type": "typing", "from": "agent", "active": True}
            demo.sim_agent(cid, "typing", {"active": False})
            assert await c.recv() == {"type": "typing", "from": "agent", "active": False}

            # User typing reaches the agent.
            await c.send({"type": "typing", "active": True})
            await demo.sim_wait(cid, lambda conv: conv["userTyping"] is True, "userTyping true in the simulator")

            # The agent closes: ended by agent, then the bot is back.
            demo.sim_agent(cid, "close")
            ended = await c.recv()
            assert ended == {**ended, "type": "handover", "state": "ended", "by": "agent", "seq": 11}, ended
            back = await c.recv()
            assert back["type"] == "message" and back["from"] == "bot" and back["seq"] == 12, back

            # The bot answers again.
            ack = await c.message("how long does delivery take?", id="after")
            assert ack["seq"] == 13
            assert (await c.recv())["id"] == "after"
            bot_again = await c.recv()
            assert bot_again["type"] == "message" and bot_again["from"] == "bot" and bot_again["seq"] == 14, bot_again
            assert "delivery" in bot_again["text"].lower()

            events = c.events()
            assert_contiguous(events)
            during = [e for e in events if active["seq"] < e["seq"] < ended["seq"]]
            assert not [e for e in during if e.get("from") == "bot"], f"bot spoke during the handover: {during}"
            assert user_texts(demo.sim_conversation(cid)) == ["my order 1234 is late"]

    run(scenario())


# Regression: the first user typing during a handover used to crash the relay ("arithmetic overflow" in
# RelayEngine.userTyping: `now - lastTypingSentMs` with lastTypingSentMs starting at Int64.min).
def test_the_epoll_loop_serves_the_same_flow(start_relay):
    # The default loop is lws's poll(); RELAY_EVENT_LOOP=epoll runs it on libev.
    relay = start_relay("demo", env={"RELAY_EVENT_LOOP": "epoll"})

    async def scenario():
        c, cid = await start_active_handover(relay)
        async with c:
            relay.sim_agent(cid, "messages", {"text": "Hello from the agent"})
            await c.expect_event("message", text="Hello from the agent")
            await c.message("thanks")
            await relay.sim_wait(cid, lambda conv: user_texts(conv)[-1:] == ["thanks"], "the user's message in 8x8")
    run(scenario())
    assert "using poll()" not in relay.stderr()  # asked for, not fallen back to
    assert "eventLoop=epoll" in relay.stderr(), relay.stderr()


def test_user_typing_reaches_agent(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-5")
        async with c:
            await c.send({"type": "typing", "active": True})
            await demo.sim_wait(cid, lambda conv: conv["userTyping"] is True, "userTyping true in the simulator")
            # The relay is still there and the handover still works.
            assert demo.alive, demo.output()
            await c.message("still there?")
            await demo.sim_wait(cid, lambda conv: "still there?" in user_texts(conv), "a message after typing")
            # Typing is forwarded at most every 3 s, and "stopped typing" is not an 8x8 call.
            await c.send({"type": "typing", "active": False})
            await c.send({"type": "typing", "active": True})
            await c.message("one more")
            await demo.sim_wait(cid, lambda conv: "one more" in user_texts(conv), "a later message")
            assert demo.sim_stats()["calls"].get("POST /conversations/{id}/typing") == 1
            assert_contiguous(c.events())

    run(scenario())


def test_transfer_to_another_queue(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-1")
        async with c:
            demo.sim_agent(cid, "messages", {"text": "Let me pass you to billing"})
            await c.expect_event("message", text="Let me pass you to billing", agentId="agent-1")

            demo.sim_agent(cid, "transfer", {"queueId": "billing"})
            transferred = await c.expect("handover")
            assert transferred["state"] == "transferred", transferred
            queued = await c.expect("handover")
            assert (queued["state"], queued["queueId"], queued["queueName"]) == ("queued", "billing", "Billing"), queued
            assert queued["seq"] == transferred["seq"] + 1

            active = await agent_accepts(demo, c, cid, "agent-2")
            assert active["seq"] == queued["seq"] + 1, "nothing (e.g. an 'ended') between queued and active"

            demo.sim_agent(cid, "messages", {"text": "Billing here"})
            msg = await c.expect_event("message", **AGENT)
            assert (msg["text"], msg["agentId"]) == ("Billing here", "agent-2")
            await c.message("thanks, billing")
            await demo.sim_wait(cid, lambda conv: "thanks, billing" in user_texts(conv), "message after transfer")

            events = c.events()
            assert_contiguous(events)
            handover_states = [e["state"] for e in events if e["type"] == "handover"]
            assert handover_states == ["requested", "queued", "active", "transferred", "queued", "active"], handover_states
            first_active = next(e["seq"] for e in events if e.get("state") == "active")
            assert not [e for e in events if e.get("from") == "bot" and e["seq"] > first_active], events

    run(scenario())


def test_cancel_while_queued(demo):
    async def scenario():
        c = await start_chat(demo)
        async with c:
            conversation = await ask_for_agent(demo, c)
            cid = conversation["id"]
            await c.send({"type": "cancel_handover"})
            cancelled = await c.expect("handover")
            assert cancelled["state"] == "cancelled", cancelled
            back = await c.recv()
            assert back["type"] == "message" and back["from"] == "bot" and back["seq"] == cancelled["seq"] + 1, back

            ended = await demo.sim_wait(cid, lambda conv: conv["state"] == "ended",
                                        "the simulator conversation to end")
            assert ended["endedBy"] == "user", ended

            await c.send({"type": "cancel_handover"})
            err = await c.recv()
            assert (err["type"], err["code"]) == ("error", "no_handover"), err

            await c.message("how do I return an item?")
            await c.expect_event("message", **USER)
            reply = await c.recv()
            assert reply["from"] == "bot" and "return" in reply["text"].lower(), reply
            assert_contiguous(c.events())

    run(scenario())


def test_request_handover_twice_is_refused(demo):
    async def scenario():
        c = await start_chat(demo)
        async with c:
            await c.send({"type": "request_handover"})
            await c.expect_event("handover", state="requested")
            await c.send({"type": "request_handover"})
            err = await c.expect("error")  # QUEUED may overtake it (it is skipped here, kept in c.frames)
            assert err["code"] == "handover_in_progress", err
            if not [f for f in c.frames if f.get("state") == "queued"]:
                await c.expect_event("handover", state="queued")
            assert [f["state"] for f in c.events() if f["type"] == "handover"] == ["requested", "queued"]
            await demo.sim_wait_conversation(0)
            assert len(demo.sim_conversations()) == 1

    run(scenario())


def test_end_session_then_resume_is_read_only(demo):
    async def scenario():
        c = await start_chat(demo)
        sid, token = c.welcome["sessionId"], c.welcome["resumeToken"]
        await c.message("what are your opening hours?")
        await c.expect_event("message", **BOT)
        await c.send({"type": "end"})
        code, _ = await c.expect_closed()
        assert code == 1000
        last = c.events()[-1]
        assert (last["type"], last["from"]) == ("message", "system"), last
        transcript = c.events()
        assert_contiguous(transcript)

        r = await ChatClient.connect(demo.ws_url, label="resume")
        async with r:
            welcome = await r.hello(sessionId=sid, resumeToken=token, lastSeq=0)
            assert welcome["resumed"] is True and welcome["lastSeq"] == last["seq"], welcome
            assert welcome.get("ended") is True, welcome
            replay = [await r.recv() for _ in transcript]
            assert replay == transcript
            await r.send({"type": "message", "id": "late", "text": "hello?"})
            err = await r.recv()
            assert (err["type"], err["code"]) == ("error", "session_ended"), err

    run(scenario())


def test_end_during_active_handover(demo):
    async def scenario():
        c, cid = await start_active_handover(demo, "agent-3")
        await c.send({"type": "end"})
        ended = await c.expect("handover")
        assert (ended["state"], ended["by"]) == ("ended", "user"), ended
        system = await c.recv()
        assert (system["type"], system["from"], system["seq"]) == ("message", "system", ended["seq"] + 1), system
        code, _ = await c.expect_closed()
        assert code == 1000
        assert not [f for f in c.frames if f.get("seq", 0) > system["seq"]]
        conv = await demo.sim_wait(cid, lambda conv: conv["state"] == "ended", "the simulator conversation to end")
        assert conv["endedBy"] == "user", conv

    run(scenario())
