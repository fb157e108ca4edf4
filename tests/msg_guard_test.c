/*
 * Guard-page and allocation-failure tests of the parser on every stored message:
 * RFC 4475, RFC 5118 (wire and LF-only archive), RFC 3665 and PJSIP's fuzz seeds.
 *
 * Guard pages (picohttpparser's test.c): each message, and each of its prefixes, is
 * copied flush against a PROT_NONE page and parsed with both framings, so that a read
 * one octet past the end (or before the start) of the caller's buffer faults at once
 * instead of passing unnoticed. The framer, the sipfrag parser and the verdict for parse
 * errors, which also read the caller's bytes, get the same treatment.
 *
 * Allocation failures (API.md section 12): each message is parsed again with the n-th
 * allocation refused, for every n until the parse succeeds; each attempt must fail with
 * GOSIP_ERR_NOMEM and leave nothing allocated (cmocka's heap checks that per test).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "testutil.h"

#include <sys/mman.h>
#include <unistd.h>

/* The largest message the tests place; bigger files are a test data error. */
#define MAX_MSG (64 * 1024)

/* Readable pages between two PROT_NONE pages. */
typedef struct guard {
    char *map;
    size_t map_size;
    size_t page;
    char *lo; /* first readable octet */
    char *hi; /* one past the last readable octet */
} guard;

static void guard_open(guard *g, size_t capacity)
{
    long ps = sysconf(_SC_PAGESIZE);
    assert_true(ps > 0);
    g->page = (size_t)ps;
    size_t pages = (capacity + g->page - 1) / g->page;
    g->map_size = (pages + 2) * g->page;
    g->map = mmap(NULL, g->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    g->lo = g->map + g->page;
    g->hi = g->lo + pages * g->page;
    assert_int_equal(mprotect(g->map, g->page, PROT_NONE), 0);
    assert_int_equal(mprotect(g->hi, g->page, PROT_NONE), 0);
}

static void guard_close(guard *g)
{
    munmap(g->map, g->map_size);
}

/* Copies n octets so that the last one is the last octet before the upper guard. */
static const char *at_end(const guard *g, const char *data, size_t n)
{
    char *dst = g->hi - n;
    memcpy(dst, data, n);
    return dst;
}

/* Copies n octets so that the first one is the first octet after the lower guard. */
static const char *at_start(const guard *g, const char *data, size_t n)
{
    memcpy(g->lo, data, n);
    return g->lo;
}

/* Uses a parsed message the way a receiver would: everything reads m's own copy. */
static void exercise(gosip_msg *m)
{
    char buf[256];
    size_t n = gosip_msg_print(m, buf, sizeof buf);
    if (n >= sizeof buf) {
        char *big = malloc(n + 1);
        assert_non_null(big);
        assert_int_equal(gosip_msg_print(m, big, n + 1), n);
        free(big);
    }
    gosip_parse_error e;
    gosip_msg_defect(m, &e);
    gosip_verdict v;
    assert_int_equal(gosip_msg_validate(m, GOSIP_ROLE_UAS, NULL, &v), 0);
    assert_int_equal(gosip_msg_validate(m, GOSIP_ROLE_PROXY, NULL, &v), 0);
    gosip_msg_unref(m);
}

/* Parses p[0..n) with one framing; a refused parse gets its verdict from the same bytes. */
static void parse_one(const char *p, size_t n, gosip_framing fr)
{
    gosip_msg *m;
    gosip_parse_error err;
    memset(&err, 0, sizeof err);
    if (tu_parse(p, n, fr, &m, &err) == 0) {
        exercise(m);
        return;
    }
    gosip_verdict v;
    assert_int_equal(gosip_parse_error_verdict(p, n, &err, &v), 0);
    assert_true(v.status == -1 || (v.status >= 400 && v.status <= 699));
}

static void frame_one(const char *p, size_t n, const gosip_msg_limits *lim)
{
    gosip_framer f;
    memset(&f, 0, sizeof f);
    size_t skip = 0, len = 0;
    int rc = gosip_framer_next(&f, p, n, lim, &skip, &len);
    assert_true(rc == 0 || rc == 1 || rc == GOSIP_ERR_FRAMING || rc == GOSIP_ERR_TOO_LARGE);
    if (rc == 1)
        assert_true(skip + len <= n);
}

static void sipfrag_one(const char *p, size_t n)
{
    gosip_parse_opts o;
    memset(&o, 0, sizeof o);
    o.mem = tu_mem_tracked();
    gosip_msg *m = NULL;
    if (gosip_sipfrag_parse(&m, p, n, &o) == 0)
        gosip_msg_unref(m);
}

/*
 * Every prefix of the message, flush against the upper guard: datagram and stream
 * parse, a fresh framer, and one framer fed the growing prefixes as a stream would.
 */
static void guard_prefixes(const guard *g, const char *data, size_t len)
{
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    gosip_framer inc;
    memset(&inc, 0, sizeof inc);
    int inc_done = 0;
    for (size_t n = 0; n <= len; n++) {
        const char *p = at_end(g, data, n);
        parse_one(p, n, GOSIP_FRAMING_DATAGRAM);
        parse_one(p, n, GOSIP_FRAMING_STREAM);
        frame_one(p, n, &lim);
        if (!inc_done) {
            size_t skip = 0, mlen = 0;
            int rc = gosip_framer_next(&inc, p, n, &lim, &skip, &mlen);
            inc_done = rc != 0;
            assert_true(rc != 1 || skip + mlen <= n);
        }
    }
}

static void test_guard(void **state)
{
    const tu_case *c = *state;
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tu_read_data(c->dir, c->name, &data, &len), 0);
    assert_true(len <= MAX_MSG);
    guard g;
    guard_open(&g, len ? len : 1);
    guard_prefixes(&g, data, len);
    const char *p = at_end(&g, data, len);
    sipfrag_one(p, len);
    p = at_start(&g, data, len);
    parse_one(p, len, GOSIP_FRAMING_DATAGRAM);
    parse_one(p, len, GOSIP_FRAMING_STREAM);
    sipfrag_one(p, len);
    guard_close(&g);
    free(data);
}

