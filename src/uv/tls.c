/*
 * TLS engine over OpenSSL memory BIOs (see tls.h). The SSL object reads ciphertext from
 * rbio, which gosip__tls_feed fills, and writes ciphertext to wbio, which
 * gosip__tls_take_cipher drains; both are unbounded memory BIOs, so OpenSSL never
 * reports WANT_WRITE and a write is only ever held back by an unfinished handshake.
 */
/* <uv.h> needs POSIX types (pthread_rwlock_t) that strict C11 hides. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "uv/tls.h"

#include "base/arena.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* A byte queue: bytes p[off..len) are pending. */
typedef struct bq {
    unsigned char *p;
    size_t off, len, cap;
} bq;

#define PLAIN_CHUNK 16384u /* one TLS record of plaintext */
#define REASON_CAP 256u

struct gosip__tls_ctx {
    const gosip_mem *mem;
    SSL_CTX *server; /* NULL without a server certificate */
    SSL_CTX *client;
    int verify_peer;
};

struct gosip__tls {
    gosip__tls_ctx *ctx;
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl */
    char *host;       /* client: normalised name to check, NULL when none */
    int is_server, host_is_ip;
    int done, failed, shut, peer_closed, verified;
    bq in;       /* decrypted, not yet read */
    bq out;      /* written before the handshake completed */
    char *names; /* peer SIP domains, each NUL-terminated */
    size_t names_n;
    char reason[REASON_CAP];
};

/* A SIP domain identity found in a certificate; return nonzero to stop the walk. */
typedef int (*name_fn)(const char *p, size_t n, void *ud);

/* ---------------------------------------------------------------- byte queues */

/* Makes room for extra bytes at the end, compacting before growing. */
static int bq_reserve(const gosip_mem *m, bq *q, size_t extra)
{
    if (q->off == q->len)
        q->off = q->len = 0;
    if (q->cap - q->len >= extra)
        return 0;
    if (q->off) {
        memmove(q->p, q->p + q->off, q->len - q->off);
        q->len -= q->off;
        q->off = 0;
        if (q->cap - q->len >= extra)
            return 0;
    }
    size_t cap = q->cap ? q->cap : PLAIN_CHUNK;
    while (cap - q->len < extra) {
        if (cap > SIZE_MAX / 2)
            return GOSIP_ERR_NOMEM;
        cap *= 2;
    }
    unsigned char *p = gosip__mem_realloc(m, q->p, cap);
    if (!p)
        return GOSIP_ERR_NOMEM;
    q->p = p;
    q->cap = cap;
    return 0;
}

/* Idle connections are the common case: give their buffers back. */
static void bq_release(const gosip_mem *m, bq *q)
{
    gosip__mem_free(m, q->p);
    memset(q, 0, sizeof *q);
}

/* ---------------------------------------------------------------- errors */

/* The reason of OpenSSL's first queued error (the root cause; later ones are the
 * callers' summaries), taken from the long form, which also covers system errors
 * (a missing file) that have no reason string of their own. */
static void ossl_reason(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_error();
    char full[256] = "unknown OpenSSL error";
    if (e)
        ERR_error_string_n(e, full, sizeof full);
    const char *tail = e ? strrchr(full, ':') : NULL;
    snprintf(buf, cap, "%s", tail && tail[1] ? tail + 1 : full);
}

static int ctx_fail(char *why, size_t cap, const char *what, const char *file)
{
    if (why && cap) {
        char r[128];
        ossl_reason(r, sizeof r);
        snprintf(why, cap, "%s%s%s: %s", what, file ? " " : "", file ? file : "", r);
    }
    ERR_clear_error();
    return GOSIP_ERR_TLS;
}

/* Marks the engine dead; keeps a reason the verify callback already wrote. */
static int tls_fail(gosip__tls *t, const char *what)
{
    t->failed = 1;
    if (!t->reason[0]) {
        char r[128];
        ossl_reason(r, sizeof r);
        snprintf(t->reason, sizeof t->reason, "%s: %s", what, r);
    }
    ERR_clear_error();
    bq_release(t->ctx->mem, &t->out);
    return GOSIP_ERR_TLS;
}

