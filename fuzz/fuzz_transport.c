/*
 * Transport core fuzzer (a "stack fuzzer": the input is a script). A transport with small
 * limits and UDP + TCP listening points on 127.0.0.1:5060 and [::1]:5060 is driven by a fake
 * runtime on a virtual clock. Each opcode byte (low 3 bits: the operation, high 5 bits: a
 * seed for the decisions taken inside callbacks) is followed by its operands:
 *
 *   0 DGRAM   sel len16 bytes   a datagram to UDP v4/v6 (sel bit 0) from peer sel>>1
 *   1 ACCEPT  sel               an inbound connection on TCP v4/v6 from peer sel>>1
 *   2 FEED    sel chunk len16 bytes   bytes on connection slot sel, in chunks of `chunk`
 *   3 CLOSE   sel               the peer closes slot sel (bit 7: with an I/O error)
 *   4 ADVANCE n                 now += (n + 1) * 100 us, then gosip_tp_handle_expiry
 *   5 SEND    sel len16 bytes   parses bytes; a request goes to peer sel>>2 over UDP/TCP
 *                               (bit 0), v4/v6 (bit 1)
 *   6 LATE    sel               the response to the last request kept by on_message, sent
 *                               with the saved copy of its rx info (maybe long after); with
 *                               bit 7 set instead, the transport's allocator fails its
 *                               ((sel & 63) + 1)th allocation from now (bit 6: and every
 *                               later one) until the end of the next operation
 *   7 OPENED  sel               a pending outbound connection opens (bit 7: fails); with
 *                               bits 7-6 = 01 instead, listening point sel & 3 (UDP v4, TCP v4,
 *                               UDP v6, TCP v6) is removed and added again (its connections
 *                               close; a kept rx info may name the removed point)
 *
 * len16 is little-endian and truncated to what is left. After each operation (and after
 * each chunk fed) the output queue is drained like a runtime does: buffers unreferenced,
 * CONNECT reported opened, failed or left pending (one input byte decides), CLOSE reported
 * closed. on_message answers requests with gosip_tp_send_response, sometimes closes the
 * connection from inside the callback (gosip_tp_conn_closed is allowed there), sometimes
 * forwards the message with gosip_tp_send_raw; on_error sometimes closes the connection it
 * names. Checked: every descriptor names a known live connection (CONNECT a new one, CLOSE
 * an open or opening one, STREAM an open one), the connection limits are exactly those
 * configured, the next deadline is never in the past, statistics never decrease, and the
 * transport frees everything (ASan's leak check).
 */
#include <stdlib.h>
#include <string.h>

#include <gosip/transport.h>

#include "fuzz.h"
#include "fuzz_util.h"

#define MAX_CONNS 4u
#define MAX_PER_SOURCE 2u
#define NSLOTS 8
#define TICK (GOSIP_MS(1) / 10u)

typedef enum slot_state { SLOT_FREE = 0, SLOT_OPENING, SLOT_OPEN } slot_state;

typedef struct slot {
    gosip_conn *conn;
    slot_state state;
    int inbound;
    unsigned gen; /* tells a slot's successive connections apart */
    gosip_addr peer;
} slot;

typedef struct fz {
    gosip_transport *tp;
    gosip_lp *udp4, *tcp4, *udp6, *tcp6;
    gosip_tstamp now;
    const uint8_t *p, *end;
    uint32_t rnd;   /* decisions inside callbacks */
    slot slots[NSLOTS];
    gosip_tp_stats stats;
    gosip_msg *late;    /* the last request seen, for LATE */
    gosip_rx_info late_rx;
    unsigned fail_in;   /* allocations until one fails; 0: none fails */
    int fail_sticky;    /* after the first failure, every allocation fails */
    int failing;
    unsigned gen;
} fz;

static const char *const peers4[] = {"127.0.0.1", "127.0.0.1", "127.0.0.1", "10.0.0.1"};
static const char *const peers6[] = {"::1", "::1", "2001:db8::2", "2001:db8::2"};
static const unsigned peer_ports[] = {5070, 5071, 5060, 5061};
static const int statuses[] = {100, 180, 200, 302, 404, 486, 503, 600};

/* ---------------------------------------------------------------- allocator */

