/* Growable output buffer for printers. Errors are sticky: check once at the end. */
#ifndef GOSIP_BASE_SBUF_H
#define GOSIP_BASE_SBUF_H

#include <gosip/base.h>
#include <string.h>

typedef struct gosip_sbuf {
    char *p;      /* output; may be a caller buffer */
    size_t len;   /* bytes that would have been written (may exceed cap) */
    size_t cap;   /* writable capacity of p */
} gosip_sbuf;

/* A fixed-capacity buffer; writes past cap are counted but dropped (snprintf style). */
static inline void gosip__sbuf_init(gosip_sbuf *sb, char *buf, size_t cap)
{
    sb->p = buf;
    sb->len = 0;
    sb->cap = cap;
}

static inline void gosip__sbuf_put(gosip_sbuf *sb, const char *s, size_t n)
{
    if (sb->len < sb->cap) {
        size_t room = sb->cap - sb->len;
        memcpy(sb->p + sb->len, s, n < room ? n : room);
    }
    sb->len += n;
}

static inline void gosip__sbuf_str(gosip_sbuf *sb, gosip_str s)
{
    if (s.n)
        gosip__sbuf_put(sb, s.p, s.n);
}

static inline void gosip__sbuf_cstr(gosip_sbuf *sb, const char *s)
{
    gosip__sbuf_put(sb, s, strlen(s));
}

static inline void gosip__sbuf_ch(gosip_sbuf *sb, char c)
{
    if (sb->len < sb->cap)
        sb->p[sb->len] = c;
    sb->len++;
}

/* Appends an unsigned decimal number. */
void gosip__sbuf_u64(gosip_sbuf *sb, uint64_t v);

/* Writes the NUL terminator within cap (if cap > 0) and returns the full length. */
static inline size_t gosip__sbuf_finish(gosip_sbuf *sb)
{
    if (sb->cap) {
        size_t at = sb->len < sb->cap ? sb->len : sb->cap - 1;
        sb->p[at] = '\0';
    }
    return sb->len;
}

#endif
