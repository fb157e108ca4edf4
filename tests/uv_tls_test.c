/*
 * The TLS engine of the libuv runtime (src/uv/tls.c), with no socket: a client and a
 * server engine are paired in memory and ciphertext is shuttled between them until both
 * are quiet. Certificates are made at start-up with the openssl command line in a
 * mkdtemp() directory, so no key material lives in the repository and none expires.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp, and the POSIX types <uv.h> needs */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uv/tls.h"

static char dir[64]; /* the certificate directory, for the whole run */

static const char *path(const char *name)
{
    static char buf[8][160]; /* several paths live in one config */
    static unsigned slot;
    char *p = buf[slot++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* Prints a reason when GOSIP_TEST_VERBOSE is set, to read what users would see. */
static void note(const char *what, const char *reason)
{
    if (getenv("GOSIP_TEST_VERBOSE"))
        print_message("%s: %s\n", what, reason);
}

/* ---------------------------------------------------------------- certificates */

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int
run(const char *fmt, ...);

static int run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd)
        return -1;
    char full[1200];
    snprintf(full, sizeof full,
             "cd '%s' && ( %s ) >/dev/null 2>run.err || { cat run.err >&2; false; }", dir, cmd);
    if (system(full) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return -1;
    }
    return 0;
}

#define NEWKEY "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"

static int make_ca(const char *name)
{
    return run("openssl req -x509 " NEWKEY " -keyout %s.key -out %s.pem -subj '/CN=GoSIP %s'"
               " -days 30",
               name, name, name);
}

/* A leaf signed by ca; san is an openssl subjectAltName value or NULL for none. */
static int make_leaf(const char *name, const char *cn, const char *san, const char *ca)
{
    char ext[256] = "";
    if (san)
        snprintf(ext, sizeof ext, "-addext 'subjectAltName=%s'", san);
    if (run("openssl req -new " NEWKEY " -keyout %s.key -out %s.csr -subj '/CN=%s' %s", name, name,
            cn, ext) != 0)
        return -1;
    return run("openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -days 30"
               " -copy_extensions copy -out %s.pem",
               name, ca, ca, name);
}

/* openssl 3.0's x509 cannot backdate, so the expired certificate goes through `ca`. */
static int make_expired(void)
{
    FILE *f = fopen(path("ca.cnf"), "w");
    if (!f)
        return -1;
    fputs("[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
          "default_md=sha256\npolicy=p\ncopy_extensions=copy\nunique_subject=no\n"
          "[p]\ncommonName=supplied\n",
          f);
    fclose(f);
    if (run("touch index.txt && echo 01 > serial") != 0 ||
        run("openssl req -new " NEWKEY " -keyout expired.key -out expired.csr"
            " -subj /CN=sip.example.test -addext subjectAltName=DNS:sip.example.test") != 0)
        return -1;
    return run("openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -notext"
               " -startdate 20200101000000Z -enddate 20200201000000Z"
               " -in expired.csr -out expired.pem");
}

static int setup_certs(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/gosip-tls-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    const char *sip = "DNS:sip.example.test,URI:sip:sip.example.test";
    if (make_ca("ca") || make_ca("ca2") || make_expired() ||
        make_leaf("server", "sip.example.test", sip, "ca") ||
        make_leaf("rogue", "sip.example.test", sip, "ca2") ||
        make_leaf("wrong", "other.example.test", "DNS:other.example.test", "ca") ||
        make_leaf("client", "client.example.test",
                  "URI:sip:client.example.test,DNS:client.example.test,DNS:alt.example.test",
                  "ca") ||
        make_leaf("client2", "client.example.test", "DNS:client.example.test", "ca2") ||
        make_leaf("wild", "wild", "DNS:*.example.test", "ca") ||
        make_leaf("urionly", "urionly", "URI:sip:sip.example.test", "ca") ||
        make_leaf("cnonly", "sip.example.test", NULL, "ca") ||
        make_leaf("sancn", "sip.example.test", "DNS:other.example.test", "ca") ||
        make_leaf("userpart", "userpart", "URI:sip:alice@sip.example.test", "ca") ||
        make_leaf("ip", "ip", "IP:127.0.0.1,IP:::1", "ca"))
        return -1;
    return 0;
}

