#!/usr/bin/env bash
# SIPp (Debian sip-tester) against gosip-txn, the stateful UAS and UAC on the GoSIP stack,
# on loopback over UDP and TCP:
#   (a) OPTIONS, REGISTER, MESSAGE answered 200 (tests/sipp/txn_methods_uac.xml)
#   (b) INVITE answered 180 then 486, ACKed by SIPp (txn_invite_uac.xml)
#   (c) CANCEL of a ringing INVITE: 200 to the CANCEL, 487 to the INVITE (txn_cancel_uac.xml)
#   (d) retransmitted OPTIONS and INVITE answered again with the same response, and
#       counted as absorbed in the server's stats line (txn_retrans_uac.xml)
#   (e) gosip-txn send against SIPp as UAS that answers late (UDP): GoSIP retransmits
#       OPTIONS and INVITE, and ACKs the INVITE's 200 (txn_late_*_uas.xml)
#   usage: sipp_txn_test.sh GOSIP_TXN SCENARIO_DIR [CALLS]
# Exit 77 (skipped) when sipp is missing. Ports are ephemeral (gosip-txn) or random
# (SIPp's own), so that parallel test runs do not collide.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

txn=${1:?usage: $0 GOSIP_TXN SCENARIO_DIR [CALLS]}
scenario_dir=${2:?usage: $0 GOSIP_TXN SCENARIO_DIR [CALLS]}
calls=${3:-20}

tl_need sipp "apt-get install sip-tester"

tl_init_work

