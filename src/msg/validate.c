/*
 * What a receiver must do with a message (RFC 3261 8.1.3.3, 8.2, 16.3; the verdicts of
 * RFC 4475), and the error response that goes with a verdict. Uses the public API only.
 */
#include <gosip/msg.h>

#include <string.h>

/* Who received the message, and whether it is a request. */
typedef enum check_ctx {
    CTX_UAS,       /* request at a user agent server or registrar */
    CTX_PROXY,     /* request at a proxy */
    CTX_UAC,       /* response at a user agent client */
    CTX_PROXY_RESP /* response at a proxy */
} check_ctx;

typedef struct hdr_details {
    const char *missing, *malformed, *repeated, *unbracketed;
} hdr_details;

/* Built from the kind table so that every detail sentence is a static string. */
#define DETAILS(kind, name, compact)                                                               \
    [GOSIP_HDR_##kind] = {"missing " name " header", "malformed " name " header",                  \
                          "more than one " name " header",                                         \
                          name " URI has headers ('?') but is not enclosed in <>"},
static const hdr_details details[GOSIP_HDR__BUILTIN_COUNT] = {GOSIP_HDR_MAP(DETAILS)};
#undef DETAILS

static const gosip_validate_opts default_opts;

static int fail(gosip_verdict *v, int status, const char *detail, gosip_hdr_kind kind)
{
    v->status = status;
    v->reason = status > 0 ? gosip_reason_phrase(status) : "";
    v->detail = detail;
    v->hdr = kind;
    return 1;
}

/*
 * Headers whose defects stop processing in a context. Anything else malformed is ignored,
 * as RFC 3261 8.2.2 and 16.3 step 1 ask (a bad Date must not cost a call).
 */
static int needed(gosip_hdr_kind k, check_ctx c)
{
    switch (k) {
    case GOSIP_HDR_VIA:
    case GOSIP_HDR_FROM:
    case GOSIP_HDR_TO:
    case GOSIP_HDR_CALL_ID:
    case GOSIP_HDR_CSEQ:
    case GOSIP_HDR_CONTENT_LENGTH:
        return 1;
    case GOSIP_HDR_MAX_FORWARDS:
    case GOSIP_HDR_PROXY_REQUIRE:
    case GOSIP_HDR_ROUTE:
        return c == CTX_PROXY;
    case GOSIP_HDR_REQUIRE:
    case GOSIP_HDR_CONTENT_TYPE:
    case GOSIP_HDR_CONTENT_ENCODING:
    case GOSIP_HDR_CONTENT_DISPOSITION:
    case GOSIP_HDR_ACCEPT:
        return c == CTX_UAS;
    case GOSIP_HDR_CONTACT:
    case GOSIP_HDR_RECORD_ROUTE:
        return c == CTX_UAS || c == CTX_UAC;
    default:
        return 0;
    }
}

static int single_valued(gosip_hdr_kind k)
{
    return k == GOSIP_HDR_CALL_ID || k == GOSIP_HDR_FROM || k == GOSIP_HDR_TO ||
           k == GOSIP_HDR_CSEQ || k == GOSIP_HDR_CONTENT_LENGTH || k == GOSIP_HDR_MAX_FORWARDS ||
           k == GOSIP_HDR_CONTENT_TYPE || k == GOSIP_HDR_CONTENT_DISPOSITION;
}

static const char *detail_malformed(gosip_hdr_kind k)
{
    return (unsigned)k < GOSIP_HDR__BUILTIN_COUNT && details[k].malformed ? details[k].malformed
                                                                          : "malformed header";
}

/* NULL when h is usable, else why not. */
static const char *hdr_problem(const gosip_hdr *h)
{
    gosip_hdr_kind k = gosip_hdr_kind_of(h);
    if (gosip_hdr_error(h))
        return detail_malformed(k);
    if (gosip_hdr_kind_shape(k) == GOSIP_SHAPE_NAMEADDR) {
        const gosip_nameaddr *na = gosip_hdr_nameaddr(h);
        if (!na)
            return detail_malformed(k);
        /* RFC 3261 20.10: a URI with headers ('?') must be in <> (RFC 4475 regbadct). */
        if (!na->bracketed && na->uri && na->uri->headers.p)
            return details[k].unbracketed;
    }
    return NULL;
}

