/*
 * Transaction core: creation, deferred destruction, the re-entrancy guard, timers and the
 * callback helpers the per-state functions use. The states themselves are in
 * fsm_client.c (ICT, NICT) and fsm_server.c (IST, NIST).
 */
#include "txn/fsm.h"

#include <string.h>

static void *mem_calloc(const gosip_mem *mem, size_t n)
{
    return mem->calloc(1, n, mem->user_data);
}

int gosip__txn_new(gosip__txn **out, const gosip_mem *mem, const gosip__txn_cfg *cfg,
                   const gosip__txn_env *env)
{
    if (!out || !cfg || !env || !env->send || (unsigned)cfg->kind > GOSIP__TXN_NIST)
        return GOSIP_ERR_INVALID_ARG;
    gosip_tstamp t1 = cfg->t1 ? cfg->t1 : GOSIP__TXN_T1;
    gosip_tstamp t2 = cfg->t2 ? cfg->t2 : GOSIP__TXN_T2;
    gosip_tstamp t4 = cfg->t4 ? cfg->t4 : GOSIP__TXN_T4;
    /* 64*T1 must not overflow, and T2 caps a doubling that starts at T1 */
    if (t2 < t1 || t1 > GOSIP_TSTAMP_NONE / 128)
        return GOSIP_ERR_INVALID_ARG;
    if (!mem)
        mem = gosip_mem_default();
    gosip__txn *t = mem_calloc(mem, sizeof *t);
    if (!t)
        return GOSIP_ERR_NOMEM;
    t->mem = mem;
    t->env = *env;
    t->kind = cfg->kind;
    t->state = GOSIP__TXN_INIT;
    t->reliable = cfg->reliable != 0;
    t->t1 = t1;
    t->t2 = t2;
    t->t4 = t4;
    t->rtx_at = t->end_at = GOSIP_TSTAMP_NONE;
    *out = t;
    return 0;
}

static void destroy(gosip__txn *t)
{
    gosip_msg_unref(t->request);
    gosip_msg_unref(t->response);
    gosip_msg_unref(t->ack);
    t->mem->free(t, t->mem->user_data);
}

void gosip__txn_free(gosip__txn *t)
{
    if (!t)
        return;
    if (t->depth) { /* an input of t is on the stack: it destroys t when it unwinds */
        t->doomed = 1;
        return;
    }
    destroy(t);
}

gosip__txn_kind gosip__txn_kind_of(const gosip__txn *t)
{
    return t->kind;
}
gosip__txn_state gosip__txn_state_of(const gosip__txn *t)
{
    return t->state;
}
gosip_msg *gosip__txn_request(const gosip__txn *t)
{
    return t->request;
}
gosip_msg *gosip__txn_response(const gosip__txn *t)
{
    return t->response;
}

