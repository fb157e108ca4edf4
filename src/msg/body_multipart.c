/*
 * Multipart bodies (RFC 2046 section 5.1): parsing a body into parts, and building one.
 *
 * Memory: everything a parse produces lives in the arena of the message that owns the
 * body, so freeing that message frees it all and nothing else must be tracked. Each part's
 * header block is parsed into a start-line-less gosip_msg whose struct is allocated from
 * the owner's arena; while gosip__parse_headers() runs, the part borrows the owner's arena
 * (a bump allocator is only a cursor and a chunk list, so handing it over and back by value
 * is exact, and nothing else allocates meanwhile); the part's deferred header parses run
 * then too, since they allocate. Afterwards the part keeps an arena that refuses every
 * allocation, so a mutator wrongly applied to a part fails with NOMEM instead of leaking
 * chunks no one would free.
 */
#include "msg/msg_internal.h"

#include <string.h>

/* RFC 2046 allows at most 70 characters of boundary. */
enum { BOUNDARY_MAX = 70 };

/* A delimiter line found in a body. */
typedef struct delim {
    size_t end;   /* end of the content before it (where its line break starts) */
    size_t after; /* just past the delimiter line, its own line break included */
    int close;    /* "--boundary--" */
} delim;

/* Does a delimiter line ("--" boundary ["--"] LWSP* (CRLF | LF | end)) start at `at`? */
static int delim_at(const char *b, size_t n, size_t at, gosip_str bnd, delim *d)
{
    if (n - at < 2 + bnd.n || b[at] != '-' || b[at + 1] != '-' ||
        memcmp(b + at + 2, bnd.p, bnd.n) != 0)
        return 0;
    size_t i = at + 2 + bnd.n;
    d->close = 0;
    if (n - i >= 2 && b[i] == '-' && b[i + 1] == '-') {
        d->close = 1;
        i += 2;
    }
    while (i < n && (b[i] == ' ' || b[i] == '\t'))
        i++;
    if (i == n) {
        /* Only the close delimiter may end the body without a line break. */
        d->after = n;
        return d->close;
    }
    if (b[i] == '\n') {
        d->after = i + 1;
        return 1;
    }
    if (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n') {
        d->after = i + 2;
        return 1;
    }
    return 0;
}

/*
 * Finds the first delimiter whose preceding line break starts at or after `from`. With
 * `first`, a delimiter right at `from` counts too (a body without preamble). Bare LF line
 * breaks are accepted as well as CRLF, as SIP parsers commonly are.
 */
static int find_delim(const char *b, size_t n, size_t from, gosip_str bnd, int first, delim *d)
{
    if (first && delim_at(b, n, from, bnd, d)) {
        d->end = from;
        return 1;
    }
    size_t i = from;
    while (i < n) {
        const char *lf = memchr(b + i, '\n', n - i);
        if (!lf)
            return 0;
        size_t j = (size_t)(lf - b);
        if (delim_at(b, n, j + 1, bnd, d)) {
            d->end = (j > from && b[j - 1] == '\r') ? j - 1 : j;
            return 1;
        }
        i = j + 1;
    }
    return 0;
}

/* Counts the parts before the close delimiter, stopping as soon as `max` is exceeded. */
static int count_parts(gosip_str body, gosip_str bnd, unsigned max, size_t *count)
{
    delim d;
    size_t k = 0;
    if (!find_delim(body.p, body.n, 0, bnd, 1, &d) || d.close)
        return GOSIP_ERR_PARSE;
    do {
        if (!find_delim(body.p, body.n, d.after, bnd, 0, &d))
            return GOSIP_ERR_PARSE;
        if (++k > max)
            return GOSIP_ERR_LIMIT;
    } while (!d.close);
    *count = k;
    return 0;
}

/* The boundary parameter of a multipart media value, quotes removed. */
static int media_boundary(const gosip_media *media, gosip_str *out)
{
    if (!media || !GOSIP__IEQ(media->type, "multipart"))
        return GOSIP_ERR_NOT_FOUND;
    const gosip_param *prm = gosip_param_find(media->params, "boundary");
    if (!prm || !prm->value.p)
        return GOSIP_ERR_NOT_FOUND;
    gosip_str b = prm->value;
    if (b.n >= 2 && b.p[0] == '"' && b.p[b.n - 1] == '"') {
        b.p++;
        b.n -= 2;
    }
    if (b.n == 0)
        return GOSIP_ERR_PARSE;
    *out = b;
    return 0;
}

