/*
 * One deadline per stack: transactions sit in a min-heap keyed by their earliest timer, so
 * the runtime needs one timer and firing costs O(log n) per transaction due. The heap is
 * 4-ary: half the levels of a binary one, and the children of a node share cache lines,
 * which matters at the hundred thousand live transactions of a loaded server.
 */
#include "stack/stack_internal.h"

#include <stdint.h>

enum { ARITY = 4 };

static void place(gosip_stack *s, size_t i, gosip_txn *t)
{
    s->heap[i] = t;
    t->heap_idx = i;
}

static void sift_up(gosip_stack *s, size_t i)
{
    gosip_txn *t = s->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (s->heap[parent]->deadline <= t->deadline)
            break;
        place(s, i, s->heap[parent]);
        i = parent;
    }
    place(s, i, t);
}

static void sift_down(gosip_stack *s, size_t i)
{
    gosip_txn *t = s->heap[i];
    for (;;) {
        size_t first = ARITY * i + 1;
        if (first >= s->heap_len)
            break;
        size_t end = first + ARITY < s->heap_len ? first + ARITY : s->heap_len;
        size_t c = first;
        for (size_t k = first + 1; k < end; k++)
            if (s->heap[k]->deadline < s->heap[c]->deadline)
                c = k;
        if (t->deadline <= s->heap[c]->deadline)
            break;
        place(s, i, s->heap[c]);
        i = c;
    }
    place(s, i, t);
}

static int grow(gosip_stack *s)
{
    size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
    gosip_txn **h = s->mem.realloc(s->heap, cap * sizeof *h, s->mem.user_data);
    if (!h)
        return GOSIP_ERR_NOMEM;
    s->heap = h;
    s->heap_cap = cap;
    return 0;
}

void gosip__timers_remove(gosip_stack *s, gosip_txn *t)
{
    size_t i = t->heap_idx;
    if (i == SIZE_MAX)
        return;
    t->heap_idx = SIZE_MAX;
    gosip_txn *last = s->heap[--s->heap_len];
    if (i == s->heap_len)
        return;
    place(s, i, last);
    sift_down(s, i);
    sift_up(s, last->heap_idx);
}

/*
 * Re-reads t's deadline and moves it in the heap. The heap slot is reserved when the
 * transaction is created (gosip__txn_obj_new grows the heap), so this never fails.
 */
void gosip__timers_update(gosip_stack *s, gosip_txn *t)
{
    gosip_tstamp d = gosip__txn_deadline(t);
    if (d == GOSIP_TSTAMP_NONE) {
        gosip__timers_remove(s, t);
        return;
    }
    if (t->heap_idx == SIZE_MAX) {
        if (s->heap_len == s->heap_cap && grow(s) != 0)
            return; /* unreachable while slots are reserved; the deadline is then lost */
        t->deadline = d;
        place(s, s->heap_len++, t);
        sift_up(s, t->heap_idx);
        return;
    }
    gosip_tstamp old = t->deadline;
    t->deadline = d;
    if (d < old)
        sift_up(s, t->heap_idx);
    else if (d > old)
        sift_down(s, t->heap_idx);
}

/* Makes room for one more transaction in the heap. */
int gosip__timers_reserve(gosip_stack *s, size_t live)
{
    while (s->heap_cap < live + 1)
        if (grow(s) != 0)
            return GOSIP_ERR_NOMEM;
    return 0;
}

gosip_tstamp gosip__timers_next(const gosip_stack *s)
{
    return s->heap_len ? s->heap[0]->deadline : GOSIP_TSTAMP_NONE;
}

void gosip__timers_fire(gosip_stack *s, gosip_tstamp now)
{
    while (!s->dead && s->heap_len && s->heap[0]->deadline <= now) {
        gosip_txn *t = s->heap[0];
        gosip_txn_ref(t);
        gosip__txn_expire(t, now);
        /* an expiry that changed nothing must not fire again at the same time */
        if (t->heap_idx == 0 && t->deadline <= now && gosip__txn_deadline(t) <= now)
            gosip__timers_remove(s, t);
        else if (t->heap_idx != SIZE_MAX)
            gosip__timers_update(s, t);
        gosip_txn_unref(t);
    }
}
