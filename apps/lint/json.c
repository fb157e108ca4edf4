/*
 * JSON writer and message dump for gosip-lint.
 *
 * SIP carries arbitrary octets (RFC 4475 puts NUL, BEL and raw 8-bit bytes in headers),
 * while JSON text must be valid Unicode. Valid UTF-8 sequences are copied through;
 * every other octet is written as \u00XX, its Latin-1 reading, so the output always
 * parses and no byte is silently lost.
 */
#include "json.h"

#include <string.h>

static const char *const shape_names[] = {
    "opaque", "nameaddr", "via",  "cseq",    "rack", "uint",      "token",
    "media",  "auth",     "text", "warning", "date", "timestamp", "extension",
};

static const char *const host_type_names[] = {"none", "name", "ipv4", "ipv6"};
static const char *const scheme_names[] = {"sip", "sips", "tel", "other"};

#define NAME_OF(table, i)                                                                          \
    ((size_t)(i) < sizeof(table) / sizeof((table)[0]) ? (table)[(size_t)(i)] : "unknown")

/* ---------------------------------------------------------------- escaping */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates),
 * 0 when the octets there are not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len;
    uint32_t cp, min;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2, cp = p[0] & 0x1Fu, min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3, cp = p[0] & 0x0Fu, min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4, cp = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void write_escaped(FILE *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    fputc('"', out);
    while (i < n) {
        unsigned char c = p[i];
        size_t len = c >= 0x80 ? utf8_len(p + i, n - i) : 1;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\r') {
            fputs("\\r", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c < 0x20 || c == 0x7F || len == 0) {
            fprintf(out, "\\u%04x", (unsigned)c);
            len = 1;
        } else {
            fwrite(p + i, 1, len, out);
        }
        i += len;
    }
    fputc('"', out);
}

/* Whether a body reads as text: well-formed UTF-8 without controls other than HT, CR, LF. */
static int is_text(gosip_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0;

    while (i < s.n) {
        size_t len = utf8_len(p + i, s.n - i);
        if (len == 0)
            return 0;
        if (len == 1 && (p[i] < 0x20 || p[i] == 0x7F) && p[i] != '\t' && p[i] != '\r' &&
            p[i] != '\n')
            return 0;
        i += len;
    }
    return 1;
}

/* ---------------------------------------------------------------- writer */

void lint_json_init(lint_json *j, FILE *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

static void indent(lint_json *j)
{
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->out);
}

/* Starts a value: comma and line break after a sibling, then the member name if any. */
static void start_value(lint_json *j, const char *key)
{
    if (j->depth > 0 && j->depth <= LINT_JSON_MAX_DEPTH) {
        if (j->has_items[j->depth - 1])
            fputc(',', j->out);
        j->has_items[j->depth - 1] = 1;
        fputc('\n', j->out);
        indent(j);
    }
    if (key) {
        write_escaped(j->out, key, strlen(key));
        fputs(": ", j->out);
    }
}

static void begin(lint_json *j, const char *key, int open)
{
    start_value(j, key);
    fputc(open, j->out);
    if (j->depth < LINT_JSON_MAX_DEPTH)
        j->has_items[j->depth] = 0;
    j->depth++;
}

static void end(lint_json *j, int close)
{
    if (j->depth <= 0)
        return;
    j->depth--;
    if (j->depth < LINT_JSON_MAX_DEPTH && j->has_items[j->depth]) {
        fputc('\n', j->out);
        indent(j);
    }
    fputc(close, j->out);
    if (j->depth == 0)
        fputc('\n', j->out);
}

void lint_json_begin_object(lint_json *j, const char *key)
{
    begin(j, key, '{');
}

void lint_json_end_object(lint_json *j)
{
    end(j, '}');
}

void lint_json_begin_array(lint_json *j, const char *key)
{
    begin(j, key, '[');
}

void lint_json_end_array(lint_json *j)
{
    end(j, ']');
}

