/*
 * bench_parse: parses the same realistic messages with GoSIP, oSIP and Sofia-SIP in one run
 * and prints ns/message for each, their ratios, and what GoSIP and oSIP allocate per message.
 *
 * Each library does the whole cycle a stack does per received message: parse from bytes,
 * read the typed Via (host, branch), From and To (URI user and host, tag), CSeq (number,
 * method), Call-ID and Contact (URI) through its own accessors, then free the message.
 * Reading those values is what forces a lazy parser to do the work. Before timing, every
 * library must parse every message cleanly and read the same values as GoSIP.
 *
 * The "floor" splits the same messages into header lines byte by byte: the cost of looking
 * at every header byte once, which no parser can go below.
 *
 * Rounds interleave the libraries, in a rotating order, so that they share the machine's
 * noise; each figure is the median over the rounds. Exit status: 0 once the figures are
 * printed (the goal's verdict is printed, not enforced: goals live in issues), 1 when a
 * library fails or the libraries disagree, 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <gosip/msg.h>

#include <osipparser2/osip_parser.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_messages.h"

#define MAX_ROUNDS 255u
#define DEFAULT_ROUNDS 15u
#define QUICK_ROUNDS 3u
#define ROUND_TARGET_NS 75000000u /* one library's share of a round: 50-100 ms */
#define QUICK_TARGET_NS 10000000u
#define SPEED_GOAL 5.0   /* GoSIP vs Sofia-SIP, from the issue */
#define NOISY_SPREAD 1.3 /* max/min of a library's rounds beyond which the run is called noisy */

/* Everything read from the messages ends up here, so that no read can be optimised away. */
static volatile uint64_t bench_sink;

/* ---------------------------------------------------------------- touched values */

enum field_id {
    F_VIA_HOST,
    F_VIA_BRANCH,
    F_FROM_USER,
    F_FROM_HOST,
    F_FROM_TAG,
    F_TO_USER,
    F_TO_HOST,
    F_TO_TAG,
    F_CALL_ID,
    F_CSEQ_METHOD,
    F_CONTACT_USER,
    F_CONTACT_HOST,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "Via host", "Via branch", "From user", "From host",   "From tag",     "To user",
    "To host",  "To tag",     "Call-ID",   "CSeq method", "Contact user", "Contact host",
};

#define FIELD_CAP 96

/* The values one library read from one message, kept to compare libraries. */
typedef struct fields {
    char text[F_COUNT][FIELD_CAP];
    unsigned char present[F_COUNT];
    uint32_t cseq;
} fields;

/*
 * Records a value given as pointer and length. Timed runs (f == NULL) fold only its first
 * byte into the sink, so that each library pays the same small price for reading a value,
 * whether it hands out lengths or NUL-terminated strings.
 */
static inline void take(uint64_t *acc, fields *f, enum field_id id, const char *p, size_t n)
{
    if (p == NULL)
        return;
    *acc += n ? (unsigned char)p[0] : 1u;
    if (f != NULL) {
        size_t k = n < FIELD_CAP - 1 ? n : FIELD_CAP - 1;
        memcpy(f->text[id], p, k);
        f->text[id][k] = '\0';
        f->present[id] = 1;
    }
}

static inline void take_cstr(uint64_t *acc, fields *f, enum field_id id, const char *s)
{
    if (s == NULL)
        return;
    if (f != NULL)
        take(acc, f, id, s, strlen(s));
    else
        *acc += s[0] ? (unsigned char)s[0] : 1u;
}

static inline void take_cseq(uint64_t *acc, fields *f, uint32_t seq)
{
    *acc += seq;
    if (f != NULL)
        f->cseq = seq;
}

/* One library's parse, touch and free of one message; f != NULL asks for the values. */
typedef int (*cycle_fn)(const void *ctx, const bench_message *bm, fields *f, uint64_t *acc);

/* ---------------------------------------------------------------- GoSIP */

/* first is the user's id; host and tag follow it in enum field_id. */
static void gosip_take_addr(uint64_t *acc, fields *f, enum field_id first, const gosip_nameaddr *a,
                            int with_tag)
{
    if (a == NULL)
        return;
    if (a->uri != NULL) {
        take(acc, f, first, a->uri->user.p, a->uri->user.n);
        take(acc, f, first + 1, a->uri->host.p, a->uri->host.n);
    }
    if (with_tag)
        take(acc, f, first + 2, a->tag.p, a->tag.n);
}

