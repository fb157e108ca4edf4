/*
 * GoSIP message layer: URIs, typed headers, messages, bodies, parser, printer,
 * factories and request validation (RFC 3261 sections 7, 8, 19, 20, 25).
 *
 * Parsed values are plain read-only structs whose strings point into the message's
 * own memory: they live as long as the message. Change a message only through the
 * gosip_msg_* mutators, which keep the printer and the typed view consistent.
 * One message is used by one thread at a time.
 */
#ifndef GOSIP_MSG_H
#define GOSIP_MSG_H

#include <gosip/base.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gosip_msg gosip_msg;
typedef struct gosip_hdr gosip_hdr;
typedef struct gosip_hdr_registry gosip_hdr_registry;

/* ---------------------------------------------------------------- methods */

typedef enum gosip_method {
    GOSIP_METHOD_UNKNOWN = 0,
    GOSIP_METHOD_INVITE,
    GOSIP_METHOD_ACK,
    GOSIP_METHOD_BYE,
    GOSIP_METHOD_CANCEL,
    GOSIP_METHOD_OPTIONS,
    GOSIP_METHOD_REGISTER,
    GOSIP_METHOD_PRACK,
    GOSIP_METHOD_SUBSCRIBE,
    GOSIP_METHOD_NOTIFY,
    GOSIP_METHOD_PUBLISH,
    GOSIP_METHOD_INFO,
    GOSIP_METHOD_REFER,
    GOSIP_METHOD_MESSAGE,
    GOSIP_METHOD_UPDATE
} gosip_method;

/** Maps a method name (case-sensitive, as RFC 3261 requires) to its enum value. */
GOSIP_EXTERN gosip_method gosip_method_from_str(gosip_str name);
/** The canonical name of a known method ("INVITE"); NULL for GOSIP_METHOD_UNKNOWN. */
GOSIP_EXTERN const char *gosip_method_name(gosip_method m);
/** The default reason phrase for a status code ("Not Found"), "" when unknown. */
GOSIP_EXTERN const char *gosip_reason_phrase(int status);

/* ---------------------------------------------------------------- parameters and URIs */

/** One `;name=value` parameter. value.p == NULL when there was no '='. Quoted values keep their quotes. */
typedef struct gosip_param {
    gosip_str name;
    gosip_str value;
    struct gosip_param *next;
} gosip_param;

/** Finds a parameter by name (case-insensitive). Returns it, or NULL. */
GOSIP_EXTERN const gosip_param *gosip_param_find(const gosip_param *list, const char *name);

typedef enum gosip_uri_scheme {
    GOSIP_URI_SIP = 0,
    GOSIP_URI_SIPS,
    GOSIP_URI_TEL,
    GOSIP_URI_OTHER /**< any other absolute URI; see gosip_uri.opaque */
} gosip_uri_scheme;

typedef enum gosip_host_type {
    GOSIP_HOST_NONE = 0,
    GOSIP_HOST_NAME,
    GOSIP_HOST_IPV4,
    GOSIP_HOST_IPV6 /**< host keeps its brackets, as in "[2001:db8::1]" */
} gosip_host_type;

/**
 * A parsed URI. Strings are as written on the wire, still %-escaped; use
 * gosip_str_unescape() to decode them.
 */
typedef struct gosip_uri {
    gosip_uri_scheme scheme;
    gosip_str scheme_name; /**< as written ("sip", "SIPS", "tel", "http") */
    gosip_str user;        /**< sip/sips userinfo user; tel: the number; absent when none */
    gosip_str password;    /**< absent when none */
    gosip_str host;        /**< sip/sips host; absent for tel and other schemes */
    gosip_host_type host_type;
    int port;              /**< -1 when absent */
    gosip_param *params;   /**< uri-parameters (tel: its parameters) */
    gosip_str headers;     /**< the text after '?', absent when none */
    gosip_str opaque;      /**< other schemes: everything after "scheme:" */
    gosip_str raw;         /**< the whole URI as written */
} gosip_uri;

/**
 * Parses a URI into a standalone object owned by the caller (free with gosip_uri_free).
 * Errors: GOSIP_ERR_PARSE (malformed), GOSIP_ERR_TOO_LARGE (longer than
 * GOSIP_DEFAULT_MAX_URI_LEN), GOSIP_ERR_LIMIT (more than GOSIP_DEFAULT_MAX_PARAMS
 * parameters), GOSIP_ERR_NOMEM.
 */
GOSIP_EXTERN int gosip_uri_new(gosip_uri **out, const gosip_mem *mem, gosip_str text);
/** Frees a URI made by gosip_uri_new(); NULL is a no-op. */
GOSIP_EXTERN void gosip_uri_free(gosip_uri *uri);
/** Compares two URIs by the rules of RFC 3261 section 19.1.4. Returns 1 when equal. */
GOSIP_EXTERN int gosip_uri_equal(const gosip_uri *a, const gosip_uri *b);
/** Finds a uri-parameter by name; NULL when absent. */
GOSIP_EXTERN const gosip_param *gosip_uri_param(const gosip_uri *uri, const char *name);
/** Prints a URI, snprintf-style: returns the full length and writes at most cap-1 bytes plus NUL. */
GOSIP_EXTERN size_t gosip_uri_print(const gosip_uri *uri, char *buf, size_t cap);

/* ---------------------------------------------------------------- typed header values */

/** name-addr / addr-spec headers: From, To, Contact, Route, Record-Route, Reply-To, Refer-To,
 *  Referred-By, Path, Service-Route, P-Asserted-Identity, and the `<uri> params` headers
 *  Alert-Info, Call-Info, Error-Info. */
typedef struct gosip_nameaddr {
    gosip_str display;   /**< display name as written, quotes included; absent when none */
    gosip_uri *uri;      /**< NULL only for `Contact: *` */
    gosip_param *params; /**< header parameters (not URI parameters) */
    gosip_str tag;       /**< the tag parameter's value; absent when none */
    int star;            /**< 1 for `Contact: *` */
    int bracketed;       /**< 1 when the URI was enclosed in <> */
} gosip_nameaddr;