static int check_version(const gosip_msg *m, gosip_verdict *v, int is_req)
{
    gosip_str ver = gosip_msg_version(m);
    if (gosip_str_caseeq(ver, GOSIP_STR("SIP/2.0")))
        return 0;
    if (ver.n >= 4 && gosip_str_caseeq((gosip_str){ver.p, 4}, GOSIP_STR("SIP/")))
        return fail(v, is_req ? 505 : -1, "unsupported SIP version", GOSIP_HDR_OTHER);
    return fail(v, is_req ? 400 : -1, "malformed SIP-Version in the start line", GOSIP_HDR_OTHER);
}

/* The parser's first defect, unless it lies in a header this context may ignore. */
static int check_defect(const gosip_msg *m, check_ctx c, gosip_verdict *v, int is_req)
{
    gosip_parse_error e;
    memset(&e, 0, sizeof e);
    if (!gosip_msg_defect(m, &e))
        return 0;
    if (e.code == GOSIP_ERR_PARSE && e.kind != GOSIP_HDR_OTHER && !needed(e.kind, c))
        return 0;
    int status = 400;
    if (e.status >= 100 && e.status <= 699)
        status = e.status;
    else if (e.code == GOSIP_ERR_TOO_LARGE)
        status = 513;
    const char *why = e.reason ? e.reason : gosip_strerror(e.code);
    /* Naming the header says more than the parser's generic sentence for a bad value. */
    if (e.code == GOSIP_ERR_PARSE && e.kind != GOSIP_HDR_OTHER &&
        (unsigned)e.kind < GOSIP_HDR__BUILTIN_COUNT)
        why = detail_malformed(e.kind);
    return fail(v, is_req ? status : -1, why, e.kind);
}

/* Missing, malformed and repeated core headers (RFC 4475 insuf, badinv01, multi01...). */
static int check_headers(const gosip_msg *m, check_ctx c, gosip_verdict *v, int bad)
{
    static const gosip_hdr_kind mandatory[] = {GOSIP_HDR_VIA, GOSIP_HDR_FROM, GOSIP_HDR_TO,
                                               GOSIP_HDR_CALL_ID, GOSIP_HDR_CSEQ};
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++)
        if (!gosip_msg_hdr(m, mandatory[i]))
            return fail(v, bad, details[mandatory[i]].missing, mandatory[i]);
    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h)) {
        gosip_hdr_kind k = gosip_hdr_kind_of(h);
        const char *why = needed(k, c) ? hdr_problem(h) : NULL;
        if (why)
            return fail(v, bad, why, k);
    }
    for (unsigned k = 1; k < GOSIP_HDR__BUILTIN_COUNT; k++) {
        gosip_hdr_kind kind = (gosip_hdr_kind)k;
        if (single_valued(kind) && needed(kind, c) && gosip_msg_hdr_count(m, kind) > 1)
            return fail(v, bad, details[k].repeated, kind);
    }
    const gosip_hdr *cl = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_LENGTH);
    const gosip_uint *len = cl ? gosip_hdr_uint(cl) : NULL;
    if (len && len->value > gosip_msg_body(m).n)
        return fail(v, bad, "Content-Length is larger than the body received",
                    GOSIP_HDR_CONTENT_LENGTH);
    return 0;
}