/* ---------------------------------------------------------------- allocation failures */

/* Parses with the n-th allocation refused, for n = 0, 1, ... until it succeeds. */
static void nomem_sweep(const char *data, size_t len, gosip_framing fr)
{
    gosip_msg *m;
    int want = tu_parse(data, len, fr, &m, NULL);
    gosip_msg_unref(m);
    for (long n = 0;; n++) {
        assert_true(n < 10000);
        tu_failmem fm;
        tu_failmem_init(&fm, n);
        int rc = tu_parse_mem(data, len, fr, &fm.mem, &m, NULL);
        if (fm.failed == 0) {
            /* no allocation was refused: the outcome is the unconstrained one */
            assert_int_equal(rc, want);
            gosip_msg_unref(m);
            return;
        }
        if (rc == 0) {
            print_error("allocation %ld refused, yet the parse returned a message\n", n);
            fail();
        }
        assert_int_equal(rc, GOSIP_ERR_NOMEM);
    }
}

static void test_nomem(void **state)
{
    const tu_case *c = *state;
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tu_read_data(c->dir, c->name, &data, &len), 0);
    nomem_sweep(data, len, GOSIP_FRAMING_DATAGRAM);
    nomem_sweep(data, len, GOSIP_FRAMING_STREAM);
    free(data);
}

/* ---------------------------------------------------------------- the corpora */

static const struct corpus {
    const char *group;
    const char *dir;
    const char *suffix;
} corpora[] = {
    {"rfc4475", TU_DATA("rfc4475"), ".dat"},
    {"rfc5118_wire", TU_DATA("rfc5118/wire"), ".sip"},
    {"rfc5118_archive", TU_DATA("rfc5118/archive"), NULL},
    {"rfc3665", TU_DATA("rfc3665"), ".sip"},
    {"pjsip_fuzz_sip", TU_DATA("pjsip-fuzz-seeds/fuzz-sip"), NULL},
    {"pjsip_fuzz_sip_dialog", TU_DATA("pjsip-fuzz-seeds/fuzz-sip-dialog"), NULL},
};

int main(void)
{
    int failed = 0;
    for (size_t i = 0; i < sizeof corpora / sizeof corpora[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "guard_%s", corpora[i].group);
        failed += tu_run_dir(name, corpora[i].dir, corpora[i].suffix, test_guard);
        snprintf(name, sizeof name, "nomem_%s", corpora[i].group);
        failed += tu_run_dir(name, corpora[i].dir, corpora[i].suffix, test_nomem);
    }
    return failed;
}
