/* Message parser: start line, header block, body framing (RFC 3261 7, 18.3, 25). */
#include "msg/msg_internal.h"

static void set_err(gosip_parse_error *err, int code, int status, const char *reason, size_t offset)
{
    if (!err)
        return;
    err->code = code;
    err->status = status;
    err->reason = reason;
    err->offset = offset;
    err->kind = GOSIP_HDR_OTHER;
}

/* End of the line starting at p (the LF, or end), and the end of its content (before CR). */
static const char *line_end(const char *p, const char *end, const char **content_end)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    const char *e = lf ? lf : end;
    *content_end = (e > p && e[-1] == '\r') ? e - 1 : e;
    return e;
}

static int is_sip_version(gosip_str v)
{
    if (v.n < 7 || !gosip__ieq_lit(v.p, 4, "sip/", 4))
        return 0;
    const char *p = v.p + 4, *end = v.p + v.n;
    uint32_t x;
    p = gosip__parse_u32(p, end, 999, &x);
    if (!p || p == end || *p != '.')
        return 0;
    p = gosip__parse_u32(p + 1, end, 999, &x);
    return p == end;
}

static int version_is_2_0(gosip_str v)
{
    return v.n == 7 && gosip__ieq_lit(v.p, 4, "sip/", 4) && memcmp(v.p + 4, "2.0", 3) == 0;
}

static void check_version(gosip_msg *m, size_t offset)
{
    if (version_is_2_0(m->version))
        return;
    if (!is_sip_version(m->version))
        gosip__msg_defect(m, GOSIP_ERR_PARSE, 400, "malformed SIP-Version", offset,
                          GOSIP_HDR_OTHER);
    else
        gosip__msg_defect(m, GOSIP_ERR_PARSE, 505, "SIP version not supported", offset,
                          GOSIP_HDR_OTHER);
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase. Extra SP between the version
 * and the code is tolerated in responses (published examples carry it). */
static int parse_status_line(gosip_msg *m, const char *p, const char *end)
{
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp)
        return GOSIP_ERR_PARSE;
    m->type = GOSIP__MSG_RESPONSE;
    m->version = gosip__mkstr(p, sp);
    check_version(m, 0);
    const char *q = sp;
    while (q < end && *q == ' ')
        q++;
    uint32_t code = 0;
    const char *c_end = gosip__parse_u32(q, end, UINT32_MAX, &code);
    if (!c_end || c_end - q != 3 || code < 100 || code > 699 || (c_end < end && *c_end != ' ')) {
        gosip__msg_defect(m, GOSIP_ERR_PARSE, 0, "malformed or out-of-range status code",
                          (size_t)(q - p), GOSIP_HDR_OTHER);
        m->status = 0;
        m->reason = gosip__mkstr(end, end);
        return 0;
    }
    m->status = (int)code;
    m->reason = gosip__mkstr(c_end < end ? c_end + 1 : end, end);
    return 0;
}

/* Request-Line = Method SP Request-URI SP SIP-Version (single spaces, RFC 4475 3.1.2.9). */
static int parse_request_line(gosip_msg *m, const char *p, const char *end)
{
    const char *m_end = gosip__skip_token(p, end);
    const char *last_sp = end;
    while (last_sp > p && last_sp[-1] != ' ')
        last_sp--;
    if (m_end == p || m_end == end || *m_end != ' ' || last_sp <= m_end + 1)
        return GOSIP_ERR_PARSE;
    m->type = GOSIP__MSG_REQUEST;
    m->method_name = gosip__mkstr(p, m_end);
    m->method = gosip_method_from_str(m->method_name);
    m->version = gosip__mkstr(last_sp, end);
    const char *u = m_end + 1, *u_end = last_sp - 1;
    m->ruri_text = gosip__mkstr(u, u_end);
    if (!version_is_2_0(m->version) && !is_sip_version(m->version)) {
        gosip__msg_defect(m, GOSIP_ERR_PARSE, 400, "malformed Request-Line", 0, GOSIP_HDR_OTHER);
        return 0;
    }
    check_version(m, (size_t)(last_sp - p));
    if (memchr(u, ' ', (size_t)(u_end - u)) || u == u_end || *u == ' ') {
        gosip__msg_defect(m, GOSIP_ERR_PARSE, 400, "extra whitespace in Request-Line",
                          (size_t)(u - p), GOSIP_HDR_OTHER);
        return 0;
    }
    m->ruri_pending = 1; /* parsed on first access, like header values */
    return 0;
}

