/*
 * GoSIP dialogs (RFC 3261 section 12) and INVITE sessions (sections 13 to 15).
 *
 * With automatic dialog support (on by default, gosip_provider_set_auto_dialog) the stack
 * creates a dialog for each dialog-creating request (INVITE, SUBSCRIBE, REFER, and the
 * methods registered with gosip_stack_add_dialog_method): on the client side from a
 * provisional response with a To tag (early) or a 2xx (confirmed), on the server side
 * from the response the application sends (given a To tag by the stack when it has none,
 * and a Contact when cfg.contact_user is set). Request, response and transaction events then
 * carry the dialog (ev->dialog), and gosip_txn_dialog() finds it from a transaction.
 *
 * For an INVITE the stack also keeps the session reliable: the callee's 2xx is
 * retransmitted until the ACK arrives (13.3.1.4) and the dialog is ended with BYE when it
 * never does; the caller's ACK is sent by the stack and re-sent on every retransmitted
 * 2xx; each extra 2xx of a forked INVITE is ACKed and then ended with BYE unless the
 * application keeps that dialog (13.2.2.4); a re-INVITE that crosses another gets 491 and
 * the stack retries its own after the randomized wait of 14.1; a BYE is answered 200; a
 * 408 or 481 to an in-dialog request ends the dialog (RFC 5057). Each dialog ends with
 * exactly one on_dialog_terminated event.
 *
 * Dialogs are refcounted like transactions: the stack keeps a reference until
 * on_dialog_terminated; events lend theirs.
 */
#ifndef GOSIP_DIALOG_H
#define GOSIP_DIALOG_H

#include <gosip/base.h>
#include <gosip/msg.h>
#include <gosip/txn.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gosip_dialog gosip_dialog;
typedef struct gosip_provider gosip_provider;
typedef struct gosip_stack gosip_stack;

typedef enum gosip_dialog_state {
    GOSIP_DIALOG_EARLY = 1, /**< created by a provisional response */
    GOSIP_DIALOG_CONFIRMED, /**< a 2xx was sent or received */
    GOSIP_DIALOG_TERMINATED
} gosip_dialog_state;

/** Why a dialog ended (gosip_dialog_terminated_event.reason). */
typedef enum gosip_dialog_end {
    GOSIP_DIALOG_END_BYE = 0,   /**< BYE sent or received (and answered) */
    GOSIP_DIALOG_END_REJECTED,  /**< an early dialog whose INVITE got a non-2xx final */
    GOSIP_DIALOG_END_NO_ACK,    /**< the 2xx was never ACKed (BYE sent) */
    GOSIP_DIALOG_END_FORK,      /**< an extra forked 2xx the application did not keep */
    GOSIP_DIALOG_END_PEER_GONE, /**< 408 or 481 to an in-dialog request (RFC 5057) */
    GOSIP_DIALOG_END_TIMEOUT,   /**< an early dialog whose INVITE timed out */
    GOSIP_DIALOG_END_DESTROYED  /**< the stack was freed or gosip_dialog_terminate */
} gosip_dialog_end;

GOSIP_EXTERN gosip_dialog *gosip_dialog_ref(gosip_dialog *d);
/** Drops a reference; NULL is a no-op. */
GOSIP_EXTERN void gosip_dialog_unref(gosip_dialog *d);

GOSIP_EXTERN gosip_dialog_state gosip_dialog_state_of(const gosip_dialog *d);
/** Nonzero when this side received the dialog-creating request (the callee). */
GOSIP_EXTERN int gosip_dialog_is_server(const gosip_dialog *d);
/** The dialog ID (12): Call-ID, local tag and remote tag. Valid while d is. */
GOSIP_EXTERN gosip_str gosip_dialog_call_id(const gosip_dialog *d);
GOSIP_EXTERN gosip_str gosip_dialog_local_tag(const gosip_dialog *d);
GOSIP_EXTERN gosip_str gosip_dialog_remote_tag(const gosip_dialog *d);
/** Local and remote CSeq numbers (0: empty). */
GOSIP_EXTERN uint32_t gosip_dialog_local_seq(const gosip_dialog *d);
GOSIP_EXTERN uint32_t gosip_dialog_remote_seq(const gosip_dialog *d);
/** The remote target (the peer's Contact URI, refreshed by target refresh requests). */
GOSIP_EXTERN gosip_str gosip_dialog_remote_target(const gosip_dialog *d);
/** The route set, in the order requests carry it. */
GOSIP_EXTERN size_t gosip_dialog_route_count(const gosip_dialog *d);
GOSIP_EXTERN gosip_str gosip_dialog_route(const gosip_dialog *d, size_t i);
/** Nonzero when the dialog-creating request used a sips Request-URI over TLS. */
GOSIP_EXTERN int gosip_dialog_secure(const gosip_dialog *d);

