"""Time CPython's C unpickler on the decode benchmark's inputs.

    python3 python_fixtures/bench_cpython.py DIR [RUNS]
    python3 python_fixtures/bench_cpython.py --serve DIR

For each input in DIR (as written by bench_inputs.py): one warm-up, then the median of RUNS
(default 7) timed `pickle.loads(data)` calls, the file read into memory beforehand. Prints one
machine-readable line per file:

    cpython records.pkl loads_ms=69.5 loads_gc_ms=144.3 runs=7 bytes=4358402

`loads_ms` is timed with the cyclic garbage collector disabled (collected between runs): the
unpickler's own speed, and the stricter yardstick. `loads_gc_ms` is the same call with the
collector on, as a default interpreter runs it; building 100k dicts triggers collections.

`--serve` is what benches/decode.rs runs: it times CPython in the same interleaved rounds as
its Rust cases, so that a shared machine's slow and fast phases hit both sides alike (timed
one after the other, a ratio of the two moved from 3.2x to 5.5x with the phase each side
happened to meet). The server reads every input into memory and runs one warm-up `loads` of
each, prints `ready`, then reads commands from stdin, one a line, and answers each with one
line on stdout:

    records.pkl off     ->  ok ms=69.512 bytes=4358402
    records.pkl on      ->  ok ms=144.305 bytes=4358402
    (anything wrong)    ->  error MESSAGE

A command is one iteration of the timing loop above (gc.collect(); the collector off for `off`;
a timed `loads`; `del` outside the clock), preceded by one untimed iteration just like it, so
that the timed `loads` meets the heap its own case leaves, as in the loop, and not the one
whatever ran before it left. It exits at the end of stdin.
"""

import gc
import os
import pickle
import statistics
import sys
import time

import bench_serve

FILES = ["records.pkl", "int_float.pkl", "bytes64m.pkl"]


def loads_once(data, gc_on):
    """One run of the timing loop: the seconds one `loads` took; the result freed after."""
    gc.collect()  # start each run from the same heap
    if not gc_on:
        gc.disable()
    try:
        t0 = time.perf_counter()
        obj = pickle.loads(data)
        t1 = time.perf_counter()
    finally:
        gc.enable()
    del obj
    return t1 - t0


def time_loads(data, runs, gc_on):
    pickle.loads(data)  # warm-up
    return statistics.median(loads_once(data, gc_on) for _ in range(runs))


def check_c_unpickler():
    if pickle.Unpickler.__module__ != "_pickle":
        sys.exit("the C unpickler (_pickle) is not available")


def serve(directory):
    inputs = {}
    for name in FILES:
        with open(os.path.join(directory, name), "rb") as f:
            inputs[name] = f.read()
        pickle.loads(inputs[name])  # warm-up

    def time_one(command):
        name, mode = command.split()
        if mode not in ("on", "off"):
            raise ValueError(f"gc mode {mode!r}: expected on or off")
        data = inputs[name]
        gc_on = mode == "on"
        loads_once(data, gc_on)  # untimed, as the run before it in the loop
        return loads_once(data, gc_on), len(data)

    bench_serve.serve(time_one)


def main(argv):
    if len(argv) == 3 and argv[1] == "--serve":
        check_c_unpickler()
        serve(argv[2])
        return
    if len(argv) not in (2, 3) or argv[1] == "--serve":
        sys.exit(f"usage: {argv[0]} DIR [RUNS]  or  {argv[0]} --serve DIR")
    directory = argv[1]
    runs = int(argv[2]) if len(argv) == 3 else 7
    check_c_unpickler()
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
