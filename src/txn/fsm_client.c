/*
 * Client transactions, one function per state: INVITE (RFC 3261 §17.1.1 as amended by
 * RFC 6026 §8.4: a 2xx moves to Accepted, where further 2xx are passed up until Timer M)
 * and non-INVITE (§17.1.2).
 */
#include "txn/fsm.h"

#define TIMER_START 0 /* the start event: a timer letter no real timer uses */

static int status_of(const gosip__txn_ev *ev)
{
    return ev->type == GOSIP__TXN_EV_MSG ? gosip_msg_status(ev->msg) : 0;
}

/* The ACK of a non-2xx final (§17.1.1.3), built once and re-sent for retransmitted finals. */
static int send_ack(gosip__txn *t, gosip_msg *resp)
{
    if (!t->ack) {
        int rc = gosip_msg_new_ack(&t->ack, t->request, resp);
        if (rc)
            return rc;
    }
    gosip__txn_emit_send(t, t->ack);
    return 0;
}

/* Calling or Proceeding received a final: the transitions both states share. */
static int ict_final(gosip__txn *t, const gosip__txn_ev *ev)
{
    int status = status_of(ev);
    gosip__txn_stop_timers(t);
    gosip__txn_keep(&t->response, ev->msg);
    if (status < 300) {
        /* RFC 6026 §8.4: the TU owns 2xx reliability; stay to pass up 2xx from other forks */
        gosip__txn_set_state(t, GOSIP__TXN_ACCEPTED);
        gosip__txn_emit_deliver(t, ev->msg);
        gosip__txn_arm_end(t, GOSIP__TXN_ACCEPTED, 'M', 64 * t->t1, ev->now);
        return 0;
    }
    gosip__txn_set_state(t, GOSIP__TXN_COMPLETED);
    gosip__txn_emit_deliver(t, ev->msg);
    int rc = gosip__txn_live(t) ? send_ack(t, ev->msg) : 0;
    /* Timer D covers the final's retransmissions: only needed where the network repeats */
    gosip__txn_arm_end(t, GOSIP__TXN_COMPLETED, 'D', gosip__txn_unreliable(t, GOSIP__TXN_TIMER_D),
                       ev->now);
    return rc;
}

static int ict_calling(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TIMER) {
        if (ev->timer == 'B') {
            gosip__txn_emit_timeout(t, 'B');
            return 0;
        }
        /* start or Timer A: (re)send, the interval doubling without cap (§17.1.1.2) */
        int first = ev->timer == TIMER_START;
        gosip_tstamp ival = first ? t->t1 : 2 * t->rtx_ival;
        if (first)
            gosip__txn_set_state(t, GOSIP__TXN_CALLING);
        gosip__txn_emit_send(t, t->request);
        gosip__txn_arm_rtx(t, GOSIP__TXN_CALLING, 'A', ival, ev->now);
        if (first)
            gosip__txn_arm_end(t, GOSIP__TXN_CALLING, 'B', 64 * t->t1, ev->now);
        return 0;
    }
    if (status_of(ev) >= 200)
        return ict_final(t, ev);
    /* 1xx: retransmissions stop, and so does Timer B (it guards Calling only) */
    gosip__txn_stop_timers(t);
    gosip__txn_set_state(t, GOSIP__TXN_PROCEEDING);
    gosip__txn_emit_deliver(t, ev->msg);
    return 0;
}

static int ict_proceeding(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type != GOSIP__TXN_EV_MSG)
        return 0;
    if (status_of(ev) >= 200)
        return ict_final(t, ev);
    gosip__txn_emit_deliver(t, ev->msg);
    return 0;
}

static int ict_completed(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TIMER) {
        gosip__txn_terminate(t); /* Timer D */
        return 0;
    }
    /* a retransmitted non-2xx final means our ACK was lost: send it again */
    if (status_of(ev) >= 300)
        return send_ack(t, ev->msg);
    return 0;
}

static int ict_accepted(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TIMER) {
        gosip__txn_terminate(t); /* Timer M */
        return 0;
    }
    int status = status_of(ev);
    if (status >= 200 && status < 300) /* RFC 6026 §8.4: every 2xx goes to the TU */
        gosip__txn_emit_deliver(t, ev->msg);
    return 0;
}

int gosip__ict_step(gosip__txn *t, const gosip__txn_ev *ev)
{
    switch (t->state) {
    case GOSIP__TXN_INIT:
    case GOSIP__TXN_CALLING:
        return ict_calling(t, ev);
    case GOSIP__TXN_PROCEEDING:
        return ict_proceeding(t, ev);
    case GOSIP__TXN_COMPLETED:
        return ict_completed(t, ev);
    case GOSIP__TXN_ACCEPTED:
        return ict_accepted(t, ev);
    default:
        return GOSIP_ERR_STATE;
    }
}

/* ---------------------------------------------------------------- non-INVITE client */

/* Trying or Proceeding received a response: the transitions both states share. */
static void nict_response(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (status_of(ev) < 200) {
        gosip__txn_set_state(t, GOSIP__TXN_PROCEEDING);
        gosip__txn_emit_deliver(t, ev->msg);
        return;
    }
    gosip__txn_stop_timers(t);
    gosip__txn_keep(&t->response, ev->msg);
    gosip__txn_set_state(t, GOSIP__TXN_COMPLETED);
    gosip__txn_emit_deliver(t, ev->msg);
    /* Timer K absorbs the final's retransmissions (T4 on unreliable transports) */
    gosip__txn_arm_end(t, GOSIP__TXN_COMPLETED, 'K', gosip__txn_unreliable(t, t->t4), ev->now);
}

/* Start or Timer E: (re)send; doubling capped at T2 in Trying, T2 flat in Proceeding. */
static void nict_retransmit(gosip__txn *t, const gosip__txn_ev *ev)
{
    int first = ev->timer == TIMER_START;
    gosip__txn_state in = t->state;
    gosip_tstamp ival = t->t2;
    if (first) {
        in = GOSIP__TXN_TRYING;
        ival = t->t1;
        gosip__txn_set_state(t, in);
    } else if (in == GOSIP__TXN_TRYING && 2 * t->rtx_ival < t->t2) {
        ival = 2 * t->rtx_ival;
    }
    gosip__txn_emit_send(t, t->request);
    gosip__txn_arm_rtx(t, in, 'E', ival, ev->now);
    if (first)
        gosip__txn_arm_end(t, in, 'F', 64 * t->t1, ev->now);
}

/* Trying and Proceeding differ only in the retransmission interval (nict_retransmit). */
static int nict_trying(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_MSG)
        nict_response(t, ev);
    else if (ev->timer == 'F')
        gosip__txn_emit_timeout(t, 'F');
    else
        nict_retransmit(t, ev);
    return 0;
}

static int nict_completed(gosip__txn *t, const gosip__txn_ev *ev)
{
    if (ev->type == GOSIP__TXN_EV_TIMER)
        gosip__txn_terminate(t); /* Timer K; responses are absorbed */
    return 0;
}

int gosip__nict_step(gosip__txn *t, const gosip__txn_ev *ev)
{
    switch (t->state) {
    case GOSIP__TXN_INIT:
    case GOSIP__TXN_TRYING:
    case GOSIP__TXN_PROCEEDING:
        return nict_trying(t, ev);
    case GOSIP__TXN_COMPLETED:
        return nict_completed(t, ev);
    default:
        return GOSIP_ERR_STATE;
    }
}