/* An allocator that always fails: the arena a part keeps once its parse is over. */
static void *refuse_malloc(size_t n, void *ud)
{
    (void)n, (void)ud;
    return NULL;
}

static void *refuse_calloc(size_t nmemb, size_t n, void *ud)
{
    (void)nmemb, (void)n, (void)ud;
    return NULL;
}

static void *refuse_realloc(void *p, size_t n, void *ud)
{
    (void)p, (void)n, (void)ud;
    return NULL;
}

static void refuse_free(void *p, void *ud)
{
    (void)p, (void)ud;
}

static const gosip_mem refuse_mem = {NULL, refuse_malloc, refuse_calloc, refuse_realloc,
                                     refuse_free};

/* Parses a header block [p, end) into a new part message living in owner's arena. */
static int part_headers(gosip_msg *owner, const char *p, const char *end, gosip_msg **out)
{
    gosip_msg *pm = gosip__arena_zalloc(&owner->arena, sizeof *pm);
    if (!pm)
        return GOSIP_ERR_NOMEM;
    pm->refs = 1;
    pm->type = GOSIP__MSG_NONE;
    pm->limits = owner->limits;
    pm->registry = owner->registry;
    pm->base = owner->base; /* defect offsets count from the owner's first octet */
    pm->arena = owner->arena;
    int rc = p < end ? gosip__parse_headers(pm, p, end) : 0;
    if (!rc)
        gosip__msg_ensure_all(pm); /* deferred parses need the arena: run them while lent */
    owner->arena = pm->arena;
    gosip__arena_init(&pm->arena, &refuse_mem, NULL, 0);
    *out = pm;
    return rc;
}

static int is_blank_line(const char *p, const char *e)
{
    return p < e && (*p == '\n' || (*p == '\r' && e - p >= 2 && p[1] == '\n'));
}

static const char *skip_blank_line(const char *p)
{
    return *p == '\r' ? p + 2 : p + 1;
}

/*
 * Splits a part's content [p, e) into its header block [p, *hend) and its body. Without
 * an empty line it is all headers, the last one unterminated (the line break before the
 * next delimiter belongs to the delimiter), which gosip__parse_headers() accepts.
 */
static void split_part(const char *p, const char *e, const char **hend, gosip_str *body)
{
    *body = GOSIP_STR_NULL;
    if (is_blank_line(p, e)) {
        *hend = p;
        *body = gosip__mkstr(skip_blank_line(p), e);
        return;
    }
    const char *q = p;
    while (q < e) {
        const char *lf = memchr(q, '\n', (size_t)(e - q));
        if (!lf)
            break;
        q = lf + 1;
        if (is_blank_line(q, e)) {
            *hend = q;
            *body = gosip__mkstr(skip_blank_line(q), e);
            return;
        }
    }
    *hend = e;
}

static int parse_multipart(gosip_msg *m, gosip_str body, gosip_str bnd, unsigned depth,
                           gosip_multipart **out);

/* Parses one part: its header message, its Content-Type and a nested multipart. */
static int parse_part(gosip_msg *m, const char *b, size_t start, const delim *nx, unsigned depth,
                      gosip_body_part *part)
{
    const char *hend;
    split_part(b + start, b + nx->end, &hend, &part->body);
    int rc = part_headers(m, b + start, hend, &part->headers);
    if (rc)
        return rc;
    part->headers->raw = gosip__mkstr(b + start, b + nx->end);
    part->headers->body = part->body;
    const gosip_hdr *ct = gosip_msg_hdr(part->headers, GOSIP_HDR_CONTENT_TYPE);
    if (!ct)
        return 0;
    part->content_type = gosip_hdr_value(ct);
    const gosip_media *media = gosip_hdr_media(ct);
    if (!media || !GOSIP__IEQ(media->type, "multipart"))
        return 0;
    gosip_str nested_bnd;
    rc = media_boundary(media, &nested_bnd);
    if (rc)
        return GOSIP_ERR_PARSE; /* every multipart type requires a boundary */
    if (!part->body.n)
        return GOSIP_ERR_PARSE;
    return parse_multipart(m, part->body, nested_bnd, depth + 1, &part->nested);
}

