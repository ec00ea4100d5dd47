"""TLS: https:// and wss:// on the relay's port with a certificate made at test
time (TLS 1.2+ only, plain clients refused), outbound HTTPS that verifies the
8x8 certificate against the configured CA bundle, and start-up errors for bad
TLS files."""

from __future__ import annotations

import asyncio
import socket
import ssl
import warnings
from types import SimpleNamespace

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from chatclient import SUBPROTOCOL, USER, agent_accepts, ask_for_agent, run, start_chat
from conftest import Fake8x8, poll_until
from test_config_errors import run_relay
from testpki import CA, encrypted_key

HANDSHAKE_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The relay's CA and certificate for localhost/127.0.0.1, a rogue CA, and a certificate for another host."""
    directory = tmp_path_factory.mktemp("pki")
    ca, rogue = CA(directory, "relay"), CA(directory, "rogue")
    cert, key = ca.issue("relay-server")
    rogue_cert, rogue_key = rogue.issue("rogue-server")
    other_cert, other_key = ca.issue("other-host", names=("other.example",))
    return SimpleNamespace(dir=directory, ca=ca, rogue=rogue, cert=cert, key=key,
                           rogue_cert=rogue_cert, rogue_key=rogue_key, other_cert=other_cert, other_key=other_key)


def trusting(ca: CA) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca.cert_path))


def serving_tls(pki, **extra) -> dict:
    return {"tls": {"certificate": str(pki.cert), "privateKey": str(pki.key), **extra}}


# -- serving ---------------------------------------------------------------------------


def test_wss_and_https_end_to_end(start_relay, pki):
    """Chat over wss:// with the bot, a page over https://, and a handover whose 8x8 calls and
    webhooks (the embedded simulator on the same TLS port) verify the certificate too."""
    config = {**serving_tls(pki, caBundle=str(pki.ca.cert_path)), "allowedOrigins": ["https://shop.example.com"]}
    relay = start_relay("demo", config=config, ssl_context=trusting(pki.ca))
    page = relay.get("/")
    assert page.status == 200 and b"<html" in page.body.lower(), page
    assert f"Chat page:      https://localhost:{relay.port}/" in relay.stdout(), relay.stdout()
    # HTTP/1.1 only, as on a plain port: a client offering h2 by ALPN is answered with http/1.1.
    offering_h2 = trusting(pki.ca)
    offering_h2.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", relay.port), timeout=HANDSHAKE_TIMEOUT) as raw:
        with offering_h2.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"

    async def scenario():
        c = await start_chat(relay)
        async with c:
            assert c.ws.transport.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
            await c.message("what are your opening hours?")
            await c.expect_event("message", **USER)
            reply = await c.recv()
            assert reply["from"] == "bot", reply
            conversation = await ask_for_agent(relay, c)
            await agent_accepts(relay, c, conversation["id"], "agent-tls")
            link = [p for p in conversation["user"]["additionalProperties"] if p["key"] == "copilotUrl"][0]["value"]
            assert link.startswith(f"https://localhost:{relay.port}/copilot/"), link

        # The Origin refusal is a well-formed HTTP answer over TLS too.
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(relay.ws_url, subprotocols=[SUBPROTOCOL], origin="https://evil.example",
                                  ssl=trusting(pki.ca), open_timeout=HANDSHAKE_TIMEOUT):
                pass
        assert refused.value.response.status_code == 403

    run(scenario())


def test_plain_http_and_ws_to_the_tls_port_fail(start_relay, pki):
    relay = start_relay("demo", config=serving_tls(pki), ssl_context=trusting(pki.ca))

    # Plain HTTP: the relay waits for a TLS ClientHello, gets a request line, and drops the connection
    # without ever answering in HTTP.
    with socket.create_connection(("127.0.0.1", relay.port), timeout=HANDSHAKE_TIMEOUT) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            answer = s.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"HTTP/"), answer

    async def plain_ws():
        async with ws_connect(f"ws://127.0.0.1:{relay.port}/ws/chat", subprotocols=[SUBPROTOCOL],
                              open_timeout=HANDSHAKE_TIMEOUT):
            pass

    with pytest.raises(Exception) as failed:
        run(plain_ws())
    assert not isinstance(failed.value, asyncio.TimeoutError), "the relay left a plain client hanging"
    assert relay.healthy()


