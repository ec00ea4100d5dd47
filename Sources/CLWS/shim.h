#pragma once
// libwebsockets for Swift. Swift cannot import function-like or computed
// macros, so the few the shell needs are re-exported here as clws_* inlines.
#include <libwebsockets.h>

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
