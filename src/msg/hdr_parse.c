/* Header block parsing: line splitting, folding, names, list values, typed dispatch. */
#include "msg/msg_internal.h"

typedef struct block_ctx {
    gosip_msg *m;
    gosip_hdr *tails[GOSIP_HDR__BUILTIN_COUNT];
    gosip_str name;
    gosip_str line;
    gosip_hdr_kind kind;
    const gosip__hdr_info *info;
    int rc;
} block_ctx;

static void link_parsed(block_ctx *b, gosip_hdr *h)
{
    gosip_msg *m = b->m;
    h->prev = m->last;
    if (m->last)
        m->last->next = h;
    else
        m->first = h;
    m->last = h;
    if (h->kind > GOSIP_HDR_OTHER && h->kind < GOSIP_HDR__BUILTIN_COUNT) {
        if (b->tails[h->kind])
            b->tails[h->kind]->next_same = h;
        else
            m->by_kind[h->kind] = h;
        b->tails[h->kind] = h;
    }
}

static int add_value(const char *p, const char *end, void *ud)
{
    block_ctx *b = ud;
    gosip_msg *m = b->m;
    if (++m->n_hdrs > m->limits.max_headers)
        return GOSIP_ERR_LIMIT;
    if (b->kind == GOSIP_HDR_VIA && ++m->n_vias > m->limits.max_vias)
        return GOSIP_ERR_LIMIT;
    gosip_hdr *h = gosip__arena_alloc(&m->arena, sizeof *h);
    if (!h)
        return GOSIP_ERR_NOMEM;
    h->next = h->prev = h->next_same = NULL;
    h->parsed = NULL;
    h->error = 0;
    h->dirty = 0;
    h->pending = 0;
    h->name = b->name;
    h->value = gosip__mkstr(p, end);
    h->line = b->line;
    h->kind = (uint8_t)b->kind;
    h->msg = m;
    if (b->info && b->kind != GOSIP_HDR_CONTENT_LENGTH) {
        h->pending = b->info->is_list ? GOSIP__PENDING_SPLIT : GOSIP__PENDING_PARSE;
    } else if (b->kind != GOSIP_HDR_OTHER) {
        int rc = gosip__hdr_parse_value(m, h);
        if (rc == GOSIP_ERR_NOMEM)
            return rc;
        if (rc)
            gosip__hdr_record_error(m, h, rc);
    }
    link_parsed(b, h);
    return 0;
}

/* name HCOLON value, HCOLON = *( SP / HTAB ) ":" SWS */
static int parse_line(block_ctx *b, const char *p, const char *end)
{
    const char *n_end = gosip__skip_token(p, end);
    const char *colon = n_end;
    while (colon < end && (*colon == ' ' || *colon == '\t'))
        colon++;
    if (n_end == p || colon == end || *colon != ':') {
        /* kept as an unnamed, flagged line so that nothing of the message is lost */
        gosip__msg_defect(b->m, GOSIP_ERR_PARSE, 400, "malformed header line",
                          gosip__msg_offset(b->m, p), GOSIP_HDR_OTHER);
        b->name = gosip__mkstr(p, p);
        b->line = gosip__mkstr(p, end);
        b->kind = GOSIP_HDR_OTHER;
        b->info = NULL;
        int rc = add_value(p, end, b);
        if (!rc)
            b->m->last->error = GOSIP_ERR_PARSE;
        return rc;
    }
    b->name = gosip__mkstr(p, n_end);
    b->line = gosip__mkstr(p, end);
    b->kind = gosip__hdr_lookup(p, (size_t)(n_end - p));
    b->info = gosip__hdr_info_of(b->kind);
    if (b->kind == GOSIP_HDR_OTHER && b->m->registry)
        b->kind = gosip__registry_lookup(b->m->registry, p, (size_t)(n_end - p));
    const char *v = gosip__skip_ws(colon + 1, end);
    const char *v_end = gosip__rtrim(v, end);
    int ext_list = !b->info && b->kind != GOSIP_HDR_OTHER &&
                   gosip__registry_def(b->m->registry, b->kind)->is_list;
    if (ext_list && v < v_end)
        return gosip__split_list(v, v_end, add_value, b);
    return add_value(v, v_end, b);
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
    memset(b.tails, 0, sizeof b.tails);
    for (gosip_hdr *h = m->first; h; h = h->next)
        if (h->kind > GOSIP_HDR_OTHER && h->kind < GOSIP_HDR__BUILTIN_COUNT)
            b.tails[h->kind] = h;
    *body = NULL;
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
