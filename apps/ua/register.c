/*
 * gosip-ua --register: binds the address of record to this agent's Contact (RFC 3261
 * 10.2) and refreshes the binding at half its granted lifetime, with one Call-ID and a
 * rising CSeq (10.2.4). Calls start after the first 2xx.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ua_app.h"

static struct registration {
    obj_kind kind; /* OBJ_REGISTRATION: the REGISTER transaction's data */
    gosip_txn *txn;
    uint32_t cseq;
    char call_id[CALL_ID_CAP];
    char aor[URI_CAP];
} reg = {.kind = OBJ_REGISTRATION};

static void release_txn(void)
{
    if (!reg.txn)
        return;
    gosip_txn_set_data(reg.txn, NULL);
    gosip_txn_unref(reg.txn);
    reg.txn = NULL;
}

void register_free(app *a)
{
    (void)a;
    release_txn();
}

static int send_register(app *a)
{
    gosip_msg *req = NULL;
    gosip_str id = reg.call_id[0] ? gosip_str_from_cstr(reg.call_id) : GOSIP_STR_NULL;
    char secs[24];
    int rc = app_new_request(a, GOSIP_METHOD_REGISTER, a->opt.registrar, id, ++reg.cseq, &req);

    if (rc == 0) {
        gosip_str got = gosip_msg_call_id(req);
        snprintf(reg.call_id, sizeof reg.call_id, "%.*s", (int)got.n, got.p);
        snprintf(secs, sizeof secs, "%" PRIu64, a->opt.expires);
        rc = gosip_msg_add_hdr_kind(req, GOSIP_HDR_EXPIRES, gosip_str_from_cstr(secs),
                                    GOSIP_WHERE_APPEND, NULL, NULL);
    }
    release_txn();
    if (rc == 0)
        rc = gosip_provider_new_client_txn(gosip_stack_provider(a->stack), req, &reg.txn);
    gosip_msg_unref(req);
    if (rc == 0) {
        gosip_txn_set_data(reg.txn, &reg);
        rc = gosip_txn_send_request(reg.txn, uv_hrtime());
    }
    if (rc != 0)
        fprintf(stderr, "gosip-ua: sending REGISTER: %s\n", gosip_strerror(rc));
    return rc == 0 ? 0 : -1;
}

static void on_refresh(uv_timer_t *t)
{
    app *a = t->data;
    if (!a->stopping && send_register(a) != 0)
        register_on_failure(a, "not-sent");
}

/* The default address of record is sip:USER@the registrar's host (10.2: To). */
int register_start(app *a)
{
    gosip_uri *uri = NULL;
    int rc = gosip_uri_new(&uri, NULL, gosip_str_from_cstr(a->opt.registrar));

    if (rc != 0 || (uri->scheme != GOSIP_URI_SIP && uri->scheme != GOSIP_URI_SIPS)) {
        fprintf(stderr, "gosip-ua: --register wants a sip: URI: %s\n", a->opt.registrar);
        gosip_uri_free(uri);
        return -1;
    }
    if (!a->opt.aor) {
        snprintf(reg.aor, sizeof reg.aor, "%.*s:%s@%.*s", (int)uri->scheme_name.n,
                 uri->scheme_name.p, a->opt.user, (int)uri->host.n, uri->host.p);
        a->opt.aor = reg.aor;
    }
    gosip_uri_free(uri);
    return send_register(a);
}

/* The lifetime granted: our Contact's expires parameter, else Expires, else asked. */
static uint64_t granted(const app *a, const gosip_msg *resp)
{
    const gosip_nameaddr *c = gosip_msg_contact(resp);
    const gosip_param *e = c ? gosip_param_find(c->params, "expires") : NULL;
    const gosip_hdr *h = gosip_msg_hdr(resp, GOSIP_HDR_EXPIRES);
    const gosip_uint *u = h ? gosip_hdr_uint(h) : NULL;

    if (e && e->value.p && e->value.n > 0 && e->value.n < 10)
        return strtoull(e->value.p, NULL, 10);
    return u ? u->value : a->opt.expires;
}

void register_on_response(app *a, const gosip_response_event *ev)
{
    int status = gosip_msg_status(ev->msg);
    uint64_t secs;

    if (status < 200)
        return;
    release_txn();
    if (status >= 300) {
        printf("event=register-failed status=%d\n", status);
        a->register_failed = 1;
        app_done(a);
        return;
    }
    secs = granted(a, ev->msg);
    printf("event=registered status=%d expires=%" PRIu64 "\n", status, secs);
    fflush(stdout);
    uv_timer_start(&a->register_timer, on_refresh, secs > 1 ? secs * 500u : 1000u, 0);
    if (!a->registered) {
        a->registered = 1;
        if (a->opt.call && call_start(a) != 0)
            app_stop(a);
    }
}

void register_on_failure(app *a, const char *why)
{
    release_txn();
    printf("event=register-failed reason=%s\n", why);
    a->register_failed = 1;
    app_done(a);
}
