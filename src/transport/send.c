/*
 * Sending (RFC 3261 18.1.1, 18.2.2; RFC 3581 3 and 4): the Via a request leaves with,
 * the switch of large UDP requests to TCP, connection reuse, and where responses go.
 */
#include "transport/tp_internal.h"

#include "base/sbuf.h"

#include <string.h>

/* "SIP/2.0/<T> <sent-by>:<port>" and the Via's parameters, with rport added when absent
 * (RFC 3581 3: ask for the response to come back to the port we send from). */
static size_t via_text(const gosip_via *v, const gosip_lp *lp, gosip_tp_kind kind, char *buf,
                       size_t cap)
{
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, buf, cap);
    gosip__sbuf_cstr(&sb, "SIP/2.0/");
    gosip__sbuf_cstr(&sb, gosip_tp_kind_name(kind));
    gosip__sbuf_ch(&sb, ' ');
    gosip__sbuf_put(&sb, lp->sent_by, lp->sent_by_len);
    gosip__sbuf_ch(&sb, ':');
    gosip__sbuf_u64(&sb, lp->addr.port);
    for (const gosip_param *p = v->params; p; p = p->next) {
        gosip__sbuf_ch(&sb, ';');
        gosip__sbuf_str(&sb, p->name);
        if (p->value.p) {
            gosip__sbuf_ch(&sb, '=');
            gosip__sbuf_str(&sb, p->value);
        }
    }
    if (v->rport < 0)
        gosip__sbuf_cstr(&sb, ";rport");
    return sb.len;
}

/* Rewrites the top Via for lp and prints the request into a new buffer. */
static int prepare_request(gosip_transport *tp, gosip_msg *req, const gosip_lp *lp,
                           gosip_buf **out)
{
    const gosip_hdr *h = gosip_msg_hdr(req, GOSIP_HDR_VIA);
    const gosip_via *v = gosip_hdr_via(h);
    if (!v)
        return GOSIP_ERR_INVALID_ARG;
    size_t n = via_text(v, lp, lp->kind, NULL, 0);
    char *text = gosip__mem_malloc(tp->cfg.mem, n + 1);
    if (!text)
        return GOSIP_ERR_NOMEM;
    via_text(v, lp, lp->kind, text, n + 1);
    int rc = gosip_msg_replace_hdr(req, h, (gosip_str){text, n}, NULL);
    gosip__mem_free(tp->cfg.mem, text);
    if (rc != 0)
        return rc == GOSIP_ERR_NOMEM ? rc : GOSIP_ERR_INVALID_ARG;
    return gosip__buf_print(tp->cfg.mem, req, out);
}

static int send_datagram(gosip_transport *tp, gosip_lp *lp, const gosip_addr *dest, gosip_buf *b)
{
    gosip_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.kind = GOSIP_TX_DATAGRAM;
    tx.lp = lp;
    tx.dest = *dest;
    tx.buf = gosip_buf_ref(b);
    int rc = gosip__txq_push(tp, &tx);
    if (rc != 0)
        gosip_buf_unref(b);
    return rc;
}

/* Sends b from lp to dest: a datagram, or on the (reused or new) connection. */
static int send_via_lp(gosip_transport *tp, gosip_lp *lp, const gosip_addr *dest, gosip_str host,
                       gosip_buf *b, gosip_tstamp now)
{
    if (lp->kind == GOSIP_TP_UDP)
        return send_datagram(tp, lp, dest, b);
    gosip_conn *c;
    int rc = gosip__conn_get(tp, lp, dest, host, now, &c);
    return rc != 0 ? rc : gosip__conn_write(c, b, now);
}

static int target_ok(const gosip_target *t)
{
    return t && (t->addr.family == 4 || t->addr.family == 6) && t->kind <= GOSIP_TP_TLS;
}

int gosip_tp_send_request(gosip_transport *tp, gosip_msg *req, const gosip_target *t,
                          gosip_tstamp now, gosip_tp_kind *used)
{
    if (!tp || !req || !target_ok(t) || !gosip_msg_is_request(req) ||
        !gosip_hdr_via(gosip_msg_hdr(req, GOSIP_HDR_VIA)))
        return GOSIP_ERR_INVALID_ARG;
    gosip_lp *lp = gosip__lp_find(tp, t->kind, t->addr.family);
    if (!lp)
        return GOSIP_ERR_NOT_FOUND;
    gosip_buf *b;
    int rc = prepare_request(tp, req, lp, &b);
    if (rc != 0)
        return rc;
    gosip_lp *tcp = gosip__lp_find(tp, GOSIP_TP_TCP, t->addr.family);
    if (lp->kind == GOSIP_TP_UDP && b->len > tp->cfg.udp_max_request && tcp) {
        /* RFC 3261 18.1.1: too large for UDP; the Via must name the transport used */
        gosip_buf_unref(b);
        lp = tcp;
        rc = prepare_request(tp, req, lp, &b);
        if (rc != 0)
            return rc;
    }
    rc = send_via_lp(tp, lp, &t->addr, t->host, b, now);
    gosip_buf_unref(b);
    if (rc != 0)
        return rc;
    tp->stats.tx_messages++;
    if (used)
        *used = lp->kind;
    return 0;
}

