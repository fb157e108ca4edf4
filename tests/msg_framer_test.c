/*
 * Stream framing (gosip_framer_next, RFC 3261 18.3): messages delivered byte by byte
 * and in random-sized chunks, several messages in one buffer, CRLF keep-alives
 * (RFC 5626 4.4.1), Content-Length forms and errors, the size limit, and every framed
 * message parsed again with GOSIP_FRAMING_STREAM.
 */
#include "testutil.h"

#define INVITE_BODY                                                                                \
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 client.example.com\r\ns=-\r\n"                    \
    "c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

static const char msg_invite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 70\r\nTo: Bob <sip:bob@example.com>\r\n"
    "From: Alice <sip:alice@example.com>;tag=9fxced76sl\r\n"
    "Call-ID: 3848276298220188511@client.example.com\r\nCSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@client.example.com;transport=tcp>\r\n"
    "Content-Type: application/sdp\r\nContent-Length: 143\r\n\r\n" INVITE_BODY;

static const char msg_options[] =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP client.example.com;branch=z9hG4bKopt\r\n"
    "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
    "Call-ID: opt@example.com\r\nCSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n";

/* compact Content-Length, lower-case names, and a body that mentions Content-Length */
static const char msg_response[] =
    "SIP/2.0 200 OK\r\n"
    "v: SIP/2.0/TCP client.example.com;branch=z9hG4bKopt\r\n"
    "t: <sip:bob@example.com>;tag=2\r\nf: <sip:alice@example.com>;tag=1\r\n"
    "i: opt@example.com\r\nCSeq: 2 OPTIONS\r\nc: text/plain\r\nl: 22\r\n\r\n"
    "Content-Length: 99\r\n\r\n";

typedef struct sample {
    const char *text;
    size_t len;
    size_t body_len;
} sample;

static const sample samples[] = {
    {msg_invite, sizeof msg_invite - 1, 143},
    {msg_options, sizeof msg_options - 1, 0},
    {msg_response, sizeof msg_response - 1, 22},
};
#define N_SAMPLES (sizeof samples / sizeof samples[0])

/* ---------------------------------------------------------------- helpers */

/* Frames data with a fresh framer; returns the result with *skip and *len set on 1. */
static int frame(const char *data, size_t n, const gosip_msg_limits *lim, size_t *skip, size_t *len)
{
    gosip_framer f;
    memset(&f, 0, sizeof f);
    *skip = *len = (size_t)-1;
    return gosip_framer_next(&f, data, n, lim, skip, len);
}

static int frame_str(const char *text, size_t *skip, size_t *len)
{
    return frame(text, strlen(text), NULL, skip, len);
}

/* The framed bytes parse with stream framing, to the same message as a datagram parse. */
static void parses_as_stream(const char *data, size_t n, size_t body_len)
{
    gosip_msg *ms, *md;
    gosip_parse_error err;
    if (tu_parse(data, n, GOSIP_FRAMING_STREAM, &ms, &err) != 0)
        fail_msg("stream parse failed: %s at %zu", err.reason, err.offset);
    assert_int_equal(gosip_msg_defect(ms, NULL), 0);
    assert_int_equal(gosip_msg_body(ms).n, body_len);
    assert_int_equal(tu_parse(data, n, GOSIP_FRAMING_DATAGRAM, &md, NULL), 0);
    tu_assert_msg_equal(ms, md);
    tu_assert_prints_as(ms, data, n);
    gosip_msg_unref(ms);
    gosip_msg_unref(md);
}

/* xorshift32: a deterministic PRNG, so that a failing chunking can be replayed. */
static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* ---------------------------------------------------------------- whole messages */

static void test_single_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SAMPLES; i++) {
        size_t skip, len;
        assert_int_equal(frame(samples[i].text, samples[i].len, NULL, &skip, &len), 1);
        assert_int_equal(skip, 0);
        assert_int_equal(len, samples[i].len);
        parses_as_stream(samples[i].text, len, samples[i].body_len);
    }
}