/* Syntax a request needs whoever receives it. */
static int check_request_syntax(const gosip_msg *m, check_ctx c, gosip_verdict *v)
{
    if (check_defect(m, c, v, 1) || check_version(m, v, 1))
        return 1;
    if (!gosip_msg_request_uri(m))
        return fail(v, 400, "malformed Request-URI", GOSIP_HDR_OTHER);
    if (check_headers(m, c, v, 400))
        return 1;
    const gosip_via *via = gosip_msg_via(m);
    /* The cookie alone identifies no transaction (RFC 4475 badbranch): refuse statelessly. */
    if (via && gosip_str_caseeq(via->branch, GOSIP_STR("z9hG4bK")))
        return fail(v, 400, "top Via branch is the magic cookie z9hG4bK with no identifier",
                    GOSIP_HDR_VIA);
    return 0;
}

static int cseq_matches(const gosip_msg *m)
{
    const gosip_cseq *cs = gosip_msg_cseq(m);
    if (!cs)
        return 0;
    if (cs->method_name.p)
        return gosip_str_eq(cs->method_name, gosip_msg_method_name(m));
    return cs->method != GOSIP_METHOD_UNKNOWN && cs->method == gosip_msg_method(m);
}

static int listed(const char *const *list, size_t n, gosip_str s)
{
    for (size_t i = 0; list && i < n; i++)
        if (list[i] && gosip_str_caseeq_cstr(s, list[i]))
            return 1;
    return 0;
}

static gosip_str token_of(const gosip_hdr *h)
{
    const gosip_token *t = gosip_hdr_token(h);
    return t ? t->token : gosip_hdr_value(h);
}

/* Collects the option tags of `kind` headers that opts does not list; nonzero when any. */
static int collect_unsupported(const gosip_msg *m, gosip_hdr_kind kind,
                               const gosip_validate_opts *o, gosip_verdict *v)
{
    for (const gosip_hdr *h = gosip_msg_hdr(m, kind); h; h = gosip_hdr_next_same(h)) {
        gosip_str tag = token_of(h);
        int dup = 0;
        if (!tag.n || listed(o->extensions, o->n_extensions, tag))
            continue;
        for (size_t i = 0; i < v->n_unsupported && !dup; i++)
            dup = gosip_str_caseeq(v->unsupported[i], tag);
        if (dup)
            continue;
        if (v->n_unsupported == GOSIP_VERDICT_MAX_TAGS) {
            v->flags |= GOSIP_VERDICT_TAGS_TRUNCATED;
            continue;
        }
        v->unsupported[v->n_unsupported++] = tag;
    }
    return v->n_unsupported > 0;
}

static int scheme_supported(const gosip_uri *u)
{
    return u->scheme == GOSIP_URI_SIP || u->scheme == GOSIP_URI_SIPS || u->scheme == GOSIP_URI_TEL;
}

static int method_allowed(const gosip_validate_opts *o, gosip_method method)
{
    if (!o->methods || method == GOSIP_METHOD_ACK || method == GOSIP_METHOD_CANCEL)
        return 1;
    for (size_t i = 0; i < o->n_methods; i++)
        if (o->methods[i] == method)
            return 1;
    return 0;
}

/* Either side may be a "*" wildcard; an empty range (empty Accept) matches nothing. */
static int media_match(gosip_str t1, gosip_str s1, gosip_str t2, gosip_str s2)
{
    static const gosip_str star = {"*", 1};
    if (!t1.n || !s1.n || !t2.n || !s2.n)
        return 0;
    int type_ok = gosip_str_eq(t1, star) || gosip_str_eq(t2, star) || gosip_str_caseeq(t1, t2);
    int sub_ok = gosip_str_eq(s1, star) || gosip_str_eq(s2, star) || gosip_str_caseeq(s1, s2);
    return type_ok && sub_ok;
}

/* Whether a "type/subtype" of the opts list matches type/subtype. */
static int media_listed(const gosip_validate_opts *o, gosip_str type, gosip_str sub)
{
    for (size_t i = 0; i < o->n_content_types; i++) {
        const char *e = o->content_types[i];
        const char *slash = e ? strchr(e, '/') : NULL;
        if (!slash)
            continue;
        gosip_str et = {e, (size_t)(slash - e)};
        gosip_str es = gosip_str_from_cstr(slash + 1);
        if (media_match(et, es, type, sub))
            return 1;
    }
    return 0;
}

