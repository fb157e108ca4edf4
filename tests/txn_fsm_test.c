/*
 * The four §17 transaction machines (src/txn/fsm.h) on a virtual clock: every callback is
 * logged as "<event>@<ms>" and each test compares the whole log, so a schedule that is off
 * by one retransmission or one millisecond fails.
 */
#include "testutil.h"

#include <stdio.h>

#include "txn/fsm.h"

typedef struct rec {
    char log[4096];
    gosip_tstamp now;
    gosip__txn *t;
    int terms, events_after_term;
    int send_rc;         /* what send returns */
    int answer;          /* deliver of a request answers with this status (0: no) */
    int free_in_term;    /* free the transaction from terminated */
    int free_in_deliver; /* free the transaction from deliver */
    int nested_rc;       /* a non-safe input tried from a callback */
} rec;

static void logf_(rec *r, const char *what, const char *arg)
{
    char one[64];
    snprintf(one, sizeof one, "%s%s%s@%llu", r->log[0] ? " " : "", what, arg,
             (unsigned long long)(r->now / GOSIP_MS(1)));
    strncat(r->log, one, sizeof r->log - strlen(r->log) - 1);
    if (r->terms)
        r->events_after_term++;
}

static void msg_label(const gosip_msg *m, char *buf, size_t cap)
{
    if (gosip_msg_is_request(m))
        snprintf(buf, cap, "%s", gosip_method_name(gosip_msg_method(m)));
    else
        snprintf(buf, cap, "%d", gosip_msg_status(m));
}

static int cb_send(gosip__txn *t, gosip_msg *m, void *ud)
{
    rec *r = ud;
    char l[32];
    (void)t;
    msg_label(m, l, sizeof l);
    logf_(r, "S:", l);
    return r->send_rc;
}

static void cb_deliver(gosip__txn *t, gosip_msg *m, void *ud)
{
    rec *r = ud;
    char l[32];
    msg_label(m, l, sizeof l);
    logf_(r, "D:", l);
    r->nested_rc = gosip__txn_handle_expiry(t, r->now);
    if (r->free_in_deliver) {
        gosip__txn_free(t);
        r->t = NULL;
        return;
    }
    if (r->answer && gosip_msg_is_request(m) && gosip_msg_method(m) != GOSIP_METHOD_ACK) {
        gosip_msg *resp;
        assert_int_equal(
            gosip_msg_new_response(&resp, m, r->answer, GOSIP_STR_NULL, GOSIP_STR("tt")), 0);
        assert_int_equal(gosip__txn_server_send_response(t, resp, r->now), 0);
        gosip_msg_unref(resp);
    }
}

static void cb_timeout(gosip__txn *t, char timer, void *ud)
{
    char l[2] = {timer, 0};
    (void)t;
    logf_(ud, "T:", l);
}

static void cb_error(gosip__txn *t, int err, void *ud)
{
    (void)t;
    (void)err;
    logf_(ud, "E", "");
}

static void cb_term(gosip__txn *t, void *ud)
{
    rec *r = ud;
    logf_(r, "X", "");
    r->terms++;
    if (r->free_in_term) {
        gosip__txn_free(t);
        r->t = NULL;
    }
}

static const gosip__txn_env ENV = {NULL, cb_send, cb_deliver, cb_timeout, cb_error, cb_term};

static gosip__txn *mk(rec *r, gosip__txn_kind kind, int reliable, gosip_tstamp t1, gosip_tstamp t2,
                      gosip_tstamp t4)
{
    memset(r, 0, sizeof *r);
    gosip__txn_env env = ENV;
    env.user_data = r;
    gosip__txn_cfg cfg = {kind, reliable, t1, t2, t4};
    assert_int_equal(gosip__txn_new(&r->t, tu_mem_tracked(), &cfg, &env), 0);
    return r->t;
}

