/*
 * Message mutators: building a message from nothing, adding headers at each position,
 * list values, copying between messages, replacing, removing, parameters, bodies,
 * header injection, editing one value of a comma-separated line, and allocation failure
 * at each step. Every edit is followed by a print and a re-parse that must give an
 * equal message. Registered extension headers are in msg_registry_test.c.
 */
#include "testutil.h"

static const char base_text[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKa, SIP/2.0/UDP b.example.com;branch=z9hG4bKb,"
    " SIP/2.0/UDP c.example.com;branch=z9hG4bKc\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:p1.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "X-Custom: one\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n\r\nhello";

/* ---------------------------------------------------------------- helpers */

static gosip_msg *parse_base(void)
{
    gosip_msg *m;
    assert_int_equal(tu_parse(base_text, sizeof base_text - 1, GOSIP_FRAMING_DATAGRAM, &m, NULL),
                     0);
    return m;
}

/* Prints m and checks that the text parses back (datagram) into an equal message. */
static void check_round_trip(const gosip_msg *m)
{
    size_t n;
    char *text = tu_print(m, &n);
    tu_assert_reparse_equal(m, text, n);
    /* stream framing too, when the message carries its Content-Length */
    if (gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH)) {
        gosip_msg *s;
        assert_int_equal(tu_parse(text, n, GOSIP_FRAMING_STREAM, &s, NULL), 0);
        gosip_msg_unref(s);
    }
    test_free(text);
}

/* The printed text of m (test_free it). */
static char *print_of(const gosip_msg *m, size_t *n)
{
    return tu_print(m, n);
}

static void assert_prints(const gosip_msg *m, const char *text, size_t len)
{
    size_t n;
    char *now = print_of(m, &n);
    if (n != len || memcmp(now, text, n) != 0)
        fail_msg("message changed:\n%s\nexpected:\n%.*s", now, (int)len, text);
    test_free(now);
}

/* The hosts of the Via values, in order, joined with ','. */
static void via_hosts(const gosip_msg *m, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_VIA); h; h = gosip_hdr_next_same(h)) {
        const gosip_via *v = gosip_hdr_via(h);
        assert_non_null(v);
        int w = snprintf(buf + at, cap - at, "%s%.*s", at ? "," : "", (int)v->host.n, v->host.p);
        assert_true(w > 0 && (size_t)w < cap - at);
        at += (size_t)w;
    }
}

#define assert_vias(m, want)                                                                       \
    do {                                                                                           \
        char vh_[256];                                                                             \
        via_hosts((m), vh_, sizeof vh_);                                                           \
        assert_string_equal(vh_, (want));                                                          \
    } while (0)

/* ---------------------------------------------------------------- building */

