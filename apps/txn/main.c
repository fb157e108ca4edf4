/*
 * gosip-txn: options, the libuv loop and the program's lifetime. The stack runs on the
 * runtime (gosip_uv_new_stack), which owns its sockets, timers and resolver; this file
 * only decides when to start and when to stop.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "txn_app.h"

static const char usage_text[] =
    "usage: gosip-txn serve [options]    a stateful UAS\n"
    "       gosip-txn send --to URI [options]    a UAC\n"
    "\n"
    "serve: answers every request on a server transaction: INVITE with 180 (--ring) and\n"
    "then --invite-status, everything else with 200 (REGISTER echoes its Contacts with\n"
    "expires). The stack answers CANCEL itself (200, and 487 to the INVITE).\n"
    "  --udp HOST:PORT  --tcp HOST:PORT   listening points (IPv4 or [IPv6]; port 0: any);\n"
    "                                     each is printed as `listening udp 127.0.0.1:PORT`\n"
    "  --invite-status CODE               final status of INVITE (default 486)\n"
    "  --ring                             send 180 Ringing first\n"
    "  --answer-delay-ms MS               delay of the INVITE's final status (default 0)\n"
    "  --max-transactions N               live transactions before 503 (default 65536)\n"
    "  --duration SEC                     exit after SEC seconds\n"
    "  --stats                            also print the stack's counters\n"
    "On exit (SIGINT, SIGTERM, --duration) one line `stats key=value ...` is printed.\n"
    "\n"
    "send: starts --count client transactions at --rate per second and prints\n"
    "`result key=value ...`; exits 0 when every one got a final response.\n"
    "  --to URI                           Request-URI (and To) of the requests\n"
    "  --method OPTIONS|MESSAGE|INVITE    default OPTIONS (a 2xx to INVITE is ACKed)\n"
    "  --count N  --rate R                default 1 request, 10 per second\n"
    "  --transport udp|tcp                default udp (tcp adds ;transport=tcp to URI)\n"
    "  --bind HOST                        local address (default 127.0.0.1)\n"
    "  --duration SEC                     give up after SEC seconds\n"
    "common: -v, --verbose   -h, --help\n";

/* After the last outcome, a 2xx's ACK and the stack's last sends need a few loop turns. */
#define SEND_GRACE_MS 200

/* ---------------------------------------------------------------- options */

static int usage_error(const char *msg, const char *arg)
{
    return cli_usage_error("gosip-txn", msg, arg);
}

static int parse_listen(options *o, gosip_tp_kind kind, const char *arg)
{
    return cli_add_listen("gosip-txn", o->lps, &o->n_lps, MAX_LISTEN, kind, arg);
}

static int parse_serve_flag(options *o, const char *flag, const char *arg)
{
    if (!strcmp(flag, "--udp"))
        return parse_listen(o, GOSIP_TP_UDP, arg);
    if (!strcmp(flag, "--tcp"))
        return parse_listen(o, GOSIP_TP_TCP, arg);
    if (!strcmp(flag, "--invite-status")) {
        uint64_t v;
        if (cli_parse_u64(arg, 200, 699, &v) != 0)
            return usage_error("--invite-status wants a final status 200..699", arg);
        o->invite_status = (int)v;
    } else if (!strcmp(flag, "--answer-delay-ms")) {
        if (cli_parse_u64(arg, 0, 3600000, &o->answer_delay_ms) != 0)
            return usage_error("--answer-delay-ms wants 0..3600000", arg);
    } else if (!strcmp(flag, "--max-transactions")) {
        if (cli_parse_u64(arg, 1, 100000000, &o->max_transactions) != 0)
            return usage_error("--max-transactions wants 1..100000000", arg);
    } else {
        return 0;
    }
    return 1;
}

static int parse_method(options *o, const char *arg)
{
    static const gosip_method ok[] = {GOSIP_METHOD_OPTIONS, GOSIP_METHOD_MESSAGE,
                                      GOSIP_METHOD_INVITE};
    gosip_method m = arg ? gosip_method_from_str(gosip_str_from_cstr(arg)) : GOSIP_METHOD_UNKNOWN;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (m == ok[i]) {
            o->method = m;
            return 1;
        }
    }
    return usage_error("--method wants OPTIONS, MESSAGE or INVITE", arg);
}

