/*
 * Stack fuzzer (gosip/stack.h): the input is a script. The first byte picks the
 * configuration; each later operation byte sends a client request, feeds a datagram
 * (fuzzer bytes, a retransmission, or a response built for the last request the stack
 * sent), advances the virtual clock, cancels, terminates, or arms the application's
 * decisions inside callbacks (answer, free the stack). Traps when the API's promises
 * break: every transaction the application owns ends with exactly one terminated event,
 * no event follows it, a client transaction has exactly one outcome unless a final
 * response came, and nothing is called back after the stack was freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosip/stack.h>

#include "fuzz.h"
#include "fuzz_util.h"

#define MAX_T 32
#define STATUSES 8
static const int statuses[STATUSES] = {100, 180, 200, 202, 302, 404, 486, 503};
static const char *const methods[4] = {"OPTIONS", "INVITE", "MESSAGE", "REGISTER"};

typedef struct tracked {
    gosip_txn *t;
    int client, finals, outcomes, terms;
} tracked;

typedef struct fz {
    gosip_stack *s;
    gosip_lp *lp;
    gosip_addr me, peer;
    gosip_tstamp now;
    tracked tr[MAX_T];
    int n;
    int answer;     /* status index + 1 for on_request answers, 0: no answer */
    int free_in_cb; /* the next callback frees the stack */
    int dead;
    char last[4096]; /* the last request the stack sent */
    size_t last_len;
    char rx[2048]; /* the last datagram fed in */
    size_t rx_len;
} fz;

static tracked *find(fz *f, const gosip_txn *t)
{
    for (int i = 0; i < f->n; i++)
        if (f->tr[i].t == t)
            return &f->tr[i];
    return NULL;
}

static void track(fz *f, gosip_txn *t, int client)
{
    if (f->n == MAX_T) {
        gosip_txn_unref(t);
        return;
    }
    f->tr[f->n++] = (tracked){t, client, 0, 0, 0};
}

static void maybe_free(fz *f)
{
    if (f->free_in_cb && !f->dead) {
        f->free_in_cb = 0;
        f->dead = 1;
        gosip_stack_free(f->s);
    }
}

static void check_live(fz *f, const gosip_txn *t)
{
    tracked *x = t ? find(f, t) : NULL;
    FUZZ_CHECK(!x || x->terms == 0);
}

static void on_request(gosip_provider *p, const gosip_request_event *ev, void *ud)
{
    fz *f = ud;
    FUZZ_CHECK(gosip_stack_handle_expiry(gosip_provider_stack(p), f->now) == GOSIP_ERR_RECURSIVE ||
               f->dead);
    check_live(f, ev->txn);
    gosip_method m = gosip_msg_method(ev->msg);
    if (f->answer && !ev->txn && m != GOSIP_METHOD_ACK && m != GOSIP_METHOD_CANCEL) {
        gosip_txn *t = NULL;
        if (gosip_provider_new_server_txn(p, ev->msg, &t) == 0) {
            track(f, t, 0);
            gosip_msg *r = NULL;
            if (gosip_msg_new_response(&r, ev->msg, statuses[(f->answer - 1) % STATUSES],
                                       GOSIP_STR_NULL, GOSIP_STR("fz")) == 0)
                gosip_txn_send_response(t, r, f->now);
            gosip_msg_unref(r);
        }
    }
    maybe_free(f);
}

static void on_response(gosip_provider *p, const gosip_response_event *ev, void *ud)
{
    (void)p;
    fz *f = ud;
    check_live(f, ev->txn);
    tracked *x = ev->txn ? find(f, ev->txn) : NULL;
    if (x && gosip_msg_status(ev->msg) >= 200)
        x->finals++;
    maybe_free(f);
}

static void on_timeout(gosip_provider *p, const gosip_timeout_event *ev, void *ud)
{
    (void)p;
    fz *f = ud;
    check_live(f, ev->txn);
    tracked *x = find(f, ev->txn);
    if (x && x->client)
        x->outcomes++;
    maybe_free(f);
}

