/*
 * The four RFC 3261 §17 transaction state machines (INVITE/non-INVITE, client/server) with
 * RFC 6026's "Accepted" state, sans-I/O: every input takes `now`, the owner asks
 * gosip__txn_next_expiry() for the next deadline and calls gosip__txn_handle_expiry() then.
 * Internal to libgosip; the public transaction API (txn.h) is built on top later.
 *
 * The owner (the future stack) matches messages to transactions (§17.1.3, §17.2.3) and
 * sends bytes; this module only decides what to send, pass up and time. Outputs are
 * callbacks in gosip__txn_env, invoked synchronously from the inputs.
 *
 * Re-entrancy: while a callback runs, the only calls allowed on the same transaction are
 * gosip__txn_server_send_response() (so the deliver callback can answer a request at
 * once), gosip__txn_free() (deferred until the running input returns) and the read-only
 * getters. Every other input returns GOSIP_ERR_RECURSIVE. After gosip__txn_free() no more
 * callbacks are made for that transaction.
 *
 * Event order guarantees: no callback after `terminated`; `terminated` exactly once per
 * transaction that reaches the Terminated state (a transaction freed before that gets none:
 * the owner chose to drop it).
 */
#ifndef GOSIP_TXN_FSM_H
#define GOSIP_TXN_FSM_H

#include <gosip/base.h>
#include <gosip/msg.h>

/** Which of the four §17 machines. */
typedef enum gosip__txn_kind {
    GOSIP__TXN_ICT,  /**< INVITE client, §17.1.1 + RFC 6026 §8.4 */
    GOSIP__TXN_NICT, /**< non-INVITE client, §17.1.2 */
    GOSIP__TXN_IST,  /**< INVITE server, §17.2.1 + RFC 6026 §8.5-8.7 */
    GOSIP__TXN_NIST  /**< non-INVITE server, §17.2.2 */
} gosip__txn_kind;

typedef enum gosip__txn_state {
    GOSIP__TXN_INIT, /**< created, not started */
    GOSIP__TXN_CALLING,
    GOSIP__TXN_TRYING,
    GOSIP__TXN_PROCEEDING,
    GOSIP__TXN_COMPLETED,
    GOSIP__TXN_CONFIRMED,
    GOSIP__TXN_ACCEPTED,
    GOSIP__TXN_TERMINATED
} gosip__txn_state;

typedef struct gosip__txn gosip__txn;

/**
 * The owner's callbacks. `msg` arguments are borrowed for the duration of the call (take a
 * gosip_msg_ref to keep one). NULL callbacks are skipped, except send.
 */
typedef struct gosip__txn_env {
    void *user_data;
    /**
     * Transmit msg: the request and its retransmissions, the ACK of a non-2xx final (ICT),
     * responses (server). Return 0, or a negative GOSIP_ERR_* for a transport failure
     * detected at once, which is handled as gosip__txn_on_transport_error() (§17.1.4,
     * §17.2.4): transport_error, then terminated.
     */
    int (*send)(gosip__txn *t, gosip_msg *msg, void *user_data);
    /** Pass up: client, a response (RFC 6026: every 2xx, also in Accepted); server, the
     *  request, and for IST in Accepted, an ACK. */
    void (*deliver)(gosip__txn *t, gosip_msg *msg, void *user_data);
    /** Timer 'B', 'F' or 'H' fired; terminated follows. */
    void (*timeout)(gosip__txn *t, char timer, void *user_data);
    /** A transport failure (err < 0); terminated follows. */
    void (*transport_error)(gosip__txn *t, int err, void *user_data);
    /** The transaction reached Terminated. It may be freed from here. */
    void (*terminated)(gosip__txn *t, void *user_data);
} gosip__txn_env;

/** Creation parameters. Zero timer values select the RFC 3261 defaults. */
typedef struct gosip__txn_cfg {
    gosip__txn_kind kind;
    int reliable;    /**< TCP/TLS/SCTP: no A/E/G, and D, I, J, K are 0 */
    gosip_tstamp t1; /**< RTT estimate, default 500 ms */
    gosip_tstamp t2; /**< retransmit cap for non-INVITE and INVITE responses, default 4 s */
    gosip_tstamp t4; /**< network lifetime of a message, default 5 s */
} gosip__txn_cfg;

