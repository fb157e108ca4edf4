/* Bump allocator for one message's parse tree; freed all at once. */
#ifndef GOSIP_BASE_ARENA_H
#define GOSIP_BASE_ARENA_H

#include <gosip/base.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

typedef struct gosip__chunk gosip__chunk;

/*
 * Objects grow from the bottom of the current chunk in 8-byte steps (so `cur` stays
 * aligned without per-call padding); byte strings grow down from the top (`end`).
 */
typedef struct gosip_arena {
    char *cur;              /* next free aligned byte in the current chunk */
    char *end;              /* one past the last free byte of the current chunk */
    gosip__chunk *chunks;   /* chunks to free (the inline first chunk is not listed) */
    const gosip_mem *mem;
    size_t used;            /* bytes taken from the allocator, inline chunk included */
    size_t next_size;       /* size of the next chunk */
} gosip_arena;

/* Initialises over an optional caller-owned first block (may be NULL/0). */
void gosip__arena_init(gosip_arena *a, const gosip_mem *mem, void *block, size_t size);
/* Frees every chunk the arena allocated. */
void gosip__arena_free(gosip_arena *a);
#if defined(__GNUC__)
#define GOSIP__NOINLINE __attribute__((noinline))
#else
#define GOSIP__NOINLINE
#endif

/* Slow path of gosip__arena_alloc: a new chunk. Never inlined (under LTO that only grows
 * the hot callers, and confuses GCC's object-size warnings). */
GOSIP__NOINLINE void *gosip__arena_alloc_slow(gosip_arena *a, size_t n);

enum { GOSIP__ARENA_ALIGN = 8 };

/* n bytes aligned to 8 (enough for every GoSIP struct); NULL when out of memory. */
static inline void *gosip__arena_alloc(gosip_arena *a, size_t n)
{
    n = (n + GOSIP__ARENA_ALIGN - 1) & ~(size_t)(GOSIP__ARENA_ALIGN - 1);
    if ((size_t)(a->end - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        return p;
    }
    return gosip__arena_alloc_slow(a, n);
}

static inline void *gosip__arena_zalloc(gosip_arena *a, size_t n)
{
    void *p = gosip__arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* Copies n bytes (unaligned placement); NULL when out of memory. */
char *gosip__arena_strdup(gosip_arena *a, const char *s, size_t n);

/* Allocator helpers honouring a gosip_mem (NULL selects libc). Inline, so that the
 * runtime library can use them without internal symbols of libgosip. */
static inline void *gosip__mem_malloc(const gosip_mem *m, size_t n)
{
    return m ? m->malloc(n, m->user_data) : malloc(n);
}

static inline void *gosip__mem_calloc(const gosip_mem *m, size_t nmemb, size_t n)
{
    return m ? m->calloc(nmemb, n, m->user_data) : calloc(nmemb, n);
}

static inline void *gosip__mem_realloc(const gosip_mem *m, void *p, size_t n)
{
    return m ? m->realloc(p, n, m->user_data) : realloc(p, n);
}

static inline void gosip__mem_free(const gosip_mem *m, void *p)
{
    if (!p)
        return;
    if (m)
        m->free(p, m->user_data);
    else
        free(p);
}

#endif
