/*
 * Stream input (RFC 3261 18.3): bytes accumulate in a per-connection buffer bounded by
 * limits.max_msg_size, the framer cuts messages out of it (Content-Length is mandatory),
 * and leading CRLFs are RFC 5626 4.4.1 keep-alives: "\r\n\r\n" is a ping answered with
 * "\r\n", a lone "\r\n" is a pong and consumed.
 */
#include "transport/tp_internal.h"

#include <string.h>

static const char crlf2[] = "\r\n\r\n";

static void send_pong(gosip_conn *c, gosip_tstamp now)
{
    gosip_buf *b = gosip__buf_new(c->tp->cfg.mem, 2);
    if (!b)
        return; /* a lost pong is what a lost packet would be: the peer pings again */
    memcpy(b->data, "\r\n", 2);
    if (gosip__conn_write(c, b, now) == 0)
        c->tp->stats.keepalives++;
    gosip_buf_unref(b);
}

/*
 * Consumes the keep-alive octets p[0..lead). A trailing part that may still become a
 * ping ("\r", "\r\n", "\r\n\r") is held while nothing follows it, so that a ping split
 * across reads is still answered. Returns the octets consumed.
 */
static size_t keepalives(gosip_conn *c, const uint8_t *p, size_t lead, int at_end,
                         gosip_tstamp now)
{
    size_t i = 0;
    while (lead - i >= 4 && memcmp(p + i, crlf2, 4) == 0) {
        send_pong(c, now);
        i += 4;
    }
    if (i < lead && at_end && lead - i < 4 && memcmp(p + i, crlf2, lead - i) == 0)
        return i;
    return lead;
}

static int parse_error_code(int rc)
{
    return rc == GOSIP_ERR_TOO_LARGE || rc == GOSIP_ERR_LIMIT ? GOSIP_ERR_TOO_LARGE
                                                              : GOSIP_ERR_FRAMING;
}

/* Parses and delivers one framed message. Returns 0, or a code that closes the stream. */
static int deliver_framed(gosip_conn *c, const uint8_t *p, size_t len)
{
    gosip_transport *tp = c->tp;
    gosip_msg *m;
    int rc = gosip__tp_parse(tp, p, len, GOSIP_FRAMING_STREAM, &m);
    if (rc == GOSIP_ERR_NOMEM)
        return 0; /* this message is lost; the stream is still in sync */
    if (rc != 0) {
        tp->stats.rx_malformed++;
        return parse_error_code(rc);
    }
    gosip_rx_info rx;
    rx.kind = c->kind;
    rx.lp = c->lp;
    rx.conn = c;
    rx.peer = c->peer;
    gosip__deliver(tp, m, &rx);
    return 0;
}

