/*
 * Reference server for the benchmarks: the same libwebsockets, one service
 * loop, no application logic. It speaks just enough of the relay's two
 * subprotocols for the same load generator to drive it:
 *
 *  - handover.chat.v1 (any path): every text message is answered with the
 *    very same bytes (an equal-size frame). A message is also copied to every
 *    handover.copilot.v1 connection, so fan-out has a reference too.
 *  - handover.copilot.v1 (any path): the first frame (subscribe) is echoed
 *    back as the "snapshot"; afterwards the connection only receives.
 *  - handover.stream.v1 (any path): the first frame (subscribe) is answered
 *    with "subscribed"; with "from":"start" the server then replays
 *    --replay-events synthetic "event" frames of --replay-bytes each (one per
 *    WRITEABLE, formatted on the fly: the floor for a replay from a log), then
 *    "live"; afterwards it receives the chat messages like a copilot subscriber.
 *
 * Frames are queued per connection and written one per WRITEABLE callback,
 * as the relay does, so the comparison is about what sits in between.
 *
 *   echo_server --port P [--bind 127.0.0.1] [--rx-buffer BYTES] [--loop poll|ev]
 *               [--replay-events N] [--replay-bytes B]
 *
 * --loop poll (default) is lws's own poll() loop, which the relay uses too;
 * --loop ev runs lws on libev (epoll), to show what the event loop costs.
 */
#define _GNU_SOURCE /* memmem */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct msg {
	int refs;
	size_t len;
	unsigned char data[]; /* LWS_PRE headroom, then the payload */
};

struct qnode {
	struct qnode *next;
	struct msg *m;
};

struct pss {
	struct lws *wsi;
	struct qnode *head, *tail;
	struct pss *prev_sub, *next_sub; /* copilot subscribers */
	unsigned char *partial;
	size_t plen;
	int is_sub;
	int is_stream;
	long replay_next, replay_end; /* stream: offsets still to replay */
};

static long replay_events = 100000;
static int replay_bytes = 300;

static struct pss *subs;
static volatile sig_atomic_t stop;
static struct lws_context *ctx;

static struct msg *msg_new(const void *p, size_t len)
{
	struct msg *m = malloc(sizeof *m + LWS_PRE + len);
	m->refs = 0;
	m->len = len;
	memcpy(m->data + LWS_PRE, p, len);
	return m;
}

static void enqueue(struct pss *pss, struct msg *m)
{
	struct qnode *n = malloc(sizeof *n);
	n->next = NULL;
	n->m = m;
	m->refs++;
	if (pss->tail)
		pss->tail->next = n;
	else
		pss->head = n;
	pss->tail = n;
	lws_callback_on_writable(pss->wsi);
}

static void release(struct msg *m)
{
	if (--m->refs == 0)
		free(m);
}

/* Writes the next synthetic event of a stream replay (shaped like the relay's envelope, keys
 * sorted, padded to --replay-bytes), then queues "live" after the last one. */
