"""SIGTERM: clients are told to reconnect (1012), nothing new is accepted, in-flight 8x8 calls finish
within the grace period and are committed; a call still out at the deadline is sent again after the restart."""

import asyncio
import socket

from chatclient import ChatClient, run, start_chat
from conftest import poll_until

CREATE = "/chat-gateway/v1/conversations"


def serve_against(start_relay, fake, grace: int):
    return start_relay("serve", "--8x8-base-url", fake.base, "--8x8-api-key", "test-key", "--8x8-channel-id", "chan-1",
                       "--8x8-queue-id", "queue-1", "--8x8-webhook-signatures", "off",
                       config={"shutdownGraceSeconds": grace})


def refused(port: int) -> bool:
    """True when a new connection gets no HTTP answer (refused, or dropped at accept)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            return s.recv(64) == b""
    except OSError:
        return True


def test_sigterm_closes_clients_with_1012_and_finishes_the_call_in_flight(start_relay, fake_8x8):
    gate = fake_8x8.hold(f"POST {CREATE}")
    relay = serve_against(start_relay, fake_8x8, grace=20)

    async def scenario():
        c = await start_chat(relay)
        sid, token = c.welcome["sessionId"], c.welcome["resumeToken"]
        await c.message("agent")
        await c.expect_event("handover", state="requested")
        await poll_until(lambda: fake_8x8.calls("POST", CREATE), bool, "the create call to reach 8x8")

        relay.proc.send_signal(15)
        code, reason = await c.expect_closed()
        assert code == 1012 and "reconnect" in reason, (code, reason)
        assert relay.alive  # still waiting for the create call's answer
        assert refused(relay.port)

        gate.set()  # 8x8 answers: the relay commits the conversation id and exits
        assert await asyncio.to_thread(relay.proc.wait, 15) == 0
        assert "drained" in relay.stderr()

        relay.restart()
        r = await ChatClient.connect(relay.ws_url, label="resumed")
        async with r:
            welcome = await r.hello(sessionId=sid, resumeToken=token, lastSeq=0)
            assert welcome["handover"]["state"] == "requested", welcome
        assert len(fake_8x8.calls("POST", CREATE)) == 1  # answered before the exit: not sent again

    run(scenario(), timeout=60)


def test_a_call_still_out_at_the_deadline_is_sent_again_after_the_restart(start_relay, fake_8x8):
    gate = fake_8x8.hold(f"POST {CREATE}")
    relay = serve_against(start_relay, fake_8x8, grace=1)

    async def scenario():
        c = await start_chat(relay)
        await c.message("agent")
        await poll_until(lambda: fake_8x8.calls("POST", CREATE), bool, "the create call to reach 8x8")
        relay.proc.send_signal(15)
        assert (await c.expect_closed())[0] == 1012
        assert await asyncio.to_thread(relay.proc.wait, 15) == 0
        assert "shutdown deadline passed with outbound calls in flight" in relay.stderr()
        gate.set()

        relay.restart()
        await poll_until(lambda: fake_8x8.calls("POST", CREATE), lambda calls: len(calls) == 2,
                         "the pending create call to be sent again")

    run(scenario(), timeout=60)
