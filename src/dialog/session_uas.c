/*
 * The callee's side of dialogs and INVITE sessions: dialogs from the responses sent
 * (12.1.1), the 2xx retransmitted until its ACK (13.3.1.4) and BYE when none comes,
 * in-dialog requests checked (12.2.2: 481, 500), glare (14.2: 491 and 500), BYE answered.
 */
#include "dialog/dialog_internal.h"

#include <stdio.h>
#include <string.h>

/* The Contact of a dialog-creating response, from the listening point the request used. */
static int add_contact(gosip_txn *t, gosip_msg *resp)
{
    gosip_stack *s = t->stack;
    if (gosip_msg_hdr(resp, GOSIP_HDR_CONTACT) || !s->cfg.contact_user || !t->rx.lp)
        return 0;
    char host[64], buf[192];
    gosip_addr_print(gosip_lp_addr(t->rx.lp), host, sizeof host);
    gosip_tp_kind k = gosip_lp_kind(t->rx.lp);
    int n = snprintf(buf, sizeof buf, "<sip:%s@%s%s>", s->cfg.contact_user, host,
                     k == GOSIP_TP_TCP   ? ";transport=tcp"
                     : k == GOSIP_TP_TLS ? ";transport=tls"
                                         : "");
    if (n < 0 || (size_t)n >= sizeof buf)
        return GOSIP_ERR_INVALID_ARG;
    return gosip_msg_add_hdr_kind(resp, GOSIP_HDR_CONTACT, (gosip_str){buf, (size_t)n},
                                  GOSIP_WHERE_APPEND, NULL, NULL);
}

static gosip_dialog *dialog_for(gosip_txn *t, gosip_msg *resp)
{
    gosip_stack *s = t->stack;
    const gosip_nameaddr *to = gosip_msg_to(resp), *from = gosip_msg_from(t->request);
    const gosip_nameaddr *rto = gosip_msg_to(t->request);
    if (!to || !to->tag.p || !from || (rto && rto->tag.p) || !gosip__dialog_creating(s, t->request))
        return NULL;
    gosip_dialog *d = gosip__dialog_find(s, gosip_msg_call_id(t->request), to->tag,
                                         from->tag.p ? from->tag : GOSIP_STR(""));
    if (!d && (add_contact(t, resp) != 0 || gosip__dialog_uas_new(s, t->request, resp, &d) != 0))
        return NULL;
    d->origin = t;
    if (t->is_invite)
        d->invite_in = t;
    t->dialog = gosip_dialog_ref(d);
    return d;
}

/* 13.2.1: a 2xx to an INVITE carries the answer to its offer, or an offer of its own. */
static void server_oa(gosip_dialog *d, gosip_txn *t, gosip_msg *resp)
{
    if (gosip_msg_body(resp).p) {
        if (!gosip_msg_body(t->request).p)
            d->oa_offer_out = 1;
        return;
    }
    gosip__oa_need(d, resp,
                   gosip_msg_body(t->request).p ? GOSIP_OA_NEED_ANSWER : GOSIP_OA_NEED_OFFER);
}

/* A response that would create a dialog needs a To tag (8.2.6.2): the one the
 * transaction's earlier responses carried, else a fresh one. */
static void ensure_to_tag(gosip_txn *t, gosip_msg *resp)
{
    const gosip_nameaddr *to = gosip_msg_to(resp), *rto = gosip_msg_to(t->request);
    if (!to || to->tag.p || (rto && rto->tag.p))
        return;
    const gosip_msg *last = t->fsm ? gosip__txn_response(t->fsm) : NULL;
    const gosip_nameaddr *lto = last ? gosip_msg_to(last) : NULL;
    char fresh[10];
    gosip_str tag = lto && lto->tag.p ? lto->tag : (gosip_str){fresh, sizeof fresh};
    if (!lto || !lto->tag.p)
        gosip__stack_random(t->stack, fresh, sizeof fresh);
    gosip_msg_set_param(resp, gosip_msg_hdr(resp, GOSIP_HDR_TO), GOSIP_STR("tag"), tag, 0);
}

