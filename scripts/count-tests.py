#!/usr/bin/env python3
"""count-tests.py - scripts/test.sh's tally of one step: what passed, failed, was skipped.

    count-tests.py meson TESTLOG_JSON PLANNED STATUS [WHERE]
    count-tests.py guest RUN_PY_LOG STATUS

Prints one line per test that did not pass (a failure with meson's verdict, a
skip with the reason the test gave; WHERE, the build directory, before the
test's name), then a last line 'totals P F S'.

The verdicts are meson's own, read from the JSON log `meson test` writes, not
from its summary lines:
  - OK and EXPECTEDFAIL pass;
  - SKIP is skipped, and must say why: a line starting 'SKIP' in the test's
    output ('SKIP: no iasl', TAP's '1..0 # SKIP why').  A skip that gives no
    reason counts as failed;
  - everything else fails: FAIL, TIMEOUT, UNEXPECTEDPASS, ERROR, INTERRUPT and
    any verdict a later meson adds;
  - a passing cmocka program that skipped a case inside it ('[  SKIPPED ]')
    fails: meson would count it as passed.  Such a case belongs in a meson
    test of its own that exits 77 (tests/mem/test_backend.c does this);
  - PLANNED tests (from `meson test --list`) that left no verdict fail, and a
    non-zero STATUS from meson with no failure counted is one failure.
For the guest scenarios, run.py's closing 'N passed, N failed[, N skipped]'
line is the tally, and a non-zero STATUS with no failure in it is one failure.
"""

import json
import re
import sys

PASS = {"OK", "EXPECTEDFAIL"}


def skip_reason(rec):
    for stream in ("stdout", "stderr"):
        for line in (rec.get(stream) or "").splitlines():
            s = line.strip()
            m = re.match(r"(?:1\.\.0\s*)?#?\s*SKIP\b[:\s]*(.*)", s, re.IGNORECASE)
            if m and m[1]:
                return m[1]
    return None


def meson(path, planned, status, where):
    passed = failed = skipped = 0
    notes = []
    try:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        records = []
        notes.append(f"FAILED: meson left no readable test log {path}: {e}")
    for rec in records:
        name, verdict = rec.get("name", "?"), rec.get("result", "?")
        if where:
            name = f"{where}: {name}"
        if verdict in PASS:
            if "[  SKIPPED ]" in (rec.get("stdout") or ""):
                failed += 1
                notes.append(f"FAILED: {name}: a cmocka case was skipped inside a passing "
                             "program (make it a meson test of its own that exits 77)")
            else:
                passed += 1
        elif verdict == "SKIP":
            why = skip_reason(rec)
            if why:
                skipped += 1
                notes.append(f"skipped: {name}: {why}")
            else:
                failed += 1
                notes.append(f"FAILED: {name}: skipped without saying why "
                             "(print 'SKIP: reason' before exiting 77)")
        else:
            failed += 1
            took = rec.get("duration")
            notes.append(f"FAILED: {name}: {verdict}" +
                         (f" after {took:.0f} s" if verdict == "TIMEOUT" and took else ""))
    if len(records) < planned:
        missing = planned - len(records)
        failed += missing
        notes.append(f"FAILED: {where or 'meson'}: {missing} of {planned} planned test(s) "
                     "left no verdict")
    if status != 0 and failed == 0:
        failed += 1
        notes.append(f"FAILED: {where or 'meson'}: meson test exited {status} with no failed "
                     "test in its log")
    return passed, failed, skipped, notes


def guest(path, status):
    tally = None
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.fullmatch(r"(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*", line)
                if m:
                    tally = (int(m[1]), int(m[2]), int(m[3] or 0))
    except OSError:
        pass
    notes = []
    if tally is None:
        tally = (0, 1, 0)
        notes.append(f"FAILED: run.py ended (status {status}) without its closing tally")
    passed, failed, skipped = tally
    if status != 0 and failed == 0:
        failed = 1
        notes.append(f"FAILED: run.py exited {status} with no failed scenario in its tally")
    return passed, failed, skipped, notes


def main(argv):
    try:
        if argv[1] == "meson" and len(argv) in (5, 6):
            res = meson(argv[2], int(argv[3]), int(argv[4]), argv[5] if len(argv) == 6 else "")
        elif argv[1] == "guest" and len(argv) == 4:
            res = guest(argv[2], int(argv[3]))
        else:
            raise IndexError
    except (IndexError, ValueError):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    passed, failed, skipped, notes = res
    for n in notes:
        print(n)
    print(f"totals {passed} {failed} {skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
