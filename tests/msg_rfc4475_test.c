/*
 * RFC 4475 torture messages against the parser, the printer and request validation.
 *
 * Every file of testdata/rfc4475 is one test. The table below gives each file the
 * verdict of RFC 4475 (paraphrased in testdata/README.md) and, where the RFC calls
 * out field values, a function checking them. A file missing from the table is run
 * with the "must not break" policy, so new torture messages are picked up.
 */
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
    verdict v;
    int nrej, rej[2]; /* statuses rejecting it: parse error, defect and UAS verdicts */
    int nacc, acc[2]; /* UAS verdicts of an accepted message */
    check_fn check;
    unsigned trailing : 1;  /* octets past Content-Length the printer may drop */
    unsigned ignorable : 1; /* the defect is in a header a receiver may ignore */
} expect;

/* ---------------------------------------------------------------- small helpers */

static int in_set(int v, int n, const int *set)
{
    for (int i = 0; i < n; i++)
        if (set[i] == v)
            return 1;
    return 0;
}

static void assert_status_in(const char *what, int v, int n, const int *set)
{
    if (in_set(v, n, set))
        return;
    print_error("%s is %d; expected one of:", what, v);
    for (int i = 0; i < n; i++)
        print_error(" %d", set[i]);
    print_error("\n");
    fail();
}

/* Exact bytes, for values holding NULs or UTF-8. */
static void assert_bytes_n(gosip_str s, const char *p, size_t n)
{
    assert_non_null(s.p);
    assert_int_equal(s.n, n);
    assert_memory_equal(s.p, p, n);
}
#define assert_bytes(s, lit) assert_bytes_n((s), (lit), sizeof(lit) - 1)

/* The value after one %HH decoding pass. */
static void assert_unescaped_n(gosip_str s, const char *p, size_t n)
{
    assert_non_null(s.p);
    char buf[512];
    assert_true(s.n <= sizeof buf);
    gosip_ssize got = gosip_str_unescape(s, buf, sizeof buf);
    assert_int_equal(got, (gosip_ssize)n);
    assert_memory_equal(buf, p, n);
}
#define assert_unescaped(s, lit) assert_unescaped_n((s), (lit), sizeof(lit) - 1)

static size_t param_count(const gosip_param *p)
{
    size_t n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}

static const gosip_param *param_at(const gosip_param *p, size_t i)
{
    while (p && i--)
        p = p->next;
    assert_non_null(p);
    return p;
}

/* A parameter with this exact name and value (value NULL: a flag without '='). */
static void assert_param(const gosip_param *p, const char *name, const char *value)
{
    tu_assert_str(p->name, name);
    if (value)
        tu_assert_str(p->value, value);
    else
        assert_null(p->value.p);
}

static void assert_sip_uri(const gosip_uri *u, const char *user, const char *host, int port)
{
    assert_non_null(u);
    assert_int_equal(u->scheme, GOSIP_URI_SIP);
    if (user)
        tu_assert_str(u->user, user);
    else
        assert_null(u->user.p);
    tu_assert_str(u->host, host);
    assert_int_equal(u->port, port);
}

static const gosip_hdr *hdr_named(const gosip_msg *m, const char *name)
{
    const gosip_hdr *h = gosip_msg_hdr_by_name(m, gosip_str_from_cstr(name));
    assert_non_null(h);
    return h;
}

/* Offset just past the first empty line, or len when there is none. */
static size_t header_end(const char *data, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(data + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return len;
}

/* Asserts the message body is the last n octets of the file. */
static void assert_body_tail(const gosip_msg *m, const char *data, size_t len, size_t n)
{
    gosip_str b = gosip_msg_body(m);
    assert_int_equal(b.n, n);
    assert_true(n <= len);
    if (n)
        assert_memory_equal(b.p, data + len - n, n);
}

static int verdict_of(const gosip_msg *m, gosip_role role, const gosip_validate_opts *opts,
                      gosip_verdict *out)
{
    gosip_validate_opts dflt;
    gosip_verdict v;
    memset(&dflt, 0, sizeof dflt);
    memset(&v, 0, sizeof v);
    assert_int_equal(gosip_msg_validate(m, role, opts ? opts : &dflt, &v), 0);
    if (out)
        *out = v;
    return v.status;
}

static void print_defect(const char *what, int code, const gosip_parse_error *e)
{
    const char *kind = gosip_hdr_kind_name(e->kind);
    print_error("%s: %s, status %d, offset %zu, header %s: %s\n", what, gosip_err_name(code),
                e->status, e->offset, kind ? kind : "-", e->reason ? e->reason : "");
}

static void assert_clean(const gosip_msg *m)
{
    gosip_parse_error e;
    memset(&e, 0, sizeof e);
    int d = gosip_msg_defect(m, &e);
    if (d != 0) {
        print_defect("unexpected defect", d, &e);
        fail();
    }
}

/* Prints m and checks the text is exactly the first n octets of the input. */
static void assert_prints_as(const gosip_msg *m, const char *data, size_t n)
{
    size_t plen;
    char *text = tu_print(m, &plen);
    if (plen != n || memcmp(text, data, n) != 0) {
        size_t i = 0;
        while (i < plen && i < n && text[i] == data[i])
            i++;
        print_error("printed %zu octets, expected %zu; first difference at %zu\n", plen, n, i);
        fail();
    }
    test_free(text);
}

/* The printer of a rejected message must not invent octets: its text is a prefix of the input. */
static void assert_prints_prefix(const gosip_msg *m, const char *data, size_t len)
{
    size_t plen;
    char *text = tu_print(m, &plen);
    assert_true(plen <= len);
    assert_memory_equal(text, data, plen);
    test_free(text);
}

/* ---------------------------------------------------------------- valid messages */

static void check_wsinv_start(const gosip_msg *m)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_INVITE);
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_sip_uri(ru, "vivekg", "chair-dnrc.example.com", -1);
    assert_int_equal(param_count(ru->params), 1);
    assert_param(ru->params, "unknownparam", NULL);

    const gosip_hdr *to = gosip_msg_hdr(m, GOSIP_HDR_TO);
    tu_assert_str(gosip_hdr_name(to), "TO");
    tu_assert_str(gosip_hdr_value(to),
                  "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
    tu_assert_str(gosip_msg_to(m)->tag, "1918181833n");
    assert_sip_uri(gosip_msg_to(m)->uri, "vivekg", "chair-dnrc.example.com", -1);

    const gosip_nameaddr *from = gosip_msg_from(m);
    assert_non_null(from);
    tu_assert_str(from->display, "\"J Rosenberg \\\\\\\"\"");
    tu_assert_str(from->tag, "98asjd8");
    assert_sip_uri(from->uri, "jdrosen", "example.com", -1);

    tu_assert_str(gosip_hdr_value(gosip_msg_hdr(m, GOSIP_HDR_MAX_FORWARDS)), "0068");
    assert_int_equal(gosip_msg_max_forwards(m), 68);
    tu_assert_str(gosip_msg_call_id(m), "wsinv.ndaksdj@192.0.2.1");
    assert_int_equal(gosip_msg_cseq(m)->seq, 9);
    assert_int_equal(gosip_msg_cseq(m)->method, GOSIP_METHOD_INVITE);
    tu_assert_str(gosip_msg_cseq(m)->method_name, "INVITE");
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))->value, 150);
}