/* The engine cannot go on: records may be left undecrypted, or names uncollected. */
static int engine_nomem(gosip__tls *t)
{
    t->failed = 1;
    snprintf(t->reason, sizeof t->reason, "out of memory");
    return GOSIP_ERR_NOMEM;
}

/* ---------------------------------------------------------------- certificate names */

static int ascii_caseeq(const char *a, size_t an, const char *b)
{
    return gosip_str_caseeq_cstr((gosip_str){a, an}, b);
}

/* RFC 5922 7.1: a sip URI without user part names its host; other URIs name nothing. */
static int uri_domain(const char *p, size_t n, name_fn fn, void *ud)
{
    if (n < 4 || !ascii_caseeq(p, 4, "sip:") || memchr(p, '@', n))
        return 0;
    p += 4;
    n -= 4;
    size_t h = 0;
    while (h < n && p[h] != ':' && p[h] != ';' && p[h] != '?')
        h++;
    return h ? fn(p, h, ud) : 0;
}

/* Wildcards are not SIP identities (RFC 5922 7.2); embedded NULs are forgeries. */
static int acceptable_name(const char *p, size_t n)
{
    return n > 0 && !memchr(p, '*', n) && !memchr(p, '\0', n);
}

/* Walks the SIP domain identities of cert in RFC 5922 7.1 order. */
static int walk_names(X509 *cert, name_fn fn, void *ud)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int stop = 0;
    if (gens) {
        for (int pass = 0; pass < 2 && !stop; pass++) {
            for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !stop; i++) {
                const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
                int want = pass == 0 ? GEN_URI : GEN_DNS;
                if (g->type != want)
                    continue;
                const ASN1_STRING *s =
                    want == GEN_URI ? g->d.uniformResourceIdentifier : g->d.dNSName;
                const char *p = (const char *)ASN1_STRING_get0_data(s);
                size_t n = (size_t)ASN1_STRING_length(s);
                if (!acceptable_name(p, n))
                    continue;
                stop = want == GEN_URI ? uri_domain(p, n, fn, ud) : fn(p, n, ud);
            }
        }
        GENERAL_NAMES_free(gens);
        return stop;
    }
    /* No subjectAltName at all: the most specific (last) CN, as RFC 5922 7.1 allows. */
    const X509_NAME *subj = X509_get_subject_name(cert);
    int idx = -1, last = -1;
    while ((idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx)) >= 0)
        last = idx;
    if (last < 0)
        return 0;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last));
    const char *p = (const char *)ASN1_STRING_get0_data(s);
    size_t n = (size_t)ASN1_STRING_length(s);
    return acceptable_name(p, n) ? fn(p, n, ud) : 0;
}

static int match_name(const char *p, size_t n, void *ud)
{
    return ascii_caseeq(p, n, ud);
}

typedef struct name_list {
    char *buf;
    size_t len, n;
    size_t start; /* list_name: where the list begins in buf */
} name_list;

static int listed(const char *list, const char *p, size_t n)
{
    gosip_str name = {p, n};
    while (*list) {
        size_t k = strcspn(list, ",");
        if (gosip_str_caseeq((gosip_str){list, k}, name))
            return 1;
        list += k;
        list += strspn(list, ", ");
    }
    return 0;
}

/* Appends "a, b, c" to a reason, each name once, truncating quietly. */
static int list_name(const char *p, size_t n, void *ud)
{
    name_list *l = ud;
    if (listed(l->buf + l->start, p, n))
        return 0;
    size_t room = REASON_CAP - l->len;
    int w = snprintf(l->buf + l->len, room, "%s%.*s", l->n ? ", " : "", (int)n, p);
    if (w > 0)
        l->len += (size_t)w < room ? (size_t)w : room - 1;
    l->n++;
    return 0;
}

/* Sizes (buf NULL: an upper bound) or fills the NUL-separated peer name store, where
 * a name the certificate repeats (as URI and DNS name, usually) is kept once. */
static int store_name(const char *p, size_t n, void *ud)
{
    name_list *l = ud;
    if (l->buf) {
        for (size_t off = 0; off < l->len; off += strlen(l->buf + off) + 1)
            if (ascii_caseeq(p, n, l->buf + off))
                return 0;
        memcpy(l->buf + l->len, p, n);
        l->buf[l->len + n] = '\0';
    }
    l->len += n + 1;
    l->n++;
    return 0;
}

