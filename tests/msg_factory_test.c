/* Message factories: RFC 3261 8.1.1 requests, 8.2.6 responses, 9.1 CANCEL, 17.1.1.3 ACK. */
#include "testutil.h"

#define BUF_MAX 70000
#define ALPHABET "abcdefghijklmnopqrstuvwxyz234567" /* as documented for gosip_random_token */

/* ---------------------------------------------------------------- helpers */

/* A deterministic byte stream (an LCG) that counts what it is asked for. */
typedef struct rng {
    uint32_t state;
    size_t calls, bytes;
} rng;

static void det_random(void *buf, size_t len, void *ud)
{
    rng *r = ud;
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        r->state = r->state * 1103515245u + 12345u;
        p[i] = (unsigned char)(r->state >> 16);
    }
    r->calls++;
    r->bytes += len;
}

static gosip_msg *parse_mem(const char *s, size_t n, const gosip_mem *mem)
{
    gosip_parse_opts po;
    memset(&po, 0, sizeof po);
    po.mem = mem;
    gosip_msg *m = NULL;
    gosip_parse_error err;
    memset(&err, 0, sizeof err);
    if (gosip_msg_parse(&m, s, n, &po, &err) != 0)
        fail_msg("did not parse (%s):\n%.*s", err.reason ? err.reason : "?", (int)n, s);
    return m;
}

static gosip_msg *parse_str(const char *s)
{
    return parse_mem(s, strlen(s), NULL);
}

/* Prints a built message and parses it back: assertions then see the wire form. */
static gosip_msg *reparse(const gosip_msg *m)
{
    static char buf[BUF_MAX];
    size_t n = gosip_msg_print(m, buf, sizeof buf);
    assert_true(n > 0 && n < sizeof buf);
    gosip_msg *w = parse_str(buf);
    gosip_parse_error d;
    if (gosip_msg_defect(w, &d))
        fail_msg("printed message has a defect (%s):\n%s", d.reason, buf);
    return w;
}

static int in_alphabet(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!p[i] || !strchr(ALPHABET, p[i]))
            return 0;
    return 1;
}

static void assert_same_values(const gosip_msg *a, const gosip_msg *b, gosip_hdr_kind kind)
{
    char x[4096], y[4096];
    assert_string_equal(tu_hdr_values(a, kind, x, sizeof x), tu_hdr_values(b, kind, y, sizeof y));
}

static void assert_valid(const gosip_msg *m)
{
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(m, GOSIP_ROLE_UAS, NULL, &v), 0);
    if (v.status != 0)
        fail_msg("UAS verdict %d: %s", v.status, v.detail);
    assert_int_equal(gosip_msg_validate(m, GOSIP_ROLE_PROXY, NULL, &v), 0);
    if (v.status != 0)
        fail_msg("proxy verdict %d: %s", v.status, v.detail);
}

static gosip_request_spec invite_spec(rng *r)
{
    gosip_request_spec s;
    memset(&s, 0, sizeof s);
    s.method = GOSIP_METHOD_INVITE;
    s.request_uri = GOSIP_STR("sip:bob@biloxi.example.com");
    s.from = GOSIP_STR("Alice <sip:alice@atlanta.example.com>");
    s.to = GOSIP_STR("Bob <sip:bob@biloxi.example.com>");
    s.call_id_host = GOSIP_STR("pc33.atlanta.example.com");
    s.cseq = 314159;
    s.via_transport = GOSIP_STR("TCP");
    s.via_host = GOSIP_STR("pc33.atlanta.example.com");
    s.via_port = 5060;
    s.contact = GOSIP_STR("<sip:alice@pc33.atlanta.example.com>");
    s.max_forwards = -1;
    s.random = det_random;
    s.random_ud = r;
    return s;
}

static gosip_msg *build_request(const gosip_request_spec *s)
{
    gosip_msg *m = NULL;
    int rc = gosip_msg_new_request(&m, NULL, s);
    if (rc)
        fail_msg("gosip_msg_new_request: %s", gosip_err_name(rc));
    gosip_msg *w = reparse(m);
    gosip_msg_unref(m);
    return w;
}

/* ---------------------------------------------------------------- requests (8.1.1) */

