/*
 * Internal state of the libuv runtime (gosip/uv.h), shared by runtime.c (lifetime, timer,
 * output drain), listen.c (listening points, UDP), conn.c / conn_tls.c (TCP and TLS
 * connections) and stack_glue.c (driving a whole gosip_stack). The runtime uses only the
 * public core API (API.md section 9).
 *
 * Lifetime: every libuv handle the runtime initialises is counted in `handles`; each
 * close callback counts down, and the runtime struct is freed only when the count (and
 * the resolver's asynchronous close) reaches zero after gosip_uv_close().
 */
#ifndef GOSIP_UV_UV_INTERNAL_H
#define GOSIP_UV_UV_INTERNAL_H

#include <gosip/uv.h>

#include "uv/resolve.h"
#include "uv/tls.h"

/* Receive buffer of the runtime: one whole datagram (65535 octets plus room to notice
 * a truncated one), also used for stream reads, which are consumed synchronously. */
#define GOSIP__UV_RXBUF 65536u
/* Datagrams read by one recvmmsg call: under load one wake-up and one system call serve
 * several requests (libuv wants a buffer of 64 KiB per datagram). */
#define GOSIP__UV_MMSG 16u
/* datagrams handed to the kernel in one sendmmsg at most */
#define GOSIP__UV_SEND_BATCH 32u
/* Granularity of the runtime's one timer (see rearm_timer). */
#define GOSIP__UV_TIMER_SLOT GOSIP_MS(10)
/* Plaintext buffer for decrypted TLS records. */
#define GOSIP__UV_PLAINBUF 16384u

typedef struct gosip__uv_lp gosip__uv_lp;
typedef struct gosip__uv_conn gosip__uv_conn;
typedef struct gosip__uv_sq gosip__uv_sq;
typedef struct gosip__uv_dgrams gosip__uv_dgrams;

/* One RFC 3263 lookup asked by the stack (stack mode). It lives until the resolver's
 * callback, which always comes; a cancelled one is then dropped without an answer. */
struct gosip__uv_sq {
    gosip_uv *uv;
    gosip_resolve_query *q; /* NULL once cancelled */
    gosip__uv_sq *prev, *next;
};

/* A listening point's socket. Its first member is the runtime, like that of a connection,
 * so that one alloc_cb serves both (handle->data points at the owner). */
struct gosip__uv_lp {
    gosip_uv *uv;
    gosip_lp *lp; /* NULL once removed from the core */
    gosip_tp_kind kind;
    union {
        uv_handle_t h;
        uv_udp_t udp;
        uv_tcp_t tcp;
    } u;
    gosip__uv_lp *prev, *next;
};

/* One stream connection. Lives until its handle's close callback, possibly after the
 * core forgot the connection (c == NULL). */
struct gosip__uv_conn {
    gosip_uv *uv;
    gosip_conn *c; /* NULL once gosip_tp_conn_closed was reported */
    gosip_tp_kind kind;
    gosip_addr peer; /* kept for error events after the core forgot c */
    int inbound;
    int closing; /* uv_close (or uv_shutdown) issued */
    int opened;  /* outbound: gosip_tp_conn_opened reported */
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    gosip__tls *tls;          /* TLS connections only */
    gosip_tstamp hs_deadline; /* TLS handshake deadline, NONE when not pending */
    int fail_code;            /* GOSIP_ERR_* to report for a runtime-detected failure (TLS) */
    const char *fail_reason;
    int error_reported; /* the core reported on_error for this connection */
    unsigned writes;    /* uv_write requests in flight */
    gosip__uv_conn *prev, *next;
};

struct gosip_uv {
    uv_loop_t *loop;
    uv_loop_t *own_loop; /* the loop the runtime created (loop NULL at creation), or NULL */
    unsigned running;    /* gosip_uv_run calls in progress */
    int finished;        /* closed with an own loop: freed when gosip_uv_run returns */
    gosip_transport *tp;
    gosip_stack *stack;    /* stack mode (gosip_uv_new_stack): tp is the stack's, not owned */
    gosip__uv_sq *queries; /* the stack's lookups in flight */
    const gosip_mem *mem;
    gosip_tp_callbacks app_cb;
    void *app_ud;
    gosip_tstamp hs_timeout;
    unsigned hs_pending;    /* connections with an hs_deadline */
    size_t max_write_queue; /* bytes libuv may hold unwritten on one connection */
    gosip__tls_ctx *tls;
    gosip__resolver *res;
    uv_timer_t timer;
    uv_prepare_t prepare;
    gosip__uv_lp *lps;
    gosip__uv_conn *conns;
    unsigned handles; /* initialised handles whose close callback has not run */
    int res_open;     /* resolver not yet closed */
    int closing;
    void (*close_cb)(gosip_uv *uv, void *ud);
    void *close_ud;
    int last_error;
    int flushing;
    gosip_tstamp timer_due;       /* the slot the timer is armed for */
    uint8_t *rxbuf;               /* GOSIP__UV_RXBUF bytes */
    uint8_t *udpbuf;              /* GOSIP__UV_MMSG * GOSIP__UV_RXBUF bytes, for UDP reads */
    uint8_t *plainbuf;            /* GOSIP__UV_PLAINBUF bytes */
    gosip__uv_dgrams *out_dgrams; /* datagrams of the flush in progress */
};

