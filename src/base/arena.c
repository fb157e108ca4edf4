#include "base/arena.h"

#include <stdlib.h>

struct gosip__chunk {
    gosip__chunk *next;
    size_t size;
};

enum { ARENA_MIN_CHUNK = 1024, ARENA_MAX_CHUNK = 1 << 20 };

void gosip__arena_init(gosip_arena *a, const gosip_mem *mem, void *block, size_t size)
{
    /* the block must start aligned; its usable size is cut to a multiple of the step */
    size &= ~(size_t)(GOSIP__ARENA_ALIGN - 1);
    a->cur = block;
    a->end = block ? (char *)block + size : NULL;
    a->chunks = NULL;
    a->mem = mem;
    a->used = 0;
    a->next_size = size > ARENA_MIN_CHUNK ? size : ARENA_MIN_CHUNK;
}

void gosip__arena_free(gosip_arena *a)
{
    gosip__chunk *c = a->chunks;
    while (c) {
        gosip__chunk *next = c->next;
        gosip__mem_free(a->mem, c);
        c = next;
    }
    a->chunks = NULL;
    a->cur = a->end = NULL;
}

GOSIP__NOINLINE void *gosip__arena_alloc_slow(gosip_arena *a, size_t n)
{
    size_t header = (sizeof(gosip__chunk) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    size_t size = a->next_size;
    if (n > SIZE_MAX / 2 - header)
        return NULL;
    n = (n + GOSIP__ARENA_ALIGN - 1) & ~(size_t)(GOSIP__ARENA_ALIGN - 1);
    while (size < n + header)
        size *= 2;
    gosip__chunk *c = gosip__mem_malloc(a->mem, size);
    if (!c)
        return NULL;
    c->next = a->chunks;
    c->size = size;
    a->chunks = c;
    a->used += size;
    if (a->next_size < ARENA_MAX_CHUNK)
        a->next_size *= 2;
    char *p = (char *)c + header;
    a->cur = p + n;
    a->end = (char *)c + (size & ~(size_t)(GOSIP__ARENA_ALIGN - 1));
    return p;
}

char *gosip__arena_strdup(gosip_arena *a, const char *s, size_t n)
{
    char *p;
    if ((size_t)(a->end - a->cur) >= n) {
        a->end -= n;
        p = a->end;
    } else {
        /* a fresh chunk: the string takes its bottom, objects continue after it */
        p = gosip__arena_alloc_slow(a, n);
        if (!p)
            return NULL;
    }
    if (n)
        memcpy(p, s, n);
    return p;
}
