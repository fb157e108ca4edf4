/*
 * Typed parsers and printers of the less common header shapes: auth, media, RAck,
 * Warning, Date, Timestamp, info URIs, MIME-Version and Privacy. Each parser is called
 * directly over a private arena; every input is copied into a heap block of exactly
 * its length, so a read past the value trips AddressSanitizer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg/msg_internal.h"

typedef struct buf_node {
    struct buf_node *next;
    char data[];
} buf_node;

typedef struct fx {
    gosip_arena arena;
    gosip_msg_limits lim;
    gosip__pctx c;
    buf_node *bufs;
    char out[2048];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    gosip__arena_init(&f->arena, NULL, NULL, 0);
    f->lim.max_msg_size = GOSIP_DEFAULT_MAX_MSG_SIZE;
    f->lim.max_headers = GOSIP_DEFAULT_MAX_HEADERS;
    f->lim.max_vias = GOSIP_DEFAULT_MAX_VIAS;
    f->lim.max_uri_len = GOSIP_DEFAULT_MAX_URI_LEN;
    f->lim.max_line_len = GOSIP_DEFAULT_MAX_LINE_LEN;
    f->lim.max_params = GOSIP_DEFAULT_MAX_PARAMS;
    f->lim.max_body_depth = GOSIP_DEFAULT_MAX_BODY_DEPTH;
    f->lim.max_body_parts = GOSIP_DEFAULT_MAX_BODY_PARTS;
    f->c.arena = &f->arena;
    f->c.lim = &f->lim;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    gosip__arena_free(&f->arena);
    while (f->bufs) {
        buf_node *next = f->bufs->next;
        free(f->bufs);
        f->bufs = next;
    }
    free(f);
    return 0;
}

/* A copy of [s, s+n) ending exactly at the end of its heap block (no NUL). */
static const char *dup_exact(fx *f, const char *s, size_t n)
{
    buf_node *b = malloc(sizeof *b + n);
    assert_non_null(b);
    memcpy(b->data, s, n);
    b->next = f->bufs;
    f->bufs = b;
    return b->data;
}

static int run_n(fx *f, gosip__parse_fn fn, const char *s, size_t n, void **out)
{
    *out = NULL;
    int rc = fn(&f->c, dup_exact(f, s, n), n, out);
    if (rc == 0)
        assert_non_null(*out);
    return rc;
}

static int run(fx *f, gosip__parse_fn fn, const char *s, void **out)
{
    return run_n(f, fn, s, strlen(s), out);
}

/* Parses s with fn and returns the value, failing the test on error. */
static void *ok(fx *f, gosip__parse_fn fn, const char *s)
{
    void *v;
    int rc = run(f, fn, s, &v);
    if (rc)
        fail_msg("\"%s\" did not parse: %d", s, rc);
    return v;
}

static void bad(fx *f, gosip__parse_fn fn, const char *s, int want)
{
    void *v;
    int rc = run(f, fn, s, &v);
    if (rc != want)
        fail_msg("\"%s\": got %d, want %d", s, rc, want);
}

static const char *print(fx *f, gosip__print_fn fn, const void *v)
{
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, f->out, sizeof f->out);
    fn(&sb, v);
    assert_true(gosip__sbuf_finish(&sb) < sizeof f->out);
    return f->out;
}

