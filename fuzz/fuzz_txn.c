/*
 * Transaction state machine fuzzer (src/txn/fsm.h). The first byte picks the kind, the
 * transport, the T1 value and the owner's behaviour in callbacks (answer a request from
 * deliver, free the transaction from terminated); every later byte is one input: a time
 * step with handle_expiry, a response, a request retransmission or ACK, a TU response, a
 * transport error, or a failing send. Traps when an invariant breaks: no callback after
 * terminated, terminated exactly once, next_expiry never in the past, the state and the
 * terminated callback agreeing, only the documented error codes.
 */
#include <stdlib.h>
#include <string.h>

#include <gosip/msg.h>

#include "fuzz.h"
#include "fuzz_util.h"
#include "txn/fsm.h"

#define STATUSES 8
static const int statuses[STATUSES] = {100, 180, 200, 202, 302, 404, 486, 603};

typedef struct fz {
    gosip__txn *t;
    int terms;
    int answer;       /* deliver of a request answers with a response */
    int free_in_term; /* terminated frees the transaction */
    int fail_send;    /* the next send fails */
    gosip_tstamp now;
    gosip_msg *resps[STATUSES];
} fz;

static int fz_send(gosip__txn *t, gosip_msg *m, void *ud)
{
    fz *f = ud;
    (void)t;
    FUZZ_CHECK(f->terms == 0 && m != NULL);
    if (f->fail_send) {
        f->fail_send = 0;
        return GOSIP_ERR_IO;
    }
    return 0;
}

static void fz_deliver(gosip__txn *t, gosip_msg *m, void *ud)
{
    fz *f = ud;
    FUZZ_CHECK(f->terms == 0);
    FUZZ_CHECK(gosip__txn_handle_expiry(t, f->now) == GOSIP_ERR_RECURSIVE);
    if (f->answer && gosip_msg_is_request(m) && gosip_msg_method(m) != GOSIP_METHOD_ACK) {
        int rc = gosip__txn_server_send_response(t, f->resps[f->answer % STATUSES], f->now);
        FUZZ_CHECK(rc == 0 || rc == GOSIP_ERR_STATE);
    }
}

static void fz_timeout(gosip__txn *t, char timer, void *ud)
{
    gosip__txn_kind k = gosip__txn_kind_of(t);
    FUZZ_CHECK(((fz *)ud)->terms == 0);
    FUZZ_CHECK(timer == (k == GOSIP__TXN_ICT ? 'B' : k == GOSIP__TXN_NICT ? 'F' : 'H'));
}

static void fz_error(gosip__txn *t, int err, void *ud)
{
    (void)t;
    FUZZ_CHECK(((fz *)ud)->terms == 0 && err < 0);
}

static void fz_term(gosip__txn *t, void *ud)
{
    fz *f = ud;
    FUZZ_CHECK(f->terms++ == 0);
    FUZZ_CHECK(gosip__txn_next_expiry(t) == GOSIP_TSTAMP_NONE);
    if (f->free_in_term) {
        gosip__txn_free(t);
        f->t = NULL;
    }
}

static int rc_ok(int rc)
{
    return rc == 0 || rc == GOSIP_ERR_STATE || rc == GOSIP_ERR_INVALID_ARG || rc == GOSIP_ERR_NOMEM;
}

