/*
 * Helpers for the libuv runtime tests (tests/uv_*_test.c): a loop per test with a
 * wall-clock guard so no test can hang, runtimes that record what they receive, raw
 * libuv peers (TCP client, UDP socket) for byte-level control, and the end-of-test
 * checks: every runtime closed, no handle left on the loop (uv_walk), loop closed.
 *
 * Header-only (static inline) so that gosip_testsupport, linked into every test, never
 * needs libuv. Loopback only, ephemeral ports only, so the tests run in parallel.
 */
#ifndef GOSIP_TESTS_UV_TESTUTIL_H
#define GOSIP_TESTS_UV_TESTUTIL_H

#include "testutil.h"

#include <gosip/uv.h>

/* ---------------------------------------------------------------- loop with a guard */

typedef struct tuv_loop {
    uv_loop_t loop;
    uv_timer_t guard;
    int timed_out;
} tuv_loop;

static inline void tuv_on_guard(uv_timer_t *t)
{
    tuv_loop *L = t->data;
    L->timed_out = 1;
    uv_stop(&L->loop);
}

/* guard_ms: the longest the whole test may run on the loop (generous: a hang, not a slow
 * machine or valgrind, must trip it; CTest kills a test after 120 s). */
static inline void tuv_loop_init(tuv_loop *L, uint64_t guard_ms)
{
    memset(L, 0, sizeof *L);
    assert_int_equal(uv_loop_init(&L->loop), 0);
    uv_timer_init(&L->loop, &L->guard);
    L->guard.data = L;
    uv_timer_start(&L->guard, tuv_on_guard, guard_ms, 0);
    uv_unref((uv_handle_t *)&L->guard); /* never what keeps the loop alive */
}

/* Runs the loop until pred(arg) holds; fails the test when the guard fires first or the
 * loop runs out of work. */
static inline void tuv_run_until(tuv_loop *L, int (*pred)(void *), void *arg)
{
    while (!pred(arg)) {
        assert_false(L->timed_out);
        if (uv_run(&L->loop, UV_RUN_ONCE) == 0 && !pred(arg)) {
            /* Nothing keeps the loop alive: let unref'd timers (the guard) tick. */
            uv_run(&L->loop, UV_RUN_NOWAIT);
            assert_false(L->timed_out);
        }
    }
}

/* Runs the loop for ms milliseconds of wall-clock time. */
static inline void tuv_on_sleep(uv_timer_t *t)
{
    *(int *)t->data = 1;
}
static inline int tuv_flag(void *p)
{
    return *(int *)p != 0;
}
static inline void tuv_run_for(tuv_loop *L, uint64_t ms)
{
    uv_timer_t t;
    int done = 0;
    uv_timer_init(&L->loop, &t);
    t.data = &done;
    uv_timer_start(&t, tuv_on_sleep, ms, 0);
    tuv_run_until(L, tuv_flag, &done);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&L->loop, UV_RUN_NOWAIT);
}

static inline void tuv_walk_cb(uv_handle_t *h, void *arg)
{
    if (h == (uv_handle_t *)arg || uv_is_closing(h))
        return;
    fprintf(stderr, "handle left open: %s\n", uv_handle_type_name(h->type));
    fail_msg("a libuv handle was left open");
}

/* End of test: only the guard may remain; then the loop must close cleanly. */
static inline void tuv_loop_finish(tuv_loop *L)
{
    uv_run(&L->loop, UV_RUN_NOWAIT);
    uv_walk(&L->loop, tuv_walk_cb, &L->guard);
    uv_close((uv_handle_t *)&L->guard, NULL);
    uv_run(&L->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&L->loop), 0);
}

/* ---------------------------------------------------------------- a recording runtime */

#define TUV_MAX_MSGS 128
#define TUV_MAX_ERRS 64

typedef struct tuv_node {
    gosip_uv *uv;
    gosip_transport *tp;
    gosip_msg *msgs[TUV_MAX_MSGS];
    gosip_rx_info rx[TUV_MAX_MSGS];
    int nmsgs;
    gosip_tp_error errs[TUV_MAX_ERRS];
    int nerrs;
    int closed;
    int auto_respond;            /* answer every request with 200 over gosip_tp_send_response */
    int close_in_callback;       /* gosip_uv_close from inside on_message (close safety) */
    gosip_lp *unlisten_on_error; /* removed from inside the first on_error */
} tuv_node;

