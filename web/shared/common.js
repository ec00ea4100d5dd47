/*
 * handover-relay: helpers shared by the chat (web/chat/) and copilot
 * (web/copilot/) pages. Plain browser JS, no build step, no external
 * resources; load it with a classic <script defer> before the page's own
 * script. Everything is exposed on the single global `window.HandoverCommon`.
 */
(function () {
  'use strict';

  function byTestId(id) { return document.querySelector('[data-testid="' + id + '"]'); }

  function str(v) { return typeof v === 'string' ? v : ''; }

  /** The ws:/wss: URL of `relative` (resolved against this page), without query or fragment. */
  function wsUrl(relative) {
    var u = new URL(relative, window.location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.hash = '';
    u.search = '';
    return u.toString();
  }

  // ------------------------------------------------------------------ time

  function toDate(ts) { return new Date(typeof ts === 'number' && isFinite(ts) ? ts : Date.now()); }

  /** The time of day, with the date in front when it is not today. */
  function formatTime(ts) {
    var d = toDate(ts);
    var t = d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
    if (d.toDateString() === new Date().toDateString()) return t;
    return d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ', ' + t;
  }

  /** A <time> element showing formatTime(ts), with the full date and time as its title. */
  function timeEl(ts, cls) {
    var t = document.createElement('time');
    if (cls) t.className = cls;
    t.textContent = formatTime(ts);
    var d = toDate(ts);
    t.dateTime = d.toISOString();
    t.title = d.toLocaleString();
    return t;
  }

  // ------------------------------------------------------------------ text

  /**
   * Appends text to node, turning http(s) URLs into links; never parses HTML.
   * makeLink(url) returns the link node, or null to leave that URL out.
   */
  function appendLinkified(node, text, makeLink) {
    var re = /\bhttps?:\/\/[^\s<>"']+/gi;
    var last = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      var url = m[0].replace(/[).,;:!?\]]+$/, '');
      if (!url) continue;
      var a = makeLink(url);
      if (!a) continue;
      if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
      node.appendChild(a);
      last = m.index + url.length;
      re.lastIndex = last;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  // ------------------------------------------------------------------ reconnecting

  /**
   * Reconnect timing: exponential backoff from minMs to maxMs with ±25 % jitter,
   * and a countdown that reports the whole seconds left every 250 ms.
   */
  function Backoff(minMs, maxMs) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.attempt = 0;      // reconnect attempts since the last success
    this.timer = null;     // set while a reconnect is scheduled
    this.countdown = null;
    this.at = 0;
  }

  /** Stops a scheduled reconnect and its countdown. */
  Backoff.prototype.cancel = function () {
    clearTimeout(this.timer);
    clearInterval(this.countdown);
    this.timer = null;
  };

  /** Runs fn after the next delay, calling onSeconds(secondsLeft) now and while it waits. */
  Backoff.prototype.schedule = function (fn, onSeconds) {
    clearTimeout(this.timer);
    clearInterval(this.countdown);
    var base = Math.min(this.maxMs, this.minMs * Math.pow(2, this.attempt));
    var delay = Math.min(this.maxMs, Math.round(base * (0.75 + Math.random() * 0.5)));
    this.attempt++;
    this.at = Date.now() + delay;
    var self = this;
    var tick = function () { onSeconds(Math.max(1, Math.ceil((self.at - Date.now()) / 1000))); };
    tick();
    this.countdown = setInterval(tick, 250);
    this.timer = setTimeout(fn, delay);
  };

  /**
   * Opens a WebSocket whose events reach `on` (open(sock), message(data),
   * close(event)) only while isCurrent(sock) holds; an error is always followed
   * by a close. Null when the URL is refused.
   */
  function openSocket(url, protocol, isCurrent, on) {
    var sock;
    try {
      sock = new WebSocket(url, protocol);
    } catch (e) {
      return null;
    }
    sock.onopen = function () {
      if (isCurrent(sock)) on.open(sock);
    };
    sock.onmessage = function (e) {
      if (isCurrent(sock)) on.message(e.data);
    };
    sock.onerror = function () { /* a close event follows */ };
    sock.onclose = function (e) {
      if (isCurrent(sock)) on.close(e);
    };
    return sock;
  }

  window.HandoverCommon = {
    byTestId: byTestId,
    str: str,
    wsUrl: wsUrl,
    toDate: toDate,
    formatTime: formatTime,
    timeEl: timeEl,
    appendLinkified: appendLinkified,
    Backoff: Backoff,
    openSocket: openSocket
  };
})();
