"""kvmemtest - boot real Linux guests under kvmem (and QEMU) and collect what they report.

A *job* is one VMM command line (kvmem or qemu-system-x86_64) booting the
Debian kernel with the harness's busybox initramfs (tests/guest/l2-init.sh),
which prints the guest's memory and CPU facts and powers off.

With a usable /dev/kvm the jobs run directly on this machine.  Without it
(the development and CI machines) they run nested, as ../shared/NESTED.md
measured: one first-level VM (L1) under QEMU's software CPU loads kvm-amd
and runs every job in turn, so the L1 boot is paid once per batch.  The L1
is watched from outside: if it makes no progress for a while it is killed
and the jobs it did not finish are run once more in a fresh L1, and that
retry is reported (NESTED.md's flake), never hidden.

Used by tests/guest/run.py (scenarios), the benches under bench/ (which
share parse_size, QEMU_KVM and bench_programs) and scripts/demo.sh.
"""

import argparse
import dataclasses
import gzip
import lzma
import os
import re
import select
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# The L1 kernel loads these modules, in this order, to get /dev/kvm (NESTED.md).
KVM_MODULES = [
    "virt/lib/irqbypass.ko",
    "drivers/crypto/ccp/ccp.ko",
    "arch/x86/kvm/kvm.ko",
    "arch/x86/kvm/kvm-amd.ko",
]

L2_APPEND = "console=ttyS0 panic=-1 quiet"

# The guest loads these (l2-init.sh) so it honours the ACPI power button,
# as a distribution's kernel and acpid would: QMP system_powerdown.
GUEST_MODULES = [
    "drivers/input/evdev.ko",
    "drivers/acpi/button.ko",
    # virtio over PCI, the balloon and virtio-mem, in dependency order
    # (virtio_balloon and virtio_mem need only virtio and virtio_ring)
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci.ko",
    "drivers/virtio/virtio_balloon.ko",
    "drivers/virtio/virtio_mem.ko",
]
L1_MEM = "8G"


class HarnessError(Exception):
    """Something the harness needs is missing; the message says what."""


@dataclasses.dataclass
class Job:
    name: str
    argv: list            # VMM command line, with {kernel} and {initrd} placeholders
    timeout: int = 240    # seconds, for this one guest
    guest_script: str = None  # busybox sh run in the guest as /scenarios/NAME.sh
    # busybox sh run beside the VMM on the machine that runs it (the L1 when
    # nested), started right after the VMM; $VMM_PID is the VMM's pid and
    # $VMM_CONSOLE a file with the VMM's output so far; `wait_for PATTERN
    # [SECS]` waits until it shows PATTERN (status 1 after SECS, default
    # 180, or once the VMM has exited without showing it); the programs
    # given to run_jobs are on $PATH and $KVMEM_SRC is the source tree.
    # $VMM_READER_PID is the process that reads the VMM's stdout and
    # stderr (guestclock): `kill -STOP` it to make a reader that stopped,
    # `kill -CONT` to resume; `vmm_exited [SECS]` waits until the VMM has
    # exited (also while its stopped reader cannot reap it), `vmm_running`
    # tells whether it still runs, `guest_rss MIN_KB` its guest-RAM Rss in
    # MiB; `qmp ARGS` is kvmemctl ARGS, tried again
    # for about 5 s while it fails (QEMU's monitor takes one client at a
    # time; set $KVMEMCTL_SOCKET).  Its lines come back prefixed "host| "
    # after the VMM exits (Result.host_lines()), once the script has
    # finished or HOST_GRACE seconds have passed.
    host_script: str = None
    # a line typed on the VMM's stdin every 2 s while it runs (the serial
    # console's input with -serial stdio)
    stdin_line: str = None
    # busybox sh run on that same machine before the VMM starts and after it
    # ends (e.g. reserving huge pages in the L1, then giving them back);
    # the job's status stays the VMM's.
    pre_script: str = None
    post_script: str = None
    # the guest triple-faults on purpose (a reboot=t scenario): nested, a
    # triple fault then is no reason to start it again (see TRIPLE_FAULT)
    triple_fault_expected: bool = False
    # what {kernel} is: "bzimage", Debian's /boot/vmlinuz, or "vmlinux", the
    # same kernel uncompressed (extract_vmlinux), which kvmem enters directly:
    # nested, the bzImage's decompressor alone takes about 7 s of each boot
    kernel: str = "bzimage"


@dataclasses.dataclass
class Result:
    name: str
    rc: int = -1
    output: list = dataclasses.field(default_factory=list)  # console lines
    init_ms: float = -1.0
    maxrss_kb: int = -1
    finished: bool = False
    timed_out: bool = False  # guestclock killed the VMM at the job's timeout
    # why each earlier start of this job did not count (empty: its first start)
    earlier: list = dataclasses.field(default_factory=list)
    started: bool = False  # the L1 started it
    wall_s: float = -1.0  # seconds from the job's start to its end, on this machine
    not_run: str = None   # why the job never ran to its end (the time budget ran out)

    def facts(self):
        """Parse the lines between '=== facts' and '=== end facts'."""
        return Facts.parse(self.output)

    def host_lines(self):
        return [l[len("host| "):] for l in self.output if l.startswith("host| ")]

    def scenario_lines(self):
        out, inside = [], False
        for line in self.output:
            if line.startswith("=== scenario "):
                inside = True
            elif line.startswith("=== end scenario"):
                inside = False
            elif inside:
                out.append(line)
        return out


