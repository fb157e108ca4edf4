/*
 * Parser limits (gosip_msg_limits): for each field, a message exactly at the limit is
 * accepted (no error, no defect) and one just past it gets the documented error, with
 * the defaults and with small custom limits. Limits counted on values (Via values,
 * parameters, list values) may be found when a value is first read, since values are
 * parsed lazily: then the message carries a GOSIP_ERR_LIMIT defect instead of the parse
 * failing. max_body_depth and max_body_parts are covered by msg_body_test.c.
 */
#include "testutil.h"

/* ---------------------------------------------------------------- messages */

/* The seven header values of every request below (Content-Length last, added by end()). */
#define BASE_HDRS 7u

static void start_request(tu_buf *b, const char *ruri)
{
    tu_buf_adds(b, "OPTIONS ");
    tu_buf_adds(b, ruri ? ruri : "sip:bob@example.com");
    tu_buf_adds(b, " SIP/2.0\r\n");
}

static void core_headers(tu_buf *b)
{
    tu_buf_adds(b, "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKlim1\r\n"
                   "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
                   "From: <sip:alice@example.com>;tag=1\r\nCall-ID: lim1@example.com\r\n"
                   "CSeq: 1 OPTIONS\r\n");
}

static void end_empty(tu_buf *b)
{
    tu_buf_adds(b, "Content-Length: 0\r\n\r\n");
}

static gosip_parse_opts opts_for(const gosip_msg_limits *lim, gosip_framing framing)
{
    gosip_parse_opts o;
    memset(&o, 0, sizeof o);
    o.mem = tu_mem_tracked();
    o.limits = lim;
    o.framing = framing;
    return o;
}

/* Parses b with lim; on failure returns NULL with *rc and *err set, *out untouched. */
static gosip_msg *parse_fr(const tu_buf *b, const gosip_msg_limits *lim, gosip_framing framing,
                           int *rc, gosip_parse_error *err)
{
    gosip_parse_opts o = opts_for(lim, framing);
    gosip_msg *const sentinel = (gosip_msg *)err;
    gosip_msg *m = sentinel;
    *rc = gosip_msg_parse(&m, b->p, b->n, &o, err);
    if (*rc != 0) {
        assert_ptr_equal(m, sentinel);
        assert_int_equal(err->code, *rc);
        return NULL;
    }
    assert_non_null(m);
    return m;
}

static gosip_msg *parse_b(const tu_buf *b, const gosip_msg_limits *lim, int *rc,
                          gosip_parse_error *err)
{
    return parse_fr(b, lim, GOSIP_FRAMING_DATAGRAM, rc, err);
}

/* Parses b, expecting success with no defect in any value; returns the message. */
static gosip_msg *parse_clean(const tu_buf *b, const gosip_msg_limits *lim)
{
    int rc;
    gosip_parse_error err;
    gosip_msg *m = parse_b(b, lim, &rc, &err);
    if (!m)
        fail_msg("parse failed: %s (%s)", gosip_err_name(rc), err.reason);
    if (gosip_msg_defect(m, &err) != 0)
        fail_msg("unexpected defect %s: %s (kind %d)", gosip_err_name(err.code), err.reason,
                 (int)err.kind);
    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h))
        assert_int_equal(gosip_hdr_error(h), 0);
    return m;
}

/* Parses b, expecting the parse itself to fail with `want`. */
static void parse_fails(const tu_buf *b, const gosip_msg_limits *lim, int want)
{
    int rc;
    gosip_parse_error err;
    gosip_msg *m = parse_b(b, lim, &rc, &err);
    if (m) {
        gosip_msg_unref(m);
        fail_msg("parse succeeded, expected %s", gosip_err_name(want));
    }
    assert_int_equal(rc, want);
}

/*
 * A limit on the values of one comma-separated line (split on first access): the message
 * carries a LIMIT defect, `max` values of `kind` are visible and the last one holds the
 * rest of the line with the LIMIT error (msg.h, gosip_hdr_error).
 */