/* RFC 3261 20.11: a body marked handling=optional may be ignored instead of refused. */
static int body_optional(const gosip_msg *m)
{
    const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_DISPOSITION);
    const gosip_token *t = h ? gosip_hdr_token(h) : NULL;
    const gosip_param *p = t ? gosip_param_find(t->params, "handling") : NULL;
    return p && gosip_str_caseeq(p->value, GOSIP_STR("optional"));
}

/* RFC 3261 8.2.3. */
static int check_content(const gosip_msg *m, const gosip_validate_opts *o, gosip_verdict *v)
{
    if (gosip_msg_body(m).n == 0 || body_optional(m))
        return 0;
    const gosip_hdr *ct = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE);
    if (!ct)
        return fail(v, 400, "message has a body but no Content-Type header",
                    GOSIP_HDR_CONTENT_TYPE);
    const gosip_media *mt = gosip_hdr_media(ct);
    if (o->content_types && (!mt || !media_listed(o, mt->type, mt->subtype)))
        return fail(v, 415, "Content-Type of the body is not supported", GOSIP_HDR_CONTENT_TYPE);
    for (const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_ENCODING); h;
         h = gosip_hdr_next_same(h)) {
        gosip_str coding = token_of(h);
        if (!gosip_str_caseeq(coding, GOSIP_STR("identity")) &&
            !listed(o->encodings, o->n_encodings, coding))
            return fail(v, 415, "Content-Encoding of the body is not supported",
                        GOSIP_HDR_CONTENT_ENCODING);
    }
    return 0;
}

/* RFC 4475 sdp01: the answer to an INVITE must be of a type its Accept allows. */
static int check_accept(const gosip_msg *m, const gosip_validate_opts *o, gosip_verdict *v)
{
    const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_ACCEPT);
    if (!o->content_types || !h || gosip_msg_method(m) != GOSIP_METHOD_INVITE)
        return 0;
    for (; h; h = gosip_hdr_next_same(h)) {
        const gosip_media *r = gosip_hdr_media(h);
        if (r && media_listed(o, r->type, r->subtype))
            return 0;
    }
    return fail(v, 406, "Accept excludes every content type this UAS can answer with",
                GOSIP_HDR_ACCEPT);
}

/* What a UAS and a proxy both check: the CSeq method (400) and the Request-URI scheme (416). */
static int check_target(const gosip_msg *m, gosip_verdict *v)
{
    if (!cseq_matches(m))
        return fail(v, 400, "CSeq method does not match the request method", GOSIP_HDR_CSEQ);
    if (!scheme_supported(gosip_msg_request_uri(m)))
        return fail(v, 416, "Request-URI scheme is not supported", GOSIP_HDR_OTHER);
    return 0;
}

/* RFC 3261 8.2.1 to 8.2.3, in the order 8.2 asks for. */
static void check_uas(const gosip_msg *m, const gosip_validate_opts *o, gosip_verdict *v)
{
    gosip_method method = gosip_msg_method(m);
    if (method == GOSIP_METHOD_UNKNOWN) {
        fail(v, 501, "request method is not implemented by this UAS", GOSIP_HDR_OTHER);
        return;
    }
    if (!method_allowed(o, method)) {
        fail(v, 405, "request method is not allowed by this UAS", GOSIP_HDR_OTHER);
        return;
    }
    if (check_target(m, v))
        return;
    const gosip_nameaddr *to = gosip_msg_to(m);
    if (o->registrar && method == GOSIP_METHOD_REGISTER &&
        (!to || !to->uri ||
         (to->uri->scheme != GOSIP_URI_SIP && to->uri->scheme != GOSIP_URI_SIPS))) {
        fail(v, 400, "To of a REGISTER is not a SIP or SIPS URI", GOSIP_HDR_TO);
        return;
    }
    if (method != GOSIP_METHOD_ACK && method != GOSIP_METHOD_CANCEL &&
        collect_unsupported(m, GOSIP_HDR_REQUIRE, o, v)) {
        fail(v, 420, "Require lists option tags this UAS does not support", GOSIP_HDR_REQUIRE);
        return;
    }
    if (check_content(m, o, v))
        return;
    check_accept(m, o, v);
}