static void check_wsinv_vias(const gosip_msg *m)
{
    static const char *const values[] = {
        "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw",
        "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
        "SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239",
    };
    static const char *const tp[] = {"UDP", "TCP", "UDP"};
    static const char *const host[] = {"192.0.2.2", "spindle.example.com", "192.168.255.111"};
    static const char *const br[] = {"390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"};
    static const gosip_host_type ht[] = {GOSIP_HOST_IPV4, GOSIP_HOST_NAME, GOSIP_HOST_IPV4};

    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 3);
    for (size_t i = 0; i < 3; i++) {
        const gosip_hdr *h = tu_hdr_kind_nth(m, GOSIP_HDR_VIA, i);
        tu_assert_str(gosip_hdr_value(h), values[i]);
        const gosip_via *v = gosip_hdr_via(h);
        assert_non_null(v);
        tu_assert_str(v->protocol, "SIP");
        tu_assert_str(v->version, "2.0");
        tu_assert_str(v->transport, tp[i]);
        tu_assert_str(v->host, host[i]);
        assert_int_equal(v->host_type, ht[i]);
        assert_int_equal(v->port, -1);
        tu_assert_str(v->branch, br[i]);
    }
    /* the two values of the `v:` line share its name */
    tu_assert_str(gosip_hdr_name(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 2)), "v");
}

static void check_wsinv_others(const gosip_msg *m)
{
    const gosip_hdr *subj = gosip_msg_hdr(m, GOSIP_HDR_SUBJECT);
    assert_non_null(subj);
    tu_assert_str(gosip_hdr_name(subj), "s");
    tu_assert_str(gosip_hdr_value(subj), "");

    const gosip_hdr *nf = hdr_named(m, "NewFangledHeader");
    assert_int_equal(gosip_hdr_kind_of(nf), GOSIP_HDR_OTHER);
    tu_assert_str(gosip_hdr_value(nf), "newfangled value\r\n continued newfangled value");

    /* kept whole, not split at its commas: a proxy forwards it unchanged */
    const gosip_hdr *odd = hdr_named(m, "UnknownHeaderWithUnusualValue");
    assert_int_equal(gosip_hdr_kind_of(odd), GOSIP_HDR_OTHER);
    tu_assert_str(gosip_hdr_value(odd), ";;,,;;,;");
    assert_null(gosip_hdr_next_same(odd));

    const gosip_nameaddr *route = gosip_hdr_nameaddr(gosip_msg_hdr(m, GOSIP_HDR_ROUTE));
    assert_non_null(route);
    assert_sip_uri(route->uri, NULL, "services.example.com", -1);
    assert_int_equal(param_count(route->uri->params), 3);
    assert_param(param_at(route->uri->params, 0), "lr", NULL);
    assert_param(param_at(route->uri->params, 1), "unknownwith", "value");
    assert_param(param_at(route->uri->params, 2), "unknown-no-value", NULL);

    const gosip_nameaddr *ct = gosip_msg_contact(m);
    assert_non_null(ct);
    tu_assert_str(gosip_hdr_name(gosip_msg_hdr(m, GOSIP_HDR_CONTACT)), "m");
    tu_assert_str(ct->display, "\"Quoted string \\\"\\\"\"");
    assert_sip_uri(ct->uri, "jdrosen", "example.com", -1);
    assert_int_equal(param_count(ct->params), 3);
    assert_param(param_at(ct->params, 0), "newparam", "newvalue");
    assert_param(param_at(ct->params, 1), "secondparam", NULL);
    assert_param(param_at(ct->params, 2), "q", "0.33");

    const gosip_media *ctype = gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE));
    assert_non_null(ctype);
    tu_assert_str(ctype->type, "application");
    tu_assert_str(ctype->subtype, "sdp");
}

static void check_wsinv(const gosip_msg *m, const char *data, size_t len)
{
    static const gosip_hdr_kind order[] = {
        GOSIP_HDR_TO,
        GOSIP_HDR_FROM,
        GOSIP_HDR_MAX_FORWARDS,
        GOSIP_HDR_CALL_ID,
        GOSIP_HDR_CONTENT_LENGTH,
        GOSIP_HDR_CSEQ,
        GOSIP_HDR_VIA,
        GOSIP_HDR_SUBJECT,
        GOSIP_HDR_OTHER,
        GOSIP_HDR_OTHER,
        GOSIP_HDR_CONTENT_TYPE,
        GOSIP_HDR_ROUTE,
        GOSIP_HDR_VIA,
        GOSIP_HDR_VIA,
        GOSIP_HDR_CONTACT,
    };
    assert_int_equal(tu_hdr_total(m), sizeof order / sizeof order[0]);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        assert_int_equal(gosip_hdr_kind_of(tu_hdr_nth(m, i)), order[i]);
    check_wsinv_start(m);
    check_wsinv_vias(m);
    check_wsinv_others(m);
    assert_body_tail(m, data, len, 150);
}

#define INTMETH_METHOD "!interesting-Method0123456789_*+`.%indeed'~"
#define INTMETH_USER "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"

static void check_intmeth_start(const gosip_msg *m)
{
    /* '%' is a token character here, not an escape: the method is unknown */
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_UNKNOWN);
    tu_assert_str(gosip_msg_method_name(m), INTMETH_METHOD);
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_sip_uri(ru, INTMETH_USER, "example.com", -1);
    tu_assert_str(ru->password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert_null(ru->params);

    tu_assert_str(gosip_msg_via(m)->transport, "TCP");
    tu_assert_str(gosip_msg_via(m)->branch, "z9hG4bK-.!%66*_+`'~");
    const gosip_cseq *cs = gosip_msg_cseq(m);
    assert_int_equal(cs->seq, 139122385);
    assert_int_equal(cs->method, GOSIP_METHOD_UNKNOWN);
    tu_assert_str(cs->method_name, INTMETH_METHOD);
    assert_int_equal(gosip_msg_max_forwards(m), 255);
    tu_assert_str(gosip_msg_call_id(m), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
}

static void check_intmeth(const gosip_msg *m, const char *data, size_t len)
{
    check_intmeth_start(m);
    const gosip_nameaddr *to = gosip_msg_to(m);
    assert_non_null(to);
    /* quoted-pairs of BEL, NUL and DEL: the NUL must not cut the display name */
    assert_bytes(to->display, "\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\"");
    assert_sip_uri(to->uri, INTMETH_USER, "example.com", -1);

    const gosip_nameaddr *from = gosip_msg_from(m);
    assert_non_null(from);
    tu_assert_str(from->display, "token1~` token2'+_ token3*%!.-");
    assert_sip_uri(from->uri, "mundane", "example.com", -1);
    assert_int_equal(param_count(from->params), 2);
    tu_assert_str(param_at(from->params, 0)->name, "fromParam''~+*_!.-%");
    assert_bytes(param_at(from->params, 0)->value,
                 "\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0"
                 "\xb9\"");
    tu_assert_str(from->tag, "_token~1'+`*%!-.");

    const gosip_hdr *ext = hdr_named(m, "extensionHeader-!.%*+_`'~");
    assert_int_equal(gosip_hdr_kind_of(ext), GOSIP_HDR_OTHER);
    tu_assert_str(gosip_hdr_name(ext), "extensionHeader-!.%*+_`'~");
    assert_bytes(gosip_hdr_value(ext), "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb");
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))->value, 0);
    assert_body_tail(m, data, len, 0);
}

