"""Time CPython's C unpickler on the decode benchmark's inputs.

    python3 python_fixtures/bench_cpython.py DIR [RUNS]

For each input in DIR (as written by bench_inputs.py): one warm-up, then the median of RUNS
(default 7) timed `pickle.loads(data)` calls, the file read into memory beforehand. Prints one
machine-readable line per file, which benches/decode.rs parses:

    cpython records.pkl loads_ms=69.5 loads_gc_ms=144.3 runs=7 bytes=4358402

`loads_ms` is timed with the cyclic garbage collector disabled (collected between runs): the
unpickler's own speed, and the stricter yardstick. `loads_gc_ms` is the same call with the
collector on, as a default interpreter runs it; building 100k dicts triggers collections.
"""

import gc
import os
import pickle
import statistics
import sys
import time

FILES = ["records.pkl", "int_float.pkl", "bytes64m.pkl"]


def time_loads(data, runs, gc_on):
    loads = pickle.loads
    loads(data)  # warm-up
    times = []
    for _ in range(runs):
        gc.collect()  # start each run from the same heap
        if not gc_on:
            gc.disable()
        try:
            t0 = time.perf_counter()
            obj = loads(data)
            t1 = time.perf_counter()
        finally:
            gc.enable()
        del obj
        times.append(t1 - t0)
    return statistics.median(times)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(f"usage: {argv[0]} DIR [RUNS]")
    directory = argv[1]
    runs = int(argv[2]) if len(argv) == 3 else 7
    if pickle.Unpickler.__module__ != "_pickle":
        sys.exit("the C unpickler (_pickle) is not available")
    for name in FILES:
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        off = time_loads(data, runs, gc_on=False)
        on = time_loads(data, runs, gc_on=True)
        print(
            f"cpython {name} loads_ms={off * 1e3:.3f} loads_gc_ms={on * 1e3:.3f}"
            f" runs={runs} bytes={len(data)}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv)