static int fz_fail(fz *f)
{
    if (f->failing)
        return 1;
    if (f->fail_in == 0 || --f->fail_in > 0)
        return 0;
    f->failing = f->fail_sticky;
    return 1;
}

static void *fz_malloc(size_t n, void *ud)
{
    return fz_fail(ud) ? NULL : malloc(n);
}

static void *fz_calloc(size_t k, size_t n, void *ud)
{
    return fz_fail(ud) ? NULL : calloc(k, n);
}

static void *fz_realloc(void *p, size_t n, void *ud)
{
    return fz_fail(ud) ? NULL : realloc(p, n);
}

static void fz_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void fail_disarm(fz *f)
{
    f->fail_in = 0;
    f->fail_sticky = 0;
    f->failing = 0;
}

/* ---------------------------------------------------------------- input */

static unsigned take_byte(fz *f)
{
    return f->p < f->end ? *f->p++ : 0u;
}

static size_t take_len(fz *f)
{
    size_t n = take_byte(f);
    n |= (size_t)take_byte(f) << 8;
    size_t left = (size_t)(f->end - f->p);
    return n < left ? n : left;
}

static uint32_t next_rnd(fz *f)
{
    f->rnd = f->rnd * 1103515245u + 12345u;
    return f->rnd >> 16;
}

static gosip_addr peer_addr(unsigned sel, int v6)
{
    gosip_addr a;
    const char *host = v6 ? peers6[sel % 4] : peers4[sel % 4];
    FUZZ_CHECK(gosip_addr_from_str(&a, gosip_str_from_cstr(host), peer_ports[(sel / 4) % 4]) == 0);
    return a;
}

/* ---------------------------------------------------------------- connection table */

static slot *slot_of(fz *f, const gosip_conn *c)
{
    if (!c)
        return NULL;
    for (int i = 0; i < NSLOTS; i++)
        if (f->slots[i].state != SLOT_FREE && f->slots[i].conn == c)
            return &f->slots[i];
    return NULL;
}

static unsigned live_count(const fz *f)
{
    unsigned n = 0;
    for (int i = 0; i < NSLOTS; i++)
        n += f->slots[i].state != SLOT_FREE;
    return n;
}

static unsigned source_count(const fz *f, const gosip_addr *a)
{
    unsigned n = 0;
    for (int i = 0; i < NSLOTS; i++) {
        const slot *s = &f->slots[i];
        if (s->state != SLOT_FREE && s->inbound && s->peer.family == a->family &&
            memcmp(s->peer.ip, a->ip, a->family == 4 ? 4 : 16) == 0)
            n++;
    }
    return n;
}

static slot *slot_add(fz *f, gosip_conn *c, slot_state st, int inbound, const gosip_addr *peer)
{
    FUZZ_CHECK(c != NULL);
    FUZZ_CHECK(slot_of(f, c) == NULL); /* a new connection is not one we know alive */
    for (int i = 0; i < NSLOTS; i++) {
        slot *s = &f->slots[i];
        if (s->state == SLOT_FREE) {
            s->conn = c;
            s->state = st;
            s->inbound = inbound;
            s->peer = *peer;
            s->gen = ++f->gen;
            return s;
        }
    }
    FUZZ_CHECK(0); /* more live connections than max_conns allows */
    return NULL;
}

/* Reports s closed to the core; the slot is forgotten first, as the core forgets c. */
static void slot_closed(fz *f, slot *s, int sys_error)
{
    gosip_conn *c = s->conn;
    memset(s, 0, sizeof *s);
    gosip_tp_conn_closed(c, sys_error, f->now);
}

/* ---------------------------------------------------------------- invariants */

static void check_stats(fz *f)
{
    const gosip_tp_stats *s = gosip_tp_stats_get(f->tp);
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(s->rx_messages >= f->stats.rx_messages);
    FUZZ_CHECK(s->tx_messages >= f->stats.tx_messages);
    FUZZ_CHECK(s->rx_malformed >= f->stats.rx_malformed);
    FUZZ_CHECK(s->rx_not_ours >= f->stats.rx_not_ours);
    FUZZ_CHECK(s->keepalives >= f->stats.keepalives);
    FUZZ_CHECK(s->conns_refused >= f->stats.conns_refused);
    FUZZ_CHECK(s->conns_timed_out >= f->stats.conns_timed_out);
    f->stats = *s;
}

