/* URIs: sip, sips, tel and other absolute URIs (RFC 3261 19.1, 25.1; RFC 3966). */
#include "msg/msg_internal.h"

#include <stdlib.h>


/* Any visible character an absolute URI may hold (RFC 2396 uric plus '#'). */
static int is_uric(char ch)
{
    unsigned char u = (unsigned char)ch;
    return u > 0x20 && u < 0x7f && ch != '<' && ch != '>' && ch != '"' && ch != '\\' &&
           ch != '{' && ch != '}' && ch != '|' && ch != '^' && ch != '`';
}

/* %HH escapes must be complete wherever the grammar allows "escaped". */
/*
 * Skips characters of class `cls` and complete %HH escapes (RFC 3261 "escaped"); the
 * table classes leave '%' out so that the common, escape-free run stays one tight loop.
 * Returns NULL on a broken escape.
 */
static const char *skip_escaped(const char *p, const char *end, unsigned cls)
{
    for (;;) {
        p = gosip__skip_cc(p, end, cls);
        if (p == end || *p != '%')
            return p;
        if (end - p < 3 || !gosip__is_hex(p[1]) || !gosip__is_hex(p[2]))
            return NULL;
        p += 3;
    }
}

static const char *parse_ipv6_ref(const char *p, const char *end)
{
    const char *q = p + 1;
    int colons = 0;
    while (q < end && *q != ']') {
        if (*q == ':')
            colons++;
        else if (!gosip__is_hex(*q) && *q != '.')
            return NULL;
        q++;
    }
    if (q == end || colons < 2 || q - p > 46)
        return NULL;
    return q + 1;
}

/* One IPv4 octet: 1-3 digits, at most 255. Returns the end or NULL. */
static const char *ipv4_octet(const char *p, const char *end)
{
    if (p == end || !gosip__is_digit(*p))
        return NULL;
    unsigned v = (unsigned)(*p++ - '0');
    for (int i = 0; i < 2 && p < end && gosip__is_digit(*p); i++)
        v = v * 10 + (unsigned)(*p++ - '0');
    return v <= 255 ? p : NULL;
}

/* A dotted quad at p; returns its end, or NULL when p does not start with one. */
static const char *scan_ipv4(const char *p, const char *end)
{
    for (int i = 0; i < 4; i++) {
        if (i && (p == end || *p++ != '.'))
            return NULL;
        p = ipv4_octet(p, end);
        if (!p)
            return NULL;
    }
    return p;
}

/*
 * hostname = *( domainlabel "." ) toplabel [ "." ]. The host is one run of alphanum, '-',
 * '.' (and '_', seen in the wild); its edges and its top label are then checked: it
 * neither starts with '-' or '.' nor ends with '-', and the top label starts with a
 * letter (so "10.0.0.256" is neither an address nor a name). Inner label shapes ("a..b")
 * are not policed, as deployed stacks do not either.
 */
static int hostname_ok(const char *p, const char *end)
{
    if (!gosip__is_alnum(*p) || end[-1] == '-')
        return 0;
    const char *top_end = end[-1] == '.' ? end - 1 : end;
    const char *top = top_end;
    while (top > p && top[-1] != '.')
        top--;
    return top < top_end && gosip__is_alpha(*top) && top_end[-1] != '-';
}

const char *gosip__parse_hostport(const char *p, const char *end, gosip_str *host,
                                  gosip_host_type *type, int *port)
{
    const char *q;
    if (p < end && *p == '[') {
        q = parse_ipv6_ref(p, end);
        if (!q)
            return NULL;
        *type = GOSIP_HOST_IPV6;
    } else {
        /* an address is taken directly; a longer host run makes it a name ("1.2.3.4.com") */
        q = p < end && gosip__is_digit(*p) ? scan_ipv4(p, end) : NULL;
        if (q && (q == end || !GOSIP_CC(*q, GOSIP_CC_HOST))) {
            *type = GOSIP_HOST_IPV4;
        } else {
            q = gosip__skip_cc(p, end, GOSIP_CC_HOST);
            if (q == p || !hostname_ok(p, q))
                return NULL;
            *type = GOSIP_HOST_NAME;
        }
    }
    *host = gosip__mkstr(p, q);
    *port = -1;
    if (q < end && *q == ':') {
        uint32_t v;
        const char *r = gosip__parse_u32(q + 1, end, 65535, &v);
        if (!r)
            return NULL;
        *port = (int)v;
        q = r;
    }
    return q;
}

