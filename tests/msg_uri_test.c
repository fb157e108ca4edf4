/*
 * URIs on their own: gosip_uri_new, gosip_uri_print, gosip_uri_param and the
 * RFC 3261 section 19.1.4 comparison (plus RFC 3966 section 4 for tel), host types,
 * malformed URIs and the URI limits (length through gosip_uri_new, parameter count
 * through a message parse with custom limits).
 */
#include "testutil.h"

/* ---------------------------------------------------------------- helpers */

static gosip_uri *uri_ok(const char *text)
{
    gosip_uri *u = NULL;
    int rc = gosip_uri_new(&u, tu_mem_tracked(), gosip_str_from_cstr(text));
    if (rc != 0)
        fail_msg("gosip_uri_new(\"%s\") = %s, expected success", text, gosip_err_name(rc));
    assert_non_null(u);
    return u;
}

/* Parses a URI that must be refused with `want`; *out must stay untouched. */
static void uri_bad(const char *text, size_t n, int want)
{
    gosip_uri *const sentinel = (gosip_uri *)&n;
    gosip_uri *u = sentinel;
    int rc = gosip_uri_new(&u, tu_mem_tracked(), (gosip_str){text, n});
    if (rc == 0 && u != sentinel)
        gosip_uri_free(u);
    if (rc != want)
        fail_msg("gosip_uri_new(\"%.*s\") = %s, expected %s", (int)n, text, gosip_err_name(rc),
                 gosip_err_name(want));
    assert_ptr_equal(u, sentinel);
}

/* Compares two URIs both ways (equality must be symmetric) and each with itself. */
static int uri_eq(const char *a, const char *b)
{
    gosip_uri *ua = uri_ok(a), *ub = uri_ok(b);
    int ab = gosip_uri_equal(ua, ub), ba = gosip_uri_equal(ub, ua);
    if (ab != ba)
        fail_msg("asymmetric: equal(%s, %s) = %d but the reverse = %d", a, b, ab, ba);
    assert_int_equal(gosip_uri_equal(ua, ua), 1);
    assert_int_equal(gosip_uri_equal(ub, ub), 1);
    gosip_uri_free(ua);
    gosip_uri_free(ub);
    return ab;
}

#define EXPECT_EQ(a, b)                                                                            \
    do {                                                                                           \
        if (uri_eq((a), (b)) != 1)                                                                 \
            fail_msg("expected equal: %s == %s", (a), (b));                                        \
    } while (0)

#define EXPECT_NE(a, b)                                                                            \
    do {                                                                                           \
        if (uri_eq((a), (b)) != 0)                                                                 \
            fail_msg("expected unequal: %s != %s", (a), (b));                                      \
    } while (0)

/* ---------------------------------------------------------------- RFC 3261 19.1.4 sets */

/* Every pair inside each set of the RFC's "equivalent" list. */
static void test_rfc_equivalent_sets(void **state)
{
    (void)state;
    static const char *const sets[][3] = {
        {"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", NULL},
        {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5",
         "sip:carol@chicago.com;security=on"},
        {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
         "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", NULL},
        {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
         "sip:alice@atlanta.com?priority=urgent&subject=project%20x", NULL},
    };
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
        for (size_t i = 0; i < 3 && sets[s][i]; i++)
            for (size_t j = i; j < 3 && sets[s][j]; j++)
                EXPECT_EQ(sets[s][i], sets[s][j]);
}

/* Every pair of the RFC's "not equivalent" list, with the reason it gives. */
static void test_rfc_unequal_pairs(void **state)
{
    (void)state;
    /* different usernames */
    EXPECT_NE("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP");
    /* can resolve to different ports */
    EXPECT_NE("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060");
    /* can resolve to different transports */
    EXPECT_NE("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp");
    /* can resolve to different port and transports */
    EXPECT_NE("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp");
    /* different header component */
    EXPECT_NE("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting");
    /* a host name never equals the address it resolves to */
    EXPECT_NE("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4");
}