#define GOSIP__TXN_T1 GOSIP_MS(500)
#define GOSIP__TXN_T2 GOSIP_SEC(4)
#define GOSIP__TXN_T4 GOSIP_SEC(5)
/** Timer D on unreliable transports (Table 4: "> 32 s"). */
#define GOSIP__TXN_TIMER_D GOSIP_SEC(32)

/**
 * Creates a transaction in state INIT. mem NULL selects the C allocator; env is copied.
 * Errors: INVALID_ARG (env or env->send NULL, unknown kind, t2 < t1), NOMEM.
 */
int gosip__txn_new(gosip__txn **out, const gosip_mem *mem, const gosip__txn_cfg *cfg,
                   const gosip__txn_env *env);
/**
 * Frees the transaction and drops its message references, without callbacks. Inside a
 * callback of t the free is deferred until the running input returns. NULL is a no-op.
 */
void gosip__txn_free(gosip__txn *t);

/** Getters (safe anywhere). */
gosip__txn_kind gosip__txn_kind_of(const gosip__txn *t);
gosip__txn_state gosip__txn_state_of(const gosip__txn *t);
/** The request the transaction was started with (NULL before). */
gosip_msg *gosip__txn_request(const gosip__txn *t);
/** The most recent response sent (server) or final received (client); NULL when none. */
gosip_msg *gosip__txn_response(const gosip__txn *t);
/** The name of a state ("Calling", ...). */
const char *gosip__txn_state_name(gosip__txn_state s);

/**
 * Client: starts ICT (Calling, Timers A and B) or NICT (Trying, E and F) and sends req
 * (a reference is kept). Errors: INVALID_ARG (server kind, req not a request, INVITE for
 * NICT / not INVITE for ICT, ACK), STATE (already started), RECURSIVE.
 */
int gosip__txn_client_start(gosip__txn *t, gosip_msg *req, gosip_tstamp now);
/**
 * Client: a response matched to t (§17.1.3). Absorbed quietly where the RFC says so.
 * Errors: INVALID_ARG (not a response), STATE (not started or terminated), RECURSIVE,
 * and for an ICT non-2xx final whose ACK cannot be built, the error of gosip_msg_new_ack()
 * (NOMEM, or INVALID_ARG for a response without the headers an ACK copies): the response
 * is still passed up and the state advanced; a retransmitted final retries the ACK.
 */
int gosip__txn_client_on_response(gosip__txn *t, gosip_msg *resp, gosip_tstamp now);
/**
 * Server: starts IST (Proceeding) or NIST (Trying) for req and passes it up via deliver;
 * the deliver callback may answer with gosip__txn_server_send_response(). Errors as
 * gosip__txn_client_start() for server kinds.
 */
int gosip__txn_server_start(gosip__txn *t, gosip_msg *req, gosip_tstamp now);
/**
 * Server: a request matched to t after the start: a retransmission (the last response is
 * re-sent where the RFC says so) or, for IST, the ACK of a non-2xx (Completed →
 * Confirmed) or of a 2xx (passed up in Accepted). Errors: INVALID_ARG, STATE, RECURSIVE.
 */
int gosip__txn_server_on_request(gosip__txn *t, gosip_msg *req, gosip_tstamp now);
/**
 * Server: the TU's response (a reference is kept for retransmissions). 1xx keeps the
 * state; IST 2xx → Accepted (Timer L, RFC 6026), further 2xx are sent in Accepted; IST
 * 300-699 → Completed (G, H); NIST final → Completed (J). Safe from callbacks.
 * Errors: INVALID_ARG (not a response, status out of range), STATE (the state takes no
 * such response, e.g. a second final).
 */
int gosip__txn_server_send_response(gosip__txn *t, gosip_msg *resp, gosip_tstamp now);
/**
 * The transport reported a failure for this transaction (§17.1.4, §17.2.4): the owner is
 * told through transport_error, then terminated. Errors: STATE (not started or
 * terminated), RECURSIVE.
 */
int gosip__txn_on_transport_error(gosip__txn *t, int err, gosip_tstamp now);

