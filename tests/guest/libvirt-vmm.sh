#!/bin/sh
# libvirt-vmm.sh KVMEM KERNEL INITRD APPEND DOMAIN_XML - libvirt as the VMM
# of a guest scenario (run.py's "libvirt:" key).
#
# Starts a libvirtd of its own (the qemu.conf settings of LIBVIRT.md, its
# QMP traffic logged), defines and starts the domain DOMAIN_XML describes,
# with {emulator}, {kernel}, {initrd}, {append} and {serial} filled in, and
# passes the guest's serial console (a file libvirt hands kvmem with
# -add-fd) through to stdout, where the harness reads the guest's facts.
# It ends when the guest has powered off and libvirt has seen it (the
# domain is shut off): then it prints what libvirt logged about kvmem
# (lines "libvirt| ..."), undefines the domain, stops libvirtd and exits 0.
# If libvirt cannot start the domain, it prints why and exits 1.
# Written for busybox sh: it runs in the nested L1 (and directly where
# there is a real /dev/kvm, as root).  A host: script talks to the same
# libvirtd with virsh (LIBVIRT_DEFAULT_URI=qemu:///system).
set -u
kvmem=$1 kernel=$2 initrd=$3 append=$4 template=$5
name=kvmemlv
serial=/tmp/kvmem-libvirt-serial.log
log=/var/log/libvirt/libvirtd.log
export LIBVIRT_DEFAULT_URI=qemu:///system LC_ALL=C

# libvirt's paths under /var/run are /run's
mkdir -p /var /run
[ -e /var/run ] || ln -s /run /var/run

# libvirt looks up the user and group it runs domains as (root here), and
# Debian's default one (libvirt-qemu) before it reads qemu.conf
grep -q '^root:' /etc/passwd 2>/dev/null || echo 'root:x:0:0:root:/root:/bin/sh' >>/etc/passwd
grep -q '^root:' /etc/group 2>/dev/null || echo 'root:x:0:' >>/etc/group
grep -q '^libvirt-qemu:' /etc/passwd ||
	echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/bin/false' >>/etc/passwd
grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >>/etc/group
mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
. "$(dirname "$0")/../libvirt/libvirtd-setup.sh"
libvirtd_configure "$log"
libvirtd_start
if [ ! -S /run/libvirt/libvirt-sock ]; then
	echo "libvirt-vmm: libvirtd did not start"
	cat /var/log/libvirt/stdout.log
	grep -a "error" "$log" | tail -n 10
	exit 1
fi

: >"$serial"
sed -e "s#{emulator}#$kvmem#" -e "s#{kernel}#$kernel#" -e "s#{initrd}#$initrd#" \
	-e "s#{append}#$append#" -e "s#{serial}#$serial#" -e "s#{name}#$name#" \
	"$template" >/tmp/kvmem-libvirt-domain.xml
if ! virsh -q define /tmp/kvmem-libvirt-domain.xml || ! virsh -q start "$name"; then
	echo "libvirt-vmm: libvirt could not start the domain"
	tail -n 30 "/var/log/libvirt/qemu/$name.log" 2>/dev/null
	grep -a "error" "$log" | tail -n 10
	kill "$lvpid"
	exit 1
fi
echo "libvirt-vmm: libvirt started $name: $(tr '\0' ' ' </proc/$(cat /run/libvirt/qemu/$name.pid)/cmdline 2>/dev/null)"

tail -f "$serial" &
tailpid=$!
# until the guest powers off (the harness's timeout ends this otherwise)
while ! virsh domstate "$name" 2>/dev/null | grep -q "shut off"; do sleep 0.5; done
sleep 1 # tail -f polls the file once a second
kill "$tailpid"
grep -a "QEMU_MONITOR_SEND_MSG\|QEMU_MONITOR_RECV_EVENT" "$log" |
	sed -n 's/.*\(msg\|event\)=/libvirt| /p' | cut -c1-400
virsh -q undefine "$name" >/dev/null
kill "$lvpid"
wait "$lvpid" 2>/dev/null
exit 0
