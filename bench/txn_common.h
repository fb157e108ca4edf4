/*
 * What bench_txn shares with its oSIP side (txn_osip.c): the wire texts both libraries
 * receive, and the allocation counter. Texts are built here once so that every library
 * parses exactly the same bytes.
 */
#ifndef GOSIP_BENCH_TXN_COMMON_H
#define GOSIP_BENCH_TXN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The server side listens on LOCAL_PORT; the load generator sits on PEER_PORT. */
#define TXB_LOCAL_PORT 5060
#define TXB_PEER_PORT 5070
#define TXB_TEXT_CAP 640

/*
 * What the allocators of the libraries hold right now. Bytes are malloc_usable_size(),
 * the size the C library really set aside (the request rounded up to its granularity),
 * so that libraries asking for many small blocks pay what they cost.
 */
typedef struct txb_count {
    int64_t bytes;
    int64_t blocks;
    uint64_t calls;
} txb_count;

/* A request the load generator sends to the server: OPTIONS or MESSAGE, id i. */
static inline size_t txb_server_request(char *buf, size_t cap, unsigned i, int message)
{
    static const char body[] = "bench";
    int n = snprintf(buf, cap,
                     "%s sip:service@127.0.0.1:%d SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-s%u-%u;rport\r\n"
                     "From: sipp <sip:sipp@127.0.0.1:%d>;tag=%u\r\n"
                     "To: sut <sip:service@127.0.0.1:%d>\r\n"
                     "Call-ID: %u-%u@127.0.0.1\r\n"
                     "CSeq: 1 %s\r\n"
                     "Contact: <sip:sipp@127.0.0.1:%d>\r\n"
                     "Max-Forwards: 70\r\n"
                     "Subject: Performance Test\r\n"
                     "%s"
                     "Content-Length: %zu\r\n\r\n%s",
                     message ? "MESSAGE" : "OPTIONS", TXB_LOCAL_PORT, TXB_PEER_PORT, i, i * 7u,
                     TXB_PEER_PORT, i, TXB_LOCAL_PORT, i, i * 13u, message ? "MESSAGE" : "OPTIONS",
                     TXB_PEER_PORT, message ? "Content-Type: text/plain\r\n" : "",
                     message ? sizeof body - 1 : 0, message ? body : "");
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* A request the client side sends (its Via is the server side's own address). */
static inline size_t txb_client_request(char *buf, size_t cap, unsigned i)
{
    int n = snprintf(buf, cap,
                     "OPTIONS sip:peer@127.0.0.1:%d SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-c%u;rport\r\n"
                     "From: <sip:bench@127.0.0.1:%d>;tag=c%u\r\n"
                     "To: <sip:peer@127.0.0.1:%d>\r\n"
                     "Call-ID: c%u@127.0.0.1\r\n"
                     "CSeq: 1 OPTIONS\r\n"
                     "Max-Forwards: 70\r\n"
                     "Content-Length: 0\r\n\r\n",
                     TXB_PEER_PORT, TXB_LOCAL_PORT, i, TXB_LOCAL_PORT, i, TXB_PEER_PORT, i);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* The peer's 200 to txb_client_request(i). */
static inline size_t txb_client_response(char *buf, size_t cap, unsigned i)
{
    int n = snprintf(buf, cap,
                     "SIP/2.0 200 OK\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-c%u;rport=%d\r\n"
                     "From: <sip:bench@127.0.0.1:%d>;tag=c%u\r\n"
                     "To: <sip:peer@127.0.0.1:%d>;tag=p%u\r\n"
                     "Call-ID: c%u@127.0.0.1\r\n"
                     "CSeq: 1 OPTIONS\r\n"
                     "Content-Length: 0\r\n\r\n",
                     TXB_LOCAL_PORT, i, TXB_LOCAL_PORT, TXB_LOCAL_PORT, i, TXB_PEER_PORT, i, i);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* ---------------------------------------------------------------- the oSIP side */

/* Memory of live oSIP server transactions, as txb_count deltas. */
typedef struct txo_mem {
    double bytes, blocks;
    size_t live;
} txo_mem;

/* What oSIP's allocator holds, counted once txo_count_on() installed the counting hooks
 * (process-wide: oSIP's hooks take no user data). */
extern txb_count txo_count;
void txo_count_on(void);
void txo_count_off(void);

/* Creates the oSIP instance with its callbacks; 0 or -1. */
int txo_open(void);
void txo_close(void);
/*
 * n requests received, each a new non-INVITE server transaction answered 200 from the
 * request callback, then Timer J fired so that every one ends. lookup: search the live
 * transactions for each request first, as a server must (oSIP's list is linear).
 * 0 when all n were answered and ended, else -1.
 */
int txo_server_batch(char *const *text, const size_t *len, size_t n, int lookup);
/* n client transactions: built, sent, answered 200 by the peer, ended by Timer K. */
int txo_client_batch(size_t n);
/* Memory held by n live server transactions answered 200 (before Timer J). */
int txo_server_mem(char *const *text, const size_t *len, size_t n, txo_mem *out);

#endif
