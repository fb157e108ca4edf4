/*
 * The libuv runtime's lifetime and heartbeat: creation (all-or-nothing), the one timer
 * set from the core's next expiry, the prepare handle that drains the core's output
 * before each poll, the callback trampolines, RFC 3263 resolution and the counted-down
 * close (API.md section 9). With a stack (stack_glue.c) time and output are the stack's.
 */
#include "uv/uv_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- small helpers */

void *gosip__uv_alloc(gosip_uv *uv, size_t n)
{
    if (uv->mem && uv->mem->malloc)
        return uv->mem->malloc(n, uv->mem->user_data);
    return malloc(n);
}

void gosip__uv_free(gosip_uv *uv, void *p)
{
    if (!p)
        return;
    if (uv->mem && uv->mem->free)
        uv->mem->free(p, uv->mem->user_data);
    else
        free(p);
}

gosip_tstamp gosip__uv_now(void)
{
    return uv_hrtime();
}

void gosip__uv_set_error(gosip_uv *uv, int uv_err)
{
    if (uv_err < 0)
        uv->last_error = uv_err;
}

/* An error the runtime found itself (not through the core), with the peer concerned. */
void gosip__uv_report(gosip_uv *uv, int code, int sys_error, gosip_tp_kind kind,
                      const gosip_addr *peer, const char *reason)
{
    if (uv->closing || !uv->app_cb.on_error)
        return;
    gosip_tp_error e;
    memset(&e, 0, sizeof e);
    e.code = code;
    e.sys_error = sys_error;
    e.kind = kind;
    if (peer)
        e.peer = *peer;
    e.reason = reason ? reason : gosip_strerror(code);
    uv->app_cb.on_error(uv->tp, &e, uv->app_ud);
}

void gosip__uv_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    gosip_uv *uv = *(gosip_uv **)h->data;
    /* Reads are consumed synchronously in the read callback, so one buffer serves all. */
    *buf = uv_buf_init((char *)uv->rxbuf, GOSIP__UV_RXBUF);
}

void gosip__uv_udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    gosip_uv *uv = *(gosip_uv **)h->data;
    *buf = uv_buf_init((char *)uv->udpbuf, GOSIP__UV_MMSG * GOSIP__UV_RXBUF);
}

int gosip__uv_sa_from_addr(const gosip_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(a->port);
        memcpy(&s4->sin_addr, a->ip, 4);
        return 0;
    }
    if (a->family == 6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(a->port);
        memcpy(&s6->sin6_addr, a->ip, 16);
        return 0;
    }
    return GOSIP_ERR_INVALID_ARG;
}

int gosip__uv_addr_from_sa(const struct sockaddr *sa, gosip_addr *a)
{
    memset(a, 0, sizeof *a);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        a->family = 4;
        a->port = ntohs(s4->sin_port);
        memcpy(a->ip, &s4->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        a->family = 6;
        a->port = ntohs(s6->sin6_port);
        memcpy(a->ip, &s6->sin6_addr, 16);
        return 0;
    }
    return GOSIP_ERR_INVALID_ARG;
}

/* ---------------------------------------------------------------- callbacks from the core */

static void tramp_message(gosip_transport *tp, gosip_msg *msg, const gosip_rx_info *rx, void *ud)
{
    gosip_uv *uv = ud;
    if (!uv->closing && uv->app_cb.on_message)
        uv->app_cb.on_message(tp, msg, rx, uv->app_ud);
}

/* Connection errors the runtime detected itself (a TLS failure) carry the runtime's code:
 * the core only knows that the socket closed. */
static void tramp_error(gosip_transport *tp, const gosip_tp_error *err, void *ud)
{
    gosip_uv *uv = ud;
    gosip_tp_error e = *err;
    gosip__uv_conn *uc = err->conn ? gosip_conn_data(err->conn) : NULL;
    if (uc) {
        uc->error_reported = 1;
        if (uc->fail_code) {
            e.code = uc->fail_code;
            e.reason = uc->fail_reason;
        }
    }
    if (!uv->closing && uv->app_cb.on_error)
        uv->app_cb.on_error(tp, &e, uv->app_ud);
}

/* ---------------------------------------------------------------- output and time */

static void dispatch_tx(gosip_uv *uv, const gosip_tx *tx)
{
    switch (tx->kind) {
    case GOSIP_TX_DATAGRAM:
        gosip__uv_dgrams_add(uv, uv->out_dgrams, tx);
        break;
    case GOSIP_TX_STREAM:
        gosip__uv_stream_write(uv, tx);
        break;
    case GOSIP_TX_CONNECT:
        gosip__uv_connect(uv, tx);
        break;
    case GOSIP_TX_CLOSE:
        gosip__uv_stream_close(uv, tx);
        break;
    }
}

