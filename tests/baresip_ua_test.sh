#!/usr/bin/env bash
# gosip-ua against baresip (an independent SIP user agent) on loopback:
#   (a) baresip calls `gosip-ua --answer`; the call is established on both sides, then
#       baresip hangs up: GoSIP receives the BYE and both sides see the call end;
#   (b) `gosip-ua --call` calls baresip (auto-answer) over UDP and then over TCP, hangs
#       up after a second: GoSIP sends the BYE, both sides see the call end, and gosip-ua
#       exits 0.
#   usage: baresip_ua_test.sh GOSIP_UA PEERS_DIR
# PEERS_DIR/baresip is the shared baresip recipe (config dir for 127.0.0.1:5080); it is
# copied with random ports. No sound card is needed: the recipe's audio is ausine and
# aubridge. baresip is driven through its ctrl_tcp JSON socket, whose events (CALL_*)
# are what the test checks on its side.
# Exit 77 (skipped) when baresip or the recipe is missing.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ua=${1:?usage: $0 GOSIP_UA PEERS_DIR}
peers=${2:?usage: $0 GOSIP_UA PEERS_DIR}

tl_need baresip "apt-get install baresip"
if [ ! -r "$peers/baresip/config" ] || [ ! -r "$peers/baresip/accounts" ]; then
    tl_skip "no baresip recipe in $peers/baresip"
fi

tl_init_work
# the control socket (fd 4) is closed first, so that baresip sees its client leave
trap '{ exec 4>&-; } 2>/dev/null || true; tl_cleanup' EXIT

fail() {
    echo "FAIL: $*" >&2
    tl_dump_tails 40 "$work"/*.out "$work"/*.err
    [ -s "$work/events" ] && { echo "--- baresip events" >&2; events >&2; }
    exit 1
}


# ---------------------------------------------------------------- baresip and its control socket
# ctrl_tcp speaks netstrings ("LEN:JSON,"); events: one JSON object per line, type first.
events() { grep -o '{"event":true,"type":"[A-Z_]*"[^}]*}' "$work/events" 2>/dev/null || true; }
# count_ev TYPE DIRECTION: how many such call events baresip reported so far
count_ev() { events | grep -c "\"type\":\"$1\".*\"direction\":\"$2\"" || true; }
# wait_ev TYPE DIRECTION N SECONDS: until baresip reported N such events
wait_ev() {
    local i
    for ((i = 0; i < $4 * 10; i++)); do
        [ "$(count_ev "$1" "$2")" -ge "$3" ] && return 0
        kill -0 "$bpid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
ctl() { printf '%d:%s,' "${#1}" "$1" >&4; }

# start_baresip: sets bport, bpid; fd 4 is the control connection, read into
# $work/events. Random ports may be taken: retried with others.
start_baresip() {
    local cport rtp dir="$work/bs"
    for _ in 1 2 3 4 5; do
        bport=$(tl_rand_port)
        cport=$(tl_rand_port)
        rtp=$(tl_rand_port)
        rm -rf "$dir"
        mkdir -p "$dir"
        sed -e "s/127\.0\.0\.1:5080/127.0.0.1:$bport/" -e "s/127\.0\.0\.1:4444/127.0.0.1:$cport/" \
            -e "s/^rtp_ports.*/rtp_ports\t\t$rtp-$((rtp + 40))/" \
            "$peers/baresip/config" >"$dir/config"
        # only the direct account: the recipe's other one registers at a Kamailio on 5070
        grep -F '<sip:baresip@127.0.0.1:5080>' "$peers/baresip/accounts" |
            sed "s/127\.0\.0\.1:5080/127.0.0.1:$bport/" >"$dir/accounts"
        grep -q "answermode=auto" "$dir/accounts" ||
            fail "baresip recipe changed: no auto-answering sip:baresip@127.0.0.1:5080 account"
        # an empty contacts file, or baresip writes its template with outside addresses
        echo "# none" >"$dir/contacts"
        # -t: baresip's own bound on top of timeout's
        timeout 150 baresip -f "$dir" -t 140 </dev/null >"$work/baresip.out" 2>&1 &
        bpid=$!
        pids+=("$bpid")
        for _ in $(seq 50); do
            kill -0 "$bpid" 2>/dev/null || break
            if grep -q 'baresip is ready' "$work/baresip.out" &&
                { exec 4<>"/dev/tcp/127.0.0.1/$cport"; } 2>/dev/null; then
                cat <&4 >"$work/events" &
                pids+=($!)
                echo "baresip on 127.0.0.1:$bport (UDP, TCP), control on :$cport"
                return 0
            fi
            sleep 0.2
        done
        kill "$bpid" 2>/dev/null || true
        wait "$bpid" 2>/dev/null || true
        grep -qi 'in use\|bind\|listen' "$work/baresip.out" ||
            fail "baresip did not come up on 127.0.0.1:$bport"
        echo "  (ports taken, retrying)"
    done
    fail "baresip could not bind its ports"
}

start_baresip