static inline void tuv_on_node_closed(gosip_uv *uv, void *ud)
{
    (void)uv;
    ((tuv_node *)ud)->closed = 1;
}

static inline void tuv_on_message(gosip_transport *tp, gosip_msg *msg, const gosip_rx_info *rx,
                                  void *ud)
{
    tuv_node *n = ud;
    if (n->auto_respond && gosip_msg_is_request(msg)) {
        gosip_msg *resp;
        assert_int_equal(gosip_msg_new_response(&resp, msg, 200, GOSIP_STR_NULL, GOSIP_STR("t1")),
                         0);
        assert_int_equal(gosip_tp_send_response(tp, resp, rx, uv_hrtime()), 0);
        gosip_msg_unref(resp);
    }
    if (n->nmsgs < TUV_MAX_MSGS) {
        n->rx[n->nmsgs] = *rx;
        n->msgs[n->nmsgs++] = gosip_msg_ref(msg);
    }
    if (n->close_in_callback) {
        n->close_in_callback = 0;
        gosip_uv_close(n->uv, tuv_on_node_closed, n);
    }
}

static inline void tuv_on_error(gosip_transport *tp, const gosip_tp_error *err, void *ud)
{
    (void)tp;
    tuv_node *n = ud;
    if (n->nerrs < TUV_MAX_ERRS) {
        n->errs[n->nerrs] = *err;
        n->errs[n->nerrs++].conn = NULL; /* not valid after the callback */
    }
    if (n->unlisten_on_error) {
        assert_int_equal(gosip_uv_unlisten(n->uv, n->unlisten_on_error), 0);
        n->unlisten_on_error = NULL;
    }
}

static inline void tuv_node_new(tuv_node *n, tuv_loop *L, const gosip_uv_config *cfg)
{
    memset(n, 0, sizeof *n);
    static const gosip_tp_callbacks cb = {tuv_on_message, tuv_on_error};
    assert_int_equal(gosip_uv_new(&n->uv, &L->loop, cfg, &cb, n), 0);
    n->tp = gosip_uv_transport(n->uv);
}

static inline int tuv_node_is_closed(void *p)
{
    return ((tuv_node *)p)->closed;
}

static inline void tuv_node_close(tuv_node *n, tuv_loop *L)
{
    if (!n->closed)
        gosip_uv_close(n->uv, tuv_on_node_closed, n);
    tuv_run_until(L, tuv_node_is_closed, n);
    for (int i = 0; i < n->nmsgs; i++)
        gosip_msg_unref(n->msgs[i]);
    n->nmsgs = 0;
}

/* Counters for tuv_run_until. */
typedef struct tuv_want {
    const int *count;
    int at_least;
} tuv_want;
static inline int tuv_want_met(void *p)
{
    const tuv_want *w = p;
    return *w->count >= w->at_least;
}
static inline void tuv_wait_count(tuv_loop *L, const int *count, int at_least)
{
    tuv_want w = {count, at_least};
    tuv_run_until(L, tuv_want_met, &w);
}

/* ---------------------------------------------------------------- messages */