/** Via */
typedef struct gosip_via {
    gosip_str protocol; /**< "SIP" */
    gosip_str version;  /**< "2.0" */
    gosip_str transport;
    gosip_str host;
    gosip_host_type host_type;
    int port;           /**< -1 when absent */
    gosip_param *params;
    gosip_str branch;   /**< absent when no branch parameter */
    gosip_str received; /**< absent when no received parameter */
    gosip_str maddr;    /**< absent when no maddr parameter */
    int32_t rport;      /**< -1 absent, 0 present without value, else the port */
    int ttl;            /**< -1 when absent */
} gosip_via;

/** CSeq */
typedef struct gosip_cseq {
    uint32_t seq;
    gosip_method method;
    gosip_str method_name;
} gosip_cseq;

/** RAck (RFC 3262) */
typedef struct gosip_rack {
    uint32_t rseq;
    uint32_t cseq;
    gosip_method method;
    gosip_str method_name;
} gosip_rack;

/** Numeric headers: Content-Length, Max-Forwards, Expires, Min-Expires, RSeq, Min-SE,
 *  Session-Expires (refresher in params), Retry-After (comment and params). */
typedef struct gosip_uint {
    uint32_t value;
    gosip_str comment;   /**< Retry-After comment without parentheses; absent when none */
    gosip_param *params;
} gosip_uint;

/** One token (or word) with parameters: Allow, Supported, Require, Proxy-Require,
 *  Unsupported, Allow-Events, Content-Encoding, Content-Language, Accept-Encoding,
 *  Accept-Language, Event, Subscription-State, Reason, Content-Disposition, Priority,
 *  Privacy, SIP-ETag, SIP-If-Match, In-Reply-To, Replaces (call-id), MIME-Version. */
typedef struct gosip_token {
    gosip_str token;
    gosip_param *params;
} gosip_token;

/** Content-Type and Accept */
typedef struct gosip_media {
    gosip_str type;
    gosip_str subtype;
    gosip_param *params;
} gosip_media;

/** Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate and
 *  Authentication-Info (which has no scheme). Parameter values keep their quotes. */
typedef struct gosip_auth {
    gosip_str scheme;
    gosip_param *params;
} gosip_auth;

/** Free text or a single word: Call-ID, Subject, Organization, Server, User-Agent. */
typedef struct gosip_text {
    gosip_str text;
} gosip_text;

/** Warning: one warning-value. */
typedef struct gosip_warning {
    unsigned code;
    gosip_str agent;
    gosip_str text; /**< quoted-string, quotes included */
} gosip_warning;

/** Date (RFC 1123 form, GMT only). */
typedef struct gosip_date {
    int weekday; /**< 0 = Sunday */
    int day, month, year; /**< month 1..12 */
    int hour, minute, second;
    int64_t epoch; /**< seconds since 1970-01-01T00:00:00Z */
} gosip_date;

/** Timestamp: decimal strings as written. */
typedef struct gosip_timestamp {
    gosip_str value;
    gosip_str delay; /**< absent when none */
} gosip_timestamp;

/* ---------------------------------------------------------------- header kinds */

/** The X-macro behind gosip_hdr_kind: KIND, full name, compact form ("" if none). */
#define GOSIP_HDR_MAP(X)                                                                          \
    X(ACCEPT, "Accept", "")                                                                       \
    X(ACCEPT_ENCODING, "Accept-Encoding", "")                                                     \
    X(ACCEPT_LANGUAGE, "Accept-Language", "")                                                     \
    X(ALERT_INFO, "Alert-Info", "")                                                               \
    X(ALLOW, "Allow", "")                                                                         \
    X(ALLOW_EVENTS, "Allow-Events", "u")                                                          \
    X(AUTHENTICATION_INFO, "Authentication-Info", "")                                             \
    X(AUTHORIZATION, "Authorization", "")                                                         \
    X(CALL_ID, "Call-ID", "i")                                                                    \
    X(CALL_INFO, "Call-Info", "")                                                                 \
    X(CONTACT, "Contact", "m")                                                                    \
    X(CONTENT_DISPOSITION, "Content-Disposition", "")                                             \
    X(CONTENT_ENCODING, "Content-Encoding", "e")                                                  \
    X(CONTENT_LANGUAGE, "Content-Language", "")                                                   \
    X(CONTENT_LENGTH, "Content-Length", "l")                                                      \
    X(CONTENT_TYPE, "Content-Type", "c")                                                          \
    X(CSEQ, "CSeq", "")                                                                           \
    X(DATE, "Date", "")                                                                           \
    X(ERROR_INFO, "Error-Info", "")                                                               \
    X(EVENT, "Event", "o")                                                                        \
    X(EXPIRES, "Expires", "")                                                                     \
    X(FROM, "From", "f")                                                                          \
    X(IN_REPLY_TO, "In-Reply-To", "")                                                             \
    X(MAX_FORWARDS, "Max-Forwards", "")                                                           \
    X(MIME_VERSION, "MIME-Version", "")                                                           \
    X(MIN_EXPIRES, "Min-Expires", "")                                                             \
    X(MIN_SE, "Min-SE", "")                                                                       \
    X(ORGANIZATION, "Organization", "")                                                           \
    X(P_ASSERTED_IDENTITY, "P-Asserted-Identity", "")                                             \
    X(PATH, "Path", "")                                                                           \
    X(PRIORITY, "Priority", "")                                                                   \
    X(PRIVACY, "Privacy", "")                                                                     \
    X(PROXY_AUTHENTICATE, "Proxy-Authenticate", "")                                               \
    X(PROXY_AUTHORIZATION, "Proxy-Authorization", "")                                             \
    X(PROXY_REQUIRE, "Proxy-Require", "")                                                         \
    X(RACK, "RAck", "")                                                                           \
    X(REASON, "Reason", "")                                                                       \
    X(RECORD_ROUTE, "Record-Route", "")                                                           \
    X(REFER_TO, "Refer-To", "r")                                                                  \
    X(REFERRED_BY, "Referred-By", "b")                                                            \
    X(REPLACES, "Replaces", "")                                                                   \
    X(REPLY_TO, "Reply-To", "")                                                                   \
    X(REQUIRE, "Require", "")                                                                     \
    X(RETRY_AFTER, "Retry-After", "")                                                             \
    X(ROUTE, "Route", "")                                                                         \
    X(RSEQ, "RSeq", "")                                                                           \
    X(SERVER, "Server", "")                                                                       \
    X(SERVICE_ROUTE, "Service-Route", "")                                                         \
    X(SESSION_EXPIRES, "Session-Expires", "x")                                                    \
    X(SIP_ETAG, "SIP-ETag", "")                                                                   \
    X(SIP_IF_MATCH, "SIP-If-Match", "")                                                           \
    X(SUBJECT, "Subject", "s")                                                                    \
    X(SUBSCRIPTION_STATE, "Subscription-State", "")                                               \
    X(SUPPORTED, "Supported", "k")                                                                \
    X(TIMESTAMP, "Timestamp", "")                                                                 \
    X(TO, "To", "t")                                                                              \
    X(UNSUPPORTED, "Unsupported", "")                                                             \
    X(USER_AGENT, "User-Agent", "")                                                               \
    X(VIA, "Via", "v")                                                                            \
    X(WARNING, "Warning", "")                                                                     \
    X(WWW_AUTHENTICATE, "WWW-Authenticate", "")

