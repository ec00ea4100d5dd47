"""The ops surface: /metrics (Prometheus text), /readyz, JSON log lines.

Scenarios run against `demo` (relay + rule bot + embedded 8x8 simulator) on
loopback; the agent's side is played through the simulator's agent routes.
"""

import json

from prometheus_text import scrape
from chatclient import AGENT, BOT, ChatClient, agent_accepts, ask_for_agent, run, start_chat, user_texts
from conftest import poll_until

METRICS_TOKEN = "metrics-token-for-tests-0123456789"
LEVELS_AT_INFO_OR_ABOVE = {"info", "notice", "warning", "error", "critical"}


async def chat_and_handover(relay, *, bot_text: str, agent_text: str, user_to_agent_text: str):
    """A user talks to the bot, is handed over, hears the agent, answers; returns (client, conversation id)."""
    c = await start_chat(relay, user={"name": "Ada"})
    await c.message(bot_text)
    await c.expect_event("message", **BOT)
    conversation = await ask_for_agent(relay, c)
    cid = conversation["id"]
    await agent_accepts(relay, c, cid, "agent-7")
    relay.sim_agent(cid, "messages", {"text": agent_text})
    await c.expect_event("message", text=agent_text, **AGENT)
    await c.message(user_to_agent_text)
    await relay.sim_wait(cid, lambda conv: user_to_agent_text in user_texts(conv), "the user's message at 8x8")
    return c, cid


def test_metrics_parse_and_move_with_a_chat_and_a_handover(demo):
    before = scrape(demo)
    for family, kind in [("relay_messages_total", "counter"), ("relay_sessions", "gauge"),
                         ("relay_log_commit_duration_seconds", "histogram"), ("relay_8x8_outbox_pending_calls", "gauge")]:
        assert before.types.get(family) == kind, (family, before.types)
    assert before.sum("relay_messages_total") == 0

    async def scenario():
        c, cid = await chat_and_handover(demo, bot_text="what are your opening hours?", agent_text="Hello, I'm Sam",
                                         user_to_agent_text="my order is late")
        async with c:
            during = scrape(demo)
            assert during.get("relay_websocket_connections", protocol="chat") == 1
            assert during.get("relay_websocket_connections_opened_total", protocol="chat") >= 1
            assert during.get("relay_sessions", state="with_agent") == 1
            assert during.get("relay_sessions", state="bot") == 0
            # greeting, FAQ answer, handover confirmation; the FAQ question and "agent please"; the agent's line; ours.
            assert during.get("relay_messages_total", direction="bot_to_user") >= 2
            assert during.get("relay_messages_total", direction="user_to_bot") == 2
            assert during.get("relay_messages_total", direction="agent_to_user") == 1
            assert during.get("relay_messages_total", direction="user_to_8x8") == 1
            assert during.get("relay_8x8_call_duration_seconds_count", operation="create_conversation") == 1
            assert during.get("relay_8x8_call_duration_seconds_count", operation="send_message") >= 1
            assert during.get("relay_8x8_call_duration_seconds_bucket", operation="create_conversation", le="+Inf") == 1
            assert during.sum("relay_8x8_call_errors_total") == 0
            assert during.get("relay_webhook_events_total", type="queued", result="accepted") >= 1
            assert during.get("relay_webhook_events_total", type="members_changed", result="accepted") >= 1
            assert during.get("relay_webhook_events_total", type="message", result="accepted") >= 1
            assert during.get("relay_log_events_appended_total") >= 8
            assert during.get("relay_log_commit_duration_seconds_count") >= 1
            assert during.get("relay_log_commit_failures_total") == 0

            demo.sim_agent(cid, "close")
            await c.expect_event("handover", state="ended")
        # The client closed: the gauge comes back down (no event to await on the relay's side).
        after = await poll_until(lambda: scrape(demo), lambda m: m.get("relay_websocket_connections", protocol="chat") == 0,
                                 "the chat connection gauge back to 0")
        assert after.sum("relay_websocket_connections_closed_total", protocol="chat") >= 1
        assert after.get("relay_sessions", state="bot") == 1 and after.get("relay_sessions", state="with_agent") == 0
        assert after.get("relay_messages_total", direction="user_to_bot") == during.get("relay_messages_total",
                                                                                       direction="user_to_bot")

    run(scenario())


