/*
 * RFC 4475 torture messages whose verdict depends on the role or the options of the element
 * (UAS, registrar, proxy) or on the transport (stream framing), and the presence of every
 * file the verdict table of tu_rfc4475.h names.
 */
#include "tu_rfc4475.h"

/* Every file the table names is present: a lost torture message must not go unnoticed. */
static void test_all_files_present(void **state)
{
    (void)state;
    size_t n;
    const expect *t = rfc4475_table(&n);
    TU_ASSERT_DIR_HOLDS(DIR_4475, ".dat", 50, t, n, file);
}

static void assert_tags(const gosip_verdict *v, const char *a, const char *b)
{
    assert_int_equal(v->n_unsupported, 2);
    tu_assert_str(v->unsupported[0], a);
    tu_assert_str(v->unsupported[1], b);
}

/* r holds exactly two values of a kind, with these texts. */
static void assert_hdr_values(const gosip_msg *r, gosip_hdr_kind kind, const char *a, const char *b)
{
    assert_int_equal(gosip_msg_hdr_count(r, kind), 2);
    tu_assert_str(gosip_hdr_value(tu_hdr_kind_nth(r, kind, 0)), a);
    tu_assert_str(gosip_hdr_value(tu_hdr_kind_nth(r, kind, 1)), b);
}

/* RFC 4475 3.3.5: 420 listing Require's options at a UAS, Proxy-Require's at a proxy. */
static void test_bext01_roles(void **state)
{
    (void)state;
    gosip_msg *m = tu_load(DIR_4475, "bext01.dat"), *r;
    gosip_verdict v;
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, NULL, &v), 420);
    assert_tags(&v, "nothingSupportsThis", "nothingSupportsThisEither");
    assert_int_equal(gosip_msg_new_error_response(&r, m, &v, NULL, GOSIP_STR_NULL), 0);
    assert_hdr_values(r, GOSIP_HDR_UNSUPPORTED, "nothingSupportsThis", "nothingSupportsThisEither");
    gosip_msg_unref(r);

    assert_int_equal(tu_verdict(m, GOSIP_ROLE_PROXY, NULL, &v), 420);
    assert_tags(&v, "noProxiesSupportThis", "norDoAnyProxiesSupportThis");
    gosip_msg_unref(m);
}

/* RFC 4475 3.1.1.2 and 3.1.1.5: an endpoint answers an unknown method 501 with Allow. */
static void test_unknown_method_501(void **state)
{
    (void)state;
    static const char *const files[] = {"intmeth.dat", "esc02.dat"};
    for (size_t i = 0; i < 2; i++) {
        gosip_msg *m = tu_load(DIR_4475, files[i]), *r;
        gosip_verdict v;
        assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, NULL, &v), 501);
        assert_int_equal(gosip_msg_new_error_response(&r, m, &v, NULL, GOSIP_STR_NULL), 0);
        assert_int_equal(gosip_msg_status(r), 501);
        assert_true(gosip_msg_hdr_count(r, GOSIP_HDR_ALLOW) >= 6);
        gosip_msg_unref(r);
        gosip_msg_unref(m);
    }
}

/* RFC 4475 3.3.2, 3.3.4, 3.3.6, 3.3.7, 3.3.11, 3.1.1.2: what depends on the role. */
static void test_role_verdicts(void **state)
{
    (void)state;
    gosip_validate_opts o;
    gosip_msg *m = tu_load(DIR_4475, "unksm2.dat");
    memset(&o, 0, sizeof o);
    o.registrar = 1;
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, &o, NULL), 400); /* To: isbn: */
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_PROXY, NULL, NULL), 0);
    gosip_msg_unref(m);

    static const char *const sdp_only[] = {"application/sdp"};
    m = tu_load(DIR_4475, "invut.dat");
    memset(&o, 0, sizeof o);
    o.content_types = sdp_only;
    o.n_content_types = 1;
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, &o, NULL), 415);
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_PROXY, &o, NULL), 0);
    gosip_msg_unref(m);

    static const gosip_method no_register[] = {GOSIP_METHOD_INVITE, GOSIP_METHOD_ACK,
                                               GOSIP_METHOD_BYE, GOSIP_METHOD_CANCEL,
                                               GOSIP_METHOD_OPTIONS};
    m = tu_load(DIR_4475, "regaut01.dat");
    memset(&o, 0, sizeof o);
    o.methods = no_register;
    o.n_methods = 5;
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, &o, NULL), 405);
    memset(&o, 0, sizeof o);
    o.registrar = 1;
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, &o, NULL), 0); /* unknown scheme ignored */
    gosip_msg_unref(m);

    /* RFC 4475 3.3.15: an INVITE accepting only what this UAS cannot answer with */
    m = tu_load(DIR_4475, "sdp01.dat");
    memset(&o, 0, sizeof o);
    o.content_types = sdp_only;
    o.n_content_types = 1;
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, &o, NULL), 406);
    gosip_msg_unref(m);
}

static void test_proxy_verdicts(void **state)
{
    (void)state;
    gosip_msg *m = tu_load(DIR_4475, "zeromf.dat");
    gosip_verdict v;
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_PROXY, NULL, &v), 483);
    /* an OPTIONS: the proxy may answer it itself instead */
    assert_true(v.flags & GOSIP_VERDICT_MAY_ANSWER);
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, NULL, NULL), 0);
    gosip_msg_unref(m);
    m = tu_load(DIR_4475, "unkscm.dat");
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_PROXY, NULL, NULL), 416);
    gosip_msg_unref(m);
    /* a proxy forwards requests whatever their method */
    m = tu_load(DIR_4475, "intmeth.dat");
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_PROXY, NULL, NULL), 0);
    gosip_msg_unref(m);
    m = tu_load(DIR_4475, "esc02.dat");
    assert_int_equal(tu_verdict(m, GOSIP_ROLE_PROXY, NULL, NULL), 0);
    gosip_msg_unref(m);
}

/* RFC 4475 3.1.2.2, 3.1.2.3, 3.3.9 on a stream: wait for more, or a framing error. */
static void test_stream_framing(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int framer; /* what gosip_framer_next returns */
    } cases[] = {
        {"clerr.dat", 0}, {"ncl.dat", GOSIP_ERR_FRAMING}, {"mcl01.dat", GOSIP_ERR_FRAMING}};
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *data = NULL;
        size_t len = 0, skip = 0, n = 0;
        assert_int_equal(tu_read_data(DIR_4475, cases[i].file, &data, &len), 0);
        gosip_framer f;
        memset(&f, 0, sizeof f);
        assert_int_equal(gosip_framer_next(&f, data, len, &lim, &skip, &n), cases[i].framer);
        gosip_msg *m;
        assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_STREAM, &m, NULL), GOSIP_ERR_FRAMING);
        free(data);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_files_present),  cmocka_unit_test(test_bext01_roles),
        cmocka_unit_test(test_unknown_method_501), cmocka_unit_test(test_role_verdicts),
        cmocka_unit_test(test_proxy_verdicts),     cmocka_unit_test(test_stream_framing),
    };
    return cmocka_run_group_tests_name("rfc4475_roles_and_framing", tests, NULL, NULL);
}
