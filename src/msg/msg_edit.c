/* Mutators: start lines, headers, parameters and bodies of a message. */
#include "msg/msg_internal.h"

/* The values of one raw line print as that line; once the line changes shape, each value
 * must print on its own. */
void gosip__hdr_explode_line(gosip_hdr *h)
{
    const char *line = h->line.p;
    if (!line)
        return;
    gosip_hdr *first = h;
    while (first->prev && first->prev->line.p == line)
        first = first->prev;
    for (gosip_hdr *x = first; x && x->line.p == line; x = x->next)
        x->line.p = NULL;
}

static void relink_kind(gosip_msg *m, gosip_hdr_kind kind)
{
    if (kind <= GOSIP_HDR_OTHER || kind >= GOSIP_HDR__BUILTIN_COUNT)
        return;
    if (!m->same_linked) {
        gosip__msg_link_same(m);
        return;
    }
    gosip_hdr *tail = NULL;
    m->by_kind[kind] = NULL;
    for (gosip_hdr *h = m->first; h; h = h->next) {
        if (h->kind != kind)
            continue;
        h->next_same = NULL;
        if (tail)
            tail->next_same = h;
        else
            m->by_kind[kind] = h;
        tail = h;
    }
}

static gosip_hdr *position(gosip_msg *m, gosip_hdr *h, gosip_hdr_where where, gosip_hdr *ref,
                           int *before)
{
    *before = 0;
    if (where == GOSIP_WHERE_BEFORE || where == GOSIP_WHERE_AFTER) {
        *before = where == GOSIP_WHERE_BEFORE;
        return ref;
    }
    gosip_hdr *first_same = NULL, *last_same = NULL;
    for (gosip_hdr *x = m->first; x; x = x->next)
        if (x->kind == h->kind &&
            (h->kind != GOSIP_HDR_OTHER || gosip_str_caseeq(x->name, h->name))) {
            if (!first_same)
                first_same = x;
            last_same = x;
        }
    if (where == GOSIP_WHERE_TOP) {
        *before = 1;
        return first_same ? first_same : m->first;
    }
    return last_same ? last_same : m->last;
}

void gosip__hdr_link(gosip_msg *m, gosip_hdr *h, gosip_hdr_where where, gosip_hdr *ref)
{
    int before;
    gosip_hdr *at = position(m, h, where, ref, &before);
    gosip_hdr *prev = at ? (before ? at->prev : at) : NULL;
    gosip_hdr *next = prev ? prev->next : (at && before ? at : m->first);
    if (!at) {
        prev = m->last;
        next = NULL;
    }
    if (prev && next && prev->line.p && prev->line.p == next->line.p)
        gosip__hdr_explode_line(prev);
    h->prev = prev;
    h->next = next;
    if (prev)
        prev->next = h;
    else
        m->first = h;
    if (next)
        next->prev = h;
    else
        m->last = h;
    m->n_hdrs++;
    if (h->kind == GOSIP_HDR_VIA)
        m->n_vias++;
    relink_kind(m, (gosip_hdr_kind)h->kind);
    m->dirty = 1;
}

void gosip__hdr_unlink(gosip_msg *m, gosip_hdr *h)
{
    gosip__hdr_explode_line(h);
    if (h->prev)
        h->prev->next = h->next;
    else
        m->first = h->next;
    if (h->next)
        h->next->prev = h->prev;
    else
        m->last = h->prev;
    h->prev = h->next = h->next_same = NULL;
    m->n_hdrs--;
    if (h->kind == GOSIP_HDR_VIA)
        m->n_vias--;
    relink_kind(m, (gosip_hdr_kind)h->kind);
    m->dirty = 1;
}

/* Also finishes h's deferred split, so that h names one value before it is edited. */
int gosip__hdr_in_msg(const gosip_msg *m, const gosip_hdr *h)
{
    gosip__hdr_ensure(h);
    for (const gosip_hdr *x = m->first; x; x = x->next)
        if (x == h)
            return 1;
    return 0;
}

int gosip__hdr_make(gosip_msg *m, gosip_hdr_kind kind, gosip_str name, gosip_str value,
                    gosip_hdr **out)
{
    gosip_hdr *h = gosip__arena_zalloc(&m->arena, sizeof *h);
    if (!h)
        return GOSIP_ERR_NOMEM;
    h->kind = (uint8_t)kind;
    h->name = name;
    h->value = value;
    h->msg = m;
    int rc = gosip__hdr_parse_value(m, h);
    if (rc)
        return rc;
    *out = h;
    return 0;
}

typedef struct add_ctx {
    gosip_msg *m;
    gosip_hdr_kind kind;
    gosip_str name;
    gosip_hdr *first, *last;
    unsigned count;
} add_ctx;