static void gosip_touch(const gosip_msg *m, fields *f, uint64_t *acc)
{
    const gosip_via *via = gosip_msg_via(m);
    if (via != NULL) {
        take(acc, f, F_VIA_HOST, via->host.p, via->host.n);
        take(acc, f, F_VIA_BRANCH, via->branch.p, via->branch.n);
    }
    gosip_take_addr(acc, f, F_FROM_USER, gosip_msg_from(m), 1);
    gosip_take_addr(acc, f, F_TO_USER, gosip_msg_to(m), 1);
    gosip_take_addr(acc, f, F_CONTACT_USER, gosip_msg_contact(m), 0);
    gosip_str cid = gosip_msg_call_id(m);
    take(acc, f, F_CALL_ID, cid.p, cid.n);
    const gosip_cseq *cs = gosip_msg_cseq(m);
    if (cs != NULL) {
        take_cseq(acc, f, cs->seq);
        take(acc, f, F_CSEQ_METHOD, cs->method_name.p, cs->method_name.n);
    }
}

static int gosip_cycle(const void *ctx, const bench_message *bm, fields *f, uint64_t *acc)
{
    gosip_msg *m;
    gosip_parse_error err;
    if (gosip_msg_parse(&m, bm->text, bm->len, ctx, &err) != 0) {
        if (f != NULL)
            fprintf(stderr, "gosip: %s at offset %zu\n", err.reason, err.offset);
        return -1;
    }
    int rc = 0;
    if (f != NULL && gosip_msg_defect(m, &err) != 0) {
        fprintf(stderr, "gosip: defect: %s at offset %zu\n", err.reason, err.offset);
        rc = -1;
    }
    gosip_touch(m, f, acc);
    gosip_msg_unref(m);
    return rc;
}

/* ---------------------------------------------------------------- Sofia-SIP */

static void sofia_take_url(uint64_t *acc, fields *f, enum field_id first, const url_t *u)
{
    take_cstr(acc, f, first, u->url_user);
    take_cstr(acc, f, first + 1, u->url_host);
}

static int sofia_cycle(const void *ctx, const bench_message *bm, fields *f, uint64_t *acc)
{
    msg_t *msg = msg_make(ctx, 0, bm->text, (ssize_t)bm->len);
    if (msg == NULL)
        return -1;
    const sip_t *sip = sip_object(msg);
    int rc = 0;
    if (sip == NULL || (f != NULL && (msg_has_error(msg) || sip->sip_error != NULL))) {
        if (f != NULL)
            fprintf(stderr, "sofia-sip: message or one of its headers did not parse\n");
        rc = -1;
    }
    if (sip != NULL && sip->sip_via != NULL) {
        take_cstr(acc, f, F_VIA_HOST, sip->sip_via->v_host);
        take_cstr(acc, f, F_VIA_BRANCH, sip->sip_via->v_branch);
    }
    if (sip != NULL && sip->sip_from != NULL) {
        sofia_take_url(acc, f, F_FROM_USER, sip->sip_from->a_url);
        take_cstr(acc, f, F_FROM_TAG, sip->sip_from->a_tag);
    }
    if (sip != NULL && sip->sip_to != NULL) {
        sofia_take_url(acc, f, F_TO_USER, sip->sip_to->a_url);
        take_cstr(acc, f, F_TO_TAG, sip->sip_to->a_tag);
    }
    if (sip != NULL && sip->sip_contact != NULL)
        sofia_take_url(acc, f, F_CONTACT_USER, sip->sip_contact->m_url);
    if (sip != NULL && sip->sip_call_id != NULL)
        take_cstr(acc, f, F_CALL_ID, sip->sip_call_id->i_id);
    if (sip != NULL && sip->sip_cseq != NULL) {
        take_cseq(acc, f, sip->sip_cseq->cs_seq);
        take_cstr(acc, f, F_CSEQ_METHOD, sip->sip_cseq->cs_method_name);
    }
    msg_destroy(msg);
    return rc;
}

/* ---------------------------------------------------------------- oSIP */

