"""Start-up refuses bad configuration, naming the offending key."""

import json
import os
import socket
import subprocess
import time

import pytest

from conftest import RELAY_BIN, WEB_ROOT, free_port, http, spawn

RUN_TIMEOUT = 10


def run_relay(tmp_path, *args, config=None, env=None) -> subprocess.CompletedProcess:
    """Runs `serve` expecting it to refuse to start. Bounded: if it answers /healthz instead, it is
    stopped and the test fails at once (no waiting for a timeout)."""
    port = None if "--port" in args else free_port()
    argv = [str(RELAY_BIN), "serve", *args, "--bind", "127.0.0.1", "--web-root", str(WEB_ROOT),
            "--data-dir", str(tmp_path / "data")]
    if port is not None:
        argv += ["--port", str(port)]
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config) if not isinstance(config, str) else config)
        argv += ["--config", str(path)]
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    proc = spawn(argv, out, err, {**os.environ, **(env or {})})
    deadline = time.monotonic() + RUN_TIMEOUT
    started = False
    while proc.poll() is None and time.monotonic() < deadline and not started:
        if port is not None:
            try:
                started = http("GET", f"http://127.0.0.1:{port}/healthz", timeout=0.5).status == 200
            except OSError:
                pass
        time.sleep(0.02)  # bounded poll: a process exit has no event to await here
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)
        pytest.fail(f"relay {'started' if started else 'neither exited nor started'} instead of refusing "
                    f"the configuration: {argv}\n{out.read_text()}\n{err.read_text()}")
    return subprocess.CompletedProcess(argv, proc.returncode, out.read_text(), err.read_text())


@pytest.mark.parametrize("args, config, key", [
    pytest.param(["--8x8-api-key", "k"], None, "8x8-channel-id", id="api-key-without-channel"),
    pytest.param(["--8x8-api-key", "k", "--8x8-channel-id", "c"], None, "8x8-queue-id", id="channel-without-queue"),
    pytest.param(["--8x8-base-url", "http://127.0.0.1:9"], None, "8x8-api-key", id="base-url-without-api-key"),
    pytest.param(["--8x8-api-key", "k", "--8x8-base-url", "ftp://x"], None, "8x8-base-url", id="base-url-not-http"),
    pytest.param([], {"port": "x"}, "port", id="port-not-a-number"),
    pytest.param([], {"retry": {"maxAttempts": 0}}, "retry.maxAttempts", id="retry-out-of-range"),
    pytest.param([], {"portt": 8080}, "portt", id="unknown-key"),
    pytest.param([], {"retry": {"maxAttempts": 2, "jitter": True}}, "retry.jitter", id="unknown-nested-key"),
    pytest.param(["--port", "70000"], None, "port", id="port-flag-out-of-range"),
    pytest.param([], {"logFormat": "xml"}, "logFormat", id="log-format-unknown"),
    pytest.param(["--log-format", "yaml"], None, "log-format", id="log-format-flag-unknown"),
    pytest.param([], {"metrics": {"token": "short"}}, "metrics.token", id="metrics-token-too-short"),
    pytest.param([], {"metrics": {"user": "x"}}, "metrics.user", id="metrics-unknown-key"),
    pytest.param(["--store", "redis"], None, "store.redis.url", id="redis-without-url"),
    pytest.param(["--store", "redis", "--redis-url", "rediss://10.0.0.5:6380"], None, "redis-url", id="redis-tls-refused"),
    pytest.param([], {"store": {"backend": "redis", "redis": {"url": "redis://h", "prefix": "a b"}}}, "store.redis.prefix",
                 id="redis-prefix-bad"),
    pytest.param([], {"store": {"backend": "cassandra"}}, "store.backend", id="store-backend-unknown"),
])
def test_config_error_names_the_key(tmp_path, args, config, key):
    result = run_relay(tmp_path, *args, config=config)
    assert result.returncode != 0, result
    assert key in result.stderr, f"stderr does not name {key!r}:\n{result.stderr}"
    assert "listening" not in result.stdout, result.stdout


def test_unreachable_redis_stops_start_up_with_the_reason_and_no_password(tmp_path):
    port = free_port()  # nothing listens here
    result = run_relay(tmp_path, "--store", "redis", "--redis-url", f"redis://:hunter2-redis-password@127.0.0.1:{port}")
    assert result.returncode != 0, result
    assert "cannot open the Redis store" in result.stderr and f"127.0.0.1:{port}" in result.stderr, result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_an_unknown_event_loop_is_refused(tmp_path):
    result = run_relay(tmp_path, env={"RELAY_EVENT_LOOP": "kqueue"})
    assert result.returncode != 0, result
    assert "RELAY_EVENT_LOOP must be one of: epoll, poll" in result.stderr, result.stderr


def test_config_file_that_is_not_json(tmp_path):
    result = run_relay(tmp_path, config='{"port": 8080,')
    assert result.returncode != 0
    assert "config" in result.stderr and "JSON" in result.stderr, result.stderr


# Regression: these sections used to be silently ignored when they had the wrong type.
@pytest.mark.parametrize("config, key", [
    pytest.param({"retry": 5}, "retry", id="retry"),
    pytest.param({"limits": "x"}, "limits", id="limits"),
    pytest.param({"bot": []}, "bot", id="bot"),
    pytest.param({"copilot": True}, "copilot", id="copilot"),
])
def test_config_section_of_the_wrong_type_names_the_key(tmp_path, config, key):
    result = run_relay(tmp_path, config=config)
    assert result.returncode != 0 and f"'{key}'" in result.stderr, result


