#!/usr/bin/env bash
# Call load (`make bench-ua`): SIPp places calls (INVITE, 200, ACK, pause, BYE) over UDP on
# loopback at rising rates, and at each rate calls three answering servers one after the
# other, each started fresh so that its figures are its own:
#   gosip   `gosip-ua --answer` (180 then 200; the BYE comes from SIPp)
#   sipp    SIPp's own built-in `-sn uas`, the yardstick for "the cheapest possible UAS"
#   kamailio the shared Kamailio config (record-routing, transaction-stateful proxy) relaying
#           to a SIPp uas; only Kamailio's CPU is counted
# gosip and sipp are called with SIPp's built-in `-sn uac`. Through Kamailio the built-in
# scenarios cannot work (the uac ignores Record-Route, the uas drops it), so that run uses
# uac_rr.xml / uas_rr.xml here: the built-in ones plus the route set, nothing else.
#
# CPU is utime + stime from /proc/PID/stat of the server under test (Kamailio: the main
# process and all its children), sampled just before SIPp starts and after the server's
# own drain time: gosip-ua keeps server transactions 64*T1 = 32 s after the 2xx (Timer L)
# and the BYE (Timer J), Kamailio 5 s (tm wait timer), SIPp's uas 4 s (timewait). Their
# ending costs CPU too, so it is counted. Divided by the calls SIPp placed.
#
# Then the memory of gosip-ua per established dialog: MEM_CALLS concurrent calls held
# MEM_HOLD_MS, its VmRSS idle before and with every call established; read twice, once
# while the INVITE server transactions still live (Timer L) and once after they ended.
#
#   usage: bench/ua/run.sh [BUILD_DIR]        (default: build)
#   env:   RATES="100 200 400 800 1200 1600"  STEP_SECONDS=10  CALL_MS=1000  ROUNDS=1
#          SERVERS="gosip sipp kamailio"  MEM=1  MEM_CALLS=10000  MEM_RATE=1000
#          GOSIP_DRAIN=34  SIPP_DRAIN=5  KAM_DRAIN=7  KEEP=0 (1: keep the work directory)
#          UA_ARGS="extra gosip-ua options"  KAM_CFG=/work/shared/peers/kamailio.cfg
#          KAM_SHM_MB=256
# Needs sipp (Debian sip-tester) and, for the proxy run, kamailio. Loopback only; every
# process runs under `timeout` and is stopped by its PID.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
RATES=${RATES:-"100 200 400 800 1200 1600"}
# Each rate runs ROUNDS times, the servers taking turns within a round: on a shared
# machine one run can be off by a fifth, so with ROUNDS > 1 medians and the median
# gosip/sipp ratio of the rounds are printed too.
ROUNDS=${ROUNDS:-1}
STEP_SECONDS=${STEP_SECONDS:-10}
CALL_MS=${CALL_MS:-1000}
SERVERS=${SERVERS:-"gosip sipp kamailio"}
GOSIP_DRAIN=${GOSIP_DRAIN:-34}
SIPP_DRAIN=${SIPP_DRAIN:-5}
KAM_DRAIN=${KAM_DRAIN:-7}
MEM=${MEM:-1}
MEM_CALLS=${MEM_CALLS:-10000}
MEM_RATE=${MEM_RATE:-1000}
MEM_HOLD_MS=${MEM_HOLD_MS:-60000}
UA_ARGS=${UA_ARGS:-}
KAM_CFG=${KAM_CFG:-/work/shared/peers/kamailio.cfg}
# Kamailio's shared memory: with 256 MB it runs out (500 "No error (2/SL)") from about
# 2,400 calls/s with this config; larger values are a tuning of Kamailio, not of GoSIP.
KAM_SHM_MB=${KAM_SHM_MB:-256}
KEEP=${KEEP:-0}
ua="$build/gosip-ua"
SIPP_COMMON=(-i 127.0.0.1 -ci 127.0.0.1 -buff_size 4194304 -nostdin)
# Long enough for any SIPp run of one step (calls placed over STEP_SECONDS, then held).
SIPP_LIMIT=$((STEP_SECONDS * 3 + CALL_MS / 1000 + 30))
TICK_US=$((1000000 / $(getconf CLK_TCK)))

command -v sipp >/dev/null || { echo "bench-ua: sipp not found (apt-get install sip-tester)" >&2; exit 1; }
[ -x "$ua" ] || { echo "bench-ua: $ua not built" >&2; exit 1; }
case " $SERVERS " in *" kamailio "*)
    command -v kamailio >/dev/null || { echo "bench-ua: kamailio not found (apt-get install kamailio), or set SERVERS" >&2; exit 1; }
    [ -r "$KAM_CFG" ] || { echo "bench-ua: $KAM_CFG not readable" >&2; exit 1; } ;;
