/*
 * Where a request goes: the route set and outbound proxy (RFC 3261 8.1.2, with the
 * strict-route fix-up of 12.2.1.1), the application's next-hop function, then RFC 3263
 * targets (numeric hosts here, names through the runtime's resolver), tried in order.
 */
#include "stack/stack_internal.h"

#include <stdio.h>
#include <string.h>

struct gosip_resolve_query {
    gosip_txn *t;
};

void gosip__route_clear(gosip_stack *s, gosip__route *r)
{
    if (r->query) {
        if (s->resolver.cancel)
            s->resolver.cancel(s->resolver.user_data, r->query);
        gosip__stack_free_mem(s, r->query);
        r->query = NULL;
    }
    gosip__stack_free_mem(s, r->targets);
    gosip__stack_free_mem(s, r->names);
    r->targets = NULL;
    r->names = NULL;
    r->n = r->next = 0;
}

/* ---------------------------------------------------------------- route set */

/* 12.2.1.1: a strict router gets the request with its URI as the Request-URI, and the
 * original Request-URI travels as the last Route. */
static int strict_fixup(gosip_msg *req, const gosip_hdr *first, const gosip_uri *ruri)
{
    const gosip_uri *next = gosip_hdr_nameaddr(first)->uri;
    gosip_str old = ruri->raw;
    char *keep = gosip_msg_alloc(req, old.n + 2);
    if (!keep)
        return GOSIP_ERR_NOMEM;
    keep[0] = '<';
    memcpy(keep + 1, old.p, old.n);
    keep[old.n + 1] = '>';
    int rc = gosip_msg_set_request_line(req, gosip_msg_method_name(req), next->raw);
    if (!rc)
        rc = gosip_msg_add_hdr_kind(req, GOSIP_HDR_ROUTE, (gosip_str){keep, old.n + 2},
                                    GOSIP_WHERE_APPEND, NULL, NULL);
    if (!rc)
        rc = gosip_msg_remove_hdr(req, first);
    return rc;
}

/* Applies the outbound proxy and the route set; *next gets the URI to resolve. */
static int apply_route_set(gosip_stack *s, gosip_msg *req, const gosip_uri **next)
{
    int rc = 0;
    const gosip_hdr *first = gosip_msg_hdr(req, GOSIP_HDR_ROUTE);
    if (!first && s->proxy_uri) {
        char buf[512];
        int n = snprintf(buf, sizeof buf, "<%.*s>", (int)s->proxy_uri->raw.n, s->proxy_uri->raw.p);
        if (n < 0 || (size_t)n >= sizeof buf)
            return GOSIP_ERR_INVALID_ARG;
        rc = gosip_msg_add_hdr_kind(req, GOSIP_HDR_ROUTE, (gosip_str){buf, (size_t)n},
                                    GOSIP_WHERE_TOP, NULL, &first);
        if (rc)
            return rc;
    }
    const gosip_uri *ruri = gosip_msg_request_uri(req);
    if (!ruri)
        return GOSIP_ERR_INVALID_ARG;
    *next = ruri;
    if (!first)
        return 0;
    const gosip_nameaddr *na = gosip_hdr_nameaddr(first);
    if (!na || !na->uri)
        return GOSIP_ERR_INVALID_ARG;
    if (gosip_uri_param(na->uri, "lr")) {
        *next = na->uri;
        return 0;
    }
    rc = strict_fixup(req, first, ruri);
    *next = gosip_msg_request_uri(req);
    return rc ? rc : (*next ? 0 : GOSIP_ERR_INVALID_ARG);
}

/* ---------------------------------------------------------------- targets */

static int copy_targets(gosip_stack *s, gosip__route *r, const gosip_target *tg, size_t n)
{
    size_t names = 0;
    for (size_t i = 0; i < n; i++)
        names += tg[i].host.n;
    r->targets = gosip__stack_alloc(s, n * sizeof *tg);
    r->names = gosip__stack_alloc(s, names ? names : 1);
    if (!r->targets || !r->names) {
        gosip__route_clear(s, r);
        return GOSIP_ERR_NOMEM;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        r->targets[i] = tg[i];
        if (tg[i].host.n)
            memcpy(r->names + off, tg[i].host.p, tg[i].host.n);
        r->targets[i].host = (gosip_str){tg[i].host.n ? r->names + off : NULL, tg[i].host.n};
        off += tg[i].host.n;
    }
    r->n = n;
    r->next = 0;
    return 0;
}

/* RFC 3263 4.1 and 4.2 for a URI whose host is numeric: the transport parameter, else TLS
 * for sips and UDP otherwise; the explicit port, else the transport's default. */
