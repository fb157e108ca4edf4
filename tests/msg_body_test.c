/* Message bodies: multipart parsing and building (RFC 2046), message/sipfrag (RFC 3420). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosip/msg.h>

/* ---------------------------------------------------------------- helpers */

static const char msg_head[] = "MESSAGE sip:kumiko@example.org SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776asdhds\r\n"
                               "Max-Forwards: 70\r\n"
                               "From: <sip:fluffy@example.com>;tag=2fb0dcc9\r\n"
                               "To: <sip:kumiko@example.org>\r\n"
                               "Call-ID: 3d9485ad0c49859b@example.com\r\n"
                               "CSeq: 1 MESSAGE\r\n";

/* Parses a MESSAGE request whose body is body/len, with the given Content-Type (NULL:
 * none) and limits (NULL: defaults). */
static gosip_msg *parse_with(const char *ctype, const void *body, size_t len,
                             const gosip_msg_limits *lim)
{
    size_t cap = sizeof msg_head + 256 + len;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = strlen(msg_head);
    memcpy(buf, msg_head, n);
    if (ctype)
        n += (size_t)snprintf(buf + n, cap - n, "Content-Type: %s\r\n", ctype);
    n += (size_t)snprintf(buf + n, cap - n, "Content-Length: %zu\r\n\r\n", len);
    memcpy(buf + n, body, len);
    n += len;
    gosip_parse_opts opts = {0};
    opts.limits = lim;
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_parse(&m, buf, n, &opts, NULL), 0);
    free(buf);
    return m;
}

static gosip_msg *parse_mp(const char *ctype, const char *body)
{
    return parse_with(ctype, body, strlen(body), NULL);
}

