/*
 * GoSIP stack: the public face in the JAIN-SIP model. A stack is created from a
 * configuration struct and a listener (a struct of callbacks); it owns a sans-I/O
 * transport (gosip/transport.h) with its listening points, a provider that sends
 * messages and creates transactions, and the transactions themselves.
 *
 * The stack never touches a socket or reads a clock. A runtime (gosip/uv.h, or the
 * application's own loop) feeds it bytes through its transport, pulls what to send with
 * gosip_stack_next_tx(), and calls gosip_stack_handle_expiry() at
 * gosip_stack_next_expiry(). Name resolution (RFC 3263) is asked of the runtime through a
 * resolver hook; without one, only numeric hosts are resolved.
 *
 * Threads: one stack is used by one thread at a time; several stacks may live in one
 * process. There is no global state.
 *
 * Re-entrancy: from inside a listener callback every provider and transaction call,
 * ref/unref, set/get data and gosip_stack_free are allowed; gosip_stack_handle_expiry,
 * gosip_stack_next_tx and the transport's input functions return GOSIP_ERR_RECURSIVE.
 */
#ifndef GOSIP_STACK_H
#define GOSIP_STACK_H

#include <gosip/base.h>
#include <gosip/msg.h>
#include <gosip/dialog.h>
#include <gosip/transport.h>
#include <gosip/txn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- configuration */

/** Where a request goes next, as a next-hop function chooses it (the JAIN-SIP Router). */
typedef struct gosip_hop {
    gosip_str host; /**< numeric address or a name (resolved per RFC 3263); copied */
    uint16_t port;  /**< 0: the RFC 3263 default */
    int has_kind;   /**< nonzero: use `kind`; zero: RFC 3263 chooses */
    gosip_tp_kind kind;
} gosip_hop;

/**
 * Chooses the next hop of an outgoing request (after the route set was applied; `req` is
 * what will be sent). Return 1 with *hop filled to use it, 0 to let RFC 3261 8.1.2 decide
 * (the top Route, else the Request-URI), or a negative GOSIP_ERR_* to fail the request
 * (reported as on_io_error). hop->host must stay valid until the function returns.
 */
typedef int (*gosip_next_hop_fn)(gosip_stack *stack, const gosip_msg *req, gosip_hop *hop,
                                 void *user_data);

/** The versions of the public structs the application allocates. */
#define GOSIP_CONFIG_V1 1
#define GOSIP_CONFIG_VERSION GOSIP_CONFIG_V1
#define GOSIP_LISTENER_V1 1
#define GOSIP_LISTENER_VERSION GOSIP_LISTENER_V1

/**
 * Every limit and timer of a stack. Fill it with gosip_config_default(), then override
 * fields. New fields are only ever appended; each names the version that added it.
 * Strings are copied at gosip_stack_new(); the struct is never read again.
 */
typedef struct gosip_config {
    const gosip_mem *mem;       /**< allocator for everything of the stack; NULL: the C one */
    gosip_tp_config tp;         /**< transport limits (its mem is replaced by `mem`) */
    gosip_tstamp t1;            /**< RTT estimate; default 500 ms */
    gosip_tstamp t2;            /**< retransmission cap; default 4 s */
    gosip_tstamp t4;            /**< network message lifetime; default 5 s */
    unsigned max_transactions;  /**< live client + server transactions; over it a new
                                     request gets 503 with Retry-After and a new client
                                     transaction GOSIP_ERR_LIMIT; default 65536 */
    unsigned retry_after;       /**< seconds in the Retry-After of that 503; default 5 */
    gosip_tstamp trying_delay;  /**< 100 Trying sent for an INVITE server transaction the
                                     application has not answered within this time;
                                     default 200 ms; GOSIP_TSTAMP_NONE: never */
    const char *outbound_proxy; /**< URI every request without Route headers is routed
                                    through (as a one-entry route set); NULL: none */
    gosip_next_hop_fn next_hop; /**< optional; NULL: RFC 3261 8.1.2 */
    void *next_hop_data;
    int auto_cancel;        /**< the stack answers a CANCEL (9.2): 200 when it matches a
                                 server transaction, of any method, 487 to that
                                 transaction when it is a pending INVITE, 481 when
                                 nothing matches; 0: all are the application's; default 1 */
    int reject_merged;      /**< a merged request (8.2.2.2) is answered 482; default 1
                                 (proxies: 0) */
    int validate;           /**< a new request is checked with gosip_msg_validate() in
                                 `role` and answered with the response it names (400,
                                 420, 505...) without reaching the application; default 1 */
    gosip_role role;        /**< default GOSIP_ROLE_UAS */
    const char *supported;  /**< option tags understood, comma-separated (for 420);
                                 default NULL: none */
    gosip_random_fn random; /**< source of branches and tags; NULL: getrandom() */
    void *random_data;
    int auto_dialog;          /**< automatic dialog support (gosip/dialog.h); default 1 */
    unsigned max_dialogs;     /**< live dialogs; over it a dialog-creating request gets 503;
                                   default 65536 */
    const char *contact_user; /**< user part of the Contact the stack writes into
                                   dialog-creating responses that have none; default none */
} gosip_config;

