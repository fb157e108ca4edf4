#!/usr/bin/env bash
# Installs the Debian packages GoSIP needs to build and test, and only those that are missing.
set -euo pipefail

packages=(build-essential cmake pkg-config clang libclang-rt-14-dev libcmocka-dev
          libosip2-dev libsofia-sip-ua-dev libssl-dev valgrind
          # the libuv runtime (libgosip-uv): event loop, DNS, TLS; the openssl command makes
          # the TLS tests' certificates, dnsmasq-base (the binary, no system service) serves
          # their DNS, sip-tester is SIPp
          libuv1-dev libc-ares-dev openssl dnsmasq-base sip-tester
          # real peers for gosip-ua's interop tests: Kamailio as registrar and record-routing
          # proxy (its base package has every module the test config loads), and baresip (the
          # metapackage brings only baresip-core here, without recommends: no GUI, no video)
          kamailio baresip)

if ! command -v dpkg >/dev/null 2>&1; then
    echo "install-deps: not a Debian system; make sure these (or their equivalents) are installed:" >&2
    echo "  ${packages[*]}" >&2
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
