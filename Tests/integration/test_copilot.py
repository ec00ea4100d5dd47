"""The agent copilot (`handover.copilot.v1` on /ws/copilot, the /copilot/ page, integrator tiles) against
`demo`: the copilot link comes from the embedded simulator's view of the 8x8 conversation, exactly where an
agent would find it."""

import json
import os

import pytest

from chatclient import AGENT, BOT, agent_accepts, ask_for_agent, run, start_chat
from copilotclient import (BUILTIN_TILES, CopilotClient, Workspace, as_transcript, assert_consecutive,
                           b64url_decode, chat_messages, copilot_link, copilot_token, relay_secret, sign_token,
                           subscribe_snapshot)

CARD = "4111 1111 1111 1111"
NOT_A_CARD = "4111 1111 1111 1112"  # fails the Luhn check
MISSING = object()


# -- helpers -------------------------------------------------------------------------

async def handover_with_link(relay, user=None, conversation_index=0, chatter=("what are your opening hours?",),
                             label="client"):
    """A chat with some bot conversation, then a handover request; returns (chat, conversation id, link)
    once the conversation is queued at the simulator (where the copilot link is)."""
    c = await start_chat(relay, user=user, label=label)
    for text in chatter:
        await c.message(text)
        await c.expect_event("message", **BOT)
    conversation = await ask_for_agent(relay, c, conversation_index)
    link = copilot_link(relay, conversation_index)
    assert link["sessionId"] == c.welcome["sessionId"], link
    return c, conversation["id"], link


def handover_fields(event: dict) -> dict:
    """A chat `handover` event as the copilot's `handover` event carries it (its fields, `seq` and `ts` included)."""
    return {k: v for k, v in event.items() if k != "type"}


def expected_feed(chat_events: list[dict]) -> list[tuple]:
    """What the copilot must show for stored chat events, as (frame type, payload)."""
    out = []
    for e in chat_events:
        if e["type"] == "message":
            out.append(("transcript", as_transcript(e)))
        else:
            out.append(("handover", handover_fields(e)))
    return out


def observed_feed(frames: list[dict]) -> list[tuple]:
    out = []
    for f in frames:
        if f["type"] == "transcript":
            out.append(("transcript", f["message"]))
        elif f["type"] == "handover":
            out.append(("handover", f["handover"]))
    return out


async def catch_up(client: CopilotClient, pos: int, what: str):
    """Reads feed frames until the client has applied `pos` (no-op when it already has)."""
    feed = client.feed()
    have = feed[-1]["pos"] if feed else None
    if have is None or have < pos:
        await client.feed_until(lambda f: f["pos"] >= pos, what)
    assert client.feed()[-1]["pos"] == pos, f"[{client.label}] overshot pos {pos}: {client.feed()[-3:]}"


async def fresh_snapshot(relay, link: dict, label: str = "fresh") -> dict:
    c, snapshot = await subscribe_snapshot(relay, link, label=label)
    await c.close()
    return snapshot


async def expect_refused(relay, frame, code: str, close: int, label: str, secrets=()) -> dict:
    """Sends one first frame on a new /ws/copilot connection; expects one error frame and the close."""
    c = await CopilotClient.open(relay, label=label)
    async with c:
        if isinstance(frame, dict):
            await c.send(frame)
        else:
            await c.send_raw(frame)
        got_code, _ = await c.expect_closed()
        assert got_code == close, f"[{label}] closed with {got_code}, expected {close}; frames: {c.frames}"
        assert len(c.frames) == 1, f"[{label}] expected exactly one error frame, got {c.frames}"
        err = c.frames[0]
        assert err["type"] == "error" and err["code"] == code and err["message"], f"[{label}] {err}"
        assert set(err) == {"type", "code", "message"}, f"[{label}] extra fields in the error: {err}"
        dumped = json.dumps(c.frames, ensure_ascii=False)
        for s in secrets:
            assert s not in dumped, f"[{label}] session data {s!r} in {dumped}"
        return err


def assert_redacted(text: str, prefix: str, suffix: str):
    """`text` is prefix + a placeholder for CARD + suffix; the placeholder shows at most the last four digits."""
    assert text.startswith(prefix) and text.endswith(suffix), f"{text!r} is not {prefix!r} … {suffix!r}"
    placeholder = text[len(prefix):len(text) - len(suffix)]
    digits = [ch for ch in placeholder if ch.isdigit()]
    assert placeholder and placeholder != CARD and len(digits) <= 4, f"not redacted: {text!r}"
    assert "".join(digits) in ("", "1111"), f"placeholder {placeholder!r} shows digits not from the end of the card"


