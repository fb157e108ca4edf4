/* Internal structures of the message layer, shared by its .c files. */
#ifndef GOSIP_MSG_INTERNAL_H
#define GOSIP_MSG_INTERNAL_H

#include <gosip/msg.h>

#include "base/arena.h"
#include "msg/msg_origin.h"
#include "base/sbuf.h"
#include "msg/scan.h"

/* What one parse call may use: where to allocate and which limits apply. */
typedef struct gosip__pctx {
    gosip_arena *arena;
    const gosip_msg_limits *lim;
} gosip__pctx;

/*
 * A header value's typed parser: parses [p, p+n) (already trimmed of surrounding LWS;
 * folding CRLFs inside are LWS) into a new struct allocated from c->arena.
 * Returns 0, GOSIP_ERR_PARSE, GOSIP_ERR_LIMIT or GOSIP_ERR_NOMEM.
 */
typedef int (*gosip__parse_fn)(const gosip__pctx *c, const char *p, size_t n, void **out);
/* Prints a typed value (the value only, no name). */
typedef void (*gosip__print_fn)(gosip_sbuf *sb, const void *v);

/* One row of the declarative header table. */
typedef struct gosip__hdr_info {
    uint8_t shape;    /* gosip_hdr_shape */
    uint8_t is_list;  /* comma-separated values are split into several headers */
    uint8_t single;   /* at most one allowed in a message (RFC 4475 multi01) */
    uint8_t empty_ok; /* an empty value is legal (e.g. "Supported:") */
    uint8_t lazy;     /* parsed on first access rather than with the message */
    gosip__parse_fn parse;
} gosip__hdr_info;

extern const gosip__hdr_info gosip__hdr_rows[GOSIP_HDR__BUILTIN_COUNT];

/* The row for a built-in kind (1 .. GOSIP_HDR__BUILTIN_COUNT-1), NULL otherwise. */
static inline const gosip__hdr_info *gosip__hdr_info_of(gosip_hdr_kind kind)
{
    if (kind <= GOSIP_HDR_OTHER || kind >= GOSIP_HDR__BUILTIN_COUNT)
        return NULL;
    return &gosip__hdr_rows[kind];
}
/* Built-in kind for a header name (full or compact, any case); GOSIP_HDR_OTHER if none. */
gosip_hdr_kind gosip__hdr_lookup(const char *p, size_t n);
/* Canonical name of a built-in kind; absent for others. */
gosip_str gosip__hdr_canonical_name(gosip_hdr_kind kind);
/* The print function of a shape (NULL for OPAQUE and EXTENSION). */
gosip__print_fn gosip__shape_printer(gosip_hdr_shape shape);

struct gosip_hdr {
    gosip_hdr *next, *prev; /* message order */
    gosip_hdr *next_same;   /* next of the same kind (built-in and registered kinds) */
    gosip_str name;
    gosip_str value; /* trimmed value text (one value of a list) */
    gosip_str line;  /* whole raw line without CRLF, shared by the values of one
                        line; p == NULL once the header must be printed from parts */
    void *parsed;    /* typed value; NULL for opaque or failed */
    gosip_msg *msg;  /* owner, for parsing on first access */
    int error;       /* 0 or GOSIP_ERR_PARSE/LIMIT */
    uint8_t kind;    /* gosip_hdr_kind */
    uint8_t dirty;   /* value changed: print from `parsed` */
    uint8_t pending; /* GOSIP__PENDING_*: work deferred until first access */
};

enum { GOSIP__PENDING_PARSE = 1, GOSIP__PENDING_SPLIT = 2 };

/* Appends a copy of src whose typed parse waits for its first reading (a valid,
 * unchanged built-in header), else a plain copy. For factories whose result is read
 * little: a deferred parse that runs out of memory leaves the header in error. */
int gosip__msg_copy_hdr_lazy(gosip_msg *m, const gosip_hdr *src, const gosip_hdr **out);