typedef enum gosip_hdr_kind {
    GOSIP_HDR_OTHER = 0, /**< an extension header kept as opaque text */
#define GOSIP__HDR_ENUM(kind, name, compact) GOSIP_HDR_##kind,
    GOSIP_HDR_MAP(GOSIP__HDR_ENUM)
#undef GOSIP__HDR_ENUM
    GOSIP_HDR__BUILTIN_COUNT,
    GOSIP_HDR__EXT_BASE = 96, /**< registered extension kinds start here */
    GOSIP_HDR__MAX = 128
} gosip_hdr_kind;

/** The shape of a kind's parsed value, telling which gosip_hdr_* accessor applies. */
typedef enum gosip_hdr_shape {
    GOSIP_SHAPE_OPAQUE = 0,
    GOSIP_SHAPE_NAMEADDR,
    GOSIP_SHAPE_VIA,
    GOSIP_SHAPE_CSEQ,
    GOSIP_SHAPE_RACK,
    GOSIP_SHAPE_UINT,
    GOSIP_SHAPE_TOKEN,
    GOSIP_SHAPE_MEDIA,
    GOSIP_SHAPE_AUTH,
    GOSIP_SHAPE_TEXT,
    GOSIP_SHAPE_WARNING,
    GOSIP_SHAPE_DATE,
    GOSIP_SHAPE_TIMESTAMP,
    GOSIP_SHAPE_EXTENSION /**< parsed by a registered parser; see gosip_hdr_ext() */
} gosip_hdr_shape;

/** Canonical name of a built-in kind ("Call-ID"); NULL for OTHER or unknown values. */
GOSIP_EXTERN const char *gosip_hdr_kind_name(gosip_hdr_kind kind);
/** Looks up a built-in kind by full or compact name, case-insensitive; GOSIP_HDR_OTHER if none. */
GOSIP_EXTERN gosip_hdr_kind gosip_hdr_kind_from_name(gosip_str name);
/** The shape of a built-in kind. */
GOSIP_EXTERN gosip_hdr_shape gosip_hdr_kind_shape(gosip_hdr_kind kind);

/* ---------------------------------------------------------------- headers */

/** The kind of a header (GOSIP_HDR_OTHER for opaque extension headers). */
GOSIP_EXTERN gosip_hdr_kind gosip_hdr_kind_of(const gosip_hdr *h);
/** The header name as written (or canonical, for headers the application added). */
GOSIP_EXTERN gosip_str gosip_hdr_name(const gosip_hdr *h);
/** This header value's text as written, without surrounding whitespace; folded lines are kept. */
GOSIP_EXTERN gosip_str gosip_hdr_value(const gosip_hdr *h);
/**
 * 0 when the value parsed (or is opaque); GOSIP_ERR_PARSE when its typed parse failed;
 * GOSIP_ERR_LIMIT when its comma-separated line held more values than the limits allow
 * (this header then holds the rest of the line, untyped).
 */
GOSIP_EXTERN int gosip_hdr_error(const gosip_hdr *h);
/** The next header in message order, NULL at the end. A comma-separated line yields one header per value. */
GOSIP_EXTERN const gosip_hdr *gosip_hdr_next(const gosip_hdr *h);
/** The next header of the same kind (same name, for GOSIP_HDR_OTHER), NULL at the end. */
GOSIP_EXTERN const gosip_hdr *gosip_hdr_next_same(const gosip_hdr *h);

/* Typed views: each returns NULL when the header has another shape or failed to parse. */
GOSIP_EXTERN const gosip_nameaddr *gosip_hdr_nameaddr(const gosip_hdr *h);
GOSIP_EXTERN const gosip_via *gosip_hdr_via(const gosip_hdr *h);
GOSIP_EXTERN const gosip_cseq *gosip_hdr_cseq(const gosip_hdr *h);
GOSIP_EXTERN const gosip_rack *gosip_hdr_rack(const gosip_hdr *h);
GOSIP_EXTERN const gosip_uint *gosip_hdr_uint(const gosip_hdr *h);
GOSIP_EXTERN const gosip_token *gosip_hdr_token(const gosip_hdr *h);
GOSIP_EXTERN const gosip_media *gosip_hdr_media(const gosip_hdr *h);
GOSIP_EXTERN const gosip_auth *gosip_hdr_auth(const gosip_hdr *h);
GOSIP_EXTERN const gosip_text *gosip_hdr_text(const gosip_hdr *h);
GOSIP_EXTERN const gosip_warning *gosip_hdr_warning(const gosip_hdr *h);
GOSIP_EXTERN const gosip_date *gosip_hdr_date(const gosip_hdr *h);
GOSIP_EXTERN const gosip_timestamp *gosip_hdr_timestamp(const gosip_hdr *h);
/** The value produced by a registered extension parser, NULL otherwise. */
GOSIP_EXTERN const void *gosip_hdr_ext(const gosip_hdr *h);