static void value_limit_hit(const tu_buf *b, const gosip_msg_limits *lim, gosip_hdr_kind kind,
                            unsigned max)
{
    int rc;
    gosip_parse_error err;
    gosip_msg *m = parse_b(b, lim, &rc, &err);
    if (!m) {
        assert_int_equal(rc, GOSIP_ERR_LIMIT);
        return;
    }
    assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_LIMIT);
    assert_int_equal(gosip_msg_hdr_count(m, kind), max);
    const gosip_hdr *last = tu_hdr_kind_nth(m, kind, max - 1);
    assert_int_equal(gosip_hdr_error(last), GOSIP_ERR_LIMIT);
    gosip_msg_unref(m);
}

static gosip_msg_limits defaults(void)
{
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    return lim;
}

static void test_default_values(void **state)
{
    (void)state;
    gosip_msg_limits lim = defaults();
    assert_int_equal(lim.max_msg_size, GOSIP_DEFAULT_MAX_MSG_SIZE);
    assert_int_equal(lim.max_headers, GOSIP_DEFAULT_MAX_HEADERS);
    assert_int_equal(lim.max_vias, GOSIP_DEFAULT_MAX_VIAS);
    assert_int_equal(lim.max_uri_len, GOSIP_DEFAULT_MAX_URI_LEN);
    assert_int_equal(lim.max_line_len, GOSIP_DEFAULT_MAX_LINE_LEN);
    assert_int_equal(lim.max_params, GOSIP_DEFAULT_MAX_PARAMS);
    assert_int_equal(lim.max_body_depth, GOSIP_DEFAULT_MAX_BODY_DEPTH);
    assert_int_equal(lim.max_body_parts, GOSIP_DEFAULT_MAX_BODY_PARTS);
}

/* ---------------------------------------------------------------- max_msg_size */

/* A request of exactly `size` bytes: its body pads it (Content-Length has 5 digits). */
static void msg_of_size(tu_buf *b, size_t size)
{
    start_request(b, NULL);
    core_headers(b);
    tu_buf_adds(b, "Content-Type: text/plain\r\nContent-Length: 00000\r\n\r\n");
    assert_true(size >= b->n);
    size_t body = size - b->n;
    assert_true(body <= 99999);
    char digits[6];
    snprintf(digits, sizeof digits, "%05zu", body);
    memcpy(b->p + b->n - 9, digits, 5);
    tu_buf_fill(b, 'b', body);
    assert_int_equal(b->n, size);
}

static void check_msg_size(const gosip_msg_limits *lim, size_t max, gosip_framing framing)
{
    tu_buf b = {0};
    msg_of_size(&b, max);
    int rc;
    gosip_parse_error err;
    gosip_msg *m = parse_fr(&b, lim, framing, &rc, &err);
    assert_non_null(m);
    assert_int_equal(gosip_msg_defect(m, NULL), 0);
    assert_int_equal(gosip_msg_body(m).n + (size_t)(strstr(b.p, "\r\n\r\n") + 4 - b.p), max);
    gosip_msg_unref(m);
    tu_buf_free(&b);

    msg_of_size(&b, max + 1);
    assert_null(parse_fr(&b, lim, framing, &rc, &err));
    assert_int_equal(rc, GOSIP_ERR_TOO_LARGE);
    assert_int_equal(err.status, 513);
    tu_buf_free(&b);
}

static void test_msg_size(void **state)
{
    (void)state;
    gosip_msg_limits lim = defaults();
    check_msg_size(NULL, GOSIP_DEFAULT_MAX_MSG_SIZE, GOSIP_FRAMING_DATAGRAM);
    check_msg_size(&lim, GOSIP_DEFAULT_MAX_MSG_SIZE, GOSIP_FRAMING_STREAM);
    lim.max_msg_size = 600;
    check_msg_size(&lim, 600, GOSIP_FRAMING_DATAGRAM);
    check_msg_size(&lim, 600, GOSIP_FRAMING_STREAM);
}

/* ---------------------------------------------------------------- max_headers */

