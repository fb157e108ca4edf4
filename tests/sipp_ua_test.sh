#!/usr/bin/env bash
# SIPp (Debian sip-tester) against gosip-ua, the user agent on the GoSIP stack with
# automatic dialogs, on loopback over UDP and TCP:
#   (a) SIPp's built-in uac calls `gosip-ua --answer` CALLS times: none may fail
#   (b) `gosip-ua --call` calls SIPp's built-in uas CALLS times: none may fail
#   (c) scenarios (tests/sipp/ua_*.xml, txn_cancel_uac.xml):
#       - a re-INVITE inside the call, answered 200 with a Contact and the same SDP
#       - a caller that never ACKs: gosip-ua retransmits its 200, then ends with BYE
#       - a callee that sends its 200 twice: gosip-ua ACKs both
#       - a CANCEL after the 180 (gosip-ua --ring-ms 5000): 200 and 487
#   usage: sipp_ua_test.sh GOSIP_UA SCENARIO_DIR [CALLS]
# Exit 77 (skipped) when sipp is missing. Ports are ephemeral (gosip-ua) or random
# (SIPp's own), so that parallel test runs do not collide.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ua=${1:?usage: $0 GOSIP_UA SCENARIO_DIR [CALLS]}
scenario_dir=${2:?usage: $0 GOSIP_UA SCENARIO_DIR [CALLS]}
calls=${3:-1000}
rate=250
few=10

tl_need sipp "apt-get install sip-tester"

tl_init_work

