/*
 * Registered extension headers (gosip_hdr_registry): a typed parser for "X-Count" (an
 * integer) with compact form "y", a list header, lookups by kind and name, parse
 * failures, refused registrations, and the extension headers through the mutators.
 * (Split from msg_edit_test.c for size.)
 */
#include "testutil.h"

/* ---------------------------------------------------------------- the X-Count parser */

typedef struct count_val {
    unsigned value;
} count_val;

static int parse_count(gosip_msg *m, gosip_str value, void **parsed, void *ud)
{
    int *calls = ud;
    if (calls)
        (*calls)++;
    if (value.n == 0 || value.n > 9)
        return GOSIP_ERR_PARSE;
    unsigned v = 0;
    for (size_t i = 0; i < value.n; i++) {
        if (value.p[i] < '0' || value.p[i] > '9')
            return GOSIP_ERR_PARSE;
        v = v * 10 + (unsigned)(value.p[i] - '0');
    }
    count_val *c = gosip_msg_alloc(m, sizeof *c);
    if (!c)
        return GOSIP_ERR_NOMEM;
    c->value = v;
    *parsed = c;
    return 0;
}

static size_t print_count(const void *parsed, char *buf, size_t cap, void *ud)
{
    (void)ud;
    int n = snprintf(buf, cap, "%u", ((const count_val *)parsed)->value);
    return n < 0 ? 0 : (size_t)n;
}

/* A token list: keeps each element's text. */
static int parse_item(gosip_msg *m, gosip_str value, void **parsed, void *ud)
{
    (void)ud;
    for (size_t i = 0; i < value.n; i++)
        if (value.p[i] == ' ' || value.p[i] == ',')
            return GOSIP_ERR_PARSE;
    gosip_str *s = gosip_msg_alloc(m, sizeof *s);
    if (!s)
        return GOSIP_ERR_NOMEM;
    *s = value;
    *parsed = s;
    return 0;
}

typedef struct fixture {
    gosip_hdr_registry *reg;
    gosip_hdr_kind count, items;
    int calls;
} fixture;

static int setup(void **state)
{
    fixture *f = test_calloc(1, sizeof *f);
    if (gosip_hdr_registry_new(&f->reg, tu_mem_tracked()) != 0)
        return -1;
    gosip_hdr_def def = {"X-Count", "y", 0, parse_count, print_count, &f->calls};
    if (gosip_hdr_registry_add(f->reg, &def, &f->count) != 0)
        return -1;
    gosip_hdr_def items = {"X-Items", NULL, 1, parse_item, NULL, NULL};
    if (gosip_hdr_registry_add(f->reg, &items, &f->items) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    gosip_hdr_registry_free(f->reg);
    test_free(f);
    return 0;
}

static const char ext_text[] =
    "MESSAGE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKx\r\n"
    "X-Count: 42\r\n"
    "To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
    "y: 7\r\n"
    "X-Items: red, green,blue\r\n"
    "Call-ID: ext@example.com\r\nCSeq: 1 MESSAGE\r\nx-count:  0042 \r\n"
    "Content-Length: 0\r\n\r\n";

static gosip_msg *parse_with(const fixture *f, const char *text, size_t n)
{
    gosip_parse_opts o = {0};
    o.mem = tu_mem_tracked();
    o.registry = f->reg;
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_parse(&m, text, n, &o, NULL), 0);
    return m;
}

static unsigned count_of(const gosip_hdr *h)
{
    const count_val *c = gosip_hdr_ext(h);
    assert_non_null(c);
    return c->value;
}

/* ---------------------------------------------------------------- parsing */

static void test_kinds(void **state)
{
    fixture *f = *state;
    assert_true(f->count >= GOSIP_HDR__EXT_BASE && f->count < GOSIP_HDR__MAX);
    assert_true(f->items >= GOSIP_HDR__EXT_BASE && f->items < GOSIP_HDR__MAX);
    assert_int_not_equal(f->count, f->items);
    /* the built-in lookup does not know them */
    assert_int_equal(gosip_hdr_kind_from_name(GOSIP_STR("X-Count")), GOSIP_HDR_OTHER);
}