static int teardown_certs(void **state)
{
    (void)state;
    return run("rm -rf '%s'", dir);
}

/* ---------------------------------------------------------------- engine pairs */

typedef struct opts {
    const char *server_cert; /* base name: <name>.pem and <name>.key */
    const char *client_cert; /* NULL: none */
    const char *ca;          /* the clients' and servers' trust anchor */
    int verify, require;
    const gosip_mem *mem;
} opts;

static void config(gosip_uv_config *cfg, const opts *o, int server)
{
    static char names[4][64];
    memset(cfg, 0, sizeof *cfg);
    cfg->tp.mem = o->mem;
    cfg->tls_verify_peer = o->verify;
    cfg->tls_require_client_cert = o->require;
    cfg->tls_ca_file = path(o->ca ? o->ca : "ca.pem");
    if (server && o->server_cert) {
        snprintf(names[0], sizeof names[0], "%s.pem", o->server_cert);
        snprintf(names[1], sizeof names[1], "%s.key", o->server_cert);
        cfg->tls_cert_file = path(names[0]);
        cfg->tls_key_file = path(names[1]);
    }
    if (!server && o->client_cert) {
        snprintf(names[2], sizeof names[2], "%s.pem", o->client_cert);
        snprintf(names[3], sizeof names[3], "%s.key", o->client_cert);
        cfg->tls_client_cert_file = path(names[2]);
        cfg->tls_client_key_file = path(names[3]);
    }
}

typedef struct pair {
    gosip__tls_ctx *cctx, *sctx;
    gosip__tls *c, *s;
    int crc, src; /* first error each side's feed returned */
    size_t frag;  /* ciphertext is fed in pieces of this size */
} pair;

static int pair_open(pair *p, const opts *o, const char *host)
{
    memset(p, 0, sizeof *p);
    p->frag = SIZE_MAX;
    gosip_uv_config cfg;
    config(&cfg, o, 1);
    int rc = gosip__tls_ctx_new(&p->sctx, &cfg);
    if (rc == 0) {
        config(&cfg, o, 0);
        rc = gosip__tls_ctx_new(&p->cctx, &cfg);
    }
    if (rc == 0)
        rc = gosip__tls_new(&p->s, p->sctx, 1, NULL);
    if (rc == 0)
        rc = gosip__tls_new(&p->c, p->cctx, 0, host);
    return rc;
}

static void pair_close(pair *p)
{
    gosip__tls_free(p->c);
    gosip__tls_free(p->s);
    gosip__tls_ctx_free(p->cctx);
    gosip__tls_ctx_free(p->sctx);
}

/* Moves what from wants sent into to; returns nonzero when anything moved. */
static int shuttle(pair *p, gosip__tls *from, gosip__tls *to, int *rc)
{
    static unsigned char buf[80000];
    int moved = 0;
    gosip_ssize n;
    while ((n = gosip__tls_take_cipher(from, buf, sizeof buf)) > 0) {
        moved = 1;
        for (size_t off = 0; off < (size_t)n;) {
            size_t k = (size_t)n - off < p->frag ? (size_t)n - off : p->frag;
            int r = gosip__tls_feed(to, buf + off, k);
            if (r != 0 && *rc == 0)
                *rc = r;
            off += k;
        }
    }
    return moved;
}

static void pump(pair *p)
{
    for (int round = 0; round < 10000; round++) {
        int moved = shuttle(p, p->c, p->s, &p->src);
        moved |= shuttle(p, p->s, p->c, &p->crc);
        if (!moved)
            return;
    }
    fail_msg("the engines never went quiet");
}

static int handshake(pair *p)
{
    int rc = gosip__tls_start(p->c);
    if (rc == 0)
        pump(p);
    return rc;
}

