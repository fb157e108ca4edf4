# shellcheck shell=bash
# Setup shared by the interoperability tests (SIPp, Kamailio, baresip), sourced by each
# after `set -euo pipefail`. The scripts keep their own fail(), which the helpers below
# call when an agent dies at startup or a value is wrong.

# tl_need TOOL HINT: exit 77 (ctest's skip) when TOOL is not on PATH.
tl_need() {
    if ! command -v "$1" >/dev/null; then
        echo "SKIP: $1 not installed ($2)"
        exit 77
    fi
}

# tl_skip MESSAGE: exit 77 (ctest's skip), e.g. when a peer's recipe is missing.
tl_skip() {
    echo "SKIP: $*"
    exit 77
}

# tl_init_work: a private temp dir in $work and the list $pids, both cleaned up on exit.
tl_init_work() {
    work=$(mktemp -d)
    pids=()
    trap tl_cleanup EXIT
    trap 'exit 1' INT TERM
}

# tl_cleanup: kills and reaps every process in $pids, then removes $work.
tl_cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}

# tl_dump_tails LINES FILE...: the last LINES lines of each non-empty FILE, to stderr.
tl_dump_tails() {
    local n=$1 f
    shift
    for f in "$@"; do
        [ -s "$f" ] && { echo "--- $f" >&2; tail -n "$n" "$f" >&2; }
    done
    return 0
}

# tl_rand_port: a random port in 20000..59999, so that parallel runs seldom collide.
tl_rand_port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }

# tl_wait_listening FILE N PID WHAT: up to 10 s for N `listening` lines in FILE; fail()s
# when PID exits first. A timeout falls through: the caller then finds no port.
tl_wait_listening() {
    local file=$1 want=$2 pid=$3 what=$4 n
    for _ in $(seq 100); do
        n=$(grep -c '^listening ' "$file" 2>/dev/null || true)
        [ "${n:-0}" -ge "$want" ] && break
        kill -0 "$pid" 2>/dev/null || fail "$what exited at startup"
        sleep 0.1
    done
}

# tl_listen_port FILE KIND: the port of the `listening KIND 127.0.0.1:PORT` line in FILE.
tl_listen_port() { sed -n "s/^listening $2 127\.0\.0\.1:\([0-9]*\)\$/\1/p" "$1"; }

# tl_start_agent NAME WHAT CMD...: CMD in the background (output in $work/NAME.out and
# .err) until it listens on UDP and TCP; sets NAME_pid, NAME_udp and NAME_tcp.
tl_start_agent() {
    local name=$1 what=$2
    shift 2
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    eval "${name}_pid=$!"
    tl_wait_listening "$work/$name.out" 2 "$!" "$what"
    eval "${name}_udp=$(tl_listen_port "$work/$name.out" udp)"
    eval "${name}_tcp=$(tl_listen_port "$work/$name.out" tcp)"
}

# tl_stop_agent NAME WHAT: SIGTERM; the agent must exit 0 with a stats line, kept in
# NAME_stats.
tl_stop_agent() {
    local name=$1 what=$2 pid rc=0
    pid=$(eval echo "\$${name}_pid")
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "$what exited with $rc after SIGTERM"
    eval "${name}_stats=\"$(grep '^stats ' "$work/$name.out" | tail -n 1)\""
}

# tl_wait_line FILE REGEX PID SECONDS: until FILE has a line matching REGEX; fails when the
# process PID exits first or time runs out.
tl_wait_line() {
    local file=$1 re=$2 pid=$3 secs=$4 i
    for ((i = 0; i < secs * 10; i++)); do
        grep -Eq "$re" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { grep -Eq "$re" "$file" 2>/dev/null && return 0; return 1; }
        sleep 0.1
    done
    return 1
}

# tl_field LINE KEY: the first KEY=VALUE's value in LINE (up to the next space).
tl_field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1; }

# tl_stats_of FILE: the last `stats ...` line of FILE.
tl_stats_of() { grep '^stats ' "$1" | tail -n 1; }

# tl_expect_stat STATS NAME VALUE WHO: fail()s unless NAME=VALUE in STATS.
tl_expect_stat() {
    [ "$(tl_field "$1" "$2")" = "$3" ] || fail "$4: $2=$(tl_field "$1" "$2"), expected $3 ($1)"
}
