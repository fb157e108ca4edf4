/* Validation verdicts: RFC 3261 8.1.3.3, 8.2 and 16.3, and the RFC 4475 torture messages. */
#include "testutil.h"

#define NONE 1000 /* no alternative verdict */
#define BUF_MAX 70000

/* ---------------------------------------------------------------- helpers */

/*
 * What the stack would do with these bytes: validate, or map the parse error. Returns the
 * message (unref it; NULL when it did not parse): the verdict's tags point into it.
 */
static gosip_msg *file_verdict(const char *name, gosip_role role, const gosip_validate_opts *o,
                               gosip_verdict *v)
{
    static char buf[BUF_MAX];
    size_t n = tu_read_torture(name, buf, sizeof buf);
    gosip_parse_error err;
    gosip_msg *m = tu_parse_datagram(buf, n, &err);
    if (!m)
        assert_int_equal(gosip_parse_error_verdict(buf, n, &err, v), 0);
    else
        assert_int_equal(gosip_msg_validate(m, role, o, v), 0);
    return m;
}

static void verdict_of_file(const char *name, gosip_role role, const gosip_validate_opts *o,
                            gosip_verdict *v)
{
    gosip_msg_unref(file_verdict(name, role, o, v));
}

static gosip_verdict check(const gosip_msg *m, gosip_role role, const gosip_validate_opts *o,
                           int status, gosip_hdr_kind kind)
{
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(m, role, o, &v), 0);
    if (v.status != status)
        fail_msg("expected %d, got %d (%s)", status, v.status, v.detail);
    assert_non_null(v.detail);
    assert_non_null(v.reason);
    if (status > 0)
        assert_string_equal(v.reason, gosip_reason_phrase(status));
    else
        assert_string_equal(v.reason, "");
    assert_int_equal(v.hdr, kind);
    return v;
}

/* The message of the last check_str(), kept so that its verdict's tags stay valid. */
static gosip_msg *last_checked;

static int free_last_checked(void **state)
{
    (void)state;
    gosip_msg_unref(last_checked);
    last_checked = NULL;
    return 0;
}

static gosip_verdict check_str(const char *msg, gosip_role role, const gosip_validate_opts *o,
                               int status, gosip_hdr_kind kind)
{
    free_last_checked(NULL);
    last_checked = tu_parse_text(msg);
    return check(last_checked, role, o, status, kind);
}

static int tag_listed(const gosip_verdict *v, const char *tag)
{
    for (size_t i = 0; i < v->n_unsupported; i++)
        if (gosip_str_eq(v->unsupported[i], gosip_str_from_cstr(tag)))
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- RFC 4475, default opts */

typedef struct case4475 {
    const char *file;
    int uas, uas_alt; /* the verdict; an alternative the RFC also allows, or NONE */
    int proxy, proxy_alt;
} case4475;

/*
 * Verdicts of testdata/README.md. Where the RFC leaves the choice to the element (liberal
 * parsing of lwsstart, trws, escruri, badaspec; mcl01 error or discard; test.dat has none)
 * both outcomes are accepted; everything else is exact.
 */
/* clang-format off */
static const case4475 cases[] = {
    {"wsinv", 0, NONE, 0, NONE},          {"intmeth", 501, NONE, 0, NONE},
    {"esc01", 0, NONE, 0, NONE},          {"escnull", 0, NONE, 0, NONE},
    {"esc02", 501, NONE, 0, NONE},        {"lwsdisp", 0, NONE, 0, NONE},
    {"longreq", 0, NONE, 0, NONE},        {"dblreq", 0, NONE, 0, NONE},
    {"semiuri", 0, NONE, 0, NONE},        {"transports", 0, NONE, 0, NONE},
    {"mpart01", 0, NONE, 0, NONE},        {"unreason", 0, NONE, 0, NONE},
    {"noreason", 0, NONE, 0, NONE},       {"badinv01", 400, NONE, 400, NONE},
    {"clerr", 400, NONE, 400, NONE},      {"ncl", 400, NONE, 400, NONE},
    {"scalar02", 400, NONE, 400, NONE},   {"scalarlg", -1, NONE, -1, NONE},
    {"quotbal", 400, NONE, 400, NONE},    {"ltgtruri", 400, NONE, 400, NONE},
    {"lwsruri", 400, NONE, 400, NONE},    {"lwsstart", 400, 0, 400, 0},
    {"trws", 400, 0, 400, 0},             {"escruri", 0, 400, 0, 400},
    {"baddate", 0, NONE, 0, NONE},        {"regbadct", 400, NONE, 0, NONE},
    {"badaspec", 400, 0, 400, 0},         {"baddn", 400, NONE, 400, NONE},
    {"badvers", 505, NONE, 505, NONE},    {"mismatch01", 400, NONE, 400, NONE},
    {"mismatch02", 501, NONE, 400, NONE}, {"bigcode", -1, NONE, -1, NONE},
    {"badbranch", 400, NONE, 400, NONE},  {"insuf", 400, NONE, 400, NONE},
    {"unkscm", 416, NONE, 416, NONE},     {"novelsc", 416, NONE, 416, NONE},
    {"unksm2", 0, NONE, 0, NONE},         {"bext01", 420, NONE, 420, NONE},
    {"invut", 0, NONE, 0, NONE},          {"regaut01", 0, NONE, 0, NONE},
    {"multi01", 400, NONE, 400, NONE},    {"mcl01", 400, -1, 400, -1},
    {"bcast", -1, NONE, 0, NONE},         {"zeromf", 0, NONE, 483, NONE},
    {"cparam01", 0, NONE, 0, NONE},       {"cparam02", 0, NONE, 0, NONE},
    {"regescrt", 0, NONE, 0, NONE},       {"sdp01", 0, NONE, 0, NONE},
    {"inv2543", 0, NONE, 0, NONE},        {"test", 400, -1, 400, -1},
};
/* clang-format on */

static void test_rfc4475_all(void **state)
{
    (void)state;
    assert_int_equal(sizeof cases / sizeof cases[0], 50);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const case4475 *c = &cases[i];
        gosip_verdict u, p;
        verdict_of_file(c->file, GOSIP_ROLE_UAS, NULL, &u);
        verdict_of_file(c->file, GOSIP_ROLE_PROXY, NULL, &p);
        if (u.status != c->uas && u.status != c->uas_alt)
            fail_msg("%s: UAS verdict %d (%s), expected %d", c->file, u.status, u.detail, c->uas);
        if (p.status != c->proxy && p.status != c->proxy_alt)
            fail_msg("%s: proxy verdict %d (%s), expected %d", c->file, p.status, p.detail,
                     c->proxy);
        assert_non_null(u.detail);
        assert_non_null(p.detail);
    }
}

