// Agent console for the embedded 8x8 Chat Gateway simulator.
// Listens to the simulator's console feed (WebSocket, subprotocol
// simulator.console.v1) and acts through the agent REST API. All user-supplied
// text is rendered with textContent, never as HTML.
"use strict";

(function () {
  const PREFIX = (document.querySelector('meta[name="sim-prefix"]')?.content || "/sim").replace(/\/+$/, "");
  const WS_URL = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + PREFIX + "/ws/console";
  const API = PREFIX + "/agent";
  const TYPING_IDLE_MS = 2000;
  const USER_FIELDS = ["name", "userId", "email", "phone", "company", "caseId", "language"];

  const state = { queues: [], conversations: new Map(), order: [], selected: null };
  const typing = { conversationId: null, active: false, timer: null };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function formatTime(ms) {
    if (typeof ms !== "number") return "";
    return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function displayName(conv) {
    const user = conv.user || {};
    return String(user.name || user.email || user.userId || conv.id);
  }

  // ---- connection ---------------------------------------------------------

  let socket = null;
  let retryDelay = 500;

  function setConnection(kind, text) {
    const node = $("connection-state");
    node.className = "conn conn-" + kind;
    node.dataset.state = kind;
    node.textContent = text;
  }

  function connect() {
    setConnection("connecting", "connecting…");
    try {
      socket = new WebSocket(WS_URL, "simulator.console.v1");
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", () => {
      retryDelay = 500;
      setConnection("connected", "connected");
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      handleFrame(frame);
    });
    socket.addEventListener("close", scheduleReconnect);
  }

  function scheduleReconnect() {
    socket = null;
    const delay = retryDelay;
    retryDelay = Math.min(retryDelay * 2, 10000);
    setConnection("disconnected", "disconnected — retrying in " + Math.round(delay / 1000 * 10) / 10 + " s");
    setTimeout(connect, delay);
  }

  function handleFrame(frame) {
    switch (frame && frame.type) {
      case "snapshot":
        state.queues = Array.isArray(frame.queues) ? frame.queues : [];
        state.conversations = new Map();
        state.order = [];
        for (const conv of frame.conversations || []) upsert(conv);
        renderQueues();
        break;
      case "conversation":
        if (frame.conversation && frame.conversation.id) upsert(frame.conversation);
        break;
      case "removed":
        state.conversations.delete(frame.conversationId);
        state.order = state.order.filter((id) => id !== frame.conversationId);
        if (state.selected === frame.conversationId) state.selected = null;
        break;
      case "delivery":
        logDelivery(frame);
        return;
      default:
        return;
    }
    render();
  }

  function upsert(conv) {
    if (!state.conversations.has(conv.id)) state.order.push(conv.id);
    state.conversations.set(conv.id, conv);
  }

  function logDelivery(frame) {
    const reason = frame.status == null ? (frame.error || "no answer") : "HTTP " + frame.status;
    const text = `${frame.eventType} (${String(frame.conversationId || "").slice(-6)}) attempt ${frame.attempt}: ${reason}` +
      (frame.gaveUp ? " — gave up" : " — will retry");
    const log = $("delivery-log");
    log.prepend(el("li", { text, className: frame.gaveUp ? "gave-up" : "", "data-testid": "delivery-item" }));
    while (log.children.length > 30) log.lastElementChild.remove();
  }

  // ---- rendering ----------------------------------------------------------

  function renderQueues() {
    const select = $("transfer-select");
    select.replaceChildren(...state.queues.map((q) => el("option", { value: q.id, text: q.name + " (" + q.id + ")" })));
  }

  function render() {
    const groups = { queued: [], active: [], ended: [] };
    for (const id of state.order) {
      const conv = state.conversations.get(id);
      if (conv && groups[conv.state]) groups[conv.state].push(conv);
    }
    for (const [name, list] of Object.entries(groups)) {
      $("count-" + name).textContent = String(list.length);
      $("list-" + name).replaceChildren(...list.map(renderItem));
    }
    renderDetail();
  }

  function renderItem(conv) {
    const lastMessage = (conv.messages || []).at(-1);
    const item = el("li", {
      className: "conv-item" + (conv.id === state.selected ? " selected" : ""),
      "data-testid": "conv-item", "data-conversation-id": conv.id, "data-state": conv.state,
      tabindex: 0, role: "button",
    },
      el("span", { className: "badge badge-" + conv.state, text: conv.state }),
      el("span", { className: "conv-name", text: displayName(conv) }),
      el("span", { className: "conv-sub", text: conv.queueName + (conv.agentId ? " · " + conv.agentId : "") }),
      lastMessage ? el("span", { className: "conv-last", text: lastMessage.text }) : null,
      conv.userTyping ? el("span", { className: "conv-typing", text: "typing…" }) : null);
    item.addEventListener("click", () => select(conv.id));
    item.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") select(conv.id); });
    return item;
  }

  function select(id) {
    if (state.selected !== id) stopTyping();
    state.selected = id;
    $("action-error").hidden = true;
    render();
    $("agent-input").focus();
  }

  function renderMessage(message, live) {
    const author = message.authorType === "agent" || message.authorType === "bot" ? message.authorType : "user";
    return el("li", { className: "msg msg-" + author, "data-testid": live ? "conv-message" : "history-message", "data-author": author },
      el("span", { className: "msg-author", text: author + (message.createdAt ? " · " + formatTime(message.createdAt) : "") }),
      el("span", { className: "msg-text", text: message.text == null ? "" : message.text }));
  }

  function renderDetail() {
    const conv = state.selected && state.conversations.get(state.selected);
    $("empty-detail").hidden = Boolean(conv);
    $("conv-detail").hidden = !conv;
    if (!conv) return;
    $("conv-detail").dataset.conversationId = conv.id;

    $("conv-title").textContent = displayName(conv);
    const badge = $("conv-state");
    badge.className = "badge badge-" + conv.state;
    badge.textContent = conv.state;
    badge.dataset.state = conv.state;
    const meta = ["queue " + conv.queueName, conv.agentId ? "agent " + conv.agentId : null,
      conv.endedBy ? "ended by " + conv.endedBy : null, "channel " + conv.channelId, "id " + conv.id];
    $("conv-meta").textContent = meta.filter(Boolean).join(" · ");

    $("accept-btn").disabled = conv.state !== "queued";
    $("transfer-btn").disabled = conv.state !== "active";
    $("transfer-select").disabled = conv.state !== "active";
    $("close-btn").disabled = conv.state !== "active";
    $("agent-input").disabled = conv.state !== "active";
    $("agent-send").disabled = conv.state !== "active";

    const user = conv.user || {};
    const fields = [];
    for (const key of USER_FIELDS) {
      if (user[key] == null || user[key] === "") continue;
      fields.push(el("dt", { text: key }), el("dd", { text: String(user[key]), "data-field": key }));
    }
    $("conv-user").replaceChildren(...fields);

    const props = Array.isArray(user.additionalProperties) ? user.additionalProperties : [];
    $("conv-props").tBodies[0].replaceChildren(...props.map(renderProperty));

    const history = Array.isArray(conv.history) ? conv.history : [];
    $("history-count").textContent = String(history.length);
    $("conv-history").replaceChildren(...history.map((m) => renderMessage(m || {}, false)));

    const list = $("conv-messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(...(conv.messages || []).map((m) => renderMessage(m, true)));
    if (atBottom) list.scrollTop = list.scrollHeight;

    $("user-typing").hidden = !conv.userTyping;
  }

  function renderProperty(pair) {
    const key = pair && pair.key != null ? String(pair.key) : "";
    const value = pair && pair.value != null ? String(pair.value) : "";
    let valueCell;
    if (key === "copilotUrl" && /^https?:\/\//i.test(value)) {
      valueCell = el("td", {}, el("a", { href: value, target: "_blank", rel: "noopener noreferrer", text: value, "data-testid": "copilot-link" }));
    } else {
      valueCell = el("td", { text: value });
    }
    return el("tr", { "data-key": key }, el("th", { scope: "row", text: key }), valueCell);
  }

  // ---- actions ------------------------------------------------------------

  async function act(action, body) {
    const id = state.selected;
    if (!id) return null;
    const errorNode = $("action-error");
    try {
      const response = await fetch(API + "/conversations/" + encodeURIComponent(id) + "/" + action, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body || {}),
      });
      const payload = await response.json().catch(() => null);
      if (!response.ok) throw new Error((payload && payload.message) || "HTTP " + response.status);
      if (payload && payload.id) { upsert(payload); render(); }
      errorNode.hidden = true;
      return payload;
    } catch (error) {
      errorNode.textContent = action + " failed: " + error.message;
      errorNode.hidden = false;
      return null;
    }
  }

  function agentId() {
    return $("agent-id").value.trim() || "agent-1";
  }

  // Agent typing: "active" on the first keystroke, "inactive" after 2 s idle, on send, or when leaving the chat.
  function setTyping(active) {
    clearTimeout(typing.timer);
    typing.timer = null;
    if (active) {
      typing.timer = setTimeout(() => setTyping(false), TYPING_IDLE_MS);
      if (typing.active && typing.conversationId === state.selected) return Promise.resolve();
      typing.active = true;
      typing.conversationId = state.selected;
      return postTyping(state.selected, true);
    }
    if (!typing.active) return Promise.resolve();
    const previous = typing.conversationId;
    typing.active = false;
    typing.conversationId = null;
    return postTyping(previous, false);
  }

  function postTyping(id, active) {
    const conv = id && state.conversations.get(id);
    if (!conv || conv.state !== "active") return Promise.resolve();
    return fetch(API + "/conversations/" + encodeURIComponent(id) + "/typing", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ active }),
    }).catch(() => {});
  }

  function stopTyping() {
    return setTyping(false);
  }

  async function send() {
    const input = $("agent-input");
    const text = input.value.trim();
    if (!text || !state.selected) return;
    await stopTyping();
    const result = await act("messages", { text });
    if (result) input.value = "";
    input.focus();
  }

  function wire() {
    $("accept-btn").addEventListener("click", () => act("accept", { agentId: agentId() }));
    $("close-btn").addEventListener("click", () => { stopTyping(); act("close"); });
    $("transfer-btn").addEventListener("click", () => { stopTyping(); act("transfer", { queueId: $("transfer-select").value }); });
    $("composer").addEventListener("submit", (event) => { event.preventDefault(); send(); });
    const input = $("agent-input");
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(); }
    });
    input.addEventListener("input", () => { if (input.value.trim()) setTyping(true); else stopTyping(); });
    try {
      const saved = localStorage.getItem("sim-agent-id");
      if (saved) $("agent-id").value = saved;
    } catch { /* storage unavailable: keep the default */ }
    $("agent-id").addEventListener("change", () => {
      try { localStorage.setItem("sim-agent-id", agentId()); } catch { /* ignore */ }
    });
  }

  wire();
  connect();
})();
