/*
 * Write back-pressure of the libuv runtime's stream connections (src/uv/conn.c): a peer
 * that accepts a connection but stops reading must not make the runtime queue without
 * end. Once libuv holds more than max(max_conn_queue, 2 * limits.max_msg_size) unwritten
 * bytes on a connection, the connection is closed and on_error reports GOSIP_ERR_LIMIT
 * with the peer; the next request to that peer opens a new connection.
 *
 * The peer is a raw libuv TCP listener on 127.0.0.1 (ephemeral port) with a small
 * SO_RCVBUF; it reads with plain recv() on its accepted sockets, from a repeating timer,
 * only when a test lets it. Before libuv queues anything the kernel buffers must fill:
 * the peer's receive buffer and the runtime's send buffer, which Linux autotunes up to
 * net.ipv4.tcp_wmem[2]. The number of requests the stalled case may need is bounded from
 * that sysctl (bp_bound); the keeping-up case sends that same volume and must see no
 * error. No timing assumption beyond the 10 s guard: the sender and the reader run on
 * the same loop, so a loaded machine slows both alike.
 */
#define _DEFAULT_SOURCE /* <uv.h> needs POSIX types hidden by -std=c11; MSG_DONTWAIT */
#include "uv_testutil.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#define BP_GUARD_MS 10000
#define BP_BODY 8000u              /* a request of ~8 KiB on the wire */
#define BP_QUEUE (16u * 1024u)     /* cfg.tp.max_conn_queue */
#define BP_MSG_LIMIT (16u * 1024u) /* cfg.tp.limits.max_msg_size */
#define BP_RCVBUF 4096             /* the peer's SO_RCVBUF (Linux doubles it) */
#define BP_READ_MS 5               /* the slow reader's period */
#define BP_NEEDLE "OPTIONS sip:bob@example.test SIP/2.0\r\n"

/* ---------------------------------------------------------------- the raw peer */

typedef struct peer_conn {
    uv_tcp_t tcp;
    int used;    /* handle initialised */
    int closed;  /* its close callback ran */
    int reading; /* the reader timer drains it */
    int eof;     /* recv returned 0 (orderly close) */
    int reset;   /* recv failed (a reset): the connection is gone all the same */
    size_t rx_bytes;
    int requests; /* BP_NEEDLE occurrences, across read boundaries */
    char tail[sizeof BP_NEEDLE];
    size_t tail_len;
} peer_conn;

#define PEER_MAX_CONNS 4

typedef struct peer {
    tuv_loop *L;
    uv_tcp_t server;
    uv_timer_t reader;
    int server_closed, reader_closed;
    int read_all; /* the reader drains every connection, new ones too */
    gosip_addr addr;
    peer_conn conns[PEER_MAX_CONNS];
    int naccepted;
} peer;

static void peer_count(peer_conn *pc, const char *p, size_t n)
{
    /* Scan tail + p for the needle; keep the last len-1 bytes as the next tail. */
    const size_t k = sizeof BP_NEEDLE - 1;
    char scratch[sizeof BP_NEEDLE - 1 + 65536];
    assert_true(n <= 65536);
    memcpy(scratch, pc->tail, pc->tail_len);
    memcpy(scratch + pc->tail_len, p, n);
    size_t m = pc->tail_len + n;
    for (size_t i = 0; i + k <= m; i++)
        if (memcmp(scratch + i, BP_NEEDLE, k) == 0)
            pc->requests++;
    pc->tail_len = m < k - 1 ? m : k - 1;
    memcpy(pc->tail, scratch + m - pc->tail_len, pc->tail_len);
}

/* Reads everything the kernel holds for pc, without blocking. */
static void peer_drain(peer_conn *pc)
{
    static char buf[65536];
    uv_os_fd_t fd;
    if (!pc->used || pc->eof || pc->reset || uv_fileno((uv_handle_t *)&pc->tcp, &fd) != 0)
        return;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            pc->rx_bytes += (size_t)n;
            peer_count(pc, buf, (size_t)n);
        } else if (n == 0) {
            pc->eof = 1;
            return;
        } else if (errno == EINTR) {
            continue;
        } else {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                pc->reset = 1;
            return;
        }
    }
}

