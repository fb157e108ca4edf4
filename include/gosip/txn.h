/*
 * GoSIP transactions (RFC 3261 section 17, RFC 6026): the public face of the four state
 * machines. Transactions are created by a provider (gosip/stack.h) and are refcounted:
 * the provider hands one reference to the caller, and the stack keeps its own until the
 * on_transaction_terminated event, which is the application's cue to drop its state.
 *
 * Retransmissions are the stack's job: requests and non-2xx final responses are
 * retransmitted on unreliable transports, retransmitted requests are absorbed by their
 * server transaction, and retransmitted responses by their client transaction.
 */
#ifndef GOSIP_TXN_H
#define GOSIP_TXN_H

#include <gosip/base.h>
#include <gosip/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A client or server transaction. */
typedef struct gosip_txn gosip_txn;

/** Transaction states (RFC 3261 figures 5 to 8, RFC 6026 "Accepted"). */
typedef enum gosip_txn_state {
    GOSIP_TXN_INIT = 0,   /**< a client transaction not yet sent */
    GOSIP_TXN_CALLING,    /**< INVITE client: request sent, no response yet */
    GOSIP_TXN_TRYING,     /**< non-INVITE: request sent or received, no response yet */
    GOSIP_TXN_PROCEEDING, /**< a provisional response seen (INVITE server: from the start) */
    GOSIP_TXN_COMPLETED,  /**< a final response (non-2xx for INVITE) seen, absorbing */
    GOSIP_TXN_CONFIRMED,  /**< INVITE server: the ACK of a non-2xx arrived */
    GOSIP_TXN_ACCEPTED,   /**< INVITE: a 2xx seen; further 2xx and ACKs pass through */
    GOSIP_TXN_TERMINATED
} gosip_txn_state;

/** Takes a reference; returns t. */
GOSIP_EXTERN gosip_txn *gosip_txn_ref(gosip_txn *t);
/** Drops a reference; NULL is a no-op. Allowed from callbacks. */
GOSIP_EXTERN void gosip_txn_unref(gosip_txn *t);

/** Nonzero for a client transaction. */
GOSIP_EXTERN int gosip_txn_is_client(const gosip_txn *t);
GOSIP_EXTERN gosip_txn_state gosip_txn_state_of(const gosip_txn *t);
/** "Calling", "Trying", ... */
GOSIP_EXTERN const char *gosip_txn_state_name(gosip_txn_state s);
/** The request that created the transaction (the current attempt's, for a client that
 *  failed over to another server). Borrowed: valid while the transaction is. */
GOSIP_EXTERN gosip_msg *gosip_txn_request(const gosip_txn *t);
/** The last response sent (server) or the last final response received (client); NULL
 *  when none. Borrowed. */
GOSIP_EXTERN gosip_msg *gosip_txn_response(const gosip_txn *t);
/** The branch of the top Via (the transaction's identity on the wire). */
GOSIP_EXTERN gosip_str gosip_txn_branch(const gosip_txn *t);
/** Nonzero when the transaction runs over a reliable transport (known once sent or
 *  received). */
GOSIP_EXTERN int gosip_txn_reliable(const gosip_txn *t);

/** Application data, handed back in every event of the transaction (ev->txn_data). */
GOSIP_EXTERN void gosip_txn_set_data(gosip_txn *t, void *data);
GOSIP_EXTERN void *gosip_txn_data(const gosip_txn *t);

/**
 * Per-transaction timer values overriding the stack's (0 keeps the stack's value).
 * Only before any timer runs: a client before gosip_txn_send_request, a server before its
 * first response. Errors: STATE (too late), INVALID_ARG (t2 < t1).
 */
GOSIP_EXTERN int gosip_txn_set_timers(gosip_txn *t, gosip_tstamp t1, gosip_tstamp t2,
                                      gosip_tstamp t4);

/**
 * Client: sends the request (RFC 3261 8.1.2): the route set (Route headers, else the
 * configured outbound proxy) decides the next hop, with the strict-route fix-up of
 * 12.2.1.1; the application's next-hop function, when configured, may choose it instead;
 * then RFC 3263 picks the targets, tried in order on timeout, transport error or 503.
 * A CANCEL goes where the INVITE it cancels went (9.1). Outcomes arrive as events:
 * on_response, on_timeout or on_io_error, then on_transaction_terminated.
 * Allowed from callbacks. Errors: STATE (already sent, or the stack is shutting down),
 * DESTROYED (the stack was freed); other failures are reported as events, never here.
 */
GOSIP_EXTERN int gosip_txn_send_request(gosip_txn *t, gosip_tstamp now);

/**
 * Server: sends a response on the transaction (a reference to resp is kept for
 * retransmissions). 1xx keep the state; a final response completes it (INVITE 2xx: the
 * Accepted state of RFC 6026, where further 2xx may still be sent). Allowed from
 * callbacks. Errors: INVALID_ARG (not a response, or its CSeq or top Via do not match the
 * request), STATE (no response allowed in this state, e.g. a second final to a
 * non-INVITE), DESTROYED.
 */
GOSIP_EXTERN int gosip_txn_send_response(gosip_txn *t, gosip_msg *resp, gosip_tstamp now);

/**
 * Client INVITE: builds the CANCEL for the transaction's current request (RFC 3261 9.1);
 * send it on a client transaction of its own. *out holds one reference.
 * Errors: INVALID_ARG (not an INVITE client transaction), STATE (no provisional response
 * yet is fine, but a final one was already received), NOMEM.
 */
GOSIP_EXTERN int gosip_txn_new_cancel(const gosip_txn *t, gosip_msg **out);

/**
 * Ends the transaction now, without sending anything more: its timers stop and
 * on_transaction_terminated follows (with reason GOSIP_ERR_DESTROYED). A client
 * transaction that had no final outcome yet first gets on_io_error with
 * GOSIP_ERR_DESTROYED, so that every client transaction still ends with exactly one
 * outcome. Allowed from callbacks.
 * Errors: STATE (already terminated).
 */
GOSIP_EXTERN int gosip_txn_terminate(gosip_txn *t, gosip_tstamp now);

#ifdef __cplusplus
}
#endif
#endif
