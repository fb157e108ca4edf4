/*
 * RFC 4475 section 3.1.1, "Valid Messages", against the parser, the printer and request
 * validation: every well-formed torture message of that section is one test. It parses
 * clean, prints byte for byte, holds the field values the RFC calls out (checked below),
 * gets its UAS verdict, frames on a stream and survives an edit (tu_rfc4475.h).
 */
#include "tu_rfc4475.h"

/* ---------------------------------------------------------------- small helpers */

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
static const gosip_hdr *hdr_named(const gosip_msg *m, const char *name)
{
    const gosip_hdr *h = gosip_msg_hdr_by_name(m, gosip_str_from_cstr(name));
    assert_non_null(h);
    return h;
}

/* ---------------------------------------------------------------- the messages */

static void check_wsinv_start(const gosip_msg *m)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_INVITE);
    const gosip_uri *ru = gosip_msg_request_uri(m);
    tu_assert_sip_uri(ru, "vivekg", "chair-dnrc.example.com", -1);
    assert_int_equal(param_count(ru->params), 1);
    assert_param(ru->params, "unknownparam", NULL);

    const gosip_hdr *to = gosip_msg_hdr(m, GOSIP_HDR_TO);
    tu_assert_str(gosip_hdr_name(to), "TO");
    tu_assert_str(gosip_hdr_value(to),
                  "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
    tu_assert_str(gosip_msg_to(m)->tag, "1918181833n");
    tu_assert_sip_uri(gosip_msg_to(m)->uri, "vivekg", "chair-dnrc.example.com", -1);

    const gosip_nameaddr *from = gosip_msg_from(m);
    assert_non_null(from);
    tu_assert_str(from->display, "\"J Rosenberg \\\\\\\"\"");
    tu_assert_str(from->tag, "98asjd8");
    tu_assert_sip_uri(from->uri, "jdrosen", "example.com", -1);

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
    tu_assert_sip_uri(route->uri, NULL, "services.example.com", -1);
    assert_int_equal(param_count(route->uri->params), 3);
    assert_param(param_at(route->uri->params, 0), "lr", NULL);
    assert_param(param_at(route->uri->params, 1), "unknownwith", "value");
    assert_param(param_at(route->uri->params, 2), "unknown-no-value", NULL);

    const gosip_nameaddr *ct = gosip_msg_contact(m);
    assert_non_null(ct);
    tu_assert_str(gosip_hdr_name(gosip_msg_hdr(m, GOSIP_HDR_CONTACT)), "m");
    tu_assert_str(ct->display, "\"Quoted string \\\"\\\"\"");
    tu_assert_sip_uri(ct->uri, "jdrosen", "example.com", -1);
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
    tu_assert_sip_uri(ru, INTMETH_USER, "example.com", -1);
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
    tu_assert_sip_uri(to->uri, INTMETH_USER, "example.com", -1);

    const gosip_nameaddr *from = gosip_msg_from(m);
    assert_non_null(from);
    tu_assert_str(from->display, "token1~` token2'+_ token3*%!.-");
    tu_assert_sip_uri(from->uri, "mundane", "example.com", -1);
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
    tu_assert_sip_uri(ru, "sips%3Auser%40example.com", "example.net", -1);
    assert_unescaped(ru->user, "sips:user@example.com");
    assert_unescaped(gosip_msg_to(m)->uri->user, "user");
    assert_unescaped(gosip_msg_from(m)->uri->user, "I have spaces");
    tu_assert_str(gosip_msg_call_id(m), "esc01.239409asdfakjkn23onasd0-3234");
    tu_assert_str(gosip_hdr_media(gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE))->subtype, "sdp");

    const gosip_uri *cu = gosip_msg_contact(m)->uri;
    tu_assert_sip_uri(cu, "cal%6Cer", "host5.example.net", -1);
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
    tu_assert_sip_uri(gosip_hdr_nameaddr(tu_hdr_kind_nth(m, GOSIP_HDR_CONTACT, 0))->uri, "alias1",
                      "host1.example.com", -1);
    tu_assert_sip_uri(gosip_hdr_nameaddr(tu_hdr_kind_nth(m, GOSIP_HDR_CONTACT, 1))->uri, "alias3",
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
    tu_assert_sip_uri(from->uri, "caller", "example.com", -1);
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
    tu_assert_sip_uri(to->uri, "user", "example.com", 6000);
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
    tu_assert_sip_uri(from->uri, rep(b, sizeof b, "", "amazinglylongcallername", 5, ""),
                      "example.net", -1);
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
    tu_assert_sip_uri(gosip_msg_contact(m)->uri,
                      rep(b, sizeof b, "", "amazinglylongcallername", 5, ""), "host5.example.net",
                      -1);
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
    tu_assert_sip_uri(ru, "user;par=u%40example.net", "example.com", -1);
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
static const file_check checks[] = {
    {"wsinv.dat", check_wsinv},       {"intmeth.dat", check_intmeth},
    {"esc01.dat", check_esc01},       {"escnull.dat", check_escnull},
    {"esc02.dat", check_esc02},       {"lwsdisp.dat", check_lwsdisp},
    {"longreq.dat", check_longreq},   {"dblreq.dat", check_dblreq},
    {"semiuri.dat", check_semiuri},   {"transports.dat", check_transports},
    {"mpart01.dat", check_mpart01},   {"unreason.dat", check_unreason},
    {"noreason.dat", check_noreason},
};

static void test_file(void **state)
{
    rfc4475_test_valid(state, checks, sizeof checks / sizeof checks[0]);
}

int main(void)
{
    return tu_run_dir_if("rfc4475_valid", DIR_4475, ".dat", rfc4475_valid_message, test_file);
}
