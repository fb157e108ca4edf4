/* Typed parsers and printers for the simple shapes: CSeq, numbers, tokens, text. */
#include "msg/msg_internal.h"

#define ALLOC(c, type) ((type *)gosip__arena_zalloc((c)->arena, sizeof(type)))

int gosip__parse_filled(const gosip__pctx *c, const char *p, size_t n, size_t size,
                        gosip__fill_fn fill, void **out)
{
    if (n == 0)
        return GOSIP_ERR_PARSE;
    void *v = gosip__arena_zalloc(c->arena, size);
    if (!v)
        return GOSIP_ERR_NOMEM;
    int rc = fill(c, p, p + n, v);
    if (rc)
        return rc;
    *out = v;
    return 0;
}

void *gosip__alloc_after_token(const gosip__pctx *c, const char *p, const char *end, size_t size,
                               const char **q, int *rc)
{
    *q = gosip__skip_token(p, end);
    *rc = *q == p ? GOSIP_ERR_PARSE : GOSIP_ERR_NOMEM;
    return *q == p ? NULL : gosip__arena_zalloc(c->arena, size);
}

/* The end of a value at q: the ;params (params NULL: none may follow), then nothing. */
static int finish(const gosip__pctx *c, const char *q, const char *end, gosip_param **params,
                  void *v, void **out)
{
    if (params) {
        int rc = gosip__parse_params(c, q, end, params, &q);
        if (rc)
            return rc;
    }
    if (q != end)
        return GOSIP_ERR_PARSE;
    *out = v;
    return 0;
}

int gosip__parse_cseq(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    const char *end = p + n;
    gosip_cseq *v = ALLOC(c, gosip_cseq);
    if (!v)
        return GOSIP_ERR_NOMEM;
    const char *q = gosip__parse_u32(p, end, UINT32_MAX, &v->seq);
    if (!q || q == end || !gosip__is_ws(*q))
        return GOSIP_ERR_PARSE;
    q = gosip__skip_ws(q, end);
    const char *m_end = gosip__skip_token(q, end);
    if (m_end == q || m_end != end)
        return GOSIP_ERR_PARSE;
    v->method_name = gosip__mkstr(q, m_end);
    v->method = gosip_method_from_str(v->method_name);
    *out = v;
    return 0;
}

void gosip__print_cseq(gosip_sbuf *sb, const void *vp)
{
    const gosip_cseq *v = vp;
    gosip__sbuf_u64(sb, v->seq);
    gosip__sbuf_ch(sb, ' ');
    gosip__sbuf_str(sb, v->method_name);
}

static int parse_number(const gosip__pctx *c, const char *p, size_t n, uint32_t max,
                        int with_params, void **out)
{
    const char *end = p + n;
    gosip_uint *v = ALLOC(c, gosip_uint);
    if (!v)
        return GOSIP_ERR_NOMEM;
    const char *q = gosip__parse_u32(p, end, max, &v->value);
    if (!q)
        return GOSIP_ERR_PARSE;
    return finish(c, q, end, with_params ? &v->params : NULL, v, out);
}

int gosip__parse_uint_hdr(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return parse_number(c, p, n, UINT32_MAX, 1, out);
}

int gosip__parse_max_forwards(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return parse_number(c, p, n, 255, 0, out);
}

int gosip__parse_content_length(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return parse_number(c, p, n, UINT32_MAX, 0, out);
}

/* Retry-After: delta-seconds [ comment ] *( SEMI retry-param ) */
int gosip__parse_retry_after(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    const char *end = p + n;
    gosip_uint *v = ALLOC(c, gosip_uint);
    if (!v)
        return GOSIP_ERR_NOMEM;
    const char *q = gosip__parse_u32(p, end, UINT32_MAX, &v->value);
    if (!q)
        return GOSIP_ERR_PARSE;
    const char *r = gosip__skip_ws(q, end);
    if (r < end && *r == '(') {
        const char *cend = gosip__skip_comment(r, end);
        if (!cend)
            return GOSIP_ERR_PARSE;
        v->comment = gosip__mkstr(r + 1, cend - 1);
        q = cend;
    }
    return finish(c, q, end, &v->params, v, out);
}

void gosip__print_uint(gosip_sbuf *sb, const void *vp)
{
    const gosip_uint *v = vp;
    gosip__sbuf_u64(sb, v->value);
    if (v->comment.p) {
        gosip__sbuf_cstr(sb, " (");
        gosip__sbuf_str(sb, v->comment);
        gosip__sbuf_ch(sb, ')');
    }
    gosip__print_params(sb, v->params);
}

static const char *skip_word(const char *p, const char *end)
{
    p = gosip__skip_cc(p, end, GOSIP_CC_WORD);
    return p;
}

/* callid = word [ "@" word ] */
static const char *skip_callid(const char *p, const char *end)
{
    const char *q = skip_word(p, end);
    if (q == p)
        return NULL;
    if (q < end && *q == '@') {
        const char *r = skip_word(q + 1, end);
        if (r == q + 1)
            return NULL;
        q = r;
    }
    return q;
}

static int parse_token_like(const gosip__pctx *c, const char *p, size_t n, int callid, void **out)
{
    const char *end = p + n;
    gosip_token *v = ALLOC(c, gosip_token);
    if (!v)
        return GOSIP_ERR_NOMEM;
    const char *q = callid ? skip_callid(p, end) : gosip__skip_token(p, end);
    if (!q || q == p)
        return GOSIP_ERR_PARSE;
    v->token = gosip__mkstr(p, q);
    return finish(c, q, end, &v->params, v, out);
}

int gosip__parse_token_hdr(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return parse_token_like(c, p, n, 0, out);
}

int gosip__parse_word_hdr(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return parse_token_like(c, p, n, 1, out);
}

void gosip__print_token(gosip_sbuf *sb, const void *vp)
{
    const gosip_token *v = vp;
    gosip__sbuf_str(sb, v->token);
    gosip__print_params(sb, v->params);
}

int gosip__parse_callid(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    const char *end = p + n;
    const char *q = skip_callid(p, end);
    if (!q || q != end)
        return GOSIP_ERR_PARSE;
    gosip_text *v = ALLOC(c, gosip_text);
    if (!v)
        return GOSIP_ERR_NOMEM;
    v->text = gosip__mkstr(p, end);
    *out = v;
    return 0;
}

/* TEXT-UTF8 with LWS: any octet but CTLs other than the folding whitespace. */
int gosip__parse_text(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if ((ch < 0x20 && !gosip__is_ws((char)ch)) || ch == 0x7f)
            return GOSIP_ERR_PARSE;
    }
    gosip_text *v = ALLOC(c, gosip_text);
    if (!v)
        return GOSIP_ERR_NOMEM;
    v->text = gosip__mkstr(p, p + n);
    *out = v;
    return 0;
}

void gosip__print_text(gosip_sbuf *sb, const void *vp)
{
    const gosip_text *v = vp;
    gosip__sbuf_str(sb, v->text);
}
