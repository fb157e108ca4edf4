/*
 * RFC 3263 server location on a libuv loop: the sans-I/O planner of
 * src/uv/locate.h driven by c-ares queries, with one TTL cache per resolver.
 * Part of the runtime library (libgosip-uv); gosip_uv_resolve() is built on it.
 *
 * c-ares runs without threads of its own: its sockets are watched with uv_poll handles
 * (sock_state_cb) and its timeouts with one uv_timer; one uv_idle handle delivers
 * results, so a callback never runs inside gosip__resolver_resolve(). Queries of one
 * location run one after another (NAPTR, then each SRV name, then A and AAAA of each
 * host); answers already in the cache cost no query.
 *
 * Everything runs on the loop's thread; one resolver per loop user, no global state
 * (c-ares 1.18 needs no ares_library_init() outside Windows).
 */
#ifndef GOSIP_UV_RESOLVE_H
#define GOSIP_UV_RESOLVE_H

#include <gosip/transport.h>
#include <uv.h>

typedef struct gosip__resolver gosip__resolver;

/**
 * Creates a resolver on loop (not owned). dns_servers: "ip[:port],..." as c-ares'
 * ares_set_servers_ports_csv() reads it ("127.0.0.1:5353", "[::1]:53"); NULL: the
 * system's (/etc/resolv.conf). mem: allocator of the resolver's own memory (NULL: the C
 * library's; c-ares allocates with its own). All-or-nothing: on error nothing is left
 * on the loop. Errors: INVALID_ARG (loop or out NULL, dns_servers unparsable), NOMEM,
 * RESOLVE (c-ares could not initialise, e.g. unreadable resolv.conf), IO (a libuv call
 * failed).
 */
int gosip__resolver_new(gosip__resolver **out, uv_loop_t *loop, const char *dns_servers,
                        const gosip_mem *mem);

/**
 * Closes the resolver: every pending resolution's callback runs with
 * GOSIP_ERR_DESTROYED (from inside this call), its uv handles are closed, then it is
 * freed and done(ud) runs (done may be NULL) on a later loop iteration. May be called
 * from a resolve callback. No callback runs after done. Calling resolve after close
 * returns GOSIP_ERR_STATE.
 */
void gosip__resolver_close(gosip__resolver *r, void (*done)(void *ud), void *ud);

/** Result of one resolution: status 0 with n >= 1 targets in the order to try them, or
 *  GOSIP_ERR_RESOLVE (nothing found, or every query failed), GOSIP_ERR_NOMEM, or
 *  GOSIP_ERR_DESTROYED (resolver closed). targets are valid during the call only. */
typedef void (*gosip__resolve_cb)(int status, const gosip_target *targets, size_t n, void *ud);

/**
 * Locates uri's servers (RFC 3263 4; the rules are in uv/locate.h). uri is
 * copied where needed and may be freed on return. cb always runs later on the loop,
 * exactly once, never inside this call, even for numeric hosts and cache hits.
 * Errors (cb is then never called): INVALID_ARG (not a sip/sips URI, no host),
 * UNSUPPORTED (transport parameter not udp/tcp/tls, or sips with udp), STATE (the
 * resolver is closing), NOMEM.
 */
int gosip__resolver_resolve(gosip__resolver *r, const gosip_uri *uri, gosip__resolve_cb cb,
                            void *ud);

/** Entries in the resolver's DNS cache (for tests). */
size_t gosip__resolver_cache_count(const gosip__resolver *r);

#endif
