/*
 * Parser fuzzer: parses the input as a datagram message and, when the first byte's low bit
 * is set, also splits it with the stream framer and parses each framed message; bit 1 adds
 * a sipfrag parse of the whole input. Every public accessor is then exercised and
 * cross-checked, and the printer must reproduce the consumed input of an unmodified message.
 */
#include <stdlib.h>
#include <string.h>

#include <gosip/msg.h>

#include "fuzz.h"
#include "fuzz_util.h"

static const char *const fuzz_extensions[] = {"100rel", "timer", "replaces", "path"};
static const char *const fuzz_content_types[] = {"application/sdp", "text/plain"};

/* ---------------------------------------------------------------- values */

static void check_params(const gosip_param *list)
{
    char name[64];

    for (const gosip_param *p = list; p; p = p->next) {
        if (p->name.n >= sizeof(name) || memchr(p->name.p, '\0', p->name.n))
            continue;
        memcpy(name, p->name.p, p->name.n);
        name[p->name.n] = '\0';
        /* The first match by name may be an earlier duplicate, never nothing. */
        const gosip_param *found = gosip_param_find(list, name);
        FUZZ_CHECK(found != NULL);
        FUZZ_CHECK(gosip_str_caseeq(found->name, p->name));
    }
}

static void check_unescape(gosip_str s)
{
    char buf[256];

    if (!s.p || s.n > sizeof(buf))
        return;
    gosip_ssize n = gosip_str_unescape(s, buf, s.n);
    FUZZ_CHECK(n >= 0 && (size_t)n <= s.n);
}

static void check_uri(const gosip_uri *u)
{
    size_t n = 0;

    if (!u)
        return;
    check_params(u->params);
    check_unescape(u->user);
    check_unescape(u->password);
    check_unescape(u->host);
    (void)gosip_uri_param(u, "transport");
    (void)gosip_uri_param(u, "lr");
    FUZZ_CHECK(gosip_uri_equal(u, u));
    free(fuzz_print_uri(u, &n));
}

/* Calls every typed view: at most the one matching the kind's shape may answer. */
static void check_views(const gosip_hdr *h, gosip_hdr_shape shape)
{
    const void *views[] = {
        [GOSIP_SHAPE_NAMEADDR] = gosip_hdr_nameaddr(h),
        [GOSIP_SHAPE_VIA] = gosip_hdr_via(h),
        [GOSIP_SHAPE_CSEQ] = gosip_hdr_cseq(h),
        [GOSIP_SHAPE_RACK] = gosip_hdr_rack(h),
        [GOSIP_SHAPE_UINT] = gosip_hdr_uint(h),
        [GOSIP_SHAPE_TOKEN] = gosip_hdr_token(h),
        [GOSIP_SHAPE_MEDIA] = gosip_hdr_media(h),
        [GOSIP_SHAPE_AUTH] = gosip_hdr_auth(h),
        [GOSIP_SHAPE_TEXT] = gosip_hdr_text(h),
        [GOSIP_SHAPE_WARNING] = gosip_hdr_warning(h),
        [GOSIP_SHAPE_DATE] = gosip_hdr_date(h),
        [GOSIP_SHAPE_TIMESTAMP] = gosip_hdr_timestamp(h),
        [GOSIP_SHAPE_EXTENSION] = gosip_hdr_ext(h),
    };

    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
        FUZZ_CHECK(views[i] == NULL || i == (size_t)shape);
    if (gosip_hdr_error(h) == 0 && shape > GOSIP_SHAPE_OPAQUE && shape < GOSIP_SHAPE_EXTENSION &&
        gosip_hdr_value(h).n > 0)
        FUZZ_CHECK(views[shape] != NULL);
}

static void check_typed(const gosip_hdr *h)
{
    const gosip_nameaddr *na = gosip_hdr_nameaddr(h);
    const gosip_via *via = gosip_hdr_via(h);
    const gosip_uint *ui = gosip_hdr_uint(h);
    const gosip_token *tk = gosip_hdr_token(h);
    const gosip_media *me = gosip_hdr_media(h);
    const gosip_auth *au = gosip_hdr_auth(h);

    if (na) {
        FUZZ_CHECK(na->uri != NULL || na->star);
        check_uri(na->uri);
        check_params(na->params);
    }
    if (via)
        check_params(via->params);
    if (ui)
        check_params(ui->params);
    if (tk)
        check_params(tk->params);
    if (me)
        check_params(me->params);
    if (au)
        check_params(au->params);
}