static void test_request_headers(void **state)
{
    (void)state;
    rng r = {.state = 1};
    gosip_request_spec s = invite_spec(&r);
    gosip_msg *m = build_request(&s);

    assert_true(gosip_msg_is_request(m));
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_INVITE);
    assert_true(tu_str_is(gosip_msg_version(m), "SIP/2.0"));
    assert_true(tu_str_is(gosip_msg_request_uri(m)->raw, "sip:bob@biloxi.example.com"));

    /* Via: one value, sent-by as given, z9hG4bK branch plus 80 random bits, rport flag. */
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 1);
    const gosip_via *via = gosip_msg_via(m);
    assert_non_null(via);
    assert_true(tu_str_is(via->protocol, "SIP") && tu_str_is(via->version, "2.0"));
    assert_true(tu_str_is(via->transport, "TCP"));
    assert_true(tu_str_is(via->host, "pc33.atlanta.example.com"));
    assert_int_equal(via->port, 5060);
    assert_int_equal(via->branch.n, 7 + 16);
    assert_memory_equal(via->branch.p, "z9hG4bK", 7);
    assert_true(in_alphabet(via->branch.p + 7, 16));
    assert_int_equal(via->rport, 0);

    assert_int_equal(gosip_msg_max_forwards(m), 70);

    const gosip_nameaddr *to = gosip_msg_to(m);
    assert_true(tu_str_is(to->uri->raw, "sip:bob@biloxi.example.com"));
    assert_true(tu_str_is(to->display, "Bob"));
    assert_null(to->tag.p);

    const gosip_nameaddr *from = gosip_msg_from(m);
    assert_true(tu_str_is(from->uri->raw, "sip:alice@atlanta.example.com"));
    assert_true(tu_str_is(from->display, "Alice"));
    assert_int_equal(from->tag.n, 10);
    assert_true(in_alphabet(from->tag.p, from->tag.n));

    /* Call-ID: 26 characters of 5 bits (at least 128 bits), then @host. */
    gosip_str id = gosip_msg_call_id(m);
    assert_int_equal(id.n, 26 + 1 + strlen("pc33.atlanta.example.com"));
    assert_true(in_alphabet(id.p, 26));
    assert_memory_equal(id.p + 26, "@pc33.atlanta.example.com", id.n - 26);

    assert_int_equal(gosip_msg_cseq(m)->seq, 314159);
    assert_int_equal(gosip_msg_cseq(m)->method, GOSIP_METHOD_INVITE);
    assert_true(tu_str_is(gosip_msg_cseq(m)->method_name, "INVITE"));
    assert_true(tu_str_is(gosip_msg_contact(m)->uri->raw, "sip:alice@pc33.atlanta.example.com"));

    const gosip_hdr *cl = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH);
    assert_non_null(cl);
    assert_int_equal(gosip_hdr_uint(cl)->value, 0);
    assert_int_equal(gosip_msg_body(m).n, 0);

    /* Each random value came from the given source. */
    assert_true(r.bytes >= 16 + 10 + 26);
    assert_valid(m);
    gosip_msg_unref(m);
}

