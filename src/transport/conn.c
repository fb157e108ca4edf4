/*
 * Connection life cycle: creation (outbound CONNECT or accepted), the pre-open queue,
 * closing (CLOSE descriptor, then the runtime's gosip_tp_conn_closed) and the three
 * timers: connect (and TLS handshake), read (a message arriving too slowly) and idle.
 */
#include "transport/tp_internal.h"

#include <string.h>

static gosip_conn *conn_new(gosip_transport *tp, gosip_lp *lp, gosip_tp_kind kind,
                            const gosip_addr *peer, gosip_tstamp now)
{
    if (gosip__heap_reserve(tp, (size_t)tp->nconns + 1) != 0)
        return NULL;
    gosip_conn *c = gosip__mem_calloc(tp->cfg.mem, 1, sizeof *c);
    if (!c)
        return NULL;
    c->tp = tp;
    c->lp = lp;
    c->kind = kind;
    c->peer = *peer;
    c->partial_since = GOSIP_TSTAMP_NONE;
    c->deadline = GOSIP_TSTAMP_NONE;
    c->created = now;
    c->last_activity = now;
    if (gosip__ctab_add(tp, c) != 0) {
        gosip__mem_free(tp->cfg.mem, c);
        return NULL;
    }
    return c;
}

/* Publishes a fully built connection: counted, listed and timed. */
static void conn_link(gosip_conn *c)
{
    gosip_transport *tp = c->tp;
    c->next = tp->conns;
    if (tp->conns)
        tp->conns->prev = c;
    tp->conns = c;
    tp->nconns++;
    c->lp->nconns++;
    gosip__conn_schedule(c);
}

/* The earliest of the timers that apply in the connection's state. */
void gosip__conn_schedule(gosip_conn *c)
{
    gosip_transport *tp = c->tp;
    gosip_tstamp d = GOSIP_TSTAMP_NONE;
    if (c->state == GOSIP__CONN_OPENING) {
        d = c->created + tp->cfg.connect_timeout;
    } else if (c->state == GOSIP__CONN_OPEN) {
        d = c->last_activity + tp->cfg.idle_timeout;
        if (c->partial_since != GOSIP_TSTAMP_NONE && c->partial_since + tp->cfg.read_timeout < d)
            d = c->partial_since + tp->cfg.read_timeout;
    }
    gosip__heap_set(tp, c, d);
}

int gosip_tp_conn_accepted(gosip_transport *tp, gosip_lp *lp, const gosip_addr *peer,
                           gosip_tstamp now, gosip_conn **out)
{
    if (!tp || !lp || !peer || !out || !gosip_tp_kind_reliable(lp->kind) || lp->removed)
        return GOSIP_ERR_INVALID_ARG;
    if (tp->nconns >= tp->cfg.max_conns) {
        tp->stats.conns_refused++;
        return GOSIP_ERR_REFUSED;
    }
    int rc = gosip__src_inc(tp, peer, tp->cfg.max_conns_per_source);
    if (rc != 0) {
        if (rc == GOSIP_ERR_REFUSED)
            tp->stats.conns_refused++;
        return rc;
    }
    gosip_conn *c = conn_new(tp, lp, lp->kind, peer, now);
    if (!c) {
        gosip__src_dec(tp, peer);
        return GOSIP_ERR_NOMEM;
    }
    c->inbound = 1;
    c->state = GOSIP__CONN_OPEN;
    conn_link(c);
    *out = c;
    return 0;
}

static int copy_tls_host(gosip_conn *c, gosip_str host)
{
    if (c->kind != GOSIP_TP_TLS || !host.p)
        return 0;
    c->tls_host = gosip__mem_malloc(c->tp->cfg.mem, host.n + 1);
    if (!c->tls_host)
        return GOSIP_ERR_NOMEM;
    memcpy(c->tls_host, host.p, host.n);
    c->tls_host[host.n] = '\0';
    c->tls_host_len = host.n;
    return 0;
}

static void conn_destroy(gosip_conn *c)
{
    gosip_transport *tp = c->tp;
    gosip__mem_free(tp->cfg.mem, c->rbuf);
    gosip__mem_free(tp->cfg.mem, c->tls_host);
    gosip__mem_free(tp->cfg.mem, c);
}