@dataclasses.dataclass
class Facts:
    memmap: list          # (start, end_inclusive, type)
    iomem: list           # (start, end_inclusive, name)
    nproc: int
    memtotal_kb: int
    acpi_tables: list

    @classmethod
    def parse(cls, lines):
        memmap, iomem, nproc, memtotal, tables = [], [], -1, -1, []
        inside = False
        for line in lines:
            if line.startswith("=== facts"):
                inside = True
                continue
            if line.startswith("=== end facts"):
                inside = False
                continue
            if not inside:
                continue
            w = line.split()
            if not w:
                continue
            if w[0] == "memmap" and len(w) >= 4:
                memmap.append((int(w[1], 16), int(w[2], 16), " ".join(w[3:])))
            elif w[0] == "iomem":
                m = re.match(r"iomem ([0-9a-f]+)-([0-9a-f]+) : (.*)", line)
                if m:
                    iomem.append((int(m[1], 16), int(m[2], 16), m[3]))
            elif w[0] == "nproc" and len(w) == 2:
                nproc = int(w[1])
            elif w[0] == "meminfo" and len(w) >= 3 and w[1] == "MemTotal:":
                memtotal = int(w[2])
            elif w[0] == "acpi_tables":
                tables = w[1:]
        if not memmap and nproc < 0:
            return None
        return cls(memmap, iomem, nproc, memtotal, tables)

    def usable_bytes(self):
        return sum(e - s + 1 for s, e, t in self.memmap if t == "System RAM")


# ---------------------------------------------------------------- inputs

def source_root():
    return os.path.dirname(os.path.dirname(HERE))


def build_dir():
    """The build directory, absolute: $KVMEM_BUILD or build/ in the source
    tree (a relative path would name nothing where the L1 is packed)."""
    return os.path.abspath(os.environ.get("KVMEM_BUILD", os.path.join(source_root(), "build")))


# QEMU as every bench runs it beside kvmem: KVM, the pc machine, the host's
# CPU, no device it was not asked for.
QEMU_KVM = ["-accel", "kvm", "-machine", "pc", "-cpu", "host", "-nodefaults", "-display", "none"]


def parse_size(text):
    """A size as the benches take it ("512M", "2G"; bytes without a suffix),
    in bytes.  An argparse type: a bad size is an error that names it."""
    m = re.fullmatch(r"(\d+)([KMGT]?)", text.strip().upper())
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 512M, 2G)")
    return int(m[1]) << {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m[2]]


def bench_programs(tool, kvmems=(), qemu=True):
    """What a bench runs, checked before anything boots: the kvmem binaries
    (default: the build's), the build's kvmemctl, and QEMU's command line
    (QEMU_KVM; None with qemu=False).  A missing one ends the bench with one
    line that names it."""
    build = build_dir()
    kvmems = [os.path.abspath(p) for p in kvmems] or [os.path.join(build, "kvmem")]
    kvmemctl = os.path.join(build, "tools", "kvmemctl")
    for p in kvmems + [kvmemctl]:
        if not os.access(p, os.X_OK):
            sys.exit(f"{tool}: {p} is missing: build the project first")
    qemu_argv = None
    if qemu:
        path = shutil.which("qemu-system-x86_64")
        if not path:
            sys.exit(f"{tool}: qemu-system-x86_64 is not installed")
        qemu_argv = [path] + QEMU_KVM
    return kvmems, kvmemctl, qemu_argv


def extract_vmlinux(bzimage, out_path):
    """Writes the ELF vmlinux inside bzimage (its XZ payload, as Debian
    builds it) to out_path, keeping only what a loader needs: the ELF header
    and the PT_LOAD segments, without their trailing zeros (the loader
    zeroes up to each segment's memory size).  Returns out_path, or None if
    there is no XZ payload holding an ELF file."""
    with open(bzimage, "rb") as f:
        data = f.read()
    i = data.find(b"\xfd7zXZ\x00", 0x200)
    if i < 0:
        return None
    try:
        elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(data[i:])
    except lzma.LZMAError:
        return None
    if elf[:4] != b"\x7fELF":
        return None
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    loads = []
    for k in range(phnum):
        ph = struct.unpack_from("<IIQQQQQQ", elf, phoff + k * phentsize)
        if ph[0] == 1:  # PT_LOAD
            loads.append(list(ph))
    header = bytearray(elf[:64])
    struct.pack_into("<Q", header, 40, 0)                      # e_shoff
    struct.pack_into("<HHHH", header, 56, len(loads), 64, 0, 0)  # phnum, shentsize, shnum, shstrndx
    struct.pack_into("<Q", header, 32, 64)                     # e_phoff
    offset = 64 + 56 * len(loads)
    body = []
    for ph in loads:
        seg = elf[ph[2]:ph[2] + ph[5]].rstrip(b"\0")
        pad = (-offset) % 4096
        body.append(b"\0" * pad)
        offset += pad
        ph[2], ph[5] = offset, len(seg)   # p_offset, p_filesz
        body.append(seg)
        offset += len(seg)
    with open(out_path, "wb") as f:
        f.write(header)
        for ph in loads:
            f.write(struct.pack("<IIQQQQQQ", *ph))
        for b in body:
            f.write(b)
    return out_path


def find_kernel():
    """The Debian kernel image and its module directory (linux-image-amd64)."""
    cands = sorted(f for f in os.listdir("/boot") if f.startswith("vmlinuz-"))
    for f in reversed(cands):
        ver = f[len("vmlinuz-"):]
        mods = f"/lib/modules/{ver}"
        if os.path.isdir(mods) and os.access(f"/boot/{f}", os.R_OK):
            return f"/boot/{f}", mods
    raise HarnessError("no /boot/vmlinuz-* with modules: install linux-image-amd64 "
                       "(scripts/install-deps.sh does)")


