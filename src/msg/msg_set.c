/* Mutators for start lines, parameters and bodies. */
#include "msg/msg_internal.h"

int gosip_msg_set_request_line(gosip_msg *m, gosip_str method, gosip_str uri)
{
    if (!m || !method.p || !uri.p)
        return GOSIP_ERR_INVALID_ARG;
    if (method.n == 0 || gosip__skip_token(method.p, method.p + method.n) != method.p + method.n)
        return GOSIP_ERR_PARSE;
    char *mcopy = gosip__arena_strdup(&m->arena, method.p, method.n);
    char *ucopy = gosip__arena_strdup(&m->arena, uri.p, uri.n);
    gosip_uri *u = gosip__arena_alloc(&m->arena, sizeof *u);
    if (!mcopy || !ucopy || !u)
        return GOSIP_ERR_NOMEM;
    gosip__pctx c = {&m->arena, &m->limits};
    int rc = gosip__uri_parse(&c, ucopy, uri.n, u);
    if (rc)
        return rc;
    m->type = GOSIP__MSG_REQUEST;
    m->method_name = gosip__mkstr(mcopy, mcopy + method.n);
    m->method = gosip_method_from_str(m->method_name);
    m->ruri = u;
    m->ruri_pending = 0;
    m->ruri_text = gosip__mkstr(ucopy, ucopy + uri.n);
    m->version = GOSIP_STR("SIP/2.0");
    m->status = 0;
    m->start_dirty = m->dirty = 1;
    return 0;
}

int gosip_msg_set_status_line(gosip_msg *m, int status, gosip_str reason)
{
    if (!m || status < 100 || status > 699)
        return GOSIP_ERR_INVALID_ARG;
    if (!reason.p)
        reason = gosip_str_from_cstr(gosip_reason_phrase(status));
    for (size_t i = 0; i < reason.n; i++)
        if (reason.p[i] == '\r' || reason.p[i] == '\n')
            return GOSIP_ERR_PARSE;
    char *copy = gosip__arena_strdup(&m->arena, reason.p, reason.n);
    if (!copy && reason.n)
        return GOSIP_ERR_NOMEM;
    m->type = GOSIP__MSG_RESPONSE;
    m->status = status;
    m->reason = gosip__mkstr(copy, copy + reason.n);
    m->version = GOSIP_STR("SIP/2.0");
    m->method = GOSIP_METHOD_UNKNOWN;
    m->ruri = NULL;
    m->ruri_pending = 0;
    m->start_dirty = m->dirty = 1;
    return 0;
}

/* Where the parameter list of a parsed value lives, and the size of the value. */
static gosip_param **params_of(void *v, gosip_hdr_shape shape, size_t *size)
{
    switch (shape) {
    case GOSIP_SHAPE_NAMEADDR:
        *size = sizeof(gosip_nameaddr);
        return &((gosip_nameaddr *)v)->params;
    case GOSIP_SHAPE_VIA:
        *size = sizeof(gosip_via);
        return &((gosip_via *)v)->params;
    case GOSIP_SHAPE_TOKEN:
        *size = sizeof(gosip_token);
        return &((gosip_token *)v)->params;
    case GOSIP_SHAPE_MEDIA:
        *size = sizeof(gosip_media);
        return &((gosip_media *)v)->params;
    case GOSIP_SHAPE_UINT:
        *size = sizeof(gosip_uint);
        return &((gosip_uint *)v)->params;
    case GOSIP_SHAPE_AUTH:
        *size = sizeof(gosip_auth);
        return &((gosip_auth *)v)->params;
    default:
        return NULL;
    }
}

/* A copy of the list with `name` set, replaced or removed. */
static int edit_params(gosip_msg *m, const gosip_param *in, gosip_str name, gosip_str value,
                       int remove, gosip_param **out)
{
    gosip_param **tail = out;
    int found = 0;
    *out = NULL;
    for (; in; in = in->next) {
        int match = gosip_str_caseeq(in->name, name);
        found |= match;
        if (match && remove)
            continue;
        gosip_param *p = gosip__arena_alloc(&m->arena, sizeof *p);
        if (!p)
            return GOSIP_ERR_NOMEM;
        *p = *in;
        p->next = NULL;
        if (match)
            p->value = value;
        *tail = p;
        tail = &p->next;
    }
    if (remove)
        return found ? 0 : GOSIP_ERR_NOT_FOUND;
    if (!found) {
        gosip_param *p = gosip__arena_alloc(&m->arena, sizeof *p);
        if (!p)
            return GOSIP_ERR_NOMEM;
        p->name = name;
        p->value = value;
        p->next = NULL;
        *tail = p;
    }
    return 0;
}

static int valid_param_value(gosip_str v)
{
    if (!v.p)
        return 1;
    if (v.n >= 2 && v.p[0] == '"')
        return gosip__skip_quoted(v.p, v.p + v.n) == v.p + v.n;
    for (size_t i = 0; i < v.n; i++)
        if (!gosip__is_token(v.p[i]) && v.p[i] != ':' && v.p[i] != '[' && v.p[i] != ']')
            return 0;
    return v.n > 0;
}

