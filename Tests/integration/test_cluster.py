"""Two relay nodes on one Redis (issue 8), with no session affinity.

A throwaway `redis-server` (loopback, persistence off) is started per test; both
nodes share it with their own key prefix per test. The 8x8 side is the standalone
simulator, whose webhooks go to whichever node the test points them at — the
same as 8x8 behind a load balancer.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from chatclient import ChatClient, assert_contiguous, run, user_texts
from conftest import Relay, free_port, poll_until
from relayproc import spawn
from test_restart import Simulator, read_stream_until_live, stream_until
from webhook_signing import shared_key

STREAM = "handover.stream.v1"
SECRET = "cluster-test-secret-0123456789abcdef0123456789"
NODE_TIMEOUT_MS = 2000


class RedisServer:
    """`redis-server` on a free loopback port, no persistence; stopped at teardown."""

    def __init__(self, log_dir):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run `make deps` (the test command installs it)")
        self.binary = binary
        self.log_dir = log_dir
        self.port = 0
        self.proc = None

    def start(self, port: int | None = None):
        self.port = port or free_port()
        self.proc = spawn([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--protected-mode", "yes"], self.log_dir / "redis.stdout", self.log_dir / "redis.stderr")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return self
            time.sleep(0.05)  # start-up has no event to await: bounded readiness poll
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


class Cluster:
    """Two relay nodes (a, b) on one Redis prefix, and the 8x8 simulator."""

    def __init__(self, tmp_path, redis: RedisServer, webhooks_to: str = "b", extra: dict | None = None):
        self.prefix = "t" + uuid.uuid4().hex[:10]
        ports = {"a": free_port(), "b": free_port()}
        self.sim = Simulator(tmp_path, f"http://127.0.0.1:{ports[webhooks_to]}/webhooks/8x8").start()
        config = tmp_path / "cluster.json"
        config.write_text(json.dumps({"store": {"backend": "redis", "redis": {
            "url": redis.url, "prefix": self.prefix, "nodeTimeoutMs": NODE_TIMEOUT_MS}}, **(extra or {})}))
        config.chmod(0o600)
        args = ["serve", "--config", str(config), "--copilot-secret", SECRET,
                "--8x8-base-url", f"http://127.0.0.1:{self.sim.port}/sim", "--8x8-api-key", "simulator-api-key",
                "--8x8-tenant", "demo-tenant", "--8x8-channel-id", "demo-channel", "--8x8-queue-id", "support"]
        self.a = Relay(args, tmp_path, "node-a")
        self.b = Relay(args, tmp_path, "node-b")
        self.a.start(port=ports["a"])
        self.b.start(port=ports["b"])

    def stop(self):
        for process in (self.a, self.b, self.sim):
            process.stop()


@pytest.fixture
def cluster(tmp_path, redis, request):
    c = Cluster(tmp_path, redis)
    request.node._relays = [c.a, c.b, c.sim]
    yield c
    c.stop()


async def start_handover(node: Relay, sim: Simulator, agent: str = "agent-7"):
    """A user on `node` in an active handover; returns (client, welcome, conversation id)."""
    c = await ChatClient.connect(node.ws_url, label=f"user@{node.name}")
    welcome = await c.hello(user={"name": "Ada"})
    await c.expect_event("message", **{"from": "bot"})
    await c.message("agent please")
    await c.expect_event("handover", state="queued")
    conversation = await sim.sim_wait_conversation(0)
    cid = conversation["id"]
    sim.sim_agent(cid, "accept", {"agentId": agent})
    await c.expect_event("handover", state="active", agentId=agent)
    return c, welcome, cid


def test_webhook_on_node_b_reaches_the_user_on_node_a(cluster):
    """The simulator's webhooks land on node B; the session lives on node A."""
    async def scenario():
        c, _, cid = await start_handover(cluster.a, cluster.sim)
        cluster.sim.sim_agent(cid, "messages", {"text": "Hello from the agent"})
        await c.expect_event("message", text="Hello from the agent", **{"from": "agent"})
        await c.message("thanks, user here")
        await cluster.sim.sim_wait(cid, lambda conv: user_texts(conv)[-1:] == ["thanks, user here"], "the user's message in 8x8")
        assert_contiguous(c.events())
        await c.close()

    run(scenario(), timeout=60)


