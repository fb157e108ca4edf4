#!/usr/bin/env bash
# Transaction-layer load (`make bench-txn-load`): SIPp sends non-INVITE requests (MESSAGE,
# bench/txn/message.xml) over UDP on loopback at rising rates to `gosip-txn serve`, which
# answers each on a server transaction (stateful: retransmissions absorbed, Timer J kept).
#
# Each rate gets a fresh server, so that its figures are its own: SIPp runs STEP_SECONDS,
# then the server is left DRAIN_SECONDS for Timer J (64*T1 = 32 s) to end its transactions
# (their end costs CPU too), then stopped with SIGTERM; it prints its getrusage CPU time per
# transaction. Printed per rate: SIPp's successful and failed calls, the server's
# transactions and 503s (transaction limit), CPU us per transaction, UDP receive errors of
# the kernel; then the highest rate with no failed call.
#
#   usage: bench/txn/run.sh [BUILD_DIR]        (default: build)
#   env:   RATES="1000 2000 4000 8000 12000 16000"  STEP_SECONDS=10  DRAIN_SECONDS=34
#          SCENARIO=bench/txn/message.xml  SERVER_ARGS="extra gosip-txn serve options"
# Needs sipp (Debian sip-tester). Loopback only; every run is bounded in time.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
RATES=${RATES:-"1000 2000 4000 8000 12000 16000"}
STEP_SECONDS=${STEP_SECONDS:-10}
DRAIN_SECONDS=${DRAIN_SECONDS:-34}
SCENARIO=${SCENARIO:-"$here/message.xml"}
SERVER_ARGS=${SERVER_ARGS:-}
server="$build/gosip-txn"
SIPP_COMMON=(-i 127.0.0.1 -ci 127.0.0.1 -buff_size 4194304 -nostdin -timeout_error)

command -v sipp >/dev/null || { echo "bench-txn-load: sipp not found (apt-get install sip-tester)" >&2; exit 1; }
[ -x "$server" ] || { echo "bench-txn-load: $server not built" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
sipp_pid=""
cleanup() {
    [ -n "$sipp_pid" ] && kill "$sipp_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

results="$work/results.txt" # rate calls ok failed txns rejected cpu_us_per_txn udp_inerrors
: >"$results"

udp_inerrors() { awk '/^Udp:/ { if (h) { print $4; exit } h = 1 }' /proc/net/snmp; }

# Starts the server (bounded by --duration whatever happens to this script); sets
# server_pid and port.
start_server() {
    # shellcheck disable=SC2086 # SERVER_ARGS is a list of options
    "$server" serve --udp 127.0.0.1:0 --stats --duration $((STEP_SECONDS * 3 + DRAIN_SECONDS + 60)) \
        $SERVER_ARGS >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q '^listening udp ' "$work/server.out" && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    port=$(sed -n 's/^listening udp 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/server.out")
    if [ -z "$port" ]; then
        echo "bench-txn-load: the server did not start" >&2
        cat "$work/server.err" >&2
        exit 1
    fi
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# One rate: prints its line and appends it to $results.
step() {
    local rate=$1 calls=$(($1 * STEP_SECONDS)) log="$work/sipp.log" rc=0 e0 e1
    start_server
    e0=$(udp_inerrors)
    # In the background and waited for, so that a signal to this script stops it at once.
    sipp 127.0.0.1:"$port" -sf "$SCENARIO" -t u1 "${SIPP_COMMON[@]}" \
        -m "$calls" -r "$rate" -timeout $((STEP_SECONDS * 3 + 10))s >"$log" 2>&1 &
    sipp_pid=$!
    wait "$sipp_pid" || rc=$?
    sipp_pid=""
    e1=$(udp_inerrors)
    sleep "$DRAIN_SECONDS"
    stop_server
    local ok failed
    ok=$(awk '/Successful call/ { v = $NF } END { print v + 0 }' "$log")
    failed=$(awk '/Failed call/ { v = $NF } END { print v + 0 }' "$log")
    # A SIPp error (rc != 0) with no failed call counted is still a failed run.
    [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=$((calls - ok))
    awk -v rate="$rate" -v calls="$calls" -v ok="$ok" -v failed="$failed" -v err=$((e1 - e0)) '
        /^stats / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        /^stack / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        END { printf "%d %d %d %d %d %d %.2f %d\n", rate, calls, ok, failed, v["transactions"],
              v["rejected_limit"], v["cpu_us_per_txn"], err }' "$work/server.out" >>"$results"
    tail -n 1 "$results" | awk '{ printf "  rate %6d: %7d ok, %6d failed, %7d txns, %6d 503s, %6.2f us CPU/txn, %d UDP InErrors\n", $1, $3, $4, $5, $6, $7, $8 }'
}

echo "bench-txn-load: $(nproc) CPUs, rates $RATES, ${STEP_SECONDS}s each + ${DRAIN_SECONDS}s for Timer J, scenario $(basename "$SCENARIO")"
for rate in $RATES; do
    step "$rate"
done

echo
echo "CPU is the server's own (getrusage user + system, from start to SIGTERM, Timer J"
echo "included) divided by the transactions it created. The machine is shared: single runs."
awk '
BEGIN { printf "%8s %9s %9s %8s %9s %7s %11s %13s\n", "rate/s", "calls", "ok", "failed", "txns", "503s", "CPU us/txn", "UDP InErrors" }
{ printf "%8d %9d %9d %8d %9d %7d %11.2f %13d\n", $1, $2, $3, $4, $5, $6, $7, $8
  if ($4 == 0 && $3 == $2 && !stopped) best = $1; else stopped = 1 }
END { if (best) printf "\nhighest rate with every call successful (and all lower ones too): %d/s\n", best
      else print "\nno rate ran without a failed call" }' "$results"
