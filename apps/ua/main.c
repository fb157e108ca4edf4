/*
 * gosip-ua: options, the libuv loop and the program's lifetime. The stack runs on the
 * runtime (gosip_uv_new_stack) with automatic dialog support: it ACKs 2xx, retransmits
 * our 2xx until the ACK, and answers BYE and CANCEL, so the modules only decide when to
 * call, answer and hang up.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "ua_app.h"

static const char usage_text[] =
    "usage: gosip-ua [options]    a SIP user agent (calls, answers, registers)\n"
    "  --udp HOST:PORT  --tcp HOST:PORT  listening points (default --udp 127.0.0.1:5060;\n"
    "                                    port 0: any); each is printed as\n"
    "                                    `listening udp 127.0.0.1:PORT`\n"
    "  --user NAME                       user part of Contact and From (default gosip)\n"
    "  --register URI                    REGISTER there first (and refresh) and print\n"
    "                                    `event=registered status=200`\n"
    "  --expires SEC                     registration lifetime asked (default 3600)\n"
    "  --aor URI                         address of record (To/From of REGISTER, From of\n"
    "                                    calls; default sip:USER@registrar-host)\n"
    "  --outbound-proxy URI              route every out-of-dialog request through it\n"
    "  --call URI                        place calls there (INVITE with an SDP offer)\n"
    "  --calls N  --rate PER_SEC         default 1 call, 10 per second\n"
    "  --hangup-after SEC                BYE that long after the 2xx (default 1; 0: at once)\n"
    "  --answer                          answer every INVITE: 180, then --answer-status\n"
    "  --ring-ms MS                      delay between the 180 and the answer (default 0)\n"
    "  --answer-status CODE              final status of answers (default 200)\n"
    "  --max-transactions N              live transactions before 503 (default 65536;\n"
    "                                    each call holds two for 32 s on UDP)\n"
    "  --t1-ms MS                        RFC 3261 T1 (default 500; also scales the wait\n"
    "                                    for a missing ACK, 64*T1)\n"
    "  --duration SEC                    exit after SEC seconds (default: when the calls\n"
    "                                    are done; answering only: never)\n"
    "  --stats                           also print the stack's counters at exit\n"
    "  -v, --verbose   -h, --help\n"
    "Prints `event=established call-id=...` and `event=terminated call-id=... reason=...`\n"
    "per call (with `role=callee` for answered ones) and one `stats calls=...\n"
    "established=... failed=...` line at exit (counting placed calls); exits 0\n"
    "when every placed call was established and ended without error.\n";

/* After the last call ended, the last ACK or 200 and the stack's own sends need a few
 * loop turns. */
#define DONE_GRACE_MS 200

/* ---------------------------------------------------------------- options */

static int usage_error(const char *msg, const char *arg)
{
    return cli_usage_error("gosip-ua", msg, arg);
}

static int parse_listen(options *o, gosip_tp_kind kind, const char *arg)
{
    return cli_add_listen("gosip-ua", o->lps, &o->n_lps, MAX_LISTEN, kind, arg);
}

static int parse_string_flag(options *o, const char *flag, const char *arg)
{
    static const char *const names[] = {"--user", "--register", "--aor", "--outbound-proxy",
                                        "--call"};
    const char **slots[] = {&o->user, &o->registrar, &o->aor, &o->outbound_proxy, &o->call};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(flag, names[i]) != 0)
            continue;
        if (!arg || !*arg)
            return usage_error("missing value after", flag);
        *slots[i] = arg;
        return 1;
    }
    return 0;
}