/* A request with `total` header values, one per line. */
static void msg_with_lines(tu_buf *b, unsigned total)
{
    start_request(b, NULL);
    core_headers(b);
    assert_true(total >= BASE_HDRS);
    char line[32];
    for (unsigned i = BASE_HDRS; i < total; i++) {
        snprintf(line, sizeof line, "X-H%u: %u\r\n", i, i);
        tu_buf_adds(b, line);
    }
    end_empty(b);
}

/* A request whose Allow line holds `values` values. */
static void msg_with_list(tu_buf *b, unsigned values)
{
    start_request(b, NULL);
    core_headers(b);
    tu_buf_adds(b, "Allow: M0");
    char item[16];
    for (unsigned i = 1; i < values; i++) {
        snprintf(item, sizeof item, ", M%u", i);
        tu_buf_adds(b, item);
    }
    tu_buf_adds(b, "\r\n");
    end_empty(b);
}

static void check_headers(const gosip_msg_limits *lim, unsigned max)
{
    tu_buf b = {0};
    msg_with_lines(&b, max);
    gosip_msg *m = parse_clean(&b, lim);
    assert_int_equal(tu_hdr_total(m), max);
    gosip_msg_unref(m);
    tu_buf_free(&b);
    msg_with_lines(&b, max + 1);
    parse_fails(&b, lim, GOSIP_ERR_LIMIT);
    tu_buf_free(&b);

    /* the same limit bounds the values of one line */
    msg_with_list(&b, max);
    m = parse_clean(&b, lim);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_ALLOW), max);
    gosip_msg_unref(m);
    tu_buf_free(&b);
    msg_with_list(&b, max + 1);
    gosip_msg_limits l = lim ? *lim : defaults();
    value_limit_hit(&b, &l, GOSIP_HDR_ALLOW, max);
    tu_buf_free(&b);
}

static void test_max_headers(void **state)
{
    (void)state;
    check_headers(NULL, GOSIP_DEFAULT_MAX_HEADERS);
    gosip_msg_limits lim = defaults();
    lim.max_headers = 10;
    check_headers(&lim, 10);
}

/* ---------------------------------------------------------------- max_vias */

static void msg_with_vias(tu_buf *b, unsigned n, int one_line)
{
    start_request(b, NULL);
    char via[96];
    for (unsigned i = 0; i < n; i++) {
        snprintf(via, sizeof via, "%sSIP/2.0/UDP p%u.example.com;branch=z9hG4bKv%u",
                 one_line ? (i ? ", " : "Via: ") : "Via: ", i, i);
        tu_buf_adds(b, via);
        if (!one_line)
            tu_buf_adds(b, "\r\n");
    }
    if (one_line)
        tu_buf_adds(b, "\r\n");
    tu_buf_adds(b, "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
                   "From: <sip:alice@example.com>;tag=1\r\nCall-ID: v@example.com\r\n"
                   "CSeq: 1 OPTIONS\r\n");
    end_empty(b);
}

static void check_vias(const gosip_msg_limits *lim, unsigned max)
{
    gosip_msg_limits l = lim ? *lim : defaults();
    for (int one_line = 0; one_line <= 1; one_line++) {
        tu_buf b = {0};
        msg_with_vias(&b, max, one_line);
        gosip_msg *m = parse_clean(&b, lim);
        assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), max);
        const gosip_hdr *last = tu_hdr_kind_nth(m, GOSIP_HDR_VIA, max - 1);
        char host[32];
        snprintf(host, sizeof host, "p%u.example.com", max - 1);
        tu_assert_str(gosip_hdr_via(last)->host, host);
        gosip_msg_unref(m);
        tu_buf_free(&b);
        msg_with_vias(&b, max + 1, one_line);
        if (one_line)
            value_limit_hit(&b, &l, GOSIP_HDR_VIA, max);
        else
            parse_fails(&b, lim, GOSIP_ERR_LIMIT);
        tu_buf_free(&b);
    }
}

static void test_max_vias(void **state)
{
    (void)state;
    check_vias(NULL, GOSIP_DEFAULT_MAX_VIAS);
    gosip_msg_limits lim = defaults();
    lim.max_vias = 3;
    check_vias(&lim, 3);
}

