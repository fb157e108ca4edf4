/* URI comparison (RFC 3261 19.1.4; tel per RFC 3966 4). */
#include "msg/msg_internal.h"

static int hexv(char c)
{
    return gosip__is_digit(c) ? c - '0' : (gosip__lower(c) - 'a' + 10);
}

/* RFC 3261 19.1.4: only characters outside "reserved" equal their %HH form. */
static int is_reserved(int c)
{
    return c == ';' || c == '/' || c == '?' || c == ':' || c == '@' || c == '&' || c == '=' ||
           c == '+' || c == '$' || c == ',';
}

/* Reads the next octet of an escaped string, decoding %HH; returns -1 at the end. An
 * escaped reserved character comes back as 0x100 + octet, so that it never equals the
 * same character written plainly. */
static int next_octet(const char **p, const char *end)
{
    if (*p >= end)
        return -1;
    const char *q = *p;
    if (*q == '%' && end - q >= 3 && gosip__is_hex(q[1]) && gosip__is_hex(q[2])) {
        *p = q + 3;
        int c = hexv(q[1]) * 16 + hexv(q[2]);
        return is_reserved(c) ? 0x100 + c : c;
    }
    *p = q + 1;
    return (unsigned char)*q;
}

/* Compares two escaped strings by their decoded octets. */
static int esc_eq(gosip_str a, gosip_str b, int nocase)
{
    const char *pa = a.p, *ea = a.p + a.n, *pb = b.p, *eb = b.p + b.n;
    for (;;) {
        int ca = next_octet(&pa, ea), cb = next_octet(&pb, eb);
        if (nocase) {
            ca = (ca >= 'A' && ca <= 'Z') ? ca | 0x20 : ca;
            cb = (cb >= 'A' && cb <= 'Z') ? cb | 0x20 : cb;
        }
        if (ca != cb)
            return 0;
        if (ca < 0)
            return 1;
    }
}

static int opt_eq(gosip_str a, gosip_str b, int nocase)
{
    if (!a.p || !b.p)
        return !a.p && !b.p;
    return esc_eq(a, b, nocase);
}

static const gosip_param *find_esc(const gosip_param *list, gosip_str name)
{
    for (; list; list = list->next)
        if (esc_eq(list->name, name, 1))
            return list;
    return NULL;
}

/* Parameters that make URIs unequal when present in only one (19.1.4). */
static int is_strict_param(gosip_str name)
{
    return GOSIP__IEQ(name, "user") || GOSIP__IEQ(name, "ttl") || GOSIP__IEQ(name, "method") ||
           GOSIP__IEQ(name, "maddr") || GOSIP__IEQ(name, "transport");
}

static int params_one_way(const gosip_param *a, const gosip_param *b)
{
    const gosip_param *first = a;
    for (; a; a = a->next) {
        if (find_esc(first, a->name) != a)
            continue; /* a repeated name: only its first occurrence counts, on both sides */
        const gosip_param *o = find_esc(b, a->name);
        if (!o) {
            if (is_strict_param(a->name))
                return 0;
            continue;
        }
        if (!opt_eq(a->value, o->value, 1))
            return 0;
    }
    return 1;
}

/* Finds header `name` in an hname=hvalue&... list; returns its value, p NULL if absent. */
static gosip_str header_value(gosip_str hdrs, gosip_str name, int *found)
{
    const char *p = hdrs.p, *end = hdrs.p + hdrs.n;
    *found = 0;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *item_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(item_end - p));
        const char *name_end = eq ? eq : item_end;
        if (esc_eq(gosip__mkstr(p, name_end), name, 1)) {
            *found = 1;
            return eq ? gosip__mkstr(eq + 1, item_end) : gosip__mkstr(item_end, item_end);
        }
        p = item_end + (amp != NULL);
    }
    return GOSIP_STR_NULL;
}

static int headers_one_way(gosip_str a, gosip_str b)
{
    const char *p = a.p, *end = a.p + a.n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *item_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(item_end - p));
        const char *name_end = eq ? eq : item_end;
        int found;
        gosip_str name = gosip__mkstr(p, name_end);
        gosip_str other = header_value(b, name, &found);
        /* a repeated name: only its first occurrence counts, on both sides */
        gosip_str mine = header_value(a, name, &found);
        if (!found || !header_value(b, name, &found).p || !esc_eq(mine, other, 0))
            return 0;
        p = item_end + (amp != NULL);
    }
    return 1;
}

static int sip_equal(const gosip_uri *a, const gosip_uri *b)
{
    if (!opt_eq(a->user, b->user, 0) || !opt_eq(a->password, b->password, 0))
        return 0;
    if (!gosip_str_caseeq(a->host, b->host) || a->port != b->port)
        return 0;
    if (!params_one_way(a->params, b->params) || !params_one_way(b->params, a->params))
        return 0;
    gosip_str ha = a->headers.p ? a->headers : GOSIP_STR(""),
              hb = b->headers.p ? b->headers : GOSIP_STR("");
    return headers_one_way(ha, hb) && headers_one_way(hb, ha);
}

/* Next significant character of a telephone number (visual separators skipped). */
static int tel_next(const char **p, const char *end)
{
    while (*p < end && (**p == '-' || **p == '.' || **p == '(' || **p == ')'))
        (*p)++;
    if (*p >= end)
        return -1;
    return gosip__lower(*(*p)++);
}

/* Telephone digits compared with visual separators ignored (RFC 3966 4). */
static int tel_digits_eq(gosip_str a, gosip_str b)
{
    const char *pa = a.p, *ea = pa + a.n, *pb = b.p, *eb = pb + b.n;
    for (;;) {
        int ca = tel_next(&pa, ea), cb = tel_next(&pb, eb);
        if (ca != cb)
            return 0;
        if (ca < 0)
            return 1;
    }
}

/* A phone-context holding a global number compares as digits; a domain, case-insensitively. */
static int tel_param_eq(const gosip_param *p, const gosip_param *o)
{
    if (GOSIP__IEQ(p->name, "phone-context") && p->value.n && o->value.n &&
        p->value.p[0] == '+' && o->value.p[0] == '+')
        return tel_digits_eq(p->value, o->value);
    return opt_eq(p->value, o->value, 1);
}

static int tel_equal(const gosip_uri *a, const gosip_uri *b)
{
    if (!tel_digits_eq(a->user, b->user))
        return 0;
    /* RFC 3966 4: the same parameters on both sides, in any order, equal values (a
     * repeated name counts once, by its first occurrence) */
    unsigned na = 0, nb = 0;
    for (const gosip_param *p = a->params; p; p = p->next) {
        if (find_esc(a->params, p->name) != p)
            continue;
        const gosip_param *o = find_esc(b->params, p->name);
        if (!o || !tel_param_eq(p, o))
            return 0;
        na++;
    }
    for (const gosip_param *p = b->params; p; p = p->next)
        nb += find_esc(b->params, p->name) == p;
    return na == nb;
}

int gosip_uri_equal(const gosip_uri *a, const gosip_uri *b)
{
    if (!a || !b)
        return a == b;
    if (a->scheme != b->scheme)
        return 0;
    switch (a->scheme) {
    case GOSIP_URI_SIP:
    case GOSIP_URI_SIPS:
        return sip_equal(a, b);
    case GOSIP_URI_TEL:
        return tel_equal(a, b);
    default:
        return gosip_str_caseeq(a->scheme_name, b->scheme_name) &&
               gosip_str_eq(a->opaque, b->opaque);
    }
}