static int parse_number_flag(options *o, const char *flag, const char *arg)
{
    uint64_t v;

    if (!strcmp(flag, "--expires")) {
        if (cli_parse_u64(arg, 1, 100000000, &o->expires) != 0)
            return usage_error("--expires wants seconds 1..100000000", arg);
    } else if (!strcmp(flag, "--calls")) {
        if (cli_parse_u64(arg, 1, 100000000, &o->calls) != 0)
            return usage_error("--calls wants 1..100000000", arg);
    } else if (!strcmp(flag, "--ring-ms")) {
        if (cli_parse_u64(arg, 0, 3600000, &o->ring_ms) != 0)
            return usage_error("--ring-ms wants 0..3600000", arg);
    } else if (!strcmp(flag, "--max-transactions")) {
        if (cli_parse_u64(arg, 1, 100000000, &o->max_transactions) != 0)
            return usage_error("--max-transactions wants 1..100000000", arg);
    } else if (!strcmp(flag, "--t1-ms")) {
        if (cli_parse_u64(arg, 1, 60000, &o->t1_ms) != 0)
            return usage_error("--t1-ms wants 1..60000", arg);
    } else if (!strcmp(flag, "--answer-status")) {
        if (cli_parse_u64(arg, 200, 699, &v) != 0)
            return usage_error("--answer-status wants a final status 200..699", arg);
        o->answer_status = (int)v;
    } else if (!strcmp(flag, "--rate")) {
        if (cli_parse_positive(arg, &o->rate) != 0)
            return usage_error("--rate wants calls per second > 0", arg);
    } else if (!strcmp(flag, "--hangup-after")) {
        if (cli_parse_number(arg, 0, &o->hangup_after) != 0)
            return usage_error("--hangup-after wants seconds >= 0", arg);
    } else if (!strcmp(flag, "--duration")) {
        if (cli_parse_positive(arg, &o->duration) != 0)
            return usage_error("--duration wants seconds > 0", arg);
    } else {
        return 0;
    }
    return 1;
}

static int parse_flag(options *o, const char *flag, const char *arg)
{
    int used;

    if (!strcmp(flag, "--udp"))
        return parse_listen(o, GOSIP_TP_UDP, arg);
    if (!strcmp(flag, "--tcp"))
        return parse_listen(o, GOSIP_TP_TCP, arg);
    used = parse_string_flag(o, flag, arg);
    return used ? used : parse_number_flag(o, flag, arg);
}

static int parse_switch(options *o, const char *f)
{
    if (!strcmp(f, "-v") || !strcmp(f, "--verbose"))
        o->verbose = 1;
    else if (!strcmp(f, "--answer"))
        o->answer = 1;
    else if (!strcmp(f, "--stats"))
        o->stats = 1;
    else
        return 0;
    return 1;
}

