/*
 * Internal state of the sans-I/O transport core (gosip/transport.h), shared by the
 * files of src/transport/. Nothing here reads a clock or touches a socket.
 */
#ifndef GOSIP_TRANSPORT_TP_INTERNAL_H
#define GOSIP_TRANSPORT_TP_INTERNAL_H

#include <gosip/transport.h>

#include "base/arena.h"

/* Bytes the stream buffer may hold beyond limits.max_msg_size: a keep-alive held while
 * waiting to know whether it is a ping (at most 3 octets) and some slack. */
#define GOSIP__TP_RBUF_SLACK 16u
/* First allocation of a stream buffer; it doubles up to the limit. */
#define GOSIP__TP_RBUF_MIN 2048u

struct gosip_buf {
    const gosip_mem *mem;
    unsigned refs;
    size_t len;
    gosip_buf *qnext; /* link in a connection's pre-open queue (a buf is in one at most) */
    uint8_t data[];
};

struct gosip_lp {
    gosip_transport *tp;
    gosip_lp *next;
    gosip_tp_kind kind;
    gosip_addr addr;
    char *sent_by;       /* host advertised in Via (IPv6 in brackets), NUL-terminated */
    size_t sent_by_len;
    gosip_addr sent_by_addr; /* family 0 when sent_by is a name */
    unsigned nconns;     /* connections still referring to this lp */
    int removed;         /* freed when removed and nconns reaches 0 */
    void *data;
};

typedef enum conn_state {
    GOSIP__CONN_OPENING = 0, /* CONNECT issued, waiting for gosip_tp_conn_opened */
    GOSIP__CONN_OPEN,
    GOSIP__CONN_CLOSING      /* CLOSE issued or peer gone: waiting for gosip_tp_conn_closed */
} gosip__conn_state;

struct gosip_conn {
    gosip_transport *tp;
    gosip_lp *lp;
    gosip_tp_kind kind;
    gosip_addr peer;
    gosip__conn_state state;
    int inbound;
    int in_table;        /* in the reuse table (open or opening) */
    int busy;            /* inside gosip_tp_conn_recv: free is deferred */
    int dead;            /* gosip_tp_conn_closed came while busy */
    int close_queued;    /* on the close list */
    void *data;
    char *tls_host;
    size_t tls_host_len;
    /* receive side */
    uint8_t *rbuf;
    size_t rlen, rcap;
    gosip_framer framer;
    gosip_tstamp partial_since; /* first byte of an incomplete message, or NONE */
    /* timers */
    gosip_tstamp created;
    gosip_tstamp last_activity;
    gosip_tstamp deadline; /* NONE when not in the heap */
    size_t heap_idx;
    /* bytes waiting for the connection to open */
    gosip_buf *q_head, *q_tail;
    size_t q_bytes;
    unsigned tx_refs;    /* descriptors in the output queue naming this connection */
    /* links */
    gosip_conn *hnext;   /* reuse table chain */
    gosip_conn *prev, *next; /* all live connections */
    gosip_conn *cnext, *cprev; /* close list */
};

/* Inbound connection count of one source IP address. */
typedef struct gosip__src {
    struct gosip__src *next;
    uint8_t family;
    uint8_t ip[16];
    unsigned count;
} gosip__src;

struct gosip_transport {
    gosip_tp_config cfg;
    gosip_tp_callbacks cb;
    void *ud;
    gosip_tp_stats stats;
    unsigned depth;      /* callbacks in progress (re-entrancy guard) */
    gosip_tstamp now;    /* `now` of the latest input (gosip_tp_now) */
    gosip_lp *lps;
    /* output queue: a ring of descriptors */
    gosip_tx *txq;
    size_t tx_head, tx_len, tx_cap;
    gosip_conn *close_head, *close_tail; /* CLOSE descriptors to emit after txq */
    /* connections */
    gosip_conn *conns;   /* all live connections */
    unsigned nconns;
    gosip_conn **ctab;   /* reuse table keyed by (kind, peer) */
    size_t ctab_size;
    size_t ctab_count;
    gosip__src **stab;   /* per-source counts keyed by IP */
    size_t stab_size;
    gosip_conn **heap;   /* deadlines, a binary min-heap */
    size_t heap_len, heap_cap;
};

/* buffers and addresses (addr.c) */
gosip_buf *gosip__buf_new(const gosip_mem *mem, size_t len);
int gosip__buf_print(const gosip_mem *mem, const gosip_msg *m, gosip_buf **out);
int gosip__addr_ip_equal(const gosip_addr *a, const gosip_addr *b);
uint16_t gosip__default_port(gosip_tp_kind kind);

/* output queue (transport.c) */
int gosip__txq_push(gosip_transport *tp, const gosip_tx *tx);
void gosip__txq_purge_conn(gosip_transport *tp, const gosip_conn *c);
gosip_lp *gosip__lp_find(gosip_transport *tp, gosip_tp_kind kind, uint8_t family);
void gosip__lp_release(gosip_lp *lp);
void gosip__report(gosip_transport *tp, int code, int sys_error, gosip_tp_kind kind,
                   const gosip_addr *peer, gosip_conn *c, const char *reason);

/* connections (conn.c, conn_table.c) */
gosip_conn *gosip__conn_lookup(gosip_transport *tp, gosip_tp_kind kind, const gosip_addr *peer);
int gosip__conn_get(gosip_transport *tp, gosip_lp *lp, const gosip_addr *peer, gosip_str tls_host,
                    gosip_tstamp now, gosip_conn **out);
int gosip__conn_write(gosip_conn *c, gosip_buf *b, gosip_tstamp now);
void gosip__conn_close(gosip_conn *c, int code, const char *reason, int report);
void gosip__conn_schedule(gosip_conn *c);
int gosip__ctab_add(gosip_transport *tp, gosip_conn *c);
void gosip__ctab_remove(gosip_transport *tp, gosip_conn *c);
int gosip__src_inc(gosip_transport *tp, const gosip_addr *a, unsigned limit);
void gosip__src_dec(gosip_transport *tp, const gosip_addr *a);
int gosip__heap_reserve(gosip_transport *tp, size_t n);
void gosip__heap_set(gosip_transport *tp, gosip_conn *c, gosip_tstamp deadline);
void gosip__tables_free(gosip_transport *tp);

/* input (rx.c) */
void gosip__deliver(gosip_transport *tp, gosip_msg *m, const gosip_rx_info *rx);
/* Parses received bytes with the transport's allocator and limits. */
int gosip__tp_parse(gosip_transport *tp, const void *data, size_t len, gosip_framing framing,
                    gosip_msg **out);

#endif
