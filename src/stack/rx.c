/*
 * Received messages: matched to their transaction (retransmissions absorbed), or checked
 * and passed to the application as new requests and stray responses. CANCEL (9.2),
 * merged requests (8.2.2.2) and the transaction limit are answered here.
 */
#include "dialog/dialog_internal.h"

#include <stdio.h>
#include <string.h>

void gosip__stack_set_origin(gosip_msg *m, const gosip_rx_info *rx)
{
    gosip__msg_set_origin(m, rx, sizeof *rx);
}

int gosip__stack_get_origin(const gosip_msg *m, gosip_rx_info *rx)
{
    size_t n = 0;
    const void *o = m ? gosip__msg_get_origin(m, &n) : NULL;
    if (!o || n != sizeof *rx) {
        memset(rx, 0, sizeof *rx);
        return GOSIP_ERR_NOT_FOUND;
    }
    memcpy(rx, o, sizeof *rx);
    return 0;
}

static gosip_str fresh_tag(gosip_stack *s, char *buf, size_t n)
{
    gosip__stack_random(s, buf, n);
    return (gosip_str){buf, n};
}

static void send_stateless(gosip_stack *s, gosip_msg *resp)
{
    gosip_rx_info rx;
    int have = gosip__stack_get_origin(resp, &rx) == 0;
    gosip_tp_send_response(s->tp, resp, have ? &rx : NULL, s->now);
}

void gosip__stack_reply(gosip_stack *s, gosip_msg *req, int status, const char *extra_hdr,
                        gosip_str extra_val)
{
    char tag[10];
    gosip_msg *resp = NULL;
    if (gosip_msg_new_response(&resp, req, status, GOSIP_STR_NULL, fresh_tag(s, tag, sizeof tag)) !=
        0)
        return; /* out of memory: the client retransmits and gets its answer later */
    if (!extra_hdr || gosip_msg_add_hdr(resp, gosip_str_from_cstr(extra_hdr), extra_val,
                                        GOSIP_WHERE_APPEND, NULL, NULL) == 0)
        send_stateless(s, resp);
    gosip_msg_unref(resp);
}

/* ---------------------------------------------------------------- new requests */

static void emit_request(gosip_stack *s, gosip_msg *m, const gosip_rx_info *rx, gosip_txn *inv,
                         gosip_dialog *d)
{
    if (!s->lis.on_request) {
        if (gosip_msg_method(m) != GOSIP_METHOD_ACK)
            gosip__stack_reply(s, m, 501, NULL, GOSIP_STR_NULL);
        return;
    }
    gosip_request_event ev;
    memset(&ev, 0, sizeof ev);
    ev.msg = m;
    ev.cancelled = inv;
    ev.cancelled_data = inv ? inv->data : NULL;
    ev.rx = *rx;
    ev.now = s->now;
    ev.dialog = d;
    ev.dialog_data = d ? d->data : NULL;
    GOSIP__EMIT(s, on_request, &ev);
}

void gosip__stack_emit_request(gosip_stack *s, gosip_msg *m, const gosip_rx_info *rx,
                               gosip_txn *cancelled, gosip_dialog *d)
{
    emit_request(s, m, rx, cancelled, d);
}

/* The response validation names (400, 420, 505...), sent without the application. */
static int rejected(gosip_stack *s, gosip_msg *m)
{
    gosip_verdict v;
    gosip_msg_validate(m, s->cfg.role, &s->vopts, &v);
    if (v.status == 0)
        return 0;
    s->stats.rejected_invalid++;
    if (v.status < 0)
        return 1;
    char tag[10];
    gosip_msg *resp = NULL;
    if (gosip_msg_new_error_response(&resp, m, &v, &s->vopts, fresh_tag(s, tag, sizeof tag)) == 0)
        send_stateless(s, resp);
    gosip_msg_unref(resp);
    return 1;
}

/* The To tag the cancelled request's responses carry (so that 487 and the CANCEL's 200
 * agree). */