/* Bytes waiting in pc's receive queue, not consumed. */
static int peer_has_bytes(void *p)
{
    peer_conn *pc = p;
    uv_os_fd_t fd;
    char c;
    if (!pc->used || uv_fileno((uv_handle_t *)&pc->tcp, &fd) != 0)
        return 0;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

static void peer_on_read_tick(uv_timer_t *t)
{
    peer *P = t->data;
    for (int i = 0; i < P->naccepted; i++)
        if (P->read_all || P->conns[i].reading)
            peer_drain(&P->conns[i]);
}

static void peer_on_connection(uv_stream_t *server, int status)
{
    peer *P = server->data;
    assert_int_equal(status, 0);
    assert_true(P->naccepted < PEER_MAX_CONNS);
    peer_conn *pc = &P->conns[P->naccepted];
    memset(pc, 0, sizeof *pc);
    assert_int_equal(uv_tcp_init(&P->L->loop, &pc->tcp), 0);
    pc->tcp.data = pc;
    pc->used = 1;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&pc->tcp), 0);
    P->naccepted++;
    /* Never uv_read_start: libuv does not read for us; only peer_drain does. */
}

static void peer_start(peer *P, tuv_loop *L, int rcvbuf)
{
    memset(P, 0, sizeof *P);
    P->L = L;
    assert_int_equal(uv_tcp_init(&L->loop, &P->server), 0);
    P->server.data = P;
    struct sockaddr_in sin;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sin), 0);
    assert_int_equal(uv_tcp_bind(&P->server, (const struct sockaddr *)&sin, 0), 0);
    if (rcvbuf > 0) {
        /* On the listening socket, before listen(): accepted sockets inherit it, and the
         * window scale of the handshake is chosen for it. */
        int v = rcvbuf;
        assert_int_equal(uv_recv_buffer_size((uv_handle_t *)&P->server, &v), 0);
    }
    assert_int_equal(uv_listen((uv_stream_t *)&P->server, 8, peer_on_connection), 0);
    struct sockaddr_storage ss;
    int len = (int)sizeof ss;
    assert_int_equal(uv_tcp_getsockname(&P->server, (struct sockaddr *)&ss, &len), 0);
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
    memset(&P->addr, 0, sizeof P->addr);
    P->addr.family = 4;
    P->addr.port = ntohs(s4->sin_port);
    memcpy(P->addr.ip, &s4->sin_addr, 4);
    assert_int_equal(uv_timer_init(&L->loop, &P->reader), 0);
    P->reader.data = P;
    assert_int_equal(uv_timer_start(&P->reader, peer_on_read_tick, BP_READ_MS, BP_READ_MS), 0);
}

static void peer_on_conn_closed(uv_handle_t *h)
{
    ((peer_conn *)h->data)->closed = 1;
}

static void peer_on_server_closed(uv_handle_t *h)
{
    ((peer *)h->data)->server_closed = 1;
}

static void peer_on_reader_closed(uv_handle_t *h)
{
    ((peer *)h->data)->reader_closed = 1;
}

static int peer_all_closed(void *p)
{
    peer *P = p;
    for (int i = 0; i < P->naccepted; i++)
        if (!P->conns[i].closed)
            return 0;
    return P->server_closed && P->reader_closed;
}

static void peer_close_conn(peer *P, int i)
{
    peer_conn *pc = &P->conns[i];
    if (!uv_is_closing((uv_handle_t *)&pc->tcp))
        uv_close((uv_handle_t *)&pc->tcp, peer_on_conn_closed);
}

static void peer_stop(peer *P)
{
    for (int i = 0; i < P->naccepted; i++)
        peer_close_conn(P, i);
    uv_close((uv_handle_t *)&P->server, peer_on_server_closed);
    uv_close((uv_handle_t *)&P->reader, peer_on_reader_closed);
    tuv_run_until(P->L, peer_all_closed, P);
}

