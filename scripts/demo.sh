#!/bin/bash
# demo.sh [KVMEM OPTIONS...] - installs what is needed, builds kvmem and boots
# the demo guest (Debian's kernel, a busybox initramfs).  Its console shows
# the e820 map, /proc/iomem, the CPUs and MemTotal, then the guest powers off
# and the script exits with kvmem's status (0).  Default: -m 1G -smp 2.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >/dev/null
exec python3 tests/guest/boot.py "$@"
