"""Time CPython's C pickler on the encode benchmark's data.

    python3 python_fixtures/bench_cpython_dumps.py [RUNS]
    python3 python_fixtures/bench_cpython_dumps.py --serve

Builds the same data benches/encode.rs serializes (100k records; 64 MiB of bytes), then
prints, per case, the median of RUNS (default 7) timed `pickle.dumps(obj, protocol=4)` calls
after a warm-up, with the garbage collector off, and the pickle's size:

    cpython records dumps_ms=41.2 bytes=4358402

`--serve` is what benches/encode.rs runs: it times CPython in the same interleaved rounds as
its Rust cases, so that a shared machine's slow and fast phases hit both sides alike. The
server builds the data and runs one warm-up `dumps` of each case, prints `ready`, then reads
commands from stdin, one a line, and answers each with one line on stdout:

    records             ->  ok ms=41.200 bytes=4358402
    bytes64m            ->  ok ms=98.700 bytes=67108873
    (anything wrong)    ->  error MESSAGE

A command runs one untimed `dumps` of its case (the output freed), then the timed one, both
with the collector off; the output is freed outside the clock. So each timed `dumps` meets the
heap its own case leaves, as the Rust cases' timed runs do, and not the one whatever ran before
it left. It exits at the end of stdin.
"""

import gc
import pickle
import statistics
import sys
import time

import bench_serve


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


def serve():
    cases = {"records": records(), "bytes64m": payload()}
    for obj in cases.values():
        pickle.dumps(obj, protocol=4)  # warm-up

    def time_one(command):
        obj = cases[command]
        gc.disable()
        try:
            data = pickle.dumps(obj, protocol=4)  # untimed, freed before the timed one
            del data
            t0 = time.perf_counter()
            data = pickle.dumps(obj, protocol=4)
            t1 = time.perf_counter()
        finally:
            gc.enable()
        size = len(data)
        del data
        return t1 - t0, size

    bench_serve.serve(time_one)


def main(argv):
    if argv[1:] == ["--serve"]:
        serve()
        return
    if "--serve" in argv[1:]:
        sys.exit(f"usage: {argv[0]} [RUNS]  or  {argv[0]} --serve")
    runs = int(argv[1]) if len(argv) > 1 else 7
    for name, obj in (("records", records()), ("bytes64m", payload())):
        ms, size = time_dumps(obj, runs)
        print(f"cpython {name} dumps_ms={ms * 1e3:.3f} bytes={size}", flush=True)


if __name__ == "__main__":
    main(sys.argv)