/**
 * Prints one header value (not its name), snprintf-style: returns the full length,
 * writes at most cap-1 bytes and a NUL.
 */
GOSIP_EXTERN size_t gosip_hdr_print_value(const gosip_hdr *h, char *buf, size_t cap);

/* ---------------------------------------------------------------- limits and parsing */

/** Parser limits. Each has a default (gosip_msg_limits_default) and a clear error when hit. */
typedef struct gosip_msg_limits {
    size_t max_msg_size;     /**< whole message in bytes; default 65535 */
    unsigned max_headers;    /**< header lines per message, and values in one comma-separated
                                  line (split on first access); default 256 */
    unsigned max_vias;       /**< Via values per message, counted in message order; default 64 */
    size_t max_uri_len;      /**< bytes in one URI; default 4096 */
    size_t max_line_len;     /**< bytes in one header line or start line; default 16384 */
    unsigned max_params;     /**< parameters in one header value or URI; default 64 */
    unsigned max_body_depth; /**< multipart nesting; default 8 */
    unsigned max_body_parts; /**< parts in one multipart body; default 64 */
} gosip_msg_limits;

#define GOSIP_DEFAULT_MAX_MSG_SIZE 65535u
#define GOSIP_DEFAULT_MAX_HEADERS 256u
#define GOSIP_DEFAULT_MAX_VIAS 64u
#define GOSIP_DEFAULT_MAX_URI_LEN 4096u
#define GOSIP_DEFAULT_MAX_LINE_LEN 16384u
#define GOSIP_DEFAULT_MAX_PARAMS 64u
#define GOSIP_DEFAULT_MAX_BODY_DEPTH 8u
#define GOSIP_DEFAULT_MAX_BODY_PARTS 64u

/** Fills *lim with the defaults above. */
GOSIP_EXTERN void gosip_msg_limits_default(gosip_msg_limits *lim);

typedef enum gosip_framing {
    GOSIP_FRAMING_DATAGRAM = 0, /**< one message per buffer; no Content-Length means "rest of buffer";
                                     octets past Content-Length are ignored (RFC 3261 18.3) */
    GOSIP_FRAMING_STREAM        /**< buffer holds exactly one framed message; Content-Length mandatory */
} gosip_framing;

/** Options for gosip_msg_parse(); NULL members select defaults. */
typedef struct gosip_parse_opts {
    const gosip_mem *mem;
    const gosip_msg_limits *limits;
    const gosip_hdr_registry *registry; /**< typed parsers for extension headers (the
                                             message keeps a reference) */
    gosip_framing framing;
} gosip_parse_opts;

/** Why a message could not be parsed, or its first defect. */
typedef struct gosip_parse_error {
    int code;            /**< GOSIP_ERR_* */
    int status;          /**< response a UAS sends to such a request (400, 505, 513...), 0 for none */
    const char *reason;  /**< static English explanation */
    size_t offset;       /**< byte offset of the problem in the input */
    gosip_hdr_kind kind; /**< header involved, GOSIP_HDR_OTHER when none */
} gosip_parse_error;

/**
 * Parses one SIP message from data/len (copied: the caller's buffer is free on return).
 *
 * Returns 0 and a message with one reference in *out whenever the start line is
 * recognisable as SIP, even when a header is malformed: such defects are kept on the
 * message (gosip_msg_defect) so that a UAS can still answer 400 with the right headers.
 * Returns, with *out untouched:
 *  - GOSIP_ERR_PARSE: not a SIP message (err says where);
 *  - GOSIP_ERR_TOO_LARGE: over limits->max_msg_size;
 *  - GOSIP_ERR_LIMIT: over another limit (err->status says what to answer);
 *  - GOSIP_ERR_FRAMING: stream framing without a valid Content-Length;
 *  - GOSIP_ERR_NOMEM.
 * err may be NULL.
 */
GOSIP_EXTERN int gosip_msg_parse(gosip_msg **out, const void *data, size_t len,
                                 const gosip_parse_opts *opts, gosip_parse_error *err);

/** The first defect of a parsed message: 0 when clean, else fills *err (if non-NULL) and returns its code. */
GOSIP_EXTERN int gosip_msg_defect(const gosip_msg *m, gosip_parse_error *err);

/**
 * Stream framing (RFC 3261 18.3): finds the end of the next message in a byte stream.
 * Keep one framer per connection, zeroed before first use; call with the whole
 * unconsumed buffer each time (limits NULL selects the defaults). Returns 1 when a
 * message is complete (skip leading CRLF keep-alive octets, then msg_len bytes of
 * message; the framer resets itself for the next one), 0 when more data is needed, or
 * GOSIP_ERR_FRAMING (Content-Length missing, malformed or repeated) / GOSIP_ERR_TOO_LARGE;
 * after an error the connection must be closed. *skip is set on every return of 0 or 1:
 * leading CRLFs are keep-alive octets the caller may consume at once (RFC 5626 4.4.1:
 * a "\r\n\r\n" ping is answered with "\r\n"); the framer keeps no state about them.
 */
typedef struct gosip_framer {
    size_t scanned;   /**< internal: bytes already searched for the end of headers */
} gosip_framer;

GOSIP_EXTERN int gosip_framer_next(gosip_framer *f, const void *data, size_t len,
                                   const gosip_msg_limits *limits, size_t *skip, size_t *msg_len);

