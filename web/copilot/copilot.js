/*
 * handover-relay agent copilot page. Speaks handover.copilot.v1 (docs/PROTOCOL.md)
 * over a WebSocket at ../ws/copilot beside this page. Plain browser JS, no build
 * step, no external resources. Everything the server sends is rendered with
 * textContent / DOM attributes only — never parsed as HTML — except the `html`
 * tile kind, which goes into a sandboxed iframe (scripts, no same origin).
 */
(function () {
  'use strict';

  var PROTOCOL = 'handover.copilot.v1';
  var STORAGE_PREFIX = 'handover-relay.copilot.v1:';
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var FLASH_MS = 1600;
  var SAVE_DELAY_MS = 400;
  var NEAR_BOTTOM_PX = 60;
  var COPIED_MS = 1600;
  var DEFAULT_COLUMNS = 12;
  var DEFAULT_ROW_HEIGHT = 110;
  var MAX_COLUMNS = 48;
  var MAX_ROWS = 200;
  var MD_MAX_DEPTH = 12;
  var AC_MAX_DEPTH = 12;
  var FATAL_CODES = { bad_frame: 4400, bad_token: 4401, unknown_session: 4404 };
  var BUILTIN_KINDS = ['identity', 'transcript', 'sentiment', 'knowledge', 'next-best-action', 'summary'];
  var INTEGRATOR_KINDS = ['html', 'iframe', 'markdown', 'adaptive-card', 'json'];

  var HC = window.HandoverCommon;
  var byTestId = HC.byTestId;
  var str = HC.str;
  var toDate = HC.toDate;
  var formatTime = HC.formatTime;
  var timeEl = HC.timeEl;

  var ui = {
    userName: byTestId('session-user'),
    detail: byTestId('session-detail'),
    sessionId: byTestId('session-id'),
    badge: byTestId('handover-state'),
    conn: byTestId('connection-state'),
    retry: byTestId('retry-btn'),
    workspace: byTestId('workspace'),
    loading: byTestId('workspace-loading'),
    fatal: byTestId('fatal-error')
  };
  ui.badgeText = ui.badge.querySelector('.badge__text');
  ui.connText = ui.conn.querySelector('.conn__text');

  // ------------------------------------------------------------------ helpers

  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function isPos(v) { return typeof v === 'number' && Number.isInteger(v) && v >= 0; }
  function isInt(v) { return typeof v === 'number' && Number.isInteger(v); }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function arr(v) { return Array.isArray(v) ? v : []; }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  /** Any JSON value as display text (strings as they are). */
  function text(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    try { return JSON.stringify(v); } catch (e) { return String(v); }
  }

  function el(tag, cls, content) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (content !== undefined && content !== null) n.textContent = content;
    return n;
  }

  function svgEl(tag, attrs) {
    var n = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    return n;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  /** An http(s) URL as a URL object, else null (javascript:, data:, relative … are refused). */
  function httpUrl(v) {
    if (typeof v !== 'string' || !/^\s*https?:\/\//i.test(v)) return null;
    try {
      var u = new URL(v.trim());
      return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
    } catch (e) { return null; }
  }

  function link(href, label) {
    var a = el('a', 'ext-link', label);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.referrerPolicy = 'no-referrer';
    return a;
  }

  /** Appends text to node, turning http(s) URLs into links; never parses HTML. */
  function appendLinkified(node, value) {
    HC.appendLinkified(node, text(value), function (url) { return httpUrl(url) ? link(url, url) : null; });
  }

  function ago(ts) {
    if (num(ts) === null) return '';
    var s = Math.max(0, Math.round((Date.now() - ts) / 1000));
    if (s < 5) return 'Updated just now';
    if (s < 60) return 'Updated ' + s + 's ago';
    var m = Math.floor(s / 60);
    if (m < 60) return 'Updated ' + m + ' min ago';
    var h = Math.floor(m / 60);
    if (h < 24) return 'Updated ' + h + ' h ago';
    return 'Updated ' + formatTime(ts);
  }

  function formatScore(v) {
    var n = num(v);
    if (n === null) return '—';
    var s = Math.abs(n).toFixed(2);
    return (n < 0 ? '\u2212' : n > 0 ? '+' : '') + s;
  }

  // ------------------------------------------------------------------ clipboard

  function copyText(value) {
    var s = text(value);
    if (navigator.clipboard && window.isSecureContext && typeof navigator.clipboard.writeText === 'function') {
      return navigator.clipboard.writeText(s).catch(function () { return fallbackCopy(s); });
    }
    return fallbackCopy(s);
  }

  function fallbackCopy(s) {
    return new Promise(function (resolve, reject) {
      var ta = document.createElement('textarea');
      ta.value = s;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.top = '-1000px';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      var sel = document.getSelection();
      var saved = sel && sel.rangeCount ? sel.getRangeAt(0) : null;
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (saved && sel) { sel.removeAllRanges(); sel.addRange(saved); }
      if (ok) resolve(); else reject(new Error('copy refused'));
    });
  }

  /** A button that copies `getValue()` and says "Copied" for a moment. */
  function copyButton(label, getValue, testid, cls) {
    var b = el('button', 'copy-btn' + (cls ? ' ' + cls : ''));
    b.type = 'button';
    if (testid) b.setAttribute('data-testid', testid);
    var icon = svgEl('svg', { viewBox: '0 0 24 24', width: 13, height: 13, fill: 'none', stroke: 'currentColor',
      'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' });
    icon.appendChild(svgEl('rect', { x: 9, y: 9, width: 12, height: 12, rx: 2 }));
    icon.appendChild(svgEl('path', { d: 'M5 15V5a2 2 0 0 1 2-2h10' }));
    var span = el('span', 'copy-btn__label', label);
    b.appendChild(icon);
    b.appendChild(span);
    var timer = null;
    b.addEventListener('click', function () {
      copyText(getValue()).then(function () {
        span.textContent = 'Copied';
        b.dataset.copied = 'true';
      }, function () {
        span.textContent = 'Copy failed';
        b.dataset.copied = 'failed';
      }).then(function () {
        clearTimeout(timer);
        timer = setTimeout(function () { span.textContent = label; delete b.dataset.copied; }, COPIED_MS);
      });
    });
    return b;
  }

  // ------------------------------------------------------------------ page parameters

  var params = new URLSearchParams(window.location.search);
  var sessionId = (params.get('sessionId') || '').trim();
  var urlUserId = (params.get('userId') || '').trim();
  var token = (params.get('URLToken') || params.get('urltoken') || params.get('token') || '').trim();
  var storageKey = STORAGE_PREFIX + sessionId;

  function wsUrl() { return HC.wsUrl('../ws/copilot'); }

  // ------------------------------------------------------------------ state

  function emptyState() {
    return {
      pos: 0,               // the last feed position applied (0 = nothing yet)
      session: null,        // {id, user}
      layout: { columns: DEFAULT_COLUMNS, rowHeight: DEFAULT_ROW_HEIGHT, tiles: {} },
      tiles: [],            // tiles in arrival order
      transcript: [],       // messages sorted by seq
      handover: null,       // current handover state object or null
      marks: []             // handover markers shown in the transcript: {key, h}
    };
  }

  var state = emptyState();
  var hasState = false;     // a snapshot (live or cached) is on screen
  var views = new Map();    // tile id -> view
  var fatalShown = false;

  // ------------------------------------------------------------------ storage (per tab, per session)

  var saveTimer = null;

  function saveSoon() {
    if (saveTimer || fatalShown) return;
    saveTimer = setTimeout(saveNow, SAVE_DELAY_MS);
  }

  function saveNow() {
    clearTimeout(saveTimer);
    saveTimer = null;
    if (!sessionId || fatalShown || !hasState) return;
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify({ v: 1, state: state }));
    } catch (e) {
      // Quota or disabled storage: without the workspace a lastPos is useless, so drop both.
      forgetStored();
    }
  }

  function forgetStored() {
    try { window.sessionStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
  }

  function loadStored() {
    if (!sessionId) return null;
    try {
      var s = JSON.parse(window.sessionStorage.getItem(storageKey) || 'null');
      if (!isObj(s) || s.v !== 1 || !isObj(s.state)) return null;
      var st = s.state;
      if (!isPos(st.pos) || st.pos < 1 || !Array.isArray(st.tiles) || !Array.isArray(st.transcript)) return null;
      var out = emptyState();
      out.pos = st.pos;
      out.session = isObj(st.session) ? st.session : null;
      out.layout = normalizeLayout(st.layout);
      out.tiles = st.tiles.filter(function (t) { return isObj(t) && typeof t.id === 'string'; });
      out.transcript = st.transcript.filter(function (m) { return isObj(m) && isPos(m.seq); });
      out.handover = isObj(st.handover) ? st.handover : null;
      out.marks = arr(st.marks).filter(function (m) { return isObj(m) && typeof m.key === 'number' && isObj(m.h); });
      return out;
    } catch (e) { return null; }
  }

  window.addEventListener('pagehide', saveNow);

  // ------------------------------------------------------------------ header

  function renderHeader() {
    var user = state.session && isObj(state.session.user) ? state.session.user : {};
    var name = str(user.name) || str(user.userId) || urlUserId || 'Unknown user';
    ui.userName.textContent = name;
    document.title = name + ' · Agent copilot';
    var bits = [str(user.email), str(user.company), str(user.language) ? str(user.language).toUpperCase() : ''].filter(Boolean);
    if (!bits.length && urlUserId && urlUserId !== name) bits.push(urlUserId);
    ui.detail.textContent = bits.join(' · ');
    ui.detail.hidden = !bits.length;
    ui.detail.nextElementSibling.hidden = !bits.length;
    var sid = (state.session && str(state.session.id)) || sessionId;
    ui.sessionId.textContent = sid || '—';
    ui.sessionId.title = sid;
  }

  function handoverLabel(h) {
    if (!isObj(h) || !str(h.state)) return 'No handover';
    switch (h.state) {
      case 'requested': return 'Handover requested';
      case 'queued': return 'Queued' + ((str(h.queueName) || str(h.queueId)) ? ' · ' + (str(h.queueName) || str(h.queueId)) : '');
      case 'active': return 'Active' + (str(h.agentId) ? ' · ' + str(h.agentId) : '');
      case 'transferred': return 'Transferring to another agent';
      case 'ended': return 'Ended' + (str(h.by) ? ' by ' + str(h.by) : '');
      case 'cancelled': return 'Cancelled by the user';
      case 'failed': return 'Failed' + (str(h.reason) ? ' · ' + str(h.reason) : '');
      default: return 'Handover: ' + str(h.state);
    }
  }

  /** A sentence for the transcript marker of a handover state. */
  function handoverSentence(h) {
    switch (str(h.state)) {
      case 'requested': return 'Handover to a human agent requested' + (str(h.queueId) ? ' (queue ' + str(h.queueId) + ')' : '');
      case 'queued': return 'Queued for ' + (str(h.queueName) || str(h.queueId) || 'an agent');
      case 'active': return (str(h.agentId) || 'An agent') + ' joined the conversation';
      case 'transferred': return 'Transferred to another agent';
      case 'ended': return 'Handover ended' + (str(h.by) ? ' by the ' + str(h.by) : '') + ' — back with the bot';
      case 'cancelled': return 'Handover cancelled — back with the bot';
      case 'failed': return 'Handover failed' + (str(h.reason) ? ': ' + str(h.reason) : '') + ' — back with the bot';
      default: return 'Handover: ' + str(h.state);
    }
  }

  function renderBadge() {
    var h = state.handover;
    var st = isObj(h) && str(h.state) ? str(h.state) : 'none';
    ui.badge.dataset.state = st;
    ui.badgeText.textContent = handoverLabel(h);
    ui.badge.title = 'Handover: ' + handoverLabel(h);
  }

  var connState = 'connecting';

  function setConn(st, label) {
    connState = st;
    ui.conn.dataset.state = st;
    ui.connText.textContent = label;
    ui.retry.hidden = st !== 'reconnecting';
    ui.workspace.dataset.live = st === 'live' ? 'true' : 'false';
  }

  // ------------------------------------------------------------------ layout

  function normalizeLayout(l) {
    var out = { columns: DEFAULT_COLUMNS, rowHeight: DEFAULT_ROW_HEIGHT, tiles: {} };
    if (!isObj(l)) return out;
    if (isInt(l.columns) && l.columns >= 1) out.columns = Math.min(l.columns, MAX_COLUMNS);
    if (num(l.rowHeight) !== null && l.rowHeight >= 24) out.rowHeight = Math.min(l.rowHeight, 2000);
    if (isObj(l.tiles)) out.tiles = l.tiles;
    return out;
  }

  function validRect(p) {
    if (!isObj(p)) return null;
    if (!isInt(p.x) || !isInt(p.y) || !isInt(p.w) || !isInt(p.h)) return null;
    if (p.x < 0 || p.y < 0 || p.w < 1 || p.h < 1) return null;
    return { x: p.x, y: p.y, w: p.w, h: p.h };
  }

  /** Default size of a tile that has no position anywhere. */
  function autoSize(tile, cols) {
    var w = tile.kind === 'transcript' ? Math.ceil(cols / 2) : Math.ceil(cols / 3);
    var h = tile.kind === 'transcript' ? 4 : 3;
    return { w: clamp(w, 1, cols), h: h };
  }

  /**
   * Grid placement: a tile's own position wins, then layout.tiles[id]; a tile that
   * would overlap an earlier one moves down until it fits. Tiles without a position
   * flow left to right below all the positioned ones.
   */
  function computePlacements() {
    var cols = state.layout.columns;
    var grid = [];
    function free(r) {
      for (var y = r.y; y < r.y + r.h; y++) {
        var row = grid[y];
        if (!row) continue;
        for (var x = r.x; x < r.x + r.w; x++) if (row[x]) return false;
      }
      return true;
    }
    function take(r) {
      for (var y = r.y; y < r.y + r.h; y++) {
        grid[y] = grid[y] || [];
        for (var x = r.x; x < r.x + r.w; x++) grid[y][x] = true;
      }
    }
    var out = new Map();
    var unplaced = [];
    var bottom = 0;
    state.tiles.forEach(function (t) {
      var r = validRect(t.position) || validRect(state.layout.tiles[t.id]);
      if (!r) { unplaced.push(t); return; }
      r.w = clamp(r.w, 1, cols);
      r.x = clamp(r.x, 0, cols - r.w);
      r.h = clamp(r.h, 1, MAX_ROWS);
      r.y = clamp(r.y, 0, MAX_ROWS);
      while (!free(r) && r.y < MAX_ROWS * 4) r.y++;
      take(r);
      bottom = Math.max(bottom, r.y + r.h);
      out.set(t.id, r);
    });
    var cx = 0;
    var cy = bottom;
    var rowH = 0;
    unplaced.forEach(function (t) {
      var s = autoSize(t, cols);
      if (cx + s.w > cols) { cx = 0; cy += rowH; rowH = 0; }
      var r = { x: cx, y: cy, w: s.w, h: s.h };
      take(r);
      out.set(t.id, r);
      cx += s.w;
      rowH = Math.max(rowH, s.h);
    });
    return out;
  }

  /**
   * layout.rowHeight is the preferred row height. On a short screen (a 1366x768
   * laptop leaves ~600 px of viewport) rows shrink, down to 70 %, so the relay's
   * own tiles fit without scrolling the page as far as possible; integrator tiles
   * below them may need a scroll.
   */
  function effectiveRowHeight(placements) {
    var rh = state.layout.rowHeight;
    if (window.matchMedia && window.matchMedia('(max-width: 860px)').matches) return rh;
    var band = 0;
    state.tiles.forEach(function (t) {
      var r = placements.get(t.id);
      if (r && t.source !== 'integrator') band = Math.max(band, r.y + r.h);
    });
    if (!band) return rh;
    var cs = window.getComputedStyle(ui.workspace);
    var gap = parseFloat(cs.rowGap) || 0;
    var avail = ui.workspace.clientHeight - (parseFloat(cs.paddingTop) || 0) - (parseFloat(cs.paddingBottom) || 0);
    if (!(avail > 0)) return rh;
    var fit = Math.floor((avail - (band - 1) * gap) / band);
    return clamp(fit, Math.min(rh, Math.max(64, Math.round(rh * 0.7))), rh);
  }

  function applyLayout() {
    ui.workspace.style.setProperty('--cols', String(state.layout.columns));
    var placements = computePlacements();
    var rowH = effectiveRowHeight(placements);
    ui.workspace.style.setProperty('--row-h', rowH + 'px');
    ui.workspace.dataset.rowHeight = String(rowH);
    placements.forEach(function (r, id) {
      var v = views.get(id);
      if (!v) return;
      v.rect = r;
      v.el.style.setProperty('--gc', (r.x + 1) + ' / span ' + r.w);
      v.el.style.setProperty('--gr', (r.y + 1) + ' / span ' + r.h);
      v.el.style.setProperty('--rows', String(r.h));
      v.el.dataset.x = String(r.x);
      v.el.dataset.y = String(r.y);
      v.el.dataset.w = String(r.w);
      v.el.dataset.h = String(r.h);
    });
  }

  /** Where a new tile element goes in the DOM: reading order (y, then x). Existing nodes never move (iframes would reload). */
  function insertTileEl(v) {
    var placements = computePlacements();
    var mine = placements.get(v.tile.id) || { x: 0, y: 1e9 };
    var ref = null;
    var children = ui.workspace.querySelectorAll(':scope > .tile');
    for (var i = 0; i < children.length; i++) {
      var r = placements.get(children[i].dataset.tileId);
      if (r && (r.y > mine.y || (r.y === mine.y && r.x > mine.x))) { ref = children[i]; break; }
    }
    ui.workspace.insertBefore(v.el, ref);
  }

  // ------------------------------------------------------------------ tiles

  var KIND_ICONS = {
    identity: ['M20 21a8 8 0 0 0-16 0', 'C12 8 4'],
    transcript: ['M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z'],
    sentiment: ['C12 12 9', 'M8.5 14.5a4.5 4.5 0 0 0 7 0', 'M9 9.5h.01', 'M15 9.5h.01'],
    knowledge: ['M4 19.5A2.5 2.5 0 0 1 6.5 17H20V3H6.5A2.5 2.5 0 0 0 4 5.5z', 'M4 19.5A2.5 2.5 0 0 0 6.5 22H20v-5'],
    'next-best-action': ['M13 2 4 14h7l-1 8 9-12h-7z'],
    summary: ['M8 6h13', 'M8 12h13', 'M8 18h9', 'M3.5 6h.01', 'M3.5 12h.01', 'M3.5 18h.01'],
    html: ['M8 8l-4 4 4 4', 'M16 8l4 4-4 4'],
    iframe: ['M3 5h18v14H3z', 'M3 9h18'],
    markdown: ['M4 7h16v10H4z', 'M7 14v-4l2 2 2-2v4', 'M15 10v4', 'M13.5 12.5 15 14l1.5-1.5'],
    'adaptive-card': ['M4 4h16v6H4z', 'M4 14h7v6H4z', 'M15 14h5v6h-5z'],
    json: ['M8 4H7a2 2 0 0 0-2 2v4l-2 2 2 2v4a2 2 0 0 0 2 2h1', 'M16 4h1a2 2 0 0 1 2 2v4l2 2-2 2v4a2 2 0 0 1-2 2h-1'],
    warning: ['M12 3 2 21h20z', 'M12 10v5', 'M12 18h.01']
  };

  function kindIcon(kind) {
    var paths = KIND_ICONS[kind] || KIND_ICONS.warning;
    var s = svgEl('svg', { viewBox: '0 0 24 24', width: 14, height: 14, fill: 'none', stroke: 'currentColor',
      'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' });
    paths.forEach(function (d) {
      var c = /^C(\S+) (\S+) (\S+)$/.exec(d);
      s.appendChild(c ? svgEl('circle', { cx: c[1], cy: c[2], r: c[3] }) : svgEl('path', { d: d }));
    });
    return s;
  }

  function signature(t) {
    try { return JSON.stringify([t.kind, t.title, t.data, t.source, t.position]); } catch (e) { return String(Math.random()); }
  }

  /**
   * The renderer a tile gets: built-in kinds only for the relay's own tiles, the
   * integrator kinds for anyone; everything else is a warning tile ('unknown').
   */
  function renderKind(t) {
    var kind = str(t.kind);
    if (INTEGRATOR_KINDS.indexOf(kind) >= 0) return kind;
    if (BUILTIN_KINDS.indexOf(kind) >= 0 && t.source !== 'integrator') return kind;
    return 'unknown';
  }

  var tileSeq = 0;

  function createView(tile) {
    var v = { tile: tile, sig: null, el: null, body: null, age: null, extra: null, flashTimer: null, kindState: {} };
    var sec = el('section', 'tile');
    var hid = 'tile-title-' + (++tileSeq);
    sec.setAttribute('data-testid', 'tile');
    sec.setAttribute('aria-labelledby', hid);
    var head = el('header', 'tile__head');
    var icon = el('span', 'tile__icon');
    var h = el('h2', 'tile__title');
    h.id = hid;
    var extra = el('span', 'tile__extra');
    var age = el('span', 'tile__age');
    age.setAttribute('data-testid', 'tile-updated');
    head.appendChild(icon);
    head.appendChild(h);
    head.appendChild(extra);
    head.appendChild(age);
    var body = el('div', 'tile__body');
    sec.appendChild(head);
    sec.appendChild(body);
    v.el = sec;
    v.icon = icon;
    v.title = h;
    v.extra = extra;
    v.age = age;
    v.body = body;
    return v;
  }

  function setTileChrome(v) {
    var t = v.tile;
    var kind = str(t.kind) || text(t.kind) || '(none)';
    var rk = renderKind(t);
    var known = rk !== 'unknown';
    v.el.dataset.tileId = t.id;
    v.el.dataset.kind = kind;
    v.el.dataset.source = str(t.source) || 'unknown';
    v.el.className = 'tile tile--' + rk + (v.el.classList.contains('tile--flash') ? ' tile--flash' : '');
    clear(v.icon);
    v.icon.appendChild(kindIcon(known ? rk : 'warning'));
    v.title.textContent = str(t.title) || (known ? defaultTitle(kind) : 'Unsupported tile');
    v.title.title = v.title.textContent;
    clear(v.extra);
    if (t.source === 'integrator') {
      var tag = el('span', 'tile__tag', 'Integrator');
      tag.title = 'Added by an integration, not by the relay';
      v.extra.appendChild(tag);
    }
    updateAge(v);
  }

  function defaultTitle(kind) {
    return {
      identity: 'Customer', transcript: 'Conversation', sentiment: 'Sentiment', knowledge: 'Knowledge',
      'next-best-action': 'Next best action', summary: 'Summary', html: 'HTML', iframe: 'Embedded page',
      markdown: 'Notes', 'adaptive-card': 'Card', json: 'Data'
    }[kind] || kind;
  }

  function updateAge(v) {
    var ts = num(v.tile.updatedAt);
    var s = ago(ts);
    if (v.age.textContent !== s) v.age.textContent = s;
    if (ts !== null) v.age.title = toDate(ts).toLocaleString();
  }

  function flash(v) {
    var n = v.el;
    n.classList.remove('tile--flash');
    void n.offsetWidth; // restart the animation
    n.classList.add('tile--flash');
    n.dataset.updated = String(Date.now());
    clearTimeout(v.flashTimer);
    v.flashTimer = setTimeout(function () { n.classList.remove('tile--flash'); }, FLASH_MS);
  }

  /** Renders (or re-renders) one tile. `animate`: highlight it when its content changed. */
  function upsertTileView(tile, animate) {
    var v = views.get(tile.id);
    var isNew = !v;
    if (isNew) {
      v = createView(tile);
      views.set(tile.id, v);
    }
    var sig = signature(tile);
    var changed = sig !== v.sig;
    var kindChanged = !isNew && renderKind(v.tile) !== renderKind(tile);
    v.tile = tile;
    setTileChrome(v);
    if (changed || isNew) {
      if (kindChanged) { clear(v.body); v.kindState = {}; v.body.className = 'tile__body'; }
      renderTileBody(v);
      v.sig = sig;
    }
    decorateHead(v);
    if (isNew) insertTileEl(v);
    if (animate && changed && !isNew) flash(v);
    if (animate && isNew) flash(v);
    return v;
  }

  function removeTileView(id) {
    var v = views.get(id);
    if (!v) return;
    clearTimeout(v.flashTimer);
    v.el.remove();
    views.delete(id);
  }

  function renderTileBody(v) {
    var kind = renderKind(v.tile);
    var data = v.tile.data;
    var scroller = v.body;
    var keepScroll = kind !== 'transcript' && kind !== 'html' && kind !== 'iframe';
    var top = scroller.scrollTop;
    try {
      switch (kind) {
        case 'identity': renderIdentity(v, data); break;
        case 'transcript': renderTranscriptTile(v, data); break;
        case 'sentiment': renderSentiment(v, data); break;
        case 'knowledge': renderKnowledge(v, data); break;
        case 'next-best-action': renderNextBestAction(v, data); break;
        case 'summary': renderSummary(v, data); break;
        case 'html': renderHtmlTile(v, data); break;
        case 'iframe': renderIframeTile(v, data); break;
        case 'markdown': renderMarkdownTile(v, data); break;
        case 'adaptive-card': renderAdaptiveCardTile(v, data); break;
        case 'json': renderJsonTile(v, data); break;
        default: renderUnknownTile(v, data); break;
      }
    } catch (err) {
      if (window.console) console.warn('copilot: could not render tile', v.tile, err);
      clear(v.body);
      v.kindState = {};
      var w = el('div', 'tile-warning');
      w.setAttribute('data-testid', 'tile-error');
      w.appendChild(el('p', 'tile-warning__title', 'This tile could not be displayed.'));
      w.appendChild(el('p', 'tile-warning__detail', String(err && err.message || err)));
      w.appendChild(jsonPre(data));
      v.body.appendChild(w);
    }
    if (keepScroll) scroller.scrollTop = top;
  }

  function emptyNote(msg) { return el('p', 'empty', msg); }

  function sectionTitle(label) { return el('h3', 'sub-title', label); }

  // ------------------------------------------------------------------ identity

  function defRow(dl, label, value, opts) {
    opts = opts || {};
    var v = text(value);
    if (!v && !opts.always) return;
    dl.appendChild(el('dt', '', label));
    var dd = el('dd', opts.cls || '');
    if (!v) { dd.textContent = '—'; dd.classList.add('muted'); }
    else if (opts.href) dd.appendChild(link(opts.href, v));
    else if (opts.mono) dd.appendChild(el('code', '', v));
    else appendLinkified(dd, v);
    if (opts.testid) dd.setAttribute('data-testid', opts.testid);
    dl.appendChild(dd);
  }

  function renderIdentity(v, data) {
    var b = v.body;
    clear(b);
    data = isObj(data) ? data : {};
    var user = isObj(data.user) ? data.user : {};

    var head = el('div', 'person');
    var avatar = el('span', 'person__avatar', initials(str(user.name) || str(user.email) || '?'));
    avatar.setAttribute('aria-hidden', 'true');
    var who = el('div', 'person__who');
    who.appendChild(el('div', 'person__name', str(user.name) || 'Unknown user'));
    var sub = [str(user.company), str(user.language) ? 'Language: ' + str(user.language) : ''].filter(Boolean).join(' · ');
    if (sub) who.appendChild(el('div', 'person__sub', sub));
    head.appendChild(avatar);
    head.appendChild(who);
    b.appendChild(head);

    var dl = el('dl', 'deflist');
    dl.setAttribute('data-testid', 'identity-user');
    var email = str(user.email);
    defRow(dl, 'Email', email, { href: /^[^\s@<>]+@[^\s@<>]+$/.test(email) ? 'mailto:' + email : null });
    var phone = str(user.phone);
    defRow(dl, 'Phone', phone, { href: /^[+()\d\s.-]{3,}$/.test(phone) ? 'tel:' + phone.replace(/[^\d+]/g, '') : null });
    defRow(dl, 'Company', user.company);
    defRow(dl, 'Language', user.language);
    defRow(dl, 'User ID', user.userId, { mono: true });
    Object.keys(user).forEach(function (k) {
      if (['name', 'email', 'phone', 'company', 'language', 'userId'].indexOf(k) < 0) defRow(dl, k, user[k]);
    });
    if (dl.childNodes.length) b.appendChild(dl);

    var h = isObj(data.handover) ? data.handover : null;
    if (h) {
      b.appendChild(sectionTitle('Handover'));
      var hl = el('dl', 'deflist');
      hl.setAttribute('data-testid', 'identity-handover');
      hl.appendChild(el('dt', '', 'State'));
      var dd = el('dd');
      var pill = el('span', 'state-pill', str(h.state) || '—');
      pill.dataset.state = str(h.state) || 'none';
      dd.appendChild(pill);
      hl.appendChild(dd);
      var q = str(h.queueName) && str(h.queueId) && h.queueName !== h.queueId ? str(h.queueName) + ' (' + str(h.queueId) + ')' : (str(h.queueName) || str(h.queueId));
      defRow(hl, 'Queue', q);
      defRow(hl, 'Agent', h.agentId);
      defRow(hl, 'Conversation', h.conversationId, { mono: true });
      Object.keys(h).forEach(function (k) {
        if (['state', 'queueId', 'queueName', 'agentId', 'conversationId'].indexOf(k) < 0) defRow(hl, k, h[k]);
      });
      b.appendChild(hl);
    }

    var props = arr(data.properties).filter(isObj);
    if (props.length) {
      b.appendChild(sectionTitle('Properties'));
      var table = el('table', 'kv');
      table.setAttribute('data-testid', 'identity-properties');
      var tbody = el('tbody');
      props.forEach(function (p) {
        var tr = el('tr');
        var th = el('th', '', text(p.key));
        th.scope = 'row';
        var td = el('td');
        var val = text(p.value);
        var u = httpUrl(val);
        if (u) td.appendChild(link(u.href, val));
        else td.textContent = val;
        tr.appendChild(th);
        tr.appendChild(td);
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      b.appendChild(table);
    }
  }

  function initials(name) {
    var parts = String(name || '').replace(/[^\p{L}\p{N}\s._@-]/gu, '').split(/[\s._@-]+/).filter(Boolean);
    if (!parts.length) return '?';
    if (parts.length === 1) return parts[0].slice(0, 2).toUpperCase();
    return (parts[0][0] + parts[1][0]).toUpperCase();
  }

  // ------------------------------------------------------------------ transcript

  var tx = null;            // the transcript view while a transcript tile exists
  var sentimentBySeq = new Map();

  function renderTranscriptTile(v, data) {
    var ks = v.kindState;
    if (!ks.list) {
      clear(v.body);
      v.body.classList.add('tile__body--flush');
      var list = el('ol', 'transcript');
      list.setAttribute('data-testid', 'transcript');
      list.setAttribute('role', 'log');
      list.setAttribute('aria-live', 'polite');
      list.setAttribute('aria-label', 'Conversation transcript');
      var jump = el('button', 'jump-btn', 'New messages ↓');
      jump.type = 'button';
      jump.hidden = true;
      jump.setAttribute('data-testid', 'transcript-jump');
      v.body.appendChild(list);
      v.el.appendChild(jump);
      ks.list = list;
      ks.jump = jump;
      ks.pinned = true;
      ks.items = [];   // [{key, node}] sorted by key
      ks.bySeq = new Map();
      ks.markKeys = new Set();
      v.body.addEventListener('scroll', function () {
        ks.pinned = nearBottom(v.body);
        if (ks.pinned) jump.hidden = true;
      });
      jump.addEventListener('click', function () { scrollTranscriptToEnd(ks, v); });
      if (window.ResizeObserver) {
        new window.ResizeObserver(function () { if (ks.pinned) v.body.scrollTop = v.body.scrollHeight; }).observe(v.body);
      }
      tx = { view: v, ks: ks };
      rebuildTranscript();
    }
  }

  function nearBottom(node) { return node.scrollHeight - node.scrollTop - node.clientHeight < NEAR_BOTTOM_PX; }

  function scrollTranscriptToEnd(ks, v) {
    v.body.scrollTop = v.body.scrollHeight;
    ks.pinned = true;
    ks.jump.hidden = true;
  }

  function rebuildTranscript() {
    if (!tx) return;
    var ks = tx.ks;
    clear(ks.list);
    ks.items = [];
    ks.bySeq.clear();
    ks.markKeys.clear();
    state.transcript.forEach(function (m) { addMessageNode(m, false); });
    state.marks.forEach(function (mk) { addMarkNode(mk, false); });
    if (!state.transcript.length) {
      var e = el('li', 'transcript__empty', 'No messages yet.');
      e.dataset.key = '-1';
      ks.list.appendChild(e);
    }
    refreshPhases();
    scrollTranscriptToEnd(ks, tx.view);
  }

  function senderLabel(m) {
    switch (m.from) {
      case 'user': return 'User';
      case 'bot': return 'Bot';
      case 'agent': return 'Agent' + (str(m.agentId) ? ' (' + str(m.agentId) + ')' : '');
      default: return 'System';
    }
  }

  function buildMessageNode(m) {
    var from = m.from === 'user' || m.from === 'bot' || m.from === 'agent' ? m.from : 'system';
    var li = el('li', 'msg msg--' + from);
    li.setAttribute('data-testid', 'transcript-message');
    li.dataset.from = from;
    li.dataset.seq = String(m.seq);
    if (str(m.agentId)) li.dataset.agentId = str(m.agentId);
    var meta = el('div', 'msg__meta');
    meta.appendChild(el('span', 'msg__sender', senderLabel(m)));
    meta.appendChild(timeEl(m.ts, 'msg__time'));
    var body = el('div', 'msg__text');
    appendLinkified(body, str(m.text));
    li.appendChild(meta);
    li.appendChild(body);
    return li;
  }

  function insertItem(key, node) {
    var ks = tx.ks;
    var empty = ks.list.querySelector('.transcript__empty');
    if (empty) empty.remove();
    var i = ks.items.length;
    while (i > 0 && ks.items[i - 1].key > key) i--;
    var ref = i < ks.items.length ? ks.items[i].node : null;
    ks.items.splice(i, 0, { key: key, node: node });
    ks.list.insertBefore(node, ref);
  }

  function addMessageNode(m, live) {
    if (!tx) return;
    var ks = tx.ks;
    var v = tx.view;
    var stick = ks.pinned || nearBottom(v.body);
    var old = ks.bySeq.get(m.seq);
    var node = buildMessageNode(m);
    if (old) {
      old.replaceWith(node);
      ks.items.forEach(function (it) { if (it.node === old) it.node = node; });
    } else {
      insertItem(m.seq, node);
    }
    ks.bySeq.set(m.seq, node);
    applySentimentDot(node, m);
    if (live) {
      node.classList.add('msg--new');
      setTimeout(function () { node.classList.remove('msg--new'); }, FLASH_MS);
      refreshPhases();
      if (stick) scrollTranscriptToEnd(ks, v);
      else ks.jump.hidden = false;
    }
  }

  function addMarkNode(mk, live) {
    if (!tx) return;
    var ks = tx.ks;
    var li = el('li', 'marker');
    li.setAttribute('data-testid', 'transcript-handover');
    li.dataset.state = str(mk.h.state);
    var line = el('span', 'marker__text', handoverSentence(mk.h));
    if (num(mk.h.ts) !== null) line.appendChild(timeEl(mk.h.ts, 'marker__time'));
    li.appendChild(line);
    insertItem(mk.key, li);
    if (live) {
      refreshPhases();
      if (ks.pinned || nearBottom(tx.view.body)) scrollTranscriptToEnd(ks, tx.view);
    }
  }

  /**
   * Marks the bot part of the conversation: everything before the first handover
   * marker (or, without markers, before the first agent message) once a handover
   * exists at all.
   */
  function refreshPhases() {
    if (!tx) return;
    var ks = tx.ks;
    var handoverKnown = state.marks.length > 0 || isObj(state.handover) ||
      state.transcript.some(function (m) { return m.from === 'agent'; });
    var before = handoverKnown;
    var firstPre = null;
    ks.items.forEach(function (it) {
      var n = it.node;
      if (n.classList.contains('marker') || (n.dataset.from === 'agent')) before = false;
      if (!n.classList.contains('msg')) return;
      n.classList.toggle('msg--pre', before);
      if (before && !firstPre) firstPre = n;
    });
    var label = ks.list.querySelector('.phase');
    if (firstPre) {
      if (!label) {
        label = el('li', 'phase', 'With the bot — before handover');
        label.setAttribute('data-testid', 'transcript-phase');
      }
      if (label.nextSibling !== firstPre) ks.list.insertBefore(label, firstPre);
    } else if (label) {
      label.remove();
    }
  }

  /** Key of a handover marker: its seq, else after the messages sent before its ts, else at the end. */
  function markKey(h) {
    if (isPos(h.seq)) return h.seq;
    var t = state.transcript;
    if (num(h.ts) !== null) {
      var k = 0;
      for (var i = 0; i < t.length; i++) if (num(t[i].ts) !== null && t[i].ts <= h.ts) k = t[i].seq;
      return k + 0.5;
    }
    if (h.state === 'active' || h.state === 'requested' || h.state === 'queued') {
      for (var j = 0; j < t.length; j++) if (t[j].from === 'agent') return t[j].seq - 0.5;
    }
    return (t.length ? t[t.length - 1].seq : 0) + 0.5;
  }

  function applySentimentDot(node, m) {
    if (m.from !== 'user') return;
    var s = sentimentBySeq.get(m.seq);
    var old = node.querySelector('.msg__sent');
    if (!s) { if (old) old.remove(); return; }
    var dot = old || el('span', 'msg__sent');
    dot.dataset.tone = toneOf(s.score, s.label);
    dot.title = 'Sentiment ' + (str(s.label) || '') + ' ' + formatScore(s.score);
    dot.setAttribute('aria-label', dot.title);
    if (!old) node.querySelector('.msg__meta').insertBefore(dot, node.querySelector('.msg__time'));
  }

  function refreshSentimentDots() {
    if (!tx) return;
    state.transcript.forEach(function (m) {
      var n = tx.ks.bySeq.get(m.seq);
      if (n) applySentimentDot(n, m);
    });
  }

  // ------------------------------------------------------------------ sentiment

  function toneOf(score, label) {
    var l = str(label).toLowerCase();
    if (/neg|angry|frustrat|upset/.test(l)) return 'negative';
    if (/pos|happy|satisf/.test(l)) return 'positive';
    if (/neutral|mixed/.test(l)) return 'neutral';
    var n = num(score);
    if (n === null) return 'neutral';
    return n <= -0.25 ? 'negative' : n >= 0.25 ? 'positive' : 'neutral';
  }

  function renderSentiment(v, data) {
    var b = v.body;
    clear(b);
    data = isObj(data) ? data : {};
    var cur = isObj(data.current) ? data.current : null;
    var msgs = arr(data.messages).filter(function (m) { return isObj(m) && num(m.score) !== null; });

    sentimentBySeq = new Map();
    msgs.forEach(function (m) { if (isPos(m.seq)) sentimentBySeq.set(m.seq, m); });
    refreshSentimentDots();

    if (!cur || num(cur.score) === null) {
      b.appendChild(emptyNote('No user messages to score yet.'));
      var l0 = el('span', 'visually-hidden', 'none');
      l0.setAttribute('data-testid', 'sentiment-label');
      l0.dataset.label = '';
      b.appendChild(l0);
      return;
    }
    var score = clamp(cur.score, -1, 1);
    var tone = toneOf(score, cur.label);

    var top = el('div', 'senti');
    var lab = el('span', 'senti__label', str(cur.label) || tone);
    lab.setAttribute('data-testid', 'sentiment-label');
    lab.dataset.label = str(cur.label);
    lab.dataset.tone = tone;
    var sc = el('span', 'senti__score', formatScore(score));
    sc.setAttribute('data-testid', 'sentiment-score');
    sc.title = 'Score from −1 (very negative) to +1 (very positive)';
    top.appendChild(lab);
    top.appendChild(sc);
    var avg = num(data.average);
    if (avg !== null) {
      var av = el('span', 'senti__avg', 'avg ' + formatScore(avg));
      av.setAttribute('data-testid', 'sentiment-average');
      av.title = 'Average over the last ' + msgs.length + ' scored user message' + (msgs.length === 1 ? '' : 's');
      top.appendChild(av);
    }
    var trend = str(data.trend) || 'steady';
    var tr = el('span', 'senti__trend');
    tr.setAttribute('data-testid', 'sentiment-trend');
    tr.dataset.trend = trend;
    var arrow = trend === 'improving' ? '↗' : trend === 'worsening' ? '↘' : '→';
    tr.appendChild(el('span', 'senti__arrow', arrow)).setAttribute('aria-hidden', 'true');
    tr.appendChild(document.createTextNode(trend.charAt(0).toUpperCase() + trend.slice(1)));
    top.appendChild(tr);
    b.appendChild(top);

    var gauge = el('div', 'gauge');
    gauge.setAttribute('role', 'meter');
    gauge.setAttribute('aria-valuemin', '-1');
    gauge.setAttribute('aria-valuemax', '1');
    gauge.setAttribute('aria-valuenow', String(score));
    gauge.setAttribute('aria-label', 'Sentiment score');
    var track = el('div', 'gauge__track');
    var fill = el('div', 'gauge__fill');
    fill.dataset.tone = tone;
    var pct = (score + 1) / 2 * 100;
    // The fill grows from the centre (neutral) towards the score.
    fill.style.left = Math.min(50, pct) + '%';
    fill.style.width = Math.abs(pct - 50) + '%';
    var marker = el('div', 'gauge__marker');
    marker.dataset.tone = tone;
    marker.style.left = pct + '%';
    track.appendChild(fill);
    track.appendChild(el('div', 'gauge__mid'));
    track.appendChild(marker);
    gauge.appendChild(track);
    var scale = el('div', 'gauge__scale');
    scale.appendChild(el('span', '', 'Negative'));
    scale.appendChild(el('span', '', 'Neutral'));
    scale.appendChild(el('span', '', 'Positive'));
    gauge.appendChild(scale);
    b.appendChild(gauge);

    if (msgs.length) b.appendChild(sparkline(msgs));
  }

  function sparkline(msgs) {
    var W = 200;
    var H = 40;
    var pad = 3;
    var n = msgs.length;
    var wrap = el('div', 'spark');
    wrap.setAttribute('data-testid', 'sentiment-sparkline');
    wrap.title = 'Last ' + n + ' user message' + (n === 1 ? '' : 's') + ', oldest on the left';
    var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img',
      'aria-label': 'Sentiment of the last ' + n + ' user messages' });
    function x(i) { return n === 1 ? W / 2 : i * (W / (n - 1)); }
    function y(s) { return pad + (1 - (clamp(s, -1, 1) + 1) / 2) * (H - 2 * pad); }
    svg.appendChild(svgEl('line', { x1: 0, x2: W, y1: y(0), y2: y(0), class: 'spark__zero', 'vector-effect': 'non-scaling-stroke' }));
    var pts = msgs.map(function (m, i) { return x(i).toFixed(1) + ',' + y(m.score).toFixed(1); });
    if (n > 1) {
      svg.appendChild(svgEl('polygon', { points: '0,' + y(0) + ' ' + pts.join(' ') + ' ' + W + ',' + y(0), class: 'spark__area' }));
      svg.appendChild(svgEl('polyline', { points: pts.join(' '), class: 'spark__line', 'vector-effect': 'non-scaling-stroke' }));
    }
    wrap.appendChild(svg);
    // Point markers as HTML so they stay round whatever the tile's aspect ratio.
    msgs.forEach(function (m, i) {
      var d = el('span', 'spark__pt');
      d.dataset.tone = toneOf(m.score, m.label);
      d.style.left = (x(i) / W * 100) + '%';
      d.style.top = (y(m.score) / H * 100) + '%';
      d.title = (isPos(m.seq) ? '#' + m.seq + ' ' : '') + (str(m.label) ? m.label + ' ' : '') + formatScore(m.score);
      if (i === n - 1) d.classList.add('spark__pt--last');
      wrap.appendChild(d);
    });
    return wrap;
  }

  // ------------------------------------------------------------------ knowledge

  function renderKnowledge(v, data) {
    var b = v.body;
    clear(b);
    data = isObj(data) ? data : {};
    if (str(data.query)) {
      var q = el('p', 'kb-query');
      q.appendChild(el('span', 'kb-query__label', 'Matched on'));
      q.appendChild(el('span', 'kb-query__text', '“' + str(data.query) + '”'));
      q.title = str(data.query);
      b.appendChild(q);
    }
    var list = arr(data.suggestions).filter(isObj);
    if (!list.length) { b.appendChild(emptyNote('No matching articles yet.')); return; }
    var ul = el('ul', 'cards');
    list.forEach(function (s) {
      var li = el('li', 'card');
      li.setAttribute('data-testid', 'knowledge-suggestion');
      if (str(s.id)) li.dataset.id = str(s.id);
      var head = el('div', 'card__head');
      head.appendChild(el('h3', 'card__title', text(s.title) || 'Untitled'));
      head.appendChild(copyButton('Copy', function () { return text(s.snippet); }, 'copy-snippet'));
      li.appendChild(head);
      var p = el('p', 'card__text');
      appendLinkified(p, s.snippet);
      li.appendChild(p);
      var src = text(s.source);
      if (src || num(s.score) !== null) {
        var f = el('div', 'card__foot');
        if (src) {
          var u = httpUrl(src);
          f.appendChild(u ? link(u.href, src) : el('span', 'card__source', src));
        }
        if (num(s.score) !== null) {
          var sc = el('span', 'card__score', 'score ' + s.score.toFixed(2));
          sc.title = 'Relevance (BM25)';
          f.appendChild(sc);
        }
        li.appendChild(f);
      }
      ul.appendChild(li);
    });
    b.appendChild(ul);
  }

  // ------------------------------------------------------------------ next best action

  function renderNextBestAction(v, data) {
    var b = v.body;
    clear(b);
    var actions = arr(isObj(data) ? data.actions : null).filter(isObj);
    if (!actions.length) { b.appendChild(emptyNote('Nothing to suggest right now.')); return; }
    var ol = el('ol', 'actions');
    actions.forEach(function (a, i) {
      var li = el('li', 'action');
      li.setAttribute('data-testid', 'nba-action');
      if (str(a.id)) li.dataset.id = str(a.id);
      var n = el('span', 'action__num', String(i + 1));
      n.setAttribute('aria-hidden', 'true');
      li.appendChild(n);
      var main = el('div', 'action__main');
      var head = el('div', 'action__head');
      head.appendChild(el('h3', 'action__title', text(a.title) || 'Action'));
      if (typeof a.template === 'string' && a.template) {
        head.appendChild(copyButton('Copy reply', function () { return a.template; }, 'copy-reply'));
      }
      main.appendChild(head);
      if (a.detail !== undefined && a.detail !== null && text(a.detail)) {
        var d = el('p', 'action__detail');
        appendLinkified(d, a.detail);
        main.appendChild(d);
      }
      if (typeof a.template === 'string' && a.template) {
        var t = el('blockquote', 'action__template', a.template);
        t.title = a.template;
        main.appendChild(t);
      }
      if (text(a.reason)) main.appendChild(el('p', 'action__reason', 'Why: ' + text(a.reason)));
      li.appendChild(main);
      ol.appendChild(li);
    });
    b.appendChild(ol);
  }

  // ------------------------------------------------------------------ summary

  var ENTITY_GROUPS = [
    ['orderNumbers', 'Order', 'order'],
    ['emails', 'Email', 'email'],
    ['phones', 'Phone', 'phone'],
    ['amounts', 'Amount', 'amount']
  ];

  function renderSummary(v, data) {
    var b = v.body;
    clear(b);
    data = isObj(data) ? data : {};
    var top = el('div', 'intent');
    top.appendChild(el('span', 'intent__label', 'Intent'));
    var it = el('span', 'intent__value', text(data.intent) || 'unknown');
    it.setAttribute('data-testid', 'summary-intent');
    top.appendChild(it);
    b.appendChild(top);

    if (text(data.text)) {
      var p = el('p', 'summary__text');
      p.setAttribute('data-testid', 'summary-text');
      appendLinkified(p, data.text);
      b.appendChild(p);
    }

    var ents = isObj(data.entities) ? data.entities : {};
    var chips = el('div', 'chips');
    chips.setAttribute('data-testid', 'summary-entities');
    var known = {};
    ENTITY_GROUPS.forEach(function (g) {
      known[g[0]] = true;
      arr(ents[g[0]]).forEach(function (val) { chips.appendChild(entityChip(g[1], g[2], val)); });
    });
    Object.keys(ents).forEach(function (k) {
      if (!known[k]) arr(ents[k]).forEach(function (val) { chips.appendChild(entityChip(k, 'other', val)); });
    });
    if (chips.childNodes.length) {
      b.appendChild(sectionTitle('Details mentioned'));
      b.appendChild(chips);
    }

    var tried = arr(data.botTried);
    b.appendChild(sectionTitle('What the bot tried'));
    if (tried.length) {
      var ul = el('ul', 'tried');
      ul.setAttribute('data-testid', 'summary-bot-tried');
      tried.forEach(function (t) { ul.appendChild(el('li', '', text(t))); });
      b.appendChild(ul);
    } else {
      b.appendChild(emptyNote('Nothing yet.'));
    }
  }

  function entityChip(label, type, value) {
    var val = text(value);
    var c = el('button', 'chip');
    c.type = 'button';
    c.setAttribute('data-testid', 'entity-chip');
    c.dataset.type = type;
    c.title = 'Copy ' + val;
    c.appendChild(el('span', 'chip__type', label));
    var v = el('span', 'chip__value', val);
    c.appendChild(v);
    var timer = null;
    c.addEventListener('click', function () {
      copyText(val).then(function () {
        c.dataset.copied = 'true';
        v.textContent = 'Copied';
      }, function () { c.dataset.copied = 'failed'; }).then(function () {
        clearTimeout(timer);
        timer = setTimeout(function () { delete c.dataset.copied; v.textContent = val; }, COPIED_MS);
      });
    });
    return c;
  }

  // ------------------------------------------------------------------ html / iframe

  function renderHtmlTile(v, data) {
    var html = isObj(data) ? text(data.html) : text(data);
    var ks = v.kindState;
    if (ks.frame && ks.html === html) return;   // unchanged: keep the frame (and its state) alive
    clear(v.body);
    v.body.classList.add('tile__body--flush');
    var f = document.createElement('iframe');
    f.className = 'frame';
    f.setAttribute('sandbox', 'allow-scripts');   // never allow-same-origin: the content is untrusted
    f.setAttribute('referrerpolicy', 'no-referrer');
    f.setAttribute('title', str(v.tile.title) || 'Integrator content');
    f.setAttribute('data-testid', 'tile-frame');
    f.srcdoc = html;
    v.body.appendChild(f);
    ks.frame = f;
    ks.html = html;
  }

  function renderIframeTile(v, data) {
    var raw = isObj(data) ? data.url : null;
    var u = httpUrl(raw);
    var ks = v.kindState;
    var key = u ? u.href : '!' + text(raw);
    if (ks.key === key) return;
    ks.key = key;
    clear(v.body);
    ks.frame = null;
    if (!u) {
      v.body.classList.remove('tile__body--flush');
      var w = el('div', 'tile-warning');
      w.setAttribute('data-testid', 'tile-blocked');
      w.appendChild(el('p', 'tile-warning__title', 'Blocked: this tile’s address is not an http(s) URL.'));
      w.appendChild(el('code', 'tile-warning__detail', text(raw) || '(no url)'));
      v.body.appendChild(w);
      return;
    }
    v.body.classList.add('tile__body--flush');
    var f = document.createElement('iframe');
    f.className = 'frame';
    // A page of another site keeps its own origin (logins, storage); a page of this
    // relay's origin never gets it, so it cannot reach into the copilot.
    var sameOrigin = u.origin === window.location.origin;
    f.setAttribute('sandbox', 'allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox' + (sameOrigin ? '' : ' allow-same-origin'));
    f.setAttribute('referrerpolicy', 'no-referrer');
    f.setAttribute('loading', 'lazy');
    f.setAttribute('title', str(v.tile.title) || u.host);
    f.setAttribute('data-testid', 'tile-frame');
    f.src = u.href;
    v.body.appendChild(f);
    ks.frame = f;
  }

  /** Title-bar extras that depend on the data: message count, "Open" link. */
  function decorateHead(v) {
    var kind = renderKind(v.tile);
    var data = v.tile.data;
    if (kind === 'transcript') {
      var count = isObj(data) && isInt(data.count) ? data.count : state.transcript.length;
      var c = el('span', 'tile__count', count + (count === 1 ? ' message' : ' messages'));
      c.setAttribute('data-testid', 'transcript-count');
      v.extra.insertBefore(c, v.extra.firstChild);
    } else if (kind === 'iframe') {
      var u = httpUrl(isObj(data) ? data.url : null);
      if (u) {
        var a = link(u.href, 'Open ↗');
        a.className = 'tile__open';
        a.title = 'Open in a new tab: ' + u.href;
        v.extra.appendChild(a);
      }
    }
  }

  // ------------------------------------------------------------------ json

  function jsonPre(data) {
    var pre = el('pre', 'json');
    pre.setAttribute('data-testid', 'tile-json');
    var s;
    try { s = JSON.stringify(data === undefined ? null : data, null, 2); } catch (e) { s = String(data); }
    var re = /("(?:\\u[a-fA-F0-9]{4}|\\[^u]|[^\\"])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
    var last = 0;
    var m;
    while ((m = re.exec(s)) !== null) {
      if (m.index > last) pre.appendChild(document.createTextNode(s.slice(last, m.index)));
      var cls = m[1] ? (m[2] ? 'j-key' : 'j-str') : m[3] ? 'j-lit' : 'j-num';
      pre.appendChild(el('span', cls, m[1] || m[0]));
      if (m[2]) pre.appendChild(document.createTextNode(m[2]));
      last = re.lastIndex;
    }
    if (last < s.length) pre.appendChild(document.createTextNode(s.slice(last)));
    return pre;
  }

  function renderJsonTile(v, data) {
    clear(v.body);
    v.body.appendChild(jsonPre(data));
  }

  function renderUnknownTile(v, data) {
    clear(v.body);
    var w = el('div', 'tile-warning');
    w.setAttribute('data-testid', 'tile-warning');
    var kind = str(v.tile.kind) || text(v.tile.kind) || '(none)';
    w.appendChild(el('p', 'tile-warning__title', 'Unsupported tile kind \u2018' + kind + '\u2019 from ' + (text(v.tile.source) || 'an unknown source')));
    w.appendChild(el('p', 'tile-warning__detail', 'This page cannot display it; its raw data is shown below.'));
    v.body.appendChild(w);
    v.body.appendChild(jsonPre(data));
  }

  // ------------------------------------------------------------------ markdown (safe subset)

  var LIST_RE = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
  var FENCE_RE = /^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
  var HEADING_RE = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  var HR_RE = /^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/;
  var QUOTE_RE = /^\s{0,3}>\s?(.*)$/;

  function isBlockStart(line) {
    return FENCE_RE.test(line) || HEADING_RE.test(line) || HR_RE.test(line) || QUOTE_RE.test(line) || LIST_RE.test(line);
  }

  function renderMarkdown(src, parent) {
    var lines = String(src).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
    mdBlocks(lines, parent, 0);
  }

  function mdBlocks(lines, parent, depth) {
    if (depth > MD_MAX_DEPTH) { parent.appendChild(el('p', '', lines.join('\n'))); return; }
    var i = 0;
    while (i < lines.length) {
      var line = lines[i];
      if (/^\s*$/.test(line)) { i++; continue; }
      var m;
      if ((m = FENCE_RE.exec(line))) {
        var fence = m[1];
        var body = [];
        i++;
        while (i < lines.length && !(new RegExp('^\\s{0,3}' + fence.charAt(0) + '{' + fence.length + ',}\\s*$').test(lines[i]))) {
          body.push(lines[i]);
          i++;
        }
        i++;
        var pre = el('pre', 'md-code');
        var code = el('code', '', body.join('\n'));
        if (m[2]) code.dataset.lang = m[2];
        pre.appendChild(code);
        parent.appendChild(pre);
        continue;
      }
      if ((m = HEADING_RE.exec(line))) {
        var level = m[1].length;
        var h = el('h' + Math.min(6, level + 2), 'md-h md-h' + level);
        mdInline(m[2], h, 0);
        parent.appendChild(h);
        i++;
        continue;
      }
      if (HR_RE.test(line)) { parent.appendChild(el('hr', 'md-hr')); i++; continue; }
      if (QUOTE_RE.test(line)) {
        var q = [];
        while (i < lines.length && (m = QUOTE_RE.exec(lines[i]))) { q.push(m[1]); i++; }
        var bq = el('blockquote', 'md-quote');
        mdBlocks(q, bq, depth + 1);
        parent.appendChild(bq);
        continue;
      }
      if (LIST_RE.test(line)) { i = mdList(lines, i, parent, depth); continue; }
      var para = [];
      while (i < lines.length && !/^\s*$/.test(lines[i]) && (para.length === 0 || !isBlockStart(lines[i]))) {
        para.push(lines[i]);
        i++;
      }
      var p = el('p', 'md-p');
      mdInline(para.map(function (l, k) {
        var hard = k < para.length - 1 && (/ {2,}$/.test(l) || /\\$/.test(l));
        return l.replace(/\\$/, '').trim() + (hard ? '\u2028' : '');
      }).join('\n'), p, 0);
      parent.appendChild(p);
    }
  }

  function mdList(lines, i, parent, depth) {
    var first = LIST_RE.exec(lines[i]);
    var indent = first[1].length;
    var ordered = /\d/.test(first[2]);
    var list = el(ordered ? 'ol' : 'ul', 'md-list');
    if (ordered) {
      var start = parseInt(first[2], 10);
      if (start !== 1 && isFinite(start)) list.start = start;
    }
    var loose = false;
    while (i < lines.length) {
      var m = LIST_RE.exec(lines[i]);
      if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
      var contentIndent = indent + m[2].length + 1;
      var item = [m[3]];
      i++;
      while (i < lines.length) {
        var l = lines[i];
        if (/^\s*$/.test(l)) {
          // A blank line continues the item only when an indented line follows.
          var next = lines[i + 1];
          if (next !== undefined && /^\s*/.exec(next)[0].length > indent && !/^\s*$/.test(next)) {
            item.push('');
            loose = true;
            i++;
            continue;
          }
          break;
        }
        var lead = /^\s*/.exec(l)[0].length;
        var lm = LIST_RE.exec(l);
        if (lm && lead <= indent) break;
        if (lead <= indent && isBlockStart(l)) break;
        item.push(l.slice(Math.min(lead, contentIndent)));
        i++;
      }
      var li = el('li');
      mdBlocks(item, li, depth + 1);
      list.appendChild(li);
    }
    if (!loose) list.classList.add('md-tight');
    parent.appendChild(list);
    return i;
  }

  var ESCAPABLE = '\\`*_{}[]()#+-.!>~|';
  var MD_LINK_RE = /^\[((?:\\.|[^\]\\])*)\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]*\))*)>?(?:\s+"([^"]*)")?\s*\)/;

  /**
   * Where the emphasis opened before `from` closes: the index of the closing `n`
   * delimiters, or -1. Code spans, links and escapes are skipped over, so emphasis
   * never closes inside them; a longer run closes with its last `n` characters.
   */
  function findEmphasisClose(s, from, ch, n) {
    var j = from;
    while (j < s.length) {
      var c = s.charAt(j);
      var rest = s.slice(j);
      if (c === '\\') { j += 2; continue; }
      if (c === '`') {
        var run = /^`+/.exec(rest)[0];
        var end = s.indexOf(run, j + run.length);
        j = end > 0 ? end + run.length : j + run.length;
        continue;
      }
      if (c === '[') {
        var lm = MD_LINK_RE.exec(rest);
        if (lm) { j += lm[0].length; continue; }
      }
      if (c === ch) {
        var len = (ch === '*' ? /^\*+/ : /^_+/).exec(rest)[0].length;
        var prev = s.charAt(j - 1);
        var next = s.charAt(j + len);
        var canClose = j > from && !/\s/.test(prev) && !(ch === '_' && /[\p{L}\p{N}]/u.test(next));
        if (canClose && (len === n || (len > n && !(n === 1 && len === 2)))) return j + len - n;
        j += len;
        continue;
      }
      j++;
    }
    return -1;
  }

  /** Inline markdown → DOM (text nodes, strong, em, del, code, a[href=http(s)], br). */
  function mdInline(s, parent, depth) {
    if (depth > MD_MAX_DEPTH) { parent.appendChild(document.createTextNode(s)); return; }
    var buf = '';
    function flush() {
      if (!buf) return;
      var parts = buf.split(/\u2028\n?/);
      parts.forEach(function (part, k) {
        if (k > 0) parent.appendChild(el('br'));
        if (part) parent.appendChild(document.createTextNode(part.replace(/\n/g, ' ')));
      });
      buf = '';
    }
    var i = 0;
    while (i < s.length) {
      var c = s.charAt(i);
      var rest = s.slice(i);
      var m;
      if (c === '\\' && i + 1 < s.length && ESCAPABLE.indexOf(s.charAt(i + 1)) >= 0) {
        buf += s.charAt(i + 1);
        i += 2;
        continue;
      }
      if (c === '`') {
        var run = /^`+/.exec(rest)[0];
        var end = s.indexOf(run, i + run.length);
        if (end > i) {
          flush();
          var inner = s.slice(i + run.length, end).replace(/\n/g, ' ');
          if (/^ .+ $/.test(inner)) inner = inner.slice(1, -1);
          parent.appendChild(el('code', 'md-icode', inner));
          i = end + run.length;
          continue;
        }
        buf += run;
        i += run.length;
        continue;
      }
      if (c === '[' && (m = MD_LINK_RE.exec(rest))) {
        flush();
        var u = httpUrl(m[2]);
        if (u) {
          var a = link(u.href, null);
          if (m[3]) a.title = m[3];
          mdInline(m[1], a, depth + 1);
          parent.appendChild(a);
        } else {
          var span = el('span', 'md-badlink');
          span.title = 'Link removed: only http(s) links are allowed';
          mdInline(m[1], span, depth + 1);
          parent.appendChild(span);
        }
        i += m[0].length;
        continue;
      }
      if ((c === 'h' || c === 'H') && !/[\w/]$/.test(buf) && (m = /^https?:\/\/[^\s<>"'\]]+/i.exec(rest))) {
        var url = m[0].replace(/[).,;:!?]+$/, '');
        var uu = httpUrl(url);
        if (uu) {
          flush();
          parent.appendChild(link(uu.href, url));
          i += url.length;
          continue;
        }
      }
      if (c === '~' && (m = /^~~(?=\S)([\s\S]*?\S)~~/.exec(rest))) {
        flush();
        var del = el('del');
        mdInline(m[1], del, depth + 1);
        parent.appendChild(del);
        i += m[0].length;
        continue;
      }
      if (c === '*' || c === '_') {
        var run0 = /^(\*+|_+)/.exec(rest)[0].length;
        var before = i > 0 ? s.charAt(i - 1) : ' ';
        var after = s.charAt(i + run0);
        var canOpen = after !== '' && !/\s/.test(after) && !(c === '_' && /[\p{L}\p{N}]/u.test(before));
        if (canOpen) {
          var n = run0 >= 2 ? 2 : 1;
          var close = findEmphasisClose(s, i + n, c, n);
          if (close > i + n) {
            flush();
            var emph = el(n === 2 ? 'strong' : 'em');
            mdInline(s.slice(i + n, close), emph, depth + 1);
            parent.appendChild(emph);
            i = close + n;
            continue;
          }
        }
        buf += rest.slice(0, run0);   // an unmatched run stays literal, as a whole
        i += run0;
        continue;
      }
      buf += c;
      i++;
    }
    flush();
  }

  function renderMarkdownTile(v, data) {
    clear(v.body);
    var src = isObj(data) ? data.markdown : data;
    var div = el('div', 'md');
    div.setAttribute('data-testid', 'markdown');
    if (typeof src !== 'string' || !src.trim()) { v.body.appendChild(emptyNote('(empty)')); return; }
    renderMarkdown(src, div);
    v.body.appendChild(div);
  }

  // ------------------------------------------------------------------ adaptive cards (subset)

  function acUnsupported(type, parent) {
    var n = el('div', 'ac-unsupported', 'unsupported element: ' + (text(type) || '(no type)'));
    n.setAttribute('data-testid', 'ac-unsupported');
    parent.appendChild(n);
  }

  function acSpacing(item, node, isFirst) {
    var sp = str(item.spacing).toLowerCase();
    if (!isFirst && sp) node.dataset.spacing = sp;
    if (!isFirst && item.separator === true) node.classList.add('ac-sep');
    if (isFirst) node.classList.add('ac-first');
  }

  function acElements(items, parent, depth) {
    arr(items).forEach(function (item, k) {
      if (!isObj(item)) { acUnsupported(typeof item, parent); return; }
      if (item.isVisible === false) return;
      var node = acElement(item, depth);
      if (node) { acSpacing(item, node, k === 0); parent.appendChild(node); }
    });
  }

  function acElement(item, depth) {
    var type = str(item.type);
    var holder = el('div');
    if (depth > AC_MAX_DEPTH) { acUnsupported(type + ' (nested too deeply)', holder); return holder.firstChild; }
    switch (type) {
      case 'TextBlock': {
        var t = el('div', 'ac-text');
        t.dataset.size = str(item.size).toLowerCase() || 'default';
        t.dataset.weight = str(item.weight).toLowerCase() || 'default';
        if (str(item.color)) t.dataset.color = str(item.color).toLowerCase();
        if (item.isSubtle === true) t.classList.add('ac-subtle');
        if (item.wrap !== true) { t.classList.add('ac-nowrap'); t.title = text(item.text); }
        if (isInt(item.maxLines) && item.maxLines > 0) { t.classList.add('ac-clamp'); t.style.webkitLineClamp = String(item.maxLines); t.classList.remove('ac-nowrap'); }
        if (str(item.horizontalAlignment)) t.style.textAlign = { left: 'left', center: 'center', right: 'right' }[str(item.horizontalAlignment).toLowerCase()] || '';
        mdInline(text(item.text), t, 0);
        return t;
      }
      case 'RichTextBlock': {
        var r = el('div', 'ac-text ac-rich');
        arr(item.inlines).forEach(function (run) {
          if (typeof run === 'string') { r.appendChild(document.createTextNode(run)); return; }
          if (!isObj(run) || (run.type && run.type !== 'TextRun')) { acUnsupported(isObj(run) ? run.type : typeof run, r); return; }
          var s = el('span', '', text(run.text));
          if (str(run.weight).toLowerCase() === 'bolder') s.style.fontWeight = '650';
          if (run.italic === true) s.style.fontStyle = 'italic';
          if (run.strikethrough === true) s.style.textDecoration = 'line-through';
          if (run.isSubtle === true) s.classList.add('ac-subtle');
          if (str(run.color)) s.dataset.color = str(run.color).toLowerCase();
          r.appendChild(s);
        });
        return r;
      }
      case 'FactSet': {
        var dl = el('dl', 'ac-facts');
        arr(item.facts).filter(isObj).forEach(function (f) {
          var dt = el('dt');
          mdInline(text(f.title), dt, 0);
          var dd = el('dd');
          mdInline(text(f.value), dd, 0);
          dl.appendChild(dt);
          dl.appendChild(dd);
        });
        return dl;
      }
      case 'Image': return acImage(item);
      case 'ImageSet': {
        var set = el('div', 'ac-imageset');
        arr(item.images).filter(isObj).forEach(function (im) { set.appendChild(acImage(im, item.imageSize)); });
        return set;
      }
      case 'Container': {
        var c = el('div', 'ac-container');
        if (str(item.style)) c.dataset.style = str(item.style).toLowerCase();
        acElements(item.items, c, depth + 1);
        return c;
      }
      case 'ColumnSet': {
        var cs = el('div', 'ac-columns');
        if (str(item.style)) cs.dataset.style = str(item.style).toLowerCase();
        arr(item.columns).forEach(function (col) {
          if (!isObj(col) || (col.type && col.type !== 'Column')) { acUnsupported(isObj(col) ? col.type : typeof col, cs); return; }
          var cn = el('div', 'ac-column');
          var w = col.width;
          if (w === 'auto') cn.style.flex = '0 0 auto';
          else if (typeof w === 'number' && w > 0) cn.style.flex = w + ' 1 0';
          else if (typeof w === 'string' && /^\d+px$/.test(w)) cn.style.flex = '0 0 ' + w;
          else if (typeof w === 'string' && /^\d+(\.\d+)?$/.test(w)) cn.style.flex = w + ' 1 0';
          else cn.style.flex = '1 1 0';
          if (str(col.style)) cn.dataset.style = str(col.style).toLowerCase();
          acElements(col.items, cn, depth + 1);
          cs.appendChild(cn);
        });
        return cs;
      }
      case 'ActionSet': {
        var as = el('div', 'ac-actions');
        acActions(item.actions, as);
        return as;
      }
      default:
        acUnsupported(type, holder);
        return holder.firstChild;
    }
  }

  function acImage(item, setSize) {
    var u = httpUrl(item.url);
    if (!u) {
      var n = el('div', 'ac-unsupported', 'image blocked (not an http(s) URL)');
      n.setAttribute('data-testid', 'ac-unsupported');
      return n;
    }
    var img = document.createElement('img');
    img.className = 'ac-image';
    img.src = u.href;
    img.alt = text(item.altText);
    img.loading = 'lazy';
    img.referrerPolicy = 'no-referrer';
    img.dataset.size = (str(item.size) || str(setSize) || 'auto').toLowerCase();
    if (str(item.style).toLowerCase() === 'person') img.classList.add('ac-person');
    var wrap = el('div', 'ac-imagewrap');
    if (str(item.horizontalAlignment)) wrap.style.textAlign = str(item.horizontalAlignment).toLowerCase();
    wrap.appendChild(img);
    return wrap;
  }

  function acActions(actions, parent) {
    arr(actions).forEach(function (a) {
      if (!isObj(a)) return;
      if (a.type === 'Action.OpenUrl') {
        var u = httpUrl(a.url);
        if (u) {
          var l = link(u.href, text(a.title) || u.host);
          l.className = 'ac-action';
          l.setAttribute('data-testid', 'ac-action');
          parent.appendChild(l);
        } else {
          var bad = el("span", "ac-unsupported", "blocked link (not http(s)): " + (text(a.title) || text(a.url)));
          bad.setAttribute("data-testid", "ac-blocked");
          parent.appendChild(bad);
        }
        return;
      }
      acUnsupported(a.type, parent);
    });
  }

  function renderAdaptiveCardTile(v, data) {
    clear(v.body);
    var card = isObj(data) && isObj(data.card) && !data.type ? data.card : data;
    var root = el('div', 'ac');
    root.setAttribute('data-testid', 'adaptive-card');
    if (!isObj(card)) { acUnsupported('(not an Adaptive Card object)', root); v.body.appendChild(root); return; }
    if (card.type && card.type !== 'AdaptiveCard') acUnsupported(card.type, root);
    acElements(card.body, root, 0);
    if (arr(card.actions).length) {
      var as = el('div', 'ac-actions ac-card-actions');
      acActions(card.actions, as);
      root.appendChild(as);
    }
    if (!root.childNodes.length) root.appendChild(emptyNote('(empty card)'));
    v.body.appendChild(root);
  }

  // ------------------------------------------------------------------ applying the feed

  function normalizeTile(t) {
    if (!isObj(t) || typeof t.id !== 'string' || !t.id) return null;
    return t;
  }

  function normalizeMessage(m) {
    if (!isObj(m) || !isPos(m.seq)) return null;
    return m;
  }

  function renderAll(animate) {
    hideLoading();
    renderHeader();
    renderBadge();
    var ids = new Set(state.tiles.map(function (t) { return t.id; }));
    Array.from(views.keys()).forEach(function (id) { if (!ids.has(id)) removeTileView(id); });
    if (tx && !views.has(tx.view.tile.id)) tx = null;
    // Reading order for the tiles created now.
    var placements = computePlacements();
    var order = state.tiles.slice().sort(function (a, b) {
      var ra = placements.get(a.id);
      var rb = placements.get(b.id);
      return ra.y - rb.y || ra.x - rb.x;
    });
    order.forEach(function (t) { upsertTileView(t, animate); });
    applyLayout();
    if (tx) rebuildTranscript();
    ui.workspace.setAttribute('aria-busy', 'false');
  }

  function hideLoading() {
    if (ui.loading.parentNode) ui.loading.remove();
  }

  function applySnapshot(f) {
    var prevHad = hasState;
    var next = emptyState();
    next.pos = f.pos;
    next.session = isObj(f.session) ? f.session : null;
    next.layout = normalizeLayout(f.layout);
    var seen = {};
    arr(f.tiles).forEach(function (t) {
      t = normalizeTile(t);
      if (!t) return;
      if (seen[t.id] !== undefined) next.tiles[seen[t.id]] = t;
      else { seen[t.id] = next.tiles.length; next.tiles.push(t); }
    });
    var bySeq = new Map();
    arr(f.transcript).forEach(function (m) { m = normalizeMessage(m); if (m) bySeq.set(m.seq, m); });
    next.transcript = Array.from(bySeq.values()).sort(function (a, b) { return a.seq - b.seq; });
    next.handover = isObj(f.handover) ? f.handover : null;
    state = next;
    if (state.handover && str(state.handover.state)) {
      state.marks = [{ key: markKey(state.handover), h: state.handover }];
    }
    hasState = true;
    // A re-snapshot after a reconnect highlights what changed meanwhile.
    renderAll(prevHad);
    saveSoon();
  }

  function applyTile(t) {
    t = normalizeTile(t);
    if (!t) return;
    var i = state.tiles.findIndex(function (x) { return x.id === t.id; });
    if (i >= 0) state.tiles[i] = t; else state.tiles.push(t);
    upsertTileView(t, true);
    applyLayout();
  }

  function applyTileRemoved(id) {
    if (typeof id !== 'string') return;
    state.tiles = state.tiles.filter(function (t) { return t.id !== id; });
    if (tx && tx.view.tile.id === id) tx = null;
    removeTileView(id);
    applyLayout();
  }

  function applyTranscript(m) {
    m = normalizeMessage(m);
    if (!m) return;
    var t = state.transcript;
    var i = t.length;
    while (i > 0 && t[i - 1].seq > m.seq) i--;
    if (i > 0 && t[i - 1].seq === m.seq) t[i - 1] = m;   // same seq again: replace, never duplicate
    else t.splice(i, 0, m);
    addMessageNode(m, true);
  }

  function applyHandover(h) {
    state.handover = isObj(h) ? h : null;
    renderBadge();
    if (state.handover && str(state.handover.state)) {
      var mk = { key: markKey(state.handover), h: state.handover };
      var dup = state.marks.some(function (x) { return x.key === mk.key && x.h.state === mk.h.state; });
      if (!dup) {
        state.marks.push(mk);
        addMarkNode(mk, true);
      }
    } else {
      refreshPhases();
    }
  }

  // ------------------------------------------------------------------ fatal errors

  var FATAL_TEXT = {
    4401: {
      title: 'This copilot link is invalid or has expired',
      hint: 'Open the copilot again from the conversation in the 8x8 agent workspace to get a fresh link.'
    },
    4404: {
      title: 'This conversation is no longer available',
      hint: 'The session ended or expired on the relay. Open the copilot from a current conversation.'
    },
    4400: {
      title: 'The copilot could not subscribe',
      hint: 'The relay did not understand this page’s request. This is a bug — please report it, with the message above.'
    },
    0: {
      title: 'This copilot link is incomplete',
      hint: 'The link must carry sessionId and URLToken. Open the copilot again from the conversation in the 8x8 agent workspace.'
    }
  };

  function showFatal(code, message) {
    if (fatalShown) return;
    fatalShown = true;
    backoff.cancel();
    clearTimeout(saveTimer);
    forgetStored();
    var t = FATAL_TEXT[code] || FATAL_TEXT[4400];
    ui.fatal.dataset.code = String(code);
    ui.fatal.querySelector('.fatal__title').textContent = t.title;
    var msg = ui.fatal.querySelector('.fatal__message');
    msg.textContent = message || '';
    msg.hidden = !message;
    ui.fatal.querySelector('.fatal__hint').textContent = t.hint;
    ui.fatal.hidden = false;
    if (code === 4400) {
      var again = el('button', 'btn', 'Try again');
      again.type = 'button';
      again.setAttribute('data-testid', 'fatal-retry');
      again.addEventListener('click', function () { window.location.reload(); });
      ui.fatal.querySelector('.fatal__card').appendChild(again);
    }
    // Nothing of the session stays on screen behind the message.
    Array.from(views.keys()).forEach(removeTileView);
    tx = null;
    hideLoading();
    document.body.classList.add('is-fatal');
    setConn('closed', 'Closed');
  }

  // ------------------------------------------------------------------ connection

  var ws = null;
  var subscribed = false;
  var wantSnapshot = false;   // next subscribe without lastPos (resync)
  var backoff = new HC.Backoff(BACKOFF_MIN_MS, BACKOFF_MAX_MS);
  var everLive = false;
  var lastError = null;

  function connect() {
    backoff.cancel();
    if (fatalShown) return;
    if (ws) {
      var old = ws;
      ws = null;
      try { old.close(1000); } catch (e) { /* ignore */ }
    }
    subscribed = false;
    lastError = null;
    setConn('connecting', everLive ? 'Reconnecting…' : 'Connecting…');
    var sock = HC.openSocket(wsUrl(), PROTOCOL, isCurrentSocket, {
      open: subscribe,
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

  function subscribe(sock) {
    var frame = { type: 'subscribe', sessionId: sessionId, token: token };
    if (!wantSnapshot && hasState && state.pos >= 1) frame.lastPos = state.pos;
    wantSnapshot = false;
    try { sock.send(JSON.stringify(frame)); } catch (e) { /* the close follows */ }
  }

  function onClosed(e) {
    subscribed = false;
    var code = e.code;
    var errCode = lastError ? lastError.code : '';
    var fatal = code === 4400 || code === 4401 || code === 4404 ? code : (FATAL_CODES[errCode] || 0);
    if (fatal) {
      showFatal(fatal, (lastError && lastError.message) || e.reason || '');
      return;
    }
    saveNow();
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (fatalShown) return;
    backoff.schedule(connect, function (s) { setConn('reconnecting', 'Reconnecting in ' + s + 's'); });
  }

  function reconnectNow() {
    if (fatalShown || ws) return;
    backoff.attempt = 0;
    connect();
  }

  /** Drops the connection and subscribes again for a full snapshot (the feed is inconsistent). */
  function resync(why) {
    if (window.console) console.warn('copilot: resynchronising:', why);
    wantSnapshot = true;
    var sock = ws;
    ws = null;
    subscribed = false;
    if (sock) { try { sock.close(1000); } catch (e) { /* ignore */ } }
    if (backoff.attempt > 0) scheduleReconnect(); else { backoff.attempt++; connect(); }
  }

  function goLive() {
    subscribed = true;
    everLive = true;
    backoff.attempt = 0;
    setConn('live', 'Live');
  }

  function handleFrame(data) {
    var f;
    try { f = JSON.parse(data); } catch (e) { return; }
    if (!isObj(f)) return;
    try {
      switch (f.type) {
        case 'snapshot':
          if (!isPos(f.pos)) return;
          applySnapshot(f);
          goLive();
          return;
        case 'resumed':
          if (!isPos(f.pos)) return;
          if (!hasState || f.pos < state.pos) { resync('resumed at ' + f.pos + ' but we have ' + state.pos); return; }
          goLive();
          return;
        case 'error':
          lastError = { code: str(f.code), message: str(f.message) };
          if (window.console) console.warn('copilot: error from the relay:', lastError.code, lastError.message);
          return;
        case 'tile':
        case 'tile_removed':
        case 'transcript':
        case 'handover':
          onFeedEvent(f);
          return;
        default:
          return; // unknown frame types are ignored
      }
    } catch (err) {
      if (window.console) console.warn('copilot: could not handle frame', f, err);
    }
  }

  function onFeedEvent(f) {
    if (!subscribed || !isPos(f.pos)) return;
    if (f.pos <= state.pos) return;                  // already applied (replay overlap)
    if (f.pos > state.pos + 1) { resync('gap: got pos ' + f.pos + ' after ' + state.pos); return; }
    switch (f.type) {
      case 'tile': applyTile(f.tile); break;
      case 'tile_removed': applyTileRemoved(f.id); break;
      case 'transcript': applyTranscript(f.message); break;
      case 'handover': applyHandover(f.handover); break;
    }
    state.pos = f.pos;
    saveSoon();
  }

  // ------------------------------------------------------------------ timers, events, start

  setInterval(function () { views.forEach(updateAge); }, 1000);
  var resizeFrame = 0;
  window.addEventListener('resize', function () {
    if (resizeFrame || !hasState) return;
    resizeFrame = window.requestAnimationFrame(function () { resizeFrame = 0; applyLayout(); });
  });
  ui.retry.addEventListener('click', reconnectNow);
  window.addEventListener('online', function () { if (backoff.timer) reconnectNow(); });

  function start() {
    renderHeader();
    renderBadge();
    if (!sessionId || !token) {
      showFatal(0, !sessionId ? 'The link has no sessionId.' : 'The link has no URLToken.');
      return;
    }
    var cached = loadStored();
    if (cached) {
      state = cached;
      hasState = true;
      renderAll(false);
    }
    connect();
  }

  start();
})();