static void check_header(const gosip_msg *m, const gosip_hdr *h)
{
    gosip_hdr_kind kind = gosip_hdr_kind_of(h);
    gosip_str name = gosip_hdr_name(h);
    char small[8];

    /* A line without a colon is kept, nameless and flagged, so that it prints as received. */
    FUZZ_CHECK(name.p != NULL && (name.n > 0 || gosip_hdr_error(h) != 0));
    FUZZ_CHECK(gosip_hdr_value(h).p != NULL);
    check_views(h, kind == GOSIP_HDR_OTHER ? GOSIP_SHAPE_OPAQUE : gosip_hdr_kind_shape(kind));
    check_typed(h);
    if (kind != GOSIP_HDR_OTHER)
        FUZZ_CHECK(gosip_hdr_kind_from_name(name) == kind);
    if (name.n > 0) {
        const gosip_hdr *first = gosip_msg_hdr_by_name(m, name);
        FUZZ_CHECK(first != NULL && gosip_hdr_kind_of(first) == kind);
    }

    size_t n = gosip_hdr_print_value(h, small, sizeof(small));
    char *buf = malloc(n + 1);
    if (buf) {
        FUZZ_CHECK(gosip_hdr_print_value(h, buf, n + 1) == n);
        FUZZ_CHECK(buf[n] == '\0');
        free(buf);
    }
}

/* The per-kind index (first, count, next_same) must agree with the message-order walk. */
static void check_kind_index(const gosip_msg *m, gosip_hdr_kind kind, unsigned walked,
                             const gosip_hdr *first_walked)
{
    unsigned chained = 0;

    FUZZ_CHECK(gosip_msg_hdr(m, kind) == first_walked);
    FUZZ_CHECK(gosip_msg_hdr_count(m, kind) == walked);
    for (const gosip_hdr *h = first_walked; h; h = gosip_hdr_next_same(h)) {
        FUZZ_CHECK(gosip_hdr_kind_of(h) == kind);
        FUZZ_CHECK(++chained <= walked);
    }
    FUZZ_CHECK(chained == walked);
}

static void check_headers(const gosip_msg *m)
{
    unsigned count[GOSIP_HDR__BUILTIN_COUNT] = {0};
    const gosip_hdr *first[GOSIP_HDR__BUILTIN_COUNT] = {NULL};

    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h)) {
        gosip_hdr_kind kind = gosip_hdr_kind_of(h);
        check_header(m, h);
        if (kind > GOSIP_HDR_OTHER && kind < GOSIP_HDR__BUILTIN_COUNT) {
            if (!first[kind])
                first[kind] = h;
            count[kind]++;
        }
    }
    for (int k = GOSIP_HDR_OTHER + 1; k < GOSIP_HDR__BUILTIN_COUNT; k++)
        check_kind_index(m, (gosip_hdr_kind)k, count[k], first[k]);
}

/* ---------------------------------------------------------------- messages */

static void check_verdict(const gosip_msg *m, gosip_role role, const gosip_validate_opts *opts)
{
    gosip_verdict v;

    FUZZ_CHECK(gosip_msg_validate(m, role, opts, &v) == 0);
    FUZZ_CHECK(v.status == 0 || v.status == -1 || (v.status >= 100 && v.status <= 699));
    FUZZ_CHECK(v.detail != NULL && v.reason != NULL);
    FUZZ_CHECK(v.n_unsupported <= GOSIP_VERDICT_MAX_TAGS);
    if (!gosip_msg_is_request(m))
        FUZZ_CHECK(v.status <= 0);
    if (v.status == 420)
        FUZZ_CHECK(v.n_unsupported > 0);
    for (size_t i = 0; i < v.n_unsupported; i++)
        FUZZ_CHECK(v.unsupported[i].p != NULL && v.unsupported[i].n > 0);
}

