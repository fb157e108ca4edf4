#include <gosip/base.h>

#include "base/sbuf.h"
#include <string.h>

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

int gosip_str_eq(gosip_str a, gosip_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

int gosip_str_caseeq(gosip_str a, gosip_str b)
{
    if (a.n != b.n)
        return 0;
    for (size_t i = 0; i < a.n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
            return 0;
    return 1;
}

int gosip_str_caseeq_cstr(gosip_str a, const char *b)
{
    return gosip_str_caseeq(a, gosip_str_from_cstr(b));
}

gosip_str gosip_str_from_cstr(const char *s)
{
    gosip_str r = {s, s ? strlen(s) : 0};
    return r;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)lower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

gosip_ssize gosip_str_unescape(gosip_str in, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < in.n; i++) {
        char c = in.p[i];
        if (c == '%' && i + 2 < in.n + 0 && hexval(in.p[i + 1]) >= 0 && hexval(in.p[i + 2]) >= 0) {
            c = (char)(hexval(in.p[i + 1]) * 16 + hexval(in.p[i + 2]));
            i += 2;
        }
        if (o >= cap)
            return GOSIP_ERR_BUFFER_SMALL;
        out[o++] = c;
    }
    return (gosip_ssize)o;
}

void gosip__sbuf_u64(gosip_sbuf *sb, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    gosip__sbuf_put(sb, tmp + i, sizeof tmp - i);
}
