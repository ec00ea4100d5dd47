/*
 * Shared declarations of the load generator (loadgen.c) and its 8x8 side
 * (upstream.c: a fake Chat Gateway server, a raw HTTP/1.1 keep-alive client
 * for webhooks and for the embedded simulator's agent API).
 *
 * Everything runs on one libwebsockets service loop, on one thread.
 */
#ifndef BENCH_LOADGEN_H
#define BENCH_LOADGEN_H

#include <libwebsockets.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"

extern struct lws_context *g_ctx;

uint64_t now_ns(void);

/* Timestamps travel inside message texts as "T:" + 16 letters a..p (the hex
 * digits of CLOCK_MONOTONIC ns shifted to letters), so the relay's redaction
 * of card and phone numbers can never touch them. */
void ts_encode(char out[17], uint64_t ts);
/* Finds the first "T:" marker in s[0..n) and decodes it; 0 when absent. */
int ts_find(const char *s, size_t n, uint64_t *ts);

/* Pulls a JSON string value for "key" (first occurrence, no unescaping) into
 * out; returns its length or -1. Good enough for the relay's flat frames. */
int json_str(const char *s, size_t n, const char *key, char *out, size_t outsz);
/* Integer value for "key"; returns 0 and sets *v, or -1. */
int json_int(const char *s, size_t n, const char *key, long long *v);

/* ---- upstream.c ---- */

enum upstream_mode { UP_NONE, UP_FAKE, UP_SIM };

struct upstream_opts {
	enum upstream_mode mode;
	int listen_port;          /* fake: where the relay sends its Chat Gateway calls */
	const char *relay_host;   /* webhooks (fake) or agent API (sim) go here */
	int relay_port;
	int http_conns;           /* parallel keep-alive connections of the raw client */
	int webhook_delay_ms;     /* fake: first webhooks of a new conversation wait this long */
};

void upstream_init(const struct upstream_opts *o);
void upstream_tick(uint64_t now);
/* Agent messages at `rate` per second over every active conversation. */
void upstream_agent_start(double rate, uint64_t t0);
void upstream_agent_stop(void);
void upstream_reset_stats(void);
void upstream_json(FILE *f, double seconds);
/* Copilot URLToken of a relay session, captured from its create call (fake),
 * or NULL. */
const char *upstream_token_for(const char *session_id);
/* sim mode: fetch /sim/agent/state, accept every queued conversation. Returns
 * 1 while still working, 0 when done. */
int upstream_sim_accept_step(uint64_t now);
int upstream_active_conversations(void);
/* Raw HTTP requests still queued or in flight. */
int upstream_pending(void);
/* Conversations the relay created / active (agent joined) as seen upstream. */
int upstream_created(void);

/* Per-connection data of the fake Chat Gateway's HTTP server. */
struct fpss {
	char path[256];
	int method; /* 1 GET, 2 POST, 3 PATCH, 4 other */
	int counted;
	char *body;
	size_t blen, bcap;
};

extern hist_t h_u2a;      /* user message: loadgen send -> fake 8x8 receives it */
extern hist_t h_http;     /* raw client: request written -> response read */

int callback_fake_gateway(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int callback_raw_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
