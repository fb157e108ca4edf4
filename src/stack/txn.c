/*
 * The public transaction: a refcounted object over the current attempt's state machine.
 * It turns the machine's outputs into listener events, keeps the client's promise of
 * exactly one outcome, and sends the automatic 100 Trying of an INVITE server.
 */
#include "dialog/dialog_internal.h"

#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- events */

static void emit_io_error(gosip_txn *t, int code, int sys_error, const char *reason)
{
    gosip_stack *s = t->stack;
    gosip_io_error_event ev;
    memset(&ev, 0, sizeof ev);
    ev.txn = t->stateless ? NULL : t;
    ev.txn_data = t->data;
    ev.code = code;
    ev.sys_error = sys_error;
    ev.kind = t->route.cur.kind;
    ev.peer = t->route.cur.addr;
    ev.reason = reason ? reason : gosip_strerror(code);
    ev.now = s->now;
    GOSIP__EMIT(s, on_io_error, &ev);
}

void gosip__txn_fail(gosip_txn *t, int code, int sys_error, const char *reason)
{
    if (t->internal || t->outcome || (!t->is_client && !t->stateless))
        return;
    t->outcome = 1;
    emit_io_error(t, code, sys_error, reason);
}

static void emit_response(gosip_txn *t, gosip_msg *m, gosip_dialog *d)
{
    gosip_stack *s = t->stack;
    gosip_response_event ev;
    memset(&ev, 0, sizeof ev);
    ev.msg = m;
    ev.txn = t;
    ev.txn_data = t->data;
    gosip__stack_get_origin(m, &ev.rx);
    ev.now = s->now;
    ev.dialog = d;
    ev.dialog_data = d ? d->data : NULL;
    GOSIP__EMIT(s, on_response, &ev);
}

static void emit_ack(gosip_txn *t, gosip_msg *m)
{
    gosip_stack *s = t->stack;
    gosip_request_event ev;
    memset(&ev, 0, sizeof ev);
    ev.msg = m;
    ev.txn = t;
    ev.txn_data = t->data;
    gosip__stack_get_origin(m, &ev.rx);
    ev.now = s->now;
    ev.dialog = t->dialog;
    ev.dialog_data = t->dialog ? t->dialog->data : NULL;
    GOSIP__EMIT(s, on_request, &ev);
}

/* ---------------------------------------------------------------- the machine's outputs */

static int env_send(gosip__txn *fsm, gosip_msg *msg, void *ud)
{
    gosip_txn *t = ud;
    gosip_stack *s = t->stack;
    if (s->dead)
        return GOSIP_ERR_DESTROYED;
    if (!t->is_client)
        return gosip_tp_send_response(s->tp, msg, &t->rx, s->now);
    if (gosip_msg_method(msg) == GOSIP_METHOD_ACK)
        return gosip_tp_send_raw(s->tp, msg, &t->route.cur, NULL, s->now);
    gosip_tp_kind used = t->route.cur.kind;
    int rc = gosip_tp_send_request(s->tp, msg, &t->route.cur, s->now, &used);
    /* a request too large for UDP went over TCP: no retransmissions then (18.1.1) */
    if (rc == 0 && gosip_tp_kind_reliable(used) && !fsm->reliable) {
        fsm->reliable = 1;
        t->reliable = 1;
    }
    return rc;
}

/* A failure of the current attempt moves to the next target when there is one (RFC 3263
 * 4.3); an INVITE that drew a provisional response has reached its server: no retry. */
static int try_failover(gosip_txn *t)
{
    if (!t->is_client || t->provisional || t->route.next >= t->route.n)
        return 0;
    return gosip__client_failover(t) == 0;
}

static void env_deliver(gosip__txn *fsm, gosip_msg *msg, void *ud)
{
    gosip_txn *t = ud;
    if (fsm != t->fsm)
        return;
    t->delivered = 1;
    if (!t->is_client) {
        if (t->started && gosip_msg_method(msg) == GOSIP_METHOD_ACK)
            emit_ack(t, msg);
        return; /* the request itself reached the application before the transaction */
    }
    int status = gosip_msg_status(msg);
    if (status == 503 && !t->outcome && try_failover(t))
        return;
    gosip_dialog *d = t->dialog;
    gosip_txn_ref(t);
    if (!(t->stack->auto_dialog && gosip__session_client_response(t, msg, &d))) {
        if (status < 200)
            t->provisional = 1;
        else
            t->outcome = 1;
        if (!t->internal)
            emit_response(t, msg, d);
        if (t->stack->auto_dialog)
            gosip__session_after_response(t, d, msg);
    }
    gosip_txn_unref(t);
}

