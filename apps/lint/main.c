/*
 * gosip-lint: parses SIP messages from files and says what a receiver would do with
 * each one, per gosip_msg_validate(): process it, answer with an error response, or
 * drop it. With --json it also dumps the parsed structure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosip/msg.h>

#include "json.h"

enum { EXIT_ALL_VALID = 0, EXIT_INVALID = 1, EXIT_USAGE = 2 };
enum { MAX_LIST = 64 };

/* A stream file may hold many messages; past this it is more likely a mistake than a capture. */
#define STREAM_FILE_CAP ((size_t)64 << 20)

static const char usage_text[] =
    "usage: gosip-lint [options] [FILE...]\n"
    "\n"
    "Parses one SIP message per FILE (standard input when no FILE is given, or for \"-\")\n"
    "and prints, per message, what a receiver would do with it:\n"
    "  FILE: valid                          process it\n"
    "  FILE: STATUS REASON (DETAIL)         a request to answer with this error response\n"
    "  FILE: drop (DETAIL)                  a malformed response to drop silently\n"
    "  FILE: unparseable: REASON at offset N\n"
    "\n"
    "options:\n"
    "  --stream           stream framing (as on TCP): split each FILE into messages with\n"
    "                     Content-Length; messages are labelled FILE#1, FILE#2, ...\n"
    "  --proxy            judge as a proxy (RFC 3261 16.3) instead of a UAS (8.2)\n"
    "  --registrar        judge as a registrar (To must be a SIP or SIPS URI)\n"
    "  --supported LIST   option tags the receiver supports, comma-separated (420 otherwise)\n"
    "  --accept LIST      type/subtype bodies a UAS accepts, comma-separated (415 otherwise;\n"
    "                     default: any)\n"
    "  --json             print a JSON array with one object per message: start line, each\n"
    "                     header with its typed fields, defect, body and verdict\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 when every message is valid, 1 when any is not, 2 on usage or I/O errors.\n";

typedef struct lint_list {
    char *buf;
    const char *items[MAX_LIST];
    size_t n;
} lint_list;

typedef struct lint {
    int json;
    int stream;
    gosip_role role;
    gosip_validate_opts vopts;
    gosip_msg_limits limits;
    lint_list supported;
    lint_list accept;
    lint_json js;
    int exit_status;
} lint;

static void raise_status(lint *l, int status)
{
    if (status > l->exit_status)
        l->exit_status = status;
}

static void io_error(lint *l, const char *label, const char *what)
{
    fflush(stdout);
    fprintf(stderr, "gosip-lint: %s: %s\n", label, what);
    raise_status(l, EXIT_USAGE);
}

/* ---------------------------------------------------------------- reporting */

static void print_label(const char *label, unsigned index)
{
    if (index)
        printf("%s#%u: ", label, index);
    else
        printf("%s: ", label);
}

static void json_label(lint *l, const char *label, unsigned index)
{
    lint_json_begin_object(&l->js, NULL);
    lint_json_cstr(&l->js, "file", label);
    if (index)
        lint_json_int(&l->js, "message", index);
}

static const char *verdict_result(const gosip_verdict *v)
{
    if (v->status == 0)
        return "valid";
    return v->status < 0 ? "drop" : "reject";
}

static void print_verdict(const gosip_verdict *v)
{
    const char *reason = v->reason && v->reason[0] ? v->reason : gosip_reason_phrase(v->status);

    if (v->status == 0) {
        printf("valid\n");
        return;
    }
    if (v->status < 0)
        printf("drop (%s", v->detail ? v->detail : "");
    else
        printf("%d %s (%s", v->status, reason, v->detail ? v->detail : "");
    for (size_t i = 0; i < v->n_unsupported && i < GOSIP_VERDICT_MAX_TAGS; i++)
        printf("%s%.*s", i ? ", " : "; Unsupported: ", (int)v->unsupported[i].n,
               v->unsupported[i].p);
    if (v->flags & GOSIP_VERDICT_TAGS_TRUNCATED)
        printf(", ...");
    printf(")\n");
}

static void json_verdict(lint *l, const gosip_verdict *v, const char *result)
{
    lint_json *j = &l->js;

    lint_json_begin_object(j, "verdict");
    lint_json_cstr(j, "result", result);
    if (v->status != 0)
        lint_json_int(j, "status", v->status);
    if (v->status > 0)
        lint_json_cstr(j, "reason",
                       v->reason && v->reason[0] ? v->reason : gosip_reason_phrase(v->status));
    lint_json_cstr(j, "detail", v->detail);
    lint_json_cstr(j, "header", gosip_hdr_kind_name(v->hdr));
    lint_json_begin_array(j, "unsupported");
    for (size_t i = 0; i < v->n_unsupported && i < GOSIP_VERDICT_MAX_TAGS; i++)
        lint_json_str(j, NULL, v->unsupported[i]);
    lint_json_end_array(j);
    lint_json_bool(j, "unsupported_truncated", (v->flags & GOSIP_VERDICT_TAGS_TRUNCATED) != 0);
    lint_json_bool(j, "may_answer", (v->flags & GOSIP_VERDICT_MAY_ANSWER) != 0);
    lint_json_end_object(j);
}