static int str_same(gosip_str a, gosip_str b)
{
    return !a.p == !b.p && a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void assert_str(gosip_str s, const char *want)
{
    if (!want) {
        assert_null(s.p);
        return;
    }
    assert_non_null(s.p);
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
}

static int params_same(const gosip_param *a, const gosip_param *b)
{
    for (; a && b; a = a->next, b = b->next)
        if (!str_same(a->name, b->name) || !str_same(a->value, b->value))
            return 0;
    return !a && !b;
}

static unsigned count_params(const gosip_param *p)
{
    unsigned n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}

/* Checks the i-th parameter's name and value (value NULL: absent). */
static void assert_param(const gosip_param *p, unsigned i, const char *name, const char *value)
{
    for (; p && i; i--)
        p = p->next;
    assert_non_null(p);
    assert_str(p->name, name);
    assert_str(p->value, value);
}

typedef int (*same_fn)(const void *a, const void *b);

/* parse(in) prints as canon, and canon parses back to an equal value. */
static void roundtrip(fx *f, gosip__parse_fn parse, gosip__print_fn prt, same_fn same,
                      const char *in, const char *canon)
{
    void *a = ok(f, parse, in);
    const char *text = print(f, prt, a);
    if (strcmp(text, canon) != 0)
        fail_msg("\"%s\" printed as \"%s\", want \"%s\"", in, text, canon);
    void *b = ok(f, parse, text);
    if (!same(a, b))
        fail_msg("\"%s\" does not re-parse to the same value", text);
}

/* The value of the first `name:` header of a test data file, trimmed, folding kept. */
static const char *file_header(fx *f, const char *rel, const char *name, size_t *n)
{
    char path[512], *data = malloc(65536);
    assert_non_null(data);
    snprintf(path, sizeof path, "%s/%s", GOSIP_TESTDATA_DIR, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s", path);
    size_t len = fread(data, 1, 65536, fp);
    fclose(fp);
    size_t nl = strlen(name), i = 0;
    while (i < len && !(len - i > nl && memcmp(data + i, name, nl) == 0 && data[i + nl] == ':')) {
        while (i < len && data[i] != '\n')
            i++;
        i++;
    }
    assert_true(i < len);
    size_t v = i + nl + 1, e = v;
    while (e < len &&
           !(data[e] == '\r' && e + 2 < len && data[e + 2] != ' ' && data[e + 2] != '\t'))
        e++;
    while (v < e && (data[v] == ' ' || data[v] == '\t'))
        v++;
    *n = e - v;
    const char *copy = dup_exact(f, data + v, *n);
    free(data);
    return copy;
}

/* ---------------------------------------------------------------- auth */

static int auth_same(const void *va, const void *vb)
{
    const gosip_auth *a = va, *b = vb;
    return str_same(a->scheme, b->scheme) && params_same(a->params, b->params);
}

static void test_auth_digest_credentials(void **state)
{
    fx *f = *state;
    const gosip_auth *a = ok(f, gosip__parse_auth,
                             "Digest username=\"bob\", realm=\"example.com\", "
                             "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                             "uri=\"sip:registrar.example.com\", qop=auth, nc=00000001, "
                             "cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
                             "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    assert_str(a->scheme, "Digest");
    assert_int_equal(count_params(a->params), 9);
    assert_param(a->params, 0, "username", "\"bob\"");
    assert_param(a->params, 3, "uri", "\"sip:registrar.example.com\"");
    assert_param(a->params, 4, "qop", "auth");
    assert_param(a->params, 5, "nc", "00000001");
    assert_param(a->params, 8, "opaque", "\"5ccc069c403ebaf9f0171e9517f40e41\"");
}

static void test_auth_digest_challenge(void **state)
{
    fx *f = *state;
    const gosip_auth *a = ok(f, gosip__parse_auth,
                             "Digest realm = \"atlanta.example.com\" ,\r\n\tqop=\"auth,auth-int\","
                             "nonce=\"84a4cc6f\", opaque=\"\", stale=FALSE, algorithm=MD5, "
                             "domain=\"sip:ss1.example.com sip:ss2.example.com\"");
    assert_int_equal(count_params(a->params), 7);
    assert_param(a->params, 0, "realm", "\"atlanta.example.com\"");
    assert_param(a->params, 1, "qop", "\"auth,auth-int\"");
    assert_param(a->params, 3, "opaque", "\"\"");
    assert_param(a->params, 4, "stale", "FALSE");
    assert_param(a->params, 6, "domain", "\"sip:ss1.example.com sip:ss2.example.com\"");
    assert_non_null(gosip_param_find(a->params, "ALGORITHM"));
}

static void test_auth_other_schemes(void **state)
{
    fx *f = *state;
    size_t n;
    const char *v = file_header(f, "rfc4475/regaut01.dat", "Authorization", &n);
    gosip_auth *a;
    assert_int_equal(gosip__parse_auth(&f->c, v, n, (void **)&a), 0);
    assert_str(a->scheme, "NoOneKnowsThisScheme");
    assert_int_equal(count_params(a->params), 1);
    assert_param(a->params, 0, "opaque-data", "here");

    a = ok(f, gosip__parse_auth, "Bearer ab12.cd-34/+~_==");
    assert_str(a->scheme, "Bearer");
    assert_int_equal(count_params(a->params), 1);
    assert_param(a->params, 0, "ab12.cd-34/+~_==", NULL);

    a = ok(f, gosip__parse_auth, "Bearer realm=");
    assert_param(a->params, 0, "realm=", NULL);

    a = ok(f, gosip__parse_auth, "Digest");
    assert_str(a->scheme, "Digest");
    assert_null(a->params);
}

static void test_auth_missing_comma(void **state)
{
    fx *f = *state;
    size_t n;
    const char *v =
        file_header(f, "rfc3665/2.1_F3_REGISTER_Bob_SIP_Server.sip", "Authorization", &n);
    gosip_auth *a;
    assert_int_equal(gosip__parse_auth(&f->c, v, n, (void **)&a), 0);
    assert_int_equal(count_params(a->params), 6);
    assert_param(a->params, 1, "realm", "\"atlanta.example.com\"");
    assert_param(a->params, 2, "nonce", "\"ea9c8e88df84f1cec4341ae6cbe5a359\"");
    assert_param(a->params, 5, "response", "\"dfe56131d1958046689d83306477ecc\"");
    a = ok(f, gosip__parse_auth, "Digest qop=auth nc=00000001");
    assert_param(a->params, 1, "nc", "00000001");
}

static void test_auth_invalid(void **state)
{
    fx *f = *state;
    static const char *const cases[] = {"",
                                        "Digest,realm=\"a\"",
                                        "Digest realm=",
                                        "Digest realm=\"a",
                                        "Digest realm=\"a\",",
                                        "Digest realm=\"a\",,nonce=\"b\"",
                                        "Digest realm=\"a\"nonce=\"b\"",
                                        "Digest realm=a b",
                                        "Digest =a",
                                        "Digest realm=<a>",
                                        "\"Digest\" realm=a",
                                        "Digest realm=\"a\", Basic realm=\"b\"",
                                        "Bearer =ab",
                                        "Digest abc",
                                        "digest abc==",
                                        "Bearer ab cd",
                                        "Bearer ab==x"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_auth, cases[i], GOSIP_ERR_PARSE);
}

static void test_auth_info(void **state)
{
    fx *f = *state;
    const gosip_auth *a = ok(f, gosip__parse_auth_info,
                             "nextnonce=\"47364c23432d2e131a5fb210812c\", qop=auth, "
                             "rspauth=\"\",cnonce=\"0a4f113b\" , nc=00000001");
    assert_null(a->scheme.p);
    assert_int_equal(count_params(a->params), 5);
    assert_param(a->params, 0, "nextnonce", "\"47364c23432d2e131a5fb210812c\"");
    assert_param(a->params, 2, "rspauth", "\"\"");
    assert_param(a->params, 4, "nc", "00000001");
    bad(f, gosip__parse_auth_info, "", GOSIP_ERR_PARSE);
    bad(f, gosip__parse_auth_info, "Digest nextnonce=\"a\"", GOSIP_ERR_PARSE);
    bad(f, gosip__parse_auth_info, "nextnonce=\"a\",", GOSIP_ERR_PARSE);
    bad(f, gosip__parse_auth_info, "abc==", GOSIP_ERR_PARSE);
}

static void test_auth_max_params(void **state)
{
    fx *f = *state;
    f->lim.max_params = 3;
    const gosip_auth *a = ok(f, gosip__parse_auth, "Digest a=1, b=2, c=3");
    assert_int_equal(count_params(a->params), 3);
    bad(f, gosip__parse_auth, "Digest a=1, b=2, c=3, d=4", GOSIP_ERR_LIMIT);
    a = ok(f, gosip__parse_auth_info, "a=1, b=2, c=3");
    assert_int_equal(count_params(a->params), 3);
    bad(f, gosip__parse_auth_info, "a=1, b=2, c=3, d=4", GOSIP_ERR_LIMIT);
    f->lim.max_params = 0;
    bad(f, gosip__parse_auth, "Bearer abc", GOSIP_ERR_LIMIT);
    ok(f, gosip__parse_auth, "Digest");
}

static void test_auth_print(void **state)
{
    fx *f = *state;
    roundtrip(f, gosip__parse_auth, gosip__print_auth, auth_same,
              "Digest  username = \"bob\",realm=\"a b\"\r\n nonce=\"x\\\"y\" ,qop=auth",
              "Digest username=\"bob\", realm=\"a b\", nonce=\"x\\\"y\", qop=auth");
    roundtrip(f, gosip__parse_auth, gosip__print_auth, auth_same,
              "NoOneKnowsThisScheme opaque-data=here", "NoOneKnowsThisScheme opaque-data=here");
    roundtrip(f, gosip__parse_auth, gosip__print_auth, auth_same,
              "Bearer x.y-z==", "Bearer x.y-z==");
    roundtrip(f, gosip__parse_auth, gosip__print_auth, auth_same, "Digest", "Digest");
    roundtrip(f, gosip__parse_auth_info, gosip__print_auth, auth_same,
              "nextnonce=\"n\" ,qop=auth,nc=00000002", "nextnonce=\"n\", qop=auth, nc=00000002");
}

/* ---------------------------------------------------------------- media */

static int media_same(const void *va, const void *vb)
{
    const gosip_media *a = va, *b = vb;
    return str_same(a->type, b->type) && str_same(a->subtype, b->subtype) &&
           params_same(a->params, b->params);
}

static void test_media_content_type(void **state)
{
    fx *f = *state;
    const gosip_media *m = ok(f, gosip__parse_media, "application/sdp");
    assert_str(m->type, "application");
    assert_str(m->subtype, "sdp");
    assert_null(m->params);
    m = ok(f, gosip__parse_media, "text/html ; charset=ISO-8859-4");
    assert_str(m->subtype, "html");
    assert_param(m->params, 0, "charset", "ISO-8859-4");
    m = ok(f, gosip__parse_media, "multipart/alternative;boundary=\"----=_Part_123\"");
    assert_param(m->params, 0, "boundary", "\"----=_Part_123\"");
    m = ok(f, gosip__parse_media, "Application \r\n / SDP;a=1;b=\"2\"");
    assert_str(m->type, "Application");
    assert_str(m->subtype, "SDP");
    assert_int_equal(count_params(m->params), 2);
}

static void test_media_content_type_invalid(void **state)
{
    fx *f = *state;
    static const char *const cases[] = {
        "",
        "application",
        "application/",
        "/sdp",
        "application/sdp;",
        "application/sdp;charset",
        "*/*",
        "text/*",
        "*/plain",
        "text/plain garbage",
        "text/plain;a=b c",
        "te xt/plain",
        "text/pl@in",
        "text/plain/x",
        "text//plain",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_media, cases[i], GOSIP_ERR_PARSE);
}

static void test_media_accept(void **state)
{
    fx *f = *state;
    const gosip_media *m = ok(f, gosip__parse_accept, "*/*");
    assert_str(m->type, "*");
    assert_str(m->subtype, "*");
    m = ok(f, gosip__parse_accept, "application/*;q=0.5");
    assert_str(m->subtype, "*");
    assert_param(m->params, 0, "q", "0.5");
    m = ok(f, gosip__parse_accept, "text/plain;level=1;q=1.0;flag");
    assert_int_equal(count_params(m->params), 3);
    assert_param(m->params, 2, "flag", NULL);
    void *v;
    assert_int_equal(run_n(f, gosip__parse_accept, "", 0, &v), 0);
    m = v;
    assert_str(m->type, "");
    assert_str(m->subtype, "");
    assert_null(m->params);
    bad(f, gosip__parse_accept, "*/sdp", GOSIP_ERR_PARSE);
    bad(f, gosip__parse_accept, "application", GOSIP_ERR_PARSE);
    bad(f, gosip__parse_accept, "application/sdp,", GOSIP_ERR_PARSE);
}

static void test_media_max_params(void **state)
{
    fx *f = *state;
    f->lim.max_params = 2;
    ok(f, gosip__parse_media, "text/plain;a=1;b=2");
    bad(f, gosip__parse_media, "text/plain;a=1;b=2;c=3", GOSIP_ERR_LIMIT);
    ok(f, gosip__parse_accept, "text/*;a=1;q=0");
    bad(f, gosip__parse_accept, "text/*;a=1;b;q=0", GOSIP_ERR_LIMIT);
}

static void test_media_print(void **state)
{
    fx *f = *state;
    roundtrip(f, gosip__parse_media, gosip__print_media, media_same,
              "text/html ; charset = ISO-8859-4", "text/html;charset=ISO-8859-4");
    roundtrip(f, gosip__parse_media, gosip__print_media, media_same,
              "multipart/mixed;boundary=\"a b\"", "multipart/mixed;boundary=\"a b\"");
    roundtrip(f, gosip__parse_accept, gosip__print_media, media_same, "*/* ; q=0.1", "*/*;q=0.1");
    void *v;
    assert_int_equal(run_n(f, gosip__parse_accept, "", 0, &v), 0);
    assert_string_equal(print(f, gosip__print_media, v), "");
}

/* ---------------------------------------------------------------- RAck */

static int rack_same(const void *va, const void *vb)
{
    const gosip_rack *a = va, *b = vb;
    return a->rseq == b->rseq && a->cseq == b->cseq && a->method == b->method &&
           str_same(a->method_name, b->method_name);
}

static void test_rack(void **state)
{
    fx *f = *state;
    const gosip_rack *r = ok(f, gosip__parse_rack, "776656 1 INVITE");
    assert_int_equal(r->rseq, 776656);
    assert_int_equal(r->cseq, 1);
    assert_int_equal(r->method, GOSIP_METHOD_INVITE);
    assert_str(r->method_name, "INVITE");
    r = ok(f, gosip__parse_rack, "4294967295 4294967295 FOO");
    assert_true(r->rseq == UINT32_MAX && r->cseq == UINT32_MAX);
    assert_int_equal(r->method, GOSIP_METHOD_UNKNOWN);
    assert_str(r->method_name, "FOO");
    r = ok(f, gosip__parse_rack, "0007\r\n 02\tinvite");
    assert_true(r->rseq == 7 && r->cseq == 2);
    assert_int_equal(r->method, GOSIP_METHOD_UNKNOWN); /* methods are case-sensitive */
    static const char *const cases[] = {"",
                                        "1",
                                        "1 2",
                                        "1 2 ",
                                        "1 2 INVITE x",
                                        "1x 2 INVITE",
                                        "-1 2 INVITE",
                                        "1 2 INV@TE",
                                        "1 2INVITE",
                                        "12 INVITE",
                                        "4294967296 1 INVITE",
                                        "1 4294967296 INVITE",
                                        "99999999999999999999 1 INVITE"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_rack, cases[i], GOSIP_ERR_PARSE);
    roundtrip(f, gosip__parse_rack, gosip__print_rack, rack_same, "0001  02   PRACK", "1 2 PRACK");
    roundtrip(f, gosip__parse_rack, gosip__print_rack, rack_same, "4294967295 0 X-Y",
              "4294967295 0 X-Y");
}

/* ---------------------------------------------------------------- Warning */

static int warning_same(const void *va, const void *vb)
{
    const gosip_warning *a = va, *b = vb;
    return a->code == b->code && str_same(a->agent, b->agent) && str_same(a->text, b->text);
}

static void test_warning(void **state)
{
    fx *f = *state;
    const gosip_warning *w = ok(f, gosip__parse_warning, "370 devnull \"Choose a bigger pipe\"");
    assert_int_equal(w->code, 370);
    assert_str(w->agent, "devnull");
    assert_str(w->text, "\"Choose a bigger pipe\"");
    w = ok(f, gosip__parse_warning, "301 192.0.2.1:5060 \"a \\\"quoted\\\" word\"");
    assert_str(w->agent, "192.0.2.1:5060");
    w = ok(f, gosip__parse_warning, "399 [2001:db8::1]:5061\r\n \"\"");
    assert_int_equal(w->code, 399);
    assert_str(w->agent, "[2001:db8::1]:5061");
    assert_str(w->text, "\"\"");
    w = ok(f, gosip__parse_warning, "099 x \"y\"");
    assert_int_equal(w->code, 99);

    size_t n;
    const char *v = file_header(f, "rfc4475/scalarlg.dat", "Warning", &n);
    assert_int_equal(gosip__parse_warning(&f->c, v, n, (void **)&w), GOSIP_ERR_PARSE);
    static const char *const cases[] = {"",
                                        "370",
                                        "1812 overture \"In Progress\"",
                                        "37 devnull \"x\"",
                                        "370 devnull x",
                                        "370 devnull \"x",
                                        "370 \"x\"",
                                        "370 devnull \"x\" extra",
                                        "370devnull \"x\"",
                                        "abc devnull \"x\"",
                                        "370 dev@null \"x\"",
                                        "370 devnull",
                                        "370 devnull \"x\"y",
                                        "370 [::1 \"x\"",
                                        "370 host:99999 \"x\""};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_warning, cases[i], GOSIP_ERR_PARSE);
    roundtrip(f, gosip__parse_warning, gosip__print_warning, warning_same,
              "007  isi.edu\t\"Session parameter 'foo' not understood\"",
              "007 isi.edu \"Session parameter 'foo' not understood\"");
    roundtrip(f, gosip__parse_warning, gosip__print_warning, warning_same,
              "399 [2001:db8::1]:5061 \"\"", "399 [2001:db8::1]:5061 \"\"");
}

/* ---------------------------------------------------------------- Date */

static int date_same(const void *va, const void *vb)
{
    const gosip_date *a = va, *b = vb;
    return a->weekday == b->weekday && a->day == b->day && a->month == b->month &&
           a->year == b->year && a->hour == b->hour && a->minute == b->minute &&
           a->second == b->second && a->epoch == b->epoch;
}

static void check_date(fx *f, const char *s, int64_t epoch, int wday, int y, int mo, int d)
{
    const gosip_date *dt = ok(f, gosip__parse_date, s);
    if (dt->epoch != epoch)
        fail_msg("\"%s\": epoch %lld, want %lld", s, (long long)dt->epoch, (long long)epoch);
    assert_int_equal(dt->weekday, wday);
    assert_true(dt->year == y && dt->month == mo && dt->day == d);
    roundtrip(f, gosip__parse_date, gosip__print_date, date_same, s, s);
}

static void test_date(void **state)
{
    fx *f = *state;
    check_date(f, "Sat, 13 Nov 2010 23:29:00 GMT", 1289690940, 6, 2010, 11, 13);
    const gosip_date *dt = ok(f, gosip__parse_date, "Sat, 13 Nov 2010 23:29:00 GMT");
    assert_true(dt->hour == 23 && dt->minute == 29 && dt->second == 0);
    check_date(f, "Thu, 01 Jan 1970 00:00:00 GMT", 0, 4, 1970, 1, 1);
    check_date(f, "Wed, 31 Dec 1969 23:59:59 GMT", -1, 3, 1969, 12, 31);
    check_date(f, "Tue, 29 Feb 2000 12:00:00 GMT", 951825600, 2, 2000, 2, 29);
    check_date(f, "Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL, 2, 2038, 1, 19);
    check_date(f, "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL, 5, 9999, 12, 31);
    check_date(f, "Sat, 01 Jan 0000 00:00:00 GMT", -62167219200LL, 6, 0, 1, 1);
    /* The weekday is redundant and kept as written. */
    dt = ok(f, gosip__parse_date, "Mon,\r\n 01 Jan 2010  16:00:00 GMT");
    assert_int_equal(dt->weekday, 1);
    assert_int_equal(dt->epoch, 1262361600);
}

static void test_date_invalid(void **state)
{
    fx *f = *state;
    size_t n;
    const char *v = file_header(f, "rfc4475/baddate.dat", "Date", &n);
    void *out;
    assert_int_equal(gosip__parse_date(&f->c, v, n, &out), GOSIP_ERR_PARSE);
    static const char *const cases[] = {"",
                                        "Fri, 01 Jan 2010 16:00:00 gmt",
                                        "Fri, 01 Jan 2010 16:00:00 UTC",
                                        "Fri, 01 Jan 2010 16:00:00",
                                        "fri, 01 Jan 2010 16:00:00 GMT",
                                        "Fri 01 Jan 2010 16:00:00 GMT",
                                        "Fri, 1 Jan 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 10 16:00:00 GMT",
                                        "Fri, 01 Jan 20100 16:00:00 GMT",
                                        "Fri, 32 Jan 2010 16:00:00 GMT",
                                        "Fri, 00 Jan 2010 16:00:00 GMT",
                                        "Thu, 29 Feb 2001 16:00:00 GMT",
                                        "Mon, 29 Feb 2100 16:00:00 GMT",
                                        "Fri, 31 Apr 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 2010 24:00:00 GMT",
                                        "Fri, 01 Jan 2010 23:60:00 GMT",
                                        "Fri, 01 Jan 2010 23:59:60 GMT",
                                        "Fri, 01 Foo 2010 16:00:00 GMT",
                                        "Fri, 01 JAN 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 2010 16:00:00 GMT x",
                                        "Fri, 01 Jan 2010 16:00:00 GMTx",
                                        "Fri, 01 Jan 2010 16:00 GMT",
                                        "Fri, 01 Jan 2010 16:0:00 GMT",
                                        "Fri,01 Jan 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 2010 16:00:00GMT",
                                        "Fri",
                                        "Fri,",
                                        "Fri, 01 Ja"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_date, cases[i], GOSIP_ERR_PARSE);
}

/* A struct holding only an epoch prints from the epoch; checked against gmtime(). */
static void test_date_print_from_epoch(void **state)
{
    fx *f = *state;
    gosip_date d;
    memset(&d, 0, sizeof d);
    d.epoch = INT64_MAX;
    assert_string_equal(print(f, gosip__print_date, &d), "Fri, 31 Dec 9999 23:59:59 GMT");
    d.epoch = INT64_MIN;
    assert_string_equal(print(f, gosip__print_date, &d), "Sat, 01 Jan 0000 00:00:00 GMT");
    /* One field out of range is enough to print from the epoch. */
    d = *(const gosip_date *)ok(f, gosip__parse_date, "Tue, 29 Feb 2000 12:00:00 GMT");
    d.year = 10000;
    assert_string_equal(print(f, gosip__print_date, &d), "Tue, 29 Feb 2000 12:00:00 GMT");
    d.year = 2000;
    d.second = 60;
    assert_string_equal(print(f, gosip__print_date, &d), "Tue, 29 Feb 2000 12:00:00 GMT");
    for (int64_t e = -2208988800LL; e < 253402300799LL; e += 86400LL * 97 + 3671) {
        time_t t = (time_t)e;
        struct tm *tm = gmtime(&t);
        assert_non_null(tm);
        char want[64];
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", tm);
        memset(&d, 0, sizeof d);
        d.epoch = e;
        const char *got = print(f, gosip__print_date, &d);
        if (strcmp(got, want) != 0)
            fail_msg("epoch %lld printed as \"%s\", want \"%s\"", (long long)e, got, want);
        const gosip_date *back = ok(f, gosip__parse_date, got);
        assert_true(back->epoch == e);
        assert_int_equal(back->weekday, tm->tm_wday);
    }
}

/* ---------------------------------------------------------------- Timestamp */

static int timestamp_same(const void *va, const void *vb)
{
    const gosip_timestamp *a = va, *b = vb;
    return str_same(a->value, b->value) && str_same(a->delay, b->delay);
}

static void test_timestamp(void **state)
{
    fx *f = *state;
    const gosip_timestamp *t = ok(f, gosip__parse_timestamp, "54");
    assert_str(t->value, "54");
    assert_null(t->delay.p);
    t = ok(f, gosip__parse_timestamp, "54.");
    assert_str(t->value, "54.");
    t = ok(f, gosip__parse_timestamp, "54.123 0.5");
    assert_str(t->value, "54.123");
    assert_str(t->delay, "0.5");
    t = ok(f, gosip__parse_timestamp, "54\r\n .25");
    assert_str(t->delay, ".25");
    t = ok(f, gosip__parse_timestamp, "1 .");
    assert_str(t->delay, ".");
    static const char *const cases[] = {"",         ".5",  "a",     "54.1.2", "54 1 2", "54 x",
                                        "54 1.2.3", "54a", "54.5.", "54,5",   "54 5a"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_timestamp, cases[i], GOSIP_ERR_PARSE);
    roundtrip(f, gosip__parse_timestamp, gosip__print_timestamp, timestamp_same, "54.0 \t 1.5",
              "54.0 1.5");
    roundtrip(f, gosip__parse_timestamp, gosip__print_timestamp, timestamp_same, "0012", "0012");
}

/* ---------------------------------------------------------------- info URIs */

static int nameaddr_same(const void *va, const void *vb)
{
    const gosip_nameaddr *a = va, *b = vb;
    return str_same(a->display, b->display) && !a->uri == !b->uri &&
           (!a->uri || (a->uri->scheme == b->uri->scheme && str_same(a->uri->raw, b->uri->raw))) &&
           params_same(a->params, b->params) && str_same(a->tag, b->tag) && a->star == b->star &&
           a->bracketed == b->bracketed;
}

static void test_info_uri(void **state)
{
    fx *f = *state;
    const gosip_nameaddr *na =
        ok(f, gosip__parse_info_uri, "<http://www.example.com/alice/photo.jpg> ;purpose=icon");
    assert_int_equal(na->bracketed, 1);
    assert_null(na->display.p);
    assert_non_null(na->uri);
    assert_int_equal(na->uri->scheme, GOSIP_URI_OTHER);
    assert_str(na->uri->raw, "http://www.example.com/alice/photo.jpg");
    assert_param(na->params, 0, "purpose", "icon");
    assert_null(na->tag.p);
    na = ok(f, gosip__parse_info_uri, "<sip:not-in-service@atlanta.example.com>");
    assert_int_equal(na->uri->scheme, GOSIP_URI_SIP);
    assert_str(na->uri->host, "atlanta.example.com");
    assert_null(na->params);
    na = ok(f, gosip__parse_info_uri, "<sip:a@b;lr>;tag=x;appearance=2");
    assert_str(na->tag, "x");
    assert_int_equal(count_params(na->params), 2);
    assert_non_null(gosip_uri_param(na->uri, "lr"));
    static const char *const cases[] = {
        "",
        "<",
        "http://x.example",
        "<http://x.example",
        "<>",
        "<http://x.example> junk",
        "<http://x.example>;",
        "<not a uri>",
        "\"Name\" <http://x.example>",
        "<http://x.example>>",
        "< http://x.example>",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_info_uri, cases[i], GOSIP_ERR_PARSE);
    f->lim.max_params = 2;
    ok(f, gosip__parse_info_uri, "<http://x.example>;a;b=1");
    bad(f, gosip__parse_info_uri, "<http://x.example>;a;b=1;c", GOSIP_ERR_LIMIT);
    f->lim.max_params = GOSIP_DEFAULT_MAX_PARAMS;
    roundtrip(f, gosip__parse_info_uri, gosip__print_nameaddr, nameaddr_same,
              "<http://www.example.com/sounds/moo.wav> ; purpose = info",
              "<http://www.example.com/sounds/moo.wav>;purpose=info");
}

/* ---------------------------------------------------------------- MIME-Version and Privacy */

static int text_same(const void *va, const void *vb)
{
    return str_same(((const gosip_text *)va)->text, ((const gosip_text *)vb)->text);
}

static int token_same(const void *va, const void *vb)
{
    const gosip_token *a = va, *b = vb;
    return str_same(a->token, b->token) && params_same(a->params, b->params);
}

static void test_mime_version(void **state)
{
    fx *f = *state;
    const gosip_text *t = ok(f, gosip__parse_mime_version, "1.0");
    assert_str(t->text, "1.0");
    t = ok(f, gosip__parse_mime_version, "10.25");
    assert_str(t->text, "10.25");
    static const char *const cases[] = {"",     "1",    "1.",  ".0",    "1.0a",
                                        "1 .0", "1. 0", "a.b", "1.0.1", "1,0"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_mime_version, cases[i], GOSIP_ERR_PARSE);
    roundtrip(f, gosip__parse_mime_version, gosip__print_text, text_same, "1.0", "1.0");
}

static void test_privacy(void **state)
{
    fx *f = *state;
    const gosip_token *t = ok(f, gosip__parse_privacy, "id");
    assert_str(t->token, "id");
    assert_null(t->params);
    t = ok(f, gosip__parse_privacy, "user ; session;critical");
    assert_str(t->token, "user");
    assert_int_equal(count_params(t->params), 2);
    assert_param(t->params, 0, "session", NULL);
    assert_param(t->params, 1, "critical", NULL);
    static const char *const cases[] = {"",      ";id",       "id;", "id;foo=bar",
                                        "id id", "id,header", "i@d", "id;;none"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, gosip__parse_privacy, cases[i], GOSIP_ERR_PARSE);
    f->lim.max_params = 2;
    ok(f, gosip__parse_privacy, "header;session;id");
    bad(f, gosip__parse_privacy, "header;session;id;user", GOSIP_ERR_LIMIT);
    roundtrip(f, gosip__parse_privacy, gosip__print_token, token_same, "header ;\r\n id",
              "header;id");
}

/* ---------------------------------------------------------------- allocation failure */

static void *fail_malloc(size_t size, void *ud)
{
    (void)size;
    (void)ud;
    return NULL;
}

static void test_nomem(void **state)
{
    fx *f = *state;
    static const gosip_mem failing = {NULL, fail_malloc, NULL, NULL, NULL};
    gosip__arena_free(&f->arena);
    gosip__arena_init(&f->arena, &failing, NULL, 0);
    static const struct {
        gosip__parse_fn fn;
        const char *in;
    } cases[] = {
        {gosip__parse_auth, "Digest realm=\"a\""},
        {gosip__parse_auth_info, "qop=auth"},
        {gosip__parse_media, "text/plain"},
        {gosip__parse_accept, ""},
        {gosip__parse_rack, "1 2 INVITE"},
        {gosip__parse_warning, "370 a \"b\""},
        {gosip__parse_date, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {gosip__parse_timestamp, "1"},
        {gosip__parse_info_uri, "<sip:a@b>"},
        {gosip__parse_mime_version, "1.0"},
        {gosip__parse_privacy, "id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(f, cases[i].fn, cases[i].in, GOSIP_ERR_NOMEM);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_auth_digest_credentials),
        T(test_auth_digest_challenge),
        T(test_auth_other_schemes),
        T(test_auth_missing_comma),
        T(test_auth_invalid),
        T(test_auth_info),
        T(test_auth_max_params),
        T(test_auth_print),
        T(test_media_content_type),
        T(test_media_content_type_invalid),
        T(test_media_accept),
        T(test_media_max_params),
        T(test_media_print),
        T(test_rack),
        T(test_warning),
        T(test_date),
        T(test_date_invalid),
        T(test_date_print_from_epoch),
        T(test_timestamp),
        T(test_info_uri),
        T(test_mime_version),
        T(test_privacy),
        T(test_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