static void test_build_request(void **state)
{
    (void)state;
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_new(&m, tu_mem_tracked()), 0);
    assert_int_equal(
        gosip_msg_set_request_line(m, GOSIP_STR("OPTIONS"), GOSIP_STR("sip:bob@example.com")), 0);
    assert_int_equal(gosip_msg_add_hdr_kind(m, GOSIP_HDR_VIA,
                                            GOSIP_STR("SIP/2.0/UDP h.example.com;branch=z9hG4bK1"),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_add_hdr_kind(m, GOSIP_HDR_MAX_FORWARDS, GOSIP_STR("70"),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_add_hdr(m, GOSIP_STR("To"), GOSIP_STR("<sip:bob@example.com>"),
                                       GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_add_hdr(m, GOSIP_STR("f"),
                                       GOSIP_STR("<sip:alice@example.com>;tag=a1"),
                                       GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_add_hdr_kind(m, GOSIP_HDR_CALL_ID, GOSIP_STR("c1@example.com"),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_add_hdr_kind(m, GOSIP_HDR_CSEQ, GOSIP_STR("1 OPTIONS"),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_set_body(m, GOSIP_STR_NULL, NULL, 0), 0);
    static const char want[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
                               "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
                               "f: <sip:alice@example.com>;tag=a1\r\nCall-ID: c1@example.com\r\n"
                               "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    assert_prints(m, want, sizeof want - 1);
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_OPTIONS);
    tu_assert_str(gosip_msg_from(m)->tag, "a1");
    check_round_trip(m);
    gosip_msg_unref(m);
}

static void test_build_response(void **state)
{
    (void)state;
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_new(&m, tu_mem_tracked()), 0);
    assert_int_equal(gosip_msg_set_status_line(m, 486, GOSIP_STR_NULL), 0);
    assert_int_equal(gosip_msg_add_hdr_kind(m, GOSIP_HDR_CSEQ, GOSIP_STR("7 INVITE"),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_set_body(m, GOSIP_STR_NULL, NULL, 0), 0);
    static const char want[] =
        "SIP/2.0 486 Busy Here\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
    assert_prints(m, want, sizeof want - 1);
    assert_int_equal(gosip_msg_set_status_line(m, 700, GOSIP_STR("x")), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_set_status_line(m, 99, GOSIP_STR("x")), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_set_request_line(m, GOSIP_STR("IN VITE"), GOSIP_STR("sip:a@b")),
                     GOSIP_ERR_PARSE);
    assert_int_equal(gosip_msg_set_request_line(m, GOSIP_STR("INVITE"), GOSIP_STR("sip:")),
                     GOSIP_ERR_PARSE);
    assert_prints(m, want, sizeof want - 1);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- positions */

static const gosip_hdr *add(gosip_msg *m, const char *name, const char *value,
                            gosip_hdr_where where, const gosip_hdr *ref)
{
    const gosip_hdr *out = NULL;
    int rc = gosip_msg_add_hdr(m, gosip_str_from_cstr(name), gosip_str_from_cstr(value), where, ref,
                               &out);
    if (rc != 0)
        fail_msg("add %s: %s failed: %s", name, value, gosip_err_name(rc));
    assert_non_null(out);
    return out;
}

static void test_positions(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    tu_snap s;
    tu_snap_take(&s, m, 8);
    /* TOP of an existing kind: before its first header (a new top Via) */
    add(m, "Via", "SIP/2.0/UDP top.example.com;branch=z9hG4bKt", GOSIP_WHERE_TOP, NULL);
    tu_snap_insert(&s, 0, GOSIP_HDR_VIA, "Via", "SIP/2.0/UDP top.example.com;branch=z9hG4bKt");
    /* APPEND of an existing kind: after its last header */
    add(m, "Route", "<sip:p2.example.com;lr>", GOSIP_WHERE_APPEND, NULL);
    tu_snap_insert(&s, 6, GOSIP_HDR_ROUTE, "Route", "<sip:p2.example.com;lr>");
    /* TOP and APPEND of a new kind: start and end of the message */
    add(m, "Subject", "first", GOSIP_WHERE_TOP, NULL);
    tu_snap_insert(&s, 0, GOSIP_HDR_SUBJECT, "Subject", "first");
    add(m, "Organization", "last", GOSIP_WHERE_APPEND, NULL);
    tu_snap_insert(&s, s.n, GOSIP_HDR_ORGANIZATION, "Organization", "last");
    /* BEFORE and AFTER a reference */
    const gosip_hdr *cseq = gosip_msg_hdr(m, GOSIP_HDR_CSEQ);
    size_t at = tu_snap_find(&s, GOSIP_HDR_CSEQ, 0, 0);
    add(m, "X-Before", "b", GOSIP_WHERE_BEFORE, cseq);
    tu_snap_insert(&s, at, GOSIP_HDR_OTHER, "X-Before", "b");
    add(m, "X-After", "a", GOSIP_WHERE_AFTER, cseq);
    tu_snap_insert(&s, at + 2, GOSIP_HDR_OTHER, "X-After", "a");
    tu_snap_assert(&s, m);
    assert_vias(m, "top.example.com,a.example.com,b.example.com,c.example.com");
    tu_assert_str(gosip_hdr_value(tu_hdr_kind_nth(m, GOSIP_HDR_ROUTE, 1)),
                  "<sip:p2.example.com;lr>");
    check_round_trip(m);
    test_free(s.h);
    gosip_msg_unref(m);
}

static void test_position_errors(void **state)
{
    (void)state;
    gosip_msg *m = parse_base(), *other = parse_base();
    const gosip_hdr *out = NULL;
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("Subject"), GOSIP_STR("x"), GOSIP_WHERE_BEFORE, NULL, &out),
        GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_add_hdr(m, GOSIP_STR("Subject"), GOSIP_STR("x"), GOSIP_WHERE_AFTER,
                                       gosip_msg_hdr(other, GOSIP_HDR_CSEQ), &out),
                     GOSIP_ERR_INVALID_ARG);
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("Bad Name"), GOSIP_STR("x"), GOSIP_WHERE_APPEND, NULL, &out),
        GOSIP_ERR_INVALID_ARG);
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR(""), GOSIP_STR("x"), GOSIP_WHERE_APPEND, NULL, &out),
        GOSIP_ERR_INVALID_ARG);
    assert_int_equal(
        gosip_msg_add_hdr_kind(m, GOSIP_HDR_OTHER, GOSIP_STR("x"), GOSIP_WHERE_APPEND, NULL, &out),
        GOSIP_ERR_INVALID_ARG);
    /* malformed for its kind: nothing inserted */
    assert_int_equal(gosip_msg_add_hdr_kind(m, GOSIP_HDR_CSEQ, GOSIP_STR("x INVITE"),
                                            GOSIP_WHERE_APPEND, NULL, &out),
                     GOSIP_ERR_PARSE);
    assert_int_equal(gosip_msg_add_hdr(m, GOSIP_STR("Route"),
                                       GOSIP_STR("<sip:ok.example.com>, <sip:bad"),
                                       GOSIP_WHERE_APPEND, NULL, &out),
                     GOSIP_ERR_PARSE);
    assert_null(out);
    assert_prints(m, base_text, sizeof base_text - 1);
    gosip_msg_unref(other);
    gosip_msg_unref(m);
}

