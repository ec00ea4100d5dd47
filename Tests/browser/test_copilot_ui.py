"""Browser tests of the agent copilot page (web/copilot/) a `handover-relay demo`
serves at the signed `copilotUrl` it puts into the 8x8 conversation's
properties. The end user chats on the chat page, the agent works in the
simulator's agent console and opens the copilot from there; the copilot must
show the whole conversation (bot part included), its analyses, integrator tiles,
and stay live. Headless Chromium, driven through the pages' data-testid hooks
only; every wait is an explicit WebDriverWait condition (<= 10 s).

Screenshots of the copilot go to Tests/browser/artifacts/copilot-*.png (git-ignored).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Optional

import pytest

from selenium.webdriver.common.by import By

from test_handover_ui import ARTIFACTS, GREETING, AgentConsole, ChatPage, assert_no_alert, tid, until

ORDER = "#A12345"
LATE_PARCEL = f"Hi, my parcel is late - order {ORDER} still hasn't arrived."
BOT_TRACKING = "track your order"          # the rule bot's answer to a question about an order
ANGRY = "This is terrible, I am very angry"
SMALL_SCREEN = (1366, 768)


# -- the relay's HTTP side ------------------------------------------------------------------

def http_json(relay, method: str, path: str, body: Any = None, token: Optional[str] = None) -> tuple[int, Any]:
    """One request to the relay; returns (status, decoded JSON body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(relay.url(path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def sim_conversation(relay, conversation_id: Optional[str] = None) -> dict:
    """The simulator's view of one conversation (the only one when no id is given)."""
    status, state = http_json(relay, "GET", "/sim/agent/state")
    assert status == 200, state
    conversations = state["conversations"]
    if conversation_id is None:
        assert len(conversations) == 1, conversations
        return conversations[0]
    return next(c for c in conversations if c["id"] == conversation_id)


def copilot_url_of(conversation: dict) -> str:
    """The copilotUrl the relay put into the conversation's user properties (additionalProperties)."""
    props = {p["key"]: p["value"] for p in conversation["user"].get("additionalProperties", [])}
    assert "copilotUrl" in props, f"no copilotUrl in the conversation's properties: {conversation['user']}"
    return props["copilotUrl"]


def link_params(url: str) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(url).query).items()}


# -- page object ------------------------------------------------------------------------------

class CopilotPage:
    """The agent copilot page in one window (`handle`) of a driver that may have several."""

    # One atomic read of the transcript tile: messages and handover markers, in DOM order.
    TRANSCRIPT_JS = """
        var list = document.querySelector('[data-testid="transcript"]');
        if (!list) return null;
        return Array.from(list.children).map(function (li) {
          var body = li.querySelector('.msg__text');
          return {
            testid: li.getAttribute('data-testid'),
            seq: li.dataset.seq ? Number(li.dataset.seq) : null,
            from: li.dataset.from || null,
            state: li.dataset.state || null,
            pre: li.classList.contains('msg--pre'),
            text: (body || li).textContent
          };
        });
    """

    def __init__(self, driver, relay, handle: Optional[str] = None):
        self.d = driver
        self.relay = relay
        self.handle = handle or driver.current_window_handle

    def focus(self) -> "CopilotPage":
        if self.d.current_window_handle != self.handle:
            self.d.switch_to.window(self.handle)
        return self

    def until(self, condition: Callable[[Any], Any], what: str) -> Any:
        self.focus()
        return until(self.d, condition, what, relay=self.relay)

    def open(self, url: str):
        self.focus()
        self.d.get(url)
        self.wait_live()

    def el(self, testid: str, extra: str = ""):
        return self.d.find_element(By.CSS_SELECTOR, tid(testid, extra))

    def els(self, testid: str, extra: str = ""):
        return self.d.find_elements(By.CSS_SELECTOR, tid(testid, extra))

    def tile(self, tile_id: str):
        return self.el("tile", f'[data-tile-id="{tile_id}"]')

    def wait_live(self):
        self.until(lambda d: self.el("connection-state").get_attribute("data-state") == "live",
                   "the copilot to be live (snapshot received)")

    # transcript

    def transcript(self) -> list[dict]:
        return self.focus().d.execute_script(self.TRANSCRIPT_JS) or []

    def messages(self, sender: Optional[str] = None) -> list[dict]:
        return [m for m in self.transcript()
                if m["testid"] == "transcript-message" and (sender is None or m["from"] == sender)]

    def wait_message(self, sender: str, contains: str, seq: Optional[int] = None) -> dict:
        def found(_):
            return next((m for m in self.messages(sender)
                         if contains in m["text"] and (seq is None or m["seq"] == seq)), None)
        return self.until(found, f"a {sender} message containing {contains!r}"
                                 + (f" with seq {seq}" if seq is not None else "") + " in the copilot transcript")

    # tiles

    def sentiment(self) -> tuple[str, str]:
        """(data-label, score text) of the sentiment tile."""
        tile = self.tile("sentiment")
        label = tile.find_element(By.CSS_SELECTOR, tid("sentiment-label")).get_attribute("data-label")
        score = tile.find_elements(By.CSS_SELECTOR, tid("sentiment-score"))
        return label, (score[0].text if score else "")

    def wait_sentiment(self, accept: Callable[[str, str], bool], what: str) -> tuple[str, str]:
        """Waits for a (label, score text) of the sentiment tile that `accept` takes; returns it."""
        def found(_):
            label, score = self.sentiment()
            return (label, score) if accept(label, score) else None
        return self.until(found, what)

    def handover_state(self) -> str:
        return self.el("handover-state").get_attribute("data-state")

    def wait_handover_state(self, state: str):
        self.until(lambda d: self.handover_state() == state, f"the copilot's handover state to be {state!r}")

    def wait_settled(self):
        """No tile highlight running (it fades after 1.6 s), so a screenshot shows the resting page."""
        self.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".tile--flash, .msg--new"),
                   "the copilot's update highlights to fade")

    def screenshot(self, stem: str, size: Optional[tuple[int, int]] = None):
        """artifacts/<stem>.png at the current window size, and at `size` when given (then back)."""
        self.focus()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.wait_settled()
        assert self.d.save_screenshot(str(ARTIFACTS / f"{stem}.png"))
        if size:
            before = self.d.get_window_size()
            self.d.set_window_size(*size)
            self.until(lambda d: d.execute_script("return window.innerWidth") == size[0],
                       f"the window to be {size[0]} px wide")
            # The page re-lays its grid in an animation frame after a resize: wait for two.
            self.d.execute_async_script("""
                var done = arguments[arguments.length - 1];
                requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); });
            """)
            assert self.d.save_screenshot(str(ARTIFACTS / f"{stem}-{size[0]}x{size[1]}.png"))
            self.d.set_window_size(before["width"], before["height"])