static int cert_matches(X509 *cert, const gosip__tls *t)
{
    if (t->host_is_ip)
        return X509_check_ip_asc(cert, t->host, 0) == 1;
    return walk_names(cert, match_name, t->host);
}

static void mismatch_reason(gosip__tls *t, X509 *cert)
{
    int w = snprintf(
        t->reason, sizeof t->reason,
        "server certificate does not match host \"%s\" (RFC 5922 7.2); it names: ", t->host);
    size_t len = w > 0 ? (size_t)w : 0;
    name_list l = {t->reason, len, 0, len};
    if (l.len >= sizeof t->reason)
        return;
    walk_names(cert, list_name, &l);
    if (l.n == 0)
        snprintf(t->reason + l.len, sizeof t->reason - l.len, "no SIP domain");
}

/*
 * Runs for every certificate of the peer's chain, leaf last. OpenSSL checks the chain;
 * this records why it failed and adds the RFC 5922 name check on the leaf, inside the
 * handshake, so the client answers a wrong name with an alert instead of a Finished.
 */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    gosip__tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
    if (!t)
        return ok;
    int depth = X509_STORE_CTX_get_error_depth(xs);
    if (!ok) {
        if (!t->reason[0]) {
            int err = X509_STORE_CTX_get_error(xs);
            snprintf(t->reason, sizeof t->reason,
                     "%s certificate verification failed at depth %d: %s",
                     t->is_server ? "client" : "server", depth, X509_verify_cert_error_string(err));
        }
        return 0;
    }
    if (depth == 0 && !t->is_server && t->host) {
        X509 *cert = X509_STORE_CTX_get_current_cert(xs);
        if (!cert || !cert_matches(cert, t)) {
            X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
            if (cert) /* else tls_fail's generic reason */
                mismatch_reason(t, cert);
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- contexts */

static SSL_CTX *new_ssl_ctx(int server)
{
    SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!c)
        return NULL;
    /* TLS 1.2 minimum (RFC 8996 retired older ones); no renegotiation, whose only use
     * here would be attacks; no resumption state, so memory stays per connection. */
    if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) != 1) {
        SSL_CTX_free(c);
        return NULL;
    }
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    if (server)
        SSL_CTX_set_num_tickets(c, 0);
    /* The held-output queue may move its bytes between retries of one SSL_write. */
    SSL_CTX_set_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    return c;
}

static int load_pair(SSL_CTX *c, const char *cert, const char *key, char *why, size_t cap)
{
    if (!key)
        key = cert; /* one PEM file holding both */
    if (SSL_CTX_use_certificate_chain_file(c, cert) != 1)
        return ctx_fail(why, cap, "cannot load certificate chain", cert);
    if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            return ctx_fail(why, cap, "private key does not match the certificate: key", key);
        return ctx_fail(why, cap, "cannot load private key", key);
    }
    if (SSL_CTX_check_private_key(c) != 1)
        return ctx_fail(why, cap, "private key does not match the certificate: key", key);
    return 0;
}

static int load_cas(SSL_CTX *c, const char *ca_file, char *why, size_t cap)
{
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(c, ca_file, NULL) != 1)
            return ctx_fail(why, cap, "cannot load CA file", ca_file);
    } else if (SSL_CTX_set_default_verify_paths(c) != 1) {
        return ctx_fail(why, cap, "cannot load the system CA store", NULL);
    }
    return 0;
}

