/*
 * A fake runtime for the transport core tests: it owns a transport on cmocka's tracked
 * heap, records the messages and errors the callbacks report, and drains the output
 * queue into an array of descriptors (keeping their buffer references until cleared).
 * No sockets and no clock: tests pass `now` by hand.
 */
#ifndef GOSIP_TESTS_TU_TRANSPORT_H
#define GOSIP_TESTS_TU_TRANSPORT_H

#include "testutil.h"

#include <gosip/transport.h>

#define TT_MAX_MSG 64
#define TT_MAX_ERR 64
#define TT_MAX_TX 256

typedef struct tt_fx tt_fx;

struct tt_fx {
    gosip_transport *tp;
    gosip_tp_config cfg;
    gosip_msg *msgs[TT_MAX_MSG];
    gosip_rx_info rx[TT_MAX_MSG];
    int nmsg;
    gosip_tp_error errs[TT_MAX_ERR];
    int nerr;
    gosip_tx tx[TT_MAX_TX];
    int ntx;
    gosip_lp *udp4, *tcp4, *tls4, *udp6, *tcp6;
    /* optional hook run inside on_message */
    void (*hook)(tt_fx *fx, gosip_msg *m, const gosip_rx_info *rx);
    int hook_rc[4];
};

static inline void tt__on_message(gosip_transport *tp, gosip_msg *m, const gosip_rx_info *rx,
                                  void *ud)
{
    tt_fx *fx = ud;
    assert_ptr_equal(tp, fx->tp);
    if (fx->hook)
        fx->hook(fx, m, rx);
    if (fx->nmsg < TT_MAX_MSG) {
        fx->msgs[fx->nmsg] = gosip_msg_ref(m);
        fx->rx[fx->nmsg] = *rx;
        fx->nmsg++;
    }
}

static inline void tt__on_error(gosip_transport *tp, const gosip_tp_error *e, void *ud)
{
    tt_fx *fx = ud;
    assert_ptr_equal(tp, fx->tp);
    assert_non_null(e->reason);
    if (fx->nerr < TT_MAX_ERR)
        fx->errs[fx->nerr++] = *e;
}

static inline gosip_addr tt_addr(const char *host, unsigned port)
{
    gosip_addr a;
    assert_int_equal(gosip_addr_from_str(&a, gosip_str_from_cstr(host), port), 0);
    return a;
}

/* Fixture defaults: cmocka's tracked heap, the default limits. */
static inline void tt_config(tt_fx *fx)
{
    memset(fx, 0, sizeof *fx);
    gosip_tp_config_default(&fx->cfg);
    fx->cfg.mem = tu_mem_tracked();
}

/* Creates the transport with fx->cfg and the listening points used throughout:
 * UDP and TCP on 192.0.2.1:5060, TLS on 192.0.2.1:5061, UDP and TCP on [2001:db8::1]:5060. */
static inline void tt_start(tt_fx *fx)
{
    static const gosip_tp_callbacks cb = {tt__on_message, tt__on_error};
    assert_int_equal(gosip_transport_new(&fx->tp, &fx->cfg, &cb, fx), 0);
    gosip_addr a4 = tt_addr("192.0.2.1", 5060), a4s = tt_addr("192.0.2.1", 5061);
    gosip_addr a6 = tt_addr("2001:db8::1", 5060);
    assert_int_equal(gosip_tp_lp_add(fx->tp, GOSIP_TP_UDP, &a4, GOSIP_STR_NULL, &fx->udp4), 0);
    assert_int_equal(gosip_tp_lp_add(fx->tp, GOSIP_TP_TCP, &a4, GOSIP_STR_NULL, &fx->tcp4), 0);
    assert_int_equal(gosip_tp_lp_add(fx->tp, GOSIP_TP_TLS, &a4s, GOSIP_STR_NULL, &fx->tls4), 0);
    assert_int_equal(gosip_tp_lp_add(fx->tp, GOSIP_TP_UDP, &a6, GOSIP_STR_NULL, &fx->udp6), 0);
    assert_int_equal(gosip_tp_lp_add(fx->tp, GOSIP_TP_TCP, &a6, GOSIP_STR_NULL, &fx->tcp6), 0);
}