/* Equality is not transitive: both equal the bare URI, not each other. */
static void test_not_transitive(void **state)
{
    (void)state;
    EXPECT_EQ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
    EXPECT_EQ("sip:carol@chicago.com", "sip:carol@chicago.com;security=off");
    EXPECT_NE("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off");
}

/* ---------------------------------------------------------------- escaping and case */

static void test_escaping(void **state)
{
    (void)state;
    EXPECT_EQ("sip:%61lice@atlanta.com", "sip:alice@atlanta.com");
    EXPECT_EQ("sip:%61%6c%69%63%65@atlanta.com", "sip:alice@atlanta.com");
    /* hex digits of an escape are case-insensitive, the octet it stands for is not */
    EXPECT_EQ("sip:%6C@atlanta.com", "sip:%6c@atlanta.com");
    EXPECT_NE("sip:%41lice@atlanta.com", "sip:alice@atlanta.com");
    /* decoded once, never recursively: %25 is '%', so %2561 is "%61", not "a" */
    EXPECT_NE("sip:%2561lice@atlanta.com", "sip:alice@atlanta.com");
    EXPECT_NE("sip:%2561lice@atlanta.com", "sip:%61lice@atlanta.com");
    EXPECT_EQ("sip:%2561lice@atlanta.com", "sip:%25%36%31lice@atlanta.com");
    /* escapes in parameters and in header values */
    EXPECT_EQ("sip:alice@atlanta.com;transport=%74cp", "sip:alice@atlanta.com;transport=tcp");
    EXPECT_EQ("sip:alice@atlanta.com;%74ransport=tcp", "sip:alice@atlanta.com;transport=tcp");
    EXPECT_EQ("sip:alice@atlanta.com?subject=%61", "sip:alice@atlanta.com?subject=a");
    /* the password is userinfo too */
    EXPECT_EQ("sip:alice:%73ecret@atlanta.com", "sip:alice:secret@atlanta.com");
}

/* Only characters outside RFC 2396's "reserved" set equal their escape: ';' in a user
 * part is reserved, so "a%3Bb" and "a;b" are different users. */
static void test_escaped_reserved_not_equivalent(void **state)
{
    (void)state;
    gosip_uri *u = uri_ok("sip:a;b@atlanta.com");
    tu_assert_str(u->user, "a;b");
    gosip_uri_free(u);
    EXPECT_NE("sip:a%3Bb@atlanta.com", "sip:a;b@atlanta.com");
    EXPECT_NE("sip:a%3Db@atlanta.com", "sip:a=b@atlanta.com");
}

static void test_case_rules(void **state)
{
    (void)state;
    /* userinfo is case-sensitive: user and password */
    EXPECT_NE("sip:Alice@atlanta.com", "sip:alice@atlanta.com");
    EXPECT_NE("sip:alice:Secret@atlanta.com", "sip:alice:secret@atlanta.com");
    /* scheme, host, parameter names and values are not */
    EXPECT_EQ("SIP:alice@ATLANTA.COM", "sip:alice@atlanta.com");
    EXPECT_EQ("sips:alice@atlanta.com", "SiPs:alice@atlanta.com");
    EXPECT_EQ("sip:alice@atlanta.com;TRANSPORT=TCP;Lr", "sip:alice@atlanta.com;transport=tcp;lr");
    EXPECT_EQ("sip:alice@[2001:DB8::A]", "sip:alice@[2001:db8::a]");
    /* header names are compared case-insensitively */
    EXPECT_EQ("sip:alice@atlanta.com?Subject=x", "sip:alice@atlanta.com?subject=x");
}