/** The defaults above. Use the macro. */
GOSIP_EXTERN void gosip_config_default_versioned(int version, gosip_config *cfg);
#define gosip_config_default(cfg) gosip_config_default_versioned(GOSIP_CONFIG_VERSION, (cfg))

#define GOSIP_DEFAULT_MAX_TRANSACTIONS 65536u
#define GOSIP_DEFAULT_RETRY_AFTER 5u
#define GOSIP_DEFAULT_TRYING_DELAY GOSIP_MS(200)
#define GOSIP_DEFAULT_MAX_DIALOGS 65536u

/* ---------------------------------------------------------------- events */

/** A request arrived. Valid during the callback (take references to keep parts). */
typedef struct gosip_request_event {
    gosip_msg *msg;
    /** The server transaction it belongs to: NULL for a new request (create one with
     *  gosip_provider_new_server_txn() to answer statefully, or answer statelessly); set
     *  for the ACK of a 2xx that reached an INVITE transaction in Accepted. */
    gosip_txn *txn;
    void *txn_data;
    /** For a CANCEL: the server transaction it matches (9.2), else NULL. With
     *  auto_cancel the stack has already answered the CANCEL, and a pending INVITE. */
    gosip_txn *cancelled;
    void *cancelled_data;
    gosip_rx_info rx; /**< where it came from (a copy: may be kept, conn only compared) */
    gosip_tstamp now;
    /** The dialog it belongs to (in-dialog requests, ACKs of 2xx), else NULL. */
    gosip_dialog *dialog;
    void *dialog_data;
} gosip_request_event;

/** A response arrived: for a client transaction, or stray (txn NULL: e.g. a 2xx
 *  retransmission after its transaction ended, which a user agent must still ACK). */
typedef struct gosip_response_event {
    gosip_msg *msg;
    gosip_txn *txn;
    void *txn_data;
    gosip_rx_info rx;
    gosip_tstamp now;
    /** The dialog the response created or belongs to, else NULL. */
    gosip_dialog *dialog;
    void *dialog_data;
} gosip_response_event;

/** A transaction timed out: Timer B or F (client: no final response), H (server: no ACK). */
typedef struct gosip_timeout_event {
    gosip_txn *txn;
    void *txn_data;
    char timer; /**< 'B', 'F' or 'H' */
    gosip_tstamp now;
} gosip_timeout_event;

/** A message could not be delivered, or a connection failed. */
typedef struct gosip_io_error_event {
    gosip_txn *txn; /**< the transaction concerned, or NULL (stateless sends, connections) */
    void *txn_data;
    int code;      /**< GOSIP_ERR_IO, _TIMEOUT, _REFUSED, _CLOSED, _TLS, _RESOLVE,
                        _NOT_FOUND (no listening point for the target), _LIMIT,
                        _DESTROYED (the stack was freed first)... */
    int sys_error; /**< the runtime's own code (libuv's), 0 when none */
    gosip_tp_kind kind;
    gosip_addr peer;
    const char *reason; /**< static English explanation */
    gosip_tstamp now;
} gosip_io_error_event;

/** A transaction reached Terminated; the stack drops its reference after this call. */
typedef struct gosip_txn_terminated_event {
    gosip_txn *txn;
    void *txn_data;
    int reason; /**< 0, or GOSIP_ERR_DESTROYED (stack freed or gosip_txn_terminate) */
    gosip_tstamp now;
} gosip_txn_terminated_event;

/** A dialog ended; the stack drops its reference after this call. */
typedef struct gosip_dialog_terminated_event {
    gosip_dialog *dialog;
    void *dialog_data;
    gosip_dialog_end reason;
    gosip_tstamp now;
} gosip_dialog_terminated_event;