static void check_expiry(fz *f)
{
    gosip_tstamp next = gosip_tp_next_expiry(f->tp);
    FUZZ_CHECK(next == GOSIP_TSTAMP_NONE || next > f->now);
}

static int is_udp_lp(const fz *f, const gosip_lp *lp)
{
    return lp && (lp == f->udp4 || lp == f->udp6);
}

static int is_tcp_lp(const fz *f, const gosip_lp *lp)
{
    return lp && (lp == f->tcp4 || lp == f->tcp6);
}

/* ---------------------------------------------------------------- the fake runtime */

static void drain(fz *f)
{
    gosip_tx tx;

    while (gosip_tp_next_tx(f->tp, &tx) == 1) {
        slot *s = slot_of(f, tx.conn);
        switch (tx.kind) {
        case GOSIP_TX_DATAGRAM:
            FUZZ_CHECK(is_udp_lp(f, tx.lp) && tx.conn == NULL && tx.buf != NULL);
            FUZZ_CHECK(tx.dest.family == gosip_lp_addr(tx.lp)->family);
            break;
        case GOSIP_TX_STREAM:
            FUZZ_CHECK(s != NULL && s->state == SLOT_OPEN && tx.buf != NULL);
            FUZZ_CHECK(gosip_buf_len(tx.buf) > 0);
            break;
        case GOSIP_TX_CONNECT:
            FUZZ_CHECK(tx.buf == NULL && is_tcp_lp(f, tx.lp));
            FUZZ_CHECK(tx.dest.family == gosip_lp_addr(tx.lp)->family);
            s = slot_add(f, tx.conn, SLOT_OPENING, 0, &tx.dest);
            switch (take_byte(f) % 3) {
            case 0:
                s->state = SLOT_OPEN;
                gosip_tp_conn_opened(tx.conn, f->now);
                break;
            case 1:
                slot_closed(f, s, 111); /* ECONNREFUSED */
                break;
            default:
                break; /* pending: OPENED or the connect timeout settles it */
            }
            break;
        case GOSIP_TX_CLOSE:
            FUZZ_CHECK(s != NULL && tx.buf == NULL);
            slot_closed(f, s, 0);
            break;
        default:
            FUZZ_CHECK(0);
        }
        gosip_buf_unref(tx.buf);
    }
}

/* ---------------------------------------------------------------- callbacks */

static int send_rc_ok(int rc)
{
    return rc == 0 || rc == GOSIP_ERR_RESOLVE || rc == GOSIP_ERR_INVALID_ARG ||
           rc == GOSIP_ERR_NOT_FOUND || rc == GOSIP_ERR_REFUSED || rc == GOSIP_ERR_LIMIT ||
           rc == GOSIP_ERR_CLOSED || rc == GOSIP_ERR_NOMEM;
}

static void respond(fz *f, const gosip_msg *req, const gosip_rx_info *rx, uint32_t r)
{
    gosip_msg *resp = NULL;
    int status = statuses[r % (sizeof statuses / sizeof statuses[0])];
    gosip_str tag = status == 100 ? GOSIP_STR_NULL : GOSIP_STR("f7a1");

    if (gosip_msg_new_response(&resp, req, status, GOSIP_STR_NULL, tag) != 0)
        return;
    int rc = gosip_tp_send_response(f->tp, resp, rx, f->now);
    FUZZ_CHECK(send_rc_ok(rc));
    gosip_msg_unref(resp);
}

