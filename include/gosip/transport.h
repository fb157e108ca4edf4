/*
 * GoSIP transport layer (RFC 3261 section 18, RFC 3581, RFC 5626 4.4.1): the sans-I/O
 * core between sockets and transactions. It frames datagrams and streams, stamps
 * received/rport on requests, drops responses whose top Via is not ours, routes
 * responses (18.2.2), picks the listening point and connection for requests (18.1.1)
 * and keeps connections bounded in number and time.
 *
 * It never touches a socket or a clock: the runtime (gosip/uv.h) binds sockets, feeds
 * received bytes and connection events in, pulls what to send out with
 * gosip_tp_next_tx(), and calls gosip_tp_handle_expiry() at gosip_tp_next_expiry().
 * One transport is used by one thread at a time.
 */
#ifndef GOSIP_TRANSPORT_H
#define GOSIP_TRANSPORT_H

#include <gosip/base.h>
#include <gosip/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gosip_transport gosip_transport;
typedef struct gosip_lp gosip_lp;     /**< a listening point: (address, port, transport) */
typedef struct gosip_conn gosip_conn; /**< a stream connection (TCP or TLS) */
typedef struct gosip_buf gosip_buf;   /**< refcounted bytes to send */

/* ---------------------------------------------------------------- addresses */

typedef enum gosip_tp_kind {
    GOSIP_TP_UDP = 0,
    GOSIP_TP_TCP,
    GOSIP_TP_TLS
} gosip_tp_kind;

/** "UDP", "TCP" or "TLS". */
GOSIP_EXTERN const char *gosip_tp_kind_name(gosip_tp_kind kind);
/** Parses a Via transport token (case-insensitive); GOSIP_ERR_UNSUPPORTED for others. */
GOSIP_EXTERN int gosip_tp_kind_from_str(gosip_str s, gosip_tp_kind *out);
/** Nonzero for the reliable (stream) transports. */
GOSIP_EXTERN int gosip_tp_kind_reliable(gosip_tp_kind kind);

/** An IP address and port. family 0 means "none". */
typedef struct gosip_addr {
    uint8_t family; /**< 4 or 6 */
    uint16_t port;
    uint8_t ip[16]; /**< network order; IPv4 uses the first 4 octets */
} gosip_addr;

/**
 * Parses a numeric host (IPv4 dotted quad, IPv6 with or without brackets) and a port.
 * Errors: GOSIP_ERR_PARSE (not a numeric address), GOSIP_ERR_INVALID_ARG (port > 65535).
 */
GOSIP_EXTERN int gosip_addr_from_str(gosip_addr *out, gosip_str host, unsigned port);
/** Prints the host only ("192.0.2.1", "2001:db8::1"), snprintf-style. */
GOSIP_EXTERN size_t gosip_addr_print_host(const gosip_addr *a, char *buf, size_t cap);
/** Prints host and port ("192.0.2.1:5060", "[2001:db8::1]:5060"), snprintf-style. */
GOSIP_EXTERN size_t gosip_addr_print(const gosip_addr *a, char *buf, size_t cap);
/** 1 when family, address and port are equal. */
GOSIP_EXTERN int gosip_addr_equal(const gosip_addr *a, const gosip_addr *b);

/* ---------------------------------------------------------------- buffers */

/** The bytes of a buffer. */
GOSIP_EXTERN const uint8_t *gosip_buf_data(const gosip_buf *b);
GOSIP_EXTERN size_t gosip_buf_len(const gosip_buf *b);
GOSIP_EXTERN gosip_buf *gosip_buf_ref(gosip_buf *b);
/** Drops a reference; NULL is a no-op. */
GOSIP_EXTERN void gosip_buf_unref(gosip_buf *b);

/* ---------------------------------------------------------------- configuration */

/** Limits and timers of a transport; fill with gosip_tp_config_default(). */
typedef struct gosip_tp_config {
    const gosip_mem *mem;
    gosip_msg_limits limits;        /**< for every received message */
    size_t udp_max_request;         /**< larger requests go over TCP (18.1.1); default 1300 */
    unsigned max_conns;             /**< open connections in all; default 1024 */
    unsigned max_conns_per_source;  /**< inbound connections from one IP address; default 32 */
    gosip_tstamp idle_timeout;      /**< a connection with no traffic either way is closed
                                         (orderly: no on_error, nothing is lost); default 300 s */
    gosip_tstamp connect_timeout;   /**< outbound connect (and TLS handshake); default 10 s */
    gosip_tstamp read_timeout;      /**< longest time a message may take to arrive; default 30 s */
    size_t max_conn_queue;          /**< bytes queued on a connection not yet open; default 256 KiB */
} gosip_tp_config;

