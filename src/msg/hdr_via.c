/* Via (RFC 3261 20.42, 18.2.1; RFC 3581 rport; RFC 5118 4.5). */
#include "msg/msg_internal.h"

/* protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS. */
static const char *parse_sent_protocol(gosip_via *v, const char *p, const char *end)
{
    /* "SIP/2.0/" without whitespace is nearly universal: take it in one step */
    if (end - p > 8 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' &&
        memcmp(p + 3, "/2.0/", 5) == 0 && gosip__is_token(p[8])) {
        v->protocol = gosip__mkstr(p, p + 3);
        v->version = gosip__mkstr(p + 4, p + 7);
        const char *q = gosip__skip_token(p + 8, end);
        v->transport = gosip__mkstr(p + 8, q);
        return q;
    }
    gosip_str *parts[3] = {&v->protocol, &v->version, &v->transport};
    for (int i = 0; i < 3; i++) {
        if (i) {
            p = gosip__skip_ws(p, end);
            if (p == end || *p != '/')
                return NULL;
            p = gosip__skip_ws(p + 1, end);
        }
        const char *q = gosip__skip_token(p, end);
        if (q == p)
            return NULL;
        *parts[i] = gosip__mkstr(p, q);
        p = q;
    }
    return p;
}

/* sent-by = host [ COLON port ], COLON = SWS ":" SWS */
static const char *parse_sent_by(gosip_via *v, const char *p, const char *end)
{
    const char *q = gosip__parse_hostport(p, end, &v->host, &v->host_type, &v->port);
    if (!q)
        return NULL;
    if (v->port < 0) {
        const char *r = gosip__skip_ws(q, end);
        if (r < end && *r == ':') {
            uint32_t port;
            r = gosip__parse_u32(gosip__skip_ws(r + 1, end), end, 65535, &port);
            if (!r)
                return NULL;
            v->port = (int)port;
            q = r;
        }
    }
    return q;
}

static int is_ip_text(gosip_str s)
{
    size_t i = 0, n = s.n;
    if (n >= 2 && s.p[0] == '[' && s.p[n - 1] == ']')
        i = 1, n--;
    if (i == n)
        return 0;
    for (; i < n; i++)
        if (!gosip__is_hex(s.p[i]) && s.p[i] != '.' && s.p[i] != ':')
            return 0;
    return 1;
}

static int via_param(gosip_via *v, const gosip_param *p)
{
    uint32_t num = 0;
    const char *vend = p->value.p ? p->value.p + p->value.n : NULL;
    switch (p->name.n) {
    case 3:
        if (!GOSIP__IEQ(p->name, "ttl"))
            return 0;
        if (!p->value.p || gosip__parse_u32(p->value.p, vend, 255, &num) != vend)
            return GOSIP_ERR_PARSE;
        v->ttl = (int)num;
        return 0;
    case 5:
        if (GOSIP__IEQ(p->name, "rport")) {
            if (!p->value.p)
                v->rport = 0;
            else if (gosip__parse_u32(p->value.p, vend, 65535, &num) == vend && num)
                v->rport = (int32_t)num;
            else
                return GOSIP_ERR_PARSE;
        } else if (GOSIP__IEQ(p->name, "maddr")) {
            if (!p->value.p || !p->value.n)
                return GOSIP_ERR_PARSE;
            v->maddr = p->value;
        }
        return 0;
    case 6:
        if (!GOSIP__IEQ(p->name, "branch"))
            return 0;
        if (!p->value.p || !p->value.n)
            return GOSIP_ERR_PARSE;
        v->branch = p->value;
        return 0;
    case 8:
        if (!GOSIP__IEQ(p->name, "received"))
            return 0;
        if (!p->value.p || !is_ip_text(p->value))
            return GOSIP_ERR_PARSE;
        v->received = p->value;
        return 0;
    default:
        return 0;
    }
}

static int via_shortcuts(gosip_via *v)
{
    v->rport = -1;
    v->ttl = -1;
    for (const gosip_param *p = v->params; p; p = p->next) {
        int rc = via_param(v, p);
        if (rc)
            return rc;
    }
    return 0;
}

int gosip__parse_via(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    const char *end = p + n;
    gosip_via *v = gosip__arena_zalloc(c->arena, sizeof *v);
    if (!v)
        return GOSIP_ERR_NOMEM;
    const char *q = parse_sent_protocol(v, p, end);
    if (!q || q == end || !gosip__is_ws(*q))
        return GOSIP_ERR_PARSE;
    q = parse_sent_by(v, gosip__skip_ws(q, end), end);
    if (!q)
        return GOSIP_ERR_PARSE;
    int rc = gosip__parse_params(c, q, end, &v->params, &q);
    if (rc)
        return rc;
    if (q != end)
        return GOSIP_ERR_PARSE;
    rc = via_shortcuts(v);
    if (rc)
        return rc;
    *out = v;
    return 0;
}

void gosip__print_via(gosip_sbuf *sb, const void *vp)
{
    const gosip_via *v = vp;
    gosip__sbuf_str(sb, v->protocol);
    gosip__sbuf_ch(sb, '/');
    gosip__sbuf_str(sb, v->version);
    gosip__sbuf_ch(sb, '/');
    gosip__sbuf_str(sb, v->transport);
    gosip__sbuf_ch(sb, ' ');
    gosip__sbuf_str(sb, v->host);
    if (v->port >= 0) {
        gosip__sbuf_ch(sb, ':');
        gosip__sbuf_u64(sb, (uint64_t)v->port);
    }
    gosip__print_params(sb, v->params);
}
