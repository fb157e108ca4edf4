/*
 * Listening points of the libuv runtime: binding UDP, TCP and TLS sockets (IPv4 and
 * IPv6, port 0 for an ephemeral port), receiving datagrams, sending them, and removing
 * points while the loop runs.
 */
#include "uv/uv_internal.h"

#include <string.h>

/* ---------------------------------------------------------------- list and close */

static void lp_link(gosip_uv *uv, gosip__uv_lp *ulp)
{
    ulp->prev = NULL;
    ulp->next = uv->lps;
    if (uv->lps)
        uv->lps->prev = ulp;
    uv->lps = ulp;
}

static void lp_unlink(gosip_uv *uv, gosip__uv_lp *ulp)
{
    if (ulp->prev)
        ulp->prev->next = ulp->next;
    else if (uv->lps == ulp)
        uv->lps = ulp->next;
    if (ulp->next)
        ulp->next->prev = ulp->prev;
    ulp->prev = ulp->next = NULL;
}

static void on_lp_closed(uv_handle_t *h)
{
    gosip__uv_lp *ulp = h->data;
    gosip_uv *uv = ulp->uv;
    gosip__uv_free(uv, ulp);
    gosip__uv_handle_closed(uv);
}

static void lp_close(gosip__uv_lp *ulp)
{
    lp_unlink(ulp->uv, ulp);
    if (!uv_is_closing(&ulp->u.h))
        uv_close(&ulp->u.h, on_lp_closed);
}

void gosip__uv_lp_close_all(gosip_uv *uv)
{
    while (uv->lps)
        lp_close(uv->lps);
}

/* ---------------------------------------------------------------- UDP */

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *addr, unsigned flags)
{
    gosip__uv_lp *ulp = h->data;
    gosip_uv *uv = ulp->uv;
    if (nread < 0) {
        gosip__uv_set_error(uv, (int)nread);
        return;
    }
    /* The datagrams of one recvmmsg come as chunks, then a last call to free the buffer:
     * what they caused goes out in one flush then (fewer wake-ups and send calls). */
    if (flags & UV_UDP_MMSG_FREE) {
        gosip__uv_flush(uv);
        return;
    }
    /* nread 0 without an address is libuv's "nothing more"; a truncated datagram is
     * larger than any message we accept, so it is dropped. */
    if (!addr || (flags & UV_UDP_PARTIAL) || uv->closing || !ulp->lp)
        return;
    gosip_addr from;
    if (gosip__uv_addr_from_sa(addr, &from) != 0)
        return;
    gosip_tp_recv_datagram(uv->tp, ulp->lp, &from, buf->base, (size_t)nread, gosip__uv_now());
    if (!(flags & UV_UDP_MMSG_CHUNK))
        gosip__uv_flush(uv);
}

typedef struct udp_send_req {
    uv_udp_send_t req;
    gosip_uv *uv;
    gosip_buf *buf;
    gosip_addr dest;
} udp_send_req;

static void on_udp_sent(uv_udp_send_t *req, int status)
{
    udp_send_req *r = (udp_send_req *)req;
    gosip_uv *uv = r->uv;
    if (status < 0 && status != UV_ECANCELED) {
        gosip__uv_set_error(uv, status);
        gosip__uv_report(uv, GOSIP_ERR_IO, status, GOSIP_TP_UDP, &r->dest, uv_strerror(status));
    }
    gosip_buf_unref(r->buf);
    gosip__uv_free(uv, r);
}

/* try_send first (no allocation, no callback); uv_udp_send holds the buffer when the
 * socket would block. */
void gosip__uv_udp_send(gosip_uv *uv, const gosip_tx *tx)
{
    gosip__uv_lp *ulp = tx->lp ? gosip_lp_data(tx->lp) : NULL;
    struct sockaddr_storage ss;
    if (!ulp || ulp->kind != GOSIP_TP_UDP || gosip__uv_sa_from_addr(&tx->dest, &ss) != 0) {
        gosip_buf_unref(tx->buf);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)gosip_buf_data(tx->buf), (unsigned)gosip_buf_len(tx->buf));
    int rc = uv_udp_try_send(&ulp->u.udp, &b, 1, (const struct sockaddr *)&ss);
    if (rc >= 0) {
        gosip_buf_unref(tx->buf);
        return;
    }
    if (rc == UV_EAGAIN || rc == UV_ENOSYS) {
        udp_send_req *r = gosip__uv_alloc(uv, sizeof *r);
        if (r) {
            r->uv = uv;
            r->buf = tx->buf;
            r->dest = tx->dest;
            rc =
                uv_udp_send(&r->req, &ulp->u.udp, &b, 1, (const struct sockaddr *)&ss, on_udp_sent);
            if (rc == 0)
                return;
            gosip__uv_free(uv, r);
        }
    }
    gosip__uv_set_error(uv, rc);
    gosip__uv_report(uv, GOSIP_ERR_IO, rc, GOSIP_TP_UDP, &tx->dest, uv_strerror(rc));
    gosip_buf_unref(tx->buf);
}

