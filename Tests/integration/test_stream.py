"""`handover.stream.v1` on /ws/stream: replay from the durable log, the switch to live, resuming by
offset and epoch, filters and token limits, refusals, and disconnecting a subscriber that stops reading."""

import asyncio
import json
import os
import time

from chatclient import agent_accepts, ask_for_agent, new_id, raw_handshake, run, start_chat
from copilotclient import b64url_decode, sign_token
from streamclient import (STREAM_SCOPE, StalledSubscriber, StreamClient, assert_increasing, integrator_token,
                          last_offset, open_narrow, read_log)


async def flood(chat, count: int, size: int = 4000, prefix: str = "flood") -> dict:
    """Sends `count` user messages without waiting in between; returns the ack of the last."""
    ids = [new_id(prefix) for _ in range(count)]
    for mid in ids:
        await chat.send({"type": "message", "id": mid, "text": (mid + " ") + "x" * (size - len(mid) - 1)})
    return await chat.expect("ack", id=ids[-1], timeout=15)


async def message_and_reply(chat, text: str) -> dict:
    """A user message and the bot's answer to it (the event after the echo); returns the answer."""
    ack = await chat.message(text)
    return await chat.expect("message", predicate=lambda f: f["seq"] > ack["seq"] and f["from"] == "bot")


def chat_events_by_seq(chat) -> dict:
    return {e["seq"]: e for e in chat.events()}


# -- replay, live, resume -----------------------------------------------------------------------------

def test_replay_from_start_then_live_with_no_gap_while_a_chat_keeps_sending(start_relay):
    """A subscriber joining mid-conversation with from=start gets offset 1… then `live`, then live events;
    meanwhile another chat sends without pause. Offsets strictly increase, nothing is missing or doubled,
    and the union is the log as GET /api/events reads it."""
    demo = start_relay("demo", config={"limits": {"messagesPerSecond": 0}})  # sends without pause, over the default rate

    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        first = await start_chat(demo, label="first")
        busy = await start_chat(demo, label="busy")
        async with first, busy:
            # Far more than the replay budget (256 KiB) already logged, and a subscriber on a narrow socket
            # that reads nothing at first: the replay pauses for the socket, and the busy chat's events are
            # committed while it does.
            await flood(first, 200)
            sent = {"before": 0, "after": 0}
            some_sent, live_seen = asyncio.Event(), asyncio.Event()

            async def keep_sending():
                for i in range(2000):
                    await busy.message(f"keep going {i}")
                    sent["after" if live_seen.is_set() else "before"] += 1
                    if sent["before"] == 5:
                        some_sent.set()
                    if sent["after"] == 10:
                        return
                raise AssertionError("the subscriber never went live")

            sub = await open_narrow(demo, label="subscriber")
            async with sub:
                subscribed = await sub.subscribed(token, from_="start")
                assert subscribed["position"] == 0 and subscribed["recovered"] is True, subscribed
                assert "reason" not in subscribed and isinstance(subscribed["epoch"], str) and subscribed["epoch"]
                assert subscribed["lastOffset"] >= 400, subscribed
                sender = asyncio.create_task(keep_sending())
                await asyncio.wait_for(some_sent.wait(), 10)
                live = await sub.until_live(timeout=15)
                live_seen.set()
                await asyncio.wait_for(sender, 30)
                log, page = read_log(demo, token)
                assert page["epoch"] == subscribed["epoch"]
                await sub.until_offset(log[-1]["offset"], timeout=10)
                assert await sub.quiet(0.2) == []
            # Events committed during the replay came through the replay; the rest came live.
            assert live["offset"] > subscribed["lastOffset"], (subscribed, live)

            frames = sub.frames
            assert frames[0] is subscribed and frames.count(live) == 1, frames[:3]
            assert all(f["type"] in ("subscribed", "event", "live") for f in frames), \
                [f for f in frames if f["type"] not in ("subscribed", "event", "live")]
            events = sub.stream_events()
            assert_increasing(events)
            assert events == log, "the stream differs from the log read over HTTP"
            assert [e["offset"] for e in events] == list(range(1, len(events) + 1))
            split = frames.index(live)
            replayed = [f for f in frames[:split] if f["type"] == "event"]
            live_events = [f for f in frames[split:] if f["type"] == "event"]
            assert replayed and replayed[-1]["offset"] == live["offset"], (replayed[-1:], live)
            assert live["offset"] >= subscribed["lastOffset"]
            assert live_events and live_events[0]["offset"] == live["offset"] + 1, live_events[:1]

            # Each envelope carries the chat event exactly as the chat client saw it.
            for chat in (first, busy):
                sid = chat.welcome["sessionId"]
                mine = [e for e in events if e["sessionId"] == sid]
                assert [e["seq"] for e in mine] == list(range(1, len(mine) + 1)), sid
                seen = chat_events_by_seq(chat)
                for e in mine:
                    inner = e["event"]
                    assert (e["kind"], e["ts"], e["seq"]) == (inner["type"], inner["ts"], inner["seq"]), e
                    if e["seq"] in seen:
                        assert e["event"] == seen[e["seq"]], (e, seen[e["seq"]])

    run(scenario(), timeout=90)