static int peer_conn_gone(void *p)
{
    peer_conn *pc = p;
    return pc->eof || pc->reset;
}

typedef struct want_accepts {
    peer *P;
    int n;
} want_accepts;

static int peer_accepted(void *p)
{
    want_accepts *w = p;
    return w->P->naccepted >= w->n;
}

typedef struct want_requests {
    peer_conn *pc;
    int n;
} want_requests;

static int peer_got_requests(void *p)
{
    want_requests *w = p;
    return w->pc->requests >= w->n;
}

/* ---------------------------------------------------------------- the runtime side */

static void bp_config(gosip_uv_config *cfg)
{
    gosip_uv_config_default(cfg);
    cfg->tp.max_conn_queue = BP_QUEUE;
    cfg->tp.limits.max_msg_size = BP_MSG_LIMIT;
}

/* What libuv may hold unwritten before the runtime gives up (src/uv/runtime.c). */
static size_t bp_write_limit(void)
{
    return BP_QUEUE > 2 * BP_MSG_LIMIT ? BP_QUEUE : 2 * BP_MSG_LIMIT;
}

static int send_one(tuv_node *n, const gosip_target *t, int i)
{
    char branch[32];
    snprintf(branch, sizeof branch, "bp%06d", i); /* fixed width: every request one size */
    gosip_msg *m = tuv_request("OPTIONS", branch, BP_BODY);
    gosip_tp_kind used = GOSIP_TP_UDP;
    int rc = gosip_tp_send_request(n->tp, m, t, uv_hrtime(), &used);
    gosip_msg_unref(m);
    if (rc == 0)
        assert_int_equal(used, GOSIP_TP_TCP);
    return rc;
}

static int find_err(const tuv_node *n, int code)
{
    for (int i = 0; i < n->nerrs; i++)
        if (n->errs[i].code == code)
            return i;
    return -1;
}

/* The most requests a stalled peer may absorb before the runtime must report LIMIT: the
 * runtime's socket send buffer (at most net.ipv4.tcp_wmem[2] when autotuned), the peer's
 * receive buffer (twice SO_RCVBUF, generously doubled again for what loopback keeps in
 * flight), what libuv may queue, and a few requests of slack for rounding and for the
 * kernel's one-write overshoot of its buffer. Non-Linux: a fixed 16 MiB. */
static int bp_bound(void)
{
    size_t wmem_max = 16u * 1024u * 1024u;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
    if (f) {
        unsigned long lo, def, hi;
        if (fscanf(f, "%lu %lu %lu", &lo, &def, &hi) == 3 && hi > 0)
            wmem_max = (size_t)hi;
        fclose(f);
    }
    size_t bytes = wmem_max + 4u * (size_t)BP_RCVBUF + bp_write_limit();
    return (int)(bytes / BP_BODY) + 16;
}

typedef struct fixture {
    tuv_loop L;
    peer P;
    tuv_node n;
    gosip_lp *lp;
    gosip_target t;
} fixture;

static void setup(fixture *f, int rcvbuf)
{
    tuv_loop_init(&f->L, BP_GUARD_MS);
    peer_start(&f->P, &f->L, rcvbuf);
    gosip_uv_config cfg;
    bp_config(&cfg);
    tuv_node_new(&f->n, &f->L, &cfg);
    assert_int_equal(gosip_uv_listen(f->n.uv, GOSIP_TP_TCP, "127.0.0.1", 0, &f->lp), 0);
    memset(&f->t, 0, sizeof f->t);
    f->t.kind = GOSIP_TP_TCP;
    f->t.addr = f->P.addr;
}

static void teardown(fixture *f)
{
    tuv_node_close(&f->n, &f->L);
    peer_stop(&f->P);
    tuv_loop_finish(&f->L);
}

/* ---------------------------------------------------------------- the tests */

