#!/usr/bin/env python3
"""virtio-mem-pci over the monitors, without KVM: kvmem-sim.

    tests/qmp/sim_vmem_test.py --build BUILD_DIR

What a user would check, each answer compared with what
qemu-system-x86_64 7.2 (-machine pc, accel tcg, -S) answered to the same
command line and commands: query-memory-devices (DIMMs and virtio-mem
devices in one region, in address order), qom-get / qom-set of
requested-size, size and block-size with their refusals,
query-memory-size-summary, info memory-devices, device_add's and
device_del's refusals, object-del of a backend in use, -device's
refusals at start, its PCI slot planned with -device (-print-layout, a
taken slot refused before any memory exists), and a balloon and a DIMM on
the same machine (query-balloon, system_reset).  The guest's side (plugging) needs a guest: see
tests/guest/scenarios/virtio-mem-*.scn.  Prints one TAP line per check;
exits non-zero on failure.
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sim_test import Sim, check, fake_bzimage, results, wait_socket  # noqa: E402
from sim_memory_test import QMP, generic  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30


def vmem_info(id_, memdev, memaddr, max_size, requested=0, size=0, node=0, block=2 * MiB):
    return {"type": "virtio-mem",
            "data": {"memdev": "/objects/" + memdev, "memaddr": memaddr, "block-size": block,
                     "size": size, "node": node, "max-size": max_size,
                     "requested-size": requested, "id": id_}}


def check_start_refusals(build, work):
    """-device refusals at start: QEMU 7.2's message, exit status 1."""
    kvmem = os.path.join(build, "kvmem")
    base = ["-kernel", os.path.join(work, "bzImage")]
    cases = [
        ("-m 1G", "memdev=m0,id=v",
         "memory devices (e.g. for memory hotplug) are not enabled, please specify the maxmem "
         "option"),
        ("-m 1G,maxmem=8G", "id=v", "'memdev' property must be set"),
        ("-m 1G,maxmem=8G", "memdev=m0,requested-size=3M",
         "'requested-size' property has to be multiples of 'block-size' (0x200000)"),
        ("-m 1G,maxmem=8G", "memdev=m0,block-size=512K",
         "'block-size' property has to be at least 0x100000"),
        ("-m 1G,maxmem=8G", "memdev=m0,node=1",
         "'node' property has value '1', which exceedsthe number of numa nodes: 1"),
        ("-m 1G,maxmem=1536M", "memdev=m0",
         "not enough space, currently 0x0 in use of total space for memory devices 0x20000000"),
        ("-m 1G,maxmem=8G", "memdev=m0,memaddr=0x140100000",
         "address must be aligned to 0x200000 bytes"),
        ("-m 1G,maxmem=8G", "memdev=m0,dynamic-memslots=on",
         "'dynamic-memslots' property set to 'on' requires 'unplugged-inaccessible' to be 'on'"),
    ]
    for mem, dev, want in cases:
        arg = "virtio-mem-pci," + dev
        r = subprocess.run([kvmem] + base + ["-m", mem.split()[1], "-object",
                                             "memory-backend-ram,id=m0,size=1G",
                                             "-device", arg],
                           capture_output=True, text=True, timeout=30)
        check(f"-device {arg} with {mem}: exit 1, QEMU's message",
              r.returncode == 1 and r.stderr == f"kvmem: -device {arg}: {want}\n",
              f"rc {r.returncode}: {r.stderr!r}")
    # the same backend for two devices
    arg = "virtio-mem-pci,id=v1,memdev=m0"
    r = subprocess.run([kvmem] + base + ["-m", "1G,maxmem=8G", "-object",
                                         "memory-backend-ram,id=m0,size=1G",
                                         "-device", "virtio-mem-pci,id=v0,memdev=m0",
                                         "-device", arg],
                       capture_output=True, text=True, timeout=30)
    check("a memdev used twice: QEMU's message",
          r.returncode == 1 and r.stderr == f"kvmem: -device {arg}: 'memdev' property specifies "
          "a busy memdev: m0\n", f"rc {r.returncode}: {r.stderr!r}")