static void on_message(gosip_transport *tp, gosip_msg *msg, const gosip_rx_info *rx, void *ud)
{
    fz *f = ud;
    uint32_t r = next_rnd(f);

    FUZZ_CHECK(tp == f->tp && msg != NULL && rx != NULL);
    FUZZ_CHECK(rx->peer.family == 4 || rx->peer.family == 6);
    if (rx->conn) {
        slot *s = slot_of(f, rx->conn);
        FUZZ_CHECK(s != NULL && s->state == SLOT_OPEN);
        FUZZ_CHECK(rx->kind == GOSIP_TP_TCP && is_tcp_lp(f, rx->lp));
        FUZZ_CHECK(gosip_addr_equal(&rx->peer, gosip_conn_peer(rx->conn)));
    } else {
        FUZZ_CHECK(rx->kind == GOSIP_TP_UDP && is_udp_lp(f, rx->lp));
    }
    /* the transport refuses to be re-entered for input and timers */
    FUZZ_CHECK(gosip_tp_recv_datagram(tp, f->udp4, &rx->peer, "x", 1, f->now) ==
               GOSIP_ERR_RECURSIVE);
    FUZZ_CHECK(gosip_tp_handle_expiry(tp, f->now) == GOSIP_ERR_RECURSIVE);

    int request = gosip_msg_is_request(msg);
    if (request && gosip_msg_method(msg) != GOSIP_METHOD_ACK && (r & 3) != 0)
        respond(f, msg, rx, r >> 2);
    if (request && (r & 0x40)) {
        gosip_msg_unref(f->late);
        f->late = gosip_msg_ref(msg);
        f->late_rx = *rx;
    }
    if ((r & 0x380) == 0x380) {
        /* a stateless forward of whatever came in, back to a peer */
        gosip_target t;
        memset(&t, 0, sizeof t);
        t.kind = (r & 0x400) ? GOSIP_TP_TCP : GOSIP_TP_UDP;
        t.addr = peer_addr(r >> 11, (r >> 13) & 1);
        FUZZ_CHECK(send_rc_ok(gosip_tp_send_raw(tp, msg, &t, NULL, f->now)));
    }
    if (rx->conn && (r & 0x18) == 0x18) {
        /* the runtime learns the connection is gone while the message is delivered */
        slot_closed(f, slot_of(f, rx->conn), (r & 0x4000) ? 104 : 0);
        /* the closed connection is not used for the response: 18.2.2 falls back */
        if (request && gosip_msg_method(msg) != GOSIP_METHOD_ACK && (r & 0x8000))
            respond(f, msg, rx, r >> 3);
    }
}

static void on_error(gosip_transport *tp, const gosip_tp_error *e, void *ud)
{
    fz *f = ud;
    uint32_t r = next_rnd(f);

    FUZZ_CHECK(tp == f->tp && e != NULL && e->reason != NULL);
    FUZZ_CHECK(e->code == GOSIP_ERR_IO || e->code == GOSIP_ERR_TIMEOUT ||
               e->code == GOSIP_ERR_FRAMING || e->code == GOSIP_ERR_TOO_LARGE ||
               e->code == GOSIP_ERR_REFUSED || e->code == GOSIP_ERR_CLOSED);
    FUZZ_CHECK(gosip_tp_handle_expiry(tp, f->now) == GOSIP_ERR_RECURSIVE);
    slot *s = slot_of(f, e->conn);
    /* a connection the core closes is still ours to report closed: sometimes at once */
    if (s && (r & 3) == 0)
        slot_closed(f, s, 0);
}

/* ---------------------------------------------------------------- operations */

static slot *pick_slot(fz *f, unsigned sel)
{
    for (int i = 0; i < NSLOTS; i++) {
        slot *s = &f->slots[(sel + (unsigned)i) % NSLOTS];
        if (s->state != SLOT_FREE)
            return s;
    }
    return NULL;
}

static void op_dgram(fz *f)
{
    unsigned sel = take_byte(f);
    size_t n = take_len(f);
    const uint8_t *data = f->p;
    int v6 = sel & 1;
    gosip_addr from = peer_addr(sel >> 1, v6);

    f->p += n;
    /* the data is passed in a copy of exactly n bytes, so ASan sees any overread */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return;
    memcpy(copy, data, n);
    int rc = gosip_tp_recv_datagram(f->tp, v6 ? f->udp6 : f->udp4, &from, copy, n, f->now);
    FUZZ_CHECK(rc == 0 || rc == GOSIP_ERR_NOMEM);
    free(copy);
}

static void op_accept(fz *f)
{
    unsigned sel = take_byte(f);
    int v6 = sel & 1;
    gosip_addr peer = peer_addr(sel >> 1, v6);
    gosip_conn *c = NULL;
    unsigned live = live_count(f), from_src = source_count(f, &peer);
    uint64_t refused = gosip_tp_stats_get(f->tp)->conns_refused;

    int rc = gosip_tp_conn_accepted(f->tp, v6 ? f->tcp6 : f->tcp4, &peer, f->now, &c);
    if (live >= MAX_CONNS || from_src >= MAX_PER_SOURCE) {
        FUZZ_CHECK(rc == GOSIP_ERR_REFUSED);
        FUZZ_CHECK(gosip_tp_stats_get(f->tp)->conns_refused == refused + 1);
        return;
    }
    FUZZ_CHECK(rc == 0 || rc == GOSIP_ERR_NOMEM);
    if (rc == 0) {
        FUZZ_CHECK(gosip_conn_kind(c) == GOSIP_TP_TCP);
        FUZZ_CHECK(gosip_conn_lp(c) == (v6 ? f->tcp6 : f->tcp4));
        slot_add(f, c, SLOT_OPEN, 1, &peer);
    }
}

