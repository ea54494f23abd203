#!/bin/bash
# device_test.sh KVMEM KVMEM_SIM - -device on the command line, as a user
# meets it: each bad -device gives exactly one line on stderr, "kvmem: "
# then "-device ARG: " and QEMU 7.2's message for the same input, exit
# status 1, nothing on stdout and nothing left behind (no monitor socket);
# -device help and DRIVER,help print QEMU's layouts and exit 0.
#
# kvmem itself has one device driver, isa-serial (COM1 on a chardev), so
# its -device help lists that one; kvmem-sim (tests/qmp) adds its test device
# kvmem-sim-dev, which has a property of every type, and is used for the
# property errors.  Prints one TAP line per case; exits non-zero on failure.
set -u

KVMEM=${1:?usage: device_test.sh KVMEM KVMEM_SIM}
SIM=${2:?usage: device_test.sh KVMEM KVMEM_SIM}

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
# The least boot_probe accepts (a 64-bit boot protocol header), so that a
# -device refused by its driver's realize is what stops kvmem.
kernel="$work/bzImage"
python3 - "$kernel" <<'EOF_PY' || exit 1
import sys
img = bytearray(4096)
img[0x1f1] = 1
img[0x1fe:0x200] = b"\x55\xaa"
img[0x202:0x206] = b"HdrS"
img[0x206:0x208] = (0x020f).to_bytes(2, "little")
img[0x211] = 0x01
img[0x236] = 0x01
img[0x238:0x23c] = (2048).to_bytes(4, "little")
img[0x260:0x264] = (1 << 20).to_bytes(4, "little")
open(sys.argv[1], "wb").write(img)
EOF_PY
sock="$work/qmp.sock"

failed=0
n=0

report() { # report NAME PROBLEM(empty when fine)
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: $2"
		failed=$((failed + 1))
	fi
}

# run BINARY ARGS...: sets rc, out, err
run() {
	local bin=$1
	shift
	rm -f "$sock"
	timeout 20 "$bin" -kernel "$kernel" -serial none -qmp "unix:$sock,server=on,wait=off" \
		"$@" >"$work/stdout" 2>"$work/stderr"
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
}

# bad NAME BINARY EXPECTED_STDERR ARGS...: exactly that one line, exit 1
bad() {
	local name=$1 bin=$2 want=$3 problem=""
	shift 3
	run "$bin" "$@"
	if [ "$rc" -ne 1 ]; then
		problem="exit status $rc, expected 1 (stderr: $err)"
	elif [ -n "$out" ]; then
		problem="stdout not empty: $out"
	elif [ "$(wc -l <"$work/stderr")" -ne 1 ]; then
		problem="not one line on stderr: $err"
	elif [ "$err" != "$want" ]; then
		problem="stderr is '$err', expected '$want'"
	elif [ -e "$sock" ]; then
		problem="the QMP socket was created: something started"
	fi
	report "$name" "$problem"
}

m0=(-object memory-backend-ram,id=m0,size=1M)

# ---- kvmem: its own drivers (pc-dimm) ----
bad "unknown driver" "$KVMEM" "kvmem: -device foo: 'foo' is not a valid device model name" \
	-device foo
bad "empty -device" "$KVMEM" "kvmem: -device : Parameter 'driver' is missing" -device ''
bad "-device with only an id" "$KVMEM" "kvmem: -device id=x: Parameter 'driver' is missing" \
	-device id=x
bad "empty driver name" "$KVMEM" "kvmem: -device ,: '' is not a valid device model name" \
	-device ,
bad "an id that is not an identifier" "$KVMEM" \
	"kvmem: -device foo,id=0d: Parameter 'id' expects an identifier" -device foo,id=0d
bad "JSON: no driver" "$KVMEM" "kvmem: -device {}: Parameter 'driver' is missing" -device '{}'
bad "JSON: driver not a string" "$KVMEM" \
	"kvmem: -device {\"driver\": 5}: Parameter 'driver' is missing" -device '{"driver": 5}'
bad "JSON: unknown driver" "$KVMEM" \
	"kvmem: -device {\"driver\": \"nvdimm\"}: 'nvdimm' is not a valid device model name" \
	-device '{"driver": "nvdimm"}'
bad "JSON: two values" "$KVMEM" \
	"kvmem: -device {\"driver\": \"x\"} x: Expecting at most one JSON value" \
	-device '{"driver": "x"} x'
run "$KVMEM" -device '{"driver": '
report "JSON: a syntax error" "$([[ $rc -eq 1 && $err == "kvmem: -device {\"driver\": : JSON parse error, "* ]] || echo "rc $rc: $err")"
bad "DRIVER,help of an unknown driver" "$KVMEM" "kvmem: -device nvdimm,help: Device 'nvdimm' not found" \
	-device nvdimm,help
isa=$'\nInput devices:\nname "isa-serial", bus ISA'
balloon=$'name "virtio-balloon-pci", bus PCI, alias "virtio-balloon"'
misc=$'\n\nMisc devices:\nname "pc-dimm", desc "DIMM memory module"\n'"$balloon"$'\nname "virtio-mem-pci", bus PCI'
help_out="$isa$misc"
run "$KVMEM" -device help
report "-device help: kvmem lists its drivers (isa-serial, pc-dimm, virtio-balloon-pci, virtio-mem-pci), exit 0" \
	"$([[ $rc -eq 0 && $out == "$help_out" && -z $err ]] || echo "rc $rc out '$out' err '$err'")"