void lint_json_str(lint_json *j, const char *key, gosip_str s)
{
    start_value(j, key);
    if (s.p)
        write_escaped(j->out, s.p, s.n);
    else
        fputs("null", j->out);
}

void lint_json_cstr(lint_json *j, const char *key, const char *s)
{
    lint_json_str(j, key, gosip_str_from_cstr(s));
}

void lint_json_int(lint_json *j, const char *key, long long v)
{
    start_value(j, key);
    fprintf(j->out, "%lld", v);
}

void lint_json_bool(lint_json *j, const char *key, int v)
{
    start_value(j, key);
    fputs(v ? "true" : "false", j->out);
}

void lint_json_null(lint_json *j, const char *key)
{
    start_value(j, key);
    fputs("null", j->out);
}

/* ---------------------------------------------------------------- typed values */

static void write_params(lint_json *j, const char *key, const gosip_param *p)
{
    lint_json_begin_array(j, key);
    for (; p; p = p->next) {
        lint_json_begin_object(j, NULL);
        lint_json_str(j, "name", p->name);
        lint_json_str(j, "value", p->value);
        lint_json_end_object(j);
    }
    lint_json_end_array(j);
}

/* An optional number: negative means absent (port, rport, ttl). */
static void write_opt_int(lint_json *j, const char *key, int v)
{
    if (v < 0)
        lint_json_null(j, key);
    else
        lint_json_int(j, key, v);
}

static void write_uri(lint_json *j, const char *key, const gosip_uri *u)
{
    if (!u) {
        lint_json_null(j, key);
        return;
    }
    lint_json_begin_object(j, key);
    lint_json_cstr(j, "scheme", NAME_OF(scheme_names, u->scheme));
    lint_json_str(j, "scheme_name", u->scheme_name);
    lint_json_str(j, "user", u->user);
    lint_json_str(j, "password", u->password);
    lint_json_str(j, "host", u->host);
    lint_json_cstr(j, "host_type", NAME_OF(host_type_names, u->host_type));
    write_opt_int(j, "port", u->port);
    write_params(j, "params", u->params);
    lint_json_str(j, "headers", u->headers);
    lint_json_str(j, "opaque", u->opaque);
    lint_json_str(j, "raw", u->raw);
    lint_json_end_object(j);
}

static void write_nameaddr(lint_json *j, const gosip_nameaddr *na)
{
    lint_json_begin_object(j, "nameaddr");
    lint_json_bool(j, "star", na->star);
    lint_json_str(j, "display", na->display);
    lint_json_bool(j, "bracketed", na->bracketed);
    write_uri(j, "uri", na->uri);
    write_params(j, "params", na->params);
    lint_json_str(j, "tag", na->tag);
    lint_json_end_object(j);
}

static void write_via(lint_json *j, const gosip_via *v)
{
    lint_json_begin_object(j, "via");
    lint_json_str(j, "protocol", v->protocol);
    lint_json_str(j, "version", v->version);
    lint_json_str(j, "transport", v->transport);
    lint_json_str(j, "host", v->host);
    lint_json_cstr(j, "host_type", NAME_OF(host_type_names, v->host_type));
    write_opt_int(j, "port", v->port);
    lint_json_str(j, "branch", v->branch);
    lint_json_str(j, "received", v->received);
    lint_json_str(j, "maddr", v->maddr);
    write_opt_int(j, "rport", v->rport);
    write_opt_int(j, "ttl", v->ttl);
    write_params(j, "params", v->params);
    lint_json_end_object(j);
}

static void write_method(lint_json *j, gosip_method m, gosip_str name)
{
    lint_json_str(j, "method", name);
    lint_json_cstr(j, "method_known", gosip_method_name(m));
}

static void write_date(lint_json *j, const gosip_date *d)
{
    lint_json_begin_object(j, "date");
    lint_json_int(j, "weekday", d->weekday);
    lint_json_int(j, "day", d->day);
    lint_json_int(j, "month", d->month);
    lint_json_int(j, "year", d->year);
    lint_json_int(j, "hour", d->hour);
    lint_json_int(j, "minute", d->minute);
    lint_json_int(j, "second", d->second);
    lint_json_int(j, "epoch", (long long)d->epoch);
    lint_json_end_object(j);
}