/* Marks a header's typed parse as failed and records the message defect. */
void gosip__hdr_record_error(gosip_msg *m, gosip_hdr *h, int rc);

/* Runs the typed parse of h's value (built-in or registered kind) into h->parsed. */
int gosip__hdr_parse_value(gosip_msg *m, gosip_hdr *h);
/* Runs a deferred typed parse (logically const: the result is fixed by the text). */
void gosip__hdr_ensure(const gosip_hdr *h);
/* Builds every next_same chain from the header order (done once, on first use). */
void gosip__msg_link_same(gosip_msg *m);
/* Runs the deferred Request-URI parse. */
void gosip__msg_ensure_ruri(const gosip_msg *m);
/* Runs every deferred parse of a message. */
void gosip__msg_ensure_all(const gosip_msg *m);

typedef enum gosip__msg_type {
    GOSIP__MSG_NONE = 0, /* no start line yet (new message, sipfrag or body part) */
    GOSIP__MSG_REQUEST,
    GOSIP__MSG_RESPONSE
} gosip__msg_type;

typedef struct gosip__ext_def {
    gosip_hdr_def def;
    size_t name_len, compact_len;
    char name_buf[64]; /* the registry keeps its own copy of the names */
    char compact_buf[64];
} gosip__ext_def;

struct gosip_hdr_registry {
    const gosip_mem *mem;
    unsigned refs;
    unsigned count;
    gosip__ext_def defs[GOSIP_HDR__MAX - GOSIP_HDR__EXT_BASE];
};

/* Room for the origin of a received message (a copy of the transport's receive info). */
#define GOSIP__MSG_ORIGIN_MAX 48u
typedef struct gosip__msg_origin {
    uint8_t len;
    _Alignas(8) uint8_t data[GOSIP__MSG_ORIGIN_MAX];
} gosip__msg_origin;

struct gosip_msg {
    int refs;
    gosip__msg_type type;
    uint8_t dirty;       /* changed since parse: the printer cannot reuse `raw` */
    uint8_t start_dirty; /* start line changed: print it from parts */
    uint8_t has_defect;
    uint8_t ruri_pending; /* Request-URI parse deferred until first access */
    uint8_t same_linked;  /* next_same chains are built (see gosip__msg_link_same) */
    uint8_t cl_repeated;  /* more than one Content-Length line */
    gosip_arena arena;
    gosip_msg_limits limits;
    const gosip_hdr_registry *registry;

    const char *base;     /* first octet of the parsed copy, for error offsets */
    gosip_str raw;        /* the message as received (start line .. end of body) */
    gosip_str start_line; /* raw start line without CRLF */
    gosip_method method;
    gosip_str method_name;
    gosip_uri *ruri;
    gosip_str ruri_text;
    gosip_str version;
    int status;
    gosip_str reason;

    gosip_hdr *first, *last;
    gosip_hdr *by_kind[GOSIP_HDR__BUILTIN_COUNT];
    unsigned n_hdrs;
    unsigned n_vias;

    gosip_str body;
    gosip_parse_error defect;
    const gosip_multipart *multipart; /* cached parse of the body */
    /* Where a received request came from, as the layer above records it (opaque here);
     * responses built from the request inherit it so they can be sent back the same way. */
    gosip__msg_origin origin;
};


/* Records the first defect of a message (later ones are ignored). */
void gosip__msg_defect(gosip_msg *m, int code, int status, const char *reason, size_t offset,
                       gosip_hdr_kind kind);

/* Offset of p from the start of the parsed text (0 when unknown). */
static inline size_t gosip__msg_offset(const gosip_msg *m, const char *p)
{
    return m->base && p >= m->base ? (size_t)(p - m->base) : 0;
}

/* Allocates a message with an initial arena block of `arena_hint` bytes. */
gosip_msg *gosip__msg_alloc(const gosip_mem *mem, size_t arena_hint);

