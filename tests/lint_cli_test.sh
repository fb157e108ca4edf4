#!/usr/bin/env bash
# Command-line test of gosip-lint over RFC 4475 torture messages: output lines and exit codes.
#
#   tests/lint_cli_test.sh PATH/TO/gosip-lint PATH/TO/shared/testdata
#
# Exits 0 when every check passes, 1 otherwise (each failure is printed).
set -u

lint=${1:?usage: lint_cli_test.sh GOSIP_LINT TESTDATA_DIR}
data=${2:?usage: lint_cli_test.sh GOSIP_LINT TESTDATA_DIR}
t=$data/rfc4475
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect WANT_STATUS PATTERN ARGS...: runs gosip-lint ARGS, checks the exit status and that
# stdout matches the extended regular expression PATTERN.
expect() {
    local want=$1 pattern=$2 out status
    shift 2
    out=$("$lint" "$@" 2>"$tmp/stderr")
    status=$?
    if [ "$status" -ne "$want" ]; then
        fail "gosip-lint $*: exit $status, expected $want; output: $out $(cat "$tmp/stderr")"
    elif ! grep -Eq -- "$pattern" <<<"$out"; then
        fail "gosip-lint $*: output does not match /$pattern/: $out"
    else
        echo "ok: gosip-lint $* -> $status"
    fi
}

[ -x "$lint" ] || { echo "FAIL: $lint is not an executable"; exit 1; }
[ -d "$t" ] || { echo "FAIL: $t is not a directory"; exit 1; }

# Valid requests (RFC 4475 3.1.1): the line is "FILE: valid", exit 0.
expect 0 "^$t/wsinv.dat: valid\$" "$t/wsinv.dat"
expect 0 "^$t/esc01.dat: valid\$" "$t/esc01.dat"
expect 0 ": valid\$" "$t/wsinv.dat" "$t/esc01.dat" "$t/dblreq.dat"

# Invalid requests get the response the RFC names.
expect 1 "^$t/badvers.dat: 505 [^(]*\\(.*\\)\$" "$t/badvers.dat"
expect 1 "^$t/bext01.dat: 420 " "$t/bext01.dat"
expect 1 "^$t/zeromf.dat: 483 " --proxy "$t/zeromf.dat"
expect 0 "^$t/zeromf.dat: valid\$" "$t/zeromf.dat"
expect 1 "^$t/unkscm.dat: 416 " "$t/unkscm.dat"

# Any invalid file makes the whole run exit 1, and every file still gets its line.
expect 1 "^$t/badvers.dat: 505 " "$t/wsinv.dat" "$t/badvers.dat"

# A malformed response is dropped, never answered.
expect 1 "^$t/bigcode.dat: drop( \\(.*\\))?\$" "$t/bigcode.dat"

# Standard input, explicitly and by default.
expect 0 "^<stdin>: valid\$" - <"$t/wsinv.dat"
expect 0 "^<stdin>: valid\$" <"$t/wsinv.dat"

# Unparseable input.
printf 'hello\r\n\r\n' >"$tmp/garbage.sip"
expect 1 "^$tmp/garbage.sip: unparseable: .* at offset [0-9]+\$" "$tmp/garbage.sip"

# Stream framing: two messages in one file, CRLF keep-alives in between.
{ cat "$t/esc01.dat"; printf '\r\n\r\n'; cat "$t/badvers.dat"; } >"$tmp/two.sip"
expect 1 "^$tmp/two.sip#1: valid\$" --stream "$tmp/two.sip"
expect 1 "^$tmp/two.sip#2: 505 " --stream "$tmp/two.sip"

# Over the message size limit: a clear error, not a crash.
head -c 70000 /dev/zero | tr '\0' 'a' >"$tmp/huge.sip"
expect 1 "^$tmp/huge.sip: unparseable: .*size limit" "$tmp/huge.sip"

# Usage and I/O errors exit 2.
expect 2 "" --no-such-option "$t/wsinv.dat"
expect 2 "" "$tmp/does-not-exist.sip"
expect 2 "" "$tmp"
expect 0 "^usage: gosip-lint" --help

# --json prints valid JSON (a top-level array), also for awkward bytes and several files.
for f in wsinv.dat intmeth.dat mpart01.dat unreason.dat badvers.dat bigcode.dat; do
    "$lint" --json "$t/$f" >"$tmp/out.json"
    if ! python3 -m json.tool "$tmp/out.json" >/dev/null; then
        fail "gosip-lint --json $f: output is not valid JSON"
    else
        echo "ok: gosip-lint --json $f parses"
    fi
done
"$lint" --json "$t/wsinv.dat" "$tmp/garbage.sip" "$t/badvers.dat" >"$tmp/all.json"
if ! python3 - "$tmp/all.json" <<'EOF'; then
import json, sys
doc = json.load(open(sys.argv[1]))
assert isinstance(doc, list) and len(doc) == 3, doc
wsinv, garbage, badvers = doc
assert wsinv["type"] == "request" and wsinv["verdict"]["result"] == "valid", wsinv["verdict"]
assert any(h["kind"] == "Via" and h["via"]["branch"] for h in wsinv["headers"])
assert garbage["verdict"]["result"] == "unparseable" and "offset" in garbage["error"]
assert badvers["verdict"]["status"] == 505, badvers["verdict"]
EOF
    fail "gosip-lint --json over three files: unexpected structure"
else
    echo "ok: gosip-lint --json structure"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