static int setup_server(gosip__tls_ctx *x, const gosip_uv_config *cfg, char *why, size_t cap)
{
    x->server = new_ssl_ctx(1);
    if (!x->server)
        return ctx_fail(why, cap, "cannot create the server context", NULL);
    int rc = load_pair(x->server, cfg->tls_cert_file, cfg->tls_key_file, why, cap);
    if (rc == 0 && cfg->tls_require_client_cert) {
        rc = load_cas(x->server, cfg->tls_ca_file, why, cap);
        SSL_CTX_set_verify(x->server, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    }
    return rc;
}

static int setup_client(gosip__tls_ctx *x, const gosip_uv_config *cfg, char *why, size_t cap)
{
    x->client = new_ssl_ctx(0);
    if (!x->client)
        return ctx_fail(why, cap, "cannot create the client context", NULL);
    int rc = 0;
    if (cfg->tls_client_cert_file)
        rc = load_pair(x->client, cfg->tls_client_cert_file, cfg->tls_client_key_file, why, cap);
    if (rc == 0 && cfg->tls_verify_peer) {
        rc = load_cas(x->client, cfg->tls_ca_file, why, cap);
        SSL_CTX_set_verify(x->client, SSL_VERIFY_PEER, verify_cb);
    } else {
        SSL_CTX_set_verify(x->client, SSL_VERIFY_NONE, NULL);
    }
    return rc;
}

int gosip__tls_ctx_new2(gosip__tls_ctx **out, const gosip_uv_config *cfg, char *why, size_t why_cap)
{
    if (why && why_cap)
        why[0] = '\0';
    if (!out || !cfg)
        return GOSIP_ERR_INVALID_ARG;
    gosip__tls_ctx *x = gosip__mem_calloc(cfg->tp.mem, 1, sizeof *x);
    if (!x)
        return GOSIP_ERR_NOMEM;
    x->mem = cfg->tp.mem;
    x->verify_peer = cfg->tls_verify_peer != 0;
    ERR_clear_error();
    int rc = cfg->tls_cert_file ? setup_server(x, cfg, why, why_cap) : 0;
    if (rc == 0)
        rc = setup_client(x, cfg, why, why_cap);
    if (rc != 0) {
        gosip__tls_ctx_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

int gosip__tls_ctx_new(gosip__tls_ctx **out, const gosip_uv_config *cfg)
{
    return gosip__tls_ctx_new2(out, cfg, NULL, 0);
}

void gosip__tls_ctx_free(gosip__tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->server);
    SSL_CTX_free(ctx->client);
    gosip__mem_free(ctx->mem, ctx);
}

int gosip__tls_ctx_has_server_cert(const gosip__tls_ctx *ctx)
{
    return ctx && ctx->server;
}

int gosip__tls_ctx_set_max_version(gosip__tls_ctx *ctx, int version)
{
    if (!ctx || (version != GOSIP__TLS_V12 && version != GOSIP__TLS_V13))
        return GOSIP_ERR_INVALID_ARG;
    if (ctx->server)
        SSL_CTX_set_max_proto_version(ctx->server, version);
    SSL_CTX_set_max_proto_version(ctx->client, version);
    return 0;
}

/* ---------------------------------------------------------------- engines */

/* Copies host without IPv6 brackets or the root's trailing dot. */
static int normalise_host(const gosip_mem *m, const char *host, char **out, int *is_ip)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    } else if (n > 1 && host[n - 1] == '.') {
        n--;
    }
    if (n == 0 || n > 253 || memchr(host, '*', n))
        return GOSIP_ERR_INVALID_ARG;
    char *h = gosip__mem_malloc(m, n + 1);
    if (!h)
        return GOSIP_ERR_NOMEM;
    memcpy(h, host, n);
    h[n] = '\0';
    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(h);
    *is_ip = ip != NULL;
    ASN1_OCTET_STRING_free(ip);
    *out = h;
    return 0;
}

static int engine_setup(gosip__tls *t, SSL_CTX *c)
{
    t->ssl = SSL_new(c);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        t->rbio = t->wbio = NULL;
        return GOSIP_ERR_NOMEM;
    }
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_app_data(t->ssl, t);
    if (t->is_server) {
        SSL_set_accept_state(t->ssl);
        return 0;
    }
    SSL_set_connect_state(t->ssl);
    /* RFC 6066 3: SNI carries DNS names only. */
    if (t->host && !t->host_is_ip && SSL_set_tlsext_host_name(t->ssl, t->host) != 1)
        return GOSIP_ERR_TLS;
    return 0;
}