static void test_userinfo_presence(void **state)
{
    (void)state;
    EXPECT_NE("sip:atlanta.com", "sip:alice@atlanta.com");
    EXPECT_NE("sip:alice@atlanta.com", "sip:alice:secret@atlanta.com");
    EXPECT_NE("sip:alice:a@atlanta.com", "sip:alice:b@atlanta.com");
    EXPECT_EQ("sip:alice:secret@atlanta.com", "sip:alice:secret@atlanta.com");
    /* the user part holds a telephone-subscriber: still compared as userinfo */
    EXPECT_NE("sip:+1-212-555-1212@gateway.com;user=phone",
              "sip:+12125551212@gateway.com;user=phone");
}

/* ---------------------------------------------------------------- parameters and headers */

/* user, ttl, method, maddr and transport present in only one URI: never equal. */
static void test_strict_params(void **state)
{
    (void)state;
    static const char *const strict[] = {"user=phone", "ttl=1", "method=INVITE",
                                         "maddr=239.255.255.1", "transport=udp"};
    char with[128], other[128];
    for (size_t i = 0; i < sizeof strict / sizeof strict[0]; i++) {
        snprintf(with, sizeof with, "sip:bob@biloxi.com;%s", strict[i]);
        EXPECT_NE("sip:bob@biloxi.com", with);
        snprintf(other, sizeof other, "sip:bob@biloxi.com;lr;%s", strict[i]);
        EXPECT_EQ(with, other);
    }
    /* present in both: values must match */
    EXPECT_NE("sip:bob@biloxi.com;ttl=1", "sip:bob@biloxi.com;ttl=2");
    EXPECT_NE("sip:bob@biloxi.com;maddr=239.255.255.1", "sip:bob@biloxi.com;maddr=239.255.255.2");
    EXPECT_NE("sip:bob@biloxi.com;method=INVITE", "sip:bob@biloxi.com;method=REGISTER");
    EXPECT_EQ("sip:bob@biloxi.com;user=PHONE", "sip:bob@biloxi.com;user=phone");
}

static void test_other_params(void **state)
{
    (void)state;
    /* any other parameter in only one URI is ignored */
    EXPECT_EQ("sip:bob@biloxi.com;lr", "sip:bob@biloxi.com");
    EXPECT_EQ("sip:bob@biloxi.com;comp=sigcomp", "sip:bob@biloxi.com;x-foo=1");
    /* but present in both, it must match (a flag differs from a valued parameter) */
    EXPECT_NE("sip:bob@biloxi.com;x-foo=1", "sip:bob@biloxi.com;x-foo=2");
    EXPECT_NE("sip:bob@biloxi.com;x-foo", "sip:bob@biloxi.com;x-foo=1");
    /* order does not matter */
    EXPECT_EQ("sip:bob@biloxi.com;a=1;b=2;transport=tcp",
              "sip:bob@biloxi.com;transport=tcp;b=2;a=1");
}

static void test_headers_as_sets(void **state)
{
    (void)state;
    EXPECT_EQ("sip:a@b.com?x=1&y=2&z=3", "sip:a@b.com?z=3&x=1&y=2");
    EXPECT_NE("sip:a@b.com?x=1&y=2", "sip:a@b.com?x=1");
    EXPECT_NE("sip:a@b.com?x=1", "sip:a@b.com?x=2");
    EXPECT_NE("sip:a@b.com?x=1", "sip:a@b.com?y=1");
    EXPECT_EQ("sip:a@b.com?subject=project%20x", "sip:a@b.com?subject=project%20x");
}

static void test_scheme_and_port(void **state)
{
    (void)state;
    EXPECT_NE("sip:alice@atlanta.com", "sips:alice@atlanta.com");
    EXPECT_NE("sip:alice@atlanta.com:5061", "sips:alice@atlanta.com:5061");
    EXPECT_NE("sip:alice@atlanta.com", "sip:alice@atlanta.com:5060");
    EXPECT_NE("sips:alice@atlanta.com", "sips:alice@atlanta.com:5061");
    EXPECT_NE("sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:5070");
    EXPECT_EQ("sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:5060");
    EXPECT_NE("sip:alice@atlanta.com", "tel:+12015550123");
}

/* ---------------------------------------------------------------- tel and other schemes */

