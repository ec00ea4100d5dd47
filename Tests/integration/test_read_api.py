"""The read API (bearer token with scope `stream:read`): GET /api/sessions, /api/sessions/{id},
/api/sessions/{id}/events and /api/events — auth, filters, paging, RFC 7807 errors, no secrets."""

import os

from chatclient import agent_accepts, ask_for_agent, run, start_chat
from copilotclient import copilot_link, sign_token, subscribe_snapshot
from streamclient import STREAM_SCOPE, StreamClient, bearer, integrator_token, read_log

ROUTES = ["/api/sessions", "/api/sessions/some-session", "/api/sessions/some-session/events", "/api/events"]
SUMMARY_FIELDS = {"id", "state", "user", "lastSeq", "lastEventAt", "connections", "copilotWatchers",
                  "handoverCount", "handover", "ended"}


def problem(r, status: int, code: str) -> dict:
    assert r.status == status, f"expected {status} {code}, got {r}"
    assert "json" in r.headers.get("content-type", ""), r.headers
    body = r.json()
    assert body["status"] == status and body["code"] == code and isinstance(body["message"], str) \
        and body["message"], body
    return body


async def last_bot_reply(chat, text: str) -> dict:
    ack = await chat.message(text)
    return await chat.expect("message", predicate=lambda f: f["seq"] > ack["seq"] and f["from"] == "bot")


async def four_sessions(relay):
    """active (agent joined), queued, bot (never handed over), ended. Returns chats and the active one's
    conversation id; each chat's last event has been received by it."""
    active = await start_chat(relay, user={"name": "Ada Active"}, label="active")
    conversation = await ask_for_agent(relay, active, 0)
    await agent_accepts(relay, active, conversation["id"], "agent-1")
    queued = await start_chat(relay, user={"name": "Quinn Queued"}, label="queued")
    await ask_for_agent(relay, queued, 1)
    bot = await start_chat(relay, user={"name": "Bo Bot"}, label="bot")
    await last_bot_reply(bot, "what are your opening hours?")
    ended = await start_chat(relay, user={"name": "Ed Ended"}, label="ended")
    await ended.send({"type": "end"})
    code, _ = await ended.expect_closed()
    assert code == 1000, code
    return {"active": active, "queued": queued, "bot": bot, "ended": ended}, conversation["id"]


def sid(chat) -> str:
    return chat.welcome["sessionId"]


def test_auth_errors_are_rfc7807(demo):
    async def scenario():
        chat = await start_chat(demo)
        async with chat:
            good = demo.mint_token("--scope", STREAM_SCOPE)
            payload_part = good.split(".")[0]
            cases = {
                "no header": {},
                "basic": {"authorization": f"Basic {good}"},
                "bearer without token": {"authorization": "Bearer "},
                "garbage": bearer("garbage"),
                "other secret": bearer(sign_token({"typ": "integrator", "sub": "x", "scopes": [STREAM_SCOPE],
                                                   "exp": 4_000_000_000}, os.urandom(32))),
                "bad signature": bearer(payload_part + ".AAAA"),
            }
            for route in ROUTES:
                for label, headers in cases.items():
                    body = problem(demo.get(route, headers=headers), 401, "unauthorized")
                    assert good not in body["message"], (route, label)
                body = problem(demo.get(route, headers=bearer(integrator_token(demo, expires_in=-5))), 401,
                               "unauthorized")
                assert "expired" in body["message"], body
                for token in (demo.mint_token("--scope", "copilot:tiles"), integrator_token(demo, scopes=[])):
                    body = problem(demo.get(route, headers=bearer(token)), 403, "forbidden")
                    assert STREAM_SCOPE in body["message"], body
                for method in ("POST", "PUT", "DELETE", "PATCH"):
                    problem(demo.request(method, route, {} if method != "DELETE" else None, headers=bearer(good)),
                            405, "method_not_allowed")
            for route in ("/api/sessions/x/y/z", f"/api/sessions/{sid(chat)}/transcript"):
                problem(demo.get(route, headers=bearer(good)), 404, "not_found")
            assert good not in demo.stderr()

    run(scenario())


