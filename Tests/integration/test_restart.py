"""Crash recovery: the relay is killed with SIGKILL in the middle of a live
handover and started again on the same data directory. The 8x8 side (the
simulator, as its own process) keeps running, as the real 8x8 would.

After the restart the user, the agent's copilot page and an integrator's
stream subscriber all resume with the complete, ordered event sequence, and a
user message whose 8x8 call was still pending at the kill is sent exactly once.
"""

from __future__ import annotations

import asyncio

from chatclient import ChatClient, assert_contiguous, new_id, run, user_texts
from conftest import WEB_ROOT, RELAY_BIN, Relay, free_port, poll_until
from copilotclient import CopilotClient, copilot_url_of, parse_copilot_url

STREAM = "handover.stream.v1"


class Simulator(Relay):
    """`handover-relay simulator`: the 8x8 stand-in on its own port (Relay's sim_* helpers apply)."""

    def __init__(self, log_dir, webhook_url: str):
        super().__init__([], log_dir, "simulator")
        self.webhook_url = webhook_url

    def start(self, attempts: int = 3, port=None):
        from relayproc import spawn
        self.port = free_port()
        self.command = [str(RELAY_BIN), "simulator", "--port", str(self.port), "--bind", "127.0.0.1",
                        "--webhook-url", self.webhook_url, "--web-root", str(WEB_ROOT)]
        self.proc = spawn(self.command, self.stdout_path, self.stderr_path, self._env())
        assert self._await_ready(), f"simulator did not start: {self.output()}"
        return self


async def read_stream_until_live(s: ChatClient) -> list[dict]:
    """Events up to the `live` marker."""
    events = []
    while True:
        frame = await s.recv()
        if frame["type"] == "live":
            return events
        assert frame["type"] == "event", frame
        events.append(frame)


async def stream_until(s: ChatClient, predicate, what: str) -> list[dict]:
    events = []
    while True:
        frame = await s.recv()
        assert frame["type"] == "event", f"{what}: unexpected {frame}"
        events.append(frame)
        if predicate(frame):
            return events


def test_sigkill_mid_handover_loses_nothing(tmp_path, request):
    relay_port = free_port()
    sim = Simulator(tmp_path, f"http://127.0.0.1:{relay_port}/webhooks/8x8").start()
    relay = Relay(["serve", "--8x8-base-url", f"http://127.0.0.1:{sim.port}/sim", "--8x8-api-key", "simulator-api-key",
                   "--8x8-tenant", "demo-tenant", "--8x8-channel-id", "demo-channel", "--8x8-queue-id", "support"],
                  tmp_path, "relay")
    request.node._relays = [relay, sim]
    try:
        relay.start(port=relay_port)
        run(scenario(relay, sim), timeout=90)
    finally:
        relay.stop()
        sim.stop()