static void osip_take_addr(uint64_t *acc, fields *f, enum field_id first, osip_from_t *a,
                           int with_tag)
{
    if (a == NULL)
        return;
    if (a->url != NULL) {
        take_cstr(acc, f, first, a->url->username);
        take_cstr(acc, f, first + 1, a->url->host);
    }
    osip_generic_param_t *tag = NULL;
    if (with_tag && osip_from_get_tag(a, &tag) == 0 && tag != NULL)
        take_cstr(acc, f, first + 2, tag->gvalue);
}

/* oSIP splits the Call-ID at '@'; the comparison wants it whole. */
static void osip_take_call_id(uint64_t *acc, fields *f, const osip_call_id_t *cid)
{
    if (cid == NULL || cid->number == NULL)
        return;
    if (f == NULL || cid->host == NULL) {
        take_cstr(acc, f, F_CALL_ID, cid->number);
        return;
    }
    char whole[FIELD_CAP];
    int n = snprintf(whole, sizeof(whole), "%s@%s", cid->number, cid->host);
    take(acc, f, F_CALL_ID, whole, n < 0 ? 0 : (size_t)n);
}

/* oSIP keeps the CSeq number as text: timed runs read its first digit, like any string. */
static void osip_take_cseq(uint64_t *acc, fields *f, const osip_cseq_t *cs)
{
    if (cs == NULL)
        return;
    if (cs->number != NULL && f != NULL)
        take_cseq(acc, f, (uint32_t)strtoul(cs->number, NULL, 10));
    else if (cs->number != NULL)
        *acc += (unsigned char)cs->number[0];
    take_cstr(acc, f, F_CSEQ_METHOD, cs->method);
}

static int osip_cycle(const void *ctx, const bench_message *bm, fields *f, uint64_t *acc)
{
    osip_message_t *sip;
    (void)ctx;
    if (osip_message_init(&sip) != 0)
        return -1;
    if (osip_message_parse(sip, bm->text, bm->len) != 0) {
        if (f != NULL)
            fprintf(stderr, "osip: osip_message_parse failed\n");
        osip_message_free(sip);
        return -1;
    }
    osip_via_t *via = NULL;
    if (osip_message_get_via(sip, 0, &via) >= 0 && via != NULL) {
        take_cstr(acc, f, F_VIA_HOST, via->host);
        osip_generic_param_t *branch = NULL;
        if (osip_via_param_get_byname(via, "branch", &branch) == 0 && branch != NULL)
            take_cstr(acc, f, F_VIA_BRANCH, branch->gvalue);
    }
    osip_take_addr(acc, f, F_FROM_USER, osip_message_get_from(sip), 1);
    osip_take_addr(acc, f, F_TO_USER, osip_message_get_to(sip), 1);
    osip_contact_t *contact = NULL;
    if (osip_message_get_contact(sip, 0, &contact) >= 0 && contact != NULL)
        osip_take_addr(acc, f, F_CONTACT_USER, contact, 0);
    osip_take_call_id(acc, f, osip_message_get_call_id(sip));
    osip_take_cseq(acc, f, osip_message_get_cseq(sip));
    osip_message_free(sip);
    return 0;
}

/* ---------------------------------------------------------------- the floor */

/*
 * A loop this short runs a third faster or slower depending on where it lands in the code,
 * which changes with any edit elsewhere; a fixed alignment keeps the floor comparable from
 * build to build.
 */
#if defined(__GNUC__)
#define FLOOR_ALIGN __attribute__((aligned(64)))
#else
#define FLOOR_ALIGN
#endif

/*
 * Finds each CRLF of the header block byte by byte; a line's first byte and length reach the
 * sink, as the start and length of each line would reach a parser. Locals rather than *acc
 * and bm->len in the loop: through the pointers, the compiler would reload the length after
 * every store, and the floor would measure that instead of the bytes.
 */
