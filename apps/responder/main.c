/*
 * gosip-responder: a stateless SIP responder on the libuv runtime, for interoperability
 * tests (SIPp) and transport benchmarks. It listens where told, answers every request
 * (see responder.c) and prints its counters and CPU time per request on exit and on
 * SIGUSR1.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <uv.h>

#include <gosip/uv.h>

#include "cli.h"
#include "responder.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };
enum { MAX_LISTEN = 16 };

/* After --count is reached, queued stream writes still need a few loop turns to finish. */
#define COUNT_GRACE_MS 100

static const char usage_text[] =
    "usage: gosip-responder [options]\n"
    "\n"
    "A stateless SIP responder: answers OPTIONS with 200 (Allow, Accept, Supported), other\n"
    "requests with 405 (or CODE with --answer-all), malformed requests with the error\n"
    "response validation names, and never answers ACK.\n"
    "\n"
    "listening points (any number; port 0 picks a free port; each is printed on startup\n"
    "as `listening udp 127.0.0.1:PORT`):\n"
    "  --udp HOST:PORT  --tcp HOST:PORT  --tls HOST:PORT    IPv4 or [IPv6]:PORT\n"
    "  --udp6 [::1]:PORT  --tcp6 ...  --tls6 ...            the same, IPv6 only\n"
    "  --cert FILE --key FILE   PEM certificate and key for TLS listening points\n"
    "options:\n"
    "  --answer-all CODE        answer every non-ACK request with CODE (200..699)\n"
    "  --count N                exit after N requests\n"
    "  --duration S             exit after S seconds\n"
    "  --max-conns N            open connections in all (default 1024)\n"
    "  --max-conns-per-source N inbound connections from one address (default 32)\n"
    "  -v, --verbose            log transport errors and failed sends\n"
    "  -h, --help\n"
    "Signals: SIGINT/SIGTERM stop (stats printed), SIGUSR1 prints stats.\n";

typedef cli_listen_spec listen_spec;

typedef struct options {
    listen_spec lps[MAX_LISTEN];
    size_t n_lps;
    const char *cert, *key;
    int answer_all;
    uint64_t count;
    double duration;
    unsigned max_conns, max_conns_per_source;
    int verbose;
} options;

typedef struct app {
    uv_loop_t loop;
    options opt;
    responder r;
    gosip_uv *uv;
    uv_signal_t sig_int, sig_term, sig_usr1;
    uv_timer_t duration_timer, grace_timer;
    int handles_open; /* our own handles, initialised and not yet closed */
    int started;      /* every listening point is open: stats are worth printing */
    int stopping;
    uint64_t t0;
    struct rusage ru0;
} app;

/* ---------------------------------------------------------------- options */

static int usage_error(const char *msg, const char *arg)
{
    return cli_usage_error("gosip-responder", msg, arg);
}

/* The --udp6 family accepts IPv6 hosts only. */
static int parse_hostport(const char *s, listen_spec *ls, int v6_only)
{
    if (cli_parse_hostport(s, ls->host, sizeof ls->host, &ls->port) != 0)
        return -1;
    return v6_only && !strchr(ls->host, ':') ? -1 : 0;
}

static int parse_listen_flag(options *o, const char *flag, const char *arg)
{
    static const struct {
        const char *name;
        gosip_tp_kind kind;
        int v6;
    } flags[] = {{"--udp", GOSIP_TP_UDP, 0},  {"--tcp", GOSIP_TP_TCP, 0},
                 {"--tls", GOSIP_TP_TLS, 0},  {"--udp6", GOSIP_TP_UDP, 1},
                 {"--tcp6", GOSIP_TP_TCP, 1}, {"--tls6", GOSIP_TP_TLS, 1}};

    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (strcmp(flag, flags[i].name) != 0)
            continue;
        if (o->n_lps == MAX_LISTEN)
            return usage_error("too many listening points", NULL);
        listen_spec *ls = &o->lps[o->n_lps];
        ls->kind = flags[i].kind;
        if (!arg || parse_hostport(arg, ls, flags[i].v6) != 0)
            return usage_error("expected HOST:PORT (numeric, [IPv6]:PORT)", arg);
        o->n_lps++;
        return 1;
    }
    return 0;
}