static void test_tel(void **state)
{
    (void)state;
    gosip_uri *u = uri_ok("tel:+1-201-555-0123;ext=42");
    assert_int_equal(u->scheme, GOSIP_URI_TEL);
    tu_assert_str(u->user, "+1-201-555-0123");
    assert_null(u->host.p);
    tu_assert_str(gosip_uri_param(u, "EXT")->value, "42");
    gosip_uri_free(u);
    /* visual separators are not significant */
    EXPECT_EQ("tel:+1-201-555-0123", "tel:+12015550123");
    EXPECT_EQ("tel:+1.201.555.0123", "tel:+1(201)555-0123");
    EXPECT_NE("tel:+1-201-555-0123", "tel:+1-201-555-0124");
    EXPECT_NE("tel:+12015550123", "tel:12015550123;phone-context=example.com");
    /* every parameter must be present in both and match, in any order */
    EXPECT_NE("tel:+12015550123;isub=1", "tel:+12015550123");
    EXPECT_NE("tel:+12015550123;x-foo=1", "tel:+12015550123");
    EXPECT_NE("tel:+12015550123;ext=1", "tel:+12015550123;ext=2");
    EXPECT_EQ("tel:+12015550123;ext=1;isub=2", "tel:+12015550123;ISUB=2;ext=1");
    EXPECT_EQ("tel:7042;phone-context=Example.COM", "tel:7042;phone-context=example.com");
    EXPECT_NE("tel:7042;phone-context=example.com", "tel:7042;phone-context=example.net");
}

/* RFC 3966 section 4: a phone-context holding global-number-digits is compared digit by
 * digit after removing the visual separators. */
static void test_tel_phone_context_separators(void **state)
{
    (void)state;
    EXPECT_EQ("tel:7042;phone-context=+1-201-555", "tel:7042;phone-context=+1201555");
}

static void test_other_schemes(void **state)
{
    (void)state;
    gosip_uri *u = uri_ok("http://www.example.com/alice/photo.jpg");
    assert_int_equal(u->scheme, GOSIP_URI_OTHER);
    tu_assert_str(u->scheme_name, "http");
    tu_assert_str(u->opaque, "//www.example.com/alice/photo.jpg");
    assert_null(u->host.p);
    assert_null(u->user.p);
    assert_int_equal(u->port, -1);
    gosip_uri_free(u);
    u = uri_ok("urn:service:sos");
    assert_int_equal(u->scheme, GOSIP_URI_OTHER);
    tu_assert_str(u->scheme_name, "urn");
    tu_assert_str(u->opaque, "service:sos");
    gosip_uri_free(u);
    EXPECT_EQ("mailto:alice@atlanta.com", "MAILTO:alice@atlanta.com");
    EXPECT_NE("http://example.com/a", "https://example.com/a");
    EXPECT_NE("http://example.com/a", "http://example.com/b");
    EXPECT_NE("mailto:alice@atlanta.com", "sip:alice@atlanta.com");
}

/* ---------------------------------------------------------------- fields and hosts */

static void test_fields(void **state)
{
    (void)state;
    gosip_uri *u = uri_ok("SIPS:alice:pw@Atlanta.com:5061;transport=tcp;lr;maddr=10.0.0.1?a=b&c=d");
    assert_int_equal(u->scheme, GOSIP_URI_SIPS);
    tu_assert_str(u->scheme_name, "SIPS");
    tu_assert_str(u->user, "alice");
    tu_assert_str(u->password, "pw");
    tu_assert_str(u->host, "Atlanta.com");
    assert_int_equal(u->host_type, GOSIP_HOST_NAME);
    assert_int_equal(u->port, 5061);
    tu_assert_str(u->headers, "a=b&c=d");
    tu_assert_str(u->raw, "SIPS:alice:pw@Atlanta.com:5061;transport=tcp;lr;maddr=10.0.0.1?a=b&c=d");
    const gosip_param *p = u->params;
    tu_assert_str(p->name, "transport");
    tu_assert_str(p->value, "tcp");
    p = p->next;
    tu_assert_str(p->name, "lr");
    assert_null(p->value.p);
    p = p->next;
    tu_assert_str(p->name, "maddr");
    tu_assert_str(p->value, "10.0.0.1");
    assert_null(p->next);
    /* gosip_uri_param: case-insensitive name, NULL when absent */
    assert_ptr_equal(gosip_uri_param(u, "LR"), u->params->next);
    tu_assert_str(gosip_uri_param(u, "Transport")->value, "tcp");
    assert_null(gosip_uri_param(u, "ttl"));
    assert_null(gosip_uri_param(NULL, "lr"));
    gosip_uri_free(u);
    u = uri_ok("sip:atlanta.com");
    assert_null(u->user.p);
    assert_null(u->password.p);
    assert_null(u->headers.p);
    assert_null(u->params);
    assert_int_equal(u->port, -1);
    gosip_uri_free(u);
}