def permissive_openssl(tmp_path) -> dict:
    """Environment for a relay whose OpenSSL would allow TLS 1.0/1.1 (security level 0, MinProtocol
    TLSv1), so that a refusal of TLS 1.1 is the relay's own setting, not a distribution's policy."""
    conf = tmp_path / "openssl-permissive.cnf"
    conf.write_text("openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                    "system_default = system_default_sect\n[system_default_sect]\n"
                    "CipherString = DEFAULT@SECLEVEL=0\nMinProtocol = TLSv1\n")
    return {"OPENSSL_CONF": str(conf)}


def only_tls_1_1(context: ssl.SSLContext) -> ssl.SSLContext:
    """Restricts `context` to TLS 1.1, or skips the test when the local OpenSSL cannot do that."""
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():  # deprecated on purpose: this is the peer the relay must refuse
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError) as e:
        pytest.skip(f"the local OpenSSL will not restrict a context to TLS 1.1: {e}")
    return context


def test_a_tls_1_1_client_is_refused(start_relay, pki, tmp_path):
    relay = start_relay("demo", config=serving_tls(pki), env=permissive_openssl(tmp_path), ssl_context=trusting(pki.ca))
    old = only_tls_1_1(trusting(pki.ca))

    with socket.create_connection(("127.0.0.1", relay.port), timeout=HANDSHAKE_TIMEOUT) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            old.wrap_socket(raw, server_hostname="localhost")
    reason = str(refused.value).lower()
    if "no protocols available" in reason or "no ciphers available" in reason:
        pytest.skip(f"the local OpenSSL refused to send a TLS 1.1 ClientHello: {refused.value}")
    assert "protocol version" in reason, refused.value  # the relay's alert, not a client-side failure

    # The same client allowed TLS 1.2 connects: the refusal was about the version only.
    modern = trusting(pki.ca)
    modern.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", relay.port), timeout=HANDSHAKE_TIMEOUT) as raw:
        with modern.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.2"


def test_an_expired_certificate_is_served_with_a_warning(start_relay, pki):
    cert, key = pki.ca.issue("expired-server", expired=True)
    relay = start_relay("demo", config={"tls": {"certificate": str(cert), "privateKey": str(key)}},
                        ssl_context=ssl._create_unverified_context())  # readiness only: the certificate is expired
    assert f"the TLS certificate '{cert}' has expired: clients will refuse it" in relay.stderr(), relay.stderr()
    with socket.create_connection(("127.0.0.1", relay.port), timeout=HANDSHAKE_TIMEOUT) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
            trusting(pki.ca).wrap_socket(raw, server_hostname="localhost")


# -- calling out ------------------------------------------------------------------------


