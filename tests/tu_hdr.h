/*
 * The fixture of the typed header parser and printer suites (msg_hdr_*_test.c): each parser
 * is called directly over a private arena; every input is copied into a heap block of
 * exactly its length, so a read past the value trips AddressSanitizer. Helpers parse
 * (ok, bad), print, compare parameters and round-trip a value through its printer.
 */
#ifndef GOSIP_TESTS_TU_HDR_H
#define GOSIP_TESTS_TU_HDR_H

#include "tu_base.h"

#include "msg/msg_internal.h"

typedef struct buf_node {
    struct buf_node *next;
    char data[];
} buf_node;

typedef struct fx {
    gosip_arena arena;
    gosip_msg_limits lim;
    gosip__pctx c;
    buf_node *bufs;
    char out[2048];
} fx;

static inline int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    gosip__arena_init(&f->arena, NULL, NULL, 0);
    f->lim.max_msg_size = GOSIP_DEFAULT_MAX_MSG_SIZE;
    f->lim.max_headers = GOSIP_DEFAULT_MAX_HEADERS;
    f->lim.max_vias = GOSIP_DEFAULT_MAX_VIAS;
    f->lim.max_uri_len = GOSIP_DEFAULT_MAX_URI_LEN;
    f->lim.max_line_len = GOSIP_DEFAULT_MAX_LINE_LEN;
    f->lim.max_params = GOSIP_DEFAULT_MAX_PARAMS;
    f->lim.max_body_depth = GOSIP_DEFAULT_MAX_BODY_DEPTH;
    f->lim.max_body_parts = GOSIP_DEFAULT_MAX_BODY_PARTS;
    f->c.arena = &f->arena;
    f->c.lim = &f->lim;
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fx *f = *state;
    gosip__arena_free(&f->arena);
    while (f->bufs) {
        buf_node *next = f->bufs->next;
        free(f->bufs);
        f->bufs = next;
    }
    free(f);
    return 0;
}

/* A copy of [s, s+n) ending exactly at the end of its heap block (no NUL). */
static inline const char *dup_exact(fx *f, const char *s, size_t n)
{
    buf_node *b = malloc(sizeof *b + n);
    assert_non_null(b);
    memcpy(b->data, s, n);
    b->next = f->bufs;
    f->bufs = b;
    return b->data;
}

static inline int run_n(fx *f, gosip__parse_fn fn, const char *s, size_t n, void **out)
{
    *out = NULL;
    int rc = fn(&f->c, dup_exact(f, s, n), n, out);
    if (rc == 0)
        assert_non_null(*out);
    return rc;
}

static inline int run(fx *f, gosip__parse_fn fn, const char *s, void **out)
{
    return run_n(f, fn, s, strlen(s), out);
}

/* Parses s with fn and returns the value, failing the test on error. */
static inline void *ok(fx *f, gosip__parse_fn fn, const char *s)
{
    void *v;
    int rc = run(f, fn, s, &v);
    if (rc)
        fail_msg("\"%s\" did not parse: %d", s, rc);
    return v;
}

static inline void bad(fx *f, gosip__parse_fn fn, const char *s, int want)
{
    void *v;
    int rc = run(f, fn, s, &v);
    if (rc != want)
        fail_msg("\"%s\": got %d, want %d", s, rc, want);
}

/* bad() with `want` on every input of a table of strings. */
static inline void bad_all(fx *f, gosip__parse_fn fn, const char *const *cases, size_t n, int want)
{
    for (size_t i = 0; i < n; i++)
        bad(f, fn, cases[i], want);
}

#define BAD_ALL(f, fn, cases, want)                                                                \
    bad_all((f), (fn), (cases), sizeof(cases) / sizeof((cases)[0]), (want))

static inline const char *print(fx *f, gosip__print_fn fn, const void *v)
{
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, f->out, sizeof f->out);
    fn(&sb, v);
    assert_true(gosip__sbuf_finish(&sb) < sizeof f->out);
    return f->out;
}

static inline int str_same(gosip_str a, gosip_str b)
{
    return !a.p == !b.p && a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline void assert_str(gosip_str s, const char *want)
{
    if (!want) {
        assert_null(s.p);
        return;
    }
    assert_non_null(s.p);
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
}

static inline int params_same(const gosip_param *a, const gosip_param *b)
{
    for (; a && b; a = a->next, b = b->next)
        if (!str_same(a->name, b->name) || !str_same(a->value, b->value))
            return 0;
    return !a && !b;
}

static inline unsigned count_params(const gosip_param *p)
{
    unsigned n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}

/* Checks the i-th parameter's name and value (value NULL: absent). */
static inline void assert_param(const gosip_param *p, unsigned i, const char *name,
                                const char *value)
{
    for (; p && i; i--)
        p = p->next;
    assert_non_null(p);
    assert_str(p->name, name);
    assert_str(p->value, value);
}

typedef int (*same_fn)(const void *a, const void *b);

/* parse(in) prints as canon, and canon parses back to an equal value. */
static inline void roundtrip(fx *f, gosip__parse_fn parse, gosip__print_fn prt, same_fn same,
                             const char *in, const char *canon)
{
    void *a = ok(f, parse, in);
    const char *text = print(f, prt, a);
    if (strcmp(text, canon) != 0)
        fail_msg("\"%s\" printed as \"%s\", want \"%s\"", in, text, canon);
    void *b = ok(f, parse, text);
    if (!same(a, b))
        fail_msg("\"%s\" does not re-parse to the same value", text);
}

/* The value of the first `name:` header of a test data file, trimmed, folding kept. */
static inline const char *file_header(fx *f, const char *rel, const char *name, size_t *n)
{
    char path[512], *data = malloc(65536);
    assert_non_null(data);
    snprintf(path, sizeof path, "%s/%s", GOSIP_TESTDATA_DIR, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s", path);
    size_t len = fread(data, 1, 65536, fp);
    fclose(fp);
    size_t nl = strlen(name), i = 0;
    while (i < len && !(len - i > nl && memcmp(data + i, name, nl) == 0 && data[i + nl] == ':')) {
        while (i < len && data[i] != '\n')
            i++;
        i++;
    }
    assert_true(i < len);
    size_t v = i + nl + 1, e = v;
    while (e < len &&
           !(data[e] == '\r' && e + 2 < len && data[e + 2] != ' ' && data[e + 2] != '\t'))
        e++;
    while (v < e && (data[v] == ' ' || data[v] == '\t'))
        v++;
    *n = e - v;
    const char *copy = dup_exact(f, data + v, *n);
    free(data);
    return copy;
}

/* A test run with a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif
