/*
 * Shared helpers for the cmocka unit tests, first half: what does not depend on the message
 * layer. Reading test data files, listing a directory in a stable order, one cmocka test
 * per data file, gosip_mem allocators that detect leaks (cmocka's tracked heap) or fail on
 * purpose, gosip_str assertions and a growable text buffer. The message helpers are in
 * tu_msg.h; testutil.h includes both.
 *
 * Header-only on purpose: every helper is static inline, so a test that uses none
 * of them pays nothing and no test depends on a support library being built.
 */
#ifndef GOSIP_TESTS_TU_BASE_H
#define GOSIP_TESTS_TU_BASE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosip/base.h>

#ifndef GOSIP_TESTDATA_DIR
#error "GOSIP_TESTDATA_DIR must be defined (absolute path of shared/testdata)"
#endif

/* "<testdata>/<sub>" as a string literal, e.g. TU_DATA("rfc4475"). */
#define TU_DATA(sub) GOSIP_TESTDATA_DIR "/" sub

/* ---------------------------------------------------------------- files */

/*
 * Reads a whole file into malloc'd memory. One NUL is appended after the data for
 * the convenience of string functions in tests; it is not part of *len, and code
 * under test must never be given it. Returns 0, or -1 (with a message on stderr).
 */
static inline int tu_read_file(const char *path, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "tu_read_file: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int failed = !buf || ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        fprintf(stderr, "tu_read_file: cannot read %s\n", path);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

/* Joins dir and name into malloc'd memory (NULL when out of memory). */
static inline char *tu_path_join(const char *dir, const char *name)
{
    size_t dn = strlen(dir), nn = strlen(name);
    char *p = malloc(dn + 1 + nn + 1);
    if (p) {
        memcpy(p, dir, dn);
        p[dn] = '/';
        memcpy(p + dn + 1, name, nn + 1);
    }
    return p;
}

/* Reads dir/name (see tu_read_file). */
static inline int tu_read_data(const char *dir, const char *name, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    char *path = tu_path_join(dir, name);
    int rc = path ? tu_read_file(path, data, len) : -1;
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- directories */

/* A sorted list of file names. */
typedef struct tu_names {
    char **names;
    size_t n;
} tu_names;

static inline int tu__cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* strdup is POSIX, not C11: the tests build with extensions off. */
static inline char *tu__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

static inline int tu__has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = suffix ? strlen(suffix) : 0;
    return n >= s && memcmp(name + n - s, suffix ? suffix : "", s) == 0;
}

static inline void tu_names_free(tu_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

/*
 * Lists the entries of dir whose name ends in suffix (NULL or "" for all), skipping
 * names that start with '.', sorted by strcmp so that runs are reproducible whatever
 * order the file system returns. Returns 0 or -1.
 */
static inline int tu_list_dir(const char *dir, const char *suffix, tu_names *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "tu_list_dir: cannot open %s\n", dir);
        return -1;
    }
    tu_names l = {NULL, 0};
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !tu__has_suffix(e->d_name, suffix))
            continue;
        if (l.n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **grown = realloc(l.names, ncap * sizeof *grown);
            if (!grown) {
                rc = -1;
                break;
            }
            l.names = grown;
            cap = ncap;
        }
        l.names[l.n] = tu__strdup(e->d_name);
        if (!l.names[l.n])
            rc = -1;
        else
            l.n++;
    }
    closedir(d);
    if (rc != 0) {
        tu_names_free(&l);
        return -1;
    }
    if (l.n > 1)
        qsort(l.names, l.n, sizeof *l.names, tu__cmp_names);
    *out = l;
    return 0;
}

/* Nonzero when name is in the list. */
static inline int tu_names_has(const tu_names *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return 1;
    return 0;
}

/* A predicate on file names: nonzero keeps the name. */
typedef int (*tu_keep_fn)(const char *name);

/* Keeps only the names keep accepts (all of them when keep is NULL), in their order. */
static inline void tu_names_keep(tu_names *l, tu_keep_fn keep)
{
    if (!keep)
        return;
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (keep(l->names[i]))
            l->names[n++] = l->names[i];
        else
            free(l->names[i]);
    }
    l->n = n;
}

/*
 * Asserts that dir holds `total` files ending in suffix, among them every name of a table
 * of n rows `stride` bytes apart, the first name at `first`: a lost test data file must not
 * go unnoticed. TU_ASSERT_DIR_HOLDS takes the table and the member holding the name.
 */
static inline void tu_assert_dir_holds(const char *dir, const char *suffix, size_t total,
                                       const char *const *first, size_t n, size_t stride)
{
    tu_names files = {NULL, 0};
    assert_int_equal(tu_list_dir(dir, suffix, &files), 0);
    for (size_t i = 0; i < n; i++) {
        const void *row = (const char *)first + i * stride;
        const char *name = *(const char *const *)row;
        if (!tu_names_has(&files, name))
            print_error("missing: %s\n", name);
        assert_true(tu_names_has(&files, name));
    }
    assert_int_equal(files.n, total);
    tu_names_free(&files);
}

#define TU_ASSERT_DIR_HOLDS(dir, suffix, total, table, n, member)                                  \
    tu_assert_dir_holds((dir), (suffix), (total), &(table)[0].member, (n), sizeof(table)[0])

/* ---------------------------------------------------------------- one test per file */

/* The state a per-file test receives in *state. */
typedef struct tu_case {
    const char *dir;
    const char *name;
} tu_case;

/* The case of a per-file test (its *state), its file read into *data (free it). */
static inline const tu_case *tu_case_read(void **state, char **data, size_t *len)
{
    const tu_case *c = *state;
    assert_int_equal(tu_read_data(c->dir, c->name, data, len), 0);
    return c;
}

/* One cmocka group: one test per file of a directory, each named after its file. */
typedef struct tu_group {
    tu_names files;
    tu_case *cases;
    struct CMUnitTest *tests;
    size_t n;
} tu_group;

static inline void tu_group_free(tu_group *g)
{
    tu_names_free(&g->files);
    free(g->cases);
    free(g->tests);
    memset(g, 0, sizeof *g);
}

/*
 * Builds a group running fn on every file of dir ending in suffix that keep accepts (keep
 * NULL: every file). Returns 0 or -1.
 */
static inline int tu_group_from_dir_if(tu_group *g, const char *dir, const char *suffix,
                                       tu_keep_fn keep, CMUnitTestFunction fn)
{
    memset(g, 0, sizeof *g);
    if (tu_list_dir(dir, suffix, &g->files) != 0)
        return -1;
    tu_names_keep(&g->files, keep);
    g->n = g->files.n;
    g->cases = calloc(g->n ? g->n : 1, sizeof *g->cases);
    g->tests = calloc(g->n ? g->n : 1, sizeof *g->tests);
    if (!g->cases || !g->tests) {
        tu_group_free(g);
        return -1;
    }
    for (size_t i = 0; i < g->n; i++) {
        g->cases[i].dir = dir;
        g->cases[i].name = g->files.names[i];
        g->tests[i].name = g->files.names[i];
        g->tests[i].test_func = fn;
        g->tests[i].initial_state = &g->cases[i];
    }
    return 0;
}

/* Builds a group running fn on every file of dir ending in suffix. Returns 0 or -1. */
static inline int tu_group_from_dir(tu_group *g, const char *dir, const char *suffix,
                                    CMUnitTestFunction fn)
{
    return tu_group_from_dir_if(g, dir, suffix, NULL, fn);
}

/* Runs a group built by tu_group_from_dir; returns the number of failed tests (or 1). */
static inline int tu_group_run(const char *group_name, const tu_group *g)
{
    if (g->n == 0) {
        fprintf(stderr, "%s: no test data found\n", group_name);
        return 1;
    }
    return _cmocka_run_group_tests(group_name, g->tests, g->n, NULL, NULL);
}

/*
 * Builds, runs and frees a per-file group of the files keep accepts (NULL: all). Returns the
 * number of failures (1 on setup error).
 */
static inline int tu_run_dir_if(const char *group_name, const char *dir, const char *suffix,
                                tu_keep_fn keep, CMUnitTestFunction fn)
{
    tu_group g;
    if (tu_group_from_dir_if(&g, dir, suffix, keep, fn) != 0)
        return 1;
    int failed = tu_group_run(group_name, &g);
    tu_group_free(&g);
    return failed;
}

/* Builds, runs and frees a per-file group. Returns the number of failures (1 on setup error). */
static inline int tu_run_dir(const char *group_name, const char *dir, const char *suffix,
                             CMUnitTestFunction fn)
{
    return tu_run_dir_if(group_name, dir, suffix, NULL, fn);
}

/* ---------------------------------------------------------------- allocators */

/*
 * cmocka's tracked heap as a gosip_mem: every block the library takes during a test
 * and does not give back is reported as a leak when that test ends.
 */
static inline void *tu__cm_malloc(size_t n, void *ud)
{
    (void)ud;
    return test_malloc(n);
}

static inline void *tu__cm_calloc(size_t nmemb, size_t n, void *ud)
{
    (void)ud;
    return test_calloc(nmemb, n);
}

static inline void *tu__cm_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return test_realloc(p, n);
}

static inline void tu__cm_free(void *p, void *ud)
{
    (void)ud;
    test_free(p);
}

static inline const gosip_mem *tu_mem_tracked(void)
{
    static const gosip_mem mem = {NULL, tu__cm_malloc, tu__cm_calloc, tu__cm_realloc, tu__cm_free};
    return &mem;
}

/*
 * An allocator that fails the allocation numbered fail_at (0-based; -1 never) and
 * every later one, on top of cmocka's tracked heap, so that a test can walk through
 * every allocation of an operation and check it unwinds cleanly without leaks.
 */
