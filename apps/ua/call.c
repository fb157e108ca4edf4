/*
 * gosip-ua --call: places calls at a steady rate, each an INVITE with an SDP offer. The
 * stack creates the dialog and ACKs the 2xx (also its retransmissions); this file hangs
 * up after --hangup-after and counts how each call ended. A call is done once its INVITE
 * has an outcome and every dialog it created has ended.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ua_app.h"

struct call {
    obj_kind kind; /* OBJ_CALL: the INVITE's and the dialogs' data */
    app *a;
    uint64_t index;
    gosip_txn *invite;    /* held until the call is freed, to clear its data */
    gosip_dialog *dialog; /* the confirmed dialog, until it ends (the stack's reference) */
    unsigned dialogs;     /* live dialogs whose data is this call */
    int invite_done, established, bye_sent, bye_failed, ended, status;
    gosip_dialog_end end_reason;
    const char *failure; /* why the INVITE had no final response */
    due hangup;
    call *prev, *next;
    char call_id[CALL_ID_CAP];
};

static char target[URI_CAP];
static uint64_t calls_t0;

/* ---------------------------------------------------------------- records */

static void call_free(app *a, call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        a->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    due_cancel(&a->hangups, &c->hangup);
    if (c->invite) {
        /* a 2xx retransmitted later must not find this record */
        gosip_txn_set_data(c->invite, NULL);
        gosip_txn_unref(c->invite);
    }
    free(c);
}

void call_free_all(app *a)
{
    while (a->calls)
        call_free(a, a->calls);
}

unsigned call_media_port(const call *c)
{
    return 4000u + 2u * (unsigned)(c->index % 30000u);
}

static void print_end(const call *c, int ok)
{
    if (c->established)
        printf("event=terminated call-id=%s reason=%s%s\n", c->call_id,
               c->ended ? app_end_name(c->end_reason) : "no-dialog",
               ok ? "" : (c->bye_failed ? " error=bye-failed" : " error=1"));
    else if (c->status)
        printf("event=terminated call-id=%s reason=rejected status=%d\n", c->call_id, c->status);
    else
        printf("event=terminated call-id=%s reason=%s\n", c->call_id,
               c->failure ? c->failure : "unknown");
}

static void maybe_done(app *a, call *c)
{
    int ok;

    if (!c->invite_done || c->dialogs > 0)
        return;
    ok = c->established && c->ended && c->end_reason == GOSIP_DIALOG_END_BYE && !c->bye_failed;
    if (ok)
        a->st.ended_ok++;
    print_end(c, ok);
    if (a->opt.verbose)
        fflush(stdout);
    call_free(a, c);
    if (!a->calling && !a->calls && a->opt.duration <= 0)
        app_done(a);
}

/* ---------------------------------------------------------------- placing calls */

static int build_invite(app *a, call *c, gosip_msg **out)
{
    gosip_lp *lp = app_lp(a, app_kind_for(a, target));
    char host[HOST_CAP], sdp[512];
    gosip_str id;
    size_t n;
    int rc = app_new_request(a, GOSIP_METHOD_INVITE, target, GOSIP_STR_NULL, 0, out);

    if (rc != 0)
        return rc;
    gosip_addr_print_host(gosip_lp_addr(lp), host, sizeof host);
    n = sdp_build(sdp, sizeof sdp, a->opt.user, host, call_media_port(c));
    rc = gosip_msg_set_body(*out, GOSIP_STR("application/sdp"), sdp, n);
    id = gosip_msg_call_id(*out);
    n = id.n < sizeof c->call_id - 1 ? id.n : sizeof c->call_id - 1;
    memcpy(c->call_id, id.p, n);
    c->call_id[n] = '\0';
    if (rc != 0) {
        gosip_msg_unref(*out);
        *out = NULL;
    }
    return rc;
}

static void place_call(app *a)
{
    call *c = calloc(1, sizeof *c);
    gosip_msg *req = NULL;
    int rc;

    a->st.calls++;
    if (!c) {
        fprintf(stderr, "gosip-ua: out of memory\n");
        return;
    }
    c->kind = OBJ_CALL;
    c->a = a;
    c->index = a->st.calls - 1;
    c->next = a->calls;
    if (a->calls)
        a->calls->prev = c;
    a->calls = c;
    rc = build_invite(a, c, &req);
    if (rc == 0)
        rc = gosip_provider_new_client_txn(gosip_stack_provider(a->stack), req, &c->invite);
    gosip_msg_unref(req);
    if (rc == 0) {
        gosip_txn_set_data(c->invite, c);
        rc = gosip_txn_send_request(c->invite, uv_hrtime());
    }
    if (rc != 0) {
        if (a->opt.verbose)
            fprintf(stderr, "gosip-ua: starting a call: %s\n", gosip_strerror(rc));
        call_on_failure(a, c, "not-started");
    }
}