/* Reads everything pending, in chunks of at most step bytes. */
static size_t read_all(gosip__tls *t, unsigned char *out, size_t cap, size_t step)
{
    size_t got = 0;
    gosip_ssize n;
    while (got < cap &&
           (n = gosip__tls_read(t, out + got, cap - got < step ? cap - got : step)) > 0)
        got += (size_t)n;
    return got;
}

static void expect_ok(pair *p)
{
    assert_int_equal(p->crc, 0);
    assert_int_equal(p->src, 0);
    assert_true(gosip__tls_handshake_done(p->c));
    assert_true(gosip__tls_handshake_done(p->s));
    assert_string_equal(gosip__tls_reason(p->c), "");
}

static const opts defaults = {"server", NULL, "ca.pem", 1, 0, NULL};

/* ---------------------------------------------------------------- handshakes and data */

static void test_tls13_data_and_sni(void **state)
{
    (void)state;
    pair p;
    assert_int_equal(pair_open(&p, &defaults, "sip.example.test"), 0);
    assert_true(gosip__tls_ctx_has_server_cert(p.sctx));
    assert_false(gosip__tls_ctx_has_server_cert(p.cctx));
    assert_null(gosip__tls_version(p.c));
    /* Written before the handshake: held, then sent once it completes. */
    assert_int_equal(gosip__tls_write(p.c, "OPTIONS", 7), 0);
    assert_int_equal(handshake(&p), 0);
    expect_ok(&p);
    assert_string_equal(gosip__tls_version(p.c), "TLSv1.3");
    assert_string_equal(gosip__tls_version(p.s), "TLSv1.3");
    assert_string_equal(gosip__tls_sni(p.s), "sip.example.test");
    assert_true(gosip__tls_peer_verified(p.c));
    assert_false(gosip__tls_peer_verified(p.s)); /* no client certificate asked for */
    unsigned char buf[64];
    assert_int_equal(read_all(p.s, buf, sizeof buf, sizeof buf), 7);
    assert_memory_equal(buf, "OPTIONS", 7);
    assert_int_equal(gosip__tls_write(p.s, "SIP/2.0 200 OK", 14), 0);
    pump(&p);
    assert_int_equal(read_all(p.c, buf, sizeof buf, sizeof buf), 14);
    assert_memory_equal(buf, "SIP/2.0 200 OK", 14);
    assert_int_equal(gosip__tls_read(p.c, buf, sizeof buf), 0);
    /* RFC 5922 7.1 domains: the sip URI's host and the DNS name, the same name once. */
    gosip_str names[4];
    assert_int_equal(gosip__tls_peer_names(p.c, names, 4), 1);
    assert_int_equal(names[0].n, 16);
    assert_memory_equal(names[0].p, "sip.example.test", 16);
    assert_int_equal(gosip__tls_peer_names(p.s, names, 4), 0);
    pair_close(&p);
}

