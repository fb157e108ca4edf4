/*
 * bench_txn: the transaction layer alone, on a virtual clock, no sockets, with GoSIP and
 * oSIP (libosip2) side by side in one run.
 *
 * Server: a batch of distinct OPTIONS requests arrives as datagrams; each becomes a
 * non-INVITE server transaction answered 200 from the request callback; output is drained
 * (and dropped); then the clock moves past Timer J so that every transaction ends.
 * Client: a batch of requests is built (parsed from text, the same text for both), each
 * sent on a new non-INVITE client transaction; the peer's 200 comes back for each; then
 * the clock moves past Timer K. The figure is transactions per second of one core.
 *
 * Memory: 100,000 live server transactions (received, answered 200, Timer J pending),
 * counted by the allocators of the libraries (GoSIP through gosip_config.mem, oSIP through
 * osip_set_allocators), as bytes per live transaction, GoSIP's split into the two
 * messages (gosip_msg_mem_used) and the rest.
 *
 * Sofia-SIP's nta has no input without its own sockets and su_root loop, so it cannot run
 * this workload on a virtual clock: it is left out, and the output says so.
 *
 * Rounds interleave the libraries in a rotating order; each figure is the median over
 * rounds. Exit status: 0 once the figures are printed, 1 when a library fails, 2 on a
 * usage error.
 */
#define _GNU_SOURCE

#include <gosip/stack.h>

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "txn_common.h"

#define MAX_ROUNDS 63u
#define DEFAULT_ROUNDS 7u
#define DEFAULT_BATCH 1000u
#define DEFAULT_MEM_TXNS 100000u
#define ROUND_TARGET_NS 200000000u /* one contestant's share of a round */

/* ---------------------------------------------------------------- counting allocator */

static void *count_malloc(size_t size, void *ud)
{
    txb_count *c = ud;
    void *p = malloc(size);
    if (p != NULL) {
        c->bytes += (int64_t)malloc_usable_size(p);
        c->blocks++;
    }
    c->calls++;
    return p;
}

static void *count_calloc(size_t nmemb, size_t size, void *ud)
{
    txb_count *c = ud;
    void *p = calloc(nmemb, size);
    if (p != NULL) {
        c->bytes += (int64_t)malloc_usable_size(p);
        c->blocks++;
    }
    c->calls++;
    return p;
}

static void *count_realloc(void *ptr, size_t size, void *ud)
{
    txb_count *c = ud;
    int64_t old = ptr ? (int64_t)malloc_usable_size(ptr) : 0;
    void *p = realloc(ptr, size);
    if (p != NULL) {
        c->bytes += (int64_t)malloc_usable_size(p) - old;
        c->blocks += ptr == NULL;
    }
    c->calls++;
    return p;
}

static void count_free(void *ptr, void *ud)
{
    txb_count *c = ud;
    if (ptr != NULL) {
        c->bytes -= (int64_t)malloc_usable_size(ptr);
        c->blocks--;
    }
    free(ptr);
}

/* ---------------------------------------------------------------- the GoSIP side */

typedef struct gs {
    gosip_stack *stack;
    gosip_lp *lp;
    gosip_addr peer;
    gosip_tstamp now;
    gosip_mem mem;
    txb_count count;
    size_t answered, finals, ended, errors;
    gosip_txn **keep; /* memory pass: the live transactions, to read their messages */
    size_t n_keep;
} gs;

static void gs_on_request(gosip_provider *p, const gosip_request_event *ev, void *ud)
{
    gs *b = ud;
    gosip_txn *t;
    if (gosip_provider_new_server_txn(p, ev->msg, &t) != 0) {
        b->errors++;
        return;
    }
    gosip_msg *resp;
    if (gosip_msg_new_response(&resp, ev->msg, 200, GOSIP_STR_NULL, GOSIP_STR("b7x")) == 0) {
        if (gosip_txn_send_response(t, resp, ev->now) == 0)
            b->answered++;
        gosip_msg_unref(resp);
    }
    if (b->keep != NULL)
        b->keep[b->n_keep++] = t;
    else
        gosip_txn_unref(t);
}

static void gs_on_response(gosip_provider *p, const gosip_response_event *ev, void *ud)
{
    (void)p;
    gs *b = ud;
    if (ev->txn != NULL && gosip_msg_status(ev->msg) >= 200)
        b->finals++;
}