esac

work=$(mktemp -d /tmp/bench-ua.XXXXXX)
# PIDs of the `timeout` wrappers: killing one forwards the signal to what it runs.
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "$KEEP" = 1 ] || [ -s "$work/failures" ]; then
        echo "bench-ua: logs kept in $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

results="$work/results.txt" # rate server calls ok failed retrans cpu_us_per_call udp_inerrors own_cpu round
: >"$results"

udp_inerrors() { awk '/^Udp:/ { if (h) { print $4; exit } h = 1 }' /proc/net/snmp; }

# A UDP and TCP port nobody listens on; random, so that runs of other tests on the same
# machine (fixed 5060/5070 among them) are not hit.
free_port() {
    local p used
    used=$(ss -Htuan | awk '{ n = split($5, a, ":"); print a[n] }' | sort -u)
    while :; do
        p=$((20000 + RANDOM % 40000))
        grep -qx "$p" <<<"$used" || { echo "$p"; return; }
    done
}

# The PID of what `timeout` (PID $1) runs: timeout forks it, so it is the only child.
child_of() {
    local c
    for _ in $(seq 50); do
        c=$(ps -o pid= --ppid "$1" | head -n 1 | tr -d ' ')
        [ -n "$c" ] && { echo "$c"; return; }
        sleep 0.1
    done
    echo "bench-ua: no child of PID $1" >&2
    return 1
}

# CPU clock ticks (user + system) of the given PIDs; comm may hold spaces, so fields are
# counted after its closing parenthesis (utime and stime are fields 14 and 15).
ticks() {
    local p t=0 v
    for p in "$@"; do
        v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
        t=$((t + ${v:-0}))
    done
    echo "$t"
}

# Kamailio forks its workers from the main process: all of them together are its cost.
kam_pids() { echo "$1" "$(ps -o pid= --ppid "$1")"; }

forget() { # PID: no longer to be stopped at exit
    local q rest=()
    for q in "${pids[@]}"; do [ "$q" != "$1" ] && rest+=("$q"); done
    pids=("${rest[@]+"${rest[@]}"}")
    return 0
}

stop() { # timeout-PID: SIGTERM (timeout forwards it), wait
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget "$1"
}

