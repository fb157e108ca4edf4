/*
 * message/sipfrag bodies (RFC 3420): an optional start line, zero or more headers, and
 * an optional empty line followed by a body. REFER progress NOTIFYs (RFC 3515) carry a
 * bare status line; other uses carry a few headers, with or without a start line.
 *
 * The fragment is copied into the message's arena and kept as its raw text, so an
 * unmodified fragment prints byte for byte as given.
 */
#include "msg/msg_internal.h"

#include <string.h>

/* Whether [p, end) begins with "name:" (token, optional blanks, colon): a header line.
 * A request line never does: after its method and SP comes a URI, which starts with a
 * scheme letter; a status line starts with "SIP/", and '/' cannot be in a header name. */
static int is_header_line(const char *p, const char *end)
{
    const char *q = gosip__skip_token(p, end);
    if (q == p)
        return 0;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    return q < end && *q == ':';
}

static int is_blank_line(const char *p, const char *end)
{
    return p < end && (*p == '\n' || (*p == '\r' && end - p >= 2 && p[1] == '\n'));
}

/* Past the line break ending the line at p (or end when the line is unterminated). */
static const char *next_line(const char *p, const char *end)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    return lf ? lf + 1 : end;
}

/* The line [p, *le) without its line break. */
static const char *line_end(const char *p, const char *end)
{
    const char *le = next_line(p, end);
    if (le > p && le[-1] == '\n')
        le--;
    if (le > p && le[-1] == '\r')
        le--;
    return le;
}

/* SIP-Version: "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" case-insensitively). Returns its end. */
static const char *scan_version(const char *p, const char *end)
{
    if (end - p < 4 || !gosip__ieq_lit(p, 4, "sip/", 4))
        return NULL;
    const char *q = p + 4, *d = q;
    while (q < end && gosip__is_digit(*q))
        q++;
    if (q == d || q == end || *q != '.')
        return NULL;
    d = ++q;
    while (q < end && gosip__is_digit(*q))
        q++;
    return q == d ? NULL : q;
}

static void check_version(gosip_msg *m, const char *at)
{
    size_t offset = gosip__msg_offset(m, at);
    if (!GOSIP__IEQ(m->version, "sip/2.0"))
        gosip__msg_defect(m, GOSIP_ERR_PARSE, 505, "SIP version not supported", offset,
                          GOSIP_HDR_OTHER);
}

/* Status-Line: SIP-Version SP Status-Code SP Reason-Phrase. Like gosip_msg_parse(), it
 * tolerates more than one SP after the version (RFC 3665's examples carry two), and a
 * missing SP when the reason is empty. */
static int parse_status_line(gosip_msg *m, const char *p, const char *end)
{
    const char *q = scan_version(p, end);
    if (!q || q == end || *q != ' ')
        return GOSIP_ERR_PARSE;
    m->version = gosip__mkstr(p, q);
    const char *code = q;
    while (code < end && *code == ' ')
        code++;
    if (end - code < 3)
        return GOSIP_ERR_PARSE;
    int status = 0;
    for (int i = 0; i < 3; i++) {
        if (!gosip__is_digit(code[i]))
            return GOSIP_ERR_PARSE;
        status = status * 10 + (code[i] - '0');
    }
    q = code + 3;
    if (status < 100 || status > 699 || (q < end && *q != ' '))
        return GOSIP_ERR_PARSE;
    m->type = GOSIP__MSG_RESPONSE;
    m->status = status;
    m->reason = q < end ? gosip__mkstr(q + 1, end) : gosip__mkstr(end, end);
    check_version(m, p);
    return 0;
}

