#!/usr/bin/env python3
"""Run-time memory over the monitors, without KVM: kvmem-sim with
object-add / object-del (QMP) and object_add / object_del (HMP).

    tests/qmp/sim_memory_test.py --build BUILD_DIR

What a user would check: the backend exists in the process (its mapping in
/proc/PID/smaps, preallocated pages in VmRSS), object-del gives it back
(RSS falls, the mapping and fd are gone), a backend -object names but
nothing uses is created at start, and every refusal is QEMU 7.2's answer
to the same command (recorded from qemu-system-x86_64 7.2 -machine
pc,accel=tcg).  Prints one TAP line per check; exits non-zero on failure.
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sim_test import Sim, check, fake_bzimage, results, wait_socket  # noqa: E402

MiB = 1 << 20


class QMP:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        # Read-only: a text file open for writing too drops the lines it
        # has read ahead (events that came with an answer) at each write.
        self.f = self.sock.makefile("r")
        self.events = []
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def raw(self, msg):
        self.sock.sendall((json.dumps(msg) + "\n").encode())
        while True:
            r = json.loads(self.f.readline())
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def cmd(self, name, **args):
        return self.raw({"execute": name, "arguments": args} if args else {"execute": name})

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})["return"]

    def close(self):
        self.sock.close()


OK = {"return": {}}


def wait_events(q, name, n, timeout=5):
    """Reads the monitor until n events called name have come (or timeout)."""
    end = time.time() + timeout
    while time.time() < end and sum(e["event"] == name for e in q.events) < n:
        time.sleep(0.05)
        q.cmd("query-status")


def generic(desc):
    return {"error": {"class": "GenericError", "desc": desc}}


def error(r):
    return r.get("error", {}).get("desc") if "error" in r else None


def status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def mapping_kb(pid, size_kb):
    """Rss in kB of each mapping of exactly size_kb in /proc/PID/smaps."""
    out, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            w = line.split()
            if "-" in w[0] and len(w) >= 5:
                cur = w[0]
            elif w[0] == "Size:":
                cur = cur if int(w[1]) == size_kb else None
            elif w[0] == "Rss:" and cur:
                out.append(int(w[1]))
    return out


def counts(pid):
    with open(f"/proc/{pid}/maps") as f:
        maps = len(f.readlines())
    return maps, len(os.listdir(f"/proc/{pid}/fd"))


def ram(id_, size, **props):
    return dict({"qom-type": "memory-backend-ram", "id": id_, "size": size}, **props)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    build = os.path.abspath(ap.parse_args().build)

    with tempfile.TemporaryDirectory(prefix="kvmem-qmpmem-") as work:
        fake_bzimage(os.path.join(work, "bzImage"))
        a = os.path.join(work, "a.sock")
        sim = Sim(build, work, ["-m", "1G,slots=4,maxmem=4G",
                                "-object", "memory-backend-ram,id=unused,size=48M,prealloc=on",
                                "-qmp", f"unix:{a},server=on,wait=off"], name="objects")
        if not check("kvmem-sim starts with an unused -object backend",
                     wait_socket(a) and sim.wait_ticks(2), sim.err()):
            sim.proc.kill()
            return 1
        pid = sim.proc.pid
        q = QMP(a)

        # -object used by nothing: created (and preallocated) at start, as in QEMU
        check("an -object backend nothing uses exists from the start (48 MiB resident)",
              mapping_kb(pid, 48 * 1024) == [48 * 1024], mapping_kb(pid, 48 * 1024))

        # the memory hotplug controller of -m slots=4, as QEMU 7.2 shows it
        r = q.cmd("query-acpi-ospm-status")
        check("query-acpi-ospm-status: one empty DIMM slot each, as QEMU lists them",
              r == {"return": [{"slot": str(i), "slot-type": "DIMM", "source": 0, "status": 0}
                               for i in range(4)]}, r)
        r = q.cmd("query-memory-size-summary")
        check("query-memory-size-summary before any DIMM",
              r == {"return": {"base-memory": 1 << 30, "plugged-memory": 0}}, r)
        text = q.hmp("info mtree")
        check("info mtree shows the memory hotplug registers at 0xa00",
              "0000000000000a00-0000000000000a17 (i/o): acpi-mem-hotplug" in text, text)

        # object-add: the memory appears in the process, query-memdev lists it
        rss0 = status(pid, "VmRSS")
        r = q.cmd("object-add", **ram("m1", 64 * MiB, prealloc=True, merge=False))
        rss1 = status(pid, "VmRSS")
        check("object-add memory-backend-ram prealloc=on: +64 MiB resident", r == {"return": {}}
              and rss1 - rss0 >= 60 * 1024, f"{r} {rss0} -> {rss1}")
        r = q.cmd("object-add", **{"qom-type": "memory-backend-memfd", "id": "fd1",
                                   "size": 2 * MiB, "seal": False, "share": True})
        check("object-add memory-backend-memfd", r == {"return": {}}, r)
        r = q.cmd("object-add", **{"qom-type": "memory-backend-file", "id": "file1",
                                   "size": 4 * MiB, "mem-path": work, "align": 2 * MiB})
        check("object-add memory-backend-file in a directory", r == {"return": {}}, r)
        md = {m["id"]: m for m in q.cmd("query-memdev")["return"]}
        check("query-memdev lists the -object and the object-add backends",
              sorted(md) == ["fd1", "file1", "m1", "pc.ram", "unused"] and
              md["m1"] == {"id": "m1", "size": 64 * MiB, "merge": False, "dump": True,
                           "prealloc": True, "share": False, "reserve": True,
                           "host-nodes": [], "policy": "default"} and md["fd1"]["share"], md)
        text = q.hmp("info memdev")
        check("info memdev shows them", "memory backend: m1\r\n  size:  67108864\r\n"
              "  merge: false\r\n" in text and "memory backend: fd1\r\n" in text, repr(text))

        # every refusal as QEMU 7.2 words it
        cases = [
            ({"qom-type": "memory-backend-ram", "size": 1}, "Parameter 'id' is missing"),
            ({"id": "x", "size": 1}, "Parameter 'qom-type' is missing"),
            (ram("m1", MiB), "attempt to add duplicate property 'm1' to object (type "
                             "'container')"),
            (ram("pc.ram", MiB), "attempt to add duplicate property 'pc.ram' to object "
                                 "(type 'container')"),
            (dict(ram("x", MiB), **{"qom-type": "memory-backend-xx"}),
             "Parameter 'qom-type' does not accept value 'memory-backend-xx'"),
            (ram("x", MiB, foo=1), "Parameter 'foo' is unexpected"),
            (ram("x", MiB, **{"mem-path": "/tmp"}), "Parameter 'mem-path' is unexpected"),
            (ram("x", "1G"), "Parameter 'size' expects uint64"),
            (ram("x", True), "Parameter 'size' expects uint64"),
            (ram("x", 0), "property 'size' of memory-backend-ram doesn't take value '0'"),
            ({"qom-type": "memory-backend-ram", "id": "x"}, "Parameter 'size' is missing"),
            (ram("x", MiB, policy="bind"), "host-nodes must be set for policy bind"),
            (ram("x", MiB, **{"host-nodes": [0]}),
             "host-nodes must be empty for policy default, or you should explicitly "
             "specify a policy other than default"),
            (ram("x", MiB, prealloc=True, reserve=False),
             "'prealloc=on' and 'reserve=off' are incompatible"),
            (ram("x", MiB, prealloc="on"),
             "Invalid parameter type for 'prealloc', expected: boolean"),
            (ram("1m", MiB), "Parameter 'id' expects an identifier"),
            ({"qom-type": "memory-backend-file", "id": "x", "size": MiB},
             "Parameter 'mem-path' is missing"),
            (ram("x", MiB, policy="foo", **{"host-nodes": [0]}),
             "Parameter 'policy' does not accept value 'foo'"),
            (ram("x", MiB, policy="bind", **{"host-nodes": [200]}),
             "Invalid host-nodes value: 200"),
            (ram("x", MiB, **{"prealloc-threads": 0}),
             "property 'prealloc-threads' of memory-backend-ram doesn't take value '0'"),
            (ram("x", MiB, **{"prealloc-threads": "x"}),
             "Parameter 'prealloc-threads' expects uint64"),
            (ram("x", MiB, **{"prealloc-threads": 5000000000}),
             "Parameter 'prealloc-threads' expects uint32_t"),
            (ram("x", MiB, policy="bind", **{"host-nodes": ["a"]}),
             "Parameter 'host-nodes[0]' expects uint64"),
            (ram("x", MiB, policy="bind", **{"host-nodes": [70000]}),
             "Parameter 'null' expects uint16_t"),
            (ram("x", MiB, policy="bind", **{"host-nodes": 5}),
             "Invalid parameter type for 'host-nodes', expected: array"),
            (ram("x", MiB, policy=5), "Invalid parameter type for 'policy', expected: string"),
            (ram(5, MiB), "Invalid parameter type for 'id', expected: string"),
        ]
        wrong = []
        for args, want in cases:
            got = error(q.cmd("object-add", **args))
            if got != want:
                wrong.append(f"{args}: got {got!r}, want {want!r}")
        check(f"object-add refuses {len(cases)} bad backends with QEMU 7.2's messages",
              not wrong, "; ".join(wrong))
        check("a refused object-add leaves nothing behind",
              sorted(m["id"] for m in q.cmd("query-memdev")["return"]) ==
              ["fd1", "file1", "m1", "pc.ram", "unused"])

        # secrets (libvirt's master key): checked as QEMU checks them, kept by id
        secret = {"qom-type": "secret", "id": "s0", "data": "abc"}
        dup = "attempt to add duplicate property 's0' to object (type 'container')"
        out = [q.cmd("object-add", **secret), q.cmd("object-add", **secret),
               q.cmd("object-add", **ram("s0", MiB))]
        check("object-add secret; its id is taken: QEMU 7.2's answers",
              out == [OK, generic(dup), generic(dup)], out)
        cases = [
            ({"id": "s1"}, "Either 'file' or 'data' must be provided"),
            ({"id": "s1", "data": "a", "file": "/dev/null"},
             "'file' and 'data' are mutually exclusive"),
            ({"id": "s1", "file": "/nonexistent"}, "Unable to read /nonexistent: Failed to "
             "open file \u201c/nonexistent\u201d: No such file or directory"),
            ({"id": "s1", "data": "a", "format": "hex"},
             "Parameter 'format' does not accept value 'hex'"),
            ({"id": "s1", "data": "a", "size": 3}, "Parameter 'size' is unexpected"),
            ({"id": "s1", "data": 5}, "Invalid parameter type for 'data', expected: string"),
            ({"id": "s1", "data": "a", "keyid": "s0"},
             "keyid is not supported: kvmem decrypts no secret (nothing in kvmem reads one)"),
        ]
        wrong = []
        for args, want in cases:
            got = error(q.cmd("object-add", **{"qom-type": "secret"}, **args))
            if got != want:
                wrong.append(f"{args}: got {got!r}, want {want!r}")
        check(f"object-add refuses {len(cases)} bad secrets with QEMU 7.2's messages",
              not wrong, "; ".join(wrong))
        check("a backend takes no secret's property",
              error(q.cmd("object-add", **ram("x", MiB, data="a"))) ==
              "Parameter 'data' is unexpected")
        out = [q.hmp("object_add secret,id=s1,data=x,format=raw"),
               q.cmd("object-del", id="s1"), q.cmd("object-del", id="s0"),
               q.cmd("object-del", id="s0")]
        check("object_add secret (HMP), object-del of secrets: QEMU 7.2's answers",
              out == ["", OK, OK, generic("object 's0' not found")], out)

        # object-del
        rss2 = status(pid, "VmRSS")
        r = q.cmd("object-del", id="m1")
        rss3 = status(pid, "VmRSS")
        check("object-del gives the host memory back (-64 MiB resident)",
              r == {"return": {}} and rss2 - rss3 >= 60 * 1024, f"{r} {rss2} -> {rss3}")
        check("object-del of an unknown id", error(q.cmd("object-del", id="m1")) ==
              "object 'm1' not found")
        check("object-del of guest RAM (pc.ram)", error(q.cmd("object-del", id="pc.ram")) ==
              "object 'pc.ram' is in use, can not be deleted")
        check("object-del without id", error(q.cmd("object-del")) == "Parameter 'id' is missing")
        r = q.cmd("object-del", id="unused")
        check("object-del of the unused -object backend frees it",
              r == {"return": {}} and mapping_kb(pid, 48 * 1024) == [], r)

        # the human monitor: same commands, QEMU's output
        out = [q.hmp(c) for c in (
            "object_add memory-backend-ram,id=h1,size=1M",
            "object_add memory-backend-ram,id=h1,size=1M",
            "object_add memory-backend-ram,size=1M",
            "object_add memory-backend-ram,id=h2",
            "object_add memory-backend-ram,id=h5,size=xx",
            "object_add memory-backend-ram,id=h5,size=1M,prealloc=maybe",
            "object_add memory-backend-ram,id=h5,size=1M,share",
            "object_add qom-type=memory-backend-ram,id=h4,size=1M",
            'object_add {"qom-type":"memory-backend-ram","id":"h6","size":1048576}',
            "object_add",
            "object_del",
            "object_del h1",
            "object_del h1",
        )]
        want = ["", "Error: attempt to add duplicate property 'h1' to object (type "
                    "'container')\r\n",
                "Error: Parameter 'id' is missing\r\n",
                "Error: Parameter 'size' is missing\r\n",
                "Error: Parameter 'size' expects size\r\n",
                "Error: Parameter 'prealloc' expects 'on' or 'off'\r\n",
                "Error: Expected '=' after parameter 'share'\r\n",
                "", "",
                "object_add: string expected\r\nTry \"help object_add\" for more information\r\n",
                "object_del: string expected\r\nTry \"help object_del\" for more information\r\n",
                "", "Error: object 'h1' not found\r\n"]
        check("object_add / object_del at the human monitor, as QEMU answers", out == want,
              [f"{o!r} != {w!r}" for o, w in zip(out, want) if o != w])
        check("help object_add", q.hmp("help object_add") ==
              "object_add [qom-type=]type,id=str[,prop=value][,...] -- create QOM object\r\n")
        for i in ("h4", "h6", "fd1", "file1"):
            q.cmd("object-del", id=i)

        # many cycles leave no mapping or fd behind
        before = counts(pid)
        for i in range(50):
            q.cmd("object-add", **{"qom-type": "memory-backend-memfd", "id": f"c{i}",
                                   "size": 2 * MiB, "prealloc": True})
            q.cmd("object-del", id=f"c{i}")
        after = counts(pid)
        check("50 object-add/object-del cycles: same maps lines and open fds",
              before == after, f"{before} -> {after}")
        q.cmd("quit")
        q.close()
        check("kvmem-sim exits 0", sim.wait() == 0, sim.err())

        # NUMA memdevs and -machine memory-backend are guest RAM: in use
        sim = Sim(build, work, ["-m", "512M", "-smp", "2",
                                "-object", "memory-backend-ram,id=n0,size=256M",
                                "-object", "memory-backend-memfd,id=n1,size=256M",
                                "-numa", "node,nodeid=0,cpus=0,memdev=n0",
                                "-numa", "node,nodeid=1,cpus=1,memdev=n1",
                                "-qmp", f"unix:{a},server=on,wait=off"], name="numa")
        wait_socket(a)
        q = QMP(a)
        check("object-del of a NUMA node's memdev: in use",
              error(q.cmd("object-del", id="n1")) ==
              "object 'n1' is in use, can not be deleted")
        check("no slots: query-acpi-ospm-status is empty, as in QEMU",
              q.cmd("query-acpi-ospm-status") == {"return": []})
        check("no slots: no memory hotplug registers",
              "acpi-mem-hotplug" not in q.hmp("info mtree"))
        q.cmd("quit")
        q.close()
        sim.wait()
        sim = Sim(build, work, ["-m", "256M", "-object", "memory-backend-ram,id=all,size=256M",
                                "-machine", "memory-backend=all",
                                "-qmp", f"unix:{a},server=on,wait=off"], name="machine")
        wait_socket(a)
        q = QMP(a)
        check("object-del of -machine memory-backend: in use",
              error(q.cmd("object-del", id="all")) ==
              "object 'all' is in use, can not be deleted")
        q.cmd("quit")
        q.close()
        sim.wait()

        # pc-dimm: QEMU 7.2's placement, answers and queries
        sim = Sim(build, work, ["-m", "2G,slots=4,maxmem=8G",
                                "-qmp", f"unix:{a},server=on,wait=off"], name="dimm")
        wait_socket(a)
        q = QMP(a)

        def dimm(**args):
            return q.cmd("device_add", driver="pc-dimm", **args)
        q.cmd("object-add", **ram("m1", 1 << 30))
        q.cmd("object-add", **ram("m2", MiB))
        q.cmd("object-add", **{"qom-type": "memory-backend-memfd", "id": "m3", "size": 4096})
        q.cmd("object-add", **ram("m4", 2 * MiB))
        out = [dimm(id="d1", memdev="m1"), dimm(id="d2", memdev="m2"),
               dimm(id="d3", memdev="m3"), dimm(id="d4", memdev="m4")]
        check("device_add pc-dimm: QEMU 7.2's answers (1 MiB of ram is not 2 MiB aligned)",
              out == [OK, generic("backend memory size must be multiple of 0x200000"), OK, OK],
              out)
        # query-memory-devices of qemu-system-x86_64 7.2 after the same commands
        qemu = [{"type": "dimm", "data": {"memdev": "/objects/m1", "hotplugged": True,
                                          "addr": 4294967296, "hotpluggable": True,
                                          "size": 1073741824, "slot": 0, "node": 0,
                                          "id": "d1"}},
                {"type": "dimm", "data": {"memdev": "/objects/m3", "hotplugged": True,
                                          "addr": 5368709120, "hotpluggable": True,
                                          "size": 4096, "slot": 1, "node": 0, "id": "d3"}},
                {"type": "dimm", "data": {"memdev": "/objects/m4", "hotplugged": True,
                                          "addr": 5370806272, "hotpluggable": True,
                                          "size": 2097152, "slot": 2, "node": 0,
                                          "id": "d4"}}]
        r = q.cmd("query-memory-devices")
        check("query-memory-devices equals QEMU 7.2's for the same commands", r ==
              {"return": qemu}, r)
        text = q.hmp("info memory-devices")
        check("info memory-devices in QEMU's format", text.startswith(
            'Memory device [dimm]: "d1"\r\n  addr: 0x100000000\r\n  slot: 0\r\n  node: 0\r\n'
            '  size: 1073741824\r\n  memdev: /objects/m1\r\n  hotplugged: true\r\n'
            '  hotpluggable: true\r\n'), repr(text))
        r = q.cmd("query-memory-size-summary")
        check("query-memory-size-summary counts the DIMMs",
              r == {"return": {"base-memory": 2 << 30,
                               "plugged-memory": (1 << 30) + 4096 + 2 * MiB}}, r)
        r = q.cmd("query-acpi-ospm-status")
        check("query-acpi-ospm-status names the DIMM in each slot",
              [e.get("device") for e in r["return"]] == ["d1", "d3", "d4", None], r)
        check("the DIMMs' KVM slots and regions in info mtree", all(
            f"(ram): {m} @{m} " in q.hmp("info mtree") for m in ("m1", "m3", "m4")))
        check("object-del of a DIMM's backend: in use", error(q.cmd("object-del", id="m1")) ==
              "object 'm1' is in use, can not be deleted")
        check("qom-get addr and slot show the placement", q.cmd(
            "qom-get", path="d4", property="addr") == {"return": 5370806272} and q.cmd(
            "qom-get", path="d4", property="slot") == {"return": 2})
        q.cmd("object-add", **ram("m5", 1 << 30))
        q.cmd("object-add", **ram("m6", 1 << 30))
        cases = [
            (dict(id="e1"), "'memdev' property must be set"),
            (dict(id="e1", memdev="nope"), "Device 'nope' not found"),
            (dict(id="e1", memdev="m1"), "can't use already busy memdev: m1"),
            (dict(id="e1", memdev="m5", node=1),
             "'DIMM property node has value 1' which exceeds the number of numa nodes: 1"),
            (dict(id="e1", memdev="m5", slot=4), "invalid slot number 4, valid range is [0-3]"),
            (dict(id="e1", memdev="m5", slot=-2), "invalid slot number -2, valid range is [0-3]"),
            (dict(id="e1", memdev="m5", slot=0), "slot 0 is busy"),
            (dict(id="e1", memdev="m5", addr=4294967296),
             "address range conflicts with memory device id='d1'"),
            (dict(id="e1", memdev="m5", addr=4296015872),
             "address must be aligned to 0x200000 bytes"),
            (dict(id="e1", memdev="m5", addr=70368744177664),
             "can't add memory device [0x400000000000:0x40000000], usable range for memory "
             "devices [0x100000000:0x280000000]"),
            (dict(id="d1", memdev="m5"), "Duplicate device ID 'd1'"),
        ]
        wrong = []
        for args, want in cases:
            got = error(dimm(**args))
            if got != want:
                wrong.append(f"{args}: got {got!r}, want {want!r}")
        check(f"device_add pc-dimm refuses {len(cases)} bad DIMMs with QEMU 7.2's messages",
              not wrong, "; ".join(wrong))
        out = [dimm(id="d5", memdev="m5"), dimm(id="d6", memdev="m6")]
        check("slots exhausted: QEMU's answer",
              out == [OK, generic("no free slots available")], out)
        check("refused device_adds left the DIMMs as they were",
              len(q.cmd("query-memory-devices")["return"]) == 4)
        check("HMP device_add pc-dimm", q.hmp("device_add pc-dimm,id=h1,memdev=m6") ==
              "Error: no free slots available\r\n")
        wait_events(q, "ACPI_DEVICE_OST", 4)
        osts = [e["data"]["info"] for e in q.events if e["event"] == "ACPI_DEVICE_OST"]
        check("the guest reported each DIMM it added through _OST (device check, success)",
              {(o.get("device"), o["source"], o["status"]) for o in osts} >=
              {("d1", 1, 0), ("d3", 1, 0), ("d4", 1, 0), ("d5", 1, 0)}, osts)
        # device_del: the guest is asked; while it is stopped it cannot answer
        q.cmd("stop")
        seen = len(q.events)
        out = [q.cmd("device_del", id="d5"), q.cmd("device_del", id="d5")]
        check("device_del, and again while pending: {} both times, as QEMU 7.2",
              out == [OK, OK], out)
        # stop returns once the guest has stopped: it cannot act on the request
        time.sleep(0.5)
        ospm = q.cmd("query-acpi-ospm-status")["return"][3]
        check("stopped, the guest does not answer: no event, its last _OST the device check",
              q.events[seen:] == [] and (ospm["source"], ospm["status"]) == (1, 0),
              f"{q.events[seen:]} {ospm}")
        check("the DIMM stays until the guest ejects it",
              any(d["data"].get("id") == "d5" for d in q.cmd("query-memory-devices")["return"]))
        check("object-del of the backend of a DIMM being unplugged: in use",
              error(q.cmd("object-del", id="m5")) == "object 'm5' is in use, can not be deleted")
        q.events.clear()
        q.cmd("cont")
        wait_events(q, "DEVICE_DELETED", 1)
        deleted = [e["data"] for e in q.events if e["event"] == "DEVICE_DELETED"]
        check("kvmem-sim's guest ejects it: DEVICE_DELETED, as QEMU's with a Linux guest",
              deleted == [{"device": "d5", "path": "/machine/peripheral/d5"}], q.events)
        osts = [e["data"]["info"] for e in q.events if e["event"] == "ACPI_DEVICE_OST"]
        wait_events(q, "ACPI_DEVICE_OST", 2)
        osts = [e["data"]["info"] for e in q.events if e["event"] == "ACPI_DEVICE_OST"]
        # (the second names d5 here, while a slow guest's comes once the slot is empty)
        check("ACPI_DEVICE_OST: eject request in progress (0x84), then success, as from Linux",
              [(o["slot"], o["source"], o["status"]) for o in osts] ==
              [("3", 3, 0x84), ("3", 3, 0)] and osts[0].get("device") == "d5", osts)
        check("the DIMM is gone", not any(
            d["data"].get("id") == "d5" for d in q.cmd("query-memory-devices")["return"]))
        check("object-del of its backend now", q.cmd("object-del", id="m5") == OK)
        q.cmd("quit")
        q.close()
        sim.wait()

        # maxmem, and cold-plugged DIMMs (-device): present from the start
        sim = Sim(build, work, ["-m", "2G,slots=4,maxmem=3G",
                                "-object", "memory-backend-ram,id=c0,size=512M",
                                "-device", "pc-dimm,id=cd,memdev=c0,slot=2",
                                "-qmp", f"unix:{a},server=on,wait=off"], name="cold")
        wait_socket(a)
        q = QMP(a)
        r = q.cmd("query-memory-devices")
        check("-device pc-dimm: cold-plugged, hotplugged false, as in QEMU",
              r == {"return": [{"type": "dimm", "data": {
                  "memdev": "/objects/c0", "hotplugged": False, "addr": 4294967296,
                  "hotpluggable": True, "size": 512 * MiB, "slot": 2, "node": 0,
                  "id": "cd"}}]}, r)
        q.cmd("object-add", **ram("m1", 1 << 30))
        check("maxmem exceeded: QEMU's answer", error(dimm(id="x", memdev="m1")) ==
              "not enough space, currently 0x20000000 in use of total space for memory "
              "devices 0x40000000")
        q.cmd("quit")
        q.close()
        sim.wait()

    failed = results.count(False)
    print(f"1..{len(results)}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
