/*
 * RFC 4475 torture messages (testdata/rfc4475): the verdict table and what the four suites
 * built on it share. Each file of the directory is one test of exactly one suite:
 *
 *   msg_rfc4475_valid_test.c      well-formed messages of section 3.1.1 ("Valid Messages")
 *   msg_rfc4475_semantics_test.c  well-formed messages of sections 3.2 to 3.4 (transaction and
 *                                 application-layer semantics, backward compatibility)
 *   msg_rfc4475_invalid_test.c    the rest: malformed, semantically wrong, liberal readings,
 *                                 and any file the table does not name ("must not break")
 *   msg_rfc4475_roles_test.c      verdicts that depend on the role, stream framing
 *
 * The table gives each file the verdict of RFC 4475 (paraphrased in testdata/README.md) and
 * its section; where the RFC calls out field values, the suite running the file has a check
 * function for them (its file_check table).
 */
#ifndef GOSIP_TESTS_TU_RFC4475_H
#define GOSIP_TESTS_TU_RFC4475_H

#include "testutil.h"

#define DIR_4475 TU_DATA("rfc4475")

typedef enum verdict {
    V_VALID,    /* well-formed: clean parse, exact print, fields, UAS verdict in acc */
    V_INVALID,  /* malformed: parse fails or records a defect; answer in rej (-1: drop) */
    V_SEMANTIC, /* well-formed syntax, wrong content: the UAS verdict is in rej */
    V_LIBERAL,  /* may be rejected (rej) or accepted with the interpretation `check` asserts */
    V_NONE      /* no verdict: must not break */
} verdict;

typedef void (*check_fn)(const gosip_msg *m, const char *data, size_t len);

typedef struct expect {
    const char *file;
    const char *section; /* of RFC 4475 ("-": none) */
    verdict v;
    int nrej, rej[2];       /* statuses rejecting it: parse error, defect and UAS verdicts */
    int nacc, acc[2];       /* UAS verdicts of an accepted message */
    unsigned trailing : 1;  /* octets past Content-Length the printer may drop */
    unsigned ignorable : 1; /* the defect is in a header a receiver may ignore */
} expect;

/* The field checks of one file, in the table of the suite that runs it. */
typedef struct file_check {
    const char *file;
    check_fn fn;
} file_check;

/* ---------------------------------------------------------------- the verdict table */

#define REJ(...)                                                                                   \
    (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)),                                             \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define NONE                                                                                       \
    0,                                                                                             \
    {                                                                                              \
        0                                                                                          \
    }

