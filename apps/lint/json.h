/*
 * gosip-lint's JSON output: a small streaming writer (commas, indentation and string
 * escaping) and the dump of a parsed message's structure through it.
 */
#ifndef GOSIP_LINT_JSON_H
#define GOSIP_LINT_JSON_H

#include <stdio.h>

#include <gosip/msg.h>

/* Deep enough for nested multipart bodies at the parser's default depth limit. */
enum { LINT_JSON_MAX_DEPTH = 96 };

typedef struct lint_json {
    FILE *out;
    int depth;
    unsigned char has_items[LINT_JSON_MAX_DEPTH];
} lint_json;

void lint_json_init(lint_json *j, FILE *out);

/*
 * Each writer takes the member name when the current container is an object, and
 * NULL when it is an array (or at the top level).
 */
void lint_json_begin_object(lint_json *j, const char *key);
void lint_json_end_object(lint_json *j);
void lint_json_begin_array(lint_json *j, const char *key);
void lint_json_end_array(lint_json *j);
/* An absent string (p == NULL) is written as null. */
void lint_json_str(lint_json *j, const char *key, gosip_str s);
/* A NULL string is written as null. */
void lint_json_cstr(lint_json *j, const char *key, const char *s);
void lint_json_int(lint_json *j, const char *key, long long v);
void lint_json_bool(lint_json *j, const char *key, int v);
void lint_json_null(lint_json *j, const char *key);

/*
 * Writes the members describing m into the object being written: start line, every
 * header in order with its typed fields, the first defect and the body. m is not const
 * because a multipart body is parsed (and cached on m) on demand.
 */
void lint_json_message(lint_json *j, gosip_msg *m);

/* Writes an object describing a parse failure under `key`. */
void lint_json_parse_error(lint_json *j, const char *key, int code, const gosip_parse_error *e,
                           size_t offset);

#endif
