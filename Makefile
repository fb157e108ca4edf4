# GoSIP: a thin wrapper over CMake and CTest.
#
#   make test            install missing Debian packages, then: Release build + ctest (build/),
#                        ASan/UBSan build + ctest (build-asan/), libFuzzer build + a short run of
#                        every fuzzer over the seed corpora (build-fuzz/, FUZZ_SECONDS each)
#   make check-uv        build (Release) and run only the libuv runtime's loopback tests (label uv)
#   make run             build (Release) and start gosip-ua answering calls on 127.0.0.1:5060
#                        (UDP and TCP); it first prints how to call it with SIPp
#   make bench           build (Release) and run every bench_* program (oSIP and Sofia-SIP side by side)
#   make bench-transport build (Release) and measure gosip-responder under SIPp load (needs sipp)
#   make bench-txn       build (Release) and run bench_txn (transactions/s, bytes per transaction)
#   make bench-txn-load  build (Release) and measure gosip-txn serve under SIPp load (needs sipp)
#   make bench-ua        build (Release) and measure gosip-ua answering SIPp calls, next to SIPp's
#                        uas and Kamailio (needs sipp, kamailio); CPU per call, bytes per dialog
#   make fuzz FUZZ_SECONDS=600   the long fuzz run: every fuzzer for FUZZ_SECONDS seconds
#   make valgrind        the Release unit tests under valgrind (leaks are errors)
#   make install [PREFIX=/usr/local]   (PREFIX is a configure option: it also sets gosip.pc)
#   make format | format-check | clean
#
# Variables: JOBS (default: nproc), FUZZ_SECONDS (default 20), GOSIP_TESTDATA_DIR (default:
# ../shared/testdata, see CMakeLists.txt), CMAKE_ARGS (extra -D options for every configure).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := all

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
CMAKE ?= cmake
CTEST ?= ctest
CLANG_FORMAT ?= clang-format
VALGRIND ?= valgrind
FUZZ_CC ?= $(shell command -v clang 2>/dev/null || echo clang)
CMAKE_ARGS ?=
ifdef GOSIP_TESTDATA_DIR
CMAKE_ARGS += -DGOSIP_TESTDATA_DIR=$(abspath $(GOSIP_TESTDATA_DIR))
endif
ifdef PREFIX
CMAKE_ARGS += -DCMAKE_INSTALL_PREFIX=$(abspath $(PREFIX))
endif

# CMake's own make must not inherit this make's flags and jobserver.
BUILD_CMD = env -u MAKEFLAGS -u MFLAGS $(CMAKE) --build
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

FORMAT_DIRS := src include tests apps bench fuzz

.PHONY: all deps release check-release check-uv asan check-asan fuzz-build fuzz test run bench valgrind \
	install clean format format-check help

all: release

help:
	@sed -n '/^#/!q; s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

deps:
	scripts/install-deps.sh

# ------------------------------------------------------------------ Release
release:
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	$(BUILD_CMD) $(BUILD_DIR) -j $(JOBS)

check-release: release
	cd $(BUILD_DIR) && $(CTEST) --output-on-failure -j $(JOBS)

check-uv: release
	cd $(BUILD_DIR) && $(CTEST) --output-on-failure -j $(JOBS) -L uv

# ------------------------------------------------------------------ ASan + UBSan
asan:
	$(CMAKE) -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
		-DGOSIP_SANITIZE=ON -DGOSIP_BENCH=OFF $(CMAKE_ARGS)
	$(BUILD_CMD) $(ASAN_DIR) -j $(JOBS)

check-asan: asan
	cd $(ASAN_DIR) && $(SAN_ENV) $(CTEST) --output-on-failure -j $(JOBS)

