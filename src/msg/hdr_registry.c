/* Application-registered typed extension headers. */
#include "msg/msg_internal.h"

int gosip_hdr_registry_new(gosip_hdr_registry **out, const gosip_mem *mem)
{
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    gosip_hdr_registry *r = gosip__mem_calloc(mem, 1, sizeof *r);
    if (!r)
        return GOSIP_ERR_NOMEM;
    r->mem = mem;
    r->refs = 1;
    *out = r;
    return 0;
}

/* Messages parsed with a registry keep a reference: it lives until the last one is freed. */
const gosip_hdr_registry *gosip__registry_ref(const gosip_hdr_registry *r)
{
    if (r)
        ((gosip_hdr_registry *)r)->refs++;
    return r;
}

void gosip_hdr_registry_free(gosip_hdr_registry *r)
{
    if (r && --r->refs == 0)
        gosip__mem_free(r->mem, r);
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!gosip__is_token(s[i]))
            return 0;
    return 1;
}

gosip_hdr_kind gosip__registry_lookup(const gosip_hdr_registry *r, const char *p, size_t n)
{
    if (!r)
        return GOSIP_HDR_OTHER;
    gosip_str name = {p, n};
    for (unsigned i = 0; i < r->count; i++) {
        const gosip__ext_def *d = &r->defs[i];
        gosip_str full = {d->def.name, d->name_len};
        gosip_str compact = {d->def.compact, d->compact_len};
        if (gosip_str_caseeq(name, full) || (d->compact_len && gosip_str_caseeq(name, compact)))
            return (gosip_hdr_kind)(GOSIP_HDR__EXT_BASE + i);
    }
    return GOSIP_HDR_OTHER;
}

const gosip_hdr_def *gosip__registry_def(const gosip_hdr_registry *r, gosip_hdr_kind kind)
{
    if (!r || kind < GOSIP_HDR__EXT_BASE || (unsigned)kind >= GOSIP_HDR__EXT_BASE + r->count)
        return NULL;
    return &r->defs[kind - GOSIP_HDR__EXT_BASE].def;
}

int gosip_hdr_registry_add(gosip_hdr_registry *r, const gosip_hdr_def *def, gosip_hdr_kind *kind)
{
    if (!r || !def || !def->name || !def->parse)
        return GOSIP_ERR_INVALID_ARG;
    size_t n = strlen(def->name), cn = def->compact ? strlen(def->compact) : 0;
    if (!valid_name(def->name, n) || (cn && !valid_name(def->compact, cn)))
        return GOSIP_ERR_INVALID_ARG;
    gosip_str name = {def->name, n}, compact = {def->compact, cn};
    if (gosip_hdr_kind_from_name(name) != GOSIP_HDR_OTHER ||
        gosip__registry_lookup(r, name.p, name.n) != GOSIP_HDR_OTHER ||
        (cn && (gosip_hdr_kind_from_name(compact) != GOSIP_HDR_OTHER ||
                gosip__registry_lookup(r, compact.p, compact.n) != GOSIP_HDR_OTHER)))
        return GOSIP_ERR_EXISTS;
    if (r->count >= GOSIP_HDR__MAX - GOSIP_HDR__EXT_BASE)
        return GOSIP_ERR_LIMIT;
    gosip__ext_def *d = &r->defs[r->count];
    d->def = *def;
    memcpy(d->name_buf, def->name, n + 1);
    d->def.name = d->name_buf;
    if (cn) {
        memcpy(d->compact_buf, def->compact, cn + 1);
        d->def.compact = d->compact_buf;
    }
    d->name_len = n;
    d->compact_len = cn;
    if (kind)
        *kind = (gosip_hdr_kind)(GOSIP_HDR__EXT_BASE + r->count);
    r->count++;
    return 0;
}