#define GOSIP_DEFAULT_UDP_MAX_REQUEST 1300u
#define GOSIP_DEFAULT_MAX_CONNS 1024u
#define GOSIP_DEFAULT_MAX_CONNS_PER_SOURCE 32u
#define GOSIP_DEFAULT_IDLE_TIMEOUT GOSIP_SEC(300)
#define GOSIP_DEFAULT_CONNECT_TIMEOUT GOSIP_SEC(10)
#define GOSIP_DEFAULT_READ_TIMEOUT GOSIP_SEC(30)
#define GOSIP_DEFAULT_MAX_CONN_QUEUE (256u * 1024u)

GOSIP_EXTERN void gosip_tp_config_default(gosip_tp_config *cfg);

/* ---------------------------------------------------------------- events */

/** Where a message came from; valid during the callback. */
typedef struct gosip_rx_info {
    gosip_tp_kind kind;
    gosip_lp *lp;     /**< the listening point it arrived on (or whose connection it used) */
    gosip_conn *conn; /**< the connection, NULL for datagrams */
    gosip_addr peer;  /**< source address and port */
} gosip_rx_info;

/** A transport error, reported with the peer it concerns. */
typedef struct gosip_tp_error {
    int code;         /**< GOSIP_ERR_IO, _TIMEOUT, _FRAMING, _TOO_LARGE, _REFUSED, _CLOSED, _TLS */
    int sys_error;    /**< the runtime's own code (libuv's), 0 when none */
    gosip_tp_kind kind;
    gosip_addr peer;
    gosip_conn *conn; /**< NULL for datagram errors; closed (do not use) after the callback */
    const char *reason; /**< static English explanation */
} gosip_tp_error;

typedef struct gosip_tp_callbacks {
    /** A received message: requests (with received/rport stamped) and responses whose top
     *  Via is ours. The message carries one reference for the callee to take (ref it). */
    void (*on_message)(gosip_transport *tp, gosip_msg *msg, const gosip_rx_info *rx, void *ud);
    /** A connection failed, timed out or was closed on error; queued messages are lost. */
    void (*on_error)(gosip_transport *tp, const gosip_tp_error *err, void *ud);
} gosip_tp_callbacks;

/** Counters, for tests and operations. */
typedef struct gosip_tp_stats {
    uint64_t rx_messages, tx_messages;
    uint64_t rx_malformed;   /**< unparseable input, requests without Via, or responses with a
                                  defect: dropped */
    uint64_t rx_not_ours;    /**< responses whose top Via is not one of ours: dropped */
    uint64_t keepalives;     /**< CRLF pings answered */
    uint64_t conns_refused;  /**< inbound connections over a limit */
    uint64_t conns_timed_out;
} gosip_tp_stats;

/* ---------------------------------------------------------------- the transport */

/**
 * Creates a transport. cfg and cb are copied (cfg NULL: defaults). Errors: NOMEM,
 * INVALID_ARG.
 */
GOSIP_EXTERN int gosip_transport_new(gosip_transport **out, const gosip_tp_config *cfg,
                                     const gosip_tp_callbacks *cb, void *user_data);
/** Frees the transport with its listening points and connections (no callbacks). Not from
 *  inside a callback; NULL is a no-op. */
GOSIP_EXTERN void gosip_transport_free(gosip_transport *tp);
GOSIP_EXTERN const gosip_tp_stats *gosip_tp_stats_get(const gosip_transport *tp);
/**
 * Replaces the callbacks (cb NULL: none), for a layer that takes over a transport (the
 * stack, or a runtime that wraps the stack's callbacks). Not from inside a callback.
 */
GOSIP_EXTERN void gosip_tp_set_callbacks(gosip_transport *tp, const gosip_tp_callbacks *cb,
                                         void *user_data);