void gosip__msg_ensure_ruri(const gosip_msg *cm)
{
    if (!cm->ruri_pending)
        return;
    gosip_msg *m = (gosip_msg *)cm;
    m->ruri_pending = 0;
    gosip__pctx c = {&m->arena, &m->limits};
    gosip_uri *uri = gosip__arena_alloc(&m->arena, sizeof *uri);
    int rc = uri ? gosip__uri_parse(&c, m->ruri_text.p, m->ruri_text.n, uri) : GOSIP_ERR_NOMEM;
    size_t at = gosip__msg_offset(m, m->ruri_text.p);
    if (rc == GOSIP_ERR_LIMIT && m->ruri_text.n > m->limits.max_uri_len)
        gosip__msg_defect(m, rc, 414, "Request-URI too long", at, GOSIP_HDR_OTHER);
    else if (rc == GOSIP_ERR_LIMIT)
        gosip__msg_defect(m, rc, 400, "too many Request-URI parameters", at, GOSIP_HDR_OTHER);
    else if (rc)
        gosip__msg_defect(m, rc, rc == GOSIP_ERR_NOMEM ? 500 : 400, "malformed Request-URI", at,
                          GOSIP_HDR_OTHER);
    else
        m->ruri = uri;
}

static int parse_start_line(gosip_msg *m, const char *p, const char *end)
{
    m->start_line = gosip__mkstr(p, end);
    if ((size_t)(end - p) > m->limits.max_line_len)
        return GOSIP_ERR_LIMIT;
    if (end - p >= 4 && gosip__ieq_lit(p, 4, "sip/", 4))
        return parse_status_line(m, p, end);
    return parse_request_line(m, p, end);
}

/* Datagram body framing (RFC 3261 18.3): Content-Length wins; without it the rest of the
 * datagram is the body; octets past it are ignored. */
static void frame_datagram_body(gosip_msg *m, const char *body, const char *end)
{
    const gosip_hdr *cl = m->by_kind[GOSIP_HDR_CONTENT_LENGTH];
    size_t avail = (size_t)(end - body);
    if (!cl || !cl->parsed) {
        m->body = gosip__mkstr(body, end);
        return;
    }
    size_t want = ((const gosip_uint *)cl->parsed)->value;
    if (m->cl_repeated)
        gosip__msg_defect(m, GOSIP_ERR_FRAMING, 400, "several Content-Length headers",
                          gosip__msg_offset(m, cl->value.p), GOSIP_HDR_CONTENT_LENGTH);
    if (want > avail) {
        gosip__msg_defect(m, GOSIP_ERR_FRAMING, 400, "Content-Length larger than the message",
                          gosip__msg_offset(m, body), GOSIP_HDR_CONTENT_LENGTH);
        want = avail;
    }
    m->body = gosip__mkstr(body, body + want);
}

static int frame_stream_body(gosip_msg *m, const char *body, const char *end)
{
    const gosip_hdr *cl = m->by_kind[GOSIP_HDR_CONTENT_LENGTH];
    if (!cl || !cl->parsed || m->cl_repeated)
        return GOSIP_ERR_FRAMING;
    size_t want = ((const gosip_uint *)cl->parsed)->value;
    if (want > (size_t)(end - body))
        return GOSIP_ERR_FRAMING;
    m->body = gosip__mkstr(body, body + want);
    return 0;
}