static void gs_on_timeout(gosip_provider *p, const gosip_timeout_event *ev, void *ud)
{
    (void)p;
    (void)ev;
    ((gs *)ud)->errors++;
}

static void gs_on_io_error(gosip_provider *p, const gosip_io_error_event *ev, void *ud)
{
    (void)p;
    (void)ev;
    ((gs *)ud)->errors++;
}

static void gs_on_terminated(gosip_provider *p, const gosip_txn_terminated_event *ev, void *ud)
{
    (void)p;
    (void)ev;
    ((gs *)ud)->ended++;
}

static const gosip_listener gs_listener = {.on_request = gs_on_request,
                                           .on_response = gs_on_response,
                                           .on_timeout = gs_on_timeout,
                                           .on_io_error = gs_on_io_error,
                                           .on_transaction_terminated = gs_on_terminated};

/* counting: allocate through b->count; max: the transaction limit. */
static int gs_open(gs *b, int counting, unsigned max)
{
    memset(b, 0, sizeof *b);
    b->mem = (gosip_mem){&b->count, count_malloc, count_calloc, count_realloc, count_free};
    gosip_config cfg;
    gosip_config_default(&cfg);
    cfg.mem = counting ? &b->mem : NULL;
    cfg.max_transactions = max;
    gosip_addr self;
    if (gosip_stack_new(&b->stack, &cfg, &gs_listener, b) != 0 ||
        gosip_addr_from_str(&self, GOSIP_STR("127.0.0.1"), TXB_LOCAL_PORT) != 0 ||
        gosip_addr_from_str(&b->peer, GOSIP_STR("127.0.0.1"), TXB_PEER_PORT) != 0)
        return -1;
    return gosip_tp_lp_add(gosip_stack_transport(b->stack), GOSIP_TP_UDP, &self, GOSIP_STR_NULL,
                           &b->lp);
}

static void gs_close(gs *b)
{
    gosip_stack_free(b->stack);
    b->stack = NULL;
}

/* What a runtime would hand to sendto(): dropped. */
static void gs_drain(gs *b)
{
    gosip_tx tx;
    while (gosip_stack_next_tx(b->stack, &tx) == 1)
        gosip_buf_unref(tx.buf);
}

/* Moves the clock by dt and fires what fell due. */
static void gs_advance(gs *b, gosip_tstamp dt)
{
    b->now += dt;
    for (int guard = 0; guard < 1000; guard++) {
        gosip_tstamp e = gosip_stack_next_expiry(b->stack);
        if (e == GOSIP_TSTAMP_NONE || e > b->now)
            break;
        gosip_stack_handle_expiry(b->stack, b->now);
        gs_drain(b);
    }
}

static void gs_receive(gs *b, const char *text, size_t len)
{
    if (gosip_stack_recv(b->stack, b->lp, &b->peer, text, len, b->now) != 0)
        b->errors++;
    b->now += 1000; /* 1 us between datagrams */
    gs_drain(b);
}

static int gs_server_batch(gs *b, char *const *text, const size_t *len, size_t n)
{
    b->answered = b->ended = 0;
    for (size_t i = 0; i < n; i++)
        gs_receive(b, text[i], len[i]);
    gs_advance(b, GOSIP_SEC(33)); /* Timer J: 64 * T1 */
    return b->answered == n && b->ended == n && b->errors == 0 ? 0 : -1;
}

static int gs_client_start(gs *b, unsigned i)
{
    char text[TXB_TEXT_CAP];
    size_t len = txb_client_request(text, sizeof text, i);
    gosip_parse_opts opts = {0}; /* the C allocator, as the stack's outside the memory pass */
    gosip_msg *req;
    gosip_txn *t;
    if (len == 0 || gosip_msg_parse(&req, text, len, &opts, NULL) != 0)
        return -1;
    int rc = gosip_provider_new_client_txn(gosip_stack_provider(b->stack), req, &t);
    gosip_msg_unref(req);
    if (rc != 0)
        return -1;
    rc = gosip_txn_send_request(t, b->now);
    gosip_txn_unref(t);
    gs_drain(b);
    return rc;
}

