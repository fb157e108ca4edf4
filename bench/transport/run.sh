#!/usr/bin/env bash
# Transport benchmark (`make bench-transport`): SIPp sends OPTIONS on loopback at rising
# rates to
#   (a) gosip-responder over UDP,
#   (b) gosip-responder over TCP (one SIPp connection) while conn_holder keeps 10, 1,000
#       and 10,000 other TCP connections open and idle,
#   (c) udp_echo, a plain-socket UDP answerer (the floor: no SIP work at all),
# and prints, per rate, the answered messages per second, the runs with failed calls and
# the server's CPU time per message (its own getrusage, read through SIGUSR1), as medians
# of REPEAT runs, then the ratios to the floor.
#
#   usage: bench/transport/run.sh [BUILD_DIR]        (default: build)
#   env:   RATES="5000 10000 20000 40000 80000"  STEP_SECONDS=5  REPEAT=3  CONNS="10 1000 10000"
# Needs sipp (Debian sip-tester) and a C compiler. Loopback only; every run is bounded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
RATES=${RATES:-"5000 10000 20000 40000 80000"}
STEP_SECONDS=${STEP_SECONDS:-5}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-"10 1000 10000"}
responder="$build/gosip-responder"
scenario="$here/options.xml"
SIPP_COMMON=(-i 127.0.0.1 -ci 127.0.0.1 -buff_size 4194304 -nostdin -timeout_error)

command -v sipp >/dev/null || { echo "bench-transport: sipp not found (apt-get install sip-tester)" >&2; exit 1; }
[ -x "$responder" ] || { echo "bench-transport: $responder not built" >&2; exit 1; }

work=$(mktemp -d)
pids=()
sipp_pid=""
cleanup() {
    local p
    [ -n "$sipp_pid" ] && kill "$sipp_pid" 2>/dev/null || true
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The helpers are plain C without GoSIP: built here rather than by CMake's bench rules
# (which link every bench with libgosip, oSIP and Sofia).
for h in udp_echo conn_holder; do
    ${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -o "$work/$h" "$here/$h.c"
done

results="$work/results.txt" # setup rate rep achieved_per_s failed cpu_us_per_msg
: >"$results"

# ---------------------------------------------------------------- servers

# start_server NAME CMD... : runs CMD with stdout in $work/NAME.out and waits for its
# `listening` lines; sets server_pid.
start_server() {
    local name=$1; shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 100); do
        grep -q '^listening ' "$work/$name.out" && sleep 0.1 && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench-transport: $name did not start" >&2
    cat "$work/$name.err" >&2
    exit 1
}

port_of() { sed -n "s/^listening $2 127\.0\.0\.1:\([0-9]*\)$/\1/p" "$work/$1.out"; }

# snapshot NAME PID : asks the server for its counters (SIGUSR1); prints "requests cpu_us".
snapshot() {
    local name=$1 pid=$2 before line
    before=$(grep -c '^stats ' "$work/$name.out" || true)
    kill -USR1 "$pid"
    for _ in $(seq 100); do
        [ "$(grep -c '^stats ' "$work/$name.out" || true)" -gt "$before" ] && break
        sleep 0.02
    done
    line=$(grep '^stats ' "$work/$name.out" | tail -n 1)
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
           printf "%s %s\n", v["requests"], v["cpu_user_us"] + v["cpu_sys_us"] }' <<<"$line"
}

# ---------------------------------------------------------------- one measurement

# step SETUP NAME PID MODE PORT RATE REP : one SIPp run of STEP_SECONDS at RATE calls/s.
step() {
    local setup=$1 name=$2 pid=$3 mode=$4 port=$5 rate=$6 rep=$7
    local calls=$((rate * STEP_SECONDS)) log="$work/sipp.log" rc=0 s0 s1 t0 t1
    s0=$(snapshot "$name" "$pid")
    t0=$(date +%s.%N)
    # In the background and waited for, so that a signal to this script stops it at once.
    sipp 127.0.0.1:"$port" -sf "$scenario" -t "$mode" "${SIPP_COMMON[@]}" \
        -m "$calls" -r "$rate" -timeout $((STEP_SECONDS * 3 + 10))s >"$log" 2>&1 &
    sipp_pid=$!
    wait "$sipp_pid" || rc=$?
    sipp_pid=""
    t1=$(date +%s.%N)
    s1=$(snapshot "$name" "$pid")
    local ok failed
    ok=$(awk '/Successful call/ { v = $NF } END { print v + 0 }' "$log")
    failed=$(awk '/Failed call/ { v = $NF } END { print v + 0 }' "$log")
    # A SIPp error (rc != 0) with no failed call counted is still a failed run.
    [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=$((calls - ok))
    awk -v setup="$setup" -v rate="$rate" -v rep="$rep" -v ok="$ok" -v failed="$failed" \
        -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" 'BEGIN {
            split(s0, a, " "); split(s1, b, " "); n = b[1] - a[1]
            printf "%s %d %d %.0f %d %.3f\n", setup, rate, rep, ok / (t1 - t0), failed,
                   (n > 0 ? (b[2] - a[2]) / n : 0) }' >>"$results"
    tail -n 1 "$results" | awk '{ printf "  %-18s rate %6d run %d: %8.0f answered/s, %d failed, %.2f us CPU/msg\n", $1, $2, $3, $4, $5, $6 }'
}

# A run is clean when no call failed and at least 80% of the offered rate was answered
# (below that SIPp or the server could not keep up; on a shared machine a single run can
# dip, hence the median of REPEAT runs decides).
CLEAN_SHARE=0.8

