"""The request loop of the benchmarks' CPython timing servers (`bench_cpython.py --serve` and
`bench_cpython_dumps.py --serve`), whose answers benches/common/cpython.rs parses.

`serve(time_one)` prints `ready`, then reads commands from stdin, one a line, until its end.
`time_one(command)` returns the seconds the timed call took and the size of its input or
output; the answer is `ok ms=... bytes=...`, or `error MESSAGE` if it raised.
"""

import sys


def serve(time_one):
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            took, size = time_one(line.strip())
            reply = f"ok ms={took * 1e3:.6f} bytes={size}"
        except Exception as e:  # answer, and let the caller decide
            reply = "error " + f"{type(e).__name__}: {e}".replace("\n", " ")
        print(reply, flush=True)
