/*
 * gosip-ua: a SIP user agent on the GoSIP stack with automatic dialog support and the
 * libuv runtime. It places calls (call.c), answers them (answer.c) and registers
 * (register.c); events.c holds the one listener that routes the stack's events to them,
 * and main.c the options, the loop and the program's lifetime.
 */
#ifndef GOSIP_UA_APP_H
#define GOSIP_UA_APP_H

#include <stdint.h>
#include <sys/resource.h>

#include <uv.h>

#include <gosip/uv.h>

#include "cli.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };
enum { MAX_LISTEN = 8, HOST_CAP = 64, TAG_LEN = 10, URI_CAP = 512, CALL_ID_CAP = 128 };

typedef cli_listen_spec listen_spec;

typedef struct options {
    listen_spec lps[MAX_LISTEN];
    size_t n_lps;
    const char *user;
    const char *registrar;
    uint64_t expires;
    const char *aor;
    const char *outbound_proxy;
    const char *call;
    uint64_t calls;
    double rate;
    double hangup_after;
    int answer;
    uint64_t ring_ms;
    int answer_status;
    double duration;           /* 0: until the calls are done, or forever */
    uint64_t t1_ms;            /* 0: the stack's default */
    uint64_t max_transactions; /* 0: the stack's default */
    int stats;
    int verbose;
} options;

/* What a transaction's or a dialog's application data points to: every record starts
 * with its kind, so that one listener can route events to the right module. */
typedef enum obj_kind { OBJ_CALL = 1, OBJ_INCOMING, OBJ_REGISTRATION } obj_kind;

typedef struct app app;

/* A deadline in one of the program's FIFO queues: every entry of a queue waits the same
 * delay, so appending keeps it sorted and one uv timer serves the whole queue. */
typedef struct due {
    uint64_t at_ms; /* uv_now() time */
    struct due *prev, *next;
    int queued;
} due;

typedef struct due_queue {
    uv_timer_t timer;
    app *a;
    due *head, *tail;
    void (*fire)(app *a, due *d);
} due_queue;

typedef struct call call;
typedef struct incoming incoming;

typedef struct ua_stats {
    uint64_t calls, established, ended_ok; /* placed calls */
    uint64_t incoming, answered;           /* received INVITEs, final answers sent */
    uint64_t byes_sent, byes_received, bye_errors;
    uint64_t dialogs_live, dialogs_peak;
} ua_stats;

struct app {
    uv_loop_t loop;
    options opt;
    gosip_stack *stack;
    gosip_uv *uv;
    gosip_lp *lp_udp, *lp_tcp; /* the first listening point of each kind */
    uv_signal_t sig_int, sig_term;
    uv_timer_t duration_timer, tick_timer, grace_timer, register_timer;
    due_queue hangups, rings;
    int handles_open; /* our own handles, initialised and not yet closed */
    int started;      /* the runtime runs: stats are worth printing */
    int stopping;
    int calling;    /* the tick timer has calls left to place */
    int registered; /* the first REGISTER got its 2xx */
    int register_failed;
    uint64_t t0;
    struct rusage ru0;
    call *calls;        /* placed calls not yet done */
    incoming *incoming; /* received INVITEs not yet done */
    ua_stats st;
};

/* main.c */
void app_stop(app *a);
/** The calls are done (or registration failed): stop after a short grace. */
void app_done(app *a);
uint64_t app_cpu_us(const app *a);
/** The listening point requests of this kind leave from (NULL: none). */
gosip_lp *app_lp(const app *a, gosip_tp_kind kind);
/** Our own URI on lp: sip:USER@host:port[;transport=tcp], in buf. */
int app_contact_uri(const app *a, const gosip_lp *lp, char *buf, size_t cap);
/** The transport a request to uri uses (the outbound proxy's when configured). */
gosip_tp_kind app_kind_for(const app *a, const char *uri);
/** Builds an out-of-dialog request to uri with From, Via and Contact of this agent;
 *  call_id absent: a fresh one; cseq 0: 1. */
int app_new_request(app *a, gosip_method m, const char *uri, gosip_str call_id, uint32_t cseq,
                    gosip_msg **out);
void app_dialog_opened(app *a);
void app_dialog_closed(app *a);
const char *app_end_name(gosip_dialog_end reason);

/* events.c */
extern const gosip_listener ua_listener;
void due_queue_init(due_queue *q, app *a, void (*fire)(app *a, due *d));
void due_push(due_queue *q, due *d, uint64_t delay_ms);
void due_cancel(due_queue *q, due *d);
/** A minimal RFC 4566 body for an offer or an answer with an audio stream on port. */
size_t sdp_build(char *buf, size_t cap, const char *user, const char *host, unsigned port);

/* call.c: the caller */
int call_start(app *a);
void call_tick(uv_timer_t *t);
void call_on_response(app *a, call *c, const gosip_response_event *ev);
void call_on_failure(app *a, call *c, const char *why);
void call_on_dialog_end(app *a, call *c, const gosip_dialog_terminated_event *ev);
unsigned call_media_port(const call *c);
void call_fire_hangup(app *a, due *d);
void call_free_all(app *a);
int call_exit_code(const app *a);

/* answer.c: the callee */
void answer_invite(app *a, gosip_provider *p, const gosip_request_event *ev);
void answer_in_dialog(app *a, gosip_provider *p, const gosip_request_event *ev);
void answer_out_of_dialog(app *a, gosip_provider *p, const gosip_request_event *ev);
void answer_on_cancel(app *a, incoming *in);
void answer_on_ack(app *a, incoming *in);
void answer_on_dialog_end(app *a, incoming *in, const gosip_dialog_terminated_event *ev);
void answer_on_txn_end(app *a, incoming *in);
unsigned answer_media_port(const incoming *in);
void answer_fire_ring(app *a, due *d);
void answer_free_all(app *a);

/* register.c */
int register_start(app *a);
void register_on_response(app *a, const gosip_response_event *ev);
void register_on_failure(app *a, const char *why);
void register_free(app *a);

#endif