static gosip_msg *req(const char *method)
{
    char buf[1024];
    gosip_msg *m;
    snprintf(buf, sizeof buf,
             "%s sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_MF TU_L_TO TU_L_FROM TU_L_CALLID
             "CSeq: 314159 %s\r\n" TU_L_END,
             method, method);
    assert_int_equal(tu_parse(buf, strlen(buf), GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    return m;
}

static gosip_msg *resp(const gosip_msg *rq, int status)
{
    gosip_msg *m;
    assert_int_equal(gosip_msg_new_response(&m, rq, status, GOSIP_STR_NULL, GOSIP_STR("tt")), 0);
    return m;
}

/* Fires timers at their deadlines up to `until_ms`, checking none is ever in the past. */
static void run_to(rec *r, gosip__txn *t, unsigned until_ms)
{
    gosip_tstamp until = GOSIP_MS(until_ms);
    for (;;) {
        gosip_tstamp next = gosip__txn_next_expiry(t);
        if (next == GOSIP_TSTAMP_NONE || next > until)
            break;
        assert_true(next >= r->now);
        r->now = next;
        assert_int_equal(gosip__txn_handle_expiry(t, next), 0);
        if (r->terms)
            break;
    }
    if (!r->terms && until > r->now)
        r->now = until;
}

/* Feeds a response built from the transaction's request at `ms`. */
static int feed_resp(rec *r, gosip__txn *t, unsigned ms, int status)
{
    run_to(r, t, ms);
    gosip_msg *m = resp(gosip__txn_request(t), status);
    int rc = gosip__txn_client_on_response(t, m, r->now);
    gosip_msg_unref(m);
    return rc;
}

static int feed_req(rec *r, gosip__txn *t, unsigned ms, const char *method)
{
    run_to(r, t, ms);
    gosip_msg *m = req(method);
    int rc = gosip__txn_server_on_request(t, m, r->now);
    gosip_msg_unref(m);
    return rc;
}

static int tu_send(rec *r, gosip__txn *t, unsigned ms, int status)
{
    run_to(r, t, ms);
    gosip_msg *m = resp(gosip__txn_request(t), status);
    int rc = gosip__txn_server_send_response(t, m, r->now);
    gosip_msg_unref(m);
    return rc;
}

static void start(rec *r, gosip__txn *t, const char *method)
{
    gosip_msg *m = req(method);
    int client = gosip__txn_kind_of(t) <= GOSIP__TXN_NICT;
    assert_int_equal(
        client ? gosip__txn_client_start(t, m, r->now) : gosip__txn_server_start(t, m, r->now), 0);
    gosip_msg_unref(m);
}

static void finish(rec *r, gosip__txn *t, const char *expect)
{
    assert_string_equal(r->log, expect);
    assert_int_equal(r->events_after_term, 0);
    assert_true(r->terms <= 1);
    gosip__txn_free(t);
}

/* ---------------------------------------------------------------- INVITE client */

static void ict_udp_timeout(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_ICT, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_CALLING);
    run_to(&r, t, 60000);
    assert_int_equal(gosip__txn_next_expiry(t), GOSIP_TSTAMP_NONE);
    assert_int_equal(feed_resp(&r, t, 61000, 200), GOSIP_ERR_STATE);
    finish(&r, t,
           "S:INVITE@0 S:INVITE@500 S:INVITE@1500 S:INVITE@3500 S:INVITE@7500 "
           "S:INVITE@15500 S:INVITE@31500 T:B@32000 X@32000");
}

static void ict_tcp_timeout(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_ICT, 1, 0, 0, 0);
    start(&r, t, "INVITE");
    run_to(&r, t, 60000);
    finish(&r, t, "S:INVITE@0 T:B@32000 X@32000");
}

static void ict_1xx_then_non2xx_udp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_ICT, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(feed_resp(&r, t, 700, 180), 0);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_PROCEEDING);
    assert_int_equal(gosip__txn_next_expiry(t), GOSIP_TSTAMP_NONE); /* no A, no B */
    assert_int_equal(feed_resp(&r, t, 40000, 183), 0);
    assert_int_equal(feed_resp(&r, t, 41000, 486), 0);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_COMPLETED);
    assert_int_equal(feed_resp(&r, t, 42000, 486), 0); /* retransmitted final: ACK again */
    assert_int_equal(feed_resp(&r, t, 42500, 180), 0); /* absorbed */
    run_to(&r, t, 100000);
    finish(&r, t,
           "S:INVITE@0 S:INVITE@500 D:180@700 D:183@40000 D:486@41000 S:ACK@41000 "
           "S:ACK@42000 X@73000");
}

static void ict_non2xx_tcp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_ICT, 1, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(feed_resp(&r, t, 100, 503), 0);
    finish(&r, t, "S:INVITE@0 D:503@100 S:ACK@100 X@100");
}

static void ict_2xx_accepted(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_ICT, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(feed_resp(&r, t, 1000, 200), 0);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_ACCEPTED);
    assert_int_equal(feed_resp(&r, t, 2000, 200), 0); /* RFC 6026: passed up */
    assert_int_equal(feed_resp(&r, t, 2100, 486), 0); /* absorbed */
    assert_int_equal(feed_resp(&r, t, 2200, 180), 0); /* absorbed */
    run_to(&r, t, 100000);
    finish(&r, t, "S:INVITE@0 S:INVITE@500 D:200@1000 D:200@2000 X@33000");
}

