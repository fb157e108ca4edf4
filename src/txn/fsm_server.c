/*
 * Server transactions, one function per state: INVITE (RFC 3261 §17.2.1 as amended by
 * RFC 6026 §8.5-8.7: a 2xx moves to Accepted, which absorbs INVITE retransmissions, passes
 * ACKs up and sends the TU's 2xx retransmissions until Timer L) and non-INVITE (§17.2.2).
 * 100 Trying is the stack's business, not the transaction's.
 */
#include "txn/fsm.h"

static int is_ack(const gosip__txn_ev *ev)
{
    return gosip_msg_method(ev->msg) == GOSIP_METHOD_ACK;
}

static int tu_status(const gosip__txn_ev *ev)
{
    return ev->type == GOSIP__TXN_EV_TU ? gosip_msg_status(ev->msg) : 0;
}

/* A request retransmission: re-send the last response, if any (§17.2.1, §17.2.2). */
static void resend_last(gosip__txn *t)
{
    gosip__txn_emit_send(t, t->response);
}

static int ist_proceeding(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TIMER) { /* the start: pass the INVITE up */
        gosip__txn_set_state(t, GOSIP__TXN_PROCEEDING);
        gosip__txn_emit_deliver(t, t->request);
        return 0;
    }
    if (ev->type == GOSIP__TXN_EV_MSG) {
        if (!is_ack(ev)) /* an ACK cannot belong here yet: ignore it */
            resend_last(t);
        return 0;
    }
    int status = tu_status(ev);
    gosip__txn_keep(&t->response, ev->msg);
    if (status < 200) {
        gosip__txn_emit_send(t, ev->msg);
        return 0;
    }
    if (status < 300) {
        /* RFC 6026 §8.7: Timer L = 64*T1 on every transport */
        gosip__txn_set_state(t, GOSIP__TXN_ACCEPTED);
        gosip__txn_emit_send(t, ev->msg);
        gosip__txn_arm_end(t, GOSIP__TXN_ACCEPTED, 'L', 64 * t->t1, ev->now);
        return 0;
    }
    gosip__txn_set_state(t, GOSIP__TXN_COMPLETED);
    gosip__txn_emit_send(t, ev->msg);
    gosip__txn_arm_rtx(t, GOSIP__TXN_COMPLETED, 'G', t->t1, ev->now);
    gosip__txn_arm_end(t, GOSIP__TXN_COMPLETED, 'H', 64 * t->t1, ev->now);
    return 0;
}

static int ist_completed(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TU)
        return GOSIP_ERR_STATE; /* the final is out already */
    if (ev->type == GOSIP__TXN_EV_TIMER) {
        if (ev->timer == 'H') { /* the ACK never came */
            gosip__txn_emit_timeout(t, 'H');
            return 0;
        }
        gosip_tstamp ival = 2 * t->rtx_ival < t->t2 ? 2 * t->rtx_ival : t->t2;
        resend_last(t);
        gosip__txn_arm_rtx(t, GOSIP__TXN_COMPLETED, 'G', ival, ev->now);
        return 0;
    }
    if (!is_ack(ev)) {
        resend_last(t);
        return 0;
    }
    /* Confirmed: Timer I absorbs ACK retransmissions (T4 unreliable, 0 reliable) */
    gosip__txn_stop_timers(t);
    gosip__txn_set_state(t, GOSIP__TXN_CONFIRMED);
    gosip__txn_arm_end(t, GOSIP__TXN_CONFIRMED, 'I', gosip__txn_unreliable(t, t->t4), ev->now);
    return 0;
}

static int ist_confirmed(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TU)
        return GOSIP_ERR_STATE;
    if (ev->type == GOSIP__TXN_EV_TIMER)
        gosip__txn_terminate(t); /* Timer I; ACKs are absorbed */
    return 0;
}

static int ist_accepted(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TIMER) {
        gosip__txn_terminate(t); /* Timer L */
        return 0;
    }
    if (ev->type == GOSIP__TXN_EV_MSG) {
        /* RFC 6026 §8.7: the ACK of a 2xx goes up, INVITE retransmissions are absorbed */
        if (is_ack(ev))
            gosip__txn_emit_deliver(t, ev->msg);
        return 0;
    }
    int status = tu_status(ev);
    if (status < 200 || status >= 300)
        return GOSIP_ERR_STATE;
    gosip__txn_keep(&t->response, ev->msg); /* the TU's 2xx retransmission (RFC 6026 §8.7) */
    gosip__txn_emit_send(t, ev->msg);
    return 0;
}

int gosip__ist_step(gosip__txn *t, const gosip__txn_ev *ev)
{
    switch (t->state) {
    case GOSIP__TXN_INIT:
    case GOSIP__TXN_PROCEEDING:
        return ist_proceeding(t, ev);
    case GOSIP__TXN_COMPLETED:
        return ist_completed(t, ev);
    case GOSIP__TXN_CONFIRMED:
        return ist_confirmed(t, ev);
    case GOSIP__TXN_ACCEPTED:
        return ist_accepted(t, ev);
    default:
        return GOSIP_ERR_STATE;
    }
}

/* ---------------------------------------------------------------- non-INVITE server */

/* Trying and Proceeding: they differ only in what a retransmission gets (nothing yet in
 * Trying, since t->response is NULL there). */
static int nist_trying(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TIMER) { /* the start: pass the request up */
        gosip__txn_set_state(t, GOSIP__TXN_TRYING);
        gosip__txn_emit_deliver(t, t->request);
        return 0;
    }
    if (ev->type == GOSIP__TXN_EV_MSG) {
        resend_last(t);
        return 0;
    }
    gosip__txn_keep(&t->response, ev->msg);
    if (tu_status(ev) < 200) {
        gosip__txn_set_state(t, GOSIP__TXN_PROCEEDING);
        gosip__txn_emit_send(t, ev->msg);
        return 0;
    }
    gosip__txn_set_state(t, GOSIP__TXN_COMPLETED);
    gosip__txn_emit_send(t, ev->msg);
    /* Timer J absorbs request retransmissions: 64*T1 unreliable, 0 reliable */
    gosip__txn_arm_end(t, GOSIP__TXN_COMPLETED, 'J', gosip__txn_unreliable(t, 64 * t->t1), ev->now);
    return 0;
}

static int nist_completed(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TU)
        return GOSIP_ERR_STATE; /* a second final is discarded (§17.2.2) */
    if (ev->type == GOSIP__TXN_EV_TIMER)
        gosip__txn_terminate(t); /* Timer J */
    else
        resend_last(t);
    return 0;
}

int gosip__nist_step(gosip__txn *t, const gosip__txn_ev *ev)
{
    switch (t->state) {
    case GOSIP__TXN_INIT:
    case GOSIP__TXN_TRYING:
    case GOSIP__TXN_PROCEEDING:
        return nist_trying(t, ev);
    case GOSIP__TXN_COMPLETED:
        return nist_completed(t, ev);
    default:
        return GOSIP_ERR_STATE;
    }
}