/** The current callbacks and their user data. */
GOSIP_EXTERN void gosip_tp_get_callbacks(const gosip_transport *tp, gosip_tp_callbacks *cb,
                                         void **user_data);
/** The `now` of the input being processed, or of the latest one (0 before any): what a
 *  callback, which gets no time argument, should use. */
GOSIP_EXTERN gosip_tstamp gosip_tp_now(const gosip_transport *tp);

/**
 * Registers a listening point the runtime has bound (with the real port when it asked
 * for port 0). sent_by is the host to advertise in Via (absent: the address itself).
 * Errors: INVALID_ARG, EXISTS (same kind, address and port), NOMEM.
 */
GOSIP_EXTERN int gosip_tp_lp_add(gosip_transport *tp, gosip_tp_kind kind, const gosip_addr *bound,
                                 gosip_str sent_by, gosip_lp **out);
/** Removes a listening point; its connections are closed (CLOSE descriptors follow). */
GOSIP_EXTERN void gosip_tp_lp_remove(gosip_transport *tp, gosip_lp *lp, gosip_tstamp now);
GOSIP_EXTERN gosip_tp_kind gosip_lp_kind(const gosip_lp *lp);
GOSIP_EXTERN const gosip_addr *gosip_lp_addr(const gosip_lp *lp);
/** Runtime data attached to a listening point (its socket handle). */
GOSIP_EXTERN void gosip_lp_set_data(gosip_lp *lp, void *data);
GOSIP_EXTERN void *gosip_lp_data(const gosip_lp *lp);

/* ---------------------------------------------------------------- input from the runtime */

/**
 * A datagram arrived on lp. Malformed input is dropped and counted; a good message goes
 * to on_message. Errors: RECURSIVE (called from a callback), INVALID_ARG, NOMEM (the
 * datagram is dropped, as if lost).
 */
GOSIP_EXTERN int gosip_tp_recv_datagram(gosip_transport *tp, gosip_lp *lp, const gosip_addr *from,
                                        const void *data, size_t len, gosip_tstamp now);
/**
 * The runtime accepted an inbound connection on lp. Errors: REFUSED (over max_conns or
 * max_conns_per_source: close the socket), INVALID_ARG (lp is not TCP or TLS), NOMEM.
 */
GOSIP_EXTERN int gosip_tp_conn_accepted(gosip_transport *tp, gosip_lp *lp, const gosip_addr *peer,
                                        gosip_tstamp now, gosip_conn **out);
/** An outbound connection (from a CONNECT descriptor) is established (TLS: handshake done). */
GOSIP_EXTERN void gosip_tp_conn_opened(gosip_conn *c, gosip_tstamp now);
/**
 * Bytes read on a connection (plaintext for TLS). Complete messages go to on_message;
 * a framing error or a message over the limits closes the connection (CLOSE descriptor
 * and on_error). Bytes on a connection still opening count as gosip_tp_conn_opened().
 * Errors: CLOSED (the connection is closing), RECURSIVE, INVALID_ARG, NOMEM (the
 * connection is closed as for an error, reported as GOSIP_ERR_IO).
 */
GOSIP_EXTERN int gosip_tp_conn_recv(gosip_conn *c, const void *data, size_t len,
                                    gosip_tstamp now);
/**
 * The runtime closed the connection (peer close, I/O error, or a CLOSE descriptor done).
 * sys_error 0 means an orderly close. The core forgets c after this call. on_error follows
 * (GOSIP_ERR_IO with sys_error, or GOSIP_ERR_CLOSED) when the core had not asked for the
 * close and either sys_error != 0 or bytes were waiting for the connection to open.
 * Allowed from inside a callback.
 */
GOSIP_EXTERN void gosip_tp_conn_closed(gosip_conn *c, int sys_error, gosip_tstamp now);
GOSIP_EXTERN gosip_tp_kind gosip_conn_kind(const gosip_conn *c);
GOSIP_EXTERN const gosip_addr *gosip_conn_peer(const gosip_conn *c);
GOSIP_EXTERN gosip_lp *gosip_conn_lp(const gosip_conn *c);
GOSIP_EXTERN void gosip_conn_set_data(gosip_conn *c, void *data);
GOSIP_EXTERN void *gosip_conn_data(const gosip_conn *c);

/* ---------------------------------------------------------------- output to the runtime */