fail() {
    echo "FAIL: $*" >&2
    tl_dump_tails 20 "$work"/*.out "$work"/*.err "$work"/*.log
    exit 1
}

mode_of() { [ "$1" = udp ] && echo u1 || echo t1; }
uri_suffix() { [ "$1" = udp ] && echo "" || echo ";transport=tcp"; }
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1"; }

# start_ua NAME ARGS...: gosip-ua with ephemeral UDP and TCP ports; sets NAME_udp/_tcp.
start_ua() {
    local name=$1; shift
    tl_start_agent "$name" "gosip-ua ($name)" \
        "$ua" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --duration 170 --stats "$@"
}

# stop_ua NAME: SIGTERM; gosip-ua must exit 0 with its stats line, kept in NAME_stats.
stop_ua() {
    local name=$1
    tl_stop_agent "$name" "gosip-ua ($name)"
    echo "  $name: $(eval echo "\$${name}_stats")"
}

expect() { # expect STATS KEY VALUE
    local got
    got=$(field "$1" "$2")
    [ "$got" = "$3" ] || fail "$2=$got, expected $3 in: $1"
}

# run_sipp TAG MODE TARGET SIPP_ARGS...: SIPp as a client; exits 0 only if every call passed.
run_sipp() {
    local tag=$1 mode=$2 target=$3; shift 3
    local log="$work/sipp_$tag.log" rc
    for _ in 1 2 3; do
        rc=0
        timeout 60 sipp "$target" -t "$mode" -i 127.0.0.1 -ci 127.0.0.1 -p "$(tl_rand_port)" \
            -mp "$(tl_rand_port)" -cp "$(tl_rand_port)" -timeout 50s -timeout_error -nostdin \
            -buff_size 4194304 -trace_err -error_file "$work/sipp_$tag.errors" \
            -trace_msg -message_file "$work/sipp_$tag.msg" "$@" >"$log" 2>&1 || rc=$?
        [ "$rc" -eq 0 ] && return 0
        grep -qi 'bind' "$log" || break
        echo "  (SIPp could not bind, retrying with other ports)"
    done
    tail -n 30 "$work/sipp_$tag.errors" >&2 2>/dev/null || true
    fail "sipp $tag ($*) exited with $rc"
}

# sipp_server TAG MODE SIPP_ARGS...: SIPp as a server in the background; sets srv_port, srv_pid.
sipp_server() {
    local tag=$1 mode=$2; shift 2
    for _ in 1 2 3; do
        srv_port=$(tl_rand_port)
        timeout 90 sipp -t "$mode" -i 127.0.0.1 -ci 127.0.0.1 -p "$srv_port" -mp "$(tl_rand_port)" \
            -cp "$(tl_rand_port)" -timeout 60s -timeout_error -nostdin -buff_size 4194304 \
            -trace_err -error_file "$work/sipp_$tag.errors" -trace_msg \
            -message_file "$work/sipp_$tag.msg" "$@" >"$work/sipp_$tag.log" 2>&1 &
        srv_pid=$!
        pids+=("$srv_pid")
        sleep 0.5
        kill -0 "$srv_pid" 2>/dev/null && return 0
        wait "$srv_pid" || true
        echo "  (SIPp could not start on port $srv_port, retrying)"
    done
    fail "SIPp server $tag did not start"
}

# call_sipp TAG MODE N UA_ARGS...: gosip-ua --call the SIPp server started before; both must pass.
call_sipp() {
    local tag=$1 t=$2 n=$3; shift 3
    local rc=0 out="$work/call_$tag.out"
    timeout 90 "$ua" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --user caller --stats \
        --call "sip:service@127.0.0.1:$srv_port$(uri_suffix "$t")" --calls "$n" "$@" \
        >"$out" 2>"$work/call_$tag.err" || rc=$?
    grep '^stats ' "$out" | sed 's/^/  /'
    [ "$rc" -eq 0 ] || fail "gosip-ua --call ($tag) exited with $rc"
    rc=0
    wait "$srv_pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "SIPp server ($tag) exited with $rc"
    call_stats=$(grep '^stats ' "$out")
    expect "$call_stats" established "$n"
    expect "$call_stats" failed 0
}

# ---------------------------------------------------------------- (a) and the UAC scenarios
start_ua ans --answer
for t in udp tcp; do
    port=$(eval echo "\$ans_$t")
    echo "== ($t) SIPp uac -> gosip-ua --answer :$port, $calls calls at $rate/s"
    run_sipp "uac_$t" "$(mode_of $t)" 127.0.0.1:"$port" -sn uac -r "$rate" -m "$calls" -l 2000
    echo "== ($t) re-INVITE inside the call, $few calls"
    run_sipp "reinvite_$t" "$(mode_of $t)" 127.0.0.1:"$port" -sf "$scenario_dir/ua_reinvite_uac.xml" \
        -m "$few" -r 50 -trace_logs -log_file "$work/reinvite_$t.logs"
    n=$(grep -c '^reinvite ' "$work/reinvite_$t.logs" || true)
    [ "$n" -eq "$few" ] || fail "($t) $n re-INVITE answers logged, expected $few"
    bad=$(sed -n 's/^reinvite //p' "$work/reinvite_$t.logs" | awk -F'|' '$1 != $2' | head -n 3)
    [ -z "$bad" ] || fail "($t) the re-INVITE's SDP answer differs from the INVITE's: $bad"
done
stop_ua ans
expect "$ans_stats" incoming $((2 * calls + 2 * few))
expect "$ans_stats" answered $((2 * calls + 2 * few))
expect "$ans_stats" byes_received $((2 * calls + 2 * few))

# ---------------------------------------------------------------- (c) a caller that never ACKs
start_ua noack --answer --t1-ms 50
for t in udp tcp; do
    port=$(eval echo "\$noack_$t")
    echo "== ($t) no ACK: 200 retransmitted, then BYE after 64*T1 (T1 50 ms), $few calls"
    run_sipp "noack_$t" "$(mode_of $t)" 127.0.0.1:"$port" -sf "$scenario_dir/ua_noack_uac.xml" \
        -m "$few" -r 50 -nr
    # the 2xx is retransmitted over TCP too (13.3.1.4: reliability is end to end); the
    # count includes SIPp's own 200 to each BYE
    n=$(grep -c '^SIP/2.0 200 OK' "$work/sipp_noack_$t.msg" || true)
    [ "$n" -ge $((4 * few)) ] || fail "($t) SIPp saw $n copies of the 200, expected >= $((4 * few))"
    echo "  SIPp saw $n messages 200 OK (copies of the INVITE's, and its own to each BYE)"
done
stop_ua noack
n=$(grep -c 'reason=no-ack role=callee' "$work/noack.out" || true)
[ "$n" -eq $((2 * few)) ] || fail "noack: $n dialogs ended no-ack, expected $((2 * few))"
expect "$noack_stats" byes_sent $((2 * few))

# ---------------------------------------------------------------- (c) CANCEL after the 180
start_ua ring --answer --ring-ms 5000
for t in udp tcp; do
    port=$(eval echo "\$ring_$t")
    echo "== ($t) CANCEL after the 180: 200 to the CANCEL, 487 to the INVITE, $few calls"
    run_sipp "cancel_$t" "$(mode_of $t)" 127.0.0.1:"$port" -sf "$scenario_dir/txn_cancel_uac.xml" \
        -m "$few" -r 50
done
stop_ua ring
expect "$ring_stats" incoming $((2 * few))
expect "$ring_stats" answered 0
n=$(grep -c 'reason=rejected role=callee' "$work/ring.out" || true)
[ "$n" -eq $((2 * few)) ] || fail "ring: $n early dialogs ended rejected, expected $((2 * few))"

# ---------------------------------------------------------------- (b) and the UAS scenario
for t in udp tcp; do
    echo "== ($t) gosip-ua --call -> SIPp uas, $calls calls at $rate/s"
    sipp_server "uas_$t" "$(mode_of $t)" -sn uas -m "$calls"
    call_sipp "uas_$t" "$t" "$calls" --rate "$rate" --hangup-after 0
    echo "== ($t) the callee sends its 200 twice: both ACKed, $few calls"
    sipp_server "double_$t" "$(mode_of $t)" -sf "$scenario_dir/ua_double200_uas.xml" -m "$few" -nr
    call_sipp "double_$t" "$t" "$few" --rate 50 --hangup-after 0.2
    n=$(grep -c '^ACK sip:' "$work/sipp_double_$t.msg" || true)
    [ "$n" -ge $((2 * few)) ] || fail "($t) SIPp received $n ACKs, expected $((2 * few))"
    echo "  SIPp received $n ACKs for $few calls"
done

echo "PASS: gosip-ua answered and placed $calls calls each way over UDP and TCP; re-INVITE,"
echo "      missing ACK, double 200 and CANCEL scenarios ($few calls each)"