def test_resume_with_offset_and_epoch_gets_exactly_the_missed_events(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(demo)
        async with chat:
            await message_and_reply(chat, "what are your opening hours?")
            sub = await StreamClient.open(demo, label="first")
            async with sub:
                subscribed = await sub.subscribed(token, from_="start")
                live = await sub.until_live()
            epoch, seen = subscribed["epoch"], live["offset"]
            assert sub.offsets() == list(range(1, seen + 1))

            # Missed while disconnected.
            for text in ("where is my order?", "returns", "thanks"):
                await message_and_reply(chat, text)
            log, _ = read_log(demo, token)
            missed = [e for e in log if e["offset"] > seen]
            assert len(missed) >= 6, missed

            again = await StreamClient.open(demo, label="resumed")
            async with again:
                resumed = await again.subscribed(token, from_={"offset": seen, "epoch": epoch})
                assert resumed == {"type": "subscribed", "epoch": epoch, "position": seen,
                                   "lastOffset": log[-1]["offset"], "recovered": True}, resumed
                caught_up = await again.until_live()
                assert caught_up["offset"] == log[-1]["offset"]
                assert again.stream_events() == missed
                # …then live, exactly once.
                ack = await chat.message("one more")
                frame = await again.expect("event")
                assert (frame["sessionId"], frame["seq"], frame["offset"]) == \
                    (chat.welcome["sessionId"], ack["seq"], log[-1]["offset"] + 1), frame

            # Already up to date: nothing to replay.
            end = last_offset(demo, token)
            current = await StreamClient.open(demo, label="up-to-date")
            async with current:
                s = await current.subscribed(token, from_={"offset": end, "epoch": epoch})
                assert (s["position"], s["lastOffset"], s["recovered"]) == (end, end, True), s
                assert (await current.recv()) == {"type": "live", "offset": end}

    run(scenario())


def test_from_now_is_the_default_and_from_ts_starts_at_that_time(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(demo)
        async with chat:
            await message_and_reply(chat, "opening hours?")
            await message_and_reply(chat, "delivery?")
            log, _ = read_log(demo, token)
            end = log[-1]["offset"]

            for label, from_ in (("default", None), ("now", "now")):
                sub = await StreamClient.open(demo, label=label)
                async with sub:
                    s = await sub.subscribed(token, from_=from_)
                    assert (s["position"], s["lastOffset"], s["recovered"]) == (end, end, True), s
                    assert await sub.recv() == {"type": "live", "offset": end}
                    ack = await chat.message(f"live for {label}")
                    frame = await sub.expect("event")
                    assert frame["offset"] == end + 1 and frame["seq"] == ack["seq"], frame
                    await chat.expect("message", predicate=lambda f: f["seq"] > ack["seq"] and f["from"] == "bot")
                log, _ = read_log(demo, token)
                end = log[-1]["offset"]

            # {"ts": T}: from the first event with ts >= T.
            pivot = next(e for e in log if e["ts"] > log[0]["ts"])
            expected = log[log.index(pivot):]
            sub = await StreamClient.open(demo, label="since")
            async with sub:
                s = await sub.subscribed(token, from_={"ts": pivot["ts"]})
                assert s["position"] == pivot["offset"] - 1 and s["recovered"] is True, (s, pivot)
                await sub.until_live()
                assert sub.stream_events() == expected
            # A time after everything: nothing to replay.
            sub = await StreamClient.open(demo, label="future")
            async with sub:
                s = await sub.subscribed(token, from_={"ts": int(time.time() * 1000) + 3_600_000})
                assert s["position"] == s["lastOffset"] == end, s
                assert await sub.recv() == {"type": "live", "offset": end}

    run(scenario())


def test_another_epoch_replays_from_the_start_with_recovered_false(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(demo)
        async with chat:
            await message_and_reply(chat, "opening hours?")
            log, page = read_log(demo, token)
            other_epoch = "0000000000000000" if page["epoch"] != "0000000000000000" else "ffffffffffffffff"
            # Even an offset past this log's end: it counted in another history.
            for offset in (2, log[-1]["offset"] + 100):
                sub = await StreamClient.open(demo, label=f"epoch-{offset}")
                async with sub:
                    s = await sub.subscribed(token, from_={"offset": offset, "epoch": other_epoch})
                    assert s == {"type": "subscribed", "epoch": page["epoch"], "position": 0,
                                 "lastOffset": log[-1]["offset"], "recovered": False, "reason": "epoch_changed"}, s
                    await sub.until_live()
                    assert sub.stream_events() == log

    run(scenario())


# -- filters and token limits --------------------------------------------------------------------------

async def two_sessions(relay):
    """Session A with a handover to an agent, session B with the bot only. Returns (a, b, cid)."""
    a = await start_chat(relay, label="a")
    conversation = await ask_for_agent(relay, a)
    await agent_accepts(relay, a, conversation["id"], "agent-5")
    relay.sim_agent(conversation["id"], "messages", {"text": "Hi, Sam here"})
    await a.expect("message", predicate=lambda f: f["from"] == "agent")
    b = await start_chat(relay, label="b")
    await message_and_reply(b, "what are your opening hours?")
    return a, b, conversation["id"]


FILTER_CASES = [
    ("sessions A", lambda a, b: {"sessions": [a]}, lambda e, a, b: e["sessionId"] == a),
    ("types handover", lambda a, b: {"types": ["handover"]}, lambda e, a, b: e["kind"] == "handover"),
    ("B messages", lambda a, b: {"sessions": [b], "types": ["message"]},
     lambda e, a, b: e["sessionId"] == b and e["kind"] == "message"),
    ("provider default", lambda a, b: {"providers": ["default"]}, lambda e, a, b: e.get("provider") == "default"),
    ("queue support", lambda a, b: {"queues": ["support"]}, lambda e, a, b: e.get("queue") == "support"),
    ("unknown queue", lambda a, b: {"queues": ["nowhere"]}, lambda e, a, b: False),
    ("empty filter", lambda a, b: {}, lambda e, a, b: True),
]


def test_filters_apply_to_replay_and_live(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        a, b, cid = await two_sessions(demo)
        async with a, b:
            sa, sb = a.welcome["sessionId"], b.welcome["sessionId"]
            subs = []
            for label, make, _ in FILTER_CASES:
                sub = await StreamClient.open(demo, label=label)
                await sub.subscribed(token, filter=make(sa, sb), from_="start")
                await sub.until_live()
                subs.append(sub)
            # Live: events of both sessions and both kinds.
            await message_and_reply(b, "returns?")
            demo.sim_agent(cid, "messages", {"text": "Anything else?"})
            await a.expect("message", predicate=lambda f: f["text"] == "Anything else?")
            demo.sim_agent(cid, "close")
            await a.expect("handover", state="ended")
            await a.expect("message", predicate=lambda f: f["from"] == "bot" and "back" in f["text"].lower())
            await message_and_reply(a, "opening hours?")
            log, _ = read_log(demo, token)
            assert {e["sessionId"] for e in log} == {sa, sb} and {e["kind"] for e in log} == {"message", "handover"}
            marker = await StreamClient.open(demo, label="marker")
            async with marker:
                await marker.subscribed(token, from_="start")
                await marker.until_offset(log[-1]["offset"])  # the relay has sent everything up to here to everyone

            for (label, _, keep), sub in zip(FILTER_CASES, subs):
                async with sub:
                    expected = [e for e in log if keep(e, sa, sb)]
                    if expected:
                        await sub.until_offset(expected[-1]["offset"])
                    extra = await sub.quiet(0.1)
                    got = sub.stream_events()
                    assert got == expected, f"{label}: got offsets {[e['offset'] for e in got]}, " \
                                            f"expected {[e['offset'] for e in expected]}; extra {extra}"
                    assert all(f["type"] in ("subscribed", "event", "live", "position") for f in sub.frames), label
                    positions = [f["offset"] for f in sub.frames if f["type"] == "position"]
                    assert positions == sorted(positions), label
            assert any(e["kind"] == "handover" for e in log) and any("provider" not in e for e in log)

    run(scenario(), timeout=60)


def test_token_limits_narrow_the_stream(demo):
    """A token for one session (CLI --session) or one type (signed here: the CLI has no --type) streams
    only that part of the log when the subscriber asks for no filter; a filter inside the limits works."""
    async def scenario():
        a, b, _ = await two_sessions(demo)
        async with a, b:
            sa, sb = a.welcome["sessionId"], b.welcome["sessionId"]
            log, _ = read_log(demo, demo.mint_token("--scope", STREAM_SCOPE))
            cases = [
                ("--session A", demo.mint_token("--scope", STREAM_SCOPE, f"--session={sa}"), None,
                 lambda e: e["sessionId"] == sa),
                ("--session A, filter A", demo.mint_token("--scope", STREAM_SCOPE, f"--session={sa}"),
                 {"sessions": [sa]}, lambda e: e["sessionId"] == sa),
                ("types message", integrator_token(demo, types=["message"]), None, lambda e: e["kind"] == "message"),
                ("types message, filter B", integrator_token(demo, types=["message"]), {"sessions": [sb]},
                 lambda e: e["kind"] == "message" and e["sessionId"] == sb),
                ("providers default", integrator_token(demo, providers=["default"]), None,
                 lambda e: e.get("provider") == "default"),
            ]
            for label, token, filter, keep in cases:
                sub = await StreamClient.open(demo, label=label)
                async with sub:
                    await sub.subscribed(token, filter=filter, from_="start")
                    await sub.until_live()
                    expected = [e for e in log if keep(e)]
                    assert expected and sub.stream_events() == expected, \
                        f"{label}: {[e['offset'] for e in sub.stream_events()]} != {[e['offset'] for e in expected]}"

    run(scenario(), timeout=60)


# -- refusals ---------------------------------------------------------------------------------------------

async def refused(relay, frame, code: str, close: int, label: str, raw: str = None) -> dict:
    sub = await StreamClient.open(relay, label=label)
    async with sub:
        await sub.send_raw(raw if raw is not None else json.dumps(frame))
        return await sub.expect_refused(code, close)


def test_malformed_subscribe_is_bad_frame_4400(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        cases = [
            ("not JSON", None, "{not json"),
            ("array", None, "[1,2]"),
            ("another type", {"type": "hello", "token": token}, None),
            ("no type", {"token": token}, None),
            ("no token", {"type": "subscribe"}, None),
            ("empty token", {"type": "subscribe", "token": ""}, None),
            ("token not a string", {"type": "subscribe", "token": 7}, None),
            ("filter not an object", {"type": "subscribe", "token": token, "filter": ["message"]}, None),
            ("unknown filter field", {"type": "subscribe", "token": token, "filter": {"session": ["x"]}}, None),
            ("unknown event type", {"type": "subscribe", "token": token, "filter": {"types": ["typing"]}}, None),
            ("sessions not a list", {"type": "subscribe", "token": token, "filter": {"sessions": "abc"}}, None),
            ("empty session id", {"type": "subscribe", "token": token, "filter": {"sessions": [""]}}, None),
            ("from unknown word", {"type": "subscribe", "token": token, "from": "yesterday"}, None),
            ("from negative offset", {"type": "subscribe", "token": token, "from": {"offset": -1}}, None),
            ("from epoch not a string", {"type": "subscribe", "token": token, "from": {"offset": 0, "epoch": 5}}, None),
            ("from empty object", {"type": "subscribe", "token": token, "from": {}}, None),
        ]
        for label, frame, raw in cases:
            await refused(demo, frame, "bad_frame", 4400, label, raw)
        assert demo.healthy()

    run(scenario(), timeout=60)


def test_bad_tokens_are_4401_and_missing_scope_is_4403(demo):
    async def scenario():
        good = demo.mint_token("--scope", STREAM_SCOPE)
        body, mac = good.split(".")
        payload = json.loads(b64url_decode(body))
        tampered_payload = sign_token({**payload, "sub": "someone-else"}, b"k" * 32).split(".")[0] + "." + mac
        flipped = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
        expired = integrator_token(demo, expires_in=-10)
        for label, token in [("garbage", "not-a-token"), ("payload swapped", tampered_payload),
                             ("signature changed", flipped),
                             ("other secret", sign_token(payload, os.urandom(32))),
                             ("not integrator", sign_token({**payload, "typ": "copilot"}, b"x" * 32))]:
            await refused(demo, {"type": "subscribe", "token": token}, "bad_token", 4401, label)
        error = await refused(demo, {"type": "subscribe", "token": expired}, "bad_token", 4401, "expired")
        assert "expired" in error["message"], error

        for label, token in [("tiles scope", demo.mint_token("--scope", "copilot:tiles")),
                             ("other scope", integrator_token(demo, scopes=["stream:write", "stream"]))]:
            error = await refused(demo, {"type": "subscribe", "token": token, "from": "start"}, "forbidden", 4403, label)
            assert STREAM_SCOPE in error["message"], error
        assert good not in demo.stderr() and good not in demo.stdout()

    run(scenario())


def test_filters_outside_the_token_limits_are_4403(demo):
    async def scenario():
        chat = await start_chat(demo)
        async with chat:
            sid = chat.welcome["sessionId"]
            one_session = demo.mint_token("--scope", STREAM_SCOPE, f"--session={sid}")
            messages_only = integrator_token(demo, types=["message"])
            default_only = integrator_token(demo, providers=["default"])
            cases = [
                ("other session", one_session, {"sessions": ["some-other-session"]}),
                ("one of two sessions outside", one_session, {"sessions": [sid, "some-other-session"]}),
                ("handover type", messages_only, {"types": ["handover"]}),
                ("both types", messages_only, {"types": ["message", "handover"]}),
                ("other provider", default_only, {"providers": ["acme"]}),
            ]
            for label, token, filter in cases:
                error = await refused(demo, {"type": "subscribe", "token": token, "filter": filter, "from": "start"},
                                      "forbidden", 4403, label)
                assert sid not in error["message"] or label.startswith("one of"), error
            # Inside the limits is fine.
            sub = await StreamClient.open(demo)
            async with sub:
                await sub.subscribed(one_session, filter={"sessions": [sid]}, from_="start")
                await sub.until_live()
                assert {e["sessionId"] for e in sub.stream_events()} == {sid}

    run(scenario())


def test_offset_past_the_end_is_4416(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(demo)
        async with chat:
            log, page = read_log(demo, token)
            end = log[-1]["offset"]
            for label, from_ in [("same epoch", {"offset": end + 1, "epoch": page["epoch"]}),
                                 ("no epoch", {"offset": end + 1000})]:
                error = await refused(demo, {"type": "subscribe", "token": token, "from": from_},
                                      "bad_position", 4416, label)
                assert str(end) in error["message"], error
            # The last offset itself is fine.
            sub = await StreamClient.open(demo)
            async with sub:
                s = await sub.subscribed(token, from_={"offset": end, "epoch": page["epoch"]})
                assert s["recovered"] is True and await sub.recv() == {"type": "live", "offset": end}

    run(scenario())


def test_a_second_frame_gets_an_error_and_the_stream_goes_on(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(demo)
        async with chat:
            sub = await StreamClient.open(demo)
            async with sub:
                await sub.subscribed(token)
                live = await sub.until_live()
                for frame in ({"type": "subscribe", "token": token, "from": "start"}, {"type": "ping"}):
                    await sub.send(frame)
                    error = await sub.recv()
                    assert error["type"] == "error" and error["code"] == "bad_frame" and error["message"], error
                await sub.send_raw("{garbage")
                assert (await sub.recv())["code"] == "bad_frame"
                ack = await chat.message("still streaming?")
                frame = await sub.expect("event")
                assert frame["offset"] == live["offset"] + 1 and frame["seq"] == ack["seq"], frame
                assert not [f for f in sub.frames if f["type"] == "event" and f["offset"] <= live["offset"]]

    run(scenario())


def test_handshake_needs_the_stream_subprotocol(demo):
    for protocol in (None, "handover.chat.v1", "handover.stream.v2"):
        sock, head = raw_handshake(demo.port, path="/ws/stream", protocol=protocol)
        with sock:
            assert not head.startswith(b"HTTP/1.1 101"), (protocol, head[:200])
    sock, head = raw_handshake(demo.port, path="/ws/stream", protocol="handover.stream.v1")
    with sock:
        assert head.startswith(b"HTTP/1.1 101") and b"handover.stream.v1" in head, head[:300]


def test_token_expiring_while_live_closes_4401(demo):
    async def scenario():
        chat = await start_chat(demo)
        async with chat:
            exp = int(time.time()) + 2
            token = integrator_token(demo, expires_in=exp - int(time.time()))
            sub = await StreamClient.open(demo)
            async with sub:
                await sub.subscribed(token)
                live = await sub.until_live()
                reply = await message_and_reply(chat, "before expiry")
                await sub.expect("event", seq=reply["seq"])
                # No event marks the expiry: wait until the wall clock has passed it (bounded, < 3 s).
                await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
                await chat.message("after expiry")
                error = await sub.expect("error")
                assert error["code"] == "bad_token" and "expired" in error["message"], error
                code, _ = await sub.expect_closed()
                assert code == 4401, code
                assert [e["seq"] for e in sub.stream_events()] == list(range(2, reply["seq"] + 1)), (live, sub.frames)

    run(scenario())


# -- backpressure -----------------------------------------------------------------------------------------

def test_a_subscriber_that_stops_reading_is_closed_4429_and_can_resume(start_relay):
    relay = start_relay("demo", config={"stream": {"maxQueuedBytes": 65536}})

    async def scenario():
        token = relay.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(relay)
        async with chat:
            reader = await StreamClient.open(relay, label="reader")
            async with reader:
                await reader.subscribed(token)
                await reader.until_live()
                stalled = StalledSubscriber(relay.port)
                try:
                    stalled.send({"type": "subscribe", "token": token})
                    subscribed = stalled.next_frame()
                    assert subscribed and subscribed["type"] == "subscribed", subscribed
                    live = stalled.next_frame()
                    assert live == {"type": "live", "offset": subscribed["lastOffset"]}, live
                    # Flood; the stalled client reads nothing meanwhile. The relay's log says when it gave up
                    # (only used to stop early: the assertions below read the socket).
                    for _ in range(60):
                        await flood(chat, 10)
                        if "too slow" in relay.stderr():
                            break
                    await message_and_reply(chat, "the last one")
                    final = last_offset(relay, token)
                    code = await asyncio.to_thread(stalled.read_to_close)
                finally:
                    stalled.close()
                assert code == 4429, (code, stalled.frames[-3:])
                error = stalled.frames[-1]
                assert error["type"] == "error" and error["code"] == "too_slow" and error["message"], error
                events = [f for f in stalled.frames if f["type"] == "event"]
                assert [f["type"] for f in stalled.frames[2:-1]] == ["event"] * len(events)
                got = [e["offset"] for e in events]
                assert got == list(range(live["offset"] + 1, live["offset"] + 1 + len(got))), got
                assert got and got[-1] < final, "the stalled subscriber was not cut off before the end"

                # The reader kept up, and was not disconnected.
                await reader.until_offset(final, timeout=15)
                assert reader.offsets() == list(range(live["offset"] + 1, final + 1))

                # Resuming from the last offset received gets the rest, exactly.
                resumed = await StreamClient.open(relay, label="resumed")
                async with resumed:
                    s = await resumed.subscribed(token, from_={"offset": got[-1], "epoch": subscribed["epoch"]})
                    assert s["recovered"] is True, s
                    await resumed.until_live(timeout=15)
                    assert resumed.offsets() == list(range(got[-1] + 1, final + 1))
                assert relay.healthy()

    run(scenario(), timeout=90)
