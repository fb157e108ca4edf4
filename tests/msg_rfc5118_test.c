/*
 * RFC 5118 IPv6 torture messages (testdata/rfc5118) against the parser and printer.
 *
 * wire/ holds the on-the-wire form of the 12 messages: each is one test, judged by the
 * verdict of RFC 5118 section 4 (testdata/README.md) with its host fields checked.
 * archive/ holds the RFC's own LF-only text: it must read the same.
 */
#include "testutil.h"

#define DIR_WIRE TU_DATA("rfc5118/wire")
#define DIR_ARCHIVE TU_DATA("rfc5118/archive")

typedef void (*check_fn)(const gosip_msg *m);

typedef struct expect {
    const char *file;
    int valid;      /* 0: invalid, answered with `status` */
    int status;     /* UAS verdict */
    size_t body;    /* body octets */
    check_fn check; /* the fields RFC 5118 is about */
} expect;

static void assert_host(gosip_str host, gosip_host_type type, int port, const char *want_host,
                        gosip_host_type want_type, int want_port)
{
    tu_assert_str(host, want_host);
    assert_int_equal(type, want_type);
    assert_int_equal(port, want_port);
}

static void assert_ruri(const gosip_msg *m, const char *user, const char *host, int port)
{
    const gosip_uri *u = gosip_msg_request_uri(m);
    tu_assert_sip_uri(u, user, host, port);
    assert_int_equal(u->host_type, host[0] == '[' ? GOSIP_HOST_IPV6 : GOSIP_HOST_NAME);
}

static const gosip_via *via_at(const gosip_msg *m, size_t i)
{
    const gosip_via *v = gosip_hdr_via(tu_hdr_kind_nth(m, GOSIP_HDR_VIA, i));
    assert_non_null(v);
    return v;
}

static void assert_via(const gosip_msg *m, size_t i, const char *host, gosip_host_type type,
                       int port)
{
    const gosip_via *v = via_at(m, i);
    assert_host(v->host, v->host_type, v->port, host, type, port);
}

static void assert_contact_host(const gosip_msg *m, const char *host)
{
    const gosip_nameaddr *c = gosip_msg_contact(m);
    assert_non_null(c);
    assert_host(c->uri->host, c->uri->host_type, c->uri->port, host, GOSIP_HOST_IPV6, -1);
}

static void assert_to_host(const gosip_msg *m, const char *host)
{
    const gosip_uri *to = gosip_msg_to(m)->uri;
    assert_host(to->host, to->host_type, to->port, host, GOSIP_HOST_IPV6, -1);
}

/* Nonzero when the body holds the text (memmem is not C11). */
static int body_has(const gosip_msg *m, const char *text)
{
    gosip_str b = gosip_msg_body(m);
    size_t n = strlen(text);
    for (size_t i = 0; b.p && i + n <= b.n; i++)
        if (memcmp(b.p + i, text, n) == 0)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- per message */

static void check_ipv6_good(const gosip_msg *m)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_REGISTER);
    assert_ruri(m, NULL, "[2001:db8::10]", -1);
    assert_via(m, 0, "[2001:db8::9:1]", GOSIP_HOST_IPV6, -1);
    assert_contact_host(m, "[2001:db8::1]");
    tu_assert_str(gosip_msg_contact(m)->uri->user, "caller");
}

static void check_ipv6_bad(const gosip_msg *m)
{
    /* 2001:db8::10 without [] is no host: the Request-URI is malformed */
    assert_null(gosip_msg_request_uri(m));
    gosip_parse_error e;
    assert_int_not_equal(gosip_msg_defect(m, &e), 0);
    assert_int_equal(e.status, 400);
    /* the rest is intact, so the 400 can be built from it */
    assert_via(m, 0, "[2001:db8::9:1]", GOSIP_HOST_IPV6, -1);
    assert_contact_host(m, "[2001:db8::1]");
}

static void check_port_ambiguous(const gosip_msg *m)
{
    /* well-formed, but 5070 is the last group of the address, not a port */
    assert_ruri(m, NULL, "[2001:db8::10:5070]", -1);
}

static void check_port_unambiguous(const gosip_msg *m)
{
    assert_ruri(m, NULL, "[2001:db8::10]", 5070);
}

static void check_received_delim(const gosip_msg *m)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_BYE);
    assert_ruri(m, NULL, "[2001:db8::10]", -1);
    assert_via(m, 0, "[2001:db8::9:1]", GOSIP_HOST_IPV6, -1);
    tu_assert_str(via_at(m, 0)->received, "[2001:db8::9:255]");
    tu_assert_str(via_at(m, 0)->branch, "z9hG4bKas3-111");
}

static void check_received_no_delim(const gosip_msg *m)
{
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_OPTIONS);
    assert_via(m, 0, "[2001:db8::9:1]", GOSIP_HOST_IPV6, -1);
    tu_assert_str(via_at(m, 0)->received, "2001:db8::9:255");
    tu_assert_str(via_at(m, 0)->branch, "z9hG4bKas3");
    assert_contact_host(m, "[2001:db8::9:1]");
}