/* ns to the libuv timer's ms, rounding up so the timer never fires early and spins;
 * a deadline already due becomes 1 ms (the next iteration), never a recursive call. */
static uint64_t delay_ms(gosip_tstamp deadline, gosip_tstamp now)
{
    if (deadline <= now)
        return 1;
    uint64_t ms = (deadline - now + 999999u) / 1000000u;
    return ms ? ms : 1;
}

/* A runtime driving a stack drives its transactions too: the stack's time and output
 * include the transport's. */
static int core_next_tx(gosip_uv *uv, gosip_tx *tx)
{
    return uv->stack ? gosip_stack_next_tx(uv->stack, tx) : gosip_tp_next_tx(uv->tp, tx);
}

static gosip_tstamp core_next_expiry(const gosip_uv *uv)
{
    return uv->stack ? gosip_stack_next_expiry(uv->stack) : gosip_tp_next_expiry(uv->tp);
}

static void on_timer(uv_timer_t *t)
{
    gosip_uv *uv = t->data;
    gosip_tstamp now = gosip__uv_now();
    gosip__uv_hs_expire(uv, now);
    if (!uv->closing && uv->stack)
        gosip_stack_handle_expiry(uv->stack, now);
    else if (!uv->closing)
        gosip_tp_handle_expiry(uv->tp, now);
    gosip__uv_flush(uv);
}

static void rearm_timer(gosip_uv *uv)
{
    gosip_tstamp now = gosip__uv_now();
    gosip_tstamp next = core_next_expiry(uv);
    gosip_tstamp hs = gosip__uv_hs_expire(uv, 0);
    if (hs < next)
        next = hs;
    if (next == GOSIP_TSTAMP_NONE) {
        uv_timer_stop(&uv->timer);
        return;
    }
    /* Deadlines are served in slots: every timer due within one slot fires in one wake-up
     * (under load thousands of transactions end each second, each at its own nanosecond),
     * at most one slot late, which no SIP timer notices. An unchanged slot needs no rearm. */
    gosip_tstamp slot = next / GOSIP__UV_TIMER_SLOT * GOSIP__UV_TIMER_SLOT;
    if (slot < next)
        slot += GOSIP__UV_TIMER_SLOT;
    if (slot == uv->timer_due && uv_is_active((uv_handle_t *)&uv->timer))
        return;
    uv->timer_due = slot;
    /* The loop's cached time may lag the clock: refresh it so the delay counts from now. */
    uv_update_time(uv->loop);
    uv_timer_start(&uv->timer, on_timer, delay_ms(slot, now), 0);
}

/* Drains every descriptor the core queued, then re-arms the timer. Called after each
 * dispatch into the core and before each poll (prepare), never from a core callback. */
void gosip__uv_flush(gosip_uv *uv)
{
    if (uv->closing || uv->flushing)
        return;
    uv->flushing = 1;
    gosip_tx tx;
    /* A send error reported from the batch may queue more (a failover): a few more passes
     * send that too; an endless chain of them goes on at the next iteration instead. */
    for (int pass = 0; pass < 4 && !uv->closing; pass++) {
        int any = 0;
        while (!uv->closing && core_next_tx(uv, &tx) == 1) {
            dispatch_tx(uv, &tx);
            any = 1;
        }
        if (!any)
            break;
        gosip__uv_dgrams_send(uv, uv->out_dgrams);
    }
    gosip__uv_dgrams_send(uv, uv->out_dgrams); /* closed while dispatching: drops them */
    uv->flushing = 0;
    if (!uv->closing)
        rearm_timer(uv);
}

/* Sends the application made outside any callback go out before the loop blocks. */
static void on_prepare(uv_prepare_t *p)
{
    gosip__uv_flush(p->data);
}

/* ---------------------------------------------------------------- creation */

void gosip_uv_config_default(gosip_uv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    gosip_tp_config_default(&cfg->tp);
    cfg->tls_verify_peer = 1;
    cfg->tls_handshake_timeout = GOSIP_SEC(10);
}

static void free_parts(gosip_uv *uv)
{
    gosip__uv_dgrams_free(uv, uv->out_dgrams); /* empty outside a flush; before the core */
    uv->out_dgrams = NULL;
    gosip__tls_ctx_free(uv->tls);
    uv->tls = NULL;
    if (!uv->stack)
        gosip_transport_free(uv->tp);
    uv->tp = NULL;
    gosip__uv_free(uv, uv->plainbuf);
    uv->plainbuf = NULL;
    gosip__uv_free(uv, uv->rxbuf);
    uv->rxbuf = NULL;
    gosip__uv_free(uv, uv->udpbuf);
    uv->udpbuf = NULL;
}