/*
 * Parses a header block [p, end) (lines ending in CRLF or LF, without the empty line)
 * into m's header list: name lookup, folding, list splitting, typed parse.
 * Defects are recorded on m; returns 0, GOSIP_ERR_LIMIT or GOSIP_ERR_NOMEM.
 */
int gosip__parse_headers(gosip_msg *m, const char *p, const char *end);
/* Like gosip__parse_headers, but stops at the empty line ending the block: *body is the
 * octet after it, or NULL when the block is not terminated. The last line may lack its
 * line break. */
int gosip__parse_header_block(gosip_msg *m, const char *p, const char *end, const char **body);

/* Registered extension kind for a name, GOSIP_HDR_OTHER if none (r may be NULL). */
gosip_hdr_kind gosip__registry_lookup(const gosip_hdr_registry *r, const char *p, size_t n);
/* Takes a reference on a registry (for a message that uses it); returns r. */
const gosip_hdr_registry *gosip__registry_ref(const gosip_hdr_registry *r);
/* The registered definition of an extension kind, NULL if none. */
const gosip_hdr_def *gosip__registry_def(const gosip_hdr_registry *r, gosip_hdr_kind kind);

/* Creates a header of `kind` (or a registered/opaque one by name) from a value text
 * already in m's arena, parses it and returns it unlinked. */
int gosip__hdr_make(gosip_msg *m, gosip_hdr_kind kind, gosip_str name, gosip_str value,
                    gosip_hdr **out);

/* Links h into m at a position (see gosip_hdr_where); maintains by_kind and next_same. */
void gosip__hdr_link(gosip_msg *m, gosip_hdr *h, gosip_hdr_where where, gosip_hdr *ref);
/* Nonzero when h is in m (finishing h's deferred split first). */
int gosip__hdr_in_msg(const gosip_msg *m, const gosip_hdr *h);
/* Makes the values of h's raw line print one by one (h's line is about to change). */
void gosip__hdr_explode_line(gosip_hdr *h);
/* Unlinks h from m. */
void gosip__hdr_unlink(gosip_msg *m, gosip_hdr *h);

/* Prints a whole message. */
void gosip__msg_print(gosip_sbuf *sb, const gosip_msg *m);
/* A header's current value text (printed into m's arena when it changed). */
int gosip__hdr_value_text(gosip_msg *m, const gosip_hdr *h, gosip_str *out);

/* Splits a list value at top-level commas (outside quotes, <> and parentheses).
 * Calls fn for each trimmed element; stops at the first nonzero return. */
int gosip__split_list(const char *p, const char *end,
                      int (*fn)(const char *p, const char *end, void *ud), void *ud);

/* Parameters: parses `;name[=value]` repeatedly from p. Stops at end or at a char that
 * cannot continue a parameter list (returned via *stop). Values may be tokens, quoted
 * strings, or (for `allow_bracket`) IPv6 references. Returns 0 or an error. */
int gosip__parse_params(const gosip__pctx *c, const char *p, const char *end, gosip_param **out,
                        const char **stop);
/* Prints ;name=value for each parameter. */
void gosip__print_params(gosip_sbuf *sb, const gosip_param *p);

/* URI parsing into caller storage; strings point into [p, p+n). */
int gosip__uri_parse(const gosip__pctx *c, const char *p, size_t n, gosip_uri *out);
void gosip__uri_print(gosip_sbuf *sb, const gosip_uri *u);
/* Parses a host[:port] (hostname, IPv4, [IPv6]); returns end or NULL. */
const char *gosip__parse_hostport(const char *p, const char *end, gosip_str *host,
                                  gosip_host_type *type, int *port);

/* Shape parsers reused by several kinds. */
int gosip__parse_nameaddr(const gosip__pctx *c, const char *p, size_t n, void **out);
int gosip__parse_via(const gosip__pctx *c, const char *p, size_t n, void **out);

