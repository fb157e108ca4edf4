/*
 * Stateless answering (RFC 3261 8.2): validate each request as a UAS, answer what
 * validation rejects with the response it names, answer OPTIONS (or, with --answer-all,
 * every request but ACK) with a final response, and never answer ACK.
 */
#define _POSIX_C_SOURCE 200809L /* <uv.h> needs POSIX types */

#include "responder.h"

#include <stdio.h>

#include <uv.h>

#include <gosip/msg.h>

/* Without --answer-all only OPTIONS is served: other methods get 405 from validation. */
static const gosip_method options_only[] = {GOSIP_METHOD_OPTIONS};

#define ALLOW_OPTIONS "OPTIONS"
#define ALLOW_ALL                                                                                  \
    "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, PRACK, SUBSCRIBE, NOTIFY, PUBLISH, INFO, "       \
    "REFER, MESSAGE, UPDATE"

enum { TAG_LEN = 13 };

void responder_init(responder *r, int answer_all)
{
    r->answer_all = answer_all;
    if (answer_all) {
        r->vopts.methods = NULL; /* every known method; unknown ones still get 501 */
        r->vopts.n_methods = 0;
        r->allow = GOSIP_STR(ALLOW_ALL);
    } else {
        r->vopts.methods = options_only;
        r->vopts.n_methods = 1;
        r->allow = GOSIP_STR(ALLOW_OPTIONS);
    }
}

static uint64_t fnv1a(uint64_t h, gosip_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        h ^= (unsigned char)s.p[i];
        h *= 1099511628211u;
    }
    return h;
}

/*
 * The To tag is a keyed hash of Call-ID and From tag rather than a random token: a
 * stateless UAS keeps no record of what it sent, yet a retransmitted request must get
 * the same tag (RFC 3261 8.2.6.2), and it also spares a getrandom() call per message.
 */
static void make_tag(const responder *r, const gosip_msg *req, char tag[TAG_LEN])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint64_t h = 14695981039346656037u ^ r->tag_secret;
    const gosip_nameaddr *from = gosip_msg_from(req);

    h = fnv1a(h, gosip_msg_call_id(req));
    if (from)
        h = fnv1a(h, from->tag);
    for (int i = 0; i < TAG_LEN; i++) {
        tag[i] = alphabet[h & 31u];
        h >>= 5;
    }
}

/* RFC 3261 11.2: an OPTIONS answer says what this UAS allows, accepts and supports. */
static int add_capabilities(const responder *r, gosip_msg *resp)
{
    int rc =
        gosip_msg_add_hdr_kind(resp, GOSIP_HDR_ALLOW, r->allow, GOSIP_WHERE_APPEND, NULL, NULL);
    if (rc == 0)
        rc = gosip_msg_add_hdr_kind(resp, GOSIP_HDR_ACCEPT, GOSIP_STR("application/sdp"),
                                    GOSIP_WHERE_APPEND, NULL, NULL);
    /* No extension is implemented, so Supported lists none (its grammar allows that). */
    if (rc == 0)
        rc = gosip_msg_add_hdr(resp, GOSIP_STR("Supported"), GOSIP_STR(""), GOSIP_WHERE_APPEND,
                               NULL, NULL);
    return rc;
}

/* The status for a request that passed validation; 0 for none (ACK). */
static int status_for(const responder *r, const gosip_msg *req)
{
    gosip_method m = gosip_msg_method(req);

    if (m == GOSIP_METHOD_ACK)
        return 0;
    if (r->answer_all)
        return r->answer_all;
    if (m == GOSIP_METHOD_OPTIONS)
        return 200;
    /* Validation lets CANCEL through; a stateless UAS never has its transaction. */
    return 481;
}

static int build_answer(responder *r, const gosip_msg *req, int status, gosip_msg **out)
{
    char tag[TAG_LEN];
    int rc;

    make_tag(r, req, tag);
    rc = gosip_msg_new_response(out, req, status, GOSIP_STR_NULL, (gosip_str){tag, TAG_LEN});
    if (rc != 0)
        return rc;
    if (gosip_msg_method(req) == GOSIP_METHOD_OPTIONS && status >= 200 && status < 300) {
        rc = add_capabilities(r, *out);
        if (rc != 0) {
            gosip_msg_unref(*out);
            *out = NULL;
        }
    }
    return rc;
}

static void log_failure(const responder *r, const char *what, int rc)
{
    if (r->verbose)
        fprintf(stderr, "gosip-responder: %s: %s\n", what, gosip_strerror(rc));
}

static void send_answer(responder *r, gosip_msg *resp, const gosip_rx_info *rx)
{
    int rc = gosip_tp_send_response(r->tp, resp, rx, uv_hrtime());

    if (rc == 0) {
        r->st.answered++;
    } else {
        r->st.send_failed++;
        log_failure(r, "sending a response", rc);
    }
    gosip_msg_unref(resp);
}

/* Answers one request: the validation error, the configured answer, or nothing. */
static void answer_request(responder *r, gosip_msg *req, const gosip_rx_info *rx)
{
    gosip_verdict v;
    gosip_msg *resp = NULL;
    char tag[TAG_LEN];
    int status, rc;

    gosip_msg_validate(req, GOSIP_ROLE_UAS, &r->vopts, &v);
    if (v.status < 0 || (v.status > 0 && v.status < 300)) {
        r->st.dropped++;
        return;
    }
    if (v.status >= 300) {
        make_tag(r, req, tag);
        rc = gosip_msg_new_error_response(&resp, req, &v, &r->vopts, (gosip_str){tag, TAG_LEN});
        if (rc != 0) {
            r->st.send_failed++;
            log_failure(r, "building an error response", rc);
            return;
        }
        r->st.errors++;
        send_answer(r, resp, rx);
        return;
    }
    status = status_for(r, req);
    if (status == 0) {
        r->st.acks++;
        return;
    }
    rc = build_answer(r, req, status, &resp);
    if (rc != 0) {
        r->st.send_failed++;
        log_failure(r, "building a response", rc);
        return;
    }
    send_answer(r, resp, rx);
}

/* The message's reference belongs to the transport: it is not kept past this callback. */
void responder_on_message(gosip_transport *tp, gosip_msg *msg, const gosip_rx_info *rx, void *ud)
{
    responder *r = ud;

    (void)tp;
    if (!gosip_msg_is_request(msg)) {
        r->st.dropped++; /* a stateless UAS sent nothing a response could answer */
        return;
    }
    r->st.requests++;
    answer_request(r, msg, rx);
    if (r->count_limit && r->st.requests == r->count_limit && r->on_limit)
        r->on_limit(r);
}

void responder_on_error(gosip_transport *tp, const gosip_tp_error *err, void *ud)
{
    responder *r = ud;
    char peer[64];

    (void)tp;
    r->st.tp_errors++;
    if (r->verbose) {
        gosip_addr_print(&err->peer, peer, sizeof peer);
        fprintf(stderr, "gosip-responder: %s %s: %s (%s)\n", gosip_tp_kind_name(err->kind), peer,
                err->reason ? err->reason : "error", gosip_strerror(err->code));
    }
}
