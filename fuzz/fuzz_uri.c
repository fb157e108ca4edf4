/*
 * URI fuzzer: a URI that parses must print to a form that parses back to an equal URI
 * (RFC 3261 19.1.4 comparison), and printing must be idempotent. Also checks that
 * equality is reflexive and symmetric, and the %-unescaping contract on the raw input.
 */
#include <stdlib.h>
#include <string.h>

#include <gosip/msg.h>

#include "fuzz.h"
#include "fuzz_util.h"

static void check_unescape(const uint8_t *data, size_t size)
{
    char *out = malloc(size ? size : 1);
    gosip_str in = {(const char *)data, size};

    if (!out)
        return;
    gosip_ssize n = gosip_str_unescape(in, out, size);
    FUZZ_CHECK(n >= 0 && (size_t)n <= size);
    if (n > 0)
        FUZZ_CHECK(gosip_str_unescape(in, out, (size_t)n - 1) == GOSIP_ERR_BUFFER_SMALL);
    free(out);
}

static void check_fields_equal(const gosip_uri *a, const gosip_uri *b)
{
    FUZZ_CHECK(a->scheme == b->scheme);
    FUZZ_CHECK(a->port == b->port);
    FUZZ_CHECK(a->host_type == b->host_type);
    FUZZ_CHECK((a->user.p == NULL) == (b->user.p == NULL));
    FUZZ_CHECK((a->headers.p == NULL) == (b->headers.p == NULL));
}

static void check_params(const gosip_uri *u)
{
    char name[64];

    for (const gosip_param *p = u->params; p; p = p->next) {
        if (p->name.n >= sizeof(name) || memchr(p->name.p, '\0', p->name.n))
            continue;
        memcpy(name, p->name.p, p->name.n);
        name[p->name.n] = '\0';
        const gosip_param *found = gosip_uri_param(u, name);
        FUZZ_CHECK(found != NULL && gosip_str_caseeq(found->name, p->name));
    }
}

/* Re-parses the printed form of a: it must parse, compare equal both ways and print the same. */
static void check_reparse(const gosip_uri *a, const char *printed, size_t n)
{
    gosip_uri *b = NULL;
    size_t n2 = 0;
    int rc = gosip_uri_new(&b, NULL, (gosip_str){printed, n});

    /* Printing may lengthen a URI past the length limit only if it lengthens it at all. */
    if (rc == GOSIP_ERR_TOO_LARGE && n > a->raw.n)
        return;
    FUZZ_CHECK(rc == 0 && b != NULL);
    FUZZ_CHECK(gosip_uri_equal(b, b));
    FUZZ_CHECK(gosip_uri_equal(a, b));
    FUZZ_CHECK(gosip_uri_equal(b, a));
    check_fields_equal(a, b);
    char *again = fuzz_print_uri(b, &n2);
    if (again) {
        FUZZ_CHECK(n2 == n && memcmp(again, printed, n) == 0);
        free(again);
    }
    gosip_uri_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gosip_uri *a = NULL;
    size_t n = 0;

    check_unescape(data, size);
    if (gosip_uri_new(&a, NULL, (gosip_str){(const char *)data, size}) != 0)
        return 0;
    FUZZ_CHECK(a != NULL);
    FUZZ_CHECK(gosip_uri_equal(a, a));
    check_params(a);
    char *printed = fuzz_print_uri(a, &n);
    if (printed) {
        check_reparse(a, printed, n);
        free(printed);
    }
    gosip_uri_free(a);
    return 0;
}