/** The earliest pending deadline, GOSIP_TSTAMP_NONE when none (idle or terminated). */
gosip_tstamp gosip__txn_next_expiry(const gosip__txn *t);
/**
 * Fires every timer due at `now`, in deadline order (at equal deadlines the state timer
 * before the retransmission timer, so Timer B at 32 s wins over a retransmission).
 * Retransmission timers are re-armed from `now`. Errors: RECURSIVE.
 */
int gosip__txn_handle_expiry(gosip__txn *t, gosip_tstamp now);

/* ------------------------------------------------------------------------------------------
 * Below: shared between fsm.c and the per-kind state files only.
 */

/** An input to a state function. */
typedef enum gosip__txn_ev_type {
    GOSIP__TXN_EV_MSG,  /**< client: a response; server: a request after the start */
    GOSIP__TXN_EV_TU,   /**< server: the TU's response */
    GOSIP__TXN_EV_TIMER /**< a timer fired (letter in `timer`) */
} gosip__txn_ev_type;

typedef struct gosip__txn_ev {
    gosip__txn_ev_type type;
    gosip_msg *msg;
    char timer;
    gosip_tstamp now;
} gosip__txn_ev;

struct gosip__txn {
    const gosip_mem *mem;
    gosip__txn_env env;
    gosip__txn_kind kind;
    gosip__txn_state state;
    int reliable;
    gosip_tstamp t1, t2, t4;
    gosip_msg *request;
    gosip_msg *response; /* last sent (server) or last final received (client) */
    gosip_msg *ack;      /* ICT: the ACK of the non-2xx final, built once */
    gosip_tstamp rtx_at, rtx_ival, end_at;
    char rtx_letter, end_letter;
    unsigned depth;       /* inputs running on t (callbacks may re-enter) */
    unsigned char doomed; /* freed inside a callback: destroy when depth drops to 0 */
};

/** Per-kind steps (fsm_client.c, fsm_server.c): one function per state behind each. */
int gosip__ict_step(gosip__txn *t, const gosip__txn_ev *ev);
int gosip__nict_step(gosip__txn *t, const gosip__txn_ev *ev);
int gosip__ist_step(gosip__txn *t, const gosip__txn_ev *ev);
int gosip__nist_step(gosip__txn *t, const gosip__txn_ev *ev);

/** Nonzero while callbacks may still be made (not terminated, not freed). */
int gosip__txn_live(const gosip__txn *t);
/** Moves to state s (no-op when not live). */
void gosip__txn_set_state(gosip__txn *t, gosip__txn_state s);
/** Sends msg; a send failure becomes transport_error + terminated. */
void gosip__txn_emit_send(gosip__txn *t, gosip_msg *msg);
/** Passes msg up (no-op when not live). */
void gosip__txn_emit_deliver(gosip__txn *t, gosip_msg *msg);
/** timeout(letter), then terminated. */
void gosip__txn_emit_timeout(gosip__txn *t, char letter);
/** Terminated: clears the timers and calls terminated once. */
void gosip__txn_terminate(gosip__txn *t);
/** Replaces *slot with a new reference to msg. */
void gosip__txn_keep(gosip_msg **slot, gosip_msg *msg);
/**
 * Arms the retransmission timer (letter A, E or G) at now + ival, only while t is live
 * and still in state `in` (a callback may have moved it on) and the transport unreliable.
 */
void gosip__txn_arm_rtx(gosip__txn *t, gosip__txn_state in, char letter, gosip_tstamp ival,
                        gosip_tstamp now);
/** Disarms both timers. */
void gosip__txn_stop_timers(gosip__txn *t);
/**
 * Arms the state timer at now + dur, under the same conditions; dur 0 terminates at once
 * (the RFC's "set to zero seconds for reliable transports").
 */
void gosip__txn_arm_end(gosip__txn *t, gosip__txn_state in, char letter, gosip_tstamp dur,
                        gosip_tstamp now);
/** The transport-dependent waits: value on unreliable transports, 0 on reliable ones. */
gosip_tstamp gosip__txn_unreliable(const gosip__txn *t, gosip_tstamp value);

#endif /* GOSIP_TXN_FSM_H */