/* Frames and delivers what the buffer holds; compacts it. Returns 0 or a closing code. */
static int process(gosip_conn *c, gosip_tstamp now)
{
    gosip_transport *tp = c->tp;
    size_t off = 0;
    int rc = 0;
    while (c->state != GOSIP__CONN_CLOSING) {
        size_t skip = 0, mlen = 0;
        int fr = gosip_framer_next(&c->framer, c->rbuf + off, c->rlen - off, &tp->cfg.limits,
                                   &skip, &mlen);
        if (fr < 0) {
            rc = fr == GOSIP_ERR_TOO_LARGE ? GOSIP_ERR_TOO_LARGE : GOSIP_ERR_FRAMING;
            break;
        }
        size_t k = keepalives(c, c->rbuf + off, skip, skip == c->rlen - off, now);
        off += k;
        if (k < skip || fr == 0)
            break;
        rc = deliver_framed(c, c->rbuf + off, mlen);
        off += mlen;
        if (rc != 0)
            break;
        c->partial_since = GOSIP_TSTAMP_NONE;
    }
    if (c->rbuf && off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    return rc;
}

/* Makes room for at least one more octet, doubling up to the cap. */
static int rbuf_grow(gosip_conn *c, size_t cap)
{
    if (c->rlen < c->rcap)
        return 0;
    if (c->rcap >= cap)
        return GOSIP_ERR_TOO_LARGE;
    size_t n = c->rcap ? c->rcap * 2 : GOSIP__TP_RBUF_MIN;
    if (n > cap)
        n = cap;
    uint8_t *p = gosip__mem_realloc(c->tp->cfg.mem, c->rbuf, n);
    if (!p)
        return GOSIP_ERR_NOMEM;
    c->rbuf = p;
    c->rcap = n;
    return 0;
}

/* Buffers and processes data; returns 0 or the code the connection closes with. */
static int feed(gosip_conn *c, const uint8_t *data, size_t len, gosip_tstamp now)
{
    size_t cap = c->tp->cfg.limits.max_msg_size + GOSIP__TP_RBUF_SLACK;
    while (len && c->state != GOSIP__CONN_CLOSING) {
        int rc = rbuf_grow(c, cap);
        if (rc != 0)
            return rc;
        size_t n = c->rcap - c->rlen < len ? c->rcap - c->rlen : len;
        memcpy(c->rbuf + c->rlen, data, n);
        c->rlen += n;
        data += n;
        len -= n;
        rc = process(c, now);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* After a read: the read timer runs only while part of a message is buffered (held
 * keep-alive octets do not count); a large idle buffer is given back. */
static void after_read(gosip_conn *c, gosip_tstamp now)
{
    int partial = 0;
    /* at most 3 held keep-alive octets precede a message: this loop is short */
    for (size_t i = 0; i < c->rlen && !partial; i++)
        partial = c->rbuf[i] != '\r' && c->rbuf[i] != '\n';
    if (!partial)
        c->partial_since = GOSIP_TSTAMP_NONE;
    else if (c->partial_since == GOSIP_TSTAMP_NONE)
        c->partial_since = now; /* a new message started in this read */
    if (c->rlen == 0 && c->rcap > GOSIP__TP_RBUF_MIN) {
        gosip__mem_free(c->tp->cfg.mem, c->rbuf);
        c->rbuf = NULL;
        c->rcap = 0;
    }
    gosip__conn_schedule(c);
}

static const char *close_reason(int rc)
{
    switch (rc) {
    case GOSIP_ERR_TOO_LARGE:
        return "message larger than max_msg_size";
    case GOSIP_ERR_NOMEM:
        return "out of memory buffering a message";
    default:
        return "stream framing error (missing or malformed Content-Length, or not SIP)";
    }
}

/* Frees a connection the runtime closed from inside a callback while it was busy. */
static void free_deferred(gosip_transport *tp, gosip_conn *c)
{
    gosip__mem_free(tp->cfg.mem, c->rbuf);
    gosip__mem_free(tp->cfg.mem, c->tls_host);
    gosip__mem_free(tp->cfg.mem, c);
}

int gosip_tp_conn_recv(gosip_conn *c, const void *data, size_t len, gosip_tstamp now)
{
    if (!c || (!data && len) || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    gosip_transport *tp = c->tp;
    if (tp->depth)
        return GOSIP_ERR_RECURSIVE;
    tp->now = now;
    if (c->state == GOSIP__CONN_CLOSING)
        return GOSIP_ERR_CLOSED;
    /* busy from here: callbacks that close c defer its free until this call ends */
    c->busy = 1;
    if (c->state == GOSIP__CONN_OPENING)
        gosip_tp_conn_opened(c, now); /* bytes prove it open, whatever the order of events */
    if (c->dead || c->state == GOSIP__CONN_CLOSING) {
        /* opening it flushed its queue, and that failed and closed it */
        c->busy = 0;
        if (c->dead)
            free_deferred(tp, c);
        return GOSIP_ERR_CLOSED;
    }
    c->last_activity = now;
    int rc = feed(c, data, len, now);
    c->busy = 0;
    if (c->dead) {
        /* closed by the runtime from inside a callback: finish the free deferred then */
        free_deferred(tp, c);
        return rc == GOSIP_ERR_NOMEM ? GOSIP_ERR_NOMEM : 0;
    }
    if (rc != 0) {
        gosip__conn_close(c, rc == GOSIP_ERR_NOMEM ? GOSIP_ERR_IO : rc, close_reason(rc), 1);
        return rc == GOSIP_ERR_NOMEM ? GOSIP_ERR_NOMEM : 0;
    }
    if (c->state != GOSIP__CONN_CLOSING) {
        after_read(c, now);
    } else {
        /* closed from a callback: gosip__conn_close left the buffer to us */
        gosip__mem_free(tp->cfg.mem, c->rbuf);
        c->rbuf = NULL;
        c->rlen = c->rcap = 0;
    }
    return 0;
}
