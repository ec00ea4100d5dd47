/*
 * handover-relay load generator: many WebSocket clients on one libwebsockets
 * service loop, driving handover.chat.v1 (and handover.copilot.v1 or
 * handover.stream.v1 subscribers) against the relay or against the reference
 * echo server.
 *
 *   loadgen --scenario idle|echo|handover|fanout|storm --target relay|reference
 *           --port P [options]            (see usage())
 *
 * Every message carries its intended send time (CLOCK_MONOTONIC ns, encoded
 * as letters, see ts_encode) in its text and in its id, so latency is measured
 * from inside the message. Results go to stdout as JSON lines:
 *   {"event":"ready",...}   all sessions established (idle: sample RSS now)
 *   {"event":"live",...}    stream subscribers: all replays reached "live"
 *   {"event":"result",...}  the figures, once, at the end
 * Progress goes to stderr.
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct lws_context *g_ctx;

/* ------------------------------------------------------------------ utils */

uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void ts_encode(char out[17], uint64_t ts)
{
	for (int i = 15; i >= 0; i--) {
		out[i] = (char)('a' + (ts & 15));
		ts >>= 4;
	}
	out[16] = '\0';
}

static int ts_decode(const char *p, size_t n, uint64_t *ts)
{
	if (n < 16)
		return 0;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		if (p[i] < 'a' || p[i] > 'p')
			return 0;
		v = (v << 4) | (uint64_t)(p[i] - 'a');
	}
	*ts = v;
	return 1;
}

int ts_find(const char *s, size_t n, uint64_t *ts)
{
	const char *p = memmem(s, n, "T:", 2);
	while (p) {
		size_t off = (size_t)(p - s) + 2;
		if (ts_decode(p + 2, n - off, ts))
			return 1;
		p = memmem(p + 2, n - off, "T:", 2);
	}
	return 0;
}

static const char *json_value_at(const char *s, size_t n, const char *key, int last)
{
	char pat[64];
	int pl = snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *found = NULL, *p = s;
	size_t rest = n;
	while ((p = memmem(p, rest, pat, (size_t)pl))) {
		const char *q = p + pl;
		while (q < s + n && (*q == ' ' || *q == '\t'))
			q++;
		if (q < s + n && *q == ':') {
			q++;
			while (q < s + n && (*q == ' ' || *q == '\t'))
				q++;
			found = q;
			if (!last)
				break;
		}
		p += pl;
		rest = n - (size_t)(p - s);
	}
	return found;
}

static int json_str_impl(const char *s, size_t n, const char *key, char *out, size_t outsz, int last)
{
	const char *v = json_value_at(s, n, key, last);
	if (!v || v >= s + n || *v != '"')
		return -1;
	v++;
	size_t i = 0;
	while (v < s + n && *v != '"') {
		if (*v == '\\' && v + 1 < s + n)
			v++;
		if (i + 1 < outsz)
			out[i++] = *v;
		v++;
	}
	out[i] = '\0';
	return (int)i;
}

int json_str(const char *s, size_t n, const char *key, char *out, size_t outsz)
{
	return json_str_impl(s, n, key, out, outsz, 0);
}

int json_int(const char *s, size_t n, const char *key, long long *v)
{
	const char *p = json_value_at(s, n, key, 0);
	if (!p || p >= s + n || (*p != '-' && (*p < '0' || *p > '9')))
		return -1;
	*v = strtoll(p, NULL, 10);
	return 0;
}

/* ---------------------------------------------------------------- options */

enum scenario { SC_IDLE, SC_ECHO, SC_HANDOVER, SC_FANOUT, SC_STORM };
static const char *scenario_names[] = { "idle", "echo", "handover", "fanout", "storm" };

static struct {
	const char *host;
	int port;
	const char *chat_path, *copilot_path;
	enum scenario scenario;
	int relay;                 /* target: 1 relay, 0 reference echo server */
	int conns;                 /* chat sessions (fanout: 1 publisher) */
	int subs;                  /* fanout: copilot subscribers */
	double rate;               /* offered messages/s over all senders (0: closed loop) */
	int window;                /* closed loop: messages outstanding per session */
	double warmup, duration, hold, drain, timeout;
	int connect_concurrency;
	double connect_rate;       /* new connections per second (0: unlimited) */
	int msg_bytes;
	const char *local_addrs;   /* comma list of source addresses (> 28k connections) */
	struct upstream_opts up;
	double agent_rate;
	int verbose;
	int use_ev;                /* libev event loop (epoll) instead of lws's poll() loop */
	int no_hello;              /* idle: hold bare WebSocket connections, no session */
	int sub_stream;            /* fanout subscribers speak handover.stream.v1 instead of copilot */
	const char *stream_path, *stream_token;
	int stream_from_start;     /* "from":"start" (replay everything) instead of "now" */
	int stream_filter;         /* 1: filter.sessions = the publisher's session; 0: no filter; -1: auto */
} O = {
	.host = "127.0.0.1", .chat_path = "/ws/chat", .copilot_path = "/ws/copilot",
	.scenario = SC_ECHO, .relay = 1, .conns = 1000, .subs = 1000, .window = 1,
	.warmup = 2, .duration = 10, .hold = 5, .drain = 5, .timeout = 180,
	.connect_concurrency = 256, .msg_bytes = 120,
	.use_ev = 1,
	.stream_path = "/ws/stream", .stream_token = "none", .stream_filter = -1,
	.up = { .mode = UP_NONE, .relay_host = "127.0.0.1", .http_conns = 8, .webhook_delay_ms = 20 },
};

/* ------------------------------------------------------------ connections */

enum kind { K_CHAT, K_SUB };
enum cstate { S_IDLE, S_QUEUED, S_CONNECTING, S_OPEN, S_READY, S_DROPPED, S_FAILED };

#define C_HELLO 1u
#define C_SUBSCRIBE 2u
#define C_REQ_HANDOVER 4u
#define C_P2 8u

#define F_AWAIT_GREETING 1u
#define F_HANDOVER 2u
#define F_DROP_AFTER_P2 4u
#define F_RESUMING 8u
#define F_CAUGHT_UP 16u
#define F_P2_ACKED 32u
#define F_EVER_READY 64u
#define F_LIVE 128u /* stream subscriber: got "live" (end of the replay) */

#define RING 64u /* power of two: per-session pipeline of outstanding messages */

typedef struct conn {
	struct lws *wsi;
	uint32_t idx;
	uint8_t kind, state, ctrl, flags;
	uint16_t attempts;
	uint64_t not_before;
	uint64_t t_connect;
	char *sid, *token;
	long long last_seq, target_seq;
	long long p2_seq, p2_ack_seq;
	uint16_t p2_seen;
	uint32_t msg_no;
	uint32_t head, sent, tail; /* ring indices: head = oldest unanswered, sent = next to write */
	uint64_t *ring;
	char *rx;
	uint32_t rxlen, rxcap;
	uint32_t rxtotal;
	uint64_t t_subscribe;      /* stream subscriber: when the subscribe frame was written */
	uint64_t ev_bytes;         /* stream subscriber: bytes of event frames received */
	uint32_t ev_count;         /* stream subscriber: event frames received */
} conn_t;

static conn_t *conns;
static int nconns;          /* chat + subscribers */
static int nchat;

/* connect queue (each conn at most once) */
static int *cq;
static int cq_head, cq_tail, cq_cap;
static int inflight;

