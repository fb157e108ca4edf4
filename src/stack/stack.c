/*
 * The stack's lifetime: configuration, creation (all-or-nothing), the free that ends every
 * transaction with exactly one outcome, the re-entrancy guard, time and output.
 */
#include "dialog/dialog_internal.h"

#include <stdlib.h>
#include <string.h>

void gosip_config_default_versioned(int version, gosip_config *cfg)
{
    (void)version; /* version 1 is the only one: every field has a default below */
    memset(cfg, 0, sizeof *cfg);
    gosip_tp_config_default(&cfg->tp);
    cfg->t1 = GOSIP__TXN_T1;
    cfg->t2 = GOSIP__TXN_T2;
    cfg->t4 = GOSIP__TXN_T4;
    cfg->max_transactions = GOSIP_DEFAULT_MAX_TRANSACTIONS;
    cfg->retry_after = GOSIP_DEFAULT_RETRY_AFTER;
    cfg->trying_delay = GOSIP_DEFAULT_TRYING_DELAY;
    cfg->auto_cancel = 1;
    cfg->auto_dialog = 1;
    cfg->max_dialogs = GOSIP_DEFAULT_MAX_DIALOGS;
    cfg->reject_merged = 1;
    cfg->validate = 1;
    cfg->role = GOSIP_ROLE_UAS;
}

/* ---------------------------------------------------------------- memory */

void *gosip__stack_alloc(gosip_stack *s, size_t n)
{
    return s->mem.malloc(n, s->mem.user_data);
}

void *gosip__stack_calloc(gosip_stack *s, size_t n)
{
    return s->mem.calloc(1, n, s->mem.user_data);
}

void gosip__stack_free_mem(gosip_stack *s, void *p)
{
    if (p)
        s->mem.free(p, s->mem.user_data);
}

static char *dup_cstr(gosip_stack *s, const char *src)
{
    size_t n = strlen(src) + 1;
    char *d = gosip__stack_alloc(s, n);
    if (d)
        memcpy(d, src, n);
    return d;
}

/* Tags and branches are drawn from a pool filled a few hundred characters at a time: one
 * system call serves dozens of them instead of one each. */
void gosip__stack_random(gosip_stack *s, char *buf, size_t n)
{
    if (s->cfg.random || n > sizeof s->rpool) {
        gosip_random_token(buf, n, s->cfg.random, s->cfg.random_data);
        return;
    }
    if (s->rpool_left < n) {
        gosip_random_token(s->rpool, sizeof s->rpool, NULL, NULL);
        s->rpool_left = sizeof s->rpool;
    }
    memcpy(buf, s->rpool + sizeof s->rpool - s->rpool_left, n);
    s->rpool_left -= n;
}

/* ---------------------------------------------------------------- configuration copies */

/* Splits "100rel, timer" into the option-tag array validation compares against. */
static int copy_supported(gosip_stack *s, const char *list)
{
    if (!list)
        return 0;
    s->ext_buf = dup_cstr(s, list);
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    s->ext = gosip__stack_calloc(s, n * sizeof *s->ext);
    if (!s->ext_buf || !s->ext)
        return GOSIP_ERR_NOMEM;
    size_t k = 0;
    for (char *tok = strtok(s->ext_buf, ", \t"); tok; tok = strtok(NULL, ", \t"))
        s->ext[k++] = tok;
    s->vopts.extensions = s->ext;
    s->vopts.n_extensions = k;
    return 0;
}

static int copy_proxy(gosip_stack *s, const char *uri)
{
    if (!uri)
        return 0;
    int rc = gosip_uri_new(&s->proxy_uri, &s->mem, gosip_str_from_cstr(uri));
    if (rc)
        return rc == GOSIP_ERR_NOMEM ? rc : GOSIP_ERR_INVALID_ARG;
    if (s->proxy_uri->scheme != GOSIP_URI_SIP && s->proxy_uri->scheme != GOSIP_URI_SIPS)
        return GOSIP_ERR_INVALID_ARG;
    return 0;
}

static int check_config(const gosip_config *cfg)
{
    if (cfg->t1 == 0 || cfg->t2 < cfg->t1 || cfg->t4 == 0 || cfg->t1 > GOSIP_SEC(3600) ||
        cfg->max_transactions == 0 || cfg->max_dialogs == 0)
        return GOSIP_ERR_INVALID_ARG;
    return 0;
}

