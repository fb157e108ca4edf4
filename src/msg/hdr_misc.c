/*
 * Header shapes with one user each: RAck (RFC 3262), Warning, Date, Timestamp,
 * Alert-Info / Call-Info / Error-Info, MIME-Version (RFC 3261 section 25.1) and
 * Privacy (RFC 3323).
 *
 * Where the grammar asks for one SP between fields, any LWS run is accepted: the
 * fields themselves cannot hold whitespace, so nothing becomes ambiguous. Printers
 * always write a single SP.
 */
#include "msg/msg_internal.h"

#include <string.h>

/* Skips a required LWS run: returns its end, or NULL when there is none. */
static const char *need_ws(const char *p, const char *end)
{
    const char *q = gosip__skip_ws(p, end);
    return q == p ? NULL : q;
}

static const char *skip_digits(const char *p, const char *end)
{
    while (p < end && gosip__is_digit(*p))
        p++;
    return p;
}

/* ---------------------------------------------------------------- RAck */

/* response-num LWS CSeq-num LWS Method; both numbers 1*DIGIT up to 2^32-1. */
static int fill_rack(const gosip__pctx *c, const char *p, const char *end, void *v)
{
    (void)c;
    gosip_rack *r = v;
    const char *q = gosip__parse_u32(p, end, UINT32_MAX, &r->rseq);
    if (!q || !(q = need_ws(q, end)))
        return GOSIP_ERR_PARSE;
    q = gosip__parse_u32(q, end, UINT32_MAX, &r->cseq);
    if (!q || !(q = need_ws(q, end)))
        return GOSIP_ERR_PARSE;
    const char *m_end = gosip__skip_token(q, end);
    if (m_end == q || m_end != end)
        return GOSIP_ERR_PARSE;
    r->method_name = gosip__mkstr(q, m_end);
    r->method = gosip_method_from_str(r->method_name);
    return 0;
}

int gosip__parse_rack(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return gosip__parse_filled(c, p, n, sizeof(gosip_rack), fill_rack, out);
}

void gosip__print_rack(gosip_sbuf *sb, const void *v)
{
    const gosip_rack *r = v;
    gosip__sbuf_u64(sb, r->rseq);
    gosip__sbuf_ch(sb, ' ');
    gosip__sbuf_u64(sb, r->cseq);
    gosip__sbuf_ch(sb, ' ');
    if (r->method_name.n)
        gosip__sbuf_str(sb, r->method_name);
    else if (gosip_method_name(r->method))
        gosip__sbuf_cstr(sb, gosip_method_name(r->method));
}

/* ---------------------------------------------------------------- Warning */

/* warn-agent = hostport / pseudonym (a token). */
static int is_warn_agent(const char *p, const char *end)
{
    if (gosip__skip_token(p, end) == end)
        return 1;
    gosip_str host;
    gosip_host_type type;
    int port;
    return gosip__parse_hostport(p, end, &host, &type, &port) == end;
}

/* warn-code SP warn-agent SP warn-text; warn-code is exactly three digits. */
int gosip__parse_warning(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    if (n < 4)
        return GOSIP_ERR_PARSE;
    const char *end = p + n;
    if (!gosip__is_digit(p[0]) || !gosip__is_digit(p[1]) || !gosip__is_digit(p[2]))
        return GOSIP_ERR_PARSE;
    const char *q = need_ws(p + 3, end); /* a fourth digit lands here too */
    if (!q)
        return GOSIP_ERR_PARSE;
    const char *agent = q;
    while (q < end && !gosip__is_ws(*q))
        q++;
    if (q == agent || !is_warn_agent(agent, q))
        return GOSIP_ERR_PARSE;
    const char *text = need_ws(q, end);
    if (!text || *text != '"' || gosip__skip_quoted(text, end) != end)
        return GOSIP_ERR_PARSE;
    gosip_warning *w = gosip__arena_zalloc(c->arena, sizeof *w);
    if (!w)
        return GOSIP_ERR_NOMEM;
    w->code = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    w->agent = gosip__mkstr(agent, q);
    w->text = gosip__mkstr(text, end);
    *out = w;
    return 0;
}