static int numeric_target(const gosip_uri *u, gosip_target *out)
{
    if (u->host_type != GOSIP_HOST_IPV4 && u->host_type != GOSIP_HOST_IPV6)
        return GOSIP_ERR_RESOLVE;
    gosip_tp_kind kind = u->scheme == GOSIP_URI_SIPS ? GOSIP_TP_TLS : GOSIP_TP_UDP;
    const gosip_param *tp = gosip_uri_param(u, "transport");
    if (tp && gosip_tp_kind_from_str(tp->value, &kind) != 0)
        return GOSIP_ERR_UNSUPPORTED;
    if (u->scheme == GOSIP_URI_SIPS && kind == GOSIP_TP_TCP)
        kind = GOSIP_TP_TLS;
    unsigned port = u->port > 0 ? (unsigned)u->port : (kind == GOSIP_TP_TLS ? 5061u : 5060u);
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->host = u->host;
    return gosip_addr_from_str(&out->addr, u->host, port) == 0 ? 0 : GOSIP_ERR_RESOLVE;
}

/* The next-hop function's answer as a URI ("sip:host:port;transport=x") to locate. */
static int hop_uri(gosip_stack *s, const gosip_hop *hop, gosip_uri **out)
{
    char buf[320];
    char port[8] = "";
    if (hop->port)
        snprintf(port, sizeof port, ":%u", hop->port);
    int ipv6 = memchr(hop->host.p, ':', hop->host.n) != NULL && hop->host.p[0] != '[';
    int n = snprintf(buf, sizeof buf, "sip:%s%.*s%s%s%s%s", ipv6 ? "[" : "", (int)hop->host.n,
                     hop->host.p, ipv6 ? "]" : "", port, hop->has_kind ? ";transport=" : "",
                     hop->has_kind ? gosip_tp_kind_name(hop->kind) : "");
    if (n < 0 || (size_t)n >= sizeof buf)
        return GOSIP_ERR_INVALID_ARG;
    return gosip_uri_new(out, &s->mem, (gosip_str){buf, (size_t)n});
}

static int start_lookup(gosip_txn *t, const gosip_uri *u)
{
    gosip_stack *s = t->stack;
    gosip_target one;
    int rc = numeric_target(u, &one);
    if (rc == 0)
        return copy_targets(s, &t->route, &one, 1) ? GOSIP_ERR_NOMEM : 1;
    if (rc != GOSIP_ERR_RESOLVE || !s->resolver.resolve)
        return rc;
    gosip_resolve_query *q = gosip__stack_alloc(s, sizeof *q);
    if (!q)
        return GOSIP_ERR_NOMEM;
    q->t = t;
    t->route.query = q;
    rc = s->resolver.resolve(s->resolver.user_data, u, q);
    if (rc) {
        t->route.query = NULL;
        gosip__stack_free_mem(s, q);
    }
    return rc;
}

/* ---------------------------------------------------------------- attempts */

static void end_failed(gosip_txn *t, int code)
{
    gosip__txn_fail(t, code, 0, NULL);
    gosip__txn_end(t, 0);
}

static void send_stateless(gosip_txn *t)
{
    gosip_stack *s = t->stack;
    t->route.cur = t->route.targets[0];
    int rc = t->add_via ? gosip_tp_send_request(s->tp, t->request, &t->route.cur, s->now, NULL)
                        : gosip_tp_send_raw(s->tp, t->request, &t->route.cur, NULL, s->now);
    if (rc)
        gosip__txn_fail(t, rc, 0, NULL);
    gosip__txn_end(t, 0);
}

/* Starts the state machine on the next target with msg. */
static int start_attempt(gosip_txn *t, gosip_msg *msg)
{
    gosip_stack *s = t->stack;
    t->route.cur = t->route.targets[t->route.next++];
    int rc = gosip__txn_fsm_new(t, gosip_tp_kind_reliable(t->route.cur.kind));
    if (rc)
        return rc;
    gosip_txn_ref(t);
    rc = gosip__txn_client_start(t->fsm, msg, s->now);
    if (!t->ended)
        gosip__timers_update(s, t);
    gosip_txn_unref(t);
    return rc;
}

void gosip__client_targets(gosip_txn *t, int status, const gosip_target *targets, size_t n)
{
    gosip_stack *s = t->stack;
    if (status == 0 && !t->route.targets)
        status = n ? copy_targets(s, &t->route, targets, n) : GOSIP_ERR_RESOLVE;
    if (status) {
        end_failed(t, status);
        return;
    }
    if (t->stateless) {
        send_stateless(t);
        return;
    }
    int rc = start_attempt(t, t->request);
    if (rc && !t->ended)
        end_failed(t, rc);
}

void gosip__client_route(gosip_txn *t)
{
    gosip_stack *s = t->stack;
    const gosip_uri *next = NULL;
    gosip_uri *hop_u = NULL;
    int rc = apply_route_set(s, t->request, &next);
    if (!rc && s->cfg.next_hop) {
        gosip_hop hop;
        memset(&hop, 0, sizeof hop);
        int r = s->cfg.next_hop(s, t->request, &hop, s->cfg.next_hop_data);
        if (r < 0)
            rc = r;
        else if (r > 0 && (rc = hop_uri(s, &hop, &hop_u)) == 0)
            next = hop_u;
    }
    if (!rc)
        rc = start_lookup(t, next);
    gosip_uri_free(hop_u);
    if (rc == 1)
        gosip__client_targets(t, 0, NULL, 0);
    else if (rc)
        end_failed(t, rc);
    /* rc 0: the resolver answers through gosip_resolve_done */
}