/* A list value yields one header per element, all at the requested place, in order. */
static void test_list_values(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    const gosip_hdr *first =
        add(m, "Route", "<sip:n1.example.com;lr>, <sip:n2.example.com;lr>", GOSIP_WHERE_TOP, NULL);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_ROUTE), 3);
    assert_ptr_equal(gosip_msg_hdr(m, GOSIP_HDR_ROUTE), first);
    tu_assert_str(gosip_hdr_value(first), "<sip:n1.example.com;lr>");
    tu_assert_str(gosip_hdr_value(gosip_hdr_next(first)), "<sip:n2.example.com;lr>");
    tu_assert_str(gosip_hdr_value(tu_hdr_kind_nth(m, GOSIP_HDR_ROUTE, 2)),
                  "<sip:p1.example.com;lr>");
    /* a non-list kind keeps its commas */
    const gosip_hdr *subj = add(m, "Subject", "a, b", GOSIP_WHERE_APPEND, NULL);
    tu_assert_str(gosip_hdr_text(subj)->text, "a, b");
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_SUBJECT), 1);
    check_round_trip(m);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- copy, replace, remove */

static void test_copy_hdr(void **state)
{
    (void)state;
    static const char src_text[] =
        "SIP/2.0 200 OK\r\n"
        "v: SIP/2.0/TCP s.example.com;branch=z9hG4bKs;received=10.0.0.1\r\n"
        "Record-Route: <sip:rr1.example.com;lr>, <sip:rr2.example.com;lr>\r\n"
        "X-Trace: abc\r\nContent-Length: 0\r\n\r\n";
    gosip_msg *src, *m = parse_base();
    assert_int_equal(tu_parse(src_text, sizeof src_text - 1, GOSIP_FRAMING_DATAGRAM, &src, NULL),
                     0);
    const gosip_hdr *via = gosip_msg_hdr(src, GOSIP_HDR_VIA), *out = NULL;
    assert_int_equal(gosip_msg_copy_hdr(m, via, GOSIP_WHERE_TOP, NULL, &out), 0);
    tu_assert_str(gosip_hdr_name(out), "Via");
    const gosip_hdr *rr2 = tu_hdr_kind_nth(src, GOSIP_HDR_RECORD_ROUTE, 1);
    assert_int_equal(gosip_msg_copy_hdr(m, rr2, GOSIP_WHERE_APPEND, NULL, NULL), 0);
    assert_int_equal(gosip_msg_copy_hdr(m, gosip_msg_hdr_by_name(src, GOSIP_STR("X-Trace")),
                                        GOSIP_WHERE_AFTER, gosip_msg_hdr(m, GOSIP_HDR_CSEQ), NULL),
                     0);
    /* an edited header copies its current value */
    assert_int_equal(gosip_msg_set_param(src, gosip_msg_hdr(src, GOSIP_HDR_VIA), GOSIP_STR("rport"),
                                         GOSIP_STR("5062"), 0),
                     0);
    assert_int_equal(
        gosip_msg_copy_hdr(m, gosip_msg_hdr(src, GOSIP_HDR_VIA), GOSIP_WHERE_APPEND, NULL, NULL),
        0);
    gosip_msg_unref(src); /* the copies must not point into it */
    const gosip_via *v = gosip_msg_via(m);
    tu_assert_str(v->host, "s.example.com");
    tu_assert_str(v->received, "10.0.0.1");
    v = gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 4));
    assert_int_equal(v->rport, 5062);
    tu_assert_str(gosip_hdr_value(gosip_msg_hdr(m, GOSIP_HDR_RECORD_ROUTE)),
                  "<sip:rr2.example.com;lr>");
    tu_assert_str(gosip_hdr_value(gosip_msg_hdr_by_name(m, GOSIP_STR("x-trace"))), "abc");
    assert_int_equal(gosip_msg_copy_hdr(m, NULL, GOSIP_WHERE_APPEND, NULL, NULL),
                     GOSIP_ERR_INVALID_ARG);
    check_round_trip(m);
    gosip_msg_unref(m);
}