static int parse_value_flag(options *o, const char *flag, const char *arg)
{
    uint64_t v;

    if (!strcmp(flag, "--cert") || !strcmp(flag, "--key")) {
        if (!arg)
            return usage_error("missing file name after", flag);
        if (!strcmp(flag, "--cert"))
            o->cert = arg;
        else
            o->key = arg;
    } else if (!strcmp(flag, "--answer-all")) {
        if (cli_parse_u64(arg, 200, 699, &v) != 0)
            return usage_error("--answer-all wants a final status 200..699", arg);
        o->answer_all = (int)v;
    } else if (!strcmp(flag, "--count")) {
        if (cli_parse_u64(arg, 1, UINT64_MAX, &o->count) != 0)
            return usage_error("--count wants a positive number", arg);
    } else if (!strcmp(flag, "--duration")) {
        if (cli_parse_positive(arg, &o->duration) != 0)
            return usage_error("--duration wants seconds > 0", arg);
    } else if (!strcmp(flag, "--max-conns")) {
        if (cli_parse_u64(arg, 1, 1000000, &v) != 0)
            return usage_error("--max-conns wants a number 1..1000000", arg);
        o->max_conns = (unsigned)v;
    } else if (!strcmp(flag, "--max-conns-per-source")) {
        if (cli_parse_u64(arg, 1, 1000000, &v) != 0)
            return usage_error("--max-conns-per-source wants a number 1..1000000", arg);
        o->max_conns_per_source = (unsigned)v;
    } else {
        return 0;
    }
    return 1;
}

/* Returns 0, 1 when help was printed, -1 on a usage error (already reported). */
static int parse_options(options *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        int used;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = 1;
            continue;
        }
        used = parse_listen_flag(o, a, next);
        if (used == 0)
            used = parse_value_flag(o, a, next);
        if (used < 0)
            return -1;
        if (used == 0)
            return usage_error("unknown option", a);
        i++;
    }
    if (o->n_lps == 0)
        return usage_error("no listening point (--udp, --tcp, --tls ...)", NULL);
    for (size_t i = 0; i < o->n_lps; i++)
        if (o->lps[i].kind == GOSIP_TP_TLS && (!o->cert || !o->key))
            return usage_error("a TLS listening point needs --cert and --key", NULL);
    return 0;
}

/* ---------------------------------------------------------------- stats */

/* CPU time is this process's own (getrusage): the loop runs on one thread. */
static void print_stats(app *a)
{
    const resp_stats *s = &a->r.st;
    const gosip_tp_stats *ts = gosip_tp_stats_get(a->r.tp);
    uint64_t user, sys;
    double wall = (double)(uv_hrtime() - a->t0) / 1e9;

    cli_cpu_since(&a->ru0, &user, &sys);
    printf("stats requests=%" PRIu64 " answered=%" PRIu64 " errors=%" PRIu64 " acks=%" PRIu64
           " dropped=%" PRIu64 " send_failed=%" PRIu64 " tp_errors=%" PRIu64
           " rx_malformed=%" PRIu64 " conns_refused=%" PRIu64 " wall_s=%.3f cpu_user_us=%" PRIu64
           " cpu_sys_us=%" PRIu64 " cpu_us_per_request=%.3f\n",
           s->requests, s->answered, s->errors, s->acks, s->dropped, s->send_failed, s->tp_errors,
           ts->rx_malformed, ts->conns_refused, wall, user, sys,
           s->requests ? (double)(user + sys) / (double)s->requests : 0.0);
    fflush(stdout);
}

/* ---------------------------------------------------------------- lifetime */

static void on_handle_closed(uv_handle_t *h)
{
    app *a = h->data;
    a->handles_open--;
}

static void on_uv_closed(gosip_uv *uv, void *ud)
{
    app *a = ud;
    (void)uv;
    a->uv = NULL;
}