FLOOR_ALIGN static int floor_cycle(const void *ctx, const bench_message *bm, fields *f,
                                   uint64_t *acc)
{
    const char *line = bm->text, *end = bm->text + bm->len;
    size_t lines = 0;
    uint64_t sum = 0;
    (void)ctx;
    (void)f;
    for (;;) {
        const char *q = line;
        while (q < end && *q != '\n')
            q++;
        if (q >= end || q - line <= 1 || q[-1] != '\r')
            break; /* the empty line ends the headers */
        sum += (unsigned char)*line + (size_t)(q - line);
        lines++;
        line = q + 1;
    }
    *acc += sum;
    return lines > 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- the contestants */

enum lib_id { L_FLOOR, L_GOSIP, L_SOFIA, L_OSIP, L_COUNT };

typedef struct stats {
    double median, min, max; /* ns per message */
} stats;

typedef struct lib {
    const char *name;
    cycle_fn cycle;
    const void *ctx;
    int is_parser;         /* 0 for the floor, which reads no values */
    unsigned long iters;   /* passes over the mix per round */
    double ns[MAX_ROUNDS]; /* ns per message in each round */
    stats st;
} lib;

static void libs_init(lib libs[L_COUNT], const gosip_parse_opts *gosip_opts)
{
    libs[L_FLOOR] = (lib){.name = "floor", .cycle = floor_cycle};
    libs[L_GOSIP] = (lib){.name = "gosip", .cycle = gosip_cycle, .ctx = gosip_opts, .is_parser = 1};
    libs[L_SOFIA] = (lib){
        .name = "sofia-sip", .cycle = sofia_cycle, .ctx = sip_default_mclass(), .is_parser = 1};
    libs[L_OSIP] = (lib){.name = "osip", .cycle = osip_cycle, .is_parser = 1};
}

/* ---------------------------------------------------------------- verification */

static int fields_check_core(const fields *f, const char *lib_name, const char *msg_name)
{
    static const enum field_id core[] = {F_VIA_HOST, F_VIA_BRANCH, F_FROM_HOST,
                                         F_TO_HOST,  F_CALL_ID,    F_CSEQ_METHOD};
    for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
        if (!f->present[core[i]]) {
            fprintf(stderr, "error: %s read no %s from %s\n", lib_name, field_names[core[i]],
                    msg_name);
            return -1;
        }
    }
    return 0;
}