def test_stream_on_node_b_sees_node_a_sessions_in_order(cluster):
    async def scenario():
        token = cluster.b.mint_token("--scope", "stream:read")
        stream = await ChatClient.connect(f"ws://127.0.0.1:{cluster.b.port}/ws/stream", subprotocols=(STREAM,), label="stream@b")
        await stream.send({"type": "subscribe", "token": token, "from": "start"})
        subscribed = await stream.recv()
        assert subscribed["type"] == "subscribed", subscribed
        await read_stream_until_live(stream)

        c = await ChatClient.connect(cluster.a.ws_url, label="user@a")
        welcome = await c.hello(user={"name": "Ada"})
        for i in range(5):
            await c.message(f"question {i}")
            await c.expect_event("message", **{"from": "bot"})
        last = max(e["seq"] for e in c.events())
        streamed = await stream_until(stream, lambda e: e["sessionId"] == welcome["sessionId"] and e["seq"] == last,
                                      "node A's events on node B's stream")
        mine = [e for e in streamed if e["sessionId"] == welcome["sessionId"]]
        assert [e["seq"] for e in mine] == list(range(1, last + 1)), mine
        offsets = [e["offset"] for e in streamed]
        assert offsets == sorted(set(offsets)), offsets
        assert [e["event"]["text"] for e in mine if e["event"]["type"] == "message" and e["event"]["from"] == "user"] == \
            [f"question {i}" for i in range(5)]
        await c.close()
        await stream.close()

    run(scenario(), timeout=60)


def test_user_resumes_on_node_b_after_node_a_is_killed(cluster):
    async def scenario():
        c, welcome, cid = await start_handover(cluster.a, cluster.sim)
        cluster.sim.sim_agent(cid, "messages", {"text": "before the crash"})
        await c.expect_event("message", text="before the crash")
        last_seq = max(e["seq"] for e in c.events())

        cluster.a.kill()
        c.drop()
        # While no node holds the session the agent writes (the webhook lands on B, which takes the session over).
        cluster.sim.sim_agent(cid, "messages", {"text": "while node A is gone"})

        c2, resumed = await resume_through(cluster.b, welcome, last_seq)
        assert resumed["resumed"] is True and resumed["mode"] == "handover", resumed
        await c2.expect_event("message", text="while node A is gone", timeout=NODE_TIMEOUT_MS / 1000 + 15)
        missed = c2.events()
        whole = [e for e in c.events() if e["seq"] <= last_seq] + missed
        assert_contiguous(whole)

        await c2.message("still here")
        await cluster.sim.sim_wait(cid, lambda conv: user_texts(conv)[-1:] == ["still here"], "a message after the takeover")
        assert user_texts(cluster.sim.sim_conversation(cid)).count("still here") == 1
        await c2.close()

    run(scenario(), timeout=90)


async def resume_through(node: Relay, welcome: dict, last_seq: int, attempts: int = 3):
    """Resumes as the chat widget does: a 1012 close (the node that held the session is gone) means
    reconnect and resume again. Until node A's heartbeat expires node B relays to it, then closes with 1012."""
    for attempt in range(attempts):
        client = await ChatClient.connect(node.ws_url, label=f"user@{node.name}-{attempt}")
        try:
            return client, await client.hello(sessionId=welcome["sessionId"], resumeToken=welcome["resumeToken"],
                                              lastSeq=last_seq, timeout=NODE_TIMEOUT_MS / 1000 + 10)
        except AssertionError as e:
            if "(1012)" not in str(e) or attempt == attempts - 1:
                raise
            client.drop()
    raise AssertionError("unreachable")


def test_duplicate_webhook_to_both_nodes_is_delivered_once(cluster):
    async def scenario():
        c, _, cid = await start_handover(cluster.a, cluster.sim)
        key = shared_key()
        assert cluster.sim.request("PUT", f"/sim/admin/keys/{key.kid}", key.jwk).status == 204
        event = {"eventType": "MESSAGE", "conversationId": cid, "timestamp": 1,
                 "data": {"isEcho": False, "sender": {"id": "agent-7", "type": "agent"}, "text": "only once"}}
        first = cluster.b.post_webhook(event, "evt-cluster-dup")
        second = cluster.a.post_webhook(event, "evt-cluster-dup")
        third = cluster.b.post_webhook(event, "evt-cluster-dup")
        assert sorted(r.json()["status"] for r in (first, second, third)) == ["accepted", "duplicate", "duplicate"], \
            (first, second, third)
        msg = await c.expect_event("message", text="only once")
        await c.send({"type": "message", "id": "probe", "text": "got it"})
        ack = await c.recv()
        assert ack == {"type": "ack", "id": "probe", "seq": msg["seq"] + 1}, ack
        await c.close()

    run(scenario(), timeout=60)


