#!/usr/bin/env bash
# gosip-ua through Kamailio (registrar + record-routing, transaction-stateful proxy) on
# loopback, over UDP and then TCP:
#   - the callee registers sip:bob@127.0.0.1 at Kamailio (event=registered status=200);
#   - the caller calls that address of record with Kamailio as outbound proxy, hangs up
#     after a second; both sides see the call established and ended by BYE, with clean
#     exits and stats;
#   - Kamailio's own log shows the caller's ACK and BYE arriving at it and loose-routed,
#     which is what proves the route set learnt from Record-Route was honoured (a UA
#     that ignored it would send them straight to the callee's Contact).
#   usage: kamailio_ua_test.sh GOSIP_UA PEERS_DIR
# PEERS_DIR holds kamailio.cfg (the shared recipe for 127.0.0.1:5070); it is copied with
# a random port and a private runtime directory so parallel runs do not collide.
# Exit 77 (skipped) when kamailio or the recipe is missing.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ua=${1:?usage: $0 GOSIP_UA PEERS_DIR}
peers=${2:?usage: $0 GOSIP_UA PEERS_DIR}

tl_need kamailio "apt-get install kamailio"
[ -r "$peers/kamailio.cfg" ] || tl_skip "no Kamailio recipe at $peers/kamailio.cfg"

tl_init_work

