"""Bad input on /ws/chat: error frames that keep the connection, close codes, refused handshakes."""

import json

import pytest
from websockets.exceptions import InvalidStatus

from chatclient import (SUBPROTOCOL, ChatClient, masked_frame, raw_handshake, read_close_frame, run, start_chat)

MAX_FRAME = 65536


async def expect_error(c: ChatClient, code: str) -> dict:
    frame = await c.recv()
    assert frame["type"] == "error" and frame["code"] == code, f"expected error {code}, got {frame}"
    assert frame["message"], frame
    return frame


def test_errors_keep_the_connection_usable(demo):
    async def scenario():
        c = await ChatClient.connect(demo.ws_url)
        async with c:
            await c.send({"type": "message", "id": "early", "text": "hi"})
            await expect_error(c, "hello_required")
            await c.send_raw("{not json")
            await expect_error(c, "bad_json")
            await c.send_raw("[1, 2, 3]")
            await expect_error(c, "bad_json")
            await c.send({"type": "frobnicate"})
            await expect_error(c, "unknown_type")

            welcome = await c.hello()
            assert welcome["resumed"] is False
            assert (await c.recv())["seq"] == 1  # greeting

            await c.send({"type": "hello", "user": {}})
            await expect_error(c, "already_started")
            await c.send_raw('{"type": "message", "id": "x", "text": ')
            await expect_error(c, "bad_json")
            await c.send({"type": "florp", "id": "y"})
            await expect_error(c, "unknown_type")
            await c.send({"type": "message", "text": "no id"})
            err = await expect_error(c, "bad_frame")
            assert "id" in err["message"], err
            await c.send({"type": "cancel_handover"})
            await expect_error(c, "no_handover")

            # Still the same, working session.
            ack = await c.message("what are your opening hours?")
            assert ack["seq"] == 2
            assert (await c.recv())["from"] == "user"
            assert (await c.recv())["from"] == "bot"

    run(scenario())


def test_hello_errors_for_unknown_session_and_bad_token(demo):
    async def scenario():
        owner = await start_chat(demo)
        sid, token = owner.welcome["sessionId"], owner.welcome["resumeToken"]

        c = await ChatClient.connect(demo.ws_url)
        async with c:
            await c.send({"type": "hello", "user": {}, "sessionId": "no-such-session", "resumeToken": token})
            await expect_error(c, "unknown_session")
            await c.send({"type": "hello", "user": {}, "sessionId": sid, "resumeToken": token[:-2] + "xx"})
            await expect_error(c, "bad_resume_token")
            await c.send({"type": "hello", "user": {}, "sessionId": sid})
            await expect_error(c, "bad_resume_token")
            # A failed hello leaves the connection without a session: another hello may follow.
            welcome = await c.hello(sessionId=sid, resumeToken=token, lastSeq=1)
            assert welcome["resumed"] is True and welcome["sessionId"] == sid, welcome
        await owner.close()

    run(scenario())


async def assert_still_serving(relay):
    assert relay.healthy()
    c = await start_chat(relay, label="fresh")
    await c.message("hello again")
    await c.close()


def test_frame_at_the_size_limit_is_not_closed(demo):
    async def scenario():
        c = await start_chat(demo)
        async with c:
            frame = json.dumps({"type": "message", "id": "big", "text": ""})
            frame = frame.replace('"text": ""', '"text": "' + "a" * (MAX_FRAME - len(frame)) + '"')
            assert len(frame.encode()) == MAX_FRAME
            await c.send_raw(frame)
            err = await c.recv()  # too long for a message text, but not a protocol violation
            assert (err["type"], err["code"]) == ("error", "bad_frame"), err
            await c.message("still open")

    run(scenario())


@pytest.mark.parametrize("payload, code", [
    pytest.param("x" * (MAX_FRAME + 1), 1009, id="oversized-text-1009"),
    pytest.param(json.dumps({"type": "message", "id": "m", "text": "y" * 70000}), 1009, id="oversized-json-1009"),
    pytest.param(b'{"type": "hello"}', 1003, id="binary-1003"),
])
def test_bad_frames_close_the_connection(demo, payload, code):
    async def scenario():
        c = await start_chat(demo)
        await c.send_raw(payload)
        closed, _ = await c.expect_closed()
        assert closed == code
        await assert_still_serving(demo)

    run(scenario())


def test_invalid_utf8_closes_with_1007(demo):
    sock, head = raw_handshake(demo.port)
    with sock:
        assert head.startswith(b"HTTP/1.1 101"), head
        sock.sendall(masked_frame(0x1, b'{"type":"hello","user":{"name":"\xff\xfe"}}'))
        assert read_close_frame(sock) == 1007
    run(assert_still_serving(demo))


@pytest.mark.parametrize("path, subprotocols", [
    pytest.param("/ws/chat", None, id="no-subprotocol"),
    pytest.param("/ws/chat", ["bogus.v1"], id="unknown-subprotocol"),
    pytest.param("/ws/chat", ["simulator.console.v1"], id="other-endpoint-subprotocol"),
    pytest.param("/ws/other", [SUBPROTOCOL], id="wrong-path"),
])
def test_bad_handshakes_are_refused_with_400(demo, path, subprotocols):
    async def scenario():
        url = f"ws://127.0.0.1:{demo.port}{path}"
        with pytest.raises(InvalidStatus) as refused:
            c = await ChatClient.connect(url, subprotocols=subprotocols)
            await c.close()
        assert refused.value.response.status_code == 400
        await assert_still_serving(demo)

    run(scenario())


def test_text_limits_count_user_perceived_characters(demo):
    async def scenario():
        c = await start_chat(demo)
        async with c:
            cases = [
                ("plain-4000", "a" * 4000, True), ("plain-4001", "a" * 4001, False),
                # e + combining acute: 2 code points, 1 character
                ("combining-4000", "e\u0301" * 4000, True), ("combining-4001", "e\u0301" * 4001, False),
                # thumbs up + skin tone: 2 code points, 4 UTF-16 units, 8 bytes, 1 character
                ("emoji-4000", "\U0001F44D\U0001F3FD" * 4000, True), ("emoji-4001", "\U0001F44D\U0001F3FD" * 4001, False),
                ("x" * 128, "id of 128 characters", True), ("x" * 129, "id of 129 characters", False),
            ]
            for mid, text, accepted in cases:
                await c.send_raw(json.dumps({"type": "message", "id": mid, "text": text}, ensure_ascii=False))
                frame = await c.expect(predicate=lambda f: f["type"] in ("ack", "error"))
                if accepted:
                    assert (frame["type"], frame["id"]) == ("ack", mid), (mid[:20], frame)
                    echo = await c.expect_event("message", id=mid)
                    assert echo["text"] == text
                else:
                    assert (frame["type"], frame["code"]) == ("error", "bad_frame"), (mid[:20], frame)

    run(scenario())


def test_configured_max_message_bytes(start_relay):
    relay = start_relay("demo", config={"maxMessageBytes": 2048})

    async def scenario():
        c = await start_chat(relay)
        await c.send_raw(json.dumps({"type": "message", "id": "fits", "text": "a" * 1900}))
        await c.expect("ack", id="fits")
        await c.send_raw(json.dumps({"type": "message", "id": "too-big", "text": "a" * 2100}))
        code, _ = await c.expect_closed()
        assert code == 1009
        assert not [f for f in c.frames if f.get("id") == "too-big"]
        await assert_still_serving(relay)

    run(scenario())
