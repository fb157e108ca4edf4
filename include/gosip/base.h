/* GoSIP base layer: strings, status codes, allocator hooks. */
#ifndef GOSIP_BASE_H
#define GOSIP_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GOSIP_BUILDING) && defined(__GNUC__)
#define GOSIP_EXTERN __attribute__((visibility("default")))
#else
#define GOSIP_EXTERN
#endif

/** Status of a call: 0 on success, a negative GOSIP_ERR_* value on failure. */
typedef int gosip_status;

/** Signed size or count; negative values are GOSIP_ERR_* codes. */
typedef ptrdiff_t gosip_ssize;

/**
 * A string as pointer and length. Never NUL-terminated by contract.
 * A NULL pointer means "absent"; a non-NULL pointer with length 0 means "present, empty".
 */
typedef struct gosip_str {
    const char *p;
    size_t n;
} gosip_str;

/**
 * Time in nanoseconds on a monotonic origin of the application's choice (uv_hrtime() in
 * the libuv runtime). Nothing below the runtime reads a clock: every entry point that
 * can start or fire a timer takes `now`.
 */
typedef uint64_t gosip_tstamp;
/** "No time": no deadline pending. Never a valid input. */
#define GOSIP_TSTAMP_NONE UINT64_MAX
#define GOSIP_MS(x) ((gosip_tstamp)(x) * 1000000u)
#define GOSIP_SEC(x) ((gosip_tstamp)(x) * 1000000000u)

/** Builds a gosip_str from a string literal. */
#define GOSIP_STR(lit) ((gosip_str){(lit), sizeof(lit) - 1})
/** The absent string. */
#define GOSIP_STR_NULL ((gosip_str){NULL, 0})

/*
 * Error codes. Each entry: name, value, sentence. Values live in -500..-599;
 * values below GOSIP_ERR_FATAL leave a stack usable only for its destruction.
 */
#define GOSIP_ERRNO_MAP(X)                                                                        \
    X(INVALID_ARG, -501, "invalid argument")                                                      \
    X(PARSE, -502, "malformed SIP syntax")                                                        \
    X(INCOMPLETE, -503, "more data is needed to complete the message")                            \
    X(TOO_LARGE, -504, "message exceeds the configured size limit")                               \
    X(LIMIT, -505, "a configured limit was reached")                                              \
    X(NOT_FOUND, -506, "no such element")                                                         \
    X(FRAMING, -507, "message framing error")                                                     \
    X(BUFFER_SMALL, -508, "output buffer too small")                                              \
    X(UNSUPPORTED, -509, "operation not supported for this object")                               \
    X(EXISTS, -510, "element already exists")                                                     \
    X(IO, -511, "input/output error")                                                             \
    X(DESTROYED, -512, "object destroyed before completion")                                      \
    X(RECURSIVE, -513, "call not allowed from inside a callback")                                 \
    X(STATE, -514, "operation not allowed in the current state")                                  \
    X(TIMEOUT, -515, "the operation timed out")                                                   \
    X(CLOSED, -516, "the connection is closed")                                                   \
    X(REFUSED, -517, "refused by a limit or by the peer")                                         \
    X(RESOLVE, -518, "name resolution failed")                                                    \
    X(TLS, -519, "TLS handshake or certificate verification failed")                              \
    X(NOMEM, -590, "out of memory")                                                               \
    X(INTERNAL, -591, "internal invariant broken")

enum gosip_error {
#define GOSIP__ERR_ENUM(name, val, text) GOSIP_ERR_##name = (val),
    GOSIP_ERRNO_MAP(GOSIP__ERR_ENUM)
#undef GOSIP__ERR_ENUM
    /** Codes below this leave the object usable only for its destruction. */
    GOSIP_ERR_FATAL = -580
};

/** A static English sentence for an error code (never NULL). */
GOSIP_EXTERN const char *gosip_strerror(int err);
/** The constant's name for an error code, e.g. "GOSIP_ERR_PARSE" (never NULL). */
GOSIP_EXTERN const char *gosip_err_name(int err);
/** Nonzero when err is fatal (below GOSIP_ERR_FATAL). */
GOSIP_EXTERN int gosip_err_is_fatal(int err);

/**
 * Allocator hooks. Every allocation of a GoSIP object goes through one of these;
 * NULL selects the C library allocator.
 */
typedef struct gosip_mem {
    void *user_data;
    void *(*malloc)(size_t size, void *user_data);
    void *(*calloc)(size_t nmemb, size_t size, void *user_data);
    void *(*realloc)(void *ptr, size_t size, void *user_data);
    void (*free)(void *ptr, void *user_data);
} gosip_mem;

/** The C library allocator wrapped as a gosip_mem (static, never freed). */
GOSIP_EXTERN const gosip_mem *gosip_mem_default(void);

/** Case-sensitive equality of two strings. */
GOSIP_EXTERN int gosip_str_eq(gosip_str a, gosip_str b);
/** ASCII case-insensitive equality of two strings. */
GOSIP_EXTERN int gosip_str_caseeq(gosip_str a, gosip_str b);
/** ASCII case-insensitive equality with a NUL-terminated string. */
GOSIP_EXTERN int gosip_str_caseeq_cstr(gosip_str a, const char *b);
/** Builds a gosip_str over a NUL-terminated string (NULL gives the absent string). */
GOSIP_EXTERN gosip_str gosip_str_from_cstr(const char *s);

/**
 * Decodes %HH escapes of `in` into `out` (capacity `cap`), once (never recursively).
 * A '%' not followed by two hex digits is copied as is. Returns the decoded length,
 * or GOSIP_ERR_BUFFER_SMALL when cap is too small (cap >= in.n always suffices).
 */
GOSIP_EXTERN gosip_ssize gosip_str_unescape(gosip_str in, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