void gosip__print_warning(gosip_sbuf *sb, const void *v)
{
    const gosip_warning *w = v;
    /* 3DIGIT: keep leading zeros so the code re-parses. */
    if (w->code < 100)
        gosip__sbuf_put(sb, w->code < 10 ? "00" : "0", w->code < 10 ? 2 : 1);
    gosip__sbuf_u64(sb, w->code);
    gosip__sbuf_ch(sb, ' ');
    gosip__sbuf_str(sb, w->agent);
    gosip__sbuf_ch(sb, ' ');
    if (w->text.n)
        gosip__sbuf_str(sb, w->text);
    else
        gosip__sbuf_put(sb, "\"\"", 2);
}

/* ---------------------------------------------------------------- Date */

static const char wkday_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Leap days in the years [1, y] of the proleptic Gregorian calendar (y may be <= 0). */
static int64_t leap_days_through(int64_t y)
{
    return floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400);
}

/* Days from 1970-01-01 to y-m-d. */
static int64_t days_since_epoch(int64_t y, int m, int d)
{
    static const short before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t days = (y - 1970) * 365 + leap_days_through(y - 1) - leap_days_through(1969);
    days += before[m - 1] + (m > 2 && is_leap(y)) + d - 1;
    return days;
}

/* Index of the three-letter name at p (case-sensitive, RFC 3261 20.17), or -1. */
static int find_name(const char *p, const char *end, const char (*names)[4], int count)
{
    if (end - p < 3)
        return -1;
    for (int i = 0; i < count; i++)
        if (memcmp(p, names[i], 3) == 0)
            return i;
    return -1;
}

/* Exactly `count` digits at p. */
static const char *fixed_digits(const char *p, const char *end, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++, p++) {
        if (p == end || !gosip__is_digit(*p))
            return NULL;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return p;
}

/* time = 2DIGIT ":" 2DIGIT ":" 2DIGIT, 00:00:00 - 23:59:59 */
static const char *parse_time(const char *p, const char *end, gosip_date *d)
{
    p = fixed_digits(p, end, 2, &d->hour);
    if (!p || p == end || *p++ != ':')
        return NULL;
    p = fixed_digits(p, end, 2, &d->minute);
    if (!p || p == end || *p++ != ':')
        return NULL;
    p = fixed_digits(p, end, 2, &d->second);
    if (!p || d->hour > 23 || d->minute > 59 || d->second > 59)
        return NULL;
    return p;
}

/* wkday "," SP date1 SP time SP "GMT", date1 = 2DIGIT SP month SP 4DIGIT */
static int parse_rfc1123(const char *p, const char *end, gosip_date *d)
{
    d->weekday = find_name(p, end, wkday_names, 7);
    if (d->weekday < 0 || end - p < 4 || p[3] != ',')
        return GOSIP_ERR_PARSE;
    if (!(p = need_ws(p + 4, end)) || !(p = fixed_digits(p, end, 2, &d->day)))
        return GOSIP_ERR_PARSE;
    if (!(p = need_ws(p, end)))
        return GOSIP_ERR_PARSE;
    d->month = find_name(p, end, month_names, 12) + 1;
    if (d->month == 0 || !(p = need_ws(p + 3, end)))
        return GOSIP_ERR_PARSE;
    if (!(p = fixed_digits(p, end, 4, &d->year)) || !(p = need_ws(p, end)))
        return GOSIP_ERR_PARSE;
    if (!(p = parse_time(p, end, d)) || !(p = need_ws(p, end)))
        return GOSIP_ERR_PARSE;
    /* Only GMT is legal (RFC 3261 20.17; RFC 4475 3.1.2.12). */
    if (end - p != 3 || memcmp(p, "GMT", 3) != 0)
        return GOSIP_ERR_PARSE;
    if (d->day < 1 || d->day > days_in_month(d->year, d->month))
        return GOSIP_ERR_PARSE;
    return 0;
}

/*
 * The weekday is kept as written and not checked against the date: it is redundant,
 * and the date fields and epoch carry the meaning.
 */