/* ---------------------------------------------------------------- max_uri_len */

/* "sip:bob@example.com;x=ppp..." of exactly n bytes (NUL-terminated, malloc'd). */
static char *uri_of_len(size_t n)
{
    return tu_padded("sip:bob@example.com;x=", 'p', n);
}

static void msg_with_uris(tu_buf *b, const char *ruri, const char *to_uri)
{
    start_request(b, ruri);
    tu_buf_adds(b, "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKu\r\nMax-Forwards: 70\r\n"
                   "To: <");
    tu_buf_adds(b, to_uri);
    tu_buf_adds(b, ">\r\nFrom: <sip:alice@example.com>;tag=1\r\nCall-ID: u@example.com\r\n"
                   "CSeq: 1 OPTIONS\r\n");
    end_empty(b);
}

static void check_uri_len(const gosip_msg_limits *lim, size_t max)
{
    char *at = uri_of_len(max), *over = uri_of_len(max + 1);
    tu_buf b = {0};
    msg_with_uris(&b, at, at);
    gosip_msg *m = parse_clean(&b, lim);
    assert_int_equal(gosip_msg_request_uri(m)->raw.n, max);
    assert_int_equal(gosip_msg_to(m)->uri->raw.n, max);
    gosip_msg_unref(m);
    tu_buf_free(&b);

    int rc;
    gosip_parse_error err;
    msg_with_uris(&b, over, at);
    m = parse_b(&b, lim, &rc, &err);
    assert_non_null(m);
    assert_null(gosip_msg_request_uri(m));
    assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_LIMIT);
    assert_int_equal(err.status, 414);
    gosip_msg_unref(m);
    tu_buf_free(&b);

    msg_with_uris(&b, at, over);
    m = parse_b(&b, lim, &rc, &err);
    assert_non_null(m);
    assert_null(gosip_msg_to(m));
    assert_int_equal(gosip_hdr_error(gosip_msg_hdr(m, GOSIP_HDR_TO)), GOSIP_ERR_LIMIT);
    assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_LIMIT);
    assert_int_equal(err.kind, GOSIP_HDR_TO);
    gosip_msg_unref(m);
    tu_buf_free(&b);
    free(at);
    free(over);
}

static void test_max_uri_len(void **state)
{
    (void)state;
    check_uri_len(NULL, GOSIP_DEFAULT_MAX_URI_LEN);
    gosip_msg_limits lim = defaults();
    lim.max_uri_len = 40;
    check_uri_len(&lim, 40);
}

/* ---------------------------------------------------------------- max_line_len */

/* A Subject line of exactly n bytes without its CRLF; folded: split by CRLF SP. */
static void msg_with_line(tu_buf *b, size_t n, int folded)
{
    start_request(b, NULL);
    core_headers(b);
    const char *name = "Subject: ";
    size_t used = strlen(name) + (folded ? 4 : 0);
    assert_true(n > used + 2);
    tu_buf_adds(b, name);
    size_t half = (n - used) / 2;
    tu_buf_fill(b, 's', half);
    if (folded)
        tu_buf_adds(b, "\r\n  ");
    tu_buf_fill(b, 't', n - used - half);
    tu_buf_adds(b, "\r\n");
    end_empty(b);
}

/* A response whose status line is exactly n bytes long (the reason phrase pads it). */
static void response_with_line(tu_buf *b, size_t n)
{
    tu_buf_adds(b, "SIP/2.0 200 ");
    tu_buf_fill(b, 'r', n - 12);
    tu_buf_adds(b, "\r\n");
    core_headers(b);
    end_empty(b);
}

