/*
 * gosip-ua: the one listener of the stack. Every transaction and dialog the program
 * creates carries a record whose first member is its kind (ua_app.h), so events are routed
 * by that. Once the program is stopping no event is acted upon: the records are freed
 * after the stack (main.c).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ua_app.h"

/* ---------------------------------------------------------------- deadlines */

static void on_due_timer(uv_timer_t *t)
{
    due_queue *q = (due_queue *)(void *)t; /* the timer is the queue's first member */
    uint64_t now = uv_now(t->loop);

    while (q->head && q->head->at_ms <= now && !q->a->stopping) {
        due *d = q->head;
        due_cancel(q, d);
        q->fire(q->a, d);
    }
    if (q->head && !q->a->stopping)
        uv_timer_start(t, on_due_timer, q->head->at_ms - now, 0);
}

void due_queue_init(due_queue *q, app *a, void (*fire)(app *a, due *d))
{
    q->a = a;
    q->head = q->tail = NULL;
    q->fire = fire;
}

void due_push(due_queue *q, due *d, uint64_t delay_ms)
{
    d->at_ms = uv_now(q->timer.loop) + delay_ms;
    d->next = NULL;
    d->prev = q->tail;
    if (q->tail)
        q->tail->next = d;
    else
        q->head = d;
    q->tail = d;
    d->queued = 1;
    if (q->head == d && !q->a->stopping)
        uv_timer_start(&q->timer, on_due_timer, delay_ms, 0);
}

/* The timer stays armed for a removed head: it then finds nothing due and re-arms. */
void due_cancel(due_queue *q, due *d)
{
    if (!d->queued)
        return;
    if (d->prev)
        d->prev->next = d->next;
    else
        q->head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        q->tail = d->prev;
    d->prev = d->next = NULL;
    d->queued = 0;
}

/* ---------------------------------------------------------------- session descriptions */