def test_list_sessions_with_filters_and_paging(demo):
    async def scenario():
        chats, cid = await four_sessions(demo)
        async with chats["active"], chats["queued"], chats["bot"]:
            token = demo.mint_token("--scope", STREAM_SCOPE)
            cop, _ = await subscribe_snapshot(demo, copilot_link(demo, 0))
            async with cop:
                r = demo.get("/api/sessions", headers=bearer(token))
                assert r.status == 200, r
                listing = r.json()
            assert listing["next"] is None, listing
            sessions = listing["sessions"]
            ids = [s["id"] for s in sessions]
            assert ids == sorted(ids) and set(ids) == {sid(c) for c in chats.values()}, ids
            by_name = {name: next(s for s in sessions if s["id"] == sid(c)) for name, c in chats.items()}
            for name, s in by_name.items():
                assert set(s) == SUMMARY_FIELDS, s
                chat = chats[name]
                last = chat.events()[-1]
                assert s["lastSeq"] == last["seq"] and s["lastEventAt"] == last["ts"], (name, s, last)
                assert s["user"]["name"] == chat_user_name(name), s

            a = by_name["active"]
            assert (a["state"], a["ended"], a["connections"], a["copilotWatchers"], a["handoverCount"]) == \
                ("active", False, 1, 1, 1), a
            assert {k: a["handover"][k] for k in ("state", "agentId", "provider", "queueId", "conversationId")} == \
                {"state": "active", "agentId": "agent-1", "provider": "default", "queueId": "support",
                 "conversationId": cid}, a["handover"]
            q = by_name["queued"]
            assert (q["state"], q["handover"]["state"], q["handover"]["queueId"], q["handoverCount"]) == \
                ("queued", "queued", "support", 1), q
            b = by_name["bot"]
            assert (b["state"], b["handover"], b["handoverCount"], b["connections"], b["copilotWatchers"]) == \
                ("bot", None, 0, 1, 0), b
            e = by_name["ended"]
            assert (e["state"], e["ended"], e["connections"]) == ("ended", True, 0), e

            def listed(query: str, tok: str = token) -> list[str]:
                r = demo.get(f"/api/sessions?{query}", headers=bearer(tok))
                assert r.status == 200, (query, r)
                return [s["id"] for s in r.json()["sessions"]]

            def ids_of(*names):
                return sorted(sid(chats[n]) for n in names)

            assert listed("state=active") == ids_of("active")
            assert listed("state=active,queued") == ids_of("active", "queued")
            assert listed("state=bot") == ids_of("bot")
            assert listed("state=ended") == ids_of("ended")
            assert listed("state=nonsense") == []
            assert listed("provider=default") == ids_of("active", "queued")
            assert listed("provider=acme") == []
            assert listed("queue=support") == ids_of("active", "queued")
            assert listed("queue=billing") == []
            assert listed("provider=default&state=queued") == ids_of("queued")

            # Paging by id: limit, then `after` = the previous page's `next`.
            pages, after = [], ""
            for _ in range(10):
                r = demo.get(f"/api/sessions?limit=1&after={after}", headers=bearer(token))
                assert r.status == 200, r
                page = r.json()
                pages.append([s["id"] for s in page["sessions"]])
                if page["next"] is None:
                    break
                assert page["next"] == pages[-1][-1], page
                after = page["next"]
            assert pages == [[i] for i in ids], pages
            r = demo.get("/api/sessions?limit=3", headers=bearer(token)).json()
            assert [s["id"] for s in r["sessions"]] == ids[:3] and r["next"] == ids[2], r
            assert listed(f"after={ids[1]}") == ids[2:]
            for bad in ("0", "1001", "abc", "-1", ""):
                problem(demo.get(f"/api/sessions?limit={bad}", headers=bearer(token)), 400, "bad_request")

            # Token limits.
            one = demo.mint_token("--scope", STREAM_SCOPE, f"--session={sid(chats['bot'])}")
            assert listed("", one) == ids_of("bot")
            assert listed("state=active", one) == []
            assert listed("", integrator_token(demo, providers=["default"])) == ids_of("active", "queued")

    run(scenario(), timeout=60)


def chat_user_name(name: str) -> str:
    return {"active": "Ada Active", "queued": "Quinn Queued", "bot": "Bo Bot", "ended": "Ed Ended"}[name]


