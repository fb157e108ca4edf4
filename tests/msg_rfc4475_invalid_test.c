/*
 * RFC 4475 torture messages that are not simply well-formed, against the parser, the
 * printer and request validation: the malformed ones (section 3.1.2), the semantically
 * wrong ones (3.3), the liberal readings (parse-and-accept with the interpretation checked
 * below, or reject with one of the RFC's statuses), and any file the verdict table of
 * tu_rfc4475.h does not name, run with the "must not break" policy so that new torture
 * messages are picked up. Each file is one test.
 */
#include "tu_rfc4475.h"

/* ---------------------------------------------------------------- liberal readings */

static void check_lwsstart(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    assert_int_equal(gosip_msg_method(m), GOSIP_METHOD_INVITE);
    tu_assert_sip_uri(gosip_msg_request_uri(m), "user", "example.com", -1);
    tu_assert_str(gosip_msg_version(m), "SIP/2.0");
}

static void check_trws(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    tu_assert_sip_uri(gosip_msg_request_uri(m), "remote-target", "example.com", -1);
    tu_assert_str(gosip_msg_version(m), "SIP/2.0"); /* trailing SP not part of it */
}

static void check_escruri(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const gosip_uri *ru = gosip_msg_request_uri(m);
    tu_assert_sip_uri(ru, "user", "example.com", -1);
    tu_assert_str(ru->headers, "Route=%3Csip:example.com%3E");
    assert_null(gosip_msg_hdr(m, GOSIP_HDR_ROUTE)); /* never turned into a real header */
}

static void check_regbadct(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const gosip_uri *u = gosip_msg_contact(m)->uri;
    tu_assert_sip_uri(u, "user", "example.com", -1);
    tu_assert_str(u->headers, "Route=%3Csip:sip.example.com%3E");
}

static void check_badaspec(const gosip_msg *m, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const gosip_nameaddr *to = gosip_msg_to(m);
    tu_assert_str(to->display, "\"Watson, Thomas\"");
    tu_assert_sip_uri(to->uri, "t.watson", "example.org", -1);
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

static const file_check checks[] = {
    {"lwsstart.dat", check_lwsstart}, {"trws.dat", check_trws},
    {"escruri.dat", check_escruri},   {"regbadct.dat", check_regbadct},
    {"badaspec.dat", check_badaspec}, {"baddate.dat", check_baddate},
};

#define N_CHECKS (sizeof checks / sizeof checks[0])

static const expect no_verdict = {"(new file)", "-", V_NONE, 0, {0}, 0, {0}, 0, 0};

/* ---------------------------------------------------------------- running one file */

/* Accepted by the liberal reading, or rejected with one of its statuses. */
static void judge_liberal(const expect *e, const gosip_msg *m, int defect, int v, const char *data,
                          size_t len)
{
    check_fn check = find_check(checks, N_CHECKS, e->file);
    assert_non_null(check); /* every liberal reading has its interpretation checked */
    if (!defect || e->ignorable)
        check(m, data, len);
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
    tu_verdict(m, GOSIP_ROLE_UAS, NULL, &v);
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
        tu_assert_prints_prefix(m, data, len);
    else
        tu_assert_prints_as(m, data, len);
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
        tu_assert_prints_prefix(m, data, len);
        gosip_verdict v;
        tu_verdict(m, GOSIP_ROLE_UAS, NULL, &v);
        tu_verdict(m, GOSIP_ROLE_PROXY, NULL, &v);
        gosip_msg_unref(m);
    }
}

static void test_file(void **state)
{
    char *data;
    size_t len;
    const expect *e = find_expect(tu_case_read(state, &data, &len)->name);
    if (!e)
        e = &no_verdict;
    if (e->v == V_NONE)
        run_no_verdict(data, len);
    else
        run_rejectable(e, data, len);
    free(data);
}

int main(void)
{
    return tu_run_dir_if("rfc4475_invalid", DIR_4475, ".dat", rfc4475_not_valid, test_file);
}