static int collect_value(const char *p, const char *end, void *ud)
{
    add_ctx *a = ud;
    gosip_hdr *h;
    int rc = gosip__hdr_make(a->m, a->kind, a->name, gosip__mkstr(p, end), &h);
    if (rc)
        return rc;
    if (a->last)
        a->last->next = h;
    else
        a->first = h;
    a->last = h;
    a->count++;
    return 0;
}

static int is_list_kind(const gosip_msg *m, gosip_hdr_kind kind)
{
    const gosip__hdr_info *info = gosip__hdr_info_of(kind);
    if (info)
        return info->is_list;
    const gosip_hdr_def *def = gosip__registry_def(m->registry, kind);
    return def && def->is_list;
}

/* Line breaks in a value are legal only as folding (CRLF then SP or HTAB); anything else
 * would inject header lines. */
static int folding_ok(gosip_str v)
{
    for (size_t i = 0; i < v.n; i++) {
        char ch = v.p[i];
        if (ch == '\r') {
            if (i + 2 >= v.n || v.p[i + 1] != '\n' || (v.p[i + 2] != ' ' && v.p[i + 2] != '\t'))
                return 0;
            i++;
        } else if (ch == '\n') {
            return 0;
        }
    }
    return 1;
}

/* Parses every value first, so that a failure leaves the message untouched. */
static int add_parsed(gosip_msg *m, gosip_hdr_kind kind, gosip_str name, gosip_str value,
                      gosip_hdr_where where, gosip_hdr *ref, const gosip_hdr **out,
                      unsigned replacing)
{
    if ((where == GOSIP_WHERE_BEFORE || where == GOSIP_WHERE_AFTER) &&
        (!ref || !gosip__hdr_in_msg(m, ref)))
        return GOSIP_ERR_INVALID_ARG;
    if (!folding_ok(value))
        return GOSIP_ERR_PARSE;
    char *copy = gosip__arena_strdup(&m->arena, value.p ? value.p : "", value.n);
    if (!copy)
        return GOSIP_ERR_NOMEM;
    const char *v = gosip__skip_ws(copy, copy + value.n);
    const char *v_end = gosip__rtrim(v, copy + value.n);
    add_ctx a = {m, kind, name, NULL, NULL, 0};
    int rc = (is_list_kind(m, kind) && v < v_end) ? gosip__split_list(v, v_end, collect_value, &a)
                                                  : collect_value(v, v_end, &a);
    if (rc)
        return rc;
    /* `replacing` headers leave as these arrive: only the net growth counts */
    unsigned vias = kind == GOSIP_HDR_VIA ? a.count : 0;
    if (m->n_hdrs + a.count > m->limits.max_headers + replacing ||
        m->n_vias + vias > m->limits.max_vias + (vias ? replacing : 0))
        return GOSIP_ERR_LIMIT;
    gosip_hdr *h = a.first, *anchor = ref;
    for (int i = 0; h; i++) {
        gosip_hdr *next = h->next;
        h->next = NULL;
        if (i == 0)
            gosip__hdr_link(m, h, where, ref);
        else
            gosip__hdr_link(m, h, GOSIP_WHERE_AFTER, anchor);
        anchor = h;
        h = next;
    }
    if (out)
        *out = a.first;
    return 0;
}

static int valid_hdr_name(gosip_str name)
{
    if (!name.p || name.n == 0)
        return 0;
    return gosip__skip_token(name.p, name.p + name.n) == name.p + name.n;
}

int gosip_msg_add_hdr(gosip_msg *m, gosip_str name, gosip_str value, gosip_hdr_where where,
                      const gosip_hdr *ref, const gosip_hdr **out)
{
    if (!m || !valid_hdr_name(name) || (!value.p && value.n))
        return GOSIP_ERR_INVALID_ARG;
    gosip_hdr_kind kind = gosip__hdr_lookup(name.p, name.n);
    if (kind == GOSIP_HDR_OTHER)
        kind = gosip__registry_lookup(m->registry, name.p, name.n);
    char *n = gosip__arena_strdup(&m->arena, name.p, name.n);
    if (!n)
        return GOSIP_ERR_NOMEM;
    return add_parsed(m, kind, gosip__mkstr(n, n + name.n), value, where, (gosip_hdr *)ref, out, 0);
}

int gosip_msg_add_hdr_kind(gosip_msg *m, gosip_hdr_kind kind, gosip_str value,
                           gosip_hdr_where where, const gosip_hdr *ref, const gosip_hdr **out)
{
    gosip_str name = gosip__hdr_canonical_name(kind);
    if (!m || !name.p || (!value.p && value.n))
        return GOSIP_ERR_INVALID_ARG;
    return add_parsed(m, kind, name, value, where, (gosip_hdr *)ref, out, 0);
}