run "$KVMEM" -device '?'
report "-device ?: the same" "$([[ $rc -eq 0 && $out == "$help_out" && -z $err ]] || echo "rc $rc: $out $err")"
run "$KVMEM" -device pc-dimm,help
report "-device pc-dimm,help: QEMU 7.2's text" "$([[ $rc -eq 0 && $out == $'pc-dimm options:\n  addr=<uint64>          -  (default: 0)\n  memdev=<link<memory-backend>>\n  node=<uint32>          -  (default: 0)\n  size=<uint64>\n  slot=<int32>           -  (default: -1)' ]] || echo "rc $rc: $out")"
run "$KVMEM" -device help -m 12X
report "-device help acts where it stands (what follows is not read)" \
	"$([[ $rc -eq 0 ]] || echo "rc $rc: $err")"

# ---- kvmem-sim: its test device, every kind of property ----
S="$SIM"
run "$S" -device help
report "-device help: QEMU's layout" "$([[ $rc -eq 0 && $out == "$isa"$'\n\nMisc devices:\nname "kvmem-sim-dev", desc "kvmem-sim\'s test device"\nname "pc-dimm", desc "DIMM memory module"\n'"$balloon"$'\nname "virtio-mem-pci", bus PCI' ]] || echo "rc $rc: $out")"
run "$S" -device kvmem-sim-dev,help
report "DRIVER,help: QEMU's columns, sorted" "$(
	[[ $rc -eq 0 && $(sed -n 1p <<<"$out") == "kvmem-sim-dev options:" &&
	$out == *$'\n  count=<uint32>         -  (default: 1)\n'* &&
	$out == *$'\n  memdev=<link<memory-backend>>\n'* &&
	$out == *$'\n  mode=<OnOffAuto>       - on/off/auto (default: "auto")\n'* &&
	$out == *$'\n  unplug-delay-ms=<uint32> -  (default: 0)' ]] || echo "rc $rc: $out")"

bad "missing required property" "$S" "kvmem: -device kvmem-sim-dev: 'memdev' property must be set" \
	-device kvmem-sim-dev
bad "link to no object" "$S" "kvmem: -device kvmem-sim-dev,memdev=m9: Device 'm9' not found" \
	-device kvmem-sim-dev,memdev=m9
bad "unknown property" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,foo=1: Property 'kvmem-sim-dev.foo' not found" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,foo=1
bad "read-only property" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,status=1: Property 'kvmem-sim-dev.status' is not writable" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,status=1
bad "bad boolean" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,flag=maybe: Parameter 'flag' expects 'on' or 'off'" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,flag=maybe
bad "bare boolean (kvmem asks for the value)" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,flag: parameter 'flag' needs a value (flag=on)" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,flag
bad "bad number" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,count=x: Parameter 'count' expects integer" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,count=x
bad "number out of range" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,count=-1: Parameter 'count' expects uint32_t" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,count=-1
bad "int32 out of range" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,slot=2147483648: Parameter 'slot' expects int32_t" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,slot=2147483648
bad "bad size" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,size=1.5: Parameter 'size' expects size" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,size=1.5
bad "bad enum value" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,mode=maybe: Parameter 'mode' does not accept value 'maybe'" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,mode=maybe
bad "JSON: a boolean as text" "$S" \
	"kvmem: -device {\"driver\":\"kvmem-sim-dev\",\"memdev\":\"m0\",\"flag\":\"on\"}: Invalid parameter type for 'flag', expected: boolean" \
	"${m0[@]}" -device '{"driver":"kvmem-sim-dev","memdev":"m0","flag":"on"}'
bad "JSON: a number as text" "$S" \
	"kvmem: -device {\"driver\":\"kvmem-sim-dev\",\"memdev\":\"m0\",\"count\":\"1\"}: Parameter 'count' expects uint64" \
	"${m0[@]}" -device '{"driver":"kvmem-sim-dev","memdev":"m0","count":"1"}'
bad "duplicate id, text forms" "$S" \
	"kvmem: -device kvmem-sim-dev,id=d,memdev=m0: Duplicate ID 'd' for device" \
	"${m0[@]}" -device kvmem-sim-dev,id=d,memdev=m0 -device kvmem-sim-dev,id=d,memdev=m0
bad "duplicate id with a JSON one" "$S" \
	"kvmem: -device {\"driver\":\"kvmem-sim-dev\",\"id\":\"d\",\"memdev\":\"m0\"}: Duplicate device ID 'd'" \
	"${m0[@]}" -device '{"driver":"kvmem-sim-dev","id":"d","memdev":"m0"}' \
	-device kvmem-sim-dev,id=d,memdev=m0
bad "the driver's realize refuses: nothing starts" "$S" \
	"kvmem: -device kvmem-sim-dev,memdev=m0,fail-realize=on: kvmem-sim-dev: realize refused (fail-realize=on)" \
	"${m0[@]}" -device kvmem-sim-dev,memdev=m0,fail-realize=on
bad "-print-layout checks -device too" "$S" \
	"kvmem: -device kvmem-sim-dev: 'memdev' property must be set" \
	-print-layout -device kvmem-sim-dev

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
