#include "msg/scan.h"

#define GOSIP__CC_TABLE
#include "msg/scan_table.inc"

const char *gosip__skip_quoted(const char *p, const char *end)
{
    p++;
    while (p < end) {
        char c = *p;
        if (c == '"')
            return p + 1;
        if (c == '\\') {
            if (p + 1 >= end || p[1] == '\r' || p[1] == '\n')
                return NULL;
            p += 2;
            continue;
        }
        p++;
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