static void test_replace_hdr(void **state)
{
    (void)state;
    gosip_msg *m = parse_base(), *other = parse_base();
    const gosip_hdr *to = gosip_msg_hdr(m, GOSIP_HDR_TO), *out = NULL;
    assert_int_equal(
        gosip_msg_replace_hdr(m, to, GOSIP_STR("<sip:carol@chicago.example.com>"), &out), 0);
    assert_ptr_equal(gosip_msg_hdr(m, GOSIP_HDR_TO), out);
    tu_assert_str(gosip_msg_to(m)->uri->user, "carol");
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_TO), 1);
    /* a list value replaces one header with several, in place */
    const gosip_hdr *route = gosip_msg_hdr(m, GOSIP_HDR_ROUTE);
    assert_int_equal(gosip_msg_replace_hdr(
                         m, route, GOSIP_STR("<sip:r1.example.com>, <sip:r2.example.com>"), NULL),
                     0);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_ROUTE), 2);
    assert_ptr_equal(gosip_hdr_next(gosip_msg_hdr(m, GOSIP_HDR_MAX_FORWARDS)),
                     gosip_msg_hdr(m, GOSIP_HDR_ROUTE));
    size_t n;
    char *before = print_of(m, &n);
    /* failures leave the header and the message as they were */
    out = gosip_msg_hdr(m, GOSIP_HDR_TO);
    assert_int_equal(gosip_msg_replace_hdr(m, out, GOSIP_STR("<sip:broken"), NULL),
                     GOSIP_ERR_PARSE);
    assert_ptr_equal(gosip_msg_hdr(m, GOSIP_HDR_TO), out);
    assert_int_equal(
        gosip_msg_replace_hdr(m, gosip_msg_hdr(other, GOSIP_HDR_TO), GOSIP_STR("<sip:x@y>"), NULL),
        GOSIP_ERR_NOT_FOUND);
    assert_prints(m, before, n);
    test_free(before);
    check_round_trip(m);
    gosip_msg_unref(other);
    gosip_msg_unref(m);
}

