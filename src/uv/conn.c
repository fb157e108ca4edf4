/*
 * Stream connections of the libuv runtime: one uv_tcp_t per connection, accepted on a
 * TCP/TLS listening point or opened for a CONNECT descriptor; reads go to the core (TLS:
 * through the engine, conn_tls.c), writes hold a gosip_buf reference until libuv is done.
 *
 * A connection struct outlives the core's view of it: the core forgets the connection at
 * gosip_tp_conn_closed(), the struct goes at the handle's close callback. uc->c == NULL
 * marks the gap, and every path checks it before touching the core (close safety).
 */
#include "uv/uv_internal.h"

#include <string.h>

/* ---------------------------------------------------------------- list, close */

static void conn_link(gosip_uv *uv, gosip__uv_conn *uc)
{
    uc->prev = NULL;
    uc->next = uv->conns;
    if (uv->conns)
        uv->conns->prev = uc;
    uv->conns = uc;
}

static void conn_unlink(gosip_uv *uv, gosip__uv_conn *uc)
{
    if (uc->prev)
        uc->prev->next = uc->next;
    else if (uv->conns == uc)
        uv->conns = uc->next;
    if (uc->next)
        uc->next->prev = uc->prev;
    uc->prev = uc->next = NULL;
}

static void on_conn_closed(uv_handle_t *h)
{
    gosip__uv_conn *uc = h->data;
    gosip_uv *uv = uc->uv;
    conn_unlink(uv, uc);
    gosip__tls_free(uc->tls);
    gosip__uv_free(uv, uc);
    gosip__uv_handle_closed(uv);
}

void gosip__uv_conn_close_handle(gosip__uv_conn *uc)
{
    gosip__uv_hs_set(uc, GOSIP_TSTAMP_NONE);
    if (!uv_is_closing((uv_handle_t *)&uc->tcp))
        uv_close((uv_handle_t *)&uc->tcp, on_conn_closed);
    uc->closing = 1;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    gosip__uv_conn *uc = req->data;
    gosip__uv_conn_close_handle(uc);
}

/* Closes after the writes already queued went out (a response then CLOSE must not lose
 * the response); without pending writes, at once. */
static void close_graceful(gosip__uv_conn *uc)
{
    if (uc->closing)
        return;
    if (uc->tls && gosip__tls_handshake_done(uc->tls) && !gosip__tls_failed(uc->tls)) {
        gosip__tls_shutdown(uc->tls);
        gosip__uv_tls_flush_cipher(uc);
    }
    uc->closing = 1;
    gosip__uv_hs_set(uc, GOSIP_TSTAMP_NONE);
    uc->shutdown_req.data = uc;
    if (uc->writes == 0 ||
        uv_shutdown(&uc->shutdown_req, (uv_stream_t *)&uc->tcp, on_shutdown) != 0) {
        uc->closing = 0;
        gosip__uv_conn_close_handle(uc);
    }
}

void gosip__uv_conn_close_all(gosip_uv *uv)
{
    for (gosip__uv_conn *uc = uv->conns; uc; uc = uc->next) {
        uc->c = NULL; /* the core is freed with the runtime: no events */
        if (!uv_is_closing((uv_handle_t *)&uc->tcp))
            uv_close((uv_handle_t *)&uc->tcp, on_conn_closed);
        uc->closing = 1;
    }
}

/* The runtime saw the connection end (EOF, I/O error, TLS failure, handshake timeout):
 * the core learns it (and reports on_error with the peer), then the handle closes.
 * code, when nonzero, replaces the code of the core's event (see tramp_error) or is
 * reported on its own when the core reports nothing. */
void gosip__uv_conn_fail(gosip__uv_conn *uc, int sys_error, int code, const char *reason)
{
    gosip_uv *uv = uc->uv;
    gosip__uv_set_error(uv, sys_error);
    if (uc->c && !uv->closing) {
        gosip_conn *c = uc->c;
        uc->fail_code = code;
        uc->fail_reason = reason;
        gosip_tp_conn_closed(c, sys_error, gosip__uv_now());
        uc->c = NULL;
        if (code && !uc->error_reported)
            gosip__uv_report(uv, code, sys_error, uc->kind, &uc->peer, reason);
    }
    gosip__uv_conn_close_handle(uc);
}