static int parse_into(gosip_msg *m, const char *p, const char *end, gosip_framing framing,
                      gosip_parse_error *err)
{
    const char *sl_content;
    const char *sl_end = line_end(p, end, &sl_content);
    int rc = parse_start_line(m, p, sl_content);
    if (rc) {
        set_err(err, rc, 0, rc == GOSIP_ERR_LIMIT ? "start line too long" : "not a SIP message", 0);
        return rc;
    }
    const char *hdrs = sl_end < end ? sl_end + 1 : end;
    const char *body;
    rc = gosip__parse_header_block(m, hdrs, end, &body);
    if (rc) {
        set_err(err, rc, 400,
                rc == GOSIP_ERR_LIMIT ? "too many headers or header too long" : "out of memory",
                (size_t)(hdrs - p));
        return rc;
    }
    if (!body && framing == GOSIP_FRAMING_STREAM) {
        set_err(err, GOSIP_ERR_FRAMING, 400, "header block not terminated", (size_t)(end - p));
        return GOSIP_ERR_FRAMING;
    }
    if (!body)
        body = end;
    if (framing == GOSIP_FRAMING_STREAM) {
        if (frame_stream_body(m, body, end)) {
            set_err(err, GOSIP_ERR_FRAMING, 400, "missing or invalid Content-Length",
                    (size_t)(body - p));
            return GOSIP_ERR_FRAMING;
        }
    } else {
        frame_datagram_body(m, body, end);
    }
    m->raw = gosip__mkstr(p, m->body.p + m->body.n);
    return 0;
}

void gosip_msg_limits_default(gosip_msg_limits *lim)
{
    lim->max_msg_size = GOSIP_DEFAULT_MAX_MSG_SIZE;
    lim->max_headers = GOSIP_DEFAULT_MAX_HEADERS;
    lim->max_vias = GOSIP_DEFAULT_MAX_VIAS;
    lim->max_uri_len = GOSIP_DEFAULT_MAX_URI_LEN;
    lim->max_line_len = GOSIP_DEFAULT_MAX_LINE_LEN;
    lim->max_params = GOSIP_DEFAULT_MAX_PARAMS;
    lim->max_body_depth = GOSIP_DEFAULT_MAX_BODY_DEPTH;
    lim->max_body_parts = GOSIP_DEFAULT_MAX_BODY_PARTS;
}

int gosip_msg_parse(gosip_msg **out, const void *data, size_t len, const gosip_parse_opts *opts,
                    gosip_parse_error *err)
{
    static const gosip_parse_opts no_opts;
    if (!opts)
        opts = &no_opts;
    if (!out || (!data && len)) {
        set_err(err, GOSIP_ERR_INVALID_ARG, 0, "invalid argument", 0);
        return GOSIP_ERR_INVALID_ARG;
    }
    gosip_msg_limits lim;
    if (opts->limits)
        lim = *opts->limits;
    else
        gosip_msg_limits_default(&lim);
    if (len > lim.max_msg_size) {
        set_err(err, GOSIP_ERR_TOO_LARGE, 513, "message larger than the size limit", 0);
        return GOSIP_ERR_TOO_LARGE;
    }
    const char *in = data;
    size_t skip = 0;
    while (skip < len && (in[skip] == '\r' || in[skip] == '\n'))
        skip++;
    if (skip == len) {
        set_err(err, GOSIP_ERR_PARSE, 0, "empty message", 0);
        return GOSIP_ERR_PARSE;
    }
    size_t n = len - skip;
    gosip_msg *m = gosip__msg_alloc(opts->mem, 4 * n + 1024);
    char *copy = m ? gosip__arena_strdup(&m->arena, in + skip, n) : NULL;
    if (!copy) {
        gosip_msg_unref(m);
        set_err(err, GOSIP_ERR_NOMEM, 0, "out of memory", 0);
        return GOSIP_ERR_NOMEM;
    }
    m->limits = lim;
    m->registry = gosip__registry_ref(opts->registry);
    m->base = copy;
    int rc = parse_into(m, copy, copy + n, opts->framing, err);
    if (rc) {
        if (err)
            err->offset += skip;
        gosip_msg_unref(m);
        return rc;
    }
    *out = m;
    return 0;
}