/* ---------------------------------------------------------------- non-INVITE client */

static void nict_udp_timeout(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_NICT, 0, 0, 0, 0);
    start(&r, t, "OPTIONS");
    run_to(&r, t, 60000);
    finish(&r, t,
           "S:OPTIONS@0 S:OPTIONS@500 S:OPTIONS@1500 S:OPTIONS@3500 S:OPTIONS@7500 "
           "S:OPTIONS@11500 S:OPTIONS@15500 S:OPTIONS@19500 S:OPTIONS@23500 "
           "S:OPTIONS@27500 S:OPTIONS@31500 T:F@32000 X@32000");
}

static void nict_proceeding_udp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_NICT, 0, 0, 0, 0);
    start(&r, t, "REGISTER");
    assert_int_equal(feed_resp(&r, t, 1000, 100), 0);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_PROCEEDING);
    assert_int_equal(feed_resp(&r, t, 10000, 401), 0);
    assert_int_equal(feed_resp(&r, t, 11000, 401), 0); /* absorbed in Completed */
    run_to(&r, t, 60000);
    finish(&r, t,
           "S:REGISTER@0 S:REGISTER@500 D:100@1000 S:REGISTER@1500 S:REGISTER@5500 "
           "S:REGISTER@9500 D:401@10000 X@15000");
}

static void nict_tcp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_NICT, 1, 0, 0, 0);
    start(&r, t, "OPTIONS");
    assert_int_equal(feed_resp(&r, t, 20000, 200), 0);
    finish(&r, t, "S:OPTIONS@0 D:200@20000 X@20000");
    t = mk(&r, GOSIP__TXN_NICT, 1, 0, 0, 0);
    start(&r, t, "OPTIONS");
    run_to(&r, t, 60000);
    finish(&r, t, "S:OPTIONS@0 T:F@32000 X@32000");
}

static void nict_custom_timers(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_NICT, 0, GOSIP_MS(100), GOSIP_MS(400), GOSIP_MS(1000));
    start(&r, t, "OPTIONS");
    assert_int_equal(feed_resp(&r, t, 2000, 200), 0);
    run_to(&r, t, 60000);
    finish(&r, t,
           "S:OPTIONS@0 S:OPTIONS@100 S:OPTIONS@300 S:OPTIONS@700 S:OPTIONS@1100 "
           "S:OPTIONS@1500 S:OPTIONS@1900 D:200@2000 X@3000");
    t = mk(&r, GOSIP__TXN_ICT, 1, GOSIP_MS(100), GOSIP_MS(400), GOSIP_MS(1000));
    start(&r, t, "INVITE");
    run_to(&r, t, 60000);
    finish(&r, t, "S:INVITE@0 T:B@6400 X@6400");
}

/* ---------------------------------------------------------------- INVITE server */

static void ist_non2xx_udp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_IST, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_PROCEEDING);
    assert_int_equal(feed_req(&r, t, 100, "INVITE"), 0); /* nothing to re-send yet */
    assert_int_equal(tu_send(&r, t, 200, 180), 0);
    assert_int_equal(feed_req(&r, t, 300, "INVITE"), 0);
    assert_int_equal(tu_send(&r, t, 1000, 486), 0);
    assert_int_equal(tu_send(&r, t, 1100, 500), GOSIP_ERR_STATE);
    assert_int_equal(feed_req(&r, t, 3000, "INVITE"), 0);
    assert_int_equal(feed_req(&r, t, 10000, "ACK"), 0);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_CONFIRMED);
    assert_int_equal(feed_req(&r, t, 11000, "ACK"), 0); /* absorbed */
    run_to(&r, t, 60000);
    finish(&r, t,
           "D:INVITE@0 S:180@200 S:180@300 S:486@1000 S:486@1500 S:486@2500 "
           "S:486@3000 S:486@4500 S:486@8500 X@15000");
}

static void ist_timer_h(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_IST, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(tu_send(&r, t, 0, 603), 0);
    run_to(&r, t, 60000);
    finish(&r, t,
           "D:INVITE@0 S:603@0 S:603@500 S:603@1500 S:603@3500 S:603@7500 S:603@11500 "
           "S:603@15500 S:603@19500 S:603@23500 S:603@27500 S:603@31500 T:H@32000 "
           "X@32000");
}