static void test_typed_values(void **state)
{
    fixture *f = *state;
    gosip_msg *m = parse_with(f, ext_text, sizeof ext_text - 1);
    const gosip_hdr *h = gosip_msg_hdr(m, f->count);
    assert_non_null(h);
    assert_int_equal(gosip_hdr_kind_of(h), f->count);
    tu_assert_str(gosip_hdr_name(h), "X-Count");
    assert_int_equal(count_of(h), 42);
    /* compact form and any case map to the same kind */
    h = gosip_hdr_next_same(h);
    tu_assert_str(gosip_hdr_name(h), "y");
    assert_int_equal(count_of(h), 7);
    h = gosip_hdr_next_same(h);
    tu_assert_str(gosip_hdr_name(h), "x-count");
    tu_assert_str(gosip_hdr_value(h), "0042");
    assert_int_equal(count_of(h), 42);
    assert_null(gosip_hdr_next_same(h));
    assert_int_equal(gosip_msg_hdr_count(m, f->count), 3);
    /* other typed views refuse an extension value, and the reverse */
    assert_null(gosip_hdr_uint(h));
    assert_null(gosip_hdr_text(h));
    assert_null(gosip_hdr_ext(gosip_msg_hdr(m, GOSIP_HDR_CALL_ID)));
    char buf[16];
    assert_int_equal(gosip_hdr_print_value(h, buf, sizeof buf), 4);
    assert_string_equal(buf, "0042");
    assert_int_equal(gosip_msg_defect(m, NULL), 0);
    assert_true(f->calls >= 3);
    gosip_msg_unref(m);
}

static void test_list_extension(void **state)
{
    fixture *f = *state;
    gosip_msg *m = parse_with(f, ext_text, sizeof ext_text - 1);
    assert_int_equal(gosip_msg_hdr_count(m, f->items), 3);
    static const char *const want[] = {"red", "green", "blue"};
    const gosip_hdr *h = gosip_msg_hdr(m, f->items);
    for (size_t i = 0; i < 3; i++, h = gosip_hdr_next_same(h)) {
        assert_non_null(h);
        const gosip_str *s = gosip_hdr_ext(h);
        assert_non_null(s);
        tu_assert_str(*s, want[i]);
    }
    assert_null(h);
    /* printed unmodified: the line as it came */
    size_t n;
    char *text = tu_print(m, &n);
    assert_int_equal(n, sizeof ext_text - 1);
    assert_memory_equal(text, ext_text, n);
    test_free(text);
    gosip_msg_unref(m);
}