static void check_line_len(const gosip_msg_limits *lim, size_t max)
{
    for (int folded = 0; folded <= 1; folded++) {
        tu_buf b = {0};
        msg_with_line(&b, max, folded);
        gosip_msg *m = parse_clean(&b, lim);
        assert_non_null(gosip_hdr_text(gosip_msg_hdr(m, GOSIP_HDR_SUBJECT)));
        gosip_msg_unref(m);
        tu_buf_free(&b);
        msg_with_line(&b, max + 1, folded);
        parse_fails(&b, lim, GOSIP_ERR_LIMIT);
        tu_buf_free(&b);
    }
    tu_buf b = {0};
    response_with_line(&b, max);
    gosip_msg *m = parse_clean(&b, lim);
    assert_int_equal(gosip_msg_reason(m).n, max - 12);
    gosip_msg_unref(m);
    tu_buf_free(&b);
    response_with_line(&b, max + 1);
    parse_fails(&b, lim, GOSIP_ERR_LIMIT);
    tu_buf_free(&b);
}

static void test_max_line_len(void **state)
{
    (void)state;
    check_line_len(NULL, GOSIP_DEFAULT_MAX_LINE_LEN);
    gosip_msg_limits lim = defaults();
    lim.max_line_len = 100;
    check_line_len(&lim, 100);
}

/* ---------------------------------------------------------------- max_params */

/* n parameters ";p0=0;p1=1..." appended to b. */
static void add_params(tu_buf *b, unsigned n)
{
    char prm[24];
    for (unsigned i = 0; i < n; i++) {
        snprintf(prm, sizeof prm, ";p%u=%u", i, i);
        tu_buf_adds(b, prm);
    }
}

/* One header carrying n parameters of its own (Via, From, Event) or in its URI (Contact). */
static void msg_with_params(tu_buf *b, gosip_hdr_kind kind, unsigned n)
{
    start_request(b, NULL);
    tu_buf_adds(b, "Via: SIP/2.0/UDP client.example.com");
    if (kind == GOSIP_HDR_VIA)
        add_params(b, n - 1);
    tu_buf_adds(b, ";branch=z9hG4bKp\r\nMax-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
                   "From: <sip:alice@example.com>");
    if (kind == GOSIP_HDR_FROM)
        add_params(b, n - 1);
    tu_buf_adds(b, ";tag=1\r\nCall-ID: p@example.com\r\nCSeq: 1 OPTIONS\r\nEvent: presence");
    if (kind == GOSIP_HDR_EVENT)
        add_params(b, n);
    tu_buf_adds(b, "\r\nContact: <sip:alice@client.example.com");
    if (kind == GOSIP_HDR_CONTACT)
        add_params(b, n);
    tu_buf_adds(b, ">\r\n");
    end_empty(b);
}

static void check_params(const gosip_msg_limits *lim, unsigned max)
{
    static const gosip_hdr_kind kinds[] = {GOSIP_HDR_VIA, GOSIP_HDR_FROM, GOSIP_HDR_EVENT,
                                           GOSIP_HDR_CONTACT};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        tu_buf b = {0};
        msg_with_params(&b, kinds[i], max);
        gosip_msg *m = parse_clean(&b, lim);
        gosip_msg_unref(m);
        tu_buf_free(&b);
        msg_with_params(&b, kinds[i], max + 1);
        int rc;
        gosip_parse_error err;
        m = parse_b(&b, lim, &rc, &err);
        assert_non_null(m);
        const gosip_hdr *h = gosip_msg_hdr(m, kinds[i]);
        assert_int_equal(gosip_hdr_error(h), GOSIP_ERR_LIMIT);
        assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_LIMIT);
        assert_int_equal(err.kind, kinds[i]);
        gosip_msg_unref(m);
        tu_buf_free(&b);
    }
}

static void test_max_params(void **state)
{
    (void)state;
    check_params(NULL, GOSIP_DEFAULT_MAX_PARAMS);
    gosip_msg_limits lim = defaults();
    lim.max_params = 2;
    check_params(&lim, 2);
}

/* ---------------------------------------------------------------- limits and mutators */

/* A parsed message keeps its limits: adding past max_headers is refused with LIMIT and
 * leaves the message as it was; removing one makes room again. */