/* The verdict of every file; *n gets the number of rows. */
static inline const expect *rfc4475_table(size_t *n)
{
    static const expect expects[] = {
        {"badaspec.dat", "3.1.2.14", V_LIBERAL, REJ(400), REJ(0), 0, 0},
        {"badbranch.dat", "3.2.1", V_VALID, NONE, REJ(400), 0, 0},
        {"baddate.dat", "3.1.2.12", V_LIBERAL, REJ(400), REJ(0), 0, 1},
        {"baddn.dat", "3.1.2.15", V_INVALID, REJ(400), NONE, 0, 0},
        {"badinv01.dat", "3.1.2.1", V_INVALID, REJ(400), NONE, 0, 0},
        {"badvers.dat", "3.1.2.16", V_INVALID, REJ(505), NONE, 0, 0},
        {"bcast.dat", "3.3.10", V_VALID, NONE, REJ(-1), 0, 0}, /* a UAC drops 2 Vias */
        {"bext01.dat", "3.3.5", V_VALID, NONE, REJ(420), 0, 0},
        {"bigcode.dat", "3.1.2.19", V_INVALID, REJ(-1), NONE, 0, 0},
        {"clerr.dat", "3.1.2.2", V_INVALID, REJ(400), NONE, 0, 0},
        {"cparam01.dat", "3.3.12", V_VALID, NONE, REJ(0), 0, 0},
        {"cparam02.dat", "3.3.13", V_VALID, NONE, REJ(0), 0, 0},
        {"dblreq.dat", "3.1.1.8", V_VALID, NONE, REJ(0), 1, 0},
        {"esc01.dat", "3.1.1.3", V_VALID, NONE, REJ(0), 0, 0},
        {"esc02.dat", "3.1.1.5", V_VALID, NONE, REJ(501), 0, 0},
        {"escnull.dat", "3.1.1.4", V_VALID, NONE, REJ(0), 0, 0},
        {"escruri.dat", "3.1.2.11", V_LIBERAL, REJ(400), REJ(0, 400), 0, 0},
        {"insuf.dat", "3.3.1", V_SEMANTIC, REJ(400), NONE, 0, 0},
        {"intmeth.dat", "3.1.1.2", V_VALID, NONE, REJ(501), 0, 0},
        {"inv2543.dat", "3.4.1", V_VALID, NONE, REJ(0), 0, 0},
        {"invut.dat", "3.3.6", V_VALID, NONE, REJ(0), 0, 0},
        {"longreq.dat", "3.1.1.7", V_VALID, NONE, REJ(0), 0, 0},
        {"ltgtruri.dat", "3.1.2.7", V_INVALID, REJ(400), NONE, 0, 0},
        {"lwsdisp.dat", "3.1.1.6", V_VALID, NONE, REJ(0), 0, 0},
        {"lwsruri.dat", "3.1.2.8", V_INVALID, REJ(400), NONE, 0, 0},
        {"lwsstart.dat", "3.1.2.9", V_LIBERAL, REJ(400), REJ(0), 0, 0},
        {"mcl01.dat", "3.3.9", V_INVALID, REJ(400), NONE, 1, 0}, /* which length frames it? */
        {"mismatch01.dat", "3.1.2.17", V_SEMANTIC, REJ(400), NONE, 0, 0},
        {"mismatch02.dat", "3.1.2.18", V_SEMANTIC, REJ(501, 400), NONE, 0, 0},
        {"mpart01.dat", "3.1.1.11", V_VALID, NONE, REJ(0), 0, 0},
        {"multi01.dat", "3.3.8", V_SEMANTIC, REJ(400), NONE, 0, 0},
        {"ncl.dat", "3.1.2.3", V_INVALID, REJ(400), NONE, 0, 0},
        {"noreason.dat", "3.1.1.13", V_VALID, NONE, REJ(0), 0, 0},
        {"novelsc.dat", "3.3.3", V_VALID, NONE, REJ(416), 0, 0},
        {"quotbal.dat", "3.1.2.6", V_INVALID, REJ(400), NONE, 0, 0},
        {"regaut01.dat", "3.3.7", V_VALID, NONE, REJ(0), 0, 0},
        {"regbadct.dat", "3.1.2.13", V_LIBERAL, REJ(400), REJ(0), 0, 0},
        {"regescrt.dat", "3.3.14", V_VALID, NONE, REJ(0), 0, 0},
        {"scalar02.dat", "3.1.2.4", V_INVALID, REJ(400), NONE, 0, 0},
        {"scalarlg.dat", "3.1.2.5", V_INVALID, REJ(-1), NONE, 0, 0},
        {"sdp01.dat", "3.3.15", V_VALID, NONE, REJ(0), 0, 0}, /* 406 needs opts: see below */
        {"semiuri.dat", "3.1.1.9", V_VALID, NONE, REJ(0), 0, 0},
        {"test.dat", "-", V_NONE, NONE, NONE, 0, 0},
        {"transports.dat", "3.1.1.10", V_VALID, NONE, REJ(0), 0, 0},
        {"trws.dat", "3.1.2.10", V_LIBERAL, REJ(400), REJ(0), 0, 0},
        {"unkscm.dat", "3.3.2", V_VALID, NONE, REJ(416), 0, 0},
        {"unksm2.dat", "3.3.4", V_VALID, NONE, REJ(0), 0, 0},
        {"unreason.dat", "3.1.1.12", V_VALID, NONE, REJ(0), 0, 0},
        {"wsinv.dat", "3.1.1.1", V_VALID, NONE, REJ(0), 0, 0},
        {"zeromf.dat", "3.3.11", V_VALID, NONE, REJ(0), 0, 0},
    };
    *n = sizeof expects / sizeof expects[0];
    return expects;
}

#undef REJ
#undef NONE

/* The row of a file, NULL when the table does not name it. */
static inline const expect *find_expect(const char *file)
{
    size_t n;
    const expect *t = rfc4475_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].file, file) == 0)
            return &t[i];
    return NULL;
}

/* The check of a file in a suite's table, NULL when there is none. */
static inline check_fn find_check(const file_check *checks, size_t n, const char *file)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(checks[i].file, file) == 0)
            return checks[i].fn;
    return NULL;
}

/* The files of each suite (tu_keep_fn): every file is in exactly one of the three. */
static inline int rfc4475_is_valid(const char *file)
{
    const expect *e = find_expect(file);
    return e && e->v == V_VALID;
}

static inline int rfc4475_valid_message(const char *file)
{
    return rfc4475_is_valid(file) && strncmp(find_expect(file)->section, "3.1.1.", 6) == 0;
}

static inline int rfc4475_valid_semantics(const char *file)
{
    return rfc4475_is_valid(file) && !rfc4475_valid_message(file);
}

static inline int rfc4475_not_valid(const char *file)
{
    return !rfc4475_is_valid(file);
}

/* ---------------------------------------------------------------- small helpers */

static inline int in_set(int v, int n, const int *set)
{
    for (int i = 0; i < n; i++)
        if (set[i] == v)
            return 1;
    return 0;
}

static inline void assert_status_in(const char *what, int v, int n, const int *set)
{
    if (in_set(v, n, set))
        return;
    print_error("%s is %d; expected one of:", what, v);
    for (int i = 0; i < n; i++)
        print_error(" %d", set[i]);
    print_error("\n");
    fail();
}