/* The peer accepts and never reads: LIMIT with the peer's address within the bound, the
 * connection closed (the peer, draining at last, sees it end), exactly one error, and a
 * new request opens a new connection that works. */
static void stalled_peer_hits_limit(void **state)
{
    (void)state;
    fixture f;
    setup(&f, BP_RCVBUF);
    const int bound = bp_bound();
    uint64_t t0 = uv_hrtime();

    /* The first request opens the connection; wait until its bytes reach the peer, so
     * the rest go to an open connection (not the core's pre-open queue). */
    assert_int_equal(send_one(&f.n, &f.t, 0), 0);
    want_accepts wa = {&f.P, 1};
    tuv_run_until(&f.L, peer_accepted, &wa);
    tuv_run_until(&f.L, peer_has_bytes, &f.P.conns[0]);

    /* One request per loop turn (the runtime writes in its prepare callback). */
    int sent = 1;
    while (find_err(&f.n, GOSIP_ERR_LIMIT) < 0) {
        assert_true(sent < bound);
        assert_int_equal(send_one(&f.n, &f.t, sent), 0);
        sent++;
        uv_run(&f.L.loop, UV_RUN_NOWAIT);
        assert_false(f.L.timed_out);
    }
    uint64_t took = uv_hrtime() - t0;
    fprintf(stderr, "[ INFO     ] LIMIT after %d requests of ~%u bytes (bound %d), %.3f s\n", sent,
            BP_BODY, bound, (double)took / 1e9);
    /* Beyond what libuv may queue, the kernel took some: the limit did not fire early. */
    assert_true((size_t)sent * BP_BODY > bp_write_limit());

    int i = find_err(&f.n, GOSIP_ERR_LIMIT);
    assert_int_equal(f.n.errs[i].kind, GOSIP_TP_TCP);
    assert_true(gosip_addr_equal(&f.n.errs[i].peer, &f.P.addr));
    assert_non_null(f.n.errs[i].reason);
    assert_int_equal(f.P.naccepted, 1);

    /* The connection is closed: the peer reads what the kernel still held, then its end
     * (an orderly one: the runtime's socket had nothing unread, so no reset). */
    f.P.conns[0].reading = 1;
    tuv_run_until(&f.L, peer_conn_gone, &f.P.conns[0]);
    assert_true(f.P.conns[0].eof);
    assert_false(f.P.conns[0].reset);
    assert_true(f.P.conns[0].requests >= 1);
    assert_true(f.P.conns[0].requests < sent); /* the queued tail was dropped */
    assert_int_equal(f.n.nerrs, 1);            /* reported once, not again as IO */
    peer_close_conn(&f.P, 0);

    /* A new request to the same peer opens a new connection, which carries it. */
    assert_int_equal(send_one(&f.n, &f.t, sent), 0);
    wa.n = 2;
    tuv_run_until(&f.L, peer_accepted, &wa);
    f.P.conns[1].reading = 1;
    want_requests wr = {&f.P.conns[1], 1};
    tuv_run_until(&f.L, peer_got_requests, &wr);
    assert_false(f.P.conns[1].eof || f.P.conns[1].reset);
    assert_int_equal(f.n.nerrs, 1);

    /* Closing the runtime closes that connection too. */
    tuv_node_close(&f.n, &f.L);
    tuv_run_until(&f.L, peer_conn_gone, &f.P.conns[1]);
    assert_int_equal(f.n.nerrs, 1);
    assert_int_equal(f.P.conns[1].requests, 1);

    /* The threshold itself. The second connection carried exactly one request: its size,
     * the same for all. The first `sent - 1` went to uv_write; the peer read all the
     * kernel took of them, so libuv held the rest, Q, when the last one was refused:
     * Q + len > limit (refused), and Q <= limit (the one before was accepted, and the
     * queue only shrank or grew by it since). */
    const size_t len = f.P.conns[1].rx_bytes;
    const size_t limit = bp_write_limit();
    assert_true(len > BP_BODY && len < BP_BODY + 1024);
    const size_t handed = (size_t)(sent - 1) * len;
    assert_true(handed >= f.P.conns[0].rx_bytes);
    const size_t q = handed - f.P.conns[0].rx_bytes;
    fprintf(stderr, "[ INFO     ] request %zu bytes; kernel took %zu, libuv held %zu (limit %zu)\n",
            len, f.P.conns[0].rx_bytes, q, limit);
    assert_true(q + len > limit);
    assert_true(q <= limit);
    peer_stop(&f.P);
    tuv_loop_finish(&f.L);
}