typedef enum gosip_tx_kind {
    GOSIP_TX_DATAGRAM = 0, /**< send buf from lp to dest */
    GOSIP_TX_STREAM,       /**< write buf on conn */
    GOSIP_TX_CONNECT,      /**< open conn to dest from lp's address (TLS: tls_host for SNI
                                and certificate checks); report gosip_tp_conn_opened/_closed */
    GOSIP_TX_CLOSE         /**< close conn, then report gosip_tp_conn_closed */
} gosip_tx_kind;

/** One thing for the runtime to do. */
typedef struct gosip_tx {
    gosip_tx_kind kind;
    gosip_lp *lp;
    gosip_conn *conn;
    gosip_addr dest;
    gosip_str tls_host; /**< valid until the connection closes */
    gosip_buf *buf;     /**< one reference, the runtime's: unref when written */
} gosip_tx;

/** Pulls the next descriptor: 1 when *out is filled, 0 when nothing is queued. */
GOSIP_EXTERN int gosip_tp_next_tx(gosip_transport *tp, gosip_tx *out);

/* ---------------------------------------------------------------- sending */

/** Where to send a request: from RFC 3263 server location, or a numeric next hop. */
typedef struct gosip_target {
    gosip_tp_kind kind;
    gosip_addr addr;
    gosip_str host; /**< the name the target was found under (TLS checks its certificate) */
} gosip_target;

/**
 * Sends a request to a target (RFC 3261 18.1.1): picks the listening point of that
 * transport and address family, writes the top Via's transport and sent-by (adding
 * rport, RFC 3581), switches a large UDP request to TCP (then Via says TCP), and reuses
 * an open connection to the same peer or opens one. *used (may be NULL) receives the
 * transport chosen. Errors: NOT_FOUND (no listening point of that kind and family),
 * REFUSED (connection limit), LIMIT (connection queue full), INVALID_ARG (not a request
 * or no Via), NOMEM.
 */
GOSIP_EXTERN int gosip_tp_send_request(gosip_transport *tp, gosip_msg *req,
                                       const gosip_target *t, gosip_tstamp now,
                                       gosip_tp_kind *used);

/**
 * Where a response goes (RFC 3261 18.2.2, RFC 3581 4): over the request's connection
 * while it is open; else maddr; else received (and rport) of the top Via; else its
 * sent-by. Returns 0 and fills *out (*conn gets the connection to use or NULL), or
 * GOSIP_ERR_RESOLVE when sent-by is a name that must be resolved (RFC 3263 5; out->host
 * is set and points into resp; out->kind and out->addr.port are set), or INVALID_ARG when
 * the response has no usable Via. rx may be NULL or a copy kept after its callback:
 * rx->conn is never dereferenced, the open connection is looked up by (rx->kind, rx->peer).
 */
GOSIP_EXTERN int gosip_tp_response_target(gosip_transport *tp, const gosip_msg *resp,
                                          const gosip_rx_info *rx, gosip_target *out,
                                          gosip_conn **conn);

/** Sends a response per gosip_tp_response_target(). Errors: as it, plus those of sending. */
GOSIP_EXTERN int gosip_tp_send_response(gosip_transport *tp, gosip_msg *resp,
                                        const gosip_rx_info *rx, gosip_tstamp now);

/**
 * Sends any message as it is to a target, over conn when given (no Via rewriting): for
 * proxies forwarding statelessly and for ACKs to 2xx. conn must not have been reported
 * closed; a closing conn falls back to t. Errors as gosip_tp_send_request(), plus CLOSED
 * (conn closing and t NULL).
 */
GOSIP_EXTERN int gosip_tp_send_raw(gosip_transport *tp, const gosip_msg *msg,
                                   const gosip_target *t, gosip_conn *conn, gosip_tstamp now);

/* ---------------------------------------------------------------- time */

/** The earliest pending deadline (idle, connect or read timeout), or GOSIP_TSTAMP_NONE. */
GOSIP_EXTERN gosip_tstamp gosip_tp_next_expiry(const gosip_transport *tp);
/** Fires every deadline due at now (closing timed-out connections). Errors: RECURSIVE. */
GOSIP_EXTERN int gosip_tp_handle_expiry(gosip_transport *tp, gosip_tstamp now);

#ifdef __cplusplus
}
#endif
#endif
