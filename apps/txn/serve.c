/*
 * gosip-txn serve: a stateful UAS. Every new request gets a server transaction, so its
 * retransmissions are answered by the stack, not here; the statistics line shows how
 * many the stack absorbed.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn_app.h"

/* The registration lifetime granted when the REGISTER asks for none (RFC 3261 10.3). */
#define DEFAULT_EXPIRES "3600"

struct pending {
    uv_timer_t timer;
    app *a;
    gosip_txn *txn;
    pending *prev, *next;
    char tag[TAG_LEN];
};

/* ---------------------------------------------------------------- responses */

/* RFC 3261 10.3 step 8: a 200 to REGISTER lists the bindings, each with its expires. */
static int add_bindings(gosip_msg *resp, const gosip_msg *req)
{
    const gosip_hdr *exp = gosip_msg_hdr(req, GOSIP_HDR_EXPIRES);
    const gosip_uint *u = exp ? gosip_hdr_uint(exp) : NULL;
    char secs[16];
    gosip_str dflt = GOSIP_STR(DEFAULT_EXPIRES);

    if (u)
        dflt = (gosip_str){secs, (size_t)snprintf(secs, sizeof secs, "%" PRIu32, u->value)};
    for (const gosip_hdr *h = gosip_msg_hdr(req, GOSIP_HDR_CONTACT); h;
         h = gosip_hdr_next_same(h)) {
        const gosip_nameaddr *na = gosip_hdr_nameaddr(h);
        const gosip_hdr *out;
        if (!na || na->star)
            continue;
        int rc = gosip_msg_copy_hdr(resp, h, GOSIP_WHERE_APPEND, NULL, &out);
        if (rc == 0 && !gosip_param_find(na->params, "expires"))
            rc = gosip_msg_set_param(resp, out, GOSIP_STR("expires"), dflt, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void respond(app *a, gosip_txn *t, int status, const char *tag, gosip_tstamp now)
{
    const gosip_msg *req = gosip_txn_request(t);
    gosip_msg *resp = NULL;
    int rc = gosip_msg_new_response(&resp, req, status, GOSIP_STR_NULL, (gosip_str){tag, TAG_LEN});

    if (rc == 0 && status == 200 && gosip_msg_method(req) == GOSIP_METHOD_REGISTER)
        rc = add_bindings(resp, req);
    if (rc == 0)
        rc = gosip_txn_send_response(t, resp, now);
    gosip_msg_unref(resp);
    if (rc == 0) {
        a->ss.answered++;
        return;
    }
    a->ss.failed++;
    if (a->opt.verbose)
        fprintf(stderr, "gosip-txn: answering %d: %s\n", status, gosip_strerror(rc));
}

/* ---------------------------------------------------------------- delayed INVITE answers */

static void on_pending_closed(uv_handle_t *h)
{
    pending *pd = h->data;
    gosip_txn_unref(pd->txn);
    free(pd);
}

/* The transaction forgets the record first, so that a late CANCEL cannot reach it. */
static void pending_close(pending *pd)
{
    app *a = pd->a;
    if (pd->prev)
        pd->prev->next = pd->next;
    else
        a->pendings = pd->next;
    if (pd->next)
        pd->next->prev = pd->prev;
    gosip_txn_set_data(pd->txn, NULL);
    uv_close((uv_handle_t *)&pd->timer, on_pending_closed);
}

static void on_answer_due(uv_timer_t *timer)
{
    pending *pd = timer->data;
    /* a CANCEL may have completed it with 487 in the meantime */
    if (gosip_txn_state_of(pd->txn) == GOSIP_TXN_PROCEEDING)
        respond(pd->a, pd->txn, pd->a->opt.invite_status, pd->tag, uv_hrtime());
    pending_close(pd);
}

static void answer_later(app *a, gosip_txn *t, const char *tag)
{
    pending *pd = calloc(1, sizeof *pd);

    if (!pd || uv_timer_init(&a->loop, &pd->timer) != 0) {
        free(pd);
        respond(a, t, a->opt.invite_status, tag, uv_hrtime());
        return;
    }
    pd->timer.data = pd;
    pd->a = a;
    pd->txn = gosip_txn_ref(t);
    memcpy(pd->tag, tag, TAG_LEN);
    pd->next = a->pendings;
    if (a->pendings)
        a->pendings->prev = pd;
    a->pendings = pd;
    gosip_txn_set_data(t, pd);
    uv_timer_start(&pd->timer, on_answer_due, a->opt.answer_delay_ms, 0);
}

void serve_close_pending(app *a)
{
    while (a->pendings)
        pending_close(a->pendings);
}

/* ---------------------------------------------------------------- the listener */

static void answer_new(app *a, gosip_provider *p, const gosip_request_event *ev)
{
    gosip_txn *t = NULL;
    char tag[TAG_LEN];
    int rc = gosip_provider_new_server_txn(p, ev->msg, &t);

    if (rc != 0) {
        a->ss.failed++;
        if (a->opt.verbose)
            fprintf(stderr, "gosip-txn: server transaction: %s\n", gosip_strerror(rc));
        return;
    }
    gosip_random_token(tag, sizeof tag, NULL, NULL);
    if (gosip_msg_method(ev->msg) != GOSIP_METHOD_INVITE) {
        respond(a, t, 200, tag, ev->now);
    } else {
        if (a->opt.ring)
            respond(a, t, 180, tag, ev->now);
        if (a->opt.answer_delay_ms == 0)
            respond(a, t, a->opt.invite_status, tag, ev->now);
        else
            answer_later(a, t, tag);
    }
    gosip_txn_unref(t);
}

static void on_request(gosip_provider *p, const gosip_request_event *ev, void *ud)
{
    app *a = ud;
    gosip_method m = gosip_msg_method(ev->msg);

    if (a->stopping)
        return;
    a->ss.requests++;
    if (m == GOSIP_METHOD_ACK) {
        a->ss.acks++;
    } else if (m == GOSIP_METHOD_CANCEL) {
        /* auto_cancel: the stack answered the CANCEL and the INVITE already */
        a->ss.cancels++;
        if (ev->cancelled_data)
            pending_close(ev->cancelled_data);
    } else {
        answer_new(a, p, ev);
    }
}

static void on_io_error(gosip_provider *p, const gosip_io_error_event *ev, void *ud)
{
    app *a = ud;
    (void)p;
    if (a->opt.verbose && !a->stopping)
        cli_print_io_error("gosip-txn", ev);
}

const gosip_listener serve_listener = {.on_request = on_request, .on_io_error = on_io_error};

void serve_print_stats(app *a)
{
    const gosip_stack_stats *st = gosip_stack_stats_get(a->stack);
    uint64_t user, sys, cpu = app_cpu_us(a, &user, &sys);
    uint64_t txns = st->server_txns + st->client_txns;
    double wall = (double)(uv_hrtime() - a->t0) / 1e9;

    printf("stats transactions=%" PRIu64 " absorbed=%" PRIu64 " requests=%" PRIu64 " acks=%" PRIu64
           " cancels=%" PRIu64 " answered=%" PRIu64 " failed=%" PRIu64
           " wall_s=%.3f cpu_user_us=%" PRIu64 " cpu_sys_us=%" PRIu64 " cpu_us=%" PRIu64
           " cpu_us_per_txn=%.3f\n",
           txns, st->retransmissions_absorbed, a->ss.requests, a->ss.acks, a->ss.cancels,
           a->ss.answered, a->ss.failed, wall, user, sys, cpu,
           txns ? (double)cpu / (double)txns : 0.0);
    if (a->opt.stats)
        printf("stack txns_live=%" PRIu64 " stray_responses=%" PRIu64 " rejected_limit=%" PRIu64
               " rejected_merged=%" PRIu64 " rejected_invalid=%" PRIu64
               " cancels_unmatched=%" PRIu64 " auto_trying=%" PRIu64 "\n",
               st->txns_live, st->stray_responses, st->rejected_limit, st->rejected_merged,
               st->rejected_invalid, st->cancels_unmatched, st->auto_trying);
    fflush(stdout);
}