static int parse_send_flag(options *o, const char *flag, const char *arg)
{
    if (!strcmp(flag, "--to") || !strcmp(flag, "--bind")) {
        if (!arg)
            return usage_error("missing value after", flag);
        *(!strcmp(flag, "--to") ? &o->to : &o->bind) = arg;
    } else if (!strcmp(flag, "--method")) {
        return parse_method(o, arg);
    } else if (!strcmp(flag, "--count")) {
        if (cli_parse_u64(arg, 1, 100000000, &o->count) != 0)
            return usage_error("--count wants 1..100000000", arg);
    } else if (!strcmp(flag, "--rate")) {
        if (cli_parse_positive(arg, &o->rate) != 0)
            return usage_error("--rate wants requests per second > 0", arg);
    } else if (!strcmp(flag, "--transport")) {
        if (!arg || (strcmp(arg, "udp") && strcmp(arg, "tcp")))
            return usage_error("--transport wants udp or tcp", arg);
        o->kind = strcmp(arg, "udp") ? GOSIP_TP_TCP : GOSIP_TP_UDP;
    } else {
        return 0;
    }
    return 1;
}

static int parse_flag(options *o, const char *flag, const char *arg)
{
    if (!strcmp(flag, "--duration")) {
        if (cli_parse_positive(arg, &o->duration) != 0)
            return usage_error("--duration wants seconds > 0", arg);
        return 1;
    }
    return o->mode == MODE_SERVE ? parse_serve_flag(o, flag, arg) : parse_send_flag(o, flag, arg);
}

static int check_options(const options *o)
{
    if (o->mode == MODE_SERVE && o->n_lps == 0)
        return usage_error("no listening point (--udp, --tcp)", NULL);
    if (o->mode == MODE_SEND && !o->to)
        return usage_error("send needs --to URI", NULL);
    return 0;
}

/* Returns 0, 1 when help was printed, -1 on a usage error (already reported). */
static int parse_options(options *o, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? -1 : 1;
    }
    if (strcmp(argv[1], "serve") && strcmp(argv[1], "send"))
        return usage_error("the first argument is serve or send", argv[1]);
    o->mode = strcmp(argv[1], "serve") ? MODE_SEND : MODE_SERVE;
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        int used;

        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (!strcmp(f, "-v") || !strcmp(f, "--verbose") || !strcmp(f, "--ring") ||
            !strcmp(f, "--stats")) {
            *(f[2] == 'r' ? &o->ring : f[2] == 's' ? &o->stats : &o->verbose) = 1;
            continue;
        }
        used = parse_flag(o, f, next);
        if (used < 0)
            return -1;
        if (used == 0)
            return usage_error("unknown option", f);
        i++;
    }
    return check_options(o);
}

/* ---------------------------------------------------------------- lifetime */

uint64_t app_cpu_us(const app *a, uint64_t *user, uint64_t *sys)
{
    cli_cpu_since(&a->ru0, user, sys);
    return *user + *sys;
}

static void on_handle_closed(uv_handle_t *h)
{
    app *a = h->data;
    a->handles_open--;
}

/* The runtime has handed the stack back: freeing it ends what is still alive, and no
 * callback of ours may then print or count (stopping is set). */
static void on_uv_closed(gosip_uv *uv, void *ud)
{
    app *a = ud;
    (void)uv;
    a->uv = NULL;
    gosip_stack_free(a->stack);
    a->stack = NULL;
}