/* The loop the runtime created is closed only when nothing of the runtime is left on it,
 * which is after uv_run has returned (never from inside a callback of that loop). */
static void free_runtime(gosip_uv *uv)
{
    if (uv->own_loop) {
        uv_loop_close(uv->own_loop);
        gosip__uv_free(uv, uv->own_loop);
    }
    gosip__uv_free(uv, uv);
}

static int own_loop_new(gosip_uv *uv)
{
    uv->own_loop = gosip__uv_alloc(uv, sizeof *uv->own_loop);
    if (!uv->own_loop)
        return GOSIP_ERR_NOMEM;
    if (uv_loop_init(uv->own_loop) != 0) {
        gosip__uv_free(uv, uv->own_loop);
        uv->own_loop = NULL;
        return GOSIP_ERR_IO;
    }
    uv->loop = uv->own_loop;
    return 0;
}

static const gosip_tp_callbacks tramps = {tramp_message, tramp_error};

/* Everything that can fail without a libuv handle: nothing to close on failure. A
 * stack's transport is only borrowed here; it is taken over once nothing can fail. */
static int create_parts(gosip_uv *uv, const gosip_uv_config *cfg)
{
    uv->rxbuf = gosip__uv_alloc(uv, GOSIP__UV_RXBUF);
    uv->udpbuf = gosip__uv_alloc(uv, GOSIP__UV_MMSG * GOSIP__UV_RXBUF);
    uv->plainbuf = gosip__uv_alloc(uv, GOSIP__UV_PLAINBUF);
    uv->out_dgrams = gosip__uv_dgrams_new(uv);
    if (!uv->rxbuf || !uv->udpbuf || !uv->plainbuf || !uv->out_dgrams)
        return GOSIP_ERR_NOMEM;
    int rc = 0;
    if (uv->stack)
        uv->tp = gosip_stack_transport(uv->stack);
    else
        rc = gosip_transport_new(&uv->tp, &cfg->tp, &tramps, uv);
    if (rc != 0)
        return rc;
    /* The client side always exists (outbound TLS may be asked for at any time); the
     * server side only when a certificate is configured. */
    return gosip__tls_ctx_new(&uv->tls, cfg);
}

/* Nonzero when another runtime already drives the stack (its trampolines are installed). */
static int stack_taken(gosip_stack *stack)
{
    gosip_tp_callbacks cur;
    void *cur_ud;
    gosip_tp_get_callbacks(gosip_stack_transport(stack), &cur, &cur_ud);
    return cur.on_message == tramp_message;
}

/* The stack's own callbacks become the application's, behind the trampolines, so that
 * runtime-detected failures (TLS) reach the stack with their codes. */
static void take_over_stack(gosip_uv *uv)
{
    gosip_tp_get_callbacks(uv->tp, &uv->app_cb, &uv->app_ud);
    gosip_tp_set_callbacks(uv->tp, &tramps, uv);
    gosip__uv_stack_attach(uv);
}

static void init_fields(gosip_uv *uv, uv_loop_t *loop, const gosip_uv_config *cfg,
                        const gosip_tp_callbacks *cb, void *user_data)
{
    uv->loop = loop; /* NULL: own_loop_new */
    uv->app_cb = cb ? *cb : (gosip_tp_callbacks){0};
    uv->app_ud = user_data;
    uv->hs_timeout = cfg->tls_handshake_timeout ? cfg->tls_handshake_timeout : GOSIP_SEC(10);
    /* Unwritten bytes per connection: the core's pre-open queue bound, and at least two
     * messages of the largest size. */
    uv->max_write_queue = cfg->tp.max_conn_queue;
    size_t two = 2 * (cfg->tp.limits.max_msg_size ? cfg->tp.limits.max_msg_size : 65535u);
    if (uv->max_write_queue < two)
        uv->max_write_queue = two;
}

int gosip_uv_new(gosip_uv **out, uv_loop_t *loop, const gosip_uv_config *cfg,
                 const gosip_tp_callbacks *cb, void *user_data)
{
    return gosip__uv_create(out, loop, cfg, NULL, cb, user_data);
}