static void check_validate(const gosip_msg *m)
{
    gosip_validate_opts opts;

    check_verdict(m, GOSIP_ROLE_UAS, NULL);
    check_verdict(m, GOSIP_ROLE_PROXY, NULL);
    memset(&opts, 0, sizeof(opts));
    opts.extensions = fuzz_extensions;
    opts.n_extensions = sizeof(fuzz_extensions) / sizeof(fuzz_extensions[0]);
    opts.content_types = fuzz_content_types;
    opts.n_content_types = sizeof(fuzz_content_types) / sizeof(fuzz_content_types[0]);
    opts.registrar = 1;
    check_verdict(m, GOSIP_ROLE_UAS, &opts);
    check_verdict(m, GOSIP_ROLE_PROXY, &opts);
}

static void check_start_line(const gosip_msg *m)
{
    if (gosip_msg_is_request(m)) {
        gosip_method method = gosip_msg_method(m);
        FUZZ_CHECK(gosip_msg_method_name(m).n > 0);
        FUZZ_CHECK(method == gosip_method_from_str(gosip_msg_method_name(m)));
        FUZZ_CHECK(gosip_msg_status(m) == 0);
        check_uri(gosip_msg_request_uri(m));
    } else {
        /* Status-Code is 3DIGIT: out-of-range codes parse and are left to validation. */
        FUZZ_CHECK(gosip_msg_status(m) >= 0 && gosip_msg_status(m) <= 999);
        (void)gosip_msg_reason(m);
        (void)gosip_reason_phrase(gosip_msg_status(m));
    }
    FUZZ_CHECK(!gosip_msg_is_fragment(m));
    (void)gosip_msg_version(m);
}

static void check_shortcuts(const gosip_msg *m)
{
    (void)gosip_msg_via(m);
    (void)gosip_msg_from(m);
    (void)gosip_msg_to(m);
    (void)gosip_msg_contact(m);
    (void)gosip_msg_cseq(m);
    (void)gosip_msg_call_id(m);
    int mf = gosip_msg_max_forwards(m);
    FUZZ_CHECK(mf >= -1 && mf <= 255);
    FUZZ_CHECK(gosip_msg_mem_used(m) > 0);
}

static void check_multipart(const gosip_multipart *mp, unsigned depth)
{
    FUZZ_CHECK(depth <= GOSIP_DEFAULT_MAX_BODY_DEPTH);
    FUZZ_CHECK(mp->n_parts <= GOSIP_DEFAULT_MAX_BODY_PARTS);
    for (size_t i = 0; i < mp->n_parts; i++) {
        const gosip_body_part *part = &mp->parts[i];
        if (part->headers)
            check_headers(part->headers);
        if (part->nested)
            check_multipart(part->nested, depth + 1);
    }
}

static void parse_sipfrag(const uint8_t *data, size_t size);

static void check_body(gosip_msg *m)
{
    const gosip_multipart *mp = NULL;
    gosip_str body = gosip_msg_body(m);

    if (gosip_msg_multipart(m, &mp) == 0 && mp)
        check_multipart(mp, 1);
    const gosip_hdr *ct = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE);
    const gosip_media *media = ct ? gosip_hdr_media(ct) : NULL;
    if (media && body.p && gosip_str_caseeq_cstr(media->subtype, "sipfrag"))
        parse_sipfrag((const uint8_t *)body.p, body.n);
}

static void check_message(gosip_msg *m)
{
    check_start_line(m);
    check_headers(m);
    check_shortcuts(m);
    check_validate(m);
    check_body(m);
}

/*
 * An unmodified message prints exactly the bytes it was parsed from: in a datagram, after
 * any leading CRLFs and up to the end of the body (later octets are ignored); a framed
 * stream message entirely.
 */
static void check_print(const gosip_msg *m, const uint8_t *data, size_t size, int stream)
{
    size_t n = 0, lead = 0;
    char *out = fuzz_print_msg(m, &n);

    if (!out)
        return;
    while (lead < size && (data[lead] == '\r' || data[lead] == '\n'))
        lead++;
    size_t off = stream ? 0 : lead;
    FUZZ_CHECK(n <= size - off);
    FUZZ_CHECK(memcmp(out, data + off, n) == 0);
    if (gosip_msg_defect(m, NULL) == 0) {
        gosip_str body = gosip_msg_body(m);
        FUZZ_CHECK(body.n <= n);
        FUZZ_CHECK(body.n == 0 || memcmp(out + n - body.n, body.p, body.n) == 0);
        if (stream || !gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH))
            FUZZ_CHECK(off + n == size);
    }
    free(out);
}

