/*
 * Internal state of dialogs (gosip/dialog.h): the dialog object and its table (dialog.c),
 * in-dialog requests built and checked (dialog_req.c), and the INVITE session kept
 * reliable by the stack (session_uac.c for the caller, session_uas.c for the callee).
 * Dialogs live on the stack's transaction objects: a transaction knows its dialog, and
 * the session's timers (2xx retransmission, 491 retry) ride on the transaction's deadline.
 */
#ifndef GOSIP_DIALOG_DIALOG_INTERNAL_H
#define GOSIP_DIALOG_DIALOG_INTERNAL_H

#include <gosip/dialog.h>

#include "stack/stack_internal.h"

struct gosip_dialog {
    unsigned refs;
    gosip_stack *stack;
    gosip_dialog *prev, *next; /* the stack's live dialogs */
    gosip_dialog *hnext;       /* hash chain */
    gosip_dialog *sib;         /* next dialog created by the same INVITE (forking) */
    gosip_txn *origin_chain;   /* the client transaction whose chain holds it (weak) */
    uint64_t hash;
    gosip_dialog_state state;
    unsigned char is_server, secure, ended, ending, keep, remote_seq_set;
    unsigned char ack_pending; /* callee: 2xx sent, its ACK not yet here */
    unsigned char oa_need;     /* inside a NEED_* event: gosip_dialog_set_body allowed */
    /* owned copies */
    gosip_str call_id, local_tag, remote_tag;
    gosip_str local_party;  /* our From (caller) or To (callee) value, tag included */
    gosip_str remote_party; /* the peer's */
    gosip_str remote_target;
    gosip_str local_contact;
    gosip_str *routes;
    size_t n_routes;
    uint32_t local_seq, remote_seq;
    void *data;
    /* INVITE session */
    gosip_txn *origin;           /* caller: the INVITE that created it; callee: its server txn */
    gosip_txn *invite_out;       /* our INVITE in progress (glare), NULL when none */
    gosip_txn *invite_in;        /* the peer's INVITE not yet answered finally, NULL when none */
    uint32_t ack_cseq;           /* callee: the INVITE whose 2xx waits for its ACK */
    gosip_msg *ack;              /* caller: the ACK sent for the last 2xx, re-sent on repeats */
    uint32_t acked_cseq;         /* caller: the INVITE that ACK answers */
    gosip_msg *oa_msg;           /* the message a NEED_* event fills */
    int oa_offer_out;            /* we sent an offer that awaits its answer */
    gosip_dialog_end end_reason; /* reported when the BYE we sent completes */
};

/* dialog.c */
int gosip__dialog_new(gosip_stack *s, int is_server, gosip_dialog **out);
void gosip__dialog_link(gosip_dialog *d);
/* Ends d once: on_dialog_terminated, the stack's reference dropped. */
void gosip__dialog_end(gosip_dialog *d, gosip_dialog_end why);
/* Ends every live dialog (stack free). */
void gosip__dialogs_end_all(gosip_stack *s);
gosip_dialog *gosip__dialog_find(gosip_stack *s, gosip_str call_id, gosip_str local_tag,
                                 gosip_str remote_tag);
int gosip__dialog_set_str(gosip_dialog *d, gosip_str *slot, gosip_str v);
/* The dialog of a received request with a To tag (local = To tag), or NULL. */
gosip_dialog *gosip__dialog_for_request(gosip_stack *s, const gosip_msg *req);
/* Nonzero for a dialog-creating method (built in or registered). */
int gosip__dialog_creating(const gosip_stack *s, const gosip_msg *req);
/* Creates the caller's dialog from its request and a response with a To tag (12.1.2). */
int gosip__dialog_uac_new(gosip_stack *s, const gosip_msg *req, const gosip_msg *resp,
                          gosip_dialog **out);
/* Creates the callee's dialog from the request and the response it sends (12.1.1). */
int gosip__dialog_uas_new(gosip_stack *s, const gosip_msg *req, const gosip_msg *resp,
                          gosip_dialog **out);
/* The route set from Record-Route (reversed for the caller). */
int gosip__dialog_set_routes(gosip_dialog *d, const gosip_msg *m, int reverse);

/* dialog_req.c */
/* Sends BYE; the dialog ends (with end_reason) when the BYE completes. */
int gosip__dialog_send_bye(gosip_dialog *d, gosip_tstamp now);
/* A request within d with CSeq `seq` (ACK: the INVITE's number). */
int gosip__dialog_build(gosip_dialog *d, gosip_str method, uint32_t seq, gosip_msg **out);

/* session hooks called by the stack (session_uac.c, session_uas.c) */
/* Client response on t: creates or finds the dialog; returns 1 when the response is a
 * repeat the application must not see (the ACK was re-sent). *out gets the dialog. */
int gosip__session_client_response(gosip_txn *t, gosip_msg *resp, gosip_dialog **out);
/* After the response event: forks not kept are ended; BYE of a cancelled call. */
void gosip__session_after_response(gosip_txn *t, gosip_dialog *d, gosip_msg *resp);
/* A response matching no transaction: a repeated 2xx gets its ACK again (returns 1). */
int gosip__session_stray_response(gosip_stack *s, gosip_msg *resp, gosip_dialog **out);
/* Server: resp is about to leave t: dialog creation, Contact, offer/answer. */
int gosip__session_server_response(gosip_txn *t, gosip_msg *resp);
/* Server: resp left t: 2xx retransmission armed, early dialogs of rejects ended. */
void gosip__session_server_sent(gosip_txn *t, gosip_msg *resp);
/* A received request in a dialog: 1 when the stack handled it (answered or dropped). */
int gosip__session_request(gosip_stack *s, gosip_msg *req, const gosip_rx_info *rx,
                           gosip_dialog **out);
/* Transaction timers of the session: the callee's 2xx and the caller's 491 retry. */
void gosip__session_expire(gosip_txn *t, gosip_tstamp now);
/* The caller's retry of a re-INVITE after 491 is due. */
void gosip__session_retry(gosip_txn *t, gosip_tstamp now);
/* A client transaction of a dialog ended. */
void gosip__session_client_ended(gosip_txn *t);
/* t ended: the dialog learns (no ACK, BYE done, INVITE failed). */
void gosip__session_txn_ended(gosip_txn *t);
/* Offer/answer: body events for messages received and about to be sent. */
void gosip__oa_received(gosip_dialog *d, gosip_msg *m, int is_invite_or_2xx);
void gosip__oa_need(gosip_dialog *d, gosip_msg *m, gosip_oa_kind kind);

#endif