/* Every proper prefix needs more data; the whole message completes. */
static void test_byte_by_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SAMPLES; i++) {
        const sample *s = &samples[i];
        char *buf = malloc(s->len);
        assert_non_null(buf);
        gosip_framer f;
        memset(&f, 0, sizeof f);
        size_t skip = 0, len = 0;
        for (size_t n = 1; n <= s->len; n++) {
            buf[n - 1] = s->text[n - 1];
            int rc = gosip_framer_next(&f, buf, n, NULL, &skip, &len);
            if (n < s->len && rc != 0)
                fail_msg("sample %zu: %d after %zu of %zu bytes", i, rc, n, s->len);
            if (n == s->len)
                assert_int_equal(rc, 1);
        }
        assert_int_equal(skip, 0);
        assert_int_equal(len, s->len);
        assert_int_equal(f.scanned, 0);
        parses_as_stream(buf, len, s->body_len);
        free(buf);
    }
}

/* A connection's receive buffer: bytes arrive in chunks and complete messages leave. */
typedef struct conn {
    gosip_framer f;
    char buf[4096];
    size_t have;
    size_t got;     /* messages framed so far */
    size_t skipped; /* keep-alive octets skipped */
} conn;

static void conn_drain(conn *c, const size_t *order, size_t n_order)
{
    for (;;) {
        size_t skip, len;
        int rc = gosip_framer_next(&c->f, c->buf, c->have, NULL, &skip, &len);
        assert_true(rc == 0 || rc == 1);
        if (rc == 0)
            return;
        assert_true(c->got < n_order);
        const sample *s = &samples[order[c->got]];
        assert_int_equal(len, s->len);
        assert_memory_equal(c->buf + skip, s->text, len);
        parses_as_stream(c->buf + skip, len, s->body_len);
        c->skipped += skip;
        c->got++;
        memmove(c->buf, c->buf + skip + len, c->have - skip - len);
        c->have -= skip + len;
    }
}

/* A stream of the samples in a seeded order, separated by keep-alives (CRLF or CRLFCRLF). */
static size_t build_stream(char *out, size_t cap, uint32_t *seed, size_t *order, size_t n,
                           size_t *keepalive)
{
    size_t len = 0;
    *keepalive = 0;
    for (size_t i = 0; i < n; i++) {
        size_t ka = rnd(seed) % 3 * 2; /* 0, 2 or 4 octets */
        memcpy(out + len, "\r\n\r\n", ka);
        len += ka;
        *keepalive += ka;
        order[i] = rnd(seed) % N_SAMPLES;
        const sample *s = &samples[order[i]];
        assert_true(len + s->len < cap);
        memcpy(out + len, s->text, s->len);
        len += s->len;
    }
    return len;
}

static void test_random_chunks(void **state)
{
    (void)state;
    static char stream[16384];
    for (uint32_t seed0 = 1; seed0 <= 200; seed0++) {
        uint32_t seed = seed0 * 2654435761u;
        size_t order[12], keepalive;
        size_t n_msgs = 1 + rnd(&seed) % 12;
        size_t total = build_stream(stream, sizeof stream, &seed, order, n_msgs, &keepalive);
        conn *c = calloc(1, sizeof *c);
        assert_non_null(c);
        size_t fed = 0;
        while (fed < total) {
            size_t chunk = 1 + rnd(&seed) % 700;
            if (chunk > total - fed)
                chunk = total - fed;
            assert_true(c->have + chunk <= sizeof c->buf);
            memcpy(c->buf + c->have, stream + fed, chunk);
            c->have += chunk;
            fed += chunk;
            conn_drain(c, order, n_msgs);
        }
        if (c->got != n_msgs)
            fail_msg("seed %u: %zu of %zu messages framed", seed0, c->got, n_msgs);
        assert_int_equal(c->have, 0);
        assert_int_equal(c->skipped, keepalive);
        free(c);
    }
}