wait_for_line() { # file pattern PID: up to 10 s for the line while the process lives
    for _ in $(seq 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Sets srv_t (timeout PID), srv_pid, port, and for Kamailio kam_port.
start_gosip() {
    # shellcheck disable=SC2086 # UA_ARGS is a list of options
    timeout $((SIPP_LIMIT + GOSIP_DRAIN + 60)) "$ua" --answer --udp 127.0.0.1:0 --stats \
        --duration $((SIPP_LIMIT + GOSIP_DRAIN + 30)) $UA_ARGS >"$work/ua.out" 2>"$work/ua.err" &
    srv_t=$!
    pids+=("$srv_t")
    srv_pid=$(child_of "$srv_t")
    if ! wait_for_line "$work/ua.out" '^listening udp ' "$srv_pid"; then
        echo "bench-ua: gosip-ua did not start" >&2
        cat "$work/ua.err" >&2
        exit 1
    fi
    port=$(sed -n 's/^listening udp 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/ua.out")
}

# A SIPp uas on $port; its stats go to $1.csv (once a second, read after the run).
start_sipp_uas() { # name scenario-options...
    local name=$1
    shift
    port=$(free_port)
    (cd "$work" && exec timeout $((SIPP_LIMIT + 60)) sipp "$@" -p "$port" "${SIPP_COMMON[@]}" \
        -timeout $((SIPP_LIMIT + 30))s -trace_stat -stf "$work/$name.csv" -fd 1 \
        -trace_err -error_file "$work/$name.err" >"$work/$name.log" 2>&1) &
    uas_t=$!
    pids+=("$uas_t")
    uas_pid=$(child_of "$uas_t")
    for _ in $(seq 50); do
        ss -Hlun "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    echo "bench-ua: SIPp uas did not start" >&2
    cat "$work/$name.log" >&2
    exit 1
}

# The shared config on a free port with its own control socket (other tests use 5070),
# logging warnings only (debug=1: at 2 it writes a line per BYE, which would be most of
# what is measured), and with the memory settings its README gives for measuring speed.
start_kamailio() {
    kam_port=$(free_port)
    mkdir -p "$work/kam"
    sed -e "s/127\.0\.0\.1:5070/127.0.0.1:$kam_port/g" \
        -e "s#unix:/tmp/kamailio-run/kamailio_ctl#unix:$work/kam/kamailio_ctl#" \
        -e 's/^debug=2$/debug=1/' -e '/^children=/a shm_force_alloc=yes' \
        "$KAM_CFG" >"$work/kam/kamailio.cfg"
    timeout $((SIPP_LIMIT + KAM_DRAIN + 60)) kamailio -f "$work/kam/kamailio.cfg" -DD -E -n 1 \
        -m "$KAM_SHM_MB" -M 16 -x tlsf -X tlsf -Y "$work/kam" -P "$work/kam/kamailio.pid" \
        >"$work/kam/out" 2>"$work/kam/err" &
    kam_t=$!
    pids+=("$kam_t")
    kam_pid=$(child_of "$kam_t")
    for _ in $(seq 100); do
        ss -Hlun "sport = :$kam_port" | grep -q . && return 0
        kill -0 "$kam_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench-ua: kamailio did not start" >&2
    tail -20 "$work/kam/err" >&2
    exit 1
}

# SIPp counters worth a look when calls fail: the nonzero cumulative failure columns of
# its last statistics line, as name=value.
sipp_failures() { # csv
    [ -s "$1" ] || return 0
    awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i; next } { last = $0 }
        END { n = split(last, v, ";")
              for (i = 1; i <= n; i++)
                  if (h[i] ~ /^(Failed|OutOfCall|DeadCall|Watchdog|FatalErrors).*\(C\)$/ && v[i] + 0 > 0)
                      { s = h[i]; sub(/\(C\)$/, "", s); printf "%s%s=%s", sep, s, v[i]; sep = " " } }' "$1"
}

# One SIPp uac run of a step against $1:$2 (Kamailio: $3 is the proxy); sets ok, failed,
# retrans.
run_uac() { # host:port name [proxy-port]
    local target=$1 name=$2 proxy=${3:-} rc=0 scen=(-sn uac) extra=()
    if [ -n "$proxy" ]; then
        scen=(-sf "$here/uac_rr.xml")
        extra=(-rsa "127.0.0.1:$proxy")
    fi
    (cd "$work" && exec timeout $((SIPP_LIMIT + 30)) sipp "$target" "${scen[@]}" "${extra[@]}" \
        -p "$(free_port)" "${SIPP_COMMON[@]}" -timeout_error -m "$calls" -r "$rate" -d "$CALL_MS" \
        -timeout "${SIPP_LIMIT}s" -trace_stat -stf "$work/$name.csv" -fd 1 \
        -trace_err -error_file "$work/$name.err" >"$work/$name.log" 2>&1) &
    local t=$!
    pids+=("$t")
    wait "$t" || rc=$?
    forget "$t"
    ok=$(awk '/Successful call/ { v = $NF } END { print v + 0 }' "$work/$name.log")
    failed=$(awk '/Failed call/ { v = $NF } END { print v + 0 }' "$work/$name.log")
    retrans=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "Retransmissions(C)") c = i; next }
        { v = $c } END { print v + 0 }' "$work/$name.csv" 2>/dev/null || echo 0)
    # A SIPp error (rc != 0) with no failed call counted is still a failed run.
    [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=$((calls - ok))
    return 0
}

# Records a failed step: SIPp's counters and the first error lines, kept with the logs.
note_failures() { # server name [uas-name]
    local f
    {
        echo "== rate $rate $1: $failed failed, $retrans retransmissions"
        echo "uac: $(sipp_failures "$work/$2.csv")"
        [ -n "${3:-}" ] && echo "uas: $(sipp_failures "$work/$3.csv")"
        for f in "$work/$2.err" ${3:+"$work/$3.err"}; do
            [ -s "$f" ] && { echo "-- $(basename "$f") (first lines)"; head -n 12 "$f"; }
        done
    } >>"$work/failures"
    for f in "$2.log" "$2.csv" "$2.err" ${3:+"$3.log" "$3.csv" "$3.err"}; do
        [ -e "$work/$f" ] && mv "$work/$f" "$work/r${rate}-$f"
    done
    return 0
}

record() { # server cpu-ticks e0 e1 own-cpu
    echo "$rate $1 $calls $ok $failed $retrans $(awk -v t="$2" -v us="$TICK_US" -v n="$calls" \
        'BEGIN { printf "%.1f", t * us / n }') $(($4 - $3)) $5 $round" >>"$results"
    tail -n 1 "$results" | awk '{ printf "  rate %5d %-8s: %6d ok, %5d failed, %5d retrans, %7.1f us CPU/call, %d UDP InErrors%s\n",
        $1, $2, $4, $5, $6, $7, $8, ($9 != "-" ? ", own stats " $9 " us/call" : "") }'
}

