/*
 * gosip-ua --answer: answers every INVITE on a server transaction with 180, then (after
 * --ring-ms) --answer-status. The stack writes the Contact (cfg.contact_user), asks for
 * the SDP answer through on_offer_answer, retransmits the 2xx until the ACK, and answers
 * CANCEL and BYE; this file only keeps what an incoming call needs until it is over.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ua_app.h"

struct incoming {
    obj_kind kind; /* OBJ_INCOMING: the INVITE transaction's and the dialog's data */
    app *a;
    gosip_txn *txn; /* the INVITE's, until its final answer (or its end) */
    uint64_t index;
    int has_dialog;
    int established; /* the ACK of the 2xx arrived */
    due ring;
    incoming *prev, *next;
    char tag[TAG_LEN];
    char call_id[CALL_ID_CAP];
};

/* ---------------------------------------------------------------- records */

static void release_txn(incoming *in)
{
    if (!in->txn)
        return;
    gosip_txn_set_data(in->txn, NULL);
    gosip_txn_unref(in->txn);
    in->txn = NULL;
}

static void incoming_free(app *a, incoming *in)
{
    if (in->prev)
        in->prev->next = in->next;
    else
        a->incoming = in->next;
    if (in->next)
        in->next->prev = in->prev;
    due_cancel(&a->rings, &in->ring);
    release_txn(in);
    free(in);
}

static void maybe_free(app *a, incoming *in)
{
    if (!in->txn && !in->has_dialog && !in->ring.queued)
        incoming_free(a, in);
}

void answer_free_all(app *a)
{
    while (a->incoming)
        incoming_free(a, a->incoming);
}

unsigned answer_media_port(const incoming *in)
{
    return 34000u + 2u * (unsigned)(in->index % 10000u);
}

/* ---------------------------------------------------------------- responses */

static int respond(app *a, gosip_txn *t, int status, gosip_str tag, gosip_tstamp now)
{
    gosip_msg *resp = NULL;
    int rc = gosip_msg_new_response(&resp, gosip_txn_request(t), status, GOSIP_STR_NULL, tag);

    if (rc == 0 && status == 405)
        rc = gosip_msg_add_hdr_kind(resp, GOSIP_HDR_ALLOW,
                                    GOSIP_STR("INVITE, ACK, CANCEL, BYE, OPTIONS"),
                                    GOSIP_WHERE_APPEND, NULL, NULL);
    if (rc == 0)
        rc = gosip_txn_send_response(t, resp, now);
    gosip_msg_unref(resp);
    if (rc != 0 && a->opt.verbose)
        fprintf(stderr, "gosip-ua: answering %d: %s\n", status, gosip_strerror(rc));
    return rc;
}

/* The dialog exists once a response with our To tag has left. */
static void adopt_dialog(app *a, incoming *in)
{
    gosip_dialog *d = gosip_txn_dialog(in->txn);

    if (!d || in->has_dialog || gosip_dialog_data(d))
        return;
    gosip_dialog_set_data(d, in);
    in->has_dialog = 1;
    app_dialog_opened(a);
}

static void answer_now(app *a, incoming *in)
{
    gosip_str tag = {in->tag, TAG_LEN};

    /* a CANCEL may have completed it with 487 in the meantime */
    if (in->txn && gosip_txn_state_of(in->txn) == GOSIP_TXN_PROCEEDING &&
        respond(a, in->txn, a->opt.answer_status, tag, uv_hrtime()) == 0) {
        a->st.answered++;
        adopt_dialog(a, in);
    }
    release_txn(in);
    maybe_free(a, in);
}

void answer_fire_ring(app *a, due *d)
{
    answer_now(a, (incoming *)(void *)((char *)d - offsetof(incoming, ring)));
}

/* ---------------------------------------------------------------- requests */

/* Tags from a pool refilled a few hundred characters at a time (one system call each). */
static void fresh_tag(char *out)
{
    static char pool[480];
    static size_t left;
    if (left < TAG_LEN) {
        gosip_random_token(pool, sizeof pool, NULL, NULL);
        left = sizeof pool;
    }
    memcpy(out, pool + sizeof pool - left, TAG_LEN);
    left -= TAG_LEN;
}