static void check_host(const char *text, gosip_host_type type, const char *host, int port)
{
    gosip_uri *u = uri_ok(text);
    assert_int_equal(u->host_type, type);
    tu_assert_str(u->host, host);
    assert_int_equal(u->port, port);
    gosip_uri_free(u);
}

static void test_host_types(void **state)
{
    (void)state;
    check_host("sip:alice@atlanta.com", GOSIP_HOST_NAME, "atlanta.com", -1);
    check_host("sip:alice@atlanta.com.", GOSIP_HOST_NAME, "atlanta.com.", -1);
    check_host("sip:alice@192.0.2.4:5060", GOSIP_HOST_IPV4, "192.0.2.4", 5060);
    check_host("sip:192.0.2.4", GOSIP_HOST_IPV4, "192.0.2.4", -1);
    check_host("sip:alice@[2001:db8::10]", GOSIP_HOST_IPV6, "[2001:db8::10]", -1);
    check_host("sip:[2001:db8::10]:5070;lr", GOSIP_HOST_IPV6, "[2001:db8::10]", 5070);
    check_host("sip:[::ffff:192.0.2.4]", GOSIP_HOST_IPV6, "[::ffff:192.0.2.4]", -1);
    check_host("sip:h:65535", GOSIP_HOST_NAME, "h", 65535);
    check_host("sip:h:0", GOSIP_HOST_NAME, "h", 0);
    /* an IPv4 address and an IPv6 one never equal a name, nor each other */
    EXPECT_NE("sip:[::ffff:192.0.2.4]", "sip:192.0.2.4");
}

/* ---------------------------------------------------------------- malformed */

static void test_bad_uris(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                 /* empty */
        "sip:",             /* no host */
        "sip:alice@",       /* empty host */
        "sip:@atlanta.com", /* empty user */
        "sip:atlanta.com:", /* empty port */
        "sip:atlanta.com:65536",
        "sip:atlanta.com:5060x",
        "sip:%4@atlanta.com", /* unterminated escapes */
        "sip:%4",
        "sip:a%4g@atlanta.com",
        "sip:atlanta.com;x=%4",
        "sip:2001:db8::1", /* IPv6 without brackets */
        "sip:[2001:db8::1",
        "sip:[2001:db8::1]x",
        "sip:192.0.2.256",
        "sip:-atlanta.com",
        "sip:alice @atlanta.com", /* spaces */
        "sip:alice@atlanta.com ",
        " sip:alice@atlanta.com",
        "sip:al<ice@atlanta.com", /* '<' */
        "sip:alice@atlanta.com>",
        "sip:atlanta.com;=1", /* empty parameter name */
        "tel:",
        "tel:+1 201",
        "mailto:",
        "1http://x", /* scheme must start with a letter */
        "nocolon",
        "http://a b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        uri_bad(bad[i], strlen(bad[i]), GOSIP_ERR_PARSE);
}