const char *gosip__txn_state_name(gosip__txn_state s)
{
    static const char *const names[] = {"Init",      "Calling",   "Trying",   "Proceeding",
                                        "Completed", "Confirmed", "Accepted", "Terminated"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* ---------------------------------------------------------------- helpers for the states */

int gosip__txn_live(const gosip__txn *t)
{
    return !t->doomed && t->state != GOSIP__TXN_TERMINATED;
}

void gosip__txn_set_state(gosip__txn *t, gosip__txn_state s)
{
    if (gosip__txn_live(t))
        t->state = s;
}

void gosip__txn_keep(gosip_msg **slot, gosip_msg *msg)
{
    gosip_msg *old = *slot;
    *slot = gosip_msg_ref(msg);
    gosip_msg_unref(old);
}

void gosip__txn_stop_timers(gosip__txn *t)
{
    t->rtx_at = t->end_at = GOSIP_TSTAMP_NONE;
    t->rtx_letter = t->end_letter = 0;
}

void gosip__txn_terminate(gosip__txn *t)
{
    if (!gosip__txn_live(t))
        return;
    t->state = GOSIP__TXN_TERMINATED;
    gosip__txn_stop_timers(t);
    if (t->env.terminated)
        t->env.terminated(t, t->env.user_data);
}

static void transport_failed(gosip__txn *t, int err)
{
    if (!gosip__txn_live(t))
        return;
    gosip__txn_stop_timers(t); /* nothing may fire between the two callbacks */
    if (t->env.transport_error)
        t->env.transport_error(t, err, t->env.user_data);
    gosip__txn_terminate(t);
}

void gosip__txn_emit_send(gosip__txn *t, gosip_msg *msg)
{
    if (!gosip__txn_live(t) || !msg)
        return;
    int rc = t->env.send(t, msg, t->env.user_data);
    if (rc < 0)
        transport_failed(t, rc);
}

void gosip__txn_emit_deliver(gosip__txn *t, gosip_msg *msg)
{
    if (gosip__txn_live(t) && t->env.deliver)
        t->env.deliver(t, msg, t->env.user_data);
}

void gosip__txn_emit_timeout(gosip__txn *t, char letter)
{
    if (!gosip__txn_live(t))
        return;
    gosip__txn_stop_timers(t);
    if (t->env.timeout)
        t->env.timeout(t, letter, t->env.user_data);
    gosip__txn_terminate(t);
}

void gosip__txn_arm_rtx(gosip__txn *t, gosip__txn_state in, char letter, gosip_tstamp ival,
                        gosip_tstamp now)
{
    if (!gosip__txn_live(t) || t->state != in || t->reliable)
        return;
    t->rtx_ival = ival;
    t->rtx_at = now + ival;
    t->rtx_letter = letter;
}

void gosip__txn_arm_end(gosip__txn *t, gosip__txn_state in, char letter, gosip_tstamp dur,
                        gosip_tstamp now)
{
    if (!gosip__txn_live(t) || t->state != in)
        return;
    if (dur == 0) {
        gosip__txn_terminate(t);
        return;
    }
    t->end_at = now + dur;
    t->end_letter = letter;
}

gosip_tstamp gosip__txn_unreliable(const gosip__txn *t, gosip_tstamp value)
{
    return t->reliable ? 0 : value;
}

/* ---------------------------------------------------------------- inputs */

static int step(gosip__txn *t, const gosip__txn_ev *ev)
{
    switch (t->kind) {
    case GOSIP__TXN_ICT:
        return gosip__ict_step(t, ev);
    case GOSIP__TXN_NICT:
        return gosip__nict_step(t, ev);
    case GOSIP__TXN_IST:
        return gosip__ist_step(t, ev);
    case GOSIP__TXN_NIST:
        return gosip__nist_step(t, ev);
    }
    return GOSIP_ERR_INTERNAL;
}

/* Runs one input with the guard held; destroys t afterwards when it was freed meanwhile. */
static int run(gosip__txn *t, const gosip__txn_ev *ev)
{
    t->depth++;
    int rc = step(t, ev);
    if (--t->depth == 0 && t->doomed)
        destroy(t);
    return rc;
}

static int is_client(const gosip__txn *t)
{
    return t->kind == GOSIP__TXN_ICT || t->kind == GOSIP__TXN_NICT;
}

/* The request fits the kind: INVITE for ICT/IST, neither INVITE nor ACK for the others. */
static int request_fits(const gosip__txn *t, const gosip_msg *req)
{
    if (!req || !gosip_msg_is_request(req))
        return 0;
    gosip_method m = gosip_msg_method(req);
    if (t->kind == GOSIP__TXN_ICT || t->kind == GOSIP__TXN_IST)
        return m == GOSIP_METHOD_INVITE;
    return m != GOSIP_METHOD_INVITE && m != GOSIP_METHOD_ACK;
}

static int start(gosip__txn *t, gosip_msg *req, gosip_tstamp now, int client)
{
    if (!t || now == GOSIP_TSTAMP_NONE || is_client(t) != client || !request_fits(t, req))
        return GOSIP_ERR_INVALID_ARG;
    if (t->depth)
        return GOSIP_ERR_RECURSIVE;
    if (t->state != GOSIP__TXN_INIT)
        return GOSIP_ERR_STATE;
    gosip__txn_keep(&t->request, req);
    gosip__txn_ev ev = {GOSIP__TXN_EV_TIMER, NULL, 0, now}; /* timer 0: the start */
    return run(t, &ev);
}

int gosip__txn_client_start(gosip__txn *t, gosip_msg *req, gosip_tstamp now)
{
    return start(t, req, now, 1);
}

int gosip__txn_server_start(gosip__txn *t, gosip_msg *req, gosip_tstamp now)
{
    return start(t, req, now, 0);
}

/* Common checks of the inputs other than start; 0 when the input may run. */
static int check_input(const gosip__txn *t, gosip_tstamp now, int nested_ok)
{
    if (!t || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    if (t->depth && !nested_ok)
        return GOSIP_ERR_RECURSIVE;
    if (!gosip__txn_live(t) || t->state == GOSIP__TXN_INIT)
        return GOSIP_ERR_STATE;
    return 0;
}

int gosip__txn_client_on_response(gosip__txn *t, gosip_msg *resp, gosip_tstamp now)
{
    if (t && (!is_client(t) || !resp || gosip_msg_is_request(resp)))
        return GOSIP_ERR_INVALID_ARG;
    int rc = check_input(t, now, 0);
    if (rc)
        return rc;
    gosip__txn_ev ev = {GOSIP__TXN_EV_MSG, resp, 0, now};
    return run(t, &ev);
}

int gosip__txn_server_on_request(gosip__txn *t, gosip_msg *req, gosip_tstamp now)
{
    if (t && (is_client(t) || !req || !gosip_msg_is_request(req)))
        return GOSIP_ERR_INVALID_ARG;
    int rc = check_input(t, now, 0);
    if (rc)
        return rc;
    gosip__txn_ev ev = {GOSIP__TXN_EV_MSG, req, 0, now};
    return run(t, &ev);
}

int gosip__txn_server_send_response(gosip__txn *t, gosip_msg *resp, gosip_tstamp now)
{
    if (t && (is_client(t) || !resp || gosip_msg_is_request(resp) || gosip_msg_status(resp) < 100 ||
              gosip_msg_status(resp) > 699))
        return GOSIP_ERR_INVALID_ARG;
    int rc = check_input(t, now, 1);
    if (rc)
        return rc;
    gosip__txn_ev ev = {GOSIP__TXN_EV_TU, resp, 0, now};
    return run(t, &ev);
}

int gosip__txn_on_transport_error(gosip__txn *t, int err, gosip_tstamp now)
{
    int rc = check_input(t, now, 0);
    if (rc)
        return rc;
    t->depth++;
    transport_failed(t, err < 0 ? err : GOSIP_ERR_IO);
    if (--t->depth == 0 && t->doomed)
        destroy(t);
    return 0;
}

gosip_tstamp gosip__txn_next_expiry(const gosip__txn *t)
{
    if (!t || !gosip__txn_live(t))
        return GOSIP_TSTAMP_NONE;
    return t->rtx_at < t->end_at ? t->rtx_at : t->end_at;
}

/* Takes the due timer to fire next into *letter; 0 when none is due. */
static int take_due(gosip__txn *t, gosip_tstamp now, char *letter)
{
    if (t->end_at <= now && t->end_at <= t->rtx_at) {
        *letter = t->end_letter;
        t->end_at = GOSIP_TSTAMP_NONE;
        return 1;
    }
    if (t->rtx_at <= now) {
        *letter = t->rtx_letter;
        t->rtx_at = GOSIP_TSTAMP_NONE;
        return 1;
    }
    return 0;
}

int gosip__txn_handle_expiry(gosip__txn *t, gosip_tstamp now)
{
    if (!t || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    if (t->depth)
        return GOSIP_ERR_RECURSIVE;
    t->depth++;
    char letter;
    /* each firing either ends the state timer or re-arms past now, so this ends */
    while (gosip__txn_live(t) && take_due(t, now, &letter)) {
        gosip__txn_ev ev = {GOSIP__TXN_EV_TIMER, NULL, letter, now};
        step(t, &ev);
    }
    if (--t->depth == 0 && t->doomed)
        destroy(t);
    return 0;
}