static inline size_t param_count(const gosip_param *p)
{
    size_t n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}

static inline const gosip_param *param_at(const gosip_param *p, size_t i)
{
    while (p && i--)
        p = p->next;
    assert_non_null(p);
    return p;
}

/* A parameter with this exact name and value (value NULL: a flag without '='). */
static inline void assert_param(const gosip_param *p, const char *name, const char *value)
{
    tu_assert_str(p->name, name);
    if (value)
        tu_assert_str(p->value, value);
    else
        assert_null(p->value.p);
}

/* Offset just past the first empty line, or len when there is none. */
static inline size_t header_end(const char *data, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(data + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return len;
}

/* Asserts the message body is the last n octets of the file. */
static inline void assert_body_tail(const gosip_msg *m, const char *data, size_t len, size_t n)
{
    gosip_str b = gosip_msg_body(m);
    assert_int_equal(b.n, n);
    assert_true(n <= len);
    if (n)
        assert_memory_equal(b.p, data + len - n, n);
}

static inline void print_defect(const char *what, int code, const gosip_parse_error *e)
{
    const char *kind = gosip_hdr_kind_name(e->kind);
    print_error("%s: %s, status %d, offset %zu, header %s: %s\n", what, gosip_err_name(code),
                e->status, e->offset, kind ? kind : "-", e->reason ? e->reason : "");
}

static inline void assert_clean(const gosip_msg *m)
{
    gosip_parse_error e;
    memset(&e, 0, sizeof e);
    int d = gosip_msg_defect(m, &e);
    if (d != 0) {
        print_defect("unexpected defect", d, &e);
        fail();
    }
}

/* ---------------------------------------------------------------- running one file */

/*
 * A rejected request must still be answerable (RFC 3261 8.2.6): the error response the
 * verdict calls for copies whatever core headers of the request did parse.
 */
static inline void assert_answerable(const gosip_msg *m, const gosip_verdict *v)
{
    gosip_msg *r;
    assert_int_equal(gosip_msg_new_error_response(&r, m, v, NULL, GOSIP_STR("rsp1")), 0);
    assert_int_equal(gosip_msg_status(r), v->status);
    if (gosip_msg_call_id(m).p)
        tu_assert_same(gosip_msg_call_id(r), gosip_msg_call_id(m));
    if (gosip_msg_via(m)) {
        assert_non_null(gosip_msg_via(r));
        tu_assert_same(gosip_msg_via(r)->branch, gosip_msg_via(m)->branch);
        tu_assert_same(gosip_msg_via(r)->host, gosip_msg_via(m)->host);
    }
    if (gosip_msg_cseq(m)) {
        assert_non_null(gosip_msg_cseq(r));
        assert_int_equal(gosip_msg_cseq(r)->seq, gosip_msg_cseq(m)->seq);
    }
    if (gosip_msg_from(m))
        tu_assert_same(gosip_msg_from(r)->tag, gosip_msg_from(m)->tag);
    size_t n;
    char *text = tu_print(r, &n);
    assert_true(n > 12 && memcmp(text, "SIP/2.0 ", 8) == 0);
    test_free(text);
    gosip_msg_unref(r);
}

/* A well-formed message: clean parse, exact print, its fields, UAS verdict, framing, edit. */
static inline void run_valid(const expect *e, check_fn check, const char *data, size_t len)
{
    gosip_msg *m;
    gosip_parse_error err;
    memset(&err, 0, sizeof err);
    int rc = tu_parse(data, len, GOSIP_FRAMING_DATAGRAM, &m, &err);
    if (rc != 0) {
        print_defect("parse failed", rc, &err);
        fail();
    }
    assert_clean(m);
    size_t msg_len = e->trailing ? header_end(data, len) : len;
    tu_assert_prints_as(m, data, msg_len);
    check(m, data, len);
    gosip_verdict v;
    assert_status_in("UAS verdict", tu_verdict(m, GOSIP_ROLE_UAS, NULL, &v), e->nacc, e->acc);
    if (gosip_msg_is_request(m) && v.status >= 300)
        assert_answerable(m, &v);
    tu_assert_framed(m, data, len, msg_len);
    gosip_msg_unref(m);
    tu_roundtrip_modified(data, len);
}

/* The per-file test of a suite of well-formed messages, whose field checks are checks[n]. */
static inline void rfc4475_test_valid(void **state, const file_check *checks, size_t n)
{
    char *data;
    size_t len;
    const tu_case *c = tu_case_read(state, &data, &len);
    const expect *e = find_expect(c->name);
    check_fn check = find_check(checks, n, c->name);
    assert_non_null(e);
    if (!check)
        print_error("no field check for %s\n", c->name);
    assert_non_null(check);
    run_valid(e, check, data, len);
    free(data);
}

#endif
