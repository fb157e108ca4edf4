/*
 * The libuv runtime driving whole stacks (gosip_uv_new_stack): two stacks on one loop
 * over loopback complete an OPTIONS client and server transaction over UDP and TCP, with
 * the stack's timers and output run by the runtime; a Request-URI naming a host goes
 * through the runtime's resolver (c-ares against a dnsmasq this test starts, since the
 * sandbox's resolver cannot be relied on); closing the runtime while a transaction waits
 * on a lookup or a response leaves the stack to end it with GOSIP_ERR_DESTROYED.
 */
#define _DEFAULT_SOURCE /* <uv.h> needs POSIX types hidden by -std=c11 */
#define _POSIX_C_SOURCE 200809L
#include "uv_testutil.h"

#include "tu_dnsmasq.h"

#include <unistd.h>

/* ---------------------------------------------------------------- dnsmasq */

/* "localhost" has an A record only: an AAAA answer would add an IPv6 target the IPv4-only
 * stacks cannot use. */
static const char *const zone_args[] = {"--host-record=localhost,127.0.0.1"};

static int dns_start(void)
{
    return dns_start_zone("--local=/localhost/", zone_args, 1, "localhost");
}

/* ---------------------------------------------------------------- a stack on the loop */

typedef struct peer {
    gosip_stack *stack;
    gosip_uv *uv;
    gosip_lp *udp, *tcp;
    int answer; /* on_request answers 200 statefully */
    int requests, responses, last_status;
    int io_errors, last_io_code;
    int terminated, last_term_reason;
    int closed;
} peer;

static void on_request(gosip_provider *p, const gosip_request_event *ev, void *ud)
{
    peer *x = ud;
    x->requests++;
    if (!x->answer || ev->txn)
        return;
    gosip_txn *t;
    assert_int_equal(gosip_provider_new_server_txn(p, ev->msg, &t), 0);
    gosip_msg *resp;
    assert_int_equal(gosip_msg_new_response(&resp, ev->msg, 200, GOSIP_STR_NULL, GOSIP_STR("b1")),
                     0);
    assert_int_equal(gosip_txn_send_response(t, resp, ev->now), 0);
    gosip_msg_unref(resp);
    gosip_txn_unref(t);
}

static void on_response(gosip_provider *p, const gosip_response_event *ev, void *ud)
{
    (void)p;
    peer *x = ud;
    x->responses++;
    x->last_status = gosip_msg_status(ev->msg);
}

static void on_io_error(gosip_provider *p, const gosip_io_error_event *ev, void *ud)
{
    (void)p;
    peer *x = ud;
    x->io_errors++;
    x->last_io_code = ev->code;
}

static void on_terminated(gosip_provider *p, const gosip_txn_terminated_event *ev, void *ud)
{
    (void)p;
    peer *x = ud;
    if (gosip_txn_is_client(ev->txn)) {
        x->terminated++;
        x->last_term_reason = ev->reason;
    }
}

/* dns: the DNS servers for the runtime's resolver, NULL for the system's. */
static void peer_new(peer *x, tuv_loop *L, const char *dns)
{
    memset(x, 0, sizeof *x);
    gosip_config cfg;
    gosip_config_default(&cfg);
    cfg.mem = tu_mem_tracked();
    cfg.t4 = GOSIP_MS(50); /* Timer K: the client transaction ends soon after its 200 */
    static const gosip_listener lis = {.on_request = on_request,
                                       .on_response = on_response,
                                       .on_io_error = on_io_error,
                                       .on_transaction_terminated = on_terminated};
    assert_int_equal(gosip_stack_new(&x->stack, &cfg, &lis, x), 0);
    gosip_uv_config ucfg;
    gosip_uv_config_default(&ucfg);
    ucfg.tp.mem = tu_mem_tracked();
    ucfg.dns_servers = dns;
    assert_int_equal(gosip_uv_new_stack(&x->uv, &L->loop, &ucfg, x->stack), 0);
    assert_ptr_equal(gosip_uv_transport(x->uv), gosip_stack_transport(x->stack));
    assert_int_equal(gosip_uv_listen(x->uv, GOSIP_TP_UDP, "127.0.0.1", 0, &x->udp), 0);
    assert_int_equal(gosip_uv_listen(x->uv, GOSIP_TP_TCP, "127.0.0.1", 0, &x->tcp), 0);
    assert_int_not_equal(gosip_lp_addr(x->udp)->port, 0);
}

