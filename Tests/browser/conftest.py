"""Fixtures for the browser tests: a `handover-relay demo` process on a free
loopback port and headless Chromium drivers (Selenium + chromedriver).

* The relay is awaited by polling /healthz with a deadline and stopped with
  SIGTERM (then SIGKILL) at teardown; its stdout/stderr are attached to the
  report of a failing test. Each relay has its own --data-dir under the test's
  tmp_path (its token secret lives there; `mint_token` signs with it).
* `browser` is a factory of Chromium drivers (one per "person": end user,
  agent). When a test fails, every driver it opened leaves a screenshot and its
  browser console log under Tests/browser/artifacts/ (git-ignored).
* The whole directory is skipped, with the reason, when chromium or
  chromedriver is not installed. CI installs both, so there the tests run.

Environment overrides: RELAY_BIN (relay binary), CHROMEDRIVER, CHROMIUM_BIN.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import Callable, Optional

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

SUPPORT = str(Path(__file__).resolve().parents[1] / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)
# The relay process (shared with Tests/integration).
from relayproc import START_TIMEOUT, RelayProcess  # noqa: E402

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
WINDOW_SIZE = (1280, 900)


# -- browser discovery -------------------------------------------------------------------

def _first_executable(*candidates: Optional[str]) -> Optional[str]:
    for candidate in candidates:
        if not candidate:
            continue
        found = shutil.which(candidate)
        if found:
            return found
    return None


CHROMEDRIVER = _first_executable(os.environ.get("CHROMEDRIVER"), "chromedriver", "/usr/bin/chromedriver",
                                 "/usr/lib/chromium/chromedriver")
CHROMIUM = _first_executable(os.environ.get("CHROMIUM_BIN"), "chromium", "chromium-browser", "google-chrome",
                             "google-chrome-stable", "/usr/lib/chromium/chromium")


def _missing_browser_reason() -> Optional[str]:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    if not missing:
        return None
    return (f"browser tests need {' and '.join(missing)}, not found on PATH "
            "(apt-get install chromium chromium-driver, or set CHROMIUM_BIN / CHROMEDRIVER)")


MISSING_BROWSER = _missing_browser_reason()


@pytest.fixture(autouse=True, scope="module")
def _require_browser():
    """Skips every test of the module when there is no Chromium / chromedriver to drive."""
    if MISSING_BROWSER:
        pytest.skip(MISSING_BROWSER)


# -- the relay ---------------------------------------------------------------------------

class Relay(RelayProcess):
    """A `handover-relay demo` process (relay + rule bot + embedded 8x8 simulator) on a loopback port."""

    token_timeout = START_TIMEOUT

    def __init__(self, log_dir: Path, name: str = "relay"):
        super().__init__(["demo"], log_dir, name)

    def output(self) -> str:
        parts = []
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            text = path.read_text(errors="replace") if path.exists() else ""
            if text.strip():
                parts.append(f"--- {label} ---\n{text[-20000:]}")
        return "\n".join(parts) or "(no output)"


@pytest.fixture
def relay(request, tmp_path) -> Relay:
    """A fresh `handover-relay demo` for each test (own sessions, own simulated contact center)."""
    r = Relay(tmp_path)
    request.node._relay = r
    try:
        yield r.start()
    finally:
        r.stop()


# -- browsers ----------------------------------------------------------------------------

def _chrome_options() -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    if CHROMIUM:
        options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}", "--no-first-run",
                "--disable-background-networking", "--disable-extensions", "--lang=en-US"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A JavaScript dialog must never go unnoticed: leave it open so the test can see it.
    options.set_capability("unhandledPromptBehavior", "ignore")
    return options


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


def save_artifacts(driver, stem: str) -> list[Path]:
    """Screenshot + browser console log of one driver, under artifacts/; returns the files written."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    written = []
    png = ARTIFACTS / f"{stem}.png"
    try:
        if driver.save_screenshot(str(png)):
            written.append(png)
    except WebDriverException as e:
        (ARTIFACTS / f"{stem}.screenshot-error.txt").write_text(str(e))
    log = ARTIFACTS / f"{stem}.console.log"
    try:
        lines = [f"{entry.get('timestamp')} {entry.get('level')} {entry.get('message')}"
                 for entry in driver.get_log("browser")]
        lines.insert(0, f"# {driver.current_url}")
        log.write_text("\n".join(lines) + "\n")
        written.append(log)
    except WebDriverException as e:
        log.write_text(f"could not read the browser log: {e}\n")
        written.append(log)
    return written


@pytest.fixture
def browser(request) -> Callable[[str], webdriver.Chrome]:
    """Factory: browser("user") -> a new headless Chromium driver (own profile, so own localStorage)."""
    drivers: list[tuple[str, webdriver.Chrome]] = []

    def new(name: str) -> webdriver.Chrome:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=_chrome_options())
        driver.set_window_size(*WINDOW_SIZE)
        driver.set_page_load_timeout(10)
        driver.set_script_timeout(10)
        drivers.append((name, driver))
        return driver

    yield new

    failed = any(getattr(request.node, f"_report_{when}_failed", False) for when in ("setup", "call"))
    for name, driver in drivers:
        try:
            if failed:
                files = save_artifacts(driver, f"{_slug(request.node.name)}-{name}")
                request.node._artifacts = getattr(request.node, "_artifacts", []) + files
        finally:
            try:
                driver.quit()
            except WebDriverException:
                pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Marks the phase outcome on the item (for the artifact teardown) and attaches the relay output."""
    report = yield
    setattr(item, f"_report_{report.when}_failed", report.failed)
    if report.failed:
        r = getattr(item, "_relay", None)
        if r is not None:
            report.sections.append((f"relay output ({' '.join(r.command)})", r.output()))
        report.sections.append(("browser artifacts",
                                f"screenshots and console logs of the failing test: {ARTIFACTS}/{_slug(item.name)}-*"))
    return report