fail() {
    echo "FAIL: $*" >&2
    tl_dump_tails 30 "$work"/*.out "$work"/*.err
    exit 1
}

# Random ports (tl_rand_port) for what SIPp binds besides its SIP socket (media, control),
# and for its SIP socket as a UAS; a run that could not bind is retried with others.

# start_serve NAME ARGS...: a server with ephemeral UDP and TCP ports; sets NAME_udp/_tcp.
start_serve() {
    local name=$1; shift
    tl_start_agent "$name" "gosip-txn serve ($name)" \
        "$txn" serve --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --duration 120 --stats -v "$@"
}

# stop_serve NAME: SIGTERM; the server must exit 0 with its stats line, kept in NAME_stats.
stop_serve() {
    local name=$1
    tl_stop_agent "$name" "gosip-txn serve ($name)"
    echo "$name: $(eval echo "\$${name}_stats")"
}
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1"; }

# run_sipp TAG SCENARIO MODE [sipp args...]: SIPp exits 0 only if every call passed.
run_sipp() {
    local tag=$1 scen=$2 mode=$3; shift 3
    local log="$work/sipp_$tag.log" rc attempt
    for attempt in 1 2 3; do
        rc=0
        timeout 60 sipp -sf "$scenario_dir/$scen.xml" -t "$mode" -i 127.0.0.1 -ci 127.0.0.1 \
            -mp "$(tl_rand_port)" -cp "$(tl_rand_port)" -timeout 30s -timeout_error -nostdin \
            -buff_size 4194304 -trace_err -error_file "$work/sipp_$tag.errors" \
            -trace_msg -message_file "$work/sipp_$tag.msg" "$@" >"$log" 2>&1 || rc=$?
        [ "$rc" -eq 0 ] && return 0
        grep -qi 'bind' "$log" || break
        echo "  (SIPp could not bind, retrying with other ports)"
    done
    tail -n 30 "$log" >&2
    tail -n 30 "$work/sipp_$tag.errors" >&2 2>/dev/null || true
    fail "sipp $tag ($scen -t $mode) exited with $rc"
}

# ---------------------------------------------------------------- (a), (b), (d): immediate answers
start_serve busy --ring
for t in udp tcp; do
    port=$(eval echo "\$busy_$t")
    mode=$([ "$t" = udp ] && echo u1 || echo t1)
    echo "== ($t) OPTIONS, REGISTER, MESSAGE; INVITE 180/486; retransmissions -> :$port"
    run_sipp "methods_$t" txn_methods_uac "$mode" 127.0.0.1:"$port" -m "$calls" -r 50
    run_sipp "invite_$t" txn_invite_uac "$mode" 127.0.0.1:"$port" -m "$calls" -r 50
    # -nr: SIPp would take the identical answer to its copy for a retransmission of the
    # first answer (and send the copy again) instead of matching it to the next <recv>
    run_sipp "retrans_$t" txn_retrans_uac "$mode" 127.0.0.1:"$port" -m "$calls" -r 50 -nr
    # Each call's two INVITEs got one To tag, and over UDP its two OPTIONS another. Over
    # TCP a non-INVITE server transaction ends with its final response (Timer J is 0 on
    # reliable transports, RFC 3261 17.2.2), so there the copy is a new request.
    want=$((calls * $([ "$t" = udp ] && echo 2 || echo 3)))
    tags=$(grep -E '^(To|t):.*tag=' "$work/sipp_retrans_$t.msg" | grep -o 'tag=[^;>[:space:]]*' |
        sort -u | wc -l)
    [ "$tags" -eq "$want" ] || fail "($t) retransmissions got $tags distinct To tags, expected $want"
done
stop_serve busy
# per call: 3 (methods) + 1 (INVITE) + 2 (retransmission scenario) over UDP, one more
# over TCP (the OPTIONS copy); absorbed: the copies (2 over UDP, 1 over TCP) at least
[ "$(field "$busy_stats" transactions)" -eq $((13 * calls)) ] ||
    fail "busy: transactions=$(field "$busy_stats" transactions), expected $((13 * calls))"
[ "$(field "$busy_stats" absorbed)" -ge $((3 * calls)) ] ||
    fail "busy: absorbed=$(field "$busy_stats" absorbed), expected >= $((3 * calls))"
[ "$(field "$busy_stats" failed)" -eq 0 ] || fail "busy: failed=$(field "$busy_stats" failed)"

# ---------------------------------------------------------------- (c): CANCEL of a ringing INVITE
start_serve slow --ring --answer-delay-ms 5000
for t in udp tcp; do
    port=$(eval echo "\$slow_$t")
    mode=$([ "$t" = udp ] && echo u1 || echo t1)
    echo "== ($t) INVITE 180, CANCEL 200, INVITE 487 -> :$port"
    run_sipp "cancel_$t" txn_cancel_uac "$mode" 127.0.0.1:"$port" -m "$calls" -r 50
done
stop_serve slow
[ "$(field "$slow_stats" cancels)" -eq $((2 * calls)) ] ||
    fail "slow: cancels=$(field "$slow_stats" cancels), expected $((2 * calls))"

# ---------------------------------------------------------------- (e): GoSIP as client, SIPp late
# uas_run TAG SCENARIO METHOD: SIPp answers one request late; gosip-txn send must exit 0.
uas_run() {
    local tag=$1 scen=$2 method=$3 attempt port rc
    for attempt in 1 2 3; do
        port=$(tl_rand_port)
        timeout 60 sipp -sf "$scenario_dir/$scen.xml" -t u1 -i 127.0.0.1 -ci 127.0.0.1 \
            -p "$port" -mp "$(tl_rand_port)" -cp "$(tl_rand_port)" -m 1 -timeout 30s -timeout_error \
            -nostdin -trace_err -error_file "$work/sipp_$tag.errors" -trace_msg \
            -message_file "$work/sipp_$tag.msg" >"$work/sipp_$tag.log" 2>&1 &
        local spid=$!
        pids+=("$spid")
        sleep 0.5
        kill -0 "$spid" 2>/dev/null && break
        wait "$spid" || true
        echo "  (SIPp could not start on port $port, retrying)"
    done
    echo "== (udp) gosip-txn send $method -> SIPp UAS :$port (first copy unanswered)"
    rc=0
    timeout 40 "$txn" send --to "sip:service@127.0.0.1:$port" --method "$method" --count 1 \
        --duration 35 -v >"$work/send_$tag.out" 2>"$work/send_$tag.err" || rc=$?
    cat "$work/send_$tag.out"
    [ "$rc" -eq 0 ] || fail "gosip-txn send $method exited with $rc"
    rc=0
    wait "$spid" || rc=$?
    [ "$rc" -eq 0 ] || { tail -n 30 "$work/sipp_$tag.log" >&2; fail "SIPp UAS $tag exited with $rc"; }
    local copies
    copies=$(grep -c "^$method sip:" "$work/sipp_$tag.msg" || true)
    [ "$copies" -ge 2 ] || fail "SIPp saw $copies $method, expected a retransmission (>= 2)"
    echo "  SIPp received $copies copies of the $method"
}
uas_run late_options txn_late_options_uas OPTIONS
uas_run late_invite txn_late_invite_uas INVITE
grep -q 'acks=1' "$work/send_late_invite.out" || fail "gosip-txn did not ACK the 2xx once"

echo "PASS: OPTIONS/REGISTER/MESSAGE, INVITE 180/486, CANCEL/487 and retransmission"
echo "      scenarios over UDP and TCP ($calls calls each); GoSIP retransmits as a client"