@pytest.fixture
def tls_fake_8x8(pki, request):
    """A fake 8x8 on https://127.0.0.1 with the certificate the test names (indirect parameter)."""
    cert, key = getattr(pki, request.param + "_cert" if request.param != "relay" else "cert"), \
        getattr(pki, request.param + "_key" if request.param != "relay" else "key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    fake = serving_https(Fake8x8(), context)
    yield fake
    fake.close()


def serving_https(fake: Fake8x8, context: ssl.SSLContext) -> Fake8x8:
    """Starts `fake` behind TLS. The relay hanging up on a certificate it refused is expected: the
    server's traceback for that connection is not printed."""
    fake.server.socket = context.wrap_socket(fake.server.socket, server_side=True)
    fake.server.handle_error = lambda request, client_address: None
    return fake.start()


@pytest.mark.parametrize("tls_fake_8x8, bundle, delivered", [
    pytest.param("relay", "ca", True, id="signed-by-the-configured-ca"),
    pytest.param("rogue", "ca", False, id="signed-by-another-ca"),
    pytest.param("relay", "rogue", False, id="bundle-without-its-ca"),
    pytest.param("relay", None, False, id="system-store-without-the-test-ca"),
    pytest.param("other", "ca", False, id="certificate-for-another-host"),
], indirect=["tls_fake_8x8"])
def test_calls_to_8x8_verify_its_certificate(start_relay, pki, tls_fake_8x8, bundle, delivered):
    fake = tls_fake_8x8
    config = {"retry": {"maxAttempts": 2, "baseDelayMs": 50, "maxDelayMs": 100}}
    if bundle:
        config["tls"] = {"caBundle": str(getattr(pki, bundle).cert_path)}
    relay = start_relay("serve", "--8x8-base-url", f"https://127.0.0.1:{fake.port}", "--8x8-api-key", "test-key",
                        "--8x8-channel-id", "chan-1", "--8x8-queue-id", "queue-1", config=config)

    async def scenario():
        c = await start_chat(relay)
        async with c:
            await c.send({"type": "request_handover"})
            await c.expect_event("handover", state="requested")
            if delivered:
                # The create call went out over the verified connection and was answered.
                await poll_until(lambda: fake.calls("POST", "/chat-gateway/v1/conversations"), bool, "the create call")
                await poll_until(relay.stderr, lambda log: "8x8 conversation created" in log, "the relay to log the new conversation")
                assert "unreachable" not in relay.stderr() and not [f for f in c.frames if f.get("state") == "failed"]
            else:
                outcome = await c.expect("handover")
                creates = fake.calls("POST", "/chat-gateway/v1/conversations")
                assert (outcome["state"], outcome["reason"]) == ("failed", "the contact center is unreachable"), outcome
                assert creates == [], "the request went out over a connection whose certificate was not verified"
                assert relay.stderr().count("retrying in") == 1, relay.stderr()  # a transport error: retried, then given up
                assert f"TLS certificate of 127.0.0.1:{fake.port} not accepted" in relay.stderr(), relay.stderr()

    run(scenario())


def test_calls_to_a_tls_1_1_only_server_fail(start_relay, pki, tmp_path):
    context = only_tls_1_1(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    context.load_cert_chain(str(pki.cert), str(pki.key))
    fake = serving_https(Fake8x8(), context)
    try:
        relay = start_relay("serve", "--8x8-base-url", f"https://127.0.0.1:{fake.port}", "--8x8-api-key", "test-key",
                            "--8x8-channel-id", "chan-1", "--8x8-queue-id", "queue-1",
                            config={"retry": {"maxAttempts": 1}, "tls": {"caBundle": str(pki.ca.cert_path)}},
                            env=permissive_openssl(tmp_path))

        async def scenario():
            c = await start_chat(relay)
            async with c:
                await c.send({"type": "request_handover"})
                await c.expect_event("handover", state="requested")
                outcome = await c.expect("handover")
                assert outcome["state"] == "failed", outcome

        run(scenario())
        assert fake.calls("POST", "/chat-gateway/v1/conversations") == []
        assert f"TLS handshake with 127.0.0.1:{fake.port} failed" in relay.stderr(), relay.stderr()
    finally:
        fake.close()


# -- start-up checks ----------------------------------------------------------------------


def _copy(path, target, mode=0o600):
    target.write_bytes(path.read_bytes())
    target.chmod(mode)
    return target


@pytest.mark.parametrize("case, expected", [
    ("missing-certificate", "cannot read TLS certificate"),
    ("missing-key", "cannot read TLS private key"),
    ("key-readable-by-others", "is accessible by group or others (mode 644); run chmod 600"),
    ("key-of-another-certificate", "does not belong to the certificate"),
    ("certificate-not-pem", "holds no usable PEM certificate"),
    ("key-not-pem", "is not an unencrypted PEM private key"),
    ("key-encrypted", "is not an unencrypted PEM private key"),
    ("ca-bundle-without-certificates", "holds no PEM certificates"),
    ("certificate-without-key", "'tls.privateKey' is required when tls.certificate is set"),
])
def test_bad_tls_files_stop_the_start_with_a_precise_error(tmp_path, pki, case, expected):
    cert, key = str(pki.cert), str(pki.key)
    tls: dict = {"certificate": cert, "privateKey": key}
    if case == "missing-certificate":
        tls["certificate"] = str(tmp_path / "nope.pem")
    elif case == "missing-key":
        tls["privateKey"] = str(tmp_path / "nope.key")
    elif case == "key-readable-by-others":
        tls["privateKey"] = str(_copy(pki.key, tmp_path / "open.key", 0o644))
    elif case == "key-of-another-certificate":
        tls["privateKey"] = str(pki.rogue_key)
    elif case == "certificate-not-pem":
        (tmp_path / "garbage.pem").write_text("not a certificate\n")
        tls["certificate"] = str(tmp_path / "garbage.pem")
    elif case == "key-not-pem":
        tls["privateKey"] = str(_copy(pki.cert, tmp_path / "cert-as-key.key"))
    elif case == "key-encrypted":
        tls["privateKey"] = str(encrypted_key(tmp_path / "encrypted.key"))
    elif case == "ca-bundle-without-certificates":
        (tmp_path / "empty-ca.pem").write_text("")
        tls["caBundle"] = str(tmp_path / "empty-ca.pem")
    elif case == "certificate-without-key":
        del tls["privateKey"]

    result = run_relay(tmp_path, config={"tls": tls})
    assert result.returncode != 0, result
    assert expected in result.stderr, result.stderr
    assert "listening" not in result.stdout, result.stdout
    assert "PRIVATE KEY" not in result.stderr + result.stdout  # paths and reasons only, never key material