/* A copy of the request with a fresh branch: a new transaction for the next target. */
static int next_attempt_msg(gosip_txn *t, gosip_msg **out)
{
    gosip_stack *s = t->stack;
    size_t n = gosip_msg_print(t->request, NULL, 0);
    char *buf = gosip__stack_alloc(s, n + 1);
    if (!buf)
        return GOSIP_ERR_NOMEM;
    gosip_msg_print(t->request, buf, n + 1);
    gosip_parse_opts opts = {&s->mem, NULL, NULL, GOSIP_FRAMING_DATAGRAM};
    int rc = gosip_msg_parse(out, buf, n, &opts, NULL);
    gosip__stack_free_mem(s, buf);
    if (rc)
        return rc;
    char branch[7 + 16] = "z9hG4bK";
    gosip__stack_random(s, branch + 7, 16);
    rc = gosip_msg_set_param(*out, gosip_msg_hdr(*out, GOSIP_HDR_VIA), GOSIP_STR("branch"),
                             (gosip_str){branch, sizeof branch}, 0);
    if (rc) {
        gosip_msg_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* 14.1: the re-INVITE again after 491, with a new CSeq and branch, to the same target. */
int gosip__client_retry(gosip_txn *t, uint32_t seq)
{
    gosip_stack *s = t->stack;
    gosip_msg *msg = NULL;
    int rc = next_attempt_msg(t, &msg);
    char cseq[32];
    int n = snprintf(cseq, sizeof cseq, "%u INVITE", seq);
    if (!rc)
        rc = gosip_msg_replace_hdr(msg, gosip_msg_hdr(msg, GOSIP_HDR_CSEQ),
                                   (gosip_str){cseq, (size_t)n}, NULL);
    gosip__txn_entry *e = NULL;
    if (!rc)
        rc = gosip__txn_index_add_client(s->index, msg, t, &e);
    if (rc) {
        gosip_msg_unref(msg);
        end_failed(t, rc);
        return rc;
    }
    gosip__txn_index_remove(s->index, t->entry);
    t->entry = e;
    t->route.next = t->route.next ? t->route.next - 1 : 0;
    rc = start_attempt(t, msg);
    gosip_msg_unref(msg);
    if (rc && !t->ended)
        end_failed(t, rc);
    return rc;
}

int gosip__client_failover(gosip_txn *t)
{
    gosip_stack *s = t->stack;
    gosip_msg *msg = NULL;
    int rc = next_attempt_msg(t, &msg);
    gosip__txn_entry *e = NULL;
    if (!rc)
        rc = gosip__txn_index_add_client(s->index, msg, t, &e);
    if (rc) {
        gosip_msg_unref(msg);
        return rc;
    }
    gosip__txn_index_remove(s->index, t->entry);
    t->entry = e;
    s->stats.failovers++;
    rc = start_attempt(t, msg);
    gosip_msg_unref(msg);
    /* the failed attempt's machine is gone: this attempt's failure is the outcome */
    if (rc && !t->ended)
        end_failed(t, rc);
    return 0;
}

/* ---------------------------------------------------------------- public */

int gosip_txn_send_request(gosip_txn *t, gosip_tstamp now)
{
    if (!t || now == GOSIP_TSTAMP_NONE)
        return GOSIP_ERR_INVALID_ARG;
    gosip_stack *s = t->stack;
    if (s->dead)
        return GOSIP_ERR_DESTROYED;
    if (!t->is_client || t->started || t->ended)
        return GOSIP_ERR_STATE;
    s->now = now;
    t->started = 1;
    gosip__stack_hold(s);
    gosip_txn_ref(t);
    /* a CANCEL goes where its INVITE went (9.1) */
    gosip_txn *inv = NULL;
    if (gosip_msg_method(t->request) == GOSIP_METHOD_CANCEL) {
        const gosip_via *v = gosip_msg_via(t->request);
        inv = v ? gosip__txn_index_find_client(s->index, v->branch, GOSIP_STR("INVITE")) : NULL;
    }
    if (inv && inv->route.n)
        gosip__client_targets(t, 0, &inv->route.cur, 1);
    else
        gosip__client_route(t);
    gosip_txn_unref(t);
    gosip__stack_drop(s);
    return 0;
}

int gosip_resolve_done(gosip_resolve_query *q, int status, const gosip_target *targets, size_t n,
                       gosip_tstamp now)
{
    if (!q)
        return GOSIP_ERR_INVALID_ARG;
    gosip_txn *t = q->t;
    gosip_stack *s = t->stack;
    int rc = gosip__stack_enter(s, now);
    if (rc)
        return rc;
    t->route.query = NULL;
    gosip__stack_free_mem(s, q);
    gosip_txn_ref(t);
    gosip__client_targets(t, status, targets, n);
    gosip_txn_unref(t);
    gosip__stack_leave(s);
    return 0;
}
