"""Time CPython's C pickler on the encode benchmark's data.

    python3 python_fixtures/bench_cpython_dumps.py [RUNS]

Builds the same data benches/encode.rs serializes (100k records; 64 MiB of bytes), then
prints, per case, the median of RUNS (default 7) timed `pickle.dumps(obj, protocol=4)` calls
after a warm-up, with the garbage collector off, and the pickle's size:

    cpython records dumps_ms=41.2 bytes=4358402
"""

import gc
import pickle
import statistics
import sys
import time


def records():
    return [
        {"id": i, "name": f"user{i}", "score": i * 0.5, "tags": ["red", "green"] if i % 3 else ["blue"]}
        for i in range(100_000)
    ]


def payload():
    return bytes(range(256)) * (64 * 1024 * 4)


def time_dumps(obj, runs):
    pickle.dumps(obj, protocol=4)  # warm-up
    times = []
    gc.disable()
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            data = pickle.dumps(obj, protocol=4)
            times.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return statistics.median(times), len(data)


def main(argv):
    runs = int(argv[1]) if len(argv) > 1 else 7
    for name, obj in (("records", records()), ("bytes64m", payload())):
        ms, size = time_dumps(obj, runs)
        print(f"cpython {name} dumps_ms={ms * 1e3:.3f} bytes={size}", flush=True)


if __name__ == "__main__":
    main(sys.argv)