# A guest script for the benches: prints "memtotal KB UPTIME" (MemTotal, the
# guest's /proc/uptime) at start and at each change, polling every 10 ms;
# read on the host with memtotal (HOST_PRELUDE) and memtotal_runs.  It also
# prints "irq UPTIME NAME=COUNT..." when the ACPI SCI's or a virtio device's
# configuration interrupt count changes (a virtio device on INTx has one
# line for all its interrupts: QEMU's guest shows virtio-mem that way).
MEMTOTAL_POLLER = """mt() { sed -n 's/MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo; }
up() { cut -d' ' -f1 /proc/uptime; }
irqs() {
    awk '/ acpi$| virtio[0-9]+(-config)?$/ {
        n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; s = s " " $NF "=" n
    } END { print s }' /proc/interrupts
}
last=$(mt); lastirq=$(irqs); echo "memtotal $last $(up)"; echo BENCH-READY
while :; do
    now=$(mt)
    if [ "$now" != "$last" ]; then echo "memtotal $now $(up)"; last=$now; fi
    nowirq=$(irqs)
    if [ "$nowirq" != "$lastirq" ]; then echo "irq $(up)$nowirq"; lastirq=$nowirq; fi
    usleep 10000
done
"""


def memtotal_runs(console):
    """The guest's MemTotal changes as MEMTOTAL_POLLER prints them
    ('memtotal KB UPTIME'), grouped into runs that go one way: a list of
    (+1 or -1, first change's uptime, last change's uptime, uptime of the
    notifying interrupt or None).  last - first is the time the guest spent
    between its first and its last memory block, on its own clock; last -
    the interrupt's time is the guest's whole share, from the ACPI SCI or
    the virtio configuration interrupt that told it (the poller's first
    'irq' line after the previous run) to its last block.  A single change
    against the run's way between two changes along it (Linux onlines one
    block again while it shrinks) stays in the run."""
    runs = []
    prev = None
    irq = None
    for line in console:
        w = line.split()
        if len(w) >= 2 and w[0] == "irq":
            try:
                t = float(w[1])
            except ValueError:
                continue
            if irq is None:
                irq = t
            continue
        if len(w) != 3 or w[0] != "memtotal":
            continue
        try:
            kb, t = int(w[1]), float(w[2])
        except ValueError:
            continue
        if prev is not None and kb != prev:
            way = 1 if kb > prev else -1
            if runs and runs[-1][0] == way:
                runs[-1][2] = t
            elif len(runs) >= 2 and runs[-2][0] == way and runs[-1][1] == runs[-1][2] \
                    and runs[-1][3] is None:
                runs.pop()  # a one-change reversal inside a run
                runs[-1][2] = t
            else:
                runs.append([way, t, t, irq])
            irq = None
        prev = kb
    return [tuple(r) for r in runs]


# Host lines for the benches' scripts: the client's and QMP's own cost, five
# no-op round trips (`kvmemctl query-status`), printed as
# "qmp-roundtrip-ms A B C D E".
QMP_ROUNDTRIP = """rt=""
for k in 1 2 3 4 5; do
    a=$(cut -d' ' -f1 /proc/uptime)
    kvmemctl query-status >/dev/null
    rt="$rt $(echo "$a $(cut -d' ' -f1 /proc/uptime)" | awk '{ printf "%d", ($2 - $1) * 1000 }')"
done
echo "qmp-roundtrip-ms$rt"
"""


def bench_report(results, up_name, down_name):
    """bench/hotplug's and bench/virtio-mem's tables, from each result's
    host lines "cycle I UP T0 T1 DOWN T2 T3" (L1 uptimes around each step)
    and its guest's MEMTOTAL_POLLER lines: per VMM the medians and each
    cycle, the kvmem/QEMU ratio; then the guest's own clock (memtotal_runs):
    first to last block, and from the interrupt that told it to its last
    block, the guest kernel's work, which no VMM can shorten; then what is
    left of each figure outside the guest (the client, QMP, the VMM, the
    interrupt's delivery: the host's figure minus the guest's from-irq
    time, cycle by cycle) beside a no-op QMP round trip (QMP_ROUNDTRIP)."""
    med, cycles, runs = {}, {}, {}
    print(f"\n{'vmm':<6} {up_name + ' ms (median)':>17} {down_name + ' ms (median)':>19}"
          "   each cycle")
    for r in results:
        got = []
        for line in r.host_lines():
            w = line.split()
            if len(w) == 8 and w[0] == "cycle":
                got.append(((float(w[4]) - float(w[3])) * 1000,
                            (float(w[7]) - float(w[6])) * 1000))
        if not got:
            print(f"{r.name:<6} {'failed':>17}")
            print("\n".join("    | " + line for line in r.output[-30:]))
            continue
        cycles[r.name], runs[r.name] = got, memtotal_runs(r.output)
        med[r.name] = tuple(statistics.median(c[k] for c in got) for k in (0, 1))
        each = ", ".join(f"{u:.0f}/{d:.0f}" for u, d in got)
        print(f"{r.name:<6} {med[r.name][0]:>17.0f} {med[r.name][1]:>19.0f}   {each}")
    if "kvmem" in med and "qemu" in med and min(med["qemu"]) > 0:
        print(f"{'ratio':<6} {med['kvmem'][0] / med['qemu'][0]:>17.2f} "
              f"{med['kvmem'][1] / med['qemu'][1]:>19.2f}   kvmem/QEMU")

    def median_or_dash(xs):
        return f"{statistics.median(xs):.0f}" if xs else "-"
    print("\nthe guest's own clock (median ms): first to last block changed, and from the "
          "notifying interrupt to the last block;\noutside the guest: the host's figure "
          "minus the guest's from-irq time, cycle by cycle (median ms)")
    print(f"{'vmm':<6} {up_name + ' blocks':>14} {'from irq':>9} {'outside':>8} "
          f"{down_name + ' blocks':>16} {'from irq':>9} {'outside':>8}   QMP no-op")
    for r in results:
        if r.name not in cycles:
            continue
        row = []
        for k, sign in ((0, 1), (1, -1)):
            mine = [x for x in runs[r.name] if x[0] == sign]
            row.append(median_or_dash([(last - first) * 1000 for _, first, last, _ in mine]))
            row.append(median_or_dash([(last - t) * 1000 for _, _, last, t in mine
                                       if t is not None]))
            out = [c[k] - (x[2] - x[3]) * 1000 for c, x in zip(cycles[r.name], mine)
                   if x[3] is not None] if len(mine) == len(cycles[r.name]) else []
            row.append(median_or_dash(out))
        rt = [line.split()[1:] for line in r.host_lines() if line.startswith("qmp-roundtrip-ms")]
        rt = median_or_dash([int(x) for x in rt[0]]) if rt else "-"
        print(f"{r.name:<6} {row[0]:>14} {row[1]:>9} {row[2]:>8} {row[3]:>16} {row[4]:>9} "
              f"{row[5]:>8}   {rt}")