def check_plan(build, work):
    """-device virtio-mem-pci takes its PCI slot and BARs in the plan stage:
    -print-layout shows them beside the balloon's, and a taken slot is
    refused before any memory exists (the backend's file is not made)."""
    sim = os.path.join(build, "tests", "qmp", "kvmem-sim")
    r = subprocess.run([sim, "-m", "1G,maxmem=8G", "-object", "memory-backend-ram,id=m0,size=1G",
                        "-device", "virtio-balloon-pci,id=b0",
                        "-device", "virtio-mem-pci,id=v0,memdev=m0", "-print-layout"],
                       capture_output=True, text=True, timeout=30)
    fns = [l.strip() for l in r.stdout.splitlines() if l.strip().startswith("00:0")]
    check("-print-layout: virtio-mem-pci at 00:03.0 after the balloon, QEMU's ids, INTA, both BARs",
          r.returncode == 0 and len(fns) == 4 and
          fns[2].startswith("00:02.0 1af4:1045 virtio-balloon-pci id=b0, INTA gsi ") and
          fns[3].startswith("00:03.0 1af4:1058 virtio-mem-pci id=v0, INTA gsi ") and
          "BAR1 [mem " in fns[3] and "64bit pref]" in fns[3], r.stdout + r.stderr)
    path = os.path.join(work, "vmem-backing")
    arg = "virtio-mem-pci,id=v0,memdev=m0,addr=1"
    r = subprocess.run([sim, "-kernel", os.path.join(work, "bzImage"), "-m", "1G,maxmem=8G",
                        "-object", f"memory-backend-file,id=m0,size=1G,mem-path={path}",
                        "-device", arg], capture_output=True, text=True, timeout=30)
    check("a taken slot: QEMU 7.2's message, exit 1",
          r.returncode == 1 and r.stderr == f"kvmem: -device {arg}: PCI: slot 1 function 0 not "
          "available for virtio-mem-pci, in use by PIIX3,id=(null)\n",
          f"rc {r.returncode}: {r.stderr!r}")
    check("a taken slot is refused before any memory exists: the backend's file was not made",
          not os.path.exists(path), "the file exists")


