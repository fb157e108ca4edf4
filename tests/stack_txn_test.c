/*
 * Transactions through the public stack API on a virtual clock and network: exact
 * retransmission schedules, every listener event, and loss on the wire.
 */
#include "tu_stack.h"

#define A_HOST "192.0.2.1"
#define B_HOST "192.0.2.2"
#define SILENT_URI "sip:bob@192.0.2.9:5060"

static gosip_txn *send_new(ts_net *net, int node, const char *method, const char *uri)
{
    gosip_msg *req = ts_request(method, uri);
    gosip_txn *t = NULL;
    gosip_provider *p = gosip_stack_provider(net->nodes[node].stack);
    assert_int_equal(gosip_provider_new_client_txn(p, req, &t), 0);
    gosip_msg_unref(req);
    assert_int_equal(gosip_txn_send_request(t, net->now), 0);
    ts_settle(net);
    return t;
}

/* The times (ms) at which packets starting with prefix left `from`. */
static int sent_times(const ts_net *net, const gosip_addr *from, const char *prefix, uint64_t *ms,
                      int cap)
{
    int k = 0;
    for (int i = 0; i < net->n_pkts && k < cap; i++)
        if (gosip_addr_equal(&net->pkts[i].from, from) &&
            strncmp(net->pkts[i].text, prefix, strlen(prefix)) == 0)
            ms[k++] = net->pkts[i].sent / 1000000u;
    return k;
}

static void test_nict_no_answer_schedule(void **state)
{
    (void)state;
    ts_net net = {0};
    int a = ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_txn *t = send_new(&net, a, "OPTIONS", SILENT_URI);
    ts_run(&net, GOSIP_SEC(40));
    uint64_t ms[16];
    int n = sent_times(&net, &net.nodes[a].addr, "OPTIONS", ms, 16);
    static const uint64_t want[] = {0,     500,   1500,  3500,  7500, 11500,
                                    15500, 19500, 23500, 27500, 31500};
    assert_int_equal(n, 11);
    for (int i = 0; i < n; i++)
        assert_int_equal(ms[i], want[i]);
    assert_int_equal(net.n_evs, 2);
    assert_int_equal(net.evs[0].kind, 't');
    assert_int_equal(net.evs[0].timer, 'F');
    assert_int_equal(net.evs[0].at, GOSIP_SEC(32));
    assert_ptr_equal(net.evs[0].txn, t);
    assert_int_equal(net.evs[1].kind, 'x');
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_TERMINATED);
    assert_true(gosip_stack_is_idle(net.nodes[a].stack));
    gosip_txn_unref(t);
    ts_free(&net);
}

/* T1 = 100 ms and T2 = 400 ms on one transaction only: E doubles from 100 ms to the cap */
static void test_per_transaction_timers(void **state)
{
    (void)state;
    ts_net net = {0};
    int a = ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_msg *req = ts_request("OPTIONS", SILENT_URI);
    gosip_txn *t = NULL;
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net.nodes[a].stack), req, &t), 0);
    assert_int_equal(gosip_txn_set_timers(t, GOSIP_MS(400), GOSIP_MS(100), 0),
                     GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_txn_set_timers(t, GOSIP_MS(100), GOSIP_MS(400), 0), 0);
    assert_int_equal(gosip_txn_send_request(t, 0), 0);
    assert_int_equal(gosip_txn_set_timers(t, GOSIP_MS(200), 0, 0), GOSIP_ERR_STATE);
    ts_run(&net, GOSIP_SEC(10));
    uint64_t ms[8];
    int n = sent_times(&net, &net.nodes[a].addr, "OPTIONS", ms, 8);
    static const uint64_t want[] = {0, 100, 300, 700, 1100, 1500, 1900, 2300};
    assert_int_equal(n, 8);
    for (int i = 0; i < n; i++)
        assert_int_equal(ms[i], want[i]);
    /* Timer F is 64*T1 = 6.4 s */
    const ts_event *to = ts_ev(&net, a, 't', 0);
    assert_non_null(to);
    assert_int_equal(to->at, GOSIP_MS(6400));
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_ict_no_answer_schedule(void **state)
{
    (void)state;
    ts_net net = {0};
    int a = ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_txn *t = send_new(&net, a, "INVITE", SILENT_URI);
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_CALLING);
    ts_run(&net, GOSIP_SEC(40));
    uint64_t ms[16];
    int n = sent_times(&net, &net.nodes[a].addr, "INVITE", ms, 16);
    static const uint64_t want[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
    assert_int_equal(n, 7);
    for (int i = 0; i < n; i++)
        assert_int_equal(ms[i], want[i]);
    const ts_event *to = ts_ev(&net, a, 't', 0);
    assert_non_null(to);
    assert_int_equal(to->timer, 'B');
    assert_int_equal(to->at, GOSIP_SEC(32));
    assert_int_equal(ts_count_ev(&net, a, 'x'), 1);
    assert_int_equal(ts_count_ev(&net, a, 'r') + ts_count_ev(&net, a, 'e'), 0);
    gosip_txn_unref(t);
    ts_free(&net);
}

