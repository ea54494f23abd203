#!/usr/bin/env python3
"""virtio-balloon-pci's monitor and command-line face against QEMU 7.2.

    tests/qmp/balloon_test.py --build BUILD_DIR

tests/qmp/balloon/qemu-7.2-*.txt hold what QEMU 7.2 answered (QMP and HMP
with and without a balloon device, and its first line for -device lines);
this starts kvmem-sim with the same options, sends the same requests and
checks each answer: equal JSON (key order aside) or equal text.  The few
answers where kvmem differs on purpose are in DIFFERENCES, with kvmem's
answer and why (docs/balloon.md).  The guest-facing behaviour (inflate,
RSS, BALLOON_CHANGE) is in the balloon-* guest scenarios.  One TAP line
per check.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sim_test import Sim, check, fake_bzimage, results, wait_socket  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "balloon")
PATH = "/machine/peripheral/balloon0"

# request -> (kvmem's answer, why it differs)
DIFFERENCES = {
    json.dumps({"execute": "qom-set", "arguments": {"path": PATH, "property": "guest-stats",
                                                    "value": 2}}, separators=(",", ":")):
    ({"error": {"class": "GenericError",
                "desc": "Property 'virtio-balloon-pci.guest-stats' is not writable"}},
     "kvmem has no virtio-balloon-device child: the property is the PCI device's"),
    json.dumps({"execute": "qom-set", "arguments": {"path": PATH, "property": "deflate-on-oom",
                                                    "value": True}}, separators=(",", ":")):
    ({"error": {"class": "GenericError",
                "desc": "Attempt to set property 'deflate-on-oom' on device 'balloon0' "
                        "(type 'virtio-balloon-pci') after it was realized"}},
     "the same: the device is virtio-balloon-pci itself"),
    json.dumps({"execute": "device_add", "arguments": {"driver": "virtio-balloon-pci",
                                                       "id": "b2"}}, separators=(",", ":")):
    ({"error": {"class": "GenericError",
                "desc": "Parameter 'driver' expects a pluggable device type"}},
     "kvmem's pc has no ACPI PCI hotplug yet: the balloon is cold-plugged only"),
}


def transcript(path):
    """[(request, answer)] from a file of '>> request' lines and answers."""
    pairs, req, ans = [], None, []
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("#"):
                continue
            if line.startswith(">> "):
                if req is not None:
                    pairs.append((req, "\n".join(ans)))
                req, ans = line[3:], []
            elif req is not None:
                ans.append(line)
    if req is not None:
        pairs.append((req, "\n".join(ans)))
    return pairs


class Qmp:
    def __init__(self, sock):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(sock)
        self.s.settimeout(10)
        # Read-only: a text file open for writing too drops what it has
        # read ahead at each write (the start of a line, maybe).
        self.f = self.s.makefile("r")
        self.read()
        self.send('{"execute":"qmp_capabilities"}')

    def read(self):
        while True:
            msg = json.loads(self.f.readline())
            if "event" not in msg:
                return msg

    def send(self, text):
        self.s.sendall((text + "\n").encode())
        return self.read()

    def ask(self, req):
        """QMP for a JSON request, else HMP: the answer as QEMU's file has it."""
        if req.startswith("{"):
            return self.send(req)
        ans = self.send(json.dumps({"execute": "human-monitor-command",
                                    "arguments": {"command-line": req}}))
        if isinstance(ans.get("return"), str):
            return ans["return"].replace("\r\n", "\n")
        return ans


def same(got, want_text):
    if isinstance(got, str):
        return got.rstrip("\n") == want_text.rstrip("\n")
    try:
        return got == json.loads(want_text)
    except ValueError:
        return False


def compare(build, work, name, args, path):
    sock = os.path.join(work, f"{name}.sock")
    sim = Sim(build, work, args + ["-S", "-qmp", f"unix:{sock},server=on,wait=off"], name=name)
    if not check(f"{name}: kvmem-sim starts", wait_socket(sock), sim.err()):
        sim.proc.kill()
        return
    q = Qmp(sock)
    for req, want in transcript(path):
        got = q.ask(req)
        key = json.dumps(json.loads(req), separators=(",", ":")) if req.startswith("{") else req
        if key in DIFFERENCES:
            kv, why = DIFFERENCES[key]
            check(f"{name}: {req} (differs on purpose: {why})", got == kv, repr(got))
            continue
        check(f"{name}: {req}", same(got, want), f"kvmem {got!r}, QEMU {want!r}")
    q.send('{"execute":"quit"}')
    sim.wait()


def cli(build, work):
    pairs = transcript(os.path.join(HERE, "qemu-7.2-cli.txt"))
    kernel = os.path.join(work, "bzImage")
    for line, want in pairs:
        want = want[3:] if want.startswith("<< ") else ""
        argv = [os.path.join(build, "tests", "qmp", "kvmem-sim"), "-kernel", kernel, "-m", "2G",
                "-serial", "none", "-S"] + line.split()
        if want:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            check(f"cli: {line}", r.returncode == 1 and r.stderr == f"kvmem: {want}\n",
                  f"rc {r.returncode}: {r.stderr!r}")
            continue
        # QEMU starts: so does kvmem (until it is told to quit)
        sock = os.path.join(work, "cli.sock")
        p = subprocess.Popen(argv + ["-qmp", f"unix:{sock},server=on,wait=off"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        up = wait_socket(sock)
        if up:
            Qmp(sock).send('{"execute":"quit"}')
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        check(f"cli: {line} starts", up and p.returncode == 0, p.stderr.read())
        os.unlink(sock) if os.path.exists(sock) else None


def layout(build, work):
    """-print-layout shows the planned function and refuses a taken slot."""
    sim = os.path.join(build, "tests", "qmp", "kvmem-sim")
    r = subprocess.run([sim, "-m", "2G", "-device", "virtio-balloon-pci,id=b0,addr=4",
                        "-print-layout"], capture_output=True, text=True, timeout=30)
    line = [l.strip() for l in r.stdout.splitlines() if "virtio-balloon-pci" in l]
    check("-print-layout: 00:04.0 with QEMU's modern ids, INTA and both BARs",
          r.returncode == 0 and len(line) == 1 and
          line[0].startswith("00:04.0 1af4:1045 virtio-balloon-pci id=b0, INTA gsi 19, BAR1 [mem ")
          and "BAR4 [mem 0x100000000-0x100003fff 64bit pref]" in line[0], r.stdout + r.stderr)
    r = subprocess.run([sim, "-m", "2G", "-device", "virtio-balloon-pci,addr=1", "-print-layout"],
                       capture_output=True, text=True, timeout=30)
    check("-print-layout: a taken slot is refused in the plan",
          r.returncode == 1 and r.stderr == "kvmem: -device virtio-balloon-pci,addr=1: PCI: slot 1 "
          "function 0 not available for virtio-balloon-pci, in use by PIIX3,id=(null)\n",
          r.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kvmem-balloon-") as work:
        fake_bzimage(os.path.join(work, "bzImage"))
        compare(opts.build, work, "device",
                ["-m", "2G", "-device", "virtio-balloon-pci,id=balloon0,deflate-on-oom=on,addr=5"],
                os.path.join(HERE, "qemu-7.2-device.txt"))
        compare(opts.build, work, "none", ["-m", "2G"], os.path.join(HERE, "qemu-7.2-none.txt"))
        cli(opts.build, work)
        layout(opts.build, work)
    print(f"{results.count(True)} passed, {results.count(False)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