static void test_rfc4475_details(void **state)
{
    gosip_verdict v;
    (void)state;
    verdict_of_file("mismatch01", GOSIP_ROLE_UAS, NULL, &v);
    assert_string_equal(v.detail, "CSeq method does not match the request method");
    assert_int_equal(v.hdr, GOSIP_HDR_CSEQ);
    verdict_of_file("insuf", GOSIP_ROLE_UAS, NULL, &v);
    assert_string_equal(v.detail, "missing From header");
    verdict_of_file("multi01", GOSIP_ROLE_PROXY, NULL, &v);
    assert_non_null(strstr(v.detail, "more than one"));
    verdict_of_file("scalar02", GOSIP_ROLE_UAS, NULL, &v);
    assert_int_equal(v.hdr, GOSIP_HDR_CSEQ);
    verdict_of_file("scalarlg", GOSIP_ROLE_UAS, NULL, &v);
    assert_int_equal(v.hdr, GOSIP_HDR_CSEQ);
    verdict_of_file("badbranch", GOSIP_ROLE_PROXY, NULL, &v);
    assert_int_equal(v.hdr, GOSIP_HDR_VIA);
    verdict_of_file("bcast", GOSIP_ROLE_UAS, NULL, &v);
    assert_int_equal(v.hdr, GOSIP_HDR_VIA);
    verdict_of_file("badvers", GOSIP_ROLE_UAS, NULL, &v);
    assert_string_equal(v.reason, gosip_reason_phrase(505));
    verdict_of_file("unkscm", GOSIP_ROLE_PROXY, NULL, &v);
    assert_string_equal(v.detail, "Request-URI scheme is not supported");
}

static void test_rfc4475_bext01(void **state)
{
    gosip_verdict v;
    (void)state;
    gosip_msg *m = file_verdict("bext01", GOSIP_ROLE_UAS, NULL, &v);
    assert_non_null(m);
    assert_int_equal(v.status, 420);
    assert_int_equal(v.hdr, GOSIP_HDR_REQUIRE);
    assert_int_equal(v.n_unsupported, 2);
    assert_true(gosip_str_eq(v.unsupported[0], GOSIP_STR("nothingSupportsThis")));
    assert_true(gosip_str_eq(v.unsupported[1], GOSIP_STR("nothingSupportsThisEither")));
    assert_int_equal(v.flags, 0);
    gosip_msg_unref(m);

    m = file_verdict("bext01", GOSIP_ROLE_PROXY, NULL, &v);
    assert_int_equal(v.status, 420);
    assert_int_equal(v.hdr, GOSIP_HDR_PROXY_REQUIRE);
    assert_int_equal(v.n_unsupported, 2);
    assert_true(gosip_str_eq(v.unsupported[0], GOSIP_STR("noProxiesSupportThis")));
    assert_true(gosip_str_eq(v.unsupported[1], GOSIP_STR("norDoAnyProxiesSupportThis")));
    gosip_msg_unref(m);

    /* Option tags are tokens: compared case-insensitively. */
    static const char *const one[] = {"NOTHINGSUPPORTSTHIS"};
    gosip_validate_opts o = {.extensions = one, .n_extensions = 1};
    m = file_verdict("bext01", GOSIP_ROLE_UAS, &o, &v);
    assert_int_equal(v.status, 420);
    assert_int_equal(v.n_unsupported, 1);
    assert_true(gosip_str_eq(v.unsupported[0], GOSIP_STR("nothingSupportsThisEither")));
    gosip_msg_unref(m);

    static const char *const all[] = {"nothingSupportsThis", "nothingSupportsThisEither",
                                      "noProxiesSupportThis", "norDoAnyProxiesSupportThis"};
    o.extensions = all;
    o.n_extensions = 2;
    verdict_of_file("bext01", GOSIP_ROLE_UAS, &o, &v);
    assert_int_equal(v.status, 0);
    assert_int_equal(v.n_unsupported, 0);
    verdict_of_file("bext01", GOSIP_ROLE_PROXY, &o, &v);
    assert_int_equal(v.status, 420);
    o.n_extensions = 4;
    verdict_of_file("bext01", GOSIP_ROLE_PROXY, &o, &v);
    assert_int_equal(v.status, 0);
}