/* ---------------------------------------------------------------- two stacks */

static int uas_status = 200;
static int uas_ring;
static gosip_txn *uas_last;

static void answer(ts_node *n, const gosip_request_event *ev)
{
    gosip_method m = gosip_msg_method(ev->msg);
    if (ev->txn || m == GOSIP_METHOD_ACK || m == GOSIP_METHOD_CANCEL)
        return;
    gosip_txn *t = NULL;
    assert_int_equal(gosip_provider_new_server_txn(gosip_stack_provider(n->stack), ev->msg, &t), 0);
    gosip_msg *r = NULL;
    if (uas_ring && m == GOSIP_METHOD_INVITE) {
        assert_int_equal(gosip_msg_new_response(&r, ev->msg, 180, GOSIP_STR_NULL, GOSIP_STR("b1")),
                         0);
        assert_int_equal(gosip_txn_send_response(t, r, ev->now), 0);
        gosip_msg_unref(r);
    }
    if (uas_status) {
        int st = m == GOSIP_METHOD_INVITE ? uas_status : 200;
        assert_int_equal(gosip_msg_new_response(&r, ev->msg, st, GOSIP_STR_NULL, GOSIP_STR("b1")),
                         0);
        assert_int_equal(gosip_txn_send_response(t, r, ev->now), 0);
        gosip_msg_unref(r);
    }
    gosip_txn_unref(uas_last);
    uas_last = t;
}

static void two_nodes(ts_net *net, int status, int ring)
{
    memset(net, 0, sizeof *net);
    ts_node_add(net, A_HOST, 5060, NULL);
    ts_node_add(net, B_HOST, 5060, NULL);
    net->nodes[1].on_request = answer;
    uas_status = status;
    uas_ring = ring;
    uas_last = NULL;
}

static void two_free(ts_net *net)
{
    gosip_txn_unref(uas_last);
    uas_last = NULL;
    ts_free(net);
}

static void test_options_round_trip(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 200, 0);
    gosip_txn *t = send_new(&net, 0, "OPTIONS", "sip:bob@" B_HOST);
    const ts_event *r = ts_ev(&net, 0, 'r', 0);
    assert_non_null(r);
    assert_int_equal(r->status, 200);
    assert_ptr_equal(r->txn, t);
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_COMPLETED);
    /* Timer K is T4 on UDP; Timer J 64*T1 on the server */
    ts_run(&net, GOSIP_SEC(5));
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_TERMINATED);
    assert_int_equal(ts_count_ev(&net, 0, 'x'), 1);
    assert_int_equal(ts_count_ev(&net, 1, 'x'), 0);
    ts_run(&net, GOSIP_SEC(33));
    assert_int_equal(ts_count_ev(&net, 1, 'x'), 1);
    gosip_txn_unref(t);
    two_free(&net);
}

static ts_fate drop_first_n(ts_net *net, const ts_pkt *p, int seq, void *ud)
{
    (void)net;
    (void)seq;
    const char *prefix = ud;
    static int dropped;
    if (!p) {
        dropped = 0;
        return TS_PASS;
    }
    if (strncmp(p->text, prefix, strlen(prefix)) == 0 && dropped < 1) {
        dropped++;
        return TS_DROP;
    }
    return TS_PASS;
}

static void test_lost_request_retransmitted(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 200, 0);
    drop_first_n(&net, NULL, 0, NULL);
    net.filter = drop_first_n;
    net.filter_ud = "MESSAGE";
    gosip_txn *t = send_new(&net, 0, "MESSAGE", "sip:bob@" B_HOST);
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 0);
    ts_run(&net, GOSIP_MS(600));
    const ts_event *r = ts_ev(&net, 0, 'r', 0);
    assert_non_null(r);
    assert_int_equal(r->at, GOSIP_MS(500));
    assert_int_equal(ts_count_ev(&net, 1, 'q'), 1);
    gosip_txn_unref(t);
    two_free(&net);
}