static gosip_str response_tag(gosip_stack *s, gosip_txn *orig, char *buf, size_t n)
{
    const gosip_msg *last = gosip_txn_response(orig);
    const gosip_nameaddr *to = last ? gosip_msg_to(last) : NULL;
    if (to && to->tag.p)
        return to->tag;
    return fresh_tag(s, buf, n);
}

/* The CANCEL gets its own server transaction, so that its retransmissions get the 200
 * again; without room for one the 200 goes out statelessly. */
static void answer_cancel(gosip_stack *s, gosip_msg *cancel, const gosip_rx_info *rx, gosip_str tag)
{
    gosip_msg *ok = NULL;
    if (gosip_msg_new_response(&ok, cancel, 200, GOSIP_STR_NULL, tag) != 0)
        return;
    gosip_txn *t = NULL;
    if (gosip__txn_obj_new(s, cancel, GOSIP__TXN_F_INTERNAL, &t) == 0) {
        t->rx = *rx;
        if (gosip__txn_index_add_server(s->index, cancel, t, &t->entry) == 0 &&
            gosip__txn_fsm_new(t, gosip_tp_kind_reliable(rx->kind)) == 0 &&
            gosip__txn_server_start(t->fsm, cancel, s->now) == 0) {
            t->started = 1;
            gosip_txn_send_response(t, ok, s->now);
        } else {
            gosip__txn_end(t, 0);
            send_stateless(s, ok);
        }
        gosip_txn_unref(t);
    } else {
        send_stateless(s, ok);
    }
    gosip_msg_unref(ok);
}

/* 9.2: 200 for a CANCEL that matches a transaction, of whatever method; only a pending
 * INVITE is ended by it (487). */
static void on_cancel(gosip_stack *s, gosip_msg *m, const gosip_rx_info *rx)
{
    gosip_txn *orig = gosip__txn_index_match_cancel(s->index, m);
    if (!s->cfg.auto_cancel) {
        emit_request(s, m, rx, orig, NULL);
        return;
    }
    if (!orig) {
        s->stats.cancels_unmatched++;
        gosip__stack_reply(s, m, 481, NULL, GOSIP_STR_NULL);
        return;
    }
    char buf[GOSIP__STACK_TAG_LEN];
    gosip_txn_ref(orig);
    gosip_str tag = response_tag(s, orig, buf, sizeof buf);
    answer_cancel(s, m, rx, tag);
    const gosip_msg *last = gosip_txn_response(orig);
    if (tag.p == buf) { /* a fresh tag: the final response must repeat it */
        memcpy(orig->cancel_tag, buf, sizeof buf);
        orig->has_cancel_tag = 1;
    }
    if (orig->fsm && gosip_msg_method(orig->request) == GOSIP_METHOD_INVITE &&
        (!last || gosip_msg_status(last) < 200)) {
        gosip_msg *resp = NULL;
        if (gosip_msg_new_response(&resp, orig->request, 487, GOSIP_STR_NULL, tag) == 0)
            gosip_txn_send_response(orig, resp, s->now);
        gosip_msg_unref(resp);
    }
    emit_request(s, m, rx, orig, NULL);
    gosip_txn_unref(orig);
}

static void on_request(gosip_stack *s, gosip_msg *m, const gosip_rx_info *rx)
{
    gosip__stack_set_origin(m, rx);
    gosip_txn *t = gosip__txn_index_match_server(s->index, m);
    if (t) {
        gosip__txn_on_message(t, m, rx);
        return;
    }
    if (s->cfg.validate && rejected(s, m))
        return;
    gosip_method method = gosip_msg_method(m);
    if (method == GOSIP_METHOD_CANCEL) {
        on_cancel(s, m, rx);
        return;
    }
    gosip_dialog *d = NULL;
    if (s->auto_dialog && gosip__session_request(s, m, rx, &d))
        return;
    if (method != GOSIP_METHOD_ACK) {
        if (s->cfg.reject_merged && gosip__txn_index_match_merged(s->index, m)) {
            s->stats.rejected_merged++;
            gosip__stack_reply(s, m, 482, NULL, GOSIP_STR_NULL);
            return;
        }
        if (s->n_live >= s->cfg.max_transactions) {
            char secs[12];
            int n = snprintf(secs, sizeof secs, "%u", s->cfg.retry_after);
            s->stats.rejected_limit++;
            gosip__stack_reply(s, m, 503, "Retry-After", (gosip_str){secs, (size_t)n});
            return;
        }
    }
    emit_request(s, m, rx, NULL, d);
}