# -- 1. the whole journey ----------------------------------------------------------------

def test_full_handover_feeds_the_copilot(demo):
    async def scenario():
        c, cid, link = await handover_with_link(demo, user={"name": "Ada", "email": "ada@example.com"})
        sid = c.welcome["sessionId"]
        async with c:
            # The link points at this relay's public URL and opens the page.
            assert link["netloc"] == f"localhost:{demo.port}" and link["path"] == "/copilot/", link
            assert link["URLToken"] and link["userId"], link
            page = demo.get(link["path_and_query"])
            assert page.status == 200, page
            assert page.headers["content-type"].startswith("text/html"), page.headers
            assert b"copilot" in page.body.lower(), page

            cop, snap = await subscribe_snapshot(demo, link)
            async with cop:
                before = c.events()  # everything up to "queued"; nothing happens until the agent acts
                assert snap["session"]["id"] == sid, snap["session"]
                assert snap["session"]["user"]["name"] == "Ada", snap["session"]
                assert snap["session"]["user"]["email"] == "ada@example.com", snap["session"]
                assert snap["layout"]["columns"] == 12 and snap["layout"]["rowHeight"] == 110, snap["layout"]
                assert set(BUILTIN_TILES) <= set(snap["layout"]["tiles"]), snap["layout"]

                tiles = {t["id"]: t for t in snap["tiles"]}
                assert sorted(tiles) == sorted(BUILTIN_TILES) and len(snap["tiles"]) == 6, list(tiles)
                for t in snap["tiles"]:
                    assert t["kind"] == t["id"] and t["source"] == "builtin" and t["title"], t
                    assert t["position"] == snap["layout"]["tiles"][t["id"]], t
                    assert isinstance(t["updatedAt"], int), t

                # The transcript holds the bot part before the handover, exactly as the user saw it.
                messages = chat_messages(c)
                assert snap["transcript"] == [as_transcript(m) for m in messages], snap["transcript"]
                requested = next(e for e in before if e["type"] == "handover" and e["state"] == "requested")
                bot_before = [m for m in snap["transcript"] if m["from"] == "bot" and m["seq"] < requested["seq"]]
                assert len(bot_before) >= 3, snap["transcript"]  # greeting, FAQ answer, "connecting you"
                queued = [e for e in before if e.get("type") == "handover" and e.get("state") == "queued"]
                assert snap["handover"] == {"state": "queued", "queueId": "support", "queueName": "Support",
                                            "seq": queued[-1]["seq"], "ts": queued[-1]["ts"]}, snap
                # Nobody watched before: the feed's first frames are the tiles computed for this page.
                assert snap["pos"] == len(BUILTIN_TILES), snap["pos"]

                assert tiles["transcript"]["data"] == {"count": len(messages)}, tiles["transcript"]
                identity = tiles["identity"]["data"]
                assert identity["user"]["name"] == "Ada" and identity["user"]["email"] == "ada@example.com"
                assert identity["handover"]["state"] == "queued" and identity["handover"]["conversationId"] == cid
                assert {"key": "relaySessionId", "value": sid} in identity["properties"], identity

                # The conversation goes on: agent (via the simulator) and user.
                await agent_accepts(demo, c, cid, "agent-7")
                demo.sim_agent(cid, "messages", {"text": "Hello, I'm Sam"})
                await c.expect_event("message", text="Hello, I'm Sam")
                await c.message("my order 1234 is late and I am really unhappy")
                await c.expect_event("message", text="my order 1234 is late and I am really unhappy")
                demo.sim_agent(cid, "messages", {"text": "Let me check order 1234"})
                await c.expect_event("message", text="Let me check order 1234")
                await c.message("thanks, that is great")
                await c.expect_event("message", text="thanks, that is great")
                demo.sim_agent(cid, "close")
                await c.expect_event("handover", state="ended", by="agent")
                await c.expect_event("message", **BOT)
                await c.message("how long does delivery take?")
                last = await c.expect_event("message", **BOT)

                later = [e for e in c.events() if e["seq"] > before[-1]["seq"]]
                await cop.until_transcript(last["seq"])
                # Tile updates that trail the last message: up to where a new subscriber's snapshot is.
                final = await fresh_snapshot(demo, link)
                await catch_up(cop, final["pos"], "the position of a fresh snapshot")

                feed = cop.feed()
                assert cop.frames[0] is snap and cop.frames[1:] == feed, cop.frames[:3]
                assert_consecutive(feed, snap["pos"] + 1)
                assert observed_feed(feed) == expected_feed(later), (observed_feed(feed), later)
                seqs = [f["message"]["seq"] for f in feed if f["type"] == "transcript"]
                assert seqs == [e["seq"] for e in later if e["type"] == "message"], seqs
                assert [f["handover"]["state"] for f in feed if f["type"] == "handover"] == ["active", "ended"]

                # Tile updates came along: identity with the agent, the transcript count, sentiment.
                tile_frames = [f["tile"] for f in feed if f["type"] == "tile"]
                assert {t["id"] for t in tile_frames} >= {"identity", "transcript", "sentiment"}, tile_frames
                assert any(t["id"] == "identity" and t["data"]["handover"].get("agentId") == "agent-7"
                           for t in tile_frames), tile_frames
                counts = [t["data"]["count"] for t in tile_frames if t["id"] == "transcript"]
                assert counts == sorted(counts) and counts[-1] == len(chat_messages(c)), counts

                # Snapshot + every update = what a new page gets now.
                ws = Workspace(snap)
                ws.apply_all(feed)
                assert ws.state() == Workspace(final).state()
                ended = [f["handover"] for f in feed if f["type"] == "handover"][-1]
                assert final["handover"] == {"state": "ended", "by": "agent", "seq": ended["seq"], "ts": ended["ts"]}, final["handover"]

    run(scenario())