static void assert_str(gosip_str s, const char *want)
{
    assert_non_null(s.p);
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static gosip_str hdr_value(const gosip_msg *m, const char *name)
{
    const gosip_hdr *h = gosip_msg_hdr_by_name(m, gosip_str_from_cstr(name));
    return h ? gosip_hdr_value(h) : GOSIP_STR_NULL;
}

/* ---------------------------------------------------------------- multipart parsing */

static void test_two_parts(void **state)
{
    (void)state;
    gosip_msg *m = parse_mp("multipart/mixed;boundary=b1",
                            "--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                            "--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n"
                            "--b1--\r\n");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_str(mp->boundary, "b1");
    assert_int_equal(mp->n_parts, 2);
    assert_str(mp->parts[0].content_type, "text/plain");
    assert_str(mp->parts[0].body, "hello");
    assert_null(mp->parts[0].nested);
    assert_str(mp->parts[1].content_type, "application/sdp");
    assert_str(mp->parts[1].body, "v=0\r\n");
    const gosip_msg *h = mp->parts[1].headers;
    assert_true(gosip_msg_is_fragment(h));
    assert_int_equal(gosip_msg_hdr_count(h, GOSIP_HDR_CONTENT_TYPE), 1);
    const gosip_media *media = gosip_hdr_media(gosip_msg_hdr(h, GOSIP_HDR_CONTENT_TYPE));
    assert_non_null(media);
    assert_str(media->subtype, "sdp");
    assert_str(gosip_msg_body(h), "v=0\r\n");
    assert_int_equal(gosip_msg_defect(h, NULL), 0);
    /* a part prints as its bytes between the delimiters */
    static const char part_text[] = "Content-Type: application/sdp\r\n\r\nv=0\r\n";
    char buf[64];
    assert_int_equal(gosip_msg_print(h, buf, sizeof buf), sizeof part_text - 1);
    assert_string_equal(buf, part_text);
    /* cached: the same tree again */
    const gosip_multipart *again = NULL;
    assert_int_equal(gosip_msg_multipart(m, &again), 0);
    assert_ptr_equal(again, mp);
    gosip_msg_unref(m);
}

static void test_three_parts(void **state)
{
    (void)state;
    /* no headers; headers only (no empty line, so no body); extra headers */
    gosip_msg *m = parse_mp("multipart/related; type=\"application/sdp\"; boundary=xyz",
                            "--xyz\r\n\r\nplain part\r\n"
                            "--xyz\r\nContent-ID: <a@example.com>\r\n"
                            "--xyz\r\nContent-Type: text/html\r\nContent-ID: <b@example.com>\r\n"
                            "Content-Disposition: render\r\n\r\n<p>hi</p>\r\n--xyz--");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_int_equal(mp->n_parts, 3);
    assert_null(mp->parts[0].content_type.p);
    assert_null(gosip_msg_hdr_first(mp->parts[0].headers));
    assert_str(mp->parts[0].body, "plain part");
    assert_null(mp->parts[1].body.p);
    assert_str(hdr_value(mp->parts[1].headers, "content-id"), "<a@example.com>");
    assert_str(mp->parts[2].content_type, "text/html");
    assert_str(hdr_value(mp->parts[2].headers, "Content-ID"), "<b@example.com>");
    assert_str(hdr_value(mp->parts[2].headers, "Content-Disposition"), "render");
    assert_str(mp->parts[2].body, "<p>hi</p>");
    gosip_msg_unref(m);
}

/* A part's bad header is that part's defect; parts refuse changes (they own no memory). */
static void test_part_defect_read_only(void **state)
{
    (void)state;
    gosip_msg *m = parse_mp("multipart/mixed;boundary=b",
                            "--b\r\nCSeq: x\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b--");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    gosip_msg *part = mp->parts[0].headers;
    gosip_parse_error err;
    assert_int_equal(gosip_msg_defect(part, &err), GOSIP_ERR_PARSE);
    assert_int_equal(err.kind, GOSIP_HDR_CSEQ);
    assert_int_equal(gosip_msg_defect(m, NULL), 0);
    assert_str(mp->parts[0].content_type, "text/plain");
    assert_str(mp->parts[0].body, "body");
    assert_int_equal(
        gosip_msg_add_hdr(part, GOSIP_STR("X-A"), GOSIP_STR("1"), GOSIP_WHERE_APPEND, NULL, NULL),
        GOSIP_ERR_NOMEM);
    assert_null(gosip_msg_alloc(part, 16));
    gosip_msg_unref(m);
}

static void test_quoted_boundary(void **state)
{
    (void)state;
    gosip_msg *m = parse_mp("multipart/mixed; boundary=\"simple boundary\"",
                            "--simple boundary\r\n\r\none\r\n"
                            "--simple boundary\r\n\r\ntwo\r\n--simple boundary--\r\n");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_str(mp->boundary, "simple boundary");
    assert_int_equal(mp->n_parts, 2);
    assert_str(mp->parts[0].body, "one");
    assert_str(mp->parts[1].body, "two");
    gosip_msg_unref(m);
}

/* PJSIP's seed: bare LF line ends and a quoted boundary full of dashes and '='. */
static void test_bare_lf_seed(void **state)
{
    (void)state;
    size_t len;
    char *data =
        read_file(GOSIP_TESTDATA_DIR "/pjsip-fuzz-seeds/fuzz-sip/multipart_alternative.sip", &len);
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_parse(&m, data, len, NULL, NULL), 0);
    free(data);
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_str(mp->boundary, "----=_Part_123");
    assert_int_equal(mp->n_parts, 2);
    assert_str(mp->parts[0].content_type, "text/plain; charset=UTF-8");
    assert_str(mp->parts[0].body, "Plain text version of message");
    assert_str(mp->parts[1].body, "<html><body>HTML version</body></html>");
    gosip_msg_unref(m);
}

