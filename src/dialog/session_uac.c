/*
 * The caller's side of dialogs and INVITE sessions: dialogs from responses (12.1.2),
 * forking, the ACK of every 2xx sent by the stack and re-sent on repeats (13.2.2.4), the
 * 491 retry (14.1), and the end of early dialogs when the INVITE fails.
 */
#include "dialog/dialog_internal.h"

#include <string.h>

static int is_creating(const gosip_txn *t)
{
    const gosip_nameaddr *to = gosip_msg_to(t->request);
    return to && !to->tag.p && gosip__dialog_creating(t->stack, t->request);
}

static void send_ack(gosip_dialog *d, const gosip_txn *t, gosip_msg *resp)
{
    gosip_stack *s = d->stack;
    uint32_t seq = gosip_msg_cseq(resp)->seq;
    gosip_msg *ack = NULL;
    if (gosip__dialog_build(d, GOSIP_STR("ACK"), seq, &ack) != 0)
        return; /* out of memory: the 2xx repeats, and the ACK is tried again then */
    /* 13.2.1: an offer in the 2xx to an INVITE without one is answered in the ACK */
    if (!gosip_msg_body(t->request).p && gosip_msg_body(resp).p)
        gosip__oa_need(d, ack, GOSIP_OA_NEED_ANSWER);
    gosip_msg_unref(d->ack);
    d->ack = ack;
    d->acked_cseq = seq;
    gosip_provider_send_request(&s->provider, ack, s->now);
}

/* A repeated 2xx: the ACK goes out again, the application does not see it twice. */
static int repeat_ack(gosip_dialog *d, gosip_msg *resp)
{
    const gosip_cseq *cs = gosip_msg_cseq(resp);
    if (!d->ack || !cs || cs->seq != d->acked_cseq)
        return 0;
    gosip_provider_send_request(&d->stack->provider, d->ack, d->stack->now);
    return 1;
}

static void refresh_target(gosip_dialog *d, const gosip_msg *m)
{
    const gosip_nameaddr *c = gosip_msg_contact(m);
    if (c && c->uri)
        gosip__dialog_set_str(d, &d->remote_target, c->uri->raw);
}

/* ---------------------------------------------------------------- dialog-creating */

static gosip_dialog *fork_of(gosip_txn *t, gosip_msg *resp)
{
    gosip_stack *s = t->stack;
    const gosip_nameaddr *from = gosip_msg_from(t->request), *to = gosip_msg_to(resp);
    gosip_dialog *d = gosip__dialog_find(s, gosip_msg_call_id(resp), from->tag, to->tag);
    if (d)
        return d;
    if (gosip__dialog_uac_new(s, t->request, resp, &d) != 0)
        return NULL; /* no room: the call goes on without dialog state */
    d->origin = t;
    d->origin_chain = t;
    gosip_dialog_ref(d); /* the chain's */
    if (!t->dialog) {
        t->dialog = d;
    } else {
        d->sib = t->dialog->sib;
        t->dialog->sib = d;
    }
    return d;
}

static void end_early(gosip_txn *t, gosip_dialog_end why)
{
    for (gosip_dialog *d = t->dialog; d; d = d->sib)
        if (d->state == GOSIP_DIALOG_EARLY)
            gosip__dialog_end(d, why);
}

static int creating_response(gosip_txn *t, gosip_msg *resp, gosip_dialog **out)
{
    int status = gosip_msg_status(resp);
    const gosip_nameaddr *to = gosip_msg_to(resp);
    if (status >= 300) {
        end_early(t, GOSIP_DIALOG_END_REJECTED);
        return 0;
    }
    if (status == 100 || !to || !to->tag.p || !gosip_msg_from(t->request))
        return 0;
    gosip_dialog *d = fork_of(t, resp);
    *out = d;
    if (!d)
        return 0;
    if (status < 200) {
        refresh_target(d, resp);
        return 0;
    }
    if (d->state == GOSIP_DIALOG_CONFIRMED)
        return t->is_invite ? repeat_ack(d, resp) : 0;
    d->state = GOSIP_DIALOG_CONFIRMED;
    t->confirmed++;
    gosip__dialog_set_routes(d, resp, 1); /* 12.1.2: the 2xx's route set wins */
    refresh_target(d, resp);
    if (t->is_invite) {
        d->oa_offer_out = gosip_msg_body(t->request).p != NULL;
        gosip__oa_received(d, resp, 1);
        send_ack(d, t, resp);
    }
    return 0;
}

/* ---------------------------------------------------------------- in-dialog */

/* 14.1: the owner of the Call-ID (the caller) waits 2.1 to 4 s, the other side 0 to 2 s. */
static gosip_tstamp glare_wait(gosip_dialog *d)
{
    char r[2];
    gosip__stack_random(d->stack, r, sizeof r);
    unsigned steps = ((unsigned)(uint8_t)r[0] << 8 | (uint8_t)r[1]) % (d->is_server ? 201u : 191u);
    return GOSIP_MS(10) * (d->is_server ? steps : 210u + steps);
}

