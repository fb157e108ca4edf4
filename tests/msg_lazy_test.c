/*
 * Lazy parsing gives the results of an eager parse, whatever the order of access. For
 * every RFC 4475, RFC 5118 and RFC 3665 message: (a) headers read in message order,
 * (b) in reverse order, (c) gosip_msg_defect first, (d) gosip_msg_hdr_count of every
 * kind first: each yields the same transcript (Request-URI, every header's kind, name,
 * value, error, printed value and printed typed value, and the first defect). Iteration
 * sees every value of a split list exactly once, and the counts agree with it.
 * The reverse walk uses the internal prev links, which trigger no deferred work.
 */
#include "testutil.h"

#include "msg/msg_internal.h"

/* ---------------------------------------------------------------- transcript */

static void text_str(tu_buf *t, gosip_str s)
{
    if (!s.p)
        tu_buf_add(t, "(absent)", 8);
    else
        tu_buf_add(t, s.p, s.n);
}

/* The typed value printed by its shape's printer (internal), "-" when none. */
static void add_typed(tu_buf *t, const gosip_hdr *h)
{
    const gosip__print_fn fn = gosip__shape_printer(gosip_hdr_kind_shape(gosip_hdr_kind_of(h)));
    if (!fn || !h->parsed) {
        tu_buf_add(t, "-", 1);
        return;
    }
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, NULL, 0);
    fn(&sb, h->parsed);
    size_t n = gosip__sbuf_finish(&sb);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    gosip__sbuf_init(&sb, buf, n + 1);
    fn(&sb, h->parsed);
    assert_int_equal(gosip__sbuf_finish(&sb), n);
    tu_buf_add(t, buf, n);
    free(buf);
}

static void add_hdr(tu_buf *t, const gosip_hdr *h)
{
    tu_buf_fmt(t, "%d|", (int)gosip_hdr_kind_of(h));
    text_str(t, gosip_hdr_name(h));
    tu_buf_add(t, "|", 1);
    text_str(t, gosip_hdr_value(h));
    tu_buf_fmt(t, "|%s|", gosip_err_name(gosip_hdr_error(h)));
    size_t n = gosip_hdr_print_value(h, NULL, 0);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(gosip_hdr_print_value(h, buf, n + 1), n);
    tu_buf_add(t, buf, n);
    free(buf);
    tu_buf_add(t, "|", 1);
    add_typed(t, h);
    tu_buf_add(t, "\n", 1);
}

/* Everything a reader can see of m, in message order. */
static void transcript(const gosip_msg *m, tu_buf *t)
{
    const gosip_uri *u = gosip_msg_request_uri(m);
    tu_buf_add(t, "ruri ", 5);
    text_str(t, u ? u->raw : GOSIP_STR_NULL);
    tu_buf_add(t, "\n", 1);
    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h))
        add_hdr(t, h);
    gosip_parse_error e;
    memset(&e, 0, sizeof e);
    int rc = gosip_msg_defect(m, &e);
    tu_buf_fmt(t, "defect %s status %d offset %zu kind %d %s\n", gosip_err_name(rc),
               rc ? e.status : 0, rc ? e.offset : 0, rc ? (int)e.kind : 0,
               rc && e.reason ? e.reason : "");
}

/* Fails, showing the first line where two transcripts differ. */
static void assert_same_text(const tu_buf *a, const char *a_name, const tu_buf *b,
                             const char *b_name)
{
    if (a->n == b->n && memcmp(a->p, b->p, a->n) == 0)
        return;
    const char *pa = a->p, *pb = b->p;
    while (*pa && *pa == *pb) {
        const char *ea = strchr(pa, '\n'), *eb = strchr(pb, '\n');
        if (!ea || !eb || ea - pa != eb - pb || memcmp(pa, pb, (size_t)(ea - pa)) != 0)
            break;
        pa = ea + 1;
        pb = eb + 1;
    }
    int la = (int)(strchr(pa, '\n') ? strchr(pa, '\n') - pa : (ptrdiff_t)strlen(pa));
    int lb = (int)(strchr(pb, '\n') ? strchr(pb, '\n') - pb : (ptrdiff_t)strlen(pb));
    print_error("%s: %.*s\n%s: %.*s\n", a_name, la, pa, b_name, lb, pb);
    fail_msg("transcripts differ (%s vs %s)", a_name, b_name);
}

/* ---------------------------------------------------------------- access orders */

/* Reads one header's value in every way a reader could. */
static void touch(const gosip_hdr *h)
{
    (void)gosip_hdr_error(h);
    (void)gosip_hdr_value(h);
    (void)gosip_hdr_print_value(h, NULL, 0);
    (void)gosip_hdr_nameaddr(h);
    (void)gosip_hdr_via(h);
    (void)gosip_hdr_uint(h);
}

