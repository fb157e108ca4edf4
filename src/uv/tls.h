/*
 * TLS engine of the libuv runtime: OpenSSL over memory BIOs, with no socket and no clock.
 * The runtime moves ciphertext between an engine and its TCP stream:
 *
 *     on read:   gosip__tls_feed(t, bytes) ; then gosip__tls_read() until 0 (plaintext for
 *                the core) ; then gosip__tls_take_cipher() until 0 (handshake records,
 *                alerts, TLS 1.3 post-handshake messages) and write those to the socket
 *     on send:   gosip__tls_write(t, plain) ; then gosip__tls_take_cipher() until 0
 *     on close:  gosip__tls_shutdown(t) ; take_cipher until 0 ; close the stream
 *
 * Always drain take_cipher after feed, even when feed failed: a failed handshake leaves
 * the alert that tells the peer why. The handshake timeout is the runtime's job (the
 * engine reads no clock): close the connection when gosip__tls_handshake_done() is still
 * 0 after gosip_uv_config.tls_handshake_timeout.
 *
 * Host names follow RFC 5922 7.2: the client checks the name it was given against the
 * server certificate's subjectAltName URI "sip:<host>" and DNS entries, the subject CN
 * only when the certificate has no subjectAltName at all, whole-name and case-insensitive
 * matches only (RFC 5922 forbids wildcards for SIP, so "*.example.test" matches nothing).
 * A numeric host (IPv4, IPv6 with or without brackets) is checked against iPAddress
 * entries instead, and is not sent as SNI (RFC 6066 3).
 *
 * Memory: engine structs use the config's gosip_mem; OpenSSL allocates with its own
 * process-wide allocator (OpenSSL has no per-context hook). Nothing here calls
 * OPENSSL_init_ssl or OPENSSL_cleanup: OpenSSL >= 1.1 initialises itself on first use
 * and frees its one-time state at exit.
 *
 * One engine is used by one thread at a time. Every call clears OpenSSL's per-thread
 * error queue before its own work, so errors of one connection never leak into another.
 */
#ifndef GOSIP_UV_TLS_H
#define GOSIP_UV_TLS_H

#include <gosip/uv.h>

#include <stddef.h>

typedef struct gosip__tls_ctx gosip__tls_ctx; /* one per runtime: server and client SSL_CTX */
typedef struct gosip__tls gosip__tls;         /* one per connection */

/* Protocol versions, with OpenSSL's wire values (for gosip__tls_ctx_set_max_version). */
#define GOSIP__TLS_V12 0x0303
#define GOSIP__TLS_V13 0x0304

/*
 * Creates the contexts from the config's files (read now, never again):
 * - server context only when cfg->tls_cert_file is set (key: tls_key_file, or the same
 *   file when NULL); it demands and verifies a client certificate when
 *   cfg->tls_require_client_cert, and asks for none otherwise;
 * - client context always; it presents tls_client_cert_file (key: tls_client_key_file,
 *   or the same file) when set, and verifies servers when cfg->tls_verify_peer;
 * - CAs from tls_ca_file, or OpenSSL's default store when NULL.
 * TLS 1.2 minimum, TLS 1.3 maximum, no renegotiation, no session cache or tickets.
 * Errors: INVALID_ARG (NULL out or cfg), NOMEM, TLS (a file is unreadable or not PEM,
 * a key does not match its certificate, OpenSSL refused a setting). *out is untouched on
 * failure.
 */
int gosip__tls_ctx_new(gosip__tls_ctx **out, const gosip_uv_config *cfg);
/*
 * The same, writing on failure a NUL-terminated English reason naming the file and
 * OpenSSL's error into why (capacity why_cap; why may be NULL), for the runtime's log.
 */
int gosip__tls_ctx_new2(gosip__tls_ctx **out, const gosip_uv_config *cfg, char *why,
                        size_t why_cap);
/* Frees the contexts; NULL is a no-op. Engines made from ctx must be freed first. */
void gosip__tls_ctx_free(gosip__tls_ctx *ctx);
/* Nonzero when TLS listening points can accept (a server certificate was loaded). */
int gosip__tls_ctx_has_server_cert(const gosip__tls_ctx *ctx);
/*
 * Caps the protocol version of engines created from now on (GOSIP__TLS_V12 or _V13),
 * server and client alike. For tests and interop. Errors: INVALID_ARG.
 */
int gosip__tls_ctx_set_max_version(gosip__tls_ctx *ctx, int version);

