/*
 * Dialog objects: creation from the messages that establish them (RFC 3261 12.1), the
 * table that finds them by dialog ID, their end (exactly one event), and the getters.
 */
#include "dialog/dialog_internal.h"

#include <string.h>

/* ---------------------------------------------------------------- strings */

int gosip__dialog_set_str(gosip_dialog *d, gosip_str *slot, gosip_str v)
{
    char *p = NULL;
    if (v.p) {
        p = gosip__stack_alloc(d->stack, v.n ? v.n : 1);
        if (!p)
            return GOSIP_ERR_NOMEM;
        memcpy(p, v.p, v.n);
    }
    gosip__stack_free_mem(d->stack, (void *)slot->p);
    *slot = (gosip_str){p, v.p ? v.n : 0};
    return 0;
}

static void free_routes(gosip_dialog *d)
{
    for (size_t i = 0; i < d->n_routes; i++)
        gosip__stack_free_mem(d->stack, (void *)d->routes[i].p);
    gosip__stack_free_mem(d->stack, d->routes);
    d->routes = NULL;
    d->n_routes = 0;
}

static void free_strings(gosip_dialog *d)
{
    gosip_str *all[] = {&d->call_id,      &d->local_tag,     &d->remote_tag,   &d->local_party,
                        &d->remote_party, &d->remote_target, &d->local_contact};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gosip__dialog_set_str(d, all[i], GOSIP_STR_NULL);
    free_routes(d);
}

/* ---------------------------------------------------------------- table */

/* Call-IDs and tags come from the network: the keyed hash of the transaction index keeps
 * a peer from choosing them to fill one chain. */
static uint64_t hash_id(const gosip_stack *s, gosip_str call_id, gosip_str local, gosip_str remote)
{
    gosip__txn_hash h;
    gosip__txn_hash_init(&h, s->dkey, 'D');
    gosip__txn_hash_str(&h, call_id, 0);
    gosip__txn_hash_str(&h, local, 0);
    gosip__txn_hash_str(&h, remote, 0);
    return gosip__txn_hash_end(&h);
}

static int grow_table(gosip_stack *s)
{
    size_t size = s->dtab_size ? s->dtab_size * 2 : 64;
    gosip_dialog **t = gosip__stack_calloc(s, size * sizeof *t);
    if (!t)
        return GOSIP_ERR_NOMEM;
    for (size_t i = 0; i < s->dtab_size; i++) {
        gosip_dialog *d = s->dtab[i];
        while (d) {
            gosip_dialog *next = d->hnext;
            d->hnext = t[d->hash & (size - 1)];
            t[d->hash & (size - 1)] = d;
            d = next;
        }
    }
    gosip__stack_free_mem(s, s->dtab);
    s->dtab = t;
    s->dtab_size = size;
    return 0;
}

gosip_dialog *gosip__dialog_find(gosip_stack *s, gosip_str call_id, gosip_str local_tag,
                                 gosip_str remote_tag)
{
    if (!s->dtab_size || !call_id.p)
        return NULL;
    uint64_t h = hash_id(s, call_id, local_tag, remote_tag);
    for (gosip_dialog *d = s->dtab[h & (s->dtab_size - 1)]; d; d = d->hnext)
        if (d->hash == h && gosip_str_eq(d->call_id, call_id) &&
            gosip_str_eq(d->local_tag, local_tag) && gosip_str_eq(d->remote_tag, remote_tag))
            return d;
    return NULL;
}

static void table_remove(gosip_stack *s, gosip_dialog *d)
{
    if (!s->dtab_size)
        return;
    gosip_dialog **pp = &s->dtab[d->hash & (s->dtab_size - 1)];
    while (*pp && *pp != d)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = d->hnext;
    d->hnext = NULL;
}

/* ---------------------------------------------------------------- lifetime */

int gosip__dialog_new(gosip_stack *s, int is_server, gosip_dialog **out)
{
    if (s->n_dialogs >= s->cfg.max_dialogs)
        return GOSIP_ERR_LIMIT;
    /* room in the table first, so that linking cannot fail */
    if (s->n_dialogs + 1 > s->dtab_size && grow_table(s) != 0)
        return GOSIP_ERR_NOMEM;
    gosip_dialog *d = gosip__stack_calloc(s, sizeof *d);
    if (!d)
        return GOSIP_ERR_NOMEM;
    d->refs = 1; /* the stack's, until the end */
    d->stack = s;
    d->is_server = (unsigned char)(is_server != 0);
    d->state = GOSIP_DIALOG_EARLY;
    s->refs++;
    *out = d;
    return 0;
}

/* Publishes a dialog whose ID is set: table and live list. */
void gosip__dialog_link(gosip_dialog *d)
{
    gosip_stack *s = d->stack;
    d->hash = hash_id(s, d->call_id, d->local_tag, d->remote_tag);
    size_t b = d->hash & (s->dtab_size - 1);
    d->hnext = s->dtab[b];
    s->dtab[b] = d;
    d->next = s->dialogs;
    if (s->dialogs)
        s->dialogs->prev = d;
    s->dialogs = d;
    s->n_dialogs++;
}