static void check_esc01(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_sip_uri(ru, "sips%3Auser%40example.com", "example.net", -1);
    assert_unescaped(ru->user, "sips:user@example.com");
    assert_unescaped(gosip_msg_to(m)->uri->user, "user");
    assert_unescaped(gosip_msg_from(m)->uri->user, "I have spaces");
    tu_assert_str(gosip_msg_call_id(m), "esc01.239409asdfakjkn23onasd0-3234");
    tu_assert_str(gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE))->subtype, "sdp");

    const gosip_uri *cu = gosip_msg_contact(m)->uri;
    assert_sip_uri(cu, "cal%6Cer", "host5.example.net", -1);
    assert_unescaped(cu->user, "caller");
    assert_int_equal(param_count(cu->params), 2);
    assert_unescaped(param_at(cu->params, 0)->name, "lr");
    assert_null(param_at(cu->params, 0)->value.p);
    assert_unescaped(param_at(cu->params, 1)->name, "name");
    /* one pass only: %25%34%31 is "%41", which is not "A" */
    tu_assert_str(param_at(cu->params, 1)->value, "v%61lue%25%34%31");
    assert_unescaped(param_at(cu->params, 1)->value, "value%41");
    assert_body_tail(m, data, len, 150);
}

static void check_escnull(const gosip_msg *m, const char *data, size_t len)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_REGISTER);
    assert_unescaped(gosip_msg_to(m)->uri->user, "null-\0-null");
    assert_unescaped(gosip_msg_from(m)->uri->user, "null-\0-null");
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_CONTACT), 2);
    const gosip_nameaddr *c1 = gosip_hdr_nameaddr(tu_hdr_kind_nth(m, GOSIP_HDR_CONTACT, 0));
    const gosip_nameaddr *c2 = gosip_hdr_nameaddr(tu_hdr_kind_nth(m, GOSIP_HDR_CONTACT, 1));
    assert_non_null(c1);
    assert_non_null(c2);
    assert_unescaped(c1->uri->user, "\0");
    assert_unescaped(c2->uri->user, "\0\0");
    assert_false(gosip_uri_equal(c1->uri, c2->uri));
    const gosip_hdr *cl = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH);
    tu_assert_str(gosip_hdr_name(cl), "L");
    assert_int_equal(gosip_hdr_uint(cl)->value, 0);
    assert_body_tail(m, data, len, 0);
}

static void check_esc02(const gosip_msg *m, const char *data, size_t len)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_UNKNOWN);
    tu_assert_str(gosip_msg_method_name(m), "RE%47IST%45R");
    assert_int_equal(gosip_msg_cseq(m)->method, GOSIP_METHOD_UNKNOWN);
    tu_assert_str(gosip_msg_cseq(m)->method_name, "RE%47IST%45R");
    tu_assert_str(gosip_msg_to(m)->display, "\"%Z%45\"");
    tu_assert_str(gosip_msg_from(m)->display, "\"%Z%45\"");
    tu_assert_str(gosip_msg_via(m)->branch, "z9hG4bK209%fzsnel234");
    /* header names are not escaped: C%6Fntact is an extension header */
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_CONTACT), 2);
    assert_sip_uri(gosip_hdr_nameaddr(tu_hdr_kind_nth(m, GOSIP_HDR_CONTACT, 0))->uri, "alias1",
                   "host1.example.com", -1);
    assert_sip_uri(gosip_hdr_nameaddr(tu_hdr_kind_nth(m, GOSIP_HDR_CONTACT, 1))->uri, "alias3",
                   "host3.example.com", -1);
    const gosip_hdr *odd = hdr_named(m, "C%6Fntact");
    assert_int_equal(gosip_hdr_kind_of(odd), GOSIP_HDR_OTHER);
    tu_assert_str(gosip_hdr_value(odd), "<sip:alias2@host2.example.com>");
    assert_body_tail(m, data, len, 0);
}

static void check_lwsdisp(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_nameaddr *from = gosip_msg_from(m);
    tu_assert_str(from->display, "caller");
    assert_int_equal(from->bracketed, 1);
    assert_sip_uri(from->uri, "caller", "example.com", -1);
    tu_assert_str(from->tag, "323");
    assert_body_tail(m, data, len, 0);
}

/* Builds pre + n * unit + post into buf (static storage, one string at a time). */
static const char *rep(char *buf, size_t cap, const char *pre, const char *unit, int n,
                       const char *post)
{
    size_t at = (size_t)snprintf(buf, cap, "%s", pre);
    for (int i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s", unit);
    if (at < cap)
        snprintf(buf + at, cap - at, "%s", post);
    return buf;
}

static void check_longreq_to(const gosip_msg *m)
{
    char b[1024];
    const gosip_nameaddr *to = gosip_msg_to(m);
    tu_assert_str(to->display,
                  rep(b, sizeof b, "\"I have a user name of ", "extreme", 10, " proportion\""));
    assert_sip_uri(to->uri, "user", "example.com", 6000);
    const gosip_param *p = to->uri->params;
    assert_int_equal(param_count(p), 3);
    assert_param(param_at(p, 0), "unknownparam1", rep(b, sizeof b, "very", "long", 20, "value"));
    tu_assert_str(param_at(p, 1)->name, rep(b, sizeof b, "longparam", "name", 25, ""));
    tu_assert_str(param_at(p, 1)->value, "shortvalue");
    assert_param(param_at(p, 2), rep(b, sizeof b, "very", "long", 25, "ParameterNameWithNoValue"),
                 NULL);
    assert_null(to->tag.p);
}

static void check_longreq_from(const gosip_msg *m)
{
    char b[1024];
    const gosip_nameaddr *from = gosip_msg_from(m);
    tu_assert_str(gosip_hdr_name(gosip_msg_hdr(m, GOSIP_HDR_FROM)), "F");
    assert_null(from->display.p);
    assert_int_equal(from->bracketed, 0);
    assert_sip_uri(from->uri, rep(b, sizeof b, "", "amazinglylongcallername", 5, ""), "example.net",
                   -1);
    /* addr-spec without <>: the parameters belong to the header, not to the URI */
    assert_null(from->uri->params);
    assert_int_equal(param_count(from->params), 3);
    tu_assert_str(from->tag, rep(b, sizeof b, "1", "298", 50, "2424"));
    tu_assert_str(param_at(from->params, 1)->name,
                  rep(b, sizeof b, "unknownheaderparam", "name", 20, ""));
    tu_assert_str(param_at(from->params, 1)->value,
                  rep(b, sizeof b, "unknowheaderparam", "value", 15, ""));
    assert_param(param_at(from->params, 2),
                 rep(b, sizeof b, "unknownValueless", "paramname", 10, ""), NULL);
}

static void check_longreq_vias(const gosip_msg *m)
{
    char b[1024];
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 34);
    for (int i = 0; i < 33; i++) {
        const gosip_via *v = gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, (size_t)i));
        assert_non_null(v);
        snprintf(b, sizeof b, "sip%d.example.com", 33 - i);
        tu_assert_str(v->host, b);
        tu_assert_str(v->transport, "TCP");
        assert_null(v->branch.p);
    }
    const gosip_via *last = gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 33));
    tu_assert_str(last->host, "host.example.com");
    tu_assert_str(last->received, "192.0.2.5");
    tu_assert_str(last->branch, rep(b, sizeof b, "very", "long", 50, "branchvalue"));
}