/* The sender of the keeping-up case: BP_BURST requests per BP_READ_MS tick, on the same
 * loop as the reader, so that a loaded machine delays both alike. */
#define BP_BURST 4

typedef struct sender {
    fixture *f;
    uv_timer_t timer;
    int sent, total;
    int closed;
    size_t max_backlog; /* sent but not yet read by the peer, in requests (diagnostics) */
} sender;

static void sender_tick(uv_timer_t *t)
{
    sender *s = t->data;
    for (int k = 0; k < BP_BURST && s->sent < s->total; k++) {
        assert_int_equal(send_one(&s->f->n, &s->f->t, s->sent), 0);
        s->sent++;
    }
    int backlog = s->sent - s->f->P.conns[0].requests;
    if (backlog > 0 && (size_t)backlog > s->max_backlog)
        s->max_backlog = (size_t)backlog;
    if (s->sent >= s->total)
        uv_timer_stop(t);
}

static void sender_on_closed(uv_handle_t *h)
{
    ((sender *)h->data)->closed = 1;
}

/* The peer reads slowly (everything, every BP_READ_MS) but keeps up: the same volume
 * that a stalled peer cannot absorb (bp_bound requests) goes through with no error, on
 * one connection, and arrives whole. */
static void slow_reader_keeps_up(void **state)
{
    (void)state;
    fixture f;
    setup(&f, BP_RCVBUF);
    f.P.read_all = 1;
    sender s;
    memset(&s, 0, sizeof s);
    s.f = &f;
    s.total = bp_bound();
    uint64_t t0 = uv_hrtime();

    assert_int_equal(send_one(&f.n, &f.t, 0), 0);
    s.sent = 1;
    want_accepts wa = {&f.P, 1};
    tuv_run_until(&f.L, peer_accepted, &wa);

    uv_timer_init(&f.L.loop, &s.timer);
    s.timer.data = &s;
    uv_timer_start(&s.timer, sender_tick, BP_READ_MS, BP_READ_MS);
    want_requests wr = {&f.P.conns[0], s.total};
    tuv_run_until(&f.L, peer_got_requests, &wr);
    fprintf(stderr,
            "[ INFO     ] %d requests (%zu bytes) read slowly in %.3f s, backlog at most %zu\n",
            s.total, f.P.conns[0].rx_bytes, (double)(uv_hrtime() - t0) / 1e9, s.max_backlog);
    uv_close((uv_handle_t *)&s.timer, sender_on_closed);
    tuv_run_until(&f.L, tuv_flag, &s.closed);
    assert_int_equal(s.sent, s.total);
    assert_int_equal(f.P.conns[0].requests, s.total);
    assert_true(f.P.conns[0].rx_bytes >= (size_t)s.total * BP_BODY);
    assert_int_equal(f.P.conns[0].rx_bytes % (size_t)s.total, 0); /* whole requests only */
    assert_int_equal(f.P.naccepted, 1);
    assert_false(f.P.conns[0].eof || f.P.conns[0].reset);
    assert_int_equal(f.n.nerrs, 0);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stalled_peer_hits_limit),
        cmocka_unit_test(slow_reader_keeps_up),
    };
    /* TUV_FILTER=<glob> runs only the matching tests (debugging under valgrind, gdb). */
    if (getenv("TUV_FILTER"))
        cmocka_set_test_filter(getenv("TUV_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