static void test_preamble_epilogue(void **state)
{
    (void)state;
    gosip_msg *m = parse_mp("multipart/mixed;boundary=frontier",
                            "This is the preamble.\r\n--frontierX is no delimiter\r\n"
                            "--frontier\r\nContent-Type: text/plain\r\n\r\nbody one\r\n"
                            "--frontier--\r\nThis is the epilogue.\r\n--frontier\r\n\r\nx\r\n");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_int_equal(mp->n_parts, 1);
    assert_str(mp->parts[0].body, "body one");
    gosip_msg_unref(m);
}

static void test_transport_padding(void **state)
{
    (void)state;
    gosip_msg *m = parse_mp("multipart/mixed;boundary=pad",
                            "--pad \t \r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
                            "--pad\t\r\n\r\nsecond \r\n--pad--  \r\n");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_int_equal(mp->n_parts, 2);
    assert_str(mp->parts[0].body, "first");
    assert_str(mp->parts[1].body, "second ");
    gosip_msg_unref(m);
}

/* Boundary text must only split at the start of a line, with nothing but padding after. */
static void test_boundary_inside_body(void **state)
{
    (void)state;
    gosip_msg *m = parse_mp("multipart/mixed;boundary=b",
                            "--b\r\n\r\nabc--b def --b--\r\n--bx more\r\n-- b\r\n"
                            "--b\r\n\r\nsecond\r\n--b--");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_int_equal(mp->n_parts, 2);
    assert_str(mp->parts[0].body, "abc--b def --b--\r\n--bx more\r\n-- b");
    assert_str(mp->parts[1].body, "second");
    gosip_msg_unref(m);
}

static void test_binary_part(void **state)
{
    (void)state;
    static const char bin[] = "\0\x01\r\xff\n--b\0\r\r\n\x7f--b--x\0";
    static const char head[] = "--b\r\nContent-Type: application/octet-stream\r\n\r\n";
    static const char tail[] = "\r\n--b--\r\n";
    char body[128];
    size_t n = 0;
    memcpy(body + n, head, sizeof head - 1), n += sizeof head - 1;
    memcpy(body + n, bin, sizeof bin - 1), n += sizeof bin - 1;
    memcpy(body + n, tail, sizeof tail - 1), n += sizeof tail - 1;
    gosip_msg *m = parse_with("multipart/mixed;boundary=b", body, n, NULL);
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_int_equal(mp->n_parts, 1);
    assert_int_equal(mp->parts[0].body.n, sizeof bin - 1);
    assert_memory_equal(mp->parts[0].body.p, bin, sizeof bin - 1);
    gosip_msg_unref(m);
}

static void expect_error(const char *ctype, const char *body, int want)
{
    gosip_msg *m = parse_mp(ctype, body);
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), want);
    assert_null(mp);
    gosip_msg_unref(m);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *ct = "multipart/mixed;boundary=b";
    /* missing close delimiter */
    expect_error(ct, "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n", GOSIP_ERR_PARSE);
    expect_error(ct, "--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n", GOSIP_ERR_PARSE);
    /* no delimiter at all, only a close delimiter, a delimiter not at a line start */
    expect_error(ct, "no parts here\r\n", GOSIP_ERR_PARSE);
    expect_error(ct, "--b--\r\n", GOSIP_ERR_PARSE);
    expect_error(ct, "x--b\r\n\r\ny\r\n--b--", GOSIP_ERR_PARSE);
    expect_error(ct, "", GOSIP_ERR_PARSE);
    /* nested multipart without a boundary */
    expect_error(ct, "--b\r\nContent-Type: multipart/mixed\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--",
                 GOSIP_ERR_PARSE);
    /* not multipart */
    expect_error("text/plain", "--b\r\n\r\nx\r\n--b--", GOSIP_ERR_NOT_FOUND);
    expect_error("multipart/mixed", "--b\r\n\r\nx\r\n--b--", GOSIP_ERR_NOT_FOUND);
    expect_error(NULL, "--b\r\n\r\nx\r\n--b--", GOSIP_ERR_NOT_FOUND);
    assert_int_equal(gosip_msg_multipart(NULL, NULL), GOSIP_ERR_INVALID_ARG);
}