# -- 2. several watchers -----------------------------------------------------------------------

def test_two_watchers_get_identical_streams(demo):
    async def scenario():
        c, cid, link = await handover_with_link(demo)
        async with c:
            a, snap_a = await subscribe_snapshot(demo, link, label="watcher-a")
            b, snap_b = await subscribe_snapshot(demo, link, label="watcher-b")
            async with a, b:
                assert snap_a == snap_b, "two subscribers at the same moment see the same workspace"

                await agent_accepts(demo, c, cid, "agent-2")
                demo.sim_agent(cid, "messages", {"text": "Hi, how can I help?"})
                await c.expect_event("message", **AGENT)
                await c.message("my parcel is damaged")
                await c.expect_event("message", text="my parcel is damaged")

                # A third page opens in the middle.
                late, snap_late = await subscribe_snapshot(demo, link, label="watcher-late")
                async with late:
                    await c.message("can I get a refund?")
                    await c.expect_event("message", text="can I get a refund?")
                    demo.sim_agent(cid, "close")
                    await c.expect_event("handover", state="ended")
                    last = await c.expect_event("message", **BOT)

                    for w in (a, b, late):
                        await w.until_transcript(last["seq"])
                    final = await fresh_snapshot(demo, link)
                    for w in (a, b, late):
                        await catch_up(w, final["pos"], "the position of a fresh snapshot")

                    assert a.feed() == b.feed()
                    assert a.frames == b.frames
                    assert_consecutive(a.feed(), snap_a["pos"] + 1)
                    assert_consecutive(late.feed(), snap_late["pos"] + 1)
                    assert late.feed() == [f for f in a.feed() if f["pos"] > snap_late["pos"]]
                    for snapshot, watcher in ((snap_a, a), (snap_late, late)):
                        ws = Workspace(snapshot)
                        ws.apply_all(watcher.feed())
                        assert ws.state() == Workspace(final).state(), watcher.label

    run(scenario())


# -- 3. reconnecting -----------------------------------------------------------------------------

