/*
 * The 8x8 side of the handover and fan-out scenarios, on the load
 * generator's own lws loop:
 *
 *  - UP_FAKE: a minimal, fast fake of the Chat Gateway v1 API the relay calls
 *    (POST /conversations, …/messages, …/typing, PATCH …/participants/user),
 *    which timestamps every user message it receives, plus the webhooks 8x8
 *    would send back (QUEUED, MEMBERS_CHANGED agent joined, MESSAGE from the
 *    agent), POSTed to the relay's /webhooks/8x8.
 *  - UP_SIM: the relay's embedded simulator does the 8x8 part; this file
 *    drives its agent API instead (accept every queued conversation, then
 *    POST agent messages).
 *
 * Outbound HTTP uses a small pool of raw keep-alive connections (lws "RAW"
 * client sockets with hand-written HTTP/1.1), one request in flight each, so
 * webhooks are not serialised behind one connection.
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

hist_t h_u2a, h_http;

static struct upstream_opts U;
static uint64_t win_epoch; /* start time, for unique conversation ids */

/* ------------------------------------------------------------ conversations */

typedef struct conv {
	char id[48];
	char sid[64];
	char *token;
	uint8_t active; /* agent joined and the relay accepted it / accepted in the simulator */
	uint8_t accept_sent;
} conv_t;

static conv_t *convs;
static int nconvs, convs_cap;
static int *active_list;
static int nactive;

static conv_t *conv_new(void)
{
	if (nconvs == convs_cap) {
		convs_cap = convs_cap ? convs_cap * 2 : 1024;
		convs = realloc(convs, (size_t)convs_cap * sizeof(conv_t));
		active_list = realloc(active_list, (size_t)convs_cap * sizeof(int));
	}
	conv_t *c = &convs[nconvs++];
	memset(c, 0, sizeof *c);
	return c;
}

static void conv_activate(int i)
{
	if (convs[i].active)
		return;
	convs[i].active = 1;
	active_list[nactive++] = i;
}

/* ----------------------------------------------------------------- stats */

static struct {
	long conns_accepted; /* connections the relay opened to the fake 8x8 (keep-alive reuse shows here) */
	long creates, messages, messages_in_window, messages_of_window, typing, removes, other;
	long webhooks_sent, webhooks_ok, webhooks_retried, webhooks_failed, webhooks_duplicate;
	long agent_sent, agent_skipped, http_errors, http_reconnects;
	long sim_accepts;
	long fake_close_headers, fake_close_write, fake_close_completed;
} S;

/* ------------------------------------------------------------- raw client */

enum req_kind { R_QUEUED, R_JOINED, R_AGENT_MSG, R_SIM_STATE, R_SIM_ACCEPT, R_SIM_MSG };

typedef struct req {
	struct req *next;
	uint64_t not_before, t_sent;
	int conv;
	int kind;
	int tries;
	size_t len;
	unsigned char *buf; /* LWS_PRE headroom, then the request */
} req_t;

static req_t *q_head, *q_tail;   /* ready to go */
static req_t *delayed;           /* waiting for not_before */
static long q_len, inflight_reqs;

typedef struct hconn {
	struct lws *wsi;
	int state; /* 0 down, 1 connecting, 2 idle, 3 busy */
	uint64_t retry_at;
	req_t *cur;
	int written;
	char *rb;
	size_t rlen, rcap;
} hconn_t;

static hconn_t *hc;
static int nhc;

static void q_push(req_t *r)
{
	r->next = NULL;
	if (r->not_before > now_ns()) {
		r->next = delayed;
		delayed = r;
		return;
	}
	if (q_tail)
		q_tail->next = r;
	else
		q_head = r;
	q_tail = r;
	q_len++;
}

static req_t *q_pop(void)
{
	req_t *r = q_head;
	if (!r)
		return NULL;
	q_head = r->next;
	if (!q_head)
		q_tail = NULL;
	q_len--;
	return r;
}