static uint64_t seed_of(gosip_stack *s)
{
    uint64_t seed = 0;
    char tok[13];
    gosip__stack_random(s, tok, sizeof tok);
    for (size_t i = 0; i < sizeof tok; i++)
        seed = seed * 33u + (uint8_t)tok[i];
    return seed;
}

static const gosip_msg *last_response_of(void *txn)
{
    return gosip_txn_response(txn);
}

static int create_parts(gosip_stack *s, const gosip_config *cfg)
{
    int rc = copy_supported(s, cfg->supported);
    if (!rc)
        rc = copy_proxy(s, cfg->outbound_proxy);
    if (!rc && cfg->contact_user && !(s->cfg.contact_user = dup_cstr(s, cfg->contact_user)))
        rc = GOSIP_ERR_NOMEM;
    if (rc)
        return rc;
    gosip_tp_config tpc = cfg->tp;
    tpc.mem = &s->mem;
    rc = gosip_transport_new(&s->tp, &tpc, &gosip__stack_tp_callbacks, s);
    if (!rc)
        rc = gosip__txn_index_new(&s->index, &s->mem, seed_of(s), last_response_of);
    s->dkey[0] = seed_of(s);
    s->dkey[1] = seed_of(s);
    return rc;
}

static void free_parts(gosip_stack *s)
{
    gosip__txn_index_free(s->index);
    s->index = NULL;
    gosip_transport_free(s->tp);
    s->tp = NULL;
    gosip_uri_free(s->proxy_uri);
    s->proxy_uri = NULL;
    gosip__stack_free_mem(s, s->ext);
    gosip__stack_free_mem(s, s->ext_buf);
    s->ext = NULL;
    s->ext_buf = NULL;
    gosip__stack_free_mem(s, s->heap);
    s->heap = NULL;
    gosip__stack_free_mem(s, (void *)s->cfg.contact_user);
    s->cfg.contact_user = NULL;
    for (unsigned i = 0; i < s->n_dmethods; i++)
        gosip__stack_free_mem(s, (void *)s->dmethods[i].p);
    s->n_dmethods = 0;
    gosip__stack_free_mem(s, s->dtab);
    s->dtab = NULL;
    s->dtab_size = 0;
    s->heap_len = s->heap_cap = 0;
}