static void ist_tcp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_IST, 1, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(tu_send(&r, t, 0, 404), 0);
    assert_int_equal(feed_req(&r, t, 5000, "ACK"), 0);
    finish(&r, t, "D:INVITE@0 S:404@0 X@5000");
    t = mk(&r, GOSIP__TXN_IST, 1, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(tu_send(&r, t, 0, 404), 0);
    run_to(&r, t, 60000);
    finish(&r, t, "D:INVITE@0 S:404@0 T:H@32000 X@32000");
}

static void ist_2xx_accepted(void **state)
{
    (void)state;
    for (int reliable = 0; reliable < 2; reliable++) {
        rec r;
        gosip__txn *t = mk(&r, GOSIP__TXN_IST, reliable, 0, 0, 0);
        start(&r, t, "INVITE");
        assert_int_equal(tu_send(&r, t, 100, 200), 0);
        assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_ACCEPTED);
        assert_int_equal(feed_req(&r, t, 600, "INVITE"), 0); /* absorbed */
        assert_int_equal(tu_send(&r, t, 600, 200), 0);       /* the TU's retransmission */
        assert_int_equal(tu_send(&r, t, 700, 486), GOSIP_ERR_STATE);
        assert_int_equal(feed_req(&r, t, 800, "ACK"), 0); /* passed up */
        run_to(&r, t, 60000);
        finish(&r, t, "D:INVITE@0 S:200@100 S:200@600 D:ACK@800 X@32100");
    }
}

/* ---------------------------------------------------------------- non-INVITE server */

static void nist_udp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_NIST, 0, 0, 0, 0);
    start(&r, t, "BYE");
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_TRYING);
    assert_int_equal(feed_req(&r, t, 100, "BYE"), 0); /* absorbed in Trying */
    assert_int_equal(tu_send(&r, t, 200, 100), 0);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_PROCEEDING);
    assert_int_equal(feed_req(&r, t, 300, "BYE"), 0);
    assert_int_equal(tu_send(&r, t, 400, 200), 0);
    assert_int_equal(tu_send(&r, t, 450, 500), GOSIP_ERR_STATE);
    assert_int_equal(feed_req(&r, t, 500, "BYE"), 0);
    run_to(&r, t, 60000);
    finish(&r, t, "D:BYE@0 S:100@200 S:100@300 S:200@400 S:200@500 X@32400");
}

static void nist_tcp(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_NIST, 1, 0, 0, 0);
    start(&r, t, "MESSAGE");
    assert_int_equal(tu_send(&r, t, 50, 202), 0);
    finish(&r, t, "D:MESSAGE@0 S:202@50 X@50");
}

/* ---------------------------------------------------------------- transport errors */

/*
 * Drives a fresh transaction of `kind` through `steps` (a status: a response in, or from
 * the TU; 0: an ACK in) at 10 ms apart, then reports a transport error at 100 ms.
 */
static void error_in(gosip__txn_kind kind, const int *steps, gosip__txn_state in,
                     const char *expect)
{
    rec r;
    gosip__txn *t = mk(&r, kind, 0, 0, 0, 0);
    int client = kind <= GOSIP__TXN_NICT;
    int invite = kind == GOSIP__TXN_ICT || kind == GOSIP__TXN_IST;
    start(&r, t, invite ? "INVITE" : "OPTIONS");
    for (unsigned i = 0; steps[i] >= 0; i++) {
        unsigned ms = 10 * (i + 1);
        int rc = steps[i] == 0 ? feed_req(&r, t, ms, "ACK")
                 : client      ? feed_resp(&r, t, ms, steps[i])
                               : tu_send(&r, t, ms, steps[i]);
        assert_int_equal(rc, 0);
    }
    run_to(&r, t, 100);
    assert_int_equal(gosip__txn_state_of(t), in);
    assert_int_equal(gosip__txn_on_transport_error(t, GOSIP_ERR_IO, r.now), 0);
    assert_int_equal(gosip__txn_on_transport_error(t, GOSIP_ERR_IO, r.now), GOSIP_ERR_STATE);
    assert_int_equal(gosip__txn_next_expiry(t), GOSIP_TSTAMP_NONE);
    finish(&r, t, expect);
}