/* ---------------------------------------------------------------- messages */

/** Creates an empty message (no start line yet). Errors: GOSIP_ERR_NOMEM. */
GOSIP_EXTERN int gosip_msg_new(gosip_msg **out, const gosip_mem *mem);
/** Takes a reference; returns m. */
GOSIP_EXTERN gosip_msg *gosip_msg_ref(gosip_msg *m);
/** Drops a reference, freeing the message with the last one. NULL is a no-op. */
GOSIP_EXTERN void gosip_msg_unref(gosip_msg *m);

/** Nonzero for a request, zero for a response. */
GOSIP_EXTERN int gosip_msg_is_request(const gosip_msg *m);
GOSIP_EXTERN gosip_method gosip_msg_method(const gosip_msg *m);
/** The method name as written (requests only). */
GOSIP_EXTERN gosip_str gosip_msg_method_name(const gosip_msg *m);
/** The Request-URI (requests only; NULL when it did not parse: see gosip_msg_defect). */
GOSIP_EXTERN const gosip_uri *gosip_msg_request_uri(const gosip_msg *m);
/** The SIP-Version of the start line as written ("SIP/2.0"). */
GOSIP_EXTERN gosip_str gosip_msg_version(const gosip_msg *m);
/** Status code of a response, 0 for requests. */
GOSIP_EXTERN int gosip_msg_status(const gosip_msg *m);
GOSIP_EXTERN gosip_str gosip_msg_reason(const gosip_msg *m);
/** The body; absent (p == NULL) when the message has none or an empty one. */
GOSIP_EXTERN gosip_str gosip_msg_body(const gosip_msg *m);

/** First header in message order. */
GOSIP_EXTERN const gosip_hdr *gosip_msg_hdr_first(const gosip_msg *m);
/** First header of a kind, NULL when absent. */
GOSIP_EXTERN const gosip_hdr *gosip_msg_hdr(const gosip_msg *m, gosip_hdr_kind kind);
/** First header with a name (full or compact, case-insensitive), any kind. */
GOSIP_EXTERN const gosip_hdr *gosip_msg_hdr_by_name(const gosip_msg *m, gosip_str name);
/** Number of header values of a kind. */
GOSIP_EXTERN unsigned gosip_msg_hdr_count(const gosip_msg *m, gosip_hdr_kind kind);

/* Shortcuts to the typed core headers (first instance; NULL/absent when missing or malformed). */
GOSIP_EXTERN const gosip_via *gosip_msg_via(const gosip_msg *m);
GOSIP_EXTERN const gosip_nameaddr *gosip_msg_from(const gosip_msg *m);
GOSIP_EXTERN const gosip_nameaddr *gosip_msg_to(const gosip_msg *m);
GOSIP_EXTERN const gosip_nameaddr *gosip_msg_contact(const gosip_msg *m);
GOSIP_EXTERN const gosip_cseq *gosip_msg_cseq(const gosip_msg *m);
GOSIP_EXTERN gosip_str gosip_msg_call_id(const gosip_msg *m);
/** Max-Forwards value, or -1 when absent or malformed. */
GOSIP_EXTERN int gosip_msg_max_forwards(const gosip_msg *m);

/** Total bytes this message has taken from its allocator. */
GOSIP_EXTERN size_t gosip_msg_mem_used(const gosip_msg *m);

/**
 * Allocates n bytes that live as long as the message (for registered extension parsers
 * and applications that attach data to a message). NULL when out of memory.
 */
GOSIP_EXTERN void *gosip_msg_alloc(gosip_msg *m, size_t n);

/* ---------------------------------------------------------------- changing messages */

/** Where gosip_msg_add_hdr() puts a header. */
typedef enum gosip_hdr_where {
    GOSIP_WHERE_APPEND = 0, /**< after the last header of the same kind, else at the end */
    GOSIP_WHERE_TOP,        /**< before the first header of the same kind (a new top Via), else at the start */
    GOSIP_WHERE_BEFORE,     /**< before `ref` */
    GOSIP_WHERE_AFTER       /**< after `ref` */
} gosip_hdr_where;

/** Sets the request line; parses uri. Errors: GOSIP_ERR_PARSE (method not a token or URI malformed), NOMEM. */
GOSIP_EXTERN int gosip_msg_set_request_line(gosip_msg *m, gosip_str method, gosip_str uri);
/** Sets the status line; reason absent selects gosip_reason_phrase(). Errors: INVALID_ARG (code outside 100..699), NOMEM. */
GOSIP_EXTERN int gosip_msg_set_status_line(gosip_msg *m, int status, gosip_str reason);
/**
 * Parses `value` as a header named `name` and inserts it (a list value yields several
 * headers; *out, if non-NULL, receives the first). The text is copied.
 * Errors: GOSIP_ERR_PARSE (value malformed for that header: nothing is inserted),
 * GOSIP_ERR_INVALID_ARG (bad name, or ref NULL for BEFORE/AFTER), GOSIP_ERR_LIMIT, NOMEM.
 */
GOSIP_EXTERN int gosip_msg_add_hdr(gosip_msg *m, gosip_str name, gosip_str value,
                                   gosip_hdr_where where, const gosip_hdr *ref,
                                   const gosip_hdr **out);
/** Like gosip_msg_add_hdr() with a built-in kind and its canonical name. */
GOSIP_EXTERN int gosip_msg_add_hdr_kind(gosip_msg *m, gosip_hdr_kind kind, gosip_str value,
                                        gosip_hdr_where where, const gosip_hdr *ref,
                                        const gosip_hdr **out);
/** Copies a header of another (or the same) message into m. Errors as gosip_msg_add_hdr(). */
GOSIP_EXTERN int gosip_msg_copy_hdr(gosip_msg *m, const gosip_hdr *src, gosip_hdr_where where,
                                    const gosip_hdr *ref, const gosip_hdr **out);