static int replay_one(struct lws *wsi, struct pss *pss)
{
	static unsigned char buf[LWS_PRE + 65536];
	char *o = (char *)buf + LWS_PRE;
	size_t cap = sizeof buf - LWS_PRE - 64;
	long off = pss->replay_next++;
	int n = snprintf(o, cap, "{\"event\":{\"from\":\"user\",\"seq\":%ld,\"text\":\"replayed ", off);
	int tail = snprintf(NULL, 0, "\",\"ts\":1795600000000,\"type\":\"message\"},\"kind\":\"message\",\"offset\":%ld,"
			    "\"sessionId\":\"reference\",\"seq\":%ld,\"ts\":1795600000000,\"type\":\"event\"}", off, off);
	int pad = replay_bytes - n - tail;
	if (pad > 0 && (size_t)(n + pad + tail) < cap) {
		memset(o + n, 'x', (size_t)pad);
		n += pad;
	}
	n += snprintf(o + n, cap - (size_t)n, "\",\"ts\":1795600000000,\"type\":\"message\"},\"kind\":\"message\",\"offset\":%ld,"
		      "\"sessionId\":\"reference\",\"seq\":%ld,\"ts\":1795600000000,\"type\":\"event\"}", off, off);
	if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
		return -1;
	if (pss->replay_next >= pss->replay_end) {
		char live[64];
		int ll = snprintf(live, sizeof live, "{\"offset\":%ld,\"type\":\"live\"}", pss->replay_end - 1);
		enqueue(pss, msg_new(live, (size_t)ll));
	} else {
		lws_callback_on_writable(wsi);
	}
	return 0;
}

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct pss *pss = (struct pss *)user;
	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(pss, 0, sizeof *pss);
		pss->wsi = wsi;
		pss->is_stream = !strcmp(lws_get_protocol(wsi)->name, "handover.stream.v1");
		pss->is_sub = pss->is_stream || !strcmp(lws_get_protocol(wsi)->name, "handover.copilot.v1");
		break;
	case LWS_CALLBACK_RECEIVE: {
		const unsigned char *p = in;
		size_t n = len;
		int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
		if (!final || pss->partial) {
			pss->partial = realloc(pss->partial, pss->plen + len);
			memcpy(pss->partial + pss->plen, in, len);
			pss->plen += len;
			if (!final)
				break;
			p = pss->partial;
			n = pss->plen;
		}
		struct msg *m = msg_new(p, n);
		free(pss->partial);
		pss->partial = NULL;
		pss->plen = 0;
		if (pss->is_sub) {
			if (!pss->prev_sub && subs != pss) { /* first frame: subscribe */
				pss->next_sub = subs;
				if (subs)
					subs->prev_sub = pss;
				subs = pss;
				pss->prev_sub = NULL;
				if (pss->is_stream) {
					char head[160];
					int from_start = memmem(m->data + LWS_PRE, m->len, "\"from\":\"start\"", 14) != NULL;
					int hl = snprintf(head, sizeof head,
							  "{\"epoch\":\"reference\",\"lastOffset\":%ld,\"position\":0,\"recovered\":true,"
							  "\"type\":\"subscribed\"}", from_start ? replay_events : 0);
					m->refs++;
					release(m);
					enqueue(pss, msg_new(head, (size_t)hl));
					pss->replay_next = 1;
					pss->replay_end = from_start ? replay_events + 1 : 1;
					if (!from_start)
						enqueue(pss, msg_new("{\"offset\":0,\"type\":\"live\"}", strlen("{\"offset\":0,\"type\":\"live\"}")));
				} else {
					enqueue(pss, m);
				}
			} else {
				m->refs++;
				release(m);
			}
			break;
		}
		m->refs++; /* hold while fanning out */
		enqueue(pss, m);
		for (struct pss *s = subs; s; s = s->next_sub)
			enqueue(s, m);
		release(m);
		break;
	}
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		struct qnode *q = pss->head;
		if (!q && pss->replay_next < pss->replay_end)
			return replay_one(wsi, pss);
		if (!q)
			break;
		pss->head = q->next;
		if (!pss->head)
			pss->tail = NULL;
		int w = lws_write(wsi, q->m->data + LWS_PRE, q->m->len, LWS_WRITE_TEXT);
		int short_write = w < (int)q->m->len;
		release(q->m);
		free(q);
		if (short_write)
			return -1;
		if (pss->head || pss->replay_next < pss->replay_end)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_CLOSED:
		if (pss->is_sub && (pss->prev_sub || subs == pss)) {
			if (pss->prev_sub)
				pss->prev_sub->next_sub = pss->next_sub;
			else
				subs = pss->next_sub;
			if (pss->next_sub)
				pss->next_sub->prev_sub = pss->prev_sub;
		}
		while (pss->head) {
			struct qnode *q = pss->head;
			pss->head = q->next;
			release(q->m);
			free(q);
		}
		free(pss->partial);
		break;
	default:
		break;
	}
	return 0;
}

static int use_ev;

static void on_signal(int sig)
{
	stop = 1;
	if (use_ev && sig != SIGINT)
		raise(SIGINT); /* lws's libev SIGINT watcher stops the loop */
	else if (ctx)
		lws_cancel_service(ctx);
}

int main(int argc, char **argv)
{
	int port = 0, rx = 0;
	const char *bind = "127.0.0.1";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--bind"))
			bind = argv[i + 1];
		else if (!strcmp(argv[i], "--rx-buffer"))
			rx = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--loop"))
			use_ev = !strcmp(argv[i + 1], "ev");
		else if (!strcmp(argv[i], "--replay-events"))
			replay_events = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--replay-bytes"))
			replay_bytes = atoi(argv[i + 1]);
	}
	if (!port) {
		fprintf(stderr, "usage: echo_server --port P [--bind ADDR] [--rx-buffer BYTES] [--loop poll|ev] "
				"[--replay-events N] [--replay-bytes B]\n");
		return 2;
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);

	static struct lws_protocols protocols[] = {
		{ "http", lws_callback_http_dummy, 0, 0, 0, NULL, 0 },
		{ "handover.chat.v1", callback_echo, sizeof(struct pss), 0, 0, NULL, 0 },
		{ "handover.copilot.v1", callback_echo, sizeof(struct pss), 0, 0, NULL, 0 },
		{ "handover.stream.v1", callback_echo, sizeof(struct pss), 0, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	protocols[1].rx_buffer_size = (size_t)rx;
	protocols[2].rx_buffer_size = (size_t)rx;
	protocols[3].rx_buffer_size = (size_t)rx;

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = bind;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6 |
		       (use_ev ? LWS_SERVER_OPTION_LIBEV : 0);
	info.timeout_secs = 20;
	lws_set_log_level(LLL_ERR, NULL);
	if (!use_ev)
		signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "echo_server: cannot listen on %s:%d\n", bind, port);
		return 1;
	}
	printf("echo_server listening on %s:%d\n", bind, port);
	fflush(stdout);
	while (!stop)
		if (lws_service(ctx, 0) < 0 || use_ev) /* with libev, lws_service() returns when the loop stops */
			break;
	lws_context_destroy(ctx);
	return 0;
}