/* uri-parameters: *( ";" pname [ "=" pvalue ] ) */
static const char *parse_uri_params(const gosip__pctx *c, const char *p, const char *end,
                                    gosip_param **out, int *err)
{
    gosip_param **tail = out;
    unsigned count = 0;
    while (p < end && *p == ';') {
        const char *name = ++p;
        p = skip_escaped(p, end, GOSIP_CC_URI_PARAM);
        if (!p || p == name || ++count > c->lim->max_params) {
            *err = (!p || p == name) ? GOSIP_ERR_PARSE : GOSIP_ERR_LIMIT;
            return NULL;
        }
        gosip_param *prm = gosip__arena_alloc(c->arena, sizeof *prm);
        if (!prm) {
            *err = GOSIP_ERR_NOMEM;
            return NULL;
        }
        prm->name = gosip__mkstr(name, p);
        prm->value = GOSIP_STR_NULL;
        prm->next = NULL;
        if (p < end && *p == '=') {
            const char *val = ++p;
            p = skip_escaped(p, end, GOSIP_CC_URI_PARAM);
            if (!p) {
                *err = GOSIP_ERR_PARSE;
                return NULL;
            }
            prm->value = gosip__mkstr(val, p);
        }
        *tail = prm;
        tail = &prm->next;
    }
    return p;
}

/* headers = header *( "&" header ), header = hname "=" hvalue, hname not empty. */
static int headers_ok(const char *p, const char *end)
{
    for (;;) {
        const char *name = p;
        p = skip_escaped(p, end, GOSIP_CC_URI_HDR & ~0u);
        if (!p)
            return 0;
        const char *item_end = p;
        const char *eq = memchr(name, '=', (size_t)(item_end - name));
        const char *amp = memchr(name, '&', (size_t)(item_end - name));
        if (amp)
            item_end = amp;
        if (!eq || eq > item_end || eq == name)
            return 0;
        if (!amp)
            return p == end;
        p = amp + 1;
    }
}

/* userinfo = user [ ":" password ] "@"; returns where the host starts. */
static const char *parse_userinfo(gosip_uri *u, const char *p, const char *end, int *err)
{
    const char *q = skip_escaped(p, end, GOSIP_CC_URI_USER);
    if (!q) {
        *err = GOSIP_ERR_PARSE;
        return NULL;
    }
    if (q == end || (*q != '@' && *q != ':'))
        return p; /* no userinfo */
    const char *user_end = q;
    if (*q == ':') {
        const char *pw_end = skip_escaped(q + 1, end, GOSIP_CC_URI_PASS);
        if (!pw_end || pw_end == end || *pw_end != '@')
            return p; /* the ':' starts a port */
        u->password = gosip__mkstr(q + 1, pw_end);
        q = pw_end;
    }
    if (user_end == p) {
        *err = GOSIP_ERR_PARSE;
        return NULL;
    }
    u->user = gosip__mkstr(p, user_end);
    return q + 1;
}

static int parse_sip_uri(const gosip__pctx *c, const char *p, const char *end, gosip_uri *u)
{
    int err = GOSIP_ERR_PARSE;
    p = parse_userinfo(u, p, end, &err);
    if (!p)
        return err;
    p = gosip__parse_hostport(p, end, &u->host, &u->host_type, &u->port);
    if (!p)
        return GOSIP_ERR_PARSE;
    err = 0;
    const char *q = parse_uri_params(c, p, end, &u->params, &err);
    if (!q)
        return err;
    if (q < end && *q == '?') {
        if (!headers_ok(q + 1, end))
            return GOSIP_ERR_PARSE;
        u->headers = gosip__mkstr(q + 1, end);
        q = end;
    }
    return q == end ? 0 : GOSIP_ERR_PARSE;
}

/* tel: global or local number, then ;params (RFC 3966). */
static int parse_tel_uri(const gosip__pctx *c, const char *p, const char *end, gosip_uri *u)
{
    const char *q = p;
    while (q < end && *q != ';') {
        char ch = *q;
        if (!gosip__is_hex(ch) && ch != '+' && ch != '-' && ch != '.' && ch != '(' &&
            ch != ')' && ch != '*' && ch != '#')
            return GOSIP_ERR_PARSE;
        q++;
    }
    if (q == p)
        return GOSIP_ERR_PARSE;
    u->user = gosip__mkstr(p, q);
    int err = 0;
    q = parse_uri_params(c, q, end, &u->params, &err);
    if (!q)
        return err;
    return q == end ? 0 : GOSIP_ERR_PARSE;
}

