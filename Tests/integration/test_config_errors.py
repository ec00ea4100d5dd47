"""Start-up refuses bad configuration, naming the offending key."""

import json
import subprocess
import time

import pytest

from conftest import RELAY_BIN, WEB_ROOT, free_port, http, spawn

RUN_TIMEOUT = 10


def run_relay(tmp_path, *args, config=None) -> subprocess.CompletedProcess:
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
    proc = spawn(argv, out, err)
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
])
def test_config_error_names_the_key(tmp_path, args, config, key):
    result = run_relay(tmp_path, *args, config=config)
    assert result.returncode != 0, result
    assert key in result.stderr, f"stderr does not name {key!r}:\n{result.stderr}"
    assert "listening" not in result.stdout, result.stdout


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