def test_resume_after_a_drop_loses_nothing(demo):
    async def scenario():
        c, cid, link = await handover_with_link(demo)
        async with c:
            await agent_accepts(demo, c, cid, "agent-4")
            cop, snap = await subscribe_snapshot(demo, link, label="before-drop")
            demo.sim_agent(cid, "messages", {"text": "seen before the drop"})
            seen = await c.expect_event("message", text="seen before the drop")
            await cop.until_transcript(seen["seq"])
            applied = cop.feed()
            last_pos = applied[-1]["pos"]
            cop.drop()

            # While the page is away: five stored events, messages from both sides.
            for text in ("missed: my order 77 is late", "missed: thank you", "missed: great"):
                ack = await c.message(text)
                await c.expect_event("message", id=ack["id"])
                if text != "missed: great":
                    reply = f"agent re {text}"
                    demo.sim_agent(cid, "messages", {"text": reply})
                    await c.expect_event("message", text=reply)
            missed_events = [e for e in c.events() if e["seq"] > seen["seq"]]
            assert len(missed_events) == 5, missed_events

            r = await CopilotClient.open(demo, label="resumed")
            async with r:
                resumed = await r.subscribe(link["sessionId"], link["URLToken"], last_pos=last_pos)
                assert resumed["type"] == "resumed" and set(resumed) == {"type", "pos"}, resumed
                assert resumed["pos"] >= last_pos + len(missed_events), (resumed, last_pos)
                missed = [await r.next_feed() for _ in range(resumed["pos"] - last_pos)]
                assert_consecutive(missed, last_pos + 1)
                assert observed_feed(missed) == expected_feed(missed_events), observed_feed(missed)

                # Nothing else was replayed: the next frame is about a new message.
                ack = await c.message("after the resume")
                await c.expect_event("message", id=ack["id"])
                nxt = await r.next_feed()
                assert (nxt["type"], nxt["pos"], nxt["message"]["seq"]) == \
                    ("transcript", resumed["pos"] + 1, ack["seq"]), nxt
                final = await fresh_snapshot(demo, link)
                await catch_up(r, final["pos"], "the position of a fresh snapshot")

                # Before the drop + after the resume = what a new page gets now.
                ws = Workspace(snap)
                ws.apply_all(applied)
                ws.apply_all(r.feed())
                assert ws.state() == Workspace(final).state()

            # lastPos 0 (an empty workspace) gets a snapshot: the bot part before the handover
            # was never a feed frame (the feed starts with the first handover), only snapshots carry it.
            z = await CopilotClient.open(demo, label="from-zero")
            async with z:
                snap0 = await z.subscribe(link["sessionId"], link["URLToken"], last_pos=0)
                assert snap0["type"] == "snapshot", {k: snap0[k] for k in snap0 if k != "transcript"}
                assert Workspace(snap0).state() == Workspace(final).state()
                assert [m["seq"] for m in snap0["transcript"]] == [m["seq"] for m in chat_messages(c)]

    run(scenario())


def test_resume_from_too_far_back_or_the_future_gets_a_snapshot(demo):
    """A position the feed cannot resume from gets a snapshot: lastPos 0 when the bot part came before the
    feed started (the window overflow itself is covered by CopilotFeedTests), or a position from the future."""
    exchanges = 20

    async def scenario():
        c = await start_chat(demo)
        async with c:
            # Pipelined: all messages, then all acks and bot answers.
            ids = [f"bulk-{i}" for i in range(exchanges)]
            for i, mid in enumerate(ids):
                await c.send({"type": "message", "id": mid, "text": f"what are your opening hours? ({i})"})
            last_bot = await c.expect("message", predicate=lambda f: f["from"] == "bot" and
                                      f["seq"] == 1 + 2 * exchanges, timeout=60)
            assert len(chat_messages(c)) == 1 + 2 * exchanges, len(chat_messages(c))
            assert last_bot["seq"] == 1 + 2 * exchanges
            conversation = await ask_for_agent(demo, c)
            link = copilot_link(demo)
            everything = chat_messages(c)

            # From the far past: a snapshot with the whole transcript.
            old = await CopilotClient.open(demo, label="far-past")
            async with old:
                snap = await old.subscribe(link["sessionId"], link["URLToken"], last_pos=0)
                assert snap["type"] == "snapshot", {k: snap[k] for k in snap if k != "transcript"}
                assert snap["transcript"] == [as_transcript(m) for m in everything]
                assert snap["pos"] > 5, snap["pos"]

            # From the future (e.g. a page open across a relay restart): a snapshot too.
            future = await CopilotClient.open(demo, label="future")
            async with future:
                snap2 = await future.subscribe(link["sessionId"], link["URLToken"], last_pos=snap["pos"] + 1000)
                assert snap2["type"] == "snapshot", {k: snap2[k] for k in snap2 if k != "transcript"}
                assert snap2["transcript"] == snap["transcript"] and snap2["pos"] == snap["pos"]

            # A lastPos still in the window resumes with exactly the frames after it.
            recent = await CopilotClient.open(demo, label="recent")
            async with recent:
                resumed = await recent.subscribe(link["sessionId"], link["URLToken"], last_pos=snap["pos"] - 5)
                assert resumed == {"type": "resumed", "pos": snap["pos"]}, resumed
                tail = [await recent.next_feed() for _ in range(5)]
                assert_consecutive(tail, snap["pos"] - 4)
                # ...and exactly up to now: the next frame is the agent's acceptance.
                await agent_accepts(demo, c, conversation["id"], "agent-8")
                nxt = await recent.next_feed()
                assert nxt["pos"] == snap["pos"] + 1 and nxt["type"] == "handover", nxt
                active = c.events()[-1]
                assert nxt["handover"] == {"state": "active", "agentId": "agent-8", "seq": active["seq"],
                                           "ts": active["ts"]}, nxt

    run(scenario(), timeout=120)