step_gosip() {
    local c0 c1 e0 e1 own
    start_gosip
    e0=$(udp_inerrors)
    c0=$(ticks "$srv_pid")
    run_uac "127.0.0.1:$port" uac
    e1=$(udp_inerrors)
    sleep "$GOSIP_DRAIN"
    c1=$(ticks "$srv_pid")
    stop "$srv_t"
    own=$(awk '/^stats / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "cpu_us_per_call") v = kv[2] } }
        END { print v == "" ? "-" : v }' "$work/ua.out")
    record gosip $((c1 - c0)) "$e0" "$e1" "$own"
    grep -h '^stats \|^stack ' "$work/ua.out" | sed 's/^/      /' || true
    if [ "$failed" -ne 0 ]; then
        note_failures gosip uac
        cp "$work/ua.out" "$work/r${rate}-ua.out"
        cp "$work/ua.err" "$work/r${rate}-ua.err"
    fi
    return 0
}

step_sipp() {
    local c0 c1 e0 e1
    start_sipp_uas uas -sn uas
    e0=$(udp_inerrors)
    c0=$(ticks "$uas_pid")
    run_uac "127.0.0.1:$port" uac
    e1=$(udp_inerrors)
    sleep "$SIPP_DRAIN"
    c1=$(ticks "$uas_pid")
    stop "$uas_t"
    record sipp $((c1 - c0)) "$e0" "$e1" -
    if [ "$failed" -ne 0 ]; then note_failures sipp uac uas; fi
}

step_kamailio() {
    local c0 c1 e0 e1
    start_kamailio
    start_sipp_uas uas -sf "$here/uas_rr.xml"
    e0=$(udp_inerrors)
    # shellcheck disable=SC2046 # a list of PIDs
    c0=$(ticks $(kam_pids "$kam_pid"))
    run_uac "127.0.0.1:$port" uac "$kam_port"
    e1=$(udp_inerrors)
    sleep "$KAM_DRAIN"
    # shellcheck disable=SC2046
    c1=$(ticks $(kam_pids "$kam_pid"))
    stop "$uas_t"
    stop "$kam_t"
    record kamailio $((c1 - c0)) "$e0" "$e1" -
    if [ "$failed" -ne 0 ]; then note_failures kamailio uac uas; fi
}

# Median CPU per call of each server at each rate over the rounds, and the median of the
# gosip/sipp ratios of the rounds (each round's pair ran back to back).
medians() { # results-file
    awk '
    function median(list,   v, n, i, j, t) {
        n = split(list, v, " ")
        for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    { k = $1 " " $2; cpu[k] = cpu[k] " " $7; if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
      at[$1 " " $2 " " $10] = $7 }
    END {
        printf "median over the rounds (CPU us/call):\n"
        for (i = 1; i <= nk; i++) { split(keys[i], f, " "); printf "%7d %-9s %8.1f\n", f[1], f[2], median(cpu[keys[i]]) }
        for (k in at) { split(k, f, " ")
            if (f[2] == "gosip" && ((f[1] " sipp " f[3]) in at) && at[f[1] " sipp " f[3]] > 0) {
                r = at[k] / at[f[1] " sipp " f[3]]; ratios = ratios " " r; nr++
                byrate[f[1]] = byrate[f[1]] " " r } }
        if (nr) {
            for (rt in byrate) printf "gosip/sipp CPU ratio at %d/s: median %.2f\n", rt, median(byrate[rt])
            printf "gosip/sipp CPU ratio, all %d paired runs: median %.2f\n", nr, median(ratios) }
    }' "$1"
}

vm_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# gosip-ua's RSS with MEM_CALLS calls established at once. SIPp places them at MEM_RATE and
# holds each MEM_HOLD_MS, so all are up at the same time from MEM_CALLS/MEM_RATE s on.
memory() {
    local setup=$(((MEM_CALLS + MEM_RATE - 1) / MEM_RATE)) idle rss1 rss2 cur t rc=0 fails
    # The second reading waits past Timer L (64*T1 = 32 s) of the last INVITE: it must
    # come before the first call's BYE.
    if [ $((MEM_HOLD_MS / 1000)) -lt $((setup + 40)) ]; then
        MEM_HOLD_MS=$(((setup + 40) * 1000))
    fi
    local limit=$((MEM_HOLD_MS / 1000 + 60))
    # shellcheck disable=SC2086 # UA_ARGS is a list of options
    timeout $((limit + 30)) "$ua" --answer --udp 127.0.0.1:0 --stats --duration "$limit" $UA_ARGS \
        >"$work/mem-ua.out" 2>"$work/mem-ua.err" &
    srv_t=$!
    pids+=("$srv_t")
    srv_pid=$(child_of "$srv_t")
    wait_for_line "$work/mem-ua.out" '^listening udp ' "$srv_pid" || { echo "bench-ua: gosip-ua did not start" >&2; exit 1; }
    port=$(sed -n 's/^listening udp 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/mem-ua.out")
    sleep 1
    idle=$(vm_rss_kb "$srv_pid")
    (cd "$work" && exec timeout "$limit" sipp "127.0.0.1:$port" -sn uac -p "$(free_port)" \
        "${SIPP_COMMON[@]}" -m "$MEM_CALLS" -l "$MEM_CALLS" -r "$MEM_RATE" -d "$MEM_HOLD_MS" \
        -timeout "$((limit - 5))s" -trace_stat -stf "$work/mem.csv" -fd 1 \
        -trace_err -error_file "$work/mem.err" >"$work/mem.log" 2>&1) &
    t=$!
    pids+=("$t")
    sleep $((setup + 3))
    cur=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "CurrentCall") c = i; next } { v = $c } END { print v + 0 }' "$work/mem.csv")
    rss1=$(vm_rss_kb "$srv_pid")
    sleep 34
    rss2=$(vm_rss_kb "$srv_pid")
    fails=$(sipp_failures "$work/mem.csv")
    stop "$t"
    stop "$srv_t"
    echo "memory: $MEM_CALLS calls at $MEM_RATE/s held ${MEM_HOLD_MS} ms; SIPp current calls at the first reading: $cur${fails:+; SIPp failures: $fails}"
    grep -h '^stats \|^stack ' "$work/mem-ua.out" | sed 's/^/      /' || true
    awk -v idle="$idle" -v r1="$rss1" -v r2="$rss2" -v n="$MEM_CALLS" -v peak="$(sed -n 's/^stats .*dialogs_peak=\([0-9]*\).*/\1/p' "$work/mem-ua.out")" 'BEGIN {
        printf "  VmRSS idle %d kB; at %d established calls %d kB (INVITE transactions still in Timer L), %d kB 34 s later (dialogs only)\n", idle, n, r1, r2
        printf "  per dialog: %.0f bytes with its transactions, %.0f bytes after Timer L (glibc may keep freed memory: an upper bound)\n", (r1 - idle) * 1024 / n, (r2 - idle) * 1024 / n
        if (peak != "") printf "  gosip-ua dialogs_peak=%d (%s)\n", peak, (peak >= n ? "reached" : "NOT reached") }'
    if [ -n "$fails" ] || [ "${cur:-0}" -lt "$MEM_CALLS" ]; then
        echo "== memory run: current calls $cur, $fails" >>"$work/failures"
    fi
    return 0
}

