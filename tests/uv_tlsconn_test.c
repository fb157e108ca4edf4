/*
 * TLS connections of the libuv runtime on loopback, with a CA and a server certificate
 * the test creates with the `openssl` command in a temporary directory: a request and its
 * response over TLS (IPv4 and IPv6), a server certificate that does not match the host
 * name (refused: GOSIP_ERR_TLS with the peer address), a client that never starts the
 * handshake and a server that never answers it (tls_handshake_timeout), and a client that
 * speaks plaintext to a TLS point.
 */
#define _DEFAULT_SOURCE /* <uv.h> needs POSIX types hidden by -std=c11; mkdtemp */
#include "uv_testutil.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/gosip-uv-tls-XXXXXX";
static char ca_file[128], cert_file[128], key_file[128];

static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* CA, then a server certificate for sip.test, 127.0.0.1 and ::1 signed by it (EC keys:
 * fast to make). */
static int make_certs(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(ca_file, sizeof ca_file, "%s/ca.pem", dir);
    snprintf(cert_file, sizeof cert_file, "%s/srv.pem", dir);
    snprintf(key_file, sizeof key_file, "%s/srv.key", dir);
    int rc = sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                "-nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=GoSIP Test CA' "
                "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign "
                ">/dev/null 2>&1",
                dir);
    if (rc == 0)
        rc = sh("cd %s && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-keyout srv.key -out srv.csr -subj '/CN=sip.test' >/dev/null 2>&1 && "
                "printf 'subjectAltName=DNS:sip.test,IP:127.0.0.1,IP:::1\\n"
                "extendedKeyUsage=serverAuth,clientAuth\\n' > ext.cnf && "
                "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                "-out srv.pem -days 2 -extfile ext.cnf >/dev/null 2>&1",
                dir);
    if (rc != 0)
        fprintf(stderr, "openssl failed to create the test certificates in %s\n", dir);
    return rc == 0 ? 0 : -1;
}

static int remove_certs(void **state)
{
    (void)state;
    return sh("rm -rf %s", dir) == 0 ? 0 : -1;
}

static void tls_config(gosip_uv_config *cfg)
{
    gosip_uv_config_default(cfg);
    cfg->tls_cert_file = cert_file;
    cfg->tls_key_file = key_file;
    cfg->tls_ca_file = ca_file;
}

typedef struct pair {
    tuv_loop L;
    tuv_node a, b;
    gosip_lp *alp, *blp;
} pair;

static void pair_open(pair *p, const char *host, const gosip_uv_config *acfg)
{
    gosip_uv_config cfg;
    tls_config(&cfg);
    tuv_loop_init(&p->L, 60000);
    tuv_node_new(&p->a, &p->L, acfg ? acfg : &cfg);
    tuv_node_new(&p->b, &p->L, &cfg);
    p->a.auto_respond = 1;
    assert_int_equal(gosip_uv_listen(p->a.uv, GOSIP_TP_TLS, host, 0, &p->alp), 0);
    assert_int_equal(gosip_uv_listen(p->b.uv, GOSIP_TP_TLS, host, 0, &p->blp), 0);
}

static void pair_close(pair *p)
{
    tuv_node_close(&p->a, &p->L);
    tuv_node_close(&p->b, &p->L);
    tuv_loop_finish(&p->L);
}

static void send_tls(pair *p, const char *tls_host, const char *branch)
{
    gosip_msg *req = tuv_request("OPTIONS", branch, 50);
    gosip_target t = tuv_target(GOSIP_TP_TLS, p->alp);
    t.host = gosip_str_from_cstr(tls_host);
    gosip_tp_kind used;
    assert_int_equal(gosip_tp_send_request(p->b.tp, req, &t, uv_hrtime(), &used), 0);
    assert_int_equal(used, GOSIP_TP_TLS);
    gosip_msg_unref(req);
}

static void exchange_over_tls(const char *host)
{
    pair p;
    pair_open(&p, host, NULL);
    send_tls(&p, "sip.test", "tls1");
    tuv_wait_count(&p.L, &p.a.nmsgs, 1);
    tuv_wait_count(&p.L, &p.b.nmsgs, 1);
    assert_int_equal(p.a.rx[0].kind, GOSIP_TP_TLS);
    assert_int_equal(gosip_msg_body(p.a.msgs[0]).n, 50);
    assert_int_equal(gosip_msg_status(p.b.msgs[0]), 200);
    assert_int_equal(p.b.rx[0].kind, GOSIP_TP_TLS);
    /* The second request reuses the connection (same source address and port). */
    send_tls(&p, "sip.test", "tls2");
    tuv_wait_count(&p.L, &p.b.nmsgs, 2);
    assert_true(gosip_addr_equal(&p.a.rx[0].peer, &p.a.rx[1].peer));
    assert_int_equal(p.a.nerrs, 0);
    assert_int_equal(p.b.nerrs, 0);
    pair_close(&p);
}

static void tls_v4(void **state)
{
    (void)state;
    exchange_over_tls("127.0.0.1");
}

static void tls_v6(void **state)
{
    (void)state;
    exchange_over_tls("::1");
}

/* The server's certificate names sip.test: asking for wrong.test must fail the
 * handshake on the client, with GOSIP_ERR_TLS and the server's address. */
