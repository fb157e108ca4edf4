/*
 * Message factories: new requests (RFC 3261 8.1.1), responses (8.2.6), CANCEL (9.1) and
 * the ACK of a non-2xx final response (17.1.1.3), built with the public mutators.
 */
#define _DEFAULT_SOURCE /* getrandom() */

#include <gosip/msg.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "msg/msg_internal.h" /* only for the allocator a request was made with */

/* 5 bits a character: tags 50 bits (RFC 3261 19.3 asks 32), Call-ID 130 (asked: 128). */
#define TAG_LEN 10
#define BRANCH_LEN 16
#define CALL_ID_LEN 26
#define COOKIE "z9hG4bK"

static const char alphabet[32] = "abcdefghijklmnopqrstuvwxyz234567";

/* Last resort when the kernel has no getrandom() and /dev/urandom cannot be read. */
static void weak_fill(unsigned char *p, size_t n)
{
    uint64_t x = (uint64_t)(uintptr_t)p ^ (uint64_t)(uintptr_t)&x ^ 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i++) {
        x += 0x9e3779b97f4a7c15u;
        uint64_t z = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        p[i] = (unsigned char)(z ^ (z >> 31));
    }
}

static void system_random(void *buf, size_t len, void *ud)
{
    unsigned char *p = buf;
    size_t got = 0;
    (void)ud;
    while (got < len) {
        ssize_t r = getrandom(p + got, len - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (r < 0 && errno != EINTR)
            break;
    }
    if (got == len)
        return;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        got += fread(p + got, 1, len - got, f);
        fclose(f);
    }
    if (got < len)
        weak_fill(p + got, len - got);
}

void gosip_random_token(char *buf, size_t len, gosip_random_fn fn, void *ud)
{
    unsigned char raw[512]; /* a stack's whole tag pool in one system call */
    if (!buf)
        return;
    if (!fn)
        fn = system_random;
    while (len) {
        size_t n = len < sizeof raw ? len : sizeof raw;
        memset(raw, 0, n);
        fn(raw, n, ud);
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[raw[i] & 31];
        buf += n;
        len -= n;
    }
}

/* ---------------------------------------------------------------- building blocks */

/* Joins parts into memory owned by m; the mutators copy it again, a few bytes per message. */
static gosip_str join(gosip_msg *m, const gosip_str *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].n > SIZE_MAX / 2 - len)
            return GOSIP_STR_NULL;
        len += parts[i].n;
    }
    char *p = gosip_msg_alloc(m, len ? len : 1);
    if (!p)
        return GOSIP_STR_NULL;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].n)
            memcpy(p + at, parts[i].p, parts[i].n);
        at += parts[i].n;
    }
    return (gosip_str){p, len};
}

/* Decimal text of v in buf (at least 11 bytes). */
static gosip_str fmt_u32(char *buf, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return (gosip_str){buf, n};
}

static int add_kind(gosip_msg *m, gosip_hdr_kind kind, gosip_str value, const gosip_hdr **out)
{
    return gosip_msg_add_hdr_kind(m, kind, value, GOSIP_WHERE_APPEND, NULL, out);
}

static int add_number(gosip_msg *m, gosip_hdr_kind kind, uint32_t v)
{
    char buf[11];
    return add_kind(m, kind, fmt_u32(buf, v), NULL);
}

static int add_cseq(gosip_msg *m, uint32_t seq, gosip_str method)
{
    char buf[11];
    gosip_str parts[] = {fmt_u32(buf, seq), GOSIP_STR(" "), method};
    gosip_str v = join(m, parts, 3);
    return v.p ? add_kind(m, GOSIP_HDR_CSEQ, v, NULL) : GOSIP_ERR_NOMEM;
}