int gosip__session_server_response(gosip_txn *t, gosip_msg *resp)
{
    int status = gosip_msg_status(resp);
    if (status <= 100)
        return 0;
    if (gosip__dialog_creating(t->stack, t->request))
        ensure_to_tag(t, resp);
    gosip_dialog *d = t->dialog;
    if (!d && status < 300)
        d = dialog_for(t, resp);
    if (!d || d->ended || !t->is_invite || status < 200 || status >= 300)
        return 0;
    add_contact(t, resp);
    server_oa(d, t, resp);
    return 0;
}

void gosip__session_server_sent(gosip_txn *t, gosip_msg *resp)
{
    gosip_dialog *d = t->dialog;
    int status = gosip_msg_status(resp);
    if (!d || d->ended || !t->is_invite || status < 200)
        return;
    if (d->invite_in == t)
        d->invite_in = NULL;
    if (status >= 300) {
        if (d->state == GOSIP_DIALOG_EARLY && d->origin == t)
            gosip__dialog_end(d, GOSIP_DIALOG_END_REJECTED);
        return;
    }
    d->state = GOSIP_DIALOG_CONFIRMED;
    d->ack_pending = 1;
    d->ack_cseq = gosip_msg_cseq(resp)->seq;
    /* end to end, so even over a reliable transport (13.3.1.4) */
    gosip_stack *s = t->stack;
    t->rtx2xx_ival = t->t1 ? t->t1 : s->cfg.t1;
    t->rtx2xx_at = s->now + t->rtx2xx_ival;
}

void gosip__session_expire(gosip_txn *t, gosip_tstamp now)
{
    gosip_stack *s = t->stack;
    if (t->retry_at <= now)
        gosip__session_retry(t, now);
    if (t->rtx2xx_at > now || t->ended)
        return;
    gosip_msg *resp = t->fsm ? gosip__txn_response(t->fsm) : NULL;
    gosip_dialog *d = t->dialog;
    if (!resp || !d || !d->ack_pending) {
        t->rtx2xx_at = GOSIP_TSTAMP_NONE;
        return;
    }
    gosip_tp_send_response(s->tp, resp, &t->rx, now);
    gosip_tstamp t2 = t->t2 ? t->t2 : s->cfg.t2;
    t->rtx2xx_ival = t->rtx2xx_ival * 2 < t2 ? t->rtx2xx_ival * 2 : t2;
    t->rtx2xx_at = now + t->rtx2xx_ival;
}

void gosip__session_txn_ended(gosip_txn *t)
{
    t->rtx2xx_at = t->retry_at = GOSIP_TSTAMP_NONE;
    if (t->is_client) {
        gosip__session_client_ended(t);
        return;
    }
    gosip_dialog *d = t->dialog;
    if (!d || d->ended)
        return;
    if (d->invite_in == t)
        d->invite_in = NULL;
    if (d->origin == t)
        d->origin = NULL;
    /* Timer L: the 2xx was never acknowledged (13.3.1.4) */
    if (t->is_invite && d->ack_pending && gosip_msg_cseq(t->request)->seq == d->ack_cseq) {
        d->ack_pending = 0;
        d->end_reason = GOSIP_DIALOG_END_NO_ACK;
        if (gosip__dialog_send_bye(d, t->stack->now) != 0)
            gosip__dialog_end(d, GOSIP_DIALOG_END_NO_ACK);
    }
}

/* ---------------------------------------------------------------- requests in a dialog */

static int on_ack(gosip_dialog *d, gosip_msg *req)
{
    const gosip_cseq *cs = gosip_msg_cseq(req);
    if (!d->ack_pending || cs->seq != d->ack_cseq)
        return 1; /* a repeated ACK: nothing more to do */
    d->ack_pending = 0;
    gosip__oa_received(d, req, 0);
    return 0;
}