/* The shapes with few fields, grouped so that each writer stays short. */
static void write_small_shape(lint_json *j, const gosip_hdr *h, gosip_hdr_shape shape)
{
    const gosip_cseq *cs = gosip_hdr_cseq(h);
    const gosip_rack *ra = gosip_hdr_rack(h);
    const gosip_uint *ui = gosip_hdr_uint(h);
    const gosip_token *tk = gosip_hdr_token(h);
    const gosip_media *me = gosip_hdr_media(h);
    const gosip_auth *au = gosip_hdr_auth(h);

    if (shape == GOSIP_SHAPE_CSEQ && cs) {
        lint_json_begin_object(j, "cseq");
        lint_json_int(j, "seq", cs->seq);
        write_method(j, cs->method, cs->method_name);
    } else if (shape == GOSIP_SHAPE_RACK && ra) {
        lint_json_begin_object(j, "rack");
        lint_json_int(j, "rseq", ra->rseq);
        lint_json_int(j, "cseq", ra->cseq);
        write_method(j, ra->method, ra->method_name);
    } else if (shape == GOSIP_SHAPE_UINT && ui) {
        lint_json_begin_object(j, "uint");
        lint_json_int(j, "value", ui->value);
        lint_json_str(j, "comment", ui->comment);
        write_params(j, "params", ui->params);
    } else if (shape == GOSIP_SHAPE_TOKEN && tk) {
        lint_json_begin_object(j, "token");
        lint_json_str(j, "token", tk->token);
        write_params(j, "params", tk->params);
    } else if (shape == GOSIP_SHAPE_MEDIA && me) {
        lint_json_begin_object(j, "media");
        lint_json_str(j, "type", me->type);
        lint_json_str(j, "subtype", me->subtype);
        write_params(j, "params", me->params);
    } else if (shape == GOSIP_SHAPE_AUTH && au) {
        lint_json_begin_object(j, "auth");
        lint_json_str(j, "scheme", au->scheme);
        write_params(j, "params", au->params);
    } else {
        return;
    }
    lint_json_end_object(j);
}

static void write_typed(lint_json *j, const gosip_hdr *h, gosip_hdr_shape shape)
{
    const gosip_nameaddr *na = gosip_hdr_nameaddr(h);
    const gosip_via *via = gosip_hdr_via(h);
    const gosip_text *tx = gosip_hdr_text(h);
    const gosip_warning *wa = gosip_hdr_warning(h);
    const gosip_date *da = gosip_hdr_date(h);
    const gosip_timestamp *ts = gosip_hdr_timestamp(h);

    if (shape == GOSIP_SHAPE_NAMEADDR && na) {
        write_nameaddr(j, na);
    } else if (shape == GOSIP_SHAPE_VIA && via) {
        write_via(j, via);
    } else if (shape == GOSIP_SHAPE_TEXT && tx) {
        lint_json_begin_object(j, "text");
        lint_json_str(j, "text", tx->text);
        lint_json_end_object(j);
    } else if (shape == GOSIP_SHAPE_WARNING && wa) {
        lint_json_begin_object(j, "warning");
        lint_json_int(j, "code", wa->code);
        lint_json_str(j, "agent", wa->agent);
        lint_json_str(j, "text", wa->text);
        lint_json_end_object(j);
    } else if (shape == GOSIP_SHAPE_DATE && da) {
        write_date(j, da);
    } else if (shape == GOSIP_SHAPE_TIMESTAMP && ts) {
        lint_json_begin_object(j, "timestamp");
        lint_json_str(j, "value", ts->value);
        lint_json_str(j, "delay", ts->delay);
        lint_json_end_object(j);
    } else {
        write_small_shape(j, h, shape);
    }
}

/* ---------------------------------------------------------------- message */