static void on_io_error(gosip_provider *p, const gosip_io_error_event *ev, void *ud)
{
    (void)p;
    fz *f = ud;
    FUZZ_CHECK(ev->reason != NULL);
    check_live(f, ev->txn);
    tracked *x = ev->txn ? find(f, ev->txn) : NULL;
    if (x && x->client)
        x->outcomes++;
    maybe_free(f);
}

static void on_terminated(gosip_provider *p, const gosip_txn_terminated_event *ev, void *ud)
{
    (void)p;
    fz *f = ud;
    tracked *x = find(f, ev->txn);
    if (getenv("FUZZ_TRACE"))
        fprintf(stderr, "  terminated %p reason %d\n", (void *)ev->txn, ev->reason);
    if (x) {
        x->terms++;
        FUZZ_CHECK(x->terms == 1);
        /* a client ends with one outcome: final responses, or one timeout or error */
        FUZZ_CHECK(!x->client || (x->finals > 0 ? x->outcomes == 0 : x->outcomes == 1));
    }
    maybe_free(f);
}

static const gosip_listener listener = {on_request,    on_response, on_timeout, on_io_error,
                                        on_terminated, NULL,        NULL};

/* ---------------------------------------------------------------- operations */

static void drain(fz *f)
{
    gosip_tx tx;
    while (!f->dead && gosip_stack_next_tx(f->s, &tx) == 1) {
        const uint8_t *d = gosip_buf_data(tx.buf);
        size_t n = gosip_buf_len(tx.buf);
        if (n < sizeof f->last && n > 4 && memcmp(d, "SIP/", 4) != 0) {
            memcpy(f->last, d, n);
            f->last_len = n;
        }
        gosip_buf_unref(tx.buf);
    }
}

static void feed(fz *f, const void *d, size_t n)
{
    if (n <= sizeof f->rx && d != f->rx) {
        memcpy(f->rx, d, n);
        f->rx_len = n;
    }
    int rc = gosip_stack_recv(f->s, f->lp, &f->peer, d, n, f->now);
    FUZZ_CHECK(rc == 0 || rc == GOSIP_ERR_NOMEM || (f->dead && rc == GOSIP_ERR_DESTROYED));
}

static void send_request(fz *f, uint8_t arg)
{
    gosip_request_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.method = GOSIP_METHOD_UNKNOWN;
    spec.method_name = gosip_str_from_cstr(methods[arg & 3]);
    spec.request_uri =
        (arg & 4) ? GOSIP_STR("sip:bob@192.0.2.2;transport=tcp") : GOSIP_STR("sip:bob@192.0.2.2");
    spec.from = GOSIP_STR("<sip:alice@192.0.2.1>");
    spec.to = GOSIP_STR("<sip:bob@192.0.2.2>");
    spec.via_host = GOSIP_STR("192.0.2.1");
    spec.contact = GOSIP_STR("<sip:alice@192.0.2.1>");
    spec.max_forwards = -1;
    gosip_msg *req = NULL;
    if (gosip_msg_new_request(&req, NULL, &spec) != 0)
        return;
    gosip_txn *t = NULL;
    if (gosip_provider_new_client_txn(gosip_stack_provider(f->s), req, &t) == 0) {
        track(f, t, 1);
        FUZZ_CHECK(gosip_txn_send_request(t, f->now) == 0 || f->dead);
    }
    gosip_msg_unref(req);
}

/* A response to the last request the stack sent, as the peer would answer it. */
static void respond_last(fz *f, uint8_t arg)
{
    gosip_msg *req = NULL, *resp = NULL;
    if (!f->last_len || gosip_msg_parse(&req, f->last, f->last_len, NULL, NULL) != 0)
        return;
    if (gosip_msg_method(req) != GOSIP_METHOD_ACK &&
        gosip_msg_new_response(&resp, req, statuses[arg % STATUSES], GOSIP_STR_NULL,
                               GOSIP_STR("peer")) == 0) {
        size_t n = 0;
        char *text = fuzz_print_msg(resp, &n);
        if (text)
            feed(f, text, n);
        free(text);
    }
    gosip_msg_unref(resp);
    gosip_msg_unref(req);
}

