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

# layout NAME 'NEEDLE1|NEEDLE2...' ARGS...: -print-layout ARGS exits 0,
# prints nothing on stderr, and its plan on stdout holds every needle
layout() {
	local name=$1 needles=$2 problem="" needle
	shift 2
	run -print-layout "$@"
	if [ "$rc" -ne 0 ]; then
		problem="exit status $rc: $err"
	elif [ -n "$err" ]; then
		problem="stderr not empty: $err"
	else
		IFS='|' read -ra list <<<"$needles"
		for needle in "${list[@]}"; do
			if [[ "$out" != *"$needle"* ]]; then
				problem="plan lacks '$needle': $out"
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
# values holding control characters: still one line, the characters escaped
bad "a newline in a -m value stays on one line" "-m: invalid size '1\nG'" \
	-kernel "$kernel" -m $'1\nG'
bad "a newline in a -numa key stays on one line" "-numa node,\nfoo=1,\x1b[2J: unsupported parameter '\nfoo'" \
	-kernel "$kernel" -numa $'node,\nfoo=1,\e[2J'
bad "a newline in a -kernel path stays on one line" "-kernel: cannot read '$missing\n\r\tx': No such file" \
	-kernel "$missing"$'\n\r\tx'
bad "-m size without a digit before the point" "-m|'.25G'" \
	-kernel "$kernel" -m .25G
bad "-object size without a digit before the point" "-object|'.5M'" \
	-kernel "$kernel" -object memory-backend-ram,id=m,size=.5M
# -action with QEMU 7.2's words
bad "-action bad value" "-action reboot=halt: Parameter 'reboot' does not accept value 'halt'" \
	-kernel "$kernel" -action reboot=halt
bad "-action unknown key" "-action oops=reset: Invalid parameter 'oops'" \
	-kernel "$kernel" -action oops=reset
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
bad "-qmp without server=on" "-qmp|unix:$work/q|server=on" \
	-kernel "$kernel" -qmp "unix:$work/q"
bad "-qmp unknown backend" "-qmp|pty" \
	-kernel "$kernel" -qmp pty
bad "-qmp unknown key" "-qmp|nodelay" \
	-kernel "$kernel" -qmp "tcp:127.0.0.1:4444,server=on,nodelay=on"
bad "-qmp bad wait value" "-qmp|wait|on' or 'off" \
	-kernel "$kernel" -qmp "unix:$work/q,server=on,wait=maybe"
bad "-qmp tcp without port" "-qmp|tcp:localhost" \
	-kernel "$kernel" -qmp "tcp:localhost,server=on"
bad "-qmp tcp port 0" "-qmp|port '0'" \
	-kernel "$kernel" -qmp "tcp:127.0.0.1:0,server=on"
bad "-qmp unix path too long" "-qmp|longer than" \
	-kernel "$kernel" -qmp "unix:$work/$(printf 'x%.0s' $(seq 120)),server=on"
bad "-monitor stdio with the serial on stdio" "-monitor stdio|multiple character devices" \
	-kernel "$kernel" -monitor stdio
bad "-qmp stdio and -monitor stdio" "-monitor stdio|multiple character devices|-qmp stdio" \
	-kernel "$kernel" -serial none -qmp stdio -monitor stdio

# -numa: every rule of the plan (src/plan/numa.c), QEMU's wording
bad "-numa duplicate node id" "-numa node,nodeid=0,mem=64M|Duplicate NUMA nodeid: 0" \
	-kernel "$kernel" -numa node,mem=64M -numa node,nodeid=0,mem=64M
bad "-numa memory not summing to -m" \
	"-numa|total memory for NUMA nodes (0x60000000) should equal RAM size (0x80000000)" \
	-kernel "$kernel" -m 2G -numa node,mem=1G -numa node,mem=512M
bad "-numa cpus beyond maxcpus" "-numa node,cpus=0-4|CPU index (2) should be smaller than maxcpus (2)" \
	-kernel "$kernel" -smp 2 -numa node,cpus=0-4
bad "-numa cpu in two nodes" "-numa node,cpus=1|CPU 1 is already assigned to node-id: 0" \
	-kernel "$kernel" -smp 2 -numa node,cpus=0-1 -numa node,cpus=1
bad "-numa distance below 10" "-numa dist,src=0,dst=1,val=9|NUMA distance (9) is invalid" \
	-kernel "$kernel" -numa node -numa node -numa dist,src=0,dst=1,val=9
bad "-numa local distance not 10" "-numa dist,src=1,dst=1,val=20|Local distance of node 1 should be 10." \
	-kernel "$kernel" -numa node -numa node -numa dist,src=1,dst=1,val=20
bad "-numa asymmetric table with missing entries" \
	"-numa dist|At least one asymmetrical pair of distances is given" \
	-kernel "$kernel" -numa node -numa node -numa node -numa dist,src=0,dst=1,val=20 \
	-numa dist,src=1,dst=0,val=30 -numa dist,src=0,dst=2,val=20 -numa dist,src=1,dst=2,val=20
bad "-numa missing distance pair" "-numa dist|The distance between node 1 and 2 is missing" \
	-kernel "$kernel" -numa node -numa node -numa node -numa dist,src=0,dst=1,val=20 \
	-numa dist,src=0,dst=2,val=20
bad "-numa dist to an undeclared node" "-numa dist,src=0,dst=3,val=20|Source/Destination NUMA node is missing" \
	-kernel "$kernel" -numa node -numa dist,src=0,dst=3,val=20
bad "-numa unknown memdev" "-numa node,memdev=ram0|memdev=ram0: no memory backend with this id" \
	-kernel "$kernel" -numa node,memdev=ram0
bad "-numa mem and memdev mixed" "-numa node,mem=1G,memdev=ram0|mixing both is not allowed" \
	-kernel "$kernel" -numa node,mem=1G,memdev=ram0
bad "-numa node id above 127" "-numa node,nodeid=128|between 0 and 127" \
	-kernel "$kernel" -numa node,nodeid=128
bad "-numa cpu for an undeclared node" "-numa cpu,node-id=2,socket-id=0|Invalid node-id=2" \
	-kernel "$kernel" -numa node -numa cpu,node-id=2,socket-id=0
bad "-numa hmat-lb without -machine hmat=on" "-numa hmat-lb|HMAT) is disabled, enable it with -machine hmat=on" \
	-kernel "$kernel" -numa node,cpus=0 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=10
bad "-numa bad type" "-numa foo|invalid type 'foo'" \
	-kernel "$kernel" -numa foo
bad "-numa memdev used by two nodes" "-numa node,memdev=m0|memory backend m0 can't be used multiple times" \
	-kernel "$kernel" -m 2G -object memory-backend-ram,id=m0,size=1G -numa node,memdev=m0 \
	-numa node,memdev=m0
bad "-numa memdev with -machine memory-backend" "-numa node,memdev=m1|mutually exclusive" \
	-kernel "$kernel" -m 1G -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G \
	-machine memory-backend=m0 -numa node,memdev=m1
bad "-machine hmat with a bad value" "-machine hmat=maybe|hmat expects 'on' or 'off'" \
	-kernel "$kernel" -machine hmat=maybe
bad "-numa dist without nodes" "-numa dist,src=0,dst=0,val=10|no NUMA node is declared" \
	-kernel "$kernel" -numa dist,src=0,dst=0,val=10
bad "-numa cpu die-id with one die per socket" "-numa cpu,node-id=0,socket-id=0,die-id=0|die-id is not supported" \
	-kernel "$kernel" -smp 2,sockets=2 -numa node -numa cpu,node-id=0,socket-id=0,die-id=0
bad "-numa hmat-lb initiator with CPUs placed only by default" \
	"-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=10|Invalid initiator=0, it isn't an initiator proximity domain" \
	-kernel "$kernel" -machine hmat=on -m 2G -smp 2 -numa node,mem=1G -numa node,mem=1G,initiator=0 \
	-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=10

# -print-layout: the plan on stdout, exit 0, no VM: /dev/kvm is never
# opened and no guest RAM is mapped (a 1 TiB guest plans in no memory).
run -print-layout -m 1T,slots=2,maxmem=2T -smp 4,sockets=2 -numa node,nodeid=0,mem=768G \
	-numa node,nodeid=2,mem=256G -numa dist,src=0,dst=2,val=31
problem=""
if [ "$rc" -ne 0 ]; then
	problem="exit status $rc: $err"
elif [ -n "$err" ]; then
	problem="stderr not empty: $err"
else
	for needle in "node0-below-4g   [0x0000000000000000-0x00000000bfffffff] 3 GiB" \
		"node2-above-4g   [0x000000c040000000-0x000001003fffffff] 256 GiB" \
		"device-memory    [0x0000010040000000-0x00000200bfffffff] 1026 GiB, hotpluggable, node 2" \
		"node 0: mem 0xc000000000 (768 GiB), cpus 0-1" "node 2: mem 0x4000000000 (256 GiB), cpus 2-3" \
		"     0   10   31" "cpu 3: apic 3, socket 1 die 0 core 1 thread 0, node 2" \
		"[mem 0x0000000100000000-0x000001003fffffff] usable"; do
		if [[ "$out" != *"$needle"* ]]; then
			problem="output lacks '$needle': $out"
			break
		fi
	done
fi
report "-print-layout prints the plan and exits 0" "$problem"

# memdev nodes: each node's backend is its -object
run -print-layout -m 3G -object memory-backend-ram,id=fast,size=1G \
	-object memory-backend-memfd,id=slow,size=2G -numa node,memdev=fast -numa node,memdev=slow,cpus=0
problem=""
for needle in "node0-below-4g   [0x0000000000000000-0x000000003fffffff] 1 GiB, node 0, backend fast (memdev=) +0x0" \
	"node1-below-4g   [0x0000000040000000-0x00000000bfffffff] 2 GiB, node 1, backend slow (memdev=) +0x0" \
	"node 0: mem 0x40000000 (1 GiB), cpus none, backend fast (memdev=)"; do
	if [ "$rc" -ne 0 ] || [[ "$out" != *"$needle"* ]]; then
		problem="status $rc, output lacks '$needle': $out $err"
		break
	fi
done
report "-print-layout shows each node's memdev" "$problem"

# -machine memory-backend beside -numa mem=: one backend, each node's parts at their RAM offset
run -print-layout -m 4G -object memory-backend-ram,id=all,size=4G -machine memory-backend=all \
	-numa node,mem=2G -numa node,mem=2G
problem=""
for needle in "node1-below-4g   [0x0000000080000000-0x00000000bfffffff] 1 GiB, node 1, backend all (-machine memory-backend) +0x80000000" \
	"node1-above-4g   [0x0000000100000000-0x000000013fffffff] 1 GiB, node 1, backend all (-machine memory-backend) +0xc0000000"; do
	if [ "$rc" -ne 0 ] || [[ "$out" != *"$needle"* ]]; then
		problem="status $rc, output lacks '$needle': $out $err"
		break
	fi
done
report "-print-layout with -machine memory-backend and -numa mem=" "$problem"

# PCI windows as QEMU 7.2's i440FX reports them (qom-get pci-hole-start,
# pci-hole64-start/-end for -m 6G), and the fixed functions of bus 0
run -print-layout -m 6G
problem=""
for needle in "pci-hole         [0x00000000c0000000-0x00000000febfffff] 1004 MiB, 32-bit BARs below 0xfeb00000" \
	"pci-ecam         [0x00000000feb00000-0x00000000febfffff] 1 MiB, config space of bus 0" \
	"pci-hole64       [0x00000001c0000000-0x000000023fffffff] 2 GiB, 64-bit BARs" \
	"00:00.0 8086:1237 i440FX" "00:01.0 8086:7000 PIIX3"; do
	if [ "$rc" -ne 0 ] || [[ "$out" != *"$needle"* ]]; then
		problem="status $rc, output lacks '$needle': $out $err"
		break
	fi
done
report "-print-layout shows the PCI windows and functions" "$problem"

if command -v strace >/dev/null 2>&1; then
	strace -f -e trace=openat,open,mmap -o "$work/trace" "$KVMEM" -print-layout -m 64G \
		-numa node -numa node >/dev/null 2>&1
	problem=""
	if grep -q '/dev/kvm' "$work/trace"; then
		problem="it opened /dev/kvm"
	elif grep -E 'mmap\(NULL, [0-9]{9,}' "$work/trace" | grep -q .; then
		problem="it mapped guest-sized memory: $(grep -E 'mmap\(NULL, [0-9]{9,}' "$work/trace" | head -1)"
	fi
	report "-print-layout creates no VM (strace)" "$problem"
fi

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
bad "-object memfd size not a whole number of pages" "-object id=m|size 0x3e8 is not a multiple of the page size 0x1000" \
	-kernel "$kernel" -object memory-backend-memfd,id=m,size=1000
bad "-object file readonly=on" "-object id=m|readonly=on is not supported" \
	-kernel "$kernel" -object memory-backend-file,id=m,size=1M,mem-path="$work/f",readonly=on
bad "-object file pmem=on" "-object id=m|pmem=on is not supported" \
	-kernel "$kernel" -object memory-backend-file,id=m,size=1M,mem-path="$work/f",pmem=on
bad "-object unsupported type" "-object|'iothread'" \
	-kernel "$kernel" -object iothread,id=io
bad "-machine unknown backend" "-machine|memory-backend=nope|not found" \
	-kernel "$kernel" -machine memory-backend=nope
bad "-machine backend size differs from -m" "memory-backend=m|does not match" \
	-kernel "$kernel" -m 256M -object memory-backend-ram,id=m,size=128M -machine memory-backend=m

# Errors found while creating the backend (after parsing, before KVM):
# these need a kernel that passes machine_plan()'s checks of the boot
# protocol header, so a bzImage header with nothing behind it.
bzimage="$work/header-only-bzImage"
python3 - "$bzimage" <<'EOF_PY'
import sys
img = bytearray(4096)
img[0x1f1] = 1                                  # setup_sects
img[0x1fe:0x200] = b"\x55\xaa"                  # boot flag
img[0x202:0x206] = b"HdrS"
img[0x206:0x208] = (0x020f).to_bytes(2, "little")  # boot protocol 2.15
img[0x211] = 0x01                               # LOADED_HIGH
img[0x236] = 0x01                               # XLF_KERNEL_64
img[0x238:0x23c] = (2048).to_bytes(4, "little")   # cmdline_size
img[0x260:0x264] = (1 << 20).to_bytes(4, "little")  # init_size
open(sys.argv[1], "wb").write(img)
EOF_PY
bad "backend mem-path cannot be opened" "memory backend 'm'|$missing/x|No such file" \
	-kernel "$bzimage" -m 128M -object memory-backend-file,id=m,size=128M,mem-path="$missing/x" \
	-machine memory-backend=m
bad "backend bound to a host node that does not exist" "memory backend 'm'|host NUMA nodes 63|policy=bind" \
	-kernel "$bzimage" -m 128M -object memory-backend-ram,id=m,size=128M,host-nodes=63,policy=bind \
	-machine memory-backend=m
# no host has 1 TiB of free 2 MiB pages: refused when mapping, no SIGBUS
bad "hugetlb memfd without enough huge pages" "memory backend 'm'|huge pages|nr_hugepages" \
	-kernel "$bzimage" -m 1T -object memory-backend-memfd,id=m,size=1T,hugetlb=on,hugetlbsize=2M \
	-machine memory-backend=m
echo "# file-backed existing data: never truncated"
printf 'x' >"$work/small"
bad "backing file smaller than size" "memory backend 'm'|$work/small|does not match" \
	-kernel "$bzimage" -m 128M -object memory-backend-file,id=m,size=128M,mem-path="$work/small" \
	-machine memory-backend=m

# The memory map must end within the guest CPU's physical addresses: as
# wide as the host's, which -print-layout states.  1 GiB RAM and 1 slot put
# the window at [4 GiB, 4 GiB + maxmem).
run -print-layout -m 1G
bits=$(sed -n 's/^phys-bits: \([0-9]*\) .*/\1/p' <<<"$out")
if [ -z "$bits" ] || [ "$bits" -lt 36 ] || [ "$bits" -gt 52 ]; then
	report "-print-layout states the guest's phys-bits" "no phys-bits line in: $out"
else
	report "-print-layout states the guest's phys-bits" ""
	edge=$(((1 << bits) - (4 << 30)))
	layout "a map that ends at 2^$bits fits $bits phys-bits" \
		"phys-bits: $bits (the host CPU's), the map ends at $(printf '0x%x' $((1 << bits)))" \
		-m 1G,slots=1,maxmem=$edge
	if [ "$bits" -lt 52 ]; then
		bad "a map that ends past 2^$bits" \
			"-m: Address space limit $(printf '0x%x' $(((1 << bits) - 1))) < $(printf '0x%x' $(((1 << bits) + 4095))) phys-bits too low ($bits)" \
			-kernel "$kernel" -m 1G,slots=1,maxmem=$((edge + 4096))
	fi
fi

# the boot plan: where the kernel and initrd go, and across which nodes (the
# initrd's place depends on the real kernel's header, which install-deps.sh
# installs with linux-image-amd64)
real_kernel=$(ls /boot/vmlinuz-* 2>/dev/null | tail -1)
if [ -z "$real_kernel" ] || [ ! -r "$real_kernel" ]; then
	report "-print-layout shows the boot plan and the nodes it lies in" "no readable /boot/vmlinuz-*"
else
	head -c $((1024 * 1024 + 4096)) /dev/zero >"$work/initrd"
	run -print-layout -m 4G -smp 2 -numa node,nodeid=0,cpus=0,mem=1G \
		-numa node,nodeid=1,cpus=1,mem=1048320K -numa node,nodeid=2,mem=2097408K \
		-kernel "$real_kernel" -initrd "$work/initrd"
	problem=""
	for needle in "acpi-tables      [0x00000000000e0000-" \
		"kernel           [0x0000000000100000-" \
		"initrd           [0x000000007feff000-0x000000007fffffff] 1028 KiB, nodes 1-2"; do
		if [ "$rc" -ne 0 ] || [[ "$out" != *"$needle"* ]]; then
			problem="status $rc, output lacks '$needle': $out $err"
			break
		fi
	done
	report "-print-layout shows the boot plan and the nodes it lies in" "$problem"
fi

# Lines QEMU 7.2 accepts, found by running random lines through both
layout "empty -m, -smp, -machine and -name change nothing" \
	"memory: size 0x40000000 (1 GiB)|cpus: 2 of 2 possible" \
	-m 1G -smp 2 -m '' -smp '' -machine '' -name ''
layout "CPUs no -numa option places go to node 0 once one CPU is placed" \
	"node 0: mem 0xc0000000 (3 GiB), cpus 0,2-3, backend m0|node 1: mem 0x0 (0 B), cpus 1, backend none (no memory)|cpu 3: apic 3, socket 1 die 0 core 1 thread 0, node 0" \
	-m 3G -smp 4,sockets=2 -object memory-backend-ram,id=m0,size=3G -numa node,memdev=m0 -numa node,cpus=1
layout "-machine hmat=on without -numa node" "memory: size 0x8000000 (128 MiB)" \
	-machine hmat=on -smp 2
layout "memory-backend-file's readonly=off, pmem=off, discard-data and x-use-canonical-path-for-ramblock-id" \
	"node 0: mem 0x8000000 (128 MiB), cpus 0, backend f (memdev=)" \
	-object memory-backend-file,id=f,size=128M,mem-path="$work/f",readonly=off,pmem=off,discard-data=on,x-use-canonical-path-for-ramblock-id=on \
	-numa node,memdev=f

# --help: usage on stdout, nothing on stderr, status 0
run --help
problem=""
if [ "$rc" -ne 0 ]; then
	problem="exit status $rc"
elif [ -n "$err" ]; then
	problem="stderr not empty: $err"
else
	for needle in "usage:" "-m [size=]" "-smp " "-kernel " "-initrd " "-append " \
		"-serial " "-nographic" "-name " "-no-reboot" "-no-shutdown" "-action " "-version" \
		"-object " "-machine " "-qmp " "-monitor " "-S "; do
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