/* RFC 3261 16.3 steps 1 to 5 (loop detection and step 6 belong to the proxy core). */
static void check_proxy(const gosip_msg *m, const gosip_validate_opts *o, gosip_verdict *v)
{
    gosip_method method = gosip_msg_method(m);
    if (check_target(m, v))
        return;
    if (gosip_msg_max_forwards(m) == 0) {
        fail(v, 483, "Max-Forwards is 0: the request must not be forwarded",
             GOSIP_HDR_MAX_FORWARDS);
        if (method == GOSIP_METHOD_OPTIONS)
            v->flags |= GOSIP_VERDICT_MAY_ANSWER;
        return;
    }
    if (method != GOSIP_METHOD_ACK && method != GOSIP_METHOD_CANCEL &&
        collect_unsupported(m, GOSIP_HDR_PROXY_REQUIRE, o, v))
        fail(v, 420, "Proxy-Require lists option tags this proxy does not support",
             GOSIP_HDR_PROXY_REQUIRE);
}

static void check_response(const gosip_msg *m, check_ctx c, gosip_verdict *v)
{
    int status = gosip_msg_status(m);
    if (check_defect(m, c, v, 0) || check_version(m, v, 0))
        return;
    if (status < 100 || status > 699) {
        fail(v, -1, "response status code is outside 100..699", GOSIP_HDR_OTHER);
        return;
    }
    if (check_headers(m, c, v, -1))
        return;
    /* RFC 3261 8.1.3.3: more Vias than ours means misrouted or corrupted (RFC 4475 bcast). */
    if (c == CTX_UAC && gosip_msg_hdr_count(m, GOSIP_HDR_VIA) > 1)
        fail(v, -1, "response to a UAC carries more than one Via", GOSIP_HDR_VIA);
}

int gosip_msg_validate(const gosip_msg *m, gosip_role role, const gosip_validate_opts *opts,
                       gosip_verdict *out)
{
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    fail(out, 0, "no problem found", GOSIP_HDR_OTHER);
    if (!m || (role != GOSIP_ROLE_UAS && role != GOSIP_ROLE_PROXY) || gosip_msg_is_fragment(m)) {
        fail(out, -1, "not a SIP request or response", GOSIP_HDR_OTHER);
        return GOSIP_ERR_INVALID_ARG;
    }
    const gosip_validate_opts *o = opts ? opts : &default_opts;
    if (!gosip_msg_is_request(m)) {
        check_response(m, role == GOSIP_ROLE_UAS ? CTX_UAC : CTX_PROXY_RESP, out);
        return 0;
    }
    check_ctx c = role == GOSIP_ROLE_UAS ? CTX_UAS : CTX_PROXY;
    if (!check_request_syntax(m, c, out)) {
        if (c == CTX_UAS)
            check_uas(m, o, out);
        else
            check_proxy(m, o, out);
    }
    /* Nobody answers an ACK (RFC 3261 17.2.1): failures are dropped, the detail stays. */
    if (out->status > 0 && gosip_msg_method(m) == GOSIP_METHOD_ACK) {
        out->status = -1;
        out->reason = "";
        out->flags &= ~GOSIP_VERDICT_MAY_ANSWER;
    }
    return 0;
}