static int gs_client_batch(gs *b, size_t n)
{
    b->finals = b->ended = 0;
    for (size_t i = 0; i < n; i++) {
        if (gs_client_start(b, (unsigned)i) != 0)
            return -1;
    }
    char text[TXB_TEXT_CAP];
    for (size_t i = 0; i < n; i++) {
        size_t len = txb_client_response(text, sizeof text, (unsigned)i);
        gs_receive(b, text, len);
    }
    gs_advance(b, GOSIP_SEC(6)); /* Timer K: T4 */
    return b->finals == n && b->ended == n && b->errors == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- the contestants */

enum { C_GS_SERVER, C_OS_SERVER, C_GS_CLIENT, C_OS_CLIENT, C_COUNT };

typedef struct workload {
    char **text; /* the server requests */
    size_t *len;
    size_t n;
    size_t batch;
    gs *gosip;
} workload;

typedef struct contestant {
    const char *name;
    unsigned long iters;     /* batches per round */
    double ns[MAX_ROUNDS];   /* ns per transaction in each round */
    double median, min, max; /* of ns */
} contestant;

static int run_batch(int c, const workload *w)
{
    switch (c) {
    case C_GS_SERVER:
        return gs_server_batch(w->gosip, w->text, w->len, w->batch);
    case C_OS_SERVER:
        return txo_server_batch(w->text, w->len, w->batch, 1);
    case C_GS_CLIENT:
        return gs_client_batch(w->gosip, w->batch);
    default:
        return txo_client_batch(w->batch);
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_iters(int c, const workload *w, unsigned long iters, uint64_t *dt)
{
    uint64_t t0 = now_ns();
    for (unsigned long i = 0; i < iters; i++) {
        if (run_batch(c, w) != 0)
            return -1;
    }
    *dt = now_ns() - t0;
    return 0;
}

/* The batches that fill a round's share; doubles as the warm-up. */
static int calibrate(int c, contestant *ct, const workload *w, uint64_t target)
{
    uint64_t dt;
    if (run_iters(c, w, 1, &dt) != 0 || run_iters(c, w, 1, &dt) != 0)
        return -1;
    double want = dt ? (double)target / (double)dt : 1.0;
    ct->iters = want < 1.0 ? 1ul : (unsigned long)want;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(const double *v, unsigned n, double *min, double *max)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    if (min != NULL)
        *min = s[0];
    if (max != NULL)
        *max = s[n - 1];
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int run_rounds(contestant *cs, const workload *w, unsigned rounds, uint64_t target)
{
    for (int c = 0; c < C_COUNT; c++) {
        if (calibrate(c, &cs[c], w, target) != 0) {
            fprintf(stderr, "error: %s failed its first batch\n", cs[c].name);
            return -1;
        }
    }
    for (unsigned r = 0; r < rounds; r++) {
        for (int k = 0; k < C_COUNT; k++) {
            int c = (int)((r + (unsigned)k) % C_COUNT);
            uint64_t dt;
            if (run_iters(c, w, cs[c].iters, &dt) != 0) {
                fprintf(stderr, "error: %s failed a batch in round %u\n", cs[c].name, r);
                return -1;
            }
            cs[c].ns[r] = (double)dt / ((double)cs[c].iters * (double)w->batch);
        }
    }
    for (int c = 0; c < C_COUNT; c++)
        cs[c].median = median_of(cs[c].ns, rounds, &cs[c].min, &cs[c].max);
    return 0;
}

/* The median over rounds of num/den within each round (both saw the same load). */
static double paired(const contestant *num, const contestant *den, unsigned rounds)
{
    double r[MAX_ROUNDS];
    for (unsigned i = 0; i < rounds; i++)
        r[i] = den->ns[i] > 0 ? num->ns[i] / den->ns[i] : 0;
    return median_of(r, rounds, NULL, NULL);
}

/* ---------------------------------------------------------------- memory */

typedef struct mem_result {
    size_t live;
    double bytes, blocks, msg_bytes; /* per live transaction */
    int64_t leftover;                /* bytes still allocated after everything ended */
} mem_result;

static int gs_mem_fill(gs *b, const workload *w, size_t n, mem_result *out)
{
    int64_t base = b->count.bytes, base_blocks = b->count.blocks;
    for (size_t i = 0; i < n; i++)
        gs_receive(b, w->text[i], w->len[i]);
    out->live = (size_t)gosip_stack_stats_get(b->stack)->txns_live;
    if (b->answered != n || out->live != n || b->n_keep != n)
        return -1;
    out->bytes = (double)(b->count.bytes - base) / (double)n;
    out->blocks = (double)(b->count.blocks - base_blocks) / (double)n;
    double msg = 0;
    for (size_t i = 0; i < n; i++) {
        msg += (double)gosip_msg_mem_used(gosip_txn_request(b->keep[i]));
        msg += (double)gosip_msg_mem_used(gosip_txn_response(b->keep[i]));
    }
    out->msg_bytes = msg / (double)n;
    return 0;
}

static int gs_mem(const workload *w, size_t n, mem_result *out)
{
    static gs b;
    if (gs_open(&b, 1, (unsigned)(2 * n)) != 0)
        return -1;
    b.keep = malloc(n * sizeof *b.keep);
    int rc = b.keep != NULL ? gs_mem_fill(&b, w, n, out) : -1;
    for (size_t i = 0; i < b.n_keep; i++)
        gosip_txn_unref(b.keep[i]);
    free(b.keep);
    b.keep = NULL;
    gs_advance(&b, GOSIP_SEC(33));
    if (rc == 0 && b.ended != n)
        rc = -1;
    gs_close(&b);
    out->leftover = b.count.bytes;
    return rc;
}

static int os_mem(const workload *w, size_t n, mem_result *out)
{
    txo_mem m;
    txo_count_on();
    int rc = txo_open();
    if (rc == 0)
        rc = txo_server_mem(w->text, w->len, n, &m);
    txo_close();
    txo_count_off();
    if (rc != 0)
        return -1;
    *out =
        (mem_result){.live = m.live, .bytes = m.bytes / (double)n, .blocks = m.blocks / (double)n};
    return 0;
}

/* ---------------------------------------------------------------- report */

typedef struct options {
    unsigned rounds;
    size_t batch, mem_txns, osip_mem_txns;
    uint64_t target_ns;
} options;

static double per_s(double ns)
{
    return ns > 0 ? 1e9 / ns : 0;
}

static void print_speed(const contestant *cs, unsigned rounds, const options *o)
{
    printf("bench_txn: non-INVITE transactions on a virtual clock, batches of %zu, %u rounds\n",
           o->batch, rounds);
    printf("  %-14s %12s %10s %10s %10s\n", "contestant", "txn/s", "ns/txn", "min ns", "max ns");
    for (int c = 0; c < C_COUNT; c++)
        printf("  %-14s %12.0f %10.0f %10.0f %10.0f\n", cs[c].name, per_s(cs[c].median),
               cs[c].median, cs[c].min, cs[c].max);
    printf("\nratios (osip ns / gosip ns): server %.2fx (paired per round %.2fx), "
           "client %.2fx (paired %.2fx)\n",
           cs[C_OS_SERVER].median / cs[C_GS_SERVER].median,
           paired(&cs[C_OS_SERVER], &cs[C_GS_SERVER], rounds),
           cs[C_OS_CLIENT].median / cs[C_GS_CLIENT].median,
           paired(&cs[C_OS_CLIENT], &cs[C_GS_CLIENT], rounds));
    printf("sofia-sip nta: not measured: nta takes input only from its own sockets under an "
           "su_root loop and reads the real clock, so it cannot run this workload without "
           "socket I/O\n");
}

static void print_mem(const mem_result *g, const mem_result *os)
{
    printf("\nmemory per live server transaction (answered 200, Timer J pending), "
           "malloc_usable_size bytes:\n");
    printf("  %-8s %9s %10s %8s %12s %12s\n", "library", "live", "bytes", "blocks", "messages",
           "overhead");
    printf("  %-8s %9zu %10.0f %8.1f %12.0f %12.0f\n", "gosip", g->live, g->bytes, g->blocks,
           g->msg_bytes, g->bytes - g->msg_bytes);
    printf("  %-8s %9zu %10.0f %8.1f %12s %12s\n", "osip", os->live, os->bytes, os->blocks, "-",
           "-");
    printf("  osip/gosip bytes: %.2fx; gosip messages = gosip_msg_mem_used(request) + "
           "(response); gosip bytes left after all ended: %lld\n",
           os->bytes / g->bytes, (long long)g->leftover);
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bench_txn [--rounds N] [--batch N] [--mem-txns N] [--osip-mem-txns N]"
            " [--quick]\n"
            "  --rounds N         timed rounds (1..%u, default %u)\n"
            "  --batch N          transactions live at once in the timed runs (default %u)\n"
            "  --mem-txns N       live server transactions for the memory figure "
            "(default %u)\n"
            "  --osip-mem-txns N  the same for oSIP (default: --mem-txns)\n"
            "  --quick            3 short rounds and 10,000 transactions: a smoke test\n",
            MAX_ROUNDS, DEFAULT_ROUNDS, DEFAULT_BATCH, DEFAULT_MEM_TXNS);
}

static int parse_size(const char *s, size_t lo, size_t hi, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){DEFAULT_ROUNDS, DEFAULT_BATCH, DEFAULT_MEM_TXNS, 0, ROUND_TARGET_NS};
    size_t v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--rounds") == 0 && parse_size(next, 1, MAX_ROUNDS, &v) == 0)
            o->rounds = (unsigned)v;
        else if (strcmp(a, "--batch") == 0 && parse_size(next, 1, 100000, &v) == 0)
            o->batch = v;
        else if (strcmp(a, "--mem-txns") == 0 && parse_size(next, 1, 2000000, &v) == 0)
            o->mem_txns = v;
        else if (strcmp(a, "--osip-mem-txns") == 0 && parse_size(next, 1, 2000000, &v) == 0)
            o->osip_mem_txns = v;
        else if (strcmp(a, "--quick") == 0) {
            *o = (options){3, DEFAULT_BATCH, 10000, 0, ROUND_TARGET_NS / 10};
            continue;
        } else
            return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ? 1 : -1;
        i++;
    }
    if (o->osip_mem_txns == 0)
        o->osip_mem_txns = o->mem_txns;
    return 0;
}

/* The server requests, OPTIONS and MESSAGE alternating, each with its own branch. */
static int make_texts(workload *w, size_t n)
{
    w->text = calloc(n, sizeof *w->text);
    w->len = calloc(n, sizeof *w->len);
    if (w->text == NULL || w->len == NULL)
        return -1;
    w->n = n;
    for (size_t i = 0; i < n; i++) {
        char buf[TXB_TEXT_CAP];
        w->len[i] = txb_server_request(buf, sizeof buf, (unsigned)i, (int)(i & 1));
        w->text[i] = malloc(w->len[i] + 1);
        if (w->len[i] == 0 || w->text[i] == NULL)
            return -1;
        memcpy(w->text[i], buf, w->len[i] + 1);
    }
    return 0;
}

static void free_texts(workload *w)
{
    for (size_t i = 0; w->text != NULL && i < w->n; i++)
        free(w->text[i]);
    free(w->text);
    free(w->len);
}

static int run_all(const options *o, workload *w)
{
    static contestant cs[C_COUNT] = {{.name = "gosip server"},
                                     {.name = "osip server"},
                                     {.name = "gosip client"},
                                     {.name = "osip client"}};
    static gs g;
    mem_result gm, om;
    if (gs_open(&g, 0, (unsigned)(2 * o->batch)) != 0 || txo_open() != 0)
        return -1;
    w->gosip = &g;
    int rc = run_rounds(cs, w, o->rounds, o->target_ns);
    gs_close(&g);
    txo_close();
    if (rc != 0)
        return -1;
    print_speed(cs, o->rounds, o);
    fflush(stdout);
    if (gs_mem(w, o->mem_txns, &gm) != 0 || os_mem(w, o->osip_mem_txns, &om) != 0) {
        fprintf(stderr, "error: the memory pass failed\n");
        return -1;
    }
    print_mem(&gm, &om);
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    size_t n = o.mem_txns > o.osip_mem_txns ? o.mem_txns : o.osip_mem_txns;
    workload w = {.batch = o.batch};
    if (make_texts(&w, n > o.batch ? n : o.batch) != 0) {
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    rc = run_all(&o, &w);
    free_texts(&w);
    if (rc != 0)
        fprintf(stderr, "bench_txn: aborted\n");
    return rc != 0;
}
