/*
 * gosip-txn send: a UAC that starts client transactions at a steady rate and counts how
 * each ended. The stack retransmits and ACKs non-2xx finals; the ACK of a 2xx belongs to
 * the application (RFC 3261 13.2.2.4), so it is built and sent here.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn_app.h"

enum { URI_CAP = 512, MAX_ROUTES = 16 };

/* Marks a client transaction whose final response was counted: a 2xx to an INVITE is
 * delivered again for each retransmission (RFC 6026 Accepted). */
static char counted_mark;

static char target_uri[URI_CAP];
static char from_uri[URI_CAP];
static char contact_uri[URI_CAP];

/* ---------------------------------------------------------------- requests */

static const char sdp_offer[] = "v=0\r\n"
                                "o=gosip 1 1 IN IP4 127.0.0.1\r\n"
                                "s=-\r\n"
                                "c=IN IP4 127.0.0.1\r\n"
                                "t=0 0\r\n"
                                "m=audio 9 RTP/AVP 0\r\n";

static void fill_spec(const app *a, gosip_request_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->method = a->opt.method;
    spec->request_uri = gosip_str_from_cstr(target_uri);
    spec->from = gosip_str_from_cstr(from_uri);
    spec->to = spec->request_uri;
    spec->via_transport = a->opt.kind == GOSIP_TP_TCP ? GOSIP_STR("TCP") : GOSIP_STR("UDP");
    spec->via_host = gosip_str_from_cstr(a->opt.bind);
    spec->via_port = gosip_lp_addr(a->lp)->port;
    spec->contact = gosip_str_from_cstr(contact_uri);
    spec->max_forwards = -1;
}

static int build_request(const app *a, gosip_msg **out)
{
    gosip_request_spec spec;
    int rc;

    fill_spec(a, &spec);
    rc = gosip_msg_new_request(out, NULL, &spec);
    if (rc != 0)
        return rc;
    if (a->opt.method == GOSIP_METHOD_MESSAGE)
        rc = gosip_msg_set_body(*out, GOSIP_STR("text/plain"), "hello from GoSIP", 16);
    else if (a->opt.method == GOSIP_METHOD_INVITE)
        rc =
            gosip_msg_set_body(*out, GOSIP_STR("application/sdp"), sdp_offer, sizeof sdp_offer - 1);
    if (rc != 0) {
        gosip_msg_unref(*out);
        *out = NULL;
    }
    return rc;
}

static void send_one(app *a)
{
    gosip_msg *req = NULL;
    gosip_txn *t = NULL;
    int rc = build_request(a, &req);

    if (rc == 0)
        rc = gosip_provider_new_client_txn(gosip_stack_provider(a->stack), req, &t);
    if (rc == 0)
        rc = gosip_txn_send_request(t, uv_hrtime());
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    a->cs.sent++;
    if (rc == 0)
        return;
    /* a transaction the stack never started has no outcome event: count it here */
    a->cs.failed++;
    a->outcomes++;
    if (a->opt.verbose)
        fprintf(stderr, "gosip-txn: starting a transaction: %s\n", gosip_strerror(rc));
}

static void check_done(app *a)
{
    if (a->outcomes >= a->opt.count && a->cs.sent >= a->opt.count && !a->stopping)
        app_send_done(a);
}

/* Sends what the rate allows by now, so that a slow tick does not lower the rate. */
static void on_tick(uv_timer_t *timer)
{
    app *a = timer->data;
    double elapsed = (double)(uv_hrtime() - a->t0) / 1e9;
    double due = elapsed * a->opt.rate + 1.0;
    uint64_t want = due >= (double)a->opt.count ? a->opt.count : (uint64_t)due;

    while (a->cs.sent < want && !a->stopping)
        send_one(a);
    if (a->cs.sent >= a->opt.count) {
        uv_timer_stop(timer);
        check_done(a);
    }
}

/* ---------------------------------------------------------------- the ACK of a 2xx */