# ------------------------------------------------------------------ libFuzzer
fuzz-build:
	CC=$(FUZZ_CC) $(CMAKE) -S . -B $(FUZZ_DIR) -DCMAKE_C_COMPILER=$(FUZZ_CC) \
		-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
		-DGOSIP_FUZZ=ON -DGOSIP_SANITIZE=ON -DGOSIP_TESTS=OFF -DGOSIP_BENCH=OFF $(CMAKE_ARGS)
	$(BUILD_CMD) $(FUZZ_DIR) -j $(JOBS)

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# ------------------------------------------------------------------ everything CI runs
test: deps
	$(MAKE) --no-print-directory check-release
	$(MAKE) --no-print-directory check-asan
	$(MAKE) --no-print-directory fuzz

# ------------------------------------------------------------------ programs
# gosip-ua answers every call (180, then 200 with SDP) until Ctrl-C, then prints its stats.
# SIPp's own port must differ from gosip-ua's (-p), and its control socket stay on loopback.
SIPP_HINT = sipp -sn uac 127.0.0.1:5060 -p 5062 -i 127.0.0.1 -ci 127.0.0.1

run: release
	@echo "gosip-ua answers calls on 127.0.0.1:5060 over UDP and TCP (Ctrl-C stops it)."
	@echo "Call it from another terminal with SIPp (apt-get install sip-tester):"
	@echo "  $(SIPP_HINT) -m 1    # one call over UDP"
	@echo "  $(SIPP_HINT) -t t1 -r 200 -m 1000 -buff_size 4194304    # 1,000 over TCP"
	$(BUILD_DIR)/gosip-ua --answer --udp 127.0.0.1:5060 --tcp 127.0.0.1:5060

bench: release
	@n=0; while IFS= read -r b; do \
		echo "== $$b"; "$$b" </dev/null; n=$$((n + 1)); \
	done < $(BUILD_DIR)/bench/benches.txt; \
	if [ $$n -eq 0 ]; then echo "no bench programs: need bench/bench_*.c and pkg-config libosip2, sofia-sip-ua"; fi

# SIPp OPTIONS load on loopback: gosip-responder over UDP and TCP (10/1,000/10,000 idle
# connections held open) against a plain UDP echo; prints a table (bench/transport/run.sh).
.PHONY: bench-transport
bench-transport: release
	bench/transport/run.sh $(BUILD_DIR)

# The transaction layer alone on a virtual clock, no sockets: GoSIP vs oSIP transactions/s and
# bytes per live transaction (bench/bench_txn.c).
.PHONY: bench-txn
bench-txn: release
	$(BUILD_DIR)/bench_txn </dev/null

# SIPp MESSAGE load on loopback at rising rates against `gosip-txn serve` (stateful UDP):
# calls ok/failed and the server's CPU per transaction (bench/txn/run.sh).
.PHONY: bench-txn-load
bench-txn-load: release
	bench/txn/run.sh $(BUILD_DIR)

# SIPp calls on loopback at rising rates to gosip-ua --answer, SIPp's uas and Kamailio (proxy
# to a SIPp uas): calls ok/failed, CPU per call; then gosip-ua's RSS per dialog at 10,000
# concurrent calls (bench/ua/run.sh).
.PHONY: bench-ua
bench-ua: release
	bench/ua/run.sh $(BUILD_DIR)

valgrind: release
	@n=0; failed=0; while IFS= read -r t; do \
		n=$$((n + 1)); echo "== valgrind $$t"; \
		$(VALGRIND) -q --error-exitcode=1 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect "$$t" </dev/null || failed=$$((failed + 1)); \
	done < $(BUILD_DIR)/tests/unit_tests.txt; \
	echo "valgrind: $$n test programs, $$failed failed"; [ $$failed -eq 0 ]

install: release
	$(CMAKE) --install $(BUILD_DIR)

# ------------------------------------------------------------------ housekeeping
clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)

FORMAT_FILES = $(shell dirs='$(wildcard $(FORMAT_DIRS))'; [ -z "$$dirs" ] || \
	find $$dirs -type f \( -name '*.c' -o -name '*.h' \) | sort)

format:
	files='$(FORMAT_FILES)'; [ -z "$$files" ] || $(CLANG_FORMAT) -i $$files

format-check:
	files='$(FORMAT_FILES)'; [ -z "$$files" ] || $(CLANG_FORMAT) --dry-run --Werror $$files