static void env_timeout(gosip__txn *fsm, char timer, void *ud)
{
    gosip_txn *t = ud;
    if (fsm != t->fsm || try_failover(t))
        return;
    gosip_stack *s = t->stack;
    if (t->is_client) {
        if (t->outcome)
            return;
        t->outcome = 1;
    }
    gosip_timeout_event ev;
    memset(&ev, 0, sizeof ev);
    ev.txn = t;
    ev.txn_data = t->data;
    ev.timer = timer;
    ev.now = s->now;
    GOSIP__EMIT(s, on_timeout, &ev);
}

static void env_transport_error(gosip__txn *fsm, int err, void *ud)
{
    gosip_txn *t = ud;
    if (fsm != t->fsm || try_failover(t))
        return;
    if (t->is_client)
        gosip__txn_fail(t, err, 0, NULL);
    else
        emit_io_error(t, err, 0, NULL);
}

static void env_terminated(gosip__txn *fsm, void *ud)
{
    gosip_txn *t = ud;
    /* a re-INVITE waiting to be retried after 491 outlives its first attempt */
    if (fsm == t->fsm && t->retry_at == GOSIP_TSTAMP_NONE)
        gosip__txn_end(t, 0);
}

static gosip__txn_kind kind_of(const gosip_txn *t)
{
    if (t->is_client)
        return t->is_invite ? GOSIP__TXN_ICT : GOSIP__TXN_NICT;
    return t->is_invite ? GOSIP__TXN_IST : GOSIP__TXN_NIST;
}

int gosip__txn_fsm_new(gosip_txn *t, int reliable)
{
    gosip_stack *s = t->stack;
    static const gosip__txn_env env = {
        NULL, env_send, env_deliver, env_timeout, env_transport_error, env_terminated};
    gosip__txn_env e = env;
    e.user_data = t;
    gosip__txn_cfg cfg = {kind_of(t), reliable, t->t1 ? t->t1 : s->cfg.t1,
                          t->t2 ? t->t2 : s->cfg.t2, t->t4 ? t->t4 : s->cfg.t4};
    gosip__txn *fsm = NULL;
    int rc = gosip__txn_new(&fsm, &s->mem, &cfg, &e);
    if (rc)
        return rc;
    if (t->fsm)
        gosip__txn_free(t->fsm); /* a failed attempt: deferred when inside its callback */
    t->fsm = fsm;
    t->reliable = (unsigned char)(reliable != 0);
    return 0;
}

/* ---------------------------------------------------------------- creation and end */

int gosip__txn_obj_new(gosip_stack *s, gosip_msg *req, unsigned flags, gosip_txn **out)
{
    int counted = !(flags & (GOSIP__TXN_F_INTERNAL | GOSIP__TXN_F_STATELESS));
    if (counted && s->n_live >= s->cfg.max_transactions)
        return GOSIP_ERR_LIMIT;
    if (gosip__timers_reserve(s, s->n_objs + 1) != 0)
        return GOSIP_ERR_NOMEM;
    gosip_txn *t = gosip__stack_calloc(s, sizeof *t);
    if (!t)
        return GOSIP_ERR_NOMEM;
    t->refs = 2; /* the caller's and the stack's (dropped at the end) */
    t->stack = s;
    t->request = gosip_msg_ref(req);
    t->is_client = (flags & GOSIP__TXN_F_CLIENT) != 0;
    t->internal = (flags & GOSIP__TXN_F_INTERNAL) != 0;
    t->stateless = (flags & GOSIP__TXN_F_STATELESS) != 0;
    t->counted = (unsigned char)counted;
    t->is_invite = gosip_msg_method(req) == GOSIP_METHOD_INVITE;
    t->trying_at = GOSIP_TSTAMP_NONE;
    t->rtx2xx_at = t->retry_at = GOSIP_TSTAMP_NONE;
    t->heap_idx = SIZE_MAX;
    t->next = s->live;
    if (s->live)
        s->live->prev = t;
    s->live = t;
    s->n_objs++;
    s->n_live += (size_t)counted;
    s->stats.txns_live = s->n_live;
    s->refs++;
    *out = t;
    return 0;
}

