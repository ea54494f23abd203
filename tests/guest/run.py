#!/usr/bin/env python3
"""Guest scenarios: boot a real Linux guest under kvmem and check what it reports.

    tests/guest/run.py [-v] [--list] [SCENARIO ...]

Each file in tests/guest/scenarios/*.scn states a kvmem command line and the
facts the guest must report.  The format, one key per line:

    # comment: what the scenario is about
    args: -m 3584M -smp {smp}        kvmem's options (kernel/initrd/append added)
    each: smp 1 2                    optional: one run per value, named NAME-smp1 ...,
                                     with {smp} replaced in args, expect and guest
    expect: usable == size("3584M") - LOW_CARVEOUT
    expect: ram_above_4g
    guest: cat /sys/devices/system/node/online    optional busybox sh line(s)
    host: kvmemctl ... | grep x      optional busybox sh line(s) run beside kvmem (in the
                                     L1 when nested) once it started; $VMM_PID is kvmem's,
                                     `wait_for TEXT` waits for TEXT in kvmem's output so
                                     far ($VMM_CONSOLE), kvmemctl and qmpcheck are on $PATH
                                     (and qemu-system-x86_64 when a host: line names it),
                                     $KVMEM_SRC is the source tree; $VMM_READER_PID reads
                                     kvmem's output (kill -STOP it: a reader that stopped),
                                     `vmm_exited [SECS]` waits for kvmem's end; its output
                                     is collected after kvmem exits (kvmemtest.Job.host_script)
    pre: echo 300 > /proc/sys/vm/nr_hugepages   optional busybox sh line(s) run on
                                     the same machine before kvmem starts (in the L1 when
                                     nested; on this host, as root, when direct)
    post: echo 0 > /proc/sys/vm/nr_hugepages    optional: run after kvmem ended
    append: reboot=t                 optional: added to the guest kernel's command line
    stdin: hello                     optional: a line typed on kvmem's stdin every 2 s
    reset: on                        optional: leave out -no-reboot, so a guest reboot
                                     resets the VM (the default is -no-reboot)
    libvirt: libvirt-domain.xml      optional: libvirt starts kvmem instead of the harness:
                                     tests/guest/libvirt-vmm.sh runs a libvirtd of its own,
                                     which starts the domain of that file (in
                                     tests/guest/scenarios/) with kvmem as its emulator, the
                                     guest's kernel, initrd and command line; the guest's
                                     serial console is the scenario's console, and libvirt's
                                     QMP to kvmem follows it ("libvirt| " lines).  No args:
                                     line; host: lines drive it with virsh
    timeout: 600                     optional: seconds this guest may run (default 240)
    kernel: bzimage                  optional: boot Debian's bzImage itself rather than
                                     the same kernel uncompressed (the default, vmlinux:
                                     kvmem loads the ELF and enters it directly, which
                                     saves each nested boot the ~7 s of decompression)
    exit: 1                          optional: kvmem's expected exit status (default 0);
                                     with a non-zero status the guest need not have run,
                                     and then the guest facts are empty (usable is 0,
                                     nproc -1) while console and host stay as usual

An `expect:` line is a Python expression over the guest's facts:
  usable         bytes of 'System RAM' in /sys/firmware/memmap (the e820 it got)
  memmap         [(start, end_inclusive, type)] from /sys/firmware/memmap
  iomem          [(start, end_inclusive, name)] top-level lines of /proc/iomem
  ram_above_4g   True if /proc/iomem has System RAM at or above 4 GiB
  high_ram       bytes of 'System RAM' in the memmap at or above 4 GiB
  nproc          `nproc` in the guest
  memtotal_kb    MemTotal from /proc/meminfo
  acpi_tables    names in /sys/firmware/acpi/tables
  guest          the lines the `guest:` script printed (every boot's)
  host           the lines the `host:` script printed
  console        every line of the run: guest console and kvmem's stderr
  boots          how many times the guest's /init started
  maxrss_kb      kvmem's peak resident set over the whole run, in KiB
  other("NAME")  the facts of another scenario run in the same batch
  size("4G")     a QEMU size string in bytes; KiB MiB GiB; LOW_CARVEOUT (the
                 bytes below 1 MiB that the e820 does not report usable,
                 docs/memory-map.md)

Runs directly on /dev/kvm when this machine has a real one, otherwise nested
in one L1 VM (tests/guest/kvmemtest.py).  Prints a TAP line per scenario, the
guest console of each failure, and a closing 'N passed, N failed' line.
"""