def test_copilot_page_on_node_b_follows_a_session_on_node_a(cluster):
    from copilotclient import CopilotClient, assert_consecutive, copilot_url_of, parse_copilot_url

    async def scenario():
        c, _, cid = await start_handover(cluster.a, cluster.sim)
        link = parse_copilot_url(copilot_url_of(cluster.sim.sim_conversation(cid)))
        assert cluster.b.get(f"/copilot/?sessionId={link['sessionId']}&URLToken={link['URLToken']}").status == 200
        copilot = await CopilotClient.open(cluster.b)
        snapshot = await copilot.subscribe(link["sessionId"], link["URLToken"])
        assert snapshot["type"] == "snapshot", snapshot
        ack = await c.message("my card was charged twice")
        frames = await copilot.until_transcript(ack["seq"])
        assert frames[-1]["message"]["text"] == "my card was charged twice", frames[-1]
        assert_consecutive(frames, snapshot["pos"] + 1)
        await copilot.close()
        await c.close()

    run(scenario(), timeout=60)


def test_redis_restart_without_persistence_is_a_new_epoch(cluster, redis):
    """Redis loses everything: the nodes start a new history with their live sessions, the chat goes on,
    and a stream subscriber is told (close 4410, then `recovered:false`) instead of being given a gap."""
    async def scenario():
        token = cluster.b.mint_token("--scope", "stream:read")
        stream = await ChatClient.connect(f"ws://127.0.0.1:{cluster.b.port}/ws/stream", subprotocols=(STREAM,), label="stream@b")
        await stream.send({"type": "subscribe", "token": token, "from": "start"})
        subscribed = await stream.recv()
        epoch = subscribed["epoch"]
        await read_stream_until_live(stream)

        c = await ChatClient.connect(cluster.a.ws_url, label="user@a")
        welcome = await c.hello(user={"name": "Ada"})
        await c.message("before the loss")
        await c.expect_event("message", **{"from": "bot"})
        last = max(e["seq"] for e in c.events())
        streamed = await stream_until(stream, lambda e: e["sessionId"] == welcome["sessionId"] and e["seq"] == last, "the events")
        position = streamed[-1]["offset"]

        redis.stop()
        redis.start(port=redis.port)

        closing = await stream.expect("error", timeout=10)
        assert closing["code"] == "epoch_changed", closing
        code, _ = await stream.expect_closed()
        assert code == 4410, code

        ack = await c.message("after the loss", timeout=15)
        assert ack["seq"] > last
        await c.expect_event("message", **{"from": "bot"})

        again = await ChatClient.connect(f"ws://127.0.0.1:{cluster.b.port}/ws/stream", subprotocols=(STREAM,), label="stream@b-2")
        await again.send({"type": "subscribe", "token": token, "from": {"offset": position, "epoch": epoch}})
        resubscribed = await again.recv()
        assert resubscribed["type"] == "subscribed" and resubscribed["recovered"] is False, resubscribed
        assert resubscribed["epoch"] != epoch, resubscribed
        mine = [e for e in await read_stream_until_live(again) if e["sessionId"] == welcome["sessionId"]]
        everything = [e["seq"] for e in c.events()]
        mine += await stream_until(again, lambda e: e["sessionId"] == welcome["sessionId"] and e["seq"] == max(everything),
                                   "the session's latest event") if not mine or mine[-1]["seq"] < max(everything) else []
        # The new history holds the whole live session, seq 1 onwards, as the user saw it.
        assert [e["seq"] for e in mine if e["sessionId"] == welcome["sessionId"]] == list(range(1, max(everything) + 1))

        # The user can still resume, on either node.
        c.drop()
        c2, resumed = await resume_through(cluster.b, welcome, last)
        assert resumed["resumed"] is True and resumed["lastSeq"] == max(everything), resumed
        await c2.expect(predicate=lambda f: f.get("seq") == max(everything) and f.get("type") != "ack")
        assert [e["seq"] for e in c2.events()] == list(range(last + 1, max(everything) + 1))
        await c2.close()
        await again.close()

    run(scenario(), timeout=90)


def test_pending_8x8_call_of_a_dead_node_is_sent_once_by_another(cluster):
    """Nobody reconnects and no webhook arrives: node B's periodic takeover claims node A's session and
    re-sends the 8x8 call A had not finished — exactly once."""
    async def scenario():
        c, _, cid = await start_handover(cluster.a, cluster.sim)
        cluster.sim.sim_fault(503, 1000, f"POST /conversations/{cid}/messages")
        await c.message("sent while 8x8 fails")
        await poll_until(lambda: cluster.sim.get("/sim/admin/faults").json()["faults"],
                         lambda faults: faults and faults[0]["count"] < 1000, "node A's first attempt to hit the fault")
        cluster.a.kill()
        c.drop()
        assert cluster.sim.request("DELETE", "/sim/admin/faults").status in (200, 204)
        done = await cluster.sim.sim_wait(cid, lambda conv: "sent while 8x8 fails" in user_texts(conv),
                                          "the pending message, sent by node B", timeout=NODE_TIMEOUT_MS / 1000 + 15)
        assert user_texts(done).count("sent while 8x8 fails") == 1
        events = cluster.b.get("/metrics").body.decode()
        assert 'relay_cluster_events_total{event="session_taken_over"}' in events, events[-2000:]

    run(scenario(), timeout=90)


