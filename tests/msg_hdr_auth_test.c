/*
 * Typed parser and printer of the auth shape: Authorization, Proxy-Authorization and the
 * challenges (Digest auth-params, other schemes, token68), and Authentication-Info. The
 * fixture is tu_hdr.h.
 */
#include "tu_hdr.h"

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
    BAD_ALL(f, gosip__parse_auth, cases, GOSIP_ERR_PARSE);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