/** Replaces header h of m with a new value, in place. Errors as gosip_msg_add_hdr(); h stays on failure. */
GOSIP_EXTERN int gosip_msg_replace_hdr(gosip_msg *m, const gosip_hdr *h, gosip_str value,
                                       const gosip_hdr **out);
/** Removes header h from m. Errors: GOSIP_ERR_NOT_FOUND when h is not in m. */
GOSIP_EXTERN int gosip_msg_remove_hdr(gosip_msg *m, const gosip_hdr *h);
/** Removes every header of a kind; returns how many were removed. */
GOSIP_EXTERN unsigned gosip_msg_remove_all(gosip_msg *m, gosip_hdr_kind kind);
/**
 * Sets (or, with value.p == NULL and remove != 0, removes) a parameter of a header with
 * parameters (name-addr, Via, token, media, numeric, auth shapes), e.g. the To tag or the
 * Via received/rport. A value of GOSIP_STR_NULL with remove == 0 sets a flag parameter.
 * Errors: GOSIP_ERR_UNSUPPORTED (shape without parameters), PARSE (name or value not
 * valid), NOT_FOUND (remove of an absent parameter), NOMEM.
 */
GOSIP_EXTERN int gosip_msg_set_param(gosip_msg *m, const gosip_hdr *h, gosip_str name,
                                     gosip_str value, int remove);
/**
 * Sets the body and its Content-Type (content_type absent removes Content-Type) and
 * writes the matching Content-Length. An empty body (len 0) leaves Content-Length: 0.
 */
GOSIP_EXTERN int gosip_msg_set_body(gosip_msg *m, gosip_str content_type, const void *body,
                                    size_t len);

/* ---------------------------------------------------------------- printing */

/**
 * Serialises a message, snprintf-style: returns the full length, writes at most cap-1
 * bytes plus a NUL (cap 0 writes nothing). A parsed, unmodified message prints exactly
 * as received (minus ignored trailing octets).
 */
GOSIP_EXTERN size_t gosip_msg_print(const gosip_msg *m, char *buf, size_t cap);

/* ---------------------------------------------------------------- factories */

/** Random bytes source for tags, branches and Call-IDs. NULL in a spec selects getrandom(). */
typedef void (*gosip_random_fn)(void *buf, size_t len, void *user_data);

/** What gosip_msg_new_request() needs (RFC 3261 8.1.1). Strings are copied. */
typedef struct gosip_request_spec {
    gosip_method method;      /**< or GOSIP_METHOD_UNKNOWN with method_name */
    gosip_str method_name;    /**< used when method is UNKNOWN */
    gosip_str request_uri;
    gosip_str from;           /**< name-addr or addr-spec; a tag is added when it has none */
    gosip_str to;             /**< name-addr or addr-spec; no tag added */
    gosip_str call_id;        /**< absent: a random one is generated (with call_id_host if set) */
    gosip_str call_id_host;
    uint32_t cseq;            /**< 0 selects 1 */
    gosip_str via_transport;  /**< "UDP" when absent */
    gosip_str via_host;       /**< sent-by host; required */
    int via_port;             /**< <= 0: none */
    gosip_str contact;        /**< absent: none (required by the caller for INVITE) */
    int max_forwards;         /**< < 0 selects 70 */
    gosip_random_fn random;
    void *random_ud;
} gosip_request_spec;

/**
 * Builds a request per RFC 3261 8.1.1: request line, Via (SIP/2.0/<via_transport>
 * <via_host>[:via_port] with a fresh "z9hG4bK" branch and an rport flag, RFC 3581),
 * Max-Forwards, To, From (a fresh tag when it has none), Call-ID (26 random characters,
 * 130 bits, then "@call_id_host" when set), CSeq, Contact (when given) and
 * Content-Length: 0. On success *out holds one reference. Errors, with *out untouched:
 * INVALID_ARG (a required field missing, via_port > 65535, max_forwards > 255),
 * PARSE (a field malformed), NOMEM.
 */
GOSIP_EXTERN int gosip_msg_new_request(gosip_msg **out, const gosip_mem *mem,
                                       const gosip_request_spec *spec);
/**
 * Builds a response to `req` per RFC 3261 8.2.6: every Via in order, From, To, Call-ID,
 * CSeq and Timestamp (8.2.6.1) copied, a To tag added when to_tag is given and To has
 * none (status > 100), Content-Length: 0. Headers missing or malformed in req are left
 * out, so that a 400 can still answer a broken request. reason absent selects the default
 * phrase. The response uses req's allocator. Errors: INVALID_ARG (req not a request, an
 * ACK, status outside 100..699), PARSE (to_tag not a token), NOMEM.
 */
GOSIP_EXTERN int gosip_msg_new_response(gosip_msg **out, const gosip_msg *req, int status,
                                        gosip_str reason, gosip_str to_tag);
/**
 * Builds the CANCEL for a request per RFC 3261 9.1: same Request-URI, Call-ID, To, From
 * and CSeq number (method CANCEL), the top Via only, the Route headers, Max-Forwards 70,
 * Content-Length: 0. Errors: INVALID_ARG (not a request, an ACK or CANCEL, or one of those
 * headers missing or malformed), NOMEM.
 */
GOSIP_EXTERN int gosip_msg_new_cancel(gosip_msg **out, const gosip_msg *req);
/**
 * Builds the ACK for a non-2xx final response to an INVITE per RFC 3261 17.1.1.3: the
 * INVITE's Request-URI, Call-ID, From, top Via, Route headers and CSeq number (method ACK),
 * the response's To (with its tag), Max-Forwards 70, Content-Length: 0.
 * Errors: INVALID_ARG (not an INVITE, response not 300..699, a needed header missing or
 * malformed), NOMEM.
 */
GOSIP_EXTERN int gosip_msg_new_ack(gosip_msg **out, const gosip_msg *invite,
                                   const gosip_msg *response);
