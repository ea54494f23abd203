#!/usr/bin/env python3
"""The monitors end to end, without KVM: kvmem-sim, kvmemctl and qmpcheck.

    tests/qmp/sim_test.py --build BUILD_DIR

kvmem-sim is kvmem with tests/qmp/sim_vm.c in place of the KVM VM: the
command line, plan, guest memory, devices, main loop, monitors and their
commands are kvmem's own.  Its "guest" prints "sim: tick N uptime U" on the
serial port every 50 ms and powers off on the ACPI power button, so these
checks see the guest make progress, stop, resume and power off.

Prints one TAP line per check and exits non-zero if any failed.  The
guest scenarios (tests/guest/scenarios/qmp-*.scn) run the same qmpcheck
modes beside a real Linux guest.
"""

import argparse
import fcntl
import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
results = []


def check(name, ok, why=""):
    results.append(ok)
    n = len(results)
    print(f"ok {n} - {name}" if ok else f"not ok {n} - {name}: {why}", flush=True)
    return ok


def fake_bzimage(path):
    """The least kvmem's boot_probe accepts: a 64-bit boot protocol header."""
    img = bytearray(4096)
    img[0x1f1] = 1                              # setup_sects: 2 sectors of setup
    img[0x1fe:0x200] = b"\x55\xaa"
    img[0x202:0x206] = b"HdrS"
    img[0x206:0x208] = (0x020f).to_bytes(2, "little")
    img[0x211] = 0x01                           # LOADED_HIGH
    img[0x236] = 0x01                           # XLF_KERNEL_64
    img[0x238:0x23c] = (2048).to_bytes(4, "little")
    img[0x260:0x264] = (1 << 20).to_bytes(4, "little")
    with open(path, "wb") as f:
        f.write(img)


class Sim:
    """One kvmem-sim process; its serial console goes to a file."""

    def __init__(self, build, work, args, stdin=None, name="sim", preexec_fn=None, env=None,
                 stdout=subprocess.PIPE):
        self.console = os.path.join(work, f"{name}.console")
        self.stderr = os.path.join(work, f"{name}.stderr")
        serial = [] if "-serial" in args else ["-serial", "file:" + self.console]
        argv = [os.path.join(build, "tests", "qmp", "kvmem-sim"), "-kernel",
                os.path.join(work, "bzImage")] + serial + args
        self.proc = subprocess.Popen(argv, stdin=stdin or subprocess.DEVNULL,
                                     stdout=stdout, stderr=open(self.stderr, "w"),
                                     preexec_fn=preexec_fn, env=env)

    def cpu_seconds(self):
        """User plus system CPU time the main thread (the event loop) has used."""
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def ticks(self):
        try:
            with open(self.console) as f:
                return [l for l in f.read().splitlines() if l.startswith("sim: tick")]
        except FileNotFoundError:
            return []

    def wait_ticks(self, n, timeout=10):
        end = time.time() + timeout
        while time.time() < end and len(self.ticks()) < n:
            time.sleep(0.05)
        return len(self.ticks()) >= n

    def wait(self, timeout=20):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def err(self):
        with open(self.stderr) as f:
            return f.read()


def listening(path):
    """Whether a unix socket listens at path (/proc/net/unix: the flag
    __SO_ACCEPTCON), without connecting: a probe connection would be the
    client a wait=on server waits for."""
    want = (path, os.path.abspath(path))
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                w = line.split()
                if len(w) >= 8 and w[7] in want and int(w[3], 16) & 0x10000:
                    return True
    except OSError:
        return os.path.exists(path)
    return False


def wait_socket(path, timeout=10):
    """Waits until the server listens at path: the file alone appears at
    bind(), before listen(), and a client that connects in between is
    refused (seen on a loaded machine)."""
    end = time.time() + timeout
    while time.time() < end and not listening(path):
        time.sleep(0.02)
    return listening(path)


