"""Browser tests of the two pages a `handover-relay demo` serves: the end-user
chat page (web/index.html + web/chat/chat.js) and the simulator's agent console
(web/agent-console/). Headless Chromium, driven through the pages' data-testid
hooks only; every wait is an explicit WebDriverWait condition (<= 10 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WAIT = 10.0

GREETING = "I'm the virtual assistant"
HOURS_ANSWER = "Monday to Friday"
DELIVERY_ANSWER = "Standard delivery takes"
RETURN_ANSWER = "return any item within 30 days"
AFTER_AGENT = "You're back with the virtual assistant"
AFTER_CANCEL = "No problem, you're back with the virtual assistant"


class RelayCrashed(AssertionError):
    """The relay process died while a test waited for something (its output is attached to the report)."""


def until(driver, condition: Callable[[Any], Any], what: str, timeout: float = WAIT, relay=None) -> Any:
    """Waits for `condition(driver)` to be truthy; the DOM is re-read on every poll.
    With `relay`, the wait stops at once with RelayCrashed if the relay process has exited."""
    def check(d):
        if relay is not None and not relay.alive:
            raise RelayCrashed(f"the relay exited (status {relay.proc.returncode}) while waiting for {what}")
        return condition(d)
    wait = WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    return wait.until(check, f"timed out after {timeout}s waiting for {what}")


def tid(testid: str, extra: str = "") -> str:
    return f'[data-testid="{testid}"]{extra}'


def assert_no_alert(driver):
    try:
        alert = driver.switch_to.alert
        text = alert.text
    except NoAlertPresentException:
        return
    alert.dismiss()
    pytest.fail(f"a JavaScript dialog opened: {text!r}")


# -- page objects --------------------------------------------------------------------------

class ChatPage:
    """The end-user chat page."""

    # One atomic read of the transcript: (testid, seq, from/state, text, status) per list item.
    TRANSCRIPT_JS = """
        return Array.from(document.querySelectorAll('[data-testid="message-list"] > li')).map(function (li) {
          var bubble = li.querySelector('.msg__bubble');
          return {
            testid: li.getAttribute('data-testid'),
            seq: li.dataset.seq ? Number(li.dataset.seq) : null,
            from: li.dataset.from || null,
            state: li.dataset.state || null,
            status: li.dataset.status || null,
            text: (bubble || li).textContent
          };
        });
    """

    def __init__(self, driver, relay):
        self.d = driver
        self.relay = relay
        self.base_url = relay.url("")

    def until(self, condition: Callable[[Any], Any], what: str) -> Any:
        return until(self.d, condition, what, relay=self.relay)

    def open(self, query: str = "?name=Ada&email=ada@example.com"):
        self.d.get(self.base_url + "/" + query)
        self.wait_connected()

    def el(self, testid: str):
        return self.d.find_element(By.CSS_SELECTOR, tid(testid))

    def wait_connected(self):
        self.until(lambda d: self.el("connection-state").get_attribute("data-state") == "connected",
                   "the chat page to connect")

    def transcript(self) -> list[dict]:
        return self.d.execute_script(self.TRANSCRIPT_JS)

    def messages(self, sender: Optional[str] = None) -> list[dict]:
        return [m for m in self.transcript()
                if m["testid"] == "chat-message" and (sender is None or m["from"] == sender)]

    def wait_message(self, sender: str, contains: str, after_seq: int = 0) -> dict:
        def found(_):
            for m in self.messages(sender):
                if contains in m["text"] and m["seq"] is not None and m["seq"] > after_seq:
                    return m
            return None
        return self.until(found, f"a {sender} message containing {contains!r} after seq {after_seq}")

    def wait_event(self, state: str) -> dict:
        def found(_):
            return next((m for m in self.transcript() if m["testid"] == "handover-event" and m["state"] == state), None)
        return self.until(found, f"a handover event {state!r} in the transcript")

    def send(self, text: str) -> dict:
        """Types and sends `text`; returns the message once the relay has acknowledged it (it has a seq)."""
        box = self.el("chat-input")
        self.until(lambda d: box.is_enabled(), "the chat input to be enabled")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        def delivered(_):
            return next((m for m in self.messages("user")
                         if m["text"] == text and m["status"] == "delivered" and m["seq"] is not None), None)
        return self.until(delivered, f"our message {text!r} to be delivered")

    def click(self, testid: str):
        button = self.el(testid)
        self.until(lambda d: button.is_displayed() and button.is_enabled(), f"{testid} to be clickable")
        button.click()

    def wait_banner(self, state: str) -> str:
        banner = self.el("handover-banner")
        self.until(lambda d: banner.get_attribute("data-state") == state and banner.is_displayed(),
                   f"the handover banner to show {state!r}")
        return banner.text


class AgentConsole:
    """The simulator's agent console. Its lists are re-rendered on every update, so nothing is cached."""

    def __init__(self, driver, relay):
        self.d = driver
        self.relay = relay
        self.base_url = relay.url("")

        self.conversation_id: Optional[str] = None

    def until(self, condition: Callable[[Any], Any], what: str) -> Any:
        return until(self.d, condition, what, relay=self.relay)

    def open(self):
        self.d.get(self.base_url + "/agent-console/")
        self.until(lambda d: self.el("connection-state").get_attribute("data-state") == "connected",
                   "the agent console to connect")

    def el(self, testid: str, extra: str = ""):
        return self.d.find_element(By.CSS_SELECTOR, tid(testid, extra))

    def els(self, testid: str, extra: str = ""):
        return self.d.find_elements(By.CSS_SELECTOR, tid(testid, extra))

    def item(self):
        return self.el("conv-item", f'[data-conversation-id="{self.conversation_id}"]')

    def wait_queued(self, name: str) -> str:
        """Waits for `name`'s conversation in the queue; remembers and returns its id."""
        def found(_):
            for item in self.els("conv-item", '[data-state="queued"]'):
                if item.find_element(By.CSS_SELECTOR, ".conv-name").text == name:
                    return item.get_attribute("data-conversation-id")
            return None
        self.conversation_id = self.until(found, f"{name}'s conversation in the console queue")
        return self.conversation_id

    def item_state(self) -> str:
        return self.item().get_attribute("data-state")

    def wait_item_state(self, state: str):
        self.until(lambda d: self.item_state() == state,
                   f"conversation {self.conversation_id} to be {state!r} in the console list")

    def select(self):
        def clicked(_):
            self.item().click()
            return self.el("conv-detail").get_attribute("data-conversation-id") == self.conversation_id
        self.until(clicked, f"conversation {self.conversation_id} to open in the detail pane")

    def click(self, testid: str):
        button = self.el(testid)
        self.until(lambda d: button.is_displayed() and button.is_enabled(), f"{testid} to be enabled")
        button.click()

    def detail_state(self) -> str:
        return self.el("conv-state").get_attribute("data-state")

    def wait_detail_state(self, state: str):
        self.until(lambda d: self.detail_state() == state, f"the open conversation to be {state!r}")

    def user_field(self, key: str) -> str:
        return self.el("conv-user").find_element(By.CSS_SELECTOR, f'dd[data-field="{key}"]').text

    def history(self) -> list[tuple[str, str]]:
        return [(m.get_attribute("data-author"), m.find_element(By.CSS_SELECTOR, ".msg-text").text)
                for m in self.els("history-message")]

    def live_messages(self, author: Optional[str] = None) -> list[str]:
        return [m.find_element(By.CSS_SELECTOR, ".msg-text").text for m in self.els("conv-message")
                if author is None or m.get_attribute("data-author") == author]

    def wait_live_message(self, author: str, text: str):
        self.until(lambda d: text in self.live_messages(author),
                   f"a live {author} message {text!r} in the console")

    def type(self, text: str):
        box = self.el("agent-input")
        self.until(lambda d: box.is_enabled(), "the agent input to be enabled")
        box.send_keys(text)

    def send(self, text: str):
        self.type(text)
        self.el("agent-input").send_keys(Keys.ENTER)
        self.wait_live_message("agent", text)


