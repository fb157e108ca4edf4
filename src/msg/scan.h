/* Character classes and small scanning helpers shared by the message parsers. */
#ifndef GOSIP_MSG_SCAN_H
#define GOSIP_MSG_SCAN_H

#include <gosip/base.h>
#include <stdint.h>

#include "msg/scan_table.inc"

extern const uint16_t gosip__cc[256];

#define GOSIP_CC(c, cls) (gosip__cc[(unsigned char)(c)] & (cls))

static inline int gosip__is_token(char c) { return GOSIP_CC(c, GOSIP_CC_TOKEN); }
static inline int gosip__is_ws(char c) { return GOSIP_CC(c, GOSIP_CC_WS); }
static inline int gosip__is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int gosip__is_alpha(char c) { return GOSIP_CC(c, GOSIP_CC_ALPHA); }
static inline int gosip__is_alnum(char c) { return GOSIP_CC(c, GOSIP_CC_ALPHA | GOSIP_CC_DIGIT); }
static inline int gosip__is_hex(char c) { return GOSIP_CC(c, GOSIP_CC_HEX); }

static inline char gosip__lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/* Skips LWS (SP, HTAB and folding CR/LF, which can only be folding inside a value). */
static inline const char *gosip__skip_ws(const char *p, const char *end)
{
    while (p < end && gosip__is_ws(*p))
        p++;
    return p;
}

/* Trims LWS on the right of [p, end). */
static inline const char *gosip__rtrim(const char *p, const char *end)
{
    while (end > p && gosip__is_ws(end[-1]))
        end--;
    return end;
}

/* Skips characters of class `cls`; unrolled, since these runs are the parser's hot loops. */
static inline const char *gosip__skip_cc(const char *p, const char *end, unsigned cls)
{
    while (end - p >= 4) {
        if (!GOSIP_CC(p[0], cls))
            return p;
        if (!GOSIP_CC(p[1], cls))
            return p + 1;
        if (!GOSIP_CC(p[2], cls))
            return p + 2;
        if (!GOSIP_CC(p[3], cls))
            return p + 3;
        p += 4;
    }
    while (p < end && GOSIP_CC(*p, cls))
        p++;
    return p;
}

static inline const char *gosip__skip_token(const char *p, const char *end)
{
    return gosip__skip_cc(p, end, GOSIP_CC_TOKEN);
}

static inline gosip_str gosip__mkstr(const char *p, const char *end)
{
    gosip_str s = {p, (size_t)(end - p)};
    return s;
}

/*
 * Skips a quoted-string starting at p (which points at '"'). Returns a pointer past the
 * closing quote, or NULL when unterminated. Backslash escapes any octet but CR/LF.
 */
const char *gosip__skip_quoted(const char *p, const char *end);

/* Skips a comment "( ... )" with nesting and quoted-pairs; NULL when unterminated. */
const char *gosip__skip_comment(const char *p, const char *end);

/*
 * Parses a decimal unsigned number of at most max (fails on overflow, on no digit and
 * on a value above max). Leading zeros are allowed. Returns the end pointer or NULL.
 */
static inline const char *gosip__parse_u32(const char *p, const char *end, uint32_t max,
                                           uint32_t *out)
{
    uint64_t v = 0;
    const char *start = p;
    while (p < end && (unsigned)(*p - '0') < 10) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > max)
            return NULL;
        p++;
    }
    if (p == start)
        return NULL;
    *out = (uint32_t)v;
    return p;
}

/*
 * ASCII case-insensitive comparison of [p, p+n) with a lower-case literal. OR-ing 0x20
 * folds letters; for the literal's other characters ('-', '/', digits) it could only
 * confuse control characters, which never reach these comparisons (names and tokens).
 */
static inline int gosip__ieq_lit(const char *p, size_t n, const char *lit, size_t lit_n)
{
    if (n != lit_n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((char)(p[i] | 0x20) != lit[i])
            return 0;
    return 1;
}
#define GOSIP__IEQ(s, lit) gosip__ieq_lit((s).p, (s).n, lit, sizeof(lit) - 1)

#endif