/* A body of `levels` multipart levels, the outermost with boundary "b1". */
static char *nested_body(unsigned levels)
{
    size_t cap = 256 + levels * 128;
    char *out = malloc(cap);
    assert_non_null(out);
    int n = snprintf(out, cap, "--b%u\r\nContent-Type: text/plain\r\n\r\nleaf\r\n--b%u--", levels,
                     levels);
    for (unsigned i = levels - 1; i >= 1; i--) {
        size_t len = strlen(out);
        char *inner = malloc(len + 1);
        assert_non_null(inner);
        memcpy(inner, out, len + 1);
        n = snprintf(out, cap,
                     "--b%u\r\nContent-Type: multipart/mixed;boundary=b%u\r\n\r\n%s\r\n--b%u--", i,
                     i + 1, inner, i);
        free(inner);
    }
    assert_true(n > 0 && (size_t)n < cap);
    return out;
}

static int parse_nested(unsigned levels, const gosip_msg_limits *lim, unsigned *depth_seen)
{
    char *body = nested_body(levels);
    gosip_msg *m = parse_with("multipart/mixed;boundary=b1", body, strlen(body), lim);
    free(body);
    const gosip_multipart *mp = NULL;
    int rc = gosip_msg_multipart(m, &mp);
    *depth_seen = 0;
    for (const gosip_multipart *cur = mp; cur; cur = cur->parts[0].nested) {
        assert_int_equal(cur->n_parts, 1);
        ++*depth_seen;
        if (!cur->parts[0].nested)
            assert_str(cur->parts[0].body, "leaf");
    }
    gosip_msg_unref(m);
    return rc;
}

static void test_nested_depth(void **state)
{
    (void)state;
    unsigned seen;
    assert_int_equal(parse_nested(GOSIP_DEFAULT_MAX_BODY_DEPTH, NULL, &seen), 0);
    assert_int_equal(seen, GOSIP_DEFAULT_MAX_BODY_DEPTH);
    assert_int_equal(parse_nested(GOSIP_DEFAULT_MAX_BODY_DEPTH + 1, NULL, &seen), GOSIP_ERR_LIMIT);
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_body_depth = 2;
    assert_int_equal(parse_nested(2, &lim, &seen), 0);
    assert_int_equal(seen, 2);
    assert_int_equal(parse_nested(3, &lim, &seen), GOSIP_ERR_LIMIT);
    assert_int_equal(parse_nested(1, &lim, &seen), 0);
    assert_int_equal(seen, 1);
}

static int parse_n_parts(unsigned n, const gosip_msg_limits *lim)
{
    char *body = malloc(32u * n + 16);
    assert_non_null(body);
    size_t len = 0;
    for (unsigned i = 0; i < n; i++)
        len += (size_t)sprintf(body + len, "--p\r\n\r\npart %u\r\n", i);
    len += (size_t)sprintf(body + len, "--p--\r\n");
    gosip_msg *m = parse_with("multipart/mixed;boundary=p", body, len, lim);
    free(body);
    const gosip_multipart *mp = NULL;
    int rc = gosip_msg_multipart(m, &mp);
    if (rc == 0) {
        assert_int_equal(mp->n_parts, n);
        assert_str(mp->parts[n - 1].body, n == 4 ? "part 3" : "part 63");
    }
    gosip_msg_unref(m);
    return rc;
}

static void test_part_limit(void **state)
{
    (void)state;
    assert_int_equal(parse_n_parts(GOSIP_DEFAULT_MAX_BODY_PARTS, NULL), 0);
    assert_int_equal(parse_n_parts(GOSIP_DEFAULT_MAX_BODY_PARTS + 1, NULL), GOSIP_ERR_LIMIT);
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_body_parts = 4;
    assert_int_equal(parse_n_parts(4, &lim), 0);
    assert_int_equal(parse_n_parts(5, &lim), GOSIP_ERR_LIMIT);
}