# -- 4. who may watch -----------------------------------------------------------------------------

def test_bad_tokens_are_refused_without_session_data(demo):
    async def scenario():
        user = {"name": "Zebulon Quux", "email": "zebulon@example.com"}
        c, cid, link = await handover_with_link(demo, user=user, chatter=("my order 987654 never came",))
        other, _, other_link = await handover_with_link(demo, user={"name": "Other"}, conversation_index=1,
                                                        label="other")
        sid, token = link["sessionId"], link["URLToken"]
        secret = relay_secret(demo)
        private = ["Zebulon", "zebulon@example.com", "987654", cid, "snapshot", "transcript"]
        async with c, other:
            watcher, snap = await subscribe_snapshot(demo, link, label="legit")
            async with watcher:
                body, mac = token.split(".")
                flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
                other_body = other_link["URLToken"].split(".")[0]
                bad = {
                    "forged (other secret)": copilot_token(sid, os.urandom(32)),
                    "garbled signature": f"{body}.{flipped}",
                    "truncated": token[:-5],
                    "no dot": token.replace(".", ""),
                    "garbage": "not-a-token",
                    "empty": "",
                    "payload swapped": f"{other_body}.{mac}",
                    "expired": copilot_token(sid, secret, expires_in=-10),
                    "wrong role": copilot_token(sid, secret, role="user"),
                    "another session's token": other_link["URLToken"],
                    "integrator token": demo.mint_token("--scope", "copilot:tiles"),
                }
                messages = {}
                for label, t in bad.items():
                    err = await expect_refused(demo, {"type": "subscribe", "sessionId": sid, "token": t},
                                               "bad_token", 4401, label, private)
                    messages[label] = err["message"]
                assert "another" in messages["another session's token"], messages
                assert "expired" in messages["expired"], messages

                # Unknown session (with a token that would be valid for it).
                await expect_refused(demo, {"type": "subscribe", "sessionId": "no-such-session",
                                            "token": copilot_token("no-such-session", secret)},
                                     "unknown_session", 4404, "unknown session", private)

                # Malformed first frames: not a subscribe, even when they carry a good token.
                malformed = {
                    "not json": "{subscribe",
                    "json array": json.dumps([{"type": "subscribe", "sessionId": sid, "token": token}]),
                    "wrong type": {"type": "hello", "sessionId": sid, "token": token},
                    "no type": {"sessionId": sid, "token": token},
                    "no session id": {"type": "subscribe", "token": token},
                    "session id not a string": {"type": "subscribe", "sessionId": 12, "token": token},
                    "empty session id": {"type": "subscribe", "sessionId": "", "token": token},
                    "negative lastPos": {"type": "subscribe", "sessionId": sid, "token": token, "lastPos": -1},
                    "lastPos a string": {"type": "subscribe", "sessionId": sid, "token": token, "lastPos": "3"},
                    "lastPos a fraction": {"type": "subscribe", "sessionId": sid, "token": token, "lastPos": 1.5},
                }
                for label, frame in malformed.items():
                    await expect_refused(demo, frame, "bad_frame", 4400, label, private)

                # The page itself.
                for label, query in {
                    "forged": f"sessionId={sid}&userId={link['userId']}&URLToken={bad['forged (other secret)']}",
                    "garbled": f"sessionId={sid}&userId={link['userId']}&URLToken={bad['garbled signature']}",
                    "another session's token": f"sessionId={sid}&URLToken={other_link['URLToken']}",
                    "expired": f"sessionId={sid}&URLToken={bad['expired']}",
                    "no token": f"sessionId={sid}&userId={link['userId']}",
                    "nothing": "",
                }.items():
                    r = demo.get(f"/copilot/?{query}")
                    assert r.status == 401, f"{label}: {r}"
                    assert r.headers["content-type"].startswith("text/html"), f"{label}: {r.headers}"
                    page = r.body.decode()
                    assert "<html" in page.lower() or "<!doctype html" in page.lower(), f"{label}: {page}"
                    for s in private[:4]:
                        assert s not in page, f"{label}: {s!r} in {page}"

                # Nothing of this reached the legitimate watcher, and the relay is fine.
                assert demo.healthy() and demo.alive
                ack = await c.message("still here")
                nxt = await watcher.next_feed()
                assert (nxt["type"], nxt["pos"], nxt["message"]["seq"]) == ("transcript", snap["pos"] + 1, ack["seq"])
                again, snap2 = await subscribe_snapshot(demo, link, label="after")
                await again.close()
                assert snap2["session"]["id"] == sid

    run(scenario(), timeout=60)