def find_busybox():
    for p in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(p):
            out = subprocess.run(["file", "-L", p], capture_output=True, text=True).stdout \
                if shutil.which("file") else "statically linked"
            if "statically linked" in out or "static-pie" in out:
                return p
    raise HarnessError("no static busybox: install busybox-static")


def kvm_usable():
    """(True, '') when this machine's /dev/kvm can boot Debian's kernel, else
    (False, why).  A /dev/kvm backed by kvm_pvm (pagetable-based VMs, seen
    on this project's machines) runs toy guests but never a stock kernel
    (NESTED.md), so it counts as no KVM."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return False, f"no usable /dev/kvm ({e.strerror})"
    os.close(fd)
    if os.path.isdir("/sys/module/kvm_pvm"):
        return False, "/dev/kvm is kvm_pvm, which cannot boot a stock kernel"
    with open("/proc/cpuinfo") as f:
        flags = next((l.split() for l in f if l.startswith("flags")), [])
    if "vmx" not in flags and "svm" not in flags:
        return False, "/dev/kvm is present but the CPU shows neither vmx nor svm"
    return True, ""


def kvm_kind():
    """'direct' when this machine's KVM boots the guests, else 'nested'."""
    if os.environ.get("KVMEM_FORCE_NESTED"):
        return "nested"
    return "direct" if kvm_usable()[0] else "nested"


# ---------------------------------------------------------------- initramfs

class Tree:
    """A staging directory that becomes a gzip'd newc cpio archive."""

    def __init__(self, path):
        self.root = path
        for d in ("bin", "dev", "proc", "sys", "tmp", "etc"):
            os.makedirs(os.path.join(path, d), exist_ok=True)

    def add_file(self, src, dst, mode=None):
        full = os.path.join(self.root, dst.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        shutil.copy2(src, full, follow_symlinks=True)
        if mode is not None:
            os.chmod(full, mode)

    def add_text(self, dst, text, mode=0o644):
        full = os.path.join(self.root, dst.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)

    def add_busybox(self, busybox):
        self.add_file(busybox, "/bin/busybox", 0o755)
        # Every applet as a symlink, as 'busybox --install -s' would.
        applets = subprocess.run([busybox, "--list"], capture_output=True,
                                 text=True, check=True).stdout.split()
        for a in applets:
            link = os.path.join(self.root, "bin", a)
            if not os.path.lexists(link):
                os.symlink("busybox", link)

    def add_program(self, path, dst=None):
        """A dynamically linked program and every library ldd lists for it."""
        self.add_file(path, dst or path, 0o755)
        out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = re.search(r"(/\S+) \(0x", line)
            if m and os.path.exists(m[1]):
                self.add_file(m[1], m[1])

    def pack(self, out_path):
        console = os.path.join(self.root, "dev", "console")
        if not os.path.exists(console):
            # The kernel opens /dev/console from the initramfs before /init
            # runs; without it init has no stdout.
            os.mknod(console, 0o600 | 0o020000, os.makedev(5, 1))
        files = subprocess.run(["find", "."], cwd=self.root, capture_output=True,
                               check=True).stdout
        cpio = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=self.root,
                              input=files, capture_output=True, check=True).stdout
        with gzip.open(out_path, "wb", compresslevel=1) as f:
            f.write(cpio)


def build_guest_initramfs(out_path, scenario_scripts=None):
    """The L2 initramfs: busybox, l2-init.sh and the power button's kernel
    modules, plus /scenarios/NAME.sh."""
    _, mods = find_kernel()
    with tempfile.TemporaryDirectory(prefix="kvmem-l2-") as d:
        t = Tree(d)
        t.add_busybox(find_busybox())
        t.add_file(os.path.join(HERE, "l2-init.sh"), "/init", 0o755)
        # numbered: the guest's /init loads /modules/*.ko in name order
        for i, m in enumerate(GUEST_MODULES):
            src = os.path.join(mods, "kernel", m)
            if not os.path.exists(src):
                raise HarnessError(f"kernel module {src} is missing")
            t.add_file(src, f"/modules/{i:02d}-" + os.path.basename(m))
        for name, text in (scenario_scripts or {}).items():
            t.add_text(f"/scenarios/{name}.sh", text, 0o755)
        t.pack(out_path)
    return out_path