def start_handover(chat: ChatPage, console: AgentConsole, name: str = "Ada") -> str:
    """User asks for a person; the agent finds the conversation in the queue and opens it."""
    chat.click("human-btn")
    chat.wait_banner("queued")
    console.open()
    cid = console.wait_queued(name)
    console.select()
    return cid


def accept(chat: ChatPage, console: AgentConsole):
    console.click("accept-btn")
    console.wait_detail_state("active")
    return chat.wait_banner("active")


# -- tests -----------------------------------------------------------------------------------

def test_complete_handover(relay, browser):
    """Bot FAQ, handover, queue, accept, typing, messages both ways, close, back to the bot."""
    chat = ChatPage(browser("user"), relay)
    chat.open("?name=Ada&email=ada@example.com")
    greeting = chat.wait_message("bot", GREETING)
    assert "Hi Ada!" in greeting["text"]

    question = chat.send("What are your opening hours?")
    chat.wait_message("bot", HOURS_ANSWER, after_seq=question["seq"])

    chat.click("human-btn")
    queued_text = chat.wait_banner("queued")
    assert "queue" in queued_text.lower()
    assert chat.el("cancel-btn").is_displayed()
    assert not chat.el("human-btn").is_displayed()

    console = AgentConsole(browser("agent"), relay)
    console.open()
    console.wait_queued("Ada")
    console.select()
    assert console.detail_state() == "queued"
    assert console.el("conv-title").text == "Ada"
    assert console.user_field("name") == "Ada"
    assert console.user_field("email") == "ada@example.com"

    history = console.history()
    assert any(author == "bot" and "Hi Ada!" in text for author, text in history), history
    assert ("user", "What are your opening hours?") in history, history
    assert any(author == "bot" and HOURS_ANSWER in text for author, text in history), history

    link = console.el("conv-props").find_element(By.CSS_SELECTOR, tid("copilot-link"))
    href = link.get_attribute("href")
    assert href.startswith(f"http://localhost:{relay.port}/copilot/"), href
    assert "URLToken=" in href and "sessionId=" in href, href
    assert link.get_attribute("target") == "_blank"

    # Accept: the user's banner turns active and names the agent.
    active_text = accept(chat, console)
    assert "agent-1" in active_text
    console.wait_item_state("active")
    assert not chat.el("cancel-btn").is_displayed()

    # The agent types: the user sees "Agent is typing…"; the message replaces it.
    typing = chat.el("typing-indicator")
    assert not typing.is_displayed()
    console.type("Hello Ada, I'm")
    chat.until(lambda d: typing.is_displayed(), "the agent typing indicator on the chat page")
    console.type(" agent-1. How can I help?")
    console.el("agent-input").send_keys(Keys.ENTER)
    agent_text = "Hello Ada, I'm agent-1. How can I help?"
    console.wait_live_message("agent", agent_text)
    msg = chat.wait_message("agent", agent_text)
    chat.until(lambda d: not typing.is_displayed(), "the typing indicator to go after the agent's message")
    agent_li = chat.d.find_element(By.CSS_SELECTOR, tid("chat-message", f'[data-seq="{msg["seq"]}"]'))
    assert agent_li.get_attribute("data-agent-id") == "agent-1"

    # Both pages in the active state, for the docs (artifacts/ is git-ignored).
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chat.d.save_screenshot(str(ARTIFACTS / "chat-active.png"))
    console.d.save_screenshot(str(ARTIFACTS / "agent-console-active.png"))

    # The user replies: the console shows it as the user's.
    reply = "My parcel has not arrived yet."
    chat.send(reply)
    console.wait_live_message("user", reply)
    assert console.live_messages() == [agent_text, reply]

    # The agent closes: the user is told, and the bot speaks again after the ended event.
    console.click("close-btn")
    console.wait_detail_state("ended")
    console.wait_item_state("ended")
    ended_text = chat.wait_banner("ended")
    assert "The agent ended the conversation" in ended_text
    ended = chat.wait_event("ended")
    chat.wait_message("bot", AFTER_AGENT, after_seq=ended["seq"])
    assert chat.el("human-btn").is_displayed()
    assert_no_alert(chat.d)
    assert_no_alert(console.d)