static req_t *req_new(int kind, int conv, const char *method, const char *path, const char *extra_headers,
		      const char *body, size_t blen)
{
	size_t cap = LWS_PRE + 512 + strlen(path) + blen;
	req_t *r = calloc(1, sizeof *r);
	r->buf = malloc(cap);
	r->kind = kind;
	r->conv = conv;
	char *o = (char *)r->buf + LWS_PRE;
	int n = snprintf(o, cap - LWS_PRE,
			 "%s %s HTTP/1.1\r\nHost: %s\r\ncontent-type: application/json\r\ncontent-length: %zu\r\n%s\r\n",
			 method, path, U.relay_host, blen, extra_headers ? extra_headers : "");
	memcpy(o + n, body, blen);
	r->len = (size_t)n + blen;
	return r;
}

static void req_free(req_t *r)
{
	free(r->buf);
	free(r);
}

static void hc_connect(hconn_t *h, uint64_t now)
{
	struct lws_client_connect_info i;
	memset(&i, 0, sizeof i);
	i.context = g_ctx;
	i.address = U.relay_host;
	i.port = U.relay_port;
	i.path = "/";
	i.host = U.relay_host;
	i.method = "RAW";
	static const lws_retry_bo_t no_validity = { .secs_since_valid_hangup = 0 };
	i.retry_and_idle_policy = &no_validity;
	i.local_protocol_name = "bench-raw-http";
	i.opaque_user_data = h;
	i.pwsi = &h->wsi;
	h->state = 1;
	h->retry_at = now + 200000000ull;
	if (!lws_client_connect_via_info(&i)) {
		h->state = 0;
		h->wsi = NULL;
	}
}

static void dispatch(void)
{
	for (int i = 0; i < nhc && q_head; i++) {
		hconn_t *h = &hc[i];
		if (h->state != 2)
			continue;
		h->cur = q_pop();
		h->written = 0;
		h->state = 3;
		inflight_reqs++;
		lws_callback_on_writable(h->wsi);
	}
}

static void complete(hconn_t *h, int status, const char *body, size_t blen);

/* Parses a complete response in h->rb; returns 1 when one was consumed. */
static int parse_response(hconn_t *h)
{
	char *end = memmem(h->rb, h->rlen, "\r\n\r\n", 4);
	if (!end)
		return 0;
	size_t hdr = (size_t)(end - h->rb) + 4;
	int status = 0;
	if (h->rlen > 12 && !strncmp(h->rb, "HTTP/1.", 7))
		status = atoi(h->rb + 9);
	size_t cl = 0;
	for (char *p = h->rb; p < end;) {
		char *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
		if (!eol)
			break;
		if ((size_t)(eol - p) > 15 && !strncasecmp(p, "content-length:", 15))
			cl = (size_t)strtoul(p + 15, NULL, 10);
		p = eol + 2;
	}
	if (h->rlen < hdr + cl)
		return 0;
	complete(h, status, h->rb + hdr, cl);
	size_t used = hdr + cl;
	memmove(h->rb, h->rb + used, h->rlen - used);
	h->rlen -= used;
	return 1;
}