static void test_remove(void **state)
{
    (void)state;
    gosip_msg *m = parse_base(), *other = parse_base();
    const gosip_hdr *h = gosip_msg_hdr_by_name(m, GOSIP_STR("X-Custom"));
    assert_int_equal(gosip_msg_remove_hdr(m, h), 0);
    assert_null(gosip_msg_hdr_by_name(m, GOSIP_STR("X-Custom")));
    assert_int_equal(gosip_msg_remove_hdr(m, h), GOSIP_ERR_NOT_FOUND);
    assert_int_equal(gosip_msg_remove_hdr(m, gosip_msg_hdr(other, GOSIP_HDR_CSEQ)),
                     GOSIP_ERR_NOT_FOUND);
    assert_non_null(gosip_msg_hdr(other, GOSIP_HDR_CSEQ));
    assert_non_null(gosip_msg_cseq(m));
    assert_int_equal(gosip_msg_remove_hdr(m, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 3);
    assert_int_equal(gosip_msg_remove_all(m, GOSIP_HDR_VIA), 3);
    assert_null(gosip_msg_via(m));
    assert_int_equal(gosip_msg_remove_all(m, GOSIP_HDR_VIA), 0);
    assert_int_equal(gosip_msg_remove_all(m, GOSIP_HDR_ROUTE), 1);
    check_round_trip(m);
    gosip_msg_unref(other);
    gosip_msg_unref(m);
}

/* remove_all counts header values, also those of a line nobody has read yet. */
static void test_remove_all_unread_list(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    unsigned removed = gosip_msg_remove_all(m, GOSIP_HDR_VIA);
    unsigned left = gosip_msg_hdr_count(m, GOSIP_HDR_VIA);
    size_t total = tu_hdr_total(m);
    gosip_msg_unref(m);
    assert_int_equal(removed, 3);
    assert_int_equal(left, 0);
    assert_int_equal(total, 9);
}

/* ---------------------------------------------------------------- parameters */

static void test_set_param(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    assert_int_equal(gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_TO), GOSIP_STR("tag"),
                                         GOSIP_STR("8321234356"), 0),
                     0);
    tu_assert_str(gosip_msg_to(m)->tag, "8321234356");
    check_round_trip(m);
    assert_int_equal(gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_VIA), GOSIP_STR("received"),
                                         GOSIP_STR("192.0.2.1"), 0),
                     0);
    assert_int_equal(gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_VIA), GOSIP_STR("rport"),
                                         GOSIP_STR_NULL, 0),
                     0);
    const gosip_via *v = gosip_msg_via(m);
    tu_assert_str(v->received, "192.0.2.1");
    assert_int_equal(v->rport, 0);
    tu_assert_str(v->branch, "z9hG4bKa");
    assert_int_equal(gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_VIA), GOSIP_STR("rport"),
                                         GOSIP_STR("5070"), 0),
                     0);
    assert_int_equal(gosip_msg_via(m)->rport, 5070);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 3);
    assert_vias(m, "a.example.com,b.example.com,c.example.com");
    check_round_trip(m);
    /* remove a parameter; removing it again is NOT_FOUND */
    const gosip_hdr *from = gosip_msg_hdr(m, GOSIP_HDR_FROM);
    assert_int_equal(gosip_msg_set_param(m, from, GOSIP_STR("TAG"), GOSIP_STR_NULL, 1), 0);
    assert_null(gosip_msg_from(m)->tag.p);
    assert_int_equal(gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_FROM), GOSIP_STR("tag"),
                                         GOSIP_STR_NULL, 1),
                     GOSIP_ERR_NOT_FOUND);
    check_round_trip(m);
    gosip_msg_unref(m);
}

static void test_set_param_errors(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    assert_int_equal(gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_CALL_ID), GOSIP_STR("x"),
                                         GOSIP_STR("1"), 0),
                     GOSIP_ERR_UNSUPPORTED);
    assert_int_equal(
        gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_CSEQ), GOSIP_STR("x"), GOSIP_STR("1"), 0),
        GOSIP_ERR_UNSUPPORTED);
    const gosip_hdr *to = gosip_msg_hdr(m, GOSIP_HDR_TO);
    assert_int_equal(gosip_msg_set_param(m, to, GOSIP_STR("a b"), GOSIP_STR("1"), 0),
                     GOSIP_ERR_PARSE);
    assert_int_equal(gosip_msg_set_param(m, to, GOSIP_STR(""), GOSIP_STR("1"), 0), GOSIP_ERR_PARSE);
    assert_int_equal(gosip_msg_set_param(m, to, GOSIP_STR("tag"), GOSIP_STR("1\r\nVia: x"), 0),
                     GOSIP_ERR_PARSE);
    assert_int_equal(gosip_msg_set_param(m, to, GOSIP_STR("tag"), GOSIP_STR("a;b"), 0),
                     GOSIP_ERR_PARSE);
    assert_prints(m, base_text, sizeof base_text - 1);
    gosip_msg_unref(m);
}

/* The header handle given to set_param stays usable for a second edit (the API returns no
 * new handle, unlike replace_hdr). */