def _assert_unique_seqs(transcript: list[dict]):
    seqs = [m["seq"] for m in transcript if m["seq"] is not None]
    assert len(seqs) == len(set(seqs)), f"duplicate data-seq on the page: {seqs}"
    assert seqs == sorted(seqs), f"items out of seq order: {seqs}"
    assert all(m["seq"] is not None for m in transcript if m["testid"] != "chat-notice"), transcript


def test_reload_resumes_without_duplicates(relay, browser):
    """A reload mid-conversation (with the bot, then while queued) shows each message once and carries on."""
    chat = ChatPage(browser("user"), relay)
    chat.open("?name=Ada&email=ada@example.com")
    chat.wait_message("bot", GREETING)
    q1 = chat.send("How long does delivery take?")
    chat.wait_message("bot", DELIVERY_ANSWER, after_seq=q1["seq"])
    q2 = chat.send("Can I return a jacket?")
    chat.wait_message("bot", RETURN_ANSWER, after_seq=q2["seq"])
    before = chat.transcript()
    _assert_unique_seqs(before)

    chat.d.refresh()
    chat.wait_connected()
    # The relay replays (if anything) before it answers a new message: the answer is a barrier.
    q3 = chat.send("What are your opening hours?")
    assert q3["seq"] > max(m["seq"] for m in before)
    chat.wait_message("bot", HOURS_ANSWER, after_seq=q3["seq"])
    after = chat.transcript()
    _assert_unique_seqs(after)
    assert after[:len(before)] == before, "the transcript changed across the reload"
    assert sum(GREETING in m["text"] for m in after) == 1

    # Reload again while queued for an agent: the banner comes back and the page still acts.
    chat.click("human-btn")
    chat.wait_banner("queued")
    queued = chat.wait_event("queued")
    before = chat.transcript()
    chat.d.refresh()
    chat.wait_connected()
    chat.wait_banner("queued")
    chat.click("cancel-btn")
    chat.wait_banner("cancelled")
    cancelled = chat.wait_event("cancelled")
    assert cancelled["seq"] > queued["seq"]
    chat.wait_message("bot", AFTER_CANCEL, after_seq=cancelled["seq"])
    q4 = chat.send("Where is my order?")
    chat.wait_message("bot", "track your order", after_seq=q4["seq"])
    after = chat.transcript()
    _assert_unique_seqs(after)
    assert after[:len(before)] == before, "the transcript changed across the second reload"
    assert [m["text"] for m in after].count("Where is my order?") == 1