static incoming *incoming_new(app *a, gosip_provider *p, const gosip_request_event *ev)
{
    incoming *in = calloc(1, sizeof *in);
    gosip_str id = gosip_msg_call_id(ev->msg);
    size_t n = id.n < sizeof in->call_id - 1 ? id.n : sizeof in->call_id - 1;
    int rc = in ? gosip_provider_new_server_txn(p, ev->msg, &in->txn) : GOSIP_ERR_NOMEM;

    if (rc != 0) {
        if (a->opt.verbose)
            fprintf(stderr, "gosip-ua: server transaction: %s\n", gosip_strerror(rc));
        free(in);
        return NULL;
    }
    in->kind = OBJ_INCOMING;
    in->a = a;
    in->index = a->st.incoming++;
    memcpy(in->call_id, id.p, n);
    in->call_id[n] = '\0';
    fresh_tag(in->tag);
    gosip_txn_set_data(in->txn, in);
    in->next = a->incoming;
    if (a->incoming)
        a->incoming->prev = in;
    a->incoming = in;
    return in;
}

static void decline(app *a, gosip_provider *p, const gosip_request_event *ev, int status)
{
    gosip_txn *t = NULL;
    char tag[TAG_LEN];

    if (gosip_provider_new_server_txn(p, ev->msg, &t) != 0)
        return; /* a retransmission: the transaction answers it */
    fresh_tag(tag);
    respond(a, t, status, (gosip_str){tag, TAG_LEN}, ev->now);
    gosip_txn_unref(t);
}

void answer_invite(app *a, gosip_provider *p, const gosip_request_event *ev)
{
    incoming *in;

    if (!a->opt.answer) {
        a->st.incoming++;
        decline(a, p, ev, 486);
        return;
    }
    in = incoming_new(a, p, ev);
    if (!in)
        return;
    if (a->opt.verbose)
        printf("event=incoming call-id=%s\n", in->call_id);
    if (respond(a, in->txn, 180, (gosip_str){in->tag, TAG_LEN}, ev->now) == 0)
        adopt_dialog(a, in);
    if (a->opt.ring_ms == 0)
        answer_now(a, in);
    else
        due_push(&a->rings, &in->ring, a->opt.ring_ms);
}

/* re-INVITE (the same SDP again, given through on_offer_answer), UPDATE, INFO... */
void answer_in_dialog(app *a, gosip_provider *p, const gosip_request_event *ev)
{
    gosip_txn *t = NULL;

    if (gosip_provider_new_server_txn(p, ev->msg, &t) != 0)
        return;
    respond(a, t, 200, GOSIP_STR_NULL, ev->now);
    gosip_txn_unref(t);
}

void answer_out_of_dialog(app *a, gosip_provider *p, const gosip_request_event *ev)
{
    gosip_method m = gosip_msg_method(ev->msg);

    decline(a, p, ev, m == GOSIP_METHOD_OPTIONS ? 200 : m == GOSIP_METHOD_BYE ? 481 : 405);
}

/* The ACK of the 2xx confirms the call on this side too (a re-INVITE's ACK is not news). */
void answer_on_ack(app *a, incoming *in)
{
    (void)a;
    if (in->established)
        return;
    in->established = 1;
    printf("event=established call-id=%s role=callee\n", in->call_id);
}

/* ---------------------------------------------------------------- endings */

void answer_on_cancel(app *a, incoming *in)
{
    due_cancel(&a->rings, &in->ring);
    release_txn(in);
    maybe_free(a, in);
}

void answer_on_txn_end(app *a, incoming *in)
{
    answer_on_cancel(a, in);
}

void answer_on_dialog_end(app *a, incoming *in, const gosip_dialog_terminated_event *ev)
{
    in->has_dialog = 0;
    app_dialog_closed(a);
    if (ev->reason == GOSIP_DIALOG_END_BYE)
        a->st.byes_received++;
    else if (ev->reason == GOSIP_DIALOG_END_NO_ACK)
        a->st.byes_sent++; /* the stack's own BYE (RFC 3261 13.3.1.4) */
    printf("event=terminated call-id=%s reason=%s role=callee\n", in->call_id,
           app_end_name(ev->reason));
    if (a->opt.verbose)
        fflush(stdout);
    maybe_free(a, in);
}
