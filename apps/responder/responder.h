/*
 * The answering half of gosip-responder: what a stateless UAS does with each message the
 * transport delivers. Kept apart from main.c so that the sockets, signals and options there
 * stay separate from the SIP decisions here.
 */
#ifndef GOSIP_RESPONDER_H
#define GOSIP_RESPONDER_H

#include <stdint.h>

#include <gosip/transport.h>

/** Counters printed on exit and on SIGUSR1. */
typedef struct resp_stats {
    uint64_t requests;    /**< every request received, ACK included */
    uint64_t answered;    /**< responses handed to the transport without error */
    uint64_t errors;      /**< of those, error responses chosen by validation (4xx..6xx) */
    uint64_t acks;        /**< ACKs, never answered */
    uint64_t dropped;     /**< requests validation says to drop, and stray responses */
    uint64_t send_failed; /**< responses the transport refused (no route, limits) */
    uint64_t tp_errors;   /**< transport error events (connections failed or closed on error) */
} resp_stats;

typedef struct responder responder;

struct responder {
    gosip_transport *tp;
    int answer_all;       /**< 0, or the status to answer every non-ACK request with */
    uint64_t count_limit; /**< 0: none; else on_limit runs once when requests reach it */
    uint64_t tag_secret;  /**< keys the To tags, so another run gives other tags */
    int verbose;
    gosip_validate_opts vopts;
    gosip_str allow; /**< Allow header value of OPTIONS answers */
    resp_stats st;
    void (*on_limit)(responder *r);
    void *app;
};

/** Sets the method policy: OPTIONS only, or every method with answer_all. */
void responder_init(responder *r, int answer_all);

/** gosip_tp_callbacks.on_message; user data is the responder. */
void responder_on_message(gosip_transport *tp, gosip_msg *msg, const gosip_rx_info *rx, void *ud);
/** gosip_tp_callbacks.on_error; user data is the responder. */
void responder_on_error(gosip_transport *tp, const gosip_tp_error *err, void *ud);

#endif