static void test_rfc4475_with_opts(void **state)
{
    gosip_verdict v;
    (void)state;
    static const char *const sdp[] = {"application/sdp"};
    gosip_validate_opts o = {.content_types = sdp, .n_content_types = 1};
    verdict_of_file("invut", GOSIP_ROLE_UAS, &o, &v);
    assert_int_equal(v.status, 415);
    assert_int_equal(v.hdr, GOSIP_HDR_CONTENT_TYPE);
    verdict_of_file("invut", GOSIP_ROLE_PROXY, &o, &v);
    assert_int_equal(v.status, 0);
    static const char *const wild[] = {"application/*"};
    gosip_validate_opts ow = {.content_types = wild, .n_content_types = 1};
    verdict_of_file("invut", GOSIP_ROLE_UAS, &ow, &v);
    assert_int_equal(v.status, 0);

    /* sdp01: Accept allows no type this UAS can answer with. */
    verdict_of_file("sdp01", GOSIP_ROLE_UAS, &o, &v);
    assert_int_equal(v.status, 406);
    assert_int_equal(v.hdr, GOSIP_HDR_ACCEPT);
    static const char *const both[] = {"application/sdp", "text/nobodyknowsthis"};
    gosip_validate_opts ob = {.content_types = both, .n_content_types = 2};
    verdict_of_file("sdp01", GOSIP_ROLE_UAS, &ob, &v);
    assert_int_equal(v.status, 0);

    /* regaut01 at an endpoint that is not a registrar. */
    static const gosip_method no_reg[] = {GOSIP_METHOD_INVITE, GOSIP_METHOD_BYE,
                                          GOSIP_METHOD_OPTIONS};
    gosip_validate_opts om = {.methods = no_reg, .n_methods = 3};
    verdict_of_file("regaut01", GOSIP_ROLE_UAS, &om, &v);
    assert_int_equal(v.status, 405);
    verdict_of_file("regaut01", GOSIP_ROLE_PROXY, &om, &v);
    assert_int_equal(v.status, 0);
    gosip_validate_opts oreg = {.registrar = 1};
    verdict_of_file("regaut01", GOSIP_ROLE_UAS, &oreg, &v);
    assert_int_equal(v.status, 0);

    /* unksm2: a registrar needs a SIP/SIPS To; others accept it (RFC 3261 8.2.2.1). */
    verdict_of_file("unksm2", GOSIP_ROLE_UAS, &oreg, &v);
    assert_int_equal(v.status, 400);
    assert_int_equal(v.hdr, GOSIP_HDR_TO);
    assert_string_equal(v.detail, "To of a REGISTER is not a SIP or SIPS URI");
    verdict_of_file("unksm2", GOSIP_ROLE_PROXY, &oreg, &v);
    assert_int_equal(v.status, 0);
    verdict_of_file("cparam01", GOSIP_ROLE_UAS, &oreg, &v);
    assert_int_equal(v.status, 0);
}

static void test_rfc4475_zeromf(void **state)
{
    gosip_verdict v;
    (void)state;
    verdict_of_file("zeromf", GOSIP_ROLE_PROXY, NULL, &v);
    assert_int_equal(v.status, 483);
    assert_int_equal(v.hdr, GOSIP_HDR_MAX_FORWARDS);
    /* zeromf is an OPTIONS: the proxy may answer it itself (RFC 3261 16.3 step 3). */
    assert_true(v.flags & GOSIP_VERDICT_MAY_ANSWER);
    verdict_of_file("zeromf", GOSIP_ROLE_UAS, NULL, &v);
    assert_int_equal(v.status, 0);
    assert_int_equal(v.flags, 0);
}

/* ---------------------------------------------------------------- hand-made boundaries */