/* RFC 4475 3.1.1.11: a text part and a binary S/MIME part with NULs, bare CRs and LFs. */
static void test_rfc4475_mpart01(void **state)
{
    (void)state;
    size_t len;
    char *data = read_file(GOSIP_TESTDATA_DIR "/rfc4475/mpart01.dat", &len);
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_parse(&m, data, len, NULL, NULL), 0);
    free(data);
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_str(mp->boundary, "7a9cbec02ceef655");
    assert_int_equal(mp->n_parts, 2);
    assert_str(mp->parts[0].content_type, "text/plain");
    assert_str(mp->parts[0].body, "Hello");
    assert_str(hdr_value(mp->parts[0].headers, "Content-Transfer-Encoding"), "binary");
    const gosip_body_part *p = &mp->parts[1];
    assert_str(p->content_type, "application/octet-stream");
    assert_int_equal(p->body.n, 342);
    assert_memory_equal(p->body.p, "0\x82\x01R\x06\t*\x86", 8);
    assert_int_equal((unsigned char)p->body.p[341], 0x05);
    unsigned nul = 0, cr = 0, lf = 0;
    for (size_t i = 0; i < p->body.n; i++) {
        nul += p->body.p[i] == '\0';
        cr += p->body.p[i] == '\r';
        lf += p->body.p[i] == '\n';
    }
    assert_int_equal(nul, 2);
    assert_int_equal(cr, 5);
    assert_int_equal(lf, 3);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- multipart building */

static gosip_msg *new_request(void)
{
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_new(&m, NULL), 0);
    assert_int_equal(
        gosip_msg_set_request_line(m, GOSIP_STR("MESSAGE"), GOSIP_STR("sip:bob@example.com")), 0);
    return m;
}

static const char bin_part[] = "\0\r\n--gosip\r\n--x\0\xff";

static void set_specs(gosip_body_part_spec *s)
{
    memset(s, 0, 3 * sizeof *s);
    s[0].content_type = GOSIP_STR("text/plain");
    s[0].body = "hello";
    s[0].body_len = 5;
    s[1].content_type = GOSIP_STR("application/octet-stream");
    s[1].body = bin_part;
    s[1].body_len = sizeof bin_part - 1;
    s[2].headers = GOSIP_STR("Content-ID: <x@example.com>\r\nContent-Disposition: render");
}

static void check_built(const gosip_multipart *mp, const char *boundary)
{
    if (boundary)
        assert_str(mp->boundary, boundary);
    assert_int_equal(mp->n_parts, 3);
    assert_str(mp->parts[0].content_type, "text/plain");
    assert_str(mp->parts[0].body, "hello");
    assert_str(mp->parts[1].content_type, "application/octet-stream");
    assert_int_equal(mp->parts[1].body.n, sizeof bin_part - 1);
    assert_memory_equal(mp->parts[1].body.p, bin_part, sizeof bin_part - 1);
    assert_null(mp->parts[2].content_type.p);
    assert_str(hdr_value(mp->parts[2].headers, "Content-ID"), "<x@example.com>");
    assert_str(hdr_value(mp->parts[2].headers, "Content-Disposition"), "render");
    assert_int_equal(mp->parts[2].body.n, 0);
}

static void test_build_round_trip(void **state)
{
    (void)state;
    gosip_body_part_spec s[3];
    set_specs(s);
    gosip_msg *m = new_request();
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR("my boundary"), s, 3), 0);
    assert_str(gosip_hdr_value(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE)),
               "multipart/mixed;boundary=\"my boundary\"");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    check_built(mp, "my boundary");
    /* over the wire: print, parse, split again */
    size_t len = gosip_msg_print(m, NULL, 0);
    char *wire = malloc(len + 1);
    assert_non_null(wire);
    assert_int_equal(gosip_msg_print(m, wire, len + 1), len);
    gosip_msg *back = NULL;
    assert_int_equal(gosip_msg_parse(&back, wire, len, NULL, NULL), 0);
    free(wire);
    assert_int_equal(gosip_msg_multipart(back, &mp), 0);
    check_built(mp, "my boundary");
    gosip_msg_unref(back);
    gosip_msg_unref(m);
}