static void test_request_randomness(void **state)
{
    (void)state;
    static char a[4096], b[4096];
    rng r1 = {.state = 7}, r2 = {.state = 7}, r3 = {.state = 8};
    gosip_request_spec s1 = invite_spec(&r1), s2 = invite_spec(&r2), s3 = invite_spec(&r3);
    gosip_msg *m1 = NULL, *m2 = NULL, *m3 = NULL;
    assert_int_equal(gosip_msg_new_request(&m1, NULL, &s1), 0);
    assert_int_equal(gosip_msg_new_request(&m2, NULL, &s2), 0);
    assert_int_equal(gosip_msg_new_request(&m3, NULL, &s3), 0);
    /* Same seed, same bytes. */
    gosip_msg_print(m1, a, sizeof a);
    gosip_msg_print(m2, b, sizeof b);
    assert_string_equal(a, b);

    gosip_msg *w1 = reparse(m1), *w3 = reparse(m3);
    assert_false(gosip_str_eq(gosip_msg_call_id(w1), gosip_msg_call_id(w3)));
    assert_false(gosip_str_eq(gosip_msg_from(w1)->tag, gosip_msg_from(w3)->tag));
    assert_false(gosip_str_eq(gosip_msg_via(w1)->branch, gosip_msg_via(w3)->branch));
    /* Tag, branch and Call-ID are drawn separately. */
    gosip_str tag = gosip_msg_from(w1)->tag, branch = gosip_msg_via(w1)->branch;
    assert_true(memcmp(tag.p, branch.p + 7, tag.n) != 0);
    assert_true(memcmp(tag.p, gosip_msg_call_id(w1).p, tag.n) != 0);

    /* The system source (NULL function) gives different values each time. */
    s1.random = NULL;
    s1.random_ud = NULL;
    gosip_msg *n1 = build_request(&s1), *n2 = build_request(&s1);
    assert_false(gosip_str_eq(gosip_msg_call_id(n1), gosip_msg_call_id(n2)));
    assert_false(gosip_str_eq(gosip_msg_from(n1)->tag, gosip_msg_from(n2)->tag));
    assert_true(in_alphabet(gosip_msg_from(n1)->tag.p, gosip_msg_from(n1)->tag.n));
    gosip_msg_unref(n1);
    gosip_msg_unref(n2);
    gosip_msg_unref(w1);
    gosip_msg_unref(w3);
    gosip_msg_unref(m1);
    gosip_msg_unref(m2);
    gosip_msg_unref(m3);
}

static void test_request_defaults(void **state)
{
    (void)state;
    rng r = {.state = 3};
    gosip_request_spec s;
    memset(&s, 0, sizeof s);
    s.method = GOSIP_METHOD_UNKNOWN;
    s.method_name = GOSIP_STR("FOO");
    s.request_uri = GOSIP_STR("sip:svc@example.net");
    s.from = GOSIP_STR("<sip:a@example.com>;tag=given1");
    s.to = GOSIP_STR("sip:svc@example.net");
    s.call_id = GOSIP_STR("fixed-call-id@example.com");
    s.via_host = GOSIP_STR("192.0.2.4");
    s.max_forwards = -5;
    s.random = det_random;
    s.random_ud = &r;
    gosip_msg *m = build_request(&s);
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_UNKNOWN);
    assert_true(tu_str_is(gosip_msg_method_name(m), "FOO"));
    assert_true(tu_str_is(gosip_msg_via(m)->transport, "UDP"));
    assert_int_equal(gosip_msg_via(m)->port, -1);
    assert_int_equal(gosip_msg_via(m)->host_type, GOSIP_HOST_IPV4);
    assert_int_equal(gosip_msg_max_forwards(m), 70);
    assert_int_equal(gosip_msg_cseq(m)->seq, 1);
    assert_true(tu_str_is(gosip_msg_cseq(m)->method_name, "FOO"));
    assert_true(tu_str_is(gosip_msg_call_id(m), "fixed-call-id@example.com"));
    assert_true(tu_str_is(gosip_msg_from(m)->tag, "given1"));
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_FROM), 1);
    assert_null(gosip_msg_hdr(m, GOSIP_HDR_CONTACT));
    /* Only the branch was random: neither tag nor Call-ID were asked for. */
    assert_int_equal(r.bytes, 16);
    gosip_msg_unref(m);

    /* Call-ID without a host part; Max-Forwards 0 is a legal choice. */
    s.call_id = GOSIP_STR_NULL;
    s.call_id_host = GOSIP_STR_NULL;
    s.max_forwards = 0;
    m = build_request(&s);
    assert_int_equal(gosip_msg_call_id(m).n, 26);
    assert_true(in_alphabet(gosip_msg_call_id(m).p, 26));
    assert_int_equal(gosip_msg_max_forwards(m), 0);
    gosip_msg_unref(m);
}

static void expect_request_error(const gosip_request_spec *s, int err)
{
    gosip_msg *sentinel = (gosip_msg *)(uintptr_t)0x1234, *m = sentinel;
    assert_int_equal(gosip_msg_new_request(&m, NULL, s), err);
    assert_ptr_equal(m, sentinel);
}

