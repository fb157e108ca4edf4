/*
 * Authentication headers (RFC 3261 sections 20.7, 20.27, 20.28, 20.44, 25.1; RFC 2617):
 * Authorization, Proxy-Authorization, WWW-Authenticate and Proxy-Authenticate carry
 * `scheme LWS auth-param *(COMMA auth-param)`; Authentication-Info carries the
 * parameters alone.
 *
 * Every scheme, Digest included, is parsed the same generic way: each parameter is
 * `token EQUAL (token / quoted-string)` and its value is kept as written, quotes
 * included, so a proxy forwards credentials byte for byte and the digest code decides
 * what each parameter means. Three deliberate leniencies, each unambiguous:
 *  - a missing comma between two parameters is accepted when LWS separates them, as
 *    real peers send it (the RFC 3665 2.1 F3 example itself omits one after realm);
 *  - a scheme with no parameter at all is accepted (RFC 7235 allows it);
 *  - a lone token68 credential (RFC 7235, e.g. `Bearer ab12.cd-34==`) of any scheme but
 *    Digest is kept as one parameter whose name is the token68 and whose value is
 *    absent. It is tried only when the auth-param reading fails, so the two never
 *    compete for the same text.
 */
#include "msg/msg_internal.h"

/* Scans one auth-param at p; fills name/value and returns its end, or NULL. */
static const char *scan_auth_param(const char *p, const char *end, gosip_str *name,
                                   gosip_str *value)
{
    const char *q = gosip__skip_token(p, end);
    if (q == p)
        return NULL;
    *name = gosip__mkstr(p, q);
    q = gosip__skip_ws(q, end);
    if (q == end || *q != '=')
        return NULL;
    const char *v = gosip__skip_ws(q + 1, end);
    if (v < end && *v == '"')
        q = gosip__skip_quoted(v, end);
    else
        q = gosip__skip_token(v, end);
    if (!q || q == v)
        return NULL;
    *value = gosip__mkstr(v, q);
    return q;
}

static int append_param(const gosip__pctx *c, gosip_param ***tail, unsigned *count, gosip_str name,
                        gosip_str value)
{
    if (++*count > c->lim->max_params)
        return GOSIP_ERR_LIMIT;
    gosip_param *prm = gosip__arena_alloc(c->arena, sizeof *prm);
    if (!prm)
        return GOSIP_ERR_NOMEM;
    prm->name = name;
    prm->value = value;
    prm->next = NULL;
    **tail = prm;
    *tail = &prm->next;
    return 0;
}

/* auth-param *(COMMA auth-param) over [p, end), which must hold at least one. */
static int parse_auth_params(const gosip__pctx *c, const char *p, const char *end,
                             gosip_param **out)
{
    gosip_param **tail = out;
    unsigned count = 0;
    for (;;) {
        gosip_str name, value;
        const char *q = scan_auth_param(p, end, &name, &value);
        if (!q)
            return GOSIP_ERR_PARSE;
        int rc = append_param(c, &tail, &count, name, value);
        if (rc)
            return rc;
        p = gosip__skip_ws(q, end);
        if (p == end)
            return 0;
        if (*p == ',')
            p = gosip__skip_ws(p + 1, end);
        else if (p == q)
            return GOSIP_ERR_PARSE; /* neither a comma nor LWS before the next one */
    }
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int is_token68(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && (gosip__is_alnum(*q) || *q == '-' || *q == '.' || *q == '_' || *q == '~' ||
                       *q == '+' || *q == '/'))
        q++;
    if (q == p)
        return 0;
    while (q < end && *q == '=')
        q++;
    return q == end;
}

int gosip__parse_auth(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    const char *end = p + n, *q;
    int rc;
    gosip_auth *a = gosip__alloc_after_token(c, p, end, sizeof *a, &q, &rc);
    if (!a)
        return rc;
    a->scheme = gosip__mkstr(p, q);
    const char *rest = gosip__skip_ws(q, end);
    if (rest == q && rest != end)
        return GOSIP_ERR_PARSE; /* the scheme must end with LWS */
    if (rest < end) {
        rc = parse_auth_params(c, rest, end, &a->params);
        /* Digest is defined with auth-params only (RFC 7616): no token68 reading. */
        if (rc == GOSIP_ERR_PARSE && !GOSIP__IEQ(a->scheme, "digest") && is_token68(rest, end)) {
            unsigned count = 0;
            gosip_param **tail = &a->params;
            a->params = NULL;
            rc = append_param(c, &tail, &count, gosip__mkstr(rest, end), GOSIP_STR_NULL);
        }
        if (rc)
            return rc;
    }
    *out = a;
    return 0;
}

static int fill_auth_info(const gosip__pctx *c, const char *p, const char *end, void *v)
{
    gosip_auth *a = v;
    a->scheme = GOSIP_STR_NULL;
    return parse_auth_params(c, p, end, &a->params);
}

int gosip__parse_auth_info(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return gosip__parse_filled(c, p, n, sizeof(gosip_auth), fill_auth_info, out);
}

void gosip__print_auth(gosip_sbuf *sb, const void *v)
{
    const gosip_auth *a = v;
    gosip__sbuf_str(sb, a->scheme);
    if (a->scheme.n && a->params)
        gosip__sbuf_ch(sb, ' ');
    for (const gosip_param *prm = a->params; prm; prm = prm->next) {
        if (prm != a->params)
            gosip__sbuf_put(sb, ", ", 2);
        gosip__sbuf_str(sb, prm->name);
        if (prm->value.p) {
            gosip__sbuf_ch(sb, '=');
            gosip__sbuf_str(sb, prm->value);
        }
    }
}