/* headers = "?" header *( "&" header ); header = hname "=" hvalue: "?" needs one. */
static void test_bad_uri_headers(void **state)
{
    (void)state;
    uri_bad("sip:alice@atlanta.com?", 22, GOSIP_ERR_PARSE);
}

static void test_bad_args(void **state)
{
    (void)state;
    gosip_uri *u = NULL;
    assert_int_equal(gosip_uri_new(NULL, NULL, GOSIP_STR("sip:a@b")), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_uri_new(&u, NULL, (gosip_str){NULL, 3}), GOSIP_ERR_INVALID_ARG);
    assert_null(u);
    /* the text need not be NUL-terminated: only n bytes are read */
    uri_bad("sip:alice@atlanta.com", 4, GOSIP_ERR_PARSE);
    gosip_uri_free(NULL);
    assert_int_equal(gosip_uri_equal(NULL, NULL), 1);
    u = uri_ok("sip:alice@atlanta.com");
    assert_int_equal(gosip_uri_equal(u, NULL), 0);
    assert_int_equal(gosip_uri_equal(NULL, u), 0);
    gosip_uri_free(u);
}

/* Every allocation failure gives NOMEM with nothing leaked (cmocka checks the heap). */
static void test_nomem(void **state)
{
    (void)state;
    for (long k = 0;; k++) {
        tu_failmem fm;
        tu_failmem_init(&fm, k);
        gosip_uri *u = NULL;
        int rc = gosip_uri_new(&u, &fm.mem, GOSIP_STR("sip:alice@atlanta.com;transport=tcp"));
        if (fm.failed == 0) {
            assert_int_equal(rc, 0);
            gosip_uri_free(u);
            break;
        }
        assert_int_equal(rc, GOSIP_ERR_NOMEM);
        assert_null(u);
        assert_true(k < 100);
    }
}

/* ---------------------------------------------------------------- print */