int callback_raw_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	hconn_t *h = (hconn_t *)lws_get_opaque_user_data(wsi);
	if (!h)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_CONNECTED:
		h->wsi = wsi;
		h->state = 2;
		dispatch();
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (h->wsi == wsi || !h->wsi) {
			h->wsi = NULL;
			h->state = 0;
			h->retry_at = now_ns() + 200000000ull;
			S.http_errors++;
		}
		break;
	case LWS_CALLBACK_RAW_WRITEABLE:
		if (h->state == 3 && h->cur && !h->written) {
			h->cur->t_sent = now_ns();
			if (lws_write(wsi, h->cur->buf + LWS_PRE, h->cur->len, LWS_WRITE_RAW) < (int)h->cur->len)
				return -1;
			h->written = 1;
		}
		break;
	case LWS_CALLBACK_RAW_RX:
		if (h->rlen + len + 1 > h->rcap) {
			h->rcap = (h->rlen + len + 1) * 2;
			h->rb = realloc(h->rb, h->rcap);
		}
		memcpy(h->rb + h->rlen, in, len);
		h->rlen += len;
		while (h->state == 3 && parse_response(h))
			;
		break;
	case LWS_CALLBACK_RAW_CLOSE:
		if (getenv("LOADGEN_HTTP_DEBUG")) /* rare: connections close seldom */
			fprintf(stderr, "[http] #%d closed (mine %d, busy %d, rlen %zu)\n", (int)(h - hc), h->wsi == wsi, h->cur != NULL, h->rlen);
		if (h->wsi != wsi)
			break;
		h->wsi = NULL;
		h->state = 0;
		h->retry_at = now_ns() + 10000000ull;
		S.http_reconnects++;
		if (h->cur) { /* not answered: send it again on another connection */
			inflight_reqs--;
			h->cur->tries++;
			q_push(h->cur);
			h->cur = NULL;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* ----------------------------------------------------------------- webhooks */

static long event_no;

static void send_webhook(int conv, int kind, const char *body, size_t blen, uint64_t delay_ns)
{
	char headers[256];
	snprintf(headers, sizeof headers,
		 "x-8x8-event-id: bench-%d-%llx-%ld\r\nx-8x8-tenant-id: bench\r\nx-8x8-customer-id: bench\r\nx-8x8-retry: 0\r\n",
		 (int)getpid(), (unsigned long long)(win_epoch & 0xffffff), ++event_no);
	req_t *r = req_new(kind, conv, "POST", "/webhooks/8x8", headers, body, blen);
	r->not_before = now_ns() + delay_ns;
	q_push(r);
	S.webhooks_sent++;
}

static void webhook_queued(int i)
{
	char b[256];
	int n = snprintf(b, sizeof b, "{\"eventType\":\"QUEUED\",\"conversationId\":\"%s\",\"data\":{\"queueId\":\"bench\",\"queueName\":\"Bench\"}}",
			 convs[i].id);
	send_webhook(i, R_QUEUED, b, (size_t)n, (uint64_t)U.webhook_delay_ms * 1000000ull);
}

static void webhook_joined(int i)
{
	char b[256];
	int n = snprintf(b, sizeof b, "{\"eventType\":\"MEMBERS_CHANGED\",\"conversationId\":\"%s\",\"data\":{\"memberType\":\"agent\",\"change\":\"joined\",\"id\":\"agent-%d\"}}",
			 convs[i].id, i % 50);
	send_webhook(i, R_JOINED, b, (size_t)n, 0);
}

static void complete(hconn_t *h, int status, const char *body, size_t blen)
{
	req_t *r = h->cur;
	h->cur = NULL;
	h->state = 2;
	inflight_reqs--;
	uint64_t now = now_ns();
	static int debug = -1;
	if (debug < 0)
		debug = getenv("LOADGEN_HTTP_DEBUG") != NULL;
	if (r && debug)
		fprintf(stderr, "[http] #%d kind %d try %d -> %d %.*s\n", (int)(h - hc), r->kind, r->tries, status,
			(int)(blen > 120 ? 120 : blen), body);
	if (r) {
		hist_record(&h_http, now - r->t_sent);
		int ok = status >= 200 && status < 300;
		int ignored = ok && memmem(body, blen, "\"ignored\"", 9) != NULL;
		if (ok && memmem(body, blen, "\"duplicate\"", 11))
			S.webhooks_duplicate++;
		if ((!ok || ignored) && r->kind != R_SIM_ACCEPT && r->tries < 40) {
			/* 5xx, or the relay has not yet registered the conversation: try again shortly */
			S.webhooks_retried++;
			r->tries++;
			r->not_before = now + 50000000ull;
			q_push(r);
			r = NULL;
		} else {
			switch (r->kind) {
			case R_QUEUED:
				if (ok)
					webhook_joined(r->conv);
				break;
			case R_JOINED:
				if (ok && !ignored) {
					S.webhooks_ok++;
					conv_activate(r->conv);
				}
				break;
			case R_AGENT_MSG:
			case R_SIM_MSG:
				if (ok && !ignored)
					S.webhooks_ok++;
				else
					S.webhooks_failed++;
				break;
			case R_SIM_ACCEPT:
				if (ok) {
					S.sim_accepts++;
					conv_activate(r->conv);
				}
				break;
			case R_SIM_STATE: {
				/* Conversation objects print their keys sorted: …,"id":"<uuid>","messages":[…. */
				const char *p = body, *e = body + blen;
				while ((p = memmem(p, (size_t)(e - p), "\"id\":\"", 6))) {
					p += 6;
					const char *q = memchr(p, '"', (size_t)(e - p));
					if (!q)
						break;
					if ((size_t)(e - q) > 13 && !memcmp(q, "\",\"messages\":", 13) && (size_t)(q - p) < 47) {
						int found = 0;
						for (int k = 0; k < nconvs && !found; k++)
							found = strlen(convs[k].id) == (size_t)(q - p) && !memcmp(convs[k].id, p, (size_t)(q - p));
						if (!found) {
							conv_t *c = conv_new();
							memcpy(c->id, p, (size_t)(q - p));
							c->id[q - p] = '\0';
						}
					}
					p = q;
				}
				break;
			}
			default:
				break;
			}
		}
		if (r)
			req_free(r);
	}
	dispatch();
}

/* ------------------------------------------------------------ fake gateway */


static int respond(struct lws *wsi, int status, const char *body)
{
	unsigned char hbuf[LWS_PRE + 512], *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
	size_t blen = strlen(body);
	if (lws_add_http_common_headers(wsi, (unsigned int)status, "application/json", blen, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end)) {
		S.fake_close_headers++;
		return -1;
	}
	unsigned char bbuf[LWS_PRE + 512];
	memcpy(bbuf + LWS_PRE, body, blen);
	if (lws_write(wsi, bbuf + LWS_PRE, blen, LWS_WRITE_HTTP_FINAL) < (int)blen) {
		S.fake_close_write++;
		return -1;
	}
	if (lws_http_transaction_completed(wsi)) {
		S.fake_close_completed++;
		return -1;
	}
	return 0;
}

static const char *ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix) ? s + a - b : NULL;
}

