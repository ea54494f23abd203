#!/bin/bash
# run_fuzz.sh FUZZER SEED_DIR SECONDS - run a libFuzzer target for a bounded
# time from its seed corpus, without writing into the source tree, with the
# dictionary named after it if there is one (fuzz_qmp: qmp.dict).  Exits
# non-zero (and prints the input) if the fuzzer found a crash, a leak, an
# ASan or UBSan report, or a timeout.
set -u
fuzzer=${1:?usage: run_fuzz.sh FUZZER SEED_DIR SECONDS}
seeds=${2:?}
seconds=${3:?}
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
name=$(basename "$fuzzer")
dict="$(dirname "$0")/${name#fuzz_}.dict"
[ -e "$dict" ] || dict=
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	${dict:+-dict="$dict"} -artifact_prefix="$work/" "$work/corpus" "$seeds" 2>&1 |
	grep -v -e '^#[0-9]' -e '^"' -e '^######' | tail -60
rc=${PIPESTATUS[0]}
for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
	[ -e "$f" ] || continue
	echo "finding: $(basename "$f"), input (hex):"
	od -An -tx1 "$f" | head -20
done
if [ "$rc" -ne 0 ]; then
	echo "not ok - $(basename "$fuzzer") failed (status $rc)"
	exit 1
fi
echo "ok - $(basename "$fuzzer") ran ${seconds}s without findings"
