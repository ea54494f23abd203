#!/bin/bash
# test.sh - installs what is needed, builds kvmem and runs the whole test suite:
#   1. gcc build: unit tests (cmocka), command-line tests, ACPI tables (iasl,
#      golden tables), the monitors
#   2. clang build with ASan and UBSan: the same tests, and the fuzzers
#   2b. clang build with ThreadSanitizer: the memory manager's tests
#   3. guest scenarios: real Linux guests under kvmem (nested when this machine
#      has no usable /dev/kvm, see ../shared/NESTED.md)
# Ends with one line 'N passed, N failed, N skipped' and exits non-zero if
# anything failed.  The verdicts are meson's and run.py's own (count-tests.py):
# a timeout, an unexpected pass, a crashed runner or a skip that does not say
# why is a failure; every skip is listed with its reason.
# KVMEM_SKIP_GUEST=1 leaves out step 3 (for a quick local run); its scenarios
# are then counted as skipped.
# The CI stops a run at 90 minutes with no verdict at all.  Each step prints
# the time since the start, and the guest step gets what is left of
# KVMEM_CI_LIMIT seconds (85 minutes by default): guests that would run past
# it fail, saying so, and the summary still comes.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || { echo "test.sh: installing dependencies failed"; exit 1; }

passed=0
failed=0
skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

ci_limit=${KVMEM_CI_LIMIT:-5100}
step() { echo; echo "==== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

# fail WHY: one failure that no test runner reported (a build, a set-up)
fail() {
	echo "FAILED: $*" | tee -a "$log/notes"
	failed=$((failed + 1))
}

# count KIND ARGS...: adds count-tests.py's tally of one step to the totals
# and keeps its notes (failures, skips with their reasons) for the summary
count() {
	local out last tag p f s
	out=$(python3 scripts/count-tests.py "$@")
	last=$(tail -n 1 <<<"$out")
	read -r tag p f s <<<"$last"
	if [ "$tag" != totals ]; then
		fail "count-tests.py $1 gave no tally"
		return
	fi
	sed '$d' <<<"$out" | tee -a "$log/notes"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# build DIR [MESON_SETUP_ARGS...]: configures DIR once (with CC and the
# arguments given), then builds it; a failed build counts as one failure
build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" "$@" >"$log/setup" 2>&1; then
		cat "$log/setup"
		fail "meson setup $dir"
		return 1
	fi
	if ! ninja -C "$dir" >"$log/ninja" 2>&1; then
		cat "$log/ninja"
		fail "build in $dir"
		return 1
	fi
}

# meson_tests DIR [MESON_TEST_ARGS...]: runs the tests of the build in DIR
# (the environment given to it reaches the tests) and counts them
meson_tests() {
	local dir=$1 planned status
	shift
	planned=$(meson test -C "$dir" --no-rebuild --list "$@" 2>/dev/null | wc -l)
	rm -f "$dir/meson-logs/test-sh.json"
	meson test -C "$dir" --no-rebuild --print-errorlogs --logbase test-sh "$@"
	status=$?
	count meson "$dir/meson-logs/test-sh.json" "$planned" "$status" "$dir"
}

step "gcc build and tests"
if build build; then
	meson_tests build
fi

step "clang build with AddressSanitizer and UndefinedBehaviorSanitizer, and tests"
if CC=clang build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson_tests build-asan
fi

step "clang build with ThreadSanitizer: the memory manager under concurrent readers and writers, vCPU threads paused and resumed"
# only the tests of code with threads of its own are built here
if [ -f build-tsan/build.ninja ] ||
	CC=clang meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >"$log/setup" 2>&1 ||
	{ cat "$log/setup"; fail "meson setup build-tsan"; false; }; then
	if ninja -C build-tsan tests/unit/test_manager tests/unit/test_manager_threads \
		tests/unit/test_vcpu_threads >"$log/ninja" 2>&1; then
		TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
			meson_tests build-tsan manager manager-threads vcpu-threads
	else
		cat "$log/ninja"
		fail "build of the threaded tests in build-tsan"
	fi
fi

step "guest scenarios"
if [ "${KVMEM_SKIP_GUEST:-}" != 1 ]; then
	KVMEM_GUEST_BUDGET=$((ci_limit - SECONDS)) stdbuf -oL python3 tests/guest/run.py 2>&1 |
		tee "$log/guest"
	count guest "$log/guest" "${PIPESTATUS[0]}"
else
	n=$(python3 tests/guest/run.py --list | wc -l)
	echo "skipped: $n guest scenarios: KVMEM_SKIP_GUEST=1" | tee -a "$log/notes"
	skipped=$((skipped + n))
fi

if [ -s "$log/notes" ]; then
	step "not passed"
	cat "$log/notes"
fi
echo
echo "# test.sh took $((SECONDS / 60))m$((SECONDS % 60))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
