#!/bin/bash
# iasl_test.sh - have ACPICA's own tools read every ACPI table kvmem builds.
#
# Usage: iasl_test.sh ACPI_DUMP     build the tables with tests/acpi/acpi_dump
#        iasl_test.sh --dir DIR     check DIR/<config>/<SIG>.dat as they are
#
# Configurations named numa-* must also have an SRAT, and so must those
# named -maxmem (memory hotplug implies a NUMA node, as in QEMU's pc); those
# with a distance table, -asym, -sparse and -dist, a SLIT; those named -hmat
# an HMAT; the others must have none of them.
# For each table of each configuration:
#  1. `iasl -d` must succeed without a warning or an error (a bad checksum
#     is a "Firmware Warning") and leave a .dsl with no "Incorrect" or
#     "Invalid" remark in it;
#  2. the .dsl must compile back with 0 errors and 0 warnings into the same
#     bytes (the compiler rewrites only the checksum and the creator id and
#     revision): so the disassembly accounted for every byte;
#  3. with acpiexec present, the DSDT must load with the FADT and \_S5 and
#     every _CRS must evaluate.
# iasl 20200925 cannot read a bare RSDP (it has no table header), so the
# RSDP's signature, revision, length and both checksums are checked here.
#
# Exit status: 0 pass, 1 fail, 77 skip (no iasl).

set -u

usage() {
	echo "usage: $0 ACPI_DUMP | --dir DIR" >&2
	exit 2
}

if ! command -v iasl >/dev/null 2>&1; then
	echo "SKIP: iasl not found (Debian package acpica-tools)"
	exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case "${1:-}" in
--dir)
	[ -d "${2:-}" ] || usage
	cp -r "$2"/. "$work"/
	;;
"")
	usage
	;;
*)
	if ! "$1" "$work"; then
		echo "FAIL: $1 could not write the tables"
		exit 1
	fi
	;;
esac

failures=0
tables=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Prints the bytes of file $1 as decimal numbers, one line.
bytes() {
	od -An -tu1 -v "$1" | tr -s ' \n' '  '
}

check_rsdp() {
	local f=$1 name=$2 b sum20=0 sum36=0 i
	read -ra b <<<"$(bytes "$f")"
	if [ "${#b[@]}" -ne 36 ]; then
		fail "$name: ${#b[@]} bytes, an ACPI 2.0 RSDP has 36"
		return
	fi
	[ "$(head -c 8 "$f")" = "RSD PTR " ] || fail "$name: signature is not 'RSD PTR '"
	[ "${b[15]}" -eq 2 ] || fail "$name: revision ${b[15]}, want 2"
	[ $((b[20] + b[21] * 256 + b[22] * 65536 + b[23] * 16777216)) -eq 36 ] ||
		fail "$name: length field is not 36"
	for ((i = 0; i < 36; i++)); do
		((i < 20)) && sum20=$((sum20 + b[i]))
		sum36=$((sum36 + b[i]))
	done
	((sum20 % 256 == 0)) || fail "$name: checksum of the first 20 bytes is $((sum20 % 256)), not 0"
	((sum36 % 256 == 0)) || fail "$name: extended checksum is $((sum36 % 256)), not 0"
}

# Same bytes apart from what iasl's compiler writes itself: the checksum
# (byte 9), creator id and creator revision (bytes 28-35).
same_table() {
	local a=$1 b=$2
	[ "$(stat -c %s "$a")" -eq "$(stat -c %s "$b")" ] || return 1
	if [ "$(head -c 4 "$a")" = FACS ]; then
		cmp -s "$a" "$b"
		return
	fi
	cmp -s -n 9 "$a" "$b" && cmp -s -i 10 -n 18 "$a" "$b" && cmp -s -i 36 "$a" "$b"
}

