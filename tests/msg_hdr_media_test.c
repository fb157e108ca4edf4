/*
 * Typed parser and printer of the media shape: Content-Type (one concrete type) and Accept
 * (wildcards, an empty value). The fixture is tu_hdr.h.
 */
#include "tu_hdr.h"

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
    BAD_ALL(f, gosip__parse_media, cases, GOSIP_ERR_PARSE);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_media_content_type), T(test_media_content_type_invalid),
        T(test_media_accept),       T(test_media_max_params),
        T(test_media_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