static void transport_errors(void **state)
{
    (void)state;
    static const int none[] = {-1}, p[] = {100, -1}, ok[] = {100, 200, -1};
    static const int busy[] = {100, 486, -1}, acked[] = {486, 0, -1};
    error_in(GOSIP__TXN_ICT, none, GOSIP__TXN_CALLING, "S:INVITE@0 E@100 X@100");
    error_in(GOSIP__TXN_ICT, p, GOSIP__TXN_PROCEEDING, "S:INVITE@0 D:100@10 E@100 X@100");
    error_in(GOSIP__TXN_ICT, ok, GOSIP__TXN_ACCEPTED, "S:INVITE@0 D:100@10 D:200@20 E@100 X@100");
    error_in(GOSIP__TXN_ICT, busy, GOSIP__TXN_COMPLETED,
             "S:INVITE@0 D:100@10 D:486@20 S:ACK@20 E@100 X@100");
    error_in(GOSIP__TXN_NICT, none, GOSIP__TXN_TRYING, "S:OPTIONS@0 E@100 X@100");
    error_in(GOSIP__TXN_NICT, p, GOSIP__TXN_PROCEEDING, "S:OPTIONS@0 D:100@10 E@100 X@100");
    error_in(GOSIP__TXN_NICT, ok, GOSIP__TXN_COMPLETED,
             "S:OPTIONS@0 D:100@10 D:200@20 E@100 X@100");
    error_in(GOSIP__TXN_IST, none, GOSIP__TXN_PROCEEDING, "D:INVITE@0 E@100 X@100");
    error_in(GOSIP__TXN_IST, ok, GOSIP__TXN_ACCEPTED, "D:INVITE@0 S:100@10 S:200@20 E@100 X@100");
    error_in(GOSIP__TXN_IST, busy, GOSIP__TXN_COMPLETED,
             "D:INVITE@0 S:100@10 S:486@20 E@100 X@100");
    error_in(GOSIP__TXN_IST, acked, GOSIP__TXN_CONFIRMED, "D:INVITE@0 S:486@10 E@100 X@100");
    error_in(GOSIP__TXN_NIST, none, GOSIP__TXN_TRYING, "D:OPTIONS@0 E@100 X@100");
    error_in(GOSIP__TXN_NIST, p, GOSIP__TXN_PROCEEDING, "D:OPTIONS@0 S:100@10 E@100 X@100");
    error_in(GOSIP__TXN_NIST, ok, GOSIP__TXN_COMPLETED,
             "D:OPTIONS@0 S:100@10 S:200@20 E@100 X@100");
}

/* A send that fails at once is a transport error (§17.1.4, §17.2.4). */
static void send_failures(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_ICT, 0, 0, 0, 0);
    r.send_rc = GOSIP_ERR_IO;
    start(&r, t, "INVITE");
    assert_int_equal(gosip__txn_next_expiry(t), GOSIP_TSTAMP_NONE);
    finish(&r, t, "S:INVITE@0 E@0 X@0");

    t = mk(&r, GOSIP__TXN_ICT, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    r.send_rc = GOSIP_ERR_IO; /* the ACK fails */
    assert_int_equal(feed_resp(&r, t, 100, 404), 0);
    finish(&r, t, "S:INVITE@0 D:404@100 S:ACK@100 E@100 X@100");

    t = mk(&r, GOSIP__TXN_IST, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    assert_int_equal(tu_send(&r, t, 0, 486), 0);
    r.send_rc = GOSIP_ERR_IO; /* a Timer G retransmission fails */
    run_to(&r, t, 60000);
    finish(&r, t, "D:INVITE@0 S:486@0 S:486@500 E@500 X@500");
}

/* ---------------------------------------------------------------- re-entrancy */

static void reentrancy(void **state)
{
    (void)state;
    rec r;
    /* deliver answers at once (the safe nested call); handle_expiry inside is refused */
    gosip__txn *t = mk(&r, GOSIP__TXN_IST, 0, 0, 0, 0);
    r.answer = 486;
    start(&r, t, "INVITE");
    assert_int_equal(r.nested_rc, GOSIP_ERR_RECURSIVE);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_COMPLETED);
    assert_int_equal(gosip__txn_next_expiry(t), GOSIP_MS(500));
    finish(&r, t, "D:INVITE@0 S:486@0");

    /* a reliable NIST answered from deliver terminates inside the start, freed in terminated */
    t = mk(&r, GOSIP__TXN_NIST, 1, 0, 0, 0);
    r.answer = 200;
    r.free_in_term = 1;
    start(&r, t, "OPTIONS");
    assert_null(r.t);
    assert_string_equal(r.log, "D:OPTIONS@0 S:200@0 X@0");

    /* freed from terminated after Timer B: the free is deferred past handle_expiry */
    t = mk(&r, GOSIP__TXN_ICT, 1, 0, 0, 0);
    r.free_in_term = 1;
    start(&r, t, "INVITE");
    assert_int_equal(gosip__txn_handle_expiry(t, GOSIP_SEC(32)), 0);
    assert_null(r.t);
    assert_string_equal(r.log, "S:INVITE@0 T:B@0 X@0");

    /* freed from deliver: the ACK and every later callback are skipped, no leak */
    t = mk(&r, GOSIP__TXN_ICT, 0, 0, 0, 0);
    start(&r, t, "INVITE");
    r.free_in_deliver = 1;
    gosip_msg *fin = resp(gosip__txn_request(t), 486);
    assert_int_equal(gosip__txn_client_on_response(t, fin, 0), 0);
    gosip_msg_unref(fin);
    assert_null(r.t);
    assert_string_equal(r.log, "S:INVITE@0 D:486@0");
}