static void act_on_txn(fz *f, uint8_t arg)
{
    if (!f->n)
        return;
    tracked *x = &f->tr[arg % f->n];
    if (arg & 0x80) {
        int rc = gosip_txn_terminate(x->t, f->now);
        FUZZ_CHECK(rc == 0 || rc == GOSIP_ERR_STATE);
        return;
    }
    gosip_msg *cancel = NULL;
    gosip_txn *ct = NULL;
    if (gosip_txn_new_cancel(x->t, &cancel) == 0 &&
        gosip_provider_new_client_txn(gosip_stack_provider(f->s), cancel, &ct) == 0) {
        track(f, ct, 1);
        gosip_txn_send_request(ct, f->now);
    }
    gosip_msg_unref(cancel);
}

static void step(fz *f, uint8_t op, const uint8_t **p, const uint8_t *end)
{
    uint8_t arg = *p < end ? *(*p)++ : 0;
    if (getenv("FUZZ_TRACE"))
        fprintf(stderr, "op %d arg %d now %llu n %d\n", op % 8, arg, (unsigned long long)f->now,
                f->n);
    switch (op % 8) {
    case 0: {
        size_t n = (size_t)arg * 8;
        if (n > (size_t)(end - *p))
            n = (size_t)(end - *p);
        feed(f, *p, n);
        *p += n;
        break;
    }
    case 1:
        send_request(f, arg);
        break;
    case 2:
        respond_last(f, arg);
        break;
    case 3:
        if (f->rx_len)
            feed(f, f->rx, f->rx_len);
        break;
    case 4:
        f->now += (gosip_tstamp)arg * GOSIP_MS(arg & 1 ? 250 : 10);
        FUZZ_CHECK(gosip_stack_handle_expiry(f->s, f->now) == 0 || f->dead);
        break;
    case 5:
        act_on_txn(f, arg);
        break;
    case 6:
        f->answer = arg % (STATUSES + 1);
        break;
    default:
        f->free_in_cb = (arg & 0x0f) == 0x0f;
        break;
    }
    drain(f);
}

static int setup(fz *f, uint8_t cfg_byte)
{
    gosip_config cfg;
    gosip_config_default(&cfg);
    cfg.auto_cancel = !(cfg_byte & 1);
    cfg.reject_merged = !(cfg_byte & 2);
    cfg.validate = !(cfg_byte & 4);
    cfg.max_transactions = (cfg_byte & 8) ? 3 : 64;
    cfg.trying_delay = (cfg_byte & 16) ? GOSIP_TSTAMP_NONE : GOSIP_MS(200);
    if (cfg_byte & 32)
        cfg.outbound_proxy = "sip:192.0.2.3;lr";
    if (gosip_stack_new(&f->s, &cfg, &listener, f) != 0)
        return -1;
    gosip_addr_from_str(&f->me, GOSIP_STR("192.0.2.1"), 5060);
    gosip_addr_from_str(&f->peer, GOSIP_STR("192.0.2.2"), 5060);
    if (gosip_tp_lp_add(gosip_stack_transport(f->s), GOSIP_TP_UDP, &f->me, GOSIP_STR_NULL,
                        &f->lp) != 0) {
        gosip_stack_free(f->s);
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz *f = calloc(1, sizeof *f);
    if (!f || setup(f, data[0]) != 0) {
        free(f);
        return 0;
    }
    const uint8_t *p = data + 1, *end = data + size;
    while (p < end && !f->dead) {
        uint8_t op = *p++;
        step(f, op, &p, end);
    }
    if (!f->dead) {
        f->dead = 1;
        gosip_stack_free(f->s);
    }
    for (int i = 0; i < f->n; i++) {
        if (getenv("FUZZ_TRACE"))
            fprintf(stderr, "txn %d %p client %d terms %d\n", i, (void *)f->tr[i].t,
                    f->tr[i].client, f->tr[i].terms);
        FUZZ_CHECK(f->tr[i].terms == 1);
        gosip_txn_unref(f->tr[i].t);
    }
    free(f);
    return 0;
}
