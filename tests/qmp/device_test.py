#!/usr/bin/env python3
"""Devices over QMP and the human monitor, end to end, without KVM.

    tests/qmp/device_test.py --build BUILD_DIR

kvmem-sim (sim_test.py) with its test device kvmem-sim-dev (sim_dev.c):
-device in both forms at start, then what a client sees through QMP,
kvmemctl and the human monitor: qom-list of /, /machine and
/machine/peripheral, qom-get/qom-set, device-list-properties, device_add
and device_del with QEMU 7.2's answers, and DEVICE_DELETED arriving once
the "guest" lets the device go.  Prints one TAP line per check.
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sim_test import Sim, check, fake_bzimage, results, run, wait_socket  # noqa: E402


class Qmp:
    """A raw QMP client: answers and events as JSON, nothing interpreted."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.f = self.sock.makefile("rwb")
        self.events = []
        self.read()  # greeting
        assert self.cmd("qmp_capabilities") == {"return": {}}

    def read(self):
        return json.loads(self.f.readline())

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            m = self.read()
            if "event" in m:
                self.events.append(m)
            else:
                return m

    def wait_event(self, name, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e["event"] == name:
                    self.events.remove(e)
                    return e
            self.sock.settimeout(max(0.01, end - time.time()))
            try:
                self.events.append(self.read())
            except (socket.timeout, ValueError):
                break
        return None


def error(cls, desc):
    return {"error": {"class": cls, "desc": desc}}


def generic(desc):
    return error("GenericError", desc)


OK = {"return": {}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    build = os.path.abspath(ap.parse_args().build)
    ctl = os.path.join(build, "tools", "kvmemctl")

    with tempfile.TemporaryDirectory(prefix="kvmem-dev-") as work:
        fake_bzimage(os.path.join(work, "bzImage"))
        a = os.path.join(work, "a.sock")
        sim = Sim(build, work, ["-m", "512M,slots=2,maxmem=1G", "-smp", "2",
                                "-object", "memory-backend-ram,id=m0,size=16M",
                                "-object", "memory-backend-ram,id=m1,size=16M",
                                "-device", "kvmem-sim-dev,id=d0,memdev=m0,level=3,count=5",
                                "-device", '{"driver": "kvmem-sim-dev", "memdev": "m1", '
                                           '"flag": true, "mode": "off"}',
                                "-qmp", f"unix:{a},server=on,wait=off"])
        if not check("kvmem-sim starts with two -device", wait_socket(a) and sim.wait_ticks(2),
                     sim.err()):
            sim.proc.kill()
            return 1
        q = Qmp(a)

        # the tree: qom-list of /, /machine and the containers
        r = q.cmd("qom-list", path="/")
        check("qom-list /", r == {"return": [
            {"name": "type", "type": "string"},
            {"name": "machine", "type": "child<pc-i440fx-7.2-machine>"}]}, r)
        r = q.cmd("qom-list", path="/machine")
        names = [p["name"] for p in r.get("return", [])]
        check("qom-list /machine: the machine's properties and the containers",
              names == ["type", "kernel", "initrd", "append", "smp", "memory",
                        "unattached", "peripheral-anon", "peripheral"], r)
        r = q.cmd("qom-list", path="/machine/peripheral")
        check("qom-list /machine/peripheral names the device with an id", r == {"return": [
            {"name": "type", "type": "string"},
            {"name": "d0", "type": "child<kvmem-sim-dev>"}]}, r)
        r = q.cmd("qom-list", path="/machine/peripheral-anon")
        check("qom-list /machine/peripheral-anon names the JSON one device[0]", r == {
            "return": [{"name": "type", "type": "string"},
                       {"name": "device[0]", "type": "child<kvmem-sim-dev>"}]}, r)
        r = q.cmd("qom-list", path="/machine/peripheral/d0")
        check("qom-list of a device: QEMU's DeviceState properties, then the driver's",
              [p["name"] for p in r.get("return", [])][:7] ==
              ["type", "parent_bus", "realized", "hotplugged", "hotpluggable", "memdev",
               "label"] and {"name": "memdev", "type": "link<memory-backend>"} in r["return"],
              r)
        check("qom-list of a missing path: DeviceNotFound",
              q.cmd("qom-list", path="/machine/nothere") ==
              error("DeviceNotFound", "Device '/machine/nothere' not found"))
        r = q.cmd("qom-get", path="/machine", property="memory")
        check("qom-get /machine memory", r == {"return": {
            "size": 512 << 20, "slots": 2, "max-size": 1 << 30}}, r)
        r = q.cmd("qom-get", path="/machine", property="smp")
        check("qom-get /machine smp", r.get("return", {}).get("cpus") == 2, r)

        # properties: what was given, defaults, a link, read-only, run time
        checks = [("memdev", "/objects/m0"), ("count", 5), ("label", "sim"), ("slot", -1),
                  ("mode", "auto"), ("type", "kvmem-sim-dev"), ("realized", True),
                  ("hotplugged", False), ("hotpluggable", True), ("parent_bus", "")]
        got = {p: q.cmd("qom-get", path="d0", property=p).get("return") for p, _ in checks}
        check("qom-get of d0's properties", got == dict(checks), got)
        r = q.cmd("qom-get", path="/machine/peripheral-anon/device[0]", property="mode")
        check("qom-get of the anonymous device's enum", r == {"return": "off"}, r)
        check("qom-set of a run-time property",
              q.cmd("qom-set", path="d0", property="level", value=7) == OK and
              q.cmd("qom-get", path="d0", property="status") ==
              {"return": {"level": 7, "unplug-requests": 0}})
        r = q.cmd("qom-set", path="d0", property="count", value=1)
        check("qom-set of a static property after realize", r == generic(
            "Attempt to set property 'count' on device 'd0' (type 'kvmem-sim-dev') after it "
            "was realized"), r)
        r = q.cmd("qom-set", path="d0", property="status", value=1)
        check("qom-set of a read-only property", r == generic(
            "Property 'kvmem-sim-dev.status' is not writable"), r)
        r = q.cmd("qom-set", path="d0", property="level", value="x")
        check("qom-set with the wrong JSON type", r == generic(
            "Invalid parameter type for 'level', expected: integer"), r)
        r = q.cmd("qom-get", path="d0", property="nope")
        check("qom-get of a missing property", r == generic(
            "Property 'kvmem-sim-dev.nope' not found"), r)

        # device-list-properties
        r = q.cmd("device-list-properties", typename="kvmem-sim-dev")
        props = {p["name"]: p for p in r.get("return", [])}
        check("device-list-properties: names, types, defaults, descriptions",
              props.get("count") == {"name": "count", "type": "uint32", "default-value": 1}
              and props.get("mode") == {"name": "mode", "type": "OnOffAuto",
                                        "description": "on/off/auto", "default-value": "auto"}
              and props.get("memdev") == {"name": "memdev", "type": "link<memory-backend>"},
              r)
        r = q.cmd("device-list-properties", typename="nvdimm")
        check("device-list-properties of an unknown type",
              r == error("DeviceNotFound", "Device 'nvdimm' not found"), r)

        # device_add: QEMU 7.2's answers
        cases = [
            ({}, generic("Parameter 'driver' is missing")),
            ({"driver": "nvdimm"}, generic("'nvdimm' is not a valid device model name")),
            ({"driver": "kvmem-sim-dev"}, generic("'memdev' property must be set")),
            ({"driver": "kvmem-sim-dev", "memdev": "m9"},
             error("DeviceNotFound", "Device 'm9' not found")),
            ({"driver": "kvmem-sim-dev", "id": "d0", "memdev": "m0"},
             generic("Duplicate device ID 'd0'")),
            ({"driver": "kvmem-sim-dev", "id": "0x", "memdev": "m0"},
             generic("Parameter 'id' expects an identifier")),
            ({"driver": "kvmem-sim-dev", "memdev": "m0", "foo": 1},
             generic("Property 'kvmem-sim-dev.foo' not found")),
            ({"driver": "kvmem-sim-dev", "memdev": "m0", "count": "x"},
             generic("Parameter 'count' expects integer")),
            ({"driver": "kvmem-sim-dev", "memdev": "m0", "flag": "maybe"},
             generic("Parameter 'flag' expects 'on' or 'off'")),
            ({"driver": "kvmem-sim-dev", "memdev": "m0", "bus": "pci.0"},
             generic("Device 'kvmem-sim-dev' can't go on PCI bus")),
            ({"driver": "kvmem-sim-dev", "memdev": "m0", "bus": "pci.1"},
             generic("Bus 'pci.1' not found")),
            ({"driver": "kvmem-sim-dev", "memdev": "m0", "fail-realize": True},
             generic("kvmem-sim-dev: realize refused (fail-realize=on)")),
        ]
        for args, want in cases:
            r = q.cmd("device_add", **args)
            check(f"device_add {json.dumps(args)}", r == want, r)
        r = q.cmd("qom-list", path="/machine/peripheral")
        check("refused device_add left nothing behind",
              [p["name"] for p in r["return"]] == ["type", "d0"], r)

        # a device added at run time; QMP turns true and 5 into text, as QEMU
        r = q.cmd("device_add", driver="kvmem-sim-dev", id="k1", memdev="m1", flag=True,
                  count=5, **{"unplug-delay-ms": 300})
        check("device_add at run time", r == OK, r)
        r = q.cmd("qom-get", path="k1", property="hotplugged")
        check("it says hotplugged", r == {"return": True}, r)
        r = q.cmd("device_add", driver="kvmem-sim-dev", memdev="m1")
        # the JSON -device was device[0]; six of the refused ones above were
        # anonymous and got as far as their properties: QEMU numbered them
        check("an anonymous device_add after six refused ones is device[7], as QEMU "
              "counts", r == OK and q.cmd("qom-list", path="/machine/peripheral-anon")[
                  "return"][-1] == {"name": "device[7]", "type": "child<kvmem-sim-dev>"})

        # device_del: the request returns at once, DEVICE_DELETED follows
        watcher = Qmp(a)
        t0 = time.time()
        r = q.cmd("device_del", id="k1")
        t1 = time.time()
        still = q.cmd("qom-list", path="/machine/peripheral")
        check("device_del answers before the guest lets go",
              r == OK and t1 - t0 < 0.25 and
              {"name": "k1", "type": "child<kvmem-sim-dev>"} in still["return"], still)
        ev = watcher.wait_event("DEVICE_DELETED")
        check("DEVICE_DELETED reaches another client, with QEMU's data",
              ev is not None and ev["data"] == {"device": "k1", "path": "/machine/peripheral/k1"}
              and time.time() - t0 >= 0.25, ev)
        r = q.cmd("qom-list", path="/machine/peripheral")
        check("the device is gone", [p["name"] for p in r["return"]] == ["type", "d0"], r)
        r = q.cmd("device_add", driver="kvmem-sim-dev", id="k1", memdev="m1",
                  **{"refuse-unplug": True})
        check("its id can be used again", r == OK, r)
        r = q.cmd("device_del", id="k1")
        check("a driver's refusal reaches the client", r == generic(
            "kvmem-sim-dev: the guest refuses to let k1 go"), r)
        for did, want in [("nope", error("DeviceNotFound", "Device 'nope' not found")),
                          ("/machine/peripheral",
                           generic("/machine/peripheral is not a hotpluggable device"))]:
            r = q.cmd("device_del", id=did)
            check(f"device_del {did}", r == want, r)
        r = q.cmd("device_del", id="/machine/peripheral-anon/device[0]")
        ev = watcher.wait_event("DEVICE_DELETED")
        check("device_del of an anonymous -device by its path",
              r == OK and ev is not None and
              ev["data"] == {"path": "/machine/peripheral-anon/device[0]"}, ev)

        # kvmemctl and the human monitor reach the same commands
        r = run([ctl, "-s", a, "device_add", "driver=kvmem-sim-dev", "id=c1", "memdev=m0"])
        check("kvmemctl device_add", r.returncode == 0, r.stderr)
        r = run([ctl, "-s", a, "device_add", "driver=nope"])
        check("kvmemctl device_add error exits 1 with QEMU's message", r.returncode == 1 and
              "'nope' is not a valid device model name" in r.stderr, r.stderr)
        r = run([ctl, "-s", a, "hmp", "device_add kvmem-sim-dev,id=h1,memdev=m0"])
        r2 = run([ctl, "-s", a, "--json", "qom-list", "path=/machine/peripheral"])
        check("HMP device_add", r.returncode == 0 and r.stdout == "" and
              "h1" in r2.stdout, r.stdout + r.stderr + r2.stdout)
        r = run([ctl, "-s", a, "hmp", "device_add kvmem-sim-dev,id=h1,memdev=m0"])
        check("HMP device_add error", r.stdout == "Error: Duplicate device ID 'h1'\n",
              repr(r.stdout))
        r = run([ctl, "-s", a, "hmp", "device_add kvmem-sim-dev,help"])
        check("HMP device_add DRIVER,help", r.stdout.startswith("kvmem-sim-dev options:\n  "
                                                                "count=<uint32>"), r.stdout)
        r = run([ctl, "-s", a, "hmp", "device_add help"])
        check("HMP device_add help", r.stdout == '\nInput devices:\nname "isa-serial", bus ISA\n'
              '\nMisc devices:\nname "kvmem-sim-dev", desc "kvmem-sim\'s test device"\n'
              'name "pc-dimm", desc "DIMM memory module"\n'
              'name "virtio-balloon-pci", bus PCI, alias "virtio-balloon"\n'
              'name "virtio-mem-pci", bus PCI\n',
              repr(r.stdout))
        r = run([ctl, "-s", a, "hmp", "device_del h1"])
        ev = watcher.wait_event("DEVICE_DELETED")
        check("HMP device_del", r.stdout == "" and ev is not None and
              ev["data"]["device"] == "h1", r.stdout + str(ev))
        r = run([ctl, "-s", a, "hmp", "device_del nope"])
        check("HMP device_del error", r.stdout == "Error: Device 'nope' not found\n",
              repr(r.stdout))
        check("the guest kept running", sim.wait_ticks(len(sim.ticks()) + 2), sim.err())

        q.cmd("quit")
        rc = sim.wait()
        check("kvmem exits 0 with devices still plugged", rc == 0, f"rc {rc}: {sim.err()}")

    failed = results.count(False)
    print(f"1..{len(results)}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