static void check_longreq(const gosip_msg *m, const char *data, size_t len)
{
    char b[1024], name[256];
    check_longreq_to(m);
    check_longreq_from(m);
    check_longreq_vias(m);
    tu_assert_str(gosip_msg_call_id(m),
                  rep(b, sizeof b, "longreq.one", "really", 20, "longcallid"));
    assert_int_equal(gosip_msg_cseq(m)->seq, 3882340);
    rep(name, sizeof name, "Unknown-", "Long", 20, "-Name");
    const gosip_hdr *u = hdr_named(m, name);
    assert_int_equal(gosip_hdr_kind_of(u), GOSIP_HDR_OTHER);
    char value[1024], *at = value;
    at += strlen(rep(at, sizeof value, "unknown-", "long", 20, "-value; "));
    at += strlen(
        rep(at, sizeof value - (size_t)(at - value), "unknown-", "long", 20, "-parameter-name = "));
    rep(at, sizeof value - (size_t)(at - value), "unknown-", "long", 20, "-parameter-value");
    tu_assert_str(gosip_hdr_value(u), value);
    assert_sip_uri(gosip_msg_contact(m)->uri,
                   rep(b, sizeof b, "", "amazinglylongcallername", 5, ""), "host5.example.net", -1);
    assert_body_tail(m, data, len, 150);
}

static void check_dblreq(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_REGISTER);
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))->value, 0);
    assert_int_equal(gosip_msg_body(m).n, 0);
    /* nothing of the trailing INVITE may leak into the REGISTER */
    assert_int_equal(tu_hdr_total(m), 8);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_TO), 1);
    assert_null(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE));
    tu_assert_str(gosip_msg_call_id(m), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
    assert_int_equal(gosip_msg_max_forwards(m), 8);
}

static void check_semiuri(const gosip_msg *m, const char *data, size_t len)
{
    static const char *const sub[] = {"sdp", "pkcs7-mime", "mixed", "signed", "sip", "sipfrag"};
    static const char *const type[] = {"application", "application", "multipart",
                                       "multipart",   "message",     "message"};
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_sip_uri(ru, "user;par=u%40example.net", "example.com", -1);
    assert_unescaped(ru->user, "user;par=u@example.net");
    assert_null(ru->params);
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_ACCEPT), 6);
    for (size_t i = 0; i < 6; i++) {
        const gosip_media *a = gosip_hdr_media(tu_hdr_kind_nth(m, GOSIP_HDR_ACCEPT, i));
        assert_non_null(a);
        tu_assert_str(a->type, type[i]);
        tu_assert_str(a->subtype, sub[i]);
    }
    assert_body_tail(m, data, len, 0);
}

static void check_transports(const gosip_msg *m, const char *data, size_t len)
{
    static const char *const tp[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
    char host[32];
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 5);
    for (size_t i = 0; i < 5; i++) {
        const gosip_via *v = gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, i));
        assert_non_null(v);
        tu_assert_str(v->transport, tp[i]);
        snprintf(host, sizeof host, "t%zu.example.com", i + 1);
        tu_assert_str(v->host, host);
    }
    tu_assert_str(gosip_msg_call_id(m), "transports.kijh4akdnaqjkwendsasfdj");
    assert_body_tail(m, data, len, 0);
}

static void check_mpart01_body(gosip_msg *m)
{
    const gosip_multipart *mp = NULL;
    assert_int_equal(gosip_msg_multipart(m, &mp), 0);
    assert_non_null(mp);
    tu_assert_str(mp->boundary, "7a9cbec02ceef655");
    assert_int_equal(mp->n_parts, 2);
    tu_assert_str(mp->parts[0].content_type, "text/plain");
    tu_assert_str(mp->parts[0].body, "Hello");
    tu_assert_str(mp->parts[1].content_type, "application/octet-stream");
    /* the binary part holds NULs and bare CR/LF: its length is all that frames it */
    assert_true(mp->parts[1].body.n > 100);
    assert_non_null(memchr(mp->parts[1].body.p, '\0', mp->parts[1].body.n));
}

static void check_mpart01(const gosip_msg *m, const char *data, size_t len)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_MESSAGE);
    assert_int_equal(gosip_msg_via(m)->rport, 0);
    assert_int_equal(gosip_msg_via(m)->port, 5070);
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))->value, 553);
    assert_body_tail(m, data, len, 553);
    const gosip_media *ct = gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE));
    tu_assert_str(ct->type, "multipart");
    tu_assert_str(ct->subtype, "mixed");
    assert_param(ct->params, "boundary", "7a9cbec02ceef655");
    const gosip_date *d = gosip_hdr_date(gosip_msg_hdr(m, GOSIP_HDR_DATE));
    assert_non_null(d);
    assert_int_equal(d->weekday, 6);
    assert_int_equal(d->year, 2005);
    assert_int_equal(d->month, 10);
    assert_int_equal(d->day, 15);
    assert_int_equal(d->epoch, 1129351496);
    tu_assert_str(gosip_hdr_text(gosip_msg_hdr(m, GOSIP_HDR_USER_AGENT))->text,
                  "SIPimp.org/0.2.5 (curses)");
    assert_int_equal(gosip_hdr_kind_of(hdr_named(m, "Identity")), GOSIP_HDR_OTHER);

    /* the multipart view caches into the message: work on a private parse */
    gosip_msg *own;
    assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_DATAGRAM, &own, NULL), 0);
    check_mpart01_body(own);
    gosip_msg_unref(own);
}