static void tls12_with(int cap_client)
{
    pair p;
    assert_int_equal(pair_open(&p, &defaults, "sip.example.test"), 0);
    gosip__tls_ctx *capped = cap_client ? p.cctx : p.sctx;
    assert_int_equal(gosip__tls_ctx_set_max_version(capped, GOSIP__TLS_V12), 0);
    assert_int_equal(gosip__tls_ctx_set_max_version(capped, 0x0302), GOSIP_ERR_INVALID_ARG);
    /* The cap applies to engines created after it. */
    gosip__tls_free(p.c);
    gosip__tls_free(p.s);
    assert_int_equal(gosip__tls_new(&p.s, p.sctx, 1, NULL), 0);
    assert_int_equal(gosip__tls_new(&p.c, p.cctx, 0, "sip.example.test"), 0);
    assert_int_equal(handshake(&p), 0);
    expect_ok(&p);
    assert_string_equal(gosip__tls_version(p.c), "TLSv1.2");
    assert_string_equal(gosip__tls_sni(p.s), "sip.example.test");
    assert_int_equal(gosip__tls_write(p.c, "ping", 4), 0);
    assert_int_equal(gosip__tls_write(p.s, "pong", 4), 0);
    pump(&p);
    unsigned char buf[8];
    assert_int_equal(read_all(p.s, buf, sizeof buf, 8), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(read_all(p.c, buf, sizeof buf, 8), 4);
    assert_memory_equal(buf, "pong", 4);
    pair_close(&p);
}

static void test_tls12_client_capped(void **state)
{
    (void)state;
    tls12_with(1);
}

static void test_tls12_server_capped(void **state)
{
    (void)state;
    tls12_with(0);
}

static void fill(unsigned char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
}

static void test_large_fragmented(void **state)
{
    (void)state;
    enum { BIG = 65536 };
    static unsigned char a[BIG], b[BIG], got[BIG + 1];
    fill(a, BIG, 1);
    fill(b, BIG, 2);
    pair p;
    assert_int_equal(pair_open(&p, &defaults, "sip.example.test"), 0);
    p.frag = 1; /* every ciphertext byte its own read, handshake included */
    assert_int_equal(handshake(&p), 0);
    expect_ok(&p);
    p.frag = 997;
    /* Written in odd pieces, so records and reads never line up. */
    for (size_t off = 0; off < BIG; off += 1000) {
        size_t k = BIG - off < 1000 ? BIG - off : 1000;
        assert_int_equal(gosip__tls_write(p.c, a + off, k), 0);
    }
    assert_int_equal(gosip__tls_write(p.s, b, BIG), 0);
    pump(&p);
    expect_ok(&p);
    assert_int_equal(read_all(p.s, got, sizeof got, 333), BIG);
    assert_memory_equal(got, a, BIG);
    assert_int_equal(read_all(p.c, got, sizeof got, 4096), BIG);
    assert_memory_equal(got, b, BIG);
    pair_close(&p);
}

/* ---------------------------------------------------------------- verification */

/* Runs one handshake; returns the client's feed status and copies its reason. */
static int try_server(const opts *o, const char *host, char *reason, size_t cap)
{
    pair p;
    assert_int_equal(pair_open(&p, o, host), 0);
    assert_int_equal(handshake(&p), 0);
    int rc = p.crc;
    if (rc != 0) {
        assert_false(gosip__tls_handshake_done(p.c));
        assert_true(gosip__tls_failed(p.c));
        /* The client's alert tells the server, which fails too. */
        assert_int_equal(p.src, GOSIP_ERR_TLS);
    } else {
        expect_ok(&p);
    }
    if (reason)
        snprintf(reason, cap, "%s", gosip__tls_reason(p.c));
    note(host ? host : "(no host)", gosip__tls_reason(p.c));
    note("  server", gosip__tls_reason(p.s));
    pair_close(&p);
    return rc;
}

static void test_wrong_host_refused(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(try_server(&defaults, "wrong.example.test", why, sizeof why), GOSIP_ERR_TLS);
    assert_non_null(strstr(why, "\"wrong.example.test\""));
    assert_non_null(strstr(why, "sip.example.test"));
    opts o = defaults;
    o.server_cert = "wrong";
    assert_int_equal(try_server(&o, "sip.example.test", why, sizeof why), GOSIP_ERR_TLS);
    assert_non_null(strstr(why, "\"sip.example.test\""));
    assert_non_null(strstr(why, "other.example.test"));
}

static void test_name_rules(void **state)
{
    (void)state;
    static const struct {
        const char *cert, *host;
        int ok;
    } cases[] = {
        {"server", "SIP.Example.TEST", 1},  /* case-insensitive */
        {"server", "sip.example.test.", 1}, /* absolute form */
        {"server", "example.test", 0},
        {"server", "x.sip.example.test", 0},
        {"urionly", "sip.example.test", 1},  /* URI:sip:host alone */
        {"cnonly", "sip.example.test", 1},   /* CN only without any subjectAltName */
        {"sancn", "sip.example.test", 0},    /* CN ignored when a subjectAltName exists */
        {"wild", "sip.example.test", 0},     /* RFC 5922 7.2: no wildcards */
        {"userpart", "sip.example.test", 0}, /* a user's URI is not a domain */
        {"ip", "127.0.0.1", 1},
        {"ip", "[::1]", 1},
        {"ip", "127.0.0.2", 0},
        {"server", "127.0.0.1", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        opts o = defaults;
        o.server_cert = cases[i].cert;
        char why[256];
        int rc = try_server(&o, cases[i].host, why, sizeof why);
        if ((rc == 0) != cases[i].ok)
            fail_msg("%s for %s: rc %d (%s)", cases[i].cert, cases[i].host, rc, why);
    }
}

static void test_untrusted_and_expired_refused(void **state)
{
    (void)state;
    char why[256];
    opts o = defaults;
    o.server_cert = "rogue";
    assert_int_equal(try_server(&o, "sip.example.test", why, sizeof why), GOSIP_ERR_TLS);
    assert_non_null(strstr(why, "server certificate verification failed"));
    assert_non_null(strstr(why, "issuer"));
    o.server_cert = "expired";
    assert_int_equal(try_server(&o, "sip.example.test", why, sizeof why), GOSIP_ERR_TLS);
    assert_non_null(strstr(why, "expired"));
}

static void test_verification_off(void **state)
{
    (void)state;
    opts o = defaults;
    o.verify = 0;
    static const char *const certs[] = {"rogue", "expired", "wrong"};
    for (size_t i = 0; i < 3; i++) {
        o.server_cert = certs[i];
        pair p;
        assert_int_equal(pair_open(&p, &o, i == 2 ? NULL : "sip.example.test"), 0);
        assert_int_equal(handshake(&p), 0);
        expect_ok(&p);
        assert_false(gosip__tls_peer_verified(p.c));
        if (i == 2)
            assert_null(gosip__tls_sni(p.s)); /* no host, no SNI */
        pair_close(&p);
    }
}

static void test_null_host_with_verification(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    config(&cfg, &defaults, 0);
    gosip__tls_ctx *ctx;
    assert_int_equal(gosip__tls_ctx_new(&ctx, &cfg), 0);
    gosip__tls *t = NULL;
    assert_int_equal(gosip__tls_new(&t, ctx, 0, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__tls_new(&t, ctx, 0, ""), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__tls_new(&t, ctx, 0, "*.example.test"), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__tls_new(&t, ctx, 1, NULL), GOSIP_ERR_STATE); /* no server cert */
    assert_null(t);
    gosip__tls_ctx_free(ctx);
}

/* ---------------------------------------------------------------- client certificates */

static void test_client_cert_presented(void **state)
{
    (void)state;
    opts o = defaults;
    o.require = 1;
    o.client_cert = "client";
    pair p;
    assert_int_equal(pair_open(&p, &o, "sip.example.test"), 0);
    assert_int_equal(handshake(&p), 0);
    expect_ok(&p);
    assert_true(gosip__tls_peer_verified(p.s));
    gosip_str names[3];
    assert_int_equal(gosip__tls_peer_names(p.s, names, 1), 2); /* more than fit */
    assert_int_equal(names[0].n, 19);
    assert_memory_equal(names[0].p, "client.example.test", 19);
    assert_int_equal(gosip__tls_peer_names(p.s, names, 3), 2);
    assert_int_equal(names[1].n, 16);
    assert_memory_equal(names[1].p, "alt.example.test", 16);
    pair_close(&p);
}

static void client_cert_refused(const char *client_cert, const char *expect)
{
    opts o = defaults;
    o.require = 1;
    o.client_cert = client_cert;
    pair p;
    assert_int_equal(pair_open(&p, &o, "sip.example.test"), 0);
    assert_int_equal(handshake(&p), 0);
    assert_int_equal(p.src, GOSIP_ERR_TLS);
    assert_false(gosip__tls_handshake_done(p.s));
    assert_non_null(strstr(gosip__tls_reason(p.s), expect));
    note("client cert server", gosip__tls_reason(p.s));
    note("client cert client", gosip__tls_reason(p.c));
    /* TLS 1.3: the client finished first and learns it from the server's alert. */
    assert_int_equal(p.crc, GOSIP_ERR_TLS);
    assert_int_equal(gosip__tls_write(p.c, "x", 1), GOSIP_ERR_TLS);
    pair_close(&p);
}

static void test_client_cert_missing(void **state)
{
    (void)state;
    client_cert_refused(NULL, "certificate");
}

static void test_client_cert_untrusted(void **state)
{
    (void)state;
    client_cert_refused("client2", "client certificate verification failed");
}

/* ---------------------------------------------------------------- failures and close */

static void test_garbage(void **state)
{
    (void)state;
    unsigned char junk[1000];
    fill(junk, sizeof junk, 7);
    pair p;
    assert_int_equal(pair_open(&p, &defaults, "sip.example.test"), 0);
    assert_int_equal(gosip__tls_feed(p.s, junk, sizeof junk), GOSIP_ERR_TLS);
    note("garbage", gosip__tls_reason(p.s));
    assert_true(gosip__tls_failed(p.s));
    assert_string_not_equal(gosip__tls_reason(p.s), "");
    assert_int_equal(gosip__tls_feed(p.s, junk, sizeof junk), GOSIP_ERR_TLS);
    assert_int_equal(gosip__tls_write(p.s, "x", 1), GOSIP_ERR_TLS);
    assert_int_equal(gosip__tls_start(p.c), 0);
    assert_int_equal(gosip__tls_feed(p.c, junk, sizeof junk), GOSIP_ERR_TLS);
    assert_int_equal(gosip__tls_start(p.c), GOSIP_ERR_TLS);
    pair_close(&p);

    /* After the handshake: an application-data record that fails authentication. */
    assert_int_equal(pair_open(&p, &defaults, "sip.example.test"), 0);
    assert_int_equal(handshake(&p), 0);
    expect_ok(&p);
    junk[0] = 0x17, junk[1] = 0x03, junk[2] = 0x03, junk[3] = 0x00, junk[4] = 0x40;
    assert_int_equal(gosip__tls_feed(p.s, junk, 5 + 0x40), GOSIP_ERR_TLS);
    note("bad record", gosip__tls_reason(p.s));
    assert_false(gosip__tls_handshake_done(p.s));
    pair_close(&p);
}

static void test_shutdown(void **state)
{
    (void)state;
    pair p;
    assert_int_equal(pair_open(&p, &defaults, "sip.example.test"), 0);
    assert_int_equal(gosip__tls_shutdown(p.c), 0); /* before the handshake: nothing */
    assert_int_equal(gosip__tls_cipher_pending(p.c), 0);
    pair_close(&p);

    assert_int_equal(pair_open(&p, &defaults, "sip.example.test"), 0);
    assert_int_equal(handshake(&p), 0);
    assert_int_equal(gosip__tls_write(p.c, "BYE", 3), 0);
    assert_int_equal(gosip__tls_shutdown(p.c), 0);
    assert_true(gosip__tls_cipher_pending(p.c) > 0);
    assert_int_equal(gosip__tls_write(p.c, "x", 1), GOSIP_ERR_CLOSED);
    pump(&p);
    expect_ok(&p);
    assert_true(gosip__tls_peer_closed(p.s));
    unsigned char buf[8];
    assert_int_equal(read_all(p.s, buf, sizeof buf, 8), 3); /* data before close_notify */
    assert_int_equal(gosip__tls_feed(p.s, "late", 4), 0);   /* ignored */
    pair_close(&p);
}

static void test_ctx_errors(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    gosip__tls_ctx *ctx = NULL;
    char why[256];
    config(&cfg, &defaults, 1);
    cfg.tls_cert_file = path("missing.pem");
    assert_int_equal(gosip__tls_ctx_new2(&ctx, &cfg, why, sizeof why), GOSIP_ERR_TLS);
    note("ctx", why);
    assert_non_null(strstr(why, "missing.pem"));
    config(&cfg, &defaults, 1);
    cfg.tls_key_file = path("wrong.key");
    assert_int_equal(gosip__tls_ctx_new2(&ctx, &cfg, why, sizeof why), GOSIP_ERR_TLS);
    note("ctx", why);
    assert_non_null(strstr(why, "does not match"));
    config(&cfg, &defaults, 1);
    cfg.tls_key_file = path("server.csr"); /* not a key at all */
    assert_int_equal(gosip__tls_ctx_new2(&ctx, &cfg, why, sizeof why), GOSIP_ERR_TLS);
    note("ctx", why);
    assert_non_null(strstr(why, "server.csr"));
    config(&cfg, &defaults, 0);
    cfg.tls_ca_file = path("missing-ca.pem");
    assert_int_equal(gosip__tls_ctx_new2(&ctx, &cfg, why, sizeof why), GOSIP_ERR_TLS);
    note("ctx", why);
    assert_non_null(strstr(why, "missing-ca.pem"));
    config(&cfg, &defaults, 0);
    cfg.tls_client_cert_file = path("client.pem");
    cfg.tls_client_key_file = path("server.key");
    assert_int_equal(gosip__tls_ctx_new(&ctx, &cfg), GOSIP_ERR_TLS);
    assert_null(ctx);
    assert_int_equal(gosip__tls_ctx_new(&ctx, NULL), GOSIP_ERR_INVALID_ARG);
}

/* ---------------------------------------------------------------- allocation failures */

typedef struct failing {
    long left; /* allocations that succeed before the first failure */
    long live;
} failing;

static void *f_malloc(size_t n, void *ud)
{
    failing *f = ud;
    if (f->left-- <= 0)
        return NULL;
    f->live++;
    return malloc(n);
}

static void *f_calloc(size_t k, size_t n, void *ud)
{
    failing *f = ud;
    if (f->left-- <= 0)
        return NULL;
    f->live++;
    return calloc(k, n);
}

static void *f_realloc(void *p, size_t n, void *ud)
{
    failing *f = ud;
    if (f->left-- <= 0)
        return NULL;
    f->live += p == NULL;
    return realloc(p, n);
}

static void f_free(void *p, void *ud)
{
    failing *f = ud;
    f->live -= p != NULL;
    free(p);
}

/* Every one of the engine's own allocations fails in turn: clean errors, nothing kept. */
static void test_allocation_failures(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        failing f = {n, 0};
        gosip_mem mem = {&f, f_malloc, f_calloc, f_realloc, f_free};
        opts o = defaults;
        o.mem = &mem;
        pair p;
        int rc = pair_open(&p, &o, "sip.example.test");
        if (rc == 0)
            rc = gosip__tls_write(p.c, "OPTIONS", 7);
        if (rc == 0)
            rc = handshake(&p);
        if (rc == 0)
            rc = p.crc ? p.crc : p.src;
        pair_close(&p);
        assert_int_equal(f.live, 0);
        if (rc == 0)
            break;
        assert_int_equal(rc, GOSIP_ERR_NOMEM);
        assert_true(n < 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13_data_and_sni),
        cmocka_unit_test(test_tls12_client_capped),
        cmocka_unit_test(test_tls12_server_capped),
        cmocka_unit_test(test_large_fragmented),
        cmocka_unit_test(test_wrong_host_refused),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_untrusted_and_expired_refused),
        cmocka_unit_test(test_verification_off),
        cmocka_unit_test(test_null_host_with_verification),
        cmocka_unit_test(test_client_cert_presented),
        cmocka_unit_test(test_client_cert_missing),
        cmocka_unit_test(test_client_cert_untrusted),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_ctx_errors),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