static void test_lost_response_absorbed(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 200, 0);
    drop_first_n(&net, NULL, 0, NULL);
    net.filter = drop_first_n;
    net.filter_ud = "SIP/2.0 200";
    gosip_txn *t = send_new(&net, 0, "MESSAGE", "sip:bob@" B_HOST);
    ts_run(&net, GOSIP_SEC(2));
    /* the server saw the request once; its transaction answered the retransmission */
    assert_int_equal(ts_count_ev(&net, 1, 'q'), 1);
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 200"), 2);
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 1);
    assert_int_equal(gosip_stack_stats_get(net.nodes[1].stack)->retransmissions_absorbed, 1);
    gosip_txn_unref(t);
    two_free(&net);
}

static void test_invite_ring_busy(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 486, 1);
    drop_first_n(&net, NULL, 0, NULL);
    net.filter = drop_first_n;
    net.filter_ud = "SIP/2.0 486";
    gosip_txn *t = send_new(&net, 0, "INVITE", "sip:bob@" B_HOST);
    assert_int_equal(ts_ev(&net, 0, 'r', 0)->status, 180);
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_PROCEEDING);
    ts_run(&net, GOSIP_SEC(1));
    /* Timer G re-sent the 486 at 500 ms; the client saw it once and ACKed it */
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 486"), 2);
    const ts_event *busy = ts_ev(&net, 0, 'r', 1);
    assert_int_equal(busy->status, 486);
    assert_int_equal(busy->at, GOSIP_MS(500));
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 2);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK "), 1);
    /* the ACK was absorbed by the server transaction (Confirmed) */
    assert_int_equal(ts_count_ev(&net, 1, 'q'), 1);
    assert_int_equal(gosip_txn_state_of(uas_last), GOSIP_TXN_CONFIRMED);
    ts_run(&net, GOSIP_SEC(40));
    assert_int_equal(ts_count_ev(&net, 0, 'x'), 1);
    assert_int_equal(ts_count_ev(&net, 1, 'x'), 1);
    assert_int_equal(ts_count_ev(&net, 1, 't'), 0);
    gosip_txn_unref(t);
    two_free(&net);
}

static void test_invite_2xx_ack_reaches_application(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 200, 0);
    /* the transaction layer alone: no dialog layer to ACK or retransmit the 2xx */
    for (int i = 0; i < 2; i++)
        gosip_provider_set_auto_dialog(gosip_stack_provider(net.nodes[i].stack), 0);
    gosip_txn *t = send_new(&net, 0, "INVITE", "sip:bob@" B_HOST);
    assert_int_equal(ts_ev(&net, 0, 'r', 0)->status, 200);
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_ACCEPTED);
    assert_int_equal(gosip_txn_state_of(uas_last), GOSIP_TXN_ACCEPTED);
    /* the application ACKs the 2xx itself (a new transaction-less request) */
    gosip_msg *ack = ts_request("ACK", "sip:bob@" B_HOST);
    assert_int_equal(
        gosip_provider_send_request(gosip_stack_provider(net.nodes[0].stack), ack, net.now), 0);
    gosip_msg_unref(ack);
    ts_settle(&net);
    const ts_event *q = ts_ev(&net, 1, 'q', 1);
    assert_non_null(q);
    assert_string_equal(q->method, "ACK");
    assert_null(q->txn);
    /* the 2xx is retransmitted by the application's dialog layer, not by the transaction:
     * Timer L ends both sides after 64*T1 */
    ts_run(&net, GOSIP_SEC(33));
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 200"), 1);
    assert_int_equal(ts_count_ev(&net, 0, 'x'), 1);
    assert_int_equal(ts_count_ev(&net, 1, 'x'), 1);
    gosip_txn_unref(t);
    two_free(&net);
}