/**
 * The application's callbacks (versioned; copied at creation). A NULL member selects
 * the default: new requests other than ACK are answered 501 statelessly; other events
 * are dropped.
 */
typedef struct gosip_listener {
    void (*on_request)(gosip_provider *p, const gosip_request_event *ev, void *user_data);
    void (*on_response)(gosip_provider *p, const gosip_response_event *ev, void *user_data);
    void (*on_timeout)(gosip_provider *p, const gosip_timeout_event *ev, void *user_data);
    void (*on_io_error)(gosip_provider *p, const gosip_io_error_event *ev, void *user_data);
    void (*on_transaction_terminated)(gosip_provider *p, const gosip_txn_terminated_event *ev,
                                      void *user_data);
    void (*on_dialog_terminated)(gosip_provider *p, const gosip_dialog_terminated_event *ev,
                                 void *user_data);
    /** Offer/answer moments of INVITE sessions (gosip/dialog.h). */
    void (*on_offer_answer)(gosip_provider *p, const gosip_oa_event *ev, void *user_data);
} gosip_listener;

/* ---------------------------------------------------------------- name resolution */

/** One pending RFC 3263 lookup, owned by the stack. */
typedef struct gosip_resolve_query gosip_resolve_query;

/**
 * The runtime's resolver. resolve() starts locating the servers for a sip/sips URI and
 * later (never from inside resolve()) calls gosip_resolve_done() exactly once, unless
 * cancel() was called for the query first; it returns 0 or a GOSIP_ERR_* (the request
 * then fails with that code). cancel() is called when the stack no longer needs the
 * answer (stack freed).
 */
typedef struct gosip_resolver {
    int (*resolve)(void *user_data, const gosip_uri *uri, gosip_resolve_query *q);
    void (*cancel)(void *user_data, gosip_resolve_query *q);
    void *user_data;
} gosip_resolver;

/**
 * Installs the resolver (copied); NULL restores numeric-only resolution. Lookups the
 * previous resolver still owed are cancelled through it and their requests fail with
 * on_io_error(GOSIP_ERR_DESTROYED). Not from inside a callback of this stack.
 */
GOSIP_EXTERN void gosip_stack_set_resolver(gosip_stack *stack, const gosip_resolver *r);
/**
 * Delivers the targets of a query, in the order to try them (copied), or a failure
 * status (targets NULL). Not from inside a stack callback (GOSIP_ERR_RECURSIVE).
 */
GOSIP_EXTERN int gosip_resolve_done(gosip_resolve_query *q, int status, const gosip_target *targets,
                                    size_t n, gosip_tstamp now);

/* ---------------------------------------------------------------- the stack */

/**
 * Creates a stack. cfg (NULL: defaults) and lis are copied; user_data is passed to every
 * listener callback. Use the macro, which passes the struct versions. Errors: INVALID_ARG
 * (unknown version, t2 < t1, a malformed outbound_proxy), NOMEM.
 */
GOSIP_EXTERN int gosip_stack_new_versioned(gosip_stack **out, int cfg_version,
                                           const gosip_config *cfg, int lis_version,
                                           const gosip_listener *lis, void *user_data);
#define gosip_stack_new(out, cfg, lis, ud)                                                         \
    gosip_stack_new_versioned((out), GOSIP_CONFIG_VERSION, (cfg), GOSIP_LISTENER_VERSION, (lis),   \
                              (ud))

/**
 * Frees the stack. Every live transaction is ended first: a client transaction without a
 * final outcome gets on_io_error with GOSIP_ERR_DESTROYED, then each gets
 * on_transaction_terminated with reason GOSIP_ERR_DESTROYED; no callback follows.
 * Transaction objects the application still holds stay valid (their calls return
 * GOSIP_ERR_DESTROYED) until unreferenced. From inside a callback the events are
 * delivered at once and the memory is released when the running stack input returns
 * (gosip_stack_recv, gosip_stack_handle_expiry, gosip_resolve_done), or, for an input
 * made on the transport directly, at the next call into the stack, which then returns
 * GOSIP_ERR_DESTROYED. With a runtime (gosip/uv.h), close the runtime first. NULL ok.
 */
GOSIP_EXTERN void gosip_stack_free(gosip_stack *stack);

/** The stack's provider (one per stack, lives as long as it). */
GOSIP_EXTERN gosip_provider *gosip_stack_provider(gosip_stack *stack);
GOSIP_EXTERN gosip_stack *gosip_provider_stack(gosip_provider *p);
/** The transport: listening points are added and bytes fed in through it. */
GOSIP_EXTERN gosip_transport *gosip_stack_transport(gosip_stack *stack);