/* A valid, unchanged built-in header is copied as text, its typed parse deferred to its
 * first reading like a received one's: responses copy several headers nobody reads. */
static int copy_lazy(gosip_msg *m, const gosip_hdr *src, gosip_hdr_where where, gosip_hdr *ref,
                     const gosip_hdr **out)
{
    if ((where == GOSIP_WHERE_BEFORE || where == GOSIP_WHERE_AFTER) &&
        (!ref || !gosip__hdr_in_msg(m, ref)))
        return GOSIP_ERR_INVALID_ARG;
    unsigned via = src->kind == GOSIP_HDR_VIA;
    if (m->n_hdrs + 1 > m->limits.max_headers || m->n_vias + via > m->limits.max_vias)
        return GOSIP_ERR_LIMIT;
    char *v = gosip__arena_strdup(&m->arena, src->value.p ? src->value.p : "", src->value.n);
    gosip_hdr *h = v ? gosip__arena_zalloc(&m->arena, sizeof *h) : NULL;
    if (!h)
        return GOSIP_ERR_NOMEM;
    h->kind = src->kind;
    h->name = gosip__hdr_canonical_name((gosip_hdr_kind)src->kind);
    h->value = gosip__mkstr(v, v + src->value.n);
    h->msg = m;
    h->pending = GOSIP__PENDING_PARSE;
    gosip__hdr_link(m, h, where, ref);
    if (out)
        *out = h;
    return 0;
}

int gosip__msg_copy_hdr_lazy(gosip_msg *m, const gosip_hdr *src, const gosip_hdr **out)
{
    gosip__hdr_ensure(src);
    if (src && src->error == GOSIP_ERR_NOMEM)
        return GOSIP_ERR_NOMEM;
    if (m && src && !src->dirty && !src->error && src->kind > GOSIP_HDR_OTHER &&
        src->kind < GOSIP_HDR__BUILTIN_COUNT && src->msg != m)
        return copy_lazy(m, src, GOSIP_WHERE_APPEND, NULL, out);
    return gosip_msg_copy_hdr(m, src, GOSIP_WHERE_APPEND, NULL, out);
}

int gosip_msg_copy_hdr(gosip_msg *m, const gosip_hdr *src, gosip_hdr_where where,
                       const gosip_hdr *ref, const gosip_hdr **out)
{
    if (!m || !src)
        return GOSIP_ERR_INVALID_ARG;
    gosip_str value;
    gosip__hdr_ensure(src);
    if (src->error == GOSIP_ERR_NOMEM)
        return GOSIP_ERR_NOMEM; /* its deferred parse just ran out of memory */
    int rc = gosip__hdr_value_text(m, src, &value);
    if (rc)
        return rc;
    if (src->kind > GOSIP_HDR_OTHER && src->kind < GOSIP_HDR__BUILTIN_COUNT)
        return gosip_msg_add_hdr_kind(m, (gosip_hdr_kind)src->kind, value, where, ref, out);
    return gosip_msg_add_hdr(m, src->name, value, where, ref, out);
}

int gosip_msg_remove_hdr(gosip_msg *m, const gosip_hdr *h)
{
    if (!m || !h)
        return GOSIP_ERR_INVALID_ARG;
    if (!gosip__hdr_in_msg(m, h))
        return GOSIP_ERR_NOT_FOUND;
    gosip__hdr_unlink(m, (gosip_hdr *)h);
    return 0;
}

unsigned gosip_msg_remove_all(gosip_msg *m, gosip_hdr_kind kind)
{
    unsigned n = 0;
    const gosip_hdr *h;
    while ((h = gosip_msg_hdr(m, kind)) != NULL) {
        gosip__hdr_ensure(h); /* an unread list line counts as its values */
        gosip__hdr_unlink(m, (gosip_hdr *)h);
        n++;
    }
    return n;
}

int gosip_msg_replace_hdr(gosip_msg *m, const gosip_hdr *h, gosip_str value, const gosip_hdr **out)
{
    if (!m || !h || (!value.p && value.n))
        return GOSIP_ERR_INVALID_ARG;
    if (!gosip__hdr_in_msg(m, h))
        return GOSIP_ERR_NOT_FOUND;
    int rc = add_parsed(m, (gosip_hdr_kind)h->kind, h->name, value, GOSIP_WHERE_BEFORE,
                        (gosip_hdr *)h, out, 1);
    if (rc)
        return rc;
    gosip__hdr_unlink(m, (gosip_hdr *)h);
    return 0;
}
