#pragma once
// libwebsockets for Swift. Swift cannot import function-like or computed
// macros, so the few the shell needs are re-exported here as clws_* inlines.
#include <libwebsockets.h>

// libev, whose loop lws 4.1 drives through its libev plugin (epoll on Linux).
// The relay owns the loop (lws gets it as a "foreign" loop) and keeps its own
// timers on it: ev_timer_init/set are macros, wrapped here.
#include <ev.h>
#include <stdlib.h>

/// A one-shot timer calling `cb`; not started.
static inline ev_timer *clws_ev_timer_new(void (*cb)(struct ev_loop *, ev_timer *, int)) {
    ev_timer *t = calloc(1, sizeof *t);
    if (t) ev_timer_init(t, cb, 0., 0.);
    return t;
}
/// (Re)starts `t` to fire once after `seconds`, or every `repeat` seconds after that when > 0.
static inline void clws_ev_timer_arm(struct ev_loop *loop, ev_timer *t, double seconds, double repeat) {
    ev_timer_stop(loop, t);  // a watcher must not be changed while active
    ev_timer_set(t, seconds, repeat);
    ev_timer_start(loop, t);
}
static inline void clws_ev_timer_free(struct ev_loop *loop, ev_timer *t) {
    ev_timer_stop(loop, t);
    free(t);
}
/// EVRUN_ONCE: block until something happens, handle everything ready, return.
static inline int clws_evrun_once(void) { return EVRUN_ONCE; }

/// Headroom lws needs in front of every lws_write() payload.
static inline size_t clws_pre(void) { return LWS_PRE; }

/// LWS_TO_KILL_ASYNC for lws_set_timeout(): close the wsi from the service loop.
static inline int clws_kill_async(void) { return LWS_TO_KILL_ASYNC; }

/// Opaque per-call data for client connections is a pointer; we store an id in it.
static inline void *clws_id_to_pointer(unsigned long id) { return (void *)id; }
static inline unsigned long clws_pointer_to_id(const void *p) { return (unsigned long)p; }

/// SSL_OP_* are computed macros (SSL_OP_BIT(n)) in OpenSSL 3: the options that
/// leave only TLS 1.2 and newer, for lws's ssl_options_set/ssl_client_options_set.
static inline long clws_ssl_options_tls12_plus(void) {
    return (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
}
