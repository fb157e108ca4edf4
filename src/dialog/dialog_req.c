/*
 * Requests within a dialog (RFC 3261 12.2.1.1), the calls that send them and end the
 * dialog, and the offer/answer events of the session.
 */
#include "dialog/dialog_internal.h"

#include <stdio.h>
#include <string.h>

static int add(gosip_msg *m, gosip_hdr_kind kind, gosip_str value)
{
    return gosip_msg_add_hdr_kind(m, kind, value, GOSIP_WHERE_APPEND, NULL, NULL);
}

/* A route whose URI has no lr parameter is a strict router (12.2.1.1). */
static int strict_first(const gosip_dialog *d, gosip_msg *scratch, gosip_str *uri)
{
    if (!d->n_routes)
        return 0;
    const gosip_hdr *h = NULL;
    if (gosip_msg_add_hdr_kind(scratch, GOSIP_HDR_ROUTE, d->routes[0], GOSIP_WHERE_APPEND, NULL,
                               &h) != 0)
        return 0;
    const gosip_nameaddr *na = gosip_hdr_nameaddr(h);
    if (!na || !na->uri || gosip_uri_param(na->uri, "lr"))
        return 0;
    *uri = na->uri->raw;
    return 1;
}

static int add_routes(const gosip_dialog *d, gosip_msg *m, int strict)
{
    int rc = 0;
    for (size_t i = strict ? 1 : 0; i < d->n_routes && !rc; i++)
        rc = add(m, GOSIP_HDR_ROUTE, d->routes[i]);
    if (!rc && strict) {
        char buf[1024];
        int n = snprintf(buf, sizeof buf, "<%.*s>", (int)d->remote_target.n, d->remote_target.p);
        rc = n > 0 && (size_t)n < sizeof buf ? add(m, GOSIP_HDR_ROUTE, (gosip_str){buf, (size_t)n})
                                             : GOSIP_ERR_INVALID_ARG;
    }
    return rc;
}

static int add_cseq(gosip_msg *m, uint32_t seq, gosip_str method)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%u %.*s", seq, (int)method.n, method.p);
    if (n < 0 || (size_t)n >= sizeof buf)
        return GOSIP_ERR_INVALID_ARG;
    return add(m, GOSIP_HDR_CSEQ, (gosip_str){buf, (size_t)n});
}

int gosip__dialog_build(gosip_dialog *d, gosip_str method, uint32_t seq, gosip_msg **out)
{
    gosip_stack *s = d->stack;
    gosip_msg *m = NULL;
    int rc = gosip_msg_new(&m, &s->mem);
    if (rc)
        return rc;
    gosip_str ruri = d->remote_target;
    int strict = strict_first(d, m, &ruri);
    gosip_msg_remove_all(m, GOSIP_HDR_ROUTE);
    rc = gosip_msg_set_request_line(m, method, ruri);
    if (!rc)
        rc = add(m, GOSIP_HDR_MAX_FORWARDS, GOSIP_STR("70"));
    if (!rc)
        rc = add(m, GOSIP_HDR_TO, d->remote_party);
    if (!rc)
        rc = add(m, GOSIP_HDR_FROM, d->local_party);
    if (!rc)
        rc = add(m, GOSIP_HDR_CALL_ID, d->call_id);
    if (!rc)
        rc = add_cseq(m, seq, method);
    if (!rc && d->local_contact.p)
        rc = add(m, GOSIP_HDR_CONTACT, d->local_contact);
    if (!rc)
        rc = add_routes(d, m, strict);
    if (!rc)
        rc = add(m, GOSIP_HDR_CONTENT_LENGTH, GOSIP_STR("0"));
    if (rc) {
        gosip_msg_unref(m);
        return rc;
    }
    *out = m;
    return 0;
}

int gosip_dialog_new_request(gosip_dialog *d, gosip_str method, gosip_msg **out)
{
    if (!d || !out || !method.p || !method.n || gosip_str_caseeq_cstr(method, "ACK") ||
        gosip_str_caseeq_cstr(method, "CANCEL"))
        return GOSIP_ERR_INVALID_ARG;
    if (d->ended)
        return GOSIP_ERR_STATE;
    if (d->local_seq == 0) {
        /* the callee's first request: any start below 2^31 (12.2.1.1) */
        char r[4];
        gosip__stack_random(d->stack, r, sizeof r);
        d->local_seq = ((uint32_t)(uint8_t)r[0] << 8 | (uint8_t)r[1]) + 1;
    }
    int rc = gosip__dialog_build(d, method, d->local_seq + 1, out);
    if (!rc)
        d->local_seq++;
    return rc;
}

int gosip_dialog_send_request(gosip_dialog *d, gosip_msg *req, gosip_txn **out, gosip_tstamp now)
{
    if (!d || !req)
        return GOSIP_ERR_INVALID_ARG;
    if (d->ended)
        return GOSIP_ERR_STATE;
    int invite = gosip_msg_method(req) == GOSIP_METHOD_INVITE;
    if (invite && (d->invite_out || d->invite_in))
        return GOSIP_ERR_STATE;
    gosip_txn *t = NULL;
    int rc = gosip_provider_new_client_txn(&d->stack->provider, req, &t);
    if (rc)
        return rc;
    t->dialog = gosip_dialog_ref(d);
    if (invite) {
        d->invite_out = t;
        if (gosip_msg_body(req).p)
            d->oa_offer_out = 1;
    }
    rc = gosip_txn_send_request(t, now);
    if (out)
        *out = t;
    else
        gosip_txn_unref(t);
    return rc;
}

