/* Error responses built from verdicts (RFC 3261 8.2), and verdicts of unparsable bytes. */
#include "testutil.h"

#define BUF_MAX 70000

/* ---------------------------------------------------------------- helpers */

/* Prints and re-parses a message, so that assertions see what goes on the wire. */
static gosip_msg *reparse(const gosip_msg *m)
{
    static char buf[BUF_MAX];
    size_t n = gosip_msg_print(m, buf, sizeof buf);
    assert_true(n < sizeof buf);
    return tu_parse_text(buf);
}

#define BODY "v=0\r\n"
#define WITH_BODY(ctype_lines)                                                                     \
    "INVITE sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID                \
    "CSeq: 1 INVITE\r\n" ctype_lines "Content-Length: 5\r\n\r\n" BODY

/* ---------------------------------------------------------------- parse errors */

static void test_parse_error_verdict(void **state)
{
    (void)state;
    gosip_verdict v;
    gosip_parse_error big = {.code = GOSIP_ERR_TOO_LARGE, .reason = "too big"};
    const char *req = "INVITE sip:a@b SIP/2.0\r\n";
    assert_int_equal(gosip_parse_error_verdict(req, strlen(req), &big, &v), 0);
    assert_int_equal(v.status, 513);
    assert_string_equal(v.reason, gosip_reason_phrase(513));
    assert_string_equal(v.detail, "too big");
    const char *resp = "\r\n\r\nSIP/2.0 200 OK\r\n";
    assert_int_equal(gosip_parse_error_verdict(resp, strlen(resp), &big, &v), 0);
    assert_int_equal(v.status, -1);
    gosip_parse_error nothing = {.code = GOSIP_ERR_PARSE, .status = 0};
    assert_int_equal(gosip_parse_error_verdict(req, strlen(req), &nothing, &v), 0);
    assert_int_equal(v.status, -1);
    gosip_parse_error bad = {.code = GOSIP_ERR_PARSE, .status = 400};
    assert_int_equal(gosip_parse_error_verdict(req, strlen(req), &bad, &v), 0);
    assert_int_equal(v.status, 400);

    /* The real thing: a request over the size limit. */
    char buf[4096];
    int n = snprintf(buf, sizeof buf, TU_REQ("OPTIONS", "Subject: %0900d\r\n"), 0);
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_msg_size = 512;
    gosip_parse_opts po = {.limits = &lim};
    gosip_msg *m = NULL;
    gosip_parse_error err;
    assert_int_equal(gosip_msg_parse(&m, buf, (size_t)n, &po, &err), GOSIP_ERR_TOO_LARGE);
    assert_int_equal(gosip_parse_error_verdict(buf, (size_t)n, &err, &v), 0);
    assert_int_equal(v.status, 513);
}

/* ---------------------------------------------------------------- error responses */

static gosip_msg *error_response(const char *req_text, gosip_role role,
                                 const gosip_validate_opts *o, int status)
{
    gosip_msg *req = tu_parse_text(req_text);
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(req, role, o, &v), 0);
    assert_int_equal(v.status, status);
    gosip_msg *r = NULL;
    assert_int_equal(gosip_msg_new_error_response(&r, req, &v, o, GOSIP_STR("uas-tag1")), 0);
    gosip_msg *wire = reparse(r);
    assert_int_equal(gosip_msg_status(wire), status);
    assert_true(
        gosip_str_eq(gosip_msg_reason(wire), gosip_str_from_cstr(gosip_reason_phrase(status))));
    /* The 8.2.6 part: From, Call-ID, CSeq as in the request; To with our tag. */
    assert_true(gosip_str_eq(gosip_msg_call_id(wire), gosip_msg_call_id(req)));
    assert_int_equal(gosip_msg_cseq(wire)->seq, gosip_msg_cseq(req)->seq);
    assert_true(gosip_str_eq(gosip_msg_from(wire)->tag, gosip_msg_from(req)->tag));
    assert_true(gosip_str_eq(gosip_msg_to(wire)->tag, GOSIP_STR("uas-tag1")));
    assert_int_equal(gosip_msg_hdr_count(wire, GOSIP_HDR_VIA),
                     gosip_msg_hdr_count(req, GOSIP_HDR_VIA));
    gosip_msg_unref(r);
    gosip_msg_unref(req);
    return wire;
}

static void test_error_response_allow(void **state)
{
    (void)state;
    char buf[512];
    static const gosip_method some[] = {GOSIP_METHOD_INVITE, GOSIP_METHOD_ACK, GOSIP_METHOD_INVITE,
                                        GOSIP_METHOD_BYE};
    gosip_validate_opts o = {.methods = some, .n_methods = 4};
    gosip_msg *r = error_response(TU_REQ("REGISTER", ""), GOSIP_ROLE_UAS, &o, 405);
    assert_string_equal(tu_hdr_values(r, GOSIP_HDR_ALLOW, buf, sizeof buf), "INVITE, ACK, BYE");
    gosip_msg_unref(r);
    /* 501 lists every known method by default. */
    r = error_response(TU_REQ("FOO", ""), GOSIP_ROLE_UAS, NULL, 501);
    assert_int_equal(gosip_msg_hdr_count(r, GOSIP_HDR_ALLOW), GOSIP_METHOD_UPDATE);
    tu_hdr_values(r, GOSIP_HDR_ALLOW, buf, sizeof buf);
    assert_non_null(strstr(buf, "INVITE"));
    assert_non_null(strstr(buf, "UPDATE"));
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_UNSUPPORTED));
    gosip_msg_unref(r);
}