# Programs keep their host paths inside the L1 (a job's command line names
# them so), which is why nothing may be mounted over /tmp or the like: the
# initramfs itself is the L1's writable root.
L1_INIT = r"""#!/bin/sh
export PATH=/bin:/usr/bin:/sbin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m || echo "=== L1 insmod $m failed"; done
if [ -c /dev/kvm ]; then echo "=== L1 up kvm=yes"; else echo "=== L1 up kvm=no"; fi
# A heartbeat on the second serial port: the watchdog outside tells an L1
# that works (whatever its jobs' timeouts) from one that stopped.
(while :; do echo tick; sleep 5; done >/dev/ttyS1) 2>/dev/null &
# A job still running HUNG_AFTER s past its guest's timeout (its VMM should
# have been killed then): print where the VMM's threads are in the L1
# kernel, so the log shows a guest that cannot be killed (D state, stuck in
# KVM_RUN) apart from one that ignores its timeout.
hung_dump() {
	echo "=== hung: job $1 still running ${2}s past its guest's timeout"
	for d in /proc/[0-9]*; do
		case "$(cat $d/comm 2>/dev/null)" in
		kvmem|qemu-system-x86|guestclock|libvirtd|virsh) ;;
		*) continue ;;
		esac
		for t in $d/task/*; do
			echo "=== hung ${d#/proc/}/${t##*/} $(cat $t/comm 2>/dev/null)" \
				"state=$(sed 's/.*) //' $t/stat 2>/dev/null | cut -d' ' -f1)" \
				"wchan=$(cat $t/wchan 2>/dev/null)"
			sed 's/^/=== hung   /' $t/stack 2>/dev/null
		done
	done
	dmesg 2>/dev/null | tail -n 15 | sed 's/^/=== hung dmesg /'
}
for j in $(cat /jobs/order); do
	echo "=== job $j start"
	(sleep $(( $(cat /jobs/$j.timeout) + HUNG_AFTER )); hung_dump $j HUNG_AFTER) &
	dump=$!
	sh /jobs/$j.sh </dev/null 2>&1
	rc=$?
	kill $dump 2>/dev/null
	echo "=== job $j end rc=$rc"
done
echo "=== L1 done"
poweroff -f
"""


HOST_GRACE = 10  # seconds a host script may run on once the VMM has exited
HUNG_AFTER = 30  # seconds past its timeout before the L1 prints a job's hung VMM

# Run before every host script (see Job.host_script).
HOST_PRELUDE = r"""
vmm_running() {
	[ -e /proc/$VMM_PID ] && [ "$(cut -d' ' -f3 /proc/$VMM_PID/stat 2>/dev/null)" != Z ]
}
vmm_exited() {
	i=0
	while vmm_running; do
		i=$((i + 1))
		if [ $i -gt $((${1:-180} * 20)) ]; then
			echo "vmm_exited: the VMM still runs"
			return 1
		fi
		sleep 0.05
	done
}
# the KB of the console's newest complete MEMTOTAL_POLLER line.  Complete:
# the VMM writes the guest's serial output a few bytes at a time, and a
# line caught half-written ("memtotal 49") once ended the benches' waits
# early (an uptime always has two decimals, so a cut line does not match;
# the guest's serial lines end in CR LF).
memtotal() {
	tr -d '\r' <"$VMM_CONSOLE" 2>/dev/null | grep -E '^memtotal [0-9]+ [0-9]+\.[0-9][0-9]$' |
		tail -n 1 | cut -d' ' -f2
}
# guest_rss MIN_KB: the VMM's Rss in MiB over its mappings of at least
# MIN_KB (guest RAM: the mappings as long as -m's size or a memdev)
guest_rss() {
	awk -v min_kb="$1" '/^Size:/ { s = $2 + 0 } /^Rss:/ { if (s >= min_kb) g += $2 }
		END { print int(g / 1024) }' /proc/$VMM_PID/smaps
}
# kvmemctl "$@", tried again for up to 5 s while it fails: QEMU's QMP
# socket serves one client at a time and may refuse the next one for a
# moment after the last left.  Prints what kvmemctl printed, if anything.
qmp() {
	i=0
	while ! out=$(kvmemctl "$@" 2>/dev/null); do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.05
	done
	[ -n "$out" ] && printf '%s\n' "$out"
	return 0
}
wait_for() {
	i=0
	while ! grep -q -- "$1" "$VMM_CONSOLE" 2>/dev/null; do
		# once a second: has the VMM gone (it will show nothing more)?
		if [ $((i % 10)) -eq 9 ] && ! vmm_running; then
			grep -q -- "$1" "$VMM_CONSOLE" 2>/dev/null && return 0
			echo "wait_for: the VMM exited before the console showed '$1'"
			return 1
		fi
		i=$((i + 1))
		if [ $i -gt $((${2:-180} * 10)) ]; then
			echo "wait_for: the console never showed '$1'"
			return 1
		fi
		sleep 0.1
	done
}
"""


def _host_script(job, programs):
    dirs = ":".join(sorted({os.path.dirname(os.path.abspath(p)) for p in programs}))
    return (f'export PATH="{dirs}:$PATH"\nexport KVMEM_SRC="{source_root()}"\n' +
            HOST_PRELUDE + job.host_script)


def _job_script(job, kernel, initrd, guestclock, host_script_path, console_path):
    """The shell script that runs one job, the same directly and in the L1."""
    body = _vmm_script(job, kernel, initrd, guestclock, host_script_path, console_path)
    if not job.pre_script and not job.post_script:
        return body
    return f"""{job.pre_script or ''}
(
{body}
)
rc=$?
{job.post_script or ''}
exit $rc
"""