/* RFC 3261 12.1.2: the route set is the Record-Route of the 2xx in reverse order. */
static int add_route_set(gosip_msg *ack, const gosip_msg *resp)
{
    const gosip_hdr *rr[MAX_ROUTES];
    size_t n = 0;

    for (const gosip_hdr *h = gosip_msg_hdr(resp, GOSIP_HDR_RECORD_ROUTE); h && n < MAX_ROUTES;
         h = gosip_hdr_next_same(h))
        rr[n++] = h;
    while (n > 0) {
        int rc = gosip_msg_add_hdr_kind(ack, GOSIP_HDR_ROUTE, gosip_hdr_value(rr[--n]),
                                        GOSIP_WHERE_APPEND, NULL, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* RFC 3261 13.2.2.4: to the remote target (the 2xx's Contact), with the dialog's From,
 * To and Call-ID, the INVITE's CSeq number and a branch of its own. */
static int send_ack(app *a, gosip_provider *p, const gosip_msg *resp, gosip_tstamp now)
{
    const gosip_hdr *from = gosip_msg_hdr(resp, GOSIP_HDR_FROM);
    const gosip_hdr *to = gosip_msg_hdr(resp, GOSIP_HDR_TO);
    const gosip_nameaddr *contact = gosip_msg_contact(resp);
    const gosip_cseq *cseq = gosip_msg_cseq(resp);
    gosip_request_spec spec;
    gosip_msg *ack = NULL;
    int rc;

    if (!from || !to || !cseq)
        return GOSIP_ERR_INVALID_ARG;
    fill_spec(a, &spec);
    spec.method = GOSIP_METHOD_ACK;
    if (contact && contact->uri)
        spec.request_uri = contact->uri->raw;
    spec.from = gosip_hdr_value(from);
    spec.to = gosip_hdr_value(to);
    spec.call_id = gosip_msg_call_id(resp);
    spec.cseq = cseq->seq;
    spec.contact = GOSIP_STR_NULL;
    rc = gosip_msg_new_request(&ack, NULL, &spec);
    if (rc == 0)
        rc = add_route_set(ack, resp);
    if (rc == 0)
        rc = gosip_provider_send_request(p, ack, now);
    gosip_msg_unref(ack);
    if (rc == 0)
        a->cs.acks++;
    return rc;
}

/* ---------------------------------------------------------------- the listener */

static int is_invite_2xx(const gosip_msg *resp)
{
    const gosip_cseq *cseq = gosip_msg_cseq(resp);
    int status = gosip_msg_status(resp);
    return cseq && cseq->method == GOSIP_METHOD_INVITE && status >= 200 && status < 300;
}

static void on_response(gosip_provider *p, const gosip_response_event *ev, void *ud)
{
    app *a = ud;
    int status = gosip_msg_status(ev->msg);

    if (a->stopping || status < 200)
        return;
    /* a 2xx retransmitted after its transaction ended (txn NULL) is ACKed as well */
    if (is_invite_2xx(ev->msg)) {
        int rc = send_ack(a, p, ev->msg, ev->now);
        if (rc != 0 && a->opt.verbose)
            fprintf(stderr, "gosip-txn: sending the ACK: %s\n", gosip_strerror(rc));
    }
    if (!ev->txn || ev->txn_data == &counted_mark)
        return;
    gosip_txn_set_data(ev->txn, &counted_mark);
    a->cs.finals++;
    a->cs.by_code[status < STATUS_MAX ? status : 0]++;
    a->outcomes++;
    check_done(a);
}

static void on_timeout(gosip_provider *p, const gosip_timeout_event *ev, void *ud)
{
    app *a = ud;
    (void)p;
    if (a->stopping || !gosip_txn_is_client(ev->txn))
        return;
    a->cs.timeouts++;
    a->outcomes++;
    check_done(a);
}

static void on_io_error(gosip_provider *p, const gosip_io_error_event *ev, void *ud)
{
    app *a = ud;
    (void)p;
    if (a->stopping)
        return;
    if (a->opt.verbose)
        cli_print_io_error("gosip-txn", ev);
    if (!ev->txn || !gosip_txn_is_client(ev->txn))
        return;
    a->cs.io_errors++;
    a->outcomes++;
    check_done(a);
}

const gosip_listener send_listener = {
    .on_response = on_response, .on_timeout = on_timeout, .on_io_error = on_io_error};

/* ---------------------------------------------------------------- start and results */

static int make_uris(app *a)
{
    const char *to = a->opt.to;
    int tcp = a->opt.kind == GOSIP_TP_TCP && !strstr(to, "transport=");
    char host[HOST_CAP + 2];
    int n;

    /* an IPv6 address needs brackets in a URI */
    snprintf(host, sizeof host, strchr(a->opt.bind, ':') ? "[%s]" : "%s", a->opt.bind);
    n = snprintf(target_uri, sizeof target_uri, "%s%s", to, tcp ? ";transport=tcp" : "");
    if (n < 0 || (size_t)n >= sizeof target_uri)
        return -1;
    snprintf(from_uri, sizeof from_uri, "<sip:gosip@%s>", host);
    snprintf(contact_uri, sizeof contact_uri, "<sip:gosip@%s:%u%s>", host,
             gosip_lp_addr(a->lp)->port, a->opt.kind == GOSIP_TP_TCP ? ";transport=tcp" : "");
    return 0;
}

int send_start(app *a)
{
    int rc = gosip_uv_listen(a->uv, a->opt.kind, a->opt.bind, 0, &a->lp);

    if (rc != 0) {
        fprintf(stderr, "gosip-txn: binding %s: %s\n", a->opt.bind, gosip_strerror(rc));
        return -1;
    }
    if (make_uris(a) != 0) {
        fprintf(stderr, "gosip-txn: --to is too long\n");
        return -1;
    }
    /* above 1000/s a tick sends a burst: on_tick catches up with the rate */
    uint64_t tick_ms = a->opt.rate >= 1000 ? 1 : (uint64_t)(1000.0 / a->opt.rate);
    uv_timer_start(&a->tick_timer, on_tick, 0, tick_ms);
    return 0;
}

void send_print_stats(app *a)
{
    const gosip_stack_stats *st = gosip_stack_stats_get(a->stack);
    const send_stats *c = &a->cs;
    uint64_t user, sys, cpu = app_cpu_us(a, &user, &sys), ok = 0;

    for (int s = 200; s < 300; s++)
        ok += c->by_code[s];
    printf("result sent=%" PRIu64 " finals=%" PRIu64 " 2xx=%" PRIu64, c->sent, c->finals, ok);
    for (int s = 300; s < STATUS_MAX; s++)
        if (c->by_code[s])
            printf(" code_%d=%" PRIu64, s, c->by_code[s]);
    printf(" timeouts=%" PRIu64 " io_errors=%" PRIu64 " not_started=%" PRIu64 " acks=%" PRIu64
           " absorbed=%" PRIu64 " cpu_us=%" PRIu64 " cpu_us_per_txn=%.3f\n",
           c->timeouts, c->io_errors, c->failed, c->acks, st->retransmissions_absorbed, cpu,
           c->sent ? (double)cpu / (double)c->sent : 0.0);
    fflush(stdout);
}

int send_exit_code(const app *a)
{
    return a->cs.sent == a->opt.count && a->cs.finals == a->opt.count ? EXIT_OK : EXIT_FAIL;
}
