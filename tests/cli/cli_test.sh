#!/bin/bash
# cli_test.sh KVMEM_BINARY - run the real binary with bad command lines and
# check what a user sees: exactly one line on stderr, "kvmem: " followed by
# the option and the offending value, exit status 1, nothing on stdout.
# Also --help and --version.  Prints one "ok"/"not ok" line per case (TAP
# style) and exits non-zero if any case failed.
set -u

KVMEM=${1:?usage: cli_test.sh KVMEM_BINARY}
if [ ! -x "$KVMEM" ]; then
	echo "not ok - $KVMEM is not an executable"
	exit 1
fi

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
kernel="$work/bzImage" # a readable stand-in: parsing only opens it
printf 'MZ' >"$kernel"
missing="$work/does-not-exist"

failed=0
n=0

# run ARGS...: sets rc, out, err
run() {
	timeout 20 "$KVMEM" "$@" >"$work/stdout" 2>"$work/stderr"
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
}

report() { # report NAME PROBLEM(empty when fine)
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: $2"
		failed=$((failed + 1))
	fi
}

# bad NAME 'NEEDLE1|NEEDLE2...' ARGS...: one stderr line holding every needle
bad() {
	local name=$1 needles=$2 problem="" lines needle
	shift 2
	run "$@"
	lines=$(wc -l <"$work/stderr")
	if [ "$rc" -ne 1 ]; then
		problem="exit status $rc, expected 1"
	elif [ -n "$out" ]; then
		problem="stdout not empty: $out"
	elif [ "$lines" -ne 1 ]; then
		problem="$lines lines on stderr, expected 1: $err"
	elif [[ "$err" != "kvmem: "* ]]; then
		problem="stderr does not start with 'kvmem: ': $err"
	else
		IFS='|' read -ra list <<<"$needles"
		for needle in "${list[@]}"; do
			if [[ "$err" != *"$needle"* ]]; then
				problem="stderr lacks '$needle': $err"
				break
			fi
		done
	fi
	report "$name" "$problem"
}

bad "unsupported option" "-foo" \
	-kernel "$kernel" -foo
bad "unsupported option with two dashes" "--bogus" \
	-kernel "$kernel" --bogus 1
bad "stray argument" "disk.img" \
	-kernel "$kernel" disk.img
bad "option missing its value" "-m|missing value" \
	-kernel "$kernel" -m
bad "bad -m value" "-m|12X" \
	-kernel "$kernel" -m 12X
bad "-m unknown key" "-m|foo" \
	-kernel "$kernel" -m 1G,foo=2
bad "missing kernel file" "-kernel|$missing|No such file or directory" \
	-kernel "$missing"
bad "no -kernel at all" "-kernel" \
	-m 1G
bad "missing initrd file" "-initrd|$missing.img|No such file or directory" \
	-kernel "$kernel" -initrd "$missing.img"
bad "maxmem below size" "-m|maxmem=512M" \
	-kernel "$kernel" -m 1G,maxmem=512M,slots=1
bad "slots without maxmem" "-m|slots=4" \
	-kernel "$kernel" -m 1G,slots=4
bad "slots=256" "-m|slots=256" \
	-kernel "$kernel" -m 1G,slots=256,maxmem=8G
bad "bad -smp topology" "-smp|8,sockets=3|Invalid CPU topology" \
	-kernel "$kernel" -smp 8,sockets=3
bad "bad -smp number" "-smp|x" \
	-kernel "$kernel" -smp x
bad "too many cpus" "-smp|300" \
	-kernel "$kernel" -smp 300
bad "-serial pty" "-serial|pty" \
	-kernel "$kernel" -serial pty
bad "bad -m with two dashes" "-m|12X" \
	--kernel "$kernel" --m 12X

# -object memory-backend-* and -machine memory-backend: parsing errors
bad "-object unknown property" "-object|'foo'" \
	-kernel "$kernel" -object memory-backend-ram,id=m,size=1M,foo=1
bad "-object duplicate id" "-object|Duplicate ID 'm'" \
	-kernel "$kernel" -object memory-backend-ram,id=m,size=1M -object memory-backend-ram,id=m,size=2M
bad "-object missing size" "-object|'size' is missing" \
	-kernel "$kernel" -object memory-backend-ram,id=m
bad "-object missing id" "-object|'id' is missing" \
	-kernel "$kernel" -object memory-backend-memfd,size=1M
