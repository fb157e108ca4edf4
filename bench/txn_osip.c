/*
 * The oSIP side of bench_txn: libosip2's non-INVITE transaction machines driven the way
 * an oSIP application drives them (eXosip's loop): received bytes become events with
 * osip_parse(), matched with osip_find_transaction_and_add_event() or given a new
 * transaction, and each *_execute() pass runs every queued event. Sends are serialised
 * with osip_message_to_str() and dropped, which is what a runtime pays before sendto().
 *
 * oSIP reads the real clock for its timers and has no virtual one: Timer J and K are
 * brought due by moving their start back by their length, which is what time passing
 * would do, then osip_timers_*_execute() fires them.
 */
#define _GNU_SOURCE

#include "txn_common.h"

#include <sys/time.h>
#include <time.h>

#include <osip2/osip.h>
#include <osipparser2/osip_parser.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static osip_t *osip;
static size_t answered, sent, finals, killed;

/* Killed transactions are freed after the *_execute() pass that killed them: freeing from
 * the callback would pull the transaction out from under the pass. */
static osip_transaction_t **dead;
static size_t n_dead, cap_dead;

/* ---------------------------------------------------------------- callbacks */

static int cb_send(osip_transaction_t *tr, osip_message_t *msg, char *host, int port, int sock)
{
    char *buf = NULL;
    size_t len = 0;
    (void)tr;
    (void)host;
    (void)port;
    (void)sock;
    if (osip_message_to_str(msg, &buf, &len) != 0)
        return -1;
    osip_free(buf);
    sent++;
    return 0;
}

/* The response RFC 3261 8.2.6 asks for, built the way eXosip builds it. */
static osip_message_t *make_response(const osip_message_t *req, int status)
{
    osip_message_t *r;
    if (osip_message_init(&r) != 0)
        return NULL;
    osip_message_set_version(r, osip_strdup("SIP/2.0"));
    osip_message_set_status_code(r, status);
    osip_message_set_reason_phrase(r, osip_strdup(osip_message_get_reason(status)));
    int bad = osip_list_clone(&req->vias, &r->vias, (int (*)(void *, void **))osip_via_clone) < 0;
    bad |= osip_from_clone(req->from, &r->from) != 0;
    bad |= osip_to_clone(req->to, &r->to) != 0;
    bad |= osip_call_id_clone(req->call_id, &r->call_id) != 0;
    bad |= osip_cseq_clone(req->cseq, &r->cseq) != 0;
    if (!bad)
        bad |= osip_to_set_tag(r->to, osip_strdup("b7x")) != 0;
    if (!bad)
        bad |= osip_message_set_content_length(r, "0") != 0;
    if (bad) {
        osip_message_free(r);
        return NULL;
    }
    return r;
}

static void cb_request(int type, osip_transaction_t *tr, osip_message_t *msg)
{
    (void)type;
    osip_message_t *resp = make_response(msg, 200);
    if (resp == NULL)
        return;
    osip_event_t *evt = osip_new_outgoing_sipmessage(resp);
    if (evt == NULL) {
        osip_message_free(resp);
        return;
    }
    evt->transactionid = tr->transactionid;
    osip_transaction_add_event(tr, evt);
    answered++;
}

static void cb_final(int type, osip_transaction_t *tr, osip_message_t *msg)
{
    (void)type;
    (void)tr;
    (void)msg;
    finals++;
}

static void cb_kill(int type, osip_transaction_t *tr)
{
    (void)type;
    if (n_dead == cap_dead) {
        size_t cap = cap_dead ? cap_dead * 2 : 1024;
        osip_transaction_t **d = realloc(dead, cap * sizeof *d);
        if (d == NULL)
            return; /* leaked, and the batch reports the missing kill */
        dead = d;
        cap_dead = cap;
    }
    dead[n_dead++] = tr;
    killed++;
}

static void free_dead(void)
{
    for (size_t i = 0; i < n_dead; i++)
        osip_transaction_free(dead[i]);
    n_dead = 0;
}

int txo_open(void)
{
    if (osip_init(&osip) != 0)
        return -1;
    osip_set_cb_send_message(osip, cb_send);
    osip_set_message_callback(osip, OSIP_NIST_OPTIONS_RECEIVED, cb_request);
    osip_set_message_callback(osip, OSIP_NIST_UNKNOWN_REQUEST_RECEIVED, cb_request);
    osip_set_message_callback(osip, OSIP_NICT_STATUS_2XX_RECEIVED, cb_final);
    osip_set_kill_transaction_callback(osip, OSIP_NIST_KILL_TRANSACTION, cb_kill);
    osip_set_kill_transaction_callback(osip, OSIP_NICT_KILL_TRANSACTION, cb_kill);
    return 0;
}

void txo_close(void)
{
    free_dead();
    osip_release(osip);
    osip = NULL;
    free(dead);
    dead = NULL;
    cap_dead = 0;
}

/* ---------------------------------------------------------------- time */

/* Moves every timer of the list's transactions that is armed by `by` seconds back. */
static void age_timers(osip_list_t *list, time_t by)
{
    osip_list_iterator_t it;
    for (osip_transaction_t *tr = osip_list_get_first(list, &it); tr != NULL;
         tr = osip_list_get_next(&it)) {
        if (tr->nist_context != NULL && tr->nist_context->timer_j_start.tv_sec > 0)
            tr->nist_context->timer_j_start.tv_sec -= by;
        if (tr->nict_context != NULL && tr->nict_context->timer_k_start.tv_sec > 0)
            tr->nict_context->timer_k_start.tv_sec -= by;
    }
}