int gosip_parse_error_verdict(const void *data, size_t len, const gosip_parse_error *err,
                              gosip_verdict *out)
{
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!err) {
        fail(out, -1, "no parse error given", GOSIP_HDR_OTHER);
        return GOSIP_ERR_INVALID_ARG;
    }
    const char *p = data;
    size_t i = 0;
    /* RFC 3261 7.5: CRLFs before the start line are ignored. */
    while (p && i < len && (p[i] == '\r' || p[i] == '\n'))
        i++;
    int is_resp = p && len - i >= 4 && gosip_str_caseeq((gosip_str){p + i, 4}, GOSIP_STR("SIP/"));
    int status = err->status;
    if (status < 100 || status > 699)
        status = err->code == GOSIP_ERR_TOO_LARGE ? 513 : -1;
    const char *why = err->reason ? err->reason : gosip_strerror(err->code);
    fail(out, is_resp ? -1 : status, why, err->kind);
    return 0;
}

/* ---------------------------------------------------------------- error responses */

/* Inserts before Content-Length so that it stays the last header, as is customary. */
static int add_before_length(gosip_msg *r, gosip_hdr_kind kind, gosip_str value)
{
    const gosip_hdr *cl = gosip_msg_hdr(r, GOSIP_HDR_CONTENT_LENGTH);
    return gosip_msg_add_hdr_kind(r, kind, value, cl ? GOSIP_WHERE_BEFORE : GOSIP_WHERE_APPEND, cl,
                                  NULL);
}

static int add_allow(gosip_msg *r, const gosip_validate_opts *o)
{
    char buf[256];
    size_t n = 0;
    unsigned seen = 0;
    size_t count = o->methods ? o->n_methods : (size_t)GOSIP_METHOD_UPDATE;
    for (size_t i = 0; i < count; i++) {
        gosip_method mt = o->methods ? o->methods[i] : (gosip_method)(i + 1);
        const char *name = gosip_method_name(mt);
        size_t len = name ? strlen(name) : 0;
        if (!len || mt >= 32 || (seen & (1u << mt)) || n + len + 2 > sizeof buf)
            continue;
        seen |= 1u << mt;
        if (n) {
            memcpy(buf + n, ", ", 2);
            n += 2;
        }
        memcpy(buf + n, name, len);
        n += len;
    }
    return n ? add_before_length(r, GOSIP_HDR_ALLOW, (gosip_str){buf, n}) : 0;
}

static int add_list(gosip_msg *r, gosip_hdr_kind kind, const char *const *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        int rc = list[i] ? add_before_length(r, kind, gosip_str_from_cstr(list[i])) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

static int add_error_headers(gosip_msg *r, const gosip_verdict *v, const gosip_validate_opts *o)
{
    int rc = 0;
    switch (v->status) {
    case 405:
    case 501:
        return add_allow(r, o);
    case 420:
        for (size_t i = 0; i < v->n_unsupported && i < GOSIP_VERDICT_MAX_TAGS && !rc; i++)
            rc = add_before_length(r, GOSIP_HDR_UNSUPPORTED, v->unsupported[i]);
        return rc;
    case 415:
        if (v->hdr == GOSIP_HDR_CONTENT_ENCODING) {
            rc = add_before_length(r, GOSIP_HDR_ACCEPT_ENCODING, GOSIP_STR("identity"));
            return rc ? rc : add_list(r, GOSIP_HDR_ACCEPT_ENCODING, o->encodings, o->n_encodings);
        }
        return add_list(r, GOSIP_HDR_ACCEPT, o->content_types, o->n_content_types);
    default:
        return 0;
    }
}

int gosip_msg_new_error_response(gosip_msg **out, const gosip_msg *req, const gosip_verdict *v,
                                 const gosip_validate_opts *opts, gosip_str to_tag)
{
    if (!out || !req || !v || v->status < 300 || v->status > 699)
        return GOSIP_ERR_INVALID_ARG;
    gosip_str reason = v->reason && *v->reason ? gosip_str_from_cstr(v->reason) : GOSIP_STR_NULL;
    gosip_msg *r = NULL;
    int rc = gosip_msg_new_response(&r, req, v->status, reason, to_tag);
    if (rc)
        return rc;
    rc = add_error_headers(r, v, opts ? opts : &default_opts);
    if (rc) {
        gosip_msg_unref(r);
        return rc;
    }
    *out = r;
    return 0;
}