int gosip__uv_create(gosip_uv **out, uv_loop_t *loop, const gosip_uv_config *cfg,
                     gosip_stack *stack, const gosip_tp_callbacks *cb, void *user_data)
{
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    if (stack && stack_taken(stack))
        return GOSIP_ERR_STATE;
    gosip_uv_config dflt;
    if (!cfg) {
        gosip_uv_config_default(&dflt);
        cfg = &dflt;
    }
    const gosip_mem *mem = cfg->tp.mem;
    gosip_uv proto = {.mem = mem}; /* allocate with the same hooks that will free */
    gosip_uv *uv = gosip__uv_alloc(&proto, sizeof *uv);
    if (!uv)
        return GOSIP_ERR_NOMEM;
    memset(uv, 0, sizeof *uv);
    uv->mem = mem;
    uv->stack = stack;
    init_fields(uv, loop, cfg, cb, user_data);
    int rc = loop ? 0 : own_loop_new(uv);
    loop = uv->loop;
    if (rc == 0)
        rc = create_parts(uv, cfg);
    if (rc == 0)
        rc = gosip__resolver_new(&uv->res, loop, cfg->dns_servers, mem);
    if (rc != 0) {
        free_parts(uv);
        free_runtime(uv);
        return rc;
    }
    uv->res_open = 1;
    /* Handles last: uv_timer_init and uv_prepare_init cannot fail on a valid loop, so
     * nothing published needs unwinding. */
    uv->timer.data = uv;
    uv->prepare.data = uv;
    uv_timer_init(loop, &uv->timer);
    uv_prepare_init(loop, &uv->prepare);
    uv->handles = 2;
    uv_prepare_start(&uv->prepare, on_prepare);
    /* The prepare handle alone must not keep the application's loop running. */
    uv_unref((uv_handle_t *)&uv->prepare);
    if (stack)
        take_over_stack(uv);
    *out = uv;
    return 0;
}

gosip_transport *gosip_uv_transport(gosip_uv *uv)
{
    return uv->tp;
}

uv_loop_t *gosip_uv_loop(gosip_uv *uv)
{
    return uv->loop;
}

int gosip_uv_run(gosip_uv *uv, uv_run_mode mode)
{
    uv->running++;
    int rc = uv_run(uv->loop, mode);
    uv->running--;
    if (uv->finished && uv->running == 0)
        free_runtime(uv);
    return rc;
}

int gosip_uv_last_error(const gosip_uv *uv)
{
    return uv->last_error;
}

/* ---------------------------------------------------------------- resolution */

typedef struct resolve_req {
    gosip_uv *uv;
    gosip_uv_resolve_cb cb;
    void *ud;
} resolve_req;

static void on_resolved(int status, const gosip_target *targets, size_t n, void *ud)
{
    resolve_req *r = ud;
    gosip_uv *uv = r->uv;
    gosip_uv_resolve_cb cb = r->cb;
    void *cb_ud = r->ud;
    gosip__uv_free(uv, r);
    cb(uv, status, targets, n, cb_ud);
    gosip__uv_flush(uv);
}

int gosip_uv_resolve(gosip_uv *uv, const gosip_uri *uri, gosip_uv_resolve_cb cb, void *user_data)
{
    if (!uv || !uri || !cb || uv->closing)
        return GOSIP_ERR_INVALID_ARG;
    resolve_req *r = gosip__uv_alloc(uv, sizeof *r);
    if (!r)
        return GOSIP_ERR_NOMEM;
    r->uv = uv;
    r->cb = cb;
    r->ud = user_data;
    int rc = gosip__resolver_resolve(uv->res, uri, on_resolved, r);
    if (rc != 0)
        gosip__uv_free(uv, r);
    return rc;
}

/* ---------------------------------------------------------------- close */

static void finish_close(gosip_uv *uv)
{
    if (uv->handles || uv->res_open)
        return;
    void (*cb)(gosip_uv *, void *) = uv->close_cb;
    void *ud = uv->close_ud;
    /* The stack is whole again before close_cb, which may free it. */
    if (uv->stack)
        gosip__uv_stack_release(uv);
    if (cb)
        cb(uv, ud);
    free_parts(uv);
    if (uv->own_loop)
        uv->finished = 1; /* gosip_uv_run frees it once uv_run returns */
    else
        free_runtime(uv);
}

void gosip__uv_handle_closed(gosip_uv *uv)
{
    uv->handles--;
    if (uv->closing)
        finish_close(uv);
}

static void on_core_handle_closed(uv_handle_t *h)
{
    gosip__uv_handle_closed(h->data);
}

static void on_resolver_closed(void *ud)
{
    gosip_uv *uv = ud;
    uv->res_open = 0;
    finish_close(uv);
}

void gosip_uv_close(gosip_uv *uv, void (*close_cb)(gosip_uv *uv, void *ud), void *ud)
{
    if (!uv || uv->closing)
        return;
    uv->closing = 1;
    uv->close_cb = close_cb;
    uv->close_ud = ud;
    if (uv->stack)
        gosip__uv_stack_close(uv);
    gosip__uv_conn_close_all(uv);
    gosip__uv_lp_close_all(uv);
    uv_close((uv_handle_t *)&uv->timer, on_core_handle_closed);
    uv_close((uv_handle_t *)&uv->prepare, on_core_handle_closed);
    gosip__resolver_close(uv->res, on_resolver_closed, uv);
}