def test_one_session(demo):
    async def scenario():
        chats, _ = await four_sessions(demo)
        async with chats["active"], chats["queued"], chats["bot"]:
            token = demo.mint_token("--scope", STREAM_SCOPE)
            listing = {s["id"]: s for s in demo.get("/api/sessions", headers=bearer(token)).json()["sessions"]}
            for name, chat in chats.items():
                r = demo.get(f"/api/sessions/{sid(chat)}", headers=bearer(token))
                assert r.status == 200, (name, r)
                assert r.json() == listing[sid(chat)], name
            problem(demo.get("/api/sessions/no-such-session", headers=bearer(token)), 404, "unknown_session")
            other = demo.mint_token("--scope", STREAM_SCOPE, f"--session={sid(chats['bot'])}")
            problem(demo.get(f"/api/sessions/{sid(chats['active'])}", headers=bearer(other)), 404, "unknown_session")
            assert demo.get(f"/api/sessions/{sid(chats['bot'])}", headers=bearer(other)).status == 200
            acme = integrator_token(demo, providers=["acme"])
            problem(demo.get(f"/api/sessions/{sid(chats['active'])}", headers=bearer(acme)), 404, "unknown_session")

    run(scenario(), timeout=60)


def test_session_events_paged_by_seq(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(demo)
        other = await start_chat(demo, label="other")
        async with chat, other:
            conversation = await ask_for_agent(demo, chat)
            await agent_accepts(demo, chat, conversation["id"], "agent-2")
            demo.sim_agent(conversation["id"], "messages", {"text": "Hello from the agent"})
            await chat.expect("message", predicate=lambda f: f["from"] == "agent")
            await last_bot_reply(other, "returns?")
            seen = chat.events()
            path = f"/api/sessions/{sid(chat)}/events"

            r = demo.get(path, headers=bearer(token))
            assert r.status == 200, r
            body = r.json()
            assert body["sessionId"] == sid(chat) and body["next"] is None, body
            events = body["events"]
            assert [e["event"] for e in events] == seen
            log, _ = read_log(demo, token)
            assert events == [e for e in log if e["sessionId"] == sid(chat)]

            page = demo.get(f"{path}?afterSeq=3&limit=2", headers=bearer(token)).json()
            assert [e["seq"] for e in page["events"]] == [4, 5] and page["next"] == 5, page
            collected, after = [], 0
            for _ in range(20):
                page = demo.get(f"{path}?afterSeq={after}&limit=3", headers=bearer(token)).json()
                collected += page["events"]
                if page["next"] is None:
                    break
                after = page["next"]
            assert collected == events
            last = demo.get(f"{path}?afterSeq={seen[-1]['seq']}", headers=bearer(token)).json()
            assert last == {"sessionId": sid(chat), "events": [], "next": None}, last

            for bad in ("afterSeq=-1", "afterSeq=x", "limit=0", "limit=1001"):
                problem(demo.get(f"{path}?{bad}", headers=bearer(token)), 400, "bad_request")
            problem(demo.get("/api/sessions/no-such-session/events", headers=bearer(token)), 404, "unknown_session")
            limited = demo.mint_token("--scope", STREAM_SCOPE, f"--session={sid(other)}")
            problem(demo.get(path, headers=bearer(limited)), 404, "unknown_session")
            assert demo.get(f"/api/sessions/{sid(other)}/events", headers=bearer(limited)).status == 200
            only_messages = demo.get(path, headers=bearer(integrator_token(demo, types=["message"]))).json()
            assert only_messages["events"] == [e for e in events if e["kind"] == "message"], only_messages

    run(scenario(), timeout=60)


def test_log_paged_by_offset_with_filters(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        a = await start_chat(demo, label="a")
        b = await start_chat(demo, label="b")
        async with a, b:
            await ask_for_agent(demo, a)
            await last_bot_reply(b, "opening hours?")
            await last_bot_reply(b, "delivery?")

            first = demo.get("/api/events?limit=5", headers=bearer(token)).json()
            assert set(first) == {"epoch", "events", "next", "lastOffset", "recovered"}, first
            assert [e["offset"] for e in first["events"]] == [1, 2, 3, 4, 5] and first["next"] == 5, first
            assert first["recovered"] is True and first["lastOffset"] == 10, first  # 5 events per session
            end = first["lastOffset"]

            collected, after, pages = [], 0, 0
            while True:
                page = demo.get(f"/api/events?after={after}&limit=4", headers=bearer(token)).json()
                pages += 1
                assert page["epoch"] == first["epoch"] and page["lastOffset"] == end, page
                collected += page["events"]
                assert page["next"] > after or page["next"] == end, page
                if page["next"] >= page["lastOffset"]:
                    break
                after = page["next"]
            assert [e["offset"] for e in collected] == list(range(1, end + 1)) and pages == -(-end // 4)
            assert {e["sessionId"] for e in collected} == {sid(a), sid(b)}
            tail = demo.get(f"/api/events?after={end}", headers=bearer(token)).json()
            assert tail["events"] == [] and tail["next"] == end, tail

            # The same as the stream's replay.
            sub = await StreamClient.open(demo)
            async with sub:
                await sub.subscribed(token, from_="start")
                await sub.until_live()
                assert sub.stream_events() == collected

            def filtered(query: str, tok: str = token) -> list[dict]:
                events, _ = read_log(demo, tok, limit=3, **dict(p.split("=") for p in query.split("&")))
                return events

            assert filtered("types=handover") == [e for e in collected if e["kind"] == "handover"]
            assert filtered(f"sessions={sid(b)}") == [e for e in collected if e["sessionId"] == sid(b)]
            assert filtered(f"sessions={sid(a)},{sid(b)}&types=message") == \
                [e for e in collected if e["kind"] == "message"]
            assert filtered("providers=default") == [e for e in collected if e.get("provider") == "default"]
            assert filtered("queues=support") == [e for e in collected if e.get("queue") == "support"]
            # A selective filter still reads a bounded page: `next` moves on even when nothing matched.
            handovers = [e["offset"] for e in collected if e["kind"] == "handover"]
            page = demo.get(f"/api/events?types=handover&limit=2", headers=bearer(token)).json()
            assert page["next"] == 2 and page["events"] == [e for e in collected[:2] if e["kind"] == "handover"]
            assert handovers and handovers[0] > 2, handovers

            # Limits of the token.
            only_b = demo.mint_token("--scope", STREAM_SCOPE, f"--session={sid(b)}")
            assert read_log(demo, only_b)[0] == [e for e in collected if e["sessionId"] == sid(b)]
            body = problem(demo.get(f"/api/events?sessions={sid(a)}", headers=bearer(only_b)), 403, "forbidden")
            assert "sessions" in body["message"], body
            only_messages = integrator_token(demo, types=["message"])
            problem(demo.get("/api/events?types=handover", headers=bearer(only_messages)), 403, "forbidden")
            assert read_log(demo, only_messages)[0] == [e for e in collected if e["kind"] == "message"]

            # Positions.
            body = problem(demo.get(f"/api/events?after={end + 1}", headers=bearer(token)), 416, "bad_position")
            assert str(end) in body["message"], body
            problem(demo.get(f"/api/events?after={end + 1}&epoch={first['epoch']}", headers=bearer(token)),
                    416, "bad_position")
            other_epoch = "0" * 16 if first["epoch"] != "0" * 16 else "f" * 16
            moved = demo.get(f"/api/events?after={end + 50}&epoch={other_epoch}&limit=3", headers=bearer(token)).json()
            assert (moved["recovered"], moved["reason"], moved["epoch"]) == (False, "epoch_changed", first["epoch"])
            assert [e["offset"] for e in moved["events"]] == [1, 2, 3], moved
            for bad in ("after=-1", "after=x", "limit=0", "limit=1001", "limit=x"):
                problem(demo.get(f"/api/events?{bad}", headers=bearer(token)), 400, "bad_request")

    run(scenario(), timeout=60)


def test_no_resume_token_or_copilot_link_token_is_ever_served(demo):
    async def scenario():
        token = demo.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(demo, user={"name": "Sec Ret", "email": "sec@example.com"})
        async with chat:
            conversation = await ask_for_agent(demo, chat)
            await agent_accepts(demo, chat, conversation["id"], "agent-9")
            link = copilot_link(demo, 0)
            secrets = {"resumeToken": chat.welcome["resumeToken"], "URLToken": link["URLToken"]}
            assert all(len(v) >= 16 for v in secrets.values()), secrets
            s = sid(chat)
            bodies = {path: demo.get(path, headers=bearer(token)).body.decode()
                      for path in ("/api/sessions", f"/api/sessions/{s}", f"/api/sessions/{s}/events",
                                   "/api/events", "/api/sessions?state=active")}
            sub = await StreamClient.open(demo)
            async with sub:
                await sub.subscribed(token, from_="start")
                await sub.until_live()
            bodies["stream"] = str(sub.frames)
            assert s in bodies["/api/sessions"] and "agent-9" in bodies[f"/api/sessions/{s}"]
            for where, text in bodies.items():
                for name, value in secrets.items():
                    assert value not in text, f"{name} leaked in {where}"
                assert "copilotUrl" not in text and "resumeToken" not in text and "URLToken" not in text, where

    run(scenario())
