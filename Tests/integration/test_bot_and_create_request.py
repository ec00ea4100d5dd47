"""The external bot contract, and what the create-conversation request carries."""

import json
import re

import pytest

from chatclient import BOT, USER, ChatClient, agent_accepts, assert_contiguous, run, start_chat, user_texts


def test_external_bot_turns_and_bot_requested_handover(start_relay, fake_bot):
    def reply(event):
        if event["event"] == "session_started":
            return 200, {"replies": [f"Hello {event['user'].get('name', 'you')}"]}
        if event["event"] == "message" and "billing" in event["text"]:
            return 200, {"replies": [{"text": "Passing you to billing"}], "handover": {"queueId": "billing"}}
        if event["event"] == "message":
            return 200, {"replies": [f"you said: {event['text']}", "anything else?"]}
        return 200, {"replies": [f"welcome back after {event['handover']['state']}"]}

    fake_bot.reply = reply
    relay = start_relay("demo", "--bot-url", fake_bot.base + "/bot")

    async def scenario():
        c = await ChatClient.connect(relay.ws_url)
        async with c:
            await c.hello(user={"name": "Lin", "email": "lin@example.com"})
            greeting = await c.expect_event("message", **BOT)
            assert (greeting["seq"], greeting["text"]) == (1, "Hello Lin")

            await c.message("hi", id="hi")
            await c.expect_event("message", id="hi")
            first, second = await c.recv(), await c.recv()
            assert (first["text"], second["text"]) == ("you said: hi", "anything else?")

            await c.message("I have a billing question")
            await c.expect_event("message", text="Passing you to billing")
            requested = await c.expect_event("handover", state="requested")
            assert requested["queueId"] == "billing", requested
            queued = await c.expect_event("handover", state="queued")
            assert queued["queueId"] == "billing", queued
            conversation = await relay.sim_wait_conversation(0)
            assert conversation["queueId"] == "billing"
            assert conversation["history"][-1] == {"authorType": "bot", "text": "Passing you to billing"}

            await agent_accepts(relay, c, conversation["id"], "agent-8")
            events_before = len(fake_bot.events())
            await c.message("is the bot listening?")
            await relay.sim_wait(conversation["id"], lambda conv: "is the bot listening?" in user_texts(conv),
                                 "the message at 8x8")
            relay.sim_agent(conversation["id"], "close")
            await c.expect_event("handover", state="ended", by="agent")
            back = await c.expect_event("message", **BOT)
            assert back["text"] == "welcome back after ended", back

            bot_events = fake_bot.events()
            assert [e["event"] for e in bot_events[events_before:]] == ["handover_finished"], bot_events
            assert bot_events[-1]["handover"] == {"state": "ended", "by": "agent"}, bot_events[-1]
            assert bot_events[0]["event"] == "session_started"
            assert bot_events[0]["user"] == {"name": "Lin", "email": "lin@example.com"}
            assert {e["sessionId"] for e in bot_events} == {c.welcome["sessionId"]}
            assert_contiguous(c.events())

    run(scenario())


def test_external_bot_failure_becomes_a_system_message(start_relay, fake_bot):
    fake_bot.reply = lambda event: (500, {"message": "bot crashed"})
    relay = start_relay("demo", "--bot-url", fake_bot.base + "/bot")

    async def scenario():
        c = await ChatClient.connect(relay.ws_url)
        async with c:
            await c.hello()
            system = await c.expect_event("message")
            assert system["from"] == "system" and "unavailable" in system["text"], system
            fake_bot.reply = lambda event: (200, b"<html>not json</html>")
            await c.message("hello?")
            await c.expect_event("message", **USER)
            system = await c.recv()
            assert system["from"] == "system", system
            # The user can still ask for a person.
            await c.send({"type": "request_handover"})
            await c.expect_event("handover", state="requested")
            await c.expect_event("handover", state="queued")

    run(scenario())


def test_create_request_properties_and_history_cap(start_relay):
    properties = {"user": {"company": "ACME", "additionalProperties": [{"key": "tier", "value": "gold"}]}}
    relay = start_relay("demo", "--8x8-channel-id", "ignored-in-demo", "--8x8-queue-id", "ignored-in-demo",
                        "--8x8-properties", json.dumps(properties),
                        config={"limits": {"messagesPerSecond": 0}})  # 110 messages back to back, over the default rate

    async def scenario():
        c = await start_chat(relay, user={"name": "Max", "userId": "crm-42", "phone": "+100", "language": "de"})
        async with c:
            for i in range(110):  # 1 + 2*110 + 2 = 223 transcript messages before the handover
                await c.send({"type": "message", "id": f"q{i}", "text": f"question {i}"})
            await c.expect_event("message", **{"from": "bot", "seq": 221})
            await c.message("agent")
            await c.expect_event("handover", state="queued")
            conversation = await relay.sim_wait_conversation(0)
            user = conversation["user"]
            assert (user["name"], user["userId"], user["phone"], user["language"], user["company"]) == \
                ("Max", "crm-42", "+100", "de", "ACME"), user
            keys = [p["key"] for p in user["additionalProperties"]]
            assert keys == ["copilotUrl", "relaySessionId", "tier"], keys
            assert "userId=crm-42" in user["additionalProperties"][0]["value"]

            transcript = [e for e in c.events() if e["type"] == "message"]
            history = conversation["history"]
            assert len(history) == 200, len(history)
            assert history == [{"authorType": e["from"], "text": e["text"]} for e in transcript[-200:]]

    run(scenario())


def copilot_url(relay) -> str:
    props = relay.sim_conversations()[0]["user"]["additionalProperties"]
    return next(p["value"] for p in props if p["key"] == "copilotUrl")


async def handover_copilot_url(relay) -> str:
    c = await start_chat(relay)
    async with c:
        await c.send({"type": "request_handover"})
        await c.expect_event("handover", state="queued")
    await relay.sim_wait_conversation(0)
    return copilot_url(relay)


def test_copilot_url_uses_the_public_url(start_relay):
    default = start_relay("demo")
    assert run(handover_copilot_url(default)).startswith(f"http://localhost:{default.port}/copilot/?")
    assert f"http://localhost:{default.port}/" in default.stdout()

    flag = start_relay("demo", "--public-url", "https://relay.example.com")
    assert run(handover_copilot_url(flag)).startswith("https://relay.example.com/copilot/?sessionId=")

    from_file = start_relay("demo", config={"publicUrl": "https://chat.example.org"})
    assert run(handover_copilot_url(from_file)).startswith("https://chat.example.org/copilot/?sessionId=")


def test_copilot_url_default_follows_the_port_with_a_config_file(start_relay):
    relay = start_relay("demo", config={"retry": {"maxAttempts": 2}})
    url = run(handover_copilot_url(relay))
    assert re.match(rf"^http://localhost:{relay.port}/copilot/\?", url), url