/* The application frees the stack from close_cb: the runtime has handed it back. */
static void on_peer_closed(gosip_uv *uv, void *ud)
{
    (void)uv;
    peer *x = ud;
    gosip_stack_free(x->stack);
    x->stack = NULL;
    x->closed = 1;
}

static int peer_is_closed(void *p)
{
    return ((peer *)p)->closed;
}

static void peer_close(peer *x, tuv_loop *L)
{
    gosip_uv_close(x->uv, on_peer_closed, x);
    tuv_run_until(L, peer_is_closed, x);
}

/* Starts an OPTIONS client transaction from a to uri; the stack keeps the only reference. */
static void send_options_to(peer *a, const char *uri)
{
    gosip_request_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.method = GOSIP_METHOD_OPTIONS;
    spec.request_uri = gosip_str_from_cstr(uri);
    spec.from = GOSIP_STR("<sip:a@127.0.0.1>");
    spec.to = GOSIP_STR("<sip:b@127.0.0.1>");
    spec.via_host = GOSIP_STR("127.0.0.1");
    spec.max_forwards = -1;
    gosip_msg *req;
    assert_int_equal(gosip_msg_new_request(&req, tu_mem_tracked(), &spec), 0);
    gosip_txn *t;
    assert_int_equal(gosip_provider_new_client_txn(gosip_stack_provider(a->stack), req, &t), 0);
    gosip_msg_unref(req);
    assert_int_equal(gosip_txn_send_request(t, uv_hrtime()), 0);
    gosip_txn_unref(t);
}

/* To B's point of kind, under the name host. */
static void send_options(peer *a, const char *host, const peer *b, gosip_tp_kind kind)
{
    char uri[128];
    snprintf(uri, sizeof uri, "sip:%s:%u%s", host,
             gosip_lp_addr(kind == GOSIP_TP_UDP ? b->udp : b->tcp)->port,
             kind == GOSIP_TP_TCP ? ";transport=tcp" : "");
    send_options_to(a, uri);
}

/* ---------------------------------------------------------------- exchanges */

/* The Request-URI is sip:<host>:<B's port of the kind>, with ;transport=tcp for TCP. */
static void run_exchange(gosip_tp_kind kind, const char *host, const char *dns)
{
    tuv_loop L;
    tuv_loop_init(&L, 30000);
    peer a, b;
    peer_new(&a, &L, dns);
    peer_new(&b, &L, NULL);
    b.answer = 1;
    send_options(&a, host, &b, kind);
    tuv_wait_count(&L, &a.terminated, 1);
    assert_int_equal(b.requests, 1);
    assert_int_equal(a.responses, 1);
    assert_int_equal(a.last_status, 200);
    assert_int_equal(a.io_errors, 0);
    assert_int_equal(a.last_term_reason, 0);
    peer_close(&a, &L);
    peer_close(&b, &L);
    tuv_loop_finish(&L);
}

static void options_udp(void **state)
{
    (void)state;
    run_exchange(GOSIP_TP_UDP, "127.0.0.1", NULL);
}

static void options_tcp(void **state)
{
    (void)state;
    run_exchange(GOSIP_TP_TCP, "127.0.0.1", NULL);
}

/* The host is a name: the stack asks the runtime's resolver (c-ares, here against
 * dnsmasq serving localhost's A record). */
static void options_localhost_dnsmasq(void **state)
{
    (void)state;
    if (dns_pid <= 0)
        skip(); /* no dnsmasq binary */
    run_exchange(GOSIP_TP_UDP, "localhost", dns_servers);
    run_exchange(GOSIP_TP_TCP, "localhost", dns_servers);
}

/* ---------------------------------------------------------------- close while pending */

static void expect_destroyed(const peer *a)
{
    assert_int_equal(a->io_errors, 1);
    assert_int_equal(a->last_io_code, GOSIP_ERR_DESTROYED);
    assert_int_equal(a->terminated, 1);
    assert_int_equal(a->last_term_reason, GOSIP_ERR_DESTROYED);
    assert_int_equal(a->responses, 0);
}

/* A DNS server that never answers (a bound socket nobody reads) keeps the lookup pending
 * until the runtime closes; its answer must then never reach the freed stack. */