int gosip__uri_parse(const gosip__pctx *c, const char *p, size_t n, gosip_uri *u)
{
    const char *end = p + n;
    memset(u, 0, sizeof *u);
    u->port = -1;
    u->raw = gosip__mkstr(p, end);
    if (n > c->lim->max_uri_len)
        return GOSIP_ERR_LIMIT;
    /* "sip:" and "sips:" dominate: recognise them without the generic scheme scan */
    if (n >= 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p') {
        int sips = (p[3] | 0x20) == 's';
        if (n >= (size_t)(4 + sips) && p[3 + sips] == ':') {
            u->scheme = sips ? GOSIP_URI_SIPS : GOSIP_URI_SIP;
            u->scheme_name = gosip__mkstr(p, p + 3 + sips);
            return parse_sip_uri(c, p + 4 + sips, end, u);
        }
    }
    const char *q = p;
    if (q == end || !gosip__is_alpha(*q))
        return GOSIP_ERR_PARSE;
    while (q < end && (gosip__is_alnum(*q) || *q == '+' || *q == '-' || *q == '.'))
        q++;
    if (q == end || *q != ':')
        return GOSIP_ERR_PARSE;
    u->scheme_name = gosip__mkstr(p, q);
    const char *rest = q + 1;
    if (GOSIP__IEQ(u->scheme_name, "sip")) {
        u->scheme = GOSIP_URI_SIP;
        return parse_sip_uri(c, rest, end, u);
    }
    if (GOSIP__IEQ(u->scheme_name, "sips")) {
        u->scheme = GOSIP_URI_SIPS;
        return parse_sip_uri(c, rest, end, u);
    }
    if (GOSIP__IEQ(u->scheme_name, "tel")) {
        u->scheme = GOSIP_URI_TEL;
        return parse_tel_uri(c, rest, end, u);
    }
    u->scheme = GOSIP_URI_OTHER;
    if (rest == end)
        return GOSIP_ERR_PARSE;
    for (q = rest; q < end; q++)
        if (!is_uric(*q))
            return GOSIP_ERR_PARSE;
    u->opaque = gosip__mkstr(rest, end);
    return 0;
}

void gosip__uri_print(gosip_sbuf *sb, const gosip_uri *u)
{
    gosip__sbuf_str(sb, u->raw);
}

const gosip_param *gosip_uri_param(const gosip_uri *uri, const char *name)
{
    return uri ? gosip_param_find(uri->params, name) : NULL;
}

size_t gosip_uri_print(const gosip_uri *uri, char *buf, size_t cap)
{
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, buf, cap);
    if (uri)
        gosip__uri_print(&sb, uri);
    return gosip__sbuf_finish(&sb);
}

/* A standalone URI: the struct, its text and its parameters in one arena. */
typedef struct uri_box {
    gosip_uri uri;
    gosip_arena arena;
} uri_box;

int gosip_uri_new(gosip_uri **out, const gosip_mem *mem, gosip_str text)
{
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    if (!out || (!text.p && text.n))
        return GOSIP_ERR_INVALID_ARG;
    if (text.n > lim.max_uri_len)
        return GOSIP_ERR_TOO_LARGE;
    uri_box *box = gosip__mem_malloc(mem, sizeof *box + text.n + 256);
    if (!box)
        return GOSIP_ERR_NOMEM;
    gosip__arena_init(&box->arena, mem, box + 1, text.n + 256);
    char *copy = gosip__arena_strdup(&box->arena, text.p ? text.p : "", text.n);
    gosip__pctx c = {&box->arena, &lim};
    int rc = copy ? gosip__uri_parse(&c, copy, text.n, &box->uri) : GOSIP_ERR_NOMEM;
    if (rc) {
        gosip__arena_free(&box->arena);
        gosip__mem_free(mem, box);
        return rc;
    }
    *out = &box->uri;
    return 0;
}

void gosip_uri_free(gosip_uri *uri)
{
    if (!uri)
        return;
    uri_box *box = (uri_box *)uri;
    const gosip_mem *mem = box->arena.mem;
    gosip__arena_free(&box->arena);
    gosip__mem_free(mem, box);
}