static void test_set_param_twice_same_handle(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    const gosip_hdr *via = gosip_msg_hdr(m, GOSIP_HDR_VIA);
    assert_int_equal(gosip_msg_set_param(m, via, GOSIP_STR("received"), GOSIP_STR("192.0.2.1"), 0),
                     0);
    int rc = gosip_msg_set_param(m, via, GOSIP_STR("rport"), GOSIP_STR("5070"), 0);
    size_t total = tu_hdr_total(m);
    unsigned vias = gosip_msg_hdr_count(m, GOSIP_HDR_VIA);
    if (rc != 0 || total != 12 || vias != 3) {
        gosip_msg_unref(m);
        fail_msg("second set_param on the same handle: %s, then %zu headers (12 expected), "
                 "%u Via (3 expected)",
                 gosip_err_name(rc), total, vias);
    }
    const gosip_via *v = gosip_msg_via(m);
    assert_non_null(v);
    tu_assert_str(v->received, "192.0.2.1");
    assert_int_equal(v->rport, 5070);
    check_round_trip(m);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- bodies */

static void test_set_body(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    assert_int_equal(gosip_msg_set_body(m, GOSIP_STR("application/sdp"), "v=0\r\n", 5), 0);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_CONTENT_TYPE), 1);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_CONTENT_LENGTH), 1);
    tu_assert_str(gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE))->subtype, "sdp");
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))->value, 5);
    tu_assert_str(gosip_msg_body(m), "v=0\r\n");
    check_round_trip(m);
    char big[300];
    memset(big, 'z', sizeof big);
    assert_int_equal(gosip_msg_set_body(m, GOSIP_STR("text/plain;charset=utf-8"), big, sizeof big),
                     0);
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))->value, 300);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_CONTENT_TYPE), 1);
    check_round_trip(m);
    /* no Content-Type, no body: Content-Length 0 */
    assert_int_equal(gosip_msg_set_body(m, GOSIP_STR_NULL, NULL, 0), 0);
    assert_null(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE));
    tu_assert_str(gosip_hdr_value(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH)), "0");
    assert_int_equal(gosip_msg_body(m).n, 0);
    check_round_trip(m);
    assert_int_equal(gosip_msg_set_body(m, GOSIP_STR_NULL, NULL, 3), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_set_body(m, GOSIP_STR("not a type"), "x", 1), GOSIP_ERR_PARSE);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- header injection */

static void test_header_injection(void **state)
{
    (void)state;
    static const char *const evil[] = {
        "x\r\nVia: SIP/2.0/UDP evil.example.com;branch=z9hG4bKevil",
        "x\nVia: SIP/2.0/UDP evil.example.com",
        "x\rVia: SIP/2.0/UDP evil.example.com",
        "x\r\n",
        "x\r\n\r\nbody",
    };
    gosip_msg *m = parse_base();
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        gosip_str v = gosip_str_from_cstr(evil[i]);
        const gosip_hdr *out = NULL;
        assert_int_equal(
            gosip_msg_add_hdr(m, GOSIP_STR("Subject"), v, GOSIP_WHERE_APPEND, NULL, &out),
            GOSIP_ERR_PARSE);
        assert_int_equal(
            gosip_msg_add_hdr(m, GOSIP_STR("X-Opaque"), v, GOSIP_WHERE_APPEND, NULL, &out),
            GOSIP_ERR_PARSE);
        assert_int_equal(gosip_msg_replace_hdr(m, gosip_msg_hdr(m, GOSIP_HDR_CALL_ID), v, &out),
                         GOSIP_ERR_PARSE);
        assert_null(out);
    }
    assert_int_equal(gosip_msg_add_hdr(m, GOSIP_STR("Subject: x\r\nVia"), GOSIP_STR("y"),
                                       GOSIP_WHERE_APPEND, NULL, NULL),
                     GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_msg_set_status_line(m, 200, GOSIP_STR("OK\r\nVia: x")), GOSIP_ERR_PARSE);
    assert_int_equal(
        gosip_msg_set_request_line(m, GOSIP_STR("INVITE"), GOSIP_STR("sip:a@b\r\nVia: x")),
        GOSIP_ERR_PARSE);
    assert_prints(m, base_text, sizeof base_text - 1);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 3);
    /* folding is no injection: a continuation line is allowed */
    const gosip_hdr *out = add(m, "Subject", "first\r\n second", GOSIP_WHERE_APPEND, NULL);
    assert_non_null(gosip_hdr_text(out));
    check_round_trip(m);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- comma-separated lines */

