/* Stream framing (RFC 3261 18.3): end of headers, then Content-Length octets. */
#include "msg/msg_internal.h"

/* Finds the empty line ending the header block in [p, end); returns the body start. */
static const char *find_blank_line(const char *p, const char *end)
{
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        if (!lf)
            return NULL;
        const char *q = lf + 1;
        if (q < end && *q == '\n')
            return q + 1;
        if (q + 1 < end && q[0] == '\r' && q[1] == '\n')
            return q + 2;
        if (q + 1 >= end)
            return NULL;
        p = q;
    }
    return NULL;
}

/* End of the logical header line starting at p: folded continuation lines included. */
static const char *logical_line_end(const char *p, const char *end)
{
    for (;;) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        if (!lf)
            return end;
        if (lf + 1 >= end || (lf[1] != ' ' && lf[1] != '\t'))
            return lf;
        p = lf + 1;
    }
}

/* Reads the Content-Length of a header block; -1 when absent, -2 when invalid or given
 * more than once (RFC 4475 3.3.9: an unrecoverable framing error on a stream). */
static int64_t content_length(const char *p, const char *end)
{
    int64_t found = -1;
    while (p < end) {
        const char *e = logical_line_end(p, end);
        const char *n_end = gosip__skip_token(p, e);
        if (gosip__hdr_lookup(p, (size_t)(n_end - p)) == GOSIP_HDR_CONTENT_LENGTH) {
            const char *v = n_end;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            if (v == e || *v != ':' || found >= 0)
                return -2;
            v = gosip__skip_ws(v + 1, e);
            uint32_t val;
            const char *v_end = gosip__parse_u32(v, e, UINT32_MAX, &val);
            if (!v_end || gosip__skip_ws(v_end, e) != e)
                return -2;
            found = val;
        }
        p = e < end ? e + 1 : end;
    }
    return found;
}

int gosip_framer_next(gosip_framer *f, const void *data, size_t len,
                      const gosip_msg_limits *limits, size_t *skip, size_t *msg_len)
{
    gosip_msg_limits def;
    if (!limits) {
        gosip_msg_limits_default(&def);
        limits = &def;
    }
    if (!f || (!data && len) || !skip || !msg_len)
        return GOSIP_ERR_INVALID_ARG;
    const char *p = data, *end = p + len;
    size_t lead = 0;
    while (lead < len && (p[lead] == '\r' || p[lead] == '\n'))
        lead++;
    *skip = lead;
    const char *start = p + lead;
    /* `scanned` counts from the message start, so consuming keep-alives between calls
     * does not shift it */
    size_t resume = lead + (f->scanned > 3 ? f->scanned - 3 : 0);
    const char *body = resume <= len ? find_blank_line(p + resume, end) : NULL;
    if (!body) {
        f->scanned = len - lead;
        if (len - lead > limits->max_msg_size)
            return GOSIP_ERR_TOO_LARGE;
        return 0;
    }
    int64_t cl = content_length(start, body);
    if (cl < 0)
        return GOSIP_ERR_FRAMING;
    size_t total = (size_t)(body - start) + (size_t)cl;
    if (total > limits->max_msg_size)
        return GOSIP_ERR_TOO_LARGE;
    f->scanned = (size_t)(body - start);
    if ((size_t)(end - start) < total)
        return 0;
    *msg_len = total;
    f->scanned = 0;
    return 1;
}
