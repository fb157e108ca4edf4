/*
 * gosip-txn: a stateful UAS (serve) and UAC (send) on the GoSIP stack and the libuv
 * runtime, for interoperability tests (SIPp) and transaction-layer measurements. main.c
 * holds the options, the loop and the lifetime; serve.c and send.c the two listeners.
 */
#ifndef GOSIP_TXN_APP_H
#define GOSIP_TXN_APP_H

#include <stdint.h>
#include <sys/resource.h>

#include <uv.h>

#include <gosip/uv.h>

#include "cli.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };
enum { MAX_LISTEN = 8, HOST_CAP = 64, TAG_LEN = 10, STATUS_MAX = 700 };

typedef enum app_mode { MODE_SERVE, MODE_SEND } app_mode;

typedef cli_listen_spec listen_spec;

typedef struct options {
    app_mode mode;
    listen_spec lps[MAX_LISTEN]; /* serve: where to listen */
    size_t n_lps;
    int invite_status;
    int ring;
    uint64_t answer_delay_ms;
    uint64_t max_transactions; /* 0: the stack's default */
    double duration;           /* serve: run time; send: give up after (0: no limit) */
    int stats;
    int verbose;
    const char *to; /* send */
    gosip_method method;
    uint64_t count;
    double rate;
    gosip_tp_kind kind;
    const char *bind;
} options;

/* An INVITE whose final response waits for --answer-delay-ms. */
typedef struct pending pending;

typedef struct serve_stats {
    uint64_t requests;      /* requests reaching the application, ACK and CANCEL included */
    uint64_t acks, cancels; /* of those */
    uint64_t answered;      /* responses the transactions accepted */
    uint64_t failed;        /* server transactions or responses refused by the stack */
} serve_stats;

typedef struct send_stats {
    uint64_t sent;      /* client transactions started */
    uint64_t finals;    /* ... that got a final response */
    uint64_t timeouts;  /* Timer B or F */
    uint64_t io_errors; /* transport failures of a transaction */
    uint64_t failed;    /* requests the stack refused to start */
    uint64_t acks;      /* ACKs sent for 2xx, retransmissions included */
    uint64_t by_code[STATUS_MAX];
} send_stats;

typedef struct app {
    uv_loop_t loop;
    options opt;
    gosip_stack *stack;
    gosip_uv *uv;
    gosip_lp *lp; /* send: the listening point requests leave from */
    uv_signal_t sig_int, sig_term;
    uv_timer_t duration_timer, tick_timer, grace_timer;
    int handles_open; /* our own handles, initialised and not yet closed */
    int started;      /* the runtime runs: stats are worth printing */
    int stopping;
    uint64_t t0;
    struct rusage ru0;
    pending *pendings;
    serve_stats ss;
    send_stats cs;
    uint64_t outcomes; /* send: transactions that ended with an outcome */
} app;

/** Prints the stats, closes the runtime and every handle; uv_run then returns. */
void app_stop(app *a);
/** send.c: every transaction has its outcome; stop after a short grace. */
void app_send_done(app *a);
/** The process CPU time since start, in microseconds (user + system). */
uint64_t app_cpu_us(const app *a, uint64_t *user, uint64_t *sys);

extern const gosip_listener serve_listener;
/** Stops the delayed answers still waiting (at exit). */
void serve_close_pending(app *a);
void serve_print_stats(app *a);

extern const gosip_listener send_listener;
/** Opens the client's listening point and starts sending; 0 or -1 (reported). */
int send_start(app *a);
void send_print_stats(app *a);
/** The exit status of a send run: 0 when every transaction got a final response. */
int send_exit_code(const app *a);

#endif