/* An outbound connection to peer from lp: CONNECT queued, bytes wait until it opens. */
static int conn_connect(gosip_transport *tp, gosip_lp *lp, const gosip_addr *peer,
                        gosip_str tls_host, gosip_tstamp now, gosip_conn **out)
{
    if (tp->nconns >= tp->cfg.max_conns)
        return GOSIP_ERR_REFUSED;
    gosip_conn *c = conn_new(tp, lp, lp->kind, peer, now);
    if (!c)
        return GOSIP_ERR_NOMEM;
    c->state = GOSIP__CONN_OPENING;
    gosip_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.kind = GOSIP_TX_CONNECT;
    tx.lp = lp;
    tx.conn = c;
    tx.dest = *peer;
    int rc = copy_tls_host(c, tls_host);
    if (rc == 0) {
        tx.tls_host.p = c->tls_host;
        tx.tls_host.n = c->tls_host_len;
        rc = gosip__txq_push(tp, &tx);
    }
    if (rc != 0) {
        gosip__ctab_remove(tp, c);
        conn_destroy(c);
        return rc;
    }
    conn_link(c);
    *out = c;
    return 0;
}

/* The connection to use for peer over lp's transport: an open or opening one, else a
 * new one (RFC 3261 18.1.1 connection reuse). */
int gosip__conn_get(gosip_transport *tp, gosip_lp *lp, const gosip_addr *peer, gosip_str tls_host,
                    gosip_tstamp now, gosip_conn **out)
{
    gosip_conn *c = gosip__conn_lookup(tp, lp->kind, peer);
    if (c) {
        *out = c;
        return 0;
    }
    return conn_connect(tp, lp, peer, tls_host, now, out);
}

/* Queues b (the caller keeps its reference) on c: written at once when open, held when
 * opening. Errors: CLOSED, LIMIT (pre-open queue full), NOMEM. */
int gosip__conn_write(gosip_conn *c, gosip_buf *b, gosip_tstamp now)
{
    gosip_transport *tp = c->tp;
    if (c->state == GOSIP__CONN_CLOSING)
        return GOSIP_ERR_CLOSED;
    if (c->state == GOSIP__CONN_OPENING) {
        if (b->len > tp->cfg.max_conn_queue - c->q_bytes)
            return GOSIP_ERR_LIMIT;
        gosip_buf_ref(b);
        if (c->q_tail)
            c->q_tail->qnext = b;
        else
            c->q_head = b;
        c->q_tail = b;
        c->q_bytes += b->len;
        return 0;
    }
    gosip_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.kind = GOSIP_TX_STREAM;
    tx.lp = c->lp;
    tx.conn = c;
    tx.dest = c->peer;
    tx.buf = gosip_buf_ref(b);
    if (gosip__txq_push(tp, &tx) != 0) {
        gosip_buf_unref(b);
        return GOSIP_ERR_NOMEM;
    }
    c->last_activity = now;
    gosip__conn_schedule(c);
    return 0;
}

static size_t queue_drop(gosip_conn *c)
{
    size_t n = 0;
    while (c->q_head) {
        gosip_buf *b = c->q_head;
        c->q_head = b->qnext;
        b->qnext = NULL;
        gosip_buf_unref(b);
        n++;
    }
    c->q_tail = NULL;
    c->q_bytes = 0;
    return n;
}

void gosip_tp_conn_opened(gosip_conn *c, gosip_tstamp now)
{
    if (!c || c->state != GOSIP__CONN_OPENING)
        return;
    c->state = GOSIP__CONN_OPEN;
    c->last_activity = now;
    if (!c->tp->depth)
        c->tp->now = now;
    while (c->q_head) {
        gosip_buf *b = c->q_head;
        if (gosip__conn_write(c, b, now) != 0)
            break; /* out of memory: what is left is dropped and reported below */
        c->q_head = b->qnext;
        b->qnext = NULL;
        c->q_bytes -= b->len;
        gosip_buf_unref(b);
    }
    if (!c->q_head) {
        c->q_tail = NULL;
        gosip__conn_schedule(c);
        return;
    }
    gosip__conn_close(c, GOSIP_ERR_IO, "out of memory queueing bytes for a new connection", 1);
}

/* Starts closing c: out of the reuse table and the heap, pre-open bytes dropped, a CLOSE
 * descriptor queued; reports code to on_error when report is set. */