/* Copies the first header of a kind; INVALID_ARG when it is missing or malformed. */
static int copy_first(gosip_msg *m, const gosip_msg *src, gosip_hdr_kind kind,
                      const gosip_hdr **out)
{
    const gosip_hdr *h = gosip_msg_hdr(src, kind);
    if (!h || gosip_hdr_error(h))
        return GOSIP_ERR_INVALID_ARG;
    return gosip_msg_copy_hdr(m, h, GOSIP_WHERE_APPEND, NULL, out);
}

/* Responses copy headers that are mostly never read again: their parse waits. */
static int copy_first_lazy(gosip_msg *m, const gosip_msg *src, gosip_hdr_kind kind)
{
    const gosip_hdr *h = gosip_msg_hdr(src, kind);
    if (!h || gosip_hdr_error(h))
        return GOSIP_ERR_INVALID_ARG;
    return gosip__msg_copy_hdr_lazy(m, h, NULL);
}

static int copy_vias_lazy(gosip_msg *m, const gosip_msg *src)
{
    for (const gosip_hdr *h = gosip_msg_hdr(src, GOSIP_HDR_VIA); h; h = gosip_hdr_next_same(h)) {
        int err = gosip_hdr_error(h);
        int rc = err == GOSIP_ERR_NOMEM ? err : err ? 0 : gosip__msg_copy_hdr_lazy(m, h, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

/* Copies every well-formed header of a kind, in order. */
static int copy_all(gosip_msg *m, const gosip_msg *src, gosip_hdr_kind kind)
{
    for (const gosip_hdr *h = gosip_msg_hdr(src, kind); h; h = gosip_hdr_next_same(h)) {
        /* a malformed one is left out; one whose deferred parse ran out of memory is not */
        int err = gosip_hdr_error(h);
        int rc = err == GOSIP_ERR_NOMEM ? err
                 : err                  ? 0
                                        : gosip_msg_copy_hdr(m, h, GOSIP_WHERE_APPEND, NULL, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int finish(gosip_msg *m, int rc, gosip_msg **out)
{
    if (!rc)
        rc = gosip_msg_set_body(m, GOSIP_STR_NULL, NULL, 0);
    if (rc) {
        gosip_msg_unref(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---------------------------------------------------------------- requests */

static gosip_str spec_method(const gosip_request_spec *s)
{
    if (s->method != GOSIP_METHOD_UNKNOWN)
        return gosip_str_from_cstr(gosip_method_name(s->method));
    return s->method_name;
}

static int spec_ok(const gosip_request_spec *s)
{
    gosip_str method = spec_method(s);
    return method.p && method.n && s->request_uri.p && s->from.p && s->to.p && s->via_host.p &&
           s->via_host.n && s->via_port <= 65535 && s->max_forwards <= 255;
}

static int add_via(gosip_msg *m, const gosip_request_spec *s)
{
    char branch[BRANCH_LEN], port[11];
    gosip_random_token(branch, sizeof branch, s->random, s->random_ud);
    gosip_str transport =
        s->via_transport.p && s->via_transport.n ? s->via_transport : GOSIP_STR("UDP");
    gosip_str parts[] = {
        GOSIP_STR("SIP/2.0/"),
        transport,
        GOSIP_STR(" "),
        s->via_host,
        s->via_port > 0 ? GOSIP_STR(":") : GOSIP_STR(""),
        s->via_port > 0 ? fmt_u32(port, (uint32_t)s->via_port) : GOSIP_STR(""),
        GOSIP_STR(";branch=" COOKIE),
        {branch, sizeof branch},
        GOSIP_STR(";rport"),
    };
    gosip_str v = join(m, parts, sizeof parts / sizeof parts[0]);
    return v.p ? add_kind(m, GOSIP_HDR_VIA, v, NULL) : GOSIP_ERR_NOMEM;
}

static int add_from(gosip_msg *m, const gosip_request_spec *s)
{
    const gosip_hdr *h = NULL;
    int rc = add_kind(m, GOSIP_HDR_FROM, s->from, &h);
    if (rc)
        return rc;
    const gosip_nameaddr *na = gosip_hdr_nameaddr(h);
    if (na && na->tag.p)
        return 0;
    char tag[TAG_LEN];
    gosip_random_token(tag, sizeof tag, s->random, s->random_ud);
    return gosip_msg_set_param(m, h, GOSIP_STR("tag"), (gosip_str){tag, sizeof tag}, 0);
}

static int add_call_id(gosip_msg *m, const gosip_request_spec *s)
{
    if (s->call_id.p)
        return add_kind(m, GOSIP_HDR_CALL_ID, s->call_id, NULL);
    char id[CALL_ID_LEN];
    gosip_random_token(id, sizeof id, s->random, s->random_ud);
    int host = s->call_id_host.p && s->call_id_host.n;
    gosip_str parts[] = {{id, sizeof id},
                         host ? GOSIP_STR("@") : GOSIP_STR(""),
                         host ? s->call_id_host : GOSIP_STR("")};
    gosip_str v = join(m, parts, 3);
    return v.p ? add_kind(m, GOSIP_HDR_CALL_ID, v, NULL) : GOSIP_ERR_NOMEM;
}

int gosip_msg_new_request(gosip_msg **out, const gosip_mem *mem, const gosip_request_spec *spec)
{
    if (!out || !spec || !spec_ok(spec))
        return GOSIP_ERR_INVALID_ARG;
    gosip_msg *m = NULL;
    int rc = gosip_msg_new(&m, mem);
    if (rc)
        return rc;
    gosip_str method = spec_method(spec);
    rc = gosip_msg_set_request_line(m, method, spec->request_uri);
    if (!rc)
        rc = add_via(m, spec);
    if (!rc)
        rc = add_number(m, GOSIP_HDR_MAX_FORWARDS,
                        spec->max_forwards < 0 ? 70u : (uint32_t)spec->max_forwards);
    if (!rc)
        rc = add_kind(m, GOSIP_HDR_TO, spec->to, NULL);
    if (!rc)
        rc = add_from(m, spec);
    if (!rc)
        rc = add_call_id(m, spec);
    if (!rc)
        rc = add_cseq(m, spec->cseq ? spec->cseq : 1u, method);
    if (!rc && spec->contact.p)
        rc = add_kind(m, GOSIP_HDR_CONTACT, spec->contact, NULL);
    return finish(m, rc, out);
}

/* ---------------------------------------------------------------- responses */

static int copy_to(gosip_msg *r, const gosip_msg *req, int status, gosip_str to_tag)
{
    const gosip_hdr *src = gosip_msg_hdr(req, GOSIP_HDR_TO), *to = NULL;
    if (!src || gosip_hdr_error(src))
        return 0;
    int rc = gosip_msg_copy_hdr(r, src, GOSIP_WHERE_APPEND, NULL, &to);
    if (rc)
        return rc;
    const gosip_nameaddr *na = gosip_hdr_nameaddr(to);
    if (!na && gosip_hdr_error(to))
        return gosip_hdr_error(to); /* its deferred parse ran out of memory */
    /* RFC 3261 8.2.6.2: a 100 (Trying) may go without the tag. */
    if (status > 100 && to_tag.p && to_tag.n && na && !na->tag.p)
        rc = gosip_msg_set_param(r, to, GOSIP_STR("tag"), to_tag, 0);
    return rc;
}

int gosip_msg_new_response(gosip_msg **out, const gosip_msg *req, int status, gosip_str reason,
                           gosip_str to_tag)
{
    if (!out || !req || !gosip_msg_is_request(req) || gosip_msg_is_fragment(req) ||
        gosip_msg_method(req) == GOSIP_METHOD_ACK || status < 100 || status > 699)
        return GOSIP_ERR_INVALID_ARG;
    gosip_msg *r = NULL;
    int rc = gosip_msg_new(&r, req->arena.mem);
    if (rc)
        return rc;
    rc = gosip_msg_set_status_line(r, status, reason);
    if (!rc)
        rc = copy_vias_lazy(r, req);
    if (!rc && gosip_msg_from(req))
        rc = copy_first_lazy(r, req, GOSIP_HDR_FROM);
    if (!rc)
        rc = copy_to(r, req, status, to_tag);
    if (!rc && gosip_msg_call_id(req).p)
        rc = copy_first_lazy(r, req, GOSIP_HDR_CALL_ID);
    if (!rc && gosip_msg_cseq(req))
        rc = copy_first_lazy(r, req, GOSIP_HDR_CSEQ);
    const gosip_hdr *ts = gosip_msg_hdr(req, GOSIP_HDR_TIMESTAMP);
    if (!rc && ts && !gosip_hdr_error(ts))
        rc = gosip_msg_copy_hdr(r, ts, GOSIP_WHERE_APPEND, NULL, NULL);
    if (!rc)
        r->origin = req->origin;
    return finish(r, rc, out);
}

/* ---------------------------------------------------------------- CANCEL and ACK */

/*
 * What CANCEL and ACK share: the original Request-URI, top Via, Route set, From, Call-ID
 * and CSeq number with the new method, Max-Forwards 70, and To taken from to_src (the
 * request for a CANCEL, the response for an ACK).
 */
static int derive(gosip_msg *m, const gosip_msg *orig, gosip_str method, const gosip_msg *to_src)
{
    const gosip_uri *ru = gosip_msg_request_uri(orig);
    const gosip_cseq *cs = gosip_msg_cseq(orig);
    if (!ru || !ru->raw.p || !cs || !gosip_msg_via(orig))
        return GOSIP_ERR_INVALID_ARG;
    int rc = gosip_msg_set_request_line(m, method, ru->raw);
    if (!rc)
        rc = copy_first(m, orig, GOSIP_HDR_VIA, NULL);
    if (!rc)
        rc = add_number(m, GOSIP_HDR_MAX_FORWARDS, 70);
    if (!rc)
        rc = copy_all(m, orig, GOSIP_HDR_ROUTE);
    if (!rc)
        rc = copy_first(m, to_src, GOSIP_HDR_TO, NULL);
    if (!rc)
        rc = copy_first(m, orig, GOSIP_HDR_FROM, NULL);
    if (!rc)
        rc = copy_first(m, orig, GOSIP_HDR_CALL_ID, NULL);
    if (!rc)
        rc = add_cseq(m, cs->seq, method);
    return rc;
}

int gosip_msg_new_cancel(gosip_msg **out, const gosip_msg *req)
{
    if (!out || !req || !gosip_msg_is_request(req) || gosip_msg_is_fragment(req))
        return GOSIP_ERR_INVALID_ARG;
    gosip_method method = gosip_msg_method(req);
    if (method == GOSIP_METHOD_ACK || method == GOSIP_METHOD_CANCEL)
        return GOSIP_ERR_INVALID_ARG;
    gosip_msg *m = NULL;
    int rc = gosip_msg_new(&m, req->arena.mem);
    if (rc)
        return rc;
    return finish(m, derive(m, req, GOSIP_STR("CANCEL"), req), out);
}

int gosip_msg_new_ack(gosip_msg **out, const gosip_msg *invite, const gosip_msg *response)
{
    if (!out || !invite || !response || !gosip_msg_is_request(invite) ||
        gosip_msg_method(invite) != GOSIP_METHOD_INVITE || gosip_msg_is_request(response) ||
        gosip_msg_is_fragment(response) || gosip_msg_status(response) < 300 ||
        gosip_msg_status(response) > 699)
        return GOSIP_ERR_INVALID_ARG;
    gosip_msg *m = NULL;
    int rc = gosip_msg_new(&m, invite->arena.mem);
    if (rc)
        return rc;
    return finish(m, derive(m, invite, GOSIP_STR("ACK"), response), out);
}