fail() {
    echo "FAIL: $*" >&2
    tl_dump_tails 40 "$work"/*.out "$work"/*.err "$work"/kamailio.log
    exit 1
}

# probe PORT: one OPTIONS to Kamailio itself over TCP; prints its status line. Bash's
# /dev/tcp keeps the probe free of extra tools; the read is bounded.
probe() {
    local port=$1 line=""
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf '%s\r\n' "OPTIONS sip:127.0.0.1:$port SIP/2.0" \
        "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-probe$RANDOM$RANDOM" \
        "Max-Forwards: 70" "From: <sip:probe@127.0.0.1>;tag=p$RANDOM" \
        "To: <sip:127.0.0.1:$port>" "Call-ID: probe-$RANDOM$RANDOM@127.0.0.1" \
        "CSeq: 1 OPTIONS" "Content-Length: 0" "" >&3
    IFS= read -r -t 5 line <&3 || true
    exec 3<&- 3>&-
    echo "${line%$'\r'}"
}

# start_kamailio: sets kport, kpid. A random port may be taken: retried with another.
start_kamailio() {
    local status
    mkdir -p "$work/kam"
    for _ in 1 2 3 4 5; do
        kport=$(tl_rand_port)
        # The recipe looks up only requests for itself (uri==myself, which needs its
        # port). The address of record sip:bob@127.0.0.1 has none (5060 implied), so the
        # copy looks up that host and port too instead of relaying to 127.0.0.1:5060. An
        # alias would not do: Kamailio 5.6 matched no port-5060 alias here, and one
        # without port would claim the agents' Contacts, so loose_route() would treat
        # in-dialog requests to them as strict-routed.
        sed -e "s/5070/$kport/g" -e "s#/tmp/kamailio-run#$work/kam#g" \
            -e 's/^\tif (uri==myself) {$/\tif (uri==myself || ($rd=="127.0.0.1" \&\& $rp==5060)) {/' \
            "$peers/kamailio.cfg" >"$work/kamailio.cfg"
        grep -qF '$rd=="127.0.0.1" && $rp==5060' "$work/kamailio.cfg" ||
            fail "kamailio.cfg recipe changed: no 'if (uri==myself) {' before its lookup"
        # WITH_DEBUG: one "REQ <method> <ruri> from <addr>" line per request it receives
        timeout 200 kamailio -f "$work/kamailio.cfg" -DD -E -n 1 -m 64 -M 8 -Y "$work/kam" \
            -P "$work/kam/kamailio.pid" -A WITH_DEBUG >"$work/kamailio.log" 2>&1 &
        kpid=$!
        pids+=("$kpid")
        for _ in $(seq 50); do
            kill -0 "$kpid" 2>/dev/null || break
            status=$(probe "$kport" 2>/dev/null || true)
            if [ "$status" = "SIP/2.0 200 Keepalive" ]; then
                echo "Kamailio on 127.0.0.1:$kport (UDP, TCP) answers OPTIONS: $status"
                return 0
            fi
            sleep 0.2
        done
        kill "$kpid" 2>/dev/null || true
        wait "$kpid" 2>/dev/null || true
        grep -qi 'address already in use\|bind' "$work/kamailio.log" ||
            fail "Kamailio did not come up on 127.0.0.1:$kport"
        echo "  (port $kport taken, retrying)"
    done
    fail "Kamailio could not bind a port"
}


# run_case TRANSPORT CALLEE CALLER
run_case() {
    local t=$1 callee=$2 caller=$3 lp suffix aor rc call_id reason
    lp=(--"$t" 127.0.0.1:0)
    suffix=$([ "$t" = tcp ] && echo ";transport=tcp" || true)
    aor="sip:$callee@127.0.0.1"
    echo "== ($t) $callee registers $aor at Kamailio :$kport; $caller calls it through Kamailio"

    # --foreground: our SIGTERM then reaches gosip-ua once; timeout would also send it
    # to its process group, and a second one during the shutdown kills the program (143)
    timeout --foreground 60 "$ua" "${lp[@]}" --user "$callee" --answer \
        --register "sip:127.0.0.1:$kport$suffix" --aor "$aor" --expires 60 --duration 45 \
        --stats -v >"$work/${callee}.out" 2>"$work/${callee}.err" &
    local cpid=$!
    pids+=("$cpid")
    tl_wait_line "$work/$callee.out" '^event=registered' "$cpid" 10 ||
        fail "($t) $callee: no event=registered"
    grep -Eq '^event=registered status=200( |$)' "$work/$callee.out" ||
        fail "($t) $callee: $(grep -m1 '^event=registered' "$work/$callee.out")"
    echo "  $callee: $(grep -m1 '^event=registered' "$work/$callee.out")"

    rc=0
    timeout 30 "$ua" "${lp[@]}" --user "$caller" --call "$aor" \
        --outbound-proxy "sip:127.0.0.1:$kport$suffix;lr" --calls 1 --hangup-after 1 \
        --stats -v >"$work/$caller.out" 2>"$work/$caller.err" || rc=$?
    [ "$rc" -eq 0 ] || fail "($t) caller $caller exited with $rc"
    call_id=$(sed -n 's/^event=established .*call-id=\([^ ]*\).*/\1/p' "$work/$caller.out" | head -n 1)
    [ -n "$call_id" ] || fail "($t) caller: no event=established"
    reason=$(sed -n "s/^event=terminated .*call-id=$call_id .*reason=\([^ ]*\).*/\1/p" \
        "$work/$caller.out" | head -n 1)
    [ "$reason" = bye ] || fail "($t) caller: call $call_id terminated with reason '$reason'"
    local cs
    cs=$(tl_stats_of "$work/$caller.out")
    tl_expect_stat "$cs" calls 1 "($t) caller"
    tl_expect_stat "$cs" established 1 "($t) caller"
    tl_expect_stat "$cs" failed 0 "($t) caller"
    tl_expect_stat "$cs" byes_sent 1 "($t) caller"
    echo "  $caller: $cs"

    # the callee learns of the BYE by receiving it: wait for its end, then stop it
    tl_wait_line "$work/$callee.out" "^event=terminated .*call-id=$call_id " "$cpid" 10 ||
        fail "($t) callee: call $call_id never terminated"
    # the ACK came through Kamailio (route set) and confirmed the callee's dialog
    grep -Eq "^event=incoming .*call-id=$call_id( |$)" "$work/$callee.out" ||
        fail "($t) callee: no event=incoming for $call_id"
    grep -Eq "^event=established call-id=$call_id role=callee$" "$work/$callee.out" ||
        fail "($t) callee: no event=established for $call_id"
    reason=$(sed -n "s/^event=terminated .*call-id=$call_id .*reason=\([^ ]*\).*/\1/p" \
        "$work/$callee.out" | head -n 1)
    [ "$reason" = bye ] || fail "($t) callee: call $call_id terminated with reason '$reason'"
    kill -TERM "$cpid"
    rc=0
    wait "$cpid" || rc=$?
    [ "$rc" -eq 0 ] || fail "($t) callee $callee exited with $rc after SIGTERM"
    cs=$(tl_stats_of "$work/$callee.out")
    tl_expect_stat "$cs" incoming 1 "($t) callee"
    tl_expect_stat "$cs" answered 1 "($t) callee"
    tl_expect_stat "$cs" byes_received 1 "($t) callee"
    echo "  $callee: $cs"

    # Kamailio's log prefix carries the Call-ID: the ACK and BYE of this call must have
    # reached it, and "BYE for" is printed only after loose_route() matched its own
    # Record-Route in the BYE's Route header.
    local klog="$work/kamailio.log"
    grep -F "$call_id}" "$klog" | grep -q 'REQ INVITE ' || fail "($t) INVITE not seen by Kamailio"
    grep -F "$call_id}" "$klog" | grep -q 'REQ ACK ' ||
        fail "($t) the ACK of $call_id bypassed Kamailio (route set ignored)"
    grep -F "$call_id}" "$klog" | grep -q 'REQ BYE ' ||
        fail "($t) the BYE of $call_id bypassed Kamailio (route set ignored)"
    grep -qF "BYE for $call_id" "$klog" ||
        fail "($t) Kamailio did not loose-route the BYE of $call_id (no Route to it)"
    echo "  Kamailio relayed: $(grep -F "$call_id}" "$klog" | sed -n 's/.*REQ \([A-Z]*\) .*/\1/p' |
        tr '\n' ' ')"
}

start_kamailio
run_case udp bob alice
run_case tcp tbob talice
if grep -q 'malformed SIP message' "$work/kamailio.log"; then
    fail "Kamailio's sanity checks rejected a message: $(grep -m1 'malformed' "$work/kamailio.log")"
fi
kill -TERM "$kpid"
wait "$kpid" 2>/dev/null || true

echo "PASS: register at Kamailio, call by address of record through it, BYE along the"
echo "      route set; over UDP and TCP"
