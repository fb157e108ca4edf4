/*
 * The transaction matching index: which client transaction a response belongs to
 * (RFC 3261 17.1.3), which server transaction a request belongs to (17.2.3, with the
 * RFC 2543 rules), which transaction a CANCEL cancels (9.2) and whether a request without To
 * tag is a merged request (8.2.2.2). Internal to libgosip; the stack owns the
 * transactions, the index only maps messages to the opaque `txn` pointers it was given.
 *
 * Lookups run on every received message, so they hash and compare the parsed fields in
 * place and never allocate. The hash is keyed (SipHash-2-4) because branch values, tags
 * and Call-IDs come from the network: without the key, a peer could choose values that
 * all land in one bucket.
 *
 * Comparison rules (each one also decides what the hash may cover, since equal keys must
 * hash alike):
 *  - branch and tags: ASCII case-insensitive (7.3.1: parameter values are case-insensitive
 *    and tags and branches are tokens). The magic cookie test is case-insensitive too, so
 *    that two branches the index holds equal never take different matching rules.
 *  - sent-by host: case-insensitive (host names and IPv6 hex digits are); IPv6 hosts are
 *    compared as written, brackets included.
 *  - sent-by port: an absent port equals only an absent port, as for URIs (19.1.4). The
 *    default depends on the transport (5060 or 5061), and a retransmission carries the
 *    very Via its first copy had, so filling in a default would only add false matches.
 *  - methods: case-sensitive (7.1, 20.16); an extension method (GOSIP_METHOD_UNKNOWN)
 *    compares by name.
 *  - Call-ID: case-sensitive (20.8); Request-URI: gosip_uri_equal() (19.1.4); the RFC 2543
 *    top Via: sent-protocol and sent-by equal, same parameters with equal values (20.42).
 */
#ifndef GOSIP_TXN_INDEX_H
#define GOSIP_TXN_INDEX_H

#include <gosip/base.h>
#include <gosip/msg.h>

typedef struct gosip__txn_index gosip__txn_index;
/** One per indexed transaction, owned by the index. */
typedef struct gosip__txn_entry gosip__txn_entry;

/** Called by the index for RFC 2543 ACK matching: the last response the server
 *  transaction sent (NULL when none). */
typedef const gosip_msg *(*gosip__txn_last_response_fn)(void *txn);

/**
 * Creates an empty index. seed: random bits for the keyed hash (branch values come from
 * the network: flooding must not degrade the table). mem NULL = C allocator.
 * last_response may be NULL: RFC 2543 ACKs then match nothing. Errors: INVALID_ARG
 * (out NULL), NOMEM.
 */
int gosip__txn_index_new(gosip__txn_index **out, const gosip_mem *mem, uint64_t seed,
                         gosip__txn_last_response_fn last_response);
/** Frees the index and its entries (dropping their request references); NULL ok. */
void gosip__txn_index_free(gosip__txn_index *ix);
/** Entries (client + server). */
size_t gosip__txn_index_count(const gosip__txn_index *ix);

/** Live server transactions that may share a key, which leaves the method out. */
#define GOSIP__TXN_MAX_PER_KEY 16u

/**
 * Server transaction created by `req` (not ACK). Keyed per 17.2.3: when the top Via branch
 * starts with "z9hG4bK": (branch, top Via sent-by host+port, method with ACK folded into
 * INVITE); otherwise the RFC 2543 fallback (Request-URI, To tag, From tag, Call-ID, CSeq,
 * top Via). When req has no To tag it is also indexed under its merged-request key
 * (From tag, Call-ID, CSeq number and method; 8.2.2.2). The index keeps a reference to req
 * (gosip_msg_ref) until removal and reads its fields on lookups: the fields of the key must
 * not change while it is indexed. *out (when out is non-NULL) receives the entry.
 * Errors: INVALID_ARG (no top Via, no CSeq, or no Call-ID; an ACK), EXISTS (a live server
 * transaction already matches req), LIMIT (GOSIP__TXN_MAX_PER_KEY live transactions share
 * req's key but for the method: a branch reused with other methods), NOMEM. The index is
 * unchanged on error.
 */
int gosip__txn_index_add_server(gosip__txn_index *ix, gosip_msg *req, void *txn,
                                gosip__txn_entry **out);
/**
 * Client transaction for req (not ACK): key (top Via branch, request method). A reference
 * to req is kept until removal, as for server transactions.
 * Errors: INVALID_ARG (no branch / no CSeq / ACK), EXISTS (same branch and method live),
 * NOMEM. The index is unchanged on error.
 */
int gosip__txn_index_add_client(gosip__txn_index *ix, gosip_msg *req, void *txn,
                                gosip__txn_entry **out);