static int parse_multipart(gosip_msg *m, gosip_str body, gosip_str bnd, unsigned depth,
                           gosip_multipart **out)
{
    size_t count;
    if (depth > m->limits.max_body_depth)
        return GOSIP_ERR_LIMIT;
    int rc = count_parts(body, bnd, m->limits.max_body_parts, &count);
    if (rc)
        return rc;
    if (count > SIZE_MAX / sizeof(gosip_body_part))
        return GOSIP_ERR_LIMIT;
    gosip_multipart *mp = gosip__arena_zalloc(&m->arena, sizeof *mp);
    gosip_body_part *parts = gosip__arena_zalloc(&m->arena, count * sizeof *parts);
    if (!mp || !parts)
        return GOSIP_ERR_NOMEM;
    delim d;
    find_delim(body.p, body.n, 0, bnd, 1, &d);
    for (size_t k = 0; k < count; k++) {
        size_t start = d.after;
        find_delim(body.p, body.n, start, bnd, 0, &d);
        rc = parse_part(m, body.p, start, &d, depth, &parts[k]);
        if (rc)
            return rc;
    }
    mp->boundary = bnd;
    mp->n_parts = count;
    mp->parts = parts;
    *out = mp;
    return 0;
}

int gosip_msg_multipart(gosip_msg *m, const gosip_multipart **out)
{
    if (!m || !out)
        return GOSIP_ERR_INVALID_ARG;
    if (m->multipart) {
        *out = m->multipart;
        return 0;
    }
    const gosip_hdr *ct = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE);
    gosip_str bnd;
    int rc = media_boundary(ct ? gosip_hdr_media(ct) : NULL, &bnd);
    if (rc)
        return rc;
    gosip_str body = gosip_msg_body(m);
    if (!body.n)
        return GOSIP_ERR_PARSE;
    gosip_multipart *mp;
    rc = parse_multipart(m, body, bnd, 1, &mp);
    if (rc)
        return rc;
    m->multipart = mp;
    *out = mp;
    return 0;
}

/* ---------------------------------------------------------------- building */

/* bchars of RFC 2046: DIGIT ALPHA ' ( ) + _ , - . / : = ? and space (not last). */
static int is_bchar(char c)
{
    return gosip__is_alnum(c) || (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

static int boundary_valid(gosip_str b)
{
    if (b.n == 0 || b.n > BOUNDARY_MAX || b.p[b.n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < b.n; i++)
        if (!is_bchar(b.p[i]))
            return 0;
    return 1;
}

/* Does "--" boundary start a line of [p, p+n) (the text starts at a line start)? */
static int starts_line_in(const char *p, size_t n, gosip_str bnd)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 2 + bnd.n && p[i] == '-' && p[i + 1] == '-' &&
            memcmp(p + i + 2, bnd.p, bnd.n) == 0)
            return 1;
        const char *lf = memchr(p + i, '\n', n - i);
        if (!lf)
            return 0;
        i = (size_t)(lf - p) + 1;
    }
    return 0;
}

static int boundary_collides(gosip_str bnd, const gosip_body_part_spec *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (parts[i].headers.n && starts_line_in(parts[i].headers.p, parts[i].headers.n, bnd))
            return 1;
        if (parts[i].body_len && starts_line_in(parts[i].body, parts[i].body_len, bnd))
            return 1;
    }
    return 0;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/*
 * Derives "gosip-" and 16 hex digits from the parts and a salt: reproducible output with
 * no random source, and a collision only means trying the next salt.
 */
static void boundary_derive(const gosip_body_part_spec *parts, size_t n, uint32_t salt,
                            char buf[22])
{
    uint64_t h = fnv1a(0xcbf29ce484222325u, &salt, sizeof salt);
    for (size_t i = 0; i < n; i++) {
        h = fnv1a(h, parts[i].content_type.p, parts[i].content_type.n);
        h = fnv1a(h, parts[i].headers.p, parts[i].headers.n);
        h = fnv1a(h, parts[i].body, parts[i].body_len);
    }
    memcpy(buf, "gosip-", 6);
    for (int i = 0; i < 16; i++)
        buf[6 + i] = "0123456789abcdef"[(h >> (60 - 4 * i)) & 0xf];
}