static void close_own(uv_handle_t *h)
{
    if (h->data && !uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

void app_stop(app *a)
{
    if (a->stopping)
        return;
    a->stopping = 1;
    if (a->started && a->opt.mode == MODE_SERVE)
        serve_print_stats(a);
    else if (a->started)
        send_print_stats(a);
    serve_close_pending(a);
    close_own((uv_handle_t *)&a->sig_int);
    close_own((uv_handle_t *)&a->sig_term);
    close_own((uv_handle_t *)&a->duration_timer);
    close_own((uv_handle_t *)&a->tick_timer);
    close_own((uv_handle_t *)&a->grace_timer);
    if (a->uv)
        gosip_uv_close(a->uv, on_uv_closed, a);
    else if (a->stack) {
        gosip_stack_free(a->stack);
        a->stack = NULL;
    }
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    app_stop(h->data);
}

static void on_stop_timer(uv_timer_t *t)
{
    app_stop(t->data);
}

static int init_timer(app *a, uv_timer_t *t)
{
    if (uv_timer_init(&a->loop, t) != 0)
        return -1;
    t->data = a;
    a->handles_open++;
    return 0;
}

static int init_own_handles(app *a)
{
    uv_signal_t *sigs[] = {&a->sig_int, &a->sig_term};
    int nums[] = {SIGINT, SIGTERM};

    for (size_t i = 0; i < 2; i++) {
        if (uv_signal_init(&a->loop, sigs[i]) != 0)
            return -1;
        sigs[i]->data = a;
        a->handles_open++;
        if (uv_signal_start(sigs[i], on_signal, nums[i]) != 0)
            return -1;
    }
    if (init_timer(a, &a->duration_timer) || init_timer(a, &a->tick_timer) ||
        init_timer(a, &a->grace_timer))
        return -1;
    if (a->opt.duration > 0)
        uv_timer_start(&a->duration_timer, on_stop_timer, (uint64_t)(a->opt.duration * 1000.0), 0);
    return 0;
}

static int start_stack(app *a)
{
    gosip_config cfg;
    gosip_uv_config ucfg;
    const gosip_listener *lis = a->opt.mode == MODE_SERVE ? &serve_listener : &send_listener;
    int rc;

    gosip_config_default(&cfg);
    if (a->opt.max_transactions)
        cfg.max_transactions = (unsigned)a->opt.max_transactions;
    rc = gosip_stack_new(&a->stack, &cfg, lis, a);
    if (rc == 0) {
        gosip_uv_config_default(&ucfg);
        rc = gosip_uv_new_stack(&a->uv, &a->loop, &ucfg, a->stack);
    }
    if (rc != 0) {
        fprintf(stderr, "gosip-txn: starting the stack: %s\n", gosip_strerror(rc));
        return -1;
    }
    return 0;
}

static int open_listeners(app *a)
{
    for (size_t i = 0; i < a->opt.n_lps; i++) {
        gosip_lp *lp;
        if (cli_listen("gosip-txn", a->uv, &a->opt.lps[i], &lp) != 0)
            return -1;
    }
    fflush(stdout);
    return 0;
}

void app_send_done(app *a)
{
    uv_timer_start(&a->grace_timer, on_stop_timer, SEND_GRACE_MS, 0);
}

static int run(app *a)
{
    int ok = init_own_handles(a) == 0 && start_stack(a) == 0;

    a->t0 = uv_hrtime();
    getrusage(RUSAGE_SELF, &a->ru0);
    if (ok)
        ok = a->opt.mode == MODE_SERVE ? open_listeners(a) == 0 : send_start(a) == 0;
    a->started = ok;
    if (!ok)
        app_stop(a);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    if (a->uv || a->stack || a->handles_open) {
        fprintf(stderr, "gosip-txn: handles still open after the loop ended\n");
        return EXIT_FAIL;
    }
    if (uv_loop_close(&a->loop) != 0) {
        fprintf(stderr, "gosip-txn: the loop did not close cleanly\n");
        return EXIT_FAIL;
    }
    if (!ok)
        return EXIT_FAIL;
    return a->opt.mode == MODE_SEND ? send_exit_code(a) : EXIT_OK;
}

int main(int argc, char **argv)
{
    static app a; /* large (per-status counters) and needed for the whole run */
    int rc;

    a.opt.invite_status = 486;
    a.opt.method = GOSIP_METHOD_OPTIONS;
    a.opt.count = 1;
    a.opt.rate = 10;
    a.opt.kind = GOSIP_TP_UDP;
    a.opt.bind = "127.0.0.1";
    rc = parse_options(&a.opt, argc, argv);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write must not kill the process */
    if (uv_loop_init(&a.loop) != 0) {
        fprintf(stderr, "gosip-txn: uv_loop_init failed\n");
        return EXIT_FAIL;
    }
    return run(&a);
}
