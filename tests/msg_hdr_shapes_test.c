/*
 * Typed parsers and printers of the less common header shapes: RAck, Warning, info URIs,
 * MIME-Version and Privacy, and every shape parser of the msg_hdr_*_test.c suites on an arena
 * that cannot allocate. The fixture is tu_hdr.h.
 */
#include "tu_hdr.h"

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
    BAD_ALL(f, gosip__parse_rack, cases, GOSIP_ERR_PARSE);
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
    BAD_ALL(f, gosip__parse_warning, cases, GOSIP_ERR_PARSE);
    roundtrip(f, gosip__parse_warning, gosip__print_warning, warning_same,
              "007  isi.edu\t\"Session parameter 'foo' not understood\"",
              "007 isi.edu \"Session parameter 'foo' not understood\"");
    roundtrip(f, gosip__parse_warning, gosip__print_warning, warning_same,
              "399 [2001:db8::1]:5061 \"\"", "399 [2001:db8::1]:5061 \"\"");
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
    BAD_ALL(f, gosip__parse_info_uri, cases, GOSIP_ERR_PARSE);
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
    BAD_ALL(f, gosip__parse_mime_version, cases, GOSIP_ERR_PARSE);
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
    BAD_ALL(f, gosip__parse_privacy, cases, GOSIP_ERR_PARSE);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rack),         T(test_warning), T(test_info_uri),
        T(test_mime_version), T(test_privacy), T(test_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