static void test_version(void **state)
{
    (void)state;
    check_str(TU_REQ("OPTIONS", ""), GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    check_str("OPTIONS sip:bob@example.org SIP/2.1\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
              "CSeq: 1 OPTIONS\r\n" TU_L_END,
              GOSIP_ROLE_UAS, NULL, 505, GOSIP_HDR_OTHER);
    check_str("OPTIONS sip:bob@example.org SIP/2.1\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
              "CSeq: 1 OPTIONS\r\n" TU_L_END,
              GOSIP_ROLE_PROXY, NULL, 505, GOSIP_HDR_OTHER);
}

static void test_missing_headers(void **state)
{
    static const char *const lines[] = {TU_L_VIA, TU_L_FROM, TU_L_TO, TU_L_CALLID,
                                        "CSeq: 7 OPTIONS\r\n"};
    static const gosip_hdr_kind kinds[] = {GOSIP_HDR_VIA, GOSIP_HDR_FROM, GOSIP_HDR_TO,
                                           GOSIP_HDR_CALL_ID, GOSIP_HDR_CSEQ};
    static const char *const details[] = {"missing Via header", "missing From header",
                                          "missing To header", "missing Call-ID header",
                                          "missing CSeq header"};
    (void)state;
    for (size_t skip = 0; skip < 5; skip++) {
        char req[1024], resp[1024];
        size_t a = (size_t)snprintf(req, sizeof req, "OPTIONS sip:bob@example.org SIP/2.0\r\n");
        size_t b = (size_t)snprintf(resp, sizeof resp, "SIP/2.0 200 OK\r\n");
        for (size_t i = 0; i < 5; i++) {
            if (i == skip)
                continue;
            a += (size_t)snprintf(req + a, sizeof req - a, "%s", lines[i]);
            b += (size_t)snprintf(resp + b, sizeof resp - b, "%s", lines[i]);
        }
        snprintf(req + a, sizeof req - a, "%s", TU_L_END);
        snprintf(resp + b, sizeof resp - b, "%s", TU_L_END);
        gosip_verdict v = check_str(req, GOSIP_ROLE_UAS, NULL, 400, kinds[skip]);
        assert_string_equal(v.detail, details[skip]);
        check_str(req, GOSIP_ROLE_PROXY, NULL, 400, kinds[skip]);
        check_str(resp, GOSIP_ROLE_UAS, NULL, -1, kinds[skip]);
        check_str(resp, GOSIP_ROLE_PROXY, NULL, -1, kinds[skip]);
    }
    /* Max-Forwards is optional for RFC 2543 peers (RFC 4475 inv2543). */
    check_str("OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
              "CSeq: 7 OPTIONS\r\n" TU_L_END,
              GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
}

static void test_repeated_headers(void **state)
{
    (void)state;
    gosip_verdict v = check_str(TU_REQ("OPTIONS", "Call-ID: second@example.com\r\n"),
                                GOSIP_ROLE_UAS, NULL, 400, GOSIP_HDR_CALL_ID);
    assert_string_equal(v.detail, "more than one Call-ID header");
    check_str(TU_REQ("OPTIONS", "To: <sip:carol@example.org>\r\n"), GOSIP_ROLE_PROXY, NULL, 400,
              GOSIP_HDR_TO);
    /* A UAS has no use for Max-Forwards; a proxy does (RFC 3261 8.2.2 and 16.3). */
    check_str(TU_REQ("OPTIONS", "Max-Forwards: 5\r\n"), GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    check_str(TU_REQ("OPTIONS", "Max-Forwards: 5\r\n"), GOSIP_ROLE_PROXY, NULL, 400,
              GOSIP_HDR_MAX_FORWARDS);
    /* Several Vias and Routes are normal. */
    check_str(TU_REQ("OPTIONS",
                     "Via: SIP/2.0/TCP p1.example.net;branch=z9hG4bKa1\r\n"
                     "Route: <sip:p1.example.net;lr>\r\nRoute: <sip:p2.example.net;lr>\r\n"),
              GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
    check_str("SIP/2.0 200 OK\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID "CSeq: 1 OPTIONS\r\n"
              "CSeq: 2 OPTIONS\r\n" TU_L_END,
              GOSIP_ROLE_UAS, NULL, -1, GOSIP_HDR_CSEQ);
}

static void test_cseq_method(void **state)
{
    (void)state;
    const char *mismatch =
        "OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
        "CSeq: 1 INVITE\r\n" TU_L_END;
    check_str(mismatch, GOSIP_ROLE_UAS, NULL, 400, GOSIP_HDR_CSEQ);
    check_str(mismatch, GOSIP_ROLE_PROXY, NULL, 400, GOSIP_HDR_CSEQ);
    /* Methods are case-sensitive (RFC 3261 7.1). */
    check_str("OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
              "CSeq: 1 options\r\n" TU_L_END,
              GOSIP_ROLE_UAS, NULL, 400, GOSIP_HDR_CSEQ);
    /* An unknown method that matches its CSeq: 501 at a UAS, forwarded by a proxy. */
    check_str(TU_REQ("FOO", ""), GOSIP_ROLE_UAS, NULL, 501, GOSIP_HDR_OTHER);
    check_str(TU_REQ("FOO", ""), GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
}

static void test_methods(void **state)
{
    (void)state;
    static const gosip_method some[] = {GOSIP_METHOD_INVITE, GOSIP_METHOD_OPTIONS};
    gosip_validate_opts o = {.methods = some, .n_methods = 2};
    check_str(TU_REQ("OPTIONS", ""), GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
    gosip_verdict v = check_str(TU_REQ("BYE", ""), GOSIP_ROLE_UAS, &o, 405, GOSIP_HDR_OTHER);
    assert_string_equal(v.detail, "request method is not allowed by this UAS");
    /* Unknown methods get 501 even with a method list; ACK and CANCEL are always accepted. */
    check_str(TU_REQ("FOO", ""), GOSIP_ROLE_UAS, &o, 501, GOSIP_HDR_OTHER);
    check_str(TU_REQ("CANCEL", ""), GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
    check_str(TU_REQ("ACK", ""), GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
    /* A proxy does not filter methods. */
    check_str(TU_REQ("BYE", ""), GOSIP_ROLE_PROXY, &o, 0, GOSIP_HDR_OTHER);
}

static void test_request_uri_scheme(void **state)
{
    (void)state;
    const char *tail = TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID "CSeq: 1 OPTIONS\r\n" TU_L_END;
    char buf[1024];
    snprintf(buf, sizeof buf, "OPTIONS sips:bob@example.org SIP/2.0\r\n%s", tail);
    check_str(buf, GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    snprintf(buf, sizeof buf, "OPTIONS tel:+15551234567 SIP/2.0\r\n%s", tail);
    check_str(buf, GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    snprintf(buf, sizeof buf, "OPTIONS mailto:bob@example.org SIP/2.0\r\n%s", tail);
    check_str(buf, GOSIP_ROLE_UAS, NULL, 416, GOSIP_HDR_OTHER);
    check_str(buf, GOSIP_ROLE_PROXY, NULL, 416, GOSIP_HDR_OTHER);
    /* The To scheme does not matter to a UAS (RFC 3261 8.2.2.1) ... */
    snprintf(buf, sizeof buf,
             "REGISTER sip:example.org SIP/2.0\r\n" TU_L_VIA
             "To: <tel:+15551234567>\r\n" TU_L_FROM TU_L_CALLID "CSeq: 1 REGISTER\r\n" TU_L_END);
    check_str(buf, GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    /* ... but a registrar needs an address-of-record it can bind. */
    gosip_validate_opts reg = {.registrar = 1};
    check_str(buf, GOSIP_ROLE_UAS, &reg, 400, GOSIP_HDR_TO);
    snprintf(buf, sizeof buf,
             "REGISTER sip:example.org SIP/2.0\r\n" TU_L_VIA
             "To: <sips:bob@example.org>\r\n" TU_L_FROM TU_L_CALLID
             "CSeq: 1 REGISTER\r\n" TU_L_END);
    check_str(buf, GOSIP_ROLE_UAS, &reg, 0, GOSIP_HDR_OTHER);
}

static void test_max_forwards(void **state)
{
    (void)state;
    const char *tail = "Content-Length: 0\r\n\r\n";
    char buf[1024];
    for (int mf = 0; mf <= 2; mf++) {
        snprintf(buf, sizeof buf,
                 "INVITE sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
                 "CSeq: 1 INVITE\r\nMax-Forwards: %d\r\n%s",
                 mf, tail);
        gosip_verdict v = check_str(buf, GOSIP_ROLE_PROXY, NULL, mf == 0 ? 483 : 0,
                                    mf == 0 ? GOSIP_HDR_MAX_FORWARDS : GOSIP_HDR_OTHER);
        assert_int_equal(v.flags & GOSIP_VERDICT_MAY_ANSWER, 0); /* not an OPTIONS */
        check_str(buf, GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    }
    /* An ACK is never answered, not even with 483. */
    snprintf(buf, sizeof buf,
             "ACK sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
             "CSeq: 1 ACK\r\nMax-Forwards: 0\r\n%s",
             tail);
    gosip_verdict v = check_str(buf, GOSIP_ROLE_PROXY, NULL, -1, GOSIP_HDR_MAX_FORWARDS);
    assert_int_equal(v.flags, 0);
}

static void test_require(void **state)
{
    (void)state;
    static const char *const ext[] = {"100rel", "timer"};
    gosip_validate_opts o = {.extensions = ext, .n_extensions = 2};
    check_str(TU_REQ("INVITE", "Require: 100rel, timer\r\n"), GOSIP_ROLE_UAS, &o, 0,
              GOSIP_HDR_OTHER);
    gosip_verdict v = check_str(TU_REQ("INVITE", "Require: 100rel, foo\r\nRequire: bar, foo\r\n"),
                                GOSIP_ROLE_UAS, &o, 420, GOSIP_HDR_REQUIRE);
    assert_int_equal(v.n_unsupported, 2); /* foo once, in message order, then bar */
    assert_true(gosip_str_eq(v.unsupported[0], GOSIP_STR("foo")));
    assert_true(gosip_str_eq(v.unsupported[1], GOSIP_STR("bar")));
    assert_string_equal(v.detail, "Require lists option tags this UAS does not support");
    /* Require means nothing to a proxy, Proxy-Require nothing to a UAS. */
    check_str(TU_REQ("INVITE", "Require: foo\r\n"), GOSIP_ROLE_PROXY, &o, 0, GOSIP_HDR_OTHER);
    check_str(TU_REQ("INVITE", "Proxy-Require: foo\r\n"), GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
    v = check_str(TU_REQ("INVITE", "Proxy-Require: foo, timer\r\n"), GOSIP_ROLE_PROXY, &o, 420,
                  GOSIP_HDR_PROXY_REQUIRE);
    assert_int_equal(v.n_unsupported, 1);
    assert_true(tag_listed(&v, "foo"));
    /* Ignored in CANCEL and ACK (RFC 3261 8.2.2.3). */
    check_str(TU_REQ("CANCEL", "Require: foo\r\nProxy-Require: foo\r\n"), GOSIP_ROLE_UAS, &o, 0,
              GOSIP_HDR_OTHER);
    check_str(TU_REQ("CANCEL", "Require: foo\r\nProxy-Require: foo\r\n"), GOSIP_ROLE_PROXY, &o, 0,
              GOSIP_HDR_OTHER);
    check_str(TU_REQ("ACK", "Require: foo\r\n"), GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
}

static void test_require_truncated(void **state)
{
    (void)state;
    char extra[1024];
    size_t at = (size_t)snprintf(extra, sizeof extra, "Require: t0");
    for (int i = 1; i < GOSIP_VERDICT_MAX_TAGS + 3; i++)
        at += (size_t)snprintf(extra + at, sizeof extra - at, ", t%d", i);
    snprintf(extra + at, sizeof extra - at, "\r\n");
    char buf[2048];
    snprintf(buf, sizeof buf,
             "OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
             "CSeq: 1 OPTIONS\r\n%s" TU_L_END,
             extra);
    gosip_verdict v = check_str(buf, GOSIP_ROLE_UAS, NULL, 420, GOSIP_HDR_REQUIRE);
    assert_int_equal(v.n_unsupported, GOSIP_VERDICT_MAX_TAGS);
    assert_true(v.flags & GOSIP_VERDICT_TAGS_TRUNCATED);
    assert_true(tag_listed(&v, "t0"));
    assert_false(tag_listed(&v, "t17"));

    v = check_str(TU_REQ("OPTIONS", "Require: a, b\r\n"), GOSIP_ROLE_UAS, NULL, 420,
                  GOSIP_HDR_REQUIRE);
    assert_int_equal(v.flags & GOSIP_VERDICT_TAGS_TRUNCATED, 0);
}

#define BODY "v=0\r\n"
#define WITH_BODY(ctype_lines)                                                                     \
    "INVITE sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID                \
    "CSeq: 1 INVITE\r\n" ctype_lines "Content-Length: 5\r\n\r\n" BODY

static void test_content(void **state)
{
    (void)state;
    static const char *const sdp[] = {"application/sdp"};
    gosip_validate_opts o = {.content_types = sdp, .n_content_types = 1};
    check_str(WITH_BODY("Content-Type: application/sdp\r\n"), GOSIP_ROLE_UAS, &o, 0,
              GOSIP_HDR_OTHER);
    check_str(WITH_BODY("Content-Type: Application/SDP\r\n"), GOSIP_ROLE_UAS, &o, 0,
              GOSIP_HDR_OTHER);
    gosip_verdict v = check_str(WITH_BODY("Content-Type: text/plain\r\n"), GOSIP_ROLE_UAS, &o, 415,
                                GOSIP_HDR_CONTENT_TYPE);
    assert_string_equal(v.detail, "Content-Type of the body is not supported");
    /* Without a list a UAS checks no type; a proxy never does. */
    check_str(WITH_BODY("Content-Type: text/plain\r\n"), GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    check_str(WITH_BODY("Content-Type: text/plain\r\n"), GOSIP_ROLE_PROXY, &o, 0, GOSIP_HDR_OTHER);
    /* An optional body part may be ignored instead (RFC 3261 20.11). */
    check_str(WITH_BODY("Content-Type: text/plain\r\n"
                        "Content-Disposition: render;handling=optional\r\n"),
              GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
    check_str(WITH_BODY("Content-Type: text/plain\r\n"
                        "Content-Disposition: render;handling=required\r\n"),
              GOSIP_ROLE_UAS, &o, 415, GOSIP_HDR_CONTENT_TYPE);
    /* No body: nothing to understand. */
    check_str(TU_REQ("INVITE", "Content-Type: text/plain\r\n"), GOSIP_ROLE_UAS, &o, 0,
              GOSIP_HDR_OTHER);
    /* A body needs a type (RFC 3261 20.15). */
    check_str(WITH_BODY(""), GOSIP_ROLE_UAS, NULL, 400, GOSIP_HDR_CONTENT_TYPE);
    check_str(WITH_BODY(""), GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
}

static void test_content_encoding(void **state)
{
    (void)state;
    gosip_verdict v = check_str(WITH_BODY("Content-Type: application/sdp\r\n"
                                          "Content-Encoding: gzip\r\n"),
                                GOSIP_ROLE_UAS, NULL, 415, GOSIP_HDR_CONTENT_ENCODING);
    assert_string_equal(v.detail, "Content-Encoding of the body is not supported");
    check_str(WITH_BODY("Content-Type: application/sdp\r\nContent-Encoding: identity\r\n"),
              GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    static const char *const gz[] = {"GZIP"};
    gosip_validate_opts o = {.encodings = gz, .n_encodings = 1};
    check_str(WITH_BODY("Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n"),
              GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
    check_str(WITH_BODY("Content-Type: application/sdp\r\nContent-Encoding: gzip, br\r\n"),
              GOSIP_ROLE_UAS, &o, 415, GOSIP_HDR_CONTENT_ENCODING);
    check_str(WITH_BODY("Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n"),
              GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
}

static void test_accept(void **state)
{
    (void)state;
    static const char *const sdp[] = {"application/sdp"};
    gosip_validate_opts o = {.content_types = sdp, .n_content_types = 1};
    check_str(TU_REQ("INVITE", "Accept: application/sdp\r\n"), GOSIP_ROLE_UAS, &o, 0,
              GOSIP_HDR_OTHER);
    check_str(TU_REQ("INVITE", "Accept: text/html, application/*\r\n"), GOSIP_ROLE_UAS, &o, 0,
              GOSIP_HDR_OTHER);
    check_str(TU_REQ("INVITE", "Accept: */*\r\n"), GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
    check_str(TU_REQ("INVITE", "Accept: text/html\r\n"), GOSIP_ROLE_UAS, &o, 406, GOSIP_HDR_ACCEPT);
    check_str(TU_REQ("INVITE", "Accept: text/html\r\n"), GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    /* Only an INVITE's answer is bound to a body type here. */
    check_str(TU_REQ("OPTIONS", "Accept: text/html\r\n"), GOSIP_ROLE_UAS, &o, 0, GOSIP_HDR_OTHER);
}

static void test_branch_and_length(void **state)
{
    (void)state;
    const char *tail = TU_L_TO TU_L_FROM TU_L_CALLID "CSeq: 1 OPTIONS\r\n" TU_L_END;
    char buf[1024];
    snprintf(buf, sizeof buf,
             "OPTIONS sip:bob@example.org SIP/2.0\r\n"
             "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK\r\n%s",
             tail);
    check_str(buf, GOSIP_ROLE_UAS, NULL, 400, GOSIP_HDR_VIA);
    snprintf(buf, sizeof buf,
             "OPTIONS sip:bob@example.org SIP/2.0\r\n"
             "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n%s",
             tail);
    check_str(buf, GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    /* An RFC 2543 branch (no cookie) or none at all is left to the transaction layer. */
    snprintf(buf, sizeof buf,
             "OPTIONS sip:bob@example.org SIP/2.0\r\n"
             "Via: SIP/2.0/UDP h.example.com\r\n%s",
             tail);
    check_str(buf, GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
    /* Content-Length equal to the body is fine; larger is a 400 for a datagram. */
    check_str(WITH_BODY("Content-Type: application/sdp\r\n"), GOSIP_ROLE_PROXY, NULL, 0,
              GOSIP_HDR_OTHER);
    check_str("OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
              "CSeq: 1 OPTIONS\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello",
              GOSIP_ROLE_UAS, NULL, 400, GOSIP_HDR_CONTENT_LENGTH);
}

static void test_malformed_ignorable(void **state)
{
    (void)state;
    /* A malformed header nobody needs is ignored (RFC 3261 8.2.2, 16.3 step 1). */
    const char *bad_date = TU_REQ("OPTIONS", "Date: Fri, 01 Jan 2010 16:00:00 EST\r\n");
    check_str(bad_date, GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    check_str(bad_date, GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
    /* A malformed header the receiver needs is not. */
    gosip_verdict v = check_str(TU_REQ("OPTIONS", "Contact: <sip:a@b.example.com\r\n"),
                                GOSIP_ROLE_UAS, NULL, 400, GOSIP_HDR_CONTACT);
    assert_string_equal(v.detail, "malformed Contact header");
    check_str(TU_REQ("OPTIONS", "Contact: <sip:a@b.example.com\r\n"), GOSIP_ROLE_PROXY, NULL, 0,
              GOSIP_HDR_OTHER);
    check_str(TU_REQ("OPTIONS", "Route: <sip:a@b.example.com\r\n"), GOSIP_ROLE_PROXY, NULL, 400,
              GOSIP_HDR_ROUTE);
    /* A URI with headers must be in <> (RFC 3261 20.10, RFC 4475 regbadct). */
    check_str(TU_REQ("REGISTER", "Contact: <sip:u@example.com?Route=%3Csip:p.example.com%3E>\r\n"),
              GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
}

static void test_responses(void **state)
{
    (void)state;
    const char *one = "SIP/2.0 180 Ringing\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
                      "CSeq: 1 INVITE\r\n" TU_L_END;
    check_str(one, GOSIP_ROLE_UAS, NULL, 0, GOSIP_HDR_OTHER);
    check_str(one, GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);
    const char *two =
        "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP p.example.net;branch=z9hG4bKp\r\n" TU_L_VIA TU_L_TO
            TU_L_FROM TU_L_CALLID "CSeq: 1 INVITE\r\n" TU_L_END;
    gosip_verdict v = check_str(two, GOSIP_ROLE_UAS, NULL, -1, GOSIP_HDR_VIA);
    assert_string_equal(v.detail, "response to a UAC carries more than one Via");
    check_str(two, GOSIP_ROLE_PROXY, NULL, 0, GOSIP_HDR_OTHER);

    /* Status codes at the edges of 100..699, through the whole pipeline. */
    static const struct {
        const char *code;
        int verdict;
    } codes[] = {{"100", 0}, {"699", 0}, {"700", -1}, {"099", -1}, {"4294967301", -1}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char buf[1024];
        int n = snprintf(buf, sizeof buf,
                         "SIP/2.0 %s Whatever\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
                         "CSeq: 1 INVITE\r\n" TU_L_END,
                         codes[i].code);
        gosip_parse_error err;
        gosip_msg *m = tu_parse_datagram(buf, (size_t)n, &err);
        if (m) {
            assert_int_equal(gosip_msg_validate(m, GOSIP_ROLE_UAS, NULL, &v), 0);
            gosip_msg_unref(m);
        } else {
            assert_int_equal(gosip_parse_error_verdict(buf, (size_t)n, &err, &v), 0);
        }
        if (v.status != codes[i].verdict)
            fail_msg("status %s: verdict %d (%s)", codes[i].code, v.status, v.detail);
    }
    check_str("SIP/3.0 200 OK\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
              "CSeq: 1 INVITE\r\n" TU_L_END,
              GOSIP_ROLE_UAS, NULL, -1, GOSIP_HDR_OTHER);
}

static void test_ack_never_answered(void **state)
{
    (void)state;
    /* ACK without Call-ID: a 400 for any other method, silence for an ACK. */
    gosip_verdict v = check_str("ACK sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM
                                "CSeq: 1 ACK\r\n" TU_L_END,
                                GOSIP_ROLE_UAS, NULL, -1, GOSIP_HDR_CALL_ID);
    assert_string_equal(v.detail, "missing Call-ID header");
    check_str("ACK mailto:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID
              "CSeq: 1 ACK\r\n" TU_L_END,
              GOSIP_ROLE_PROXY, NULL, -1, GOSIP_HDR_OTHER);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(NULL, GOSIP_ROLE_UAS, NULL, &v), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(v.status, -1);
    gosip_msg *m = tu_parse_text(TU_REQ("OPTIONS", ""));
    assert_int_equal(gosip_msg_validate(m, GOSIP_ROLE_UAS, NULL, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_validate(m, (gosip_role)7, NULL, &v), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(v.status, -1);
    /* A fresh message without a start line is neither request nor response. */
    gosip_msg *empty = NULL;
    assert_int_equal(gosip_msg_new(&empty, NULL), 0);
    assert_int_equal(gosip_msg_validate(empty, GOSIP_ROLE_UAS, NULL, &v), GOSIP_ERR_INVALID_ARG);
    gosip_msg_unref(empty);
    gosip_msg_unref(m);
    gosip_parse_error err = {.code = GOSIP_ERR_PARSE, .status = 400};
    assert_int_equal(gosip_parse_error_verdict("x", 1, NULL, &v), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_parse_error_verdict("x", 1, &err, NULL), GOSIP_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4475_all),
        cmocka_unit_test(test_rfc4475_details),
        cmocka_unit_test(test_rfc4475_bext01),
        cmocka_unit_test(test_rfc4475_with_opts),
        cmocka_unit_test(test_rfc4475_zeromf),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_missing_headers),
        cmocka_unit_test(test_repeated_headers),
        cmocka_unit_test(test_cseq_method),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_request_uri_scheme),
        cmocka_unit_test(test_max_forwards),
        cmocka_unit_test(test_require),
        cmocka_unit_test(test_require_truncated),
        cmocka_unit_test(test_content),
        cmocka_unit_test(test_content_encoding),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_branch_and_length),
        cmocka_unit_test(test_malformed_ignorable),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_ack_never_answered),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, free_last_checked);
}