def test_an_8x8_error_is_counted_by_operation_and_status(start_relay):
    demo = start_relay("demo", config={"retry": {"maxAttempts": 2, "baseDelayMs": 50, "maxDelayMs": 100}})
    demo.sim_fault(500, 1, "POST /conversations")  # simulator paths are relative to its /sim prefix

    async def scenario():
        c = await start_chat(demo)
        async with c:
            await ask_for_agent(demo, c)  # the first create fails with 500, the retry succeeds
        m = scrape(demo)
        assert m.get("relay_8x8_call_errors_total", operation="create_conversation", status="500") == 1
        assert m.get("relay_8x8_call_duration_seconds_count", operation="create_conversation") == 2

    run(scenario())


def test_session_ids_and_message_text_never_become_labels(demo):
    async def scenario():
        c = await start_chat(demo)
        async with c:
            await c.message("label-probe-text")
            await c.expect_event("message", **BOT)
            sid = c.welcome["sessionId"]
        text = demo.get("/metrics").body.decode()
        assert sid not in text and "label-probe-text" not in text

    run(scenario())


def test_metrics_token_is_enforced_when_set(start_relay):
    relay = start_relay("demo", env={"RELAY_METRICS_TOKEN": METRICS_TOKEN})
    missing = relay.get("/metrics")
    assert missing.status == 401 and missing.headers["www-authenticate"].startswith("Bearer"), missing
    assert missing.json()["code"] == "unauthorized"
    wrong = relay.get("/metrics", headers={"authorization": "Bearer " + METRICS_TOKEN[:-1] + "x"})
    assert wrong.status == 401, wrong
    assert scrape(relay, METRICS_TOKEN).types["relay_messages_total"] == "counter"
    # The other routes are unaffected.
    assert relay.healthy() and relay.get("/readyz").status == 200
    relay.stop()
    assert METRICS_TOKEN not in relay.stdout() + relay.stderr()


def test_metrics_only_answers_get(demo):
    r = demo.post("/metrics", {})
    assert r.status == 405 and r.json()["code"] == "method_not_allowed", r


def test_readyz_lists_its_checks(demo):
    r = demo.get("/readyz")
    assert r.status == 200, r
    body = r.json()
    assert body["status"] == "ready"
    assert {check["name"]: check["ok"] for check in body["checks"]} == {"restore": True, "store": True}
    assert demo.get("/healthz").json() == {"status": "ok"}


def json_log_lines(relay) -> list[dict]:
    lines = [line for line in relay.stderr().splitlines() if line.strip()]
    assert lines, relay.output()
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    return parsed


def test_json_logs_carry_session_and_conversation_and_never_message_text(start_relay):
    relay = start_relay("demo", "--log-format", "json", "--log-level", "debug")
    texts = {"bot": "what are your opening hours? zebra-1", "agent": "Hello from agent-text-quokka",
             "to_agent": "user-text-axolotl for the agent"}

    async def scenario():
        c, cid = await chat_and_handover(relay, bot_text=texts["bot"], agent_text=texts["agent"],
                                         user_to_agent_text=texts["to_agent"])
        async with c:
            relay.sim_agent(cid, "close")
            await c.expect_event("handover", state="ended")
        return c.welcome["sessionId"], cid

    sid, cid = run(scenario())
    relay.stop()
    lines = json_log_lines(relay)
    for line in lines:
        assert set(line) >= {"ts", "level", "msg", "logger"}, line
        assert line["ts"].endswith("Z") and len(line["ts"]) == len("2026-01-01T00:00:00.000Z"), line

    by_msg = {}
    for line in lines:
        by_msg.setdefault(line["msg"], []).append(line)
    assert by_msg["session started"][0]["session"] == sid
    for msg in ("handover queued", "handover active", "handover ended", "8x8 conversation created"):
        assert msg in by_msg, f"no {msg!r} line: {sorted(by_msg)}"
        assert by_msg[msg][0]["session"] == sid and by_msg[msg][0]["conversation"] == cid, by_msg[msg]
    outbound = [line for line in by_msg.get("outbound call", []) if line.get("operation") == "send_message"]
    assert outbound and outbound[0]["session"] == sid and outbound[0]["conversation"] == cid, by_msg.get("outbound call")

    loud = [line for line in lines if line["level"] in LEVELS_AT_INFO_OR_ABOVE]
    assert loud, lines
    for line in loud:
        flat = json.dumps(line)
        for text in texts.values():
            assert text not in flat, f"message text logged at {line['level']}: {line}"
        for fragment in ("zebra", "quokka", "axolotl"):
            assert fragment not in flat, line


def test_text_logs_stay_the_default(demo):
    demo.stop()
    first = next(line for line in demo.stderr().splitlines() if line.strip())
    assert not first.startswith("{"), first