static void test_error_response_unsupported(void **state)
{
    (void)state;
    char buf[512];
    gosip_msg *r = error_response(TU_REQ("INVITE", "Require: foo, bar\r\nProxy-Require: baz\r\n"),
                                  GOSIP_ROLE_UAS, NULL, 420);
    assert_string_equal(tu_hdr_values(r, GOSIP_HDR_UNSUPPORTED, buf, sizeof buf), "foo, bar");
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_ALLOW));
    gosip_msg_unref(r);
    r = error_response(TU_REQ("INVITE", "Require: foo, bar\r\nProxy-Require: baz\r\n"),
                       GOSIP_ROLE_PROXY, NULL, 420);
    assert_string_equal(tu_hdr_values(r, GOSIP_HDR_UNSUPPORTED, buf, sizeof buf), "baz");
    gosip_msg_unref(r);
}

static void test_error_response_media(void **state)
{
    (void)state;
    char buf[512];
    static const char *const types[] = {"application/sdp", "text/plain"};
    static const char *const codings[] = {"gzip"};
    gosip_validate_opts o = {
        .content_types = types, .n_content_types = 2, .encodings = codings, .n_encodings = 1};
    gosip_msg *r =
        error_response(WITH_BODY("Content-Type: text/html\r\n"), GOSIP_ROLE_UAS, &o, 415);
    assert_string_equal(tu_hdr_values(r, GOSIP_HDR_ACCEPT, buf, sizeof buf),
                        "application/sdp, text/plain");
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_ACCEPT_ENCODING));
    gosip_msg_unref(r);
    r = error_response(WITH_BODY("Content-Type: text/plain\r\nContent-Encoding: br\r\n"),
                       GOSIP_ROLE_UAS, &o, 415);
    assert_string_equal(tu_hdr_values(r, GOSIP_HDR_ACCEPT_ENCODING, buf, sizeof buf),
                        "identity, gzip");
    assert_null(gosip_msg_hdr(r, GOSIP_HDR_ACCEPT));
    gosip_msg_unref(r);
}

static void test_error_response_broken_request(void **state)
{
    (void)state;
    /* quotbal: To is malformed, yet the 400 goes out with what could be copied. */
    static char buf[BUF_MAX];
    size_t n = tu_read_torture("quotbal", buf, sizeof buf);
    gosip_parse_error err;
    gosip_msg *req = tu_parse_datagram(buf, n, &err);
    assert_non_null(req);
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(req, GOSIP_ROLE_UAS, NULL, &v), 0);
    assert_int_equal(v.status, 400);
    gosip_msg *r = NULL;
    assert_int_equal(gosip_msg_new_error_response(&r, req, &v, NULL, GOSIP_STR("t1")), 0);
    gosip_msg *wire = reparse(r);
    assert_int_equal(gosip_msg_status(wire), 400);
    assert_non_null(gosip_msg_via(wire));
    assert_true(gosip_str_eq(gosip_msg_call_id(wire), GOSIP_STR("quotbal.aksdj")));
    assert_int_equal(gosip_msg_defect(wire, NULL), 0);
    gosip_msg_unref(wire);
    gosip_msg_unref(r);

    /* Only error statuses have an error response. */
    v.status = 0;
    r = NULL;
    assert_int_equal(gosip_msg_new_error_response(&r, req, &v, NULL, GOSIP_STR_NULL),
                     GOSIP_ERR_INVALID_ARG);
    v.status = 200;
    assert_int_equal(gosip_msg_new_error_response(&r, req, &v, NULL, GOSIP_STR_NULL),
                     GOSIP_ERR_INVALID_ARG);
    assert_null(r);
    gosip_msg_unref(req);
}

static void test_error_response_alloc_failures(void **state)
{
    (void)state;
    /* longreq: 34 Vias and long values, so that the response's arena must grow. */
    static char buf[BUF_MAX];
    size_t n = tu_read_torture("longreq", buf, sizeof buf);
    tu_failmem fm;
    tu_failmem_init(&fm, -1);
    gosip_parse_opts po = {.mem = &fm.mem};
    gosip_msg *req = NULL;
    assert_int_equal(gosip_msg_parse(&req, buf, n, &po, NULL), 0);
    static const gosip_method only_bye[] = {GOSIP_METHOD_BYE};
    gosip_validate_opts o = {.methods = only_bye, .n_methods = 1};
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(req, GOSIP_ROLE_UAS, &o, &v), 0);
    assert_int_equal(v.status, 405);
    long refused = 0;
    for (long k = 0;; k++) {
        assert_true(k < 1000);
        fm.fail_at = fm.calls + k;
        fm.failed = 0;
        gosip_msg *sentinel = (gosip_msg *)(uintptr_t)0x1234, *r = sentinel;
        int rc = gosip_msg_new_error_response(&r, req, &v, &o, GOSIP_STR("t"));
        if (rc == 0) {
            assert_int_equal(fm.failed, 0);
            assert_int_equal(gosip_msg_hdr_count(r, GOSIP_HDR_VIA), 34);
            gosip_msg_unref(r);
            break;
        }
        assert_int_equal(rc, GOSIP_ERR_NOMEM);
        assert_ptr_equal(r, sentinel);
        refused++;
    }
    assert_true(refused >= 2); /* the message and at least one arena chunk */
    fm.fail_at = -1;
    gosip_msg_unref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_error_verdict),
        cmocka_unit_test(test_error_response_allow),
        cmocka_unit_test(test_error_response_unsupported),
        cmocka_unit_test(test_error_response_media),
        cmocka_unit_test(test_error_response_broken_request),
        cmocka_unit_test(test_error_response_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