static int handle_gateway(struct lws *wsi, struct fpss *pss)
{
	const char *path = pss->path;
	const char *body = pss->body ? pss->body : "";
	size_t blen = pss->blen;
	char out[256];
	if (pss->method == 2 && ends_with(path, "/conversations")) {
		S.creates++;
		conv_t *c = conv_new();
		int idx = (int)(c - convs);
		/* unique across runs against the same relay, like 8x8's UUIDs */
		snprintf(c->id, sizeof c->id, "bench-%d-%llx-%d", (int)getpid(), (unsigned long long)(win_epoch & 0xffffff), idx);
		/* relaySessionId and the copilot link's URLToken, from user.additionalProperties */
		const char *k = memmem(body, blen, "\"relaySessionId\"", 16);
		if (k) {
			const char *v = memmem(k, blen - (size_t)(k - body), "\"value\":\"", 9);
			if (v) {
				v += 9;
				size_t i = 0;
				while (v < body + blen && *v != '"' && i + 1 < sizeof c->sid)
					c->sid[i++] = *v++;
				c->sid[i] = '\0';
			}
		}
		const char *t = memmem(body, blen, "URLToken=", 9);
		if (t) {
			t += 9;
			const char *te = t;
			while (te < body + blen && *te != '"' && *te != '&' && *te != '\\')
				te++;
			c->token = strndup(t, (size_t)(te - t));
		}
		webhook_queued(idx);
		snprintf(out, sizeof out, "{\"conversationId\":\"%s\",\"createdAt\":\"2025-01-01T00:00:00Z\"}", c->id);
		return respond(wsi, 202, out);
	}
	if (pss->method == 2 && ends_with(path, "/messages")) {
		S.messages++;
		uint64_t ts, now = now_ns();
		extern int upstream_in_window(uint64_t ts);
		if (upstream_in_window(now)) /* throughput: arrivals during the window */
			S.messages_in_window++;
		if (ts_find(body, blen, &ts) && upstream_in_window(ts)) { /* latency: messages sent in the window */
			S.messages_of_window++;
			hist_record(&h_u2a, now - ts);
		}
		snprintf(out, sizeof out, "{\"messageId\":\"m%ld\"}", S.messages);
		return respond(wsi, 202, out);
	}
	if (pss->method == 2 && ends_with(path, "/typing")) {
		S.typing++;
		return respond(wsi, 202, "{}");
	}
	if (pss->method == 3 && ends_with(path, "/participants/user")) {
		S.removes++;
		return respond(wsi, 202, "{}");
	}
	S.other++;
	return respond(wsi, 404, "{\"status\":404,\"code\":\"NOT_FOUND\",\"message\":\"not simulated by the bench\"}");
}