size_t sdp_build(char *buf, size_t cap, const char *user, const char *host, unsigned port)
{
    const char *ip = strchr(host, ':') ? "IP6" : "IP4";
    int n = snprintf(buf, cap,
                     "v=0\r\n"
                     "o=%s %u 1 IN %s %s\r\n"
                     "s=-\r\n"
                     "c=IN %s %s\r\n"
                     "t=0 0\r\n"
                     "m=audio %u RTP/AVP 0\r\n"
                     "a=rtpmap:0 PCMU/8000\r\n",
                     user, port, ip, host, ip, host, port);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static obj_kind kind_of(const void *data)
{
    return data ? *(const obj_kind *)data : (obj_kind)0;
}

/* ---------------------------------------------------------------- the listener */

static void on_request(gosip_provider *p, const gosip_request_event *ev, void *ud)
{
    app *a = ud;
    gosip_method m = gosip_msg_method(ev->msg);

    if (a->stopping)
        return;
    if (m == GOSIP_METHOD_ACK) {
        if (ev->dialog && kind_of(ev->dialog_data) == OBJ_INCOMING)
            answer_on_ack(a, ev->dialog_data);
        return;
    }
    if (m == GOSIP_METHOD_CANCEL) {
        /* auto_cancel: the stack answered the CANCEL and the INVITE already */
        if (kind_of(ev->cancelled_data) == OBJ_INCOMING)
            answer_on_cancel(a, ev->cancelled_data);
        return;
    }
    if (ev->dialog && m == GOSIP_METHOD_BYE)
        return; /* answered by the stack; counted when the dialog ends */
    if (ev->dialog)
        answer_in_dialog(a, p, ev);
    else if (m == GOSIP_METHOD_INVITE)
        answer_invite(a, p, ev);
    else
        answer_out_of_dialog(a, p, ev);
}

static void on_response(gosip_provider *p, const gosip_response_event *ev, void *ud)
{
    app *a = ud;
    const gosip_cseq *cseq = gosip_msg_cseq(ev->msg);
    int status = gosip_msg_status(ev->msg);
    (void)p;

    if (a->stopping || !cseq)
        return;
    if (cseq->method == GOSIP_METHOD_INVITE) {
        void *data = kind_of(ev->txn_data) == OBJ_CALL ? ev->txn_data : ev->dialog_data;
        if (kind_of(data) == OBJ_CALL)
            call_on_response(a, data, ev);
    } else if (cseq->method == GOSIP_METHOD_REGISTER) {
        if (kind_of(ev->txn_data) == OBJ_REGISTRATION)
            register_on_response(a, ev);
    } else if (cseq->method == GOSIP_METHOD_BYE && status >= 300) {
        a->st.bye_errors++;
        if (a->opt.verbose)
            fprintf(stderr, "gosip-ua: BYE answered %d\n", status);
    }
}

static void txn_failed(app *a, void *data, const char *why)
{
    if (kind_of(data) == OBJ_CALL)
        call_on_failure(a, data, why);
    else if (kind_of(data) == OBJ_REGISTRATION)
        register_on_failure(a, why);
}

static void on_timeout(gosip_provider *p, const gosip_timeout_event *ev, void *ud)
{
    app *a = ud;
    (void)p;
    if (!a->stopping && gosip_txn_is_client(ev->txn))
        txn_failed(a, ev->txn_data, "timeout");
}

static void on_io_error(gosip_provider *p, const gosip_io_error_event *ev, void *ud)
{
    app *a = ud;
    (void)p;
    if (a->stopping)
        return;
    if (a->opt.verbose)
        cli_print_io_error("gosip-ua", ev);
    if (ev->txn && gosip_txn_is_client(ev->txn))
        txn_failed(a, ev->txn_data, "io-error");
}

static void on_txn_terminated(gosip_provider *p, const gosip_txn_terminated_event *ev, void *ud)
{
    app *a = ud;
    (void)p;
    if (!a->stopping && kind_of(ev->txn_data) == OBJ_INCOMING)
        answer_on_txn_end(a, ev->txn_data);
}

static void on_dialog_terminated(gosip_provider *p, const gosip_dialog_terminated_event *ev,
                                 void *ud)
{
    app *a = ud;
    (void)p;
    if (a->stopping)
        return;
    gosip_dialog_set_data(ev->dialog, NULL);
    if (kind_of(ev->dialog_data) == OBJ_CALL)
        call_on_dialog_end(a, ev->dialog_data, ev);
    else if (kind_of(ev->dialog_data) == OBJ_INCOMING)
        answer_on_dialog_end(a, ev->dialog_data, ev);
}

static void on_offer_answer(gosip_provider *p, const gosip_oa_event *ev, void *ud)
{
    app *a = ud;
    gosip_lp *lp = a->lp_udp ? a->lp_udp : a->lp_tcp;
    char host[HOST_CAP], sdp[512];
    unsigned port = 4000;
    size_t n;
    (void)p;

    if (a->stopping)
        return;
    if (ev->kind == GOSIP_OA_REMOTE_OFFER || ev->kind == GOSIP_OA_REMOTE_ANSWER) {
        if (a->opt.verbose)
            fprintf(stderr, "gosip-ua: remote %s (%zu bytes)\n",
                    ev->kind == GOSIP_OA_REMOTE_OFFER ? "offer" : "answer", ev->body.n);
        return;
    }
    if (kind_of(ev->dialog_data) == OBJ_CALL)
        port = call_media_port(ev->dialog_data);
    else if (kind_of(ev->dialog_data) == OBJ_INCOMING)
        port = answer_media_port(ev->dialog_data);
    gosip_addr_print_host(gosip_lp_addr(lp), host, sizeof host);
    n = sdp_build(sdp, sizeof sdp, a->opt.user, host, port);
    int rc = gosip_dialog_set_body(ev->dialog, GOSIP_STR("application/sdp"), sdp, n);
    if (rc != 0 && a->opt.verbose)
        fprintf(stderr, "gosip-ua: giving the session description: %s\n", gosip_strerror(rc));
}

const gosip_listener ua_listener = {.on_request = on_request,
                                    .on_response = on_response,
                                    .on_timeout = on_timeout,
                                    .on_io_error = on_io_error,
                                    .on_transaction_terminated = on_txn_terminated,
                                    .on_dialog_terminated = on_dialog_terminated,
                                    .on_offer_answer = on_offer_answer};