/** Removes and frees an entry (drops its request reference). NULL ok. */
void gosip__txn_index_remove(gosip__txn_index *ix, gosip__txn_entry *e);

/**
 * The server transaction a received request belongs to (a retransmission, or an ACK that
 * matches an INVITE transaction, per 17.2.3 including the RFC 2543 rules for ACK: To tag
 * equal to the To tag of last_response(txn)); NULL when none. A CANCEL matches only a
 * CANCEL transaction here.
 */
void *gosip__txn_index_match_server(const gosip__txn_index *ix, const gosip_msg *req);
/**
 * The server transaction a CANCEL cancels (9.2: 17.2.3 matching with any method but
 * CANCEL, an INVITE first; RFC 2543 rules when no magic cookie); NULL when none.
 */
void *gosip__txn_index_match_cancel(const gosip__txn_index *ix, const gosip_msg *cancel);
/**
 * For a request without a To tag: a live server transaction with the same From tag,
 * Call-ID and CSeq (number and method); the caller answers 482 when that transaction is
 * not the one the request matches (8.2.2.2). When several qualify, the one req matches
 * (17.2.3) is returned, so a retransmission is never taken for a merged request.
 * NULL when none, when req has a To tag, or for an ACK (never answered).
 */
void *gosip__txn_index_match_merged(const gosip__txn_index *ix, const gosip_msg *req);
/**
 * The client transaction a response belongs to (17.1.3: top Via branch and CSeq method);
 * NULL when none (including responses without branch).
 */
void *gosip__txn_index_match_client(const gosip__txn_index *ix, const gosip_msg *resp);
/**
 * Client transaction by branch and method name (used to send a CANCEL where its INVITE
 * went). NULL when none.
 */
void *gosip__txn_index_find_client(const gosip__txn_index *ix, gosip_str branch, gosip_str method);

/* ------------------------------------------------------------------------------------------
 * Below: shared between index.c and index_legacy.c; the keyed hash also serves the dialog
 * table (src/dialog/dialog.c).
 */

/** Streaming SipHash-2-4 over the key fields, fed one field at a time. */
typedef struct gosip__txn_hash {
    uint64_t v0, v1, v2, v3;
    uint64_t tail; /* pending bytes, first byte lowest */
    unsigned ntail;
    uint64_t len;
} gosip__txn_hash;

/** A method as the index compares it: the enum, and the name for extension methods. */
typedef struct gosip__txn_method {
    gosip_method id;
    gosip_str name;
} gosip__txn_method;

/** Starts a hash with the index key; `domain` separates the kinds of keys. */
void gosip__txn_hash_init(gosip__txn_hash *h, const uint64_t key[2], unsigned char domain);
void gosip__txn_hash_u64(gosip__txn_hash *h, uint64_t v);
/** One field: its presence and length, then its bytes (ASCII-lowercased when fold). */
void gosip__txn_hash_str(gosip__txn_hash *h, gosip_str s, int fold);
void gosip__txn_hash_method(gosip__txn_hash *h, gosip__txn_method m);
uint32_t gosip__txn_hash_end(gosip__txn_hash *h);

int gosip__txn_method_eq(gosip__txn_method a, gosip__txn_method b);
/** Absent equals only absent; present values compare case-insensitively. */
int gosip__txn_opt_caseeq(gosip_str a, gosip_str b);
/** The To tag, From tag of m (absent when the header or the tag is). */
gosip_str gosip__txn_to_tag(const gosip_msg *m);
gosip_str gosip__txn_from_tag(const gosip_msg *m);

/** The RFC 2543 key hash of a request (top Via, CSeq and Call-ID present). */
uint32_t gosip__txn_legacy_hash(const uint64_t key[2], const gosip_msg *req);
/** How a request is held against an RFC 2543 transaction. */
typedef enum gosip__txn_legacy_mode {
    GOSIP__TXN_LEGACY_REQUEST, /**< a retransmission, or an ACK of the INVITE */
    GOSIP__TXN_LEGACY_CANCEL   /**< a CANCEL of the request */
} gosip__txn_legacy_mode;
/**
 * Whether req matches the RFC 2543 transaction created by orig (17.2.3, 9.2). For an ACK,
 * last_response(txn) gives the To tag to compare (no response: no match).
 */
int gosip__txn_legacy_match(const gosip_msg *orig, void *txn, gosip__txn_last_response_fn fn,
                            const gosip_msg *req, gosip__txn_legacy_mode mode);

/** The merged-request key hash (8.2.2.2) of a request (CSeq and Call-ID present). */
uint32_t gosip__txn_merged_hash(const uint64_t key[2], const gosip_msg *req);
/** Same From tag, Call-ID and CSeq (number and method). */
int gosip__txn_merged_eq(const gosip_msg *a, const gosip_msg *b);

#endif /* GOSIP_TXN_INDEX_H */