static void tls_wrong_host_refused(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "127.0.0.1", NULL);
    send_tls(&p, "wrong.test", "wrong1");
    tuv_wait_count(&p.L, &p.b.nerrs, 1);
    assert_int_equal(p.b.errs[0].code, GOSIP_ERR_TLS);
    assert_int_equal(p.b.errs[0].kind, GOSIP_TP_TLS);
    assert_true(gosip_addr_equal(&p.b.errs[0].peer, gosip_lp_addr(p.alp)));
    assert_non_null(p.b.errs[0].reason);
    tuv_run_for(&p.L, 30);
    assert_int_equal(p.a.nmsgs, 0);
    assert_int_equal(p.b.nmsgs, 0);
    /* The right name still works afterwards. */
    send_tls(&p, "sip.test", "right1");
    tuv_wait_count(&p.L, &p.b.nmsgs, 1);
    pair_close(&p);
}

/* A client that connects and never sends a ClientHello is closed after
 * tls_handshake_timeout; one that speaks plaintext SIP fails the handshake. */
static void tls_inbound_timeout_and_garbage(void **state)
{
    (void)state;
    gosip_uv_config acfg;
    tls_config(&acfg);
    acfg.tls_handshake_timeout = GOSIP_MS(150);
    pair p;
    pair_open(&p, "127.0.0.1", &acfg);
    gosip_addr at = *gosip_lp_addr(p.alp);
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &p.L, &at), 1);
    uint64_t t0 = uv_hrtime();
    tuv_run_until(&p.L, tuv_raw_got_eof, &r);
    assert_true(uv_hrtime() - t0 >= GOSIP_MS(140));
    tuv_wait_count(&p.L, &p.a.nerrs, 1);
    assert_int_equal(p.a.errs[0].code, GOSIP_ERR_TIMEOUT);
    assert_int_equal(p.a.errs[0].kind, GOSIP_TP_TLS);
    tuv_raw_close(&r, &p.L);

    tuv_raw g;
    assert_int_equal(tuv_raw_connect(&g, &p.L, &at), 1);
    char req[1024];
    size_t n = tuv_raw_request(req, sizeof req, "TLS", "plain", 0);
    tuv_raw_write(&g, req, n);
    tuv_run_until(&p.L, tuv_raw_got_eof, &g);
    tuv_wait_count(&p.L, &p.a.nerrs, 2);
    assert_int_equal(p.a.errs[1].code, GOSIP_ERR_TLS);
    assert_int_equal(p.a.nmsgs, 0);
    tuv_raw_close(&g, &p.L);
    pair_close(&p);
}

/* A silent TCP server: accepts and never answers. */
typedef struct silent {
    uv_tcp_t srv, peer;
    int accepted, closed;
} silent;

static void silent_conn(uv_stream_t *s, int status)
{
    silent *q = s->data;
    if (status == 0 && !q->accepted) {
        uv_tcp_init(s->loop, &q->peer);
        q->peer.data = q;
        q->accepted = uv_accept(s, (uv_stream_t *)&q->peer) == 0 ? 1 : -1;
    }
}

static void silent_closed(uv_handle_t *h)
{
    ((silent *)h->data)->closed++;
}

static int silent_all_closed(void *p)
{
    silent *q = p;
    return q->closed == (q->accepted ? 2 : 1);
}

/* An outbound TLS connection whose server never answers the ClientHello fails after
 * tls_handshake_timeout, before the core's connect_timeout, with TIMEOUT and the peer. */
static void tls_outbound_handshake_timeout(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    tls_config(&cfg);
    cfg.tls_handshake_timeout = GOSIP_MS(150);
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node b;
    tuv_node_new(&b, &L, &cfg);
    gosip_lp *blp;
    assert_int_equal(gosip_uv_listen(b.uv, GOSIP_TP_TLS, "127.0.0.1", 0, &blp), 0);
    silent q;
    memset(&q, 0, sizeof q);
    uv_tcp_init(&L.loop, &q.srv);
    q.srv.data = &q;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_tcp_bind(&q.srv, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&q.srv, 8, silent_conn), 0);
    int len = (int)sizeof sa;
    uv_tcp_getsockname(&q.srv, (struct sockaddr *)&sa, &len);
    gosip_target t;
    memset(&t, 0, sizeof t);
    t.kind = GOSIP_TP_TLS;
    assert_int_equal(gosip_addr_from_str(&t.addr, GOSIP_STR("127.0.0.1"), ntohs(sa.sin_port)), 0);
    t.host = GOSIP_STR("sip.test");
    gosip_msg *req = tuv_request("OPTIONS", "silent", 0);
    uint64_t t0 = uv_hrtime();
    assert_int_equal(gosip_tp_send_request(b.tp, req, &t, uv_hrtime(), NULL), 0);
    gosip_msg_unref(req);
    tuv_wait_count(&L, &b.nerrs, 1);
    assert_true(uv_hrtime() - t0 >= GOSIP_MS(140));
    assert_int_equal(b.errs[0].code, GOSIP_ERR_TIMEOUT);
    assert_true(gosip_addr_equal(&b.errs[0].peer, &t.addr));
    if (q.accepted == 1)
        uv_close((uv_handle_t *)&q.peer, silent_closed);
    uv_close((uv_handle_t *)&q.srv, silent_closed);
    tuv_run_until(&L, silent_all_closed, &q);
    tuv_node_close(&b, &L);
    tuv_loop_finish(&L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_v4),
        cmocka_unit_test(tls_v6),
        cmocka_unit_test(tls_wrong_host_refused),
        cmocka_unit_test(tls_inbound_timeout_and_garbage),
        cmocka_unit_test(tls_outbound_handshake_timeout),
    };
    /* TUV_FILTER=<glob> runs only the matching tests (debugging under valgrind, gdb). */
    if (getenv("TUV_FILTER"))
        cmocka_set_test_filter(getenv("TUV_FILTER"));
    return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