static void test_add_at_header_limit(void **state)
{
    (void)state;
    gosip_msg_limits lim = defaults();
    lim.max_headers = 9;
    tu_buf b = {0};
    msg_with_lines(&b, 9);
    gosip_msg *m = parse_clean(&b, &lim);
    const gosip_hdr *out = NULL;
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("Subject"), GOSIP_STR("x"), GOSIP_WHERE_APPEND, NULL, &out),
        GOSIP_ERR_LIMIT);
    assert_null(out);
    size_t n;
    char *text = tu_print(m, &n);
    assert_int_equal(n, b.n);
    assert_memory_equal(text, b.p, n);
    test_free(text);
    assert_int_equal(gosip_msg_remove_hdr(m, gosip_msg_hdr_by_name(m, GOSIP_STR("X-H7"))), 0);
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("Subject"), GOSIP_STR("x"), GOSIP_WHERE_APPEND, NULL, &out),
        0);
    assert_int_equal(tu_hdr_total(m), 9);
    gosip_msg_unref(m);
    tu_buf_free(&b);
}

/* A message exactly at max_headers (9) and max_vias (1), with a Content-Type and a body. */
static gosip_msg *msg_at_limits(gosip_msg_limits *lim)
{
    *lim = defaults();
    lim->max_headers = 9;
    lim->max_vias = 1;
    tu_buf b = {0};
    start_request(&b, NULL);
    core_headers(&b);
    tu_buf_adds(&b, "Subject: s\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
    gosip_msg *m = parse_clean(&b, lim);
    assert_int_equal(tu_hdr_total(m), 9);
    tu_buf_free(&b);
    return m;
}

/* Fails the test with rc, after freeing m so that no leak report hides the failure. */
static void expect_ok(gosip_msg *m, int rc)
{
    if (rc == 0)
        return;
    gosip_msg_unref(m);
    fail_msg("got %s, expected success", gosip_err_name(rc));
}

/* Replacing a header does not change the count: it must be allowed at the limit. */
static void test_replace_at_header_limit(void **state)
{
    (void)state;
    gosip_msg_limits lim;
    gosip_msg *m = msg_at_limits(&lim);
    const gosip_hdr *subject = gosip_msg_hdr(m, GOSIP_HDR_SUBJECT);
    expect_ok(m, gosip_msg_replace_hdr(m, subject, GOSIP_STR("t"), NULL));
    tu_assert_str(gosip_hdr_text(gosip_msg_hdr(m, GOSIP_HDR_SUBJECT))->text, "t");
    assert_int_equal(tu_hdr_total(m), 9);
    gosip_msg_unref(m);
}

/* The same for the only Via of a message at max_vias. */
static void test_replace_at_via_limit(void **state)
{
    (void)state;
    gosip_msg_limits lim;
    gosip_msg *m = msg_at_limits(&lim);
    const gosip_hdr *via = gosip_msg_hdr(m, GOSIP_HDR_VIA);
    gosip_str value = GOSIP_STR("SIP/2.0/TCP c.example.com;branch=z9hG4bKr");
    expect_ok(m, gosip_msg_replace_hdr(m, via, value, NULL));
    tu_assert_str(gosip_msg_via(m)->transport, "TCP");
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 1);
    gosip_msg_unref(m);
}

/* set_body replaces Content-Type and Content-Length: no net new header. */
static void test_set_body_at_header_limit(void **state)
{
    (void)state;
    gosip_msg_limits lim;
    gosip_msg *m = msg_at_limits(&lim);
    expect_ok(m, gosip_msg_set_body(m, GOSIP_STR("text/html"), "<p>", 3));
    assert_int_equal(tu_hdr_total(m), 9);
    tu_assert_str(gosip_msg_body(m), "<p>");
    tu_assert_str(gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE))->subtype, "html");
    gosip_msg_unref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_values),
        cmocka_unit_test(test_msg_size),
        cmocka_unit_test(test_max_headers),
        cmocka_unit_test(test_max_vias),
        cmocka_unit_test(test_max_uri_len),
        cmocka_unit_test(test_max_line_len),
        cmocka_unit_test(test_max_params),
        cmocka_unit_test(test_add_at_header_limit),
        cmocka_unit_test(test_replace_at_header_limit),
        cmocka_unit_test(test_replace_at_via_limit),
        cmocka_unit_test(test_set_body_at_header_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
