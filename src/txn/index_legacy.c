/*
 * The keys built from tags, Call-ID and CSeq: the RFC 2543 fallback of RFC 3261 17.2.3
 * (requests whose branch lacks the magic cookie) and the merged-request key of 8.2.2.2, with
 * the field comparisons index.c shares.
 */
#include "txn/index.h"

int gosip__txn_method_eq(gosip__txn_method a, gosip__txn_method b)
{
    return a.id == b.id && (a.id != GOSIP_METHOD_UNKNOWN || gosip_str_eq(a.name, b.name));
}

int gosip__txn_opt_caseeq(gosip_str a, gosip_str b)
{
    if (!a.p || !b.p)
        return !a.p && !b.p;
    return gosip_str_caseeq(a, b);
}

gosip_str gosip__txn_to_tag(const gosip_msg *m)
{
    const gosip_nameaddr *na = gosip_msg_to(m);
    return na ? na->tag : GOSIP_STR_NULL;
}

gosip_str gosip__txn_from_tag(const gosip_msg *m)
{
    const gosip_nameaddr *na = gosip_msg_from(m);
    return na ? na->tag : GOSIP_STR_NULL;
}

/* The method of a request as the index compares it. */
static gosip__txn_method method_of(const gosip_msg *m)
{
    gosip__txn_method r = {gosip_msg_method(m), gosip_msg_method_name(m)};
    return r;
}

/*
 * Only the fields that every kind of RFC 2543 match shares go into the hash: the ACK
 * carries the To tag of the response and another method, and the CANCEL another method.
 * Each hashed field is compared with a rule at least as strict as the hash (host and
 * branch case-insensitively, so they are hashed lowercased). The Request-URI adds only
 * its scheme, host and port: its user part compares after %-unescaping.
 */
uint32_t gosip__txn_legacy_hash(const uint64_t key[2], const gosip_msg *req)
{
    const gosip_via *via = gosip_msg_via(req);
    const gosip_cseq *cs = gosip_msg_cseq(req);
    const gosip_uri *ru = gosip_msg_request_uri(req);
    gosip__txn_hash h;
    gosip__txn_hash_init(&h, key, 'L');
    gosip__txn_hash_str(&h, gosip_msg_call_id(req), 0);
    gosip__txn_hash_u64(&h, cs ? cs->seq : 0);
    gosip__txn_hash_str(&h, gosip__txn_from_tag(req), 1);
    if (via) {
        gosip__txn_hash_str(&h, via->host, 1);
        gosip__txn_hash_u64(&h, (uint64_t)(int64_t)via->port);
        gosip__txn_hash_str(&h, via->branch, 1);
    }
    gosip__txn_hash_u64(&h, ru ? (uint64_t)ru->scheme : UINT64_MAX);
    if (ru && (ru->scheme == GOSIP_URI_SIP || ru->scheme == GOSIP_URI_SIPS)) {
        gosip__txn_hash_str(&h, ru->host, 1);
        gosip__txn_hash_u64(&h, (uint64_t)(int64_t)ru->port);
    }
    return gosip__txn_hash_end(&h);
}

/* Every parameter of a is in b with an equal value (7.3.1: names and values compare
 * case-insensitively; a parameter without value equals only one without value). */
static int params_within(const gosip_param *a, const gosip_param *b)
{
    for (; a; a = a->next) {
        const gosip_param *o = b;
        while (o && !gosip_str_caseeq(o->name, a->name))
            o = o->next;
        if (!o || !gosip__txn_opt_caseeq(o->value, a->value))
            return 0;
    }
    return 1;
}

/* 20.42: equal sent-protocol and sent-by, the same parameters with equal values. */
static int via_equal(const gosip_via *a, const gosip_via *b)
{
    if (!a || !b)
        return 0;
    return gosip__txn_opt_caseeq(a->protocol, b->protocol) &&
           gosip__txn_opt_caseeq(a->version, b->version) &&
           gosip__txn_opt_caseeq(a->transport, b->transport) &&
           gosip__txn_opt_caseeq(a->host, b->host) && a->port == b->port &&
           params_within(a->params, b->params) && params_within(b->params, a->params);
}

/* Request-URI, From tag, Call-ID, CSeq number and top Via: what every RFC 2543 match of
 * 17.2.3 and 9.2 requires. */
static int common_match(const gosip_msg *orig, const gosip_msg *req)
{
    const gosip_cseq *a = gosip_msg_cseq(orig), *b = gosip_msg_cseq(req);
    return a && b && a->seq == b->seq &&
           gosip_str_eq(gosip_msg_call_id(orig), gosip_msg_call_id(req)) &&
           gosip__txn_opt_caseeq(gosip__txn_from_tag(orig), gosip__txn_from_tag(req)) &&
           via_equal(gosip_msg_via(orig), gosip_msg_via(req)) &&
           gosip_uri_equal(gosip_msg_request_uri(orig), gosip_msg_request_uri(req));
}

int gosip__txn_legacy_match(const gosip_msg *orig, void *txn, gosip__txn_last_response_fn fn,
                            const gosip_msg *req, gosip__txn_legacy_mode mode)
{
    if (!common_match(orig, req))
        return 0;
    gosip__txn_method om = method_of(orig);
    if (mode == GOSIP__TXN_LEGACY_CANCEL)
        return om.id != GOSIP_METHOD_CANCEL &&
               gosip__txn_opt_caseeq(gosip__txn_to_tag(orig), gosip__txn_to_tag(req));
    if (gosip_msg_method(req) == GOSIP_METHOD_ACK) {
        /* the ACK takes its To tag from the response, not from the INVITE */
        const gosip_msg *resp = fn && om.id == GOSIP_METHOD_INVITE ? fn(txn) : NULL;
        return resp && gosip__txn_opt_caseeq(gosip__txn_to_tag(resp), gosip__txn_to_tag(req));
    }
    /* "CSeq (including the method)": the CSeq method equals the request's (8.2.3 / the
     * validator), so the request methods stand for both */
    return gosip__txn_method_eq(om, method_of(req)) &&
           gosip__txn_opt_caseeq(gosip__txn_to_tag(orig), gosip__txn_to_tag(req));
}

uint32_t gosip__txn_merged_hash(const uint64_t key[2], const gosip_msg *req)
{
    const gosip_cseq *cs = gosip_msg_cseq(req);
    gosip__txn_hash h;
    gosip__txn_hash_init(&h, key, 'M');
    gosip__txn_hash_str(&h, gosip__txn_from_tag(req), 1);
    gosip__txn_hash_str(&h, gosip_msg_call_id(req), 0);
    if (cs) {
        gosip__txn_method m = {cs->method, cs->method_name};
        gosip__txn_hash_u64(&h, cs->seq);
        gosip__txn_hash_method(&h, m);
    }
    return gosip__txn_hash_end(&h);
}

int gosip__txn_merged_eq(const gosip_msg *a, const gosip_msg *b)
{
    const gosip_cseq *ca = gosip_msg_cseq(a), *cb = gosip_msg_cseq(b);
    if (!ca || !cb)
        return 0;
    gosip__txn_method ma = {ca->method, ca->method_name}, mb = {cb->method, cb->method_name};
    return ca->seq == cb->seq && gosip__txn_method_eq(ma, mb) &&
           gosip_str_eq(gosip_msg_call_id(a), gosip_msg_call_id(b)) &&
           gosip__txn_opt_caseeq(gosip__txn_from_tag(a), gosip__txn_from_tag(b));
}