/* ---------------------------------------------------------------- server */

/* One received datagram: an existing transaction's, or a new one's. */
static int server_input(const char *text, size_t len, int lookup)
{
    osip_event_t *evt = osip_parse(text, len);
    if (evt == NULL)
        return -1;
    if (lookup && osip_find_transaction_and_add_event(osip, evt) == 0)
        return 0; /* a retransmission: its transaction absorbs it */
    osip_transaction_t *tr;
    if (osip_transaction_init(&tr, NIST, osip, evt->sip) != 0) {
        osip_event_free(evt);
        return -1;
    }
    evt->transactionid = tr->transactionid;
    return osip_transaction_add_event(tr, evt);
}

/* Receives n requests; each is answered by the second execute pass. */
static int server_receive(char *const *text, const size_t *len, size_t n, int lookup)
{
    for (size_t i = 0; i < n; i++) {
        if (server_input(text[i], len[i], lookup) != 0)
            return -1;
    }
    osip_nist_execute(osip); /* the requests reach cb_request, which queues the 200s */
    osip_nist_execute(osip); /* the 200s are sent */
    return 0;
}

int txo_server_batch(char *const *text, const size_t *len, size_t n, int lookup)
{
    answered = sent = killed = 0;
    if (server_receive(text, len, n, lookup) != 0)
        return -1;
    age_timers(&osip->osip_nist_transactions, 64 * DEFAULT_T1 / 1000 + 1);
    osip_timers_nist_execute(osip);
    osip_nist_execute(osip);
    free_dead();
    return answered == n && sent == n && killed == n ? 0 : -1;
}

int txo_server_mem(char *const *text, const size_t *len, size_t n, txo_mem *out)
{
    txb_count before = txo_count;
    answered = sent = killed = 0;
    /* in slices, so that each execute pass has a bounded queue, as in a running server */
    for (size_t i = 0; i < n; i += 1000) {
        size_t k = n - i < 1000 ? n - i : 1000;
        if (server_receive(text + i, len + i, k, 0) != 0)
            return -1;
    }
    out->bytes = (double)(txo_count.bytes - before.bytes);
    out->blocks = (double)(txo_count.blocks - before.blocks);
    out->live = (size_t)osip_list_size(&osip->osip_nist_transactions);
    age_timers(&osip->osip_nist_transactions, 64 * DEFAULT_T1 / 1000 + 1);
    osip_timers_nist_execute(osip);
    osip_nist_execute(osip);
    free_dead();
    return answered == n && sent == n && killed == n ? 0 : -1;
}

/* ---------------------------------------------------------------- client */

static int client_start(unsigned i)
{
    char text[TXB_TEXT_CAP];
    size_t len = txb_client_request(text, sizeof text, i);
    osip_message_t *req;
    if (len == 0 || osip_message_init(&req) != 0)
        return -1;
    osip_transaction_t *tr;
    if (osip_message_parse(req, text, len) != 0 ||
        osip_transaction_init(&tr, NICT, osip, req) != 0) {
        osip_message_free(req);
        return -1;
    }
    osip_event_t *evt = osip_new_outgoing_sipmessage(req);
    if (evt == NULL)
        return -1;
    evt->transactionid = tr->transactionid;
    return osip_transaction_add_event(tr, evt);
}

static int client_answer(unsigned i)
{
    char text[TXB_TEXT_CAP];
    size_t len = txb_client_response(text, sizeof text, i);
    osip_event_t *evt = len ? osip_parse(text, len) : NULL;
    if (evt == NULL)
        return -1;
    if (osip_find_transaction_and_add_event(osip, evt) != 0) {
        osip_event_free(evt);
        return -1;
    }
    return 0;
}

int txo_client_batch(size_t n)
{
    sent = finals = killed = 0;
    for (size_t i = 0; i < n; i++) {
        if (client_start((unsigned)i) != 0)
            return -1;
    }
    osip_nict_execute(osip); /* the requests are sent */
    for (size_t i = 0; i < n; i++) {
        if (client_answer((unsigned)i) != 0)
            return -1;
    }
    osip_nict_execute(osip); /* the 200s reach cb_final */
    age_timers(&osip->osip_nict_transactions, DEFAULT_T4 / 1000 + 1);
    osip_timers_nict_execute(osip);
    osip_nict_execute(osip);
    free_dead();
    return sent == n && finals == n && killed == n ? 0 : -1;
}

/* ---------------------------------------------------------------- counting allocator */

/* oSIP's allocator hooks are process-wide and take no user data. */
txb_count txo_count;

static void *count_malloc(size_t size)
{
    void *p = malloc(size);
    if (p != NULL) {
        txo_count.bytes += (int64_t)malloc_usable_size(p);
        txo_count.blocks++;
    }
    txo_count.calls++;
    return p;
}

static void *count_realloc(void *ptr, size_t size)
{
    int64_t old = ptr ? (int64_t)malloc_usable_size(ptr) : 0;
    void *p = realloc(ptr, size);
    if (p != NULL) {
        txo_count.bytes += (int64_t)malloc_usable_size(p) - old;
        txo_count.blocks += ptr == NULL;
    }
    txo_count.calls++;
    return p;
}

static void count_free(void *ptr)
{
    if (ptr != NULL) {
        txo_count.bytes -= (int64_t)malloc_usable_size(ptr);
        txo_count.blocks--;
    }
    free(ptr);
}

void txo_count_on(void)
{
    osip_set_allocators(count_malloc, count_realloc, count_free);
}

void txo_count_off(void)
{
    osip_set_allocators(NULL, NULL, NULL);
}
