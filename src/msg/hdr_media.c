/*
 * Media types: Content-Type (`m-type SLASH m-subtype *(SEMI m-parameter)`) and one
 * Accept value (a media-range with its parameters), RFC 3261 section 25.1.
 * SLASH is SWS "/" SWS, so LWS around the slash is accepted; the printer writes none.
 */
#include "msg/msg_internal.h"

static int is_star(gosip_str s)
{
    return s.n == 1 && s.p[0] == '*';
}

/* type SLASH subtype *(SEMI param) into m; the caller checks wildcards and values. */
static int parse_type_params(const gosip__pctx *c, const char *p, const char *end, gosip_media *m)
{
    const char *q = gosip__skip_token(p, end);
    if (q == p)
        return GOSIP_ERR_PARSE;
    m->type = gosip__mkstr(p, q);
    q = gosip__skip_ws(q, end);
    if (q == end || *q != '/')
        return GOSIP_ERR_PARSE;
    p = gosip__skip_ws(q + 1, end);
    q = gosip__skip_token(p, end);
    if (q == p)
        return GOSIP_ERR_PARSE;
    m->subtype = gosip__mkstr(p, q);
    const char *stop = q;
    int rc = gosip__parse_params(c, q, end, &m->params, &stop);
    if (rc)
        return rc;
    return stop == end ? 0 : GOSIP_ERR_PARSE;
}

int gosip__parse_media(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    if (n == 0)
        return GOSIP_ERR_PARSE;
    gosip_media *m = gosip__arena_zalloc(c->arena, sizeof *m);
    if (!m)
        return GOSIP_ERR_NOMEM;
    int rc = parse_type_params(c, p, p + n, m);
    if (rc)
        return rc;
    /* A body has one concrete type: wildcards belong to Accept only. */
    if (is_star(m->type) || is_star(m->subtype))
        return GOSIP_ERR_PARSE;
    /* m-parameter = m-attribute EQUAL m-value: a bare attribute is malformed. */
    for (const gosip_param *prm = m->params; prm; prm = prm->next)
        if (!prm->value.p)
            return GOSIP_ERR_PARSE;
    *out = m;
    return 0;
}

/*
 * An empty value (n == 0) is the empty Accept header RFC 3261 allows ("accept no
 * body"): it yields present-but-empty type and subtype.
 */
int gosip__parse_accept(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    gosip_media *m = gosip__arena_zalloc(c->arena, sizeof *m);
    if (!m)
        return GOSIP_ERR_NOMEM;
    if (n == 0) {
        m->type = m->subtype = gosip__mkstr("", "");
        *out = m;
        return 0;
    }
    int rc = parse_type_params(c, p, p + n, m);
    if (rc)
        return rc;
    /* media-range: a wildcard type needs a wildcard subtype. */
    if (is_star(m->type) && !is_star(m->subtype))
        return GOSIP_ERR_PARSE;
    *out = m;
    return 0;
}

void gosip__print_media(gosip_sbuf *sb, const void *v)
{
    const gosip_media *m = v;
    if (m->type.n == 0 && m->subtype.n == 0)
        return; /* the empty Accept */
    gosip__sbuf_str(sb, m->type);
    gosip__sbuf_ch(sb, '/');
    gosip__sbuf_str(sb, m->subtype);
    gosip__print_params(sb, m->params);
}
