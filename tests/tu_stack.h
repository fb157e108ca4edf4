/*
 * A virtual network for stack tests: stacks on UDP listening points, scripted peers that
 * only record what reaches them, a virtual clock, and a filter that can drop, duplicate,
 * delay or hold back (reorder) each datagram. Each listener event is recorded with the
 * time it happened, so tests assert exact schedules and event sequences.
 */
#ifndef GOSIP_TESTS_TU_STACK_H
#define GOSIP_TESTS_TU_STACK_H

#include "testutil.h"

#include <gosip/stack.h>
#include <stdio.h>

#define TS_MAX_NODES 4
#define TS_MAX_PKT 512
#define TS_MAX_EV 256

typedef struct ts_net ts_net;

typedef struct ts_pkt {
    gosip_addr from, to;
    gosip_tstamp sent, at; /* when it left, when it arrives */
    char *text;
    size_t len;
    int delivered;
} ts_pkt;

/* What the filter decides for one datagram. */
typedef enum ts_fate { TS_PASS = 0, TS_DROP, TS_DUP, TS_DELAY } ts_fate;

typedef struct ts_event {
    char kind; /* 'q' request, 'r' response, 't' timeout, 'e' io error, 'x' terminated */
    int node;
    gosip_tstamp at;
    int status;      /* responses */
    char method[16]; /* requests */
    gosip_txn *txn;
    int code; /* io error code, terminated reason */
    char timer;
    gosip_txn *cancelled;
    gosip_dialog *dialog; /* the event's dialog */
    int oa;               /* 'o': the offer/answer kind */
} ts_event;

typedef struct ts_node {
    ts_net *net;
    int idx;
    gosip_stack *stack;
    gosip_lp *lp;
    gosip_addr addr;
    /* optional application behaviour inside on_request */
    void (*on_request)(struct ts_node *n, const gosip_request_event *ev);
    void (*on_response)(struct ts_node *n, const gosip_response_event *ev);
    void (*on_oa)(struct ts_node *n, const gosip_oa_event *ev);
} ts_node;

struct ts_net {
    gosip_tstamp now;
    ts_node nodes[TS_MAX_NODES];
    int n_nodes;
    ts_pkt pkts[TS_MAX_PKT];
    int n_pkts;
    ts_event evs[TS_MAX_EV];
    int n_evs;
    ts_fate (*filter)(ts_net *net, const ts_pkt *p, int seq, void *ud);
    void *filter_ud;
    gosip_tstamp delay; /* for TS_DELAY */
    int seq;
};

static inline gosip_addr ts_addr(const char *host, unsigned port)
{
    gosip_addr a;
    assert_int_equal(gosip_addr_from_str(&a, gosip_str_from_cstr(host), port), 0);
    return a;
}

static inline void ts_record(ts_node *n, ts_event e)
{
    e.node = n->idx;
    e.at = n->net->now;
    if (n->net->n_evs < TS_MAX_EV)
        n->net->evs[n->net->n_evs++] = e;
}

static inline void ts__on_request(gosip_provider *p, const gosip_request_event *ev, void *ud)
{
    (void)p;
    ts_node *n = ud;
    ts_event e = {.kind = 'q', .txn = ev->txn, .cancelled = ev->cancelled, .dialog = ev->dialog};
    gosip_str m = gosip_msg_method_name(ev->msg);
    snprintf(e.method, sizeof e.method, "%.*s", (int)m.n, m.p);
    ts_record(n, e);
    if (n->on_request)
        n->on_request(n, ev);
}

static inline void ts__on_response(gosip_provider *p, const gosip_response_event *ev, void *ud)
{
    (void)p;
    ts_node *n = ud;
    ts_event e = {
        .kind = 'r', .txn = ev->txn, .status = gosip_msg_status(ev->msg), .dialog = ev->dialog};
    ts_record(n, e);
    if (n->on_response)
        n->on_response(n, ev);
}

static inline void ts__on_dialog_end(gosip_provider *p, const gosip_dialog_terminated_event *ev,
                                     void *ud)
{
    (void)p;
    ts_event e = {.kind = 'd', .dialog = ev->dialog, .code = (int)ev->reason};
    ts_record(ud, e);
}

static inline void ts__on_oa(gosip_provider *p, const gosip_oa_event *ev, void *ud)
{
    (void)p;
    ts_node *n = ud;
    ts_event e = {.kind = 'o', .dialog = ev->dialog, .oa = (int)ev->kind};
    ts_record(n, e);
    if (n->on_oa)
        n->on_oa(n, ev);
}