import argparse
import fcntl
import glob
import os
import re
import shlex
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmemtest  # noqa: E402

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
LOW_CARVEOUT = 0x100000 - 0x9fc00   # EBDA + VGA/ROM window + ACPI area


def size(text):
    """QEMU's size syntax for the values scenarios use (MiB by default)."""
    m = re.fullmatch(r"(\d+)([kKmMgGtT]?)", text)
    if not m:
        raise ValueError(f"bad size {text!r}")
    mult = {"": MiB, "k": KiB, "m": MiB, "g": GiB, "t": 1 << 40}[m[2].lower()]
    return int(m[1]) * mult


class Scenario:
    def __init__(self, name, args, expects, guest, host, path, opts, pre=(), post=()):
        self.name, self.args, self.expects = name, args, expects
        self.guest, self.host, self.path = guest, host, path
        self.pre, self.post = list(pre), list(post)
        self.exit_status = int(opts.get("exit", "0"))
        self.append = opts.get("append", "")
        self.reset = opts.get("reset", "off") == "on"
        self.stdin = opts.get("stdin")
        self.libvirt = opts.get("libvirt")
        self.timeout = int(opts.get("timeout", "240"))
        self.kernel = opts.get("kernel", "vmlinux")
        if self.kernel not in ("vmlinux", "bzimage"):
            raise ValueError(f"{path}: kernel: {self.kernel!r} is neither vmlinux nor bzimage")


def load(path):
    base = os.path.splitext(os.path.basename(path))[0]
    args, expects, guest, host, each, opts = None, [], [], [], None, {}
    pre, post = [], []
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, val = line.partition(":")
            val = val.strip()
            if not sep:
                raise SystemExit(f"{path}:{n}: expected 'key: value'")
            if key == "args":
                args = val
            elif key == "expect":
                expects.append(val)
            elif key == "guest":
                guest.append(val)
            elif key == "host":
                host.append(val)
            elif key == "pre":
                pre.append(val)
            elif key == "post":
                post.append(val)
            elif key == "each":
                w = val.split()
                each = (w[0], w[1:])
            elif key in ("exit", "append", "reset", "stdin", "libvirt", "timeout", "kernel"):
                opts[key] = val
            else:
                raise SystemExit(f"{path}:{n}: unknown key '{key}'")
    if args is None and "libvirt" not in opts:
        raise SystemExit(f"{path}: no 'args:' line")
    args = args or ""
    variants = [(base, {})]
    if each:
        variants = [(f"{base}-{each[0]}{v}", {each[0]: v}) for v in each[1]]
    def fill(text, subst):
        for k, v in subst.items():
            text = text.replace("{" + k + "}", v)
        return text
    return [Scenario(name, fill(args, subst), [fill(e, subst) for e in expects],
                     [fill(g, subst) for g in guest], [fill(h, subst) for h in host],
                     path, opts, pre, post)
            for name, subst in variants]


HERE = os.path.dirname(os.path.abspath(__file__))
LIBVIRT_VMM = os.path.join(HERE, "libvirt-vmm.sh")
LIBVIRT_SETUP = os.path.join(HERE, "..", "libvirt", "libvirtd-setup.sh")
# what libvirt needs in the L1 beside the programs' libraries: its QEMU
# driver (loaded with dlopen, so ldd does not name it) and its CPU map
LIBVIRT_PROGRAMS = ["/usr/sbin/libvirtd", "/usr/bin/virsh",
                    "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so"]
LIBVIRT_DATA = ["/usr/share/libvirt/cpu_map"]


def libvirt_template(sc):
    return os.path.join(os.path.dirname(os.path.abspath(sc.path)), sc.libvirt)


# Linux's early PCI scans (the GART aperture search, twice, reads every slot
# of all 256 buses through 0xcf8/0xcfc) cost ~4.5 s of each nested boot
# (13.4 s instead of 17.9 s to /init, measured) and find nothing on kvmem's
# or QEMU's pc.  A scenario whose append: names pci= keeps the kernel's
# default: pci-enumerate (pci=earlydump) has the early scans run.
EARLY_PCI_OFF = "pci=noearly"