/* ---------------------------------------------------------------- reading */

void gosip__uv_conn_deliver(gosip__uv_conn *uc, const uint8_t *p, size_t n)
{
    if (uc->c && !uc->uv->closing)
        gosip_tp_conn_recv(uc->c, p, n, gosip__uv_now());
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    gosip__uv_conn *uc = s->data;
    gosip_uv *uv = uc->uv;
    if (nread == 0 || uc->closing)
        return;
    if (nread < 0) {
        /* EOF is the peer's orderly close; the core judges a half-received message. */
        gosip__uv_conn_fail(uc, nread == UV_EOF ? 0 : (int)nread, 0, NULL);
    } else if (uc->tls) {
        gosip__uv_tls_on_read(uc, (const uint8_t *)buf->base, (size_t)nread);
    } else {
        gosip__uv_conn_deliver(uc, (const uint8_t *)buf->base, (size_t)nread);
    }
    /* The dispatch may have closed this connection (or the runtime): flush only acts on
     * what is still alive, and the struct stays valid until its close callback. */
    gosip__uv_flush(uv);
}

static int start_reading(gosip__uv_conn *uc)
{
    int rc = uv_read_start((uv_stream_t *)&uc->tcp, gosip__uv_alloc_cb, on_read);
    gosip__uv_set_error(uc->uv, rc);
    return rc;
}

/* ---------------------------------------------------------------- writing */

typedef struct write_req {
    uv_write_t req;
    gosip__uv_conn *uc;
    gosip_buf *buf; /* plaintext write: the core's buffer; else NULL and bytes follow */
    uint8_t bytes[];
} write_req;

static void on_written(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    gosip__uv_conn *uc = w->uc;
    gosip_uv *uv = uc->uv;
    uc->writes--;
    gosip_buf_unref(w->buf);
    gosip__uv_free(uv, w);
    if (status < 0 && status != UV_ECANCELED && !uc->closing) {
        gosip__uv_conn_fail(uc, status, 0, NULL);
        gosip__uv_flush(uv);
    }
}

/* Writes p/n: with ref (a gosip_buf holding p) the bytes are not copied and ref is
 * consumed; without, they are copied into the request. */
int gosip__uv_write_bytes(gosip__uv_conn *uc, const uint8_t *p, size_t n, gosip_buf *ref)
{
    gosip_uv *uv = uc->uv;
    write_req *w = gosip__uv_alloc(uv, sizeof *w + (ref ? 0 : n));
    if (!w) {
        gosip_buf_unref(ref);
        return GOSIP_ERR_NOMEM;
    }
    w->uc = uc;
    w->buf = ref;
    if (!ref) {
        memcpy(w->bytes, p, n);
        p = w->bytes;
    }
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
    int rc = uv_write(&w->req, (uv_stream_t *)&uc->tcp, &b, 1, on_written);
    if (rc != 0) {
        gosip_buf_unref(ref);
        gosip__uv_free(uv, w);
        gosip__uv_set_error(uv, rc);
        return GOSIP_ERR_IO;
    }
    uc->writes++;
    return 0;
}

void gosip__uv_stream_write(gosip_uv *uv, const gosip_tx *tx)
{
    gosip__uv_conn *uc = tx->conn ? gosip_conn_data(tx->conn) : NULL;
    if (!uc || uc->closing || !uc->c) {
        gosip_buf_unref(tx->buf);
        return;
    }
    /* Bounded by default: a peer that stops reading must not make us queue without end. */
    if (uv_stream_get_write_queue_size((uv_stream_t *)&uc->tcp) + gosip_buf_len(tx->buf) >
        uv->max_write_queue) {
        gosip_buf_unref(tx->buf);
        gosip__uv_conn_fail(uc, UV_ENOBUFS, GOSIP_ERR_LIMIT,
                            "send queue full: the peer is not reading");
        return;
    }
    if (uc->tls) {
        gosip__uv_tls_send(uc, tx->buf);
        return;
    }
    int rc = gosip__uv_write_bytes(uc, gosip_buf_data(tx->buf), gosip_buf_len(tx->buf), tx->buf);
    if (rc != 0)
        gosip__uv_conn_fail(uc, uv->last_error, 0, NULL);
}