async def scenario(relay: Relay, sim: Simulator):
    # A live handover, watched by a copilot page and an integrator's stream.
    c = await ChatClient.connect(relay.ws_url, label="user")
    welcome = await c.hello(user={"name": "Ada"})
    await c.expect_event("message", **{"from": "bot"})
    await c.message("my order 1234 never arrived")
    await c.expect_event("message", **{"from": "bot"})
    await c.message("agent please")
    await c.expect_event("handover", state="queued")
    conversation = await sim.sim_wait_conversation(0)
    cid = conversation["id"]
    sim.sim_agent(cid, "accept", {"agentId": "agent-7"})
    await c.expect_event("handover", state="active", agentId="agent-7")
    sim.sim_agent(cid, "messages", {"text": "Hello Ada, let me check"})
    await c.expect_event("message", text="Hello Ada, let me check")

    link = parse_copilot_url(copilot_url_of(sim.sim_conversation(cid)))
    copilot = await CopilotClient.open(relay)
    snapshot = await copilot.subscribe(link["sessionId"], link["URLToken"])
    assert snapshot["type"] == "snapshot", snapshot

    token = relay.mint_token("--scope", "stream:read")
    stream = await ChatClient.connect(f"ws://127.0.0.1:{relay.port}/ws/stream", subprotocols=(STREAM,), label="stream")
    await stream.send({"type": "subscribe", "token": token, "from": "start"})
    subscribed = await stream.recv()
    assert subscribed["type"] == "subscribed" and subscribed["recovered"] is True, subscribed
    epoch = subscribed["epoch"]
    streamed = await read_stream_until_live(stream)

    # A user message whose 8x8 call keeps failing: acknowledged (stored) but not yet delivered.
    sim.sim_fault(503, 1000, f"POST /conversations/{cid}/messages")
    ack = await c.message("this one is pending")
    pending_seq = ack["seq"]
    await poll_until(lambda: sim.get("/sim/admin/faults").json()["faults"],
                     lambda faults: faults and faults[0]["count"] < 1000, "the relay's first attempt to hit the fault")
    streamed += await stream_until(stream, lambda e: e["seq"] == pending_seq, "the pending message on the stream")

    last_user_seq = max(e["seq"] for e in c.events())
    last_copilot_pos = max([snapshot["pos"]] + [f.get("pos", 0) for f in copilot.frames if isinstance(f.get("pos"), int)])
    last_offset = streamed[-1]["offset"]

    # Crash. While the relay is down the agent writes (8x8 keeps retrying the webhook) and 8x8 recovers.
    relay.kill()
    c.drop()
    copilot.drop()
    stream.drop()
    sim.sim_agent(cid, "messages", {"text": "Found it: it ships tomorrow"})
    assert sim.request("DELETE", "/sim/admin/faults").status in (200, 204)
    relay.restart()

    # The pending message reaches 8x8 exactly once, after the earlier ones, in order.
    done = await sim.sim_wait(cid, lambda conv: "this one is pending" in user_texts(conv), "the pending message in 8x8", timeout=15)
    texts = user_texts(done)
    assert texts.count("this one is pending") == 1, texts

    # The user resumes from lastSeq: exactly the missed events, then the chat continues.
    c2 = await ChatClient.connect(relay.ws_url, label="user-resumed")
    resumed = await c2.hello(sessionId=welcome["sessionId"], resumeToken=welcome["resumeToken"], lastSeq=last_user_seq)
    assert resumed["resumed"] is True and resumed["mode"] == "handover", resumed
    await c2.expect_event("message", text="Found it: it ships tomorrow", timeout=30)
    missed = c2.events()
    assert [e["seq"] for e in missed] == list(range(last_user_seq + 1, last_user_seq + 1 + len(missed))), missed
    whole = [e for e in c.events() if e["seq"] <= last_user_seq] + missed
    assert_contiguous(whole)
    await c2.message("thanks!")
    await sim.sim_wait(cid, lambda conv: user_texts(conv)[-1:] == ["thanks!"], "a message after the restart")
    assert user_texts(sim.sim_conversation(cid)).count("this one is pending") == 1

    # The copilot page resumes: its position is from the previous run, so it gets a full snapshot.
    copilot2 = await CopilotClient.open(relay, label="copilot-resumed")
    again = await copilot2.subscribe(link["sessionId"], link["URLToken"], last_pos=last_copilot_pos)
    assert again["type"] == "snapshot", again
    chat_messages = [(e["seq"], e["text"]) for e in whole if e["type"] == "message"]
    assert [(m["seq"], m["text"]) for m in again["transcript"]][:len(chat_messages)] == chat_messages

    # The stream subscriber resumes from its offset: the rest of the log, no gap, no duplicate.
    stream2 = await ChatClient.connect(f"ws://127.0.0.1:{relay.port}/ws/stream", subprotocols=(STREAM,), label="stream-resumed")
    await stream2.send({"type": "subscribe", "token": token, "from": {"offset": last_offset, "epoch": epoch}})
    sub2 = await stream2.recv()
    assert sub2["type"] == "subscribed" and sub2["recovered"] is True and sub2["epoch"] == epoch, sub2
    streamed += await read_stream_until_live(stream2)
    offsets = [e["offset"] for e in streamed]
    assert offsets == sorted(set(offsets)), offsets
    log = relay.get("/api/events?after=0&limit=1000", headers={"authorization": f"Bearer {token}"}).json()
    assert [e["offset"] for e in log["events"]][:len(offsets)] == offsets
    assert [e["seq"] for e in streamed] == list(range(1, len(streamed) + 1))
    for closing in (c2, copilot2, stream2):
        await closing.close()