static void test_build_derived_boundary(void **state)
{
    (void)state;
    gosip_body_part_spec s[3];
    set_specs(s);
    gosip_msg *a = new_request(), *b = new_request();
    assert_int_equal(gosip_multipart_build(a, GOSIP_STR_NULL, s, 3), 0);
    assert_int_equal(gosip_multipart_build(b, GOSIP_STR_NULL, s, 3), 0);
    gosip_str ct_a = gosip_hdr_value(gosip_msg_hdr(a, GOSIP_HDR_CONTENT_TYPE));
    gosip_str ct_b = gosip_hdr_value(gosip_msg_hdr(b, GOSIP_HDR_CONTENT_TYPE));
    assert_true(gosip_str_eq(ct_a, ct_b));
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(a, &mp), 0);
    check_built(mp, NULL);
    assert_int_equal(mp->boundary.n, 22);
    assert_memory_equal(mp->boundary.p, "gosip-", 6);
    /* a different content gives another boundary */
    s[0].body = "hellO";
    assert_int_equal(gosip_multipart_build(b, GOSIP_STR_NULL, s, 3), 0);
    ct_b = gosip_hdr_value(gosip_msg_hdr(b, GOSIP_HDR_CONTENT_TYPE));
    assert_false(gosip_str_eq(ct_a, ct_b));
    gosip_msg_unref(a);
    gosip_msg_unref(b);
}

/* Building over a parsed multipart drops the cached parse of the old body. */
static void test_build_replaces_cache(void **state)
{
    (void)state;
    gosip_msg *m =
        parse_mp("multipart/mixed;boundary=old", "--old\r\n\r\na\r\n--old\r\n\r\nb\r\n--old--");
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_int_equal(mp->n_parts, 2);
    gosip_body_part_spec s = {GOSIP_STR("text/plain"), GOSIP_STR_NULL, "only", 4};
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR("new"), &s, 1), 0);
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_int_equal(mp->n_parts, 1);
    assert_str(mp->boundary, "new");
    assert_str(mp->parts[0].body, "only");
    const gosip_hdr *cl = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH);
    assert_non_null(cl);
    assert_int_equal(gosip_hdr_uint(cl)->value, gosip_msg_body(m).n);
    gosip_msg_unref(m);
}

static void test_build_errors(void **state)
{
    (void)state;
    gosip_body_part_spec s[3];
    set_specs(s);
    gosip_msg *m = new_request();
    /* "--gosip" starts a line of the binary part */
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR("gosip"), s, 3), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR("a@b"), s, 3), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR("ends in space "), s, 3),
                     GOSIP_ERR_INVALID_ARG);
    char long_b[72];
    memset(long_b, 'a', sizeof long_b);
    assert_int_equal(gosip_multipart_build(m, (gosip_str){long_b, 71}, s, 3),
                     GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_multipart_build(m, (gosip_str){long_b, 70}, s, 3), 0);
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR_NULL, s, 0), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_multipart_build(NULL, GOSIP_STR_NULL, s, 3), GOSIP_ERR_INVALID_ARG);
    s[2].headers = GOSIP_STR("A: 1\r\n\r\nB: 2\r\n");
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR_NULL, s, 3), GOSIP_ERR_INVALID_ARG);
    s[2].headers = GOSIP_STR_NULL;
    s[0].content_type = GOSIP_STR("text/plain\r\nX: injected");
    assert_int_equal(gosip_multipart_build(m, GOSIP_STR_NULL, s, 3), GOSIP_ERR_INVALID_ARG);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- sipfrag */