/* A request with a placeholder Via: the transport writes transport, sent-by and rport. */
static inline gosip_msg *tuv_request(const char *method, const char *branch, size_t body_len)
{
    char *body = calloc(1, body_len + 1);
    assert_non_null(body);
    memset(body, 'x', body_len);
    char *text = malloc(body_len + 1024);
    assert_non_null(text);
    int n = snprintf(text, body_len + 1024,
                     "%s sip:bob@example.test SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP placeholder.invalid;branch=z9hG4bK%s\r\n"
                     "Max-Forwards: 70\r\n"
                     "To: <sip:bob@example.test>\r\n"
                     "From: <sip:alice@example.test>;tag=a1\r\n"
                     "Call-ID: %s@example.test\r\n"
                     "CSeq: 1 %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, branch, branch, method, body_len, body);
    gosip_msg *m;
    assert_int_equal(gosip_msg_parse(&m, text, (size_t)n, NULL, NULL), 0);
    free(text);
    free(body);
    return m;
}

/* Raw request text for raw peers: Via names the peer's own address. */
static inline size_t tuv_raw_request(char *buf, size_t cap, const char *tp, const char *branch,
                                     size_t body_len)
{
    int n = snprintf(buf, cap,
                     "OPTIONS sip:bob@example.test SIP/2.0\r\n"
                     "Via: SIP/2.0/%s 127.0.0.1:9;rport;branch=z9hG4bK%s\r\n"
                     "Max-Forwards: 70\r\n"
                     "To: <sip:bob@example.test>\r\n"
                     "From: <sip:alice@example.test>;tag=a1\r\n"
                     "Call-ID: %s@example.test\r\n"
                     "CSeq: 1 OPTIONS\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     tp, branch, branch, body_len);
    assert_true(n > 0 && (size_t)n + body_len < cap);
    memset(buf + n, 'y', body_len);
    return (size_t)n + body_len;
}

static inline gosip_target tuv_target(gosip_tp_kind kind, const gosip_lp *lp)
{
    gosip_target t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.addr = *gosip_lp_addr(lp);
    return t;
}

/* A loopback port that refuses connections and that no parallel test can take: a TCP
 * socket bound but not listening, held open for the test's duration. */
static inline int tuv_refusing_port(gosip_addr *out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    assert_int_equal(gosip_addr_from_str(out, GOSIP_STR("127.0.0.1"), ntohs(sin.sin_port)), 0);
    return fd;
}

/* ---------------------------------------------------------------- a raw TCP peer */

typedef struct tuv_raw {
    uv_tcp_t tcp;
    uv_connect_t creq;
    int connected; /* 1 connected, <0 error */
    int eof;       /* the other side closed (or reset) */
    int closed;
    char rx[8192];
    size_t rxlen;
} tuv_raw;

static inline void tuv_raw_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)s;
    tuv_raw *r = h->data;
    size_t room = sizeof r->rx - r->rxlen;
    *b = uv_buf_init(r->rx + r->rxlen, (unsigned)(room ? room : 1));
}

static inline void tuv_raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    tuv_raw *r = s->data;
    if (n > 0 && r->rxlen + (size_t)n <= sizeof r->rx)
        r->rxlen += (size_t)n;
    else if (n < 0)
        r->eof = 1;
}

static inline void tuv_raw_connected(uv_connect_t *req, int status)
{
    tuv_raw *r = req->data;
    r->connected = status == 0 ? 1 : (status < 0 ? status : -1);
    if (status == 0)
        uv_read_start((uv_stream_t *)&r->tcp, tuv_raw_alloc, tuv_raw_read);
}

static inline int tuv_raw_done_connecting(void *p)
{
    return ((tuv_raw *)p)->connected != 0;
}

/* Connects to lp's address; returns 1 when connected, or the libuv error. */
static inline int tuv_raw_connect(tuv_raw *r, tuv_loop *L, const gosip_addr *to)
{
    memset(r, 0, sizeof *r);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (to->family == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(to->port);
        memcpy(&s4->sin_addr, to->ip, 4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(to->port);
        memcpy(&s6->sin6_addr, to->ip, 16);
    }
    uv_tcp_init(&L->loop, &r->tcp);
    r->tcp.data = r;
    r->creq.data = r;
    assert_int_equal(uv_tcp_connect(&r->creq, &r->tcp, (struct sockaddr *)&ss, tuv_raw_connected),
                     0);
    tuv_run_until(L, tuv_raw_done_connecting, r);
    return r->connected;
}

static inline void tuv_raw_write(tuv_raw *r, const void *p, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
    int rc = uv_try_write((uv_stream_t *)&r->tcp, &b, 1);
    assert_int_equal(rc, (int)n);
}

static inline void tuv_raw_on_close(uv_handle_t *h)
{
    ((tuv_raw *)h->data)->closed = 1;
}

static inline int tuv_raw_is_closed(void *p)
{
    return ((tuv_raw *)p)->closed;
}

static inline void tuv_raw_close(tuv_raw *r, tuv_loop *L)
{
    if (!uv_is_closing((uv_handle_t *)&r->tcp))
        uv_close((uv_handle_t *)&r->tcp, tuv_raw_on_close);
    tuv_run_until(L, tuv_raw_is_closed, r);
}

static inline int tuv_raw_got_eof(void *p)
{
    return ((tuv_raw *)p)->eof;
}

/* Counts occurrences of needle in the raw peer's received bytes. */
static inline int tuv_raw_count(const tuv_raw *r, const char *needle)
{
    int n = 0;
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= r->rxlen; i++)
        if (memcmp(r->rx + i, needle, k) == 0)
            n++;
    return n;
}

#endif