static void test_cancel_pending_invite(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 0, 1);
    gosip_txn *inv = send_new(&net, 0, "INVITE", "sip:bob@" B_HOST);
    assert_int_equal(ts_ev(&net, 0, 'r', 0)->status, 180);
    gosip_msg *cancel = NULL;
    assert_int_equal(gosip_txn_new_cancel(inv, &cancel), 0);
    gosip_txn *ct = NULL;
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net.nodes[0].stack), cancel, &ct), 0);
    gosip_msg_unref(cancel);
    assert_true(gosip_str_eq(gosip_txn_branch(ct), gosip_txn_branch(inv)));
    assert_int_equal(gosip_txn_send_request(ct, net.now), 0);
    ts_settle(&net);
    /* the server's application learns of the CANCEL, with the INVITE it cancelled */
    const ts_event *q = ts_ev(&net, 1, 'q', 1);
    assert_string_equal(q->method, "CANCEL");
    assert_ptr_equal(q->cancelled, uas_last);
    /* the client got 200 for the CANCEL and 487 for the INVITE, and ACKed the 487 */
    int saw200 = 0, saw487 = 0;
    for (int i = 0; i < ts_count_ev(&net, 0, 'r'); i++) {
        const ts_event *r = ts_ev(&net, 0, 'r', i);
        saw200 += r->status == 200 && r->txn == ct;
        saw487 += r->status == 487 && r->txn == inv;
    }
    assert_int_equal(saw200, 1);
    assert_int_equal(saw487, 1);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK "), 1);
    ts_run(&net, GOSIP_SEC(40));
    assert_int_equal(ts_count_ev(&net, 0, 'x'), 2);
    assert_int_equal(ts_count_ev(&net, 1, 'x'), 1); /* the CANCEL's own is internal */
    gosip_txn_unref(ct);
    gosip_txn_unref(inv);
    two_free(&net);
}

static ts_fate dup_all(ts_net *net, const ts_pkt *p, int seq, void *ud)
{
    (void)net;
    (void)p;
    (void)seq;
    (void)ud;
    return TS_DUP;
}

static void test_duplicated_datagrams(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 486, 1);
    net.filter = dup_all;
    gosip_txn *t = send_new(&net, 0, "INVITE", "sip:bob@" B_HOST);
    ts_run(&net, GOSIP_SEC(1));
    /* every message arrived twice: the server's application saw the INVITE once and the
     * client's the 486 once; provisional responses pass up each time in Proceeding
     * (17.1.1.2), telling them apart is the dialog's job */
    assert_int_equal(ts_count_ev(&net, 1, 'q'), 1);
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 3);
    assert_int_equal(ts_ev(&net, 0, 'r', 0)->status, 180);
    assert_int_equal(ts_ev(&net, 0, 'r', 1)->status, 180);
    assert_int_equal(ts_ev(&net, 0, 'r', 2)->status, 486);
    /* the INVITE copy; the ACK and its copy are kept by the transaction but not counted */
    assert_int_equal(gosip_stack_stats_get(net.nodes[1].stack)->retransmissions_absorbed, 1);
    gosip_txn_unref(t);
    two_free(&net);
}

/* Holds the 180 back so that it arrives after the final response. */
static ts_fate late_ringing(ts_net *net, const ts_pkt *p, int seq, void *ud)
{
    (void)net;
    (void)seq;
    (void)ud;
    return strncmp(p->text, "SIP/2.0 180", 11) == 0 ? TS_DELAY : TS_PASS;
}

static void test_reordered_provisional_absorbed(void **state)
{
    (void)state;
    ts_net net;
    two_nodes(&net, 486, 1);
    net.filter = late_ringing;
    net.delay = GOSIP_MS(100);
    gosip_txn *t = send_new(&net, 0, "INVITE", "sip:bob@" B_HOST);
    assert_int_equal(ts_ev(&net, 0, 'r', 0)->status, 486);
    ts_run(&net, GOSIP_SEC(1));
    /* the late 180 reached a Completed transaction, which keeps it from the application */
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 1);
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_COMPLETED);
    gosip_txn_unref(t);
    two_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nict_no_answer_schedule),
        cmocka_unit_test(test_per_transaction_timers),
        cmocka_unit_test(test_ict_no_answer_schedule),
        cmocka_unit_test(test_options_round_trip),
        cmocka_unit_test(test_lost_request_retransmitted),
        cmocka_unit_test(test_lost_response_absorbed),
        cmocka_unit_test(test_invite_ring_busy),
        cmocka_unit_test(test_invite_2xx_ack_reaches_application),
        cmocka_unit_test(test_cancel_pending_invite),
        cmocka_unit_test(test_duplicated_datagrams),
        cmocka_unit_test(test_reordered_provisional_absorbed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
