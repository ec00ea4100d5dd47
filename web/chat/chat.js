/*
 * handover-relay end-user chat widget. Speaks handover.chat.v1 (docs/PROTOCOL.md)
 * over a WebSocket at ws/chat beside this page. Plain browser JS, no build step,
 * no external resources. All server text is rendered with textContent only.
 */
(function () {
  'use strict';

  var PROTOCOL = 'handover.chat.v1';
  var STORAGE_KEY = 'handover-relay.chat.v1';
  var MAX_TEXT = 4000;
  var TYPING_REFRESH_MS = 3000;   // at most one typing:true per 3 s while typing
  var TYPING_IDLE_MS = 2000;      // typing:false after 2 s without input
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var AGENT_TYPING_TIMEOUT_MS = 30000; // hide a stale "Agent is typing…" if no update comes
  var NOTICE_MS = 6000;           // how long ended/cancelled/failed stay in the banner
  var END_CLOSE_TIMEOUT_MS = 5000;
  var CACHE_MAX_EVENTS = 500;
  var NEAR_BOTTOM_PX = 60;
  var HC = window.HandoverCommon;
  var byTestId = HC.byTestId;
  var str = HC.str;
  var formatTime = HC.formatTime;

  var ACTIVE_STATES = { requested: true, queued: true, active: true, transferred: true };
  var TERMINAL_STATES = { ended: true, cancelled: true, failed: true };

  var ui = {
    subtitle: byTestId('chat-mode'),
    consoleLink: byTestId('agent-console-link'),
    conn: byTestId('connection-state'),
    retry: byTestId('retry-btn'),
    endBtn: byTestId('end-btn'),
    banner: byTestId('handover-banner'),
    cancelBtn: byTestId('cancel-btn'),
    list: byTestId('message-list'),
    jump: byTestId('jump-btn'),
    typing: byTestId('typing-indicator'),
    composer: byTestId('composer'),
    input: byTestId('chat-input'),
    sendBtn: byTestId('send-btn'),
    humanBtn: byTestId('human-btn'),
    ended: byTestId('ended-panel'),
    newChatBtn: byTestId('new-chat-btn')
  };
  ui.connText = ui.conn.querySelector('.conn__text');
  ui.bannerText = ui.banner.querySelector('.banner__text');
  ui.form = ui.input.form;

  // ------------------------------------------------------------------ storage

  // { sessionId, resumeToken, lastSeq, events: [stored transcript events], outbox: [{id, text, ts}] }
  var store = loadStore();

  function loadStore() {
    try {
      var s = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || 'null');
      if (s && typeof s === 'object' && !Array.isArray(s)) {
        if (!Array.isArray(s.events)) s.events = [];
        if (!Array.isArray(s.outbox)) s.outbox = [];
        if (!isSeq(s.lastSeq) && s.lastSeq !== 0) s.lastSeq = 0;
        return s;
      }
    } catch (e) { /* unavailable or corrupt: start clean */ }
    return { sessionId: null, resumeToken: null, lastSeq: 0, events: [], outbox: [] };
  }

  function saveStore() {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(store));
    } catch (e) {
      // Quota or disabled storage: drop the transcript cache and keep the essentials.
      try {
        window.localStorage.setItem(STORAGE_KEY, JSON.stringify({
          sessionId: store.sessionId, resumeToken: store.resumeToken, lastSeq: 0, events: [], outbox: store.outbox
        }));
      } catch (e2) { /* nothing to do */ }
    }
  }

  /** Forgets the session (not the unsent outbox). */
  function clearSession() {
    store.sessionId = null;
    store.resumeToken = null;
    store.lastSeq = 0;
    store.events = [];
    saveStore();
  }

  function clearAllStorage() {
    store = { sessionId: null, resumeToken: null, lastSeq: 0, events: [], outbox: [] };
    try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* ignore */ }
  }

  // ------------------------------------------------------------------ state

  var ws = null;
  var established = false;      // welcome received on the current socket
  var freshHelloSent = false;   // a hello without sessionId was sent on the current socket
  var announceRestart = false;  // the stored session was refused: say so once the new one starts
  var everConnected = false;
  var backoff = new HC.Backoff(BACKOFF_MIN_MS, BACKOFF_MAX_MS); // attempts count since the last welcome
  var endRequested = false;
  var endTimer = null;
  var sessionEnded = false;

  var seqEls = new Map();       // seq -> rendered element
  var pendingEls = new Map();   // client id -> pending user bubble
  var lastSeq = 0;              // every seq 1..lastSeq has been rendered (or was before a reload)

  var hoState = '';             // current (or last) handover state
  var hoAgentId = null;
  var noticeTimer = null;
  var humanBusyTimer = null;
  var cancelBusyTimer = null;

  var typingActive = false;
  var lastTypingSentAt = 0;
  var typingIdleTimer = null;
  var agentTypingTimer = null;

  // ------------------------------------------------------------------ helpers

  function isSeq(v) { return typeof v === 'number' && Number.isInteger(v) && v >= 1; }

  function newClientId() {
    try {
      if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    } catch (e) { /* insecure context: fall through */ }
    var bytes = new Uint8Array(16);
    if (window.crypto && typeof window.crypto.getRandomValues === 'function') {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  }

  function pageUrl(relative) { return new URL(relative, window.location.href); }

  function wsUrl() { return HC.wsUrl('ws/chat'); }

  function timeEl(ts) { return HC.timeEl(ts, 'msg__time'); }

  function span(cls, text) {
    var s = document.createElement('span');
    s.className = cls;
    if (text != null) s.textContent = text;
    return s;
  }

  /** Appends text to node, turning http(s) URLs into links; never parses HTML. */
  function appendLinkified(node, text) {
    HC.appendLinkified(node, text, function (url) {
      var a = document.createElement('a');
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = url;
      return a;
    });
  }

  function initials(name) {
    var parts = String(name || '').replace(/[^\p{L}\p{N}\s._-]/gu, '').split(/[\s._-]+/).filter(Boolean);
    if (!parts.length) return '?';
    if (parts.length === 1) return parts[0].slice(0, 2);
    return parts[0][0] + parts[1][0];
  }

  // ------------------------------------------------------------------ scrolling

  function nearBottom() {
    var l = ui.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    ui.list.scrollTop = ui.list.scrollHeight;
    ui.jump.hidden = true;
    pinned = true;
  }

  var pinned = true;   // the view follows new messages until the user scrolls up

  /** Runs a DOM change to the list, then keeps the view pinned to the bottom unless the user scrolled up. */
  function mutateList(fn, force) {
    var stick = force || pinned || nearBottom();
    fn();
    if (stick) scrollToBottom();
    else ui.jump.hidden = false;
  }

  ui.list.addEventListener('scroll', function () {
    pinned = nearBottom();
    if (pinned) ui.jump.hidden = true;
  });
  ui.jump.addEventListener('click', scrollToBottom);
  // The list shrinks when the banner, typing line or composer tools appear: stay at the bottom.
  if (window.ResizeObserver) {
    new window.ResizeObserver(function () { if (pinned) scrollToBottom(); }).observe(ui.list);
  }

  // ------------------------------------------------------------------ rendering

  function insertBySeq(node, seq) {
    // Pending bubbles stay at the bottom; seq'd items are kept in seq order.
    var ref = ui.list.lastElementChild;
    while (ref) {
      var s = ref.dataset.seq ? Number(ref.dataset.seq) : null;
      if (s === null && ref.dataset.status === 'pending') { ref = ref.previousElementSibling; continue; }
      if (s !== null && s > seq) { ref = ref.previousElementSibling; continue; }
      break;
    }
    ui.list.insertBefore(node, ref ? ref.nextElementSibling : ui.list.firstElementChild);
  }

  function buildMessage(from, text, ts, agentId) {
    var li = document.createElement('li');
    li.className = 'msg msg--' + from;
    li.setAttribute('data-testid', 'chat-message');
    li.dataset.from = from;

    if (from === 'bot' || from === 'agent') {
      var av = span('msg__avatar');
      av.setAttribute('aria-hidden', 'true');
      if (from === 'agent') av.textContent = initials(agentId || 'Agent');
      li.appendChild(av);
    }

    var meta = document.createElement('div');
    meta.className = 'msg__meta';
    if (from === 'user') {
      meta.appendChild(span('msg__sender', 'You'));
    } else if (from === 'bot') {
      meta.appendChild(span('msg__sender', 'Assistant'));
      meta.appendChild(document.createTextNode(' '));
      meta.appendChild(span('msg__badge', 'Bot'));
    } else if (from === 'agent') {
      meta.appendChild(span('msg__sender', 'Agent'));
      if (agentId) {
        li.dataset.agentId = agentId;
        meta.appendChild(document.createTextNode(' '));
        meta.appendChild(span('msg__badge msg__agent-id', agentId));
      }
    } else {
      meta.appendChild(span('msg__sender', 'System'));
    }
    meta.appendChild(document.createTextNode(' '));
    meta.appendChild(timeEl(ts));
    li.appendChild(meta);

    var bubble = document.createElement('div');
    bubble.className = 'msg__bubble';
    appendLinkified(bubble, text);
    li.appendChild(bubble);
    return li;
  }

  function setUserStatus(li, status, detail) {
    li.dataset.status = status;
    var st = li.querySelector('.msg__status');
    if (!st) {
      st = document.createElement('div');
      st.className = 'msg__status';
      li.appendChild(st);
    }
    var tick = li.querySelector('.msg__tick');
    if (status === 'delivered') {
      st.hidden = true;
      st.textContent = '';
      if (!tick) {
        tick = span('msg__tick', '✓');
        tick.title = 'Delivered';
        var meta = li.querySelector('.msg__meta');
        meta.appendChild(document.createTextNode(' '));
        meta.appendChild(tick);
      }
    } else if (status === 'failed') {
      st.hidden = false;
      st.textContent = 'Not delivered' + (detail ? ': ' + detail : '');
    } else {
      st.hidden = false;
      st.textContent = established ? 'Sending…' : 'Waiting for connection…';
    }
  }

  function refreshPendingLabels() {
    pendingEls.forEach(function (li) { setUserStatus(li, 'pending'); });
  }

  function handoverText(ev) {
    switch (ev.state) {
      case 'requested': return 'Connecting you to an agent…';
      case 'queued': return 'You\'re in the queue for ' + (str(ev.queueName) || str(ev.queueId) || 'support');
      case 'active': return (str(ev.agentId) || 'An agent') + ' joined the conversation';
      case 'transferred': return 'You\'re being transferred…';
      case 'ended': return ev.by === 'user' ? 'You left the conversation with the agent' : 'The agent ended the conversation';
      case 'cancelled': return 'Handover cancelled';
      case 'failed': return 'Couldn\'t reach an agent' + (str(ev.reason) ? ': ' + str(ev.reason) : '');
      default: return 'Handover: ' + str(ev.state);
    }
  }

  function buildHandoverEvent(ev) {
    var li = document.createElement('li');
    li.className = 'event';
    li.setAttribute('data-testid', 'handover-event');
    li.dataset.state = str(ev.state);
    var text = span('event__text', handoverText(ev));
    text.appendChild(span('event__time', formatTime(ev.ts)));
    li.appendChild(text);
    return li;
  }

  /** A local, unnumbered line (errors, connection notes). */
  function addNotice(text, kind) {
    var li = document.createElement('li');
    li.className = 'notice';
    li.setAttribute('data-testid', 'chat-notice');
    li.dataset.kind = kind || 'info';
    li.textContent = text;
    mutateList(function () { ui.list.appendChild(li); });
  }

  function advanceLastSeq() {
    var before = lastSeq;
    while (seqEls.has(lastSeq + 1)) lastSeq++;
    if (lastSeq !== before) {
      store.lastSeq = lastSeq;
      saveStore();
    }
  }

  function cacheEvent(ev) {
    for (var i = store.events.length - 1; i >= 0; i--) {
      if (store.events[i].seq === ev.seq) return;
      if (store.events[i].seq < ev.seq) break;
    }
    store.events.push(ev);
    store.events.sort(function (a, b) { return a.seq - b.seq; });
    if (store.events.length > CACHE_MAX_EVENTS) store.events.splice(0, store.events.length - CACHE_MAX_EVENTS);
  }

  /** Stored event (message or handover). Returns true when it was new. */
  function renderEvent(ev, fromCache) {
    var seq = ev.seq;
    if (!isSeq(seq)) return false;

    // Our own message, echoed: complete the pending bubble instead of adding another.
    if (ev.type === 'message' && ev.from === 'user' && typeof ev.id === 'string' && pendingEls.has(ev.id)) {
      confirmPending(ev.id, seq, ev.ts);
    }
    if (seqEls.has(seq)) {
      if (!fromCache) cacheEvent(ev);
      advanceLastSeq();
      return false;
    }

    var node;
    if (ev.type === 'message') {
      var from = ev.from === 'user' || ev.from === 'bot' || ev.from === 'agent' ? ev.from : 'system';
      node = buildMessage(from, str(ev.text), ev.ts, str(ev.agentId));
      if (from === 'user') {
        if (typeof ev.id === 'string') node.dataset.id = ev.id;
        setUserStatus(node, 'delivered');
      }
    } else if (ev.type === 'handover') {
      node = buildHandoverEvent(ev);
    } else {
      return false;
    }
    node.dataset.seq = String(seq);
    seqEls.set(seq, node);
    mutateList(function () { insertBySeq(node, seq); }, fromCache);
    if (!fromCache) {
      cacheEvent(ev);
    }
    advanceLastSeq();
    return true;
  }

  /** Drops the transcript from view and cache; only pending (unsent) bubbles stay. */
  function resetTranscript() {
    seqEls.clear();
    Array.prototype.slice.call(ui.list.children).forEach(function (n) {
      if (n.dataset.status !== 'pending') n.remove();
    });
    lastSeq = 0;
    store.lastSeq = 0;
    store.events = [];
    saveStore();
  }

  // ------------------------------------------------------------------ pending user messages

  function renderPending(item) {
    var li = buildMessage('user', item.text, item.ts);
    li.dataset.id = item.id;
    setUserStatus(li, 'pending');
    pendingEls.set(item.id, li);
    mutateList(function () { ui.list.appendChild(li); }, true);
    return li;
  }

  function confirmPending(id, seq, ts) {
    var li = pendingEls.get(id);
    if (!li) return;
    pendingEls.delete(id);
    store.outbox = store.outbox.filter(function (m) { return m.id !== id; });
    var text = li.querySelector('.msg__bubble').textContent;
    if (seqEls.has(seq) && seqEls.get(seq) !== li) {
      // Already rendered under this seq (e.g. replayed): drop the duplicate bubble.
      li.remove();
    } else {
      li.dataset.seq = String(seq);
      setUserStatus(li, 'delivered');
      if (typeof ts === 'number') {
        var t = li.querySelector('.msg__time');
        if (t) t.replaceWith(timeEl(ts));
      }
      seqEls.set(seq, li);
      li.remove();
      insertBySeq(li, seq);
      cacheEvent({ type: 'message', seq: seq, from: 'user', id: id, text: text, ts: typeof ts === 'number' ? ts : Date.now() });
    }
    saveStore();
    advanceLastSeq();
  }

  function failPending(id, detail) {
    var li = pendingEls.get(id);
    if (!li) return false;
    pendingEls.delete(id);
    store.outbox = store.outbox.filter(function (m) { return m.id !== id; });
    saveStore();
    setUserStatus(li, 'failed', detail);
    return true;
  }

  function flushOutbox() {
    store.outbox.forEach(function (m) {
      sendFrame({ type: 'message', id: m.id, text: m.text });
    });
  }

  // ------------------------------------------------------------------ handover state

  function setSubtitle() {
    var mode = 'bot';
    var text = 'Assistant · automated answers';
    if (hoState === 'requested' || hoState === 'queued') { mode = 'handover'; text = 'Waiting for an agent'; }
    else if (hoState === 'transferred') { mode = 'handover'; text = 'Transferring to another agent'; }
    else if (hoState === 'active') { mode = 'handover'; text = 'Agent' + (hoAgentId ? ' · ' + hoAgentId : ''); }
    if (sessionEnded) text = 'Chat ended';
    ui.subtitle.dataset.mode = mode;
    ui.subtitle.textContent = text;
  }

  /**
   * Applies a handover state. `notice` shows ended/cancelled/failed briefly in the banner;
   * without it (state from welcome) a terminal state just hides the banner.
   */
  function applyHandover(ev, notice) {
    var state = str(ev && ev.state);
    clearTimeout(noticeTimer);
    clearTimeout(cancelBusyTimer);
    clearTimeout(humanBusyTimer);
    ui.cancelBtn.disabled = false;
    ui.humanBtn.dataset.busy = '';
    hoState = state;
    ui.banner.dataset.state = state;
    if (state === 'active') hoAgentId = str(ev.agentId) || null;
    if (!ACTIVE_STATES[state]) hoAgentId = null;

    if (ACTIVE_STATES[state]) {
      ui.bannerText.textContent = handoverText(ev);
      ui.cancelBtn.hidden = !(state === 'requested' || state === 'queued');
      ui.banner.hidden = false;
    } else if (TERMINAL_STATES[state]) {
      hideAgentTyping();
      ui.cancelBtn.hidden = true;
      if (notice) {
        var text = handoverText(ev) + '. You\'re back with the Assistant.';
        if (state === 'ended' && ev.by !== 'user') text = 'The agent ended the conversation. You\'re back with the Assistant.';
        ui.bannerText.textContent = text;
        ui.banner.hidden = false;
        noticeTimer = setTimeout(function () { ui.banner.hidden = true; }, NOTICE_MS);
      } else {
        ui.banner.hidden = true;
      }
    } else {
      ui.cancelBtn.hidden = true;
      ui.banner.hidden = true;
    }
    setSubtitle();
    refreshControls();
  }

  // ------------------------------------------------------------------ agent typing

  function showAgentTyping() {
    ui.typing.hidden = false;
    clearTimeout(agentTypingTimer);
    agentTypingTimer = setTimeout(hideAgentTyping, AGENT_TYPING_TIMEOUT_MS);
  }

  function hideAgentTyping() {
    clearTimeout(agentTypingTimer);
    ui.typing.hidden = true;
  }

  // ------------------------------------------------------------------ user typing

  function onUserInput() {
    if (!ui.input.value.trim()) { stopTyping(); return; }
    var now = Date.now();
    if (!typingActive || now - lastTypingSentAt >= TYPING_REFRESH_MS) {
      if (sendFrame({ type: 'typing', active: true })) {
        typingActive = true;
        lastTypingSentAt = now;
      }
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    if (typingActive) {
      typingActive = false;
      sendFrame({ type: 'typing', active: false });
    }
  }

  // ------------------------------------------------------------------ controls

  function refreshControls() {
    var live = !sessionEnded && !endRequested;
    ui.composer.hidden = sessionEnded;
    ui.ended.hidden = !sessionEnded;
    ui.input.disabled = !live;
    ui.sendBtn.disabled = !live || !ui.input.value.trim();
    ui.endBtn.hidden = sessionEnded;
    ui.endBtn.disabled = !live || !(established || store.sessionId);
    ui.humanBtn.hidden = !!ACTIVE_STATES[hoState];
    ui.humanBtn.disabled = !live || !established || ui.humanBtn.dataset.busy === '1';
  }

  function setConn(state, text) {
    ui.conn.dataset.state = state;
    ui.connText.textContent = text;
    ui.retry.hidden = state !== 'reconnecting';
  }

  // ------------------------------------------------------------------ connection

  function sendRaw(sock, obj) {
    try {
      sock.send(JSON.stringify(obj));
      return true;
    } catch (e) {
      return false;
    }
  }

  /** Sends a frame on the established session; false when there is none right now. */
  function sendFrame(obj) {
    if (!ws || !established || ws.readyState !== WebSocket.OPEN) return false;
    return sendRaw(ws, obj);
  }

  function userInfo() {
    var q = new URLSearchParams(window.location.search);
    var user = { name: (q.get('name') || '').trim().slice(0, 256) || 'Guest' };
    var email = (q.get('email') || '').trim();
    if (email) user.email = email.slice(0, 256);
    return user;
  }

  function sendHello(sock, fresh) {
    var hello = { type: 'hello', user: userInfo() };
    if (!fresh && store.sessionId && store.resumeToken) {
      hello.sessionId = store.sessionId;
      hello.resumeToken = store.resumeToken;
      hello.lastSeq = lastSeq;
    } else {
      freshHelloSent = true;
    }
    sendRaw(sock, hello);
  }

  function connect() {
    backoff.cancel();
    if (sessionEnded) return;
    if (ws) {
      var old = ws;
      ws = null;
      try { old.close(1000); } catch (e) { /* ignore */ }
    }
    established = false;
    freshHelloSent = false;
    setConn('connecting', everConnected ? 'Reconnecting…' : 'Connecting…');
    refreshControls();
    refreshPendingLabels();

    var sock = HC.openSocket(wsUrl(), PROTOCOL, isCurrentSocket, {
      open: function (s) { sendHello(s, false); },
      message: handleFrame,
      close: function (e) {
        ws = null;
        onClosed(e);
      }
    });
    if (!sock) {
      scheduleReconnect();
      return;
    }
    ws = sock;
  }

  function isCurrentSocket(sock) { return sock === ws; }

  function onClosed(e) {
    var wasEstablished = established;
    established = false;
    stopTypingLocal();
    hideAgentTyping();
    if (e.code === 1000 || sessionEnded) {
      // 1000 is only used after `end` (ours or from another tab of the same session).
      enterEnded();
      return;
    }
    if (wasEstablished) everConnected = true;
    refreshPendingLabels();
    refreshControls();
    scheduleReconnect();
  }

  function stopTypingLocal() {
    clearTimeout(typingIdleTimer);
    typingActive = false;
  }

  function scheduleReconnect() {
    if (sessionEnded) return;
    backoff.schedule(connect, function (s) { setConn('reconnecting', 'Reconnecting in ' + s + 's…'); });
  }

  function reconnectNow() {
    if (sessionEnded || ws) return;
    backoff.attempt = 0;
    connect();
  }

  // ------------------------------------------------------------------ frames

  function handleFrame(data) {
    var f;
    try { f = JSON.parse(data); } catch (e) { return; }
    if (!f || typeof f !== 'object' || Array.isArray(f)) return;
    try {
      switch (f.type) {
        case 'welcome': onWelcome(f); break;
        case 'ack': if (established) onAck(f); break;
        case 'message': if (established) onMessage(f); break;
        case 'handover': if (established) onHandoverEvent(f); break;
        case 'typing': if (established) onTyping(f); break;
        case 'error': onError(f); break;
        default: break; // unknown frame types are ignored
      }
    } catch (err) {
      if (window.console) console.warn('chat: could not handle frame', f, err);
    }
  }

  function onWelcome(f) {
    if (typeof f.sessionId !== 'string' || typeof f.resumeToken !== 'string') return;
    var sameSession = f.resumed === true && f.sessionId === store.sessionId;
    if (!sameSession) {
      // A new session: the old transcript (if any) is not part of it. Unsent messages go to the new one.
      resetTranscript();
      if (announceRestart) addNotice('Your previous chat is no longer available. This is a new one.', 'info');
    } else if (typeof f.lastSeq === 'number' && f.lastSeq < lastSeq) {
      // The relay has fewer events than we rendered: resync from scratch.
      resetTranscript();
      store.sessionId = f.sessionId;
      store.resumeToken = f.resumeToken;
      saveStore();
      var sock = ws;
      ws = null;
      try { sock.close(1000); } catch (e) { /* ignore */ }
      connect();
      return;
    }
    announceRestart = false;
    store.sessionId = f.sessionId;
    store.resumeToken = f.resumeToken;
    saveStore();

    established = true;
    everConnected = true;
    backoff.attempt = 0;
    setConn('connected', 'Connected');

    if (f.mode === 'handover') {
      applyHandover(f.handover && typeof f.handover === 'object' ? f.handover : { state: 'requested' }, false);
    } else {
      applyHandover(TERMINAL_STATES[hoState] ? { state: hoState } : { state: '' }, false);
    }
    refreshPendingLabels();
    refreshControls();

    if (endRequested) {
      sendFrame({ type: 'end' });
      armEndTimer();
      return;
    }
    flushOutbox();
  }

  function onAck(f) {
    if (typeof f.id !== 'string' || !isSeq(f.seq)) return;
    confirmPending(f.id, f.seq);
  }

  function onMessage(f) {
    renderEvent(f, false);
    if (f.from === 'agent') hideAgentTyping();
  }

  function onHandoverEvent(f) {
    var isNew = renderEvent(f, false);
    if (isNew || !seqEls.has(f.seq)) applyHandover(f, true);
  }

  function onTyping(f) {
    if (f.from !== 'agent') return;
    if (f.active === true) showAgentTyping();
    else hideAgentTyping();
  }

  function onError(f) {
    var code = str(f.code);
    var message = str(f.message);

    if (!established) {
      if (code === 'unknown_session' || code === 'bad_resume_token' || code === 'session_ended') {
        var hadSession = !!store.sessionId;
        clearSession();
        resetTranscript();
        if (endRequested) { enterEnded(); return; }
        if (hadSession) announceRestart = true;
        if (ws && !freshHelloSent) sendHello(ws, true);
        return;
      }
      if (code === 'already_started') {
        var sock = ws;
        ws = null;
        try { sock.close(1000); } catch (e) { /* ignore */ }
        backoff.attempt = 0;
        connect();
        return;
      }
    }

    if (code === 'session_ended') {
      enterEnded();
      return;
    }
    if (typeof f.ref === 'string' && failPending(f.ref, message || code)) return;
    if (code === 'handover_in_progress' || code === 'no_handover') {
      ui.humanBtn.dataset.busy = '';
      refreshControls();
    }
    addNotice(message || code || 'Something went wrong', 'error');
  }

  // ------------------------------------------------------------------ ending

  function armEndTimer() {
    clearTimeout(endTimer);
    endTimer = setTimeout(function () {
      if (!sessionEnded) {
        var sock = ws;
        ws = null;
        if (sock) { try { sock.close(1000); } catch (e) { /* ignore */ } }
        enterEnded();
      }
    }, END_CLOSE_TIMEOUT_MS);
  }

  function requestEnd() {
    if (sessionEnded || endRequested) return;
    stopTyping();
    endRequested = true;
    if (sendFrame({ type: 'end' })) {
      setConn('ending', 'Ending chat…');
      armEndTimer();
    } else {
      // Not connected: end locally; the relay expires the session by itself.
      var sock = ws;
      ws = null;
      if (sock) { try { sock.close(1000); } catch (e) { /* ignore */ } }
      enterEnded();
    }
    refreshControls();
  }

  function enterEnded() {
    if (sessionEnded) return;
    sessionEnded = true;
    established = false;
    clearTimeout(endTimer);
    backoff.cancel();
    clearTimeout(noticeTimer);
    hideAgentTyping();
    stopTypingLocal();
    pendingEls.forEach(function (li, id) { failPending(id, 'the chat ended'); });
    clearAllStorage();
    ui.banner.hidden = true;
    ui.cancelBtn.hidden = true;
    hoAgentId = null;
    setConn('ended', 'Chat ended');
    setSubtitle();
    refreshControls();
    mutateList(function () {}, true);
  }

  function startNewChat() {
    clearAllStorage();
    Array.prototype.slice.call(ui.list.children).forEach(function (n) { n.remove(); });
    seqEls.clear();
    pendingEls.clear();
    lastSeq = 0;
    sessionEnded = false;
    endRequested = false;
    everConnected = false;
    backoff.attempt = 0;
    hoState = '';
    hoAgentId = null;
    ui.banner.dataset.state = '';
    ui.banner.hidden = true;
    ui.jump.hidden = true;
    ui.input.value = '';
    autoGrow();
    setSubtitle();
    refreshControls();
    connect();
    ui.input.focus();
  }

  // ------------------------------------------------------------------ input

  function autoGrow() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 160) + 'px';
  }

  function submit() {
    if (sessionEnded || endRequested) return;
    var text = ui.input.value.trim();
    if (!text) return;
    if (text.length > MAX_TEXT) {
      addNotice('That message is too long (max ' + MAX_TEXT + ' characters).', 'error');
      return;
    }
    var item = { id: newClientId(), text: text, ts: Date.now() };
    store.outbox.push(item);
    saveStore();
    ui.input.value = '';
    autoGrow();
    stopTyping();
    renderPending(item);
    sendFrame({ type: 'message', id: item.id, text: item.text });
    refreshControls();
  }

  ui.form.addEventListener('submit', function (e) {
    e.preventDefault();
    submit();
    ui.input.focus();
  });

  ui.input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });

  ui.input.addEventListener('input', function () {
    autoGrow();
    refreshControls();
    onUserInput();
  });

  ui.humanBtn.addEventListener('click', function () {
    if (sendFrame({ type: 'request_handover' })) {
      ui.humanBtn.dataset.busy = '1';
      clearTimeout(humanBusyTimer);
      humanBusyTimer = setTimeout(function () { ui.humanBtn.dataset.busy = ''; refreshControls(); }, 5000);
      refreshControls();
    }
  });

  ui.cancelBtn.addEventListener('click', function () {
    if (sendFrame({ type: 'cancel_handover' })) {
      ui.cancelBtn.disabled = true;
      clearTimeout(cancelBusyTimer);
      cancelBusyTimer = setTimeout(function () { ui.cancelBtn.disabled = false; }, 5000);
    }
  });

  ui.endBtn.addEventListener('click', requestEnd);
  ui.newChatBtn.addEventListener('click', startNewChat);
  ui.retry.addEventListener('click', reconnectNow);
  window.addEventListener('online', function () { if (backoff.timer) reconnectNow(); });

  // ------------------------------------------------------------------ agent console link

  function loadInfo() {
    if (!window.fetch) return;
    window.fetch(pageUrl('api/info').toString(), { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) {
        if (info && typeof info === 'object' && info.simulator === true) {
          var href = typeof info.agentConsoleUrl === 'string' && /^\/(?!\/)/.test(info.agentConsoleUrl)
            ? info.agentConsoleUrl : pageUrl('agent-console/').pathname;
          ui.consoleLink.href = href;
          ui.consoleLink.hidden = false;
        }
      })
      .catch(function () { /* optional */ });
  }

  // ------------------------------------------------------------------ start

  function restoreFromStorage() {
    if (!store.sessionId || !store.resumeToken) {
      // No session to resume: nothing cached can be trusted.
      store.events = [];
      store.lastSeq = 0;
    }
    var cached = store.events.slice();
    var storedLastSeq = store.lastSeq;
    cached.forEach(function (ev) {
      if (ev && (ev.type === 'message' || ev.type === 'handover')) renderEvent(ev, true);
    });
    // Trust the stored lastSeq only when the transcript it covers is on screen; else ask for a full replay.
    lastSeq = cached.length && isSeq(storedLastSeq) ? Math.max(lastSeq, storedLastSeq) : lastSeq;
    store.lastSeq = lastSeq;
    store.outbox.forEach(renderPending);
    saveStore();
    scrollToBottom();
  }

  restoreFromStorage();
  setSubtitle();
  refreshControls();
  loadInfo();
  connect();
})();
