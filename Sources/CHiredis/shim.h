#ifndef TRAVIS_LOGS_CHIREDIS_SHIM_H
#define TRAVIS_LOGS_CHIREDIS_SHIM_H

#include <hiredis/hiredis.h>

// hiredis gained TLS support in 1.0. Debian 12 ships 0.14.1, which has neither this header nor a
// hiredis_ssl pkg-config package, and the CHiredis target links only libhiredis.
#if __has_include(<hiredis/hiredis_ssl.h>)
#include <hiredis/hiredis_ssl.h>
#endif

// redisCommand and redisAppendCommand take a printf-style format, which Swift cannot call. Use the
// binary-safe argv forms through these wrappers, which also give the reply its type.

/// Sends one command and waits for its reply. Returns NULL on an I/O or protocol error, with the
/// reason in context->err and context->errstr. Free a non-NULL reply with freeReplyObject.
static inline redisReply *travis_redis_command_argv(redisContext *context, int argc, const char **argv,
                                                    const size_t *argvlen) {
    return (redisReply *)redisCommandArgv(context, argc, argv, argvlen);
}

/// Reads the next reply of a pipeline started with redisAppendCommandArgv. Returns REDIS_OK or
/// REDIS_ERR and stores the reply, which the caller frees with freeReplyObject.
static inline int travis_redis_get_reply(redisContext *context, redisReply **reply) {
    return redisGetReply(context, (void **)reply);
}

/// Returns the hiredis version that these headers declare, as major * 10000 + minor * 100 + patch.
/// hiredis 0.14 has no run-time version call, so this is the version compiled against.
static inline int travis_hiredis_version_number(void) {
    return HIREDIS_MAJOR * 10000 + HIREDIS_MINOR * 100 + HIREDIS_PATCH;
}

#endif