static void test_request_errors(void **state)
{
    (void)state;
    rng r = {.state = 5};
    gosip_request_spec good = invite_spec(&r), s;
    s = good, s.via_host = GOSIP_STR_NULL;
    expect_request_error(&s, GOSIP_ERR_INVALID_ARG);
    s = good, s.request_uri = GOSIP_STR_NULL;
    expect_request_error(&s, GOSIP_ERR_INVALID_ARG);
    s = good, s.from = GOSIP_STR_NULL;
    expect_request_error(&s, GOSIP_ERR_INVALID_ARG);
    s = good, s.to = GOSIP_STR_NULL;
    expect_request_error(&s, GOSIP_ERR_INVALID_ARG);
    s = good, s.method = GOSIP_METHOD_UNKNOWN;
    expect_request_error(&s, GOSIP_ERR_INVALID_ARG);
    s = good, s.via_port = 65536;
    expect_request_error(&s, GOSIP_ERR_INVALID_ARG);
    s = good, s.max_forwards = 256;
    expect_request_error(&s, GOSIP_ERR_INVALID_ARG);
    s = good, s.request_uri = GOSIP_STR("sip:bob@exa mple.com");
    expect_request_error(&s, GOSIP_ERR_PARSE);
    s = good, s.from = GOSIP_STR("<sip:alice@atlanta.example.com");
    expect_request_error(&s, GOSIP_ERR_PARSE);
    s = good, s.method = GOSIP_METHOD_UNKNOWN, s.method_name = GOSIP_STR("BAD METHOD");
    expect_request_error(&s, GOSIP_ERR_PARSE);
    expect_request_error(NULL, GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_new_request(NULL, NULL, &good), GOSIP_ERR_INVALID_ARG);
    /* Boundaries that are fine. */
    s = good, s.via_port = 65535, s.max_forwards = 255;
    gosip_msg *m = build_request(&s);
    assert_int_equal(gosip_msg_via(m)->port, 65535);
    assert_int_equal(gosip_msg_max_forwards(m), 255);
    gosip_msg_unref(m);
}

static void test_random_token(void **state)
{
    (void)state;
    char buf[101];
    rng r = {.state = 42}, copy = r;
    memset(buf, '#', sizeof buf);
    gosip_random_token(buf, 100, det_random, &r);
    assert_int_equal(buf[100], '#'); /* no NUL, nothing past len */
    /* Each character is the alphabet letter of one random byte's low 5 bits. */
    unsigned char raw[100];
    size_t at = 0;
    while (at < sizeof raw) {
        size_t n = sizeof raw - at < 64 ? sizeof raw - at : 64;
        det_random(raw + at, n, &copy);
        at += n;
    }
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(buf[i], ALPHABET[raw[i] & 31]);
    /* len 0 writes nothing and asks for nothing. */
    size_t calls = r.calls;
    memset(buf, '#', sizeof buf);
    gosip_random_token(buf, 0, det_random, &r);
    assert_int_equal(buf[0], '#');
    assert_int_equal(r.calls, calls);
    /* The system source. */
    char x[32], y[32];
    gosip_random_token(x, sizeof x, NULL, NULL);
    gosip_random_token(y, sizeof y, NULL, NULL);
    assert_true(in_alphabet(x, sizeof x));
    assert_true(memcmp(x, y, sizeof x) != 0);
}

/* ---------------------------------------------------------------- responses (8.2.6) */

#define INVITE_TEXT                                                                                \
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"                                                \
    "Via: SIP/2.0/UDP bigbox3.site3.example.com;branch=z9hG4bK77ef4c2312983.1\r\n"                 \
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n"       \
    "Max-Forwards: 10\r\n"                                                                         \
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"                                  \
    "Route: <sip:p3.example.com;lr>\r\n"                                                           \
    "To: Bob <sip:bob@biloxi.example.com>\r\n"                                                     \
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"                               \
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"                                         \
    "CSeq: 314159 INVITE\r\n"                                                                      \
    "Timestamp: 54.5 0.1\r\n"                                                                      \
    "Require: 100rel\r\n"                                                                          \
    "Proxy-Require: foo\r\n"                                                                       \
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"                                            \
    "Content-Type: application/sdp\r\n"                                                            \
    "Content-Length: 5\r\n"                                                                        \
    "\r\n"                                                                                         \
    "v=0\r\n"