/* Misuse is refused with the documented errors. */
static void misuse(void **state)
{
    (void)state;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_NICT, 0, 0, 0, 0);
    gosip_msg *inv = req("INVITE");
    assert_int_equal(gosip__txn_client_start(t, inv, 0), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__txn_server_start(t, inv, 0), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__txn_client_on_response(t, inv, 0), GOSIP_ERR_INVALID_ARG);
    gosip_msg *ok = resp(inv, 200);
    assert_int_equal(gosip__txn_client_on_response(t, ok, 0), GOSIP_ERR_STATE);
    assert_int_equal(gosip__txn_server_send_response(t, ok, 0), GOSIP_ERR_INVALID_ARG);
    gosip_msg_unref(ok);
    gosip_msg_unref(inv);
    assert_int_equal(gosip__txn_on_transport_error(t, -1, 0), GOSIP_ERR_STATE);
    gosip__txn_cfg bad = {GOSIP__TXN_ICT, 0, GOSIP_SEC(5), GOSIP_SEC(1), 0};
    gosip__txn *t2 = NULL;
    assert_int_equal(gosip__txn_new(&t2, tu_mem_tracked(), &bad, &ENV), GOSIP_ERR_INVALID_ARG);
    finish(&r, t, "");
}

/* ---------------------------------------------------------------- allocation failures */

static void alloc_failures(void **state)
{
    (void)state;
    /* the ACK cannot be built: the final still goes up, a retransmitted final retries */
    tu_failmem fm;
    rec r;
    gosip__txn *t = mk(&r, GOSIP__TXN_ICT, 0, 0, 0, 0);
    tu_failmem_init(&fm, -1);
    static const char inv_text[] = TU_REQ("INVITE", "");
    gosip_msg *inv;
    assert_int_equal(
        tu_parse_mem(inv_text, sizeof inv_text - 1, GOSIP_FRAMING_DATAGRAM, &fm.mem, &inv, NULL),
        0);
    assert_int_equal(gosip__txn_client_start(t, inv, 0), 0);
    gosip_msg *busy = resp(inv, 486);
    gosip_msg_unref(inv);
    fm.fail_at = fm.calls;
    r.now = GOSIP_MS(100);
    assert_int_equal(gosip__txn_client_on_response(t, busy, r.now), GOSIP_ERR_NOMEM);
    assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_COMPLETED);
    fm.fail_at = -1;
    r.now = GOSIP_MS(200);
    assert_int_equal(gosip__txn_client_on_response(t, busy, r.now), 0);
    gosip_msg_unref(busy);
    finish(&r, t, "S:INVITE@0 D:486@100 S:ACK@200");
}

/*
 * A whole ICT non-2xx exchange with allocation k failing, for every k the exchange makes:
 * each input either succeeds or reports NOMEM, and nothing leaks (cmocka's tracked heap).
 */
static void alloc_sweep(void **state)
{
    (void)state;
    static const char inv_text[] = TU_REQ("INVITE", "");
    for (long k = 0;; k++) {
        tu_failmem fm;
        tu_failmem_init(&fm, -1);
        gosip_msg *inv, *busy;
        assert_int_equal(tu_parse_mem(inv_text, sizeof inv_text - 1, GOSIP_FRAMING_DATAGRAM,
                                      &fm.mem, &inv, NULL),
                         0);
        busy = resp(inv, 486);
        fm.fail_at = fm.calls + k;
        rec r;
        memset(&r, 0, sizeof r);
        gosip__txn_env env = ENV;
        env.user_data = &r;
        gosip__txn_cfg cfg = {GOSIP__TXN_ICT, 0, 0, 0, 0};
        gosip__txn *t = NULL;
        int rc = gosip__txn_new(&t, &fm.mem, &cfg, &env);
        if (rc == 0) {
            assert_int_equal(gosip__txn_client_start(t, inv, 0), 0);
            for (int i = 0; i < 2; i++) {
                rc = gosip__txn_client_on_response(t, busy, GOSIP_MS(100));
                assert_true(rc == 0 || rc == GOSIP_ERR_NOMEM);
            }
            assert_int_equal(gosip__txn_state_of(t), GOSIP__TXN_COMPLETED);
            gosip__txn_free(t);
        } else {
            assert_int_equal(rc, GOSIP_ERR_NOMEM);
        }
        gosip_msg_unref(busy);
        gosip_msg_unref(inv);
        if (fm.failed == 0)
            break; /* the whole exchange ran without a refusal: every k is covered */
    }
}