/* ---------------------------------------------------------------- responses */

/* A numeric host fills out->addr; a name is left to the runtime (RFC 3263 5). */
static int addr_or_resolve(gosip_target *out, gosip_str host, unsigned port)
{
    if (gosip_addr_from_str(&out->addr, host, port) == 0)
        return 0;
    out->host = host;
    out->addr.port = (uint16_t)port;
    return GOSIP_ERR_RESOLVE;
}

/* The connection the request came in on, while it (or another to the same peer
 * address) is open. rx->conn itself is never dereferenced: rx may be a copy kept past
 * the connection's life. */
static gosip_conn *rx_conn(gosip_transport *tp, const gosip_rx_info *rx)
{
    if (!rx || !rx->conn || !gosip_tp_kind_reliable(rx->kind))
        return NULL;
    return gosip__conn_lookup(tp, rx->kind, &rx->peer);
}

int gosip_tp_response_target(gosip_transport *tp, const gosip_msg *resp,
                             const gosip_rx_info *rx, gosip_target *out, gosip_conn **conn)
{
    if (conn)
        *conn = NULL;
    if (!tp || !resp || !out || gosip_msg_is_request(resp))
        return GOSIP_ERR_INVALID_ARG;
    const gosip_via *v = gosip_msg_via(resp);
    if (!v)
        return GOSIP_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    /* the request's connection wins even when a sloppy client's Via names another
     * transport: it is the only path known to reach the client */
    gosip_conn *c = rx_conn(tp, rx);
    if (c) {
        out->kind = c->kind;
        out->addr = c->peer;
        if (conn)
            *conn = c;
        return 0;
    }
    gosip_tp_kind kind;
    if (gosip_tp_kind_from_str(v->transport, &kind) != 0)
        return GOSIP_ERR_INVALID_ARG;
    out->kind = kind;
    unsigned port = v->port >= 0 ? (unsigned)v->port : gosip__default_port(kind);
    if (gosip_tp_kind_reliable(kind)) {
        /* 18.2.2: a new connection to received (or sent-by) at the sent-by port */
        return addr_or_resolve(out, v->received.p ? v->received : v->host, port);
    }
    if (v->maddr.p) {
        out->kind = GOSIP_TP_UDP;
        return addr_or_resolve(out, v->maddr, v->port >= 0 ? (unsigned)v->port : 5060u);
    }
    /* RFC 3581 4: rport with a value sends back to the port the request came from */
    if (v->rport > 0)
        port = (unsigned)v->rport;
    return addr_or_resolve(out, v->received.p ? v->received : v->host, port);
}

/* The listening point to answer from: the one the request came in on when it fits
 * (RFC 3581 4: the source port the client sent to). rx->lp is only compared, never
 * dereferenced, as rx may outlive a removed listening point. */
static gosip_lp *response_lp(gosip_transport *tp, const gosip_rx_info *rx,
                             const gosip_target *t)
{
    gosip_lp *first = NULL;
    for (gosip_lp *lp = tp->lps; lp; lp = lp->next) {
        if (lp->kind != t->kind || lp->addr.family != t->addr.family)
            continue;
        if (rx && lp == rx->lp)
            return lp;
        if (!first)
            first = lp;
    }
    return first;
}

int gosip_tp_send_response(gosip_transport *tp, gosip_msg *resp, const gosip_rx_info *rx,
                           gosip_tstamp now)
{
    gosip_target t;
    gosip_conn *c;
    int rc = gosip_tp_response_target(tp, resp, rx, &t, &c);
    if (rc != 0)
        return rc;
    gosip_lp *lp = c ? c->lp : response_lp(tp, rx, &t);
    if (!lp)
        return GOSIP_ERR_NOT_FOUND;
    gosip_buf *b;
    rc = gosip__buf_print(tp->cfg.mem, resp, &b);
    if (rc != 0)
        return rc;
    rc = c ? gosip__conn_write(c, b, now) : send_via_lp(tp, lp, &t.addr, t.host, b, now);
    gosip_buf_unref(b);
    if (rc == 0)
        tp->stats.tx_messages++;
    return rc;
}

int gosip_tp_send_raw(gosip_transport *tp, const gosip_msg *msg, const gosip_target *t,
                      gosip_conn *conn, gosip_tstamp now)
{
    if (!tp || !msg || (!conn && !target_ok(t)))
        return GOSIP_ERR_INVALID_ARG;
    if (conn && conn->state == GOSIP__CONN_CLOSING) {
        if (!target_ok(t))
            return GOSIP_ERR_CLOSED;
        conn = NULL; /* gone: reach the target another way, as 18.2.2 does */
    }
    gosip_lp *lp = conn ? conn->lp : gosip__lp_find(tp, t->kind, t->addr.family);
    if (!lp)
        return GOSIP_ERR_NOT_FOUND;
    gosip_buf *b;
    int rc = gosip__buf_print(tp->cfg.mem, msg, &b);
    if (rc != 0)
        return rc;
    rc = conn ? gosip__conn_write(conn, b, now) : send_via_lp(tp, lp, &t->addr, t->host, b, now);
    gosip_buf_unref(b);
    if (rc == 0)
        tp->stats.tx_messages++;
    return rc;
}