static void check_ipv6_in_sdp(const gosip_msg *m)
{
    assert_ruri(m, "user", "[2001:db8::10]", -1);
    assert_via(m, 0, "[2001:db8::20]", GOSIP_HOST_IPV6, -1);
    assert_contact_host(m, "[2001:db8::20]");
    assert_to_host(m, "[2001:db8::10]");
    assert_true(body_has(m, "c=IN IP6 2001:db8::20\r\n"));
}

static void check_mult_ip_in_header(const gosip_msg *m)
{
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 3);
    assert_via(m, 0, "[2001:db8::9:1]", GOSIP_HOST_IPV6, 6050);
    assert_via(m, 1, "192.0.2.1", GOSIP_HOST_IPV4, -1);
    assert_via(m, 2, "[2001:db8::9:255]", GOSIP_HOST_IPV6, -1);
    tu_assert_str(via_at(m, 2)->transport, "TCP");
    tu_assert_str(via_at(m, 2)->received, "192.0.2.200");
    assert_ruri(m, "user", "host.example.net", -1);
}

static void check_mult_ip_in_sdp(const gosip_msg *m)
{
    assert_ruri(m, "user", "[2001:db8::10]", -1);
    assert_contact_host(m, "[2001:db8::9:1]");
    assert_true(body_has(m, "c=IN IP4 192.0.2.1\r\n"));
    assert_true(body_has(m, "c=IN IP6 2001:db8::1\r\n"));
}

static void check_ipv4_mapped(const gosip_msg *m)
{
    assert_int_equal(gosip_msg_hdr_count(m, GOSIP_HDR_VIA), 2);
    assert_via(m, 0, "[::ffff:192.0.2.10]", GOSIP_HOST_IPV6, 19823);
    assert_via(m, 1, "[::ffff:192.0.2.2]", GOSIP_HOST_IPV6, -1);
    assert_contact_host(m, "[::ffff:192.0.2.2]");
    tu_assert_str(gosip_msg_contact(m)->display, "\"T. desk phone\"");
}

/* RFC 5118 4.10: the Request-URI and To of the two ABNF messages hold the same host. */
static void assert_abnf_hosts(const gosip_msg *m, const char *host)
{
    assert_ruri(m, "user", host, -1);
    assert_to_host(m, host);
}

static void check_abnf_3_colons(const gosip_msg *m)
{
    /* RFC 3261's IPv6reference grammar admits the third colon: tolerated */
    assert_abnf_hosts(m, "[2001:db8:::192.0.2.1]");
}

static void check_abnf_2_colons(const gosip_msg *m)
{
    assert_abnf_hosts(m, "[2001:db8::192.0.2.1]");
}

static const expect expects[] = {
    {"ipv4-mapped-ipv6.sip", 1, 0, 245, check_ipv4_mapped},
    {"ipv6-bad.sip", 0, 400, 0, check_ipv6_bad},
    {"ipv6-bug-abnf-3-colons.sip", 1, 0, 0, check_abnf_3_colons},
    {"ipv6-correct-abnf-2-colons.sip", 1, 0, 0, check_abnf_2_colons},
    {"ipv6-good.sip", 1, 0, 0, check_ipv6_good},
    {"ipv6-in-sdp.sip", 1, 0, 251, check_ipv6_in_sdp},
    {"mult-ip-in-header.sip", 1, 0, 0, check_mult_ip_in_header},
    {"mult-ip-in-sdp.sip", 1, 0, 189, check_mult_ip_in_sdp},
    {"port-ambiguous.sip", 1, 0, 0, check_port_ambiguous},
    {"port-unambiguous.sip", 1, 0, 0, check_port_unambiguous},
    {"via-received-param-no-delim.sip", 1, 0, 0, check_received_no_delim},
    {"via-received-param-with-delim.sip", 1, 0, 0, check_received_delim},
};

#define N_EXPECTS (sizeof expects / sizeof expects[0])

static const expect *find_expect(const char *file)
{
    for (size_t i = 0; i < N_EXPECTS; i++)
        if (strcmp(expects[i].file, file) == 0)
            return &expects[i];
    return NULL;
}

