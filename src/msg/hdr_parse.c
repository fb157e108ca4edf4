/* Header block parsing: line splitting, folding, names, list values, typed dispatch. */
#include "msg/msg_internal.h"

typedef struct block_ctx {
    gosip_msg *m;
    gosip_str name;
    gosip_str line;
    gosip_hdr_kind kind;
    const gosip__hdr_info *info;
    int rc;
} block_ctx;

static gosip_hdr *new_hdr(block_ctx *b, const char *v, const char *v_end, uint8_t pending)
{
    gosip_msg *m = b->m;
    gosip_hdr *h = gosip__arena_alloc(&m->arena, sizeof *h);
    if (!h)
        return NULL;
    h->next = h->next_same = NULL;
    h->prev = m->last;
    h->name = b->name;
    h->value = gosip__mkstr(v, v_end);
    h->line = b->line;
    h->parsed = NULL;
    h->msg = m;
    h->error = 0;
    h->kind = (uint8_t)b->kind;
    h->dirty = 0;
    h->pending = pending;
    if (m->last)
        m->last->next = h;
    else
        m->first = h;
    m->last = h;
    /* next_same chains are linked on first use (gosip__msg_link_same) */
    if (b->kind != GOSIP_HDR_OTHER && b->kind < GOSIP_HDR__BUILTIN_COUNT) {
        if (!m->by_kind[b->kind])
            m->by_kind[b->kind] = h;
        else if (b->kind == GOSIP_HDR_CONTENT_LENGTH)
            m->cl_repeated = 1;
    }
    return h;
}

/* One header line's value (a whole list for built-in kinds: those split on access). */
static inline int add_line_value(block_ctx *b, const char *p, const char *end)
{
    gosip_msg *m = b->m;
    if (++m->n_hdrs > m->limits.max_headers ||
        (b->kind == GOSIP_HDR_VIA && ++m->n_vias > m->limits.max_vias))
        return GOSIP_ERR_LIMIT;
    int deferred = b->info && b->kind != GOSIP_HDR_CONTENT_LENGTH;
    uint8_t pending = !deferred             ? 0
                      : b->info->is_list    ? GOSIP__PENDING_SPLIT
                                            : GOSIP__PENDING_PARSE;
    gosip_hdr *h = new_hdr(b, p, end, pending);
    if (!h)
        return GOSIP_ERR_NOMEM;
    if (!deferred && b->kind != GOSIP_HDR_OTHER) {
        int rc = gosip__hdr_parse_value(m, h);
        if (rc == GOSIP_ERR_NOMEM)
            return rc;
        if (rc)
            gosip__hdr_record_error(m, h, rc);
    }
    return 0;
}

static int add_value(const char *p, const char *end, void *ud)
{
    return add_line_value(ud, p, end);
}

/* name HCOLON value, HCOLON = *( SP / HTAB ) ":" SWS */
static int parse_line(block_ctx *b, const char *p, const char *end)
{
    const char *n_end = gosip__skip_token(p, end);
    const char *colon = n_end;
    while (colon < end && (*colon == ' ' || *colon == '\t'))
        colon++;
    b->line = gosip__mkstr(p, end);
    if (n_end == p || colon == end || *colon != ':') {
        /* kept as an unnamed, flagged line so that nothing of the message is lost */
        gosip__msg_defect(b->m, GOSIP_ERR_PARSE, 400, "malformed header line",
                          gosip__msg_offset(b->m, p), GOSIP_HDR_OTHER);
        b->name = gosip__mkstr(p, p);
        b->kind = GOSIP_HDR_OTHER;
        b->info = NULL;
        int rc = add_line_value(b, p, end);
        if (!rc)
            b->m->last->error = GOSIP_ERR_PARSE;
        return rc;
    }
    b->name = gosip__mkstr(p, n_end);
    b->kind = gosip__hdr_lookup(p, (size_t)(n_end - p));
    b->info = gosip__hdr_info_of(b->kind);
    const char *v = gosip__skip_ws(colon + 1, end);
    const char *v_end = gosip__rtrim(v, end);
    if (b->kind == GOSIP_HDR_OTHER && b->m->registry) {
        b->kind = gosip__registry_lookup(b->m->registry, p, (size_t)(n_end - p));
        const gosip_hdr_def *def = gosip__registry_def(b->m->registry, b->kind);
        if (def && def->is_list && v < v_end)
            return gosip__split_list(v, v_end, add_value, b);
    }
    return add_line_value(b, v, v_end);
}

/* An empty line at p ends the header block; returns the octet after it, or NULL. */
static const char *blank_line_end(const char *p, const char *end)
{
    if (*p == '\n')
        return p + 1;
    if (*p == '\r' && (p + 1 == end || p[1] == '\n'))
        return p + 1 == end ? end : p + 2;
    return NULL;
}

int gosip__parse_header_block(gosip_msg *m, const char *p, const char *end, const char **body)
{
    block_ctx b;
    b.m = m;
    *body = NULL;
    m->same_linked = 0; /* new lines join the next_same chains when they are next built */
    while (p < end) {
        const char *blank = blank_line_end(p, end);
        if (blank) {
            *body = blank;
            return 0;
        }
        const char *line = p, *lf;
        /* a line continues while the next one starts with SP or HTAB (folding) */
        for (;;) {
            lf = memchr(p, '\n', (size_t)(end - p));
            if (!lf || lf + 1 >= end || (lf[1] != ' ' && lf[1] != '\t'))
                break;
            p = lf + 1;
        }
        const char *next = lf ? lf + 1 : end;
        const char *content_end = lf ? lf : end;
        if (content_end > line && content_end[-1] == '\r')
            content_end--;
        if ((size_t)(content_end - line) > m->limits.max_line_len)
            return GOSIP_ERR_LIMIT;
        int rc = parse_line(&b, line, content_end);
        if (rc)
            return rc;
        p = next;
    }
    return 0;
}

int gosip__parse_headers(gosip_msg *m, const char *p, const char *end)
{
    const char *body;
    return gosip__parse_header_block(m, p, end, &body);
}