@pytest.mark.parametrize("token", [pytest.param(MISSING, id="no-token-field"), pytest.param(None, id="token-null")])
def test_missing_token_is_bad_token(demo, token):
    """PROTOCOL.md: 4401 bad_token when the token is "missing, malformed, forged, expired, or for another
    session"."""
    async def scenario():
        c, _, link = await handover_with_link(demo, user={"name": "Zebulon Quux"})
        async with c:
            frame = {"type": "subscribe", "sessionId": link["sessionId"]}
            if token is not MISSING:
                frame["token"] = token
            await expect_refused(demo, frame, "bad_token", 4401, "missing token", ["Zebulon", "snapshot"])
            assert demo.healthy()

    run(scenario())


# -- 5. integrator tiles -----------------------------------------------------------------------------

def test_custom_tiles(demo):
    async def scenario():
        c, cid, link = await handover_with_link(demo)
        other, _, other_link = await handover_with_link(demo, conversation_index=1, label="other")
        sid = link["sessionId"]
        path = f"/api/sessions/{sid}/copilot/tiles"
        token = demo.mint_token("--scope", "copilot:tiles")
        # `--session=ID`: session ids are base64url and may start with "-", which `--session ID` takes for a flag.
        mine = demo.mint_token("--scope", "copilot:tiles", f"--session={sid}")
        for_other = demo.mint_token("--scope", "copilot:tiles", f"--session={other_link['sessionId']}")
        no_scope = demo.mint_token("--scope", "events:read")
        auth = {"authorization": f"Bearer {token}"}

        async with c, other:
            await agent_accepts(demo, c, cid, "agent-3")
            cop, snap = await subscribe_snapshot(demo, link)
            async with cop:
                pos = snap["pos"]
                crm = {"id": "crm", "kind": "markdown", "title": "CRM", "position": {"x": 0, "y": 8, "w": 6, "h": 2},
                       "data": {"markdown": "**Gold customer** since 2019"}}
                r = demo.post(path, crm, headers=auth)
                assert r.status == 200, r
                stored = r.json()["tile"]
                assert {k: stored[k] for k in crm} == crm and stored["source"] == "integrator", stored
                assert isinstance(stored["updatedAt"], int), stored
                frame = await cop.next_feed()
                assert frame == {"type": "tile", "pos": pos + 1, "tile": stored}, frame

                # The same tile again: 200, but nothing new on the feed; the next frame is the next message.
                r = demo.post(path, crm, headers=auth)
                assert r.status == 200, r
                ack = await c.message("what about my refund?")
                nxt = await cop.next_feed()
                assert (nxt["type"], nxt["pos"], nxt["message"]["seq"]) == ("transcript", pos + 2, ack["seq"]), nxt

                # A changed tile is a new frame; a session-scoped token works for its session.
                changed = {**crm, "data": {"markdown": "**Platinum customer** since 2019"}}
                r = demo.post(path, changed, headers={"authorization": f"Bearer {mine}"})
                assert r.status == 200, r
                frame = await cop.feed_until(lambda f: f["type"] == "tile" and f["tile"]["id"] == "crm", "crm update")
                assert frame[-1]["tile"] == r.json()["tile"], frame

                # Unknown kinds are kept (the page shows them as a warning tile), never dropped.
                odd = {"id": "hologram-1", "kind": "hologram", "title": "3D", "data": {"whatever": [1, 2]}}
                r = demo.post(path, odd, headers=auth)
                assert r.status == 200 and r.json()["tile"]["kind"] == "hologram", r
                frame = await cop.next_feed()
                assert frame["type"] == "tile" and frame["tile"] == r.json()["tile"], frame
                assert frame["tile"]["position"] is None, frame  # placed by the page, below the others

                # Auth and validation errors change nothing.
                before = cop.feed()[-1]["pos"]
                assert demo.post(path, crm).status == 401
                assert demo.post(path, crm, headers={"authorization": "Bearer not-a-token"}).status == 401
                assert demo.post(path, crm, headers={"authorization": f"Basic {token}"}).status == 401
                assert demo.post(path, crm, headers={"authorization": f"Bearer {link['URLToken']}"}).status == 401
                forged = sign_token(json.loads(b64url_decode(token.split(".")[0])), os.urandom(32))
                assert demo.post(path, crm, headers={"authorization": f"Bearer {forged}"}).status == 401
                r = demo.post(path, crm, headers={"authorization": f"Bearer {for_other}"})
                assert r.status == 403 and r.json()["code"] == "forbidden", r
                r = demo.post(path, crm, headers={"authorization": f"Bearer {no_scope}"})
                assert r.status == 403 and r.json()["code"] == "forbidden", r
                r = demo.request("DELETE", f"{path}/crm", headers={"authorization": f"Bearer {for_other}"})
                assert r.status == 403, r
                assert demo.request("DELETE", f"{path}/crm").status == 401

                for label, body, field in [
                    ("id with a space", {**crm, "id": "bad id"}, "'id'"),
                    ("id too long", {**crm, "id": "x" * 65}, "'id'"),
                    ("no id", {k: v for k, v in crm.items() if k != "id"}, "'id'"),
                    ("built-in id", {**crm, "id": "summary"}, "'id'"),
                    ("no kind", {k: v for k, v in crm.items() if k != "kind"}, "'kind'"),
                    ("kind not a string", {**crm, "kind": 7}, "'kind'"),
                    ("built-in kind", {**crm, "kind": "summary"}, "'kind'"),
                    ("title too long", {**crm, "title": "t" * 201}, "'title'"),
                    ("position off the grid", {**crm, "position": {"x": 10, "y": 0, "w": 6, "h": 2}}, "position"),
                    ("position not integers", {**crm, "position": {"x": "a", "y": 0, "w": 6, "h": 2}}, "position"),
                ]:
                    r = demo.post(path, body, headers=auth)
                    assert r.status == 400, f"{label}: {r}"
                    problem = r.json()
                    assert problem["code"] == "bad_tile" and field in problem["message"], f"{label}: {problem}"
                r = demo.post(path, raw=b"{not json", headers=auth)
                assert r.status == 400 and r.json()["code"] == "bad_tile", r
                r = demo.post(path, raw=b"[1]", headers=auth)
                assert r.status == 400 and r.json()["code"] == "bad_tile", r
                r = demo.post(path, raw=b"{" + b'"x":"' + b"a" * (1024 * 1024 + 16) + b'"}', headers=auth)
                assert r.status == 413, r
                r = demo.post("/api/sessions/no-such-session/copilot/tiles", crm, headers=auth)
                assert r.status == 404 and r.json()["code"] == "unknown_session", r

                # DELETE: 204 and tile_removed; again: 404; built-ins cannot be removed.
                r = demo.request("DELETE", f"{path}/crm", headers=auth)
                assert r.status == 204 and r.body == b"", r
                frame = await cop.next_feed()
                assert frame == {"type": "tile_removed", "pos": before + 1, "id": "crm"}, frame
                r = demo.request("DELETE", f"{path}/crm", headers=auth)
                assert r.status == 404 and r.json()["code"] == "unknown_tile", r
                r = demo.request("DELETE", f"{path}/summary", headers=auth)
                assert r.status == 404, r

                # A new page sees what is left; the other session has no integrator tiles at all.
                final = await fresh_snapshot(demo, link)
                ws = Workspace(snap)
                ws.apply_all(cop.feed())
                assert ws.state() == Workspace(final).state()
                assert sorted(t["id"] for t in final["tiles"]) == sorted(BUILTIN_TILES + ["hologram-1"]), final
                other_snap = await fresh_snapshot(demo, other_link, label="other-page")
                assert sorted(t["id"] for t in other_snap["tiles"]) == sorted(BUILTIN_TILES), other_snap["tiles"]
                assert demo.healthy()

    run(scenario(), timeout=60)