/* ---------------------------------------------------------------- random sequences */

/* Invariants the callbacks check: nothing after terminated, terminated once. */
typedef struct fz {
    gosip__txn *t;
    int terms;
    int answer_in_deliver;
    int free_in_term;
    gosip_tstamp now;
    uint32_t rng;
} fz;

/* States each kind reached over all sequences, so the test proves it went somewhere. */
static unsigned fz_seen[4];

static uint32_t fz_rand(fz *f)
{
    /* xorshift32: deterministic, so a failing seed replays */
    uint32_t x = f->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return f->rng = x;
}

static int fz_send(gosip__txn *t, gosip_msg *m, void *ud)
{
    fz *f = ud;
    (void)t;
    (void)m;
    assert_int_equal(f->terms, 0);
    return fz_rand(f) % 16 == 0 ? GOSIP_ERR_IO : 0;
}

static void fz_deliver(gosip__txn *t, gosip_msg *m, void *ud)
{
    fz *f = ud;
    assert_int_equal(f->terms, 0);
    assert_int_equal(gosip__txn_handle_expiry(t, f->now), GOSIP_ERR_RECURSIVE);
    if (f->answer_in_deliver && gosip_msg_is_request(m) &&
        gosip_msg_method(m) != GOSIP_METHOD_ACK) {
        gosip_msg *resp;
        assert_int_equal(gosip_msg_new_response(&resp, m, 100 + (int)(fz_rand(f) % 6) * 100,
                                                GOSIP_STR_NULL, GOSIP_STR("t")),
                         0);
        int rc = gosip__txn_server_send_response(t, resp, f->now);
        assert_true(rc == 0 || rc == GOSIP_ERR_STATE);
        gosip_msg_unref(resp);
    }
}

static void fz_timeout(gosip__txn *t, char timer, void *ud)
{
    fz *f = ud;
    assert_int_equal(f->terms, 0);
    gosip__txn_kind k = gosip__txn_kind_of(t);
    assert_true(timer == (k == GOSIP__TXN_ICT ? 'B' : k == GOSIP__TXN_NICT ? 'F' : 'H'));
}

static void fz_error(gosip__txn *t, int err, void *ud)
{
    (void)t;
    assert_true(err < 0);
    assert_int_equal(((fz *)ud)->terms, 0);
}

static void fz_term(gosip__txn *t, void *ud)
{
    fz *f = ud;
    assert_int_equal(f->terms, 0);
    assert_int_equal(gosip__txn_next_expiry(t), GOSIP_TSTAMP_NONE);
    f->terms++;
    if (f->free_in_term) {
        gosip__txn_free(t);
        f->t = NULL;
    }
}

/* One random input; returns 0 once the transaction is gone. */
static int fz_step(fz *f, gosip_msg *const *resps, size_t nresp, gosip_msg *const *reqs)
{
    uint32_t op = fz_rand(f) % 8;
    if (op < 3) {
        f->now += (fz_rand(f) % 3 == 0) ? GOSIP_MS(fz_rand(f) % 40000) : 0;
        gosip_tstamp next = gosip__txn_next_expiry(f->t);
        if (op == 0 && next != GOSIP_TSTAMP_NONE && next > f->now)
            f->now = next;
        assert_int_equal(gosip__txn_handle_expiry(f->t, f->now), 0);
    } else if (op == 3) {
        (void)gosip__txn_client_on_response(f->t, resps[fz_rand(f) % nresp], f->now);
    } else if (op == 4) {
        (void)gosip__txn_server_on_request(f->t, reqs[fz_rand(f) % 2], f->now);
    } else if (op == 5 || op == 6) {
        (void)gosip__txn_server_send_response(f->t, resps[fz_rand(f) % nresp], f->now);
    } else if (fz_rand(f) % 4 == 0) {
        (void)gosip__txn_on_transport_error(f->t, GOSIP_ERR_CLOSED, f->now);
    }
    if (!f->t)
        return 0;
    fz_seen[gosip__txn_kind_of(f->t)] |= 1u << gosip__txn_state_of(f->t);
    gosip_tstamp next = gosip__txn_next_expiry(f->t);
    assert_true(next == GOSIP_TSTAMP_NONE || next > f->now); /* never in the past */
    assert_int_equal(gosip__txn_state_of(f->t) == GOSIP__TXN_TERMINATED, f->terms == 1);
    return 1;
}

