/*
 * The transaction matching index (src/txn/index.h) on real message text: RFC 3261 17.1.3
 * and 17.2.3 matching, CANCEL (9.2), merged requests (8.2.2.2), the RFC 2543 fallback,
 * growth to 100,000 entries and allocation failures at every step.
 */
#include "testutil.h"

#include <stdio.h>

#include "txn/index.h"

/* A request; NULL fields take the defaults below, "" removes a tag or the branch. */
typedef struct spec {
    const char *method;
    const char *cseq_method; /* NULL: method */
    const char *branch;      /* NULL: z9hG4bK776asdhds */
    const char *sent_by;     /* NULL: pc33.example.com */
    const char *to_tag;      /* NULL or "": none */
    const char *from_tag;    /* NULL: 1928301774 */
    const char *call_id;     /* NULL: a84b4c76e66710@pc33.example.com */
    const char *ruri;        /* NULL: sip:bob@example.org */
    unsigned cseq;           /* 0: 314159 */
} spec;

static const char *or_(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static size_t format(char *buf, size_t cap, const spec *s)
{
    const char *branch = or_(s->branch, "z9hG4bK776asdhds");
    const char *ftag = or_(s->from_tag, "1928301774");
    const char *ttag = or_(s->to_tag, "");
    int n = snprintf(buf, cap,
                     "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s%s%s\r\nMax-Forwards: 70\r\n"
                     "To: Bob <sip:bob@example.org>%s%s\r\nFrom: Alice "
                     "<sip:alice@example.com>%s%s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
                     "Content-Length: 0\r\n\r\n",
                     s->method, or_(s->ruri, "sip:bob@example.org"),
                     or_(s->sent_by, "pc33.example.com"), *branch ? ";branch=" : "", branch,
                     *ttag ? ";tag=" : "", ttag, *ftag ? ";tag=" : "", ftag,
                     or_(s->call_id, "a84b4c76e66710@pc33.example.com"),
                     s->cseq ? s->cseq : 314159u, or_(s->cseq_method, s->method));
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* Parsed on cmocka's tracked heap: a reference the index forgets to drop is a leak. */
static gosip_msg *mk(spec s)
{
    char buf[1024];
    size_t n = format(buf, sizeof buf, &s);
    gosip_msg *m;
    assert_int_equal(tu_parse(buf, n, GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    assert_int_equal(gosip_msg_defect(m, NULL), 0);
    return m;
}

static gosip_msg *mk_text(const char *text)
{
    gosip_msg *m;
    assert_int_equal(tu_parse(text, strlen(text), GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    return m;
}

static gosip_msg *response(const gosip_msg *req, int status, const char *to_tag)
{
    gosip_msg *r;
    gosip_str tag = to_tag ? gosip_str_from_cstr(to_tag) : GOSIP_STR_NULL;
    assert_int_equal(gosip_msg_new_response(&r, req, status, GOSIP_STR_NULL, tag), 0);
    return r;
}

/* What the index hands to the RFC 2543 ACK rule: the server transaction's last response. */
typedef struct fake_txn {
    const gosip_msg *last;
} fake_txn;

static const gosip_msg *last_response(void *txn)
{
    return ((fake_txn *)txn)->last;
}

static gosip__txn_index *new_index(void)
{
    gosip__txn_index *ix = NULL;
    assert_int_equal(gosip__txn_index_new(&ix, tu_mem_tracked(), 0x5eed, last_response), 0);
    return ix;
}

/* Adds req as a server transaction and drops the caller's reference (the index keeps one). */
static void add_server(gosip__txn_index *ix, gosip_msg *req, void *txn)
{
    assert_int_equal(gosip__txn_index_add_server(ix, req, txn, NULL), 0);
    gosip_msg_unref(req);
}

static void add_client(gosip__txn_index *ix, gosip_msg *req, void *txn)
{
    assert_int_equal(gosip__txn_index_add_client(ix, req, txn, NULL), 0);
    gosip_msg_unref(req);
}

static void *match_server(const gosip__txn_index *ix, spec s)
{
    gosip_msg *m = mk(s);
    void *t = gosip__txn_index_match_server(ix, m);
    gosip_msg_unref(m);
    return t;
}

static void *match_cancel(const gosip__txn_index *ix, spec s)
{
    gosip_msg *m = mk(s);
    void *t = gosip__txn_index_match_cancel(ix, m);
    gosip_msg_unref(m);
    return t;
}

static void *match_merged(const gosip__txn_index *ix, spec s)
{
    gosip_msg *m = mk(s);
    void *t = gosip__txn_index_match_merged(ix, m);
    gosip_msg_unref(m);
    return t;
}

/* ---------------------------------------------------------------- RFC 3261 server */

static void test_server_retransmission(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    fake_txn inv = {NULL};
    add_server(ix, mk((spec){.method = "INVITE"}), &inv);
    assert_int_equal(gosip__txn_index_count(ix), 1);

    assert_ptr_equal(match_server(ix, (spec){.method = "INVITE"}), &inv);
    assert_null(match_server(ix, (spec){.method = "INVITE", .branch = "z9hG4bK776asdhdt"}));
    assert_null(match_server(ix, (spec){.method = "INVITE", .sent_by = "pc34.example.com"}));
    /* a port written out is not the absent one, even when it is the default */
    assert_null(match_server(ix, (spec){.method = "INVITE", .sent_by = "pc33.example.com:5060"}));
    /* the branch is a token and the host a host name: both case-insensitive */
    assert_ptr_equal(match_server(ix, (spec){.method = "INVITE", .branch = "Z9HG4BK776ASDHDS"}),
                     &inv);
    assert_ptr_equal(match_server(ix, (spec){.method = "INVITE", .sent_by = "PC33.Example.COM"}),
                     &inv);
    /* other method, same branch: another transaction */
    assert_null(match_server(ix, (spec){.method = "OPTIONS"}));
    /* the 17.2.3 key leaves the other fields out */
    assert_ptr_equal(
        match_server(ix, (spec){.method = "INVITE", .call_id = "other", .from_tag = "x"}), &inv);
    gosip__txn_index_free(ix);
}

static void test_server_ack_and_cancel(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    fake_txn inv = {NULL}, can = {NULL}, opt = {NULL};
    add_server(ix, mk((spec){.method = "INVITE"}), &inv);

    /* the ACK of a non-2xx final has the INVITE's branch, the To tag of the response */
    assert_ptr_equal(match_server(ix, (spec){.method = "ACK", .to_tag = "a6c85cf"}), &inv);
    assert_null(match_server(ix, (spec){.method = "ACK", .branch = "z9hG4bKack2xx"}));

    spec cancel = {.method = "CANCEL"};
    assert_null(match_server(ix, cancel));
    assert_ptr_equal(match_cancel(ix, cancel), &inv);
    assert_null(match_cancel(ix, (spec){.method = "CANCEL", .branch = "z9hG4bKother"}));

    add_server(ix, mk(cancel), &can);
    assert_ptr_equal(match_server(ix, cancel), &can);
    assert_ptr_equal(match_cancel(ix, cancel), &inv);
    assert_ptr_equal(match_server(ix, (spec){.method = "INVITE"}), &inv);

    /* 9.2: a CANCEL finds a transaction of any method, never a CANCEL's own */
    add_server(ix, mk((spec){.method = "OPTIONS", .branch = "z9hG4bKopt"}), &opt);
    spec cancel_opt = {.method = "CANCEL", .branch = "z9hG4bKopt"};
    assert_ptr_equal(match_cancel(ix, cancel_opt), &opt);
    fake_txn can_opt = {NULL};
    add_server(ix, mk(cancel_opt), &can_opt);
    assert_ptr_equal(match_cancel(ix, cancel_opt), &opt);
    assert_ptr_equal(match_server(ix, cancel_opt), &can_opt);
    assert_ptr_equal(match_server(ix, (spec){.method = "OPTIONS", .branch = "z9hG4bKopt"}), &opt);
    /* a CANCEL whose transaction is gone does not match its own */
    fake_txn lone = {NULL};
    spec cancel_gone = {.method = "CANCEL", .branch = "z9hG4bKgone"};
    add_server(ix, mk(cancel_gone), &lone);
    assert_null(match_cancel(ix, cancel_gone));
    assert_int_equal(gosip__txn_index_count(ix), 5);
    gosip__txn_index_free(ix);
}

/* A branch reused for other methods: a CANCEL still finds the INVITE first, and no more
 * than GOSIP__TXN_MAX_PER_KEY transactions share one key (the method is left out of it). */
static void test_branch_reused_across_methods(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    fake_txn info = {NULL}, inv = {NULL};
    add_server(ix, mk((spec){.method = "INFO", .branch = "z9hG4bKreused"}), &info);
    add_server(ix, mk((spec){.method = "INVITE", .branch = "z9hG4bKreused"}), &inv);
    assert_ptr_equal(match_cancel(ix, (spec){.method = "CANCEL", .branch = "z9hG4bKreused"}), &inv);

    fake_txn many[GOSIP__TXN_MAX_PER_KEY + 1] = {{NULL}};
    char names[GOSIP__TXN_MAX_PER_KEY + 1][8];
    for (unsigned i = 0; i <= GOSIP__TXN_MAX_PER_KEY; i++) {
        snprintf(names[i], sizeof names[i], "M%u", i);
        gosip_msg *m = mk((spec){.method = names[i], .branch = "z9hG4bKflood"});
        int rc = gosip__txn_index_add_server(ix, m, &many[i], NULL);
        assert_int_equal(rc, i < GOSIP__TXN_MAX_PER_KEY ? 0 : GOSIP_ERR_LIMIT);
        gosip_msg_unref(m);
    }
    assert_int_equal(gosip__txn_index_count(ix), 2 + GOSIP__TXN_MAX_PER_KEY);
    assert_ptr_equal(match_server(ix, (spec){.method = "M3", .branch = "z9hG4bKflood"}), &many[3]);
    /* another branch is not held back */
    fake_txn other = {NULL};
    add_server(ix, mk((spec){.method = "M0", .branch = "z9hG4bKother"}), &other);
    gosip__txn_index_free(ix);
}

static void test_extension_method(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    fake_txn foo = {NULL}, bar = {NULL};
    add_server(ix, mk((spec){.method = "FOO"}), &foo);
    add_server(ix, mk((spec){.method = "BAR"}), &bar);
    assert_ptr_equal(match_server(ix, (spec){.method = "FOO"}), &foo);
    assert_ptr_equal(match_server(ix, (spec){.method = "BAR"}), &bar);
    /* methods are case-sensitive */
    assert_null(match_server(ix, (spec){.method = "foo"}));
    assert_null(match_server(ix, (spec){.method = "BAZ"}));
    gosip__txn_index_free(ix);
}

/* ---------------------------------------------------------------- merged requests */

static void test_merged(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    fake_txn a = {NULL}, b = {NULL};
    add_server(ix, mk((spec){.method = "INVITE", .branch = "z9hG4bKpath1"}), &a);

    /* the same request forked along another path */
    spec other = {.method = "INVITE", .branch = "z9hG4bKpath2", .sent_by = "proxy.example.net"};
    assert_null(match_server(ix, other));
    assert_ptr_equal(match_merged(ix, other), &a);
    /* a retransmission of the first is found as itself */
    assert_ptr_equal(match_merged(ix, (spec){.method = "INVITE", .branch = "z9hG4bKpath1"}), &a);

    /* a To tag, another CSeq, Call-ID or From tag: not merged */
    assert_null(match_merged(ix, (spec){.method = "INVITE", .branch = "z9hG4bKp3", .to_tag = "t"}));
    assert_null(match_merged(ix, (spec){.method = "INVITE", .branch = "z9hG4bKp3", .cseq = 1}));
    assert_null(
        match_merged(ix, (spec){.method = "INVITE", .branch = "z9hG4bKp3", .call_id = "c2"}));
    assert_null(
        match_merged(ix, (spec){.method = "INVITE", .branch = "z9hG4bKp3", .from_tag = "f2"}));
    assert_null(match_merged(ix, (spec){.method = "OPTIONS", .branch = "z9hG4bKp3"}));
    assert_null(match_merged(ix, (spec){.method = "ACK", .branch = "z9hG4bKp3"}));

    /* the stack answers the merged copy with a 482 from its own transaction: each copy
     * keeps matching its own transaction, a third copy still counts as merged */
    add_server(ix, mk(other), &b);
    assert_ptr_equal(match_merged(ix, other), &b);
    assert_ptr_equal(match_server(ix, other), &b);
    void *third = match_merged(ix, (spec){.method = "INVITE", .branch = "z9hG4bKpath3"});
    assert_true(third == &a || third == &b);

    /* a request with a To tag is not indexed as a merge candidate */
    fake_txn c = {NULL};
    add_server(ix, mk((spec){.method = "BYE", .branch = "z9hG4bKbye", .to_tag = "t1"}), &c);
    assert_null(match_merged(ix, (spec){.method = "BYE", .branch = "z9hG4bKbye2"}));
    gosip__txn_index_free(ix);
}

/* ---------------------------------------------------------------- RFC 2543 */

static void legacy_case(const char *branch)
{
    gosip__txn_index *ix = new_index();
    fake_txn inv = {NULL}, opt = {NULL};
    gosip_msg *req = mk((spec){.method = "INVITE", .branch = branch});
    add_server(ix, gosip_msg_ref(req), &inv);
    assert_ptr_equal(match_server(ix, (spec){.method = "INVITE", .branch = branch}), &inv);
    assert_ptr_equal(match_cancel(ix, (spec){.method = "CANCEL", .branch = branch}), &inv);
    assert_null(match_server(ix, (spec){.method = "CANCEL", .branch = branch}));

    /* no response yet: an ACK has nothing to match */
    assert_null(match_server(ix, (spec){.method = "ACK", .branch = branch, .to_tag = "srv1"}));
    gosip_msg *resp = response(req, 486, "srv1");
    inv.last = resp;
    assert_ptr_equal(match_server(ix, (spec){.method = "ACK", .branch = branch, .to_tag = "srv1"}),
                     &inv);
    assert_null(match_server(ix, (spec){.method = "ACK", .branch = branch, .to_tag = "srv2"}));
    assert_null(match_server(ix, (spec){.method = "ACK", .branch = branch}));

    /* each field of the key counts */
    assert_null(match_server(ix, (spec){.method = "INVITE", .branch = branch, .to_tag = "x"}));
    assert_null(match_server(ix, (spec){.method = "INVITE", .branch = branch, .from_tag = "x"}));
    assert_null(match_server(ix, (spec){.method = "INVITE", .branch = branch, .call_id = "x"}));
    assert_null(match_server(ix, (spec){.method = "INVITE", .branch = branch, .cseq = 7}));
    assert_null(match_server(
        ix, (spec){.method = "INVITE", .branch = branch, .ruri = "sip:carol@example.org"}));
    assert_null(match_server(
        ix, (spec){.method = "INVITE", .branch = branch, .sent_by = "pc33.example.com:5060"}));
    assert_null(match_server(ix, (spec){.method = "ACK",
                                        .branch = branch,
                                        .to_tag = "srv1",
                                        .ruri = "sip:carol@example.org"}));
    /* the Request-URI compares by 19.1.4 */
    assert_ptr_equal(
        match_server(ix,
                     (spec){.method = "INVITE", .branch = branch, .ruri = "sip:bob@EXAMPLE.org"}),
        &inv);

    /* other methods: retransmissions by the whole key, CSeq method included */
    add_server(ix, mk((spec){.method = "OPTIONS", .branch = branch, .to_tag = "o1"}), &opt);
    assert_ptr_equal(
        match_server(ix, (spec){.method = "OPTIONS", .branch = branch, .to_tag = "o1"}), &opt);
    assert_null(match_server(ix, (spec){.method = "OPTIONS", .branch = branch}));
    /* and a CANCEL of it, by the same key with the method left out (9.2) */
    assert_ptr_equal(match_cancel(ix, (spec){.method = "CANCEL", .branch = branch, .to_tag = "o1"}),
                     &opt);
    assert_int_equal(gosip__txn_index_add_server(ix, req, &inv, NULL), GOSIP_ERR_EXISTS);
    gosip__txn_index_free(ix);
    gosip_msg_unref(resp);
    gosip_msg_unref(req);
}

static void test_rfc2543_no_branch(void **state)
{
    (void)state;
    legacy_case("");
}

static void test_rfc2543_old_branch(void **state)
{
    (void)state;
    legacy_case("7d4c1f.0");
}

/* A Via with more parameters than the INVITE's is another Via (20.42). */
static void test_rfc2543_via_params(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    fake_txn inv = {NULL};
    add_server(ix, mk((spec){.method = "INVITE", .branch = "", .sent_by = "h.example.com;x=1"}),
               &inv);
    assert_ptr_equal(
        match_server(ix, (spec){.method = "INVITE", .branch = "", .sent_by = "H.example.com;X=1"}),
        &inv);
    assert_null(
        match_server(ix, (spec){.method = "INVITE", .branch = "", .sent_by = "h.example.com;x=2"}));
    assert_null(match_server(
        ix, (spec){.method = "INVITE", .branch = "", .sent_by = "h.example.com;x=1;y"}));
    assert_null(
        match_server(ix, (spec){.method = "INVITE", .branch = "", .sent_by = "h.example.com"}));
    gosip__txn_index_free(ix);
}

/* ---------------------------------------------------------------- client */

static void *match_response(const gosip__txn_index *ix, const gosip_msg *req, int status)
{
    gosip_msg *r = response(req, status, "tt");
    void *t = gosip__txn_index_match_client(ix, r);
    gosip_msg_unref(r);
    return t;
}

static void test_client(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    int inv_t, can_t, foo_t;
    gosip_msg *inv = mk((spec){.method = "INVITE", .branch = "z9hG4bKcli1"});
    gosip_msg *can;
    assert_int_equal(gosip_msg_new_cancel(&can, inv), 0);
    gosip_msg *foo = mk((spec){.method = "FOO", .branch = "z9hG4bKcli1"});
    add_client(ix, gosip_msg_ref(inv), &inv_t);
    add_client(ix, gosip_msg_ref(can), &can_t);
    add_client(ix, gosip_msg_ref(foo), &foo_t);
    assert_int_equal(gosip__txn_index_count(ix), 3);

    assert_ptr_equal(match_response(ix, inv, 180), &inv_t);
    assert_ptr_equal(match_response(ix, inv, 486), &inv_t);
    assert_ptr_equal(match_response(ix, can, 200), &can_t);
    assert_ptr_equal(match_response(ix, foo, 200), &foo_t);
    /* a client transaction never answers a server lookup, and the other way round */
    assert_null(gosip__txn_index_match_server(ix, inv));

    gosip_msg *other = mk((spec){.method = "INVITE", .branch = "z9hG4bKcli2"});
    gosip_msg *nobranch = mk((spec){.method = "INVITE", .branch = ""});
    assert_null(match_response(ix, other, 200));
    assert_null(match_response(ix, nobranch, 200));
    assert_null(gosip__txn_index_match_client(ix, inv)); /* a request */

    gosip_str b = GOSIP_STR("z9hG4bKcli1");
    assert_ptr_equal(gosip__txn_index_find_client(ix, b, GOSIP_STR("INVITE")), &inv_t);
    assert_ptr_equal(
        gosip__txn_index_find_client(ix, GOSIP_STR("Z9HG4BKCLI1"), GOSIP_STR("CANCEL")), &can_t);
    assert_ptr_equal(gosip__txn_index_find_client(ix, b, GOSIP_STR("FOO")), &foo_t);
    assert_null(gosip__txn_index_find_client(ix, b, GOSIP_STR("foo")));
    assert_null(gosip__txn_index_find_client(ix, b, GOSIP_STR("BYE")));
    assert_null(gosip__txn_index_find_client(ix, GOSIP_STR_NULL, GOSIP_STR("INVITE")));

    assert_int_equal(gosip__txn_index_add_client(ix, inv, &inv_t, NULL), GOSIP_ERR_EXISTS);
    assert_int_equal(gosip__txn_index_add_client(ix, nobranch, &inv_t, NULL),
                     GOSIP_ERR_INVALID_ARG);
    gosip_msg_unref(other);
    gosip_msg_unref(nobranch);
    gosip_msg_unref(inv);
    gosip_msg_unref(can);
    gosip_msg_unref(foo);
    gosip__txn_index_free(ix);
}

/* ---------------------------------------------------------------- errors and removal */

static void test_errors(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    int t;
    gosip_msg *req = mk((spec){.method = "INVITE"});
    gosip_msg *again = mk((spec){.method = "INVITE"});
    assert_int_equal(gosip__txn_index_add_server(ix, req, &t, NULL), 0);
    assert_int_equal(gosip__txn_index_add_server(ix, req, &t, NULL), GOSIP_ERR_EXISTS);
    assert_int_equal(gosip__txn_index_add_server(ix, again, &t, NULL), GOSIP_ERR_EXISTS);

    gosip_msg *ack = mk((spec){.method = "ACK", .branch = "z9hG4bKnew"});
    assert_int_equal(gosip__txn_index_add_server(ix, ack, &t, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__txn_index_add_client(ix, ack, &t, NULL), GOSIP_ERR_INVALID_ARG);
    gosip_msg *novia =
        mk_text("OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_TO TU_L_FROM TU_L_CALLID
                "CSeq: 1 OPTIONS\r\n" TU_L_END);
    gosip_msg *nocallid =
        mk_text("OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM
                "CSeq: 1 OPTIONS\r\n" TU_L_END);
    gosip_msg *nocseq = mk_text(
        "OPTIONS sip:bob@example.org SIP/2.0\r\n" TU_L_VIA TU_L_TO TU_L_FROM TU_L_CALLID TU_L_END);
    assert_int_equal(gosip__txn_index_add_server(ix, novia, &t, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__txn_index_add_server(ix, nocallid, &t, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__txn_index_add_server(ix, nocseq, &t, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__txn_index_add_client(ix, novia, &t, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip__txn_index_add_client(ix, nocseq, &t, NULL), GOSIP_ERR_INVALID_ARG);
    assert_null(gosip__txn_index_match_server(ix, novia));
    assert_null(gosip__txn_index_match_merged(ix, novia));
    assert_null(gosip__txn_index_match_client(ix, novia));
    assert_int_equal(gosip__txn_index_count(ix), 1);

    gosip_msg *msgs[] = {req, again, ack, novia, nocallid, nocseq};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        gosip_msg_unref(msgs[i]);
    assert_int_equal(gosip__txn_index_new(NULL, NULL, 0, NULL), GOSIP_ERR_INVALID_ARG);
    gosip__txn_index_free(ix);
    gosip__txn_index_free(NULL);
}

static void test_remove(void **state)
{
    (void)state;
    gosip__txn_index *ix = new_index();
    int s, c;
    gosip_msg *req = mk((spec){.method = "INVITE"});
    gosip__txn_entry *se, *ce;
    assert_int_equal(gosip__txn_index_add_server(ix, req, &s, &se), 0);
    assert_int_equal(gosip__txn_index_add_client(ix, req, &c, &ce), 0);
    assert_int_equal(gosip__txn_index_count(ix), 2);
    assert_ptr_equal(gosip__txn_index_match_server(ix, req), &s);

    gosip__txn_index_remove(ix, se);
    assert_null(gosip__txn_index_match_server(ix, req));
    assert_null(gosip__txn_index_match_merged(ix, req));
    assert_ptr_equal(match_response(ix, req, 200), &c);
    gosip__txn_index_remove(ix, ce);
    assert_null(match_response(ix, req, 200));
    assert_int_equal(gosip__txn_index_count(ix), 0);
    gosip__txn_index_remove(ix, NULL);

    /* the slot is free again */
    assert_int_equal(gosip__txn_index_add_server(ix, req, &s, NULL), 0);
    assert_ptr_equal(gosip__txn_index_match_server(ix, req), &s);
    gosip_msg_unref(req);
    gosip__txn_index_free(ix);
}

/* ---------------------------------------------------------------- growth */

#define BIG 100000

/* One message per transaction: distinct branches and Call-IDs; odd ones keep no To tag,
 * so that the merged-request table grows too; one in four is an RFC 2543 request. */
static gosip_msg *big_msg(unsigned i)
{
    char branch[32], cid[32], buf[1024];
    snprintf(branch, sizeof branch, i % 4 == 3 ? "old%u" : "z9hG4bK%u", i);
    snprintf(cid, sizeof cid, "c%u@example.com", i);
    spec s = {.method = i % 3 ? "INVITE" : "MESSAGE",
              .branch = branch,
              .call_id = cid,
              .to_tag = i % 2 ? "" : "tt"};
    size_t n = format(buf, sizeof buf, &s);
    gosip_parse_error err;
    gosip_msg *m = tu_parse_datagram(buf, n, &err);
    assert_non_null(m);
    return m;
}

static void test_growth(void **state)
{
    (void)state;
    gosip__txn_index *ix = NULL;
    assert_int_equal(gosip__txn_index_new(&ix, NULL, 42, last_response), 0);
    gosip_msg **m = malloc(BIG * sizeof *m);
    gosip__txn_entry **e = malloc(BIG * sizeof *e);
    assert_non_null(m);
    assert_non_null(e);
    for (unsigned i = 0; i < BIG; i++) {
        m[i] = big_msg(i);
        assert_int_equal(gosip__txn_index_add_server(ix, m[i], &m[i], &e[i]), 0);
    }
    assert_int_equal(gosip__txn_index_count(ix), BIG);
    for (unsigned i = 0; i < BIG; i++) {
        assert_ptr_equal(gosip__txn_index_match_server(ix, m[i]), &m[i]);
        if (i % 2)
            assert_ptr_equal(gosip__txn_index_match_merged(ix, m[i]), &m[i]);
    }
    /* remove every other one: the rest still match, through the shrinking too */
    for (unsigned i = 0; i < BIG; i += 2)
        gosip__txn_index_remove(ix, e[i]);
    for (unsigned i = 0; i < BIG; i++)
        assert_ptr_equal(gosip__txn_index_match_server(ix, m[i]), i % 2 ? (void *)&m[i] : NULL);
    for (unsigned i = 1; i < BIG; i += 2)
        gosip__txn_index_remove(ix, e[i]);
    assert_int_equal(gosip__txn_index_count(ix), 0);
    for (unsigned i = 0; i < BIG; i++)
        gosip_msg_unref(m[i]);
    free(m);
    free(e);
    gosip__txn_index_free(ix);
}

/* ---------------------------------------------------------------- allocation failures */

#define NF 150 /* past the first growth of both tables */

static gosip_msg *nf_msg(unsigned i)
{
    char branch[32], cid[32];
    snprintf(branch, sizeof branch, "z9hG4bKnf%u", i);
    snprintf(cid, sizeof cid, "nf%u", i);
    return mk((spec){.method = "INVITE", .branch = branch, .call_id = cid});
}

/* Adds msgs in turn (even: server, odd: client) until one fails; returns how many took. */
static unsigned nf_fill(gosip__txn_index *ix, gosip_msg **msgs, gosip__txn_entry **ents)
{
    for (unsigned i = 0; i < NF; i++) {
        int rc = i % 2 ? gosip__txn_index_add_client(ix, msgs[i], msgs[i], &ents[i])
                       : gosip__txn_index_add_server(ix, msgs[i], msgs[i], &ents[i]);
        if (rc) {
            assert_int_equal(rc, GOSIP_ERR_NOMEM);
            return i;
        }
    }
    return NF;
}

static void *nf_lookup(const gosip__txn_index *ix, gosip_msg *m, unsigned i)
{
    if (i % 2 == 0)
        return gosip__txn_index_match_server(ix, m);
    gosip_str b = gosip_msg_via(m)->branch;
    return gosip__txn_index_find_client(ix, b, GOSIP_STR("INVITE"));
}

static void nf_check(const gosip__txn_index *ix, gosip_msg **msgs, unsigned added)
{
    assert_int_equal(gosip__txn_index_count(ix), added);
    for (unsigned i = 0; i < NF; i++)
        assert_ptr_equal(nf_lookup(ix, msgs[i], i), i < added ? (void *)msgs[i] : NULL);
}

static void test_nomem(void **state)
{
    (void)state;
    gosip_msg *msgs[NF];
    gosip__txn_entry *ents[NF];
    for (unsigned i = 0; i < NF; i++)
        msgs[i] = nf_msg(i);
    unsigned failures = 0;
    for (long n = 0;; n++) {
        tu_failmem fm;
        tu_failmem_init(&fm, n);
        gosip__txn_index *ix = NULL;
        int rc = gosip__txn_index_new(&ix, &fm.mem, 7, last_response);
        if (rc) {
            assert_int_equal(rc, GOSIP_ERR_NOMEM);
            assert_null(ix);
            failures++;
            continue;
        }
        unsigned added = nf_fill(ix, msgs, ents);
        nf_check(ix, msgs, added);
        /* removal needs no memory: a shrink that fails keeps the larger table */
        for (unsigned i = 0; i < added; i += 2)
            gosip__txn_index_remove(ix, ents[i]);
        for (unsigned i = 0; i < NF; i++)
            assert_ptr_equal(nf_lookup(ix, msgs[i], i),
                             i < added && i % 2 ? (void *)msgs[i] : NULL);
        gosip__txn_index_free(ix);
        if (added == NF)
            break;
        failures++;
    }
    /* the index itself, each entry, and the first buckets and growths of both tables */
    assert_true(failures > NF);
    for (unsigned i = 0; i < NF; i++)
        gosip_msg_unref(msgs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_retransmission),
        cmocka_unit_test(test_server_ack_and_cancel),
        cmocka_unit_test(test_branch_reused_across_methods),
        cmocka_unit_test(test_extension_method),
        cmocka_unit_test(test_merged),
        cmocka_unit_test(test_rfc2543_no_branch),
        cmocka_unit_test(test_rfc2543_old_branch),
        cmocka_unit_test(test_rfc2543_via_params),
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_nomem),
    };
    return cmocka_run_group_tests_name("txn_index", tests, NULL, NULL);
}