static void test_wire(void **state)
{
    char *data;
    size_t len;
    const expect *e = find_expect(tu_case_read(state, &data, &len)->name);
    gosip_msg *m;
    assert_int_equal(tu_parse(data, len, GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    if (e && e->valid)
        tu_assert_prints_as(m, data, len); /* unmodified, it prints exactly as received */
    else
        tu_assert_prints_prefix(m, data, len);
    if (e) {
        assert_int_equal(gosip_msg_defect(m, NULL) == 0, e->valid);
        assert_int_equal(gosip_msg_body(m).n, e->body);
        e->check(m);
        assert_int_equal(tu_verdict(m, GOSIP_ROLE_UAS, NULL, NULL), e->status);
    }
    gosip_msg_unref(m);
    if (e && e->valid)
        tu_roundtrip_modified(data, len);
    free(data);
}

/* ---------------------------------------------------------------- other tests */

static void test_all_files_present(void **state)
{
    (void)state;
    TU_ASSERT_DIR_HOLDS(DIR_WIRE, ".sip", 12, expects, N_EXPECTS, file);
}

static gosip_uri *uri(const char *text)
{
    gosip_uri *u = NULL;
    assert_int_equal(gosip_uri_new(&u, tu_mem_tracked(), gosip_str_from_cstr(text)), 0);
    return u;
}

/* RFC 5118 4.3/4.4: the two Request-URIs differ; hex digits compare case-insensitively. */
static void test_uri_comparison(void **state)
{
    (void)state;
    gosip_msg *amb = tu_load(DIR_WIRE, "port-ambiguous.sip");
    gosip_msg *unamb = tu_load(DIR_WIRE, "port-unambiguous.sip");
    assert_false(gosip_uri_equal(gosip_msg_request_uri(amb), gosip_msg_request_uri(unamb)));
    gosip_uri *a = uri("sip:[2001:db8::10]:5070"), *b = uri("sip:[2001:DB8::10]:5070");
    gosip_uri *c = uri("sip:[2001:db8::10:5070]");
    assert_true(gosip_uri_equal(gosip_msg_request_uri(unamb), a));
    assert_true(gosip_uri_equal(a, b));
    assert_true(gosip_uri_equal(gosip_msg_request_uri(amb), c));
    assert_false(gosip_uri_equal(a, c));
    gosip_uri *bad = NULL;
    assert_int_equal(gosip_uri_new(&bad, tu_mem_tracked(), GOSIP_STR("sip:2001:db8::10")),
                     GOSIP_ERR_PARSE);
    assert_null(bad);
    gosip_uri_free(a);
    gosip_uri_free(b);
    gosip_uri_free(c);
    gosip_msg_unref(amb);
    gosip_msg_unref(unamb);
}

/* The core header fields of two readings of one message agree. */
static void assert_same_core(const gosip_msg *a, const gosip_msg *b)
{
    assert_int_equal(gosip_msg_method(a), gosip_msg_method(b));
    tu_assert_uri_equal(gosip_msg_request_uri(a), gosip_msg_request_uri(b));
    assert_int_equal(tu_hdr_total(a), tu_hdr_total(b));
    assert_int_equal(gosip_msg_hdr_count(a, GOSIP_HDR_VIA), gosip_msg_hdr_count(b, GOSIP_HDR_VIA));
    for (size_t i = 0; i < gosip_msg_hdr_count(a, GOSIP_HDR_VIA); i++)
        tu_assert_via_equal(via_at(a, i), via_at(b, i));
    tu_assert_nameaddr_equal(gosip_msg_from(a), gosip_msg_from(b));
    tu_assert_nameaddr_equal(gosip_msg_to(a), gosip_msg_to(b));
    if (gosip_msg_contact(a) || gosip_msg_contact(b))
        tu_assert_nameaddr_equal(gosip_msg_contact(a), gosip_msg_contact(b));
    tu_assert_same(gosip_msg_call_id(a), gosip_msg_call_id(b));
    assert_int_equal(gosip_msg_cseq(a)->seq, gosip_msg_cseq(b)->seq);
}

/*
 * The archive's LF-only text (RFC 3261 7.5 asks receivers to accept bare LF) reads as
 * the wire form. Two archive files declare a Content-Length beyond their body: a defect.
 */
static void test_archive_lf(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EXPECTS; i++) {
        char name[64];
        size_t n = strlen(expects[i].file) - 4; /* drop ".sip" */
        assert_true(n < sizeof name);
        memcpy(name, expects[i].file, n);
        name[n] = '\0';
        gosip_msg *wire = tu_load(DIR_WIRE, expects[i].file), *arch = tu_load(DIR_ARCHIVE, name);
        int cl_beyond = strcmp(name, "ipv6-in-sdp") == 0 || strcmp(name, "mult-ip-in-sdp") == 0;
        gosip_parse_error e;
        int d = gosip_msg_defect(arch, &e);
        if (cl_beyond) {
            assert_int_not_equal(d, 0);
            assert_int_equal(e.kind, GOSIP_HDR_CONTENT_LENGTH);
        } else {
            assert_int_equal(d == 0, expects[i].valid);
        }
        if (expects[i].valid)
            assert_same_core(wire, arch);
        gosip_msg_unref(arch);
        gosip_msg_unref(wire);
    }
}

int main(void)
{
    static const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_all_files_present),
        cmocka_unit_test(test_uri_comparison),
        cmocka_unit_test(test_archive_lf),
    };
    int failed = tu_run_dir("rfc5118_wire", DIR_WIRE, ".sip", test_wire);
    failed += cmocka_run_group_tests_name("rfc5118_other", extra, NULL, NULL);
    return failed;
}