def test_tile_pushed_before_anyone_watches_is_in_the_snapshot(demo):
    async def scenario():
        c, _, link = await handover_with_link(demo)
        async with c:
            token = demo.mint_token("--scope", "copilot:tiles", f"--session={link['sessionId']}")
            tile = {"id": "orders", "kind": "json", "title": "Orders", "data": {"open": [1234, 5678]}}
            r = demo.post(f"/api/sessions/{link['sessionId']}/copilot/tiles", tile,
                          headers={"authorization": f"Bearer {token}"})
            assert r.status == 200, r
            _, snap = await subscribe_snapshot(demo, link)
            assert [t for t in snap["tiles"] if t["id"] == "orders"] == [r.json()["tile"]], snap["tiles"]

    run(scenario())


# -- 6. redaction ----------------------------------------------------------------------------------

def test_card_numbers_are_redacted_for_the_agent_only(demo):
    async def scenario():
        # One card number in the bot part (snapshot), one during the handover (live event).
        c, cid, link = await handover_with_link(demo, chatter=(f"can I pay with my card {CARD}?",))
        async with c:
            await agent_accepts(demo, c, cid, "agent-6")
            cop, snap = await subscribe_snapshot(demo, link)
            async with cop:
                ack = await c.message(f"the card is {CARD}, and {NOT_A_CARD} is not one")
                echo = await c.expect_event("message", id=ack["id"])
                # The user's own stream is intact.
                assert echo["text"] == f"the card is {CARD}, and {NOT_A_CARD} is not one", echo
                assert any(m["text"] == f"can I pay with my card {CARD}?" for m in chat_messages(c))

                first = next(m for m in snap["transcript"] if m["from"] == "user" and "pay with my card" in m["text"])
                assert_redacted(first["text"], "can I pay with my card ", "?")
                await cop.until_transcript(ack["seq"])
                final = await fresh_snapshot(demo, link)
                await catch_up(cop, final["pos"], "the position of a fresh snapshot")
                live = next(f["message"] for f in cop.feed() if f["type"] == "transcript")
                assert live["seq"] == ack["seq"]
                assert_redacted(live["text"], "the card is ", f", and {NOT_A_CARD} is not one")

                # The number shows nowhere on the copilot: not in the transcript, not in any tile.
                everything = json.dumps([snap, cop.frames, final], ensure_ascii=False)
                for form in (CARD, CARD.replace(" ", ""), "1111 1111 1111"):
                    assert form not in everything, f"{form!r} reached the copilot"

    run(scenario())


