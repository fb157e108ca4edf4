/*
 * The libuv runtime driving a whole gosip_stack (gosip_uv_new_stack): the runtime is the
 * stack's RFC 3263 resolver, and on close it hands the stack back whole (its own
 * callbacks, no resolver, no socket data left on its transport) so that the application
 * may free the stack from close_cb. Time and output are in runtime.c, which asks the
 * stack instead of the transport when uv->stack is set.
 */
#include "uv/uv_internal.h"

#include <string.h>

int gosip_uv_new_stack(gosip_uv **out, uv_loop_t *loop, const gosip_uv_config *cfg,
                       gosip_stack *stack)
{
    if (!stack)
        return GOSIP_ERR_INVALID_ARG;
    return gosip__uv_create(out, loop, cfg, stack, NULL, NULL);
}

/* ---------------------------------------------------------------- the stack's resolver */

static void sq_unlink(gosip_uv *uv, gosip__uv_sq *sq)
{
    if (sq->prev)
        sq->prev->next = sq->next;
    else
        uv->queries = sq->next;
    if (sq->next)
        sq->next->prev = sq->prev;
    sq->prev = sq->next = NULL;
}

/* The resolver calls back exactly once per lookup, also when it closes (DESTROYED, from
 * inside gosip_uv_close): the record is freed here, and only a live query of a runtime
 * still running gets its answer. */
static void on_sq_resolved(int status, const gosip_target *targets, size_t n, void *ud)
{
    gosip__uv_sq *sq = ud;
    gosip_uv *uv = sq->uv;
    gosip_resolve_query *q = sq->q;
    sq_unlink(uv, sq);
    gosip__uv_free(uv, sq);
    if (!q || uv->closing)
        return;
    gosip_resolve_done(q, status, status == 0 ? targets : NULL, status == 0 ? n : 0,
                       gosip__uv_now());
    gosip__uv_flush(uv);
}

static int sq_resolve(void *user_data, const gosip_uri *uri, gosip_resolve_query *q)
{
    gosip_uv *uv = user_data;
    if (uv->closing)
        return GOSIP_ERR_STATE;
    gosip__uv_sq *sq = gosip__uv_alloc(uv, sizeof *sq);
    if (!sq)
        return GOSIP_ERR_NOMEM;
    memset(sq, 0, sizeof *sq);
    sq->uv = uv;
    sq->q = q;
    sq->next = uv->queries;
    if (uv->queries)
        uv->queries->prev = sq;
    uv->queries = sq;
    int rc = gosip__resolver_resolve(uv->res, uri, on_sq_resolved, sq);
    if (rc != 0) {
        sq_unlink(uv, sq);
        gosip__uv_free(uv, sq);
    }
    return rc;
}

/* c-ares cannot abandon one query of a lookup, so a cancelled lookup runs to its end and
 * its answer is dropped; the stack may free q at once. */
static void sq_cancel(void *user_data, gosip_resolve_query *q)
{
    gosip_uv *uv = user_data;
    for (gosip__uv_sq *sq = uv->queries; sq; sq = sq->next) {
        if (sq->q == q) {
            sq->q = NULL;
            return;
        }
    }
}

void gosip__uv_stack_attach(gosip_uv *uv)
{
    gosip_resolver r = {sq_resolve, sq_cancel, uv};
    gosip_stack_set_resolver(uv->stack, &r);
}

/* ---------------------------------------------------------------- close */

/* At gosip_uv_close: the sockets are about to close, and the stack outlives them. Its
 * transport forgets the connections now (their events are muted by the closing runtime)
 * and keeps no pointer into the runtime. Listening points stay registered: removing one
 * frees it, which is unsafe while a callback may still hold it. */
void gosip__uv_stack_close(gosip_uv *uv)
{
    gosip_tstamp now = gosip__uv_now();
    for (gosip__uv_conn *uc = uv->conns; uc; uc = uc->next) {
        gosip_conn *c = uc->c;
        if (!c)
            continue;
        uc->c = NULL;
        gosip_conn_set_data(c, NULL);
        gosip_tp_conn_closed(c, 0, now);
    }
    for (gosip__uv_lp *ulp = uv->lps; ulp; ulp = ulp->next)
        if (ulp->lp)
            gosip_lp_set_data(ulp->lp, NULL);
}

/* Before close_cb, outside any stack callback (a handle's close callback): the answers
 * still pending were dropped when the resolver closed, so the stack's lookups wait for
 * gosip_stack_free, which ends their transactions. */
void gosip__uv_stack_release(gosip_uv *uv)
{
    gosip_tp_set_callbacks(uv->tp, &uv->app_cb, uv->app_ud);
    gosip_stack_set_resolver(uv->stack, NULL);
}
