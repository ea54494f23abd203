#!/bin/bash
# test.sh - installs what is needed, builds kvmem and runs the whole test suite:
#   1. gcc build: unit tests (cmocka), command-line tests, ACPI tables through iasl
#   2. clang build with ASan and UBSan: the same tests
#   2b. clang build with ThreadSanitizer: the memory manager's tests
#   3. guest scenarios: real Linux guests under kvmem (nested when this machine
#      has no usable /dev/kvm, see ../shared/NESTED.md)
# Ends with one line 'N passed, N failed' and exits non-zero if anything failed.
# KVMEM_SKIP_GUEST=1 leaves out step 3 (for a quick local run).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || { echo "test.sh: installing dependencies failed"; exit 1; }

passed=0
failed=0
count() { # count LOGFILE: adds meson's or run.py's totals
	local ok fail
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p; s/^\([0-9]*\) passed, [0-9]* failed$/\1/p' "$1" | tail -1)
	fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p; s/^[0-9]* passed, \([0-9]*\) failed$/\1/p' "$1" | tail -1)
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-1}))
}
step() { echo; echo "==== $*"; }
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

step "gcc build and tests"
if scripts/build.sh build; then
	meson test -C build --no-rebuild --print-errorlogs 2>&1 | tee "$log/gcc"
	count "$log/gcc"
else
	failed=$((failed + 1))
fi

step "clang build with AddressSanitizer and UndefinedBehaviorSanitizer, and tests"
if [ ! -f build-asan/build.ninja ]; then
	CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
if ninja -C build-asan >/dev/null; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C build-asan --no-rebuild --print-errorlogs 2>&1 | tee "$log/asan"
	count "$log/asan"
else
	ninja -C build-asan
	failed=$((failed + 1))
fi

step "clang build with ThreadSanitizer: the memory manager under concurrent readers and writers"
if [ ! -f build-tsan/build.ninja ]; then
	CC=clang meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >/dev/null
fi
if ninja -C build-tsan tests/unit/test_manager tests/unit/test_manager_threads >/dev/null; then
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		meson test -C build-tsan --no-rebuild --print-errorlogs manager manager-threads 2>&1 |
		tee "$log/tsan"
	count "$log/tsan"
else
	ninja -C build-tsan tests/unit/test_manager tests/unit/test_manager_threads
	failed=$((failed + 1))
fi

if [ "${KVMEM_SKIP_GUEST:-}" != 1 ]; then
	step "guest scenarios"
	stdbuf -oL python3 tests/guest/run.py 2>&1 | tee "$log/guest"
	count "$log/guest"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