/* Fills the zeroed typed value v from a header value [p, end): 0 or an error. */
typedef int (*gosip__fill_fn)(const gosip__pctx *c, const char *p, const char *end, void *v);
/* A parser for a value that may not be empty: GOSIP_ERR_PARSE when n is 0, else a zeroed
 * value of `size` octets from the arena (GOSIP_ERR_NOMEM), filled by fill, into *out. */
int gosip__parse_filled(const gosip__pctx *c, const char *p, size_t n, size_t size,
                        gosip__fill_fn fill, void **out);
/* The start of a value that opens with a token (an auth scheme, a priv-value): the token's
 * end into *q, then a zeroed value of `size` octets from the arena. NULL with *rc set when
 * [p, end) does not start with a token (GOSIP_ERR_PARSE) or memory is out (GOSIP_ERR_NOMEM). */
void *gosip__alloc_after_token(const gosip__pctx *c, const char *p, const char *end, size_t size,
                               const char **q, int *rc);

/* Shape printers. */
void gosip__print_nameaddr(gosip_sbuf *sb, const void *v);
void gosip__print_via(gosip_sbuf *sb, const void *v);
void gosip__print_cseq(gosip_sbuf *sb, const void *v);
void gosip__print_rack(gosip_sbuf *sb, const void *v);
void gosip__print_uint(gosip_sbuf *sb, const void *v);
void gosip__print_token(gosip_sbuf *sb, const void *v);
void gosip__print_media(gosip_sbuf *sb, const void *v);
void gosip__print_auth(gosip_sbuf *sb, const void *v);
void gosip__print_text(gosip_sbuf *sb, const void *v);
void gosip__print_warning(gosip_sbuf *sb, const void *v);
void gosip__print_date(gosip_sbuf *sb, const void *v);
void gosip__print_timestamp(gosip_sbuf *sb, const void *v);

/* Per-kind parsers referenced by the table (hdr_table.c). */
#define GOSIP__PARSER(fn) int fn(const gosip__pctx *c, const char *p, size_t n, void **out)
GOSIP__PARSER(gosip__parse_cseq);
GOSIP__PARSER(gosip__parse_rack);
GOSIP__PARSER(gosip__parse_uint_hdr);       /* 1*DIGIT, <= 2^32-1, optional ;params */
GOSIP__PARSER(gosip__parse_max_forwards);   /* 1*DIGIT <= 255 */
GOSIP__PARSER(gosip__parse_content_length); /* 1*DIGIT, no params */
GOSIP__PARSER(gosip__parse_retry_after);    /* delta [comment] *(;params) */
GOSIP__PARSER(gosip__parse_token_hdr);      /* token *(;params) */
GOSIP__PARSER(gosip__parse_word_hdr);       /* word ["@" word] *(;params): Call-ID-like */
GOSIP__PARSER(gosip__parse_callid);         /* word ["@" word], TEXT shape */
GOSIP__PARSER(gosip__parse_text);           /* any TEXT-UTF8, TEXT shape */
GOSIP__PARSER(gosip__parse_media);          /* type "/" subtype *(;params) */
GOSIP__PARSER(gosip__parse_accept);         /* media-range (may be empty per RFC 3261) */
GOSIP__PARSER(gosip__parse_auth);           /* scheme auth-param *("," auth-param) */
GOSIP__PARSER(gosip__parse_auth_info);      /* auth-param *("," auth-param), no scheme */
GOSIP__PARSER(gosip__parse_warning);
GOSIP__PARSER(gosip__parse_date);
GOSIP__PARSER(gosip__parse_timestamp);
GOSIP__PARSER(gosip__parse_info_uri);     /* "<" absoluteURI ">" *(;params) */
GOSIP__PARSER(gosip__parse_mime_version); /* 1*DIGIT "." 1*DIGIT */
GOSIP__PARSER(gosip__parse_privacy);      /* priv-value *(";" priv-value) */

#endif
