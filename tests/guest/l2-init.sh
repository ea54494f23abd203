#!/bin/sh
# /init of the guest (L2) initramfs: busybox only.  It prints what the guest
# sees about its memory and CPUs between "=== facts" markers, runs the
# scenario's own guest script if the kernel command line names one
# (kvmem.scenario=NAME runs /scenarios/NAME.sh), then powers off; or
# earlier, when the ACPI power button is pressed.
# The harness (tests/guest/kvmemtest.py) parses these lines; the demo shows
# them to a person.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "KVMEM-GUEST-INIT"

# The ACPI power button (QMP system_powerdown): load its driver and power
# off when it is pressed, as a distribution's acpid does.
for m in /modules/*.ko; do insmod "$m" 2>/dev/null; done
for ev in /sys/class/input/event*; do
	[ "$(cat "$ev/device/name" 2>/dev/null)" = "Power Button" ] || continue
	(dd if="/dev/input/${ev##*/}" bs=24 count=1 of=/dev/null 2>/dev/null &&
		echo "KVMEM-GUEST-POWER-BUTTON" && poweroff -f) &
done

echo "=== facts"
for d in /sys/firmware/memmap/*; do
	[ -d "$d" ] || continue
	echo "memmap $(cat "$d/start") $(cat "$d/end") $(cat "$d/type")"
done
# Top-level /proc/iomem lines only (nested ones start with blanks).
grep -v '^ ' /proc/iomem | while read -r line; do echo "iomem $line"; done
echo "nproc $(nproc)"
echo "cpus_online $(cat /sys/devices/system/cpu/online)"
grep -E '^(MemTotal|MemFree):' /proc/meminfo | while read -r k v u; do echo "meminfo $k $v"; done
[ -d /sys/firmware/acpi/tables ] && echo "acpi_tables $(ls /sys/firmware/acpi/tables | tr '\n' ' ')"
echo "=== end facts"

scenario=$(sed -n 's/.*kvmem\.scenario=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$scenario" ] && [ -f "/scenarios/$scenario.sh" ]; then
	echo "=== scenario $scenario"
	sh "/scenarios/$scenario.sh"
	echo "=== end scenario"
fi

echo "KVMEM-GUEST-DONE"
poweroff -f