/* All samples back to back in one buffer: framed one after the other. */
static void test_several_in_one_buffer(void **state)
{
    (void)state;
    char buf[2048];
    size_t n = 0;
    for (size_t i = 0; i < N_SAMPLES; i++) {
        memcpy(buf + n, samples[i].text, samples[i].len);
        n += samples[i].len;
    }
    size_t off = 0;
    gosip_framer f;
    memset(&f, 0, sizeof f);
    for (size_t i = 0; i < N_SAMPLES; i++) {
        size_t skip, len;
        assert_int_equal(gosip_framer_next(&f, buf + off, n - off, NULL, &skip, &len), 1);
        assert_int_equal(skip, 0);
        assert_int_equal(len, samples[i].len);
        assert_memory_equal(buf + off, samples[i].text, len);
        off += len;
    }
    assert_int_equal(off, n);
    size_t skip, len;
    assert_int_equal(gosip_framer_next(&f, buf + off, 0, NULL, &skip, &len), 0);
}

/* ---------------------------------------------------------------- keep-alives */

static void test_keepalives(void **state)
{
    (void)state;
    size_t skip, len;
    /* a keep-alive alone: nothing to frame yet, no error */
    assert_int_equal(frame_str("\r\n\r\n", &skip, &len), 0);
    assert_int_equal(frame_str("\r\n", &skip, &len), 0);
    char buf[1024];
    static const char *const lead[] = {"\r\n", "\r\n\r\n", "\r\n\r\n\r\n\r\n"};
    for (size_t i = 0; i < 3; i++) {
        size_t ka = strlen(lead[i]);
        memcpy(buf, lead[i], ka);
        memcpy(buf + ka, msg_options, sizeof msg_options - 1);
        assert_int_equal(frame(buf, ka + sizeof msg_options - 1, NULL, &skip, &len), 1);
        assert_int_equal(skip, ka);
        assert_int_equal(len, sizeof msg_options - 1);
    }
    /* keep-alives arriving before the message, on the same framer */
    gosip_framer f;
    memset(&f, 0, sizeof f);
    memcpy(buf, "\r\n\r\n", 4);
    assert_int_equal(gosip_framer_next(&f, buf, 4, NULL, &skip, &len), 0);
    memcpy(buf + 4, msg_options, sizeof msg_options - 1);
    assert_int_equal(gosip_framer_next(&f, buf, 4 + sizeof msg_options - 1, NULL, &skip, &len), 1);
    assert_int_equal(skip, 4);
    assert_int_equal(len, sizeof msg_options - 1);
}

/* ---------------------------------------------------------------- Content-Length forms */

#define REQ_HEAD                                                                                   \
    "MESSAGE sip:bob@example.com SIP/2.0\r\n"                                                      \
    "Via: SIP/2.0/TCP client.example.com;branch=z9hG4bKcl\r\nMax-Forwards: 70\r\n"                 \
    "To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n"                         \
    "Call-ID: cl@example.com\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"

/* Frames head + "\r\n" + body; expects `want` and, for 1, the whole text framed. */
static void expect_frame(const char *text, int want)
{
    size_t skip, len;
    int rc = frame_str(text, &skip, &len);
    if (rc != want)
        fail_msg("framer gave %d, expected %d for:\n%s", rc, want, text);
    if (want == 1) {
        assert_int_equal(skip, 0);
        assert_int_equal(len, strlen(text));
    }
}