static void close_own(uv_handle_t *h)
{
    if (h->data && !uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

/* Prints the final stats, then closes every handle; uv_run returns once all are closed. */
static void app_stop(app *a)
{
    if (a->stopping)
        return;
    a->stopping = 1;
    if (a->started)
        print_stats(a);
    close_own((uv_handle_t *)&a->sig_int);
    close_own((uv_handle_t *)&a->sig_term);
    close_own((uv_handle_t *)&a->sig_usr1);
    close_own((uv_handle_t *)&a->duration_timer);
    close_own((uv_handle_t *)&a->grace_timer);
    if (a->uv)
        gosip_uv_close(a->uv, on_uv_closed, a);
}

static void on_signal(uv_signal_t *h, int signum)
{
    app *a = h->data;
    if (signum == SIGUSR1)
        print_stats(a);
    else
        app_stop(a);
}

static void on_stop_timer(uv_timer_t *t)
{
    app_stop(t->data);
}

static void on_count_reached(responder *r)
{
    app *a = r->app;
    uv_timer_start(&a->grace_timer, on_stop_timer, COUNT_GRACE_MS, 0);
}

static int init_own_handles(app *a)
{
    struct {
        uv_signal_t *h;
        int signum;
    } sigs[] = {{&a->sig_int, SIGINT}, {&a->sig_term, SIGTERM}, {&a->sig_usr1, SIGUSR1}};

    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (uv_signal_init(&a->loop, sigs[i].h) != 0)
            return -1;
        sigs[i].h->data = a;
        a->handles_open++;
        if (uv_signal_start(sigs[i].h, on_signal, sigs[i].signum) != 0)
            return -1;
    }
    if (uv_timer_init(&a->loop, &a->duration_timer) != 0)
        return -1;
    a->duration_timer.data = a;
    a->handles_open++;
    if (uv_timer_init(&a->loop, &a->grace_timer) != 0)
        return -1;
    a->grace_timer.data = a;
    a->handles_open++;
    if (a->opt.duration > 0)
        uv_timer_start(&a->duration_timer, on_stop_timer, (uint64_t)(a->opt.duration * 1000.0), 0);
    return 0;
}

/* Each connection is a descriptor: the benchmark holds 10,000 of them open. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int start_runtime(app *a)
{
    gosip_uv_config cfg;
    gosip_tp_callbacks cb = {responder_on_message, responder_on_error};
    int rc;

    gosip_uv_config_default(&cfg);
    cfg.tls_cert_file = a->opt.cert;
    cfg.tls_key_file = a->opt.key;
    if (a->opt.max_conns)
        cfg.tp.max_conns = a->opt.max_conns;
    if (a->opt.max_conns_per_source)
        cfg.tp.max_conns_per_source = a->opt.max_conns_per_source;
    rc = gosip_uv_new(&a->uv, &a->loop, &cfg, &cb, &a->r);
    if (rc != 0) {
        fprintf(stderr, "gosip-responder: starting the runtime: %s\n", gosip_strerror(rc));
        return -1;
    }
    a->r.tp = gosip_uv_transport(a->uv);
    return 0;
}

static int open_listeners(app *a)
{
    for (size_t i = 0; i < a->opt.n_lps; i++) {
        gosip_lp *lp;
        if (cli_listen("gosip-responder", a->uv, &a->opt.lps[i], &lp) != 0)
            return -1;
    }
    fflush(stdout);
    return 0;
}

static int run(app *a)
{
    int ok = init_own_handles(a) == 0 && start_runtime(a) == 0 && open_listeners(a) == 0;

    a->t0 = uv_hrtime();
    getrusage(RUSAGE_SELF, &a->ru0);
    a->started = ok;
    if (!ok)
        app_stop(a);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    if (a->uv || a->handles_open) {
        fprintf(stderr, "gosip-responder: handles still open after the loop ended\n");
        return EXIT_FAIL;
    }
    if (uv_loop_close(&a->loop) != 0) {
        fprintf(stderr, "gosip-responder: the loop did not close cleanly\n");
        return EXIT_FAIL;
    }
    return ok ? EXIT_OK : EXIT_FAIL;
}

int main(int argc, char **argv)
{
    static app a; /* large and needed for the whole run */
    int rc = parse_options(&a.opt, argc, argv);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    raise_nofile();
    signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write must not kill the process */
    responder_init(&a.r, a.opt.answer_all);
    a.r.count_limit = a.opt.count;
    a.r.verbose = a.opt.verbose;
    a.r.on_limit = on_count_reached;
    a.r.app = &a;
    a.r.tag_secret = uv_hrtime();
    if (uv_loop_init(&a.loop) != 0) {
        fprintf(stderr, "gosip-responder: uv_loop_init failed\n");
        return EXIT_FAIL;
    }
    return run(&a);
}