/*
 * Creates an engine. Server (is_server nonzero): host is ignored; fails with STATE when
 * the context has no server certificate. Client: host (NUL-terminated, copied) is the
 * SNI and the name checked in the server certificate; NULL host is INVALID_ARG when
 * verification is on, and means "no SNI" when it is off.
 * Errors: INVALID_ARG, STATE, NOMEM, TLS (OpenSSL refused to create the session).
 */
int gosip__tls_new(gosip__tls **out, gosip__tls_ctx *ctx, int is_server, const char *host);
/* Frees an engine (sends nothing: call gosip__tls_shutdown first for a clean close). */
void gosip__tls_free(gosip__tls *t);

/*
 * Client: produces the ClientHello (take it with take_cipher). Server: no-op.
 * Returns 0, or TLS when the engine already failed, STATE after shutdown.
 */
int gosip__tls_start(gosip__tls *t);
/*
 * Ciphertext from the socket (any fragmentation). Advances the handshake, then decrypts
 * every complete record into the engine's plaintext queue (read it with gosip__tls_read,
 * which bounds the queue to what the runtime feeds between reads). After the handshake
 * completes, data held by gosip__tls_write is encrypted.
 * Returns 0; TLS on a handshake or verification failure or a bad record (the reason is
 * in gosip__tls_reason; the engine is then dead: every later call fails with TLS; send
 * what take_cipher gives, then close); NOMEM (the engine is dead as well: later calls fail
 * with TLS, the reason says "out of memory").
 * Bytes fed after the peer's close_notify are ignored.
 */
int gosip__tls_feed(gosip__tls *t, const void *cipher, size_t n);
/* Copies up to cap decrypted application bytes into plain; returns the count, 0 when
 * none are pending. Never fails (errors surface at feed). */
gosip_ssize gosip__tls_read(gosip__tls *t, void *plain, size_t cap);
/*
 * Encrypts n application bytes (copied). Before the handshake completes they are held and
 * sent when it does (the runtime bounds what it queues on a connection not yet open).
 * Returns 0, TLS (engine failed), CLOSED (after gosip__tls_shutdown), NOMEM.
 */
int gosip__tls_write(gosip__tls *t, const void *plain, size_t n);
/* Ciphertext the runtime must write to the socket, up to cap bytes; 0 when none. */
gosip_ssize gosip__tls_take_cipher(gosip__tls *t, void *out, size_t cap);
/* Bytes take_cipher would give now (to size one write buffer). */
size_t gosip__tls_cipher_pending(const gosip__tls *t);

/*
 * Sends close_notify (once; take it with take_cipher) and refuses later writes. Held
 * plaintext not yet sent is dropped. Before the handshake completes or after a failure
 * it produces nothing. Returns 0.
 */
int gosip__tls_shutdown(gosip__tls *t);

/*
 * Nonzero once the handshake completed (and, for a client, the server was verified), zero
 * again after a failure. With TLS 1.3 a client completes before the server has checked its
 * certificate: a server that refuses it answers with an alert, so a later feed fails.
 */
int gosip__tls_handshake_done(const gosip__tls *t);
/* Nonzero once the peer's close_notify arrived: read what is pending, then close. */
int gosip__tls_peer_closed(const gosip__tls *t);
/* Nonzero after a failure (feed returned TLS). */
int gosip__tls_failed(const gosip__tls *t);
/* The last error, English, owned by t, never NULL ("" when none). Names the host on a
 * name mismatch and OpenSSL's verification result on a chain failure. */
const char *gosip__tls_reason(const gosip__tls *t);
/* "TLSv1.2" or "TLSv1.3" after the handshake, NULL before. */
const char *gosip__tls_version(const gosip__tls *t);
/* Server: the SNI the client sent (owned by t), NULL when none or before the ClientHello. */
const char *gosip__tls_sni(const gosip__tls *t);
/* Nonzero when the peer presented a certificate that was verified (client certificates on
 * a server that requires them; server certificates on a client with verification on). */
int gosip__tls_peer_verified(const gosip__tls *t);

/*
 * The SIP domains of the peer certificate, RFC 5922 7.1: the hosts of its subjectAltName
 * URIs of scheme sip, then its DNS names, or the subject CN when it has no subjectAltName;
 * wildcard names are left out. For a server checking a client certificate (the peer's
 * domain for RFC 5922 7.3 / 4474 decisions) and for logs. Fills up to cap entries of
 * names (strings owned by t, valid until gosip__tls_free, not NUL-terminated by contract)
 * and returns how many the certificate has (more than cap when they did not fit); 0
 * before the handshake or without a peer certificate. Only meaningful when
 * gosip__tls_peer_verified() is nonzero: otherwise anyone could have forged them.
 */
size_t gosip__tls_peer_names(const gosip__tls *t, gosip_str *names, size_t cap);

#endif
