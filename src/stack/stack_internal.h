/*
 * Internal state of the stack layer (gosip/stack.h, gosip/txn.h), shared by
 * stack.c (lifetime, time, the deferred free), rx.c (received messages), txn.c (the
 * public transaction over a state machine), txn_client.c (routing, resolution and
 * failover of requests), provider.c and timers.c (the deadline heap).
 */
#ifndef GOSIP_STACK_STACK_INTERNAL_H
#define GOSIP_STACK_STACK_INTERNAL_H

#include <gosip/stack.h>

#include "txn/fsm.h"
#include "txn/index.h"
#include "msg/msg_origin.h"

struct gosip_provider {
    gosip_stack *stack;
};

/* Targets of a request and where it stands in them (RFC 3263 4.3: tried in order). */
typedef struct gosip__route {
    gosip_target *targets; /* host strings point into `names` */
    char *names;
    size_t n, next;
    gosip_target cur; /* the target of the current attempt */
    gosip_resolve_query *query;
} gosip__route;

/* The To tags the stack makes for its own responses. */
#define GOSIP__STACK_TAG_LEN 10

struct gosip_txn {
    unsigned refs;
    gosip_stack *stack;
    gosip__txn *fsm;         /* the current attempt's state machine; NULL once ended */
    gosip__txn_entry *entry; /* in the matching index, NULL when not */
    gosip_txn *prev, *next;  /* the stack's list of live transactions */
    void *data;
    gosip_msg *request;       /* client: as given; server: as received */
    gosip_msg *attempt;       /* client: what the current attempt sends (request or a copy) */
    gosip_msg *last_response; /* kept once the state machine is gone */
    gosip_rx_info rx;         /* server: where the request came from */
    gosip__route route;       /* client and stateless sends */
    gosip_tstamp t1, t2, t4;  /* 0: the stack's */
    gosip_tstamp trying_at;   /* automatic 100 Trying, NONE when not armed */
    gosip_tstamp deadline;    /* key in the stack's heap */
    size_t heap_idx;          /* position in the heap, SIZE_MAX when not in it */
    unsigned char is_client;
    unsigned char is_invite;
    unsigned char started;
    unsigned char ended;       /* terminated event delivered (or suppressed) */
    unsigned char outcome;     /* client: a final response, timeout or error was delivered */
    unsigned char provisional; /* client INVITE: a 1xx arrived (no failover after it) */
    unsigned char internal;    /* created by the stack (auto CANCEL): no events */
    unsigned char stateless;   /* a stateless send waiting for its target */
    unsigned char reliable;
    unsigned char counted;   /* counts against max_transactions */
    unsigned char delivered; /* the last input reached the application */
    unsigned char add_via;   /* stateless send of a request the stack gave a Via */
    unsigned char cancelled; /* client INVITE: the application cancelled it */
    unsigned char retries;   /* client re-INVITE: 491 retries made */
    unsigned char confirmed; /* client INVITE: dialogs confirmed by its 2xx */
    gosip_dialog *dialog;    /* the dialog it belongs to or created first */
    gosip_tstamp rtx2xx_at;  /* callee: next 2xx retransmission (13.3.1.4), NONE when off */
    gosip_tstamp rtx2xx_ival;
    gosip_tstamp retry_at; /* caller: re-INVITE retry after 491 (14.1), NONE when off */
    unsigned err_round;    /* marked for the transport error being handled; 0: not */
    char cancel_tag[GOSIP__STACK_TAG_LEN]; /* server: the To tag a CANCEL's 200 carried */
    unsigned char has_cancel_tag;          /* (9.2: the final response repeats it) */
};

#define GOSIP__TXN_F_CLIENT 1u
#define GOSIP__TXN_F_INTERNAL 2u
#define GOSIP__TXN_F_STATELESS 4u

struct gosip_stack {
    unsigned refs; /* 1 for the application + 1 per transaction object */
    gosip_mem mem;
    gosip_config cfg; /* strings point at copies owned by the stack */
    gosip_listener lis;
    void *ud;
    gosip_provider provider;
    gosip_transport *tp;
    gosip__txn_index *index;
    gosip_resolver resolver;
    gosip_stack_stats stats;
    gosip_validate_opts vopts;
    const char **ext; /* option tags split from cfg.supported */
    char *ext_buf;
    gosip_uri *proxy_uri; /* parsed outbound proxy, or NULL */
    gosip_txn *live;      /* every transaction not yet ended */
    size_t n_live;        /* those counted against max_transactions */
    unsigned err_round;   /* transport errors seen: each reaches a transaction once */
    size_t n_objs;        /* every object in `live` (each owns a heap slot) */
    gosip_txn **heap;     /* deadlines: a binary min-heap */
    size_t heap_len, heap_cap;
    char rpool[512]; /* random token characters not yet used */
    size_t rpool_left;
    gosip_tstamp now;      /* `now` of the input being processed */
    unsigned depth;        /* listener callbacks in progress */
    gosip_dialog *dialogs; /* live dialogs */
    size_t n_dialogs;
    gosip_dialog **dtab; /* dialogs by (Call-ID, local tag, remote tag) */
    uint64_t dkey[2];    /* key of the dialog table's hash */
    size_t dtab_size;
    int auto_dialog;
    gosip_str dmethods[16]; /* registered dialog-creating methods (owned) */
    unsigned n_dmethods;
    unsigned char dead;         /* gosip_stack_free was called */
    unsigned char pending_free; /* ... from a callback: release when the input unwinds */
};