static void answer_bye(gosip_stack *s, gosip_dialog *d, gosip_msg *req, const gosip_rx_info *rx)
{
    gosip_txn *t = NULL;
    gosip_msg *ok = NULL;
    if (gosip_msg_new_response(&ok, req, 200, GOSIP_STR_NULL, GOSIP_STR_NULL) == 0 &&
        gosip_provider_new_server_txn(&s->provider, req, &t) == 0) {
        t->internal = 1;
        gosip_txn_send_response(t, ok, s->now);
        gosip_txn_unref(t);
    }
    gosip_msg_unref(ok);
    /* 15.1.2: a pending INVITE of the ended dialog gets 487 */
    gosip_txn *inv = d->invite_in;
    if (inv && !inv->ended) {
        gosip_msg *r = NULL;
        if (gosip_msg_new_response(&r, inv->request, 487, GOSIP_STR_NULL, d->local_tag) == 0)
            gosip_txn_send_response(inv, r, s->now);
        gosip_msg_unref(r);
    }
    gosip_dialog_ref(d);
    gosip__stack_emit_request(s, req, rx, NULL, d);
    gosip__dialog_end(d, GOSIP_DIALOG_END_BYE);
    gosip_dialog_unref(d);
}

/* 12.2.2: requests out of order get 500; 14.2: crossing INVITEs get 491 or 500. */
static int check_request(gosip_stack *s, gosip_dialog *d, gosip_msg *req)
{
    const gosip_cseq *cs = gosip_msg_cseq(req);
    if (d->remote_seq_set && cs->seq <= d->remote_seq) {
        gosip__stack_reply(s, req, 500, NULL, GOSIP_STR_NULL);
        return 1;
    }
    if (cs->method == GOSIP_METHOD_INVITE && d->invite_out) {
        gosip__stack_reply(s, req, 491, NULL, GOSIP_STR_NULL);
        return 1;
    }
    if (cs->method == GOSIP_METHOD_INVITE && d->invite_in) {
        char secs[4];
        int n = snprintf(secs, sizeof secs, "%u", (unsigned)(s->now / GOSIP_MS(1)) % 10u);
        gosip__stack_reply(s, req, 500, "Retry-After", (gosip_str){secs, (size_t)n});
        return 1;
    }
    d->remote_seq = cs->seq;
    d->remote_seq_set = 1;
    return 0;
}

int gosip__session_request(gosip_stack *s, gosip_msg *req, const gosip_rx_info *rx,
                           gosip_dialog **out)
{
    const gosip_nameaddr *to = gosip_msg_to(req);
    gosip_method m = gosip_msg_method(req);
    if (!to || !to->tag.p || !gosip_msg_cseq(req)) {
        if (m != GOSIP_METHOD_ACK && gosip__dialog_creating(s, req) &&
            s->n_dialogs >= s->cfg.max_dialogs) {
            gosip__stack_reply(s, req, 503, "Retry-After", GOSIP_STR("5"));
            return 1;
        }
        return 0;
    }
    gosip_dialog *d = gosip__dialog_for_request(s, req);
    *out = d;
    if (m == GOSIP_METHOD_ACK)
        return d ? on_ack(d, req) : 0;
    if (!d || d->ended) {
        gosip__stack_reply(s, req, 481, NULL, GOSIP_STR_NULL);
        return 1;
    }
    if (check_request(s, d, req))
        return 1;
    if (m == GOSIP_METHOD_BYE) {
        answer_bye(s, d, req, rx);
        return 1;
    }
    if (m == GOSIP_METHOD_INVITE || m == GOSIP_METHOD_UPDATE) {
        const gosip_nameaddr *c = gosip_msg_contact(req);
        if (c && c->uri) /* target refresh (12.2.2) */
            gosip__dialog_set_str(d, &d->remote_target, c->uri->raw);
        if (m == GOSIP_METHOD_INVITE)
            gosip__oa_received(d, req, 1);
    }
    return 0;
}
