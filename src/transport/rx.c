/*
 * Receiving (RFC 3261 18.1.2, 18.2.1, 18.3; RFC 3581 4): datagram framing, the
 * received/rport stamp on requests, and the check that a response's top Via is ours.
 */
#include "transport/tp_internal.h"

#include <string.h>

/* RFC 3261 18.2.1: the sent-by host is a name or an address other than the source. */
static int host_differs(const gosip_via *v, const gosip_addr *src)
{
    gosip_addr a;
    if (v->host_type == GOSIP_HOST_NAME || gosip_addr_from_str(&a, v->host, 0) != 0)
        return 1;
    return !gosip__addr_ip_equal(&a, src);
}

static int set_via_param(gosip_msg *m, const char *name, const char *value)
{
    const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_VIA);
    return gosip_msg_set_param(m, h, gosip_str_from_cstr(name), gosip_str_from_cstr(value), 0);
}

/* Adds received (and fills an empty rport, RFC 3581 4) to the top Via. A failure leaves
 * the message as it came: the layer above still sees it (and can still answer it). */
static void stamp_request(gosip_msg *m, const gosip_addr *src)
{
    const gosip_via *v = gosip_msg_via(m);
    if (!v)
        return;
    /* RFC 3581 4: with an rport to fill, received is added even when it equals sent-by */
    int rport = v->rport == 0;
    if (rport || host_differs(v, src)) {
        char host[64];
        gosip_addr_print_host(src, host, sizeof host); /* IPv6 without brackets (25.1) */
        if (set_via_param(m, "received", host) != 0)
            return;
    }
    if (rport) {
        char port[8];
        size_t n = 0;
        unsigned p = src->port;
        char rev[8];
        do {
            rev[n++] = (char)('0' + p % 10);
            p /= 10;
        } while (p);
        for (size_t i = 0; i < n; i++)
            port[i] = rev[n - 1 - i];
        port[n] = '\0';
        set_via_param(m, "rport", port);
    }
}

static int host_matches_lp(const gosip_via *v, const gosip_addr *vaddr, const gosip_lp *lp)
{
    if (vaddr->family && lp->sent_by_addr.family)
        return gosip__addr_ip_equal(vaddr, &lp->sent_by_addr);
    gosip_str s = {lp->sent_by, lp->sent_by_len};
    return gosip_str_caseeq(v->host, s);
}

/* RFC 3261 18.1.2: the top Via's sent-by is one a listening point of ours inserts. */
static int via_is_ours(const gosip_transport *tp, const gosip_via *v)
{
    gosip_tp_kind kind = GOSIP_TP_UDP;
    if (gosip_tp_kind_from_str(v->transport, &kind) != 0)
        kind = GOSIP_TP_UDP;
    unsigned port = v->port >= 0 ? (unsigned)v->port : gosip__default_port(kind);
    gosip_addr vaddr;
    if (gosip_addr_from_str(&vaddr, v->host, 0) != 0)
        memset(&vaddr, 0, sizeof vaddr);
    for (const gosip_lp *lp = tp->lps; lp; lp = lp->next)
        if (lp->addr.port == port && host_matches_lp(v, &vaddr, lp))
            return 1;
    return 0;
}

int gosip__tp_parse(gosip_transport *tp, const void *data, size_t len, gosip_framing framing,
                    gosip_msg **out)
{
    gosip_parse_opts o;
    memset(&o, 0, sizeof o);
    o.mem = tp->cfg.mem;
    o.limits = &tp->cfg.limits;
    o.framing = framing;
    return gosip_msg_parse(out, data, len, &o, NULL);
}

void gosip__deliver(gosip_transport *tp, gosip_msg *m, const gosip_rx_info *rx)
{
    if (gosip_msg_is_request(m)) {
        if (!gosip_msg_hdr(m, GOSIP_HDR_VIA)) {
            tp->stats.rx_malformed++; /* nowhere to send even a 400 */
            gosip_msg_unref(m);
            return;
        }
        stamp_request(m, &rx->peer);
    } else {
        const gosip_via *v = gosip_msg_via(m);
        if (gosip_msg_defect(m, NULL) != 0 || !v) {
            tp->stats.rx_malformed++;
            gosip_msg_unref(m);
            return;
        }
        if (!via_is_ours(tp, v)) {
            tp->stats.rx_not_ours++;
            gosip_msg_unref(m);
            return;
        }
    }
    tp->stats.rx_messages++;
    if (tp->cb.on_message) {
        tp->depth++;
        tp->cb.on_message(tp, m, rx, tp->ud);
        tp->depth--;
    }
    gosip_msg_unref(m);
}

/* Datagrams of only line ends and spaces are keep-alives (RFC 5626 4.4.2 and common
 * practice), not malformed messages. */
static int is_keepalive(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' && p[i] != '\t' && p[i] != 0)
            return 0;
    return 1;
}

int gosip_tp_recv_datagram(gosip_transport *tp, gosip_lp *lp, const gosip_addr *from,
                           const void *data, size_t len, gosip_tstamp now)
{
    if (!tp || !lp || !from || (!data && len))
        return GOSIP_ERR_INVALID_ARG;
    if (tp->depth)
        return GOSIP_ERR_RECURSIVE;
    tp->now = now;
    if (is_keepalive(data, len))
        return 0;
    gosip_msg *m;
    int rc = gosip__tp_parse(tp, data, len, GOSIP_FRAMING_DATAGRAM, &m);
    if (rc == GOSIP_ERR_NOMEM)
        return rc;
    if (rc != 0) {
        tp->stats.rx_malformed++;
        return 0;
    }
    gosip_rx_info rx;
    rx.kind = lp->kind;
    rx.lp = lp;
    rx.conn = NULL;
    rx.peer = *from;
    gosip__deliver(tp, m, &rx);
    return 0;
}