/* ---------------------------------------------------------------- responses */

static void on_response(gosip_stack *s, gosip_msg *m, const gosip_rx_info *rx)
{
    gosip__stack_set_origin(m, rx);
    gosip_txn *t = gosip__txn_index_match_client(s->index, m);
    if (t) {
        gosip__txn_on_message(t, m, rx);
        return;
    }
    gosip_dialog *d = NULL;
    if (s->auto_dialog && gosip__session_stray_response(s, m, &d))
        return;
    s->stats.stray_responses++;
    gosip_response_event ev;
    memset(&ev, 0, sizeof ev);
    ev.msg = m;
    ev.rx = *rx;
    ev.now = s->now;
    ev.dialog = d;
    ev.dialog_data = d ? d->data : NULL;
    GOSIP__EMIT(s, on_response, &ev);
}

static void tp_on_message(gosip_transport *tp, gosip_msg *m, const gosip_rx_info *rx, void *ud)
{
    gosip_stack *s = ud;
    if (s->dead)
        return;
    s->now = gosip_tp_now(tp);
    if (gosip_msg_is_request(m))
        on_request(s, m, rx);
    else
        on_response(s, m, rx);
}

/* ---------------------------------------------------------------- transport errors */

/* A client transaction still waiting for its first answer from that peer (17.1.4). */
static int waiting_on(const gosip_txn *t, const gosip_tp_error *err)
{
    if (!t->is_client || !t->fsm || t->route.cur.kind != err->kind ||
        !gosip_addr_equal(&t->route.cur.addr, &err->peer))
        return 0;
    gosip__txn_state st = gosip__txn_state_of(t->fsm);
    return st == GOSIP__TXN_CALLING || st == GOSIP__TXN_TRYING;
}

#define ERR_BATCH 64

/* Gives the error to the transactions waiting on that peer when it arrived, each once.
 * They are marked first, so that the ones created or failed over while it is handled
 * (to the same peer, perhaps) wait for an error of their own; then they are taken in
 * batches with references held, since each failover or end changes the list, and checked
 * again just before (a nested error may have moved one on). Linear in the live
 * transactions per 64 hits. */
static int fail_waiting(gosip_stack *s, const gosip_tp_error *err)
{
    if (++s->err_round == 0)
        s->err_round = 1; /* 0 means unmarked */
    unsigned round = s->err_round;
    for (gosip_txn *t = s->live; t; t = t->next)
        if (waiting_on(t, err))
            t->err_round = round;
    gosip_txn *batch[ERR_BATCH];
    int hits = 0;
    size_t n;
    do {
        n = 0;
        for (gosip_txn *t = s->live; t && n < ERR_BATCH; t = t->next) {
            if (t->err_round == round) {
                t->err_round = 0;
                batch[n++] = gosip_txn_ref(t);
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (!s->dead && waiting_on(batch[i], err)) {
                gosip__txn_on_tp_error(batch[i], err->code);
                hits++;
            }
            gosip_txn_unref(batch[i]);
        }
    } while (n == ERR_BATCH && !s->dead);
    return hits;
}

static void tp_on_error(gosip_transport *tp, const gosip_tp_error *err, void *ud)
{
    gosip_stack *s = ud;
    if (s->dead)
        return;
    s->now = gosip_tp_now(tp);
    if (fail_waiting(s, err) || s->dead)
        return;
    gosip_io_error_event ev;
    memset(&ev, 0, sizeof ev);
    ev.code = err->code;
    ev.sys_error = err->sys_error;
    ev.kind = err->kind;
    ev.peer = err->peer;
    ev.reason = err->reason;
    ev.now = s->now;
    GOSIP__EMIT(s, on_io_error, &ev);
}

const gosip_tp_callbacks gosip__stack_tp_callbacks = {tp_on_message, tp_on_error};