def _assert_unique_seqs(transcript: list[dict]):
    seqs = [m["seq"] for m in transcript if m["testid"] == "transcript-message"]
    assert all(s is not None for s in seqs), transcript
    assert len(seqs) == len(set(seqs)), f"duplicate data-seq in the copilot transcript: {seqs}"
    assert seqs == sorted(seqs), f"copilot transcript out of seq order: {seqs}"


def chat_messages(chat: ChatPage) -> list[tuple[int, str, str]]:
    """(seq, from, text) of every message on the chat page, for comparison with the copilot."""
    return [(m["seq"], m["from"], m["text"]) for m in chat.messages()]


def copilot_messages(copilot: CopilotPage) -> list[tuple[int, str, str]]:
    return [(m["seq"], m["from"], m["text"]) for m in copilot.messages()]


def chat_until_queued(chat: ChatPage, name: str = "Ada") -> int:
    """The user talks to the bot about a late parcel, then asks for a person; returns the seq of the question."""
    chat.open(f"?name={name}&email={name.lower()}@example.com")
    chat.wait_message("bot", GREETING)
    question = chat.send(LATE_PARCEL)
    chat.wait_message("bot", BOT_TRACKING, after_seq=question["seq"])
    chat.click("human-btn")
    chat.wait_banner("queued")
    return question["seq"]


def open_copilot_of_queued(relay, browser, name: str = "copilot") -> tuple[CopilotPage, dict]:
    """Opens the copilotUrl of the (only) simulator conversation in a new driver, once it is live."""
    conversation = sim_conversation(relay)
    url = copilot_url_of(conversation)
    copilot = CopilotPage(browser(name), relay)
    copilot.open(url)
    return copilot, conversation


# -- tests -------------------------------------------------------------------------------------