static gosip_msg *frag(const char *text)
{
    gosip_msg *m = NULL;
    assert_int_equal(gosip_sipfrag_parse(&m, text, strlen(text), NULL), 0);
    assert_non_null(m);
    /* unmodified, it prints exactly as given */
    char buf[1024];
    assert_int_equal(gosip_msg_print(m, buf, sizeof buf), strlen(text));
    assert_string_equal(buf, text);
    return m;
}

static void test_sipfrag_status_only(void **state)
{
    (void)state;
    gosip_msg *m = frag("SIP/2.0 200 OK");
    assert_false(gosip_msg_is_fragment(m));
    assert_false(gosip_msg_is_request(m));
    assert_int_equal(gosip_msg_status(m), 200);
    assert_str(gosip_msg_reason(m), "OK");
    assert_str(gosip_msg_version(m), "SIP/2.0");
    assert_null(gosip_msg_hdr_first(m));
    assert_null(gosip_msg_body(m).p);
    gosip_msg_unref(m);
    m = frag("SIP/2.0 100 Trying\r\n");
    assert_int_equal(gosip_msg_status(m), 100);
    assert_str(gosip_msg_reason(m), "Trying");
    assert_null(gosip_msg_hdr_first(m));
    gosip_msg_unref(m);
    m = frag("SIP/2.0  486 Busy Here");
    assert_int_equal(gosip_msg_status(m), 486);
    assert_str(gosip_msg_reason(m), "Busy Here");
    gosip_msg_unref(m);
    m = frag("SIP/2.0 603 Declined\r\n\r\n");
    assert_int_equal(gosip_msg_status(m), 603);
    assert_null(gosip_msg_body(m).p); /* an empty body reads as none */
    gosip_msg_unref(m);
}

static void test_sipfrag_request(void **state)
{
    (void)state;
    gosip_msg *m = frag("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
                        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                        "Call-ID: a84b4c76e66710\r\n"
                        "Subject: lunch\r\n");
    assert_false(gosip_msg_is_fragment(m));
    assert_true(gosip_msg_is_request(m));
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_INVITE);
    const gosip_uri *ruri = gosip_msg_request_uri(m);
    assert_non_null(ruri);
    assert_str(ruri->host, "biloxi.example.com");
    assert_str(gosip_msg_call_id(m), "a84b4c76e66710");
    assert_str(gosip_msg_from(m)->tag, "1928301774");
    assert_str(gosip_msg_via(m)->branch, "z9hG4bK776asdhds");
    assert_str(hdr_value(m, "s"), "lunch");
    assert_null(gosip_msg_body(m).p);
    assert_int_equal(gosip_msg_defect(m, NULL), 0);
    gosip_msg_unref(m);
}

static void test_sipfrag_headers_only(void **state)
{
    (void)state;
    gosip_msg *m = frag("From: <sip:alice@example.com>;tag=1\r\nContact: <sip:alice@192.0.2.4>");
    assert_true(gosip_msg_is_fragment(m));
    assert_int_equal(gosip_msg_status(m), 0);
    assert_str(gosip_msg_from(m)->tag, "1");
    assert_str(gosip_msg_contact(m)->uri->host, "192.0.2.4");
    assert_null(gosip_msg_body(m).p);
    gosip_msg_unref(m);
    m = frag("");
    assert_true(gosip_msg_is_fragment(m));
    assert_null(gosip_msg_hdr_first(m));
    gosip_msg_unref(m);
}

static void test_sipfrag_with_body(void **state)
{
    (void)state;
    gosip_msg *m = frag("SIP/2.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
                        "hello\r\nthere");
    assert_int_equal(gosip_msg_status(m), 200);
    assert_str(hdr_value(m, "Content-Type"), "text/plain");
    assert_str(gosip_msg_body(m), "hello\r\nthere");
    gosip_msg_unref(m);
    m = frag("Content-Type: text/plain\n\nbare LF body");
    assert_true(gosip_msg_is_fragment(m));
    assert_str(gosip_msg_body(m), "bare LF body");
    gosip_msg_unref(m);
}