def run(argv, timeout=60, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def qmp_session(path, requests, timeout=10, wait=True):
    """Every message kvmem sends on one connection that sends requests,
    in order, until kvmem closes it.  With wait=False: once the requests
    are answered, a function that returns them all later."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(timeout)
    data = b""
    for r in requests:
        s.sendall(r.encode())

    def rest():
        nonlocal data
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        s.close()
        return [json.loads(l) for l in data.decode().splitlines() if l.strip()]
    if wait:
        return rest()
    # the greeting and one answer per request
    while data.count(b"\n") < 1 + len(requests):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return rest


def qmp_greeted(sock, timeout):
    """True once the server has sent its greeting on sock."""
    sock.settimeout(timeout)
    try:
        return b'"QMP"' in sock.recv(4096)
    except OSError:
        return False


def check_out_of_fds(build, work, sock):
    """kvmem runs out of file descriptors with clients still queued: it must
    neither spin on the readable listener nor forget the queued clients."""
    limit = 32  # kvmem-sim itself needs about 10

    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    sim = Sim(build, work, ["-qmp", f"unix:{sock},server=on,wait=off"], name="emfile",
              preexec_fn=low_nofile)
    wait_socket(sock)
    clients = []
    for _ in range(limit + 20):  # more than kvmem can hold; the rest wait in the backlog
        c = socket.socket(socket.AF_UNIX)
        c.connect(sock)
        clients.append(c)
    greeted = [qmp_greeted(c, 0.2) for c in clients]
    waiting = [c for c, g in zip(clients, greeted) if not g]
    check("out of fds: kvmem holds what it can, the rest wait",
          0 < greeted.count(True) < limit and waiting, f"{greeted.count(True)} greeted")
    # A spinning loop gets a good share of a core even on a loaded machine
    # (0.7 s in 3 s was seen with six busy neighbours on two cores); an
    # idle one uses next to nothing.
    before = sim.cpu_seconds()
    time.sleep(3)
    used = sim.cpu_seconds() - before
    check("out of fds: the main loop does not spin (its CPU time over 3 s)", used < 0.1,
          f"{used:.2f} s of CPU")
    # a client leaves: one queued client is accepted and greeted at once
    clients[0].close()
    check("out of fds: a queued client is accepted once another leaves",
          any(qmp_greeted(c, 2 if i == 0 else 0.2) for i, c in enumerate(waiting)))
    for c in clients[1:]:
        c.close()
    r = run([os.path.join(build, "tools", "kvmemctl"), "-s", sock, "--retry", "5", "quit"])
    rc = sim.wait()
    check("out of fds: kvmem serves again once clients left, quit exits 0",
          r.returncode == 0 and rc == 0, f"{r.stderr} rc {rc} {sim.err()}")


def pipe_fill(fd):
    """Bytes waiting in the pipe whose read end is fd."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def timed(argv, timeout):
    """(seconds it took, CompletedProcess or None if it did not end in time)."""
    t = time.monotonic()
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        r = None
    return time.monotonic() - t, r


def check_stalled_console(build, work, sock, end):
    """The reader of kvmem's stdout stops while the guest prints as fast as
    the UART lets it.  Neither a vCPU nor the main loop may wait on the
    console: stop, console input and the monitor still answer at once, and
    `end` ("quit" or "SIGTERM") ends kvmem within 2 s.  What came out before
    is whole and in order: the guest was held back, not robbed."""
    ctl = os.path.join(build, "tools", "kvmemctl")
    env = dict(os.environ, KVMEM_SIM_FLOOD="1")
    out, wr = os.pipe()
    fcntl.fcntl(wr, fcntl.F_SETPIPE_SZ, 4096)  # fills at once
    sim = Sim(build, work, ["-serial", "stdio", "-qmp", f"unix:{sock},server=on,wait=off"],
              stdin=subprocess.PIPE, name="stall", env=env, stdout=wr)
    os.close(wr)
    try:
        stalled_console_checks(sim, ctl, sock, end, out)
    finally:
        if sim.proc.poll() is None:  # it hung: the checks said so already
            sim.proc.kill()
            sim.proc.wait()
        os.close(out)


def stalled_console_checks(sim, ctl, sock, end, out):
    wait_socket(sock)
    deadline = time.time() + 10
    while time.time() < deadline and pipe_fill(out) < 4096:
        time.sleep(0.05)
    time.sleep(0.5)  # and the UART's own buffer behind it
    check(f"stalled console ({end}): the guest filled the pipe", pipe_fill(out) >= 4096,
          f"{pipe_fill(out)} bytes")
    took, r = timed([ctl, "-s", sock, "--json", "query-status"], 5)
    check(f"stalled console ({end}): the monitor answers at once",
          r is not None and r.returncode == 0 and took < 1, f"{took:.1f} s")
    took, r = timed([ctl, "-s", sock, "stop"], 5)
    check(f"stalled console ({end}): stop returns at once (no vCPU waits on the console)",
          r is not None and r.returncode == 0 and took < 1, f"{took:.1f} s")
    timed([ctl, "-s", sock, "cont"], 5)
    sim.proc.stdin.write(b"typed while nobody reads\n" * 8)
    sim.proc.stdin.flush()
    time.sleep(0.3)
    took, r = timed([ctl, "-s", sock, "--json", "query-status"], 5)
    check(f"stalled console ({end}): console input does not block the main loop",
          r is not None and r.returncode == 0 and json.loads(r.stdout)["status"] == "running"
          and took < 1, f"{took:.1f} s")
    t = time.monotonic()
    if end == "quit":
        timed([ctl, "-s", sock, "quit"], 5)
    else:
        sim.proc.send_signal(signal.SIGTERM)
    try:
        rc = sim.proc.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.monotonic() - t
    check(f"stalled console: {end} ends kvmem within 2 s, status 0", rc == 0 and took < 2,
          f"rc {rc} after {took:.1f} s")
    if rc is None:
        return
    data = b""
    while chunk := os.read(out, 65536):
        data += chunk
    lines = data.decode(errors="replace").split("\n")[1:-1]  # "sim: guest up" first; the last may be cut
    numbers = [int(l.split()[-1]) for l in lines if l.startswith("sim: flood ")]
    check(f"stalled console ({end}): the output is whole and in order",
          len(numbers) == len(lines) and numbers == list(range(len(numbers))) and
          len(numbers) > 100, f"{len(numbers)} flood lines of {len(lines)}: {lines[:3]}")


def check_actions(build, work, sock):
    """-action reboot= and shutdown=, against QEMU 7.2's events, states
    and messages for the same requests (qemu-system-x86_64 -machine
    pc,accel=tcg -action reboot=shutdown,shutdown=pause)."""
    ctl = os.path.join(build, "tools", "kvmemctl")

    def kinds(msgs):
        return [m["event"] if "event" in m else ("error" if "error" in m else "return")
                for m in msgs]

    # reboot=shutdown,shutdown=pause: system_reset powers off and stops
    sim = Sim(build, work, ["-action", "reboot=shutdown,shutdown=pause",
                            "-qmp", f"unix:{sock},server=on,wait=off"], name="pause1")
    wait_socket(sock)
    sim.wait_ticks(2)
    c = socket.socket(socket.AF_UNIX)
    c.connect(sock)
    f = c.makefile("rwb", buffering=0)

    def ask(req):
        f.write(req.encode() + b"\n")
        out = []
        while True:
            m = json.loads(f.readline())
            out.append(m)
            if "event" not in m:
                return out
    f.readline()
    ask('{"execute": "qmp_capabilities"}')
    got = ask('{"execute": "system_reset"}')
    check("reboot=shutdown,shutdown=pause: system_reset gives SHUTDOWN, STOP, then the answer",
          kinds(got) == ["SHUTDOWN", "STOP", "return"] and got[0]["data"] ==
          {"guest": False, "reason": "host-qmp-system-reset"}, got)
    time.sleep(0.2)  # a tick already under way may still land
    n = len(sim.ticks())
    time.sleep(0.5)
    got = ask('{"execute": "query-status"}')
    check("the guest stands still in QEMU's 'shutdown' state",
          got[-1]["return"] == {"running": False, "singlestep": False, "status": "shutdown"}
          and len(sim.ticks()) == n, f"{got} ticks {n} -> {len(sim.ticks())}")
    got = ask('{"execute": "cont"}')
    check("cont in the shutdown state: QEMU's error", got[-1] == {"error": {
        "class": "GenericError", "desc": "Resetting the Virtual Machine is required"}}, got)
    got = ask('{"execute": "stop"}')
    check("stop in the shutdown state: no event, the state stays",
          kinds(got) == ["return"] and ask('{"execute": "query-status"}')[-1]["return"]
          ["status"] == "shutdown", got)
    got = ask('{"execute": "system_reset"}')
    check("system_reset again: SHUTDOWN again, no STOP (it is not running)",
          kinds(got) == ["SHUTDOWN", "return"], got)
    got = ask('{"execute": "quit"}')
    check("quit from the shutdown state: SHUTDOWN host-qmp-quit, exit 0",
          kinds(got) == ["SHUTDOWN", "return"] and sim.wait() == 0, f"{got} {sim.err()}")
    c.close()

    # shutdown=pause: the guest powers off (ACPI S5) and waits, a reset
    # brings it back in prelaunch, cont runs it
    sim = Sim(build, work, ["-no-shutdown", "-qmp", f"unix:{sock},server=on,wait=off"],
              name="pause2")
    wait_socket(sock)
    sim.wait_ticks(2)
    c = socket.socket(socket.AF_UNIX)
    c.connect(sock)
    f = c.makefile("rwb", buffering=0)
    f.readline()
    ask('{"execute": "qmp_capabilities"}')
    ask('{"execute": "system_powerdown"}')
    evs = []
    c.settimeout(10)
    while len(evs) < 2:
        evs.append(json.loads(f.readline()))
    check("-no-shutdown: the guest's power-off gives SHUTDOWN guest-shutdown, then STOP",
          kinds(evs) == ["SHUTDOWN", "STOP"] and evs[0]["data"] ==
          {"guest": True, "reason": "guest-shutdown"}, evs)
    st = ask('{"execute": "query-status"}')[-1]["return"]["status"]
    got = ask('{"execute": "system_reset"}')
    st2 = ask('{"execute": "query-status"}')[-1]["return"]["status"]
    ask('{"execute": "cont"}')
    check("then system_reset: RESET, prelaunch; cont runs the guest again",
          st == "shutdown" and kinds(got) == ["RESET", "return"] and st2 == "prelaunch" and
          sim.wait_ticks(len(sim.ticks()) + 2) and
          open(sim.console).read().count("sim: guest up") == 2, f"{st} {got} {st2}")
    ask('{"execute": "quit"}')
    check("-no-shutdown: quit exits 0", sim.wait() == 0, sim.err())
    c.close()

    # reboot=shutdown alone is -no-reboot
    sim = Sim(build, work, ["-action", "reboot=shutdown",
                            "-qmp", f"unix:{sock},server=on,wait=off"], name="rebootshut")
    wait_socket(sock)
    msgs = qmp_session(sock, ['{"execute": "qmp_capabilities"}',
                              '{"execute": "system_reset", "id": 1}'])
    check("-action reboot=shutdown: system_reset gives SHUTDOWN and kvmem exits 0",
          kinds(msgs[2:]) == ["SHUTDOWN", "return"] and sim.wait() == 0, f"{msgs} {sim.err()}")


def check_cpu_queries(build, work, sock):
    """query-hotpluggable-cpus, query-cpus-fast and query-name against
    QEMU 7.2's answers for the same -smp and -numa (qemu-system-x86_64
    -machine pc,accel=tcg), the CPU model aside: kvmem's guest gets KVM's
    host CPUID, QEMU's "host" model, where QEMU defaults to qemu64."""
    ctl = os.path.join(build, "tools", "kvmemctl")

    def cpu(core, socket, path=None, die=None, node=None):
        props = {"core-id": core, "thread-id": 0, "socket-id": socket}
        if die is not None:
            props["die-id"] = die
        if node is not None:
            props["node-id"] = node
        c = {"props": props, "vcpus-count": 1, "type": "host-x86_64-cpu"}
        if path is not None:
            c["qom-path"] = f"/machine/unattached/device[{path}]"
        return c

    cases = [
        ("-smp 2,maxcpus=4,sockets=2,cores=2 with two NUMA nodes",
         ["-m", "2G", "-smp", "2,maxcpus=4,sockets=2,cores=2",
          "-object", "memory-backend-ram,id=m0,size=1G",
          "-object", "memory-backend-ram,id=m1,size=1G",
          "-numa", "node,memdev=m0,cpus=0-1", "-numa", "node,memdev=m1,cpus=2-3"],
         [cpu(1, 1, node=1), cpu(0, 1, node=1), cpu(1, 0, 2, node=0), cpu(0, 0, 0, node=0)]),
        ("-smp 4,dies=2,sockets=1,cores=2",
         ["-smp", "4,dies=2,sockets=1,cores=2"],
         [cpu(1, 0, 4, die=1), cpu(0, 0, 3, die=1), cpu(1, 0, 2, die=0), cpu(0, 0, 0, die=0)]),
        ("-smp 4,maxcpus=6",
         ["-smp", "4,maxcpus=6"],
         [cpu(5, 0), cpu(4, 0), cpu(3, 0, 4), cpu(2, 0, 3), cpu(1, 0, 2), cpu(0, 0, 0)]),
    ]
    for title, args, want in cases:
        sim = Sim(build, work, args + ["-qmp", f"unix:{sock},server=on,wait=off"],
                  name="cpus")
        r = run([ctl, "-s", sock, "--retry", "5", "--json", "query-hotpluggable-cpus"])
        got = json.loads(r.stdout) if r.returncode == 0 else r.stderr
        check(f"query-hotpluggable-cpus as QEMU 7.2's, {title}", got == want,
              f"got {got}, QEMU {want}")
        r = run([ctl, "-s", sock, "--json", "query-cpus-fast"])
        fast = json.loads(r.stdout) if r.returncode == 0 else []
        present = [c for c in reversed(want) if "qom-path" in c]
        check(f"query-cpus-fast agrees (props, qom-path), {title}",
              [(c["props"], c["qom-path"]) for c in fast] ==
              [(c["props"], c["qom-path"]) for c in present], r.stdout)
        r = run([ctl, "-s", sock, "--json", "query-name"])
        check(f"query-name without -name is {{}}, {title}",
              r.returncode == 0 and json.loads(r.stdout) == {}, r.stdout)
        run([ctl, "-s", sock, "quit"])
        sim.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    build = os.path.abspath(ap.parse_args().build)
    ctl = os.path.join(build, "tools", "kvmemctl")
    qmpcheck = os.path.join(build, "tests", "qmp", "qmpcheck")
    transcript = os.path.join(HERE, "transcript-qemu-7.2.txt")

    with tempfile.TemporaryDirectory(prefix="kvmem-qmp-") as work:
        fake_bzimage(os.path.join(work, "bzImage"))
        a, b, h = (os.path.join(work, n) for n in ("a.sock", "b.sock", "h.sock"))
        port = free_port()
        sim = Sim(build, work, ["-m", "512M,slots=2,maxmem=1G", "-smp", "2", "-name", "sim-guest",
                                "-qmp", f"unix:{a},server=on,wait=off",
                                "-qmp", f"unix:{b},server=on,wait=off",
                                "-monitor", f"unix:{h},server=on,wait=off",
                                "-qmp", f"tcp:127.0.0.1:{port},server=on,wait=off"])
        up = wait_socket(a) and wait_socket(h) and sim.wait_ticks(2)
        if not check("kvmem-sim starts and its guest ticks", up, sim.err()):
            sim.proc.kill()
            return 1

        def qc(*args, sock=a, timeout=120):
            r = run([qmpcheck, "-s", sock] + list(args), timeout=timeout)
            for line in r.stdout.splitlines():
                print("#   " + line)
            return r.returncode == 0, r.stdout[-2000:]

        # robustness: every case answered as QEMU would, the guest goes on
        n0 = len(sim.ticks())
        ok, out = qc("robust")
        check("robustness list (qmpcheck robust)", ok, out)
        ok, out = qc("clients", "100")
        check("100 clients at once", ok, out)
        ok, out = qc("hmp", sock=h)
        check("human monitor on a unix socket", ok, out)
        n1 = len(sim.ticks())
        ok, out = qc("silent", "2")
        n2 = len(sim.ticks())
        check("a silent client stalls neither the server nor the guest",
              ok and n2 - n1 >= 20, f"{out} ticks {n2 - n1}")
        ok, out = qc("noread", "2")
        n3 = len(sim.ticks())
        check("a client that stops reading stalls neither the server nor the guest",
              ok and n3 - n2 >= 20, f"{out} ticks {n3 - n2}")
        check("the guest kept running through all of it", n3 > n0 + 40, f"{n0} -> {n3}")

        # kvmemctl: readable output, --json, hmp, raw, errors, exit codes
        r = run([ctl, "-s", a, "query-status"])
        check("kvmemctl query-status for people", r.returncode == 0 and
              "status: running" in r.stdout and "running: true" in r.stdout, r.stdout + r.stderr)
        r = run([ctl, "-s", a, "--json", "query-status"])
        check("kvmemctl --json query-status", r.returncode == 0 and
              json.loads(r.stdout) == {"running": True, "singlestep": False,
                                       "status": "running"}, r.stdout + r.stderr)
        r = run([ctl, "-s", a, "query-memdev"])
        check("kvmemctl query-memdev lists pc.ram",
              r.returncode == 0 and "- id: pc.ram" in r.stdout and
              f"size: {512 << 20}" in r.stdout, r.stdout)
        r = run([ctl, "-s", a, "--json", "query-cpus-fast"])
        cpus = json.loads(r.stdout) if r.returncode == 0 else []
        check("query-cpus-fast: two vCPUs with their thread ids",
              len(cpus) == 2 and all(c["thread-id"] > 0 for c in cpus) and
              [c["cpu-index"] for c in cpus] == [0, 1] and
              [c["props"]["core-id"] for c in cpus] == [0, 1], r.stdout)
        r = run([ctl, "-s", a, "--json", "query-name"])
        check("query-name gives -name's name", r.returncode == 0 and
              json.loads(r.stdout) == {"name": "sim-guest"}, r.stdout + r.stderr)
        r = run([ctl, "-s", a, "--json", "query-kvm"])
        check("query-kvm: KVM present and enabled", r.returncode == 0 and
              json.loads(r.stdout) == {"enabled": True, "present": True}, r.stdout + r.stderr)
        r = run([ctl, "-s", a, "--json", "query-memory-size-summary"])
        check("query-memory-size-summary", r.returncode == 0 and json.loads(r.stdout) ==
              {"base-memory": 512 << 20, "plugged-memory": 0}, r.stdout)
        r = run([ctl, "-s", a, "hmp", "info status"])
        check("kvmemctl hmp 'info status'", r.stdout == "VM status: running\n", repr(r.stdout))
        r = run([ctl, "-s", a, "--json", "hmp", "info status"])
        check("kvmemctl --json hmp keeps QEMU's CRLF", json.loads(r.stdout) ==
              "VM status: running\r\n", repr(r.stdout))
        r = run([ctl, "-s", a, "hmp", "info numa"])
        # QEMU's pc gives a VM with memory hotplug one NUMA node; so does kvmem
        check("kvmemctl hmp 'info numa' (hotplug makes node 0, as in QEMU)", r.stdout ==
              "1 nodes\nnode 0 cpus: 0 1\nnode 0 size: 512 MB\nnode 0 plugged: 0 MB\n",
              repr(r.stdout))
        r = run([ctl, "-s", a, "hmp", "info memdev"])
        check("hmp 'info memdev' in QEMU's format",
              "memory backend: pc.ram\n  size:  536870912\n  merge: true\n" in r.stdout
              and "  reserve: false\n" in r.stdout
              and "  host nodes: \n" in r.stdout, repr(r.stdout))
        r = run([ctl, "-s", a, "hmp", "info mtree"])
        check("hmp 'info mtree' shows the regions, their backend and KVM slots",
              re.search(r"0000000000000000-000000001fffffff \(ram\): [\w-]+ @pc\.ram "
                        r"0000000000000000-000000001fffffff, KVM slot 0", r.stdout) and
              "device-memory" in r.stdout and "acpi-pm" in r.stdout, r.stdout)
        r = run([ctl, "-s", a, "hmp", "info cpus"])
        check("hmp 'info cpus'", re.fullmatch(r"\* CPU #0: thread_id=\d+\n  CPU #1: "
                                              r"thread_id=\d+\n", r.stdout), repr(r.stdout))
        r = run([ctl, "-s", a, "raw", '{"execute": "query-status", "id": 42}'])
        check("kvmemctl raw passes JSON through", r.returncode == 0 and
              json.loads(r.stdout).get("id") == 42, r.stdout)
        r = run([ctl, "-s", a, "raw", "{]"])
        check("kvmemctl raw: a QMP error exits 1", r.returncode == 1 and "GenericError" in
              r.stdout, r.stdout)
        r = run([ctl, "-s", a, "no-such-command"])
        check("kvmemctl: an unknown command exits 1 with the QMP error",
              r.returncode == 1 and "CommandNotFound" in r.stderr, r.stderr)
        r = run([ctl, "-s", a, "query-status", "a=1"])
        check("kvmemctl: an extra argument exits 1", r.returncode == 1 and
              "Parameter 'a' is unexpected" in r.stderr, r.stderr)
        r = run([ctl, "-s", os.path.join(work, "nothing.sock"), "query-status"])
        check("kvmemctl: no socket exits 2", r.returncode == 2, r.stderr)
        r = run([ctl, "-s", a, "--timeout", "0.5", "wait-event", "NEVER"])
        check("kvmemctl wait-event times out with status 3", r.returncode == 3, r.stderr)
        r = run([ctl, "-s", f"tcp:127.0.0.1:{port}", "query-status"])
        check("QMP over TCP", r.returncode == 0 and "status: running" in r.stdout, r.stderr)

        # stop / cont: the guest stops ticking and its clock stands still
        watcher = subprocess.Popen([ctl, "-s", b, "--json", "--timeout", "30", "wait-event",
                                    "RESUME"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        r = run([ctl, "-s", a, "stop"])
        t_stop = sim.ticks()
        time.sleep(1)
        t_paused = sim.ticks()
        st = run([ctl, "-s", a, "--json", "query-status"]).stdout
        check("stop: the guest makes no progress and query-status says paused",
              r.returncode == 0 and len(t_paused) <= len(t_stop) + 1 and
              json.loads(st)["status"] == "paused", f"{len(t_stop)} -> {len(t_paused)} {st}")
        r = run([ctl, "-s", a, "hmp", "info status"])
        check("hmp 'info status' while stopped", r.stdout == "VM status: paused\n",
              repr(r.stdout))
        run([ctl, "-s", a, "cont"])
        sim.wait_ticks(len(t_paused) + 3)
        t_after = sim.ticks()

        def uptime(line):
            return float(line.split()[-1])
        jump = uptime(t_after[len(t_paused)]) - uptime(t_paused[-1]) if \
            len(t_after) > len(t_paused) else 99
        check("cont: the guest ticks again and its clock did not jump",
              len(t_after) >= len(t_paused) + 3 and jump < 0.5, f"jump {jump:.2f} s")
        out, _ = watcher.communicate(timeout=30)
        check("RESUME reaches a second client", watcher.returncode == 0 and
              json.loads(out)["event"] == "RESUME", out)

        # the transcript of QEMU's documentation, on the second QMP socket,
        # while a third client waits for SHUTDOWN
        watcher = subprocess.Popen([ctl, "-s", a, "--json", "--timeout", "60", "wait-event",
                                    "SHUTDOWN"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        ok, out = qc("transcript", transcript, sock=b)
        check("QEMU 7.2's documented exchanges have kvmem's shapes", ok, out)
        out, _ = watcher.communicate(timeout=60)
        ev = json.loads(out) if out.strip() else {}
        check("system_powerdown: the guest powers off, SHUTDOWN reaches another client",
              ev.get("event") == "SHUTDOWN" and ev.get("data") ==
              {"guest": True, "reason": "guest-shutdown"}, out)
        rc = sim.wait()
        check("kvmem exits 0 after the guest powered off", rc == 0, f"rc {rc}: {sim.err()}")
        check("the unix socket files are removed", not any(os.path.exists(p) for p in (a, b, h)))
        check("a RESET came with system_reset (the guest booted twice)",
              open(sim.console).read().count("sim: guest up") == 2, sim.console)

        # NUMA nodes backed by -object memory backends: what QMP and HMP show
        sim = Sim(build, work, ["-m", "512M", "-smp", "2",
                                "-object", "memory-backend-ram,id=m0,size=256M",
                                "-object", "memory-backend-ram,id=m1,size=256M,host-nodes=0,"
                                           "policy=bind,merge=off,dump=off",
                                "-numa", "node,nodeid=0,cpus=0,memdev=m0",
                                "-numa", "node,nodeid=1,cpus=1,memdev=m1",
                                "-qmp", f"unix:{a},server=on,wait=off"], name="numa")
        wait_socket(a)
        r = run([ctl, "-s", a, "--retry", "5", "hmp", "info numa"])
        check("info numa with two nodes, in QEMU's format", r.stdout ==
              "2 nodes\nnode 0 cpus: 0\nnode 0 size: 256 MB\nnode 0 plugged: 0 MB\n"
              "node 1 cpus: 1\nnode 1 size: 256 MB\nnode 1 plugged: 0 MB\n", repr(r.stdout))
        r = run([ctl, "-s", a, "--json", "query-memdev"])
        mds = json.loads(r.stdout) if r.returncode == 0 else []
        check("query-memdev shows each -object backend as configured", mds == [
            {"id": "m0", "size": 256 << 20, "merge": True, "dump": True, "prealloc": False,
             "share": False, "reserve": True, "host-nodes": [], "policy": "default"},
            {"id": "m1", "size": 256 << 20, "merge": False, "dump": False, "prealloc": False,
             "share": False, "reserve": True, "host-nodes": [0], "policy": "bind"}], r.stdout)
        r = run([ctl, "-s", a, "--json", "query-cpus-fast"])
        cpus = json.loads(r.stdout) if r.returncode == 0 else []
        check("query-cpus-fast gives each CPU its node-id",
              [c["props"].get("node-id") for c in cpus] == [0, 1], r.stdout)
        r = run([ctl, "-s", a, "hmp", "info mtree"])
        check("info mtree shows each node's RAM on its own backend and KVM slot",
              re.search(r"\(ram\): [\w-]+ @m0 0+-0*fffffff, KVM slot 0", r.stdout) and
              re.search(r"\(ram\): [\w-]+ @m1 0+-0*fffffff, KVM slot 1", r.stdout), r.stdout)
        run([ctl, "-s", a, "quit"])
        sim.wait()

        # quit, with a client waiting for SHUTDOWN; as in QEMU 7.2 the
        # SHUTDOWN event comes before quit's answer
        sim = Sim(build, work, ["-qmp", f"unix:{a},server=on,wait=off"], name="quit")
        wait_socket(a)
        watcher = qmp_session(a, ['{"execute": "qmp_capabilities"}'], wait=False)
        lines = qmp_session(a, ['{"execute": "qmp_capabilities"}',
                                '{"execute": "quit", "id": "q"}'])
        out = [m for m in watcher() if m.get("event") == "SHUTDOWN"]
        rc = sim.wait()
        check("quit: kvmem exits 0, SHUTDOWN says host-qmp-quit to another client too",
              rc == 0 and len(out) == 1 and out[0]["data"] ==
              {"guest": False, "reason": "host-qmp-quit"}, f"{lines} {rc} {out}")
        check("quit: SHUTDOWN comes before quit's answer, as in QEMU 7.2",
              [m.get("event", m.get("id")) for m in lines[2:]] == ["SHUTDOWN", "q"], lines)

        # system_reset with -no-reboot ends kvmem, as in QEMU
        sim = Sim(build, work, ["-no-reboot", "-qmp", f"unix:{a},server=on,wait=off"],
                  name="noreboot")
        wait_socket(a)
        watcher = subprocess.Popen([ctl, "-s", a, "--json", "--timeout", "30", "wait-event",
                                    "SHUTDOWN"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        run([ctl, "-s", a, "system_reset"])
        out, _ = watcher.communicate(timeout=30)
        rc = sim.wait()
        check("system_reset with -no-reboot: SHUTDOWN host-qmp-system-reset, exit 0",
              rc == 0 and json.loads(out)["data"] ==
              {"guest": False, "reason": "host-qmp-system-reset"}, f"{rc} {out}")

        check_actions(build, work, a)

        # a signal
        sim = Sim(build, work, ["-qmp", f"unix:{a},server=on,wait=off"], name="signal")
        wait_socket(a)
        watcher = subprocess.Popen([ctl, "-s", a, "--json", "--timeout", "30", "wait-event",
                                    "SHUTDOWN"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        sim.proc.send_signal(signal.SIGTERM)
        out, _ = watcher.communicate(timeout=30)
        rc = sim.wait()
        check("SIGTERM: SHUTDOWN host-signal, exit 0", rc == 0 and json.loads(out)["data"] ==
              {"guest": False, "reason": "host-signal"}, f"{rc} {out}")

        # -S and wait=on: nothing runs before a client connects and says cont
        sim = Sim(build, work, ["-S", "-qmp", f"unix:{a},server=on"], name="prelaunch")
        wait_socket(a)
        time.sleep(0.5)
        waiting = "waiting for a client" in sim.err() and not sim.ticks()
        r = run([ctl, "-s", a, "--json", "query-status"])
        status = json.loads(r.stdout) if r.returncode == 0 else {}
        time.sleep(0.3)
        check("-S with wait=on: kvmem waits for a client, then stays in prelaunch",
              waiting and status.get("status") == "prelaunch" and not sim.ticks(),
              f"{sim.err()} {r.stdout}")
        run([ctl, "-s", a, "cont"])
        check("cont after -S starts the guest", sim.wait_ticks(2), sim.err())
        run([ctl, "-s", a, "quit"])
        sim.wait()

        # a stale socket file is replaced; a file that is not a socket is not
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(a)
        stale.close()
        sim = Sim(build, work, ["-qmp", f"unix:{a},server=on,wait=off"], name="stale")
        r = run([ctl, "-s", a, "--retry", "5", "query-status"])
        check("a stale socket file is replaced", r.returncode == 0, r.stderr + sim.err())
        run([ctl, "-s", a, "quit"])
        sim.wait()
        notsock = os.path.join(work, "file")
        open(notsock, "w").close()
        sim = Sim(build, work, ["-qmp", f"unix:{notsock},server=on,wait=off"], name="notsock")
        rc = sim.wait()
        check("a file that is not a socket is left alone and refused",
              rc == 1 and "not a socket" in sim.err() and os.path.isfile(notsock), sim.err())

        check_out_of_fds(build, work, a)
        check_stalled_console(build, work, a, "quit")
        check_stalled_console(build, work, a, "SIGTERM")
        check_cpu_queries(build, work, a)

        # QMP on stdio
        sim = Sim(build, work, ["-serial", "none", "-qmp", "stdio"], stdin=subprocess.PIPE,
                  name="qmpstdio")
        out, _ = sim.proc.communicate(b'{"execute": "qmp_capabilities"}\n'
                                      b'{"execute": "query-status", "id": 1}\n'
                                      b'{"execute": "quit"}\n', timeout=20)
        lines = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
        check("-qmp stdio: greeting, answers, SHUTDOWN, exit 0",
              sim.proc.returncode == 0 and "QMP" in lines[0] and
              lines[2] == {"return": {"running": True, "singlestep": False,
                                      "status": "running"}, "id": 1} and
              lines[-2].get("event") == "SHUTDOWN" and lines[-1] == {"return": {}} and
              out.endswith(b"\r\n"), repr(out))

        # the human monitor on stdio
        sim = Sim(build, work, ["-serial", "none", "-monitor", "stdio"], stdin=subprocess.PIPE,
                  name="hmpstdio")
        out, _ = sim.proc.communicate(b"info status\nstop\ninfo status\nfoo\nquit\n", timeout=20)
        text = out.decode()
        check("-monitor stdio: banner, prompt, commands, quit",
              sim.proc.returncode == 0 and text.startswith("kvmem ") and "(qemu) " in text and
              "VM status: running\r\n" in text and "VM status: paused\r\n" in text and
              "unknown command: 'foo'" in text, repr(text))

    failed = results.count(False)
    print(f"1..{len(results)}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