static gosip_msg *respond(const gosip_msg *req, int status, gosip_str reason, gosip_str tag)
{
    gosip_msg *r = NULL;
    int rc = gosip_msg_new_response(&r, req, status, reason, tag);
    if (rc)
        fail_msg("gosip_msg_new_response: %s", gosip_err_name(rc));
    gosip_msg *w = reparse(r);
    gosip_msg_unref(r);
    return w;
}

static void test_response_headers(void **state)
{
    (void)state;
    gosip_msg *req = parse_str(INVITE_TEXT);
    gosip_msg *r = respond(req, 180, GOSIP_STR_NULL, GOSIP_STR("a6c85cf"));
    assert_false(gosip_msg_is_request(r));
    assert_int_equal(gosip_msg_status(r), 180);
    assert_true(tu_str_is(gosip_msg_reason(r), gosip_reason_phrase(180)));
    assert_true(tu_str_is(gosip_msg_version(r), "SIP/2.0"));
    /* Every Via, equal and in order. */
    assert_int_equal(gosip_msg_hdr_count(r, GOSIP_HDR_VIA), 2);
    assert_same_values(r, req, GOSIP_HDR_VIA);
    assert_same_values(r, req, GOSIP_HDR_FROM);
    assert_same_values(r, req, GOSIP_HDR_CALL_ID);
    assert_same_values(r, req, GOSIP_HDR_CSEQ);
    assert_same_values(r, req, GOSIP_HDR_TIMESTAMP);
    /* To: same URI, plus our tag. */
    assert_true(gosip_uri_equal(gosip_msg_to(r)->uri, gosip_msg_to(req)->uri));
    assert_true(tu_str_is(gosip_msg_to(r)->tag, "a6c85cf"));
    /* Nothing else is copied; no body. */
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_ROUTE));
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_REQUIRE));
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_CONTACT));
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_CONTENT_TYPE));
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(r, GOSIP_HDR_CONTENT_LENGTH))->value, 0);
    assert_int_equal(gosip_msg_body(r).n, 0);
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(r, GOSIP_ROLE_PROXY, NULL, &v), 0);
    assert_int_equal(v.status, 0);
    gosip_msg_unref(r);

    /* A reason phrase of our own. */
    r = respond(req, 486, GOSIP_STR("Busy Elsewhere"), GOSIP_STR("t"));
    assert_true(tu_str_is(gosip_msg_reason(r), "Busy Elsewhere"));
    gosip_msg_unref(r);
    gosip_msg_unref(req);
}

static void test_response_to_tag(void **state)
{
    (void)state;
    gosip_msg *req = parse_str(INVITE_TEXT);
    /* 100 Trying may go without the tag (RFC 3261 8.2.6.2). */
    gosip_msg *r = respond(req, 100, GOSIP_STR_NULL, GOSIP_STR("a6c85cf"));
    assert_null(gosip_msg_to(r)->tag.p);
    assert_same_values(r, req, GOSIP_HDR_TIMESTAMP);
    gosip_msg_unref(r);
    /* No tag given: none added. */
    r = respond(req, 200, GOSIP_STR_NULL, GOSIP_STR_NULL);
    assert_null(gosip_msg_to(r)->tag.p);
    gosip_msg_unref(r);
    gosip_msg_unref(req);

    /* A request inside a dialog keeps its To tag. */
    req = parse_str("BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
                    "To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                    "Call-ID: a84b4c76e66710\r\n"
                    "CSeq: 231 BYE\r\n"
                    "Content-Length: 0\r\n\r\n");
    r = respond(req, 200, GOSIP_STR_NULL, GOSIP_STR("other"));
    assert_true(tu_str_is(gosip_msg_to(r)->tag, "1928301774"));
    assert_same_values(r, req, GOSIP_HDR_TO);
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_TIMESTAMP));
    gosip_msg_unref(r);
    gosip_msg_unref(req);
}