def job_for(sc, kvmem):
    fast = "" if "pci=" in sc.append else EARLY_PCI_OFF
    append = f"{kvmemtest.L2_APPEND} {fast} kvmem.scenario={sc.name} {sc.append}"
    append = " ".join(append.split())
    if sc.libvirt:
        argv = ["/bin/sh", LIBVIRT_VMM, kvmem, "{kernel}", "{initrd}", append,
                libvirt_template(sc)]
    else:
        argv = [kvmem] + shlex.split(sc.args) + [
            "-kernel", "{kernel}", "-initrd", "{initrd}", "-serial", "stdio", "-append", append]
        if not sc.reset:
            argv.append("-no-reboot")
    script = "\n".join(sc.guest) + "\n" if sc.guest else None
    host = "\n".join(sc.host) + "\n" if sc.host else None
    return kvmemtest.Job(sc.name, argv, guest_script=script, host_script=host,
                         pre_script="\n".join(sc.pre) + "\n" if sc.pre else None,
                         post_script="\n".join(sc.post) + "\n" if sc.post else None,
                         stdin_line=sc.stdin, timeout=sc.timeout, kernel=sc.kernel,
                         triple_fault_expected=any(kvmemtest.TRIPLE_FAULT in e
                                                   for e in sc.expects))


