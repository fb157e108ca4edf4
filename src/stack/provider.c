/* The provider: transactions created and messages sent statelessly (gosip/stack.h). */
#include "dialog/dialog_internal.h"

#include <string.h>

#define COOKIE "z9hG4bK"

/* A top Via with an RFC 3261 branch: added when missing (its transport and sent-by are
 * written by the transport when the request leaves), or its branch replaced when it has
 * none or one without the magic cookie. */
static int ensure_branch(gosip_stack *s, gosip_msg *req)
{
    char branch[sizeof COOKIE - 1 + 16] = COOKIE;
    gosip__stack_random(s, branch + sizeof COOKIE - 1, 16);
    gosip_str b = {branch, sizeof branch};
    const gosip_hdr *h = gosip_msg_hdr(req, GOSIP_HDR_VIA);
    const gosip_via *v = gosip_msg_via(req);
    if (!h) {
        char via[64];
        memcpy(via, "SIP/2.0/UDP 0.0.0.0;rport;branch=", 33);
        memcpy(via + 33, branch, sizeof branch);
        return gosip_msg_add_hdr_kind(req, GOSIP_HDR_VIA, (gosip_str){via, 33 + sizeof branch},
                                      GOSIP_WHERE_TOP, NULL, NULL);
    }
    if (!v)
        return GOSIP_ERR_INVALID_ARG;
    if (v->branch.n > sizeof COOKIE - 1 && memcmp(v->branch.p, COOKIE, sizeof COOKIE - 1) == 0)
        return 0;
    return gosip_msg_set_param(req, h, GOSIP_STR("branch"), b, 0);
}

int gosip_provider_new_client_txn(gosip_provider *p, gosip_msg *req, gosip_txn **out)
{
    if (!p || !req || !out || !gosip_msg_is_request(req) ||
        gosip_msg_method(req) == GOSIP_METHOD_ACK || !gosip_msg_request_uri(req))
        return GOSIP_ERR_INVALID_ARG;
    gosip_stack *s = p->stack;
    if (s->dead)
        return GOSIP_ERR_STATE;
    int rc = ensure_branch(s, req);
    if (rc)
        return rc;
    gosip_txn *t = NULL;
    rc = gosip__txn_obj_new(s, req, GOSIP__TXN_F_CLIENT, &t);
    if (rc)
        return rc;
    rc = gosip__txn_index_add_client(s->index, req, t, &t->entry);
    if (rc) {
        t->internal = 1; /* never seen by the application: no events */
        gosip__txn_end(t, 0);
        gosip_txn_unref(t);
        return rc;
    }
    s->stats.client_txns++;
    *out = t;
    return 0;
}

int gosip_provider_new_server_txn(gosip_provider *p, gosip_msg *req, gosip_txn **out)
{
    gosip_rx_info rx;
    if (!p || !req || !out || !gosip_msg_is_request(req) ||
        gosip_msg_method(req) == GOSIP_METHOD_ACK || gosip__stack_get_origin(req, &rx) != 0)
        return GOSIP_ERR_INVALID_ARG;
    gosip_stack *s = p->stack;
    if (s->dead)
        return GOSIP_ERR_STATE;
    gosip_txn *t = NULL; /* a retransmission is refused by the index (EXISTS) */
    int rc = gosip__txn_obj_new(s, req, 0, &t);
    if (rc)
        return rc;
    t->rx = rx;
    rc = gosip__txn_index_add_server(s->index, req, t, &t->entry);
    if (!rc)
        rc = gosip__txn_fsm_new(t, gosip_tp_kind_reliable(rx.kind));
    if (!rc)
        rc = gosip__txn_server_start(t->fsm, req, s->now);
    if (rc) {
        t->internal = 1;
        gosip__txn_end(t, 0);
        gosip_txn_unref(t);
        return rc;
    }
    t->started = 1;
    gosip_dialog *d = s->auto_dialog ? gosip__dialog_for_request(s, req) : NULL;
    if (d) {
        t->dialog = gosip_dialog_ref(d);
        if (t->is_invite)
            d->invite_in = t;
    }
    if (t->is_invite && s->cfg.trying_delay != GOSIP_TSTAMP_NONE)
        t->trying_at = s->now + s->cfg.trying_delay;
    gosip__timers_update(s, t);
    s->stats.server_txns++;
    *out = t;
    return 0;
}

int gosip_provider_send_request(gosip_provider *p, gosip_msg *req, gosip_tstamp now)
{
    if (!p || !req || !gosip_msg_is_request(req) || !gosip_msg_request_uri(req) ||
        now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    gosip_stack *s = p->stack;
    if (s->dead)
        return GOSIP_ERR_STATE;
    int add_via = gosip_msg_hdr(req, GOSIP_HDR_VIA) == NULL;
    int rc = add_via ? ensure_branch(s, req) : 0;
    gosip_txn *t = NULL;
    if (!rc)
        rc = gosip__txn_obj_new(s, req, GOSIP__TXN_F_STATELESS, &t);
    if (rc)
        return rc;
    s->now = now;
    t->add_via = (unsigned char)add_via;
    t->started = 1;
    gosip__stack_hold(s);
    gosip__client_route(t);
    gosip_txn_unref(t);
    gosip__stack_drop(s);
    return 0;
}

int gosip_provider_send_response(gosip_provider *p, gosip_msg *resp, gosip_tstamp now)
{
    if (!p || !resp || gosip_msg_is_request(resp) || !gosip_msg_via(resp) ||
        now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    gosip_stack *s = p->stack;
    if (s->dead)
        return GOSIP_ERR_STATE;
    s->now = now;
    gosip_rx_info rx;
    int have = gosip__stack_get_origin(resp, &rx) == 0;
    return gosip_tp_send_response(s->tp, resp, have ? &rx : NULL, now);
}