static void fz_one(uint32_t seed, gosip_msg *inv, gosip_msg *opt, gosip_msg *ack)
{
    static const int statuses[] = {100, 180, 200, 202, 302, 404, 486, 603};
    fz f;
    memset(&f, 0, sizeof f);
    f.rng = seed ? seed : 1;
    gosip__txn_kind kind = (gosip__txn_kind)(fz_rand(&f) % 4);
    int invite = kind == GOSIP__TXN_ICT || kind == GOSIP__TXN_IST;
    gosip_msg *rq = invite ? inv : opt;
    gosip_msg *resps[8];
    for (size_t i = 0; i < 8; i++)
        resps[i] = resp(rq, statuses[i]);
    gosip_msg *reqs[2] = {rq, ack};
    gosip__txn_env env = {&f, fz_send, fz_deliver, fz_timeout, fz_error, fz_term};
    gosip__txn_cfg cfg = {kind, (int)(fz_rand(&f) % 2), GOSIP_MS(fz_rand(&f) % 3 * 250), 0, 0};
    f.answer_in_deliver = (int)(fz_rand(&f) % 2);
    f.free_in_term = (int)(fz_rand(&f) % 2);
    assert_int_equal(gosip__txn_new(&f.t, tu_mem_tracked(), &cfg, &env), 0);
    int rc = kind <= GOSIP__TXN_NICT ? gosip__txn_client_start(f.t, rq, 0)
                                     : gosip__txn_server_start(f.t, rq, 0);
    assert_int_equal(rc, 0);
    for (int i = 0; i < 60 && f.t && fz_step(&f, resps, 8, reqs); i++) {
    }
    if (f.t)
        gosip__txn_free(f.t);
    assert_true(f.terms <= 1);
    for (size_t i = 0; i < 8; i++)
        gosip_msg_unref(resps[i]);
}

static void random_sequences(void **state)
{
    (void)state;
    gosip_msg *inv = req("INVITE"), *opt = req("OPTIONS"), *ack = req("ACK");
    for (uint32_t seed = 1; seed <= 3000; seed++)
        fz_one(seed * 2654435761u, inv, opt, ack);
#define B(s) (1u << GOSIP__TXN_##s)
    assert_int_equal(fz_seen[GOSIP__TXN_ICT],
                     B(CALLING) | B(PROCEEDING) | B(COMPLETED) | B(ACCEPTED) | B(TERMINATED));
    assert_int_equal(fz_seen[GOSIP__TXN_NICT],
                     B(TRYING) | B(PROCEEDING) | B(COMPLETED) | B(TERMINATED));
    assert_int_equal(fz_seen[GOSIP__TXN_IST],
                     B(PROCEEDING) | B(COMPLETED) | B(CONFIRMED) | B(ACCEPTED) | B(TERMINATED));
    assert_int_equal(fz_seen[GOSIP__TXN_NIST],
                     B(TRYING) | B(PROCEEDING) | B(COMPLETED) | B(TERMINATED));
#undef B
    gosip_msg_unref(inv);
    gosip_msg_unref(opt);
    gosip_msg_unref(ack);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ict_udp_timeout),
        cmocka_unit_test(ict_tcp_timeout),
        cmocka_unit_test(ict_1xx_then_non2xx_udp),
        cmocka_unit_test(ict_non2xx_tcp),
        cmocka_unit_test(ict_2xx_accepted),
        cmocka_unit_test(nict_udp_timeout),
        cmocka_unit_test(nict_proceeding_udp),
        cmocka_unit_test(nict_tcp),
        cmocka_unit_test(nict_custom_timers),
        cmocka_unit_test(ist_non2xx_udp),
        cmocka_unit_test(ist_timer_h),
        cmocka_unit_test(ist_tcp),
        cmocka_unit_test(ist_2xx_accepted),
        cmocka_unit_test(nist_udp),
        cmocka_unit_test(nist_tcp),
        cmocka_unit_test(transport_errors),
        cmocka_unit_test(send_failures),
        cmocka_unit_test(reentrancy),
        cmocka_unit_test(misuse),
        cmocka_unit_test(alloc_failures),
        cmocka_unit_test(alloc_sweep),
        cmocka_unit_test(random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
