/* The public transaction calls of gosip/txn.h. */
#include "dialog/dialog_internal.h"

#include <string.h>

gosip_txn *gosip_txn_ref(gosip_txn *t)
{
    if (t)
        t->refs++;
    return t;
}

void gosip_txn_unref(gosip_txn *t)
{
    if (!t || --t->refs > 0)
        return;
    gosip_stack *s = t->stack;
    /* a dialog-creating request holds every dialog it created, others their one */
    gosip_dialog *d = t->dialog;
    int chain = t->is_client && d && d->origin_chain == t;
    while (d) {
        gosip_dialog *sib = chain ? d->sib : NULL;
        gosip_dialog_unref(d);
        d = sib;
    }
    gosip_msg_unref(t->request);
    gosip_msg_unref(t->attempt);
    gosip_msg_unref(t->last_response);
    gosip__stack_free_mem(s, t);
    gosip__stack_unref(s);
}

int gosip_txn_is_client(const gosip_txn *t)
{
    return t->is_client;
}

gosip_txn_state gosip_txn_state_of(const gosip_txn *t)
{
    if (t->ended)
        return GOSIP_TXN_TERMINATED;
    if (!t->fsm)
        return GOSIP_TXN_INIT;
    /* the public states are the machine's, in the same order */
    return (gosip_txn_state)gosip__txn_state_of(t->fsm);
}

const char *gosip_txn_state_name(gosip_txn_state s)
{
    return gosip__txn_state_name((gosip__txn_state)s);
}

gosip_msg *gosip_txn_request(const gosip_txn *t)
{
    if (t->fsm && gosip__txn_request(t->fsm))
        return gosip__txn_request(t->fsm);
    return t->attempt ? t->attempt : t->request;
}

gosip_msg *gosip_txn_response(const gosip_txn *t)
{
    if (t->fsm)
        return gosip__txn_response(t->fsm);
    return t->last_response;
}

gosip_str gosip_txn_branch(const gosip_txn *t)
{
    const gosip_via *v = gosip_msg_via(gosip_txn_request(t));
    return v ? v->branch : GOSIP_STR_NULL;
}

int gosip_txn_reliable(const gosip_txn *t)
{
    return t->reliable;
}

void gosip_txn_set_data(gosip_txn *t, void *data)
{
    t->data = data;
}

void *gosip_txn_data(const gosip_txn *t)
{
    return t->data;
}

int gosip_txn_set_timers(gosip_txn *t, gosip_tstamp t1, gosip_tstamp t2, gosip_tstamp t4)
{
    /* a server transaction arms no timer before its first response */
    int server_idle = !t->is_client && t->fsm && !gosip__txn_response(t->fsm);
    if ((t->started && !server_idle) || t->ended)
        return GOSIP_ERR_STATE;
    gosip_stack *s = t->stack;
    gosip_tstamp e1 = t1 ? t1 : s->cfg.t1, e2 = t2 ? t2 : s->cfg.t2;
    gosip_tstamp e4 = t4 ? t4 : s->cfg.t4;
    if (e2 < e1 || e1 > GOSIP_SEC(3600))
        return GOSIP_ERR_INVALID_ARG;
    t->t1 = t1;
    t->t2 = t2;
    t->t4 = t4;
    if (server_idle) {
        t->fsm->t1 = e1;
        t->fsm->t2 = e2;
        t->fsm->t4 = e4;
    }
    return 0;
}

/* A response belongs to the transaction's request: same CSeq and top Via branch. */
static int response_fits(const gosip_txn *t, const gosip_msg *resp)
{
    const gosip_cseq *a = gosip_msg_cseq(t->request), *b = gosip_msg_cseq(resp);
    const gosip_via *va = gosip_msg_via(t->request), *vb = gosip_msg_via(resp);
    if (!a || !b || !va || !vb || a->seq != b->seq ||
        !gosip_str_caseeq(a->method_name, b->method_name))
        return 0;
    return gosip_str_eq(va->branch, vb->branch);
}

/* 9.2: the To tag of a CANCEL's 200 and of the cancelled request's final response SHOULD
 * be the same; when the stack chose it, a response without To tag gets it. */
static void repeat_cancel_tag(const gosip_txn *t, gosip_msg *resp)
{
    if (!t->has_cancel_tag || gosip_msg_status(resp) <= 100)
        return; /* the usual case reads no header */
    const gosip_nameaddr *to = gosip_msg_to(resp);
    if (!to || to->tag.p)
        return;
    gosip_msg_set_param(resp, gosip_msg_hdr(resp, GOSIP_HDR_TO), GOSIP_STR("tag"),
                        (gosip_str){t->cancel_tag, sizeof t->cancel_tag}, 0);
}

int gosip_txn_send_response(gosip_txn *t, gosip_msg *resp, gosip_tstamp now)
{
    if (!t || !resp || t->is_client || gosip_msg_is_request(resp) || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    gosip_stack *s = t->stack;
    if (s->dead)
        return GOSIP_ERR_DESTROYED;
    if (t->ended || !t->fsm)
        return GOSIP_ERR_STATE;
    if (!response_fits(t, resp))
        return GOSIP_ERR_INVALID_ARG;
    s->now = now;
    gosip__stack_hold(s);
    gosip_txn_ref(t);
    repeat_cancel_tag(t, resp);
    if (s->auto_dialog)
        gosip__session_server_response(t, resp);
    int rc = gosip__txn_server_send_response(t->fsm, resp, now);
    if (rc == 0)
        t->trying_at = GOSIP_TSTAMP_NONE;
    if (rc == 0 && s->auto_dialog && !s->dead)
        gosip__session_server_sent(t, resp);
    if (!t->ended && !s->dead)
        gosip__timers_update(s, t);
    gosip_txn_unref(t);
    gosip__stack_drop(s);
    return rc;
}

int gosip_txn_new_cancel(const gosip_txn *t, gosip_msg **out)
{
    if (!t || !out || !t->is_client || !t->is_invite)
        return GOSIP_ERR_INVALID_ARG;
    if (!t->started || t->ended || t->outcome)
        return GOSIP_ERR_STATE;
    return gosip_msg_new_cancel(out, gosip_txn_request(t));
}

int gosip_txn_terminate(gosip_txn *t, gosip_tstamp now)
{
    if (!t)
        return GOSIP_ERR_INVALID_ARG;
    if (t->ended)
        return GOSIP_ERR_STATE;
    gosip_stack *s = t->stack;
    if (now != GOSIP_TSTAMP_NONE)
        s->now = now;
    gosip__stack_hold(s);
    gosip_txn_ref(t);
    gosip__txn_fail(t, GOSIP_ERR_DESTROYED, 0, "the transaction was terminated");
    gosip__txn_end(t, GOSIP_ERR_DESTROYED);
    gosip_txn_unref(t);
    gosip__stack_drop(s);
    return 0;
}