static void access_forward(const gosip_msg *m)
{
    (void)gosip_msg_request_uri(m);
    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h))
        touch(h);
}

static void access_reverse(const gosip_msg *m)
{
    for (const gosip_hdr *h = m->last; h; h = h->prev)
        touch(h);
    (void)gosip_msg_request_uri(m);
}

static void access_defect_first(const gosip_msg *m)
{
    (void)gosip_msg_defect(m, NULL);
}

static void access_counts_first(const gosip_msg *m)
{
    for (int k = GOSIP_HDR_OTHER + 1; k < GOSIP_HDR__BUILTIN_COUNT; k++)
        (void)gosip_msg_hdr_count(m, (gosip_hdr_kind)k);
}

typedef void (*access_fn)(const gosip_msg *m);

typedef struct mode {
    const char *name;
    access_fn fn;
} mode;

static const mode modes[] = {
    {"forward", access_forward},
    {"defect first", access_defect_first},
    {"counts first", access_counts_first},
    {"reverse", access_reverse},
};
#define N_MODES (sizeof modes / sizeof modes[0])

/* ---------------------------------------------------------------- invariants */

/* Iteration sees each value once; next_same chains and counts agree with it. */
static void check_iteration(const gosip_msg *m, const unsigned *counts_before)
{
    unsigned seen[GOSIP_HDR__BUILTIN_COUNT] = {0};
    const gosip_hdr *last_of[GOSIP_HDR__BUILTIN_COUNT] = {0};
    const gosip_hdr *prev = NULL;
    size_t total = 0;
    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h)) {
        assert_ptr_equal(h->prev, prev);
        prev = h;
        assert_true(++total <= m->n_hdrs);
        int k = gosip_hdr_kind_of(h);
        if (k <= GOSIP_HDR_OTHER || k >= GOSIP_HDR__BUILTIN_COUNT)
            continue;
        /* the same-kind chain reaches exactly this header next */
        const gosip_hdr *expect =
            last_of[k] ? gosip_hdr_next_same(last_of[k]) : gosip_msg_hdr(m, (gosip_hdr_kind)k);
        assert_ptr_equal(expect, h);
        last_of[k] = h;
        seen[k]++;
    }
    assert_int_equal(total, m->n_hdrs);
    for (int k = GOSIP_HDR_OTHER + 1; k < GOSIP_HDR__BUILTIN_COUNT; k++) {
        if (last_of[k])
            assert_null(gosip_hdr_next_same(last_of[k]));
        if (gosip_msg_hdr_count(m, (gosip_hdr_kind)k) != seen[k] ||
            (counts_before && counts_before[k] != seen[k]))
            fail_msg("%s: count %u (%u before iterating), iteration saw %u",
                     gosip_hdr_kind_name((gosip_hdr_kind)k),
                     gosip_msg_hdr_count(m, (gosip_hdr_kind)k),
                     counts_before ? counts_before[k] : 0, seen[k]);
    }
}

/* The C library allocator: a failed assertion must not end the program with a leak
 * report from cmocka before the other groups ran. */
static gosip_msg *parse_data(const char *data, size_t len)
{
    gosip_msg *m;
    int rc = tu_parse_mem(data, len, GOSIP_FRAMING_DATAGRAM, NULL, &m, NULL);
    return rc == 0 ? m : NULL;
}

/* Parses data once per mode and checks every mode sees the same message. */
static void check_message(const char *data, size_t len)
{
    tu_buf ref = {0};
    gosip_msg *first = NULL;
    for (size_t i = 0; i < N_MODES; i++) {
        gosip_msg *m = parse_data(data, len);
        if (!m) {
            assert_int_equal(i, 0); /* deterministic: the first parse decides */
            return;
        }
        unsigned counts[GOSIP_HDR__BUILTIN_COUNT] = {0};
        for (int k = GOSIP_HDR_OTHER + 1; k < GOSIP_HDR__BUILTIN_COUNT; k++)
            counts[k] =
                modes[i].fn == access_counts_first ? gosip_msg_hdr_count(m, (gosip_hdr_kind)k) : 0;
        modes[i].fn(m);
        tu_buf t = {0};
        transcript(m, &t);
        check_iteration(m, modes[i].fn == access_counts_first ? counts : NULL);
        if (i == 0) {
            ref = t;
            first = m;
            continue;
        }
        assert_same_text(&t, modes[i].name, &ref, modes[0].name);
        tu_assert_msg_equal(first, m);
        tu_buf_free(&t);
        gosip_msg_unref(m);
    }
    tu_buf_free(&ref);
    gosip_msg_unref(first);
}