static int fill_date(const gosip__pctx *c, const char *p, const char *end, void *v)
{
    (void)c;
    gosip_date *d = v;
    int rc = parse_rfc1123(p, end, d);
    if (rc)
        return rc;
    d->epoch = days_since_epoch(d->year, d->month, d->day) * 86400 + d->hour * 3600 +
               d->minute * 60 + d->second;
    return 0;
}

int gosip__parse_date(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    return gosip__parse_filled(c, p, n, sizeof(gosip_date), fill_date, out);
}

/* Fills the calendar fields of d from d->epoch (inverse of days_since_epoch). */
static void date_from_epoch(gosip_date *d)
{
    /* Four-digit years only: clamp to 0000-01-01 .. 9999-12-31 23:59:59. */
    int64_t lo = days_since_epoch(0, 1, 1) * 86400;
    int64_t hi = days_since_epoch(9999, 12, 31) * 86400 + 86399;
    d->epoch = d->epoch < lo ? lo : d->epoch > hi ? hi : d->epoch;
    int64_t days = floor_div(d->epoch, 86400);
    int64_t secs = d->epoch - days * 86400;
    d->weekday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
    d->hour = (int)(secs / 3600);
    d->minute = (int)(secs / 60 % 60);
    d->second = (int)(secs % 60);
    /* Count in 400-year cycles of 146097 days from 0000-03-01, so that the leap day
     * falls at the end of each counted year. */
    int64_t z = days + 719468;
    int64_t cycle = floor_div(z, 146097);
    int64_t doc = z - cycle * 146097;
    int64_t yoc = (doc - doc / 1460 + doc / 36524 - doc / 146096) / 365;
    int64_t doy = doc - (365 * yoc + yoc / 4 - yoc / 100);
    int64_t mp = (5 * doy + 2) / 153;
    d->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d->year = (int)(yoc + cycle * 400 + (d->month <= 2));
}

static void put_2digits(gosip_sbuf *sb, int v)
{
    gosip__sbuf_ch(sb, (char)('0' + v / 10 % 10));
    gosip__sbuf_ch(sb, (char)('0' + v % 10));
}

/*
 * Prints the calendar fields. A struct whose fields are out of range (one built by
 * hand from an epoch alone) is printed from its epoch instead.
 */
void gosip__print_date(gosip_sbuf *sb, const void *v)
{
    gosip_date d = *(const gosip_date *)v;
    if (d.weekday < 0 || d.weekday > 6 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 ||
        d.year < 0 || d.year > 9999 || d.hour < 0 || d.hour > 23 || d.minute < 0 || d.minute > 59 ||
        d.second < 0 || d.second > 59)
        date_from_epoch(&d);
    gosip__sbuf_put(sb, wkday_names[d.weekday], 3);
    gosip__sbuf_put(sb, ", ", 2);
    put_2digits(sb, d.day);
    gosip__sbuf_ch(sb, ' ');
    gosip__sbuf_put(sb, month_names[d.month - 1], 3);
    gosip__sbuf_ch(sb, ' ');
    put_2digits(sb, d.year / 100);
    put_2digits(sb, d.year % 100);
    gosip__sbuf_ch(sb, ' ');
    put_2digits(sb, d.hour);
    gosip__sbuf_ch(sb, ':');
    put_2digits(sb, d.minute);
    gosip__sbuf_ch(sb, ':');
    put_2digits(sb, d.second);
    gosip__sbuf_put(sb, " GMT", 4);
}

/* ---------------------------------------------------------------- Timestamp */