static void check_unreason(const gosip_msg *m, const char *data, size_t len)
{
    assert_false(gosip_msg_is_request(m));
    assert_int_equal(gosip_msg_status(m), 200);
    assert_bytes(gosip_msg_reason(m),
                 "= 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2"
                 "\xd1\x8f\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f"
                 "\xd1\x82\xd1\x8c - \xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5");
    assert_body_tail(m, data, len, 154);
}

static void check_noreason(const gosip_msg *m, const char *data, size_t len)
{
    assert_false(gosip_msg_is_request(m));
    assert_int_equal(gosip_msg_status(m), 100);
    tu_assert_str(gosip_msg_reason(m), ""); /* present and empty */
    tu_assert_str(gosip_msg_to(m)->tag, "902jndnke3");
    assert_body_tail(m, data, len, 0);
}

static void check_unkscm(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_non_null(ru);
    assert_int_equal(ru->scheme, GOSIP_URI_OTHER);
    tu_assert_str(ru->scheme_name, "nobodyKnowsThisScheme");
    tu_assert_str(ru->opaque, "totallyopaquecontent");
    assert_null(ru->host.p);
    assert_body_tail(m, data, len, 0);
}

static void check_novelsc(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_non_null(ru);
    assert_int_equal(ru->scheme, GOSIP_URI_OTHER);
    tu_assert_str(ru->scheme_name, "soap.beep");
    tu_assert_str(ru->opaque, "//192.0.2.103:3002");
    assert_body_tail(m, data, len, 0);
}

static void check_unksm2(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_uri *to = gosip_msg_to(m)->uri;
    assert_int_equal(to->scheme, GOSIP_URI_OTHER);
    tu_assert_str(to->scheme_name, "isbn");
    tu_assert_str(to->opaque, "2983792873");
    const gosip_nameaddr *from = gosip_msg_from(m);
    assert_int_equal(from->uri->scheme, GOSIP_URI_OTHER);
    tu_assert_str(from->uri->scheme_name, "http");
    tu_assert_str(from->uri->opaque, "//www.example.com");
    tu_assert_str(from->tag, "3234233");
    const gosip_uri *ct = gosip_msg_contact(m)->uri;
    assert_int_equal(ct->scheme, GOSIP_URI_OTHER);
    tu_assert_str(ct->scheme_name, "name");
    tu_assert_str(ct->opaque, "John_Smith");
    assert_int_equal(gosip_msg_via(m)->port, 5060);
    assert_body_tail(m, data, len, 0);
}

static void check_cparam01(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_nameaddr *c = gosip_msg_contact(m);
    assert_int_equal(c->bracketed, 0);
    assert_sip_uri(c->uri, "+19725552222", "gw1.example.net", -1);
    /* without <>, ;unknownparam is a contact-param, never a url-param */
    assert_null(c->uri->params);
    assert_int_equal(param_count(c->params), 1);
    assert_param(c->params, "unknownparam", NULL);
    assert_body_tail(m, data, len, 0);
}

static void check_cparam02(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_nameaddr *c = gosip_msg_contact(m);
    assert_int_equal(c->bracketed, 1);
    assert_sip_uri(c->uri, "+19725552222", "gw1.example.net", -1);
    assert_null(c->params);
    assert_int_equal(param_count(c->uri->params), 1);
    assert_param(c->uri->params, "unknownparam", NULL);
    assert_body_tail(m, data, len, 0);
}

static void check_regescrt(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_CONTACT);
    tu_assert_str(gosip_hdr_name(h), "M");
    const gosip_uri *u = gosip_hdr_nameaddr(h)->uri;
    assert_sip_uri(u, "user", "example.com", -1);
    tu_assert_str(u->headers, "Route=%3Csip:sip.example.com%3E");
    assert_null(gosip_msg_hdr(m, GOSIP_HDR_ROUTE));
    assert_body_tail(m, data, len, 0);
}

static void check_sdp01(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_media *a = gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_ACCEPT));
    assert_non_null(a);
    tu_assert_str(a->type, "text");
    tu_assert_str(a->subtype, "nobodyKnowsThis");
    assert_body_tail(m, data, len, 150);
}

static void check_inv2543(const gosip_msg *m, const char *data, size_t len)
{
    /* no Content-Length on a datagram: the body is the rest of it */
    assert_null(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH));
    assert_body_tail(m, data, len, len - header_end(data, len));
    assert_int_equal(gosip_msg_body(m).n, 105);
    assert_null(gosip_msg_via(m)->branch.p);
    assert_null(gosip_msg_from(m)->tag.p);
    assert_int_equal(gosip_msg_max_forwards(m), -1);
    assert_param(gosip_msg_from(m)->uri->params, "user", "phone");
    /* To is an addr-spec: its ;user=phone is a header parameter */
    const gosip_nameaddr *to = gosip_msg_to(m);
    assert_sip_uri(to->uri, "+16505552222", "ss1.example.net", -1);
    assert_null(to->uri->params);
    assert_param(to->params, "user", "phone");
    const gosip_nameaddr *rr = gosip_hdr_nameaddr(gosip_msg_hdr(m, GOSIP_HDR_RECORD_ROUTE));
    assert_param(rr->uri->params, "maddr", "ss1.example.com");
}

static void check_invut(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_media *ct = gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE));
    tu_assert_str(ct->type, "application");
    tu_assert_str(ct->subtype, "unknownformat");
    assert_body_tail(m, data, len, 40);
    tu_assert_str(gosip_msg_body(m), "<audio>\r\n <pcmu port=\"443\"/>\r\n</audio>\r\n");
}

static void check_regaut01(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_auth *a = gosip_hdr_auth(gosip_msg_hdr(m, GOSIP_HDR_AUTHORIZATION));
    assert_non_null(a);
    tu_assert_str(a->scheme, "NoOneKnowsThisScheme");
    assert_int_equal(param_count(a->params), 1);
    assert_param(a->params, "opaque-data", "here");
    assert_int_equal(gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))->value, 0);
    assert_body_tail(m, data, len, 0);
}

static void check_bcast(const gosip_msg *m, const char *data, size_t len)
{
    assert_int_equal(gosip_msg_status(m), 200);
    tu_assert_str(gosip_msg_reason(m), "OK");
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 2);
    const gosip_via *v2 = gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, 1));
    tu_assert_str(v2->host, "255.255.255.255");
    assert_int_equal(v2->host_type, GOSIP_HOST_IPV4);
    tu_assert_str(v2->branch, "z9hG4bK1saber23");
    assert_body_tail(m, data, len, 154);
}

static void check_zeromf(const gosip_msg *m, const char *data, size_t len)
{
    assert_int_equal(gosip_msg_max_forwards(m), 0);
    assert_body_tail(m, data, len, 0);
}

static void check_tokens(const gosip_msg *m, gosip_hdr_kind kind, const char *a, const char *b)
{
    assert_int_equal(gosip_msg_hdr_count(m, kind), 2);
    tu_assert_str(gosip_hdr_token(tu_hdr_kind_nth(m, kind, 0))->token, a);
    tu_assert_str(gosip_hdr_token(tu_hdr_kind_nth(m, kind, 1))->token, b);
}

