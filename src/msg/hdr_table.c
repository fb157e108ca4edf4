/* The declarative header table: names, compact forms, shapes, list rules and parsers. */
#include "msg/msg_internal.h"


/* Row flags. EAGER headers are parsed with the message (every layer reads them); the
 * others are parsed on first access, with the same results. */
enum { LIST = 1, ONE = 1, EMPTY_OK = 2, EAGER = 4 };

#define ROW(kind, shape, flags, single, fn)                                                       \
    [GOSIP_HDR_##kind] = {GOSIP_SHAPE_##shape, (flags)&LIST, single, ((flags)&EMPTY_OK) != 0,   \
                          ((flags)&EAGER) == 0, fn}

/* Names and compact forms are filled from GOSIP_HDR_MAP (msg.h) below. */
const gosip__hdr_info gosip__hdr_rows[GOSIP_HDR__BUILTIN_COUNT] = {
    ROW(ACCEPT, MEDIA, LIST | EMPTY_OK, 0, gosip__parse_accept),
    ROW(ACCEPT_ENCODING, TOKEN, LIST | EMPTY_OK, 0, gosip__parse_token_hdr),
    ROW(ACCEPT_LANGUAGE, TOKEN, LIST | EMPTY_OK, 0, gosip__parse_token_hdr),
    ROW(ALERT_INFO, NAMEADDR, LIST, 0, gosip__parse_info_uri),
    ROW(ALLOW, TOKEN, LIST | EMPTY_OK, 0, gosip__parse_token_hdr),
    ROW(ALLOW_EVENTS, TOKEN, LIST, 0, gosip__parse_token_hdr),
    ROW(AUTHENTICATION_INFO, AUTH, 0, ONE, gosip__parse_auth_info),
    ROW(AUTHORIZATION, AUTH, 0, 0, gosip__parse_auth),
    ROW(CALL_ID, TEXT, EAGER, ONE, gosip__parse_callid),
    ROW(CALL_INFO, NAMEADDR, LIST, 0, gosip__parse_info_uri),
    ROW(CONTACT, NAMEADDR, LIST, 0, gosip__parse_nameaddr),
    ROW(CONTENT_DISPOSITION, TOKEN, 0, ONE, gosip__parse_token_hdr),
    ROW(CONTENT_ENCODING, TOKEN, LIST, 0, gosip__parse_token_hdr),
    ROW(CONTENT_LANGUAGE, TOKEN, LIST, 0, gosip__parse_token_hdr),
    ROW(CONTENT_LENGTH, UINT, EAGER, ONE, gosip__parse_content_length),
    ROW(CONTENT_TYPE, MEDIA, 0, ONE, gosip__parse_media),
    ROW(CSEQ, CSEQ, EAGER, ONE, gosip__parse_cseq),
    ROW(DATE, DATE, 0, ONE, gosip__parse_date),
    ROW(ERROR_INFO, NAMEADDR, LIST, 0, gosip__parse_info_uri),
    ROW(EVENT, TOKEN, 0, ONE, gosip__parse_token_hdr),
    ROW(EXPIRES, UINT, 0, ONE, gosip__parse_content_length),
    ROW(FROM, NAMEADDR, EAGER, ONE, gosip__parse_nameaddr),
    ROW(IN_REPLY_TO, TOKEN, LIST, 0, gosip__parse_word_hdr),
    ROW(MAX_FORWARDS, UINT, EAGER, ONE, gosip__parse_max_forwards),
    ROW(MIME_VERSION, TEXT, 0, ONE, gosip__parse_mime_version),
    ROW(MIN_EXPIRES, UINT, 0, ONE, gosip__parse_content_length),
    ROW(MIN_SE, UINT, 0, ONE, gosip__parse_uint_hdr),
    ROW(ORGANIZATION, TEXT, 0, ONE, gosip__parse_text),
    ROW(P_ASSERTED_IDENTITY, NAMEADDR, LIST, 0, gosip__parse_nameaddr),
    ROW(PATH, NAMEADDR, LIST, 0, gosip__parse_nameaddr),
    ROW(PRIORITY, TOKEN, 0, ONE, gosip__parse_token_hdr),
    ROW(PRIVACY, TOKEN, 0, ONE, gosip__parse_privacy),
    ROW(PROXY_AUTHENTICATE, AUTH, 0, 0, gosip__parse_auth),
    ROW(PROXY_AUTHORIZATION, AUTH, 0, 0, gosip__parse_auth),
    ROW(PROXY_REQUIRE, TOKEN, LIST, 0, gosip__parse_token_hdr),
    ROW(RACK, RACK, 0, ONE, gosip__parse_rack),
    ROW(REASON, TOKEN, LIST, 0, gosip__parse_token_hdr),
    ROW(RECORD_ROUTE, NAMEADDR, LIST, 0, gosip__parse_nameaddr),
    ROW(REFER_TO, NAMEADDR, 0, ONE, gosip__parse_nameaddr),
    ROW(REFERRED_BY, NAMEADDR, 0, ONE, gosip__parse_nameaddr),
    ROW(REPLACES, TOKEN, 0, ONE, gosip__parse_word_hdr),
    ROW(REPLY_TO, NAMEADDR, 0, ONE, gosip__parse_nameaddr),
    ROW(REQUIRE, TOKEN, LIST, 0, gosip__parse_token_hdr),
    ROW(RETRY_AFTER, UINT, 0, ONE, gosip__parse_retry_after),
    ROW(ROUTE, NAMEADDR, LIST, 0, gosip__parse_nameaddr),
    ROW(RSEQ, UINT, 0, ONE, gosip__parse_content_length),
    ROW(SERVER, TEXT, 0, ONE, gosip__parse_text),
    ROW(SERVICE_ROUTE, NAMEADDR, LIST, 0, gosip__parse_nameaddr),
    ROW(SESSION_EXPIRES, UINT, 0, ONE, gosip__parse_uint_hdr),
    ROW(SIP_ETAG, TOKEN, 0, ONE, gosip__parse_token_hdr),
    ROW(SIP_IF_MATCH, TOKEN, 0, ONE, gosip__parse_token_hdr),
    ROW(SUBJECT, TEXT, 0, ONE, gosip__parse_text),
    ROW(SUBSCRIPTION_STATE, TOKEN, 0, ONE, gosip__parse_token_hdr),
    ROW(SUPPORTED, TOKEN, LIST | EMPTY_OK, 0, gosip__parse_token_hdr),
    ROW(TIMESTAMP, TIMESTAMP, 0, ONE, gosip__parse_timestamp),
    ROW(TO, NAMEADDR, EAGER, ONE, gosip__parse_nameaddr),
    ROW(UNSUPPORTED, TOKEN, LIST, 0, gosip__parse_token_hdr),
    ROW(USER_AGENT, TEXT, 0, ONE, gosip__parse_text),
    ROW(VIA, VIA, LIST | EAGER, 0, gosip__parse_via),
    ROW(WARNING, WARNING, LIST, 0, gosip__parse_warning),
    ROW(WWW_AUTHENTICATE, AUTH, 0, 0, gosip__parse_auth),
};