/* Compares another library's values with GoSIP's; prints each difference. */
static int fields_compare(const fields *ref, const fields *f, const char *lib_name,
                          const char *msg_name)
{
    int bad = 0;
    for (int i = 0; i < F_COUNT; i++) {
        const char *a = ref->present[i] ? ref->text[i] : "(absent)";
        const char *b = f->present[i] ? f->text[i] : "(absent)";
        if (ref->present[i] != f->present[i] || strcmp(a, b) != 0) {
            fprintf(stderr, "error: %s: %s: gosip read \"%s\", %s read \"%s\"\n", msg_name,
                    field_names[i], a, lib_name, b);
            bad = 1;
        }
    }
    if (ref->cseq != f->cseq) {
        fprintf(stderr, "error: %s: CSeq number: gosip read %u, %s read %u\n", msg_name,
                (unsigned)ref->cseq, lib_name, (unsigned)f->cseq);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* Every library must parse the message cleanly and read the same values as GoSIP. */
static int verify_message(const lib libs[L_COUNT], const bench_message *bm)
{
    fields got[L_COUNT];
    uint64_t acc = 0;
    int bad = 0;
    memset(got, 0, sizeof(got));
    for (int l = 0; l < L_COUNT; l++) {
        if (libs[l].cycle(libs[l].ctx, bm, &got[l], &acc) != 0) {
            fprintf(stderr, "error: %s failed to parse %s\n", libs[l].name, bm->name);
            bad = 1;
        } else if (libs[l].is_parser && fields_check_core(&got[l], libs[l].name, bm->name) != 0) {
            bad = 1;
        }
    }
    bench_sink += acc;
    if (bad) /* values of a failed parse would only add noise to the report */
        return -1;
    for (int l = 0; l < L_COUNT; l++) {
        if (libs[l].is_parser && l != L_GOSIP &&
            fields_compare(&got[L_GOSIP], &got[l], libs[l].name, bm->name) != 0)
            bad = 1;
    }
    return bad ? -1 : 0;
}

static int verify(const lib libs[L_COUNT], const bench_message *msgs, size_t n)
{
    int bad = 0;
    for (size_t k = 0; k < n; k++)
        bad |= verify_message(libs, &msgs[k]) != 0;
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- timing */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs `iters` passes over the mix; *elapsed receives the time they took. */
static int run_pass(const lib *l, const bench_message *msgs, size_t n, unsigned long iters,
                    uint64_t *elapsed)
{
    uint64_t acc = 0;
    int bad = 0;
    uint64_t t0 = now_ns();
    for (unsigned long i = 0; i < iters; i++) {
        for (size_t k = 0; k < n; k++)
            bad |= l->cycle(l->ctx, &msgs[k], NULL, &acc);
    }
    *elapsed = now_ns() - t0;
    bench_sink += acc;
    if (bad)
        fprintf(stderr, "error: %s failed to parse a message while timed\n", l->name);
    return bad ? -1 : 0;
}

/* Picks the number of passes that fills a round's target time; doubles as the warm-up. */
static int calibrate(lib *l, const bench_message *msgs, size_t n, uint64_t target_ns)
{
    unsigned long iters = 1;
    for (;;) {
        uint64_t dt;
        if (run_pass(l, msgs, n, iters, &dt) != 0)
            return -1;
        if (dt >= target_ns / 8 || iters >= (1ul << 30)) {
            double per_iter = (double)dt / (double)iters;
            double want = per_iter > 0 ? (double)target_ns / per_iter : 1.0;
            l->iters = want < 1.0 ? 1ul : (unsigned long)want;
            return 0;
        }
        iters *= 2;
    }
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static stats stats_of(const double *v, unsigned n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, n * sizeof(double));
    qsort(s, n, sizeof(double), cmp_double);
    double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return (stats){.median = median, .min = s[0], .max = s[n - 1]};
}

/*
 * The median of a ratio taken round by round. Two libraries timed within one round saw the
 * same load, so when other work disturbs the machine, this moves less than the ratio of the
 * medians; a gap between the two figures says the run was noisy.
 */
static double paired_ratio(const lib *num, const lib *den, unsigned rounds)
{
    double r[MAX_ROUNDS];
    for (unsigned i = 0; i < rounds; i++)
        r[i] = ratio(num->ns[i], den->ns[i]);
    return stats_of(r, rounds).median;
}

/* Times every library on a mix; rounds rotate which library goes first. */
static int run_bench(lib libs[L_COUNT], const bench_message *msgs, size_t n, unsigned rounds,
                     uint64_t target_ns)
{
    for (int l = 0; l < L_COUNT; l++) {
        if (calibrate(&libs[l], msgs, n, target_ns) != 0)
            return -1;
    }
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned k = 0; k < L_COUNT; k++) {
            lib *l = &libs[(r + k) % L_COUNT];
            uint64_t dt;
            if (run_pass(l, msgs, n, l->iters, &dt) != 0)
                return -1;
            l->ns[r] = (double)dt / ((double)l->iters * (double)n);
        }
    }
    for (int l = 0; l < L_COUNT; l++)
        libs[l].st = stats_of(libs[l].ns, rounds);
    return 0;
}

/* ---------------------------------------------------------------- memory */

typedef struct alloc_count {
    size_t calls; /* malloc, calloc and realloc calls */
    size_t bytes; /* bytes those calls asked for */
    long live;    /* blocks allocated and not yet freed */
} alloc_count;

static void *count_malloc(size_t size, void *ud)
{
    alloc_count *c = ud;
    c->calls++;
    c->bytes += size;
    c->live++;
    return malloc(size);
}

static void *count_calloc(size_t nmemb, size_t size, void *ud)
{
    alloc_count *c = ud;
    c->calls++;
    c->bytes += nmemb * size;
    c->live++;
    return calloc(nmemb, size);
}

static void *count_realloc(void *ptr, size_t size, void *ud)
{
    alloc_count *c = ud;
    c->calls++;
    c->bytes += size;
    c->live += ptr == NULL;
    return realloc(ptr, size);
}

static void count_free(void *ptr, void *ud)
{
    alloc_count *c = ud;
    c->live -= ptr != NULL;
    free(ptr);
}

/* oSIP's allocator hooks are process-wide and take no user data. */
static alloc_count osip_count;

static void *osip_count_malloc(size_t size)
{
    return count_malloc(size, &osip_count);
}

static void *osip_count_realloc(void *ptr, size_t size)
{
    return count_realloc(ptr, size, &osip_count);
}

static void osip_count_free(void *ptr)
{
    count_free(ptr, &osip_count);
}

/* What parsing one message costs in memory; doubles so that the mean keeps its fraction. */
typedef struct mem_figures {
    double gosip_calls, gosip_bytes, gosip_used;
    double osip_calls, osip_bytes;
} mem_figures;

static int gosip_mem_of(const bench_message *bm, mem_figures *out)
{
    alloc_count c = {0};
    gosip_mem mem = {&c, count_malloc, count_calloc, count_realloc, count_free};
    gosip_parse_opts opts = {.mem = &mem};
    gosip_msg *m;
    uint64_t acc = 0;
    if (gosip_msg_parse(&m, bm->text, bm->len, &opts, NULL) != 0)
        return -1;
    gosip_touch(m, NULL, &acc); /* what a lazy parser allocates on access counts too */
    out->gosip_used = (double)gosip_msg_mem_used(m);
    gosip_msg_unref(m);
    bench_sink += acc;
    out->gosip_calls = (double)c.calls;
    out->gosip_bytes = (double)c.bytes;
    if (c.live != 0)
        fprintf(stderr, "warning: gosip left %ld blocks of %s unfreed\n", c.live, bm->name);
    return 0;
}

static int osip_mem_of(const bench_message *bm, mem_figures *out)
{
    osip_message_t *sip;
    osip_count = (alloc_count){0};
    osip_set_allocators(osip_count_malloc, osip_count_realloc, osip_count_free);
    int rc = osip_message_init(&sip);
    if (rc == 0) {
        rc = osip_message_parse(sip, bm->text, bm->len);
        osip_message_free(sip);
    }
    osip_set_allocators(NULL, NULL, NULL);
    out->osip_calls = (double)osip_count.calls;
    out->osip_bytes = (double)osip_count.bytes;
    return rc == 0 ? 0 : -1;
}

/* Fills mem[k] for each message and mem[n] with the mean over the mix. */
static int measure_mem(const bench_message *msgs, size_t n, mem_figures *mem)
{
    mem_figures sum = {0};
    for (size_t k = 0; k < n; k++) {
        mem[k] = (mem_figures){0};
        if (gosip_mem_of(&msgs[k], &mem[k]) != 0 || osip_mem_of(&msgs[k], &mem[k]) != 0) {
            fprintf(stderr, "error: %s did not parse in the memory pass\n", msgs[k].name);
            return -1;
        }
        sum.gosip_calls += mem[k].gosip_calls;
        sum.gosip_bytes += mem[k].gosip_bytes;
        sum.gosip_used += mem[k].gosip_used;
        sum.osip_calls += mem[k].osip_calls;
        sum.osip_bytes += mem[k].osip_bytes;
    }
    double d = (double)n;
    mem[n] = (mem_figures){sum.gosip_calls / d, sum.gosip_bytes / d, sum.gosip_used / d,
                           sum.osip_calls / d, sum.osip_bytes / d};
    return 0;
}

/* ---------------------------------------------------------------- report */

typedef struct results {
    unsigned rounds;
    size_t mix_bytes;
    stats mix[L_COUNT];
    double paired_sofia; /* median over rounds of sofia-sip/gosip within each round */
    int have_per_msg;
    stats per_msg[BENCH_N_MESSAGES][L_COUNT];
    mem_figures mem[BENCH_N_MESSAGES + 1];
} results;

static void print_human_mem(const results *r)
{
    printf("\nmemory per parsed message   gosip: allocs  bytes asked  mem_used"
           "   osip: allocs  bytes asked\n");
    for (size_t k = 0; k <= BENCH_N_MESSAGES; k++) {
        const mem_figures *m = &r->mem[k];
        printf("  %-24s %13.1f %12.0f %9.0f %13.1f %12.0f\n",
               k < BENCH_N_MESSAGES ? bench_messages[k].name : "mean", m->gosip_calls,
               m->gosip_bytes, m->gosip_used, m->osip_calls, m->osip_bytes);
    }
}

static void print_human_per_msg(const results *r, const lib libs[L_COUNT])
{
    printf("\nper message, median ns  ");
    for (int l = 0; l < L_COUNT; l++)
        printf(" %10s", libs[l].name);
    printf("   sofia/gosip\n");
    for (size_t k = 0; k < BENCH_N_MESSAGES; k++) {
        printf("  %-16s %5zuB", bench_messages[k].name, bench_messages[k].len);
        for (int l = 0; l < L_COUNT; l++)
            printf(" %10.0f", r->per_msg[k][l].median);
        printf("   %10.2fx\n", ratio(r->per_msg[k][L_SOFIA].median, r->per_msg[k][L_GOSIP].median));
    }
}

/* The widest max/min of the mix timings: near 1 on a quiet machine. */
static double worst_spread(const results *r)
{
    double w = 1;
    for (int l = 0; l < L_COUNT; l++) {
        double x = ratio(r->mix[l].max, r->mix[l].min);
        w = x > w ? x : w;
    }
    return w;
}

static void print_human(const results *r, const lib libs[L_COUNT])
{
    const stats *s = r->mix;
    printf("bench_parse: %zu messages, %zu bytes per mix, %u rounds, ns per message\n",
           BENCH_N_MESSAGES, r->mix_bytes, r->rounds);
    printf("  %-10s %10s %10s %10s\n", "library", "median", "min", "max");
    for (int l = 0; l < L_COUNT; l++)
        printf("  %-10s %10.1f %10.1f %10.1f\n", libs[l].name, s[l].median, s[l].min, s[l].max);
    printf("\nratios of medians: sofia-sip/gosip %.2fx, osip/gosip %.2fx, gosip/floor %.2fx,"
           " sofia-sip/floor %.2fx\n",
           ratio(s[L_SOFIA].median, s[L_GOSIP].median), ratio(s[L_OSIP].median, s[L_GOSIP].median),
           ratio(s[L_GOSIP].median, s[L_FLOOR].median),
           ratio(s[L_SOFIA].median, s[L_FLOOR].median));
    printf("sofia-sip/gosip within each round, median: %.2fx\n", r->paired_sofia);
    if (worst_spread(r) > NOISY_SPREAD)
        printf("note: a library's rounds differ by up to %.0f%%: the machine was busy, so the "
               "figures are unsteady; rerun on a quiet machine\n",
               (worst_spread(r) - 1) * 100);
    if (r->have_per_msg)
        print_human_per_msg(r, libs);
    print_human_mem(r);
    double x = ratio(s[L_SOFIA].median, s[L_GOSIP].median);
    printf("\ngosip vs sofia-sip: %.1fx faster (goal >= %.0fx): %s\n", x, SPEED_GOAL,
           x >= SPEED_GOAL ? "PASS" : "FAIL");
}

static void print_json_stats(const char *name, const stats *s, const char *sep)
{
    printf("\"%s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}%s", name, s->median, s->min,
           s->max, sep);
}

static void print_json_details(const results *r, const lib libs[L_COUNT])
{
    printf("  \"memory\": [\n");
    for (size_t k = 0; k <= BENCH_N_MESSAGES; k++) {
        const mem_figures *m = &r->mem[k];
        printf("    {\"message\": \"%s\", \"gosip_allocs\": %.1f, \"gosip_bytes\": %.0f, "
               "\"gosip_mem_used\": %.0f, \"osip_allocs\": %.1f, \"osip_bytes\": %.0f}%s\n",
               k < BENCH_N_MESSAGES ? bench_messages[k].name : "mean", m->gosip_calls,
               m->gosip_bytes, m->gosip_used, m->osip_calls, m->osip_bytes,
               k < BENCH_N_MESSAGES ? "," : "");
    }
    printf("  ],\n  \"per_message\": [");
    for (size_t k = 0; r->have_per_msg && k < BENCH_N_MESSAGES; k++) {
        printf("%s\n    {\"message\": \"%s\", \"bytes\": %zu, \"ns_per_msg\": {", k ? "," : "",
               bench_messages[k].name, bench_messages[k].len);
        for (int l = 0; l < L_COUNT; l++)
            print_json_stats(libs[l].name, &r->per_msg[k][l], l + 1 < L_COUNT ? ", " : "}}");
    }
    printf("%s],\n", r->have_per_msg ? "\n  " : "");
}

static void print_json(const results *r, const lib libs[L_COUNT])
{
    const stats *s = r->mix;
    double x = ratio(s[L_SOFIA].median, s[L_GOSIP].median);
    printf("{\n  \"messages\": %zu,\n  \"mix_bytes\": %zu,\n  \"rounds\": %u,\n", BENCH_N_MESSAGES,
           r->mix_bytes, r->rounds);
    printf("  \"ns_per_msg\": {");
    for (int l = 0; l < L_COUNT; l++)
        print_json_stats(libs[l].name, &s[l], l + 1 < L_COUNT ? ", " : "},\n");
    printf("  \"ratios\": {\"sofia_over_gosip\": %.3f, \"osip_over_gosip\": %.3f, "
           "\"gosip_over_floor\": %.3f, \"sofia_over_floor\": %.3f, "
           "\"sofia_over_gosip_paired\": %.3f},\n",
           x, ratio(s[L_OSIP].median, s[L_GOSIP].median),
           ratio(s[L_GOSIP].median, s[L_FLOOR].median), ratio(s[L_SOFIA].median, s[L_FLOOR].median),
           r->paired_sofia);
    printf("  \"worst_spread\": %.3f,\n", worst_spread(r));
    print_json_details(r, libs);
    printf("  \"goal_vs_sofia\": %.1f,\n  \"pass\": %s\n}\n", SPEED_GOAL,
           x >= SPEED_GOAL ? "true" : "false");
}

/* ---------------------------------------------------------------- main */

typedef struct options {
    unsigned rounds;
    uint64_t target_ns;
    int json;
    int per_message;
    const char *write_dir;
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bench_parse [--rounds N] [--quick] [--per-message] [--json] [--help]\n"
            "       bench_parse --write-messages DIR\n"
            "  --rounds N        timed rounds per library (1..%u, default %u)\n"
            "  --quick           %u short rounds: a smoke test, not a measurement\n"
            "  --per-message     also time each message on its own\n"
            "  --json            print the figures as one JSON object\n"
            "  --write-messages  write the embedded messages to DIR/<name>.sip and exit\n",
            MAX_ROUNDS, DEFAULT_ROUNDS, QUICK_ROUNDS);
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){.rounds = DEFAULT_ROUNDS, .target_ns = ROUND_TARGET_NS};
    int rounds_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--rounds") == 0 && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v < 1 || v > MAX_ROUNDS)
                return -1;
            o->rounds = (unsigned)v;
            rounds_given = 1;
        } else if (strcmp(a, "--quick") == 0) {
            o->target_ns = QUICK_TARGET_NS;
            if (!rounds_given)
                o->rounds = QUICK_ROUNDS;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--per-message") == 0) {
            o->per_message = 1;
        } else if (strcmp(a, "--write-messages") == 0 && i + 1 < argc) {
            o->write_dir = argv[++i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            return 1;
        } else {
            return -1;
        }
    }
    return 0;
}