int callback_fake_gateway(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct fpss *pss = (struct fpss *)user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		S.conns_accepted++;
		return 0;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss && pss->body) {
			free(pss->body);
			pss->body = NULL;
			pss->bcap = pss->blen = 0;
		}
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss && pss->body) {
			free(pss->body);
			pss->body = NULL;
			pss->bcap = pss->blen = 0;
		}
		return 0;
	case LWS_CALLBACK_HTTP:
		if (!pss)
			return -1;
		snprintf(pss->path, sizeof pss->path, "%s", in ? (const char *)in : "/");
		pss->blen = 0;
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
			pss->method = 2;
		else if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI))
			pss->method = 3;
		else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
			pss->method = 1;
		else
			pss->method = 4;
		if (pss->method == 2 || pss->method == 3)
			return 0; /* the body follows */
		return handle_gateway(wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		if (pss->blen + len + 1 > pss->bcap) {
			pss->bcap = (pss->blen + len + 1) * 2;
			pss->body = realloc(pss->body, pss->bcap);
		}
		memcpy(pss->body + pss->blen, in, len);
		pss->blen += len;
		pss->body[pss->blen] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
		int r = handle_gateway(wsi, pss);
		pss->blen = 0;
		return r;
	}
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* -------------------------------------------------------------- interface */

static double agent_rate;
static uint64_t agent_t0, agent_count, agent_rr;
static uint64_t win_t0, win_t1;

int upstream_in_window(uint64_t ts) { return win_t0 && ts >= win_t0 && (!win_t1 || ts < win_t1); }

void upstream_init(const struct upstream_opts *o)
{
	U = *o;
	win_epoch = now_ns();
	if (U.mode == UP_NONE)
		return;
	nhc = U.http_conns > 0 ? U.http_conns : 1;
	hc = calloc((size_t)nhc, sizeof(hconn_t));
}

void upstream_tick(uint64_t now)
{
	if (U.mode == UP_NONE)
		return;
	for (int i = 0; i < nhc; i++)
		if (hc[i].state == 0 && now >= hc[i].retry_at)
			hc_connect(&hc[i], now);
	/* delayed -> ready */
	req_t **pp = &delayed;
	while (*pp) {
		req_t *r = *pp;
		if (r->not_before <= now) {
			*pp = r->next;
			r->not_before = 0;
			q_push(r);
		} else {
			pp = &r->next;
		}
	}
	/* agent messages, paced over the active conversations */
	if (agent_rate > 0 && nactive) {
		uint64_t due = (uint64_t)((double)(now - agent_t0) * agent_rate / 1e9);
		int budget = 100000;
		while (agent_count < due && budget-- > 0) {
			uint64_t intended = now; /* as for user messages: the clock starts when the pacer runs */
			agent_count++;
			if (q_len > 50000) {
				S.agent_skipped++;
				continue;
			}
			int i = active_list[agent_rr++ % (uint64_t)nactive];
			char t[17], b[512];
			ts_encode(t, intended);
			S.agent_sent++;
			if (U.mode == UP_FAKE) {
				int n = snprintf(b, sizeof b,
						 "{\"eventType\":\"MESSAGE\",\"conversationId\":\"%s\",\"data\":{\"isEcho\":false,"
						 "\"sender\":{\"type\":\"agent\",\"id\":\"agent-%d\"},\"text\":\"agent T:%s\"}}",
						 convs[i].id, i % 50, t);
				send_webhook(i, R_AGENT_MSG, b, (size_t)n, 0);
			} else {
				char path[128];
				snprintf(path, sizeof path, "/sim/agent/conversations/%s/messages", convs[i].id);
				int n = snprintf(b, sizeof b, "{\"text\":\"agent T:%s\"}", t);
				q_push(req_new(R_SIM_MSG, i, "POST", path, NULL, b, (size_t)n));
			}
		}
	}
	dispatch();
}

