/*
 * RFC 4475 sections 3.2 to 3.4 against the parser, the printer and request validation: the
 * well-formed torture messages whose point is what a transaction layer or an application
 * makes of them (unknown schemes, extensions, bodies, Max-Forwards, registrations) and the
 * RFC 2543 INVITE. Each is one test, run like a valid message (tu_rfc4475.h) with the field
 * values the RFC calls out checked below; the verdicts that depend on the role are in
 * msg_rfc4475_roles_test.c.
 */
#include "tu_rfc4475.h"

/* u is an absolute URI of another scheme: its name and its opaque part. */
static void assert_other_uri(const gosip_uri *u, const char *scheme, const char *opaque)
{
    assert_non_null(u);
    assert_int_equal(u->scheme, GOSIP_URI_OTHER);
    tu_assert_str(u->scheme_name, scheme);
    tu_assert_str(u->opaque, opaque);
}

static void check_unkscm(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_uri *ru = gosip_msg_request_uri(m);
    assert_other_uri(ru, "nobodyKnowsThisScheme", "totallyopaquecontent");
    assert_null(ru->host.p);
    assert_body_tail(m, data, len, 0);
}

static void check_novelsc(const gosip_msg *m, const char *data, size_t len)
{
    assert_other_uri(gosip_msg_request_uri(m), "soap.beep", "//192.0.2.103:3002");
    assert_body_tail(m, data, len, 0);
}

static void check_unksm2(const gosip_msg *m, const char *data, size_t len)
{
    assert_other_uri(gosip_msg_to(m)->uri, "isbn", "2983792873");
    const gosip_nameaddr *from = gosip_msg_from(m);
    assert_other_uri(from->uri, "http", "//www.example.com");
    tu_assert_str(from->tag, "3234233");
    assert_other_uri(gosip_msg_contact(m)->uri, "name", "John_Smith");
    assert_int_equal(gosip_msg_via(m)->port, 5060);
    assert_body_tail(m, data, len, 0);
}

static void check_cparam01(const gosip_msg *m, const char *data, size_t len)
{
    const gosip_nameaddr *c = gosip_msg_contact(m);
    assert_int_equal(c->bracketed, 0);
    tu_assert_sip_uri(c->uri, "+19725552222", "gw1.example.net", -1);
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
    tu_assert_sip_uri(c->uri, "+19725552222", "gw1.example.net", -1);
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
    tu_assert_sip_uri(u, "user", "example.com", -1);
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
    tu_assert_sip_uri(to->uri, "+16505552222", "ss1.example.net", -1);
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

static const file_check checks[] = {
    {"badbranch.dat", check_badbranch}, {"unkscm.dat", check_unkscm},
    {"novelsc.dat", check_novelsc},     {"unksm2.dat", check_unksm2},
    {"bext01.dat", check_bext01},       {"invut.dat", check_invut},
    {"regaut01.dat", check_regaut01},   {"bcast.dat", check_bcast},
    {"zeromf.dat", check_zeromf},       {"cparam01.dat", check_cparam01},
    {"cparam02.dat", check_cparam02},   {"regescrt.dat", check_regescrt},
    {"sdp01.dat", check_sdp01},         {"inv2543.dat", check_inv2543},
};

static void test_file(void **state)
{
    rfc4475_test_valid(state, checks, sizeof checks / sizeof checks[0]);
}

int main(void)
{
    return tu_run_dir_if("rfc4475_semantics", DIR_4475, ".dat", rfc4475_valid_semantics, test_file);
}