static void write_header(lint_json *j, const gosip_hdr *h)
{
    gosip_hdr_kind kind = gosip_hdr_kind_of(h);
    gosip_hdr_shape shape = gosip_hdr_kind_shape(kind);
    const char *kind_name = gosip_hdr_kind_name(kind);
    int err = gosip_hdr_error(h);

    lint_json_begin_object(j, NULL);
    lint_json_str(j, "name", gosip_hdr_name(h));
    lint_json_cstr(j, "kind", kind_name ? kind_name : "other");
    lint_json_cstr(j, "shape", NAME_OF(shape_names, shape));
    lint_json_str(j, "value", gosip_hdr_value(h));
    if (err)
        lint_json_cstr(j, "error", gosip_err_name(err));
    else
        lint_json_null(j, "error");
    write_typed(j, h, shape);
    lint_json_end_object(j);
}

static void write_headers(lint_json *j, const gosip_msg *m)
{
    lint_json_begin_array(j, "headers");
    for (const gosip_hdr *h = gosip_msg_hdr_first(m); h; h = gosip_hdr_next(h))
        write_header(j, h);
    lint_json_end_array(j);
}

static void write_body_text(lint_json *j, gosip_str body)
{
    lint_json_int(j, "body_length", (long long)body.n);
    if (body.p && is_text(body))
        lint_json_str(j, "body", body);
}

static void write_multipart(lint_json *j, const gosip_multipart *mp)
{
    lint_json_begin_object(j, "multipart");
    lint_json_str(j, "boundary", mp->boundary);
    lint_json_begin_array(j, "parts");
    for (size_t i = 0; i < mp->n_parts; i++) {
        const gosip_body_part *part = &mp->parts[i];
        lint_json_begin_object(j, NULL);
        lint_json_str(j, "content_type", part->content_type);
        if (part->headers)
            write_headers(j, part->headers);
        write_body_text(j, part->body);
        if (part->nested)
            write_multipart(j, part->nested);
        lint_json_end_object(j);
    }
    lint_json_end_array(j);
    lint_json_end_object(j);
}

static void write_start_line(lint_json *j, const gosip_msg *m)
{
    if (gosip_msg_is_request(m)) {
        lint_json_cstr(j, "type", "request");
        write_method(j, gosip_msg_method(m), gosip_msg_method_name(m));
        write_uri(j, "request_uri", gosip_msg_request_uri(m));
    } else {
        lint_json_cstr(j, "type", "response");
        lint_json_int(j, "status", gosip_msg_status(m));
        lint_json_str(j, "reason", gosip_msg_reason(m));
    }
    lint_json_str(j, "version", gosip_msg_version(m));
}

void lint_json_message(lint_json *j, gosip_msg *m)
{
    gosip_parse_error defect;
    const gosip_multipart *mp = NULL;

    write_start_line(j, m);
    write_headers(j, m);
    if (gosip_msg_defect(m, &defect) != 0)
        lint_json_parse_error(j, "defect", defect.code, &defect, defect.offset);
    else
        lint_json_null(j, "defect");
    write_body_text(j, gosip_msg_body(m));
    int rc = gosip_msg_multipart(m, &mp);
    if (rc == 0 && mp)
        write_multipart(j, mp);
    else if (rc != 0 && rc != GOSIP_ERR_NOT_FOUND)
        lint_json_cstr(j, "multipart_error", gosip_err_name(rc));
}

void lint_json_parse_error(lint_json *j, const char *key, int code, const gosip_parse_error *e,
                           size_t offset)
{
    const char *kind = gosip_hdr_kind_name(e->kind);

    lint_json_begin_object(j, key);
    lint_json_cstr(j, "code", gosip_err_name(code));
    lint_json_cstr(j, "reason", e->reason ? e->reason : gosip_strerror(code));
    lint_json_int(j, "offset", (long long)offset);
    if (e->status > 0)
        lint_json_int(j, "status", e->status);
    else
        lint_json_null(j, "status");
    lint_json_cstr(j, "header", kind);
    lint_json_end_object(j);
}