check_table() {
	local dat=$1 name=$2 sig dir out rc dsl
	sig=$(basename "$dat" .dat)
	dir=$(dirname "$dat")
	dsl="$dir/$sig.dsl"

	out=$(cd "$dir" && iasl -d "$sig.dat" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ ! -s "$dsl" ]; then
		fail "$name: iasl -d could not disassemble it (exit $rc)"
		echo "$out" | sed 's/^/    /'
		return
	fi
	if grep -Eqi 'warning|error|incorrect|invalid|not a valid|unknown' <<<"$out"; then
		fail "$name: iasl -d complained"
		grep -Ei 'warning|error|incorrect|invalid|not a valid|unknown' <<<"$out" | sed 's/^/    /'
	fi
	if grep -Eqi 'incorrect|invalid|unknown' "$dsl"; then
		fail "$name: the disassembly flags a field"
		grep -Ei 'incorrect|invalid|unknown' "$dsl" | sed 's/^/    /'
	fi

	mkdir -p "$dir/rt"
	cp "$dsl" "$dir/rt/"
	# -oa: no optimizations, so AML comes back exactly as disassembled
	out=$(cd "$dir/rt" && iasl -oa "$sig.dsl" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || ! grep -q 'Compilation successful. 0 Errors, 0 Warnings' <<<"$out"; then
		fail "$name: its disassembly does not compile back cleanly (exit $rc)"
		grep -Ei 'error|warning' <<<"$out" | sed 's/^/    /'
	elif ! same_table "$dat" "$dir/rt/$sig.aml"; then
		fail "$name: recompiled disassembly differs from the table"
		cmp -l "$dat" "$dir/rt/$sig.aml" 2>&1 | head -5 | sed 's/^/    /'
	fi
}

check_namespace() {
	local dir=$1 cfg=$2 out obj
	out=$(cd "$dir" && timeout 60 acpiexec -b \
		'evaluate \_S5; evaluate \_SB.COM1._CRS; evaluate \_SB.COM1._STA; evaluate \_SB.RTC._CRS' \
		DSDT.dat FACP.dat 2>&1)
	for obj in '\_S5' '\_SB.COM1._CRS' '\_SB.COM1._STA' '\_SB.RTC._CRS'; do
		grep -qF "Evaluation of $obj returned object" <<<"$out" ||
			fail "$cfg: acpiexec could not evaluate $obj"
	done
	if grep -Eq 'ACPI Error|ACPI Exception|Firmware Warning' <<<"$out"; then
		fail "$cfg: acpiexec reported problems"
		grep -E 'ACPI Error|ACPI Exception|Firmware Warning' <<<"$out" | sed 's/^/    /'
	fi
}

have_acpiexec=0
command -v acpiexec >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1 && have_acpiexec=1

for dir in "$work"/*/; do
	dir=${dir%/}
	cfg=$(basename "$dir")
	for want in RSDP XSDT FACP APIC DSDT FACS; do
		[ -f "$dir/$want.dat" ] || fail "$cfg: no $want table"
	done
	case $cfg in
	numa-* | *-maxmem*) [ -f "$dir/SRAT.dat" ] || fail "$cfg: no SRAT table" ;;
	*) [ ! -f "$dir/SRAT.dat" ] || fail "$cfg: an SRAT without NUMA or memory hotplug" ;;
	esac
	case $cfg in
	*-asym* | *-sparse* | *-dist*) [ -f "$dir/SLIT.dat" ] || fail "$cfg: no SLIT table" ;;
	*) [ ! -f "$dir/SLIT.dat" ] || fail "$cfg: a SLIT without -numa dist" ;;
	esac
	case $cfg in
	*-hmat*) [ -f "$dir/HMAT.dat" ] || fail "$cfg: no HMAT table" ;;
	*) [ ! -f "$dir/HMAT.dat" ] || fail "$cfg: an HMAT without -machine hmat=on" ;;
	esac
	for dat in "$dir"/*.dat; do
		[ -f "$dat" ] || continue
		tables=$((tables + 1))
		name="$cfg/$(basename "$dat")"
		if [ "$(basename "$dat")" = RSDP.dat ]; then
			check_rsdp "$dat" "$name"
		else
			check_table "$dat" "$name"
		fi
	done
	if [ $have_acpiexec -eq 1 ] && [ -f "$dir/DSDT.dat" ] && [ -f "$dir/FACP.dat" ]; then
		check_namespace "$dir" "$cfg"
	fi
done

if [ $tables -eq 0 ]; then
	echo "FAIL: no tables found"
	exit 1
fi
if [ $failures -ne 0 ]; then
	echo "$failures problem(s) in $tables tables"
	exit 1
fi
echo "PASS: $tables tables, iasl $(iasl -v 2>/dev/null | grep -o 'version [0-9]*')$([ $have_acpiexec -eq 1 ] && echo ', namespace loaded by acpiexec')"
exit 0