# -- serve/demo --check-config: validate as start-up would, print a summary, exit ------------------

API_KEY = "sk-live-check-config-0123456789"
METRICS_TOKEN = "metrics-token-check-config-0123"


def check_config(tmp_path, command, *args, config=None, env=None) -> subprocess.CompletedProcess:
    """Runs `<command> --check-config`; it must exit by itself (bounded)."""
    argv = [str(RELAY_BIN), command, "--check-config", *args, "--web-root", str(WEB_ROOT),
            "--data-dir", str(tmp_path / "data")]
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config) if not isinstance(config, str) else config)
        argv += ["--config", str(path)]
    out, err = tmp_path / "check.stdout", tmp_path / "check.stderr"
    proc = spawn(argv, out, err, env=None if env is None else {**os.environ, **env})
    try:
        code = proc.wait(RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        pytest.fail(f"--check-config did not exit within {RUN_TIMEOUT}s: {argv}")
    return subprocess.CompletedProcess(argv, code, out.read_text(), err.read_text())


def test_check_config_prints_a_redacted_summary_and_starts_nothing(tmp_path):
    port = free_port()
    result = check_config(
        tmp_path, "serve", "--port", str(port), "--8x8-base-url", "https://api.8x8.example", "--8x8-channel-id", "chan-1",
        "--8x8-queue-id", "queue-1", config={"logFormat": "json"},
        env={"RELAY_8X8_API_KEY": API_KEY, "RELAY_METRICS_TOKEN": METRICS_TOKEN})
    assert result.returncode == 0, result
    assert result.stdout.startswith("configuration OK"), result.stdout
    for expected in (f":{port}", "provider default: https://api.8x8.example", "apiKey (set)", "channel chan-1 queue queue-1",
                     "bearer token (set)", "info, json"):
        assert expected in result.stdout, (expected, result.stdout)
    for secret in (API_KEY, API_KEY[-4:], METRICS_TOKEN):
        assert secret not in result.stdout + result.stderr
    # Nothing was started or created: the port is free and no token secret was generated.
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    assert not (tmp_path / "data").exists()


def test_check_config_for_redis_hides_the_password_and_contacts_nothing(tmp_path):
    port = free_port()  # nothing listens here: the check must not try to connect
    result = check_config(tmp_path, "serve", "--store", "redis", "--redis-prefix", "eu-1",
                          env={"RELAY_REDIS_URL": f"redis://:hunter2-redis-password@127.0.0.1:{port}/3"})
    assert result.returncode == 0, result
    assert f"redis redis://***@127.0.0.1:{port}/3 prefix eu-1" in result.stdout, result.stdout
    assert "same copilot.tokenSecret" in result.stdout, result.stdout   # every node needs the one secret
    assert "hunter2" not in result.stdout + result.stderr
    bad = check_config(tmp_path, "serve", "--store", "redis", "--redis-url", "redis://127.0.0.1:notaport")
    assert bad.returncode != 0 and "store.redis.url" in bad.stderr, bad


def test_check_config_for_demo(tmp_path):
    result = check_config(tmp_path, "demo")
    assert result.returncode == 0, result
    assert "embedded simulator" in result.stdout, result.stdout


@pytest.mark.parametrize("args, config, message", [
    pytest.param(["--8x8-api-key", "k"], None, "'8x8-channel-id'", id="missing-channel"),
    pytest.param([], {"metrics": {"token": "short"}}, "'metrics.token' must be at least 16 characters", id="short-token"),
    pytest.param(["--bot-script", "/nonexistent/bot.json"], None, "'bot-script' cannot read", id="missing-bot-script"),
    pytest.param(["--knowledge-base", "/nonexistent/kb"], None, "'copilot.knowledgeBase'", id="missing-knowledge-base"),
    pytest.param([], '{"port": 80', "'config'", id="config-not-json"),
])
def test_check_config_reports_the_precise_error(tmp_path, args, config, message):
    result = check_config(tmp_path, "serve", *args, config=config)
    assert result.returncode != 0, result
    assert message in result.stderr, result.stderr
    assert "configuration OK" not in result.stdout


def test_check_config_reads_an_existing_token_secret_and_refuses_a_loose_one(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    secret = data / "token-secret"
    secret.write_text("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0")  # 24 bytes, base64url
    secret.chmod(0o600)
    ok = check_config(tmp_path, "serve")
    assert ok.returncode == 0 and f"{secret} (set)" in ok.stdout, ok
    assert "c2VjcmV0" not in ok.stdout
    secret.chmod(0o644)
    loose = check_config(tmp_path, "serve")
    assert loose.returncode != 0 and "readable by others" in loose.stderr, loose


def test_check_config_warns_about_secrets_in_a_file_others_can_read(tmp_path):
    path = tmp_path / "relay.json"
    path.write_text(json.dumps({"providers": {"default": {"baseUrl": "https://api.8x8.com", "apiKey": API_KEY}},
                                "handovers": {"default": {"channelId": "c", "queueId": "q"}}}))
    path.chmod(0o644)
    loose = check_config(tmp_path, "serve", "--config", str(path))
    assert loose.returncode == 0, loose.stderr
    assert "holds secrets (providers.default.apiKey) but is readable by other users (mode 644)" in loose.stdout
    assert API_KEY not in loose.stdout + loose.stderr
    path.chmod(0o600)
    tight = check_config(tmp_path, "serve", "--config", str(path))
    assert tight.returncode == 0 and "readable by other users" not in tight.stdout, tight.stdout