int gosip_stack_new_versioned(gosip_stack **out, int cfg_version, const gosip_config *cfg,
                              int lis_version, const gosip_listener *lis, void *user_data)
{
    if (!out || cfg_version != GOSIP_CONFIG_V1 || lis_version != GOSIP_LISTENER_V1)
        return GOSIP_ERR_INVALID_ARG;
    gosip_config dflt;
    if (!cfg) {
        gosip_config_default(&dflt);
        cfg = &dflt;
    }
    int rc = check_config(cfg);
    if (rc)
        return rc;
    const gosip_mem *mem = cfg->mem ? cfg->mem : gosip_mem_default();
    gosip_stack *s = mem->calloc(1, sizeof *s, mem->user_data);
    if (!s)
        return GOSIP_ERR_NOMEM;
    s->refs = 1;
    s->mem = *mem;
    s->cfg = *cfg;
    s->cfg.mem = &s->mem;
    s->cfg.outbound_proxy = NULL;
    s->cfg.supported = NULL;
    s->cfg.contact_user = NULL;
    s->auto_dialog = cfg->auto_dialog != 0;
    if (lis)
        s->lis = *lis;
    s->ud = user_data;
    s->provider.stack = s;
    rc = create_parts(s, cfg);
    if (rc) {
        free_parts(s);
        s->mem.free(s, s->mem.user_data);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---------------------------------------------------------------- free */

void gosip__stack_unref(gosip_stack *s)
{
    if (--s->refs == 0)
        s->mem.free(s, s->mem.user_data);
}

/* Ends every transaction (outcome first for clients that had none) and every lookup. */
static void end_all(gosip_stack *s)
{
    while (s->live) {
        gosip_txn *t = s->live;
        gosip__txn_fail(t, GOSIP_ERR_DESTROYED, 0, "the stack was freed");
        gosip__txn_end(t, GOSIP_ERR_DESTROYED);
    }
    gosip__dialogs_end_all(s);
}

static void release(gosip_stack *s)
{
    free_parts(s);
    gosip__stack_unref(s);
}

static int release_if_pending(gosip_stack *s);

void gosip_stack_free(gosip_stack *stack)
{
    if (!stack)
        return;
    if (stack->dead) {
        release_if_pending(stack);
        return;
    }
    end_all(stack);
    stack->dead = 1; /* after the events: they were owed to the application */
    if (stack->depth) {
        stack->pending_free = 1;
        return;
    }
    release(stack);
}

/* ---------------------------------------------------------------- inputs */

/* A stack freed from a callback of an input made on its transport directly is released
 * at its next call, once nothing of it is on the call stack. */
static int release_if_pending(gosip_stack *s)
{
    if (s->dead && s->pending_free && s->depth == 0) {
        s->pending_free = 0;
        release(s);
        return 1;
    }
    return 0;
}

int gosip__stack_enter(gosip_stack *s, gosip_tstamp now)
{
    if (s->dead) {
        release_if_pending(s);
        return GOSIP_ERR_DESTROYED;
    }
    if (s->depth)
        return GOSIP_ERR_RECURSIVE;
    if (now != GOSIP_TSTAMP_NONE)
        s->now = now;
    s->depth++;
    return 0;
}

void gosip__stack_hold(gosip_stack *s)
{
    s->depth++;
}

void gosip__stack_leave(gosip_stack *s)
{
    if (--s->depth == 0 && s->pending_free) {
        s->pending_free = 0;
        release(s);
    }
}

gosip_provider *gosip_stack_provider(gosip_stack *stack)
{
    return &stack->provider;
}

gosip_stack *gosip_provider_stack(gosip_provider *p)
{
    return p->stack;
}

gosip_transport *gosip_stack_transport(gosip_stack *stack)
{
    return stack->tp;
}

const gosip_stack_stats *gosip_stack_stats_get(const gosip_stack *stack)
{
    return &stack->stats;
}

/* The lookups the old resolver still owes can no longer arrive: they fail now. */
static void fail_lookups(gosip_stack *s, const gosip_resolver *old)
{
    gosip_txn *t = s->live;
    while (t) {
        if (!t->route.query) {
            t = t->next;
            continue;
        }
        if (old->cancel)
            old->cancel(old->user_data, t->route.query);
        gosip__stack_free_mem(s, t->route.query);
        t->route.query = NULL;
        /* counted as a callback: a free from it is released by the next stack call */
        s->depth++;
        gosip__txn_fail(t, GOSIP_ERR_DESTROYED, 0, "the resolver was removed");
        gosip__txn_end(t, GOSIP_ERR_DESTROYED);
        s->depth--;
        t = s->dead ? NULL : s->live; /* the list changed: start again */
    }
}

void gosip_stack_set_resolver(gosip_stack *stack, const gosip_resolver *r)
{
    if (!stack || stack->dead)
        return;
    gosip_resolver old = stack->resolver;
    stack->resolver = r ? *r : (gosip_resolver){0};
    fail_lookups(stack, &old);
}

int gosip_stack_recv(gosip_stack *stack, gosip_lp *lp, const gosip_addr *from, const void *data,
                     size_t len, gosip_tstamp now)
{
    if (!stack || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    int rc = gosip__stack_enter(stack, now);
    if (rc)
        return rc;
    rc = gosip_tp_recv_datagram(stack->tp, lp, from, data, len, now);
    gosip__stack_leave(stack);
    return rc;
}

int gosip_stack_next_tx(gosip_stack *stack, gosip_tx *out)
{
    if (!stack || !out)
        return GOSIP_ERR_INVALID_ARG;
    if (stack->dead) {
        release_if_pending(stack);
        return GOSIP_ERR_DESTROYED;
    }
    if (stack->depth)
        return GOSIP_ERR_RECURSIVE;
    return gosip_tp_next_tx(stack->tp, out);
}

gosip_tstamp gosip_stack_next_expiry(const gosip_stack *stack)
{
    if (!stack || stack->dead)
        return GOSIP_TSTAMP_NONE;
    gosip_tstamp a = gosip__timers_next(stack);
    gosip_tstamp b = gosip_tp_next_expiry(stack->tp);
    return a < b ? a : b;
}

int gosip_stack_handle_expiry(gosip_stack *stack, gosip_tstamp now)
{
    if (!stack || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    int rc = gosip__stack_enter(stack, now);
    if (rc)
        return rc;
    rc = gosip_tp_handle_expiry(stack->tp, now);
    if (!rc && !stack->dead)
        gosip__timers_fire(stack, now);
    gosip__stack_leave(stack);
    return rc;
}

int gosip_stack_is_idle(const gosip_stack *stack)
{
    if (!stack || stack->dead)
        return 1;
    return stack->live == NULL;
}
