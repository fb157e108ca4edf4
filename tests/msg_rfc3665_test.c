/*
 * RFC 3665 call-flow messages (testdata/rfc3665, one message per file) against the
 * parser and printer: each parses clean, prints byte for byte, survives parse -> print
 * -> parse unchanged, frames on a stream, and survives an edit (a header added, a new top
 * Via, one removed) through print and parse again.
 *
 * The file name says what the message is: "<section>_F<n>_<METHOD or status>_...".
 */
#include "testutil.h"

#include <ctype.h>

#define DIR_3665 TU_DATA("rfc3665")

/*
 * The examples are published with a few errors (testdata/README.md). A liberal reading
 * is expected where one exists; where none does, the defect that is allowed is named.
 */
typedef struct erratum {
    const char *prefix;  /* file name prefix */
    int defect_ok;       /* a defect is acceptable here ... */
    gosip_hdr_kind kind; /* ... on this header (GOSIP_HDR_OTHER: a line that is none) */
} erratum;

static const erratum errata[] = {
    /* "SIP/2.0  486 Busy Here": a double space; read liberally, status 486 */
    {"3.9_F6_", 0, GOSIP_HDR_OTHER},
    {"3.9_F8_", 0, GOSIP_HDR_OTHER},
    {"3.9_F10_", 0, GOSIP_HDR_OTHER},
    /* Authorization lacks the comma after realm="...": the digest params still read */
    {"2.1_F3_", 0, GOSIP_HDR_OTHER},
    /* the second Record-Route value lost its indentation: a line without a colon */
    {"3.10_F4_", 1, GOSIP_HDR_OTHER},
};

static const erratum *find_erratum(const char *file)
{
    for (size_t i = 0; i < sizeof errata / sizeof errata[0]; i++)
        if (strncmp(file, errata[i].prefix, strlen(errata[i].prefix)) == 0)
            return &errata[i];
    return NULL;
}

/* The token after "_F<n>_" in the file name, e.g. "INVITE" or "180". */
static void name_token(const char *file, char *tok, size_t cap)
{
    const char *p = strstr(file, "_F");
    assert_non_null(p);
    p = strchr(p + 2, '_');
    assert_non_null(p);
    size_t n = 0;
    for (p++; *p && *p != '_' && n + 1 < cap; p++)
        tok[n++] = *p;
    tok[n] = '\0';
}

/* The start line agrees with the file name (a status code, or a method in capitals). */
static void check_start_line(const gosip_msg *m, const char *file)
{
    char tok[32];
    name_token(file, tok, sizeof tok);
    if (isdigit((unsigned char)tok[0])) {
        assert_false(gosip_msg_is_request(m));
        assert_int_equal(gosip_msg_status(m), atoi(tok));
    } else if (isupper((unsigned char)tok[1])) {
        assert_true(gosip_msg_is_request(m));
        tu_assert_str(gosip_msg_method_name(m), tok);
        assert_int_not_equal(gosip_msg_method(m), GOSIP_METHOD_UNKNOWN);
        assert_int_equal(gosip_msg_method(m), gosip_method_from_str(gosip_str_from_cstr(tok)));
        assert_non_null(gosip_msg_request_uri(m));
    } else {
        assert_false(gosip_msg_is_request(m)); /* "2.5_F2_Unauthorized_..." */
    }
    tu_assert_str(gosip_msg_version(m), "SIP/2.0");
}

/* What every message of these flows carries, read through the typed views. */
static void check_core(const gosip_msg *m)
{
    assert_true(gosip_msg_hdr_count(m, GOSIP_HDR_VIA) >= 1);
    for (const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_VIA); h; h = gosip_hdr_next_same(h)) {
        const gosip_via *v = gosip_hdr_via(h);
        assert_non_null(v);
        assert_true(v->branch.n > 7 && memcmp(v->branch.p, "z9hG4bK", 7) == 0);
        assert_int_equal(v->host_type, GOSIP_HOST_NAME);
    }
    assert_non_null(gosip_msg_from(m));
    assert_true(gosip_msg_from(m)->tag.n > 0);
    assert_non_null(gosip_msg_to(m));
    assert_true(gosip_msg_call_id(m).n > 0);
    const gosip_cseq *cs = gosip_msg_cseq(m);
    assert_non_null(cs);
    if (gosip_msg_is_request(m)) {
        assert_int_equal(cs->method, gosip_msg_method(m));
        tu_assert_same(cs->method_name, gosip_msg_method_name(m));
    }
    const gosip_hdr *cl = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH);
    if (cl)
        assert_int_equal(gosip_hdr_uint(cl)->value, gosip_msg_body(m).n);
}