static void test_content_length_forms(void **state)
{
    (void)state;
    static const char *const ok[] = {
        REQ_HEAD "Content-Length: 5\r\n\r\nhello",
        REQ_HEAD "l: 5\r\n\r\nhello",
        REQ_HEAD "L: 5\r\n\r\nhello",
        REQ_HEAD "content-length: 5\r\n\r\nhello",
        REQ_HEAD "Content-Length :  5 \r\n\r\nhello",
        REQ_HEAD "Content-Length:\r\n 5\r\n\r\nhello", /* folded */
        REQ_HEAD "Content-Length:\r\n\t5\r\n\r\nhello",
        REQ_HEAD "Content-Length: 0005\r\n\r\nhello",
        REQ_HEAD "X-Content-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
        /* a continuation line is part of Subject, not a Content-Length header */
        REQ_HEAD "Subject: x\r\n Content-Length: 99\r\nContent-Length: 5\r\n\r\nhello",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        expect_frame(ok[i], 1);
        parses_as_stream(ok[i], strlen(ok[i]), 5);
    }
    /* LF-only line ends */
    const char *lf = "OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bKlf\n"
                     "Content-Length: 2\n\nhi";
    expect_frame(lf, 1);
}

static void test_content_length_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        REQ_HEAD "\r\nhello",                                           /* missing */
        REQ_HEAD "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", /* duplicate */
        REQ_HEAD "Content-Length: 5\r\nl: 5\r\n\r\nhello",
        REQ_HEAD "Content-Length: -5\r\n\r\nhello",  /* negative */
        REQ_HEAD "Content-Length: abc\r\n\r\nhello", /* garbage */
        REQ_HEAD "Content-Length: 5abc\r\n\r\nhello",
        REQ_HEAD "Content-Length: 5 6\r\n\r\nhello",
        REQ_HEAD "Content-Length: 5, 5\r\n\r\nhello",
        REQ_HEAD "Content-Length:\r\n\r\nhello",            /* empty */
        REQ_HEAD "Content-Length: 4294967296\r\n\r\nhello", /* past 32 bits */
        REQ_HEAD "Content-Length: +5\r\n\r\nhello",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_frame(bad[i], GOSIP_ERR_FRAMING);
    /* the parser agrees: stream framing needs one valid Content-Length */
    gosip_msg *m;
    assert_int_equal(tu_parse(bad[0], strlen(bad[0]), GOSIP_FRAMING_STREAM, &m, NULL),
                     GOSIP_ERR_FRAMING);
    assert_int_equal(tu_parse(bad[1], strlen(bad[1]), GOSIP_FRAMING_STREAM, &m, NULL),
                     GOSIP_ERR_FRAMING);
}

/* The body is counted in octets, and the framer waits for all of them. */
static void test_body_incomplete(void **state)
{
    (void)state;
    const char *text = REQ_HEAD "Content-Length: 5\r\n\r\nhello";
    size_t n = strlen(text), skip, len;
    for (size_t cut = n - 5; cut < n; cut++)
        assert_int_equal(frame(text, cut, NULL, &skip, &len), 0);
    /* binary body with CR LF and NUL octets */
    char buf[512];
    const char *head = REQ_HEAD "Content-Length: 6\r\n\r\n";
    size_t h = strlen(head);
    memcpy(buf, head, h);
    memcpy(buf + h, "\r\n\0\r\n\n", 6);
    assert_int_equal(frame(buf, h + 6, NULL, &skip, &len), 1);
    assert_int_equal(len, h + 6);
    parses_as_stream(buf, len, 6);
}

/* ---------------------------------------------------------------- size limit */

/* A MESSAGE of exactly `size` bytes: its body pads it. */
static size_t build_sized(char *buf, size_t cap, size_t size)
{
    const char *head = REQ_HEAD "Content-Length: 00000\r\n\r\n";
    size_t h = strlen(head);
    assert_true(size >= h && size <= cap);
    memcpy(buf, head, h);
    char digits[6];
    snprintf(digits, sizeof digits, "%05zu", size - h);
    memcpy(buf + h - 9, digits, 5);
    memset(buf + h, 'b', size - h);
    return size;
}