void gosip__conn_close(gosip_conn *c, int code, const char *reason, int report)
{
    gosip_transport *tp = c->tp;
    if (c->state == GOSIP__CONN_CLOSING)
        return;
    c->state = GOSIP__CONN_CLOSING;
    gosip__ctab_remove(tp, c);
    gosip__heap_set(tp, c, GOSIP_TSTAMP_NONE);
    queue_drop(c);
    if (!c->busy) { /* else gosip_tp_conn_recv is reading it and frees it after */
        gosip__mem_free(tp->cfg.mem, c->rbuf);
        c->rbuf = NULL;
        c->rlen = c->rcap = 0;
    }
    c->cprev = tp->close_tail;
    c->cnext = NULL;
    if (tp->close_tail)
        tp->close_tail->cnext = c;
    else
        tp->close_head = c;
    tp->close_tail = c;
    c->close_queued = 1;
    if (report)
        gosip__report(tp, code, 0, c->kind, &c->peer, c, reason);
}

static void close_list_remove(gosip_transport *tp, gosip_conn *c)
{
    if (!c->close_queued)
        return;
    if (c->cprev)
        c->cprev->cnext = c->cnext;
    else
        tp->close_head = c->cnext;
    if (c->cnext)
        c->cnext->cprev = c->cprev;
    else
        tp->close_tail = c->cprev;
    c->cnext = c->cprev = NULL;
    c->close_queued = 0;
}

/* Forgets c entirely: indexes, counts, descriptors naming it, memory. */
static void conn_unlink(gosip_conn *c)
{
    gosip_transport *tp = c->tp;
    gosip__ctab_remove(tp, c);
    gosip__heap_set(tp, c, GOSIP_TSTAMP_NONE);
    close_list_remove(tp, c);
    gosip__txq_purge_conn(tp, c);
    queue_drop(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        tp->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    tp->nconns--;
    if (c->inbound)
        gosip__src_dec(tp, &c->peer);
    gosip__lp_release(c->lp);
}

void gosip_tp_conn_closed(gosip_conn *c, int sys_error, gosip_tstamp now)
{
    if (!c || c->dead)
        return;
    gosip_transport *tp = c->tp;
    if (!tp->depth)
        tp->now = now;
    int was_closing = c->state == GOSIP__CONN_CLOSING;
    int queued = c->q_head != NULL;
    c->state = GOSIP__CONN_CLOSING;
    conn_unlink(c);
    /* a close we asked for was reported when we asked; a peer's orderly close of an idle
     * connection is routine; anything else loses data or signals a fault */
    if (!was_closing && (queued || sys_error != 0)) {
        gosip__report(tp, sys_error ? GOSIP_ERR_IO : GOSIP_ERR_CLOSED, sys_error, c->kind,
                      &c->peer, c,
                      queued ? "connection closed with messages queued" : "connection failed");
    }
    if (c->busy) {
        c->dead = 1; /* gosip_tp_conn_recv frees it when it unwinds */
        return;
    }
    conn_destroy(c);
}

/* ---------------------------------------------------------------- timers */

static void conn_expire(gosip_conn *c, gosip_tstamp now)
{
    gosip_transport *tp = c->tp;
    tp->stats.conns_timed_out++;
    if (c->state == GOSIP__CONN_OPENING) {
        gosip__conn_close(c, GOSIP_ERR_TIMEOUT,
                          c->kind == GOSIP_TP_TLS ? "TLS connect or handshake timed out"
                                                  : "connect timed out",
                          1);
    } else if (c->partial_since != GOSIP_TSTAMP_NONE &&
               c->partial_since + tp->cfg.read_timeout <= now) {
        gosip__conn_close(c, GOSIP_ERR_TIMEOUT, "message not received within read_timeout", 1);
    } else {
        /* idle: nothing is lost (bytes are only held before a connection opens), so
         * the close is orderly and not reported */
        gosip__conn_close(c, 0, NULL, 0);
    }
}

int gosip_tp_handle_expiry(gosip_transport *tp, gosip_tstamp now)
{
    if (!tp || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    if (tp->depth)
        return GOSIP_ERR_RECURSIVE;
    tp->now = now;
    while (tp->heap_len && tp->heap[0]->deadline <= now)
        conn_expire(tp->heap[0], now);
    return 0;
}

/* ---------------------------------------------------------------- accessors */

gosip_tp_kind gosip_conn_kind(const gosip_conn *c)
{
    return c ? c->kind : GOSIP_TP_TCP;
}

const gosip_addr *gosip_conn_peer(const gosip_conn *c)
{
    return c ? &c->peer : NULL;
}

gosip_lp *gosip_conn_lp(const gosip_conn *c)
{
    return c ? c->lp : NULL;
}

void gosip_conn_set_data(gosip_conn *c, void *data)
{
    if (c)
        c->data = data;
}

void *gosip_conn_data(const gosip_conn *c)
{
    return c ? c->data : NULL;
}