/* Header text must be lines without an empty one; CR/LF is never allowed in a value. */
static int spec_valid(const gosip_body_part_spec *s)
{
    if (s->content_type.n && !s->content_type.p)
        return 0;
    for (size_t i = 0; i < s->content_type.n; i++)
        if (s->content_type.p[i] == '\r' || s->content_type.p[i] == '\n')
            return 0;
    if ((s->headers.n && !s->headers.p) || (s->body_len && !s->body))
        return 0;
    const char *h = s->headers.p;
    size_t n = s->headers.n;
    if (n && (h[0] == '\r' || h[0] == '\n'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (h[i - 1] == '\n' && (h[i] == '\n' || h[i] == '\r'))
            return 0;
    return 1;
}

static int headers_need_crlf(const gosip_body_part_spec *s)
{
    return s->headers.n && s->headers.p[s->headers.n - 1] != '\n';
}

/* Bytes of the body built from the parts, or 0 on overflow. */
static size_t built_size(gosip_str bnd, const gosip_body_part_spec *parts, size_t n)
{
    size_t total = 2 + bnd.n + 4; /* close delimiter "--B--" CRLF */
    for (size_t i = 0; i < n; i++) {
        const gosip_body_part_spec *s = &parts[i];
        size_t add = 2 + bnd.n + 2 + 2 + 2; /* "--B" CRLF, empty line, CRLF before next */
        if (s->content_type.p)
            add += sizeof "Content-Type: " - 1 + s->content_type.n + 2;
        add += s->headers.n + (headers_need_crlf(s) ? 2 : 0);
        if (s->body_len > SIZE_MAX / 2 || add > SIZE_MAX / 2 - s->body_len)
            return 0;
        add += s->body_len;
        if (total > SIZE_MAX - add)
            return 0;
        total += add;
    }
    return total;
}

static void put(char **w, const void *p, size_t n)
{
    if (n)
        memcpy(*w, p, n);
    *w += n;
}

static void build_into(char *w, gosip_str bnd, const gosip_body_part_spec *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const gosip_body_part_spec *s = &parts[i];
        put(&w, "--", 2);
        put(&w, bnd.p, bnd.n);
        put(&w, "\r\n", 2);
        if (s->content_type.p) {
            put(&w, "Content-Type: ", sizeof "Content-Type: " - 1);
            put(&w, s->content_type.p, s->content_type.n);
            put(&w, "\r\n", 2);
        }
        put(&w, s->headers.p, s->headers.n);
        if (headers_need_crlf(s))
            put(&w, "\r\n", 2);
        put(&w, "\r\n", 2);
        put(&w, s->body, s->body_len);
        put(&w, "\r\n", 2);
    }
    put(&w, "--", 2);
    put(&w, bnd.p, bnd.n);
    put(&w, "--\r\n", 4);
}

/* Picks the boundary: the caller's, checked, or a derived one that collides with nothing. */
static int choose_boundary(gosip_str *bnd, const gosip_body_part_spec *parts, size_t n,
                           char buf[22])
{
    if (bnd->p) {
        if (!boundary_valid(*bnd) || boundary_collides(*bnd, parts, n))
            return GOSIP_ERR_INVALID_ARG;
        return 0;
    }
    for (uint32_t salt = 0; salt < 64; salt++) {
        boundary_derive(parts, n, salt, buf);
        *bnd = (gosip_str){buf, 22};
        if (!boundary_collides(*bnd, parts, n))
            return 0;
    }
    return GOSIP_ERR_INVALID_ARG; /* only content built against this very scheme gets here */
}

/* "multipart/mixed;boundary=B", quoting B unless it is a token. */
static gosip_str content_type_for(gosip_str bnd, char *buf)
{
    static const char prefix[] = "multipart/mixed;boundary=";
    size_t len = sizeof prefix - 1;
    int quote = 0;
    for (size_t i = 0; i < bnd.n; i++)
        if (!gosip__is_token(bnd.p[i]))
            quote = 1;
    memcpy(buf, prefix, len);
    if (quote)
        buf[len++] = '"';
    memcpy(buf + len, bnd.p, bnd.n);
    len += bnd.n;
    if (quote)
        buf[len++] = '"';
    return (gosip_str){buf, len};
}

int gosip_multipart_build(gosip_msg *m, gosip_str boundary, const gosip_body_part_spec *parts,
                          size_t n)
{
    char derived[22];
    char ct_buf[sizeof "multipart/mixed;boundary=" + BOUNDARY_MAX + 2];
    if (!m || !parts || n == 0)
        return GOSIP_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (!spec_valid(&parts[i]))
            return GOSIP_ERR_INVALID_ARG;
    int rc = choose_boundary(&boundary, parts, n, derived);
    if (rc)
        return rc;
    size_t total = built_size(boundary, parts, n);
    if (!total)
        return GOSIP_ERR_NOMEM;
    char *buf = gosip__mem_malloc(m->arena.mem, total);
    if (!buf)
        return GOSIP_ERR_NOMEM;
    build_into(buf, boundary, parts, n);
    rc = gosip_msg_set_body(m, content_type_for(boundary, ct_buf), buf, total);
    gosip__mem_free(m->arena.mem, buf);
    return rc;
}