int gosip__tls_new(gosip__tls **out, gosip__tls_ctx *ctx, int is_server, const char *host)
{
    if (!out || !ctx)
        return GOSIP_ERR_INVALID_ARG;
    if (is_server && !ctx->server)
        return GOSIP_ERR_STATE;
    if (!is_server && !host && ctx->verify_peer)
        return GOSIP_ERR_INVALID_ARG;
    gosip__tls *t = gosip__mem_calloc(ctx->mem, 1, sizeof *t);
    if (!t)
        return GOSIP_ERR_NOMEM;
    t->ctx = ctx;
    t->is_server = is_server != 0;
    if (!is_server && host) {
        int rc = normalise_host(ctx->mem, host, &t->host, &t->host_is_ip);
        if (rc != 0) {
            gosip__mem_free(ctx->mem, t);
            return rc;
        }
    }
    ERR_clear_error();
    int rc = engine_setup(t, is_server ? ctx->server : ctx->client);
    ERR_clear_error();
    if (rc != 0) {
        gosip__tls_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void gosip__tls_free(gosip__tls *t)
{
    if (!t)
        return;
    const gosip_mem *m = t->ctx->mem;
    SSL_free(t->ssl);
    bq_release(m, &t->in);
    bq_release(m, &t->out);
    gosip__mem_free(m, t->host);
    gosip__mem_free(m, t->names);
    gosip__mem_free(m, t);
}

/* ---------------------------------------------------------------- data path */

static int collect_names(gosip__tls *t)
{
    X509 *cert = SSL_get0_peer_certificate(t->ssl); /* OpenSSL >= 3.0 */
    if (!cert)
        return 0;
    name_list l = {NULL, 0, 0, 0};
    walk_names(cert, store_name, &l);
    if (l.n == 0)
        return 0;
    char *buf = gosip__mem_malloc(t->ctx->mem, l.len);
    if (!buf)
        return GOSIP_ERR_NOMEM;
    name_list fill = {buf, 0, 0, 0};
    walk_names(cert, store_name, &fill);
    t->names = buf;
    t->names_n = fill.n;
    return 0;
}

/* SSL_write with both BIOs in memory succeeds whole, or wants the handshake to go on. */
static int write_some(gosip__tls *t, const unsigned char *p, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        size_t chunk = n - *done < INT_MAX ? n - *done : INT_MAX;
        int w = SSL_write(t->ssl, p + *done, (int)chunk);
        if (w > 0) {
            *done += (size_t)w;
            continue;
        }
        int e = SSL_get_error(t->ssl, w);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return 0;
        return tls_fail(t, "TLS write failed");
    }
    return 0;
}

static int flush_held(gosip__tls *t)
{
    if (!t->done || t->shut || t->out.off == t->out.len)
        return 0;
    size_t w;
    int rc = write_some(t, t->out.p + t->out.off, t->out.len - t->out.off, &w);
    if (rc != 0)
        return rc;
    t->out.off += w;
    if (t->out.off == t->out.len)
        bq_release(t->ctx->mem, &t->out);
    return 0;
}

static int handshake_step(gosip__tls *t)
{
    int r = SSL_do_handshake(t->ssl);
    if (r != 1) {
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return 0;
        return tls_fail(t, "TLS handshake failed");
    }
    t->done = 1;
    int asked = t->is_server ? SSL_get_verify_mode(t->ssl) != SSL_VERIFY_NONE : t->ctx->verify_peer;
    t->verified =
        asked && SSL_get0_peer_certificate(t->ssl) && SSL_get_verify_result(t->ssl) == X509_V_OK;
    if (collect_names(t) != 0)
        return engine_nomem(t);
    return flush_held(t);
}

/* Decrypts every complete record into t->in. */
static int drain_records(gosip__tls *t)
{
    while (!t->peer_closed) {
        if (bq_reserve(t->ctx->mem, &t->in, PLAIN_CHUNK) != 0)
            return engine_nomem(t);
        size_t room = t->in.cap - t->in.len;
        int r = SSL_read(t->ssl, t->in.p + t->in.len, (int)(room < INT_MAX ? room : INT_MAX));
        if (r > 0) {
            t->in.len += (size_t)r;
            continue;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN)
            t->peer_closed = 1;
        else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return tls_fail(t, "TLS connection failed");
        break;
    }
    if (t->in.off == t->in.len)
        bq_release(t->ctx->mem, &t->in);
    return 0;
}

int gosip__tls_start(gosip__tls *t)
{
    if (!t)
        return GOSIP_ERR_INVALID_ARG;
    if (t->failed)
        return GOSIP_ERR_TLS;
    if (t->shut)
        return GOSIP_ERR_STATE;
    if (t->is_server || t->done)
        return 0;
    ERR_clear_error();
    return handshake_step(t);
}

int gosip__tls_feed(gosip__tls *t, const void *cipher, size_t n)
{
    if (!t || (!cipher && n))
        return GOSIP_ERR_INVALID_ARG;
    if (t->failed)
        return GOSIP_ERR_TLS;
    if (t->peer_closed)
        return 0;
    ERR_clear_error();
    const unsigned char *p = cipher;
    while (n > 0) {
        int chunk = n < INT_MAX ? (int)n : INT_MAX;
        if (BIO_write(t->rbio, p, chunk) != chunk)
            return engine_nomem(t);
        p += chunk;
        n -= (size_t)chunk;
    }
    if (!t->done) {
        int rc = handshake_step(t);
        if (rc != 0 || !t->done)
            return rc;
    }
    int rc = drain_records(t);
    if (rc == 0)
        rc = flush_held(t);
    ERR_clear_error();
    return rc;
}

gosip_ssize gosip__tls_read(gosip__tls *t, void *plain, size_t cap)
{
    if (!t || !plain)
        return 0;
    size_t n = t->in.len - t->in.off;
    if (n > cap)
        n = cap;
    if (n == 0)
        return 0;
    memcpy(plain, t->in.p + t->in.off, n);
    t->in.off += n;
    if (t->in.off == t->in.len)
        bq_release(t->ctx->mem, &t->in);
    return (gosip_ssize)n;
}

int gosip__tls_write(gosip__tls *t, const void *plain, size_t n)
{
    if (!t || (!plain && n))
        return GOSIP_ERR_INVALID_ARG;
    if (t->failed)
        return GOSIP_ERR_TLS;
    if (t->shut)
        return GOSIP_ERR_CLOSED;
    if (n == 0)
        return 0;
    const unsigned char *p = plain;
    size_t sent = 0;
    ERR_clear_error();
    if (t->done && t->out.off == t->out.len) {
        int rc = write_some(t, p, n, &sent);
        if (rc != 0)
            return rc;
    }
    if (sent < n) {
        int rc = bq_reserve(t->ctx->mem, &t->out, n - sent);
        if (rc != 0)
            return rc;
        memcpy(t->out.p + t->out.len, p + sent, n - sent);
        t->out.len += n - sent;
    }
    return 0;
}

gosip_ssize gosip__tls_take_cipher(gosip__tls *t, void *out, size_t cap)
{
    if (!t || !out || cap == 0)
        return 0;
    int r = BIO_read(t->wbio, out, cap < INT_MAX ? (int)cap : INT_MAX);
    return r > 0 ? (gosip_ssize)r : 0;
}

size_t gosip__tls_cipher_pending(const gosip__tls *t)
{
    return t ? BIO_ctrl_pending(t->wbio) : 0;
}

int gosip__tls_shutdown(gosip__tls *t)
{
    if (!t || t->shut)
        return 0;
    t->shut = 1;
    bq_release(t->ctx->mem, &t->out);
    if (t->done && !t->failed) {
        ERR_clear_error();
        SSL_shutdown(t->ssl); /* 0: close_notify queued; the peer's is not awaited */
        ERR_clear_error();
    }
    return 0;
}

/* ---------------------------------------------------------------- queries */

int gosip__tls_handshake_done(const gosip__tls *t)
{
    return t && t->done && !t->failed;
}

int gosip__tls_peer_closed(const gosip__tls *t)
{
    return t && t->peer_closed;
}

int gosip__tls_failed(const gosip__tls *t)
{
    return t && t->failed;
}

const char *gosip__tls_reason(const gosip__tls *t)
{
    return t ? t->reason : "";
}

const char *gosip__tls_version(const gosip__tls *t)
{
    return t && t->done ? SSL_get_version(t->ssl) : NULL;
}

const char *gosip__tls_sni(const gosip__tls *t)
{
    return t && t->is_server ? SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

int gosip__tls_peer_verified(const gosip__tls *t)
{
    return t && t->done && t->verified;
}

size_t gosip__tls_peer_names(const gosip__tls *t, gosip_str *names, size_t cap)
{
    if (!t || !t->names)
        return 0;
    const char *p = t->names;
    for (size_t i = 0; i < t->names_n && i < cap; i++) {
        size_t n = strlen(p);
        names[i] = (gosip_str){p, n};
        p += n + 1;
    }
    return t->names_n;
}