/* stack.c */
void *gosip__stack_alloc(gosip_stack *s, size_t n);
void *gosip__stack_calloc(gosip_stack *s, size_t n);
void gosip__stack_free_mem(gosip_stack *s, void *p);
/* Drops a reference to the stack shell (freed with the last one). */
void gosip__stack_unref(gosip_stack *s);
/* Entry and exit of a public input: checks re-entrancy and releases a stack freed from a
 * callback once the outermost input unwinds. enter returns 0 or an error to return. */
int gosip__stack_enter(gosip_stack *s, gosip_tstamp now);
void gosip__stack_leave(gosip_stack *s);
/* Around API calls that may call back (allowed inside callbacks too): a stack freed by one
 * of those callbacks is released when the outermost call returns. */
void gosip__stack_hold(gosip_stack *s);
#define gosip__stack_drop gosip__stack_leave
/* Calls listener member `fn` with the depth counted. */
#define GOSIP__EMIT(s, fn, ev)                                                                     \
    do {                                                                                           \
        if ((s)->lis.fn && !(s)->dead) {                                                           \
            (s)->depth++;                                                                          \
            (s)->lis.fn(&(s)->provider, (ev), (s)->ud);                                            \
            (s)->depth--;                                                                          \
        }                                                                                          \
    } while (0)
/* A random token of n characters for branches and tags. */
void gosip__stack_random(gosip_stack *s, char *buf, size_t n);

/* timers.c */
int gosip__timers_reserve(gosip_stack *s, size_t objs);
void gosip__timers_update(gosip_stack *s, gosip_txn *t);
void gosip__timers_remove(gosip_stack *s, gosip_txn *t);
gosip_tstamp gosip__timers_next(const gosip_stack *s);
void gosip__timers_fire(gosip_stack *s, gosip_tstamp now);

/* txn.c */
/* A new object with two references (the caller's and the stack's); flags GOSIP__TXN_F_*.
 * Errors: LIMIT (max_transactions, for counted objects), NOMEM. */
int gosip__txn_obj_new(gosip_stack *s, gosip_msg *req, unsigned flags, gosip_txn **out);
/* Builds and starts the state machine of an attempt; kind from the request method. */
int gosip__txn_fsm_new(gosip_txn *t, int reliable);
/* Ends the transaction: index and heap removal, on_transaction_terminated (unless
 * internal), the stack's reference dropped. reason 0 or GOSIP_ERR_DESTROYED. */
void gosip__txn_end(gosip_txn *t, int reason);
/* Delivers the client's single outcome as an I/O error (no-op when it had one). */
void gosip__txn_fail(gosip_txn *t, int code, int sys_error, const char *reason);
/* Deadline of t: its state machine's timers and the automatic 100 Trying. */
gosip_tstamp gosip__txn_deadline(const gosip_txn *t);
void gosip__txn_expire(gosip_txn *t, gosip_tstamp now);
/* A message matched to t arrived (response for a client, request for a server). */
void gosip__txn_on_message(gosip_txn *t, gosip_msg *m, const gosip_rx_info *rx);
/* A transport failure concerns t's current attempt. */
void gosip__txn_on_tp_error(gosip_txn *t, int code);

/* txn_client.c */
/* Applies the route set and next hop, then resolves and starts the first attempt. */
void gosip__client_route(gosip_txn *t);
/* Targets arrived (or failed) for t. */
void gosip__client_targets(gosip_txn *t, int status, const gosip_target *targets, size_t n);
/* Starts the next attempt after a failure: 0 when the failure is handled (an attempt
 * started, or the transaction ended when it could not), else an error and nothing changed. */
int gosip__client_failover(gosip_txn *t);
/* Sends the request again with CSeq `seq` and a new branch to the same target (491). */
int gosip__client_retry(gosip_txn *t, uint32_t seq);
void gosip__route_clear(gosip_stack *s, gosip__route *r);

/* rx.c */
extern const gosip_tp_callbacks gosip__stack_tp_callbacks;
/* Records where a received request came from (inherited by its responses). */
void gosip__stack_set_origin(gosip_msg *m, const gosip_rx_info *rx);
int gosip__stack_get_origin(const gosip_msg *m, gosip_rx_info *rx);
/* Sends a stateless response built from req (to_tag NULL: a fresh one; counted). */
/* Passes a request up (cancelled: the INVITE a CANCEL matches; d: its dialog). */
void gosip__stack_emit_request(gosip_stack *s, gosip_msg *m, const gosip_rx_info *rx,
                               gosip_txn *cancelled, gosip_dialog *d);
void gosip__stack_reply(gosip_stack *s, gosip_msg *req, int status, const char *extra_hdr,
                        gosip_str extra_val);

#endif