typedef struct hdr_names {
    const char *name;
    const char *compact;
    uint8_t name_len;
    uint8_t compact_len;
} hdr_names;

static const hdr_names names[GOSIP_HDR__BUILTIN_COUNT] = {
#define GOSIP__HDR_NAMES(kind, full, compact)                                                     \
    [GOSIP_HDR_##kind] = {full, compact, sizeof(full) - 1, sizeof(compact) - 1},
    GOSIP_HDR_MAP(GOSIP__HDR_NAMES)
#undef GOSIP__HDR_NAMES
};

const char *gosip_hdr_kind_name(gosip_hdr_kind kind)
{
    if (kind <= GOSIP_HDR_OTHER || kind >= GOSIP_HDR__BUILTIN_COUNT)
        return NULL;
    return names[kind].name;
}

gosip_str gosip__hdr_canonical_name(gosip_hdr_kind kind)
{
    if (kind <= GOSIP_HDR_OTHER || kind >= GOSIP_HDR__BUILTIN_COUNT)
        return GOSIP_STR_NULL;
    gosip_str s = {names[kind].name, names[kind].name_len};
    return s;
}

gosip_hdr_shape gosip_hdr_kind_shape(gosip_hdr_kind kind)
{
    if (kind >= GOSIP_HDR__EXT_BASE && kind < GOSIP_HDR__MAX)
        return GOSIP_SHAPE_EXTENSION;
    const gosip__hdr_info *info = gosip__hdr_info_of(kind);
    return info ? (gosip_hdr_shape)info->shape : GOSIP_SHAPE_OPAQUE;
}

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/*
 * Case-insensitive equality of token text with a name of the same length: token
 * characters that differ only in bit 0x20 are a letter's two cases (no token character
 * pairs that way with '-' or a digit). Overlapping word loads cover 4..16 octets.
 */
static inline int name_is(const char *p, const char *lit, size_t n)
{
    const uint64_t fold64 = ~UINT64_C(0x2020202020202020);
    const uint32_t fold32 = ~UINT32_C(0x20202020);
    if (n >= 8 && n <= 16)
        return !((load64(p) ^ load64(lit)) & fold64) &&
               !((load64(p + n - 8) ^ load64(lit + n - 8)) & fold64);
    if (n >= 4 && n < 8)
        return !((load32(p) ^ load32(lit)) & fold32) &&
               !((load32(p + n - 4) ^ load32(lit + n - 4)) & fold32);
    for (size_t i = 0; i < n; i++)
        if ((p[i] ^ lit[i]) & ~0x20)
            return 0;
    return 1;
}

gosip_hdr_kind gosip__hdr_lookup(const char *p, size_t n)
{
    if (n == 0)
        return GOSIP_HDR_OTHER;
#include "msg/hdr_lookup.inc"
}

gosip_hdr_kind gosip_hdr_kind_from_name(gosip_str name)
{
    if (!name.p || gosip__skip_token(name.p, name.p + name.n) != name.p + name.n)
        return GOSIP_HDR_OTHER;
    return gosip__hdr_lookup(name.p, name.n);
}

gosip__print_fn gosip__shape_printer(gosip_hdr_shape shape)
{
    switch (shape) {
    case GOSIP_SHAPE_NAMEADDR:
        return gosip__print_nameaddr;
    case GOSIP_SHAPE_VIA:
        return gosip__print_via;
    case GOSIP_SHAPE_CSEQ:
        return gosip__print_cseq;
    case GOSIP_SHAPE_RACK:
        return gosip__print_rack;
    case GOSIP_SHAPE_UINT:
        return gosip__print_uint;
    case GOSIP_SHAPE_TOKEN:
        return gosip__print_token;
    case GOSIP_SHAPE_MEDIA:
        return gosip__print_media;
    case GOSIP_SHAPE_AUTH:
        return gosip__print_auth;
    case GOSIP_SHAPE_TEXT:
        return gosip__print_text;
    case GOSIP_SHAPE_WARNING:
        return gosip__print_warning;
    case GOSIP_SHAPE_DATE:
        return gosip__print_date;
    case GOSIP_SHAPE_TIMESTAMP:
        return gosip__print_timestamp;
    default:
        return NULL;
    }
}