def _vmm_script(job, kernel, initrd, guestclock, host_script_path, console_path):
    argv = [a.format(kernel=kernel, initrd=initrd) for a in job.argv]
    copy = f"-o {shlex.quote(console_path)} " if job.host_script else ""
    cmd = "%s -t %d %s%s" % (guestclock, job.timeout, copy,
                             " ".join(shlex.quote(a) for a in argv))
    if job.stdin_line:
        # The writer ends on SIGPIPE once the VMM has exited.
        cmd = f"(while :; do echo {shlex.quote(job.stdin_line)}; sleep 2; done) | {cmd}"
    if not job.host_script:
        return cmd + "\n"
    # guestclock forks the VMM, so the VMM is guestclock's only child.
    done = host_script_path + ".done"
    return f"""rm -f {done}
{cmd} &
clock=$!
VMM_PID=""
# up to 30 s: a loaded TCG L1 can take seconds to start guestclock
for i in $(seq 600); do
	VMM_PID=$(cat /proc/$clock/task/$clock/children 2>/dev/null | cut -d' ' -f1)
	[ -n "$VMM_PID" ] && break
	sleep 0.05
done
[ -n "$VMM_PID" ] || echo "=== harness: the VMM's pid was not found; host lines see no VMM_PID"
VMM_READER_PID=$clock
export VMM_PID VMM_READER_PID VMM_CONSOLE={shlex.quote(console_path)}
# The host lines go to a file and are printed once the VMM has exited:
# printed live, one could land inside a console line (the VMM writes the
# guest's serial output a few bytes at a time) and spoil both.
( sh {host_script_path} >{host_script_path}.out 2>&1; touch {done} ) &
host=$!
wait $clock
rc=$?
# what the host script does after the VMM (reading an event it waited for)
i=0
while [ ! -e {done} ] && [ $i -lt {HOST_GRACE * 10} ]; do sleep 0.1; i=$((i + 1)); done
kill $host 2>/dev/null
sed 's/^/host| /' {host_script_path}.out 2>/dev/null
exit $rc
"""


def _kernel_of(job, kernel, vmlinux):
    return vmlinux if job.kernel == "vmlinux" and vmlinux else kernel


def build_l1_initramfs(out_path, jobs, programs, guestclock, l2_initrd, data=(), vmlinux=None):
    kernel, mods = find_kernel()
    with tempfile.TemporaryDirectory(prefix="kvmem-l1-") as d:
        t = Tree(d)
        t.add_busybox(find_busybox())
        t.add_text("/init", L1_INIT.replace("HUNG_AFTER", str(HUNG_AFTER)), 0o755)
        order = []
        for m in KVM_MODULES:
            src = os.path.join(mods, "kernel", m)
            if not os.path.exists(src):
                raise HarnessError(f"kernel module {src} is missing")
            t.add_file(src, "/modules/" + os.path.basename(m))
            order.append(os.path.basename(m))
        t.add_text("/modules/order", "\n".join(order) + "\n")
        for p in programs:
            t.add_program(p)
        for f in data:
            t.add_file(f, os.path.abspath(f))
        t.add_program(guestclock, "/bin/guestclock")
        if any(_kernel_of(j, kernel, vmlinux) == kernel for j in jobs):
            t.add_file(kernel, "/l2/vmlinuz")
        if vmlinux and any(j.kernel == "vmlinux" for j in jobs):
            t.add_file(vmlinux, "/l2/vmlinux")
        t.add_file(l2_initrd, "/l2/initrd.gz")
        for sub in ("seabios", "qemu"):
            src = f"/usr/share/{sub}"
            if any(os.path.basename(p).startswith("qemu") for p in programs) and \
                    os.path.isdir(src):
                shutil.copytree(src, os.path.join(d, "usr/share", sub), symlinks=False,
                                ignore_dangling_symlinks=True, dirs_exist_ok=True)
        names = []
        for i, job in enumerate(jobs):
            name = f"{i:03d}"
            names.append(name)
            t.add_text(f"/jobs/{name}.sh",
                       _job_script(job, _kernel_of(job, "/l2/vmlinuz", vmlinux and "/l2/vmlinux"),
                                   "/l2/initrd.gz", "/bin/guestclock",
                                   f"/jobs/{name}.host.sh", f"/tmp/{name}.console"))
            if job.host_script:
                t.add_text(f"/jobs/{name}.host.sh", _host_script(job, programs), 0o755)
            t.add_text(f"/jobs/{name}.timeout", f"{job.timeout}\n")
        t.add_text("/jobs/order", "\n".join(names) + "\n")
        t.pack(out_path)
    return kernel


# ---------------------------------------------------------------- running

class LineReader:
    """Reads a child's output line by line with a no-progress watchdog."""

    def __init__(self, proc, echo):
        self.proc, self.echo, self.buf = proc, echo, b""

    def lines(self, idle_timeout, total_timeout, progress=None, give_up=None):
        """Yields lines; yields None (then stops) after idle_timeout s with
        neither a line nor a change of progress() (a heartbeat), after
        total_timeout s, or as soon as give_up() is true."""
        fd = self.proc.stdout.fileno()
        start = last = time.monotonic()
        beat = progress() if progress else None
        while True:
            now = time.monotonic()
            if progress:
                b = progress()
                if b != beat:
                    beat, last = b, now
            if now - last > idle_timeout or now - start > total_timeout or \
                    (give_up and give_up()):
                yield None  # watchdog
                return
            r, _, _ = select.select([fd], [], [], 1.0)
            if not r:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                if self.buf:
                    yield self.buf.decode("utf-8", "replace")
                return
            last = time.monotonic()
            self.buf += chunk
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").rstrip("\r")
                if self.echo:
                    self.echo(text)
                yield text


def _parse_clock(line, res):
    m = re.match(r"guestclock: init_ms=(-?[\d.]+) exit=(\d+) maxrss_kb=(\d+) timed_out=(\d)",
                 line)
    if not m:
        return False
    res.init_ms, res.rc, res.maxrss_kb = float(m[1]), int(m[2]), int(m[3])
    res.timed_out = m[4] == "1"
    return True