/* Without the registry the same headers are opaque. */
static void test_without_registry(void **state)
{
    (void)state;
    gosip_msg *m;
    assert_int_equal(tu_parse(ext_text, sizeof ext_text - 1, GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    const gosip_hdr *h = gosip_msg_hdr_by_name(m, GOSIP_STR("X-Count"));
    assert_int_equal(gosip_hdr_kind_of(h), GOSIP_HDR_OTHER);
    assert_null(gosip_hdr_ext(h));
    tu_assert_str(gosip_hdr_value(gosip_msg_hdr_by_name(m, GOSIP_STR("X-Items"))),
                  "red, green,blue");
    gosip_msg_unref(m);
}

static void test_parse_failure(void **state)
{
    fixture *f = *state;
    static const char text[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKx\r\n"
                               "X-Count: many\r\nContent-Length: 0\r\n\r\n";
    gosip_msg *m = parse_with(f, text, sizeof text - 1);
    const gosip_hdr *h = gosip_msg_hdr(m, f->count);
    assert_non_null(h);
    assert_int_equal(gosip_hdr_error(h), GOSIP_ERR_PARSE);
    assert_null(gosip_hdr_ext(h));
    tu_assert_str(gosip_hdr_value(h), "many");
    gosip_parse_error err;
    assert_int_equal(gosip_msg_defect(m, &err), GOSIP_ERR_PARSE);
    assert_int_equal(err.kind, f->count);
    assert_int_equal(err.offset, (size_t)(strstr(text, "many") - text));
    gosip_msg_unref(m);
}

/* gosip_msg_hdr_by_name: "full or compact" names, registered ones included. */
static void test_by_name(void **state)
{
    fixture *f = *state;
    gosip_msg *m = parse_with(f, ext_text, sizeof ext_text - 1);
    const gosip_hdr *first = gosip_msg_hdr(m, f->count);
    const gosip_hdr *by_full = gosip_msg_hdr_by_name(m, GOSIP_STR("X-COUNT"));
    const gosip_hdr *by_compact = gosip_msg_hdr_by_name(m, GOSIP_STR("y"));
    gosip_msg_unref(m);
    assert_ptr_equal(by_full, first);
    assert_ptr_equal(by_compact, first);
}

/* ---------------------------------------------------------------- mutators */

static void test_add_extension(void **state)
{
    fixture *f = *state;
    gosip_msg *m = parse_with(f, ext_text, sizeof ext_text - 1);
    const gosip_hdr *out = NULL;
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("X-Count"), GOSIP_STR("5"), GOSIP_WHERE_TOP, NULL, &out), 0);
    assert_int_equal(gosip_hdr_kind_of(out), f->count);
    assert_int_equal(count_of(out), 5);
    assert_ptr_equal(gosip_msg_hdr(m, f->count), out);
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("Y"), GOSIP_STR("6"), GOSIP_WHERE_APPEND, NULL, &out), 0);
    assert_int_equal(count_of(out), 6);
    assert_int_equal(gosip_msg_hdr_count(m, f->count), 5);
    /* a value its parser refuses is not inserted */
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("X-Count"), GOSIP_STR("x"), GOSIP_WHERE_APPEND, NULL, NULL),
        GOSIP_ERR_PARSE);
    assert_int_equal(gosip_msg_add_hdr(m, GOSIP_STR("X-Items"), GOSIP_STR("a, b"),
                                       GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    assert_int_equal(gosip_msg_hdr_count(m, f->items), 5);
    assert_int_equal(gosip_msg_hdr_count(m, f->count), 5);
    assert_int_equal(
        gosip_msg_set_param(m, gosip_msg_hdr(m, f->count), GOSIP_STR("a"), GOSIP_STR("1"), 0),
        GOSIP_ERR_UNSUPPORTED);
    /* the printed message parses back with the registry into the same values */
    size_t n;
    char *text = tu_print(m, &n);
    gosip_msg *m2 = parse_with(f, text, n);
    tu_assert_msg_equal(m, m2);
    unsigned a = 0, b = 0;
    for (const gosip_hdr *h = gosip_msg_hdr(m, f->count); h; h = gosip_hdr_next_same(h))
        a = a * 100 + count_of(h);
    for (const gosip_hdr *h = gosip_msg_hdr(m2, f->count); h; h = gosip_hdr_next_same(h))
        b = b * 100 + count_of(h);
    assert_int_equal(a, b);
    gosip_msg_unref(m2);
    test_free(text);
    gosip_msg_unref(m);
}

/* copy_hdr into a message parsed with the same registry keeps the typed value. */
static void test_copy_extension(void **state)
{
    fixture *f = *state;
    gosip_msg *src = parse_with(f, ext_text, sizeof ext_text - 1);
    static const char dst_text[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
    gosip_msg *dst = parse_with(f, dst_text, sizeof dst_text - 1);
    const gosip_hdr *out = NULL;
    const gosip_hdr *y = gosip_hdr_next_same(gosip_msg_hdr(src, f->count));
    assert_int_equal(gosip_msg_copy_hdr(dst, y, GOSIP_WHERE_TOP, NULL, &out), 0);
    gosip_msg_unref(src);
    assert_int_equal(gosip_hdr_kind_of(out), f->count);
    assert_int_equal(count_of(out), 7);
    gosip_msg_unref(dst);
}

/* ---------------------------------------------------------------- registration */

static void test_refused_registrations(void **state)
{
    fixture *f = *state;
    gosip_hdr_kind k = GOSIP_HDR_OTHER;
    gosip_hdr_def d = {"Via", NULL, 0, parse_count, NULL, NULL};
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.name = "call-id"; /* built-in, any case */
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.name = "v"; /* a built-in compact form as a full name */
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.name = "X-Count";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.name = "x-COUNT";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.name = "Y"; /* the compact form of X-Count */
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.name = "X-New";
    d.compact = "t"; /* To's compact form */
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.compact = "y";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    d.compact = "x-items";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_EXISTS);
    assert_int_equal(k, GOSIP_HDR_OTHER);
    /* malformed definitions */
    d.compact = NULL;
    d.parse = NULL;
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_INVALID_ARG);
    d.parse = parse_count;
    d.name = "X New";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_INVALID_ARG);
    d.name = "";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_INVALID_ARG);
    d.name = "X-Colon:";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_hdr_registry_add(NULL, &d, &k), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_hdr_registry_add(f->reg, NULL, &k), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(k, GOSIP_HDR_OTHER);
    /* the refused ones left no trace: a fresh name still registers */
    d.name = "X-Fresh";
    assert_int_equal(gosip_hdr_registry_add(f->reg, &d, &k), 0);
    assert_true(k > f->items);
}