void gosip__uv_stream_close(gosip_uv *uv, const gosip_tx *tx)
{
    (void)uv;
    gosip__uv_conn *uc = gosip_conn_data(tx->conn);
    if (uc) {
        if (uc->c != tx->conn)
            return; /* already reported closed */
        uc->c = NULL;
        close_graceful(uc);
    }
    gosip_tp_conn_closed(tx->conn, 0, gosip__uv_now());
}

/* ---------------------------------------------------------------- new connections */

static gosip__uv_conn *conn_new(gosip_uv *uv, gosip_tp_kind kind)
{
    gosip__uv_conn *uc = gosip__uv_alloc(uv, sizeof *uc);
    if (!uc)
        return NULL;
    memset(uc, 0, sizeof *uc);
    uc->uv = uv;
    uc->kind = kind;
    uc->hs_deadline = GOSIP_TSTAMP_NONE;
    if (uv_tcp_init(uv->loop, &uc->tcp) != 0) {
        gosip__uv_free(uv, uc);
        return NULL;
    }
    uc->tcp.data = uc;
    uv->handles++;
    conn_link(uv, uc);
    return uc;
}

static int accept_one(gosip__uv_lp *ulp, gosip__uv_conn *uc)
{
    gosip_uv *uv = ulp->uv;
    struct sockaddr_storage ss;
    int len = (int)sizeof ss;
    int rc = uv_accept((uv_stream_t *)&ulp->u.tcp, (uv_stream_t *)&uc->tcp);
    if (rc == 0)
        rc = uv_tcp_getpeername(&uc->tcp, (struct sockaddr *)&ss, &len);
    if (rc != 0 || gosip__uv_addr_from_sa((struct sockaddr *)&ss, &uc->peer) != 0) {
        gosip__uv_set_error(uv, rc);
        return GOSIP_ERR_IO;
    }
    uv_tcp_nodelay(&uc->tcp, 1);
    rc = gosip_tp_conn_accepted(uv->tp, ulp->lp, &uc->peer, gosip__uv_now(), &uc->c);
    if (rc != 0)
        return rc; /* REFUSED (a limit) or NOMEM: the socket closes at once */
    gosip_conn_set_data(uc->c, uc);
    if (uc->kind == GOSIP_TP_TLS) {
        rc = gosip__uv_tls_attach(uc, NULL);
        if (rc != 0)
            return rc;
        /* The core's read timeout starts with the first plaintext byte, so a peer that
         * never finishes the handshake is bounded by this runtime deadline instead. */
        gosip__uv_hs_set(uc, gosip__uv_now() + uv->hs_timeout);
    }
    return start_reading(uc) == 0 ? 0 : GOSIP_ERR_IO;
}

void gosip__uv_accept(gosip__uv_lp *ulp)
{
    gosip_uv *uv = ulp->uv;
    if (uv->closing || !ulp->lp)
        return;
    gosip__uv_conn *uc = conn_new(uv, ulp->kind);
    if (!uc) {
        /* Accept into a throwaway handle would need memory too: leave the connection in
         * the backlog; libuv calls again on the next readiness. */
        return;
    }
    uc->inbound = 1;
    if (accept_one(ulp, uc) != 0) {
        if (uc->c)
            gosip__uv_conn_fail(uc, UV_ECONNABORTED, 0, NULL);
        else
            gosip__uv_conn_close_handle(uc);
    }
    gosip__uv_flush(uv);
}

static void on_connected(uv_connect_t *req, int status)
{
    gosip__uv_conn *uc = req->data;
    gosip_uv *uv = uc->uv;
    if (uc->closing || !uc->c)
        return; /* closed meanwhile (connect timeout, unlisten, runtime close) */
    if (status < 0) {
        gosip__uv_conn_fail(uc, status, 0, NULL);
    } else if (start_reading(uc) != 0) {
        gosip__uv_conn_fail(uc, uv->last_error, 0, NULL);
    } else if (uc->tls) {
        /* The core's connect_timeout still runs; this bounds the handshake on its own. */
        gosip__uv_hs_set(uc, gosip__uv_now() + uv->hs_timeout);
        gosip__tls_start(uc->tls);
        gosip__uv_tls_flush_cipher(uc);
    } else {
        uc->opened = 1;
        uv_tcp_nodelay(&uc->tcp, 1);
        gosip_tp_conn_opened(uc->c, gosip__uv_now());
    }
    gosip__uv_flush(uv);
}

