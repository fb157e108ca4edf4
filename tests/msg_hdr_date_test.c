/*
 * Typed parsers and printers of the time shapes: Date (RFC 1123, GMT only, printed from the
 * epoch when the fields are out of range) and Timestamp. The fixture is tu_hdr.h.
 */
#include <time.h>

#include "tu_hdr.h"

/* ---------------------------------------------------------------- Date */

static int date_same(const void *va, const void *vb)
{
    const gosip_date *a = va, *b = vb;
    return a->weekday == b->weekday && a->day == b->day && a->month == b->month &&
           a->year == b->year && a->hour == b->hour && a->minute == b->minute &&
           a->second == b->second && a->epoch == b->epoch;
}

static void check_date(fx *f, const char *s, int64_t epoch, int wday, int y, int mo, int d)
{
    const gosip_date *dt = ok(f, gosip__parse_date, s);
    if (dt->epoch != epoch)
        fail_msg("\"%s\": epoch %lld, want %lld", s, (long long)dt->epoch, (long long)epoch);
    assert_int_equal(dt->weekday, wday);
    assert_true(dt->year == y && dt->month == mo && dt->day == d);
    roundtrip(f, gosip__parse_date, gosip__print_date, date_same, s, s);
}

static void test_date(void **state)
{
    fx *f = *state;
    check_date(f, "Sat, 13 Nov 2010 23:29:00 GMT", 1289690940, 6, 2010, 11, 13);
    const gosip_date *dt = ok(f, gosip__parse_date, "Sat, 13 Nov 2010 23:29:00 GMT");
    assert_true(dt->hour == 23 && dt->minute == 29 && dt->second == 0);
    check_date(f, "Thu, 01 Jan 1970 00:00:00 GMT", 0, 4, 1970, 1, 1);
    check_date(f, "Wed, 31 Dec 1969 23:59:59 GMT", -1, 3, 1969, 12, 31);
    check_date(f, "Tue, 29 Feb 2000 12:00:00 GMT", 951825600, 2, 2000, 2, 29);
    check_date(f, "Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL, 2, 2038, 1, 19);
    check_date(f, "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL, 5, 9999, 12, 31);
    check_date(f, "Sat, 01 Jan 0000 00:00:00 GMT", -62167219200LL, 6, 0, 1, 1);
    /* The weekday is redundant and kept as written. */
    dt = ok(f, gosip__parse_date, "Mon,\r\n 01 Jan 2010  16:00:00 GMT");
    assert_int_equal(dt->weekday, 1);
    assert_int_equal(dt->epoch, 1262361600);
}

static void test_date_invalid(void **state)
{
    fx *f = *state;
    size_t n;
    const char *v = file_header(f, "rfc4475/baddate.dat", "Date", &n);
    void *out;
    assert_int_equal(gosip__parse_date(&f->c, v, n, &out), GOSIP_ERR_PARSE);
    static const char *const cases[] = {"",
                                        "Fri, 01 Jan 2010 16:00:00 gmt",
                                        "Fri, 01 Jan 2010 16:00:00 UTC",
                                        "Fri, 01 Jan 2010 16:00:00",
                                        "fri, 01 Jan 2010 16:00:00 GMT",
                                        "Fri 01 Jan 2010 16:00:00 GMT",
                                        "Fri, 1 Jan 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 10 16:00:00 GMT",
                                        "Fri, 01 Jan 20100 16:00:00 GMT",
                                        "Fri, 32 Jan 2010 16:00:00 GMT",
                                        "Fri, 00 Jan 2010 16:00:00 GMT",
                                        "Thu, 29 Feb 2001 16:00:00 GMT",
                                        "Mon, 29 Feb 2100 16:00:00 GMT",
                                        "Fri, 31 Apr 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 2010 24:00:00 GMT",
                                        "Fri, 01 Jan 2010 23:60:00 GMT",
                                        "Fri, 01 Jan 2010 23:59:60 GMT",
                                        "Fri, 01 Foo 2010 16:00:00 GMT",
                                        "Fri, 01 JAN 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 2010 16:00:00 GMT x",
                                        "Fri, 01 Jan 2010 16:00:00 GMTx",
                                        "Fri, 01 Jan 2010 16:00 GMT",
                                        "Fri, 01 Jan 2010 16:0:00 GMT",
                                        "Fri,01 Jan 2010 16:00:00 GMT",
                                        "Fri, 01 Jan 2010 16:00:00GMT",
                                        "Fri",
                                        "Fri,",
                                        "Fri, 01 Ja"};
    BAD_ALL(f, gosip__parse_date, cases, GOSIP_ERR_PARSE);
}

/* A struct holding only an epoch prints from the epoch; checked against gmtime(). */
static void test_date_print_from_epoch(void **state)
{
    fx *f = *state;
    gosip_date d;
    memset(&d, 0, sizeof d);
    d.epoch = INT64_MAX;
    assert_string_equal(print(f, gosip__print_date, &d), "Fri, 31 Dec 9999 23:59:59 GMT");
    d.epoch = INT64_MIN;
    assert_string_equal(print(f, gosip__print_date, &d), "Sat, 01 Jan 0000 00:00:00 GMT");
    /* One field out of range is enough to print from the epoch. */
    d = *(const gosip_date *)ok(f, gosip__parse_date, "Tue, 29 Feb 2000 12:00:00 GMT");
    d.year = 10000;
    assert_string_equal(print(f, gosip__print_date, &d), "Tue, 29 Feb 2000 12:00:00 GMT");
    d.year = 2000;
    d.second = 60;
    assert_string_equal(print(f, gosip__print_date, &d), "Tue, 29 Feb 2000 12:00:00 GMT");
    for (int64_t e = -2208988800LL; e < 253402300799LL; e += 86400LL * 97 + 3671) {
        time_t t = (time_t)e;
        struct tm *tm = gmtime(&t);
        assert_non_null(tm);
        char want[64];
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", tm);
        memset(&d, 0, sizeof d);
        d.epoch = e;
        const char *got = print(f, gosip__print_date, &d);
        if (strcmp(got, want) != 0)
            fail_msg("epoch %lld printed as \"%s\", want \"%s\"", (long long)e, got, want);
        const gosip_date *back = ok(f, gosip__parse_date, got);
        assert_true(back->epoch == e);
        assert_int_equal(back->weekday, tm->tm_wday);
    }
}

/* ---------------------------------------------------------------- Timestamp */

static int timestamp_same(const void *va, const void *vb)
{
    const gosip_timestamp *a = va, *b = vb;
    return str_same(a->value, b->value) && str_same(a->delay, b->delay);
}

static void test_timestamp(void **state)
{
    fx *f = *state;
    const gosip_timestamp *t = ok(f, gosip__parse_timestamp, "54");
    assert_str(t->value, "54");
    assert_null(t->delay.p);
    t = ok(f, gosip__parse_timestamp, "54.");
    assert_str(t->value, "54.");
    t = ok(f, gosip__parse_timestamp, "54.123 0.5");
    assert_str(t->value, "54.123");
    assert_str(t->delay, "0.5");
    t = ok(f, gosip__parse_timestamp, "54\r\n .25");
    assert_str(t->delay, ".25");
    t = ok(f, gosip__parse_timestamp, "1 .");
    assert_str(t->delay, ".");
    static const char *const cases[] = {"",         ".5",  "a",     "54.1.2", "54 1 2", "54 x",
                                        "54 1.2.3", "54a", "54.5.", "54,5",   "54 5a"};
    BAD_ALL(f, gosip__parse_timestamp, cases, GOSIP_ERR_PARSE);
    roundtrip(f, gosip__parse_timestamp, gosip__print_timestamp, timestamp_same, "54.0 \t 1.5",
              "54.0 1.5");
    roundtrip(f, gosip__parse_timestamp, gosip__print_timestamp, timestamp_same, "0012", "0012");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_date),
        T(test_date_invalid),
        T(test_date_print_from_epoch),
        T(test_timestamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
