#!/usr/bin/env python3
"""Three views of guest memory agree: -print-layout, QMP's query-memdev and
HMP's "info mtree" (x-kvmem-query-mtree).

    tests/qmp/memory_views_test.py --build BUILD_DIR

For a set of memory configurations (no NUMA, nodes on memdevs, one backend
across the PCI hole with -machine memory-backend, a CPU-only node, the
default split, the implicit hotplug node), this reads what -print-layout
says backs each part of RAM, then starts the same command line in
kvmem-sim and reads what the running memory manager maps (info mtree) and
which backends exist (query-memdev).  Each part must be the same region
with the same backend and backend offsets everywhere, every backend named
must exist with a size that holds its windows, each region must have its
own KVM slot, and query-memdev must list exactly the -object backends plus
the ones the plan made.  Prints one TAP line per check.
"""

import argparse
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sim_test import Sim, check, fake_bzimage, results, run, wait_socket  # noqa: E402

CONFIGS = {
    "no NUMA": "-m 512M",
    "memdev nodes and an unused backend":
        "-m 3G -object memory-backend-ram,id=fast,size=1G "
        "-object memory-backend-memfd,id=slow,size=2G "
        "-object memory-backend-ram,id=spare,size=64M "
        "-numa node,memdev=fast -numa node,memdev=slow,cpus=0",
    "one backend across the PCI hole (-machine memory-backend)":
        "-m 4G -smp 2 -object memory-backend-ram,id=all,size=4G -machine memory-backend=all "
        "-numa node,cpus=0,mem=3584M -numa node,cpus=1,mem=512M",
    "node across the hole, CPU-only node, hotplug":
        "-m 4G,slots=2,maxmem=8G -smp 3 -numa node,mem=3584M -numa node,mem=512M "
        "-numa node,cpus=2,mem=0",
    "straddling nodes of 8 and 248 MiB":
        "-m 256M -object memory-backend-ram,id=a,size=8M "
        "-object memory-backend-ram,id=b,size=248M -numa node,memdev=a -numa node,memdev=b",
    "default split": "-m 2G -smp 2 -numa node -numa node",
    "implicit node for hotplug": "-m 1G,slots=1,maxmem=2G",
}

PART = re.compile(r"^  (\S+) +\[0x([0-9a-f]+)-0x([0-9a-f]+)\] .*, node (\d+), "
                  r"backend (\S+) .*\+0x([0-9a-f]+)$")
NODE = re.compile(r"^  node (\d+): mem 0x([0-9a-f]+) .*, backend (\S+)")
MTREE = re.compile(r"^  ([0-9a-f]+)-([0-9a-f]+) \(ram\): (\S+) @(\S+) ([0-9a-f]+)-([0-9a-f]+), "
                   r"KVM slot (\d+)$")


def print_layout(build, work, args):
    r = run([os.path.join(build, "tests", "qmp", "kvmem-sim"), "-print-layout", "-kernel",
             os.path.join(work, "bzImage")] + args.split())
    parts = {}
    nodes = {}
    for line in r.stdout.splitlines():
        m = PART.match(line)
        if m:
            name, start, end, node, backend, off = m.groups()
            start, end = int(start, 16), int(end, 16)
            parts[name] = (start, end, backend, int(off, 16), int(off, 16) + end - start)
        m = NODE.match(line)
        if m:
            nodes[int(m[1])] = (int(m[2], 16), m[3])
    return r, parts, nodes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    build = os.path.abspath(ap.parse_args().build)
    ctl = os.path.join(build, "tools", "kvmemctl")

    with tempfile.TemporaryDirectory(prefix="kvmem-memviews-") as work:
        fake_bzimage(os.path.join(work, "bzImage"))
        sock = os.path.join(work, "q.sock")
        for name, args in CONFIGS.items():
            r, parts, nodes = print_layout(build, work, args)
            if not check(f"{name}: -print-layout shows the RAM parts",
                         r.returncode == 0 and parts, r.stdout + r.stderr):
                continue
            sim = Sim(build, work, args.split() + ["-qmp", f"unix:{sock},server=on,wait=off"],
                      name="views")
            if not check(f"{name}: kvmem-sim starts", wait_socket(sock), sim.err()):
                sim.proc.kill()
                continue
            mt = run([ctl, "-s", sock, "--retry", "5", "hmp", "info mtree"])
            md = run([ctl, "-s", sock, "--json", "query-memdev"])
            run([ctl, "-s", sock, "quit"])
            sim.wait()
            regions, slots = {}, []
            for line in mt.stdout.splitlines():
                m = MTREE.match(line)
                if m:
                    start, end, rname, backend, off0, off1, slot = m.groups()
                    regions[rname] = (int(start, 16), int(end, 16), backend, int(off0, 16),
                                      int(off1, 16))
                    slots.append(int(slot))
            check(f"{name}: info mtree maps each part as -print-layout planned it",
                  regions == parts, f"\nprint-layout {parts}\ninfo mtree   {regions}")
            check(f"{name}: each region has a KVM slot of its own",
                  len(slots) == len(parts) and len(set(slots)) == len(slots), mt.stdout)

            memdevs = {d["id"]: d["size"] for d in json.loads(md.stdout or "[]")}
            objects = set(re.findall(r"memory-backend-\w+,id=(\w+)", args))
            used = {p[2] for p in parts.values()}
            made = used - objects
            check(f"{name}: query-memdev lists every -object and each backend the plan made",
                  set(memdevs) == objects | made and made <= {"pc.ram"} |
                  {f"ram-node{n}" for n in nodes}, f"{memdevs} objects {objects} made {made}")
            check(f"{name}: each backend holds its windows",
                  all(b in memdevs and off1 < memdevs[b]
                      for (_, _, b, _, off1) in parts.values()), f"{memdevs} {parts}")
            # a node's line names the backend of its parts, or none without RAM
            node_ok = all(
                (backend == "none") == (mem == 0) and
                (mem == 0 or backend in used)
                for mem, backend in nodes.values())
            check(f"{name}: each node names the backend of its RAM (none without RAM)",
                  node_ok, f"{nodes} {used}")

    failed = results.count(False)
    print(f"1..{len(results)}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
