# libvirtd-setup.sh - the private libvirtd both libvirt tests run, sourced by
# tests/libvirt/libvirt_test.sh (on the host) and tests/guest/libvirt-vmm.sh
# (in the nested L1, busybox sh).  One place for the configuration kvmem
# needs (the qemu.conf settings of ../shared/LIBVIRT.md, libvirt's QMP
# traffic logged) and for the wait until libvirtd listens.

# libvirtd_configure LOG: libvirtd.conf and qemu.conf, libvirt's QMP log to LOG.
libvirtd_configure() {
	mkdir -p /etc/libvirt/qemu
	cat >/etc/libvirt/libvirtd.conf <<C
log_filters="1:qemu.qemu_monitor 3:*"
log_outputs="1:file:$1"
C
	cat >/etc/libvirt/qemu.conf <<C
user = "root"
group = "root"
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
C
}

# libvirtd_start [ARGS...]: starts libvirtd (its output in
# /var/log/libvirt/stdout.log), sets lvpid, and waits while it lives until
# it listens, up to 2 minutes (seconds usually, many more on a loaded
# machine).  Returns 1 if it never listened.
libvirtd_start() {
	libvirtd "$@" >/var/log/libvirt/stdout.log 2>&1 &
	lvpid=$!
	_i=0
	while [ ! -S /run/libvirt/libvirt-sock ] && [ $_i -lt 1200 ] && kill -0 "$lvpid" 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -S /run/libvirt/libvirt-sock ]
}
