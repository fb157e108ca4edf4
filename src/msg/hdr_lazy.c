/*
 * Deferred header work. The parser only frames header lines; a line's list values are
 * split and typed-parsed when first read, with the same results as an eager parse.
 * Messages are used by one thread at a time, so a read may finish this work in place.
 */
#include "msg/msg_internal.h"

int gosip__hdr_parse_value(gosip_msg *m, gosip_hdr *h)
{
    const gosip__hdr_info *info = gosip__hdr_info_of((gosip_hdr_kind)h->kind);
    if (info) {
        gosip__pctx c = {&m->arena, &m->limits};
        if (h->value.n || info->shape == GOSIP_SHAPE_TEXT)
            return info->parse(&c, h->value.p, h->value.n, &h->parsed);
        return info->empty_ok ? 0 : GOSIP_ERR_PARSE;
    }
    const gosip_hdr_def *def = gosip__registry_def(m->registry, (gosip_hdr_kind)h->kind);
    if (!def || !def->parse)
        return 0;
    return def->parse(m, h->value, &h->parsed, def->user_data);
}

void gosip__hdr_record_error(gosip_msg *m, gosip_hdr *h, int rc)
{
    h->error = rc;
    h->parsed = NULL;
    gosip__msg_defect(m, rc, rc == GOSIP_ERR_NOMEM ? 500 : 400,
                      rc == GOSIP_ERR_LIMIT ? "too many header values" : "malformed header value",
                      gosip__msg_offset(m, h->value.p), (gosip_hdr_kind)h->kind);
}

typedef struct split_ctx {
    gosip_hdr *head; /* the node being split; receives the first element */
    gosip_hdr *tail; /* last node produced so far */
    unsigned count;
    const char *rest; /* where the value stopped being split, at a limit */
} split_ctx;

static int split_element(const char *p, const char *end, void *ud)
{
    split_ctx *s = ud;
    gosip_str v = {p, (size_t)(end - p)};
    if (s->count++ == 0) {
        s->head->value = v;
        return 0;
    }
    gosip_msg *m = s->head->msg;
    if (s->count > m->limits.max_headers ||
        (s->head->kind == GOSIP_HDR_VIA && m->n_vias + 1 > m->limits.max_vias)) {
        s->rest = p;
        return GOSIP_ERR_LIMIT;
    }
    gosip_hdr *h = gosip__arena_alloc(&m->arena, sizeof *h);
    if (!h)
        return GOSIP_ERR_NOMEM;
    *h = *s->tail;
    h->value = v;
    h->pending = GOSIP__PENDING_PARSE;
    h->prev = s->tail;
    if (h->next)
        h->next->prev = h;
    else
        m->last = h;
    s->tail->next = h;
    s->tail->next_same = h;
    s->tail = h;
    m->n_hdrs++;
    if (h->kind == GOSIP_HDR_VIA)
        m->n_vias++;
    return 0;
}

/*
 * Splits h's list value into nodes. At a limit, the last node keeps the rest of the text
 * and carries the LIMIT error, so nothing of the line disappears from iteration.
 */
static void split_in_place(gosip_hdr *h)
{
    split_ctx s = {h, h, 0, NULL};
    gosip_str whole = h->value;
    if (whole.n == 0)
        return;
    const char *end = whole.p + whole.n;
    int rc = gosip__split_list(whole.p, end, split_element, &s);
    if (!rc)
        return;
    gosip_hdr *tail = s.tail;
    if (s.count == 0 || tail->value.p == NULL)
        tail->value = whole;
    else if (rc == GOSIP_ERR_LIMIT && s.rest)
        tail->value = gosip__mkstr(tail->value.p, end);
    tail->pending = 0;
    gosip__hdr_record_error(h->msg, tail, rc);
}

/* Via values count in message order: the lines before h are split first. */
static void split_earlier_vias(gosip_hdr *h)
{
    for (gosip_hdr *x = h->msg->first; x && x != h; x = x->next)
        if (x->kind == GOSIP_HDR_VIA && x->pending == GOSIP__PENDING_SPLIT)
            gosip__hdr_ensure(x);
}

void gosip__hdr_ensure(const gosip_hdr *ch)
{
    if (!ch || !ch->pending)
        return;
    gosip_hdr *h = (gosip_hdr *)ch;
    gosip_msg *m = h->msg;
    if (h->pending == GOSIP__PENDING_SPLIT) {
        if (h->kind == GOSIP_HDR_VIA)
            split_earlier_vias(h);
        h->pending = GOSIP__PENDING_PARSE;
        split_in_place(h);
        if (!h->pending)
            return; /* h itself took the error */
    }
    h->pending = 0;
    h->error = 0;
    int rc = gosip__hdr_parse_value(m, h);
    if (rc == GOSIP_ERR_NOMEM) {
        /* transient: the header reads as failed now and is parsed again next time */
        h->error = rc;
        h->parsed = NULL;
        h->pending = GOSIP__PENDING_PARSE;
    } else if (rc) {
        gosip__hdr_record_error(m, h, rc);
    }
}

void gosip__msg_ensure_all(const gosip_msg *m)
{
    gosip__msg_ensure_ruri(m);
    for (const gosip_hdr *h = m->first; h; h = h->next)
        gosip__hdr_ensure(h);
}
