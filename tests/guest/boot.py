#!/usr/bin/env python3
"""Boot one guest under kvmem with the harness's initramfs and show its console.

    tests/guest/boot.py [KVMEM OPTIONS...]      (default: -m 1G -smp 2)

The guest prints its memory map (/sys/firmware/memmap, the e820 it was
given), /proc/iomem, its CPUs and MemTotal, then powers off; the exit status
is kvmem's.  Without a usable /dev/kvm the guest runs nested in a QEMU TCG
VM, and one line says so.  scripts/demo.sh calls this after building.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmemtest  # noqa: E402


def main():
    args = sys.argv[1:] or ["-m", "1G", "-smp", "2"]
    build = kvmemtest.build_dir()
    kvmem = os.path.join(build, "kvmem")
    usable, why = kvmemtest.kvm_usable()
    if not usable or kvmemtest.kvm_kind() == "nested":
        print(f"kvmem demo: {why or 'nested run requested'}; booting nested inside a QEMU "
              "TCG VM (slower, same guest)", flush=True)
    argv = [kvmem] + args + ["-kernel", "{kernel}", "-initrd", "{initrd}", "-serial", "stdio",
                             "-no-reboot", "-append", kvmemtest.L2_APPEND]
    job = kvmemtest.Job("demo", argv, timeout=300)
    try:
        res, = kvmemtest.run_jobs([job], [kvmem], echo=lambda line: print(line, flush=True))
    except kvmemtest.HarnessError as e:
        print(f"kvmem demo: {e}", file=sys.stderr)
        return 1
    if not res.finished:
        print("kvmem demo: the guest did not finish", file=sys.stderr)
        return 1
    print(f"kvmem demo: kvmem exited {res.rc}; guest init reached {res.init_ms / 1000:.1f} s "
          f"after start, kvmem peak RSS {res.maxrss_kb // 1024} MiB", flush=True)
    return res.rc


if __name__ == "__main__":
    sys.exit(main())