static void test_edit_one_value_of_line(void **state)
{
    (void)state;
    gosip_msg *m = parse_base();
    assert_int_equal(gosip_msg_remove_hdr(m, tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 1)), 0);
    assert_vias(m, "a.example.com,c.example.com");
    check_round_trip(m);
    gosip_msg_unref(m);

    m = parse_base();
    add(m, "Via", "SIP/2.0/UDP mid.example.com;branch=z9hG4bKm", GOSIP_WHERE_AFTER,
        gosip_msg_hdr(m, GOSIP_HDR_VIA));
    assert_vias(m, "a.example.com,mid.example.com,b.example.com,c.example.com");
    check_round_trip(m);
    assert_int_equal(gosip_msg_replace_hdr(m, tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 3),
                                           GOSIP_STR("SIP/2.0/TCP z.example.com;branch=z9hG4bKz"),
                                           NULL),
                     0);
    assert_vias(m, "a.example.com,mid.example.com,b.example.com,z.example.com");
    check_round_trip(m);
    assert_int_equal(gosip_msg_set_param(m, tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 2),
                                         GOSIP_STR("received"), GOSIP_STR("10.1.1.1"), 0),
                     0);
    tu_assert_str(gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 2))->received, "10.1.1.1");
    assert_vias(m, "a.example.com,mid.example.com,b.example.com,z.example.com");
    check_round_trip(m);
    gosip_msg_unref(m);
}

/* ---------------------------------------------------------------- allocation failures */

/* The steps of an edit session; returns 0, or the first failure (which must be NOMEM). */
static int edit_session(gosip_msg *m, const char *big)
{
    int rc = gosip_msg_set_request_line(m, GOSIP_STR("MESSAGE"), GOSIP_STR("sip:b@example.com"));
    if (!rc)
        rc = gosip_msg_add_hdr_kind(m, GOSIP_HDR_VIA,
                                    GOSIP_STR("SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/UDP g"),
                                    GOSIP_WHERE_TOP, NULL, NULL);
    if (!rc)
        rc = gosip_msg_add_hdr(m, GOSIP_STR("Subject"), gosip_str_from_cstr(big),
                               GOSIP_WHERE_APPEND, NULL, NULL);
    if (!rc)
        rc = gosip_msg_add_hdr(m, GOSIP_STR("To"), GOSIP_STR("<sip:b@example.com>"),
                               GOSIP_WHERE_TOP, NULL, NULL);
    if (!rc)
        rc = gosip_msg_set_param(m, gosip_msg_hdr(m, GOSIP_HDR_TO), GOSIP_STR("tag"),
                                 gosip_str_from_cstr(big + 3000), 0);
    if (!rc)
        rc = gosip_msg_replace_hdr(m, gosip_msg_hdr(m, GOSIP_HDR_SUBJECT),
                                   gosip_str_from_cstr(big + 1000), NULL);
    if (!rc)
        rc = gosip_msg_remove_hdr(m, tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 1));
    if (!rc)
        rc = gosip_msg_set_body(m, GOSIP_STR("text/plain"), big, 2500);
    return rc;
}

static void test_nomem_each_step(void **state)
{
    (void)state;
    char *big = malloc(4001);
    assert_non_null(big);
    memset(big, 'q', 4000);
    big[4000] = '\0';
    for (long k = 0;; k++) {
        tu_failmem fm;
        tu_failmem_init(&fm, k);
        gosip_msg *m = NULL;
        int rc = gosip_msg_new(&m, &fm.mem);
        if (rc == 0)
            rc = edit_session(m, big);
        if (fm.failed == 0) {
            assert_int_equal(rc, 0);
            check_round_trip(m);
            gosip_msg_unref(m);
            assert_true(k >= 4); /* the session did meet several allocations */
            break;
        }
        if (rc != GOSIP_ERR_NOMEM)
            fail_msg("allocation %ld failed: got %s, expected NOMEM", k, gosip_err_name(rc));
        if (m) {
            fm.fail_at = -1;
            size_t n;
            char *text = print_of(m, &n); /* still consistent after the failure */
            gosip_msg *again;
            if (gosip_msg_is_request(m)) {
                assert_int_equal(tu_parse(text, n, GOSIP_FRAMING_DATAGRAM, &again, NULL), 0);
                assert_int_equal(tu_hdr_total(again), tu_hdr_total(m));
                gosip_msg_unref(again);
            }
            test_free(text);
            gosip_msg_unref(m);
        }
        assert_true(k < 1000);
    }
    free(big);
}