static void test_response_errors(void **state)
{
    (void)state;
    gosip_msg *req = parse_str(INVITE_TEXT);
    gosip_msg *sentinel = (gosip_msg *)(uintptr_t)0x1234, *r = sentinel;
    assert_int_equal(gosip_msg_new_response(&r, req, 99, GOSIP_STR_NULL, GOSIP_STR_NULL),
                     GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_new_response(&r, req, 700, GOSIP_STR_NULL, GOSIP_STR_NULL),
                     GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_new_response(&r, NULL, 200, GOSIP_STR_NULL, GOSIP_STR_NULL),
                     GOSIP_ERR_INVALID_ARG);
    assert_ptr_equal(r, sentinel);
    /* A response is not answered, and neither is an ACK. */
    gosip_msg *resp = respond(req, 200, GOSIP_STR_NULL, GOSIP_STR("x"));
    assert_int_equal(gosip_msg_new_response(&r, resp, 200, GOSIP_STR_NULL, GOSIP_STR_NULL),
                     GOSIP_ERR_INVALID_ARG);
    gosip_msg *ack = parse_str("ACK sip:bob@biloxi.example.com SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKa\r\n"
                               "To: <sip:bob@biloxi.example.com>;tag=1\r\n"
                               "From: <sip:alice@atlanta.example.com>;tag=2\r\n"
                               "Call-ID: x1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(gosip_msg_new_response(&r, ack, 200, GOSIP_STR_NULL, GOSIP_STR_NULL),
                     GOSIP_ERR_INVALID_ARG);
    assert_ptr_equal(r, sentinel);
    /* Edges that are fine. */
    gosip_msg *e = respond(req, 699, GOSIP_STR_NULL, GOSIP_STR_NULL);
    assert_int_equal(gosip_msg_status(e), 699);
    gosip_msg_unref(e);
    gosip_msg_unref(ack);
    gosip_msg_unref(resp);
    gosip_msg_unref(req);
}

static void test_response_allocator(void **state)
{
    (void)state;
    tu_failmem fm;
    tu_failmem_init(&fm, -1);
    gosip_msg *req = parse_mem(INVITE_TEXT, strlen(INVITE_TEXT), &fm.mem);
    long before = fm.calls;
    gosip_msg *r = NULL;
    assert_int_equal(gosip_msg_new_response(&r, req, 200, GOSIP_STR_NULL, GOSIP_STR("t")), 0);
    assert_true(fm.calls > before);
    gosip_msg_unref(r);
    gosip_msg_unref(req);
}

/* Runs one factory under an allocator failing at the n-th allocation, for every n. */
typedef int (*factory_fn)(gosip_msg **out, const gosip_msg *req, const gosip_msg *resp,
                          const gosip_mem *mem);

static int make_request(gosip_msg **out, const gosip_msg *req, const gosip_msg *resp,
                        const gosip_mem *mem)
{
    (void)req, (void)resp;
    rng r = {.state = 9};
    gosip_request_spec s = invite_spec(&r);
    return gosip_msg_new_request(out, mem, &s);
}

static int make_response(gosip_msg **out, const gosip_msg *req, const gosip_msg *resp,
                         const gosip_mem *mem)
{
    (void)resp, (void)mem;
    return gosip_msg_new_response(out, req, 180, GOSIP_STR_NULL, GOSIP_STR("abc"));
}

static int make_cancel(gosip_msg **out, const gosip_msg *req, const gosip_msg *resp,
                       const gosip_mem *mem)
{
    (void)resp, (void)mem;
    return gosip_msg_new_cancel(out, req);
}

static int make_ack(gosip_msg **out, const gosip_msg *req, const gosip_msg *resp,
                    const gosip_mem *mem)
{
    (void)mem;
    return gosip_msg_new_ack(out, req, resp);
}

static void walk_failures(factory_fn fn)
{
    tu_failmem fm;
    tu_failmem_init(&fm, -1);
    gosip_msg *req = parse_mem(INVITE_TEXT, strlen(INVITE_TEXT), &fm.mem), *resp = NULL;
    assert_int_equal(gosip_msg_new_response(&resp, req, 486, GOSIP_STR_NULL, GOSIP_STR("t")), 0);
    for (long n = 0;; n++) {
        assert_true(n < 1000);
        fm.fail_at = fm.calls + n;
        fm.failed = 0;
        gosip_msg *sentinel = (gosip_msg *)(uintptr_t)0x1234, *m = sentinel;
        int rc = fn(&m, req, resp, &fm.mem);
        if (rc == 0) {
            assert_int_equal(fm.failed, 0); /* success only when nothing was refused */
            gosip_msg_unref(m);
            break;
        }
        assert_int_equal(rc, GOSIP_ERR_NOMEM);
        assert_ptr_equal(m, sentinel);
        assert_true(fm.failed > 0);
    }
    fm.fail_at = -1;
    gosip_msg_unref(resp);
    gosip_msg_unref(req);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    walk_failures(make_request);
    walk_failures(make_response);
    walk_failures(make_cancel);
    walk_failures(make_ack);
}