def test_cancel_while_queued(relay, browser):
    """The user cancels in the queue: banner cancelled, the bot takes over, the console shows it ended."""
    chat = ChatPage(browser("user"), relay)
    chat.open("?name=Grace&email=grace@example.com")
    chat.wait_message("bot", "Hi Grace!")
    console = AgentConsole(browser("agent"), relay)
    start_handover(chat, console, "Grace")
    assert console.detail_state() == "queued"

    chat.click("cancel-btn")
    banner_text = chat.wait_banner("cancelled")
    assert "cancelled" in banner_text.lower()
    assert not chat.el("cancel-btn").is_displayed()
    cancelled = chat.wait_event("cancelled")
    chat.wait_message("bot", AFTER_CANCEL, after_seq=cancelled["seq"])

    console.wait_item_state("ended")
    console.wait_detail_state("ended")
    assert console.el("accept-btn").get_attribute("disabled") is not None
    _assert_unique_seqs(chat.transcript())


def test_agent_html_is_shown_as_text(relay, browser):
    """HTML typed by the agent reaches the chat page as literal text: no element, no script, no dialog."""
    payload = "<img src=x onerror=alert(1)>"
    chat = ChatPage(browser("user"), relay)
    chat.open("?name=Ada")
    chat.wait_message("bot", GREETING)
    console = AgentConsole(browser("agent"), relay)
    start_handover(chat, console, "Ada")
    accept(chat, console)

    console.send(payload)
    msg = chat.wait_message("agent", payload)
    assert msg["text"] == payload
    # A second message as an ordering barrier: whatever the first one did has happened by now.
    console.send("<b>bold?</b> & <script>alert(2)</script>")
    chat.wait_message("agent", "<script>alert(2)</script>", after_seq=msg["seq"])
    assert_no_alert(chat.d)
    assert_no_alert(console.d)

    li = chat.d.find_element(By.CSS_SELECTOR, tid("chat-message", f'[data-seq="{msg["seq"]}"]'))
    bubble = li.find_element(By.CSS_SELECTOR, ".msg__bubble")
    assert chat.d.execute_script("return arguments[0].childElementCount", bubble) == 0
    assert chat.d.execute_script("return arguments[0].textContent", bubble) == payload
    found = chat.d.execute_script("""
        var list = document.querySelector('[data-testid="message-list"]');
        return {
          imgs: list.querySelectorAll('img, script, b').length,
          fetchedX: performance.getEntriesByType('resource').filter(function (e) {
            return /\\/x$/.test(new URL(e.name).pathname); }).length
        };
    """)
    assert found == {"imgs": 0, "fetchedX": 0}, found

    # The console shows the agent's own text literally too.
    assert payload in console.live_messages("agent")
    assert console.el("conv-messages").find_elements(By.CSS_SELECTOR, "img, script, b") == []


def test_agent_close_returns_user_to_bot(relay, browser):
    """The agent closes an active conversation: ended notice, the bot speaks after it and answers again."""
    chat = ChatPage(browser("user"), relay)
    chat.open("?name=Ada&email=ada@example.com")
    chat.wait_message("bot", GREETING)
    console = AgentConsole(browser("agent"), relay)
    start_handover(chat, console, "Ada")
    accept(chat, console)
    console.send("Your refund is on its way.")
    chat.wait_message("agent", "Your refund is on its way.")

    console.click("close-btn")
    console.wait_detail_state("ended")
    console.wait_item_state("ended")
    assert "The agent ended the conversation" in chat.wait_banner("ended")
    ended = chat.wait_event("ended")
    chat.wait_message("bot", AFTER_AGENT, after_seq=ended["seq"])
    assert chat.el("human-btn").is_displayed()
    question = chat.send("What are your opening hours?")
    chat.wait_message("bot", HOURS_ANSWER, after_seq=question["seq"])
    _assert_unique_seqs(chat.transcript())
    assert_no_alert(chat.d)