bad "-object file without mem-path" "-object|'mem-path' is missing" \
	-kernel "$kernel" -object memory-backend-file,id=m,size=1M
bad "-object bad bool" "-object|'prealloc'|'maybe'" \
	-kernel "$kernel" -object memory-backend-ram,id=m,size=1M,prealloc=maybe
bad "-object bad host-nodes" "-object|host-nodes|'0-1:3'" \
	-kernel "$kernel" -object memory-backend-ram,id=m,size=1M,host-nodes=0-1:3,policy=bind
bad "-object bind without host-nodes" "-object|id=m|policy bind" \
	-kernel "$kernel" -object memory-backend-ram,id=m,size=1M,policy=bind
bad "-object prealloc with reserve=off" "-object|id=m|incompatible" \
	-kernel "$kernel" -object memory-backend-ram,id=m,size=1M,prealloc=on,reserve=off
bad "-object unsupported type" "-object|'iothread'" \
	-kernel "$kernel" -object iothread,id=io
bad "-machine unknown backend" "-machine|memory-backend=nope|not found" \
	-kernel "$kernel" -machine memory-backend=nope
bad "-machine backend size differs from -m" "memory-backend=m|does not match" \
	-kernel "$kernel" -m 256M -object memory-backend-ram,id=m,size=128M -machine memory-backend=m

# Errors found while creating the backend (after parsing, before KVM):
# these need a kernel that passes machine_plan(), so a real one.
real_kernel=$(ls /boot/vmlinuz-* 2>/dev/null | tail -1)
if [ -n "$real_kernel" ] && [ -r "$real_kernel" ]; then
	bad "backend mem-path cannot be opened" "memory backend 'm'|$missing/x|No such file" \
		-kernel "$real_kernel" -m 128M -object memory-backend-file,id=m,size=128M,mem-path="$missing/x" \
		-machine memory-backend=m
	bad "backend bound to a host node that does not exist" "memory backend 'm'|host NUMA nodes 63|policy=bind" \
		-kernel "$real_kernel" -m 128M -object memory-backend-ram,id=m,size=128M,host-nodes=63,policy=bind \
		-machine memory-backend=m
	# no host has 1 TiB of free 2 MiB pages: refused when mapping, no SIGBUS
	bad "hugetlb memfd without enough huge pages" "memory backend 'm'|huge pages|nr_hugepages" \
		-kernel "$real_kernel" -m 1T -object memory-backend-memfd,id=m,size=1T,hugetlb=on,hugetlbsize=2M \
		-machine memory-backend=m
	echo "# file-backed existing data: never truncated"
	printf 'x' >"$work/small"
	bad "backing file smaller than size" "memory backend 'm'|$work/small|does not match" \
		-kernel "$real_kernel" -m 128M -object memory-backend-file,id=m,size=128M,mem-path="$work/small" \
		-machine memory-backend=m
else
	echo "# skipping backend-creation cases: no readable /boot/vmlinuz-*"
fi

# --help: usage on stdout, nothing on stderr, status 0
run --help
problem=""
if [ "$rc" -ne 0 ]; then
	problem="exit status $rc"
elif [ -n "$err" ]; then
	problem="stderr not empty: $err"
else
	for needle in "usage:" "-m [size=]" "-smp " "-kernel " "-initrd " "-append " \
		"-serial " "-nographic" "-name " "-no-reboot" "-version" "-object " "-machine "; do
		if [[ "$out" != *"$needle"* ]]; then
			problem="help lacks '$needle'"
			break
		fi
	done
fi
report "--help prints usage and exits 0" "$problem"

run -h
problem=""
[ "$rc" -eq 0 ] && [[ "$out" == *"usage:"* ]] || problem="status $rc, stdout: $out"
report "-h prints usage and exits 0" "$problem"

# --version: one line naming kvmem and a version number
for opt in --version -version; do
	run "$opt"
	problem=""
	if [ "$rc" -ne 0 ]; then
		problem="exit status $rc"
	elif [ -n "$err" ]; then
		problem="stderr not empty: $err"
	elif ! [[ "$out" =~ ^kvmem\ version\ [0-9]+\.[0-9]+ ]]; then
		problem="unexpected output: $out"
	fi
	report "$opt prints the version and exits 0" "$problem"
done

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n failed"
	exit 1
fi
exit 0