/*
 * Input the parser refused. data/len (NULL when there is no message to show) lets JSON
 * output say what a receiver would do with such bytes.
 */
static void report_unparseable(lint *l, const char *label, unsigned index, int code,
                               const gosip_parse_error *err, size_t offset, const char *data,
                               size_t len)
{
    const char *reason = err->reason ? err->reason : gosip_strerror(code);
    gosip_verdict v;

    raise_status(l, EXIT_INVALID);
    if (!l->json) {
        print_label(label, index);
        printf("unparseable: %s at offset %zu\n", reason, offset);
        return;
    }
    json_label(l, label, index);
    lint_json_parse_error(&l->js, "error", code, err, offset);
    memset(&v, 0, sizeof(v));
    v.status = -1;
    v.detail = reason;
    if (data)
        (void)gosip_parse_error_verdict(data, len, err, &v);
    json_verdict(l, &v, "unparseable");
    lint_json_end_object(&l->js);
}

/* ---------------------------------------------------------------- linting */

static void lint_message(lint *l, const char *label, unsigned index, const char *data, size_t len,
                         size_t base)
{
    gosip_parse_opts po = {NULL, &l->limits, NULL, GOSIP_FRAMING_DATAGRAM};
    gosip_parse_error err = {0, 0, NULL, 0, GOSIP_HDR_OTHER};
    gosip_verdict v;
    gosip_msg *m = NULL;

    if (l->stream)
        po.framing = GOSIP_FRAMING_STREAM;
    int rc = gosip_msg_parse(&m, data, len, &po, &err);
    if (rc != 0 || !m) {
        report_unparseable(l, label, index, rc ? rc : GOSIP_ERR_INTERNAL, &err, base + err.offset,
                           data, len);
        return;
    }
    memset(&v, 0, sizeof(v));
    if (gosip_msg_validate(m, l->role, &l->vopts, &v) != 0) {
        io_error(l, label, "gosip_msg_validate failed");
        gosip_msg_unref(m);
        return;
    }
    if (v.status != 0)
        raise_status(l, EXIT_INVALID);
    if (l->json) {
        json_label(l, label, index);
        lint_json_message(&l->js, m);
        json_verdict(l, &v, verdict_result(&v));
        lint_json_end_object(&l->js);
    } else {
        print_label(label, index);
        print_verdict(&v);
    }
    gosip_msg_unref(m);
}

static int only_crlf(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

static void report_framing(lint *l, const char *label, unsigned index, int rc, size_t offset)
{
    gosip_parse_error err = {rc, 0, NULL, 0, GOSIP_HDR_OTHER};

    if (rc == 0) {
        err.code = GOSIP_ERR_INCOMPLETE;
        err.reason = "the input ends inside a message";
    } else if (rc == GOSIP_ERR_FRAMING) {
        err.reason = "no valid Content-Length, which stream framing requires";
    } else if (rc == 1) {
        err.code = GOSIP_ERR_INTERNAL;
        err.reason = "the framer reported a message outside the input";
    }
    report_unparseable(l, label, index, err.code, &err, offset, NULL, 0);
}

/* Splits a byte stream into messages as a connection would; a framing error ends it. */
static void lint_stream(lint *l, const char *label, const char *data, size_t len)
{
    size_t pos = 0;
    unsigned index = 0;

    while (pos < len && !only_crlf(data + pos, len - pos)) {
        /* Each search starts at a message boundary of a buffer the framer has not seen. */
        gosip_framer fr = {0};
        size_t skip = 0, msg_len = 0;
        int rc = gosip_framer_next(&fr, data + pos, len - pos, &l->limits, &skip, &msg_len);
        index++;
        if (rc != 1 || msg_len == 0 || skip > len - pos || msg_len > len - pos - skip) {
            report_framing(l, label, index, rc, pos);
            return;
        }
        lint_message(l, label, index, data + pos + skip, msg_len, pos + skip);
        pos += skip + msg_len;
    }
}

/* ---------------------------------------------------------------- input */

/*
 * Reads all of f into a new buffer (free it). Past cap bytes it stops, so a huge input is
 * never held whole, and returns EFBIG with the first cap + 1 bytes in *out.
 */
static int read_all(FILE *f, size_t cap, char **out, size_t *len)
{
    size_t size = 0, alloc = 0;
    char *buf = NULL;

    while (size <= cap) {
        if (size == alloc) {
            size_t next = alloc ? 2 * alloc : 16384;
            next = next < cap + 1 ? next : cap + 1;
            char *nb = realloc(buf, next);
            if (!nb) {
                free(buf);
                return ENOMEM;
            }
            buf = nb;
            alloc = next;
        }
        size_t got = fread(buf + size, 1, alloc - size, f);
        size += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;
        free(buf);
        return e;
    }
    *out = buf;
    *len = size;
    return size > cap ? EFBIG : 0;
}

static void report_too_large(lint *l, const char *label, size_t cap, const char *data, size_t len)
{
    char reason[96];
    gosip_parse_error err = {GOSIP_ERR_TOO_LARGE, 513, reason, 0, GOSIP_HDR_OTHER};

    snprintf(reason, sizeof(reason), "larger than the message size limit of %zu bytes", cap);
    err.offset = cap;
    report_unparseable(l, label, 0, GOSIP_ERR_TOO_LARGE, &err, cap, data, len);
}

static void lint_path(lint *l, const char *path)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *label = is_stdin ? "<stdin>" : path;
    size_t cap = l->stream ? STREAM_FILE_CAP : l->limits.max_msg_size;
    char *buf = NULL;
    size_t len = 0;

    errno = 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        io_error(l, label, strerror(errno));
        return;
    }
    int rc = read_all(f, cap, &buf, &len);
    if (!is_stdin)
        fclose(f);
    if (rc == EFBIG && !l->stream) {
        report_too_large(l, label, cap, buf, len);
    } else if (rc == EFBIG) {
        io_error(l, label, "larger than 64 MiB: split it into several files");
    } else if (rc != 0) {
        io_error(l, label, strerror(rc));
    } else if (l->stream) {
        lint_stream(l, label, buf, len);
    } else {
        lint_message(l, label, 0, buf, len, 0);
    }
    free(buf);
}