static void test_print(void **state)
{
    (void)state;
    const char *text = "sip:%61lice@AtLanTa.CoM;Transport=tcp?subject=x";
    gosip_uri *u = uri_ok(text);
    size_t n = strlen(text);
    char buf[128];
    char probe = 'x';
    assert_int_equal(gosip_uri_print(u, &probe, 0), n);
    assert_int_equal(probe, 'x');
    memset(buf, 'z', sizeof buf);
    assert_int_equal(gosip_uri_print(u, buf, sizeof buf), n);
    assert_string_equal(buf, text);
    memset(buf, 'z', sizeof buf);
    assert_int_equal(gosip_uri_print(u, buf, 8), n);
    assert_string_equal(buf, "sip:%61");
    assert_int_equal(buf[8], 'z');
    /* a printed URI parses to an equal one */
    gosip_uri *again = uri_ok(text);
    assert_true(gosip_uri_equal(u, again));
    gosip_uri_free(again);
    gosip_uri_free(u);
    assert_int_equal(gosip_uri_print(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

/* ---------------------------------------------------------------- limits */

/* A sip URI of exactly n bytes: "sip:a@example.com;x=" padded with 'p'. */
static char *uri_of_len(size_t n)
{
    return tu_padded("sip:a@example.com;x=", 'p', n);
}

static void test_length_limit(void **state)
{
    (void)state;
    char *s = uri_of_len(GOSIP_DEFAULT_MAX_URI_LEN);
    gosip_uri *u = uri_ok(s);
    assert_int_equal(u->raw.n, GOSIP_DEFAULT_MAX_URI_LEN);
    assert_int_equal(gosip_uri_param(u, "x")->value.n, GOSIP_DEFAULT_MAX_URI_LEN - 20);
    gosip_uri_free(u);
    free(s);
    s = uri_of_len(GOSIP_DEFAULT_MAX_URI_LEN + 1);
    uri_bad(s, GOSIP_DEFAULT_MAX_URI_LEN + 1, GOSIP_ERR_TOO_LARGE);
    free(s);
}

/* "sip:a@example.com" followed by n parameters ";p0;p1...". */
static size_t uri_with_params(char *buf, size_t cap, unsigned n)
{
    size_t len = (size_t)snprintf(buf, cap, "sip:a@example.com");
    for (unsigned i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, ";p%u", i);
    assert_true(len < cap);
    return len;
}

/* The default parameter limit through gosip_uri_new: 64 accepted, 65 refused (LIMIT). */
static void test_default_param_limit(void **state)
{
    (void)state;
    char buf[1024];
    uri_with_params(buf, sizeof buf, GOSIP_DEFAULT_MAX_PARAMS);
    gosip_uri *u = uri_ok(buf);
    assert_non_null(gosip_uri_param(u, "p63"));
    gosip_uri_free(u);
    size_t n = uri_with_params(buf, sizeof buf, GOSIP_DEFAULT_MAX_PARAMS + 1);
    uri_bad(buf, n, GOSIP_ERR_LIMIT);
}

static gosip_msg *parse_request(const char *ruri, const char *from_uri, const gosip_msg_limits *lim)
{
    char msg[2048];
    int n = snprintf(msg, sizeof msg,
                     "OPTIONS %s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKuri1\r\n"
                     "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
                     "From: <%s>;tag=77\r\nCall-ID: uri1@example.com\r\n"
                     "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
                     ruri, from_uri);
    assert_true(n > 0 && (size_t)n < sizeof msg);
    gosip_parse_opts o = {0};
    o.mem = tu_mem_tracked();
    o.limits = lim;
    gosip_msg *m = NULL;
    gosip_parse_error err;
    assert_int_equal(gosip_msg_parse(&m, msg, (size_t)n, &o, &err), 0);
    return m;
}

/* max_params with custom limits, in the Request-URI and in a header's URI. */
static void test_param_limit_in_message(void **state)
{
    (void)state;
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_params = 3;
    char at[256], over[256];
    uri_with_params(at, sizeof at, 3);
    uri_with_params(over, sizeof over, 4);

    gosip_msg *m = parse_request(at, at, &lim);
    assert_non_null(gosip_msg_request_uri(m));
    assert_non_null(gosip_uri_param(gosip_msg_request_uri(m), "p2"));
    assert_non_null(gosip_msg_from(m));
    assert_int_equal(gosip_hdr_error(gosip_msg_hdr(m, GOSIP_HDR_FROM)), 0);
    assert_int_equal(gosip_msg_defect(m, NULL), 0);
    gosip_msg_unref(m);

    gosip_parse_error err;
    m = parse_request(over, at, &lim);
    assert_null(gosip_msg_request_uri(m));
    assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_LIMIT);
    assert_int_equal(err.kind, GOSIP_HDR_OTHER);
    gosip_msg_unref(m);

    m = parse_request(at, over, &lim);
    assert_non_null(gosip_msg_request_uri(m));
    assert_null(gosip_msg_from(m));
    assert_int_equal(gosip_hdr_error(gosip_msg_hdr(m, GOSIP_HDR_FROM)), GOSIP_ERR_LIMIT);
    assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_LIMIT);
    assert_int_equal(err.kind, GOSIP_HDR_FROM);
    gosip_msg_unref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_equivalent_sets),
        cmocka_unit_test(test_rfc_unequal_pairs),
        cmocka_unit_test(test_not_transitive),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_escaped_reserved_not_equivalent),
        cmocka_unit_test(test_case_rules),
        cmocka_unit_test(test_userinfo_presence),
        cmocka_unit_test(test_strict_params),
        cmocka_unit_test(test_other_params),
        cmocka_unit_test(test_headers_as_sets),
        cmocka_unit_test(test_scheme_and_port),
        cmocka_unit_test(test_tel),
        cmocka_unit_test(test_tel_phone_context_separators),
        cmocka_unit_test(test_other_schemes),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_host_types),
        cmocka_unit_test(test_bad_uris),
        cmocka_unit_test(test_bad_uri_headers),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_nomem),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_default_param_limit),
        cmocka_unit_test(test_param_limit_in_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
