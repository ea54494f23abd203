#!/usr/bin/env python3
"""Checks of the guest harness's own pure parts (no guest, no L1)."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmemtest  # noqa: E402

failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else f": {detail}"))
    failed += not ok


runs = kvmemtest.memtotal_runs(["memtotal 100 1.0", "BENCH-READY", "irq 1.2 acpi=1",
                                "memtotal 200 1.5", "memtotal 300 2.0", "memtotal 300 2.1",
                                "irq 2.5 acpi=2", "irq 2.6 acpi=3", "memtotal 200 3.0",
                                "memtotal 100 3.25", "memtotal 150 3.3", "memtotal 50 3.5",
                                "memtotal x 4", "memtotal 400 5.0"])
check("MemTotal changes group into runs that go one way, each with its first interrupt",
      runs == [(1, 1.5, 2.0, 1.2), (-1, 3.0, 3.5, 2.5), (1, 5.0, 5.0, None)], runs)

# The benches' sizes (kvmemtest.parse_size, an argparse type)
check("sizes take K, M, G, T or bytes",
      [kvmemtest.parse_size(t) for t in ("512M", "2g", "4096", "1K", "1T")] ==
      [512 << 20, 2 << 30, 4096, 1024, 1 << 40])
for bad in ("", "2X", "-1G", "1.5G", "G"):
    try:
        kvmemtest.parse_size(bad)
        check(f"size {bad!r} is refused", False, "accepted")
    except argparse.ArgumentTypeError as e:
        check(f"size {bad!r} is refused, naming it", repr(bad) in str(e), str(e))


# The host scripts' prelude (HOST_PRELUDE), run by sh here with a stand-in
# VMM (a sleep) and a stand-in kvmemctl that fails its first two calls.
def host_sh(script, vmm_secs, console=""):
    with tempfile.TemporaryDirectory() as d:
        con = os.path.join(d, "console")
        with open(con, "w") as f:
            f.write(console)
        ctl = os.path.join(d, "kvmemctl")
        with open(ctl, "w") as f:
            f.write('#!/bin/sh\nn=$(cat "$0.n" 2>/dev/null || echo 0); echo $((n + 1)) > "$0.n"\n'
                    '[ $n -ge 2 ] && echo "answer $*"\n')
        os.chmod(ctl, 0o755)
        vmm = subprocess.Popen(["sleep", str(vmm_secs)])
        env = dict(os.environ, VMM_PID=str(vmm.pid), VMM_CONSOLE=con,
                   PATH=d + ":" + os.environ["PATH"])
        t0 = time.monotonic()
        # the VMM's reader reaps it, as guestclock does
        reaper = subprocess.Popen(["sh", "-c", kvmemtest.HOST_PRELUDE + script], env=env,
                                  stdout=subprocess.PIPE, text=True)
        vmm.wait()
        out = reaper.communicate(timeout=30)[0]
        return reaper.returncode, out, time.monotonic() - t0


rc, out, secs = host_sh('wait_for NEVER 20; echo "rc=$?"', 1)
check("wait_for gives up once the VMM has exited without showing the pattern",
      "rc=1" in out and "the VMM exited before the console showed 'NEVER'" in out and secs < 5,
      (out, secs))
rc, out, secs = host_sh('sleep 2; wait_for LAST-WORDS 20; echo "rc=$?"', 1, "x\nLAST-WORDS\n")
check("wait_for still finds what the VMM printed before it exited", "rc=0" in out, out)
rc, out, _ = host_sh('vmm_running && echo up; sleep 2; vmm_running || echo gone', 1)
check("vmm_running tells a running VMM from one that exited", out.split() == ["up", "gone"], out)
rc, out, _ = host_sh('guest_rss 0; guest_rss 1000000000', 2)
check("guest_rss sums the Rss of the mappings at least MIN_KB long, in MiB",
      out.split()[1:] == ["0"] and out.split()[0].isdigit(), out)
rc, out, _ = host_sh('qmp query-balloon; echo "rc=$?"', 1)
check("qmp tries kvmemctl again while it fails and prints its answer",
      out.split("\n")[:2] == ["answer query-balloon", "rc=0"], out)

# The nested retries (kvmemtest._run_batches), against a scripted L1: each
# start of a job takes the next outcome in its list.
def scripted_l1(outcomes):
    starts = {name: 0 for name in outcomes}

    def run_once(batch, *_args):
        results, why, running = [], None, None
        for j in batch:
            r = kvmemtest.Result(j.name)
            results.append(r)
            if why:
                continue  # the L1 is gone: the later jobs never start
            what = outcomes[j.name][min(starts[j.name], len(outcomes[j.name]) - 1)]
            starts[j.name] += 1
            r.started = True
            if what == "lost":
                why, running = "the L1 VM stopped making progress", j.name
                continue
            r.finished, r.rc = True, 0
            r.timed_out = what == "timeout"
            r.output = ["KVMEM-GUEST-INIT"]
            if what == "tf":
                r.output += ["kvmem: vCPU 1 (APIC id 1): " + kvmemtest.TRIPLE_FAULT]
        return results, why, running, []
    return run_once, starts


outcomes = {"tf-once": ["tf", "ok"], "tf-always": ["tf"], "tf-wanted": ["tf"],
            "lost-once": ["lost", "ok"], "timeout": ["timeout"], "ok": ["ok"],
            "tf-then-lost": ["tf", "lost", "ok"], "lost-always": ["lost"],
            "timeout-then-tf": ["timeout", "tf", "ok"]}
run_once, starts = scripted_l1(outcomes)
kvmemtest._run_nested_once = run_once
jobs = [kvmemtest.Job(n, [], triple_fault_expected=(n == "tf-wanted")) for n in outcomes]
err = sys.stderr
sys.stderr = open(os.devnull, "w")
got = {r.name: r for r in kvmemtest._run_batches(jobs, [], "", "", None, "", (), None)}
sys.stderr = err
check("a guest that triple-faulted once starts again, and its result says why",
      starts["tf-once"] == 2 and got["tf-once"].earlier ==
      ["its guest triple-faulted (nested flake)"] and
      not any(kvmemtest.TRIPLE_FAULT in line for line in got["tf-once"].output),
      (starts["tf-once"], got["tf-once"].earlier))
check("a guest that triple-faults every time gets two starts and keeps its triple fault",
      starts["tf-always"] == 2 and
      any(kvmemtest.TRIPLE_FAULT in line for line in got["tf-always"].output),
      starts["tf-always"])
check("a guest that triple-faults on purpose is not started again",
      starts["tf-wanted"] == 1 and got["tf-wanted"].earlier == [], starts["tf-wanted"])
check("a guest lost with its L1 starts again in the next one",
      starts["lost-once"] == 2 and got["lost-once"].finished and
      got["lost-once"].earlier == ["its L1 was lost under it"], got["lost-once"].earlier)
check("a guest that runs into its timeout gets two starts",
      starts["timeout"] == 2 and got["timeout"].timed_out, starts["timeout"])
check("a guest that triple-faulted and then lost its L1 gets a third start",
      starts["tf-then-lost"] == 3 and got["tf-then-lost"].finished and
      got["tf-then-lost"].earlier == ["its guest triple-faulted (nested flake)",
                                      "its L1 was lost under it"],
      (starts["tf-then-lost"], got["tf-then-lost"].earlier))
check("a guest whose L1 is always lost gets three starts",
      starts["lost-always"] == 3 and not got["lost-always"].finished, starts["lost-always"])
check("a timeout and then a triple fault: two starts, the second is the result",
      starts["timeout-then-tf"] == 2 and
      any(kvmemtest.TRIPLE_FAULT in line for line in got["timeout-then-tf"].output),
      starts["timeout-then-tf"])
check("the jobs the lost L1 never started run, once",
      starts["ok"] == 1 and got["ok"].finished, starts["ok"])
sys.exit(1 if failed else 0)
