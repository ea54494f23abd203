#!/usr/bin/env python3
"""Checks of the guest harness's own pure parts (no guest, no L1)."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmemtest  # noqa: E402

failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else f": {detail}"))
    failed += not ok


with tempfile.NamedTemporaryFile("w", suffix=".map", delete=False) as f:
    f.write("ffffffff81000000 T _text\n"
            "ffffffff81000000 T startup_64\n"
            "ffffffff81001000 t do_idle\n"
            "ffffffff81001000 d some_data\n"
            "ffffffff81002000 T default_idle\n")
    smap = f.name
try:
    # KASLR moved _text by 0x9000000.
    console = ["kvmem-guest-ktext ffffffff8a000000", "=== facts",
               "vCPU 0 (APIC id 0): triple fault (KVM_EXIT_SHUTDOWN)",
               "  rip=0xffffffff8a001084 rsp=0xffffc90000013e80 rflags=0x00000046"]
    got = kvmemtest.guest_symbol(console, smap)
    check("a rip becomes the symbol and offset, KASLR undone",
          got == ["rip 0xffffffff8a001084 = do_idle+0x84"], got)
    got = kvmemtest.guest_symbol(console[:1] + ["  rip=0x0000000000001000 rsp=0"], smap)
    check("a rip below the kernel says so",
          got == ["rip 0x0000000000001000 = outside the kernel text"], got)
    check("no _text line from the guest: nothing claimed",
          kvmemtest.guest_symbol(console[2:], smap) == [])
    check("no rip in the console: nothing", kvmemtest.guest_symbol(console[:2], smap) == [])
    check("an unreadable System.map: nothing",
          kvmemtest.guest_symbol(console, smap + ".missing") == [])
finally:
    os.unlink(smap)

runs = kvmemtest.memtotal_runs(["memtotal 100 1.0", "BENCH-READY", "memtotal 200 1.5",
                                "memtotal 300 2.0", "memtotal 300 2.1", "memtotal 200 3.0",
                                "memtotal 100 3.25", "memtotal x 4", "memtotal 400 5.0"])
check("MemTotal changes group into runs that go one way",
      runs == [(1, 1.5, 2.0), (-1, 3.0, 3.25), (1, 5.0, 5.0)], runs)
sys.exit(1 if failed else 0)