def _run_direct(jobs, programs, guestclock, l2_initrd, echo, workdir, vmlinux):
    kernel, _ = find_kernel()
    results = []
    for job in jobs:
        res = Result(job.name)
        host_path = os.path.join(workdir, f"{job.name}.host.sh")
        if job.host_script:
            with open(host_path, "w") as f:
                f.write(_host_script(job, programs))
        script = _job_script(job, _kernel_of(job, kernel, vmlinux), l2_initrd, guestclock,
                             host_path,
                             os.path.join(workdir, f"{job.name}.console"))
        proc = subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for line in LineReader(proc, echo).lines(job.timeout, job.timeout):
            if line is None:
                proc.kill()
                res.output.append("=== harness: watchdog killed the guest")
                break
            if not _parse_clock(line, res):
                res.output.append(line)
            else:
                res.finished = True
        proc.wait()
        results.append(res)
    return results


# The L1's watchdog: with no console line and no heartbeat for this long the
# L1 has stopped (NESTED.md's flake).  A job that hangs is killed by its own
# timeout inside the L1; one that outlives it by JOB_SLACK has stopped the L1
# in a way the heartbeat does not show.
L1_IDLE = 90
JOB_SLACK = 120
# The jobs run in L1s of L1_BATCH jobs each, so that an L1 that dies or
# stops takes little with it; a job whose L1 was lost under it starts again
# in a later L1, at most JOB_TRIES starts in all, and the result says so.
# A job that ran into its timeout or triple-faulted gets one more start,
# once (a second such start is its result).
L1_BATCH = int(os.environ.get("KVMEM_L1_BATCH", "10"))
JOB_TRIES = 3