# -- 7. secrets --------------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["debug", "trace"])
def test_tokens_never_logged_nor_shown(start_relay, level):
    relay = start_relay("demo", "--log-level", level)
    seen = {}

    async def scenario():
        c, cid, link = await handover_with_link(relay)
        async with c:
            seen["url_token"] = link["URLToken"]
            integrator = relay.mint_token("--scope", "copilot:tiles", "--subject", "crm-test")
            seen["integrator"] = integrator

            assert relay.get(link["path_and_query"]).status == 200
            assert relay.get(f"/copilot/?sessionId={link['sessionId']}&URLToken={link['URLToken']}x").status == 401
            await expect_refused(relay, {"type": "subscribe", "sessionId": link["sessionId"],
                                         "token": link["URLToken"][:-1]}, "bad_token", 4401, "bad")
            cop, snap = await subscribe_snapshot(relay, link)
            async with cop:
                await agent_accepts(relay, c, cid, "agent-9")
                path = f"/api/sessions/{link['sessionId']}/copilot/tiles"
                tile = {"id": "crm", "kind": "markdown", "title": "CRM", "data": {"markdown": "hi"}}
                assert relay.post(path, tile, headers={"authorization": f"Bearer {integrator}"}).status == 200
                assert relay.post(path, tile, headers={"authorization": f"Bearer {integrator}x"}).status == 401
                assert relay.request("DELETE", f"{path}/crm",
                                     headers={"authorization": f"Bearer {integrator}"}).status == 204
                ack = await c.message("thanks")
                await cop.until_transcript(ack["seq"])
                final = await fresh_snapshot(relay, link)
                await catch_up(cop, final["pos"], "the position of a fresh snapshot")

                identities = [t for t in snap["tiles"] + final["tiles"] if t["id"] == "identity"]
                identities += [f["tile"] for f in cop.feed() if f["type"] == "tile" and f["tile"]["id"] == "identity"]
                assert len(identities) >= 3, identities  # snapshot, the agent joining, the fresh snapshot
                for t in identities:
                    dumped = json.dumps(t)
                    for s in (link["URLToken"], link["URLToken"].split(".")[1], "copilotUrl", "URLToken",
                              "/copilot/", integrator):
                        assert s not in dumped, f"{s!r} in the identity tile: {dumped}"
                # Nor anywhere else in what the page receives.
                everything = json.dumps([snap, cop.frames, final])
                assert link["URLToken"] not in everything and integrator not in everything

    run(scenario())
    assert relay.stop() is not None
    stdout, stderr = relay.stdout(), relay.stderr()
    assert " debug " in stderr, stderr[-2000:]  # the run did log at debug level
    assert "integrator tile upserted" in stdout + stderr, (stdout + stderr)[-3000:]
    secret_file = (relay.data_dir / "token-secret").read_text().strip()
    for name, s in [("URLToken", seen["url_token"]), ("URLToken signature", seen["url_token"].split(".")[1]),
                    ("integrator token", seen["integrator"]),
                    ("integrator signature", seen["integrator"].split(".")[1]), ("token secret", secret_file)]:
        assert s not in stdout, f"the {name} is in stdout"
        assert s not in stderr, f"the {name} is in stderr"
