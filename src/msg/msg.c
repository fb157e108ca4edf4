/* Message lifecycle and read accessors. */
#include "msg/msg_internal.h"

gosip_msg *gosip__msg_alloc(const gosip_mem *mem, size_t arena_hint)
{
    size_t head = (sizeof(gosip_msg) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    gosip_msg *m = gosip__mem_malloc(mem, head + arena_hint);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->refs = 1;
    gosip__arena_init(&m->arena, mem, (char *)m + head, arena_hint);
    m->arena.used = head + arena_hint;
    gosip_msg_limits_default(&m->limits);
    return m;
}

int gosip_msg_new(gosip_msg **out, const gosip_mem *mem)
{
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    gosip_msg *m = gosip__msg_alloc(mem, 2560);
    if (!m)
        return GOSIP_ERR_NOMEM;
    m->dirty = 1;
    m->start_dirty = 1;
    *out = m;
    return 0;
}

gosip_msg *gosip_msg_ref(gosip_msg *m)
{
    if (m)
        m->refs++;
    return m;
}

void gosip_msg_unref(gosip_msg *m)
{
    if (!m || --m->refs > 0)
        return;
    const gosip_mem *mem = m->arena.mem;
    gosip_hdr_registry_free((gosip_hdr_registry *)m->registry);
    gosip__arena_free(&m->arena);
    gosip__mem_free(mem, m);
}

void gosip__msg_defect(gosip_msg *m, int code, int status, const char *reason, size_t offset,
                       gosip_hdr_kind kind)
{
    /* keep the defect that comes first in the message, whatever order headers are read in */
    if (m->has_defect && offset >= m->defect.offset)
        return;
    m->has_defect = 1;
    m->defect.code = code;
    m->defect.status = status;
    m->defect.reason = reason;
    m->defect.offset = offset;
    m->defect.kind = kind;
}

int gosip_msg_defect(const gosip_msg *m, gosip_parse_error *err)
{
    if (!m)
        return 0;
    gosip__msg_ensure_all(m);
    if (!m->has_defect)
        return 0;
    if (err)
        *err = m->defect;
    return m->defect.code;
}

size_t gosip_msg_mem_used(const gosip_msg *m)
{
    return m ? m->arena.used : 0;
}

void *gosip_msg_alloc(gosip_msg *m, size_t n)
{
    /* applications may store any type: align to max_align_t, as malloc does */
    const size_t align = alignof(max_align_t);
    if (!m || n > SIZE_MAX - align)
        return NULL;
    char *p = gosip__arena_alloc(&m->arena, n + align - 1);
    if (!p)
        return NULL;
    return p + ((align - (uintptr_t)p % align) % align);
}

int gosip_msg_is_request(const gosip_msg *m)
{
    return m && m->type == GOSIP__MSG_REQUEST;
}

gosip_method gosip_msg_method(const gosip_msg *m)
{
    return m && m->type == GOSIP__MSG_REQUEST ? m->method : GOSIP_METHOD_UNKNOWN;
}

gosip_str gosip_msg_method_name(const gosip_msg *m)
{
    return m && m->type == GOSIP__MSG_REQUEST ? m->method_name : GOSIP_STR_NULL;
}

const gosip_uri *gosip_msg_request_uri(const gosip_msg *m)
{
    if (!m || m->type != GOSIP__MSG_REQUEST)
        return NULL;
    gosip__msg_ensure_ruri(m);
    return m->ruri;
}

gosip_str gosip_msg_version(const gosip_msg *m)
{
    return m ? m->version : GOSIP_STR_NULL;
}

int gosip_msg_status(const gosip_msg *m)
{
    return m && m->type == GOSIP__MSG_RESPONSE ? m->status : 0;
}

gosip_str gosip_msg_reason(const gosip_msg *m)
{
    return m && m->type == GOSIP__MSG_RESPONSE ? m->reason : GOSIP_STR_NULL;
}

gosip_str gosip_msg_body(const gosip_msg *m)
{
    return m && m->body.n ? m->body : GOSIP_STR_NULL;
}

const gosip_hdr *gosip_msg_hdr_first(const gosip_msg *m)
{
    return m ? m->first : NULL;
}

const gosip_hdr *gosip_msg_hdr(const gosip_msg *m, gosip_hdr_kind kind)
{
    if (!m)
        return NULL;
    if (kind > GOSIP_HDR_OTHER && kind < GOSIP_HDR__BUILTIN_COUNT)
        return m->by_kind[kind];
    if (kind >= GOSIP_HDR__EXT_BASE && kind < GOSIP_HDR__MAX)
        for (const gosip_hdr *h = m->first; h; h = h->next)
            if (h->kind == kind)
                return h;
    return NULL;
}

const gosip_hdr *gosip_msg_hdr_by_name(const gosip_msg *m, gosip_str name)
{
    if (!m || !name.p)
        return NULL;
    gosip_hdr_kind kind = gosip_hdr_kind_from_name(name);
    if (kind != GOSIP_HDR_OTHER)
        return m->by_kind[kind];
    kind = gosip__registry_lookup(m->registry, name.p, name.n);
    if (kind != GOSIP_HDR_OTHER)
        return gosip_msg_hdr(m, kind);
    for (const gosip_hdr *h = m->first; h; h = h->next)
        if (gosip_str_caseeq(h->name, name))
            return h;
    return NULL;
}

unsigned gosip_msg_hdr_count(const gosip_msg *m, gosip_hdr_kind kind)
{
    unsigned n = 0;
    for (const gosip_hdr *h = gosip_msg_hdr(m, kind); h; h = gosip_hdr_next_same(h))
        n++;
    return n;
}

gosip_hdr_kind gosip_hdr_kind_of(const gosip_hdr *h)
{
    return h ? (gosip_hdr_kind)h->kind : GOSIP_HDR_OTHER;
}

gosip_str gosip_hdr_name(const gosip_hdr *h)
{
    return h ? h->name : GOSIP_STR_NULL;
}

gosip_str gosip_hdr_value(const gosip_hdr *h)
{
    gosip__hdr_ensure(h);
    return h ? h->value : GOSIP_STR_NULL;
}

int gosip_hdr_error(const gosip_hdr *h)
{
    gosip__hdr_ensure(h);
    return h ? h->error : GOSIP_ERR_INVALID_ARG;
}

const gosip_hdr *gosip_hdr_next(const gosip_hdr *h)
{
    gosip__hdr_ensure(h);
    return h ? h->next : NULL;
}

void gosip__msg_link_same(gosip_msg *m)
{
    gosip_hdr *tails[GOSIP_HDR__BUILTIN_COUNT] = {0};
    memset(m->by_kind, 0, sizeof m->by_kind);
    for (gosip_hdr *h = m->first; h; h = h->next) {
        if (h->kind <= GOSIP_HDR_OTHER || h->kind >= GOSIP_HDR__BUILTIN_COUNT)
            continue;
        h->next_same = NULL;
        if (tails[h->kind])
            tails[h->kind]->next_same = h;
        else
            m->by_kind[h->kind] = h;
        tails[h->kind] = h;
    }
    m->same_linked = 1;
}

const gosip_hdr *gosip_hdr_next_same(const gosip_hdr *h)
{
    if (!h)
        return NULL;
    gosip__hdr_ensure(h);
    if (h->kind > GOSIP_HDR_OTHER && h->kind < GOSIP_HDR__BUILTIN_COUNT) {
        if (h->msg && !h->msg->same_linked)
            gosip__msg_link_same(h->msg);
        return h->next_same;
    }
    for (const gosip_hdr *o = h->next; o; o = o->next)
        if (o->kind == h->kind &&
            (h->kind != GOSIP_HDR_OTHER || gosip_str_caseeq(o->name, h->name)))
            return o;
    return NULL;
}

static const void *typed(const gosip_hdr *h, gosip_hdr_shape shape)
{
    if (!h)
        return NULL;
    gosip__hdr_ensure(h);
    if (!h->parsed)
        return NULL;
    const gosip__hdr_info *info = gosip__hdr_info_of((gosip_hdr_kind)h->kind);
    gosip_hdr_shape actual = info ? (gosip_hdr_shape)info->shape : GOSIP_SHAPE_EXTENSION;
    return actual == shape ? h->parsed : NULL;
}

#define TYPED_VIEW(fn, type, shape)                                                                \
    const type *fn(const gosip_hdr *h)                                                             \
    {                                                                                              \
        return typed(h, shape);                                                                    \
    }

TYPED_VIEW(gosip_hdr_nameaddr, gosip_nameaddr, GOSIP_SHAPE_NAMEADDR)
TYPED_VIEW(gosip_hdr_via, gosip_via, GOSIP_SHAPE_VIA)
TYPED_VIEW(gosip_hdr_cseq, gosip_cseq, GOSIP_SHAPE_CSEQ)
TYPED_VIEW(gosip_hdr_rack, gosip_rack, GOSIP_SHAPE_RACK)
TYPED_VIEW(gosip_hdr_uint, gosip_uint, GOSIP_SHAPE_UINT)
TYPED_VIEW(gosip_hdr_token, gosip_token, GOSIP_SHAPE_TOKEN)
TYPED_VIEW(gosip_hdr_media, gosip_media, GOSIP_SHAPE_MEDIA)
TYPED_VIEW(gosip_hdr_auth, gosip_auth, GOSIP_SHAPE_AUTH)
TYPED_VIEW(gosip_hdr_text, gosip_text, GOSIP_SHAPE_TEXT)
TYPED_VIEW(gosip_hdr_warning, gosip_warning, GOSIP_SHAPE_WARNING)
TYPED_VIEW(gosip_hdr_date, gosip_date, GOSIP_SHAPE_DATE)
TYPED_VIEW(gosip_hdr_timestamp, gosip_timestamp, GOSIP_SHAPE_TIMESTAMP)

const void *gosip_hdr_ext(const gosip_hdr *h)
{
    return typed(h, GOSIP_SHAPE_EXTENSION);
}

const gosip_via *gosip_msg_via(const gosip_msg *m)
{
    return gosip_hdr_via(gosip_msg_hdr(m, GOSIP_HDR_VIA));
}

const gosip_nameaddr *gosip_msg_from(const gosip_msg *m)
{
    return gosip_hdr_nameaddr(gosip_msg_hdr(m, GOSIP_HDR_FROM));
}

const gosip_nameaddr *gosip_msg_to(const gosip_msg *m)
{
    return gosip_hdr_nameaddr(gosip_msg_hdr(m, GOSIP_HDR_TO));
}

const gosip_nameaddr *gosip_msg_contact(const gosip_msg *m)
{
    return gosip_hdr_nameaddr(gosip_msg_hdr(m, GOSIP_HDR_CONTACT));
}

const gosip_cseq *gosip_msg_cseq(const gosip_msg *m)
{
    return gosip_hdr_cseq(gosip_msg_hdr(m, GOSIP_HDR_CSEQ));
}

gosip_str gosip_msg_call_id(const gosip_msg *m)
{
    const gosip_text *t = gosip_hdr_text(gosip_msg_hdr(m, GOSIP_HDR_CALL_ID));
    return t ? t->text : GOSIP_STR_NULL;
}

int gosip_msg_max_forwards(const gosip_msg *m)
{
    const gosip_uint *u = gosip_hdr_uint(gosip_msg_hdr(m, GOSIP_HDR_MAX_FORWARDS));
    return u ? (int)u->value : -1;
}

void gosip__msg_set_origin(gosip_msg *m, const void *data, size_t len)
{
    if (len > GOSIP__MSG_ORIGIN_MAX)
        len = 0;
    m->origin.len = (uint8_t)len;
    if (len)
        memcpy(m->origin.data, data, len);
}

const void *gosip__msg_get_origin(const gosip_msg *m, size_t *len)
{
    *len = m->origin.len;
    return m->origin.len ? m->origin.data : NULL;
}