/* Returns 0, 1 when help was printed, -1 on a usage error (already reported). */
static int parse_options(options *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        int used;

        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (parse_switch(o, f))
            continue;
        used = parse_flag(o, f, next);
        if (used < 0)
            return -1;
        if (used == 0)
            return usage_error("unknown option", f);
        i++;
    }
    if (o->n_lps == 0) {
        o->lps[0] = (listen_spec){GOSIP_TP_UDP, "127.0.0.1", 5060};
        o->n_lps = 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- helpers of the modules */

uint64_t app_cpu_us(const app *a)
{
    uint64_t user, sys;

    cli_cpu_since(&a->ru0, &user, &sys);
    return user + sys;
}

gosip_lp *app_lp(const app *a, gosip_tp_kind kind)
{
    return kind == GOSIP_TP_TCP ? a->lp_tcp : a->lp_udp;
}

int app_contact_uri(const app *a, const gosip_lp *lp, char *buf, size_t cap)
{
    char host[HOST_CAP];
    const gosip_addr *addr = gosip_lp_addr(lp);
    int n;

    gosip_addr_print_host(addr, host, sizeof host);
    n = snprintf(buf, cap, addr->family == 6 ? "sip:%s@[%s]:%u%s" : "sip:%s@%s:%u%s", a->opt.user,
                 host, addr->port, gosip_lp_kind(lp) == GOSIP_TP_TCP ? ";transport=tcp" : "");
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

gosip_tp_kind app_kind_for(const app *a, const char *uri)
{
    const char *u = a->opt.outbound_proxy ? a->opt.outbound_proxy : uri;
    const char *t = strstr(u, "transport=");

    return t && !strncmp(t + 10, "tcp", 3) ? GOSIP_TP_TCP : GOSIP_TP_UDP;
}

static void fill_spec(gosip_request_spec *spec, const gosip_lp *lp, char *host, size_t cap)
{
    gosip_addr_print_host(gosip_lp_addr(lp), host, cap);
    spec->via_transport = gosip_lp_kind(lp) == GOSIP_TP_TCP ? GOSIP_STR("TCP") : GOSIP_STR("UDP");
    spec->via_host = gosip_str_from_cstr(host);
    spec->via_port = gosip_lp_addr(lp)->port;
    spec->max_forwards = -1;
}

int app_new_request(app *a, gosip_method m, const char *uri, gosip_str call_id, uint32_t cseq,
                    gosip_msg **out)
{
    gosip_lp *lp = app_lp(a, app_kind_for(a, uri));
    char host[HOST_CAP], contact[URI_CAP + 2], from[URI_CAP + 2];
    gosip_request_spec spec;

    if (!lp)
        return GOSIP_ERR_NOT_FOUND;
    memset(&spec, 0, sizeof spec);
    spec.method = m;
    spec.request_uri = gosip_str_from_cstr(uri);
    spec.call_id = call_id;
    spec.cseq = cseq;
    fill_spec(&spec, lp, host, sizeof host);
    contact[0] = '<';
    if (app_contact_uri(a, lp, contact + 1, URI_CAP) != 0)
        return GOSIP_ERR_LIMIT;
    strcat(contact, ">");
    if (a->opt.aor)
        snprintf(from, sizeof from, "<%s>", a->opt.aor);
    else
        snprintf(from, sizeof from,
                 gosip_lp_addr(lp)->family == 6 ? "<sip:%s@[%s]>" : "<sip:%s@%s>", a->opt.user,
                 host);
    spec.from = gosip_str_from_cstr(from);
    /* REGISTER: To is the address of record (RFC 3261 10.2) */
    spec.to = m == GOSIP_METHOD_REGISTER ? spec.from : spec.request_uri;
    spec.contact = gosip_str_from_cstr(contact);
    return gosip_msg_new_request(out, NULL, &spec);
}

void app_dialog_opened(app *a)
{
    if (++a->st.dialogs_live > a->st.dialogs_peak)
        a->st.dialogs_peak = a->st.dialogs_live;
}

void app_dialog_closed(app *a)
{
    if (a->st.dialogs_live)
        a->st.dialogs_live--;
}

const char *app_end_name(gosip_dialog_end reason)
{
    static const char *const names[] = {"bye",       "rejected", "no-ack",   "fork",
                                        "peer-gone", "timeout",  "destroyed"};
    return (unsigned)reason < sizeof names / sizeof names[0] ? names[reason] : "unknown";
}

/* ---------------------------------------------------------------- lifetime */

static void print_stats(app *a)
{
    const ua_stats *s = &a->st;
    uint64_t cpu = app_cpu_us(a), n = s->calls + s->incoming;

    printf("stats calls=%" PRIu64 " established=%" PRIu64 " failed=%" PRIu64 " incoming=%" PRIu64
           " answered=%" PRIu64 " byes_sent=%" PRIu64 " byes_received=%" PRIu64 " cpu_us=%" PRIu64
           " cpu_us_per_call=%.3f dialogs_peak=%" PRIu64 "\n",
           s->calls, s->established, s->calls - s->ended_ok, s->incoming, s->answered, s->byes_sent,
           s->byes_received, cpu, n ? (double)cpu / (double)n : 0.0, s->dialogs_peak);
    if (a->opt.stats) {
        const gosip_stack_stats *st = gosip_stack_stats_get(a->stack);
        printf("stack txns_live=%" PRIu64 " client_txns=%" PRIu64 " server_txns=%" PRIu64
               " absorbed=%" PRIu64 " stray_responses=%" PRIu64 " auto_trying=%" PRIu64
               " dialogs_live=%" PRIu64 " bye_errors=%" PRIu64 "\n",
               st->txns_live, st->client_txns, st->server_txns, st->retransmissions_absorbed,
               st->stray_responses, st->auto_trying, s->dialogs_live, s->bye_errors);
    }
    fflush(stdout);
}

static void on_handle_closed(uv_handle_t *h)
{
    app *a = h->data;
    a->handles_open--;
}

/* The runtime has handed the stack back: freeing it ends every dialog and transaction
 * (DESTROYED); the records those events point to are freed only afterwards. */
static void on_uv_closed(gosip_uv *uv, void *ud)
{
    app *a = ud;
    (void)uv;
    a->uv = NULL;
    gosip_stack_free(a->stack);
    a->stack = NULL;
    call_free_all(a);
    answer_free_all(a);
    register_free(a);
}

static void close_own(uv_handle_t *h)
{
    if (h->data && !uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

void app_stop(app *a)
{
    uv_handle_t *own[] = {(uv_handle_t *)&a->sig_int,        (uv_handle_t *)&a->sig_term,
                          (uv_handle_t *)&a->duration_timer, (uv_handle_t *)&a->tick_timer,
                          (uv_handle_t *)&a->grace_timer,    (uv_handle_t *)&a->register_timer,
                          (uv_handle_t *)&a->hangups.timer,  (uv_handle_t *)&a->rings.timer};

    if (a->stopping)
        return;
    if (a->started)
        print_stats(a);
    a->stopping = 1;
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        close_own(own[i]);
    if (a->uv) {
        gosip_uv_close(a->uv, on_uv_closed, a);
    } else {
        on_uv_closed(NULL, a);
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

void app_done(app *a)
{
    if (!a->stopping)
        uv_timer_start(&a->grace_timer, on_stop_timer, DONE_GRACE_MS, 0);
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
    uv_timer_t *timers[] = {&a->duration_timer, &a->tick_timer,    &a->grace_timer,
                            &a->register_timer, &a->hangups.timer, &a->rings.timer};
    int nums[] = {SIGINT, SIGTERM};

    for (size_t i = 0; i < 2; i++) {
        if (uv_signal_init(&a->loop, sigs[i]) != 0)
            return -1;
        sigs[i]->data = a;
        a->handles_open++;
        if (uv_signal_start(sigs[i], on_signal, nums[i]) != 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
        if (init_timer(a, timers[i]) != 0)
            return -1;
    due_queue_init(&a->hangups, a, call_fire_hangup);
    due_queue_init(&a->rings, a, answer_fire_ring);
    if (a->opt.duration > 0)
        uv_timer_start(&a->duration_timer, on_stop_timer, (uint64_t)(a->opt.duration * 1000.0), 0);
    return 0;
}

static int start_stack(app *a)
{
    gosip_config cfg;
    gosip_uv_config ucfg;
    int rc;

    gosip_config_default(&cfg);
    cfg.contact_user = a->opt.user;
    cfg.outbound_proxy = a->opt.outbound_proxy;
    if (a->opt.max_transactions)
        cfg.max_transactions = cfg.max_dialogs = (unsigned)a->opt.max_transactions;
    if (a->opt.t1_ms) {
        cfg.t1 = GOSIP_MS(a->opt.t1_ms);
        if (cfg.t2 < cfg.t1)
            cfg.t2 = cfg.t1;
    }
    rc = gosip_stack_new(&a->stack, &cfg, &ua_listener, a);
    if (rc == 0) {
        gosip_uv_config_default(&ucfg);
        rc = gosip_uv_new_stack(&a->uv, &a->loop, &ucfg, a->stack);
    }
    if (rc != 0) {
        fprintf(stderr, "gosip-ua: starting the stack: %s\n", gosip_strerror(rc));
        return -1;
    }
    return 0;
}

static int open_listeners(app *a)
{
    for (size_t i = 0; i < a->opt.n_lps; i++) {
        const listen_spec *ls = &a->opt.lps[i];
        gosip_lp *lp;
        if (cli_listen("gosip-ua", a->uv, ls, &lp) != 0)
            return -1;
        if (ls->kind == GOSIP_TP_TCP && !a->lp_tcp)
            a->lp_tcp = lp;
        if (ls->kind == GOSIP_TP_UDP && !a->lp_udp)
            a->lp_udp = lp;
    }
    fflush(stdout);
    return 0;
}

/* Calls wait for the registration when there is one (register.c starts them). */
static int start_agent(app *a)
{
    if (open_listeners(a) != 0)
        return -1;
    if (a->opt.registrar)
        return register_start(a);
    return a->opt.call ? call_start(a) : 0;
}

static int run(app *a)
{
    int ok = init_own_handles(a) == 0 && start_stack(a) == 0;

    a->t0 = uv_hrtime();
    getrusage(RUSAGE_SELF, &a->ru0);
    a->started = ok;
    if (ok)
        ok = start_agent(a) == 0;
    if (!ok)
        app_stop(a);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    if (a->uv || a->stack || a->handles_open) {
        fprintf(stderr, "gosip-ua: handles still open after the loop ended\n");
        return EXIT_FAIL;
    }
    if (uv_loop_close(&a->loop) != 0) {
        fprintf(stderr, "gosip-ua: the loop did not close cleanly\n");
        return EXIT_FAIL;
    }
    if (!ok || a->register_failed)
        return EXIT_FAIL;
    return a->opt.call ? call_exit_code(a) : EXIT_OK;
}

int main(int argc, char **argv)
{
    static app a;
    int rc;

#ifdef __GLIBC__
    /* Messages come and go by the thousand per second: keep freed heap instead of giving it
     * back and faulting it in again at once. */
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
#endif
    a.opt.user = "gosip";
    a.opt.expires = 3600;
    a.opt.calls = 1;
    a.opt.rate = 10;
    a.opt.hangup_after = 1;
    a.opt.answer_status = 200;
    rc = parse_options(&a.opt, argc, argv);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write must not kill the process */
    if (uv_loop_init(&a.loop) != 0) {
        fprintf(stderr, "gosip-ua: uv_loop_init failed\n");
        return EXIT_FAIL;
    }
    return run(&a);
}