static void test_file(void **state)
{
    char *data;
    size_t len;
    tu_case_read(state, &data, &len);
    check_message(data, len);
    free(data);
}

/* ---------------------------------------------------------------- crafted messages */

#define REQ_START                                                                                  \
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"                                                      \
    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"                                           \
    "To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n"                         \
    "Call-ID: lazy@example.com\r\nCSeq: 1 OPTIONS\r\n"

/* Two malformed headers: the first defect is the first in message order. */
static void test_first_defect_in_message_order(void **state)
{
    (void)state;
    static const char msg[] = REQ_START "Expires: soon\r\nMin-Expires: later\r\n"
                                        "Content-Length: 0\r\n\r\n";
    check_message(msg, sizeof msg - 1);
    gosip_msg *m = parse_data(msg, sizeof msg - 1);
    assert_null(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_MIN_EXPIRES)));
    gosip_parse_error e;
    assert_int_equal(gosip_msg_defect(m, &e), GOSIP_ERR_PARSE);
    assert_int_equal(e.kind, GOSIP_HDR_EXPIRES);
    assert_int_equal(e.offset, (size_t)(strstr(msg, "soon") - msg));
    gosip_msg_unref(m);
}

/* Which list value is over max_headers must not depend on the order of reading. */
static void test_value_limit_order(void **state)
{
    (void)state;
    static const char msg[] = REQ_START "Allow: INVITE, ACK\r\nSupported: timer, path\r\n"
                                        "Content-Length: 0\r\n\r\n";
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_headers = 8; /* 8 lines; the limit is per line for list values, so reading
                            order cannot decide which list is over it */
    gosip_parse_opts o = {0};
    o.limits = &lim;
    tu_buf t[2] = {{0}, {0}};
    for (int order = 0; order < 2; order++) {
        gosip_msg *m = NULL;
        assert_int_equal(gosip_msg_parse(&m, msg, sizeof msg - 1, &o, NULL), 0);
        gosip_hdr_kind a = order ? GOSIP_HDR_SUPPORTED : GOSIP_HDR_ALLOW;
        gosip_hdr_kind b = order ? GOSIP_HDR_ALLOW : GOSIP_HDR_SUPPORTED;
        (void)gosip_hdr_error(gosip_msg_hdr(m, a));
        (void)gosip_hdr_error(gosip_msg_hdr(m, b));
        transcript(m, &t[order]);
        assert_int_equal(gosip_msg_defect(m, NULL), 0);
        gosip_msg_unref(m);
    }
    assert_same_text(&t[0], "Allow read first", &t[1], "Supported read first");
    tu_buf_free(&t[0]);
    tu_buf_free(&t[1]);
}

/* A list line split on first access: each value once, counts right from the start. */
static void test_split_counts(void **state)
{
    (void)state;
    static const char msg[] =
        "SIP/2.0 200 OK\r\n"
        "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com;branch=z9hG4bK2,"
        "\r\n SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\n"
        "Via: SIP/2.0/UDP d.example.com;branch=z9hG4bK4\r\n"
        "Record-Route: <sip:r1.example.com;lr>,<sip:r2.example.com;lr>\r\n"
        "To: <sip:bob@example.com>;tag=2\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
        "Call-ID: split@example.com\r\nCSeq: 1 INVITE\r\nAllow: ,INVITE,,ACK,\r\n"
        "Contact: \"A, B\" <sip:x@example.com>, <sip:y@example.com;p=\"1,2\">\r\n"
        "Content-Length: 0\r\n\r\n";
    check_message(msg, sizeof msg - 1);
    gosip_msg *m = parse_data(msg, sizeof msg - 1);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 4);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_RECORD_ROUTE), 2);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_ALLOW), 2);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_CONTACT), 2);
    tu_assert_str(gosip_msg_contact(m)->display, "\"A, B\"");
    tu_assert_str(gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 2))->host, "c.example.com");
    assert_int_equal(tu_hdr_total(m), 15);
    gosip_msg_unref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_defect_in_message_order),
        cmocka_unit_test(test_value_limit_order),
        cmocka_unit_test(test_split_counts),
    };
    int failed = cmocka_run_group_tests_name("crafted", tests, NULL, NULL);
    failed += tu_run_dir("rfc4475", TU_DATA("rfc4475"), ".dat", test_file);
    failed += tu_run_dir("rfc5118", TU_DATA("rfc5118/wire"), ".sip", test_file);
    failed += tu_run_dir("rfc3665", TU_DATA("rfc3665"), ".sip", test_file);
    return failed;
}
