/* The transport object: configuration, listening points, the output queue. */
#include "transport/tp_internal.h"

#include <string.h>

void gosip_tp_config_default(gosip_tp_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->mem = gosip_mem_default();
    gosip_msg_limits_default(&cfg->limits);
    cfg->udp_max_request = GOSIP_DEFAULT_UDP_MAX_REQUEST;
    cfg->max_conns = GOSIP_DEFAULT_MAX_CONNS;
    cfg->max_conns_per_source = GOSIP_DEFAULT_MAX_CONNS_PER_SOURCE;
    cfg->idle_timeout = GOSIP_DEFAULT_IDLE_TIMEOUT;
    cfg->connect_timeout = GOSIP_DEFAULT_CONNECT_TIMEOUT;
    cfg->read_timeout = GOSIP_DEFAULT_READ_TIMEOUT;
    cfg->max_conn_queue = GOSIP_DEFAULT_MAX_CONN_QUEUE;
}

int gosip_transport_new(gosip_transport **out, const gosip_tp_config *cfg,
                        const gosip_tp_callbacks *cb, void *user_data)
{
    gosip_tp_config c;
    if (!out || !cb)
        return GOSIP_ERR_INVALID_ARG;
    if (cfg)
        c = *cfg;
    else
        gosip_tp_config_default(&c);
    if (!c.mem)
        c.mem = gosip_mem_default();
    /* a zero limit would make every message or connection fail: refuse it up front */
    if (c.limits.max_msg_size == 0 || c.idle_timeout == 0 || c.connect_timeout == 0 ||
        c.read_timeout == 0 || c.idle_timeout == GOSIP_TSTAMP_NONE ||
        c.connect_timeout == GOSIP_TSTAMP_NONE || c.read_timeout == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    gosip_transport *tp = gosip__mem_calloc(c.mem, 1, sizeof *tp);
    if (!tp)
        return GOSIP_ERR_NOMEM;
    tp->cfg = c;
    tp->cb = *cb;
    tp->ud = user_data;
    *out = tp;
    return 0;
}

static void lp_free(gosip_lp *lp)
{
    const gosip_mem *mem = lp->tp->cfg.mem;
    gosip__mem_free(mem, lp->sent_by);
    gosip__mem_free(mem, lp);
}

static void conn_free_all(gosip_transport *tp)
{
    const gosip_mem *mem = tp->cfg.mem;
    gosip_conn *c = tp->conns;
    while (c) {
        gosip_conn *next = c->next;
        while (c->q_head) {
            gosip_buf *b = c->q_head;
            c->q_head = b->qnext;
            gosip_buf_unref(b);
        }
        gosip__mem_free(mem, c->rbuf);
        gosip__mem_free(mem, c->tls_host);
        gosip__lp_release(c->lp); /* frees a removed lp with its last connection */
        gosip__mem_free(mem, c);
        c = next;
    }
    tp->conns = NULL;
}

void gosip_transport_free(gosip_transport *tp)
{
    if (!tp)
        return;
    const gosip_mem *mem = tp->cfg.mem;
    for (size_t i = 0; i < tp->tx_len; i++)
        gosip_buf_unref(tp->txq[(tp->tx_head + i) % tp->tx_cap].buf);
    gosip__mem_free(mem, tp->txq);
    conn_free_all(tp);
    gosip__tables_free(tp);
    for (gosip_lp *lp = tp->lps, *next; lp; lp = next) {
        next = lp->next;
        lp_free(lp);
    }
    gosip__mem_free(mem, tp);
}

void gosip_tp_set_callbacks(gosip_transport *tp, const gosip_tp_callbacks *cb, void *user_data)
{
    tp->cb = cb ? *cb : (gosip_tp_callbacks){0};
    tp->ud = user_data;
}

void gosip_tp_get_callbacks(const gosip_transport *tp, gosip_tp_callbacks *cb, void **user_data)
{
    *cb = tp->cb;
    *user_data = tp->ud;
}

gosip_tstamp gosip_tp_now(const gosip_transport *tp)
{
    return tp->now;
}

const gosip_tp_stats *gosip_tp_stats_get(const gosip_transport *tp)
{
    return tp ? &tp->stats : NULL;
}

/* ---------------------------------------------------------------- listening points */

static int lp_set_sent_by(gosip_lp *lp, gosip_str sent_by)
{
    char host[64];
    gosip_str s = sent_by;
    if (!s.p || s.n == 0) {
        /* the bound address itself; IPv6 goes in brackets as Via's sent-by wants */
        size_t n = 0;
        if (lp->addr.family == 6)
            host[n++] = '[';
        n += gosip_addr_print_host(&lp->addr, host + n, sizeof host - n - 1);
        if (lp->addr.family == 6)
            host[n++] = ']';
        s.p = host;
        s.n = n;
    }
    for (size_t i = 0; i < s.n; i++) {
        char ch = s.p[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ';' || ch == ',')
            return GOSIP_ERR_INVALID_ARG; /* would break the Via we print */
    }
    lp->sent_by = gosip__mem_malloc(lp->tp->cfg.mem, s.n + 1);
    if (!lp->sent_by)
        return GOSIP_ERR_NOMEM;
    memcpy(lp->sent_by, s.p, s.n);
    lp->sent_by[s.n] = '\0';
    lp->sent_by_len = s.n;
    if (gosip_addr_from_str(&lp->sent_by_addr, s, lp->addr.port) != 0)
        memset(&lp->sent_by_addr, 0, sizeof lp->sent_by_addr);
    return 0;
}

int gosip_tp_lp_add(gosip_transport *tp, gosip_tp_kind kind, const gosip_addr *bound,
                    gosip_str sent_by, gosip_lp **out)
{
    if (!tp || !bound || (bound->family != 4 && bound->family != 6) || kind > GOSIP_TP_TLS)
        return GOSIP_ERR_INVALID_ARG;
    for (gosip_lp *lp = tp->lps; lp; lp = lp->next)
        if (lp->kind == kind && gosip_addr_equal(&lp->addr, bound))
            return GOSIP_ERR_EXISTS;
    gosip_lp *lp = gosip__mem_calloc(tp->cfg.mem, 1, sizeof *lp);
    if (!lp)
        return GOSIP_ERR_NOMEM;
    lp->tp = tp;
    lp->kind = kind;
    lp->addr = *bound;
    int rc = lp_set_sent_by(lp, sent_by);
    if (rc != 0) {
        lp_free(lp);
        return rc;
    }
    /* appended, so that the first listening point added is the one chosen for sending */
    gosip_lp **pp = &tp->lps;
    while (*pp)
        pp = &(*pp)->next;
    *pp = lp;
    if (out)
        *out = lp;
    return 0;
}

/* Drops the transmit descriptors that name lp (its socket is going away). */
static void txq_purge_lp(gosip_transport *tp, const gosip_lp *lp)
{
    size_t w = 0;
    for (size_t i = 0; i < tp->tx_len; i++) {
        gosip_tx tx = tp->txq[(tp->tx_head + i) % tp->tx_cap];
        if (tx.kind == GOSIP_TX_DATAGRAM && tx.lp == lp) {
            gosip_buf_unref(tx.buf);
            continue;
        }
        tp->txq[(tp->tx_head + w++) % tp->tx_cap] = tx;
    }
    tp->tx_len = w;
}

void gosip_tp_lp_remove(gosip_transport *tp, gosip_lp *lp, gosip_tstamp now)
{
    (void)now;
    if (!tp || !lp || lp->removed)
        return;
    gosip_lp **pp = &tp->lps;
    while (*pp && *pp != lp)
        pp = &(*pp)->next;
    if (!*pp)
        return;
    *pp = lp->next;
    lp->removed = 1;
    txq_purge_lp(tp, lp);
    for (gosip_conn *c = tp->conns; c; c = c->next)
        if (c->lp == lp && c->state != GOSIP__CONN_CLOSING)
            gosip__conn_close(c, 0, NULL, 0);
    /* connections keep lp alive until the runtime reports them closed */
    lp->nconns++;
    gosip__lp_release(lp);
}

/* Drops one connection's hold on lp; frees a removed lp with the last one. */
void gosip__lp_release(gosip_lp *lp)
{
    if (--lp->nconns == 0 && lp->removed)
        lp_free(lp);
}

gosip_lp *gosip__lp_find(gosip_transport *tp, gosip_tp_kind kind, uint8_t family)
{
    for (gosip_lp *lp = tp->lps; lp; lp = lp->next)
        if (lp->kind == kind && lp->addr.family == family)
            return lp;
    return NULL;
}

gosip_tp_kind gosip_lp_kind(const gosip_lp *lp)
{
    return lp ? lp->kind : GOSIP_TP_UDP;
}

const gosip_addr *gosip_lp_addr(const gosip_lp *lp)
{
    return lp ? &lp->addr : NULL;
}

void gosip_lp_set_data(gosip_lp *lp, void *data)
{
    if (lp)
        lp->data = data;
}

void *gosip_lp_data(const gosip_lp *lp)
{
    return lp ? lp->data : NULL;
}

/* ---------------------------------------------------------------- output queue */

int gosip__txq_push(gosip_transport *tp, const gosip_tx *tx)
{
    if (tp->tx_len == tp->tx_cap) {
        size_t ncap = tp->tx_cap ? tp->tx_cap * 2 : 16;
        gosip_tx *n = gosip__mem_malloc(tp->cfg.mem, ncap * sizeof *n);
        if (!n)
            return GOSIP_ERR_NOMEM;
        for (size_t i = 0; i < tp->tx_len; i++)
            n[i] = tp->txq[(tp->tx_head + i) % tp->tx_cap];
        gosip__mem_free(tp->cfg.mem, tp->txq);
        tp->txq = n;
        tp->tx_cap = ncap;
        tp->tx_head = 0;
    }
    tp->txq[(tp->tx_head + tp->tx_len) % tp->tx_cap] = *tx;
    tp->tx_len++;
    if (tx->conn)
        tx->conn->tx_refs++;
    return 0;
}

/* Drops the descriptors naming c, which is about to be freed. */
void gosip__txq_purge_conn(gosip_transport *tp, const gosip_conn *c)
{
    if (c->tx_refs == 0)
        return; /* the common case costs nothing, even with a long queue */
    size_t w = 0;
    for (size_t i = 0; i < tp->tx_len; i++) {
        gosip_tx tx = tp->txq[(tp->tx_head + i) % tp->tx_cap];
        if (tx.conn == c) {
            gosip_buf_unref(tx.buf);
            continue;
        }
        tp->txq[(tp->tx_head + w++) % tp->tx_cap] = tx;
    }
    tp->tx_len = w;
}

/* CLOSE descriptors come from the close list, after all data descriptors, so that the
 * bytes queued for a connection are written before it is closed and so that closing
 * never needs an allocation. */
static int next_close(gosip_transport *tp, gosip_tx *out)
{
    gosip_conn *c = tp->close_head;
    if (!c)
        return 0;
    tp->close_head = c->cnext;
    if (tp->close_head)
        tp->close_head->cprev = NULL;
    else
        tp->close_tail = NULL;
    c->cnext = c->cprev = NULL;
    c->close_queued = 0;
    memset(out, 0, sizeof *out);
    out->kind = GOSIP_TX_CLOSE;
    out->lp = c->lp;
    out->conn = c;
    out->dest = c->peer;
    out->tls_host.p = c->tls_host;
    out->tls_host.n = c->tls_host_len;
    return 1;
}

int gosip_tp_next_tx(gosip_transport *tp, gosip_tx *out)
{
    if (!tp || !out)
        return 0;
    if (tp->tx_len == 0)
        return next_close(tp, out);
    *out = tp->txq[tp->tx_head];
    tp->tx_head = (tp->tx_head + 1) % tp->tx_cap;
    tp->tx_len--;
    if (out->conn)
        out->conn->tx_refs--;
    return 1;
}

void gosip__report(gosip_transport *tp, int code, int sys_error, gosip_tp_kind kind,
                   const gosip_addr *peer, gosip_conn *c, const char *reason)
{
    if (!tp->cb.on_error)
        return;
    gosip_tp_error e;
    memset(&e, 0, sizeof e);
    e.code = code;
    e.sys_error = sys_error;
    e.kind = kind;
    if (peer)
        e.peer = *peer;
    e.conn = c;
    e.reason = reason ? reason : gosip_strerror(code);
    tp->depth++;
    tp->cb.on_error(tp, &e, tp->ud);
    tp->depth--;
}
