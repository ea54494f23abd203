#!/bin/bash
# install-deps.sh - installs what kvmem needs to build, test and run its demo,
# from Debian 12's packages only.  Does nothing when all are installed, so it
# is cheap to call before every build.  Needs root (or sudo).
set -euo pipefail

packages=(
	# build
	gcc clang meson ninja-build pkg-config libcmocka-dev libjansson-dev
	# clang's sanitizer and libFuzzer runtimes are only "recommended" by clang-14
	libclang-rt-14-dev
	# tests: ACPI disassembly, guest images, the nested L1 VM and the QEMU reference
	acpica-tools python3 file cpio busybox-static linux-image-amd64 strace
	qemu-system-x86 qemu-system-data seabios
	# tests/libvirt: Debian's libvirt drives kvmem (its daemon, QEMU driver, virsh)
	libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
