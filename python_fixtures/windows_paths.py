#!/usr/bin/env python3
"""Generate the Windows path fixture for pypickle (tests/stdlib.rs).

    python3.13 python_fixtures/windows_paths.py

Rewrites python_fixtures/stdlib/windows_paths.tsv (next to this file): one line a case,
``<segments>\\t<str>\\t<repr>\\t<parts>``, segments and parts as JSON lists, for
``pathlib.PureWindowsPath(*segments)``: what CPython 3.12-3.14 load from a pickle of the
class called with those segments (3.13 and later pickle a path as its raw segments). The
cases are chosen pieces of drives, roots, UNC and device prefixes, joined at random with a
fixed seed, and a few by hand.

Needs CPython 3.12 or later (its ntpath.splitroot and join; 3.11's pathlib parses and joins
otherwise). The committed file comes from CPython 3.13.
"""

import json
import os
import pathlib
import random
import sys

PIECES = ["/", "\\", "a", "b.c", "C:", "c:", "D:", "é:", ":", ".", "..", "?", "UNC",
          "//srv/sh", "\\\\h\\s\\", "//?/UNC/", "\\\\.\\", "//", "x"]

BY_HAND = [
    [], [""], ["//srv"], ["C:/", "C:z"], ["c:/a", "C:b"], ["a", "C:"], ["1:x"],
    ["//?/UNC/srv/share/x"], ["//./dev/x"], ["./c:x"], ["//srv/share", "x"],
    ["C:/a", "/b", "D:c", "e"], ["\\\\?\\c:x"], ["//?/UNC/srv"], ["//srv/", "x"],
]


def main():
    if sys.version_info < (3, 12):
        sys.exit("needs CPython 3.12 or later")
    rng = random.Random(2026_11_28)
    cases = [list(c) for c in BY_HAND]
    for _ in range(4000):
        cases.append(["".join(rng.choice(PIECES) for _ in range(rng.randrange(6)))
                      for _ in range(rng.randrange(4))])
    seen, lines = set(), []
    for segs in cases:
        key = json.dumps(segs, ensure_ascii=False)
        if key in seen:
            continue
        seen.add(key)
        p = pathlib.PureWindowsPath(*segs)
        lines.append("\t".join([key, str(p), repr(p),
                                json.dumps(list(p.parts), ensure_ascii=False)]))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stdlib",
                       "windows_paths.tsv")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out} ({len(lines)} cases)")


if __name__ == "__main__":
    main()