def _run_nested_once(jobs, programs, guestclock, l2_initrd, echo, workdir, data, deadline,
                     vmlinux=None):
    """Runs jobs in one L1; returns (results, why it stopped early or None,
    the name of the job that was running then or None, the L1's own lines)."""
    l1_initrd = os.path.join(workdir, "l1.cpio.gz")
    kernel = build_l1_initramfs(l1_initrd, jobs, programs, guestclock, l2_initrd, data, vmlinux)
    heartbeat = os.path.join(workdir, "l1-heartbeat")
    open(heartbeat, "w").close()
    argv = ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", "max",
            "-m", L1_MEM, "-smp", "2", "-display", "none", "-nodefaults",
            "-serial", "stdio", "-serial", f"file:{heartbeat}", "-no-reboot",
            "-kernel", kernel, "-initrd", l1_initrd,
            "-append", "console=ttyS0 quiet panic=-1 numa_balancing=disable"]
    # The L1 always has two host NUMA nodes (one vCPU and half the memory
    # each), so scenarios can check host-nodes/policy in numa_maps.  Its
    # automatic NUMA balancing is off: it marks a running VMM's transparent
    # huge pages for hinting faults (PROT_NONE) a 256 MiB sweep at a time,
    # and the L1's kernel (6.1) leaves such huge pages out of smaps' Rss
    # until the guest touches them again, so a guest-RAM Rss read while
    # the guest holds data it does not touch fell short by up to 100 MiB
    # (VmRSS, from counters, did not: docs/testing.md).
    half = f"{int(L1_MEM[:-1]) // 2}G"
    argv += ["-object", f"memory-backend-ram,id=h0,size={half}",
             "-object", f"memory-backend-ram,id=h1,size={half}",
             "-numa", "node,nodeid=0,cpus=0,memdev=h0",
             "-numa", "node,nodeid=1,cpus=1,memdev=h1"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    results = {j.name: Result(j.name) for j in jobs}
    names = [j.name for j in jobs]
    timeouts = {j.name: j.timeout for j in jobs}
    cur = None
    cur_start = 0.0
    total = 120 + sum(j.timeout for j in jobs)
    if deadline is not None:
        total = min(total, deadline - time.monotonic())
    l1_log = []
    why = None

    def beat():
        try:
            return os.path.getsize(heartbeat)
        except OSError:
            return 0

    def job_overran():
        return cur is not None and \
            time.monotonic() - cur_start > timeouts[cur.name] + HOST_GRACE + JOB_SLACK

    for line in LineReader(proc, echo).lines(L1_IDLE, total, beat, job_overran):
        if line is None:
            if job_overran():
                why = f"the L1 VM made no progress with {cur.name} past its timeout"
            elif deadline is not None and time.monotonic() >= deadline - 1:
                why = "the guest step's time budget ran out"
            else:
                why = "the L1 VM stopped making progress"
            break
        m = re.match(r"=== job (\d+) (start|end rc=(\d+))", line)
        if m:
            idx = int(m[1])
            if m[2] == "start":
                cur = results[names[idx]]
                cur.started = True
                cur_start = time.monotonic()
            else:
                if cur is not None and cur.rc < 0:
                    cur.rc = int(m[3])
                if cur is not None:
                    cur.finished = True
                    cur.wall_s = time.monotonic() - cur_start
                cur = None
            continue
        if cur is None:
            l1_log.append(line)
        elif not _parse_clock(line, cur):
            cur.output.append(line)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if why is None and any(not r.finished for r in results.values()):
        why = "the L1 VM ended with guests unfinished"
    if not any("=== L1 up kvm=yes" in line for line in l1_log) and why is None:
        raise HarnessError("the L1 VM did not get a /dev/kvm:\n" + "\n".join(l1_log[-30:]))
    return [results[n] for n in names], why, cur.name if cur else None, l1_log


def run_jobs(jobs, programs, echo=None, data=(), deadline=None):
    """Runs jobs; returns one Result per job, in order.

    programs: host binaries the jobs run (kvmem, maybe qemu, kvmemctl), copied
    into the L1 with their libraries when nested, and on a host script's PATH.
    data: files the host scripts read, copied into the L1 at the same path.
    deadline: a time.monotonic() value; nested, no L1 runs past it, and the
    jobs it leaves unfinished say so (Result.not_run)."""
    build = build_dir()
    guestclock = os.path.join(build, "tests", "guest", "guestclock")
    if not os.path.exists(guestclock):
        raise HarnessError(f"{guestclock} is missing: build the project first")
    with tempfile.TemporaryDirectory(prefix="kvmem-guest-") as work:
        l2_initrd = os.path.join(work, "l2.cpio.gz")
        build_guest_initramfs(l2_initrd, {j.name: j.guest_script for j in jobs
                                          if j.guest_script})
        vmlinux = None
        if any(j.kernel == "vmlinux" for j in jobs):
            vmlinux = extract_vmlinux(find_kernel()[0], os.path.join(work, "vmlinux"))
            if vmlinux is None:
                sys.stderr.write("kvmemtest: no XZ ELF payload in the kernel image: "
                                 "every guest boots the bzImage\n")
        if kvm_kind() == "direct":
            return _run_direct(jobs, programs, guestclock, l2_initrd, echo, work, vmlinux)
        return _run_batches(jobs, programs, guestclock, l2_initrd, echo, work, data, deadline,
                            vmlinux)


# NESTED.md's other flake, the guest's rather than the L1's: a nested guest
# that never asked for a reset dies in a triple fault, with no message of
# its own (on SVM the registers kvmem then prints are the reset state).
# QEMU 7.2's guests die the same way doing the same work in the same L1
# (docs/testing.md), so a job whose console shows one gets one more start,
# and its result says why.  A guest that triple-faults by kvmem's fault
# does so on both starts and fails.
TRIPLE_FAULT = "triple fault (KVM_EXIT_SHUTDOWN)"


def _nested_triple_fault(r, job):
    return r.finished and not r.timed_out and not job.triple_fault_expected and \
        any(TRIPLE_FAULT in line for line in r.output)


def _lost_why(r, job):
    """Why an earlier start of job (result r) was not the one that counts."""
    if not r.finished:
        return "its L1 was lost under it"
    if r.timed_out:
        return "it ran into its timeout"
    if _nested_triple_fault(r, job):
        return "its guest triple-faulted (nested flake)"
    return "?"


def _run_batches(jobs, programs, guestclock, l2_initrd, echo, work, data, deadline,
                 vmlinux=None):
    """Runs jobs nested, L1_BATCH per L1, with the retries; one Result per job.

    NESTED.md's flake: an L1 stops making progress (the watchdog fires), or
    stalls for minutes (a guest then reaches its timeout while the L1 logs a
    soft lockup), or its kernel dies.  The job it was running starts again
    in a fresh L1, after the others, and the result says so (Result.earlier:
    "its L1 was lost under it"); so does a guest that triple-faulted
    (TRIPLE_FAULT).  A guest that hangs by kvmem's fault fails every time.
    The jobs an L1 never started go first into the next one, not counted as
    tries."""
    results = {j.name: Result(j.name) for j in jobs}
    tries = {j.name: 0 for j in jobs}  # starts
    soft = {j.name: 0 for j in jobs}  # of which timed out or triple-faulted
    queue = list(jobs)

    def no_time_left():  # not enough for another L1 to boot and run a guest
        return deadline is not None and deadline - time.monotonic() < 60

    empty_runs = 0
    while queue and empty_runs < JOB_TRIES:
        if no_time_left():
            break
        batch, queue = queue[:L1_BATCH], queue[L1_BATCH:]
        got, why, running, _ = _run_nested_once(batch, programs, guestclock, l2_initrd,
                                                echo, work, data, deadline, vmlinux)
        empty_runs = empty_runs + 1 if not any(r.started for r in got) else 0
        first, last = [], []
        for j, r in zip(batch, got):
            if not r.started:
                first.append(j)
                continue
            prev = results[j.name]
            if tries[j.name] > 0:
                r.earlier = prev.earlier + [_lost_why(prev, j)]
            results[j.name] = r
            hung = [line for line in r.output if line.startswith("=== hung")]
            if hung:
                sys.stderr.write("\n".join(hung) + "\n")
            # a guest that ran into its timeout in a working L1 costs its
            # whole timeout each time, and a guest that triple-faulted is
            # the nested flake only once: either gets one more start, not
            # two; an L1 lost under a job is never the job's doing
            tries[j.name] += 1
            if not r.finished:
                again = True
            elif r.timed_out or _nested_triple_fault(r, j):
                soft[j.name] += 1
                again = soft[j.name] == 1
            else:
                again = False
            if again and tries[j.name] < JOB_TRIES:
                last.append(j)
        if why == "the guest step's time budget ran out":
            break
        if first or last:
            why = why or "a guest ran into its timeout or triple-faulted"
            sys.stderr.write(f"kvmemtest: {why} "
                             f"(NESTED.md's flake?) during {running or 'no job'}; "
                             f"{len(first) + len(last)} job(s) go into a fresh L1\n")
        queue = first + queue + last
    for j in jobs:
        r = results[j.name]
        if r.finished and not r.timed_out:
            continue
        if no_time_left():
            r.not_run = "not run to its end: the guest step's time budget ran out"
        elif tries[j.name] >= JOB_TRIES:
            sys.stderr.write(f"kvmemtest: {j.name} did not finish in {JOB_TRIES} L1 runs\n")
    return [results[j.name] for j in jobs]
