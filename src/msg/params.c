/* Header parameters (generic-param lists) shared by the typed header parsers. */
#include "msg/msg_internal.h"

const gosip_param *gosip_param_find(const gosip_param *list, const char *name)
{
    gosip_str want = gosip_str_from_cstr(name);
    for (; list; list = list->next)
        if (gosip_str_caseeq(list->name, want))
            return list;
    return NULL;
}

/* A gen-value: token, host (IPv4, name, [IPv6]) or quoted-string. Bare IPv6 text
 * (RFC 5118 4.5 received=2001:db8::9:255) is tolerated, so ':' is accepted. */
static const char *scan_gen_value(const char *p, const char *end)
{
    if (p < end && *p == '"')
        return gosip__skip_quoted(p, end);
    const char *stop = gosip__skip_cc(p, end, GOSIP_CC_GENVAL);
    return stop == p ? NULL : stop;
}

static gosip_param *param_new(const gosip__pctx *c, gosip_param ***tail, unsigned *count)
{
    if (++*count > c->lim->max_params)
        return NULL;
    gosip_param *prm = gosip__arena_alloc(c->arena, sizeof *prm);
    if (!prm)
        return NULL;
    prm->next = NULL;
    **tail = prm;
    *tail = &prm->next;
    return prm;
}

int gosip__parse_params(const gosip__pctx *c, const char *p, const char *end, gosip_param **out,
                        const char **stop)
{
    gosip_param **tail = out;
    unsigned count = 0;
    while (*tail)
        tail = &(*tail)->next, count++;
    for (;;) {
        /* the common form is ";name=value" with no whitespace: test before scanning */
        const char *q = (p < end && *p == ';') ? p : gosip__skip_ws(p, end);
        if (q == end || *q != ';') {
            *stop = q;
            return 0;
        }
        q++;
        if (q < end && gosip__is_ws(*q))
            q = gosip__skip_ws(q, end);
        const char *name_end = gosip__skip_token(q, end);
        if (name_end == q)
            return GOSIP_ERR_PARSE;
        gosip_param *prm = param_new(c, &tail, &count);
        if (!prm)
            return count > c->lim->max_params ? GOSIP_ERR_LIMIT : GOSIP_ERR_NOMEM;
        prm->name = gosip__mkstr(q, name_end);
        prm->value = GOSIP_STR_NULL;
        p = name_end;
        q = (p < end && *p == '=') ? p : gosip__skip_ws(p, end);
        if (q < end && *q == '=') {
            q++;
            if (q < end && gosip__is_ws(*q))
                q = gosip__skip_ws(q, end);
            const char *v_end = scan_gen_value(q, end);
            if (!v_end)
                return GOSIP_ERR_PARSE;
            prm->value = gosip__mkstr(q, v_end);
            p = v_end;
        }
    }
}

void gosip__print_params(gosip_sbuf *sb, const gosip_param *p)
{
    for (; p; p = p->next) {
        gosip__sbuf_ch(sb, ';');
        gosip__sbuf_str(sb, p->name);
        if (p->value.p) {
            gosip__sbuf_ch(sb, '=');
            gosip__sbuf_str(sb, p->value);
        }
    }
}

/* Empty elements are skipped, as robust list parsers do (RFC 3665 3.10 F4 carries one). */
static int emit(const char *start, const char *stop, unsigned *count,
                int (*fn)(const char *p, const char *end, void *ud), void *ud)
{
    const char *s = gosip__skip_ws(start, stop);
    const char *e = gosip__rtrim(s, stop);
    if (s == e)
        return 0;
    ++*count;
    return fn(s, e, ud);
}

int gosip__split_list(const char *p, const char *end,
                      int (*fn)(const char *p, const char *end, void *ud), void *ud)
{
    const char *start = p;
    unsigned count = 0;
    int angle = 0;
    if (!memchr(p, ',', (size_t)(end - p)))
        p = end; /* one element: nothing to split */
    while (p < end) {
        while (p < end && !GOSIP_CC(*p, GOSIP_CC_LIST_STOP))
            p++;
        if (p == end)
            break;
        char ch = *p;
        if (ch == '"') {
            const char *q = gosip__skip_quoted(p, end);
            if (!q)
                break; /* unterminated: the rest is one (malformed) element */
            p = q;
            continue;
        }
        if (ch == '<')
            angle = 1;
        else if (ch == '>')
            angle = 0;
        else if (ch == ',' && !angle) {
            int rc = emit(start, p, &count, fn, ud);
            if (rc)
                return rc;
            start = p + 1;
        }
        p++;
    }
    int rc = emit(start, end, &count, fn, ud);
    if (rc || count)
        return rc;
    return fn(end, end, ud);
}
