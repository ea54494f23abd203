#!/usr/bin/env python3
"""Checks of the guest harness's own pure parts (no guest, no L1)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmemtest  # noqa: E402

failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else f": {detail}"))
    failed += not ok


runs = kvmemtest.memtotal_runs(["memtotal 100 1.0", "BENCH-READY", "memtotal 200 1.5",
                                "memtotal 300 2.0", "memtotal 300 2.1", "memtotal 200 3.0",
                                "memtotal 100 3.25", "memtotal x 4", "memtotal 400 5.0"])
check("MemTotal changes group into runs that go one way",
      runs == [(1, 1.5, 2.0), (-1, 3.0, 3.25), (1, 5.0, 5.0)], runs)
sys.exit(1 if failed else 0)