static int connect_start(gosip__uv_conn *uc, const gosip_tx *tx)
{
    struct sockaddr_storage from, to;
    const gosip_addr *lpa = tx->lp ? gosip_lp_addr(tx->lp) : NULL;
    if (gosip__uv_sa_from_addr(&tx->dest, &to) != 0)
        return UV_EINVAL;
    if (lpa && lpa->family == tx->dest.family) {
        /* Leave from the listening point's address, on an ephemeral port. */
        gosip_addr a = *lpa;
        a.port = 0;
        gosip__uv_sa_from_addr(&a, &from);
        int rc = uv_tcp_bind(&uc->tcp, (struct sockaddr *)&from, 0);
        if (rc != 0)
            return rc;
    }
    if (uc->kind == GOSIP_TP_TLS) {
        char host[256];
        size_t n = tx->tls_host.p && tx->tls_host.n < sizeof host ? tx->tls_host.n : 0;
        if (n)
            memcpy(host, tx->tls_host.p, n);
        host[n] = '\0';
        if (gosip__uv_tls_attach(uc, n ? host : NULL) != 0)
            return UV_EPROTO;
    }
    uc->connect_req.data = uc;
    return uv_tcp_connect(&uc->connect_req, &uc->tcp, (struct sockaddr *)&to, on_connected);
}

void gosip__uv_connect(gosip_uv *uv, const gosip_tx *tx)
{
    gosip__uv_conn *uc = conn_new(uv, gosip_conn_kind(tx->conn));
    if (!uc) {
        gosip_tp_conn_closed(tx->conn, UV_ENOMEM, gosip__uv_now());
        return;
    }
    uc->c = tx->conn;
    uc->peer = tx->dest;
    gosip_conn_set_data(uc->c, uc);
    int rc = connect_start(uc, tx);
    if (rc != 0) {
        int tls = uc->kind == GOSIP_TP_TLS && rc == UV_EPROTO;
        gosip__uv_conn_fail(uc, rc, tls ? GOSIP_ERR_TLS : 0,
                            tls ? "TLS session could not be created" : NULL);
    }
}

/* ---------------------------------------------------------------- handshake deadlines */

/* Sets or clears (NONE) a TLS handshake deadline, keeping the runtime's count so
 * that the common case (no handshake pending) costs no scan. */
void gosip__uv_hs_set(gosip__uv_conn *uc, gosip_tstamp deadline)
{
    gosip_uv *uv = uc->uv;
    if (uc->hs_deadline != GOSIP_TSTAMP_NONE)
        uv->hs_pending--;
    if (deadline != GOSIP_TSTAMP_NONE)
        uv->hs_pending++;
    uc->hs_deadline = deadline;
}

/* With now == 0: returns the earliest pending TLS handshake deadline. With a time:
 * fails the connections whose deadline passed, then returns the earliest left. */
gosip_tstamp gosip__uv_hs_expire(gosip_uv *uv, gosip_tstamp now)
{
    gosip_tstamp next = GOSIP_TSTAMP_NONE;
    gosip__uv_conn *uc = uv->hs_pending ? uv->conns : NULL;
    while (uc) {
        gosip__uv_conn *nx = uc->next;
        if (uc->hs_deadline != GOSIP_TSTAMP_NONE && now && uc->hs_deadline <= now) {
            gosip__uv_hs_set(uc, GOSIP_TSTAMP_NONE);
            gosip__uv_conn_fail(uc, UV_ETIMEDOUT, GOSIP_ERR_TIMEOUT, "TLS handshake timed out");
        } else if (uc->hs_deadline < next) {
            next = uc->hs_deadline;
        }
        uc = nx;
    }
    return next;
}
