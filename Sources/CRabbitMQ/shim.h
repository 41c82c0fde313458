#ifndef TRAVIS_LOGS_CRABBITMQ_SHIM_H
#define TRAVIS_LOGS_CRABBITMQ_SHIM_H

// rabbitmq-c 0.12 moved its headers into a rabbitmq-c/ folder. Debian 12 ships 0.11, which has
// them at the top of the include path. The TLS socket header exists only in builds with OpenSSL.
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/framing.h>
#include <rabbitmq-c/tcp_socket.h>
#if __has_include(<rabbitmq-c/ssl_socket.h>)
#include <rabbitmq-c/ssl_socket.h>
#endif
#else
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#if __has_include(<amqp_ssl_socket.h>)
#include <amqp_ssl_socket.h>
#endif
#endif

/// Logs in with the PLAIN SASL mechanism, the non-variadic form of amqp_login, and announces the
/// consumer_cancel_notify capability, which rabbitmq-c 0.11 leaves out. Without it RabbitMQ sends no
/// basic.cancel when a consumer's queue is deleted, and the consumer waits for deliveries that
/// never come. rabbitmq-c merges these properties with its own.
///
/// channel_max 0 and frame_max AMQP_DEFAULT_FRAME_SIZE accept the broker's limits; heartbeat is in
/// seconds, 0 disables it. Check the result's reply_type for AMQP_RESPONSE_NORMAL.
static inline amqp_rpc_reply_t travis_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                                       int channel_max, int frame_max, int heartbeat,
                                                       const char *username, const char *password) {
    amqp_table_entry_t capability;
    capability.key = amqp_cstring_bytes("consumer_cancel_notify");
    capability.value.kind = AMQP_FIELD_KIND_BOOLEAN;
    capability.value.value.boolean = 1;
    amqp_table_entry_t property;
    property.key = amqp_cstring_bytes("capabilities");
    property.value.kind = AMQP_FIELD_KIND_TABLE;
    property.value.value.table.num_entries = 1;
    property.value.value.table.entries = &capability;
    amqp_table_t properties;
    properties.num_entries = 1;
    properties.entries = &property;
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, &properties,
                                      AMQP_SASL_METHOD_PLAIN, username, password);
}

#endif