def test_copilot_follows_the_conversation(relay, browser):
    """Bot part, analyses and live updates on the copilot the agent opens from the console."""
    chat = ChatPage(browser("user"), relay)
    chat_until_queued(chat)

    agent = browser("agent")
    console = AgentConsole(agent, relay)
    console.open()
    cid = console.wait_queued("Ada")
    console.select()
    console_window = agent.current_window_handle

    # The link the relay gave 8x8 is the one the console shows; the agent clicks it (target=_blank).
    url = copilot_url_of(sim_conversation(relay, cid))
    params = link_params(url)
    assert params.get("sessionId") and params.get("URLToken"), url
    link = console.el("conv-props").find_element(By.CSS_SELECTOR, tid("copilot-link"))
    assert link.get_attribute("href") == url
    link.click()
    new_window = until(agent, lambda d: next((h for h in d.window_handles if h != console_window), None),
                       "the copilot to open in a second window", relay=relay)
    copilot = CopilotPage(agent, relay, new_window)
    copilot.wait_live()
    assert copilot.d.current_url == url
    assert copilot.el("session-user").text == "Ada"
    assert copilot.el("session-id").text == params["sessionId"]
    copilot.wait_handover_state("queued")

    # The transcript: the whole conversation so far, the bot part included and marked as such.
    copilot.wait_message("bot", BOT_TRACKING)
    transcript = copilot.transcript()
    _assert_unique_seqs(transcript)
    assert copilot_messages(copilot) == chat_messages(chat)
    bots = copilot.messages("bot")
    assert len(bots) >= 2 and "Hi Ada!" in bots[0]["text"], bots
    assert any(m["text"] == LATE_PARCEL for m in copilot.messages("user")), transcript
    assert all(m["pre"] for m in copilot.messages()), "the bot part is not marked as before the handover"
    assert copilot.els("transcript-phase"), "no 'with the bot' phase label above the bot part"
    count = copilot.tile("transcript").find_element(By.CSS_SELECTOR, tid("transcript-count")).text
    assert count == f"{len(copilot.messages())} messages", count

    # Knowledge: an article about tracking / delivery of the parcel.
    def tracking_suggestion(_):
        cards = copilot.tile("knowledge").find_elements(By.CSS_SELECTOR, tid("knowledge-suggestion"))
        return next((c for c in cards if re.search(r"track|shipping|deliver", c.text, re.I)), None)
    card = copilot.until(tracking_suggestion, "a knowledge suggestion about tracking or delivery")
    assert card.is_displayed()

    # Summary: the order number as an entity chip.
    def order_chip(_):
        chips = copilot.tile("summary").find_elements(
            By.CSS_SELECTOR, tid("summary-entities") + " " + tid("entity-chip", '[data-type="order"]'))
        return next((c for c in chips if ORDER in c.text), None)
    assert copilot.until(order_chip, f"the order number {ORDER} among the summary's entities").is_displayed()

    # Sentiment: a label and a score for the user's message.
    label_before, score_before = copilot.wait_sentiment(lambda label, score: bool(label and score),
                                                        "a sentiment label and score")
    assert label_before in ("negative", "neutral", "positive"), label_before
    assert copilot.tile("sentiment").find_element(By.CSS_SELECTOR, tid("sentiment-label")).is_displayed()
    assert copilot.els("nba-action"), "no next best action"
    copilot.screenshot("copilot-queued", SMALL_SCREEN)

    # The user keeps chatting: the copilot shows the message and re-scores the sentiment, live.
    copilot.d.execute_script("window.__sameDocument = true")
    angry = chat.send(ANGRY)
    copilot.wait_message("user", ANGRY, seq=angry["seq"])
    _, score_after = copilot.wait_sentiment(
        lambda label, score: label == "negative" and score != score_before,
        f"the sentiment to change from {label_before} {score_before} to a lower negative score")
    assert score_after.startswith("\u2212"), score_after   # a negative score (U+2212 minus)
    assert float(score_after.replace("\u2212", "-")) < float(score_before.replace("\u2212", "-")), \
        (score_before, score_after)
    trend = copilot.el("sentiment-trend").get_attribute("data-trend")
    assert trend in ("worsening", "steady", "improving"), trend
    assert copilot.d.execute_script("return window.__sameDocument === true"), "the copilot reloaded"
    _assert_unique_seqs(copilot.transcript())
    assert not copilot.messages()[-1]["pre"], "a message sent while queued is marked as the bot part"

    # The agent accepts in the console: the copilot's handover state becomes active.
    agent.switch_to.window(console_window)
    console.click("accept-btn")
    console.wait_detail_state("active")
    chat.wait_banner("active")
    copilot.wait_handover_state("active")
    assert "agent-1" in copilot.el("handover-state").text
    copilot.until(lambda d: any(m["testid"] == "transcript-handover" and m["state"] == "active"
                                for m in copilot.transcript()),
                  "an 'agent joined' marker in the copilot transcript")
    assert copilot_messages(copilot) == chat_messages(chat)
    copilot.screenshot("copilot-active", SMALL_SCREEN)
    assert_no_alert(copilot.d)