static int in_dialog_response(gosip_txn *t, gosip_dialog *d, gosip_msg *resp)
{
    int status = gosip_msg_status(resp);
    gosip_method m = gosip_msg_method(t->request);
    if (status == 408 || status == 481) {
        gosip__dialog_end(d, m == GOSIP_METHOD_BYE ? GOSIP_DIALOG_END_BYE
                                                   : GOSIP_DIALOG_END_PEER_GONE);
        return 0;
    }
    if (m == GOSIP_METHOD_BYE && status >= 200) {
        gosip__dialog_end(d, d->end_reason);
        return 0;
    }
    if (m != GOSIP_METHOD_INVITE || status < 200)
        return 0;
    if (status == 491 && t->retries < 3 && !d->ended) {
        /* while waiting, this side has no INVITE in progress: the peer's may pass */
        if (d->invite_out == t)
            d->invite_out = NULL;
        t->retries++;
        t->retry_at = t->stack->now + glare_wait(d);
        return 1;
    }
    if (repeat_ack(d, resp))
        return 1;
    /* the INVITE is over once its final is in (and ACKed): another may start (14.1) */
    if (d->invite_out == t)
        d->invite_out = NULL;
    if (status >= 300) {
        d->oa_offer_out = 0;
        return 0;
    }
    refresh_target(d, resp);
    gosip__oa_received(d, resp, 1);
    send_ack(d, t, resp);
    return 0;
}

int gosip__session_client_response(gosip_txn *t, gosip_msg *resp, gosip_dialog **out)
{
    *out = t->dialog;
    if (!gosip_msg_cseq(resp))
        return 0;
    if (is_creating(t))
        return creating_response(t, resp, out);
    if (t->dialog && !t->dialog->ended)
        return in_dialog_response(t, t->dialog, resp);
    return 0;
}

void gosip__session_after_response(gosip_txn *t, gosip_dialog *d, gosip_msg *resp)
{
    int status = gosip_msg_status(resp);
    if (!d || d->ended || d->is_server || status < 200 || status >= 300 || !t->is_invite ||
        !is_creating(t))
        return;
    /* a call the application cancelled, or an extra fork it did not keep, ends at once */
    if (t->cancelled || d->ending) {
        d->end_reason = GOSIP_DIALOG_END_BYE;
        gosip__dialog_send_bye(d, t->stack->now);
    } else if (d != t->dialog && !d->keep && d->state == GOSIP_DIALOG_CONFIRMED &&
               t->confirmed > 1) {
        d->end_reason = GOSIP_DIALOG_END_FORK;
        gosip__dialog_send_bye(d, t->stack->now);
    }
}

int gosip__session_stray_response(gosip_stack *s, gosip_msg *resp, gosip_dialog **out)
{
    const gosip_cseq *cs = gosip_msg_cseq(resp);
    const gosip_nameaddr *from = gosip_msg_from(resp), *to = gosip_msg_to(resp);
    int status = gosip_msg_status(resp);
    if (!cs || !from || !to || !to->tag.p || cs->method != GOSIP_METHOD_INVITE || status < 200 ||
        status >= 300)
        return 0;
    gosip_dialog *d = gosip__dialog_find(s, gosip_msg_call_id(resp), from->tag, to->tag);
    *out = d;
    return d && !d->is_server && repeat_ack(d, resp);
}

/* ---------------------------------------------------------------- timers and end */

void gosip__session_retry(gosip_txn *t, gosip_tstamp now)
{
    (void)now;
    gosip_dialog *d = t->dialog;
    t->retry_at = GOSIP_TSTAMP_NONE;
    if (!d || d->ended) {
        gosip__txn_end(t, 0);
        return;
    }
    if (!d->invite_out)
        d->invite_out = t;
    gosip__client_retry(t, ++d->local_seq);
}

void gosip__session_client_ended(gosip_txn *t)
{
    if (is_creating(t)) {
        end_early(t, t->outcome && !t->confirmed ? GOSIP_DIALOG_END_TIMEOUT
                                                 : GOSIP_DIALOG_END_REJECTED);
        for (gosip_dialog *d = t->dialog; d; d = d->sib)
            if (d->origin == t)
                d->origin = NULL;
        return;
    }
    gosip_dialog *d = t->dialog;
    if (!d)
        return;
    if (d->invite_out == t)
        d->invite_out = NULL;
    /* a BYE that got no final response still ends the dialog */
    if (gosip_msg_method(t->request) == GOSIP_METHOD_BYE && !d->ended)
        gosip__dialog_end(d, d->end_reason);
}