static void check_bext01(const gosip_msg *m, const char *data, size_t len)
{
    check_tokens(m, GOSIP_HDR_REQUIRE, "nothingSupportsThis", "nothingSupportsThisEither");
    check_tokens(m, GOSIP_HDR_PROXY_REQUIRE, "noProxiesSupportThis", "norDoAnyProxiesSupportThis");
    tu_assert_str(gosip_msg_via(m)->transport, "TLS");
    tu_assert_str(gosip_msg_via(m)->host, "fold-and-staple.example.com");
    assert_body_tail(m, data, len, 0);
}

static void check_badbranch(const gosip_msg *m, const char *data, size_t len)
{
    /* the magic cookie alone: syntactically a branch, semantically none */
    tu_assert_str(gosip_msg_via(m)->branch, "z9hG4bK");
    assert_body_tail(m, data, len, 0);
}

/* ---------------------------------------------------------------- liberal readings */

static void check_lwsstart(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_INVITE);
    assert_sip_uri(gosip_msg_request_uri(m), "user", "example.com", -1);
    tu_assert_str(gosip_msg_version(m), "SIP/2.0");
}

static void check_trws(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    assert_sip_uri(gosip_msg_request_uri(m), "remote-target", "example.com", -1);
    tu_assert_str(gosip_msg_version(m), "SIP/2.0"); /* trailing SP not part of it */
}

static void check_escruri(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_sip_uri(ru, "user", "example.com", -1);
    tu_assert_str(ru->headers, "Route=%3Csip:example.com%3E");
    assert_null(gosip_msg_hdr(m, GOSIP_HDR_ROUTE)); /* never turned into a real header */
}

static void check_regbadct(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const gosip_uri *u = gosip_msg_contact(m)->uri;
    assert_sip_uri(u, "user", "example.com", -1);
    tu_assert_str(u->headers, "Route=%3Csip:sip.example.com%3E");
}

static void check_badaspec(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const gosip_nameaddr *to = gosip_msg_to(m);
    tu_assert_str(to->display, "\"Watson, Thomas\"");
    assert_sip_uri(to->uri, "t.watson", "example.org", -1);
    tu_assert_str(gosip_msg_from(m)->display, "\"Bell, Alexander\"");
}

static void check_baddate(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_DATE);
    tu_assert_str(gosip_hdr_value(h), "Fri, 01 Jan 2010 16:00:00 EST");
    assert_null(gosip_hdr_date(h)); /* only GMT is a date; EST is not read as one */
}

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