/**
 * Fills buf with `len` random characters from a 32-letter alphabet ([a-z2-7]), 5 bits of
 * randomness each and safe wherever a token is (tags, branches, Call-IDs; case-insensitive
 * comparison loses nothing). No NUL is written. fn NULL selects getrandom().
 */
GOSIP_EXTERN void gosip_random_token(char *buf, size_t len, gosip_random_fn fn, void *ud);

/* ---------------------------------------------------------------- validation */

typedef enum gosip_role {
    GOSIP_ROLE_UAS = 0, /**< user agent server or registrar (RFC 3261 8.2); for a response:
                             the user agent client receiving it (8.1.3) */
    GOSIP_ROLE_PROXY    /**< proxy (RFC 3261 16.3) */
} gosip_role;

/**
 * What the receiver supports, for 405/406/415/420 decisions. A zeroed struct (or NULL)
 * selects the defaults given for each field.
 */
typedef struct gosip_validate_opts {
    const char *const *extensions;  /**< option tags understood, compared case-insensitively
                                         (420 otherwise); default none */
    size_t n_extensions;
    const gosip_method *methods;    /**< methods a UAS allows (405 otherwise; unknown methods
                                         always get 501; ACK and CANCEL are always accepted);
                                         NULL: every known method */
    size_t n_methods;
    const char *const *content_types; /**< "type/subtype" (either may be "*") a UAS accepts in
                                           bodies (415 otherwise) and can answer an INVITE with
                                           (406 when its Accept excludes all); NULL: no check */
    size_t n_content_types;
    int registrar;                  /**< 1: a REGISTER's To must be a SIP/SIPS URI (400 otherwise) */
    const char *const *encodings;   /**< content codings a UAS decodes besides "identity"
                                         (415 otherwise); default none */
    size_t n_encodings;
} gosip_validate_opts;

/** Most option tags a verdict lists for a 420; further ones set GOSIP_VERDICT_TAGS_TRUNCATED. */
#define GOSIP_VERDICT_MAX_TAGS 16
/**
 * Verdict flag (proxy, OPTIONS with Max-Forwards 0): the request must not be forwarded, but
 * the proxy may answer it itself as its final recipient (RFC 3261 16.3 step 3, section 11)
 * instead of sending the 483 in `status`.
 */
#define GOSIP_VERDICT_MAY_ANSWER 0x1u
/** Verdict flag: more unsupported option tags than GOSIP_VERDICT_MAX_TAGS; the first are listed. */
#define GOSIP_VERDICT_TAGS_TRUNCATED 0x2u

/** The outcome of validating a message. */
typedef struct gosip_verdict {
    int status;          /**< 0: process it; 100..699: answer with this; -1: drop it silently */
    const char *reason;  /**< reason phrase to send (static); "" when status <= 0 */
    const char *detail;  /**< English sentence saying what is wrong, for logs (static, never NULL) */
    gosip_hdr_kind hdr;  /**< the header at fault; GOSIP_HDR_OTHER for the start line or none */
    unsigned flags;      /**< GOSIP_VERDICT_* flags */
    size_t n_unsupported; /**< for 420: number of entries in unsupported[] */
    /** For 420: the option tags to list in Unsupported, each once, in message order
     *  (they point into the message and live as long as it). */
    gosip_str unsupported[GOSIP_VERDICT_MAX_TAGS];
} gosip_verdict;

/**
 * Decides what a receiver in `role` must do with `m` (RFC 3261 8.1.3.3, 8.2 and 16.3,
 * RFC 4475). Requests get the error response the RFC names, checked in this order:
 * 505 (SIP-Version), 400 (parser defect in a header the role needs, missing Via/From/To/
 * Call-ID/CSeq, repeated single-value header, Content-Length beyond the body, bare
 * "z9hG4bK" branch), then for a UAS 501/405 (method), 400 (CSeq method mismatch), 416
 * (Request-URI scheme other than sip/sips/tel), 400 (registrar: REGISTER To not SIP/SIPS),
 * 420 (Require), 400/415 (body without Content-Type, Content-Type, Content-Encoding),
 * 406 (INVITE whose Accept excludes every opts->content_types); for a proxy 400 (CSeq
 * mismatch), 416, 483 (Max-Forwards 0), 420 (Proxy-Require). A defect's own status (505,
 * 513...) is kept; a TOO_LARGE defect without one gives 513. Require and Proxy-Require are
 * ignored in ACK and CANCEL; an ACK is never answered, so its failures give -1.
 * Responses are dropped (-1) on a bad version, a status outside 100..699, a defect, a
 * missing or repeated core header, and, for a UAC, more than one Via.
 * Not checked here: loop detection, merged requests, authentication, the Via sent-by of a
 * response (18.1.2) and broadcast sent-by addresses (transport decisions).
 * Always fills *out (when non-NULL); returns 0, or GOSIP_ERR_INVALID_ARG (m or out NULL,
 * role unknown, m a fragment) with status -1.
 */
GOSIP_EXTERN int gosip_msg_validate(const gosip_msg *m, gosip_role role,
                                    const gosip_validate_opts *opts, gosip_verdict *out);

/**
 * Builds the response a verdict calls for (status 300..699) to request `req`: the 8.2.6
 * response of gosip_msg_new_response() with the verdict's reason, plus Allow (405, 501:
 * opts->methods, or every known method), Unsupported (420: the verdict's tags), Accept
 * (415 for Content-Type: opts->content_types) or Accept-Encoding (415 for
 * Content-Encoding: "identity" and opts->encodings). opts may be NULL (defaults); pass the
 * opts given to gosip_msg_validate(). to_tag is as for gosip_msg_new_response().
 * On success *out holds one reference. Errors, with *out untouched:
 * GOSIP_ERR_INVALID_ARG (status not 300..699, req not a request or an ACK),
 * GOSIP_ERR_PARSE (an entry of opts is not a valid header value), GOSIP_ERR_NOMEM.
 */