# ---------------------------------------------------------------- (a) baresip calls GoSIP
echo "== (a) baresip calls gosip-ua --answer (udp), baresip hangs up"
# --foreground: our SIGTERM then reaches gosip-ua once; timeout would also send it
# to its process group, and a second one during the shutdown kills the program (143)
timeout --foreground 60 "$ua" --udp 127.0.0.1:0 --user callee --answer --duration 50 --stats -v \
    >"$work/callee.out" 2>"$work/callee.err" &
upid=$!
pids+=("$upid")
tl_wait_line "$work/callee.out" '^listening udp ' "$upid" 5 || fail "(a) gosip-ua did not start"
uport=$(sed -n 's/^listening udp 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/callee.out")
ctl "{\"command\":\"dial\",\"params\":\"sip:callee@127.0.0.1:$uport\",\"token\":\"a\"}"
wait_ev CALL_ESTABLISHED outgoing 1 10 || fail "(a) baresip: no CALL_ESTABLISHED"
sleep 1
ctl '{"command":"hangup","token":"b"}'
wait_ev CALL_CLOSED outgoing 1 10 || fail "(a) baresip: no CALL_CLOSED after its hangup"
# gosip-ua flushes its output at the call's end, not at event=incoming: wait for the end
tl_wait_line "$work/callee.out" '^event=terminated ' "$upid" 10 || fail "(a) gosip-ua: no call ended"
call_id=$(sed -n 's/^event=incoming .*call-id=\([^ ]*\).*/\1/p' "$work/callee.out" | head -n 1)
[ -n "$call_id" ] || fail "(a) gosip-ua: no event=incoming"
grep -Eq "^event=established call-id=$call_id role=callee$" "$work/callee.out" ||
    fail "(a) gosip-ua: baresip's ACK did not confirm call $call_id"
reason=$(sed -n "s/^event=terminated .*call-id=$call_id .*reason=\([^ ]*\).*/\1/p" \
    "$work/callee.out" | head -n 1)
[ "$reason" = bye ] || fail "(a) gosip-ua: call $call_id terminated with reason '$reason'"
kill -TERM "$upid"
rc=0
wait "$upid" || rc=$?
[ "$rc" -eq 0 ] || fail "(a) gosip-ua --answer exited with $rc after SIGTERM"
cs=$(tl_stats_of "$work/callee.out")
tl_expect_stat "$cs" incoming 1 "(a) gosip-ua"
tl_expect_stat "$cs" answered 1 "(a) gosip-ua"
tl_expect_stat "$cs" byes_received 1 "(a) gosip-ua"
echo "  gosip-ua: $cs"

# ---------------------------------------------------------------- (b) GoSIP calls baresip
n=0
for t in udp tcp; do
    n=$((n + 1))
    echo "== (b) gosip-ua --call baresip ($t), gosip-ua hangs up"
    suffix=$([ "$t" = tcp ] && echo ";transport=tcp" || true)
    rc=0
    timeout 30 "$ua" --"$t" 127.0.0.1:0 --user caller --call "sip:baresip@127.0.0.1:$bport$suffix" \
        --calls 1 --hangup-after 1 --stats -v \
        >"$work/caller_$t.out" 2>"$work/caller_$t.err" || rc=$?
    [ "$rc" -eq 0 ] || fail "(b $t) gosip-ua --call exited with $rc"
    call_id=$(sed -n 's/^event=established .*call-id=\([^ ]*\).*/\1/p' "$work/caller_$t.out" |
        head -n 1)
    [ -n "$call_id" ] || fail "(b $t) gosip-ua: no event=established"
    reason=$(sed -n "s/^event=terminated .*call-id=$call_id .*reason=\([^ ]*\).*/\1/p" \
        "$work/caller_$t.out" | head -n 1)
    [ "$reason" = bye ] || fail "(b $t) gosip-ua: call $call_id terminated with reason '$reason'"
    cs=$(tl_stats_of "$work/caller_$t.out")
    tl_expect_stat "$cs" calls 1 "(b $t) gosip-ua"
    tl_expect_stat "$cs" established 1 "(b $t) gosip-ua"
    tl_expect_stat "$cs" failed 0 "(b $t) gosip-ua"
    tl_expect_stat "$cs" byes_sent 1 "(b $t) gosip-ua"
    echo "  gosip-ua: $cs"
    wait_ev CALL_ESTABLISHED incoming "$n" 5 || fail "(b $t) baresip: no CALL_ESTABLISHED"
    wait_ev CALL_CLOSED incoming "$n" 5 || fail "(b $t) baresip: no CALL_CLOSED after the BYE"
done

echo "  baresip events: $(events | sed -n 's/.*"type":"\([A-Z_]*\)".*"direction":"\([a-z]*\)".*/\1(\2)/p' |
    tr '\n' ' ')"
kill -TERM "$bpid"
wait "$bpid" 2>/dev/null || true

echo "PASS: baresip -> gosip-ua call established and ended by baresip's BYE (udp);"
echo "      gosip-ua -> baresip calls established and ended by GoSIP's BYE (udp, tcp)"
