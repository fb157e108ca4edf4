/*
 * TLS on a runtime connection: the engine (tls.h) sits between the TCP stream and the
 * core, which only ever sees plaintext. An outbound connection is reported open to the
 * core only once the handshake (and the server's certificate and host name check) is
 * done, so the core's connect_timeout covers connect plus handshake. The runtime adds its
 * own deadline, tls_handshake_timeout, from TCP connect (outbound) or accept (inbound) to
 * handshake done (conn.c, gosip__uv_hs_expire): inbound it is the only bound, since the
 * core's read timeout starts with the first plaintext byte.
 */
#include "uv/uv_internal.h"

int gosip__uv_tls_attach(gosip__uv_conn *uc, const char *host)
{
    return gosip__tls_new(&uc->tls, uc->uv->tls, uc->inbound, host);
}

/* Writes whatever ciphertext the engine produced (handshake, records, alerts). */
void gosip__uv_tls_flush_cipher(gosip__uv_conn *uc)
{
    uint8_t chunk[16384];
    for (;;) {
        size_t pending = gosip__tls_cipher_pending(uc->tls);
        if (pending == 0)
            return;
        gosip_ssize n = gosip__tls_take_cipher(uc->tls, chunk, sizeof chunk);
        if (n <= 0)
            return;
        if (uv_is_closing((uv_handle_t *)&uc->tcp) ||
            gosip__uv_write_bytes(uc, chunk, (size_t)n, NULL) != 0)
            return;
    }
}

static void tls_failed(gosip__uv_conn *uc)
{
    /* The engine's reason lives in the engine, which lives until the handle's close
     * callback: valid for the error event below. */
    gosip__uv_tls_flush_cipher(uc); /* the alert that tells the peer why */
    gosip__uv_conn_fail(uc, UV_EPROTO, GOSIP_ERR_TLS, gosip__tls_reason(uc->tls));
}

/* The handshake just completed: an outbound connection becomes usable for the core. */
static void handshake_done(gosip__uv_conn *uc)
{
    gosip__uv_hs_set(uc, GOSIP_TSTAMP_NONE);
    if (!uc->inbound && !uc->opened && uc->c) {
        uc->opened = 1;
        uv_tcp_nodelay(&uc->tcp, 1);
        gosip_tp_conn_opened(uc->c, gosip__uv_now());
    }
}

void gosip__uv_tls_on_read(gosip__uv_conn *uc, const uint8_t *p, size_t n)
{
    int was_done = gosip__tls_handshake_done(uc->tls);
    int rc = gosip__tls_feed(uc->tls, p, n);
    if (rc != 0) {
        tls_failed(uc);
        return;
    }
    gosip__uv_tls_flush_cipher(uc);
    if (!gosip__tls_handshake_done(uc->tls))
        return;
    if (!was_done)
        handshake_done(uc);
    gosip_uv *uv = uc->uv;
    gosip_ssize got;
    /* Each delivery may close the connection (framing error, size limit): stop then. */
    while (uc->c && !uc->closing &&
           (got = gosip__tls_read(uc->tls, uv->plainbuf, GOSIP__UV_PLAINBUF)) > 0)
        gosip__uv_conn_deliver(uc, uv->plainbuf, (size_t)got);
    if (uc->c && !uc->closing && gosip__tls_peer_closed(uc->tls))
        gosip__uv_conn_fail(uc, 0, 0, NULL);
}

void gosip__uv_tls_send(gosip__uv_conn *uc, gosip_buf *b)
{
    int rc = gosip__tls_write(uc->tls, gosip_buf_data(b), gosip_buf_len(b));
    gosip_buf_unref(b); /* the engine copied the plaintext */
    if (rc != 0) {
        tls_failed(uc);
        return;
    }
    gosip__uv_tls_flush_cipher(uc);
}