/* counters over the whole run */
static struct {
	long established, connect_errors, ready_chat, ready_subs, open_now, peak_open;
	long closed_unexpected, dropped, handover_active, handover_failed, handover_queued;
	long errors, dups, gaps, unmatched, mismatched_ts;
	long caught_up, p2_acked;
	/* stream subscribers */
	long live_subs, live_events, live_events_max, stream_disorder, stream_positions, stream_closed;
	long long live_bytes, last_offset_at_subscribe;
	uint64_t t_first_subscribe, t_last_live;
} g;

/* counters of the measurement window */
static struct {
	long sent, replies, replies_in_window, acks, agent_rx, agent_rx_in_window, skipped;
	long sub_frames, sub_frames_in_window, sub_bytes_in_window, sub_marked;
} m;

static hist_t h_reply, h_ack, h_a2u, h_fan, h_resume, h_ready, h_lag, h_live;

enum phase { PH_CONNECT, PH_SETUP, PH_SUBS, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_HOLD,
	     PH_PRE, PH_DROP, PH_RECONNECT, PH_DONE };
static const char *phase_names[] = { "connect", "setup", "subscribe", "warmup", "measure", "drain",
				     "hold", "pre", "drop", "reconnect", "done" };
static enum phase phase;
static uint64_t t_start, phase_t0, phase_deadline, measure_t0, measure_t1, t_ready, t_storm;
static uint64_t t_all_caught_up, t_all_acked;
static int loading;                 /* senders may queue messages */
static conn_t **senders;
static int nsenders;
static uint64_t pace_t0, pace_count, pace_rr;
static volatile sig_atomic_t interrupted;
static int finished;
static char timeout_note[128];
static struct rusage ru_m0, ru_m1;
static unsigned char wbuf[LWS_PRE + 70000];
static int error_prints;

static double secs(uint64_t ns) { return (double)ns / 1e9; }

static void set_phase(enum phase p, uint64_t now, double deadline_s)
{
	phase = p;
	phase_t0 = now;
	phase_deadline = deadline_s > 0 ? now + (uint64_t)(deadline_s * 1e9) : 0;
	if (O.verbose)
		fprintf(stderr, "[loadgen] %.2fs phase %s\n", secs(now - t_start), phase_names[p]);
}

static void queue_connect(conn_t *c, uint64_t not_before)
{
	if (c->state == S_QUEUED)
		return;
	c->state = S_QUEUED;
	c->not_before = not_before;
	cq[cq_tail] = (int)c->idx;
	cq_tail = (cq_tail + 1) % cq_cap;
}

static const char *local_addr_for(uint32_t idx)
{
	static char *addrs[64];
	static int naddrs = -1;
	if (naddrs < 0) {
		naddrs = 0;
		if (O.local_addrs) {
			char *dup = strdup(O.local_addrs), *save = NULL;
			for (char *t = strtok_r(dup, ",", &save); t && naddrs < 64; t = strtok_r(NULL, ",", &save))
				addrs[naddrs++] = t;
		}
	}
	return naddrs ? addrs[idx % (uint32_t)naddrs] : NULL;
}

static void connect_failed(conn_t *c, const char *why, uint64_t now)
{
	if (c->state == S_CONNECTING)
		inflight--;
	c->wsi = NULL;
	g.connect_errors++;
	if (error_prints < 5) {
		error_prints++;
		fprintf(stderr, "[loadgen] connect #%u failed: %s\n", c->idx, why ? why : "?");
	}
	if (++c->attempts < 8) {
		c->state = S_IDLE;
		queue_connect(c, now + 50000000ull * c->attempts);
	} else {
		c->state = S_FAILED;
	}
}

/* No lws "validity" (idle ping/hangup) timer per connection: lws keeps every
 * timer in one sorted list, so with tens of thousands of connections each
 * insertion walks the list and the load generator would measure itself. */
static const lws_retry_bo_t no_validity = { .secs_since_valid_ping = 0, .secs_since_valid_hangup = 0 };

static void connect_one(conn_t *c, uint64_t now)
{
	struct lws_client_connect_info i;
	memset(&i, 0, sizeof i);
	i.context = g_ctx;
	i.address = O.host;
	i.port = O.port;
	i.path = c->kind == K_CHAT ? O.chat_path : O.sub_stream ? O.stream_path : O.copilot_path;
	i.host = O.host;
	i.origin = O.host;
	i.protocol = c->kind == K_CHAT ? "handover.chat.v1" : O.sub_stream ? "handover.stream.v1" : "handover.copilot.v1";
	i.local_protocol_name = "bench-ws";
	i.opaque_user_data = c;
	i.pwsi = &c->wsi;
	i.iface = local_addr_for(c->idx);
	i.retry_and_idle_policy = &no_validity;
	c->state = S_CONNECTING;
	c->t_connect = now;
	c->rxlen = 0;
	inflight++;
	if (!lws_client_connect_via_info(&i) && c->state == S_CONNECTING)
		connect_failed(c, "lws_client_connect_via_info failed", now);
}

static void pump_connects(uint64_t now)
{
	static uint64_t last_refill;
	static double tokens;
	if (O.connect_rate > 0) {
		if (!last_refill)
			last_refill = now;
		tokens += secs(now - last_refill) * O.connect_rate;
		if (tokens > O.connect_rate / 10 + 1)
			tokens = O.connect_rate / 10 + 1;
		last_refill = now;
	}
	int budget = cq_cap; /* delayed entries go back to the tail once each */
	while (cq_head != cq_tail && inflight < O.connect_concurrency && budget-- > 0) {
		if (O.connect_rate > 0 && tokens < 1)
			break;
		conn_t *c = &conns[cq[cq_head]];
		cq_head = (cq_head + 1) % cq_cap;
		if (c->not_before > now) {
			c->state = S_IDLE;
			queue_connect(c, c->not_before);
			continue;
		}
		if (O.connect_rate > 0)
			tokens -= 1;
		connect_one(c, now);
	}
}

/* ---------------------------------------------------------------- sending */

static uint32_t outstanding(const conn_t *c) { return c->tail - c->head; }