static const expect expects[] = {
    {"badaspec.dat", V_LIBERAL, REJ(400), REJ(0), check_badaspec, 0, 0},
    {"badbranch.dat", V_VALID, NONE, REJ(400), check_badbranch, 0, 0},
    {"baddate.dat", V_LIBERAL, REJ(400), REJ(0), check_baddate, 0, 1},
    {"baddn.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"badinv01.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"badvers.dat", V_INVALID, REJ(505), NONE, NULL, 0, 0},
    {"bcast.dat", V_VALID, NONE, REJ(-1), check_bcast, 0, 0}, /* a UAC drops 2 Vias */
    {"bext01.dat", V_VALID, NONE, REJ(420), check_bext01, 0, 0},
    {"bigcode.dat", V_INVALID, REJ(-1), NONE, NULL, 0, 0},
    {"clerr.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"cparam01.dat", V_VALID, NONE, REJ(0), check_cparam01, 0, 0},
    {"cparam02.dat", V_VALID, NONE, REJ(0), check_cparam02, 0, 0},
    {"dblreq.dat", V_VALID, NONE, REJ(0), check_dblreq, 1, 0},
    {"esc01.dat", V_VALID, NONE, REJ(0), check_esc01, 0, 0},
    {"esc02.dat", V_VALID, NONE, REJ(501), check_esc02, 0, 0},
    {"escnull.dat", V_VALID, NONE, REJ(0), check_escnull, 0, 0},
    {"escruri.dat", V_LIBERAL, REJ(400), REJ(0, 400), check_escruri, 0, 0},
    {"insuf.dat", V_SEMANTIC, REJ(400), NONE, NULL, 0, 0},
    {"intmeth.dat", V_VALID, NONE, REJ(501), check_intmeth, 0, 0},
    {"inv2543.dat", V_VALID, NONE, REJ(0), check_inv2543, 0, 0},
    {"invut.dat", V_VALID, NONE, REJ(0), check_invut, 0, 0},
    {"longreq.dat", V_VALID, NONE, REJ(0), check_longreq, 0, 0},
    {"ltgtruri.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"lwsdisp.dat", V_VALID, NONE, REJ(0), check_lwsdisp, 0, 0},
    {"lwsruri.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"lwsstart.dat", V_LIBERAL, REJ(400), REJ(0), check_lwsstart, 0, 0},
    {"mcl01.dat", V_INVALID, REJ(400), NONE, NULL, 1, 0}, /* which length frames it? */
    {"mismatch01.dat", V_SEMANTIC, REJ(400), NONE, NULL, 0, 0},
    {"mismatch02.dat", V_SEMANTIC, REJ(501, 400), NONE, NULL, 0, 0},
    {"mpart01.dat", V_VALID, NONE, REJ(0), check_mpart01, 0, 0},
    {"multi01.dat", V_SEMANTIC, REJ(400), NONE, NULL, 0, 0},
    {"ncl.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"noreason.dat", V_VALID, NONE, REJ(0), check_noreason, 0, 0},
    {"novelsc.dat", V_VALID, NONE, REJ(416), check_novelsc, 0, 0},
    {"quotbal.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"regaut01.dat", V_VALID, NONE, REJ(0), check_regaut01, 0, 0},
    {"regbadct.dat", V_LIBERAL, REJ(400), REJ(0), check_regbadct, 0, 0},
    {"regescrt.dat", V_VALID, NONE, REJ(0), check_regescrt, 0, 0},
    {"scalar02.dat", V_INVALID, REJ(400), NONE, NULL, 0, 0},
    {"scalarlg.dat", V_INVALID, REJ(-1), NONE, NULL, 0, 0},
    {"sdp01.dat", V_VALID, NONE, REJ(0), check_sdp01, 0, 0}, /* 406 needs opts: see below */
    {"semiuri.dat", V_VALID, NONE, REJ(0), check_semiuri, 0, 0},
    {"test.dat", V_NONE, NONE, NONE, NULL, 0, 0},
    {"transports.dat", V_VALID, NONE, REJ(0), check_transports, 0, 0},
    {"trws.dat", V_LIBERAL, REJ(400), REJ(0), check_trws, 0, 0},
    {"unkscm.dat", V_VALID, NONE, REJ(416), check_unkscm, 0, 0},
    {"unksm2.dat", V_VALID, NONE, REJ(0), check_unksm2, 0, 0},
    {"unreason.dat", V_VALID, NONE, REJ(0), check_unreason, 0, 0},
    {"wsinv.dat", V_VALID, NONE, REJ(0), check_wsinv, 0, 0},
    {"zeromf.dat", V_VALID, NONE, REJ(0), check_zeromf, 0, 0},
};

#define N_EXPECTS (sizeof expects / sizeof expects[0])

static const expect no_verdict = {"(new file)", V_NONE, NONE, NONE, NULL, 0, 0};

static const expect *find_expect(const char *file)
{
    for (size_t i = 0; i < N_EXPECTS; i++)
        if (strcmp(expects[i].file, file) == 0)
            return &expects[i];
    return NULL;
}

/* ---------------------------------------------------------------- running one file */

static void assert_framed(const gosip_msg *m, const char *data, size_t len, size_t msg_len)
{
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    gosip_framer f;
    memset(&f, 0, sizeof f);
    size_t skip = 99, n = 0;
    int rc = gosip_framer_next(&f, data, len, &lim, &skip, &n);
    if (!gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH)) {
        /* a stream needs Content-Length (RFC 3261 18.3) */
        assert_int_equal(rc, GOSIP_ERR_FRAMING);
        gosip_msg *s;
        assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_STREAM, &s, NULL), GOSIP_ERR_FRAMING);
        return;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(skip, 0);
    assert_int_equal(n, msg_len);
    gosip_msg *s;
    assert_int_equal(tu_parse(data, msg_len, GOSIP_FRAMING_STREAM, &s, NULL), 0);
    tu_assert_msg_equal(m, s);
    gosip_msg_unref(s);
}

/*
 * A rejected request must still be answerable (RFC 3261 8.2.6): the error response the
 * verdict calls for copies whatever core headers of the request did parse.
 */
static void assert_answerable(const gosip_msg *m, const gosip_verdict *v)
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

static void run_valid(const expect *e, const char *data, size_t len)
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
    assert_prints_as(m, data, msg_len);
    if (e->check)
        e->check(m, data, len);
    gosip_verdict v;
    assert_status_in("UAS verdict", verdict_of(m, GOSIP_ROLE_UAS, NULL, &v), e->nacc, e->acc);
    if (gosip_msg_is_request(m) && v.status >= 300)
        assert_answerable(m, &v);
    assert_framed(m, data, len, msg_len);
    gosip_msg_unref(m);
    tu_roundtrip_modified(data, len);
}

/* Accepted by the liberal reading, or rejected with one of its statuses. */
static void judge_liberal(const expect *e, const gosip_msg *m, int defect, int v, const char *data,
                          size_t len)
{
    if (!defect || e->ignorable)
        e->check(m, data, len);
    if (!defect)
        assert_status_in("UAS verdict", v, e->nacc, e->acc);
    else if (e->ignorable)
        assert_true(in_set(v, e->nacc, e->acc) || in_set(v, e->nrej, e->rej));
    else
        assert_status_in("UAS verdict", v, e->nrej, e->rej);
}

/* The parsed message of a file the RFC calls invalid, semantically bad or liberal. */
static void judge_parsed(const expect *e, const gosip_msg *m, const char *data, size_t len)
{
    gosip_parse_error de;
    memset(&de, 0, sizeof de);
    int d = gosip_msg_defect(m, &de);
    int req = gosip_msg_is_request(m);
    gosip_verdict v;
    verdict_of(m, GOSIP_ROLE_UAS, NULL, &v);
    if (d && req)
        assert_status_in("defect status", de.status, e->nrej, e->rej);
    switch (e->v) {
    case V_INVALID:
        if (!d)
            print_error("no defect recorded for a malformed message\n");
        assert_int_not_equal(d, 0);
        assert_status_in("UAS verdict", v.status, e->nrej, e->rej);
        break;
    case V_SEMANTIC:
        assert_status_in("UAS verdict", v.status, e->nrej, e->rej);
        break;
    default:
        judge_liberal(e, m, d, v.status, data, len);
        break;
    }
    if (req && v.status >= 300)
        assert_answerable(m, &v);
}

static void run_rejectable(const expect *e, const char *data, size_t len)
{
    gosip_msg *m;
    gosip_parse_error err;
    memset(&err, 0, sizeof err);
    int rc = tu_parse(data, len, GOSIP_FRAMING_DATAGRAM, &m, &err);
    if (rc != 0) {
        /* only a malformed start line may make the whole parse fail */
        assert_int_not_equal(e->v, V_SEMANTIC);
        gosip_verdict v;
        memset(&v, 0, sizeof v);
        assert_int_equal(gosip_parse_error_verdict(data, len, &err, &v), 0);
        assert_status_in("verdict on the parse error", v.status, e->nrej, e->rej);
        return;
    }
    /* unmodified, even a rejected message prints as received (it may be relayed or logged) */
    if (e->trailing)
        assert_prints_prefix(m, data, len);
    else
        assert_prints_as(m, data, len);
    judge_parsed(e, m, data, len);
    gosip_msg_unref(m);
}

/* No verdict: whatever the outcome, nothing breaks and the printer invents nothing. */
static void run_no_verdict(const char *data, size_t len)
{
    static const gosip_framing fr[] = {GOSIP_FRAMING_DATAGRAM, GOSIP_FRAMING_STREAM};
    for (size_t i = 0; i < 2; i++) {
        gosip_msg *m;
        if (tu_parse(data, len, fr[i], &m, NULL) != 0)
            continue;
        assert_prints_prefix(m, data, len);
        gosip_verdict v;
        verdict_of(m, GOSIP_ROLE_UAS, NULL, &v);
        verdict_of(m, GOSIP_ROLE_PROXY, NULL, &v);
        gosip_msg_unref(m);
    }
}

static void test_file(void **state)
{
    const tu_case *c = *state;
    const expect *e = find_expect(c->name);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tu_read_data(c->dir, c->name, &data, &len), 0);
    if (!e)
        e = &no_verdict;
    switch (e->v) {
    case V_VALID:
        run_valid(e, data, len);
        break;
    case V_NONE:
        run_no_verdict(data, len);
        break;
    default:
        run_rejectable(e, data, len);
        break;
    }
    free(data);
}

/* ---------------------------------------------------------------- other tests */

/* Every file the table names is present: a lost torture message must not go unnoticed. */
static void test_all_files_present(void **state)
{
    (void)state;
    tu_names files;
    assert_int_equal(tu_list_dir(DIR_4475, ".dat", &files), 0);
    for (size_t i = 0; i < N_EXPECTS; i++) {
        if (!tu_names_has(&files, expects[i].file))
            print_error("missing: %s\n", expects[i].file);
        assert_true(tu_names_has(&files, expects[i].file));
    }
    assert_int_equal(files.n, 50);
    tu_names_free(&files);
}

static gosip_msg *load(const char *file)
{
    char *data = NULL;
    size_t len = 0;
    gosip_msg *m;
    assert_int_equal(tu_read_data(DIR_4475, file, &data, &len), 0);
    assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    free(data);
    return m;
}

static void assert_tags(const gosip_verdict *v, const char *a, const char *b)
{
    assert_int_equal(v->n_unsupported, 2);
    tu_assert_str(v->unsupported[0], a);
    tu_assert_str(v->unsupported[1], b);
}

/* r holds exactly two values of a kind, with these texts. */
static void assert_hdr_values(const gosip_msg *r, gosip_hdr_kind kind, const char *a, const char *b)
{
    assert_int_equal(gosip_msg_hdr_count(r, kind), 2);
    tu_assert_str(gosip_hdr_value(tu_hdr_kind_nth(r, kind, 0)), a);
    tu_assert_str(gosip_hdr_value(tu_hdr_kind_nth(r, kind, 1)), b);
}

/* RFC 4475 3.3.5: 420 listing Require's options at a UAS, Proxy-Require's at a proxy. */
static void test_bext01_roles(void **state)
{
    (void)state;
    gosip_msg *m = load("bext01.dat"), *r;
    gosip_verdict v;
    assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, NULL, &v), 420);
    assert_tags(&v, "nothingSupportsThis", "nothingSupportsThisEither");
    assert_int_equal(gosip_msg_new_error_response(&r, m, &v, NULL, GOSIP_STR_NULL), 0);
    assert_hdr_values(r, GOSIP_HDR_UNSUPPORTED, "nothingSupportsThis", "nothingSupportsThisEither");
    gosip_msg_unref(r);

    assert_int_equal(verdict_of(m, GOSIP_ROLE_PROXY, NULL, &v), 420);
    assert_tags(&v, "noProxiesSupportThis", "norDoAnyProxiesSupportThis");
    gosip_msg_unref(m);
}

