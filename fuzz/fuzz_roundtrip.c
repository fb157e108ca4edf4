/*
 * Round-trip fuzzer: parse -> print -> parse -> print must be a fixed point with the same
 * headers, defect and verdict. Then a message without defect is changed through the
 * mutators (a header whose name and value come from the input, the top Via removed, a To
 * tag set), and the printed result must parse back to the same header list and print
 * identically, so that no mutator can smuggle in a header or lose one.
 *
 * Input layout: byte 0 selects the mutations and the added header's name; the last
 * min(size - 1, 32) bytes are the added header's value; the whole input is the message.
 */
#include <stdlib.h>
#include <string.h>

#include <gosip/msg.h>

#include "fuzz.h"
#include "fuzz_util.h"

enum { MUT_ADD = 1, MUT_VIA = 2, MUT_TAG = 4, MAX_VALUE = 32 };

static const char *const added_names[] = {
    "X-Fuzz", "Subject", "Supported", "Contact", "Route", "Via", "Warning", "Date",
};

static const char fuzz_tag[] = "fz9a1";

static gosip_msg *parse(const void *data, size_t size)
{
    gosip_msg *m = NULL;

    if (gosip_msg_parse(&m, data, size, NULL, NULL) != 0)
        return NULL;
    FUZZ_CHECK(m != NULL);
    return m;
}

static int verdict_of(const gosip_msg *m, gosip_role role)
{
    gosip_verdict v;

    FUZZ_CHECK(gosip_msg_validate(m, role, NULL, &v) == 0);
    return v.status;
}

/* The printed form re-parses to the same message, and prints to the same bytes. */
static void check_reparse(const gosip_msg *m, const char *printed, size_t n, int unmodified)
{
    gosip_parse_error err;
    gosip_msg *again = NULL;
    size_t n2 = 0;

    int rc = gosip_msg_parse(&again, printed, n, NULL, &err);
    /* A mutation may push the message over a parser limit; the original could not. */
    if (!unmodified && (rc == GOSIP_ERR_TOO_LARGE || rc == GOSIP_ERR_LIMIT))
        return;
    FUZZ_CHECK(rc == 0 && again != NULL);
    FUZZ_CHECK(fuzz_same_headers(m, again));
    FUZZ_CHECK(gosip_msg_is_request(m) == gosip_msg_is_request(again));
    FUZZ_CHECK(gosip_str_eq(gosip_msg_body(m), gosip_msg_body(again)));
    if (unmodified) {
        FUZZ_CHECK(gosip_msg_defect(m, NULL) == gosip_msg_defect(again, NULL));
        FUZZ_CHECK(verdict_of(m, GOSIP_ROLE_UAS) == verdict_of(again, GOSIP_ROLE_UAS));
        FUZZ_CHECK(verdict_of(m, GOSIP_ROLE_PROXY) == verdict_of(again, GOSIP_ROLE_PROXY));
    }
    char *printed2 = fuzz_print_msg(again, &n2);
    if (printed2) {
        FUZZ_CHECK(n2 == n && memcmp(printed2, printed, n) == 0);
        free(printed2);
    }
    if (!unmodified && gosip_msg_to(m) && gosip_msg_to(m)->tag.p) {
        const gosip_nameaddr *to = gosip_msg_to(again);
        FUZZ_CHECK(to != NULL && gosip_str_eq(to->tag, gosip_msg_to(m)->tag));
    }
    gosip_msg_unref(again);
}

static void add_header(gosip_msg *m, const uint8_t *data, size_t size)
{
    size_t vlen = size - 1 < MAX_VALUE ? size - 1 : MAX_VALUE;
    gosip_str value = {(const char *)data + size - vlen, vlen};
    const char *name = added_names[(data[0] >> 3) % (sizeof(added_names) / sizeof(added_names[0]))];
    size_t before = fuzz_hdr_total(m);
    const gosip_hdr *added = NULL;

    int rc =
        gosip_msg_add_hdr(m, gosip_str_from_cstr(name), value, GOSIP_WHERE_APPEND, NULL, &added);
    if (rc == 0) {
        FUZZ_CHECK(added != NULL);
        FUZZ_CHECK(gosip_str_caseeq_cstr(gosip_hdr_name(added), name));
        FUZZ_CHECK(fuzz_hdr_total(m) > before);
    } else {
        FUZZ_CHECK(fuzz_hdr_total(m) == before);
    }
}

static void remove_top_via(gosip_msg *m)
{
    const gosip_hdr *via = gosip_msg_hdr(m, GOSIP_HDR_VIA);
    size_t before = fuzz_hdr_total(m);

    if (!via)
        return;
    FUZZ_CHECK(gosip_msg_remove_hdr(m, via) == 0);
    FUZZ_CHECK(fuzz_hdr_total(m) == before - 1);
}

static void set_to_tag(gosip_msg *m)
{
    const gosip_hdr *to = gosip_msg_hdr(m, GOSIP_HDR_TO);

    if (!to || gosip_hdr_error(to) != 0)
        return;
    if (gosip_msg_set_param(m, to, GOSIP_STR("tag"), GOSIP_STR(fuzz_tag), 0) == 0) {
        const gosip_nameaddr *na = gosip_hdr_nameaddr(gosip_msg_hdr(m, GOSIP_HDR_TO));
        FUZZ_CHECK(na != NULL && gosip_str_eq(na->tag, GOSIP_STR(fuzz_tag)));
    }
}

static void mutate(gosip_msg *m, const uint8_t *data, size_t size)
{
    unsigned which = data[0] & 7u;
    size_t n = 0;

    if (which == 0)
        which = MUT_ADD | MUT_VIA | MUT_TAG;
    if (which & MUT_ADD)
        add_header(m, data, size);
    if (which & MUT_VIA)
        remove_top_via(m);
    if (which & MUT_TAG)
        set_to_tag(m);
    char *printed = fuzz_print_msg(m, &n);
    if (printed) {
        check_reparse(m, printed, n, 0);
        free(printed);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n1 = 0;

    if (size < 2)
        return 0;
    gosip_msg *m1 = parse(data, size);
    if (!m1)
        return 0;
    char *p1 = fuzz_print_msg(m1, &n1);
    if (p1) {
        check_reparse(m1, p1, n1, 1);
        free(p1);
    }
    /* A defective message is answered with an error, never changed and forwarded. */
    if (gosip_msg_defect(m1, NULL) == 0)
        mutate(m1, data, size);
    gosip_msg_unref(m1);
    return 0;
}