static void test_sipfrag_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "SIP/2.0 2000 OK",
        "SIP/2.0 099 Low",
        "SIP/2.0 20x OK",
        "SIP/2.0",
        "SIP/2.0 200OK",
        "INVITE sip:bob@example.com",
        "INVITE  sip:b@x SIP/2.0",
        "INVITE sip:b@x SIP/2.0 extra",
        "INVITE sip:b@x HTTP/1.1",
        "SIP/2 200 OK\r\n",
        "garbage line\r\nFrom: <sip:a@b>\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gosip_msg *m = NULL;
        print_message("fragment %zu: %s\n", i, bad[i]);
        assert_int_equal(gosip_sipfrag_parse(&m, bad[i], strlen(bad[i]), NULL), GOSIP_ERR_PARSE);
        assert_null(m);
    }
    /* a malformed header is a defect, not a failure */
    gosip_msg *m = NULL;
    const char *text = "SIP/2.0 200 OK\r\nCSeq: x\r\n";
    assert_int_equal(gosip_sipfrag_parse(&m, text, strlen(text), NULL), 0);
    assert_int_not_equal(gosip_msg_defect(m, NULL), 0);
    gosip_msg_unref(m);
    /* a version other than 2.0 parses with a 505 defect */
    text = "SIP/3.0 200 OK";
    assert_int_equal(gosip_sipfrag_parse(&m, text, strlen(text), NULL), 0);
    gosip_parse_error err;
    assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_PARSE);
    assert_int_equal(err.status, 505);
    gosip_msg_unref(m);
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_msg_size = 8;
    gosip_parse_opts opts = {0};
    opts.limits = &lim;
    m = NULL;
    assert_int_equal(gosip_sipfrag_parse(&m, "SIP/2.0 200 OK", 14, &opts), GOSIP_ERR_TOO_LARGE);
    assert_null(m);
    assert_int_equal(gosip_sipfrag_parse(NULL, "x", 1, NULL), GOSIP_ERR_INVALID_ARG);
}

/* A parsed message has a start line; a new one has none yet. */
static void test_is_fragment(void **state)
{
    (void)state;
    gosip_msg *m = parse_mp("text/plain", "x");
    assert_false(gosip_msg_is_fragment(m));
    gosip_msg_unref(m);
    assert_int_equal(gosip_msg_new(&m, NULL), 0);
    assert_true(gosip_msg_is_fragment(m));
    gosip_msg_unref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_parts),
        cmocka_unit_test(test_three_parts),
        cmocka_unit_test(test_part_defect_read_only),
        cmocka_unit_test(test_quoted_boundary),
        cmocka_unit_test(test_bare_lf_seed),
        cmocka_unit_test(test_preamble_epilogue),
        cmocka_unit_test(test_transport_padding),
        cmocka_unit_test(test_boundary_inside_body),
        cmocka_unit_test(test_binary_part),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nested_depth),
        cmocka_unit_test(test_part_limit),
        cmocka_unit_test(test_rfc4475_mpart01),
        cmocka_unit_test(test_build_round_trip),
        cmocka_unit_test(test_build_derived_boundary),
        cmocka_unit_test(test_build_replaces_cache),
        cmocka_unit_test(test_build_errors),
        cmocka_unit_test(test_sipfrag_status_only),
        cmocka_unit_test(test_sipfrag_request),
        cmocka_unit_test(test_sipfrag_headers_only),
        cmocka_unit_test(test_sipfrag_with_body),
        cmocka_unit_test(test_sipfrag_malformed),
        cmocka_unit_test(test_is_fragment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