static void unlink_live(gosip_stack *s, gosip_dialog *d)
{
    table_remove(s, d);
    if (d->prev)
        d->prev->next = d->next;
    else if (s->dialogs == d)
        s->dialogs = d->next;
    if (d->next)
        d->next->prev = d->prev;
    d->prev = d->next = NULL;
    s->n_dialogs--;
}

void gosip__dialog_end(gosip_dialog *d, gosip_dialog_end why)
{
    if (d->ended)
        return;
    gosip_stack *s = d->stack;
    d->ended = 1;
    d->state = GOSIP_DIALOG_TERMINATED;
    d->ack_pending = 0;
    unlink_live(s, d);
    gosip_dialog_terminated_event ev = {d, d->data, why, s->now};
    GOSIP__EMIT(s, on_dialog_terminated, &ev);
    gosip_dialog_unref(d);
}

void gosip__dialogs_end_all(gosip_stack *s)
{
    while (s->dialogs)
        gosip__dialog_end(s->dialogs, GOSIP_DIALOG_END_DESTROYED);
    gosip__stack_free_mem(s, s->dtab);
    s->dtab = NULL;
    s->dtab_size = 0;
}

gosip_dialog *gosip_dialog_ref(gosip_dialog *d)
{
    if (d)
        d->refs++;
    return d;
}

void gosip_dialog_unref(gosip_dialog *d)
{
    if (!d || --d->refs > 0)
        return;
    gosip_stack *s = d->stack;
    free_strings(d);
    gosip_msg_unref(d->ack);
    gosip__stack_free_mem(s, d);
    gosip__stack_unref(s);
}

/* ---------------------------------------------------------------- creation (12.1) */

int gosip__dialog_set_routes(gosip_dialog *d, const gosip_msg *m, int reverse)
{
    free_routes(d);
    unsigned n = gosip_msg_hdr_count(m, GOSIP_HDR_RECORD_ROUTE);
    if (!n)
        return 0;
    d->routes = gosip__stack_calloc(d->stack, n * sizeof *d->routes);
    if (!d->routes)
        return GOSIP_ERR_NOMEM;
    size_t i = 0;
    for (const gosip_hdr *h = gosip_msg_hdr(m, GOSIP_HDR_RECORD_ROUTE); h && i < n;
         h = gosip_hdr_next_same(h)) {
        size_t at = reverse ? n - 1 - i : i;
        if (gosip__dialog_set_str(d, &d->routes[at], gosip_hdr_value(h)) != 0) {
            d->n_routes = n;
            return GOSIP_ERR_NOMEM;
        }
        i++;
    }
    d->n_routes = n;
    return 0;
}

/* The peer's Contact; a peer that sent none is reached where the request went (caller)
 * or at its From URI (callee), so that in-dialog requests still have a target. */
static gosip_str remote_target_of(const gosip_dialog *d, const gosip_msg *req,
                                  const gosip_msg *resp)
{
    const gosip_nameaddr *c = gosip_msg_contact(d->is_server ? req : resp);
    if (c && c->uri)
        return c->uri->raw;
    if (!d->is_server && gosip_msg_request_uri(req))
        return gosip_msg_request_uri(req)->raw;
    const gosip_nameaddr *from = gosip_msg_from(req);
    return from && from->uri ? from->uri->raw : GOSIP_STR_NULL;
}

static int secure_of(const gosip_msg *req)
{
    const gosip_uri *ru = gosip_msg_request_uri(req);
    return ru && ru->scheme == GOSIP_URI_SIPS;
}

/* What both sides take from the request and the response. */
static int fill_common(gosip_dialog *d, const gosip_msg *req, const gosip_msg *resp)
{
    const gosip_hdr *from = gosip_msg_hdr(req, GOSIP_HDR_FROM);
    const gosip_hdr *to = gosip_msg_hdr(resp, GOSIP_HDR_TO);
    const gosip_nameaddr *fna = gosip_msg_from(req), *tna = gosip_msg_to(resp);
    const gosip_hdr *contact = gosip_msg_hdr(d->is_server ? resp : req, GOSIP_HDR_CONTACT);
    if (!from || !to || !fna || !tna || !tna->tag.p || !gosip_msg_cseq(req))
        return GOSIP_ERR_INVALID_ARG;
    int rc = gosip__dialog_set_str(d, &d->call_id, gosip_msg_call_id(req));
    rc = rc ? rc : gosip__dialog_set_str(d, &d->local_tag, d->is_server ? tna->tag : fna->tag);
    rc = rc ? rc : gosip__dialog_set_str(d, &d->remote_tag, d->is_server ? fna->tag : tna->tag);
    rc = rc ? rc
            : gosip__dialog_set_str(d, &d->local_party, gosip_hdr_value(d->is_server ? to : from));
    rc = rc ? rc
            : gosip__dialog_set_str(d, &d->remote_party, gosip_hdr_value(d->is_server ? from : to));
    if (!rc && contact)
        rc = gosip__dialog_set_str(d, &d->local_contact, gosip_hdr_value(contact));
    rc = rc ? rc : gosip__dialog_set_str(d, &d->remote_target, remote_target_of(d, req, resp));
    d->secure = (unsigned char)secure_of(req);
    return rc;
}