# ladder SETUP NAME PID MODE PORT : rising rates; stops after the first rate where most
# runs were not clean (higher rates would only fail for longer).
ladder() {
    local setup=$1 name=$2 pid=$3 mode=$4 port=$5 rate rep bad
    echo "== $setup"
    for rate in $RATES; do
        bad=0
        for rep in $(seq "$REPEAT"); do
            step "$setup" "$name" "$pid" "$mode" "$port" "$rate" "$rep"
            tail -n 1 "$results" | awk -v r="$rate" -v c="$CLEAN_SHARE" \
                '{ exit !($5 > 0 || $4 < c * r) }' && bad=$((bad + 1))
        done
        [ $((2 * bad)) -gt "$REPEAT" ] && break
    done
    return 0
}

# ---------------------------------------------------------------- the runs

echo "bench-transport: $(nproc) CPUs, rates $RATES, ${STEP_SECONDS}s per run, $REPEAT runs each"

start_server echo "$work/udp_echo" 127.0.0.1 0
echo_pid=$server_pid
ladder udp-echo echo "$echo_pid" u1 "$(port_of echo udp)"
kill "$echo_pid"

# --duration bounds the responder whatever happens to this script.
start_server gosip "$responder" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --max-conns 12000 \
    --max-conns-per-source 12000 --duration 3600
gosip_pid=$server_pid
ladder gosip-udp gosip "$gosip_pid" u1 "$(port_of gosip udp)"

tcp_port=$(port_of gosip tcp)
for n in $CONNS; do
    "$work/conn_holder" 127.0.0.1 "$tcp_port" "$n" 3600 >"$work/holder.out" 2>"$work/holder.err" &
    holder=$!
    pids+=("$holder")
    for _ in $(seq 600); do
        grep -q '^connected' "$work/holder.out" && break
        sleep 0.1
    done
    sleep 1 # let the responder accept the last ones
    kill -USR1 "$holder"; sleep 0.5
    echo "conn_holder: $(grep '^connected' "$work/holder.out"), $(tail -n 1 "$work/holder.out")"
    ladder "gosip-tcp-$n" gosip "$gosip_pid" t1 "$tcp_port"
    kill -USR1 "$holder"; sleep 0.5
    echo "conn_holder after the runs: $(tail -n 1 "$work/holder.out")"
    kill "$holder"; wait "$holder" 2>/dev/null || true
    sleep 1
done
kill "$gosip_pid"; wait "$gosip_pid" 2>/dev/null || true
echo "gosip-responder: $(grep '^stats ' "$work/gosip.out" | tail -n 1)"

# ---------------------------------------------------------------- the table
echo
echo "Medians over $REPEAT runs per rate. 'unclean runs': runs with a failed call or under"
echo "$(awk -v c="$CLEAN_SHARE" 'BEGIN { print c * 100 }')% of the offered rate answered; a rate is clean when most of its runs are."
echo "CPU is the server process's own (user + system), per request it received."
awk -v clean_share="$CLEAN_SHARE" '
function median(list,   n, arr, i, j, t) {
    n = split(list, arr, " ")
    for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
    key = $1 SUBSEP $2
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    ach[key] = ach[key] " " $4; cpu[key] = cpu[key] " " $6
    runs[key]++
    if ($5 > 0 || $4 < clean_share * $2) badruns[key]++
}
END {
    printf "%-18s %8s %14s %13s %13s %14s\n", "setup", "offered", "answered/s", "unclean runs", "CPU us/msg", "CPU vs echo"
    for (k = 1; k <= nk; k++) {
        split(order[k], p, SUBSEP)
        c = median(cpu[order[k]]); a = median(ach[order[k]])
        med_cpu[order[k]] = c; med_ach[order[k]] = a
        floor = ((("udp-echo" SUBSEP p[2]) in seen) ? median(cpu["udp-echo" SUBSEP p[2]]) : 0)
        printf "%-18s %8d %14.0f %13s %13.2f %14s\n", p[1], p[2], a, (badruns[order[k]] + 0) "/" runs[order[k]], c,
               (floor > 0 ? sprintf("x%.1f", c / floor) : "-")
        if (2 * badruns[order[k]] <= runs[order[k]] && !(p[1] in stopped)) { best[p[1]] = p[2]; best_ach[p[1]] = a; best_cpu[p[1]] = c }
        else stopped[p[1]] = 1
        if (!(p[1] in sseen)) { sseen[p[1]] = 1; setups[++ns] = p[1] }
    }
    print ""
    printf "%-18s %22s %14s %13s %18s\n", "setup", "highest clean rate/s", "answered/s", "CPU us/msg", "msgs/s vs echo"
    for (s = 1; s <= ns; s++) {
        n = setups[s]
        if (!(n in best)) { printf "%-18s %22s\n", n, "none"; continue }
        printf "%-18s %22d %14.0f %13.2f %18s\n", n, best[n], best_ach[n], best_cpu[n],
               (("udp-echo" in best) ? sprintf("%.2f", best_ach[n] / best_ach["udp-echo"]) : "-")
    }
    printf "\nCPU-bound capacity of one core (1e6 / CPU us per msg at the highest clean rate):\n"
    for (s = 1; s <= ns; s++) {
        n = setups[s]
        if (n in best && best_cpu[n] > 0) printf "  %-18s %10.0f msgs/s\n", n, 1e6 / best_cpu[n]
    }
}' "$results"
