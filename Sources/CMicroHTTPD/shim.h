#ifndef TRAVIS_LOGS_CMICROHTTPD_SHIM_H
#define TRAVIS_LOGS_CMICROHTTPD_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>

// MHD_start_daemon, MHD_set_connection_option, MHD_get_daemon_info, MHD_get_connection_info and
// MHD_set_response_options are variadic, so Swift cannot call them. These wrappers fix the argument
// list.

/// Starts a daemon, the non-variadic form of MHD_start_daemon.
///
/// options is an array of MHD_OptionItem ending with {MHD_OPTION_END, 0, NULL}, passed through
/// MHD_OPTION_ARRAY, or NULL for none. An option that takes one pointer puts it in ptr_value. One
/// that takes two puts the first, cast to intptr_t, in value. The array is parsed during the call, and
/// libmicrohttpd's daemon.c uses the MHD_OPTION_SOCK_ADDR address only to bind inside it. Contexts
/// that the daemon keeps, such as handler_context, must stay valid until MHD_stop_daemon returns.
/// Returns NULL when the daemon cannot start.
static inline struct MHD_Daemon *travis_mhd_start_daemon(unsigned int flags, uint16_t port,
                                                         MHD_AcceptPolicyCallback accept_policy,
                                                         void *accept_policy_context,
                                                         MHD_AccessHandlerCallback handler, void *handler_context,
                                                         const struct MHD_OptionItem *options) {
    if (options == NULL) {
        return MHD_start_daemon(flags, port, accept_policy, accept_policy_context, handler, handler_context,
                                MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, port, accept_policy, accept_policy_context, handler, handler_context,
                            MHD_OPTION_ARRAY, (struct MHD_OptionItem *)options, MHD_OPTION_END);
}

/// Sets the idle timeout of one connection in seconds, where 0 means none. This is
/// MHD_CONNECTION_OPTION_TIMEOUT, the only option that MHD_set_connection_option takes in 0.9.75.
static inline enum MHD_Result travis_mhd_set_connection_timeout(struct MHD_Connection *connection,
                                                                unsigned int seconds) {
    return MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

/// Reads information about a daemon, for example MHD_DAEMON_INFO_BIND_PORT. Returns NULL when the
/// item is unknown or unavailable. It passes no variadic arguments because microhttpd.h 0.9.75
/// documents none for any MHD_DaemonInfoType.
static inline const union MHD_DaemonInfo *travis_mhd_get_daemon_info(struct MHD_Daemon *daemon,
                                                                     enum MHD_DaemonInfoType info_type) {
    return MHD_get_daemon_info(daemon, info_type);
}

/// Reads information about a connection, for example MHD_CONNECTION_INFO_CLIENT_ADDRESS. Returns
/// NULL when the item is unknown or unavailable. It passes no variadic arguments because
/// microhttpd.h 0.9.75 documents none for any MHD_ConnectionInfoType.
static inline const union MHD_ConnectionInfo *
travis_mhd_get_connection_info(struct MHD_Connection *connection, enum MHD_ConnectionInfoType info_type) {
    return MHD_get_connection_info(connection, info_type);
}

/// Sets the flags of a response, such as MHD_RF_HTTP_1_0_COMPATIBLE_STRICT. It passes no response
/// options, because microhttpd.h 0.9.75 defines none besides MHD_RO_END.
static inline enum MHD_Result travis_mhd_set_response_flags(struct MHD_Response *response,
                                                            enum MHD_ResponseFlags flags) {
    return MHD_set_response_options(response, flags, MHD_RO_END);
}

#endif
