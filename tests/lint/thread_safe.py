#!/usr/bin/env python3
"""Refuses calls to libc functions that are not thread-safe anywhere in src/.

    tests/lint/thread_safe.py SRC_DIR

kvmem formats errors and runs device code on vCPU threads, prealloc
threads and the main thread at once, so a function that may return a
buffer shared by every thread (strerror, strsignal, localtime, ...) can
hand one thread another thread's text.  src/util/err.h has the
thread-safe form (kv_strerror).  Comments and string literals are not
code and are skipped.  Prints each call found as FILE:LINE: NAME and
exits 1 if there is any.
"""

import os
import re
import sys

UNSAFE = ["strerror", "strsignal", "strtok", "localtime", "gmtime", "ctime", "asctime",
          "rand", "gethostbyname", "getpwnam", "getpwuid", "getgrnam", "getgrgid",
          "ttyname", "ptsname", "readdir", "getlogin"]
CALL = re.compile(r"(?<![\w.>])(" + "|".join(UNSAFE) + r")\s*\(")


def code_only(text):
    """text with comments, string and character literals blanked out, lines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main():
    src = sys.argv[1]
    found = 0
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            with open(path) as f:
                code = code_only(f.read())
            for lineno, line in enumerate(code.splitlines(), 1):
                for m in CALL.finditer(line):
                    print(f"{path}:{lineno}: {m[1]}() is not thread-safe; "
                          f"see src/util/err.h (kv_strerror) for the strerror case")
                    found += 1
    print(f"{found} thread-unsafe call(s) in {src}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
