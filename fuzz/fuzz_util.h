/*
 * Helpers shared by the GoSIP fuzz targets (header-only: each target is one .c file).
 * A broken invariant traps, as fuzzers expect, so that libFuzzer saves the input and the
 * corpus replay under CTest fails with a stack trace.
 */
#ifndef GOSIP_FUZZ_UTIL_H
#define GOSIP_FUZZ_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <gosip/msg.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* Prints obj into buf (capacity cap), returning the full length: snprintf's contract. */
typedef size_t (*fuzz_print_fn)(const void *obj, char *buf, size_t cap);

/*
 * Prints obj into a new NUL-terminated buffer (free it), checking the snprintf contract on
 * the way: the length does not depend on the capacity, and a short buffer is truncated and
 * terminated. NULL only when out of memory.
 */
static inline char *fuzz__print(const void *obj, fuzz_print_fn print, size_t *len)
{
    char small[8];
    size_t n = print(obj, small, 0);

    FUZZ_CHECK(print(obj, small, sizeof(small)) == n);
    FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
    char *buf = malloc(n + 1);
    if (!buf)
        return NULL;
    FUZZ_CHECK(print(obj, buf, n + 1) == n);
    FUZZ_CHECK(buf[n] == '\0');
    *len = n;
    return buf;
}

static inline size_t fuzz__msg_print(const void *m, char *buf, size_t cap)
{
    return gosip_msg_print(m, buf, cap);
}

static inline size_t fuzz__uri_print(const void *u, char *buf, size_t cap)
{
    return gosip_uri_print(u, buf, cap);
}

/* Prints m with the contract checks of fuzz__print. */
static inline char *fuzz_print_msg(const gosip_msg *m, size_t *len)
{
    return fuzz__print(m, fuzz__msg_print, len);
}

/* Prints a URI with the contract checks of fuzz__print. */
static inline char *fuzz_print_uri(const gosip_uri *u, size_t *len)
{
    return fuzz__print(u, fuzz__uri_print, len);
}

/* Number of headers of m in message order. */
static inline size_t fuzz_hdr_total(const gosip_msg *m)
{
    size_t n = 0;

    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h))
        n++;
    return n;
}

/* Whether two messages hold the same headers in the same order: names as written and kinds. */
static inline int fuzz_same_headers(const gosip_msg *a, const gosip_msg *b)
{
    const gosip_hdr *x = gosip_msg_hdr_first(a);
    const gosip_hdr *y = gosip_msg_hdr_first(b);

    for (; x && y; x = gosip_hdr_next(x), y = gosip_hdr_next(y)) {
        if (gosip_hdr_kind_of(x) != gosip_hdr_kind_of(y))
            return 0;
        if (!gosip_str_eq(gosip_hdr_name(x), gosip_hdr_name(y)))
            return 0;
    }
    return x == NULL && y == NULL;
}

#endif