typedef struct tu_failmem {
    gosip_mem mem;
    long fail_at;
    long calls;  /* allocation attempts so far */
    long failed; /* allocations refused so far */
} tu_failmem;

static inline int tu__fm_refuse(tu_failmem *fm)
{
    long n = fm->calls++;
    if (fm->fail_at >= 0 && n >= fm->fail_at) {
        fm->failed++;
        return 1;
    }
    return 0;
}

static inline void *tu__fm_malloc(size_t n, void *ud)
{
    return tu__fm_refuse(ud) ? NULL : test_malloc(n);
}

static inline void *tu__fm_calloc(size_t nmemb, size_t n, void *ud)
{
    return tu__fm_refuse(ud) ? NULL : test_calloc(nmemb, n);
}

static inline void *tu__fm_realloc(void *p, size_t n, void *ud)
{
    return tu__fm_refuse(ud) ? NULL : test_realloc(p, n);
}

static inline void tu__fm_free(void *p, void *ud)
{
    (void)ud;
    test_free(p);
}

static inline void tu_failmem_init(tu_failmem *fm, long fail_at)
{
    fm->mem.user_data = fm;
    fm->mem.malloc = tu__fm_malloc;
    fm->mem.calloc = tu__fm_calloc;
    fm->mem.realloc = tu__fm_realloc;
    fm->mem.free = tu__fm_free;
    fm->fail_at = fail_at;
    fm->calls = 0;
    fm->failed = 0;
}

/* ---------------------------------------------------------------- strings */

/* Nonzero when s holds exactly the NUL-terminated text lit. */
static inline int tu_str_is(gosip_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.p != NULL && s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Nonzero when a and b are both absent, or both present with the same bytes. */
static inline int tu_str_same(gosip_str a, gosip_str b)
{
    if (!a.p || !b.p)
        return !a.p && !b.p;
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Asserts that a gosip_str holds exactly lit, printing both on failure. */
#define tu_assert_str(s, lit)                                                                      \
    do {                                                                                           \
        gosip_str tu__s = (s);                                                                     \
        if (!tu_str_is(tu__s, (lit))) {                                                            \
            print_error("expected \"%s\", got %s\"%.*s\"\n", (lit), tu__s.p ? "" : "(absent) ",    \
                        (int)tu__s.n, tu__s.p ? tu__s.p : "");                                     \
            fail_msg("%s != \"%s\"", #s, (lit));                                                   \
        }                                                                                          \
    } while (0)

/* Asserts that two gosip_str are the same (both absent, or equal bytes). */
#define tu_assert_same(a, b)                                                                       \
    do {                                                                                           \
        gosip_str tu__a = (a), tu__b = (b);                                                        \
        if (!tu_str_same(tu__a, tu__b)) {                                                          \
            print_error("\"%.*s\" vs \"%.*s\"\n", (int)(tu__a.p ? tu__a.n : 8),                    \
                        tu__a.p ? tu__a.p : "(absent)", (int)(tu__b.p ? tu__b.n : 8),              \
                        tu__b.p ? tu__b.p : "(absent)");                                           \
            fail_msg("%s differs from %s", #a, #b);                                                \
        }                                                                                          \
    } while (0)

/* ---------------------------------------------------------------- text buffer */

/* A growable text buffer, NUL-terminated after its n octets (malloc'd: tu_buf_free it). */
typedef struct tu_buf {
    char *p;
    size_t n, cap;
} tu_buf;

static inline void tu_buf_reserve(tu_buf *b, size_t more)
{
    if (b->n + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1)
        cap *= 2;
    b->p = realloc(b->p, cap);
    assert_non_null(b->p);
    b->cap = cap;
}

/* Appends n octets. */
static inline void tu_buf_add(tu_buf *b, const char *s, size_t n)
{
    tu_buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Appends a NUL-terminated string. */
static inline void tu_buf_adds(tu_buf *b, const char *s)
{
    tu_buf_add(b, s, strlen(s));
}

/* Appends count copies of ch. */
static inline void tu_buf_fill(tu_buf *b, char ch, size_t count)
{
    tu_buf_reserve(b, count);
    memset(b->p + b->n, ch, count);
    b->n += count;
    b->p[b->n] = '\0';
}

/* Appends printf-style text of fewer than 256 octets. */
static inline void tu_buf_fmt(tu_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof tmp);
    tu_buf_add(b, tmp, (size_t)n);
}

/* Frees the text; the buffer is empty again and may be reused. */
static inline void tu_buf_free(tu_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* head followed by `fill` up to exactly n octets, NUL-terminated (malloc'd: free it). */
static inline char *tu_padded(const char *head, char fill, size_t n)
{
    size_t h = strlen(head);
    assert_true(n > h);
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, head, h);
    memset(s + h, fill, n - h);
    s[n] = '\0';
    return s;
}

#endif