static void push_message(conn_t *c, uint64_t intended)
{
	if (!c->ring)
		c->ring = calloc(RING, sizeof(uint64_t));
	c->ring[c->tail++ & (RING - 1)] = intended;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

static void fill_window(conn_t *c, uint64_t now)
{
	if (!loading || O.rate > 0 || c->state != S_READY || c->kind != K_CHAT)
		return;
	if (O.scenario == SC_FANOUT && c->idx != 0)
		return;
	if (O.scenario == SC_HANDOVER && O.relay && !(c->flags & F_HANDOVER))
		return;
	while (outstanding(c) < (uint32_t)O.window && outstanding(c) < RING)
		push_message(c, now);
}

static void pace(uint64_t now)
{
	if (!loading || O.rate <= 0 || !nsenders)
		return;
	uint64_t due = (uint64_t)((double)(now - pace_t0) * O.rate / 1e9);
	int budget = 200000;
	while (pace_count < due && budget-- > 0) {
		/* The message's clock starts when the pacer queues it: the pacer's own timer
		 * (libev over epoll wakes up to ~1 ms late) is not the server's fault. How late
		 * the pacer ran is kept apart (pacer_lag), so a saturated load generator shows. */
		uint64_t scheduled = pace_t0 + (uint64_t)((double)pace_count * 1e9 / O.rate);
		conn_t *c = senders[pace_rr++ % (uint64_t)nsenders];
		pace_count++;
		if (phase == PH_MEASURE)
			hist_record(&h_lag, now > scheduled ? now - scheduled : 0);
		if (c->state != S_READY || outstanding(c) >= RING) {
			if (phase == PH_MEASURE)
				m.skipped++;
			continue;
		}
		push_message(c, now);
	}
}

static int in_window(uint64_t ts) { return measure_t0 && ts >= measure_t0 && (!measure_t1 || ts < measure_t1); }

/* Fills wbuf + LWS_PRE with the next frame to write on c; returns its length, 0 if nothing. */
static int next_frame(conn_t *c, int *drop_after)
{
	char *o = (char *)wbuf + LWS_PRE;
	size_t cap = sizeof wbuf - LWS_PRE;
	char t[17];
	*drop_after = 0;
	if (c->ctrl & C_HELLO) {
		c->ctrl &= ~C_HELLO;
		if (c->sid && c->token)
			return snprintf(o, cap, "{\"type\":\"hello\",\"user\":{\"name\":\"bench %u\"},\"sessionId\":\"%s\","
					"\"resumeToken\":\"%s\",\"lastSeq\":%lld}", c->idx, c->sid, c->token, c->last_seq);
		return snprintf(o, cap, "{\"type\":\"hello\",\"user\":{\"name\":\"bench %u\"}}", c->idx);
	}
	if (c->ctrl & C_SUBSCRIBE) {
		c->ctrl &= ~C_SUBSCRIBE;
		if (O.sub_stream) {
			/* handover.stream.v1: the publisher's session only (fan-out), or the whole log (replay). */
			char filter[200] = "";
			if (O.stream_filter && nchat > 0 && conns[0].sid)
				snprintf(filter, sizeof filter, ",\"filter\":{\"sessions\":[\"%s\"]}", conns[0].sid);
			c->t_subscribe = now_ns();
			if (!g.t_first_subscribe)
				g.t_first_subscribe = c->t_subscribe;
			return snprintf(o, cap, "{\"type\":\"subscribe\",\"token\":\"%s\"%s,\"from\":\"%s\"}", O.stream_token,
					filter, O.stream_from_start ? "start" : "now");
		}
		const char *sid = conns[0].sid ? conns[0].sid : "none";
		const char *tok = upstream_token_for(sid);
		return snprintf(o, cap, "{\"type\":\"subscribe\",\"sessionId\":\"%s\",\"token\":\"%s\"}", sid, tok ? tok : "none");
	}
	if (c->ctrl & C_REQ_HANDOVER) {
		c->ctrl &= ~C_REQ_HANDOVER;
		return snprintf(o, cap, "{\"type\":\"request_handover\"}");
	}
	if (c->ctrl & C_P2) {
		c->ctrl &= ~C_P2;
		ts_encode(t, now_ns());
		*drop_after = (c->flags & F_DROP_AFTER_P2) != 0;
		c->flags &= ~F_DROP_AFTER_P2;
		return snprintf(o, cap, "{\"type\":\"message\",\"id\":\"p2\",\"text\":\"storm T:%s\"}", t);
	}
	if (c->sent != c->tail) {
		uint64_t ts = c->ring[c->sent++ & (RING - 1)];
		ts_encode(t, ts);
		int n = snprintf(o, cap, "{\"type\":\"message\",\"id\":\"m%u.%s\",\"text\":\"bench T:%s ", c->msg_no++, t, t);
		int pad = O.msg_bytes - n - 2;
		if (pad > 0 && (size_t)(n + pad + 2) < cap) {
			memset(o + n, 'x', (size_t)pad);
			n += pad;
		}
		o[n++] = '"';
		o[n++] = '}';
		if (loading && phase == PH_MEASURE)
			m.sent++;
		return n;
	}
	return 0;
}

static int write_next(conn_t *c, struct lws *wsi)
{
	int drop_after;
	int n = next_frame(c, &drop_after);
	if (n <= 0)
		return 0;
	if (lws_write(wsi, wbuf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
		return -1;
	if (drop_after) {
		/* The storm: the connection drops right after the message left, with a
		 * TCP FIN but no WebSocket close handshake (like a client that vanishes).
		 * Without the handshake lws keeps no close timer per socket either. */
		shutdown(lws_get_socket_fd(wsi), SHUT_WR);
		return -1;
	}
	if (c->ctrl || c->sent != c->tail)
		lws_callback_on_writable(wsi);
	return 0;
}

/* -------------------------------------------------------------- receiving */

static void on_ready(conn_t *c, uint64_t now)
{
	if (c->state == S_READY)
		return;
	c->state = S_READY;
	if (!(c->flags & F_EVER_READY)) {
		c->flags |= F_EVER_READY;
		if (c->kind == K_CHAT)
			g.ready_chat++;
		else
			g.ready_subs++;
		hist_record(&h_ready, now - c->t_connect);
	}
	fill_window(c, now);
}

static void pop_reply(conn_t *c, const char *s, size_t n, uint64_t now)
{
	if (c->head == c->tail) {
		if (loading || phase == PH_DRAIN)
			g.unmatched++;
		return;
	}
	uint64_t intended = c->ring[c->head++ & (RING - 1)];
	uint64_t echoed;
	if (ts_find(s, n, &echoed) && echoed != intended && !O.relay)
		g.mismatched_ts++;
	if (phase == PH_MEASURE)
		m.replies_in_window++;
	if (in_window(intended)) {
		m.replies++;
		hist_record(&h_reply, now - intended);
	}
	fill_window(c, now);
}

static void on_caught_up(conn_t *c, uint64_t now)
{
	if (c->flags & F_CAUGHT_UP)
		return;
	c->flags |= F_CAUGHT_UP;
	c->state = S_READY;
	g.caught_up++;
	hist_record(&h_resume, now - t_storm);
	if (g.caught_up == nchat)
		t_all_caught_up = now;
	if (O.relay) {
		c->ctrl |= C_P2; /* the client cannot know whether p2 arrived: it sends it again */
		lws_callback_on_writable(c->wsi);
	}
}

static void track_seq(conn_t *c, long long seq)
{
	if (seq <= c->last_seq)
		g.dups++;
	else if (seq > c->last_seq + 1)
		g.gaps += seq - c->last_seq - 1;
	if (seq > c->last_seq)
		c->last_seq = seq;
}

static void handle_chat_frame(conn_t *c, const char *s, size_t n, uint64_t now)
{
	char type[24], buf[160];
	if (json_str_impl(s, n, "type", type, sizeof type, 1) < 0)
		type[0] = '\0';
	long long seq = 0;

	if (!strcmp(type, "welcome")) {
		long long last = 0;
		json_int(s, n, "lastSeq", &last);
		if (!c->sid && json_str(s, n, "sessionId", buf, sizeof buf) > 0)
			c->sid = strdup(buf);
		if (!c->token && json_str(s, n, "resumeToken", buf, sizeof buf) > 0)
			c->token = strdup(buf);
		if (memmem(s, n, "\"resumed\":true", 14)) {
			c->target_seq = last;
			c->flags |= F_RESUMING;
			if (c->last_seq >= c->target_seq)
				on_caught_up(c, now);
		} else {
			c->flags |= F_AWAIT_GREETING;
		}
		return;
	}
	if (!strcmp(type, "hello")) { /* reference: the echo of our hello */
		if (phase == PH_RECONNECT)
			on_caught_up(c, now);
		else
			on_ready(c, now);
		return;
	}
	if (!strcmp(type, "message")) {
		int has_seq = json_int(s, n, "seq", &seq) == 0;
		char from[16];
		int has_from = json_str(s, n, "from", from, sizeof from) > 0;
		if (has_seq)
			track_seq(c, seq);
		if (!has_from) { /* reference echo of one of our messages */
			if (json_str(s, n, "id", buf, sizeof buf) > 0 && !strcmp(buf, "p2"))
				return;
			pop_reply(c, s, n, now);
		} else if (!strcmp(from, "bot")) {
			if (c->flags & F_AWAIT_GREETING) {
				c->flags &= ~F_AWAIT_GREETING;
				on_ready(c, now);
			} else if (!(c->flags & F_HANDOVER)) {
				pop_reply(c, s, n, now);
			}
		} else if (!strcmp(from, "agent")) {
			uint64_t ts;
			if (phase == PH_MEASURE)
				m.agent_rx_in_window++;
			if (ts_find(s, n, &ts) && in_window(ts)) {
				m.agent_rx++;
				hist_record(&h_a2u, now - ts);
			}
		} else if (!strcmp(from, "user")) {
			if (json_str(s, n, "id", buf, sizeof buf) > 0 && !strcmp(buf, "p2")) {
				c->p2_seen++;
				c->p2_seq = seq;
			}
		}
		if ((c->flags & F_RESUMING) && c->last_seq >= c->target_seq)
			on_caught_up(c, now);
		return;
	}
	if (!strcmp(type, "ack")) {
		json_int(s, n, "seq", &seq);
		if (json_str(s, n, "id", buf, sizeof buf) <= 0)
			return;
		if (!strcmp(buf, "p2")) {
			c->p2_ack_seq = seq;
			if (!(c->flags & F_P2_ACKED) && (c->flags & F_CAUGHT_UP)) {
				c->flags |= F_P2_ACKED;
				if (++g.p2_acked == nchat)
					t_all_acked = now;
			}
			return;
		}
		char *dot = strchr(buf, '.');
		uint64_t ts;
		if (dot && ts_decode(dot + 1, strlen(dot + 1), &ts) && in_window(ts)) {
			m.acks++;
			hist_record(&h_ack, now - ts);
		}
		if (c->flags & F_HANDOVER)
			pop_reply(c, s, n, now);
		return;
	}
	if (!strcmp(type, "handover")) {
		json_int(s, n, "seq", &seq);
		track_seq(c, seq);
		if (json_str(s, n, "state", buf, sizeof buf) < 0)
			return;
		if (!strcmp(buf, "active")) {
			if (!(c->flags & F_HANDOVER)) {
				c->flags |= F_HANDOVER;
				g.handover_active++;
				fill_window(c, now);
			}
		} else if (!strcmp(buf, "queued")) {
			g.handover_queued++;
		} else if (!strcmp(buf, "failed") || !strcmp(buf, "ended") || !strcmp(buf, "cancelled")) {
			if (c->flags & F_HANDOVER)
				g.handover_active--;
			c->flags &= ~F_HANDOVER;
			g.handover_failed++;
			if (error_prints++ < 5)
				fprintf(stderr, "[loadgen] handover ended: %.*s\n", (int)(n > 300 ? 300 : n), s);
		}
		if ((c->flags & F_RESUMING) && c->last_seq >= c->target_seq)
			on_caught_up(c, now);
		return;
	}
	if (!strcmp(type, "typing"))
		return;
	g.errors++;
	if (error_prints++ < 5)
		fprintf(stderr, "[loadgen] #%u got: %.*s\n", c->idx, (int)(n > 300 ? 300 : n), s);
}

static long subs_failed(void)
{
	long n = 0;
	for (int i = nchat; i < nconns; i++)
		n += conns[i].state == S_FAILED;
	return n;
}

/* handover.stream.v1: "subscribed", then "event" frames (replay), "live", then live "event"s.
 * The reference echo server replays synthetic events the same way and copies chat messages. */
static void handle_stream_frame(conn_t *c, const char *s, size_t n, size_t total, const char *type, uint64_t now)
{
	long long v;
	if (!strcmp(type, "event") || !strcmp(type, "message")) {
		if (json_int(s, n, "offset", &v) == 0) { /* strictly increasing within a subscription */
			if (c->last_seq && v <= c->last_seq)
				g.stream_disorder++;
			c->last_seq = v;
		}
		c->ev_count++;
		c->ev_bytes += total;
		return;
	}
	if (!strcmp(type, "subscribed")) {
		if (json_int(s, n, "lastOffset", &v) == 0 && v > g.last_offset_at_subscribe)
			g.last_offset_at_subscribe = v;
		return;
	}
	if (!strcmp(type, "live")) {
		if (c->flags & F_LIVE)
			return;
		c->flags |= F_LIVE;
		g.live_subs++;
		g.live_events += c->ev_count;
		g.live_bytes += (long long)c->ev_bytes;
		if (c->ev_count > g.live_events_max)
			g.live_events_max = c->ev_count;
		g.t_last_live = now;
		hist_record(&h_live, now - (c->t_subscribe ? c->t_subscribe : c->t_connect));
		return;
	}
	if (!strcmp(type, "position")) {
		g.stream_positions++;
		return;
	}
	if (!strcmp(type, "error")) {
		g.errors++;
		if (error_prints++ < 5)
			fprintf(stderr, "[loadgen] stream subscriber #%u: %.*s\n", c->idx, (int)(n > 300 ? 300 : n), s);
		return;
	}
	g.errors++;
	if (error_prints++ < 5)
		fprintf(stderr, "[loadgen] stream subscriber #%u got: %.*s\n", c->idx, (int)(n > 300 ? 300 : n), s);
}

static void handle_sub_frame(conn_t *c, const char *s, size_t n, size_t total, uint64_t now)
{
	char type[24];
	/* The last "type" is the frame's own: the relay sorts keys, so a nested "event":{"type":…} comes first. */
	if (json_str_impl(s, n, "type", type, sizeof type, 1) < 0)
		type[0] = '\0';
	if (O.sub_stream) {
		if (c->state != S_READY && strcmp(type, "error"))
			on_ready(c, now);
		handle_stream_frame(c, s, n, total, type, now);
		m.sub_frames++;
		if (phase == PH_MEASURE) {
			m.sub_frames_in_window++;
			m.sub_bytes_in_window += (long)total;
		}
		uint64_t ts;
		if ((!strcmp(type, "event") || !strcmp(type, "message")) && ts_find(s, n, &ts) && in_window(ts)) {
			m.sub_marked++;
			hist_record(&h_fan, now - ts);
		}
		return;
	}
	if (c->state != S_READY) {
		if (!strcmp(type, "error")) {
			g.errors++;
			if (error_prints++ < 5)
				fprintf(stderr, "[loadgen] subscriber #%u: %.*s\n", c->idx, (int)(n > 300 ? 300 : n), s);
			return;
		}
		on_ready(c, now);
	}
	m.sub_frames++;
	if (phase == PH_MEASURE) {
		m.sub_frames_in_window++;
		m.sub_bytes_in_window += (long)total;
	}
	uint64_t ts;
	if ((!strcmp(type, "transcript") || !strcmp(type, "message")) && ts_find(s, n, &ts) && in_window(ts)) {
		m.sub_marked++;
		hist_record(&h_fan, now - ts);
	}
}

static void receive(conn_t *c, struct lws *wsi, const char *in, size_t len, uint64_t now)
{
	int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
	const char *s = in;
	size_t n = len;
	c->rxtotal += (uint32_t)len;
	if (!final || c->rxlen) {
		/* Reassemble up to 64 KiB; beyond that only the head is kept (enough for type and marker). */
		if (c->rxlen + len > c->rxcap && c->rxcap < 65536) {
			uint32_t want = c->rxlen + (uint32_t)len;
			c->rxcap = want > 65536 ? 65536 : want;
			c->rx = realloc(c->rx, c->rxcap);
		}
		size_t take = c->rxcap - c->rxlen < len ? c->rxcap - c->rxlen : len;
		memcpy(c->rx + c->rxlen, in, take);
		c->rxlen += (uint32_t)take;
		if (!final)
			return;
		s = c->rx;
		n = c->rxlen;
	}
	size_t total = c->rxtotal;
	c->rxtotal = 0;
	if (c->kind == K_CHAT)
		handle_chat_frame(c, s, n, now);
	else
		handle_sub_frame(c, s, n, total, now);
	c->rxlen = 0;
	if (c->rxcap > 4096) {
		free(c->rx);
		c->rx = NULL;
		c->rxcap = 0;
	}
}

static int callback_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	conn_t *c = (conn_t *)lws_get_opaque_user_data(wsi);
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c && c->state == S_CONNECTING && (c->wsi == wsi || !c->wsi))
			connect_failed(c, in ? (const char *)in : "connection error", now_ns());
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!c)
			return -1;
		inflight--;
		g.established++;
		if (++g.open_now > g.peak_open)
			g.peak_open = g.open_now;
		c->wsi = wsi;
		c->state = S_OPEN;
		if (O.no_hello && c->kind == K_CHAT) {
			on_ready(c, now_ns());
		} else {
			c->ctrl |= c->kind == K_CHAT ? C_HELLO : C_SUBSCRIBE;
			lws_callback_on_writable(wsi);
		}
		pump_connects(now_ns());
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c && c->wsi == wsi) {
			uint64_t now = now_ns();
			receive(c, wsi, (const char *)in, len, now);
			pace(now); /* finer than the 1 ms tick when traffic is flowing */
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c && c->wsi == wsi)
			return write_next(c, wsi);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!c || c->wsi != wsi)
			break;
		g.open_now--;
		c->wsi = NULL;
		if (phase == PH_DROP || phase == PH_PRE) {
			c->state = S_DROPPED;
			g.dropped++;
		} else if (!finished) {
			g.closed_unexpected++;
			if (c->kind == K_SUB && O.sub_stream)
				g.stream_closed++; /* refused, or too_slow (4429) */
			if (error_prints++ < 5)
				fprintf(stderr, "[loadgen] #%u closed by the server\n", c->idx);
			c->state = S_FAILED;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* ----------------------------------------------------------------- phases */

static void start_load(uint64_t now)
{
	nsenders = 0;
	for (int i = 0; i < nchat; i++) {
		conn_t *c = &conns[i];
		if (c->state != S_READY)
			continue;
		if (O.scenario == SC_FANOUT && i != 0)
			continue;
		if (O.scenario == SC_HANDOVER && O.relay && !(c->flags & F_HANDOVER))
			continue;
		senders[nsenders++] = c;
	}
	loading = 1;
	pace_t0 = now;
	pace_count = 0;
	for (int i = 0; i < nsenders; i++)
		fill_window(senders[i], now);
	if (O.scenario == SC_HANDOVER && O.relay && O.agent_rate > 0)
		upstream_agent_start(O.agent_rate, now);
	set_phase(PH_WARMUP, now, O.warmup);
}

static void begin_measure(uint64_t now)
{
	memset(&m, 0, sizeof m);
	hist_reset(&h_reply);
	hist_reset(&h_ack);
	hist_reset(&h_a2u);
	hist_reset(&h_fan);
	hist_reset(&h_lag);
	hist_reset(&h_u2a);
	hist_reset(&h_http);
	upstream_reset_stats();
	measure_t0 = now;
	measure_t1 = 0;
	getrusage(RUSAGE_SELF, &ru_m0);
	set_phase(PH_MEASURE, now, O.duration);
	printf("{\"event\":\"measure\",\"t\":%.3f}\n", secs(now - t_start));
	fflush(stdout);
}

static void end_measure(uint64_t now)
{
	measure_t1 = now;
	loading = 0;
	upstream_agent_stop();
	getrusage(RUSAGE_SELF, &ru_m1);
	printf("{\"event\":\"measured\",\"t\":%.3f}\n", secs(now - t_start));
	fflush(stdout);
	set_phase(PH_DRAIN, now, O.drain);
}

static long total_outstanding(void)
{
	long n = 0;
	for (int i = 0; i < nchat; i++)
		n += outstanding(&conns[i]);
	return n;
}

static void emit_ready(uint64_t now)
{
	t_ready = now;
	printf("{\"event\":\"ready\",\"t\":%.3f,\"sessions\":%ld,\"subscribers\":%ld,\"open\":%ld}\n",
	       secs(now - t_start), g.ready_chat, g.ready_subs, g.open_now);
	fflush(stdout);
}

/* A replay from the start of a big log may take a while: stream subscribers may use the whole run. */
static double subs_deadline(void) { return O.sub_stream && O.stream_from_start && O.timeout > 70 ? O.timeout - 10 : 60; }

static void emit_live(uint64_t now)
{
	double replay = g.t_last_live > g.t_first_subscribe && g.t_first_subscribe ? secs(g.t_last_live - g.t_first_subscribe) : 0;
	printf("{\"event\":\"live\",\"t\":%.3f,\"subscribers\":%ld,\"live\":%ld,\"events_before_live\":%ld,"
	       "\"replay_s\":%.3f,\"subscribe_to_live_p50_ms\":%.3f,\"subscribe_to_live_max_ms\":%.3f}\n",
	       secs(now - t_start), g.ready_subs, g.live_subs, g.live_events, replay,
	       h_live.total ? (double)hist_quantile(&h_live, 0.5) / 1e6 : -1.0, h_live.total ? (double)h_live.max / 1e6 : -1.0);
	fflush(stdout);
}

static void after_connect(uint64_t now)
{
	emit_ready(now);
	switch (O.scenario) {
	case SC_IDLE:
		set_phase(PH_HOLD, now, O.hold);
		break;
	case SC_ECHO:
		start_load(now);
		break;
	case SC_HANDOVER:
	case SC_FANOUT:
		/* Stream subscribers need no handover: without a fake 8x8 the publisher chats with the bot. */
		if (O.scenario == SC_FANOUT && O.relay && O.sub_stream && (O.up.mode == UP_NONE || nchat == 0))
			goto subs;
		if (!O.relay) {
			if (O.scenario == SC_FANOUT)
				goto subs;
			start_load(now);
			break;
		}
		for (int i = 0; i < nchat; i++)
			if (conns[i].state == S_READY) {
				conns[i].ctrl |= C_REQ_HANDOVER;
				lws_callback_on_writable(conns[i].wsi);
			}
		set_phase(PH_SETUP, now, 60);
		break;
	case SC_STORM:
		for (int i = 0; i < nchat; i++)
			if (conns[i].state == S_READY)
				push_message(&conns[i], now);
		set_phase(PH_PRE, now, 60);
		break;
	}
	return;
subs:
	for (int i = nchat; i < nconns; i++)
		queue_connect(&conns[i], 0);
	set_phase(PH_SUBS, now, subs_deadline());
}

static void finish(uint64_t now);

static void drive(uint64_t now)
{
	int late = phase_deadline && now > phase_deadline;
	if (late && phase != PH_WARMUP && phase != PH_MEASURE && phase != PH_HOLD && phase != PH_DRAIN && !timeout_note[0])
		snprintf(timeout_note, sizeof timeout_note, "phase %s timed out", phase_names[phase]);
	switch (phase) {
	case PH_CONNECT: {
		long failed = 0;
		for (int i = 0; i < nchat && g.ready_chat + failed < nchat; i++)
			failed += conns[i].state == S_FAILED;
		if (g.ready_chat + failed >= nchat || late)
			after_connect(now);
		break;
	}
	case PH_SETUP: {
		if (O.up.mode == UP_SIM)
			upstream_sim_accept_step(now);
		int done = g.handover_active >= g.ready_chat;
		if (O.scenario == SC_FANOUT)
			done = (conns[0].flags & F_HANDOVER) && conns[0].sid &&
			       (O.up.mode != UP_FAKE || upstream_token_for(conns[0].sid));
		if (late && O.verbose)
			for (int i = 0, shown = 0; i < nchat && shown < 5; i++)
				if (conns[i].state == S_READY && !(conns[i].flags & F_HANDOVER)) {
					shown++;
					fprintf(stderr, "[loadgen] #%d (%s) not in handover, last seq %lld, upstream token %s\n", i,
						conns[i].sid, conns[i].last_seq, upstream_token_for(conns[i].sid) ? "yes" : "no");
				}
		if (done || late) {
			printf("{\"event\":\"handover_active\",\"t\":%.3f,\"sessions\":%ld}\n", secs(now - t_start),
			       g.handover_active);
			fflush(stdout);
			if (O.scenario == SC_FANOUT) {
				for (int i = nchat; i < nconns; i++)
					queue_connect(&conns[i], 0);
				set_phase(PH_SUBS, now, subs_deadline());
			} else {
				start_load(now);
			}
		}
		break;
	}
	case PH_SUBS:
		/* Stream subscribers: wait for "live" too (the end of the replay; at once with from "now"). */
		if ((O.sub_stream ? g.live_subs + subs_failed() : g.ready_subs) >= O.subs || late) {
			printf("{\"event\":\"subscribed\",\"t\":%.3f,\"subscribers\":%ld}\n", secs(now - t_start), g.ready_subs);
			fflush(stdout);
			if (O.sub_stream)
				emit_live(now);
			start_load(now);
		}
		break;
	case PH_WARMUP:
		if (late)
			begin_measure(now);
		break;
	case PH_MEASURE:
		if (late)
			end_measure(now);
		break;
	case PH_DRAIN:
		if ((total_outstanding() == 0 && upstream_pending() == 0) || late)
			finish(now);
		break;
	case PH_HOLD:
		if (late)
			finish(now);
		break;
	case PH_PRE:
		if (total_outstanding() == 0 || late) {
			for (int i = 0; i < nchat; i++) {
				conn_t *c = &conns[i];
				if (c->state != S_READY)
					continue;
				c->ctrl |= C_P2;
				c->flags |= F_DROP_AFTER_P2;
				lws_callback_on_writable(c->wsi);
			}
			set_phase(PH_DROP, now, 30);
		}
		break;
	case PH_DROP:
		if (g.open_now == 0 || late) {
			t_storm = now;
			printf("{\"event\":\"dropped\",\"t\":%.3f,\"sessions\":%ld}\n", secs(now - t_start), g.dropped);
			fflush(stdout);
			for (int i = 0; i < nchat; i++) {
				conn_t *c = &conns[i];
				if (c->state != S_DROPPED)
					continue;
				c->attempts = 0;
				c->state = S_IDLE;
				queue_connect(c, 0);
			}
			pump_connects(now);
			set_phase(PH_RECONNECT, now, 60);
			measure_t0 = now; /* lets the orchestrator sample the server's CPU over the storm */
			getrusage(RUSAGE_SELF, &ru_m0);
			printf("{\"event\":\"measure\",\"t\":%.3f}\n", secs(now - t_start));
			fflush(stdout);
		}
		break;
	case PH_RECONNECT:
		if ((g.caught_up >= g.dropped && (!O.relay || g.p2_acked >= g.dropped)) || late)
			finish(now);
		break;
	case PH_DONE:
		break;
	}
}

static void tick(lws_sorted_usec_list_t *sul);
static lws_sorted_usec_list_t tick_sul;

static void tick(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	uint64_t now = now_ns();
	if (interrupted && !finished) {
		snprintf(timeout_note, sizeof timeout_note, "interrupted in phase %s", phase_names[phase]);
		finish(now);
	}
	if (!finished && now - t_start > (uint64_t)(O.timeout * 1e9)) {
		snprintf(timeout_note, sizeof timeout_note, "overall timeout in phase %s", phase_names[phase]);
		finish(now);
	}
	if (finished)
		return;
	pace(now);
	pump_connects(now);
	upstream_tick(now);
	drive(now);
	static uint64_t last_progress;
	if (now - last_progress > 2000000000ull) {
		last_progress = now;
		fprintf(stderr, "[loadgen] %.1fs %s: open %ld ready %ld+%ld inflight %d errors %ld sent %ld replies %ld\n",
			secs(now - t_start), phase_names[phase], g.open_now, g.ready_chat, g.ready_subs, inflight,
			g.connect_errors, m.sent, m.replies_in_window);
	}
	if (!finished)
		lws_sul_schedule(g_ctx, 0, &tick_sul, tick, 1000);
}

/* ----------------------------------------------------------------- output */

static double cpu_s(const struct rusage *r)
{
	return (double)r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
	       r->ru_stime.tv_usec / 1e6;
}

static void finish(uint64_t now)
{
	if (finished)
		return;
	finished = 1;
	if (phase == PH_MEASURE)
		end_measure(now);
	if (phase == PH_RECONNECT) {
		measure_t1 = now;
		getrusage(RUSAGE_SELF, &ru_m1);
		printf("{\"event\":\"measured\",\"t\":%.3f}\n", secs(now - t_start));
		fflush(stdout);
	}
	double window = measure_t1 > measure_t0 && measure_t0 ? secs(measure_t1 - measure_t0) : 0;
	long lost_sessions = 0, dup_sessions = 0;
	if (O.scenario == SC_STORM && O.relay) {
		for (int i = 0; i < nchat; i++) {
			conn_t *c = &conns[i];
			if (!(c->flags & F_EVER_READY))
				continue;
			int lost = c->last_seq < c->target_seq || c->p2_seen == 0 || !(c->flags & F_CAUGHT_UP);
			int dup = c->p2_seen > 1 || (c->p2_seen && c->p2_ack_seq && c->p2_ack_seq != c->p2_seq);
			lost_sessions += lost;
			dup_sessions += dup;
		}
	}
	FILE *f = stdout;
	fprintf(f, "{\"event\":\"result\",\"scenario\":\"%s\",\"target\":\"%s\",\"timeout\":\"%s\",",
		scenario_names[O.scenario], O.relay ? "relay" : "reference", timeout_note);
	fprintf(f, "\"elapsed_s\":%.3f,\"ready_after_s\":%.3f,", secs(now - t_start), t_ready ? secs(t_ready - t_start) : -1.0);
	fprintf(f, "\"connections\":{\"sessions_wanted\":%d,\"subscribers_wanted\":%d,\"established\":%ld,"
		   "\"sessions_ready\":%ld,\"subscribers_ready\":%ld,\"peak_open\":%ld,\"open_at_end\":%ld,"
		   "\"connect_errors\":%ld,\"closed_by_server\":%ld},",
		nchat, nconns - nchat, g.established, g.ready_chat, g.ready_subs, g.peak_open, g.open_now,
		g.connect_errors, g.closed_unexpected);
	fprintf(f, "\"protocol\":{\"errors\":%ld,\"seq_duplicates\":%ld,\"seq_gaps\":%ld,\"unmatched_replies\":%ld,"
		   "\"echo_mismatch\":%ld,\"handover_active\":%ld,\"handover_failed\":%ld},",
		g.errors, g.dups, g.gaps, g.unmatched, g.mismatched_ts, g.handover_active, g.handover_failed);
	fprintf(f, "\"window_s\":%.3f,\"offered_rate\":%.1f,\"window\":%d,\"senders\":%d,", window, O.rate,
		O.rate > 0 ? 0 : O.window, nsenders);
	fprintf(f, "\"messages\":{\"sent\":%ld,\"skipped\":%ld,\"replies\":%ld,\"replies_in_window\":%ld,"
		   "\"unanswered\":%ld,\"acks\":%ld,\"agent_received\":%ld,\"agent_received_in_window\":%ld,"
		   "\"sent_per_s\":%.1f,\"replies_per_s\":%.1f,\"agent_per_s\":%.1f},",
		m.sent, m.skipped, m.replies, m.replies_in_window, total_outstanding(), m.acks, m.agent_rx,
		m.agent_rx_in_window, window ? m.sent / window : 0, window ? m.replies_in_window / window : 0,
		window ? m.agent_rx_in_window / window : 0);
	fprintf(f, "\"fanout\":{\"frames_in_window\":%ld,\"bytes_in_window\":%ld,\"marked\":%ld,\"frames_per_s\":%.1f,"
		   "\"bytes_per_s\":%.1f},",
		m.sub_frames_in_window, m.sub_bytes_in_window, m.sub_marked,
		window ? m.sub_frames_in_window / window : 0, window ? m.sub_bytes_in_window / window : 0);
	fprintf(f, "\"storm\":{\"dropped\":%ld,\"resumed\":%ld,\"p2_acked\":%ld,\"all_resumed_s\":%.3f,"
		   "\"all_acked_s\":%.3f,\"lost_sessions\":%ld,\"duplicated_sessions\":%ld},",
		g.dropped, g.caught_up, g.p2_acked, t_all_caught_up ? secs(t_all_caught_up - t_storm) : -1.0,
		t_all_acked ? secs(t_all_acked - t_storm) : -1.0, lost_sessions, dup_sessions);
	double replay = g.t_last_live > g.t_first_subscribe && g.t_first_subscribe ? secs(g.t_last_live - g.t_first_subscribe) : 0;
	fprintf(f, "\"stream\":{\"protocol\":\"%s\",\"from\":\"%s\",\"subscribers_live\":%ld,\"events_before_live\":%ld,"
		   "\"events_before_live_max\":%ld,\"bytes_before_live\":%lld,\"replay_s\":%.3f,\"replay_events_per_s\":%.1f,"
		   "\"last_offset_at_subscribe\":%lld,\"out_of_order\":%ld,\"position_frames\":%ld,\"closed_by_server\":%ld},",
		O.scenario != SC_FANOUT ? "none" : O.sub_stream ? "stream" : "copilot", O.stream_from_start ? "start" : "now",
		g.live_subs, g.live_events, g.live_events_max, g.live_bytes, replay, replay > 0 ? g.live_events / replay : 0,
		g.last_offset_at_subscribe, g.stream_disorder, g.stream_positions, g.stream_closed);
	fprintf(f, "\"latency\":{\"reply\":");
	hist_json(f, &h_reply);
	fprintf(f, ",\"ack\":");
	hist_json(f, &h_ack);
	fprintf(f, ",\"agent_to_user\":");
	hist_json(f, &h_a2u);
	fprintf(f, ",\"user_to_8x8\":");
	hist_json(f, &h_u2a);
	fprintf(f, ",\"fanout\":");
	hist_json(f, &h_fan);
	fprintf(f, ",\"resume\":");
	hist_json(f, &h_resume);
	fprintf(f, ",\"subscribe_to_live\":");
	hist_json(f, &h_live);
	fprintf(f, ",\"connect_to_ready\":");
	hist_json(f, &h_ready);
	fprintf(f, ",\"pacer_lag\":");
	hist_json(f, &h_lag);
	fprintf(f, ",\"upstream_http\":");
	hist_json(f, &h_http);
	fprintf(f, "},\"upstream\":");
	upstream_json(f, window);
	double cpu = window ? cpu_s(&ru_m1) - cpu_s(&ru_m0) : 0;
	fprintf(f, ",\"loadgen_cpu_pct\":%.1f}\n", window ? 100.0 * cpu / window : 0);
	fflush(f);
	set_phase(PH_DONE, now, 0);
	/* With libev, lws_service() runs the loop until lws's SIGINT watcher breaks it. */
	if (O.use_ev)
		raise(SIGINT);
}

/* ------------------------------------------------------------------- main */

static const struct lws_protocols protocols_fake[] = {
	{ "fake-8x8", callback_fake_gateway, sizeof(struct fpss), 0, 0, NULL, 0 },
	{ "bench-ws", callback_ws, 0, 4096, 0, NULL, 0 },
	{ "bench-raw-http", callback_raw_http, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void on_signal(int sig)
{
	interrupted = 1;
	if (O.use_ev && sig != SIGINT)
		raise(SIGINT); /* libev's SIGINT watcher (installed by lws) stops the loop */
	else if (g_ctx)
		lws_cancel_service(g_ctx);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen --scenario idle|echo|handover|fanout|storm --target relay|reference --port P [options]\n"
		"  --host A            server address (127.0.0.1)\n"
		"  --conns N           chat sessions (1000; fanout: publisher is 1)\n"
		"  --subs N            fanout: copilot subscribers (1000)\n"
		"  --rate R            offered messages/s over all sessions (0 = closed loop with --window)\n"
		"  --window W          closed loop: messages outstanding per session (1, max 64)\n"
		"  --warmup S --duration S --drain S --hold S --timeout S\n"
		"  --msg-bytes B       size of a message frame (120)\n"
		"  --connect-concurrency C   handshakes in flight (256)   --connect-rate R  per second (0 = no limit)\n"
		"  --local-addrs A,B   spread source addresses (needed beyond ~28k connections)\n"
		"  --upstream fake|sim --fake-port P --http-conns K --agent-rate R   (handover, fanout)\n"
		"  --webhook-port P    the fake 8x8 posts its webhooks to this port (default --port): another relay node\n"
		"  --loop ev|poll      libev (epoll, default) or lws's own poll() loop\n"
		"  --no-hello          idle: hold bare WebSocket connections (no session), to separate lws's cost\n"
		"  --sub-protocol copilot|stream   fanout subscribers: handover.copilot.v1 (default) or handover.stream.v1\n"
		"  --stream-token T    stream:read token for the stream subscribers\n"
		"  --stream-from now|start   stream subscribers start at the end of the log (default) or replay all of it\n"
		"  --stream-filter session|none   filter.sessions = the publisher's session (default with from now) or none\n"
		"                      (with stream subscribers and no --upstream fake the publisher chats with the bot, no\n"
		"                      handover; fanout --conns 0: no publisher, subscribers only)\n"
		"  --verbose\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "scenario", 1, 0, 's' }, { "target", 1, 0, 't' }, { "host", 1, 0, 'H' }, { "port", 1, 0, 'p' },
		{ "conns", 1, 0, 'n' }, { "subs", 1, 0, 'S' }, { "rate", 1, 0, 'r' }, { "window", 1, 0, 'w' },
		{ "warmup", 1, 0, 'W' }, { "duration", 1, 0, 'd' }, { "drain", 1, 0, 'D' }, { "hold", 1, 0, 'h' },
		{ "timeout", 1, 0, 'T' }, { "msg-bytes", 1, 0, 'b' }, { "connect-concurrency", 1, 0, 'c' },
		{ "connect-rate", 1, 0, 'C' }, { "local-addrs", 1, 0, 'L' }, { "upstream", 1, 0, 'u' },
		{ "fake-port", 1, 0, 'f' }, { "http-conns", 1, 0, 'k' }, { "agent-rate", 1, 0, 'a' },
		{ "verbose", 0, 0, 'v' }, { "loop", 1, 0, 'l' }, { "no-hello", 0, 0, 'N' }, { "sub-protocol", 1, 0, 'P' },
		{ "stream-token", 1, 0, 'K' }, { "stream-from", 1, 0, 'F' }, { "stream-filter", 1, 0, 'G' },
		{ "webhook-port", 1, 0, 'X' }, { "help", 0, 0, '?' }, { 0, 0, 0, 0 }
	};
	int opt, webhook_port = 0;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			for (int i = 0; i < 5; i++)
				if (!strcmp(optarg, scenario_names[i]))
					O.scenario = (enum scenario)i;
			if (strcmp(optarg, scenario_names[O.scenario])) {
				usage();
				return 2;
			}
			break;
		case 't': O.relay = !strcmp(optarg, "relay"); break;
		case 'H': O.host = optarg; O.up.relay_host = optarg; break;
		case 'p': O.port = atoi(optarg); break;
		case 'n': O.conns = atoi(optarg); break;
		case 'S': O.subs = atoi(optarg); break;
		case 'r': O.rate = atof(optarg); break;
		case 'w': O.window = atoi(optarg); break;
		case 'W': O.warmup = atof(optarg); break;
		case 'd': O.duration = atof(optarg); break;
		case 'D': O.drain = atof(optarg); break;
		case 'h': O.hold = atof(optarg); break;
		case 'T': O.timeout = atof(optarg); break;
		case 'b': O.msg_bytes = atoi(optarg); break;
		case 'c': O.connect_concurrency = atoi(optarg); break;
		case 'C': O.connect_rate = atof(optarg); break;
		case 'L': O.local_addrs = optarg; break;
		case 'u': O.up.mode = !strcmp(optarg, "fake") ? UP_FAKE : !strcmp(optarg, "sim") ? UP_SIM : UP_NONE; break;
		case 'f': O.up.listen_port = atoi(optarg); break;
		case 'k': O.up.http_conns = atoi(optarg); break;
		case 'a': O.agent_rate = atof(optarg); break;
		case 'v': O.verbose = 1; break;
		case 'N': O.no_hello = 1; break;
		case 'l': O.use_ev = strcmp(optarg, "poll") != 0; break;
		case 'P': O.sub_stream = !strcmp(optarg, "stream"); break;
		case 'K': O.stream_token = optarg; break;
		case 'F': O.stream_from_start = !strcmp(optarg, "start"); break;
		case 'G': O.stream_filter = !strcmp(optarg, "session"); break;
		case 'X': webhook_port = atoi(optarg); break;
		default: usage(); return 2;
		}
	}
	if (!O.port) {
		usage();
		return 2;
	}
	if (O.window < 1)
		O.window = 1;
	if (O.window > (int)RING)
		O.window = RING;
	if (!O.relay)
		O.up.mode = UP_NONE;
	if (O.stream_filter < 0)
		O.stream_filter = !O.stream_from_start;
	if (O.up.mode == UP_FAKE && !O.up.listen_port) {
		fprintf(stderr, "--upstream fake needs --fake-port\n");
		return 2;
	}
	O.up.relay_port = webhook_port ? webhook_port : O.port;

	/* As many descriptors as the hard limit allows; lws sizes its fd table from this. */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);

	nchat = O.scenario == SC_FANOUT ? (O.conns > 0 ? 1 : 0) : O.conns; /* fanout --conns 0: subscribers only */
	nconns = nchat + (O.scenario == SC_FANOUT ? O.subs : 0);
	if ((rlim_t)nconns + 64 > rl.rlim_cur) {
		fprintf(stderr, "[loadgen] %d connections need more descriptors than RLIMIT_NOFILE allows (%llu)\n", nconns,
			(unsigned long long)rl.rlim_cur);
		printf("{\"event\":\"result\",\"scenario\":\"%s\",\"target\":\"%s\",\"timeout\":\"fd limit %llu too low for %d connections\"}\n",
		       scenario_names[O.scenario], O.relay ? "relay" : "reference", (unsigned long long)rl.rlim_cur, nconns);
		return 3;
	}

	if (!O.use_ev)
		signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lws_set_log_level(getenv("LOADGEN_LWS_DEBUG") ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO : LLL_ERR, NULL);

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = O.up.mode == UP_FAKE ? O.up.listen_port : CONTEXT_PORT_NO_LISTEN;
	info.iface = O.up.mode == UP_FAKE ? "127.0.0.1" : NULL;
	info.protocols = protocols_fake;
	info.timeout_secs = 30;
	info.connect_timeout_secs = 30;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | (O.use_ev ? LWS_SERVER_OPTION_LIBEV : 0);
	g_ctx = lws_create_context(&info);
	if (!g_ctx && O.use_ev) { /* no libev plugin (libwebsockets-evlib-ev): lws's own poll() loop */
		fprintf(stderr, "[loadgen] libev event loop unavailable; using poll()\n");
		O.use_ev = 0;
		signal(SIGINT, on_signal);
		info.options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
		g_ctx = lws_create_context(&info);
	}
	if (!g_ctx) {
		fprintf(stderr, "[loadgen] lws_create_context failed (port %d in use?)\n", info.port);
		return 1;
	}

	conns = calloc((size_t)nconns, sizeof(conn_t));
	senders = calloc((size_t)nconns, sizeof(conn_t *));
	cq_cap = nconns + 1;
	cq = calloc((size_t)cq_cap, sizeof(int));
	for (int i = 0; i < nconns; i++) {
		conns[i].idx = (uint32_t)i;
		conns[i].kind = i < nchat ? K_CHAT : K_SUB;
	}
	hist_reset(&h_reply); hist_reset(&h_ack); hist_reset(&h_a2u); hist_reset(&h_fan);
	hist_reset(&h_resume); hist_reset(&h_ready); hist_reset(&h_u2a); hist_reset(&h_http); hist_reset(&h_live);
	upstream_init(&O.up);

	t_start = now_ns();
	set_phase(PH_CONNECT, t_start, 120);
	for (int i = 0; i < nchat; i++)
		queue_connect(&conns[i], 0);
	lws_sul_schedule(g_ctx, 0, &tick_sul, tick, 1000);

	while (!finished) {
		if (lws_service(g_ctx, 0) < 0)
			break;
		if (O.use_ev && !finished) { /* the loop was stopped by a signal */
			interrupted = 1;
			snprintf(timeout_note, sizeof timeout_note, "interrupted in phase %s", phase_names[phase]);
			finish(now_ns());
		}
	}
	lws_sul_cancel(&tick_sul);
	fprintf(stderr, "[loadgen] done in %.1fs; closing %ld connections\n", secs(now_ns() - t_start), g.open_now);
	/* Exit without lws_context_destroy(): the kernel closes every socket at once,
	 * which is what a load generator going away looks like anyway. */
	return timeout_note[0] ? 4 : 0;
}