static inline void ts__on_timeout(gosip_provider *p, const gosip_timeout_event *ev, void *ud)
{
    (void)p;
    ts_event e = {.kind = 't', .txn = ev->txn, .timer = ev->timer};
    ts_record(ud, e);
}

static inline void ts__on_io_error(gosip_provider *p, const gosip_io_error_event *ev, void *ud)
{
    (void)p;
    assert_non_null(ev->reason);
    ts_event e = {.kind = 'e', .txn = ev->txn, .code = ev->code};
    ts_record(ud, e);
}

static inline void ts__on_terminated(gosip_provider *p, const gosip_txn_terminated_event *ev,
                                     void *ud)
{
    (void)p;
    ts_event e = {.kind = 'x', .txn = ev->txn, .code = ev->reason};
    ts_record(ud, e);
}

static const gosip_listener ts_listener = {ts__on_request,  ts__on_response,   ts__on_timeout,
                                           ts__on_io_error, ts__on_terminated, ts__on_dialog_end,
                                           ts__on_oa};

/* The defaults of a test stack: cmocka's tracked heap. */
static inline void ts_config(gosip_config *cfg)
{
    gosip_config_default(cfg);
    cfg->mem = tu_mem_tracked();
}

/* A stack on UDP host:port; cfg NULL: ts_config(). Returns the node index. */
static inline int ts_node_add(ts_net *net, const char *host, unsigned port, const gosip_config *cfg)
{
    gosip_config dflt;
    if (!cfg) {
        ts_config(&dflt);
        cfg = &dflt;
    }
    int i = net->n_nodes++;
    ts_node *n = &net->nodes[i];
    memset(n, 0, sizeof *n);
    n->net = net;
    n->idx = i;
    n->addr = ts_addr(host, port);
    assert_int_equal(gosip_stack_new(&n->stack, cfg, &ts_listener, n), 0);
    assert_int_equal(gosip_tp_lp_add(gosip_stack_transport(n->stack), GOSIP_TP_UDP, &n->addr,
                                     GOSIP_STR_NULL, &n->lp),
                     0);
    return i;
}

static inline ts_node *ts_node_at(ts_net *net, const gosip_addr *a)
{
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].stack && gosip_addr_equal(&net->nodes[i].addr, a))
            return &net->nodes[i];
    return NULL;
}

static inline void ts_queue(ts_net *net, const gosip_addr *from, const gosip_addr *to,
                            const void *data, size_t len, gosip_tstamp at)
{
    assert_true(net->n_pkts < TS_MAX_PKT);
    ts_pkt *p = &net->pkts[net->n_pkts++];
    memset(p, 0, sizeof *p);
    p->from = *from;
    p->to = *to;
    p->sent = net->now;
    p->at = at;
    p->text = test_malloc(len + 1);
    memcpy(p->text, data, len);
    p->text[len] = 0;
    p->len = len;
}

/* Pulls every node's output through the filter into the in-flight list. */
static inline void ts_collect(ts_net *net)
{
    for (int i = 0; i < net->n_nodes; i++) {
        ts_node *n = &net->nodes[i];
        gosip_tx tx;
        while (n->stack && gosip_stack_next_tx(n->stack, &tx) == 1) {
            assert_int_equal(tx.kind, GOSIP_TX_DATAGRAM);
            ts_pkt probe = {.from = n->addr, .to = tx.dest, .sent = net->now};
            probe.text = (char *)gosip_buf_data(tx.buf);
            probe.len = gosip_buf_len(tx.buf);
            ts_fate f = net->filter ? net->filter(net, &probe, net->seq, net->filter_ud) : TS_PASS;
            net->seq++;
            gosip_tstamp at = f == TS_DELAY ? net->now + net->delay : net->now;
            if (f == TS_DROP)
                at = GOSIP_TSTAMP_NONE; /* recorded (the wire saw it leave), never delivered */
            ts_queue(net, &n->addr, &tx.dest, probe.text, probe.len, at);
            if (f == TS_DUP)
                ts_queue(net, &n->addr, &tx.dest, probe.text, probe.len, net->now);
            gosip_buf_unref(tx.buf);
        }
    }
}

/* Delivers every packet due; returns how many. */
static inline int ts_deliver(ts_net *net)
{
    int k = 0;
    for (int i = 0; i < net->n_pkts; i++) {
        ts_pkt *p = &net->pkts[i];
        if (p->delivered || p->at > net->now)
            continue;
        p->delivered = 1;
        ts_node *n = ts_node_at(net, &p->to);
        if (n)
            assert_int_equal(gosip_stack_recv(n->stack, n->lp, &p->from, p->text, p->len, net->now),
                             0);
        k++;
    }
    return k;
}