void upstream_agent_start(double rate, uint64_t t0)
{
	agent_rate = rate;
	agent_t0 = t0;
	agent_count = 0;
}

void upstream_agent_stop(void) { agent_rate = 0; win_t1 = now_ns(); }

void upstream_reset_stats(void)
{
	long accepted = S.conns_accepted, creates = S.creates;
	long accepts = S.sim_accepts;
	memset(&S, 0, sizeof S);
	S.conns_accepted = accepted; /* connection counts cover the whole run */
	S.creates = creates;
	S.sim_accepts = accepts;
	win_t0 = now_ns();
	win_t1 = 0;
}

void upstream_json(FILE *f, double seconds)
{
	fprintf(f, "{\"mode\":\"%s\",\"relay_connections_accepted\":%ld,\"creates\":%ld,\"user_messages\":%ld,\"user_messages_in_window\":%ld,"
		   "\"user_messages_per_s\":%.1f,\"user_messages_of_window\":%ld,\"typing\":%ld,\"removes\":%ld,\"other\":%ld,"
		   "\"webhooks_sent\":%ld,\"webhooks_duplicate\":%ld,\"webhooks_ok\":%ld,\"webhooks_retried\":%ld,\"webhooks_failed\":%ld,"
		   "\"agent_sent\":%ld,\"agent_skipped\":%ld,\"http_errors\":%ld,\"http_reconnects\":%ld,"
		   "\"fake_closes\":[%ld,%ld,%ld],\"sim_accepts\":%ld,\"conversations\":%d,\"active_conversations\":%d,\"queued_requests\":%ld}",
		U.mode == UP_FAKE ? "fake" : U.mode == UP_SIM ? "sim" : "none", S.conns_accepted, S.creates, S.messages, S.messages_in_window,
		seconds > 0 ? S.messages_in_window / seconds : 0, S.messages_of_window, S.typing, S.removes, S.other, S.webhooks_sent, S.webhooks_duplicate,
		S.webhooks_ok, S.webhooks_retried, S.webhooks_failed, S.agent_sent, S.agent_skipped, S.http_errors,
		S.http_reconnects, S.fake_close_headers, S.fake_close_write, S.fake_close_completed, S.sim_accepts, nconvs, nactive, q_len + inflight_reqs);
}

const char *upstream_token_for(const char *sid)
{
	for (int i = nconvs - 1; i >= 0; i--)
		if (!strcmp(convs[i].sid, sid))
			return convs[i].token;
	return NULL;
}

int upstream_pending(void) { return U.mode == UP_NONE ? 0 : (int)(q_len + inflight_reqs) + (delayed != NULL); }
int upstream_active_conversations(void) { return nactive; }
int upstream_created(void) { return nconvs; }

int upstream_sim_accept_step(uint64_t now)
{
	static uint64_t next_fetch;
	if (U.mode != UP_SIM)
		return 0;
	int busy = 0;
	for (int i = 0; i < nconvs; i++) {
		if (!convs[i].accept_sent) {
			char path[128];
			snprintf(path, sizeof path, "/sim/agent/conversations/%s/accept", convs[i].id);
			q_push(req_new(R_SIM_ACCEPT, i, "POST", path, NULL, "{}", 2));
			convs[i].accept_sent = 1;
			busy = 1;
		}
	}
	if (!busy && q_len + inflight_reqs == 0 && now >= next_fetch) {
		/* new conversations may have appeared since: look again */
		q_push(req_new(R_SIM_STATE, -1, "GET", "/sim/agent/state", NULL, "", 0));
		next_fetch = now + 500000000ull;
		busy = 1;
	}
	return busy || q_len + inflight_reqs > 0;
}