def evaluate(sc, res, by_name):
    """Returns a list of problems; empty means the scenario passed."""
    problems = []
    if res.not_run:
        return [res.not_run]
    if not res.finished:
        return ["kvmem did not finish (watchdog or L1 stall)"]
    if res.timed_out:
        return ["kvmem was killed at the guest's timeout"]
    if res.rc != sc.exit_status:
        problems.append(f"kvmem exited {res.rc}, expected {sc.exit_status}")
    facts = res.facts()
    if facts is None and sc.exit_status == 0:
        return problems + ["the guest printed no facts (did it reach /init?)"]
    if facts is None:  # kvmem was expected to fail; only console and host count
        facts = kvmemtest.Facts([], [], -1, -1, [])

    def other(name):
        r = by_name.get(name)
        f = r.facts() if r else None
        if f is None:
            raise LookupError(f"scenario {name} has no facts")
        return f

    env = {
        "usable": facts.usable_bytes(), "memmap": facts.memmap, "iomem": facts.iomem,
        "ram_above_4g": any(s >= 4 * GiB and n == "System RAM" for s, _, n in facts.iomem),
        "high_ram": sum(e - s + 1 for s, e, t in facts.memmap
                        if t == "System RAM" and s >= 4 * GiB),
        "nproc": facts.nproc, "memtotal_kb": facts.memtotal_kb,
        "acpi_tables": facts.acpi_tables, "guest": res.scenario_lines(),
        "console": res.output, "host": res.host_lines(), "boots": res.output.count("KVMEM-GUEST-INIT"),
        "other": other, "size": size, "KiB": KiB, "MiB": MiB, "GiB": GiB,
        "LOW_CARVEOUT": LOW_CARVEOUT, "maxrss_kb": res.maxrss_kb,
        "abs": abs, "sum": sum, "any": any, "all": all, "len": len, "int": int,
        "float": float, "sorted": sorted, "min": min, "max": max, "zip": zip,
    }
    for e in sc.expects:
        try:
            # env as the globals, so that a comprehension in an expect sees the facts
            ok = eval(e, dict(env, __builtins__={}))  # scenario files are ours
        except Exception as ex:  # a broken expectation is a failure, said plainly
            problems.append(f"expect {e}: {type(ex).__name__}: {ex}")
            continue
        if not ok:
            shown = {k: env[k] for k in ("usable", "nproc", "memtotal_kb", "ram_above_4g")
                     if re.search(rf"\b{k}\b", e)}
            problems.append(f"expect {e} is false (with {shown})")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="scenario names (default: all)")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the consoles live")
    ap.add_argument("--kvmem", default=None, help="kvmem binary (default: build/kvmem)")
    ap.add_argument("--list", action="store_true",
                    help="print the names of the scenario runs selected, run nothing")
    opts = ap.parse_args()

    build = kvmemtest.build_dir()
    kvmem = os.path.abspath(opts.kvmem or os.path.join(build, "kvmem"))
    files = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "scenarios", "*.scn")))
    scenarios = [s for f in files for s in load(f)]
    if opts.names:
        wanted = set(opts.names)
        # a scenario that reads other("X") needs X in the same batch
        for s in scenarios:
            if s.name in wanted:
                for e in s.expects:
                    wanted.update(re.findall(r'other\("([^"]+)"\)', e))
        scenarios = [s for s in scenarios
                     if s.name in wanted or os.path.basename(s.path)[:-4] in wanted]
    if not scenarios:
        print("no scenarios selected")
        return 1
    if opts.list:
        print("\n".join(s.name for s in scenarios))
        return 0

    # Developers sharing one machine run one L1 at a time: with
    # KVMEM_NESTED_LOCK=FILE the guests wait for that lock (the build and
    # unit steps before them need not).
    lock_path = os.environ.get("KVMEM_NESTED_LOCK")
    if lock_path:
        lock = open(lock_path, "a")  # noqa: SIM115 (held until exit)
        print(f"# waiting for {lock_path}", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    # KVMEM_GUEST_BUDGET=SECS (scripts/test.sh sets it from the CI's time
    # limit): no L1 runs past it, and what it leaves unrun fails, saying so.
    budget = os.environ.get("KVMEM_GUEST_BUDGET")
    deadline = time.monotonic() + float(budget) if budget else None
    started = time.monotonic()
    kind = kvmemtest.kvm_kind()
    why = kvmemtest.kvm_usable()[1]
    print(f"# {len(scenarios)} guest scenarios, {kind}" + (f" ({why})" if why else ""),
          flush=True)
    echo = (lambda line: print("  | " + line, flush=True)) if opts.verbose else None
    # the monitors' client and checker, for host: lines
    tools = [os.path.join(build, "tools", "kvmemctl"), os.path.join(build, "tests", "qmp",
                                                                   "qmpcheck")]
    # a scenario that runs QEMU beside kvmem (its host: lines name it) gets
    # qemu-system-x86_64 and its firmware in the L1 too
    qemu = shutil.which("qemu-system-x86_64")
    if qemu and any("qemu-system-x86_64" in line for s in scenarios for line in s.host):
        tools.append(qemu)
    data = [os.path.join(kvmemtest.source_root(), "tests", "qmp", "transcript-qemu-7.2.txt")]
    libvirt = [s for s in scenarios if s.libvirt]
    if libvirt:
        missing = [p for p in LIBVIRT_PROGRAMS + LIBVIRT_DATA if not os.path.exists(p)]
        if missing:
            print(f"not ok - harness: {', '.join(missing)} missing: libvirt scenarios need "
                  "Debian's libvirt (scripts/install-deps.sh installs it)")
            print(f"0 passed, {len(scenarios)} failed")
            return 1
        tools += LIBVIRT_PROGRAMS
        data += [LIBVIRT_VMM, os.path.normpath(LIBVIRT_SETUP)]
        data += sorted({libvirt_template(s) for s in libvirt})
        data += [os.path.join(d, f) for top in LIBVIRT_DATA
                 for d, _, fs in os.walk(top) for f in fs]
    try:
        results = kvmemtest.run_jobs([job_for(s, kvmem) for s in scenarios], [kvmem] + tools,
                                     echo, data, deadline)
    except kvmemtest.HarnessError as e:
        print(f"not ok - harness: {e}")
        print(f"0 passed, {len(scenarios)} failed")
        return 1
    by_name = {r.name: r for r in results}
    passed = failed = 0
    for i, (sc, res) in enumerate(zip(scenarios, results), 1):
        problems = evaluate(sc, res, by_name)
        note = f" (start {len(res.earlier) + 1}: {'; '.join(res.earlier)})" \
            if res.earlier else ""
        timing = f" [init {res.init_ms / 1000:.1f}s, wall {res.wall_s:.0f}s, " \
            f"kvmem peak RSS {res.maxrss_kb // 1024} MiB]" if res.init_ms >= 0 else ""
        if problems:
            failed += 1
            print(f"not ok {i} - {sc.name}{note}")
            for p in problems:
                print(f"#   {p}")
            print(f"#   kvmem {sc.args}   ({sc.path})")
            if res.host_lines():
                print("#   --- host lines ---")
                for line in res.host_lines()[-20:]:
                    print("#   | " + line)
            print("#   --- guest console (last 60 lines) ---")
            for line in res.output[-60:]:
                print("#   | " + line)
        else:
            passed += 1
            print(f"ok {i} - {sc.name}{note}{timing}")
    slow = sorted(results, key=lambda r: -r.wall_s)[:5]
    print(f"# guest step: {time.monotonic() - started:.0f} s; slowest: " +
          ", ".join(f"{r.name} {r.wall_s:.0f}s" for r in slow if r.wall_s >= 0))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