/* Runs the network until nothing is due at the current time. */
static inline void ts_settle(ts_net *net)
{
    do
        ts_collect(net);
    while (ts_deliver(net));
}

static inline gosip_tstamp ts_next(ts_net *net)
{
    gosip_tstamp next = GOSIP_TSTAMP_NONE;
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].stack) {
            gosip_tstamp e = gosip_stack_next_expiry(net->nodes[i].stack);
            next = e < next ? e : next;
        }
    for (int i = 0; i < net->n_pkts; i++)
        if (!net->pkts[i].delivered && net->pkts[i].at < next)
            next = net->pkts[i].at;
    return next;
}

/* Advances the clock event by event up to `until`, firing timers and delivering packets. */
static inline void ts_run(ts_net *net, gosip_tstamp until)
{
    ts_settle(net);
    for (;;) {
        gosip_tstamp next = ts_next(net);
        if (next == GOSIP_TSTAMP_NONE || next > until)
            break;
        if (next > net->now)
            net->now = next;
        for (int i = 0; i < net->n_nodes; i++)
            if (net->nodes[i].stack && gosip_stack_next_expiry(net->nodes[i].stack) <= net->now)
                assert_int_equal(gosip_stack_handle_expiry(net->nodes[i].stack, net->now), 0);
        ts_settle(net);
    }
    if (until != GOSIP_TSTAMP_NONE && until > net->now)
        net->now = until;
}

/* A scripted peer sends text to a node. */
static inline void ts_inject(ts_net *net, int node, const char *from_host, unsigned from_port,
                             const char *text)
{
    gosip_addr from = ts_addr(from_host, from_port);
    ts_queue(net, &from, &net->nodes[node].addr, text, strlen(text), net->now);
    ts_settle(net);
}

/* Packets sent from `from` (any port when port 0) whose text starts with prefix. */
static inline int ts_count_sent(const ts_net *net, const gosip_addr *from, const char *prefix)
{
    int k = 0;
    for (int i = 0; i < net->n_pkts; i++)
        if (gosip_addr_equal(&net->pkts[i].from, from) &&
            strncmp(net->pkts[i].text, prefix, strlen(prefix)) == 0)
            k++;
    return k;
}

/* The i-th packet from `from` starting with prefix, NULL when none. */
static inline const ts_pkt *ts_sent(const ts_net *net, const gosip_addr *from, const char *prefix,
                                    int nth)
{
    for (int i = 0; i < net->n_pkts; i++)
        if (gosip_addr_equal(&net->pkts[i].from, from) &&
            strncmp(net->pkts[i].text, prefix, strlen(prefix)) == 0 && nth-- == 0)
            return &net->pkts[i];
    return NULL;
}

static inline int ts_count_ev(const ts_net *net, int node, char kind)
{
    int k = 0;
    for (int i = 0; i < net->n_evs; i++)
        k += net->evs[i].node == node && net->evs[i].kind == kind;
    return k;
}

static inline const ts_event *ts_ev(const ts_net *net, int node, char kind, int nth)
{
    for (int i = 0; i < net->n_evs; i++)
        if (net->evs[i].node == node && net->evs[i].kind == kind && nth-- == 0)
            return &net->evs[i];
    return NULL;
}

static inline void ts_free(ts_net *net)
{
    for (int i = 0; i < net->n_nodes; i++)
        gosip_stack_free(net->nodes[i].stack);
    for (int i = 0; i < net->n_pkts; i++)
        test_free(net->pkts[i].text);
    net->n_pkts = 0;
}

/* A request built with the factory from node `from` to URI `to`. */
static inline gosip_msg *ts_request(const char *method, const char *to)
{
    gosip_request_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.method = GOSIP_METHOD_UNKNOWN;
    spec.method_name = gosip_str_from_cstr(method);
    spec.request_uri = gosip_str_from_cstr(to);
    spec.from = GOSIP_STR("<sip:alice@example.com>");
    spec.to = gosip_str_from_cstr(to);
    spec.via_host = GOSIP_STR("0.0.0.0");
    spec.contact = GOSIP_STR("<sip:alice@192.0.2.10>");
    spec.max_forwards = -1;
    gosip_msg *m = NULL;
    assert_int_equal(gosip_msg_new_request(&m, tu_mem_tracked(), &spec), 0);
    return m;
}

#endif