/* runtime.c */
void *gosip__uv_alloc(gosip_uv *uv, size_t n);
void gosip__uv_free(gosip_uv *uv, void *p);
gosip_tstamp gosip__uv_now(void);
void gosip__uv_flush(gosip_uv *uv);
void gosip__uv_handle_closed(gosip_uv *uv);
void gosip__uv_set_error(gosip_uv *uv, int uv_err);
void gosip__uv_report(gosip_uv *uv, int code, int sys_error, gosip_tp_kind kind,
                      const gosip_addr *peer, const char *reason);
void gosip__uv_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void gosip__uv_udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
int gosip__uv_sa_from_addr(const gosip_addr *a, struct sockaddr_storage *ss);
int gosip__uv_addr_from_sa(const struct sockaddr *sa, gosip_addr *a);

int gosip__uv_create(gosip_uv **out, uv_loop_t *loop, const gosip_uv_config *cfg,
                     gosip_stack *stack, const gosip_tp_callbacks *cb, void *user_data);

/* stack_glue.c */
void gosip__uv_stack_attach(gosip_uv *uv);
void gosip__uv_stack_close(gosip_uv *uv);
void gosip__uv_stack_release(gosip_uv *uv);

/* listen.c */
void gosip__uv_udp_send(gosip_uv *uv, const gosip_tx *tx);

/* udp_batch.c: the datagrams of one flush, sent with one sendmmsg per socket */
gosip__uv_dgrams *gosip__uv_dgrams_new(gosip_uv *uv);
void gosip__uv_dgrams_free(gosip_uv *uv, gosip__uv_dgrams *d);
/** Takes tx (and its buffer reference); sends the batch when it is full. */
void gosip__uv_dgrams_add(gosip_uv *uv, gosip__uv_dgrams *d, const gosip_tx *tx);
/** Drops what was added for lp (being removed). */
void gosip__uv_dgrams_purge_lp(gosip__uv_dgrams *d, const gosip_lp *lp);
/** Sends what was added, in order; error reports go through gosip__uv_udp_send's path. */
void gosip__uv_dgrams_send(gosip_uv *uv, gosip__uv_dgrams *d);
void gosip__uv_lp_close_all(gosip_uv *uv);

/* conn.c */
void gosip__uv_accept(gosip__uv_lp *ulp);
void gosip__uv_connect(gosip_uv *uv, const gosip_tx *tx);
void gosip__uv_stream_write(gosip_uv *uv, const gosip_tx *tx);
void gosip__uv_stream_close(gosip_uv *uv, const gosip_tx *tx);
void gosip__uv_conn_fail(gosip__uv_conn *uc, int sys_error, int code, const char *reason);
void gosip__uv_conn_close_handle(gosip__uv_conn *uc);
void gosip__uv_conn_close_all(gosip_uv *uv);
int gosip__uv_write_bytes(gosip__uv_conn *uc, const uint8_t *p, size_t n, gosip_buf *ref);
void gosip__uv_conn_deliver(gosip__uv_conn *uc, const uint8_t *p, size_t n);
void gosip__uv_hs_set(gosip__uv_conn *uc, gosip_tstamp deadline);
gosip_tstamp gosip__uv_hs_expire(gosip_uv *uv, gosip_tstamp now);

/* conn_tls.c */
int gosip__uv_tls_attach(gosip__uv_conn *uc, const char *host);
void gosip__uv_tls_on_read(gosip__uv_conn *uc, const uint8_t *p, size_t n);
void gosip__uv_tls_send(gosip__uv_conn *uc, gosip_buf *b);
void gosip__uv_tls_flush_cipher(gosip__uv_conn *uc);

#endif