/** Datagram input (gosip_tp_recv_datagram on the stack's transport). */
GOSIP_EXTERN int gosip_stack_recv(gosip_stack *stack, gosip_lp *lp, const gosip_addr *from,
                                  const void *data, size_t len, gosip_tstamp now);
/** Pulls the next output descriptor (gosip_tp_next_tx): 1 filled, 0 none, or RECURSIVE. */
GOSIP_EXTERN int gosip_stack_next_tx(gosip_stack *stack, gosip_tx *out);
/** The earliest deadline of the transactions and the transport; NONE when idle. */
GOSIP_EXTERN gosip_tstamp gosip_stack_next_expiry(const gosip_stack *stack);
/** Fires every timer due at now. Errors: RECURSIVE, DESTROYED. */
GOSIP_EXTERN int gosip_stack_handle_expiry(gosip_stack *stack, gosip_tstamp now);
/** Nonzero when no transaction (nor a stateless send waiting for its target) is alive. */
GOSIP_EXTERN int gosip_stack_is_idle(const gosip_stack *stack);

/** Counters, for tests and operations. */
typedef struct gosip_stack_stats {
    uint64_t txns_live;                /**< client + server transactions alive now */
    uint64_t client_txns, server_txns; /**< created in all */
    uint64_t retransmissions_absorbed; /**< requests and responses kept from the application */
    uint64_t stray_responses;          /**< responses matching no transaction */
    uint64_t rejected_limit;           /**< 503 for max_transactions */
    uint64_t rejected_merged;          /**< 482 */
    uint64_t rejected_invalid;         /**< answered by validation (400, 420...) or dropped ACKs */
    uint64_t cancels_unmatched;        /**< 481 to a CANCEL */
    uint64_t auto_trying;              /**< automatic 100 Trying */
    uint64_t failovers;                /**< client attempts moved to the next RFC 3263 target */
} gosip_stack_stats;

GOSIP_EXTERN const gosip_stack_stats *gosip_stack_stats_get(const gosip_stack *stack);

/* ---------------------------------------------------------------- the provider */

/**
 * Creates a client transaction for req (a reference is kept; the caller should not
 * change req afterwards). The top Via gets a fresh RFC 3261 branch when it has none or
 * one without the magic cookie; a request without Via gets one. Send it with
 * gosip_txn_send_request(). *out holds one reference.
 * Errors: INVALID_ARG (not a request, an ACK: send ACKs with gosip_provider_send_request),
 * EXISTS (a live client transaction has that branch), LIMIT (max_transactions), STATE
 * (shutting down), NOMEM.
 */
GOSIP_EXTERN int gosip_provider_new_client_txn(gosip_provider *p, gosip_msg *req, gosip_txn **out);
/**
 * Creates the server transaction for a received request (the msg of a request event; it
 * answers retransmissions from now on, and arms the automatic 100 Trying of an INVITE).
 * *out holds one reference. Errors: INVALID_ARG (not a received request, or an ACK),
 * EXISTS (a transaction already handles it: a retransmission), LIMIT (max_transactions,
 * or 16 live server transactions with the request's branch and sent-by under other
 * methods), STATE, NOMEM.
 */
GOSIP_EXTERN int gosip_provider_new_server_txn(gosip_provider *p, gosip_msg *req, gosip_txn **out);
/**
 * Sends a request statelessly (proxies forwarding, ACKs of 2xx), routed like a client
 * transaction's but tried on the first target only and with the Via left as it is
 * (except its transport and sent-by when the stack adds the top Via, which it does only
 * when req has none). Failures after the call are reported as on_io_error with txn NULL.
 * Errors: INVALID_ARG (not a request), STATE, NOMEM.
 */
GOSIP_EXTERN int gosip_provider_send_request(gosip_provider *p, gosip_msg *req, gosip_tstamp now);
/**
 * Sends a response statelessly (RFC 3261 18.2.2: over the request's connection while it
 * is open, else by the top Via). A response built with gosip_msg_new_response() from a
 * received request remembers where that request came from. Errors: INVALID_ARG (not a
 * response, no usable Via), RESOLVE is reported as an event, NOMEM.
 */
GOSIP_EXTERN int gosip_provider_send_response(gosip_provider *p, gosip_msg *resp, gosip_tstamp now);

#ifdef __cplusplus
}
#endif
#endif
