/*
 * Command-line and reporting helpers shared by gosip-responder, gosip-txn and gosip-ua.
 * Each program keeps its own usage text and option table; these helpers only hold the
 * parsing and printing that must behave the same in all of them.
 */
#ifndef GOSIP_APPS_CLI_H
#define GOSIP_APPS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <gosip/stack.h>
#include <gosip/uv.h>

/* Prints "PROG: MSG[: ARG]" and "try PROG --help" to stderr; returns -1 so that option
 * parsers can `return cli_usage_error(...)`. ARG may be NULL. */
int cli_usage_error(const char *prog, const char *msg, const char *arg);

/* Parses a decimal number in [lo, hi] into *out; 0 on success, -1 otherwise (NULL, sign,
 * spaces or trailing text included). */
int cli_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* Parses a decimal or floating number with lo <= value < 1e7 into *out; 0 or -1. The upper
 * bound keeps seconds and rates convertible to integer milliseconds. */
int cli_parse_number(const char *s, double lo, double *out);

/* Like cli_parse_number, but the value must be > 0 (durations, rates). */
int cli_parse_positive(const char *s, double *out);

/* Splits "127.0.0.1:5060" or "[::1]:5060" into a host without brackets (at most cap - 1
 * characters, not empty) and a port 0..65535; 0 or -1. */
int cli_parse_hostport(const char *s, char *host, size_t cap, unsigned *port);

/* A listening point asked for on the command line (--udp, --tcp). */
typedef struct cli_listen_spec {
    gosip_tp_kind kind;
    char host[64]; /* numeric, IPv6 without brackets */
    unsigned port;
} cli_listen_spec;

/* Appends the listening point ARG ("HOST:PORT") of KIND to lps[0..*n), which holds at most
 * cap; returns 1 (one argument used) or, after cli_usage_error, -1. */
int cli_add_listen(const char *prog, cli_listen_spec *lps, size_t *n, size_t cap,
                   gosip_tp_kind kind, const char *arg);

/* Opens the listening point ls on uv and prints "listening KIND ADDR" (kind in lower case,
 * the real port) to stdout; on failure prints "PROG: listening on ...: why" to stderr.
 * Returns the gosip_uv_listen result; *out is the point on success. */
int cli_listen(const char *prog, gosip_uv *uv, const cli_listen_spec *ls, gosip_lp **out);

/* CPU time this process used since *ru0 (getrusage), split into user and system
 * microseconds; the programs run their loop on one thread, so this is the loop's cost. */
void cli_cpu_since(const struct rusage *ru0, uint64_t *user_us, uint64_t *sys_us);

/* Prints a transport error event as "PROG: KIND PEER: REASON" to stderr (verbose mode). */
void cli_print_io_error(const char *prog, const gosip_io_error_event *ev);

#endif
