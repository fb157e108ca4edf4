/* Printer: a clean parsed message prints as received; changed parts print from their parts. */
#include "msg/msg_internal.h"

static void print_value(gosip_sbuf *sb, const gosip_hdr *h)
{
    if (h->dirty && h->parsed) {
        gosip__print_fn fn = gosip__shape_printer(gosip_hdr_kind_shape((gosip_hdr_kind)h->kind));
        if (fn) {
            fn(sb, h->parsed);
            return;
        }
    }
    gosip__sbuf_str(sb, h->value);
}

static void print_start_line(gosip_sbuf *sb, const gosip_msg *m)
{
    if (m->type == GOSIP__MSG_NONE)
        return;
    if (!m->start_dirty && m->start_line.p) {
        gosip__sbuf_str(sb, m->start_line);
    } else if (m->type == GOSIP__MSG_REQUEST) {
        gosip__sbuf_str(sb, m->method_name);
        gosip__sbuf_ch(sb, ' ');
        gosip__sbuf_str(sb, m->ruri_text);
        gosip__sbuf_cstr(sb, " SIP/2.0");
    } else {
        gosip__sbuf_cstr(sb, "SIP/2.0 ");
        gosip__sbuf_u64(sb, (uint64_t)m->status);
        gosip__sbuf_ch(sb, ' ');
        gosip__sbuf_str(sb, m->reason);
    }
    gosip__sbuf_put(sb, "\r\n", 2);
}

static void print_headers(gosip_sbuf *sb, const gosip_msg *m)
{
    for (const gosip_hdr *h = m->first; h; h = h->next) {
        if (h->line.p) {
            /* the values of one raw line print once, as the line */
            if (!(h->prev && h->prev->line.p == h->line.p)) {
                gosip__sbuf_str(sb, h->line);
                gosip__sbuf_put(sb, "\r\n", 2);
            }
            continue;
        }
        gosip__sbuf_str(sb, h->name);
        gosip__sbuf_put(sb, ": ", 2);
        print_value(sb, h);
        gosip__sbuf_put(sb, "\r\n", 2);
    }
}

void gosip__msg_print(gosip_sbuf *sb, const gosip_msg *m)
{
    if (!m->dirty && m->raw.p) {
        gosip__sbuf_str(sb, m->raw);
        return;
    }
    print_start_line(sb, m);
    print_headers(sb, m);
    gosip__sbuf_put(sb, "\r\n", 2);
    gosip__sbuf_str(sb, m->body);
}

size_t gosip_msg_print(const gosip_msg *m, char *buf, size_t cap)
{
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, buf, buf ? cap : 0);
    if (m)
        gosip__msg_print(&sb, m);
    return gosip__sbuf_finish(&sb);
}

size_t gosip_hdr_print_value(const gosip_hdr *h, char *buf, size_t cap)
{
    gosip__hdr_ensure(h);
    gosip_sbuf sb;
    gosip__sbuf_init(&sb, buf, buf ? cap : 0);
    if (h)
        print_value(&sb, h);
    return gosip__sbuf_finish(&sb);
}

/* Prints a header's value into m's arena (for copies and re-parses). */
int gosip__hdr_value_text(gosip_msg *m, const gosip_hdr *h, gosip_str *out)
{
    gosip__hdr_ensure(h);
    if (!h->dirty) {
        *out = h->value;
        return 0;
    }
    size_t n = gosip_hdr_print_value(h, NULL, 0);
    char *p = gosip__arena_alloc(&m->arena, n + 1);
    if (!p)
        return GOSIP_ERR_NOMEM;
    gosip_hdr_print_value(h, p, n + 1);
    out->p = p;
    out->n = n;
    return 0;
}