/* ---------------------------------------------------------------- ending */

static int send_in_dialog(gosip_dialog *d, const char *method, gosip_tstamp now)
{
    gosip_msg *req = NULL;
    int rc = gosip_dialog_new_request(d, gosip_str_from_cstr(method), &req);
    if (rc)
        return rc;
    gosip_txn *t = NULL;
    rc = gosip_provider_new_client_txn(&d->stack->provider, req, &t);
    gosip_msg_unref(req);
    if (rc)
        return rc;
    t->dialog = gosip_dialog_ref(d);
    t->internal = 1; /* the stack's own request: its events stay inside */
    rc = gosip_txn_send_request(t, now);
    gosip_txn_unref(t);
    return rc;
}

/* Sends BYE; the dialog ends when its final response (or failure) comes back. */
int gosip__dialog_send_bye(gosip_dialog *d, gosip_tstamp now)
{
    d->ending = 1;
    return send_in_dialog(d, "BYE", now);
}

static int reject_early(gosip_dialog *d, gosip_tstamp now)
{
    gosip_txn *ist = d->invite_in ? d->invite_in : d->origin;
    gosip_msg *resp = NULL;
    if (!ist || ist->ended)
        return GOSIP_ERR_STATE;
    int rc = gosip_msg_new_response(&resp, ist->request, 487, GOSIP_STR_NULL, d->local_tag);
    if (!rc)
        rc = gosip_txn_send_response(ist, resp, now);
    gosip_msg_unref(resp);
    return rc;
}

static int cancel_early(gosip_dialog *d, gosip_tstamp now)
{
    gosip_txn *ict = d->origin;
    gosip_msg *cancel = NULL;
    gosip_txn *ct = NULL;
    if (!ict || ict->ended)
        return GOSIP_ERR_STATE;
    ict->cancelled = 1;
    int rc = gosip_txn_new_cancel(ict, &cancel);
    if (!rc)
        rc = gosip_provider_new_client_txn(&d->stack->provider, cancel, &ct);
    gosip_msg_unref(cancel);
    if (rc)
        return rc;
    ct->internal = 1;
    rc = gosip_txn_send_request(ct, now);
    gosip_txn_unref(ct);
    return rc;
}

int gosip_dialog_bye(gosip_dialog *d, gosip_tstamp now)
{
    if (!d)
        return GOSIP_ERR_INVALID_ARG;
    if (d->ended || d->ending)
        return GOSIP_ERR_STATE;
    gosip_stack *s = d->stack;
    if (now != GOSIP_TSTAMP_NONE)
        s->now = now;
    gosip__stack_hold(s);
    gosip_dialog_ref(d);
    int rc;
    if (d->state == GOSIP_DIALOG_CONFIRMED) {
        rc = gosip__dialog_send_bye(d, s->now);
    } else {
        d->ending = 1;
        rc = d->is_server ? reject_early(d, s->now) : cancel_early(d, s->now);
    }
    gosip_dialog_unref(d);
    gosip__stack_drop(s);
    return rc;
}

int gosip_dialog_terminate(gosip_dialog *d, gosip_tstamp now)
{
    if (!d)
        return GOSIP_ERR_INVALID_ARG;
    if (d->ended)
        return GOSIP_ERR_STATE;
    gosip_stack *s = d->stack;
    if (now != GOSIP_TSTAMP_NONE)
        s->now = now;
    gosip__stack_hold(s);
    gosip__dialog_end(d, GOSIP_DIALOG_END_DESTROYED);
    gosip__stack_drop(s);
    return 0;
}

/* ---------------------------------------------------------------- offer and answer */

static void emit_oa(gosip_dialog *d, gosip_msg *m, gosip_oa_kind kind)
{
    gosip_stack *s = d->stack;
    gosip_oa_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.dialog = d;
    ev.dialog_data = d->data;
    ev.msg = m;
    const gosip_hdr *ct = gosip_msg_hdr(m, GOSIP_HDR_CONTENT_TYPE);
    ev.content_type = ct ? gosip_hdr_value(ct) : GOSIP_STR_NULL;
    ev.body = gosip_msg_body(m);
    ev.now = s->now;
    GOSIP__EMIT(s, on_offer_answer, &ev);
}

/* A body in an INVITE or 2xx is an offer unless ours awaits its answer; in an ACK it is
 * the answer to the offer our 2xx made. */
void gosip__oa_received(gosip_dialog *d, gosip_msg *m, int is_invite_or_2xx)
{
    if (!gosip_msg_body(m).p)
        return;
    if (d->oa_offer_out) {
        d->oa_offer_out = 0;
        emit_oa(d, m, GOSIP_OA_REMOTE_ANSWER);
    } else if (is_invite_or_2xx) {
        emit_oa(d, m, GOSIP_OA_REMOTE_OFFER);
    }
}

void gosip__oa_need(gosip_dialog *d, gosip_msg *m, gosip_oa_kind kind)
{
    d->oa_need = 1;
    d->oa_msg = m;
    emit_oa(d, m, kind);
    d->oa_need = 0;
    d->oa_msg = NULL;
    if (kind == GOSIP_OA_NEED_OFFER && gosip_msg_body(m).p)
        d->oa_offer_out = 1;
}

int gosip_dialog_set_body(gosip_dialog *d, gosip_str content_type, const void *body, size_t len)
{
    if (!d || !d->oa_need || !d->oa_msg)
        return GOSIP_ERR_STATE;
    return gosip_msg_set_body(d->oa_msg, content_type, body, len);
}
