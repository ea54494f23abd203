#!/bin/bash
# golden_test.sh - kvmem's ACPI tables must equal the expected ones, byte for byte.
#
# Usage: golden_test.sh ACPI_DUMP EXPECTED_DIR            compare
#        golden_test.sh --update ACPI_DUMP EXPECTED_DIR   rewrite EXPECTED_DIR
#
# ACPI_DUMP (tests/acpi/acpi_dump) writes every table of every configuration
# of its matrix as <config>/<SIG>.dat, planned by kvmem's own machine_plan();
# EXPECTED_DIR (tests/data/acpi) holds the same files as they were last
# accepted, the way QEMU's tests/qtest/bios-tables-test keeps tests/data/acpi.
# Every table must exist on both sides and be equal.  For a table that
# differs, the test prints the difference as a person reads it: a unified
# diff of `iasl -d`'s disassembly of the expected and of the new table (a hex
# dump diff for the RSDP, which iasl cannot read alone, or without iasl),
# once per signature: the other configurations whose table of the same
# signature differs are named, not diffed again.
#
# A change to the tables that is meant (a new device in the DSDT, a fixed
# field) is accepted with --update, which the build runs as
#   meson compile -C build update-acpi-tables
# and is then reviewed and committed with the change that caused it.
#
# Exit status: 0 all equal (or updated), 1 a difference, 2 usage.
set -u

usage() {
	echo "usage: $0 [--update] ACPI_DUMP EXPECTED_DIR" >&2
	exit 2
}

update=0
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
[ $# -eq 2 ] || usage
dump=$1
expected=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/new"
if ! "$dump" "$work/new"; then
	echo "FAIL: $dump could not write the tables"
	exit 1
fi

# Both trees' tables as sorted relative paths: <config>/<SIG>.dat
tables() {
	(cd "$1" 2>/dev/null && find . -name '*.dat' | sed 's|^\./||' | LC_ALL=C sort)
}

if [ $update -eq 1 ]; then
	mkdir -p "$expected"
	changed=0
	while read -r t; do
		if [ ! -f "$expected/$t" ]; then
			echo "new:     $t"
		elif ! cmp -s "$work/new/$t" "$expected/$t"; then
			echo "changed: $t"
		else
			continue
		fi
		changed=$((changed + 1))
		mkdir -p "$expected/$(dirname "$t")"
		cp "$work/new/$t" "$expected/$t"
	done < <(tables "$work/new")
	while read -r t; do
		if [ ! -f "$work/new/$t" ]; then
			echo "removed: $t"
			rm "$expected/$t"
			rmdir "$expected/$(dirname "$t")" 2>/dev/null
			changed=$((changed + 1))
		fi
	done < <(tables "$expected")
	if [ $changed -eq 0 ]; then
		echo "$expected already holds kvmem's tables: nothing to update"
	else
		echo "$changed table(s) updated in $expected; review them (git diff --stat) and" \
			"commit them with the change that caused them"
	fi
	exit 0
fi

# A readable form of one table in file $1: iasl's disassembly without the
# lines that name the file or the time, else a hex dump.
readable() {
	local f=$1 dir sig
	dir=$(dirname "$f")
	sig=$(basename "$f" .dat)
	if [ "$sig" != RSDP ] && command -v iasl >/dev/null 2>&1 &&
		(cd "$dir" && iasl -d "$sig.dat" >/dev/null 2>&1) && [ -s "$dir/$sig.dsl" ]; then
		grep -v -e '^ \* Disassembly of ' -e '^ \* AML/ASL+ Disassembler version' "$dir/$sig.dsl"
	else
		od -A x -t x1z -v "$f"
	fi
}

failures=0
count=0
shown=" "
while read -r t; do
	count=$((count + 1))
	if [ ! -f "$expected/$t" ]; then
		echo "not ok - $t: kvmem builds it, $expected has no expected copy"
		failures=$((failures + 1))
		continue
	fi
	if cmp -s "$work/new/$t" "$expected/$t"; then
		continue
	fi
	failures=$((failures + 1))
	sig=$(basename "$t" .dat)
	# one diff per kind of table: a change in a builder usually shows in
	# every configuration alike
	if [[ "$shown" == *" $sig "* ]]; then
		echo "not ok - $t differs from the expected copy (diff of $sig shown above)"
		continue
	fi
	shown="$shown$sig "
	echo "not ok - $t differs from the expected copy $expected/$t:"
	mkdir -p "$work/old/$(dirname "$t")" "$work/cur/$(dirname "$t")"
	cp "$expected/$t" "$work/old/$t"
	cp "$work/new/$t" "$work/cur/$t"
	readable "$work/old/$t" >"$work/old/$t.txt"
	readable "$work/cur/$t" >"$work/cur/$t.txt"
	diff -u --label "expected/$t" --label "kvmem/$t" "$work/old/$t.txt" "$work/cur/$t.txt" |
		sed 's/^/    /'
done < <(tables "$work/new")
while read -r t; do
	if [ ! -f "$work/new/$t" ]; then
		echo "not ok - $t: expected in $expected, kvmem no longer builds it"
		failures=$((failures + 1))
	fi
done < <(tables "$expected")

if [ $count -eq 0 ]; then
	echo "FAIL: $dump wrote no tables"
	exit 1
fi
if [ $failures -ne 0 ]; then
	echo "$failures of $count table(s) differ from $expected."
	echo "If the change is meant: meson compile -C build update-acpi-tables, then review and"
	echo "commit tests/data/acpi with the change (docs/testing.md)."
	exit 1
fi
echo "PASS: $count tables equal to $expected"
exit 0