static void unlink_live(gosip_stack *s, gosip_txn *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        s->live = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    s->n_objs--;
    s->n_live -= t->counted;
    s->stats.txns_live = s->n_live;
}

/* Keeps what the getters show once the machine is gone. */
static void retire_fsm(gosip_txn *t)
{
    if (!t->fsm)
        return;
    gosip_msg *resp = gosip__txn_response(t->fsm);
    gosip_msg *req = gosip__txn_request(t->fsm);
    if (resp && !t->last_response)
        t->last_response = gosip_msg_ref(resp);
    if (req && !t->attempt)
        t->attempt = gosip_msg_ref(req);
    gosip__txn_free(t->fsm);
    t->fsm = NULL;
}

void gosip__txn_end(gosip_txn *t, int reason)
{
    if (t->ended)
        return;
    gosip_stack *s = t->stack;
    t->ended = 1;
    retire_fsm(t);
    gosip__txn_index_remove(s->index, t->entry);
    t->entry = NULL;
    gosip__timers_remove(s, t);
    t->trying_at = GOSIP_TSTAMP_NONE;
    if (t->dialog)
        gosip__session_txn_ended(t);
    t->rtx2xx_at = t->retry_at = GOSIP_TSTAMP_NONE;
    unlink_live(s, t);
    gosip__route_clear(s, &t->route);
    if (!t->internal && !t->stateless) {
        gosip_txn_terminated_event ev = {t, t->data, reason, s->now};
        GOSIP__EMIT(s, on_transaction_terminated, &ev);
    }
    gosip_txn_unref(t);
}

/* ---------------------------------------------------------------- timers and input */

gosip_tstamp gosip__txn_deadline(const gosip_txn *t)
{
    gosip_tstamp d = t->fsm ? gosip__txn_next_expiry(t->fsm) : GOSIP_TSTAMP_NONE;
    d = t->trying_at < d ? t->trying_at : d;
    d = t->rtx2xx_at < d ? t->rtx2xx_at : d;
    return t->retry_at < d ? t->retry_at : d;
}

/* 100 Trying on behalf of an application that has not answered an INVITE in time. */
static void send_auto_trying(gosip_txn *t, gosip_tstamp now)
{
    t->trying_at = GOSIP_TSTAMP_NONE;
    if (!t->fsm || gosip__txn_response(t->fsm) ||
        gosip__txn_state_of(t->fsm) != GOSIP__TXN_PROCEEDING)
        return;
    gosip_msg *resp = NULL;
    if (gosip_msg_new_response(&resp, t->request, 100, GOSIP_STR_NULL, GOSIP_STR_NULL) != 0)
        return; /* out of memory: the INVITE's retransmissions will be answered later */
    if (gosip__txn_server_send_response(t->fsm, resp, now) == 0)
        t->stack->stats.auto_trying++;
    gosip_msg_unref(resp);
}

void gosip__txn_expire(gosip_txn *t, gosip_tstamp now)
{
    if (t->trying_at <= now)
        send_auto_trying(t, now);
    if (t->rtx2xx_at <= now || t->retry_at <= now)
        gosip__session_expire(t, now);
    if (!t->ended && t->fsm && gosip__txn_next_expiry(t->fsm) <= now)
        gosip__txn_handle_expiry(t->fsm, now);
}

void gosip__txn_on_message(gosip_txn *t, gosip_msg *m, const gosip_rx_info *rx)
{
    (void)rx;
    gosip_stack *s = t->stack;
    if (!t->fsm)
        return;
    gosip_txn_ref(t);
    t->delivered = 0;
    if (t->is_client)
        gosip__txn_client_on_response(t->fsm, m, s->now);
    else
        gosip__txn_server_on_request(t->fsm, m, s->now);
    /* an ACK the server transaction keeps (of a non-2xx) is not a retransmission */
    if (!t->delivered && gosip_msg_method(m) != GOSIP_METHOD_ACK)
        s->stats.retransmissions_absorbed++;
    if (!t->ended)
        gosip__timers_update(s, t);
    gosip_txn_unref(t);
}

void gosip__txn_on_tp_error(gosip_txn *t, int code)
{
    if (!t->fsm)
        return;
    gosip_txn_ref(t);
    gosip__txn_on_transport_error(t->fsm, code, t->stack->now);
    gosip_txn_unref(t);
}