static void op_feed(fz *f)
{
    slot *s = pick_slot(f, take_byte(f));
    size_t chunk = take_byte(f);
    size_t n = take_len(f);
    const uint8_t *data = f->p;

    f->p += n;
    if (!s)
        return;
    gosip_conn *c = s->conn;
    unsigned gen = s->gen;
    if (chunk == 0)
        chunk = n ? n : 1;
    if (n == 0) {
        /* an empty read is still a read: it proves an opening connection open, and flushing
         * its queue then may fail (an injected allocation failure) and close it */
        s->state = SLOT_OPEN;
        int rc = gosip_tp_conn_recv(c, NULL, 0, f->now);
        FUZZ_CHECK(rc == 0 || rc == GOSIP_ERR_CLOSED);
        drain(f);
        if (rc == GOSIP_ERR_CLOSED) /* and the runtime has been told to close it */
            FUZZ_CHECK(s->state == SLOT_FREE || s->gen != gen);
        return;
    }
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        /* stop when the runtime has reported the connection closed (it is forgotten) */
        if (s->state == SLOT_FREE || s->gen != gen)
            break;
        s->state = SLOT_OPEN; /* bytes on an opening connection open it */
        uint8_t *copy = malloc(k);
        if (!copy)
            return;
        memcpy(copy, data + off, k);
        int rc = gosip_tp_conn_recv(c, copy, k, f->now);
        free(copy);
        FUZZ_CHECK(rc == 0 || rc == GOSIP_ERR_CLOSED || rc == GOSIP_ERR_NOMEM);
        drain(f);
        check_stats(f);
    }
}

static void op_close(fz *f)
{
    unsigned sel = take_byte(f);
    slot *s = pick_slot(f, sel & 0x7f);
    if (s)
        slot_closed(f, s, (sel & 0x80) ? 104 : 0);
}

static void op_advance(fz *f)
{
    f->now += ((gosip_tstamp)take_byte(f) + 1u) * TICK;
    FUZZ_CHECK(gosip_tp_handle_expiry(f->tp, f->now) == 0);
    check_expiry(f);
}

static void op_send(fz *f)
{
    unsigned sel = take_byte(f);
    size_t n = take_len(f);
    const uint8_t *data = f->p;
    gosip_msg *m = NULL;

    f->p += n;
    if (gosip_msg_parse(&m, data, n, NULL, NULL) != 0)
        return;
    if (gosip_msg_is_request(m)) {
        gosip_target t;
        gosip_tp_kind used = GOSIP_TP_TLS;
        memset(&t, 0, sizeof t);
        t.kind = (sel & 1) ? GOSIP_TP_TCP : GOSIP_TP_UDP;
        t.addr = peer_addr(sel >> 2, (sel >> 1) & 1);
        int rc = gosip_tp_send_request(f->tp, m, &t, f->now, &used);
        FUZZ_CHECK(send_rc_ok(rc) && rc != GOSIP_ERR_NOT_FOUND && rc != GOSIP_ERR_RESOLVE);
        if (rc == 0)
            FUZZ_CHECK(used == GOSIP_TP_TCP || (used == GOSIP_TP_UDP && t.kind == GOSIP_TP_UDP));
    }
    gosip_msg_unref(m);
}

static void op_late(fz *f)
{
    unsigned sel = take_byte(f);
    if (sel & 0x80) {
        f->fail_in = (sel & 63) + 1;
        f->fail_sticky = (sel & 0x40) != 0;
        return;
    }
    if (!f->late)
        return;
    respond(f, f->late, &f->late_rx, sel);
    if (sel & 1) {
        gosip_msg_unref(f->late);
        f->late = NULL;
    }
}