/* add_hdr and replace_hdr change nothing when an allocation fails. */
static void test_nomem_atomic(void **state)
{
    (void)state;
    for (long k = 0;; k++) {
        tu_failmem fm;
        tu_failmem_init(&fm, -1);
        gosip_msg *m;
        assert_int_equal(tu_parse_mem(base_text, sizeof base_text - 1, GOSIP_FRAMING_DATAGRAM,
                                      &fm.mem, &m, NULL),
                         0);
        fm.fail_at = fm.calls + k;
        char value[3000];
        memset(value, 'v', sizeof value - 1);
        value[sizeof value - 1] = '\0';
        int rc = gosip_msg_add_hdr(m, GOSIP_STR("Subject"), gosip_str_from_cstr(value),
                                   GOSIP_WHERE_APPEND, NULL, NULL);
        /* a long display name, so that the replacement needs memory of its own */
        memcpy(value, "\"", 1);
        const char *tail = "\" <sip:x@example.com>";
        memcpy(value + sizeof value - 1 - strlen(tail), tail, strlen(tail));
        if (!rc)
            rc = gosip_msg_replace_hdr(m, gosip_msg_hdr(m, GOSIP_HDR_TO),
                                       gosip_str_from_cstr(value), NULL);
        if (fm.failed == 0) {
            assert_int_equal(rc, 0);
            gosip_msg_unref(m);
            assert_true(k >= 2);
            break;
        }
        assert_int_equal(rc, GOSIP_ERR_NOMEM);
        fm.fail_at = -1;
        if (gosip_msg_hdr(m, GOSIP_HDR_SUBJECT) == NULL)
            assert_prints(m, base_text, sizeof base_text - 1);
        else
            tu_assert_str(gosip_msg_to(m)->display, "Bob");
        gosip_msg_unref(m);
        assert_true(k < 1000);
    }
}

/* A header of another message is not in m: refused, and neither message changes (m is
 * freed first, so that a node of m's arena left in `other` shows under ASan). Last in
 * the list, as an ASan report ends the program. */
static void test_set_param_foreign_header(void **state)
{
    (void)state;
    gosip_msg *m = parse_base(), *other = parse_base();
    int rc = gosip_msg_set_param(m, gosip_msg_hdr(other, GOSIP_HDR_TO), GOSIP_STR("tag"),
                                 GOSIP_STR("x"), 0);
    assert_prints(m, base_text, sizeof base_text - 1);
    gosip_msg_unref(m);
    size_t n = 0;
    for (const gosip_hdr *h = gosip_msg_hdr_first(other); h; h = gosip_hdr_next(h))
        n += gosip_hdr_value(h).n > 0;
    assert_int_equal(n, 12);
    assert_null(gosip_msg_to(other)->tag.p);
    assert_prints(other, base_text, sizeof base_text - 1);
    gosip_msg_unref(other);
    assert_int_equal(rc, GOSIP_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_request),
        cmocka_unit_test(test_build_response),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_position_errors),
        cmocka_unit_test(test_list_values),
        cmocka_unit_test(test_copy_hdr),
        cmocka_unit_test(test_replace_hdr),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_remove_all_unread_list),
        cmocka_unit_test(test_set_param),
        cmocka_unit_test(test_set_param_errors),
        cmocka_unit_test(test_set_param_twice_same_handle),
        cmocka_unit_test(test_set_body),
        cmocka_unit_test(test_header_injection),
        cmocka_unit_test(test_edit_one_value_of_line),
        cmocka_unit_test(test_nomem_each_step),
        cmocka_unit_test(test_nomem_atomic),
        cmocka_unit_test(test_set_param_foreign_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
