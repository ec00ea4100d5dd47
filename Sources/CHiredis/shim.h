#pragma once
// Debian's hiredis (libhiredis-dev, 0.14), used only by the RedisStore target:
// the synchronous API (redisConnectWithTimeout, redisCommandArgv, freeReplyObject).
#include <hiredis/hiredis.h>
#include <sys/time.h>

// The REDIS_REPLY_* constants are macros; these make them visible to Swift as typed values.
static inline int chiredis_reply_string(void) { return REDIS_REPLY_STRING; }
static inline int chiredis_reply_array(void) { return REDIS_REPLY_ARRAY; }
static inline int chiredis_reply_integer(void) { return REDIS_REPLY_INTEGER; }
static inline int chiredis_reply_nil(void) { return REDIS_REPLY_NIL; }
static inline int chiredis_reply_status(void) { return REDIS_REPLY_STATUS; }
static inline int chiredis_reply_error(void) { return REDIS_REPLY_ERROR; }