static int write_messages(const char *dir)
{
    for (size_t k = 0; k < BENCH_N_MESSAGES; k++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s.sip", dir, bench_messages[k].name);
        FILE *fp = fopen(path, "wb");
        size_t len = bench_messages[k].len;
        if (fp == NULL || fwrite(bench_messages[k].text, 1, len, fp) != len || fclose(fp) != 0) {
            perror(path);
            return 1;
        }
    }
    return 0;
}

static int run_all(const options *o, lib libs[L_COUNT], results *r)
{
    const bench_message *msgs = bench_messages;
    size_t n = BENCH_N_MESSAGES;
    r->rounds = o->rounds;
    for (size_t k = 0; k < n; k++)
        r->mix_bytes += msgs[k].len;
    if (verify(libs, msgs, n) != 0 || measure_mem(msgs, n, r->mem) != 0)
        return -1;
    if (run_bench(libs, msgs, n, o->rounds, o->target_ns) != 0)
        return -1;
    for (int l = 0; l < L_COUNT; l++)
        r->mix[l] = libs[l].st;
    r->paired_sofia = paired_ratio(&libs[L_SOFIA], &libs[L_GOSIP], o->rounds);
    r->have_per_msg = o->per_message;
    for (size_t k = 0; o->per_message && k < n; k++) {
        /* One message is a fifth of the mix: a fifth of the time keeps rounds alike. */
        if (run_bench(libs, &msgs[k], 1, o->rounds, o->target_ns / n) != 0)
            return -1;
        for (int l = 0; l < L_COUNT; l++)
            r->per_msg[k][l] = libs[l].st;
    }
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
    if (o.write_dir != NULL)
        return write_messages(o.write_dir);
    if (parser_init() != 0) {
        fprintf(stderr, "error: oSIP parser_init failed\n");
        return 1;
    }
    gosip_parse_opts gosip_opts = {0};
    static lib libs[L_COUNT];
    static results r;
    libs_init(libs, &gosip_opts);
    if (run_all(&o, libs, &r) != 0) {
        fprintf(stderr, "bench_parse: aborted, no figures\n");
        return 1;
    }
    if (o.json)
        print_json(&r, libs);
    else
        print_human(&r, libs);
    return 0;
}
