/*
 * GoSIP libuv runtime (libgosip-uv): binds the sans-I/O transport (gosip/transport.h) to
 * real sockets, TLS (OpenSSL), DNS (c-ares, RFC 3263) and real time on a libuv loop the
 * application owns (or one the runtime creates: gosip_uv_new with loop NULL). Everything
 * runs on the loop's thread.
 */
#ifndef GOSIP_UV_H
#define GOSIP_UV_H

#include <gosip/stack.h>
#include <gosip/transport.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gosip_uv gosip_uv;

/** Runtime configuration; fill with gosip_uv_config_default(). Strings are copied. */
typedef struct gosip_uv_config {
    gosip_tp_config tp;
    const char *dns_servers;   /**< "127.0.0.1:5353,..." for c-ares; NULL: the system's */
    const char *tls_cert_file; /**< PEM certificate (chain) presented by TLS listening points */
    const char *tls_key_file;  /**< its private key */
    const char *tls_ca_file;   /**< PEM CAs to verify peers; NULL: the system store */
    int tls_verify_peer; /**< verify server certificates and host names (RFC 5922); default 1 */
    const char *tls_client_cert_file; /**< optional client certificate for outbound TLS */
    const char *tls_client_key_file;
    int tls_require_client_cert; /**< TLS listening points demand a client certificate; default 0 */
    gosip_tstamp tls_handshake_timeout; /**< from TCP accept or connect to handshake done
                                             (outbound: tp.connect_timeout applies too);
                                             on expiry on_error GOSIP_ERR_TIMEOUT; default 10 s */
} gosip_uv_config;

GOSIP_EXTERN void gosip_uv_config_default(gosip_uv_config *cfg);

/**
 * Creates the runtime on loop (not owned), or, with loop NULL, on a loop of its own that
 * it creates (run it with gosip_uv_run, which closes and frees it once the runtime has
 * closed). All-or-nothing. Errors: NOMEM, INVALID_ARG, TLS (certificate or key
 * unreadable), IO (a libuv call failed).
 */
GOSIP_EXTERN int gosip_uv_new(gosip_uv **out, uv_loop_t *loop, const gosip_uv_config *cfg,
                              const gosip_tp_callbacks *cb, void *user_data);
/**
 * Creates the runtime for a whole stack (gosip/stack.h) rather than a bare transport: it
 * binds the stack's transport to sockets, drives the stack's timers (one uv_timer set
 * from gosip_stack_next_expiry(), gosip_stack_handle_expiry() when it fires), drains
 * output with gosip_stack_next_tx(), and installs itself as the stack's RFC 3263 resolver
 * (c-ares, as gosip_uv_resolve), cancelling lookups the stack no longer needs.
 *
 * cfg->tp does not configure the transport (the stack's configuration did); its mem
 * allocates the runtime's own memory and its max_conn_queue and limits.max_msg_size bound
 * the runtime's write queues, as with gosip_uv_new. The TLS, DNS and handshake settings
 * of cfg apply. gosip_uv_transport() returns the stack's transport, and gosip_uv_listen()
 * adds listening points to it. The stack's transport callbacks are wrapped (runtime
 * errors such as TLS failures reach the stack with their own codes) and restored on close.
 *
 * The stack is not owned. Close the runtime first; once gosip_uv_close's close_cb has run
 * (or within it), the runtime is detached (no lookup is pending on its side, the resolver
 * and callbacks are the stack's own again) and the application may free the stack, which
 * then ends what the runtime left pending (GOSIP_ERR_DESTROYED). One runtime per stack;
 * not from inside a stack callback. Errors: as gosip_uv_new, and STATE (the stack already
 * has a runtime).
 */
GOSIP_EXTERN int gosip_uv_new_stack(gosip_uv **out, uv_loop_t *loop, const gosip_uv_config *cfg,
                                    gosip_stack *stack);
/** The loop the runtime runs on (the application's, or its own). */
GOSIP_EXTERN uv_loop_t *gosip_uv_loop(gosip_uv *uv);
/**
 * uv_run() on the runtime's loop. Required for a loop the runtime created: when the
 * runtime finished closing (close_cb has run) during this call, the loop is closed and
 * freed before it returns, and uv must not be used again. Returns uv_run's value.
 * Must not be called from a callback.
 */
GOSIP_EXTERN int gosip_uv_run(gosip_uv *uv, uv_run_mode mode);
/** The transport core this runtime drives (for sending and listening point queries); with
 *  gosip_uv_new_stack, the stack's. */
GOSIP_EXTERN gosip_transport *gosip_uv_transport(gosip_uv *uv);

/**
 * Binds a listening point: host is a numeric IPv4/IPv6 address ("127.0.0.1", "::1");
 * port 0 picks an ephemeral port (read it back with gosip_lp_addr). TCP and TLS points
 * accept connections; outbound connections of a kind leave from its listening point's
 * address. A TLS point without a configured server certificate is outbound-only (bound,
 * not listening): a client that uses TLS needs no certificate of its own.
 * Errors: INVALID_ARG, IO (bind failed: gosip_uv_last_error gives the libuv error).
 */
GOSIP_EXTERN int gosip_uv_listen(gosip_uv *uv, gosip_tp_kind kind, const char *host, unsigned port,
                                 gosip_lp **out);
/** Closes a listening point and its connections. */
GOSIP_EXTERN int gosip_uv_unlisten(gosip_uv *uv, gosip_lp *lp);

/** The last libuv error code the runtime saw (for diagnostics), 0 when none. */
GOSIP_EXTERN int gosip_uv_last_error(const gosip_uv *uv);

/** Called with the targets of RFC 3263 server location, in the order to try them. */
typedef void (*gosip_uv_resolve_cb)(gosip_uv *uv, int status, const gosip_target *targets, size_t n,
                                    void *user_data);

/**
 * Locates the SIP servers for a URI (RFC 3263 4): NAPTR, SRV, then A/AAAA, with numeric
 * hosts and explicit ports short-circuiting as the RFC says; answers are cached for their
 * TTL. cb runs later on the loop (never from inside this call), with status 0 and the
 * ordered targets, or GOSIP_ERR_RESOLVE (nothing found), GOSIP_ERR_NOMEM, or
 * GOSIP_ERR_DESTROYED (the runtime closed first). Errors: INVALID_ARG (not a sip/sips
 * URI), UNSUPPORTED (a transport parameter other than udp, tcp or tls), STATE (closing),
 * NOMEM.
 */
GOSIP_EXTERN int gosip_uv_resolve(gosip_uv *uv, const gosip_uri *uri, gosip_uv_resolve_cb cb,
                                  void *user_data);

/**
 * Closes every handle; close_cb runs once all of them are closed, after which the
 * runtime is freed (the loop may then be closed). No callback runs after close_cb.
 */
GOSIP_EXTERN void gosip_uv_close(gosip_uv *uv, void (*close_cb)(gosip_uv *uv, void *ud), void *ud);

#ifdef __cplusplus
}
#endif
#endif