int gosip_msg_set_param(gosip_msg *m, const gosip_hdr *h, gosip_str name, gosip_str value,
                        int remove)
{
    if (!m || !h || !name.p)
        return GOSIP_ERR_INVALID_ARG;
    if (!gosip__hdr_in_msg(m, h))
        return GOSIP_ERR_NOT_FOUND;
    if (!h->parsed)
        return GOSIP_ERR_INVALID_ARG;
    size_t size;
    gosip_hdr_shape shape = gosip_hdr_kind_shape((gosip_hdr_kind)h->kind);
    if (!params_of(h->parsed, shape, &size))
        return GOSIP_ERR_UNSUPPORTED;
    if (name.n == 0 || gosip__skip_token(name.p, name.p + name.n) != name.p + name.n ||
        !valid_param_value(value))
        return GOSIP_ERR_PARSE;
    void *copy = gosip__arena_alloc(&m->arena, size);
    char *n = gosip__arena_strdup(&m->arena, name.p, name.n);
    char *v = value.p ? gosip__arena_strdup(&m->arena, value.p, value.n) : NULL;
    if (!copy || !n || (value.p && !v && value.n))
        return GOSIP_ERR_NOMEM;
    memcpy(copy, h->parsed, size);
    gosip_param **list = params_of(copy, shape, &size);
    gosip_str vs = value.p ? gosip__mkstr(v ? v : "", (v ? v : "") + value.n) : GOSIP_STR_NULL;
    int rc = edit_params(m, *list, gosip__mkstr(n, n + name.n), vs, remove, list);
    if (rc)
        return rc;
    /* print the edited value and re-parse it, so that every shortcut field stays true */
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, NULL, 0);
    gosip__print_fn print = gosip__shape_printer(shape);
    print(&sb, copy);
    char *text = gosip__arena_alloc(&m->arena, sb.len + 1);
    if (!text)
        return GOSIP_ERR_NOMEM;
    gosip__sbuf_init(&sb, text, sb.len + 1);
    print(&sb, copy);
    gosip_hdr *nh;
    rc = gosip__hdr_make(m, (gosip_hdr_kind)h->kind, h->name, gosip__mkstr(text, text + sb.len),
                         &nh);
    if (rc)
        return rc;
    /* edit in place, so that the caller's handle stays valid */
    gosip_hdr *target = (gosip_hdr *)h;
    gosip__hdr_explode_line(target);
    target->value = nh->value;
    target->parsed = nh->parsed;
    target->error = 0;
    target->dirty = 0;
    m->dirty = 1;
    return 0;
}

/* Content-Type (when given) and Content-Length nodes for a body, made before any change. */
static int body_headers(gosip_msg *m, gosip_str content_type, size_t len, gosip_hdr **ct,
                        gosip_hdr **cl)
{
    char num[24];
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, num, sizeof num);
    gosip__sbuf_u64(&sb, len);
    char *cl_text = gosip__arena_strdup(&m->arena, num, sb.len);
    if (!cl_text)
        return GOSIP_ERR_NOMEM;
    *ct = NULL;
    if (content_type.p) {
        for (size_t i = 0; i < content_type.n; i++)
            if (content_type.p[i] == '\r' || content_type.p[i] == '\n')
                return GOSIP_ERR_PARSE;
        char *ct_text = gosip__arena_strdup(&m->arena, content_type.p, content_type.n);
        if (!ct_text && content_type.n)
            return GOSIP_ERR_NOMEM;
        int rc = gosip__hdr_make(m, GOSIP_HDR_CONTENT_TYPE,
                                 gosip__hdr_canonical_name(GOSIP_HDR_CONTENT_TYPE),
                                 gosip__mkstr(ct_text, ct_text + content_type.n), ct);
        if (rc)
            return rc;
    }
    return gosip__hdr_make(m, GOSIP_HDR_CONTENT_LENGTH,
                           gosip__hdr_canonical_name(GOSIP_HDR_CONTENT_LENGTH),
                           gosip__mkstr(cl_text, cl_text + sb.len), cl);
}

/* Puts nh (may be NULL) where the first header of its kind was (else at the end) and
 * removes every other header of that kind. */
static void swap_in(gosip_msg *m, gosip_hdr_kind kind, gosip_hdr *nh)
{
    const gosip_hdr *old = gosip_msg_hdr(m, kind);
    if (nh)
        gosip__hdr_link(m, nh, old ? GOSIP_WHERE_BEFORE : GOSIP_WHERE_APPEND, (gosip_hdr *)old);
    gosip_hdr *h = m->first;
    while (h) {
        gosip_hdr *next = h->next;
        if (h->kind == kind && h != nh) {
            gosip__hdr_ensure(h);
            next = h->next;
            gosip__hdr_unlink(m, h);
        }
        h = next;
    }
}

/* All-or-nothing: every new part is built before the message changes. */
int gosip_msg_set_body(gosip_msg *m, gosip_str content_type, const void *body, size_t len)
{
    if (!m || (!body && len))
        return GOSIP_ERR_INVALID_ARG;
    char *copy = gosip__arena_strdup(&m->arena, body ? body : "", len);
    if (!copy && len)
        return GOSIP_ERR_NOMEM;
    gosip_hdr *ct, *cl;
    int rc = body_headers(m, content_type, len, &ct, &cl);
    if (rc)
        return rc;
    unsigned leaving = gosip_msg_hdr_count(m, GOSIP_HDR_CONTENT_LENGTH) +
                       gosip_msg_hdr_count(m, GOSIP_HDR_CONTENT_TYPE);
    if (m->n_hdrs + 1u + (ct != NULL) > m->limits.max_headers + leaving)
        return GOSIP_ERR_LIMIT;
    swap_in(m, GOSIP_HDR_CONTENT_TYPE, ct);
    swap_in(m, GOSIP_HDR_CONTENT_LENGTH, cl);
    m->body = gosip__mkstr(copy ? copy : "", (copy ? copy : "") + len);
    m->multipart = NULL;
    m->dirty = 1;
    return 0;
}
