#!/usr/bin/env bash
# Runs every libFuzzer target of a GOSIP_FUZZ build for SECONDS seconds each.
#   scripts/fuzz.sh BUILD_DIR [SECONDS]
# Each fuzzer starts from a fresh temporary corpus holding copies of the seed directories
# (BUILD_DIR/fuzz/seed_dirs.txt; the fuzzers are listed in BUILD_DIR/fuzz/fuzzers.txt, both by CMake) plus fuzz/corpus/fuzz_X/ if present, so the
# source tree stays clean; fuzz/fuzz_X.dict (else fuzz/sip.dict) is the dictionary. Crash, leak and
# timeout inputs go to BUILD_DIR/fuzz-artifacts/. Exits 1 if any fuzzer failed.
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR [SECONDS]}
seconds=${2:-20}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "$build" && pwd)

seeds=()
if [[ -f "$build/fuzz/seed_dirs.txt" ]]; then
    while IFS= read -r d; do
        [[ -n "$d" && -d "$d" ]] && seeds+=("$d")
    done <"$build/fuzz/seed_dirs.txt"
fi

fuzzers=()
if [[ -f "$build/fuzz/fuzzers.txt" ]]; then
    while IFS= read -r f; do
        [[ -n "$f" ]] && fuzzers+=("$f")
    done <"$build/fuzz/fuzzers.txt"
fi
if ((${#fuzzers[@]} == 0)); then
    echo "fuzz: no fuzz targets in $build (no fuzz/fuzz_*.c yet, or not a GOSIP_FUZZ build)"
    exit 0
fi

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
corpus=""
trap '[[ -n "$corpus" ]] && rm -rf "$corpus"' EXIT

failed=()
for f in "${fuzzers[@]}"; do
    name=$(basename "$f")
    corpus=$(mktemp -d "${TMPDIR:-/tmp}/gosip-fuzz-$name.XXXXXX")
    i=0
    for d in "${seeds[@]}" "$root/fuzz/corpus/$name"; do
        if [[ -d "$d" ]]; then
            cp -R "$d" "$corpus/seed$i"
            i=$((i + 1))
        fi
    done
    args=(-max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048
          -artifact_prefix="$artifacts/$name-" -print_final_stats=1)
    if [[ -f "$root/fuzz/$name.dict" ]]; then
        args+=(-dict="$root/fuzz/$name.dict")
    elif [[ -f "$root/fuzz/sip.dict" ]]; then
        args+=(-dict="$root/fuzz/sip.dict")
    fi
    echo "== $name: ${seconds}s from $(find "$corpus" -type f | wc -l) seed files"
    if ! "$f" "${args[@]}" "$corpus"; then
        failed+=("$name")
        echo "== $name FAILED: reproducer in $artifacts/ (run: $f <file>)" >&2
    fi
    rm -rf "$corpus"
    corpus=""
done

echo "fuzz: ${#fuzzers[@]} fuzzers, ${#failed[@]} failed${failed:+: ${failed[*]}}"
((${#failed[@]} == 0))