/* Request-Line: Method SP Request-URI SP SIP-Version. */
static int parse_request_line(gosip_msg *m, const char *p, const char *end)
{
    const char *q = gosip__skip_token(p, end);
    if (q == p || q == end || *q != ' ')
        return GOSIP_ERR_PARSE;
    const char *uri = q + 1;
    const char *uri_end = memchr(uri, ' ', (size_t)(end - uri));
    if (!uri_end || uri_end == uri)
        return GOSIP_ERR_PARSE;
    const char *ver_end = scan_version(uri_end + 1, end);
    if (ver_end != end)
        return GOSIP_ERR_PARSE;
    m->type = GOSIP__MSG_REQUEST;
    m->method_name = gosip__mkstr(p, q);
    m->method = gosip_method_from_str(m->method_name);
    m->ruri_text = gosip__mkstr(uri, uri_end);
    m->version = gosip__mkstr(uri_end + 1, end);
    gosip_uri *u = gosip__arena_zalloc(&m->arena, sizeof *u);
    if (!u)
        return GOSIP_ERR_NOMEM;
    gosip__pctx c = {&m->arena, &m->limits};
    int rc = m->ruri_text.n > m->limits.max_uri_len
                 ? GOSIP_ERR_LIMIT
                 : gosip__uri_parse(&c, m->ruri_text.p, m->ruri_text.n, u);
    if (rc == GOSIP_ERR_NOMEM)
        return rc;
    if (rc)
        gosip__msg_defect(m, rc, rc == GOSIP_ERR_LIMIT ? 414 : 400, "malformed Request-URI",
                          gosip__msg_offset(m, uri), GOSIP_HDR_OTHER);
    else
        m->ruri = u;
    check_version(m, uri_end + 1);
    return 0;
}

static int parse_start_line(gosip_msg *m, const char *p, const char *end)
{
    const char *le = line_end(p, end);
    if ((size_t)(le - p) > m->limits.max_line_len)
        return GOSIP_ERR_PARSE;
    m->start_line = gosip__mkstr(p, le);
    int rc = scan_version(p, le) ? parse_status_line(m, p, le) : parse_request_line(m, p, le);
    if (rc) {
        m->type = GOSIP__MSG_NONE;
        m->ruri = NULL;
    }
    return rc;
}

/* Parses the fragment [p, p+len); its last line may be unterminated. */
static int parse_fragment(gosip_msg *m, const char *p, size_t len)
{
    const char *end = p + len;
    if (p < end && !is_blank_line(p, end) && !is_header_line(p, end)) {
        int rc = parse_start_line(m, p, end);
        if (rc)
            return rc;
        p = next_line(p, end);
    }
    const char *hdrs = p;
    while (p < end && !is_blank_line(p, end))
        p = next_line(p, end);
    if (hdrs < p) {
        int rc = gosip__parse_headers(m, hdrs, p);
        if (rc)
            return rc;
    }
    if (p < end)
        m->body = gosip__mkstr(p + (*p == '\r' ? 2 : 1), end);
    return 0;
}

int gosip_sipfrag_parse(gosip_msg **out, const void *data, size_t len, const gosip_parse_opts *opts)
{
    gosip_msg_limits lim;
    if (!out || (!data && len))
        return GOSIP_ERR_INVALID_ARG;
    if (opts && opts->limits)
        lim = *opts->limits;
    else
        gosip_msg_limits_default(&lim);
    if (len > lim.max_msg_size)
        return GOSIP_ERR_TOO_LARGE;
    gosip_msg *m = gosip__msg_alloc(opts ? opts->mem : NULL, 2 * len + 512);
    if (!m)
        return GOSIP_ERR_NOMEM;
    m->limits = lim;
    m->registry = gosip__registry_ref(opts ? opts->registry : NULL);
    char *copy = gosip__arena_strdup(&m->arena, len ? data : "", len);
    if (!copy) {
        gosip_msg_unref(m);
        return GOSIP_ERR_NOMEM;
    }
    m->base = copy;
    m->raw = gosip__mkstr(copy, copy + len);
    int rc = parse_fragment(m, copy, len);
    if (rc) {
        gosip_msg_unref(m);
        return rc;
    }
    *out = m;
    return 0;
}

int gosip_msg_is_fragment(const gosip_msg *m)
{
    return m && m->type == GOSIP__MSG_NONE;
}