/* ---------------------------------------------------------------- options */

/* Splits a comma-separated list in place; empty items are skipped. */
static int split_list(lint_list *list, const char *arg)
{
    free(list->buf);
    list->n = 0;
    list->buf = malloc(strlen(arg) + 1);
    if (!list->buf)
        return -1;
    strcpy(list->buf, arg);
    for (char *p = list->buf; *p;) {
        char *item = p + strspn(p, " \t,");
        size_t n = strcspn(item, " \t,");
        p = item + n;
        if (*p)
            *p++ = '\0';
        if (n == 0)
            continue;
        if (list->n == MAX_LIST)
            return -1;
        list->items[list->n++] = item;
    }
    return 0;
}

/* Takes the value of "--name VALUE" or "--name=VALUE"; NULL when absent. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0' || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "gosip-lint: %s%s\nTry 'gosip-lint --help'.\n", what, arg ? arg : "");
    return EXIT_USAGE;
}

static int parse_list_option(lint *l, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    int is_supported = strncmp(a, "--supported", 11) == 0;
    lint_list *list = is_supported ? &l->supported : &l->accept;
    const char *v = option_value(argc, argv, i, is_supported ? "--supported" : "--accept");

    if (!v)
        return usage_error("missing or malformed value for ", a);
    if (split_list(list, v) != 0)
        return usage_error("list too long (or out of memory): ", v);
    return 0;
}

/* Parses options; returns -1 to go on, else an exit status. *first_file: the first operand. */
static int parse_options(lint *l, int argc, char **argv, int *first_file)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0)
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return EXIT_ALL_VALID;
        } else if (strcmp(a, "--json") == 0) {
            l->json = 1;
        } else if (strcmp(a, "--stream") == 0) {
            l->stream = 1;
        } else if (strcmp(a, "--proxy") == 0) {
            l->role = GOSIP_ROLE_PROXY;
        } else if (strcmp(a, "--registrar") == 0) {
            l->vopts.registrar = 1;
        } else if (strncmp(a, "--supported", 11) == 0 || strncmp(a, "--accept", 8) == 0) {
            if (parse_list_option(l, argc, argv, &i) != 0)
                return EXIT_USAGE;
        } else {
            return usage_error("unknown option ", a);
        }
    }
    *first_file = i;
    return -1;
}

int main(int argc, char **argv)
{
    lint l;
    int first = argc;

    memset(&l, 0, sizeof(l));
    l.role = GOSIP_ROLE_UAS;
    gosip_msg_limits_default(&l.limits);
    int rc = parse_options(&l, argc, argv, &first);
    if (rc < 0) {
        l.vopts.extensions = l.supported.items;
        l.vopts.n_extensions = l.supported.n;
        if (l.accept.n) {
            l.vopts.content_types = l.accept.items;
            l.vopts.n_content_types = l.accept.n;
        }
        lint_json_init(&l.js, stdout);
        if (l.json)
            lint_json_begin_array(&l.js, NULL);
        for (int i = first; i < argc; i++)
            lint_path(&l, argv[i]);
        if (first >= argc)
            lint_path(&l, "-");
        if (l.json)
            lint_json_end_array(&l.js);
        rc = l.exit_status;
    }
    free(l.supported.buf);
    free(l.accept.buf);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gosip-lint: error writing the output\n");
        rc = EXIT_USAGE;
    }
    return rc;
}
