#!/bin/bash
# libvirt_test.sh KVMEM KVMEM_SIM - Debian's libvirt 9.0 drives kvmem.
#
# A libvirtd of its own (tmpfs over libvirt's directories in a private
# mount namespace: its own configuration, sockets, logs and caches; the
# qemu.conf settings of ../shared/LIBVIRT.md) probes kvmem and kvmem-sim
# (virsh domcapabilities), then defines, starts, inspects, shuts down,
# destroys and undefines a domain whose emulator is kvmem-sim: 2 vCPUs,
# 2 NUMA cells, memfd shared backing, maxMemory slots=4, the serial port on
# a file, a virtio balloon with guest statistics (its simulated guest drives
# it: dommemstat, setmem, <currentMemory>), and plugs and unplugs a 256 MiB
# DIMM into it (virsh attach-device and detach-device: object-add,
# device_add, query-memory-devices, then device_del, DEVICE_DELETED from the
# guest's ejection, object-del), attaches a virtio-mem device and resizes it
# (update-memory-device); then starts a domain with a virtio-mem device in
# its XML.  The
# QMP libvirt sent and what kvmem answered are checked in
# libvirt's own log (log_filters qemu_monitor).  libvirtd is stopped at the
# end, whatever happened.  Needs root (libvirt's system driver, mount
# namespaces): otherwise it says so and is skipped.
set -u
kvmem=$(realpath "$1")
sim=$(realpath "$2")

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (libvirtd's system instance in a private mount namespace)"
	exit 77
fi
for p in libvirtd virsh unshare; do
	command -v $p >/dev/null || { echo "FAIL: $p missing (scripts/install-deps.sh installs it)"; exit 1; }
done
if [ -z "${LIBVIRT_TEST_INSIDE:-}" ]; then
	LIBVIRT_TEST_INSIDE=1 exec unshare -m --propagation private "$0" "$@"
fi

pass=0
fail=0
check() { # check WHAT COMMAND...: passes when the command succeeds
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
		pass=$((pass + 1))
	else
		echo "FAIL: $what"
		fail=$((fail + 1))
	fi
}

work=$(mktemp -d /tmp/kvmem-libvirt.XXXXXX)
for d in /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
	mkdir -p $d && mount -t tmpfs kvmem-libvirt-test $d || { echo "FAIL: cannot mount over $d"; exit 1; }
done
. "$(dirname "$0")/libvirtd-setup.sh"
libvirtd_configure /var/log/libvirt/libvirtd.log
stop() {
	virsh -q destroy lvtest >/dev/null 2>&1
	virsh -q destroy lvvmem >/dev/null 2>&1
	kill "$lvpid" 2>/dev/null && wait "$lvpid" 2>/dev/null
	rm -rf "$work"
}
trap stop EXIT
# a pid file of its own: another libvirtd on the machine keeps /run/libvirtd.pid
libvirtd_start --pid-file "$work/libvirtd.pid"
if [ ! -S /run/libvirt/libvirt-sock ]; then
	echo "FAIL: libvirtd did not listen on /run/libvirt/libvirt-sock; its output:"
	tail -20 /var/log/libvirt/stdout.log /var/log/libvirt/libvirtd.log 2>/dev/null
	exit 1
fi
log=/var/log/libvirt/libvirtd.log
export LIBVIRT_DEFAULT_URI=qemu:///system

# ---- probe ----
virsh domcapabilities --emulatorbin "$sim" --virttype qemu >"$work/caps-sim" 2>&1
check "domcapabilities of kvmem-sim" grep -q "<machine>pc-i440fx-7.2</machine>" "$work/caps-sim"
check "kvmem-sim offers memfd backing" grep -q "<value>memfd</value>" "$work/caps-sim"
# real kvmem: KVM only, so virt type kvm where /dev/kvm works, none elsewhere
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	virsh domcapabilities --emulatorbin "$kvmem" >"$work/caps-kvmem" 2>&1
	check "domcapabilities of kvmem (kvm)" grep -q "<domain>kvm</domain>" "$work/caps-kvmem"
fi
virsh domcapabilities --emulatorbin "$kvmem" --virttype qemu >"$work/caps-tcg" 2>&1
check "kvmem offers no virt type qemu (it has no TCG)" \
	grep -q "does not support virt type 'qemu'" "$work/caps-tcg"
# libvirt 9.0's domcapabilities has no element for memory devices or the
# balloon: it decides which it accepts from the capabilities it keeps in
# its cache, one file per emulator.  Each memory device model is there
# exactly when the emulator has the driver (-device help), and the flat
# object-add and JSON device_add libvirt needs for hotplug are there.
capfile() { grep -l "<emulator>$1</emulator>" /var/cache/libvirt/qemu/capabilities/*.xml | head -n 1; }
has_flag() { grep -q "<flag name='$2'/>" "$(capfile "$1")"; }
flag_iff_driver() { # EMULATOR FLAG DRIVER
	if "$1" -device help | grep -q "name \"$3\""; then has_flag "$1" "$2"; else ! has_flag "$1" "$2"; fi
}
flag_iff_prop() { # EMULATOR FLAG:DRIVER:PROPERTY
	local flag=${2%%:*} rest=${2#*:}
	if "$1" -device "${rest%%:*},help" 2>/dev/null | grep -q "^  ${rest#*:}="; then
		has_flag "$1" "$flag"
	else
		! has_flag "$1" "$flag"
	fi
}
for emu in "$sim" "$kvmem"; do
	n=$(basename "$emu")
	check "$n: libvirt's capabilities were cached" test -n "$(capfile "$emu")"
	for f in memory-backend-memfd memory-backend-memfd.hugetlb object.qapified device.json+hotplug; do
		check "$n: libvirt's capability $f" has_flag "$emu" "$f"
	done
	for d in pc-dimm virtio-mem-pci nvdimm virtio-pmem-pci; do
		check "$n: libvirt's capability $d exactly when kvmem has the driver" \
			flag_iff_driver "$emu" "$d" "$d"
	done
	# properties libvirt keys on: a flag exactly when the driver lists it
	for f in virtio-mem-pci.prealloc:virtio-mem-pci:prealloc \
		virtio-balloon-pci.deflate-on-oom:virtio-balloon-pci:deflate-on-oom \
		virtio-balloon.free-page-reporting:virtio-balloon-pci:free-page-reporting; do
		check "$n: libvirt's capability ${f%%:*} exactly when kvmem's driver has the property" \
			flag_iff_prop "$emu" "$f"
	done
done
for f in virtio-mem-pci virtio-mem-pci.prealloc virtio-balloon-pci.deflate-on-oom \
	virtio-balloon.free-page-reporting; do
	check "kvmem: $f is a capability (virtio-mem and the balloon through libvirt)" \
		has_flag "$kvmem" "$f"
done
check "kvmem-sim: pc-dimm is a capability (DIMMs through libvirt)" has_flag "$sim" pc-dimm
for c in query-version query-target query-qmp-schema query-commands query-kvm qom-list-types \
	query-machines query-command-line-options query-migrate-capabilities; do
	check "probe: $c answered" grep -q "\"execute\":\"$c\".*" "$log"
done
check "probe: qom-list-properties memory-backend-memfd answered" \
	grep -q '"execute":"qom-list-properties","arguments":{"typename":"memory-backend-memfd"}' "$log"
# every probe reply, except for the types kvmem does not have and query-tpm-*
bad=$(grep -a "QEMU_MONITOR_RECV_REPLY" "$log" | grep -a '"error"' |
	grep -av 'DeviceNotFound\|query-tpm' || true)
check "probe: no other command refused" test -z "$bad"
[ -z "$bad" ] || echo "$bad" | cut -c1-300

# ---- the serial port on a descriptor passed with -add-fd, as libvirt may ----
rm -f "$work/fdset.log"
(
	exec 3>>"$work/fdset.log"
	timeout 3 "$sim" -kernel "$(ls /boot/vmlinuz-* | head -n 1)" -nodefaults -add-fd \
		set=0,fd=3,opaque=serial0-source -chardev file,id=s,path=/dev/fdset/0,append=on \
		-device '{"driver":"isa-serial","chardev":"s","id":"serial0","index":0}' \
		>/dev/null 2>&1 3>&3
) 3>&-
check "isa-serial on /dev/fdset/0 writes to the passed descriptor" grep -q "sim: tick" \
	"$work/fdset.log"
# append=on on a descriptor opened without O_APPEND (at offset 0), as
# libvirt may pass one: appended all the same, as QEMU sets O_APPEND on it
echo "written before" >"$work/fdset.log"
(
	exec 3<>"$work/fdset.log"
	timeout 2 "$sim" -kernel "$(ls /boot/vmlinuz-* | head -n 1)" -nodefaults -add-fd \
		set=0,fd=3 -chardev file,id=s,path=/dev/fdset/0,append=on \
		-device '{"driver":"isa-serial","chardev":"s","id":"serial0","index":0}' \
		>/dev/null 2>&1 3>&3
) 3>&-
check "append=on appends to a passed descriptor at offset 0" sh -c \
	"head -n 1 $work/fdset.log | grep -qx 'written before' && grep -q 'sim: tick' $work/fdset.log"

# ---- a domain ----
kernel=$(ls /boot/vmlinuz-* | head -n 1)
cat >"$work/lvtest.xml" <<X
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>lvtest</name>
  <maxMemory slots='4' unit='KiB'>4194304</maxMemory>
  <memory unit='KiB'>524288</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <vcpu>2</vcpu>
  <features><acpi/></features>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$kernel</kernel>
    <cmdline>console=ttyS0</cmdline></os>
  <cpu><numa>
    <cell id='0' cpus='0' memory='262144' unit='KiB'/>
    <cell id='1' cpus='1' memory='262144' unit='KiB'/>
  </numa></cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>$sim</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='$work/serial.log'/></serial>
    <memballoon model='virtio'><stats period='5'/></memballoon>
  </devices>
  <qemu:commandline><qemu:env name='KVMEM_SIM_BALLOON' value='1'/></qemu:commandline>
</domain>
X
: >"$log"
check "define" virsh -q define "$work/lvtest.xml"
check "start" virsh -q start lvtest
check "running" sh -c 'virsh domstate lvtest | grep -q running'
for c in migrate-set-capabilities query-chardev query-cpus-fast query-named-block-nodes \
	query-block cont; do
	check "start: $c answered" grep -q "\"execute\":\"$c\"" "$log"
done
check "start: qom-list of the vCPU's path answered" grep -aq \
	'"return": \[{"name": "type", "type": "string"}\]' "$log"
bad=$(grep -a "QEMU_MONITOR_RECV_REPLY" "$log" | grep -a '"error"' || true)
check "start: no command refused" test -z "$bad"
[ -z "$bad" ] || echo "$bad" | cut -c1-300
check "the memory backends libvirt asked for" sh -c \
	"virsh qemu-monitor-command lvtest '{\"execute\":\"query-memdev\"}' |
	 grep -q '\"id\":\"ram-node1\".*\"share\":true' ||
	 virsh qemu-monitor-command lvtest '{\"execute\":\"query-memdev\"}' |
	 python3 -c 'import json,sys; m=json.load(sys.stdin)[\"return\"];
ids={d[\"id\"]:d for d in m}; sys.exit(not (ids[\"ram-node0\"][\"share\"] and ids[\"ram-node1\"][\"size\"]==268435456))'"
check "the NUMA cells" sh -c "virsh qemu-monitor-command lvtest --hmp 'info numa' | grep -q '^2 nodes'"
sleep 1
check "the guest's console reaches the serial file" grep -q "sim: tick" "$work/serial.log"
sent() { grep -aq "QEMU_MONITOR_SEND_MSG.*$1" "$log"; }
# the balloon: libvirt finds it, asks for the guest's statistics every 5 s
# (<stats period='5'/>) and sets it to the domain's memory
replied() { # replied MSG TEXT: MSG was sent and its reply has TEXT
	local id
	id=$(grep -a "QEMU_MONITOR_SEND_MSG.*$1" "$log" | grep -o '"id":"libvirt-[0-9]*"' |
		head -n 1 | cut -d'"' -f4)
	[ -n "$id" ] && grep -a "QEMU_MONITOR_RECV_REPLY.*\"id\": \"$id\"}" "$log" | grep -qF "$2"
}
check "start: qom-list /machine/peripheral lists balloon0" replied \
	'"execute":"qom-list","arguments":{"path":"/machine/peripheral"}' \
	'{"name": "balloon0", "type": "child<virtio-balloon-pci>"}'
check "start: qom-list of balloon0 has guest-stats" sh -c "grep -aq \
	'\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral/balloon0\"}' $log &&
	grep -aq '{\"name\": \"guest-stats\", \"type\": \"guest statistics\"}' $log"
check "start: guest-stats-polling-interval set to 5" replied \
	'"execute":"qom-set","arguments":{"path":"/machine/peripheral/balloon0","property":"guest-stats-polling-interval","value":5}' \
	'"return": {}'
check "start: balloon set to the domain's 512 MiB" replied \
	'"execute":"balloon","arguments":{"value":536870912}' '"return": {}'
check "start: query-balloon answered" replied '"execute":"query-balloon"' \
	'"return": {"actual": 536870912}'
check "the balloon at 00:02.0, where libvirt put it" sh -c \
	"virsh dumpxml lvtest | tr -d '\n' | grep -q \"<memballoon model='virtio'>.*<alias name='balloon0'/>.*<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>\""
# kvmem-sim's guest drives the balloon (KVMEM_SIM_BALLOON=1, sim_balloon.c):
# its statistics are made up from the balloon's size (total = RAM - balloon,
# free = total / 2, available = total * 3 / 4) and reported every 5 s
for _ in $(seq 100); do
	virsh dommemstat lvtest >"$work/memstat" 2>&1
	grep -q "^last_update [1-9]" "$work/memstat" && break
	sleep 0.1
done
check "dommemstat: the guest's statistics (unused/available/usable = free/total/avail)" sh -c \
	"grep -qx 'actual 524288' $work/memstat && grep -qx 'unused 262144' $work/memstat &&
	 grep -qx 'available 524288' $work/memstat && grep -qx 'usable 393216' $work/memstat &&
	 grep -qx 'swap_in 0' $work/memstat && grep -q '^rss [1-9]' $work/memstat"
grep -qx "unused 262144" "$work/memstat" || cat "$work/memstat"
check "dommemstat read the guest's statistics" sent \
	'"execute":"qom-get","arguments":{"path":"/machine/peripheral/balloon0","property":"guest-stats"}'
current() { virsh dumpxml lvtest | sed -n "s/.*<currentMemory unit='KiB'>\([0-9]*\)<.*/\1/p"; }
until_current() { # until_current KIB: <currentMemory> becomes KIB within 10 s
	for _ in $(seq 100); do
		[ "$(current)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "currentMemory $(current), not $1"
	return 1
}
: >"$log"
check "setmem 384 MiB" virsh -q setmem lvtest 384M --live
check "setmem: balloon 384 MiB sent and done" replied \
	'"execute":"balloon","arguments":{"value":402653184}' '"return": {}'
check "<currentMemory> follows BALLOON_CHANGE to 384 MiB" until_current 393216
check "BALLOON_CHANGE reached libvirt" grep -aq \
	'"event": "BALLOON_CHANGE", "data": {"actual": 402653184}' "$log"
check "dommemstat: actual 384 MiB" sh -c "virsh dommemstat lvtest | grep -qx 'actual 393216'"
check "setmem 512 MiB: the guest takes its memory back" sh -c \
	"virsh -q setmem lvtest 512M --live"
check "<currentMemory> back at 512 MiB" until_current 524288
# ---- a 256 MiB DIMM plugged and unplugged (live) ----
cat >"$work/dimm.xml" <<X
<memory model='dimm'><target><size unit='MiB'>256</size><node>0</node></target></memory>
X
# answered_after MSG EVENT: MSG was sent after EVENT came, and answered {}
answered_after() {
	local id
	id=$(grep -a "QEMU_MONITOR_SEND_MSG.*$1" "$log" | grep -o '"id":"libvirt-[0-9]*"' |
		head -n 1 | cut -d'"' -f4)
	[ -n "$id" ] && grep -aq "QEMU_MONITOR_RECV_REPLY.*reply={\"return\": {}, \"id\": \"$id\"}" \
		"$log" && grep -a "QEMU_MONITOR_SEND_MSG.*$1\|QEMU_MONITOR_RECV_EVENT.*$2" "$log" |
		head -n 1 | grep -q "$2"
}
: >"$log"
check "attach-device dimm" virsh -q attach-device lvtest "$work/dimm.xml" --live
check "object-add in the flat form, memfd and shared as the domain's memory" sent \
	'"execute":"object-add","arguments":{"qom-type":"memory-backend-memfd","id":"memdimm0","share":true,"size":268435456}'
check "device_add pc-dimm" sent \
	'"execute":"device_add","arguments":{"driver":"pc-dimm","node":0,"memdev":"memdimm0","id":"dimm0","slot":0}'
check "query-memory-devices sent" sent '"execute":"query-memory-devices"'
virsh dumpxml lvtest >"$work/dimm-in.xml"
check "dumpxml: the DIMM with its alias and the address kvmem placed it at" sh -c \
	"grep -q \"<alias name='dimm0'/>\" $work/dimm-in.xml &&
	 grep -q \"<address type='dimm' slot='0' base='0x100000000'/>\" $work/dimm-in.xml"
check "query-memory-devices: 256 MiB at 4 GiB, slot 0, node 0, hotplugged" sh -c \
	"virsh qemu-monitor-command lvtest '{\"execute\":\"query-memory-devices\"}' | grep -q \
	 '\"data\":{\"memdev\":\"/objects/memdimm0\",\"hotplugged\":true,\"addr\":4294967296,\"hotpluggable\":true,\"size\":268435456,\"slot\":0,\"node\":0,\"id\":\"dimm0\"}'"
check "query-memdev: memdimm0 is shared, 256 MiB" sh -c \
	"virsh qemu-monitor-command lvtest '{\"execute\":\"query-memdev\"}' | python3 -c '
import json, sys
m = {d[\"id\"]: d for d in json.load(sys.stdin)[\"return\"]}[\"memdimm0\"]
sys.exit(not (m[\"share\"] and m[\"size\"] == 268435456 and m[\"policy\"] == \"default\"))'"
for _ in $(seq 50); do grep -q "sim: memory slot 0 added" "$work/serial.log" && break; sleep 0.1; done
check "the guest added the memory and said so (_OST)" grep -aq \
	'"event": "ACPI_DEVICE_OST", "data": {"info": {"slot": "0", "slot-type": "DIMM", "source": 1, "status": 0, "device": "dimm0"}}' "$log"
check "detach-device dimm" virsh -q detach-device lvtest "$work/dimm.xml" --live
check "device_del sent" sent '"execute":"device_del","arguments":{"id":"dimm0"}'
check "DEVICE_DELETED reached libvirt" grep -aq \
	'"event": "DEVICE_DELETED", "data": {"path": "/machine/peripheral/dimm0", "device": "dimm0"}' "$log"
check "object-del sent after DEVICE_DELETED, and done" answered_after \
	'"execute":"object-del","arguments":{"id":"memdimm0"}' '"event": "DEVICE_DELETED"'
no_dimm_xml() { ! virsh dumpxml lvtest | grep -q "<memory model='dimm'"; }
check "dumpxml: the DIMM is gone" no_dimm_xml
check "query-memory-devices: empty" sh -c \
	"virsh qemu-monitor-command lvtest '{\"execute\":\"query-memory-devices\"}' |
	 grep -q '\"return\":\[\]'"
check "query-memdev: memdimm0 is gone, the NUMA cells' backends stay" sh -c \
	"virsh qemu-monitor-command lvtest '{\"execute\":\"query-memdev\"}' | python3 -c '
import json, sys
ids = {d[\"id\"] for d in json.load(sys.stdin)[\"return\"]}
sys.exit(ids != {\"ram-node0\", \"ram-node1\"})'"
bad=$(grep -a "QEMU_MONITOR_RECV_REPLY" "$log" | grep -a '"error"' || true)
check "DIMM: no command refused" test -z "$bad"
[ -z "$bad" ] || echo "$bad" | cut -c1-300
# ---- virtio-mem: 512 MiB on node 1, 128 MiB requested, then 256 MiB ----
cat >"$work/vmem.xml" <<X
<memory model='virtio-mem'><target><size unit='MiB'>512</size><node>1</node>
  <block unit='MiB'>2</block><requested unit='MiB'>128</requested></target></memory>
X
: >"$log"
check "attach-device virtio-mem" virsh -q attach-device lvtest "$work/vmem.xml" --live
check "object-add of its memfd backend" sent \
	'"execute":"object-add","arguments":{"qom-type":"memory-backend-memfd","id":"memvirtiomem0","share":true,"reserve":false,"size":536870912}'
check "device_add virtio-mem-pci on pci.0 at the slot libvirt chose" sent \
	'"execute":"device_add","arguments":{"driver":"virtio-mem-pci","node":1,"block-size":2097152,"requested-size":134217728,"memdev":"memvirtiomem0","id":"virtiomem0","bus":"pci.0","addr":"0x3"}'
check "query-memory-devices: the virtio-mem device, 128 MiB requested, nothing plugged yet" replied \
	'"execute":"query-memory-devices"' \
	'{"type": "virtio-mem", "data": {"memdev": "/objects/memvirtiomem0", "memaddr": 4294967296, "block-size": 2097152, "size": 0, "node": 1, "max-size": 536870912, "requested-size": 134217728, "id": "virtiomem0"}}'
check "dumpxml: the virtio-mem device with its alias, at 00:03.0" sh -c \
	"virsh dumpxml lvtest | tr -d '\n' | grep -q \"<memory model='virtio-mem'>.*<requested unit='KiB'>131072</requested>.*<alias name='virtiomem0'/>.*<address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\""
check "update-memory-device --requested-size 256MiB" virsh -q update-memory-device lvtest \
	--alias virtiomem0 --requested-size 256MiB --live
check "qom-set requested-size sent and done" replied \
	'"execute":"qom-set","arguments":{"path":"/machine/peripheral/virtiomem0","property":"requested-size","value":268435456}' \
	'"return": {}'
check "query-memory-devices: 256 MiB requested" sh -c \
	"virsh qemu-monitor-command lvtest '{\"execute\":\"query-memory-devices\"}' |
	 grep -q '\"requested-size\":268435456,\"id\":\"virtiomem0\"'"
check "dumpxml: 256 MiB requested" sh -c \
	"virsh dumpxml lvtest | grep -q \"<requested unit='KiB'>262144</requested>\""
bad=$(grep -a "QEMU_MONITOR_RECV_REPLY" "$log" | grep -a '"error"' || true)
check "virtio-mem: no command refused" test -z "$bad"
[ -z "$bad" ] || echo "$bad" | cut -c1-300
# as QEMU 7.2: a virtio-mem device stays until the guest is shut off
check "detach of a virtio-mem device refused with QEMU's reason, the device stays" sh -c \
	"! virsh -q detach-device-alias lvtest virtiomem0 --live 2>$work/vmem-del.err &&
	 grep -q 'virtio based memory devices cannot be unplugged' $work/vmem-del.err &&
	 virsh dumpxml lvtest | grep -q \"<alias name='virtiomem0'/>\""
check "setmem above the domain's memory refused by libvirt" sh -c \
	"! virsh -q setmem lvtest 1G --live 2>/dev/null"
check "shutdown" virsh -q shutdown lvtest
for _ in $(seq 100); do virsh domstate lvtest | grep -q "shut off" && break; sleep 0.1; done
check "the guest powered off and libvirt saw it" sh -c 'virsh domstate lvtest | grep -q "shut off"'
check "SHUTDOWN reached libvirt" grep -aq '"event": "SHUTDOWN", "data": {"guest": true' "$log"
check "start again" virsh -q start lvtest
check "destroy" virsh -q destroy lvtest
check "undefine" virsh -q undefine lvtest

# ---- a virtio-mem device in the domain XML (cold-plugged: the guest needs
# no PCI rescan to find it), and a balloon with autodeflate and
# freePageReporting ----
sed -e "s#<name>lvtest</name>#<name>lvvmem</name>#" -e "s#<memballoon#<memory model='virtio-mem'><target><size unit='MiB'>1024</size><node>1</node><block unit='MiB'>2</block><requested unit='MiB'>128</requested></target></memory>\n    &#" \
	-e "s#<memballoon model='virtio'>#<memballoon model='virtio' autodeflate='on' freePageReporting='on'>#" \
	"$work/lvtest.xml" >"$work/lvvmem.xml"
: >"$log"
check "define and start a domain with a virtio-mem device" sh -c \
	"virsh -q define $work/lvvmem.xml && virsh -q start lvvmem"
check "virtio-mem-pci on the command line, on pci.0" grep -aq \
	'"driver":"virtio-mem-pci","node":1,"block-size":2097152,"requested-size":134217728,"memdev":"memvirtiomem0","id":"virtiomem0","bus":"pci.0","addr":"0x3"' \
	/var/log/libvirt/qemu/lvvmem.log
check "the balloon with deflate-on-oom and free page reporting (autodeflate, freePageReporting)" \
	grep -aq '"driver":"virtio-balloon-pci","id":"balloon0","deflate-on-oom":true,"free-page-reporting":true,"bus":"pci.0","addr":"0x2"' \
	/var/log/libvirt/qemu/lvvmem.log
check "query-memory-devices: the device kvmem started" sh -c \
	"virsh qemu-monitor-command lvvmem '{\"execute\":\"query-memory-devices\"}' | grep -q \
	 '\"memaddr\":4294967296,\"block-size\":2097152,\"size\":0,\"node\":1,\"max-size\":1073741824,\"requested-size\":134217728,\"id\":\"virtiomem0\"'"
bad=$(grep -a "QEMU_MONITOR_RECV_REPLY" "$log" | grep -a '"error"' || true)
check "cold virtio-mem: no command refused" test -z "$bad"
[ -z "$bad" ] || echo "$bad" | cut -c1-300
virsh -q destroy lvvmem >/dev/null 2>&1
check "undefine the virtio-mem domain" virsh -q undefine lvvmem

echo "libvirt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