/* RFC 4475 3.1.1.2 and 3.1.1.5: an endpoint answers an unknown method 501 with Allow. */
static void test_unknown_method_501(void **state)
{
    (void)state;
    static const char *const files[] = {"intmeth.dat", "esc02.dat"};
    for (size_t i = 0; i < 2; i++) {
        gosip_msg *m = load(files[i]), *r;
        gosip_verdict v;
        assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, NULL, &v), 501);
        assert_int_equal(gosip_msg_new_error_response(&r, m, &v, NULL, GOSIP_STR_NULL), 0);
        assert_int_equal(gosip_msg_status(r), 501);
        assert_true(gosip_msg_hdr_count(r, GOSIP_HDR_ALLOW) >= 6);
        gosip_msg_unref(r);
        gosip_msg_unref(m);
    }
}

/* RFC 4475 3.3.2, 3.3.4, 3.3.6, 3.3.7, 3.3.11, 3.1.1.2: what depends on the role. */
static void test_role_verdicts(void **state)
{
    (void)state;
    gosip_validate_opts o;
    gosip_msg *m = load("unksm2.dat");
    memset(&o, 0, sizeof o);
    o.registrar = 1;
    assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, &o, NULL), 400); /* To: isbn: */
    assert_int_equal(verdict_of(m, GOSIP_ROLE_PROXY, NULL, NULL), 0);
    gosip_msg_unref(m);

    static const char *const sdp_only[] = {"application/sdp"};
    m = load("invut.dat");
    memset(&o, 0, sizeof o);
    o.content_types = sdp_only;
    o.n_content_types = 1;
    assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, &o, NULL), 415);
    assert_int_equal(verdict_of(m, GOSIP_ROLE_PROXY, &o, NULL), 0);
    gosip_msg_unref(m);

    static const gosip_method no_register[] = {GOSIP_METHOD_INVITE, GOSIP_METHOD_ACK,
                                               GOSIP_METHOD_BYE, GOSIP_METHOD_CANCEL,
                                               GOSIP_METHOD_OPTIONS};
    m = load("regaut01.dat");
    memset(&o, 0, sizeof o);
    o.methods = no_register;
    o.n_methods = 5;
    assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, &o, NULL), 405);
    memset(&o, 0, sizeof o);
    o.registrar = 1;
    assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, &o, NULL), 0); /* unknown scheme ignored */
    gosip_msg_unref(m);

    /* RFC 4475 3.3.15: an INVITE accepting only what this UAS cannot answer with */
    m = load("sdp01.dat");
    memset(&o, 0, sizeof o);
    o.content_types = sdp_only;
    o.n_content_types = 1;
    assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, &o, NULL), 406);
    gosip_msg_unref(m);
}

static void test_proxy_verdicts(void **state)
{
    (void)state;
    gosip_msg *m = load("zeromf.dat");
    gosip_verdict v;
    assert_int_equal(verdict_of(m, GOSIP_ROLE_PROXY, NULL, &v), 483);
    /* an OPTIONS: the proxy may answer it itself instead */
    assert_true(v.flags & GOSIP_VERDICT_MAY_ANSWER);
    assert_int_equal(verdict_of(m, GOSIP_ROLE_UAS, NULL, NULL), 0);
    gosip_msg_unref(m);
    m = load("unkscm.dat");
    assert_int_equal(verdict_of(m, GOSIP_ROLE_PROXY, NULL, NULL), 416);
    gosip_msg_unref(m);
    /* a proxy forwards requests whatever their method */
    m = load("intmeth.dat");
    assert_int_equal(verdict_of(m, GOSIP_ROLE_PROXY, NULL, NULL), 0);
    gosip_msg_unref(m);
    m = load("esc02.dat");
    assert_int_equal(verdict_of(m, GOSIP_ROLE_PROXY, NULL, NULL), 0);
    gosip_msg_unref(m);
}

/* RFC 4475 3.1.2.2, 3.1.2.3, 3.3.9 on a stream: wait for more, or a framing error. */
static void test_stream_framing(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int framer; /* what gosip_framer_next returns */
    } cases[] = {
        {"clerr.dat", 0}, {"ncl.dat", GOSIP_ERR_FRAMING}, {"mcl01.dat", GOSIP_ERR_FRAMING}};
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *data = NULL;
        size_t len = 0, skip = 0, n = 0;
        assert_int_equal(tu_read_data(DIR_4475, cases[i].file, &data, &len), 0);
        gosip_framer f;
        memset(&f, 0, sizeof f);
        assert_int_equal(gosip_framer_next(&f, data, len, &lim, &skip, &n), cases[i].framer);
        gosip_msg *m;
        assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_STREAM, &m, NULL), GOSIP_ERR_FRAMING);
        free(data);
    }
}

int main(void)
{
    static const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_all_files_present),  cmocka_unit_test(test_bext01_roles),
        cmocka_unit_test(test_unknown_method_501), cmocka_unit_test(test_role_verdicts),
        cmocka_unit_test(test_proxy_verdicts),     cmocka_unit_test(test_stream_framing),
    };
    int failed = tu_run_dir("rfc4475", DIR_4475, ".dat", test_file);
    failed += cmocka_run_group_tests_name("rfc4475_roles_and_framing", extra, NULL, NULL);
    return failed;
}