static inline void tt_setup(tt_fx *fx)
{
    tt_config(fx);
    tt_start(fx);
}

/* Releases what was recorded (messages, errors, drained descriptors). */
static inline void tt_clear(tt_fx *fx)
{
    for (int i = 0; i < fx->nmsg; i++)
        gosip_msg_unref(fx->msgs[i]);
    for (int i = 0; i < fx->ntx; i++)
        gosip_buf_unref(fx->tx[i].buf);
    fx->nmsg = fx->nerr = fx->ntx = 0;
}

/* Pulls every queued descriptor; returns how many were added. */
static inline int tt_drain(tt_fx *fx)
{
    int n = 0;
    gosip_tx tx;
    while (gosip_tp_next_tx(fx->tp, &tx) == 1) {
        if (fx->ntx < TT_MAX_TX)
            fx->tx[fx->ntx++] = tx;
        else
            gosip_buf_unref(tx.buf);
        n++;
    }
    return n;
}

static inline void tt_teardown(tt_fx *fx)
{
    tt_clear(fx);
    gosip_transport_free(fx->tp);
    fx->tp = NULL;
}

/* Nonzero when tx's buffer holds exactly lit. */
static inline int tt_tx_is(const gosip_tx *tx, const char *lit)
{
    size_t n = strlen(lit);
    return tx->buf && gosip_buf_len(tx->buf) == n && memcmp(gosip_buf_data(tx->buf), lit, n) == 0;
}

/* The top Via value of a message, printed (static buffer). */
static inline const char *tt_top_via(const gosip_msg *m)
{
    static char buf[512];
    const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_VIA);
    assert_non_null(h);
    gosip_hdr_print_value(h, buf, sizeof buf);
    return buf;
}

/* The top Via of the message held by a descriptor's buffer. */
static inline const char *tt_tx_via(const gosip_tx *tx)
{
    gosip_msg *m;
    assert_int_equal(
        tu_parse(gosip_buf_data(tx->buf), gosip_buf_len(tx->buf), GOSIP_FRAMING_DATAGRAM, &m, NULL),
        0);
    const char *v = tt_top_via(m);
    gosip_msg_unref(m);
    return v;
}

/* A request with the given top Via value (sent-by and parameters after "SIP/2.0/UDP "). */
static inline size_t tt_request(char *buf, size_t cap, const char *transport, const char *via)
{
    int n = snprintf(buf, cap,
                     "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/%s %s\r\n"
                     "Max-Forwards: 70\r\n"
                     "To: <sip:bob@example.com>\r\n"
                     "From: <sip:alice@example.com>;tag=1928301774\r\n"
                     "Call-ID: a84b4c76e66710\r\n"
                     "CSeq: 63104 OPTIONS\r\n"
                     "Content-Length: 0\r\n\r\n",
                     transport, via);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* A 200 response with the given top Via value. */
static inline size_t tt_response(char *buf, size_t cap, const char *transport, const char *via)
{
    int n = snprintf(buf, cap,
                     "SIP/2.0 200 OK\r\n"
                     "Via: SIP/2.0/%s %s\r\n"
                     "To: <sip:bob@example.com>;tag=a6c85cf\r\n"
                     "From: <sip:alice@example.com>;tag=1928301774\r\n"
                     "Call-ID: a84b4c76e66710\r\n"
                     "CSeq: 63104 OPTIONS\r\n"
                     "Content-Length: 0\r\n\r\n",
                     transport, via);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* Parses text into a message on the tracked heap. */
static inline gosip_msg *tt_msg(const char *text)
{
    gosip_msg *m;
    assert_int_equal(tu_parse(text, strlen(text), GOSIP_FRAMING_DATAGRAM, &m, NULL), 0);
    return m;
}

#endif