/* The registry holds GOSIP_HDR__MAX - GOSIP_HDR__EXT_BASE kinds; then LIMIT. */
static void test_registry_full(void **state)
{
    (void)state;
    gosip_hdr_registry *r = NULL;
    assert_int_equal(gosip_hdr_registry_new(&r, tu_mem_tracked()), 0);
    char name[32];
    gosip_hdr_def d = {name, NULL, 0, parse_count, NULL, NULL};
    gosip_hdr_kind k = GOSIP_HDR_OTHER;
    unsigned cap = GOSIP_HDR__MAX - GOSIP_HDR__EXT_BASE;
    for (unsigned i = 0; i < cap; i++) {
        snprintf(name, sizeof name, "X-Ext-%u", i);
        assert_int_equal(gosip_hdr_registry_add(r, &d, &k), 0);
        assert_int_equal(k, GOSIP_HDR__EXT_BASE + i);
    }
    snprintf(name, sizeof name, "X-Ext-%u", cap);
    assert_int_equal(gosip_hdr_registry_add(r, &d, &k), GOSIP_ERR_LIMIT);
    /* names are copied: changing the caller's buffer changes nothing */
    snprintf(name, sizeof name, "X-Ext-0");
    assert_int_equal(gosip_hdr_registry_add(r, &d, &k), GOSIP_ERR_EXISTS);
    gosip_hdr_registry_free(r);
    gosip_hdr_registry_free(NULL);
}

static void test_registry_nomem(void **state)
{
    (void)state;
    tu_failmem fm;
    tu_failmem_init(&fm, 0);
    gosip_hdr_registry *r = NULL;
    assert_int_equal(gosip_hdr_registry_new(&r, &fm.mem), GOSIP_ERR_NOMEM);
    assert_null(r);
    assert_int_equal(gosip_hdr_registry_new(NULL, NULL), GOSIP_ERR_INVALID_ARG);
}

/* API.md: the library keeps what it needs. A message parsed with a registry may be used
 * after the application frees the registry (the parsers' user_data stays the
 * application's to keep alive: here it is NULL). Last in the list, as an ASan report ends
 * the program. */
static void test_registry_freed_before_message(void **state)
{
    (void)state;
    fixture *f = test_calloc(1, sizeof *f);
    assert_int_equal(gosip_hdr_registry_new(&f->reg, tu_mem_tracked()), 0);
    gosip_hdr_def def = {"X-Count", "y", 0, parse_count, print_count, NULL};
    assert_int_equal(gosip_hdr_registry_add(f->reg, &def, &f->count), 0);
    gosip_msg *m = parse_with(f, ext_text, sizeof ext_text - 1);
    teardown((void **)&f);
    const gosip_hdr *out = NULL;
    assert_int_equal(
        gosip_msg_add_hdr(m, GOSIP_STR("X-Count"), GOSIP_STR("9"), GOSIP_WHERE_APPEND, NULL, &out),
        0);
    assert_int_equal(gosip_msg_hdr_count(m, gosip_hdr_kind_of(out)), 4);
    gosip_msg_unref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typed_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_extension, setup, teardown),
        cmocka_unit_test(test_without_registry),
        cmocka_unit_test_setup_teardown(test_parse_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_registrations, setup, teardown),
        cmocka_unit_test(test_registry_full),
        cmocka_unit_test(test_registry_nomem),
        cmocka_unit_test(test_registry_freed_before_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