def test_a_stalled_redis_delays_but_loses_nothing(cluster, redis):
    """Redis stops answering (SIGSTOP) while the user writes: the message is acknowledged only once it is
    stored — after Redis comes back — and then goes on as usual, stored once."""
    import os
    import signal

    async def scenario():
        c = await ChatClient.connect(cluster.a.ws_url, label="user@a")
        await c.hello(user={"name": "Ada"})
        await c.expect_event("message", **{"from": "bot"})
        os.kill(redis.proc.pid, signal.SIGSTOP)
        try:
            await c.send({"type": "message", "id": "during-stall", "text": "written while Redis is stalled"})
            # Nothing may be acknowledged that is not stored: no ack while Redis is stopped.
            with pytest.raises(AssertionError):
                await c.expect("ack", timeout=1.5)
        finally:
            os.kill(redis.proc.pid, signal.SIGCONT)
        ack = await c.expect("ack", timeout=15)
        assert ack["id"] == "during-stall", ack
        await c.expect_event("message", **{"from": "bot"}, timeout=15)
        assert [e["text"] for e in c.events() if e.get("from") == "user"] == ["written while Redis is stalled"]
        assert_contiguous(c.events())
        await c.close()

    run(scenario(), timeout=60)


def test_integrator_webhook_feed_runs_on_one_node(tmp_path, redis, request):
    """Both nodes are configured with the same stream.webhooks subscription; sessions run on both; the
    receiver gets every event once, in offset order (one node holds the feed's lease)."""
    from test_webhook_subscriptions import SECRET as HOOK_SECRET, HookReceiver

    receiver = HookReceiver()
    c = Cluster(tmp_path, redis, extra={"stream": {"webhooks": [
        {"name": "crm", "url": receiver.url("/hook/crm"), "secret": HOOK_SECRET}]}})
    request.node._relays = [c.a, c.b, c.sim]

    async def scenario():
        sessions = {}
        for node in (c.a, c.b):
            user = await ChatClient.connect(node.ws_url, label=f"user@{node.name}")
            welcome = await user.hello(user={"name": "Ada"})
            for i in range(3):
                await user.message(f"question {i} on {node.name}")
                await user.expect_event("message", **{"from": "bot"})
            sessions[welcome["sessionId"]] = max(e["seq"] for e in user.events())
            await user.close()

        def delivered():
            return [e for p in receiver.of("/hook/crm", True) for e in p["json"]["events"]]

        await receiver.until(lambda: all(any(e["sessionId"] == sid and e["seq"] == last for e in delivered())
                                         for sid, last in sessions.items()), "every event of both sessions")
        offsets = [e["offset"] for e in delivered()]
        assert offsets == sorted(set(offsets)), offsets
        for sid, last in sessions.items():
            assert [e["seq"] for e in delivered() if e["sessionId"] == sid] == list(range(1, last + 1))

    try:
        run(scenario(), timeout=60)
    finally:
        c.stop()
        receiver.close()


def test_tile_push_and_session_read_on_node_b_for_a_session_on_node_a(cluster):
    from copilotclient import CopilotClient, copilot_url_of, parse_copilot_url

    async def scenario():
        c, welcome, cid = await start_handover(cluster.a, cluster.sim)
        link = parse_copilot_url(copilot_url_of(cluster.sim.sim_conversation(cid)))
        copilot = await CopilotClient.open(cluster.a)
        snapshot = await copilot.subscribe(link["sessionId"], link["URLToken"])
        tiles = {"authorization": f"Bearer {cluster.b.mint_token('--scope', 'copilot:tiles')}"}
        crm = {"id": "crm", "kind": "markdown", "title": "CRM", "data": {"markdown": "**Gold customer**"}}
        r = cluster.b.post(f"/api/sessions/{welcome['sessionId']}/copilot/tiles", crm, headers=tiles)
        assert r.status == 200 and r.json()["tile"]["data"] == crm["data"], r
        frame = await copilot.next_feed()
        assert frame == {"type": "tile", "pos": snapshot["pos"] + 1, "tile": r.json()["tile"]}, frame

        read = {"authorization": f"Bearer {cluster.b.mint_token('--scope', 'stream:read')}"}
        one = cluster.b.get(f"/api/sessions/{welcome['sessionId']}", headers=read)
        assert one.status == 200 and one.json()["id"] == welcome["sessionId"], one
        assert cluster.b.get("/api/sessions/no-such-session", headers=read).status == 404
        await copilot.close()
        await c.close()

    run(scenario(), timeout=60)