static int udp_bind(gosip__uv_lp *ulp, const struct sockaddr *sa, int v6)
{
    int rc = uv_udp_bind(&ulp->u.udp, sa, v6 ? UV_UDP_IPV6ONLY : 0);
    return rc;
}

/* ---------------------------------------------------------------- TCP and TLS */

static void on_connection(uv_stream_t *server, int status)
{
    gosip__uv_lp *ulp = server->data;
    if (status < 0) {
        gosip__uv_set_error(ulp->uv, status);
        return;
    }
    gosip__uv_accept(ulp);
}

/* ---------------------------------------------------------------- listen / unlisten */

static int bind_socket(gosip__uv_lp *ulp, const gosip_addr *want, gosip_addr *bound)
{
    struct sockaddr_storage ss;
    gosip__uv_sa_from_addr(want, &ss);
    int v6 = want->family == 6, rc, len = (int)sizeof ss;
    if (ulp->kind == GOSIP_TP_UDP) {
        rc = udp_bind(ulp, (const struct sockaddr *)&ss, v6);
        if (rc == 0)
            rc = uv_udp_getsockname(&ulp->u.udp, (struct sockaddr *)&ss, &len);
    } else {
        rc = uv_tcp_bind(&ulp->u.tcp, (const struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
        /* a TLS point without a server certificate is outbound-only: bound (so that Via
         * names a real port) but not listening */
        int outbound_only =
            ulp->kind == GOSIP_TP_TLS && !gosip__tls_ctx_has_server_cert(ulp->uv->tls);
        if (rc == 0 && !outbound_only)
            rc = uv_listen((uv_stream_t *)&ulp->u.tcp, SOMAXCONN, on_connection);
        if (rc == 0)
            rc = uv_tcp_getsockname(&ulp->u.tcp, (struct sockaddr *)&ss, &len);
    }
    if (rc == 0)
        rc = gosip__uv_addr_from_sa((const struct sockaddr *)&ss, bound);
    return rc;
}

static int start_lp(gosip_uv *uv, gosip__uv_lp *ulp, const gosip_addr *want, gosip_lp **out)
{
    gosip_addr bound;
    int rc = bind_socket(ulp, want, &bound);
    if (rc != 0) {
        gosip__uv_set_error(uv, rc);
        return GOSIP_ERR_IO;
    }
    rc = gosip_tp_lp_add(uv->tp, ulp->kind, &bound, GOSIP_STR_NULL, &ulp->lp);
    if (rc != 0)
        return rc;
    if (ulp->kind == GOSIP_TP_UDP) {
        rc = uv_udp_recv_start(&ulp->u.udp, gosip__uv_udp_alloc_cb, on_udp_recv);
        if (rc != 0) {
            gosip__uv_set_error(uv, rc);
            gosip_tp_lp_remove(uv->tp, ulp->lp, gosip__uv_now());
            ulp->lp = NULL;
            return GOSIP_ERR_IO;
        }
    }
    gosip_lp_set_data(ulp->lp, ulp);
    if (out)
        *out = ulp->lp;
    return 0;
}

int gosip_uv_listen(gosip_uv *uv, gosip_tp_kind kind, const char *host, unsigned port,
                    gosip_lp **out)
{
    gosip_addr want;
    if (!uv || !host || uv->closing || kind > GOSIP_TP_TLS ||
        gosip_addr_from_str(&want, gosip_str_from_cstr(host), port) != 0)
        return GOSIP_ERR_INVALID_ARG;
    gosip__uv_lp *ulp = gosip__uv_alloc(uv, sizeof *ulp);
    if (!ulp)
        return GOSIP_ERR_NOMEM;
    memset(ulp, 0, sizeof *ulp);
    ulp->uv = uv;
    ulp->kind = kind;
    int rc = kind == GOSIP_TP_UDP
                 ? uv_udp_init_ex(uv->loop, &ulp->u.udp, AF_UNSPEC | UV_UDP_RECVMMSG)
                 : uv_tcp_init(uv->loop, &ulp->u.tcp);
    if (rc != 0) {
        gosip__uv_set_error(uv, rc);
        gosip__uv_free(uv, ulp);
        return GOSIP_ERR_IO;
    }
    ulp->u.h.data = ulp;
    uv->handles++;
    lp_link(uv, ulp);
    rc = start_lp(uv, ulp, &want, out);
    if (rc != 0)
        lp_close(ulp); /* freed in its close callback: nothing was published */
    return rc;
}

int gosip_uv_unlisten(gosip_uv *uv, gosip_lp *lp)
{
    if (!uv || !lp || uv->closing)
        return GOSIP_ERR_INVALID_ARG;
    gosip__uv_lp *ulp = gosip_lp_data(lp);
    if (!ulp || ulp->uv != uv)
        return GOSIP_ERR_INVALID_ARG;
    ulp->lp = NULL;
    gosip__uv_dgrams_purge_lp(uv->out_dgrams, lp);
    gosip_lp_set_data(lp, NULL);
    /* The core queues CLOSE descriptors for the point's connections: run them now. */
    gosip_tp_lp_remove(uv->tp, lp, gosip__uv_now());
    lp_close(ulp);
    gosip__uv_flush(uv);
    return 0;
}