GOSIP_EXTERN int gosip_msg_new_error_response(gosip_msg **out, const gosip_msg *req,
                                              const gosip_verdict *v,
                                              const gosip_validate_opts *opts, gosip_str to_tag);

/**
 * The verdict for bytes that gosip_msg_parse() refused with `err`: -1 (drop) for a response
 * (data starts with "SIP/") or when err->status is 0 (nothing recognisable to answer);
 * otherwise err->status, with 513 for GOSIP_ERR_TOO_LARGE. The caller needs a message to
 * answer from, so a transport that cannot rebuild one drops the bytes anyway (and closes a
 * stream connection). detail is err->reason. Returns 0, or GOSIP_ERR_INVALID_ARG when err
 * or out is NULL.
 */
GOSIP_EXTERN int gosip_parse_error_verdict(const void *data, size_t len,
                                           const gosip_parse_error *err, gosip_verdict *out);

/* ---------------------------------------------------------------- extension headers */

/** A typed parser an application registers for an extension header. */
typedef struct gosip_hdr_def {
    const char *name;    /**< full name */
    const char *compact; /**< compact form or NULL */
    int is_list;         /**< 1 when values may be comma-separated */
    /** Parses value into *parsed (allocate with gosip_msg_alloc(m, ...)); 0 or GOSIP_ERR_PARSE. */
    int (*parse)(gosip_msg *m, gosip_str value, void **parsed, void *user_data);
    /** Prints a parsed value, snprintf-style. */
    size_t (*print)(const void *parsed, char *buf, size_t cap, void *user_data);
    void *user_data;
} gosip_hdr_def;

/**
 * Creates an empty registry. Messages parsed with it keep it alive, so the application
 * may free it at any time; the definitions' user_data must outlive those messages.
 * Errors: NOMEM.
 */
GOSIP_EXTERN int gosip_hdr_registry_new(gosip_hdr_registry **out, const gosip_mem *mem);
/** Drops the application's reference to a registry; NULL is a no-op. */
GOSIP_EXTERN void gosip_hdr_registry_free(gosip_hdr_registry *r);
/**
 * Registers a typed header; *kind receives its new kind (>= GOSIP_HDR__EXT_BASE).
 * Errors: EXISTS (name taken, built-in or registered), LIMIT (registry full), INVALID_ARG.
 */
GOSIP_EXTERN int gosip_hdr_registry_add(gosip_hdr_registry *r, const gosip_hdr_def *def,
                                        gosip_hdr_kind *kind);

/* ---------------------------------------------------------------- bodies */

/** One part of a multipart body. */
typedef struct gosip_body_part {
    gosip_msg *headers;   /**< the part's headers as a start-line-less message (owned by the multipart) */
    gosip_str content_type; /**< the part's Content-Type value, absent when none (text/plain implied) */
    gosip_str body;
    struct gosip_multipart *nested; /**< parsed nested multipart, NULL when not multipart */
} gosip_body_part;

typedef struct gosip_multipart {
    gosip_str boundary;
    size_t n_parts;
    gosip_body_part *parts;
} gosip_multipart;

/**
 * Parses the body of m as multipart/mixed (RFC 2046) using the boundary of its
 * Content-Type. The result lives in m's memory and is cached until the body changes; the
 * parts' header messages are read-only views (never unref them; mutators on them fail).
 * Nested multipart parts are parsed too: limits.max_body_depth counts the levels, the
 * outermost included; limits.max_body_parts bounds each level. A part's malformed header is
 * a defect of that part (gosip_msg_defect), not an error. Errors: INVALID_ARG, NOT_FOUND
 * (not multipart or no boundary), PARSE (no delimiter, no closing delimiter, a nested
 * multipart without boundary), LIMIT (depth, part count, or a part's header limits), NOMEM.
 */
GOSIP_EXTERN int gosip_msg_multipart(gosip_msg *m, const gosip_multipart **out);

/** One part for gosip_multipart_build(). Everything is copied. */
typedef struct gosip_body_part_spec {
    gosip_str content_type; /**< the part's Content-Type value ("application/sdp"); absent: none */
    gosip_str headers;      /**< more header lines ("Content-ID: <a@b>\r\n"), CRLF-separated, no
                                 empty line; a missing final CRLF is added; absent: none */
    const void *body;       /**< the part's body octets (binary allowed) */
    size_t body_len;
} gosip_body_part_spec;

/**
 * Makes m's body a multipart/mixed body (RFC 2046) of the n parts and sets Content-Type
 * `multipart/mixed;boundary=...` and Content-Length through gosip_msg_set_body().
 * An absent boundary is derived from the parts' content; any boundary is checked not to
 * start a line inside a part. A later gosip_msg_multipart() parses the new body.
 * Errors: INVALID_ARG (n == 0, boundary not 1..70 RFC 2046 characters or found inside a
 * part, a header text with an empty line or a Content-Type with CR/LF), NOMEM, and those of
 * gosip_msg_set_body().
 */
GOSIP_EXTERN int gosip_multipart_build(gosip_msg *m, gosip_str boundary,
                                       const gosip_body_part_spec *parts, size_t n);

/**
 * Parses a message/sipfrag body (RFC 3420): an optional start line, any headers and an
 * optional body. Returns a standalone message (unref it) that prints exactly as given
 * while unmodified. A line is a start line unless it begins with `name:`; a malformed
 * header is a defect (gosip_msg_defect), as in gosip_msg_parse(). Errors: INVALID_ARG,
 * PARSE (malformed start line), TOO_LARGE (over max_msg_size), LIMIT (header limits), NOMEM.
 */
GOSIP_EXTERN int gosip_sipfrag_parse(gosip_msg **out, const void *data, size_t len,
                                     const gosip_parse_opts *opts);

/** Nonzero when m has no start line (a sipfrag or a multipart part's headers). */
GOSIP_EXTERN int gosip_msg_is_fragment(const gosip_msg *m);

#ifdef __cplusplus
}
#endif
#endif