static void close_during_resolution(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 30000);
    uv_udp_t silent;
    assert_int_equal(uv_udp_init(&L.loop, &silent), 0);
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_udp_bind(&silent, (const struct sockaddr *)&sa, 0), 0);
    int len = sizeof sa;
    uv_udp_getsockname(&silent, (struct sockaddr *)&sa, &len);
    char dns[32];
    snprintf(dns, sizeof dns, "127.0.0.1:%u", ntohs(sa.sin_port));
    peer a;
    peer_new(&a, &L, dns);
    send_options_to(&a, "sip:pending.test:5060");
    tuv_run_for(&L, 50);
    assert_int_equal(a.io_errors, 0);
    assert_int_equal(a.terminated, 0);
    peer_close(&a, &L);
    expect_destroyed(&a);
    uv_close((uv_handle_t *)&silent, NULL);
    tuv_loop_finish(&L);
}

/* B receives the request and never answers: A's transaction waits on a response (its
 * retransmission timer armed) when its runtime closes. */
static void close_during_response_wait(gosip_tp_kind kind)
{
    tuv_loop L;
    tuv_loop_init(&L, 30000);
    peer a, b;
    peer_new(&a, &L, NULL);
    peer_new(&b, &L, NULL);
    send_options(&a, "127.0.0.1", &b, kind);
    tuv_wait_count(&L, &b.requests, 1);
    assert_int_equal(a.io_errors, 0);
    peer_close(&a, &L);
    expect_destroyed(&a);
    peer_close(&b, &L);
    tuv_loop_finish(&L);
}

static void close_waiting_response_udp(void **state)
{
    (void)state;
    close_during_response_wait(GOSIP_TP_UDP);
}

static void close_waiting_response_tcp(void **state)
{
    (void)state;
    close_during_response_wait(GOSIP_TP_TCP);
}

/* ---------------------------------------------------------------- arguments */

/* A TCP peer that refuses the connection: every transaction waiting on it gets the error
 * once (17.1.4), more of them than one batch of the stack's error scan, and each ends. */
static void refused_connection_fails_every_waiting_transaction(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 30000);
    peer a;
    peer_new(&a, &L, NULL);
    gosip_addr dead;
    int holder = tuv_refusing_port(&dead);
    char uri[64];
    snprintf(uri, sizeof uri, "sip:127.0.0.1:%u;transport=tcp", dead.port);
    enum { N = 150 };
    for (int i = 0; i < N; i++)
        send_options_to(&a, uri);
    tuv_wait_count(&L, &a.terminated, N);
    assert_int_equal(a.io_errors, N);
    assert_int_equal(a.last_io_code, GOSIP_ERR_IO);
    assert_int_equal(a.responses, 0);
    assert_int_equal(gosip_stack_stats_get(a.stack)->txns_live, 0);
    close(holder);
    peer_close(&a, &L);
    tuv_loop_finish(&L);
}

static void one_runtime_per_stack(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 30000);
    peer a;
    peer_new(&a, &L, NULL);
    gosip_uv *second = NULL;
    assert_int_equal(gosip_uv_new_stack(&second, &L.loop, NULL, a.stack), GOSIP_ERR_STATE);
    assert_null(second);
    assert_int_equal(gosip_uv_new_stack(&second, &L.loop, NULL, NULL), GOSIP_ERR_INVALID_ARG);
    peer_close(&a, &L);
    tuv_loop_finish(&L);
}

static int group_setup(void **state)
{
    (void)state;
    atexit(dns_stop);
    if (!dnsmasq_path())
        fprintf(stderr, "uv_stack: no dnsmasq binary: the localhost test is skipped\n");
    else if (dns_start() != 0)
        fprintf(stderr, "uv_stack: dnsmasq did not start: the localhost test is skipped\n");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    dns_stop();
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_udp),
        cmocka_unit_test(options_tcp),
        cmocka_unit_test(options_localhost_dnsmasq),
        cmocka_unit_test(close_during_resolution),
        cmocka_unit_test(close_waiting_response_udp),
        cmocka_unit_test(close_waiting_response_tcp),
        cmocka_unit_test(refused_connection_fails_every_waiting_transaction),
        cmocka_unit_test(one_runtime_per_stack),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