def test_copilot_link_with_invalid_token(relay, browser):
    """A real session id with a garbage URLToken: a 401 page that says so, and nothing of the session."""
    chat = ChatPage(browser("user"), relay)
    chat.open("?name=Ada&email=ada@example.com")
    chat.wait_message("bot", GREETING)
    secret = "my parcel with order #A99999 is lost"
    chat.send(secret)
    session_id = chat.d.execute_script(
        "return JSON.parse(localStorage.getItem('handover-relay.chat.v1') || '{}').sessionId || null")
    assert session_id

    d = browser("agent")
    d.get(relay.url(f"/copilot/?sessionId={session_id}&userId=x&URLToken=garbage"))
    heading = until(d, lambda d: d.find_element(By.TAG_NAME, "h1"), "the error page's heading", relay=relay)
    assert "not valid" in heading.text.lower(), heading.text
    body = d.find_element(By.TAG_NAME, "body").text
    assert "not valid" in body.lower(), body
    status = d.execute_script(
        "var n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : null")
    assert status in (401, None), status   # None: a Chromium older than 109 has no responseStatus
    source = d.page_source
    for leaked in ("Ada", "ada@example.com", secret, "#A99999", session_id, GREETING):
        assert leaked not in source, f"the 401 page shows {leaked!r}"
    assert not d.find_elements(By.CSS_SELECTOR, tid("tile")), "copilot tiles on the 401 page"
    assert not d.find_elements(By.CSS_SELECTOR, "script"), "the 401 page runs scripts"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(ARTIFACTS / "copilot-invalid-token.png"))
    assert_no_alert(d)


def test_integrator_tiles_appear_live(relay, browser):
    """Tiles POSTed by an integrator show up on the open copilot without a reload."""
    chat = ChatPage(browser("user"), relay)
    chat_until_queued(chat)
    copilot, _ = open_copilot_of_queued(relay, browser)
    session_id = link_params(copilot.d.current_url)["sessionId"]
    copilot.d.execute_script("window.__sameDocument = true")

    token = relay.mint_token("--scope", "copilot:tiles")
    path = f"/api/sessions/{session_id}/copilot/tiles"
    status, body = http_json(relay, "POST", path, token=token, body={
        "id": "crm", "kind": "markdown", "title": "CRM", "position": {"x": 0, "y": 6, "w": 6, "h": 2},
        "data": {"markdown": "**Gold customer** since 2019"}})
    assert status == 200, body
    assert body["tile"]["id"] == "crm" and body["tile"]["source"] == "integrator", body
    status, body = http_json(relay, "POST", path, token=token, body={
        "id": "hologram-1", "kind": "hologram", "title": "Hologram",
        "data": {"projector": "3D", "customer": "Ada"}})
    assert status == 200, body

    # The markdown tile: bold as an element, not as asterisks.
    def markdown_rendered(_):
        md = copilot.tile("crm").find_element(By.CSS_SELECTOR, tid("markdown"))
        strong = md.find_elements(By.CSS_SELECTOR, "strong")
        return md if strong and strong[0].text == "Gold customer" else None
    md = copilot.until(markdown_rendered, "the markdown tile with a bold 'Gold customer'")
    assert md.text == "Gold customer since 2019", md.text
    assert "**" not in md.get_attribute("textContent")
    crm = copilot.tile("crm")
    assert crm.get_attribute("data-kind") == "markdown"
    assert crm.get_attribute("data-source") == "integrator"
    assert crm.find_element(By.CSS_SELECTOR, ".tile__title").text == "CRM"

    # The unknown kind: a visible warning tile that names the kind, its data still shown.
    warning = copilot.until(
        lambda d: copilot.tile("hologram-1").find_element(By.CSS_SELECTOR, tid("tile-warning")),
        "the unknown-kind tile as a warning")
    holo = copilot.tile("hologram-1")
    assert holo.get_attribute("data-kind") == "hologram"
    assert "hologram" in warning.text, warning.text
    assert "projector" in holo.find_element(By.CSS_SELECTOR, tid("tile-json")).get_attribute("textContent")
    copilot.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", holo)
    assert holo.is_displayed() and crm.is_displayed()
    assert copilot.d.execute_script("return window.__sameDocument === true"), "the copilot reloaded"

    # The built-in tiles are still there, and the page is still live.
    for builtin in ("identity", "transcript", "sentiment", "knowledge", "next-best-action", "summary"):
        assert copilot.tile(builtin).is_displayed(), builtin
    copilot.screenshot("copilot-custom-tiles", SMALL_SCREEN)

    # Removal reaches the page too.
    status, body = http_json(relay, "DELETE", f"{path}/hologram-1", token=token)
    assert status == 204, body
    copilot.until(lambda d: not copilot.els("tile", '[data-tile-id="hologram-1"]'),
                  "the removed tile to disappear")
    assert copilot.tile("crm").is_displayed()
    assert_no_alert(copilot.d)


