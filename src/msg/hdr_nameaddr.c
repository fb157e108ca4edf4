/* name-addr / addr-spec header values (RFC 3261 20.10, 20.20, 20.39, 25.1). */
#include "msg/msg_internal.h"

static int parse_uri_alloc(const gosip__pctx *c, const char *p, const char *end, gosip_uri **out)
{
    gosip_uri *u = gosip__arena_alloc(c->arena, sizeof *u);
    if (!u)
        return GOSIP_ERR_NOMEM;
    int rc = gosip__uri_parse(c, p, (size_t)(end - p), u);
    if (rc)
        return rc;
    *out = u;
    return 0;
}

/* An addr-spec outside <> ends before header parameters: at the first ';' after the
 * userinfo (RFC 3261 20: parameters there are header parameters). */
static const char *addr_spec_end(const char *p, const char *end)
{
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    const char *q = at ? at : p;
    while (q < end && *q != ';' && !gosip__is_ws(*q))
        q++;
    return q;
}

/* Scans a display name of tokens and LWS; returns the '<' that follows it, or NULL. */
static const char *find_laquot(const char *p, const char *end)
{
    while (p < end && (gosip__is_token(*p) || gosip__is_ws(*p)))
        p++;
    return p < end && *p == '<' ? p : NULL;
}

static int parse_bracketed(const gosip__pctx *c, gosip_nameaddr *v, const char *p,
                           const char *end, const char **after)
{
    const char *gt = memchr(p, '>', (size_t)(end - p));
    if (!gt)
        return GOSIP_ERR_PARSE;
    v->bracketed = 1;
    int rc = parse_uri_alloc(c, p + 1, gt, &v->uri);
    *after = gt + 1;
    return rc;
}

static int parse_addr(const gosip__pctx *c, gosip_nameaddr *v, const char *p, const char *end,
                      const char **after)
{
    if (*p == '"') {
        const char *q = gosip__skip_quoted(p, end);
        if (!q)
            return GOSIP_ERR_PARSE;
        v->display = gosip__mkstr(p, q);
        q = gosip__skip_ws(q, end);
        if (q == end || *q != '<')
            return GOSIP_ERR_PARSE;
        return parse_bracketed(c, v, q, end, after);
    }
    const char *lt = find_laquot(p, end);
    if (lt) {
        const char *d_end = gosip__rtrim(p, lt);
        if (d_end > p)
            v->display = gosip__mkstr(p, d_end);
        return parse_bracketed(c, v, lt, end, after);
    }
    const char *u_end = addr_spec_end(p, end);
    for (const char *q = p; q < u_end; q++)
        if (*q == '?' || *q == ',' || *q == '"' || *q == '<' || *q == '>')
            return GOSIP_ERR_PARSE; /* such URIs must be enclosed in <> */
    *after = u_end;
    return parse_uri_alloc(c, p, u_end, &v->uri);
}

int gosip__parse_nameaddr(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    const char *end = p + n;
    gosip_nameaddr *v = gosip__arena_zalloc(c->arena, sizeof *v);
    if (!v)
        return GOSIP_ERR_NOMEM;
    if (n == 0)
        return GOSIP_ERR_PARSE;
    const char *q;
    if (n == 1 && *p == '*') {
        v->star = 1;
        q = end;
    } else {
        int rc = parse_addr(c, v, p, end, &q);
        if (rc)
            return rc;
    }
    int rc = gosip__parse_params(c, q, end, &v->params, &q);
    if (rc)
        return rc;
    if (q != end)
        return GOSIP_ERR_PARSE;
    for (const gosip_param *prm = v->params; prm; prm = prm->next)
        if (GOSIP__IEQ(prm->name, "tag")) {
            if (!prm->value.p || prm->value.n == 0)
                return GOSIP_ERR_PARSE;
            v->tag = prm->value;
            break;
        }
    *out = v;
    return 0;
}

void gosip__print_nameaddr(gosip_sbuf *sb, const void *vp)
{
    const gosip_nameaddr *v = vp;
    if (v->star) {
        gosip__sbuf_ch(sb, '*');
    } else {
        if (v->display.p && v->display.n) {
            gosip__sbuf_str(sb, v->display);
            gosip__sbuf_ch(sb, ' ');
        }
        gosip__sbuf_ch(sb, '<');
        if (v->uri)
            gosip__uri_print(sb, v->uri);
        gosip__sbuf_ch(sb, '>');
    }
    gosip__print_params(sb, v->params);
}