/* ---------------------------------------------------------------- CANCEL (9.1) */

static void test_cancel(void **state)
{
    (void)state;
    gosip_msg *req = parse_str(INVITE_TEXT), *c = NULL;
    assert_int_equal(gosip_msg_new_cancel(&c, req), 0);
    gosip_msg *w = reparse(c);
    gosip_msg_unref(c);
    assert_int_equal(gosip_msg_method(w), GOSIP_METHOD_CANCEL);
    assert_true(gosip_str_eq(gosip_msg_request_uri(w)->raw, gosip_msg_request_uri(req)->raw));
    /* Only the top Via, equal to the request's. */
    assert_int_equal(gosip_msg_hdr_count(w, GOSIP_HDR_VIA), 1);
    assert_true(gosip_str_eq(gosip_hdr_value(gosip_msg_hdr(w, GOSIP_HDR_VIA)),
                             gosip_hdr_value(gosip_msg_hdr(req, GOSIP_HDR_VIA))));
    assert_same_values(w, req, GOSIP_HDR_TO);
    assert_same_values(w, req, GOSIP_HDR_FROM);
    assert_same_values(w, req, GOSIP_HDR_CALL_ID);
    assert_int_equal(gosip_msg_hdr_count(w, GOSIP_HDR_ROUTE), 3);
    assert_same_values(w, req, GOSIP_HDR_ROUTE);
    assert_int_equal(gosip_msg_cseq(w)->seq, 314159);
    assert_int_equal(gosip_msg_cseq(w)->method, GOSIP_METHOD_CANCEL);
    assert_int_equal(gosip_msg_max_forwards(w), 70);
    /* No Require / Proxy-Require, no body. */
    assert_null(gosip_msg_hdr(w, GOSIP_HDR_REQUIRE));
    assert_null(gosip_msg_hdr(w, GOSIP_HDR_PROXY_REQUIRE));
    assert_null(gosip_msg_hdr(w, GOSIP_HDR_CONTENT_TYPE));
    assert_null(gosip_msg_hdr(w, GOSIP_HDR_CONTACT));
    assert_int_equal(gosip_msg_body(w).n, 0);
    assert_non_null(gosip_msg_hdr(w, GOSIP_HDR_CONTENT_LENGTH));
    assert_valid(w);
    gosip_msg_unref(w);
    gosip_msg_unref(req);
}