static void check_refused(const uint8_t *data, size_t size, const gosip_parse_error *err)
{
    gosip_verdict v;

    FUZZ_CHECK(gosip_parse_error_verdict(data, size, err, &v) == 0);
    FUZZ_CHECK(v.status == -1 || (v.status >= 100 && v.status <= 699));
    FUZZ_CHECK(v.detail != NULL);
}

static void parse_one(const uint8_t *data, size_t size, gosip_framing framing)
{
    gosip_parse_opts opts = {NULL, NULL, NULL, framing};
    gosip_parse_error err;
    gosip_msg *m = NULL;

    memset(&err, 0, sizeof(err));
    if (gosip_msg_parse(&m, data, size, &opts, &err) != 0) {
        FUZZ_CHECK(err.code < 0 && err.reason != NULL);
        check_refused(data, size, &err);
        return;
    }
    FUZZ_CHECK(m != NULL);
    check_message(m);
    check_print(m, data, size, framing == GOSIP_FRAMING_STREAM);
    gosip_msg_unref(m);
}

/* A sipfrag prints exactly as given; without a start line it is no message to validate. */
static void parse_sipfrag(const uint8_t *data, size_t size)
{
    gosip_msg *frag = NULL;
    gosip_verdict v;
    size_t n = 0;

    if (gosip_sipfrag_parse(&frag, data, size, NULL) != 0)
        return;
    FUZZ_CHECK(frag != NULL);
    check_headers(frag);
    int rc = gosip_msg_validate(frag, GOSIP_ROLE_UAS, NULL, &v);
    if (gosip_msg_is_fragment(frag))
        FUZZ_CHECK(rc == GOSIP_ERR_INVALID_ARG && v.status == -1);
    else
        FUZZ_CHECK(rc == 0);
    char *out = fuzz_print_msg(frag, &n);
    if (out) {
        FUZZ_CHECK(n == size && memcmp(out, data, size) == 0);
        free(out);
    }
    gosip_msg_unref(frag);
}

/* ---------------------------------------------------------------- stream framing */

/*
 * Feeds the framer growing prefixes of the buffer, as a connection delivers it: the first
 * answer other than "need more" must be the one the whole buffer gives at once.
 */
static void check_incremental(const uint8_t *data, size_t size, size_t step, int want,
                              size_t want_skip, size_t want_len)
{
    gosip_framer fr = {0};
    size_t skip = 0, len = 0;
    int rc = 0;

    if (step < size / 128)
        step = size / 128;
    for (size_t have = step; rc == 0; have += step) {
        if (have > size)
            have = size;
        rc = gosip_framer_next(&fr, data, have, NULL, &skip, &len);
        if (have == size)
            break;
    }
    FUZZ_CHECK(rc == want);
    if (rc == 1)
        FUZZ_CHECK(skip == want_skip && len == want_len);
}

static void frame_stream(const uint8_t *data, size_t size, size_t step)
{
    size_t pos = 0;

    for (int guard = 0; pos < size && guard < 64; guard++) {
        gosip_framer fr = {0};
        size_t skip = 0, len = 0;
        int rc = gosip_framer_next(&fr, data + pos, size - pos, NULL, &skip, &len);
        FUZZ_CHECK(rc == 0 || rc == 1 || rc == GOSIP_ERR_FRAMING || rc == GOSIP_ERR_TOO_LARGE);
        check_incremental(data + pos, size - pos, step, rc, skip, len);
        if (rc != 1)
            return;
        FUZZ_CHECK(skip <= size - pos && len <= size - pos - skip);
        FUZZ_CHECK(skip + len > 0);
        parse_one(data + pos + skip, len, GOSIP_FRAMING_STREAM);
        pos += skip + len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_one(data, size, GOSIP_FRAMING_DATAGRAM);
    /* The selector byte stays part of the message, so that seed messages keep working. */
    if (size > 0 && (data[0] & 1))
        frame_stream(data, size, 1 + (size_t)(data[0] >> 2));
    if (size > 0 && (data[0] & 2))
        parse_sipfrag(data, size);
    return 0;
}
