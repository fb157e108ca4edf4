#include "base/arena.h"

#include <stdlib.h>

static void *libc_malloc(size_t n, void *ud)
{
    (void)ud;
    return malloc(n);
}

static void *libc_calloc(size_t nmemb, size_t n, void *ud)
{
    (void)ud;
    return calloc(nmemb, n);
}

static void *libc_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}

static void libc_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static const gosip_mem libc_mem = {NULL, libc_malloc, libc_calloc, libc_realloc, libc_free};

const gosip_mem *gosip_mem_default(void)
{
    return &libc_mem;
}