static void test_cancel_errors(void **state)
{
    (void)state;
    gosip_msg *sentinel = (gosip_msg *)(uintptr_t)0x1234, *c = sentinel;
    gosip_msg *req = parse_str(INVITE_TEXT);
    gosip_msg *resp = respond(req, 180, GOSIP_STR_NULL, GOSIP_STR("t"));
    assert_int_equal(gosip_msg_new_cancel(&c, resp), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_new_cancel(&c, NULL), GOSIP_ERR_INVALID_ARG);
    gosip_msg *cancel = NULL;
    assert_int_equal(gosip_msg_new_cancel(&cancel, req), 0);
    assert_int_equal(gosip_msg_new_cancel(&c, cancel), GOSIP_ERR_INVALID_ARG);
    /* Without the headers a CANCEL must repeat, there is nothing to build it from. */
    gosip_msg *no_cseq = parse_str("OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n"
                                   "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKq\r\n"
                                   "To: <sip:bob@biloxi.example.com>\r\n"
                                   "From: <sip:alice@atlanta.example.com>;tag=2\r\n"
                                   "Call-ID: x2\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(gosip_msg_new_cancel(&c, no_cseq), GOSIP_ERR_INVALID_ARG);
    assert_ptr_equal(c, sentinel);
    gosip_msg_unref(no_cseq);
    gosip_msg_unref(cancel);
    gosip_msg_unref(resp);
    gosip_msg_unref(req);
}

/* ---------------------------------------------------------------- ACK (17.1.1.3) */

static void test_ack(void **state)
{
    (void)state;
    gosip_msg *inv = parse_str(INVITE_TEXT);
    gosip_msg *busy = respond(inv, 486, GOSIP_STR_NULL, GOSIP_STR("314159"));
    gosip_msg *a = NULL;
    assert_int_equal(gosip_msg_new_ack(&a, inv, busy), 0);
    gosip_msg *w = reparse(a);
    gosip_msg_unref(a);
    assert_int_equal(gosip_msg_method(w), GOSIP_METHOD_ACK);
    assert_true(gosip_str_eq(gosip_msg_request_uri(w)->raw, gosip_msg_request_uri(inv)->raw));
    assert_int_equal(gosip_msg_hdr_count(w, GOSIP_HDR_VIA), 1);
    assert_true(gosip_str_eq(gosip_hdr_value(gosip_msg_hdr(w, GOSIP_HDR_VIA)),
                             gosip_hdr_value(gosip_msg_hdr(inv, GOSIP_HDR_VIA))));
    /* To from the response, tag included; the rest from the INVITE. */
    assert_same_values(w, busy, GOSIP_HDR_TO);
    assert_true(tu_str_is(gosip_msg_to(w)->tag, "314159"));
    assert_same_values(w, inv, GOSIP_HDR_FROM);
    assert_same_values(w, inv, GOSIP_HDR_CALL_ID);
    assert_same_values(w, inv, GOSIP_HDR_ROUTE);
    assert_int_equal(gosip_msg_cseq(w)->seq, 314159);
    assert_int_equal(gosip_msg_cseq(w)->method, GOSIP_METHOD_ACK);
    assert_int_equal(gosip_msg_max_forwards(w), 70);
    assert_null(gosip_msg_hdr(w, GOSIP_HDR_REQUIRE));
    assert_null(gosip_msg_hdr(w, GOSIP_HDR_CONTENT_TYPE));
    assert_int_equal(gosip_msg_body(w).n, 0);
    assert_valid(w);
    gosip_msg_unref(w);
    gosip_msg_unref(busy);
    gosip_msg_unref(inv);
}

static void test_ack_errors(void **state)
{
    (void)state;
    gosip_msg *sentinel = (gosip_msg *)(uintptr_t)0x1234, *a = sentinel;
    gosip_msg *inv = parse_str(INVITE_TEXT);
    gosip_msg *ok = respond(inv, 200, GOSIP_STR_NULL, GOSIP_STR("t"));
    gosip_msg *ringing = respond(inv, 180, GOSIP_STR_NULL, GOSIP_STR("t"));
    gosip_msg *redirect = respond(inv, 300, GOSIP_STR_NULL, GOSIP_STR("t"));
    /* The ACK of a 2xx is the dialog's business (RFC 3261 13.2.2.4). */
    assert_int_equal(gosip_msg_new_ack(&a, inv, ok), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_new_ack(&a, inv, ringing), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_new_ack(&a, redirect, inv), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_new_ack(&a, inv, NULL), GOSIP_ERR_INVALID_ARG);
    gosip_msg *opt = parse_str("OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKq\r\n"
                               "To: <sip:bob@biloxi.example.com>\r\n"
                               "From: <sip:alice@atlanta.example.com>;tag=2\r\n"
                               "Call-ID: x2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(gosip_msg_new_ack(&a, opt, redirect), GOSIP_ERR_INVALID_ARG);
    assert_ptr_equal(a, sentinel);
    /* 300 is the lower edge. */
    assert_int_equal(gosip_msg_new_ack(&a, inv, redirect), 0);
    gosip_msg_unref(a);
    gosip_msg_unref(opt);
    gosip_msg_unref(redirect);
    gosip_msg_unref(ringing);
    gosip_msg_unref(ok);
    gosip_msg_unref(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_headers),    cmocka_unit_test(test_request_randomness),
        cmocka_unit_test(test_request_defaults),   cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_random_token),       cmocka_unit_test(test_response_headers),
        cmocka_unit_test(test_response_to_tag),    cmocka_unit_test(test_response_errors),
        cmocka_unit_test(test_response_allocator), cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_cancel_errors),      cmocka_unit_test(test_ack),
        cmocka_unit_test(test_ack_errors),         cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