def test_copilot_reload_resumes_without_duplicates(relay, browser):
    """A reload mid-conversation shows the same transcript once and stays live."""
    chat = ChatPage(browser("user"), relay)
    chat_until_queued(chat)
    copilot, conversation = open_copilot_of_queued(relay, browser)
    copilot.wait_message("bot", BOT_TRACKING)

    # Live events after the snapshot, so the page's own copy is ahead of its first snapshot.
    m1 = chat.send("Are you there?")
    copilot.wait_message("user", "Are you there?", seq=m1["seq"])
    m2 = chat.send(f"It is order {ORDER}, please hurry.")
    copilot.wait_message("user", "please hurry", seq=m2["seq"])
    before = copilot.transcript()
    _assert_unique_seqs(before)
    assert copilot_messages(copilot) == chat_messages(chat)

    copilot.d.refresh()
    copilot.wait_live()
    copilot.wait_message("user", "please hurry", seq=m2["seq"])
    after = copilot.transcript()
    _assert_unique_seqs(after)
    assert [(m["testid"], m["seq"], m["from"], m["text"]) for m in after] == \
        [(m["testid"], m["seq"], m["from"], m["text"]) for m in before], "the transcript changed across the reload"
    copilot.wait_handover_state("queued")

    # Still live: a new user message, then the agent accepting (through the simulator's agent API).
    m3 = chat.send("Hello? Anyone?")
    copilot.wait_message("user", "Hello? Anyone?", seq=m3["seq"])
    status, body = http_json(relay, "POST", f"/sim/agent/conversations/{conversation['id']}/accept", body={})
    assert status == 200, body
    copilot.wait_handover_state("active")
    chat.wait_banner("active")
    final = copilot.transcript()
    _assert_unique_seqs(final)
    assert copilot_messages(copilot) == chat_messages(chat)
    assert [m["text"] for m in copilot.messages()].count("Hello? Anyone?") == 1

    # And a second reload, now with the handover active, still shows everything once.
    copilot.d.refresh()
    copilot.wait_live()
    copilot.wait_message("user", "Hello? Anyone?", seq=m3["seq"])
    copilot.wait_handover_state("active")
    _assert_unique_seqs(copilot.transcript())
    assert copilot_messages(copilot) == chat_messages(chat)
    assert_no_alert(copilot.d)


def test_copilot_opened_late_places_the_handover(relay, browser):
    """The copilot opened after the user wrote while queued: those messages are not the bot part."""
    chat = ChatPage(browser("user"), relay)
    chat_until_queued(chat)
    queued = chat.wait_event("queued")
    waiting = chat.send("Are you still there?")
    assert waiting["seq"] > queued["seq"]

    copilot, _ = open_copilot_of_queued(relay, browser)
    copilot.wait_message("user", "Are you still there?", seq=waiting["seq"])
    copilot.wait_handover_state("queued")
    transcript = copilot.transcript()
    order = [m["seq"] if m["testid"] == "transcript-message" else m["state"] for m in transcript
             if m["testid"] in ("transcript-message", "transcript-handover")]
    assert order.index("queued") < order.index(waiting["seq"]), f"the Queued marker is misplaced: {order}"
    message = next(m for m in transcript if m["seq"] == waiting["seq"])
    assert not message["pre"], "a message written in the queue is shown as part of the bot conversation"