/* One input byte: op in the low 3 bits, argument in the high 5. */
static void step(fz *f, uint8_t b, gosip_msg *rq, gosip_msg *ack)
{
    unsigned arg = b >> 3;
    gosip_tstamp next = gosip__txn_next_expiry(f->t);
    switch (b & 7) {
    case 0: /* jump to the next deadline */
        if (next != GOSIP_TSTAMP_NONE)
            f->now = next;
        FUZZ_CHECK(gosip__txn_handle_expiry(f->t, f->now) == 0);
        break;
    case 1: /* a time step of arg * 250 ms */
        f->now += GOSIP_MS(250) * arg;
        FUZZ_CHECK(gosip__txn_handle_expiry(f->t, f->now) == 0);
        break;
    case 2:
        FUZZ_CHECK(rc_ok(gosip__txn_client_on_response(f->t, f->resps[arg % STATUSES], f->now)));
        break;
    case 3:
        FUZZ_CHECK(rc_ok(gosip__txn_server_on_request(f->t, arg & 1 ? ack : rq, f->now)));
        break;
    case 4:
    case 5:
        FUZZ_CHECK(rc_ok(gosip__txn_server_send_response(f->t, f->resps[arg % STATUSES], f->now)));
        break;
    case 6:
        FUZZ_CHECK(rc_ok(gosip__txn_on_transport_error(f->t, GOSIP_ERR_CLOSED, f->now)));
        break;
    default:
        f->fail_send = 1;
        break;
    }
}

static gosip_msg *parse(const char *text)
{
    gosip_parse_opts o;
    gosip_parse_error err;
    gosip_msg *m = NULL;
    memset(&o, 0, sizeof o);
    o.framing = GOSIP_FRAMING_DATAGRAM;
    return gosip_msg_parse(&m, text, strlen(text), &o, &err) == 0 ? m : NULL;
}

#define REQ(m)                                                                                     \
    m " sip:bob@example.org SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKf\r\n"         \
      "Max-Forwards: 70\r\nTo: <sip:bob@example.org>\r\nFrom: <sip:a@example.com>;tag=1\r\n"       \
      "Call-ID: fz@h\r\nCSeq: 1 " m "\r\nContent-Length: 0\r\n\r\n"

static void run(fz *f, const uint8_t *data, size_t size, gosip_msg *rq, gosip_msg *ack)
{
    gosip__txn_kind kind = (gosip__txn_kind)(data[0] & 3);
    gosip__txn_env env = {f, fz_send, fz_deliver, fz_timeout, fz_error, fz_term};
    gosip__txn_cfg cfg = {kind, (data[0] >> 2) & 1, GOSIP_MS(100) * ((data[0] >> 5) & 3), 0, 0};
    f->answer = (data[0] >> 3) & 1 ? 1 + (int)(size % 7) : 0;
    f->free_in_term = (data[0] >> 4) & 1;
    if (gosip__txn_new(&f->t, NULL, &cfg, &env) != 0)
        return;
    int rc = kind <= GOSIP__TXN_NICT ? gosip__txn_client_start(f->t, rq, 0)
                                     : gosip__txn_server_start(f->t, rq, 0);
    FUZZ_CHECK(rc == 0);
    for (size_t i = 1; i < size && f->t; i++) {
        step(f, data[i], rq, ack);
        if (!f->t)
            break;
        gosip_tstamp next = gosip__txn_next_expiry(f->t);
        FUZZ_CHECK(next == GOSIP_TSTAMP_NONE || next > f->now);
        FUZZ_CHECK((gosip__txn_state_of(f->t) == GOSIP__TXN_TERMINATED) == (f->terms == 1));
    }
    FUZZ_CHECK(f->terms <= 1);
    gosip__txn_free(f->t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    int invite = (data[0] & 3) == GOSIP__TXN_ICT || (data[0] & 3) == GOSIP__TXN_IST;
    gosip_msg *rq = parse(invite ? REQ("INVITE") : REQ("OPTIONS"));
    gosip_msg *ack = parse(REQ("ACK"));
    fz f;
    memset(&f, 0, sizeof f);
    int ok = rq && ack;
    for (size_t i = 0; ok && i < STATUSES; i++)
        ok = gosip_msg_new_response(&f.resps[i], rq, statuses[i], GOSIP_STR_NULL, GOSIP_STR("t")) ==
             0;
    if (ok)
        run(&f, data, size, rq, ack);
    for (size_t i = 0; i < STATUSES; i++)
        gosip_msg_unref(f.resps[i]);
    gosip_msg_unref(ack);
    gosip_msg_unref(rq);
    return 0;
}