/* Places what the rate allows by now, so that a slow tick does not lower the rate. */
void call_tick(uv_timer_t *timer)
{
    app *a = timer->data;
    double elapsed = (double)(uv_hrtime() - calls_t0) / 1e9;
    double due_calls = elapsed * a->opt.rate + 1.0;
    uint64_t want = due_calls >= (double)a->opt.calls ? a->opt.calls : (uint64_t)due_calls;

    while (a->st.calls < want && !a->stopping)
        place_call(a);
    if (a->st.calls >= a->opt.calls) {
        uv_timer_stop(timer);
        a->calling = 0;
        if (!a->calls && a->opt.duration <= 0)
            app_done(a);
    }
}

int call_start(app *a)
{
    uint64_t tick_ms = a->opt.rate >= 1000 ? 1 : (uint64_t)(1000.0 / a->opt.rate);
    int n = snprintf(target, sizeof target, "%s", a->opt.call);

    if (n < 0 || (size_t)n >= sizeof target) {
        fprintf(stderr, "gosip-ua: --call is too long\n");
        return -1;
    }
    if (!app_lp(a, app_kind_for(a, target))) {
        fprintf(stderr, "gosip-ua: no %s listening point to call %s from\n",
                app_kind_for(a, target) == GOSIP_TP_TCP ? "--tcp" : "--udp", target);
        return -1;
    }
    calls_t0 = uv_hrtime();
    a->calling = 1;
    uv_timer_start(&a->tick_timer, call_tick, 0, tick_ms ? tick_ms : 1);
    return 0;
}

/* ---------------------------------------------------------------- events */

static void established(app *a, call *c, gosip_dialog *d)
{
    c->established = 1;
    c->dialog = d;
    a->st.established++;
    printf("event=established call-id=%s\n", c->call_id);
    if (a->opt.verbose)
        fflush(stdout);
    if (!d) {
        c->failure = "no-dialog";
        return;
    }
    /* never from inside the event: the stack sends the ACK after it */
    due_push(&a->hangups, &c->hangup, (uint64_t)(a->opt.hangup_after * 1000.0));
}

void call_on_response(app *a, call *c, const gosip_response_event *ev)
{
    int status = gosip_msg_status(ev->msg);

    if (ev->dialog && !gosip_dialog_data(ev->dialog) &&
        gosip_dialog_state_of(ev->dialog) != GOSIP_DIALOG_TERMINATED) {
        gosip_dialog_set_data(ev->dialog, c);
        c->dialogs++;
        app_dialog_opened(a);
    }
    if (status < 200 || c->invite_done)
        return;
    c->invite_done = 1;
    if (status < 300)
        established(a, c, ev->dialog);
    else
        c->status = status;
    maybe_done(a, c);
}

void call_on_failure(app *a, call *c, const char *why)
{
    if (c->invite_done)
        return;
    c->invite_done = 1;
    c->failure = why;
    maybe_done(a, c);
}

void call_on_dialog_end(app *a, call *c, const gosip_dialog_terminated_event *ev)
{
    if (c->dialogs)
        c->dialogs--;
    app_dialog_closed(a);
    if (ev->dialog == c->dialog) {
        c->dialog = NULL;
        c->ended = 1;
        c->end_reason = ev->reason;
        if (ev->reason == GOSIP_DIALOG_END_BYE && !c->bye_sent)
            a->st.byes_received++;
        due_cancel(&a->hangups, &c->hangup);
    }
    maybe_done(a, c);
}

void call_fire_hangup(app *a, due *d)
{
    call *c = (call *)(void *)((char *)d - offsetof(call, hangup));
    int rc;

    if (!c->dialog)
        return;
    rc = gosip_dialog_bye(c->dialog, uv_hrtime());
    if (rc == 0) {
        c->bye_sent = 1;
        a->st.byes_sent++;
        return;
    }
    c->bye_failed = 1;
    if (a->opt.verbose)
        fprintf(stderr, "gosip-ua: hanging up %s: %s\n", c->call_id, gosip_strerror(rc));
}

int call_exit_code(const app *a)
{
    const ua_stats *s = &a->st;
    return s->calls == a->opt.calls && s->ended_ok == s->calls && s->bye_errors == 0 ? EXIT_OK
                                                                                     : EXIT_FAIL;
}
