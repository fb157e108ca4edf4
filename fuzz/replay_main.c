/*
 * Corpus replay driver: a main() for a libFuzzer target built without libFuzzer.
 *
 *   replay_X FILE_OR_DIR...
 *
 * Calls LLVMFuzzerTestOneInput once per file named on the command line and once per regular file
 * found under each named directory (recursively, in sorted order). Each input is passed in a heap
 * buffer of exactly its size, so ASan catches any read past the end. Arguments starting with '-'
 * (libFuzzer flags) are ignored. Exits 0 when every input was read and replayed, 1 otherwise;
 * a bug in the target shows up as a crash or a sanitizer report after the "replay: <file>" line.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Only some fuzzers define it. */
#pragma weak LLVMFuzzerInitialize

enum { MAX_DEPTH = 32 };

struct replay {
    unsigned long inputs;
    unsigned long errors;
};

static void fail(struct replay *r, const char *path, const char *what)
{
    fprintf(stderr, "replay: %s: %s\n", path, what);
    r->errors++;
}

static void replay_file(struct replay *r, const char *path, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(r, path, strerror(errno));
        return;
    }
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        fail(r, path, "out of memory");
        return;
    }
    size_t got = fread(buf, 1, size, f);
    int short_read = got != size || ferror(f);
    fclose(f);
    if (short_read) {
        free(buf);
        fail(r, path, "short read");
        return;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
    fflush(stderr);
    (void)LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    r->inputs++;
}

static void replay_path(struct replay *r, const char *path, int depth);

static void replay_dir(struct replay *r, const char *path, int depth)
{
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fail(r, path, strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            size_t len = strlen(path) + 1 + strlen(name) + 1;
            char *child = malloc(len);
            if (child) {
                snprintf(child, len, "%s/%s", path, name);
                replay_path(r, child, depth + 1);
                free(child);
            } else {
                fail(r, path, "out of memory");
            }
        }
        free(names[i]);
    }
    free(names);
}

static void replay_path(struct replay *r, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fail(r, path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        if (depth >= MAX_DEPTH)
            fail(r, path, "directories nested too deep");
        else
            replay_dir(r, path, depth);
    } else if (S_ISREG(st.st_mode)) {
        replay_file(r, path, (size_t)st.st_size);
    }
}

int main(int argc, char **argv)
{
    struct replay r = {0, 0};

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-')
            replay_path(&r, argv[i], 0);
    }
    if (r.inputs == 0 && r.errors == 0) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...  (no inputs found)\n", argv[0]);
        return 1;
    }
    fprintf(stderr, "replay: %lu inputs replayed, %lu errors\n", r.inputs, r.errors);
    return r.errors ? 1 : 0;
}
