#!/usr/bin/env bash
# SIPp (Debian sip-tester) sends OPTIONS to gosip-responder over UDP (-t u1), TCP (one
# connection, -t t1, and one per call, -t tn) and TLS (-t l1; through openssl s_client when
# SIPp was built without TLS, as Debian's is) on loopback; every call must get its 200
# (SIPp exits 0) and the responder's counters must agree.
# Then tests/sipp/errors_uac.xml checks the refusals (405, 420, 501) and that ACK gets no
# answer, over UDP and TCP.
#   usage: sipp_options_test.sh GOSIP_RESPONDER SCENARIO_DIR [CALLS]
# Exit 77 (skipped) when sipp or openssl is missing.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

responder=${1:?usage: $0 GOSIP_RESPONDER SCENARIO_DIR [CALLS]}
scenario_dir=${2:?usage: $0 GOSIP_RESPONDER SCENARIO_DIR [CALLS]}
calls=${3:-200}
ecalls=$(((calls + 9) / 10)) # calls of the error scenario, per transport
rate=100

for tool in sipp openssl; do
    tl_need "$tool" "apt-get install sip-tester openssl"
done

work=$(mktemp -d)
resp_pid=""
sipp_pid=""
cleanup() {
    [ -n "$sipp_pid" ] && kill "$sipp_pid" 2>/dev/null || true
    [ -n "$resp_pid" ] && kill "$resp_pid" 2>/dev/null || true
    [ -n "$resp_pid" ] && wait "$resp_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*" >&2
    echo "--- responder stdout" >&2; cat "$work/resp.out" >&2 || true
    echo "--- responder stderr" >&2; cat "$work/resp.err" >&2 || true
    exit 1
}

# A throwaway self-signed certificate for the TLS listening point (SIPp does not verify it).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" \
    >/dev/null 2>&1 || fail "openssl could not make a certificate"

# --duration bounds the responder even if this script is killed without running the trap.
"$responder" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --tls 127.0.0.1:0 \
    --cert "$work/cert.pem" --key "$work/key.pem" --max-conns-per-source 1024 \
    --duration 300 -v >"$work/resp.out" 2>"$work/resp.err" &
resp_pid=$!

port_of() { tl_listen_port "$work/resp.out" "$1"; }
tl_wait_listening "$work/resp.out" 3 "$resp_pid" gosip-responder
udp_port=$(port_of udp); tcp_port=$(port_of tcp); tls_port=$(port_of tls)
[ -n "$udp_port" ] && [ -n "$tcp_port" ] && [ -n "$tls_port" ] || fail "no listening lines"

# One SIPp run: scenario, calls, transport mode, port, extra options. SIPp exits 0 only
# if every call passed.
run_sipp() {
    local scen=$1 n=$2 mode=$3 port=$4; shift 4
    local log="$work/sipp_$mode.log"
    echo "== sipp $scen -t $mode -> 127.0.0.1:$port ($n calls at $rate/s)"
    sipp 127.0.0.1:"$port" -sf "$scenario_dir/$scen.xml" -t "$mode" -i 127.0.0.1 \
        -ci 127.0.0.1 -m "$n" -r "$rate" -timeout 30s -timeout_error -nostdin -trace_err \
        -error_file "$work/sipp_$mode.errors" "$@" >"$log" 2>&1 &
    sipp_pid=$!
    local rc=0
    wait "$sipp_pid" || rc=$?
    sipp_pid=""
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$log" >&2
        cat "$work/sipp_$mode.errors" >&2 2>/dev/null || true
        fail "sipp -t $mode exited with $rc"
    fi
    grep -E 'Successful call|Failed call' "$log" | tail -n 2 || true
}

run_sipp options_uac "$calls" u1 "$udp_port"
run_sipp options_uac "$calls" t1 "$tcp_port"
run_sipp options_uac "$calls" tn "$tcp_port" -max_socket 64
# Debian's SIPp 3.6 is built without OpenSSL (its version line then lacks "TLS"): TLS is
# then driven by openssl s_client, pipelining the same OPTIONS on one connection.
tls_via_openssl() {
    local n=$1 i out="$work/tls.out"
    echo "== openssl s_client -> 127.0.0.1:$tls_port ($n pipelined OPTIONS; SIPp has no TLS)"
    for i in $(seq "$n"); do
        printf 'OPTIONS sip:service@127.0.0.1:%s SIP/2.0\r\n' "$tls_port"
        printf 'Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-%s;rport\r\n' "$i"
        printf 'From: <sip:test@127.0.0.1>;tag=tls%s\r\nTo: <sip:service@127.0.0.1>\r\n' "$i"
        printf 'Call-ID: tls-%s-%s@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n' "$i" "$$"
        printf 'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n'
    done >"$work/tls.req"
    # -no_ign_eof closes once stdin ends: keep it open until every answer is in (<= 15 s).
    : >"$out"
    {
        cat "$work/tls.req"
        for _ in $(seq 150); do
            [ "$(grep -c '^SIP/2.0 200 OK' "$out" || true)" -ge "$n" ] && break
            sleep 0.1
        done
    } | timeout 30 openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:"$tls_port" \
        >"$out" 2>"$work/tls.err" || true
    local got allow
    got=$(grep -c '^SIP/2.0 200 OK' "$out" || true)
    allow=$(grep -c '^Allow: OPTIONS' "$out" || true)
    [ "$got" -eq "$n" ] && [ "$allow" -eq "$n" ] ||
        { cat "$work/tls.err" >&2; fail "TLS: $got of $n answered 200 ($allow with Allow)"; }
    echo "  $got of $n answered with 200 OK over TLS"
}
if sipp -v 2>&1 | grep -q 'TLS'; then
    run_sipp options_uac "$calls" l1 "$tls_port" -tls_cert "$work/cert.pem" -tls_key "$work/key.pem"
else
    tls_via_openssl "$calls"
fi

run_sipp errors_uac "$ecalls" u1 "$udp_port"
run_sipp errors_uac "$ecalls" t1 "$tcp_port"

# SIGTERM: the responder prints its final counters and must shut down cleanly (exit 0).
kill -TERM "$resp_pid"
rc=0
wait "$resp_pid" || rc=$?
resp_pid=""
[ "$rc" -eq 0 ] || fail "gosip-responder exited with $rc after SIGTERM"

stats=$(grep '^stats ' "$work/resp.out" | tail -n 1)
[ -n "$stats" ] || fail "no stats line"
echo "$stats"
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$stats"; }
requests=$(field requests); answered=$(field answered); acks=$(field acks); errors=$(field errors)
# Per error call: INVITE, ACK, OPTIONS, FOO, of which three are refused and one is an ACK.
expected=$((4 * calls + 8 * ecalls))
# UDP retransmissions may add requests; each but the ACKs must still have been answered.
[ "$requests" -ge "$expected" ] || fail "responder saw $requests requests, expected >= $expected"
[ "$((answered + acks))" -eq "$requests" ] || fail "answered $answered + $acks ACKs of $requests"
[ "$acks" -ge $((2 * ecalls)) ] || fail "acks=$acks, expected >= $((2 * ecalls))"
[ "$errors" -ge $((6 * ecalls)) ] || fail "errors=$errors, expected >= $((6 * ecalls))"
for f in send_failed dropped; do
    [ "$(field $f)" -eq 0 ] || fail "$f=$(field $f), expected 0"
done
echo "PASS: $((4 * calls)) OPTIONS over UDP, TCP (t1, tn) and TLS answered with 200;"
echo "      $((2 * ecalls)) INVITE/ACK/OPTIONS+Require/FOO calls refused as RFC 3261 says"