static void check_defect(const gosip_msg *m, const erratum *er)
{
    gosip_parse_error e;
    memset(&e, 0, sizeof e);
    int d = gosip_msg_defect(m, &e);
    if (d == 0)
        return;
    if (!er || !er->defect_ok) {
        const char *k = gosip_hdr_kind_name(e.kind);
        print_error("defect %s at offset %zu, header %s: %s\n", gosip_err_name(d), e.offset,
                    k ? k : "-", e.reason ? e.reason : "");
        fail();
    }
    assert_int_equal(e.kind, er->kind);
    assert_int_equal(e.status, 400);
}

static void test_flow(void **state)
{
    char *data;
    size_t len;
    const tu_case *c = tu_case_read(state, &data, &len);
    const erratum *er = find_erratum(c->name);
    gosip_msg *m;
    assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    check_defect(m, er);
    check_start_line(m, c->name);
    check_core(m);

    tu_assert_prints_as(m, data, len);
    tu_assert_reparse_equal(m, data, len);

    tu_assert_framed(m, data, len, len); /* 3.8 F19 has no Content-Length */
    int defect = gosip_msg_defect(m, NULL);
    gosip_msg_unref(m);
    if (!defect)
        tu_roundtrip_modified(data, len);
    free(data);
}

/* ---------------------------------------------------------------- the errata, in detail */

static void test_busy_here_double_space(void **state)
{
    (void)state;
    gosip_msg *m = tu_load(DIR_3665, "3.9_F6_486_Busy_Here_Bob_Proxy_2.sip");
    assert_int_equal(gosip_msg_defect(m, NULL), 0);
    assert_int_equal(gosip_msg_status(m), 486);
    tu_assert_str(gosip_msg_reason(m), "Busy Here");
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 3);
    tu_assert_str(gosip_msg_via(m)->received, "192.0.2.222");
    gosip_msg_unref(m);
}

static void test_authorization_missing_comma(void **state)
{
    (void)state;
    static const char *const names[] = {"username", "realm", "nonce", "opaque", "uri", "response"};
    gosip_msg *m = tu_load(DIR_3665, "2.1_F3_REGISTER_Bob_SIP_Server.sip");
    const gosip_auth *a = gosip_hdr_auth(gosip_msg_hdr(m, GOSIP_HDR_AUTHORIZATION));
    assert_non_null(a);
    tu_assert_str(a->scheme, "Digest");
    const gosip_param *p = a->params;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++, p = p->next) {
        assert_non_null(p);
        tu_assert_str(p->name, names[i]);
    }
    assert_null(p);
    tu_assert_str(gosip_param_find(a->params, "realm")->value, "\"atlanta.example.com\"");
    tu_assert_str(gosip_param_find(a->params, "nonce")->value,
                  "\"ea9c8e88df84f1cec4341ae6cbe5a359\"");
    gosip_msg_unref(m);
}

/*
 * "Record-Route: <sip:ss2...;lr>," then "<sip:ss1...;lr>" at the start of a line. The
 * second line is no header; the first keeps one value, without the dangling comma.
 */
static void test_record_route_lost_indent(void **state)
{
    (void)state;
    gosip_msg *m = tu_load(DIR_3665, "3.10_F4_INVITE_Proxy_2_Bob.sip");
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_RECORD_ROUTE), 1);
    const gosip_hdr *rr = gosip_msg_hdr(m, GOSIP_HDR_RECORD_ROUTE);
    tu_assert_str(gosip_hdr_value(rr), "<sip:ss2.biloxi.example.com;lr>");
    tu_assert_str(gosip_hdr_nameaddr(rr)->uri->host, "ss2.biloxi.example.com");
    /* the headers after the stray line are all there */
    assert_non_null(gosip_msg_from(m));
    assert_non_null(gosip_msg_contact(m));
    assert_int_equal(gosip_msg_body(m).n, 151);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- a whole stream */

