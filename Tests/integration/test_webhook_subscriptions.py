"""Integrator webhook subscriptions (`stream.webhooks` in the config file): signed POSTs of the log in
offset order, filters, batches, retries with the same X-Relay-Delivery, and a restart that neither skips
nor repeats. The receiver is a threaded HTTP server on 127.0.0.1; every wait on it is bounded."""

import asyncio
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

import pytest

from chatclient import ChatClient, agent_accepts, ask_for_agent, run, start_chat
from conftest import Relay
from streamclient import STREAM_SCOPE, read_log

SECRET = "a-webhook-secret-of-some-length"
WAIT = 10.0


class HookReceiver:
    """Records every POST (path, headers, raw body, status answered). Answers per path: first the statuses
    queued in `script[path]`, then `fail[path]` if set, else 200."""

    def __init__(self):
        self.posts: list[dict] = []
        self.script: dict[str, list[int]] = {}
        self.fail: dict[str, int] = {}
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.cond:
                    queued = receiver.script.get(self.path)
                    status = queued.pop(0) if queued else receiver.fail.get(self.path, 200)
                    receiver.posts.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "raw": body, "json": json.loads(body), "status": status,
                                           "at": time.monotonic()})
                    receiver.cond.notify_all()
                data = b'{"ok":true}' if status < 300 else b'{"error":"scripted"}'
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def of(self, path: str, accepted: Optional[bool] = None) -> list[dict]:
        with self.cond:
            return [p for p in self.posts if p["path"] == path and (accepted is None or (p["status"] < 300) == accepted)]

    def wait(self, check: Callable[[], bool], what: str, timeout: float = WAIT):
        """Blocks (bounded) until `check()` holds; re-checked after every POST."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not check():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(p["path"], p["headers"].get("x-relay-delivery"), p["status"]) for p in self.posts]
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}; posts: {seen}")
                self.cond.wait(remaining)

    async def until(self, check: Callable[[], bool], what: str, timeout: float = WAIT):
        await asyncio.to_thread(self.wait, check, what, timeout)

    async def until_accepted(self, path: str, offset: int, timeout: float = WAIT):
        """Until an accepted POST to `path` carried `offset` or a later one."""
        await self.until(lambda: any(e["offset"] >= offset for p in self.of(path, True) for e in p["json"]["events"]),
                         f"{path} accepted through offset {offset}", timeout)


@pytest.fixture
def receiver():
    r = HookReceiver()
    yield r
    r.close()


def hooks(receiver: HookReceiver, *subscriptions: dict) -> dict:
    """A config with these subscriptions; each dict has a `name` and optional fields; the URL is /hook/<name>."""
    return {"stream": {"webhooks": [{"url": receiver.url(f"/hook/{s['name']}"), "secret": SECRET, **s}
                                    for s in subscriptions]}}


def restart(request, relay: Relay, args: Optional[list] = None) -> Relay:
    """Stops `relay` (SIGTERM) and starts the same command (or `args`) on the same data directory, as a new
    Relay whose output is kept apart (and attached to a failing test's report)."""
    code = relay.stop()
    assert code == 0, f"the relay exited with {code} on SIGTERM\n{relay.output()}"
    again = Relay(list(args or relay.args), relay.log_dir, f"{relay.name}-restart{len(request.node._relays)}", relay.env)
    again.data_dir = relay.data_dir
    request.node._relays.append(again)
    again.start()
    return again


def check_signature(post: dict, secret: str = SECRET):
    header = post["headers"]["x-relay-signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    assert set(parts) == {"t", "v1"}, header
    t = int(parts["t"])
    assert abs(time.time() - t) < 300, f"signature timestamp {t} is not now"
    expected = hmac.new(secret.encode(), f"{t}.".encode() + post["raw"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected), f"bad signature {header} for {post['raw'][:200]!r}"


def delivery_of(post: dict, name: str) -> str:
    events = post["json"]["events"]
    return f"{name}:{events[0]['offset']}-{events[-1]['offset']}"


def accepted_events(receiver: HookReceiver, path: str) -> list[dict]:
    return [e for p in receiver.of(path, True) for e in p["json"]["events"]]


async def message_and_reply(chat, text: str) -> dict:
    ack = await chat.message(text)
    return await chat.expect("message", predicate=lambda f: f["seq"] > ack["seq"] and f["from"] == "bot")


def test_signed_ordered_batches_and_filters(start_relay, receiver):
    relay = start_relay("demo", config=hooks(receiver, {"name": "all", "batchSize": 3},
                                             {"name": "handovers", "filter": {"types": ["handover"]}},
                                             {"name": "bot-only", "filter": {"providers": ["default"],
                                                                             "queues": ["billing"]}}))

    async def scenario():
        token = relay.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(relay)
        async with chat:
            await message_and_reply(chat, "what are your opening hours?")
            conversation = await ask_for_agent(relay, chat)
            await agent_accepts(relay, chat, conversation["id"], "agent-4")
            relay.sim_agent(conversation["id"], "messages", {"text": "Hi there"})
            await chat.expect("message", predicate=lambda f: f["from"] == "agent")
            relay.sim_agent(conversation["id"], "close")
            await chat.expect("handover", state="ended")
            back = await chat.expect("message", predicate=lambda f: f["from"] == "bot")
            log, page = read_log(relay, token)
            assert log[-1]["seq"] == back["seq"]
            handovers = [e for e in log if e["kind"] == "handover"]
            await receiver.until_accepted("/hook/all", log[-1]["offset"])
            await receiver.until_accepted("/hook/handovers", handovers[-1]["offset"])

        assert (relay.data_dir / "relay.sqlite3").is_file()
        for name, expected in (("all", log), ("handovers", handovers)):
            posts = receiver.of(f"/hook/{name}")
            assert posts and all(p["status"] == 200 for p in posts), name
            for p in posts:
                check_signature(p)
                assert p["headers"]["content-type"].startswith("application/json"), p["headers"]
                assert set(p["json"]) == {"subscription", "epoch", "events"}, p["json"]
                assert p["json"]["subscription"] == name and p["json"]["epoch"] == page["epoch"], p["json"]
                assert p["json"]["events"], "an empty batch was posted"
                assert p["headers"]["x-relay-delivery"] == delivery_of(p, name), p["headers"]
            got = accepted_events(receiver, f"/hook/{name}")
            assert got == expected, f"{name}: {[e['offset'] for e in got]} != {[e['offset'] for e in expected]}"
        assert max(len(p["json"]["events"]) for p in receiver.of("/hook/all")) == 3
        assert all(len(p["json"]["events"]) <= 3 for p in receiver.of("/hook/all"))
        assert receiver.of("/hook/bot-only") == []  # no billing-queue events
        # The signature covers the body: the same body signed with another secret does not verify.
        with pytest.raises(AssertionError):
            check_signature(receiver.of("/hook/all")[0], secret="another-secret-entirely")
        assert SECRET not in relay.stderr() and SECRET not in relay.stdout()

    run(scenario(), timeout=60)


def test_a_failed_post_is_retried_with_the_same_delivery(start_relay, receiver):
    relay = start_relay("demo", config=hooks(receiver, {"name": "flaky"}, {"name": "steady"}))

    async def scenario():
        token = relay.mint_token("--scope", STREAM_SCOPE)
        first = await start_chat(relay, label="first")
        async with first:
            await message_and_reply(first, "opening hours?")
            end = read_log(relay, token)[0][-1]["offset"]
            await receiver.until_accepted("/hook/flaky", end)
            await receiver.until_accepted("/hook/steady", end)

            # The next POST fails once; nothing else is logged meanwhile (the greeting is the only event).
            receiver.script["/hook/flaky"] = [500]
            second = await start_chat(relay, label="second")
            async with second:
                await receiver.until(lambda: len(receiver.of("/hook/flaky", False)) == 1, "the failed POST")
                failed = receiver.of("/hook/flaky", False)[0]
                await receiver.until_accepted("/hook/flaky", end + 1)
                retry = receiver.of("/hook/flaky", True)[-1]
                # The other subscription did not wait for the failing one's retry.
                steady = receiver.of("/hook/steady")[-1]
                assert steady["json"]["events"][0]["offset"] == end + 1 and steady["at"] < retry["at"]
                assert retry["headers"]["x-relay-delivery"] == failed["headers"]["x-relay-delivery"] == \
                    f"flaky:{end + 1}-{end + 1}", (failed["headers"], retry["headers"])
                assert retry["json"] == failed["json"]
                check_signature(failed)
                check_signature(retry)
                # Backoff: 1 s with jitter (0.5–1 s) before the first retry.
                assert 0.4 <= retry["at"] - failed["at"] <= 3.0, retry["at"] - failed["at"]

                # Accepted: the feed moves on, from the next offset, without repeating the retried batch.
                await message_and_reply(second, "returns?")
                log, _ = read_log(relay, token)
                await receiver.until_accepted("/hook/flaky", log[-1]["offset"])
                await receiver.until_accepted("/hook/steady", log[-1]["offset"])
                assert accepted_events(receiver, "/hook/flaky") == log
                assert accepted_events(receiver, "/hook/steady") == log
                deliveries = [p["headers"]["x-relay-delivery"] for p in receiver.of("/hook/flaky", True)]
                assert len(deliveries) == len(set(deliveries)), deliveries

    run(scenario(), timeout=60)


def test_events_logged_during_the_backoff_do_not_change_the_retried_batch(start_relay, receiver):
    """WebhookDelivery: "X-Relay-Delivery … is the same for every retry of a batch: receivers dedupe on it".
    A receiver that processed the failed POST (answering 500 or timing out afterwards) must be able to
    recognise its retry."""
    relay = start_relay("demo", config=hooks(receiver, {"name": "flaky"}))

    async def scenario():
        token = relay.mint_token("--scope", STREAM_SCOPE)
        receiver.script["/hook/flaky"] = [500, 500]  # two failures: the second retry comes ≥ 1.5 s after the first POST
        chat = await start_chat(relay)
        async with chat:
            await receiver.until(lambda: len(receiver.of("/hook/flaky", False)) == 1, "the failed POST")
            await message_and_reply(chat, "opening hours?")  # logged while the relay waits to retry
            log, _ = read_log(relay, token)
            await receiver.until_accepted("/hook/flaky", log[-1]["offset"], timeout=15)
            assert accepted_events(receiver, "/hook/flaky") == log  # (holds: nothing lost, nothing doubled)
            attempts = [p["headers"]["x-relay-delivery"] for p in receiver.of("/hook/flaky")]
            assert attempts[0] == attempts[1] == attempts[2] == "flaky:1-1", attempts

    run(scenario(), timeout=60)


def test_restart_continues_without_duplicates_or_gaps(request, start_relay, receiver):
    relay = start_relay("demo", config=hooks(receiver, {"name": "crm", "batchSize": 2}))

    async def scenario():
        nonlocal relay
        token = relay.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(relay)
        sid, resume = chat.welcome["sessionId"], chat.welcome["resumeToken"]
        async with chat:
            await message_and_reply(chat, "opening hours?")
            await message_and_reply(chat, "delivery?")
            before, page = read_log(relay, token)
            await receiver.until_accepted("/hook/crm", before[-1]["offset"])

            # The receiver goes down; events pile up; the relay stops while it is retrying.
            receiver.fail["/hook/crm"] = 503
            await message_and_reply(chat, "returns?")
            reply = await message_and_reply(chat, "thanks")
            pending, _ = read_log(relay, token)
            await receiver.until(lambda: any(p["json"]["events"][0]["offset"] == before[-1]["offset"] + 1
                                             for p in receiver.of("/hook/crm", False)), "a failed POST of the new events")
        posts_before_restart = len(receiver.posts)

        del receiver.fail["/hook/crm"]
        relay = restart(request, relay)
        # With no new activity, the restarted relay delivers what was pending.
        await receiver.until_accepted("/hook/crm", pending[-1]["offset"])

        # The same session goes on after the restart.
        chat = await ChatClient.connect(relay.ws_url, label="resumed")
        async with chat:
            welcome = await chat.hello(sessionId=sid, resumeToken=resume, lastSeq=reply["seq"])
            assert welcome["resumed"] is True and welcome["lastSeq"] == reply["seq"], welcome
            await message_and_reply(chat, "opening hours again?")
            final, final_page = read_log(relay, token)
            await receiver.until_accepted("/hook/crm", final[-1]["offset"])

        assert final_page["epoch"] == page["epoch"] and final[:len(pending)] == pending
        assert len(final) > len(pending)
        got = accepted_events(receiver, "/hook/crm")
        assert [e["offset"] for e in got] == list(range(1, final[-1]["offset"] + 1)), [e["offset"] for e in got]
        assert got == final
        accepted = receiver.of("/hook/crm", True)
        deliveries = [p["headers"]["x-relay-delivery"] for p in accepted]
        assert len(deliveries) == len(set(deliveries)), deliveries
        assert all(p["json"]["epoch"] == page["epoch"] for p in receiver.posts)
        for p in receiver.posts[posts_before_restart:]:
            check_signature(p)

    run(scenario(), timeout=60)


def test_a_new_subscription_starts_at_the_end_of_the_log(request, start_relay, receiver, tmp_path):
    relay = start_relay("demo")

    async def scenario():
        nonlocal relay
        token = relay.mint_token("--scope", STREAM_SCOPE)
        chat = await start_chat(relay)
        sid, resume = chat.welcome["sessionId"], chat.welcome["resumeToken"]
        async with chat:
            reply = await message_and_reply(chat, "opening hours?")
        old, _ = read_log(relay, token)

        config = tmp_path / "late-config.json"
        config.write_text(json.dumps(hooks(receiver, {"name": "late"})))
        relay = restart(request, relay, ["demo", "--config", str(config)])
        chat = await ChatClient.connect(relay.ws_url)
        async with chat:
            await chat.hello(sessionId=sid, resumeToken=resume, lastSeq=reply["seq"])
            await message_and_reply(chat, "delivery?")
            log, _ = read_log(relay, token)
            await receiver.until_accepted("/hook/late", log[-1]["offset"])
        assert accepted_events(receiver, "/hook/late") == log[len(old):]
        assert receiver.of("/hook/late")[0]["json"]["events"][0]["offset"] == old[-1]["offset"] + 1

    run(scenario(), timeout=60)