echo "bench-ua: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); rates $RATES, ${STEP_SECONDS}s each, calls of ${CALL_MS} ms; servers: $SERVERS; rounds: $ROUNDS"
for rate in $RATES; do
    calls=$((rate * STEP_SECONDS))
    for round in $(seq "$ROUNDS"); do
        for s in $SERVERS; do
            "step_$s"
        done
    done
done

echo
echo "CPU: utime + stime of the server under test from /proc (Kamailio: all its processes),"
echo "from SIPp's start to the end of the server's drain, divided by the calls placed;"
echo "'own' is gosip-ua's getrusage over its whole life. Shared machine: one line per run."
awk '
BEGIN { printf "%7s %-9s %7s %7s %7s %8s %12s %13s\n", "rate/s", "server", "calls", "ok", "failed", "retrans", "CPU us/call", "UDP InErrors" }
{ printf "%7d %-9s %7d %7d %7d %8d %12.1f %13d\n", $1, $2, $3, $4, $5, $6, $7, $8
  if (!($2 in order)) { order[$2] = ++n; name[n] = $2 }
  if ($5 == 0 && $4 == $3 && !stopped[$2]) best[$2] = $1; else stopped[$2] = 1 }
END { print ""
      for (i = 1; i <= n; i++)
          if (best[name[i]]) printf "%-9s highest rate with every call successful (and all lower ones too): %d/s\n", name[i], best[name[i]]
          else printf "%-9s no rate ran without a failed call\n", name[i] }' "$results"

if [ "$ROUNDS" -gt 1 ]; then
    echo
    medians "$results"
fi

if [ "$MEM" = 1 ]; then
    echo
    memory
fi

if [ -s "$work/failures" ]; then
    echo
    echo "failures (SIPp's nonzero counters, first -trace_err lines; logs in $work):"
    cat "$work/failures"
fi