int gosip__dialog_uac_new(gosip_stack *s, const gosip_msg *req, const gosip_msg *resp,
                          gosip_dialog **out)
{
    gosip_dialog *d = NULL;
    int rc = gosip__dialog_new(s, 0, &d);
    if (rc)
        return rc;
    rc = fill_common(d, req, resp);
    if (!rc)
        rc = gosip__dialog_set_routes(d, resp, 1);
    if (rc) {
        d->ended = 1;
        gosip_dialog_unref(d);
        return rc;
    }
    d->local_seq = gosip_msg_cseq(req)->seq;
    gosip__dialog_link(d);
    *out = d;
    return 0;
}

int gosip__dialog_uas_new(gosip_stack *s, const gosip_msg *req, const gosip_msg *resp,
                          gosip_dialog **out)
{
    gosip_dialog *d = NULL;
    int rc = gosip__dialog_new(s, 1, &d);
    if (rc)
        return rc;
    rc = fill_common(d, req, resp);
    if (!rc)
        rc = gosip__dialog_set_routes(d, req, 0);
    if (rc) {
        d->ended = 1;
        gosip_dialog_unref(d);
        return rc;
    }
    d->remote_seq = gosip_msg_cseq(req)->seq;
    d->remote_seq_set = 1;
    gosip__dialog_link(d);
    *out = d;
    return 0;
}

gosip_dialog *gosip__dialog_for_request(gosip_stack *s, const gosip_msg *req)
{
    const gosip_nameaddr *to = gosip_msg_to(req), *from = gosip_msg_from(req);
    if (!to || !from || !to->tag.p)
        return NULL;
    return gosip__dialog_find(s, gosip_msg_call_id(req), to->tag,
                              from->tag.p ? from->tag : GOSIP_STR(""));
}

int gosip__dialog_creating(const gosip_stack *s, const gosip_msg *req)
{
    gosip_method m = gosip_msg_method(req);
    if (m == GOSIP_METHOD_INVITE || m == GOSIP_METHOD_SUBSCRIBE || m == GOSIP_METHOD_REFER)
        return 1;
    gosip_str name = gosip_msg_method_name(req);
    for (unsigned i = 0; i < s->n_dmethods; i++)
        if (gosip_str_eq(s->dmethods[i], name))
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- getters */

gosip_dialog_state gosip_dialog_state_of(const gosip_dialog *d)
{
    return d->state;
}
int gosip_dialog_is_server(const gosip_dialog *d)
{
    return d->is_server;
}
gosip_str gosip_dialog_call_id(const gosip_dialog *d)
{
    return d->call_id;
}
gosip_str gosip_dialog_local_tag(const gosip_dialog *d)
{
    return d->local_tag;
}
gosip_str gosip_dialog_remote_tag(const gosip_dialog *d)
{
    return d->remote_tag;
}
uint32_t gosip_dialog_local_seq(const gosip_dialog *d)
{
    return d->local_seq;
}
uint32_t gosip_dialog_remote_seq(const gosip_dialog *d)
{
    return d->remote_seq;
}
gosip_str gosip_dialog_remote_target(const gosip_dialog *d)
{
    return d->remote_target;
}
size_t gosip_dialog_route_count(const gosip_dialog *d)
{
    return d->n_routes;
}
gosip_str gosip_dialog_route(const gosip_dialog *d, size_t i)
{
    return i < d->n_routes ? d->routes[i] : GOSIP_STR_NULL;
}
int gosip_dialog_secure(const gosip_dialog *d)
{
    return d->secure;
}
void gosip_dialog_set_data(gosip_dialog *d, void *data)
{
    d->data = data;
}
void *gosip_dialog_data(const gosip_dialog *d)
{
    return d->data;
}
gosip_dialog *gosip_txn_dialog(const gosip_txn *t)
{
    return t->dialog;
}

int gosip_dialog_keep(gosip_dialog *d)
{
    if (!d || d->ended)
        return GOSIP_ERR_STATE;
    d->keep = 1;
    return 0;
}

void gosip_provider_set_auto_dialog(gosip_provider *p, int on)
{
    p->stack->auto_dialog = on != 0;
}

int gosip_stack_add_dialog_method(gosip_stack *s, gosip_str method)
{
    if (!s || !method.p || !method.n)
        return GOSIP_ERR_INVALID_ARG;
    for (size_t i = 0; i < method.n; i++)
        if (method.p[i] <= ' ' || method.p[i] >= 127 || strchr("()<>@,;:\\\"/[]?={}", method.p[i]))
            return GOSIP_ERR_INVALID_ARG;
    if (s->n_dmethods == sizeof s->dmethods / sizeof s->dmethods[0])
        return GOSIP_ERR_LIMIT;
    char *p = gosip__stack_alloc(s, method.n);
    if (!p)
        return GOSIP_ERR_NOMEM;
    memcpy(p, method.p, method.n);
    s->dmethods[s->n_dmethods++] = (gosip_str){p, method.n};
    return 0;
}