static gosip_lp *add_lp(gosip_transport *tp, gosip_tp_kind kind, const char *host);

static void op_relisten(fz *f, unsigned sel)
{
    static const char *const hosts[] = {"127.0.0.1", "127.0.0.1", "::1", "::1"};
    gosip_lp **lps[] = {&f->udp4, &f->tcp4, &f->udp6, &f->tcp6};
    gosip_lp **lp = lps[sel & 3];
    gosip_tp_kind kind = (sel & 1) ? GOSIP_TP_TCP : GOSIP_TP_UDP;

    gosip_tp_lp_remove(f->tp, *lp, f->now);
    /* until re-added, no descriptor may name it: drained with the point missing */
    *lp = NULL;
    drain(f);
    fail_disarm(f);
    *lp = add_lp(f->tp, kind, hosts[sel & 3]);
}

static void op_opened(fz *f)
{
    unsigned sel = take_byte(f);
    if ((sel & 0xc0) == 0x40) {
        op_relisten(f, sel);
        return;
    }
    for (int i = 0; i < NSLOTS; i++) {
        slot *s = &f->slots[(sel + (unsigned)i) % NSLOTS];
        if (s->state != SLOT_OPENING)
            continue;
        if (sel & 0x80) {
            slot_closed(f, s, 110); /* ETIMEDOUT */
        } else {
            s->state = SLOT_OPEN;
            gosip_tp_conn_opened(s->conn, f->now);
        }
        return;
    }
}

/* ---------------------------------------------------------------- setup */

static gosip_lp *add_lp(gosip_transport *tp, gosip_tp_kind kind, const char *host)
{
    gosip_addr a;
    gosip_lp *lp = NULL;
    FUZZ_CHECK(gosip_addr_from_str(&a, gosip_str_from_cstr(host), 5060) == 0);
    FUZZ_CHECK(gosip_tp_lp_add(tp, kind, &a, GOSIP_STR_NULL, &lp) == 0);
    return lp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gosip_tp_callbacks cb = {on_message, on_error};
    gosip_tp_config cfg;
    gosip_mem mem = {NULL, fz_malloc, fz_calloc, fz_realloc, fz_free};
    fz f;

    memset(&f, 0, sizeof f);
    f.p = data;
    f.end = data + size;
    f.now = GOSIP_SEC(1000);
    gosip_tp_config_default(&cfg);
    mem.user_data = &f;
    cfg.mem = &mem;
    cfg.limits.max_msg_size = 4096;
    cfg.udp_max_request = 600;
    cfg.max_conns = MAX_CONNS;
    cfg.max_conns_per_source = MAX_PER_SOURCE;
    cfg.idle_timeout = GOSIP_MS(20);
    cfg.connect_timeout = GOSIP_MS(5);
    cfg.read_timeout = GOSIP_MS(3);
    cfg.max_conn_queue = 6000;
    if (gosip_transport_new(&f.tp, &cfg, &cb, &f) != 0)
        return 0;
    f.udp4 = add_lp(f.tp, GOSIP_TP_UDP, "127.0.0.1");
    f.tcp4 = add_lp(f.tp, GOSIP_TP_TCP, "127.0.0.1");
    f.udp6 = add_lp(f.tp, GOSIP_TP_UDP, "::1");
    f.tcp6 = add_lp(f.tp, GOSIP_TP_TCP, "::1");

    for (int ops = 0; f.p < f.end && ops < 4096; ops++) {
        unsigned op = take_byte(&f);
        int armed = f.fail_in != 0;
        f.rnd = (f.rnd << 5) ^ (op >> 3) ^ 0x9e3779b9u;
        switch (op & 7) {
        case 0:
            op_dgram(&f);
            break;
        case 1:
            op_accept(&f);
            break;
        case 2:
            op_feed(&f);
            break;
        case 3:
            op_close(&f);
            break;
        case 4:
            op_advance(&f);
            break;
        case 5:
            op_send(&f);
            break;
        case 6:
            op_late(&f);
            break;
        default:
            op_opened(&f);
            break;
        }
        drain(&f);
        check_expiry(&f);
        check_stats(&f);
        if (armed)
            fail_disarm(&f); /* a failure lasts one operation after the one arming it */
    }
    fail_disarm(&f);
    gosip_msg_unref(f.late);
    gosip_transport_free(f.tp);
    return 0;
}
