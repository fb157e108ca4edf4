#include "msg/scan.h"

#include <string.h>

#define GOSIP__CC_TABLE
#include "msg/scan_table.inc"

const char *gosip__skip_quoted(const char *p, const char *end)
{
    p++;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return NULL;
        const char *bs = memchr(p, '\\', (size_t)(q - p));
        if (!bs)
            return q + 1; /* no quoted-pair before the quote: it closes the string */
        if (bs + 1 >= end || bs[1] == '\r' || bs[1] == '\n')
            return NULL;
        p = bs + 2; /* the escaped octet may itself be a quote */
    }
    return NULL;
}

const char *gosip__skip_comment(const char *p, const char *end)
{
    unsigned depth = 0;
    while (p < end) {
        char c = *p;
        if (c == '(') {
            if (++depth > 32)
                return NULL;
        } else if (c == ')') {
            if (--depth == 0)
                return p + 1;
        } else if (c == '\\') {
            if (p + 1 >= end)
                return NULL;
            p++;
        }
        p++;
    }
    return NULL;
}