static void check_size_limit(const gosip_msg_limits *lim, size_t max, char *buf, size_t cap)
{
    size_t skip, len;
    size_t n = build_sized(buf, cap, max);
    assert_int_equal(frame(buf, n, lim, &skip, &len), 1);
    assert_int_equal(len, max);
    /* keep-alives before it do not count */
    memmove(buf + 2, buf, n);
    memcpy(buf, "\r\n", 2);
    assert_int_equal(frame(buf, n + 2, lim, &skip, &len), 1);
    assert_int_equal(skip, 2);
    assert_int_equal(len, max);
    /* one octet more: refused as soon as the headers announce it */
    n = build_sized(buf, cap, max + 1);
    size_t head = (size_t)(strstr(buf, "\r\n\r\n") + 4 - buf);
    assert_int_equal(frame(buf, head, lim, &skip, &len), GOSIP_ERR_TOO_LARGE);
    assert_int_equal(frame(buf, n, lim, &skip, &len), GOSIP_ERR_TOO_LARGE);
    /* the largest Content-Length there is: too large, not a framing error */
    const char *huge = REQ_HEAD "Content-Length: 4294967295\r\n\r\n";
    assert_int_equal(frame(huge, strlen(huge), lim, &skip, &len), GOSIP_ERR_TOO_LARGE);
}

static void test_max_msg_size(void **state)
{
    (void)state;
    size_t cap = GOSIP_DEFAULT_MAX_MSG_SIZE + 16;
    char *buf = malloc(cap);
    assert_non_null(buf);
    check_size_limit(NULL, GOSIP_DEFAULT_MAX_MSG_SIZE, buf, cap);
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_msg_size = 400;
    check_size_limit(&lim, 400, buf, cap);
    free(buf);
}

/* Headers that never end: more data is wanted up to the limit, then TOO_LARGE. */
static void check_unterminated(const gosip_msg_limits *lim, size_t max)
{
    char *buf = malloc(max + 3);
    assert_non_null(buf);
    memcpy(buf, "\r\n", 2); /* a keep-alive first: not part of the message */
    const char *start = "OPTIONS sip:bob@example.com SIP/2.0\r\n";
    memcpy(buf + 2, start, strlen(start));
    for (size_t i = 2 + strlen(start); i < max + 3; i++)
        buf[i] = (i % 40 == 20) ? '\n' : 'x';
    gosip_framer f;
    memset(&f, 0, sizeof f);
    size_t skip, len;
    size_t step = max / 7 + 1;
    for (size_t n = 1; n < max + 2; n += step)
        assert_int_equal(gosip_framer_next(&f, buf, n, lim, &skip, &len), 0);
    assert_int_equal(gosip_framer_next(&f, buf, max + 2, lim, &skip, &len), 0);
    assert_int_equal(gosip_framer_next(&f, buf, max + 3, lim, &skip, &len), GOSIP_ERR_TOO_LARGE);
    free(buf);
}

static void test_unterminated_headers(void **state)
{
    (void)state;
    check_unterminated(NULL, GOSIP_DEFAULT_MAX_MSG_SIZE);
    gosip_msg_limits lim;
    gosip_msg_limits_default(&lim);
    lim.max_msg_size = 300;
    check_unterminated(&lim, 300);
}

static void test_bad_args(void **state)
{
    (void)state;
    gosip_framer f;
    memset(&f, 0, sizeof f);
    size_t skip, len;
    assert_int_equal(gosip_framer_next(NULL, "x", 1, NULL, &skip, &len), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_framer_next(&f, NULL, 1, NULL, &skip, &len), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_framer_next(&f, "x", 1, NULL, NULL, &len), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_framer_next(&f, "x", 1, NULL, &skip, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_framer_next(&f, NULL, 0, NULL, &skip, &len), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_messages),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_random_chunks),
        cmocka_unit_test(test_several_in_one_buffer),
        cmocka_unit_test(test_keepalives),
        cmocka_unit_test(test_content_length_forms),
        cmocka_unit_test(test_content_length_errors),
        cmocka_unit_test(test_body_incomplete),
        cmocka_unit_test(test_max_msg_size),
        cmocka_unit_test(test_unterminated_headers),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