/* 1*DIGIT ["." *DIGIT] [LWS delay], delay = *DIGIT ["." *DIGIT] (non-empty here). */
int gosip__parse_timestamp(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    if (n == 0)
        return GOSIP_ERR_PARSE;
    const char *end = p + n;
    const char *q = skip_digits(p, end);
    if (q == p)
        return GOSIP_ERR_PARSE;
    if (q < end && *q == '.')
        q = skip_digits(q + 1, end);
    gosip_timestamp *t = gosip__arena_zalloc(c->arena, sizeof *t);
    if (!t)
        return GOSIP_ERR_NOMEM;
    t->value = gosip__mkstr(p, q);
    t->delay = GOSIP_STR_NULL;
    if (q < end) {
        const char *dl = need_ws(q, end);
        if (!dl)
            return GOSIP_ERR_PARSE;
        q = skip_digits(dl, end);
        if (q < end && *q == '.')
            q = skip_digits(q + 1, end);
        if (q != end)
            return GOSIP_ERR_PARSE;
        t->delay = gosip__mkstr(dl, end);
    }
    *out = t;
    return 0;
}

void gosip__print_timestamp(gosip_sbuf *sb, const void *v)
{
    const gosip_timestamp *t = v;
    gosip__sbuf_str(sb, t->value);
    if (t->delay.n) {
        gosip__sbuf_ch(sb, ' ');
        gosip__sbuf_str(sb, t->delay);
    }
}

/* ---------------------------------------------------------------- Alert-, Call-, Error-Info */

/* LAQUOT absoluteURI RAQUOT *(SEMI generic-param), as a bracketed name-addr. */
int gosip__parse_info_uri(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    if (n < 2 || *p != '<')
        return GOSIP_ERR_PARSE;
    const char *end = p + n;
    const char *gt = memchr(p + 1, '>', n - 1);
    if (!gt)
        return GOSIP_ERR_PARSE;
    gosip_nameaddr *na = gosip__arena_zalloc(c->arena, sizeof *na);
    gosip_uri *uri = gosip__arena_zalloc(c->arena, sizeof *uri);
    if (!na || !uri)
        return GOSIP_ERR_NOMEM;
    int rc = gosip__uri_parse(c, p + 1, (size_t)(gt - (p + 1)), uri);
    if (rc)
        return rc;
    na->uri = uri;
    na->bracketed = 1;
    na->display = GOSIP_STR_NULL;
    const char *stop = gt + 1;
    rc = gosip__parse_params(c, gt + 1, end, &na->params, &stop);
    if (rc)
        return rc;
    if (stop != end)
        return GOSIP_ERR_PARSE;
    const gosip_param *tag = gosip_param_find(na->params, "tag");
    na->tag = tag ? tag->value : GOSIP_STR_NULL;
    *out = na;
    return 0;
}

/* ---------------------------------------------------------------- MIME-Version */

/* 1*DIGIT "." 1*DIGIT, kept as text. */
int gosip__parse_mime_version(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    if (n == 0)
        return GOSIP_ERR_PARSE;
    const char *end = p + n;
    const char *q = skip_digits(p, end);
    if (q == p || q == end || *q != '.')
        return GOSIP_ERR_PARSE;
    const char *minor = q + 1;
    q = skip_digits(minor, end);
    if (q == minor || q != end)
        return GOSIP_ERR_PARSE;
    gosip_text *t = gosip__arena_zalloc(c->arena, sizeof *t);
    if (!t)
        return GOSIP_ERR_NOMEM;
    t->text = gosip__mkstr(p, end);
    *out = t;
    return 0;
}

/* ---------------------------------------------------------------- Privacy */

/*
 * priv-value *(";" priv-value), RFC 3323: the first value is the token, the others
 * become flag parameters, so gosip_param_find(t->params, "id") answers "is id asked
 * for" (check t->token as well).
 */
int gosip__parse_privacy(const gosip__pctx *c, const char *p, size_t n, void **out)
{
    const char *end = p + n, *q;
    int rc;
    gosip_token *t = gosip__alloc_after_token(c, p, end, sizeof *t, &q, &rc);
    if (!t)
        return rc;
    t->token = gosip__mkstr(p, q);
    const char *stop = q;
    rc = gosip__parse_params(c, q, end, &t->params, &stop);
    if (rc)
        return rc;
    if (stop != end)
        return GOSIP_ERR_PARSE;
    for (const gosip_param *prm = t->params; prm; prm = prm->next)
        if (prm->value.p)
            return GOSIP_ERR_PARSE; /* priv-values are bare tokens */
    *out = t;
    return 0;
}