/*
 * Every flow message with a Content-Length, back to back on one stream with CRLF
 * keep-alives between some (RFC 5626 4.4.1), framed by one framer fed in 61-octet steps.
 */
static void test_one_stream(void **state)
{
    (void)state;
    tu_names files;
    assert_int_equal(tu_list_dir(DIR_3665, ".sip", &files), 0);
    tu_buf s = {NULL, 0, 0};
    size_t *lens = calloc(files.n, sizeof *lens), *skips = calloc(files.n, sizeof *skips), k = 0;
    assert_true(lens && skips);
    for (size_t i = 0; i < files.n; i++) {
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(tu_read_data(DIR_3665, files.names[i], &data, &len), 0);
        if (strstr(data, "\r\nContent-Length:")) {
            skips[k] = (i % 3 == 0) ? 2 * (i % 5) : 0;
            for (size_t j = 0; j < skips[k]; j += 2)
                tu_buf_add(&s, "\r\n", 2);
            tu_buf_add(&s, data, len);
            lens[k++] = len;
        }
        free(data);
    }
    assert_int_equal(k, files.n - 1); /* all but 3.8 F19 */

    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    gosip_framer f;
    memset(&f, 0, sizeof f);
    size_t at = 0, avail = 0, got = 0;
    while (got < k) {
        size_t skip = 0, n = 0;
        int rc = gosip_framer_next(&f, s.p + at, avail - at, &lim, &skip, &n);
        assert_true(rc == 0 || rc == 1);
        if (rc == 0) {
            assert_true(avail < s.n);
            avail = avail + 61 < s.n ? avail + 61 : s.n;
            continue;
        }
        assert_int_equal(skip, skips[got]);
        assert_int_equal(n, lens[got]);
        gosip_msg *m;
        assert_int_equal(tu_parse(s.p + at + skip, n, GOSIP_FRAMING_STREAM, &m, NULL), 0);
        gosip_msg_unref(m);
        at += skip + n; /* the same framer goes on with the next message */
        got++;
    }
    assert_int_equal(at, s.n);
    free(lens);
    free(skips);
    tu_buf_free(&s);
    tu_names_free(&files);
}

/* ---------------------------------------------------------------- sipfrag */

/* A whole message is also a message/sipfrag (RFC 3420) and reads the same. */
static void test_as_sipfrag(void **state)
{
    (void)state;
    tu_names files;
    assert_int_equal(tu_list_dir(DIR_3665, ".sip", &files), 0);
    for (size_t i = 0; i < files.n; i++) {
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(tu_read_data(DIR_3665, files.names[i], &data, &len), 0);
        gosip_parse_opts o;
        memset(&o, 0, sizeof o);
        o.mem = tu_mem_tracked();
        gosip_msg *frag, *m;
        assert_int_equal(gosip_sipfrag_parse(&frag, data, len, &o), 0);
        assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
        assert_false(gosip_msg_is_fragment(frag));
        tu_assert_msg_equal(m, frag);
        tu_assert_prints_as(frag, data, len);
        gosip_msg_unref(m);
        gosip_msg_unref(frag);
        free(data);
    }
    tu_names_free(&files);
}

static void test_all_files_present(void **state)
{
    (void)state;
    tu_names files;
    assert_int_equal(tu_list_dir(DIR_3665, ".sip", &files), 0);
    assert_int_equal(files.n, 181);
    for (size_t i = 0; i < sizeof errata / sizeof errata[0]; i++) {
        size_t hits = 0;
        for (size_t j = 0; j < files.n; j++)
            hits += strncmp(files.names[j], errata[i].prefix, strlen(errata[i].prefix)) == 0;
        assert_int_equal(hits, 1);
    }
    tu_names_free(&files);
}

int main(void)
{
    static const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_all_files_present),
        cmocka_unit_test(test_busy_here_double_space),
        cmocka_unit_test(test_authorization_missing_comma),
        cmocka_unit_test(test_record_route_lost_indent),
        cmocka_unit_test(test_one_stream),
        cmocka_unit_test(test_as_sipfrag),
    };
    int failed = tu_run_dir("rfc3665", DIR_3665, ".sip", test_flow);
    failed += cmocka_run_group_tests_name("rfc3665_other", extra, NULL, NULL);
    return failed;
}