def check_with_balloon_and_dimm(build, work):
    """virtio-balloon-pci, virtio-mem-pci and a DIMM on one machine, each
    answer as QEMU 7.2 gave it for the same command line and commands: the
    balloon counts boot RAM and DIMMs (not virtio-mem), and a system_reset
    reaches both virtio devices (the machine's one list); both keep
    answering as QEMU's do."""
    a = os.path.join(work, "b.sock")
    sim = Sim(build, work, ["-m", "1G,slots=2,maxmem=8G",
                            "-object", "memory-backend-ram,id=m0,size=1G",
                            "-object", "memory-backend-ram,id=d0,size=256M",
                            "-device", "virtio-balloon-pci,id=b0",
                            "-device", "virtio-mem-pci,id=vm0,memdev=m0,requested-size=512M",
                            "-qmp", f"unix:{a},server=on,wait=off"], name="vmem-balloon")
    if not check("kvmem-sim starts with a balloon and virtio-mem", wait_socket(a), sim.err()):
        sim.proc.kill()
        return
    q = QMP(a)
    r = q.cmd("query-balloon")
    check("query-balloon: the boot RAM (virtio-mem is not counted, as in QEMU)",
          r == {"return": {"actual": GiB}}, r)
    r = q.cmd("device_add", driver="pc-dimm", id="dd", memdev="d0")
    check("device_add pc-dimm beside them", r == {"return": {}}, r)
    r = q.cmd("query-balloon")
    check("query-balloon counts the DIMM", r == {"return": {"actual": GiB + 256 * MiB}}, r)
    r = q.cmd("balloon", value=512 * MiB)
    check("balloon 512M", r == {"return": {}}, r)
    r = q.cmd("query-memory-devices")
    vm0 = vmem_info("vm0", "m0", 4 * GiB, GiB, requested=512 * MiB)
    dimm = {"type": "dimm",
            "data": {"memdev": "/objects/d0", "hotplugged": True, "addr": 5 * GiB,
                     "hotpluggable": True, "size": 256 * MiB, "slot": 0, "node": 0, "id": "dd"}}
    check("query-memory-devices: QEMU's addresses", r == {"return": [vm0, dimm]}, r)
    r = q.cmd("system_reset")
    check("system_reset with a balloon, virtio-mem and a DIMM", r == {"return": {}}, r)
    r = q.cmd("query-balloon")
    check("after the reset: the balloon answers as before (no driver came back yet)",
          r == {"return": {"actual": GiB + 256 * MiB}}, r)
    r = q.cmd("qom-get", path="/machine/peripheral/vm0", property="requested-size")
    check("after the reset: virtio-mem keeps its requested size", r == {"return": 512 * MiB}, r)
    r = q.cmd("quit")
    check("quit", r == {"return": {}}, r)
    q.close()
    check("kvmem-sim exits 0", sim.wait() == 0, sim.err())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    build = os.path.abspath(ap.parse_args().build)

    with tempfile.TemporaryDirectory(prefix="kvmem-vmem-") as work:
        fake_bzimage(os.path.join(work, "bzImage"))
        check_start_refusals(build, work)
        check_plan(build, work)
        check_with_balloon_and_dimm(build, work)

        a = os.path.join(work, "a.sock")
        sim = Sim(build, work, ["-m", "1G,slots=2,maxmem=8G",
                                "-object", "memory-backend-ram,id=m0,size=1G",
                                "-device", "virtio-mem-pci,id=vm0,memdev=m0,requested-size=2G",
                                "-object", "memory-backend-ram,id=d0,size=256M",
                                "-object", "memory-backend-ram,id=m1,size=512M",
                                "-qmp", f"unix:{a},server=on,wait=off"], name="vmem")
        if not check("kvmem-sim starts with -device virtio-mem-pci", wait_socket(a), sim.err()):
            sim.proc.kill()
            return 1
        q = QMP(a)
        vm0 = vmem_info("vm0", "m0", 4 * GiB, GiB, requested=2 * GiB)
        r = q.cmd("query-memory-devices")
        # QEMU 7.2 accepts a requested-size above the backend's size at start
        check("query-memory-devices: vm0 at 4 GiB, QEMU's VirtioMEMDeviceInfo",
              r == {"return": [vm0]}, r)
        r = q.cmd("query-memory-size-summary")
        check("query-memory-size-summary: nothing plugged yet",
              r == {"return": {"base-memory": GiB, "plugged-memory": 0}}, r)

        p = "/machine/peripheral/vm0"
        for prop, want in [("size", 0), ("requested-size", 2 * GiB), ("block-size", 2 * MiB),
                           ("memaddr", 4 * GiB)]:
            r = q.cmd("qom-get", path=p, property=prop)
            check(f"qom-get {prop}", r == {"return": want}, r)
        sets = [
            (3 * GiB, generic("'requested-size' cannot exceed the memory backend "
                              "size(0x40000000)")),
            (3 * MiB, generic("'requested-size' has to be multiples of 'block-size' "
                              "(0x200000)")),
            ("1G", generic("Parameter 'requested-size' expects uint64")),
            (4 * MiB, {"return": {}}),
        ]
        for value, want in sets:
            r = q.cmd("qom-set", path=p, property="requested-size", value=value)
            check(f"qom-set requested-size {value}: QEMU's answer", r == want, r)
        r = q.cmd("qom-get", path=p, property="requested-size")
        check("qom-get requested-size after the set", r == {"return": 4 * MiB}, r)
        r = q.cmd("qom-set", path=p, property="block-size", value=4 * MiB)
        check("qom-set block-size: QEMU's refusal",
              r == generic("'block-size' cannot be changed"), r)
        r = q.cmd("qom-set", path=p, property="size", value=4 * MiB)
        check("qom-set size: not writable", "not writable" in (r.get("error") or {}).get(
            "desc", ""), r)

        # DIMMs and virtio-mem share the region: QEMU's addresses
        r = q.cmd("object-del", id="m0")
        check("object-del of vm0's backend: QEMU's refusal",
              r == generic("object 'm0' is in use, can not be deleted"), r)
        r = q.cmd("device_add", driver="pc-dimm", id="dd", memdev="d0")
        check("device_add pc-dimm beside it", r == {"return": {}}, r)
        r = q.cmd("device_add", driver="virtio-mem-pci", id="vm1", memdev="m1",
                  memaddr=4 * GiB)
        check("device_add virtio-mem-pci memaddr= over vm0: QEMU's refusal",
              r == generic("address range conflicts with memory device id='vm0'"), r)
        r = q.cmd("device_add", driver="virtio-mem-pci", id="vm1", memdev="m1",
                  **{"block-size": "3M"})
        check("device_add block-size=3M: QEMU's refusal",
              r == generic("'block-size' property has to be a power of two"), r)
        r = q.cmd("device_add", driver="virtio-mem-pci", id="vm1", memdev="m0")
        check("device_add with a busy memdev: QEMU's refusal",
              r == generic("'memdev' property specifies a busy memdev: m0"), r)
        r = q.cmd("device_add", driver="virtio-mem-pci", id="vm1", memdev="nosuch")
        check("device_add with an unknown memdev: DeviceNotFound",
              r == {"error": {"class": "DeviceNotFound", "desc": "Device 'nosuch' not found"}},
              r)
        for addr, user in (("2", "virtio-mem-pci,id=vm0"), ("1", "PIIX3,id=(null)")):
            r = q.cmd("device_add", driver="virtio-mem-pci", id="vm1", memdev="m1", addr=addr)
            check(f"device_add virtio-mem-pci addr={addr}: QEMU's refusal (slot in use by {user})",
                  r == generic(f"PCI: slot {addr} function 0 not available for virtio-mem-pci, "
                               f"in use by {user}"), r)
        r = q.cmd("device_add", driver="virtio-mem-pci", id="vm1", memdev="m1",
                  **{"requested-size": "1G"})
        check("device_add virtio-mem-pci at run time", r == {"return": {}}, r)
        r = q.cmd("query-memory-devices")
        dimm = {"type": "dimm",
                "data": {"memdev": "/objects/d0", "hotplugged": True, "addr": 0x140000000,
                         "hotpluggable": True, "size": 256 * MiB, "slot": 0, "node": 0,
                         "id": "dd"}}
        vm0["data"]["requested-size"] = 4 * MiB
        vm1 = vmem_info("vm1", "m1", 0x150000000, 512 * MiB, requested=GiB)
        check("query-memory-devices: QEMU's addresses and order", r == {"return": [vm0, dimm, vm1]},
              r)
        r = q.cmd("query-memory-size-summary")
        check("query-memory-size-summary counts the DIMM and what virtio-mem has plugged (0)",
              r == {"return": {"base-memory": GiB, "plugged-memory": 256 * MiB}}, r)
        r = q.cmd("device_del", id="vm1")
        check("device_del virtio-mem-pci: QEMU's refusal",
              r == generic("virtio based memory devices cannot be unplugged."), r)
        text = q.hmp("info memory-devices")
        check("info memory-devices: QEMU's text for virtio-mem",
              text.startswith("Memory device [virtio-mem]: \"vm0\"\r\n  memaddr: 0x100000000\r\n"
                              "  node: 0\r\n  requested-size: 4194304\r\n  size: 0\r\n"
                              "  max-size: 1073741824\r\n  block-size: 2097152\r\n"
                              "  memdev: /objects/m0\r\nMemory device [dimm]: \"dd\"\r\n"), text)
        r = q.cmd("system_reset")
        check("system_reset with virtio-mem devices", r == {"return": {}}, r)
        r = q.cmd("quit")
        check("quit", r == {"return": {}}, r)
        q.close()
        check("kvmem-sim exits 0", sim.wait() == 0, sim.err())
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