/** Application data, handed back in events as ev->dialog_data. */
GOSIP_EXTERN void gosip_dialog_set_data(gosip_dialog *d, void *data);
GOSIP_EXTERN void *gosip_dialog_data(const gosip_dialog *d);

/** The dialog a transaction belongs to, NULL when none (yet). Borrowed. */
GOSIP_EXTERN gosip_dialog *gosip_txn_dialog(const gosip_txn *t);

/**
 * Builds a request within the dialog (12.2.1.1): Request-URI the remote target (or the
 * first route of a strict router, the remote target then last in Route), Route from the
 * route set, To and From with the dialog's tags, Call-ID, the next local CSeq, Contact,
 * Max-Forwards 70 and a Via whose branch the provider fills. ACK and CANCEL are the
 * stack's business. *out holds one reference. Errors: INVALID_ARG (ACK, CANCEL, not a
 * token), STATE (terminated), NOMEM.
 */
GOSIP_EXTERN int gosip_dialog_new_request(gosip_dialog *d, gosip_str method, gosip_msg **out);
/**
 * Sends a request built by gosip_dialog_new_request() on a new client transaction of the
 * dialog (*out, may be NULL, receives a reference to it). A re-INVITE while another INVITE
 * of the dialog is pending either way is refused with STATE (the peer would answer 491).
 * Errors: as gosip_provider_new_client_txn, plus STATE.
 */
GOSIP_EXTERN int gosip_dialog_send_request(gosip_dialog *d, gosip_msg *req, gosip_txn **out,
                                           gosip_tstamp now);
/**
 * Ends the call: BYE on a confirmed dialog; on an early dialog of the caller the INVITE
 * is cancelled (and a 2xx that still arrives is ACKed and ended with BYE); on an early
 * dialog of the callee the INVITE is answered 487. on_dialog_terminated follows.
 * Errors: STATE (already ending or terminated).
 */
GOSIP_EXTERN int gosip_dialog_bye(gosip_dialog *d, gosip_tstamp now);
/** Forgets the dialog at once, sending nothing; on_dialog_terminated follows (DESTROYED). */
GOSIP_EXTERN int gosip_dialog_terminate(gosip_dialog *d, gosip_tstamp now);
/**
 * Keeps the dialog of an extra 2xx to a forked INVITE: call it from the on_response
 * event that carries it, or the stack ends that dialog with BYE after the event.
 */
GOSIP_EXTERN int gosip_dialog_keep(gosip_dialog *d);

/* ---------------------------------------------------------------- offer and answer */

typedef enum gosip_oa_kind {
    GOSIP_OA_REMOTE_OFFER = 1, /**< an offer arrived (INVITE, 2xx or re-INVITE) */
    GOSIP_OA_REMOTE_ANSWER,    /**< the answer to our offer arrived (2xx or ACK) */
    GOSIP_OA_NEED_OFFER,       /**< a 2xx to an INVITE without offer is leaving: give one */
    GOSIP_OA_NEED_ANSWER       /**< a 2xx or ACK must carry the answer: give it */
} gosip_oa_kind;

/** Offer/answer moments of a session (RFC 3264 timing, RFC 3261 13.2.1). */
typedef struct gosip_oa_event {
    gosip_oa_kind kind;
    gosip_dialog *dialog;
    void *dialog_data;
    gosip_msg *msg;         /**< the message carrying or about to carry the body */
    gosip_str content_type; /**< REMOTE_*: the body's type */
    gosip_str body;         /**< REMOTE_*: the body */
    gosip_tstamp now;
} gosip_oa_event;

/**
 * Inside a NEED_OFFER or NEED_ANSWER event: the body to put in the message (copied).
 * Errors: STATE (outside such an event), PARSE (content type), NOMEM.
 */
GOSIP_EXTERN int gosip_dialog_set_body(gosip_dialog *d, gosip_str content_type, const void *body,
                                       size_t len);

/* ---------------------------------------------------------------- configuration */

/** Turns automatic dialog support on (default) or off for the provider's stack. */
GOSIP_EXTERN void gosip_provider_set_auto_dialog(gosip_provider *p, int on);
/**
 * Registers a further dialog-creating method (INVITE, SUBSCRIBE and REFER are built in).
 * Errors: INVALID_ARG (not a token), LIMIT (more than 16), NOMEM.
 */
GOSIP_EXTERN int gosip_stack_add_dialog_method(gosip_stack *s, gosip_str method);

#ifdef __cplusplus
}
#endif
#endif
