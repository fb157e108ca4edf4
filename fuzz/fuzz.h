/* Entry points of a libFuzzer target. Every fuzz/fuzz_X.c includes this header (the build
 * uses -Wmissing-prototypes) and defines LLVMFuzzerTestOneInput, optionally LLVMFuzzerInitialize.
 * The same source builds as the libFuzzer target fuzz_X (GOSIP_FUZZ=ON) and as the corpus replay
 * replay_X (replay_main.c) that CTest runs over the seed corpora in every normal test run. */
#ifndef GOSIP_FUZZ_H
#define GOSIP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** Called once per input; must return 0. data is exactly size bytes (no NUL after it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Optional: called once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif /* GOSIP_FUZZ_H */
